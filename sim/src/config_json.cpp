// config_json.cpp — the resolved config as JSON text (every default filled in), for the top of
// stats files and for the config identity.
#include <cstring>
#include <new>

#include "config_reader.hpp"

namespace rramsim {

namespace {
json_t* jreal(double v) {
  return json_real(v);
}
}  // namespace

std::string config_to_json(const SystemConfig& c, int indent) {
  // jansson reports a failed allocation as NULL (constructors) or -1 (set/append, which free the
  // value they could not take): collect that and throw, so an out-of-memory run never goes on with
  // a config text (and hash) that silently lost keys.
  use_bnn_for_json();
  bool oom = false;
  auto put = [&oom](json_t* o, const char* key, json_t* v) {
    oom |= json_object_set_new(o, key, v) != 0;
  };
  auto push = [&oom](json_t* a, json_t* v) { oom |= json_array_append_new(a, v) != 0; };
  JsonPtr root(json_object());
  put(root.get(), "name", json_string(c.name.c_str()));
  put(root.get(), "source", json_string(c.source.c_str()));
  put(root.get(), "seed", json_integer(static_cast<json_int_t>(c.seed)));
  put(root.get(), "op_point", json_string(c.op().name));
  if (!c.overrides.empty()) {
    json_t* ov = json_array();
    for (const std::string& x : c.overrides) push(ov, json_string(x.c_str()));
    put(root.get(), "overrides", ov);
  }
  const rr_device& d = c.device;
  json_t* dev = json_object();
  put(dev, "name", json_string(d.name));
  put(dev, "cell", json_string(rr_cell_type_name(d.cell)));
  json_t* pts = json_array();
  for (size_t i = 0; i < d.n_points; ++i) {
    const rr_op_point& p = d.points[i];
    json_t* o = json_object();
    put(o, "name", json_string(p.name));
    const std::pair<const char*, double> f[] = {{"prog_current_ua", p.prog_current_ua},
                                                {"prog_voltage_v", p.prog_voltage_v},
                                                {"prog_pulse_ns", p.prog_pulse_ns},
                                                {"read_voltage_v", p.read_voltage_v},
                                                {"read_pulse_ns", p.read_pulse_ns},
                                                {"write_ber_01", p.write_ber_01},
                                                {"write_ber_10", p.write_ber_10},
                                                {"read_ber_01", p.read_ber_01},
                                                {"read_ber_10", p.read_ber_10},
                                                {"e_set_pj", p.e_set_pj},
                                                {"e_reset_pj", p.e_reset_pj},
                                                {"e_read_pj", p.e_read_pj},
                                                {"e_periph_read_pj", p.e_periph_read_pj},
                                                {"e_periph_write_pj", p.e_periph_write_pj},
                                                {"t_read_ns", p.t_read_ns},
                                                {"t_write_ns", p.t_write_ns}};
    for (auto& kv : f) put(o, kv.first, jreal(kv.second));
    if (d.cost_model == RR_COST_ARRAY) put(o, "e_io_pj", jreal(p.e_io_pj));
    push(pts, o);
  }
  put(dev, "operating_points", pts);
  if (d.has_analytic) {
    json_t* a = json_object();
    put(a, "i0_ua", jreal(d.analytic.i0_ua));
    put(a, "lrs_median_kohm", jreal(d.analytic.lrs_median_kohm));
    put(a, "lrs_slope", jreal(d.analytic.lrs_slope));
    put(a, "lrs_sigma", jreal(d.analytic.lrs_sigma));
    put(a, "lrs_sigma_slope", jreal(d.analytic.lrs_sigma_slope));
    put(a, "hrs_median_kohm", jreal(d.analytic.hrs_median_kohm));
    put(a, "hrs_sigma", jreal(d.analytic.hrs_sigma));
    put(a, "ref_kohm", jreal(d.analytic.ref_kohm));
    put(dev, "analytic", a);
  }
  json_t* st = json_object();
  put(st, "density", jreal(d.stuck_density));
  put(st, "one_fraction", jreal(d.stuck_one_fraction));
  put(dev, "stuck_at", st);
  json_t* en = json_object();
  put(en, "median_writes", jreal(d.endurance_median_writes));
  put(en, "sigma", jreal(d.endurance_sigma));
  put(dev, "endurance", en);
  json_t* wv = json_object();
  put(wv, "policy", json_string(rr_verify_policy_name(d.verify)));
  put(wv, "max_iterations", json_integer(d.verify_max_iterations));
  put(dev, "write_verify", wv);
  if (d.cost_model == RR_COST_ARRAY) {  // table mode writes neither key (outputs unchanged)
    put(dev, "cost_model", json_string(rr_cost_model_name(d.cost_model)));
    json_t* ar = json_object();
    put(ar, "node_nm", json_integer(d.array.node_nm));
    put(ar, "roadmap", json_string(rr_roadmap_name(d.array.roadmap)));
    put(ar, "mux", json_integer(d.array.mux));
    put(ar, "cell_area_f2", jreal(d.array.cell_area_f2));
    put(ar, "cell_aspect", jreal(d.array.cell_aspect));
    put(ar, "access_width_f", jreal(d.array.access_width_f));
    put(ar, "r_on_ohm", jreal(d.array.r_on_ohm));
    put(ar, "r_off_ohm", jreal(d.array.r_off_ohm));
    put(ar, "max_mux_width_f", jreal(d.array.max_mux_width_f));
    put(dev, "array", ar);
  }
  put(root.get(), "device", dev);

  const Organisation& g = c.org;
  json_t* org = json_object();
  put(org, "channels", json_integer(g.channels));
  put(org, "banks_per_channel", json_integer(g.banks_per_channel));
  put(org, "crossbars_per_bank", json_integer(g.crossbars_per_bank));
  put(org, "rows", json_integer(g.rows));
  put(org, "columns", json_integer(g.columns));
  put(org, "bus_width_bits", json_integer(g.bus_width_bits));
  put(org, "bus_clock_mhz", jreal(g.bus_clock_mhz));
  put(org, "controller_latency_cycles", json_integer(g.controller_latency_cycles));
  put(org, "queue_depth", json_integer(g.queue_depth));
  put(org, "static_power_mw", jreal(g.static_power_mw));
  json_t* sch = json_object();
  put(sch, "policy", json_string(scheduler_name(g.scheduler)));
  put(sch, "write_high_watermark", json_integer(g.write_high_watermark));
  put(sch, "write_low_watermark", json_integer(g.write_low_watermark));
  put(org, "scheduler", sch);
  json_t* map = json_object();
  for (int f = 0; f < static_cast<int>(AddrField::Count); ++f) {
    json_t* a = json_array();
    for (unsigned b : g.mapping.bits[f]) push(a, json_integer(b));
    put(map, addr_field_name(static_cast<AddrField>(f)), a);
  }
  put(org, "address_mapping", map);
  put(org, "capacity_bytes", json_integer(static_cast<json_int_t>(g.capacity_bytes())));
  put(root.get(), "organisation", org);
  if (c.error_map) {
    json_t* em = json_object();
    put(em, "path", json_string(c.error_map->path.c_str()));
    put(em, "stuck_at_0", json_integer(static_cast<json_int_t>(c.error_map->stuck0)));
    put(em, "stuck_at_1", json_integer(static_cast<json_int_t>(c.error_map->stuck1)));
    put(em, "flip_rate", json_integer(static_cast<json_int_t>(c.error_map->flip)));
    // The cells themselves change results: fold them into the hash input too.
    uint64_t h = 1469598103934665603ull;
    for (const Defect& cell : c.error_map->cells) {
      unsigned char b[8 + 1 + 1 + 8];
      std::memcpy(b, &cell.addr, 8);
      b[8] = cell.bit;
      b[9] = static_cast<unsigned char>(cell.kind);
      std::memcpy(b + 10, &cell.rate, 8);
      for (unsigned char x : b) h = (h ^ x) * 1099511628211ull;
    }
    char hx[32];
    std::snprintf(hx, sizeof hx, "fnv1a64:%016llx", static_cast<unsigned long long>(h));
    put(em, "cells_hash", json_string(hx));
    put(root.get(), "error_map", em);
  }

  if (oom || !root) throw std::bad_alloc();
  // json_dumps allocates through jansson's allocator (json_set_alloc_funcs), so it is freed there.
  json_free_t jfree = nullptr;
  json_get_alloc_funcs(nullptr, &jfree);
  const unsigned long failures =
      json_alloc_failures();  // json_dumps, too, may go on after a failure
  std::unique_ptr<char, json_free_t> s(
      json_dumps(root.get(), JSON_INDENT(indent) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12)),
      jfree);
  if (!s || json_alloc_failures() != failures) throw std::bad_alloc();
  return std::string(s.get());
}

}  // namespace rramsim
