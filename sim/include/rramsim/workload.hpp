// rramsim/workload.hpp — the BNN workload on the simulated memory: weight placement, the SystemC
// bridge port (every weight read/write is a TLM-2.0 transaction), and one-call timed runs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bnn/bnn.h"
#include "rramsim/config.hpp"
#include "rramsim/observers.hpp"
#include "rramsim/stats.hpp"

namespace rramsim {

// Where each weight layer's packed rows live.
//
// Layers selected by `rram_layer_mask` (bit l = weight layer l) are placed into the RRAM address
// space in layer order from `base`; each layer starts on a multiple of `align` bytes (0 = one
// crossbar row, columns/8 bytes), and its neuron rows follow back to back, neuron o at
// layer_addr + o · row_bytes (row_bytes = 8·⌈fan_in/64⌉, as in the weight image). With the
// default address mapping (column bits lowest, then channel, bank, crossbar, row) consecutive
// crossbar rows of a layer go to consecutive channels, then banks, so a layer read streams over
// every bank. Layers not selected live in error-free SRAM (host memory: no errors, no memory
// time or energy). Thresholds are never in the weight image: they stay in the engine's SRAM.
struct PlacementParams {
  uint64_t rram_layer_mask = ~uint64_t{0};
  uint64_t base = 0;
  uint64_t align = 0;
};

struct LayerPlacement {
  int weight_layer = 0;     // 0, 1, ... over weight layers
  uint64_t image_addr = 0;  // address in the model's weight image (the port's address space)
  uint64_t bytes = 0;
  uint64_t row_bytes = 0;
  uint64_t rows = 0;    // neurons
  uint64_t fan_in = 0;  // weights per neuron (bits of a row past fan_in are padding)
  bool in_rram = false;
  uint64_t rram_addr = 0;  // RRAM byte address (in_rram only)
};

struct Placement {
  std::vector<LayerPlacement> layers;
  uint64_t rram_bytes = 0;  // RRAM bytes spanned (end of the last layer, incl. alignment)
  uint64_t sram_bytes = 0;  // weight bytes in SRAM
};

// Places a model; throws ConfigError naming the model and the capacity when it does not fit.
Placement place_model(const bnn_model* m, const std::string& model_name, const SystemConfig& cfg,
                      const PlacementParams& p);
// The placement as JSON text (for summaries).
std::string placement_to_json(const Placement& pl);

// One piece of a weight-image range as the bridge moves it: the part of an SRAM layer whole, the
// part of an RRAM layer one neuron-row segment at a time (one TLM transaction, one read index).
struct ImageSegment {
  const LayerPlacement* layer;
  uint64_t image_addr;  // start in the weight image
  uint64_t len;         // bytes
  uint64_t rram_addr;   // start in RRAM (layer->in_rram only)
};

// The placement walk, once (the workload bridge and fault replay): [addr, addr + n) of the
// weight image, layers in placement order. fn(const ImageSegment&) returns false to stop the walk
// (walk_image_range then returns false).
template <class F>
bool walk_image_range(const Placement& pl, uint64_t addr, uint64_t n, F&& fn) {
  for (const LayerPlacement& l : pl.layers) {
    const uint64_t lo = addr > l.image_addr ? addr : l.image_addr;
    const uint64_t end = l.image_addr + l.bytes, hi = addr + n < end ? addr + n : end;
    if (lo >= hi) continue;
    if (!l.in_rram) {
      if (!fn(ImageSegment{&l, lo, hi - lo, 0})) return false;
      continue;
    }
    for (uint64_t off = lo - l.image_addr; off < hi - l.image_addr;) {
      const uint64_t row_left = l.row_bytes - off % l.row_bytes, left = hi - l.image_addr - off;
      const uint64_t len = row_left < left ? row_left : left;
      if (!fn(ImageSegment{&l, l.image_addr + off, len, l.rram_addr + off})) return false;
      off += len;
    }
  }
  return true;
}

struct WorkloadParams {
  PlacementParams placement;
  uint32_t weight_reuse = 1;  // images per weight fetch (1: every image reads every row)
  int threads = 1;            // engine compute threads (weight reads stay on the SC thread)
  bnn_kernel kernel = BNN_KERNEL_AUTO;
  size_t stack_bytes = 1u << 20;  // SC_THREAD stack of the initiator (the engine runs on it)
  uint32_t chunk_images = 256;    // images per engine call (progress granularity), rounded to B
  std::function<void(uint64_t done)> progress;  // after each chunk of images
  // Observers attached to the memory before the run (recorders); unset = none.
  AccessObserver access_observer;
  FaultObserver fault_observer;
};

// Where an RRAM byte address and bit belong in the model: weight layer, neuron (row) and weight
// index within the layer (neuron · fan_in + bit-in-row, bit-in-row = 8·(byte in row) + bit;
// -1 for a padding bit past fan_in). False (all -1) for an address outside every RRAM layer.
bool locate_rram_bit(const Placement& pl, uint64_t addr, unsigned bit, int32_t* layer,
                     int64_t* neuron, int64_t* weight);
// Maps an RRAM byte address to the weight image's address space; false if not in an RRAM layer.
bool rram_to_image(const Placement& pl, uint64_t addr, uint64_t* image_addr, int* weight_layer);

struct WorkloadResult {
  std::vector<uint8_t> pred;    // one prediction per image
  Stats programming;            // stats at the end of the programming phase
  Stats total;                  // final stats (programming + inference)
  uint64_t program_end_ps = 0;  // simulated time when the last weight write completed
  uint64_t infer_start_ps = 0, infer_end_ps = 0;
  uint64_t weight_fetches = 0;   // layer fetches through the port (one per layer per block)
  uint64_t sram_bytes_read = 0;  // weight bytes served by SRAM
  Placement placement;
  double wall_seconds = 0;
};

// One timed run in this process (SystemC allows one elaboration per process): builds
// initiator → arbiter → memory, programs the placed weights through the controller, then runs
// the engine over n images (HWC bytes) with every weight read a TLM transaction. Throws Error
// ("<model_name>: <what failed>") if the engine or the memory failed.
WorkloadResult run_bnn_workload(const SystemConfig& cfg, const bnn_model* m,
                                const std::string& model_name, const uint8_t* images, size_t n,
                                const WorkloadParams& wp);

}  // namespace rramsim
