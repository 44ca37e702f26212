// test_cli.cpp — `rramsim model` and `rramsim eval` end to end through the built binary: happy
// paths and one clear error line (non-zero exit, no crash) for each kind of bad input.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace {

const std::string kBin = std::string(RRAMSIM_BINARY_DIR) + "/apps/rramsim";

// The pid keeps parallel test processes (ctest -j) off each other's files.
std::string tmp(const std::string &n) {
  return std::string(RRAMSIM_BINARY_DIR) + "/test_cli_" + std::to_string((long)getpid()) + "_" + n;
}

struct Result {
  int code;
  std::string out, err;
};

std::string slurp(const std::string &p) {
  std::string s;
  if (FILE *f = std::fopen(p.c_str(), "rb")) {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
    std::fclose(f);
  }
  return s;
}

Result run(const std::string &args) {
  std::string o = tmp("out"), e = tmp("err");
  int st = std::system((kBin + " " + args + " >" + o + " 2>" + e).c_str());
  Result r{WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), slurp(o), slurp(e)};
  std::remove(o.c_str());
  std::remove(e.c_str());
  return r;
}


int lines(const std::string &s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

// A small random model file shared by the tests (removed at exit).
struct Remover {
  std::string path;
  ~Remover() {
    if (!path.empty()) std::remove(path.c_str());
  }
};

std::string model() {
  static std::string p;
  static Remover rm;
  if (p.empty()) {
    rm.path = tmp("fc.bnn");
    p = tmp("fc.bnn");
    Result r = run("model random --arch 784-64-10 --seed 3 --out " + p);
    EXPECT_EQ(r.code, 0) << r.err;
  }
  return p;
}

}  // namespace

TEST(Cli, ModelRandomAndInfo) {
  Result r = run("model info " + model());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("input: 28x28x1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"seed\": 3"), std::string::npos);
  EXPECT_NE(r.out.find("output (integer scores)"), std::string::npos);
  std::string v = tmp("vgg3.bnn");
  r = run("model random --arch vgg3 --seed 1 --out " + v);
  ASSERT_EQ(r.code, 0) << r.err;
  r = run("model info " + v);
  EXPECT_NE(r.out.find("conv3x3"), std::string::npos);
  EXPECT_NE(r.out.find("maxpool2"), std::string::npos);
  std::remove(v.c_str());
  EXPECT_EQ(run("model --help").code, 0);
  EXPECT_EQ(run("eval --help").code, 0);
}

TEST(Cli, EvalCleanAndWithErrorsJson) {
  Result r = run("eval --model " + model() + " --data fashion-mnist --limit 300 --threads 2 --quiet");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("accuracy:"), std::string::npos);
  EXPECT_NE(r.out.find("300 images"), std::string::npos);
  r = run("eval --model " + model() +
          " --data fashion-mnist --limit 200 --ber-write01 0.01 --ber-write10 0.02 --ber-read 0.001 --reps 3 --seed 5 --json --quiet");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"reps\": 3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"write10\": 0.02"), std::string::npos) << r.out;
  // Errors only in the output layer (weight layer 1): fewer write flips than in all layers.
  Result part = run("eval --model " + model() + " --data fashion-mnist --limit 50 --ber-write 0.05 --error-layers 1 --json --quiet");
  Result all = run("eval --model " + model() + " --data fashion-mnist --limit 50 --ber-write 0.05 --json --quiet");
  ASSERT_EQ(part.code, 0) << part.err;
  auto flips = [](const std::string &s) { return std::stoull(s.substr(s.find("\"write\": ") + 10)); };
  EXPECT_LT(flips(part.out), flips(all.out) / 10) << part.out << all.out;
  EXPECT_NE(part.out.find("\"layer_mask\": 2"), std::string::npos) << part.out;
  // Same seed, other thread count: same accuracies.
  Result r2 = run("eval --model " + model() +
                  " --data fashion-mnist --limit 200 --ber-write01 0.01 --ber-write10 0.02 --ber-read 0.001 --reps 3 --seed 5 --json --quiet --threads 1");
  auto acc = [](const std::string &s) { return s.substr(s.find("\"accuracy\""), s.find("\"flips\"") - s.find("\"accuracy\"")); };
  EXPECT_EQ(acc(r.out), acc(r2.out));
}

