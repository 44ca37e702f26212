// memory.cpp — TLM-2.0 target: LT b_transport, AT nb_transport via a PEQ, backdoor transport_dbg.
#include "rramsim/memory.hpp"

namespace rramsim {

using namespace sc_core;
using namespace tlm;

RramMemory::RramMemory(sc_module_name name, const SystemConfig& cfg)
    : sc_module(name), socket("socket"), ctrl_(cfg), peq_(this, &RramMemory::peq_cb) {
  if (sc_get_time_resolution() != sc_time(1, SC_PS))
    SC_REPORT_ERROR("rramsim", "RramMemory needs the SystemC time resolution at 1 ps");
  socket.register_b_transport(this, &RramMemory::b_transport);
  socket.register_nb_transport_fw(this, &RramMemory::nb_transport_fw);
  socket.register_transport_dbg(this, &RramMemory::transport_dbg);
}

bool RramMemory::execute(tlm_generic_payload& t, uint64_t arrival_ps, uint64_t* accept_ps,
                         uint64_t* done_ps) {
  *accept_ps = *done_ps = arrival_ps;
  if (t.get_byte_enable_ptr()) {
    t.set_response_status(TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return false;
  }
  if (t.get_streaming_width() < t.get_data_length()) {
    t.set_response_status(TLM_BURST_ERROR_RESPONSE);
    return false;
  }
  Cmd cmd;
  switch (t.get_command()) {
    case TLM_READ_COMMAND:
      cmd = Cmd::Read;
      break;
    case TLM_WRITE_COMMAND:
      cmd = Cmd::Write;
      break;
    default:
      t.set_response_status(TLM_OK_RESPONSE);
      return true;
  }
  Controller::Result r =
      ctrl_.access(cmd, t.get_address(), t.get_data_ptr(), t.get_data_length(), arrival_ps);
  if (!r.ok) {
    t.set_response_status(TLM_ADDRESS_ERROR_RESPONSE);
    return false;
  }
  *accept_ps = r.accept_ps;
  *done_ps = r.done_ps;
  t.set_dmi_allowed(false);  // reads have side effects (errors, timing): no DMI
  t.set_response_status(TLM_OK_RESPONSE);
  return true;
}

void RramMemory::b_transport(tlm_generic_payload& t, sc_time& delay) {
  const uint64_t now = to_ps(sc_time_stamp());
  const uint64_t arrival = now + to_ps(delay);
  uint64_t accept, done;
  execute(t, arrival, &accept, &done);
  delay = from_ps(done - now);
}

tlm_sync_enum RramMemory::nb_transport_fw(tlm_generic_payload& t, tlm_phase& ph, sc_time& delay) {
  const uint64_t now = to_ps(sc_time_stamp());
  if (ph == BEGIN_REQ) {
    const uint64_t arrival = now + to_ps(delay);
    uint64_t accept, done;
    execute(t, arrival, &accept, &done);
    if (t.has_mm()) t.acquire();
    peq_.notify(t, BEGIN_RESP, from_ps(done - now));
    ph = END_REQ;
    delay = from_ps(accept - now);
    return TLM_UPDATED;
  }
  if (ph == END_RESP) {
    if (&t == resp_in_progress_) {
      resp_in_progress_ = nullptr;
      if (t.has_mm()) t.release();
      if (!resp_queue_.empty()) {
        tlm_generic_payload* next = resp_queue_.front();
        resp_queue_.pop_front();
        send_response(*next);
      }
    }
    return TLM_COMPLETED;
  }
  SC_REPORT_ERROR("rramsim", "nb_transport_fw: unexpected phase");
  return TLM_COMPLETED;
}

void RramMemory::peq_cb(tlm_generic_payload& t, const tlm_phase& ph) {
  if (ph != BEGIN_RESP) return;
  if (resp_in_progress_)
    resp_queue_.push_back(&t);  // response exclusion rule
  else
    send_response(t);
}

void RramMemory::send_response(tlm_generic_payload& t) {
  // Loop instead of recursing: responses the initiator completes at once free the channel.
  tlm_generic_payload* cur = &t;
  for (;;) {
    tlm_phase ph = BEGIN_RESP;
    sc_time d = SC_ZERO_TIME;
    tlm_sync_enum s = socket->nb_transport_bw(*cur, ph, d);
    if (s == TLM_ACCEPTED || (s == TLM_UPDATED && ph == BEGIN_RESP)) {
      resp_in_progress_ = cur;  // END_RESP will come on the forward path
      return;
    }
    if (cur->has_mm()) cur->release();
    if (resp_queue_.empty()) return;
    cur = resp_queue_.front();
    resp_queue_.pop_front();
  }
}

unsigned int RramMemory::transport_dbg(tlm_generic_payload& t) {
  Cmd cmd;
  if (t.get_command() == TLM_READ_COMMAND)
    cmd = Cmd::Read;
  else if (t.get_command() == TLM_WRITE_COMMAND)
    cmd = Cmd::Write;
  else
    return 0;
  if (!ctrl_.debug(cmd, t.get_address(), t.get_data_ptr(), t.get_data_length())) {
    t.set_response_status(TLM_ADDRESS_ERROR_RESPONSE);
    return 0;
  }
  t.set_response_status(TLM_OK_RESPONSE);
  return t.get_data_length();
}

}  // namespace rramsim
