// config_system.cpp — a system file (configs/systems/*.json): device and organisation by relative
// path or inline, operating point, seed and measured error map; selecting an operating point.
#include "bnn/status.h"
#include "config_reader.hpp"
#include "rramsim/controller.hpp"

namespace rramsim {

namespace {

json_t* resolve_sub(Obj& o, const std::string& key, const std::string& base_dir,
                    std::string& sub_file, std::string& sub_path, JsonPtr& holder) {
  json_t* v = o.get(key);
  if (!v) o.fail(key, "missing (a file path relative to this file, or an inline object)");
  if (json_is_string(v)) {
    sub_file = join_path(base_dir, json_string_value(v));
    holder = parse_file(sub_file);
    sub_path = "";
    return holder.get();
  }
  if (!json_is_object(v)) o.fail(key, "expected a file path or an inline object");
  sub_file = o.file();
  sub_path = o.key_path(key);
  return v;
}

// Array mode: the device's latencies and energies follow from the organisation's crossbar
// (rows × columns data bits, crossbars per bank) and the bits one access moves (a row chunk).
void apply_array_costs(Obj& o, SystemConfig& c) {
  if (c.device.cost_model != RR_COST_ARRAY) return;
  const uint64_t chunk_bits = AddressDecoder(c.org).chunk_bytes() * 8;
  const unsigned row_bits =
      static_cast<unsigned>(chunk_bits < c.org.columns ? chunk_bits : c.org.columns);
  if (rr_device_apply_array_costs(
          &c.device, static_cast<int>(c.org.rows), static_cast<int>(c.org.columns),
          static_cast<int>(c.org.crossbars_per_bank), static_cast<int>(row_bits)) != BNN_OK)
    o.fail("device", std::string(bnn_errmsg()) + " (crossbar of " + std::to_string(c.org.rows) +
                         " rows x " + std::to_string(c.org.columns) +
                         " columns from the organisation)");
}

SystemConfig read_system(json_t* j, const std::string& file, const std::string& base_dir) {
  Obj o(j, file, "");
  SystemConfig c;
  c.source = file;
  c.name = o.str("name", "system");
  o.str("description", "");
  c.seed = o.uint("seed", 1, 0, UINT64_MAX >> 1);
  std::string sf, sp;
  JsonPtr h1, h2;
  json_t* dj = resolve_sub(o, "device", base_dir, sf, sp, h1);
  c.device = read_device(dj, sf, sp);
  json_t* oj = resolve_sub(o, "organisation", base_dir, sf, sp, h2);
  c.org = read_org(oj, sf, sp);
  apply_array_costs(o, c);
  std::string op = o.str("op_point", c.device.points[0].name);
  if (json_t* em = o.get("error_map")) {
    if (!json_is_string(em)) o.fail("error_map", "expected a file path (relative to this file)");
    try {
      c.error_map = load_error_map(join_path(base_dir, json_string_value(em)), c.org);
    } catch (const ConfigError& e) {
      o.fail("error_map", e.what());
    }
  }
  select_op_point(c, op, file + ": op_point");
  o.finish();
  return c;
}

}  // namespace

SystemConfig read_system_tree(json_t* j, const std::string& file, const std::string& base_dir) {
  return read_system(j, file, base_dir);
}

SystemConfig load_system_file(const std::string& path) {
  JsonPtr j = parse_file(path);
  return read_system(j.get(), path, dir_of(path));
}

SystemConfig load_system_string(const std::string& json, const std::string& name,
                                const std::string& base_dir) {
  JsonPtr j = parse_text(json, name);
  return read_system(j.get(), name, base_dir);
}

void select_op_point(SystemConfig& cfg, const std::string& name, const std::string& what) {
  int i = rr_device_find_point(&cfg.device, name.c_str());
  if (i < 0) {
    std::string names;
    for (size_t k = 0; k < cfg.device.n_points; ++k)
      names += (k ? ", " : "") + std::string(cfg.device.points[k].name);
    throw Error(what + ": '" + name + "' is not an operating point of device '" + cfg.device.name +
                "' (one of " + names + ")");
  }
  cfg.op_index = i;
}

}  // namespace rramsim
