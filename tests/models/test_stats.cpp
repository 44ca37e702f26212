// test_stats.cpp — libbet's statistics unit (bet/stats.h): mean, sd, Student-t quantiles and
// half-widths against tabulated values, Spearman against hand-computed ranks, ties and all-ties.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "bet/stats.h"

TEST(BetStats, MeanAndSd) {
  const double x[5] = {2, 4, 4, 5, 10};
  EXPECT_DOUBLE_EQ(bet_stats_mean(x, 5), 5.0);
  // Σ(x − 5)² = 9 + 1 + 1 + 0 + 25 = 36, divisor n − 1 = 4.
  EXPECT_DOUBLE_EQ(bet_stats_sd(x, 5), 3.0);
  EXPECT_TRUE(std::isnan(bet_stats_mean(x, 0)));
  EXPECT_TRUE(std::isnan(bet_stats_sd(x, 1)));
  EXPECT_TRUE(std::isnan(bet_stats_mean(nullptr, 3)));
}

TEST(BetStats, StudentTQuantiles) {
  // Two-sided 95 % quantiles t_{0.975, df} (standard tables, 4 decimals).
  const struct {
    unsigned df;
    double t;
  } tab[] = {{1, 12.7062}, {2, 4.3027},  {3, 3.1824},  {4, 2.7764},  {5, 2.5706},
             {9, 2.2622},  {10, 2.2281}, {29, 2.0452}, {30, 2.0423}, {120, 1.9799}};
  for (const auto& r : tab) EXPECT_NEAR(bet_stats_t_quantile(0.95, r.df), r.t, 5e-5) << r.df;
  // 99 %: t_{0.995, 1} = 63.6567, t_{0.995, 10} = 3.1693; 90 %: t_{0.95, 4} = 2.1318.
  EXPECT_NEAR(bet_stats_t_quantile(0.99, 1), 63.6567, 5e-4);
  EXPECT_NEAR(bet_stats_t_quantile(0.99, 10), 3.1693, 5e-5);
  EXPECT_NEAR(bet_stats_t_quantile(0.90, 4), 2.1318, 5e-5);
  // Large df: the normal quantile z = 1.959964 plus the first Cornish-Fisher term (z³ + z)/(4·df).
  const double z = 1.959963985, df = 20000;
  EXPECT_NEAR(bet_stats_t_quantile(0.95, 20000), z + (z * z * z + z) / (4 * df), 1e-7);
  EXPECT_TRUE(std::isnan(bet_stats_t_quantile(0.95, 0)));
  EXPECT_TRUE(std::isnan(bet_stats_t_quantile(1.0, 5)));
  EXPECT_TRUE(std::isnan(bet_stats_t_quantile(0.0, 5)));
}

TEST(BetStats, THalfWidth) {
  const double x[5] = {2, 4, 4, 5, 10};  // sd 3, n 5: 2.7764·3/√5
  EXPECT_NEAR(bet_stats_t_halfwidth(x, 5, 0.95), 2.776445 * 3.0 / std::sqrt(5.0), 1e-5);
  EXPECT_TRUE(std::isnan(bet_stats_t_halfwidth(x, 1, 0.95)));
}

TEST(BetStats, SpearmanKnownValues) {
  const double x[5] = {1, 2, 3, 4, 5};
  const double up[5] = {10, 20, 30, 40, 50}, down[5] = {5, 4, 3, 2, 1};
  EXPECT_DOUBLE_EQ(bet_stats_spearman(x, up, 5), 1.0);
  EXPECT_DOUBLE_EQ(bet_stats_spearman(x, down, 5), -1.0);
  // Ranks of y = 1, 3, 2, 5, 4: Σd² = 4, ρ = 1 − 6·4 / (5·24) = 0.8.
  const double y[5] = {0.1, 0.3, 0.2, 0.9, 0.5};
  EXPECT_NEAR(bet_stats_spearman(x, y, 5), 0.8, 1e-12);
  // Ties get average ranks: y ranks 1.5, 1.5, 3, 4 → Pearson of ranks = 0.9486832980505138.
  const double yt[4] = {7, 7, 8, 9};
  EXPECT_NEAR(bet_stats_spearman(x, yt, 4), 0.9486832980505138, 1e-12);
  // Ties on both sides, unsorted: x ranks 2.5, 1, 2.5, 4; y ranks 1.5, 3, 1.5, 4 → ρ = 1/3.
  const double xa[4] = {5, 1, 5, 9}, ya[4] = {2, 3, 2, 4};
  EXPECT_NEAR(bet_stats_spearman(xa, ya, 4), 1.0 / 3.0, 1e-12);
  // Two points are ranked (±1); one is not.
  EXPECT_DOUBLE_EQ(bet_stats_spearman(x, down, 2), -1.0);
  EXPECT_TRUE(std::isnan(bet_stats_spearman(x, y, 1)));
  EXPECT_TRUE(std::isnan(bet_stats_spearman(x, nullptr, 3)));
}

// All values tied on either side: no ranking, so NaN (not 0) — whatever n and whatever the
// values' magnitude (rounding of the mean rank must not leave a spurious tiny spread).
TEST(BetStats, SpearmanAllTiesIsNan) {
  for (size_t n : {2u, 3u, 10u, 11u, 1000u}) {
    std::vector<double> c(n, 0.1), v(n), w(n, 1e300);
    for (size_t i = 0; i < n; ++i) v[i] = std::sin(static_cast<double>(i));
    EXPECT_TRUE(std::isnan(bet_stats_spearman(v.data(), c.data(), n))) << n;
    EXPECT_TRUE(std::isnan(bet_stats_spearman(c.data(), v.data(), n))) << n;
    EXPECT_TRUE(std::isnan(bet_stats_spearman(c.data(), w.data(), n))) << n;
  }
}

// The rank correlation depends only on the order: a monotone transform of either side leaves it
// unchanged, and large inputs (sorted ranks, not O(n²)) agree with the closed form for no ties.
TEST(BetStats, SpearmanMonotoneInvariantAndLarge) {
  const size_t n = 5000;
  std::vector<double> x(n), y(n), ex(n);
  for (size_t i = 0; i < n; ++i) {
    x[i] = std::fmod(static_cast<double>(i) * 7919.0, 5003.0);
    y[i] = x[i] + 300.0 * std::sin(static_cast<double>(i));
    ex[i] = std::exp(y[i] / 1000.0);
  }
  const double r = bet_stats_spearman(x.data(), y.data(), n);
  EXPECT_NEAR(bet_stats_spearman(x.data(), ex.data(), n), r, 1e-12);
  // Closed form 1 − 6Σd²/(n(n² − 1)) with ranks by sorting.
  std::vector<size_t> ix(n), iy(n);
  for (size_t i = 0; i < n; ++i) ix[i] = iy[i] = i;
  std::sort(ix.begin(), ix.end(), [&](size_t a, size_t b) { return x[a] < x[b]; });
  std::sort(iy.begin(), iy.end(), [&](size_t a, size_t b) { return y[a] < y[b]; });
  std::vector<double> rx(n), ry(n);
  for (size_t k = 0; k < n; ++k)
    rx[ix[k]] = static_cast<double>(k), ry[iy[k]] = static_cast<double>(k);
  double d2 = 0;
  for (size_t i = 0; i < n; ++i) d2 += (rx[i] - ry[i]) * (rx[i] - ry[i]);
  const double nn = static_cast<double>(n);
  EXPECT_NEAR(r, 1.0 - 6.0 * d2 / (nn * (nn * nn - 1.0)), 1e-9);
  EXPECT_GT(r, 0.9);
}
