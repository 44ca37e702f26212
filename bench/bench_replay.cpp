// bench_replay.cpp — trace-player throughput (records/s) and peak RSS: .rrt and .stl traces of two
// lengths replayed against the RRAM memory system, each in a fresh child process, against the
// traffic generator driving the same memory with the same number of requests in the same run.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bench_child.hpp"
#include "bnn/rng.h"
#include "rramsim/player.hpp"
#include "rramsim/traffic.hpp"
#include "rrtrace/trace.h"

namespace {

// rate: records (requests) per second of simulation wall time
using Result = bench::ChildResult;

// Random 64-byte reads over the whole memory, one every 20 ns (about one read latency apart,
// like the closed-loop baseline), absolute timing with a 1 ns trace clock.
bool write_trace(const std::string& path, uint64_t n, uint64_t capacity, uint64_t seed,
                 double* seconds) {
  auto t0 = std::chrono::steady_clock::now();
  rrt_access_write_params wp = rrt_access_write_default_params();
  wp.prov.tool = "bench_replay";
  wp.prov.clock_ps = 1000;
  rrt_access_writer* w = nullptr;
  if (rrt_access_writer_open(path.c_str(), &wp, &w) != BNN_OK) {
    std::fprintf(stderr, "bench_replay: %s\n", bnn_errmsg());
    return false;
  }
  const uint64_t slots = capacity / 64;
  for (uint64_t i = 0; i < n; ++i) {
    rrt_access a{};
    a.cycle = i * 20;
    a.address = (bnn_rng_hash(seed, 101, i) % slots) * 64;
    a.length = 64;
    a.cmd = RRT_CMD_READ;
    if (rrt_access_writer_put(w, &a) != BNN_OK) {
      std::fprintf(stderr, "bench_replay: %s\n", bnn_errmsg());
      rrt_access_writer_abort(w);
      return false;
    }
  }
  if (rrt_access_writer_close(w) != BNN_OK) {
    std::fprintf(stderr, "bench_replay: %s\n", bnn_errmsg());
    return false;
  }
  *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return true;
}

// Runs one simulation in a child; the parent reads its rate and its peak RSS (wait4).
Result measure(const rramsim::SystemConfig& cfg, const std::string& trace, uint64_t n) {
  return bench::measure_in_child([&](double* rate, double* secs) {
    if (trace.empty()) {
      rramsim::TrafficParams tp;
      tp.pattern = rramsim::Pattern::Random;
      tp.requests = n;
      tp.size = 64;
      tp.seed = cfg.seed;
      rramsim::RunOutput out = rramsim::run_traffic(cfg, tp);
      if (out.stats.reads == n && !out.failed)
        *rate = static_cast<double>(n) / out.wall_seconds, *secs = out.wall_seconds;
    } else {
      rramsim::ReplayParams rp;
      rp.trace = trace;
      try {
        rramsim::ReplayOutput out = rramsim::run_replay(cfg, rp);
        if (out.records == n && out.stats.reads == n && !out.failed)
          *rate = static_cast<double>(n) / out.wall_seconds, *secs = out.wall_seconds;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_replay: %s\n", e.what());
      }
    }
  });
}

void usage() {
  std::fprintf(stderr,
               "usage: bench_replay [--small N] [--large N] [--system FILE] [--dir DIR]\n"
               "  --small N   short trace (default 100000 records)\n"
               "  --large N   long trace (default 10000000 records; ~300 MB of STL in DIR)\n"
               "  --system F  system config (default configs/systems/small.json)\n"
               "  --dir DIR   where the generated traces go (default /tmp; removed at the end)\n");
}

}  // namespace

int main(int argc, char** argv) {
  bench::Args args;
  if (!bench::parse_args(argc, argv, true, &args)) {
    usage();
    return 2;
  }
  const uint64_t sizes[2] = {args.small, args.large};
  const std::string& dir = args.dir;
  rramsim::SystemConfig cfg;
  if (!bench::load_system("bench_replay", args.system, &cfg)) return 1;
  std::string tmpl = dir + "/bench_replay.XXXXXX";
  if (!mkdtemp(&tmpl[0])) {
    std::fprintf(stderr, "bench_replay: cannot create a directory in %s\n", dir.c_str());
    return 1;
  }
  std::printf(
      "bench_replay: random 64-byte reads 20 ns apart, system %s (op point %s), one fresh "
      "process per row\nbaseline: the traffic generator (b_transport, random 64-byte reads, "
      "closed loop) driving the same memory, N requests, measured in this run\n\n",
      cfg.name.c_str(), cfg.op().name);
  std::printf("%-10s %10s %10s %9s %13s %9s %12s %10s\n", "source", "records", "file MiB",
              "B/record", "records/s", "wall s", "x traffic", "maxRSS MiB");
  int failures = 0;
  const char* const formats[] = {"rrt", "stl"};
  long rss[3][2] = {};
  for (int k = 0; k < 2; ++k) {
    const uint64_t n = sizes[k];
    Result base = measure(cfg, "", n);
    rss[2][k] = base.max_rss_kib;
    if (!base.ok) ++failures;
    std::printf("%-10s %10llu %10s %9s %13.0f %9.3f %12s %10.1f\n", "traffic",
                static_cast<unsigned long long>(n), "-", "-", base.rate, base.seconds, "1.00",
                static_cast<double>(base.max_rss_kib) / 1024.0);
    for (int f = 0; f < 2; ++f) {
      std::string path = tmpl + "/t." + formats[f];
      double gen_s = 0;
      if (!write_trace(path, n, cfg.org.capacity_bytes(), cfg.seed, &gen_s)) {
        ++failures;
        continue;
      }
      struct stat sb;
      double bytes = stat(path.c_str(), &sb) == 0 ? static_cast<double>(sb.st_size) : 0;
      Result r = measure(cfg, path, n);
      std::remove(path.c_str());
      rss[f][k] = r.max_rss_kib;
      char label[16];
      std::snprintf(label, sizeof label, "replay .%s", formats[f]);
      if (!r.ok) {
        std::printf("%-10s %10llu   FAILED\n", label, static_cast<unsigned long long>(n));
        ++failures;
        continue;
      }
      char ratio[32] = "-";
      if (base.ok) std::snprintf(ratio, sizeof ratio, "%.2f", r.rate / base.rate);
      std::printf("%-10s %10llu %10.1f %9.2f %13.0f %9.3f %12s %10.1f\n", label,
                  static_cast<unsigned long long>(n), bytes / 1048576.0,
                  bytes / static_cast<double>(n), r.rate, r.seconds, ratio,
                  static_cast<double>(r.max_rss_kib) / 1024.0);
    }
  }
  rmdir(tmpl.c_str());
  std::printf("\npeak RSS, %llu vs %llu records:", static_cast<unsigned long long>(sizes[1]),
              static_cast<unsigned long long>(sizes[0]));
  const char* const names[] = {"replay .rrt", "replay .stl", "traffic"};
  for (int f = 0; f < 3; ++f)
    if (rss[f][0] > 0 && rss[f][1] > 0)
      std::printf("  %s %.3fx", names[f],
                  static_cast<double>(rss[f][1]) / static_cast<double>(rss[f][0]));
  std::printf(
      "\nx traffic: replay records/s over the traffic generator's requests/s at the same N "
      "(both include the memory model; the difference is reading and parsing the trace).\n"
      "flat memory: RSS ratio close to 1 (the reader streams; stats are fixed-size).\n");
  return failures ? 1 : 0;
}
