// test_train_reg.cpp — the BET margin regularizer: its value, finite-difference checks of its
// gradient (pre-activations, batch norm γ/β, through a dense layer to the weights), that it raises
// the metric's mean hidden margin, its parameters, checkpoints (old version 1 files) and CLI.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bet/bet.h"
#include "bet/layers.h"
#include "bet/metric.h"
#include "bnn/rng.h"
#include "cli_util.hpp"
#include "fixtures.hpp"

namespace {

// Square one-channel images, class k = which of n_classes horizontal bands is brightest; noisier
// than the training tests' bands (bright 130..249, dark 40..159).
struct Bands : bettest::SynthData {
  Bands(uint32_t n, uint32_t side, uint32_t n_classes, uint64_t seed)
      : SynthData(n, 1, side, side, n_classes, seed,
                  {bettest::Pattern::Bands, 130, 120, 40, 120, 1, "bands"}) {}
};

// The regularizer's sum recomputed with fresh batch statistics (what the finite differences vary).
struct RegLayer {
  size_t m, c, n;
  double b;
  std::vector<float> gamma, beta;
  double value(const std::vector<float> &z, float *dz = nullptr, float *dg = nullptr,
               float *db = nullptr) const {
    std::vector<float> h(m * c), mean(c), invstd(c), var(c);
    bet_bn_forward_train(z.data(), m, c, gamma.data(), beta.data(), 1e-5f, h.data(), mean.data(),
                         invstd.data(), var.data());
    return bet_margin_reg(z.data(), m, c, gamma.data(), beta.data(), mean.data(), invstd.data(), n,
                          b, 1.0, dz, dg, db);
  }
};

RegLayer make_layer(size_t m, size_t c, size_t n, double b, uint64_t seed) {
  RegLayer L{m, c, n, b, std::vector<float>(c), std::vector<float>(c)};
  bnn_rng r = bnn_rng_make(seed, 2);
  for (size_t j = 0; j < c; ++j) {
    L.gamma[j] = (float)((0.4 + bnn_rng_uniform(&r)) * (j % 3 == 2 ? -1.0 : 1.0));
    L.beta[j] = (float)(bnn_rng_uniform(&r) - 0.5);
  }
  return L;
}

std::vector<float> random_z(size_t count, uint64_t seed, double scale) {
  std::vector<float> z(count);
  bnn_rng r = bnn_rng_make(seed, 3);
  for (auto &v : z) v = (float)((2.0 * bnn_rng_uniform(&r) - 1.0) * scale);
  return z;
}

}  // namespace

TEST(MarginReg, ValueIsTheHingeOnTheDistanceToTheBatchNormSwitchPoint) {
  RegLayer L = make_layer(12, 5, 16, 1.5, 7);
  const std::vector<float> z = random_z(L.m * L.c, 8, 6.0);
  // Brute force in double: the output switches where γ(z − μ)/√(σ² + eps) + β = 0.
  double want = 0.0;
  for (size_t j = 0; j < L.c; ++j) {
    double mu = 0.0, var = 0.0;
    for (size_t i = 0; i < L.m; ++i) mu += (double)z[i * L.c + j];
    mu /= (double)L.m;
    for (size_t i = 0; i < L.m; ++i)
      var += ((double)z[i * L.c + j] - mu) * ((double)z[i * L.c + j] - mu);
    var /= (double)L.m;
    const double tau = mu - (double)L.beta[j] * std::sqrt(var + 1e-5) / (double)L.gamma[j];
    for (size_t i = 0; i < L.m; ++i)
      want += std::max(0.0, L.b - std::fabs((double)z[i * L.c + j] - tau) / std::sqrt((double)L.n));
  }
  EXPECT_GT(want, 0.0);
  EXPECT_NEAR(L.value(z), want, 1e-4 * want);
  // γ = 0: that neuron's output is constant, so it contributes nothing.
  RegLayer Z = L;
  for (auto &g : Z.gamma) g = 0.0f;
  EXPECT_EQ(Z.value(z), 0.0);
}

