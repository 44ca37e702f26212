/* eval.c — libbet's engine-exact evaluation: folded thresholds, the integer-arithmetic forward
 * pass (binarized, optionally flipped weights) and bet_evaluate. */
#include <stdlib.h>
#include <string.h>

#include "bet_impl.h"
#include "bnn/rng.h"

/* ---- evaluation (the engine's arithmetic) --------------------------------------------------- */

int bet_pm1_threshold(const bet_net *net, uint32_t j, int32_t *T, int8_t *dir) {
  const bet_layer *L = &net->L[0];
  return bet_fold_threshold((double)L->gamma[j], (double)L->beta[j], (double)L->run_mean[j],
                            (double)L->run_var[j], net->bn_eps, 255.0, 765 * (int64_t)L->fan_in, T,
                            dir);
}

/* The folding of hidden layer l. wb (NULL: the net's own weights): the ±1 weights evaluated. For
 * the first layer of a [−1, 1] net the threshold follows their sums S_j the way the engine's input
 * offset does (bnn_model_set_input_offset; the export writes T_j of bet_pm1_threshold): a flipped
 * weight moves the offset term, as in a net whose weights sit in faulty memory, and the integer
 * rule is the engine's, so the two agree exactly. */
static bnn_status thresholds_of(const bet_net *net, uint32_t l, const float *wb, int32_t *t,
                                int8_t *dir) {
  if (l >= net->n || net->L[l].is_output)
    return bnn_fail(BNN_E_ARG, "thresholds: layer %u is not a hidden layer", l);
  const bet_layer *L = &net->L[l];
  const double in_scale = bet_in_scale(net, L);
  if (L->is_first && net->input_range == BET_INPUT_PM1) {
    const int64_t reach = bet_layer_reach(L) + 1;
    for (uint32_t j = 0; j < L->n_out; ++j) {
      int32_t T;
      if (!bet_pm1_threshold(net, j, &T, &dir[j]))
        return bnn_fail(BNN_E_RANGE, "layer %u neuron %u: non-finite batch-norm parameters", l, j);
      int64_t S = 0;
      if (wb)
        for (uint32_t i = 0; i < L->fan_in; ++i) S += wb[(size_t)j * L->fan_in + i] > 0.0f ? 1 : -1;
      else
        S = (int64_t)bet_in_offset(net, L, j);
      /* v = 2a − 255·S ≥ T ⟺ a ≥ ceil((T + 255·S) / 2); ≤ T ⟺ a ≤ floor((T + 255·S) / 2) */
      const int64_t v = (int64_t)T + 255 * S;
      int64_t r = dir[j] > 0 ? (v >= 0 ? (v + 1) / 2 : v / 2) : (v >= 0 ? v / 2 : (v - 1) / 2);
      t[j] = (int32_t)(r > reach ? reach : r < -reach ? -reach : r);
    }
    return BNN_OK;
  }
  for (uint32_t j = 0; j < L->n_out; ++j)
    if (!bet_fold_threshold((double)L->gamma[j], (double)L->beta[j],
                            (double)L->run_mean[j] + bet_in_offset(net, L, j),
                            (double)L->run_var[j], net->bn_eps, in_scale, bet_layer_reach(L), &t[j],
                            &dir[j]))
      return bnn_fail(BNN_E_RANGE, "layer %u neuron %u: non-finite batch-norm parameters", l, j);
  return BNN_OK;
}

bnn_status bet_net_thresholds(const bet_net *net, uint32_t l, int32_t *t, int8_t *dir) {
  return thresholds_of(net, l, NULL, t, dir);
}

void bet_eval_ctx_free(bet_eval_ctx *c) {
  for (uint32_t l = 0; l < BET_MAX_LAYERS; ++l) {
    bnn_free(c->wb[l]);
    bnn_free(c->wbits[l]);
    bnn_free(c->th[l]);
    bnn_free(c->dr[l]);
  }
  bnn_free(c->bufA);
  bnn_free(c->bufB);
  bnn_free(c->colbuf);
  bnn_free(c->xbits);
  memset(c, 0, sizeof *c);
}

