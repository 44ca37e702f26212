// test_kernels.cpp — every optimised kernel equals the reference bit for bit, on random shapes
// including sizes that are not multiples of 64; packed rows keep their padding bits 0.
#include <gtest/gtest.h>

#include <vector>

#include "bnn/bnn.h"
#include "bnn/rng.h"
#include "bnn_impl.h"
#include "bnn_testutil.h"

namespace {

std::vector<const bnn_kernels *> optimised() {
  std::vector<const bnn_kernels *> v;
  for (int k = BNN_KERNEL_AVX2; k < BNN_KERNEL_COUNT; ++k)
    if (const bnn_kernels *kk = bnn_kernels_get((bnn_kernel)k)) v.push_back(kk);
  return v;
}

// Random bit rows of `bits` valid bits (padding 0) with a row stride of `ld` words.
std::vector<uint64_t> rows(bnn_rng *r, size_t n, size_t bits, size_t ld) {
  std::vector<uint64_t> v(n * ld, 0);
  for (size_t i = 0; i < n; ++i)
    for (size_t b = 0; b < bits; ++b)
      if (bnn_rng_u64(r) & 1) v[i * ld + b / 64] |= 1ull << (b % 64);
  return v;
}

}  // namespace

TEST(Kernels, AutoIsAvailableAndNamed) {
  EXPECT_TRUE(bnn_kernel_available(BNN_KERNEL_AUTO));
  EXPECT_TRUE(bnn_kernel_available(BNN_KERNEL_REF));
  EXPECT_NE(bnn_kernel_resolve(BNN_KERNEL_AUTO), BNN_KERNEL_AUTO);
  EXPECT_STREQ(bnn_kernel_str(BNN_KERNEL_AVX2), "avx2");
  EXPECT_FALSE(bnn_kernel_available((bnn_kernel)42));
  if (optimised().empty()) GTEST_SKIP() << "no SIMD kernel on this CPU: only ref is tested";
}

TEST(Kernels, XorPopcountEqualsRef) {
  bnn_rng r = bnn_rng_make(99, 0);
  for (int trial = 0; trial < 60; ++trial) {
    size_t n = 1 + bnn_rng_below(&r, 11), m = 1 + bnn_rng_below(&r, 13);
    size_t bits = 1 + bnn_rng_below(&r, 1200);  // mostly not multiples of 64
    if (trial % 10 == 0) bits = 64 * (1 + bnn_rng_below(&r, 20));
    size_t words = (bits + 63) / 64;
    size_t ldx = words + bnn_rng_below(&r, 3), ldw = words + bnn_rng_below(&r, 3);
    auto x = rows(&r, n, bits, ldx), w = rows(&r, m, bits, ldw);
    std::vector<int32_t> want(n * m), got(n * m);
    bnn_kernels_ref.xor_popcount(x.data(), ldx, n, w.data(), ldw, m, words, want.data(), m);
    // Reference equals a per-bit count: dot = K − 2·count.
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < m; ++j) {
        int dot = 0;
        for (size_t b = 0; b < bits; ++b) {
          int xv = (x[i * ldx + b / 64] >> (b % 64) & 1) ? -1 : 1;
          int wv = (w[j * ldw + b / 64] >> (b % 64) & 1) ? -1 : 1;
          dot += xv * wv;
        }
        ASSERT_EQ(dot, (int)bits - 2 * want[i * m + j]);
      }
    for (const bnn_kernels *k : optimised()) {
      std::fill(got.begin(), got.end(), -1);
      k->xor_popcount(x.data(), ldx, n, w.data(), ldw, m, words, got.data(), m);
      ASSERT_EQ(got, want) << k->name << " n=" << n << " m=" << m << " bits=" << bits;
    }
  }
}

