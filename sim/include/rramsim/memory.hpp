// rramsim/memory.hpp — the RRAM memory as a TLM-2.0 target (b_transport, nb_transport, debug).
#pragma once

#include <deque>
#include <systemc>
#include <tlm>
#include <tlm_utils/peq_with_cb_and_phase.h>
#include <tlm_utils/simple_target_socket.h>

#include "rramsim/controller.hpp"

namespace rramsim {

// The target end of the chain initiator → (arbiter) → controller → bank. Data, errors, timing and
// energy all come from the Controller; this module only speaks TLM:
//   b_transport      loosely timed: the delay is annotated arithmetically (no wait()), so an
//                    initiator with a quantum keeper runs without a context switch per request;
//   nb_transport_fw  approximately timed, base protocol: BEGIN_REQ → TLM_UPDATED/END_REQ with
//                    the queue-acceptance delay (back-pressure), then BEGIN_RESP on the
//                    backward path at completion; END_RESP accepted; responses are serialised
//                    per the response exclusion rule;
//   transport_dbg    backdoor loads/stores: no timing, no errors, no counts.
// Any length and address is accepted (split into row segments by the controller); byte enables
// and streaming widths shorter than the length are rejected with the matching response status.
class RramMemory : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<RramMemory> socket;

  RramMemory(sc_core::sc_module_name name, const SystemConfig& cfg);

  Controller& controller() { return ctrl_; }
  const Stats& stats() const { return ctrl_.stats(); }
  // Drains write buffers; call after sc_start() returns, before reading stats.
  void finish() { ctrl_.finish(); }
  void set_access_observer(AccessObserver o) { ctrl_.set_access_observer(o); }
  void set_fault_observer(FaultObserver o) { ctrl_.set_fault_observer(o); }

 private:
  void b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay);
  tlm::tlm_sync_enum nb_transport_fw(tlm::tlm_generic_payload& t, tlm::tlm_phase& ph,
                                     sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& t);
  void peq_cb(tlm::tlm_generic_payload& t, const tlm::tlm_phase& ph);
  // Runs the access; returns absolute accept and done times (ps) or sets an error status.
  bool execute(tlm::tlm_generic_payload& t, uint64_t arrival_ps, uint64_t* accept_ps,
               uint64_t* done_ps);
  void send_response(tlm::tlm_generic_payload& t);

  Controller ctrl_;
  tlm_utils::peq_with_cb_and_phase<RramMemory> peq_;
  std::deque<tlm::tlm_generic_payload*> resp_queue_;
  tlm::tlm_generic_payload* resp_in_progress_ = nullptr;
};

// Time conversion: the model works in integer picoseconds; SystemC's default resolution is 1 ps.
inline uint64_t to_ps(const sc_core::sc_time& t) {
  return t.value();
}
inline sc_core::sc_time from_ps(uint64_t ps) {
  return sc_core::sc_time::from_value(ps);
}

}  // namespace rramsim
