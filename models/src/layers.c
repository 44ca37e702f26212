/* layers.c — libbet's float building blocks: GEMM layers, im2col, batch norm, STE, max-pool,
 * output scale, losses, Adam and the batch-norm + sign folding. */
#include "bet/layers.h"
#include "bet_impl.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <string.h>

/* Deterministic GEMMs (issue 14). OpenBLAS splits a multi-threaded GEMM by the thread count, and
 * its kernels sum some elements in another order at the split's edges: `train --threads 1` and
 * `--threads 2` gave different weights. Here every GEMM is cut into blocks of a fixed size
 * (GEMM_BLOCK rows × GEMM_BLOCK columns of the output, whatever the thread count; never across the
 * reduction dimension), each block one single-threaded OpenBLAS call (bet_set_threads keeps
 * OpenBLAS at 1 thread), and libbet's threads share the blocks: each output element is then
 * computed by the same call on the same operands for any thread count. (The weight gradient sums
 * over the batch rows, so only its output rows are cut.) */
#define GEMM_BLOCK 512

typedef struct gemm_job {
  const float *a, *b;
  float *c;
  size_t m, n, k;
  float beta;
  int kind;          /* 0: forward, 1: dx, 2: dw */
  size_t row_blocks; /* blocks along the output's rows (forward, dx: m; dw: 1) */
} gemm_job;

static size_t min_sz(size_t a, size_t b) {
  return a < b ? a : b;
}

static void gemm_blocks(void *ctx, size_t lo, size_t hi) {
  const gemm_job *g = (const gemm_job *)ctx;
  for (size_t blk = lo; blk < hi; ++blk) {
    const size_t i0 = (blk % g->row_blocks) * GEMM_BLOCK, j0 = (blk / g->row_blocks) * GEMM_BLOCK;
    if (g->kind == 0) { /* y[i0:i1, j0:j1] = x[i0:i1, :] · w[j0:j1, :]ᵀ */
      const size_t mb = min_sz(g->m - i0, GEMM_BLOCK), nb = min_sz(g->n - j0, GEMM_BLOCK);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)mb, (blasint)nb, (blasint)g->k,
                  1.0f, g->a + i0 * g->k, (blasint)g->k, g->b + j0 * g->k, (blasint)g->k, 0.0f,
                  g->c + i0 * g->n + j0, (blasint)g->n);
    } else if (g->kind == 1) { /* dx[i0:i1, j0:j1] = dy[i0:i1, :] · w[:, j0:j1] */
      const size_t mb = min_sz(g->m - i0, GEMM_BLOCK), kb = min_sz(g->k - j0, GEMM_BLOCK);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)mb, (blasint)kb,
                  (blasint)g->n, 1.0f, g->a + i0 * g->n, (blasint)g->n, g->b + j0, (blasint)g->k,
                  0.0f, g->c + i0 * g->k + j0, (blasint)g->k);
    } else { /* dw[j0:j1, :] (+)= dy[:, j0:j1]ᵀ · x */
      const size_t nb = min_sz(g->n - j0, GEMM_BLOCK);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (blasint)nb, (blasint)g->k,
                  (blasint)g->m, 1.0f, g->a + j0, (blasint)g->n, g->b, (blasint)g->k, g->beta,
                  g->c + j0 * g->k, (blasint)g->k);
    }
  }
}

static void gemm_run(gemm_job *g, size_t rows, size_t cols) {
  g->row_blocks = (rows + GEMM_BLOCK - 1) / GEMM_BLOCK;
  const size_t blocks = g->row_blocks * ((cols + GEMM_BLOCK - 1) / GEMM_BLOCK);
  if (blocks == 1)
    gemm_blocks(g, 0, 1);
  else
    bet_parallel_for(blocks, 1, gemm_blocks, g);
}

void bet_dense_forward(const float *x, size_t m, size_t k, const float *w, size_t n, float *y) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    memset(y, 0, m * n * sizeof *y);
    return;
  }
  gemm_job g = {x, w, y, m, n, k, 0.0f, 0, 1};
  gemm_run(&g, m, n);
}

void bet_dense_backward(const float *x, size_t m, size_t k, const float *w, size_t n,
                        const float *dy, float *dx, float *dw, int accumulate) {
  if (k == 0 || n == 0) return;
  if (dx) {
    if (m > 0) {
      gemm_job g = {dy, w, dx, m, n, k, 0.0f, 1, 1};
      gemm_run(&g, m, k);
    }
  }
  if (dw) {
    if (m == 0) {
      if (!accumulate) memset(dw, 0, n * k * sizeof *dw);
      return;
    }
    gemm_job g = {dy, x, dw, m, n, k, accumulate ? 1.0f : 0.0f, 2, 1};
    gemm_run(&g, 1, n);
  }
}

