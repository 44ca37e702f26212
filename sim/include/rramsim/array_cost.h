/* rramsim/array_cost.h — crossbar array cost model: latency, energy, leakage and area of one
 * subarray access, derived from its geometry, the technology node and the cell's electrics. */
#ifndef RRAMSIM_ARRAY_COST_H
#define RRAMSIM_ARRAY_COST_H

#include <stddef.h>

#include "bnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Plain C11, no SystemC: evaluated once per configuration (never per access), so the timed
 * simulator, the functional mode's analytic energy and the tests share one set of figures.
 * Every equation, its source and the technology values are in docs/array-cost-model.md. */

/* Cell organisation. 1T1R: one device + one access transistor per bit. 2T2R: two 1T1R devices per
 * bit (complementary pair, differential sensing). XPOINT: a selector-less cross-point cell, one
 * device per bit, with half-selected cells on the selected lines during a write. */
typedef enum rr_array_cell {
  RR_ARRAY_1T1R = 0,
  RR_ARRAY_2T2R = 1,
  RR_ARRAY_XPOINT = 2,
  RR_ARRAY_CELL_COUNT
} rr_array_cell;

/* Peripheral CMOS flavour (ITRS device roadmaps): high performance or low standby power. */
typedef enum rr_roadmap { RR_ROADMAP_HP = 0, RR_ROADMAP_LSTP = 1, RR_ROADMAP_COUNT } rr_roadmap;

const char *rr_array_cell_name(rr_array_cell c);            /* "1T1R", "2T2R", "xpoint" */
int rr_array_cell_parse(const char *s, rr_array_cell *out); /* 1 if known (case-insensitive) */
const char *rr_roadmap_name(rr_roadmap r);                  /* "HP", "LSTP" */
int rr_roadmap_parse(const char *s, rr_roadmap *out);
int rr_array_cells_per_bit(rr_array_cell c); /* 2 for 2T2R, else 1 */

/* Technology of one node and roadmap. Sources per value: docs/array-cost-model.md, table T. */
typedef struct rr_tech {
  int node_nm;
  rr_roadmap roadmap;
  double vdd_v;              /* peripheral supply */
  double i_on_ua_per_um;     /* NMOS saturation current per µm of width */
  double i_off_na_per_um;    /* NMOS sub-threshold leakage per µm at 350 K */
  double c_gate_ff_per_um;   /* gate capacitance incl. overlap and fringe, per µm of width */
  double c_drain_ff_per_um;  /* drain junction capacitance per µm of width */
  double r_eff_ohm_um;       /* effective NMOS on-resistance × width (switching), Ω·µm */
  double wire_r_ohm_per_um;  /* local (minimum-pitch, aggressive) wire resistance */
  double wire_c_ff_per_um;   /* local wire capacitance */
  double gwire_r_ohm_per_um; /* global wire resistance (bank-level I/O routing) */
  double gwire_c_ff_per_um;  /* global wire capacitance */
  double sa_latency_ns;      /* current-mode sense amplifier, one sensing */
  double sa_energy_pj;       /* current-mode sense amplifier, one sensing */
  double sa_area_f2;         /* one current-mode sense amplifier incl. its I-V converter, F² */
} rr_tech;

/* The table's entry for node_nm / roadmap, or NULL (node outside the tables). */
const rr_tech *rr_tech_find(int node_nm, rr_roadmap roadmap);
/* Nodes in the table, ascending; returns their count (writes at most max). */
size_t rr_tech_nodes(int *nodes, size_t max);

/* Inputs. Names follow the device file's "array" keys (configs/README.md). */
typedef struct rr_array_params {
  rr_array_cell cell;
  int node_nm;
  rr_roadmap roadmap;
  /* organisation */
  int rows;            /* cells per bitline */
  int cols;            /* cells per wordline (devices, so a 2T2R bit takes two columns) */
  int mux;             /* bitlines per sense amplifier (column mux ratio), divides cols */
  int bits_per_access; /* bits read/written per subarray access; 0 = cols / mux / cells_per_bit */
  int subarrays_per_bank; /* for the bank-level I/O wire (H-tree) length */
  /* cell geometry */
  double cell_area_f2;   /* 0 = 12 for 1T1R/2T2R (per device), 4 for xpoint */
  double cell_aspect;    /* cell height / width; 1 = square */
  double access_width_f; /* access transistor width, F (1T1R/2T2R) */
  double cell_cap_ff;    /* device capacitance (xpoint line loading) */
  /* cell electrics */
  double r_on_ohm;          /* LRS resistance at the read voltage */
  double r_off_ohm;         /* HRS resistance at the read voltage */
  double half_select_ratio; /* xpoint: I(V_write) / I(V_write/2), the cell's I-V nonlinearity */
  double read_voltage_v;
  double set_voltage_v, reset_voltage_v;
  double set_current_ua, reset_current_ua;
  double set_pulse_ns, reset_pulse_ns;
  double set_energy_pj, reset_energy_pj; /* per device; 0 = V·I·t */
  double max_mux_width_f;                /* largest bitline-mux transistor the layout allows, F */
} rr_array_params;

