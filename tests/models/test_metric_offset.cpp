// test_metric_offset.cpp — margin metrics and the analytic prediction of models with an input
// offset (bnn_model_set_input_offset: a net trained on x = (p − q_c)/s): the first layer's
// normalised margin by hand, the prediction against Monte-Carlo fault injection (where the
// pixel-based formula of earlier builds is far off), and q = 0 reducing to the plain model.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "bet/metric.h"
#include "bnn/mc.h"
#include "bnn/rng.h"
#include "fixtures.hpp"
#include "workloads/bnn_testutil.h"

namespace {
using namespace bnntest;

// A copy of dense model m without its input offset: the same weights, directions and the int32
// thresholds m's own weights give (bnn_model_threshold). Its clean outputs equal m's, and it is
// what the margin metrics of earlier builds saw of m (they ignored the offset).
bnn_model *without_offset(const bnn_model *m) {
  uint32_t c, h, w;
  bnn_model_input_shape(m, &c, &h, &w);
  bnn_model *r = nullptr;
  if (bnn_model_create(&r, c, h, w) != BNN_OK) return nullptr;
  for (uint32_t l = 0; l < bnn_model_n_layers(m); ++l) {
    bnn_layer_info I;
    bnn_model_layer(m, l, &I);
    EXPECT_EQ(I.kind, BNN_LAYER_DENSE);
    std::vector<int8_t> wt((size_t)I.out_c * I.fan_in), d(I.out_c);
    std::vector<int32_t> t(I.out_c);
    for (uint32_t o = 0; o < I.out_c; ++o) {
      for (uint32_t i = 0; i < I.fan_in; ++i)
        wt[(size_t)o * I.fan_in + i] = (int8_t)bnn_model_weight(m, l, o, i);
      if (!I.is_output) {
        EXPECT_EQ(bnn_model_threshold(m, l, o, &t[o], &d[o]), BNN_OK);
      }
    }
    if (bnn_model_add_dense(r, I.out_c, wt.data(), I.is_output ? nullptr : t.data(),
                            I.is_output ? nullptr : d.data()) != BNN_OK) {
      bnn_model_free(r);
      return nullptr;
    }
  }
  return r;
}

// A random dense model on c × h × w images with input offset q_c = num[c]/2^shift and first-layer
// thresholds T_j (in units of v = 2^shift·a − Σ_c num_c·S_jc = 2^shift·z) at the neuron's expected
// v over uniform pixels (E p = 127.5) plus a jitter of ±4, and random images labelled by the
// model's own clean predictions.
struct OffsetNet {
  bnn_model *m = nullptr;
  std::vector<uint8_t> images, labels;
  bnn_dataset ds{};
  OffsetNet(uint32_t c, uint32_t h, uint32_t w, const std::vector<LayerSpec> &spec, uint32_t shift,
            const std::vector<int64_t> &num, uint64_t seed, uint32_t n) {
    m = random_model(c, h, w, spec, seed);
    if (!m) return;
    bnn_layer_info I;
    bnn_model_layer(m, 0, &I);
    std::vector<int64_t> T(I.out_c);
    bnn_rng r = bnn_rng_make(seed, 9);
    for (uint32_t o = 0; o < I.out_c; ++o) {
      int64_t centre2 = 0;  // 2·E v = Σ_i w_i·(2^shift·255 − 2·num_c(i))
      for (uint32_t i = 0; i < I.fan_in; ++i)
        centre2 += bnn_model_weight(m, 0, o, i) * ((255 << shift) - 2 * num[i % c]);
      T[o] = centre2 / 2 + (int64_t)bnn_rng_below(&r, 9) - 4;
    }
    EXPECT_EQ(bnn_model_set_input_offset(m, shift, num.data(), T.data()), BNN_OK) << bnn_errmsg();
    images = random_images(m, n, seed + 1);
    labels.resize(n);
    bnn_port *port = nullptr;
    bnn_engine *e = nullptr;
    const bnn_infer_params ip = bnn_infer_default_params();
    EXPECT_EQ(bnn_host_port_create(&port, m), BNN_OK);
    EXPECT_EQ(bnn_engine_create(&e, m, port, &ip), BNN_OK);
    EXPECT_EQ(bnn_engine_run(e, images.data(), n, nullptr, labels.data()), BNN_OK);
    bnn_engine_destroy(e);
    bnn_port_destroy(port);
    ds.n = n, ds.c = c, ds.h = h, ds.w = w, ds.n_classes = bnn_model_n_classes(m);
    ds.images = images.data(), ds.labels = labels.data();
    std::snprintf(ds.name, sizeof ds.name, "random");
  }
  OffsetNet(const OffsetNet &) = delete;
  OffsetNet &operator=(const OffsetNet &) = delete;
  ~OffsetNet() { bnn_model_free(m); }
};

double predict(const bnn_model *m, const bnn_dataset &ds, double ber, int stratified) {
  bet_predict_params pp = bet_predict_default_params();
  pp.threads = 2;
  pp.stratified_mean = stratified;
  double acc = -1;
  EXPECT_EQ(bet_predict_accuracy(m, &ds, &ber, 1, &pp, &acc), BNN_OK) << bnn_errmsg();
  return acc;
}

}  // namespace

