/* cmd_experiment.c — `rramsim experiment paper`: the options, the plan (the seed study's model set
 * on Fashion-MNIST and its keys) and the driver: every model trained or loaded and evaluated
 * (model.c, cached by cache.c), then the markdown report with plots (report.c, plots.c). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bet/bet.h"
#include "bnn/bnn.h"
#include "bnn/data.h"
#include "bnn/mc.h"
#include "bnn/durable.h"
#include "bnn/input.h"
#include "cli.h"
#include "commands.h"
#include "experiment.h"
#include "study.h"

static const char *const CMD = "experiment";

/* The study's test BERs (issue 4) and the two of Hirtzlin et al.'s claim. */
static const double k_main_bers[] = {0, 0.005, 0.01, 0.02, 0.033, 0.05, 0.075, 0.1};
static const double k_hirtzlin_bers[] = {1e-4, 4e-2};
static const double k_flip_ps[] = {0.01, 0.033, 0.05, 0.1};
static const double k_default_lambdas[] = {0.03, 0.1, 0.3};

static void usage(FILE *f) {
  fprintf(
      f,
      "usage: rramsim experiment paper [--quick] [options]\n"
      "       rramsim experiment study --design FILE.json [options]  (see 'experiment study "
      "--help')\n\n"
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
      "  --report FILE.md   markdown report; plots go to its directory/<FILE>/\n"
      "                     (OUT-DIR/paper.md; docs/results/paper.md is the study's report)\n"
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

/* ---- where it writes ------------------------------------------------------------------------
 * --out-dir and --report are checked before anything is created or computed (issue 14's output
 * discipline): an existing path of the wrong kind, a parent that is not a directory or where
 * nothing can be created is one error line naming the option, and the run stops with nothing
 * written. The checks create nothing that stays: a directory that would be made is made and removed
 * again, files are probed in an existing one. The cache itself is kept after a failed run on
 * purpose (a re-run reuses it).
 */

/* Whether `path` (named by option `opt` as `val`) is absent or of the file type `want`
 * (S_IFREG/S_IFDIR). Prints the error and returns 0 otherwise. */
static int kind_ok(const char *opt, const char *val, const char *path, mode_t want) {
  struct stat st;
  if (stat(path, &st) != 0 || (st.st_mode & S_IFMT) == want) return 1;
  const char *sep = strcmp(val, path) ? ": " : "";
  cli_error(CMD, "%s %s: %s%sis a %s, not a %s", opt, val, strcmp(val, path) ? path : "", sep,
            bnn_file_kind(st.st_mode), want == S_IFDIR ? "directory" : "regular file");
  return 0;
}

/* Whether the directory `dir` exists or bnn_mkdirs can make it, and files can be created in it:
 * its nearest existing ancestor must be a directory; that ancestor's next component is made and
 * removed again, or, when `dir` exists, a file is created in it and removed. */
static int dir_writable(const char *opt, const char *val, const char *dir) {
  char cur[XP_PATH + 32], next[XP_PATH + 32];
  if (snprintf(cur, sizeof cur, "%s", dir) >= (int)sizeof cur)
    return cli_error(CMD, "%s %s: path too long", opt, val), 0;
  next[0] = '\0';
  struct stat st;
  for (;;) {
    size_t n = strlen(cur);
    while (n > 1 && cur[n - 1] == '/') cur[--n] = '\0';
    if (stat(cur, &st) == 0) break;
    if (errno != ENOENT && errno != ENOTDIR)
      return cli_error(CMD, "%s %s: %s: %s", opt, val, cur, strerror(errno)), 0;
    snprintf(next, sizeof next, "%s", cur);
    char *slash = strrchr(cur, '/');
    if (!slash)
      snprintf(cur, sizeof cur, ".");
    else
      slash[slash == cur ? 1 : 0] = '\0';
  }
  if (!kind_ok(opt, val, cur, S_IFDIR)) return 0;
  if (next[0]) {
    if (mkdir(next, 0777) != 0)
      return cli_error(CMD, "%s %s: cannot create %s: %s", opt, val, next, strerror(errno)), 0;
    rmdir(next);
    return 1;
  }
  char probe[XP_PATH + 64];
  snprintf(probe, sizeof probe, "%s/.rramsim-probe.%ld", cur, (long)getpid());
  const int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    return cli_error(CMD, "%s %s: cannot create files in %s: %s", opt, val, cur, strerror(errno)),
           0;
  close(fd);
  unlink(probe);
  return 1;
}

/* A path with its trailing slashes and leading "./" dropped, for comparing option values. */
static const char *plain(char *buf, size_t n, const char *p) {
  while (p[0] == '.' && p[1] == '/') p += 2;
  snprintf(buf, n, "%s", p);
  for (size_t k = strlen(buf); k > 1 && buf[k - 1] == '/';) buf[--k] = '\0';
  return buf;
}

/* All the checks on where experiment paper writes: CLI_EXIT_OK when it may start, else the exit
 * status of the error printed. */
static int outputs_check(const xp_run *run, const char *models_dir) {
  if (!kind_ok("--report", run->report, run->report, S_IFREG)) return CLI_EXIT_FAIL;
  char a[XP_PATH + 16], b[XP_PATH + 16];
  /* The report's name without .md is its plot directory: the two must differ, and the report must
   * not be the cache directory or its models directory. */
  if (!strcmp(plain(a, sizeof a, run->report), plain(b, sizeof b, run->plot_dir)))
    return cli_usage_error(CMD,
                           "--report %s: its plots would go to the directory %s/, the report's "
                           "own name; name the report FILE.md",
                           run->report, run->plot_dir);
  if (!strcmp(a, plain(b, sizeof b, run->out_dir)) || !strcmp(a, plain(b, sizeof b, models_dir)))
    return cli_usage_error(CMD, "--report %s: is the cache directory (--out-dir %s); name a file",
                           run->report, run->out_dir);
  /* (Not through cli_output_claim: a failed run still writes its report, listing what is
   * missing, and the claim would remove it.) */
  struct stat sn, sr;
  if (run->notes && stat(run->notes, &sn) == 0 && stat(run->report, &sr) == 0 &&
      sn.st_dev == sr.st_dev && sn.st_ino == sr.st_ino)
    return cli_error(CMD, "--report %s: is also an input (--notes %s); refusing to overwrite it",
                     run->report, run->notes);
  char parent[XP_PATH], runs[XP_PATH + 16];
  const char *slash = strrchr(run->report, '/');
  snprintf(parent, sizeof parent, "%.*s",
           slash ? (int)(slash - run->report + (slash == run->report)) : 1,
           slash ? run->report : ".");
  snprintf(runs, sizeof runs, "%s/runs.tsv", run->out_dir);
  const int ok = kind_ok("--out-dir", run->out_dir, run->out_dir, S_IFDIR) &&
                 dir_writable("--out-dir", run->out_dir, models_dir) &&
                 kind_ok("--out-dir", run->out_dir, runs, S_IFREG) &&
                 dir_writable("--report", run->report, parent) &&
                 dir_writable("--report", run->report, run->plot_dir);
  return ok ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* ---- small helpers ----------------------------------------------------------------------------
 */

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
               xp_fnv1a(m->key)) >= (int)sizeof m->stem)
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
      cli_error(CMD, "%s: %s", run->models[i].id, bnn_errmsg());
      return 0;
    }
  return 1;
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
    return cli_usage_error(CMD, "--lambdas: expected a comma list, got '%s'", v), 0;
  if (!cli_parse_range(CMD, "--lambdas", v, 1e-9, 1e6, XP_MAX_LAMBDAS, &vals, &n)) return 0;
  if (n == 0) {
    free(vals);
    return cli_usage_error(CMD, "--lambdas: empty list"), 0;
  }
  for (size_t i = 0; i < n; ++i) run->lambdas[i] = vals[i];
  run->n_lambdas = n;
  free(vals);
  return 1;
}

