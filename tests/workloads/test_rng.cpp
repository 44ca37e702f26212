// test_rng.cpp — the counter-based RNG and the O(#flips) bit-error sampler.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "bnn/rng.h"

TEST(Rng, CounterBasedIsPureFunctionOfKeys) {
  bnn_rng a = bnn_rng_make(42, 7);
  bnn_rng b = bnn_rng_make(42, 7);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(bnn_rng_u64(&a), bnn_rng_u64(&b));
  EXPECT_EQ(bnn_rng_hash(42, 7, 5), bnn_rng_hash(42, 7, 5));
  EXPECT_NE(bnn_rng_hash(42, 7, 5), bnn_rng_hash(43, 7, 5));
  EXPECT_NE(bnn_rng_hash(42, 7, 5), bnn_rng_hash(42, 8, 5));
  EXPECT_NE(bnn_rng_hash(42, 7, 5), bnn_rng_hash(42, 7, 6));
  // Swapping keys must not collide (each key enters differently).
  EXPECT_NE(bnn_rng_hash(1, 2, 3), bnn_rng_hash(2, 1, 3));
  EXPECT_NE(bnn_rng_hash(1, 2, 3), bnn_rng_hash(1, 3, 2));
}

TEST(Rng, UniformMomentsAndBitBalance) {
  bnn_rng r = bnn_rng_make(1, 0);
  const int n = 200000;
  double s = 0, s2 = 0;
  int ones[64] = {0};
  for (int i = 0; i < n; ++i) {
    uint64_t x = bnn_rng_u64(&r);
    for (int b = 0; b < 64; ++b) ones[b] += (x >> b) & 1;
    double u = (double)(x >> 11) * 0x1.0p-53;
    s += u;
    s2 += u * u;
  }
  EXPECT_NEAR(s / n, 0.5, 0.005);
  EXPECT_NEAR(s2 / n - (s / n) * (s / n), 1.0 / 12, 0.002);
  for (int b = 0; b < 64; ++b) EXPECT_NEAR(ones[b] / (double)n, 0.5, 0.006) << "bit " << b;
}

TEST(Rng, BelowIsInRangeAndUniform) {
  bnn_rng r = bnn_rng_make(3, 1);
  int hist[10] = {0};
  for (int i = 0; i < 100000; ++i) {
    uint64_t x = bnn_rng_below(&r, 10);
    ASSERT_LT(x, 10u);
    hist[x]++;
  }
  for (int k = 0; k < 10; ++k) EXPECT_NEAR(hist[k], 10000, 500);
}

TEST(Rng, NormalMoments) {
  bnn_rng r = bnn_rng_make(5, 2);
  double s = 0, s2 = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    double x = bnn_rng_normal(&r);
    s += x;
    s2 += x * x;
  }
  EXPECT_NEAR(s / n, 0.0, 0.01);
  EXPECT_NEAR(s2 / n, 1.0, 0.015);
}

TEST(Rng, GeometricMeanMatches) {
  for (double p : {0.5, 0.1, 0.01, 1e-4}) {
    bnn_rng r = bnn_rng_make(9, (uint64_t)(p * 1e6));
    double s = 0;
    const int n = 100000;
    for (int i = 0; i < n; ++i) s += (double)bnn_rng_geometric(&r, p);
    double mean = (1 - p) / p;
    double sd = std::sqrt(1 - p) / p / std::sqrt((double)n);
    EXPECT_NEAR(s / n, mean, 5 * sd) << "p=" << p;
  }
  bnn_rng r = bnn_rng_make(9, 0);
  EXPECT_EQ(bnn_rng_geometric(&r, 1.0), 0u);
}

namespace {
// Flip counts by old value, over a buffer with a known mix of zeros and ones.
struct Count {
  uint64_t flips0 = 0, flips1 = 0, calls = 0;
};
void count_cb(void *ud, uint64_t, int old) {
  Count *c = static_cast<Count *>(ud);
  (old ? c->flips1 : c->flips0)++;
  c->calls++;
}
}  // namespace

TEST(Flip, AsymmetricRatesMatchWithinConfidence) {
  const uint64_t nbits = 4'000'000;
  std::vector<uint8_t> buf(nbits / 8);
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = (i & 1) ? 0xff : 0x00;  // half ones
  std::vector<uint8_t> orig = buf;
  bnn_rng r = bnn_rng_make(11, 0);
  Count c;
  bnn_flip_rates rates{0.01, 0.002};
  uint64_t f = bnn_flip_bits(buf.data(), 0, nbits, rates, &r, count_cb, &c);
  EXPECT_EQ(f, c.calls);
  // Binomial(2e6, p): 4.5 sigma bounds.
  auto ok = [](uint64_t k, double n, double p) {
    return std::fabs((double)k - n * p) < 4.5 * std::sqrt(n * p * (1 - p));
  };
  EXPECT_TRUE(ok(c.flips0, nbits / 2.0, 0.01)) << c.flips0;
  EXPECT_TRUE(ok(c.flips1, nbits / 2.0, 0.002)) << c.flips1;
  // The buffer differs from the original in exactly the reported bits.
  uint64_t diff = 0;
  for (size_t i = 0; i < buf.size(); ++i) diff += __builtin_popcount(buf[i] ^ orig[i]);
  EXPECT_EQ(diff, f);
}

TEST(Flip, RangeIsRespectedAndZeroRateFlipsNothing) {
  std::vector<uint8_t> buf(64, 0);
  bnn_rng r = bnn_rng_make(1, 1);
  EXPECT_EQ(bnn_flip_bits(buf.data(), 0, 512, bnn_flip_rates{0, 0}, &r, nullptr, nullptr), 0u);
  // Rate 0.5 on bits [13, 13+100): nothing outside changes.
  uint64_t f = bnn_flip_bits(buf.data(), 13, 100, bnn_flip_rates{0.5, 0.5}, &r, nullptr, nullptr);
  EXPECT_GT(f, 20u);
  for (uint64_t b = 0; b < 512; ++b) {
    int v = (buf[b / 8] >> (b % 8)) & 1;
    if (b < 13 || b >= 113) {
      EXPECT_EQ(v, 0) << b;
    }
  }
}

TEST(Flip, SameSeedSameFlips) {
  std::vector<uint8_t> a(1000, 0x5a), b(1000, 0x5a);
  bnn_rng ra = bnn_rng_make(77, 3), rb = bnn_rng_make(77, 3);
  bnn_flip_bits(a.data(), 0, 8000, bnn_flip_rates{0.03, 0.03}, &ra, nullptr, nullptr);
  bnn_flip_bits(b.data(), 0, 8000, bnn_flip_rates{0.03, 0.03}, &rb, nullptr, nullptr);
  EXPECT_EQ(a, b);
}

TEST(Flip, CostScalesWithFlipsNotBits) {
  // At p = 1e-6 over 10^8 bits the sampler must draw about 100 numbers, not 10^8.
  std::vector<uint8_t> buf(100'000'000 / 8, 0);
  bnn_rng r = bnn_rng_make(5, 5);
  bnn_flip_bits(buf.data(), 0, 100'000'000, bnn_flip_rates{1e-6, 1e-6}, &r, nullptr, nullptr);
  EXPECT_LT(r.counter, 1000u);
}