// One image of 1 × 2 pixels × 2 channels (HWC: input i is channel i % 2) with q = (127.5, 50),
// two first-layer neurons, worked by hand: the normalised margin divides by 2·√Σ(p − q_c)², and
// the flip probability at BER p takes mean (a − qS)(1 − 2p) + qS, variance 4p(1 − p)·Σ(p − q_c)².
TEST(MetricOffset, FirstLayerMarginAndFlipProbabilityByHand) {
  bnn_model *m = nullptr;
  ASSERT_EQ(bnn_model_create(&m, 2, 1, 2), BNN_OK);
  const int8_t w0[8] = {1, -1, 1, 1, -1, -1, -1, 1};  // neuron 0, neuron 1
  const int32_t t0[2] = {0, 0};
  const int8_t d0[2] = {1, -1};
  ASSERT_EQ(bnn_model_add_dense(m, 2, w0, t0, d0), BNN_OK);
  const int8_t w1[4] = {1, 1, 1, -1};
  ASSERT_EQ(bnn_model_add_dense(m, 2, w1, nullptr, nullptr), BNN_OK);
  // Neuron 0: S = (2, 0), Σ num·S = 510; T = 20: a ≥ ceil(530/2) = 265. Neuron 1: S = (−2, 0),
  // Σ num·S = −510; T = 320, d = −1: a ≤ floor(−190/2) = −95.
  const int64_t num[2] = {255, 100}, T[2] = {20, 320};
  ASSERT_EQ(bnn_model_set_input_offset(m, 1, num, T), BNN_OK) << bnn_errmsg();
  int32_t t;
  int8_t d;
  ASSERT_EQ(bnn_model_threshold(m, 0, 0, &t, &d), BNN_OK);
  EXPECT_EQ(t, 265);
  ASSERT_EQ(bnn_model_threshold(m, 0, 1, &t, &d), BNN_OK);
  EXPECT_EQ(t, -95);
  uint8_t px[4] = {200, 10, 0, 90}, lab[1] = {0};
  bnn_dataset ds{};
  ds.n = 1, ds.c = 2, ds.h = 1, ds.w = 2, ds.n_classes = 2, ds.images = px, ds.labels = lab;
  std::snprintf(ds.name, sizeof ds.name, "hand");
  // a = (200 − 10 + 0 + 90, −200 − 10 − 0 + 90) = (280, −120); qS = (255, −255);
  // Σ(p − q)² = 72.5² + 40² + 127.5² + 40² = 24712.5 (Σp² = 48200 would be the pixel form).
  // |a − τ| = |280 − 264.5| = 15.5 and |−120 − (−94.5)| = 25.5.
  const double sq = 24712.5, p = 0.2;
  const double nm = (15.5 + 25.5) / 2 / (2 * std::sqrt(sq));
  const double sd = std::sqrt(4 * p * (1 - p) * sq);
  auto phi = [](double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); };
  // neuron 0 (+1, a ≥ τ): P(a' < 264.5); neuron 1 (+1, a ≤ τ): P(a' > −94.5)
  const double mean0 = (280 - 255) * (1 - 2 * p) + 255, mean1 = (-120 + 255) * (1 - 2 * p) - 255;
  const double pf = (phi((264.5 - mean0) / sd) + (1 - phi((-94.5 - mean1) / sd))) / 2;
  bet_metric_result r;
  ASSERT_EQ(bet_metric_compute(m, &ds, p, &r), BNN_OK) << bnn_errmsg();
  EXPECT_NEAR(r.layers[0].nm_mean, nm, 1e-12);
  EXPECT_NEAR(r.layers[0].pflip_mean, pf, 1e-12);
  std::printf("hand: nm %.6f (pixel form %.6f), P(flip) at %.1f %.6f\n", r.layers[0].nm_mean,
              (15.5 + 25.5) / 2 / (2 * std::sqrt(48200.0)), p, r.layers[0].pflip_mean);
  bet_metric_result_free(&r);
  bnn_model_free(m);
}

