// sim_cli.cpp — options and setup shared by `rramsim sim` and `rramsim replay`.
#include "sim_cli.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cli.h"
#include "rramsim/point.hpp"

namespace rrsimcli {

std::vector<cli_option> with_memory_options(std::vector<cli_option> own) {
  for (const char* name : {"system", "set", "op-point", "seed", "error-map", "stats",
                           "record-accesses", "record-faults"})
    own.push_back({name, 1, nullptr, nullptr});
  own.push_back({nullptr, 0, nullptr, nullptr});
  return own;
}

Parsed memory_option(const char* cmd, const char* a, const char* val, MemoryOptions* o) {
  std::string* dst = nullptr;
  if (!a) return Parsed::No;
  if (!std::strcmp(a, "--set")) {
    o->sets.push_back(val);
    return Parsed::Yes;
  }
  if (!std::strcmp(a, "--system"))
    dst = &o->system;
  else if (!std::strcmp(a, "--op-point"))
    dst = &o->op_point;
  else if (!std::strcmp(a, "--error-map"))
    dst = &o->error_map;
  else if (!std::strcmp(a, "--stats"))
    dst = &o->stats_path;
  else if (!std::strcmp(a, "--record-accesses"))
    dst = &o->rec_acc;
  else if (!std::strcmp(a, "--record-faults"))
    dst = &o->rec_flt;
  else if (std::strcmp(a, "--seed") != 0)
    return Parsed::No;
  if (dst) {
    *dst = val;
    return Parsed::Yes;
  }
  if (!cli_parse_u64(cmd, a, val, 0, UINT64_MAX >> 1, &o->seed)) return Parsed::Error;
  o->have_seed = true;
  return Parsed::Yes;
}

bool load_memory_config(const char* cmd, const MemoryOptions& o, rramsim::SystemConfig* cfg) {
  try {
    *cfg = rramsim::load_system(o.system, o.op_point, false, 0, o.sets);
    if (!o.error_map.empty()) cfg->error_map = rramsim::load_error_map(o.error_map, cfg->org);
  } catch (const rramsim::ConfigError& e) {
    cli_error(cmd, "%s", e.what());
    return false;
  }
  if (o.have_seed) cfg->seed = o.seed;
  return true;
}

bool probe_writable(const char* cmd, const std::string& path, const char* opt) {
  std::string probe = path + ".probe";
  FILE* f = std::fopen(probe.c_str(), "wb");
  if (!f) {
    cli_error(cmd, "%s: cannot create files next to %s: %s", opt, path.c_str(),
              std::strerror(errno));
    return false;
  }
  std::fclose(f);
  std::remove(probe.c_str());
  return true;
}

bool Recorders::open(const char* cmd, const MemoryOptions& o, const rramsim::SystemConfig& cfg,
                     const rramsim::RecordParams& rp) {
  if (!o.rec_acc.empty()) {
    try {
      acc.open(o.rec_acc, cfg, rp);
    } catch (const std::exception& e) {
      cli_error(cmd, "--record-accesses: %s", e.what());
      return false;
    }
    acc_obs = acc.observer();
  }
  if (!o.rec_flt.empty()) {
    try {
      flt.open(o.rec_flt, cfg, rp);
    } catch (const std::exception& e) {
      cli_error(cmd, "--record-faults: %s", e.what());
      return false;
    }
    flt_obs = flt.observer();
  }
  return true;
}

bool Recorders::close(const char* cmd, const MemoryOptions& o) {
  if (!o.rec_acc.empty()) {
    try {
      acc.close();
    } catch (const std::exception& e) {
      cli_error(cmd, "--record-accesses: %s", e.what());
      return false;
    }
  }
  if (!o.rec_flt.empty()) {
    try {
      flt.close();
    } catch (const std::exception& e) {
      cli_error(cmd, "--record-faults: %s", e.what());
      return false;
    }
  }
  return true;
}

}  // namespace rrsimcli
