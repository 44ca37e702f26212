// cmd_sweep.cpp — `rramsim sweep`: an experiment grid, one result row per point, resumable,
// shardable across processes or machines (GNU parallel, Slurm job arrays), and merging shards.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
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
// Combinations of an experiment's "vary" axes at most (their product must not wrap around).
constexpr size_t kMaxCombinations = 100000000;

void usage(FILE* f) {
  std::fprintf(
      f,
      "usage: rramsim sweep EXPERIMENT.json --out DIR [--shard i/N] [--models A,B] [--set P=V]...\n"
      "                     [--allow] [--quiet]\n"
      "       rramsim sweep --merge DIR\n\n"
      "Runs every point of an experiment grid (systems x operating points x models x seeds; see\n"
      "configs/README.md) in mode 'functional' (device error rates on host memory, no timing) or\n"
      "'timed' (the SystemC system, one child process per point) and appends one row per point to\n"
      "DIR/results.jsonl and DIR/results.csv (plain CSV; what wrote it in DIR/results.json). "
      "Points\n"
      "already in the file are skipped, so a killed sweep resumes where it stopped (a "
      "half-written\n"
      "last row is dropped and redone).\n\n"
      "  --out DIR        result directory (created)\n"
      "  --shard i/N      run only points with index %% N == i (0 <= i < N) into\n"
      "                   DIR/results.shard-i-of-N.{jsonl,csv}; for job arrays and GNU parallel\n"
      "  --models A,B     use these model files instead of the experiment's \"models\"\n"
      "  --set PATH=VAL   set a system key by JSON path in every system (repeatable; e.g.\n"
      "                   organisation.queue_depth=8); recorded in each row's \"set\"\n"
      "  --allow          run a functional sweep over an axis functional mode cannot see (a\n"
      "                   warning instead of an error)\n"
      "  --merge DIR      join the shards of one N-way split into DIR/results.{jsonl,csv} in grid\n"
      "                   order; refuses a missing or incomplete shard and mixed splits\n"
      "  --quiet          no progress bar (--no-progress: deprecated spelling)\n");
}

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

