/* study.h — `rramsim experiment study`: the design (study.c reads it from JSON), the job list and
 * result paths (study.c), and the report built from the result files (study_report.c). */
#ifndef RRAMSIM_STUDY_H
#define RRAMSIM_STUDY_H

#include <stddef.h>
#include <stdint.h>

#include "bet/bet.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ST_MAX_CONFIGS 64
#define ST_MAX_SEEDS   32
#define ST_MAX_BERS    24
#define ST_MAX_EPOCHS  64
#define ST_PATH        1024

typedef struct st_config {
  char id[64];   /* names the result directory */
  char arch[64]; /* bet_arch_parse */
  double flip_p;
  bet_flip_grad flip_grad;
  bet_loss loss;
  double reg_margin, reg_b;
  bet_reg_layers reg_layers;
  int encoding_pm1; /* pixels in [−1, 1] (BET_INPUT_PM1), else [0, 1] */
  uint32_t epochs;  /* 0: the design's */
  int step_size;    /* −1: the design's */
  uint64_t seeds[ST_MAX_SEEDS];
  size_t n_seeds;
} st_config;

typedef struct st_design {
  char name[64], data[256];
  uint32_t train_limit, test_limit, metric_limit;
  double metric_ber;
  uint32_t epochs, batch, step_size, reps;
  double lr, gamma;
  double bers[ST_MAX_BERS];
  size_t n_bers;
  st_config configs[ST_MAX_CONFIGS];
  size_t n_configs;
} st_design;

/* Reads and checks a design file (errors printed, naming the file and key). Returns 1 if valid. */
int st_design_load(const char *file, st_design *d);
size_t st_n_jobs(const st_design *d);
/* <dir>/<config id>/seed-<seed>.json; 0 if it does not fit in n. */
int st_result_path(const char *dir, const st_config *C, uint64_t seed, char *out, size_t n);

/* study_report.c: the markdown report from the result files present (atomically); 0 on success. */
int st_write_report(const st_design *d, const char *design_path, const char *results_dir,
                    const char *report_path);

/* `rramsim experiment study ...` (argv[1] = "study"). */
int xp_cmd_study(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif /* RRAMSIM_STUDY_H */
