// test_engine.cpp — inference: engine vs a naive forward pass, kernels, threads, ports,
// determinism.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "bnn/bnn.h"
#include "bnn_testutil.h"

using namespace bnntest;

namespace {

std::vector<bnn_kernel> kernels() {
  std::vector<bnn_kernel> k;
  for (int i = BNN_KERNEL_REF; i < BNN_KERNEL_COUNT; ++i)
    if (bnn_kernel_available((bnn_kernel)i)) k.push_back((bnn_kernel)i);
  return k;
}

struct ModelDel {
  void operator()(bnn_model *m) const { bnn_model_free(m); }
};
struct PortDel {
  void operator()(bnn_port *p) const { bnn_port_destroy(p); }
};
using ModelPtr = std::unique_ptr<bnn_model, ModelDel>;
using PortPtr = std::unique_ptr<bnn_port, PortDel>;

PortPtr host(const bnn_model *m) {
  bnn_port *p = nullptr;
  EXPECT_EQ(bnn_host_port_create(&p, m), BNN_OK);
  return PortPtr(p);
}

PortPtr error_port(const bnn_model *m, const bnn_error_params &ep, uint64_t rep) {
  bnn_port *p = nullptr;
  EXPECT_EQ(bnn_error_port_create(&p, m, &ep, rep), BNN_OK) << bnn_errmsg();
  return PortPtr(p);
}

// The first `size` bytes of the weight image as the port returns them (empty if the read fails).
std::vector<uint8_t> read_image(bnn_port *p, uint64_t size) {
  if (!p) return {};
  std::vector<uint8_t> v(size);
  const bnn_status s = bnn_port_read(p, 0, v.data(), size);
  EXPECT_EQ(s, BNN_OK) << bnn_errmsg();
  if (s != BNN_OK) v.clear();
  return v;
}

struct Net {
  const char *name;
  uint32_t c, h, w;
  std::vector<LayerSpec> spec;
};

// Small nets covering: dense-only with odd widths, u8 conv first, binary conv with C not a
// multiple of 64 and with C = 64, pooling of odd sizes, dense after conv/pool (flatten).
std::vector<Net> nets() {
  return {
      {"fc_odd", 1, 7, 9, {{'d', 70}, {'d', 65}, {'d', 10}}},
      {"fc_wide", 1, 28, 28, {{'d', 130}, {'d', 10}}},
      {"conv_small", 1, 7, 6, {{'c', 5}, {'c', 3}, {'p', 0}, {'d', 10}}},
      {"conv_rgb",
       3,
       9,
       8,
       {{'c', 64}, {'c', 64}, {'p', 0}, {'c', 70}, {'p', 0}, {'d', 33}, {'d', 7}}},
      {"conv_u8_dense", 2, 5, 5, {{'c', 3}, {'p', 0}, {'d', 5}}},
      {"conv_line", 2, 1, 5, {{'c', 4}, {'c', 66}, {'d', 3}}},
      {"conv_column", 1, 4, 1, {{'c', 3}, {'d', 2}}},
      {"vgg_like", 1, 8, 8, {{'c', 64}, {'p', 0}, {'c', 64}, {'p', 0}, {'d', 20}, {'d', 10}}},
  };
}

}  // namespace

TEST(Engine, MatchesNaiveForwardOnEveryKernel) {
  for (const Net &net : nets()) {
    ModelPtr m(random_model(net.c, net.h, net.w, net.spec, 11));
    ASSERT_TRUE(m) << net.name << ": " << bnn_errmsg();
    const size_t n = 9;
    auto imgs = random_images(m.get(), n, 5);
    uint32_t k = bnn_model_n_classes(m.get());
    std::vector<int32_t> want;
    uint32_t c, h, w;
    bnn_model_input_shape(m.get(), &c, &h, &w);
    for (size_t i = 0; i < n; ++i) {
      auto s = naive_scores(m.get(), imgs.data() + i * c * h * w);
      want.insert(want.end(), s.begin(), s.end());
    }
    PortPtr p = host(m.get());
    for (bnn_kernel kk : kernels()) {
      std::vector<uint8_t> pred;
      auto got = run(m.get(), p.get(), imgs, n, 1, kk, 4, &pred);
      ASSERT_EQ(got, want) << net.name << " kernel " << bnn_kernel_str(kk);
      for (size_t i = 0; i < n; ++i) EXPECT_EQ(pred[i], argmax(&want[i * k], k));
    }
  }
}

