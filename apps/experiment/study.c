/* study.c — `rramsim experiment study`: the pre-registered seed study
 * (docs/results/study-design.md) as a set of independent (configuration, seed) jobs read from a
 * JSON design. Each job trains one net, evaluates it (Monte-Carlo over persistent fault maps at the
 * design's BERs, margin metrics, analytic prediction) and writes one small JSON result file;
 * --shard i/N runs jobs k with k mod N = i; a job whose result file exists is skipped (resume);
 * --report builds the markdown report from whatever result files exist (study_report.c). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "bet/bet.h"
#include "bet/metric.h"
#include "bnn/bnn.h"
#include "bnn/data.h"
#include "bnn/durable.h"
#include "bnn/mc.h"
#include "cli.h"
#include "study.h"

static const char *const CMD = "experiment";

static void usage(FILE *f) {
  fprintf(f,
          "usage: rramsim experiment study --design FILE.json [options]\n\n"
          "Runs the pre-registered seed study (docs/results/study-design.md) as independent\n"
          "(configuration, seed) jobs. Each job trains a net, evaluates it (Monte-Carlo accuracy\n"
          "over persistent fault maps at the design's BERs, margin metrics, analytic prediction)\n"
          "and writes one JSON file RESULTS/<config>/seed-<s>.json. A job whose file exists is\n"
          "skipped, so a killed run resumes and shards never redo each other's work.\n\n"
          "  --design FILE      the study design (configs/experiments/study.json)\n"
          "  --results DIR      result files (docs/results/data)\n"
          "  --shard i/N        run only jobs k with k mod N = i (0 <= i < N; jobs in design\n"
          "                     order: configurations, then seeds); i = the array task id\n"
          "  --report FILE      after the jobs (or alone with --report-only), write the\n"
          "                     markdown report from the result files present\n"
          "  --report-only      run no job\n"
          "  --list             print the jobs of this shard with their state and exit\n"
          "  --threads T        threads for training and evaluation (1)\n"
          "  --quiet            no progress lines\n"
          "  --help             this text\n");
}

/* ---- the design ------------------------------------------------------------------------------ */

static int get_num(const char *file, json_t *o, const char *key, double lo, double hi, double def,
                   double *out) {
  json_t *v = json_object_get(o, key);
  if (!v) {
    *out = def;
    return 1;
  }
  if (!json_is_number(v) || json_number_value(v) < lo || json_number_value(v) > hi) {
    cli_error(CMD, "--design %s: \"%s\": expected a number in [%g, %g]", file, key, lo, hi);
    return 0;
  }
  *out = json_number_value(v);
  return 1;
}

static int get_str(const char *file, json_t *o, const char *key, const char *def, char *out,
                   size_t n) {
  json_t *v = json_object_get(o, key);
  if (!v) {
    snprintf(out, n, "%s", def);
    return 1;
  }
  if (!json_is_string(v) || strlen(json_string_value(v)) == 0 ||
      strlen(json_string_value(v)) >= n) {
    cli_error(CMD, "--design %s: \"%s\": expected a non-empty string", file, key);
    return 0;
  }
  snprintf(out, n, "%s", json_string_value(v));
  return 1;
}

static int get_nums(const char *file, json_t *o, const char *key, double lo, double hi, double *out,
                    size_t max, size_t *n) {
  json_t *a = json_object_get(o, key);
  if (!a) return 1; /* keep the caller's default */
  if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > max) {
    cli_error(CMD, "--design %s: \"%s\": expected a list of 1 to %zu numbers", file, key, max);
    return 0;
  }
  for (size_t i = 0; i < json_array_size(a); ++i) {
    json_t *v = json_array_get(a, i);
    if (!json_is_number(v) || json_number_value(v) < lo || json_number_value(v) > hi) {
      cli_error(CMD, "--design %s: \"%s\"[%zu]: expected a number in [%g, %g]", file, key, i, lo,
                hi);
      return 0;
    }
    out[i] = json_number_value(v);
  }
  *n = json_array_size(a);
  return 1;
}

/* A safe file-name component: letters, digits, '-', '.', '_'. */
static int safe_id(const char *s) {
  if (!*s || s[0] == '.') return 0;
  for (; *s; ++s)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          *s == '-' || *s == '.' || *s == '_'))
      return 0;
  return 1;
}

