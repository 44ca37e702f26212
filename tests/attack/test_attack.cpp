// test_attack.cpp — the attack suite: the built rramsim CLI driven with special files (FIFO,
// /dev/zero, a directory, an unreadable file) in every input option of every command, full disks
// (a small tmpfs, when running as root), address-space limits, two concurrent runs on one
// output, known-bad and randomly mutated inputs of every format. Every case has a hard timeout
// and is classified (attack_runner.hpp); the suite prints
//   attack: N cases, C crashes, H hangs, S silent accepts, F false successes
// and passes only when all but N are 0 (and no error lacks its one-line message).
// RRAMSIM_ATTACK_MUTATIONS=n sets the random mutations per format (default 12).
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>

#include "attack_runner.hpp"

namespace {

using attack::Case;
using attack::Expect;
using attack::Kind;
using attack::Outcome;
using attack::slurp;
using attack::write_file;

const std::string kSrc = RRAMSIM_SOURCE_DIR;

std::string replace_all(std::string s, const std::string &from, const std::string &to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
  return s;
}

std::vector<std::string> split_args(const std::string &s) {
  std::vector<std::string> v;
  std::istringstream is(s);
  for (std::string a; is >> a;) v.push_back(a == "''" ? std::string() : a);
  return v;
}

void sh(const std::string &cmd) {
  if (std::system(cmd.c_str()) != 0) ADD_FAILURE() << "failed: " << cmd;
}

struct Tally {
  size_t n = 0;
  std::map<Kind, size_t> by;
  std::vector<std::string> findings;
};

class Attack : public ::testing::Test {
 protected:
  static std::string d_, scratch_, out_;
  static bool fixture_ok_;
  static Tally tally_;
  static std::map<std::string, std::string> vars_;

  static std::string expand(std::string s) {
    for (const auto &kv : vars_) s = replace_all(s, "{" + kv.first + "}", kv.second);
    return s;
  }

  // Runs `rramsim <args>` for the fixture; it must succeed.
  static bool fixture_run(const std::string &args) {
    Case c;
    c.args = split_args(expand(args));
    c.timeout_s = 120;
    const Outcome o = attack::run_case(c, scratch_);
    if (o.kind != Kind::kOk) {
      ADD_FAILURE() << "fixture: rramsim " << args << ": " << attack::kind_name(o.kind) << " "
                    << o.detail << "\n"
                    << o.err;
      return false;
    }
    return true;
  }

  static void SetUpTestSuite() {
    d_ = std::string(::testing::TempDir()) + "/attack_" + std::to_string((long)getpid());
    sh("rm -rf '" + d_ + "'");
    mkdir(d_.c_str(), 0755);
    scratch_ = d_ + "/scratch";
    out_ = d_ + "/out";
    mkdir(scratch_.c_str(), 0755);
    const std::string sys = replace_all(slurp(kSrc + "/configs/systems/small.json"),
                                        "\"../devices/", "\"" + kSrc + "/configs/devices/");
    write_file(d_ + "/sys.json", sys);
    vars_ = {{"D", d_},
             {"M", d_ + "/m.bnn"},
             {"T", d_ + "/tiny"},
             {"S", d_ + "/sys.json"},
             {"E", d_ + "/exp.json"},
             {"O", out_},
             {"TR", d_ + "/t.stl"},
             {"F", d_ + "/faults.csv"},
             {"R", d_ + "/res"},
             {"MAP", kSrc + "/traces/examples/errmap_address.csv"},
             {"DEV", kSrc + "/configs/devices/hfo2_2t2r.json"},
             {"P", kSrc + "/tests/sim/data/points_2t2r.csv"}};
    mkdir((d_ + "/tiny").c_str(), 0755);
    e2e::write_idx(d_ + "/tiny", "train", 100, false);
    e2e::write_idx(d_ + "/tiny", "t10k", 20, false);
    mkdir((d_ + "/tinygz").c_str(), 0755);
    e2e::write_idx(d_ + "/tinygz", "t10k", 20, true);
    write_file(d_ + "/exp.json",
               "{\"systems\": [\"sys.json\"], \"models\": [\"m.bnn\"], "
               "\"op_points\": \"all\", \"data\": \"" +
                   d_ + "/tiny\", \"images\": 5, \"seeds\": [1, 2]}\n");
    fixture_ok_ = fixture_run("model random --arch 784-16-10 --seed 1 --out {M}") &&
                  fixture_run("sim --system {S} --requests 40 --quiet --record-accesses {TR}") &&
                  fixture_run("trace convert {TR} {D}/t.rstl") &&
                  fixture_run("trace convert {TR} {D}/t.rrt") &&
                  fixture_run(
                      "run --system {S} --op-point ultra_low --model {M} --data {T} "
                      "--limit 5 --quiet --record-faults {F}") &&
                  fixture_run("sweep {E} --out {R} --quiet");
    // Special files.
    mkfifo((d_ + "/fifo").c_str(), 0600);
    mkdir((d_ + "/adir").c_str(), 0755);
    for (const char *ds : {"fifodata", "zerodata", "dirdata"}) {
      const std::string dd = d_ + "/" + ds;
      mkdir(dd.c_str(), 0755);
      write_file(dd + "/t10k-labels-idx1-ubyte", slurp(d_ + "/tiny/t10k-labels-idx1-ubyte"));
    }
    symlink((d_ + "/fifo").c_str(), (d_ + "/fifodata/t10k-images-idx3-ubyte").c_str());
    symlink("/dev/zero", (d_ + "/zerodata/t10k-images-idx3-ubyte").c_str());
    mkdir((d_ + "/dirdata/t10k-images-idx3-ubyte").c_str(), 0755);
    write_file(d_ + "/unreadable", slurp(d_ + "/m.bnn"));
    chmod((d_ + "/unreadable").c_str(), 0);
  }

