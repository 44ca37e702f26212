/* bet_impl.h — libbet internals shared by arch.c, net.c, train.c, eval.c, bn.c, checkpoint.c and
 * export.c. */
#ifndef BET_IMPL_H
#define BET_IMPL_H

#include "bet/bet.h"
#include "bet/layers.h"

/* Parallel-for over [0, n) split into contiguous chunks, one per thread (at most the count given
 * to bet_par_set_threads, and at least min_per_thread indices each). fn(ctx, lo, hi). */
typedef void (*bet_par_fn)(void *ctx, size_t lo, size_t hi);
void bet_parallel_for(size_t n, size_t min_per_thread, bet_par_fn fn, void *ctx);
void bet_par_set_threads(int n);
int bet_par_threads(void);

/* RNG stream tags (the `stream` key mixed into the seed), so the draws of different purposes
 * never share a sequence. */
enum {
  BET_RNG_INIT = 0x1417,    /* weight init, per layer */
  BET_RNG_SHUFFLE = 0x5AFF, /* per-epoch permutation */
  BET_RNG_FLIP = 0xF11B,    /* training flips, per (layer, step) */
  BET_RNG_EVAL = 0xE7A1,    /* evaluation flips, per layer */
  BET_RNG_BN = 0xB5E5       /* batch-norm estimation under flips, per (epoch, image group) */
};

typedef struct bet_layer {
  bet_layer_kind kind;
  int pool, is_first, is_output;
  uint32_t in_c, in_h, in_w; /* input of the weight layer */
  uint32_t n_out, fan_in;
  uint32_t out_h, out_w;   /* spatial size of z (before pooling) */
  uint32_t next_h, next_w; /* after pooling (the next layer's input) */
  /* parameters and Adam state */
  float *w, *wm, *wv;                                           /* n_out × fan_in */
  float *gamma, *beta, *gm, *gv, *bm, *bv, *run_mean, *run_var; /* n_out; hidden layers only */
  /* gradients */
  float *dw, *dgamma, *dbeta;
  /* binarized weights of the current forward pass (flips applied) */
  float *wb;
  uint64_t *wbits; /* the same, bit-packed (dense layers after the first only) */
  int packed;      /* this step's forward used the bit-packed kernel */
  /* flips of the current forward pass */
  uint64_t *flips;
  size_t n_flips, cap_flips;
  uint8_t *flipbuf; /* scratch bits the sampler toggles (values irrelevant: p01 = p10) */
  /* per-batch activations, sized for net->cap_batch images */
  float *z, *h, *hp, *act;
  uint32_t *argmax;
  float *mean, *invstd, *var;
} bet_layer;

struct bet_net {
  bet_arch arch;
  uint32_t in_c, in_h, in_w, n_classes;
  uint64_t seed;
  uint64_t step;               /* Adam steps taken */
  uint32_t epoch;              /* completed epochs */
  double bn_eps;               /* batch-norm eps of the last training step (folding uses it) */
  bet_input_range input_range; /* input encoding of the last training step (folding uses it) */
  uint32_t n;                  /* weight layers */
  bet_layer L[BET_MAX_LAYERS];
  float scale, sm, sv, dscale;
  /* margin regularizer of the current step: λ / (number of hinge terms), and the hinge sum */
  double reg_weight, reg_sum;
  double *reg_rsn; /* --reg-layers all: 1/√(Σ x²) per row of layer 0 during a step, else NULL */
  /* During a step with the u8 × s8 first layer (else NULL): the batch's pixels, rows of
   * 4·⌈fan_in/4⌉ bytes, and layer 0's ±1 weights packed by bet_s8_pack. */
  uint8_t *xq;
  int8_t *wq;
  /* batch buffers */
  uint32_t cap_batch;
  float *x0;               /* cap_batch × input size */
  uint64_t *xbits;         /* packed ±1 input of a dense layer, cap_batch × max words */
  size_t max_words;        /* words per image of the largest packed dense input */
  float *logits, *dlogits; /* cap_batch × n_classes */
  float *gA, *gB, *gC;     /* gradient scratch, max activation size each */
  float *cols;             /* im2col scratch for one chunk of images */
  size_t cols_cap;         /* floats */
  size_t max_act;          /* floats per image of the largest activation */
};

/* Size in floats of the im2col buffer libbet allows itself (chunks of images are processed so that
 * a chunk's columns fit). */
#define BET_COLS_FLOATS ((size_t)8 << 20)

