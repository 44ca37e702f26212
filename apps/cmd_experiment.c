/* cmd_experiment.c — `rramsim experiment paper`: trains the seed study's model set on
 * Fashion-MNIST, evaluates it (Monte-Carlo, margin metrics, analytic prediction), caches every
 * piece keyed by its parameters and writes a markdown report with plots (experiment_report.c). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bet/bet.h"
#include "bet/metric.h"
#include "bnn/bnn.h"
#include "bnn/data.h"
#include "bnn/mc.h"
#include "bnn/durable.h"
#include "cli.h"
#include "commands.h"
#include "experiment.h"
#include "train_run.h"

static const char *const CMD = "experiment";

/* The study's test BERs (issue 4) and the two of Hirtzlin et al.'s claim. */
static const double k_main_bers[] = {0, 0.005, 0.01, 0.02, 0.033, 0.05, 0.075, 0.1};
static const double k_hirtzlin_bers[] = {1e-4, 4e-2};
static const double k_flip_ps[] = {0.01, 0.033, 0.05, 0.1};
static const double k_default_lambdas[] = {0.03, 0.1, 0.3};

static void usage(FILE *f) {
  fprintf(
      f,
      "usage: rramsim experiment paper [--quick] [options]\n\n"
      "Reproduces the seed study's experiments on Fashion-MNIST in one command: trains\n"
      "  FCNN at p_train 0, 0.01, 0.033, 0.05, 0.1 x --flip-grad sign|straight (p = 0 once),\n"
      "  an MHL-trained FCNN, margin-regularised FCNNs at several lambda, VGG3 at p_train 0, "
      "0.033;\n"
      "then for every model: Monte-Carlo accuracy vs weight BER (engine error port, mean +- std "
      "over\n"
      "reps) at 0, 0.005, 0.01, 0.02, 0.033, 0.05, 0.075, 0.1 and Hirtzlin's 1e-4 and 4e-2, the "
      "BET\n"
      "margin metrics and the analytic prediction; and writes a markdown report (claims C1-C4,\n"
      "Spearman correlations, prediction error, plots via gnuplot).\n\n"
      "Every trained model and evaluation is cached in --out-dir under a hash of all its\n"
      "parameters (not the tool version: after changing the training or evaluation code, use\n"
      "--force): a re-run (or a run after a crash) reuses finished work.\n\n"
      "  --quick            smoke test: a small FCNN (784-128-128-10), 4000 training and 500\n"
      "                     test images (VGG3: 1000 training images), 2 epochs (VGG3 1), 2 reps;\n"
      "                     about a minute\n"
      "  --out-dir DIR      cache and data files (build/paper, --quick: build/paper-quick)\n"
      "  --report FILE      markdown report; plots go to FILE's directory/<FILE stem>/\n"
      "                     (docs/results/paper.md; --quick: OUT-DIR/paper.md)\n"
      "  --data D           data set (fashion-mnist)\n"
      "  --epochs E         FCNN epochs (4; --quick 2)\n"
      "  --vgg-epochs E     VGG3 epochs (1)\n"
      "  --reps R           Monte-Carlo reps per BER (4; --quick 2)\n"
      "  --lambdas LIST     margin-regularizer weights, comma list (0.03,0.1,0.3)\n"
      "  --reg-b B          margin-regularizer hinge b (1)\n"
      "  --vgg-flip-grad M  flip gradient of the flip-trained VGG3: sign | straight (sign)\n"
      "  --bn-stats S       batch-norm statistics of every model: running (default) |\n"
      "                     train-set (re-estimated after each epoch: less training noise;\n"
      "                     see rramsim train --help)\n"
      "  --train-limit N    first N training images (0 = all; --quick 4000)\n"
      "  --vgg-train-limit N  first N training images for VGG3 (0 = as --train-limit;\n"
      "                     --quick 1000)\n"
      "  --test-limit N     first N test images (0 = all; --quick 500)\n"
      "  --metric-limit N   test images for the FCNNs' margin metrics (1000; --quick 500)\n"
      "  --seed S           training seed (1); Monte-Carlo error seed is S too\n"
      "  --threads T        threads for training and evaluation (online CPUs, at most 8)\n"
      "  --notes FILE       markdown included verbatim in the report (why these settings)\n"
      "  --force            retrain and re-evaluate everything (ignore the cache)\n"
      "  --report-only      train and evaluate nothing: write the report from what the cache\n"
      "                     holds and list what is missing\n"
      "  --quiet            no progress bars\n"
      "  --no-progress      deprecated spelling of --quiet (one release, with a warning)\n"
      "  --help             this text\n");
}

/* ---- small helpers ----------------------------------------------------------------------------
 */

static uint64_t fnv1a(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; ++s) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static int file_exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0;
}

/* Reads the first line of a cache file and checks it is "# key <key>". */
static FILE *cache_open(const char *path, const char *key) {
  FILE *f = fopen(path, "r");
  if (!f) return NULL;
  char line[1024];
  if (!fgets(line, sizeof line, f) || strncmp(line, "# key ", 6) != 0) {
    fclose(f);
    return NULL;
  }
  line[strcspn(line, "\n")] = 0;
  if (strcmp(line + 6, key) != 0) {
    fclose(f);
    return NULL;
  }
  return f;
}

static void fmt_p(char *buf, size_t n, double p) {
  snprintf(buf, n, "%g", p);
}

/* ---- the plan ----------------------------------------------------------------------------------
 */

