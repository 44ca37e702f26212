// test_initiator.hpp — the initiator module the SystemC tests write by hand: each test sets its
// thread body and its backward-path answer, and issues transactions through the helpers below.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "rramsim/initiator.hpp"

namespace simtest {

struct Initiator : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Initiator> socket;
  std::function<void(Initiator&)> body;
  std::function<tlm::tlm_sync_enum(tlm::tlm_generic_payload&, tlm::tlm_phase&, sc_core::sc_time&)>
      bw;

  explicit Initiator(sc_core::sc_module_name n) : sc_module(n), socket("socket") {
    socket.register_nb_transport_bw(this, &Initiator::nb_bw);
    SC_HAS_PROCESS(Initiator);
    SC_THREAD(run);
  }
  void run() {
    if (body) body(*this);
  }
  tlm::tlm_sync_enum nb_bw(tlm::tlm_generic_payload& t, tlm::tlm_phase& ph, sc_core::sc_time& d) {
    return bw(t, ph, d);
  }

  // A plain request: no byte enables, response incomplete.
  static void prepare(tlm::tlm_generic_payload& t, tlm::tlm_command cmd, uint64_t addr,
                      uint8_t* data, unsigned len) {
    rramsim::set_request(t, cmd, addr, data, len);
  }
  // One blocking transaction in t, with byte enables mask[0, mask_len) (repeated over the data)
  // if given; returns the annotated delay.
  sc_core::sc_time lt(tlm::tlm_generic_payload& t, tlm::tlm_command cmd, uint64_t addr,
                      uint8_t* data, unsigned len, uint8_t* mask = nullptr, unsigned mask_len = 0) {
    prepare(t, cmd, addr, data, len);
    t.set_byte_enable_ptr(mask);
    t.set_byte_enable_length(mask_len);
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    socket->b_transport(t, d);
    return d;
  }
  // The same in a payload of its own; the response must be OK unless st takes it.
  sc_core::sc_time lt(tlm::tlm_command cmd, uint64_t addr, uint8_t* data, unsigned len,
                      tlm::tlm_response_status* st = nullptr) {
    tlm::tlm_generic_payload t;
    const sc_core::sc_time d = lt(t, cmd, addr, data, len);
    if (st)
      *st = t.get_response_status();
    else
      EXPECT_EQ(t.get_response_status(), tlm::TLM_OK_RESPONSE);
    return d;
  }
  // BEGIN_REQ, then wait for END_REQ (request exclusion); returns the END_REQ time.
  sc_core::sc_time begin(tlm::tlm_generic_payload& t) {
    tlm::tlm_phase ph = tlm::BEGIN_REQ;
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    tlm::tlm_sync_enum s = socket->nb_transport_fw(t, ph, d);
    EXPECT_EQ(s, tlm::TLM_UPDATED);
    EXPECT_EQ(ph, tlm::END_REQ);
    sc_core::wait(d);
    return sc_core::sc_time_stamp();
  }
};

}  // namespace simtest
