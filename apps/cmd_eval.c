/* cmd_eval.c — `rramsim eval`: accuracy of a model on a data set, with Monte-Carlo bit errors. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bnn/bnn.h"
#include "bnn/data.h"
#include "bnn/mc.h"
#include "bnn/durable.h"
#include "output.h"
#include "cli.h"
#include "commands.h"
#include "model_data.h"

static const char *const CMD = "eval";

static void usage(FILE *f) {
  fprintf(
      f,
      "usage: rramsim eval --model FILE --data SET [options]\n\n"
      "Runs the model over a data set and reports accuracy (mean ± std over reps, min, max) and\n"
      "images/s. With bit error rates, every rep programs a fresh copy of the weights with\n"
      "persistent write errors and draws transient read errors on every weight read\n"
      "(reproducible from --seed and the rep number, independent of --threads).\n\n"
      "  --model FILE        model file (rramsim model info FILE shows it)\n"
      "  --data SET          fashion-mnist, mnist, cifar10 (under $RRAMSIM_DATA_DIR or\n"
      "                      /usr/share/datasets) or a directory with IDX / CIFAR-10 files\n"
      "  --split S           test (default) or train\n"
      "  --limit N           first N images only (default: all)\n"
      "  --ber-write P       write (programming) error rate, both 0->1 and 1->0, in [0, 0.5]\n"
      "  --ber-write01 P     write error rate 0->1 only (with --ber-write10; not with "
      "--ber-write)\n"
      "  --ber-write10 P     write error rate 1->0 only\n"
      "  --ber-read P        read error rate per weight read, both directions, in [0, 0.5]\n"
      "  --error-layers L    comma list of weight-layer indices (0 = first weight layer) held in\n"
      "                      error-prone memory (default: all; thresholds are always error-free)\n"
      "  --ber-sweep RANGE   a:b:step or comma list of write BERs (both directions, each in\n"
      "                      [0, 0.5]); mean, std, min, max accuracy over --reps per BER\n"
      "                      (not with --ber-write*/--ber-read)\n"
      "  --csv FILE          with --ber-sweep: also write ber,reps,seed,mean,std,min,max "
      "(atomically)\n"
      "  --reps R            Monte-Carlo repetitions, 1..100000 (default 1)\n"
      "  --seed S            error seed (default 1)\n"
      "  --threads T         worker threads, 1..256 (default: online CPUs, at most 8)\n"
      "  --weight-reuse B    images per weight read through the port (default: engine's choice)\n"
      "  --kernel K          auto (default), ref, avx2, avx512\n"
      "  --json              one JSON object on stdout instead of text\n"
      "  --quiet             no progress bar (--no-progress: deprecated spelling)\n");
}

/* s as a JSON string on f, escaped by jansson (cli_json_quote). */
static void json_str(FILE *f, const char *s) {
  char *q = cli_json_quote(s);
  fputs(q ? q : "null", f);
  free(q);
}

/* Progress of a BER sweep (bnn_mc_sweep's callback). */
typedef struct sweep_progress {
  cli_progress bar;
  const double *bers;
  uint64_t reps;
} sweep_progress;

static void on_sweep_progress(void *ud, size_t b, uint64_t rep, uint64_t done) {
  sweep_progress *sp = (sweep_progress *)ud;
  char msg[64];
  snprintf(msg, sizeof msg, "ber %g rep %" PRIu64 "/%" PRIu64, sp->bers[b], rep + 1, sp->reps);
  cli_progress_update(&sp->bar, done, "img", msg);
}

/* CSV of a BER sweep, written to FILE.tmp.<pid> and renamed: never half-written. */
static int write_sweep_csv(const char *path, const double *bers, size_t nb, const bnn_mc_stats *st,
                           uint64_t reps, uint64_t seed) {
  bnn_atomic_file af;
  FILE *f = bnn_atomic_open(&af, path) == BNN_OK ? af.f : NULL;
  if (!f) return 0; /* bnn_errmsg() says why */
  fprintf(f, "ber,reps,seed,mean,std,min,max\n");
  for (size_t b = 0; b < nb; ++b)
    fprintf(f, "%g,%" PRIu64 ",%" PRIu64 ",%.6f,%.6f,%.6f,%.6f\n", bers[b], reps, seed, st[b].mean,
            st[b].std, st[b].min, st[b].max);
  return bnn_atomic_commit(&af) == BNN_OK;
}

