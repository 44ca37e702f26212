/* train_run.c — the training driver `rramsim train` and `rramsim experiment` share (train_run.h).
 */
#include "train_run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "bnn/durable.h"
#include "bnn/bnn.h"
#include "bnn/input.h"
#include "cli.h"
#include "memlimit.h"

/* "rramsim <cmd>: [<name>: ]<message>": the experiment trains many models, so its messages say
 * which one. Returns 0, the driver's failure value. */
static int job_error(const cli_train_job *job, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static int job_error(const cli_train_job *job, const char *fmt, ...) {
  char msg[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  cli_error(job->cmd, "%s%s%s", job->name ? job->name : "", job->name ? ": " : "", msg);
  return 0;
}

/* ---- progress -----------------------------------------------------------------------------------
 */

typedef struct progress_ctx {
  cli_progress bar;
  const cli_train_job *job;
  char label[128];
  double t0;
} progress_ctx;

static void on_batch(void *ud, uint32_t epoch, uint64_t done, uint64_t total, double loss,
                     double acc) {
  progress_ctx *c = (progress_ctx *)ud;
  const cli_train_job *job = c->job;
  if (!job->progress) return;
  if (done == 1) {
    snprintf(c->label, sizeof c->label, "%s%sepoch %u/%u", job->name ? job->name : "",
             job->name ? " " : "", epoch + 1, job->params->epochs);
    cli_progress_start(&c->bar, c->label, total, 1);
    c->t0 = cli_now();
  }
  char msg[128];
  const double dt = cli_now() - c->t0;
  char rate[32] = "-"; /* unknown until 0.2 s of batches have been timed */
  if (dt >= 0.2) snprintf(rate, sizeof rate, "%.0f", (double)(done - 1) * job->params->batch / dt);
  snprintf(msg, sizeof msg, "%s img/s  loss %.4f  acc %.2f%%", rate, loss, 100.0 * acc);
  if (done == total)
    cli_progress_finish(&c->bar, "batch", msg);
  else
    cli_progress_update(&c->bar, done, "batch", msg);
}

/* ---- resuming -----------------------------------------------------------------------------------
 */

/* The options a resumed run must share with the checkpoint (epochs and threads may differ). */
static int same_training(const bet_train_params *a, const bet_train_params *b, const char **what) {
#define SAME(f, name) \
  if (a->f != b->f) { \
    *what = name;     \
    return 0;         \
  }
  SAME(batch, "--batch")
  SAME(lr, "--lr")
  SAME(step_size, "--step-size")
  SAME(gamma, "--gamma")
  SAME(loss, "--loss")
  SAME(mhl_b, "--mhl-b")
  SAME(flip_p, "--flip-p")
  SAME(flip_grad, "--flip-grad")
  SAME(flip_layers, "--flip-layers")
  SAME(seed, "--seed")
  SAME(clip_all, "--clip-all")
  SAME(reg_margin, "--reg-margin")
  SAME(reg_b, "--reg-b")
  SAME(bn_stats, "--bn-stats")
  SAME(reg_layers, "--reg-layers")
  SAME(input_range, "--input-range")
#undef SAME
  return 1;
}

/* Loads the checkpoint into *net if it can continue this job. CLI_TRAIN_RESUME: anything wrong is
 * an error (returns 0). CLI_TRAIN_RESUME_IF_USABLE: a checkpoint that cannot be used is left alone
 * with a note on stderr (returns 1, *net NULL). */
static int load_checkpoint(const cli_train_job *job, bet_net **net) {
  const int strict = job->resume == CLI_TRAIN_RESUME;
  const char *path = job->ckpt_path;
  bet_train_params stored;
  char why[512];
  const char *what = NULL;
  *net = NULL;
  if (bet_checkpoint_load(net, &stored, path) != BNN_OK) {
    if (strict) return job_error(job, "--resume: %s", bnn_errmsg());
    snprintf(why, sizeof why, "%s", bnn_errmsg());
  } else if (!same_training(&stored, job->params, &what)) {
    if (strict)
      return job_error(
          job, "--resume: %s: %s differs from the checkpoint's; resume with the same options", path,
          what);
    snprintf(why, sizeof why, "trained with another %s", what);
  } else if (strcmp(bet_net_arch(*net)->name, job->arch_name) != 0) {
    if (strict)
      return job_error(job, "--resume: %s: trained as --arch %s, not %s", path,
                       bet_net_arch(*net)->name, job->arch_name);
    snprintf(why, sizeof why, "trained as --arch %s, not %s", bet_net_arch(*net)->name,
             job->arch_name);
  } else if (!strict && bet_net_epoch(*net) > job->params->epochs) {
    snprintf(why, sizeof why, "holds epoch %u, past the %u to train", bet_net_epoch(*net),
             job->params->epochs);
  } else {
    fprintf(stderr, "rramsim %s: %s%sresuming from %s after epoch %u\n", job->cmd,
            job->name ? job->name : "", job->name ? ": " : "", path, bet_net_epoch(*net));
    return 1;
  }
  fprintf(stderr, "rramsim %s: %s%signoring unusable checkpoint %s (%s)\n", job->cmd,
          job->name ? job->name : "", job->name ? ": " : "", path, why);
  bet_net_free(*net);
  *net = NULL;
  return 1;
}

/* Every log line starts `{"epoch":E,`: trim_log reads that prefix, cli_train_run writes it. */
#define LOG_EPOCH_FMT "{\"epoch\":%u"

/* On resume, keeps only the log lines of epochs the checkpoint holds (complete lines whose "epoch"
 * is at most `epoch`): the log line of an epoch is written before its checkpoint, so a kill in
 * between, or inside the write, would otherwise leave a line that the resumed run writes again.
 * Rewrites the log through a temp file + rename. Returns 0 and prints the error on failure. */
static int trim_log(const cli_train_job *job, uint32_t epoch) {
  const char *path = job->log_path;
  FILE *f = NULL;
  if (bnn_input_fopen(path, 0, &f, NULL) != BNN_OK)
    return errno == ENOENT ? 1 : job_error(job, "%s", bnn_errmsg());
  bnn_atomic_file af;
  FILE *o = bnn_atomic_open(&af, path) == BNN_OK ? af.f : NULL;
  char line[8192];
  int ok = o != NULL;
  while (ok && fgets(line, sizeof line, f)) {
    const size_t n = strlen(line);
    unsigned e = 0;
    if (n && line[n - 1] == '\n' && sscanf(line, LOG_EPOCH_FMT ",", &e) == 1 && e <= epoch)
      ok = fputs(line, o) >= 0;
  }
  ok = ok && !ferror(f);
  fclose(f);
  if (o && ok) {
    ok = bnn_atomic_commit(&af) == BNN_OK;
  } else if (o) {
    bnn_atomic_abort(&af);
  }
  if (!ok)
    return job_error(job, "%s: cannot rewrite the log to resume from the checkpoint: %s", path,
                     strerror(errno));
  return 1;
}

/* ---- the run ------------------------------------------------------------------------------------
 */

/* Whether the architecture fits the engine and the model file (widths, fan-in, weight bytes):
 * checked before any training, which would otherwise run (and checkpoint) to the export and fail
 * there. */
static int exportable(const cli_train_job *job) {
  bnn_layer_kind kinds[2 * BET_MAX_LAYERS];
  uint32_t n_out[2 * BET_MAX_LAYERS];
  uint32_t n = 0;
  for (uint32_t i = 0; i < job->arch->n_layers; ++i) {
    const bet_layer_spec *l = &job->arch->layers[i];
    kinds[n] = l->kind == BET_CONV3X3 ? BNN_LAYER_CONV3X3 : BNN_LAYER_DENSE;
    n_out[n++] = l->n_out;
    if (l->kind == BET_CONV3X3 && l->pool) {
      kinds[n] = BNN_LAYER_MAXPOOL2;
      n_out[n++] = 0;
    }
  }
  if (bnn_model_check_shape(job->train->c, job->train->h, job->train->w, n, kinds, n_out) != BNN_OK)
    return job_error(job, "--arch %s: not a model the engine can hold: %s", job->arch_name,
                     bnn_errmsg());
  return 1;
}

int cli_train_run(const cli_train_job *job, cli_train_outcome *out) {
  const bet_train_params *p = job->params;
  const bnn_dataset *train = job->train, *test = job->test;
  bet_net *net = NULL;
  FILE *log = NULL;
  char *prov = NULL;
  int ok = 0;
  memset(out, 0, sizeof *out);
  /* What this run creates it removes again when it fails (a kill -9 leaves the checkpoint and
   * log to resume from; a reported failure leaves no half-made run behind). */
  const int log_existed = access(job->log_path, F_OK) == 0;
  const int ckpt_existed = access(job->ckpt_path, F_OK) == 0;
  /* One run per log (and so per checkpoint): a second run on the same --out would interleave
   * its epochs with ours. The lock lives as long as this descriptor. */
  const int lock_fd = open(job->log_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0) {
    job_error(job, "%s: cannot open the log: %s", job->log_path, strerror(errno));
    return 0;
  }
  if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    job_error(job,
              "%s: another rramsim is training into it (locked); wait for it or use another "
              "--out",
              job->log_path);
    close(lock_fd);
    return 0;
  }
  /* `--resume` without a checkpoint is an error (the loader names the file and why), not a
   * fresh start: the user asked to continue a run and must learn that there is none.
   * `experiment` resumes only what it finds. */
  if ((job->resume == CLI_TRAIN_RESUME ||
       (job->resume == CLI_TRAIN_RESUME_IF_USABLE && access(job->ckpt_path, F_OK) == 0)) &&
      !load_checkpoint(job, &net))
    goto done;
  out->resumed = net != NULL;
  if (!net && !exportable(job)) goto done;
  if (!cli_blas_reserve(job->cmd, p->threads)) goto done;
  if (!net && bet_net_create(&net, job->arch, train->c, train->h, train->w, train->n_classes,
                             p->seed) != BNN_OK) {
    job_error(job, "--arch %s: %s", job->arch_name, bnn_errmsg());
    goto done;
  }
  if (out->resumed && !trim_log(job, bet_net_epoch(net))) goto done;
  log = fopen(job->log_path, out->resumed ? "a" : "w");
  if (!log) {
    job_error(job, "%s: cannot open the log: %s", job->log_path, strerror(errno));
    goto done;
  }
  progress_ctx pc;
  memset(&pc, 0, sizeof pc);
  pc.job = job;
  const double t_start = cli_now();
  int have_acc = 0;
  while (bet_net_epoch(net) < p->epochs) {
    bet_epoch_stats st;
    const double t0 = cli_now();
    if (bet_train_epoch(net, train, p, on_batch, &pc, &st) != BNN_OK) {
      job_error(job, "training: %s", bnn_errmsg());
      goto done;
    }
    st.seconds = cli_now() - t0; /* bet_train_epoch leaves the timing to its caller */
    if (job->eval_each_epoch) {
      if (bet_evaluate(net, test, p->threads, 0.0, 0, 0, NULL, NULL, &out->test_acc) != BNN_OK) {
        job_error(job, "evaluation: %s", bnn_errmsg());
        goto done;
      }
      have_acc = 1;
    }
    cli_train_epoch e;
    e.epoch = bet_net_epoch(net);
    e.st = &st;
    e.test_acc = job->eval_each_epoch ? out->test_acc : 0.0;
    e.net = net;
    fprintf(log, LOG_EPOCH_FMT, e.epoch);
    if (!job->on_epoch(job->ud, log, &e)) goto done;
    fprintf(log, "}\n");
    if (fflush(log) != 0) {
      job_error(job, "%s: write failed: %s", job->log_path, strerror(errno));
      goto done;
    }
    if (bet_checkpoint_save(net, p, job->ckpt_path) != BNN_OK) {
      job_error(job, "checkpoint: %s", bnn_errmsg());
      goto done;
    }
  }
  if (!have_acc &&
      bet_evaluate(net, test, p->threads, 0.0, 0, 0, NULL, NULL, &out->test_acc) != BNN_OK) {
    job_error(job, "evaluation: %s", bnn_errmsg());
    goto done;
  }
  out->seconds = cli_now() - t_start;
  prov = job->provenance(job->ud, out->test_acc);
  if (!prov) {
    job_error(job, "out of memory");
    goto done;
  }
  if (bet_export(net, prov, job->out_path) != BNN_OK) {
    job_error(job, "%s%s%s: %s", job->out_opt ? job->out_opt : "", job->out_opt ? " " : "",
              job->out_path, bnn_errmsg());
    goto done;
  }
  ok = 1;
done:
  if (log) fclose(log);
  if (!ok && !log_existed) remove(job->log_path);
  if (!ok && !ckpt_existed) remove(job->ckpt_path);
  close(lock_fd);
  bet_net_free(net);
  free(prov);
  return ok;
}
