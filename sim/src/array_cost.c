/* array_cost.c — crossbar array cost model (equations and sources: docs/array-cost-model.md). */
#include "rramsim/array_cost.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "enum_names.h"

RR_ENUM_NAMES(rr_array_cell, RR_ARRAY_CELL_COUNT, rr_array_cell_name, rr_array_cell_parse,
              [RR_ARRAY_1T1R] = "1T1R", [RR_ARRAY_2T2R] = "2T2R", [RR_ARRAY_XPOINT] = "xpoint")
RR_ENUM_NAMES(rr_roadmap, RR_ROADMAP_COUNT, rr_roadmap_name,
              rr_roadmap_parse, [RR_ROADMAP_HP] = "HP", [RR_ROADMAP_LSTP] = "LSTP")

int rr_array_cells_per_bit(rr_array_cell c) {
  return c == RR_ARRAY_2T2R ? 2 : 1;
}

/* ---- technology table ----------------------------------------------------------------------
 * One row per node and roadmap, generated at configure time from configs/tech/<node>.json, where
 * every value carries its source (ITRS 2007 PIDS via CACTI's tables; values calibrated to NVSim's
 * own technology at 22/45 nm; NVSim's current-mode sense amplifier; interpolated estimates). Field
 * order: node, roadmap, vdd, i_on, i_off, c_gate, c_drain, r_eff, wire_r, wire_c, gwire_r,
 * gwire_c, sa_latency, sa_energy, sa_area. */
static const rr_tech tech_table[] = {
#include "array_tech_table.inc"
};
#define TECH_N (sizeof tech_table / sizeof tech_table[0])

const rr_tech *rr_tech_find(int node_nm, rr_roadmap roadmap) {
  for (size_t i = 0; i < TECH_N; ++i)
    if (tech_table[i].node_nm == node_nm && tech_table[i].roadmap == roadmap) return &tech_table[i];
  return NULL;
}

size_t rr_tech_nodes(int *nodes, size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < TECH_N; ++i) {
    int seen = 0;
    for (size_t j = 0; j < n && j < max; ++j) seen |= nodes[j] == tech_table[i].node_nm;
    if (seen) continue;
    if (n < max) nodes[n] = tech_table[i].node_nm;
    ++n;
  }
  /* the table is ordered by node already; keep it so */
  return n;
}

/* ---- parameters ------------------------------------------------------------------------------ */

rr_array_params rr_array_default_params(void) {
  rr_array_params p;
  memset(&p, 0, sizeof p);
  p.cell = RR_ARRAY_1T1R;
  p.node_nm = 22;
  p.roadmap = RR_ROADMAP_HP;
  p.rows = 256;
  p.cols = 256;
  p.mux = 32;
  p.bits_per_access = 0;
  p.subarrays_per_bank = 64;
  p.cell_area_f2 = 0;
  p.cell_aspect = 1.0;
  p.access_width_f = 4.0;
  p.cell_cap_ff = 0.1;
  p.r_on_ohm = 1e6;
  p.r_off_ohm = 1e7;
  p.half_select_ratio = 10.0;
  p.read_voltage_v = 0.4;
  p.set_voltage_v = 2.0;
  p.reset_voltage_v = 2.0;
  p.set_current_ua = 20.0;
  p.reset_current_ua = 20.0;
  p.set_pulse_ns = 10.0;
  p.reset_pulse_ns = 10.0;
  p.set_energy_pj = 0.6;
  p.reset_energy_pj = 0.6;
  p.max_mux_width_f = 100.0;
  return p;
}

static bnn_status out_of_range(const char *key, double v, const char *range) {
  return bnn_fail(BNN_E_RANGE, "array.%s: %g is outside the accepted range %s", key, v, range);
}

/* !(v >= lo && v <= hi) also catches NaN. */
#define CHECK(key, v, lo, hi, range)                                      \
  do {                                                                    \
    double v_ = (v);                                                      \
    if (!(v_ >= (lo) && v_ <= (hi))) return out_of_range(key, v_, range); \
  } while (0)
