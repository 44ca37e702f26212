/* kernels_avx512.c — AVX-512 kernels: vpopcntq on xor'd rows (blocked 4 images × 4 neurons) and
 * masked byte sums (a weight word is directly a 64-lane byte mask). Compiled with AVX-512 flags;
 * only called after the run-time CPU check in bnn_kernels_get. */
#include <immintrin.h>

#include "bnn_impl.h"

/* Bit convention: bit 0 = +1, bit 1 = −1; counts here, dot = K − 2·count in the engine. */

#define BI 4 /* images per block */
#define BJ 4 /* neurons per block */

static inline void block(const uint64_t *x, size_t ldx, size_t ni, const uint64_t *w, size_t ldw,
                         size_t nj, size_t words, int32_t *c, size_t ldc) {
  __m512i acc[BI][BJ];
  for (int a = 0; a < BI; ++a)
    for (int b = 0; b < BJ; ++b) acc[a][b] = _mm512_setzero_si512();
  size_t k = 0;
  for (; k + 8 <= words; k += 8) {
    __m512i xv[BI], wv[BJ];
    for (size_t a = 0; a < ni; ++a) xv[a] = _mm512_loadu_si512((const void *)(x + a * ldx + k));
    for (size_t b = 0; b < nj; ++b) wv[b] = _mm512_loadu_si512((const void *)(w + b * ldw + k));
    for (size_t a = 0; a < ni; ++a)
      for (size_t b = 0; b < nj; ++b)
        acc[a][b] = _mm512_add_epi64(acc[a][b], _mm512_popcnt_epi64(_mm512_xor_si512(xv[a], wv[b])));
  }
  if (k < words) { /* tail of < 8 words: masked loads read nothing past the row */
    __mmask8 mk = (__mmask8)((1u << (words - k)) - 1);
    __m512i xv[BI], wv[BJ];
    for (size_t a = 0; a < ni; ++a) xv[a] = _mm512_maskz_loadu_epi64(mk, (const void *)(x + a * ldx + k));
    for (size_t b = 0; b < nj; ++b) wv[b] = _mm512_maskz_loadu_epi64(mk, (const void *)(w + b * ldw + k));
    for (size_t a = 0; a < ni; ++a)
      for (size_t b = 0; b < nj; ++b)
        acc[a][b] = _mm512_add_epi64(acc[a][b], _mm512_popcnt_epi64(_mm512_xor_si512(xv[a], wv[b])));
  }
  for (size_t a = 0; a < ni; ++a)
    for (size_t b = 0; b < nj; ++b) c[a * ldc + b] = (int32_t)_mm512_reduce_add_epi64(acc[a][b]);
}

static void xor_popcount_avx512(const uint64_t *x, size_t ldx, size_t n, const uint64_t *w,
                                size_t ldw, size_t m, size_t words, int32_t *c, size_t ldc) {
  for (size_t i = 0; i < n; i += BI) {
    size_t ni = n - i < BI ? n - i : BI;
    for (size_t j = 0; j < m; j += BJ) {
      size_t nj = m - j < BJ ? m - j : BJ;
      block(x + i * ldx, ldx, ni, w + j * ldw, ldw, nj, words, c + i * ldc + j, ldc);
    }
  }
}

static void u8_masked_sum_avx512(const uint8_t *x, size_t ldx, size_t n, const uint64_t *w,
                                 size_t ldw, size_t m, size_t words, int32_t *c, size_t ldc) {
  const __m512i zero = _mm512_setzero_si512();
  for (size_t i = 0; i < n; i += BI) {
    size_t ni = n - i < BI ? n - i : BI;
    for (size_t j = 0; j < m; j += BJ) {
      size_t nj = m - j < BJ ? m - j : BJ;
      __m512i acc[BI][BJ];
      for (int a = 0; a < BI; ++a)
        for (int b = 0; b < BJ; ++b) acc[a][b] = zero;
      for (size_t k = 0; k < words; ++k) { /* 64 inputs per step */
        __mmask64 mk[BJ];
        for (size_t b = 0; b < nj; ++b) mk[b] = (__mmask64)w[(j + b) * ldw + k];
        for (size_t a = 0; a < ni; ++a) {
          __m512i xv = _mm512_loadu_si512((const void *)(x + (i + a) * ldx + 64 * k));
          for (size_t b = 0; b < nj; ++b)
            acc[a][b] = _mm512_add_epi64(acc[a][b], _mm512_sad_epu8(_mm512_maskz_mov_epi8(mk[b], xv), zero));
        }
      }
      for (size_t a = 0; a < ni; ++a)
        for (size_t b = 0; b < nj; ++b) c[(i + a) * ldc + j + b] = (int32_t)_mm512_reduce_add_epi64(acc[a][b]);
    }
  }
}

const bnn_kernels bnn_kernels_avx512 = {"avx512", xor_popcount_avx512, u8_masked_sum_avx512};
