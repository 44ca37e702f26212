// test_cli.cpp — `rramsim model` and `rramsim eval` end to end through the built binary: happy
// paths and one clear error line (non-zero exit, no crash) for each kind of bad input; and
// `rramsim --version`, the git description the build wrote (cmake/RramsimVersion.cmake).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "bnn/bnn.h"
#include "bnn_testutil.h"

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
  EXPECT_EQ(r.out.find("input encoding"), std::string::npos);  // no offset: nothing said
  // An input offset (format version 3) is shown with its value.
  bnn_model *m = bnntest::random_model(3, 2, 2, {{'d', 8}, {'d', 3}}, 4);
  ASSERT_NE(m, nullptr);
  const int64_t num[3] = {255, 67, -3}, t[8] = {0};
  ASSERT_EQ(bnn_model_set_input_offset(m, 1, num, t), BNN_OK);
  ASSERT_EQ(bnn_model_save(m, v.c_str()), BNN_OK);
  bnn_model_free(m);
  r = run("model info " + v);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("input encoding: offset from the stored weights"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("127.5 (N 255), 33.5 (N 67), -1.5 (N -3)"), std::string::npos) << r.out;
  std::remove(v.c_str());
  EXPECT_EQ(run("model --help").code, 0);
  EXPECT_EQ(run("eval --help").code, 0);
}

TEST(Cli, EvalCleanAndWithErrorsJson) {
  Result r =
      run("eval --model " + model() + " --data fashion-mnist --limit 300 --threads 2 --quiet");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("accuracy:"), std::string::npos);
  EXPECT_NE(r.out.find("300 images"), std::string::npos);
  r = run("eval --model " + model() +
          " --data fashion-mnist --limit 200 --ber-write01 0.01 --ber-write10 0.02 --ber-read "
          "0.001 --reps 3 --seed 5 --json --quiet");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"reps\": 3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"write10\": 0.02"), std::string::npos) << r.out;
  // Errors only in the output layer (weight layer 1): fewer write flips than in all layers.
  Result part =
      run("eval --model " + model() +
          " --data fashion-mnist --limit 50 --ber-write 0.05 --error-layers 1 --json --quiet");
  Result all = run("eval --model " + model() +
                   " --data fashion-mnist --limit 50 --ber-write 0.05 --json --quiet");
  ASSERT_EQ(part.code, 0) << part.err;
  auto flips = [](const std::string &s) {
    return std::stoull(s.substr(s.find("\"write\": ") + 10));
  };
  EXPECT_LT(flips(part.out), flips(all.out) / 10) << part.out << all.out;
  EXPECT_NE(part.out.find("\"layer_mask\": 2"), std::string::npos) << part.out;
  // Same seed, other thread count: same accuracies.
  Result r2 = run("eval --model " + model() +
                  " --data fashion-mnist --limit 200 --ber-write01 0.01 --ber-write10 0.02 "
                  "--ber-read 0.001 --reps 3 --seed 5 --json --quiet --threads 1");
  auto acc = [](const std::string &s) {
    return s.substr(s.find("\"accuracy\""), s.find("\"flips\"") - s.find("\"accuracy\""));
  };
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
      {"eval --model " + m + " --data fashion-mnist --ber-write 0.1 --ber-write01 0.1",
       "cannot be combined", 2},
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
      {"model random --arch 784-10 --seed 1 --out /nonexistent-dir/m.bnn", "/nonexistent-dir/m.bnn",
       1},
      {"model frobnicate", "unknown subcommand", 2},
      {"eval --model " + m + " --data fashion-mnist --limit 10 --ber-write 0.1 --error-layers 5",
       "weight layers 0..1", 2},
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

