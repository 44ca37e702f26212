// tlm_checker.hpp — a TLM-2.0 base-protocol checker for the tests: a pass-through module put on
// one hop (initiator → checker → target) that records every violation of the base protocol
// (IEEE 1666-2011 §14–15) it sees, in call order and in simulated time, and lets the test
// assert there were none.
//
// Checked on nb_transport: phase sequence per transaction (BEGIN_REQ → END_REQ → BEGIN_RESP →
// END_RESP, with the implicit phases of TLM_UPDATED/TLM_COMPLETED and of an early BEGIN_RESP);
// request exclusion (no BEGIN_REQ before the previous END_REQ, in call order and in time);
// response exclusion (no BEGIN_RESP while a response is in progress, nor before the END_RESP
// time of the previous one); phase times non-decreasing within a transaction; the target answers
// END_RESP with TLM_COMPLETED, END_REQ/BEGIN_RESP on the wrong path are errors; ignorable phases
// are answered TLM_ACCEPTED on both paths. On every transport: the response status is
// TLM_INCOMPLETE_RESPONSE on the way in and set on the way back; a write's data array and a
// masked read's disabled bytes are left unchanged; streaming width and byte-enable length are
// valid; a transaction is not started twice nor used by b_transport while nb is in flight.
// finish() reports transactions that never completed.
#pragma once

#include <cstring>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

namespace simtest {

class ProtocolChecker : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<ProtocolChecker> target;        // the initiator binds here
  tlm_utils::simple_initiator_socket<ProtocolChecker> initiator;  // binds to the target
  std::vector<std::string> violations;
  uint64_t b_calls = 0, nb_transactions = 0, ignorable_phases = 0;

  explicit ProtocolChecker(sc_core::sc_module_name n)
      : sc_module(n), target("target"), initiator("initiator") {
    target.register_b_transport(this, &ProtocolChecker::b_transport);
    target.register_nb_transport_fw(this, &ProtocolChecker::nb_fw);
    target.register_transport_dbg(this, &ProtocolChecker::dbg);
    target.register_get_direct_mem_ptr(this, &ProtocolChecker::dmi);
    initiator.register_nb_transport_bw(this, &ProtocolChecker::nb_bw);
  }

  // Call after sc_start(): every nb transaction must have completed.
  void finish() {
    for (const auto& kv : live_) fail(kv.first, "never completed (stage " + stage(kv.second) + ")");
  }
  std::string report() const {
    std::string s;
    for (const auto& v : violations) s += v + "\n";
    return s;
  }

 private:
  enum Stage { kReq, kReqDone, kResp };
  struct Txn {
    Stage st = kReq;
    sc_core::sc_time begin_req, end_req, begin_resp;
    std::vector<uint8_t> snapshot;  // data at BEGIN_REQ (writes, masked reads)
  };
  static std::string stage(const Txn& x) {
    return x.st == kReq ? "request" : x.st == kReqDone ? "END_REQ done" : "response";
  }

  void fail(const tlm::tlm_generic_payload* t, const std::string& what) {
    std::ostringstream o;
    o << name() << " @" << sc_core::sc_time_stamp() << " txn " << t << ": " << what;
    violations.push_back(o.str());
  }
  static std::string str(const sc_core::sc_time& t) { return t.to_string(); }

  void check_payload_in(tlm::tlm_generic_payload& t, std::vector<uint8_t>* snap) {
    if (t.get_response_status() != tlm::TLM_INCOMPLETE_RESPONSE)
      fail(&t, "response status not TLM_INCOMPLETE_RESPONSE on the way in");
    if (t.get_data_length() > 0 && !t.get_data_ptr()) fail(&t, "null data pointer");
    if (t.get_streaming_width() == 0) fail(&t, "streaming width 0");
    if (t.get_byte_enable_ptr() && t.get_byte_enable_length() == 0)
      fail(&t, "byte enable pointer with length 0");
    if (t.get_data_ptr() && (t.is_write() || t.get_byte_enable_ptr()))
      snap->assign(t.get_data_ptr(), t.get_data_ptr() + t.get_data_length());
  }
  void check_payload_out(tlm::tlm_generic_payload& t, const std::vector<uint8_t>& snap) {
    if (t.get_response_status() == tlm::TLM_INCOMPLETE_RESPONSE)
      fail(&t, "response status still TLM_INCOMPLETE_RESPONSE in the response");
    if (snap.empty() || !t.get_data_ptr()) return;
    const uint8_t* be = t.get_byte_enable_ptr();
    const unsigned be_len = t.get_byte_enable_length();
    for (size_t i = 0; i < snap.size(); ++i) {
      const uint8_t keep = t.is_write()   ? 0xff
                           : be && be_len ? static_cast<uint8_t>(~be[i % be_len])
                                          : 0;
      if ((t.get_data_ptr()[i] ^ snap[i]) & keep) {
        fail(&t, t.is_write() ? "the target modified a write's data array"
                              : "the target modified a disabled byte of a masked read");
        return;
      }
    }
  }