/* NVSim's sample RRAM (1T1R variant of the reference table, 22 nm HP, 256×256, mux 32). */
rr_array_params rr_array_default_params(void);

/* BNN_OK, or BNN_E_RANGE with bnn_errmsg() = "array.<key>: <value> is outside [lo, hi] ..."
 * (one line naming the key and the accepted range; prefix "array." is the device file's). */
bnn_status rr_array_params_validate(const rr_array_params *p);

/* Outputs: one subarray access (the bits_per_access bits of one row). Times in ns, energies in
 * pJ per access, power in mW, lengths in µm, areas in µm². */
typedef struct rr_array_cost {
  /* line parasitics */
  double wl_len_um, bl_len_um;
  double wl_r_ohm, wl_c_ff, bl_r_ohm, bl_c_ff;
  double mux_width_um; /* bitline mux transistor width */
  int valid_mux;       /* 0 if the mux needs more than max_mux_width_f (array not buildable) */
  /* read path */
  double t_rowdec_ns, t_coldec_ns, t_bitline_ns, t_sense_ns, t_mux_ns, t_read_ns;
  /* write path */
  double t_write_charge_ns, t_write_ns;
  /* read energy parts */
  double e_read_rowdec_pj, e_read_coldec_pj, e_read_bitline_pj, e_read_sense_pj, e_read_mux_pj,
      e_read_precharge_pj;
  double e_read_pj; /* sum of the parts */
  /* write energy parts */
  double e_write_rowdec_pj, e_write_coldec_pj, e_write_cell_pj, e_write_bitline_pj;
  double e_write_pj;
  /* the simulator's breakdown: array = cells + bitlines, periphery = decoders, mux, sensing */
  double e_read_array_pj, e_read_periph_pj, e_write_array_pj, e_write_periph_pj;
  int bits_per_access;
  double e_read_per_bit_pj, e_write_per_bit_pj;
  /* bank-level I/O: moving one bit between the subarray and the bank edge over the H-tree */
  double io_len_um, t_io_ns, e_io_per_bit_pj;
  /* static */
  double leakage_mw; /* one subarray's periphery */
  double area_cells_um2, area_periph_um2, area_um2, area_efficiency;
} rr_array_cost;

/* Evaluates the model. Validates p first (same errors as rr_array_params_validate); BNN_E_RANGE
 * "array: ... needs a bitline mux of ... F, more than max_mux_width_f" if the array cannot be
 * built (out->valid_mux = 0 and the other figures still filled, for reporting). */
bnn_status rr_array_cost_eval(const rr_array_params *p, rr_array_cost *out);

/* What the memory system charges per crossbar access in the device file's "array" cost mode. An
 * access reads or programs row_bits data bits of one row; when the subarray's sense amplifiers
 * (write drivers) serve fewer bits at a time (bits_per_access), the row is served in
 * rounds = ceil(row_bits / bits_per_access) with the wordline kept up: each further read round
 * re-muxes and senses again, each further write round charges the bitlines and pulses again.
 * Array = cells and bitlines (per bit), periphery = decoders, mux, precharge, sensing, drivers
 * (per access), I/O = the bank-level wires (per bit moved). */
typedef struct rr_array_access_costs {
  int rounds;
  double t_read_ns, t_write_ns;               /* one access, including the bank I/O wire */
  double e_read_bit_pj;                       /* array energy per bit read */
  double e_set_bit_pj, e_reset_bit_pj;        /* array energy per bit programmed to 1 / 0 */
  double e_periph_read_pj, e_periph_write_pj; /* per access */
  double e_io_bit_pj;                         /* per bit moved between subarray and bank edge */
} rr_array_access_costs;

/* row_bits in [1, cols / cells_per_bit]. Errors as rr_array_cost_eval, plus row_bits out of range.
 */
bnn_status rr_array_access_eval(const rr_array_params *p, int row_bits, rr_array_access_costs *out);

#ifdef __cplusplus
}
#endif
#endif /* RRAMSIM_ARRAY_COST_H */
