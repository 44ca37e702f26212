// cmd_replay.cpp — `rramsim replay`: replays an access trace against a system config (SystemC).
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "output.h"
#include "cli.h"
#include "commands.h"
#include "rramsim/config.hpp"
#include "rramsim/player.hpp"
#include "rramsim/recording.hpp"
#include "sim_cli.hpp"

namespace {

const char* const kCmd = "replay";

void usage(FILE* f) {
  std::fprintf(
      f,
      "usage: rramsim replay --trace FILE --system FILE [options]\n\n"
      "Replays an access trace (DRAMSys STL .stl/.rstl or binary .rrt, each optionally .gz)\n"
      "against the simulated RRAM memory system and prints the usual stats (timing, energy,\n"
      "errors). .stl (absolute) issues each record at its time, or at once if behind; .rstl\n"
      "(relative) waits the recorded delay after the previous request was issued (DRAMSys 5).\n\n"
      "  --trace FILE            access trace to replay                            (required)\n"
      "  --system FILE           system config (configs/systems/*.json)            (required)\n"
      "  --set PATH=VALUE        override a system key by JSON path (repeatable), e.g.\n"
      "                          organisation.queue_depth=8 (configs/README.md)\n"
      "  --op-point NAME         operating point of the device (default: the file's op_point)\n"
      "  --seed S                seed for cell errors (default: the file's seed)\n"
      "  --error-map FILE        measured error map CSV applied to the cells (traces/README.md)\n"
      "  --clock-ps PS           trace clock period in ps (default: the trace header's)\n"
      "  --clock-mhz MHZ         trace clock in MHz, as DRAMSys's clkMhz (instead of --clock-ps)\n"
      "  --address-map POLICY    accesses beyond the capacity: error, wrap (modulo the capacity)\n"
      "                          or mask (low address bits, as DRAMSys)         (default error)\n"
      "  --default-length B      bytes of STL records without (n) and data         (default 64)\n"
      "  --skip-bad              skip (and count) malformed text lines instead of failing\n"
      "  --stats FILE            write stats JSON (resolved config, hash, seed, version, units)\n"
      "  --record-accesses FILE  record the replayed accesses (.stl/.rstl/.rrt[.gz])\n"
      "  --record-faults FILE    record every injected fault (fault-trace CSV, .csv[.gz])\n"
      "  --nb                    nb_transport (approximately timed): each request waits until\n"
      "                          the memory accepted the previous one (default b_transport)\n"
      "  --outstanding K         --nb: requests in flight at most, 1..4096          (default 64)\n"
      "  --quiet                 no progress bar (--no-progress: deprecated spelling)\n"
      "A trace recorded with another config (header config_hash) gives a warning; an access\n"
      "outside the memory is an error naming the file and line (or record), unless\n"
      "--address-map maps it (one warning at the end with the count).\n");
}

}  // namespace

