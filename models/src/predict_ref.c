/* predict_ref.c — the scalar reference kernels of the analytic prediction (table CDF, stratum sums,
 * stratified mean, dot product): the portable path, and the twins the AVX2 kernels must equal. */
#include <math.h>

#include "metric_impl.h"

void bet_phi_apply_ref(const float *u, const float *v, size_t n, float k1, float k2,
                       const float *tab, double *q, double *s1, double *s2) {
  double a1 = 0, a2 = 0;
  for (size_t i = 0; i < n; ++i) {
    float t =
        (u[i] * k1 - v[i] * k2) * (float)PHI_STEPS_PER_UNIT - PHI_LO * (float)PHI_STEPS_PER_UNIT;
    t = t < 0 ? 0 : t;
    t = t > (float)PHI_N ? (float)PHI_N : t;
    int k = (int)t;
    float f = t - (float)k, qq = tab[k] + f * (tab[k + 1] - tab[k]);
    q[i] = (double)qq, a1 += (double)qq, a2 += (double)qq * (double)qq;
  }
  *s1 = a1, *s2 = a2;
}

void bet_strat_accum_ref(const int8_t *wt, size_t G, const int8_t *const *xs,
                         const uint32_t *const *order, const uint32_t *const *start, size_t nb,
                         size_t O, int16_t *const *C) {
  for (size_t g = 0; g < G; ++g)
    for (size_t b = 0; b < nb; ++b)
      for (size_t o = 0; o < O; ++o) {
        int acc = 0;
        for (uint32_t k = start[g][b]; k < start[g][b + 1]; ++k)
          acc += xs[g][order[g][k]] * wt[(size_t)order[g][k] * O + o];
        C[g][b * O + o] = (int16_t)acc;
      }
}

float bet_dot_ref(const float *a, const float *b, size_t n) {
  float acc = 0;
  for (size_t i = 0; i < n; ++i) acc = fmaf(a[i], b[i], acc);
  return acc;
}

void bet_strat_mean_ref(const int16_t *C, const float *f, size_t nb, size_t O, float *sm) {
  for (size_t o = 0; o < O; ++o) {
    float acc = 0;
    for (size_t b = 0; b < nb; ++b) acc = fmaf((float)C[b * O + o], f[b], acc);
    sm[o] = acc;
  }
}
