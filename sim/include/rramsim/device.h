/* rramsim/device.h — the RRAM device model in C11: operating points, analytic BER, model fit. */
#ifndef RRAMSIM_DEVICE_H
#define RRAMSIM_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "bnn/status.h"
#include "rramsim/array_cost.h"

#ifdef __cplusplus
extern "C" {
#endif

/* No SystemC in here: the functional (host-memory) error mode reuses this model.
 *
 * Bit convention for one stored bit: 1 = low-resistance state (LRS, reached by a SET pulse),
 * 0 = high-resistance state (HRS, RESET). A 1T1R cell stores one bit in one device, sensed
 * against a reference resistance; a 2T2R cell stores one bit in a complementary pair
 * (1 = LRS/HRS, 0 = HRS/LRS), sensed differentially, so it has no reference to miss. */
typedef enum rr_cell_type { RR_CELL_1T1R = 0, RR_CELL_2T2R = 1, RR_CELL_COUNT } rr_cell_type;

const char *rr_cell_type_name(rr_cell_type c);
/* "1T1R" / "2T2R" (case-insensitive) → 1 and *out; 0 if unknown. */
int rr_cell_type_parse(const char *s, rr_cell_type *out);
/* Devices per stored bit: 1 for 1T1R, 2 for 2T2R. */
int rr_cells_per_bit(rr_cell_type c);

#define RR_OP_NAME_MAX   32
#define RR_MAX_OP_POINTS 32

/* One operating point: how cells are programmed and read, and what that costs and risks.
 * Energies are per stored bit (a 2T2R figure includes both devices of the pair). */
typedef struct rr_op_point {
  char name[RR_OP_NAME_MAX];
  double prog_current_ua;   /* programming (compliance) current, µA */
  double prog_voltage_v;    /* programming voltage, V */
  double prog_pulse_ns;     /* programming pulse width, ns */
  double read_voltage_v;    /* read voltage, V */
  double read_pulse_ns;     /* read pulse width, ns */
  double write_ber_01;      /* P(a written 0 is stored as 1), persistent until rewritten */
  double write_ber_10;      /* P(a written 1 is stored as 0) */
  double read_ber_01;       /* P(a stored 0 reads as 1), transient, per read */
  double read_ber_10;       /* P(a stored 1 reads as 0) */
  double e_set_pj;          /* energy to write a 1, pJ per bit */
  double e_reset_pj;        /* energy to write a 0, pJ per bit */
  double e_read_pj;         /* energy to read one bit, pJ */
  double e_periph_read_pj;  /* peripheral energy per array read access (decoders, SAs), pJ */
  double e_periph_write_pj; /* peripheral energy per array write access (drivers), pJ */
  double t_read_ns;         /* array read latency per row access, ns */
  double t_write_ns;        /* array write (program) latency per row access, ns */
  double e_io_pj;           /* bank-level I/O energy per bit moved, pJ (array cost model; 0 in
                               table mode) */
} rr_op_point;

/* Analytic model: log-normal resistance distributions. The LRS median and spread fall with the
 * programming current I (a stronger SET makes a wider, more uniform filament):
 *   median_LRS(I) = lrs_median_kohm · (I / i0_ua)^(−lrs_slope)
 *   sigma_LRS(I)  = lrs_sigma · (I / i0_ua)^(−lrs_sigma_slope)        (sigma of ln R)
 * The HRS distribution (hrs_median_kohm, hrs_sigma) does not depend on I. */
typedef struct rr_analytic {
  double i0_ua;
  double lrs_median_kohm;
  double lrs_slope;
  double lrs_sigma;
  double lrs_sigma_slope;
  double hrs_median_kohm;
  double hrs_sigma;
  double ref_kohm; /* 1T1R sense reference */
} rr_analytic;

rr_analytic rr_analytic_default_params(void);

/* Write BERs at programming current current_ua:
 *   1T1R: p10 = Q((ln R_ref − ln median_LRS) / sigma_LRS)   (an LRS cell above the reference)
 *         p01 = Q((ln median_HRS − ln R_ref) / sigma_HRS)   (an HRS cell below the reference)
 *   2T2R: p01 = p10 = Q((ln median_HRS − ln median_LRS) / sqrt(sigma_LRS² + sigma_HRS²))
 * where Q(z) = P(N(0,1) > z). */
void rr_analytic_ber(const rr_analytic *a, rr_cell_type cell, double current_ua, double *p01,
                     double *p10);

/* Standard-normal upper tail Q(z) and its inverse (|relative error| < 1e-12 after refinement). */
double rr_normal_q(double z);
double rr_normal_q_inv(double p); /* p in (0, 1) */

/* Endurance: a cell's lifetime (writes until it sticks) is log-normal with the given median and
 * sigma (of ln writes). The discrete hazard is the probability that a cell which survived w−1
 * writes dies at write w: (F(w) − F(w−1)) / (1 − F(w−1)). 0 when median_writes <= 0. */
double rr_endurance_hazard(double median_writes, double sigma, uint64_t w);

typedef enum rr_verify_policy {
  RR_VERIFY_NONE = 0,      /* program once */
  RR_VERIFY_ITERATIVE = 1, /* program, read back, re-program failed bits, up to max iterations */
  RR_VERIFY_COUNT
} rr_verify_policy;
const char *rr_verify_policy_name(rr_verify_policy p);
int rr_verify_policy_parse(const char *s, rr_verify_policy *out);

/* Where an operating point's latencies and energies come from: the device file's per-op
 * constants ("table", measured data), or the array cost model (array_cost.h) evaluated on the
 * crossbar geometry of the system and the op point's programming and read conditions. */
typedef enum rr_cost_model {
  RR_COST_TABLE = 0,
  RR_COST_ARRAY = 1,
  RR_COST_MODEL_COUNT
} rr_cost_model;
const char *rr_cost_model_name(rr_cost_model m);            /* "table", "array" */
int rr_cost_model_parse(const char *s, rr_cost_model *out); /* 1 if known */

/* A device preset: cell type, operating points and non-idealities. */
typedef struct rr_device {
  char name[64];
  rr_cell_type cell;
  size_t n_points;
  rr_op_point points[RR_MAX_OP_POINTS];
  int has_analytic;
  rr_analytic analytic;
  double stuck_density;           /* fraction of cells stuck from manufacture, [0, 0.5] */
  double stuck_one_fraction;      /* of those, the fraction stuck at 1 */
  double endurance_median_writes; /* 0 = infinite endurance */
  double endurance_sigma;
  rr_verify_policy verify;
  int verify_max_iterations; /* re-program rounds after the first program (iterative only) */
  rr_cost_model cost_model;
  /* Array mode: node, roadmap, mux and cell electrics; cell, geometry and programming are filled
   * per operating point by rr_device_apply_array_costs. */
  rr_array_params array;
} rr_device;

/* Array mode: evaluates the array cost model for every operating point on a crossbar of rows ×
 * columns data bits (devices: columns × cells per bit), crossbars_per_bank subarrays per bank and
 * row_bits data bits per access, and writes t_read_ns, t_write_ns, e_read_pj, e_set_pj,
 * e_reset_pj, e_periph_read_pj, e_periph_write_pj and e_io_pj of each point
 * (rr_array_access_eval; the point's prog_current_ua / prog_voltage_v / prog_pulse_ns program SET
 * and RESET, read_voltage_v reads). Table mode: no change. BNN_E_RANGE with one line naming the
 * operating point or array key on bad input. */
bnn_status rr_device_apply_array_costs(rr_device *d, int rows, int columns, int crossbars_per_bank,
                                       int row_bits);

/* Index of the operating point called name, or −1. */
int rr_device_find_point(const rr_device *d, const char *name);

/* Programming energy per bit (pJ) at current I for the fit's fixed voltage and pulse:
 *   E = cells_per_bit · I · V · t   (µA · V · ns = 1e-3 pJ). And its inverse. */
double rr_prog_energy_pj(rr_cell_type cell, double current_ua, double voltage_v, double pulse_ns);
double rr_prog_current_ua(rr_cell_type cell, double energy_pj, double voltage_v, double pulse_ns);

/* Fit of the analytic model to measured (programming energy per bit, BER) points.
 * Fixed during the fit: cell type, programming voltage and pulse (energy → current), i0, the HRS
 * distribution and (1T1R) the reference. Fitted: lrs_median_kohm, lrs_slope, lrs_sigma,
 * lrs_sigma_slope. The objective is the squared distance in probit space,
 * Σ (Q⁻¹(BER_i) − Q⁻¹(BER_model(E_i)))², where BER_model = (p01 + p10) / 2; minimised by
 * Nelder–Mead with restarts. */
typedef struct rr_fit_params {
  rr_cell_type cell;
  double prog_voltage_v;
  double prog_pulse_ns;
  rr_analytic start; /* fixed parts and starting values of the fitted parts */
  int max_evals;
} rr_fit_params;

rr_fit_params rr_fit_default_params(void);

typedef struct rr_fit_result {
  rr_analytic model;
  double rms_probit;  /* root-mean-square residual in probit units */
  double max_rel_err; /* max |BER_model − BER_i| / BER_i over the points */
  int evals;
} rr_fit_result;

/* n >= 4 points; energies > 0, BERs in (0, 0.5), at least two distinct energies (points all at
 * one energy say nothing about the current dependence: BNN_E_ARG). A fit whose parameters or
 * residuals are not finite is BNN_E_RANGE. */
bnn_status rr_device_fit(const rr_fit_params *p, const double *energy_pj, const double *ber,
                         size_t n, rr_fit_result *out);

/* Quality of a fit (rr_fit_check): a bit set of what is wrong with it, 0 when nothing is.
 *   RR_FIT_POOR_RMS:   rms probit residual above RR_FIT_MAX_RMS_PROBIT;
 *   RR_FIT_POOR_REL:   max relative BER error above RR_FIT_MAX_REL_ERR (the model is off by more
 *                      than the measured BER at some point);
 *   RR_FIT_LRS_RISES:  unphysical: the median LRS resistance rises with the programming current
 *                      (lrs_slope below RR_FIT_MIN_LRS_SLOPE; a higher compliance current forms
 *                      a stronger filament, so LRS resistance falls with it). */
#define RR_FIT_MAX_RMS_PROBIT 0.1
#define RR_FIT_MAX_REL_ERR    1.0
#define RR_FIT_MIN_LRS_SLOPE  (-1e-3)
enum { RR_FIT_POOR_RMS = 1u, RR_FIT_POOR_REL = 2u, RR_FIT_LRS_RISES = 4u };
unsigned rr_fit_check(const rr_fit_result *r);

/* Model BER (mean of p01, p10) at programming energy energy_pj under the fit's voltage/pulse. */
double rr_fit_model_ber(const rr_fit_params *p, const rr_analytic *m, double energy_pj);

#ifdef __cplusplus
}
#endif
#endif /* RRAMSIM_DEVICE_H */
