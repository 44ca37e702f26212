/* model.c — one model of `rramsim experiment paper`: training (resumable, through the shared
 * driver train_run.c) with its provenance, then its evaluations — Monte-Carlo accuracy, margin
 * metrics, analytic prediction — each taken from the cache when its key matches, else computed and
 * cached (cache.c). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bet/bet.h"
#include "bet/metric.h"
#include "bnn/bnn.h"
#include "bnn/data.h"
#include "bnn/mc.h"
#include "cli.h"
#include "experiment.h"
#include "train_run.h"

static const char *const CMD = "experiment";

/* ---- training ----------------------------------------------------------------------------------
 */

/* The provenance JSON the model file carries (built with jansson; malloc'd, NULL when out of
 * memory). Numbers as jansson writes them (%.17g, reals always with a '.' or an exponent); the
 * clean accuracy rounded to 6 decimals. */
static char *provenance(const xp_run *run, const xp_model *md, const bnn_dataset *train,
                        const bnn_dataset *test, double acc) {
  const bet_train_params *p = &md->tp;
  json_t *o = json_pack(
      "{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:I, s:I, s:f, s:I, s:f, s:s, s:f, s:f, s:s,"
      " s:s, s:f, s:f, s:b, s:f, s:f, s:s}",
      "tool", "rramsim experiment paper", "version", cli_version(), "model_id", md->id, "arch",
      md->arch, "data", run->data, "train_set", train->name, "train_images", (json_int_t)train->n,
      "test_set", test->name, "test_images", (json_int_t)test->n, "epochs", (json_int_t)p->epochs,
      "batch", (json_int_t)p->batch, "lr", p->lr, "step_size", (json_int_t)p->step_size, "gamma",
      p->gamma, "loss", bet_loss_str(p->loss), "mhl_b", p->mhl_b, "flip_p", p->flip_p, "flip_grad",
      bet_flip_grad_str(p->flip_grad), "flip_layers", "all", "reg_margin", p->reg_margin, "reg_b",
      p->reg_b, "clip_all", 0, "bn_momentum", p->bn_momentum, "bn_eps", p->bn_eps, "bn_stats",
      bet_bn_stats_str(p->bn_stats));
  char seed[24];
  snprintf(seed, sizeof seed, "%" PRIu64, p->seed);
  /* a seed above the JSON integers jansson holds (int64) is kept exact as a string */
  if (o &&
      json_object_set_new(o, "seed",
                          p->seed <= (uint64_t)INT64_MAX ? json_integer((json_int_t)p->seed)
                                                         : json_string(seed)) == 0 &&
      json_object_set_new(o, "clean_test_accuracy", json_real(round(acc * 1e6) / 1e6)) == 0) {
    /* train_run frees the provenance with free(); jansson may use another allocator (sim/ hands
     * it libbnn's), so the text is copied out and released through jansson's own free */
    char *s = json_dumps(o, JSON_COMPACT), *out = NULL;
    json_decref(o);
    json_free_t jfree = NULL;
    json_get_alloc_funcs(NULL, &jfree);
    if (s && (out = (char *)malloc(strlen(s) + 1)) != NULL) memcpy(out, s, strlen(s) + 1);
    if (s) jfree(s);
    return out;
  }
  json_decref(o);
  return NULL;
}

/* What train_run calls back for one model of the plan. */
typedef struct train_ctx {
  const xp_run *run;
  const xp_model *md;
  const bnn_dataset *train, *test;
} train_ctx;

