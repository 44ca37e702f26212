// cmd_replay.cpp — `rramsim replay`: replays an access trace against a system config (SystemC).
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "cli.h"
#include "commands.h"
#include "rramsim/config.hpp"
#include "rramsim/player.hpp"
#include "rramsim/recording.hpp"

namespace {

const char* const kCmd = "replay";

void usage(FILE* f) {
  std::fprintf(f,
      "usage: rramsim replay --trace FILE --system FILE [options]\n\n"
      "Replays an access trace (DRAMSys STL .stl/.rstl or binary .rrt, each optionally .gz)\n"
      "against the simulated RRAM memory system and prints the usual stats (timing, energy,\n"
      "errors). .stl (absolute) issues each record at its time, or at once if behind; .rstl\n"
      "(relative) waits the recorded delay after the previous request completed.\n\n"
      "  --trace FILE            access trace to replay                            (required)\n"
      "  --system FILE           system config (configs/systems/*.json)            (required)\n"
      "  --op-point NAME         operating point of the device (default: the file's op_point)\n"
      "  --seed S                seed for cell errors (default: the file's seed)\n"
      "  --error-map FILE        measured error map CSV applied to the cells (traces/README.md)\n"
      "  --clock-ps PS           trace clock period in ps (default: the trace header's)\n"
      "  --default-length B      bytes of STL records without (n) and data         (default 64)\n"
      "  --skip-bad              skip (and count) malformed text lines instead of failing\n"
      "  --stats FILE            write stats JSON (resolved config, hash, seed, version, units)\n"
      "  --record-accesses FILE  record the replayed accesses (.stl/.rstl/.rrt[.gz])\n"
      "  --record-faults FILE    record every injected fault (fault-trace CSV, .csv[.gz])\n"
      "  --nb                    nb_transport (approximately timed): each request waits until\n"
      "                          the memory accepted the previous one (default b_transport)\n"
      "  --outstanding K         --nb: requests in flight at most, 1..4096          (default 64)\n"
      "  --quiet                 no progress bar\n"
      "A trace recorded with another config (header config_hash) gives a warning; an access\n"
      "outside the memory is an error naming the file and line (or record).\n");
}

bool probe_writable(const std::string& path, const char* opt) {
  std::string probe = path + ".probe";
  FILE* f = std::fopen(probe.c_str(), "wb");
  if (!f) {
    rr_error(kCmd, "%s: cannot create files next to %s: %s", opt, path.c_str(),
             std::strerror(errno));
    return false;
  }
  std::fclose(f);
  std::remove(probe.c_str());
  return true;
}

}  // namespace

