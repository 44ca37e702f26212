/* cmd_train.c — `rramsim train`: trains a BNN with libbet (optionally flip-aware), evaluates it
 * each epoch, checkpoints atomically, logs JSON lines and exports the engine's model file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bet/bet.h"
#include "bnn/data.h"
#include "cli.h"
#include "commands.h"
#include "train_run.h"

#define CMD      "train"
#define MAX_BERS 32

static void usage(FILE *f) {
  fprintf(
      f,
      "usage: rramsim train --arch ARCH --data DATA --out FILE [options]\n\n"
      "Trains a binarized neural network (latent float weights, sign + straight-through\n"
      "estimator, batch norm, Adam), optionally with bit flips injected into the binarized\n"
      "weights on every forward pass, and exports it as an engine model file.\n\n"
      "  --arch A          fcnn (784-2048-2048-10) | vgg3 | vgg7 | widths IN-H1-..-OUT\n"
      "  --data D          fashion-mnist | mnist | cifar10 | a directory with IDX/CIFAR files\n"
      "  --out FILE        model file to write (atomically)\n"
      "  --epochs E        total epochs (10)\n"
      "  --batch B         images per step (256)\n"
      "  --lr LR           Adam learning rate (1e-3)\n"
      "  --step-size S     multiply the learning rate by --gamma every S epochs (25; 0 = never)\n"
      "  --gamma G         step decay factor (0.5)\n"
      "  --loss L          ce (cross-entropy on scaled scores) | mhl (modified hinge loss)\n"
      "  --mhl-b B         MHL margin b in integer score units (128)\n"
      "  --flip-p P        flip each binarized weight with probability P per forward pass (0)\n"
      "  --flip-grad M     sign (gradient of a flipped weight × -1) | straight (unchanged)\n"
      "  --flip-layers L   all | hidden | comma list of weight-layer indices (all)\n"
      "  --reg-margin L    margin regularizer weight lambda >= 0 (0 = off): adds\n"
      "                    L * mean(max(0, b - |a - tau|/sqrt(n))) over the hidden neurons\n"
      "                    after the first layer (a pre-activation, tau batch-norm switch\n"
      "                    point, n fan-in; see docs/metrics.md)\n"
      "  --reg-b B         margin b of that hinge, > 0 (1.0)\n"
      "  --reg-layers R    hidden (default): the hinge on the hidden layers after the\n"
      "                    first | all: on the first too, as |a - tau|/sqrt(sum x^2) over\n"
      "                    its pixel inputs x (the 8-bit form; docs/metrics.md)\n"
      "  --input-range R   01 (default): pixels p as p/255 in [0, 1] | pm1: 2p/255 - 1 in\n"
      "                    [-1, 1]; either way the model file takes the raw pixels (pm1:\n"
      "                    the file stores the offset 127.5, model format 3, and the engine\n"
      "                    takes the first layer's offset term from the weights it reads,\n"
      "                    faulty ones included; pm1 needs a dense first layer)\n"
      "  --eval-ber LIST   also evaluate at these weight BERs after each epoch (e.g. 0.01,0.03)\n"
      "  --clip-all        clip batch-norm gamma/beta and the output scale to [-1, 1] too\n"
      "  --bn-stats S      batch-norm statistics for evaluation and export: running\n"
      "                    (exponential averages over the training batches, PyTorch's\n"
      "                    eval mode; default) | train-set (re-estimated exactly over the\n"
      "                    training set after every epoch, with weights flipped at\n"
      "                    --flip-p as in training; same weights, less lag)\n"
      "  --seed S          seed of init, shuffling and flips (1)\n"
      "  --threads T       OpenBLAS and libbet threads, 1..256 (1: unlike the other commands'\n"
      "                    default, as the float weights of the checkpoint differ in their last\n"
      "                    bits between thread counts)\n"
      "  --checkpoint F    checkpoint written after every epoch (FILE.ckpt)\n"
      "  --resume          continue from the checkpoint (same options required)\n"
      "  --log F           JSON-lines log, one object per epoch (FILE.log.jsonl)\n"
      "  --train-limit N   use only the first N training images (0 = all)\n"
      "  --test-limit N    use only the first N test images (0 = all)\n"
      "  --quiet           no progress bar / periodic lines on stderr\n"
      "  --no-progress     deprecated spelling of --quiet (accepted for one release, with a\n"
      "                    warning)\n"
      "  --help            this text\n");
}

static int parse_flip_layers(const char *s, uint32_t n_layers, uint64_t *mask) {
  if (!strcmp(s, "all")) {
    *mask = ~(uint64_t)0;
    return 1;
  }
  if (!strcmp(s, "hidden")) {
    *mask = n_layers >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << n_layers) - 1);
    *mask &= ~((uint64_t)1 << (n_layers - 1));
    return 1;
  }
  uint64_t m = 0;
  const char *p = s;
  while (*p) {
    char *end = NULL;
    errno = 0;
    const unsigned long v = strtoul(p, &end, 10);
    if (end == p || errno || v >= n_layers || (*end && *end != ',')) {
      cli_usage_error(CMD,
                      "--flip-layers: expected all, hidden or a comma list of weight-layer indices "
                      "in [0, %u], got '%s'",
                      n_layers - 1, s);
      return 0;
    }
    m |= (uint64_t)1 << v;
    p = *end ? end + 1 : end;
  }
  if (!m) {
    cli_usage_error(CMD, "--flip-layers: empty list");
    return 0;
  }
  *mask = m;
  return 1;
}

/* The provenance JSON the model file carries, built with jansson: strings escaped (a path with a
 * quote stays valid JSON), reals as jansson writes them (%.17g, always with a '.' or an exponent),
 * the seed exact (cli_json_u64), the clean accuracy rounded to 6 decimals. malloc'd; NULL when out
 * of memory. */
