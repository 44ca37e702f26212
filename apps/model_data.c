/* model_data.c — the option loop and loading shared by `eval`, `metric` and `predict`
 * (model_data.h). */
#include "model_data.h"

#include <string.h>

#include "cli.h"

/* One option with its value: ours, or the command's. Returns 1, or 0 after printing a usage error.
 */
static int take_option(const rr_model_data_cli *cli, rr_model_data *md, const char *a,
                       const char *v) {
  const char *cmd = cli->cmd;
  if (!strcmp(a, "--model"))
    md->model = v;
  else if (!strcmp(a, "--data"))
    md->data = v;
  else if (!strcmp(a, "--split")) {
    if (strcmp(v, "test") && strcmp(v, "train"))
      return rr_usage_error(cmd, "--split: expected test or train, got '%s'", v), 0;
    md->split = v;
  } else if (!strcmp(a, "--limit"))
    return rr_parse_u64(cmd, a, v, 1, UINT32_MAX, &md->limit);
  else {
    const rr_opt_result r = cli->option ? cli->option(cli->ud, a, v) : RR_OPT_UNKNOWN;
    if (r == RR_OPT_UNKNOWN) return rr_usage_error(cmd, "unknown option '%s'", a), 0;
    return r == RR_OPT_TAKEN;
  }
  return 1;
}

int rr_model_data_parse(const rr_model_data_cli *cli, int argc, char **argv, rr_model_data *md,
                        int *exit_code) {
  const char *cmd = cli->cmd;
  md->model = md->data = NULL;
  md->split = "test";
  md->limit = 0;
  *exit_code = RR_EXIT_USAGE;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      cli->usage(stdout);
      *exit_code = RR_EXIT_OK;
      return 0;
    }
    const rr_flag *fl = cli->flags;
    while (fl && fl->name && strcmp(fl->name, a) != 0) ++fl;
    if (fl && fl->name) {
      *fl->set = 1;
      continue;
    }
    if (strncmp(a, "--", 2) != 0) return rr_usage_error(cmd, "unexpected argument '%s'", a), 0;
    if (i + 1 >= argc) return rr_usage_error(cmd, "option '%s' needs a value or is unknown", a), 0;
    if (!take_option(cli, md, a, argv[++i])) return 0;
  }
  if (!md->model) return rr_usage_error(cmd, "--model FILE is required"), 0;
  if (!md->data) return rr_usage_error(cmd, "--data SET is required"), 0;
  *exit_code = RR_EXIT_OK;
  return 1;
}

int rr_model_data_open(const char *cmd, const rr_model_data *md, bnn_model **model,
                       bnn_dataset *ds) {
  *model = NULL;
  if (bnn_model_load(model, md->model) != BNN_OK) return rr_error(cmd, "%s", bnn_errmsg()), 0;
  if (bnn_dataset_open(ds, md->data, md->split, (uint32_t)md->limit) != BNN_OK) {
    rr_error(cmd, "--data %s: %s", md->data, bnn_errmsg());
    bnn_model_free(*model);
    *model = NULL;
    return 0;
  }
  return 1;
}