// Reads a results file: complete rows into `rows` (in order) and, parsed, into `parsed`. A last
// line without its newline, or one that does not parse, is what a killed writer leaves: it is cut
// off (the file truncated to the last complete row) and reported. A bad row before the last is an
// error.
void read_results(const std::string& path, std::vector<std::string>* rows,
                  std::vector<rramsim::PointResult>* parsed, bool repair, std::string* note) {
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
      parsed->push_back(std::move(r));
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

// The varied keys (JSON paths of "vary" and --set) of the rows, in order of first appearance.
std::vector<std::string> set_columns(const std::vector<rramsim::PointResult>& rows) {
  std::vector<std::string> cols;
  for (const rramsim::PointResult& r : rows) {
    for (const auto& p : r.set)
      if (std::find(cols.begin(), cols.end(), p.first) == cols.end()) cols.push_back(p.first);
  }
  return cols;
}

std::string csv_quote(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}

std::string csv_columns(const std::vector<std::string>& set_cols) {
  std::string h = rramsim::csv_header();
  for (const std::string& c : set_cols) h += "," + csv_quote(c);
  return h;
}

// Rewrites the CSV from the JSON rows, parsed (atomically, so it never holds a half row). The CSV
// is plain (header line, then rows) so that tools read it with their defaults; what wrote it goes
// to the sidecar JSON next to it. Every varied key is one more column (its value; a string without
// its JSON quotes).
void write_csv(const std::string& path, const std::vector<rramsim::PointResult>& rows) {
  const std::vector<std::string> cols = set_columns(rows);
  std::string text = csv_columns(cols) + "\n";
  for (const rramsim::PointResult& r : rows) {
    text += rramsim::row_csv(r);
    for (const std::string& c : cols) {
      std::string v;
      for (const auto& p : r.set)
        if (p.first == c) v = p.second;
      if (v.size() >= 2 && v[0] == '"') {
        json_t* j = json_loads(v.c_str(), JSON_DECODE_ANY, nullptr);
        if (json_is_string(j)) v = json_string_value(j);
        json_decref(j);
      }
      text += "," + csv_quote(v);
    }
    text += "\n";
  }
  rramsim::write_file_atomic(path, text);
}

// The results file a sweep appends to, open for the whole sweep. A row is one write: the kernel
// holds it once written, so a killed sweep (kill -9, a Slurm time limit) keeps every row it
// finished. Rows are synced to disk (fsync) at most once a second and when the sweep ends, not per
// row (a sync costs ~5-10 ms here, ~10 % of a 60 ms point): a power cut loses at most the last
// second's rows, whose points run again on resume (a torn last row is dropped).
class RowAppender {
 public:
  explicit RowAppender(std::string path) : path_(std::move(path)) {
    fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) throw rramsim::Error(path_ + ": " + std::strerror(errno));
  }
  ~RowAppender() {
    if (dirty_) (void)fsync(fd_);  // a failing sweep keeps its finished rows: best effort
    close(fd_);
  }
  RowAppender(const RowAppender&) = delete;
  RowAppender& operator=(const RowAppender&) = delete;

  void append(const std::string& line) {
    const std::string l = line + "\n";
    if (write(fd_, l.data(), l.size()) != static_cast<ssize_t>(l.size()))
      throw rramsim::Error(path_ + ": write failed: " + std::strerror(errno));
    dirty_ = true;
    if (std::chrono::steady_clock::now() - synced_ >= std::chrono::seconds(1)) sync();
  }
  void sync() {
    if (dirty_ && fsync(fd_) != 0)
      throw rramsim::Error(path_ + ": write failed: " + std::strerror(errno));
    dirty_ = false;
    synced_ = std::chrono::steady_clock::now();
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool dirty_ = false;
  std::chrono::steady_clock::time_point synced_ = std::chrono::steady_clock::now();
};

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

// The sidecar of a result file (results[.shard-i-of-N].json): what wrote it and, for a shard,
// the grid points of its share (grid index and key), so a merge can tell a missing, incomplete
// or differently-split shard and put the rows back in grid order. Earlier runs into the same file
// with a different grid are kept under "runs" (never silently replaced).
struct Share {
  std::string experiment, tool;
  size_t grid_points = 0;
  std::string grid_hash;
  std::vector<std::pair<size_t, std::string>> points;  // (grid index, key), increasing index
};

std::string grid_hash(const std::vector<std::string>& keys) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a 64 over the keys in grid order
  for (const std::string& k : keys) {
    for (unsigned char x : k) h = (h ^ x) * 1099511628211ull;
    h = (h ^ '\n') * 1099511628211ull;
  }
  char b[32];
  std::snprintf(b, sizeof b, "fnv1a64:%016llx", static_cast<unsigned long long>(h));
  return b;
}

struct JsonDel {
  void operator()(json_t* j) const { json_decref(j); }
};
using Json = std::unique_ptr<json_t, JsonDel>;

json_t* run_json(const std::string& tool, const std::string& experiment, const std::string& mode,
                 size_t grid_points, const std::string& hash, const std::string& shard) {
  json_t* r = json_object();
  json_object_set_new(r, "tool", json_string(tool.c_str()));
  json_object_set_new(r, "experiment", json_string(experiment.c_str()));
  json_object_set_new(r, "mode", json_string(mode.c_str()));
  json_object_set_new(r, "grid_points", json_integer(static_cast<json_int_t>(grid_points)));
  json_object_set_new(r, "grid_hash", json_string(hash.c_str()));
  if (!shard.empty()) json_object_set_new(r, "shard", json_string(shard.c_str()));
  return r;
}

