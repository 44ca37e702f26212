// sim_cli.cpp — options and setup shared by `rramsim sim` and `rramsim replay`.
#include "sim_cli.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "output.h"
#include "cli.h"
#include "rramsim/point.hpp"
#include "rrtrace/trace.h"

namespace rrsimcli {

namespace {

// Takes `a` (as cli_parse_options hands it over) if it is one of the shared options:
// CLI_OPT_UNKNOWN when it is not one of them, CLI_OPT_BAD after printing the usage error.
cli_opt_result memory_option(const char* cmd, const char* a, const char* val, MemoryOptions* o) {
  std::string* dst = nullptr;
  if (!a) return CLI_OPT_UNKNOWN;
  if (!std::strcmp(a, "--set")) {
    o->sets.push_back(val);
    return CLI_OPT_TAKEN;
  }
  if (!std::strcmp(a, "--nb")) {
    o->nb = true;
    return CLI_OPT_TAKEN;
  }
  if (!std::strcmp(a, "--quiet")) {
    o->quiet = true;
    return CLI_OPT_TAKEN;
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
    return CLI_OPT_UNKNOWN;
  if (dst) {
    *dst = val;
    return CLI_OPT_TAKEN;
  }
  if (!cli_parse_u64(cmd, a, val, 0, UINT64_MAX >> 1, &o->seed)) return CLI_OPT_BAD;
  o->have_seed = true;
  return CLI_OPT_TAKEN;
}

}  // namespace

bool parse_options(const char* cmd, int argc, char** argv, std::initializer_list<const char*> flags,
                   std::initializer_list<const char*> valued, const OptionHandler& own,
                   void (*usage)(FILE* f), MemoryOptions* o, int* exit_code) {
  std::vector<cli_option> opts;
  for (const char* name : flags) opts.push_back({name, 0, nullptr, nullptr});
  for (const char* name : valued) opts.push_back({name, 1, nullptr, nullptr});
  for (const char* name : {"system", "set", "op-point", "seed", "error-map", "stats",
                           "record-accesses", "record-faults"})
    opts.push_back({name, 1, nullptr, nullptr});
  opts.push_back({"nb", 0, nullptr, nullptr});
  opts.push_back({"quiet", 0, nullptr, nullptr});
  opts.push_back({"no-progress", 0, nullptr, "quiet"});
  opts.push_back({nullptr, 0, nullptr, nullptr});
  auto handler = [&](const char* a, const char* val) -> cli_opt_result {
    const cli_opt_result r = memory_option(cmd, a, val, o);
    if (r != CLI_OPT_UNKNOWN || !a) return r;  // no positional arguments
    return own(a, val);
  };
  return cli_parse_options_with(cmd, argc, argv, 1, opts.data(), handler, usage, exit_code);
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

// Parses "all" or a comma list of weight-layer indices into a mask; false on bad input.
static bool parse_layer_mask(const char* s, uint64_t* mask) {
  if (!std::strcmp(s, "all")) {
    *mask = ~uint64_t{0};
    return true;
  }
  uint64_t m = 0;
  const char* p = s;
  while (*p) {
    char* end = nullptr;
    errno = 0;
    unsigned long v = std::strtoul(p, &end, 10);
    if (end == p || errno || v > 63) return false;
    m |= uint64_t{1} << v;
    p = end;
    if (*p == ',')
      ++p;
    else if (*p)
      return false;
  }
  *mask = m;
  return true;
}

cli_opt_result point_option(const char* cmd, const char* opt, const char* val, uint32_t* images,
                            uint32_t* weight_reuse, int* threads, uint64_t* rram_layer_mask) {
  if (!opt) return CLI_OPT_UNKNOWN;
  uint64_t v = 0;
  bool ok = true;
  if (!std::strcmp(opt, "--limit")) {
    ok = cli_parse_u64(cmd, opt, val, 1, UINT32_MAX, &v);
    *images = static_cast<uint32_t>(v);
  } else if (!std::strcmp(opt, "--weight-reuse")) {
    ok = cli_parse_u64(cmd, opt, val, 1, 65536, &v);
    *weight_reuse = static_cast<uint32_t>(v);
  } else if (!std::strcmp(opt, "--threads")) {
    ok = cli_parse_int(cmd, opt, val, 1, 64, threads);
  } else if (!std::strcmp(opt, "--rram-layers")) {
    if (!parse_layer_mask(val, rram_layer_mask))
      return cli_usage_error(cmd, "--rram-layers: expected 'all' or a list like 0,2, got '%s'",
                             val),
             CLI_OPT_BAD;
  } else {
    return CLI_OPT_UNKNOWN;
  }
  return ok ? CLI_OPT_TAKEN : CLI_OPT_BAD;
}

bool claim_memory_files(const char* cmd, const MemoryOptions& o) {
  return cli_input_note(cmd, "--system", o.system.c_str()) &&
         cli_input_note(cmd, "--error-map", o.error_map.c_str()) &&
         cli_output_claim(cmd, "--stats", o.stats_path.c_str()) &&
         cli_output_claim(cmd, "--record-accesses", o.rec_acc.c_str()) &&
         cli_output_claim(cmd, "--record-faults", o.rec_flt.c_str()) &&
         (o.rec_flt.empty() ||  // the fault trace's provenance (traces/README.md "CSV sidecar")
          cli_output_claim(cmd, "--record-faults", (o.rec_flt + RRT_SIDECAR_SUFFIX).c_str()));
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

rramsim::RunInfo run_info(const char* cmd, const MemoryOptions& o, std::string traffic,
                          double wall_seconds, uint64_t requests) {
  rramsim::RunInfo info;
  info.tool = std::string("rramsim ") + cmd;
  info.tool_version = cli_version();
  info.traffic = std::move(traffic);
  info.path = o.nb ? "nb_transport" : "b_transport";
  info.wall_seconds = wall_seconds;
  info.requests = requests;
  return info;
}

void print_summary(const rramsim::SystemConfig& cfg, const rramsim::Stats& stats,
                   const rramsim::RunInfo& info, uint64_t failed,
                   std::initializer_list<RunCount> notes) {
  std::fputs(rramsim::stats_summary(cfg, stats, info).c_str(), stdout);
  for (const RunCount& c : notes)
    if (c.n) std::printf("%llu %s\n", static_cast<unsigned long long>(c.n), c.what);
  if (failed)
    std::printf("%llu requests answered with an error status\n",
                static_cast<unsigned long long>(failed));
}

int write_stats(const char* cmd, const MemoryOptions& o, const rramsim::SystemConfig& cfg,
                const rramsim::Stats& stats, const rramsim::RunInfo& info) {
  if (o.stats_path.empty()) return CLI_EXIT_OK;
  try {
    rramsim::write_file_atomic(o.stats_path, rramsim::stats_to_json(cfg, stats, info));
  } catch (const std::exception& e) {
    return cli_error(cmd, "%s", e.what());
  }
  std::printf("stats written to %s\n", o.stats_path.c_str());
  return CLI_EXIT_OK;
}

bool Recorders::open(const char* cmd, const MemoryOptions& o, const rramsim::SystemConfig& cfg,
                     rramsim::RecordParams rp) {
  rp.tool = std::string("rramsim ") + cli_version();
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
