/* experiment.h — `rramsim experiment paper`: the plan (models, BERs, settings), the results it
 * caches, and the functions its files share: cmd_experiment.c (options, plan, driver), model.c
 * (training and evaluations of one model), cache.c (keys and cache files), report.c, plots.c. */
#ifndef RRAMSIM_EXPERIMENT_H
#define RRAMSIM_EXPERIMENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bet/bet.h"
#include "bnn/bnn.h"
#include "bnn/data.h"
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

/* ---- cache.c ---- */

/* FNV-1a hash of s (names a model's files; part of its evaluations' keys). */
uint64_t xp_fnv1a(const char *s);

/* The key of evaluation `what` ("mc", "metric", "predict-stratified", ...) of md on `limit` test
 * images: the model's hash and every setting the result depends on. */
void xp_cache_key(const xp_run *run, const xp_model *md, const char *what, uint32_t limit,
                  char *key, size_t n);

/* md's .meta file: read into md->clean_acc and md->train_seconds when its key is md->key and the
 * model file exists (returns 1), or written atomically (returns 0 after printing the error). */
int xp_meta_load(xp_model *md);
int xp_meta_write(const xp_model *md, double clean_acc, int resumed);

/* One data row of a keyed cache CSV: the BER's index in the run's BERs, the name column (metric
 * files) or NULL, and up to XP_CACHE_MAX_V numeric columns. */
#define XP_CACHE_MAX_V 4
typedef struct cache_row {
  size_t b;
  const char *name;
  double v[XP_CACHE_MAX_V];
} cache_row;

/* A keyed cache CSV: a header line, then rows "<ber>[,<name>],<v1>,...,<v_nv>" (BER as %.17g,
 * values as %.9f, or %.9g when general); its key and compute time in the sidecar
 * <path>.meta.json ({"key": ..., "seconds": ...}); files written before the sidecar start with
 * "# key <key>" and "# seconds <s>" lines instead, and are still read.
 * xp_cache_read: another key is a stale entry (-1); a row whose BER is among bers[0..n_bers) goes
 * to store once per matching BER; rows that do not parse are skipped; returns how many rows store
 * kept. xp_cache_write: asks row(ud, i, &r) for i < n_rows (0: no row), writes atomically; returns
 * the rows written, or -1 after printing the error. */
long xp_cache_read(const char *path, const char *key, int named, size_t nv, const double *bers,
                   size_t n_bers, double *seconds, int (*store)(void *ud, const cache_row *r),
                   void *ud);
long xp_cache_write(const char *path, const char *key, double seconds, const char *header,
                    int named, size_t nv, int general, const double *bers, size_t n_rows,
                    int (*row)(void *ud, size_t i, cache_row *r), void *ud);

/* ---- model.c ---- */

/* Trains md (resuming from its checkpoint after a crash), exports it and writes its meta file.
 * Returns 1 on success (0 after printing the error). */
int xp_train_model(xp_run *run, xp_model *md, const bnn_dataset *train, const bnn_dataset *test);

/* md's Monte-Carlo accuracy, margin metrics (on the metric images) and analytic prediction: from
 * the cache, or (unless --report-only) computed and cached. Return 1 when md has the result (or
 * it is unsupported for md), 0 otherwise (an error was printed unless --report-only). */
int xp_eval_mc(xp_run *run, xp_model *md, const bnn_model *m, const bnn_dataset *test);
int xp_eval_metric(xp_run *run, xp_model *md, const bnn_model *m, const bnn_dataset *mds);
int xp_eval_pred(xp_run *run, xp_model *md, const bnn_model *m, const bnn_dataset *test);

/* ---- cmd_experiment.c ---- */

/* Samples the 1-minute load average into the run's min/mean/max. */
void xp_sample_load(xp_run *run);

/* report.c: writes the plots and the markdown report (atomically). Returns 0 on success. */
int xp_write_report(xp_run *run);

/* report.c: index of ber among the run's BERs (-1 if absent); an accuracy in percentage points. */
int xp_ber_index(const xp_run *run, double ber);
double xp_pp(double acc);

/* report.c: markdown table heads of both reports (paper and study). xp_md_rule writes the rule
 * row of a table of `cols` columns ("|---|---|", or "| --- | --- |" when spaced) and a newline;
 * xp_md_ber_head, after the caller's leading header cells, one " %g |" cell per BER, a newline
 * and the rule row for the `lead` leading columns and the BERs. */
void xp_md_rule(FILE *f, size_t cols, int spaced);
void xp_md_ber_head(FILE *f, const double *bers, size_t n_bers, size_t lead, int spaced);

/* plots.c: the .dat files, the gnuplot script and the figures (best_metric: the C3 scatter's
 * metric, -1 for none). Failures are recorded in run->gnuplot_ok / run->gnuplot_msg. */
void xp_write_plots(xp_run *run, int best_metric);

#ifdef __cplusplus
}
#endif
#endif /* RRAMSIM_EXPERIMENT_H */
