// config_json.cpp — the resolved config as JSON text (every default filled in), for the top of
// stats files and for the config identity.
#include <cstring>
#include <initializer_list>
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
  // Sets the keys of a table of fields, in its order.
  auto put_all = [&put](json_t* o, std::initializer_list<std::pair<const char*, json_t*>> fields) {
    for (const auto& kv : fields) put(o, kv.first, kv.second);
  };
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
    put_all(o, {{"name", json_string(p.name)},
                {"prog_current_ua", jreal(p.prog_current_ua)},
                {"prog_voltage_v", jreal(p.prog_voltage_v)},
                {"prog_pulse_ns", jreal(p.prog_pulse_ns)},
                {"read_voltage_v", jreal(p.read_voltage_v)},
                {"read_pulse_ns", jreal(p.read_pulse_ns)},
                {"write_ber_01", jreal(p.write_ber_01)},
                {"write_ber_10", jreal(p.write_ber_10)},
                {"read_ber_01", jreal(p.read_ber_01)},
                {"read_ber_10", jreal(p.read_ber_10)},
                {"e_set_pj", jreal(p.e_set_pj)},
                {"e_reset_pj", jreal(p.e_reset_pj)},
                {"e_read_pj", jreal(p.e_read_pj)},
                {"e_periph_read_pj", jreal(p.e_periph_read_pj)},
                {"e_periph_write_pj", jreal(p.e_periph_write_pj)},
                {"t_read_ns", jreal(p.t_read_ns)},
                {"t_write_ns", jreal(p.t_write_ns)}});
    if (d.cost_model == RR_COST_ARRAY) put(o, "e_io_pj", jreal(p.e_io_pj));
    push(pts, o);
  }
  put(dev, "operating_points", pts);
  if (d.has_analytic) {
    const rr_analytic& an = d.analytic;
    json_t* a = json_object();
    put_all(a, {{"i0_ua", jreal(an.i0_ua)},
                {"lrs_median_kohm", jreal(an.lrs_median_kohm)},
                {"lrs_slope", jreal(an.lrs_slope)},
                {"lrs_sigma", jreal(an.lrs_sigma)},
                {"lrs_sigma_slope", jreal(an.lrs_sigma_slope)},
                {"hrs_median_kohm", jreal(an.hrs_median_kohm)},
                {"hrs_sigma", jreal(an.hrs_sigma)},
                {"ref_kohm", jreal(an.ref_kohm)}});
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
    put_all(ar, {{"node_nm", json_integer(d.array.node_nm)},
                 {"roadmap", json_string(rr_roadmap_name(d.array.roadmap))},
                 {"mux", json_integer(d.array.mux)},
                 {"cell_area_f2", jreal(d.array.cell_area_f2)},
                 {"cell_aspect", jreal(d.array.cell_aspect)},
                 {"access_width_f", jreal(d.array.access_width_f)},
                 {"r_on_ohm", jreal(d.array.r_on_ohm)},
                 {"r_off_ohm", jreal(d.array.r_off_ohm)},
                 {"max_mux_width_f", jreal(d.array.max_mux_width_f)}});
    put(dev, "array", ar);
  }
  put(root.get(), "device", dev);

  const Organisation& g = c.org;
  json_t* org = json_object();
  put_all(org, {{"channels", json_integer(g.channels)},
                {"banks_per_channel", json_integer(g.banks_per_channel)},
                {"crossbars_per_bank", json_integer(g.crossbars_per_bank)},
                {"rows", json_integer(g.rows)},
                {"columns", json_integer(g.columns)},
                {"bus_width_bits", json_integer(g.bus_width_bits)},
                {"bus_clock_mhz", jreal(g.bus_clock_mhz)},
                {"controller_latency_cycles", json_integer(g.controller_latency_cycles)},
                {"queue_depth", json_integer(g.queue_depth)},
                {"static_power_mw", jreal(g.static_power_mw)}});
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
