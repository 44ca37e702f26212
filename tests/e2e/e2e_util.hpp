// e2e_util.hpp — end-to-end helpers: spawn the built rramsim without a shell, wait on file state,
// kill -9, compare outputs with the wall-clock fields taken out, write a tiny IDX data set. Used
// by tests/e2e and tests/attack.
#pragma once

#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <zlib.h>

#include "models/cli_util.hpp"

namespace e2e {

using cli_util::kBin;
using cli_util::Result;
using cli_util::slurp;

inline bool exists(const std::string &p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}

// Names in a directory (no . and ..), sorted.
inline std::set<std::string> list_dir(const std::string &d) {
  std::set<std::string> out;
  if (DIR *dp = opendir(d.c_str())) {
    while (dirent *de = readdir(dp)) {
      const std::string n = de->d_name;
      if (n != "." && n != "..") out.insert(n);
    }
    closedir(dp);
  }
  return out;
}

// A fresh, empty scratch directory for one test (removed first if a previous run left it).
inline std::string fresh_dir(const std::string &name) {
  const std::string d = cli_util::make_dir("e2e_") + "/" + name;
  const std::string cmd = "rm -rf '" + d + "'";
  if (std::system(cmd.c_str()) != 0) ADD_FAILURE() << "cannot clear " << d;
  mkdir(d.c_str(), 0755);
  return d;
}

// Starts `rramsim args...` with stdin from /dev/null and stdout/stderr to files, in its own process
// group (so a hang can be killed with everything it started: gnuplot, timed-sweep children) and,
// when as_limit is not 0, under an address-space limit of as_limit bytes. Returns the child's pid.
inline pid_t spawn(const std::vector<std::string> &args, const std::string &out_path,
                   const std::string &err_path, rlim_t as_limit = 0) {
  std::vector<char *> argv;
  argv.push_back(const_cast<char *>(kBin.c_str()));
  for (const std::string &a : args) argv.push_back(const_cast<char *>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    if (as_limit) {
      struct rlimit rl = {as_limit, as_limit};
      if (setrlimit(RLIMIT_AS, &rl) != 0) _exit(126);
    }
    const int in = open("/dev/null", O_RDONLY);
    const int o = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || o < 0 || e < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0) _exit(127);
    execv(argv[0], argv.data());
    _exit(127);
  }
  setpgid(pid, pid);
  return pid;
}

// A tiny IDX data set (n 28x28 images, labels 0..9 in turn) under dir, as
// <prefix>-images-idx3-ubyte and <prefix>-labels-idx1-ubyte (each + .gz when gz): the cases that
// must get past loading data need no installed set and load in milliseconds.
inline void write_idx(const std::string &dir, const std::string &prefix, uint32_t n,
                      bool gz = false) {
  auto be32 = [](uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
  };
  std::string img = be32(0x803) + be32(n) + be32(28) + be32(28), lab = be32(0x801) + be32(n);
  for (uint32_t i = 0; i < n; ++i) {
    for (uint32_t k = 0; k < 28 * 28; ++k) img += static_cast<char>((i * 37 + k * 11) & 0xff);
    lab += static_cast<char>(i % 10);
  }
  for (const auto &[name, bytes] :
       {std::pair<std::string, const std::string &>{dir + "/" + prefix + "-images-idx3-ubyte", img},
        {dir + "/" + prefix + "-labels-idx1-ubyte", lab}}) {
    if (!gz) {
      std::ofstream(name, std::ios::binary | std::ios::trunc) << bytes;
      continue;
    }
    gzFile g = gzopen((name + ".gz").c_str(), "wb");
    ASSERT_NE(g, nullptr) << name;
    ASSERT_EQ(gzwrite(g, bytes.data(), (unsigned)bytes.size()), (int)bytes.size());
    ASSERT_EQ(gzclose(g), Z_OK);
  }
}

// Polls cond (a condition on files the child writes) every 2 ms until it holds, the child exits,
// or timeout_s passes. Returns true when cond held while the child was still running.
inline bool wait_for(pid_t pid, const std::function<bool()> &cond, double timeout_s) {
  const auto t0 = std::chrono::steady_clock::now();
  for (;;) {
    if (cond()) return true;
    int st = 0;
    if (waitpid(pid, &st, WNOHANG) == pid) return false;  // exited (reaped) before cond held
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > timeout_s)
      return false;
    const struct timespec ts = {0, 2000000};
    nanosleep(&ts, nullptr);
  }
}

// kill -9 and reap; returns true when the child died of the signal.
inline bool kill9(pid_t pid) {
  kill(pid, SIGKILL);
  int st = 0;
  if (waitpid(pid, &st, 0) != pid) return false;
  return WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
}

// Lines of a text file (without their newlines); a last line without its newline is kept.
inline std::vector<std::string> lines(const std::string &text) {
  std::vector<std::string> out;
  size_t p = 0;
  while (p < text.size()) {
    size_t nl = text.find('\n', p);
    if (nl == std::string::npos) nl = text.size();
    out.push_back(text.substr(p, nl - p));
    p = nl + 1;
  }
  return out;
}

// Replaces the values of the named JSON number fields ("wall_seconds": 1.23, or the stats files'
// "wall_time": {"value": 1.23, ...}) with 0: they measure the host's wall clock, the only outputs
// that legitimately differ between identical runs. (Hand-written: GCC 12's <regex> trips
// -Wmaybe-uninitialized under the sanitizer build.)
inline std::string mask_json_fields(std::string s, const std::vector<std::string> &fields) {
  auto skip_ws = [&s](size_t p) {
    while (p < s.size() && (s[p] == ' ' || s[p] == '\n' || s[p] == '\t' || s[p] == '\r')) ++p;
    return p;
  };
  for (const std::string &f : fields) {
    const std::string key = "\"" + f + "\"";
    for (size_t k = s.find(key); k != std::string::npos; k = s.find(key, k + 1)) {
      size_t p = skip_ws(k + key.size());
      if (p >= s.size() || s[p] != ':') continue;
      p = skip_ws(p + 1);
      if (p < s.size() && s[p] == '{') {  // {"value": x, "unit": ...}
        p = skip_ws(p + 1);
        if (s.compare(p, 7, "\"value\"") != 0) continue;
        p = skip_ws(p + 7);
        if (p >= s.size() || s[p] != ':') continue;
        p = skip_ws(p + 1);
      }
      size_t e = p;
      while (e < s.size() && std::string("0123456789.eE+-").find(s[e]) != std::string::npos) ++e;
      if (e > p) s.replace(p, e - p, "0");
    }
  }
  return s;
}

// Runs `rramsim <args>` through the shell with output captured in dir (see cli_util::run_in).
inline Result run(const std::string &dir, const std::string &args) {
  return cli_util::run_in(dir, args);
}

}  // namespace e2e