// Writes the sidecar: "runs" (this run last; an earlier run with another grid kept before it),
// "columns" (the CSV's, with what a missing value means) and, for a shard, "points".
void write_sidecar(const std::string& path, json_t* this_run, const Share* share,
                   const std::string& columns) {
  Json old(json_load_file(path.c_str(), 0, nullptr));
  Json o(json_object());
  json_t* runs = json_array();
  json_object_set_new(o.get(), "format", json_string("rramsim sweep results sidecar 1"));
  json_object_set_new(o.get(), "runs", runs);
  const char* h = json_string_value(json_object_get(this_run, "grid_hash"));
  if (old)
    if (json_t* prev = json_object_get(old.get(), "runs")) {
      size_t i;
      json_t* r;
      json_array_foreach(prev, i, r) {
        const char* ph = json_string_value(json_object_get(r, "grid_hash"));
        if (ph && h && std::strcmp(ph, h) != 0) json_array_append(runs, r);
      }
    }
  json_array_append_new(runs, this_run);
  json_object_set_new(o.get(), "csv_columns", json_string(columns.c_str()));
  json_object_set_new(o.get(), "csv_missing",
                      json_string("an empty field = not modelled in that mode (JSON rows: -1)"));
  if (share) {
    json_t* pts = json_array();
    for (const auto& p : share->points) {
      json_t* x = json_array();
      json_array_append_new(x, json_integer(static_cast<json_int_t>(p.first)));
      json_array_append_new(x, json_string(p.second.c_str()));
      json_array_append_new(pts, x);
    }
    json_object_set_new(o.get(), "points", pts);
  }
  rramsim::write_file_atomic(path, rramsim::json_text(o.get(), JSON_INDENT(1)) + "\n");
}

// Reads a shard's sidecar; false if it does not exist. Throws Error naming the file if malformed.
bool read_share(const std::string& path, Share* s) {
  json_error_t err;
  Json o(json_load_file(path.c_str(), 0, &err));
  if (!o) {
    if (access(path.c_str(), F_OK) != 0) return false;
    throw rramsim::Error(path + ": not a sweep sidecar (" + err.text + ")");
  }
  json_t* runs = json_object_get(o.get(), "runs");
  json_t* pts = json_object_get(o.get(), "points");
  json_t* last = json_array_get(runs, json_array_size(runs) - 1);
  if (!json_is_object(last) || !json_is_array(pts) ||
      !json_is_integer(json_object_get(last, "grid_points")) ||
      !json_is_string(json_object_get(last, "grid_hash")))
    throw rramsim::Error(path +
                         ": not a sweep shard sidecar (runs[-1].grid_points, grid_hash and "
                         "points expected)");
  s->grid_points = static_cast<size_t>(json_integer_value(json_object_get(last, "grid_points")));
  s->grid_hash = json_string_value(json_object_get(last, "grid_hash"));
  const char* ex = json_string_value(json_object_get(last, "experiment"));
  s->experiment = ex ? ex : "";
  size_t i;
  json_t* p;
  json_array_foreach(pts, i, p) {
    json_t* k = json_array_get(p, 1);
    if (!json_is_integer(json_array_get(p, 0)) || !json_is_string(k))
      throw rramsim::Error(path + ": points[" + std::to_string(i) + "]: expected [index, key]");
    s->points.emplace_back(static_cast<size_t>(json_integer_value(json_array_get(p, 0))),
                           json_string_value(k));
  }
  return true;
}

