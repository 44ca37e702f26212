/* bet/bet.h — libbet: training binarized neural networks (optionally flip-aware) and exporting
 * them to the engine's model file.
 *
 * A net is a chain of weight layers (dense or 3×3 conv, each optionally followed by a 2×2
 * max-pool). Weights are latent floats in [−1, 1] binarized by sign (sign(0) = +1) with a
 * straight-through estimator; every hidden layer ends in batch norm + sign (hardtanh STE); the
 * first layer sees pixels/255 (or 2·pixel/255 − 1, bet_input_range); the last layer's integer
 * scores are multiplied by a learnable scalar scale (initially 1e-3). Evaluation runs exactly the
 * engine's arithmetic: integer pre-activations, folded integer thresholds, max-pool on ±1, arg-max
 * of the integer scores with ties to the lowest class. All heap memory goes through
 * bnn_malloc/bnn_free. */
#ifndef BET_BET_H
#define BET_BET_H

#include <stddef.h>
#include <stdint.h>

#include "bnn/bnn.h"
#include "bnn/data.h"
#include "bnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BET_MAX_LAYERS 16

typedef enum bet_layer_kind { BET_DENSE = 0, BET_CONV3X3 = 1, BET_LAYER_KIND_COUNT } bet_layer_kind;

typedef struct bet_layer_spec {
  bet_layer_kind kind;
  uint32_t n_out; /* neurons (dense) or output channels (conv) */
  int pool;       /* conv only: a 2×2 max-pool follows */
} bet_layer_spec;

typedef struct bet_arch {
  uint32_t n_layers; /* weight layers; the last is the output layer (dense) */
  bet_layer_spec layers[BET_MAX_LAYERS];
  char name[64]; /* as given to bet_arch_parse */
} bet_arch;

/* "fcnn" (= 784-2048-2048-10), "vgg3" (conv64-pool-conv64-pool-fc2048-fc10), "vgg7"
 * (conv128-128-pool-256-256-pool-512-512-pool-fc1024-fc10), or dash-separated widths
 * "IN-H1-...-OUT" for a dense net, whose first number must equal the input size (checked at
 * bet_net_create). n_classes replaces the last width of the named nets. */
bnn_status bet_arch_parse(const char *s, uint32_t n_classes, bet_arch *out);

typedef enum bet_loss { BET_LOSS_CE = 0, BET_LOSS_MHL = 1, BET_LOSS_COUNT } bet_loss;
typedef enum bet_flip_grad {
  BET_FLIP_GRAD_SIGN = 0,     /* gradient reaching a flipped weight × −1 (exact derivative) */
  BET_FLIP_GRAD_STRAIGHT = 1, /* passed through unchanged (straight-through) */
  BET_FLIP_GRAD_COUNT
} bet_flip_grad;
/* Which batch-norm statistics evaluation and export use. */
typedef enum bet_bn_stats {
  BET_BN_RUNNING = 0,   /* exponential running averages over the training batches (momentum
                           bn_momentum): PyTorch's eval mode */
  BET_BN_TRAIN_SET = 1, /* at the end of every epoch the running statistics are replaced by the
                           exact statistics of the whole training set under that epoch's final
                           weights, flipped at flip_p in flip_layers as in training
                           (bet_net_estimate_bn_flips; clean when flip_p = 0) */
  BET_BN_STATS_COUNT
} bet_bn_stats;
/* Which hidden layers the margin regularizer acts on. */
typedef enum bet_reg_layers {
  BET_REG_HIDDEN = 0, /* hidden layers with ±1 inputs (every hidden layer but the first) */
  BET_REG_ALL = 1,    /* every hidden layer; the first with the 8-bit form |u|/√(Σx²), x the
                         pixel inputs of the row (bet_margin_reg_rows) */
  BET_REG_LAYERS_COUNT
} bet_reg_layers;
/* The first layer's training input: the encoding of the 8-bit pixels p. Either way the engine
 * takes the raw pixels: the scale is folded into the first layer's integer thresholds, pm1's
 * offset exported as the model's input offset (bnn_model_set_input_offset). */
typedef enum bet_input_range {
  BET_INPUT_01 = 0, /* x = p/255 ∈ [0, 1] (the seed authors' code) */
  BET_INPUT_PM1 = 1, /* x = 2p/255 − 1 ∈ [−1, 1]: z = (2/255)·Σ w·p − Σ w, with Σ w taken from
                        the weights evaluated (export: the engine's input offset, q = 127.5, so
                        a flipped first-layer weight moves z by −2w·x as in training). A dense
                        first layer only (a conv's zero padding of x is not an offset pixel). */
  BET_INPUT_RANGE_COUNT
} bet_input_range;
const char *bet_input_range_str(bet_input_range r); /* "01", "pm1" */
const char *bet_loss_str(bet_loss l);
const char *bet_reg_layers_str(bet_reg_layers r); /* "hidden", "all" */
const char *bet_flip_grad_str(bet_flip_grad g);
const char *bet_bn_stats_str(bet_bn_stats b);

