/* plots.c — the figures of `rramsim experiment paper`: one .dat file per curve or scatter under
 * <out>/plot-data, a gnuplot script, and gnuplot run on it (SVG, plus PNG when pngcairo exists). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "experiment.h"

static FILE *dat_open(const xp_run *run, const char *name) {
  char p[XP_PATH + 64];
  snprintf(p, sizeof p, "%s/plot-data/%s", run->out_dir, name);
  return fopen(p, "w");
}

/* One .dat file per model: ber, mean %, std % (main BERs), then a blank line and Hirtzlin's. */
static int write_curve(const xp_run *run, const xp_model *m, size_t idx) {
  char name[64];
  snprintf(name, sizeof name, "mc_%zu.dat", idx);
  FILE *f = dat_open(run, name);
  if (!f) return 0;
  fprintf(f, "# %s: test BER, Monte-Carlo accuracy mean %%, std %%, predicted %%\n", m->id);
  for (size_t b = 0; b < run->n_main; ++b) {
    if (m->have_pred)
      fprintf(f, "%g %.4f %.4f %.4f\n", run->bers[b], xp_pp(m->mc[b].mean), xp_pp(m->mc[b].std),
              xp_pp(m->pred[b]));
    else
      fprintf(f, "%g %.4f %.4f NaN\n", run->bers[b], xp_pp(m->mc[b].mean), xp_pp(m->mc[b].std));
  }
  return fclose(f) == 0;
}

typedef struct plot_set {
  const char *file, *title;
  int roles; /* bit mask of xp_role, plus grad filter */
  int grad;  /* -1 any, else bet_flip_grad for XP_ROLE_FLIP models */
} plot_set;

static void plot_curves(FILE *gp, const xp_run *run, const plot_set *ps, const char *ext) {
  fprintf(gp,
          "set output '%s/%s.%s'\nset title \"%s\"\nset xlabel 'test weight BER'\nset ylabel "
          "'accuracy (%%)'\n"
          "set key outside right top\nset xrange [-0.002:0.102]\nset yrange [*:*]\nplot ",
          run->plot_dir, ps->file, ext, ps->title);
  int first = 1;
  for (size_t i = 0; i < run->n_models; ++i) {
    const xp_model *m = &run->models[i];
    if (!m->have_mc || !(ps->roles & (1 << m->role))) continue;
    if (m->role == XP_ROLE_FLIP && ps->grad >= 0 && (int)m->tp.flip_grad != ps->grad) continue;
    fprintf(gp, "%s'%s/plot-data/mc_%zu.dat' using 1:2:3 with yerrorlines pt 7 ps 0.6 title '%s'",
            first ? "" : ", ", run->out_dir, i, m->id);
    first = 0;
  }
  if (first) fprintf(gp, "NaN notitle");
  fprintf(gp, "\nunset xrange\nset xrange [*:*]\n");
}

/* Runs gnuplot on the script; records failure in run->gnuplot_msg. */
static void run_gnuplot(xp_run *run, const char *script) {
  char cmd[XP_PATH + 64];
  snprintf(cmd, sizeof cmd, "gnuplot '%s' 2>&1", script);
  FILE *p = popen(cmd, "r");
  if (!p) {
    snprintf(run->gnuplot_msg, sizeof run->gnuplot_msg, "cannot run gnuplot: %s", strerror(errno));
    return;
  }
  char buf[512];
  run->gnuplot_msg[0] = 0;
  while (fgets(buf, sizeof buf, p))
    if (!run->gnuplot_msg[0])
      snprintf(run->gnuplot_msg, sizeof run->gnuplot_msg, "%.*s", (int)strcspn(buf, "\n"), buf);
  const int st = pclose(p);
  run->gnuplot_ok = st == 0;
  if (st != 0 && !run->gnuplot_msg[0])
    snprintf(run->gnuplot_msg, sizeof run->gnuplot_msg, "gnuplot exited with status %d", st);
}

