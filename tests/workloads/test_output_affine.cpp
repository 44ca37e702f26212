// test_output_affine.cpp — the per-class output affine (model format version 2): predictions are
// the arg-max of scale·a + offset (ties to the lowest class), the file round trip keeps it
// bit-exact, models without one still write version 1, and damaged version-2 files are refused.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <cstdio>
#include <unistd.h>
#include <fstream>
#include <string>
#include <vector>

#include "bnn/bnn.h"
#include "bnn_testutil.h"

namespace {

std::string tmp(const std::string &name) {
  return bnntest::tmp_file("test_oaff_", name);
}

std::vector<uint8_t> slurp(const std::string &p) {
  return bnntest::file_bytes(p);
}

uint32_t version_of(const std::string &p) {
  auto b = slurp(p);
  return b.size() < 12 ? 0 : (uint32_t)b[8] | (uint32_t)b[9] << 8;
}

bnn_model *conv_model() {
  return bnntest::random_model(1, 8, 8, {{'c', 8}, {'p', 0}, {'d', 16}, {'d', 5}}, 3);
}

}  // namespace

TEST(OutputAffine, PredictionsAreTheAffineArgmax) {
  bnn_model *m = conv_model();
  ASSERT_NE(m, nullptr);
  const uint32_t nc = bnn_model_n_classes(m);
  ASSERT_EQ(nc, 5u);
  const std::vector<double> scale = {0.5, -1.0, 2.0, 0.0, 1.5};
  const std::vector<double> offset = {3.0, -2.0, 0.25, 1.0, -7.5};
  EXPECT_EQ(bnn_model_output_affine(m, nullptr, nullptr), 0);
  ASSERT_EQ(bnn_model_set_output_affine(m, scale.data(), offset.data()), BNN_OK);
  const size_t n = 300;
  std::vector<uint8_t> images = bnntest::random_images(m, n, 9);
  std::vector<int32_t> scores(n * nc);
  std::vector<uint8_t> pred(n);
  bnn_port *port = nullptr;
  bnn_engine *e = nullptr;
  const bnn_infer_params ip = bnn_infer_default_params();
  ASSERT_EQ(bnn_host_port_create(&port, m), BNN_OK);
  ASSERT_EQ(bnn_engine_create(&e, m, port, &ip), BNN_OK);
  ASSERT_EQ(bnn_engine_run(e, images.data(), n, scores.data(), pred.data()), BNN_OK);
  size_t differs = 0;
  for (size_t i = 0; i < n; ++i) {
    const int32_t *s = &scores[i * nc];
    uint32_t best = 0, raw = 0;
    for (uint32_t k = 1; k < nc; ++k) {
      if (scale[k] * s[k] + offset[k] > scale[best] * s[best] + offset[best]) best = k;
      if (s[k] > s[raw]) raw = k;
    }
    EXPECT_EQ(pred[i], best) << "image " << i;
    EXPECT_EQ(bnn_model_predict_scores(m, s), best);
    differs += best != raw;
  }
  EXPECT_GT(differs, 0u) << "the affine never changed a prediction: the test proves nothing";
  bnn_engine_destroy(e);
  bnn_port_destroy(port);
  bnn_model_free(m);
}

TEST(OutputAffine, TiesGoToTheLowestClass) {
  bnn_model *m = conv_model();
  ASSERT_NE(m, nullptr);
  const std::vector<double> scale = {0, 0, 0, 0, 0}, offset = {1, 2, 2, 0, 2};
  ASSERT_EQ(bnn_model_set_output_affine(m, scale.data(), offset.data()), BNN_OK);
  const int32_t s[5] = {9, -3, 4, 100, 0};
  EXPECT_EQ(bnn_model_predict_scores(m, s), 1u);
  bnn_model_free(m);
}

TEST(OutputAffine, FileRoundTripAndVersions) {
  bnn_model *m = conv_model();
  ASSERT_NE(m, nullptr);
  const std::string p1 = tmp("v1.bnn"), p2 = tmp("v2.bnn"), p3 = tmp("v2b.bnn");
  ASSERT_EQ(bnn_model_save(m, p1.c_str()), BNN_OK);
  EXPECT_EQ(version_of(p1), 1u) << "no affine: still format version 1";
  const std::vector<double> scale = {0.1, 1e-300, -4.0, 3.0, 1.0 / 3};
  const std::vector<double> offset = {-0.0, 2.5, 1e300, -1.0, 7.0};
  ASSERT_EQ(bnn_model_set_output_affine(m, scale.data(), offset.data()), BNN_OK);
  ASSERT_EQ(bnn_model_save(m, p2.c_str()), BNN_OK);
  EXPECT_EQ(version_of(p2), 2u);
  bnn_model *l = nullptr;
  ASSERT_EQ(bnn_model_load(&l, p2.c_str()), BNN_OK) << bnn_errmsg();
  std::vector<double> s(5), o(5);
  ASSERT_EQ(bnn_model_output_affine(l, s.data(), o.data()), 1);
  for (int k = 0; k < 5; ++k) {
    EXPECT_EQ(std::memcmp(&s[k], &scale[k], 8), 0) << k;
    EXPECT_EQ(std::memcmp(&o[k], &offset[k], 8), 0) << k;
  }
  ASSERT_EQ(bnn_model_save(l, p3.c_str()), BNN_OK);
  EXPECT_EQ(slurp(p2), slurp(p3));
  // Removing it gives back the version-1 bytes.
  ASSERT_EQ(bnn_model_set_output_affine(l, nullptr, nullptr), BNN_OK);
  ASSERT_EQ(bnn_model_save(l, p3.c_str()), BNN_OK);
  EXPECT_EQ(slurp(p1), slurp(p3));
  // Every truncation of a version-2 file is an error, never a crash.
  const auto b = slurp(p2);
  for (size_t cut = 0; cut < b.size(); cut += (cut < 64 || b.size() - cut < 64) ? 1 : 97) {
    std::ofstream(p3, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char *>(b.data()), (std::streamsize)cut);
    bnn_model *t = nullptr;
    EXPECT_NE(bnn_model_load(&t, p3.c_str()), BNN_OK) << "cut at " << cut;
    EXPECT_EQ(t, nullptr);
  }
  bnn_model_free(l);
  bnn_model_free(m);
  std::remove(p1.c_str()), std::remove(p2.c_str()), std::remove(p3.c_str());
}

TEST(OutputAffine, Rejections) {
  bnn_model *m = nullptr;
  ASSERT_EQ(bnn_model_create(&m, 1, 2, 2), BNN_OK);
  const double one[2] = {1, 1}, bad[5] = {1, NAN, 1, 1, 1};
  EXPECT_EQ(bnn_model_set_output_affine(m, one, one), BNN_E_SHAPE) << "no output layer yet";
  bnn_model_free(m);
  m = conv_model();
  ASSERT_NE(m, nullptr);
  const double ok[5] = {1, 1, 1, 1, 1};
  EXPECT_EQ(bnn_model_set_output_affine(m, bad, ok), BNN_E_RANGE);
  EXPECT_NE(std::string(bnn_errmsg()).find("class 1"), std::string::npos) << bnn_errmsg();
  EXPECT_EQ(bnn_model_set_output_affine(m, ok, nullptr), BNN_E_ARG);
  EXPECT_EQ(bnn_model_output_affine(m, nullptr, nullptr), 0);
  bnn_model_free(m);
}
