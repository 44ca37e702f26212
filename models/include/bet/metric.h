/* bet/metric.h — bit error tolerance without fault injection: BET margins, predicted flip
 * probabilities and the analytic accuracy-vs-BER prediction (docs/metrics.md derives them). */
#ifndef BET_METRIC_H
#define BET_METRIC_H
#include <stddef.h>
#include <stdint.h>

#include "bnn/bnn.h"
#include "bnn/data.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- one neuron ------------------------------------------------------------------------------
 * Hidden neuron: output +1 iff (d > 0 ? a ≥ t : a ≤ t). With τ = t − d/2 (the half-integer the
 * output switches at) this is d·(a − τ) > 0, and the number of ±2 steps (binary-input weight
 * flips) that change the output is m = ⌈|a − τ| / 2⌉ ≥ 1. */
int64_t bet_margin_flips(int32_t a, int32_t t, int8_t d);

/* The normalised margin of a neuron: |a − τ| / (2·√sumsq), τ = t − d/2, sumsq = Σ x_i² over its
 * inputs (binary inputs: the fan-in n; the 8-bit first layer: the pixels' squares, with an input
 * offset those of p − q_c, docs/metrics.md; a and t in pixel units). Flipping each weight with
 * probability p moves a by a zero-mean-ish sum with variance 4p(1 − p)·sumsq, so this is the
 * distance to the switch point in units of that spread at p(1 − p) = 1 — comparable across layers,
 * widths and input encodings. sumsq ≤ 0: +inf (no flip can move a). */
double bet_margin_normalized(int32_t a, int32_t t, int8_t d, double sumsq);
/* The output layer's: (s_top − s_second) / (2·√(2·fan_in)) (a flip moves one score by 2, and the
 * gap is the difference of two scores, each with fan_in binary inputs); 0 on a tie. */
double bet_output_margin_normalized(const int32_t *s, uint32_t n_classes, uint32_t fan_in);

/* Distribution of a neuron's pre-activation when each weight is flipped independently:
 * +1 weights (stored bit 0) turn −1 with rate p01, −1 weights turn +1 with rate p10. With
 * s_pos = Σ_{w_i=+1} x_i, s_neg = Σ_{w_i=−1} x_i (so a = s_pos − s_neg) and q_pos, q_neg the same
 * sums of x_i², a flip of term i moves a by −2·w_i·x_i, so exactly
 *   E a'   = s_pos·(1 − 2·p01) − s_neg·(1 − 2·p10)
 *   Var a' = 4·p01·(1 − p01)·q_pos + 4·p10·(1 − p10)·q_neg.
 * Symmetric p with binary inputs (q_pos + q_neg = n): E a' = a(1 − 2p), Var a' = 4np(1 − p). */
typedef struct bet_gauss {
  double mean, var;
} bet_gauss;
bet_gauss bet_preact_under_flips(double s_pos, double s_neg, double q_pos, double q_neg, double p01,
                                 double p10);
/* Probability that a neuron with clean pre-activation a (threshold t, direction d) changes its
 * output when its pre-activation is N(g.mean, g.var) (normal approximation, switch point τ).
 * var = 0 gives 0 or 1 exactly. binary_inputs: a' moves on a's parity lattice (steps of 2), so the
 * switch point is halfway between the lattice points either side of the threshold (continuity
 * correction); otherwise (8-bit inputs) τ. */
double bet_flip_prob(bet_gauss g, int32_t a, int32_t t, int8_t d, int binary_inputs);

/* ---- metrics over a data set ----------------------------------------------------------------- */
#define BET_METRIC_NK 4 /* fractions with m ≤ 1, 2, 4, 8 */
extern const int bet_metric_k[BET_METRIC_NK];

typedef struct bet_metric_layer {
  uint32_t layer;     /* index over all layers (bnn_model_layer) */
  uint32_t neurons;   /* output channels (dense: neurons) */
  uint32_t positions; /* conv: output pixels (each channel is a neuron at every position); 1 else */
  uint32_t fan_in;    /* nominal (conv: 9·C_in; at the border only the valid taps count) */
  int is_conv;
  int input_u8;  /* first layer: one flip moves a by 2·x_i, so m counts steps of 2 */
  int is_output; /* output layer: m is the per-input output margin ⌈(s_top − s_2nd)/2⌉ */
  double m_mean, m_q10, m_q50, m_q90; /* over neurons × positions × images (output: over images) */
  double mn_mean;                     /* mean of m/√n, n = the neuron's valid fan-in */
  double nm_mean; /* mean normalised margin (bet_margin_normalized; output layer:
                     bet_output_margin_normalized), every layer including the 8-bit first;
                     neurons whose inputs are all zero (infinite margin) are left out */
  double nm_q50;  /* output layer: median of its normalised margin over images; hidden: NaN */
  double frac_le[BET_METRIC_NK];
  double pflip_mean; /* hidden: mean predicted flip probability at the given BER (own weights
                        flipped only); output: predicted P(prediction changes) */
} bet_metric_layer;

