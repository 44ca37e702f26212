/* bnn/bnn.h — libbnn: the bit-packed binarized-neural-network inference engine.
 *
 * Bit convention (one for the whole project): a packed ±1 value is one bit, bit 0 = +1, bit 1 = −1.
 * For n-bit vectors x and w, dot(x, w) = Σ x_i·w_i = n − 2·popcount(x ⊕ w). Padding bits past n in
 * a packed row are 0 in both weights and activations, so they add nothing to the popcount.
 *
 * Layers (in order; the last weight layer is the output layer):
 *   - dense:     a = Σ_i w_i·x_i over the fan-in;
 *   - conv3x3:   stride 1, pad 1; padded positions contribute 0 (not ±1), so at borders the dot
 * runs over the valid taps only; activations are stored HWC with channels packed;
 *   - maxpool2:  2×2 stride 2 on binary activations (max of ±1 = +1 if any is +1: bitwise AND);
 *   - the first weight layer takes 8-bit unsigned pixels x ∈ [0, 255] and computes a = Σ w_i·x_i
 *     exactly in integers;
 *   - hidden weight layers end in batch norm + sign folded into an integer threshold t and a
 *     direction d: output +1 iff (d > 0 ? a ≥ t : a ≤ t); γ < 0 gives d = −1;
 *   - the output layer gives integer scores a_k (times the model's float output scale, if any);
 *     the prediction is the arg-max, ties to the lowest class index;
 *   - optionally (an imported output batch norm / per-class affine; model format version 2) a
 *     per-class affine: the prediction is then the arg-max of scale_k·a_k + offset_k computed in
 *     double precision, ties to the lowest class index; the integer scores stay a_k;
 *   - optionally (model format version 3) an input offset: a net trained on x = (p − q_c)/s
 *     (q_c a per-channel pixel offset: [−1, 1] pixels x = 2p/255 − 1 have q = 127.5, a
 *     normalisation (p/255 − M_c)/S_c has q_c = 255·M_c) has first-layer pre-activation
 *     s·z_j = a_j − Σ_c q_c·S_jc, where S_jc = Σ w_ji over the inputs i of channel c; the engine
 *     takes S_jc from the rows it fetched (the stored, possibly faulty weights), see
 *     bnn_model_set_input_offset. */
#ifndef BNN_BNN_H
#define BNN_BNN_H

#include <stdint.h>
#include <stddef.h>

#include "bnn/port.h"
#include "bnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bnn_model bnn_model;

typedef enum bnn_layer_kind {
  BNN_LAYER_DENSE = 0,
  BNN_LAYER_CONV3X3 = 1,
  BNN_LAYER_MAXPOOL2 = 2,
  BNN_LAYER_KIND_COUNT
} bnn_layer_kind;

const char *bnn_layer_kind_str(bnn_layer_kind k);

typedef struct bnn_layer_info {
  bnn_layer_kind kind;
  uint32_t in_c, in_h, in_w;    /* input shape (dense: in_c = fan-in, in_h = in_w = 1 unless it
                                   follows a conv/pool; see fan_in) */
  uint32_t out_c, out_h, out_w; /* output shape (dense: out_c = neurons) */
  uint32_t fan_in;              /* weights per neuron (conv: 9·in_c); 0 for pooling */
  int input_u8;                 /* 1 for the first weight layer (8-bit pixels in) */
  int is_output;                /* 1 for the last weight layer (integer scores out) */
  int weight_layer_index;       /* 0, 1, ... over weight layers; -1 for pooling */
  uint64_t weight_addr;         /* byte address of this layer's packed rows in the weight image */
  uint64_t row_bytes;           /* bytes per packed neuron row (a multiple of 8) */
  uint64_t weight_bytes;        /* out_c · row_bytes */
} bnn_layer_info;

/* ---- building and files ------------------------------------------------------------------- */

/* An empty model taking images of in_h × in_w × in_c 8-bit pixels (stored HWC). */
bnn_status bnn_model_create(bnn_model **out, uint32_t in_c, uint32_t in_h, uint32_t in_w);
/* w: n_out × fan_in values in {−1, +1}; for a dense layer after a conv/pool the fan-in index is
 * (y·W + x)·C + c (HWC flatten). thresh/dir: n_out each for a hidden layer; both NULL for the
 * output layer (which must be the last weight layer added). */
bnn_status bnn_model_add_dense(bnn_model *m, uint32_t n_out, const int8_t *w, const int32_t *thresh,
                               const int8_t *dir);
/* w: c_out × 3 × 3 × c_in values in {−1, +1} (index ((o·3 + ky)·3 + kx)·c_in + c). */
bnn_status bnn_model_add_conv3x3(bnn_model *m, uint32_t c_out, const int8_t *w,
                                 const int32_t *thresh, const int8_t *dir);
