// rramsim/recording.hpp — access and fault trace recorders that hang off the memory's observers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "rramsim/config.hpp"
#include "rramsim/error.hpp"
#include "rramsim/observers.hpp"

namespace rramsim {

struct RecordParams {
  std::string tool;        // provenance "tool", e.g. "rramsim 0.1.0+g1234abc"
  uint64_t clock_ps = 1;   // access traces: period of one trace cycle; 1 = exact picoseconds
  int gzip_level = 0;      // ".gz" names: 1..9; 0 = libtrace's default (1, fast)
  bool read_data = false;  // access traces: also record the data each read returned
  std::string model_id;    // fault traces: identity of the BNN model; "" = none
};

// Records every access that reaches the memory, as it arrives, into an access trace whose format
// follows the name (.stl, .rstl, .rrt, each optionally + .gz). The header carries tool,
// config_hash(cfg), seed and clock. Writes carry their data (so a replay stores the same bits
// and draws the same errors); reads carry theirs only with read_data.
//   absolute formats (.stl, .rrt):  cycle = arrival time / clock_ps
//   relative (.rstl):               delay = (arrival − previous arrival) / clock_ps, 0 if it
//                                   arrived before its predecessor (DRAMSys 5 semantics: the
//                                   player waits the delay after the previous issue)
// Usage (one call each, before sc_start; close after it):
//   AccessRecorder rec;
//   if (auto e = rec.open(path, cfg, params); !e.empty()) fail(e);
//   memory.set_access_observer(rec.observer());
//   ... sc_start(); memory.finish();
//   if (auto e = rec.close(); !e.empty()) fail(e);        // nothing is left at path on error
class AccessRecorder {
 public:
  AccessRecorder();
  ~AccessRecorder();  // aborts (removes the temporary file) if not closed
  AccessRecorder(const AccessRecorder&) = delete;
  AccessRecorder& operator=(const AccessRecorder&) = delete;

  // Throws Error: one line naming the file and the problem.
  void open(const std::string& path, const SystemConfig& cfg, const RecordParams& p);
  AccessObserver observer();
  // Finishes the file and renames it into place; throws Error with the first error (also one met
  // while recording, e.g. a full disk), in which case nothing is left at the path.
  void close();
  void abort();
  uint64_t records() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> im_;
};

// Where a faulty bit belongs in the workload (layer, neuron, weight index), if the caller knows:
// set by the BNN workload, which knows its weight layout. Return false for "unknown" (-1s).
using FaultLocatorFn = bool (*)(void* ud, uint64_t addr, unsigned bit, int32_t* layer,
                                int64_t* neuron, int64_t* weight);

// Records every injected fault (FaultObserver) into a fault-trace CSV (.csv, .csv.gz): time,
// address, bit, kind, old and new value, read index for read faults, and layer/neuron/weight when
// a locator is set. Same open / observer / close protocol as AccessRecorder.
class FaultRecorder {
 public:
  FaultRecorder();
  ~FaultRecorder();
  FaultRecorder(const FaultRecorder&) = delete;
  FaultRecorder& operator=(const FaultRecorder&) = delete;

  void open(const std::string& path, const SystemConfig& cfg, const RecordParams& p);
  void set_locator(FaultLocatorFn fn, void* ud);
  FaultObserver observer();
  void close();
  void abort();
  uint64_t records() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> im_;
};

}  // namespace rramsim
