// attack_runner.hpp — runs one rramsim invocation under attack (hard timeout, optional
// address-space limit, stdout to any file) and classifies what it did.
#pragma once

#include <algorithm>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "e2e/e2e_util.hpp"

namespace attack {

// What an input is known to be: BAD inputs must be refused; for ANY inputs either outcome is
// fine as long as it is clean (mutations that may well still be valid).
enum class Expect { kBad, kAny };

enum class Kind { kOk, kCleanError, kCrash, kHang, kSilentAccept, kFalseSuccess, kUnclearError };

inline const char *kind_name(Kind k) {
  switch (k) {
    case Kind::kOk:
      return "ok";
    case Kind::kCleanError:
      return "clean error";
    case Kind::kCrash:
      return "CRASH";
    case Kind::kHang:
      return "HANG";
    case Kind::kSilentAccept:
      return "SILENT ACCEPT";
    case Kind::kFalseSuccess:
      return "FALSE SUCCESS";
    case Kind::kUnclearError:
      return "UNCLEAR ERROR";
  }
  return "?";
}

struct Case {
  std::string family, name;
  std::vector<std::string> args;
  Expect expect = Expect::kAny;
  // Files (or directories) the command writes: on exit 0 each must exist and not be empty; on a
  // failure none of those that did not exist before may exist after (nothing left behind).
  std::vector<std::string> outputs;
  // Files the command reads: they must be unchanged afterwards, whatever the outcome.
  std::vector<std::string> inputs;
  double timeout_s = 8;
  rlim_t as_limit = 0;                 // RLIMIT_AS in the child (0: none)
  std::string stdout_path;             // "" = a capture file; e.g. /dev/full
  std::function<std::string()> check;  // after exit 0: "" or what is wrong (false success)
};

struct Outcome {
  Kind kind;
  int code = 0;  // exit code, or the signal for a crash
  std::string err, detail;
};

inline std::string slurp(const std::string &p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline void write_file(const std::string &p, const std::string &bytes) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

inline bool exists(const std::string &p) {
  struct stat st;
  return lstat(p.c_str(), &st) == 0;
}

// Whether a path names an output worth the name: a non-empty regular file, or a directory with
// at least one non-empty file in it.
inline bool non_empty(const std::string &p) {
  struct stat st;
  if (stat(p.c_str(), &st) != 0) return false;
  if (S_ISREG(st.st_mode)) return st.st_size > 0;
  if (!S_ISDIR(st.st_mode)) return false;
  bool any = false;
  if (DIR *d = opendir(p.c_str())) {
    while (dirent *e = readdir(d))
      if (e->d_name[0] != '.' && non_empty(p + "/" + e->d_name)) any = true;
    closedir(d);
  }
  return any;
}

// Waits for pid up to timeout_s; on timeout kills its process group. Returns the wait status,
// or -1 for a timeout.
inline int wait_or_kill(pid_t pid, double timeout_s) {
  const auto t0 = std::chrono::steady_clock::now();
  for (;;) {
    int st = 0;
    const pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid) {
      kill(-pid, SIGKILL);  // whatever it left running in its group
      return st;
    }
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > timeout_s) {
      kill(-pid, SIGKILL);
      waitpid(pid, &st, 0);
      return -1;
    }
    const struct timespec ts = {0, 2000000};
    nanosleep(&ts, nullptr);
  }
}

// A clean error: exit 1 or 2 and a last stderr line "rramsim ...: ..." of printable text.
inline bool clean_error_text(const std::string &err, std::string *why) {
  std::string e = err;
  while (!e.empty() && e.back() == '\n') e.pop_back();
  if (e.empty()) {
    *why = "no message on stderr";
    return false;
  }
  const size_t nl = e.rfind('\n');
  const std::string last = nl == std::string::npos ? e : e.substr(nl + 1);
  if (last.rfind("rramsim", 0) != 0) {
    *why = "last stderr line is not 'rramsim ...': " + last.substr(0, 200);
    return false;
  }
  for (unsigned char c : last)
    if (c < 0x20 && c != '\t') {
      *why = "control or binary bytes in the message";
      return false;
    }
  return true;
}

inline std::map<std::string, std::string> snapshot(const std::vector<std::string> &paths) {
  std::map<std::string, std::string> m;
  for (const std::string &p : paths) m[p] = exists(p) ? slurp(p) : std::string("\x01missing");
  return m;
}

inline Outcome run_case(const Case &c, const std::string &scratch) {
  std::vector<bool> existed;
  for (const std::string &o : c.outputs) existed.push_back(exists(o));
  const auto inputs_before = snapshot(c.inputs);
  const std::string out = c.stdout_path.empty() ? scratch + "/stdout" : c.stdout_path;
  const std::string errp = scratch + "/stderr";
  const pid_t pid = e2e::spawn(c.args, out, errp, c.as_limit);
  const int st = wait_or_kill(pid, c.timeout_s);
  Outcome r;
  r.err = slurp(errp);
  if (st == -1) {
    r.kind = Kind::kHang;
    r.detail = "no exit within " + std::to_string((int)c.timeout_s) + " s";
    return r;
  }
  if (WIFSIGNALED(st)) {
    r.kind = Kind::kCrash;
    r.code = WTERMSIG(st);
    r.detail = std::string("signal ") + strsignal(WTERMSIG(st));
    return r;
  }
  r.code = WEXITSTATUS(st);
  if (snapshot(c.inputs) != inputs_before) {
    r.kind = Kind::kFalseSuccess;
    r.detail = "an input file was changed";
    return r;
  }
  if (r.code == 0) {
    if (c.expect == Expect::kBad) {
      r.kind = Kind::kSilentAccept;
      r.detail = "exit 0 on a bad input";
      return r;
    }
    for (const std::string &o : c.outputs)
      if (!non_empty(o)) {
        r.kind = Kind::kFalseSuccess;
        r.detail = "exit 0 but " + o + " is missing or empty";
        return r;
      }
    if (c.check) {
      const std::string why = c.check();
      if (!why.empty()) {
        r.kind = Kind::kFalseSuccess;
        r.detail = why;
        return r;
      }
    }
    r.kind = Kind::kOk;
    return r;
  }
  for (size_t i = 0; i < c.outputs.size(); ++i)
    if (!existed[i] && exists(c.outputs[i])) {
      r.kind = Kind::kFalseSuccess;
      r.detail = "failed (exit " + std::to_string(r.code) + ") but left " + c.outputs[i];
      return r;
    }
  std::string why;
  if ((r.code == 1 || r.code == 2) && clean_error_text(r.err, &why)) {
    r.kind = Kind::kCleanError;
    return r;
  }
  // Under the smallest address-space limits the dynamic loader may fail to map the shared
  // libraries (OpenBLAS, libgfortran, SystemC) before any of rramsim's code runs: ld.so's one line
  // and exit 127, nothing written (checked above). Whether it fits depends on the mapping sizes of
  // this machine's libraries, so this outcome is a clean refusal, not a finding.
  if (c.as_limit && r.code == 127 &&
      r.err.find("error while loading shared libraries") != std::string::npos &&
      std::count(r.err.begin(), r.err.end(), '\n') <= 1) {
    r.kind = Kind::kCleanError;
    return r;
  }
  r.kind = Kind::kUnclearError;
  r.detail = "exit " + std::to_string(r.code) + (why.empty() ? "" : ": " + why);
  return r;
}

}  // namespace attack
