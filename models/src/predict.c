/* predict.c — the analytic accuracy prediction: per-model tables, the stratified input strata, the
 * table normal CDF with its run-time kernel choice, one image's P(correct) under flips, and the
 * threaded and reference drivers (bet_predict_accuracy, bet_predict_accuracy_ref). */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bet/metric.h"
#include "predict_impl.h"

static bnn_status check_bers(const double *ber, size_t n_ber) {
  if (n_ber == 0) return bnn_fail(BNN_E_ARG, "empty BER list");
  for (size_t b = 0; b < n_ber; ++b)
    if (!(ber[b] >= 0 && ber[b] <= 0.5))
      return bnn_fail(BNN_E_RANGE, "BER %g outside [0, 0.5]", ber[b]);
  return BNN_OK;
}

void bet_mctx_free(model_ctx *c) {
  bnn_free(c->qoff);
  c->qoff = NULL;
  if (!c->L) return;
  for (uint32_t i = 0; i < c->nl; ++i)
    bnn_free(c->L[i].t), bnn_free(c->L[i].d), bnn_free(c->L[i].w8), bnn_free(c->L[i].wf),
        bnn_free(c->L[i].qs);
  bnn_free(c->L);
  c->L = NULL;
}

bnn_status bet_mctx_make(const bnn_model *m, model_ctx *c, int stratified) {
  memset(c, 0, sizeof *c);
  c->nl = bnn_model_n_layers(m);
  c->L = (lay *)bnn_calloc(c->nl, sizeof *c->L);
  if (!c->L) return bnn_fail(BNN_E_NOMEM, "out of memory");
  uint32_t ic, ih, iw;
  bnn_model_input_shape(m, &ic, &ih, &iw);
  c->img = (size_t)ic * ih * iw;
  c->in_c = ic;
  c->maxv = c->img;
  c->count = bnn_model_preact_count(m);
  c->ncls = bnn_model_n_classes(m);
  uint64_t off = 0;
  for (uint32_t i = 0; i < c->nl; ++i) {
    lay *x = &c->L[i];
    bnn_model_layer(m, i, &x->I);
    x->nout = (uint64_t)x->I.out_c * x->I.out_h * x->I.out_w;
    if (x->nout > c->maxv) c->maxv = x->nout;
    if (x->I.kind == BNN_LAYER_CONV3X3 && (uint64_t)x->I.in_h * x->I.in_w > c->maxpx)
      c->maxpx = (uint64_t)x->I.in_h * x->I.in_w;
    if (x->I.weight_layer_index < 0) continue;
    x->off = off;
    off += x->nout;
    if (x->I.is_output) continue;
    x->t = (int32_t *)bnn_malloc(sizeof(int32_t) * x->I.out_c);
    x->d = (int32_t *)bnn_malloc(sizeof(int32_t) * x->I.out_c);
    if (!x->t || !x->d) {
      bet_mctx_free(c);
      return bnn_fail(BNN_E_NOMEM, "out of memory");
    }
    for (uint32_t o = 0; o < x->I.out_c; ++o) {
      int8_t d;
      bnn_model_threshold(m, i, o, &x->t[o], &d);
      x->d[o] = d;
    }
  }
  if (bnn_model_input_offset(m, NULL, NULL, NULL)) {
    /* q_c = N_c / 2^k and, per first-layer neuron, qS_j = Σ_c q_c·S_jc of the model's own weights
     * (input i is channel i % C), summed exactly in integers as the engine does (bnn.h; the first
     * layer of such a model is a hidden dense layer) */
    uint32_t shift;
    lay *x = &c->L[0];
    int64_t *num = (int64_t *)bnn_malloc(sizeof(int64_t) * ic),
            *sc = (int64_t *)bnn_malloc(sizeof(int64_t) * ic);
    c->qoff = (double *)bnn_malloc(sizeof(double) * ic);
    x->qs = (double *)bnn_malloc(sizeof(double) * x->I.out_c);
    if (!num || !sc || !c->qoff || !x->qs) {
      bnn_free(num), bnn_free(sc), bet_mctx_free(c);
      return bnn_fail(BNN_E_NOMEM, "out of memory");
    }
    bnn_model_input_offset(m, &shift, num, NULL);
    for (uint32_t ch = 0; ch < ic; ++ch) c->qoff[ch] = ldexp((double)num[ch], -(int)shift);
    for (uint32_t o = 0; o < x->I.out_c; ++o) {
      int64_t v = 0;
      memset(sc, 0, sizeof(int64_t) * ic);
      for (uint32_t i = 0; i < x->I.fan_in; ++i) sc[i % ic] += bnn_model_weight(m, 0, o, i);
      for (uint32_t ch = 0; ch < ic; ++ch) v += num[ch] * sc[ch];
      x->qs[o] = ldexp((double)v, -(int)shift);
    }
    bnn_free(num), bnn_free(sc);
  }
  for (uint32_t i = 1; stratified && i < c->nl;
       ++i) { /* dense layers fed by a dense hidden layer */
    lay *x = &c->L[i];
    const bnn_layer_info *P = &c->L[i - 1].I;
    if (x->I.kind != BNN_LAYER_DENSE || P->kind != BNN_LAYER_DENSE || P->is_output || x->I.input_u8)
      continue;
    const uint32_t n = x->I.fan_in, O = x->I.out_c;
    if (n > 2000000u) continue; /* stratum sums (≤ n/64 + 2) must fit int16: keep the layer mean */
    x->w8 = (int8_t *)bnn_malloc((size_t)n * O);
    if (x->I.is_output) x->wf = (float *)bnn_malloc((size_t)n * O * sizeof(float));
    if (!x->w8 || (x->I.is_output && !x->wf)) {
      bet_mctx_free(c);
      return bnn_fail(BNN_E_NOMEM, "out of memory");
    }
    x->strat = !x->I.is_output, x->exact_out = x->I.is_output;
    for (uint32_t o = 0; o < O; ++o)
      for (uint32_t j = 0; j < n; ++j) {
        int8_t w = (int8_t)bnn_model_weight(m, i, o, j);
        if (x->strat)
          x->w8[(size_t)j * O + o] = w;
        else
          x->w8[(size_t)o * n + j] = w, x->wf[(size_t)o * n + j] = (float)w;
      }
    if (x->strat) x->coff = c->csize, c->csize += (uint64_t)NSTRAT * O;
  }
  return BNN_OK;
}

