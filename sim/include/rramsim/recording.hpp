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

// What both recorders share: the trace file being written (under a temporary name until close),
// the first error met while recording (kept, since an observer must not throw into the
// simulation), and the number of records written. Usage (open before sc_start, close after it):
//   AccessRecorder rec;
//   rec.open(path, cfg, params);                    // throws Error
//   memory.set_access_observer(rec.observer());
//   ... sc_start(); memory.finish();
//   rec.close();                                    // throws Error; nothing is left at path then
class Recorder {
 public:
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Finishes the file and renames it into place; throws Error with the first error (also one met
  // while recording, e.g. a full disk), in which case nothing is left at the path.
  void close();
  void abort();  // drops the file, if one is open
  uint64_t records() const;

  struct Impl;

 protected:
  explicit Recorder(std::unique_ptr<Impl> im);
  ~Recorder();  // aborts (removes the temporary file) if not closed
  std::unique_ptr<Impl> im_;
};

// Records every access that reaches the memory, as it arrives, into an access trace whose format
// follows the name (.stl, .rstl, .rrt, each optionally + .gz). The header carries tool,
// config_hash(cfg), seed and clock. Writes carry their data (so a replay stores the same bits
// and draws the same errors); reads carry theirs only with read_data.
//   absolute formats (.stl, .rrt):  cycle = arrival time / clock_ps
//   relative (.rstl):               delay = (arrival − previous arrival) / clock_ps, 0 if it
//                                   arrived before its predecessor (DRAMSys 5 semantics: the
//                                   player waits the delay after the previous issue)
class AccessRecorder : public Recorder {
 public:
  AccessRecorder();

  // Throws Error: one line naming the file and the problem.
  void open(const std::string& path, const SystemConfig& cfg, const RecordParams& p);
  AccessObserver observer();
};

// Where a faulty bit belongs in the workload (layer, neuron, weight index), if the caller knows:
// set by the BNN workload, which knows its weight layout. Return false for "unknown" (-1s).
using FaultLocatorFn = bool (*)(void* ud, uint64_t addr, unsigned bit, int32_t* layer,
                                int64_t* neuron, int64_t* weight);

// Records every injected fault (FaultObserver) into a fault-trace CSV (.csv, .csv.gz): time,
// address, bit, kind, old and new value, read index for read faults, and layer/neuron/weight when
// a locator is set. Same open / observer / close protocol as AccessRecorder.
class FaultRecorder : public Recorder {
 public:
  FaultRecorder();

  void open(const std::string& path, const SystemConfig& cfg, const RecordParams& p);
  void set_locator(FaultLocatorFn fn, void* ud);
  FaultObserver observer();
};

}  // namespace rramsim
