// test_input_offset.cpp — the input offset (model format version 3): a net trained on
// x = (p − q_c)/s has first-layer pre-activation s·z_j = a_j − Σ_c q_c·S_jc, and the engine takes
// S_jc from the weights it actually fetched. Checked against a reference twin that evaluates the
// rule in 64-bit integers on a given weight image (clean, or the error port's faulty copy): every
// kernel and thread count, write faults in layer 0 and everywhere, several channels with their
// own offsets, Monte-Carlo sweeps against hand-run reps, the file round trip, damaged files and
// the builder's refusals. The faulty case also shows that thresholds folded from the clean weights
// (the scheme before format version 3) decide differently: this test fails on it.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "bnn/bnn.h"
#include "bnn/mc.h"
#include "bnn/rng.h"
#include "bnn_testutil.h"

namespace {

struct Offset {
  uint32_t shift;
  std::vector<int64_t> num;  // per input channel
};

// A dense model (first layer hidden) with an input offset and random first-layer thresholds T_j
// spread around v = 0, where random pixels put it on average (v ≈ 2^k·(127.5 − q)·S).
bnn_model *offset_model(uint32_t c, uint32_t h, uint32_t w, const std::vector<uint32_t> &dense,
                        const Offset &off, uint64_t seed) {
  std::vector<bnntest::LayerSpec> spec;
  for (uint32_t n : dense) spec.push_back({'d', n});
  bnn_model *m = bnntest::random_model(c, h, w, spec, seed);
  if (!m) return nullptr;
  bnn_layer_info I;
  bnn_model_layer(m, 0, &I);
  bnn_rng r = bnn_rng_make(seed, 7);
  std::vector<int64_t> t(I.out_c);
  const int64_t spread = ((int64_t)1 << off.shift) * 40 * 16;  // ~ a few σ of 2^k·a at fan-in 36..
  for (auto &v : t) v = (int64_t)bnn_rng_below(&r, (uint64_t)(2 * spread + 1)) - spread;
  if (bnn_model_set_input_offset(m, off.shift, off.num.data(), t.data()) != BNN_OK) {
    ADD_FAILURE() << bnn_errmsg();
    bnn_model_free(m);
    return nullptr;
  }
  return m;
}

int wbit(const std::vector<uint8_t> &img, const bnn_layer_info &I, uint32_t o, uint32_t i) {
  return (img[I.weight_addr + (uint64_t)o * I.row_bytes + i / 8] >> (i % 8)) & 1 ? -1 : 1;
}

// Reference twin: the rule of bnn_model_set_input_offset on weight image `img` (dense layers
// only), one image, in int64: layer 0 compares v = 2^k·Σ w·p − Σ_c N_c·S_c (S_c from img) with
// T_j; later layers a = Σ w·x with their thresholds. `folded`: layer 0 uses the model's int32
// thresholds instead (S from the clean weights, the pre-version-3 scheme). Returns the scores.
std::vector<int32_t> reference(const bnn_model *m, const std::vector<uint8_t> &img,
                               const uint8_t *pixels, bool folded = false) {
  uint32_t C, H, W;
  bnn_model_input_shape(m, &C, &H, &W);
  uint32_t shift = 0;
  bnn_layer_info I0;
  bnn_model_layer(m, 0, &I0);
  std::vector<int64_t> num(C), T(I0.out_c);
  bnn_model_input_offset(m, &shift, num.data(), T.data());
  // Neuron o of layer I on input values x: a = Σ w·x and the per-channel weight sums S_c.
  auto neuron = [&](const bnn_layer_info &I, uint32_t o, const std::vector<int64_t> &x,
                    std::vector<int64_t> &S) {
    int64_t a = 0;
    S.assign(C, 0);
    for (uint32_t i = 0; i < I.fan_in; ++i) {
      const int wv = wbit(img, I, o, i);
      a += wv * x[i];
      S[i % C] += wv;
    }
    return a;
  };
  std::vector<int64_t> act(pixels, pixels + (size_t)C * H * W), S;
  for (uint32_t l = 0;; ++l) {
    bnn_layer_info I;
    if (bnn_model_layer(m, l, &I) != BNN_OK) return {};
    std::vector<int64_t> next(I.out_c);
    for (uint32_t o = 0; o < I.out_c; ++o) {
      const int64_t a = neuron(I, o, act, S);
      int32_t t = 0;
      int8_t d = 1;
      if (!I.is_output) bnn_model_threshold(m, l, o, &t, &d);
      if (I.is_output) {
        next[o] = a;
      } else if (l == 0 && !folded) {
        int64_t v = ((int64_t)1 << shift) * a;
        for (uint32_t c = 0; c < C; ++c) v -= num[c] * S[c];
        next[o] = (d > 0 ? v >= T[o] : v <= T[o]) ? 1 : -1;
      } else {
        next[o] = (d > 0 ? a >= t : a <= t) ? 1 : -1;
      }
    }
    if (I.is_output) return std::vector<int32_t>(next.begin(), next.end());
    act.swap(next);
  }
}

std::vector<uint8_t> model_image(const bnn_model *m) {
  uint64_t n = 0;
  const uint8_t *p = bnn_model_weight_image(m, &n);
  return std::vector<uint8_t>(p, p + n);
}

std::vector<uint8_t> port_image(bnn_port *p, uint64_t n) {
  std::vector<uint8_t> v(n);
  EXPECT_EQ(bnn_port_read(p, 0, v.data(), n), BNN_OK);
  return v;
}

std::vector<int32_t> reference_all(const bnn_model *m, const std::vector<uint8_t> &img,
                                   const std::vector<uint8_t> &images, size_t n,
                                   bool folded = false) {
  uint32_t c, h, w;
  bnn_model_input_shape(m, &c, &h, &w);
  std::vector<int32_t> s;
  for (size_t i = 0; i < n; ++i) {
    auto r = reference(m, img, images.data() + i * c * h * w, folded);
    s.insert(s.end(), r.begin(), r.end());
  }
  return s;
}

const Offset kPm1{1, {255}};  // q = 127.5: x = 2p/255 − 1

std::string tmp(const std::string &name) {
  return bnntest::tmp_file("test_ioff_", name);
}

std::vector<uint8_t> slurp(const std::string &p) {
  return bnntest::file_bytes(p);
}

}  // namespace