/* ---- the fast normal CDF: a float table on [−8, 8] with linear interpolation -----------------
 * Step h = 1/256: the interpolation error is ≤ h²/8·max|Φ''| = h²/8·φ(1) ≈ 4.6e-7 absolute and,
 * in the tails where Φ'' ≈ x²Φ, ≤ h²x²/8 ≈ 1e-4 relative at |x| = 8; float storage adds ≤ 6e-8
 * absolute; beyond ±8 it returns Φ(±8) (Φ(−8) ≈ 6e-16). All orders of magnitude below the model's
 * own approximations (docs/metrics.md). */
static float g_phi[PHI_N + 2];
#define ZN 64           /* output-layer quadrature nodes (p_class_wins) */
static double g_zw[ZN]; /* fast: the quadrature weights φ(z_i)·dz */
static bet_phi_apply_fn g_phi_apply = bet_phi_apply_ref;
static bet_strat_accum_fn g_strat_accum = bet_strat_accum_ref;
static bet_strat_mean_fn g_strat_mean = bet_strat_mean_ref;
static bet_dot_fn g_dot = bet_dot_ref;
static pthread_once_t g_phi_once = PTHREAD_ONCE_INIT;
static void phi_init(void) {
  for (int i = 0; i <= PHI_N + 1; ++i)
    g_phi[i] = (float)bet_norm_cdf((double)PHI_LO + (double)i / PHI_STEPS_PER_UNIT);
  for (int i = 0; i < ZN; ++i) {
    double z = -8 + (i + 0.5) * (16.0 / ZN);
    g_zw[i] = exp(-0.5 * z * z) * (16.0 / ZN) / 2.5066282746310002;
  }
#ifdef BET_HAVE_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    g_phi_apply = bet_phi_apply_avx2, g_strat_accum = bet_strat_accum_avx2,
    g_strat_mean = bet_strat_mean_avx2, g_dot = bet_dot_avx2;
#endif
}
static inline double phi_fast(double x) {
  double t = (x - (double)PHI_LO) * PHI_STEPS_PER_UNIT;
  t = t < 0 ? 0 : t;
  t = t > PHI_N ? PHI_N : t;
  int i = (int)t;
  double f = t - i;
  return (double)g_phi[i] + f * (double)(g_phi[i + 1] - g_phi[i]);
}

void bet_phi_init_once(void) {
  pthread_once(&g_phi_once, phi_init);
}

/* P(class y has the highest score) when score k is N(mu[k], var) independently (equal variances):
 * E_z Π_{k≠y} Φ((μ_y − μ_k)/σ + z), z ~ N(0, 1), by the midpoint rule on [−8, 8]. fast: the
 * table CDF and precomputed weights (the quadrature nodes are the same). */
static double p_class_wins(const double *mu, uint32_t n, uint32_t y, double var, int fast) {
  if (var <= 0) {
    /* exact: arg-max with ties to the lowest index */
    for (uint32_t k = 0; k < n; ++k)
      if (k != y && (mu[k] > mu[y] || (mu[k] == mu[y] && k < y))) return 0;
    return 1;
  }
  double sd = sqrt(var), tot = 0, dk[1024];
  const double lo = -8, dz = 16.0 / ZN;
  uint32_t nd = 0;
  for (uint32_t k = 0; k < n && nd < 1024; ++k)
    if (k != y) dk[nd++] = (mu[y] - mu[k]) / sd;
  for (int i = 0; i < ZN; ++i) {
    double z = lo + (i + 0.5) * dz,
           pr = fast ? g_zw[i] : exp(-0.5 * z * z) * dz / 2.5066282746310002 /* √(2π) */;
    for (uint32_t k = 0; k < nd && pr > 1e-300; ++k)
      pr *= fast ? phi_fast(dk[k] + z) : bet_norm_cdf(dk[k] + z);
    tot += pr;
  }
  return tot > 1 ? 1 : tot;
}