  static void TearDownTestSuite() {
    const size_t crash = tally_.by[Kind::kCrash], hang = tally_.by[Kind::kHang],
                 silent = tally_.by[Kind::kSilentAccept], fs = tally_.by[Kind::kFalseSuccess];
    char line[256];
    snprintf(line, sizeof line,
             "attack: %zu cases, %zu crashes, %zu hangs, %zu silent accepts, %zu false successes "
             "(%zu ok, %zu clean errors, %zu errors without a one-line message)\n",
             tally_.n, crash, hang, silent, fs, tally_.by[Kind::kOk], tally_.by[Kind::kCleanError],
             tally_.by[Kind::kUnclearError]);
    std::fputs(line, stdout);
    std::FILE *f = std::fopen(RRAMSIM_ATTACK_TOTALS, "w");
    if (f) {
      std::fputs(line, f);
      std::fclose(f);
    }
    chmod((d_ + "/unreadable").c_str(), 0600);
    umount((d_ + "/fs").c_str());
    if (!::testing::UnitTest::GetInstance()->Failed()) sh("rm -rf '" + d_ + "'");
  }

  // Runs one case (args expanded) and records its outcome; a finding fails the test.
  static void attack(Case c) {
    for (std::string &a : c.args) a = expand(a);
    for (std::string &o : c.outputs) o = expand(o);
    for (std::string &i : c.inputs) i = expand(i);
    const Outcome o = attack::run_case(c, scratch_);
    ++tally_.n;
    ++tally_.by[o.kind];
    if (o.kind == Kind::kOk || o.kind == Kind::kCleanError) return;
    std::string cmd;
    for (const std::string &a : c.args) cmd += " " + (a.empty() ? std::string("''") : a);
    std::string last = o.err;
    while (!last.empty() && last.back() == '\n') last.pop_back();
    if (last.size() > 300) last = "..." + last.substr(last.size() - 300);
    ADD_FAILURE() << c.family << "/" << c.name << ": " << attack::kind_name(o.kind) << " ("
                  << o.detail << ")\n  rramsim" << cmd << "\n  stderr: " << last;
  }

  // A clean, empty output directory for the next case.
  static void fresh_out() {
    sh("rm -rf '" + out_ + "'");
    mkdir(out_.c_str(), 0755);
  }