/* experiment's options: the run plus what cli_cmd_experiment needs to fill in defaults. */
typedef struct xp_opts {
  xp_run *run;
  const char *name;
  int have_epochs, have_vgg, have_reps, have_train, have_test, have_metric, have_vgg_train;
  int notes_failed; /* --notes names an unreadable file: a runtime error (exit 1), not usage */
  uint64_t u;
} xp_opts;

static cli_opt_result experiment_option(void *ud, const char *a, const char *v) {
  xp_opts *x = (xp_opts *)ud;
  xp_run *run = x->run;
  int ok = 1;
  if (!a) {
    if (x->name) return CLI_OPT_UNKNOWN; /* "unexpected argument" */
    x->name = v;
    return CLI_OPT_TAKEN;
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
      return cli_usage_error(CMD, "%s: expected a path of 1 to %zu characters", a, cap - 1),
             CLI_OPT_BAD;
  } else if (!strcmp(a, "--data"))
    run->data = v;
  else if (!strcmp(a, "--notes")) {
    if (access(v, R_OK) != 0) {
      cli_error(CMD, "--notes %s: %s", v, strerror(errno));
      x->notes_failed = 1;
      return CLI_OPT_BAD;
    }
    run->notes = v;
  } else if (!strcmp(a, "--epochs"))
    ok = cli_parse_u64(CMD, a, v, 1, 1000, &x->u), run->epochs = (uint32_t)x->u, x->have_epochs = 1;
  else if (!strcmp(a, "--vgg-epochs"))
    ok = cli_parse_u64(CMD, a, v, 1, 1000, &x->u), run->vgg_epochs = (uint32_t)x->u,
    x->have_vgg = 1;
  else if (!strcmp(a, "--reps"))
    ok = cli_parse_u64(CMD, a, v, 1, 10000, &run->reps), x->have_reps = 1;
  else if (!strcmp(a, "--train-limit"))
    ok = cli_parse_u64(CMD, a, v, 0, UINT32_MAX, &x->u), run->train_limit = (uint32_t)x->u,
    x->have_train = 1;
  else if (!strcmp(a, "--vgg-train-limit"))
    ok = cli_parse_u64(CMD, a, v, 0, UINT32_MAX, &x->u), run->vgg_train_limit = (uint32_t)x->u,
    x->have_vgg_train = 1;
  else if (!strcmp(a, "--test-limit"))
    ok = cli_parse_u64(CMD, a, v, 0, UINT32_MAX, &x->u), run->test_limit = (uint32_t)x->u,
    x->have_test = 1;
  else if (!strcmp(a, "--metric-limit"))
    ok = cli_parse_u64(CMD, a, v, 1, UINT32_MAX, &x->u), run->metric_limit = (uint32_t)x->u,
    x->have_metric = 1;
  else if (!strcmp(a, "--seed"))
    ok = cli_parse_u64(CMD, a, v, 0, UINT64_MAX, &run->seed);
  else if (!strcmp(a, "--threads"))
    ok = cli_parse_int(CMD, a, v, 1, 256, &run->threads);
  else if (!strcmp(a, "--lambdas"))
    ok = parse_lambdas(run, v);
  else if (!strcmp(a, "--reg-b"))
    ok = cli_parse_double(CMD, a, v, 1e-6, 1e6, &run->reg_b);
  else if (!strcmp(a, "--vgg-flip-grad")) {
    if (!strcmp(v, "sign"))
      run->vgg_grad = BET_FLIP_GRAD_SIGN;
    else if (!strcmp(v, "straight"))
      run->vgg_grad = BET_FLIP_GRAD_STRAIGHT;
    else
      return cli_usage_error(CMD, "--vgg-flip-grad: expected sign or straight, got '%s'", v),
             CLI_OPT_BAD;
  } else if (!strcmp(a, "--bn-stats")) {
    if (!strcmp(v, "running"))
      run->bn_stats = BET_BN_RUNNING;
    else if (!strcmp(v, "train-set"))
      run->bn_stats = BET_BN_TRAIN_SET;
    else
      return cli_usage_error(CMD, "--bn-stats: expected running or train-set, got '%s'", v),
             CLI_OPT_BAD;
  } else
    return CLI_OPT_UNKNOWN;
  return ok ? CLI_OPT_TAKEN : CLI_OPT_BAD;
}

