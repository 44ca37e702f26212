// test_tlm_compliance.cpp — the memory as an embedded TLM-2.0 target: base-protocol compliance
// checked by simtest::ProtocolChecker on every hop (tlm_checker.hpp), response timing in
// simulated time, ignorable phases, byte enables, several initiators on one socket, base
// address, time resolutions, DMI, and the SystemC errors of bad embedding.
#define SC_INCLUDE_DYNAMIC_PROCESSES  // sc_spawn
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "bnn/rng.h"
#include "rramsim/arbiter.hpp"
#include "rramsim/memory.hpp"
#include "rramsim/traffic.hpp"
#include "fresh_process.hpp"
#include "sim_test_util.hpp"
#include "test_initiator.hpp"
#include "tlm_checker.hpp"

using namespace sc_core;
using namespace tlm;
using ::testing::HasSubstr;

namespace {

using simtest::Initiator;

DECLARE_EXTENDED_PHASE(probe_phase);  // an ignorable phase, as another protocol would add

// The stream of this file's test data (simtest::random_bytes).
constexpr uint64_t kDataStream = 9;

// The chain most tests build: initiator → protocol checker → memory (the small test config).
struct CheckedChain {
  Initiator ini{"ini"};
  simtest::ProtocolChecker chk{"chk"};
  rramsim::RramMemory mem{"mem", simtest::make_config()};
  CheckedChain() {
    ini.socket.bind(chk.target);
    chk.initiator.bind(mem.socket);
  }
};

void expect_clean(simtest::ProtocolChecker& c) {
  c.finish();
  EXPECT_TRUE(c.violations.empty()) << c.report();
}

// Two reads whose responses are ready at 20 ns (bank 0) and 28 ns (bank 1, bus after the first).
// The initiator completes the first response with an annotated END_RESP 30 ns later, so the
// second BEGIN_RESP may not come before 50 ns (§15.2.6: response exclusion in simulated time).
// `updated`: TLM_UPDATED/END_RESP instead of TLM_COMPLETED; `hold`: END_RESP sent later on the
// forward path with an annotated delay instead.
void response_timing_body(int mode) {
  rramsim::quiet_systemc();
  CheckedChain c;
  tlm_generic_payload txn[2];
  uint8_t bufs[2][64];
  sc_time begin_resp[2];
  sc_event release;
  c.ini.bw = [&](tlm_generic_payload& t, tlm_phase& ph, sc_time& d) -> tlm_sync_enum {
    EXPECT_EQ(ph, BEGIN_RESP);
    const int k = static_cast<int>(&t - txn);
    begin_resp[k] = sc_time_stamp() + d;
    if (k == 0 && mode == 2) {
      release.notify(sc_time(10, SC_NS));
      return TLM_ACCEPTED;
    }
    if (k == 0) d += sc_time(30, SC_NS);
    ph = END_RESP;
    return mode == 1 ? TLM_UPDATED : TLM_COMPLETED;
  };
  c.ini.body = [&](Initiator& s) {
    Initiator::prepare(txn[0], TLM_READ_COMMAND, 0, bufs[0], 64);
    Initiator::prepare(txn[1], TLM_READ_COMMAND, 64, bufs[1], 64);
    EXPECT_EQ(s.begin(txn[0]), sc_time(2, SC_NS));
    s.begin(txn[1]);
    if (mode == 2) {
      wait(release);  // at 30 ns; END_RESP annotated 20 ns later: 50 ns
      tlm_phase ph = END_RESP;
      sc_time d(20, SC_NS);
      EXPECT_EQ(s.socket->nb_transport_fw(txn[0], ph, d), TLM_COMPLETED);
    }
  };
  sc_start();
  EXPECT_EQ(begin_resp[0], sc_time(20, SC_NS));
  EXPECT_EQ(begin_resp[1], sc_time(50, SC_NS));  // ready at 28 ns
  EXPECT_EQ(txn[1].get_response_status(), TLM_OK_RESPONSE);
  expect_clean(c.chk);
}

// An ignorable phase on the forward path, in the middle of a transaction, is answered
// TLM_ACCEPTED and changes nothing (§15.2.5); the transaction then completes as usual.
void ignorable_phase_body() {
  rramsim::quiet_systemc();
  CheckedChain c;
  tlm_generic_payload t, other;
  uint8_t buf[64], obuf[8];
  sc_time resp;
  c.ini.bw = [&](tlm_generic_payload&, tlm_phase& ph, sc_time& d) -> tlm_sync_enum {
    resp = sc_time_stamp() + d;
    ph = END_RESP;
    return TLM_COMPLETED;
  };
  c.ini.body = [&](Initiator& s) {
    Initiator::prepare(t, TLM_READ_COMMAND, 0, buf, 64);
    s.begin(t);
    tlm_phase ph = probe_phase;
    sc_time d(1, SC_NS);
    EXPECT_EQ(s.socket->nb_transport_fw(t, ph, d), TLM_ACCEPTED);
    EXPECT_EQ(ph, probe_phase);
    EXPECT_EQ(d, sc_time(1, SC_NS));
    // Also on a transaction the target has never seen.
    Initiator::prepare(other, TLM_WRITE_COMMAND, 0, obuf, 8);
    ph = probe_phase;
    EXPECT_EQ(s.socket->nb_transport_fw(other, ph, d), TLM_ACCEPTED);
  };
  sc_start();
  EXPECT_EQ(resp, sc_time(20, SC_NS));
  EXPECT_EQ(t.get_response_status(), TLM_OK_RESPONSE);
  EXPECT_EQ(c.mem.stats().reads, 1u);
  EXPECT_EQ(c.mem.stats().writes, 0u);
  EXPECT_EQ(c.chk.ignorable_phases, 2u);
  expect_clean(c.chk);
}

// Byte enables. Config: t_ctrl 2, t_RD 10, t_WR 50, t_BUS(64 B) 8 ns.
void byte_enable_body() {
  rramsim::quiet_systemc();
  CheckedChain c;
  c.ini.body = [&](Initiator& s) {
    tlm_generic_payload t;
    auto a = simtest::random_bytes(64, 1, kDataStream),
         b = simtest::random_bytes(64, 2, kDataStream);
    EXPECT_EQ(s.lt(t, TLM_WRITE_COMMAND, 0, a.data(), 64), sc_time(60, SC_NS));
    wait(sc_time(100, SC_NS));  // banks idle again
    // A masked write is a read-modify-write: read at 100 (done 120: 2 + 10 + 8), write
    // arriving at 120 (bus 122..130, program 130..180): 80 ns.
    uint8_t mask[4] = {0xff, 0x00, 0x00, 0xff};
    EXPECT_EQ(s.lt(t, TLM_WRITE_COMMAND, 0, b.data(), 64, mask, 4), sc_time(80, SC_NS));
    EXPECT_EQ(t.get_response_status(), TLM_OK_RESPONSE);
    wait(sc_time(200, SC_NS));
    std::vector<uint8_t> back(64), want(64);
    for (int i = 0; i < 64; ++i) want[i] = mask[i % 4] ? b[i] : a[i];
    s.lt(t, TLM_READ_COMMAND, 0, back.data(), 64);
    EXPECT_EQ(back, want);
    // A masked read leaves the disabled bytes of the data array as they were.
    std::vector<uint8_t> rd(64, 0x5a);
    uint8_t rmask[2] = {0x00, 0xff};
    s.lt(t, TLM_READ_COMMAND, 0, rd.data(), 64, rmask, 2);
    EXPECT_EQ(t.get_response_status(), TLM_OK_RESPONSE);
    for (int i = 0; i < 64; ++i) EXPECT_EQ(rd[i], i % 2 ? want[i] : 0x5a) << i;
    // All bytes enabled: a plain write (no read); none enabled: nothing at all.
    wait(sc_time(200, SC_NS));
    uint8_t all[1] = {0xff}, none[1] = {0x00};
    EXPECT_EQ(s.lt(t, TLM_WRITE_COMMAND, 64, b.data(), 64, all, 1), sc_time(60, SC_NS));
    EXPECT_EQ(s.lt(t, TLM_WRITE_COMMAND, 128, a.data(), 64, none, 1), SC_ZERO_TIME);
    EXPECT_EQ(t.get_response_status(), TLM_OK_RESPONSE);
    // A null data pointer: an error response, not a crash.
    s.lt(t, TLM_WRITE_COMMAND, 0, nullptr, 64);
    EXPECT_EQ(t.get_response_status(), TLM_GENERIC_ERROR_RESPONSE);
    // Errors: no enable length; a masked access outside the memory.
    s.lt(t, TLM_WRITE_COMMAND, 0, a.data(), 64, mask, 0);
    EXPECT_EQ(t.get_response_status(), TLM_BYTE_ENABLE_ERROR_RESPONSE);
    s.lt(t, TLM_WRITE_COMMAND, 2040, a.data(), 16, mask, 4);
    EXPECT_EQ(t.get_response_status(), TLM_ADDRESS_ERROR_RESPONSE);
  };
  sc_start();
  c.mem.finish();
  // Writes: 64 B, the RMW's write, the all-enabled write. Reads: the RMW's read, two reads.
  EXPECT_EQ(c.mem.stats().writes, 3u);
  EXPECT_EQ(c.mem.stats().reads, 3u);
  // The violations are the test's own: a null data pointer, a byte-enable length of 0.
  ASSERT_EQ(c.chk.violations.size(), 2u) << c.chk.report();
  EXPECT_THAT(c.chk.violations[0], HasSubstr("null data pointer"));
  EXPECT_THAT(c.chk.violations[1], HasSubstr("byte enable pointer with length 0"));
  c.chk.violations.clear();
  expect_clean(c.chk);
}

// Two AT initiators and one LT initiator, random traffic with random END_RESP delays, through
// checkers on every hop: directly on the memory's multi-initiator socket (arb = false) or through
// the Arbiter (arb = true: initiator → checker → arbiter → checker → memory).
void many_initiators_body(bool arb) {
  rramsim::quiet_systemc();
  Initiator a("a"), b("b"), c("c");
  std::unique_ptr<Initiator> idle;  // without the arbiter, cm checks a fourth, idle initiator
  if (!arb) idle = std::make_unique<Initiator>("idle");
  simtest::ProtocolChecker ca("ca"), cb("cb"), cc("cc"), cm("cm");
  std::unique_ptr<rramsim::Arbiter> arbiter;
  if (arb) arbiter = std::make_unique<rramsim::Arbiter>("arbiter");
  rramsim::MemoryParams mp;
  mp.base_address = 0x40000000;
  rramsim::RramMemory mem("mem", simtest::make_config(), mp);
  a.socket.bind(ca.target);
  b.socket.bind(cb.target);
  c.socket.bind(cc.target);
  if (!arb) idle->socket.bind(cm.target);
  if (arb) {
    ca.initiator.bind(arbiter->targets);
    cb.initiator.bind(arbiter->targets);
    cc.initiator.bind(arbiter->targets);
    arbiter->memory.bind(cm.target);
    cm.initiator.bind(mem.socket);
  } else {
    ca.initiator.bind(mem.socket);
    cb.initiator.bind(mem.socket);
    cc.initiator.bind(mem.socket);
    cm.initiator.bind(mem.socket);
  }
  const uint64_t base = mp.base_address;
  // Each AT initiator owns 512 B; it writes it, then reads it back with several in flight.
  const int kOut = 4;
  struct At {
    tlm_generic_payload txn[kOut];
    uint8_t buf[kOut][64];
    std::vector<uint8_t> data;
    int done = 0;
    bool busy[kOut] = {};
    sc_event resp_ev, end_resp_ev;
    bnn_rng rng;
  } sa, sb;
  auto at_body = [&](At& st, uint64_t region, uint64_t seed) {
    return [&st, region, seed](Initiator& s) {
      st.rng = bnn_rng_make(seed, 1);
      st.data = simtest::random_bytes(512, seed, kDataStream);
      for (int pass = 0; pass < 2; ++pass) {
        const tlm_command cmd = pass ? TLM_READ_COMMAND : TLM_WRITE_COMMAND;
        st.done = 0;
        for (int k = 0; k < 8; ++k) {
          int slot = -1;
          for (;;) {
            for (int i = 0; i < kOut && slot < 0; ++i)
              if (!st.busy[i]) slot = i;
            if (slot >= 0) break;
            wait(st.resp_ev);
          }
          st.busy[slot] = true;
          if (pass == 0) std::memcpy(st.buf[slot], st.data.data() + 64 * k, 64);
          Initiator::prepare(st.txn[slot], cmd, region + 64 * k, st.buf[slot], 64);
          s.begin(st.txn[slot]);
          wait(sc_time(bnn_rng_u64(&st.rng) % 7, SC_NS));
        }
        for (;;) {
          bool any = false;
          for (bool x : st.busy) any |= x;
          if (!any && st.done == 8) break;
          wait(st.resp_ev);
        }
      }
    };
  };
  auto at_bw = [&](At& st, uint64_t region, Initiator& ini) {
    return [&st, region, &ini](tlm_generic_payload& t, tlm_phase& ph, sc_time& d) -> tlm_sync_enum {
      EXPECT_EQ(ph, BEGIN_RESP);
      EXPECT_EQ(t.get_response_status(), TLM_OK_RESPONSE);
      if (t.is_read()) {
        const uint64_t off = t.get_address() - region;
        EXPECT_EQ(std::memcmp(t.get_data_ptr(), st.data.data() + off, 64), 0) << off;
      }
      ++st.done;
      const int slot = static_cast<int>(&t - st.txn);
      const unsigned r = bnn_rng_u64(&st.rng) % 3;
      if (r == 2) {  // END_RESP later on the forward path, with an annotated delay
        tlm_generic_payload* p = &t;
        sc_spawn([p, &ini, &st, slot] {
          wait(sc_time(5, SC_NS));
          tlm_phase e = END_RESP;
          sc_time dd(3, SC_NS);
          EXPECT_EQ(ini.socket->nb_transport_fw(*p, e, dd), TLM_COMPLETED);
          st.busy[slot] = false;
          st.resp_ev.notify(SC_ZERO_TIME);
        });
        return TLM_ACCEPTED;
      }
      st.busy[slot] = false;
      st.resp_ev.notify(SC_ZERO_TIME);
      d += sc_time(r * 4, SC_NS);
      ph = END_RESP;
      return r ? TLM_UPDATED : TLM_COMPLETED;
    };
  };
  a.body = at_body(sa, base, 21);
  a.bw = at_bw(sa, base, a);
  b.body = at_body(sb, base + 1024, 22);
  b.bw = at_bw(sb, base + 1024, b);
  std::vector<uint8_t> lt_data = simtest::random_bytes(256, 23, kDataStream), lt_back(256);
  c.body = [&](Initiator& s) {
    tlm_generic_payload t;
    s.lt(t, TLM_WRITE_COMMAND, base + 1536, lt_data.data(), 256);
    EXPECT_EQ(t.get_response_status(), TLM_OK_RESPONSE);
    wait(sc_time(50, SC_NS));
    s.lt(t, TLM_READ_COMMAND, base + 1536, lt_back.data(), 256);
    s.lt(t, TLM_READ_COMMAND, 0, lt_back.data(), 16);  // below the base address
    EXPECT_EQ(t.get_response_status(), TLM_ADDRESS_ERROR_RESPONSE);
    s.lt(t, TLM_READ_COMMAND, base + 2048 - 8, lt_back.data(), 16);  // past the end
    EXPECT_EQ(t.get_response_status(), TLM_ADDRESS_ERROR_RESPONSE);
    s.lt(t, TLM_READ_COMMAND, base + 1536, lt_back.data(), 256);
    EXPECT_EQ(t.get_response_status(), TLM_OK_RESPONSE);
    // DMI is refused for the whole range.
    tlm_dmi dmi;
    EXPECT_FALSE(s.socket->get_direct_mem_ptr(t, dmi));
    EXPECT_FALSE(dmi.is_read_allowed());
    EXPECT_EQ(dmi.get_start_address(), base);
    EXPECT_EQ(dmi.get_end_address(), base + 2047);
  };
  sc_start();
  EXPECT_EQ(sa.done, 8);
  EXPECT_EQ(sb.done, 8);
  EXPECT_EQ(lt_back, lt_data);
  mem.finish();
  EXPECT_EQ(mem.stats().writes, 17u);
  EXPECT_EQ(mem.stats().reads, 18u);
  for (simtest::ProtocolChecker* k : {&ca, &cb, &cc, &cm}) expect_clean(*k);
  EXPECT_EQ(ca.nb_transactions + cb.nb_transactions, 32u);
  if (arb) {
    EXPECT_EQ(cm.nb_transactions, 32u);
  }
}

// Time resolutions: 1 fs and 1 ns give the hand-computed 20 ns read; 1 ns with an 800 MHz bus
// (t_CK 1250 ps) is refused, naming the resolution that works.
void resolution_body(int mode) {
  rramsim::quiet_systemc();
  if (mode == 0) sc_set_time_resolution(1, SC_FS);
  if (mode >= 1) sc_set_time_resolution(1, SC_NS);
  if (mode == 2) {
    try {
      rramsim::RramMemory mem("mem",
                              simtest::make_config("", "", "", 7, {{"bus_clock_mhz", "800"}}));
      ADD_FAILURE() << "no error";
    } catch (const sc_report& r) {
      EXPECT_THAT(r.what(), HasSubstr("RramMemory 'mem': the SystemC time resolution 1 ns is "
                                      "coarser than the model's timing step 1250 ps"));
      EXPECT_THAT(r.what(), HasSubstr("sc_set_time_resolution(10 ps)"));
    }
    return;
  }
  CheckedChain c;
  tlm_generic_payload t[2];
  uint8_t buf[2][64];
  sc_time resp[2];
  c.ini.bw = [&](tlm_generic_payload& p, tlm_phase& ph, sc_time& d) -> tlm_sync_enum {
    resp[&p - t] = sc_time_stamp() + d;
    ph = END_RESP;
    return TLM_COMPLETED;
  };
  c.ini.body = [&](Initiator& s) {
    EXPECT_EQ(s.lt(t[0], TLM_READ_COMMAND, 0, buf[0], 64), sc_time(20, SC_NS));
    EXPECT_EQ(s.lt(t[0], TLM_READ_COMMAND, 128, buf[0], 64), sc_time(30, SC_NS));
    wait(sc_time(100, SC_NS));
    Initiator::prepare(t[0], TLM_READ_COMMAND, 0, buf[0], 64);
    Initiator::prepare(t[1], TLM_READ_COMMAND, 64, buf[1], 64);
    s.begin(t[0]);
    s.begin(t[1]);
  };
  sc_start();
  EXPECT_EQ(resp[0], sc_time(120, SC_NS));
  EXPECT_EQ(resp[1], sc_time(128, SC_NS));
  expect_clean(c.chk);
}

// Bad embedding is a SystemC error naming the cause, never a crash.
void bad_config_body(int mode) {
  rramsim::quiet_systemc();
  try {
    if (mode == 0) {
      rramsim::RramMemory mem("mem", rramsim::MemoryConfig::json("{ \"device\": 3 }"));
    } else if (mode == 1) {
      rramsim::RramMemory mem("mem", rramsim::MemoryConfig::file("/nonexistent/sys.json"));
    } else if (mode == 2) {
      rramsim::MemoryParams p;
      p.base_address = ~uint64_t{0} - 1000;
      rramsim::RramMemory mem("mem", simtest::make_config(), p);
    } else {
      rramsim::MemoryParams p;
      p.op_point = "turbo";
      rramsim::RramMemory mem(
          "mem", rramsim::MemoryConfig::file(RRAMSIM_SOURCE_DIR "/configs/systems/small.json"), p);
    }
    ADD_FAILURE() << "no error";
  } catch (const sc_report& r) {
    const char* want[] = {"RramMemory 'mem': <json>", "RramMemory 'mem': /nonexistent/sys.json",
                          "RramMemory 'mem': base_address 18446744073709550615 + capacity 2048 B "
                          "reaches past the 64-bit address space",
                          "'turbo' is not an operating point of device 'hfo2_2t2r'"};
    EXPECT_THAT(r.what(), HasSubstr(want[mode]));
    EXPECT_THAT(r.what(), HasSubstr("RramMemory 'mem': "));
  }
}

// An initiator socket bound twice: SystemC's own elaboration error, not a crash.
void bound_twice_body() {
  rramsim::quiet_systemc();
  Initiator ini("ini");
  rramsim::RramMemory mem("mem", simtest::make_config());
  rramsim::RramMemory mem2("mem2", simtest::make_config());
  try {
    ini.socket.bind(mem.socket);
    ini.socket.bind(mem2.socket);
    sc_start();
    ADD_FAILURE() << "no error";
  } catch (const sc_report& r) {
    EXPECT_EQ(r.get_severity(), SC_ERROR);
    EXPECT_THAT(r.what(), HasSubstr("ini.socket"));
  }
}

// Stats at end of simulation (sc_stop) and on demand.
void stats_body() {
  rramsim::quiet_systemc();
  const std::string dir = ::testing::TempDir();
  const std::string end_path = dir + "/embed_end.json", mid_path = dir + "/embed_mid.json";
  std::remove(end_path.c_str());
  Initiator ini("ini");
  rramsim::MemoryParams mp;
  mp.stats_path = end_path;
  rramsim::RramMemory mem("mem", simtest::make_config(), mp);
  ini.socket.bind(mem.socket);
  bool mid_written = false;
  ini.body = [&](Initiator& s) {
    tlm_generic_payload t;
    uint8_t buf[64] = {};
    s.lt(t, TLM_WRITE_COMMAND, 0, buf, 64);
    wait(sc_time(100, SC_NS));
    mem.write_stats(mid_path);
    mid_written = true;
    s.lt(t, TLM_READ_COMMAND, 0, buf, 64);
    s.lt(t, TLM_READ_COMMAND, 64, buf, 64);
    sc_stop();
  };
  sc_start();
  EXPECT_TRUE(mid_written);
  auto slurp = [](const std::string& p) {
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  };
  const std::string mid = slurp(mid_path), end = slurp(end_path);
  auto count = [](const std::string& key, int v) {
    return "\"" + key + "\": {\n      \"value\": " + std::to_string(v) + ",";
  };
  EXPECT_THAT(mid, HasSubstr(count("writes", 1)));
  EXPECT_THAT(mid, HasSubstr(count("reads", 0)));
  EXPECT_THAT(end, HasSubstr(count("writes", 1)));
  EXPECT_THAT(end, HasSubstr(count("reads", 2)));
  EXPECT_THAT(end, HasSubstr("\"tool\": \"rramsim::RramMemory mem\""));
  EXPECT_THROW(mem.write_stats("/nonexistent/dir/s.json"), rramsim::Error);
}

// Banks and the data bus are booked in call order, not in annotated-time order (the documented
// approximation, docs/embedding.md "Temporal decoupling"). Initiator a, decoupled 1000 ns ahead,
// writes bank 0 first (arrival 1000 ns: bus 1002..1010, program 1010..1060); initiator b then
// reads bank 0 at 0 ns and waits for that booking: sense 1060..1070, bus 1070..1078, 1078 ns
// instead of the 20 ns it would see in time order. The bound: the extra wait is at most the
// decoupling offset of the requests that overtook it (1000 ns) plus their service (60 ns). With
// the calls in time order (b first) b sees 20 ns.
void booking_order_body(bool b_first) {
  rramsim::quiet_systemc();
  Initiator a("a"), b("b");
  rramsim::RramMemory mem("mem", simtest::make_config());
  a.socket.bind(mem.socket);
  b.socket.bind(mem.socket);
  sc_time lat_b;
  uint8_t wbuf[64] = {1}, rbuf[64];
  sc_event a_done;
  a.body = [&](Initiator& s) {
    if (b_first) wait(a_done);
    tlm_generic_payload t;
    Initiator::prepare(t, TLM_WRITE_COMMAND, 0, wbuf, 64);
    sc_time d(1000, SC_NS);  // a's local time offset (quantum keeper)
    s.socket->b_transport(t, d);
    EXPECT_EQ(d, sc_time(1060, SC_NS));
    if (!b_first) a_done.notify(SC_ZERO_TIME);
  };
  b.body = [&](Initiator& s) {
    if (!b_first) wait(a_done);  // called after a, still at time 0
    EXPECT_EQ(sc_time_stamp(), SC_ZERO_TIME);
    tlm_generic_payload t;
    lat_b = s.lt(t, TLM_READ_COMMAND, 64 * 2 * 3, rbuf, 64);  // bank 0, another row
    if (b_first) a_done.notify(SC_ZERO_TIME);
  };
  sc_start();
  if (b_first) {
    EXPECT_EQ(lat_b, sc_time(20, SC_NS));
  } else {
    EXPECT_EQ(lat_b, sc_time(1078, SC_NS));
    EXPECT_LE(lat_b, sc_time(20, SC_NS) + sc_time(1000, SC_NS) + sc_time(60, SC_NS));
  }
}

}  // namespace

