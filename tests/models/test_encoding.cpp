// test_encoding.cpp — the [−1, 1] input encoding (bet_input_range): a net trained on 2p/255 − 1
// exports to the engine, which takes the raw 8-bit pixels, and the engine's decisions equal a
// double-precision float forward pass on the encoded inputs, image by image; the encoding survives
// a checkpoint; batch-norm re-estimation measures the encoded pre-activation; what cannot fold is
// refused.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bet/bet.h"
#include "bnn/bnn.h"
#include "fixtures.hpp"

namespace {

// Checkerboard classes over the full 0..255 range, so that both ends of [−1, 1] occur.
struct Data : bettest::SynthData {
  Data(uint32_t n, uint32_t c, uint32_t h, uint32_t w, uint32_t k, uint64_t seed)
      : SynthData(n, c, h, w, k, seed,
                  {bettest::Pattern::Checker, 128, 128, 0, 160, 5, "synthetic"}) {}
};

bet_train_params pm1_params(uint32_t batch) {
  bet_train_params p = bet_train_default_params();
  p.batch = batch;
  p.lr = 5e-3;
  p.input_range = BET_INPUT_PM1;
  return p;
}

// A net of `arch` trained `epochs` epochs on [−1, 1] pixels (nullptr after a test failure).
bet_net *pm1_net(const char *arch, const bnn_dataset &d, uint64_t seed, const bet_train_params &p,
                 int epochs) {
  bet_net *net = bettest::make_net(arch, d, seed);
  for (int e = 0; net && e < epochs; ++e)
    if (bet_train_epoch(net, &d, &p, nullptr, nullptr, nullptr) != BNN_OK) {
      ADD_FAILURE() << "epoch " << e << ": " << bnn_errmsg();
      bet_net_free(net);
      return nullptr;
    }
  return net;
}

double sgn(float w) {
  return w >= 0.0f ? 1.0 : -1.0;
}

// The evaluation-mode forward pass of a dense net in doubles, on x = 2p/255 − 1 (pm1) or p/255:
// z = Σ sign(w)·x, h = +1 iff γ(z − μ)/√(var + eps) + β ≥ 0; the output's scores s·Σ sign(w)·h.
// Returns the arg-max (ties to the lowest class) per image; int_scores gets Σ sign(w)·h of the
// output layer.
// w0 (may be NULL): the first layer's ±1 weights to use instead of sign(w), n_out × fan_in (the
// weights as stored in a faulty memory).
std::vector<uint8_t> float_forward(bet_net *net, const bnn_dataset &d, bool pm1,
                                   std::vector<int64_t> *int_scores,
                                   const std::vector<double> *w0 = nullptr) {
  const bet_arch *a = bet_net_arch(net);
  const uint32_t L = a->n_layers, k = d.n_classes;
  const size_t isz = (size_t)d.c * d.h * d.w;
  std::vector<uint8_t> pred(d.n);
  if (int_scores) int_scores->assign((size_t)d.n * k, 0);
  for (uint32_t i = 0; i < d.n; ++i) {
    std::vector<double> x(isz);
    for (size_t j = 0; j < isz; ++j) {
      const double p = d.images[(size_t)i * isz + j];
      x[j] = pm1 ? 2.0 * p / 255.0 - 1.0 : p / 255.0;
    }
    for (uint32_t l = 0; l < L; ++l) {
      size_t nw = 0;
      const float *w = bet_net_weights(net, l, &nw);
      const uint32_t fan = bet_net_fan_in(net, l), n_out = bet_net_n_out(net, l);
      std::vector<double> y(n_out);
      for (uint32_t o = 0; o < n_out; ++o) {
        double z = 0.0;
        for (uint32_t j = 0; j < fan; ++j)
          z += (l == 0 && w0 ? (*w0)[(size_t)o * fan + j] : sgn(w[(size_t)o * fan + j])) * x[j];
        y[o] = z;
      }
      if (l + 1 == L) {
        const double s = bet_net_output_scale(net);
        uint32_t best = 0;
        for (uint32_t o = 0; o < n_out; ++o) {
          if (s * y[o] > s * y[best]) best = o;
          if (int_scores) (*int_scores)[(size_t)i * k + o] = (int64_t)std::llround(y[o]);
        }
        pred[i] = (uint8_t)best;
        break;
      }
      float *beta = nullptr, *mean = nullptr, *var = nullptr;
      const float *gamma = bet_net_bn(net, l, &beta, &mean, &var);
      for (uint32_t o = 0; o < n_out; ++o)
        y[o] = (double)gamma[o] * (y[o] - (double)mean[o]) / std::sqrt((double)var[o] + 1e-5) +
                           (double)beta[o] >=
                       0.0
                   ? 1.0
                   : -1.0;
      x = y;
    }
  }
  return pred;
}

}  // namespace

