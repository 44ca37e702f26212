/* study_report.c — the seed study's report from whatever result files exist: per configuration and
 * BER the mean accuracy over seeds with its 95 % t-interval and n; per claim the paired-by-seed
 * differences and the verdicts of the pre-registered rules (docs/results/study-design.md). A
 * comparison counts toward a verdict only when every seed it uses is present; a claim is decided
 * before all its jobs ran only when no missing job can change the verdict (amendment 7), else it is
 * "inconclusive: incomplete (k of n jobs)" with the compute the missing jobs need. Nothing here
 * depends on the order the jobs ran in or on the shard that ran them. */
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bet/stats.h"
#include "bnn/durable.h"
#include "bnn/rng.h"
#include "cli.h"
#include "experiment.h"
#include "study.h"

static const char *const CMD = "experiment";

typedef struct st_res {
  int have;
  double acc[ST_MAX_BERS], pred[ST_MAX_BERS], curve[ST_MAX_EPOCHS];
  size_t n_curve;
  double nm_all, mn_hidden, out_nm_med;
  double seconds; /* the job's wall time (training + evaluation), NAN if the file has none */
  char
      version[64]; /* the rramsim build that ran the job; "" in files written before amendment 10 */
} st_res;

static st_res g_res[ST_MAX_CONFIGS][ST_MAX_SEEDS];

static int read_arr(json_t *o, const char *key, double *out, size_t n) {
  json_t *a = json_object_get(o, key);
  if (!json_is_array(a) || json_array_size(a) != n) return 0;
  for (size_t i = 0; i < n; ++i) {
    json_t *v = json_array_get(a, i);
    if (!json_is_number(v)) return 0;
    out[i] = json_number_value(v);
  }
  return 1;
}

/* Loads one result; a file that does not match the design (other BERs, config or seed) is stale and
 * counts as missing (reported). */
static int load_result(const st_design *d, const char *path, const st_config *C, uint64_t seed,
                       st_res *r, FILE *notes) {
  json_error_t e;
  json_t *o = json_load_file(path, 0, &e);
  memset(r, 0, sizeof *r);
  if (!o) return 0;
  double bers[ST_MAX_BERS];
  json_t *cfg = json_object_get(o, "config"), *sd = json_object_get(o, "seed"),
         *mt = json_object_get(o, "metrics");
  /* Files written before the encoding was a factor carry no "encoding": [0, 1]. A [−1, 1] result
   * counts only with "input_offset": "stored-weights" (amendment 7: the offset's fault model). */
  json_t *enc = json_object_get(o, "encoding"), *ioff = json_object_get(o, "input_offset");
  const char *want_enc = C->encoding_pm1 ? "pm1" : "01";
  int ok =
      (enc ? json_is_string(enc) && !strcmp(json_string_value(enc), want_enc) : !C->encoding_pm1) &&
      (!C->encoding_pm1 ||
       (json_is_string(ioff) && !strcmp(json_string_value(ioff), "stored-weights"))) &&
      json_is_string(cfg) && !strcmp(json_string_value(cfg), C->id) && json_is_integer(sd) &&
      (uint64_t)json_integer_value(sd) == seed && read_arr(o, "bers", bers, d->n_bers) &&
      read_arr(o, "acc_mean", r->acc, d->n_bers) && read_arr(o, "pred", r->pred, d->n_bers) &&
      json_is_object(mt);
  for (size_t b = 0; ok && b < d->n_bers; ++b) ok = fabs(bers[b] - d->bers[b]) < 1e-12;
  json_t *cv = json_object_get(o, "curve");
  if (ok && json_is_array(cv)) {
    r->n_curve = json_array_size(cv) < ST_MAX_EPOCHS ? json_array_size(cv) : ST_MAX_EPOCHS;
    for (size_t i = 0; i < r->n_curve; ++i) r->curve[i] = json_number_value(json_array_get(cv, i));
  }
  if (ok) {
    r->nm_all = json_number_value(json_object_get(mt, "all_nm_mean"));
    r->mn_hidden = json_number_value(json_object_get(mt, "hidden_mn_mean"));
    r->out_nm_med = json_number_value(json_object_get(mt, "output_nm_median"));
    json_t *ver = json_object_get(o, "rramsim_version");
    if (json_is_string(ver)) snprintf(r->version, sizeof r->version, "%s", json_string_value(ver));
    json_t *sec = json_object_get(o, "seconds");
    r->seconds = json_is_number(sec) ? json_number_value(sec) : (double)NAN;
  } else {
    fprintf(notes, "- `%s`: does not match the design (stale or foreign): counted as missing\n",
            path);
  }
  json_decref(o);
  r->have = ok;
  return ok;
}

static int ber_index(const st_design *d, double ber) {
  for (size_t b = 0; b < d->n_bers; ++b)
    if (fabs(d->bers[b] - ber) < 1e-12) return (int)b;
  return -1;
}

static size_t have_count(const st_design *d, size_t c) {
  size_t k = 0;
  for (size_t s = 0; s < d->configs[c].n_seeds; ++s) k += g_res[c][s].have;
  return k;
}