/* Images per im2col chunk for conv layer L (at least 1). */
size_t bet_conv_chunk(const bet_layer *L);

/* Reach of the integer pre-activation of layer L: |a| ≤ reach. */
int64_t bet_layer_reach(const bet_layer *L);

/* Visits every persistent float array of the net (parameters, running statistics, Adam state) in
 * a fixed order: the checkpoint format and bet_net_equal both rely on it. */
typedef int (*bet_array_fn)(void *ud, float *a, size_t n);
int bet_net_visit_arrays(bet_net *net, bet_array_fn fn, void *ud);

/* The first layer's training pre-activation z of neuron j from its integer pixel-unit
 * pre-activation a: z = a / bet_in_scale(net, L) − bet_in_offset(net, L, j) (scale 255 and offset 0
 * for [0, 1] pixels; 255/2 and Σ_i sign(w_ji) for [−1, 1]); scale 1, offset 0 for later layers. */
double bet_in_scale(const bet_net *net, const bet_layer *L);
double bet_in_offset(const bet_net *net, const bet_layer *L, uint32_t j);
/* [−1, 1] pixels: the threshold T and direction of first-layer neuron j in units of
 * v = 2a − 255·S (a = Σ w·p, S = Σ w): z = a/127.5 − S ≥ μ' ⟺ v ≥ 255·μ' (≤ for γ < 0), folded
 * with scale 255 and reach 765·fan_in. The export stores T as the model's input offset threshold
 * (offset 255/2^1); evaluation derives the int32 threshold from the S of the weights it uses. 0 on
 * non-finite batch-norm parameters. */
int bet_pm1_threshold(const bet_net *net, uint32_t j, int32_t *T, int8_t *dir);

/* The declared input width of a "IN-...-OUT" arch (0 for named nets). */
uint32_t bet_arch_declared_input(const bet_arch *a);

/* bnn_calloc(n, sz), NULL for n = 0; clears *ok when the allocation fails. */
void *bet_zalloc(size_t n, size_t sz, int *ok);

/* Makes the per-batch buffers hold `batch` images. */
bnn_status bet_net_reserve(bet_net *net, uint32_t batch);

/* Checks that data set d is non-empty, has the net's image shape and labels below its class count.
 */
bnn_status bet_net_check_data(const bet_net *net, const bnn_dataset *d);

/* Index of the first maximum of r[0..k) (ties to the lowest index). */
static inline size_t bet_argmax_row(const float *r, size_t k) {
  size_t best = 0;
  for (size_t j = 1; j < k; ++j)
    if (r[j] > r[best]) best = j;
  return best;
}

/* Integer-arithmetic forward state shared by evaluation (eval.c) and batch-norm estimation (bn.c):
 * binarized (and possibly flipped) weights, folded thresholds, two activation buffers, im2col
 * columns. */
typedef struct bet_eval_ctx {
  float *wb[BET_MAX_LAYERS];
  uint64_t *wbits[BET_MAX_LAYERS]; /* packed wb of dense layers with ±1 inputs (fast kernel only) */
  int32_t *th[BET_MAX_LAYERS];
  int8_t *dr[BET_MAX_LAYERS];
  float *bufA, *bufB, *colbuf;
  uint64_t *xbits; /* packed ±1 inputs of one batch */
} bet_eval_ctx;

#define BET_EVAL_BATCH 256

/* Fills c for net: weights flipped at rate ber in the layers of the flip_layers mask (stream seed),
 * thresholds folded. On failure c holds nothing to free. */
bnn_status bet_eval_ctx_init(bet_eval_ctx *c, const bet_net *net, double ber, uint64_t flip_layers,
                             uint64_t seed);
void bet_eval_ctx_free(bet_eval_ctx *c);
/* Redraws the binarized weights of layers 0..upto: sign of the latent weights, then flips at rate
 * ber in the layers of the flip_layers mask from stream seed (as bet_eval_ctx_init); the
 * thresholds are left alone. */
bnn_status bet_eval_ctx_set_weights(bet_eval_ctx *c, const bet_net *net, double ber,
                                    uint64_t flip_layers, uint64_t seed, uint32_t upto);

/* Images [i0, i0 + n) (n ≤ BET_EVAL_BATCH) through weight layers 0..stop; returns the integer
 * pre-activations of layer `stop` (eval.c says more). */
const float *bet_eval_forward(bet_eval_ctx *c, const bet_net *net, const bnn_dataset *d, size_t i0,
                              size_t n, uint32_t stop);

#endif /* BET_IMPL_H */
