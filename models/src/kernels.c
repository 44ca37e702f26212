/* kernels.c — training kernels with a reference twin and an AVX-512 variant chosen at run time:
 * the fused latent-weight Adam step (bit-identical to its reference: the same IEEE operations
 * per element, no FMA contraction under -std=c11) and the first layer's u8 × s8 product (exact
 * integers through AVX-512 VNNI). */
#include <math.h>
#include <string.h>

#include "bet/layers.h"
#include "bet_impl.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define BET_KERN_X86 1
#else
#define BET_KERN_X86 0
#endif

/* 1: AVX-512F, 2: AVX-512F + BW + VNNI (checked once). */
static int cpu_level(void) {
#if BET_KERN_X86
  static int level = -1;
  if (level < 0) {
    __builtin_cpu_init();
    level = !__builtin_cpu_supports("avx512f")                                           ? 0
            : __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni") ? 2
                                                                                         : 1;
  }
  return level;
#else
  return 0;
#endif
}

/* ---- latent-weight Adam --------------------------------------------------------------------- */

typedef struct adam_latent_ctx {
  float *w, *m, *v;
  const float *grad;
  float step, rb2, b1, b2, eps;
} adam_latent_ctx;

static void adam_latent_range(void *vctx, size_t lo, size_t hi) {
  const adam_latent_ctx *c = (const adam_latent_ctx *)vctx;
  float *w = c->w, *m = c->m, *v = c->v;
  const float *grad = c->grad;
  const float step = c->step, rb2 = c->rb2, b1 = c->b1, b2 = c->b2, eps = c->eps;
  for (size_t i = lo; i < hi; ++i) {
    const float g = fabsf(w[i]) <= 1.0f ? grad[i] : 0.0f;
    const float mi = b1 * m[i] + (1.0f - b1) * g;
    const float vi = b2 * v[i] + (1.0f - b2) * g * g;
    m[i] = mi;
    v[i] = vi;
    const float x = w[i] - step * mi / (sqrtf(vi) * rb2 + eps);
    w[i] = x > 1.0f ? 1.0f : (x < -1.0f ? -1.0f : x);
  }
}

#if BET_KERN_X86
/* The loop above, 16 lanes at a time, operation for operation (separate multiplies and adds,
 * correctly rounded sqrt and divide, the clip as two compares so a NaN stays NaN). */
__attribute__((target("avx512f"))) static void adam_latent_avx512(void *vctx, size_t lo,
                                                                  size_t hi) {
  const adam_latent_ctx *c = (const adam_latent_ctx *)vctx;
  const __m512 b1 = _mm512_set1_ps(c->b1), c1 = _mm512_set1_ps(1.0f - c->b1);
  const __m512 b2 = _mm512_set1_ps(c->b2), c2 = _mm512_set1_ps(1.0f - c->b2);
  const __m512 step = _mm512_set1_ps(c->step), rb2 = _mm512_set1_ps(c->rb2);
  const __m512 eps = _mm512_set1_ps(c->eps), one = _mm512_set1_ps(1.0f),
               mone = _mm512_set1_ps(-1.0f);
  size_t i = lo;
  for (; i + 16 <= hi; i += 16) {
    const __m512 w = _mm512_loadu_ps(c->w + i);
    const __mmask16 live = _mm512_cmp_ps_mask(_mm512_abs_ps(w), one, _CMP_LE_OQ);
    const __m512 g = _mm512_maskz_mov_ps(live, _mm512_loadu_ps(c->grad + i));
    const __m512 mi =
        _mm512_add_ps(_mm512_mul_ps(b1, _mm512_loadu_ps(c->m + i)), _mm512_mul_ps(c1, g));
    const __m512 vi = _mm512_add_ps(_mm512_mul_ps(b2, _mm512_loadu_ps(c->v + i)),
                                    _mm512_mul_ps(_mm512_mul_ps(c2, g), g));
    _mm512_storeu_ps(c->m + i, mi);
    _mm512_storeu_ps(c->v + i, vi);
    const __m512 den = _mm512_add_ps(_mm512_mul_ps(_mm512_sqrt_ps(vi), rb2), eps);
    __m512 x = _mm512_sub_ps(w, _mm512_div_ps(_mm512_mul_ps(step, mi), den));
    x = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, one, _CMP_GT_OQ), x, one);
    x = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, mone, _CMP_LT_OQ), x, mone);
    _mm512_storeu_ps(c->w + i, x);
  }
  if (i < hi) adam_latent_range(vctx, i, hi);
}
#endif

static void adam_latent_run(const bet_adam_params *p, uint64_t t, size_t n, float *w,
                            const float *grad, float *m, float *v, int fast) {
  const double bc1 = 1.0 - pow((double)p->beta1, (double)t);
  const double bc2 = 1.0 - pow((double)p->beta2, (double)t);
  adam_latent_ctx c;
  c.w = w;
  c.m = m;
  c.v = v;
  c.grad = grad;
  c.step = (float)((double)p->lr / bc1);
  c.rb2 = (float)(1.0 / sqrt(bc2));
  c.b1 = p->beta1;
  c.b2 = p->beta2;
  c.eps = p->eps;
  bet_par_fn fn = adam_latent_range;
#if BET_KERN_X86
  if (fast && cpu_level() >= 1) fn = adam_latent_avx512;
#else
  (void)fast;
#endif
  /* Elementwise, so splitting the range between threads cannot change any value. */
  bet_parallel_for(n, 65536, fn, &c);
}