static char *provenance_json(const bet_train_params *p, const char *arch, const char *data,
                             const bnn_dataset *train, const bnn_dataset *test, uint32_t epochs,
                             double test_acc, const char *flip_layers) {
  json_t *o = json_pack(
      "{s:s, s:o, s:o, s:o, s:o, s:I, s:o, s:I, s:I, s:I, s:f, s:I, s:f, s:s, s:f, s:f, s:s, s:o,"
      " s:b, s:f, s:f, s:f, s:f, s:s, s:s, s:o, s:o}",
      "tool", "rramsim train", "version", cli_json_string(cli_version()), "arch",
      cli_json_string(arch), "data", cli_json_string(data), "train_set",
      cli_json_string(train->name), "train_images", (json_int_t)train->n, "test_set",
      cli_json_string(test->name), "test_images", (json_int_t)test->n, "epochs", (json_int_t)epochs,
      "batch", (json_int_t)p->batch, "lr", p->lr, "step_size", (json_int_t)p->step_size, "gamma",
      p->gamma, "loss", bet_loss_str(p->loss), "mhl_b", p->mhl_b, "flip_p", p->flip_p, "flip_grad",
      bet_flip_grad_str(p->flip_grad), "flip_layers", cli_json_string(flip_layers), "clip_all",
      p->clip_all ? 1 : 0, "reg_margin", p->reg_margin, "reg_b", p->reg_b, "bn_momentum",
      p->bn_momentum, "bn_eps", p->bn_eps, "bn_stats", bet_bn_stats_str(p->bn_stats), "input_range",
      bet_input_range_str(p->input_range), "seed", cli_json_u64(p->seed), "clean_test_accuracy",
      cli_json_real(test_acc, 6, 0));
  return cli_json_text(o, JSON_COMPACT);
}

/* What train_run calls back: the epoch's log fields and stderr line, and the provenance. */
typedef struct train_ctx {
  const bet_train_params *p;
  const bnn_dataset *train, *test;
  const double *bers;
  size_t n_bers;
  const char *arch, *data, *flip_layers;
} train_ctx;

static int on_epoch(void *ud, FILE *log, const cli_train_epoch *e) {
  const train_ctx *c = (const train_ctx *)ud;
  const bet_train_params *p = c->p;
  const bet_epoch_stats *st = e->st;
  fprintf(log,
          ",\"epochs\":%u,\"lr\":%.9g,\"loss\":%.6f,\"train_accuracy\":%.6f,"
          "\"test_accuracy\":%.6f,\"seconds\":%.3f,\"images_per_s\":%.1f,\"flips\":%llu,"
          "\"reg_margin\":%.17g,\"reg_b\":%.17g,\"reg_penalty\":%.6g",
          p->epochs, st->lr, st->loss, st->train_acc, e->test_acc, st->seconds,
          (double)c->train->n / st->seconds, (unsigned long long)st->flips, p->reg_margin, p->reg_b,
          st->reg_penalty);
  fprintf(stderr, "epoch %u/%u: loss %.4f  train %.2f%%  test %.2f%%  %.2f s (%.0f img/s)",
          e->epoch, p->epochs, st->loss, 100.0 * st->train_acc, 100.0 * e->test_acc, st->seconds,
          (double)c->train->n / st->seconds);
  if (p->reg_margin > 0.0) fprintf(stderr, "  (margin penalty %.4f)", st->reg_penalty);
  if (c->n_bers) {
    fprintf(log, ",\"ber_accuracy\":{");
    for (size_t b = 0; b < c->n_bers; ++b) {
      double a = 0.0;
      if (bet_evaluate(e->net, c->test, p->threads, c->bers[b], p->flip_layers, p->seed + e->epoch,
                       NULL, NULL, &a) != BNN_OK) {
        cli_error(CMD, "evaluation at BER %g: %s", c->bers[b], bnn_errmsg());
        return 0;
      }
      fprintf(log, "%s\"%g\":%.6f", b ? "," : "", c->bers[b], a);
      fprintf(stderr, "  BER %g: %.2f%%", c->bers[b], 100.0 * a);
    }
    fprintf(log, "}");
  }
  fprintf(stderr, "\n");
  return 1;
}

