/* report.c — the report of `rramsim experiment paper`: claim checks C1–C4, Spearman correlations,
 * prediction error, Hirtzlin's thresholds, the setup and the tables, written atomically (the
 * figures it embeds come from plots.c). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bnn/input.h"
#include "bet/stats.h"
#include "bnn/durable.h"
#include "cli.h"
#include "experiment.h"

static const char *const CMD = "experiment";

/* Thresholds of the verdicts (stated in the report). */
#define XP_LOSS_PP \
  0.5 /* a Monte-Carlo difference counts if it exceeds 2 standard errors and this */
#define XP_RHO_STRONG 0.7 /* |Spearman ρ| that counts as "correlates" */
#define XP_FINE_PP    1.0 /* "fine at BER p": at most this many points below its clean accuracy */

/* The sign a metric's correlation with accuracy must have to mean "more tolerant": flip
 * probabilities and the fraction of small margins should fall as accuracy rises; margins, the
 * prediction and clean accuracy should rise with it. */
static double expected_sign(const char *metric) {
  return strstr(metric, "pflip") || strstr(metric, "frac_le") ? -1.0 : 1.0;
}

/* ---- lookups -----------------------------------------------------------------------------------
 */

int xp_ber_index(const xp_run *run, double ber) {
  for (size_t b = 0; b < run->n_bers; ++b)
    if (fabs(run->bers[b] - ber) < 1e-12) return (int)b;
  return -1;
}

static const xp_model *find_model(const xp_run *run, const char *id) {
  for (size_t i = 0; i < run->n_models; ++i)
    if (!strcmp(run->models[i].id, id)) return &run->models[i];
  return NULL;
}

static const xp_model *find_flip(const xp_run *run, double p, bet_flip_grad g) {
  for (size_t i = 0; i < run->n_models; ++i) {
    const xp_model *m = &run->models[i];
    if (m->role == XP_ROLE_FLIP && m->tp.flip_p == p && m->tp.flip_grad == g) return m;
  }
  return NULL;
}

/* Standard error (percentage points) of the difference of two Monte-Carlo means. */
static double se_diff(const xp_run *run, const xp_model *a, const xp_model *b, int bi) {
  const double r = (double)run->reps;
  return 100.0 * sqrt(a->mc[bi].std * a->mc[bi].std / r + b->mc[bi].std * b->mc[bi].std / r);
}

double xp_pp(double acc) {
  return 100.0 * acc;
}

void xp_md_rule(FILE *f, size_t cols, int spaced) {
  fputc('|', f);
  for (size_t c = 0; c < cols; ++c) fputs(spaced ? " --- |" : "---|", f);
  fputc('\n', f);
}

void xp_md_ber_head(FILE *f, const double *bers, size_t n_bers, size_t lead, int spaced) {
  for (size_t b = 0; b < n_bers; ++b) fprintf(f, " %g |", bers[b]);
  fputc('\n', f);
  xp_md_rule(f, lead + n_bers, spaced);
}

/* Percentage points a model loses at BER index b against its own clean accuracy. */
static double lost_at(const xp_model *m, int b) {
  return xp_pp(m->mc[0].mean - m->mc[b].mean);
}

static const char *verdict_str(int v) {
  return v == 2 ? "**reproduces**" : v == 1 ? "**partly reproduces**" : "**does not reproduce**";
}

/* ---- machine -----------------------------------------------------------------------------------
 */

static void cpu_model(char *buf, size_t n) {
  snprintf(buf, n, "unknown CPU");
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return;
  char line[512];
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "model name", 10)) {
      const char *c = strchr(line, ':');
      if (c) {
        c += 1 + (c[1] == ' ');
        snprintf(buf, n, "%.*s", (int)strcspn(c, "\n"), c);
      }
      break;
    }
  fclose(f);
}

static double mem_gib(void) {
  FILE *f = fopen("/proc/meminfo", "r");
  double kb = 0;
  if (!f) return 0;
  char line[256];
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "MemTotal: %lf kB", &kb) == 1) break;
  fclose(f);
  return kb / (1024.0 * 1024.0);
}

/* ---- the report --------------------------------------------------------------------------------
 */

static void md_acc(FILE *f, const xp_model *m, int b) {
  if (m->mc[b].std > 0)
    fprintf(f, " %.2f ± %.2f |", xp_pp(m->mc[b].mean), xp_pp(m->mc[b].std));
  else
    fprintf(f, " %.2f |", xp_pp(m->mc[b].mean));
}

static void fig(FILE *f, const xp_run *run, const char *name, const char *alt) {
  if (!run->gnuplot_ok) return;
  fprintf(f, "\n![%s](%s/%s.svg) ([PNG](%s/%s.png))\n", alt, run->plot_rel, name, run->plot_rel,
          name);
}

