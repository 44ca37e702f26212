// config_organisation.cpp — the memory organisation (configs/organisations/*.json): geometry,
// timing, scheduler and the address mapping, read and validated.
#include <cmath>
#include <cstring>

#include "config_reader.hpp"

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

void default_mapping(Organisation& g) {
  const uint64_t sizes[] = {g.row_bytes(), g.channels, g.banks_per_channel, g.crossbars_per_bank,
                            g.rows};
  unsigned bit = 0;
  for (int f = 0; f < static_cast<int>(AddrField::Count); ++f) {
    g.mapping.bits[f].clear();
    for (unsigned k = 0; k < log2u(sizes[f]); ++k) g.mapping.bits[f].push_back(bit++);
  }
}

}  // namespace

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

}  // namespace rramsim
