// cmd_sweep.cpp — `rramsim sweep`: an experiment grid, one result row per point, resumable,
// shardable across processes or machines (GNU parallel, Slurm job arrays), and merging shards.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <jansson.h>

#include "bnn/input.h"
#include "bnn/durable.h"
#include "output.h"
#include "cli.h"
#include "commands.h"
#include "rramsim/config_experiment.hpp"
#include "rramsim/point.hpp"
#include "rramsim/stats.hpp"

namespace {

const char* const kCmd = "sweep";

void usage(FILE* f) {
  std::fprintf(
      f,
      "usage: rramsim sweep EXPERIMENT.json --out DIR [--shard i/N] [--models A,B] [--quiet]\n"
      "       rramsim sweep --merge DIR\n\n"
      "Runs every point of an experiment grid (systems x operating points x models x seeds; see\n"
      "configs/README.md) in mode 'functional' (device error rates on host memory, no timing) or\n"
      "'timed' (the SystemC system, one child process per point) and appends one row per point to\n"
      "DIR/results.jsonl and DIR/results.csv. Points already in the file are skipped, so a killed\n"
      "sweep resumes where it stopped (a half-written last row is dropped and redone).\n\n"
      "  --out DIR        result directory (created)\n"
      "  --shard i/N      run only points with index %% N == i (0 <= i < N) into\n"
      "                   DIR/results.shard-i-of-N.{jsonl,csv}; for job arrays and GNU parallel\n"
      "  --models A,B     use these model files instead of the experiment's \"models\"\n"
      "  --merge DIR      join DIR/results.shard-*.jsonl into DIR/results.{jsonl,csv}, each point "
      "once\n"
      "  --quiet          no progress bar (--no-progress: deprecated spelling)\n");
}

struct Point {
  size_t index;
  rramsim::PointSpec spec;
  std::string key;  // filled once the system is loaded
};

// Parses "i/N" with 0 <= i < N.
bool parse_shard(const char* s, unsigned* i, unsigned* n) {
  char* end = nullptr;
  errno = 0;
  unsigned long a = std::strtoul(s, &end, 10);
  if (end == s || *end != '/' || errno) return false;
  const char* q = end + 1;
  unsigned long b = std::strtoul(q, &end, 10);
  if (end == q || *end || errno || b == 0 || b > 1000000 || a >= b) return false;
  *i = static_cast<unsigned>(a), *n = static_cast<unsigned>(b);
  return true;
}

// Reads a results file: complete rows into `rows` (in order). A last line without its newline,
// or one that does not parse, is what a killed writer leaves: it is cut off (the file truncated
// to the last complete row) and reported. A bad row before the last is an error.
void read_results(const std::string& path, std::vector<std::string>* rows, bool repair,
                  std::string* note) {
  FILE* f = nullptr;
  if (bnn_input_fopen(path.c_str(), 0, &f, nullptr) != BNN_OK) {
    if (errno == ENOENT) return;
    throw rramsim::Error(bnn_errmsg());
  }
  std::string text;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  std::fclose(f);
  size_t pos = 0, line_no = 0, good_end = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    ++line_no;
    const bool complete = nl != std::string::npos;
    std::string line = text.substr(pos, complete ? nl - pos : std::string::npos);
    rramsim::PointResult r;
    const bool ok = !line.empty() && rramsim::row_from_json(line, &r);
    const bool last = !complete || nl + 1 == text.size();
    if (ok && complete) {
      rows->push_back(line);
      good_end = nl + 1;
    } else if (last) {
      if (!repair)
        throw rramsim::Error(path + ":" + std::to_string(line_no) +
                             ": half-written last row (a killed sweep?); rerun the sweep on this "
                             "directory to recover it");
      if (truncate(path.c_str(), static_cast<off_t>(good_end)) != 0)
        throw rramsim::Error(
            path + ": cannot truncate the half-written last row: " + std::strerror(errno));
      *note = path + ":" + std::to_string(line_no) + ": dropped a half-written last row (" +
              std::to_string(text.size() - good_end) + " bytes); its point runs again";
      break;
    } else {
      throw rramsim::Error(path + ":" + std::to_string(line_no) + ": not a result row");
    }
    pos = nl + 1;
  }
}

// Rewrites the CSV from the JSON rows (atomically), so it never holds a half row.
void write_csv(const std::string& path, const std::vector<std::string>& rows,
               const std::string& header_note) {
  std::string text = "# " + header_note + "\n" + rramsim::csv_header() + "\n";
  for (const std::string& l : rows) {
    rramsim::PointResult r;
    if (rramsim::row_from_json(l, &r)) text += rramsim::row_csv(r) + "\n";
  }
  rramsim::write_file_atomic(path, text);
}