// The analytic prediction on a net trained on [−1, 1] pixels (bet_train_params.input_range pm1,
// 64-32-32-10 on 8 × 8 synthetic checkers with overlapping bright and dark levels, 2 epochs; the
// export carries q = 127.5) against Monte-Carlo persistent weight flips through the engine's error
// port (bnn_mc_sweep: the engine re-derives the first layer's thresholds from the flipped
// weights), at BER 0.1 and 0.2 on 1000 held-out images × 64 reps (the reps' accuracies spread by
// 0.03 / 0.09, so the MC mean's standard error is ≈ 0.004 / 0.011). Tolerance 0.05 absolute, about
// the dense model's own error on plain nets (test_metric.cpp; observed +0.031 / +0.023). The same
// prediction in the pixel form (the model without its offset: Σp², mean a(1 − 2p), what earlier
// builds computed for this model; observed −0.10 / −0.15) must lie outside the tolerance at both
// BERs, so the test can fail.
TEST(MetricOffset, PredictionAgreesWithMonteCarloAndPixelFormDoesNot) {
  bettest::SynthSpec spec;
  spec.pattern = bettest::Pattern::Checker;
  spec.on_lo = 130, spec.on_span = 100;  // bright 130..229 and dark 30..129 pixels
  spec.off_lo = 30, spec.off_span = 100;
  bettest::SynthData train(2048, 1, 8, 8, 10, 61, spec), test(1000, 1, 8, 8, 10, 62, spec);
  bet_net *net = bettest::make_net("64-32-32-10", train.d, 7);
  ASSERT_NE(net, nullptr);
  bet_train_params tp = bet_train_default_params();
  tp.batch = 64;
  tp.lr = 1e-2;
  tp.input_range = BET_INPUT_PM1;
  ASSERT_NO_FATAL_FAILURE(bettest::train_epochs(net, train.d, tp, 2));
  bnn_model *m = nullptr;
  ASSERT_EQ(bet_export_model(net, nullptr, &m), BNN_OK) << bnn_errmsg();
  bet_net_free(net);
  ASSERT_EQ(bnn_model_input_offset(m, nullptr, nullptr, nullptr), 1);
  bnn_model *plain = without_offset(m);
  ASSERT_NE(plain, nullptr);
  const double tol = 0.05;
  const std::vector<double> bers = {0.1, 0.2};
  std::vector<bnn_mc_stats> mc(bers.size());
  bnn_mc_params mp = bnn_mc_default_params();
  mp.reps = 64;
  mp.seed = 5;
  mp.infer.threads = 2;
  ASSERT_EQ(bnn_mc_sweep(m, &test.d, bers.data(), bers.size(), &mp, nullptr, nullptr, mc.data(),
                         nullptr, nullptr),
            BNN_OK)
      << bnn_errmsg();
  const double clean = predict(m, test.d, 0.0, 1);
  EXPECT_EQ(clean, predict(plain, test.d, 0.0, 1));  // the same net when nothing flips
  for (size_t b = 0; b < bers.size(); ++b) {
    const double now = predict(m, test.d, bers[b], 1), layer = predict(m, test.d, bers[b], 0);
    const double old = predict(plain, test.d, bers[b], 1);
    std::printf(
        "pm1 net (clean %.4f) ber %.2f: Monte-Carlo %.4f ± %.4f; predicted %.4f (layer "
        "mean %.4f); pixel form %.4f\n",
        clean, bers[b], mc[b].mean, mc[b].std, now, layer, old);
    EXPECT_NEAR(now, mc[b].mean, tol) << "ber " << bers[b];
    EXPECT_GT(std::fabs(old - mc[b].mean), tol) << "ber " << bers[b];
  }
  bnn_model_free(plain);
  bnn_model_free(m);
}