int st_design_load(const char *file, st_design *d) {
  memset(d, 0, sizeof *d);
  json_error_t e;
  json_t *root = json_load_file(file, 0, &e);
  if (!root) return cli_error(CMD, "--design %s: line %d: %s", file, e.line, e.text), 0;
  int ok = json_is_object(root);
  if (!ok) cli_error(CMD, "--design %s: expected a JSON object", file);
  double v;
  ok = ok && get_str(file, root, "name", "study", d->name, sizeof d->name);
  ok = ok && get_str(file, root, "data", "fashion-mnist", d->data, sizeof d->data);
  ok = ok && get_num(file, root, "train_limit", 0, 1e9, 0, &v) &&
       ((d->train_limit = (uint32_t)v), 1);
  ok = ok && get_num(file, root, "test_limit", 0, 1e9, 0, &v) && ((d->test_limit = (uint32_t)v), 1);
  ok = ok && get_num(file, root, "metric_limit", 0, 1e9, 1000, &v) &&
       ((d->metric_limit = (uint32_t)v), 1);
  ok = ok && get_num(file, root, "metric_ber", 0, 0.5, 0.033, &d->metric_ber);
  ok = ok && get_num(file, root, "epochs", 1, 10000, 20, &v) && ((d->epochs = (uint32_t)v), 1);
  ok = ok && get_num(file, root, "batch", 1, 65536, 256, &v) && ((d->batch = (uint32_t)v), 1);
  ok = ok && get_num(file, root, "lr", 1e-9, 10, 1e-3, &d->lr);
  ok = ok && get_num(file, root, "step_size", 0, 10000, 5, &v) && ((d->step_size = (uint32_t)v), 1);
  ok = ok && get_num(file, root, "gamma", 1e-6, 1, 0.5, &d->gamma);
  ok = ok && get_num(file, root, "reps", 1, 1000, 20, &v) && ((d->reps = (uint32_t)v), 1);
  d->n_bers = 0;
  ok = ok && get_nums(file, root, "bers", 0, 0.5, d->bers, ST_MAX_BERS, &d->n_bers);
  if (ok && d->n_bers == 0) ok = 0, cli_error(CMD, "--design %s: \"bers\" is required", file);
  double seeds[ST_MAX_SEEDS];
  size_t ns = 0;
  ok = ok && get_nums(file, root, "seeds", 1, 1e15, seeds, ST_MAX_SEEDS, &ns);
  if (ok && ns == 0) ok = 0, cli_error(CMD, "--design %s: \"seeds\" is required", file);
  json_t *cs = json_object_get(root, "configs");
  if (ok &&
      (!json_is_array(cs) || json_array_size(cs) == 0 || json_array_size(cs) > ST_MAX_CONFIGS)) {
    ok = 0;
    cli_error(CMD, "--design %s: \"configs\": expected a list of 1 to %d objects", file,
              ST_MAX_CONFIGS);
  }
  for (size_t i = 0; ok && i < json_array_size(cs); ++i) {
    json_t *c = json_array_get(cs, i);
    st_config *C = &d->configs[d->n_configs++];
    char grad[16], loss[8], regl[8], enc[8];
    if (!json_is_object(c)) {
      cli_error(CMD, "--design %s: \"configs\"[%zu]: expected an object", file, i);
      ok = 0;
      break;
    }
    ok = get_str(file, c, "id", "", C->id, sizeof C->id) &&
         get_str(file, c, "arch", "fcnn", C->arch, sizeof C->arch) &&
         get_num(file, c, "flip_p", 0, 0.5, 0, &C->flip_p) &&
         get_str(file, c, "flip_grad", "sign", grad, sizeof grad) &&
         get_str(file, c, "loss", "ce", loss, sizeof loss) &&
         get_num(file, c, "reg_margin", 0, 1e6, 0, &C->reg_margin) &&
         get_num(file, c, "reg_b", 1e-6, 1e6, 1, &C->reg_b) &&
         get_str(file, c, "reg_layers", "hidden", regl, sizeof regl) &&
         get_str(file, c, "encoding", "01", enc, sizeof enc) &&
         get_num(file, c, "epochs", 0, 10000, 0, &v) && ((C->epochs = (uint32_t)v), 1) &&
         get_num(file, c, "step_size", 0, 10000, -0.0, &v) && ((C->step_size = (int)v), 1);
    if (!ok) break;
    if (!json_object_get(c, "step_size")) C->step_size = -1;
    if (!safe_id(C->id)) {
      cli_error(CMD, "--design %s: configs[%zu] \"id\": expected letters, digits, '-', '.', '_'",
                file, i);
      ok = 0;
      break;
    }
    for (size_t j = 0; j + 1 < d->n_configs; ++j)
      if (!strcmp(d->configs[j].id, C->id)) {
        cli_error(CMD, "--design %s: configs[%zu] \"id\": '%s' appears twice", file, i, C->id);
        ok = 0;
      }
    C->flip_grad = !strcmp(grad, "straight") ? BET_FLIP_GRAD_STRAIGHT : BET_FLIP_GRAD_SIGN;
    C->loss = !strcmp(loss, "mhl") ? BET_LOSS_MHL : BET_LOSS_CE;
    C->reg_layers = !strcmp(regl, "all") ? BET_REG_ALL : BET_REG_HIDDEN;
    C->encoding_pm1 = !strcmp(enc, "pm1");
    if (ok && ((strcmp(grad, "sign") && strcmp(grad, "straight")) ||
               (strcmp(loss, "ce") && strcmp(loss, "mhl")) ||
               (strcmp(regl, "hidden") && strcmp(regl, "all")) ||
               (strcmp(enc, "01") && strcmp(enc, "pm1")))) {
      cli_error(CMD,
                "--design %s: configs[%zu]: flip_grad sign|straight, loss ce|mhl, reg_layers "
                "hidden|all, encoding 01|pm1",
                file, i);
      ok = 0;
    }
    bet_arch arch;
    if (ok && C->encoding_pm1 &&
        (bet_arch_parse(C->arch, 10, &arch) != BNN_OK || arch.layers[0].kind != BET_DENSE ||
         (C->reg_margin > 0 && C->reg_layers == BET_REG_ALL))) {
      cli_error(CMD,
                "--design %s: configs[%zu]: encoding pm1 needs a dense first layer (arch '%s') "
                "and no reg_layers all",
                file, i, C->arch);
      ok = 0;
    }
    C->n_seeds = ns;
    for (size_t k = 0; k < ns; ++k) C->seeds[k] = (uint64_t)seeds[k];
    size_t cns = 0;
    double cseeds[ST_MAX_SEEDS];
    ok = ok && get_nums(file, c, "seeds", 1, 1e15, cseeds, ST_MAX_SEEDS, &cns);
    if (ok && cns) {
      C->n_seeds = cns;
      for (size_t k = 0; k < cns; ++k) C->seeds[k] = (uint64_t)cseeds[k];
    }
  }
  json_decref(root);
  return ok;
}

