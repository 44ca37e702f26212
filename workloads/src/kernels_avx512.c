/* kernels_avx512.c — AVX-512 kernels: vpopcntd on xor'd rows and vpdpbusd on pixels × weight-bit
 * masks, both blocked 4 images × 4 neurons with a transposing reduction of the 16 accumulators.
 * Compiled with AVX-512 flags; only called after the run-time CPU check in bnn_kernels_get. */
#include <immintrin.h>

#include "bnn_impl.h"

/* Bit convention: bit 0 = +1, bit 1 = −1; counts here, dot = K − 2·count in the engine. */

#define BI 4 /* images per block */
#define BJ 4 /* neurons per block */

/* Sums each of 16 accumulators (16 × i32 lanes) into lane k of the result: unpack/shuffle tree,
 * 45 instructions instead of 16 separate horizontal reductions (~110). */
static inline __m512i reduce16(const __m512i acc[16]) {
  __m512i l1[8], l2[4];
  for (int i = 0; i < 8; ++i)
    l1[i] = _mm512_add_epi32(_mm512_unpacklo_epi32(acc[2 * i], acc[2 * i + 1]),
                             _mm512_unpackhi_epi32(acc[2 * i], acc[2 * i + 1]));
  for (int i = 0; i < 4; ++i)
    l2[i] = _mm512_add_epi32(_mm512_unpacklo_epi64(l1[2 * i], l1[2 * i + 1]),
                             _mm512_unpackhi_epi64(l1[2 * i], l1[2 * i + 1]));
  /* l2[i] lane L (128-bit) holds partial sums of accumulators 4i..4i+3 */
  __m512i pq = _mm512_add_epi32(_mm512_shuffle_i32x4(l2[0], l2[1], 0x88),
                                _mm512_shuffle_i32x4(l2[0], l2[1], 0xdd));
  __m512i rs = _mm512_add_epi32(_mm512_shuffle_i32x4(l2[2], l2[3], 0x88),
                                _mm512_shuffle_i32x4(l2[2], l2[3], 0xdd));
  return _mm512_add_epi32(_mm512_shuffle_i32x4(pq, rs, 0x88), _mm512_shuffle_i32x4(pq, rs, 0xdd));
}

static inline void store_block(__m512i sums, size_t ni, size_t nj, int32_t *c, size_t ldc) {
  int32_t t[16];
  _mm512_storeu_si512((void *)t, sums);
  for (size_t a = 0; a < ni; ++a)
    for (size_t b = 0; b < nj; ++b) c[a * ldc + b] = t[a * BJ + b];
}

static inline __attribute__((always_inline)) void block(const uint64_t *x, size_t ldx, size_t ni,
                                                        const uint64_t *w, size_t ldw, size_t nj,
                                                        size_t words, int32_t *c, size_t ldc) {
  __m512i acc[16];
  for (int a = 0; a < 16; ++a) acc[a] = _mm512_setzero_si512();
  size_t k = 0;
  for (; k < words; k += 8) {
    /* the last step of a row that is not a multiple of 512 bits loads only its words */
    __mmask8 mk = words - k >= 8 ? (__mmask8)0xff : (__mmask8)((1u << (words - k)) - 1);
    __m512i xv[BI], wv[BJ];
    for (size_t a = 0; a < ni; ++a)
      xv[a] = _mm512_maskz_loadu_epi64(mk, (const void *)(x + a * ldx + k));
    for (size_t b = 0; b < nj; ++b)
      wv[b] = _mm512_maskz_loadu_epi64(mk, (const void *)(w + b * ldw + k));
    for (size_t a = 0; a < ni; ++a)
      for (size_t b = 0; b < nj; ++b)
        acc[a * BJ + b] =
            _mm512_add_epi32(acc[a * BJ + b], _mm512_popcnt_epi32(_mm512_xor_si512(xv[a], wv[b])));
  }
  store_block(reduce16(acc), ni, nj, c, ldc);
}

/* The tile walk of both kernels (x, ldx, n, w, ldw, m, words, c, ldc in scope): BI x BJ tiles of c;
 * full tiles and single-image rows go through calls with constant sizes, so the always-inline
 * block is unrolled and its accumulators stay in registers. */