static void write_commands(FILE *f, const xp_run *run) {
  fprintf(f,
          "Equivalent single commands (same parameters; the experiment calls the same library "
          "functions):\n\n```sh\n");
  for (size_t i = 0; i < run->n_models; ++i) {
    const xp_model *m = &run->models[i];
    const bet_train_params *p = &m->tp;
    fprintf(f,
            "rramsim train --arch %s --data %s --epochs %u --batch %u --lr %g --step-size %u "
            "--gamma %g --loss %s",
            m->arch, run->data, p->epochs, p->batch, p->lr, p->step_size, p->gamma,
            bet_loss_str(p->loss));
    if (p->loss == BET_LOSS_MHL) fprintf(f, " --mhl-b %g", p->mhl_b);
    if (p->flip_p > 0)
      fprintf(f, " --flip-p %g --flip-grad %s", p->flip_p, bet_flip_grad_str(p->flip_grad));
    if (m->lambda > 0) fprintf(f, " --reg-margin %g --reg-b %g", m->lambda, m->reg_b);
    if (p->bn_stats != BET_BN_RUNNING) fprintf(f, " --bn-stats %s", bet_bn_stats_str(p->bn_stats));
    if (m->train_limit) fprintf(f, " --train-limit %u", m->train_limit);
    if (run->test_limit) fprintf(f, " --test-limit %u", run->test_limit);
    fprintf(f, " --seed %llu --threads %d --out %s.bnn\n", (unsigned long long)p->seed,
            run->threads, m->id);
  }
  char bl[256];
  size_t o = 0;
  for (size_t b = 0; b < run->n_bers && o < sizeof bl; ++b)
    o += (size_t)snprintf(bl + o, sizeof bl - o, "%s%g", b ? "," : "", run->bers[b]);
  char lim[48] = "", mlim[48];
  if (run->test_limit) snprintf(lim, sizeof lim, " --limit %u", run->test_limit);
  snprintf(mlim, sizeof mlim, " --limit %u", run->metric_limit);
  fprintf(f,
          "# for each MODEL.bnn:\nrramsim eval --model MODEL.bnn --data %s%s --ber-sweep %s --reps "
          "%llu --seed %llu --threads %d\n",
          run->data, lim, bl, (unsigned long long)run->reps, (unsigned long long)run->eval_seed,
          run->threads);
  fprintf(f, "rramsim predict --model MODEL.bnn --data %s%s --ber %s\n", run->data, lim, bl);
  fprintf(f, "rramsim metric --model MODEL.bnn --data %s%s --ber P   # P = each test BER\n```\n",
          run->data, mlim);
}

