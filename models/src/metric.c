/* metric.c — BET margins, predicted flip probabilities and the analytic accuracy prediction. */
#include "bet/metric.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const int bet_metric_k[BET_METRIC_NK] = {1, 2, 4, 8};

int64_t bet_margin_flips(int32_t a, int32_t t, int8_t d) {
  /* d·(a − τ) with τ = t − d/2, doubled to stay in integers: 2d(a − t) + 1 (always odd, > 0 on the
   * +1 side). m = ⌈|a − τ|/2⌉ = ⌈|2d(a − t) + 1| / 4⌉. */
  int64_t twice = 2 * (int64_t)d * ((int64_t)a - t) + 1;
  if (twice < 0) twice = -twice;
  return (twice + 3) / 4;
}

bet_gauss bet_preact_under_flips(double s_pos, double s_neg, double q_pos, double q_neg, double p01, double p10) {
  bet_gauss g;
  g.mean = s_pos * (1 - 2 * p01) - s_neg * (1 - 2 * p10);
  g.var = 4 * p01 * (1 - p01) * q_pos + 4 * p10 * (1 - p10) * q_neg;
  return g;
}

static double norm_cdf(double x) { return 0.5 * erfc(-x / sqrt(2.0)); }

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
  double p_pos = norm_cdf(d * (g.mean - tau) / sqrt(g.var));
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
    if (I.kind != BNN_LAYER_DENSE)
      return bnn_fail(BNN_E_UNSUPPORTED, "layer %u is %s: margin metrics and prediction support dense models only", i,
                      bnn_layer_kind_str(I.kind));
  }
  if ((uint64_t)c * h * w != (uint64_t)ds->c * ds->h * ds->w)
    return bnn_fail(BNN_E_SHAPE, "model expects %ux%ux%u images, data set %s has %ux%ux%u", h, w, c, ds->name, ds->h,
                    ds->w, ds->c);
  if (ds->n == 0) return bnn_fail(BNN_E_SHAPE, "data set %s has no images", ds->name);
  uint32_t ncls = bnn_model_n_classes(m);
  for (uint32_t i = 0; i < ds->n; ++i)
    if (ds->labels[i] >= ncls)
      return bnn_fail(BNN_E_SHAPE, "data set %s has label %u at image %u, model has %u classes", ds->name,
                      ds->labels[i], i, ncls);
  return BNN_OK;
}

/* Per weight layer: what the per-image loops need, fetched once. */
typedef struct lay {
  bnn_layer_info I;
  int32_t *t;
  int8_t *d;
  uint64_t off; /* offset of this layer's values in the preact vector */
} lay;

static bnn_status lays_make(const bnn_model *m, lay **out, uint32_t *n_out) {
  uint32_t nl = bnn_model_n_layers(m), nw = 0;
  lay *L = (lay *)bnn_calloc(nl, sizeof *L);
  if (!L) return bnn_fail(BNN_E_NOMEM, "out of memory");
  uint64_t off = 0;
  for (uint32_t i = 0; i < nl; ++i) {
    lay *x = &L[nw++];
    bnn_model_layer(m, i, &x->I);
    x->off = off;
    off += x->I.out_c;
    if (x->I.is_output) continue;
    x->t = (int32_t *)bnn_malloc(sizeof(int32_t) * x->I.out_c);
    x->d = (int8_t *)bnn_malloc(x->I.out_c);
    if (!x->t || !x->d) {
      *out = L, *n_out = nw;
      return bnn_fail(BNN_E_NOMEM, "out of memory");
    }
    for (uint32_t o = 0; o < x->I.out_c; ++o) bnn_model_threshold(m, i, o, &x->t[o], &x->d[o]);
  }
  *out = L, *n_out = nw;
  return BNN_OK;
}

static void lays_free(lay *L, uint32_t n) {
  if (!L) return;
  for (uint32_t i = 0; i < n; ++i) bnn_free(L[i].t), bnn_free(L[i].d);
  bnn_free(L);
}

