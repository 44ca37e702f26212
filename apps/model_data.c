/* model_data.c — the option loop and loading shared by `eval`, `metric` and `predict`
 * (model_data.h). */
#include "model_data.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct parse_ctx {
  const cli_model_data_cli *cli;
  cli_model_data *md;
} parse_ctx;

/* One option with its value: ours, or the command's. */
static cli_opt_result take_option(void *ud, const char *a, const char *v) {
  const parse_ctx *pc = (const parse_ctx *)ud;
  const cli_model_data_cli *cli = pc->cli;
  cli_model_data *md = pc->md;
  const char *cmd = cli->cmd;
  if (!a) return CLI_OPT_UNKNOWN; /* no positional arguments */
  if (!strcmp(a, "--model"))
    md->model = v;
  else if (!strcmp(a, "--data"))
    md->data = v;
  else if (!strcmp(a, "--split")) {
    if (strcmp(v, "test") && strcmp(v, "train"))
      return cli_usage_error(cmd, "--split: expected test or train, got '%s'", v), CLI_OPT_BAD;
    md->split = v;
  } else if (!strcmp(a, "--limit"))
    return cli_parse_u64(cmd, a, v, 1, UINT32_MAX, &md->limit) ? CLI_OPT_TAKEN : CLI_OPT_BAD;
  else
    return cli->option ? cli->option(cli->ud, a, v) : CLI_OPT_UNKNOWN;
  return CLI_OPT_TAKEN;
}

int cli_model_data_parse(const cli_model_data_cli *cli, int argc, char **argv, cli_model_data *md,
                         int *exit_code) {
  const char *cmd = cli->cmd;
  md->model = md->data = NULL;
  md->split = "test";
  md->limit = 0;
  static const cli_option ours[] = {{"model", 1, NULL, NULL},
                                    {"data", 1, NULL, NULL},
                                    {"split", 1, NULL, NULL},
                                    {"limit", 1, NULL, NULL},
                                    {NULL, 0, NULL, NULL}};
  const size_t n_ours = sizeof ours / sizeof *ours - 1;
  size_t n_cmd = 0;
  while (cli->opts && cli->opts[n_cmd].name) ++n_cmd;
  cli_option *all = (cli_option *)calloc(n_ours + n_cmd + 1, sizeof *all);
  if (!all) return *exit_code = cli_error(cmd, "out of memory"), 0;
  memcpy(all, ours, n_ours * sizeof *all);
  if (n_cmd) memcpy(all + n_ours, cli->opts, n_cmd * sizeof *all);
  parse_ctx pc = {cli, md};
  const int ok =
      cli_parse_options(cmd, argc, argv, 1, all, take_option, &pc, cli->usage, exit_code);
  free(all);
  if (!ok) return 0;
  if (!md->model) return *exit_code = cli_usage_error(cmd, "--model FILE is required"), 0;
  if (!md->data) return *exit_code = cli_usage_error(cmd, "--data SET is required"), 0;
  return 1;
}

int cli_model_data_open(const char *cmd, const cli_model_data *md, bnn_model **model,
                        bnn_dataset *ds) {
  *model = NULL;
  if (bnn_model_load(model, md->model) != BNN_OK) return cli_error(cmd, "%s", bnn_errmsg()), 0;
  if (bnn_dataset_open(ds, md->data, md->split, (uint32_t)md->limit) != BNN_OK) {
    cli_error(cmd, "--data %s: %s", md->data, bnn_errmsg());
    bnn_model_free(*model);
    *model = NULL;
    return 0;
  }
  return 1;
}