bnn_status bnn_model_add_maxpool2(bnn_model *m);
/* Scores are multiplied by this for reporting (the trained output scale); 1.0 by default. */
void bnn_model_set_output_scale(bnn_model *m, float scale);
/* Per-class output affine (see the top comment): scale and offset are n_classes finite doubles
 * each; the output layer must exist. NULL for both removes it. A model with one is saved in format
 * version 2 (3 with an input offset); without, in version 1 (byte-identical to earlier builds). */
bnn_status bnn_model_set_output_affine(bnn_model *m, const double *scale, const double *offset);
/* Input offset (see the top comment): q_c = num[c] / 2^shift exactly (num: in_c values; pm1:
 * num 255, shift 1), thresh: the first layer's out_c thresholds T_j in units of
 * v_j = 2^shift·a_j − Σ_c num_c·S_jc. Neuron j of the first layer then outputs +1 iff
 * (d_j > 0 ? v_j ≥ T_j : v_j ≤ T_j), exactly in 64-bit integers, with S_jc computed from the row
 * the engine fetched through its port, so a flipped first-layer weight moves z by its whole
 * −2·w·x (pixel and offset part), as in a net whose weights sit in faulty memory. The engine does
 * it by deriving int32 thresholds t_j = ceil((T_j + Σ_c num_c·S_jc) / 2^shift) (floor for d < 0)
 * once per weight fetch; the kernels are unchanged. The first layer must be a hidden dense layer
 * (conv: its zero padding is not an offset pixel) with its directions set (bnn_model_add_dense;
 * its thresholds there are replaced), in_c ≤ 64, and 2^shift·255·fan_in, max|num|·fan_in, |T_j|
 * ≤ 2^61. The layer's int32 thresholds (bnn_model_threshold, bnn_model_preact) become those of the
 * model's own weights. A model with one is saved in format version 3. NULL for both removes it. */
bnn_status bnn_model_set_input_offset(bnn_model *m, uint32_t shift, const int64_t *num,
                                      const int64_t *thresh);
/* 1 and shift, num (in_c values), thresh (the first layer's out_c values) — each may be NULL — if
 * the model has an input offset; 0 (untouched) if not. */
int bnn_model_input_offset(const bnn_model *m, uint32_t *shift, int64_t *num, int64_t *thresh);
/* 1 and the n_classes values in scale/offset (either may be NULL) if the model has an output
 * affine; 0 (arrays untouched) if not. */
int bnn_model_output_affine(const bnn_model *m, double *scale, double *offset);
/* The prediction for one image's integer scores (n_classes values): arg-max of the scores, or of
 * the output affine applied to them; ties to the lowest class index. What bnn_engine_run does. */
uint32_t bnn_model_predict_scores(const bnn_model *m, const int32_t *scores);
/* Provenance: JSON text (how it was trained, seed, data set, clean accuracy). Copied. */
bnn_status bnn_model_set_provenance(bnn_model *m, const char *json);

/* Whether a model taking in_h × in_w × in_c images with these layers (kinds[i], n_out[i]; n_out of
 * a maxpool2 is ignored; the last must be the dense output layer) lies within the engine's and the
 * model format's limits — the rule bnn_model_push and bnn_model_load apply (bnn_model_next_info).
 * BNN_OK or their error ("layer <i>: dense with <n> outputs (accepted 1..<max>)", ...). For
 * producers of models (training) to refuse a shape before spending any work on it. */
bnn_status bnn_model_check_shape(uint32_t in_c, uint32_t in_h, uint32_t in_w, uint32_t n_layers,
                                 const bnn_layer_kind *kinds, const uint32_t *n_out);

/* Writes atomically (temp file + rename). The format is specified in workloads/src/model_io.c. */
bnn_status bnn_model_save(const bnn_model *m, const char *path);
/* Validates every size and count before allocating. */
bnn_status bnn_model_load(bnn_model **out, const char *path);
void bnn_model_free(bnn_model *m); /* NULL-safe */

/* ---- inspection --------------------------------------------------------------------------- */

uint32_t bnn_model_n_layers(const bnn_model *m);
bnn_status bnn_model_layer(const bnn_model *m, uint32_t i, bnn_layer_info *info);
void bnn_model_input_shape(const bnn_model *m, uint32_t *c, uint32_t *h, uint32_t *w);
uint32_t bnn_model_n_classes(const bnn_model *m);
float bnn_model_output_scale(const bnn_model *m);
const char *bnn_model_provenance(const bnn_model *m); /* "" if none */
/* Weight (±1) of neuron o, input i of layer `layer` (indexed over ALL layers, as bnn_model_layer;
 * it must be a weight layer), in the add_* index order. 0 if out of range. */
int bnn_model_weight(const bnn_model *m, uint32_t layer, uint32_t o, uint32_t i);
/* Threshold and direction of neuron o of layer `layer` (all-layer index; a hidden weight layer). */
bnn_status bnn_model_threshold(const bnn_model *m, uint32_t layer, uint32_t o, int32_t *t,
                               int8_t *d);

