// cmd_plot.cpp — `rramsim plot`: gnuplot figures (PNG and SVG) of sweep or run results.
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cctype>
#include <cstdarg>
#include <cstdlib>
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
      "each as PNG and SVG into PLOTDIR (default DIR/plots); one colour per group (system, model,\n"
      "mode: functional and timed points are never joined), means over seeds with +- sd error\n"
      "bars, a legend instead of point labels. A plot without data is not written.\n"
      "  accuracy_vs_energy   accuracy vs inference energy per image; lines: each group's Pareto\n"
      "                       front (no point of the group is both cheaper and more accurate)\n"
      "  accuracy_vs_programming_energy  the same against the energy to program the weights\n"
      "  accuracy_vs_ber      accuracy vs observed bit error rate\n"
      "  latency_vs_op_point  inference latency per image per operating point (timed rows only)\n"
      "  accuracy_vs_<key>, energy_vs_<key>  against each key an experiment varied (\"vary\")\n"
      "PLOTDIR/plots.gp redraws them from any folder (gnuplot PLOTDIR/plots.gp).\n"
      "PNG uses the pngcairo terminal when gnuplot has it, else png.\n");
}

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

struct Stat {
  double sum = 0, sum2 = 0;
  int n = 0;
  void add(double v) { sum += v, sum2 += v * v, ++n; }
  double mean() const { return n ? sum / n : 0; }
  // Sample standard deviation over seeds (0 for one seed).
  double sd() const {
    if (n < 2) return 0;
    const double var = (sum2 - sum * sum / n) / (n - 1);
    return var > 0 ? std::sqrt(var) : 0;
  }
};

// Point types that stay apart when drawn on top of each other (filled square, circle, triangle,
// diamond, pentagon; open ones after).
const size_t kPointTypes[] = {5, 7, 9, 13, 15, 4, 6, 8, 12, 14};
const size_t kNPointTypes = sizeof kPointTypes / sizeof kPointTypes[0];

struct Pt {
  std::string group, op_point;
  std::vector<std::string> axis_values;
  Stat acc, ber, energy, latency, prog;
};

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...) {
  va_list ap;
  va_start(ap, f);
  char small[512];
  va_list ap2;
  va_copy(ap2, ap);
  int n = std::vsnprintf(small, sizeof small, f, ap);
  va_end(ap);
  std::string s;
  if (n >= 0 && static_cast<size_t>(n) < sizeof small) {
    s = small;
  } else if (n >= 0) {
    s.resize(static_cast<size_t>(n) + 1);
    std::vsnprintf(&s[0], s.size(), f, ap2);
    s.resize(static_cast<size_t>(n));
  }
  va_end(ap2);
  return s;
}

std::string base_name(const std::string& p);

// A group: one system, one model, one mode (never joined with another mode's points).
std::string group_name(const rramsim::PointResult& r) {
  return r.system + ", " + base_name(r.model) + " (" + r.mode + ")";
}

std::string short_key(const std::string& path) {
  size_t d = path.rfind('.');
  return d == std::string::npos ? path : path.substr(d + 1);
}

std::string slugify(const std::string& s) {
  std::string o;
  for (char c : s) o += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return o;
}

void write_text(const std::string& path, const std::string& text) {
  rramsim::write_file_atomic(path, text);
}

// The gnuplot script: data paths relative to the script's own folder (d), so it runs from any
// working directory; each plot once as PNG and once as SVG.
class Script {
 public:
  explicit Script(bool cairo) : cairo_(cairo) {}
  void plot(const std::string& name, const std::string& title, const std::string& xl,
            const std::string& yl, bool logx, const std::string& extra, const std::string& cmd) {
    body_ += fmt("\n# %s\n", name.c_str());
    for (int t = 0; t < 2; ++t) {
      body_ += t ? "set terminal svg noenhanced size 1100,650 dynamic font 'sans,11'\n"
                 : (cairo_ ? "set terminal pngcairo noenhanced size 1100,650 font ',11'\n"
                           : "set terminal png noenhanced size 1100,650\n");
      body_ += fmt("set output d.'/%s.%s'\n", name.c_str(), t ? "svg" : "png");
      body_ +=
          "reset\nset key outside right top noenhanced box\nset grid\n"
          "set datafile commentschars '#'\n";
      body_ += logx ? "set logscale x\n" : "";
      body_ += extra.empty() ? "" : extra + "\n";
      body_ += fmt("set title \"%s\"\nset xlabel \"%s\"\nset ylabel \"%s\"\nplot %s\n",
                   esc(title).c_str(), esc(xl).c_str(), esc(yl).c_str(), cmd.c_str());
    }
  }
  std::string text(const std::string& src) const {
    return fmt("# gnuplot script written by rramsim plot %s from %s\n", cli_version(),
               src.c_str()) +
           "# Run from any folder: gnuplot path/to/plots.gp (data files are next to it).\n"
           "d = system(\"dirname '\".ARG0.\"'\")\n" +
           body_;
  }

