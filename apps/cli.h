/* cli.h — what every rramsim subcommand shares: errors, option parsing, progress bars. */
#ifndef RRAMSIM_CLI_H
#define RRAMSIM_CLI_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A subcommand: argv[0] is its name ("eval"); returns the process exit code. */
typedef int (*cli_cmd_fn)(int argc, char **argv);

/* Exit codes: 0 ok, 1 runtime failure (bad file, I/O), 2 usage error (bad option or value). */
enum { CLI_EXIT_OK = 0, CLI_EXIT_FAIL = 1, CLI_EXIT_USAGE = 2 };

/* Prints "rramsim <cmd>: <message>" on stderr (one line). Returns CLI_EXIT_FAIL. */
int cli_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Same, plus "(see 'rramsim <cmd> --help')"; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* ---- Options: one convention for every command (getopt_long underneath) ----
 * Options are long only: `--name value` or `--name=value` for an option with a value, `--name` for
 * a flag; `-h`/`--help` prints the command's usage on stdout. Names must be given in full (no
 * abbreviations, so adding an option never breaks a script). Anything not starting with '-' (and
 * everything after `--`) is a positional argument, handed over in order. */

/* What a command's handler made of one option (or positional argument). */
typedef enum cli_opt_result {
  CLI_OPT_UNKNOWN = 0, /* not its option / argument: "unknown option" / "unexpected argument" */
  CLI_OPT_TAKEN,       /* parsed */
  CLI_OPT_BAD          /* a bad value; the handler printed the usage error */
} cli_opt_result;

/* One row of a command's option table, ended by a row with name == NULL. */
typedef struct cli_option {
  const char *name;      /* without the leading "--" */
  int has_value;         /* 1: takes a value; 0: a flag */
  int *flag;             /* flags only: set to 1 and the handler is not called (may be NULL) */
  const char *alias_for; /* a deprecated spelling of "--<alias_for>": one warning on stderr
                          * ("rramsim <cmd>: --<name> is deprecated, use --<alias_for>"), then it
                          * acts as that option (the handler sees "--<alias_for>") */
} cli_option;

/* opt: "--name" as declared (the canonical name for an alias), or NULL for a positional argument
 * (val is then the argument). val: the option's value, NULL for a flag. */
typedef cli_opt_result (*cli_opt_handler)(void *ud, const char *opt, const char *val);

/* Parses argv[first..argc) against `opts` (first = 1 after the command name, 2 after a subcommand
 * word). Errors are one usage line each: "unknown option '<opt>'", "option '<opt>' needs a value",
 * "option '<opt>' takes no value", "unexpected argument '<arg>'" (a positional the handler did not
 * take), or the handler's own. Returns 1 to go on (*exit_code = CLI_EXIT_OK), or 0 with *exit_code
 * set: CLI_EXIT_OK after --help (usage printed on stdout), CLI_EXIT_USAGE after an error. */
int cli_parse_options(const char *cmd, int argc, char **argv, int first, const cli_option *opts,
                      cli_opt_handler handler, void *ud, void (*usage)(FILE *f), int *exit_code);

/* The default of every command's --threads: the online CPUs, at least 1, at most 8. */
int cli_default_threads(void);

/* Strict number parsing for option values: the whole string must parse and lie in [lo, hi].
 * Numbers are base-10 only: "010" is 10; a hexadecimal ("0x10"), a leading '+' or white space,
 * "inf" and "nan" are refused. On failure prints "rramsim <cmd>: <opt>: expected ..., got '<s>'"
 * and returns 0. */
int cli_parse_double(const char *cmd, const char *opt, const char *s, double lo, double hi,
                     double *out);
int cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t lo, uint64_t hi,
                  uint64_t *out);
int cli_parse_int(const char *cmd, const char *opt, const char *s, int lo, int hi, int *out);

/* "a:b:step" (inclusive of b within step/1000) or a comma list "a,b,c" → values (allocated with
 * malloc; caller frees). All values must lie in [lo, hi]; at most max_n values. */
int cli_parse_range(const char *cmd, const char *opt, const char *s, double lo, double hi,
                    size_t max_n, double **values, size_t *n);

/* Progress bar on stderr. On a terminal: one redrawn line with bar, rate, ETA and a caller
 * message; otherwise a plain line about every 10 % or 30 s, so logs stay readable. */
typedef struct cli_progress {
  const char *label;
  uint64_t total;
  double t_start;
  double t_last;
  uint64_t last_done;
  int tty;
  int enabled;
  int last_decile;
} cli_progress;

void cli_progress_start(cli_progress *p, const char *label, uint64_t total, int enabled);
/* unit: what `done` counts ("img", "batch"); msg: extra text (may be NULL). */
void cli_progress_update(cli_progress *p, uint64_t done, const char *unit, const char *msg);
void cli_progress_finish(cli_progress *p, const char *unit, const char *msg);

/* Output files: bnn/durable.h (bnn_atomic_open/commit/abort, bnn_write_file_atomic, bnn_mkdirs). */

/* JSON output goes through jansson. `s` as a JSON string; a string that is not valid UTF-8 has each
 * byte >= 0x80 replaced by '?' first (NULL reads as ""). NULL when out of memory. */
json_t *cli_json_string(const char *s);
/* A JSON integer; above INT64_MAX (what jansson holds) the decimal digits as a string, exact. */
json_t *cli_json_u64(uint64_t v);
/* A JSON number: x rounded to `digits` decimals (significant = 0, printf's %.Nf) or significant
 * digits (%.Ng; an integral value then is a JSON integer, as %g writes it), the value a table
 * shows; written with JSON_REAL_PRECISION(15) it reads as the short decimal. nan and inf (no JSON
 * number) give null. */
json_t *cli_json_real(double x, int digits, int significant);
/* j as text (json_dumps flags), released (a NULL j gives NULL). malloc'd; NULL when out of memory.
 */
char *cli_json_text(json_t *j, size_t flags);
/* j as text and a newline on stdout, released; 0 when out of memory. */
int cli_json_print(json_t *j, size_t flags);
/* `s` as a JSON string literal, quotes included (cli_json_string, written compact). malloc'd;
 * NULL when out of memory. */
char *cli_json_quote(const char *s);

/* Monotonic wall-clock seconds. */
double cli_now(void);

/* The tool version string ("0.1.0+gabcdef"). */
const char *cli_version(void);

#ifdef __cplusplus
}

#include <string>

#include "bnn/durable.h"

/* cli_parse_options with a C++ callable (a lambda capturing the command's variables) as handler:
 * f(const char* opt, const char* val) -> cli_opt_result. */
template <class F>
int cli_parse_options_with(const char *cmd, int argc, char **argv, int first,
                           const cli_option *opts, F &f, void (*usage)(FILE *f), int *exit_code) {
  return cli_parse_options(
      cmd, argc, argv, first, opts,
      [](void *ud, const char *o, const char *v) { return (*static_cast<F *>(ud))(o, v); }, &f,
      usage, exit_code);
}
#endif
#endif /* RRAMSIM_CLI_H */
