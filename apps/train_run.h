/* train_run.h — the one training driver of `rramsim train` and `rramsim experiment`: start a net or
 * resume it from its checkpoint, train epoch by epoch behind a progress bar, log one JSON line and
 * write a checkpoint per epoch, evaluate on the test set and export the engine's model file. */
#ifndef RRAMSIM_TRAIN_RUN_H
#define RRAMSIM_TRAIN_RUN_H

#include <stdint.h>
#include <stdio.h>

#include "bet/bet.h"
#include "bnn/data.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What to do with an existing checkpoint. */
typedef enum cli_train_resume {
  CLI_TRAIN_FRESH = 0,       /* ignore it: start afresh, truncate the log */
  CLI_TRAIN_RESUME,          /* `train --resume`: continue from it; one that cannot be read or was
                               written with other training options is an error */
  CLI_TRAIN_RESUME_IF_USABLE /* `experiment`: continue from it when it can be used, else say why
                               on stderr and start afresh */
} cli_train_resume;

/* One finished epoch, as handed to cli_train_job.on_epoch. */
typedef struct cli_train_epoch {
  uint32_t epoch;            /* epochs done, 1-based */
  const bet_epoch_stats *st; /* st->seconds: wall time of the epoch's training */
  double test_acc;           /* clean test accuracy (only with eval_each_epoch; else 0) */
  const bet_net *net;
} cli_train_epoch;

typedef struct cli_train_job {
  const char *cmd;  /* command for messages ("train") */
  const char *name; /* model id put before messages and the progress label, or NULL */
  const char
      *arch_name; /* as the user gave it; a resumed checkpoint must have been trained as it */
  const bet_arch *arch;
  const bet_train_params *params;
  const bnn_dataset *train, *test;
  const char *ckpt_path, *log_path, *out_path;
  const char *out_opt; /* the option that named out_path ("--out") for messages, or NULL */
  cli_train_resume resume;
  int eval_each_epoch; /* clean test accuracy after every epoch (to on_epoch) */
  int progress;        /* progress bar per epoch on stderr */
  /* Appends the epoch's fields to its log line (the driver writes `{"epoch":E` before and `}` and
   * the newline after) and prints whatever it reports on stderr. Returns 0 on failure, with the
   * error printed. */
  int (*on_epoch)(void *ud, FILE *log, const cli_train_epoch *e);
  /* The provenance JSON the model file carries, allocated with malloc (NULL: out of memory). */
  char *(*provenance)(void *ud, double test_acc);
  void *ud;
} cli_train_job;

typedef struct cli_train_outcome {
  double test_acc; /* clean test accuracy of the exported model */
  double seconds;  /* wall time from the first epoch through the final evaluation */
  int resumed;     /* continued from the checkpoint */
} cli_train_outcome;

/* Runs the job to the end: after it, out_path holds the model of epoch params->epochs (or of the
 * checkpoint's epoch, if that is later) and the checkpoint the last epoch's state. On resume, the
 * log keeps only the lines of epochs the checkpoint holds: a line written before a kill that came
 * ahead of its epoch's checkpoint is dropped, because that epoch is trained and logged again.
 * Returns 1, or 0 with one error line printed. */
int cli_train_run(const cli_train_job *job, cli_train_outcome *out);

#ifdef __cplusplus
}
#endif
#endif /* RRAMSIM_TRAIN_RUN_H */
