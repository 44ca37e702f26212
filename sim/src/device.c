/* device.c — RRAM device model: cell types, analytic log-normal BER, endurance hazard, model fit.
 */
#include "rramsim/device.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

#include "enum_names.h"

static int ieq(const char *a, const char *b) {
  for (; *a && *b; ++a, ++b)
    if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
  return *a == *b;
}

int rr_enum_index(const char *const *names, int count, const char *s) {
  for (int i = 0; i < count; ++i)
    if (names[i] && ieq(s, names[i])) return i;
  return -1;
}

RR_ENUM_NAMES(rr_cell_type, RR_CELL_COUNT, rr_cell_type_name,
              rr_cell_type_parse, [RR_CELL_1T1R] = "1T1R", [RR_CELL_2T2R] = "2T2R")
RR_ENUM_NAMES(rr_cost_model, RR_COST_MODEL_COUNT, rr_cost_model_name,
              rr_cost_model_parse, [RR_COST_TABLE] = "table", [RR_COST_ARRAY] = "array")
RR_ENUM_NAMES(
    rr_verify_policy, RR_VERIFY_COUNT, rr_verify_policy_name,
    rr_verify_policy_parse, [RR_VERIFY_NONE] = "none", [RR_VERIFY_ITERATIVE] = "iterative")

int rr_cells_per_bit(rr_cell_type c) {
  return c == RR_CELL_2T2R ? 2 : 1;
}

bnn_status rr_device_apply_array_costs(rr_device *d, int rows, int columns, int crossbars_per_bank,
                                       int row_bits) {
  if (d->cost_model != RR_COST_ARRAY) return BNN_OK;
  const rr_array_cell cell = d->cell == RR_CELL_2T2R ? RR_ARRAY_2T2R : RR_ARRAY_1T1R;
  const int cpb = rr_array_cells_per_bit(cell);
  for (size_t i = 0; i < d->n_points; ++i) {
    rr_op_point *op = &d->points[i];
    const struct {
      const char *key;
      double v;
    } need[] = {{"prog_current_ua", op->prog_current_ua},
                {"prog_voltage_v", op->prog_voltage_v},
                {"prog_pulse_ns", op->prog_pulse_ns},
                {"read_voltage_v", op->read_voltage_v}};
    for (size_t k = 0; k < sizeof need / sizeof need[0]; ++k)
      if (!(need[k].v > 0))
        return bnn_fail(BNN_E_RANGE,
                        "operating_points[%zu].%s: needed (> 0) by the array cost model "
                        "(cost_model \"array\")",
                        i, need[k].key);
    rr_array_params p = d->array;
    p.cell = cell;
    p.rows = rows;
    p.cols = columns * cpb;
    p.bits_per_access = 0;
    p.subarrays_per_bank = crossbars_per_bank;
    p.set_current_ua = p.reset_current_ua = op->prog_current_ua;
    p.set_voltage_v = p.reset_voltage_v = op->prog_voltage_v;
    p.set_pulse_ns = p.reset_pulse_ns = op->prog_pulse_ns;
    p.set_energy_pj = p.reset_energy_pj = 0; /* V·I·t per device */
    p.read_voltage_v = op->read_voltage_v;
    rr_array_access_costs a;
    bnn_status st = rr_array_access_eval(&p, row_bits, &a);
    if (st != BNN_OK) return st;
    op->t_read_ns = a.t_read_ns;
    op->t_write_ns = a.t_write_ns;
    op->e_read_pj = a.e_read_bit_pj;
    op->e_set_pj = a.e_set_bit_pj;
    op->e_reset_pj = a.e_reset_bit_pj;
    op->e_periph_read_pj = a.e_periph_read_pj;
    op->e_periph_write_pj = a.e_periph_write_pj;
    op->e_io_pj = a.e_io_bit_pj;
  }
  return BNN_OK;
}

