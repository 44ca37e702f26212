// cmd_sim.cpp — `rramsim sim`: runs synthetic traffic through the SystemC RRAM memory system.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli.h"
#include "commands.h"
#include "rramsim/config.hpp"
#include "rramsim/recording.hpp"
#include "rramsim/traffic.hpp"
#include "sim_cli.hpp"

namespace {

const char* const kCmd = "sim";

void usage(FILE* f) {
  std::fprintf(
      f,
      "usage: rramsim sim --system FILE [options]\n\n"
      "Runs synthetic traffic through the simulated RRAM memory system and prints a summary.\n\n"
      "  --system FILE         system config (configs/systems/*.json)            (required)\n"
      "  --set PATH=VALUE      override a system key by JSON path (repeatable), e.g.\n"
      "                        organisation.queue_depth=8 (configs/README.md)\n"
      "  --op-point NAME       operating point of the device (default: the file's op_point)\n"
      "  --traffic PATTERN     random | sequential | strided                    (default random)\n"
      "  --requests N          number of requests                               (default 100000)\n"
      "  --read-ratio R        fraction of reads in [0, 1]                      (default 1)\n"
      "  --size B              bytes per request, 1..1048576                    (default 64)\n"
      "  --stride B            address step of the strided pattern              (default 4096)\n"
      "  --outstanding K       requests in flight (closed loop), 1..1024        (default 1)\n"
      "  --interval NS         minimum time between request issues, ns          (default 0)\n"
      "  --seed S              seed for cell errors and traffic (default: the file's seed)\n"
      "  --nb                  use nb_transport (approximately timed) instead of b_transport\n"
      "  --stats FILE          write stats JSON (resolved config, seed, version, units) to FILE\n"
      "  --quiet               no progress bar (--no-progress: deprecated spelling)\n"
      "  --error-map FILE      measured error map CSV applied to the cells (traces/README.md)\n"
      "  --record-accesses F   record every access as it reaches the memory: .stl, .rstl, .rrt,\n"
      "                        optionally + .gz (header: version, config hash, seed, clock)\n"
      "  --record-faults F     record every injected fault as a fault-trace CSV (.csv[.gz])\n"
      "  --record-clock PS     trace cycle period in ps for --record-accesses  (default 1: "
      "exact)\n");
}

}  // namespace

extern "C" int cli_cmd_sim(int argc, char** argv) {
  rrsimcli::MemoryOptions mo;
  std::string traffic = "random";
  rramsim::RecordParams recp;
  rramsim::TrafficParams tp;
  uint64_t v = 0;
  double d = 0;
  auto option = [&](const char* a, const char* val) -> cli_opt_result {
    bool ok = true;
    if (!std::strcmp(a, "--traffic"))
      traffic = val;
    else if (!std::strcmp(a, "--record-clock"))
      ok = cli_parse_u64(kCmd, a, val, 1, UINT64_C(1) << 40, &recp.clock_ps);
    else if (!std::strcmp(a, "--requests"))
      ok = cli_parse_u64(kCmd, a, val, 1, UINT64_C(1) << 40, &tp.requests);
    else if (!std::strcmp(a, "--read-ratio"))
      ok = cli_parse_double(kCmd, a, val, 0.0, 1.0, &tp.read_ratio);
    else if (!std::strcmp(a, "--size")) {
      ok = cli_parse_u64(kCmd, a, val, 1, 1u << 20, &v);
      tp.size = static_cast<uint32_t>(v);
    } else if (!std::strcmp(a, "--stride"))
      ok = cli_parse_u64(kCmd, a, val, 1, UINT64_C(1) << 46, &tp.stride);
    else if (!std::strcmp(a, "--outstanding")) {
      ok = cli_parse_u64(kCmd, a, val, 1, 1024, &v);
      tp.outstanding = static_cast<unsigned>(v);
    } else if (!std::strcmp(a, "--interval")) {
      ok = cli_parse_double(kCmd, a, val, 0.0, 1e9, &d);
      tp.interval_ns = d;
    } else
      return CLI_OPT_UNKNOWN;
    return ok ? CLI_OPT_TAKEN : CLI_OPT_BAD;
  };
  int rc = CLI_EXIT_OK;
  if (!rrsimcli::parse_options(kCmd, argc, argv, {},
                               {"traffic", "requests", "read-ratio", "size", "stride",
                                "outstanding", "interval", "record-clock"},
                               option, usage, &mo, &rc))
    return rc;
  if (mo.system.empty()) return cli_usage_error(kCmd, "--system FILE is required");
  if (!rrsimcli::claim_memory_files(kCmd, mo)) return CLI_EXIT_FAIL;
  if (!rramsim::parse_pattern(traffic, &tp.pattern))
    return cli_usage_error(kCmd, "--traffic: expected random, sequential or strided, got '%s'",
                           traffic.c_str());
  rramsim::SystemConfig cfg;
  if (!rrsimcli::load_memory_config(kCmd, mo, &cfg)) return CLI_EXIT_FAIL;
  tp.seed = cfg.seed;
  tp.nb = mo.nb;
  if (tp.size > cfg.org.capacity_bytes())
    return cli_usage_error(kCmd, "--size: %u B exceeds the memory capacity of %llu B", tp.size,
                           static_cast<unsigned long long>(cfg.org.capacity_bytes()));
  // Fail before a long run, not after it.
  if (!mo.stats_path.empty() && !rrsimcli::probe_writable(kCmd, mo.stats_path, "--stats"))
    return CLI_EXIT_FAIL;
  // Recorders hang off the memory's observers only when asked for (nothing on the data path
  // otherwise); their files appear complete at the end or not at all.
  rrsimcli::Recorders rec;
  if (!rec.open(kCmd, mo, cfg, recp)) return CLI_EXIT_FAIL;
  cli_progress prog;
  cli_progress_start(&prog, "sim", tp.requests, !mo.quiet && tp.requests >= 1000000);
  if (prog.enabled) {
    tp.progress_every = tp.requests / 200 + 1;
    tp.progress = [&prog](uint64_t done) { cli_progress_update(&prog, done, "req", nullptr); };
  }
  rramsim::RunOutput out = rramsim::run_traffic(cfg, tp, rec.acc_obs, rec.flt_obs);
  if (prog.enabled) cli_progress_finish(&prog, "req", nullptr);
  if (!rec.close(kCmd, mo)) return CLI_EXIT_FAIL;
  if (!mo.rec_acc.empty())
    std::printf("%llu accesses recorded to %s\n",
                static_cast<unsigned long long>(rec.acc.records()), mo.rec_acc.c_str());
  if (!mo.rec_flt.empty())
    std::printf("%llu faults recorded to %s\n", static_cast<unsigned long long>(rec.flt.records()),
                mo.rec_flt.c_str());

  char desc[160];
  std::snprintf(desc, sizeof desc, "%s, %u B requests, read ratio %g, %u outstanding",
                rramsim::pattern_name(tp.pattern), tp.size, tp.read_ratio, tp.outstanding);
  const rramsim::RunInfo info = rrsimcli::run_info(kCmd, mo, desc, out.wall_seconds, tp.requests);
  rrsimcli::print_summary(cfg, out.stats, info, out.failed);
  return rrsimcli::write_stats(kCmd, mo, cfg, out.stats, info);
}