void bet_pscr_free(pscr *s) {
  bnn_free(s->q[0]), bnn_free(s->q[1]), bnn_free(s->sg[0]), bnn_free(s->sg[1]);
  bnn_free(s->p1), bnn_free(s->p2), bnn_free(s->u), bnn_free(s->v), bnn_free(s->mu),
      bnn_free(s->pre);
  bnn_free(s->xs_all), bnn_free(s->bk_all), bnn_free(s->C_all), bnn_free(s->ord_all),
      bnn_free(s->start_all);
  bnn_free(s->key), bnn_free(s->ia);
  bnn_free(s->sm), bnn_free(s->uu);
  memset(s, 0, sizeof *s);
}

bnn_status bet_pscr_alloc(pscr *s, const model_ctx *c, size_t block) {
  memset(s, 0, sizeof *s);
  size_t mv = (size_t)c->maxv, px = (size_t)(c->maxpx ? c->maxpx : 1);
  s->q[0] = (double *)bnn_malloc(mv * sizeof(double)),
  s->q[1] = (double *)bnn_malloc(mv * sizeof(double));
  s->sg[0] = (int8_t *)bnn_malloc(mv), s->sg[1] = (int8_t *)bnn_malloc(mv);
  s->p1 = (double *)bnn_malloc(px * sizeof(double)),
  s->p2 = (double *)bnn_malloc(px * sizeof(double));
  s->u = (float *)bnn_malloc((size_t)c->count * sizeof(float));
  s->v = (float *)bnn_malloc((size_t)c->count * sizeof(float));
  s->mu = (double *)bnn_malloc((size_t)c->ncls * sizeof(double));
  s->pre = (int32_t *)bnn_malloc(block * (size_t)c->count * sizeof(int32_t));
  const size_t G = PRED_SLOTS, cnt = (size_t)c->count;
  s->xs_all = (int8_t *)bnn_malloc(G * cnt);
  s->bk_all = (uint8_t *)bnn_malloc(G * cnt);
  s->C_all = (int16_t *)bnn_malloc(G * (size_t)(c->csize ? c->csize : 1) * sizeof(int16_t));
  s->ord_all = (uint32_t *)bnn_malloc(G * cnt * sizeof(uint32_t));
  s->start_all = (uint32_t *)bnn_malloc(G * c->nl * (NSTRAT + 1) * sizeof(uint32_t));
  s->key = (uint32_t *)bnn_malloc(mv * sizeof(uint32_t));
  s->ia = (uint32_t *)bnn_malloc(mv * sizeof(uint32_t));
  s->sm = (double *)bnn_malloc(mv * sizeof(double));
  s->uu = (float *)bnn_malloc(mv * sizeof(float));
  if (!s->q[0] || !s->q[1] || !s->sg[0] || !s->sg[1] || !s->p1 || !s->p2 || !s->u || !s->v ||
      !s->mu || !s->pre || !s->xs_all || !s->bk_all || !s->C_all || !s->ord_all || !s->start_all ||
      !s->key || !s->ia || !s->sm || !s->uu) {
    bet_pscr_free(s);
    return bnn_fail(BNN_E_NOMEM, "out of memory");
  }
  return BNN_OK;
}

/* Points the per-image strata fields at slot g. */
void bet_pscr_slot(pscr *s, const model_ctx *c, size_t g) {
  s->xs = s->xs_all + g * c->count, s->bk = s->bk_all + g * c->count;
  s->C = s->C_all + g * (c->csize ? c->csize : 1);
  s->ord = s->ord_all + g * c->count, s->start = s->start_all + g * c->nl * (NSTRAT + 1);
}

/* Fast path, once per image: u = s·a, v = s·τ with s = −d if the clean output is +1 else d, so a
 * neuron's flip probability is Φ(s·(a(1 − 2r̄) − τ)/σ) = Φ(u·(1 − 2r̄)/σ − v/σ). */
