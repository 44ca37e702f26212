// rramsim/point.hpp — one experiment point (a model on a memory system at an operating point):
// loading and checking inputs, the functional and the timed evaluation, the analytic energy of
// functional mode, and the result row (key, one-line JSON, CSV). Used by `rramsim run`, `sweep`,
// `faults`, `plot`, bench_run and the tests. Errors: rramsim::Error (one line naming the file).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <jansson.h>

#include "bnn/bnn.h"
#include "bnn/data.h"
#include "rramsim/config.hpp"
#include "rramsim/error.hpp"
#include "rramsim/workload.hpp"

namespace rramsim {

struct ModelDeleter {
  void operator()(bnn_model* m) const { bnn_model_free(m); }
};
using ModelPtr = std::unique_ptr<bnn_model, ModelDeleter>;

ModelPtr load_model(const std::string& path);
// Opens the test split (first `images` images, 0 = all) and checks it fits the model's input
// shape and classes. The caller frees with bnn_dataset_free.
void open_data(bnn_dataset* ds, const std::string& spec, uint32_t images, const bnn_model* m,
               const std::string& model_path);
// Loads a system file and selects the operating point (empty = the file's); seed overrides the
// file's seed when have_seed.
// `sets`: "PATH=VALUE" overrides (--set), applied before the operating point is selected;
// errors name the option ("--set PATH=VALUE: <file>: <path>: <what>").
SystemConfig load_system(const std::string& path, const std::string& op_point, bool have_seed,
                         uint64_t seed, const std::vector<std::string>& sets = {});

// Accuracy through the host port (error-free), the reference for every point.
double clean_accuracy(const bnn_model* m, const bnn_dataset& ds, int threads,
                      std::vector<uint8_t>* pred = nullptr);

// One point's results. Energies in pJ, times in ns; -1 = not modelled (functional mode has no
// timing; its energies are analytic counts × per-operation energies).
struct PointResult {
  std::string mode;  // "functional" | "timed"
  std::string system, op_point, model, data;
  std::string error_map;  // measured error map applied ("" = none); part of the key
  // System keys set by the experiment's "vary" axes: (JSON path, value as compact JSON), in axis
  // order; part of the key; a row has "set" only when not empty.
  std::vector<std::pair<std::string, std::string>> set;
  uint64_t seed = 0;
  uint32_t images = 0, weight_reuse = 1;
  double write_ber_01 = 0, write_ber_10 = 0, read_ber_01 = 0, read_ber_10 = 0;  // configured
  uint64_t write_errors = 0, read_errors = 0, stuck_errors = 0, endurance_errors = 0;
  uint64_t bits_written = 0, bits_read = 0;
  double ber_observed = 0;  // write_errors/bits_written + read_errors/bits_read
  double accuracy = 0, clean_accuracy = 0;
  double energy_per_image_pj = -1, latency_per_image_ns = -1;
  double programming_energy_pj = -1, programming_time_ns = -1;
  double throughput_images_per_s = -1;  // simulated time (timed) only
  double wall_seconds = 0;
};

struct PointSpec {
  std::string mode = "timed";
  std::string system_path, op_point, model_path, data = "fashion-mnist";
  uint32_t images = 0;  // 0 = the whole test split
  uint32_t weight_reuse = 1;
  uint64_t seed = 1;
  bool have_seed = true;
  uint64_t rram_layer_mask = ~uint64_t{0};
  int threads = 1;
  // Timed mode: recorders attached to the memory (rramsim run --record-faults/--record-accesses).
  AccessObserver access_observer;
  FaultObserver fault_observer;
};

// Identity of a model file for fault traces: "crc32:xxxxxxxx" of its bytes (zlib CRC-32).
// Throws Error naming the file if it cannot be read.
std::string model_file_id(const std::string& path);

// The analytic counts behind functional mode's energy figures: what the timed system would
// count for one fetch of every RRAM layer (bits, array accesses) and one programming pass.
struct AnalyticEnergy {
  double read_per_fetch_pj = 0;
  double program_pj = 0;
};
AnalyticEnergy analytic_energy(const SystemConfig& cfg, const bnn_model* m, const Placement& pl);

// Functional mode: the device's error rates on host memory through libbnn's error port (write
// rates reduced to p^(1+max_iterations) under iterative write-verify; the device's random
// stuck-at cells and endurance not modelled), weights in the layers the placement puts in RRAM
// only. A measured error map (cfg.error_map) is applied to the RRAM weights: stuck-at cells force
// their value on every read, flip-rate cells flip reads with their rate.
PointResult run_functional(const PointSpec& s, const SystemConfig& cfg, const bnn_model* m,
                           const bnn_dataset& ds, double clean);

// Timed mode: the SystemC system (one elaboration per process). Also returns the full
// workload result for `rramsim run`'s stats.
PointResult run_timed(const PointSpec& s, const SystemConfig& cfg, const bnn_model* m,
                      const bnn_dataset& ds, double clean, WorkloadResult* wr,
                      std::function<void(uint64_t)> progress = {});

// Point identity in sweeps and its one-line JSON / CSV forms.
// json_dumps(j, flags) as a std::string, freed through jansson's own allocator (which the config
// loader routes through libbnn's hook); throws std::bad_alloc when jansson runs out of memory.
std::string json_text(const json_t* j, size_t flags);
std::string point_key(const PointResult& r);
std::string row_json(const PointResult& r);  // one line, no newline
std::string csv_header();
std::string row_csv(const PointResult& r);
// Parses a row written by row_json (every field, and the key must match); false if malformed.
bool row_from_json(const std::string& line, PointResult* r);

}  // namespace rramsim