/* Every seed of configuration c present (c < 0: no such configuration, never complete). */
static int complete(const st_design *d, int c) {
  return c >= 0 && have_count(d, (size_t)c) == d->configs[c].n_seeds;
}

/* Seconds one job of configuration c takes: the mean measured time of the finished jobs of the same
 * network, else the design's estimate (docs/results/study-design.md, "Compute budget"); *estimated
 * says which. */
static double job_seconds(const st_design *d, size_t c, int *estimated) {
  double sum = 0;
  size_t n = 0;
  for (size_t e = 0; e < d->n_configs; ++e)
    if (!strcmp(d->configs[e].arch, d->configs[c].arch))
      for (size_t s = 0; s < d->configs[e].n_seeds; ++s)
        if (g_res[e][s].have && isfinite(g_res[e][s].seconds)) sum += g_res[e][s].seconds, ++n;
  if (n) return *estimated = 0, sum / (double)n;
  *estimated = 1;
  const char *a = d->configs[c].arch;
  if (!strcmp(a, "vgg3")) return 1.2 * 3600 / 6;  /* 6 jobs ≈ 1.2 h */
  if (!strncmp(a, "784-", 4)) return 3600.0 / 20; /* 20 narrow FCNN jobs ≈ 1 h */
  return 13.0 * 3600 / 150;                       /* 150 full-width FCNN jobs ≈ 13 h */
}

/* ---- configuration roles --------------------------------------------------------------------- */

/* The main network is the first configuration's architecture (the design lists the p = 0 FCNN
 * first); the claims C1, C2, C4 and H1 are judged on it. */
static const char *g_main_arch = "fcnn";
static int is_fcnn_main(const st_config *C) {
  return !strcmp(C->arch, g_main_arch) && C->loss == BET_LOSS_CE && C->reg_margin == 0;
}
static int find_base(const st_design *d, int pm1) {
  for (size_t c = 0; c < d->n_configs; ++c)
    if (is_fcnn_main(&d->configs[c]) && d->configs[c].flip_p == 0 &&
        d->configs[c].encoding_pm1 == pm1)
      return (int)c;
  return -1;
}
static int find_flip(const st_design *d, int pm1, double p, bet_flip_grad g) {
  for (size_t c = 0; c < d->n_configs; ++c) {
    const st_config *C = &d->configs[c];
    if (is_fcnn_main(C) && C->encoding_pm1 == pm1 && fabs(C->flip_p - p) < 1e-12 &&
        C->flip_grad == g)
      return (int)c;
  }
  return -1;
}

/* ---- statistics ------------------------------------------------------------------------------ */

typedef struct diff_stat {
  size_t n;
  double mean, hw; /* pp */
} diff_stat;

/* Paired over the seeds both configurations have: v(a, seed) − v(b, seed), v given by f. b < 0:
 * unpaired values of a alone. */
static diff_stat paired(const st_design *d, int a, int b,
                        double (*f)(const st_design *, const st_res *, void *), void *ud) {
  diff_stat r = {0, NAN, NAN};
  double x[ST_MAX_SEEDS];
  const st_config *A = &d->configs[a];
  for (size_t s = 0; s < A->n_seeds; ++s) {
    if (!g_res[a][s].have) continue;
    double v = f(d, &g_res[a][s], ud);
    if (b >= 0) {
      const st_config *B = &d->configs[b];
      int sb = -1;
      for (size_t t = 0; t < B->n_seeds; ++t)
        if (B->seeds[t] == A->seeds[s] && g_res[b][t].have) sb = (int)t;
      if (sb < 0) continue;
      v -= f(d, &g_res[b][sb], ud);
    }
    x[r.n++] = 100.0 * v;
  }
  if (r.n) r.mean = bet_stats_mean(x, r.n);
  if (r.n > 1) r.hw = bet_stats_t_halfwidth(x, r.n, 0.95);
  return r;
}

/* "established +/−", "absent", "inconclusive", or "n < 2". */
static const char *word(diff_stat s) {
  if (s.n < 2 || !isfinite(s.hw)) return "n < 2";
  if (s.mean - s.hw > 0) return "established +";
  if (s.mean + s.hw < 0) return "established −";
  if (s.mean - s.hw >= -0.5 && s.mean + s.hw <= 0.5) return "absent";
  return "inconclusive";
}

static void cell(FILE *f, diff_stat s) {
  if (s.n == 0)
    fprintf(f, " — |");
  else if (s.n == 1)
    fprintf(f, " %+.2f (n = 1) |", s.mean);
  else
    fprintf(f, " %+.2f ± %.2f (n = %zu) |", s.mean, s.hw, s.n);
}

