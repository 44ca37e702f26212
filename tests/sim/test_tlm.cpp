// test_tlm.cpp — plain TLM-2.0 initiators written here drive the memory over b_transport,
// nb_transport and transport_dbg. SystemC allows one elaboration per process, so each test body
// runs in a fresh child process (GoogleTest's threadsafe death-test style re-executes the binary).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "rramsim/arbiter.hpp"
#include "rramsim/memory.hpp"
#include "rramsim/traffic.hpp"
#include "fresh_process.hpp"
#include "sim_test_util.hpp"
#include "test_initiator.hpp"

using namespace sc_core;
using namespace tlm;

namespace {

using simtest::Initiator;

// The stream of this file's test data (simtest::random_bytes).
constexpr uint64_t kDataStream = 5;

void lt_body() {
  rramsim::quiet_systemc();
  Initiator ini("ini");
  rramsim::RramMemory mem("mem", simtest::make_config());
  ini.socket.bind(mem.socket);
  ini.body = [&](Initiator& s) {
    uint8_t buf[64];
    // Hand-computed (see test_core): 2 ns controller + 10 ns sense + 8 ns bus.
    EXPECT_EQ(s.lt(TLM_READ_COMMAND, 0, buf, 64), sc_time(20, SC_NS));
    EXPECT_EQ(s.lt(TLM_READ_COMMAND, 128, buf, 64), sc_time(30, SC_NS));  // same bank: serialised
    wait(sc_time(100, SC_NS));
    // Relative to the new local time: an idle bank again.
    EXPECT_EQ(s.lt(TLM_READ_COMMAND, 64, buf, 64), sc_time(20, SC_NS));
    // Real data of arbitrary size, split into rows by the controller.
    auto data = simtest::random_bytes(1000, 1, kDataStream);
    s.lt(TLM_WRITE_COMMAND, 24, data.data(), 1000);
    std::vector<uint8_t> back(1000), dbg(1000);
    s.lt(TLM_READ_COMMAND, 24, back.data(), 1000);
    EXPECT_EQ(back, data);
    tlm_generic_payload t;
    t.set_command(TLM_READ_COMMAND);
    t.set_address(24);
    t.set_data_ptr(dbg.data());
    t.set_data_length(1000);
    EXPECT_EQ(s.socket->transport_dbg(t), 1000u);
    EXPECT_EQ(dbg, data);
    // Error responses.
    tlm_response_status st;
    s.lt(TLM_READ_COMMAND, 2040, buf, 16, &st);
    EXPECT_EQ(st, TLM_ADDRESS_ERROR_RESPONSE);
    tlm_generic_payload be;
    uint8_t mask[4] = {0xff, 0, 0xff, 0};
    be.set_command(TLM_READ_COMMAND);
    be.set_address(0);
    be.set_data_ptr(buf);
    be.set_data_length(4);
    be.set_streaming_width(4);
    be.set_byte_enable_ptr(mask);
    be.set_byte_enable_length(4);
    sc_time d = SC_ZERO_TIME;
    s.socket->b_transport(be, d);  // byte enables are honoured (test_tlm_compliance.cpp)
    EXPECT_EQ(be.get_response_status(), TLM_OK_RESPONSE);
    be.set_byte_enable_ptr(nullptr);
    be.set_streaming_width(2);
    s.socket->b_transport(be, d);
    EXPECT_EQ(be.get_response_status(), TLM_BURST_ERROR_RESPONSE);
  };
  sc_start();
  mem.finish();
  EXPECT_EQ(mem.stats().reads, 5u);  // debug and rejected accesses are not counted
  EXPECT_EQ(mem.stats().writes, 1u);
}

void nb_body() {
  rramsim::quiet_systemc();
  Initiator ini("ini");
  rramsim::RramMemory mem("mem", simtest::make_config());
  ini.socket.bind(mem.socket);
  tlm_generic_payload txn[4];
  uint8_t bufs[4][64];
  sc_time end_req[4], begin_resp[4];
  sc_event end_resp_ev;
  tlm_generic_payload* held = nullptr;
  ini.bw = [&](tlm_generic_payload& t, tlm_phase& ph, sc_time& d) -> tlm_sync_enum {
    EXPECT_EQ(ph, BEGIN_RESP);
    int k = static_cast<int>(&t - txn);
    begin_resp[k] = sc_time_stamp() + d;
    if (k == 1) {  // hold this response: the next one must wait for END_RESP
      held = &t;
      end_resp_ev.notify(sc_time(15, SC_NS));
      return TLM_ACCEPTED;
    }
    ph = END_RESP;
    return TLM_COMPLETED;
  };
  ini.body = [&](Initiator& s) {
    const uint64_t addr[4] = {0, 128, 256, 64};  // three to bank 0, then one to bank 1
    for (int k = 0; k < 4; ++k) {
      tlm_generic_payload& t = txn[k];
      t.set_command(TLM_READ_COMMAND);
      t.set_address(addr[k]);
      t.set_data_ptr(bufs[k]);
      t.set_data_length(64);
      t.set_streaming_width(64);
      tlm_phase ph = BEGIN_REQ;
      sc_time d = SC_ZERO_TIME;
      EXPECT_EQ(s.socket->nb_transport_fw(t, ph, d), TLM_UPDATED);
      EXPECT_EQ(ph, END_REQ);
      end_req[k] = sc_time_stamp() + d;
      wait(d);  // request exclusion: the next BEGIN_REQ only after END_REQ
    }
    wait(end_resp_ev);
    tlm_phase ph = END_RESP;
    sc_time d = SC_ZERO_TIME;
    EXPECT_EQ(s.socket->nb_transport_fw(*held, ph, d), TLM_COMPLETED);
  };
  sc_start();
  // END_REQ: each request arrives when the previous was accepted; the queue (depth 2) is full
  // when the fourth arrives at 6 ns and frees at 12 ns (the second read issues).
  EXPECT_EQ(end_req[0], sc_time(2, SC_NS));
  EXPECT_EQ(end_req[1], sc_time(4, SC_NS));
  EXPECT_EQ(end_req[2], sc_time(6, SC_NS));
  EXPECT_EQ(end_req[3], sc_time(12, SC_NS));
  // Responses at completion (20, 30, 40, 48 ns), except that the third waits for the END_RESP
  // of the held second one (30 + 15 ns).
  EXPECT_EQ(begin_resp[0], sc_time(20, SC_NS));
  EXPECT_EQ(begin_resp[1], sc_time(30, SC_NS));
  EXPECT_EQ(begin_resp[2], sc_time(45, SC_NS));
  EXPECT_EQ(begin_resp[3], sc_time(48, SC_NS));
  EXPECT_EQ(mem.stats().queue_stalls, 1u);
}

void traffic_body(bool nb) {
  rramsim::SystemConfig cfg =
      rramsim::load_system_file(RRAMSIM_SOURCE_DIR "/configs/systems/small.json");
  rramsim::TrafficParams tp;
  tp.requests = 20000;
  tp.read_ratio = 0.7;
  tp.nb = nb;
  tp.outstanding = 4;
  uint64_t progress_calls = 0;
  tp.progress_every = 5000;
  tp.progress = [&](uint64_t) { ++progress_calls; };
  rramsim::RunOutput out = rramsim::run_traffic(cfg, tp);
  EXPECT_EQ(out.stats.reads + out.stats.writes, 20000u);
  EXPECT_EQ(out.failed, 0u);
  EXPECT_EQ(progress_calls, 4u);
  EXPECT_GT(out.stats.end_ps, 0u);
  EXPECT_NEAR(static_cast<double>(out.stats.reads) / 20000.0, 0.7, 0.02);
}

// Open loop: requests issue every 100 ns whatever their latency, so the run lasts
// (N − 1) · 100 ns plus the last request's latency.
void open_loop_body() {
  rramsim::SystemConfig cfg = simtest::make_config();
  rramsim::TrafficParams tp;
  tp.requests = 1000;
  tp.size = 64;
  tp.interval_ns = 100.0;
  tp.outstanding = 1024;
  tp.quantum_ns = 1000.0;
  rramsim::RunOutput out = rramsim::run_traffic(cfg, tp);
  EXPECT_EQ(out.stats.reads, 1000u);
  EXPECT_EQ(out.stats.end_ps, 999u * 100000u + 20000u);  // every read finds its bank idle
  EXPECT_EQ(out.stats.read_latency.max(), 20000u);
  EXPECT_EQ(sc_time_stamp(), sc_time(99900, SC_NS));  // time advanced to the last issue
}

void arbiter_body() {
  rramsim::quiet_systemc();
  Initiator a("a"), b("b");
  rramsim::Arbiter arb("arb");
  rramsim::RramMemory mem("mem", simtest::make_config());
  a.socket.bind(arb.targets);
  b.socket.bind(arb.targets);
  arb.memory.bind(mem.socket);
  // Loosely timed: both write and read back their own regions, interleaved.
  auto da = simtest::random_bytes(512, 10, kDataStream),
       db = simtest::random_bytes(512, 11, kDataStream);
  std::vector<uint8_t> ra(512), rb(512);
  a.body = [&](Initiator& s) {
    s.lt(TLM_WRITE_COMMAND, 0, da.data(), 512);
    wait(sc_time(1, SC_US));
    s.lt(TLM_READ_COMMAND, 0, ra.data(), 512);
  };
  b.body = [&](Initiator& s) {
    s.lt(TLM_WRITE_COMMAND, 1024, db.data(), 512);
    wait(sc_time(1, SC_US));
    s.lt(TLM_READ_COMMAND, 1024, rb.data(), 512);
    // Then one nb read each way... from b only, routed back to b.
    wait(sc_time(1, SC_US));
    tlm_generic_payload t;
    uint8_t buf[64];
    t.set_command(TLM_READ_COMMAND);
    t.set_address(1024);
    t.set_data_ptr(buf);
    t.set_data_length(64);
    t.set_streaming_width(64);
    tlm_phase ph = BEGIN_REQ;
    sc_time d = SC_ZERO_TIME;
    EXPECT_EQ(s.socket->nb_transport_fw(t, ph, d), TLM_UPDATED);
    wait(sc_time(1, SC_US));
    EXPECT_EQ(std::memcmp(buf, db.data(), 64), 0);
  };
  int resp_a = 0, resp_b = 0;
  a.bw = [&](tlm_generic_payload&, tlm_phase&, sc_time&) {
    ++resp_a;
    return TLM_COMPLETED;
  };
  b.bw = [&](tlm_generic_payload&, tlm_phase& ph, sc_time&) {
    ++resp_b;
    ph = END_RESP;
    return TLM_COMPLETED;
  };
  sc_start();
  EXPECT_EQ(ra, da);
  EXPECT_EQ(rb, db);
  EXPECT_EQ(resp_a, 0);
  EXPECT_EQ(resp_b, 1);
  EXPECT_EQ(mem.stats().writes, 2u);
  EXPECT_EQ(mem.stats().reads, 3u);
}

}  // namespace

FRESH_PROCESS_TEST(Tlm, TrafficGeneratorOpenLoopRate, open_loop_body)
FRESH_PROCESS_TEST(Tlm, ArbiterJoinsTwoInitiators, arbiter_body)
FRESH_PROCESS_TEST(Tlm, BlockingInitiatorSeesHandComputedDelaysAndData, lt_body)
FRESH_PROCESS_TEST(Tlm, NonBlockingInitiatorBackPressureAndResponseExclusion, nb_body)
FRESH_PROCESS_TEST(Tlm, TrafficGeneratorLooselyTimed, [] { traffic_body(false); })
FRESH_PROCESS_TEST(Tlm, TrafficGeneratorApproximatelyTimed, [] { traffic_body(true); })
