/* cmd_predict.c — `rramsim predict`: analytic accuracy vs weight BER, without fault injection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bet/metric.h"
#include "bnn/bnn.h"
#include "bnn/data.h"
#include "cli.h"
#include "commands.h"

static const char *const CMD = "predict";

static void usage(FILE *f) {
  fprintf(f,
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
          "  --threads N    worker threads (default 1; the result does not depend on it)\n"
          "  --json         one JSON object on stdout\n");
}

int rr_cmd_predict(int argc, char **argv) {
  const char *model_path = NULL, *data = NULL, *split = "test";
  uint64_t limit = 0, threads = 1;
  double *bers = NULL;
  size_t nb = 0;
  int json = 0;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      free(bers);
      return RR_EXIT_OK;
    }
    if (!strcmp(a, "--json")) { json = 1; continue; }
    int ok = 1;
    if (strncmp(a, "--", 2) != 0) ok = rr_usage_error(CMD, "unexpected argument '%s'", a), ok = 0;
    else if (i + 1 >= argc) rr_usage_error(CMD, "option '%s' needs a value or is unknown", a), ok = 0;
    else {
      const char *v = argv[++i];
      if (!strcmp(a, "--model")) model_path = v;
      else if (!strcmp(a, "--data")) data = v;
      else if (!strcmp(a, "--split")) {
        if (strcmp(v, "test") && strcmp(v, "train")) rr_usage_error(CMD, "--split: expected test or train, got '%s'", v), ok = 0;
        split = v;
      } else if (!strcmp(a, "--limit")) ok = rr_parse_u64(CMD, a, v, 1, UINT32_MAX, &limit);
      else if (!strcmp(a, "--threads")) ok = rr_parse_u64(CMD, a, v, 1, 256, &threads);
      else if (!strcmp(a, "--ber")) {
        free(bers), bers = NULL;
        ok = rr_parse_range(CMD, a, v, 0, 0.5, 1000, &bers, &nb);
      } else rr_usage_error(CMD, "unknown option '%s'", a), ok = 0;
    }
    if (!ok) {
      free(bers);
      return RR_EXIT_USAGE;
    }
  }
  if (!model_path || !data || !bers || nb == 0) {
    free(bers);
    return rr_usage_error(CMD, !model_path ? "--model FILE is required"
                               : !data     ? "--data SET is required"
                                           : "--ber RANGE is required (at least one value)");
  }
  bnn_model *m = NULL;
  if (bnn_model_load(&m, model_path) != BNN_OK) {
    free(bers);
    return rr_error(CMD, "%s", bnn_errmsg());
  }
  bnn_dataset ds;
  if (bnn_dataset_open(&ds, data, split, (uint32_t)limit) != BNN_OK) {
    bnn_model_free(m);
    free(bers);
    return rr_error(CMD, "--data %s: %s", data, bnn_errmsg());
  }
  int rc = RR_EXIT_OK;
  double *acc = (double *)malloc(nb * sizeof *acc);
  double t0 = rr_now();
  bet_predict_params pp = bet_predict_default_params();
  pp.threads = (int)threads;
  if (!acc) rc = rr_error(CMD, "out of memory");
  else if (bet_predict_accuracy(m, &ds, bers, nb, &pp, acc) != BNN_OK)
    rc = rr_error(CMD, "%s with %s: %s", model_path, ds.name, bnn_errmsg());
  double secs = rr_now() - t0;
  if (rc == RR_EXIT_OK) {
    if (json) {
      printf("{\"tool\": \"rramsim predict\", \"version\": \"%s\", \"images\": %u, \"seconds\": %.3f, \"points\": [",
             rr_version(), ds.n, secs);
      for (size_t b = 0; b < nb; ++b)
        printf("%s{\"ber\": %g, \"accuracy\": %.6f}", b ? ", " : "", bers[b], acc[b]);
      printf("]}\n");
    } else {
      printf("model: %s\ndata:  %s, %u images (%.3f s)\n\n     BER  predicted accuracy\n", model_path, ds.name, ds.n,
             secs);
      for (size_t b = 0; b < nb; ++b) printf("%8.4f  %8.2f %%\n", bers[b], 100 * acc[b]);
    }
  }
  free(acc);
  free(bers);
  bnn_dataset_free(&ds);
  bnn_model_free(m);
  return rc;
}