static const plot_set k_sets[] = {
    {"accuracy_fcnn_sign", "FCNN, flip training with --flip-grad sign (Monte-Carlo, mean +- std)",
     (1 << XP_ROLE_BASE) | (1 << XP_ROLE_FLIP), BET_FLIP_GRAD_SIGN},
    {"accuracy_fcnn_straight",
     "FCNN, flip training with --flip-grad straight (Monte-Carlo, mean +- std)",
     (1 << XP_ROLE_BASE) | (1 << XP_ROLE_FLIP), BET_FLIP_GRAD_STRAIGHT},
    {"accuracy_fcnn_margin", "FCNN: cross-entropy, MHL and margin regularizer (Monte-Carlo)",
     (1 << XP_ROLE_BASE) | (1 << XP_ROLE_MHL) | (1 << XP_ROLE_REG), -1},
    {"accuracy_vgg3", "VGG3 (Monte-Carlo, mean +- std)", 1 << XP_ROLE_VGG, -1},
};
#define XP_N_SETS (sizeof k_sets / sizeof k_sets[0])

/* C3 scatter: metric k against Monte-Carlo accuracy at three BERs, one point per FCNN. */
static void scatter_data(const xp_run *run, int k, const char *name) {
  FILE *f = dat_open(run, name);
  if (!f) return;
  const double show[3] = {0.01, 0.033, 0.1};
  for (int s = 0; s < 3; ++s) {
    const int bi = xp_ber_index(run, show[s]);
    fprintf(f, "# BER %g: metric, accuracy %%\n", show[s]);
    for (size_t i = 0; bi >= 0 && i < run->n_models; ++i) {
      const xp_model *m = &run->models[i];
      if (m->is_fcnn && m->have_mc && m->have_metric && !isnan(m->metric[bi][k]))
        fprintf(f, "%.6g %.4f\n", m->metric[bi][k], xp_pp(m->mc[bi].mean));
    }
    fprintf(f, "\n\n");
  }
  fclose(f);
}