static xp_model *add_model(xp_run *run, const char *id, const char *arch, xp_role role,
                           double flip_p, bet_flip_grad grad, bet_loss loss, double lambda,
                           uint32_t epochs) {
  if (run->n_models >= XP_MAX_MODELS) return NULL;
  xp_model *m = &run->models[run->n_models++];
  memset(m, 0, sizeof *m);
  snprintf(m->id, sizeof m->id, "%s", id);
  snprintf(m->arch, sizeof m->arch, "%s", arch);
  m->role = role;
  m->is_fcnn = role != XP_ROLE_VGG;
  m->tp = bet_train_default_params();
  m->tp.epochs = epochs;
  m->tp.flip_p = flip_p;
  m->tp.flip_grad = grad;
  m->tp.loss = loss;
  m->tp.seed = run->seed;
  m->tp.threads = run->threads;
  m->lambda = lambda;
  m->reg_b = lambda > 0 ? run->reg_b : m->tp.reg_b;
  m->tp.reg_margin = lambda;
  m->tp.reg_b = m->reg_b;
  m->tp.bn_stats = run->bn_stats;
  m->train_limit = run->train_limit;
  if (role == XP_ROLE_VGG && run->vgg_train_limit &&
      (!run->train_limit || run->vgg_train_limit < run->train_limit))
    m->train_limit = run->vgg_train_limit;
  const bet_train_params *p = &m->tp;
  /* Everything that changes the trained weights; flip_grad only matters when there are flips. */
  snprintf(
      m->key, sizeof m->key,
      "model v1 arch=%s data=%s train_limit=%u epochs=%u batch=%u lr=%.17g step_size=%u "
      "gamma=%.17g "
      "loss=%s mhl_b=%.17g flip_p=%.17g flip_grad=%s flip_layers=all reg_margin=%.17g reg_b=%.17g "
      "bn_momentum=%.17g bn_eps=%.17g clip_all=%d seed=%" PRIu64,
      arch, run->data, m->train_limit, p->epochs, p->batch, p->lr, p->step_size, p->gamma,
      bet_loss_str(p->loss), p->mhl_b, p->flip_p,
      p->flip_p > 0 ? bet_flip_grad_str(p->flip_grad) : "n/a", p->reg_margin,
      p->reg_margin > 0 ? p->reg_b : 0.0, p->bn_momentum, p->bn_eps, p->clip_all, p->seed);
  /* Appended only when not the default, so caches made before the option existed stay valid. */
  if (p->bn_stats != BET_BN_RUNNING) {
    const size_t kl = strlen(m->key);
    snprintf(m->key + kl, sizeof m->key - kl, " bn_stats=%s", bet_bn_stats_str(p->bn_stats));
  }
  if (snprintf(m->stem, sizeof m->stem, "%s/models/%s-%016" PRIx64, run->out_dir, id,
               fnv1a(m->key)) >= (int)sizeof m->stem)
    return NULL;
  for (size_t b = 0; b < XP_MAX_BERS; ++b)
    for (size_t k = 0; k < XP_MAX_METRICS; ++k) m->metric[b][k] = NAN;
  return m;
}

static int build_plan(xp_run *run) {
  char id[64], ps[32];
  const char *fa = run->fcnn_arch;
  if (!add_model(run, "fcnn-p0", fa, XP_ROLE_BASE, 0.0, BET_FLIP_GRAD_SIGN, BET_LOSS_CE, 0.0,
                 run->epochs))
    return 0;
  for (int g = 0; g < 2; ++g)
    for (size_t i = 0; i < sizeof k_flip_ps / sizeof *k_flip_ps; ++i) {
      const bet_flip_grad grad = g ? BET_FLIP_GRAD_STRAIGHT : BET_FLIP_GRAD_SIGN;
      fmt_p(ps, sizeof ps, k_flip_ps[i]);
      snprintf(id, sizeof id, "fcnn-p%s-%s", ps, bet_flip_grad_str(grad));
      if (!add_model(run, id, fa, XP_ROLE_FLIP, k_flip_ps[i], grad, BET_LOSS_CE, 0.0, run->epochs))
        return 0;
    }
  if (!add_model(run, "fcnn-mhl", fa, XP_ROLE_MHL, 0.0, BET_FLIP_GRAD_SIGN, BET_LOSS_MHL, 0.0,
                 run->epochs))
    return 0;
  for (size_t i = 0; i < run->n_lambdas; ++i) {
    fmt_p(ps, sizeof ps, run->lambdas[i]);
    snprintf(id, sizeof id, "fcnn-reg%s", ps);
    if (!add_model(run, id, fa, XP_ROLE_REG, 0.0, BET_FLIP_GRAD_SIGN, BET_LOSS_CE, run->lambdas[i],
                   run->epochs))
      return 0;
  }
  if (!add_model(run, "vgg3-p0", "vgg3", XP_ROLE_VGG, 0.0, run->vgg_grad, BET_LOSS_CE, 0.0,
                 run->vgg_epochs))
    return 0;
  snprintf(id, sizeof id, "vgg3-p0.033-%s", bet_flip_grad_str(run->vgg_grad));
  if (!add_model(run, id, "vgg3", XP_ROLE_VGG, 0.033, run->vgg_grad, BET_LOSS_CE, 0.0,
                 run->vgg_epochs))
    return 0;
  for (size_t i = 0; i < run->n_models; ++i)
    if (bet_train_params_check(&run->models[i].tp) != BNN_OK) {
      rr_error(CMD, "%s: %s", run->models[i].id, bnn_errmsg());
      return 0;
    }
  return 1;
}

/* ---- training
 * ------------------------------------------------------------------------------------ */

static int load_meta(xp_model *md) {
  char path[XP_PATH + 16], mpath[XP_PATH + 16];
  snprintf(path, sizeof path, "%s.meta", md->stem);
  snprintf(mpath, sizeof mpath, "%s.bnn", md->stem);
  if (!file_exists(mpath)) return 0;
  FILE *f = cache_open(path, md->key);
  if (!f) return 0;
  int have = 0;
  char line[256];
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "clean_accuracy %lf", &md->clean_acc) == 1) have |= 1;
    if (sscanf(line, "train_seconds %lf", &md->train_seconds) == 1) have |= 2;
  }
  fclose(f);
  return have == 3;
}

/* The provenance JSON of a trained model: strings quoted by jansson (rr_json_quote), so a data path
 * with a quote stays valid JSON; numbers in their printf forms (part of the model file's bytes).
 * malloc'd; NULL when out of memory. */