#define TILE_WALK(blk)                                                                \
  for (size_t i = 0; i < n; i += BI) {                                                \
    size_t ni = n - i < BI ? n - i : BI;                                              \
    for (size_t j = 0; j < m; j += BJ) {                                              \
      size_t nj = m - j < BJ ? m - j : BJ;                                            \
      if (ni == BI && nj == BJ)                                                       \
        blk(x + i * ldx, ldx, BI, w + j * ldw, ldw, BJ, words, c + i * ldc + j, ldc); \
      else if (ni == 1 && nj == BJ)                                                   \
        blk(x + i * ldx, ldx, 1, w + j * ldw, ldw, BJ, words, c + i * ldc + j, ldc);  \
      else                                                                            \
        blk(x + i * ldx, ldx, ni, w + j * ldw, ldw, nj, words, c + i * ldc + j, ldc); \
    }                                                                                 \
  }

static void xor_popcount_avx512(const uint64_t *x, size_t ldx, size_t n, const uint64_t *w,
                                size_t ldw, size_t m, size_t words, int32_t *c, size_t ldc) {
  TILE_WALK(block);
}

/* Σ_{bit set} x: a weight word is a 64-lane byte mask; masking a vector of ones gives 0/1 bytes and
 * vpdpbusd multiplies them with the pixels, summing groups of 4 into 16 i32 lanes (exact: at most
 * 4·255 per lane per step). One instruction per 64 pixel-weight products per image. */
static inline __attribute__((always_inline)) void u8_block(const uint8_t *x, size_t ldx, size_t ni,
                                                           const uint64_t *w, size_t ldw, size_t nj,
                                                           size_t words, int32_t *c, size_t ldc) {
  const __m512i ones = _mm512_set1_epi8(1);
  __m512i acc[16];
  for (int a = 0; a < 16; ++a) acc[a] = _mm512_setzero_si512();
  for (size_t k = 0; k < words; ++k) {
    __m512i wb[BJ];
    for (size_t b = 0; b < nj; ++b) wb[b] = _mm512_maskz_mov_epi8((__mmask64)w[b * ldw + k], ones);
    for (size_t a = 0; a < ni; ++a) {
      __m512i xv = _mm512_loadu_si512((const void *)(x + a * ldx + 64 * k));
      for (size_t b = 0; b < nj; ++b)
        acc[a * BJ + b] = _mm512_dpbusd_epi32(acc[a * BJ + b], xv, wb[b]);
    }
  }
  store_block(reduce16(acc), ni, nj, c, ldc);
}

static void u8_masked_sum_avx512(const uint8_t *x, size_t ldx, size_t n, const uint64_t *w,
                                 size_t ldw, size_t m, size_t words, int32_t *c, size_t ldc) {
  TILE_WALK(u8_block);
}

/* Hidden-neuron outputs of up to 64 neurons as one word: a = base − 2·cnt; bit b is 0 (+1) iff
 * (dir > 0 ? a ≥ t : a ≤ t), dir > 0 given by bit b of dpos. */
static uint64_t binarize_avx512(const int32_t *cnt, size_t nj, int32_t base, const int32_t *t,
                                uint64_t dpos) {
  uint64_t word = 0;
  const __m512i vb = _mm512_set1_epi32(base);
  for (size_t k = 0; k < nj; k += 16) {
    __mmask16 valid = nj - k >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (nj - k)) - 1);
    __m512i cv = _mm512_maskz_loadu_epi32(valid, (const void *)(cnt + k));
    __m512i tv = _mm512_maskz_loadu_epi32(valid, (const void *)(t + k));
    __m512i a = _mm512_sub_epi32(vb, _mm512_add_epi32(cv, cv));
    __mmask16 pos = (__mmask16)(dpos >> k);
    __mmask16 plus = (__mmask16)(_mm512_mask_cmpge_epi32_mask(pos, a, tv) |
                                 _mm512_mask_cmple_epi32_mask((__mmask16)~pos, a, tv));
    word |= (uint64_t)(uint16_t)(~plus & valid) << k;
  }
  return word;
}

const bnn_kernels bnn_kernels_avx512 = {"avx512", xor_popcount_avx512, u8_masked_sum_avx512,
                                        binarize_avx512};
