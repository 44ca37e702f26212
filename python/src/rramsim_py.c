/* rramsim_py.c — C helpers of the Python binding (python/rramsim/_native.py loads the shared
 * library this file is part of, together with every libbnn/libbet function, through cffi's ABI
 * mode).
 *
 * rrpy_evaluate runs exactly the loop of `rramsim eval` (apps/cmd_eval.c) without a BER sweep: per
 * rep a fresh port (the error port with stream = rep when any rate is non-zero, else the host
 * port), an engine, the images in chunks of RRPY_EVAL_CHUNK. Read errors are keyed by the access
 * count, which depends on the chunking, so the chunk size must stay the CLI's (2048) for Python and
 * the CLI to give the same accuracies (python/tests/test_cli_equal.py holds them equal). */
#include <stdint.h>
#include <string.h>

#include "rramsim_py.h"

#include "bnn/bnn.h"

#define RRPY_EVAL_CHUNK 2048

int rrpy_eval_chunk(void) {
  return RRPY_EVAL_CHUNK;
}

/* images: n × in_size bytes (HWC); labels: n. acc: reps values. pred (may be NULL): n predictions
 * of the LAST rep. scores (may be NULL): n × n_classes integer scores of the last rep. flips: 2
 * values (write, read) summed over reps. */
int rrpy_evaluate(const bnn_model *m, const uint8_t *images, const uint8_t *labels, size_t n,
                  const bnn_error_params *ep, uint64_t reps, int threads, int kernel,
                  uint32_t weight_reuse, double *acc, uint8_t *pred, int32_t *scores,
                  uint64_t *flips) {
  uint32_t c, h, w;
  bnn_model_input_shape(m, &c, &h, &w);
  const size_t img_bytes = (size_t)c * h * w;
  const uint32_t ncls = bnn_model_n_classes(m);
  const int errors = ep->write_p01 > 0 || ep->write_p10 > 0 || ep->read_p01 > 0 || ep->read_p10 > 0;
  uint8_t pbuf[RRPY_EVAL_CHUNK];
  flips[0] = flips[1] = 0;
  for (uint64_t r = 0; r < reps; ++r) {
    bnn_port *port = NULL;
    bnn_status st =
        errors ? bnn_error_port_create(&port, m, ep, r) : bnn_host_port_create(&port, m);
    bnn_engine *e = NULL;
    bnn_infer_params ip = bnn_infer_default_params();
    ip.threads = threads;
    ip.kernel = (bnn_kernel)kernel;
    ip.weight_reuse = weight_reuse;
    if (!st) st = bnn_engine_create(&e, m, port, &ip);
    uint64_t correct = 0;
    const int last = r + 1 == reps;
    for (size_t i0 = 0; !st && i0 < n; i0 += RRPY_EVAL_CHUNK) {
      size_t nb = n - i0 < RRPY_EVAL_CHUNK ? n - i0 : RRPY_EVAL_CHUNK;
      uint8_t *pp = last && pred ? pred + i0 : pbuf;
      int32_t *sp = last && scores ? scores + i0 * ncls : NULL;
      st = bnn_engine_run(e, images + i0 * img_bytes, nb, sp, pp);
      for (size_t i = 0; !st && i < nb; ++i) correct += pp[i] == labels[i0 + i];
    }
    if (!st && errors) {
      bnn_error_counts ec;
      bnn_error_port_counts(port, &ec);
      flips[0] += ec.write_flips, flips[1] += ec.read_flips;
    }
    bnn_engine_destroy(e);
    bnn_port_destroy(port);
    if (st) return st;
    acc[r] = n ? (double)correct / (double)n : 0;
  }
  return BNN_OK;
}
