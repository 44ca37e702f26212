/* bnn_impl.h — libbnn internals shared by the model, file, port, kernel and engine sources. */
#ifndef BNN_IMPL_H
#define BNN_IMPL_H

#include <stdint.h>
#include <stddef.h>

#include "bnn/bnn.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "libbnn packs bits as little-endian 64-bit words; big-endian hosts are not supported"
#endif

/* Bounds the builder and the loader enforce (far above the paper's nets, far below overflow). */
#define BNN_MAX_LAYERS          256u
#define BNN_MAX_DIM             65536u       /* any of c, h, w, neurons */
#define BNN_MAX_FAN_IN          (1u << 26)   /* weights per neuron */
#define BNN_MAX_ACT_BITS        (1ull << 32) /* bits of one image's activations */
#define BNN_MAX_WEIGHT_BYTES    (1ull << 32) /* whole weight image */
#define BNN_MAX_PROVENANCE      (1u << 20)   /* provenance JSON bytes */
#define BNN_MAX_OFFSET_CHANNELS 64u          /* input channels of a model with an input offset */

typedef struct bnn_layer {
  bnn_layer_info info;
  int32_t *thresh; /* out_c, hidden weight layers only */
  int8_t *dir;     /* out_c, each −1 or +1 */
} bnn_layer;

struct bnn_model {
  uint32_t in_c, in_h, in_w;
  uint32_t n_layers, cap_layers;
  bnn_layer *layers;
  uint32_t n_weight_layers;
  int has_output;
  uint8_t *wimg; /* 64-byte aligned weight image */
  uint64_t wimg_size;
  float output_scale;
  char *provenance;
  double *out_affine; /* NULL, or 2·n_classes: per-class scale, then per-class offset */
  /* Input offset (bnn_model_set_input_offset): NULL, or layer 0's out_c thresholds T_j of
   * v = 2^shift·a − Σ_c num_c·S_jc; layers[0].thresh then holds those of the model's own weights.
   * in_off_mask: in_c rows of row_words words, bit i set in row i % in_c (NULL when in_c = 1). */
  int64_t *in_off_t, *in_off_num;
  uint64_t *in_off_mask;
  uint32_t in_off_shift;
};

/* Appends a layer with already packed rows (row_bytes each, padding bits zero) — used by the
 * builder after packing and by the loader. thresh/dir: NULL for pooling and the output layer. */
bnn_status bnn_model_push(bnn_model *m, bnn_layer_kind kind, uint32_t n_out, const uint8_t *rows,
                          const int32_t *thresh, const int8_t *dir);
/* Shape inference for the next layer without adding it (fills info; weight_addr included). */
bnn_status bnn_model_next_info(const bnn_model *m, bnn_layer_kind kind, uint32_t n_out,
                               int has_thresh, bnn_layer_info *info);

/* Layer 0's int32 thresholds (units of a = Σ w·p) for an input-offset model whose layer-0 rows are
 * `rows` (row_bytes apart, padding bits 0): each row's S = fan_in − 2·popcount(row) enters the
 * rule of bnn_model_set_input_offset. The engine calls it on every fetch of the rows. */
void bnn_model_offset_thresholds(const bnn_model *m, const uint64_t *rows, int32_t *t);

static inline uint64_t bnn_words_for_bits(uint64_t bits) {
  return (bits + 63) / 64;
}

/* Popcount of bits [first, first + n) of a packed row (bit i = bit i%64 of word i/64). */
uint64_t bnn_popcount_range(const uint64_t *row, uint64_t first, uint64_t n);
/* Copies n bits from src starting at bit s to dst starting at bit d (dst bits outside untouched).
 */
void bnn_copy_bits(uint64_t *dst, uint64_t d, const uint64_t *src, uint64_t s, uint64_t n);

/* ---- kernels (see kernels_*.c) ------------------------------------------------------------ */

/* Bit convention at every kernel: bit 0 = +1, bit 1 = −1. For K-bit rows x, w with zero padding,
 * dot(x, w) = Σ x_i·w_i = (#agreeing) − (#differing) = K − 2·popcount(x ⊕ w); the engine applies
 * that formula, the kernels only count. For 8-bit inputs x_i ≥ 0 and ±1 weights,
 * Σ w_i·x_i = Σ_{bit 0} x_i − Σ_{bit 1} x_i = S − 2·Σ_{bit 1} x_i with S = Σ x_i; the kernels
 * compute the masked sum Σ_{bit 1} x_i exactly in integers. */
typedef struct bnn_kernels {
  const char *name;
  /* c[i·ldc + j] = popcount(x_i ⊕ w_j) over `words` 64-bit words; x_i = x + i·ldx, w_j = w + j·ldw.
   */
  void (*xor_popcount)(const uint64_t *x, size_t ldx, size_t n, const uint64_t *w, size_t ldw,
                       size_t m, size_t words, int32_t *c, size_t ldc);
  /* c[i·ldc + j] = Σ_{k < 64·words, bit k of w_j set} x_i[k]; x rows hold 64·words readable bytes
   * (ldx in bytes), w rows `words` words. */
  void (*u8_masked_sum)(const uint8_t *x, size_t ldx, size_t n, const uint64_t *w, size_t ldw,
                        size_t m, size_t words, int32_t *c, size_t ldc);
  /* Hidden outputs of nj ≤ 64 neurons packed into one word: a_b = base − 2·cnt[b]; bit b = 0 (+1)
   * iff (dir_b > 0 ? a_b ≥ t[b] : a_b ≤ t[b]) where dir_b > 0 is bit b of dpos; bits ≥ nj are 0. */
  uint64_t (*binarize)(const int32_t *cnt, size_t nj, int32_t base, const int32_t *t,
                       uint64_t dpos);
} bnn_kernels;

extern const bnn_kernels bnn_kernels_ref;
#if defined(__x86_64__) || defined(__i386__)
#define BNN_HAVE_X86 1
extern const bnn_kernels bnn_kernels_avx2;
extern const bnn_kernels bnn_kernels_avx512;
#endif

/* The kernel set for k (AUTO resolved), or NULL when this CPU/build cannot run it. */
const bnn_kernels *bnn_kernels_get(bnn_kernel k);

#ifdef __cplusplus
}
#endif
#endif /* BNN_IMPL_H */