TEST(InputOffset, CleanEngineEqualsReferenceOnEveryKernelAndThreadCount) {
  for (const Offset &off : {kPm1, Offset{26, {(int64_t)(0.1307 * (1 << 26) * 255)}}}) {
    bnn_model *m = offset_model(1, 7, 9, {70, 33, 10}, off, 5);
    ASSERT_NE(m, nullptr);
    const size_t n = 300;
    auto images = bnntest::random_images(m, n, 3);
    const auto ref = reference_all(m, model_image(m), images, n);
    // The model's own int32 layer-0 thresholds are those of its clean weights: the naive pass
    // that reads them (bnn_model_threshold) agrees too.
    for (size_t i = 0; i < n; ++i) {
      auto s = bnntest::naive_scores(m, images.data() + i * 63);
      ASSERT_EQ(std::vector<int32_t>(ref.begin() + i * 10, ref.begin() + (i + 1) * 10), s) << i;
    }
    bnn_port *port = nullptr;
    ASSERT_EQ(bnn_host_port_create(&port, m), BNN_OK);
    for (int k : {(int)BNN_KERNEL_REF, (int)BNN_KERNEL_AUTO})
      for (int th : {1, 3})
        for (uint32_t reuse : {0u, 7u})
          EXPECT_EQ(bnntest::run(m, port, images, n, th, (bnn_kernel)k, reuse), ref)
              << "kernel " << k << " threads " << th << " reuse " << reuse;
    bnn_port_destroy(port);
    bnn_model_free(m);
  }
}