FRESH_PROCESS_TEST(TlmCompliance, ResponseWaitsForEndRespAnnotatedOnCompleted,
                   [] { response_timing_body(0); })
FRESH_PROCESS_TEST(TlmCompliance, ResponseWaitsForEndRespAnnotatedOnUpdated,
                   [] { response_timing_body(1); })
FRESH_PROCESS_TEST(TlmCompliance, ResponseWaitsForEndRespAnnotatedOnForwardPath,
                   [] { response_timing_body(2); })
FRESH_PROCESS_TEST(TlmCompliance, IgnorablePhaseIsAcceptedAndIgnored, ignorable_phase_body)
FRESH_PROCESS_TEST(TlmCompliance, ByteEnabledWriteIsReadModifyWrite, byte_enable_body)
FRESH_PROCESS_TEST(TlmCompliance, ThreeInitiatorsOnTheMemorySocketWithBaseAddress,
                   [] { many_initiators_body(false); })
FRESH_PROCESS_TEST(TlmCompliance, ThreeInitiatorsThroughTheArbiterCheckedOnEveryHop,
                   [] { many_initiators_body(true); })
FRESH_PROCESS_TEST(TlmCompliance, FemtosecondResolution, [] { resolution_body(0); })
FRESH_PROCESS_TEST(TlmCompliance, NanosecondResolutionWhenItDividesTheTiming,
                   [] { resolution_body(1); })