/* The weight image: every weight layer's packed rows back to back (layer i at
 * bnn_layer_info.weight_addr). This is what lives in (RRAM) weight memory; thresholds are not in
 * it. */
const uint8_t *bnn_model_weight_image(const bnn_model *m, uint64_t *size);

/* Exact integer pre-activations without the engine (for margin metrics): the number of values one
 * image produces, Σ over weight layers of out_c·out_h·out_w, and the pass itself, which writes
 * every weight layer's pre-activations a (before thresholding; the output layer's are its scores)
 * layer after layer into out, each layer in HWC order ((y·W + x)·C + c; dense: c). Reads the
 * model's own weight image (no port, no bit errors); hidden outputs follow the threshold rule above
 * and max-pool takes the max of ±1, so the scores equal bnn_engine_run's on a host port. Dense,
 * conv 3×3 and max-pool layers. bnn_model_preact is the obvious per-image reference loop; _batch
 * computes n images (out: n × count) with the engine's kernels, single-threaded, and equals it
 * exactly. */
uint64_t bnn_model_preact_count(const bnn_model *m);
bnn_status bnn_model_preact(const bnn_model *m, const uint8_t *image, int32_t *out);
bnn_status bnn_model_preact_batch(const bnn_model *m, const uint8_t *images, size_t n,
                                  int32_t *out);
/* ---- memory ports ------------------------------------------------------------------------- */

/* Zero-copy, error-free port over the model's own weight image (the model must outlive it). */
bnn_status bnn_host_port_create(bnn_port **out, const bnn_model *m);

typedef struct bnn_error_params {
  double write_p01; /* persistent: stored 0 programmed as 1 */
  double write_p10; /* persistent: stored 1 programmed as 0 */
  double read_p01;  /* transient, drawn afresh for every read */
  double read_p10;
  uint64_t seed;
  uint64_t layer_mask; /* bit l set: weight layer l lives in error-prone memory (default all) */
} bnn_error_params;

bnn_error_params bnn_error_default_params(void);

/* A port over a private copy of the weight image with persistent write flips applied at creation
 * (stream = the rep number, so rep r of a Monte-Carlo run is reproducible alone) and transient read
 * flips on every read, keyed by (seed, address, access count). */
bnn_status bnn_error_port_create(bnn_port **out, const bnn_model *m, const bnn_error_params *p,
                                 uint64_t rep);
/* Counts of flips the error port injected so far. */
typedef struct bnn_error_counts {
  uint64_t write_flips, read_flips, bits_read, bits_stored;
} bnn_error_counts;
bnn_status bnn_error_port_counts(const bnn_port *p, bnn_error_counts *c);

/* ---- inference ---------------------------------------------------------------------------- */

typedef enum bnn_kernel {
  BNN_KERNEL_AUTO = 0,   /* the fastest the CPU supports */
  BNN_KERNEL_REF = 1,    /* portable reference loops */
  BNN_KERNEL_AVX2 = 2,   /* AVX2 + POPCNT: vpshufb popcount, blocked over images × neurons */
  BNN_KERNEL_AVX512 = 3, /* AVX-512 BW + VPOPCNTDQ + VNNI: vpopcntd, vpdpbusd on pixels */
  BNN_KERNEL_COUNT
} bnn_kernel;

const char *bnn_kernel_str(bnn_kernel k);
int bnn_kernel_available(bnn_kernel k);
/* The concrete kernel AUTO resolves to on this CPU (k itself otherwise). */
bnn_kernel bnn_kernel_resolve(bnn_kernel k);

typedef struct bnn_infer_params {
  int threads;           /* worker threads (≥ 1) */
  uint32_t weight_reuse; /* images per weight read: the weights are read through the port once per
                            block of this many images (1 = every image reads every row, as an
                            in-memory accelerator does); 0 = engine's choice */
  bnn_kernel kernel;
} bnn_infer_params;

bnn_infer_params bnn_infer_default_params(void);

typedef struct bnn_engine bnn_engine;

/* The engine reads weights only through `weights` (which it does not own): per block of
 * weight_reuse images, each weight layer once, in layer order, from the calling thread (zero-copy
 * when the port maps). Results do not depend on the thread count or kernel. An engine (and its
 * port) serves one caller at a time; the model must outlive it. */
bnn_status bnn_engine_create(bnn_engine **out, const bnn_model *m, bnn_port *weights,
                             const bnn_infer_params *p);
/* images: n × (h·w·c) bytes, HWC. scores: n × n_classes (may be NULL); pred: n class indices (may
 * be NULL; models with more than 256 classes must use scores). */
bnn_status bnn_engine_run(bnn_engine *e, const uint8_t *images, size_t n, int32_t *scores,
                          uint8_t *pred);
void bnn_engine_destroy(bnn_engine *e); /* NULL-safe */

#ifdef __cplusplus
}
#endif
#endif /* BNN_BNN_H */