static int on_epoch(void *ud, FILE *log, const cli_train_epoch *e) {
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
int xp_train_model(xp_run *run, xp_model *md, const bnn_dataset *train, const bnn_dataset *test) {
  char ckpt[XP_PATH + 16], mpath[XP_PATH + 16], logp[XP_PATH + 16];
  snprintf(ckpt, sizeof ckpt, "%s.ckpt", md->stem);
  snprintf(mpath, sizeof mpath, "%s.bnn", md->stem);
  snprintf(logp, sizeof logp, "%s.log.jsonl", md->stem);
  bet_arch arch;
  if (bet_arch_parse(md->arch, train->n_classes, &arch) != BNN_OK)
    return cli_error(CMD, "%s: --arch %s: %s", md->id, md->arch, bnn_errmsg()), 0;
  train_ctx tc = {run, md, train, test};
  cli_train_job job;
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
  job.resume = run->force ? CLI_TRAIN_FRESH : CLI_TRAIN_RESUME_IF_USABLE;
  job.progress = run->progress;
  job.on_epoch = on_epoch;
  job.provenance = train_provenance;
  job.ud = &tc;
  cli_train_outcome res;
  if (!cli_train_run(&job, &res)) return 0;
  md->train_seconds = res.seconds;
  if (!xp_meta_write(md, res.test_acc, res.resumed)) return 0;
  md->clean_acc = res.test_acc;
  remove(ckpt); /* the model file is what later steps need; checkpoints of wide nets are large */
  return 1;
}

/* ---- evaluation --------------------------------------------------------------------------------
 */

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

/* The rows xp_cache_write asks for, read back by the store_* functions above. */
static int row_mc(void *ud, size_t b, cache_row *r) {
  const bnn_mc_stats *s = &((const xp_model *)ud)->mc[b];
  r->b = b, r->v[0] = s->mean, r->v[1] = s->std, r->v[2] = s->min, r->v[3] = s->max;
  return 1;
}

static int row_pred(void *ud, size_t b, cache_row *r) {
  r->b = b, r->v[0] = ((const xp_model *)ud)->pred[b];
  return 1;
}

/* Row i of the metric file: BER b = i / n_metrics, metric k = i % n_metrics; NaN: not written. */
static int row_metric(void *ud, size_t i, cache_row *r) {
  const metric_store *m = (const metric_store *)ud;
  const size_t b = i / m->run->n_metrics, k = i % m->run->n_metrics;
  if (isnan(m->md->metric[b][k])) return 0;
  r->b = b, r->name = m->run->metric_names[k], r->v[0] = m->md->metric[b][k];
  return 1;
}

typedef struct mc_progress {
  cli_progress bar;
  const xp_run *run;
  char label[96];
} mc_progress;

static void on_mc(void *ud, size_t b, uint64_t rep, uint64_t done) {
  mc_progress *p = (mc_progress *)ud;
  char msg[64];
  snprintf(msg, sizeof msg, "ber %g rep %" PRIu64 "/%" PRIu64, p->run->bers[b], rep + 1,
           p->run->reps);
  cli_progress_update(&p->bar, done, "img", msg);
}

int xp_eval_mc(xp_run *run, xp_model *md, const bnn_model *m, const bnn_dataset *test) {
  char path[XP_PATH + 16], key[1024];
  snprintf(path, sizeof path, "%s.mc.csv", md->stem);
  xp_cache_key(run, md, "mc", run->test_limit, key, sizeof key);
  if (!run->force && xp_cache_read(path, key, 0, 4, run->bers, run->n_bers, &md->mc_seconds,
                                   store_mc, md) == (long)run->n_bers)
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
  cli_progress_start(&pr.bar, pr.label, total, run->progress);
  const double t0 = cli_now();
  if (bnn_mc_sweep(m, test, run->bers, run->n_bers, &mp, on_mc, &pr, md->mc, NULL, NULL) != BNN_OK)
    return cli_error(CMD, "%s: Monte-Carlo: %s", md->id, bnn_errmsg()), 0;
  md->mc_seconds = cli_now() - t0;
  cli_progress_finish(&pr.bar, "img", NULL);
  if (xp_cache_write(path, key, md->mc_seconds, "ber,mean,std,min,max", 0, 4, 0, run->bers,
                     run->n_bers, row_mc, md) < 0)
    return 0;
  return md->have_mc = 1;
}

int xp_eval_pred(xp_run *run, xp_model *md, const bnn_model *m, const bnn_dataset *test) {
  char path[XP_PATH + 16], key[1024];
  snprintf(path, sizeof path, "%s.pred.csv", md->stem);
  bet_predict_params pp = bet_predict_default_params();
  pp.threads = run->threads;
  /* The prediction model is part of the key: predictions cached by the layer-mean model (before
   * the stratified mean became the default) must not be reused as the new model's. */
  xp_cache_key(run, md, pp.stratified_mean ? "predict-stratified" : "predict", run->test_limit, key,
               sizeof key);
  if (!run->force && xp_cache_read(path, key, 0, 1, run->bers, run->n_bers, &md->pred_seconds,
                                   store_pred, md) == (long)run->n_bers)
    return md->have_pred = 1;
  if (run->report_only) return 0;
  const double t0 = cli_now();
  if (run->progress)
    fprintf(stderr, "%s: analytic prediction (%zu BERs, %u images)\n", md->id, run->n_bers,
            test->n);
  const bnn_status st = bet_predict_accuracy(m, test, run->bers, run->n_bers, &pp, md->pred);
  if (st == BNN_E_UNSUPPORTED) {
    md->pred_unsupported = 1;
    snprintf(md->pred_note, sizeof md->pred_note, "%s", bnn_errmsg());
    return 1;
  }
  if (st != BNN_OK) return cli_error(CMD, "%s: prediction: %s", md->id, bnn_errmsg()), 0;
  md->pred_seconds = cli_now() - t0;
  if (xp_cache_write(path, key, md->pred_seconds, "ber,predicted", 0, 1, 0, run->bers, run->n_bers,
                     row_pred, md) < 0)
    return 0;
  return md->have_pred = 1;
}

/* Margin metrics at every BER of the study (the flip probabilities depend on it; the margins do
 * not), on the first metric_limit test images. */
int xp_eval_metric(xp_run *run, xp_model *md, const bnn_model *m, const bnn_dataset *mds) {
  char path[XP_PATH + 16], key[1024];
  snprintf(path, sizeof path, "%s.metric.csv", md->stem);
  xp_cache_key(run, md, "metric", run->metric_limit, key, sizeof key);
  metric_store ms = {run, md};
  if (!run->force && xp_cache_read(path, key, 1, 1, run->bers, run->n_main, &md->metric_seconds,
                                   store_metric, &ms) > 0)
    return md->have_metric = 1;
  if (run->report_only) return 0;
  if (run->progress)
    fprintf(stderr, "%s: margin metrics (%zu BERs, %u images)\n", md->id, run->n_main, mds->n);
  const double t0 = cli_now();
  for (size_t b = 0; b < run->n_main; ++b) {
    bet_metric_result r;
    const bnn_status st = bet_metric_compute(m, mds, run->bers[b], &r);
    if (st == BNN_E_UNSUPPORTED) {
      md->metric_unsupported = 1;
      return 1;
    }
    if (st != BNN_OK) return cli_error(CMD, "%s: metrics: %s", md->id, bnn_errmsg()), 0;
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
  md->metric_seconds = cli_now() - t0;
  if (xp_cache_write(path, key, md->metric_seconds, "ber,metric,value", 1, 1, 1, run->bers,
                     run->n_main * run->n_metrics, row_metric, &ms) < 0)
    return 0;
  return md->have_metric = 1;
}
