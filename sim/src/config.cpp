// config.cpp — JSON config loading (jansson): parse, apply named defaults, validate, serialise.
#include "rramsim/config.hpp"

#include <jansson.h>

#include "bnn/status.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <set>
#include <sstream>

namespace rramsim {

const char* scheduler_name(Scheduler s) {
  return s == Scheduler::Fcfs ? "fcfs" : "read_first";
}

const char* addr_field_name(AddrField f) {
  static const char* const names[] = {"column", "channel", "bank", "crossbar", "row"};
  static_assert(sizeof names / sizeof names[0] == static_cast<size_t>(AddrField::Count),
                "address field name table");
  return names[static_cast<int>(f)];
}

namespace {

struct JsonDeleter {
  void operator()(json_t* j) const { json_decref(j); }
};
using JsonPtr = std::unique_ptr<json_t, JsonDeleter>;

std::string fmt_num(double v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.12g", v);
  return b;
}

std::string dir_of(const std::string& path) {
  auto p = path.find_last_of('/');
  return p == std::string::npos ? std::string(".") : path.substr(0, p);
}

std::string join_path(const std::string& dir, const std::string& rel) {
  if (!rel.empty() && rel[0] == '/') return rel;
  if (dir.empty() || dir == ".") return rel;
  return dir + "/" + rel;
}

// jansson allocates through libbnn's allocator hook, like all C heap memory of the project, and
// every failure is counted: jansson's lexer silently drops a character when its token buffer cannot
// grow (jansson 2.14), so a parse is only trusted if no allocation failed during it.
thread_local unsigned long t_json_failures = 0;
void* json_alloc(size_t n) {
  void* p = bnn_malloc(n);
  if (!p) ++t_json_failures;
  return p;
}
void json_dealloc(void* p) {
  bnn_free(p);
}
void use_bnn_for_json() {
  static std::once_flag once;
  std::call_once(once, [] { json_set_alloc_funcs(json_alloc, json_dealloc); });
}

JsonPtr parse_text(const std::string& text, const std::string& name) {
  use_bnn_for_json();
  json_error_t err;
  const unsigned long failures = t_json_failures;
  json_t* j = json_loadb(text.data(), text.size(), JSON_REJECT_DUPLICATES, &err);
  if (t_json_failures != failures) {
    json_decref(j);
    throw ConfigError(name + ": out of memory while parsing the JSON");
  }
  if (!j)
    throw ConfigError(name + ":" + std::to_string(err.line) + ":" + std::to_string(err.column) +
                      ": JSON syntax error: " + err.text);
  return JsonPtr(j);
}

JsonPtr parse_file(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw ConfigError(path + ": cannot open: " + std::strerror(errno));
  std::string text;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  bool bad = std::ferror(f) != 0;
  std::fclose(f);
  if (bad) throw ConfigError(path + ": read error");
  return parse_text(text, path);
}

// A JSON object being read: tracks the file, the key path and which keys were consumed, so
// unknown keys can be reported once all known ones are read.
class Obj {
 public:
  Obj(json_t* j, std::string file, std::string path)
      : j_(j), file_(std::move(file)), path_(std::move(path)) {
    if (!json_is_object(j_)) fail_here("expected a JSON object");
  }

  [[noreturn]] void fail(const std::string& key, const std::string& msg) const {
    throw ConfigError(file_ + ": " + key_path(key) + ": " + msg);
  }
  [[noreturn]] void fail_here(const std::string& msg) const {
    throw ConfigError(file_ + ": " + (path_.empty() ? std::string("(top level)") : path_) + ": " +
                      msg);
  }
  std::string key_path(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
  }
  const std::string& file() const { return file_; }

  json_t* get(const std::string& key) {
    used_.insert(key);
    return json_object_get(j_, key.c_str());
  }
  bool has(const std::string& key) const { return json_object_get(j_, key.c_str()) != nullptr; }

  double num(const std::string& key, double def, double lo, double hi, bool required = false) {
    json_t* v = get(key);
    if (!v) {
      if (required) fail(key, "missing (a number in [" + fmt_num(lo) + ", " + fmt_num(hi) + "])");
      return def;
    }
    if (!json_is_number(v))
      fail(key, "expected a number in [" + fmt_num(lo) + ", " + fmt_num(hi) + "]");
    double x = json_number_value(v);
    if (!(x >= lo && x <= hi))
      fail(key, fmt_num(x) + " is outside [" + fmt_num(lo) + ", " + fmt_num(hi) + "]");
    return x;
  }

  uint64_t uint(const std::string& key, uint64_t def, uint64_t lo, uint64_t hi,
                bool required = false) {
    json_t* v = get(key);
    const std::string range =
        "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
    if (!v) {
      if (required) fail(key, "missing (" + range + ")");
      return def;
    }
    if (!json_is_integer(v)) fail(key, "expected " + range);
    json_int_t x = json_integer_value(v);
    if (x < 0 || static_cast<uint64_t>(x) < lo || static_cast<uint64_t>(x) > hi)
      fail(key, std::to_string(x) + " is outside [" + std::to_string(lo) + ", " +
                    std::to_string(hi) + "]");
    return static_cast<uint64_t>(x);
  }

