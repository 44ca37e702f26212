// rramsim/fault_replay.hpp — re-applying a recorded fault trace to a BNN without the simulator:
// persistent faults to the stored weights, read faults to the reads they hit (by read index).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bnn/bnn.h"
#include "rramsim/workload.hpp"
#include "rrtrace/trace.h"

namespace rramsim {

// Reads a fault trace; refuses (returns the message) a file recorded for another model
// (model_id differs, both named) or a malformed line (file:line). "" on success.
std::string load_fault_trace(const std::string& path, const std::string& model_id,
                             std::vector<rrt_fault>* out);

struct FaultReplayParams {
  uint32_t weight_reuse = 1;   // as in the recorded run (it sets how often rows are read)
  uint32_t chunk_images = 256; // as in WorkloadParams (rounded up to a multiple of weight_reuse)
  int threads = 1;
};

// Runs the engine over n images with the weights the recorded run had: the model's image with
// every persistent fault (write, stuck-at, endurance: bit := new value, in file order) applied to
// its RRAM layers, and each read fault applied to the read it hit. Reads are numbered exactly as
// the workload bridge issues them (one per RRAM neuron-row segment, in port-call order; SRAM
// layers are not counted), so the placement must be the recorded run's. keep: nullptr = all
// faults, else keep[i] != 0 selects faults[i]. "" on success, else one line.
std::string replay_faults(const bnn_model* m, const Placement& pl,
                          const std::vector<rrt_fault>& faults, const std::vector<uint8_t>* keep,
                          const uint8_t* images, size_t n, const FaultReplayParams& p,
                          std::vector<uint8_t>* pred);

}  // namespace rramsim