void append_row(const std::string& path, const std::string& line) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) throw rramsim::Error(path + ": " + std::strerror(errno));
  std::string l = line + "\n";
  ssize_t w = write(fd, l.data(), l.size());
  if (w != static_cast<ssize_t>(l.size()) || fsync(fd) != 0) {
    int e = errno;
    close(fd);
    throw rramsim::Error(path + ": write failed: " + std::strerror(e));
  }
  close(fd);
}

// Runs a timed point in a child process (SystemC allows one elaboration per process) and reads
// its row back through a pipe.
rramsim::PointResult timed_in_child(const rramsim::PointSpec& s, const rramsim::SystemConfig& cfg,
                                    const bnn_model* m, const bnn_dataset& ds, double clean) {
  int fds[2];
  if (pipe(fds) != 0) throw rramsim::Error(std::string("pipe: ") + std::strerror(errno));
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0) throw rramsim::Error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    close(fds[0]);
    std::string msg;
    int code = 0;
    try {
      msg = "R" + rramsim::row_json(rramsim::run_timed(s, cfg, m, ds, clean, nullptr));
    } catch (const std::exception& ex) {
      msg = std::string("E") + ex.what();
      code = 1;
    }
    size_t off = 0;
    while (off < msg.size()) {
      ssize_t w = write(fds[1], msg.data() + off, msg.size() - off);
      if (w <= 0) break;
      off += static_cast<size_t>(w);
    }
    close(fds[1]);
    std::_Exit(code);
  }
  close(fds[1]);
  std::string msg;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) msg.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (msg.empty() || (msg[0] != 'R' && msg[0] != 'E'))
    throw rramsim::Error(s.model_path + " on " + cfg.name + "/" + cfg.op().name +
                         ": the timed run died (status " + std::to_string(status) + ")");
  if (msg[0] == 'E') throw rramsim::Error(msg.substr(1));
  rramsim::PointResult r;
  if (!rramsim::row_from_json(msg.substr(1), &r))
    throw rramsim::Error("timed run returned a malformed row");
  return r;
}

int merge(const std::string& dir, bool quiet) {
  DIR* d = opendir(dir.c_str());
  if (!d) return cli_error(kCmd, "--merge %s: %s", dir.c_str(), std::strerror(errno));
  std::vector<std::string> files;
  while (dirent* de = readdir(d)) {
    std::string n = de->d_name;
    if (n.rfind("results.shard-", 0) == 0 && n.size() > 6 &&
        n.compare(n.size() - 6, 6, ".jsonl") == 0)
      files.push_back(dir + "/" + n);
  }
  closedir(d);
  std::sort(files.begin(), files.end());
  if (files.empty())
    return cli_error(kCmd, "--merge %s: no results.shard-*.jsonl files", dir.c_str());
  std::vector<std::string> merged;
  std::set<std::string> seen;
  size_t dup = 0;
  try {
    // Rows already merged come first, so merging again after more shards finish adds only new
    // points.
    std::vector<std::string> prior;
    std::string note;
    read_results(dir + "/results.jsonl", &prior, false, &note);
    files.insert(files.begin(), "");
    for (const std::string& f : files) {
      std::vector<std::string> rows;
      if (f.empty())
        rows = prior;
      else
        read_results(f, &rows, false, &note);
      for (const std::string& l : rows) {
        rramsim::PointResult r;
        rramsim::row_from_json(l, &r);
        if (seen.insert(rramsim::point_key(r)).second)
          merged.push_back(l);
        else
          ++dup;
      }
    }
    std::string text;
    for (const std::string& l : merged) text += l + "\n";
    rramsim::write_file_atomic(dir + "/results.jsonl", text);
    write_csv(dir + "/results.csv", merged, std::string("rramsim sweep --merge ") + cli_version());
  } catch (const std::exception& ex) {
    return cli_error(kCmd, "%s", ex.what());
  }
  (void)quiet;
  std::printf(
      "merged %zu shard file%s: %zu points into %s/results.{jsonl,csv}; %zu duplicate row%s "
      "skipped\n",
      files.size() - 1, files.size() == 2 ? "" : "s", merged.size(), dir.c_str(), dup,
      dup == 1 ? "" : "s");
  return CLI_EXIT_OK;
}

}  // namespace