  std::string str(const std::string& key, const std::string& def, bool required = false) {
    json_t* v = get(key);
    if (!v) {
      if (required) fail(key, "missing (a string)");
      return def;
    }
    if (!json_is_string(v)) fail(key, "expected a string");
    return json_string_value(v);
  }

  // Reports the first key that no reader consumed.
  void finish() const {
    const char* k;
    json_t* v;
    json_object_foreach(j_, k, v) {
      (void)v;
      if (!used_.count(k)) fail(k, "unknown key");
    }
  }

 private:
  json_t* j_;
  std::string file_, path_;
  std::set<std::string> used_;
};

bool is_pow2(uint64_t x) {
  return x && !(x & (x - 1));
}
unsigned log2u(uint64_t x) {
  unsigned n = 0;
  while (x > 1) {
    x >>= 1;
    ++n;
  }
  return n;
}

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

void default_mapping(Organisation& g) {
  const uint64_t sizes[] = {g.row_bytes(), g.channels, g.banks_per_channel, g.crossbars_per_bank,
                            g.rows};
  unsigned bit = 0;
  for (int f = 0; f < static_cast<int>(AddrField::Count); ++f) {
    g.mapping.bits[f].clear();
    for (unsigned k = 0; k < log2u(sizes[f]); ++k) g.mapping.bits[f].push_back(bit++);
  }
}

Organisation read_org(json_t* j, const std::string& file, const std::string& path) {
  Obj o(j, file, path);
  Organisation g;
  o.str("description", "");
  g.channels = static_cast<unsigned>(o.uint("channels", g.channels, 1, 64));
  g.banks_per_channel =
      static_cast<unsigned>(o.uint("banks_per_channel", g.banks_per_channel, 1, 1024));
  g.crossbars_per_bank =
      static_cast<unsigned>(o.uint("crossbars_per_bank", g.crossbars_per_bank, 1, 4096));
  g.rows = static_cast<unsigned>(o.uint("rows", g.rows, 1, 1u << 20));
  g.columns = static_cast<unsigned>(o.uint("columns", g.columns, 8, 1u << 16));
  const std::pair<const char*, uint64_t> p2[] = {{"channels", g.channels},
                                                 {"banks_per_channel", g.banks_per_channel},
                                                 {"crossbars_per_bank", g.crossbars_per_bank},
                                                 {"rows", g.rows},
                                                 {"columns", g.columns}};
  for (auto& kv : p2)
    if (!is_pow2(kv.second)) o.fail(kv.first, std::to_string(kv.second) + " is not a power of two");
  g.bus_width_bits = static_cast<unsigned>(o.uint("bus_width_bits", g.bus_width_bits, 8, 4096));
  if (!is_pow2(g.bus_width_bits))
    o.fail("bus_width_bits",
           std::to_string(g.bus_width_bits) + " is not a power of two in [8, 4096]");
  g.bus_clock_mhz = o.num("bus_clock_mhz", g.bus_clock_mhz, 1.0, 100000.0);
  g.controller_latency_cycles = static_cast<unsigned>(
      o.uint("controller_latency_cycles", g.controller_latency_cycles, 0, 100000));
  g.queue_depth = static_cast<unsigned>(o.uint("queue_depth", g.queue_depth, 1, 4096));
  g.static_power_mw = o.num("static_power_mw", g.static_power_mw, 0.0, 1e6);
  if (json_t* s = o.get("scheduler")) {
    Obj so(s, file, o.key_path("scheduler"));
    std::string pol = so.str("policy", "fcfs");
    if (pol == "fcfs")
      g.scheduler = Scheduler::Fcfs;
    else if (pol == "read_first")
      g.scheduler = Scheduler::ReadFirst;
    else
      so.fail("policy", "'" + pol + "' is not one of fcfs, read_first");
    unsigned hi_def = std::max(2u, g.queue_depth * 3 / 4), lo_def = std::max(1u, g.queue_depth / 4);
    if (lo_def >= hi_def) lo_def = hi_def - 1;
    g.write_high_watermark =
        static_cast<unsigned>(so.uint("write_high_watermark", hi_def, 2, g.queue_depth));
    g.write_low_watermark = static_cast<unsigned>(
        so.uint("write_low_watermark", std::min(lo_def, g.write_high_watermark - 1), 0,
                g.write_high_watermark - 1));
    so.finish();
  } else {
    g.write_high_watermark = std::max(2u, g.queue_depth * 3 / 4);
    g.write_low_watermark = std::min(std::max(1u, g.queue_depth / 4), g.write_high_watermark - 1);
  }
  if (g.scheduler == Scheduler::ReadFirst && g.queue_depth < 2)
    o.fail("queue_depth", "must be >= 2 for the read_first scheduler");

  const uint64_t capacity = g.capacity_bytes();
  if (capacity > (uint64_t{1} << 46)) o.fail_here("capacity above 64 TiB");
  default_mapping(g);
  if (json_t* m = o.get("address_mapping")) {
    Obj mo(m, file, o.key_path("address_mapping"));
    const uint64_t sizes[] = {g.row_bytes(), g.channels, g.banks_per_channel, g.crossbars_per_bank,
                              g.rows};
    const unsigned total = log2u(capacity);
    std::vector<int> owner(total, -1);
    for (int f = 0; f < static_cast<int>(AddrField::Count); ++f) {
      const char* fname = addr_field_name(static_cast<AddrField>(f));
      json_t* arr = mo.get(fname);
      const unsigned need = log2u(sizes[f]);
      if (!arr) {
        if (need) mo.fail(fname, "missing (a list of " + std::to_string(need) + " address bits)");
        g.mapping.bits[f].clear();
        continue;
      }
      if (!json_is_array(arr) || json_array_size(arr) != need)
        mo.fail(fname, "expected a list of " + std::to_string(need) + " address bits (log2 of " +
                           std::to_string(sizes[f]) + ")");
      g.mapping.bits[f].clear();
      for (size_t i = 0; i < need; ++i) {
        json_t* b = json_array_get(arr, i);
        std::string kp = std::string(fname) + "[" + std::to_string(i) + "]";
        if (!json_is_integer(b) || json_integer_value(b) < 0 ||
            json_integer_value(b) >= static_cast<json_int_t>(total))
          mo.fail(kp, "expected an address bit in [0, " + std::to_string(total - 1) + "]");
        unsigned bit = static_cast<unsigned>(json_integer_value(b));
        if (owner[bit] >= 0)
          mo.fail(kp, "bit " + std::to_string(bit) + " already used by " +
                          addr_field_name(static_cast<AddrField>(owner[bit])));
        owner[bit] = f;
        g.mapping.bits[f].push_back(bit);
      }
    }
    mo.finish();
  }
  o.finish();
  return g;
}

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
  std::string op = o.str("op_point", c.device.points[0].name);
  if (json_t* em = o.get("error_map")) {
    if (!json_is_string(em)) o.fail("error_map", "expected a file path (relative to this file)");
    try {
      c.error_map = load_error_map(join_path(base_dir, json_string_value(em)), c.org);
    } catch (const ConfigError& e) {
      o.fail("error_map", e.what());
    }
  }
  c.op_index = rr_device_find_point(&c.device, op.c_str());
  if (c.op_index < 0) {
    std::string names;
    for (size_t i = 0; i < c.device.n_points; ++i)
      names += (i ? ", " : "") + std::string(c.device.points[i].name);
    o.fail("op_point", "'" + op + "' is not an operating point of device '" + c.device.name +
                           "' (one of " + names + ")");
  }
  o.finish();
  return c;
}

json_t* jreal(double v) {
  return json_real(v);
}

}  // namespace