void bet_image_uv(const model_ctx *c, const int32_t *pre, pscr *S) {
  for (uint32_t l = 0; l < c->nl; ++l) {
    const lay *x = &c->L[l];
    if (x->I.weight_layer_index < 0 || x->I.is_output) continue;
    const int32_t *a = pre + x->off;
    const uint32_t C = x->I.out_c;
    const int binary = !x->I.input_u8;
    const int32_t *tt = x->t, *dd = x->d;
    for (uint64_t base = 0; base < x->nout; base += C) { /* positions (conv) × channels */
      const int32_t *ab = a + base;
      float *u = S->u + x->off + base, *v = S->v + x->off + base;
      if (x->qs) { /* input offset: the same in z = a − qS (bet_first_mean), threshold τ − qS */
        for (uint32_t o = 0; o < C; ++o) {
          int32_t av = ab[o], t = tt[o], d = dd[o];
          int pos = d > 0 ? av >= t : av <= t;
          double sgn = (double)((1 - 2 * pos) * d), q = x->qs[o];
          u[o] = (float)(sgn * ((double)av - q));
          v[o] = (float)(sgn * ((double)t - 0.5 * d - q));
        }
        continue;
      }
      /* branch-free integer arithmetic (vectorises): pos = clean output +1; τ = t − d/2, or for ±1
       * inputs t + d·(off − 1) with off the parity of a − t (the lattice midpoint) */
      for (uint32_t o = 0; o < C; ++o) {
        int32_t av = ab[o], t = tt[o], d = dd[o];
        int32_t ge = av >= t, le = av <= t, pos = ge ^ ((ge ^ le) & (d < 0));
        int32_t sgn = (1 - 2 * pos) * d;
        int32_t off = (int32_t)(((uint32_t)av - (uint32_t)t) & 1u); /* parity, without overflow */
        float tau = binary ? (float)t + (float)(d * (off - 1)) : (float)t - 0.5f * (float)d;
        u[o] = (float)(sgn * av);
        v[o] = (float)sgn * tau;
      }
    }
  }
}

/* Stable LSD radix sort of idx[0..n) by key[idx[·]] (4 passes of 8 bits); tmp: n entries. */
static void radix_sort_idx(const uint32_t *key, uint32_t *idx, uint32_t *tmp, size_t n) {
  for (int sh = 0; sh < 32; sh += 8) {
    size_t cnt[257] = {0};
    for (size_t i = 0; i < n; ++i) cnt[((key[idx[i]] >> sh) & 255u) + 1]++;
    for (int b = 0; b < 256; ++b) cnt[b + 1] += cnt[b];
    for (size_t i = 0; i < n; ++i) tmp[cnt[(key[idx[i]] >> sh) & 255u]++] = idx[i];
    memcpy(idx, tmp, n * sizeof *idx);
  }
}

/* Per image, BER-independent, both paths: the clean sign x of every hidden value and, for every
 * strat layer, its inputs' strata and C[b][o] = Σ_{i ∈ b} w_oi·x_i (exact integers). Strata: rank
 * the n inputs by clean margin key |2d(a − t) + 1| = 2|a − τ| into STRAT_M equal-count groups, then
 * each group by s·a into STRAT_U equal-count subgroups (ties by index: stable sorts). */
void bet_image_strata(const model_ctx *c, const int32_t *pre, pscr *S) {
  for (uint32_t l = 0; l < c->nl; ++l) {
    const lay *x = &c->L[l];
    if (x->I.weight_layer_index < 0 || x->I.is_output) continue;
    const int32_t *a = pre + x->off;
    const uint32_t C = x->I.out_c;
    for (uint64_t base = 0; base < x->nout; base += C)
      for (uint32_t o = 0; o < C; ++o) {
        int32_t av = a[base + o], t = x->t[o], d = x->d[o];
        S->xs[x->off + base + o] = (int8_t)((d > 0 ? av >= t : av <= t) ? 1 : -1);
      }
  }
  for (uint32_t l = 1; l < c->nl; ++l) {
    const lay *x = &c->L[l], *P = &c->L[l - 1];
    if (!x->strat) continue;
    const uint32_t n = x->I.fan_in;
    const int32_t *a = pre + P->off;
    const int8_t *xs = S->xs + P->off;
    uint8_t *bk = S->bk + P->off;
    uint32_t *idx = S->ia, *tmp = S->ord + P->off, *key = S->key;
    for (uint32_t i = 0; i < n; ++i) {
      int64_t m2 = 2 * (int64_t)P->d[i] * ((int64_t)a[i] - P->t[i]) + 1;
      if (m2 < 0) m2 = -m2;
      key[i] = m2 > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)m2;
      idx[i] = i;
    }
    radix_sort_idx(key, idx, tmp, n);
    for (uint32_t r = 0; r < n; ++r)
      bk[idx[r]] = (uint8_t)((uint64_t)r * STRAT_M / n); /* margin group */
    for (uint32_t i = 0; i < n; ++i) {
      int64_t d = P->d[i], sa = -d * xs[i] * (int64_t)a[i]; /* s = −d·x: towards the switch point */
      if (P->qs) /* input offset: s·z = s·(a − qS), in half units (exact for [−1, 1] pixels) */
        sa = (int64_t)llround(2 * (double)(-d * xs[i]) * ((double)a[i] - P->qs[i]));
      if (sa < INT32_MIN) sa = INT32_MIN;
      if (sa > INT32_MAX) sa = INT32_MAX;
      key[i] = (uint32_t)(int32_t)sa ^ 0x80000000u;
      idx[i] = i;
    }
    radix_sort_idx(key, idx, tmp, n); /* by s·a, then (stable, counting) by margin group */
    uint32_t gstart[STRAT_M + 1] = {0};
    for (uint32_t i = 0; i < n; ++i) gstart[bk[i] + 1]++;
    for (int g = 0; g < STRAT_M; ++g) gstart[g + 1] += gstart[g];
    uint32_t fill[STRAT_M];
    for (int g = 0; g < STRAT_M; ++g) fill[g] = gstart[g];
    for (uint32_t r = 0; r < n; ++r) tmp[fill[bk[idx[r]]]++] = idx[r];
    /* tmp now lists the inputs by margin group, each by s·a: the strata are consecutive runs */
    uint32_t *start = S->start + (size_t)l * (NSTRAT + 1);
    for (int g = 0; g < STRAT_M; ++g) {
      uint32_t sz = gstart[g + 1] - gstart[g];
      for (int u = 0; u <= STRAT_U; ++u)
        start[g * STRAT_U + u] = gstart[g] + (uint32_t)(((uint64_t)u * sz + STRAT_U - 1) / STRAT_U);
    }
    start[NSTRAT] = n;
    for (int b = 0; b < NSTRAT; ++b)
      for (uint32_t k = start[b]; k < start[b + 1]; ++k) bk[tmp[k]] = (uint8_t)b;
  }
}