TEST(MarginReg, GradientMatchesFiniteDifferences) {
  RegLayer L = make_layer(16, 6, 16, 2.0, 11);
  std::vector<float> z = random_z(L.m * L.c, 12, 8.0);
  std::vector<float> dz(z.size(), 0.0f), dg(L.c, 0.0f), db(L.c, 0.0f);
  L.value(z, dz.data(), dg.data(), db.data());
  const float eps = 1e-3f;
  int checked = 0;
  for (size_t i = 0; i < z.size(); ++i) {
    const float z0 = z[i];
    z[i] = z0 + eps;
    const double fp = L.value(z);
    z[i] = z0 - eps;
    const double fm = L.value(z);
    z[i] = z0;
    const double fd = (fp - fm) / (2.0 * (double)eps);
    EXPECT_NEAR((double)dz[i], fd, 2e-3 + 1e-2 * std::fabs(fd)) << "z[" << i << "]";
    checked += fd != 0.0;
  }
  EXPECT_GT(checked, (int)z.size() / 2);  // the hinge is active for most terms
  for (size_t j = 0; j < L.c; ++j) {
    for (int which = 0; which < 2; ++which) {
      float &p = which ? L.beta[j] : L.gamma[j];
      const float p0 = p;
      p = p0 + eps;
      const double fp = L.value(z);
      p = p0 - eps;
      const double fm = L.value(z);
      p = p0;
      const double fd = (fp - fm) / (2.0 * (double)eps);
      EXPECT_NEAR((double)(which ? db[j] : dg[j]), fd, 2e-3 + 1e-2 * std::fabs(fd))
          << (which ? "beta[" : "gamma[") << j << "]";
    }
  }
}

// The first layer's form: a normaliser per row (1/√Σx² of that row's pixel inputs). With every row
// at 1/√n it is the hidden form exactly; rows with a non-finite normaliser are left out; its
// gradient matches finite differences like the hidden form's.
TEST(MarginReg, PerRowFormEqualsTheHiddenFormAndMatchesFiniteDifferences) {
  RegLayer L = make_layer(14, 5, 16, 1.5, 31);
  std::vector<float> z = random_z(L.m * L.c, 32, 6.0);
  auto rows_value = [&](const std::vector<float> &zz, const std::vector<double> &rsn, float *dz,
                        float *dg, float *db) {
    std::vector<float> h(L.m * L.c), mean(L.c), invstd(L.c), var(L.c);
    bet_bn_forward_train(zz.data(), L.m, L.c, L.gamma.data(), L.beta.data(), 1e-5f, h.data(),
                         mean.data(), invstd.data(), var.data());
    return bet_margin_reg_rows(zz.data(), L.m, L.c, L.gamma.data(), L.beta.data(), mean.data(),
                               invstd.data(), rsn.data(), L.b, 1.0, dz, dg, db);
  };
  std::vector<double> flat(L.m, 1.0 / std::sqrt((double)L.n));
  EXPECT_EQ(rows_value(z, flat, nullptr, nullptr, nullptr), L.value(z));
  // Rows normalised differently (as images with different Σx² would be); row 3 has no input.
  std::vector<double> rsn(L.m);
  bnn_rng r = bnn_rng_make(33, 5);
  for (auto &v : rsn) v = 0.05 + 0.4 * bnn_rng_uniform(&r);
  rsn.at(3) = INFINITY;
  double want = 0.0;  // brute force, as in the test above, row 3 skipped
  for (size_t j = 0; j < L.c; ++j) {
    double mu = 0.0, var = 0.0;
    for (size_t i = 0; i < L.m; ++i) mu += (double)z[i * L.c + j] / (double)L.m;
    for (size_t i = 0; i < L.m; ++i)
      var += ((double)z[i * L.c + j] - mu) * ((double)z[i * L.c + j] - mu) / (double)L.m;
    const double tau = mu - (double)L.beta[j] * std::sqrt(var + 1e-5) / (double)L.gamma[j];
    for (size_t i = 0; i < L.m; ++i)
      if (i != 3) want += std::max(0.0, L.b - std::fabs((double)z[i * L.c + j] - tau) * rsn[i]);
  }
  EXPECT_GT(want, 0.0);
  EXPECT_NEAR(rows_value(z, rsn, nullptr, nullptr, nullptr), want, 1e-4 * want);
  std::vector<float> dz(z.size(), 0.0f), dg(L.c, 0.0f), db(L.c, 0.0f);
  rows_value(z, rsn, dz.data(), dg.data(), db.data());
  const float eps = 1e-3f;
  int checked = 0;
  for (size_t i = 0; i < z.size(); ++i) {
    const float z0 = z[i];
    z[i] = z0 + eps;
    const double fp = rows_value(z, rsn, nullptr, nullptr, nullptr);
    z[i] = z0 - eps;
    const double fm = rows_value(z, rsn, nullptr, nullptr, nullptr);
    z[i] = z0;
    const double fd = (fp - fm) / (2.0 * (double)eps);
    EXPECT_NEAR((double)dz[i], fd, 2e-3 + 1e-2 * std::fabs(fd)) << "z[" << i << "]";
    checked += fd != 0.0;
  }
  EXPECT_GT(checked, (int)z.size() / 2);
  for (size_t j = 0; j < L.c; ++j)
    for (int which = 0; which < 2; ++which) {
      float &p = which ? L.beta[j] : L.gamma[j];
      const float p0 = p;
      p = p0 + eps;
      const double fp = rows_value(z, rsn, nullptr, nullptr, nullptr);
      p = p0 - eps;
      const double fm = rows_value(z, rsn, nullptr, nullptr, nullptr);
      p = p0;
      const double fd = (fp - fm) / (2.0 * (double)eps);
      EXPECT_NEAR((double)(which ? db[j] : dg[j]), fd, 2e-3 + 1e-2 * std::fabs(fd))
          << (which ? "beta[" : "gamma[") << j << "]";
    }
}

