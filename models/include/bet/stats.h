/* bet/stats.h — the statistics the studies report: mean, sample standard deviation, the two-sided
 * Student-t confidence half-width, and Spearman's rank correlation (ties get average ranks). Plain
 * C, no allocation beyond the ranks, no BLAS. */
#ifndef BET_STATS_H
#define BET_STATS_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Arithmetic mean of x[0..n); NaN for n = 0. */
double bet_stats_mean(const double *x, size_t n);

/* Sample standard deviation (divisor n − 1) of x[0..n); NaN for n < 2. */
double bet_stats_sd(const double *x, size_t n);

/* Two-sided Student-t quantile t such that P(|T| ≤ t) = level for T with df degrees of freedom
 * (level in (0, 1), df ≥ 1; NaN otherwise). Exact closed forms for integer df, solved by
 * bisection to ~1e-12. */
double bet_stats_t_quantile(double level, unsigned df);

/* Half-width of the two-sided confidence interval of the mean at `level` (0.95 for 95 %):
 * t_quantile(level, n − 1) · sd / √n. NaN for n < 2. */
double bet_stats_t_halfwidth(const double *x, size_t n, double level);

/* Spearman rank correlation of x and y (n pairs): the Pearson correlation of their 1-based ranks,
 * a group of equal values taking the average of the ranks it spans. NaN when n < 2, when either
 * side is constant (all values tie: no ranking), or when out of memory. */
double bet_stats_spearman(const double *x, const double *y, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* BET_STATS_H */