/* The stratum sums C of slots 0 … G − 1 (bet_image_strata done for each), every strat layer. */
void bet_strata_accum(const model_ctx *c, pscr *S, size_t G, int fast) {
  for (uint32_t l = 1; l < c->nl; ++l) {
    const lay *x = &c->L[l], *P = &c->L[l - 1];
    if (!x->strat) continue;
    const int8_t *xs[PRED_SLOTS];
    const uint32_t *ord[PRED_SLOTS], *st[PRED_SLOTS];
    int16_t *C[PRED_SLOTS];
    for (size_t g = 0; g < G; ++g) {
      bet_pscr_slot(S, c, g);
      xs[g] = S->xs + P->off, ord[g] = S->ord + P->off, st[g] = S->start + (size_t)l * (NSTRAT + 1);
      C[g] = S->C + x->coff;
    }
    (fast ? g_strat_accum : bet_strat_accum_ref)(x->w8, G, xs, ord, st, NSTRAT, x->I.out_c, C);
  }
}

/* The input-flip term of a strat layer's mean at one BER: with f_b the mean flip probability of
 * stratum b's inputs, sm[o] = Σ_b f_b·C[b][o] ≈ Σ_i w_oi x_i q_i. */
static void strat_mean(const lay *x, const lay *P, const double *qi, pscr *S, int fast) {
  const uint32_t n = x->I.fan_in, O = x->I.out_c;
  const uint8_t *bk = S->bk + P->off;
  double f[NSTRAT] = {0}, cnt[NSTRAT] = {0};
  for (uint32_t i = 0; i < n; ++i) f[bk[i]] += qi[i], cnt[bk[i]] += 1;
  const int16_t *Cm = S->C + x->coff;
  if (fast) { /* float, into S->uu (the caller turns it into u') */
    float ff[NSTRAT];
    for (int b = 0; b < NSTRAT; ++b) ff[b] = cnt[b] > 0 ? (float)(f[b] / cnt[b]) : 0.0f;
    g_strat_mean(Cm, ff, NSTRAT, O, S->uu);
    return;
  }
  for (uint32_t o = 0; o < O; ++o) S->sm[o] = 0;
  for (int b = 0; b < NSTRAT; ++b) {
    if (cnt[b] == 0) continue;
    const double fb = f[b] / cnt[b];
    const int16_t *row = Cm + (size_t)b * O;
    for (uint32_t o = 0; o < O; ++o) S->sm[o] += fb * row[o];
  }
}

double bet_input_sumsq(const model_ctx *c, const uint8_t *img, uint32_t n) {
  double s2 = 0;
  if (!c->qoff) {
    for (uint32_t i = 0; i < n; ++i) s2 += (double)img[i] * img[i];
    return s2;
  }
  for (uint32_t i = 0; i < n; ++i) {
    const double v = (double)img[i] - c->qoff[i % c->in_c];
    s2 += v * v;
  }
  return s2;
}

/* Conv input statistics per input pixel: Σ_c r and Σ_c r(1 − r) of the flip rates of its terms
 * (r = p + q(1 − 2p): weight flip xor activation flip), or for 8-bit input Σ_c x². */
void bet_conv_pixel_stats(const lay *x, const double *q, const uint8_t *img, double p, pscr *S) {
  const uint64_t npx = (uint64_t)x->I.in_h * x->I.in_w;
  const uint32_t C = x->I.in_c;
  for (uint64_t px = 0; px < npx; ++px) {
    double s1 = 0, s2 = 0;
    for (uint32_t ch = 0; ch < C; ++ch) {
      if (x->I.input_u8) {
        double v = img[px * C + ch];
        s2 += v * v;
      } else {
        double r = p + q[px * C + ch] * (1 - 2 * p);
        s1 += r, s2 += r * (1 - r);
      }
    }
    S->p1[px] = s1, S->p2[px] = s2;
  }
}

/* One image at symmetric weight BER p: propagates flip probabilities layer by layer
 * (docs/metrics.md) and returns P(prediction = y). fast selects the table CDF over precomputed u, v
 * (bet_image_uv) instead of bet_flip_prob's erfc; both compute the same quantities. */