static uint32_t argmax(const int32_t *s, uint32_t n) {
  uint32_t b = 0;
  for (uint32_t k = 1; k < n; ++k)
    if (s[k] > s[b]) b = k;
  return b;
}

/* Output margin ⌈(s_top − s_second)/2⌉ in weight flips. */
static int64_t output_margin(const int32_t *s, uint32_t n) {
  uint32_t b = argmax(s, n);
  int64_t second = INT64_MIN;
  for (uint32_t k = 0; k < n; ++k)
    if (k != b && s[k] > second) second = s[k];
  if (second == INT64_MIN) return 0;
  return ((int64_t)s[b] - second + 1) / 2;
}

/* P(class y has the highest score) when score k is N(mu[k], var) independently (equal variances):
 * E_z Π_{k≠y} Φ((μ_y − μ_k)/σ + z), z ~ N(0, 1), by the midpoint rule on [−8, 8]. */
#define ZN 64
static double p_class_wins(const double *mu, uint32_t n, uint32_t y, double var) {
  if (var <= 0) {
    /* exact: arg-max with ties to the lowest index */
    for (uint32_t k = 0; k < n; ++k)
      if (k != y && (mu[k] > mu[y] || (mu[k] == mu[y] && k < y))) return 0;
    return 1;
  }
  double sd = sqrt(var), tot = 0;
  const double lo = -8, dz = 16.0 / ZN;
  for (int i = 0; i < ZN; ++i) {
    double z = lo + (i + 0.5) * dz, pr = exp(-0.5 * z * z) * dz / 2.5066282746310002 /* √(2π) */;
    for (uint32_t k = 0; k < n && pr > 1e-300; ++k)
      if (k != y) pr *= norm_cdf((mu[y] - mu[k]) / sd + z);
    tot += pr;
  }
  return tot > 1 ? 1 : tot;
}

/* One image at symmetric weight BER p: propagates term flip rates layer by layer (see the header)
 * and returns P(prediction = y). q/qn: scratch of the widest layer. */
static double predict_image(const lay *L, uint32_t nw, const int32_t *pre, double s2, double p, uint32_t y,
                            double *q, double *qn, double *mu) {
  double sum_r = 0, sum_rr = 0; /* over the current layer's input terms: Σ r_j, Σ r_j(1 − r_j) */
  uint32_t n_in = 0;
  for (uint32_t l = 0; l < nw; ++l) {
    const lay *x = &L[l];
    const int32_t *a = pre + x->off;
    double rbar, var;
    if (x->I.input_u8) {
      rbar = p;
      var = 4 * p * (1 - p) * s2; /* Σ x_i² over 8-bit pixels */
    } else {
      rbar = sum_r / n_in;
      var = 4 * sum_rr;
    }
    if (x->I.is_output) {
      for (uint32_t k = 0; k < x->I.out_c; ++k) mu[k] = a[k] * (1 - 2 * rbar);
      return p_class_wins(mu, x->I.out_c, y, var);
    }
    sum_r = sum_rr = 0;
    for (uint32_t o = 0; o < x->I.out_c; ++o) {
      bet_gauss g = {a[o] * (1 - 2 * rbar), var};
      double qq = bet_flip_prob(g, a[o], x->t[o], x->d[o], !x->I.input_u8);
      double r = p + qq * (1 - 2 * p); /* weight flip xor activation flip */
      qn[o] = qq;
      sum_r += r, sum_rr += r * (1 - r);
    }
    n_in = x->I.out_c;
    double *tmp = q;
    q = qn, qn = tmp;
  }
  return 0; /* unreachable: a valid model ends in its output layer */
}

