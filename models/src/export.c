/* export.c — libbet → libbnn model file: binarized weights, folded integer thresholds, scale,
 * provenance. The same folding (bet_net_thresholds) drives libbet's own evaluation, so the engine's
 * predictions on the exported file equal bet_evaluate's, image by image. */
#include <string.h>

#include "bet_impl.h"

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
