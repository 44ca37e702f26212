// test_preact.cpp — bnn_model_preact: exact pre-activations, agreeing with the engine and a naive
// pass.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "bnn/bnn.h"
#include "bnn_testutil.h"

namespace {
using namespace bnntest;

// Naive pass over bnn_model_weight: every weight layer's pre-activations, concatenated.
std::vector<int32_t> naive_preacts(const bnn_model *m, const uint8_t *img) {
  uint32_t C, H, W;
  bnn_model_input_shape(m, &C, &H, &W);
  std::vector<int64_t> x(img, img + (size_t)C * H * W);
  std::vector<int32_t> all;
  for (uint32_t l = 0; l < bnn_model_n_layers(m); ++l) {
    bnn_layer_info I;
    bnn_model_layer(m, l, &I);
    std::vector<int64_t> y(I.out_c);
    for (uint32_t o = 0; o < I.out_c; ++o) {
      int64_t a = 0;
      for (uint32_t i = 0; i < I.fan_in; ++i) a += bnn_model_weight(m, l, o, i) * x[i];
      all.push_back((int32_t)a);
      if (!I.is_output) {
        int32_t t;
        int8_t d;
        bnn_model_threshold(m, l, o, &t, &d);
        y[o] = (d > 0 ? a >= t : a <= t) ? 1 : -1;
      }
    }
    x = y;
  }
  return all;
}

// The engine's scores (n × classes) and predictions for n images, on a host port with the default
// parameters.
struct EngineRun {
  std::vector<int32_t> scores;
  std::vector<uint8_t> pred;
  EngineRun(const bnn_model *m, const std::vector<uint8_t> &imgs, size_t n) {
    bnn_port *port = nullptr;
    EXPECT_EQ(bnn_host_port_create(&port, m), BNN_OK);
    const bnn_infer_params ip = bnn_infer_default_params();
    scores = run(m, port, imgs, n, ip.threads, ip.kernel, ip.weight_reuse, &pred);
    EXPECT_EQ(scores.size(), n * bnn_model_n_classes(m)) << bnn_errmsg();
    bnn_port_destroy(port);
  }
  // Image i's output pre-activations `sc` are the engine's scores, and their arg-max its
  // prediction.
  void expect_output(size_t i, const int32_t *sc, uint32_t ncls) const {
    for (uint32_t k = 0; k < ncls; ++k) EXPECT_EQ(sc[k], scores[i * ncls + k]) << "image " << i;
    EXPECT_EQ(argmax(sc, ncls), pred[i]) << "image " << i;
  }
};

TEST(Preact, AgreesWithNaivePassAndEngine) {
  const std::vector<std::vector<LayerSpec>> shapes = {
      {{'d', 10}}, {{'d', 70}, {'d', 10}}, {{'d', 130}, {'d', 65}, {'d', 7}}};
  for (size_t s = 0; s < shapes.size(); ++s) {
    bnn_model *m = random_model(1, 9, 11, shapes[s], 100 + s);  // 99 inputs: not a multiple of 64
    ASSERT_NE(m, nullptr);
    const size_t n = 50;
    auto imgs = random_images(m, n, 7 + s);
    uint32_t ncls = bnn_model_n_classes(m);
    const EngineRun engine(m, imgs, n);
    ASSERT_FALSE(engine.scores.empty());
    std::vector<int32_t> pre(bnn_model_preact_count(m));
    for (size_t i = 0; i < n; ++i) {
      const uint8_t *img = imgs.data() + i * 99;
      ASSERT_EQ(bnn_model_preact(m, img, pre.data()), BNN_OK);
      EXPECT_EQ(pre, naive_preacts(m, img)) << "shape " << s << " image " << i;
      std::vector<int32_t> one(pre.size());
      ASSERT_EQ(bnn_model_preact_batch(m, img, 1, one.data()), BNN_OK);
      EXPECT_EQ(one, pre);
      engine.expect_output(i, pre.data() + pre.size() - ncls, ncls);
    }
    bnn_model_free(m);
  }
}

// Conv/pool models (VGG-shaped, channel counts not multiples of 64 and over 64, odd sizes): the
// reference pass reproduces the engine's scores and predictions image by image, and the batched
// pass equals the reference value by value.
TEST(Preact, ConvModelsAgreeWithEngineAndBatch) {
  struct Case {
    uint32_t c, h, w;
    std::vector<LayerSpec> spec;
  };
  const std::vector<Case> cases = {
      {1, 8, 8, {{'c', 5}, {'p', 0}, {'c', 70}, {'p', 0}, {'d', 33}, {'d', 10}}},
      {3, 7, 9, {{'c', 64}, {'c', 3}, {'p', 0}, {'d', 10}}},
      {2, 5, 5, {{'d', 65}, {'d', 4}}}};
  for (size_t s = 0; s < cases.size(); ++s) {
    const Case &k = cases[s];
    bnn_model *m = random_model(k.c, k.h, k.w, k.spec, 300 + s);
    ASSERT_NE(m, nullptr);
    const size_t n = 13, img = (size_t)k.c * k.h * k.w;
    auto imgs = random_images(m, n, 17 + s);
    uint32_t ncls = bnn_model_n_classes(m);
    const EngineRun engine(m, imgs, n);
    ASSERT_FALSE(engine.scores.empty());
    const size_t cnt = bnn_model_preact_count(m);
    std::vector<int32_t> pre(cnt), batch(n * cnt);
    ASSERT_EQ(bnn_model_preact_batch(m, imgs.data(), n, batch.data()), BNN_OK);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(bnn_model_preact(m, imgs.data() + i * img, pre.data()), BNN_OK);
      EXPECT_TRUE(std::equal(pre.begin(), pre.end(), batch.begin() + (long)(i * cnt)))
          << "case " << s << " image " << i;
      SCOPED_TRACE("case " + std::to_string(s));
      engine.expect_output(i, pre.data() + cnt - ncls, ncls);
    }
    bnn_model_free(m);
  }
}

TEST(Preact, RejectsNull) {
  bnn_model *m = random_model(2, 4, 4, {{'c', 3}, {'p', 0}, {'d', 5}}, 3);
  ASSERT_NE(m, nullptr);
  std::vector<uint8_t> img(32);
  std::vector<int32_t> pre(bnn_model_preact_count(m));
  EXPECT_EQ(bnn_model_preact(m, nullptr, pre.data()), BNN_E_ARG);
  EXPECT_EQ(bnn_model_preact_batch(m, nullptr, 1, pre.data()), BNN_E_ARG);
  EXPECT_EQ(bnn_model_preact_batch(m, img.data(), 0, nullptr), BNN_OK);
  bnn_model_free(m);
}

}  // namespace