// Joins the shard files of one N-way split into results.{jsonl,csv,json}, rows in grid order.
// Refuses (one line naming the file) a half-written or bad row, files of different splits, a
// missing shard and an incomplete shard.
int merge(const std::string& dir, bool quiet) {
  DIR* d = opendir(dir.c_str());
  if (!d) return cli_error(kCmd, "--merge %s: %s", dir.c_str(), std::strerror(errno));
  std::map<unsigned, std::map<unsigned, std::string>> splits;  // N -> i -> stem
  while (dirent* de = readdir(d)) {
    const std::string n = de->d_name;
    unsigned i = 0, N = 0;
    int used = 0;
    if (std::sscanf(n.c_str(), "results.shard-%u-of-%u.%n", &i, &N, &used) != 2 || used == 0)
      continue;
    const std::string ext = n.substr(static_cast<size_t>(used));
    if (ext != "jsonl" && ext != "json") continue;
    if (N == 0 || i >= N ||
        n != "results.shard-" + std::to_string(i) + "-of-" + std::to_string(N) + "." + ext)
      continue;
    splits[N][i] = dir + "/results.shard-" + std::to_string(i) + "-of-" + std::to_string(N);
  }
  closedir(d);
  if (splits.empty())
    return cli_error(kCmd, "--merge %s: no results.shard-*.jsonl files", dir.c_str());
  std::vector<rramsim::PointResult> merged;
  size_t n_files = 0;
  try {
    if (splits.size() > 1) {
      auto a = splits.begin(), b = std::next(a);
      throw rramsim::Error("--merge " + dir + ": " + b->second.begin()->second +
                           ".jsonl is a shard of a " + std::to_string(b->first) +
                           "-way split but " + a->second.begin()->second + ".jsonl of a " +
                           std::to_string(a->first) +
                           "-way one: remove the files of one split (mixed splits never merge)");
    }
    const unsigned N = splits.begin()->first;
    const auto& stems = splits.begin()->second;
    // One merge per directory, and none while a shard of it runs: the merge holds the lock of
    // results.jsonl (an unsharded sweep's) and a shared lock on every shard file it reads
    // (against the exclusive lock a running shard holds: sweep --out; taken read-only, so
    // read-only shard files merge) until it exits; a second merge (refused at results.jsonl) or
    // a shard started meanwhile is refused, as is this merge while another holds one of them.
    const std::string out = dir + "/results";
    for (const char* ext : {".jsonl", ".csv", ".json"})
      if (!cli_output_claim(kCmd, "--merge", (out + ext).c_str())) return CLI_EXIT_FAIL;
    if (!cli_output_lock_file(kCmd, "--merge", (out + ".jsonl").c_str())) return CLI_EXIT_FAIL;
    for (const auto& st : stems) {
      const std::string jsonl = st.second + ".jsonl";
      if (access(jsonl.c_str(), F_OK) == 0 && !cli_input_lock_file(kCmd, "--merge", jsonl.c_str()))
        return CLI_EXIT_FAIL;
    }
    // Rows of every present shard first (a bad or half-written row is reported as such).
    std::map<unsigned, std::vector<std::string>> rows;
    std::map<unsigned, std::vector<rramsim::PointResult>> parsed;
    for (const auto& st : stems) {
      std::string note;
      read_results(st.second + ".jsonl", &rows[st.first], &parsed[st.first], false, &note);
    }
    for (unsigned i = 0; i < N; ++i)
      if (!stems.count(i))
        throw rramsim::Error("--merge " + dir + ": " + dir + "/results.shard-" + std::to_string(i) +
                             "-of-" + std::to_string(N) + ".jsonl is missing (shard " +
                             std::to_string(i) + " of " + std::to_string(N) +
                             " never ran: run --shard " + std::to_string(i) + "/" +
                             std::to_string(N) + ")");
    // Grid index -> (shard, row of that shard); shard N: no row yet.
    std::vector<std::pair<unsigned, size_t>> by_index;
    Share first;
    std::string first_file;
    for (const auto& st : stems) {
      const std::string jsonl = st.second + ".jsonl", side = st.second + ".json";
      Share s;
      if (!read_share(side, &s))
        throw rramsim::Error(jsonl + ": no sidecar " + side +
                             " (written by an older rramsim?): rerun --shard " +
                             std::to_string(st.first) + "/" + std::to_string(N) +
                             " into this directory to write it");
      if (first_file.empty()) {
        first = s, first_file = side;
        by_index.assign(s.grid_points, {N, 0});
      } else if (s.grid_hash != first.grid_hash || s.grid_points != first.grid_points) {
        throw rramsim::Error(side + ": shard of another grid (" + std::to_string(s.grid_points) +
                             " points, " + s.experiment + ") than " + first_file + " (" +
                             std::to_string(first.grid_points) + " points, " + first.experiment +
                             ")");
      }
      std::map<std::string, size_t> have;  // key -> row of this shard
      for (size_t j = 0; j < parsed[st.first].size(); ++j)
        have.emplace(rramsim::point_key(parsed[st.first][j]), j);
      size_t got = 0;
      for (const auto& p : s.points) {
        auto it = have.find(p.second);
        if (it == have.end()) continue;
        if (p.first >= by_index.size())
          throw rramsim::Error(side + ": grid index " + std::to_string(p.first) + " out of range");
        by_index[p.first] = {st.first, it->second};
        ++got;
      }
      if (got < s.points.size())
        throw rramsim::Error(jsonl + ": incomplete, " + std::to_string(got) + " of " +
                             std::to_string(s.points.size()) + " points of shard " +
                             std::to_string(st.first) + "/" + std::to_string(N) +
                             " (rerun --shard " + std::to_string(st.first) + "/" +
                             std::to_string(N) + " to finish it)");
      if (have.size() > got)
        throw rramsim::Error(jsonl + ": " + std::to_string(have.size() - got) +
                             " row(s) of points not in this shard's grid (another experiment in "
                             "the same directory?)");
      ++n_files;
    }
    std::string text;
    for (size_t k = 0; k < by_index.size(); ++k) {
      if (by_index[k].first == N)
        throw rramsim::Error("--merge " + dir + ": grid point " + std::to_string(k) +
                             " is in no shard (shards of different grids?)");
      text += rows[by_index[k].first][by_index[k].second] + "\n";
      merged.push_back(parsed[by_index[k].first][by_index[k].second]);
    }
    rramsim::write_file_atomic(dir + "/results.jsonl", text);
    write_csv(dir + "/results.csv", merged);
    write_sidecar(dir + "/results.json",
                  run_json(std::string("rramsim sweep --merge ") + cli_version(), first.experiment,
                           "", first.grid_points, first.grid_hash, std::to_string(N) + " shards"),
                  nullptr, csv_columns(set_columns(merged)));
  } catch (const std::exception& ex) {
    return cli_error(kCmd, "%s", ex.what());
  }
  (void)quiet;
  std::printf("merged %zu shard file%s: %zu points into %s/results.{jsonl,csv} in grid order\n",
              n_files, n_files == 1 ? "" : "s", merged.size(), dir.c_str());
  return CLI_EXIT_OK;
}

}  // namespace

