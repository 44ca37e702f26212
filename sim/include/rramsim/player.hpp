// rramsim/player.hpp — the trace player: an initiator that replays access traces (STL, RSTL,
// binary .rrt, optionally .gz) against any memory configuration, and one-call replay runs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "rramsim/memory.hpp"

struct rrt_source;  // libtrace's request source (rrtrace/trace.h)

namespace rramsim {

struct ReplayParams {
  std::string trace;              // .stl, .rstl, .rrt (each optionally + .gz)
  bool skip_bad = false;          // text traces: count and skip malformed lines
  uint32_t default_length = 64;   // STL records with neither "(n)" nor data
  uint64_t clock_ps = 0;          // trace clock period; 0 = the trace header's clock_ps
  double quantum_ns = 10000.0;    // global quantum of the quantum keeper
  // Writes without recorded data store bytes drawn from (seed, record index), so energy and
  // errors see realistic bit patterns; this seed (normally the system seed).
  uint64_t data_seed = 1;
  // Called every progress_every records with the number replayed and the trace bytes consumed.
  std::function<void(uint64_t records, uint64_t input_bytes)> progress;
  uint64_t progress_every = 1u << 16;
};

// Issues each record of the source as a b_transport (loosely timed, quantum keeper):
//   absolute timing (.stl; .rrt with flag 0): at the recorded time, or — if the player is
//     behind, i.e. the record is earlier than the previous issue — at once (as DRAMSys's
//     player). Requests are not serialised by their completions: the memory's queues model
//     acceptance and back-pressure (a request that finds its channel queue full is accepted
//     when a slot frees; the latency shows it);
//   relative timing (.rstl; .rrt with flag 1): the recorded delay after the previous request
//     completed (DRAMSys semantics).
// A read/format/capacity error stops the simulation; error() names the file and line/record.
class TracePlayer : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<TracePlayer> socket;

  // src stays owned by the caller and must outlive the simulation.
  TracePlayer(sc_core::sc_module_name name, rrt_source* src, const ReplayParams& p);
  uint64_t records() const { return records_; }
  uint64_t failed() const { return failed_; }
  const std::string& error() const { return error_; }

 private:
  void run();
  tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload& t, tlm::tlm_phase& ph,
                                     sc_core::sc_time& delay);

  rrt_source* src_;
  ReplayParams p_;
  uint64_t records_ = 0, failed_ = 0;
  std::string error_;
};

struct ReplayOutput {
  Stats stats;
  double wall_seconds = 0;
  uint64_t records = 0;    // records replayed
  uint64_t failed = 0;     // requests answered with an error status
  uint64_t bad_lines = 0;  // malformed lines skipped (skip_bad)
  uint64_t clock_ps = 0;   // trace clock used
  bool relative = false;   // timing of the trace
  std::string warning;     // "" or e.g. the trace was recorded with another config
  std::string error;       // "" or why the replay failed (stats are then incomplete)
};

// One replay in this process (one SystemC elaboration per process): opens the trace (clock,
// capacity of cfg, config-hash warning) before elaboration, then builds player → arbiter →
// memory and runs it to the end of the trace.
ReplayOutput run_replay(const SystemConfig& cfg, const ReplayParams& p, AccessObserver access = {},
                        FaultObserver fault = {});

}  // namespace rramsim
