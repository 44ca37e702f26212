// cmd_sim.cpp — `rramsim sim`: runs synthetic traffic through the SystemC RRAM memory system.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "cli.h"
#include "commands.h"
#include "rramsim/config.hpp"
#include "rramsim/recording.hpp"
#include "rramsim/traffic.hpp"

namespace {

const char* const kCmd = "sim";

void usage(FILE* f) {
  std::fprintf(f,
      "usage: rramsim sim --system FILE [options]\n\n"
      "Runs synthetic traffic through the simulated RRAM memory system and prints a summary.\n\n"
      "  --system FILE         system config (configs/systems/*.json)            (required)\n"
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
      "  --quiet               no progress bar\n"
      "  --error-map FILE      measured error map CSV applied to the cells (traces/README.md)\n"
      "  --record-accesses F   record every access as it reaches the memory: .stl, .rstl, .rrt,\n"
      "                        optionally + .gz (header: version, config hash, seed, clock)\n"
      "  --record-faults F     record every injected fault as a fault-trace CSV (.csv[.gz])\n"
      "  --record-clock PS     trace cycle period in ps for --record-accesses  (default 1: exact)\n");
}

}  // namespace

extern "C" int rr_cmd_sim(int argc, char** argv) {
  std::string system, op_point, stats_path, traffic = "random";
  std::string error_map, rec_acc, rec_flt;
  rramsim::RecordParams recp;
  rramsim::TrafficParams tp;
  uint64_t seed = 0, v = 0;
  bool have_seed = false, quiet = false;
  double d = 0;
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    auto need = [&](const char* opt) -> const char* {
      if (i + 1 >= argc) return nullptr;
      (void)opt;
      return argv[++i];
    };
    if (!std::strcmp(a, "--help") || !std::strcmp(a, "-h")) {
      usage(stdout);
      return RR_EXIT_OK;
    } else if (!std::strcmp(a, "--nb")) {
      tp.nb = true;
    } else if (!std::strcmp(a, "--quiet")) {
      quiet = true;
    } else if (!std::strcmp(a, "--system") || !std::strcmp(a, "--op-point") ||
               !std::strcmp(a, "--traffic") || !std::strcmp(a, "--requests") ||
               !std::strcmp(a, "--read-ratio") || !std::strcmp(a, "--size") ||
               !std::strcmp(a, "--stride") || !std::strcmp(a, "--outstanding") ||
               !std::strcmp(a, "--interval") || !std::strcmp(a, "--seed") ||
               !std::strcmp(a, "--stats") || !std::strcmp(a, "--error-map") ||
               !std::strcmp(a, "--record-accesses") || !std::strcmp(a, "--record-faults") ||
               !std::strcmp(a, "--record-clock")) {
      const char* val = need(a);
      if (!val) return rr_usage_error(kCmd, "%s needs a value", a);
      if (!std::strcmp(a, "--system")) system = val;
      else if (!std::strcmp(a, "--op-point")) op_point = val;
      else if (!std::strcmp(a, "--traffic")) traffic = val;
      else if (!std::strcmp(a, "--stats")) stats_path = val;
      else if (!std::strcmp(a, "--error-map")) error_map = val;
      else if (!std::strcmp(a, "--record-accesses")) rec_acc = val;
      else if (!std::strcmp(a, "--record-faults")) rec_flt = val;
      else if (!std::strcmp(a, "--record-clock")) {
        if (!rr_parse_u64(kCmd, a, val, 1, UINT64_C(1) << 40, &recp.clock_ps)) return RR_EXIT_USAGE;
      } else if (!std::strcmp(a, "--requests")) {
        if (!rr_parse_u64(kCmd, a, val, 1, UINT64_C(1) << 40, &tp.requests)) return RR_EXIT_USAGE;
      } else if (!std::strcmp(a, "--read-ratio")) {
        if (!rr_parse_double(kCmd, a, val, 0.0, 1.0, &tp.read_ratio)) return RR_EXIT_USAGE;
      } else if (!std::strcmp(a, "--size")) {
        if (!rr_parse_u64(kCmd, a, val, 1, 1u << 20, &v)) return RR_EXIT_USAGE;
        tp.size = static_cast<uint32_t>(v);
      } else if (!std::strcmp(a, "--stride")) {
        if (!rr_parse_u64(kCmd, a, val, 1, UINT64_C(1) << 46, &tp.stride)) return RR_EXIT_USAGE;
      } else if (!std::strcmp(a, "--outstanding")) {
        if (!rr_parse_u64(kCmd, a, val, 1, 1024, &v)) return RR_EXIT_USAGE;
        tp.outstanding = static_cast<unsigned>(v);
      } else if (!std::strcmp(a, "--interval")) {
        if (!rr_parse_double(kCmd, a, val, 0.0, 1e9, &d)) return RR_EXIT_USAGE;
        tp.interval_ns = d;
      } else if (!std::strcmp(a, "--seed")) {
        if (!rr_parse_u64(kCmd, a, val, 0, UINT64_MAX >> 1, &seed)) return RR_EXIT_USAGE;
        have_seed = true;
      }
    } else {
      return rr_usage_error(kCmd, "unknown option '%s'", a);
    }
  }
  if (system.empty()) return rr_usage_error(kCmd, "--system FILE is required");
  if (!rramsim::parse_pattern(traffic, &tp.pattern))
    return rr_usage_error(kCmd, "--traffic: expected random, sequential or strided, got '%s'",
                          traffic.c_str());
  rramsim::SystemConfig cfg;
  try {
    cfg = rramsim::load_system_file(system);
    if (!op_point.empty()) rramsim::select_op_point(cfg, op_point);
    if (!error_map.empty()) cfg.error_map = rramsim::load_error_map(error_map, cfg.org);
  } catch (const rramsim::ConfigError& e) {
    return rr_error(kCmd, "%s", e.what());
  }
  if (have_seed) cfg.seed = seed;
  tp.seed = cfg.seed;
  if (tp.size > cfg.org.capacity_bytes())
    return rr_usage_error(kCmd, "--size: %u B exceeds the memory capacity of %llu B", tp.size,
                          static_cast<unsigned long long>(cfg.org.capacity_bytes()));

  if (!stats_path.empty()) {  // fail before a long run, not after it
    std::string probe = stats_path + ".probe";
    FILE* f = std::fopen(probe.c_str(), "wb");
    if (!f) return rr_error(kCmd, "--stats: cannot create files next to %s: %s", stats_path.c_str(), std::strerror(errno));
    std::fclose(f);
    std::remove(probe.c_str());
  }
  // Recorders hang off the memory's observers only when asked for (nothing on the data path
  // otherwise); their files appear complete at the end or not at all.
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
  rr_progress prog;
  rr_progress_start(&prog, "sim", tp.requests, !quiet && tp.requests >= 1000000);
  if (prog.enabled) {
    tp.progress_every = tp.requests / 200 + 1;
    tp.progress = [&prog](uint64_t done) { rr_progress_update(&prog, done, "req", nullptr); };
  }
  rramsim::RunOutput out = rramsim::run_traffic(cfg, tp, acc_obs, flt_obs);
  if (prog.enabled) rr_progress_finish(&prog, "req", nullptr);
  if (!rec_acc.empty()) {
    std::string e = acc_rec.close();
    if (!e.empty()) return rr_error(kCmd, "--record-accesses: %s", e.c_str());
    std::printf("%llu accesses recorded to %s\n", static_cast<unsigned long long>(acc_rec.records()),
                rec_acc.c_str());
  }
  if (!rec_flt.empty()) {
    std::string e = flt_rec.close();
    if (!e.empty()) return rr_error(kCmd, "--record-faults: %s", e.c_str());
    std::printf("%llu faults recorded to %s\n", static_cast<unsigned long long>(flt_rec.records()),
                rec_flt.c_str());
  }

  rramsim::RunInfo info;
  info.tool_version = rr_version();
  char desc[160];
  std::snprintf(desc, sizeof desc, "%s, %u B requests, read ratio %g, %u outstanding",
                rramsim::pattern_name(tp.pattern), tp.size, tp.read_ratio, tp.outstanding);
  info.traffic = desc;
  info.path = tp.nb ? "nb_transport" : "b_transport";
  info.wall_seconds = out.wall_seconds;
  info.requests = tp.requests;
  std::fputs(rramsim::stats_summary(cfg, out.stats, info).c_str(), stdout);
  if (out.failed)
    std::printf("%llu requests answered with an error status\n",
                static_cast<unsigned long long>(out.failed));
  if (!stats_path.empty()) {
    std::string err = rramsim::write_file_atomic(stats_path, rramsim::stats_to_json(cfg, out.stats, info));
    if (!err.empty()) return rr_error(kCmd, "%s", err.c_str());
    std::printf("stats written to %s\n", stats_path.c_str());
  }
  return RR_EXIT_OK;
}