bnn_status bet_eval_ctx_init(bet_eval_ctx *c, const bet_net *net, double ber, uint64_t flip_layers,
                             uint64_t seed) {
  memset(c, 0, sizeof *c);
  const size_t B = BET_EVAL_BATCH;
  int ok = 1;
  size_t cols = 0, xwords = 0;
  /* Dense layers fed by ±1 activations take the bit-packed product when the CPU has a fast
   * kernel (exact either way: integer sums). */
  const int fast = strcmp(bet_xnor_gemm_kernel(), "ref") != 0;
  for (uint32_t l = 0; l < net->n && ok; ++l) {
    const bet_layer *L = &net->L[l];
    const size_t nw = (size_t)L->n_out * L->fan_in;
    c->wb[l] = (float *)bet_zalloc(nw, sizeof(float), &ok);
    if (fast && l > 0 && L->kind == BET_DENSE) {
      c->wbits[l] = (uint64_t *)bet_zalloc((size_t)L->n_out * bet_packed_words(L->fan_in),
                                           sizeof(uint64_t), &ok);
      if (bet_packed_words(L->fan_in) > xwords) xwords = bet_packed_words(L->fan_in);
    }
    if (!L->is_output) {
      c->th[l] = (int32_t *)bet_zalloc(L->n_out, sizeof(int32_t), &ok);
      c->dr[l] = (int8_t *)bet_zalloc(L->n_out, 1, &ok);
    }
    if (L->kind == BET_CONV3X3) {
      size_t ch = bet_conv_chunk(L);
      if (ch > B) ch = B;
      const size_t need = ch * L->out_h * L->out_w * L->fan_in;
      if (need > cols) cols = need;
    }
  }
  c->bufA = (float *)bet_zalloc(B * net->max_act, sizeof(float), &ok);
  c->bufB = (float *)bet_zalloc(B * net->max_act, sizeof(float), &ok);
  c->colbuf = (float *)bet_zalloc(cols, sizeof(float), &ok);
  if (xwords) c->xbits = (uint64_t *)bet_zalloc(B * xwords, sizeof(uint64_t), &ok);
  bnn_status s = ok ? BNN_OK : bnn_fail(BNN_E_NOMEM, "evaluation: out of memory");
  if (s == BNN_OK) s = bet_eval_ctx_set_weights(c, net, ber, flip_layers, seed, net->n - 1);
  for (uint32_t l = 0; l < net->n && s == BNN_OK; ++l)
    if (!net->L[l].is_output) s = thresholds_of(net, l, c->wb[l], c->th[l], c->dr[l]);
  if (s != BNN_OK) bet_eval_ctx_free(c);
  return s;
}

bnn_status bet_eval_ctx_set_weights(bet_eval_ctx *c, const bet_net *net, double ber,
                                    uint64_t flip_layers, uint64_t seed, uint32_t upto) {
  uint8_t *bits = NULL;
  bnn_status s = BNN_OK;
  size_t max_nw = 0;
  for (uint32_t l = 0; l <= upto && l < net->n; ++l)
    if ((size_t)net->L[l].n_out * net->L[l].fan_in > max_nw)
      max_nw = (size_t)net->L[l].n_out * net->L[l].fan_in;
  for (uint32_t l = 0; l <= upto && l < net->n && s == BNN_OK; ++l) {
    const bet_layer *L = &net->L[l];
    const size_t nw = (size_t)L->n_out * L->fan_in;
    float *wb = c->wb[l];
    bet_sign(L->w, nw, wb);
    /* A negative learned scale s: s·a = |s|·(−a), and −a is the score of the negated binarized
     * weights. The engine takes the arg-max of the integer scores, so the output weights are
     * negated to keep its predictions those of the trained net (the export does the same). */
    if (L->is_output && net->scale < 0.0f)
      for (size_t i = 0; i < nw; ++i) wb[i] = -wb[i];
    if (ber > 0.0 && l < 64 && ((flip_layers >> l) & 1)) {
      if (!bits) bits = (uint8_t *)bnn_malloc((max_nw + 7) / 8);
      if (!bits) {
        s = bnn_fail(BNN_E_NOMEM, "evaluation flips: out of memory");
        break;
      }
      memset(bits, 0, (nw + 7) / 8);
      /* Mark flipped positions in a bit buffer, then negate those weights. */
      bnn_rng r = bnn_rng_make(bnn_rng_hash(seed, BET_RNG_EVAL, l), 0);
      bnn_flip_rates rates = {ber, ber};
      bnn_flip_bits(bits, 0, nw, rates, &r, NULL, NULL);
      for (size_t i = 0; i < nw; ++i)
        if ((bits[i >> 3] >> (i & 7)) & 1) wb[i] = -wb[i];
    }
    if (c->wbits[l]) bet_sign_pack(wb, L->n_out, L->fan_in, wb, c->wbits[l]); /* wb is ±1 */
    /* [−1, 1] pixels: the first layer's offset term follows its (flipped) weights. */
    if (l == 0 && c->th[0] && net->input_range == BET_INPUT_PM1)
      s = thresholds_of(net, 0, wb, c->th[0], c->dr[0]);
  }
  bnn_free(bits);
  return s;
}

/* Images [i0, i0 + n) (n ≤ BET_EVAL_BATCH) through weight layers 0..stop; returns the integer
 * pre-activations of layer `stop` (n·out_h·out_w rows × n_out; pixel units for layer 0, the scores
 * for the output layer). Products of integers with ±1 summed in float are exact while
 * |a| < 2^24 (checked at bet_net_create), so the result does not depend on the thread count. */
