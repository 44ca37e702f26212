// config_device.cpp — a device preset (configs/devices/*.json) read and validated: cell type,
// operating points, the analytic BER model, stuck-at, endurance and write-verify.
#include <cmath>
#include <cstring>

#include "config_reader.hpp"

namespace rramsim {

namespace {

void read_op_point(Obj& o, rr_op_point& p, const rr_device& d) {
  std::memset(&p, 0, sizeof p);
  std::string name = o.str("name", "", true);
  if (name.empty() || name.size() >= RR_OP_NAME_MAX)
    o.fail("name", "must be 1.." + std::to_string(RR_OP_NAME_MAX - 1) + " characters");
  std::memcpy(p.name, name.c_str(), name.size() + 1);
  p.prog_current_ua = o.num("prog_current_ua", 0.0, 0.0, 1e5);
  p.prog_voltage_v = o.num("prog_voltage_v", 0.0, 0.0, 100.0);
  p.prog_pulse_ns = o.num("prog_pulse_ns", 0.0, 0.0, 1e9);
  p.read_voltage_v = o.num("read_voltage_v", 0.0, 0.0, 100.0);
  p.read_pulse_ns = o.num("read_pulse_ns", 0.0, 0.0, 1e9);
  // Write BERs: given, or derived from the analytic model at prog_current_ua.
  bool derive = d.has_analytic && !o.has("write_ber_01") && !o.has("write_ber_10");
  if (derive) {
    if (!(p.prog_current_ua > 0))
      o.fail("prog_current_ua",
             "needed (> 0) to derive write_ber_01/10 from the analytic model when they are absent");
    rr_analytic_ber(&d.analytic, d.cell, p.prog_current_ua, &p.write_ber_01, &p.write_ber_10);
    if (p.write_ber_01 > 0.5) p.write_ber_01 = 0.5;
    if (p.write_ber_10 > 0.5) p.write_ber_10 = 0.5;
  } else {
    p.write_ber_01 = o.num("write_ber_01", 0.0, 0.0, 0.5);
    p.write_ber_10 = o.num("write_ber_10", 0.0, 0.0, 0.5);
  }
  p.read_ber_01 = o.num("read_ber_01", 0.0, 0.0, 0.5);
  p.read_ber_10 = o.num("read_ber_10", 0.0, 0.0, 0.5);
  p.e_set_pj = o.num("e_set_pj", 0.0, 0.0, 1e6, true);
  p.e_reset_pj = o.num("e_reset_pj", 0.0, 0.0, 1e6, true);
  p.e_read_pj = o.num("e_read_pj", 0.0, 0.0, 1e6, true);
  p.e_periph_read_pj = o.num("e_periph_read_pj", 0.0, 0.0, 1e9);
  p.e_periph_write_pj = o.num("e_periph_write_pj", 0.0, 0.0, 1e9);
  p.t_read_ns = o.num("t_read_ns", 0.0, 0.001, 1e9, true);
  p.t_write_ns = o.num("t_write_ns", 0.0, 0.001, 1e9, true);
  o.finish();
}

}  // namespace

rr_device read_device(json_t* j, const std::string& file, const std::string& path) {
  Obj o(j, file, path);
  rr_device d;
  std::memset(&d, 0, sizeof d);
  std::string name = o.str("name", "device");
  if (name.size() >= sizeof d.name) o.fail("name", "longer than 63 characters");
  std::memcpy(d.name, name.c_str(), name.size() + 1);
  o.str("description", "");  // free text, for people
  std::string cell = o.str("cell", "", true);
  if (!rr_cell_type_parse(cell.c_str(), &d.cell))
    o.fail("cell", "'" + cell + "' is not one of 1T1R, 2T2R");

  if (json_t* a = o.get("analytic")) {
    Obj ao(a, file, o.key_path("analytic"));
    rr_analytic def = rr_analytic_default_params();
    d.has_analytic = 1;
    d.analytic.i0_ua = ao.num("i0_ua", def.i0_ua, 1e-3, 1e5);
    d.analytic.lrs_median_kohm = ao.num("lrs_median_kohm", def.lrs_median_kohm, 1e-3, 1e6);
    d.analytic.lrs_slope = ao.num("lrs_slope", def.lrs_slope, -10, 10);
    d.analytic.lrs_sigma = ao.num("lrs_sigma", def.lrs_sigma, 1e-4, 10);
    d.analytic.lrs_sigma_slope = ao.num("lrs_sigma_slope", def.lrs_sigma_slope, -10, 10);
    d.analytic.hrs_median_kohm = ao.num("hrs_median_kohm", def.hrs_median_kohm, 1e-3, 1e9);
    d.analytic.hrs_sigma = ao.num("hrs_sigma", def.hrs_sigma, 1e-4, 10);
    d.analytic.ref_kohm = ao.num("ref_kohm", def.ref_kohm, 1e-3, 1e9);
    ao.finish();
  }

  json_t* pts = o.get("operating_points");
  if (!pts)
    o.fail("operating_points",
           "missing (a list of 1.." + std::to_string(RR_MAX_OP_POINTS) + " operating points)");
  if (!json_is_array(pts) || json_array_size(pts) == 0 || json_array_size(pts) > RR_MAX_OP_POINTS)
    o.fail("operating_points",
           "expected a list of 1.." + std::to_string(RR_MAX_OP_POINTS) + " operating points");
  d.n_points = json_array_size(pts);
  for (size_t i = 0; i < d.n_points; ++i) {
    Obj po(json_array_get(pts, i), file,
           o.key_path("operating_points") + "[" + std::to_string(i) + "]");
    read_op_point(po, d.points[i], d);
    for (size_t k = 0; k < i; ++k)
      if (!std::strcmp(d.points[k].name, d.points[i].name))
        po.fail("name", std::string("duplicate operating point name '") + d.points[i].name + "'");
  }

  d.stuck_density = 0.0;
  d.stuck_one_fraction = 0.5;
  if (json_t* s = o.get("stuck_at")) {
    Obj so(s, file, o.key_path("stuck_at"));
    d.stuck_density = so.num("density", 0.0, 0.0, 0.5);
    d.stuck_one_fraction = so.num("one_fraction", 0.5, 0.0, 1.0);
    so.finish();
  }
  d.endurance_median_writes = 0.0;
  d.endurance_sigma = 1.0;
  if (json_t* e = o.get("endurance")) {
    Obj eo(e, file, o.key_path("endurance"));
    d.endurance_median_writes = eo.num("median_writes", 0.0, 0.0, 1e18);
    if (d.endurance_median_writes > 0 && d.endurance_median_writes < 1)
      eo.fail("median_writes", "must be 0 (infinite endurance) or in [1, 1e18]");
    d.endurance_sigma = eo.num("sigma", 1.0, 1e-3, 10.0);
    eo.finish();
  }
  d.verify = RR_VERIFY_NONE;
  d.verify_max_iterations = 0;
  if (json_t* w = o.get("write_verify")) {
    Obj wo(w, file, o.key_path("write_verify"));
    std::string pol = wo.str("policy", "none");
    if (!rr_verify_policy_parse(pol.c_str(), &d.verify))
      wo.fail("policy", "'" + pol + "' is not one of none, iterative");
    d.verify_max_iterations =
        static_cast<int>(wo.uint("max_iterations", d.verify == RR_VERIFY_ITERATIVE ? 3 : 0, 0, 64));
    if (d.verify == RR_VERIFY_ITERATIVE && d.verify_max_iterations < 1)
      wo.fail("max_iterations", "must be in [1, 64] for the iterative policy");
    wo.finish();
  }
  o.finish();
  return d;
}

rr_device load_device_file(const std::string& path) {
  JsonPtr j = parse_file(path);
  return read_device(j.get(), path, "");
}

rr_device load_device_string(const std::string& json, const std::string& name) {
  JsonPtr j = parse_text(json, name);
  return read_device(j.get(), name, "");
}

}  // namespace rramsim