static char *provenance(const xp_run *run, const xp_model *md, const bnn_dataset *train,
                        const bnn_dataset *test, double acc) {
  const bet_train_params *p = &md->tp;
  char *q[6] = {rr_json_quote(rr_version()), rr_json_quote(md->id),      rr_json_quote(md->arch),
                rr_json_quote(run->data),    rr_json_quote(train->name), rr_json_quote(test->name)};
  int quoted = 1;
  for (size_t i = 0; i < sizeof q / sizeof *q; ++i) quoted = quoted && q[i];
#define PROV_FMT                                                                              \
  "{\"tool\":\"rramsim experiment paper\",\"version\":%s,\"model_id\":%s,\"arch\":%s,"        \
  "\"data\":%s,\"train_set\":%s,\"train_images\":%u,\"test_set\":%s,\"test_images\":%u,"      \
  "\"epochs\":%u,\"batch\":%u,\"lr\":%.17g,\"step_size\":%u,\"gamma\":%.17g,\"loss\":\"%s\"," \
  "\"mhl_b\":%.17g,\"flip_p\":%.17g,\"flip_grad\":\"%s\",\"flip_layers\":\"all\","            \
  "\"reg_margin\":%.17g,\"reg_b\":%.17g,\"clip_all\":false,\"bn_momentum\":%.17g,"            \
  "\"bn_eps\":%.17g,\"bn_stats\":\"%s\",\"seed\":%" PRIu64 ",\"clean_test_accuracy\":%.6f}"
#define PROV_ARGS                                                                                  \
  q[0], q[1], q[2], q[3], q[4], train->n, q[5], test->n, p->epochs, p->batch, p->lr, p->step_size, \
      p->gamma, bet_loss_str(p->loss), p->mhl_b, p->flip_p, bet_flip_grad_str(p->flip_grad),       \
      p->reg_margin, p->reg_b, p->bn_momentum, p->bn_eps, bet_bn_stats_str(p->bn_stats), p->seed,  \
      acc
  char *buf = NULL;
  const int n = quoted ? snprintf(NULL, 0, PROV_FMT, PROV_ARGS) : -1;
  if (n >= 0 && (buf = (char *)malloc((size_t)n + 1)) != NULL)
    snprintf(buf, (size_t)n + 1, PROV_FMT, PROV_ARGS);
#undef PROV_FMT
#undef PROV_ARGS
  for (size_t i = 0; i < sizeof q / sizeof *q; ++i) free(q[i]);
  return buf;
}

/* What train_run calls back for one model of the plan. */
typedef struct train_ctx {
  const xp_run *run;
  const xp_model *md;
  const bnn_dataset *train, *test;
} train_ctx;

static int on_epoch(void *ud, FILE *log, const rr_train_epoch *e) {
  const train_ctx *c = (const train_ctx *)ud;
  const bet_epoch_stats *st = e->st;
  fprintf(log, ",\"loss\":%.6f,\"train_accuracy\":%.6f,\"seconds\":%.3f,\"flips\":%" PRIu64,
          st->loss, st->train_acc, st->seconds, st->flips);
  if (!c->run->progress)
    fprintf(stderr, "  %s epoch %u/%u: loss %.4f, train accuracy %.2f %%, %.1f s\n", c->md->id,
            e->epoch, c->md->tp.epochs, st->loss, 100 * st->train_acc, st->seconds);
  return 1;
}

static char *train_provenance(void *ud, double acc) {
  const train_ctx *c = (const train_ctx *)ud;
  return provenance(c->run, c->md, c->train, c->test, acc);
}

/* Trains one model (resuming from its checkpoint after a crash), exports it and writes its meta
 * file. Returns 1 on success. */
static int train_model(xp_run *run, xp_model *md, const bnn_dataset *train,
                       const bnn_dataset *test) {
  char ckpt[XP_PATH + 16], mpath[XP_PATH + 16], meta[XP_PATH + 16], logp[XP_PATH + 16];
  snprintf(ckpt, sizeof ckpt, "%s.ckpt", md->stem);
  snprintf(mpath, sizeof mpath, "%s.bnn", md->stem);
  snprintf(meta, sizeof meta, "%s.meta", md->stem);
  snprintf(logp, sizeof logp, "%s.log.jsonl", md->stem);
  bet_arch arch;
  if (bet_arch_parse(md->arch, train->n_classes, &arch) != BNN_OK)
    return rr_error(CMD, "%s: --arch %s: %s", md->id, md->arch, bnn_errmsg()), 0;
  train_ctx tc = {run, md, train, test};
  rr_train_job job;
  memset(&job, 0, sizeof job);
  job.cmd = CMD;
  job.name = md->id;
  job.arch_name = md->arch;
  job.arch = &arch;
  job.params = &md->tp;
  job.train = train;
  job.test = test;
  job.ckpt_path = ckpt;
  job.log_path = logp;
  job.out_path = mpath;
  job.resume = run->force ? RR_TRAIN_FRESH : RR_TRAIN_RESUME_IF_USABLE;
  job.progress = run->progress;
  job.on_epoch = on_epoch;
  job.provenance = train_provenance;
  job.ud = &tc;
  rr_train_outcome res;
  if (!rr_train_run(&job, &res)) return 0;
  md->train_seconds = res.seconds;
  bnn_atomic_file af;
  FILE *f = bnn_atomic_open(&af, meta) == BNN_OK ? af.f : NULL;
  if (!f) return rr_error(CMD, "%s: cannot write: %s", meta, strerror(errno)), 0;
  fprintf(f, "# key %s\nclean_accuracy %.9f\ntrain_seconds %.3f\nresumed %d\n", md->key,
          res.test_acc, md->train_seconds, res.resumed);
  if (bnn_atomic_commit(&af) != BNN_OK) return rr_error(CMD, "%s: cannot write", meta), 0;
  md->clean_acc = res.test_acc;
  remove(ckpt); /* the model file is what later steps need; checkpoints of wide nets are large */
  return 1;
}

/* ---- evaluation
 * ---------------------------------------------------------------------------------- */

static void bers_str(const xp_run *run, char *buf, size_t n) {
  size_t o = 0;
  buf[0] = 0;
  for (size_t b = 0; b < run->n_bers && o < n; ++b)
    o += (size_t)snprintf(buf + o, n - o, "%s%g", b ? "," : "", run->bers[b]);
}

