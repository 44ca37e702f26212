/* bnn/mc.h — Monte-Carlo accuracy under weight bit errors: a sweep over write BERs with repeated
 * fault draws through the engine's error port (what `rramsim eval --ber-sweep` and
 * `rramsim experiment` both run). */
#ifndef BNN_MC_H
#define BNN_MC_H

#include <stddef.h>
#include <stdint.h>

#include "bnn/bnn.h"
#include "bnn/data.h"
#include "bnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bnn_mc_params {
  uint64_t reps;       /* fault draws per BER (≥ 1) */
  uint64_t seed;       /* error seed; rep r uses error stream r at every BER (common random
                          numbers: neighbouring BERs see related faults, so curves are smooth) */
  uint64_t layer_mask; /* bit l: weight layer l in error-prone memory (default all) */
  bnn_infer_params infer;
} bnn_mc_params;

bnn_mc_params bnn_mc_default_params(void); /* reps 1, seed 1, all layers, default inference */

typedef struct bnn_mc_stats {
  double mean, std, min, max; /* accuracy over the reps (std: sample, 0 for one rep) */
} bnn_mc_stats;

/* Called after every chunk of images: BER index, rep, images done so far in the whole sweep. */
typedef void (*bnn_mc_progress_fn)(void *ud, size_t ber_index, uint64_t rep, uint64_t images_done);

/* For each of n_bers write BERs (both flip directions, persistent, each in [0, 0.5]; BER 0 runs on
 * the error-free host port), `reps` runs of the whole data set, each on a fresh error port. out:
 * n_bers stats; per_rep (n_bers × reps, may be NULL): each rep's accuracy; flips (may be NULL):
 * total write flips injected. Data shape and labels must fit the model (BNN_E_SHAPE / BNN_E_RANGE).
 */
bnn_status bnn_mc_sweep(const bnn_model *m, const bnn_dataset *ds, const double *bers,
                        size_t n_bers, const bnn_mc_params *p, bnn_mc_progress_fn progress,
                        void *ud, bnn_mc_stats *out, double *per_rep, uint64_t *flips);

/* Mean, sample std, min, max of n values (n ≥ 1). */
bnn_mc_stats bnn_mc_stats_of(const double *v, size_t n);

/* Checks that data set and model fit: input size (and shape for conv models) and labels. */
bnn_status bnn_mc_check(const bnn_model *m, const bnn_dataset *ds);

#ifdef __cplusplus
}
#endif
#endif /* BNN_MC_H */
