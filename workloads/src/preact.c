/* preact.c — exact integer pre-activations of every weight layer (BET metrics, tests): a per-image
 * reference pass and a batched pass on the engine's kernels. */
#include <string.h>

#include "bnn_impl.h"

/* Why a separate pass and not the engine: BET metrics need every hidden neuron's integer
 * pre-activation a (the engine only keeps the binarized outputs). Both passes read the model's own
 * weight image (no port, no bit errors) and use the engine's arithmetic (workloads/README.md):
 *   dense:  a = Σ_i w_i·x_i over the fan-in (HWC flatten order after a conv/pool);
 *   conv:   per output pixel and channel, the same sum over the valid 3×3 taps only (padding adds
 * 0); pool:   max of ±1 = +1 if any input is +1; hidden: output +1 iff (d > 0 ? a ≥ t : a ≤ t).
 * Output layout per image: weight layer after weight layer, each out_h·out_w·out_c values in HWC
 * order ((y·W + x)·C + c; dense: just c). */

uint64_t bnn_model_preact_count(const bnn_model *m) {
  uint64_t n = 0;
  for (uint32_t i = 0; i < m->n_layers; ++i) {
    const bnn_layer_info *I = &m->layers[i].info;
    if (I->weight_layer_index >= 0) n += (uint64_t)I->out_c * I->out_h * I->out_w;
  }
  return n;
}

/* ---- reference: obvious loops over unpacked values ------------------------------------------- */

static inline int wbit(const bnn_model *m, const bnn_layer_info *I, uint32_t o, uint64_t i) {
  const uint8_t *row = m->wimg + I->weight_addr + (uint64_t)o * I->row_bytes;
  return (row[i / 8] >> (i % 8)) & 1; /* 1 = −1 */
}

static uint64_t max_values(const bnn_model *m) {
  uint64_t mx = (uint64_t)m->in_c * m->in_h * m->in_w;
  for (uint32_t i = 0; i < m->n_layers; ++i) {
    const bnn_layer_info *I = &m->layers[i].info;
    uint64_t v = (uint64_t)I->out_c * I->out_h * I->out_w;
    if (v > mx) mx = v;
  }
  return mx;
}

bnn_status bnn_model_preact(const bnn_model *m, const uint8_t *image, int32_t *out) {
  if (!m || !image || !out) return bnn_fail(BNN_E_ARG, "bnn_model_preact: NULL argument");
  if (!m->has_output) return bnn_fail(BNN_E_SHAPE, "bnn_model_preact: model has no output layer");
  uint64_t mx = max_values(m);
  int32_t *x = (int32_t *)bnn_malloc((size_t)mx * sizeof *x),
          *y = (int32_t *)bnn_malloc((size_t)mx * sizeof *y);
  if (!x || !y) {
    bnn_free(x), bnn_free(y);
    return bnn_fail(BNN_E_NOMEM, "bnn_model_preact: out of memory");
  }
  for (uint64_t i = 0; i < (uint64_t)m->in_c * m->in_h * m->in_w; ++i) x[i] = image[i];
  int32_t *o = out;
  for (uint32_t l = 0; l < m->n_layers; ++l) {
    const bnn_layer *L = &m->layers[l];
    const bnn_layer_info *I = &L->info;
    const uint32_t C = I->in_c, H = I->in_h, W = I->in_w;
    if (I->kind == BNN_LAYER_MAXPOOL2) {
      for (uint32_t oy = 0; oy < I->out_h; ++oy)
        for (uint32_t ox = 0; ox < I->out_w; ++ox)
          for (uint32_t c = 0; c < C; ++c) {
            int32_t v = -1;
            for (uint32_t k = 0; k < 4; ++k)
              if (x[((uint64_t)(2 * oy + k / 2) * W + 2 * ox + k % 2) * C + c] > 0) v = 1;
            y[((uint64_t)oy * I->out_w + ox) * C + c] = v;
          }
    } else {
      const uint64_t npx = (uint64_t)I->out_h * I->out_w;
      for (uint64_t px = 0; px < npx; ++px)
        for (uint32_t n = 0; n < I->out_c; ++n) {
          int64_t a = 0;
          if (I->kind == BNN_LAYER_DENSE) {
            for (uint64_t i = 0; i < I->fan_in; ++i) a += wbit(m, I, n, i) ? -x[i] : x[i];
          } else { /* conv 3×3 pad 1: weight index (ky·3 + kx)·C + c */
            int64_t py = (int64_t)(px / W), pxx = (int64_t)(px % W);
            for (int t = 0; t < 9; ++t) {
              int64_t sy = py + t / 3 - 1, sx = pxx + t % 3 - 1;
              if (sy < 0 || sx < 0 || sy >= H || sx >= W) continue;
              for (uint32_t c = 0; c < C; ++c) {
                int32_t v = x[((uint64_t)sy * W + (uint64_t)sx) * C + c];
                a += wbit(m, I, n, (uint64_t)t * C + c) ? -v : v;
              }
            }
          }
          uint64_t k = px * I->out_c + n;
          o[k] = (int32_t)a;
          if (!I->is_output)
            y[k] = (L->dir[n] > 0 ? a >= L->thresh[n] : a <= L->thresh[n]) ? 1 : -1;
        }
      o += npx * I->out_c;
    }
    int32_t *t = x;
    x = y, y = t;
  }
  bnn_free(x), bnn_free(y);
  return BNN_OK;
}

