// fixtures.hpp — what the libbet tests share: tiny synthetic data sets, small nets that fit them,
// scratch paths and whole-file byte I/O (random libbnn models live in workloads/bnn_testutil.h).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "bet/bet.h"
#include "bet/metric.h"
#include "bnn/bnn.h"
#include "bnn/data.h"
#include "bnn/rng.h"

namespace bettest {

// Which pixels are bright for class k of n_classes.
enum class Pattern {
  Bands,    // the rows of horizontal band k: y · n_classes / h == k
  Checker,  // pixel p (row-major, all channels alike) with (p + k) mod n_classes == 0
};

// How a synthetic data set looks. A bright pixel is on_lo + U[0, on_span), a dark one
// off_lo + U[0, off_span); the generator is stream `stream` of the seed's counter-based RNG. The
// defaults are the training tests' bands; other tests keep the levels their thresholds were set on.
struct SynthSpec {
  Pattern pattern = Pattern::Bands;
  int on_lo = 160, on_span = 90;
  int off_lo = 40, off_span = 90;
  uint64_t stream = 1;
  const char *name = "synthetic";
};

// n images of h × w × c (HWC), labels uniform over n_classes, then one draw per pixel in image
// order. Owns its buffers; `d` points into them (never pass it to bnn_dataset_free).
struct SynthData {
  std::vector<uint8_t> images, labels;
  bnn_dataset d{};
  SynthData(uint32_t n, uint32_t c, uint32_t h, uint32_t w, uint32_t n_classes, uint64_t seed,
            const SynthSpec &s = SynthSpec()) {
    images.resize((size_t)n * c * h * w);
    labels.resize(n);
    bnn_rng r = bnn_rng_make(seed, s.stream);
    uint8_t *px = images.data();
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t k = (uint32_t)bnn_rng_below(&r, n_classes);
      labels[i] = (uint8_t)k;
      for (uint32_t y = 0; y < h; ++y)
        for (uint32_t x = 0; x < w; ++x)
          for (uint32_t ch = 0; ch < c; ++ch) {
            const bool on = s.pattern == Pattern::Bands ? y * n_classes / h == k
                                                        : ((size_t)y * w + x + k) % n_classes == 0;
            *px++ = (uint8_t)(on ? s.on_lo + (int)bnn_rng_below(&r, (uint64_t)s.on_span)
                                 : s.off_lo + (int)bnn_rng_below(&r, (uint64_t)s.off_span));
          }
    }
    d.n = n;
    d.c = c;
    d.h = h;
    d.w = w;
    d.n_classes = n_classes;
    d.images = images.data();
    d.labels = labels.data();
    std::snprintf(d.name, sizeof d.name, "%s", s.name);
  }
  SynthData(const SynthData &) = delete;
  SynthData &operator=(const SynthData &) = delete;
};

// A freshly initialised net of architecture `a` for d's image shape and classes; nullptr (with a
// test failure naming libbet's message) if libbet refuses it.
inline bet_net *make_net(const bet_arch &a, const bnn_dataset &d, uint64_t seed) {
  bet_net *net = nullptr;
  EXPECT_EQ(bet_net_create(&net, &a, d.c, d.h, d.w, d.n_classes, seed), BNN_OK) << bnn_errmsg();
  return net;
}

// The same from an architecture string ("16-8-2", "vgg3", ...).
inline bet_net *make_net(const char *arch, const bnn_dataset &d, uint64_t seed) {
  bet_arch a;
  if (bet_arch_parse(arch, d.n_classes, &a) != BNN_OK) {
    ADD_FAILURE() << arch << ": " << bnn_errmsg();
    return nullptr;
  }
  return make_net(a, d, seed);
}

// `epochs` training epochs; a fatal failure on the first refused one (wrap the call in
// ASSERT_NO_FATAL_FAILURE to stop the test there).
inline void train_epochs(bet_net *net, const bnn_dataset &d, const bet_train_params &p,
                         int epochs) {
  for (int e = 0; e < epochs; ++e)
    ASSERT_EQ(bet_train_epoch(net, &d, &p, nullptr, nullptr, nullptr), BNN_OK)
        << "epoch " << e << ": " << bnn_errmsg();
}

// The engine's integer scores (n × classes) and predictions for every image of d on model m, with
// the given kernel on 2 threads (a fatal failure on any refusal).
inline void engine_run(const bnn_model *m, const bnn_dataset &d, bnn_kernel kernel,
                       std::vector<int32_t> &scores, std::vector<uint8_t> &pred) {
  scores.assign((size_t)d.n * d.n_classes, 0);
  pred.assign(d.n, 0);
  bnn_port *port = nullptr;
  ASSERT_EQ(bnn_host_port_create(&port, m), BNN_OK) << bnn_errmsg();
  bnn_infer_params ip = bnn_infer_default_params();
  ip.threads = 2;
  ip.kernel = kernel;
  bnn_engine *e = nullptr;
  ASSERT_EQ(bnn_engine_create(&e, m, port, &ip), BNN_OK) << bnn_errmsg();
  ASSERT_EQ(bnn_engine_run(e, d.images, d.n, scores.data(), pred.data()), BNN_OK) << bnn_errmsg();
  bnn_engine_destroy(e);
  bnn_port_destroy(port);
}

