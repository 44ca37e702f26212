/* bench_sweep.c — Monte-Carlo BER sweep cost (10 BERs × 10 reps × 10,000 images, 2 threads) against
 * the clean engine on the same images and the analytic prediction (stratified and layer-mean
 * models), plus the named targets. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bet/metric.h"
#include "bnn/bnn.h"
#include "bnn/data.h"
#include "bnn/rng.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* A random 784-2048-2048-10 model: ±1 weights, thresholds at the expected pre-activation. */
static bnn_model *random_fcnn(void) {
  const uint32_t w[4] = {784, 2048, 2048, 10};
  bnn_model *m = NULL;
  if (bnn_model_create(&m, 1, 28, 28)) return NULL;
  bnn_rng r = bnn_rng_make(1, 0);
  for (int l = 0; l < 3; ++l) {
    int8_t *wt = (int8_t *)malloc((size_t)w[l] * w[l + 1]);
    int32_t *t = (int32_t *)malloc(sizeof(int32_t) * w[l + 1]);
    int8_t *d = (int8_t *)malloc(w[l + 1]);
    for (uint32_t o = 0; o < w[l + 1]; ++o) {
      int64_t s = 0;
      for (uint32_t i = 0; i < w[l]; ++i)
        s += wt[(size_t)o * w[l] + i] = (bnn_rng_u64(&r) & 1) ? 1 : -1;
      t[o] = l == 0 ? (int32_t)(73 * s) : 0, d[o] = 1;
    }
    bnn_status st = bnn_model_add_dense(m, w[l + 1], wt, l < 2 ? t : NULL, l < 2 ? d : NULL);
    free(wt), free(t), free(d);
    if (st) return NULL;
  }
  return m;
}

static double run(const bnn_model *m, const bnn_dataset *ds, double ber, uint64_t rep,
                  uint8_t *pred) {
  bnn_port *port = NULL;
  bnn_engine *e = NULL;
  bnn_infer_params ip = bnn_infer_default_params();
  ip.threads = 2;
  bnn_error_params ep = bnn_error_default_params();
  ep.write_p01 = ep.write_p10 = ber;
  if (ber > 0 ? bnn_error_port_create(&port, m, &ep, rep) : bnn_host_port_create(&port, m))
    return -1;
  if (bnn_engine_create(&e, m, port, &ip) || bnn_engine_run(e, ds->images, ds->n, NULL, pred))
    return -1;
  uint64_t c = 0;
  for (uint32_t i = 0; i < ds->n; ++i) c += pred[i] == ds->labels[i];
  bnn_engine_destroy(e);
  bnn_port_destroy(port);
  return (double)c / ds->n;
}

int main(void) {
  bnn_dataset ds;
  if (bnn_dataset_open(&ds, "fashion-mnist", "test", 10000)) {
    fprintf(stderr, "bench_sweep: fashion-mnist: %s\n", bnn_errmsg());
    return 1;
  }
  bnn_model *m = random_fcnn();
  uint8_t *pred = (uint8_t *)malloc(ds.n);
  if (!m || !pred) return 1;
  double bers[10];
  for (int b = 0; b < 10; ++b) bers[b] = 0.01 * (b + 1);
  printf("bench_sweep: random 784-2048-2048-10, %u Fashion-MNIST test images, 2 threads\n", ds.n);
  double t0 = now(), sink = 0;
  for (int k = 0; k < 20; ++k) sink += run(m, &ds, 0, 0, pred);
  double clean = 5 * (now() - t0); /* 20 passes, scaled to the sweep's 1e6 images */
  t0 = now();
  for (int b = 0; b < 10; ++b)
    for (uint64_t r = 0; r < 10; ++r) sink += run(m, &ds, bers[b], r, pred);
  double mc = now() - t0;
  double acc[10];
  t0 = now();
  bet_predict_params pp = bet_predict_default_params();
  pp.threads = 2;
  if (bet_predict_accuracy(m, &ds, bers, 10, &pp, acc)) return 1;
  double an = now() - t0;
  for (int b = 0; b < 10; ++b) sink += acc[b];
  t0 = now(); /* the layer-mean model (docs/metrics.md): cheaper, optimistic at high BER */
  pp.stratified_mean = 0;
  if (bet_predict_accuracy(m, &ds, bers, 10, &pp, acc)) return 1;
  double an0 = now() - t0;
  for (int b = 0; b < 10; ++b) sink += acc[b];
  printf("  baseline: clean engine, 20 passes x 5 (1e6 images):  %7.2f s\n", clean);
  printf(
      "  Monte-Carlo sweep 10 BERs x 10 reps (1e6 images):      %7.2f s = %.2f x clean; %.2f x "
      "target 20 s; "
      "%.1f x faster than PyTorch (~100 s, named figure)\n",
      mc, mc / clean, mc / 20.0, 100.0 / mc);
  printf(
      "  analytic prediction, same 10 BERs (2 threads):         %7.2f s = %.1f x faster than the "
      "MC sweep "
      "(target >= 10 x)\n",
      an, mc / an);
  printf(
      "  ... with the layer-mean model (stratified_mean = 0):   %7.2f s = %.1f x faster than the "
      "MC sweep; "
      "the stratified mean costs %.1f x\n",
      an0, mc / an0, an / an0);
  printf("  (checksum %.3f)\n", sink);
  free(pred);
  bnn_model_free(m);
  bnn_dataset_free(&ds);
  return 0;
}