static void eval_key(const xp_run *run, const xp_model *md, const char *what, uint32_t limit,
                     char *key, size_t n) {
  char bl[256];
  bers_str(run, bl, sizeof bl);
  snprintf(key, n,
           "%s v1 model=%016" PRIx64 " data=%s/test limit=%u bers=%s reps=%" PRIu64
           " seed=%" PRIu64,
           what, fnv1a(md->key), run->data, limit, bl, !strcmp(what, "mc") ? run->reps : 0,
           !strcmp(what, "mc") ? run->eval_seed : 0);
}

/* One data row of a keyed cache CSV: the BER's index in run->bers, the name column (metric
 * files) or NULL, and the numeric columns. */
typedef struct cache_row {
  size_t b;
  const char *name;
  const double *v;
} cache_row;

/* Reads a cache file written by eval_mc, eval_pred or eval_metric: "# key <key>" (another key: a
 * stale entry, returns -1), "# seconds <s>" (into *seconds), a header, then rows
 * "<ber>[,<name>],<v1>,...,<v_nv>". A row whose BER is among bers[0..n_bers) goes to store once per
 * matching BER; rows that do not parse are skipped. Returns how many rows store kept. */
static long cache_read(const char *path, const char *key, int named, size_t nv, const double *bers,
                       size_t n_bers, double *seconds, int (*store)(void *ud, const cache_row *r),
                       void *ud) {
  double v[4];
  if (nv > sizeof v / sizeof *v) return -1;
  FILE *f = cache_open(path, key);
  if (!f) return -1;
  char line[256], name[64];
  long got = 0;
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "# seconds %lf", seconds) == 1) continue;
    char *p = line, *end = NULL;
    const double ber = strtod(p, &end);
    int ok = end != p && *end == ',';
    if (ok && named) {
      p = end + 1;
      const size_t n = strcspn(p, ",\n");
      ok = n > 0 && n < sizeof name && p[n] == ',';
      if (ok) memcpy(name, p, n), name[n] = 0, end = p + n;
    }
    for (size_t k = 0; ok && k < nv; ++k) {
      p = end + 1;
      v[k] = strtod(p, &end);
      ok = end != p && (*end == (k + 1 < nv ? ',' : '\n') || (k + 1 == nv && !*end));
    }
    if (!ok) continue;
    for (size_t b = 0; b < n_bers; ++b)
      if (bers[b] == ber) {
        const cache_row r = {b, named ? name : NULL, v};
        got += store(ud, &r);
      }
  }
  fclose(f);
  return got;
}

static int store_mc(void *ud, const cache_row *r) {
  bnn_mc_stats *s = &((xp_model *)ud)->mc[r->b];
  s->mean = r->v[0], s->std = r->v[1], s->min = r->v[2], s->max = r->v[3];
  return 1;
}

static int store_pred(void *ud, const cache_row *r) {
  ((xp_model *)ud)->pred[r->b] = r->v[0];
  return 1;
}

typedef struct metric_store {
  xp_run *run;
  xp_model *md;
} metric_store;

static int store_metric(void *ud, const cache_row *r) {
  const metric_store *m = (const metric_store *)ud;
  const int k = xp_metric_index(m->run, r->name);
  if (k < 0) return 0;
  m->md->metric[r->b][k] = r->v[0];
  return 1;
}

typedef struct mc_progress {
  rr_progress bar;
  const xp_run *run;
  char label[96];
} mc_progress;

static void on_mc(void *ud, size_t b, uint64_t rep, uint64_t done) {
  mc_progress *p = (mc_progress *)ud;
  char msg[64];
  snprintf(msg, sizeof msg, "ber %g rep %" PRIu64 "/%" PRIu64, p->run->bers[b], rep + 1,
           p->run->reps);
  rr_progress_update(&p->bar, done, "img", msg);
}

static int eval_mc(xp_run *run, xp_model *md, const bnn_model *m, const bnn_dataset *test) {
  char path[XP_PATH + 16], key[1024];
  snprintf(path, sizeof path, "%s.mc.csv", md->stem);
  eval_key(run, md, "mc", run->test_limit, key, sizeof key);
  if (!run->force && cache_read(path, key, 0, 4, run->bers, run->n_bers, &md->mc_seconds, store_mc,
                                md) == (long)run->n_bers)
    return md->have_mc = 1;
  if (run->report_only) return 0;
  bnn_mc_params mp = bnn_mc_default_params();
  mp.reps = run->reps;
  mp.seed = run->eval_seed;
  mp.infer.threads = run->threads;
  mc_progress pr;
  pr.run = run;
  snprintf(pr.label, sizeof pr.label, "%s Monte-Carlo", md->id);
  const uint64_t total = (uint64_t)run->n_bers * run->reps * test->n;
  rr_progress_start(&pr.bar, pr.label, total, run->progress);
  const double t0 = rr_now();
  if (bnn_mc_sweep(m, test, run->bers, run->n_bers, &mp, on_mc, &pr, md->mc, NULL, NULL) != BNN_OK)
    return rr_error(CMD, "%s: Monte-Carlo: %s", md->id, bnn_errmsg()), 0;
  md->mc_seconds = rr_now() - t0;
  rr_progress_finish(&pr.bar, "img", NULL);
  bnn_atomic_file af;
  FILE *f = bnn_atomic_open(&af, path) == BNN_OK ? af.f : NULL;
  if (!f) return rr_error(CMD, "%s: cannot write: %s", path, strerror(errno)), 0;
  fprintf(f, "# key %s\n# seconds %.3f\nber,mean,std,min,max\n", key, md->mc_seconds);
  for (size_t b = 0; b < run->n_bers; ++b)
    fprintf(f, "%.17g,%.9f,%.9f,%.9f,%.9f\n", run->bers[b], md->mc[b].mean, md->mc[b].std,
            md->mc[b].min, md->mc[b].max);
  if (bnn_atomic_commit(&af) != BNN_OK) return rr_error(CMD, "%s: cannot write", path), 0;
  return md->have_mc = 1;
}