double bet_predict_image(const model_ctx *c, const int32_t *pre, const uint8_t *img, double p,
                         uint32_t y, pscr *S, int fast) {
  int cur = 0;       /* S->q[cur], S->sg[cur]: the current layer's input (unused for 8-bit input) */
  int have_sums = 0; /* fast: the current input's Σq, Σq² came with it (dense producer) */
  double sum_q = 0, sum_qq = 0;
  for (uint32_t l = 0; l < c->nl; ++l) {
    const int need_sign = l + 1 < c->nl && c->L[l + 1].I.kind == BNN_LAYER_MAXPOOL2;
    const lay *x = &c->L[l];
    const bnn_layer_info *I = &x->I;
    const double *qi = S->q[cur];
    const int8_t *si = S->sg[cur];
    double *qo = S->q[cur ^ 1];
    int8_t *so = S->sg[cur ^ 1];
    if (I->kind == BNN_LAYER_MAXPOOL2) {
      /* max of ±1 inputs (independent flips q_i): a clean +1 output turns −1 iff every +1 input
       * flips and no −1 input does; a clean −1 output turns +1 iff any input flips */
      const uint32_t C = I->in_c;
      for (uint32_t oy = 0; oy < I->out_h; ++oy)
        for (uint32_t ox = 0; ox < I->out_w; ++ox)
          for (uint32_t ch = 0; ch < C; ++ch) {
            double keep_neg = 1, all_pos_flip = 1;
            int any_pos = 0;
            for (uint32_t k = 0; k < 4; ++k) {
              uint64_t j = ((uint64_t)(2 * oy + k / 2) * I->in_w + 2 * ox + k % 2) * C + ch;
              if (si[j] > 0)
                any_pos = 1, all_pos_flip *= qi[j];
              else
                keep_neg *= 1 - qi[j];
            }
            uint64_t o = ((uint64_t)oy * I->out_w + ox) * C + ch;
            so[o] = any_pos ? 1 : -1;
            qo[o] = any_pos ? all_pos_flip * keep_neg : 1 - keep_neg;
          }
      have_sums = 0;
      cur ^= 1;
      continue;
    }
    const int32_t *a = pre + x->off;
    const int binary = !I->input_u8;
    if (I->kind == BNN_LAYER_DENSE) {
      double rbar, var;
      if (I->input_u8) {
        rbar = p, var = 4 * p * (1 - p) * bet_input_sumsq(c, img, I->fan_in);
      } else if (have_sums) {
        /* r = p + q(1 − 2p): Σr and Σr² in closed form from Σq, Σq² */
        double n = I->fan_in, e = 1 - 2 * p;
        double sr = n * p + e * sum_q, sr2 = n * p * p + 2 * p * e * sum_q + e * e * sum_qq;
        rbar = sr / n, var = 4 * (sr - sr2);
        if (var < 0) var = 0;
      } else {
        double sr = 0, srr = 0;
        for (uint32_t j = 0; j < I->fan_in; ++j) {
          double r = p + qi[j] * (1 - 2 * p); /* weight flip xor activation flip */
          sr += r, srr += r * (1 - r);
        }
        rbar = sr / I->fan_in, var = 4 * srr;
      }
      const double e = 1 - 2 * p;
      if (I->is_output) {
        if (x->exact_out) { /* E s'_k = (1 − 2p)(a_k − 2 Σ_j w_kj x_j q_j) */
          const lay *P = &c->L[l - 1];
          const int8_t *xs = S->xs + P->off;
          if (fast) {
            for (uint32_t j = 0; j < I->fan_in; ++j) S->uu[j] = (float)(xs[j] * qi[j]);
            for (uint32_t k = 0; k < I->out_c; ++k)
              S->mu[k] =
                  e * (a[k] - 2 * (double)g_dot(x->wf + (size_t)k * I->fan_in, S->uu, I->fan_in));
          } else
            for (uint32_t k = 0; k < I->out_c; ++k) {
              const int8_t *w = x->w8 + (size_t)k * I->fan_in;
              double acc = 0;
              for (uint32_t j = 0; j < I->fan_in; ++j) acc += (double)(w[j] * xs[j]) * qi[j];
              S->mu[k] = e * (a[k] - 2 * acc);
            }
        } else
          for (uint32_t k = 0; k < I->out_c; ++k) S->mu[k] = a[k] * (1 - 2 * rbar);
        return p_class_wins(S->mu, I->out_c, y, var, fast);
      }
      have_sums = 0;
      if (x->strat) strat_mean(x, &c->L[l - 1], qi, S, fast && var > 0);
      if (fast && var > 0) {
        const double k2 = 1 / sqrt(var);
        if (x->strat) { /* u' = s·(a − 2·sm), s = −d·x, so the CDF argument is (u'(1 − 2p) − v)/σ */
          const int8_t *xs = S->xs + x->off;
          const float *u = S->u + x->off;
          for (uint32_t o = 0; o < I->out_c; ++o)
            S->uu[o] = u[o] + (float)(2 * x->d[o] * xs[o]) * S->uu[o];
          g_phi_apply(S->uu, S->v + x->off, I->out_c, (float)(e * k2), (float)k2, g_phi, qo, &sum_q,
                      &sum_qq);
        } else
          g_phi_apply(S->u + x->off, S->v + x->off, I->out_c, (float)((1 - 2 * rbar) * k2),
                      (float)k2, g_phi, qo, &sum_q, &sum_qq);
        have_sums = 1;
      } else {
        for (uint32_t o = 0; o < I->out_c; ++o) {
          bet_gauss g = {
              x->strat ? e * (a[o] - 2 * S->sm[o]) : bet_first_mean(x, o, a[o], 1 - 2 * rbar), var};
          qo[o] = bet_flip_prob(g, a[o], x->t[o], (int8_t)x->d[o], binary);
        }
      }
      if (need_sign)
        for (uint32_t o = 0; o < I->out_c; ++o)
          so[o] = (x->d[o] > 0 ? a[o] >= x->t[o] : a[o] <= x->t[o]) ? 1 : -1;
    } else { /* conv 3×3 pad 1: per output pixel, its valid 3×3 window of input pixels */
      bet_conv_pixel_stats(x, qi, img, p, S);
      const uint32_t H = I->in_h, W = I->in_w, C = I->in_c, O = I->out_c;
      for (uint32_t yy = 0; yy < H; ++yy)
        for (uint32_t xx = 0; xx < W; ++xx) {
          double w1 = 0, w2 = 0;
          uint32_t nv = 0;
          for (int t = 0; t < 9; ++t) {
            int64_t sy = (int64_t)yy + t / 3 - 1, sx = (int64_t)xx + t % 3 - 1;
            if (sy < 0 || sx < 0 || sy >= H || sx >= W) continue;
            w1 += S->p1[sy * W + sx], w2 += S->p2[sy * W + sx], ++nv;
          }
          double rbar = I->input_u8 ? p : w1 / ((double)nv * C);
          double var = I->input_u8 ? 4 * p * (1 - p) * w2 : 4 * w2;
          uint64_t base = ((uint64_t)yy * W + xx) * O;
          if (fast && var > 0) {
            const double k2 = 1 / sqrt(var), k1 = (1 - 2 * rbar) * k2;
            double s1, s2;
            g_phi_apply(S->u + x->off + base, S->v + x->off + base, O, (float)k1, (float)k2, g_phi,
                        qo + base, &s1, &s2);
          } else {
            for (uint32_t o = 0; o < O; ++o) {
              bet_gauss g = {a[base + o] * (1 - 2 * rbar), var};
              qo[base + o] = bet_flip_prob(g, a[base + o], x->t[o], (int8_t)x->d[o], binary);
            }
          }
          if (need_sign)
            for (uint32_t o = 0; o < O; ++o)
              so[base + o] =
                  (x->d[o] > 0 ? a[base + o] >= x->t[o] : a[base + o] <= x->t[o]) ? 1 : -1;
        }
      have_sums = 0;
    }
    cur ^= 1;
  }
  return 0; /* unreachable: a checked model ends in its dense output layer */
}