TEST(Cli, BadInputGivesOneClearLine) {
  const std::string m = model();
  struct Case {
    std::string args, expect;
    int code;
  } cases[] = {
      {"eval --model " + m + " --data fashion-mnist --ber-write 0.7", "--ber-write", 2},
      {"eval --model " + m + " --data fashion-mnist --ber-read -1", "--ber-read", 2},
      {"eval --model " + m + " --data fashion-mnist --ber-write 0.1 --ber-write01 0.1", "cannot be combined", 2},
      {"eval --model " + m + " --data fashion-mnist --ber-write01 0.1", "go together", 2},
      {"eval --model " + m + " --data fashion-mnist --threads 0", "--threads", 2},
      {"eval --model " + m + " --data fashion-mnist --threads 1000", "--threads", 2},
      {"eval --model " + m + " --data fashion-mnist --reps 0", "--reps", 2},
      {"eval --model " + m + " --data fashion-mnist --split dev", "--split", 2},
      {"eval --model " + m + " --data fashion-mnist --kernel neon", "--kernel", 2},
      {"eval --model " + m + " --data fashion-mnist --bogus 1", "unknown option", 2},
      {"eval --data fashion-mnist", "--model", 2},
      {"eval --model " + m, "--data", 2},
      {"eval --model /nonexistent.bnn --data fashion-mnist", "/nonexistent.bnn: cannot open", 1},
      {"eval --model " + m + " --data /nonexistent-data", "/nonexistent-data", 1},
      {"model info /nonexistent.bnn", "/nonexistent.bnn", 1},
      {"model random --arch 784-x-10 --seed 1 --out " + tmp("x.bnn"), "--arch", 2},
      {"model random --arch vgg3 --out " + tmp("x.bnn"), "--seed", 2},
      {"model random --arch 784-10 --seed 1 --out /nonexistent-dir/m.bnn", "/nonexistent-dir/m.bnn", 1},
      {"model frobnicate", "unknown subcommand", 2},
      {"eval --model " + m + " --data fashion-mnist --limit 10 --ber-write 0.1 --error-layers 5", "weight layers 0..1", 2},
      {"eval --model " + m + " --data fashion-mnist --error-layers 1.5", "not an integer", 2},
      {"eval --model " + m + " --data fashion-mnist --error-layers 70", "--error-layers", 2},
  };
  for (const Case &c : cases) {
    Result r = run(c.args);
    EXPECT_EQ(r.code, c.code) << c.args << "\n" << r.err;
    EXPECT_EQ(lines(r.err), 1) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_EQ(r.err.rfind("rramsim ", 0), 0u) << r.err;
  }
}

TEST(Cli, CorruptModelAndShapeMismatch) {
  std::string bad = tmp("corrupt.bnn");
  std::string bytes = slurp(model());
  bytes[bytes.size() / 2] ^= 0x20;
  std::ofstream(bad, std::ios::binary) << bytes;
  Result r = run("eval --model " + bad + " --data fashion-mnist --limit 10");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("CRC mismatch"), std::string::npos) << r.err;
  std::ofstream(bad, std::ios::binary) << bytes.substr(0, 30);
  r = run("model info " + bad);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("truncated"), std::string::npos) << r.err;
  std::string v7 = tmp("vgg7.bnn");
  ASSERT_EQ(run("model random --arch vgg7 --seed 1 --out " + v7).code, 0);
  r = run("eval --model " + v7 + " --data fashion-mnist --limit 10");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("model expects 32x32x3 images"), std::string::npos) << r.err;
  std::remove(v7.c_str());
  std::remove(bad.c_str());
}