static int eval_pred(xp_run *run, xp_model *md, const bnn_model *m, const bnn_dataset *test) {
  char path[XP_PATH + 16], key[1024];
  snprintf(path, sizeof path, "%s.pred.csv", md->stem);
  bet_predict_params pp = bet_predict_default_params();
  pp.threads = run->threads;
  /* The prediction model is part of the key: predictions cached by the layer-mean model (before
   * the stratified mean became the default) must not be reused as the new model's. */
  eval_key(run, md, pp.stratified_mean ? "predict-stratified" : "predict", run->test_limit, key,
           sizeof key);
  if (!run->force && cache_read(path, key, 0, 1, run->bers, run->n_bers, &md->pred_seconds,
                                store_pred, md) == (long)run->n_bers)
    return md->have_pred = 1;
  if (run->report_only) return 0;
  const double t0 = rr_now();
  if (run->progress)
    fprintf(stderr, "%s: analytic prediction (%zu BERs, %u images)\n", md->id, run->n_bers,
            test->n);
  const bnn_status st = bet_predict_accuracy(m, test, run->bers, run->n_bers, &pp, md->pred);
  if (st == BNN_E_UNSUPPORTED) {
    md->pred_unsupported = 1;
    snprintf(md->pred_note, sizeof md->pred_note, "%s", bnn_errmsg());
    return 1;
  }
  if (st != BNN_OK) return rr_error(CMD, "%s: prediction: %s", md->id, bnn_errmsg()), 0;
  md->pred_seconds = rr_now() - t0;
  bnn_atomic_file af;
  FILE *f = bnn_atomic_open(&af, path) == BNN_OK ? af.f : NULL;
  if (!f) return rr_error(CMD, "%s: cannot write: %s", path, strerror(errno)), 0;
  fprintf(f, "# key %s\n# seconds %.3f\nber,predicted\n", key, md->pred_seconds);
  for (size_t b = 0; b < run->n_bers; ++b) fprintf(f, "%.17g,%.9f\n", run->bers[b], md->pred[b]);
  if (bnn_atomic_commit(&af) != BNN_OK) return rr_error(CMD, "%s: cannot write", path), 0;
  return md->have_pred = 1;
}

/* Margin metrics at every BER of the study (the flip probabilities depend on it; the margins do
 * not), on the first metric_limit test images. */
static int eval_metric(xp_run *run, xp_model *md, const bnn_model *m, const bnn_dataset *mds) {
  char path[XP_PATH + 16], key[1024];
  snprintf(path, sizeof path, "%s.metric.csv", md->stem);
  eval_key(run, md, "metric", run->metric_limit, key, sizeof key);
  metric_store ms = {run, md};
  if (!run->force && cache_read(path, key, 1, 1, run->bers, run->n_main, &md->metric_seconds,
                                store_metric, &ms) > 0)
    return md->have_metric = 1;
  if (run->report_only) return 0;
  if (run->progress)
    fprintf(stderr, "%s: margin metrics (%zu BERs, %u images)\n", md->id, run->n_main, mds->n);
  const double t0 = rr_now();
  for (size_t b = 0; b < run->n_main; ++b) {
    bet_metric_result r;
    const bnn_status st = bet_metric_compute(m, mds, run->bers[b], &r);
    if (st == BNN_E_UNSUPPORTED) {
      md->metric_unsupported = 1;
      return 1;
    }
    if (st != BNN_OK) return rr_error(CMD, "%s: metrics: %s", md->id, bnn_errmsg()), 0;
    char nm[40];
    int k;
#define PUT(name, val) \
  if ((k = xp_metric_index(run, name)) >= 0) md->metric[b][k] = (val);
    PUT("clean_accuracy", r.accuracy)
    PUT("hidden_mn_mean", r.hidden_mn_mean)
    PUT("hidden_pflip_mean", r.hidden_pflip_mean)
    for (uint32_t l = 0; l < r.n_layers; ++l) {
      const bet_metric_layer *L = &r.layers[l];
      if (L->is_output) {
        PUT("out_margin_mean", L->m_mean)
        PUT("out_margin_q50", L->m_q50)
        PUT("out_frac_le1", L->frac_le[0])
        PUT("out_pflip", L->pflip_mean)
      } else {
        snprintf(nm, sizeof nm, "L%u_m_mean", l);
        PUT(nm, L->m_mean)
        if (!L->input_u8) {
          snprintf(nm, sizeof nm, "L%u_mn_mean", l);
          PUT(nm, L->mn_mean)
        }
        snprintf(nm, sizeof nm, "L%u_pflip", l);
        PUT(nm, L->pflip_mean)
      }
    }
#undef PUT
    bet_metric_result_free(&r);
  }
  md->metric_seconds = rr_now() - t0;
  bnn_atomic_file af;
  FILE *f = bnn_atomic_open(&af, path) == BNN_OK ? af.f : NULL;
  if (!f) return rr_error(CMD, "%s: cannot write: %s", path, strerror(errno)), 0;
  fprintf(f, "# key %s\n# seconds %.3f\nber,metric,value\n", key, md->metric_seconds);
  for (size_t b = 0; b < run->n_main; ++b)
    for (size_t k = 0; k < run->n_metrics; ++k)
      if (!isnan(md->metric[b][k]))
        fprintf(f, "%.17g,%s,%.9g\n", run->bers[b], run->metric_names[k], md->metric[b][k]);
  if (bnn_atomic_commit(&af) != BNN_OK) return rr_error(CMD, "%s: cannot write", path), 0;
  return md->have_metric = 1;
}

/* ---- bookkeeping -------------------------------------------------------------------------------
 */

int xp_metric_index(xp_run *run, const char *name) {
  for (size_t k = 0; k < run->n_metrics; ++k)
    if (!strcmp(run->metric_names[k], name)) return (int)k;
  if (run->n_metrics >= XP_MAX_METRICS) return -1;
  snprintf(run->metric_names[run->n_metrics], sizeof run->metric_names[0], "%.39s", name);
  return (int)run->n_metrics++;
}