rr_device load_device_file(const std::string& path) {
  JsonPtr j = parse_file(path);
  return read_device(j.get(), path, "");
}

rr_device load_device_string(const std::string& json, const std::string& name) {
  JsonPtr j = parse_text(json, name);
  return read_device(j.get(), name, "");
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

void select_op_point(SystemConfig& cfg, const std::string& name) {
  int i = rr_device_find_point(&cfg.device, name.c_str());
  if (i < 0) {
    std::string names;
    for (size_t k = 0; k < cfg.device.n_points; ++k)
      names += (k ? ", " : "") + std::string(cfg.device.points[k].name);
    throw ConfigError("--op-point: '" + name + "' is not an operating point of device '" +
                      cfg.device.name + "' (one of " + names + ")");
  }
  cfg.op_index = i;
}

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
  const unsigned long failures = t_json_failures;  // json_dumps, too, may go on after a failure
  std::unique_ptr<char, json_free_t> s(
      json_dumps(root.get(), JSON_INDENT(indent) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12)),
      jfree);
  if (!s || t_json_failures != failures) throw std::bad_alloc();
  return std::string(s.get());
}

std::string config_hash(const SystemConfig& cfg) {
  SystemConfig c = cfg;
  c.source.clear();
  c.name.clear();
  c.seed = 0;
  std::string text = config_to_json(c, 0);
  if (c.error_map) {
    // The map's path is where it lives, not what it says: hash its contents only.
    auto m = std::make_shared<ErrorMap>(*c.error_map);
    m->path.clear();
    c.error_map = m;
    text = config_to_json(c, 0);
  }
  uint64_t h = 1469598103934665603ull;  // FNV-1a 64 offset basis
  for (unsigned char x : text) h = (h ^ x) * 1099511628211ull;
  char b[32];
  std::snprintf(b, sizeof b, "fnv1a64:%016llx", static_cast<unsigned long long>(h));
  return b;
}

}  // namespace rramsim
