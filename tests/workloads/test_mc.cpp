// test_mc.cpp — bnn_mc_sweep (Monte-Carlo accuracy vs write BER): equal to running the engine on
// an error port per rep by hand, independent of threads, BER 0 exact, bad input rejected.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "bnn/bnn.h"
#include "bnn/data.h"
#include "bnn/mc.h"
#include "bnn_testutil.h"

namespace {

// A random 8×8 model whose labels are its clean predictions for every second image and wrong for
// the others (so accuracy starts at one half and falls with the BER).
struct Fixture : bnntest::SelfLabelled {
  explicit Fixture(size_t n) : SelfLabelled(1, 8, 8, {{'d', 96}, {'d', 80}, {'d', 10}}, 5, n, 3) {
    for (size_t i = 0; i < n; i += 2) labels[i] = (uint8_t)((labels[i] + 1) % 10);
  }
};

// One rep by hand: error port for stream r, engine, count correct.
double manual_rep(const Fixture &f, double ber, uint64_t seed, uint64_t r, int threads) {
  bnn_error_params ep = bnn_error_default_params();
  ep.write_p01 = ep.write_p10 = ber;
  ep.seed = seed;
  bnn_port *p = nullptr;
  if (ber > 0)
    EXPECT_EQ(bnn_error_port_create(&p, f.m, &ep, r), BNN_OK);
  else
    EXPECT_EQ(bnn_host_port_create(&p, f.m), BNN_OK);
  bnn_infer_params ip = bnn_infer_default_params();
  ip.threads = threads;
  bnn_engine *e = nullptr;
  EXPECT_EQ(bnn_engine_create(&e, f.m, p, &ip), BNN_OK);
  std::vector<uint8_t> pred(f.ds.n);
  EXPECT_EQ(bnn_engine_run(e, f.ds.images, f.ds.n, nullptr, pred.data()), BNN_OK);
  bnn_engine_destroy(e);
  bnn_port_destroy(p);
  size_t ok = 0;
  for (size_t i = 0; i < f.ds.n; ++i) ok += pred[i] == f.ds.labels[i];
  return (double)ok / f.ds.n;
}

}  // namespace

TEST(MonteCarlo, SweepEqualsManualRepsAndStats) {
  Fixture f(3000);  // more than one 2048-image chunk
  ASSERT_TRUE(f.m);
  const double bers[3] = {0.0, 0.02, 0.1};
  bnn_mc_params p = bnn_mc_default_params();
  p.reps = 3;
  p.seed = 11;
  bnn_mc_stats st[3];
  std::vector<double> per(9);
  uint64_t flips = 0, last_done = 0;
  auto cb = [](void *ud, size_t, uint64_t, uint64_t done) { *(uint64_t *)ud = done; };
  ASSERT_EQ(bnn_mc_sweep(f.m, &f.ds, bers, 3, &p, cb, &last_done, st, per.data(), &flips), BNN_OK);
  EXPECT_EQ(last_done, 9u * 3000u);
  EXPECT_GT(flips, 0u);
  for (int b = 0; b < 3; ++b) {
    std::vector<double> acc;
    for (uint64_t r = 0; r < 3; ++r) {
      acc.push_back(manual_rep(f, bers[b], 11, r, 1));
      EXPECT_DOUBLE_EQ(per[b * 3 + r], acc.back()) << b << " " << r;
    }
    const double mean = (acc[0] + acc[1] + acc[2]) / 3;
    double ss = 0;
    for (double a : acc) ss += (a - mean) * (a - mean);
    EXPECT_NEAR(st[b].mean, mean, 1e-15);
    EXPECT_NEAR(st[b].std, std::sqrt(ss / 2), 1e-15);
    EXPECT_DOUBLE_EQ(st[b].min, std::min({acc[0], acc[1], acc[2]}));
    EXPECT_DOUBLE_EQ(st[b].max, std::max({acc[0], acc[1], acc[2]}));
  }
  EXPECT_EQ(st[0].std, 0.0);  // BER 0: the host port, every rep identical
  EXPECT_LT(st[2].mean, st[0].mean);
  // Independent of the thread count.
  p.infer.threads = 3;
  bnn_mc_stats st3[3];
  ASSERT_EQ(bnn_mc_sweep(f.m, &f.ds, bers, 3, &p, nullptr, nullptr, st3, nullptr, nullptr), BNN_OK);
  for (int b = 0; b < 3; ++b) EXPECT_EQ(st3[b].mean, st[b].mean);
}

TEST(MonteCarlo, StatsOf) {
  const double v[4] = {0.5, 0.7, 0.6, 0.8};
  bnn_mc_stats s = bnn_mc_stats_of(v, 4);
  EXPECT_NEAR(s.mean, 0.65, 1e-15);
  EXPECT_NEAR(s.std, std::sqrt(0.05 / 3), 1e-15);
  EXPECT_EQ(s.min, 0.5);
  EXPECT_EQ(s.max, 0.8);
  EXPECT_EQ(bnn_mc_stats_of(v, 1).std, 0.0);
}

TEST(MonteCarlo, BadInput) {
  Fixture f(10);
  ASSERT_TRUE(f.m);
  bnn_mc_params p = bnn_mc_default_params();
  bnn_mc_stats st[2];
  const double ok[1] = {0.01}, neg[1] = {-0.1}, big[1] = {0.6};
  EXPECT_EQ(bnn_mc_sweep(f.m, &f.ds, ok, 0, &p, nullptr, nullptr, st, nullptr, nullptr), BNN_E_ARG);
  EXPECT_NE(std::string(bnn_errmsg()).find("empty BER sweep"), std::string::npos);
  EXPECT_EQ(bnn_mc_sweep(f.m, &f.ds, neg, 1, &p, nullptr, nullptr, st, nullptr, nullptr),
            BNN_E_ARG);
  EXPECT_NE(std::string(bnn_errmsg()).find("outside [0, 0.5]"), std::string::npos);
  EXPECT_EQ(bnn_mc_sweep(f.m, &f.ds, big, 1, &p, nullptr, nullptr, st, nullptr, nullptr),
            BNN_E_ARG);
  p.reps = 0;
  EXPECT_EQ(bnn_mc_sweep(f.m, &f.ds, ok, 1, &p, nullptr, nullptr, st, nullptr, nullptr), BNN_E_ARG);
  p.reps = 1;
  bnn_dataset wrong = f.ds;
  wrong.h = 7;  // 7×8 images for an 8×8 model
  EXPECT_EQ(bnn_mc_sweep(f.m, &wrong, ok, 1, &p, nullptr, nullptr, st, nullptr, nullptr),
            BNN_E_SHAPE);
  EXPECT_NE(std::string(bnn_errmsg()).find("model expects 8x8x1 images"), std::string::npos)
      << bnn_errmsg();
  f.labels[3] = 12;
  EXPECT_EQ(bnn_mc_sweep(f.m, &f.ds, ok, 1, &p, nullptr, nullptr, st, nullptr, nullptr),
            BNN_E_RANGE);
  EXPECT_NE(std::string(bnn_errmsg()).find("label 12 at image 3"), std::string::npos)
      << bnn_errmsg();
}