/* Mean over the design BERs strictly between 0 and hi of acc. */
typedef struct below_ud {
  double hi;
} below_ud;
static double f_below(const st_design *d, const st_res *r, void *ud) {
  const double hi = ((below_ud *)ud)->hi;
  double s = 0;
  int n = 0;
  for (size_t b = 0; b < d->n_bers; ++b)
    if (d->bers[b] > 0 && d->bers[b] < hi - 1e-12) s += r->acc[b], ++n;
  return n ? s / n : (double)NAN;
}
typedef struct at_ud {
  int b;
} at_ud;
static double f_at(const st_design *d, const st_res *r, void *ud) {
  (void)d;
  return r->acc[((at_ud *)ud)->b];
}
/* clean − at BER b (the loss of one net) */
static double f_loss(const st_design *d, const st_res *r, void *ud) {
  const int b0 = ber_index(d, 0.0);
  return r->acc[b0] - r->acc[((at_ud *)ud)->b];
}

/* Incompleteness of a set of configurations: k present of n jobs. */
typedef struct inputs {
  size_t k, n;
  double missing_s; /* seconds the missing jobs need */
  int estimated;    /* some of it from the design's estimate, not a measurement */
} inputs;
static void add_inputs(const st_design *d, inputs *in, int c) {
  if (c < 0) return;
  const size_t k = have_count(d, (size_t)c), n = d->configs[c].n_seeds;
  in->k += k;
  in->n += n;
  if (k < n) {
    int est = 0;
    in->missing_s += (double)(n - k) * job_seconds(d, (size_t)c, &est);
    in->estimated |= est;
  }
}

/* The verdicts, kept for the summary at the top of the report. */
enum { MAX_VERDICTS = 8 };
static struct { char claim[32], text[512]; } g_verdict[MAX_VERDICTS];
static size_t g_n_verdicts;

