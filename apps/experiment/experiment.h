/* experiment.h — `rramsim experiment paper`: the plan (models, BERs, settings), the results it
 * caches, and the report writer shared by cmd_experiment.c and experiment_report.c. */
#ifndef RRAMSIM_EXPERIMENT_H
#define RRAMSIM_EXPERIMENT_H

#include <stddef.h>
#include <stdint.h>

#include "bet/bet.h"
#include "bnn/mc.h"

#ifdef __cplusplus
extern "C" {
#endif

#define XP_MAX_MODELS  32
#define XP_MAX_BERS    16
#define XP_MAX_METRICS 24
#define XP_MAX_LAMBDAS 8
#define XP_PATH        1024

typedef enum xp_role {
  XP_ROLE_BASE = 0, /* FCNN, p_train = 0, cross-entropy: the reference for C1/C2/C4 */
  XP_ROLE_FLIP = 1, /* FCNN trained with weight flips */
  XP_ROLE_MHL = 2,  /* FCNN trained with the modified hinge loss */
  XP_ROLE_REG = 3,  /* FCNN trained with the margin regularizer */
  XP_ROLE_VGG = 4,  /* VGG3 */
  XP_ROLE_COUNT
} xp_role;

typedef struct xp_model {
  char id[64];   /* "fcnn-p0.033-sign" */
  char arch[64]; /* as given to bet_arch_parse */
  xp_role role;
  int is_fcnn;
  bet_train_params tp;  /* everything but threads is part of the cache key */
  double lambda, reg_b; /* margin regularizer (0 = off) */
  uint32_t train_limit; /* training images used (0 = all) */
  char key[768];        /* canonical parameter string; its hash names the files */
  char stem[XP_PATH];   /* <out>/models/<id>-<hash> */
  /* results (filled from the cache or by this run) */
  int trained;
  double clean_acc, train_seconds;
  int have_mc;
  bnn_mc_stats mc[XP_MAX_BERS];
  double mc_seconds;
  int have_pred, pred_unsupported;
  char pred_note[160];
  double pred[XP_MAX_BERS];
  double pred_seconds;
  int have_metric, metric_unsupported;
  double metric[XP_MAX_BERS][XP_MAX_METRICS]; /* [ber][metric]; NaN where not defined */
  double metric_seconds;
} xp_model;

typedef struct xp_run {
  /* settings */
  int quick, force, report_only, threads, progress;
  const char *data;
  const char *notes; /* markdown file included verbatim as "Choices" (may be NULL) */
  char out_dir[XP_PATH / 2], report[XP_PATH / 2];
  char plot_dir[XP_PATH], plot_rel[XP_PATH], data_dir[XP_PATH];
  const char *fcnn_arch;
  uint32_t epochs, vgg_epochs, train_limit, test_limit, metric_limit, vgg_train_limit;
  uint64_t reps, seed, eval_seed;
  double bers[XP_MAX_BERS];
  size_t n_bers; /* the study's BERs (first n_main) plus Hirtzlin's two */
  size_t n_main;
  double lambdas[XP_MAX_LAMBDAS];
  size_t n_lambdas;
  double reg_b;
  bet_flip_grad vgg_grad;
  bet_bn_stats bn_stats; /* batch-norm statistics of every model's evaluation and export */
  xp_model models[XP_MAX_MODELS];
  size_t n_models;
  /* metric names (columns of xp_model.metric) */
  char metric_names[XP_MAX_METRICS][40];
  size_t n_metrics;
  /* bookkeeping for the report */
  char command_line[2048];
  double t_start, wall;
  double load_min, load_max, load_sum;
  int load_n;
  char started_utc[32];
  uint32_t train_n, test_n, metric_n;
  int gnuplot_ok;
  char gnuplot_msg[256];
} xp_run;

/* Index of a metric name, adding it if new (-1 when the table is full). */
int xp_metric_index(xp_run *run, const char *name);

/* Samples the 1-minute load average into the run's min/mean/max. */
void xp_sample_load(xp_run *run);

/* Writes the plots (gnuplot) and the markdown report (atomically). Returns 0 on success. */
int xp_write_report(xp_run *run);

#ifdef __cplusplus
}
#endif
#endif /* RRAMSIM_EXPERIMENT_H */