void bet_adam_step_latent(const bet_adam_params *p, uint64_t t, size_t n, float *w,
                          const float *grad, float *m, float *v) {
  adam_latent_run(p, t, n, w, grad, m, v, 1);
}

void bet_adam_step_latent_ref(const bet_adam_params *p, uint64_t t, size_t n, float *w,
                              const float *grad, float *m, float *v) {
  adam_latent_run(p, t, n, w, grad, m, v, 0);
}

/* ---- u8 × s8 products (the first dense layer on 8-bit pixels) ------------------------------- */

/* Packed layout: blocks of 16 output neurons; inside a block, for each group of 4 inputs
 * (k4 = 0 … ⌈k/4⌉−1), 16 × 4 bytes: neuron jj's weights for inputs 4·k4 … 4·k4+3. Padding
 * (inputs ≥ k, neurons ≥ n) is 0. This is the operand order of VPDPBUSD. */
size_t bet_s8_packed_size(size_t n, size_t k) {
  return ((n + 15) / 16) * 16 * ((k + 3) / 4) * 4;
}

typedef struct s8_pack_ctx {
  const float *w;
  size_t n, k;
  int8_t *out;
} s8_pack_ctx;

static void s8_pack_blocks(void *vctx, size_t lo, size_t hi) {
  const s8_pack_ctx *c = (const s8_pack_ctx *)vctx;
  const size_t k4n = (c->k + 3) / 4;
  memset(c->out + lo * k4n * 64, 0, (hi - lo) * k4n * 64);
  for (size_t j = lo * 16; j < hi * 16 && j < c->n; ++j) {
    int8_t *blk = c->out + (j / 16) * k4n * 64 + (j % 16) * 4;
    const float *wr = c->w + j * c->k;
    for (size_t i = 0; i < c->k; ++i) blk[(i / 4) * 64 + i % 4] = (int8_t)wr[i];
  }
}

void bet_s8_pack(const float *w, size_t n, size_t k, int8_t *out) {
  s8_pack_ctx c = {w, n, k, out};
  const size_t per_block = 16 * (k ? k : 1);
  bet_parallel_for((n + 15) / 16, (131072 + per_block - 1) / per_block, s8_pack_blocks, &c);
}

void bet_u8s8_gemm_ref(const uint8_t *x, size_t m, size_t k, const float *w, size_t n, float scale,
                       float *y) {
  for (size_t i = 0; i < m; ++i)
    for (size_t j = 0; j < n; ++j) {
      int64_t a = 0;
      for (size_t t = 0; t < k; ++t) a += (int64_t)x[i * k + t] * (int64_t)(int8_t)w[j * k + t];
      y[i * n + j] = (float)a * scale;
    }
}

typedef struct u8s8_ctx {
  const uint8_t *x; /* m rows of kp = 4·⌈k/4⌉ bytes (zero padded) */
  const int8_t *w;  /* bet_s8_pack layout */
  size_t m, kp, n;
  float scale;
  float *y;
} u8s8_ctx;

/* Scalar version of the blocked kernel (CPUs without VNNI): same integers, same conversion. */
static void u8s8_blocks_ref(void *vctx, size_t lo, size_t hi) {
  const u8s8_ctx *c = (const u8s8_ctx *)vctx;
  const size_t k4n = c->kp / 4;
  for (size_t jb = lo; jb < hi; ++jb) {
    const int8_t *blk = c->w + jb * k4n * 64;
    for (size_t i = 0; i < c->m; ++i) {
      const uint8_t *xr = c->x + i * c->kp;
      for (size_t jj = 0; jj < 16 && jb * 16 + jj < c->n; ++jj) {
        int32_t a = 0;
        for (size_t t = 0; t < c->kp; ++t)
          a += (int32_t)xr[t] * (int32_t)blk[(t / 4) * 64 + jj * 4 + t % 4];
        c->y[i * c->n + jb * 16 + jj] = (float)a * c->scale;
      }
    }
  }
}