static char *train_provenance(void *ud, double test_acc) {
  const train_ctx *c = (const train_ctx *)ud;
  return provenance_json(c->p, c->arch, c->data, c->train, c->test, c->p->epochs, test_acc,
                         c->flip_layers);
}

/* train's options (cli_parse_options' handler fills them). */
typedef struct train_opts {
  bet_train_params p;
  const char *arch_s, *data, *out, *ckpt_opt, *log_opt, *flip_layers_s, *bers_s;
  int resume, clip_all, quiet;
  uint64_t train_limit, test_limit;
} train_opts;

static cli_opt_result train_option(void *ud, const char *a, const char *v) {
  train_opts *t = (train_opts *)ud;
  uint64_t u = 0;
  int iv = 0;
  if (!a) return CLI_OPT_UNKNOWN; /* no positional arguments */
  if (!strcmp(a, "--resume"))
    t->resume = 1;
  else if (!strcmp(a, "--clip-all"))
    t->clip_all = 1;
  else if (!strcmp(a, "--quiet"))
    t->quiet = 1;
  else if (!strcmp(a, "--arch"))
    t->arch_s = v;
  else if (!strcmp(a, "--data"))
    t->data = v;
  else if (!strcmp(a, "--out"))
    t->out = v;
  else if (!strcmp(a, "--checkpoint"))
    t->ckpt_opt = v;
  else if (!strcmp(a, "--log"))
    t->log_opt = v;
  else if (!strcmp(a, "--flip-layers"))
    t->flip_layers_s = v;
  else if (!strcmp(a, "--eval-ber"))
    t->bers_s = v;
  else if (!strcmp(a, "--epochs")) {
    if (!cli_parse_u64(CMD, a, v, 1, 100000, &u)) return CLI_OPT_BAD;
    t->p.epochs = (uint32_t)u;
  } else if (!strcmp(a, "--batch")) {
    if (!cli_parse_u64(CMD, a, v, 1, 65536, &u)) return CLI_OPT_BAD;
    t->p.batch = (uint32_t)u;
  } else if (!strcmp(a, "--lr")) {
    if (!cli_parse_double(CMD, a, v, 1e-12, 10.0, &t->p.lr)) return CLI_OPT_BAD;
  } else if (!strcmp(a, "--step-size")) {
    if (!cli_parse_u64(CMD, a, v, 0, 100000, &u)) return CLI_OPT_BAD;
    t->p.step_size = (uint32_t)u;
  } else if (!strcmp(a, "--gamma")) {
    if (!cli_parse_double(CMD, a, v, 1e-12, 1.0, &t->p.gamma)) return CLI_OPT_BAD;
  } else if (!strcmp(a, "--loss")) {
    if (!strcmp(v, "ce"))
      t->p.loss = BET_LOSS_CE;
    else if (!strcmp(v, "mhl"))
      t->p.loss = BET_LOSS_MHL;
    else
      return cli_usage_error(CMD, "--loss: expected ce or mhl, got '%s'", v), CLI_OPT_BAD;
  } else if (!strcmp(a, "--mhl-b")) {
    if (!cli_parse_double(CMD, a, v, 1e-6, 1e6, &t->p.mhl_b)) return CLI_OPT_BAD;
  } else if (!strcmp(a, "--reg-margin")) {
    if (!cli_parse_double(CMD, a, v, 0.0, 1e6, &t->p.reg_margin)) return CLI_OPT_BAD;
  } else if (!strcmp(a, "--reg-b")) {
    if (!cli_parse_double(CMD, a, v, 0.0, 1e6, &t->p.reg_b)) return CLI_OPT_BAD;
    if (!(t->p.reg_b > 0.0))
      return cli_usage_error(CMD, "--reg-b: must be > 0, got '%s'", v), CLI_OPT_BAD;
  } else if (!strcmp(a, "--flip-p")) {
    if (!cli_parse_double(CMD, a, v, 0.0, 0.5, &t->p.flip_p)) return CLI_OPT_BAD;
  } else if (!strcmp(a, "--flip-grad")) {
    if (!strcmp(v, "sign"))
      t->p.flip_grad = BET_FLIP_GRAD_SIGN;
    else if (!strcmp(v, "straight"))
      t->p.flip_grad = BET_FLIP_GRAD_STRAIGHT;
    else
      return cli_usage_error(CMD, "--flip-grad: expected sign or straight, got '%s'", v),
             CLI_OPT_BAD;
  } else if (!strcmp(a, "--reg-layers")) {
    if (!strcmp(v, "hidden"))
      t->p.reg_layers = BET_REG_HIDDEN;
    else if (!strcmp(v, "all"))
      t->p.reg_layers = BET_REG_ALL;
    else
      return cli_usage_error(CMD, "--reg-layers: expected hidden or all, got '%s'", v), CLI_OPT_BAD;
  } else if (!strcmp(a, "--input-range")) {
    if (!strcmp(v, "01"))
      t->p.input_range = BET_INPUT_01;
    else if (!strcmp(v, "pm1"))
      t->p.input_range = BET_INPUT_PM1;
    else
      return cli_usage_error(CMD, "--input-range: expected 01 or pm1, got '%s'", v), CLI_OPT_BAD;
  } else if (!strcmp(a, "--bn-stats")) {
    if (!strcmp(v, "running"))
      t->p.bn_stats = BET_BN_RUNNING;
    else if (!strcmp(v, "train-set"))
      t->p.bn_stats = BET_BN_TRAIN_SET;
    else
      return cli_usage_error(CMD, "--bn-stats: expected running or train-set, got '%s'", v),
             CLI_OPT_BAD;
  } else if (!strcmp(a, "--seed")) {
    if (!cli_parse_u64(CMD, a, v, 0, UINT64_MAX, &t->p.seed)) return CLI_OPT_BAD;
  } else if (!strcmp(a, "--threads")) {
    if (!cli_parse_int(CMD, a, v, 1, 256, &iv)) return CLI_OPT_BAD;
    t->p.threads = iv;
  } else if (!strcmp(a, "--train-limit")) {
    if (!cli_parse_u64(CMD, a, v, 0, UINT32_MAX, &t->train_limit)) return CLI_OPT_BAD;
  } else if (!strcmp(a, "--test-limit")) {
    if (!cli_parse_u64(CMD, a, v, 0, UINT32_MAX, &t->test_limit)) return CLI_OPT_BAD;
  } else {
    return CLI_OPT_UNKNOWN;
  }
  return CLI_OPT_TAKEN;
}