TEST(Encoding, Pm1DenseNetEngineEqualsFloatForwardImageByImage) {
  Data data(400, 1, 6, 6, 4, 11);
  bet_net *net = bettest::make_net("36-40-24-4", data.d, 13);
  ASSERT_NE(net, nullptr);
  EXPECT_EQ(bet_net_input_range(net), BET_INPUT_01);
  bet_train_params p = pm1_params(32);
  p.flip_p = 0.01;
  ASSERT_NO_FATAL_FAILURE(bettest::train_epochs(net, data.d, p, 5));
  ASSERT_EQ(bet_net_input_range(net), BET_INPUT_PM1);
  std::vector<int64_t> ref_scores;
  const std::vector<uint8_t> ref = float_forward(net, data.d, true, &ref_scores);
  const std::string path = bettest::tmp_path("encoding_pm1") + ".bnn";
  ASSERT_EQ(bet_export(net, nullptr, path.c_str()), BNN_OK) << bnn_errmsg();
  bnn_model *m = nullptr;
  ASSERT_EQ(bnn_model_load(&m, path.c_str()), BNN_OK) << bnn_errmsg();
  const uint32_t k = data.d.n_classes;
  const double sign = bet_net_output_scale(net) < 0 ? -1.0 : 1.0;
  std::vector<int32_t> scores((size_t)data.d.n * k);
  std::vector<uint8_t> pred(data.d.n), lib_pred(data.d.n);
  for (int kernel : {(int)BNN_KERNEL_REF, (int)BNN_KERNEL_AUTO}) {
    ASSERT_NO_FATAL_FAILURE(bettest::engine_run(m, data.d, (bnn_kernel)kernel, scores, pred));
    for (uint32_t i = 0; i < data.d.n; ++i) {
      ASSERT_EQ(pred[i], ref[i]) << "image " << i << " kernel " << kernel;
      for (uint32_t j = 0; j < k; ++j)
        ASSERT_EQ((double)scores[(size_t)i * k + j], sign * (double)ref_scores[(size_t)i * k + j])
            << "image " << i << " class " << j;
    }
  }
  double acc = 0.0;
  ASSERT_EQ(bet_evaluate(net, &data.d, 2, 0.0, 0, 0, nullptr, lib_pred.data(), &acc), BNN_OK);
  EXPECT_EQ(lib_pred, ref);
  EXPECT_GT(acc, 1.2 / k);  // the comparison means something only if the net learned
  // The encoding matters: the same parameters read as [0, 1] pixels decide differently.
  const std::vector<uint8_t> as01 = float_forward(net, data.d, false, nullptr);
  EXPECT_NE(as01, ref);
  bnn_model_free(m);
  std::remove(path.c_str());
  bet_net_free(net);
}

