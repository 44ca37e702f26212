// test_bn_stats.cpp — batch-norm statistics re-estimated over a data set (bet_net_estimate_bn and
// --bn-stats train-set): the statistics equal a direct float recomputation layer by layer, do not
// depend on the thread count, leave the trained weights unchanged, are stored in checkpoints
// (version 2 files still load) and reach the provenance from the CLI.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

#include "bet/bet.h"
#include "bnn/bnn.h"
#include "bnn/rng.h"
#include "cli_util.hpp"
#include "fixtures.hpp"

namespace {

using bettest::make_net;
using bettest::SynthData;

// Mean and unbiased variance of each column of rows × c.
void column_stats(const std::vector<double> &z, size_t rows, size_t c, std::vector<double> &mean,
                  std::vector<double> &var) {
  mean.assign(c, 0.0);
  var.assign(c, 0.0);
  for (size_t i = 0; i < rows; ++i)
    for (size_t j = 0; j < c; ++j) mean[j] += z[i * c + j];
  for (size_t j = 0; j < c; ++j) mean[j] /= (double)rows;
  for (size_t i = 0; i < rows; ++i)
    for (size_t j = 0; j < c; ++j) var[j] += (z[i * c + j] - mean[j]) * (z[i * c + j] - mean[j]);
  for (size_t j = 0; j < c; ++j) var[j] /= (double)(rows - 1);
}

}  // namespace

// The reference: a dense net evaluated in float (pixels/255, batch norm with the re-estimated
// statistics, sign), the statistics of each layer taken from the activations below it.
TEST(BnStats, EstimateEqualsAFloatRecomputationLayerByLayer) {
  SynthData data(300, 1, 4, 4, 3, 11);
  bet_net *net = make_net("16-12-10-3", data.d, 5);
  ASSERT_NE(net, nullptr);
  // Non-trivial γ/β so the signs below depend on the statistics.
  for (uint32_t l = 0; l < 2; ++l) {
    float *beta = nullptr, *rm = nullptr, *rv = nullptr;
    float *gamma = bet_net_bn(net, l, &beta, &rm, &rv);
    for (uint32_t j = 0; j < bet_net_n_out(net, l); ++j) {
      gamma[j] = (j % 3 == 1) ? -0.7f : 1.3f;
      beta[j] = 0.1f * (float)((int)j - 5);
    }
  }
  ASSERT_EQ(bet_net_estimate_bn(net, &data.d, 1), BNN_OK) << bnn_errmsg();
  std::vector<double> x((size_t)data.d.n * 16);
  for (size_t i = 0; i < x.size(); ++i) x[i] = data.images[i] / 255.0;
  size_t in = 16;
  for (uint32_t l = 0; l < 2; ++l) {
    const size_t out = bet_net_n_out(net, l);
    size_t nw = 0;
    const float *w = bet_net_weights(net, l, &nw);
    std::vector<double> z((size_t)data.d.n * out, 0.0);
    for (size_t i = 0; i < data.d.n; ++i)
      for (size_t j = 0; j < out; ++j)
        for (size_t k = 0; k < in; ++k)
          z[i * out + j] += (w[j * in + k] >= 0 ? 1.0 : -1.0) * x[i * in + k];
    std::vector<double> mean, var;
    column_stats(z, data.d.n, out, mean, var);
    float *beta = nullptr, *rm = nullptr, *rv = nullptr;
    const float *gamma = bet_net_bn(net, l, &beta, &rm, &rv);
    for (size_t j = 0; j < out; ++j) {
      EXPECT_NEAR(rm[j], mean[j], 1e-5 * (1.0 + std::fabs(mean[j])))
          << "layer " << l << " neuron " << j;
      EXPECT_NEAR(rv[j], var[j], 1e-5 * (1.0 + var[j])) << "layer " << l << " neuron " << j;
    }
    // Next layer's input: sign of batch norm with these statistics (the evaluation's arithmetic).
    std::vector<double> a(z.size());
    for (size_t i = 0; i < data.d.n; ++i)
      for (size_t j = 0; j < out; ++j) {
        const double h =
            (double)gamma[j] * (z[i * out + j] - (double)rm[j]) / std::sqrt((double)rv[j] + 1e-5) +
            (double)beta[j];
        a[i * out + j] = h >= 0 ? 1.0 : -1.0;
      }
    x.swap(a);
    in = out;
  }
  bet_net_free(net);
}

