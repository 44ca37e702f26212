// config_device.cpp — a device preset (configs/devices/*.json) read and validated: cell type,
// operating points, the analytic BER model, stuck-at, endurance, write-verify and the sources of
// its values.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "bnn/status.h"
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
  if (d.cost_model == RR_COST_ARRAY) {
    // Derived from the array cost model once the system's crossbar geometry is known.
    for (const char* k : {"e_set_pj", "e_reset_pj", "e_read_pj", "e_periph_read_pj",
                          "e_periph_write_pj", "t_read_ns", "t_write_ns"})
      if (o.has(k))
        o.fail(k,
               "derived by the array cost model (cost_model \"array\"); remove it, or use "
               "cost_model \"table\" for measured figures");
    o.finish();
    return;
  }
  p.e_set_pj = o.num("e_set_pj", 0.0, 0.0, 1e6, true);
  p.e_reset_pj = o.num("e_reset_pj", 0.0, 0.0, 1e6, true);
  p.e_read_pj = o.num("e_read_pj", 0.0, 0.0, 1e6, true);
  p.e_periph_read_pj = o.num("e_periph_read_pj", 0.0, 0.0, 1e9);
  p.e_periph_write_pj = o.num("e_periph_write_pj", 0.0, 0.0, 1e9);
  p.t_read_ns = o.num("t_read_ns", 0.0, 0.001, 1e9, true);
  p.t_write_ns = o.num("t_write_ns", 0.0, 0.001, 1e9, true);
  o.finish();
}

// The device file's "array" block (cost_model "array"): technology and cell electrics; the
// geometry comes from the system's organisation. Ranges are the array model's own
// (rr_array_params_validate), checked here on a one-row placeholder geometry.
void read_array(Obj& a, rr_device& d) {
  rr_array_params p = rr_array_default_params();
  p.node_nm = static_cast<int>(a.uint("node_nm", 22, 1, 1000));
  std::string rm = a.str("roadmap", "HP");
  if (!rr_roadmap_parse(rm.c_str(), &p.roadmap))
    a.fail("roadmap", "'" + rm + "' is not one of HP, LSTP");
  p.mux = static_cast<int>(a.uint("mux", 8, 1, 65536));
  p.cell_area_f2 = a.num("cell_area_f2", 12.0, 1.0, 1000.0);
  p.cell_aspect = a.num("cell_aspect", 1.0, 0.1, 10.0);
  p.access_width_f = a.num("access_width_f", 4.0, 1.0, 100.0);
  p.r_on_ohm = a.num("r_on_ohm", p.r_on_ohm, -1e300, 1e300);
  p.r_off_ohm = a.num("r_off_ohm", p.r_off_ohm, -1e300, 1e300);
  p.max_mux_width_f = a.num("max_mux_width_f", 100.0, 1.0, 1e4);
  a.finish();
  rr_array_params check = p;
  check.cell = d.cell == RR_CELL_2T2R ? RR_ARRAY_2T2R : RR_ARRAY_1T1R;
  check.rows = 1;
  check.cols = p.mux * rr_array_cells_per_bit(check.cell);
  if (rr_array_params_validate(&check) != BNN_OK) {
    // The model's message starts "array.<key>: ..."; prefix the file and the device's path.
    const std::string at = a.key_path("");  // "<path>.array."
    throw Error(a.file() + ": " + at.substr(0, at.size() - std::string("array.").size()) +
                bnn_errmsg());
  }
  d.array = p;
}

// Whether the key path segs[i..] names a value or block below `cur`: as in --set (operating
// points by name or index), and "*" for every element of a list (true if one of them has it).
bool names_a_key(const json_t* cur, const std::vector<std::string>& segs, size_t i) {
  if (i == segs.size()) return true;
  const std::string& seg = segs[i];
  if (seg.empty()) return false;
  if (json_is_object(cur)) {
    const json_t* next = json_object_get(cur, seg.c_str());
    return next && names_a_key(next, segs, i + 1);
  }
  if (!json_is_array(cur)) return false;
  if (seg == "*") {
    for (size_t k = 0; k < json_array_size(cur); ++k)
      if (names_a_key(json_array_get(cur, k), segs, i + 1)) return true;
    return false;
  }
  const size_t k = element_index(cur, seg);
  return k < json_array_size(cur) && names_a_key(json_array_get(cur, k), segs, i + 1);
}

// Where the file's numbers come from (configs/README.md "Sources"): "sources" maps a tag to the
// citation (or the reason a value is illustrative) it stands for, "provenance" maps a key path of
// this device to a tag. Checked (every path names a key of the file, every tag is a source) and
// then dropped: nothing of it reaches the simulation, the resolved config or its hash.
void read_provenance(Obj& o, const json_t* dev) {
  std::vector<std::string> tags;
  if (json_t* s = o.get("sources")) {
    Obj so(s, o.file(), o.key_path("sources"));
    const char* k;
    json_t* v;
    json_object_foreach(s, k, v) {
      (void)v;
      if (so.str(k, "").empty()) so.fail(k, "expected a non-empty string (a citation)");
      tags.emplace_back(k);
    }
  }
  json_t* p = o.get("provenance");
  if (!p) return;
  Obj po(p, o.file(), o.key_path("provenance"));
  std::string choices;
  for (const std::string& t : tags) choices += (choices.empty() ? "" : ", ") + t;
  if (choices.empty()) choices = "the tags of \"sources\" (none given)";
  const char* k;
  json_t* v;
  json_object_foreach(p, k, v) {
    (void)v;
    const std::string tag = po.str(k, "");
    const std::string key = k;
    const std::vector<std::string> segs = split_key_path(key);
    if (segs[0] == "sources" || segs[0] == "provenance" || !names_a_key(dev, segs, 0))
      po.fail(key,
              "unknown key (names no key of this device; operating points by name, index or *)");
    if (std::find(tags.begin(), tags.end(), tag) == tags.end())
      po.fail(key, "'" + tag + "' is not one of " + choices);
  }
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
  read_provenance(o, j);
  std::string cell = o.str("cell", "", true);
  if (!rr_cell_type_parse(cell.c_str(), &d.cell))
    o.fail("cell", "'" + cell + "' is not one of 1T1R, 2T2R");
  std::string cm = o.str("cost_model", "table");
  if (!rr_cost_model_parse(cm.c_str(), &d.cost_model))
    o.fail("cost_model", "'" + cm + "' is not one of table, array");
  if (json_t* a = o.get("array")) {
    if (d.cost_model != RR_COST_ARRAY) o.fail("array", "only with cost_model \"array\"");
    Obj ao(a, file, o.key_path("array"));
    read_array(ao, d);
  } else if (d.cost_model == RR_COST_ARRAY) {
    o.fail("array", "missing (cost_model \"array\" needs the technology and cell electrics)");
  }

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