void bet_im2col3x3(const float *in, size_t n, size_t h, size_t w, size_t c, float *cols) {
  const size_t row = 9 * c;
  for (size_t b = 0; b < n; ++b) {
    const float *img = in + b * h * w * c;
    for (size_t y = 0; y < h; ++y) {
      for (size_t x = 0; x < w; ++x) {
        float *dst = cols + ((b * h + y) * w + x) * row;
        for (int ky = 0; ky < 3; ++ky) {
          const long sy = (long)y + ky - 1;
          for (int kx = 0; kx < 3; ++kx) {
            const long sx = (long)x + kx - 1;
            float *d = dst + (size_t)(ky * 3 + kx) * c;
            if (sy < 0 || sx < 0 || sy >= (long)h || sx >= (long)w)
              memset(d, 0, c * sizeof *d);
            else
              memcpy(d, img + ((size_t)sy * w + (size_t)sx) * c, c * sizeof *d);
          }
        }
      }
    }
  }
}

void bet_col2im3x3(const float *dcols, size_t n, size_t h, size_t w, size_t c, float *din) {
  const size_t row = 9 * c;
  memset(din, 0, n * h * w * c * sizeof *din);
  for (size_t b = 0; b < n; ++b) {
    float *img = din + b * h * w * c;
    for (size_t y = 0; y < h; ++y) {
      for (size_t x = 0; x < w; ++x) {
        const float *src = dcols + ((b * h + y) * w + x) * row;
        for (int ky = 0; ky < 3; ++ky) {
          const long sy = (long)y + ky - 1;
          if (sy < 0 || sy >= (long)h) continue;
          for (int kx = 0; kx < 3; ++kx) {
            const long sx = (long)x + kx - 1;
            if (sx < 0 || sx >= (long)w) continue;
            const float *s = src + (size_t)(ky * 3 + kx) * c;
            float *d = img + ((size_t)sy * w + (size_t)sx) * c;
            for (size_t i = 0; i < c; ++i) d[i] += s[i];
          }
        }
      }
    }
  }
}

/* Column sums in double over rows, so that a channel's statistics do not depend on how rows are
 * split between threads (there is only one order: row by row). */
void bet_bn_forward_train(const float *z, size_t m, size_t c, const float *gamma, const float *beta,
                          float eps, float *h, float *mean, float *invstd, float *var) {
  double sbuf[512];
  double qbuf[512];
  for (size_t c0 = 0; c0 < c; c0 += 512) {
    const size_t cn = (c - c0) < 512 ? (c - c0) : 512;
    for (size_t j = 0; j < cn; ++j) sbuf[j] = qbuf[j] = 0.0;
    for (size_t i = 0; i < m; ++i) {
      const float *r = z + i * c + c0;
      for (size_t j = 0; j < cn; ++j) sbuf[j] += (double)r[j];
    }
    for (size_t j = 0; j < cn; ++j) mean[c0 + j] = (float)(sbuf[j] / (double)m);
    for (size_t i = 0; i < m; ++i) {
      const float *r = z + i * c + c0;
      for (size_t j = 0; j < cn; ++j) {
        const double d = (double)r[j] - (double)mean[c0 + j];
        qbuf[j] += d * d;
      }
    }
    for (size_t j = 0; j < cn; ++j) {
      const double v = qbuf[j] / (double)m;
      var[c0 + j] = (float)v;
      invstd[c0 + j] = (float)(1.0 / sqrt(v + (double)eps));
    }
  }
  for (size_t i = 0; i < m; ++i) {
    const float *r = z + i * c;
    float *o = h + i * c;
    for (size_t j = 0; j < c; ++j) o[j] = gamma[j] * (r[j] - mean[j]) * invstd[j] + beta[j];
  }
}

void bet_bn_forward_eval(const float *z, size_t m, size_t c, const float *gamma, const float *beta,
                         const float *run_mean, const float *run_var, float eps, float *h) {
  for (size_t i = 0; i < m; ++i)
    for (size_t j = 0; j < c; ++j)
      h[i * c + j] = gamma[j] * (z[i * c + j] - run_mean[j]) / sqrtf(run_var[j] + eps) + beta[j];
}

