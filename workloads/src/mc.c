/* mc.c — Monte-Carlo accuracy vs weight write BER through the engine's error port (bnn/mc.h). */
#include "bnn/mc.h"

#include <math.h>
#include <string.h>

bnn_mc_params bnn_mc_default_params(void) {
  bnn_mc_params p;
  memset(&p, 0, sizeof p);
  p.reps = 1;
  p.seed = 1;
  p.layer_mask = ~(uint64_t)0;
  p.infer = bnn_infer_default_params();
  return p;
}

bnn_mc_stats bnn_mc_stats_of(const double *v, size_t n) {
  bnn_mc_stats s = {0.0, 0.0, 0.0, 0.0};
  if (n == 0) return s;
  s.min = s.max = v[0];
  for (size_t i = 0; i < n; ++i) {
    s.mean += v[i];
    s.min = v[i] < s.min ? v[i] : s.min;
    s.max = v[i] > s.max ? v[i] : s.max;
  }
  s.mean /= (double)n;
  double ss = 0.0;
  for (size_t i = 0; i < n; ++i) ss += (v[i] - s.mean) * (v[i] - s.mean);
  s.std = n > 1 ? sqrt(ss / (double)(n - 1)) : 0.0;
  return s;
}

bnn_status bnn_mc_check(const bnn_model *m, const bnn_dataset *ds) {
  if (!m || !ds || !ds->images || !ds->labels || ds->n == 0)
    return bnn_fail(BNN_E_ARG, "Monte-Carlo: no model or empty data set");
  uint32_t c, h, w;
  bnn_model_input_shape(m, &c, &h, &w);
  bnn_layer_info first;
  if (bnn_model_layer(m, 0, &first) != BNN_OK)
    return bnn_fail(BNN_E_ARG, "Monte-Carlo: model has no layers");
  if ((uint64_t)c * h * w != (uint64_t)ds->c * ds->h * ds->w ||
      (first.kind != BNN_LAYER_DENSE && (c != ds->c || h != ds->h || w != ds->w)))
    return bnn_fail(BNN_E_SHAPE, "model expects %ux%ux%u images, data set %s has %ux%ux%u", h, w, c,
                    ds->name, ds->h, ds->w, ds->c);
  const uint32_t ncls = bnn_model_n_classes(m);
  for (uint32_t i = 0; i < ds->n; ++i)
    if (ds->labels[i] >= ncls)
      return bnn_fail(BNN_E_RANGE, "data set %s has label %u at image %u, model has %u classes",
                      ds->name, ds->labels[i], i, ncls);
  return BNN_OK;
}

/* One rep: a fresh port (error port with stream `rep`, or the host port) and engine over the whole
 * data set, in chunks so progress can be reported. */
static bnn_status run_rep(const bnn_model *m, const bnn_dataset *ds, const bnn_error_params *ep,
                          int errors, uint64_t rep, const bnn_infer_params *ip, uint8_t *pred,
                          uint64_t *correct, uint64_t *flips, bnn_mc_progress_fn progress, void *ud,
                          size_t b, uint64_t done_before) {
  const size_t chunk = 2048, img_bytes = (size_t)ds->c * ds->h * ds->w;
  bnn_port *port = NULL;
  bnn_status st =
      errors ? bnn_error_port_create(&port, m, ep, rep) : bnn_host_port_create(&port, m);
  bnn_engine *e = NULL;
  if (st == BNN_OK) st = bnn_engine_create(&e, m, port, ip);
  *correct = 0;
  for (size_t i0 = 0; st == BNN_OK && i0 < ds->n; i0 += chunk) {
    const size_t nb = ds->n - i0 < chunk ? ds->n - i0 : chunk;
    st = bnn_engine_run(e, ds->images + i0 * img_bytes, nb, NULL, pred);
    for (size_t i = 0; st == BNN_OK && i < nb; ++i) *correct += pred[i] == ds->labels[i0 + i];
    if (st == BNN_OK && progress) progress(ud, b, rep, done_before + i0 + nb);
  }
  if (st == BNN_OK && errors && flips) {
    bnn_error_counts ec;
    bnn_error_port_counts(port, &ec);
    *flips += ec.write_flips;
  }
  bnn_engine_destroy(e);
  bnn_port_destroy(port);
  return st;
}

bnn_status bnn_mc_sweep(const bnn_model *m, const bnn_dataset *ds, const double *bers,
                        size_t n_bers, const bnn_mc_params *p, bnn_mc_progress_fn progress,
                        void *ud, bnn_mc_stats *out, double *per_rep, uint64_t *flips) {
  if (!p || !out || (!bers && n_bers)) return bnn_fail(BNN_E_ARG, "Monte-Carlo: NULL argument");
  if (n_bers == 0) return bnn_fail(BNN_E_ARG, "Monte-Carlo: empty BER sweep");
  if (p->reps < 1) return bnn_fail(BNN_E_ARG, "Monte-Carlo: reps must be at least 1");
  for (size_t b = 0; b < n_bers; ++b)
    if (!(bers[b] >= 0.0 && bers[b] <= 0.5))
      return bnn_fail(BNN_E_ARG, "Monte-Carlo: BER %g outside [0, 0.5]", bers[b]);
  bnn_status st = bnn_mc_check(m, ds);
  if (st != BNN_OK) return st;
  if (flips) *flips = 0;
  /* 2048 = run_rep's chunk: predictions of one chunk at a time. */
  uint8_t *pred = (uint8_t *)bnn_malloc(2048);
  double *acc = (double *)bnn_calloc((size_t)p->reps, sizeof *acc);
  if (!pred || !acc) {
    bnn_free(pred);
    bnn_free(acc);
    return bnn_fail(BNN_E_NOMEM, "Monte-Carlo: out of memory (%llu reps)",
                    (unsigned long long)p->reps);
  }
  bnn_error_params ep = bnn_error_default_params();
  ep.seed = p->seed;
  ep.layer_mask = p->layer_mask;
  for (size_t b = 0; st == BNN_OK && b < n_bers; ++b) {
    ep.write_p01 = ep.write_p10 = bers[b];
    for (uint64_t r = 0; st == BNN_OK && r < p->reps; ++r) {
      uint64_t correct = 0;
      st = run_rep(m, ds, &ep, bers[b] > 0, r, &p->infer, pred, &correct, flips, progress, ud, b,
                   ((uint64_t)b * p->reps + r) * ds->n);
      acc[r] = (double)correct / ds->n;
      if (per_rep) per_rep[b * p->reps + r] = acc[r];
    }
    if (st == BNN_OK) out[b] = bnn_mc_stats_of(acc, (size_t)p->reps);
  }
  bnn_free(pred);
  bnn_free(acc);
  return st;
}