/* ---- batched: the engine's kernels over blocks of images ---------------------------------------
 */

/* Taps (t = ky·3 + kx) of pixel (y, x) that fall into the zero padding, as a 9-bit mask. */
static inline unsigned pad_taps(uint32_t y, uint32_t x, uint32_t H, uint32_t W) {
  return (y == 0 ? 0x007u : 0u) | (y == H - 1 ? 0x1c0u : 0u) | (x == 0 ? 0x049u : 0u) |
         (x == W - 1 ? 0x124u : 0u);
}

#define NCHUNK 64u /* neurons per kernel call: their rows stay in L1 across the images */

typedef struct pa_bufs {
  uint64_t *act[2]; /* n × act_words, packed HWC (ceil(C/64) words per pixel), bit 1 = −1 */
  uint64_t *flat;   /* dense input repacked as contiguous bits, one row */
  uint8_t *u8;      /* u8 rows: n (dense) or pixels (conv) × u8_ld bytes */
  int32_t *sum;     /* Σ x per u8 row */
  uint64_t *col;    /* binary im2col, pixels × row words */
  int32_t *cnt;     /* conv counts, pixels × NCHUNK */
  int32_t *tap;     /* conv: per neuron, the popcount of each tap of its row */
} pa_bufs;

bnn_status bnn_model_preact_batch(const bnn_model *m, const uint8_t *images, size_t n,
                                  int32_t *out) {
  if (!m || (!images && n) || (!out && n))
    return bnn_fail(BNN_E_ARG, "bnn_model_preact_batch: NULL argument");
  if (!m->has_output)
    return bnn_fail(BNN_E_SHAPE, "bnn_model_preact_batch: model has no output layer");
  if (n == 0) return BNN_OK;
  const bnn_kernels *k = bnn_kernels_get(BNN_KERNEL_AUTO);
  const uint64_t count = bnn_model_preact_count(m),
                 img_bytes = (uint64_t)m->in_c * m->in_h * m->in_w;
  uint64_t act_words = 1, max_row = 1, max_px = 1, u8_rows = 0, u8_ld = 0, tap_n = 0;
  for (uint32_t l = 0; l < m->n_layers; ++l) {
    const bnn_layer_info *I = &m->layers[l].info;
    uint64_t aw = (uint64_t)I->out_h * I->out_w * ((I->out_c + 63) / 64), R = I->row_bytes / 8;
    if (aw > act_words) act_words = aw;
    if (R > max_row) max_row = R;
    if (I->kind == BNN_LAYER_CONV3X3) {
      uint64_t npx = (uint64_t)I->in_h * I->in_w;
      if (npx > max_px) max_px = npx;
      if (I->input_u8 && npx > u8_rows) u8_rows = npx;
      if (9ull * I->out_c > tap_n) tap_n = 9ull * I->out_c;
    } else if (I->kind == BNN_LAYER_DENSE && I->input_u8 && n > u8_rows) {
      u8_rows = n;
    }
    if (I->input_u8) u8_ld = 64 * R;
  }
  pa_bufs b;
  memset(&b, 0, sizeof b);
  b.act[0] = (uint64_t *)bnn_calloc((size_t)(n * act_words), 8);
  b.act[1] = (uint64_t *)bnn_calloc((size_t)(n * act_words), 8);
  b.flat = (uint64_t *)bnn_calloc((size_t)(n * max_row), 8);
  b.col = (uint64_t *)bnn_malloc((size_t)(max_px * max_row * 8));
  b.cnt = (int32_t *)bnn_malloc((size_t)(max_px * NCHUNK) * sizeof(int32_t));
  b.sum = (int32_t *)bnn_malloc((size_t)(u8_rows ? u8_rows : 1) * sizeof(int32_t));
  b.u8 = (uint8_t *)bnn_malloc((size_t)(u8_rows ? u8_rows * u8_ld : 1));
  b.tap = (int32_t *)bnn_malloc((size_t)(tap_n ? tap_n : 1) * sizeof(int32_t));
  bnn_status st = BNN_OK;
  if (!b.act[0] || !b.act[1] || !b.flat || !b.col || !b.cnt || !b.sum || !b.u8 || !b.tap)
    st = bnn_fail(BNN_E_NOMEM, "bnn_model_preact_batch: out of memory");
  uint64_t off = 0; /* this layer's offset in an image's pre-activations */
  int ping = 0;
  for (uint32_t l = 0; !st && l < m->n_layers; ++l) {
    const bnn_layer *L = &m->layers[l];
    const bnn_layer_info *I = &L->info;
    const uint64_t R = I->row_bytes / 8, cw_in = (I->in_c + 63) / 64, cw = (I->out_c + 63) / 64;
    const uint64_t out_words = (uint64_t)I->out_h * I->out_w * cw;
    const uint64_t *in = b.act[ping];
    uint64_t *ob = b.act[ping ^ 1];
    const uint64_t *w = (const uint64_t *)(const void *)(m->wimg + I->weight_addr);
    if (I->kind == BNN_LAYER_MAXPOOL2) {
      /* max of ±1 is +1 if any input is +1: bit 0 if any bit is 0, a bitwise AND */
      for (size_t i = 0; i < n; ++i)
        for (uint32_t oy = 0; oy < I->out_h; ++oy)
          for (uint32_t ox = 0; ox < I->out_w; ++ox) {
            const uint64_t *a =
                in + i * act_words + ((uint64_t)(2 * oy) * I->in_w + 2 * ox) * cw_in;
            const uint64_t *c = a + (uint64_t)I->in_w * cw_in;
            uint64_t *o = ob + i * act_words + ((uint64_t)oy * I->out_w + ox) * cw_in;
            for (uint64_t q = 0; q < cw_in; ++q) o[q] = a[q] & a[cw_in + q] & c[q] & c[cw_in + q];
          }
      ping ^= 1;
      continue;
    }
    if (I->kind == BNN_LAYER_DENSE) {
      const uint64_t *x = in;
      uint64_t ldx = act_words;
      if (I->input_u8) {
        for (size_t i = 0; i < n; ++i) {
          const uint8_t *src = images + i * img_bytes;
          uint8_t *dst = b.u8 + i * u8_ld;
          memcpy(dst, src, I->fan_in);
          memset(dst + I->fan_in, 0, u8_ld - I->fan_in);
          int32_t s = 0;
          for (uint32_t q = 0; q < I->fan_in; ++q) s += src[q];
          b.sum[i] = s;
        }
      } else if ((uint64_t)I->in_h * I->in_w > 1 &&
                 I->in_c % 64) { /* after a conv/pool: HWC flatten into bits */
        memset(b.flat, 0, (size_t)(n * R * 8));
        for (size_t i = 0; i < n; ++i)
          for (uint64_t px = 0; px < (uint64_t)I->in_h * I->in_w; ++px)
            bnn_copy_bits(b.flat + i * R, px * I->in_c, in + i * act_words + px * cw_in, 0,
                          I->in_c);
        x = b.flat, ldx = R;
      }
      for (uint32_t j0 = 0; j0 < I->out_c; j0 += NCHUNK) {
        uint32_t nj = I->out_c - j0 < NCHUNK ? I->out_c - j0 : NCHUNK;
        int32_t *c = out + off + j0;
        if (I->input_u8)
          k->u8_masked_sum(b.u8, u8_ld, n, w + (uint64_t)j0 * R, R, nj, R, c, (size_t)count);
        else
          k->xor_popcount(x, (size_t)ldx, n, w + (uint64_t)j0 * R, R, nj, R, c, (size_t)count);
      }
      for (size_t i = 0; i < n; ++i) {
        int32_t *a = out + i * count + off, base = I->input_u8 ? b.sum[i] : (int32_t)I->fan_in;
        uint64_t *o = ob + i * act_words;
        if (!I->is_output) memset(o, 0, (size_t)(out_words * 8));
        for (uint32_t q = 0; q < I->out_c; ++q)
          a[q] = base - 2 * a[q]; /* K − 2·popcount; S − 2·Σ_{w=−1} x */
        if (!I->is_output)
          for (uint32_t q = 0; q < I->out_c; ++q) {
            /* branch-free: the comparison's outcome is data-dependent and would mispredict */
            uint64_t ge = a[q] >= L->thresh[q], le = a[q] <= L->thresh[q], neg = L->dir[q] < 0;
            uint64_t plus = ge ^ ((ge ^ le) & neg);
            o[q / 64] |= (plus ^ 1) << (q % 64);
          }
      }
    } else { /* conv 3×3 pad 1, one image at a time (im2col as in the engine) */
      const uint32_t H = I->in_h, W = I->in_w, C = I->in_c;
      const uint64_t npx = (uint64_t)H * W, ld8 = 64 * R;
      if (!I->input_u8)
        for (uint32_t q = 0; q < I->out_c; ++q)
          for (uint32_t t = 0; t < 9; ++t)
            b.tap[q * 9 + t] = (int32_t)bnn_popcount_range(w + (uint64_t)q * R, (uint64_t)t * C, C);
      for (size_t i = 0; i < n; ++i) {
        if (I->input_u8) {
          const uint8_t *src = images + i * img_bytes;
          memset(b.u8, 0, (size_t)(npx * ld8));
          for (uint64_t px = 0; px < npx; ++px) {
            uint32_t y = (uint32_t)(px / W), xx = (uint32_t)(px % W);
            unsigned pad = pad_taps(y, xx, H, W);
            int32_t s = 0;
            for (uint32_t t = 0; t < 9; ++t) {
              if (pad >> t & 1) continue;
              const uint8_t *p = src + ((uint64_t)(y + t / 3 - 1) * W + xx + t % 3 - 1) * C;
              memcpy(b.u8 + px * ld8 + (uint64_t)t * C, p, C);
              for (uint32_t c = 0; c < C; ++c) s += p[c];
            }
            b.sum[px] = s;
          }
        } else {
          const uint64_t *src = in + i * act_words;
          memset(b.col, 0, (size_t)(npx * R * 8));
          for (uint64_t px = 0; px < npx; ++px) {
            uint32_t y = (uint32_t)(px / W), xx = (uint32_t)(px % W);
            unsigned pad = pad_taps(y, xx, H, W);
            for (uint32_t t = 0; t < 9; ++t)
              if (!(pad >> t & 1))
                bnn_copy_bits(b.col + px * R, (uint64_t)t * C,
                              src + ((uint64_t)(y + t / 3 - 1) * W + xx + t % 3 - 1) * cw_in, 0, C);
          }
        }
        int32_t *a = out + i * count + off;
        uint64_t *o = ob + i * act_words;
        if (!I->is_output) memset(o, 0, (size_t)(out_words * 8));
        for (uint32_t j0 = 0; j0 < I->out_c; j0 += NCHUNK) {
          uint32_t nj = I->out_c - j0 < NCHUNK ? I->out_c - j0 : NCHUNK;
          if (I->input_u8)
            k->u8_masked_sum(b.u8, ld8, npx, w + (uint64_t)j0 * R, R, nj, R, b.cnt, NCHUNK);
          else
            k->xor_popcount(b.col, R, npx, w + (uint64_t)j0 * R, R, nj, R, b.cnt, NCHUNK);
          for (uint64_t px = 0; px < npx; ++px) {
            unsigned pad = pad_taps((uint32_t)(px / W), (uint32_t)(px % W), H, W);
            int32_t base =
                I->input_u8 ? b.sum[px] : (int32_t)((9u - (unsigned)__builtin_popcount(pad)) * C);
            for (uint32_t q = 0; q < nj; ++q) {
              int32_t cnt = b.cnt[px * NCHUNK + q];
              /* binary: padded taps have input bits 0, so their popcount is the weights' own */
              if (!I->input_u8)
                for (uint32_t t = 0; t < 9; ++t)
                  if (pad >> t & 1) cnt -= b.tap[(j0 + q) * 9 + t];
              int32_t v = base - 2 * cnt;
              uint32_t ch = j0 + q;
              a[px * I->out_c + ch] = v;
              if (!I->is_output && !(L->dir[ch] > 0 ? v >= L->thresh[ch] : v <= L->thresh[ch]))
                o[px * cw + ch / 64] |= 1ull << (ch % 64);
            }
          }
        }
      }
    }
    off += (uint64_t)I->out_c * I->out_h * I->out_w;
    ping ^= 1;
  }
  bnn_free(b.act[0]), bnn_free(b.act[1]), bnn_free(b.flat), bnn_free(b.col), bnn_free(b.cnt);
  bnn_free(b.sum), bnn_free(b.u8), bnn_free(b.tap);
  return st;
}