extern "C" int cli_cmd_sweep(int argc, char** argv) {
  std::string exp_path, out_dir, merge_dir, models_override;
  unsigned shard_i = 0, shard_n = 1;
  bool sharded = false, quiet = false;
  auto option = [&](const char* a, const char* v) -> cli_opt_result {
    if (!a) {
      if (!exp_path.empty()) return CLI_OPT_UNKNOWN; /* "unexpected argument" */
      exp_path = v;
    } else if (!std::strcmp(a, "--quiet"))
      quiet = true;
    else if (!std::strcmp(a, "--out"))
      out_dir = v;
    else if (!std::strcmp(a, "--merge"))
      merge_dir = v;
    else if (!std::strcmp(a, "--models"))
      models_override = v;
    else if (!std::strcmp(a, "--shard")) {
      if (!parse_shard(v, &shard_i, &shard_n))
        return cli_usage_error(kCmd, "--shard: expected i/N with 0 <= i < N (e.g. 0/4), got '%s'",
                               v),
               CLI_OPT_BAD;
      sharded = true;
    } else
      return CLI_OPT_UNKNOWN;
    return CLI_OPT_TAKEN;
  };
  static const cli_option opts[] = {
      {"out", 1, nullptr, nullptr},    {"merge", 1, nullptr, nullptr},
      {"models", 1, nullptr, nullptr}, {"shard", 1, nullptr, nullptr},
      {"quiet", 0, nullptr, nullptr},  {"no-progress", 0, nullptr, "quiet"},
      {nullptr, 0, nullptr, nullptr}};
  {
    int prc = CLI_EXIT_OK;
    if (!cli_parse_options_with(kCmd, argc, argv, 1, opts, option, usage, &prc)) return prc;
  }
  if (!merge_dir.empty()) {
    if (!exp_path.empty() || !out_dir.empty() || sharded)
      return cli_usage_error(kCmd, "--merge DIR takes no experiment file, --out or --shard");
    return merge(merge_dir, quiet);
  }
  if (exp_path.empty()) return cli_usage_error(kCmd, "an experiment file is required");
  if (out_dir.empty()) return cli_usage_error(kCmd, "--out DIR is required");

  bnn_dataset ds{};
  std::vector<rramsim::ModelPtr> models;
  try {
    rramsim::Experiment e = rramsim::load_experiment(exp_path);
    if (!models_override.empty()) {
      e.models.clear();
      size_t p = 0;
      while (p <= models_override.size()) {
        size_t c = models_override.find(',', p);
        if (c == std::string::npos) c = models_override.size();
        if (c > p) e.models.push_back(models_override.substr(p, c - p));
        p = c + 1;
      }
    }
    // Validate every point before running any: systems, operating points, models, data shape,
    // capacity.
    std::vector<rramsim::SystemConfig> systems;
    for (const std::string& sp : e.systems)
      systems.push_back(rramsim::load_system(sp, "", false, 0));
    // The experiment's error map replaces each system's own; it must fit every organisation.
    if (!e.error_map.empty())
      for (size_t si = 0; si < systems.size(); ++si) {
        try {
          systems[si].error_map = rramsim::load_error_map(e.error_map, systems[si].org);
        } catch (const std::exception& ex) {
          throw rramsim::Error(exp_path + ": error_map (system " + e.systems[si] +
                               "): " + ex.what());
        }
      }
    for (const std::string& mp : e.models) models.push_back(rramsim::load_model(mp));
    rramsim::open_data(&ds, e.data, e.images, models[0].get(), e.models[0]);
    for (size_t k = 1; k < models.size(); ++k) {
      bnn_dataset probe{};
      rramsim::open_data(&probe, e.data, 1, models[k].get(), e.models[k]);
      bnn_dataset_free(&probe);
    }
    struct Grid {
      size_t sys, model;
      rramsim::SystemConfig cfg;
      rramsim::PointSpec spec;
    };
    std::vector<Grid> grid;
    for (size_t si = 0; si < systems.size(); ++si) {
      std::vector<std::string> ops = e.op_points;
      if (e.all_op_points)
        for (size_t k = 0; k < systems[si].device.n_points; ++k)
          ops.push_back(systems[si].device.points[k].name);
      if (ops.empty()) ops.push_back(systems[si].op().name);
      for (const std::string& op : ops) {
        rramsim::SystemConfig cfg = systems[si];
        rramsim::select_op_point(cfg, op, e.path + ": op_points");
        for (size_t mi = 0; mi < models.size(); ++mi) {
          rramsim::PlacementParams pp;
          pp.rram_layer_mask = e.rram_layer_mask;
          rramsim::place_model(models[mi].get(), e.models[mi], cfg, pp);
          for (uint64_t seed : e.seeds) {
            Grid g{si, mi, cfg, {}};
            g.cfg.seed = seed;
            g.spec.mode = e.mode;
            g.spec.system_path = e.systems[si];
            g.spec.op_point = op;
            g.spec.model_path = e.models[mi];
            g.spec.data = e.data;
            g.spec.images = e.images;
            g.spec.weight_reuse = e.weight_reuse;
            g.spec.seed = seed;
            g.spec.rram_layer_mask = e.rram_layer_mask;
            g.spec.threads = e.threads;
            grid.push_back(g);
          }
        }
      }
    }
    const std::string stem =
        out_dir + "/results" +
        (sharded ? ".shard-" + std::to_string(shard_i) + "-of-" + std::to_string(shard_n)
                 : std::string());
    const std::string jsonl = stem + ".jsonl", csv = stem + ".csv";
    // The output discipline (output.h): what this run creates goes again if it fails, and one
    // writer per results file (two sweeps on one --out used to run and append every point twice).
    if (!cli_output_claim(kCmd, "--out", out_dir.c_str()) ||
        !cli_output_claim(kCmd, "--out", jsonl.c_str()) ||
        !cli_output_claim(kCmd, "--out", csv.c_str())) {
      bnn_dataset_free(&ds);
      return CLI_EXIT_FAIL;
    }
    if (!rramsim::make_directories(out_dir))
      throw rramsim::Error("--out " + out_dir +
                           ": cannot create directory: " + std::strerror(errno));
    if (!cli_output_lock_file(kCmd, "--out", jsonl.c_str())) {
      bnn_dataset_free(&ds);
      return CLI_EXIT_FAIL;
    }
    std::vector<std::string> rows;
    std::string note;
    read_results(jsonl, &rows, true, &note);
    if (!note.empty()) std::fprintf(stderr, "rramsim sweep: %s\n", note.c_str());
    std::set<std::string> done;
    for (const std::string& l : rows) {
      rramsim::PointResult r;
      rramsim::row_from_json(l, &r);
      done.insert(rramsim::point_key(r));
    }
    // Keys need the resolved names: a point's key is mode|system|op|model|seed|images|reuse.
    std::vector<size_t> todo;
    size_t mine = 0;
    for (size_t k = 0; k < grid.size(); ++k) {
      if (k % shard_n != shard_i) continue;
      ++mine;
      rramsim::PointResult probe;
      probe.mode = e.mode;
      probe.system = grid[k].cfg.name;
      probe.op_point = grid[k].cfg.op().name;
      probe.model = grid[k].spec.model_path;
      probe.seed = grid[k].spec.seed;
      probe.images = ds.n;
      probe.weight_reuse = e.weight_reuse;
      probe.error_map = grid[k].cfg.error_map ? grid[k].cfg.error_map->path : "";
      if (!done.count(rramsim::point_key(probe))) todo.push_back(k);
    }
    const std::string header =
        std::string("rramsim sweep ") + cli_version() + ", experiment " + exp_path + ", mode " +
        e.mode + ", " + std::to_string(grid.size()) + " points" +
        (sharded ? ", shard " + std::to_string(shard_i) + "/" + std::to_string(shard_n) : "");
    std::printf("%s: %zu point%s in this share, %zu already done, %zu to run -> %s\n",
                exp_path.c_str(), mine, mine == 1 ? "" : "s", mine - todo.size(), todo.size(),
                jsonl.c_str());
    std::fflush(stdout);             // before the progress lines on stderr
    std::map<size_t, double> clean;  // per model
    cli_progress prog;
    cli_progress_start(&prog, "sweep", todo.size(), !quiet);
    size_t n_done = 0;
    for (size_t k : todo) {
      const Grid& g = grid[k];
      if (!clean.count(g.model))
        clean[g.model] = rramsim::clean_accuracy(models[g.model].get(), ds, e.threads);
      rramsim::PointResult r =
          e.mode == "timed"
              ? timed_in_child(g.spec, g.cfg, models[g.model].get(), ds, clean[g.model])
              : rramsim::run_functional(g.spec, g.cfg, models[g.model].get(), ds, clean[g.model]);
      const std::string line = rramsim::row_json(r);
      append_row(jsonl, line);
      rows.push_back(line);
      write_csv(csv, rows, header);
      char msg[160];
      std::snprintf(msg, sizeof msg, "%s/%s acc %.2f %%", r.system.c_str(), r.op_point.c_str(),
                    100 * r.accuracy);
      cli_progress_update(&prog, ++n_done, "pt", msg);
    }
    cli_progress_finish(&prog, "pt", nullptr);
    write_csv(csv, rows, header);
    std::printf("%zu rows in %s and %s\n", rows.size(), jsonl.c_str(), csv.c_str());
  } catch (const std::exception& ex) {
    bnn_dataset_free(&ds);
    return cli_error(kCmd, "%s", ex.what());
  }
  bnn_dataset_free(&ds);
  return CLI_EXIT_OK;
}
