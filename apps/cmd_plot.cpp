// cmd_plot.cpp — `rramsim plot`: gnuplot figures (PNG and SVG) of sweep or run results.
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "bnn/input.h"
#include "cli.h"
#include "output.h"
#include "commands.h"
#include "rramsim/point.hpp"

namespace {

const char* const kCmd = "plot";

void usage(FILE* f) {
  std::fprintf(
      f,
      "usage: rramsim plot DIR [--out PLOTDIR]\n\n"
      "Reads DIR/results.jsonl (rramsim sweep, or rramsim sweep --merge) and draws with gnuplot,\n"
      "each as PNG and SVG into PLOTDIR (default DIR/plots):\n"
      "  accuracy_vs_energy   accuracy vs inference energy per image (mean over seeds), the "
      "Pareto\n"
      "                       front (no other point is both cheaper and more accurate) marked\n"
      "  accuracy_vs_ber      accuracy vs observed bit error rate, one series per model\n"
      "  latency_vs_op_point  inference latency per image per operating point (timed rows)\n"
      "  accuracy_vs_programming_energy  accuracy vs the energy to program the weights (where\n"
      "                       low-power operating points save; reads dominate inference energy)\n"
      "PNG uses the pngcairo terminal when gnuplot has it, else png.\n");
}

struct Agg {
  std::string system, op_point, model, mode;
  double energy = 0, acc = 0, ber = 0, latency = 0, prog = 0;
  int n = 0;
};

std::string esc(const std::string& s) {  // for a gnuplot double-quoted string
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o;
}

std::string base_name(const std::string& p) {
  size_t s = p.rfind('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}

bool have_pngcairo() {
  int rc = std::system("gnuplot -e 'set terminal pngcairo' >/dev/null 2>&1");
  return rc == 0;
}

}  // namespace

extern "C" int cli_cmd_plot(int argc, char** argv) {
  std::string dir, out;
  auto option = [&](const char* a, const char* v) -> cli_opt_result {
    if (!a) {
      if (!dir.empty()) return CLI_OPT_UNKNOWN; /* "unexpected argument" */
      dir = v;
    } else if (!std::strcmp(a, "--out"))
      out = v;
    else
      return CLI_OPT_UNKNOWN;
    return CLI_OPT_TAKEN;
  };
  static const cli_option opts[] = {{"out", 1, nullptr, nullptr}, {nullptr, 0, nullptr, nullptr}};
  {
    int prc = CLI_EXIT_OK;
    if (!cli_parse_options_with(kCmd, argc, argv, 1, opts, option, usage, &prc)) return prc;
  }
  if (dir.empty()) return cli_usage_error(kCmd, "a results directory is required");
  if (out.empty()) out = dir + "/plots";

  const std::string src = dir + "/results.jsonl";
  if (!cli_input_note(kCmd, "DIR", src.c_str()) || !cli_output_claim(kCmd, "--out", out.c_str()))
    return CLI_EXIT_FAIL;
  FILE* rf = nullptr;  // a regular file (bnn/input.h): never a FIFO's wait
  if (bnn_input_fopen(src.c_str(), 0, &rf, nullptr) != BNN_OK) {
    if (errno == ENOENT)
      return cli_error(kCmd, "%s: %s (run rramsim sweep, or --merge shards, first)", src.c_str(),
                       std::strerror(errno));
    return cli_error(kCmd, "%s", bnn_errmsg());
  }
  std::string text;
  {
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, rf)) > 0) text.append(buf, n);
    const bool bad = std::ferror(rf) != 0;
    std::fclose(rf);
    if (bad) return cli_error(kCmd, "%s: read error", src.c_str());
  }
  std::istringstream in(text);
  std::vector<rramsim::PointResult> rows;
  std::string line;
  for (int ln = 1; std::getline(in, line); ++ln) {
    rramsim::PointResult r;
    if (!rramsim::row_from_json(line, &r))
      return cli_error(kCmd, "%s:%d: not a result row", src.c_str(), ln);
    rows.push_back(r);
  }
  if (rows.empty()) return cli_error(kCmd, "%s: no result rows", src.c_str());
  if (mkdir(out.c_str(), 0777) != 0 && errno != EEXIST)
    return cli_error(kCmd, "--out %s: %s", out.c_str(), std::strerror(errno));

  // Mean over seeds of each (mode, system, operating point, model).
  std::map<std::string, Agg> agg;
  std::vector<std::string> order;
  std::vector<std::string> models, systems, ops;
  auto add_unique = [](std::vector<std::string>& v, const std::string& s) {
    if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
  };
  for (const rramsim::PointResult& r : rows) {
    const std::string k = r.mode + "|" + r.system + "|" + r.op_point + "|" + r.model;
    if (!agg.count(k)) order.push_back(k);
    Agg& a = agg[k];
    a.system = r.system, a.op_point = r.op_point, a.model = r.model, a.mode = r.mode;
    a.energy += r.energy_per_image_pj, a.acc += r.accuracy, a.ber += r.ber_observed;
    a.latency += r.latency_per_image_ns;
    a.prog += r.programming_energy_pj;
    ++a.n;
    add_unique(models, r.model), add_unique(systems, r.system), add_unique(ops, r.op_point);
  }
  std::vector<Agg> pts;
  for (const std::string& k : order) {
    Agg a = agg[k];
    a.energy /= a.n, a.acc /= a.n, a.ber /= a.n, a.latency /= a.n, a.prog /= a.n;
    pts.push_back(a);
  }

  // Data files (whitespace-separated; labels quoted).
  auto open_dat = [&](const std::string& name) {
    FILE* f = std::fopen((out + "/" + name).c_str(), "w");
    if (!f) throw std::runtime_error(out + "/" + name + ": " + std::strerror(errno));
    return f;
  };
  // Every write is checked (at the close): gnuplot must not plot a half-written file.
  auto close_dat = [&](FILE* f) {
    const bool bad = std::ferror(f) != 0;
    const int e = errno;
    if (std::fclose(f) != 0 || bad)
      throw std::runtime_error(out + ": write failed: " + std::strerror(bad ? e : errno));
  };
  try {
    FILE* f = open_dat("energy.dat");
    std::fprintf(f, "# energy_per_image_nJ accuracy_percent label\n");
    std::vector<Agg> with_e;
    for (const Agg& a : pts)
      if (a.energy >= 0) {
        std::fprintf(f, "%.9g %.6g \"%s/%s %s\"\n", a.energy * 1e-3, 100 * a.acc,
                     esc(a.system).c_str(), esc(a.op_point).c_str(),
                     esc(base_name(a.model)).c_str());
        with_e.push_back(a);
      }
    close_dat(f);
    // Pareto front: sorted by energy, keep each point more accurate than every cheaper one.
    std::sort(with_e.begin(), with_e.end(), [](const Agg& x, const Agg& y) {
      return x.energy < y.energy || (x.energy == y.energy && x.acc > y.acc);
    });
    f = open_dat("programming.dat");
    std::fprintf(f, "# programming_energy_uJ accuracy_percent label\n");
    for (const Agg& a : pts)
      if (a.prog >= 0)
        std::fprintf(f, "%.9g %.6g \"%s/%s %s\"\n", a.prog * 1e-6, 100 * a.acc,
                     esc(a.system).c_str(), esc(a.op_point).c_str(),
                     esc(base_name(a.model)).c_str());
    close_dat(f);
    f = open_dat("pareto.dat");
    std::fprintf(f, "# energy_per_image_nJ accuracy_percent (Pareto front)\n");
    double best = -1;
    for (const Agg& a : with_e)
      if (a.acc > best) {
        std::fprintf(f, "%.9g %.6g\n", a.energy * 1e-3, 100 * a.acc);
        best = a.acc;
      }
    close_dat(f);
    for (size_t mi = 0; mi < models.size(); ++mi) {
      f = open_dat("ber_" + std::to_string(mi) + ".dat");
      std::fprintf(f, "# ber_observed accuracy_percent  model %s\n", models[mi].c_str());
      std::vector<Agg> v;
      for (const Agg& a : pts)
        if (a.model == models[mi] && a.ber > 0) v.push_back(a);
      std::sort(v.begin(), v.end(), [](const Agg& x, const Agg& y) { return x.ber < y.ber; });
      for (const Agg& a : v) std::fprintf(f, "%.9g %.6g\n", a.ber, 100 * a.acc);
      close_dat(f);
    }
    int n_timed = 0;
    for (size_t si = 0; si < systems.size(); ++si) {
      f = open_dat("latency_" + std::to_string(si) + ".dat");
      std::fprintf(f, "# op_point_index latency_per_image_us label  system %s\n",
                   systems[si].c_str());
      for (size_t oi = 0; oi < ops.size(); ++oi)
        for (const Agg& a : pts)
          if (a.system == systems[si] && a.op_point == ops[oi] && a.latency >= 0 &&
              a.mode == "timed") {
            std::fprintf(f, "%zu %.9g \"%s\"\n", oi, a.latency * 1e-3,
                         esc(base_name(a.model)).c_str());
            ++n_timed;
          }
      close_dat(f);
    }

    const bool cairo = have_pngcairo();
    std::string gp = out + "/plots.gp";
    f = open_dat("plots.gp");
    std::fprintf(
        f,
        "# gnuplot script written by rramsim plot %s from %s\nset datafile commentschars '#'\n"
        "set key outside right top noenhanced\nset grid\nset termoption noenhanced\n",
        cli_version(), src.c_str());
    const char* terms[2][2] = {
        {cairo ? "pngcairo noenhanced size 1000,650 font ',11'" : "png noenhanced size 1000,650",
         "png"},
        {"svg noenhanced size 1000,650 dynamic font 'sans,11'", "svg"}};
    std::string xt = "set xtics (";
    for (size_t oi = 0; oi < ops.size(); ++oi)
      xt += (oi ? ", \"" : "\"") + esc(ops[oi]) + "\" " + std::to_string(oi);
    xt += ")";
    for (auto& t : terms) {
      std::fprintf(f, "set terminal %s\n", t[0]);
      std::fprintf(f,
                   "set output '%s/accuracy_vs_energy.%s'\nunset logscale\nset logscale x\nset "
                   "xtics autofreq\n"
                   "set title 'Accuracy vs inference energy per image (mean over seeds)'\n"
                   "set xlabel 'inference energy per image (nJ)'\nset ylabel 'accuracy (%%)'\n"
                   "plot '%s/energy.dat' using 1:2 with points pt 7 ps 1.2 title 'points', "
                   "'' using 1:2:3 with labels noenhanced offset 0,1 font ',8' notitle, "
                   "'%s/pareto.dat' using 1:2 with linespoints lw 2 pt 6 ps 2 lc rgb 'red' title "
                   "'Pareto front'\n",
                   out.c_str(), t[1], out.c_str(), out.c_str());
      std::fprintf(f,
                   "set output '%s/accuracy_vs_programming_energy.%s'\n"
                   "set title 'Accuracy vs energy to program the weights (mean over seeds)'\n"
                   "set xlabel 'programming energy (uJ)'\nset ylabel 'accuracy (%%)'\n"
                   "plot '%s/programming.dat' using 1:2 with points pt 7 ps 1.2 title 'points', "
                   "'' using 1:2:3 with labels noenhanced offset 0,1 font ',8' notitle\n",
                   out.c_str(), t[1], out.c_str());
      std::fprintf(
          f,
          "set output '%s/accuracy_vs_ber.%s'\nset title 'Accuracy vs observed bit error rate'\n"
          "set xlabel 'observed BER (write + read errors per bit)'\nset ylabel 'accuracy "
          "(%%)'\nset format x '%%.0e'\nplot ",
          out.c_str(), t[1]);
      for (size_t mi = 0; mi < models.size(); ++mi)
        std::fprintf(f, "%s'%s/ber_%zu.dat' using 1:2 with linespoints pt 7 title \"%s\"",
                     mi ? ", " : "", out.c_str(), mi, esc(base_name(models[mi])).c_str());
      std::fprintf(f, "\nset format x '%%g'\n");
      std::fprintf(
          f,
          "set output '%s/latency_vs_op_point.%s'\nunset logscale\n%s\nset xrange [-0.5:%zu.5]\n"
          "set title 'Inference latency per image by operating point (timed runs)'\n"
          "set xlabel 'operating point'\nset ylabel 'latency per image (us)'\n",
          out.c_str(), t[1], xt.c_str(), ops.size() - 1);
      if (n_timed) {
        std::fprintf(f, "plot ");
        for (size_t si = 0; si < systems.size(); ++si)
          std::fprintf(f,
                       "%s'%s/latency_%zu.dat' using 1:2 with linespoints pt 7 ps 1.2 title \"%s\"",
                       si ? ", " : "", out.c_str(), si, esc(systems[si]).c_str());
        std::fprintf(f, "\n");
      } else {
        std::fprintf(f,
                     "set yrange [0:1]\nset label 1 'no timed rows in these results (functional "
                     "mode has no timing)' at graph 0.5,0.5 center\n"
                     "plot 2 notitle\nunset label 1\nset yrange [*:*]\n");
      }
      std::fprintf(f, "set xrange [*:*]\nset xtics autofreq\n");
    }
    close_dat(f);
    const std::string cmd = "gnuplot '" + gp + "' 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) throw std::runtime_error(std::string("cannot run gnuplot: ") + std::strerror(errno));
    std::string msgs;
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) msgs += buf;
    int st = pclose(p);
    if (st != 0)
      throw std::runtime_error("gnuplot failed on " + gp +
                               (msgs.empty() ? "" : ": " + msgs.substr(0, msgs.find('\n'))));
    if (!msgs.empty()) std::fprintf(stderr, "%s", msgs.c_str());
    // gnuplot exits 0 when it cannot write a figure (a full disk): check that each one is there.
    for (const char* name : {"accuracy_vs_energy", "accuracy_vs_programming_energy",
                             "accuracy_vs_ber", "latency_vs_op_point"})
      for (const char* ext : {"png", "svg"}) {
        const std::string fig = out + "/" + name + "." + ext;
        struct stat fst;
        if (stat(fig.c_str(), &fst) != 0 || fst.st_size == 0)
          throw std::runtime_error(fig + ": gnuplot wrote nothing (disk full?)");
      }
    for (const char* name : {"accuracy_vs_energy", "accuracy_vs_programming_energy",
                             "accuracy_vs_ber", "latency_vs_op_point"})
      std::printf("wrote %s/%s.png (%s), %s/%s.svg\n", out.c_str(), name,
                  cairo ? "pngcairo" : "png", out.c_str(), name);
  } catch (const std::exception& ex) {
    return cli_error(kCmd, "%s", ex.what());
  }
  return CLI_EXIT_OK;
}