// The fast prediction (bet_predict_accuracy) against its reference twin
// (bet_predict_accuracy_ref) on model m and data d at `bers`, stratified mean on and off: within
// 1e-4 (the table CDF's error is ≤ 5e-7 per neuron, float stratum means ~1e-7 relative) and
// bit-identical for 1 and 3 threads; `tag` names the case in failures.
inline void expect_fast_prediction_equals_reference(const bnn_model *m, const bnn_dataset &d,
                                                    const std::vector<double> &bers,
                                                    const std::string &tag) {
  for (int strat : {1, 0}) {
    std::vector<double> ref(bers.size()), fast1(bers.size()), fast3(bers.size());
    bet_predict_params pp = bet_predict_default_params();
    EXPECT_EQ(pp.stratified_mean, 1);
    pp.stratified_mean = strat;
    ASSERT_EQ(bet_predict_accuracy_ref(m, &d, bers.data(), bers.size(), &pp, ref.data()), BNN_OK);
    ASSERT_EQ(bet_predict_accuracy(m, &d, bers.data(), bers.size(), &pp, fast1.data()), BNN_OK);
    pp.threads = 3;
    ASSERT_EQ(bet_predict_accuracy(m, &d, bers.data(), bers.size(), &pp, fast3.data()), BNN_OK);
    for (size_t b = 0; b < bers.size(); ++b) {
      EXPECT_NEAR(fast1[b], ref[b], 1e-4) << tag << " strat " << strat << " ber " << bers[b];
      EXPECT_EQ(fast1[b], fast3[b]) << tag << " strat " << strat << " ber " << bers[b];
    }
  }
}

// The margin metric's hand-worked case (docs/metrics.md): a 1×2-pixel → 2 → 2 → 3 net, and its
// three images (30, 40), (255, 0), (0, 0) in kHandPixels (labels all 0). nullptr (with a test
// failure) if libbnn refuses it.
inline constexpr uint8_t kHandPixels[6] = {30, 40, 255, 0, 0, 0};
inline bnn_model *hand_margin_model() {
  bnn_model *m = nullptr;
  const int8_t w0[4] = {1, 1, 1, -1}, w1[4] = {1, 1, 1, -1}, w2[6] = {1, 1, 1, -1, -1, -1};
  const int32_t t0[2] = {100, 0}, t1[2] = {0, 1};
  const int8_t d0[2] = {1, 1}, d1[2] = {1, -1};
  if (bnn_model_create(&m, 1, 1, 2) != BNN_OK || bnn_model_add_dense(m, 2, w0, t0, d0) != BNN_OK ||
      bnn_model_add_dense(m, 2, w1, t1, d1) != BNN_OK ||
      bnn_model_add_dense(m, 3, w2, nullptr, nullptr) != BNN_OK) {
    ADD_FAILURE() << bnn_errmsg();
    bnn_model_free(m);
    return nullptr;
  }
  return m;
}

// A per-process path in the test temp dir (ctest -j runs do not collide): <tmp>/bet_<name>_<pid>.
inline std::string tmp_path(const std::string &name) {
  return std::string(::testing::TempDir()) + "/bet_" + name + "_" +
         std::to_string((long)::getpid());
}

inline std::vector<char> read_bytes(const std::string &path) {
  std::vector<char> b;
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f) {
    ADD_FAILURE() << "cannot open " << path;
    return b;
  }
  int ch;
  while ((ch = std::fgetc(f)) != EOF) b.push_back((char)ch);
  std::fclose(f);
  return b;
}

inline void write_bytes(const std::string &path, const std::vector<char> &b) {
  FILE *f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  EXPECT_EQ(std::fwrite(b.data(), 1, b.size(), f), b.size()) << path;
  EXPECT_EQ(std::fclose(f), 0) << path;
}

// Byte offset of the training parameters' end in a checkpoint of a 3-weight-layer net before
// version 2's fields (the layout is in models/src/checkpoint.c): magic, version, arch name,
// n_layers, 3 layer records, shape, seed, step, epoch, bn_eps, then the version-1 parameters.
inline constexpr size_t kCkptV1ParamsEnd3 =
    8 + 4 + 64 + 4 + 12 * 3 + 16 + 8 + 8 + 4 + 8 + 5 * 4 + 6 * 8 + 2 * 8 + 4 + 4;

// Replaces a checkpoint's trailing CRC-32 (zlib's polynomial) by that of the bytes before it, after
// a test edited them.
inline void fix_checkpoint_crc(std::vector<char> &b) {
  b.resize(b.size() - 4);
  uint32_t c = 0xFFFFFFFFu;
  for (char x : b) {
    c ^= (uint8_t)x;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  c = ~c;
  for (int i = 0; i < 4; ++i) b.push_back((char)(c >> (8 * i)));
}

}  // namespace bettest