#if BET_KERN_X86
/* Rows 4 at a time against 2 blocks (32 neurons): 8 accumulators of 16 int32, each VPDPBUSD adds
 * 4 u8 × s8 products per lane; both operands stay in L1/L2 (2 blocks × k bytes × 16). */
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static void u8s8_blocks_vnni(void *vctx,
                                                                                    size_t lo,
                                                                                    size_t hi) {
  const u8s8_ctx *c = (const u8s8_ctx *)vctx;
  const size_t k4n = c->kp / 4, n = c->n, m = c->m;
  const __m512 sc = _mm512_set1_ps(c->scale);
  for (size_t jb = lo; jb < hi; jb += 2) {
    const int two = jb + 1 < hi;
    const int8_t *w0 = c->w + jb * k4n * 64, *w1 = two ? w0 + k4n * 64 : w0;
    const size_t j0 = jb * 16;
    const __mmask16 mk0 = (__mmask16)(n - j0 >= 16 ? 0xFFFF : (1u << (n - j0)) - 1u);
    const __mmask16 mk1 =
        !two ? 0 : (__mmask16)(n - j0 - 16 >= 16 ? 0xFFFF : (1u << (n - j0 - 16)) - 1u);
    size_t i = 0;
    for (; i + 4 <= m; i += 4) {
      const uint8_t *x0 = c->x + i * c->kp;
      __m512i a00 = _mm512_setzero_si512(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00,
              a30 = a00, a31 = a00;
      for (size_t t = 0; t < k4n; ++t) {
        const __m512i v0 = _mm512_loadu_si512((const void *)(w0 + t * 64));
        const __m512i v1 = _mm512_loadu_si512((const void *)(w1 + t * 64));
        int32_t q;
        memcpy(&q, x0 + 4 * t, 4);
        __m512i b = _mm512_set1_epi32(q);
        a00 = _mm512_dpbusd_epi32(a00, b, v0);
        a01 = _mm512_dpbusd_epi32(a01, b, v1);
        memcpy(&q, x0 + c->kp + 4 * t, 4);
        b = _mm512_set1_epi32(q);
        a10 = _mm512_dpbusd_epi32(a10, b, v0);
        a11 = _mm512_dpbusd_epi32(a11, b, v1);
        memcpy(&q, x0 + 2 * c->kp + 4 * t, 4);
        b = _mm512_set1_epi32(q);
        a20 = _mm512_dpbusd_epi32(a20, b, v0);
        a21 = _mm512_dpbusd_epi32(a21, b, v1);
        memcpy(&q, x0 + 3 * c->kp + 4 * t, 4);
        b = _mm512_set1_epi32(q);
        a30 = _mm512_dpbusd_epi32(a30, b, v0);
        a31 = _mm512_dpbusd_epi32(a31, b, v1);
      }
      float *y = c->y + i * n + j0;
      _mm512_mask_storeu_ps(y, mk0, _mm512_mul_ps(_mm512_cvtepi32_ps(a00), sc));
      _mm512_mask_storeu_ps(y + n, mk0, _mm512_mul_ps(_mm512_cvtepi32_ps(a10), sc));
      _mm512_mask_storeu_ps(y + 2 * n, mk0, _mm512_mul_ps(_mm512_cvtepi32_ps(a20), sc));
      _mm512_mask_storeu_ps(y + 3 * n, mk0, _mm512_mul_ps(_mm512_cvtepi32_ps(a30), sc));
      if (two) {
        _mm512_mask_storeu_ps(y + 16, mk1, _mm512_mul_ps(_mm512_cvtepi32_ps(a01), sc));
        _mm512_mask_storeu_ps(y + n + 16, mk1, _mm512_mul_ps(_mm512_cvtepi32_ps(a11), sc));
        _mm512_mask_storeu_ps(y + 2 * n + 16, mk1, _mm512_mul_ps(_mm512_cvtepi32_ps(a21), sc));
        _mm512_mask_storeu_ps(y + 3 * n + 16, mk1, _mm512_mul_ps(_mm512_cvtepi32_ps(a31), sc));
      }
    }
    for (; i < m; ++i) {
      const uint8_t *xr = c->x + i * c->kp;
      __m512i a0 = _mm512_setzero_si512(), a1 = a0;
      for (size_t t = 0; t < k4n; ++t) {
        int32_t q;
        memcpy(&q, xr + 4 * t, 4);
        const __m512i b = _mm512_set1_epi32(q);
        a0 = _mm512_dpbusd_epi32(a0, b, _mm512_loadu_si512((const void *)(w0 + t * 64)));
        a1 = _mm512_dpbusd_epi32(a1, b, _mm512_loadu_si512((const void *)(w1 + t * 64)));
      }
      float *y = c->y + i * n + j0;
      _mm512_mask_storeu_ps(y, mk0, _mm512_mul_ps(_mm512_cvtepi32_ps(a0), sc));
      if (two) _mm512_mask_storeu_ps(y + 16, mk1, _mm512_mul_ps(_mm512_cvtepi32_ps(a1), sc));
    }
  }
}
#endif

void bet_u8s8_gemm(const uint8_t *x, size_t m, size_t k, const int8_t *w, size_t n, float scale,
                   float *y) {
  if (m == 0 || n == 0) return;
  u8s8_ctx c = {x, w, m, (k + 3) / 4 * 4, n, scale, y};
  bet_par_fn fn = u8s8_blocks_ref;
#if BET_KERN_X86
  if (cpu_level() >= 2) fn = u8s8_blocks_vnni;
#endif
  /* Split over blocks of 16 neurons: each output is computed once, in integers, so the split
   * cannot change a value. */
  const size_t blocks = (n + 15) / 16, per_block = m * c.kp * 16;
  bet_parallel_for(blocks, (262144 + per_block - 1) / per_block, fn, &c);
}

const char *bet_u8s8_gemm_kernel(void) {
  return cpu_level() >= 2 ? "avx512-vnni" : "ref";
}

/* ---- batch norm fused with its neighbours (dense hidden layers) ----------------------------- */

/* Both kernels split the channels between threads in slabs of 512 (8 packed words of a row):
 * a channel's sums still run over the rows in row order, in double, exactly as in
 * bet_bn_forward_train / bet_bn_backward, and every float expression is the same, so the results
 * are bit-identical to the unfused sequence for any thread count. Slabs are wide on purpose: a
 * narrow slab walks the rows with a power-of-two stride (8 KiB for 2048 channels), which maps
 * them onto the same cache sets. */
#define BN_SLAB 512

typedef struct bn_fwd_ctx {
  const float *z, *gamma, *beta;
  size_t m, c, words;
  float eps;
  float *h, *mean, *invstd, *var, *act;
  uint64_t *bits;
} bn_fwd_ctx;

/* One row of a slab: h, its sign as ±1 floats and as packed bits (words of 64 channels). */
static void bn_row_scalar(const float *restrict r, const float *restrict g,
                          const float *restrict mu, const float *restrict is,
                          const float *restrict b, size_t cn, float *restrict o, float *restrict a,
                          uint64_t *restrict bits) {
  for (size_t j = 0; j < cn; ++j) {
    const float hv = g[j] * (r[j] - mu[j]) * is[j] + b[j];
    o[j] = hv;
    a[j] = hv < 0.0f ? -1.0f : 1.0f; /* bet_sign_pack's convention: NaN and −0 give +1 */
  }
  for (size_t w0 = 0; w0 < cn; w0 += 64) {
    const size_t we = (cn - w0) < 64 ? (cn - w0) : 64;
    uint64_t word = 0;
    for (size_t j = 0; j < we; ++j) word |= (uint64_t)(a[w0 + j] < 0.0f) << j;
    bits[w0 / 64] = word;
  }
}

#if BET_KERN_X86
/* The same, 16 lanes at a time: separate multiply, subtract and add (no FMA), so the same h. */
__attribute__((target("avx512f"))) static void bn_row_avx512(
    const float *restrict r, const float *restrict g, const float *restrict mu,
    const float *restrict is, const float *restrict b, size_t cn, float *restrict o,
    float *restrict a, uint64_t *restrict bits) {
  if (cn % 64) {
    bn_row_scalar(r, g, mu, is, b, cn, o, a, bits);
    return;
  }
  const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f), mone = _mm512_set1_ps(-1.0f);
  for (size_t w0 = 0; w0 < cn; w0 += 64) {
    uint64_t word = 0;
    for (size_t q = 0; q < 4; ++q) {
      const size_t j = w0 + 16 * q;
      const __m512 d = _mm512_sub_ps(_mm512_loadu_ps(r + j), _mm512_loadu_ps(mu + j));
      const __m512 hv = _mm512_add_ps(
          _mm512_mul_ps(_mm512_mul_ps(_mm512_loadu_ps(g + j), d), _mm512_loadu_ps(is + j)),
          _mm512_loadu_ps(b + j));
      const __mmask16 neg = _mm512_cmp_ps_mask(hv, zero, _CMP_LT_OQ);
      _mm512_storeu_ps(o + j, hv);
      _mm512_storeu_ps(a + j, _mm512_mask_blend_ps(neg, one, mone));
      word |= (uint64_t)neg << (16 * q);
    }
    bits[w0 / 64] = word;
  }
}
#endif