bet_predict_params bet_predict_default_params(void) {
  bet_predict_params p;
  p.threads = 1;
  p.stratified_mean = 1;
  return p;
}

bnn_status bet_predict_accuracy_ref(const bnn_model *m, const bnn_dataset *ds, const double *ber,
                                    size_t n_ber, const bet_predict_params *params,
                                    double *acc_out) {
  if (!m || !ds || !params || (!ber && n_ber) || (!acc_out && n_ber))
    return bnn_fail(BNN_E_ARG, "NULL argument");
  bnn_status st = check_bers(ber, n_ber);
  if (!st) st = bet_metric_check(m, ds);
  if (st) return st;
  model_ctx c;
  pscr S;
  if ((st = bet_mctx_make(m, &c, params->stratified_mean != 0))) return st;
  if ((st = bet_pscr_alloc(&S, &c, 1))) {
    bet_mctx_free(&c);
    return st;
  }
  for (size_t b = 0; b < n_ber; ++b) acc_out[b] = 0;
  for (uint32_t i = 0; !st && i < ds->n; ++i) {
    const uint8_t *img = ds->images + i * c.img;
    st = bnn_model_preact(m, img, S.pre);
    if (!st)
      bet_pscr_slot(&S, &c, 0), bet_image_strata(&c, S.pre, &S), bet_strata_accum(&c, &S, 1, 0);
    for (size_t b = 0; !st && b < n_ber; ++b)
      acc_out[b] += bet_predict_image(&c, S.pre, img, ber[b], ds->labels[i], &S, 0);
  }
  for (size_t b = 0; b < n_ber; ++b) acc_out[b] /= ds->n;
  bet_pscr_free(&S);
  bet_mctx_free(&c);
  return st;
}

/* The fast prediction: threads take blocks of images (batched exact pre-activations), and per image
 * the BER-independent work (u, v) once, then per BER the table CDF. Each block sums its images'
 * P(correct) in image order into its own slot and the slots are summed in block order; the blocks
 * depend only on the model, so the result never depends on the thread count. */
