// test_determinism.cpp — same seed → bit-identical outputs across two runs of the CLI, and across
// --threads 1 and 2 where the design promises it (docs/determinism.md says where and why).
// Only host wall-clock figures are masked before comparing (named per output below).
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "e2e_util.hpp"

namespace {

using e2e::slurp;

const std::string kSystem = RRAMSIM_SOURCE_DIR "/configs/systems/small.json";

// Wall-clock fields of the stats/summary JSON ("run" group) and of eval/sweep outputs.
const std::vector<std::string> kWall = {"wall_time", "rate", "seconds", "wall_seconds",
                                        "images_per_s"};

bool have_test_set() {
  return cli_util::have_fmnist("t10k-images-idx3-ubyte.gz");
}

struct Dir {
  std::string d;
  explicit Dir(const std::string &name) : d(e2e::fresh_dir(name)) {}
  std::string operator/(const std::string &f) const { return d + "/" + f; }
  cli_util::Result run(const std::string &args) const { return e2e::run(d, args); }
};

// `rramsim <args>` must succeed.
#define RUN_OK(dir, args)                              \
  do {                                                 \
    const cli_util::Result r_ = (dir).run(args);       \
    ASSERT_EQ(r_.code, 0) << (args) << "\n" << r_.err; \
  } while (0)

std::string masked(const std::string &path, const std::vector<std::string> &extra = {}) {
  std::vector<std::string> f = kWall;
  f.insert(f.end(), extra.begin(), extra.end());
  return e2e::mask_json_fields(slurp(path), f);
}

TEST(Determinism, MaskingTakesOutOnlyTheNamedFields) {
  EXPECT_EQ(e2e::mask_json_fields(
                "{\"wall_time\": {\n \"value\": 0.25, \"unit\": \"s\"}, \"x\": 3}", {"wall_time"}),
            "{\"wall_time\": {\n \"value\": 0, \"unit\": \"s\"}, \"x\": 3}");
  EXPECT_EQ(e2e::mask_json_fields("{\"seconds\":1.5e-3,\"epoch\":2}", {"seconds"}),
            "{\"seconds\":0,\"epoch\":2}");
}

// Training: same seed → same model file and checkpoint, with flip-aware training on. Across 1 and
// 2 threads too: libbet's own loops split work in contiguous chunks and the float GEMMs go to
// OpenBLAS, whose threaded sgemm splits the output, not the sum (see docs/determinism.md).
TEST(Determinism, TrainSameSeedSameModelAcrossRunsAndThreads) {
  if (!have_test_set()) GTEST_SKIP() << "Fashion-MNIST not installed";
  Dir d("det_train");
  const std::string args =
      "train --arch 784-64-64-10 --data fashion-mnist --train-limit 1000 "
      "--test-limit 100 --batch 100 --epochs 2 --seed 5 --flip-p 0.01 "
      "--eval-ber 0.02 --no-progress ";
  RUN_OK(d, args + "--threads 1 --out " + d / "a.bnn");
  RUN_OK(d, args + "--threads 1 --out " + d / "b.bnn");
  RUN_OK(d, args + "--threads 2 --out " + d / "c.bnn");
  const std::string a = slurp(d / "a.bnn");
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a, slurp(d / "b.bnn")) << "two runs, same seed";
  EXPECT_EQ(a, slurp(d / "c.bnn")) << "--threads 1 vs 2";
  EXPECT_EQ(slurp(d / "a.bnn.ckpt"), slurp(d / "b.bnn.ckpt"));
  EXPECT_EQ(masked(d / "a.bnn.log.jsonl"), masked(d / "c.bnn.log.jsonl"));
  // A different seed is a different model (the test would pass vacuously otherwise).
  RUN_OK(d, args + "--threads 1 --seed 6 --out " + d / "e.bnn");
  EXPECT_NE(a, slurp(d / "e.bnn"));
}

// Issue 14: the full FCNN, where OpenBLAS used to go multi-threaded and --threads 2 trained other
// weights (80.20 % vs 79.60 % for these options); every GEMM is now cut into fixed blocks, one
// single-threaded OpenBLAS call each.
TEST(Determinism, TrainFullFcnnAcrossThreads) {
  if (!have_test_set()) GTEST_SKIP() << "Fashion-MNIST not installed";
  Dir d("det_fcnn");
  const std::string args =
      "train --arch fcnn --data fashion-mnist --train-limit 2000 --test-limit 500 --epochs 3 "
      "--quiet ";
  RUN_OK(d, args + "--threads 1 --out " + d / "a.bnn");
  RUN_OK(d, args + "--threads 2 --out " + d / "b.bnn");
  const std::string a = slurp(d / "a.bnn");
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a, slurp(d / "b.bnn")) << "--threads 1 vs 2";
  EXPECT_EQ(masked(d / "a.bnn.log.jsonl"), masked(d / "b.bnn.log.jsonl"));
}