/* dz = γ·invstd/M · (M·dh − Σdh − x̂·Σ(dh·x̂)), x̂ = (z − μ)·invstd. */
void bet_bn_backward(const float *z, size_t m, size_t c, const float *gamma, const float *mean,
                     const float *invstd, const float *dh, float *dz, float *dgamma, float *dbeta) {
  double sb[512];
  double sg[512];
  for (size_t c0 = 0; c0 < c; c0 += 512) {
    const size_t cn = (c - c0) < 512 ? (c - c0) : 512;
    for (size_t j = 0; j < cn; ++j) sb[j] = sg[j] = 0.0;
    for (size_t i = 0; i < m; ++i) {
      const float *zr = z + i * c + c0;
      const float *dr = dh + i * c + c0;
      for (size_t j = 0; j < cn; ++j) {
        const float xh = (zr[j] - mean[c0 + j]) * invstd[c0 + j];
        sb[j] += (double)dr[j];
        sg[j] += (double)(dr[j] * xh);
      }
    }
    for (size_t j = 0; j < cn; ++j) {
      dbeta[c0 + j] = (float)sb[j];
      dgamma[c0 + j] = (float)sg[j];
    }
  }
  const float inv_m = 1.0f / (float)m;
  for (size_t i = 0; i < m; ++i) {
    const float *zr = z + i * c;
    const float *dr = dh + i * c;
    float *o = dz + i * c;
    for (size_t j = 0; j < c; ++j) {
      const float xh = (zr[j] - mean[j]) * invstd[j];
      o[j] = gamma[j] * invstd[j] * inv_m * ((float)m * dr[j] - dbeta[j] - xh * dgamma[j]);
    }
  }
}

void bet_bn_update_running(size_t m, size_t c, const float *mean, const float *var, float momentum,
                           float *run_mean, float *run_var) {
  const float unbias = m > 1 ? (float)m / (float)(m - 1) : 1.0f;
  for (size_t j = 0; j < c; ++j) {
    run_mean[j] = (1.0f - momentum) * run_mean[j] + momentum * mean[j];
    run_var[j] = (1.0f - momentum) * run_var[j] + momentum * var[j] * unbias;
  }
}

/* d/du of max(0, b − |u|/√n) is −sign(u)/√n inside the hinge; u = (z − μ) + β·s/γ with
 * s = √(σ² + eps) = 1/invstd, so for channel j with G = Σ_i g_i (g_i the weighted du of row i):
 *   dz_k = g_k − G/m + (β/γ)·G·(z_k − μ)/(m·s)   (∂μ/∂z_k = 1/m, ∂s/∂z_k = (z_k − μ)/(m·s))
 *   dβ = G·s/γ,  dγ = −G·β·s/γ². */
static double margin_reg(const float *z, size_t m, size_t c, const float *gamma, const float *beta,
                         const float *mean, const float *invstd, double rsn1, const double *rsnv,
                         double b, double weight, float *dz, float *dgamma, float *dbeta) {
  double total = 0.0;
  double off[256], gsum[256];
  for (size_t c0 = 0; c0 < c; c0 += 256) {
    const size_t cn = (c - c0) < 256 ? (c - c0) : 256;
    for (size_t j = 0; j < cn; ++j) {
      const double g = (double)gamma[c0 + j];
      /* γ = 0 (or a degenerate invstd): the output never switches, nothing to penalise */
      off[j] = g != 0.0 && invstd[c0 + j] > 0.0f
                   ? (double)beta[c0 + j] / (g * (double)invstd[c0 + j])
                   : (double)NAN;
      gsum[j] = 0.0;
    }
    for (size_t i = 0; i < m; ++i) {
      const float *zr = z + i * c + c0;
      const double rsn = rsnv ? rsnv[i] : rsn1;
      if (!(isfinite(rsn) && rsn > 0.0)) continue;
      for (size_t j = 0; j < cn; ++j) {
        if (!isfinite(off[j])) continue;
        const double u = ((double)zr[j] - (double)mean[c0 + j]) + off[j];
        const double h = b - fabs(u) * rsn;
        if (h > 0.0) {
          total += h;
          gsum[j] += u >= 0.0 ? -rsn : rsn;
        }
      }
    }
    if (!dz) continue;
    for (size_t i = 0; i < m; ++i) {
      const float *zr = z + i * c + c0;
      float *o = dz + i * c + c0;
      const double rsn = rsnv ? rsnv[i] : rsn1;
      const int live = isfinite(rsn) && rsn > 0.0;
      for (size_t j = 0; j < cn; ++j) {
        if (!isfinite(off[j]) || gsum[j] == 0.0) continue;
        const double u = ((double)zr[j] - (double)mean[c0 + j]) + off[j];
        const double gi = live && b - fabs(u) * rsn > 0.0 ? (u >= 0.0 ? -rsn : rsn) : 0.0;
        const double G = gsum[j];
        const double is = (double)invstd[c0 + j];
        const double corr = -G / (double)m + ((double)beta[c0 + j] / (double)gamma[c0 + j]) * G *
                                                 ((double)zr[j] - (double)mean[c0 + j]) * is /
                                                 (double)m;
        o[j] += (float)(weight * (gi + corr));
      }
    }
    for (size_t j = 0; j < cn; ++j) {
      if (!isfinite(off[j]) || gsum[j] == 0.0) continue;
      const double g = (double)gamma[c0 + j], s = 1.0 / (double)invstd[c0 + j];
      dbeta[c0 + j] += (float)(weight * gsum[j] * s / g);
      dgamma[c0 + j] += (float)(weight * -gsum[j] * (double)beta[c0 + j] * s / (g * g));
    }
  }
  return total;
}

