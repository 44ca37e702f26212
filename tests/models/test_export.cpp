// test_export.cpp — a net trained by libbet, exported to the engine's model file and loaded back,
// gives the engine's predictions and integer scores identical to libbet's evaluation-mode forward
// pass, image by image (dense, conv + pool nets, a negative output scale, with flips in training).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bet/bet.h"
#include "bnn/bnn.h"
#include "fixtures.hpp"

namespace {

// A class-dependent checkerboard over the full 0..255 range (bright pixels 128..255, dark 0..159).
struct Data : bettest::SynthData {
  Data(uint32_t n, uint32_t c, uint32_t h, uint32_t w, uint32_t k, uint64_t seed)
      : SynthData(n, c, h, w, k, seed,
                  {bettest::Pattern::Checker, 128, 128, 0, 160, 3, "synthetic"}) {}
};

void expect_engine_equals_libbet(bet_net *net, const bnn_dataset &d, const char *tag) {
  const std::string path = bettest::tmp_path(std::string("export_") + tag) + ".bnn";
  const char *prov = "{\"test\":\"export\"}";
  ASSERT_EQ(bet_export(net, prov, path.c_str()), BNN_OK) << bnn_errmsg();
  bnn_model *m = nullptr;
  ASSERT_EQ(bnn_model_load(&m, path.c_str()), BNN_OK) << bnn_errmsg();
  EXPECT_STREQ(bnn_model_provenance(m), prov);
  const float s = bet_net_output_scale(net);
  EXPECT_EQ(bnn_model_output_scale(m), s < 0 ? -s : s);
  const uint32_t k = d.n_classes;
  std::vector<int32_t> want_scores((size_t)d.n * k), got_scores((size_t)d.n * k);
  std::vector<uint8_t> want_pred(d.n), got_pred(d.n);
  double acc = 0;
  ASSERT_EQ(bet_evaluate(net, &d, 2, 0.0, 0, 0, want_scores.data(), want_pred.data(), &acc),
            BNN_OK);
  for (int kernel : {(int)BNN_KERNEL_REF, (int)BNN_KERNEL_AUTO}) {
    ASSERT_NO_FATAL_FAILURE(bettest::engine_run(m, d, (bnn_kernel)kernel, got_scores, got_pred));
    for (uint32_t i = 0; i < d.n; ++i) {
      ASSERT_EQ(got_pred[i], want_pred[i]) << tag << " image " << i << " kernel " << kernel;
      for (uint32_t j = 0; j < k; ++j)
        ASSERT_EQ(got_scores[(size_t)i * k + j], want_scores[(size_t)i * k + j])
            << tag << " image " << i << " class " << j;
    }
  }
  // The comparison means something only if the net learned.
  EXPECT_GT(acc, 1.2 / k) << tag;
  bnn_model_free(m);
  std::remove(path.c_str());
}

// Trains net on d for `epochs` epochs of `batch` images at lr 5e-3, flipping each binarized weight
// with probability flip_p; a fatal failure if net is null or an epoch is refused.
void train(bet_net *net, const bnn_dataset &d, uint32_t batch, int epochs, double flip_p = 0.0) {
  ASSERT_NE(net, nullptr);
  bet_train_params p = bet_train_default_params();
  p.batch = batch;
  p.lr = 5e-3;
  p.flip_p = flip_p;
  bettest::train_epochs(net, d, p, epochs);
}

}  // namespace

TEST(Export, DenseNetEngineEqualsLibbetImageByImage) {
  Data data(300, 1, 6, 6, 4, 1);
  bet_net *net = bettest::make_net("36-40-24-4", data.d, 7);
  ASSERT_NO_FATAL_FAILURE(train(net, data.d, 32, 4, 0.01));
  expect_engine_equals_libbet(net, data.d, "dense");
  bet_net_free(net);
}

TEST(Export, ConvPoolNetEngineEqualsLibbetImageByImage) {
  // conv → pool → conv (no pool) → conv → pool → dense → dense: exercises HWC flatten, borders,
  // pooling after the sign, odd channel counts.
  Data data(200, 3, 8, 8, 3, 2);
  bet_arch a;
  std::memset(&a, 0, sizeof a);
  std::snprintf(a.name, sizeof a.name, "test-conv");
  a.n_layers = 5;
  a.layers[0] = {BET_CONV3X3, 5, 1};
  a.layers[1] = {BET_CONV3X3, 7, 0};
  a.layers[2] = {BET_CONV3X3, 6, 1};
  a.layers[3] = {BET_DENSE, 20, 0};
  a.layers[4] = {BET_DENSE, 3, 0};
  bet_net *net = bettest::make_net(a, data.d, 8);
  ASSERT_NO_FATAL_FAILURE(train(net, data.d, 25, 16));
  expect_engine_equals_libbet(net, data.d, "conv");
  bet_net_free(net);
}

TEST(Export, NegativeOutputScaleIsExportedAsNegatedWeights) {
  Data data(120, 1, 4, 4, 3, 3);
  bet_net *net = bettest::make_net("16-24-3", data.d, 9);
  ASSERT_NO_FATAL_FAILURE(train(net, data.d, 30, 4));
  std::vector<uint8_t> pred_pos(data.d.n), pred_neg(data.d.n);
  ASSERT_EQ(bet_evaluate(net, &data.d, 1, 0.0, 0, 0, nullptr, pred_pos.data(), nullptr), BNN_OK);
  // s·a with every output weight negated and s < 0 is the same function: the predictions must
  // stay, in libbet and in the engine (which takes the arg-max of integer scores).
  const float s0 = bet_net_output_scale(net);
  ASSERT_GT(s0, 0.0f);
  size_t n = 0;
  float *w = bet_net_weights(net, 1, &n);
  for (size_t i = 0; i < n; ++i) w[i] = w[i] >= 0.0f ? -(w[i] + 1e-6f) : -w[i];
  bet_net_set_output_scale(net, -s0);
  ASSERT_EQ(bet_evaluate(net, &data.d, 1, 0.0, 0, 0, nullptr, pred_neg.data(), nullptr), BNN_OK);
  EXPECT_EQ(pred_neg, pred_pos);
  expect_engine_equals_libbet(net, data.d, "scale");
  bet_net_free(net);
}
