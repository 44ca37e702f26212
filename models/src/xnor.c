/* xnor.c — ±1 × ±1 products on bit-packed rows for the training forward pass (bit 0 = +1,
 * bit 1 = −1; dot = k − 2·popcount(x ⊕ w)), a reference loop and an AVX-512 VPOPCNTDQ variant. */
#include <string.h>

#include "bet/layers.h"
#include "bet_impl.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define BET_HAVE_X86 1
#else
#define BET_HAVE_X86 0
#endif

typedef struct pack_ctx {
  const float *x;
  float *out;
  uint64_t *bits;
  size_t k, words;
} pack_ctx;

/* Scalar: bit = (x < 0), so NaN and −0 give +1 like bet_sign. */
static void pack_rows_ref(void *vctx, size_t lo, size_t hi) {
  const pack_ctx *c = (const pack_ctx *)vctx;
  for (size_t r = lo; r < hi; ++r) {
    const float *xr = c->x + r * c->k;
    float *o = c->out + r * c->k;
    uint64_t *b = c->bits + r * c->words;
    for (size_t wi = 0; wi < c->words; ++wi) {
      const size_t j0 = wi * 64, j1 = (j0 + 64) < c->k ? (j0 + 64) : c->k;
      uint64_t v = 0;
      for (size_t j = j0; j < j1; ++j) {
        const int neg = xr[j] < 0.0f;
        o[j] = neg ? -1.0f : 1.0f;
        v |= (uint64_t)neg << (j - j0);
      }
      b[wi] = v;
    }
  }
}

#if BET_HAVE_X86
static int have_avx512_popcnt(void);

/* 16 lanes per compare: the compare mask is the packed word's 16 bits directly. */
__attribute__((target("avx512f"))) static void pack_rows_avx512(void *vctx, size_t lo, size_t hi) {
  const pack_ctx *c = (const pack_ctx *)vctx;
  const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f), mone = _mm512_set1_ps(-1.0f);
  const size_t full = c->k / 64;
  for (size_t r = lo; r < hi; ++r) {
    const float *xr = c->x + r * c->k;
    float *o = c->out + r * c->k;
    uint64_t *b = c->bits + r * c->words;
    for (size_t wi = 0; wi < full; ++wi) {
      uint64_t v = 0;
      for (int q = 0; q < 4; ++q) {
        const size_t j = wi * 64 + (size_t)q * 16;
        const __mmask16 neg = _mm512_cmp_ps_mask(_mm512_loadu_ps(xr + j), zero, _CMP_LT_OQ);
        _mm512_storeu_ps(o + j, _mm512_mask_blend_ps(neg, one, mone));
        v |= (uint64_t)neg << (16 * q);
      }
      b[wi] = v;
    }
    if (full < c->words) { /* tail word, scalar */
      uint64_t v = 0;
      for (size_t j = full * 64; j < c->k; ++j) {
        const int neg = xr[j] < 0.0f;
        o[j] = neg ? -1.0f : 1.0f;
        v |= (uint64_t)neg << (j - full * 64);
      }
      b[full] = v;
    }
  }
}
#endif

void bet_sign_pack(const float *x, size_t rows, size_t k, float *out, uint64_t *bits) {
  pack_ctx c = {x, out, bits, k, bet_packed_words(k)};
  bet_par_fn fn = pack_rows_ref;
#if BET_HAVE_X86
  if (have_avx512_popcnt()) fn = pack_rows_avx512;
#endif
  const size_t min_rows = k ? (131072 + k - 1) / k : rows;
  bet_parallel_for(rows, min_rows ? min_rows : 1, fn, &c);
}

void bet_xnor_gemm_ref(const uint64_t *x, size_t m, const uint64_t *w, size_t n, size_t k,
                       float *y) {
  const size_t words = bet_packed_words(k);
  for (size_t i = 0; i < m; ++i)
    for (size_t j = 0; j < n; ++j) {
      uint64_t pop = 0;
      for (size_t t = 0; t < words; ++t)
        pop += (uint64_t)__builtin_popcountll(x[i * words + t] ^ w[j * words + t]);
      y[i * n + j] = (float)((long long)k - 2 * (long long)pop);
    }
}

#if BET_HAVE_X86
/* Four x rows against one w row per pass over the words, so each w chunk is loaded once for four
 * products; 8 words (512 bits) per step, a masked load for the tail. */
typedef struct xnor_ctx {
  const uint64_t *x, *w;
  size_t m, n, k;
  float *y;
} xnor_ctx;