// The fault model of a [−1, 1] net whose weights sit in faulty memory: with first-layer weights
// flipped by the engine's error port (several fault maps), the engine decides as the float forward
// pass that flips w in z = Σ w·x on the ENCODED x (the PyTorch fault model), image by image. With
// the offset folded from the clean weights into the thresholds (model format before version 3)
// a flip moved z by its pixel part only, and this test failed.
TEST(Encoding, Pm1FlippedFirstLayerEngineEqualsFloatForwardOnEncodedInputs) {
  Data data(300, 1, 6, 6, 4, 17);
  bet_net *net = bettest::make_net("36-40-24-4", data.d, 19);
  ASSERT_NE(net, nullptr);
  ASSERT_NO_FATAL_FAILURE(bettest::train_epochs(net, data.d, pm1_params(30), 4));
  bnn_model *m = nullptr;
  ASSERT_EQ(bet_export_model(net, nullptr, &m), BNN_OK) << bnn_errmsg();
  uint32_t shift = 0;
  int64_t num = 0;
  ASSERT_EQ(bnn_model_input_offset(m, &shift, &num, nullptr), 1);
  EXPECT_EQ(num, 255);  // q = 255 / 2^1 = 127.5
  EXPECT_EQ(shift, 1u);
  bnn_layer_info I;
  ASSERT_EQ(bnn_model_layer(m, 0, &I), BNN_OK);
  uint64_t wsize = 0;
  bnn_model_weight_image(m, &wsize);
  const uint32_t k = data.d.n_classes;
  size_t changed = 0;
  for (uint64_t rep = 0; rep < 4; ++rep) {
    bnn_error_params ep = bnn_error_default_params();
    ep.write_p01 = ep.write_p10 = 0.15;
    ep.seed = 5;
    ep.layer_mask = 1;  // the first layer only: the others stay clean in both passes
    bnn_port *port = nullptr;
    ASSERT_EQ(bnn_error_port_create(&port, m, &ep, rep), BNN_OK);
    std::vector<uint8_t> img(wsize);
    ASSERT_EQ(bnn_port_read(port, 0, img.data(), wsize), BNN_OK);
    std::vector<double> w0((size_t)I.out_c * I.fan_in);
    for (uint32_t o = 0; o < I.out_c; ++o)
      for (uint32_t i = 0; i < I.fan_in; ++i)
        w0[(size_t)o * I.fan_in + i] =
            (img[I.weight_addr + o * I.row_bytes + i / 8] >> (i % 8)) & 1 ? -1.0 : 1.0;
    std::vector<int64_t> ref_scores;
    const std::vector<uint8_t> ref = float_forward(net, data.d, true, &ref_scores, &w0);
    const std::vector<uint8_t> clean = float_forward(net, data.d, true, nullptr);
    for (uint32_t i = 0; i < data.d.n; ++i) changed += ref[i] != clean[i];
    bnn_infer_params ip = bnn_infer_default_params();
    ip.threads = 2;
    bnn_engine *e = nullptr;
    ASSERT_EQ(bnn_engine_create(&e, m, port, &ip), BNN_OK) << bnn_errmsg();
    std::vector<int32_t> scores((size_t)data.d.n * k);
    std::vector<uint8_t> pred(data.d.n);
    ASSERT_EQ(bnn_engine_run(e, data.d.images, data.d.n, scores.data(), pred.data()), BNN_OK);
    bnn_engine_destroy(e);
    bnn_port_destroy(port);
    const double sign = bet_net_output_scale(net) < 0 ? -1.0 : 1.0;
    for (uint32_t i = 0; i < data.d.n; ++i) {
      ASSERT_EQ(pred[i], ref[i]) << "fault map " << rep << " image " << i;
      for (uint32_t j = 0; j < k; ++j)
        ASSERT_EQ((double)scores[(size_t)i * k + j], sign * (double)ref_scores[(size_t)i * k + j])
            << "fault map " << rep << " image " << i << " class " << j;
    }
  }
  EXPECT_GT(changed, 0u) << "the flips never changed a decision: the test proves nothing";
  bnn_model_free(m);
  bet_net_free(net);
}

TEST(Encoding, Pm1SurvivesCheckpointAndFoldsTheSame) {
  Data data(120, 1, 4, 4, 3, 3);
  const bet_train_params p = pm1_params(30);
  bet_net *net = pm1_net("16-24-3", data.d, 9, p, 2);
  ASSERT_NE(net, nullptr);
  const std::string path = bettest::tmp_path("encoding_ckpt") + ".ckpt";
  ASSERT_EQ(bet_checkpoint_save(net, &p, path.c_str()), BNN_OK) << bnn_errmsg();
  bet_net *back = nullptr;
  bet_train_params q;
  ASSERT_EQ(bet_checkpoint_load(&back, &q, path.c_str()), BNN_OK) << bnn_errmsg();
  EXPECT_EQ(q.input_range, BET_INPUT_PM1);
  EXPECT_EQ(bet_net_input_range(back), BET_INPUT_PM1);
  EXPECT_TRUE(bet_net_equal(net, back));
  std::vector<int32_t> t1(24), t2(24);
  std::vector<int8_t> d1(24), d2(24);
  ASSERT_EQ(bet_net_thresholds(net, 0, t1.data(), d1.data()), BNN_OK);
  ASSERT_EQ(bet_net_thresholds(back, 0, t2.data(), d2.data()), BNN_OK);
  EXPECT_EQ(t1, t2);
  EXPECT_EQ(d1, d2);
  std::remove(path.c_str());
  bet_net_free(back);
  bet_net_free(net);
}