// Monte-Carlo evaluation: errors are keyed by (seed, rep, address, access), never by thread.
TEST(Determinism, EvalBerSweepJsonAndCsvAcrossRunsAndThreads) {
  if (!have_test_set()) GTEST_SKIP() << "Fashion-MNIST not installed";
  Dir d("det_eval");
  RUN_OK(d, "model random --arch 784-128-10 --seed 1 --out " + d / "m.bnn");
  const std::string a = "eval --model " + d / "m.bnn" +
                        " --data fashion-mnist --limit 500 --ber-sweep 0:0.04:0.02 --reps 3 "
                        "--json --quiet --seed 9 ";
  for (int t = 1; t <= 2; ++t)
    for (int k = 0; k < 2; ++k) {
      const std::string tag = std::to_string(t) + std::to_string(k);
      const cli_util::Result r =
          d.run(a + "--threads " + std::to_string(t) + " --csv " + d / ("e" + tag + ".csv"));
      ASSERT_EQ(r.code, 0) << r.err;
      std::ofstream(d / ("e" + tag + ".json")) << r.out;
    }
  const std::string ref = masked(d / "e10.json", {"threads"});
  EXPECT_NE(ref.find("\"sweep\""), std::string::npos) << ref;
  EXPECT_EQ(ref, masked(d / "e11.json", {"threads"}));
  EXPECT_EQ(ref, masked(d / "e20.json", {"threads"}));
  EXPECT_EQ(slurp(d / "e10.csv"), slurp(d / "e11.csv"));
  EXPECT_EQ(slurp(d / "e10.csv"), slurp(d / "e21.csv"));
}

// The timed system: stats JSON, recorded accesses and faults from `sim` twice; `replay` of the
// recorded trace twice.
TEST(Determinism, SimStatsTracesAndReplayAcrossRuns) {
  Dir d("det_sim");
  for (const char *k : {"1", "2"}) {
    const std::string s(k);
    RUN_OK(d, "sim --system " + kSystem +
                  " --op-point ultra_low --requests 3000 --read-ratio 0.5 "
                  "--quiet --stats " +
                  d / ("sim" + s + ".json") + " --record-accesses " + d / ("acc" + s + ".rrt.gz") +
                  " --record-faults " + d / ("f" + s + ".csv"));
    RUN_OK(d, "replay --system " + kSystem + " --op-point ultra_low --trace " + d / "acc1.rrt.gz" +
                  " --quiet --stats " + d / ("rep" + s + ".json"));
  }
  const std::string sim = masked(d / "sim1.json");
  EXPECT_NE(sim.find("\"simulated_time\""), std::string::npos);
  EXPECT_EQ(sim, masked(d / "sim2.json"));
  EXPECT_EQ(slurp(d / "acc1.rrt.gz"), slurp(d / "acc2.rrt.gz"));
  EXPECT_EQ(slurp(d / "f1.csv"), slurp(d / "f2.csv"));
  EXPECT_EQ(masked(d / "rep1.json"), masked(d / "rep2.json"));
}

// The BNN on the timed system (`run`): reads stay on the SystemC thread, compute threads only do
// arithmetic — so stats, summary, predictions and the fault trace match across 1 and 2 threads;
// `faults replay` reproduces the predictions with either thread count.
TEST(Determinism, RunAndFaultsReplayAcrossRunsAndThreads) {
  if (!have_test_set()) GTEST_SKIP() << "Fashion-MNIST not installed";
  Dir d("det_run");
  RUN_OK(d, "model random --arch 784-128-10 --seed 1 --out " + d / "m.bnn");
  for (const char *t : {"1", "2"}) {
    const std::string s(t);
    RUN_OK(d, "run --system " + kSystem + " --op-point ultra_low --model " + d / "m.bnn" +
                  " --images 50 --quiet --threads " + s + " --out " + d / ("r" + s) +
                  " --predictions " + d / ("p" + s + ".txt") + " --record-faults " +
                  d / ("f" + s + ".csv"));
    RUN_OK(d, "faults replay --model " + d / "m.bnn" + " --faults " + d / "f1.csv" + " --system " +
                  kSystem + " --images 50 --threads " + s + " --predictions " +
                  d / ("fp" + s + ".txt"));
  }
  EXPECT_EQ(masked(d / "r1/stats.json"), masked(d / "r2/stats.json"));
  EXPECT_EQ(masked(d / "r1/summary.json", {"threads"}), masked(d / "r2/summary.json", {"threads"}));
  const std::string p = slurp(d / "p1.txt");
  ASSERT_EQ(e2e::lines(p).size(), 50u);
  EXPECT_EQ(p, slurp(d / "p2.txt"));
  EXPECT_EQ(slurp(d / "f1.csv"), slurp(d / "f2.csv"));
  EXPECT_EQ(p, slurp(d / "fp1.txt"));
  EXPECT_EQ(p, slurp(d / "fp2.txt"));
}

// A functional sweep: the same rows twice, and with the experiment's "threads" at 1 and 2.
TEST(Determinism, SweepResultsAcrossRunsAndThreads) {
  if (!have_test_set()) GTEST_SKIP() << "Fashion-MNIST not installed";
  Dir d("det_sweep");
  RUN_OK(d, "model random --arch 784-256-10 --seed 2 --out " + d / "m.bnn");
  for (const char *t : {"1", "2"}) {
    std::ofstream(d / ("exp" + std::string(t) + ".json"))
        << "{ \"mode\": \"functional\", \"systems\": [\"" << kSystem << "\"],\n"
        << "  \"op_points\": \"all\", \"models\": [\"m.bnn\"], \"seeds\": [1, 2],\n"
        << "  \"data\": \"fashion-mnist\", \"images\": 300, \"weight_reuse\": 1, \"threads\": " << t
        << " }\n";
  }
  RUN_OK(d, "sweep " + d / "exp1.json" + " --out " + d / "a --quiet");
  RUN_OK(d, "sweep " + d / "exp1.json" + " --out " + d / "b --quiet");
  RUN_OK(d, "sweep " + d / "exp2.json" + " --out " + d / "c --quiet");
  const std::string a = masked(d / "a/results.jsonl");
  EXPECT_EQ(e2e::lines(a).size(), 10u);  // 5 operating points x 2 seeds
  EXPECT_EQ(a, masked(d / "b/results.jsonl"));
  EXPECT_EQ(a, masked(d / "c/results.jsonl"));
}

}  // namespace
