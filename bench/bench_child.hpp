// bench_child.hpp — one measurement in a fresh child process (SystemC allows one elaboration per
// process, and peak RSS is per process): the child's rate and seconds come back through a pipe,
// its peak RSS from wait4. Shared by bench_sim and bench_replay, with the command line and the
// system config they both take.
#pragma once
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "rramsim/config.hpp"

namespace bench {

struct ChildResult {
  double rate = 0;  // per second of wall time, as the child measured it
  double seconds = 0;
  long max_rss_kib = 0;
  bool ok = false;  // the child exited 0 and reported a rate > 0
};

// body(&rate, &seconds) runs in the child; a rate <= 0 marks the measurement as failed.
template <class Body>
ChildResult measure_in_child(Body body) {
  ChildResult r;
  int fd[2];
  if (pipe(fd) != 0) return r;
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(fd[0]);
    double msg[2] = {-1, 0};
    body(&msg[0], &msg[1]);
    ssize_t w = write(fd[1], msg, sizeof msg);
    _exit(w == static_cast<ssize_t>(sizeof msg) ? 0 : 1);
  }
  close(fd[1]);
  double msg[2] = {0, 0};
  ssize_t got = read(fd[0], msg, sizeof msg);
  close(fd[0]);
  int status = 0;
  struct rusage ru;
  std::memset(&ru, 0, sizeof ru);
  wait4(pid, &status, 0, &ru);
  r.ok = got == static_cast<ssize_t>(sizeof msg) && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
         msg[0] > 0;
  r.rate = msg[0];
  r.seconds = msg[1];
  r.max_rss_kib = ru.ru_maxrss;
  return r;
}

// The command line of bench_sim and bench_replay: --small N and --large N (the two run lengths),
// --system FILE and, where `dir` is given, --dir DIR.
struct Args {
  uint64_t small = 100000, large = 10000000;
  std::string system = RRAMSIM_SOURCE_DIR "/configs/systems/small.json";
  std::string dir = "/tmp";
};

// False on an unknown option, a missing value or a length of 0 (the caller prints its usage).
inline bool parse_args(int argc, char** argv, bool with_dir, Args* a) {
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--small") && i + 1 < argc)
      a->small = std::strtoull(argv[++i], nullptr, 10);
    else if (!std::strcmp(argv[i], "--large") && i + 1 < argc)
      a->large = std::strtoull(argv[++i], nullptr, 10);
    else if (!std::strcmp(argv[i], "--system") && i + 1 < argc)
      a->system = argv[++i];
    else if (with_dir && !std::strcmp(argv[i], "--dir") && i + 1 < argc)
      a->dir = argv[++i];
    else
      return false;
  }
  return a->small && a->large;
}

// Loads the system file; on failure prints "<tool>: <why>" and returns false.
inline bool load_system(const char* tool, const std::string& path, rramsim::SystemConfig* cfg) {
  try {
    *cfg = rramsim::load_system_file(path);
  } catch (const rramsim::ConfigError& e) {
    std::fprintf(stderr, "%s: %s\n", tool, e.what());
    return false;
  }
  return true;
}

}  // namespace bench