// q = 0 (num 0, shift 0: T = t) takes the offset code path with qS = 0 and Σ(p − 0)² = Σp²: the
// metric and both predictions equal the plain model's exactly, so models without an offset keep
// their figures.
TEST(MetricOffset, ZeroOffsetEqualsThePlainModel) {
  OffsetNet f(3, 8, 8, {{'d', 96}, {'d', 64}, {'d', 10}}, 0, {0, 0, 0}, 72, 150);
  ASSERT_NE(f.m, nullptr);
  ASSERT_EQ(bnn_model_input_offset(f.m, nullptr, nullptr, nullptr), 1);
  bnn_model *plain = without_offset(f.m);
  ASSERT_NE(plain, nullptr);
  ASSERT_EQ(bnn_model_input_offset(plain, nullptr, nullptr, nullptr), 0);
  for (double ber : {0.01, 0.1, 0.3}) {
    bet_metric_result a, b;
    ASSERT_EQ(bet_metric_compute(f.m, &f.ds, ber, &a), BNN_OK);
    ASSERT_EQ(bet_metric_compute(plain, &f.ds, ber, &b), BNN_OK);
    for (uint32_t l = 0; l < a.n_layers; ++l) {
      EXPECT_EQ(a.layers[l].nm_mean, b.layers[l].nm_mean) << "layer " << l << " ber " << ber;
      EXPECT_EQ(a.layers[l].pflip_mean, b.layers[l].pflip_mean) << "layer " << l << " ber " << ber;
    }
    EXPECT_EQ(a.all_nm_mean, b.all_nm_mean);
    bet_metric_result_free(&a);
    bet_metric_result_free(&b);
    for (int strat : {1, 0}) {
      EXPECT_EQ(predict(f.m, f.ds, ber, strat), predict(plain, f.ds, ber, strat))
          << "ber " << ber << " strat " << strat;
      bet_predict_params pp = bet_predict_default_params();
      pp.stratified_mean = strat;
      double r1 = 0, r2 = 0;
      ASSERT_EQ(bet_predict_accuracy_ref(f.m, &f.ds, &ber, 1, &pp, &r1), BNN_OK);
      ASSERT_EQ(bet_predict_accuracy_ref(plain, &f.ds, &ber, 1, &pp, &r2), BNN_OK);
      EXPECT_EQ(r1, r2) << "ref, ber " << ber << " strat " << strat;
    }
  }
  bnn_model_free(plain);
}

// The fast prediction (batched pre-activations, table CDF, float u/v of z = a − qS, strata keyed
// by s·z) against its reference twin (per-image pass, erfc, double) on an offset model with three
// channels of different q (127.5, 100, 150): within 1e-4 as for plain models (test_metric.cpp),
// and bit-identical for 1 and 3 threads.
TEST(MetricOffset, FastPredictionEqualsReference) {
  OffsetNet f(3, 8, 8, {{'d', 100}, {'d', 70}, {'d', 10}}, 1, {255, 200, 300}, 73, 150);
  ASSERT_NE(f.m, nullptr);
  ASSERT_NO_FATAL_FAILURE(bettest::expect_fast_prediction_equals_reference(
      f.m, f.ds, {0.0, 1e-4, 0.003, 0.02, 0.1, 0.3, 0.5}, "offset"));
}
