// cli_util.hpp — running the built rramsim binary from the libbet CLI tests (one helper for all).
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace cli_util {

inline const std::string kBin = RRAMSIM_BINARY_DIR "/apps/rramsim";

struct Result {
  int code;
  std::string err, out;
};

inline std::string slurp(const std::string &p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A per-process scratch directory under the test temp dir (ctest -j runs do not collide).
inline std::string make_dir(const std::string &prefix) {
  std::string t = std::string(::testing::TempDir()) + "/" + prefix + std::to_string((long)getpid());
  mkdir(t.c_str(), 0755);
  return t;
}

// Runs `rramsim <args>` with stdout/stderr captured into files under dir.
inline Result run_in(const std::string &dir, const std::string &args) {
  const std::string o = dir + "/stdout", e = dir + "/stderr";
  const std::string cmd = kBin + " " + args + " >" + o + " 2>" + e;
  const int st = std::system(cmd.c_str());
  Result r;
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.out = slurp(o);
  r.err = slurp(e);
  return r;
}

// Whether a Fashion-MNIST file (e.g. "t10k-images-idx3-ubyte.gz") is installed.
inline bool have_fmnist(const char *file) {
  struct stat st;
  const char *root = std::getenv("RRAMSIM_DATA_DIR");
  std::string p =
      std::string(root && *root ? root : "/usr/share/datasets") + "/fashion-mnist/" + file;
  return stat(p.c_str(), &st) == 0;
}

}  // namespace cli_util