void xp_sample_load(xp_run *run) {
  FILE *f = fopen("/proc/loadavg", "r");
  double l = 0;
  if (!f) return;
  if (fscanf(f, "%lf", &l) == 1) {
    if (!run->load_n || l < run->load_min) run->load_min = l;
    if (!run->load_n || l > run->load_max) run->load_max = l;
    run->load_sum += l;
    ++run->load_n;
  }
  fclose(f);
}

/* The order models are made in, so that a run cut short still answers the most claims: the p = 0
 * reference, then sign/straight pairs (C1, C2) from the seed study's 3.3 % outwards, the
 * regularised models (C4), MHL, and VGG3 (the most expensive) last. The report keeps the plan's
 * order. */
static size_t run_order(const xp_run *run, size_t *order) {
  static const double pair_ps[] = {0.033, 0.1, 0.01, 0.05};
  size_t n = 0;
  int used[XP_MAX_MODELS] = {0};
#define TAKE(cond)                                       \
  for (size_t i = 0; i < run->n_models; ++i) {           \
    const xp_model *m = &run->models[i];                 \
    (void)m;                                             \
    if (!used[i] && (cond)) used[i] = 1, order[n++] = i; \
  }
  TAKE(m->role == XP_ROLE_BASE)
  for (size_t k = 0; k < sizeof pair_ps / sizeof *pair_ps; ++k)
    TAKE(m->role == XP_ROLE_FLIP && m->tp.flip_p == pair_ps[k])
  TAKE(m->role == XP_ROLE_REG)
  TAKE(m->role == XP_ROLE_MHL)
  TAKE(1)
#undef TAKE
  return n;
}

static int parse_lambdas(xp_run *run, const char *v) {
  double *vals = NULL;
  size_t n = 0;
  if (strchr(v, ':'))
    return rr_usage_error(CMD, "--lambdas: expected a comma list, got '%s'", v), 0;
  if (!rr_parse_range(CMD, "--lambdas", v, 1e-9, 1e6, XP_MAX_LAMBDAS, &vals, &n)) return 0;
  if (n == 0) {
    free(vals);
    return rr_usage_error(CMD, "--lambdas: empty list"), 0;
  }
  for (size_t i = 0; i < n; ++i) run->lambdas[i] = vals[i];
  run->n_lambdas = n;
  free(vals);
  return 1;
}

/* experiment's options: the run plus what rr_cmd_experiment needs to fill in defaults. */
typedef struct xp_opts {
  xp_run *run;
  const char *name;
  int have_epochs, have_vgg, have_reps, have_train, have_test, have_metric, have_vgg_train;
  int notes_failed; /* --notes names an unreadable file: a runtime error (exit 1), not usage */
  uint64_t u;
} xp_opts;

static rr_opt_result experiment_option(void *ud, const char *a, const char *v) {
  xp_opts *x = (xp_opts *)ud;
  xp_run *run = x->run;
  int ok = 1;
  if (!a) {
    if (x->name) return RR_OPT_UNKNOWN; /* "unexpected argument" */
    x->name = v;
    return RR_OPT_TAKEN;
  }
  if (!strcmp(a, "--quick"))
    run->quick = 1;
  else if (!strcmp(a, "--force"))
    run->force = 1;
  else if (!strcmp(a, "--report-only"))
    run->report_only = 1;
  else if (!strcmp(a, "--quiet"))
    run->progress = 0;
  else if (!strcmp(a, "--out-dir") || !strcmp(a, "--report")) {
    char *dst = !strcmp(a, "--out-dir") ? run->out_dir : run->report;
    const size_t cap = sizeof run->out_dir;
    if (!*v || snprintf(dst, cap, "%s", v) >= (int)cap)
      return rr_usage_error(CMD, "%s: expected a path of 1 to %zu characters", a, cap - 1),
             RR_OPT_BAD;
  } else if (!strcmp(a, "--data"))
    run->data = v;
  else if (!strcmp(a, "--notes")) {
    if (access(v, R_OK) != 0) {
      rr_error(CMD, "--notes %s: %s", v, strerror(errno));
      x->notes_failed = 1;
      return RR_OPT_BAD;
    }
    run->notes = v;
  } else if (!strcmp(a, "--epochs"))
    ok = rr_parse_u64(CMD, a, v, 1, 1000, &x->u), run->epochs = (uint32_t)x->u, x->have_epochs = 1;
  else if (!strcmp(a, "--vgg-epochs"))
    ok = rr_parse_u64(CMD, a, v, 1, 1000, &x->u), run->vgg_epochs = (uint32_t)x->u, x->have_vgg = 1;
  else if (!strcmp(a, "--reps"))
    ok = rr_parse_u64(CMD, a, v, 1, 10000, &run->reps), x->have_reps = 1;
  else if (!strcmp(a, "--train-limit"))
    ok = rr_parse_u64(CMD, a, v, 0, UINT32_MAX, &x->u), run->train_limit = (uint32_t)x->u,
    x->have_train = 1;
  else if (!strcmp(a, "--vgg-train-limit"))
    ok = rr_parse_u64(CMD, a, v, 0, UINT32_MAX, &x->u), run->vgg_train_limit = (uint32_t)x->u,
    x->have_vgg_train = 1;
  else if (!strcmp(a, "--test-limit"))
    ok = rr_parse_u64(CMD, a, v, 0, UINT32_MAX, &x->u), run->test_limit = (uint32_t)x->u,
    x->have_test = 1;
  else if (!strcmp(a, "--metric-limit"))
    ok = rr_parse_u64(CMD, a, v, 1, UINT32_MAX, &x->u), run->metric_limit = (uint32_t)x->u,
    x->have_metric = 1;
  else if (!strcmp(a, "--seed"))
    ok = rr_parse_u64(CMD, a, v, 0, UINT64_MAX, &run->seed);
  else if (!strcmp(a, "--threads"))
    ok = rr_parse_int(CMD, a, v, 1, 256, &run->threads);
  else if (!strcmp(a, "--lambdas"))
    ok = parse_lambdas(run, v);
  else if (!strcmp(a, "--reg-b"))
    ok = rr_parse_double(CMD, a, v, 1e-6, 1e6, &run->reg_b);
  else if (!strcmp(a, "--vgg-flip-grad")) {
    if (!strcmp(v, "sign"))
      run->vgg_grad = BET_FLIP_GRAD_SIGN;
    else if (!strcmp(v, "straight"))
      run->vgg_grad = BET_FLIP_GRAD_STRAIGHT;
    else
      return rr_usage_error(CMD, "--vgg-flip-grad: expected sign or straight, got '%s'", v),
             RR_OPT_BAD;
  } else if (!strcmp(a, "--bn-stats")) {
    if (!strcmp(v, "running"))
      run->bn_stats = BET_BN_RUNNING;
    else if (!strcmp(v, "train-set"))
      run->bn_stats = BET_BN_TRAIN_SET;
    else
      return rr_usage_error(CMD, "--bn-stats: expected running or train-set, got '%s'", v),
             RR_OPT_BAD;
  } else
    return RR_OPT_UNKNOWN;
  return ok ? RR_OPT_TAKEN : RR_OPT_BAD;
}