  static Case make(const std::string &family, const std::string &name, const std::string &args,
                   Expect e = Expect::kAny) {
    Case c;
    c.family = family;
    c.name = name;
    c.args = split_args(args);
    c.expect = e;
    return c;
  }
};

std::string Attack::d_, Attack::scratch_, Attack::out_;
bool Attack::fixture_ok_ = false;
Tally Attack::tally_;
std::map<std::string, std::string> Attack::vars_;

// Every input option of every command, {X} standing for the input under attack.
const char *const kInputSlots[] = {
    "model info {X}",
    "eval --model {X} --data {T} --quiet",
    "eval --model {M} --data {X} --quiet",
    "metric --model {X} --data {T} --limit 5",
    "metric --model {M} --data {X} --limit 5",
    "predict --model {X} --data {T} --ber 0.01 --limit 5",
    "predict --model {M} --data {X} --ber 0.01 --limit 5",
    "train --arch 784-16-10 --data {X} --out {O}/o.bnn --epochs 1 --quiet",
    "train --arch 784-16-10 --data {T} --out {O}/o.bnn --epochs 1 --quiet --train-limit 20 "
    "--test-limit 10 --checkpoint {X} --resume",
    "experiment paper --report-only --out-dir {O}/p --report {O}/r.md --notes {X} --quiet",
    "sim --system {X} --requests 10 --quiet",
    "sim --system {S} --error-map {X} --requests 10 --quiet",
    "device fit {X}",
    "device info {X}",
    "run --system {X} --model {M} --data {T} --limit 3 --quiet",
    "run --system {S} --model {X} --data {T} --limit 3 --quiet",
    "run --system {S} --model {M} --data {X} --limit 3 --quiet",
    "run --system {S} --model {M} --data {T} --limit 3 --quiet --error-map {X}",
    "sweep {X} --out {O}/sw --quiet",
    "sweep {E} --models {X} --out {O}/sw --quiet",
    "sweep --merge {X}",
    "plot {X} --out {O}/pl",
    "replay --trace {X} --system {S} --quiet",
    "replay --trace {TR} --system {X} --quiet",
    "replay --trace {TR} --system {S} --error-map {X} --quiet",
    "faults replay --model {X} --faults {F} --system {S} --data {T} --limit 5",
    "faults replay --model {M} --faults {X} --system {S} --data {T} --limit 5",
    "faults replay --model {M} --faults {F} --system {X} --data {T} --limit 5",
    "faults replay --model {M} --faults {F} --system {S} --data {X} --limit 5",
    "faults replay --model {M} --faults {F} --system {S} --data {T} --limit 5 --error-map {X}",
    "faults analyze --model {X} --faults {F} --system {S} --data {T} --limit 5 --neurons 2",
    "faults analyze --model {M} --faults {X} --system {S} --data {T} --limit 5 --neurons 2",
    "trace convert {X} {O}/o.rrt",
    "trace info {X}",
};

// Inputs named inside other files: a system's device, an experiment's systems, models, map.
const char *const kNestedSlots[] = {
    "sys_device", "sys_errmap", "exp_system", "exp_model", "exp_errmap", "exp_data",
};

TEST_F(Attack, SpecialFilesInEveryInputAreRefused) {
  ASSERT_TRUE(fixture_ok_);
  std::vector<std::pair<std::string, std::string>> kinds = {
      {"fifo", d_ + "/fifo"}, {"devzero", "/dev/zero"}, {"dir", d_ + "/adir"}};
  if (geteuid() != 0)
    kinds.push_back({"unreadable", d_ + "/unreadable"});
  else
    std::printf("attack: unreadable-file cases skipped (root reads every file)\n");
  for (const char *slot : kInputSlots) {
    for (const auto &k : kinds) {
      std::string t = replace_all(slot, "{X}", k.second);
      // Data sets are directories: a directory of the right files is valid, an empty one is not.
      if (k.first == "dir" && std::string(slot).find("--data {X}") != std::string::npos)
        t = replace_all(slot, "{X}", k.first == "dir" ? d_ + "/dirdata" : k.second);
      // --merge and plot take a directory: an empty one must be refused, and it is BAD anyway.
      fresh_out();
      Case c = make("special", std::string(k.first) + ": " + slot, t, Expect::kBad);
      c.timeout_s = 6;
      c.outputs = {"{O}/o.bnn", "{O}/sw", "{O}/o.rrt", "{O}/pl"};
      attack(c);
    }
  }
  // A data set directory whose image file is a FIFO or /dev/zero.
  for (const char *ds : {"fifodata", "zerodata"}) {
    for (const char *slot : {"eval --model {M} --data {X} --quiet",
                             "train --arch 784-16-10 --data {X} --out {O}/o.bnn --epochs 1"}) {
      fresh_out();
      Case c = make("special", std::string(ds) + ": " + slot,
                    replace_all(slot, "{X}", d_ + "/" + ds), Expect::kBad);
      c.timeout_s = 6;
      c.outputs = {"{O}/o.bnn"};
      attack(c);
    }
  }
  // Inputs named inside system and experiment files.
  const std::string sys = slurp(d_ + "/sys.json");
  for (const auto &k : kinds) {
    for (const char *slot : kNestedSlots) {
      const std::string s(slot), x = k.second;
      std::string args;
      if (s == "sys_device") {
        const size_t p = sys.find("\"device\"");
        const size_t q = sys.find('"', sys.find(':', p) + 1), r = sys.find('"', q + 1);
        write_file(d_ + "/nested.json", sys.substr(0, q + 1) + x + sys.substr(r));
        args = "sim --system {D}/nested.json --requests 10 --quiet";
      } else if (s == "sys_errmap") {
        write_file(d_ + "/nested.json",
                   "{\"error_map\": \"" + x + "\"," + sys.substr(sys.find('{') + 1));
        args = "sim --system {D}/nested.json --requests 10 --quiet";
      } else {
        std::string sysv = "sys.json", model = "m.bnn", extra, data = d_ + "/tiny";
        if (s == "exp_system") sysv = x;
        if (s == "exp_model") model = x;
        if (s == "exp_errmap") extra = ", \"error_map\": \"" + x + "\"";
        if (s == "exp_data") data = k.first == "dir" ? d_ + "/dirdata" : x;
        write_file(d_ + "/nested.json", "{\"systems\": [\"" + sysv + "\"], \"models\": [\"" +
                                            model + "\"], \"data\": \"" + data +
                                            "\", \"images\": 5" + extra + "}");
        args = "sweep {D}/nested.json --out {O}/sw --quiet";
      }
      fresh_out();
      Case c = make("special", k.first + " in " + s, args, Expect::kBad);
      c.timeout_s = 6;
      c.outputs = {"{O}/sw"};
      attack(c);
    }
  }
}

// Commands that print their result on stdout must notice when it cannot be written.
TEST_F(Attack, StdoutOnAFullDeviceIsAnError) {
  ASSERT_TRUE(fixture_ok_);
  for (const char *args :
       {"--version", "--help", "model info {M}", "eval --model {M} --data {T} --quiet",
        "metric --model {M} --data {T} --limit 5",
        "predict --model {M} --data {T} --ber 0.01 --limit 5", "device info {DEV}",
        "device fit {P}", "sim --system {S} --requests 10 --quiet", "trace info {TR}",
        "run --system {S} --model {M} --data {T} --limit 3 --quiet",
        "replay --trace {TR} --system {S} --quiet",
        "faults replay --model {M} --faults {F} --system {S} --data {T} --limit 5"}) {
    Case c = make("stdout-full", args, args, Expect::kBad);
    c.stdout_path = "/dev/full";
    attack(c);
  }
}

// Full disks: a small tmpfs (needs root); completely full, and with room for small files only.
TEST_F(Attack, FullDisksNeverGiveFalseSuccess) {
  ASSERT_TRUE(fixture_ok_);
  if (geteuid() != 0) {
    std::printf("attack: full-disk cases skipped (mounting a tmpfs needs root)\n");
    GTEST_SKIP() << "not root: no tmpfs";
  }
  const std::string mnt = d_ + "/fs";
  mkdir(mnt.c_str(), 0755);
  struct Out {
    const char *args;
    std::vector<std::string> outputs;
  };
  const std::vector<Out> cmds = {
      {"model random --arch 784-512-512-10 --seed 1 --out {FS}/o.bnn", {"{FS}/o.bnn"}},
      {"eval --model {M} --data {T} --quiet --ber-sweep 0,0.1 --csv {FS}/o.csv", {"{FS}/o.csv"}},
      {"train --arch 784-64-10 --data {T} --out {FS}/o.bnn --epochs 1 --quiet",
       {"{FS}/o.bnn", "{FS}/o.bnn.log.jsonl", "{FS}/o.bnn.ckpt"}},
      {"sim --system {S} --requests 200 --quiet --stats {FS}/s.json --record-accesses {FS}/a.stl "
       "--record-faults {FS}/f.csv",
       {"{FS}/s.json", "{FS}/a.stl", "{FS}/f.csv"}},
      {"run --system {S} --model {M} --data {T} --limit 5 --quiet --out {FS}/r --predictions "
       "{FS}/p.txt --record-faults {FS}/f.csv",
       {"{FS}/r", "{FS}/p.txt", "{FS}/f.csv"}},
      {"sweep {E} --out {FS}/sw --quiet", {"{FS}/sw"}},
      {"plot {R} --out {FS}/pl", {"{FS}/pl"}},
      {"replay --trace {TR} --system {S} --quiet --stats {FS}/s.json --record-accesses "
       "{FS}/a.rrt",
       {"{FS}/s.json", "{FS}/a.rrt"}},
      {"faults replay --model {M} --faults {F} --system {S} --data {T} --limit 5 "
       "--predictions {FS}/p.txt",
       {"{FS}/p.txt"}},
      {"faults analyze --model {M} --faults {F} --system {S} --data {T} --limit 5 --neurons 2 "
       "--out {FS}/an",
       {"{FS}/an"}},
      {"trace convert {TR} {FS}/o.stl.gz", {"{FS}/o.stl.gz"}},
      {"trace convert {TR} {FS}/o.rstl", {"{FS}/o.rstl"}},
      {"experiment paper --report-only --out-dir {FS}/p --report {FS}/r.md --quiet", {"{FS}/r.md"}},
  };
  for (const char *size : {"full", "16k", "64k"}) {
    for (const Out &o : cmds) {
      umount(mnt.c_str());
      const std::string opts = std::string("size=") + (std::string(size) == "full" ? "64k" : size);
      if (mount("tmpfs", mnt.c_str(), "tmpfs", 0, opts.c_str()) != 0) {
        std::printf("attack: full-disk cases skipped (mount tmpfs: %s)\n", strerror(errno));
        GTEST_SKIP() << "cannot mount a tmpfs";
      }
      if (std::string(size) == "full") {
        // Fill it: whatever the command writes fails at once.
        std::FILE *f = std::fopen((mnt + "/filler").c_str(), "w");
        if (f) {
          static const char block[4096] = {0};
          while (std::fwrite(block, 1, sizeof block, f) == sizeof block) {
          }
          std::fclose(f);
        }
      }
      Case c =
          make("full-disk", std::string(size) + ": " + o.args, replace_all(o.args, "{FS}", mnt));
      for (const std::string &p : o.outputs) c.outputs.push_back(replace_all(p, "{FS}", mnt));
      c.timeout_s = 60;
      attack(c);
    }
  }
  umount(mnt.c_str());
}

// Address-space limits: clean "out of memory" or success, never an abort or a hang.
TEST_F(Attack, MemoryLimitsGiveCleanErrors) {
  ASSERT_TRUE(fixture_ok_);
  const char *const cmds[] = {
      "--version",
      "model info {M}",
      "model random --arch 784-4096-4096-10 --seed 1 --out {O}/o.bnn",
      "eval --model {M} --data {T} --quiet",
      "train --arch 784-64-10 --data {T} --out {O}/o.bnn --epochs 1 --quiet",
      "train --arch 784-2048-2048-10 --data {T} --out {O}/o.bnn --epochs 1 --quiet",
      "metric --model {M} --data {T} --limit 5",
      "predict --model {M} --data {T} --ber 0.01 --limit 5",
      "sim --system {S} --requests 50 --quiet",
      "device info {DEV}",
      "device fit {P}",
      "run --system {S} --model {M} --data {T} --limit 3 --quiet",
      "replay --trace {TR} --system {S} --quiet",
      "faults replay --model {M} --faults {F} --system {S} --data {T} --limit 5",
      "trace info {TR}",
      "sweep {E} --out {O}/sw --quiet",
  };
  for (rlim_t mb : {48, 160, 600}) {
    for (const char *args : cmds) {
      fresh_out();
      Case c = make("memory", std::to_string(mb) + " MB: " + args, args);
      c.as_limit = mb << 20;
      c.timeout_s = 30;
      attack(c);
    }
  }
}

// Two runs on one output at the same time: a lock, or both right; never every point twice.
TEST_F(Attack, ConcurrentRunsOnOneOutput) {
  ASSERT_TRUE(fixture_ok_);
  struct Pair {
    const char *name, *args;
    std::function<std::string()> check;
  };
  const std::string sw = out_ + "/sw", log = out_ + "/o.bnn.log.jsonl";
  auto count_lines = [](const std::string &p, const std::string &needle) {
    size_t n = 0;
    std::istringstream is(slurp(p));
    for (std::string l; std::getline(is, l);)
      if (l.find(needle) != std::string::npos) ++n;
    return n;
  };
  const std::vector<Pair> pairs = {
      {"sweep", "sweep {E} --out {O}/sw --quiet",
       [&] {
         // Every point once: 5 operating points x 2 seeds of the fixture experiment.
         const std::string j = sw + "/results.jsonl";
         const size_t rows = count_lines(j, "\"accuracy\"");
         std::set<std::string> keys;
         std::istringstream is(slurp(j));
         for (std::string l; std::getline(is, l);) {
           const size_t a = l.find("\"op_point\""), b = l.find("\"seed\"");
           if (a != std::string::npos && b != std::string::npos)
             keys.insert(l.substr(a, 40) + l.substr(b, 12));
         }
         return rows == keys.size() ? std::string()
                                    : std::to_string(rows) + " rows for " +
                                          std::to_string(keys.size()) + " points in " + j;
       }},
      {"train", "train --arch 784-16-10 --data {T} --out {O}/o.bnn --epochs 2 --quiet",
       [&] {
         const size_t n = count_lines(log, "\"epoch\"");
         return n == 2 ? std::string() : std::to_string(n) + " epoch lines (2 epochs) in " + log;
       }},
  };
  for (const Pair &p : pairs) {
    fresh_out();
    const std::vector<std::string> args = split_args(expand(p.args));
    const pid_t a = e2e::spawn(args, scratch_ + "/c1.out", scratch_ + "/c1.err", 0);
    const pid_t b = e2e::spawn(args, scratch_ + "/c2.out", scratch_ + "/c2.err", 0);
    const int sa = attack::wait_or_kill(a, 120), sb = attack::wait_or_kill(b, 120);
    ++tally_.n;
    Kind k = Kind::kOk;
    std::string detail;
    auto classify = [&](int st, const std::string &errp) {
      if (st == -1) {
        k = Kind::kHang;
        detail = "no exit within 120 s";
      } else if (WIFSIGNALED(st)) {
        k = Kind::kCrash;
        detail = strsignal(WTERMSIG(st));
      } else if (WEXITSTATUS(st) != 0) {
        std::string why;
        if (!attack::clean_error_text(slurp(errp), &why) && k == Kind::kOk) {
          k = Kind::kUnclearError;
          detail = why;
        }
      }
    };
    classify(sa, scratch_ + "/c1.err");
    classify(sb, scratch_ + "/c2.err");
    const bool one_ok = (sa >= 0 && WIFEXITED(sa) && WEXITSTATUS(sa) == 0) ||
                        (sb >= 0 && WIFEXITED(sb) && WEXITSTATUS(sb) == 0);
    if (k == Kind::kOk && !one_ok) {
      k = Kind::kCleanError;  // both refused: not wrong, but the fixture expects one to finish
      ADD_FAILURE() << "concurrent " << p.name << ": neither run succeeded\n"
                    << slurp(scratch_ + "/c1.err") << slurp(scratch_ + "/c2.err");
    }
    if (k == Kind::kOk) {
      const std::string why = p.check();
      if (!why.empty()) {
        k = Kind::kFalseSuccess;
        detail = why;
      }
    }
    ++tally_.by[k];
    if (k != Kind::kOk && k != Kind::kCleanError)
      ADD_FAILURE() << "concurrent/" << p.name << ": " << attack::kind_name(k) << " (" << detail
                    << ")";
  }
}

// Known-bad inputs of every format (each must be refused) and random byte mutations (each must
// end cleanly; they may be valid).
TEST_F(Attack, MutatedInputsOfEveryFormat) {
  ASSERT_TRUE(fixture_ok_);
  const char *env = std::getenv("RRAMSIM_ATTACK_MUTATIONS");
  const int nmut = env ? std::atoi(env) : 12;
  std::mt19937_64 rng(20261205);
  const std::string x = d_ + "/mut";
  auto flip = [&](std::string s, size_t lo) {
    if (s.size() > lo) {
      const size_t p = lo + rng() % (s.size() - lo);
      s[p] = static_cast<char>(s[p] ^ (1 + rng() % 255));
    }
    return s;
  };
  auto run_on = [&](const std::string &fmt, const std::string &name, const std::string &bytes,
                    const std::string &file, const std::string &args, Expect e) {
    write_file(file, bytes);
    fresh_out();
    Case c = make("mutate", fmt + ": " + name, args, e);
    c.timeout_s = 20;
    attack(c);
  };
  struct Format {
    std::string name, seed_file, file, args;
    size_t protected_from;  // random flips from this offset on (headers of text formats: 0)
    bool flips_are_bad;     // checksummed formats: every flip must be refused
    // A file the command reads beside `file`, copied unchanged from `with_src` before the cases
    // (a fault trace's sidecar, or the trace beside a sidecar): without it the command refuses
    // every case before it parses `file`, so the unmutated copy must be accepted.
    std::string with_file = "", with_src = "";
  };
  const std::string mutf = d_ + "/mut_faults.csv";
  const std::string side = ".meta.json";  // RRT_SIDECAR_SUFFIX (traces/README.md "CSV sidecar")
  const std::string faults_cmd =
      "faults replay --model {M} --faults " + mutf + " --system {S} --data {T} --limit 5";
  const std::vector<Format> formats = {
      {"model", d_ + "/m.bnn", x + ".bnn", "model info " + x + ".bnn", 0, true},
      {"system-json", d_ + "/sys.json", x + ".json",
       "sim --system " + x + ".json --requests 10 --quiet", 0, false},
      {"device-json", kSrc + "/configs/devices/hfo2_2t2r.json", x + ".json",
       "device info " + x + ".json", 0, false},
      {"experiment-json", d_ + "/exp.json", d_ + "/mut_exp.json",
       "sweep " + d_ + "/mut_exp.json --out {O}/sw --quiet", 0, false},
      {"stl", d_ + "/t.stl", x + ".stl", "replay --trace " + x + ".stl --system {S} --quiet", 0,
       false},
      {"rstl", d_ + "/t.rstl", x + ".rstl", "trace convert " + x + ".rstl {O}/o.rrt", 0, false},
      {"rrt", d_ + "/t.rrt", x + ".rrt", "trace convert " + x + ".rrt {O}/o.stl", 0, false},
      {"faults-csv", d_ + "/faults.csv", mutf, faults_cmd, 0, false, mutf + side,
       d_ + "/faults.csv" + side},
      {"faults-sidecar-json", d_ + "/faults.csv" + side, mutf + side, faults_cmd, 0, false, mutf,
       d_ + "/faults.csv"},
      {"errmap-csv", kSrc + "/traces/examples/errmap_address.csv", x + ".csv",
       "sim --system {S} --error-map " + x + ".csv --requests 10 --quiet", 0, false},
      {"device-fit-csv", kSrc + "/tests/sim/data/points_2t2r.csv", x + ".csv",
       "device fit " + x + ".csv", 0, false},
  };
  for (const Format &f : formats) {
    const std::string seed = slurp(f.seed_file);
    ASSERT_FALSE(seed.empty()) << f.seed_file;
    if (!f.with_file.empty()) {
      write_file(f.with_file, slurp(f.with_src));
      write_file(f.file, seed);
      fresh_out();
      EXPECT_TRUE(fixture_run(f.args)) << f.name << ": the unmutated copy is refused";
    }
    for (int i = 0; i < nmut; ++i)
      run_on(f.name, "flip " + std::to_string(i), flip(seed, f.protected_from), f.file, f.args,
             f.flips_are_bad ? Expect::kBad : Expect::kAny);
    // Truncations: checksummed and structured files must notice; text may end on a line.
    // JSON: cut before its closing brace (a cut after it may leave valid JSON).
    const bool json = f.name.find("json") != std::string::npos;
    const size_t last = json ? seed.rfind('}') : seed.size() - 1;
    for (size_t cut : {seed.size() / 3, seed.size() / 2, last}) {
      const bool bad = f.flips_are_bad || json;
      run_on(f.name, "cut at " + std::to_string(cut), seed.substr(0, cut), f.file, f.args,
             bad ? Expect::kBad : Expect::kAny);
    }
    // A NUL byte in a text file is never valid text.
    if (!f.flips_are_bad && f.name != "rrt") {
      std::string s = seed;
      s.insert(s.size() / 2, 1, '\0');
      run_on(f.name, "NUL inside", s, f.file, f.args, Expect::kBad);
    }
  }
  // Text configs: deep nesting and an oversized file.
  run_on("system-json", "nested 100000 deep", std::string(100000, '[') + std::string(100000, ']'),
         x + ".json", "sim --system " + x + ".json --requests 10 --quiet", Expect::kBad);
  {
    std::string big = slurp(d_ + "/sys.json");
    big.insert(big.rfind('}'), std::string(80u << 20, ' '));
    run_on("system-json", "80 MiB of spaces", big, x + ".json",
           "sim --system " + x + ".json --requests 10 --quiet", Expect::kBad);
  }
  {
    std::string pts = "energy_pj,ber\n";
    for (int i = 0; i < 3000000; ++i) pts += "10,0.01\n";
    run_on("device-fit-csv", "24 MB of points", pts, x + ".csv", "device fit " + x + ".csv",
           Expect::kBad);
  }

  // STL: known-bad records.
  const std::string hdr = "# format: stl\n# clock_ps: 1000\n";
  const std::string stl_cmd = "replay --trace " + x + ".stl --system {S} --quiet";
  const std::string conv_cmd = "trace convert " + x + ".stl {O}/o.rrt";
  for (const std::string &cmd : {stl_cmd, conv_cmd}) {
    run_on("stl", "cycle 2^64-1", hdr + "0: read 0x0\n18446744073709551615: read 0x40\n",
           x + ".stl", cmd, cmd == stl_cmd ? Expect::kBad : Expect::kAny);
    run_on("stl", "cycle past 2^64", hdr + "0: read 0x0\n18446744073709551616: read 0x40\n",
           x + ".stl", cmd, Expect::kBad);
    run_on("stl", "NUL at line start",
           hdr + "0: read 0x0\n" + std::string(1, '\0') + "5: read 0x40\n9: read 0x80\n",
           x + ".stl", cmd, Expect::kBad);
    run_on("stl", "last line cut", hdr + "0: read 0x0\n5: rea", x + ".stl", cmd, Expect::kBad);
  }
  run_on("stl", "time past 2^64 ps", hdr + "0: read 0x0\n18446744073709551: read 0x40\n",
         x + ".stl", stl_cmd, Expect::kBad);
  run_on("rstl", "relative cycles summing past 2^64",
         "# format: rstl\n# clock_ps: 1\n0: read 0x0\n18446744073709551615: read 0x40\n"
         "18446744073709551615: read 0x80\n",
         x + ".rstl", "trace convert " + x + ".rstl {O}/o.rrt", Expect::kBad);

  // IDX: gzip without its CRC trailer, with corrupted data, cut short; raw cut short.
  const std::string gzimg = slurp(d_ + "/tinygz/t10k-images-idx3-ubyte.gz");
  const std::string labels = slurp(d_ + "/tiny/t10k-labels-idx1-ubyte");
  const std::string gzd = d_ + "/mutgz";
  mkdir(gzd.c_str(), 0755);
  write_file(gzd + "/t10k-labels-idx1-ubyte", labels);
  const std::string eval_gz = "eval --model {M} --data " + gzd + " --quiet";
  auto idx_case = [&](const std::string &name, const std::string &bytes, Expect e) {
    run_on("idx-gz", name, bytes, gzd + "/t10k-images-idx3-ubyte.gz", eval_gz, e);
  };
  idx_case("no CRC trailer", gzimg.substr(0, gzimg.size() - 8), Expect::kBad);
  idx_case("half a trailer", gzimg.substr(0, gzimg.size() - 4), Expect::kBad);
  {
    std::string s = gzimg.substr(0, gzimg.size() - 8);
    s[s.size() / 2] ^= 0x10;
    idx_case("corrupted data, no trailer", s, Expect::kBad);
  }
  {
    std::string s = gzimg;
    s[s.size() - 6] ^= 0x01;
    idx_case("wrong CRC", s, Expect::kBad);
  }
  idx_case("cut at half", gzimg.substr(0, gzimg.size() / 2), Expect::kBad);
  for (int i = 0; i < nmut; ++i)
    idx_case("flip " + std::to_string(i), flip(gzimg, 10), Expect::kBad);
  sh("rm -f '" + gzd + "/t10k-images-idx3-ubyte.gz'");
  const std::string rawimg = slurp(d_ + "/tiny/t10k-images-idx3-ubyte");
  run_on("idx", "cut short", rawimg.substr(0, rawimg.size() - 100), gzd + "/t10k-images-idx3-ubyte",
         eval_gz, Expect::kBad);

  // Device fit: degenerate point sets.
  const std::string fit = "device fit " + x + ".csv";
  for (const auto &pts : std::vector<std::pair<std::string, std::string>>{
           {"four identical points", "energy_pj,ber\n5,0.01\n5,0.01\n5,0.01\n5,0.01\n"},
           {"one energy", "energy_pj,ber\n5,0.1\n5,0.01\n5,0.001\n5,0.0001\n"},
           {"energy 1e308", "energy_pj,ber\n1e308,0.1\n2e307,0.01\n3e307,0.001\n4e307,0.0001\n"},
           {"energy 0", "energy_pj,ber\n0,0.1\n1,0.01\n2,0.001\n3,0.0001\n"},
           {"energy nan", "energy_pj,ber\nnan,0.1\n1,0.01\n2,0.001\n3,0.0001\n"},
           {"energy inf", "energy_pj,ber\ninf,0.1\n1,0.01\n2,0.001\n3,0.0001\n"}})
    run_on("device-fit-csv", pts.first, pts.second, x + ".csv", fit, Expect::kBad);
}

// Option values the commands must refuse before doing any work.
TEST_F(Attack, BadOptionValuesAreRefusedUpFront) {
  ASSERT_TRUE(fixture_ok_);
  const char *const bad[] = {
      "eval --model {M} --data {T} --limit 0x10 --quiet",
      "run --system {S} --model {M} --data {T} --limit 3 --quiet --rram-layers ''",
      "run --system {S} --model {M} --data {T} --limit 3 --quiet --op-point ''",
      "run --system {S} --model {M} --data {T} --limit 3 --quiet --predictions {M}",
      "faults replay --model {M} --faults {F} --system {S} --data {T} --limit 5 --predictions "
      "{F}",
      "train --arch 784-65537-10 --data {T} --out {O}/o.bnn --epochs 1 --quiet",
      "train --arch 784-16-10 --data {T} --out {O}/o.bnn --epochs 1 --quiet --resume "
      "--checkpoint {O}/none.ckpt",
      "train --arch 784-16-10 --data {T} --out {O}/o.bnn --eval-ber '' --quiet",
      "eval --model {M} --data {T} --error-layers '' --quiet",
      "sweep {E} --models '' --out {O}/sw --quiet",
      "trace convert {TR} {TR}",
  };
  for (const char *args : bad) {
    fresh_out();
    Case c = make("options", args, args, Expect::kBad);
    c.timeout_s = 5;  // refused up front, not after the work
    c.inputs = {"{M}", "{F}", "{TR}"};
    c.outputs = {"{O}/o.bnn", "{O}/sw", "{O}/none.ckpt"};
    attack(c);
  }
}

}  // namespace