void xp_write_plots(xp_run *run, int best_metric) {
  char dir[XP_PATH + 32], script[XP_PATH + 32];
  snprintf(dir, sizeof dir, "%s/plot-data", run->out_dir);
  if ((mkdir(dir, 0777) != 0 && errno != EEXIST) ||
      (mkdir(run->plot_dir, 0777) != 0 && errno != EEXIST)) {
    snprintf(run->gnuplot_msg, sizeof run->gnuplot_msg, "cannot create %.90s or %.90s: %.40s", dir,
             run->plot_dir, strerror(errno));
    return;
  }
  for (size_t i = 0; i < run->n_models; ++i)
    if (run->models[i].have_mc) write_curve(run, &run->models[i], i);
  const int k_mn = xp_metric_index(run, "hidden_mn_mean");
  scatter_data(run, k_mn, "c3_hidden_mn_mean.dat");
  if (best_metric >= 0) scatter_data(run, best_metric, "c3_best.dat");
  /* C4: clean vs 3.3 % accuracy over λ (λ = 0 is fcnn-p0). */
  const int b33 = xp_ber_index(run, 0.033);
  FILE *f = dat_open(run, "c4.dat");
  if (f) {
    fprintf(f, "# lambda clean%% acc@3.3%% std%%\n");
    for (size_t i = 0; i < run->n_models; ++i) {
      const xp_model *m = &run->models[i];
      if ((m->role == XP_ROLE_BASE || m->role == XP_ROLE_REG) && m->have_mc && b33 >= 0)
        fprintf(f, "%g %.4f %.4f %.4f \"lambda=%g\"\n", m->lambda, xp_pp(m->mc[0].mean),
                xp_pp(m->mc[b33].mean), xp_pp(m->mc[b33].std), m->lambda);
    }
    fclose(f);
  }
  f = dat_open(run, "pred.dat");
  if (f) {
    fprintf(f, "# Monte-Carlo %% predicted %% (every model x study BER)\n");
    for (size_t i = 0; i < run->n_models; ++i) {
      const xp_model *m = &run->models[i];
      if (m->have_mc && m->have_pred)
        for (size_t b = 0; b < run->n_main; ++b)
          fprintf(f, "%.4f %.4f\n", xp_pp(m->mc[b].mean), xp_pp(m->pred[b]));
    }
    fclose(f);
  }
  if (snprintf(script, sizeof script, "%s/plots.gp", dir) >= (int)sizeof script) return;
  f = fopen(script, "w");
  if (!f) {
    snprintf(run->gnuplot_msg, sizeof run->gnuplot_msg, "%.200s: %.40s", script, strerror(errno));
    return;
  }
  const int cairo = system("gnuplot -e 'set terminal pngcairo' >/dev/null 2>&1") == 0;
  fprintf(f, "# written by rramsim experiment paper (%s)\nset grid\nset termoption noenhanced\n",
          cli_version());
  const char *terms[2][2] = {
      {"svg noenhanced size 900,560 dynamic font 'sans,11'", "svg"},
      {cairo ? "pngcairo noenhanced size 900,560 font ',10'" : "png noenhanced size 900,560",
       "png"}};
  for (int t = 0; t < 2; ++t) {
    fprintf(f, "set terminal %s\n", terms[t][0]);
    for (size_t s = 0; s < XP_N_SETS; ++s) plot_curves(f, run, &k_sets[s], terms[t][1]);
    const char *sc[2][2] = {{"c3_hidden_mn_mean", "hidden_mn_mean"},
                            {"c3_best", best_metric >= 0 ? run->metric_names[best_metric] : "n/a"}};
    for (int c = 0; c < (best_metric >= 0 && best_metric != k_mn ? 2 : 1); ++c)
      fprintf(
          f,
          "set output '%s/%s.%s'\nset title 'C3: %s vs Monte-Carlo accuracy, one point per FCNN'\n"
          "set xlabel '%s (no fault injection)'\nset ylabel 'Monte-Carlo accuracy (%%)'\nset key "
          "outside right top\n"
          "plot '%s/%s.dat' index 0 using 1:2 with points pt 7 title 'BER 0.01', '' index 1 using "
          "1:2 with points pt 5 "
          "title 'BER 0.033', '' index 2 using 1:2 with points pt 9 title 'BER 0.1'\n",
          run->plot_dir, sc[c][0], terms[t][1], sc[c][1], sc[c][1], dir, sc[c][0]);
    fprintf(
        f,
        "set output '%s/c4_tradeoff.%s'\nset title 'C4: clean accuracy vs accuracy at BER 0.033 "
        "over lambda'\n"
        "set xlabel 'clean accuracy (%%)'\nset ylabel 'accuracy at BER 0.033 (%%)'\nset key off\n"
        "plot '%s/c4.dat' using 2:3:4 with yerrorlines pt 7, '' using 2:3:5 with labels offset 0,1 "
        "font ',9', "
        "x with lines dt 2 lc rgb 'gray'\n"
        "set key outside right top\n",
        run->plot_dir, terms[t][1], dir);
    fprintf(f,
            "set output '%s/prediction_vs_mc.%s'\nset title 'Analytic prediction vs Monte-Carlo "
            "(each model x study BER)'\n"
            "set xlabel 'Monte-Carlo accuracy (%%)'\nset ylabel 'predicted accuracy (%%)'\nset key "
            "left top\n"
            "plot '%s/pred.dat' using 1:2 with points pt 7 title 'model x BER', x with lines dt 2 "
            "title 'y = x', "
            "x + 2 with lines dt 3 lc rgb 'gray' title '+-2 pp', x - 2 with lines dt 3 lc rgb "
            "'gray' notitle\n"
            "set key outside right top\n",
            run->plot_dir, terms[t][1], dir);
  }
  fclose(f);
  run_gnuplot(run, script);
}