extern "C" int cli_cmd_replay(int argc, char** argv) {
  rrsimcli::MemoryOptions mo;
  std::string trace;
  rramsim::ReplayParams rp;
  uint64_t v = 0;
  auto option = [&](const char* a, const char* val) -> cli_opt_result {
    bool ok = true;
    if (!std::strcmp(a, "--skip-bad"))
      rp.skip_bad = true;
    else if (!std::strcmp(a, "--trace"))
      trace = val;
    else if (!std::strcmp(a, "--clock-ps"))
      ok = cli_parse_u64(kCmd, a, val, 1, UINT64_C(1) << 40, &rp.clock_ps);
    else if (!std::strcmp(a, "--clock-mhz")) {
      ok = cli_parse_u64(kCmd, a, val, 1, 1000000, &v);
      rp.clock_mhz = static_cast<uint32_t>(v);
    } else if (!std::strcmp(a, "--address-map")) {
      if (!std::strcmp(val, "error"))
        rp.address_map = RRT_ADDRESS_ERROR;
      else if (!std::strcmp(val, "wrap"))
        rp.address_map = RRT_ADDRESS_WRAP;
      else if (!std::strcmp(val, "mask"))
        rp.address_map = RRT_ADDRESS_MASK;
      else {
        cli_usage_error(kCmd, "--address-map: expected error, wrap or mask, got '%s'", val);
        return CLI_OPT_BAD;
      }
    } else if (!std::strcmp(a, "--outstanding")) {
      ok = cli_parse_u64(kCmd, a, val, 1, 4096, &v);
      rp.outstanding = static_cast<unsigned>(v);
    } else if (!std::strcmp(a, "--default-length")) {
      ok = cli_parse_u64(kCmd, a, val, 1, 65536, &v);
      rp.default_length = static_cast<uint32_t>(v);
    } else
      return CLI_OPT_UNKNOWN;
    return ok ? CLI_OPT_TAKEN : CLI_OPT_BAD;
  };
  int rc = CLI_EXIT_OK;
  if (!rrsimcli::parse_options(
          kCmd, argc, argv, {"skip-bad"},
          {"trace", "clock-ps", "clock-mhz", "address-map", "default-length", "outstanding"},
          option, usage, &mo, &rc))
    return rc;
  if (trace.empty()) return cli_usage_error(kCmd, "--trace FILE is required");
  if (rp.clock_ps && rp.clock_mhz)
    return cli_usage_error(kCmd, "give --clock-ps or --clock-mhz, not both");
  if (mo.system.empty()) return cli_usage_error(kCmd, "--system FILE is required");
  if (!cli_input_note(kCmd, "--trace", trace.c_str()) || !rrsimcli::claim_memory_files(kCmd, mo))
    return CLI_EXIT_FAIL;
  rramsim::SystemConfig cfg;
  if (!rrsimcli::load_memory_config(kCmd, mo, &cfg)) return CLI_EXIT_FAIL;
  rp.data_seed = cfg.seed;
  rp.nb = mo.nb;
  rp.trace = trace;
  if (!mo.stats_path.empty() && !rrsimcli::probe_writable(kCmd, mo.stats_path, "--stats"))
    return CLI_EXIT_FAIL;

  rrsimcli::Recorders rec;
  if (!rec.open(kCmd, mo, cfg, rramsim::RecordParams())) return CLI_EXIT_FAIL;

  // Progress by bytes of the trace file: its record count is unknown until the end.
  struct stat sb;
  uint64_t file_bytes = stat(trace.c_str(), &sb) == 0 ? static_cast<uint64_t>(sb.st_size) : 0;
  cli_progress prog;
  cli_progress_start(&prog, "replay", file_bytes, !mo.quiet && file_bytes >= (8u << 20));
  if (prog.enabled) {
    rp.progress_every = 1u << 16;
    rp.progress = [&prog](uint64_t records, uint64_t bytes) {
      char msg[64];
      std::snprintf(msg, sizeof msg, "%llu records", static_cast<unsigned long long>(records));
      cli_progress_update(&prog, bytes, "B", msg);
    };
  }
  rp.on_warning = [](const std::string& w) {
    std::fprintf(stderr, "rramsim %s: warning: %s\n", kCmd, w.c_str());
  };
  rramsim::ReplayOutput out;
  try {
    out = rramsim::run_replay(cfg, rp, rec.acc_obs, rec.flt_obs);
  } catch (const std::exception& e) {
    if (prog.enabled) cli_progress_finish(&prog, "B", nullptr);
    return cli_error(kCmd, "%s", e.what());  // recorders abort
  }
  if (prog.enabled) {
    char msg[64];
    std::snprintf(msg, sizeof msg, "%llu records", static_cast<unsigned long long>(out.records));
    cli_progress_finish(&prog, "B", msg);
  }
  if (out.mapped)
    std::fprintf(stderr,
                 "rramsim %s: warning: %s: %llu accesses beyond the memory capacity of %llu bytes "
                 "mapped into it (--address-map %s), the first at %s\n",
                 kCmd, trace.c_str(), static_cast<unsigned long long>(out.mapped),
                 static_cast<unsigned long long>(cfg.org.capacity_bytes()),
                 rp.address_map == RRT_ADDRESS_WRAP ? "wrap" : "mask", out.first_mapped.c_str());
  if (!rec.close(kCmd, mo)) return CLI_EXIT_FAIL;

  char desc[512];
  if (out.clock_mhz)
    std::snprintf(desc, sizeof desc, "trace %s (%s timing, clock %u MHz)", trace.c_str(),
                  out.relative ? "relative" : "absolute", out.clock_mhz);
  else
    std::snprintf(desc, sizeof desc, "trace %s (%s timing, clock %llu ps)", trace.c_str(),
                  out.relative ? "relative" : "absolute",
                  static_cast<unsigned long long>(out.clock_ps));
  const rramsim::RunInfo info = rrsimcli::run_info(kCmd, mo, desc, out.wall_seconds, out.records);
  rrsimcli::print_summary(cfg, out.stats, info, out.failed,
                          {{out.bad_lines, "malformed lines skipped"}});
  if (!mo.rec_acc.empty()) std::printf("accesses recorded to %s\n", mo.rec_acc.c_str());
  if (!mo.rec_flt.empty()) std::printf("faults recorded to %s\n", mo.rec_flt.c_str());
  return rrsimcli::write_stats(kCmd, mo, cfg, out.stats, info);
}