TEST(Kernels, U8MaskedSumEqualsRef) {
  bnn_rng r = bnn_rng_make(7, 0);
  for (int trial = 0; trial < 60; ++trial) {
    size_t n = 1 + bnn_rng_below(&r, 10), m = 1 + bnn_rng_below(&r, 11);
    size_t K = 1 + bnn_rng_below(&r, 900);
    size_t words = (K + 63) / 64, ldx = 64 * words + 64 * bnn_rng_below(&r, 2), ldw = words;
    std::vector<uint8_t> x(n * ldx, 0);
    for (size_t i = 0; i < n; ++i)
      for (size_t k = 0; k < K; ++k)
        x[i * ldx + k] = (uint8_t)(trial % 7 == 0 ? 255 : bnn_rng_below(&r, 256));
    auto w = rows(&r, m, K, ldw);
    std::vector<int32_t> want(n * m), got(n * m);
    bnn_kernels_ref.u8_masked_sum(x.data(), ldx, n, w.data(), ldw, m, words, want.data(), m);
    for (const bnn_kernels *k : optimised()) {
      std::fill(got.begin(), got.end(), -1);
      k->u8_masked_sum(x.data(), ldx, n, w.data(), ldw, m, words, got.data(), m);
      ASSERT_EQ(got, want) << k->name << " n=" << n << " m=" << m << " K=" << K;
    }
  }
}

TEST(Kernels, BinarizeEqualsRefAndDirection) {
  bnn_rng r = bnn_rng_make(3, 0);
  for (int trial = 0; trial < 300; ++trial) {
    size_t nj = 1 + bnn_rng_below(&r, 64);
    int32_t base = (int32_t)bnn_rng_below(&r, 4000) - 1000;
    std::vector<int32_t> cnt(64), t(64);
    for (size_t b = 0; b < nj; ++b) {
      cnt[b] = (int32_t)bnn_rng_below(&r, 1500);
      // Thresholds near a, so ties (a == t) are frequent.
      t[b] = base - 2 * cnt[b] + (int32_t)bnn_rng_below(&r, 5) - 2;
    }
    uint64_t dpos = bnn_rng_u64(&r);
    uint64_t want = bnn_kernels_ref.binarize(cnt.data(), nj, base, t.data(), dpos);
    if (nj < 64) {
      ASSERT_EQ(want >> nj, 0u) << "bits past nj must be 0";
    }
    for (size_t b = 0; b < nj; ++b) {
      int32_t a = base - 2 * cnt[b];
      bool plus = (dpos >> b & 1) ? a >= t[b] : a <= t[b];
      ASSERT_EQ((want >> b & 1) == 0, plus);
    }
    for (const bnn_kernels *k : optimised())
      ASSERT_EQ(k->binarize(cnt.data(), nj, base, t.data(), dpos), want) << k->name << " nj=" << nj;
  }
}

TEST(Kernels, PackedRowsHaveZeroPadding) {
  bnn_model *m = bnntest::random_model(3, 5, 5, {{'c', 7}, {'p', 0}, {'d', 33}, {'d', 5}}, 2);
  ASSERT_NE(m, nullptr);
  uint64_t size;
  const uint8_t *img = bnn_model_weight_image(m, &size);
  uint64_t expect = 0;
  for (uint32_t l = 0; l < bnn_model_n_layers(m); ++l) {
    bnn_layer_info I;
    bnn_model_layer(m, l, &I);
    if (I.weight_layer_index < 0) continue;
    EXPECT_EQ(I.row_bytes % 8, 0u);
    EXPECT_EQ(I.weight_addr, expect);
    expect += I.weight_bytes;
    for (uint32_t o = 0; o < I.out_c; ++o)
      for (uint64_t b = I.fan_in; b < I.row_bytes * 8; ++b)
        ASSERT_EQ(img[I.weight_addr + o * I.row_bytes + b / 8] >> (b % 8) & 1, 0);
    // Bit convention: bit 1 = −1.
    for (uint32_t i = 0; i < I.fan_in; ++i) {
      int bit = img[I.weight_addr + i / 8] >> (i % 8) & 1;
      ASSERT_EQ(bnn_model_weight(m, l, 0, i), bit ? -1 : 1);
    }
  }
  EXPECT_EQ(expect, size);
  bnn_model_free(m);
}
