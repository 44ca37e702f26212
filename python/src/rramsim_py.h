/* rramsim_py.h — the C helpers of the Python binding (cffi reads these declarations through
 * rramsim_cdef.h). */
#ifndef RRAMSIM_PY_H
#define RRAMSIM_PY_H

#include <stddef.h>
#include <stdint.h>

#include "bnn/bnn.h"

/* The chunk of images per engine run (the CLI's: read-error draws depend on it). */
int rrpy_eval_chunk(void);
/* `rramsim eval`'s loop without a sweep; see rramsim_py.c. */
int rrpy_evaluate(const bnn_model *m, const uint8_t *images, const uint8_t *labels, size_t n,
                  const bnn_error_params *ep, uint64_t reps, int threads, int kernel,
                  uint32_t weight_reuse, double *acc, uint8_t *pred, int32_t *scores,
                  uint64_t *flips);

#endif
