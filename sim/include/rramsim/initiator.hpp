// rramsim/initiator.hpp — what the simulator's initiators (TrafficGenerator, TracePlayer) share:
// filling a request payload, made-up write data, and the approximately timed side of the TLM-2.0
// base protocol.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include <systemc>
#include <tlm>

#include "bnn/rng.h"

namespace rramsim {

// Fills t for a plain request: command, address, data and length (the streaming width too), no
// byte enables, no DMI hint, response not yet given. Every field a request carries is set, so a
// payload can be reused.
inline void set_request(tlm::tlm_generic_payload& t, tlm::tlm_command cmd, uint64_t address,
                        uint8_t* data, uint32_t length) {
  t.set_command(cmd);
  t.set_address(address);
  t.set_data_ptr(data);
  t.set_data_length(length);
  t.set_streaming_width(length);
  t.set_byte_enable_ptr(nullptr);
  t.set_byte_enable_length(0);
  t.set_dmi_allowed(false);
  t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
}

// The bytes of a write whose contents nobody gave: buf[0, length) as 64-bit words
// bnn_rng_hash(seed, tag, first + word), the last one cut short, so energy and errors see
// realistic bit patterns and a run is reproducible from its seed.
inline void fill_seeded_data(uint8_t* buf, uint32_t length, uint64_t seed, uint64_t tag,
                             uint64_t first) {
  for (uint32_t k = 0; k < length; k += 8) {
    const uint64_t w = bnn_rng_hash(seed, tag, first + k / 8);
    std::memcpy(buf + k, &w, std::min<uint32_t>(8, length - k));
  }
}

// The initiator's side of the base protocol over nb_transport, for a module whose SC_THREAD issues
// the requests and whose nb_transport_bw hands its calls to backward(): up to `slots` payloads in
// flight, at most one in its request phase (the exclusion rule: the next BEGIN_REQ waits for
// END_REQ, or for BEGIN_RESP, which implies it), each request counted complete whether the target
// answers on the forward call's return (TLM_COMPLETED) or on the backward path (BEGIN_RESP).
class AtRequests {
 public:
  // Up to `slots` (at least 1) requests in flight; before the simulation.
  void reserve(unsigned slots) {
    pool_.reset(new tlm::tlm_generic_payload[slots]);
    free_.clear();
    for (unsigned i = 0; i < slots; ++i) free_.push_back(slots - 1 - i);
  }

  // From the SC_THREAD: waits until a payload is free and the previous request has left its
  // request phase, and returns that payload's slot (0 first).
  unsigned acquire() {
    while (free_.empty()) sc_core::wait(resp_event_);
    while (req_busy_) sc_core::wait(end_req_event_);
    const unsigned slot = free_.back();
    free_.pop_back();
    return slot;
  }
  tlm::tlm_generic_payload& payload(unsigned slot) { return pool_[slot]; }

  // Sends the (filled) payload of `slot` as BEGIN_REQ through socket. A request accepted with a
  // delay is waited for here: the next one may not begin before.
  template <class InitiatorSocket>
  void send(InitiatorSocket& socket, unsigned slot) {
    tlm::tlm_generic_payload& t = pool_[slot];
    tlm::tlm_phase ph = tlm::BEGIN_REQ;
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    ++in_flight_;
    const tlm::tlm_sync_enum s = socket->nb_transport_fw(t, ph, delay);
    if (s == tlm::TLM_COMPLETED) {
      complete(t);
    } else if (s == tlm::TLM_UPDATED && ph == tlm::END_REQ) {
      if (delay != sc_core::SC_ZERO_TIME) sc_core::wait(delay);
    } else {
      req_busy_ = true;  // END_REQ will arrive on the backward path
    }
  }

  // The module's nb_transport_bw: END_REQ ends the request phase; BEGIN_RESP (which implies it)
  // completes the request, answered with END_RESP at once.
  tlm::tlm_sync_enum backward(tlm::tlm_generic_payload& t, tlm::tlm_phase& ph) {
    if (ph == tlm::END_REQ) {
      req_busy_ = false;
      end_req_event_.notify(sc_core::SC_ZERO_TIME);
      return tlm::TLM_ACCEPTED;
    }
    if (ph == tlm::BEGIN_RESP) {
      if (req_busy_) {
        req_busy_ = false;
        end_req_event_.notify(sc_core::SC_ZERO_TIME);
      }
      complete(t);
      resp_event_.notify(sc_core::SC_ZERO_TIME);
      ph = tlm::END_RESP;
      return tlm::TLM_COMPLETED;
    }
    return tlm::TLM_ACCEPTED;
  }

  // From the SC_THREAD: waits until every request sent has completed.
  void drain() {
    while (in_flight_) sc_core::wait(resp_event_);
  }

  unsigned in_flight() const { return in_flight_; }
  uint64_t failed() const { return failed_; }  // completed with an error response

 private:
  void complete(tlm::tlm_generic_payload& t) {
    --in_flight_;
    if (t.is_response_error()) ++failed_;
    free_.push_back(static_cast<unsigned>(&t - pool_.get()));
  }

  std::unique_ptr<tlm::tlm_generic_payload[]> pool_;  // not copyable: no vector
  std::vector<unsigned> free_;                        // free slots, the next one last
  unsigned in_flight_ = 0;
  uint64_t failed_ = 0;
  bool req_busy_ = false;
  sc_core::sc_event resp_event_, end_req_event_;
};

}  // namespace rramsim