TEST(InputOffset, FaultyWeightsMoveTheOffsetTermExactly) {
  bnn_model *m = offset_model(1, 6, 6, {64, 40, 7}, kPm1, 21);
  ASSERT_NE(m, nullptr);
  const size_t n = 400;
  auto images = bnntest::random_images(m, n, 4);
  uint64_t wsize = 0;
  bnn_model_weight_image(m, &wsize);
  size_t folded_differs = 0;
  for (uint64_t mask : {1ull, ~0ull})
    for (double ber : {0.01, 0.1, 0.3})
      for (uint64_t rep = 0; rep < 3; ++rep) {
        bnn_error_params ep = bnn_error_default_params();
        ep.write_p01 = ep.write_p10 = ber;
        ep.seed = 77;
        ep.layer_mask = mask;
        bnn_port *port = nullptr;
        ASSERT_EQ(bnn_error_port_create(&port, m, &ep, rep), BNN_OK);
        const auto img = port_image(port, wsize);  // the persistent (write) faults
        ASSERT_NE(img, model_image(m));
        const auto ref = reference_all(m, img, images, n);
        for (int k : {(int)BNN_KERNEL_REF, (int)BNN_KERNEL_AUTO})
          for (int th : {1, 2})
            ASSERT_EQ(bnntest::run(m, port, images, n, th, (bnn_kernel)k), ref)
                << "mask " << mask << " ber " << ber << " rep " << rep << " kernel " << k
                << " threads " << th;
        const auto folded = reference_all(m, img, images, n, true);
        for (size_t i = 0; i < ref.size(); ++i) folded_differs += folded[i] != ref[i];
        bnn_port_destroy(port);
      }
  // Clean-folded thresholds are a different fault model: they must disagree somewhere.
  EXPECT_GT(folded_differs, 0u);
  bnn_model_free(m);
}

TEST(InputOffset, PerChannelOffsetsUseEachChannelsWeightSum) {
  // Three channels, HWC flatten (input i is channel i % 3), each with its own offset (a
  // normalisation's 255·M_c, here on a 2^-20 grid).
  const Offset off{20,
                   {(int64_t)(0.4914 * 255 * (1 << 20)), (int64_t)(0.4822 * 255 * (1 << 20)),
                    (int64_t)(0.4465 * 255 * (1 << 20))}};
  bnn_model *m = offset_model(3, 4, 5, {50, 6}, off, 8);
  ASSERT_NE(m, nullptr);
  const size_t n = 200;
  auto images = bnntest::random_images(m, n, 9);
  uint64_t wsize = 0;
  bnn_model_weight_image(m, &wsize);
  bnn_error_params ep = bnn_error_default_params();
  ep.write_p01 = ep.write_p10 = 0.08;
  ep.layer_mask = 1;
  for (uint64_t rep = 0; rep < 3; ++rep) {
    bnn_port *port = nullptr;
    ASSERT_EQ(bnn_error_port_create(&port, m, &ep, rep), BNN_OK);
    const auto ref = reference_all(m, port_image(port, wsize), images, n);
    for (int k : {(int)BNN_KERNEL_REF, (int)BNN_KERNEL_AUTO})
      EXPECT_EQ(bnntest::run(m, port, images, n, 2, (bnn_kernel)k), ref) << rep << " " << k;
    bnn_port_destroy(port);
  }
  bnn_model_free(m);
}

