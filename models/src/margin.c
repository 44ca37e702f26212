/* margin.c — BET margin metrics: a neuron's margin in weight flips, the Gaussian pre-activation
 * under flips and its flip probability, the model/data check, and the per-layer margin statistics
 * of a model on a data set (bet_metric_compute). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bet/metric.h"
#include "predict_impl.h"

const int bet_metric_k[BET_METRIC_NK] = {1, 2, 4, 8};

int64_t bet_margin_flips(int32_t a, int32_t t, int8_t d) {
  /* d·(a − τ) with τ = t − d/2, doubled to stay in integers: 2d(a − t) + 1 (always odd, > 0 on the
   * +1 side). m = ⌈|a − τ|/2⌉ = ⌈|2d(a − t) + 1| / 4⌉. */
  int64_t twice = 2 * (int64_t)d * ((int64_t)a - t) + 1;
  if (twice < 0) twice = -twice;
  return (twice + 3) / 4;
}

double bet_margin_normalized(int32_t a, int32_t t, int8_t d, double sumsq) {
  if (!(sumsq > 0)) return INFINITY;
  const double tau = (double)t - 0.5 * d;
  return fabs((double)a - tau) / (2.0 * sqrt(sumsq));
}

double bet_output_margin_normalized(const int32_t *s, uint32_t n, uint32_t fan_in) {
  uint32_t b = bet_score_argmax(s, n);
  int64_t second = INT64_MIN;
  for (uint32_t k = 0; k < n; ++k)
    if (k != b && s[k] > second) second = s[k];
  if (second == INT64_MIN || fan_in == 0) return 0;
  return (double)((int64_t)s[b] - second) / (2.0 * sqrt(2.0 * fan_in));
}

bet_gauss bet_preact_under_flips(double s_pos, double s_neg, double q_pos, double q_neg, double p01,
                                 double p10) {
  bet_gauss g;
  g.mean = s_pos * (1 - 2 * p01) - s_neg * (1 - 2 * p10);
  g.var = 4 * p01 * (1 - p01) * q_pos + 4 * p10 * (1 - p10) * q_neg;
  return g;
}

double bet_norm_cdf(double x) {
  return 0.5 * erfc(-x / sqrt(2.0));
}

double bet_flip_prob(bet_gauss g, int32_t a, int32_t t, int8_t d, int binary_inputs) {
  double tau = (double)t - 0.5 * d;
  if (binary_inputs) {
    /* a' keeps a's parity (steps of 2): switch halfway between the lattice points either side of
     * the threshold (continuity correction on the even/odd lattice) */
    int64_t off = (((int64_t)a - t) % 2 + 2) % 2; /* 0 if t is on the lattice */
    tau = d > 0 ? (double)(t + off) - 1 : (double)(t - off) + 1;
  }
  int pos = d > 0 ? a >= t : a <= t; /* clean output +1 */
  /* output +1 iff d·(a' − τ) > 0 */
  if (g.var <= 0) {
    int pos2 = d * (g.mean - tau) > 0;
    return pos2 != pos;
  }
  double p_pos = bet_norm_cdf(d * (g.mean - tau) / sqrt(g.var));
  return pos ? 1 - p_pos : p_pos;
}

