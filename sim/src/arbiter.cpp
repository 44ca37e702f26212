// arbiter.cpp — several initiators onto one memory socket; nb requests serialised, responses
// routed.
#include "rramsim/arbiter.hpp"

namespace rramsim {

using namespace sc_core;
using namespace tlm;

Arbiter::Arbiter(sc_module_name name)
    : sc_module(name), targets("targets"), memory("memory"), req_free_(SC_ZERO_TIME) {
  targets.register_b_transport(this, &Arbiter::b_transport);
  targets.register_nb_transport_fw(this, &Arbiter::nb_transport_fw);
  targets.register_transport_dbg(this, &Arbiter::transport_dbg);
  targets.register_get_direct_mem_ptr(this, &Arbiter::get_direct_mem_ptr);
  memory.register_nb_transport_bw(this, &Arbiter::nb_transport_bw);
}

void Arbiter::b_transport(int, tlm_generic_payload& t, sc_time& delay) {
  memory->b_transport(t, delay);
}

unsigned int Arbiter::transport_dbg(int, tlm_generic_payload& t) {
  return memory->transport_dbg(t);
}

bool Arbiter::get_direct_mem_ptr(int, tlm_generic_payload& t, tlm_dmi& dmi) {
  return memory->get_direct_mem_ptr(t, dmi);  // the memory refuses, naming its range
}

tlm_sync_enum Arbiter::nb_transport_fw(int id, tlm_generic_payload& t, tlm_phase& ph,
                                       sc_time& delay) {
  if (ph == BEGIN_REQ) {
    // Request exclusion towards the memory: begin no earlier than the last END_REQ.
    const sc_time now = sc_time_stamp();
    if (now + delay < req_free_) delay = req_free_ - now;
    route_[&t] = id;
    tlm_sync_enum s = memory->nb_transport_fw(t, ph, delay);
    if (s == TLM_UPDATED && ph == END_REQ) req_free_ = now + delay;
    if (s == TLM_COMPLETED) route_.erase(&t);
    return s;
  }
  if (ph == END_RESP) route_.erase(&t);
  return memory->nb_transport_fw(t, ph, delay);
}

tlm_sync_enum Arbiter::nb_transport_bw(tlm_generic_payload& t, tlm_phase& ph, sc_time& delay) {
  auto it = route_.find(&t);
  if (it == route_.end()) {
    SC_REPORT_ERROR("rramsim", "Arbiter: backward call for an unknown transaction");
    return TLM_COMPLETED;
  }
  const int id = it->second;
  tlm_sync_enum s = targets[id]->nb_transport_bw(t, ph, delay);
  if (s == TLM_COMPLETED || (s == TLM_UPDATED && ph == END_RESP)) route_.erase(&t);
  return s;
}

}  // namespace rramsim