const float *bet_eval_forward(bet_eval_ctx *c, const bet_net *net, const bnn_dataset *d, size_t i0,
                              size_t n, uint32_t stop) {
  const size_t isz = (size_t)net->in_c * net->in_h * net->in_w;
  for (size_t i = 0; i < n * isz; ++i) c->bufA[i] = (float)d->images[i0 * isz + i];
  float *X = c->bufA, *Y = c->bufB;
  for (uint32_t l = 0;; ++l) {
    const bet_layer *L = &net->L[l];
    if (c->wbits[l]) {
      bet_sign_pack(X, n, L->fan_in, X, c->xbits); /* X is ±1: packing leaves it unchanged */
      bet_xnor_gemm(c->xbits, n, c->wbits[l], L->n_out, L->fan_in, Y);
    } else if (L->kind == BET_DENSE) {
      bet_dense_forward(X, n, L->fan_in, c->wb[l], L->n_out, Y);
    } else {
      size_t ch = bet_conv_chunk(L);
      if (ch > BET_EVAL_BATCH) ch = BET_EVAL_BATCH;
      const size_t img_in = (size_t)L->in_h * L->in_w * L->in_c;
      const size_t img_rows = (size_t)L->out_h * L->out_w;
      for (size_t b0 = 0; b0 < n; b0 += ch) {
        const size_t nb = (n - b0) < ch ? (n - b0) : ch;
        bet_im2col3x3(X + b0 * img_in, nb, L->in_h, L->in_w, L->in_c, c->colbuf);
        bet_dense_forward(c->colbuf, nb * img_rows, L->fan_in, c->wb[l], L->n_out,
                          Y + b0 * img_rows * L->n_out);
      }
    }
    if (l == stop || L->is_output) return Y;
    const size_t rows = n * L->out_h * L->out_w;
    const int32_t *th = c->th[l];
    const int8_t *dr = c->dr[l];
    for (size_t i = 0; i < rows; ++i) {
      float *r = Y + i * L->n_out;
      for (size_t j = 0; j < L->n_out; ++j) {
        const int32_t a = (int32_t)r[j];
        const int on = dr[j] > 0 ? a >= th[j] : a <= th[j];
        r[j] = on ? 1.0f : -1.0f;
      }
    }
    if (L->pool) {
      /* max of ±1 values (the engine pools after the sign); reuse X as output. */
      const size_t oh = L->out_h / 2, ow = L->out_w / 2, ch = L->n_out;
      for (size_t b = 0; b < n; ++b)
        for (size_t y = 0; y < oh; ++y)
          for (size_t x = 0; x < ow; ++x) {
            const float *i00 = Y + ((b * L->out_h + 2 * y) * L->out_w + 2 * x) * ch;
            const float *i01 = i00 + ch, *i10 = i00 + L->out_w * ch, *i11 = i10 + ch;
            float *o = X + ((b * oh + y) * ow + x) * ch;
            for (size_t j = 0; j < ch; ++j) {
              const float m1 = i00[j] > i01[j] ? i00[j] : i01[j];
              const float m2 = i10[j] > i11[j] ? i10[j] : i11[j];
              o[j] = m1 > m2 ? m1 : m2;
            }
          }
    } else {
      float *t = X;
      X = Y;
      Y = t;
    }
  }
}

bnn_status bet_evaluate(const bet_net *net, const bnn_dataset *data, int threads, double ber,
                        uint64_t flip_layers, uint64_t seed, int32_t *scores, uint8_t *pred,
                        double *acc) {
  bnn_status s = bet_net_check_data(net, data);
  if (s != BNN_OK) return s;
  if (threads < 1 || threads > 256)
    return bnn_fail(BNN_E_RANGE, "threads: %d outside [1, 256]", threads);
  if (!(ber >= 0.0 && ber <= 0.5)) return bnn_fail(BNN_E_RANGE, "ber: %g outside [0, 0.5]", ber);
  bet_set_threads(threads);
  bet_eval_ctx c;
  if ((s = bet_eval_ctx_init(&c, net, ber, flip_layers, seed)) != BNN_OK) return s;
  const uint32_t out = net->n - 1;
  const size_t k = net->L[out].n_out;
  size_t correct = 0;
  for (size_t i0 = 0; i0 < data->n; i0 += BET_EVAL_BATCH) {
    const size_t n = (data->n - i0) < BET_EVAL_BATCH ? (data->n - i0) : BET_EVAL_BATCH;
    const float *Y = bet_eval_forward(&c, net, data, i0, n, out);
    for (size_t b = 0; b < n; ++b) {
      const float *r = Y + b * k;
      const size_t best = bet_argmax_row(r, k); /* first maximum: ties to the lowest index */
      if (pred) pred[i0 + b] = (uint8_t)best;
      if (scores)
        for (size_t j = 0; j < k; ++j) scores[(i0 + b) * k + j] = (int32_t)r[j];
      correct += best == data->labels[i0 + b];
    }
  }
  if (acc) *acc = (double)correct / (double)data->n;
  bet_eval_ctx_free(&c);
  return BNN_OK;
}
