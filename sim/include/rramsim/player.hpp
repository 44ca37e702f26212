// rramsim/player.hpp — the trace player: an initiator that replays access traces (STL, RSTL,
// binary .rrt, optionally .gz) against any memory configuration, and one-call replay runs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "rramsim/initiator.hpp"
#include "rramsim/memory.hpp"
#include "rrtrace/trace.h"  // rrt_source, rrt_request, rrt_address_map

namespace rramsim {

struct ReplayParams {
  std::string trace;             // .stl, .rstl, .rrt (each optionally + .gz)
  bool skip_bad = false;         // text traces: count and skip malformed lines
  uint32_t default_length = 64;  // STL records with neither "(n)" nor data
  uint64_t clock_ps = 0;         // trace clock period; 0 = clock_mhz or the header's clock_ps
  uint32_t clock_mhz = 0;        // trace clock frequency (DRAMSys clkMhz); 0 = see clock_ps
  // Accesses beyond the capacity: error (default), wrap (modulo) or mask (DRAMSys).
  rrt_address_map address_map = RRT_ADDRESS_ERROR;
  double quantum_ns = 10000.0;  // LT: global quantum of the quantum keeper
  bool nb = false;              // nb_transport (approximately timed) instead of b_transport
  unsigned outstanding = 64;    // nb: requests in flight at most (absolute timing)
  // Writes without recorded data store bytes drawn from (seed, record index), so energy and
  // errors see realistic bit patterns; this seed (normally the system seed).
  uint64_t data_seed = 1;
  // Called every progress_every records with the number replayed and the trace bytes consumed.
  std::function<void(uint64_t records, uint64_t input_bytes)> progress;
  uint64_t progress_every = 1u << 16;
  // Called once, before the run, with the trace's warning (e.g. recorded with another config),
  // so the caller can show it even if the replay then fails.
  std::function<void(const std::string& warning)> on_warning;
};

// Issues each record of the source, in order:
//   absolute timing (.stl; .rrt with flag 0): at the recorded time, or — if the player is
//     behind — as soon as it can (as DRAMSys's player). Loosely timed (b_transport, quantum
//     keeper, the default): "as soon as it can" = at the previous issue time; the memory's
//     queues model acceptance and back-pressure inside the annotated delay. Approximately timed
//     (nb): after the memory accepted the previous request (END_REQ), with up to `outstanding`
//     requests in flight;
//   relative timing (.rstl; .rrt with flag 1): the recorded delay after the previous request
//     was issued (DRAMSys 5's StlPlayer), in both modes; nb: not before the previous END_REQ.
// A read/format/capacity error stops the simulation; error() names the file and line/record.
class TracePlayer : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<TracePlayer> socket;

  // src stays owned by the caller and must outlive the simulation.
  TracePlayer(sc_core::sc_module_name name, rrt_source* src, const ReplayParams& p);
  uint64_t records() const { return records_; }
  uint64_t failed() const { return failed_ + at_.failed(); }
  const std::string& error() const { return error_; }

 private:
  void run();
  void run_lt();
  void run_at();
  // *issue_ps = when q asks to be issued: relative timing, its delay after previous_ps; absolute,
  // its recorded time. False, with error_ naming the record, past the simulator's time range.
  bool request_time(const rrt_request& q, uint64_t previous_ps, uint64_t* issue_ps);
  // Next request from the source; false at the end or on error (error_ set).
  bool next(rrt_request* q);
  // Fills payload t for access a (record index records_) using buf as its data buffer.
  void prepare(tlm::tlm_generic_payload& t, const rrt_access& a, std::vector<uint8_t>& buf);
  tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload& t, tlm::tlm_phase& ph,
                                     sc_core::sc_time& delay);

  rrt_source* src_;
  ReplayParams p_;
  uint64_t records_ = 0;
  uint64_t failed_ = 0;  // LT: answered with an error status (nb: at_.failed())
  std::string error_;
  // nb: payloads in flight, a data buffer per payload slot
  AtRequests at_;
  std::vector<std::vector<uint8_t>> bufs_;
  uint64_t last_issue_ = 0;  // nb: BEGIN_REQ time of the previous request (ps)
};

struct ReplayOutput {
  Stats stats;
  double wall_seconds = 0;
  uint64_t records = 0;      // records replayed
  uint64_t failed = 0;       // requests answered with an error status
  uint64_t bad_lines = 0;    // malformed lines skipped (skip_bad)
  uint64_t clock_ps = 0;     // trace clock used (rounded to ps when given in MHz)
  uint32_t clock_mhz = 0;    // the clock in MHz when given so
  uint64_t mapped = 0;       // accesses mapped into the capacity (address_map wrap/mask)
  std::string first_mapped;  // where the first was (file:line)
  bool relative = false;     // timing of the trace
  std::string warning;       // "" or e.g. the trace was recorded with another config
};

// One replay in this process (one SystemC elaboration per process): opens the trace (clock,
// capacity of cfg, config-hash warning) before elaboration, then builds player → arbiter →
// memory and runs it to the end of the trace. Throws Error (the trace cannot be opened, or a
// read/format/capacity error stopped the replay: file and line or record named).
ReplayOutput run_replay(const SystemConfig& cfg, const ReplayParams& p, AccessObserver access = {},
                        FaultObserver fault = {});

}  // namespace rramsim