#define CHECK_POS(key, v, hi, range)                                  \
  do {                                                                \
    double v_ = (v);                                                  \
    if (!(v_ > 0 && v_ <= (hi))) return out_of_range(key, v_, range); \
  } while (0)

bnn_status rr_array_params_validate(const rr_array_params *p) {
  if (!p) return bnn_fail(BNN_E_ARG, "array: no parameters");
  if ((unsigned)p->cell >= RR_ARRAY_CELL_COUNT)
    return bnn_fail(BNN_E_RANGE, "array.cell: %d is not one of 1T1R, 2T2R, xpoint", (int)p->cell);
  if ((unsigned)p->roadmap >= RR_ROADMAP_COUNT)
    return bnn_fail(BNN_E_RANGE, "array.roadmap: %d is not one of HP, LSTP", (int)p->roadmap);
  if (!rr_tech_find(p->node_nm, p->roadmap)) {
    int nodes[16];
    size_t n = rr_tech_nodes(nodes, 16);
    char list[96] = "";
    for (size_t i = 0; i < n && i < 16; ++i) {
      size_t len = strlen(list);
      snprintf(list + len, sizeof list - len, "%s%d", i ? ", " : "", nodes[i]);
    }
    return bnn_fail(BNN_E_RANGE, "array.node_nm: %d is not in the technology tables (%s nm)",
                    p->node_nm, list);
  }
  CHECK("rows", p->rows, 1, 65536, "[1, 65536]");
  CHECK("cols", p->cols, 1, 65536, "[1, 65536]");
  CHECK("mux", p->mux, 1, p->cols, "[1, cols]");
  const int cpb = rr_array_cells_per_bit(p->cell);
  if (p->cols % (p->mux * cpb) != 0)
    return bnn_fail(BNN_E_RANGE,
                    "array.mux: %d does not divide cols (%d) into whole sense-amplifier groups "
                    "(cols must be a multiple of mux x %d cells per bit)",
                    p->mux, p->cols, cpb);
  const int n_sa = p->cols / (p->mux * cpb);
  CHECK("bits_per_access", p->bits_per_access, 0, n_sa, "[0, cols / mux / cells per bit]");
  CHECK("subarrays_per_bank", p->subarrays_per_bank, 1, 16777216, "[1, 16777216]");
  if (p->cell_area_f2 != 0) CHECK("cell_area_f2", p->cell_area_f2, 1, 1000, "0 or [1, 1000] F^2");
  CHECK("cell_aspect", p->cell_aspect, 0.1, 10, "[0.1, 10]");
  CHECK("access_width_f", p->access_width_f, 1, 100, "[1, 100] F");
  CHECK("cell_cap_ff", p->cell_cap_ff, 0, 100, "[0, 100] fF");
  CHECK_POS("r_on_ohm", p->r_on_ohm, 1e12, "(0, 1e12] ohm");
  if (!(p->r_off_ohm > p->r_on_ohm && p->r_off_ohm <= 1e13))
    return bnn_fail(BNN_E_RANGE,
                    "array.r_off_ohm: %g is outside the accepted range (r_on_ohm = %g, 1e13] ohm "
                    "(the HRS must be above the LRS)",
                    p->r_off_ohm, p->r_on_ohm);
  CHECK("half_select_ratio", p->half_select_ratio, 1, 1e9, "[1, 1e9]");
  CHECK_POS("read_voltage_v", p->read_voltage_v, 5, "(0, 5] V");
  CHECK_POS("set_voltage_v", p->set_voltage_v, 10, "(0, 10] V");
  CHECK_POS("reset_voltage_v", p->reset_voltage_v, 10, "(0, 10] V");
  CHECK_POS("set_current_ua", p->set_current_ua, 1e4, "(0, 10000] uA");
  CHECK_POS("reset_current_ua", p->reset_current_ua, 1e4, "(0, 10000] uA");
  CHECK_POS("set_pulse_ns", p->set_pulse_ns, 1e6, "(0, 1e6] ns");
  CHECK_POS("reset_pulse_ns", p->reset_pulse_ns, 1e6, "(0, 1e6] ns");
  CHECK("set_energy_pj", p->set_energy_pj, 0, 1e6, "[0, 1e6] pJ (0 = V*I*t)");
  CHECK("reset_energy_pj", p->reset_energy_pj, 0, 1e6, "[0, 1e6] pJ (0 = V*I*t)");
  CHECK("max_mux_width_f", p->max_mux_width_f, 1, 1e4, "[1, 10000] F");
  return BNN_OK;
}

