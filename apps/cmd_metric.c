/* cmd_metric.c — `rramsim metric`: BET margin metrics of a model over a data set (no fault
 * injection). */
#include <stdio.h>
#include <string.h>

#include "bet/metric.h"
#include "bnn/bnn.h"
#include "bnn/data.h"
#include "cli.h"
#include "commands.h"
#include "model_data.h"

static const char *const CMD = "metric";

static void usage(FILE *f) {
  fprintf(
      f,
      "usage: rramsim metric --model FILE --data SET [options]\n\n"
      "Bit error tolerance without fault injection (docs/metrics.md). From the exact integer\n"
      "pre-activations over the data set: per weight layer, the margin m in weight flips\n"
      "(hidden: m = ceil(|a - tau|/2) flips change a neuron's output; output layer: the per-input\n"
      "margin ceil((s_top - s_second)/2)), its mean and 10/50/90 %% quantiles, mean m/sqrt(n), "
      "the\n"
      "fraction of neurons x images with m <= 1, 2, 4, 8, and the predicted flip probability at\n"
      "--ber (hidden: own weights flipped; output: P(prediction changes), all layers flipped).\n"
      "Dense, conv 3x3 and max-pool layers: a conv channel is a neuron at every output position\n"
      "(fan-in 9*C_in, fewer at the border); `positions` says how many. The first layer sees\n"
      "8-bit pixels, so one of its flips moves a by 2*x_i: its m counts steps of 2.\n\n"
      "  --model FILE   model file\n"
      "  --data SET     fashion-mnist, mnist, cifar10 or a directory (see rramsim eval --help)\n"
      "  --split S      test (default) or train\n"
      "  --limit N      first N images only (default: all)\n"
      "  --ber P        weight BER for the flip probabilities, in [0, 0.5] (default 0.01)\n"
      "  --json         one JSON object on stdout instead of the table\n");
}

/* The option metric adds to the shared ones: --ber (ud: the double it sets). */
static cli_opt_result metric_option(void *ud, const char *a, const char *v) {
  if (!strcmp(a, "--ber"))
    return cli_parse_double(CMD, a, v, 0, 0.5, (double *)ud) ? CLI_OPT_TAKEN : CLI_OPT_BAD;
  return CLI_OPT_UNKNOWN;
}

int cli_cmd_metric(int argc, char **argv) {
  double ber = 0.01;
  int json = 0, rc = CLI_EXIT_OK;
  const cli_option opts[] = {
      {"ber", 1, NULL, NULL}, {"json", 0, &json, NULL}, {NULL, 0, NULL, NULL}};
  const cli_model_data_cli cli = {CMD, usage, opts, metric_option, &ber};
  cli_model_data md;
  if (!cli_model_data_parse(&cli, argc, argv, &md, &rc)) return rc;
  const char *model_path = md.model;
  bnn_model *m = NULL;
  bnn_dataset ds;
  if (!cli_model_data_open(CMD, &md, &m, &ds)) return CLI_EXIT_FAIL;
  bet_metric_result r;
  double t0 = cli_now();
  if (bet_metric_compute(m, &ds, ber, &r) != BNN_OK) {
    rc = cli_error(CMD, "%s with %s: %s", model_path, ds.name, bnn_errmsg());
    goto done;
  }
  double secs = cli_now() - t0;
  if (json) {
    printf(
        "{\"tool\": \"rramsim metric\", \"version\": \"%s\", \"images\": %u, \"ber\": %g, "
        "\"accuracy\": %.6f,\n",
        cli_version(), r.n_images, r.ber, r.accuracy);
    printf(
        " \"hidden_m_over_sqrt_n_mean\": %.6f, \"hidden_pflip_mean\": %.6g, \"seconds\": %.3f,\n "
        "\"layers\": [",
        r.hidden_mn_mean, r.hidden_pflip_mean, secs);
    for (uint32_t l = 0; l < r.n_layers; ++l) {
      const bet_metric_layer *L = &r.layers[l];
      printf(
          "%s\n  {\"layer\": %u, \"kind\": \"%s\", \"output\": %s, \"neurons\": %u, \"positions\": "
          "%u, "
          "\"fan_in\": %u, \"m_mean\": %.6f, \"m_q10\": %g, "
          "\"m_q50\": %g, \"m_q90\": %g, \"m_over_sqrt_n_mean\": %.6f, \"frac_m_le\": {",
          l ? "," : "", L->layer, L->is_conv ? "conv3x3" : "dense", L->is_output ? "true" : "false",
          L->neurons, L->positions, L->fan_in, L->m_mean, L->m_q10, L->m_q50, L->m_q90, L->mn_mean);
      for (int k = 0; k < BET_METRIC_NK; ++k)
        printf("%s\"%d\": %.6f", k ? ", " : "", bet_metric_k[k], L->frac_le[k]);
      printf("}, \"pflip_mean\": %.6g}", L->pflip_mean);
    }
    printf("]}\n");
  } else {
    printf(
        "model: %s\ndata:  %s, %u images; clean accuracy %.2f %%; flip probabilities at BER %g\n\n",
        model_path, ds.name, r.n_images, 100 * r.accuracy, r.ber);
    printf(
        "layer  kind    neurons      pos  fan-in   m mean   q10   q50   q90  m/sqrt(n)  m<=1    "
        "m<=2    m<=4    m<=8    "
        "P(flip)\n");
    for (uint32_t l = 0; l < r.n_layers; ++l) {
      const bet_metric_layer *L = &r.layers[l];
      printf("%5u  %-6s %8u %8u %7u %8.2f %5.0f %5.0f %5.0f %10.4f", L->layer,
             L->is_output  ? "output"
             : L->is_conv  ? (L->input_u8 ? "conv8" : "conv")
             : L->input_u8 ? "u8in"
                           : "hidden",
             L->neurons, L->positions, L->fan_in, L->m_mean, L->m_q10, L->m_q50, L->m_q90,
             L->mn_mean);
      for (int k = 0; k < BET_METRIC_NK; ++k) printf("  %6.4f", L->frac_le[k]);
      printf("  %8.4g\n", L->pflip_mean);
    }
    printf(
        "\naggregate: binary-input hidden mean m/sqrt(n) %.4f; hidden mean P(flip) %.4g; output "
        "mean margin %.2f flips; "
        "P(prediction changes) %.4f  (%.2f s)\n",
        r.hidden_mn_mean, r.hidden_pflip_mean, r.layers[r.n_layers - 1].m_mean,
        r.layers[r.n_layers - 1].pflip_mean, secs);
  }
  bet_metric_result_free(&r);
done:
  bnn_dataset_free(&ds);
  bnn_model_free(m);
  return rc;
}