TEST(Engine, ThresholdDirectionAndTies) {
  // One hidden neuron of fan-in 4 on pixels; a = Σ w·x with w = (+1, +1, −1, −1).
  bnn_model *m = nullptr;
  ASSERT_EQ(bnn_model_create(&m, 1, 1, 4), BNN_OK);
  ModelPtr mp(m);
  int8_t w1[8] = {1, 1, -1, -1, 1, 1, -1, -1};
  int32_t t[2] = {10, 10};
  int8_t d[2] = {1, -1};
  ASSERT_EQ(bnn_model_add_dense(m, 2, w1, t, d), BNN_OK);
  // Output: two classes with identical weights (+1, −1) → tied scores → class 0.
  int8_t w2[4] = {1, -1, 1, -1};
  ASSERT_EQ(bnn_model_add_dense(m, 2, w2, nullptr, nullptr), BNN_OK);
  PortPtr p = host(m);
  struct Case {
    uint8_t x[4];
    int h0, h1;  // expected hidden outputs
  } cases[] = {
      {{10, 0, 0, 0}, 1, 1},    // a = 10: ≥ 10 → +1; ≤ 10 → +1
      {{11, 0, 0, 0}, 1, -1},   // a = 11
      {{9, 0, 0, 0}, -1, 1},    // a = 9
      {{0, 0, 200, 0}, -1, 1},  // a = −200
  };
  for (auto &cs : cases) {
    std::vector<uint8_t> img(cs.x, cs.x + 4);
    for (bnn_kernel kk : kernels()) {
      auto s = run(m, p.get(), img, 1, 1, kk);
      ASSERT_EQ(s.size(), 2u);
      EXPECT_EQ(s[0], cs.h0 - cs.h1) << bnn_kernel_str(kk);
      EXPECT_EQ(s[1], cs.h0 - cs.h1);  // same weights: tied
    }
  }
  std::vector<uint8_t> img = {10, 0, 0, 0}, pred;
  auto s = run(m, p.get(), img, 1, 1, BNN_KERNEL_REF, 0, &pred);
  EXPECT_EQ(s[0], s[1]);
  EXPECT_EQ(pred[0], 0) << "ties go to the lowest class index";
}

TEST(Engine, DeterministicAcrossThreadsAndReuse) {
  ModelPtr m(random_model(3, 8, 8, {{'c', 16}, {'p', 0}, {'d', 130}, {'d', 10}}, 3));
  ASSERT_TRUE(m);
  const size_t n = 150;
  auto imgs = random_images(m.get(), n, 9);
  PortPtr p = host(m.get());
  auto base = run(m.get(), p.get(), imgs, n, 1, BNN_KERNEL_AUTO);
  ASSERT_FALSE(base.empty());
  EXPECT_EQ(run(m.get(), p.get(), imgs, n, 2, BNN_KERNEL_AUTO), base);
  EXPECT_EQ(run(m.get(), p.get(), imgs, n, 3, BNN_KERNEL_AUTO, 7), base);
  EXPECT_EQ(run(m.get(), p.get(), imgs, n, 2, BNN_KERNEL_REF, 1), base);
  // Read errors are keyed by (seed, address, access count): thread count cannot change them.
  bnn_error_params ep = bnn_error_default_params();
  ep.read_p01 = ep.read_p10 = 0.01;
  ep.write_p01 = 0.02;
  ep.seed = 77;
  bnn_port *e1 = nullptr, *e2 = nullptr;
  ASSERT_EQ(bnn_error_port_create(&e1, m.get(), &ep, 3), BNN_OK);
  ASSERT_EQ(bnn_error_port_create(&e2, m.get(), &ep, 3), BNN_OK);
  PortPtr g1(e1), g2(e2);
  auto a = run(m.get(), e1, imgs, n, 1, BNN_KERNEL_AUTO, 32);
  auto b = run(m.get(), e2, imgs, n, 2, BNN_KERNEL_REF, 32);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, base) << "errors at 1 % should change some score";
}