/* ---- the model ------------------------------------------------------------------------------
 * Units inside: µm, fF, Ω, ns, pJ, V, µA. Ω·fF = 1e-15 s = 1e-6 ns; fF·V² = 1e-3 pJ. */
#define OHM_FF_NS 1e-6
#define FF_V2_PJ  1e-3
#define LN2       0.69314718055994530942

/* Minimum NMOS width of the periphery, in F (PMOS twice that). */
#define W_MIN_F          2.0
/* Write-driver NMOS width, in F (sized so its IR drop is small against the cell; estimate). */
#define W_WRITE_DRIVER_F 8.0
/* Precharge/equalise transistor per column, in F (estimate: NVSim's reported precharge energies
 * correspond to 0.6-1.5 fF of gate per column at 22/45 nm, i.e. ~30 F of width). */
#define W_PRECHARGE_F    32.0
/* Fraction of bits toggling on the bank-level I/O wires per transfer. */
#define IO_ACTIVITY      0.5

/* A decoder selecting one of n outputs that drives c_load_ff, as a NAND + inverter chain sized by
 * logical effort (Sutherland, Sproull & Harris 1999): path effort F = G·B·H with
 * G = (k + 2) / 3 (k-input NAND), B = n / 2 (each address line fans out to half the outputs),
 * H = C_load / C_in; N = round(log4 F) stages; delay = ln2 · τ · (N·F^(1/N) + P), P = k + N − 1;
 * τ = 3 · r_eff · c_gate (unit inverter). Energy: the load and the chain's gates, each stage
 * 1/f of the next, switched once: E = Vdd² · C_load · (1 + 1/(f − 1)) plus the k input lines. */
typedef struct decoder_cost {
  double t_ns, e_pj, width_um; /* width_um: total transistor width (for leakage / area) */
} decoder_cost;

static decoder_cost decoder_chain(const rr_tech *t, double f_um, int n_out, double c_load_ff) {
  decoder_cost d;
  const double c_in = 3.0 * W_MIN_F * f_um * t->c_gate_ff_per_um;
  const int k = n_out > 1 ? (int)ceil(log2((double)n_out)) : 0;
  const double g = k >= 2 ? (k + 2) / 3.0 : 1.0;
  const double b = n_out > 1 ? n_out / 2.0 : 1.0;
  double h = c_load_ff / c_in;
  if (h < 1) h = 1;
  const double fpath = g * b * h;
  int n = (int)lround(log(fpath) / log(4.0));
  if (n < 1) n = 1;
  const double f = pow(fpath, 1.0 / n);
  const double tau_ns = 3.0 * t->r_eff_ohm_um * t->c_gate_ff_per_um * OHM_FF_NS;
  d.t_ns = LN2 * tau_ns * (n * f + k + n - 1);
  const double c_chain = f > 1.0001 ? c_load_ff / (f - 1.0) : c_load_ff;
  d.e_pj = t->vdd_v * t->vdd_v * (c_load_ff + c_chain) * FF_V2_PJ;
  /* final stage input = C_load / f; widths of all stages (n and p) sum to ~ that · f/(f−1) / c_g */
  d.width_um = (c_load_ff / f) / t->c_gate_ff_per_um * (f > 1.0001 ? f / (f - 1.0) : 1.0);
  return d;
}

/* The same, with the final driver's NMOS no wider than w_max_um (it must fit the pitch): when the
 * optimal chain would need a wider one, the chain drives a w_max driver (input 3·w_max·c_gate)
 * and that driver charges the load through r_eff / w_max: + ln2 · (r_eff / w_max) · C_load. */