typedef struct bet_train_params {
  uint32_t epochs;    /* total epochs to train */
  uint32_t batch;     /* images per step (default 256) */
  double lr;          /* Adam learning rate (1e-3) */
  uint32_t step_size; /* lr × gamma every step_size epochs; 0 = constant */
  double gamma;       /* 0.5 */
  bet_loss loss;      /* BET_LOSS_CE */
  double mhl_b;       /* MHL margin b (128), in integer score units */
  double flip_p;      /* probability of flipping each binarized weight per forward pass (0) */
  bet_flip_grad flip_grad;
  uint64_t flip_layers; /* bit l: flips in weight layer l (default all) */
  double bn_momentum;   /* 0.1 */
  double bn_eps;        /* 1e-5 */
  uint64_t seed;
  int threads;       /* OpenBLAS and libbet threads (≥ 1) */
  int clip_all;      /* 0 (default): only the latent weights are clipped to [−1, 1]; 1: batch-norm
                        γ, β and the output scale too (as an Adam subclass that clamps every
                        parameter would) */
  double reg_margin; /* λ of the BET margin regularizer (0 = off): λ · mean over the hidden
                        neurons with ±1 inputs (every hidden layer but the first) × positions ×
                        images of max(0, b − |a − τ|/√n), added to the loss (docs/metrics.md) */
  double reg_b;      /* b of that hinge (1.0), in the units of |a − τ|/√n: a the integer
                        pre-activation, τ the batch-norm switch point, n the fan-in */
  bet_bn_stats bn_stats;     /* BET_BN_RUNNING (default) or BET_BN_TRAIN_SET; the weights are the
                                same either way (training normalises with batch statistics) */
  bet_reg_layers reg_layers; /* BET_REG_HIDDEN (default) or BET_REG_ALL */
  int packed_forward; /* 1 (default): ±1 × ±1 dense products of the forward pass through the
                         bit-packed kernel when the CPU has a fast one; 0: sgemm on ±1 floats.
                         Both are exact, so the trained weights are identical. */
  bet_input_range input_range; /* BET_INPUT_01 (default) or BET_INPUT_PM1; every training step
                                  stores it in the net (evaluation and export fold with it) */
  int ref_kernels; /* 0 (default): the fast kernels (AVX-512 Adam, bit-identical; the first
                      dense layer's forward as exact u8 × s8 integer products, AVX-512 VNNI);
                      1: the reference path (scalar Adam, sgemm on pixel/255 floats, unfused
                      batch norm, sgemm for the backward products), kept for benchmarks and
                      tests. The two differ only by float rounding. */
} bet_train_params;

bet_train_params bet_train_default_params(void);
/* Checks every field; on error bnn_errmsg() names the field and the accepted range. */
bnn_status bet_train_params_check(const bet_train_params *p);

typedef struct bet_net bet_net;

/* A fresh net for images in_c × in_h × in_w with n_classes outputs, weights drawn from
 * U(−1/√fan_in, 1/√fan_in) (PyTorch's default) keyed by seed. */
bnn_status bet_net_create(bet_net **out, const bet_arch *arch, uint32_t in_c, uint32_t in_h,
                          uint32_t in_w, uint32_t n_classes, uint64_t seed);
void bet_net_free(bet_net *net); /* NULL-safe */

const bet_arch *bet_net_arch(const bet_net *net);
/* Latent weights of weight layer l (n_out × fan_in, row-major; conv rows in [ky][kx][c] order). */
float *bet_net_weights(bet_net *net, uint32_t l, size_t *count);
uint32_t bet_net_fan_in(const bet_net *net, uint32_t l);
uint32_t bet_net_n_out(const bet_net *net, uint32_t l);
/* Batch-norm parameters of hidden layer l (NULL for the output layer). */
float *bet_net_bn(bet_net *net, uint32_t l, float **beta, float **run_mean, float **run_var);
float bet_net_output_scale(const bet_net *net);
/* The input encoding the net was last trained with (BET_INPUT_01 for a fresh net). */
bet_input_range bet_net_input_range(const bet_net *net);
void bet_net_set_output_scale(bet_net *net, float s);
/* Total Adam steps taken and completed epochs. */
uint64_t bet_net_step(const bet_net *net);
uint32_t bet_net_epoch(const bet_net *net);
/* Equal nets: same architecture and bit-identical parameters, statistics and optimiser state. */
int bet_net_equal(const bet_net *a, const bet_net *b);