static void bn_sign_pack_slabs(void *vctx, size_t lo, size_t hi) {
  const bn_fwd_ctx *x = (const bn_fwd_ctx *)vctx;
  const size_t m = x->m, c = x->c;
  double s[BN_SLAB], q[BN_SLAB];
  float mu[BN_SLAB], is[BN_SLAB];
  void (*row)(const float *restrict, const float *restrict, const float *restrict,
              const float *restrict, const float *restrict, size_t, float *restrict,
              float *restrict, uint64_t *restrict) = bn_row_scalar;
#if BET_KERN_X86
  if (cpu_level() >= 1) row = bn_row_avx512;
#endif
  for (size_t sl = lo; sl < hi; ++sl) {
    const size_t c0 = sl * BN_SLAB, cn = (c - c0) < BN_SLAB ? (c - c0) : BN_SLAB;
    for (size_t j = 0; j < cn; ++j) s[j] = q[j] = 0.0;
    for (size_t i = 0; i < m; ++i) {
      const float *restrict r = x->z + i * c + c0;
      for (size_t j = 0; j < cn; ++j) s[j] += (double)r[j];
    }
    for (size_t j = 0; j < cn; ++j) mu[j] = x->mean[c0 + j] = (float)(s[j] / (double)m);
    for (size_t i = 0; i < m; ++i) {
      const float *restrict r = x->z + i * c + c0;
      for (size_t j = 0; j < cn; ++j) {
        const double d = (double)r[j] - (double)mu[j];
        q[j] += d * d;
      }
    }
    for (size_t j = 0; j < cn; ++j) {
      const double v = q[j] / (double)m;
      x->var[c0 + j] = (float)v;
      is[j] = x->invstd[c0 + j] = (float)(1.0 / sqrt(v + (double)x->eps));
    }
    for (size_t i = 0; i < m; ++i)
      row(x->z + i * c + c0, x->gamma + c0, mu, is, x->beta + c0, cn, x->h + i * c + c0,
          x->act + i * c + c0, x->bits + i * x->words + c0 / 64);
  }
}

void bet_bn_sign_pack_train(const float *z, size_t m, size_t c, const float *gamma,
                            const float *beta, float eps, float *h, float *mean, float *invstd,
                            float *var, float *act, uint64_t *bits) {
  if (m == 0 || c == 0) return;
  bn_fwd_ctx x = {z, gamma, beta, m, c, bet_packed_words(c), eps, h, mean, invstd, var, act, bits};
  const size_t slabs = (c + BN_SLAB - 1) / BN_SLAB;
  bet_parallel_for(slabs, (65536 + m * BN_SLAB - 1) / (m * BN_SLAB), bn_sign_pack_slabs, &x);
}

void bet_bn_sign_pack_train_ref(const float *z, size_t m, size_t c, const float *gamma,
                                const float *beta, float eps, float *h, float *mean, float *invstd,
                                float *var, float *act, uint64_t *bits) {
  bet_bn_forward_train(z, m, c, gamma, beta, eps, h, mean, invstd, var);
  bet_sign_pack(h, m, c, act, bits);
}

typedef struct bn_bwd_ctx {
  const float *h, *dx, *z, *gamma, *mean, *invstd;
  size_t m, c;
  float *dz, *dgamma, *dbeta;
} bn_bwd_ctx;