TEST(InputOffset, MonteCarloEqualsHandRunRepsAndThreadCountsAgree) {
  bnntest::SelfLabelled s(1, 6, 6, {{'d', 48}, {'d', 24}, {'d', 5}}, 31, 300, 6);
  ASSERT_NE(s.m, nullptr);
  bnn_layer_info I;
  bnn_model_layer(s.m, 0, &I);
  std::vector<int64_t> t(I.out_c);
  bnn_rng r = bnn_rng_make(3, 3);
  for (auto &v : t) v = (int64_t)bnn_rng_below(&r, 4001) - 2000;
  const int64_t num = 255;
  ASSERT_EQ(bnn_model_set_input_offset(s.m, 1, &num, t.data()), BNN_OK);
  uint64_t wsize = 0;
  bnn_model_weight_image(s.m, &wsize);
  const double bers[] = {0.0, 0.05, 0.2};
  bnn_mc_params mp = bnn_mc_default_params();
  mp.reps = 3;
  mp.seed = 12;
  std::vector<bnn_mc_stats> st1(3), st2(3);
  std::vector<double> rep1(9), rep2(9);
  mp.infer.threads = 1;
  ASSERT_EQ(
      bnn_mc_sweep(s.m, &s.ds, bers, 3, &mp, nullptr, nullptr, st1.data(), rep1.data(), nullptr),
      BNN_OK);
  mp.infer.threads = 3;
  ASSERT_EQ(
      bnn_mc_sweep(s.m, &s.ds, bers, 3, &mp, nullptr, nullptr, st2.data(), rep2.data(), nullptr),
      BNN_OK);
  EXPECT_EQ(rep1, rep2);
  for (size_t b = 0; b < 3; ++b)
    for (uint64_t rep = 0; rep < 3; ++rep) {
      std::vector<uint8_t> img = model_image(s.m);
      if (bers[b] > 0) {
        bnn_error_params ep = bnn_error_default_params();
        ep.write_p01 = ep.write_p10 = bers[b];
        ep.seed = 12;
        bnn_port *port = nullptr;
        ASSERT_EQ(bnn_error_port_create(&port, s.m, &ep, rep), BNN_OK);
        img = port_image(port, wsize);
        bnn_port_destroy(port);
      }
      const auto sc = reference_all(s.m, img, s.images, s.ds.n);
      uint32_t correct = 0;
      for (uint32_t i = 0; i < s.ds.n; ++i)
        correct += (uint32_t)bnntest::argmax(&sc[(size_t)i * 5], 5) == s.labels[i];
      EXPECT_DOUBLE_EQ(rep1[b * 3 + rep], (double)correct / s.ds.n) << "ber " << bers[b];
    }
}

TEST(InputOffset, FileRoundTripIsVersion3AndExact) {
  bnn_model *m = offset_model(3, 2, 3, {20, 4}, Offset{3, {1020, -7, 0}}, 2);
  ASSERT_NE(m, nullptr);
  const double sc[4] = {1.0, 2.0, 0.5, 1.5}, of[4] = {0.0, -1.0, 3.0, 0.25};
  for (bool affine : {false, true}) {
    if (affine) {
      ASSERT_EQ(bnn_model_set_output_affine(m, sc, of), BNN_OK);
    }
    const std::string p = tmp("rt.bnn"), q = tmp("rt2.bnn");
    ASSERT_EQ(bnn_model_save(m, p.c_str()), BNN_OK) << bnn_errmsg();
    const auto bytes = slurp(p);
    ASSERT_GT(bytes.size(), 12u);
    EXPECT_EQ(bytes[8], 3);
    EXPECT_EQ(bytes[12], 6);
    bnn_model *l = nullptr;
    ASSERT_EQ(bnn_model_load(&l, p.c_str()), BNN_OK) << bnn_errmsg();
    uint32_t s1 = 0, s2 = 0;
    std::vector<int64_t> n1(3), n2(3), t1(20), t2(20);
    ASSERT_EQ(bnn_model_input_offset(m, &s1, n1.data(), t1.data()), 1);
    ASSERT_EQ(bnn_model_input_offset(l, &s2, n2.data(), t2.data()), 1);
    EXPECT_EQ(s1, s2);
    EXPECT_EQ(n1, n2);
    EXPECT_EQ(t1, t2);
    EXPECT_EQ(bnn_model_output_affine(l, nullptr, nullptr), affine ? 1 : 0);
    ASSERT_EQ(bnn_model_save(l, q.c_str()), BNN_OK);
    EXPECT_EQ(slurp(q), bytes);
    bnn_model_free(l);
    std::remove(p.c_str());
    std::remove(q.c_str());
  }
  // Removing the offset writes the older versions again.
  ASSERT_EQ(bnn_model_set_input_offset(m, 0, nullptr, nullptr), BNN_OK);
  EXPECT_EQ(bnn_model_input_offset(m, nullptr, nullptr, nullptr), 0);
  const std::string p = tmp("v2.bnn");
  ASSERT_EQ(bnn_model_save(m, p.c_str()), BNN_OK);
  EXPECT_EQ(slurp(p)[8], 2);
  std::remove(p.c_str());
  bnn_model_free(m);
}