TEST(BnStats, EstimateIsDeterministicAndThreadIndependentForConvNets) {
  SynthData data(70, 1, 8, 8, 4, 3);
  bet_net *a = make_net("vgg3", data.d, 9), *b = make_net("vgg3", data.d, 9);
  ASSERT_TRUE(a && b);
  ASSERT_EQ(bet_net_estimate_bn(a, &data.d, 1), BNN_OK) << bnn_errmsg();
  ASSERT_EQ(bet_net_estimate_bn(b, &data.d, 2), BNN_OK) << bnn_errmsg();
  EXPECT_TRUE(bet_net_equal(a, b));
  // The statistics moved away from the fresh net's (0, 1).
  float *beta = nullptr, *rm = nullptr, *rv = nullptr;
  bet_net_bn(a, 0, &beta, &rm, &rv);
  EXPECT_NE(rm[0], 0.0f);
  EXPECT_NE(rv[0], 1.0f);
  EXPECT_GT(rv[0], 0.0f);
  bet_net_free(a);
  bet_net_free(b);
}

TEST(BnStats, TrainSetModeKeepsTheWeightsAndReplacesTheRunningStatistics) {
  SynthData data(200, 1, 4, 4, 3, 21);
  bet_net *run = make_net("16-12-10-3", data.d, 8), *ts = make_net("16-12-10-3", data.d, 8);
  ASSERT_TRUE(run && ts);
  bet_train_params p = bet_train_default_params();
  p.batch = 32;
  bet_train_params q = p;
  q.bn_stats = BET_BN_TRAIN_SET;
  ASSERT_EQ(bet_train_epoch(run, &data.d, &p, nullptr, nullptr, nullptr), BNN_OK) << bnn_errmsg();
  ASSERT_EQ(bet_train_epoch(ts, &data.d, &q, nullptr, nullptr, nullptr), BNN_OK) << bnn_errmsg();
  EXPECT_FALSE(bet_net_equal(run, ts));  // the running statistics differ ...
  for (uint32_t l = 0; l < 3; ++l) {     // ... the weights do not
    size_t n1 = 0, n2 = 0;
    const float *w1 = bet_net_weights(run, l, &n1), *w2 = bet_net_weights(ts, l, &n2);
    ASSERT_EQ(n1, n2);
    EXPECT_EQ(std::memcmp(w1, w2, n1 * sizeof(float)), 0) << "layer " << l;
  }
  // The train-set statistics are the estimate on the running-mode net's weights.
  ASSERT_EQ(bet_net_estimate_bn(run, &data.d, 1), BNN_OK);
  EXPECT_TRUE(bet_net_equal(run, ts));
  // Bad arguments.
  q.bn_stats = (bet_bn_stats)7;
  EXPECT_EQ(bet_train_params_check(&q), BNN_E_ARG);
  EXPECT_NE(std::strstr(bnn_errmsg(), "bn-stats"), nullptr);
  EXPECT_EQ(bet_net_estimate_bn(run, &data.d, 0), BNN_E_RANGE);
  SynthData wrong(10, 1, 5, 5, 3, 1);
  EXPECT_EQ(bet_net_estimate_bn(run, &wrong.d, 1), BNN_E_SHAPE);
  EXPECT_STREQ(bet_bn_stats_str(BET_BN_TRAIN_SET), "train-set");
  EXPECT_STREQ(bet_bn_stats_str(BET_BN_RUNNING), "running");
  bet_net_free(run);
  bet_net_free(ts);
}