static decoder_cost decoder_eval(const rr_tech *t, double f_um, int n_out, double c_load_ff,
                                 double w_max_um) {
  decoder_cost d = decoder_chain(t, f_um, n_out, c_load_ff);
  const double c_drv_max = 3.0 * w_max_um * t->c_gate_ff_per_um; /* NMOS w_max + PMOS 2 w_max */
  if (c_load_ff <= 4.0 * c_drv_max) return d;
  decoder_cost pre = decoder_chain(t, f_um, n_out, c_drv_max);
  d.t_ns = pre.t_ns + LN2 * (t->r_eff_ohm_um / w_max_um) * c_load_ff * OHM_FF_NS;
  d.e_pj = pre.e_pj + t->vdd_v * t->vdd_v * c_load_ff * FF_V2_PJ;
  d.width_um = pre.width_um + 3.0 * w_max_um;
  return d;
}

/* The energy of one SET or RESET of one device: as given, or else V · I · t (V · µA · ns = fJ). */
static double cell_energy_pj(double given_pj, double voltage_v, double current_ua,
                             double pulse_ns) {
  return given_pj > 0 ? given_pj : voltage_v * current_ua * pulse_ns * 1e-3;
}

bnn_status rr_array_cost_eval(const rr_array_params *p, rr_array_cost *o) {
  bnn_status st = rr_array_params_validate(p);
  if (st != BNN_OK) return st;
  memset(o, 0, sizeof *o);
  const rr_tech *t = rr_tech_find(p->node_nm, p->roadmap);
  const double f_um = p->node_nm * 1e-3;
  const int cpb = rr_array_cells_per_bit(p->cell);
  const int xpoint = p->cell == RR_ARRAY_XPOINT;
  const int n_sa = p->cols / (p->mux * cpb);
  const int bits = p->bits_per_access ? p->bits_per_access : n_sa;
  const double vdd2 = t->vdd_v * t->vdd_v;

  /* Geometry: a cell of A F² with aspect a (height/width) is sqrt(A/a) F wide, sqrt(A·a) F high. */
  const double area_f2 = p->cell_area_f2 > 0 ? p->cell_area_f2 : (xpoint ? 4.0 : 12.0);
  const double cell_w = sqrt(area_f2 / p->cell_aspect) * f_um;
  const double cell_h = sqrt(area_f2 * p->cell_aspect) * f_um;
  o->wl_len_um = p->cols * cell_w;
  o->bl_len_um = p->rows * cell_h;

  /* Line parasitics: wire R/C per µm, plus per cell the access transistor's gate (wordline) and
   * drain (bitline), or for a cross-point cell the device capacitance on both lines. */
  const double w_acc = p->access_width_f * f_um;
  const double c_cell_wl = xpoint ? p->cell_cap_ff : w_acc * t->c_gate_ff_per_um;
  const double c_cell_bl = xpoint ? p->cell_cap_ff : w_acc * t->c_drain_ff_per_um;
  o->wl_r_ohm = o->wl_len_um * t->wire_r_ohm_per_um;
  o->bl_r_ohm = o->bl_len_um * t->wire_r_ohm_per_um;
  o->wl_c_ff = o->wl_len_um * t->wire_c_ff_per_um + p->cols * c_cell_wl;
  o->bl_c_ff = o->bl_len_um * t->wire_c_ff_per_um + p->rows * c_cell_bl;

  /* Bitline mux transistor: wide enough to pass the programming current at I_on; in a
   * cross-point array also the sneak current of the (rows − 1) half-selected cells on the
   * selected bitline: each at V_write/2 passes I_write / half_select_ratio (the cell's I-V
   * nonlinearity, I(V) / I(V/2), as in NeuroSim's cross-point model). */
  const double v_w = fmax(p->set_voltage_v, p->reset_voltage_v);
  const double i_w = fmax(p->set_current_ua, p->reset_current_ua);
  const double i_sneak_ua = xpoint ? (p->rows - 1) * i_w / p->half_select_ratio : 0.0;
  const double w_min = W_MIN_F * f_um;
  const double w_max = p->max_mux_width_f * f_um; /* widest transistor in a line pitch */
  o->mux_width_um = fmax(w_min, (i_w + i_sneak_ua) / t->i_on_ua_per_um);
  o->valid_mux = o->mux_width_um <= p->max_mux_width_f * f_um * (1 + 1e-12);

  /* Row decoder drives one wordline: logical-effort chain into C_wl, then the distributed RC of
   * the line itself, 50 % point of an Elmore distributed line: ln2 · R·C / 2. */
  decoder_cost rowdec = decoder_eval(t, f_um, p->rows, o->wl_c_ff, w_max);
  o->t_rowdec_ns = rowdec.t_ns + LN2 * o->wl_r_ohm * o->wl_c_ff / 2.0 * OHM_FF_NS;

  /* Column (mux) decoder: one of mux select lines, each running across the subarray width and
   * gating one mux transistor per sense amplifier (cells_per_bit of them in 2T2R). In a
   * cross-point array (V/2 scheme) every column's switch changes state on an access (the selected
   * columns to the read/write level, the others to V/2), so the select network loads the decoder
   * with all cols switches; they pass both polarities and the V/2 level, so each is a CMOS
   * transmission gate (NMOS W + PMOS 2W: three times the NMOS gate capacitance). */
  const double n_gates = xpoint ? 3.0 * p->cols : (double)n_sa * cpb;
  const double c_sel =
      o->wl_len_um * t->wire_c_ff_per_um + n_gates * o->mux_width_um * t->c_gate_ff_per_um;
  const double r_sel = o->wl_len_um * t->wire_r_ohm_per_um;
  /* The select drivers sit at the middle of the subarray edge and drive both halves of the line:
   * ln2 · (R/2)·(C/2) / 2 = ln2 · R·C / 8. */
  decoder_cost coldec = decoder_eval(t, f_um, p->mux, c_sel, w_max);
  o->t_coldec_ns = p->mux > 1 ? coldec.t_ns + LN2 * r_sel * c_sel / 8.0 * OHM_FF_NS : 0.0;

  /* Bitline: current-mode sensing waits for the distributed bitline to settle, ln2 · R·C / 2. */
  o->t_bitline_ns = LN2 * o->bl_r_ohm * o->bl_c_ff / 2.0 * OHM_FF_NS;
  o->t_sense_ns = t->sa_latency_ns;

  /* Mux: pass transistor (r_eff / W) charging the shared mux output node, which carries the drain
   * of every one of the mux inputs (Elmore, lumped). */
  const double r_mux = t->r_eff_ohm_um / o->mux_width_um;
  const double c_mux_out = p->mux * o->mux_width_um * t->c_drain_ff_per_um;
  o->t_mux_ns = p->mux > 1 ? LN2 * r_mux * c_mux_out * OHM_FF_NS : 0.0;

  const double t_dec = fmax(o->t_rowdec_ns, o->t_coldec_ns);
  o->t_read_ns = t_dec + o->t_bitline_ns + o->t_sense_ns + o->t_mux_ns;

  /* Write: decode, charge the bitline through the write driver (lumped driver R plus distributed
   * line), then the programming pulse. 1T1R/2T2R program SET and RESET bits of a word in one
   * phase (the access transistors isolate the cells); a cross-point array resets, then sets. */
  const double r_wd = t->r_eff_ohm_um / (W_WRITE_DRIVER_F * f_um);
  o->t_write_charge_ns = LN2 * (r_wd + o->bl_r_ohm / 2.0) * o->bl_c_ff * OHM_FF_NS;
  if (xpoint)
    o->t_write_ns = t_dec + 2.0 * o->t_write_charge_ns + p->set_pulse_ns + p->reset_pulse_ns;
  else
    o->t_write_ns = t_dec + o->t_write_charge_ns + fmax(p->set_pulse_ns, p->reset_pulse_ns);

  /* Read energy. Every sense amplifier of the subarray senses (n_sa of them, cpb devices each);
   * bits_per_access of their outputs leave through the output mux. */
  const int dev = n_sa * cpb;
  o->e_read_rowdec_pj = rowdec.e_pj;
  o->e_read_coldec_pj = p->mux > 1 ? coldec.e_pj : 0.0;
  /* Bitlines and cells: with current-mode sensing the clamp holds every bitline at the read
   * level between accesses, so an access draws only the cell current, V_read²/R_on (worst case
   * LRS) for the sensing time, per sensed device. */
  o->e_read_bitline_pj =
      dev * p->read_voltage_v * p->read_voltage_v / p->r_on_ohm * o->t_sense_ns * 1e3;
  o->e_read_sense_pj = n_sa * t->sa_energy_pj;
  /* The mux output node, like the bitline, sits at the read level: charge C·V_read from Vdd. */
  o->e_read_mux_pj = dev * c_mux_out * p->read_voltage_v * t->vdd_v * FF_V2_PJ;
  /* Precharge/equalise: one transistor per column whose gate line toggles once per access. */
  o->e_read_precharge_pj = p->cols * W_PRECHARGE_F * f_um * t->c_gate_ff_per_um * vdd2 * FF_V2_PJ;
  o->e_read_pj = o->e_read_rowdec_pj + o->e_read_coldec_pj + o->e_read_bitline_pj +
                 o->e_read_sense_pj + o->e_read_mux_pj + o->e_read_precharge_pj;

  /* Write energy: cells at their given energy per device (or V·I·t); a 1T1R/xpoint bit costs the
   * larger of SET and RESET (the data decides which), a 2T2R bit one SET plus one RESET. Each
   * written bitline swings to the programming voltage: C_bl · V_write². */
  const double e_set =
      cell_energy_pj(p->set_energy_pj, p->set_voltage_v, p->set_current_ua, p->set_pulse_ns);
  const double e_reset = cell_energy_pj(p->reset_energy_pj, p->reset_voltage_v, p->reset_current_ua,
                                        p->reset_pulse_ns);
  o->e_write_rowdec_pj = rowdec.e_pj;
  o->e_write_coldec_pj = p->mux > 1 ? coldec.e_pj : 0.0;
  o->e_write_cell_pj = bits * (cpb == 2 ? e_set + e_reset : fmax(e_set, e_reset));
  o->e_write_bitline_pj = bits * cpb * o->bl_c_ff * v_w * v_w * FF_V2_PJ;
  o->e_write_pj =
      o->e_write_rowdec_pj + o->e_write_coldec_pj + o->e_write_cell_pj + o->e_write_bitline_pj;

  o->e_read_array_pj = o->e_read_bitline_pj;
  o->e_read_periph_pj = o->e_read_pj - o->e_read_array_pj;
  o->e_write_array_pj = o->e_write_cell_pj + o->e_write_bitline_pj;
  o->e_write_periph_pj = o->e_write_pj - o->e_write_array_pj;
  o->bits_per_access = bits;
  o->e_read_per_bit_pj = o->e_read_pj / bits;
  o->e_write_per_bit_pj = o->e_write_pj / bits;

  /* Area: cells, plus the periphery's transistors at ~10 F of layout length per µm of width
   * (estimate: gate, contacts and spacing of a pitch-matched strip), plus one sense amplifier of
   * sa_area_f2 per n_sa. Not part of the validation (docs/array-cost-model.md). */
  o->area_cells_um2 = (double)p->rows * p->cols * area_f2 * f_um * f_um;
  const double rowdrv_w = rowdec.width_um; /* per row driver */
  const double w_periph = p->rows * rowdrv_w + p->mux * coldec.width_um +
                          p->cols * (o->mux_width_um + (W_WRITE_DRIVER_F + W_PRECHARGE_F) * f_um);
  o->area_periph_um2 = w_periph * 10.0 * f_um + n_sa * t->sa_area_f2 * f_um * f_um;
  o->area_um2 = o->area_cells_um2 + o->area_periph_um2;
  o->area_efficiency = o->area_cells_um2 / o->area_um2;

  /* Leakage of the periphery: half of its transistor width off at Vdd, plus each sense
   * amplifier as 20 minimum devices. (An idle array's cells leak nothing: no bias on the lines.) */
  o->leakage_mw =
      0.5 * (w_periph + n_sa * 20.0 * w_min) * t->i_off_na_per_um * 1e-9 * t->vdd_v * 1e3;

  /* Bank-level I/O: an H-tree from the bank edge to the subarray is about one bank side long,
   * side = sqrt(subarrays · subarray area); unrepeated global wire, ln2·R·C/2, and
   * α · C · Vdd² per bit moved. */
  o->io_len_um = sqrt((double)p->subarrays_per_bank * o->area_um2);
  const double r_io = o->io_len_um * t->gwire_r_ohm_per_um;
  const double c_io = o->io_len_um * t->gwire_c_ff_per_um;
  o->t_io_ns = LN2 * r_io * c_io / 2.0 * OHM_FF_NS;
  o->e_io_per_bit_pj = IO_ACTIVITY * c_io * vdd2 * FF_V2_PJ;

  if (!o->valid_mux)
    return bnn_fail(BNN_E_RANGE,
                    "array: %s %dx%d at %d nm %s needs a bitline mux of %.0f F (write %.1f uA + "
                    "sneak %.1f uA), more than max_mux_width_f = %g F",
                    rr_array_cell_name(p->cell), p->rows, p->cols, p->node_nm,
                    rr_roadmap_name(p->roadmap), o->mux_width_um / f_um, i_w, i_sneak_ua,
                    p->max_mux_width_f);
  return BNN_OK;
}