int cli_cmd_experiment(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "study")) return xp_cmd_study(argc, argv);
  static xp_run run_storage; /* ~100 kB of results: not on the stack */
  xp_run *run = &run_storage;
  memset(run, 0, sizeof *run);
  run->threads = cli_default_threads();
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
  static const cli_option opts[] = {{"quick", 0, NULL, NULL},
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
    int prc = CLI_EXIT_OK;
    if (!cli_parse_options(CMD, argc, argv, 1, opts, experiment_option, &x, usage, &prc))
      return x.notes_failed ? CLI_EXIT_FAIL : prc;
  }
  const char *name = x.name;
  const int have_epochs = x.have_epochs, have_vgg = x.have_vgg, have_reps = x.have_reps,
            have_train = x.have_train, have_test = x.have_test, have_metric = x.have_metric,
            have_vgg_train = x.have_vgg_train;
  if (!name) return cli_usage_error(CMD, "which experiment? (only 'paper' exists)");
  if (strcmp(name, "paper") != 0)
    return cli_usage_error(CMD, "unknown experiment '%s' (only 'paper' exists)", name);
  if (run->report_only && run->force)
    return cli_usage_error(CMD, "--report-only and --force contradict each other");
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
  if (!run->report[0] && snprintf(run->report, sizeof run->report, "%s", run->out_dir) >= 0 &&
      strlen(run->report) + 10 < sizeof run->report)
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
    if (stem == 0) return cli_usage_error(CMD, "--report '%s': needs a file name", run->report);
    if (snprintf(run->plot_rel, sizeof run->plot_rel, "%.*s", (int)stem, base) >=
            (int)sizeof run->plot_rel ||
        snprintf(run->plot_dir, sizeof run->plot_dir, "%.*s%s",
                 slash ? (int)(slash - run->report + 1) : 0, run->report,
                 run->plot_rel) >= (int)sizeof run->plot_dir)
      return cli_usage_error(CMD, "--report '%s': path too long", run->report);
  }
  if (!build_plan(run)) return CLI_EXIT_USAGE;

  run->t_start = cli_now();
  {
    time_t now = time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(run->started_utc, sizeof run->started_utc, "%Y-%m-%d %H:%M UTC", &tmv);
  }
  xp_sample_load(run);
  char models_dir[XP_PATH + 16];
  if (snprintf(models_dir, sizeof models_dir, "%s/models", run->out_dir) >= (int)sizeof models_dir)
    return cli_usage_error(CMD, "--out-dir '%s': path too long", run->out_dir);
  const int out_rc = outputs_check(run, models_dir);
  if (out_rc != CLI_EXIT_OK) return out_rc;
  if (bnn_mkdirs(models_dir) != BNN_OK)
    return cli_error(CMD, "--out-dir %s: cannot create %s: %s", run->out_dir, models_dir,
                     strerror(errno));
  if (bnn_mkdirs(run->plot_dir) != BNN_OK)
    return cli_error(CMD, "--report %s: cannot create the plot directory %s: %s", run->report,
                     run->plot_dir, strerror(errno));

  int rc = CLI_EXIT_OK;
  bnn_dataset train, test, mds;
  memset(&train, 0, sizeof train);
  memset(&test, 0, sizeof test);
  memset(&mds, 0, sizeof mds);
  if (bnn_dataset_open(&train, run->data, "train", run->train_limit) != BNN_OK) {
    rc = cli_error(CMD, "--data %s: %s", run->data, bnn_errmsg());
    goto done;
  }
  if (bnn_dataset_open(&test, run->data, "test", run->test_limit) != BNN_OK ||
      bnn_dataset_open(&mds, run->data, "test", run->metric_limit) != BNN_OK) {
    rc = cli_error(CMD, "--data %s: %s", run->data, bnn_errmsg());
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
  for (size_t oi = 0; oi < n_order && rc == CLI_EXIT_OK; ++oi) {
    const size_t i = order[oi];
    xp_model *md = &run->models[i];
    md->trained = !run->force && xp_meta_load(md);
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
      if (!xp_train_model(run, md, &view, &test)) {
        rc = CLI_EXIT_FAIL;
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
      rc = cli_error(CMD, "%s", bnn_errmsg());
      break;
    }
    if (!xp_eval_mc(run, md, m, &test) && !run->report_only) rc = CLI_EXIT_FAIL;
    /* C3 correlates metrics across the FCNNs only; VGG3's (conv) metrics would cost minutes. */
    if (rc == CLI_EXIT_OK && md->is_fcnn && !xp_eval_metric(run, md, m, &mds) && !run->report_only)
      rc = CLI_EXIT_FAIL;
    if (rc == CLI_EXIT_OK && !xp_eval_pred(run, md, m, &test) && !run->report_only)
      rc = CLI_EXIT_FAIL;
    bnn_model_free(m);
    xp_sample_load(run);
  }
  /* The report also covers a failed run: whatever finished is in it, the rest is listed missing. */
  run->wall = cli_now() - run->t_start;
  xp_sample_load(run);
  if (!run->report_only) {
    /* One line per invocation that worked on this cache, so a report rebuilt later (or after a
     * crash and a resumed run) can still state what the work cost. */
    char rpath[XP_PATH + 16];
    if (snprintf(rpath, sizeof rpath, "%s/runs.tsv", run->out_dir) < (int)sizeof rpath) {
      /* Every write checked: a cost record lost to a full disk is a failed run. */
      errno = 0;
      FILE *rf = fopen(rpath, "a");
      int ok = rf && fprintf(rf, "%s\t%.1f\t%.2f\t%.2f\t%.2f\t%s\t%s\n", run->started_utc,
                             run->wall, run->load_min,
                             run->load_n ? run->load_sum / run->load_n : 0.0, run->load_max,
                             rc == CLI_EXIT_OK ? "finished" : "failed", run->command_line) > 0;
      if (rf && fclose(rf) != 0) ok = 0;
      if (!ok)
        rc = cli_error(CMD, "--out-dir %s: %s: cannot append: %s", run->out_dir, rpath,
                       strerror(errno ? errno : EIO));
    }
  }
  if (xp_write_report(run) != 0)
    rc = CLI_EXIT_FAIL;
  else
    printf("wrote %s (plots in %s/) in %.1f s\n", run->report, run->plot_dir, run->wall);
done:
  bnn_dataset_free(&train);
  bnn_dataset_free(&test);
  bnn_dataset_free(&mds);
  return rc;
}