#if BET_KERN_X86
/* The upper 8 floats of a vector (AVX-512F only: no DQ needed). */
__attribute__((target("avx512f"))) static inline __m256 hi8(__m512 v) {
  return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
}

/* The STE-masked gradient d and the normalised input x̂ of 16 channels from j. */
__attribute__((target("avx512f"))) static inline void ste_xh16(
    const float *restrict hr, const float *restrict gr, const float *restrict zr,
    const float *restrict mu, const float *restrict is, size_t j, __m512 *d, __m512 *xh) {
  const __mmask16 live =
      _mm512_cmp_ps_mask(_mm512_abs_ps(_mm512_loadu_ps(hr + j)), _mm512_set1_ps(1.0f), _CMP_LE_OQ);
  *d = _mm512_maskz_mov_ps(live, _mm512_loadu_ps(gr + j));
  *xh = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(zr + j), _mm512_loadu_ps(mu + j)),
                      _mm512_loadu_ps(is + j));
}

/* The sums of one row of a slab (cn a multiple of 16), per lane the operations of the scalar
 * loop below: float select and products, conversion to double, double adds in row order. */
__attribute__((target("avx512f"))) static void ste_bn_sums_avx512(
    const float *restrict hr, const float *restrict gr, const float *restrict zr,
    const float *restrict mu, const float *restrict is, size_t cn, double *restrict sb,
    double *restrict sg) {
  for (size_t j = 0; j < cn; j += 16) {
    __m512 d, xh;
    ste_xh16(hr, gr, zr, mu, is, j, &d, &xh);
    const __m512 dx = _mm512_mul_ps(d, xh);
    _mm512_storeu_pd(
        sb + j, _mm512_add_pd(_mm512_loadu_pd(sb + j), _mm512_cvtps_pd(_mm512_castps512_ps256(d))));
    _mm512_storeu_pd(sb + j + 8,
                     _mm512_add_pd(_mm512_loadu_pd(sb + j + 8), _mm512_cvtps_pd(hi8(d))));
    _mm512_storeu_pd(sg + j, _mm512_add_pd(_mm512_loadu_pd(sg + j),
                                           _mm512_cvtps_pd(_mm512_castps512_ps256(dx))));
    _mm512_storeu_pd(sg + j + 8,
                     _mm512_add_pd(_mm512_loadu_pd(sg + j + 8), _mm512_cvtps_pd(hi8(dx))));
  }
}

/* dz of one row of a slab, the scalar expression lane by lane (no FMA). */
__attribute__((target("avx512f"))) static void ste_bn_dz_avx512(
    const float *restrict hr, const float *restrict gr, const float *restrict zr,
    const float *restrict mu, const float *restrict is, const float *restrict f,
    const float *restrict db, const float *restrict dg, float fm, size_t cn, float *restrict o) {
  const __m512 vm = _mm512_set1_ps(fm);
  for (size_t j = 0; j < cn; j += 16) {
    __m512 d, xh;
    ste_xh16(hr, gr, zr, mu, is, j, &d, &xh);
    const __m512 t = _mm512_sub_ps(_mm512_sub_ps(_mm512_mul_ps(vm, d), _mm512_loadu_ps(db + j)),
                                   _mm512_mul_ps(xh, _mm512_loadu_ps(dg + j)));
    _mm512_storeu_ps(o + j, _mm512_mul_ps(_mm512_loadu_ps(f + j), t));
  }
}
#endif

static void ste_bn_backward_slabs(void *vctx, size_t lo, size_t hi) {
  const bn_bwd_ctx *x = (const bn_bwd_ctx *)vctx;
  const size_t m = x->m, c = x->c;
  double sb[BN_SLAB], sg[BN_SLAB];
  float mu[BN_SLAB], is[BN_SLAB], db[BN_SLAB], dg[BN_SLAB], f[BN_SLAB];
  for (size_t sl = lo; sl < hi; ++sl) {
    const size_t c0 = sl * BN_SLAB, cn = (c - c0) < BN_SLAB ? (c - c0) : BN_SLAB;
    for (size_t j = 0; j < cn; ++j) {
      sb[j] = sg[j] = 0.0;
      mu[j] = x->mean[c0 + j];
      is[j] = x->invstd[c0 + j];
    }
    const int vec = cn % 16 == 0 && cpu_level() >= 1;
    for (size_t i = 0; i < m; ++i) {
      const float *restrict hr = x->h + i * c + c0, *restrict gr = x->dx + i * c + c0,
                            *restrict zr = x->z + i * c + c0;
#if BET_KERN_X86
      if (vec) {
        ste_bn_sums_avx512(hr, gr, zr, mu, is, cn, sb, sg);
        continue;
      }
#endif
      for (size_t j = 0; j < cn; ++j) {
        const float g = gr[j]; /* the STE of hardtanh + sign, as bet_ste_backward */
        const float d = fabsf(hr[j]) <= 1.0f ? g : 0.0f;
        const float xh = (zr[j] - mu[j]) * is[j];
        sb[j] += (double)d;
        sg[j] += (double)(d * xh);
      }
    }
    const float inv_m = 1.0f / (float)m, fm = (float)m;
    for (size_t j = 0; j < cn; ++j) {
      db[j] = x->dbeta[c0 + j] = (float)sb[j];
      dg[j] = x->dgamma[c0 + j] = (float)sg[j];
      f[j] = x->gamma[c0 + j] * is[j] * inv_m;
    }
    for (size_t i = 0; i < m; ++i) {
      const float *restrict hr = x->h + i * c + c0, *restrict gr = x->dx + i * c + c0,
                            *restrict zr = x->z + i * c + c0;
      float *restrict o = x->dz + i * c + c0;
#if BET_KERN_X86
      if (vec) {
        ste_bn_dz_avx512(hr, gr, zr, mu, is, f, db, dg, fm, cn, o);
        continue;
      }
#endif
      for (size_t j = 0; j < cn; ++j) {
        const float g = gr[j];
        const float d = fabsf(hr[j]) <= 1.0f ? g : 0.0f;
        const float xh = (zr[j] - mu[j]) * is[j];
        o[j] = f[j] * (fm * d - db[j] - xh * dg[j]);
      }
    }
  }
}