TEST(Engine, HostErrorFreeAndRefAgreeOnFcnn) {
  // The paper's FCNN shape, a few images: host port, error port at zero rates, ref kernel.
  ModelPtr m(random_model(1, 28, 28, {{'d', 2048}, {'d', 2048}, {'d', 10}}, 21));
  ASSERT_TRUE(m);
  const size_t n = 70;  // ≥ 2 threads × 32: the 2-thread run takes the chunk-parallel path
  auto imgs = random_images(m.get(), n, 1);
  PortPtr h = host(m.get());
  bnn_error_params ep = bnn_error_default_params();
  bnn_port *e = nullptr;
  ASSERT_EQ(bnn_error_port_create(&e, m.get(), &ep, 0), BNN_OK);
  PortPtr eg(e);
  std::vector<uint8_t> p1, p2, p3;
  auto s1 = run(m.get(), h.get(), imgs, n, 2, BNN_KERNEL_AUTO, 0, &p1);
  auto s2 = run(m.get(), e, imgs, n, 1, BNN_KERNEL_AUTO, 3, &p2);
  auto s3 = run(m.get(), h.get(), imgs, n, 1, BNN_KERNEL_REF, 0, &p3);
  ASSERT_FALSE(s1.empty());
  EXPECT_EQ(s1, s2);
  EXPECT_EQ(s1, s3);
  EXPECT_EQ(p1, p2);
  EXPECT_EQ(p1, p3);
}

TEST(Engine, EveryWeightBytePassesThroughThePort) {
  ModelPtr m(random_model(3, 6, 6, {{'c', 8}, {'c', 70}, {'p', 0}, {'d', 20}, {'d', 10}}, 4));
  ASSERT_TRUE(m);
  uint64_t size = 0;
  const uint8_t *img0 = bnn_model_weight_image(m.get(), &size);
  (void)img0;
  PortPtr h = host(m.get());
  auto imgs = random_images(m.get(), 10, 2);
  for (bool map_ok : {false, true}) {
    for (uint32_t reuse : {1u, 4u, 0u}) {
      CountingPort cp(h.get(), size, map_ok);
      auto s = run(m.get(), &cp.base, imgs, 10, 2, BNN_KERNEL_AUTO, reuse);
      ASSERT_FALSE(s.empty());
      uint32_t blocks = reuse == 0 ? 1 : (10 + reuse - 1) / reuse;
      for (uint64_t i = 0; i < size; ++i)
        ASSERT_EQ(cp.reads[i], blocks) << "byte " << i << " map " << map_ok << " reuse " << reuse;
    }
  }
  // Reads only (no map): the engine must not touch the model's image directly. Corrupting what the
  // port returns must change the result.
  struct Flipper {
    bnn_port base;
    bnn_port *inner;
    static bnn_status read(bnn_port *p, uint64_t a, void *d, size_t n) {
      bnn_status st = bnn_port_read(reinterpret_cast<Flipper *>(p)->inner, a, d, n);
      auto *b = static_cast<uint8_t *>(d);
      for (size_t i = 0; i < n; ++i) b[i] = (uint8_t)~b[i];
      return st;
    }
  };
  static const bnn_port_vtbl fv = {Flipper::read, nullptr, nullptr, nullptr};
  Flipper f{{&fv}, h.get()};
  auto clean = run(m.get(), h.get(), imgs, 10, 1, BNN_KERNEL_AUTO);
  auto flipped = run(m.get(), &f.base, imgs, 10, 1, BNN_KERNEL_AUTO);
  ASSERT_FALSE(flipped.empty());
  EXPECT_NE(clean, flipped);
}

