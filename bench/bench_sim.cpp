// bench_sim.cpp — simulated transactions per wall-clock second and peak RSS of the RRAM memory
// system: 64-byte random reads over b_transport and nb_transport, at two run lengths, each in a
// fresh child process (SystemC allows one elaboration per process; RSS is per process).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench_child.hpp"
#include "bnn/rng.h"
#include "rramsim/controller.hpp"
#include "rramsim/traffic.hpp"

namespace {

// Published figures for scale (from the issue): DRAMSys 5, cycle-accurate DDR4, SystemC AT,
// recording off, replaying 1 M 64-byte reads on this class of machine.
constexpr double kDramsysRandom = 105e3;
constexpr double kDramsysSequential = 280e3;

// rate: transactions/s
struct Result : bench::ChildResult {
  uint64_t requests = 0;
};

enum class Mode { Lt, Nb, Core };

// The model alone (Controller::access, no SystemC): the ceiling the TLM paths can reach.
double core_rate(const rramsim::SystemConfig& cfg, rramsim::Pattern pat, uint64_t n) {
  rramsim::Controller c(cfg);
  uint8_t buf[64];
  const uint64_t slots = cfg.org.capacity_bytes() / 64;
  uint64_t t = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t addr =
        (pat == rramsim::Pattern::Random ? bnn_rng_hash(cfg.seed, 101, i) % slots : i % slots) * 64;
    t = c.access(rramsim::Cmd::Read, addr, buf, 64, t).done_ps;
  }
  auto t1 = std::chrono::steady_clock::now();
  return static_cast<double>(n) / std::chrono::duration<double>(t1 - t0).count();
}

// One run in a fresh child: its rate, seconds and peak RSS.
Result measure(const rramsim::SystemConfig& cfg, Mode mode, rramsim::Pattern pat, uint64_t n) {
  Result r;
  r.requests = n;
  static_cast<bench::ChildResult&>(r) = bench::measure_in_child([&](double* rate, double* secs) {
    if (mode == Mode::Core) {
      *rate = core_rate(cfg, pat, n);
      *secs = static_cast<double>(n) / *rate;
    } else {
      rramsim::TrafficParams tp;
      tp.pattern = pat;
      tp.requests = n;
      tp.size = 64;
      tp.read_ratio = 1.0;
      tp.seed = cfg.seed;
      tp.nb = mode == Mode::Nb;
      rramsim::RunOutput out = rramsim::run_traffic(cfg, tp);
      *secs = out.wall_seconds;
      *rate = static_cast<double>(n) / *secs;
      if (out.stats.reads != n || out.failed) *rate = -1;
    }
  });
  return r;
}

void usage() {
  std::fprintf(stderr,
               "usage: bench_sim [--small N] [--large N] [--system FILE]\n"
               "  --small N   short run length (default 100000)\n"
               "  --large N   long run length (default 10000000; about 15 s in total)\n"
               "  --system F  system config (default configs/systems/small.json)\n");
}

}  // namespace

int main(int argc, char** argv) {
  bench::Args args;
  if (!bench::parse_args(argc, argv, false, &args)) {
    usage();
    return 2;
  }
  const uint64_t small = args.small, large = args.large;
  rramsim::SystemConfig cfg;
  if (!bench::load_system("bench_sim", args.system, &cfg)) return 1;
  std::printf("bench_sim: 64-byte reads, system %s (%s, op point %s), one fresh process per row\n",
              cfg.name.c_str(), cfg.device.name, cfg.op().name);
  std::printf(
      "baselines: DRAMSys 5 (published, DDR4 AT) %.0f k/s random, %.0f k/s sequential; "
      "model core without SystemC (measured below)\n\n",
      kDramsysRandom / 1e3, kDramsysSequential / 1e3);
  std::printf("%-12s %-11s %10s %14s %9s %11s %11s %10s\n", "path", "pattern", "requests",
              "transactions/s", "wall s", "x DRAMSys", "x core", "maxRSS MiB");
  struct Row {
    const char* name;
    Mode mode;
    rramsim::Pattern pat;
  };
  const Row rows[] = {{"core", Mode::Core, rramsim::Pattern::Random},
                      {"b_transport", Mode::Lt, rramsim::Pattern::Random},
                      {"nb_transport", Mode::Nb, rramsim::Pattern::Random},
                      {"core", Mode::Core, rramsim::Pattern::Sequential},
                      {"b_transport", Mode::Lt, rramsim::Pattern::Sequential},
                      {"nb_transport", Mode::Nb, rramsim::Pattern::Sequential}};
  int failures = 0;
  for (const Row& row : rows) {
    Result res[2];
    const uint64_t sizes[2] = {small, large};
    double core[2] = {0, 0};
    for (int k = 0; k < 2; ++k) {
      res[k] = measure(cfg, row.mode, row.pat, sizes[k]);
      if (row.mode != Mode::Core) {
        Result c = measure(cfg, Mode::Core, row.pat, sizes[k] < 1000000 ? sizes[k] : 1000000);
        core[k] = c.rate;
      }
    }
    for (int k = 0; k < 2; ++k) {
      const Result& r = res[k];
      if (!r.ok) {
        std::printf("%-12s %-11s %10llu   FAILED\n", row.name, rramsim::pattern_name(row.pat),
                    static_cast<unsigned long long>(r.requests));
        ++failures;
        continue;
      }
      double base = row.pat == rramsim::Pattern::Random ? kDramsysRandom : kDramsysSequential;
      char xcore[32] = "-";
      if (core[k] > 0) std::snprintf(xcore, sizeof xcore, "%.2f", r.rate / core[k]);
      std::printf("%-12s %-11s %10llu %14.0f %9.3f %11.1f %11s %10.1f\n", row.name,
                  rramsim::pattern_name(row.pat), static_cast<unsigned long long>(r.requests),
                  r.rate, r.seconds, r.rate / base, xcore,
                  static_cast<double>(r.max_rss_kib) / 1024.0);
    }
    if (res[0].ok && res[1].ok)
      std::printf(
          "%-12s %-11s peak RSS %llu vs %llu requests: %.3fx\n", row.name,
          rramsim::pattern_name(row.pat), static_cast<unsigned long long>(large),
          static_cast<unsigned long long>(small),
          static_cast<double>(res[1].max_rss_kib) / static_cast<double>(res[0].max_rss_kib));
  }
  std::printf(
      "\nx DRAMSys: against the published figure for the same pattern; x core: against the model\n"
      "alone (Controller::access, no SystemC) at min(N, 1e6) requests, measured in this run.\n");
  std::printf(
      "targets: b_transport >= 2,000,000/s, nb_transport >= 500,000/s (random), RSS ratio <= "
      "1.1\n");
  return failures ? 1 : 0;
}