// Two identical nets of `arch` on the same bands: n0 takes one full-batch step without the margin
// penalty at construction, n1 takes penalised ones (λ = 0.5, b = 2) through step().
struct PlainAndPenalised {
  Bands s{64, 6, 3, 5};
  bet_net *n0, *n1;
  std::vector<uint32_t> idx;
  bet_train_params p = bet_train_default_params();
  double l0 = 0, l1 = 0, acc = 0;
  explicit PlainAndPenalised(const char *arch)
      : n0(bettest::make_net(arch, s.d, 9)), n1(bettest::make_net(arch, s.d, 9)), idx(64) {
    for (uint32_t i = 0; i < 64; ++i) idx[i] = i;
    if (n0) {
      EXPECT_EQ(bet_train_step(n0, &s.d, idx.data(), 64, &p, &l0, &acc), BNN_OK);
    }
    p.reg_margin = 0.5;
    p.reg_b = 2.0;
  }
  ~PlainAndPenalised() {
    bet_net_free(n0);
    bet_net_free(n1);
  }
  bnn_status step() { return bet_train_step(n1, &s.d, idx.data(), 64, &p, &l1, &acc); }
  // Whether both nets' last weight gradients of layer l (n values) are identical.
  bool same_wgrad(uint32_t l, size_t n) const {
    return std::memcmp(bet_net_last_wgrad(n0, l), bet_net_last_wgrad(n1, l), n * sizeof(float)) ==
           0;
  }
};

// --reg-layers all reaches the first layer: a net whose only hidden layer is the first has no
// hinge under `hidden` (refused) and one under `all`, which changes layer 0's gradient only.
TEST(MarginReg, EveryLayerVariantActsOnTheFirstLayer) {
  PlainAndPenalised t("36-20-3");
  ASSERT_NE(t.n0, nullptr);
  ASSERT_NE(t.n1, nullptr);
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(t.step(), BNN_E_ARG);
  t.p.reg_layers = BET_REG_ALL;
  EXPECT_STREQ(bet_reg_layers_str(t.p.reg_layers), "all");
  ASSERT_EQ(t.step(), BNN_OK) << bnn_errmsg();
  EXPECT_GT(t.l1, t.l0);
  EXPECT_LE(t.l1 - t.l0, 0.5 * 2.0 + 1e-9);
  EXPECT_TRUE(t.same_wgrad(1, 3 * 20));
  EXPECT_FALSE(t.same_wgrad(0, 20 * 36));
  // The checkpoint keeps the choice.
  const std::string path = bettest::tmp_path("reg_all_ckpt");
  ASSERT_EQ(bet_checkpoint_save(t.n1, &t.p, path.c_str()), BNN_OK) << bnn_errmsg();
  bet_net *back = nullptr;
  bet_train_params q;
  ASSERT_EQ(bet_checkpoint_load(&back, &q, path.c_str()), BNN_OK) << bnn_errmsg();
  EXPECT_EQ(q.reg_layers, BET_REG_ALL);
  bet_net_free(back);
  std::remove(path.c_str());
}