TEST(Engine, PaddingBitsFromThePortAreIgnored) {
  // A port that sets every padding bit in what it returns: the engine clears them, so the result
  // equals the clean one (padding holds no weight).
  ModelPtr m(random_model(1, 5, 7, {{'d', 40}, {'d', 10}}, 8));  // fan-ins 35 and 40
  ASSERT_TRUE(m);
  PortPtr h = host(m.get());
  struct Dirty {
    bnn_port base;
    bnn_port *inner;
    const bnn_model *m;
    static bnn_status read(bnn_port *p, uint64_t a, void *d, size_t n) {
      auto *self = reinterpret_cast<Dirty *>(p);
      bnn_status st = bnn_port_read(self->inner, a, d, n);
      for (uint32_t l = 0; l < bnn_model_n_layers(self->m); ++l) {
        bnn_layer_info I;
        bnn_model_layer(self->m, l, &I);
        if (I.weight_addr != a) continue;
        for (uint32_t o = 0; o < I.out_c; ++o)
          for (uint64_t b = I.fan_in; b < I.row_bytes * 8; ++b)
            static_cast<uint8_t *>(d)[o * I.row_bytes + b / 8] |= (uint8_t)(1u << (b % 8));
      }
      return st;
    }
  };
  static const bnn_port_vtbl dv = {Dirty::read, nullptr, nullptr, nullptr};
  Dirty dp{{&dv}, h.get(), m.get()};
  auto imgs = random_images(m.get(), 6, 3);
  for (bnn_kernel kk : kernels())
    EXPECT_EQ(run(m.get(), &dp.base, imgs, 6, 1, kk), run(m.get(), h.get(), imgs, 6, 1, kk));
}

TEST(Engine, RejectsBadParams) {
  ModelPtr m(random_model(1, 4, 4, {{'d', 8}, {'d', 3}}, 1));
  PortPtr h = host(m.get());
  bnn_infer_params p = bnn_infer_default_params();
  bnn_engine *e = nullptr;
  p.threads = 0;
  EXPECT_EQ(bnn_engine_create(&e, m.get(), h.get(), &p), BNN_E_RANGE);
  EXPECT_NE(std::string(bnn_errmsg()).find("threads"), std::string::npos);
  p.threads = 100000;
  EXPECT_EQ(bnn_engine_create(&e, m.get(), h.get(), &p), BNN_E_RANGE);
  p.threads = 1;
  p.kernel = (bnn_kernel)99;
  EXPECT_EQ(bnn_engine_create(&e, m.get(), h.get(), &p), BNN_E_ARG);
  EXPECT_EQ(e, nullptr);
  bnn_model *inc = nullptr;
  ASSERT_EQ(bnn_model_create(&inc, 1, 2, 2), BNN_OK);
  p.kernel = BNN_KERNEL_AUTO;
  EXPECT_EQ(bnn_engine_create(&e, inc, h.get(), &p), BNN_E_SHAPE);
  bnn_model_free(inc);
}