/* Statistics of one training epoch. */
typedef struct bet_epoch_stats {
  double loss;      /* mean training loss (data loss + margin-regularizer term) */
  double train_acc; /* training-mode accuracy over the epoch's batches */
  double seconds;   /* wall time of the training part */
  double
      reg_penalty; /* mean margin-regularizer term λ·mean(hinge) (included in loss; 0 when off) */
  uint64_t flips;  /* weight flips injected during the epoch */
  double lr;
} bet_epoch_stats;

/* Called after each batch (done/total batches, running loss and accuracy). */
typedef void (*bet_batch_cb)(void *ud, uint32_t epoch, uint64_t done, uint64_t total, double loss,
                             double acc);

/* One epoch over `train` (shuffled from (seed, epoch)): forward with fresh flips, backward, Adam,
 * clip. The epoch number is the net's own counter, so resuming from a checkpoint continues the same
 * sequence. */
bnn_status bet_train_epoch(bet_net *net, const bnn_dataset *train, const bet_train_params *p,
                           bet_batch_cb cb, void *ud, bet_epoch_stats *st);

/* Evaluation-mode forward pass with the engine's integer arithmetic. ber > 0 flips each binarized
 * weight of the layers in `flip_layers` with probability ber, keyed by (seed) — one draw for the
 * whole evaluation. scores (n × n_classes, may be NULL), pred (n, may be NULL); acc (may be NULL)
 * gets the fraction of correct labels. */
bnn_status bet_evaluate(const bet_net *net, const bnn_dataset *data, int threads, double ber,
                        uint64_t flip_layers, uint64_t seed, int32_t *scores, uint8_t *pred,
                        double *acc);

/* Replaces the running statistics of every batch-norm layer by the exact mean and (unbiased)
 * variance of its pre-activations over `data`, layer by layer in the engine's arithmetic (each
 * layer sees the layers below with their statistics already replaced). Deterministic and
 * independent of `threads`. The weights are not touched. */
bnn_status bet_net_estimate_bn(bet_net *net, const bnn_dataset *data, int threads);
/* The same under weight flips: every binarized weight of the layers in flip_layers is flipped with
 * probability flip_p, a fresh draw for every group of 256 images (keyed by seed and the group's
 * index; the same draw in every layer's pass); mean = the mean of the groups' means, variance =
 * the mean of their within-group variances, as training's running averages of batch statistics
 * (each batch under one draw). So a net trained with flips at flip_p gets the statistics it was
 * trained with instead of clean-weight ones that erase its adaptation. flip_p = 0 is
 * bet_net_estimate_bn. Deterministic and independent of threads. */
bnn_status bet_net_estimate_bn_flips(bet_net *net, const bnn_dataset *data, int threads,
                                     double flip_p, uint64_t flip_layers, uint64_t seed);

/* Folded integer threshold/direction of hidden layer l (running statistics, the batch-norm eps and
 * the input encoding the net was trained with), n_out each. */
bnn_status bet_net_thresholds(const bet_net *net, uint32_t l, int32_t *t, int8_t *dir);

/* Checkpoint: architecture, parameters, running statistics, Adam state, step and epoch counters,
 * written atomically (temp file + rename), CRC-checked. Loading validates everything. */
bnn_status bet_checkpoint_save(const bet_net *net, const bet_train_params *p, const char *path);
/* p (may be NULL) receives the training parameters stored with the checkpoint. */
bnn_status bet_checkpoint_load(bet_net **out, bet_train_params *p, const char *path);

/* Export to the engine's model file (bnn_model_save), with batch norm + sign folded to integer
 * thresholds (first layer in pixel units) and `provenance` JSON attached (may be NULL). */
bnn_status bet_export_model(const bet_net *net, const char *provenance, bnn_model **out);
bnn_status bet_export(const bet_net *net, const char *provenance, const char *path);

/* Testing hooks: the flips of the last training forward pass in weight layer l (indices into the
 * n_out × fan_in weight array) and the gradient that reached the binarized weights. */
const uint64_t *bet_net_last_flips(const bet_net *net, uint32_t l, size_t *count);
const float *bet_net_last_wgrad(const bet_net *net, uint32_t l);
/* One training step on the first n images of `data` (in order, no shuffle); used by tests. */
bnn_status bet_train_step(bet_net *net, const bnn_dataset *data, const uint32_t *idx, size_t n,
                          const bet_train_params *p, double *loss, double *acc);

#ifdef __cplusplus
}
#endif
#endif /* BET_BET_H */