double bet_margin_reg(const float *z, size_t m, size_t c, const float *gamma, const float *beta,
                      const float *mean, const float *invstd, size_t fan_in, double b,
                      double weight, float *dz, float *dgamma, float *dbeta) {
  return margin_reg(z, m, c, gamma, beta, mean, invstd, 1.0 / sqrt((double)fan_in), NULL, b, weight,
                    dz, dgamma, dbeta);
}

double bet_margin_reg_rows(const float *z, size_t m, size_t c, const float *gamma,
                           const float *beta, const float *mean, const float *invstd,
                           const double *rsn, double b, double weight, float *dz, float *dgamma,
                           float *dbeta) {
  return margin_reg(z, m, c, gamma, beta, mean, invstd, 0.0, rsn, b, weight, dz, dgamma, dbeta);
}

void bet_sign(const float *x, size_t n, float *out) {
  /* x < 0 → −1, else +1 (so NaN and −0 give +1, as bet_sign_pack does). */
  for (size_t i = 0; i < n; ++i) out[i] = x[i] < 0.0f ? -1.0f : 1.0f;
}

typedef struct ste_ctx {
  const float *x, *dy;
  float *dx;
} ste_ctx;

static void ste_range(void *vctx, size_t lo, size_t hi) {
  const ste_ctx *c = (const ste_ctx *)vctx;
  const float *x = c->x, *dy = c->dy;
  float *dx = c->dx;
  /* dy loaded unconditionally: a select, not a branch on a random mask (vectorises) */
  for (size_t i = lo; i < hi; ++i) {
    const float g = dy[i];
    dx[i] = fabsf(x[i]) <= 1.0f ? g : 0.0f;
  }
}

void bet_ste_backward(const float *x, size_t n, const float *dy, float *dx) {
  ste_ctx c = {x, dy, dx};
  bet_parallel_for(n, 65536, ste_range, &c); /* elementwise: any split gives the same values */
}

void bet_maxpool2_forward(const float *in, size_t n, size_t h, size_t w, size_t c, float *out,
                          uint32_t *argmax) {
  const size_t oh = h / 2, ow = w / 2;
  for (size_t b = 0; b < n; ++b)
    for (size_t y = 0; y < oh; ++y)
      for (size_t x = 0; x < ow; ++x) {
        const size_t o = ((b * oh + y) * ow + x) * c;
        const size_t i00 = ((b * h + 2 * y) * w + 2 * x) * c;
        const size_t offs[4] = {i00, i00 + c, i00 + w * c, i00 + w * c + c};
        for (size_t j = 0; j < c; ++j) {
          size_t best = offs[0] + j;
          for (int q = 1; q < 4; ++q)
            if (in[offs[q] + j] > in[best]) best = offs[q] + j;
          out[o + j] = in[best];
          argmax[o + j] = (uint32_t)best;
        }
      }
}

void bet_maxpool2_backward(const float *dout, size_t n_out, const uint32_t *argmax, size_t n_in,
                           float *din) {
  memset(din, 0, n_in * sizeof *din);
  for (size_t i = 0; i < n_out; ++i) din[argmax[i]] += dout[i];
}

