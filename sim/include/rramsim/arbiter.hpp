// rramsim/arbiter.hpp — joins several TLM initiators (traffic generator, BNN engine) onto the
// memory's single target socket: the "arbiter" of the chain initiator → arbiter → controller.
#pragma once

#include <unordered_map>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>

namespace rramsim {

// b_transport, transport_dbg and DMI requests pass straight through (the memory's per-channel
// queues do the arbitration in time). nb_transport: BEGIN_REQs from different initiators are
// serialised on the memory side — a request is annotated to begin no earlier than the previous
// END_REQ — and each BEGIN_RESP is routed back to the initiator that sent the transaction.
class Arbiter : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Arbiter> targets;  // initiators bind here
  tlm_utils::simple_initiator_socket<Arbiter> memory;           // binds to RramMemory::socket

  explicit Arbiter(sc_core::sc_module_name name);

 private:
  void b_transport(int id, tlm::tlm_generic_payload& t, sc_core::sc_time& delay);
  tlm::tlm_sync_enum nb_transport_fw(int id, tlm::tlm_generic_payload& t, tlm::tlm_phase& ph,
                                     sc_core::sc_time& delay);
  unsigned int transport_dbg(int id, tlm::tlm_generic_payload& t);
  bool get_direct_mem_ptr(int id, tlm::tlm_generic_payload& t, tlm::tlm_dmi& dmi);
  tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload& t, tlm::tlm_phase& ph,
                                     sc_core::sc_time& delay);

  std::unordered_map<tlm::tlm_generic_payload*, int> route_;  // in-flight nb transactions
  sc_core::sc_time req_free_;  // the memory's request channel is busy until then
};

}  // namespace rramsim