  void b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& d) {
    ++b_calls;
    if (live_.count(&t)) fail(&t, "b_transport on a transaction in flight on nb_transport");
    std::vector<uint8_t> snap;
    check_payload_in(t, &snap);
    initiator->b_transport(t, d);
    check_payload_out(t, snap);
  }

  void end_req(tlm::tlm_generic_payload& t, Txn& x, const sc_core::sc_time& at) {
    if (at < x.begin_req)
      fail(&t, "END_REQ at " + str(at) + " before BEGIN_REQ at " + str(x.begin_req));
    x.st = kReqDone;
    x.end_req = at;
    if (req_ == &t) req_ = nullptr;
    req_free_ = at;
  }
  void begin_resp(tlm::tlm_generic_payload& t, Txn& x, const sc_core::sc_time& at) {
    if (x.st == kResp) fail(&t, "second BEGIN_RESP");
    if (x.st == kReq) end_req(t, x, at);  // BEGIN_RESP implies END_REQ
    if (at < x.end_req)
      fail(&t, "BEGIN_RESP at " + str(at) + " before END_REQ at " + str(x.end_req));
    if (resp_ && resp_ != &t)
      fail(&t, "response exclusion: BEGIN_RESP while another response awaits END_RESP");
    if (at < resp_free_)
      fail(&t, "response exclusion: BEGIN_RESP at " + str(at) +
                   " before the previous response's END_RESP at " + str(resp_free_));
    check_payload_out(t, x.snapshot);
    x.st = kResp;
    x.begin_resp = at;
    resp_ = &t;
  }
  void end_resp(tlm::tlm_generic_payload& t, Txn& x, const sc_core::sc_time& at) {
    if (x.st != kResp) fail(&t, "END_RESP before BEGIN_RESP");
    if (at < x.begin_resp)
      fail(&t, "END_RESP at " + str(at) + " before BEGIN_RESP at " + str(x.begin_resp));
    resp_free_ = at;
    if (resp_ == &t) resp_ = nullptr;
    live_.erase(&t);
  }

  tlm::tlm_sync_enum nb_fw(tlm::tlm_generic_payload& t, tlm::tlm_phase& ph, sc_core::sc_time& d) {
    const sc_core::sc_time now = sc_core::sc_time_stamp(), at = now + d;
    const tlm::tlm_phase in = ph;
    if (in == tlm::BEGIN_REQ) {
      ++nb_transactions;
      if (live_.count(&t)) fail(&t, "BEGIN_REQ for a transaction already in flight");
      if (req_) fail(&t, "request exclusion: BEGIN_REQ while another request awaits END_REQ");
      if (at < req_free_)
        fail(&t, "request exclusion: BEGIN_REQ at " + str(at) + " before the previous END_REQ at " +
                     str(req_free_));
      Txn& x = live_[&t];
      x = Txn();
      x.begin_req = at;
      check_payload_in(t, &x.snapshot);
      req_ = &t;
    } else if (in == tlm::END_RESP) {
      auto it = live_.find(&t);
      if (it == live_.end() || it->second.st != kResp || resp_ != &t)
        fail(&t, "END_RESP without a response in progress");
    } else if (in == tlm::END_REQ || in == tlm::BEGIN_RESP) {
      fail(&t, std::string(in.get_name()) + " on the forward path");
    } else {
      ++ignorable_phases;
    }
    const tlm::tlm_sync_enum s = initiator->nb_transport_fw(t, ph, d);
    const sc_core::sc_time back = now + d;
    auto xt = live_.find(&t);
    if (in == tlm::BEGIN_REQ && xt != live_.end()) {
      Txn& x = xt->second;
      if (s == tlm::TLM_UPDATED && ph == tlm::END_REQ) {
        end_req(t, x, back);
      } else if (s == tlm::TLM_UPDATED && ph == tlm::BEGIN_RESP) {
        begin_resp(t, x, back);
      } else if (s == tlm::TLM_COMPLETED) {
        begin_resp(t, x, back);
        end_resp(t, x, back);
      } else if (s == tlm::TLM_UPDATED) {
        fail(&t, std::string("BEGIN_REQ answered TLM_UPDATED with ") + ph.get_name());
      }
      if (back < at) fail(&t, "the target moved the request back in time");
    } else if (in == tlm::END_RESP) {
      if (s != tlm::TLM_COMPLETED) fail(&t, "END_RESP not answered TLM_COMPLETED");
      if (xt != live_.end()) end_resp(t, xt->second, at);
    } else if (in != tlm::BEGIN_REQ && in != tlm::END_REQ && in != tlm::BEGIN_RESP) {
      if (s != tlm::TLM_ACCEPTED || ph != in)
        fail(&t, std::string("ignorable phase ") + in.get_name() + " not answered TLM_ACCEPTED");
    }
    return s;
  }

  tlm::tlm_sync_enum nb_bw(tlm::tlm_generic_payload& t, tlm::tlm_phase& ph, sc_core::sc_time& d) {
    const sc_core::sc_time now = sc_core::sc_time_stamp(), at = now + d;
    const tlm::tlm_phase in = ph;
    auto it = live_.find(&t);
    const bool known = it != live_.end();
    if (in == tlm::END_REQ) {
      if (!known || it->second.st != kReq || req_ != &t)
        fail(&t, "END_REQ without a request in progress");
      else
        end_req(t, it->second, at);
    } else if (in == tlm::BEGIN_RESP) {
      if (!known)
        fail(&t, "BEGIN_RESP for an unknown transaction");
      else
        begin_resp(t, it->second, at);
    } else if (in == tlm::BEGIN_REQ || in == tlm::END_RESP) {
      fail(&t, std::string(in.get_name()) + " on the backward path");
    } else {
      ++ignorable_phases;
    }
    const tlm::tlm_sync_enum s = target->nb_transport_bw(t, ph, d);
    const sc_core::sc_time back = now + d;
    if (in == tlm::BEGIN_RESP && known) {
      it = live_.find(&t);
      if (s == tlm::TLM_COMPLETED || (s == tlm::TLM_UPDATED && ph == tlm::END_RESP)) {
        if (it != live_.end()) end_resp(t, it->second, back);
      } else if (s == tlm::TLM_UPDATED) {
        fail(&t, std::string("BEGIN_RESP answered TLM_UPDATED with ") + ph.get_name());
      }
    } else if (in == tlm::END_REQ) {
      if (s != tlm::TLM_ACCEPTED) fail(&t, "END_REQ not answered TLM_ACCEPTED");
    } else if (in != tlm::BEGIN_REQ && in != tlm::END_RESP) {
      if (s != tlm::TLM_ACCEPTED || ph != in)
        fail(&t, std::string("ignorable phase ") + in.get_name() + " not answered TLM_ACCEPTED");
    }
    return s;
  }

  unsigned int dbg(tlm::tlm_generic_payload& t) { return initiator->transport_dbg(t); }
  bool dmi(tlm::tlm_generic_payload& t, tlm::tlm_dmi& d) {
    const bool ok = initiator->get_direct_mem_ptr(t, d);
    if (ok && (t.get_address() < d.get_start_address() || t.get_address() > d.get_end_address()))
      fail(&t, "DMI granted for a range that does not hold the address");
    return ok;
  }

  std::map<const tlm::tlm_generic_payload*, Txn> live_;
  const tlm::tlm_generic_payload* req_ = nullptr;   // request awaiting END_REQ
  const tlm::tlm_generic_payload* resp_ = nullptr;  // response awaiting END_RESP
  sc_core::sc_time req_free_, resp_free_;
};

}  // namespace simtest