// The path the loss takes in training: ±1 inputs × weights (the STE passes the weight gradient to
// the latent weights unchanged) → batch norm statistics → hinge.
TEST(MarginReg, GradientReachesTheWeightsThroughDenseAndBatchNorm) {
  const size_t m = 24, k = 25, c = 4;
  RegLayer L = make_layer(m, c, k, 1.0, 21);
  std::vector<float> x(m * k), w = random_z(c * k, 22, 1.0);
  bnn_rng r = bnn_rng_make(23, 4);
  for (auto &v : x) v = bnn_rng_below(&r, 2) ? 1.0f : -1.0f;
  auto f = [&](const std::vector<float> &W, std::vector<float> *dW) {
    std::vector<float> z(m * c);
    bet_dense_forward(x.data(), m, k, W.data(), c, z.data());
    if (!dW) return L.value(z);
    std::vector<float> dz(m * c, 0.0f), dg(c, 0.0f), db(c, 0.0f);
    const double v = L.value(z, dz.data(), dg.data(), db.data());
    dW->assign(c * k, 0.0f);
    bet_dense_backward(x.data(), m, k, W.data(), c, dz.data(), nullptr, dW->data(), 0);
    return v;
  };
  std::vector<float> dw;
  f(w, &dw);
  const float eps = 1e-3f;
  for (size_t i = 0; i < w.size(); ++i) {
    const float w0 = w[i];
    w[i] = w0 + eps;
    const double fp = f(w, nullptr);
    w[i] = w0 - eps;
    const double fm = f(w, nullptr);
    w[i] = w0;
    const double fd = (fp - fm) / (2.0 * (double)eps);
    EXPECT_NEAR((double)dw[i], fd, 5e-3 + 2e-2 * std::fabs(fd)) << "w[" << i << "]";
  }
}

// In a net the penalty changes the gradient of the layers it acts on (and those below), never the
// output layer's; with λ = 0 the step is the plain one.
TEST(MarginReg, TrainingStepRoutesThePenaltyIntoTheHiddenLayersOnly) {
  PlainAndPenalised t("36-20-20-3");
  ASSERT_NE(t.n0, nullptr);
  ASSERT_NE(t.n1, nullptr);
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(t.step(), BNN_OK) << bnn_errmsg();
  EXPECT_GT(t.l1, t.l0);                     // the penalty is added to the loss
  EXPECT_LE(t.l1 - t.l0, 0.5 * 2.0 + 1e-9);  // λ·b bounds the mean hinge
  EXPECT_TRUE(t.same_wgrad(2, 3 * 20));
  EXPECT_FALSE(t.same_wgrad(1, 20 * 20));
  EXPECT_FALSE(t.same_wgrad(0, 20 * 36));
}

TEST(MarginReg, RaisesTheMeanHiddenMargin) {
  Bands s(600, 8, 4, 17);
  double mn[2] = {0, 0}, acc[2] = {0, 0};
  for (int k = 0; k < 2; ++k) {
    bet_net *net = bettest::make_net("64-48-48-4", s.d, 3);
    ASSERT_NE(net, nullptr);
    bet_train_params p = bet_train_default_params();
    p.batch = 30;
    p.lr = 1e-2;  // few steps: let γ, β and the latent weights move far enough to matter
    p.reg_margin = k ? 1.0 : 0.0;
    p.reg_b = 3.0;  // active for most neurons of this net (its |a − τ|/√n is ≈ 2.5 unregularized)
    ASSERT_NO_FATAL_FAILURE(bettest::train_epochs(net, s.d, p, 4));
    bnn_model *m = nullptr;
    ASSERT_EQ(bet_export_model(net, nullptr, &m), BNN_OK) << bnn_errmsg();
    bet_metric_result r;
    ASSERT_EQ(bet_metric_compute(m, &s.d, 0.01, &r), BNN_OK) << bnn_errmsg();
    mn[k] = r.hidden_mn_mean;
    acc[k] = r.accuracy;
    bet_metric_result_free(&r);
    bnn_model_free(m);
    bet_net_free(net);
  }
  std::printf("hidden_mn_mean: lambda 0 %.4f, lambda 1 %.4f (accuracy %.3f, %.3f)\n", mn[0], mn[1],
              acc[0], acc[1]);
  EXPECT_GT(mn[1], 1.2 * mn[0]);
  EXPECT_GT(acc[1], 0.8);  // still learns the task
}

