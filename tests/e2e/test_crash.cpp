// test_crash.cpp — crash safety: `rramsim train` and `rramsim sweep` killed with SIGKILL in the
// middle of their work resume with --resume (train) or by rerunning (sweep) to exactly the files an
// uninterrupted run writes; nothing half-written is left under a final name.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "e2e_util.hpp"

namespace {

using e2e::exists;
using e2e::list_dir;
using e2e::slurp;

bool have_fmnist() {
  return cli_util::have_fmnist("train-images-idx3-ubyte.gz");
}

// A run long enough (3 epochs of 30 batches) that a kill inside epoch 2 is certain to land
// mid-epoch, small enough to take a few seconds.
std::vector<std::string> train_args(const std::string &out) {
  return {"train",
          "--arch",
          "784-256-256-10",
          "--data",
          "fashion-mnist",
          "--train-limit",
          "3000",
          "--test-limit",
          "200",
          "--batch",
          "100",
          "--epochs",
          "3",
          "--flip-p",
          "0.01",
          "--seed",
          "7",
          "--threads",
          "1",
          "--out",
          out};
}

std::string join(const std::vector<std::string> &v) {
  std::string s;
  for (const std::string &a : v) s += (s.empty() ? "" : " ") + a;
  return s;
}

// Checks that no temporary file (*.tmp*) was left behind in dir.
void expect_no_temp_files(const std::string &dir) {
  for (const std::string &n : list_dir(dir))
    EXPECT_EQ(n.find(".tmp"), std::string::npos) << "leftover temp file " << dir << "/" << n;
}

TEST(Crash, TrainKilledMidEpochResumesToTheSameModel) {
  if (!have_fmnist()) GTEST_SKIP() << "Fashion-MNIST not installed";
  const std::string ref_dir = e2e::fresh_dir("train_ref"), dir = e2e::fresh_dir("train_kill");
  const std::string ref = ref_dir + "/m.bnn", out = dir + "/m.bnn";

  cli_util::Result r = e2e::run(ref_dir, join(train_args(ref)) + " --no-progress");
  ASSERT_EQ(r.code, 0) << r.err;

  // The progress lines on stderr (not a terminal: one per 10 %) say where training is. The first
  // line of epoch 2 is printed after epoch 1's checkpoint was renamed into place.
  const std::string err_path = dir + "/train.err";
  const pid_t pid = e2e::spawn(train_args(out), dir + "/train.out", err_path);
  ASSERT_GT(pid, 0);
  const bool in_epoch2 = e2e::wait_for(
      pid, [&] { return slurp(err_path).find("epoch 2/3:  10.0%") != std::string::npos; }, 120);
  ASSERT_TRUE(in_epoch2) << "never reached epoch 2:\n" << slurp(err_path);
  ASSERT_TRUE(e2e::kill9(pid));

  // Killed inside epoch 2: epoch 1 is logged and checkpointed, no model file exists yet.
  EXPECT_EQ(e2e::lines(slurp(out + ".log.jsonl")).size(), 1u) << slurp(out + ".log.jsonl");
  EXPECT_TRUE(exists(out + ".ckpt"));
  EXPECT_FALSE(exists(out)) << "a model file exists before training finished";

  std::vector<std::string> resume = train_args(out);
  resume.push_back("--resume");
  r = e2e::run(dir, join(resume) + " --no-progress");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("resuming from " + out + ".ckpt after epoch 1"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(out), slurp(ref)) << "resumed model differs from the uninterrupted run's";
  EXPECT_EQ(slurp(out + ".ckpt"), slurp(ref + ".ckpt"));
  // The log holds each epoch once, with the uninterrupted run's figures (timings aside).
  const std::vector<std::string> a = e2e::lines(slurp(ref + ".log.jsonl")),
                                 b = e2e::lines(slurp(out + ".log.jsonl"));
  ASSERT_EQ(a.size(), 3u);
  ASSERT_EQ(b.size(), 3u);
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_EQ(e2e::mask_json_fields(a[i], {"seconds", "images_per_s"}),
              e2e::mask_json_fields(b[i], {"seconds", "images_per_s"}));
  expect_no_temp_files(dir);
}

// A kill between an epoch's log line and its checkpoint (the log is written first) leaves a log
// line for an epoch the checkpoint does not hold; --resume trains that epoch again and must not
// log it twice. Likewise a line cut off by the kill.
TEST(Crash, TrainResumeDropsLogLinesPastTheCheckpoint) {
  if (!have_fmnist()) GTEST_SKIP() << "Fashion-MNIST not installed";
  const std::string dir = e2e::fresh_dir("train_log");
  const std::string out = dir + "/m.bnn";
  std::vector<std::string> args = {
      "train", "--arch",        "784-32-10", "--data",  "fashion-mnist", "--train-limit",
      "500",   "--test-limit",  "100",       "--batch", "100",           "--seed",
      "3",     "--no-progress", "--out",     out};
  cli_util::Result r = e2e::run(dir, join(args) + " --epochs 1");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string line1 = slurp(out + ".log.jsonl");
  ASSERT_EQ(e2e::lines(line1).size(), 1u);
  std::remove(out.c_str());
  {
    std::ofstream f(out + ".log.jsonl", std::ios::app);
    f << "{\"epoch\":2,\"epochs\":2,\"lr\":0.001,\"loss\":1.0}\n{\"epoch\":3,\"ep";
  }
  r = e2e::run(dir, join(args) + " --epochs 2 --resume");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::vector<std::string> log = e2e::lines(slurp(out + ".log.jsonl"));
  ASSERT_EQ(log.size(), 2u) << slurp(out + ".log.jsonl");
  EXPECT_EQ(log[0] + "\n", line1);
  EXPECT_EQ(log[1].rfind("{\"epoch\":2,\"epochs\":2,", 0), 0u) << log[1];
  EXPECT_NE(log[1].find("\"test_accuracy\""), std::string::npos) << log[1];
  expect_no_temp_files(dir);
}

// The sweep fixture: a random 784-1024-1024-10 model (a point takes ~0.15 s in release) and 4
// functional points.
struct SweepFiles {
  std::string dir, exp;
};

SweepFiles make_sweep(const std::string &name) {
  SweepFiles s;
  s.dir = e2e::fresh_dir(name);
  cli_util::Result r =
      e2e::run(s.dir, "model random --arch 784-1024-1024-10 --seed 3 --out " + s.dir + "/m.bnn");
  EXPECT_EQ(r.code, 0) << r.err;
  s.exp = s.dir + "/exp.json";
  std::ofstream f(s.exp);
  f << "{ \"name\": \"e2e\", \"mode\": \"functional\",\n"
       "  \"systems\": [\"" RRAMSIM_SOURCE_DIR
       "/configs/systems/small.json\"],\n"
       "  \"op_points\": [\"nominal\", \"ultra_low\"], \"models\": [\"m.bnn\"], \"seeds\": [1, "
       "2],\n"
       "  \"data\": \"fashion-mnist\", \"images\": 2000, \"weight_reuse\": 1, \"threads\": 1 }\n";
  return s;
}

// Rows with the wall-clock column removed (JSON lines or CSV).
// Splits a CSV line on commas (the sweep writes no quoted fields).
std::vector<std::string> csv_fields(const std::string &l) {
  std::vector<std::string> f(1);
  for (char c : l) {
    if (c == ',')
      f.emplace_back();
    else
      f.back() += c;
  }
  return f;
}

std::vector<std::string> stable_rows(const std::string &text, bool csv) {
  std::vector<std::string> out;
  size_t wall = std::string::npos;  // CSV column of wall_seconds, found in the header row
  for (std::string l : e2e::lines(text)) {
    if (csv) {
      if (!l.empty() && l[0] == '#') continue;  // header comment (names the version)
      std::vector<std::string> f = csv_fields(l);
      if (wall == std::string::npos) {
        for (size_t i = 0; i < f.size(); ++i)
          if (f[i] == "wall_seconds") wall = i;
        EXPECT_NE(wall, std::string::npos) << "no wall_seconds column in " << l;
      }
      if (wall < f.size()) f[wall] = "*";
      l.clear();
      for (size_t i = 0; i < f.size(); ++i) l += (i ? "," : "") + f[i];
    } else {
      l = e2e::mask_json_fields(l, {"wall_seconds"});
    }
    out.push_back(l);
  }
  return out;
}

TEST(Crash, SweepKilledMidPointResumesWithEveryPointOnce) {
  if (!cli_util::have_fmnist("t10k-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "Fashion-MNIST not installed";
  const SweepFiles s = make_sweep("sweep");
  const std::string ref = s.dir + "/ref", out = s.dir + "/out";
  cli_util::Result r = e2e::run(s.dir, "sweep " + s.exp + " --out " + ref + " --quiet");
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(e2e::lines(slurp(ref + "/results.jsonl")).size(), 4u);

  // Kill once the first row is on disk: the sweep is then inside the second point.
  const pid_t pid =
      e2e::spawn({"sweep", s.exp, "--out", out, "--quiet"}, s.dir + "/sw.out", s.dir + "/sw.err");
  ASSERT_GT(pid, 0);
  const bool one_row = e2e::wait_for(
      pid, [&] { return e2e::lines(slurp(out + "/results.jsonl")).size() >= 1; }, 120);
  ASSERT_TRUE(one_row) << slurp(s.dir + "/sw.err");
  ASSERT_TRUE(e2e::kill9(pid));
  const size_t rows_at_kill = e2e::lines(slurp(out + "/results.jsonl")).size();
  EXPECT_GE(rows_at_kill, 1u);
  EXPECT_LT(rows_at_kill, 4u) << "the kill came after the sweep finished";
  // The CSV is rewritten atomically: whatever it holds is whole rows.
  for (const std::string &l : e2e::lines(slurp(out + "/results.csv"))) {
    if (l[0] != '#' && l.rfind("key,", 0) != 0) {
      EXPECT_EQ(l.rfind("functional|", 0), 0u) << l;
    }
  }

  // The kill may land between a CSV rewrite's open and its rename (PATH.tmp.<pid>); plant one such
  // file of a dead process for certain, and one of a live process (this test), which a concurrent
  // writer could own: the resumed run removes the first and keeps the second.
  const pid_t dead = fork();
  if (dead == 0) _exit(0);
  ASSERT_GT(dead, 0);
  ASSERT_EQ(waitpid(dead, nullptr, 0), dead);
  const std::string stale = out + "/results.csv.tmp." + std::to_string((long)dead);
  const std::string live = out + "/results.csv.tmp." + std::to_string((long)getpid());
  for (const std::string &p : {stale, live}) {
    std::FILE *f = std::fopen(p.c_str(), "w");
    ASSERT_NE(f, nullptr) << p;
    std::fputs("partial", f);
    std::fclose(f);
  }
  r = e2e::run(s.dir, "sweep " + s.exp + " --out " + out + " --quiet");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find(std::to_string(rows_at_kill) + " already done"), std::string::npos) << r.out;
  EXPECT_EQ(access(stale.c_str(), F_OK), -1) << "a dead writer's temp file survived: " << stale;
  EXPECT_EQ(access(live.c_str(), F_OK), 0) << "a live writer's temp file was removed: " << live;
  std::remove(live.c_str());
  EXPECT_EQ(stable_rows(slurp(out + "/results.jsonl"), false),
            stable_rows(slurp(ref + "/results.jsonl"), false));
  EXPECT_EQ(stable_rows(slurp(out + "/results.csv"), true),
            stable_rows(slurp(ref + "/results.csv"), true));
  expect_no_temp_files(out);

  // A rerun of a finished sweep runs nothing and changes nothing.
  const std::string before = slurp(out + "/results.jsonl");
  r = e2e::run(s.dir, "sweep " + s.exp + " --out " + out + " --quiet");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("4 already done, 0 to run"), std::string::npos) << r.out;
  EXPECT_EQ(slurp(out + "/results.jsonl"), before);
}

// A kill inside write(2) of a row leaves a row without its newline: the rerun drops it, says so,
// and runs that point again.
TEST(Crash, SweepHalfWrittenRowIsRedone) {
  if (!cli_util::have_fmnist("t10k-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "Fashion-MNIST not installed";
  const SweepFiles s = make_sweep("sweep_half");
  const std::string out = s.dir + "/out";
  cli_util::Result r = e2e::run(s.dir, "sweep " + s.exp + " --out " + out + " --quiet");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string full = slurp(out + "/results.jsonl");
  const std::vector<std::string> rows = e2e::lines(full);
  ASSERT_EQ(rows.size(), 4u);
  // Keep rows 1-2 and half of row 3.
  const std::string cut = rows[0] + "\n" + rows[1] + "\n" + rows[2].substr(0, rows[2].size() / 2);
  { std::ofstream(out + "/results.jsonl", std::ios::binary | std::ios::trunc) << cut; }
  r = e2e::run(s.dir, "sweep " + s.exp + " --out " + out + " --quiet");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("dropped a half-written last row"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("2 already done, 2 to run"), std::string::npos) << r.out;
  EXPECT_EQ(stable_rows(slurp(out + "/results.jsonl"), false), stable_rows(full, false));
}

}  // namespace
