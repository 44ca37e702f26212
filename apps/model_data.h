/* model_data.h — what `eval`, `metric` and `predict` share: the loop over their options, with
 * --model/--data/--split/--limit handled here, and loading the model and the data set they name. */
#ifndef RRAMSIM_MODEL_DATA_H
#define RRAMSIM_MODEL_DATA_H

#include <stdint.h>
#include <stdio.h>

#include "bnn/bnn.h"
#include "bnn/data.h"
#include "cli.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The model and the data set a command runs on. */
typedef struct cli_model_data {
  const char *model; /* --model FILE (required) */
  const char *data;  /* --data SET (required) */
  const char *split; /* --split test|train (test) */
  uint64_t limit;    /* --limit N: the first N images only (0 = all) */
} cli_model_data;

typedef struct cli_model_data_cli {
  const char *cmd;        /* command name for messages ("eval") */
  void (*usage)(FILE *f); /* --help text */
  const cli_option *opts; /* the command's own options (cli.h), ended by a NULL name; may be NULL */
  cli_opt_handler option; /* their handler; may be NULL */
  void *ud;
} cli_model_data_cli;

/* Parses argv[1..argc) with cli_parse_options: --model, --data, --split, --limit here, the
 * command's table (cli->opts) to cli->option; positional arguments are refused. Afterwards --model
 * and --data must have been given. Returns 1 to go on
 * (*exit_code = CLI_EXIT_OK), or 0 with *exit_code set: CLI_EXIT_OK after --help, CLI_EXIT_USAGE
 * after a usage error (printed, one line). */
int cli_model_data_parse(const cli_model_data_cli *cli, int argc, char **argv, cli_model_data *md,
                         int *exit_code);

/* Loads md->model and opens md->data's split. Returns 1, or 0 with the error printed (the
 * loader's message; "--data SET: ..." for the data set) and nothing left to free. */
int cli_model_data_open(const char *cmd, const cli_model_data *md, bnn_model **model,
                        bnn_dataset *ds);

#ifdef __cplusplus
}
#endif
#endif /* RRAMSIM_MODEL_DATA_H */