void bet_ste_bn_backward(const float *h, const float *dx, const float *z, size_t m, size_t c,
                         const float *gamma, const float *mean, const float *invstd, float *dz,
                         float *dgamma, float *dbeta) {
  if (m == 0 || c == 0) return;
  bn_bwd_ctx x = {h, dx, z, gamma, mean, invstd, m, c, dz, dgamma, dbeta};
  const size_t slabs = (c + BN_SLAB - 1) / BN_SLAB;
  bet_parallel_for(slabs, (65536 + m * BN_SLAB - 1) / (m * BN_SLAB), ste_bn_backward_slabs, &x);
}

void bet_ste_bn_backward_ref(const float *h, const float *dx, const float *z, size_t m, size_t c,
                             const float *gamma, const float *mean, const float *invstd, float *dh,
                             float *dz, float *dgamma, float *dbeta) {
  bet_ste_backward(h, m * c, dx, dh);
  bet_bn_backward(z, m, c, gamma, mean, invstd, dh, dz, dgamma, dbeta);
}

/* ---- float × ±1 products for the backward pass ---------------------------------------------- */

/* Y[r][i] = Σ_t A(t, r)·S[t][i] with S ∈ {±1} given as packed rows (bit 1 = −1): the reduction is
 * cut into groups of 4 rows of S, and for each (r, group) the 16 signed sums of the group's 4
 * A values are tabulated; every output then adds one table entry per group, picked by the
 * 4 sign bits of its column (VPERMPS on a 16-entry table). Products with ±1 are exact, so this
 * is the same sum as a GEMM in another association: ((±a0 ± a1) ± a2) ± a3 per group, groups
 * added in order from 0. The split between threads is by blocks of 4 output rows, so the
 * result does not depend on the thread count. */
#define PM1_RB 4 /* output rows per block (tables built per block) */

typedef struct pm1_ctx {
  const float *a;
  size_t sa_t, sa_r; /* A(t, r) = a[t·sa_t + r·sa_r] */
  const uint64_t *s; /* nt rows of ⌈ni/64⌉ words */
  size_t nr, nt, ni, words, groups;
  const uint8_t *nib; /* groups × ni sign nibbles */
  float *y;
} pm1_ctx;

/* The table of one (r, group): entry v = Σ_u (bit u of v ? −a_u : a_u), added in u order. */
static void pm1_table(const pm1_ctx *c, size_t r, size_t g, float *tab) {
  float a[4];
  for (size_t u = 0; u < 4; ++u) {
    const size_t t = 4 * g + u;
    a[u] = t < c->nt ? c->a[t * c->sa_t + r * c->sa_r] : 0.0f;
  }
  for (unsigned v = 0; v < 16; ++v) {
    float s = (v & 1) ? -a[0] : a[0];
    s = s + ((v & 2) ? -a[1] : a[1]);
    s = s + ((v & 4) ? -a[2] : a[2]);
    s = s + ((v & 8) ? -a[3] : a[3]);
    tab[v] = s;
  }
}

static void pm1_nibbles(void *vctx, size_t lo, size_t hi) {
  const pm1_ctx *c = (const pm1_ctx *)vctx;
  uint8_t *nib = (uint8_t *)c->nib;
  for (size_t g = lo; g < hi; ++g)
    for (size_t i = 0; i < c->ni; ++i) {
      unsigned v = 0;
      for (size_t u = 0; u < 4; ++u) {
        const size_t t = 4 * g + u;
        if (t < c->nt) v |= (unsigned)((c->s[t * c->words + i / 64] >> (i % 64)) & 1) << u;
      }
      nib[g * c->ni + i] = (uint8_t)v;
    }
}

static void pm1_rows_ref(void *vctx, size_t lo, size_t hi) {
  const pm1_ctx *c = (const pm1_ctx *)vctx;
  float tab[16];
  for (size_t r = lo; r < hi; ++r) {
    float *y = c->y + r * c->ni;
    for (size_t i = 0; i < c->ni; ++i) y[i] = 0.0f;
    for (size_t g = 0; g < c->groups; ++g) {
      pm1_table(c, r, g, tab);
      const uint8_t *nb = c->nib + g * c->ni;
      for (size_t i = 0; i < c->ni; ++i) y[i] = y[i] + tab[nb[i]];
    }
  }
}