/* The options eval adds to the shared ones. */
typedef struct eval_opts {
  uint64_t reps, seed, reuse;
  double ber_w, ber_w01, ber_w10, ber_r; /* -1: not given (the write rates) */
  int threads;
  bnn_kernel kernel;
  uint64_t layer_mask;
  const char *layers_arg, *csv_path;
  double sweep[1000]; /* at most 1000 points (cli_parse_range's max_n) */
  size_t n_sweep;
} eval_opts;

static cli_opt_result eval_option(void *ud, const char *a, const char *v) {
  eval_opts *o = (eval_opts *)ud;
  int ok = 1;
  if (!strcmp(a, "--ber-write"))
    ok = cli_parse_double(CMD, a, v, 0, 0.5, &o->ber_w);
  else if (!strcmp(a, "--ber-write01"))
    ok = cli_parse_double(CMD, a, v, 0, 0.5, &o->ber_w01);
  else if (!strcmp(a, "--ber-write10"))
    ok = cli_parse_double(CMD, a, v, 0, 0.5, &o->ber_w10);
  else if (!strcmp(a, "--ber-read"))
    ok = cli_parse_double(CMD, a, v, 0, 0.5, &o->ber_r);
  else if (!strcmp(a, "--ber-sweep")) {
    double *vals = NULL;
    ok = cli_parse_range(CMD, a, v, 0, 0.5, 1000, &vals, &o->n_sweep);
    if (ok) memcpy(o->sweep, vals, o->n_sweep * sizeof *vals);
    free(vals);
    if (ok && o->n_sweep == 0)
      return cli_usage_error(CMD, "--ber-sweep: empty sweep '%s'", v), CLI_OPT_BAD;
  } else if (!strcmp(a, "--csv"))
    o->csv_path = v;
  else if (!strcmp(a, "--reps"))
    ok = cli_parse_u64(CMD, a, v, 1, 100000, &o->reps);
  else if (!strcmp(a, "--seed"))
    ok = cli_parse_u64(CMD, a, v, 0, UINT64_MAX, &o->seed);
  else if (!strcmp(a, "--threads"))
    ok = cli_parse_int(CMD, a, v, 1, 256, &o->threads);
  else if (!strcmp(a, "--weight-reuse"))
    ok = cli_parse_u64(CMD, a, v, 1, 65536, &o->reuse);
  else if (!strcmp(a, "--error-layers")) {
    double *vals = NULL;
    size_t nv = 0;
    if (strchr(v, ':') || !cli_parse_range(CMD, a, v, 0, 63, 64, &vals, &nv)) {
      free(vals);
      if (strchr(v, ':'))
        cli_usage_error(CMD, "%s: expected a comma list of layer indices, got '%s'", a, v);
      return CLI_OPT_BAD;
    }
    o->layer_mask = 0;
    for (size_t k = 0; k < nv; ++k) {
      if (vals[k] != floor(vals[k])) {
        double bad = vals[k];
        free(vals);
        return cli_usage_error(CMD, "%s: layer index %g is not an integer", a, bad), CLI_OPT_BAD;
      }
      o->layer_mask |= 1ull << (int)vals[k];
    }
    free(vals);
    o->layers_arg = v;
  } else if (!strcmp(a, "--kernel")) {
    int found = 0;
    for (int k = 0; k < BNN_KERNEL_COUNT; ++k)
      if (!strcmp(v, bnn_kernel_str((bnn_kernel)k))) o->kernel = (bnn_kernel)k, found = 1;
    if (!found)
      return cli_usage_error(CMD, "--kernel: expected auto, ref, avx2 or avx512, got '%s'", v),
             CLI_OPT_BAD;
  } else
    return CLI_OPT_UNKNOWN;
  return ok ? CLI_OPT_TAKEN : CLI_OPT_BAD;
}