extern "C" int cli_cmd_sweep(int argc, char** argv) {
  std::string exp_path, out_dir, merge_dir, models_override;
  unsigned shard_i = 0, shard_n = 1;
  bool sharded = false, quiet = false, allow_invisible = false;
  std::vector<std::string> sets;
  auto option = [&](const char* a, const char* v) -> cli_opt_result {
    if (!a) {
      if (!exp_path.empty()) return CLI_OPT_UNKNOWN; /* "unexpected argument" */
      exp_path = v;
    } else if (!std::strcmp(a, "--quiet"))
      quiet = true;
    else if (!std::strcmp(a, "--allow"))
      allow_invisible = true;
    else if (!std::strcmp(a, "--set"))
      sets.push_back(v);
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
      {"set", 1, nullptr, nullptr},    {"allow", 0, nullptr, nullptr},
      {nullptr, 0, nullptr, nullptr}};
  {
    int prc = CLI_EXIT_OK;
    if (!cli_parse_options_with(kCmd, argc, argv, 1, opts, option, usage, &prc)) return prc;
  }
  if (!merge_dir.empty()) {
    if (!exp_path.empty() || !out_dir.empty() || sharded || !sets.empty())
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
    // --set PATH=VALUE: one more axis of one value each, so the rows record it like "vary".
    for (const std::string& a : sets) {
      rramsim::Override o;
      try {
        o = rramsim::parse_override(a);
      } catch (const std::exception& ex) {
        throw rramsim::Error(std::string("--set: ") + ex.what());
      }
      e.axes.push_back({{o.path}, {{o}}});
    }
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
    // The grid: systems x combinations of the "vary" axes (the last axis fastest) x operating
    // points x models x seeds. Every combination's system is loaded and every point checked here,
    // before any point runs; a point keeps only its key and what rebuilds its system when it runs
    // (a 10^4-point grid used to hold 10^4 resolved systems of ~7 KB each).
    using SetList = std::vector<std::pair<std::string, std::string>>;
    struct Combo {
      size_t sys, index;  // index: the axes' values in mixed radix, the last axis fastest
      SetList set;        // the varied keys, as each row records them
    };
    struct GridPoint {
      size_t combo, model;
      int op;  // operating point index in the combination's device
      uint64_t seed;
    };
    size_t n_combos = 1;
    for (const auto& a : e.axes) {
      if (n_combos > kMaxCombinations / a.values.size())
        throw rramsim::Error(exp_path + ": vary: more than " + std::to_string(kMaxCombinations) +
                             " combinations of the axes' values (split the experiment)");
      n_combos *= a.values.size();
    }
    auto combo_values = [&](size_t index) {
      std::vector<size_t> c(e.axes.size());
      for (size_t ai = e.axes.size(); ai-- > 0;) {
        c[ai] = index % e.axes[ai].values.size();
        index /= e.axes[ai].values.size();
      }
      return c;
    };
    // A system with one combination of the axes applied (and the experiment's error map).
    auto system_for = [&](size_t si, const std::vector<size_t>& c,
                          std::vector<std::pair<std::string, std::string>>* set) {
      std::vector<rramsim::Override> ov;
      for (size_t ai = 0; ai < e.axes.size(); ++ai)
        for (const rramsim::Override& o : e.axes[ai].values[c[ai]]) {
          ov.push_back(o);
          if (set) set->emplace_back(o.path, o.text);
        }
      if (ov.empty()) return systems[si];
      rramsim::SystemConfig cfg;
      try {
        cfg = rramsim::load_system_file(e.systems[si], ov);
      } catch (const std::exception& ex) {
        const std::string w = ex.what();
        for (const std::string& a : sets)
          if (w.find(a.substr(0, a.find('=')) + ":") != std::string::npos)
            throw rramsim::Error("--set " + a + ": " + w);
        throw rramsim::Error(exp_path + ": vary: " + w);
      }
      if (!e.error_map.empty()) cfg.error_map = rramsim::load_error_map(e.error_map, cfg.org);
      return cfg;
    };
    // Functional mode sees the operating point's rates and energies, the verify policy, where the
    // model is placed and the analytic energy (row segments): an axis that changes none of these
    // for the first system and model gives identical functional points.
    if (e.mode == "functional" && !e.axes.empty()) {
      auto signature = [&](const rramsim::SystemConfig& cfg) {
        rramsim::SystemConfig c = cfg;
        c.org = rramsim::Organisation();
        c.name.clear(), c.source.clear(), c.overrides.clear(), c.seed = 0;
        for (size_t k = 0; k < c.device.n_points; ++k)
          c.device.points[k].t_read_ns = c.device.points[k].t_write_ns = 0;
        std::string sig = rramsim::config_to_json(c, 0);
        rramsim::PlacementParams pp;
        pp.rram_layer_mask = e.rram_layer_mask;
        const rramsim::Placement pl = rramsim::place_model(models[0].get(), e.models[0], cfg, pp);
        const rramsim::AnalyticEnergy ae = rramsim::analytic_energy(cfg, models[0].get(), pl);
        char b[96];
        std::snprintf(b, sizeof b, "|%.17g|%.17g", ae.read_per_fetch_pj, ae.program_pj);
        sig += b;
        for (const auto& l : pl.layers)
          sig += "|" + std::to_string(l.in_rram ? l.rram_addr : ~0ull);
        return sig;
      };
      for (size_t ai = 0; ai < e.axes.size(); ++ai) {
        if (e.axes[ai].values.size() < 2) continue;
        std::set<std::string> sigs;
        for (size_t v = 0; v < e.axes[ai].values.size(); ++v) {
          std::vector<size_t> c(e.axes.size(), 0);
          c[ai] = v;
          sigs.insert(signature(system_for(0, c, nullptr)));
        }
        if (sigs.size() > 1) continue;
        std::string what;
        for (const std::string& p : e.axes[ai].paths) what += (what.empty() ? "" : ", ") + p;
        const std::string msg = exp_path + ": vary: " + what +
                                ": functional mode cannot see this axis (every value gives the "
                                "same functional point); use \"mode\": \"timed\"";
        if (!allow_invisible) throw rramsim::Error(msg + ", or --allow to run it anyway");
        std::fprintf(stderr, "rramsim sweep: warning: %s (--allow: running it anyway)\n",
                     msg.c_str());
      }
    }
    std::vector<Combo> combos;
    std::vector<GridPoint> grid;
    std::vector<std::string> keys;  // the points' keys, in grid order
    for (size_t si = 0; si < systems.size(); ++si)
      for (size_t ci = 0; ci < n_combos; ++ci) {
        combos.push_back(Combo{si, ci, {}});
        rramsim::SystemConfig sys = system_for(si, combo_values(ci), &combos.back().set);
        std::vector<std::string> ops = e.op_points;
        if (e.all_op_points)
          for (size_t k = 0; k < sys.device.n_points; ++k) ops.push_back(sys.device.points[k].name);
        if (ops.empty()) ops.push_back(sys.op().name);
        // A point's key: mode|system|op|model|seed|images|reuse[|map=...][|set...].
        rramsim::PointResult probe;
        probe.mode = e.mode;
        probe.system = sys.name;
        probe.images = ds.n;
        probe.weight_reuse = e.weight_reuse;
        probe.error_map = sys.error_map ? sys.error_map->path : "";
        probe.set = combos.back().set;
        for (const std::string& op : ops) {
          rramsim::select_op_point(sys, op, e.path + ": op_points");
          probe.op_point = sys.op().name;
          for (size_t mi = 0; mi < models.size(); ++mi) {
            rramsim::PlacementParams pp;
            pp.rram_layer_mask = e.rram_layer_mask;
            rramsim::place_model(models[mi].get(), e.models[mi], sys, pp);
            probe.model = e.models[mi];
            for (uint64_t seed : e.seeds) {
              grid.push_back(GridPoint{combos.size() - 1, mi, sys.op_index, seed});
              probe.seed = seed;
              keys.push_back(rramsim::point_key(probe));
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
    std::vector<std::string> lines;
    std::vector<rramsim::PointResult> rows;  // the file's rows, parsed (the CSV is made of them)
    std::string note;
    read_results(jsonl, &lines, &rows, true, &note);
    lines.clear();
    if (!note.empty()) std::fprintf(stderr, "rramsim sweep: %s\n", note.c_str());
    std::set<std::string> done;
    for (const rramsim::PointResult& r : rows) done.insert(rramsim::point_key(r));
    std::vector<std::string> axis_paths;
    for (const auto& a : e.axes)
      for (const std::string& p : a.paths)
        if (std::find(axis_paths.begin(), axis_paths.end(), p) == axis_paths.end())
          axis_paths.push_back(p);
    Share share;
    std::vector<size_t> todo;
    for (size_t k = 0; k < grid.size(); ++k) {
      if (k % shard_n != shard_i) continue;
      share.points.emplace_back(k, keys[k]);
      if (!done.count(keys[k])) todo.push_back(k);
    }
    const size_t mine = share.points.size();
    const std::string shard_label =
        sharded ? std::to_string(shard_i) + "/" + std::to_string(shard_n) : std::string();
    write_sidecar(stem + ".json",
                  run_json(std::string("rramsim sweep ") + cli_version(), exp_path, e.mode,
                           grid.size(), grid_hash(keys), shard_label),
                  sharded ? &share : nullptr, csv_columns(axis_paths));
    std::printf("%s: %zu point%s in this share, %zu already done, %zu to run -> %s\n",
                exp_path.c_str(), mine, mine == 1 ? "" : "s", mine - todo.size(), todo.size(),
                jsonl.c_str());
    std::fflush(stdout);             // before the progress lines on stderr
    std::map<size_t, double> clean;  // per model
    cli_progress prog;
    cli_progress_start(&prog, "sweep", todo.size(), !quiet);
    size_t n_done = 0;
    auto last_csv = std::chrono::steady_clock::now();
    rramsim::PointSpec common;  // what every point of the experiment shares
    common.mode = e.mode;
    common.data = e.data;
    common.images = e.images;
    common.weight_reuse = e.weight_reuse;
    common.rram_layer_mask = e.rram_layer_mask;
    common.threads = e.threads;
    RowAppender out(jsonl);
    // The system of the last combination run: points of one combination are adjacent in grid
    // order, so it is loaded again only when the combination changes.
    size_t cfg_combo = SIZE_MAX;
    rramsim::SystemConfig combo_cfg;
    for (size_t k : todo) {
      const GridPoint& g = grid[k];
      const Combo& c = combos[g.combo];
      if (cfg_combo != g.combo) {
        combo_cfg = system_for(c.sys, combo_values(c.index), nullptr);
        cfg_combo = g.combo;
      }
      rramsim::SystemConfig cfg = combo_cfg;
      cfg.op_index = g.op;
      cfg.seed = g.seed;
      rramsim::PointSpec spec = common;
      spec.system_path = e.systems[c.sys];
      spec.op_point = cfg.op().name;
      spec.model_path = e.models[g.model];
      spec.seed = g.seed;
      if (!clean.count(g.model))
        clean[g.model] = rramsim::clean_accuracy(models[g.model].get(), ds, e.threads);
      rramsim::PointResult r =
          e.mode == "timed"
              ? timed_in_child(spec, cfg, models[g.model].get(), ds, clean[g.model])
              : rramsim::run_functional(spec, cfg, models[g.model].get(), ds, clean[g.model]);
      r.set = c.set;
      const std::string line = rramsim::row_json(r);
      out.append(line);
      rramsim::PointResult back;  // the row as the file holds it
      rramsim::row_from_json(line, &back);
      rows.push_back(std::move(back));
      // The CSV (derived from the JSON rows, which are the durable record) is refreshed at most
      // every 10 s while points finish, and always at the end: a refresh rewrites and syncs the
      // whole file (tens of ms here), which a row a second would pay again and again.
      const auto now = std::chrono::steady_clock::now();
      if (now - last_csv >= std::chrono::seconds(10)) {
        write_csv(csv, rows);
        last_csv = now;
      }
      char msg[160];
      std::snprintf(msg, sizeof msg, "%s/%s acc %.2f %%", r.system.c_str(), r.op_point.c_str(),
                    100 * r.accuracy);
      cli_progress_update(&prog, ++n_done, "pt", msg);
    }
    cli_progress_finish(&prog, "pt", nullptr);
    out.sync();
    write_csv(csv, rows);
    std::printf("%zu rows in %s and %s\n", rows.size(), jsonl.c_str(), csv.c_str());
  } catch (const std::exception& ex) {
    bnn_dataset_free(&ds);
    return cli_error(kCmd, "%s", ex.what());
  }
  bnn_dataset_free(&ds);
  return CLI_EXIT_OK;
}