TEST(InputOffset, DamagedVersion3FilesAreRefused) {
  bnn_model *m = offset_model(1, 3, 3, {12, 3}, kPm1, 4);
  ASSERT_NE(m, nullptr);
  const std::string p = tmp("bad.bnn");
  ASSERT_EQ(bnn_model_save(m, p.c_str()), BNN_OK);
  const auto good = slurp(p);
  // Section offsets: header 24, then 6 sections of 16 + L + 4 bytes.
  std::vector<std::pair<size_t, size_t>> sec;
  size_t pos = 24;
  for (int i = 0; i < 6; ++i) {
    size_t len = 0;
    for (int b = 0; b < 8; ++b) len |= (size_t)good[pos + 8 + b] << (8 * b);
    sec.push_back({pos + 16, len});
    pos += 16 + len + 4;
  }
  ASSERT_EQ(pos, good.size());
  auto fix = [](std::vector<uint8_t> &b, std::pair<size_t, size_t> s) {
    uint32_t c = (uint32_t)crc32(0, b.data() + s.first, (uInt)s.second);
    for (int i = 0; i < 4; ++i) b[s.first + s.second + i] = (uint8_t)(c >> (8 * i));
  };
  auto refused = [&](std::vector<uint8_t> b, const char *want) {
    {
      std::ofstream f(p, std::ios::binary | std::ios::trunc);
      f.write(reinterpret_cast<const char *>(b.data()), (std::streamsize)b.size());
    }
    bnn_model *l = nullptr;
    EXPECT_NE(bnn_model_load(&l, p.c_str()), BNN_OK) << want;
    EXPECT_NE(std::string(bnn_errmsg()).find(want), std::string::npos) << bnn_errmsg();
    bnn_model_free(l);
  };
  {  // a first-layer threshold in THRS that the offset rule does not give
    auto b = good;
    b[sec[1].first] ^= 1;  // neuron 0's threshold, low byte
    fix(b, sec[1]);
    refused(b, "the input offset (IOFF) gives");
  }
  {  // IOFF claims two channels
    auto b = good;
    b[sec[5].first + 4] = 2;
    fix(b, sec[5]);
    refused(b, "section IOFF: 2 channels");
  }
  {  // a shift that overflows
    auto b = good;
    b[sec[5].first] = 60;
    fix(b, sec[5]);
    refused(b, "overflows 64-bit arithmetic");
  }
  std::remove(p.c_str());
  bnn_model_free(m);
}

TEST(InputOffset, BuilderRefusesWhatItCannotComputeExactly) {
  const int64_t num = 255, t[8] = {0};
  bnn_model *conv = bnntest::random_model(1, 4, 4, {{'c', 8}, {'d', 3}}, 1);
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(bnn_model_set_input_offset(conv, 1, &num, t), BNN_E_SHAPE);
  EXPECT_NE(std::string(bnn_errmsg()).find("hidden dense layer"), std::string::npos);
  bnn_model_free(conv);
  bnn_model *lin = bnntest::random_model(1, 4, 4, {{'d', 3}}, 1);  // first layer = output
  ASSERT_NE(lin, nullptr);
  EXPECT_EQ(bnn_model_set_input_offset(lin, 1, &num, t), BNN_E_SHAPE);
  bnn_model_free(lin);
  bnn_model *m = bnntest::random_model(1, 4, 4, {{'d', 8}, {'d', 3}}, 1);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(bnn_model_set_input_offset(m, 50, &num, t), BNN_E_RANGE);
  const int64_t huge = (int64_t)1 << 60;
  EXPECT_EQ(bnn_model_set_input_offset(m, 1, &huge, t), BNN_E_RANGE);
  EXPECT_EQ(bnn_model_set_input_offset(m, 1, &num, nullptr), BNN_E_ARG);
  EXPECT_EQ(bnn_model_input_offset(m, nullptr, nullptr, nullptr), 0);
  bnn_model_free(m);
}