extern "C" int rr_cmd_replay(int argc, char** argv) {
  std::string trace, system, op_point, stats_path, error_map, rec_acc, rec_flt;
  rramsim::ReplayParams rp;
  uint64_t seed = 0, v = 0;
  bool have_seed = false, quiet = false;
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (!std::strcmp(a, "--help") || !std::strcmp(a, "-h")) {
      usage(stdout);
      return RR_EXIT_OK;
    } else if (!std::strcmp(a, "--quiet")) {
      quiet = true;
    } else if (!std::strcmp(a, "--skip-bad")) {
      rp.skip_bad = true;
    } else if (!std::strcmp(a, "--nb")) {
      rp.nb = true;
    } else if (!std::strcmp(a, "--trace") || !std::strcmp(a, "--system") ||
               !std::strcmp(a, "--op-point") || !std::strcmp(a, "--seed") ||
               !std::strcmp(a, "--error-map") || !std::strcmp(a, "--clock-ps") ||
               !std::strcmp(a, "--default-length") || !std::strcmp(a, "--stats") ||
               !std::strcmp(a, "--record-accesses") || !std::strcmp(a, "--record-faults") ||
               !std::strcmp(a, "--outstanding")) {
      if (i + 1 >= argc) return rr_usage_error(kCmd, "%s needs a value", a);
      const char* val = argv[++i];
      if (!std::strcmp(a, "--trace")) trace = val;
      else if (!std::strcmp(a, "--system")) system = val;
      else if (!std::strcmp(a, "--op-point")) op_point = val;
      else if (!std::strcmp(a, "--error-map")) error_map = val;
      else if (!std::strcmp(a, "--stats")) stats_path = val;
      else if (!std::strcmp(a, "--record-accesses")) rec_acc = val;
      else if (!std::strcmp(a, "--record-faults")) rec_flt = val;
      else if (!std::strcmp(a, "--seed")) {
        if (!rr_parse_u64(kCmd, a, val, 0, UINT64_MAX >> 1, &seed)) return RR_EXIT_USAGE;
        have_seed = true;
      } else if (!std::strcmp(a, "--clock-ps")) {
        if (!rr_parse_u64(kCmd, a, val, 1, UINT64_C(1) << 40, &rp.clock_ps)) return RR_EXIT_USAGE;
      } else if (!std::strcmp(a, "--outstanding")) {
        if (!rr_parse_u64(kCmd, a, val, 1, 4096, &v)) return RR_EXIT_USAGE;
        rp.outstanding = static_cast<unsigned>(v);
      } else if (!std::strcmp(a, "--default-length")) {
        if (!rr_parse_u64(kCmd, a, val, 1, 65536, &v)) return RR_EXIT_USAGE;
        rp.default_length = static_cast<uint32_t>(v);
      }
    } else {
      return rr_usage_error(kCmd, "unknown option '%s'", a);
    }
  }
  if (trace.empty()) return rr_usage_error(kCmd, "--trace FILE is required");
  if (system.empty()) return rr_usage_error(kCmd, "--system FILE is required");
  rramsim::SystemConfig cfg;
  try {
    cfg = rramsim::load_system_file(system);
    if (!op_point.empty()) rramsim::select_op_point(cfg, op_point);
    if (!error_map.empty()) cfg.error_map = rramsim::load_error_map(error_map, cfg.org);
  } catch (const rramsim::ConfigError& e) {
    return rr_error(kCmd, "%s", e.what());
  }
  if (have_seed) cfg.seed = seed;
  rp.data_seed = cfg.seed;
  rp.trace = trace;
  if (!stats_path.empty() && !probe_writable(stats_path, "--stats")) return RR_EXIT_FAIL;

  rramsim::RecordParams recp;
  recp.tool = std::string("rramsim ") + rr_version();
  rramsim::AccessRecorder acc_rec;
  rramsim::FaultRecorder flt_rec;
  rramsim::AccessObserver acc_obs;
  rramsim::FaultObserver flt_obs;
  if (!rec_acc.empty()) {
    std::string e = acc_rec.open(rec_acc, cfg, recp);
    if (!e.empty()) return rr_error(kCmd, "--record-accesses: %s", e.c_str());
    acc_obs = acc_rec.observer();
  }
  if (!rec_flt.empty()) {
    std::string e = flt_rec.open(rec_flt, cfg, recp);
    if (!e.empty()) return rr_error(kCmd, "--record-faults: %s", e.c_str());
    flt_obs = flt_rec.observer();
  }

  // Progress by bytes of the trace file: its record count is unknown until the end.
  struct stat sb;
  uint64_t file_bytes = stat(trace.c_str(), &sb) == 0 ? static_cast<uint64_t>(sb.st_size) : 0;
  rr_progress prog;
  rr_progress_start(&prog, "replay", file_bytes, !quiet && file_bytes >= (8u << 20));
  if (prog.enabled) {
    rp.progress_every = 1u << 16;
    rp.progress = [&prog](uint64_t records, uint64_t bytes) {
      char msg[64];
      std::snprintf(msg, sizeof msg, "%llu records", static_cast<unsigned long long>(records));
      rr_progress_update(&prog, bytes, "B", msg);
    };
  }
  rramsim::ReplayOutput out = rramsim::run_replay(cfg, rp, acc_obs, flt_obs);
  if (prog.enabled) {
    char msg[64];
    std::snprintf(msg, sizeof msg, "%llu records", static_cast<unsigned long long>(out.records));
    rr_progress_finish(&prog, "B", msg);
  }
  if (!out.warning.empty()) std::fprintf(stderr, "rramsim %s: warning: %s\n", kCmd, out.warning.c_str());
  if (!out.error.empty()) return rr_error(kCmd, "%s", out.error.c_str());  // recorders abort
  if (!rec_acc.empty()) {
    std::string e = acc_rec.close();
    if (!e.empty()) return rr_error(kCmd, "--record-accesses: %s", e.c_str());
  }
  if (!rec_flt.empty()) {
    std::string e = flt_rec.close();
    if (!e.empty()) return rr_error(kCmd, "--record-faults: %s", e.c_str());
  }

  rramsim::RunInfo info;
  info.tool = "rramsim replay";
  info.tool_version = rr_version();
  char desc[512];
  std::snprintf(desc, sizeof desc, "trace %s (%s timing, clock %llu ps)", trace.c_str(),
                out.relative ? "relative" : "absolute",
                static_cast<unsigned long long>(out.clock_ps));
  info.traffic = desc;
  info.path = rp.nb ? "nb_transport" : "b_transport";
  info.wall_seconds = out.wall_seconds;
  info.requests = out.records;
  std::fputs(rramsim::stats_summary(cfg, out.stats, info).c_str(), stdout);
  if (out.bad_lines)
    std::printf("%llu malformed lines skipped\n", static_cast<unsigned long long>(out.bad_lines));
  if (out.failed)
    std::printf("%llu requests answered with an error status\n",
                static_cast<unsigned long long>(out.failed));
  if (!rec_acc.empty()) std::printf("accesses recorded to %s\n", rec_acc.c_str());
  if (!rec_flt.empty()) std::printf("faults recorded to %s\n", rec_flt.c_str());
  if (!stats_path.empty()) {
    std::string err =
        rramsim::write_file_atomic(stats_path, rramsim::stats_to_json(cfg, out.stats, info));
    if (!err.empty()) return rr_error(kCmd, "%s", err.c_str());
    std::printf("stats written to %s\n", stats_path.c_str());
  }
  return RR_EXIT_OK;
}
