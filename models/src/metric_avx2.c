/* metric_avx2.c — the prediction's per-layer table-CDF loop, 8 floats at a time (AVX2 + FMA gathers).
 * Compiled with -mavx2 -mfma; called only after the run-time CPU check in metric.c. Must equal
 * bet_phi_apply_ref up to float rounding (a test holds them within 1e-6). */
#include <immintrin.h>

#include "metric_impl.h"

void bet_phi_apply_avx2(const float *u, const float *v, size_t n, float k1, float k2, const float *tab, double *q,
                        double *s1, double *s2) {
  const __m256 K1 = _mm256_set1_ps(k1), K2 = _mm256_set1_ps(k2), S = _mm256_set1_ps((float)PHI_STEPS_PER_UNIT);
  const __m256 OFF = _mm256_set1_ps(-PHI_LO * (float)PHI_STEPS_PER_UNIT), Z = _mm256_setzero_ps();
  const __m256 TOP = _mm256_set1_ps((float)PHI_N);
  double d1 = 0, d2 = 0;
  size_t i = 0;
  while (i + 8 <= n) {
    /* float lanes summed over at most 64 steps (512 terms) before going to double */
    __m256 a1 = Z, a2 = Z;
    for (int k = 0; k < 64 && i + 8 <= n; ++k, i += 8) {
      __m256 x = _mm256_fmsub_ps(_mm256_loadu_ps(u + i), K1, _mm256_mul_ps(_mm256_loadu_ps(v + i), K2));
      __m256 t = _mm256_min_ps(_mm256_max_ps(_mm256_fmadd_ps(x, S, OFF), Z), TOP);
      __m256i idx = _mm256_cvttps_epi32(t);
      __m256 f = _mm256_sub_ps(t, _mm256_cvtepi32_ps(idx));
      __m256 lo = _mm256_i32gather_ps(tab, idx, 4), hi = _mm256_i32gather_ps(tab + 1, idx, 4);
      __m256 qq = _mm256_fmadd_ps(f, _mm256_sub_ps(hi, lo), lo);
      a1 = _mm256_add_ps(a1, qq);
      a2 = _mm256_fmadd_ps(qq, qq, a2);
      _mm256_storeu_pd(q + i, _mm256_cvtps_pd(_mm256_castps256_ps128(qq)));
      _mm256_storeu_pd(q + i + 4, _mm256_cvtps_pd(_mm256_extractf128_ps(qq, 1)));
    }
    float l1[8], l2[8];
    _mm256_storeu_ps(l1, a1), _mm256_storeu_ps(l2, a2);
    for (int k = 0; k < 8; ++k) d1 += (double)l1[k], d2 += (double)l2[k];
  }
  double r1 = 0, r2 = 0;
  if (i < n) bet_phi_apply_ref(u + i, v + i, n - i, k1, k2, tab, q + i, &r1, &r2);
  *s1 = d1 + r1, *s2 = d2 + r2;
}