int rr_cmd_experiment(int argc, char **argv) {
  static xp_run run_storage; /* ~100 kB of results: not on the stack */
  xp_run *run = &run_storage;
  memset(run, 0, sizeof *run);
  run->threads = rr_default_threads();
  run->progress = 1;
  run->data = "fashion-mnist";
  run->seed = 1;
  run->reg_b = 1.0;
  run->vgg_grad = BET_FLIP_GRAD_SIGN;
  {
    size_t o = 0;
    o += (size_t)snprintf(run->command_line, sizeof run->command_line, "rramsim");
    for (int i = 0; i < argc && o < sizeof run->command_line; ++i)
      o += (size_t)snprintf(run->command_line + o, sizeof run->command_line - o, " %s", argv[i]);
  }
  static const rr_option opts[] = {{"quick", 0, NULL, NULL},
                                   {"force", 0, NULL, NULL},
                                   {"report-only", 0, NULL, NULL},
                                   {"quiet", 0, NULL, NULL},
                                   {"no-progress", 0, NULL, "quiet"},
                                   {"out-dir", 1, NULL, NULL},
                                   {"report", 1, NULL, NULL},
                                   {"data", 1, NULL, NULL},
                                   {"notes", 1, NULL, NULL},
                                   {"epochs", 1, NULL, NULL},
                                   {"vgg-epochs", 1, NULL, NULL},
                                   {"reps", 1, NULL, NULL},
                                   {"train-limit", 1, NULL, NULL},
                                   {"vgg-train-limit", 1, NULL, NULL},
                                   {"test-limit", 1, NULL, NULL},
                                   {"metric-limit", 1, NULL, NULL},
                                   {"seed", 1, NULL, NULL},
                                   {"threads", 1, NULL, NULL},
                                   {"lambdas", 1, NULL, NULL},
                                   {"reg-b", 1, NULL, NULL},
                                   {"vgg-flip-grad", 1, NULL, NULL},
                                   {"bn-stats", 1, NULL, NULL},
                                   {NULL, 0, NULL, NULL}};
  xp_opts x;
  memset(&x, 0, sizeof x);
  x.run = run;
  {
    int prc = RR_EXIT_OK;
    if (!rr_parse_options(CMD, argc, argv, 1, opts, experiment_option, &x, usage, &prc))
      return x.notes_failed ? RR_EXIT_FAIL : prc;
  }
  const char *name = x.name;
  const int have_epochs = x.have_epochs, have_vgg = x.have_vgg, have_reps = x.have_reps,
            have_train = x.have_train, have_test = x.have_test, have_metric = x.have_metric,
            have_vgg_train = x.have_vgg_train;
  if (!name) return rr_usage_error(CMD, "which experiment? (only 'paper' exists)");
  if (strcmp(name, "paper") != 0)
    return rr_usage_error(CMD, "unknown experiment '%s' (only 'paper' exists)", name);
  if (run->report_only && run->force)
    return rr_usage_error(CMD, "--report-only and --force contradict each other");
  /* Defaults: the full study, or the smoke test. */
  run->fcnn_arch = run->quick ? "784-128-128-10" : "fcnn";
  if (!have_epochs) run->epochs = run->quick ? 2 : 4;
  if (!have_vgg) run->vgg_epochs = 1;
  if (!have_reps) run->reps = run->quick ? 2 : 4;
  if (!have_train) run->train_limit = run->quick ? 4000 : 0;
  if (!have_vgg_train) run->vgg_train_limit = run->quick ? 1000 : 0;
  if (!have_test) run->test_limit = run->quick ? 500 : 0;
  if (!have_metric) run->metric_limit = run->quick ? 500 : 1000;
  if (!run->out_dir[0])
    snprintf(run->out_dir, sizeof run->out_dir, "%s",
             run->quick ? "build/paper-quick" : "build/paper");
  if (!run->report[0] &&
      snprintf(run->report, sizeof run->report, "%s",
               run->quick ? run->out_dir : "docs/results/paper.md") >= 0 &&
      run->quick && strlen(run->report) + 10 < sizeof run->report)
    strcat(run->report, "/paper.md");
  if (!run->n_lambdas) {
    for (size_t i = 0; i < sizeof k_default_lambdas / sizeof *k_default_lambdas; ++i)
      run->lambdas[i] = k_default_lambdas[i];
    run->n_lambdas = sizeof k_default_lambdas / sizeof *k_default_lambdas;
  }
  run->eval_seed = run->seed;
  for (size_t b = 0; b < sizeof k_main_bers / sizeof *k_main_bers; ++b)
    run->bers[run->n_bers++] = k_main_bers[b];
  run->n_main = run->n_bers;
  for (size_t b = 0; b < sizeof k_hirtzlin_bers / sizeof *k_hirtzlin_bers; ++b)
    run->bers[run->n_bers++] = k_hirtzlin_bers[b];
  /* The report's plot directory: next to the report, named after its stem. */
  {
    const char *slash = strrchr(run->report, '/');
    const char *base = slash ? slash + 1 : run->report;
    size_t stem = strlen(base);
    if (stem > 3 && !strcmp(base + stem - 3, ".md")) stem -= 3;
    if (stem == 0) return rr_usage_error(CMD, "--report '%s': needs a file name", run->report);
    if (snprintf(run->plot_rel, sizeof run->plot_rel, "%.*s", (int)stem, base) >=
            (int)sizeof run->plot_rel ||
        snprintf(run->plot_dir, sizeof run->plot_dir, "%.*s%s",
                 slash ? (int)(slash - run->report + 1) : 0, run->report,
                 run->plot_rel) >= (int)sizeof run->plot_dir)
      return rr_usage_error(CMD, "--report '%s': path too long", run->report);
  }
  if (!build_plan(run)) return RR_EXIT_USAGE;

  run->t_start = rr_now();
  {
    time_t now = time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(run->started_utc, sizeof run->started_utc, "%Y-%m-%d %H:%M UTC", &tmv);
  }
  xp_sample_load(run);
  char models_dir[XP_PATH + 16];
  if (snprintf(models_dir, sizeof models_dir, "%s/models", run->out_dir) >=
          (int)sizeof models_dir ||
      bnn_mkdirs(models_dir) != BNN_OK)
    return rr_error(CMD, "--out-dir %s: cannot create %s: %s", run->out_dir, models_dir,
                    strerror(errno));
  if (bnn_mkdirs(run->plot_dir) != BNN_OK)
    return rr_error(CMD, "--report %s: cannot create the plot directory %s: %s", run->report,
                    run->plot_dir, strerror(errno));

  int rc = RR_EXIT_OK;
  bnn_dataset train, test, mds;
  memset(&train, 0, sizeof train);
  memset(&test, 0, sizeof test);
  memset(&mds, 0, sizeof mds);
  if (bnn_dataset_open(&train, run->data, "train", run->train_limit) != BNN_OK) {
    rc = rr_error(CMD, "--data %s: %s", run->data, bnn_errmsg());
    goto done;
  }
  if (bnn_dataset_open(&test, run->data, "test", run->test_limit) != BNN_OK ||
      bnn_dataset_open(&mds, run->data, "test", run->metric_limit) != BNN_OK) {
    rc = rr_error(CMD, "--data %s: %s", run->data, bnn_errmsg());
    goto done;
  }
  run->train_n = train.n, run->test_n = test.n, run->metric_n = mds.n;
  if (!run->report_only)
    fprintf(stderr,
            "rramsim experiment paper: %zu models, %zu BERs x %" PRIu64
            " reps, %u training / %u test images, cache %s\n",
            run->n_models, run->n_bers, run->reps, train.n, test.n, run->out_dir);
  size_t order[XP_MAX_MODELS];
  const size_t n_order = run_order(run, order);
  for (size_t oi = 0; oi < n_order && rc == RR_EXIT_OK; ++oi) {
    const size_t i = order[oi];
    xp_model *md = &run->models[i];
    md->trained = !run->force && load_meta(md);
    if (md->trained) {
      fprintf(stderr, "[%zu/%zu] %s: cached model (clean test accuracy %.2f %%)\n", oi + 1,
              run->n_models, md->id, 100 * md->clean_acc);
    } else if (!run->report_only) {
      /* VGG3 may train on a prefix of the training set (a view: same buffers, smaller n). */
      bnn_dataset view = train;
      if (md->role == XP_ROLE_VGG && run->vgg_train_limit && run->vgg_train_limit < view.n)
        view.n = run->vgg_train_limit;
      fprintf(stderr, "[%zu/%zu] %s: training %s, %u epochs on %u images\n", oi + 1, run->n_models,
              md->id, md->arch, md->tp.epochs, view.n);
      if (!train_model(run, md, &view, &test)) {
        rc = RR_EXIT_FAIL;
        break;
      }
      md->trained = 1;
      fprintf(stderr, "[%zu/%zu] %s: clean test accuracy %.2f %% (%.1f s)\n", oi + 1, run->n_models,
              md->id, 100 * md->clean_acc, md->train_seconds);
    }
    if (!md->trained) continue;
    char mpath[XP_PATH + 16];
    snprintf(mpath, sizeof mpath, "%s.bnn", md->stem);
    bnn_model *m = NULL;
    if (bnn_model_load(&m, mpath) != BNN_OK) {
      rc = rr_error(CMD, "%s", bnn_errmsg());
      break;
    }
    if (!eval_mc(run, md, m, &test) && !run->report_only) rc = RR_EXIT_FAIL;
    /* C3 correlates metrics across the FCNNs only; VGG3's (conv) metrics would cost minutes. */
    if (rc == RR_EXIT_OK && md->is_fcnn && !eval_metric(run, md, m, &mds) && !run->report_only)
      rc = RR_EXIT_FAIL;
    if (rc == RR_EXIT_OK && !eval_pred(run, md, m, &test) && !run->report_only) rc = RR_EXIT_FAIL;
    bnn_model_free(m);
    xp_sample_load(run);
  }
  /* The report also covers a failed run: whatever finished is in it, the rest is listed missing. */
  run->wall = rr_now() - run->t_start;
  xp_sample_load(run);
  if (!run->report_only) {
    /* One line per invocation that worked on this cache, so a report rebuilt later (or after a
     * crash and a resumed run) can still state what the work cost. */
    char rpath[XP_PATH + 16];
    if (snprintf(rpath, sizeof rpath, "%s/runs.tsv", run->out_dir) < (int)sizeof rpath) {
      FILE *rf = fopen(rpath, "a");
      if (rf) {
        fprintf(rf, "%s\t%.1f\t%.2f\t%.2f\t%.2f\t%s\t%s\n", run->started_utc, run->wall,
                run->load_min, run->load_n ? run->load_sum / run->load_n : 0.0, run->load_max,
                rc == RR_EXIT_OK ? "finished" : "failed", run->command_line);
        fclose(rf);
      }
    }
  }
  if (xp_write_report(run) != 0)
    rc = RR_EXIT_FAIL;
  else
    printf("wrote %s (plots in %s/) in %.1f s\n", run->report, run->plot_dir, run->wall);
done:
  bnn_dataset_free(&train);
  bnn_dataset_free(&test);
  bnn_dataset_free(&mds);
  return rc;
}