void bet_pm1_gemm_ref(const float *a, size_t sa_t, size_t sa_r, const uint64_t *s, size_t nr,
                      size_t nt, size_t ni, float *y) {
  if (nr == 0 || ni == 0) return;
  const size_t groups = (nt + 3) / 4;
  uint8_t *nib = (uint8_t *)bnn_malloc(groups * ni + 1);
  if (!nib) { /* no memory for the nibbles: the plain sum in the same association */
    for (size_t r = 0; r < nr; ++r)
      for (size_t i = 0; i < ni; ++i) {
        float acc = 0.0f;
        for (size_t g = 0; g < groups; ++g) {
          float e = 0.0f;
          for (size_t u = 0; u < 4 && 4 * g + u < nt; ++u) {
            const size_t t = 4 * g + u;
            const float v = a[t * sa_t + r * sa_r];
            const float sv = ((s[t * ((ni + 63) / 64) + i / 64] >> (i % 64)) & 1) ? -v : v;
            e = u == 0 ? sv : e + sv;
          }
          acc = acc + e;
        }
        y[r * ni + i] = acc;
      }
    return;
  }
  pm1_ctx c = {a, sa_t, sa_r, s, nr, nt, ni, (ni + 63) / 64, groups, nib, y};
  pm1_nibbles(&c, 0, groups);
  pm1_rows_ref(&c, 0, nr);
  bnn_free(nib);
}

#if BET_KERN_X86
/* AVX-512BW nibbles: 64 columns at a time, the 4 rows' words as byte masks. */
__attribute__((target("avx512f,avx512bw"))) static void pm1_nibbles_avx512(void *vctx, size_t lo,
                                                                           size_t hi) {
  const pm1_ctx *c = (const pm1_ctx *)vctx;
  uint8_t *nib = (uint8_t *)c->nib;
  for (size_t g = lo; g < hi; ++g) {
    for (size_t w = 0; w < c->words; ++w) {
      __m512i v = _mm512_setzero_si512();
      for (size_t u = 0; u < 4; ++u) {
        const size_t t = 4 * g + u;
        if (t >= c->nt) break;
        v = _mm512_or_si512(
            v, _mm512_maskz_set1_epi8((__mmask64)c->s[t * c->words + w], (char)(1 << u)));
      }
      const size_t i0 = w * 64, n = (c->ni - i0) < 64 ? (c->ni - i0) : 64;
      _mm512_mask_storeu_epi8(nib + g * c->ni + i0,
                              n == 64 ? ~(__mmask64)0 : (((__mmask64)1 << n) - 1), v);
    }
  }
}

/* pm1_table in 16 lanes: −a is a's sign bit flipped, so XOR with per-lane sign masks and the adds
 * in the same order give the same floats. */
__attribute__((target("avx512f"))) static void pm1_table_avx512(const pm1_ctx *c, size_t r,
                                                                size_t g, float *tab) {
  const __m512i m0 = _mm512_set_epi32((int)0x80000000, 0, (int)0x80000000, 0, (int)0x80000000, 0,
                                      (int)0x80000000, 0, (int)0x80000000, 0, (int)0x80000000, 0,
                                      (int)0x80000000, 0, (int)0x80000000, 0);
  const __m512i m1 = _mm512_set_epi32((int)0x80000000, (int)0x80000000, 0, 0, (int)0x80000000,
                                      (int)0x80000000, 0, 0, (int)0x80000000, (int)0x80000000, 0, 0,
                                      (int)0x80000000, (int)0x80000000, 0, 0);
  const __m512i m2 = _mm512_set_epi32((int)0x80000000, (int)0x80000000, (int)0x80000000,
                                      (int)0x80000000, 0, 0, 0, 0, (int)0x80000000, (int)0x80000000,
                                      (int)0x80000000, (int)0x80000000, 0, 0, 0, 0);
  const __m512i m3 = _mm512_set_epi32((int)0x80000000, (int)0x80000000, (int)0x80000000,
                                      (int)0x80000000, (int)0x80000000, (int)0x80000000,
                                      (int)0x80000000, (int)0x80000000, 0, 0, 0, 0, 0, 0, 0, 0);
  float a[4];
  for (size_t u = 0; u < 4; ++u) {
    const size_t t = 4 * g + u;
    a[u] = t < c->nt ? c->a[t * c->sa_t + r * c->sa_r] : 0.0f;
  }
  const __m512 v0 =
      _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(_mm512_set1_ps(a[0])), m0));
  const __m512 v1 =
      _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(_mm512_set1_ps(a[1])), m1));
  const __m512 v2 =
      _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(_mm512_set1_ps(a[2])), m2));
  const __m512 v3 =
      _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(_mm512_set1_ps(a[3])), m3));
  _mm512_storeu_ps(tab, _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(v0, v1), v2), v3));
}

/* PM1_RB output rows × 64 columns in 16 accumulators; per group: 4 table loads, 4 nibble
 * expansions, 16 VPERMPS + 16 adds (the adds in group order, as the reference). */
