/* cmd_predict.c — `rramsim predict`: analytic accuracy vs weight BER, without fault injection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bet/metric.h"
#include "bnn/bnn.h"
#include "bnn/data.h"
#include "cli.h"
#include "commands.h"
#include "model_data.h"

static const char *const CMD = "predict";

static void usage(FILE *f) {
  fprintf(
      f,
      "usage: rramsim predict --model FILE --data SET --ber RANGE [options]\n\n"
      "Predicts accuracy at each weight bit error rate (both flip directions, every weight layer)\n"
      "from the clean integer pre-activations: flip probabilities propagate layer by layer to the\n"
      "output scores (derivation and assumptions: docs/metrics.md). Compare with\n"
      "rramsim eval --ber-sweep A:B:STEP --reps R. Dense, conv 3x3 and max-pool layers.\n\n"
      "  --model FILE   model file\n"
      "  --data SET     fashion-mnist, mnist, cifar10 or a directory (see rramsim eval --help)\n"
      "  --split S      test (default) or train\n"
      "  --limit N      first N images only (default: all)\n"
      "  --ber RANGE    a:b:step or a comma list, each in [0, 0.5], at most 1000 values\n"
      "  --threads N    worker threads, 1..256 (default: online CPUs, at most 8; the result does\n"
      "                 not depend on it)\n"
      "  --mean M       stratified (default): hidden/output means conditioned on which\n"
      "                 inputs flip (accurate at high BER, ~4x slower) | layer: one mean\n"
      "                 flip rate per layer (the faster, optimistic model)\n"
      "  --json         one JSON object on stdout\n");
}

/* The options predict adds to the shared ones. */
typedef struct predict_opts {
  uint64_t threads;
  int stratified;
  double *bers; /* --ber values (malloc'ed; a repeated --ber replaces them) */
  size_t nb;
} predict_opts;

static cli_opt_result predict_option(void *ud, const char *a, const char *v) {
  predict_opts *o = (predict_opts *)ud;
  int ok;
  if (!strcmp(a, "--threads"))
    ok = cli_parse_u64(CMD, a, v, 1, 256, &o->threads);
  else if (!strcmp(a, "--mean")) {
    if (!strcmp(v, "stratified"))
      o->stratified = 1;
    else if (!strcmp(v, "layer"))
      o->stratified = 0;
    else {
      cli_usage_error(CMD, "--mean: expected stratified or layer, got '%s'", v);
      return CLI_OPT_BAD;
    }
    ok = 1;
  } else if (!strcmp(a, "--ber")) {
    free(o->bers), o->bers = NULL;
    ok = cli_parse_range(CMD, a, v, 0, 0.5, 1000, &o->bers, &o->nb);
  } else
    return CLI_OPT_UNKNOWN;
  return ok ? CLI_OPT_TAKEN : CLI_OPT_BAD;
}

int cli_cmd_predict(int argc, char **argv) {
  predict_opts o = {(uint64_t)cli_default_threads(), 1, NULL, 0};
  int json = 0, rc = CLI_EXIT_OK;
  const cli_option opts[] = {{"ber", 1, NULL, NULL},
                             {"threads", 1, NULL, NULL},
                             {"mean", 1, NULL, NULL},
                             {"json", 0, &json, NULL},
                             {NULL, 0, NULL, NULL}};
  const cli_model_data_cli cli = {CMD, usage, opts, predict_option, &o};
  cli_model_data md;
  if (!cli_model_data_parse(&cli, argc, argv, &md, &rc)) {
    free(o.bers);
    return rc;
  }
  double *bers = o.bers;
  const size_t nb = o.nb;
  if (!bers || nb == 0) {
    free(bers);
    return cli_usage_error(CMD, "--ber RANGE is required (at least one value)");
  }
  const char *model_path = md.model;
  bnn_model *m = NULL;
  bnn_dataset ds;
  if (!cli_model_data_open(CMD, &md, &m, &ds)) {
    free(bers);
    return CLI_EXIT_FAIL;
  }
  double *acc = (double *)malloc(nb * sizeof *acc);
  double t0 = cli_now();
  bet_predict_params pp = bet_predict_default_params();
  pp.threads = (int)o.threads;
  pp.stratified_mean = o.stratified;
  if (!acc)
    rc = cli_error(CMD, "out of memory");
  else if (bet_predict_accuracy(m, &ds, bers, nb, &pp, acc) != BNN_OK)
    rc = cli_error(CMD, "%s with %s: %s", model_path, ds.name, bnn_errmsg());
  double secs = cli_now() - t0;
  if (rc == CLI_EXIT_OK) {
    if (json) {
      json_t *pts = json_array();
      for (size_t b = 0; pts && b < nb; ++b)
        json_array_append_new(pts, json_pack("{s:o, s:o}", "ber", cli_json_real(bers[b], 6, 1),
                                             "accuracy", cli_json_real(acc[b], 6, 0)));
      json_t *doc = json_pack("{s:s, s:o, s:I, s:o, s:o}", "tool", "rramsim predict", "version",
                              cli_json_string(cli_version()), "images", (json_int_t)ds.n, "seconds",
                              cli_json_real(secs, 3, 0), "points", pts);
      if (!cli_json_print(doc, JSON_REAL_PRECISION(15))) rc = cli_error(CMD, "out of memory");
    } else {
      printf("model: %s\ndata:  %s, %u images (%.3f s)\n\n     BER  predicted accuracy\n",
             model_path, ds.name, ds.n, secs);
      for (size_t b = 0; b < nb; ++b) printf("%8.4f  %8.2f %%\n", bers[b], 100 * acc[b]);
    }
  }
  free(acc);
  free(bers);
  bnn_dataset_free(&ds);
  bnn_model_free(m);
  return rc;
}