static bnn_status scratch(const bnn_model *m, int32_t **pre, double **q, double **qn, double **mu) {
  uint32_t maxc = 0;
  for (uint32_t i = 0; i < bnn_model_n_layers(m); ++i) {
    bnn_layer_info I;
    bnn_model_layer(m, i, &I);
    if (I.out_c > maxc) maxc = I.out_c;
  }
  *pre = (int32_t *)bnn_malloc(sizeof(int32_t) * (size_t)bnn_model_preact_count(m));
  *q = (double *)bnn_malloc(sizeof(double) * maxc);
  *qn = (double *)bnn_malloc(sizeof(double) * maxc);
  *mu = (double *)bnn_malloc(sizeof(double) * maxc);
  if (!*pre || !*q || !*qn || !*mu) return bnn_fail(BNN_E_NOMEM, "out of memory");
  return BNN_OK;
}

static double pixel_sq(const bnn_dataset *ds, uint32_t i) {
  size_t sz = (size_t)ds->c * ds->h * ds->w;
  const uint8_t *img = ds->images + i * sz;
  double s = 0;
  for (size_t k = 0; k < sz; ++k) s += (double)img[k] * img[k];
  return s;
}

bnn_status bet_predict_accuracy(const bnn_model *m, const bnn_dataset *ds, const double *ber, size_t n_ber,
                                double *acc_out) {
  if (!m || !ds || (!ber && n_ber) || (!acc_out && n_ber)) return bnn_fail(BNN_E_ARG, "NULL argument");
  if (n_ber == 0) return bnn_fail(BNN_E_ARG, "empty BER list");
  for (size_t b = 0; b < n_ber; ++b)
    if (!(ber[b] >= 0 && ber[b] <= 0.5)) return bnn_fail(BNN_E_RANGE, "BER %g outside [0, 0.5]", ber[b]);
  bnn_status st = bet_metric_check(m, ds);
  if (st) return st;
  lay *L = NULL;
  uint32_t nw = 0;
  int32_t *pre = NULL;
  double *q = NULL, *qn = NULL, *mu = NULL;
  st = lays_make(m, &L, &nw);
  if (!st) st = scratch(m, &pre, &q, &qn, &mu);
  for (size_t b = 0; b < n_ber; ++b) acc_out[b] = 0;
  size_t sz = (size_t)ds->c * ds->h * ds->w;
  for (uint32_t i = 0; !st && i < ds->n; ++i) {
    st = bnn_model_preact(m, ds->images + i * sz, pre);
    double s2 = pixel_sq(ds, i);
    for (size_t b = 0; !st && b < n_ber; ++b)
      acc_out[b] += predict_image(L, nw, pre, s2, ber[b], ds->labels[i], q, qn, mu);
  }
  for (size_t b = 0; b < n_ber; ++b) acc_out[b] /= ds->n;
  bnn_free(pre), bnn_free(q), bnn_free(qn), bnn_free(mu);
  lays_free(L, nw);
  return st;
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

bnn_status bet_metric_compute(const bnn_model *m, const bnn_dataset *ds, double ber, bet_metric_result *out) {
  if (!m || !ds || !out) return bnn_fail(BNN_E_ARG, "NULL argument");
  memset(out, 0, sizeof *out);
  if (!(ber >= 0 && ber <= 0.5)) return bnn_fail(BNN_E_RANGE, "BER %g outside [0, 0.5]", ber);
  bnn_status st = bet_metric_check(m, ds);
  if (st) return st;
  lay *L = NULL;
  uint32_t nw = 0;
  int32_t *pre = NULL;
  double *q = NULL, *qn = NULL, *mu = NULL;
  uint64_t *hist = NULL;
  double *sum_m = NULL, *sum_mn = NULL, *sum_pf = NULL;
  uint64_t correct = 0;
  st = lays_make(m, &L, &nw);
  if (!st) st = scratch(m, &pre, &q, &qn, &mu);
  if (!st) {
    hist = (uint64_t *)bnn_calloc((size_t)nw * HBINS, sizeof *hist);
    sum_m = (double *)bnn_calloc(nw, sizeof(double));
    sum_mn = (double *)bnn_calloc(nw, sizeof(double));
    sum_pf = (double *)bnn_calloc(nw, sizeof(double));
    out->layers = (bet_metric_layer *)bnn_calloc(nw, sizeof *out->layers);
    if (!hist || !sum_m || !sum_mn || !sum_pf || !out->layers) st = bnn_fail(BNN_E_NOMEM, "out of memory");
  }
  size_t sz = (size_t)ds->c * ds->h * ds->w;
  for (uint32_t i = 0; !st && i < ds->n; ++i) {
    const uint8_t *img = ds->images + i * sz;
    st = bnn_model_preact(m, img, pre);
    if (st) break;
    double s2 = pixel_sq(ds, i);
    for (uint32_t l = 0; l < nw; ++l) {
      const lay *x = &L[l];
      const int32_t *a = pre + x->off;
      uint64_t *h = hist + (size_t)l * HBINS;
      double rn = 1 / sqrt((double)x->I.fan_in);
      if (x->I.is_output) {
        int64_t mm = output_margin(a, x->I.out_c);
        uint32_t y = argmax(a, x->I.out_c);
        correct += y == ds->labels[i];
        h[mm < HBINS ? mm : HBINS - 1]++;
        sum_m[l] += (double)mm, sum_mn[l] += (double)mm * rn;
        sum_pf[l] += 1 - predict_image(L, nw, pre, s2, ber, y, q, qn, mu);
        continue;
      }
      /* own weights flipped only: binary input Σx² = n, u8 input Σ pixel² */
      double var = 4 * ber * (1 - ber) * (x->I.input_u8 ? s2 : (double)x->I.fan_in);
      for (uint32_t o = 0; o < x->I.out_c; ++o) {
        int64_t mm = bet_margin_flips(a[o], x->t[o], x->d[o]);
        h[mm < HBINS ? mm : HBINS - 1]++;
        sum_m[l] += (double)mm, sum_mn[l] += (double)mm * rn;
        bet_gauss g = {a[o] * (1 - 2 * ber), var};
        sum_pf[l] += bet_flip_prob(g, a[o], x->t[o], x->d[o], !x->I.input_u8);
      }
    }
  }
  if (!st) {
    double hid_mn = 0, hid_pf = 0, hid_cnt = 0;
    for (uint32_t l = 0; l < nw; ++l) {
      bet_metric_layer *R = &out->layers[l];
      const lay *x = &L[l];
      const uint64_t *h = hist + (size_t)l * HBINS;
      uint64_t tot = (uint64_t)ds->n * (x->I.is_output ? 1 : x->I.out_c);
      R->layer = l; /* dense-only: weight-layer index = layer index */
      R->neurons = x->I.out_c, R->fan_in = x->I.fan_in;
      R->input_u8 = x->I.input_u8, R->is_output = x->I.is_output;
      R->m_mean = sum_m[l] / (double)tot, R->mn_mean = sum_mn[l] / (double)tot;
      R->pflip_mean = sum_pf[l] / (double)tot;
      R->m_q10 = hist_q(h, HBINS, tot, 0.1), R->m_q50 = hist_q(h, HBINS, tot, 0.5), R->m_q90 = hist_q(h, HBINS, tot, 0.9);
      for (int k = 0; k < BET_METRIC_NK; ++k) {
        uint64_t c = 0;
        for (int v = 0; v <= bet_metric_k[k]; ++v) c += h[v];
        R->frac_le[k] = (double)c / (double)tot;
      }
      if (!x->I.is_output && !x->I.input_u8) hid_mn += sum_mn[l], hid_pf += sum_pf[l], hid_cnt += (double)tot;
    }
    out->n_images = ds->n, out->n_layers = nw, out->ber = ber;
    out->accuracy = (double)correct / ds->n;
    out->hidden_mn_mean = hid_cnt > 0 ? hid_mn / hid_cnt : 0;
    out->hidden_pflip_mean = hid_cnt > 0 ? hid_pf / hid_cnt : 0;
  }
  bnn_free(pre), bnn_free(q), bnn_free(qn), bnn_free(mu), bnn_free(hist);
  bnn_free(sum_m), bnn_free(sum_mn), bnn_free(sum_pf);
  lays_free(L, nw);
  if (st) bet_metric_result_free(out);
  return st;
}
