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
      "8-bit pixels, so one of its flips moves a by 2*x_i: its m counts steps of 2.\n"
      "The normalised margin compares every layer, the first included: hidden\n"
      "|a - tau| / (2*sqrt(sum x_i^2)) over the neuron's inputs x (n for +-1 inputs, the squared\n"
      "pixels for the first layer; sum (p_i - q_c)^2 for a model with an input offset q, e.g.\n"
      "[-1, 1] pixels: q = 127.5), output (s_top - s_second) / (2*sqrt(2*fan_in)); per layer its\n"
      "mean (norm.m; inputs all zero left out) and the output layer's median over images.\n\n"
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
    /* numbers rounded as the table prints them (%.6f: 6 decimals, %g: 6 significant digits) */
    json_t *layers = json_array();
    for (uint32_t l = 0; layers && l < r.n_layers; ++l) {
      const bet_metric_layer *L = &r.layers[l];
      json_t *le = json_object();
      for (int k = 0; le && k < BET_METRIC_NK; ++k) {
        char key[16];
        snprintf(key, sizeof key, "%d", bet_metric_k[k]);
        json_object_set_new(le, key, cli_json_real(L->frac_le[k], 6, 0));
      }
      json_t *lo = json_pack(
          "{s:I, s:s, s:b, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "layer",
          (json_int_t)L->layer, "kind", L->is_conv ? "conv3x3" : "dense", "output", L->is_output,
          "neurons", (json_int_t)L->neurons, "positions", (json_int_t)L->positions, "fan_in",
          (json_int_t)L->fan_in, "m_mean", cli_json_real(L->m_mean, 6, 0), "m_q10",
          cli_json_real(L->m_q10, 6, 1), "m_q50", cli_json_real(L->m_q50, 6, 1), "m_q90",
          cli_json_real(L->m_q90, 6, 1), "m_over_sqrt_n_mean", cli_json_real(L->mn_mean, 6, 0),
          "normalized_margin_mean", cli_json_real(L->nm_mean, 6, 0), "frac_m_le", le, "pflip_mean",
          cli_json_real(L->pflip_mean, 6, 1));
      /* the median over images exists for the output layer only */
      if (lo && L->is_output)
        json_object_set_new(lo, "normalized_margin_median", cli_json_real(L->nm_q50, 6, 0));
      json_array_append_new(layers, lo);
    }
    const bet_metric_layer *out = &r.layers[r.n_layers - 1];
    json_t *o = json_pack("{s:s, s:o, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "tool",
                          "rramsim metric", "version", cli_json_string(cli_version()), "images",
                          (json_int_t)r.n_images, "ber", cli_json_real(r.ber, 6, 1), "accuracy",
                          cli_json_real(r.accuracy, 6, 0), "hidden_m_over_sqrt_n_mean",
                          cli_json_real(r.hidden_mn_mean, 6, 0), "all_normalized_margin_mean",
                          cli_json_real(r.all_nm_mean, 6, 0), "output_normalized_margin_median",
                          cli_json_real(out->nm_q50, 6, 0), "hidden_pflip_mean",
                          cli_json_real(r.hidden_pflip_mean, 6, 1), "seconds",
                          cli_json_real(secs, 3, 0), "layers", layers);
    if (!cli_json_print(o, JSON_REAL_PRECISION(15))) rc = cli_error(CMD, "out of memory");
  } else {
    printf(
        "model: %s\ndata:  %s, %u images; clean accuracy %.2f %%; flip probabilities at BER %g\n\n",
        model_path, ds.name, r.n_images, 100 * r.accuracy, r.ber);
    printf(
        "layer  kind    neurons      pos  fan-in   m mean   q10   q50   q90  m/sqrt(n)   norm.m  "
        "m<=1    m<=2    m<=4    m<=8    P(flip)\n");
    for (uint32_t l = 0; l < r.n_layers; ++l) {
      const bet_metric_layer *L = &r.layers[l];
      printf("%5u  %-6s %8u %8u %7u %8.2f %5.0f %5.0f %5.0f %10.4f %8.4f", L->layer,
             L->is_output  ? "output"
             : L->is_conv  ? (L->input_u8 ? "conv8" : "conv")
             : L->input_u8 ? "u8in"
                           : "hidden",
             L->neurons, L->positions, L->fan_in, L->m_mean, L->m_q10, L->m_q50, L->m_q90,
             L->mn_mean, L->nm_mean);
      for (int k = 0; k < BET_METRIC_NK; ++k) printf("  %6.4f", L->frac_le[k]);
      printf("  %8.4g\n", L->pflip_mean);
    }
    printf(
        "\naggregate: binary-input hidden mean m/sqrt(n) %.4f; hidden mean P(flip) %.4g; output "
        "mean margin %.2f flips; "
        "P(prediction changes) %.4f  (%.2f s)\n",
        r.hidden_mn_mean, r.hidden_pflip_mean, r.layers[r.n_layers - 1].m_mean,
        r.layers[r.n_layers - 1].pflip_mean, secs);
    printf("normalised margin: every hidden layer mean %.4f; output median %.4f\n", r.all_nm_mean,
           r.layers[r.n_layers - 1].nm_q50);
  }
  bet_metric_result_free(&r);
done:
  bnn_dataset_free(&ds);
  bnn_model_free(m);
  return rc;
}