FRESH_PROCESS_TEST(TlmCompliance, TooCoarseResolutionIsRefusedNamingTheFix,
                   [] { resolution_body(2); })
FRESH_PROCESS_TEST(TlmCompliance, InvalidJsonConfigIsASystemCError, [] { bad_config_body(0); })
FRESH_PROCESS_TEST(TlmCompliance, MissingConfigFileIsASystemCError, [] { bad_config_body(1); })
FRESH_PROCESS_TEST(TlmCompliance, BaseAddressPastTheAddressSpaceIsASystemCError,
                   [] { bad_config_body(2); })
FRESH_PROCESS_TEST(TlmCompliance, UnknownOperatingPointIsASystemCError, [] { bad_config_body(3); })
FRESH_PROCESS_TEST(TlmCompliance, SocketBoundTwiceIsASystemCError, bound_twice_body)
FRESH_PROCESS_TEST(TlmCompliance, StatsAtEndOfSimulationAndOnDemand, stats_body)
FRESH_PROCESS_TEST(TlmCompliance, BankBookingInCallOrderIsBoundedByTheDecouplingOffset,
                   [] { booking_order_body(false); })
FRESH_PROCESS_TEST(TlmCompliance, BankBookingInTimeOrderWhenCallsAreInTimeOrder,
                   [] { booking_order_body(true); })