TEST(ErrorPort, FlipRatesWithinBinomialBounds) {
  ModelPtr m(random_model(1, 28, 28, {{'d', 512}, {'d', 300}, {'d', 10}}, 5));
  ASSERT_TRUE(m);
  bnn_error_params ep = bnn_error_default_params();
  ep.write_p01 = 0.01;
  ep.write_p10 = 0.03;
  ep.seed = 12;
  PortPtr p = error_port(m.get(), ep, 0);
  ASSERT_TRUE(p);
  uint64_t size;
  const uint8_t *orig = bnn_model_weight_image(m.get(), &size);
  const std::vector<uint8_t> got = read_image(p.get(), size);
  ASSERT_EQ(got.size(), size);
  // Count 0→1 and 1→0 changes over weight bits; padding bits must stay 0.
  uint64_t n0 = 0, n1 = 0, f01 = 0, f10 = 0;
  for (uint32_t l = 0; l < bnn_model_n_layers(m.get()); ++l) {
    bnn_layer_info I;
    bnn_model_layer(m.get(), l, &I);
    for (uint32_t o = 0; o < I.out_c; ++o)
      for (uint64_t b = 0; b < I.row_bytes * 8; ++b) {
        uint64_t byte = I.weight_addr + o * I.row_bytes + b / 8;
        int was = orig[byte] >> (b % 8) & 1, is = got[byte] >> (b % 8) & 1;
        if (b >= I.fan_in) {
          ASSERT_EQ(is, 0) << "padding bit flipped";
          continue;
        }
        (was ? n1 : n0)++;
        if (was != is) (was ? f10 : f01)++;
      }
  }
  auto within = [](uint64_t k, uint64_t n, double q) {
    double mu = (double)n * q, sd = std::sqrt((double)n * q * (1 - q));
    return std::fabs((double)k - mu) < 5 * sd;
  };
  EXPECT_TRUE(within(f01, n0, 0.01)) << f01 << " of " << n0;
  EXPECT_TRUE(within(f10, n1, 0.03)) << f10 << " of " << n1;
  bnn_error_counts c;
  ASSERT_EQ(bnn_error_port_counts(p.get(), &c), BNN_OK);
  EXPECT_EQ(c.write_flips, f01 + f10);
  EXPECT_EQ(c.bits_stored, n0 + n1);
  // Reads: transient, fresh each time, counted.
  ep = bnn_error_default_params();
  ep.read_p01 = ep.read_p10 = 0.02;
  PortPtr r = error_port(m.get(), ep, 0);
  ASSERT_TRUE(r);
  const std::vector<uint8_t> a = read_image(r.get(), size), b = read_image(r.get(), size);
  ASSERT_EQ(a.size(), size);
  ASSERT_EQ(b.size(), size);
  EXPECT_NE(a, b) << "read errors are drawn afresh per read";
  uint64_t diff = 0;
  for (uint64_t i = 0; i < size; ++i) diff += (uint64_t)__builtin_popcount(a[i] ^ orig[i]);
  ASSERT_EQ(bnn_error_port_counts(r.get(), &c), BNN_OK);
  EXPECT_TRUE(within(diff, c.bits_read / 2, 0.02)) << diff << " of " << c.bits_read / 2;
  EXPECT_EQ(c.write_flips, 0u);
  // Same (seed, rep) → same stored image; other rep → different.
  ep = bnn_error_default_params();
  ep.write_p01 = 0.01;
  ep.write_p10 = 0.03;
  ep.seed = 12;
  EXPECT_EQ(read_image(error_port(m.get(), ep, 0).get(), size), got);
  const std::vector<uint8_t> other_rep = read_image(error_port(m.get(), ep, 1).get(), size);
  ASSERT_EQ(other_rep.size(), size);
  EXPECT_NE(other_rep, got);
}