TEST(Encoding, BnEstimationMeasuresTheEncodedPreActivation) {
  Data data(200, 1, 5, 5, 3, 4);
  bet_net *net = pm1_net("25-12-3", data.d, 5, pm1_params(25), 1);
  ASSERT_NE(net, nullptr);
  ASSERT_EQ(bet_net_estimate_bn(net, &data.d, 2), BNN_OK) << bnn_errmsg();
  float *beta = nullptr, *mean = nullptr, *var = nullptr;
  bet_net_bn(net, 0, &beta, &mean, &var);
  size_t nw = 0;
  const float *w = bet_net_weights(net, 0, &nw);
  for (uint32_t o = 0; o < 12; ++o) {
    double s = 0.0, sq = 0.0;
    for (uint32_t i = 0; i < data.d.n; ++i) {
      double z = 0.0;
      for (uint32_t j = 0; j < 25; ++j)
        z += sgn(w[o * 25 + j]) * (2.0 * data.d.images[(size_t)i * 25 + j] / 255.0 - 1.0);
      s += z;
      sq += z * z;
    }
    const double mu = s / data.d.n, v = (sq / data.d.n - mu * mu) * data.d.n / (data.d.n - 1.0);
    EXPECT_NEAR(mean[o], mu, 1e-4 * (1.0 + std::fabs(mu))) << "neuron " << o;
    EXPECT_NEAR(var[o], v, 1e-4 * (1.0 + v)) << "neuron " << o;
  }
  bet_net_free(net);
}

// Under flips the first layer's offset follows each draw's flipped weights, as in the engine. On
// all-zero pixels (x = −1) z_j = −S_j of the draw: estimated over 40 draws of layer 0 only at
// p = 0.3, the mean is −(1 − 2p)·S_j up to the draws' noise and the variance 0 within a draw. With
// the clean S_j (before the input offset) the mean was exactly −S_j.
TEST(Encoding, BnEstimationUnderFlipsTakesTheOffsetFromTheFlippedWeights) {
  Data data(200, 1, 6, 6, 3, 4);
  bet_net *net = pm1_net("36-40-3", data.d, 5, pm1_params(25), 1);
  ASSERT_NE(net, nullptr);
  const uint32_t n = 256 * 40;
  std::vector<uint8_t> zeros((size_t)n * 36, 0), labels(n, 0);
  bnn_dataset d = data.d;
  d.n = n, d.images = zeros.data(), d.labels = labels.data();
  const double p = 0.3;
  ASSERT_EQ(bet_net_estimate_bn_flips(net, &d, 2, p, 1, 7), BNN_OK) << bnn_errmsg();
  float *beta = nullptr, *mean = nullptr, *var = nullptr;
  bet_net_bn(net, 0, &beta, &mean, &var);
  size_t nw = 0;
  const float *w = bet_net_weights(net, 0, &nw);
  const double sd = std::sqrt(4 * p * (1 - p) * 36 / 40.0);  // of the mean of S over 40 draws
  int not_clean = 0;
  for (uint32_t o = 0; o < 40; ++o) {
    double S = 0.0;
    for (uint32_t j = 0; j < 36; ++j) S += sgn(w[o * 36 + j]);
    EXPECT_NEAR(mean[o], -(1 - 2 * p) * S, 4.5 * sd) << "neuron " << o;
    not_clean += std::fabs((double)mean[o] + S) > 1e-3;
  }
  EXPECT_GT(not_clean, 30);
  bet_net_free(net);
}

TEST(Encoding, Pm1IsRefusedWhereItCannotFold) {
  Data data(40, 1, 8, 8, 2, 6);
  bet_net *net = bettest::make_net("vgg3", data.d, 1);
  ASSERT_NE(net, nullptr);
  const bet_train_params p0 = pm1_params(20);
  EXPECT_EQ(bet_train_epoch(net, &data.d, &p0, nullptr, nullptr, nullptr), BNN_E_ARG);
  EXPECT_NE(std::string(bnn_errmsg()).find("input-range pm1"), std::string::npos) << bnn_errmsg();
  bet_net_free(net);
  net = bettest::make_net("64-8-8-2", data.d, 1);
  ASSERT_NE(net, nullptr);
  bet_train_params p = pm1_params(20);
  p.reg_margin = 0.1;
  p.reg_layers = BET_REG_ALL;
  EXPECT_EQ(bet_train_epoch(net, &data.d, &p, nullptr, nullptr, nullptr), BNN_E_ARG);
  p.input_range = (bet_input_range)7;
  EXPECT_EQ(bet_train_params_check(&p), BNN_E_ARG);
  bet_net_free(net);
}