int cli_cmd_train(int argc, char **argv) {
  static const cli_option table[] = {{"arch", 1, NULL, NULL},
                                     {"data", 1, NULL, NULL},
                                     {"out", 1, NULL, NULL},
                                     {"checkpoint", 1, NULL, NULL},
                                     {"log", 1, NULL, NULL},
                                     {"flip-layers", 1, NULL, NULL},
                                     {"eval-ber", 1, NULL, NULL},
                                     {"epochs", 1, NULL, NULL},
                                     {"batch", 1, NULL, NULL},
                                     {"lr", 1, NULL, NULL},
                                     {"step-size", 1, NULL, NULL},
                                     {"gamma", 1, NULL, NULL},
                                     {"loss", 1, NULL, NULL},
                                     {"mhl-b", 1, NULL, NULL},
                                     {"reg-margin", 1, NULL, NULL},
                                     {"reg-b", 1, NULL, NULL},
                                     {"flip-p", 1, NULL, NULL},
                                     {"flip-grad", 1, NULL, NULL},
                                     {"bn-stats", 1, NULL, NULL},
                                     {"reg-layers", 1, NULL, NULL},
                                     {"input-range", 1, NULL, NULL},
                                     {"seed", 1, NULL, NULL},
                                     {"threads", 1, NULL, NULL},
                                     {"train-limit", 1, NULL, NULL},
                                     {"test-limit", 1, NULL, NULL},
                                     {"resume", 0, NULL, NULL},
                                     {"clip-all", 0, NULL, NULL},
                                     {"quiet", 0, NULL, NULL},
                                     {"no-progress", 0, NULL, "quiet"},
                                     {NULL, 0, NULL, NULL}};
  train_opts t;
  memset(&t, 0, sizeof t);
  t.p = bet_train_default_params();
  /* Not cli_default_threads(): OpenBLAS's float sums, and so the latent weights in the
   * checkpoint, differ in their last bits between thread counts; a default of 1 keeps a plain
   * `rramsim train` reproducible on any machine. */
  t.flip_layers_s = "all";
  int rc = CLI_EXIT_OK;
  if (!cli_parse_options(CMD, argc, argv, 1, table, train_option, &t, usage, &rc)) return rc;
  bet_train_params p = t.p;
  p.clip_all = p.clip_all || t.clip_all;
  const char *arch_s = t.arch_s, *data = t.data, *out = t.out, *ckpt_opt = t.ckpt_opt,
             *log_opt = t.log_opt, *flip_layers_s = t.flip_layers_s, *bers_s = t.bers_s;
  const int resume = t.resume, progress = !t.quiet;
  const uint64_t train_limit = t.train_limit, test_limit = t.test_limit;
  if (!arch_s) return cli_usage_error(CMD, "--arch is required");
  if (!data) return cli_usage_error(CMD, "--data is required");
  if (!out) return cli_usage_error(CMD, "--out is required");
  if (bet_train_params_check(&p) != BNN_OK) return cli_usage_error(CMD, "%s", bnn_errmsg());
  double *bers = NULL;
  size_t n_bers = 0;
  if (bers_s && !cli_parse_range(CMD, "--eval-ber", bers_s, 0.0, 0.5, MAX_BERS, &bers, &n_bers))
    return CLI_EXIT_USAGE;

  rc = CLI_EXIT_FAIL;
  bnn_dataset train, test;
  memset(&train, 0, sizeof train);
  memset(&test, 0, sizeof test);
  char *ckpt = NULL, *logp = NULL;
  const size_t olen = strlen(out);
  ckpt = (char *)malloc(olen + 32);
  logp = (char *)malloc(olen + 32);
  if (!ckpt || !logp) {
    cli_error(CMD, "out of memory");
    goto done;
  }
  snprintf(ckpt, olen + 32, "%s.ckpt", out);
  snprintf(logp, olen + 32, "%s.log.jsonl", out);
  const char *ckpt_path = ckpt_opt ? ckpt_opt : ckpt;
  const char *log_path = log_opt ? log_opt : logp;

  if (bnn_dataset_open(&train, data, "train", (uint32_t)train_limit) != BNN_OK) {
    cli_error(CMD, "--data %s: %s", data, bnn_errmsg());
    goto done;
  }
  if (bnn_dataset_open(&test, data, "test", (uint32_t)test_limit) != BNN_OK) {
    cli_error(CMD, "--data %s: %s", data, bnn_errmsg());
    goto done;
  }
  bet_arch arch;
  if (bet_arch_parse(arch_s, train.n_classes, &arch) != BNN_OK) {
    rc = cli_usage_error(CMD, "--arch: %s", bnn_errmsg());
    goto done;
  }
  if (p.reg_margin > 0.0 && arch.n_layers < 3) {
    rc = cli_usage_error(CMD,
                         "--reg-margin: --arch %s has no hidden layer after the first (the "
                         "regularizer acts on hidden layers with ±1 inputs)",
                         arch_s);
    goto done;
  }
  uint64_t flip_mask = 0;
  if (!parse_flip_layers(flip_layers_s, arch.n_layers, &flip_mask)) {
    rc = CLI_EXIT_USAGE;
    goto done;
  }
  p.flip_layers = flip_mask;

  train_ctx tc = {&p, &train, &test, bers, n_bers, arch_s, data, flip_layers_s};
  cli_train_job job;
  memset(&job, 0, sizeof job);
  job.cmd = CMD;
  job.arch_name = arch_s;
  job.arch = &arch;
  job.params = &p;
  job.train = &train;
  job.test = &test;
  job.ckpt_path = ckpt_path;
  job.log_path = log_path;
  job.out_path = out;
  job.out_opt = "--out";
  job.resume = resume ? CLI_TRAIN_RESUME : CLI_TRAIN_FRESH;
  job.eval_each_epoch = 1;
  job.progress = progress;
  job.on_epoch = on_epoch;
  job.provenance = train_provenance;
  job.ud = &tc;
  cli_train_outcome res;
  if (!cli_train_run(&job, &res)) goto done;
  printf("trained %s on %s for %u epochs: test accuracy %.2f%% → %s\n", arch_s, data, p.epochs,
         100.0 * res.test_acc, out);
  rc = CLI_EXIT_OK;
done:
  bnn_dataset_free(&train);
  bnn_dataset_free(&test);
  free(bers);
  free(ckpt);
  free(logp);
  return rc;
}