TEST(ErrorPort, LayerMaskAndBadRates) {
  ModelPtr m(random_model(1, 8, 8, {{'d', 100}, {'d', 100}, {'d', 10}}, 5));
  bnn_error_params ep = bnn_error_default_params();
  ep.write_p01 = ep.write_p10 = 0.2;
  ep.layer_mask = 0x2;  // only weight layer 1
  PortPtr p = error_port(m.get(), ep, 0);
  ASSERT_TRUE(p);
  uint64_t size;
  const uint8_t *orig = bnn_model_weight_image(m.get(), &size);
  std::vector<uint8_t> got = read_image(p.get(), size);
  ASSERT_EQ(got.size(), size);
  bnn_layer_info L0, L1;
  bnn_model_layer(m.get(), 0, &L0);
  bnn_model_layer(m.get(), 1, &L1);
  EXPECT_EQ(0, memcmp(orig, got.data(), L0.weight_bytes)) << "layer 0 is error-free";
  EXPECT_NE(0, memcmp(orig + L1.weight_addr, got.data() + L1.weight_addr, L1.weight_bytes));
  EXPECT_EQ(0, memcmp(orig + L1.weight_addr + L1.weight_bytes,
                      got.data() + L1.weight_addr + L1.weight_bytes,
                      size - L1.weight_addr - L1.weight_bytes));
  for (double bad : {-0.1, 0.6, (double)NAN}) {
    bnn_error_params b = bnn_error_default_params();
    b.read_p10 = bad;
    bnn_port *q = nullptr;
    EXPECT_EQ(bnn_error_port_create(&q, m.get(), &b, 0), BNN_E_RANGE);
    EXPECT_NE(std::string(bnn_errmsg()).find("read_p10"), std::string::npos);
  }
  EXPECT_EQ(bnn_port_read(p.get(), size - 1, got.data(), 2), BNN_E_PORT);
}

TEST(ErrorPort, WriteReprogramsWithFreshWriteErrors) {
  ModelPtr m(random_model(1, 8, 8, {{'d', 128}, {'d', 10}}, 6));
  uint64_t size;
  const uint8_t *orig = bnn_model_weight_image(m.get(), &size);
  bnn_error_params ep = bnn_error_default_params();
  bnn_port *clean = nullptr, *noisy = nullptr;
  ASSERT_EQ(bnn_error_port_create(&clean, m.get(), &ep, 0), BNN_OK);
  ep.write_p01 = ep.write_p10 = 0.05;
  ASSERT_EQ(bnn_error_port_create(&noisy, m.get(), &ep, 0), BNN_OK);
  PortPtr g1(clean), g2(noisy);
  std::vector<uint8_t> zeros(64, 0), back(64);
  // Zero rates: a write is stored exactly.
  ASSERT_EQ(bnn_port_write(clean, 0, zeros.data(), 64), BNN_OK);
  ASSERT_EQ(bnn_port_read(clean, 0, back.data(), 64), BNN_OK);
  EXPECT_EQ(back, zeros);
  // With write errors: each write draws new persistent flips (only on weight bits).
  bnn_error_counts c0, c1;
  bnn_error_port_counts(noisy, &c0);
  std::vector<uint8_t> a(size), b(size);
  ASSERT_EQ(bnn_port_write(noisy, 0, orig, size), BNN_OK);
  ASSERT_EQ(bnn_port_read(noisy, 0, a.data(), size), BNN_OK);
  ASSERT_EQ(bnn_port_read(noisy, 0, b.data(), size), BNN_OK);
  EXPECT_EQ(a, b) << "write errors persist across reads";
  ASSERT_EQ(bnn_port_write(noisy, 0, orig, size), BNN_OK);
  ASSERT_EQ(bnn_port_read(noisy, 0, b.data(), size), BNN_OK);
  EXPECT_NE(a, b) << "re-programming draws new write errors";
  bnn_error_port_counts(noisy, &c1);
  EXPECT_GT(c1.write_flips, c0.write_flips);
  EXPECT_EQ(bnn_port_write(noisy, size, orig, 1), BNN_E_PORT);
  bnn_port *h = nullptr;
  ASSERT_EQ(bnn_host_port_create(&h, m.get()), BNN_OK);
  PortPtr gh(h);
  bnn_error_counts dummy;
  EXPECT_EQ(bnn_error_port_counts(h, &dummy), BNN_E_ARG) << "not an error port";
}