#define PRED_BLOCK_BYTES (2u << 20) /* pre-activations per block */
typedef struct pjob {
  const bnn_model *m;
  const bnn_dataset *ds;
  const model_ctx *c;
  const double *ber;
  size_t n_ber, block, n_blocks;
  double *pc; /* n_blocks × n_ber */
  atomic_size_t next;
  atomic_int status;
} pjob;

static void *pjob_run(void *arg) {
  pjob *J = (pjob *)arg;
  pscr S;
  if (bet_pscr_alloc(&S, J->c, J->block)) {
    atomic_store(&J->status, (int)BNN_E_NOMEM);
    return NULL;
  }
  for (;;) {
    size_t bi = atomic_fetch_add(&J->next, 1);
    if (bi >= J->n_blocks || atomic_load(&J->status)) break;
    size_t i0 = bi * J->block, n = J->ds->n - i0 < J->block ? J->ds->n - i0 : J->block;
    const uint8_t *imgs = J->ds->images + i0 * J->c->img;
    bnn_status st = bnn_model_preact_batch(J->m, imgs, n, S.pre);
    if (st) {
      atomic_store(&J->status, (int)st);
      break;
    }
    for (size_t i = 0; i < n; ++i) {
      const int32_t *pre = S.pre + i * J->c->count;
      const uint8_t *img = imgs + i * J->c->img;
      uint32_t y = J->ds->labels[i0 + i];
      if (i % PRED_SLOTS == 0) { /* strata of the next PRED_SLOTS images, their sums in one pass */
        size_t G = n - i < PRED_SLOTS ? n - i : PRED_SLOTS;
        for (size_t g = 0; g < G; ++g)
          bet_pscr_slot(&S, J->c, g), bet_image_strata(J->c, pre + g * J->c->count, &S);
        bet_strata_accum(J->c, &S, G, 1);
      }
      bet_pscr_slot(&S, J->c, i % PRED_SLOTS);
      bet_image_uv(J->c, pre, &S);
      for (size_t b = 0; b < J->n_ber; ++b) {
        double p = J->ber[b], *out = &J->pc[bi * J->n_ber + b];
        if (p == 0) /* no flips anywhere: the clean, engine-exact prediction */
          *out += bet_score_argmax(pre + J->c->count - J->c->ncls, J->c->ncls) == y;
        else
          *out += bet_predict_image(J->c, pre, img, p, y, &S, 1);
      }
    }
  }
  bet_pscr_free(&S);
  return NULL;
}

bnn_status bet_predict_accuracy(const bnn_model *m, const bnn_dataset *ds, const double *ber,
                                size_t n_ber, const bet_predict_params *params, double *acc_out) {
  if (!m || !ds || !params || (!ber && n_ber) || (!acc_out && n_ber))
    return bnn_fail(BNN_E_ARG, "NULL argument");
  if (params->threads < 1 || params->threads > 256)
    return bnn_fail(BNN_E_RANGE, "threads = %d outside [1, 256]", params->threads);
  bnn_status st = check_bers(ber, n_ber);
  if (!st) st = bet_metric_check(m, ds);
  if (st) return st;
  bet_phi_init_once();
  model_ctx c;
  if ((st = bet_mctx_make(m, &c, params->stratified_mean != 0))) return st;
  pjob J;
  memset(&J, 0, sizeof J);
  J.m = m, J.ds = ds, J.c = &c, J.ber = ber, J.n_ber = n_ber;
  J.block = PRED_BLOCK_BYTES / (4 * c.count + 1);
  if (J.block < 1) J.block = 1;
  if (J.block > 64) J.block = 64;
  J.n_blocks = (ds->n + J.block - 1) / J.block;
  atomic_init(&J.next, 0);
  atomic_init(&J.status, 0);
  J.pc = (double *)bnn_calloc(J.n_blocks * n_ber, sizeof(double));
  int nt = params->threads;
  if ((size_t)nt > J.n_blocks) nt = (int)J.n_blocks;
  pthread_t th[256];
  int started = 0;
  if (!J.pc) st = bnn_fail(BNN_E_NOMEM, "out of memory");
  for (int t = 1; !st && t < nt; ++t)
    if (pthread_create(&th[started], NULL, pjob_run, &J) == 0) ++started;
  if (!st) pjob_run(&J);
  for (int t = 0; t < started; ++t) pthread_join(th[t], NULL);
  if (!st && atomic_load(&J.status)) {
    int e = atomic_load(&J.status);
    st = bnn_fail((bnn_status)e, "prediction worker failed: %s", bnn_status_str((bnn_status)e));
  }
  if (!st)
    for (size_t b = 0; b < n_ber; ++b) {
      double sum = 0;
      for (size_t i = 0; i < J.n_blocks; ++i) sum += J.pc[i * n_ber + b];
      acc_out[b] = sum / ds->n;
    }
  bnn_free(J.pc);
  bet_mctx_free(&c);
  return st;
}
