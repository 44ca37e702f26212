/* predict_avx2.c — the prediction's AVX2 kernels: the per-layer table-CDF loop (8 floats at a time,
 * FMA gathers) and the stratified-mean kernels (stratum sums of the weights, their f-weighted sum).
 * Compiled with -mavx2 -mfma; called only after the run-time CPU check in predict.c. Must equal
 * their scalar twins (bet_*_ref): exactly for the integer stratum sums, up to float rounding
 * otherwise. */
#include <immintrin.h>
#include <math.h>

#include "metric_impl.h"

void bet_phi_apply_avx2(const float *u, const float *v, size_t n, float k1, float k2,
                        const float *tab, double *q, double *s1, double *s2) {
  const __m256 K1 = _mm256_set1_ps(k1), K2 = _mm256_set1_ps(k2),
               S = _mm256_set1_ps((float)PHI_STEPS_PER_UNIT);
  const __m256 OFF = _mm256_set1_ps(-PHI_LO * (float)PHI_STEPS_PER_UNIT), Z = _mm256_setzero_ps();
  const __m256 TOP = _mm256_set1_ps((float)PHI_N);
  double d1 = 0, d2 = 0;
  size_t i = 0;
  while (i + 8 <= n) {
    /* float lanes summed over at most 64 steps (512 terms) before going to double */
    __m256 a1 = Z, a2 = Z;
    for (int k = 0; k < 64 && i + 8 <= n; ++k, i += 8) {
      __m256 x =
          _mm256_fmsub_ps(_mm256_loadu_ps(u + i), K1, _mm256_mul_ps(_mm256_loadu_ps(v + i), K2));
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

void bet_strat_accum_avx2(const int8_t *wt, size_t G, const int8_t *const *xs,
                          const uint32_t *const *order, const uint32_t *const *start, size_t nb,
                          size_t O, int16_t *const *C) {
  /* 128 outputs at a time in eight 16-lane accumulators, summed over a stratum's inputs in
   * registers and stored once; the G images share each 128-column slice of the weights while it is
   * in cache; then 16 at a time */
#define ACC(r, off)     \
  r = _mm256_add_epi16( \
      r, _mm256_sign_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + off))), sg))
  /* Strata of at most 127 inputs (fan-in up to ~8000): int8 lanes cannot overflow, twice the lanes
   */
  uint32_t big = 0;
  for (size_t g = 0; g < G; ++g)
    for (size_t b = 0; b < nb; ++b)
      if (start[g][b + 1] - start[g][b] > big) big = start[g][b + 1] - start[g][b];
  size_t o8 = 0;
  if (big <= 127)
    for (; o8 + 128 <= O; o8 += 128)
      for (size_t g = 0; g < G; ++g)
        for (size_t b = 0; b < nb; ++b) {
          __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
          for (uint32_t k = start[g][b]; k < start[g][b + 1]; ++k) {
            const uint32_t i = order[g][k];
            const int8_t *w = wt + (size_t)i * O + o8;
            const __m256i sg = _mm256_set1_epi8(xs[g][i]);
            a0 = _mm256_add_epi8(a0, _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)w), sg));
            a1 = _mm256_add_epi8(
                a1, _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)(w + 32)), sg));
            a2 = _mm256_add_epi8(
                a2, _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)(w + 64)), sg));
            a3 = _mm256_add_epi8(
                a3, _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)(w + 96)), sg));
          }
          int16_t *c = C[g] + b * O + o8;
          const __m256i r[4] = {a0, a1, a2, a3};
          for (int q = 0; q < 4; ++q) {
            _mm256_storeu_si256((__m256i *)(c + 32 * q),
                                _mm256_cvtepi8_epi16(_mm256_castsi256_si128(r[q])));
            _mm256_storeu_si256((__m256i *)(c + 32 * q + 16),
                                _mm256_cvtepi8_epi16(_mm256_extracti128_si256(r[q], 1)));
          }
        }
  size_t o0 = o8;
  for (; o0 + 128 <= O; o0 += 128)
    for (size_t g = 0; g < G; ++g)
      for (size_t b = 0; b < nb; ++b) {
        __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0,
                a7 = a0;
        for (uint32_t k = start[g][b]; k < start[g][b + 1]; ++k) {
          const uint32_t i = order[g][k];
          const int8_t *w = wt + (size_t)i * O + o0;
          const __m256i sg = _mm256_set1_epi16(xs[g][i]);
          ACC(a0, 0), ACC(a1, 16), ACC(a2, 32), ACC(a3, 48), ACC(a4, 64), ACC(a5, 80), ACC(a6, 96),
              ACC(a7, 112);
        }
        int16_t *c = C[g] + b * O + o0;
        _mm256_storeu_si256((__m256i *)c, a0), _mm256_storeu_si256((__m256i *)(c + 16), a1);
        _mm256_storeu_si256((__m256i *)(c + 32), a2), _mm256_storeu_si256((__m256i *)(c + 48), a3);
        _mm256_storeu_si256((__m256i *)(c + 64), a4), _mm256_storeu_si256((__m256i *)(c + 80), a5);
        _mm256_storeu_si256((__m256i *)(c + 96), a6), _mm256_storeu_si256((__m256i *)(c + 112), a7);
      }
  for (; o0 + 16 <= O; o0 += 16)
    for (size_t g = 0; g < G; ++g)
      for (size_t b = 0; b < nb; ++b) {
        __m256i a0 = _mm256_setzero_si256();
        for (uint32_t k = start[g][b]; k < start[g][b + 1]; ++k) {
          const uint32_t i = order[g][k];
          const int8_t *w = wt + (size_t)i * O + o0;
          const __m256i sg = _mm256_set1_epi16(xs[g][i]);
          ACC(a0, 0);
        }
        _mm256_storeu_si256((__m256i *)(C[g] + b * O + o0), a0);
      }