__attribute__((target("avx512f,avx512vpopcntdq"))) static void xnor_gemm_avx512(void *vctx,
                                                                                size_t lo,
                                                                                size_t hi) {
  const xnor_ctx *c = (const xnor_ctx *)vctx;
  const uint64_t *x = c->x, *w = c->w;
  const size_t m = c->m, n = c->n, k = c->k;
  float *y = c->y;
  const size_t words = bet_packed_words(k);
  const size_t full = words / 8, rem = words % 8;
  const __mmask8 tail = (__mmask8)((1u << rem) - 1u);
  for (size_t j = lo; j < hi; ++j) {
    const uint64_t *wr = w + j * words;
    size_t i = 0;
    for (; i + 4 <= m; i += 4) {
      const uint64_t *x0 = x + i * words, *x1 = x0 + words, *x2 = x1 + words, *x3 = x2 + words;
      __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
      for (size_t t = 0; t < full; ++t) {
        const __m512i wv = _mm512_loadu_si512((const void *)(wr + 8 * t));
        a0 = _mm512_add_epi64(a0, _mm512_popcnt_epi64(_mm512_xor_si512(
                                      wv, _mm512_loadu_si512((const void *)(x0 + 8 * t)))));
        a1 = _mm512_add_epi64(a1, _mm512_popcnt_epi64(_mm512_xor_si512(
                                      wv, _mm512_loadu_si512((const void *)(x1 + 8 * t)))));
        a2 = _mm512_add_epi64(a2, _mm512_popcnt_epi64(_mm512_xor_si512(
                                      wv, _mm512_loadu_si512((const void *)(x2 + 8 * t)))));
        a3 = _mm512_add_epi64(a3, _mm512_popcnt_epi64(_mm512_xor_si512(
                                      wv, _mm512_loadu_si512((const void *)(x3 + 8 * t)))));
      }
      if (rem) {
        const __m512i wv = _mm512_maskz_loadu_epi64(tail, wr + 8 * full);
        a0 = _mm512_add_epi64(a0, _mm512_popcnt_epi64(_mm512_xor_si512(
                                      wv, _mm512_maskz_loadu_epi64(tail, x0 + 8 * full))));
        a1 = _mm512_add_epi64(a1, _mm512_popcnt_epi64(_mm512_xor_si512(
                                      wv, _mm512_maskz_loadu_epi64(tail, x1 + 8 * full))));
        a2 = _mm512_add_epi64(a2, _mm512_popcnt_epi64(_mm512_xor_si512(
                                      wv, _mm512_maskz_loadu_epi64(tail, x2 + 8 * full))));
        a3 = _mm512_add_epi64(a3, _mm512_popcnt_epi64(_mm512_xor_si512(
                                      wv, _mm512_maskz_loadu_epi64(tail, x3 + 8 * full))));
      }
      y[(i + 0) * n + j] = (float)((long long)k - 2 * _mm512_reduce_add_epi64(a0));
      y[(i + 1) * n + j] = (float)((long long)k - 2 * _mm512_reduce_add_epi64(a1));
      y[(i + 2) * n + j] = (float)((long long)k - 2 * _mm512_reduce_add_epi64(a2));
      y[(i + 3) * n + j] = (float)((long long)k - 2 * _mm512_reduce_add_epi64(a3));
    }
    for (; i < m; ++i) {
      const uint64_t *xr = x + i * words;
      __m512i a = _mm512_setzero_si512();
      for (size_t t = 0; t < full; ++t)
        a = _mm512_add_epi64(a, _mm512_popcnt_epi64(_mm512_xor_si512(
                                    _mm512_loadu_si512((const void *)(wr + 8 * t)),
                                    _mm512_loadu_si512((const void *)(xr + 8 * t)))));
      if (rem)
        a = _mm512_add_epi64(a, _mm512_popcnt_epi64(_mm512_xor_si512(
                                    _mm512_maskz_loadu_epi64(tail, wr + 8 * full),
                                    _mm512_maskz_loadu_epi64(tail, xr + 8 * full))));
      y[i * n + j] = (float)((long long)k - 2 * _mm512_reduce_add_epi64(a));
    }
  }
}

static int have_avx512_popcnt(void) {
  static int cached = -1;
  if (cached < 0) {
    __builtin_cpu_init();
    cached = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq");
  }
  return cached;
}
#endif

void bet_xnor_gemm(const uint64_t *x, size_t m, const uint64_t *w, size_t n, size_t k, float *y) {
#if BET_HAVE_X86
  if (have_avx512_popcnt()) {
    xnor_ctx c = {x, w, m, n, k, y};
    /* split over output neurons: each y element is computed by exactly one thread */
    const size_t per_neuron = m * bet_packed_words(k);
    const size_t min_n = per_neuron ? (65536 + per_neuron - 1) / per_neuron : n;
    bet_parallel_for(n, min_n ? min_n : 1, xnor_gemm_avx512, &c);
    return;
  }
#endif
  bet_xnor_gemm_ref(x, m, w, n, k, y);
}

const char *bet_xnor_gemm_kernel(void) {
#if BET_HAVE_X86
  if (have_avx512_popcnt()) return "avx512-vpopcntdq";
#endif
  return "ref";
}
