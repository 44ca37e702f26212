/* xnor.c — ±1 × ±1 products on bit-packed rows for the training forward pass (bit 0 = +1,
 * bit 1 = −1; dot = k − 2·popcount(x ⊕ w)), a reference loop and an AVX-512 VPOPCNTDQ variant. */
#include <string.h>

#include "bet/layers.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define BET_HAVE_X86 1
#else
#define BET_HAVE_X86 0
#endif

void bet_sign_pack(const float *x, size_t rows, size_t k, float *out, uint64_t *bits) {
  const size_t words = bet_packed_words(k);
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) if (rows * k > 262144)
#endif
  for (long long r = 0; r < (long long)rows; ++r) {
    const float *xr = x + (size_t)r * k;
    float *o = out + (size_t)r * k;
    uint64_t *b = bits + (size_t)r * words;
    for (size_t wi = 0; wi < words; ++wi) {
      const size_t j0 = wi * 64, j1 = (j0 + 64) < k ? (j0 + 64) : k;
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
__attribute__((target("avx512f,avx512vpopcntdq"))) static void xnor_gemm_avx512(
    const uint64_t *x, size_t m, const uint64_t *w, size_t n, size_t k, float *y) {
  const size_t words = bet_packed_words(k);
  const size_t full = words / 8, rem = words % 8;
  const __mmask8 tail = (__mmask8)((1u << rem) - 1u);
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) if (m * n * words > 65536)
#endif
  for (long long jj = 0; jj < (long long)n; ++jj) {
    const size_t j = (size_t)jj;
    const uint64_t *wr = w + j * words;
    size_t i = 0;
    for (; i + 4 <= m; i += 4) {
      const uint64_t *x0 = x + i * words, *x1 = x0 + words, *x2 = x1 + words, *x3 = x2 + words;
      __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
      for (size_t t = 0; t < full; ++t) {
        const __m512i wv = _mm512_loadu_si512((const void *)(wr + 8 * t));
        a0 = _mm512_add_epi64(a0, _mm512_popcnt_epi64(
                                      _mm512_xor_si512(wv, _mm512_loadu_si512((const void *)(x0 + 8 * t)))));
        a1 = _mm512_add_epi64(a1, _mm512_popcnt_epi64(
                                      _mm512_xor_si512(wv, _mm512_loadu_si512((const void *)(x1 + 8 * t)))));
        a2 = _mm512_add_epi64(a2, _mm512_popcnt_epi64(
                                      _mm512_xor_si512(wv, _mm512_loadu_si512((const void *)(x2 + 8 * t)))));
        a3 = _mm512_add_epi64(a3, _mm512_popcnt_epi64(
                                      _mm512_xor_si512(wv, _mm512_loadu_si512((const void *)(x3 + 8 * t)))));
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
    xnor_gemm_avx512(x, m, w, n, k, y);
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