#undef ACC
  for (size_t g = 0; o0 < O && g < G; ++g) /* the last O mod 16 outputs */
    for (size_t b = 0; b < nb; ++b)
      for (size_t o = o0; o < O; ++o) {
        int acc = 0;
        for (uint32_t k = start[g][b]; k < start[g][b + 1]; ++k)
          acc += xs[g][order[g][k]] * wt[(size_t)order[g][k] * O + o];
        C[g][b * O + o] = (int16_t)acc;
      }
}

static inline __m256 cvt16(const int16_t *c) {
  return _mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)c)));
}

void bet_strat_mean_avx2(const int16_t *C, const float *f, size_t nb, size_t O, float *sm) {
  size_t o = 0;
  for (; o + 32 <= O; o += 32) { /* four independent FMA chains */
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t b = 0; b < nb; ++b) {
      const int16_t *c = C + b * O + o;
      const __m256 fb = _mm256_set1_ps(f[b]);
      a0 = _mm256_fmadd_ps(cvt16(c), fb, a0), a1 = _mm256_fmadd_ps(cvt16(c + 8), fb, a1);
      a2 = _mm256_fmadd_ps(cvt16(c + 16), fb, a2), a3 = _mm256_fmadd_ps(cvt16(c + 24), fb, a3);
    }
    _mm256_storeu_ps(sm + o, a0), _mm256_storeu_ps(sm + o + 8, a1);
    _mm256_storeu_ps(sm + o + 16, a2), _mm256_storeu_ps(sm + o + 24, a3);
  }
  for (; o + 8 <= O; o += 8) {
    __m256 acc = _mm256_setzero_ps();
    for (size_t b = 0; b < nb; ++b)
      acc = _mm256_fmadd_ps(cvt16(C + b * O + o), _mm256_set1_ps(f[b]), acc);
    _mm256_storeu_ps(sm + o, acc);
  }
  for (; o < O; ++o) {
    float acc = 0;
    for (size_t b = 0; b < nb; ++b) acc = fmaf((float)C[b * O + o], f[b], acc);
    sm[o] = acc;
  }
}

float bet_dot_avx2(const float *a, const float *b, size_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
    s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
  }
  float l[8], acc = 0;
  _mm256_storeu_ps(l, _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
  for (int k = 0; k < 8; ++k) acc += l[k];
  for (; i < n; ++i) acc = fmaf(a[i], b[i], acc);
  return acc;
}