/* Writes "**Verdict (claim)**: text" and keeps it for the summary. */
static void verdict(FILE *f, const char *claim, const char *fmt, ...) {
  char text[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  fprintf(f, "\n**Verdict (%s)**: %s\n\n", claim, text);
  if (g_n_verdicts < MAX_VERDICTS) {
    snprintf(g_verdict[g_n_verdicts].claim, sizeof g_verdict[0].claim, "%s", claim);
    snprintf(g_verdict[g_n_verdicts].text, sizeof g_verdict[0].text, "%s", text);
    ++g_n_verdicts;
  }
}

/* "inconclusive: incomplete (k of n jobs); ... the compute the missing jobs need". */
static void verdict_incomplete(FILE *f, const char *claim, inputs in) {
  const double h = in.missing_s / 3600.0;
  verdict(f, claim,
          "inconclusive: incomplete (%zu of %zu jobs). The %zu missing jobs need ≈ %.1f core-hours "
          "(one thread per job; ≈ %.1f h on one 2-core machine running two jobs at a time; %s).",
          in.k, in.n, in.n - in.k, h, h / 2,
          in.estimated ? "partly the design's estimate, no job of some network has finished"
                       : "the mean measured time of a finished job of the same network");
}

/* ---- the report ------------------------------------------------------------------------------ */

static void claim_c1_c2(FILE *f, const st_design *d, int c2) {
  static const double ps[] = {0.01, 0.033, 0.05, 0.1, 0.2};
  inputs in = {0};
  int est[2] = {0, 0}, neg_or_absent[2] = {0, 0}, any_enc[2] = {0, 0};
  fprintf(f, "| encoding | p_train | %s | verdict |\n| --- | --- | --- | --- |\n",
          c2 ? "acc(straight) − acc(sign), mean over test BERs in (0, p_train), pp"
             : "acc(sign, p_train) − acc(p = 0), mean over test BERs in (0, p_train), pp");
  for (int pm1 = 0; pm1 < 2; ++pm1) {
    const int base = find_base(d, pm1);
    if (base < 0) continue;
    any_enc[pm1] = 1;
    if (!c2) add_inputs(d, &in, base);
    for (size_t i = 0; i < sizeof ps / sizeof *ps; ++i) {
      const int a = find_flip(d, pm1, ps[i], c2 ? BET_FLIP_GRAD_STRAIGHT : BET_FLIP_GRAD_SIGN);
      const int b = c2 ? find_flip(d, pm1, ps[i], BET_FLIP_GRAD_SIGN) : base;
      if (a < 0 || b < 0) continue;
      add_inputs(d, &in, a);
      if (c2) add_inputs(d, &in, b);
      below_ud u = {ps[i]};
      diff_stat s = paired(d, a, b, f_below, &u);
      fprintf(f, "| %s | %g |", pm1 ? "[−1, 1]" : "[0, 1]", ps[i]);
      cell(f, s);
      const char *w = word(s);
      const int counts = complete(d, a) && complete(d, b);
      fprintf(f, " %s%s |\n", w, counts || s.n < 2 ? "" : " (seeds missing: not counted yet)");
      const int good = c2 ? !strcmp(w, "established +") : !strcmp(w, "established −");
      const int bad =
          !strcmp(w, "absent") || (c2 ? !strcmp(w, "established −") : !strcmp(w, "established +"));
      est[pm1] += counts && good, neg_or_absent[pm1] += counts && bad;
    }
  }
  const char *claim = c2 ? "C2" : "C1";
  const char *early =
      in.k < in.n ? " (decided before all jobs ran: no missing job can change it)" : "";
  /* Reproduces: ≥ 3 complete cells of one encoding in the claimed direction; does not: ≥ 3 against
   * it in both encodings (then neither can reach 3). Either is final whatever is missing. */
  if (est[0] >= 3 || est[1] >= 3)
    verdict(f, claim, "reproduces%s.", early);
  else if (any_enc[0] && any_enc[1] && neg_or_absent[0] >= 3 && neg_or_absent[1] >= 3)
    verdict(f, claim, "does not reproduce%s.", early);
  else if (in.k < in.n)
    verdict_incomplete(f, claim, in);
  else
    verdict(f, claim, "inconclusive.");
}

static void claim_c4(FILE *f, const st_design *d) {
  const int base = find_base(d, 0);
  const int b0 = ber_index(d, 0), b33 = ber_index(d, 0.033), b10 = ber_index(d, 0.1);
  if (base < 0 || b0 < 0 || b33 < 0 || b10 < 0) {
    fprintf(f, "The design lacks the p = 0 FCNN or BERs 0, 0.033, 0.1: C4 cannot be judged.\n\n");
    return;
  }
  for (int all = 0; all < 2; ++all) {
    inputs in = {0};
    add_inputs(d, &in, base);
    int any = 0, repro = 0, all_absent = 1;
    fprintf(f,
            "%s\n\n| λ | clean: reg − base, pp | at 0.033: reg − base, pp | at 0.1: reg − base, "
            "pp |\n| --- | --- | --- | --- |\n",
            all ? "Every layer (`--reg-layers all`):" : "Hidden layers after the first:");
    for (size_t c = 0; c < d->n_configs; ++c) {
      const st_config *C = &d->configs[c];
      if (strcmp(C->arch, g_main_arch) || C->reg_margin <= 0 || C->encoding_pm1 ||
          (C->reg_layers == BET_REG_ALL) != all)
        continue;
      any = 1;
      add_inputs(d, &in, (int)c);
      at_ud u0 = {b0}, u33 = {b33}, u10 = {b10};
      diff_stat s0 = paired(d, (int)c, base, f_at, &u0), s33 = paired(d, (int)c, base, f_at, &u33),
                s10 = paired(d, (int)c, base, f_at, &u10);
      fprintf(f, "| %g |", C->reg_margin);
      cell(f, s0), cell(f, s33), cell(f, s10);
      fprintf(f, "\n");
      if (complete(d, (int)c) && complete(d, base) && !strcmp(word(s0), "established −") &&
          !strcmp(word(s33), "established +") && !strcmp(word(s10), "established +"))
        repro = 1;
      if (!(strcmp(word(s33), "absent") == 0 || (s33.n >= 2 && s33.mean + s33.hw < 0)))
        all_absent = 0;
    }
    if (!any) {
      fprintf(f, "\n(no configuration)\n\n");
      continue;
    }
    const char *claim = all ? "C4, every layer" : "C4, hidden";
    if (repro)
      verdict(f, claim, "reproduces%s.",
              in.k < in.n ? " (decided before all jobs ran: no missing job can change it)" : "");
    else if (in.k < in.n)
      verdict_incomplete(f, claim, in);
    else if (all_absent)
      verdict(f, claim, "does not reproduce.");
    else
      verdict(f, claim, "inconclusive.");
  }
}

static void claim_h1(FILE *f, const st_design *d) {
  const int base = find_base(d, 0), b4 = ber_index(d, 1e-4), b40 = ber_index(d, 0.04);
  if (base < 0 || b4 < 0 || b40 < 0) {
    fprintf(f, "The design lacks the p = 0 FCNN or BERs 1e-4, 0.04: H1 cannot be judged.\n\n");
    return;
  }
  inputs in = {0};
  add_inputs(d, &in, base);
  at_ud u4 = {b4}, u40 = {b40};
  diff_stat s = paired(d, base, -1, f_loss, &u4);
  fprintf(f, "| net | loss clean − BER, pp | verdict |\n| --- | --- | --- |\n| p = 0, at 1e-4 |");
  cell(f, s);
  fprintf(f, " %s |\n", word(s));
  int flip_ok = 0;
  for (size_t c = 0; c < d->n_configs; ++c) {
    const st_config *C = &d->configs[c];
    if (!is_fcnn_main(C) || C->flip_p < 0.033 - 1e-12 || C->encoding_pm1) continue;
    add_inputs(d, &in, (int)c);
    diff_stat t = paired(d, (int)c, -1, f_loss, &u40);
    fprintf(f, "| %s, at 0.04 |", C->id);
    cell(f, t);
    const int ok = t.n >= 2 && t.mean < 1.0 && t.mean + t.hw < 1.0;
    const int counts = complete(d, (int)c);
    fprintf(f, " %s%s |\n",
            ok         ? "< 1 pp"
            : t.n >= 2 ? "not < 1 pp"
                       : "—",
            ok && !counts ? " (seeds missing: not counted yet)" : "");
    flip_ok |= ok && counts;
  }
  const char *early =
      in.k < in.n ? " (decided before all jobs ran: no missing job can change it)" : "";
  const int base_done = complete(d, base), absent = !strcmp(word(s), "absent");
  if (base_done && !absent)
    verdict(f, "H1", "does not reproduce%s (the p = 0 net's loss at 1e-4 is not absent).", early);
  else if (base_done && flip_ok)
    verdict(f, "H1", "reproduces%s.", early);
  else if (in.k < in.n)
    verdict_incomplete(f, "H1", in);
  else
    verdict(f, "H1", "does not reproduce.");
}

/* C3: Spearman ρ across every FCNN net (each seed a point) between a metric and the Monte-Carlo
 * accuracy at BER b, with a percentile bootstrap over seeds within configurations. */
static double metric_of(const st_res *r, int m) {
  return m == 0 ? r->nm_all : m == 1 ? r->out_nm_med : (double)NAN; /* predicted: separately */
}
static void claim_c3(FILE *f, const st_design *d) {
  static const char *names[] = {"hidden normalised margin mean (every layer)",
                                "output normalised margin median", "predicted accuracy"};
  const int base = find_base(d, 0), b0 = ber_index(d, 0);
  inputs in = {0};
  size_t idx_c[ST_MAX_CONFIGS * ST_MAX_SEEDS], idx_s[ST_MAX_CONFIGS * ST_MAX_SEEDS], np = 0;
  for (size_t c = 0; c < d->n_configs; ++c) {
    if (strncmp(d->configs[c].arch, "fcnn", 4) && strncmp(d->configs[c].arch, "784-", 4)) continue;
    add_inputs(d, &in, (int)c);
    for (size_t s = 0; s < d->configs[c].n_seeds; ++s)
      if (g_res[c][s].have) idx_c[np] = c, idx_s[np] = s, ++np;
  }
  if (base < 0 || b0 < 0 || have_count(d, (size_t)base) == 0) {
    fprintf(f, "No result of the p = 0 FCNN yet: the BERs where it loses ≥ 2 pp are unknown.\n\n");
    verdict_incomplete(f, "C3", in);
    return;
  }
  fprintf(f, "| BER | p = 0 loss, pp | nets |");
  for (int m = 0; m < 3; ++m) fprintf(f, " ρ (%s), 95 %% bootstrap |", names[m]);
  fprintf(f, "\n| --- | --- | --- | --- | --- | --- |\n");
  int n_ber = 0, above[3] = {0, 0, 0}, zero[3] = {0, 0, 0};
  for (size_t b = 0; b < d->n_bers; ++b) {
    at_ud u = {(int)b};
    diff_stat L = paired(d, base, -1, f_loss, &u);
    if (!(L.mean >= 2.0)) continue;
    ++n_ber;
    fprintf(f, "| %g | %.2f | %zu |", d->bers[b], L.mean, np);
    for (int m = 0; m < 3; ++m) {
      double x[ST_MAX_CONFIGS * ST_MAX_SEEDS], y[ST_MAX_CONFIGS * ST_MAX_SEEDS];
      for (size_t i = 0; i < np; ++i) {
        const st_res *r = &g_res[idx_c[i]][idx_s[i]];
        x[i] = m == 2 ? r->pred[b] : metric_of(r, m);
        y[i] = r->acc[b];
      }
      const double rho = np >= 3 ? bet_stats_spearman(x, y, np) : (double)NAN;
      /* bootstrap: within each configuration, its seeds drawn with replacement */
      enum { B = 2000 };
      static double rb[B];
      size_t nb = 0;
      bnn_rng rng = bnn_rng_make(20261205, (uint64_t)(b * 3 + (size_t)m));
      for (int k = 0; k < B && np >= 3; ++k) {
        double xb[ST_MAX_CONFIGS * ST_MAX_SEEDS], yb[ST_MAX_CONFIGS * ST_MAX_SEEDS];
        for (size_t i = 0; i < np; ++i) {
          size_t lo = i, hi = i; /* the run of points of this configuration */
          while (lo > 0 && idx_c[lo - 1] == idx_c[i]) --lo;
          while (hi + 1 < np && idx_c[hi + 1] == idx_c[i]) ++hi;
          const size_t j = lo + (size_t)bnn_rng_below(&rng, hi - lo + 1);
          xb[i] = x[j], yb[i] = y[j];
        }
        const double v = bet_stats_spearman(xb, yb, np);
        if (isfinite(v)) rb[nb++] = v;
      }
      double lo = NAN, hi = NAN;
      if (nb > 0) {
        for (size_t i = 1; i < nb; ++i) /* insertion sort: nb ≤ 2000 */
          for (size_t j = i; j > 0 && rb[j - 1] > rb[j]; --j) {
            double t = rb[j];
            rb[j] = rb[j - 1], rb[j - 1] = t;
          }
        lo = rb[(size_t)floor(0.025 * (double)(nb - 1))];
        hi = rb[(size_t)ceil(0.975 * (double)(nb - 1))];
      }
      if (isfinite(rho))
        fprintf(f, " %.2f [%.2f, %.2f] |", rho, lo, hi);
      else
        fprintf(f, " — |");
      above[m] += isfinite(lo) && lo > 0.5;
      zero[m] += isfinite(lo) && lo <= 0 && hi >= 0;
    }
    fprintf(f, "\n");
  }
  if (!n_ber)
    fprintf(f, "| (none yet: the p = 0 FCNN loses < 2 pp at every BER so far) | | | | | |\n");
  if (in.k < in.n) {
    verdict_incomplete(f, "C3", in);
    return;
  }
  char text[512];
  size_t len = 0;
  text[0] = 0;
  for (int m = 0; m < 3 && len < sizeof text; ++m)
    len += (size_t)snprintf(text + len, sizeof text - len, "%s%s: %s.", m ? " " : "", names[m],
                            n_ber && above[m] == n_ber     ? "reproduces"
                            : n_ber && 2 * zero[m] > n_ber ? "does not reproduce"
                                                           : "inconclusive");
  verdict(f, "C3", "%s", text);
}

/* ---- figures --------------------------------------------------------------------------------- */

/* One figure: accuracy vs BER (mean ± 95 % t half-width over seeds as error bars) of the
 * configurations picked by `want`; data and script in <stem>-figures/ next to the report, drawn by
 * gnuplot when it is installed. Returns 1 when the SVG was written. */
static int figure(const st_design *d, const char *fig_dir, const char *name, const char *title,
                  int (*want)(const st_config *)) {
  char dat[ST_PATH + 64], gp[ST_PATH + 64], svg[ST_PATH + 64];
  if (snprintf(dat, sizeof dat, "%s/%s.dat", fig_dir, name) >= (int)sizeof dat ||
      snprintf(gp, sizeof gp, "%s/%s.gp", fig_dir, name) >= (int)sizeof gp ||
      snprintf(svg, sizeof svg, "%s/%s.svg", fig_dir, name) >= (int)sizeof svg)
    return 0;
  char *db = NULL, *gb = NULL;
  size_t dl = 0, gl = 0;
  FILE *df = open_memstream(&db, &dl), *gf = open_memstream(&gb, &gl);
  if (!df || !gf) return 0;
  fprintf(gf,
          "set terminal svg size 900,560 font 'sans,12'\nset output '%s'\nset title '%s'\n"
          "set xlabel 'weight BER'\nset ylabel 'test accuracy (%%), mean and 95%% t-interval over "
          "seeds'\nset key left bottom\nset grid\nplot",
          svg, title);
  int blocks = 0;
  for (size_t c = 0; c < d->n_configs; ++c) {
    if (!want(&d->configs[c]) || have_count(d, c) == 0) continue;
    fprintf(df, "# %s\n", d->configs[c].id);
    for (size_t b = 0; b < d->n_bers; ++b) {
      at_ud u = {(int)b};
      diff_stat st = paired(d, (int)c, -1, f_at, &u);
      fprintf(df, "%.6g %.4f %.4f\n", d->bers[b], st.mean, isfinite(st.hw) ? st.hw : 0.0);
    }
    fprintf(df, "\n\n");
    fprintf(gf, "%s'%s' index %d using 1:2:3 with yerrorlines title '%s (n = %zu)'",
            blocks ? ", \\\n    " : " ", dat, blocks, d->configs[c].id, have_count(d, c));
    ++blocks;
  }
  fprintf(gf, "\n");
  fclose(df), fclose(gf);
  int ok = blocks > 0 && bnn_mkdirs(fig_dir) == BNN_OK &&
           bnn_write_file_atomic(dat, db, dl) == BNN_OK &&
           bnn_write_file_atomic(gp, gb, gl) == BNN_OK;
  free(db), free(gb);
  if (ok) {
    char cmd[ST_PATH + 128];
    snprintf(cmd, sizeof cmd, "gnuplot '%s' >/dev/null 2>&1", gp);
    ok = system(cmd) == 0;
  }
  return ok;
}
static int want_sign(const st_config *C) {
  return is_fcnn_main(C) && !C->encoding_pm1 &&
         (C->flip_p == 0 || C->flip_grad == BET_FLIP_GRAD_SIGN);
}
static int want_straight(const st_config *C) {
  return is_fcnn_main(C) && !C->encoding_pm1 &&
         (C->flip_p == 0 || C->flip_grad == BET_FLIP_GRAD_STRAIGHT);
}
static int want_other(const st_config *C) {
  return !is_fcnn_main(C) && !C->encoding_pm1;
}

int st_write_report(const st_design *d, const char *design_path, const char *results_dir,
                    const char *report_path) {
  char *buf = NULL, *nbuf = NULL;
  size_t len = 0, nlen = 0;
  FILE *f = open_memstream(&buf, &len), *notes = open_memstream(&nbuf, &nlen);
  if (!f || !notes) return cli_error(CMD, "--report %s: out of memory", report_path), 1;
  memset(g_res, 0, sizeof g_res);
  g_main_arch = d->configs[0].arch;
  size_t have = 0, total = 0;
  for (size_t c = 0; c < d->n_configs; ++c)
    for (size_t s = 0; s < d->configs[c].n_seeds; ++s) {
      char path[ST_PATH];
      ++total;
      if (st_result_path(results_dir, &d->configs[c], d->configs[c].seeds[s], path, sizeof path))
        have += (size_t)load_result(d, path, &d->configs[c], d->configs[c].seeds[s], &g_res[c][s],
                                    notes);
    }
  fflush(notes);
  /* the claims go to their own buffer first: the summary of their verdicts comes before them */
  char *cbuf = NULL;
  size_t clen = 0;
  FILE *cf = open_memstream(&cbuf, &clen);
  if (!cf) {
    fclose(f), fclose(notes), free(buf), free(nbuf);
    return cli_error(CMD, "--report %s: out of memory", report_path), 1;
  }
  g_n_verdicts = 0;
  fprintf(cf, "## C1 — flip training overfits to the training BER\n\n");
  claim_c1_c2(cf, d, 0);
  fprintf(cf, "## C2 — the straight-through flip gradient overfits less\n\n");
  claim_c1_c2(cf, d, 1);
  fprintf(cf, "## C3 — margin metrics rank nets by their accuracy under bit errors\n\n");
  claim_c3(cf, d);
  fprintf(cf, "## C4 — the margin regularizer trades clean accuracy for bit error tolerance\n\n");
  claim_c4(cf, d);
  fprintf(cf, "## H1 — Hirtzlin et al.: 1e-4 tolerated plainly, 4e-2 after flip training\n\n");
  claim_h1(cf, d);
  fclose(cf);
  fprintf(f, "# The seed study, settled — results (%s)\n\n", d->name);
  fprintf(f,
          "Generated by `rramsim experiment study --design %s --results %s --report-only --report "
          "%s` from the result files present: **%zu of %zu jobs** (configuration × seed). The "
          "design and its decision rules are fixed in `docs/results/study-design.md`; every "
          "interval is a 95 %% Student-t interval over seeds (t with n − 1 degrees of freedom); "
          "differences are paired by seed. Verdict words: *established* (the interval excludes "
          "0), *absent* (inside ±0.5 pp), otherwise *inconclusive*.\n\n",
          design_path, results_dir, report_path, have, total);
  if (nlen) fprintf(f, "%s\n", nbuf);
  fprintf(f, "## Verdicts at a glance\n\n| claim | verdict |\n| --- | --- |\n");
  for (size_t i = 0; i < g_n_verdicts; ++i)
    fprintf(f, "| %s | %s |\n", g_verdict[i].claim, g_verdict[i].text);
  fprintf(f, "\n");
  /* completeness */
  fprintf(f,
          "## Jobs\n\n| configuration | arch | p_train | gradient | loss | λ | layers | "
          "encoding | seeds done |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  for (size_t c = 0; c < d->n_configs; ++c) {
    const st_config *C = &d->configs[c];
    fprintf(f, "| %s | %s | %g | %s | %s | %g | %s | %s | %zu of %zu |\n", C->id, C->arch,
            C->flip_p, C->flip_p > 0 ? bet_flip_grad_str(C->flip_grad) : "—", bet_loss_str(C->loss),
            C->reg_margin, C->reg_margin > 0 ? bet_reg_layers_str(C->reg_layers) : "—",
            C->encoding_pm1 ? "[−1, 1]" : "[0, 1]", have_count(d, c), C->n_seeds);
  }
  /* what is missing, per network (the compute still needed scales with these counts) */
  fprintf(f, "\nMissing jobs by network:");
  for (size_t c = 0; c < d->n_configs; ++c) {
    int first = 1;
    for (size_t e = 0; e < c; ++e)
      if (!strcmp(d->configs[e].arch, d->configs[c].arch)) first = 0;
    if (!first) continue;
    size_t miss = 0, pm1 = 0;
    for (size_t e = c; e < d->n_configs; ++e)
      if (!strcmp(d->configs[e].arch, d->configs[c].arch)) {
        const size_t m = d->configs[e].n_seeds - have_count(d, e);
        miss += m;
        if (d->configs[e].encoding_pm1) pm1 += m;
      }
    fprintf(f, " %s %zu (of which %zu in the [−1, 1] encoding);", d->configs[c].arch, miss, pm1);
  }
  fprintf(f, "\n");
  /* which builds ran the jobs (amendment 10): each version once, in order of first appearance */
  static const st_res *first[ST_MAX_CONFIGS * ST_MAX_SEEDS];
  static int n_jobs[ST_MAX_CONFIGS * ST_MAX_SEEDS];
  size_t n_builds = 0;
  for (size_t c = 0; c < d->n_configs; ++c)
    for (size_t s = 0; s < d->configs[c].n_seeds; ++s) {
      const st_res *r = &g_res[c][s];
      if (!r->have) continue;
      size_t v = 0;
      while (v < n_builds && strcmp(first[v]->version, r->version)) ++v;
      if (v == n_builds) first[n_builds] = r, n_jobs[n_builds++] = 0;
      ++n_jobs[v];
    }
  fprintf(f, "\nBuilds that ran the jobs:");
  for (size_t v = 0; v < n_builds; ++v) {
    const char *ver = first[v]->version;
    fprintf(f, " %s%s%s %d;", *ver ? "`" : "",
            *ver ? ver : "the previous training kernels (no version recorded; amendment 10)",
            *ver ? "`" : "", n_jobs[v]);
  }
  fprintf(f, "\n");
  /* accuracy table */
  fprintf(f,
          "\n## Accuracy under weight bit errors (%%, mean ± 95 %% t half-width over seeds)\n\n"
          "| configuration | n |");
  xp_md_ber_head(f, d->bers, d->n_bers, 2, 1);
  for (size_t c = 0; c < d->n_configs; ++c) {
    const size_t k = have_count(d, c);
    if (!k) continue;
    fprintf(f, "| %s | %zu |", d->configs[c].id, k);
    for (size_t b = 0; b < d->n_bers; ++b) {
      at_ud u = {(int)b};
      diff_stat s = paired(d, (int)c, -1, f_at, &u);
      if (s.n > 1)
        fprintf(f, " %.2f ± %.2f |", s.mean, s.hw);
      else
        fprintf(f, " %.2f |", s.mean);
    }
    fprintf(f, "\n");
  }
  /* learning curves */
  fprintf(f, "\n## Learning curves (test accuracy %%, mean over seeds)\n\n");
  for (size_t c = 0; c < d->n_configs; ++c) {
    const size_t k = have_count(d, c);
    if (!k) continue;
    size_t ne = ST_MAX_EPOCHS;
    for (size_t s = 0; s < d->configs[c].n_seeds; ++s)
      if (g_res[c][s].have && g_res[c][s].n_curve < ne) ne = g_res[c][s].n_curve;
    if (ne == 0 || ne == ST_MAX_EPOCHS) continue;
    double m[ST_MAX_EPOCHS];
    fprintf(f, "- %s:", d->configs[c].id);
    for (size_t e = 0; e < ne; ++e) {
      double sum = 0;
      for (size_t s = 0; s < d->configs[c].n_seeds; ++s)
        if (g_res[c][s].have) sum += g_res[c][s].curve[e];
      m[e] = 100 * sum / (double)k;
      fprintf(f, " %.2f", m[e]);
    }
    if (ne > 5)
      fprintf(f, " — last 5 epochs gain %.2f pp (%s)", m[ne - 1] - m[ne - 6],
              m[ne - 1] - m[ne - 6] > 0.3 ? "not converged: > 0.3 pp" : "flat");
    fprintf(f, "\n");
  }
  fprintf(f, "\n");
  fwrite(cbuf, 1, clen, f);
  free(cbuf);
  /* figures: <report dir>/<stem>-figures/ */
  {
    char fig_dir[ST_PATH], rel[ST_PATH];
    const char *slash = strrchr(report_path, '/');
    const char *base = slash ? slash + 1 : report_path;
    int stem = (int)strlen(base);
    if (stem > 3 && !strcmp(base + stem - 3, ".md")) stem -= 3;
    snprintf(rel, sizeof rel, "%.*s-figures", stem, base);
    const int dir_len = slash ? (int)(slash - report_path + 1) : 0;
    if (dir_len + strlen(rel) + 1 > sizeof fig_dir)
      return cli_error(CMD, "--report %s: path too long", report_path), 1;
    memcpy(fig_dir, report_path, (size_t)dir_len);
    memcpy(fig_dir + dir_len, rel, strlen(rel) + 1);
    static const struct {
      const char *name, *title;
      int (*want)(const st_config *);
    } figs[] = {
        {"acc_sign", "Main network, p_train = 0 and sign-gradient flip training", want_sign},
        {"acc_straight", "Main network, p_train = 0 and straight-through flip training",
         want_straight},
        {"acc_other", "Other configurations (MHL, regularizer, narrow FCNNs, VGG3)", want_other}};
    fprintf(f,
            "## Figures\n\nAccuracy vs weight BER, mean over seeds with 95 %% t-interval error "
            "bars (data and gnuplot scripts next to the figures).\n\n");
    int any = 0;
    for (size_t i = 0; i < sizeof figs / sizeof *figs; ++i)
      if (figure(d, fig_dir, figs[i].name, figs[i].title, figs[i].want)) {
        fprintf(f, "![%s](%s/%s.svg)\n\n", figs[i].title, rel, figs[i].name);
        any = 1;
      }
    if (!any) fprintf(f, "(none: no result yet, or gnuplot is not installed)\n");
  }
  fclose(f);
  fclose(notes);
  free(nbuf);
  const bnn_status st = bnn_write_file_atomic(report_path, buf, len);
  free(buf);
  if (st != BNN_OK) return cli_error(CMD, "--report %s: %s", report_path, bnn_errmsg()), 1;
  return 0;
}