TEST(MarginReg, BadParametersAndNetsWithoutEligibleLayers) {
  bet_train_params p = bet_train_default_params();
  EXPECT_EQ(p.reg_margin, 0.0);
  EXPECT_EQ(p.reg_b, 1.0);
  p.reg_margin = -0.1;
  EXPECT_EQ(bet_train_params_check(&p), BNN_E_RANGE);
  EXPECT_NE(std::strstr(bnn_errmsg(), "reg-margin"), nullptr);
  p.reg_margin = 0.1;
  p.reg_b = 0.0;
  EXPECT_EQ(bet_train_params_check(&p), BNN_E_RANGE);
  EXPECT_NE(std::strstr(bnn_errmsg(), "reg-b"), nullptr);
  p.reg_b = NAN;
  EXPECT_EQ(bet_train_params_check(&p), BNN_E_RANGE);
  p.reg_b = 1.0;
  // One hidden layer: its inputs are pixels, so there is nothing to regularize — refused, not
  // silently ignored.
  Bands s(20, 4, 2, 1);
  bet_net *net = bettest::make_net("16-8-2", s.d, 1);
  ASSERT_NE(net, nullptr);
  EXPECT_EQ(bet_train_epoch(net, &s.d, &p, nullptr, nullptr, nullptr), BNN_E_ARG);
  EXPECT_NE(std::strstr(bnn_errmsg(), "no hidden layer"), nullptr) << bnn_errmsg();
  bet_net_free(net);
}

TEST(MarginReg, CheckpointsStoreItAndVersion1FilesStillLoad) {
  Bands s(30, 4, 2, 2);
  bet_net *net = bettest::make_net("16-8-8-2", s.d, 1);
  ASSERT_NE(net, nullptr);
  bet_train_params p = bet_train_default_params();
  p.reg_margin = 0.25;
  p.reg_b = 0.75;
  const std::string path = bettest::tmp_path("reg_ckpt");
  ASSERT_EQ(bet_checkpoint_save(net, &p, path.c_str()), BNN_OK) << bnn_errmsg();
  bet_net *back = nullptr;
  bet_train_params q;
  ASSERT_EQ(bet_checkpoint_load(&back, &q, path.c_str()), BNN_OK) << bnn_errmsg();
  EXPECT_EQ(q.reg_margin, 0.25);
  EXPECT_EQ(q.reg_b, 0.75);
  EXPECT_TRUE(bet_net_equal(net, back));
  bet_net_free(back);
  // Rewrite it as a version 1 file: no regularizer fields (nor version 3's bn_stats, version 4's
  // reg_layers, version 5's input_range), version 1, fresh CRC.
  std::vector<char> b = bettest::read_bytes(path);
  ASSERT_FALSE(b.empty());
  const size_t params_end = bettest::kCkptV1ParamsEnd3;
  b.erase(b.begin() + (long)params_end, b.begin() + (long)params_end + 16 + 4 + 4 + 4);
  b[8] = 1;
  bettest::fix_checkpoint_crc(b);
  bettest::write_bytes(path, b);
  ASSERT_EQ(bet_checkpoint_load(&back, &q, path.c_str()), BNN_OK) << bnn_errmsg();
  EXPECT_EQ(q.reg_margin, 0.0);
  EXPECT_EQ(q.reg_b, 1.0);
  EXPECT_TRUE(bet_net_equal(net, back));
  bet_net_free(back);
  // A future version is refused clearly.
  b[8] = 9;
  bettest::write_bytes(path, b);
  EXPECT_EQ(bet_checkpoint_load(&back, &q, path.c_str()), BNN_E_VERSION);
  EXPECT_NE(std::strstr(bnn_errmsg(), "version 9"), nullptr) << bnn_errmsg();
  bet_net_free(net);
  std::remove(path.c_str());
}