int cli_cmd_eval(int argc, char **argv) {
  static eval_opts o; /* the sweep's 8 kB: not on the stack */
  memset(&o, 0, sizeof o);
  o.reps = 1, o.seed = 1;
  o.ber_w = o.ber_w01 = o.ber_w10 = -1;
  o.threads = cli_default_threads();
  o.kernel = BNN_KERNEL_AUTO;
  o.layer_mask = ~0ull;
  int json = 0, quiet = 0, rc = CLI_EXIT_OK;
  const cli_option opts[] = {{"ber-write", 1, NULL, NULL},
                             {"ber-write01", 1, NULL, NULL},
                             {"ber-write10", 1, NULL, NULL},
                             {"ber-read", 1, NULL, NULL},
                             {"ber-sweep", 1, NULL, NULL},
                             {"csv", 1, NULL, NULL},
                             {"reps", 1, NULL, NULL},
                             {"seed", 1, NULL, NULL},
                             {"threads", 1, NULL, NULL},
                             {"weight-reuse", 1, NULL, NULL},
                             {"error-layers", 1, NULL, NULL},
                             {"kernel", 1, NULL, NULL},
                             {"json", 0, &json, NULL},
                             {"quiet", 0, &quiet, NULL},
                             {"no-progress", 0, &quiet, "quiet"},
                             {NULL, 0, NULL, NULL}};
  const cli_model_data_cli cli = {CMD, usage, opts, eval_option, &o};
  cli_model_data md;
  if (!cli_model_data_parse(&cli, argc, argv, &md, &rc)) return rc;
  const char *model_path = md.model;
  const uint64_t reps = o.reps, seed = o.seed, reuse = o.reuse, layer_mask = o.layer_mask;
  const double ber_w = o.ber_w, ber_w01 = o.ber_w01, ber_w10 = o.ber_w10, ber_r = o.ber_r;
  const int threads = o.threads;
  const bnn_kernel kernel = o.kernel;
  const char *layers_arg = o.layers_arg, *csv_path = o.csv_path;
  const double *sweep = o.sweep;
  const size_t n_sweep = o.n_sweep;
  if (ber_w >= 0 && (ber_w01 >= 0 || ber_w10 >= 0))
    return cli_usage_error(CMD, "--ber-write cannot be combined with --ber-write01/--ber-write10");
  if ((ber_w01 >= 0) != (ber_w10 >= 0))
    return cli_usage_error(CMD, "--ber-write01 and --ber-write10 go together");
  if (n_sweep && (ber_w >= 0 || ber_w01 >= 0 || ber_r > 0))
    return cli_usage_error(CMD, "--ber-sweep cannot be combined with --ber-write*/--ber-read");
  if (csv_path && !n_sweep) return cli_usage_error(CMD, "--csv needs --ber-sweep");
  /* Before the sweep, not after it: the CSV's directory must take a new file. */
  if (csv_path &&
      (!cli_output_claim(CMD, "--csv", csv_path) || !cli_output_probe(CMD, "--csv", csv_path)))
    return CLI_EXIT_FAIL;
  if (!bnn_kernel_available(kernel))
    return cli_error(CMD, "--kernel %s: not supported by this CPU", bnn_kernel_str(kernel));
  bnn_error_params ep = bnn_error_default_params();
  ep.write_p01 = ber_w >= 0 ? ber_w : ber_w01 >= 0 ? ber_w01 : 0;
  ep.write_p10 = ber_w >= 0 ? ber_w : ber_w10 >= 0 ? ber_w10 : 0;
  ep.read_p01 = ep.read_p10 = ber_r;
  ep.seed = seed;
  ep.layer_mask = layer_mask;
  int errors = ep.write_p01 > 0 || ep.write_p10 > 0 || ber_r > 0;

  bnn_model *m = NULL;
  bnn_dataset ds;
  if (!cli_model_data_open(CMD, &md, &m, &ds)) return CLI_EXIT_FAIL;
  uint32_t c, h, w;
  bnn_model_input_shape(m, &c, &h, &w);
  bnn_layer_info first;
  bnn_model_layer(m, 0, &first);
  uint32_t ncls = bnn_model_n_classes(m);
  uint32_t n_weight_layers = 0;
  for (uint32_t i = 0; i < bnn_model_n_layers(m); ++i) {
    bnn_layer_info I;
    bnn_model_layer(m, i, &I);
    n_weight_layers += I.weight_layer_index >= 0;
  }
  double *acc = NULL;
  int32_t *scores = NULL;
  uint8_t *pred = NULL;
  if ((uint64_t)c * h * w != (uint64_t)ds.c * ds.h * ds.w ||
      (first.kind != BNN_LAYER_DENSE && (c != ds.c || h != ds.h || w != ds.w))) {
    rc = cli_error(CMD, "%s: model expects %ux%ux%u images, data set %s has %ux%ux%u", model_path,
                   h, w, c, ds.name, ds.h, ds.w, ds.c);
    goto done;
  }
  if (layers_arg && (layer_mask >> n_weight_layers) != 0) {
    rc = cli_usage_error(CMD, "--error-layers %s: %s has weight layers 0..%u", layers_arg,
                         model_path, n_weight_layers - 1);
    goto done;
  }
  for (uint32_t i = 0; i < ds.n; ++i)
    if (ds.labels[i] >= ncls) {
      /* The data set is what is wrong (a label the model cannot predict): name it first. */
      rc = cli_error(CMD, "--data %s: label %u at image %u is not one of the %u classes of %s",
                     md.data, ds.labels[i], i, ncls, model_path);
      goto done;
    }
  if (n_sweep) {
    /* BER sweep (bnn_mc_sweep): per BER, `reps` reps of persistent write errors at rate p both
     * ways; rep r uses stream r at every BER (common random numbers). */
    bnn_mc_stats *sw = (bnn_mc_stats *)calloc(n_sweep, sizeof *sw);
    if (!sw) {
      rc = cli_error(CMD, "out of memory");
      goto done;
    }
    bnn_mc_params mp = bnn_mc_default_params();
    mp.reps = reps, mp.seed = seed, mp.layer_mask = layer_mask;
    mp.infer.threads = threads, mp.infer.kernel = kernel, mp.infer.weight_reuse = (uint32_t)reuse;
    sweep_progress sp;
    sp.bers = sweep, sp.reps = reps;
    cli_progress_start(&sp.bar, "eval", n_sweep * reps * ds.n,
                       !quiet && n_sweep * reps * ds.n >= 20000);
    double t0 = cli_now();
    if (bnn_mc_sweep(m, &ds, sweep, n_sweep, &mp, on_sweep_progress, &sp, sw, NULL, NULL) != BNN_OK)
      rc = cli_error(CMD, "%s: %s", model_path, bnn_errmsg());
    double secs = cli_now() - t0;
    if (rc == CLI_EXIT_OK) {
      cli_progress_finish(&sp.bar, "img", NULL);
      if (csv_path && !write_sweep_csv(csv_path, sweep, n_sweep, sw, reps, seed))
        rc = cli_error(CMD, "--csv %s", bnn_errmsg());
    }
    if (rc == CLI_EXIT_OK && json) {
      printf("{\"tool\": \"rramsim eval\", \"version\": ");
      json_str(stdout, cli_version());
      printf(", \"model\": ");
      json_str(stdout, model_path);
      printf(", \"data\": ");
      json_str(stdout, ds.name);
      printf(", \"images\": %u, \"reps\": %" PRIu64 ", \"seed\": %" PRIu64
             ", \"threads\": %d, \"seconds\": %.3f,\n \"sweep\": [",
             ds.n, reps, seed, threads, secs);
      for (size_t b = 0; b < n_sweep; ++b)
        printf("%s\n  {\"ber\": %g, \"mean\": %.6f, \"std\": %.6f, \"min\": %.6f, \"max\": %.6f}",
               b ? "," : "", sweep[b], sw[b].mean, sw[b].std, sw[b].min, sw[b].max);
      printf("]}\n");
    } else if (rc == CLI_EXIT_OK) {
      printf("model: %s\ndata:  %s, %u images; %" PRIu64
             " reps per BER (write errors both ways), seed %" PRIu64 "\n\n",
             model_path, ds.name, ds.n, reps, seed);
      printf("     BER    mean %%   std %%    min %%    max %%\n");
      for (size_t b = 0; b < n_sweep; ++b)
        printf("%8.4f  %7.2f  %6.2f  %7.2f  %7.2f\n", sweep[b], 100 * sw[b].mean, 100 * sw[b].std,
               100 * sw[b].min, 100 * sw[b].max);
      printf("\n%.2f s, %.0f images/s (%d thread%s)\n", secs,
             secs > 0 ? (double)(n_sweep * reps * ds.n) / secs : 0, threads,
             threads > 1 ? "s" : "");
    }
    free(sw);
    goto done;
  }
  acc = (double *)calloc(reps, sizeof *acc);
  pred = (uint8_t *)malloc(ds.n);
  if (!acc || !pred) {
    rc = cli_error(CMD, "out of memory");
    goto done;
  }
  const size_t chunk = 2048, img_bytes = (size_t)c * h * w;
  cli_progress prog;
  cli_progress_start(&prog, "eval", reps * ds.n, !quiet && reps * ds.n >= 20000);
  uint64_t wflips = 0, rflips = 0;
  double t0 = cli_now();
  for (uint64_t r = 0; r < reps && rc == CLI_EXIT_OK; ++r) {
    bnn_port *port = NULL;
    bnn_status st =
        errors ? bnn_error_port_create(&port, m, &ep, r) : bnn_host_port_create(&port, m);
    bnn_engine *e = NULL;
    bnn_infer_params ip = bnn_infer_default_params();
    ip.threads = threads;
    ip.kernel = kernel;
    ip.weight_reuse = (uint32_t)reuse;
    if (!st) st = bnn_engine_create(&e, m, port, &ip);
    uint64_t correct = 0;
    for (size_t i0 = 0; !st && i0 < ds.n; i0 += chunk) {
      size_t nb = ds.n - i0 < chunk ? ds.n - i0 : chunk;
      st = bnn_engine_run(e, ds.images + i0 * img_bytes, nb, NULL, pred + i0);
      for (size_t i = 0; !st && i < nb; ++i) correct += pred[i0 + i] == ds.labels[i0 + i];
      char msg[64];
      snprintf(msg, sizeof msg, "rep %" PRIu64 "/%" PRIu64, r + 1, reps);
      cli_progress_update(&prog, r * ds.n + i0 + nb, "img", msg);
    }
    if (!st && errors) {
      bnn_error_counts ec;
      bnn_error_port_counts(port, &ec);
      wflips += ec.write_flips, rflips += ec.read_flips;
    }
    if (st) rc = cli_error(CMD, "%s: %s", model_path, bnn_errmsg());
    acc[r] = (double)correct / ds.n;
    bnn_engine_destroy(e);
    bnn_port_destroy(port);
  }
  double secs = cli_now() - t0;
  if (rc != CLI_EXIT_OK) goto done;
  cli_progress_finish(&prog, "img", NULL);
  const bnn_mc_stats as = bnn_mc_stats_of(acc, (size_t)reps);
  const double mean = as.mean, sd = as.std, mn = as.min, mx = as.max;
  double ips = secs > 0 ? (double)(reps * ds.n) / secs : 0;
  const char *kname = bnn_kernel_str(bnn_kernel_resolve(kernel));
  if (json) {
    printf("{\"tool\": ");
    json_str(stdout, "rramsim eval");
    printf(", \"version\": ");
    json_str(stdout, cli_version());
    printf(", \"model\": ");
    json_str(stdout, model_path);
    printf(", \"data\": ");
    json_str(stdout, ds.name);
    printf(", \"images\": %u, \"reps\": %" PRIu64 ", \"seed\": %" PRIu64 ",\n", ds.n, reps, seed);
    printf(" \"ber\": {\"write01\": %g, \"write10\": %g, \"read\": %g, \"layer_mask\": %" PRIu64
           "},\n",
           ep.write_p01, ep.write_p10, ber_r, layer_mask);
    printf(
        " \"accuracy\": {\"mean\": %.6f, \"std\": %.6f, \"min\": %.6f, \"max\": %.6f, \"per_rep\": "
        "[",
        mean, sd, mn, mx);
    for (uint64_t r = 0; r < reps; ++r) printf("%s%.6f", r ? ", " : "", acc[r]);
    printf("]},\n \"flips\": {\"write\": %" PRIu64 ", \"read\": %" PRIu64 "},\n", wflips, rflips);
    printf(" \"images_per_s\": %.1f, \"threads\": %d, \"kernel\": ", ips, threads);
    json_str(stdout, kname);
    printf(", \"model_provenance\": ");
    json_str(stdout, bnn_model_provenance(m));
    printf("}\n");
  } else {
    printf("model:      %s\n", model_path);
    printf("data:       %s, %u images\n", ds.name, ds.n);
    if (errors)
      printf("bit errors: write 0->1 %g, 1->0 %g; read %g; seed %" PRIu64 "; layers %s; %" PRIu64
             " write + %" PRIu64 " read flips in total\n",
             ep.write_p01, ep.write_p10, ber_r, seed, layers_arg ? layers_arg : "all", wflips,
             rflips);
    else
      printf("bit errors: none\n");
    printf("accuracy:   %.2f %% ± %.2f (std over %" PRIu64 " rep%s), min %.2f %%, max %.2f %%\n",
           100 * mean, 100 * sd, reps, reps > 1 ? "s" : "", 100 * mn, 100 * mx);
    printf("throughput: %.0f images/s (%d thread%s, kernel %s)\n", ips, threads,
           threads > 1 ? "s" : "", kname);
  }
done:
  free(acc), free(scores), free(pred);
  bnn_dataset_free(&ds);
  bnn_model_free(m);
  return rc;
}
