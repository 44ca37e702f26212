/* stats.c — libbet's statistics unit: mean, sample standard deviation, Student-t confidence
 * half-width and Spearman rank correlation (bet/stats.h). */
#include "bet/stats.h"

#include <math.h>
#include <stdlib.h>

#include "bnn/status.h"

static const double kPi = 3.14159265358979323846;

double bet_stats_mean(const double *x, size_t n) {
  if (!x || n == 0) return NAN;
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += x[i];
  return s / (double)n;
}

double bet_stats_sd(const double *x, size_t n) {
  if (!x || n < 2) return NAN;
  const double m = bet_stats_mean(x, n);
  double ss = 0;
  for (size_t i = 0; i < n; ++i) ss += (x[i] - m) * (x[i] - m);
  return sqrt(ss / (double)(n - 1));
}

/* P(|T| ≤ t), T Student-t with df degrees of freedom (Abramowitz & Stegun 26.7.3–4): with
 * θ = atan(t/√df) and c = cos²θ, a finite series in c whose terms grow by (k − 1)/k per step. */
static double t_two_sided_cdf(double t, unsigned df) {
  const double th = atan(t / sqrt((double)df)), s = sin(th), c = cos(th) * cos(th);
  if (df % 2 == 0) {
    double term = 1, sum = 1;
    for (unsigned k = 2; k + 2 <= df; k += 2) sum += (term *= c * (double)(k - 1) / (double)k);
    return s * sum;
  }
  if (df == 1) return 2 * th / kPi;
  double term = cos(th), sum = term;
  for (unsigned k = 3; k + 2 <= df; k += 2) sum += (term *= c * (double)(k - 1) / (double)k);
  return 2 / kPi * (th + s * sum);
}

double bet_stats_t_quantile(double level, unsigned df) {
  if (!(level > 0 && level < 1) || df < 1) return NAN;
  double lo = 0, hi = 1;
  while (t_two_sided_cdf(hi, df) < level && hi < 1e300) hi *= 2;
  for (int it = 0; it < 200 && hi - lo > 1e-12 * hi; ++it) {
    const double mid = 0.5 * (lo + hi);
    if (t_two_sided_cdf(mid, df) < level)
      lo = mid;
    else
      hi = mid;
  }
  return 0.5 * (lo + hi);
}

double bet_stats_t_halfwidth(const double *x, size_t n, double level) {
  if (!x || n < 2) return NAN;
  return bet_stats_t_quantile(level, (unsigned)(n - 1)) * bet_stats_sd(x, n) / sqrt((double)n);
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* 1-based average ranks of x into r, through the sorted copy s: x[i] has `lo` values below it and
 * hi − lo equal to it, so its ranks are lo + 1 … hi and their average is (lo + 1 + hi) / 2. */
static void ranks(const double *x, size_t n, double *s, double *r) {
  for (size_t i = 0; i < n; ++i) s[i] = x[i];
  qsort(s, n, sizeof *s, cmp_double);
  for (size_t i = 0; i < n; ++i) {
    size_t lo = 0, hi = n;
    while (lo < hi) { /* first index with s ≥ x[i] */
      const size_t mid = lo + (hi - lo) / 2;
      if (s[mid] < x[i])
        lo = mid + 1;
      else
        hi = mid;
    }
    size_t up = lo;
    while (up < n && s[up] == x[i]) ++up;
    r[i] = (double)(lo + 1 + up) / 2.0;
  }
}

static int constant(const double *x, size_t n) {
  for (size_t i = 1; i < n; ++i)
    if (x[i] != x[0]) return 0;
  return 1;
}

double bet_stats_spearman(const double *x, const double *y, size_t n) {
  if (!x || !y || n < 2 || constant(x, n) || constant(y, n)) return NAN;
  double *buf = (double *)bnn_malloc(3 * n * sizeof *buf);
  if (!buf) return NAN;
  double *rx = buf, *ry = buf + n, *scratch = buf + 2 * n;
  ranks(x, n, scratch, rx);
  ranks(y, n, scratch, ry);
  double mx = 0, my = 0;
  for (size_t i = 0; i < n; ++i) mx += rx[i], my += ry[i];
  mx /= (double)n, my /= (double)n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < n; ++i) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) * (rx[i] - mx);
    syy += (ry[i] - my) * (ry[i] - my);
  }
  bnn_free(buf);
  if (sxx <= 0 || syy <= 0) return NAN;
  return sxy / sqrt(sxx * syy);
}