int xp_write_report(xp_run *run) {
  /* Best fault-free metric for C3: the highest mean |ρ| over the BERs > 0 (the model's own clean
   * accuracy and the analytic prediction are reported but not picked). */
  const int k_pred = xp_metric_index(run, "predicted_accuracy");
  for (size_t i = 0; i < run->n_models; ++i) {
    xp_model *m = &run->models[i];
    if (m->have_pred && k_pred >= 0)
      for (size_t b = 0; b < run->n_main; ++b) m->metric[b][k_pred] = m->pred[b];
  }
  double rho[XP_MAX_BERS][XP_MAX_METRICS], rho_loss[XP_MAX_BERS][XP_MAX_METRICS];
  int n_fc[XP_MAX_BERS][XP_MAX_METRICS];
  for (size_t b = 0; b < run->n_main; ++b)
    for (size_t k = 0; k < run->n_metrics; ++k) {
      double x[XP_MAX_MODELS], y[XP_MAX_MODELS], loss[XP_MAX_MODELS];
      size_t n = 0;
      for (size_t i = 0; i < run->n_models; ++i) {
        const xp_model *m = &run->models[i];
        if (m->is_fcnn && m->have_mc && (m->have_metric || (int)k == k_pred) &&
            !isnan(m->metric[b][k]))
          x[n] = m->metric[b][k], y[n] = m->mc[b].mean, loss[n] = m->mc[0].mean - m->mc[b].mean,
          ++n;
      }
      /* fewer than 3 FCNNs: no correlation reported */
      rho[b][k] = n >= 3 ? bet_stats_spearman(x, y, n) : (double)NAN;
      rho_loss[b][k] = n >= 3 ? bet_stats_spearman(x, loss, n) : (double)NAN;
      n_fc[b][k] = (int)n;
    }
  int best = -1;
  double best_score = -2;
  for (size_t k = 0; k < run->n_metrics; ++k) {
    if ((int)k == k_pred || !strcmp(run->metric_names[k], "clean_accuracy")) continue;
    double s = 0;
    int n = 0;
    for (size_t b = 1; b < run->n_main; ++b)
      if (!isnan(rho[b][k])) s += expected_sign(run->metric_names[k]) * rho[b][k], ++n;
    if (n && s / n > best_score) best_score = s / n, best = (int)k;
  }
  xp_write_plots(run, best);

  bnn_atomic_file af;
  FILE *f = bnn_atomic_open(&af, run->report) == BNN_OK ? af.f : NULL;
  if (!f) return cli_error(CMD, "--report %s: %s", run->report, bnn_errmsg()), 1;

  const xp_model *base = find_model(run, "fcnn-p0");
  const int have_base = base && base->have_mc;
  char cpu[256];
  cpu_model(cpu, sizeof cpu);
  struct utsname un;
  memset(&un, 0, sizeof un);
  uname(&un);
  size_t n_missing = 0;
  for (size_t i = 0; i < run->n_models; ++i) n_missing += !run->models[i].have_mc;

  fprintf(f, "# Bit error tolerance of BNNs on %s: the seed study's claims, re-run\n\n", run->data);
  fprintf(f,
          "Generated by `%s` (rramsim %s), started %s. **Every number and figure below is written "
          "by that "
          "command; do not edit by hand** — re-run it (finished models and evaluations are cached "
          "in `%s`, so a "
          "re-run only redoes what is missing).\n\n",
          run->command_line, cli_version(), run->started_utc, run->out_dir);
  if (run->quick)
    fprintf(f,
            "> **Quick mode** (smoke test): a small FCNN (%s), %u training and %u test images, %u "
            "epoch(s). "
            "The numbers exercise the pipeline; they say nothing about the claims.\n\n",
            run->fcnn_arch, run->train_n, run->test_n, run->epochs);
  if (n_missing)
    fprintf(f,
            "> **Incomplete**: %zu of %zu models have no Monte-Carlo results yet (see *Missing* at "
            "the end).\n\n",
            n_missing, run->n_models);

  /* ---------------- claims computed first, summarised, then detailed */
  /* C1 */
  int c1_models = 0, c1_all = 0, c1_some = 0, c1_nonmono = 0, c1_adapted = 0;
  for (size_t i = 0; have_base && i < run->n_models; ++i) {
    const xp_model *m = &run->models[i];
    if (m->role != XP_ROLE_FLIP || !m->have_mc) continue;
    int n = 0, lose = 0;
    for (size_t b = 0; b < run->n_main && run->bers[b] < m->tp.flip_p - 1e-12; ++b, ++n) {
      const double gap = xp_pp(m->mc[b].mean - base->mc[b].mean),
                   se = se_diff(run, m, base, (int)b);
      lose += gap < -fmax(2 * se, XP_LOSS_PP);
    }
    ++c1_models;
    c1_all += n > 0 && lose == n;
    c1_some += lose > 0;
    const int bp = xp_ber_index(run, m->tp.flip_p);
    if (bp >= 0 && m->mc[0].mean < m->mc[bp].mean) ++c1_nonmono;
    if (bp >= 0 &&
        xp_pp(m->mc[bp].mean - base->mc[bp].mean) > fmax(2 * se_diff(run, m, base, bp), XP_LOSS_PP))
      ++c1_adapted;
  }
  const int c1 = !c1_models ? -1 : 2 * c1_all >= c1_models ? 2 : c1_all ? 1 : 0;
  /* C2 */
  int c2_n = 0, c2_less = 0, c2_pairs = 0;
  double c2_loss[2][8];
  int c2_ok[8];
  static const double ps[4] = {0.01, 0.033, 0.05, 0.1};
  for (int pi = 0; pi < 4; ++pi) {
    c2_ok[pi] = 0;
    const xp_model *ms[2] = {find_flip(run, ps[pi], BET_FLIP_GRAD_SIGN),
                             find_flip(run, ps[pi], BET_FLIP_GRAD_STRAIGHT)};
    if (!have_base || !ms[0] || !ms[1] || !ms[0]->have_mc || !ms[1]->have_mc) continue;
    for (int g = 0; g < 2; ++g) {
      double s = 0;
      int n = 0;
      for (size_t b = 0; b < run->n_main && run->bers[b] < ps[pi] - 1e-12; ++b, ++n)
        s += xp_pp(base->mc[b].mean - ms[g]->mc[b].mean);
      c2_loss[g][pi] = n ? s / n : 0;
    }
    c2_ok[pi] = 1;
    ++c2_pairs;
    /* "Adapts less" needs something to adapt: only pairs whose sign model loses accuracy count. */
    if (c2_loss[0][pi] > XP_LOSS_PP) {
      ++c2_n;
      c2_less += c2_loss[1][pi] < c2_loss[0][pi];
    }
  }
  /* -2: no sign model loses accuracy below its training BER, so the claim cannot be tested. */
  const int c2 = !c2_pairs ? -1 : !c2_n ? -2 : 2 * c2_less > c2_n ? 2 : c2_less ? 1 : 0;
  /* C3: metrics correlating (|ρ| ≥ XP_RHO_STRONG, expected sign) at every BER > 0 */
  int c3_good[XP_MAX_METRICS];
  int c3_n_good = 0, c3_have = 0;
  for (size_t k = 0; k < run->n_metrics; ++k) {
    int pos = 0, neg = 0, n = 0;
    for (size_t b = 1; b < run->n_main; ++b) {
      if (isnan(rho[b][k])) continue;
      ++n;
      pos += rho[b][k] >= XP_RHO_STRONG;
      neg += rho[b][k] <= -XP_RHO_STRONG;
    }
    c3_have |= n > 0;
    c3_good[k] = n == (int)run->n_main - 1 &&
                 (expected_sign(run->metric_names[k]) > 0 ? pos == n : neg == n);
    if (c3_good[k] && (int)k != k_pred && strcmp(run->metric_names[k], "clean_accuracy"))
      ++c3_n_good;
  }
  const int c3 = !c3_have ? -1 : c3_n_good ? 2 : 0;
  /* C4 */
  const int b33 = xp_ber_index(run, 0.033);
  const xp_model *c4[XP_MAX_LAMBDAS + 1];
  size_t n_c4 = 0;
  if (have_base) c4[n_c4++] = base;
  for (size_t i = 0; i < run->n_models; ++i)
    if (run->models[i].role == XP_ROLE_REG && run->models[i].have_mc) c4[n_c4++] = &run->models[i];
  int c4v = -1;
  const xp_model *c4_top = NULL;
  if (n_c4 >= 2 && b33 >= 0) {
    /* Bit error tolerance = accuracy *lost* at 3.3 % (clean − Monte-Carlo), so that a λ that merely
     * raises clean accuracy does not count as more tolerant. */
    c4_top = c4[1];
    for (size_t i = 2; i < n_c4; ++i)
      if (lost_at(c4[i], b33) < lost_at(c4_top, b33)) c4_top = c4[i];
    const int gain = lost_at(c4_top, b33) <
                     lost_at(c4[0], b33) - fmax(2 * se_diff(run, c4_top, c4[0], b33), XP_LOSS_PP);
    const int cost = c4_top->mc[0].mean < c4[0]->mc[0].mean;
    int mono = 1;
    for (size_t i = 1; i < n_c4; ++i)
      mono &=
          lost_at(c4[i], b33) <= lost_at(c4[i - 1], b33) + 2 * se_diff(run, c4[i], c4[i - 1], b33);
    c4v = gain && cost && mono ? 2 : gain ? 1 : 0;
  }
  /* MAE */
  int mae_n = 0, mae_ok = 0;
  double mae_max = 0;
  for (size_t i = 0; i < run->n_models; ++i) {
    const xp_model *m = &run->models[i];
    if (!m->have_mc || !m->have_pred) continue;
    double s = 0;
    for (size_t b = 0; b < run->n_main; ++b) s += fabs(xp_pp(m->pred[b] - m->mc[b].mean));
    s /= (double)run->n_main;
    ++mae_n;
    mae_ok += s <= 2.0;
    mae_max = fmax(mae_max, s);
  }

  fprintf(f, "## Summary\n\n");
  if (c1 >= 0)
    fprintf(f,
            "- **C1** (flip training overfits to the training BER: accuracy lost below it, vs "
            "p_train = 0): %s — %d of %d "
            "flip-trained FCNNs are clearly below the p = 0 model at every test BER under their "
            "training BER, %d at some; "
            "%d of %d are clearly *above* it at their training BER (adapted to it); %d of %d are "
            "more accurate at their "
            "training BER than without errors.\n",
            verdict_str(c1), c1_all, c1_models, c1_some, c1_adapted, c1_models, c1_nonmono,
            c1_models);
  else
    fprintf(f, "- **C1**: no results yet.\n");
  if (c2 == -2) {
    fprintf(f,
            "- **C2** (straight-through flip gradient adapts less): **cannot be tested on these "
            "nets** — no sign-trained "
            "FCNN loses more than %.1f pp against p = 0 below its training BER, so there is no "
            "over-adaptation for the "
            "straight-through gradient to reduce (mean loss vs p = 0, sign → straight:",
            XP_LOSS_PP);
    for (int pi = 0; pi < 4; ++pi)
      if (c2_ok[pi]) fprintf(f, " p %g: %.2f → %.2f pp;", ps[pi], c2_loss[0][pi], c2_loss[1][pi]);
    fprintf(f, " negative = a gain).\n");
  } else if (c2 >= 0) {
    fprintf(f,
            "- **C2** (straight-through flip gradient adapts less): %s — of the %d training BERs "
            "where the sign model "
            "loses more than %.1f pp below p_train, the straight-through model loses less for %d "
            "(mean loss vs p = 0, "
            "sign → straight:",
            verdict_str(c2), c2_n, XP_LOSS_PP, c2_less);
    for (int pi = 0; pi < 4; ++pi)
      if (c2_ok[pi]) fprintf(f, " p %g: %.2f → %.2f pp;", ps[pi], c2_loss[0][pi], c2_loss[1][pi]);
    fprintf(f, ").\n");
  } else
    fprintf(f, "- **C2**: no results yet.\n");
  if (c3 >= 0) {
    fprintf(
        f,
        "- **C3** (a fault-free metric correlates with accuracy over the BER for all FCNNs): %s — ",
        verdict_str(c3));
    if (c3_n_good) {
      fprintf(f, "|Spearman ρ| ≥ %.1f with the expected sign at every test BER > 0 for:",
              XP_RHO_STRONG);
      for (size_t k = 0; k < run->n_metrics; ++k)
        if (c3_good[k] && (int)k != k_pred && strcmp(run->metric_names[k], "clean_accuracy"))
          fprintf(f, " `%s`", run->metric_names[k]);
      fprintf(f, ".");
    } else {
      fprintf(f,
              "no margin metric reaches |ρ| ≥ %.1f with the expected sign at every test BER > 0.",
              XP_RHO_STRONG);
    }
    if (best >= 0) {
      if (best_score > 0)
        fprintf(f, " Best margin metric (largest mean ρ in the expected direction) `%s`: ρ =",
                run->metric_names[best]);
      else
        fprintf(f,
                " No margin metric correlates in the expected direction even on average over the "
                "BERs; the least "
                "bad is `%s`: ρ =",
                run->metric_names[best]);
      for (size_t b = 1; b < run->n_main; ++b) fprintf(f, " %.2f", rho[b][best]);
      fprintf(f, " at BER");
      for (size_t b = 1; b < run->n_main; ++b) fprintf(f, " %g", run->bers[b]);
      fprintf(f, ".");
    }
    if (k_pred >= 0 && c3_good[k_pred])
      fprintf(f, " The analytic prediction also correlates at every BER.");
    fprintf(f, "\n");
  } else
    fprintf(f, "- **C3**: no metrics yet.\n");
  if (c4v >= 0)
    fprintf(f,
            "- **C4** (the margin regularizer trades clean accuracy for BET): %s — accuracy lost "
            "at BER 0.033 (clean − "
            "Monte-Carlo) %.2f pp at λ = 0, at best %.2f pp (λ = %g); clean accuracy %.2f %% → "
            "%.2f %%, accuracy at 0.033 "
            "%.2f %% → %.2f %%.\n",
            verdict_str(c4v), lost_at(c4[0], b33), lost_at(c4_top, b33), c4_top->lambda,
            xp_pp(c4[0]->mc[0].mean), xp_pp(c4_top->mc[0].mean), xp_pp(c4[0]->mc[b33].mean),
            xp_pp(c4_top->mc[b33].mean));
  else
    fprintf(f, "- **C4**: no results yet (needs fcnn-p0 and at least one regularised model).\n");
  if (mae_n)
    fprintf(f,
            "- **Analytic prediction**: mean absolute error vs Monte-Carlo ≤ 2 pp for %d of %d "
            "models (worst %.2f pp).\n",
            mae_ok, mae_n, mae_max);
  fprintf(f,
          "\nVerdict rules: a Monte-Carlo accuracy difference counts when it exceeds both 2 "
          "standard errors of the "
          "difference (over the reps) and %.1f pp; a metric *correlates* when |Spearman ρ| ≥ %.1f "
          "across the FCNNs; a "
          "net is *fine* at a BER when it stays within %.1f pp of its own clean accuracy. Each "
          "model is trained once "
          "(one seed): the standard errors cover the fault draws, not training noise.\n\n",
          XP_LOSS_PP, XP_RHO_STRONG, XP_FINE_PP);

  /* ---------------- setup */
  double t_train = 0, t_mc = 0, t_pred = 0, t_met = 0;
  for (size_t i = 0; i < run->n_models; ++i) {
    const xp_model *m = &run->models[i];
    t_train += m->trained ? m->train_seconds : 0;
    t_mc += m->have_mc ? m->mc_seconds : 0;
    t_pred += m->have_pred ? m->pred_seconds : 0;
    t_met += m->have_metric ? m->metric_seconds : 0;
  }
  fprintf(f, "## Setup\n\n");
  fprintf(f,
          "- **Machine**: %s, %ld online CPUs, %.1f GiB RAM, %s %s. Shared with other jobs: "
          "1-minute load average "
          "%.2f–%.2f (mean %.2f over %d samples) during this invocation.\n",
          cpu, sysconf(_SC_NPROCESSORS_ONLN), mem_gib(), un.sysname, un.release, run->load_min,
          run->load_max, run->load_n ? run->load_sum / run->load_n : 0.0, run->load_n);
  fprintf(f,
          "- **Wall time of this invocation**: %.1f s (%.1f min). Compute time recorded with the "
          "cached results "
          "(when each piece was first made): training %.1f s, Monte-Carlo %.1f s, margin metrics "
          "%.1f s, analytic "
          "prediction %.1f s; total %.1f min.\n",
          run->wall, run->wall / 60, t_train, t_mc, t_met, t_pred,
          (t_train + t_mc + t_met + t_pred) / 60);
  {
    /* When the cache was built, from the files themselves: covers runs that were stopped before
     * they could record themselves in runs.tsv. Start = a model's meta time minus its training
     * time. */
    double t0 = 0, t1 = 0;
    const char *exts[] = {".meta", ".mc.csv", ".metric.csv", ".pred.csv"};
    for (size_t i = 0; i < run->n_models; ++i)
      for (size_t e = 0; e < sizeof exts / sizeof *exts; ++e) {
        char p[XP_PATH + 16];
        struct stat st;
        if (snprintf(p, sizeof p, "%s%s", run->models[i].stem, exts[e]) >= (int)sizeof p ||
            stat(p, &st) != 0)
          continue;
        const double t = (double)st.st_mtime, start = e == 0 ? t - run->models[i].train_seconds : t;
        if (t0 == 0 || start < t0) t0 = start;
        if (t > t1) t1 = t;
      }
    if (t1 > 0) {
      char a[32], b[32];
      const time_t ta = (time_t)t0, tb = (time_t)t1;
      struct tm ma, mb;
      gmtime_r(&ta, &ma);
      gmtime_r(&tb, &mb);
      strftime(a, sizeof a, "%Y-%m-%d %H:%M:%S", &ma);
      strftime(b, sizeof b, "%H:%M:%S UTC", &mb);
      fprintf(f,
              "- **The cached results were made** from %s to %s (%.1f min wall, from the cache "
              "files' times).\n",
              a, b, (t1 - t0) / 60);
    }
  }
  {
    char rpath[XP_PATH + 16];
    FILE *rf = snprintf(rpath, sizeof rpath, "%s/runs.tsv", run->out_dir) < (int)sizeof rpath
                   ? fopen(rpath, "r")
                   : NULL;
    if (rf) {
      fprintf(f,
              "- **Invocations that built this cache** (`%s`): start, wall time, 1-minute load "
              "min/mean/max, outcome, "
              "command:\n",
              rpath);
      char line[2600];
      while (fgets(line, sizeof line, rf)) {
        char when[32], outcome[16], cmd[2100];
        double wall, lmin, lmean, lmax;
        if (sscanf(line, "%31[^\t]\t%lf\t%lf\t%lf\t%lf\t%15[^\t]\t%2099[^\n]", when, &wall, &lmin,
                   &lmean, &lmax, outcome, cmd) == 7)
          fprintf(f, "  - %s: %.1f s (%.1f min), load %.2f/%.2f/%.2f, %s: `%s`\n", when, wall,
                  wall / 60, lmin, lmean, lmax, outcome, cmd);
      }
      fclose(rf);
    }
  }
  fprintf(f,
          "- **Data**: %s — %u training images, %u test images (Monte-Carlo and prediction), the "
          "first %u test "
          "images for the margin metrics.\n",
          run->data, run->train_n, run->test_n, run->metric_n);
  const bet_train_params *p0 = &run->models[0].tp;
  fprintf(f,
          "- **Training** (libbet): FCNN `%s` %u epochs, VGG3 %u epochs; batch %u, Adam lr %g, "
          "step decay ×%g every %u "
          "epochs, batch-norm momentum %g, eps %g, evaluation statistics `%s`, seed %llu, %d "
          "threads. Flips on every binarized weight layer, drawn "
          "afresh each forward pass. MHL b = %g. Margin regularizer λ ∈ {",
          run->fcnn_arch, run->epochs, run->vgg_epochs, p0->batch, p0->lr, p0->gamma, p0->step_size,
          p0->bn_momentum, p0->bn_eps, bet_bn_stats_str(p0->bn_stats),
          (unsigned long long)run->seed, run->threads, p0->mhl_b);
  for (size_t i = 0; i < run->n_lambdas; ++i) fprintf(f, "%s%g", i ? ", " : "", run->lambdas[i]);
  fprintf(f,
          "}, b = %g. The p_train = 0 FCNN has no flips, so it is one model for both flip "
          "gradients (trained once). "
          "Flip-trained VGG3: `--flip-grad %s`.\n",
          run->reg_b, bet_flip_grad_str(run->vgg_grad));
  fprintf(f,
          "- **Monte-Carlo** (`bnn_mc_sweep`, the path of `rramsim eval --ber-sweep`): persistent "
          "write errors at "
          "rate p in both directions on every weight layer through the engine's error port; %llu "
          "reps per BER, error "
          "seed %llu, rep r uses error stream r at every BER; test BERs",
          (unsigned long long)run->reps, (unsigned long long)run->eval_seed);
  for (size_t b = 0; b < run->n_bers; ++b) fprintf(f, "%s %g", b ? "," : "", run->bers[b]);
  fprintf(f, " (the last two for Hirtzlin et al.).\n");
  fprintf(
      f,
      "- **Metrics** (`bet_metric_compute`, no fault injection) for the FCNNs at each of the "
      "study's BERs (C3 "
      "is about FCNNs; VGG3's conv metrics are not computed), and the analytic prediction "
      "(`bet_predict_accuracy`, "
      "%d threads) for every model on the Monte-Carlo images — derivations in docs/metrics.md.\n\n",
      run->threads);
  write_commands(f, run);
  if (run->notes) {
    FILE *nf = NULL;
    if (bnn_input_fopen(run->notes, BNN_INPUT_TEXT_MAX, &nf, NULL) != BNN_OK) {
      bnn_atomic_abort(&af);
      return cli_error(CMD, "--notes %s", bnn_errmsg()), 1;
    }
    fprintf(f, "\n### Choices (from `%s`)\n\n", run->notes);
    char buf[4096];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, nf)) > 0) fwrite(buf, 1, got, f);
    fclose(nf);
  }

  /* ---------------- models + accuracy table */
  fprintf(f,
          "\n## Models and accuracy vs test BER (Monte-Carlo, %%, mean ± std over %llu reps)\n\n",
          (unsigned long long)run->reps);
  fprintf(f, "| model | arch | loss | p_train | flip grad | λ | epochs | train s |");
  xp_md_ber_head(f, run->bers, run->n_main, 8, 0);
  for (size_t i = 0; i < run->n_models; ++i) {
    const xp_model *m = &run->models[i];
    fprintf(f, "| %s | %s | %s | %g | %s | %g | %u | %s", m->id, m->arch, bet_loss_str(m->tp.loss),
            m->tp.flip_p, m->tp.flip_p > 0 ? bet_flip_grad_str(m->tp.flip_grad) : "–", m->lambda,
            m->tp.epochs, m->trained ? "" : "– |");
    if (m->trained) fprintf(f, "%.0f |", m->train_seconds);
    for (size_t b = 0; b < run->n_main; ++b) {
      if (m->have_mc)
        md_acc(f, m, (int)b);
      else
        fprintf(f, " – |");
    }
    fprintf(f, "\n");
  }
  fprintf(f, "\nBER 0 is the clean, deterministic accuracy (std 0).\n");
  fig(f, run, "accuracy_fcnn_sign", "FCNN accuracy vs BER, sign flip gradient");
  fig(f, run, "accuracy_fcnn_straight", "FCNN accuracy vs BER, straight-through flip gradient");
  fig(f, run, "accuracy_fcnn_margin", "FCNN accuracy vs BER: CE, MHL, regularizer");
  fig(f, run, "accuracy_vgg3", "VGG3 accuracy vs BER");

  /* ---------------- C1 */
  fprintf(f, "\n## C1 — flip-trained FCNNs below their training BER\n\n");
  if (!have_base)
    fprintf(f, "The p = 0 model has no results yet.\n");
  else {
    fprintf(f,
            "Accuracy difference to the p = 0 FCNN (pp) at each test BER below p_train (± 2 "
            "standard errors of the "
            "difference), and the model's own accuracy at test BER 0 vs at p_train:\n\n"
            "| model | difference to p = 0 at test BERs < p_train | clearly below at | difference "
            "at p_train | acc at BER 0 | acc at p_train |\n"
            "|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < run->n_models; ++i) {
      const xp_model *m = &run->models[i];
      if (m->role != XP_ROLE_FLIP || !m->have_mc) continue;
      fprintf(f, "| %s |", m->id);
      int n = 0, lose = 0;
      for (size_t b = 0; b < run->n_main && run->bers[b] < m->tp.flip_p - 1e-12; ++b, ++n) {
        const double gap = xp_pp(m->mc[b].mean - base->mc[b].mean),
                     se = se_diff(run, m, base, (int)b);
        lose += gap < -fmax(2 * se, XP_LOSS_PP);
        fprintf(f, "%s %g: %+.2f ± %.2f", b ? ";" : "", run->bers[b], gap, 2 * se);
      }
      const int bp = xp_ber_index(run, m->tp.flip_p);
      if (bp >= 0)
        fprintf(f, " | %d of %d | %+.2f ± %.2f | %.2f | %.2f |\n", lose, n,
                xp_pp(m->mc[bp].mean - base->mc[bp].mean), 2 * se_diff(run, m, base, bp),
                xp_pp(m->mc[0].mean), xp_pp(m->mc[bp].mean));
      else
        fprintf(f, " | %d of %d | – | %.2f | – |\n", lose, n, xp_pp(m->mc[0].mean));
    }
    fprintf(f,
            "\nC1 %s by the rule above (reproduces when at least half of the flip-trained models "
            "are clearly below "
            "the p = 0 model at every test BER under p_train, partly when at least one is: %d of "
            "%d). A model that is below p = 0 everywhere, including at its own "
            "training BER, is worse rather than over-adapted: %d of %d are clearly better than p = "
            "0 at p_train.\n",
            verdict_str(c1), c1_all, c1_models, c1_adapted, c1_models);
  }

  /* ---------------- C2 */
  fprintf(f, "\n## C2 — sign vs straight-through flip gradient\n\n");
  if (c2 == -1)
    fprintf(f, "No complete sign/straight pairs yet.\n");
  else {
    fprintf(f,
            "Mean accuracy lost vs the p = 0 FCNN over the test BERs below p_train (pp; smaller = "
            "less adaptation), "
            "and the accuracy at the training BER itself (%%):\n\n"
            "| p_train | loss, sign | loss, straight | straight − sign at BER 0 | acc at p_train, "
            "sign | acc at p_train, straight |\n"
            "|---|---|---|---|---|---|\n");
    for (int pi = 0; pi < 4; ++pi) {
      if (!c2_ok[pi]) continue;
      const xp_model *s = find_flip(run, ps[pi], BET_FLIP_GRAD_SIGN),
                     *t = find_flip(run, ps[pi], BET_FLIP_GRAD_STRAIGHT);
      const int bp = xp_ber_index(run, ps[pi]);
      fprintf(f, "| %g | %.2f | %.2f | %+.2f | %.2f ± %.2f | %.2f ± %.2f |\n", ps[pi],
              c2_loss[0][pi], c2_loss[1][pi], xp_pp(t->mc[0].mean - s->mc[0].mean),
              xp_pp(s->mc[bp].mean), xp_pp(s->mc[bp].std), xp_pp(t->mc[bp].mean),
              xp_pp(t->mc[bp].std));
    }
    if (c2 == -2)
      fprintf(f,
              "\nC2 **cannot be tested on these nets**: no sign model loses more than %.1f pp "
              "below its training BER.\n",
              XP_LOSS_PP);
    else
      fprintf(f,
              "\nC2 %s: of the %d training BERs where the sign model loses more than %.1f pp, "
              "straight-through loses "
              "less for %d.\n",
              verdict_str(c2), c2_n, XP_LOSS_PP, c2_less);
  }

  /* ---------------- C3 */
  fprintf(f, "\n## C3 — margin metrics vs Monte-Carlo accuracy (Spearman ρ across the FCNNs)\n\n");
  if (c3 < 0)
    fprintf(f, "No metrics yet.\n");
  else {
    fprintf(f,
            "Each cell: Spearman rank correlation, across all FCNNs with results (n in the "
            "header), between the "
            "metric (computed on the first %u test images, no fault injection) and the Monte-Carlo "
            "accuracy at that "
            "test BER. Metrics: `hidden_mn_mean` mean m/√n over the ±1-input hidden neurons; "
            "`hidden_pflip_mean` their "
            "mean predicted flip probability at the BER; `L<l>_m_mean` / `L<l>_mn_mean` / "
            "`L<l>_pflip` per weight layer "
            "(layer 0 in pixel units); `out_margin_*` the output margin in flips (mean, median, "
            "fraction ≤ 1 flip); "
            "`out_pflip` the predicted probability that the prediction changes; "
            "`predicted_accuracy` the analytic "
            "prediction; `clean_accuracy` for comparison. Expected sign: + for margins, the "
            "prediction and clean accuracy, "
            "− for flip probabilities and the fraction of small margins. ✓ = |ρ| ≥ %.1f with the "
            "expected sign at "
            "every BER > 0.\n\n",
            run->metric_n, XP_RHO_STRONG);
    fprintf(f, "| metric |");
    for (size_t b = 1; b < run->n_main; ++b) fprintf(f, " %g (n=%d) |", run->bers[b], n_fc[b][0]);
    fprintf(f, " all BERs |\n");
    xp_md_rule(f, run->n_main + 1, 0);
    for (size_t k = 0; k < run->n_metrics; ++k) {
      fprintf(f, "| `%s`%s |", run->metric_names[k], (int)k == best ? " (best)" : "");
      for (size_t b = 1; b < run->n_main; ++b) {
        if (isnan(rho[b][k]))
          fprintf(f, " – |");
        else
          fprintf(f, " %+.2f |", rho[b][k]);
      }
      fprintf(f, " %s |\n", c3_good[k] ? "✓" : "");
    }
    fprintf(f, "\nC3 %s.\n", verdict_str(c3));
    fprintf(f,
            "\nA metric can track accuracy merely because it tracks *clean* accuracy (compare the "
            "`clean_accuracy` row). "
            "The same correlation against the accuracy **lost** to bit errors (clean − "
            "Monte-Carlo, so a good BET metric "
            "has ρ < 0 for margins, ρ > 0 for flip probabilities) separates bit error tolerance "
            "from clean accuracy:\n\n| metric |");
    xp_md_ber_head(f, run->bers + 1, run->n_main - 1, 1, 0);
    for (size_t k = 0; k < run->n_metrics; ++k) {
      fprintf(f, "| `%s` |", run->metric_names[k]);
      for (size_t b = 1; b < run->n_main; ++b) {
        if (isnan(rho_loss[b][k]))
          fprintf(f, " – |");
        else
          fprintf(f, " %+.2f |", rho_loss[b][k]);
      }
      fprintf(f, "\n");
    }
    fig(f, run, "c3_hidden_mn_mean", "C3 scatter: hidden_mn_mean vs accuracy");
    if (best >= 0 && best != xp_metric_index(run, "hidden_mn_mean"))
      fig(f, run, "c3_best", "C3 scatter: best metric vs accuracy");
    fprintf(f, "\nPer-model metric values at BER 0.033:\n\n| model |");
    const int bm = xp_ber_index(run, 0.033);
    for (size_t k = 0; k < run->n_metrics; ++k) fprintf(f, " %s |", run->metric_names[k]);
    fputc('\n', f);
    xp_md_rule(f, 1 + run->n_metrics, 0);
    for (size_t i = 0; bm >= 0 && i < run->n_models; ++i) {
      const xp_model *m = &run->models[i];
      if (!m->have_metric && !m->have_pred) continue;
      fprintf(f, "| %s |", m->id);
      for (size_t k = 0; k < run->n_metrics; ++k) {
        if (isnan(m->metric[bm][k]))
          fprintf(f, " – |");
        else
          fprintf(f, " %.4g |", m->metric[bm][k]);
      }
      fprintf(f, "\n");
    }
  }

  /* ---------------- C4 */
  fprintf(f, "\n## C4 — the margin regularizer: clean accuracy vs accuracy at BER 0.033\n\n");
  if (c4v < 0)
    fprintf(f, "Not enough results yet.\n");
  else {
    const int kmn = xp_metric_index(run, "hidden_mn_mean");
    fprintf(f,
            "| λ | model | clean %% | at BER 0.033 %% | lost at 0.033, pp | hidden_mn_mean "
            "|\n|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < n_c4; ++i)
      fprintf(f, "| %g | %s | %.2f | %.2f ± %.2f | %.2f | %.4g |\n", c4[i]->lambda, c4[i]->id,
              xp_pp(c4[i]->mc[0].mean), xp_pp(c4[i]->mc[b33].mean), xp_pp(c4[i]->mc[b33].std),
              lost_at(c4[i], b33), kmn >= 0 ? c4[i]->metric[b33][kmn] : (double)NAN);
    fprintf(f,
            "\nC4 %s (rule: bit error tolerance is the accuracy *lost* at 0.033; reproduces when "
            "some λ loses a counted "
            "difference less than λ = 0, pays for it in clean accuracy, and the loss does not grow "
            "with λ; partly when "
            "only the first holds).\n",
            verdict_str(c4v));
    fig(f, run, "c4_tradeoff", "C4: clean accuracy vs accuracy at BER 0.033");
  }

  /* ---------------- prediction */
  fprintf(f, "\n## Analytic prediction vs Monte-Carlo\n\n");
  fprintf(f,
          "Mean and largest absolute error over the %zu study BERs, in percentage points (target ≤ "
          "2 pp):\n\n"
          "| model | MAE pp | max pp | ≤ 2 pp | prediction s |\n|---|---|---|---|---|\n",
          run->n_main);
  for (size_t i = 0; i < run->n_models; ++i) {
    const xp_model *m = &run->models[i];
    if (!m->have_mc) continue;
    if (!m->have_pred) {
      fprintf(f, "| %s | n/a | n/a | | %s |\n", m->id,
              m->pred_unsupported ? m->pred_note : "not computed");
      continue;
    }
    double s = 0, mx = 0;
    for (size_t b = 0; b < run->n_main; ++b) {
      const double e = fabs(xp_pp(m->pred[b] - m->mc[b].mean));
      s += e;
      mx = fmax(mx, e);
    }
    s /= (double)run->n_main;
    fprintf(f, "| %s | %.2f | %.2f | %s | %.1f |\n", m->id, s, mx, s <= 2 ? "yes" : "no",
            m->pred_seconds);
  }
  fig(f, run, "prediction_vs_mc", "analytic prediction vs Monte-Carlo");

  /* ---------------- Hirtzlin */
  fprintf(f, "\n## Hirtzlin et al.: plain BNN fine up to BER 1e-4, flip-trained up to 4e-2\n\n");
  const int h1 = xp_ber_index(run, 1e-4), h4 = xp_ber_index(run, 4e-2);
  fprintf(f,
          "| model | p_train | clean %% | at 1e-4 %% | at 4e-2 %% | drop at 1e-4 pp | drop at 4e-2 "
          "pp |\n|---|---|---|---|---|---|---|\n");
  int plain_fine = -1, flip_fine = 0, flip_n = 0;
  for (size_t i = 0; i < run->n_models && h1 >= 0 && h4 >= 0; ++i) {
    const xp_model *m = &run->models[i];
    if (!m->have_mc) continue;
    if (!(m->role == XP_ROLE_BASE || m->role == XP_ROLE_VGG ||
          (m->role == XP_ROLE_FLIP && m->tp.flip_p >= 0.033 && m->tp.flip_p <= 0.05)))
      continue;
    const double d1 = xp_pp(m->mc[0].mean - m->mc[h1].mean),
                 d4 = xp_pp(m->mc[0].mean - m->mc[h4].mean);
    fprintf(f, "| %s | %g | %.2f | %.2f ± %.2f | %.2f ± %.2f | %.2f | %.2f |\n", m->id,
            m->tp.flip_p, xp_pp(m->mc[0].mean), xp_pp(m->mc[h1].mean), xp_pp(m->mc[h1].std),
            xp_pp(m->mc[h4].mean), xp_pp(m->mc[h4].std), d1, d4);
    if (m->role == XP_ROLE_BASE) plain_fine = d1 <= XP_FINE_PP;
    if (m->role == XP_ROLE_FLIP) flip_fine += d4 <= XP_FINE_PP, ++flip_n;
  }
  if (plain_fine >= 0)
    fprintf(f,
            "\nOur plain FCNN is %s at BER 1e-4; %d of %d FCNNs flip-trained at p_train 0.033–0.05 "
            "are fine at 4e-2 "
            "(within %.1f pp of their clean accuracy).\n",
            plain_fine ? "fine" : "**not** fine", flip_fine, flip_n, XP_FINE_PP);

  /* ---------------- missing */
  fprintf(f, "\n## Missing\n\n");
  int any = 0;
  for (size_t i = 0; i < run->n_models; ++i) {
    const xp_model *m = &run->models[i];
    if (m->trained && m->have_mc && (m->have_metric || m->metric_unsupported || !m->is_fcnn) &&
        (m->have_pred || m->pred_unsupported))
      continue;
    any = 1;
    fprintf(f, "- %s:%s%s%s%s\n", m->id, m->trained ? "" : " not trained;",
            m->have_mc ? "" : " no Monte-Carlo;",
            m->have_metric || m->metric_unsupported ? "" : " no metrics;",
            m->have_pred || m->pred_unsupported ? "" : " no prediction;");
  }
  for (size_t i = 0; i < run->n_models; ++i) {
    const xp_model *m = &run->models[i];
    if (m->pred_unsupported)
      fprintf(f, "- %s: analytic prediction not available (%s)\n", m->id, m->pred_note), any = 1;
    if (m->metric_unsupported)
      fprintf(f, "- %s: margin metrics not available for this architecture\n", m->id), any = 1;
  }
  if (!run->gnuplot_ok)
    fprintf(f, "- plots: %s\n", run->gnuplot_msg[0] ? run->gnuplot_msg : "gnuplot failed"), any = 1;
  if (!any) fprintf(f, "Nothing: every model was trained and evaluated.\n");

  if (bnn_atomic_commit(&af) != BNN_OK)
    return cli_error(CMD, "--report %s: cannot write: %s", run->report, strerror(errno)), 1;
  return 0;
}