 private:
  bool cairo_;
  std::string body_;
};

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

  // Points: mean and standard deviation over seeds of each (mode, system, operating point,
  // model, varied keys). Groups (one colour each): mode × system × model.
  std::vector<std::string> axes;  // varied key paths, in order of first appearance
  for (const rramsim::PointResult& r : rows)
    for (const auto& p : r.set)
      if (std::find(axes.begin(), axes.end(), p.first) == axes.end()) axes.push_back(p.first);
  auto set_value = [](const rramsim::PointResult& r, const std::string& path) {
    for (const auto& p : r.set)
      if (p.first == path) return p.second;
    return std::string();
  };
  std::map<std::string, size_t> pt_index;
  std::vector<Pt> pts;
  std::vector<std::string> groups, ops;
  for (const rramsim::PointResult& r : rows) {
    std::string setk;
    for (const auto& p : r.set) setk += ";" + p.first + "=" + p.second;
    const std::string k = r.mode + "|" + r.system + "|" + r.op_point + "|" + r.model + setk;
    auto it = pt_index.find(k);
    if (it == pt_index.end()) {
      it = pt_index.emplace(k, pts.size()).first;
      Pt p;
      p.group = group_name(r);
      p.op_point = r.op_point;
      for (const std::string& a : axes) p.axis_values.push_back(set_value(r, a));
      pts.push_back(p);
      if (std::find(groups.begin(), groups.end(), p.group) == groups.end())
        groups.push_back(p.group);
      if (std::find(ops.begin(), ops.end(), r.op_point) == ops.end()) ops.push_back(r.op_point);
    }
    Pt& p = pts[it->second];
    p.acc.add(100 * r.accuracy);
    p.ber.add(r.ber_observed);
    if (r.energy_per_image_pj >= 0) p.energy.add(r.energy_per_image_pj * 1e-3);
    if (r.latency_per_image_ns >= 0) p.latency.add(r.latency_per_image_ns * 1e-3);
    if (r.programming_energy_pj >= 0) p.prog.add(r.programming_energy_pj * 1e-6);
  }

  try {
    if (!rramsim::make_directories(out))
      throw std::runtime_error("--out " + out + ": " + std::strerror(errno));
    const bool cairo = have_pngcairo();
    Script sc(cairo);
    std::vector<std::string> written;
    // x/y of each point per group, error bars over seeds; Pareto front per group (no point of the
    // group both cheaper and more accurate).
    // One series (colour and point type) per group and operating point; each group's Pareto
    // front (no point of the group both cheaper and more accurate) as a dashed black line.
    auto scatter = [&](const std::string& name, const std::string& title, const std::string& xl,
                       Stat Pt::*xs, bool logx, bool front) {
      std::string dat, paretos, plot;
      size_t series = 0, fronts = 0;
      std::string fronts_plot;
      for (const std::string& g : groups) {
        std::vector<const Pt*> v;
        for (const Pt& p : pts)
          if (p.group == g && (p.*xs).n) v.push_back(&p);
        if (v.empty()) continue;
        std::sort(v.begin(), v.end(), [&](const Pt* a, const Pt* b) {
          return (a->*xs).mean() < (b->*xs).mean() ||
                 ((a->*xs).mean() == (b->*xs).mean() && a->acc.mean() > b->acc.mean());
        });
        for (const std::string& op : ops) {
          std::string block;
          for (const Pt* p : v)
            if (p->op_point == op)
              block += fmt("%.9g %.9g %.6g %.6g\n", (p->*xs).mean(), (p->*xs).sd(), p->acc.mean(),
                           p->acc.sd());
          if (block.empty()) continue;
          dat += block + "\n\n";
          const std::string t = ops.size() > 1 ? g + ": " + op : g;
          plot +=
              fmt("%sd.'/%s.dat' index %zu using 1:3:4 with yerrorbars lc %zu pt %zu ps 1.3 "
                  "title \"%s\"",
                  series ? ", " : "", name.c_str(), series, series + 1,
                  kPointTypes[series % kNPointTypes], esc(t).c_str());
          ++series;
        }
        if (front) {
          double best = -1;
          for (const Pt* p : v)
            if (p->acc.mean() > best) {
              paretos += fmt("%.9g %.6g\n", (p->*xs).mean(), p->acc.mean());
              best = p->acc.mean();
            }
          paretos += "\n\n";
          fronts_plot +=
              fmt(", d.'/%s_pareto.dat' index %zu using 1:2 with lines lw 1.5 dt %zu "
                  "lc rgb 'black' title \"Pareto front: %s\"",
                  name.c_str(), fronts, fronts % 4 + 2, esc(g).c_str());
          ++fronts;
        }
      }
      if (!series) return;  // nothing to draw: no plot
      // A log axis only where the values span more than a decade: on a narrower range gnuplot's
      // log autoscale widens to whole decades and squeezes every point against one edge.
      double xmin = 0, xmax = 0;
      bool first = true;
      for (const Pt& p : pts)
        if ((p.*xs).n) {
          const double x = (p.*xs).mean();
          if (first || x < xmin) xmin = x;
          if (first || x > xmax) xmax = x;
          first = false;
        }
      if (logx && !(xmin > 0 && xmax / xmin > 10)) logx = false;
      write_text(out + "/" + name + ".dat", dat);
      if (front) write_text(out + "/" + name + "_pareto.dat", paretos);
      sc.plot(name, title, xl, "accuracy (%), mean ± sd over seeds", logx,
              logx ? "" : "set offsets graph 0.05, graph 0.05, 0, 0", plot + fronts_plot);
      written.push_back(name);
    };
    scatter("accuracy_vs_energy", "Accuracy vs inference energy per image",
            "inference energy per image (nJ)", &Pt::energy, true, true);
    scatter("accuracy_vs_programming_energy", "Accuracy vs energy to program the weights",
            "programming energy (uJ)", &Pt::prog, true, true);
    scatter("accuracy_vs_ber", "Accuracy vs observed bit error rate",
            "observed BER (write + read errors per bit)", &Pt::ber, false, false);
    // Latency per operating point, timed rows only (functional mode has no timing): no plot
    // without them.
    {
      std::string dat;
      std::vector<std::string> titles;
      for (const std::string& g : groups) {
        std::string block;
        for (size_t oi = 0; oi < ops.size(); ++oi)
          for (const Pt& p : pts)
            if (p.group == g && p.op_point == ops[oi] && p.latency.n)
              block += fmt("%zu %.9g %.9g\n", oi, p.latency.mean(), p.latency.sd());
        if (block.empty()) continue;
        dat += block + "\n\n";
        titles.push_back(g);
      }
      if (!titles.empty()) {
        write_text(out + "/latency_vs_op_point.dat", dat);
        std::string xt = "set xtics (";
        for (size_t oi = 0; oi < ops.size(); ++oi)
          xt += fmt("%s\"%s\" %zu", oi ? ", " : "", esc(ops[oi]).c_str(), oi);
        xt += fmt(")\nset xrange [-0.5:%zu.5]", ops.size() - 1);
        std::string plot;
        for (size_t i = 0; i < titles.size(); ++i)
          plot +=
              fmt("%sd.'/latency_vs_op_point.dat' index %zu using 1:2:3 with yerrorbars lc "
                  "%zu pt %zu title \"%s\"",
                  i ? ", " : "", i, i + 1, kPointTypes[i % kNPointTypes], esc(titles[i]).c_str());
        sc.plot("latency_vs_op_point", "Inference latency per image by operating point",
                "operating point", "latency per image (us), mean ± sd over seeds", false, xt, plot);
        written.push_back("latency_vs_op_point");
      }
    }
    // Keys varied together ("vary_zip": each value of one goes with exactly one value of the
    // other) are one axis, drawn against its first key.
    std::vector<size_t> lead(axes.size());
    for (size_t k = 0; k < axes.size(); ++k) {
      lead[k] = k;
      for (size_t j = 0; j < k && lead[k] == k; ++j) {
        if (lead[j] != j) continue;
        std::map<std::string, std::string> fwd, back;
        bool one_to_one = true;
        for (const Pt& p : pts) {
          const std::string &a = p.axis_values[j], &b = p.axis_values[k];
          if ((fwd.count(a) && fwd[a] != b) || (back.count(b) && back[b] != a)) one_to_one = false;
          fwd[a] = b, back[b] = a;
        }
        if (one_to_one && fwd.size() > 1) lead[k] = j;
      }
    }
    // Accuracy and energy against each varied axis: one line per group and combination of the
    // other axes and operating point.
    for (size_t ai = 0; ai < axes.size(); ++ai) {
      if (lead[ai] != ai) continue;
      std::string with;  // the keys zipped with this one
      for (size_t k = 0; k < axes.size(); ++k)
        if (k != ai && lead[k] == ai) with += (with.empty() ? "" : ", ") + axes[k];
      std::vector<std::string> vals;
      bool numeric = true;
      for (const Pt& p : pts) {
        const std::string& v = p.axis_values[ai];
        if (std::find(vals.begin(), vals.end(), v) == vals.end()) vals.push_back(v);
        char* e = nullptr;
        std::strtod(v.c_str(), &e);
        if (v.empty() || *e) numeric = false;
      }
      if (numeric)
        std::sort(vals.begin(), vals.end(), [](const std::string& a, const std::string& b) {
          return std::strtod(a.c_str(), nullptr) < std::strtod(b.c_str(), nullptr);
        });
      std::map<std::string, std::vector<const Pt*>> series;
      std::vector<std::string> sorder;
      for (const Pt& p : pts) {
        std::string t = p.group;
        if (ops.size() > 1) t += ", " + p.op_point;
        for (size_t k = 0; k < axes.size(); ++k)
          if (k != ai && lead[k] != ai && lead[k] == k)
            t += ", " + short_key(axes[k]) + "=" + p.axis_values[k];
        if (!series.count(t)) sorder.push_back(t);
        series[t].push_back(&p);
      }
      const std::string slug = "vs_" + slugify(axes[ai]);
      for (int which = 0; which < 2; ++which) {
        const bool acc = which == 0;
        std::string dat, plot;
        size_t i = 0;
        for (const std::string& t : sorder) {
          std::vector<const Pt*> v = series[t];
          std::string block;
          for (size_t vi = 0; vi < vals.size(); ++vi)
            for (const Pt* p : v)
              if (p->axis_values[ai] == vals[vi]) {
                const Stat& st = acc ? p->acc : p->energy;
                if (!st.n) continue;
                block +=
                    fmt("%s %.9g %.9g\n", numeric ? vals[vi].c_str() : std::to_string(vi).c_str(),
                        st.mean(), st.sd());
              }
          if (block.empty()) continue;
          dat += block + "\n\n";
          plot +=
              fmt("%sd.'/%s_%s.dat' index %zu using 1:2:3 with yerrorlines lc %zu pt %zu "
                  "title \"%s\"",
                  i ? ", " : "", acc ? "accuracy" : "energy", slug.c_str(), i, i + 1,
                  kPointTypes[i % kNPointTypes], esc(t).c_str());
          ++i;
        }
        if (!i) continue;
        const std::string name = std::string(acc ? "accuracy_" : "energy_") + slug;
        write_text(out + "/" + name + ".dat", dat);
        // Every value is a tick (labelled with the zipped keys' values too); legend below the plot.
        std::string xt =
            "set key outside below left Left reverse noenhanced box\nset offsets graph 0.08, graph "
            "0.08, 0, 0\nset xtics (";
        for (size_t vi = 0; vi < vals.size(); ++vi) {
          std::string label = vals[vi];
          for (const Pt& p : pts)
            if (p.axis_values[ai] == vals[vi]) {
              for (size_t k = 0; k < axes.size(); ++k)
                if (k != ai && lead[k] == ai) label += " / " + p.axis_values[k];
              break;
            }
          xt += fmt("%s\"%s\" %s", vi ? ", " : "", esc(label).c_str(),
                    numeric ? vals[vi].c_str() : std::to_string(vi).c_str());
        }
        xt += ")";
        if (!numeric) xt += fmt("\nset xrange [-0.5:%zu.5]", vals.size() - 1);
        const std::string xl = with.empty() ? axes[ai] : axes[ai] + " / " + with + " (zipped)";
        // The title names the axis; no x label (it would crowd the legend below).
        sc.plot(name, std::string(acc ? "Accuracy" : "Inference energy per image") + " vs " + xl,
                "",
                acc ? "accuracy (%), mean ± sd over seeds"
                    : "inference energy per image (nJ), mean ± sd over seeds",
                false, xt, plot);
        written.push_back(name);
      }
    }
    const std::string gp = out + "/plots.gp";
    write_text(gp, sc.text(src));
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
    // gnuplot widens a range of one value itself and says so: not worth a message.
    std::string shown;
    for (size_t pos = 0; pos < msgs.size();) {
      size_t nl = msgs.find('\n', pos);
      if (nl == std::string::npos) nl = msgs.size() - 1;
      const std::string l = msgs.substr(pos, nl + 1 - pos);
      if (l.find("Warning: empty ") == std::string::npos) shown += l;
      pos = nl + 1;
    }
    if (!shown.empty()) std::fprintf(stderr, "%s", shown.c_str());
    // gnuplot exits 0 when it cannot write a figure (a full disk): check that each one is there.
    for (const std::string& name : written)
      for (const char* ext : {"png", "svg"}) {
        const std::string fig = out + "/" + name + "." + ext;
        struct stat fst;
        if (stat(fig.c_str(), &fst) != 0 || fst.st_size == 0)
          throw std::runtime_error(fig + ": gnuplot wrote nothing (disk full?)");
      }
    for (const std::string& name : written)
      std::printf("wrote %s/%s.png (%s), %s/%s.svg\n", out.c_str(), name.c_str(),
                  cairo ? "pngcairo" : "png", out.c_str(), name.c_str());
  } catch (const std::exception& ex) {
    return cli_error(kCmd, "%s", ex.what());
  }
  return CLI_EXIT_OK;
}
