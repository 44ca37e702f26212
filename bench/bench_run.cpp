// bench_run.cpp — the main job's speed: the Fashion-MNIST test set through the timed SystemC
// system with FCNN 784-2048-2048-10, against the native engine in the same run; functional-mode
// sweep points per minute.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bnn/bnn.h"
#include "bnn/data.h"
#include "bnn/rng.h"
#include "rramsim/point.hpp"
#include "rramsim/config.hpp"
#include "rramsim/stats.hpp"
#include "rramsim/workload.hpp"

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// FCNN with uniformly random ±1 weights (timing does not depend on the weight values); thresholds
// balanced as `rramsim model random` sets them.
bnn_model* fcnn(const std::vector<uint32_t>& arch, uint64_t seed) {
  bnn_model* m = nullptr;
  if (bnn_model_create(&m, 1, 28, 28) != BNN_OK) return nullptr;
  bnn_rng r = bnn_rng_make(seed, 1);
  for (size_t l = 1; l < arch.size(); ++l) {
    const uint32_t fan = arch[l - 1], n = arch[l];
    std::vector<int8_t> w(size_t{fan} * n);
    std::vector<int32_t> t(n);
    std::vector<int8_t> d(n, 1);
    for (uint32_t o = 0; o < n; ++o) {
      int64_t sum = 0;
      for (uint32_t i = 0; i < fan; ++i)
        sum += w[size_t{o} * fan + i] = (bnn_rng_u64(&r) & 1) ? 1 : -1;
      t[o] = l == 1 ? static_cast<int32_t>(73 * sum) : 0;
    }
    const bool out = l + 1 == arch.size();
    if (bnn_model_add_dense(m, n, w.data(), out ? nullptr : t.data(), out ? nullptr : d.data()) !=
        BNN_OK) {
      bnn_model_free(m);
      return nullptr;
    }
  }
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  std::string system = RRAMSIM_SOURCE_DIR "/configs/systems/small.json";
  uint32_t images = 0;
  int fpoints = 5;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--system") && i + 1 < argc)
      system = argv[++i];
    else if (!std::strcmp(argv[i], "--images") && i + 1 < argc)
      images = static_cast<uint32_t>(std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--functional-points") && i + 1 < argc)
      fpoints = std::atoi(argv[++i]);
    else {
      std::printf(
          "usage: bench_run [--system FILE] [--images N] [--functional-points K]\n"
          "  the timed run of FCNN 784-2048-2048-10 over the Fashion-MNIST test set (all\n"
          "  10,000 images by default; target <= 60 s wall), against the native engine, and\n"
          "  functional-mode sweep points (same model and images) per minute\n");
      return std::strcmp(argv[i], "--help") ? 2 : 0;
    }
  }
  bnn_model* m = fcnn({784, 2048, 2048, 10}, 1);
  bnn_dataset ds{};
  if (!m || bnn_dataset_open(&ds, "fashion-mnist", "test", images) != BNN_OK) {
    std::fprintf(stderr, "bench_run: %s\n", bnn_errmsg());
    return 1;
  }
  try {
    rramsim::SystemConfig cfg = rramsim::load_system_file(system);
    std::printf(
        "bench_run: FCNN 784-2048-2048-10 (random weights), %u Fashion-MNIST test images, system "
        "%s at %s\n",
        ds.n, cfg.name.c_str(), cfg.op().name);

    // Baselines: the native engine on host memory (1 thread), every image reading every weight
    // row (weight_reuse 1, the timed run's dataflow), and with the engine's default reuse.
    std::vector<uint8_t> pred1, pred256;
    double t0 = now();
    rramsim::clean_accuracy(m, ds, 1, &pred1);  // weight_reuse 0 = engine default (256)
    const double native_default = now() - t0;
    bnn_port* port = nullptr;
    bnn_host_port_create(&port, m);
    bnn_infer_params ip = bnn_infer_default_params();
    ip.threads = 1;
    ip.weight_reuse = 1;
    bnn_engine* e = nullptr;
    bnn_engine_create(&e, m, port, &ip);
    pred256.assign(ds.n, 0);
    t0 = now();
    bnn_engine_run(e, ds.images, ds.n, nullptr, pred256.data());
    const double native_r1 = now() - t0;
    bnn_engine_destroy(e);
    bnn_port_destroy(port);

    // Functional-mode sweep points: error port at the operating point's rates.
    rramsim::PointSpec s;
    s.model_path = "fcnn-784-2048-2048-10 (random)";
    s.weight_reuse = 1;
    rramsim::SystemConfig fcfg = cfg;
    rramsim::select_op_point(fcfg, "ultra_low");
    t0 = now();
    for (int k = 0; k < fpoints; ++k) {
      fcfg.seed = static_cast<uint64_t>(k + 1);
      rramsim::run_functional(s, fcfg, m, ds, 0.0);
    }
    const double functional = (now() - t0) / fpoints;

    // The timed run (last: one SystemC elaboration per process).
    rramsim::WorkloadParams wp;
    wp.weight_reuse = 1;
    t0 = now();
    rramsim::WorkloadResult r =
        rramsim::run_bnn_workload(cfg, m, s.model_path, ds.images, ds.n, wp);
    const double timed = now() - t0;
    uint64_t agree = 0;
    for (uint32_t i = 0; i < ds.n; ++i) agree += r.pred[i] == pred1[i];

    std::printf("%-58s %10.3f s  %9.0f images/s\n",
                "native engine, host memory, weight reuse 256 (1 thread)", native_default,
                ds.n / native_default);
    std::printf("%-58s %10.3f s  %9.0f images/s\n",
                "native engine, host memory, weight reuse 1 (1 thread)", native_r1,
                ds.n / native_r1);
    std::printf("%-58s %10.3f s  %9.0f images/s  (%.1f M TLM reads, %.2f GB through the memory)\n",
                "timed SystemC system, weight reuse 1 (target <= 60 s)", timed, ds.n / timed,
                r.total.reads * 1e-6, r.total.bytes_read * 1e-9);
    std::printf("  slowdown vs native weight reuse 1:   %8.1fx\n", timed / native_r1);
    std::printf("  slowdown vs native weight reuse 256: %8.1fx\n", timed / native_default);
    std::printf("  predictions identical to native:     %u / %u (operating point %s)\n",
                static_cast<unsigned>(agree), ds.n, cfg.op().name);
    const double e_inf = rramsim::total_energy(r.total, cfg).total() -
                         rramsim::total_energy(r.programming, cfg).total();
    std::printf("  simulated: %.3f us/image latency, %.1f nJ/image (incl. static)\n",
                (r.infer_end_ps - r.infer_start_ps) * 1e-6 / ds.n, e_inf * 1e-3 / ds.n);
    std::printf("%-58s %10.3f s/point  %7.1f points/min  (%u images/point, ultra_low)\n",
                "functional-mode sweep point (error port, weight reuse 1)", functional,
                60.0 / functional, ds.n);
    std::printf("  functional point vs timed run:        %8.1fx faster\n", timed / functional);
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "bench_run: %s\n", ex.what());
    return 1;
  }
  bnn_dataset_free(&ds);
  bnn_model_free(m);
  return 0;
}
