/* kernels_avx2.c — AVX2 kernels: vpshufb nibble popcount and byte-mask sums, blocked 2 images × 4
 * neurons so each loaded row is reused from registers. Compiled with -mavx2 -mpopcnt; only called
 * after the run-time CPU check in bnn_kernels_get. */
#include <immintrin.h>

#include "bnn_impl.h"

/* Bit convention: bit 0 = +1, bit 1 = −1; counts here, dot = K − 2·count in the engine. */

static inline __m256i popcount_bytes(__m256i v) {
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2,
                                       1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i low = _mm256_set1_epi8(0x0f);
  __m256i lo = _mm256_and_si256(v, low);
  __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
  return _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi));
}

static inline int32_t hsum64(__m256i v) {
  __m128i s = _mm_add_epi64(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  return (int32_t)(_mm_cvtsi128_si64(s) + _mm_extract_epi64(s, 1));
}

/* Counts of one block: NI images × NJ neurons (≤ 2 × 4) over all words. Byte counters hold at most
 * 8 per chunk, so they are widened (vpsadbw) every 31 chunks before they could overflow. */
static inline __attribute__((always_inline)) void block(const uint64_t *x, size_t ldx, size_t ni,
                                                        const uint64_t *w, size_t ldw, size_t nj,
                                                        size_t words, int32_t *c, size_t ldc) {
  __m256i acc[2][4], bytes[2][4];
  const __m256i zero = _mm256_setzero_si256();
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 4; ++b) acc[a][b] = bytes[a][b] = zero;
  size_t chunks = words / 4, k = 0;
  while (k < chunks) {
    size_t end = k + 31 < chunks ? k + 31 : chunks;
    for (; k < end; ++k) {
      __m256i xv[2], wv[4];
      for (size_t a = 0; a < ni; ++a)
        xv[a] = _mm256_loadu_si256((const __m256i *)(const void *)(x + a * ldx + 4 * k));
      for (size_t b = 0; b < nj; ++b)
        wv[b] = _mm256_loadu_si256((const __m256i *)(const void *)(w + b * ldw + 4 * k));
      for (size_t a = 0; a < ni; ++a)
        for (size_t b = 0; b < nj; ++b)
          bytes[a][b] =
              _mm256_add_epi8(bytes[a][b], popcount_bytes(_mm256_xor_si256(xv[a], wv[b])));
    }
    for (size_t a = 0; a < ni; ++a)
      for (size_t b = 0; b < nj; ++b) {
        acc[a][b] = _mm256_add_epi64(acc[a][b], _mm256_sad_epu8(bytes[a][b], zero));
        bytes[a][b] = zero;
      }
  }
  for (size_t a = 0; a < ni; ++a)
    for (size_t b = 0; b < nj; ++b) {
      int32_t s = hsum64(acc[a][b]);
      for (size_t t = 4 * chunks; t < words; ++t)
        s += (int32_t)_mm_popcnt_u64(x[a * ldx + t] ^ w[b * ldw + t]);
      c[a * ldc + b] = s;
    }
}

static void xor_popcount_avx2(const uint64_t *x, size_t ldx, size_t n, const uint64_t *w,
                              size_t ldw, size_t m, size_t words, int32_t *c, size_t ldc) {
  for (size_t i = 0; i < n; i += 2) {
    size_t ni = n - i < 2 ? n - i : 2;
    for (size_t j = 0; j < m; j += 4) {
      size_t nj = m - j < 4 ? m - j : 4;
      if (ni == 2 && nj == 4)
        block(x + i * ldx, ldx, 2, w + j * ldw, ldw, 4, words, c + i * ldc + j, ldc);
      else if (ni == 1 && nj == 4)
        block(x + i * ldx, ldx, 1, w + j * ldw, ldw, 4, words, c + i * ldc + j, ldc);
      else
        block(x + i * ldx, ldx, ni, w + j * ldw, ldw, nj, words, c + i * ldc + j, ldc);
    }
  }
}

/* 32 weight bits → 32 byte lanes of 0xff where the bit is set (bit 1 = −1 weight). */
static inline __m256i expand_mask(uint32_t bits) {
  const __m256i pick = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2,
                                        2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
  const __m256i sel = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
  __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits), pick);
  return _mm256_cmpeq_epi8(_mm256_and_si256(v, sel), sel);
}

static void u8_masked_sum_avx2(const uint8_t *x, size_t ldx, size_t n, const uint64_t *w,
                               size_t ldw, size_t m, size_t words, int32_t *c, size_t ldc) {
  const __m256i zero = _mm256_setzero_si256();
  for (size_t i = 0; i < n; i += 4) {
    size_t ni = n - i < 4 ? n - i : 4;
    for (size_t j = 0; j < m; j += 2) {
      size_t nj = m - j < 2 ? m - j : 2;
      __m256i acc[4][2];
      for (int a = 0; a < 4; ++a) acc[a][0] = acc[a][1] = zero;
      for (size_t k = 0; k < 2 * words; ++k) { /* 32 inputs per step */
        __m256i mk[2];
        for (size_t b = 0; b < nj; ++b) {
          const uint32_t *wr = (const uint32_t *)(const void *)(w + (j + b) * ldw);
          mk[b] = expand_mask(wr[k]);
        }
        for (size_t a = 0; a < ni; ++a) {
          __m256i xv =
              _mm256_loadu_si256((const __m256i *)(const void *)(x + (i + a) * ldx + 32 * k));
          for (size_t b = 0; b < nj; ++b)
            acc[a][b] =
                _mm256_add_epi64(acc[a][b], _mm256_sad_epu8(_mm256_and_si256(xv, mk[b]), zero));
        }
      }
      for (size_t a = 0; a < ni; ++a)
        for (size_t b = 0; b < nj; ++b) c[(i + a) * ldc + j + b] = hsum64(acc[a][b]);
    }
  }
}

static uint64_t binarize_avx2(const int32_t *cnt, size_t nj, int32_t base, const int32_t *t,
                              uint64_t dpos) {
  uint64_t word = 0;
  const __m256i vb = _mm256_set1_epi32(base);
  size_t k = 0;
  for (; k + 8 <= nj; k += 8) {
    __m256i cv = _mm256_loadu_si256((const __m256i *)(const void *)(cnt + k));
    __m256i tv = _mm256_loadu_si256((const __m256i *)(const void *)(t + k));
    __m256i a = _mm256_sub_epi32(vb, _mm256_add_epi32(cv, cv));
    unsigned below = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(tv, a)));
    unsigned above = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(a, tv)));
    unsigned pos = (unsigned)(dpos >> k) & 0xffu;
    /* −1 iff dir > 0 and a < t, or dir < 0 and a > t */
    word |= (uint64_t)((pos & below) | (~pos & above & 0xffu)) << k;
  }
  for (; k < nj; ++k) {
    int32_t a = base - 2 * cnt[k];
    int plus = (dpos >> k & 1) ? a >= t[k] : a <= t[k];
    if (!plus) word |= 1ull << k;
  }
  return word;
}

const bnn_kernels bnn_kernels_avx2 = {"avx2", xor_popcount_avx2, u8_masked_sum_avx2, binarize_avx2};