bnn_status bet_metric_check(const bnn_model *m, const bnn_dataset *ds) {
  uint32_t c, h, w;
  bnn_model_input_shape(m, &c, &h, &w);
  uint32_t nl = bnn_model_n_layers(m);
  if (nl == 0) return bnn_fail(BNN_E_SHAPE, "model has no layers");
  for (uint32_t i = 0; i < nl; ++i) {
    bnn_layer_info I;
    bnn_model_layer(m, i, &I);
    if (I.is_output && I.kind != BNN_LAYER_DENSE)
      return bnn_fail(BNN_E_UNSUPPORTED,
                      "layer %u: the output layer is %s; margin metrics need a dense output layer",
                      i, bnn_layer_kind_str(I.kind));
    if (I.weight_layer_index >= 0 && !I.is_output) {
      int32_t t;
      int8_t d;
      if (bnn_model_threshold(m, i, 0, &t, &d) != BNN_OK)
        return bnn_fail(BNN_E_SHAPE,
                        "layer %u has no batch-norm thresholds; margin metrics need them", i);
    }
  }
  if (c != ds->c || h != ds->h || w != ds->w)
    return bnn_fail(BNN_E_SHAPE, "model expects %ux%ux%u images (HxWxC), data set %s has %ux%ux%u",
                    h, w, c, ds->name, ds->h, ds->w, ds->c);
  if (ds->n == 0) return bnn_fail(BNN_E_SHAPE, "data set %s has no images", ds->name);
  uint32_t ncls = bnn_model_n_classes(m);
  for (uint32_t i = 0; i < ds->n; ++i)
    if (ds->labels[i] >= ncls)
      return bnn_fail(BNN_E_SHAPE, "data set %s has label %u at image %u, model has %u classes",
                      ds->name, ds->labels[i], i, ncls);
  return BNN_OK;
}

/* Output margin ⌈(s_top − s_second)/2⌉ in weight flips. */
static int64_t output_margin(const int32_t *s, uint32_t n) {
  uint32_t b = bet_score_argmax(s, n);
  int64_t second = INT64_MIN;
  for (uint32_t k = 0; k < n; ++k)
    if (k != b && s[k] > second) second = s[k];
  if (second == INT64_MIN) return 0;
  return ((int64_t)s[b] - second + 1) / 2;
}

void bet_metric_result_free(bet_metric_result *r) {
  if (!r) return;
  bnn_free(r->layers);
  memset(r, 0, sizeof *r);
}

/* Quantile from a histogram of integer margins (values ≥ cap counted in the last bin). */
static double hist_q(const uint64_t *h, size_t bins, uint64_t total, double q) {
  uint64_t want = (uint64_t)ceil(q * (double)total), acc = 0;
  if (want == 0) want = 1;
  for (size_t v = 0; v < bins; ++v) {
    acc += h[v];
    if (acc >= want) return (double)v;
  }
  return (double)(bins - 1);
}