__attribute__((target("avx512f,avx512bw"))) static void pm1_rows_avx512(void *vctx, size_t lo,
                                                                        size_t hi) {
  const pm1_ctx *c = (const pm1_ctx *)vctx;
  const size_t G = c->groups, ni = c->ni;
  float *tabs = (float *)bnn_malloc(PM1_RB * G * 16 * sizeof(float));
  if (!tabs) {
    pm1_rows_ref(vctx, lo * PM1_RB, hi * PM1_RB < c->nr ? hi * PM1_RB : c->nr);
    return;
  }
  for (size_t rb = lo; rb < hi; ++rb) {
    const size_t r0 = rb * PM1_RB, rn = (c->nr - r0) < PM1_RB ? (c->nr - r0) : PM1_RB;
    if (rn < PM1_RB || ni % 64) {
      pm1_rows_ref(vctx, r0, r0 + rn);
      continue;
    }
    for (size_t q = 0; q < PM1_RB; ++q)
      for (size_t g = 0; g < G; ++g) pm1_table_avx512(c, r0 + q, g, tabs + (q * G + g) * 16);
    const float *t0 = tabs, *t1 = tabs + G * 16, *t2 = tabs + 2 * G * 16, *t3 = tabs + 3 * G * 16;
    for (size_t i0 = 0; i0 < ni; i0 += 64) {
      __m512 a00 = _mm512_setzero_ps(), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00,
             a12 = a00, a13 = a00, a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00,
             a32 = a00, a33 = a00;
      const uint8_t *nb = c->nib + i0;
      for (size_t g = 0; g < G; ++g, nb += ni) {
        const __m512 T0 = _mm512_loadu_ps(t0 + g * 16), T1 = _mm512_loadu_ps(t1 + g * 16),
                     T2 = _mm512_loadu_ps(t2 + g * 16), T3 = _mm512_loadu_ps(t3 + g * 16);
        const __m512i x0 = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)nb));
        const __m512i x1 = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(nb + 16)));
        const __m512i x2 = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(nb + 32)));
        const __m512i x3 = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(nb + 48)));
        a00 = _mm512_add_ps(a00, _mm512_permutexvar_ps(x0, T0));
        a01 = _mm512_add_ps(a01, _mm512_permutexvar_ps(x1, T0));
        a02 = _mm512_add_ps(a02, _mm512_permutexvar_ps(x2, T0));
        a03 = _mm512_add_ps(a03, _mm512_permutexvar_ps(x3, T0));
        a10 = _mm512_add_ps(a10, _mm512_permutexvar_ps(x0, T1));
        a11 = _mm512_add_ps(a11, _mm512_permutexvar_ps(x1, T1));
        a12 = _mm512_add_ps(a12, _mm512_permutexvar_ps(x2, T1));
        a13 = _mm512_add_ps(a13, _mm512_permutexvar_ps(x3, T1));
        a20 = _mm512_add_ps(a20, _mm512_permutexvar_ps(x0, T2));
        a21 = _mm512_add_ps(a21, _mm512_permutexvar_ps(x1, T2));
        a22 = _mm512_add_ps(a22, _mm512_permutexvar_ps(x2, T2));
        a23 = _mm512_add_ps(a23, _mm512_permutexvar_ps(x3, T2));
        a30 = _mm512_add_ps(a30, _mm512_permutexvar_ps(x0, T3));
        a31 = _mm512_add_ps(a31, _mm512_permutexvar_ps(x1, T3));
        a32 = _mm512_add_ps(a32, _mm512_permutexvar_ps(x2, T3));
        a33 = _mm512_add_ps(a33, _mm512_permutexvar_ps(x3, T3));
      }
      float *y = c->y + r0 * ni + i0;
      _mm512_storeu_ps(y, a00);
      _mm512_storeu_ps(y + 16, a01);
      _mm512_storeu_ps(y + 32, a02);
      _mm512_storeu_ps(y + 48, a03);
      _mm512_storeu_ps(y + ni, a10);
      _mm512_storeu_ps(y + ni + 16, a11);
      _mm512_storeu_ps(y + ni + 32, a12);
      _mm512_storeu_ps(y + ni + 48, a13);
      _mm512_storeu_ps(y + 2 * ni, a20);
      _mm512_storeu_ps(y + 2 * ni + 16, a21);
      _mm512_storeu_ps(y + 2 * ni + 32, a22);
      _mm512_storeu_ps(y + 2 * ni + 48, a23);
      _mm512_storeu_ps(y + 3 * ni, a30);
      _mm512_storeu_ps(y + 3 * ni + 16, a31);
      _mm512_storeu_ps(y + 3 * ni + 32, a32);
      _mm512_storeu_ps(y + 3 * ni + 48, a33);
    }
  }
  bnn_free(tabs);
}
#endif

/* The threaded product (AVX-512 when the CPU has F + BW, else the reference loops on the same
 * nibbles): identical floats to bet_pm1_gemm_ref. Returns 0, or −1 when out of memory (nothing
 * written). */
int bet_pm1_gemm(const float *a, size_t sa_t, size_t sa_r, const uint64_t *s, size_t nr, size_t nt,
                 size_t ni, float *y) {
  if (nr == 0 || ni == 0) return 0;
  const size_t groups = (nt + 3) / 4;
  uint8_t *nib = (uint8_t *)bnn_malloc(groups * ni + 1);
  if (!nib) return -1;
  pm1_ctx c = {a, sa_t, sa_r, s, nr, nt, ni, (ni + 63) / 64, groups, nib, y};
  bet_par_fn nfn = pm1_nibbles, rfn = NULL;
#if BET_KERN_X86
  if (cpu_level() >= 2) {
    nfn = pm1_nibbles_avx512;
    rfn = pm1_rows_avx512;
  }
#endif
  bet_parallel_for(groups, (65536 + ni - 1) / ni, nfn, &c);
  if (rfn) {
    const size_t blocks = (nr + PM1_RB - 1) / PM1_RB;
    bet_parallel_for(blocks, (1048576 + PM1_RB * nt * ni - 1) / (PM1_RB * nt * ni) + 1, rfn, &c);
  } else {
    bet_parallel_for(nr, 1, pm1_rows_ref, &c);
  }
  bnn_free(nib);
  return 0;
}

const char *bet_pm1_gemm_kernel(void) {
  return cpu_level() >= 2 ? "avx512-vpermps" : "ref";
}