rr_analytic rr_analytic_default_params(void) {
  /* Illustrative HfO2 figures: LRS ~5 kΩ at 200 µA, HRS ~100 kΩ. */
  rr_analytic a;
  a.i0_ua = 200.0;
  a.lrs_median_kohm = 5.0;
  a.lrs_slope = 1.0;
  a.lrs_sigma = 0.25;
  a.lrs_sigma_slope = 0.5;
  a.hrs_median_kohm = 100.0;
  a.hrs_sigma = 0.6;
  a.ref_kohm = 20.0;
  return a;
}

double rr_normal_q(double z) {
  return 0.5 * erfc(z / 1.4142135623730951);
}

double rr_normal_q_inv(double p) {
  /* Acklam's rational approximation of the lower-tail quantile, then two Newton steps on
   * Q(z) − p, whose derivative is −φ(z). */
  static const double a[6] = {-3.969683028665376e+01, 2.209460984245205e+02,
                              -2.759285104469687e+02, 1.383577518672690e+02,
                              -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[5] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                              6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[6] = {-7.784894002430293e-03, -3.223964580411365e-01,
                              -2.400758277161838e+00, -2.549732539343734e+00,
                              4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[4] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                              3.754408661907416e+00};
  if (!(p > 0.0)) return (double)INFINITY;
  if (!(p < 1.0)) return -(double)INFINITY;
  double q = 1.0 - p; /* lower-tail probability for x = Φ⁻¹(q); Q⁻¹(p) = Φ⁻¹(1 − p) */
  double x;
  double plow = 0.02425;
  if (q < plow) {
    double r = sqrt(-2.0 * log(q));
    x = (((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) /
        ((((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1.0);
  } else if (q <= 1.0 - plow) {
    double r = q - 0.5, s = r * r;
    x = (((((a[0] * s + a[1]) * s + a[2]) * s + a[3]) * s + a[4]) * s + a[5]) * r /
        (((((b[0] * s + b[1]) * s + b[2]) * s + b[3]) * s + b[4]) * s + 1.0);
  } else {
    /* Upper tail: compute from p directly to keep precision for tiny p. */
    double r = sqrt(-2.0 * log(p));
    x = -(((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) /
        ((((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1.0);
  }
  for (int i = 0; i < 2; ++i) {
    double phi = exp(-0.5 * x * x) * 0.3989422804014327;
    if (!(phi > 0)) break;
    x += (rr_normal_q(x) - p) / phi;
  }
  return x;
}

void rr_analytic_ber(const rr_analytic *a, rr_cell_type cell, double current_ua, double *p01,
                     double *p10) {
  double x = current_ua / a->i0_ua;
  double ln_lrs = log(a->lrs_median_kohm) - a->lrs_slope * log(x);
  double s_lrs = a->lrs_sigma * pow(x, -a->lrs_sigma_slope);
  double ln_hrs = log(a->hrs_median_kohm);
  if (cell == RR_CELL_2T2R) {
    double z = (ln_hrs - ln_lrs) / sqrt(s_lrs * s_lrs + a->hrs_sigma * a->hrs_sigma);
    *p01 = *p10 = rr_normal_q(z);
  } else {
    double ln_ref = log(a->ref_kohm);
    *p10 = rr_normal_q((ln_ref - ln_lrs) / s_lrs);
    *p01 = rr_normal_q((ln_hrs - ln_ref) / a->hrs_sigma);
  }
}

double rr_endurance_hazard(double median_writes, double sigma, uint64_t w) {
  if (!(median_writes > 0.0) || w == 0) return 0.0;
  double mu = log(median_writes);
  /* Survival S(w) = Q((ln w − mu)/sigma); hazard = 1 − S(w)/S(w−1). S(0) = 1. */
  double s_prev = w == 1 ? 1.0 : rr_normal_q((log((double)(w - 1)) - mu) / sigma);
  double s_now = rr_normal_q((log((double)w) - mu) / sigma);
  if (!(s_prev > 0.0)) return 1.0;
  double h = 1.0 - s_now / s_prev;
  return h < 0.0 ? 0.0 : (h > 1.0 ? 1.0 : h);
}

int rr_device_find_point(const rr_device *d, const char *name) {
  for (size_t i = 0; i < d->n_points; ++i)
    if (!strcmp(d->points[i].name, name)) return (int)i;
  return -1;
}

double rr_prog_energy_pj(rr_cell_type cell, double current_ua, double voltage_v, double pulse_ns) {
  return (double)rr_cells_per_bit(cell) * current_ua * voltage_v * pulse_ns * 1e-3;
}

double rr_prog_current_ua(rr_cell_type cell, double energy_pj, double voltage_v, double pulse_ns) {
  return energy_pj / ((double)rr_cells_per_bit(cell) * voltage_v * pulse_ns * 1e-3);
}

rr_fit_params rr_fit_default_params(void) {
  rr_fit_params p;
  p.cell = RR_CELL_2T2R;
  p.prog_voltage_v = 1.2;
  p.prog_pulse_ns = 50.0;
  p.start = rr_analytic_default_params();
  p.max_evals = 20000;
  return p;
}

double rr_fit_model_ber(const rr_fit_params *p, const rr_analytic *m, double energy_pj) {
  double i = rr_prog_current_ua(p->cell, energy_pj, p->prog_voltage_v, p->prog_pulse_ns);
  double p01, p10;
  rr_analytic_ber(m, p->cell, i, &p01, &p10);
  return 0.5 * (p01 + p10);
}

/* The fitted vector: θ = (ln lrs_median, lrs_slope, ln lrs_sigma, lrs_sigma_slope); logs keep
 * the positive parameters positive without constraints. */
enum { FIT_DIM = 4 };

static rr_analytic theta_to_model(const rr_analytic *base, const double *t) {
  rr_analytic m = *base;
  m.lrs_median_kohm = exp(t[0]);
  m.lrs_slope = t[1];
  m.lrs_sigma = exp(t[2]);
  m.lrs_sigma_slope = t[3];
  return m;
}

typedef struct fit_ctx {
  const rr_fit_params *p;
  const double *e;
  const double *z; /* probit of the measured BERs */
  size_t n;
  int evals;
} fit_ctx;

static double fit_objective(fit_ctx *c, const double *t) {
  ++c->evals;
  if (!(fabs(t[0]) < 50 && fabs(t[1]) < 20 && fabs(t[2]) < 20 && fabs(t[3]) < 20)) return 1e300;
  rr_analytic m = theta_to_model(&c->p->start, t);
  double s = 0.0;
  for (size_t i = 0; i < c->n; ++i) {
    double ber = rr_fit_model_ber(c->p, &m, c->e[i]);
    double zm;
    if (!(ber > 1e-300))
      zm = 37.5; /* beyond double range: clamp the probit */
    else if (!(ber < 1.0))
      zm = -37.5;
    else
      zm = rr_normal_q_inv(ber);
    double r = zm - c->z[i];
    s += r * r;
  }
  return isfinite(s) ? s : 1e300;
}

/* Nelder–Mead on FIT_DIM parameters (standard coefficients 1, 2, 0.5, 0.5). */
static double nelder_mead(fit_ctx *c, double *x0, double step, int max_evals) {
  double s[FIT_DIM + 1][FIT_DIM], f[FIT_DIM + 1];
  for (int i = 0; i <= FIT_DIM; ++i) {
    for (int j = 0; j < FIT_DIM; ++j) s[i][j] = x0[j];
    if (i > 0) s[i][i - 1] += step;
    f[i] = fit_objective(c, s[i]);
  }
  while (c->evals < max_evals) {
    /* Order: best first. */
    for (int i = 1; i <= FIT_DIM; ++i)
      for (int k = i; k > 0 && f[k] < f[k - 1]; --k) {
        double tf = f[k];
        f[k] = f[k - 1];
        f[k - 1] = tf;
        for (int j = 0; j < FIT_DIM; ++j) {
          double tv = s[k][j];
          s[k][j] = s[k - 1][j];
          s[k - 1][j] = tv;
        }
      }
    if (f[FIT_DIM] - f[0] < 1e-22 * (1.0 + f[0])) break;
    double cen[FIT_DIM] = {0}, xr[FIT_DIM], xe[FIT_DIM], xc[FIT_DIM];
    for (int i = 0; i < FIT_DIM; ++i)
      for (int j = 0; j < FIT_DIM; ++j) cen[j] += s[i][j] / FIT_DIM;
    for (int j = 0; j < FIT_DIM; ++j) xr[j] = cen[j] + (cen[j] - s[FIT_DIM][j]);
    double fr = fit_objective(c, xr);
    if (fr < f[0]) {
      for (int j = 0; j < FIT_DIM; ++j) xe[j] = cen[j] + 2.0 * (cen[j] - s[FIT_DIM][j]);
      double fe = fit_objective(c, xe);
      const double *keep = fe < fr ? xe : xr;
      for (int j = 0; j < FIT_DIM; ++j) s[FIT_DIM][j] = keep[j];
      f[FIT_DIM] = fe < fr ? fe : fr;
    } else if (fr < f[FIT_DIM - 1]) {
      for (int j = 0; j < FIT_DIM; ++j) s[FIT_DIM][j] = xr[j];
      f[FIT_DIM] = fr;
    } else {
      int outside = fr < f[FIT_DIM];
      for (int j = 0; j < FIT_DIM; ++j)
        xc[j] = outside ? cen[j] + 0.5 * (xr[j] - cen[j]) : cen[j] + 0.5 * (s[FIT_DIM][j] - cen[j]);
      double fc = fit_objective(c, xc);
      if (fc < (outside ? fr : f[FIT_DIM])) {
        for (int j = 0; j < FIT_DIM; ++j) s[FIT_DIM][j] = xc[j];
        f[FIT_DIM] = fc;
      } else {
        for (int i = 1; i <= FIT_DIM; ++i) {
          for (int j = 0; j < FIT_DIM; ++j) s[i][j] = s[0][j] + 0.5 * (s[i][j] - s[0][j]);
          f[i] = fit_objective(c, s[i]);
        }
      }
    }
  }
  int best = 0;
  for (int i = 1; i <= FIT_DIM; ++i)
    if (f[i] < f[best]) best = i;
  for (int j = 0; j < FIT_DIM; ++j) x0[j] = s[best][j];
  return f[best];
}

bnn_status rr_device_fit(const rr_fit_params *p, const double *energy_pj, const double *ber,
                         size_t n, rr_fit_result *out) {
  if (!p || !energy_pj || !ber || !out) return bnn_fail(BNN_E_ARG, "rr_device_fit: NULL argument");
  if (n < FIT_DIM)
    return bnn_fail(BNN_E_ARG, "need at least %d points to fit, got %zu", FIT_DIM, n);
  if (!(p->prog_voltage_v > 0) || !(p->prog_pulse_ns > 0) || !(p->start.i0_ua > 0) ||
      !(p->start.hrs_median_kohm > 0) || !(p->start.hrs_sigma > 0) || !(p->start.ref_kohm > 0))
    return bnn_fail(BNN_E_ARG, "fit parameters: voltage, pulse, i0, HRS and reference must be > 0");
  double *z = (double *)bnn_malloc(n * sizeof *z);
  if (!z) return bnn_fail(BNN_E_NOMEM, "rr_device_fit: out of memory");
  for (size_t i = 0; i < n; ++i) {
    if (!(energy_pj[i] > 0) || !isfinite(energy_pj[i])) {
      bnn_free(z);
      return bnn_fail(BNN_E_ARG, "point %zu: energy must be > 0, got %g", i + 1, energy_pj[i]);
    }
    if (!(ber[i] > 0) || !(ber[i] < 0.5)) {
      bnn_free(z);
      return bnn_fail(BNN_E_ARG, "point %zu: BER must be in (0, 0.5), got %g", i + 1, ber[i]);
    }
    const double cur =
        rr_prog_current_ua(p->cell, energy_pj[i], p->prog_voltage_v, p->prog_pulse_ns);
    if (!(cur > 0) || !(cur < 1e9)) {
      bnn_free(z);
      return bnn_fail(BNN_E_RANGE,
                      "point %zu: %g pJ means a programming current of %g uA, outside (0, 1e9)",
                      i + 1, energy_pj[i], cur);
    }
    z[i] = rr_normal_q_inv(ber[i]);
  }
  size_t distinct = 1;
  for (size_t i = 1; i < n && distinct == 1; ++i) distinct += energy_pj[i] != energy_pj[0];
  if (distinct == 1) {
    bnn_free(z);
    return bnn_fail(BNN_E_ARG,
                    "all %zu points are at one energy (%g pJ): the fit needs at least two energies",
                    n, energy_pj[0]);
  }
  fit_ctx c = {p, energy_pj, z, n, 0};
  double best[FIT_DIM] = {log(p->start.lrs_median_kohm), p->start.lrs_slope,
                          log(p->start.lrs_sigma), p->start.lrs_sigma_slope};
  double fbest = fit_objective(&c, best);
  int budget = p->max_evals > 100 ? p->max_evals : 100;
  /* Restarts from the best point with shrinking simplices escape the early collapses Nelder–Mead
   * is prone to on narrow valleys. */
  static const double steps[] = {1.0, 0.5, 0.25, 0.1, 0.05, 0.02, 0.01};
  for (int round = 0; round < 3; ++round)
    for (size_t k = 0; k < sizeof steps / sizeof steps[0] && c.evals < budget; ++k) {
      double x[FIT_DIM];
      memcpy(x, best, sizeof x);
      int cap = c.evals + budget / 21;
      double fx = nelder_mead(&c, x, steps[k], cap < budget ? cap : budget);
      if (fx <= fbest) {
        fbest = fx;
        memcpy(best, x, sizeof x);
      }
    }
  out->model = theta_to_model(&p->start, best);
  out->rms_probit = sqrt(fbest / (double)n);
  out->evals = c.evals;
  out->max_rel_err = 0.0;
  for (size_t i = 0; i < n; ++i) {
    double m = rr_fit_model_ber(p, &out->model, energy_pj[i]);
    double r = fabs(m - ber[i]) / ber[i];
    if (r > out->max_rel_err) out->max_rel_err = r;
  }
  bnn_free(z);
  const rr_analytic *m = &out->model;
  if (!isfinite(m->lrs_median_kohm) || !isfinite(m->lrs_slope) || !isfinite(m->lrs_sigma) ||
      !isfinite(m->lrs_sigma_slope) || !isfinite(out->rms_probit) || !isfinite(out->max_rel_err))
    return bnn_fail(BNN_E_RANGE,
                    "the fit did not reach finite parameters (lrs_median_kohm %g, lrs_slope %g, "
                    "lrs_sigma %g, lrs_sigma_slope %g, rms probit residual %g)",
                    m->lrs_median_kohm, m->lrs_slope, m->lrs_sigma, m->lrs_sigma_slope,
                    out->rms_probit);
  return BNN_OK;
}

unsigned rr_fit_check(const rr_fit_result *r) {
  unsigned q = 0;
  if (!r) return 0;
  if (!(r->rms_probit <= RR_FIT_MAX_RMS_PROBIT)) q |= RR_FIT_POOR_RMS;
  if (!(r->max_rel_err <= RR_FIT_MAX_REL_ERR)) q |= RR_FIT_POOR_REL;
  if (!(r->model.lrs_slope >= RR_FIT_MIN_LRS_SLOPE)) q |= RR_FIT_LRS_RISES;
  return q;
}