bnn_status rr_array_access_eval(const rr_array_params *p, int row_bits,
                                rr_array_access_costs *out) {
  rr_array_cost c;
  bnn_status st = rr_array_cost_eval(p, &c);
  if (st != BNN_OK) return st;
  const int cpb = rr_array_cells_per_bit(p->cell);
  if (row_bits < 1 || row_bits > p->cols / cpb)
    return bnn_fail(BNN_E_RANGE,
                    "array: %d data bits per row access is outside the accepted range [1, %d] "
                    "(cols / cells per bit)",
                    row_bits, p->cols / cpb);
  memset(out, 0, sizeof *out);
  const int b = c.bits_per_access;
  const int r = (row_bits + b - 1) / b;
  const int xpoint = p->cell == RR_ARRAY_XPOINT;
  out->rounds = r;
  const double write_phase = xpoint
                                 ? 2.0 * c.t_write_charge_ns + p->set_pulse_ns + p->reset_pulse_ns
                                 : c.t_write_charge_ns + fmax(p->set_pulse_ns, p->reset_pulse_ns);
  out->t_read_ns = c.t_read_ns + (r - 1) * (c.t_sense_ns + c.t_mux_ns) + c.t_io_ns;
  out->t_write_ns = c.t_write_ns + (r - 1) * write_phase + c.t_io_ns;
  /* Every round senses all sense amplifiers but delivers b bits. */
  out->e_read_bit_pj = c.e_read_bitline_pj / b;
  const double e_set =
      cell_energy_pj(p->set_energy_pj, p->set_voltage_v, p->set_current_ua, p->set_pulse_ns);
  const double e_reset = cell_energy_pj(p->reset_energy_pj, p->reset_voltage_v, p->reset_current_ua,
                                        p->reset_pulse_ns);
  const double cv_set = c.bl_c_ff * p->set_voltage_v * p->set_voltage_v * FF_V2_PJ;
  const double cv_reset = c.bl_c_ff * p->reset_voltage_v * p->reset_voltage_v * FF_V2_PJ;
  if (cpb == 2) { /* a 2T2R bit programs one device SET and the other RESET, whatever its value */
    out->e_set_bit_pj = out->e_reset_bit_pj = e_set + e_reset + cv_set + cv_reset;
  } else {
    out->e_set_bit_pj = e_set + cv_set;
    out->e_reset_bit_pj = e_reset + cv_reset;
  }
  out->e_periph_read_pj = c.e_read_rowdec_pj + c.e_read_precharge_pj +
                          r * (c.e_read_coldec_pj + c.e_read_sense_pj + c.e_read_mux_pj);
  out->e_periph_write_pj = c.e_write_rowdec_pj + r * c.e_write_coldec_pj;
  out->e_io_bit_pj = c.e_io_per_bit_pj;
  return BNN_OK;
}