#define HBINS 65536u

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Median of v[0..n) (sorts v): the mean of the two middle values for even n. */
static double median(double *v, size_t n) {
  if (n == 0) return NAN;
  qsort(v, n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

bnn_status bet_metric_compute(const bnn_model *m, const bnn_dataset *ds, double ber,
                              bet_metric_result *out) {
  if (!m || !ds || !out) return bnn_fail(BNN_E_ARG, "NULL argument");
  memset(out, 0, sizeof *out);
  if (!(ber >= 0 && ber <= 0.5)) return bnn_fail(BNN_E_RANGE, "BER %g outside [0, 0.5]", ber);
  bnn_status st = bet_metric_check(m, ds);
  if (st) return st;
  bet_phi_init_once();
  model_ctx c;
  pscr S;
  if ((st = bet_mctx_make(m, &c, 1))) return st;
  const size_t block = 16;
  if ((st = bet_pscr_alloc(&S, &c, block))) {
    bet_mctx_free(&c);
    return st;
  }
  uint32_t nw = 0,
           *widx = (uint32_t *)bnn_calloc(c.nl, sizeof(uint32_t)); /* weight layer → layer */
  uint64_t *hist = NULL;
  double *sum_m = NULL, *sum_mn = NULL, *sum_pf = NULL, *sum_nm = NULL, *out_nm = NULL,
         *cnt_nm = NULL;
  uint64_t correct = 0;
  for (uint32_t l = 0; widx && l < c.nl; ++l)
    if (c.L[l].I.weight_layer_index >= 0) widx[nw++] = l;
  hist = (uint64_t *)bnn_calloc((size_t)nw * HBINS, sizeof *hist);
  sum_m = (double *)bnn_calloc(nw ? nw : 1, sizeof(double));
  sum_mn = (double *)bnn_calloc(nw ? nw : 1, sizeof(double));
  sum_pf = (double *)bnn_calloc(nw ? nw : 1, sizeof(double));
  sum_nm = (double *)bnn_calloc(nw ? nw : 1, sizeof(double));
  cnt_nm = (double *)bnn_calloc(nw ? nw : 1, sizeof(double));
  out_nm = (double *)bnn_calloc(ds->n ? ds->n : 1, sizeof(double)); /* output's, per image */
  out->layers = (bet_metric_layer *)bnn_calloc(nw ? nw : 1, sizeof *out->layers);
  if (!widx || !hist || !sum_m || !sum_mn || !sum_pf || !sum_nm || !cnt_nm || !out_nm ||
      !out->layers)
    st = bnn_fail(BNN_E_NOMEM, "out of memory");
  for (uint32_t i0 = 0; !st && i0 < ds->n; i0 += (uint32_t)block) {
    size_t nb = ds->n - i0 < block ? ds->n - i0 : block;
    if ((st = bnn_model_preact_batch(m, ds->images + (size_t)i0 * c.img, nb, S.pre))) break;
    for (size_t ii = 0; ii < nb; ++ii) {
      uint32_t i = i0 + (uint32_t)ii;
      const uint8_t *img = ds->images + (size_t)i * c.img;
      const int32_t *pre = S.pre + ii * c.count;
      for (uint32_t wl = 0; wl < nw; ++wl) {
        const lay *x = &c.L[widx[wl]];
        const bnn_layer_info *I = &x->I;
        const int32_t *a = pre + x->off;
        uint64_t *h = hist + (size_t)wl * HBINS;
        if (I->is_output) {
          int64_t mm = output_margin(a, I->out_c);
          uint32_t y = bet_score_argmax(a, I->out_c);
          correct += y == ds->labels[i];
          h[mm < HBINS ? mm : HBINS - 1]++;
          sum_m[wl] += (double)mm, sum_mn[wl] += (double)mm / sqrt((double)I->fan_in);
          out_nm[i] = bet_output_margin_normalized(a, I->out_c, I->fan_in);
          sum_nm[wl] += out_nm[i], cnt_nm[wl] += 1;
          if (ber > 0) { /* the fast path (metric.h); at 0 nothing flips */
            bet_image_uv(&c, pre, &S);
            bet_pscr_slot(&S, &c, 0), bet_image_strata(&c, pre, &S), bet_strata_accum(&c, &S, 1, 1);
            sum_pf[wl] += 1 - bet_predict_image(&c, pre, img, ber, y, &S, 1);
          }
          continue;
        }
        /* own weights flipped only: binary input Σx² = n (the valid fan-in), u8 input Σ pixel²
         * (with an input offset Σ (pixel − q_c)²: a flip moves z = a − qS by 2·|x − q_c|) */
        const uint64_t npx = (uint64_t)I->out_h * I->out_w;
        if (I->kind == BNN_LAYER_CONV3X3 && I->input_u8)
          bet_conv_pixel_stats(x, NULL, img, ber, &S);
        const double dense_sq =
            I->kind == BNN_LAYER_DENSE && I->input_u8 ? bet_input_sumsq(&c, img, I->fan_in) : 0;
        for (uint64_t px = 0; px < npx; ++px) {
          double n_in = I->fan_in, sq = dense_sq;
          if (I->kind == BNN_LAYER_CONV3X3) { /* valid taps only */
            uint32_t yy = (uint32_t)(px / I->in_w), xx = (uint32_t)(px % I->in_w), nv = 0;
            sq = 0;
            for (int t = 0; t < 9; ++t) {
              int64_t sy = (int64_t)yy + t / 3 - 1, sx = (int64_t)xx + t % 3 - 1;
              if (sy < 0 || sx < 0 || sy >= I->in_h || sx >= I->in_w) continue;
              ++nv;
              if (I->input_u8) sq += S.p2[sy * I->in_w + sx];
            }
            n_in = (double)nv * I->in_c;
          }
          double var = 4 * ber * (1 - ber) * (I->input_u8 ? sq : n_in), rn = 1 / sqrt(n_in);
          for (uint32_t o = 0; o < I->out_c; ++o) {
            int32_t av = a[px * I->out_c + o];
            int64_t mm = bet_margin_flips(av, x->t[o], (int8_t)x->d[o]);
            h[mm < HBINS ? mm : HBINS - 1]++;
            sum_m[wl] += (double)mm, sum_mn[wl] += (double)mm * rn;
            const double nm =
                bet_margin_normalized(av, x->t[o], (int8_t)x->d[o], I->input_u8 ? sq : n_in);
            if (isfinite(nm)) /* an all-zero input (window): no flip moves it; left out */
              sum_nm[wl] += nm, cnt_nm[wl] += 1;
            bet_gauss g = {bet_first_mean(x, o, av, 1 - 2 * ber), var};
            sum_pf[wl] += bet_flip_prob(g, av, x->t[o], (int8_t)x->d[o], !I->input_u8);
          }
        }
      }
    }
  }
  if (!st) {
    double hid_mn = 0, hid_pf = 0, hid_cnt = 0, all_nm = 0, all_cnt = 0;
    for (uint32_t wl = 0; wl < nw; ++wl) {
      bet_metric_layer *R = &out->layers[wl];
      const lay *x = &c.L[widx[wl]];
      const uint64_t *h = hist + (size_t)wl * HBINS;
      uint64_t tot = (uint64_t)ds->n * (x->I.is_output ? 1 : x->nout);
      R->layer = widx[wl];
      R->neurons = x->I.out_c, R->positions = x->I.out_h * x->I.out_w, R->fan_in = x->I.fan_in;
      R->input_u8 = x->I.input_u8, R->is_output = x->I.is_output,
      R->is_conv = x->I.kind == BNN_LAYER_CONV3X3;
      R->m_mean = sum_m[wl] / (double)tot, R->mn_mean = sum_mn[wl] / (double)tot;
      R->pflip_mean = sum_pf[wl] / (double)tot;
      R->nm_mean = cnt_nm[wl] > 0 ? sum_nm[wl] / cnt_nm[wl] : (double)NAN;
      R->nm_q50 = x->I.is_output ? median(out_nm, ds->n) : (double)NAN;
      R->m_q10 = hist_q(h, HBINS, tot, 0.1), R->m_q50 = hist_q(h, HBINS, tot, 0.5),
      R->m_q90 = hist_q(h, HBINS, tot, 0.9);
      for (int k = 0; k < BET_METRIC_NK; ++k) {
        uint64_t cc = 0;
        for (int v = 0; v <= bet_metric_k[k]; ++v) cc += h[v];
        R->frac_le[k] = (double)cc / (double)tot;
      }
      if (!x->I.is_output && !x->I.input_u8)
        hid_mn += sum_mn[wl], hid_pf += sum_pf[wl], hid_cnt += (double)tot;
      if (!x->I.is_output) all_nm += sum_nm[wl], all_cnt += cnt_nm[wl];
    }
    out->n_images = ds->n, out->n_layers = nw, out->ber = ber;
    out->accuracy = (double)correct / ds->n;
    out->hidden_mn_mean = hid_cnt > 0 ? hid_mn / hid_cnt : 0;
    out->hidden_pflip_mean = hid_cnt > 0 ? hid_pf / hid_cnt : 0;
    out->all_nm_mean = all_cnt > 0 ? all_nm / all_cnt : 0;
  }
  bnn_free(widx), bnn_free(hist), bnn_free(sum_m), bnn_free(sum_mn), bnn_free(sum_pf);
  bnn_free(sum_nm), bnn_free(cnt_nm), bnn_free(out_nm);
  bet_pscr_free(&S);
  bet_mctx_free(&c);
  if (st) bet_metric_result_free(out);
  return st;
}
