// sim_test_util.hpp — small configs for hand-computed tests of the memory system.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "bnn/rng.h"
#include "rramsim/config.hpp"

namespace simtest {

// A device JSON with one operating point; `extra_op` and `extra_dev` splice in more keys.
inline std::string device_json(const std::string& extra_op = "",
                               const std::string& extra_dev = "") {
  return R"({ "name": "t", "cell": "2T2R", "operating_points": [ { "name": "op",
      "e_set_pj": 2.0, "e_reset_pj": 1.0, "e_read_pj": 0.25, "e_periph_read_pj": 4.0,
      "e_periph_write_pj": 8.0, "t_read_ns": 10, "t_write_ns": 50 )" +
         extra_op + " } ]" + extra_dev + " }";
}

// 1 channel, 2 banks, 16 rows of 64 B: capacity 2 KiB. t_ck = 1 ns, t_ctrl = 2 ns,
// t_bus(64 B) = 8 ns. `set` overrides default keys; `extra` appends more keys.
using Kv = std::vector<std::pair<std::string, std::string>>;
inline std::string org_json(const std::string& extra = "", const Kv& set = {}) {
  Kv kv = {{"channels", "1"},           {"banks_per_channel", "2"},
           {"crossbars_per_bank", "1"}, {"rows", "16"},
           {"columns", "512"},          {"bus_width_bits", "64"},
           {"bus_clock_mhz", "1000"},   {"controller_latency_cycles", "2"},
           {"queue_depth", "2"}};
  for (const auto& o : set) {
    bool found = false;
    for (auto& d : kv)
      if (d.first == o.first) d.second = o.second, found = true;
    if (!found) kv.push_back(o);
  }
  std::string s = "{";
  for (size_t i = 0; i < kv.size(); ++i)
    s += (i ? ", \"" : " \"") + kv[i].first + "\": " + kv[i].second;
  return s + extra + " }";
}

inline rramsim::SystemConfig make_config(const std::string& extra_op = "",
                                         const std::string& extra_dev = "",
                                         const std::string& extra_org = "", uint64_t seed = 7,
                                         const Kv& set_org = {}) {
  std::string sys = "{ \"seed\": " + std::to_string(seed) +
                    ", \"device\": " + device_json(extra_op, extra_dev) +
                    ", \"organisation\": " + org_json(extra_org, set_org) + " }";
  return rramsim::load_system_string(sys, "test.json", ".");
}

// n bytes drawn from the counter-based RNG: (seed, stream) picks the sequence.
inline std::vector<uint8_t> random_bytes(size_t n, uint64_t seed, uint64_t stream) {
  std::vector<uint8_t> v(n);
  bnn_rng r = bnn_rng_make(seed, stream);
  for (auto& b : v) b = static_cast<uint8_t>(bnn_rng_u64(&r));
  return v;
}

}  // namespace simtest
