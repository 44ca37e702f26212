// rramsim/fault_replay.hpp — re-applying a recorded fault trace to a BNN without the simulator:
// persistent faults to the stored weights, read faults to the reads they hit (by read index).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bnn/bnn.h"
#include "rramsim/error.hpp"
#include "rramsim/workload.hpp"
#include "rrtrace/trace.h"

namespace rramsim {

// What load_fault_trace learned about the file besides its records.
struct FaultTraceInfo {
  std::string config_hash;      // the header's config_hash ("" if none)
  uint64_t bad_lines = 0;       // malformed lines skipped (skip_bad)
  uint64_t first_bad_line = 0;  // line of the first of them, 0 = none
};

// Reads a fault trace; refuses (throws Error) a file recorded for another model (model_id
// differs, both named) or, unless skip_bad, a malformed line (file:line). With skip_bad,
// malformed lines are counted into info->bad_lines and skipped.
void load_fault_trace(const std::string& path, const std::string& model_id,
                      std::vector<rrt_fault>* out, bool skip_bad = false,
                      FaultTraceInfo* info = nullptr);

struct FaultReplayParams {
  uint32_t weight_reuse = 1;    // as in the recorded run (it sets how often rows are read)
  uint32_t chunk_images = 256;  // as in WorkloadParams (rounded up to a multiple of weight_reuse)
  int threads = 1;
  // A measured error map applied as the device's (null = none): its stuck-at cells override the
  // stored weight bits (after the trace's persistent faults, as the storage does), its flip-rate
  // cells flip each read with their rate, drawn exactly as the storage draws them
  // (map_flip_draw with `seed` and the read index), so the replay equals a run with that map.
  const ErrorMap* error_map = nullptr;
  uint64_t seed = 1;
  // If set, every change the map made is appended as a fault record: a stuck-at record per cell
  // that changed a stored bit (time 0), a read record per flipped read (access = its index), with
  // layer/neuron/weight filled. Replaying faults + these records without the map gives the same
  // predictions, so `faults analyze` can attribute the map's damage like any recorded fault.
  std::vector<rrt_fault>* map_faults = nullptr;
};

// Runs the engine over n images with the weights the recorded run had: the model's image with
// every persistent fault (write, stuck-at, endurance: bit := new value, in file order) applied to
// its RRAM layers, and each read fault applied to the read it hit. Reads are numbered exactly as
// the workload bridge issues them (one per RRAM neuron-row segment, in port-call order; SRAM
// layers are not counted), so the placement must be the recorded run's. keep: nullptr = all
// faults, else keep[i] != 0 selects faults[i]. Throws Error (one line).
void replay_faults(const bnn_model* m, const Placement& pl, const std::vector<rrt_fault>& faults,
                   const std::vector<uint8_t>* keep, const uint8_t* images, size_t n,
                   const FaultReplayParams& p, std::vector<uint8_t>* pred);

}  // namespace rramsim