size_t st_n_jobs(const st_design *d) {
  size_t n = 0;
  for (size_t c = 0; c < d->n_configs; ++c) n += d->configs[c].n_seeds;
  return n;
}

int st_result_path(const char *dir, const st_config *C, uint64_t seed, char *out, size_t n) {
  return snprintf(out, n, "%s/%s/seed-%" PRIu64 ".json", dir, C->id, seed) < (int)n;
}

/* ---- one job --------------------------------------------------------------------------------- */

typedef struct st_data {
  bnn_dataset train, test, metric;
} st_data;

static int file_exists(const char *p) {
  struct stat sb;
  return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

static json_t *num_array(const double *v, size_t n) {
  json_t *a = json_array();
  for (size_t i = 0; i < n; ++i) json_array_append_new(a, json_real(v[i]));
  return a;
}

/* Trains, evaluates and writes one result file. Returns 1 on success. */
static int run_job(const st_design *d, const st_config *C, uint64_t seed, const st_data *D,
                   int threads, int quiet, const char *path) {
  const double t0 = cli_now();
  bet_arch arch;
  if (bet_arch_parse(C->arch, D->train.n_classes, &arch) != BNN_OK)
    return cli_error(CMD, "config %s: arch '%s': %s", C->id, C->arch, bnn_errmsg()), 0;
  bet_net *net = NULL;
  if (bet_net_create(&net, &arch, D->train.c, D->train.h, D->train.w, D->train.n_classes, seed) !=
      BNN_OK)
    return cli_error(CMD, "config %s: %s", C->id, bnn_errmsg()), 0;
  bet_train_params p = bet_train_default_params();
  p.epochs = C->epochs ? C->epochs : d->epochs;
  p.batch = d->batch;
  p.lr = d->lr;
  p.step_size = C->step_size >= 0 ? (uint32_t)C->step_size : d->step_size;
  p.gamma = d->gamma;
  p.loss = C->loss;
  p.flip_p = C->flip_p;
  p.flip_grad = C->flip_grad;
  p.reg_margin = C->reg_margin;
  p.reg_b = C->reg_b;
  p.reg_layers = C->reg_layers;
  p.input_range = C->encoding_pm1 ? BET_INPUT_PM1 : BET_INPUT_01;
  p.seed = seed;
  p.threads = threads;
  int ok = bet_train_params_check(&p) == BNN_OK;
  if (!ok) cli_error(CMD, "config %s: %s", C->id, bnn_errmsg());
  double curve[ST_MAX_EPOCHS];
  const uint32_t ne = p.epochs < ST_MAX_EPOCHS ? p.epochs : ST_MAX_EPOCHS;
  for (uint32_t e = 0; ok && e < p.epochs; ++e) {
    bet_epoch_stats es;
    double acc = 0;
    ok = bet_train_epoch(net, &D->train, &p, NULL, NULL, &es) == BNN_OK &&
         bet_evaluate(net, &D->test, threads, 0.0, 0, 0, NULL, NULL, &acc) == BNN_OK;
    if (!ok) {
      cli_error(CMD, "config %s seed %" PRIu64 ": %s", C->id, seed, bnn_errmsg());
      break;
    }
    if (e < ne) curve[e] = acc;
    if (!quiet)
      fprintf(stderr, "rramsim experiment study: %s seed %" PRIu64 " epoch %u/%u: test %.4f\n",
              C->id, seed, e + 1, p.epochs, acc);
  }
  const double train_s = cli_now() - t0;
  /* Monte-Carlo through the engine's error port (bnn_mc_sweep): reps persistent fault maps per
   * BER, both flip directions, map r from error stream r (the same streams for every net, so nets
   * are compared on the same draws). */
  double mean[ST_MAX_BERS], sd[ST_MAX_BERS], pred[ST_MAX_BERS];
  bnn_model *m = NULL;
  if (ok) ok = bet_export_model(net, NULL, &m) == BNN_OK;
  if (ok) {
    bnn_mc_params mp = bnn_mc_default_params();
    mp.reps = d->reps;
    mp.seed = 1;
    mp.infer.threads = threads;
    bnn_mc_stats mc[ST_MAX_BERS];
    ok = bnn_mc_sweep(m, &D->test, d->bers, d->n_bers, &mp, NULL, NULL, mc, NULL, NULL) == BNN_OK;
    for (size_t b = 0; ok && b < d->n_bers; ++b) mean[b] = mc[b].mean, sd[b] = mc[b].std;
  }
  bet_metric_result mr;
  memset(&mr, 0, sizeof mr);
  double out_nm_q50 = NAN, out_m_q50 = NAN;
  if (ok) ok = bet_metric_compute(m, &D->metric, d->metric_ber, &mr) == BNN_OK;
  if (ok)
    for (uint32_t l = 0; l < mr.n_layers; ++l)
      if (mr.layers[l].is_output) out_nm_q50 = mr.layers[l].nm_q50, out_m_q50 = mr.layers[l].m_q50;
  if (ok) {
    bet_predict_params pp = bet_predict_default_params();
    pp.threads = threads;
    ok = bet_predict_accuracy(m, &D->metric, d->bers, d->n_bers, &pp, pred) == BNN_OK;
  }
  if (!ok && bnn_errmsg()[0])
    cli_error(CMD, "config %s seed %" PRIu64 ": %s", C->id, seed, bnn_errmsg());
  if (ok) {
    json_t *o = json_object();
    json_object_set_new(o, "study", json_string(d->name));
    json_object_set_new(o, "config", json_string(C->id));
    json_object_set_new(o, "seed", json_integer((json_int_t)seed));
    json_object_set_new(o, "encoding", json_string(bet_input_range_str(p.input_range)));
    /* The build that trained and evaluated the net (amendment 10: training kernels changed
     * within float reassociation on 2026-12-06; files written before carry no version). */
    json_object_set_new(o, "rramsim_version", json_string(cli_version()));
    /* The fault model of the encoding's offset (amendment 9): taken from the stored, possibly
     * faulty, weights (model format 3). Written before, the offset sat folded in the thresholds;
     * such a [−1, 1] file has no key and never counts. */
    if (p.input_range == BET_INPUT_PM1)
      json_object_set_new(o, "input_offset", json_string("stored-weights"));
    json_object_set_new(o, "epochs", json_integer(p.epochs));
    json_object_set_new(o, "curve", num_array(curve, ne));
    json_object_set_new(o, "test_images", json_integer(D->test.n));
    json_object_set_new(o, "reps", json_integer(d->reps));
    json_object_set_new(o, "bers", num_array(d->bers, d->n_bers));
    json_object_set_new(o, "acc_mean", num_array(mean, d->n_bers));
    json_object_set_new(o, "acc_sd_maps", num_array(sd, d->n_bers));
    json_object_set_new(o, "pred", num_array(pred, d->n_bers));
    json_t *mt = json_object();
    json_object_set_new(mt, "ber", json_real(d->metric_ber));
    json_object_set_new(mt, "images", json_integer(D->metric.n));
    json_object_set_new(mt, "all_nm_mean", json_real(mr.all_nm_mean));
    json_object_set_new(mt, "hidden_mn_mean", json_real(mr.hidden_mn_mean));
    json_object_set_new(mt, "output_nm_median", json_real(out_nm_q50));
    json_object_set_new(mt, "output_m_median", json_real(out_m_q50));
    json_object_set_new(o, "metrics", mt);
    json_object_set_new(o, "seconds", json_real(floor((cli_now() - t0) * 10 + 0.5) / 10));
    json_object_set_new(o, "train_seconds", json_real(floor(train_s * 10 + 0.5) / 10));
    char *txt = json_dumps(o, JSON_INDENT(1) | JSON_REAL_PRECISION(10));
    json_decref(o);
    char dir[ST_PATH];
    snprintf(dir, sizeof dir, "%s", path);
    char *sl = strrchr(dir, '/');
    if (sl) *sl = 0;
    if (!txt || bnn_mkdirs(dir) != BNN_OK ||
        bnn_write_file_atomic(path, txt, strlen(txt)) != BNN_OK) {
      cli_error(CMD, "%s: cannot write: %s", path, bnn_errmsg());
      ok = 0;
    }
    free(txt);
  }
  bet_metric_result_free(&mr);
  bnn_model_free(m);
  bet_net_free(net);
  return ok;
}

/* ---- the command ----------------------------------------------------------------------------- */

typedef struct st_opts {
  const char *design, *results, *report;
  int report_only, list, quiet, threads;
  uint32_t shard_i, shard_n;
} st_opts;

static cli_opt_result study_option(void *ud, const char *a, const char *v) {
  st_opts *o = (st_opts *)ud;
  if (!a) return strcmp(v, "study") ? CLI_OPT_UNKNOWN : CLI_OPT_TAKEN;
  if (!strcmp(a, "--design")) {
    o->design = v;
  } else if (!strcmp(a, "--results")) {
    o->results = v;
  } else if (!strcmp(a, "--report")) {
    o->report = v;
  } else if (!strcmp(a, "--threads")) {
    if (!cli_parse_int(CMD, a, v, 1, 256, &o->threads)) return CLI_OPT_BAD;
  } else if (!strcmp(a, "--shard")) {
    unsigned i, n;
    char extra;
    if (sscanf(v, "%u/%u%c", &i, &n, &extra) != 2 || n == 0 || n > 100000 || i >= n)
      return cli_usage_error(CMD, "--shard: expected i/N with 0 <= i < N, got '%s'", v),
             CLI_OPT_BAD;
    o->shard_i = i, o->shard_n = n;
  } else {
    return CLI_OPT_UNKNOWN;
  }
  return CLI_OPT_TAKEN;
}

int xp_cmd_study(int argc, char **argv) {
  st_opts o;
  memset(&o, 0, sizeof o);
  o.results = "docs/results/data";
  o.threads = 1;
  o.shard_n = 1;
  static const cli_option opts[] = {
      {"design", 1, NULL, NULL},      {"results", 1, NULL, NULL}, {"report", 1, NULL, NULL},
      {"report-only", 0, NULL, NULL}, {"list", 0, NULL, NULL},    {"threads", 1, NULL, NULL},
      {"shard", 1, NULL, NULL},       {"quiet", 0, NULL, NULL},   {NULL, 0, NULL, NULL}};
  /* flags through their int slots */
  cli_option fopts[sizeof opts / sizeof *opts];
  memcpy(fopts, opts, sizeof opts);
  fopts[3].flag = &o.report_only, fopts[4].flag = &o.list, fopts[7].flag = &o.quiet;
  int prc = CLI_EXIT_OK;
  if (!cli_parse_options(CMD, argc, argv, 1, fopts, study_option, &o, usage, &prc)) return prc;
  if (!o.design) return cli_usage_error(CMD, "study: --design FILE is required");
  static st_design d; /* configurations × seeds: not on the stack */
  if (!st_design_load(o.design, &d)) return CLI_EXIT_FAIL;
  const size_t nj = st_n_jobs(&d);
  int rc = CLI_EXIT_OK;
  if (!o.report_only) {
    st_data D;
    memset(&D, 0, sizeof D);
    int loaded = 0;
    size_t k = 0, ran = 0, skipped = 0, failed = 0, other = 0;
    for (size_t c = 0; c < d.n_configs; ++c)
      for (size_t s = 0; s < d.configs[c].n_seeds; ++s, ++k) {
        const st_config *C = &d.configs[c];
        if (k % o.shard_n != o.shard_i) {
          ++other;
          continue;
        }
        char path[ST_PATH];
        if (!st_result_path(o.results, C, C->seeds[s], path, sizeof path))
          return cli_error(CMD, "--results %s: path too long", o.results);
        const int done = file_exists(path);
        if (o.list) {
          printf("%zu %s seed %" PRIu64 " %s\n", k, C->id, C->seeds[s], done ? "done" : "pending");
          continue;
        }
        if (done) {
          ++skipped;
          continue;
        }
        if (!loaded) {
          if (bnn_dataset_open(&D.train, d.data, "train", d.train_limit) != BNN_OK ||
              bnn_dataset_open(&D.test, d.data, "test", d.test_limit) != BNN_OK ||
              bnn_dataset_open(&D.metric, d.data, "test",
                               d.metric_limit && (!d.test_limit || d.metric_limit < d.test_limit)
                                   ? d.metric_limit
                                   : d.test_limit) != BNN_OK) {
            rc = cli_error(CMD, "--design %s: data '%s': %s", o.design, d.data, bnn_errmsg());
            bnn_dataset_free(&D.train), bnn_dataset_free(&D.test), bnn_dataset_free(&D.metric);
            return rc;
          }
          loaded = 1;
        }
        if (run_job(&d, C, C->seeds[s], &D, o.threads, o.quiet, path))
          ++ran;
        else
          ++failed, rc = CLI_EXIT_FAIL;
      }
    if (loaded) bnn_dataset_free(&D.train), bnn_dataset_free(&D.test), bnn_dataset_free(&D.metric);
    if (o.list) return CLI_EXIT_OK;
    if (!o.quiet)
      fprintf(stderr,
              "rramsim experiment study: shard %u/%u: %zu of %zu jobs ran, %zu already done, %zu "
              "failed, %zu in other shards\n",
              o.shard_i, o.shard_n, ran, nj, skipped, failed, other);
  }
  if (o.report && st_write_report(&d, o.design, o.results, o.report) != 0) rc = CLI_EXIT_FAIL;
  return rc;
}
