/* predict_impl.h — internals of the analytic prediction (predict.c) that the margin metrics
 * (margin.c) reuse: the per-model layer tables, the per-image scratch and the per-image steps. */
#ifndef BET_PREDICT_IMPL_H
#define BET_PREDICT_IMPL_H
#include <stddef.h>
#include <stdint.h>

#include "bet/metric.h"
#include "metric_impl.h"

/* Strata of a dense hidden layer's ±1 inputs (docs/metrics.md): STRAT_M quantile groups of the
 * input neurons' clean margin |a − τ|, each split into STRAT_U quantile groups of their oriented
 * pre-activation s·a (s = the direction towards their switch point); the two integers that, with
 * the layer's common σ, fix an input's flip probability at every BER. */
#define STRAT_M    4
#define STRAT_U    16
#define NSTRAT     (STRAT_M * STRAT_U)
#define PRED_SLOTS 8 /* images whose stratum sums share one pass over the weights (fast path) */

/* Per layer (all layers, pooling included): what the per-image loops need, fetched once. */
typedef struct lay {
  bnn_layer_info I;
  int32_t *t;    /* hidden weight layers: per channel */
  int32_t *d;    /* ±1, widened so the per-image loops vectorise */
  uint64_t off;  /* weight layers: offset of this layer's values in the preact vector */
  uint64_t nout; /* out_c·out_h·out_w */
  /* Dense layer with ±1 inputs straight from a dense hidden layer (docs/metrics.md, "mean of a
   * dense layer"): hidden → stratified input-flip mean (strat), output → exact mean (exact_out). */
  int strat, exact_out;
  int8_t *w8;    /* strat: weights transposed, fan_in × out_c; exact_out: out_c × fan_in */
  float *wf;     /* exact_out: the same as floats (the fast path's dot products) */
  uint64_t coff; /* strat: offset of this layer's stratum sums C in pscr.C */
  /* The first layer of a model with an input offset (bnn.h): per neuron qS_j = Σ_c q_c·S_jc of the
   * model's own weights, so its pre-activation in pixel units is z_j = a_j − qS_j; NULL if none. */
  double *qs;
} lay;

typedef struct model_ctx {
  lay *L;
  uint32_t nl;
  uint64_t count; /* pre-activations per image */
  uint64_t maxv;  /* largest layer input/output in values */
  uint64_t maxpx; /* largest conv input in pixels */
  uint32_t ncls;
  size_t img;     /* bytes per image */
  uint64_t csize; /* Σ over strat layers of NSTRAT·out_c (pscr.C) */
  uint32_t in_c;  /* image channels (HWC: input i of a dense first layer is channel i % in_c) */
  double *qoff;   /* the input offset q_c per channel (bnn_model_input_offset); NULL if none */
} model_ctx;

/* Per-image scratch of the prediction (one per thread). */
typedef struct pscr {
  double *q[2];    /* flip probability of each value of the current layer's input / output */
  int8_t *sg[2];   /* clean sign (±1) of each binary value, for max-pool */
  double *p1, *p2; /* conv: per input pixel Σ_c r, Σ_c r(1 − r) (u8: Σ_c x² in p2) */
  float *u, *v;    /* fast: per hidden value, the BER-independent parts of the CDF argument */
  double *mu;
  int32_t *pre; /* pre-activations of a block of images */
  /* per image, BER-independent (bet_image_strata): clean sign of every hidden value, the stratum of
   * every value feeding a strat layer, and per strat layer C[b][o] = Σ_{i ∈ stratum b} w_oi x_i */
  int8_t *xs;
  uint8_t *bk;
  int16_t *C;
  uint32_t *ord, *start; /* per strat layer: its inputs by stratum, and where each stratum starts */
  /* PRED_SLOTS images' worth of the above (xs, bk, C, ord, start point into the slot bet_pscr_slot
   * chose), so that the stratum sums of several images are accumulated in one pass over the weights
   */
  int8_t *xs_all;
  uint8_t *bk_all;
  int16_t *C_all;
  uint32_t *ord_all, *start_all;
  uint32_t *key, *ia; /* sorting scratch (maxv each) */
  double *sm;         /* per value: Σ_b f_b C[b][o], the input-flip term of the mean */
  float *uu;          /* fast: per value, s·(a − 2·sm) */
} pscr;

/* Index of the first highest score of s[0..n) (ties to the lowest index). */
static inline uint32_t bet_score_argmax(const int32_t *s, uint32_t n) {
  uint32_t b = 0;
  for (uint32_t k = 1; k < n; ++k)
    if (s[k] > s[b]) b = k;
  return b;
}

/* Φ(x), the exact normal CDF (erfc). */
double bet_norm_cdf(double x);

/* Fills the table CDF and picks the prediction kernels for this CPU (once per process). */
void bet_phi_init_once(void);

/* The layer tables of model m (stratified: dense layers fed by dense hidden layers take the
 * stratified mean); bet_mctx_free releases them (also after a failed make). */
bnn_status bet_mctx_make(const bnn_model *m, model_ctx *c, int stratified);
void bet_mctx_free(model_ctx *c);

/* Σ_i (x_i − q_{i mod C})² over the n = fan-in pixels of a dense first layer (q: c->qoff, 0 without
 * an offset): the spread weight flips give its pre-activation, since a flip of weight i moves
 * z = a − qS by −2·w_i·(x_i − q_c). */
double bet_input_sumsq(const model_ctx *c, const uint8_t *img, uint32_t n);

/* The mean of a hidden neuron's pre-activation a' when its own weights flip at rate p (e = 1 − 2p)
 * and its inputs are exact: a·e, or for a first layer with an input offset (qs = x->qs[o])
 * (a − qs)·e + qs: E z' = z·e, and the threshold stays that of the clean weights (bnn.h). */
static inline double bet_first_mean(const lay *x, uint32_t o, int32_t a, double e) {
  return x->qs ? ((double)a - x->qs[o]) * e + x->qs[o] : a * e;
}

/* Scratch for `block` images of the model in c; bet_pscr_slot points the per-image fields at
 * slot g (< PRED_SLOTS). */
bnn_status bet_pscr_alloc(pscr *s, const model_ctx *c, size_t block);
void bet_pscr_free(pscr *s);
void bet_pscr_slot(pscr *s, const model_ctx *c, size_t g);

/* Per image, BER-independent: the fast path's u, v (bet_image_uv), the clean signs and strata
 * (bet_image_strata), and the stratum sums of G slots' images (bet_strata_accum). */
void bet_image_uv(const model_ctx *c, const int32_t *pre, pscr *S);
void bet_image_strata(const model_ctx *c, const int32_t *pre, pscr *S);
void bet_strata_accum(const model_ctx *c, pscr *S, size_t G, int fast);

/* Per input pixel of conv layer x: Σ_c r and Σ_c r(1 − r) of its input flip probabilities q (or
 * Σ_c x² for an 8-bit image) into S->p1, S->p2. */
void bet_conv_pixel_stats(const lay *x, const double *q, const uint8_t *img, double p, pscr *S);

/* One image at symmetric weight BER p: P(prediction = y) (predict.c says how). */
double bet_predict_image(const model_ctx *c, const int32_t *pre, const uint8_t *img, double p,
                         uint32_t y, pscr *S, int fast);

#endif /* BET_PREDICT_IMPL_H */
