/* experiment_stats.c — Spearman rank correlation for `rramsim experiment` (kept apart so the tests
 * can check it without the rest of the command). */
#include <math.h>

#include "experiment.h"

/* 1-based ranks; a group of equal values gets the average of the ranks it spans. */
static void ranks(const double *x, size_t n, double *r) {
  for (size_t i = 0; i < n; ++i) {
    size_t less = 0, eq = 0;
    for (size_t j = 0; j < n; ++j) {
      less += x[j] < x[i];
      eq += x[j] == x[i];
    }
    r[i] = (double)less + (double)(eq + 1) / 2.0;
  }
}

double xp_spearman(const double *x, const double *y, size_t n) {
  if (n < 3 || n > XP_MAX_MODELS) return NAN;
  double rx[XP_MAX_MODELS], ry[XP_MAX_MODELS];
  ranks(x, n, rx);
  ranks(y, n, ry);
  double mx = 0, my = 0;
  for (size_t i = 0; i < n; ++i) mx += rx[i], my += ry[i];
  mx /= (double)n, my /= (double)n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < n; ++i) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) * (rx[i] - mx);
    syy += (ry[i] - my) * (ry[i] - my);
  }
  if (sxx <= 0 || syy <= 0) return NAN; /* a constant side has no ranking */
  return sxy / sqrt(sxx * syy);
}