// One option convention for every command (apps/cli.c cli_parse_options): --opt=value equals
// --opt value, flags take no value, names are given in full, numbers are base 10, old spellings
// warn once and still work.
TEST(Cli, OneOptionConvention) {
  const std::string m = model();
  const std::string base = "eval --model " + m + " --data fashion-mnist --json --quiet";
  Result spaced = run(base + " --limit 50 --seed 7 --ber-write 0.05");
  Result joined = run(base + " --limit=50 --seed=7 --ber-write=0.05");
  ASSERT_EQ(spaced.code, 0) << spaced.err;
  ASSERT_EQ(joined.code, 0) << joined.err;
  // Everything but the timing fields is equal: the same images, seed and rate were used.
  auto strip_timing = [](std::string s) {
    for (const char *key : {"\"seconds\"", "\"images_per_s\""}) {
      for (size_t at = s.find(key); at != std::string::npos; at = s.find(key, at + 1)) {
        const size_t end = s.find_first_of(",}", at);
        s.erase(at, end - at);
      }
    }
    return s;
  };
  EXPECT_EQ(strip_timing(spaced.out), strip_timing(joined.out));
  EXPECT_NE(spaced.out.find("\"images\": 50"), std::string::npos) << spaced.out;
  // Leading zeros are decimal: 010 is ten images, not eight.
  Result dec = run(base + " --limit 010");
  EXPECT_EQ(dec.code, 0) << dec.err;
  EXPECT_NE(dec.out.find("\"images\": 10"), std::string::npos) << dec.out;
  struct Case {
    std::string args, expect;
  } bad[] = {
      {base + " --limit 0x10", "--limit: expected an integer"},
      {base + " --limit +5", "--limit: expected an integer"},
      {base + " --limit ' 5'", "--limit: expected an integer"},
      {base + " --ber-write 0x0.1", "--ber-write: expected a number"},
      {base + " --ber-write nan", "--ber-write: expected a number"},
      {base + " --lim 5", "unknown option '--lim'"},
      {base + " --json=1", "option '--json' takes no value"},
      {base + " --seed", "option '--seed' needs a value"},
      {base + " stray", "unexpected argument 'stray'"},
      {"model info", "info takes exactly one FILE"},
      {"model info a b", "info takes exactly one FILE"},
      {"trace info --gzip-level=0 x.stl", "--gzip-level: expected an integer in [1, 9]"},
  };
  for (const Case &c : bad) {
    Result r = run(c.args);
    EXPECT_EQ(r.code, 2) << c.args << "\n" << r.err;
    EXPECT_EQ(lines(r.err), 1) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find("(see 'rramsim "), std::string::npos) << r.err;
  }
  // A deprecated spelling: one warning line, then the same result as the new one.
  Result old = run("eval --model " + m + " --data fashion-mnist --json --no-progress --limit 20");
  Result now = run("eval --model " + m + " --data fashion-mnist --json --quiet --limit 20");
  EXPECT_EQ(old.code, 0);
  EXPECT_EQ(old.err, "rramsim eval: --no-progress is deprecated, use --quiet\n");
  EXPECT_EQ(strip_timing(old.out), strip_timing(now.out));
  // Positional arguments may come among the options; model info FILE after an option-less word.
  Result info = run("model info " + m);
  EXPECT_EQ(info.code, 0) << info.err;
  Result info2 = run("model info -- " + m);
  EXPECT_EQ(info2.code, 0) << info2.err;
  EXPECT_EQ(info.out, info2.out);
  // JSON strings are escaped (jansson): a model path with a quote and a backslash.
  const std::string odd = tmp("m\"q\\x.bnn");
  ASSERT_EQ(std::system(("cp " + m + " '" + odd + "'").c_str()), 0);
  Result js = run("eval --model '" + odd + "' --data fashion-mnist --limit 10 --json --quiet");
  EXPECT_EQ(js.code, 0) << js.err;
  EXPECT_NE(js.out.find("m\\\"q\\\\x.bnn\""), std::string::npos) << js.out;
  std::remove(odd.c_str());
  // Every command documents the convention's --help and exits 0 with usage on stdout.
  for (const char *cmd : {"eval", "model random", "trace info"}) {
    Result h = run(std::string(cmd) + " --help");
    EXPECT_EQ(h.code, 0) << cmd;
    EXPECT_EQ(h.out.rfind("usage: rramsim", 0), 0u) << cmd << "\n" << h.out;
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

namespace {

// stdout of a shell command, trailing newlines stripped; its exit code in *rc.
std::string capture(const std::string &cmd, int *rc) {
  std::string out;
  FILE *p = popen(cmd.c_str(), "r");
  if (!p) {
    *rc = -1;
    return out;
  }
  char buf[512];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int st = pclose(p);
  *rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

int sh(const std::string &cmd) {
  const int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

bool have_git() {
  return sh("git --version >/dev/null 2>&1") == 0;
}

// Whether dir is the top of its own git checkout (what RramsimVersion.cmake asks too).
bool is_checkout_top(const std::string &dir) {
  int rc = 0;
  const std::string top =
      capture("git -C '" + dir + "' rev-parse --show-toplevel 2>/dev/null", &rc);
  char a[4096], b[4096];
  return rc == 0 && realpath(top.c_str(), a) && realpath(dir.c_str(), b) && std::string(a) == b;
}

// The string in `#define RRAMSIM_VERSION_STRING "..."` of a generated header ("" if none).
std::string header_version(const std::string &path) {
  const std::string h = slurp(path), key = "#define RRAMSIM_VERSION_STRING \"";
  const size_t b = h.find(key), e = b == std::string::npos ? b : h.find('"', b + key.size());
  return e == std::string::npos ? std::string() : h.substr(b + key.size(), e - b - key.size());
}

// Runs the version script on source dir src, writing out; the version it wrote.
std::string run_script(const std::string &src, const std::string &out) {
  const std::string cmd = std::string("'" RRAMSIM_CMAKE_COMMAND "' -DSOURCE_DIR='") + src +
                          "' -DOUTPUT='" + out +
                          "' -DPROJECT_VERSION=" RRAMSIM_PROJECT_VERSION " -P '" RRAMSIM_SOURCE_DIR
                          "/cmake/RramsimVersion.cmake'";
  EXPECT_EQ(sh(cmd), 0) << cmd;
  return header_version(out);
}

long mtime(const std::string &path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? (long)st.st_mtime : -1;
}

bool all_of(const std::string &s, const char *set) {
  return !s.empty() && s.find_first_not_of(set) == std::string::npos;
}

// A version split into its parts: <project version>, or <project version>+<git describe --always
// --dirty>, where the description is an abbreviated commit, <tag>-<n>-g<commit> or <tag>, then
// -dirty if tracked files were modified. (Parsed by hand: <regex> warns under GCC 12's sanitizers.)
struct Version {
  bool ok = false, described = false, dirty = false;
  std::string base, desc, commit;  // desc without -dirty; commit: what names the commit in desc
  explicit Version(const std::string &v) {
    const size_t plus = v.find('+');
    base = v.substr(0, plus);
    const size_t d1 = base.find('.'), d2 = d1 == std::string::npos ? d1 : base.find('.', d1 + 1);
    if (d2 == std::string::npos || !all_of(base.substr(0, d1), "0123456789") ||
        !all_of(base.substr(d1 + 1, d2 - d1 - 1), "0123456789") ||
        !all_of(base.substr(d2 + 1), "0123456789"))
      return;
    if (plus == std::string::npos) {
      ok = true;
      return;
    }
    described = true;
    desc = v.substr(plus + 1);
    const std::string dirty_tag = "-dirty";
    if (desc.size() > dirty_tag.size() &&
        desc.compare(desc.size() - dirty_tag.size(), dirty_tag.size(), dirty_tag) == 0) {
      dirty = true;
      desc.resize(desc.size() - dirty_tag.size());
    }
    commit = desc;  // an abbreviated commit, or a tag
    const size_t g = desc.rfind("-g"), n = g == std::string::npos ? g : desc.rfind('-', g - 1);
    if (n != std::string::npos && n > 0 && all_of(desc.substr(n + 1, g - n - 1), "0123456789") &&
        all_of(desc.substr(g + 2), "0123456789abcdef"))
      commit = desc.substr(g + 2);
    ok = !desc.empty() && desc.find_first_of(" \t\n\"") == std::string::npos;
  }
};

}  // namespace

// The binary names what its build saw: the header the build wrote, in the documented format, and
// in a git checkout a commit that exists in it (the tree may have moved on since the build).
TEST(Version, BinaryReportsTheDescriptionItsBuildWrote) {
  Result r = run("--version");
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(r.out.rfind("rramsim ", 0), 0u) << r.out;
  const std::string v = r.out.substr(8, r.out.size() - 9);
  EXPECT_EQ(r.out, "rramsim " + v + "\n");
  EXPECT_EQ(run("version").out, r.out);
  EXPECT_EQ(v, header_version(RRAMSIM_BINARY_DIR "/generated/rramsim_version.h"));
  const Version parsed(v);
  ASSERT_TRUE(parsed.ok) << v;
  EXPECT_EQ(parsed.base, RRAMSIM_PROJECT_VERSION);
  if (!have_git() || !is_checkout_top(RRAMSIM_SOURCE_DIR)) {
    EXPECT_FALSE(parsed.described) << "outside a git checkout the version is the project's: " << v;
    return;
  }
  ASSERT_TRUE(parsed.described) << "a git checkout's build names its commit: " << v;
  const std::string &commit = parsed.commit;
  int rc = 0;
  capture("git -C '" RRAMSIM_SOURCE_DIR "' rev-parse --verify --quiet '" + commit + "^{commit}'",
          &rc);
  EXPECT_EQ(rc, 0) << commit << " (from " << v << ") is no commit of " << RRAMSIM_SOURCE_DIR;
}

// The script: describes the tree as it is now, marks modified tracked files -dirty, falls back to
// the project version outside a checkout (also for a folder inside someone else's checkout), and
// rewrites the header only when its content changes.
TEST(Version, ScriptFollowsTheTreeAndRewritesTheHeaderOnlyOnChange) {
  const std::string out = tmp("version.h");
  // Not a checkout: a folder inside the build tree (so inside this checkout, when there is one).
  const std::string nogit = tmp("nogit");
  ASSERT_EQ(sh("rm -rf '" + nogit + "' && mkdir -p '" + nogit + "'"), 0);
  EXPECT_EQ(run_script(nogit, out), RRAMSIM_PROJECT_VERSION);
  // Unchanged content: the file is left alone (an old timestamp survives).
  struct utimbuf old = {946684800, 946684800};  // 2000-01-01
  ASSERT_EQ(utime(out.c_str(), &old), 0);
  EXPECT_EQ(run_script(nogit, out), RRAMSIM_PROJECT_VERSION);
  EXPECT_EQ(mtime(out), 946684800L);
  // Other content: rewritten.
  std::ofstream(out) << "#define RRAMSIM_VERSION_STRING \"stale\"\n";
  EXPECT_EQ(run_script(nogit, out), RRAMSIM_PROJECT_VERSION);
  if (!have_git()) {
    sh("rm -rf '" + nogit + "'");
    std::remove(out.c_str());
    GTEST_SKIP() << "git is not installed";
  }
  // A checkout of its own: <version>+<commit>, then -dirty once a tracked file changes; at an
  // annotated tag, the tag.
  const std::string g = "git -C '" + nogit +
                        "' -c user.name=t -c user.email=t@example.org -c init.defaultBranch=main ";
  ASSERT_EQ(sh(g + "init -q && echo a > '" + nogit + "/f' && " + g + "add f && " + g +
               "commit -q -m one"),
            0);
  int rc = 0;
  const std::string head = capture(g + "rev-parse --short HEAD", &rc);
  ASSERT_EQ(rc, 0);
  EXPECT_EQ(run_script(nogit, out), std::string(RRAMSIM_PROJECT_VERSION "+") + head);
  std::ofstream(nogit + "/f") << "b\n";
  EXPECT_EQ(run_script(nogit, out), std::string(RRAMSIM_PROJECT_VERSION "+") + head + "-dirty");
  ASSERT_EQ(
      sh(g + "commit -q -a -m two && " + g + "tag -a v9.9 -m v9.9 && echo c > '" + nogit + "/f'"),
      0);
  EXPECT_EQ(run_script(nogit, out), RRAMSIM_PROJECT_VERSION "+v9.9-dirty");
  EXPECT_TRUE(Version(RRAMSIM_PROJECT_VERSION "+v9.9-dirty").dirty);
  EXPECT_EQ(Version(RRAMSIM_PROJECT_VERSION "+v9.9-dirty").commit, "v9.9");
  // One commit past the tag: <tag>-1-g<commit>, which the parser above takes apart.
  ASSERT_EQ(sh(g + "commit -q -a -m three"), 0);
  const std::string head3 = capture(g + "rev-parse --short HEAD", &rc);
  const std::string past = run_script(nogit, out);
  EXPECT_EQ(past, std::string(RRAMSIM_PROJECT_VERSION "+v9.9-1-g") + head3);
  const Version pv(past);
  EXPECT_TRUE(pv.ok && pv.described && !pv.dirty) << past;
  EXPECT_EQ(pv.commit, head3);
  // This source tree, now: what git describe says.
  if (is_checkout_top(RRAMSIM_SOURCE_DIR)) {
    const std::string want =
        capture("git -C '" RRAMSIM_SOURCE_DIR "' describe --always --dirty", &rc);
    ASSERT_EQ(rc, 0);
    EXPECT_EQ(run_script(RRAMSIM_SOURCE_DIR, out), std::string(RRAMSIM_PROJECT_VERSION "+") + want);
  }
  sh("rm -rf '" + nogit + "'");
  std::remove(out.c_str());
}