void bet_scale_forward(const float *a, size_t n, float s, float *y) {
  for (size_t i = 0; i < n; ++i) y[i] = s * a[i];
}

float bet_scale_backward(const float *a, size_t n, float s, const float *dy, float *da) {
  double ds = 0.0;
  for (size_t i = 0; i < n; ++i) {
    ds += (double)dy[i] * (double)a[i];
    if (da) da[i] = s * dy[i];
  }
  return (float)ds;
}

double bet_loss_ce(const float *logits, size_t m, size_t k, const uint8_t *labels, float *dlogits) {
  double total = 0.0;
  for (size_t i = 0; i < m; ++i) {
    const float *l = logits + i * k;
    double mx = (double)l[0];
    for (size_t j = 1; j < k; ++j) mx = fmax(mx, (double)l[j]);
    double se = 0.0;
    for (size_t j = 0; j < k; ++j) se += exp((double)l[j] - mx);
    const double lse = mx + log(se);
    total += lse - (double)l[labels[i]];
    if (dlogits)
      for (size_t j = 0; j < k; ++j) {
        const double p = exp((double)l[j] - lse);
        dlogits[i * k + j] = (float)((p - (j == labels[i] ? 1.0 : 0.0)) / (double)m);
      }
  }
  return total / (double)m;
}

double bet_loss_mhl(const float *scores, size_t m, size_t k, const uint8_t *labels, float b,
                    float *dscores) {
  double total = 0.0;
  const double scale = 1.0 / ((double)k * (double)b * (double)m);
  for (size_t i = 0; i < m; ++i)
    for (size_t j = 0; j < k; ++j) {
      const double y = j == labels[i] ? 1.0 : -1.0;
      const double r = (double)b - y * (double)scores[i * k + j];
      total += r > 0.0 ? r : 0.0;
      if (dscores) dscores[i * k + j] = r > 0.0 ? (float)(-y * scale) : 0.0f;
    }
  return total * scale;
}

bet_adam_params bet_adam_default_params(void) {
  bet_adam_params p = {1e-3f, 0.9f, 0.999f, 1e-8f};
  return p;
}

void bet_adam_step(const bet_adam_params *p, uint64_t t, size_t n, float *param, const float *grad,
                   float *m, float *v) {
  const double bc1 = 1.0 - pow((double)p->beta1, (double)t);
  const double bc2 = 1.0 - pow((double)p->beta2, (double)t);
  /* torch: p -= (lr / bc1) · m / (√v / √bc2 + eps) */
  const float step = (float)((double)p->lr / bc1);
  const float rb2 = (float)(1.0 / sqrt(bc2));
  const float b1 = p->beta1, b2 = p->beta2, eps = p->eps;
  for (size_t i = 0; i < n; ++i) {
    const float g = grad[i];
    m[i] = b1 * m[i] + (1.0f - b1) * g;
    v[i] = b2 * v[i] + (1.0f - b2) * g * g;
    param[i] -= step * m[i] / (sqrtf(v[i]) * rb2 + eps);
  }
}

/* bet_adam_step_latent: kernels.c (a reference loop and an AVX-512 twin). */

int bet_fold_threshold(double gamma, double beta, double mean, double var, double eps,
                       double in_scale, int64_t reach, int32_t *t, int8_t *dir) {
  if (!isfinite(gamma) || !isfinite(beta) || !isfinite(mean) || !isfinite(var) || var + eps <= 0.0)
    return 0;
  const double lo = (double)(-reach - 1), hi = (double)(reach + 1);
  if (gamma == 0.0) { /* constant output: sign(β) */
    *dir = 1;
    *t = beta >= 0.0 ? (int32_t)(-reach) : (int32_t)(reach + 1);
    return 1;
  }
  const double sigma = sqrt(var + eps);
  /* h ≥ 0 ⟺ γ(z − μ) ≥ −βσ ⟺ z ≥ μ − βσ/γ (γ > 0) or z ≤ μ − βσ/γ (γ < 0); z = a / in_scale. */
  double tau = in_scale * (mean - beta * sigma / gamma);
  double r;
  if (gamma > 0.0) {
    *dir = 1;
    r = isfinite(tau) ? ceil(tau) : (tau > 0 ? hi : lo);
  } else {
    *dir = -1;
    r = isfinite(tau) ? floor(tau) : (tau > 0 ? hi : lo);
  }
  if (r < lo) r = lo;
  if (r > hi) r = hi;
  *t = (int32_t)r;
  return 1;
}
