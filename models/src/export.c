/* export.c — libbet → libbnn model file: binarized weights, folded integer thresholds, scale,
 * provenance. The same folding (bet_net_thresholds) drives libbet's own evaluation, so the engine's
 * predictions on the exported file equal bet_evaluate's, image by image. A net trained on [−1, 1]
 * pixels exports its first layer with the input offset (bnn_model_set_input_offset) instead of a
 * threshold folded from the clean weights, so the engine moves the offset term with every flipped
 * weight it reads. */
#include <string.h>

#include "bet_impl.h"

/* [−1, 1] pixels, x = 2p/255 − 1 = (p − 127.5)/127.5: the input offset q = 127.5 = 255 / 2^1,
 * with the thresholds T_j of v = 2a − 255·S (bet_pm1_threshold). */
static bnn_status pm1_offset(const bet_net *net, bnn_model *m) {
  const bet_layer *L = &net->L[0];
  int64_t *T = (int64_t *)bnn_malloc((size_t)L->n_out * sizeof *T);
  int64_t *num = (int64_t *)bnn_malloc((size_t)net->in_c * sizeof *num);
  if (!T || !num) {
    bnn_free(T), bnn_free(num);
    return bnn_fail(BNN_E_NOMEM, "export: out of memory");
  }
  for (uint32_t c = 0; c < net->in_c; ++c) num[c] = 255;
  bnn_status s = BNN_OK;
  for (uint32_t j = 0; j < L->n_out && s == BNN_OK; ++j) {
    int32_t t;
    int8_t d;
    if (!bet_pm1_threshold(net, j, &t, &d))
      s = bnn_fail(BNN_E_RANGE, "layer 0 neuron %u: non-finite batch-norm parameters", j);
    T[j] = t;
  }
  if (s == BNN_OK) s = bnn_model_set_input_offset(m, 1, num, T);
  bnn_free(T), bnn_free(num);
  return s;
}

bnn_status bet_export_model(const bet_net *net, const char *provenance, bnn_model **out) {
  if (!net || !out) return bnn_fail(BNN_E_ARG, "export: NULL argument");
  *out = NULL;
  bnn_model *m = NULL;
  bnn_status s = bnn_model_create(&m, net->in_c, net->in_h, net->in_w);
  if (s != BNN_OK) return s;
  size_t max_w = 0, max_n = 0;
  for (uint32_t l = 0; l < net->n; ++l) {
    const size_t nw = (size_t)net->L[l].n_out * net->L[l].fan_in;
    if (nw > max_w) max_w = nw;
    if (net->L[l].n_out > max_n) max_n = net->L[l].n_out;
  }
  int8_t *w = (int8_t *)bnn_malloc(max_w);
  int32_t *t = (int32_t *)bnn_malloc(max_n * sizeof *t);
  int8_t *d = (int8_t *)bnn_malloc(max_n);
  if (!w || !t || !d) s = bnn_fail(BNN_E_NOMEM, "export: out of memory");
  for (uint32_t l = 0; l < net->n && s == BNN_OK; ++l) {
    const bet_layer *L = &net->L[l];
    const size_t nw = (size_t)L->n_out * L->fan_in;
    /* libbet keeps conv rows in [ky][kx][c] order and activations in HWC, which are the engine's
     * conv weight order and dense-after-conv flatten order: the rows export as they are. */
    const int neg = L->is_output && net->scale < 0.0f; /* see bet_evaluate */
    for (size_t i = 0; i < nw; ++i) {
      const int8_t v = L->w[i] >= 0.0f ? 1 : -1;
      w[i] = neg ? (int8_t)-v : v;
    }
    if (!L->is_output && (s = bet_net_thresholds(net, l, t, d)) != BNN_OK) break;
    if (L->kind == BET_DENSE)
      s = bnn_model_add_dense(m, L->n_out, w, L->is_output ? NULL : t, L->is_output ? NULL : d);
    else
      s = bnn_model_add_conv3x3(m, L->n_out, w, t, d);
    if (s == BNN_OK && L->pool) s = bnn_model_add_maxpool2(m);
    if (s == BNN_OK && l == 0 && !L->is_output && net->input_range == BET_INPUT_PM1)
      s = pm1_offset(net, m);
  }
  if (s == BNN_OK) bnn_model_set_output_scale(m, net->scale < 0.0f ? -net->scale : net->scale);
  if (s == BNN_OK && provenance) s = bnn_model_set_provenance(m, provenance);
  bnn_free(w);
  bnn_free(t);
  bnn_free(d);
  if (s != BNN_OK) {
    bnn_model_free(m);
    return s;
  }
  *out = m;
  return BNN_OK;
}

bnn_status bet_export(const bet_net *net, const char *provenance, const char *path) {
  bnn_model *m = NULL;
  bnn_status s = bet_export_model(net, provenance, &m);
  if (s != BNN_OK) return s;
  s = bnn_model_save(m, path);
  bnn_model_free(m);
  return s;
}
