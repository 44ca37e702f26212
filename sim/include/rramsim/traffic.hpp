// rramsim/traffic.hpp — the traffic generator initiator, and one-call simulation runs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "rramsim/initiator.hpp"
#include "rramsim/memory.hpp"

namespace rramsim {

enum class Pattern { Random, Sequential, Strided };
const char* pattern_name(Pattern p);
bool parse_pattern(const std::string& s, Pattern* out);

struct TrafficParams {
  Pattern pattern = Pattern::Random;
  uint64_t requests = 100000;
  double read_ratio = 1.0;      // fraction of reads; the rest are writes
  uint32_t size = 64;           // bytes per request
  uint64_t stride = 4096;       // strided: address step, bytes
  uint64_t base = 0;            // first address
  uint64_t span = 0;            // address range used; 0 = the whole memory from base
  uint64_t seed = 1;            // traffic seed (addresses, read/write choice, write data)
  unsigned outstanding = 1;     // closed loop: requests in flight
  double interval_ns = 0.0;     // open loop: minimum time between issues (0 = back to back)
  bool nb = false;              // nb_transport (AT) instead of b_transport (LT)
  double quantum_ns = 10000.0;  // LT: global quantum of the quantum keeper
  // Called every progress_every requests with the number done (from the simulation thread).
  std::function<void(uint64_t)> progress;
  uint64_t progress_every = 1u << 16;
};

// Drives a target socket with synthetic traffic. LT mode issues b_transport calls back to back
// under a tlm_quantumkeeper; `outstanding` in-flight requests are modelled arithmetically
// (request i is issued no earlier than the completion of request i − outstanding). AT mode keeps
// `outstanding` transactions in flight over nb_transport, honouring END_REQ back-pressure.
class TrafficGenerator : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<TrafficGenerator> socket;

  TrafficGenerator(sc_core::sc_module_name name, const TrafficParams& p, uint64_t capacity);
  uint64_t issued() const { return issued_; }
  uint64_t completed() const { return issued_ - at_.in_flight(); }
  uint64_t failed() const { return failed_ + at_.failed(); }

 private:
  void run();
  void run_lt();
  void run_at();
  void prepare(tlm::tlm_generic_payload& t, uint64_t i, uint8_t* buf);
  tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload& t, tlm::tlm_phase& ph,
                                     sc_core::sc_time& delay);

  TrafficParams p_;
  uint64_t capacity_, span_;
  uint64_t issued_ = 0;
  uint64_t failed_ = 0;           // LT: answered with an error status (AT: at_.failed())
  std::vector<uint8_t> buffers_;  // one request's data per slot
  AtRequests at_;                 // AT: payloads in flight
};

// One simulation in this process (SystemC allows one elaboration per process): builds the
// memory and the generator, runs to completion and returns the final stats.
struct RunOutput {
  Stats stats;
  double wall_seconds = 0;
  uint64_t failed = 0;  // requests answered with an error status
};
RunOutput run_traffic(const SystemConfig& cfg, const TrafficParams& tp, AccessObserver access = {},
                      FaultObserver fault = {});

// Silences the SystemC banner; call before the first SystemC object is built.
void quiet_systemc();

// sc_start() to completion; returns the wall-clock seconds it took. Use it instead of a bare
// sc_start() wherever code may throw after the simulation: under AddressSanitizer it hands ASan
// back the calling thread's stack (SystemC 2.3.4 annotates its coroutine switches but leaves ASan
// holding a coroutine's stack bounds once the last process ends, so an exception thrown afterwards
// reports false stack errors while unwinding). Without ASan it is sc_start() and a clock.
double run_to_completion();

}  // namespace rramsim
