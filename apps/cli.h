/* cli.h — what every rramsim subcommand shares: errors, option parsing, progress bars. */
#ifndef RRAMSIM_CLI_H
#define RRAMSIM_CLI_H

#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A subcommand: argv[0] is its name ("eval"); returns the process exit code. */
typedef int (*rr_cmd_fn)(int argc, char **argv);

/* Exit codes: 0 ok, 1 runtime failure (bad file, I/O), 2 usage error (bad option or value). */
enum { RR_EXIT_OK = 0, RR_EXIT_FAIL = 1, RR_EXIT_USAGE = 2 };

/* Prints "rramsim <cmd>: <message>" on stderr (one line). Returns RR_EXIT_FAIL. */
int rr_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Same, plus "(see 'rramsim <cmd> --help')"; returns RR_EXIT_USAGE. */
int rr_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Strict number parsing for option values: the whole string must parse and lie in [lo, hi].
 * On failure prints "rramsim <cmd>: <opt>: expected ..., got '<s>'" and returns 0. */
int rr_parse_double(const char *cmd, const char *opt, const char *s, double lo, double hi,
                    double *out);
int rr_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t lo, uint64_t hi,
                 uint64_t *out);
int rr_parse_int(const char *cmd, const char *opt, const char *s, int lo, int hi, int *out);

/* "a:b:step" (inclusive of b within step/1000) or a comma list "a,b,c" → values (allocated with
 * malloc; caller frees). All values must lie in [lo, hi]; at most max_n values. */
int rr_parse_range(const char *cmd, const char *opt, const char *s, double lo, double hi,
                   size_t max_n, double **values, size_t *n);

/* Progress bar on stderr. On a terminal: one redrawn line with bar, rate, ETA and a caller
 * message; otherwise a plain line about every 10 % or 30 s, so logs stay readable. */
typedef struct rr_progress {
  const char *label;
  uint64_t total;
  double t_start;
  double t_last;
  uint64_t last_done;
  int tty;
  int enabled;
  int last_decile;
} rr_progress;

void rr_progress_start(rr_progress *p, const char *label, uint64_t total, int enabled);
/* unit: what `done` counts ("img", "batch"); msg: extra text (may be NULL). */
void rr_progress_update(rr_progress *p, uint64_t done, const char *unit, const char *msg);
void rr_progress_finish(rr_progress *p, const char *unit, const char *msg);

/* Crash-safe output: rr_atomic_open opens PATH.tmp.<pid> for writing (its name goes to tmp[n]);
 * rr_atomic_commit closes it and renames it over PATH, or removes it on any write, close or
 * rename error (returns 0; errno says why). A file is never half-written under its final name.
 * The rename is durable (bnn_rename_durable). rr_atomic_open first removes PATH.tmp.<pid> files
 * left by writers of PATH that were killed (their pid no longer exists). */
FILE *rr_atomic_open(const char *path, char *tmp, size_t n);
int rr_atomic_commit(FILE *f, const char *tmp, const char *path);

/* Monotonic wall-clock seconds. */
double rr_now(void);

/* The tool version string ("0.1.0+gabcdef"). */
const char *rr_version(void);

#ifdef __cplusplus
}
#endif
#endif /* RRAMSIM_CLI_H */