typedef struct bet_metric_result {
  uint32_t n_images, n_layers; /* n_layers = weight layers = entries of `layers` */
  bet_metric_layer *layers;
  double accuracy;          /* clean, engine-exact */
  double hidden_mn_mean;    /* aggregate: mean m/√n over binary-input hidden neurons and images
                               (the first layer's m is in pixel units, so it is left out) */
  double hidden_pflip_mean; /* mean predicted flip probability over those neurons */
  double all_nm_mean;       /* mean normalised margin over every hidden neuron (the first layer
                               included) × positions × images */
  double ber;               /* the BER the flip probabilities are for */
} bet_metric_result;

/* Runs the exact integer forward pass (bnn_model_preact_batch) over the data set. Dense, conv 3×3
 * and max-pool layers; the output layer must be dense (BNN_E_UNSUPPORTED otherwise); hidden weight
 * layers need thresholds and the data shape must match (BNN_E_SHAPE); ber in [0, 0.5]. layers[] has
 * one entry per weight layer; bet_metric_layer.layer is its index over all layers. */
bnn_status bet_metric_compute(const bnn_model *m, const bnn_dataset *ds, double ber,
                              bet_metric_result *out);
void bet_metric_result_free(bet_metric_result *r);

/* Analytic accuracy at each of n_ber symmetric weight BERs (every weight layer in error-prone
 * memory): per image, layer by layer, a hidden neuron's pre-activation is normal with the variance
 * 4·Σ r_j(1 − r_j) of its terms' flips (r_j = p + q_j(1 − 2p): weight flip xor input activation
 * flip q_j; dense: over the whole layer input, conv: over the neuron's 3×3 window) and the mean
 * below, its own flip probability follows, a max-pool output flips as derived in docs/metrics.md,
 * and at the output P(correct) = E_z Π_{k≠y} Φ((μ_y − μ_k)/σ + z). acc_out: n_ber values. Mean:
 * exactly E a'_o = (1 − 2p)(a_o − 2 Σ_j w_oj x_j q_j). With stratified_mean (default) a dense layer
 * fed by a dense hidden layer uses it as is for the output layer and, for hidden layers,
 * approximates Σ_j w_oj x_j q_j by Σ_b f_b Σ_{j∈b} w_oj x_j over strata b of the inputs (similar
 * margin and oriented pre-activation; f_b their mean flip probability). Otherwise (conv, pool,
 * first layer, or stratified_mean = 0) every q_j is replaced by the layer mean: a_o(1 − 2r̄). A
 * first layer with an input offset (bnn_model_set_input_offset) flips z = a − qS: mean
 * (a_o − qS_o)(1 − 2p) + qS_o, variance 4p(1 − p)·Σ(p_i − q_c)² (docs/metrics.md). */
typedef struct bet_predict_params {
  int threads;         /* worker threads, 1..256; the result does not depend on it */
  int stratified_mean; /* 1 (default): the stratified / exact mean above; 0: the layer-mean
                          approximation (about 5× faster on wide FCNNs, optimistic at high BER) */
} bet_predict_params;
bet_predict_params bet_predict_default_params(void); /* threads = 1, stratified_mean = 1 */
/* Fast: batched pre-activations shared by all BERs, per image the BER-independent parts of every
 * CDF argument and the stratum sums once, a table normal CDF (error ≤ 5e-7), AVX2 kernels, threads.
 */
bnn_status bet_predict_accuracy(const bnn_model *m, const bnn_dataset *ds, const double *ber,
                                size_t n_ber, const bet_predict_params *p, double *acc_out);
/* The reference twin: per image the reference pre-activation pass, per BER and neuron erfc
 * (bet_flip_prob), double sums, one thread (p->threads is ignored). Tests hold the two within 1e-4.
 */
bnn_status bet_predict_accuracy_ref(const bnn_model *m, const bnn_dataset *ds, const double *ber,
                                    size_t n_ber, const bet_predict_params *p, double *acc_out);

/* Checks a model/data pair for the metric functions (message through bnn_errmsg). */
bnn_status bet_metric_check(const bnn_model *m, const bnn_dataset *ds);

#ifdef __cplusplus
}
#endif
#endif /* BET_METRIC_H */