namespace {
// A copy of a net through a checkpoint (parameters, statistics and counters).
bet_net *copy_net(const bet_net *net, const char *tag) {
  const std::string path = bettest::tmp_path(tag);
  bet_train_params p = bet_train_default_params();
  bet_net *out = nullptr;
  if (bet_checkpoint_save(net, &p, path.c_str()) != BNN_OK ||
      bet_checkpoint_load(&out, nullptr, path.c_str()) != BNN_OK)
    out = nullptr;
  std::remove(path.c_str());
  return out;
}

// Mean accuracy at weight BER ber over `draws` persistent fault maps.
double acc_under_flips(const bet_net *net, const bnn_dataset &d, double ber, int draws) {
  double sum = 0;
  for (int k = 0; k < draws; ++k) {
    double a = 0;
    EXPECT_EQ(bet_evaluate(net, &d, 1, ber, ~(uint64_t)0, 100 + (uint64_t)k, nullptr, nullptr, &a),
              BNN_OK);
    sum += a;
  }
  return sum / draws;
}
}  // namespace

// Issue 19: re-estimating a flip-trained net's batch norm with clean weights erases its
// adaptation to flips; estimating under flips at p_train keeps it. A net trained with flips at
// p = 0.2 (running statistics, i.e. averaged under flips) is re-estimated both ways on its training
// set and evaluated at BER 0.2 on held-out images over 40 fault maps.
TEST(BnStats, EstimationUnderFlipsKeepsAFlipTrainedNetsAdaptation) {
  const double p_train = 0.2;
  SynthData train(4096, 1, 8, 8, 4, 41), test(1000, 1, 8, 8, 4, 42);
  bet_net *net = make_net("64-64-64-4", train.d, 3);
  ASSERT_NE(net, nullptr);
  bet_train_params p = bet_train_default_params();
  p.batch = 64;
  p.lr = 1e-2;
  p.flip_p = p_train;
  ASSERT_NO_FATAL_FAILURE(bettest::train_epochs(net, train.d, p, 3));
  bet_net *clean = copy_net(net, "bnflip_a"), *flipped = copy_net(net, "bnflip_b"),
          *flipped2 = copy_net(net, "bnflip_c");
  ASSERT_TRUE(clean && flipped && flipped2);
  ASSERT_EQ(bet_net_estimate_bn(clean, &train.d, 1), BNN_OK) << bnn_errmsg();
  ASSERT_EQ(bet_net_estimate_bn_flips(flipped, &train.d, 1, p_train, ~(uint64_t)0, 77), BNN_OK)
      << bnn_errmsg();
  // Deterministic and independent of the thread count.
  ASSERT_EQ(bet_net_estimate_bn_flips(flipped2, &train.d, 2, p_train, ~(uint64_t)0, 77), BNN_OK);
  EXPECT_TRUE(bet_net_equal(flipped, flipped2));
  const int draws = 40;
  const double a_run = acc_under_flips(net, test.d, p_train, draws),
               a_clean = acc_under_flips(clean, test.d, p_train, draws),
               a_flip = acc_under_flips(flipped, test.d, p_train, draws);
  std::printf(
      "accuracy at BER %.2f: running %.4f, clean estimate %.4f, under-flips estimate %.4f\n",
      p_train, a_run, a_clean, a_flip);
  EXPECT_GT(a_flip, a_clean + 0.02);  // the clean estimate loses the adaptation ...
  EXPECT_GT(a_flip, a_run - 0.02);    // ... the under-flips one keeps it
  // Layer 0 sees fixed pixels, so under flips its mean pre-activation is (1 − 2p) × the clean one
  // in expectation (16 flip draws of 256 images here: loose tolerance).
  float *b0 = nullptr, *rm_c = nullptr, *rv_c = nullptr, *rm_f = nullptr, *rv_f = nullptr;
  bet_net_bn(clean, 0, &b0, &rm_c, &rv_c);
  bet_net_bn(flipped, 0, &b0, &rm_f, &rv_f);
  double num = 0, den = 0;
  for (uint32_t j = 0; j < 64; ++j) {
    const double f = rm_f[j], c = rm_c[j];
    num += f * c, den += c * c;
  }
  std::printf("layer 0 mean ratio under flips / clean: %.4f\n", num / den);
  EXPECT_NEAR(num / den, 1 - 2 * p_train, 0.1);
  // p = 0 is the clean estimate exactly; a bad rate is refused.
  bet_net *zero = copy_net(net, "bnflip_d");
  ASSERT_NE(zero, nullptr);
  ASSERT_EQ(bet_net_estimate_bn_flips(zero, &train.d, 1, 0.0, ~(uint64_t)0, 77), BNN_OK);
  EXPECT_TRUE(bet_net_equal(zero, clean));
  bet_net_free(zero);
  EXPECT_EQ(bet_net_estimate_bn_flips(flipped2, &train.d, 1, 0.6, ~(uint64_t)0, 77), BNN_E_RANGE);
  bet_net_free(net);
  bet_net_free(clean);
  bet_net_free(flipped);
  bet_net_free(flipped2);
}

TEST(BnStats, CheckpointsStoreTheModeAndVersion2FilesLoadWithRunningStatistics) {
  SynthData data(4, 1, 4, 4, 2, 1);
  bet_net *net = make_net("16-8-8-2", data.d, 1);
  ASSERT_NE(net, nullptr);
  bet_train_params p = bet_train_default_params();
  p.bn_stats = BET_BN_TRAIN_SET;
  const std::string path = bettest::tmp_path("bnstats_ckpt");
  ASSERT_EQ(bet_checkpoint_save(net, &p, path.c_str()), BNN_OK) << bnn_errmsg();
  bet_net *back = nullptr;
  bet_train_params q;
  ASSERT_EQ(bet_checkpoint_load(&back, &q, path.c_str()), BNN_OK) << bnn_errmsg();
  EXPECT_EQ(q.bn_stats, BET_BN_TRAIN_SET);
  EXPECT_TRUE(bet_net_equal(net, back));
  bet_net_free(back);
  // Version 2: no bn_stats field. Drop it, set the version, fix the CRC.
  std::vector<char> b = bettest::read_bytes(path);
  ASSERT_GT(b.size(), 400u);
  const size_t bn_stats_at = bettest::kCkptV1ParamsEnd3 + 2 * 8;  // after reg_margin, reg_b
  ASSERT_EQ(b[bn_stats_at], 1);  // BET_BN_TRAIN_SET, little-endian u32
  // + reg_layers (v4), input_range (v5)
  b.erase(b.begin() + (long)bn_stats_at, b.begin() + (long)bn_stats_at + 12);
  b[8] = 2;
  bettest::fix_checkpoint_crc(b);
  bettest::write_bytes(path, b);
  ASSERT_EQ(bet_checkpoint_load(&back, &q, path.c_str()), BNN_OK) << bnn_errmsg();
  EXPECT_EQ(q.bn_stats, BET_BN_RUNNING);
  EXPECT_TRUE(bet_net_equal(net, back));
  bet_net_free(back);
  bet_net_free(net);
  std::remove(path.c_str());
}

TEST(BnStats, CliOptionReachesProvenanceAndResumeChecksIt) {
  const std::string d = cli_util::make_dir("bet_bnstats_");
  cli_util::Result r = cli_util::run_in(d, "train --help");
  EXPECT_NE(r.out.find("--bn-stats"), std::string::npos);
  r = cli_util::run_in(d, "train --arch fcnn --data fashion-mnist --out x.bnn --bn-stats nope");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--bn-stats: expected running or train-set, got 'nope'"), std::string::npos)
      << r.err;
  if (!cli_util::have_fmnist("train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "Fashion-MNIST not installed";
  const std::string small =
      "train --arch 784-32-32-10 --data fashion-mnist --train-limit 300 --test-limit 100 "
      "--batch 100 --no-progress --threads 2 --seed 4 ";
  const std::string a = d + "/ts.bnn";
  r = cli_util::run_in(d, small + "--epochs 1 --bn-stats train-set --out " + a);
  ASSERT_EQ(r.code, 0) << r.err;
  bnn_model *m = nullptr;
  ASSERT_EQ(bnn_model_load(&m, a.c_str()), BNN_OK) << bnn_errmsg();
  const std::string prov = bnn_model_provenance(m);
  EXPECT_NE(prov.find("\"bn_stats\":\"train-set\""), std::string::npos) << prov;
  bnn_model_free(m);
  r = cli_util::run_in(d, small + "--epochs 2 --resume --out " + a);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--bn-stats differs"), std::string::npos) << r.err;
}
