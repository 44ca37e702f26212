// test_dramsys_trace.cpp — DRAMSys trace fidelity of the replay: hand-written traces in DRAMSys's
// documented STL syntax (comments, "(n)" lengths, write data, absolute .stl and relative .rstl)
// replayed with the arrivals, addresses, lengths and data checked request by request; the clock
// in MHz; the address-map policies; the config-hash warning only for a different hash; the
// clkMhz line rramsim writes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "rramsim/error.hpp"
#include "rramsim/player.hpp"
#include "rramsim/recording.hpp"
#include "fresh_process.hpp"
#include "sim_test_util.hpp"

using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

constexpr uint64_t kNs = 1000;  // ps

std::string tmp(const std::string& name) {
  return ::testing::TempDir() + "/dramsys_" + name;
}
void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

struct Seen {
  uint64_t arrival;
  uint64_t addr;
  uint32_t len;
  rramsim::Cmd cmd;
  std::vector<uint8_t> data;  // writes
};
void on_access(void* ud, const rramsim::AccessEvent& e) {
  Seen s{e.arrival_ps, e.addr, e.len, e.cmd, {}};
  if (e.cmd == rramsim::Cmd::Write) s.data.assign(e.data, e.data + e.len);
  static_cast<std::vector<Seen>*>(ud)->push_back(s);
}

rramsim::ReplayOutput replay(const std::string& name, const std::string& text,
                             rramsim::ReplayParams rp, std::vector<Seen>* seen = nullptr) {
  write_text(tmp(name), text);
  rp.trace = tmp(name);
  rramsim::AccessObserver obs;
  if (seen) obs = rramsim::AccessObserver{on_access, seen};
  return rramsim::run_replay(simtest::make_config(), rp, obs);
}

// Replay parameters for a trace whose cycle is clock_ps (and, if given, its address-map policy).
rramsim::ReplayParams clocked(uint64_t clock_ps, rrt_address_map map = RRT_ADDRESS_ERROR) {
  rramsim::ReplayParams rp;
  rp.clock_ps = clock_ps;
  rp.address_map = map;
  return rp;
}

// The records of DRAMSys's documented example format: "cycle: [(length)] command address
// [data]", '#' comments (whole lines and after a record), blank lines, tabs.
const char* kRecords =
    "# DRAMSys STL: cycle, optional (length), command, hex address, optional data\n"
    "\n"
    "0:\tread\t0x0\n"
    "10: (8) write 0x40 0x0011223344556677   # 8 bytes, lowest address first\n"
    "   # an indented comment\n"
    "25: write 0x80 0xa0a1a2a3a4a5a6a7a8a9aaabacadaeaf\n"
    "40: (16) read 0xc0\n"
    "40: read 0x100\n";

void check_records(const std::vector<Seen>& s, const uint64_t (&arrival)[5]) {
  ASSERT_EQ(s.size(), 5u);
  const uint64_t addr[5] = {0x0, 0x40, 0x80, 0xc0, 0x100};
  const uint32_t len[5] = {64, 8, 16, 16, 64};  // default 64; (n); from the data; (n); default
  for (int k = 0; k < 5; ++k) {
    EXPECT_EQ(s[k].arrival, arrival[k]) << k;
    EXPECT_EQ(s[k].addr, addr[k]) << k;
    EXPECT_EQ(s[k].len, len[k]) << k;
  }
  EXPECT_EQ(s[1].cmd, rramsim::Cmd::Write);
  EXPECT_EQ(s[1].data, (std::vector<uint8_t>{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77}));
  ASSERT_EQ(s[2].data.size(), 16u);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(s[2].data[i], 0xa0 + i);
  EXPECT_EQ(s[3].cmd, rramsim::Cmd::Read);
}

void absolute_body(bool nb) {
  std::vector<Seen> seen;
  rramsim::ReplayParams rp;
  rp.clock_mhz = 1000;  // DRAMSys "clkMhz": 1000 → 1 ns cycles
  rp.nb = nb;
  rramsim::ReplayOutput o = replay(nb ? "abs_nb.stl" : "abs.stl", kRecords, rp, &seen);
  EXPECT_EQ(o.warning, "");  // no config_hash in the trace: nothing to warn about
  EXPECT_FALSE(o.relative);
  EXPECT_EQ(o.clock_mhz, 1000u);
  EXPECT_EQ(o.clock_ps, 1000u);
  // The requests at cycle 40 arrive together (b_transport) or the second once the first was
  // accepted (nb: END_REQ 2 ns later).
  const uint64_t want[5] = {0, 10 * kNs, 25 * kNs, 40 * kNs, (nb ? 42 : 40) * kNs};
  check_records(seen, want);
}

void relative_body(bool nb) {
  std::vector<Seen> seen;
  rramsim::ReplayParams rp = clocked(1000);
  rp.nb = nb;
  rramsim::ReplayOutput o = replay(nb ? "rel_nb.rstl" : "rel.rstl", kRecords, rp, &seen);
  EXPECT_TRUE(o.relative);
  // Each delay counts from the previous issue: 0, 10, 35, 75, 115 ns — not from the previous
  // completion (the first read completes at 20 ns, the 8-B write only after its 50 ns program).
  const uint64_t want[5] = {0, 10 * kNs, 35 * kNs, 75 * kNs, 115 * kNs};
  check_records(seen, want);
}

// The replay's error (rramsim::Error), or "" when it ran.
std::string replay_error(const std::string& name, const std::string& text,
                         const rramsim::ReplayParams& rp) {
  try {
    replay(name, text, rp);
  } catch (const rramsim::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

FRESH_PROCESS_TEST(DramsysTrace, AbsoluteStlWithCommentsLengthsAndData,
                   [] { absolute_body(false); })
FRESH_PROCESS_TEST(DramsysTrace, AbsoluteStlApproximatelyTimed, [] { absolute_body(true); })
FRESH_PROCESS_TEST(DramsysTrace, RelativeRstlCountsFromThePreviousIssue,
                   [] { relative_body(false); })
FRESH_PROCESS_TEST(DramsysTrace, RelativeRstlApproximatelyTimed, [] { relative_body(true); })

namespace {

// The arrival times (ps) of the records of `text`, replayed with the clock given as 300 MHz.
std::vector<uint64_t> arrivals_at_300_mhz(const std::string& name, const std::string& text) {
  std::vector<Seen> seen;
  rramsim::ReplayParams rp;
  rp.clock_mhz = 300;
  replay(name, text, rp, &seen);
  std::vector<uint64_t> arrivals;
  for (const Seen& a : seen) arrivals.push_back(a.arrival);
  return arrivals;
}

}  // namespace

// 300 MHz: the period is 3333.33 ps; times are cycle x 10^6 / 300 ps rounded down, so they do
// not drift (cycle 3 → exactly 10 ns), and relative delays add up to the same times.
TEST(DramsysTrace, ClockInMegahertzDoesNotDrift) {
  IN_FRESH_PROCESS([] {  // cycles 1, 3, 3000
    EXPECT_THAT(arrivals_at_300_mhz("mhz.stl", "1: read 0x0\n3: read 0x40\n3000: read 0x80\n"),
                ElementsAre(3333u, 10000u, 10000000u));
  });
  IN_FRESH_PROCESS([] {  // delays 1, 2, 2997: the same cycles
    EXPECT_THAT(arrivals_at_300_mhz("mhz.rstl", "1: read 0x0\n2: read 0x40\n2997: read 0x80\n"),
                ElementsAre(3333u, 10000u, 10000000u));
  });
}

TEST(DramsysTrace, MissingClockNamesBothOptions) {
  IN_FRESH_PROCESS([] {
    const std::string err = replay_error("noclock.stl", "0: read 0x0\n", rramsim::ReplayParams());
    EXPECT_THAT(err, HasSubstr("noclock.stl: the trace names no clock"));
    EXPECT_THAT(err, HasSubstr("--clock-mhz MHZ"));
    EXPECT_THAT(err, HasSubstr("--clock-ps PS"));
  });
}

namespace {

// Capacity 2048 B (make_config). wrap: modulo; mask: the low 11 bits; error: the first one.
const char* kBeyondCapacity =
    "0: read 0x0\n1: read 0x840\n2: (8) write 0x1000008 0x0102030405060708\n3: read 0x7c0\n";

// wrap or mask: records 2 and 3 are mapped into the capacity, 3 to `third`.
void mapped_body(rrt_address_map map, const std::string& name, uint64_t third) {
  std::vector<Seen> seen;
  rramsim::ReplayOutput o = replay(name, kBeyondCapacity, clocked(1000, map), &seen);
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[1].addr, 0x40u);
  EXPECT_EQ(seen[2].addr, third);
  EXPECT_EQ(o.mapped, 2u);
  EXPECT_THAT(o.first_mapped, HasSubstr(name + ":2"));
}

}  // namespace

TEST(DramsysTrace, AddressMapPolicies) {
  IN_FRESH_PROCESS([] { mapped_body(RRT_ADDRESS_WRAP, "wrap.stl", 0x1000008u % 2048); });
  IN_FRESH_PROCESS([] { mapped_body(RRT_ADDRESS_MASK, "mask.stl", 0x8u); });
  IN_FRESH_PROCESS([] {
    EXPECT_THAT(replay_error("err.stl", kBeyondCapacity, clocked(1000)),
                HasSubstr("err.stl:2: access at 0x840 of 64 bytes reaches past the "
                          "memory capacity of 2048 bytes"));
  });
  IN_FRESH_PROCESS([] {  // mapped but across the end: still an error
    EXPECT_THAT(replay_error("cross.stl", "0: (64) read 0xfe0\n", clocked(1000, RRT_ADDRESS_WRAP)),
                HasSubstr("cross.stl:1: access at 0xfe0 of 64 bytes reaches past"));
  });
}

// A hash that differs warns; the same hash or none does not.
TEST(DramsysTrace, ConfigHashWarningOnlyForAnotherHash) {
  IN_FRESH_PROCESS([] { EXPECT_EQ(replay("h0.stl", "0: read 0x0\n", clocked(1000)).warning, ""); });
  IN_FRESH_PROCESS([] {
    const std::string mine = rramsim::config_hash(simtest::make_config());
    EXPECT_EQ(replay("h1.stl", "# config_hash: " + mine + "\n0: read 0x0\n", clocked(1000)).warning,
              "");
  });
  IN_FRESH_PROCESS([] {
    rramsim::ReplayOutput o =
        replay("h2.stl", "# config_hash: fnv1a64:0000000000000000\n0: read 0x0\n", clocked(1000));
    EXPECT_THAT(o.warning, HasSubstr("recorded with config_hash 'fnv1a64:0000000000000000'"));
  });
}

// What rramsim writes carries the clock as DRAMSys's clkMhz too, and reads it back.
TEST(DramsysTrace, RecordedTracesCarryClkMhz) {
  IN_FRESH_PROCESS([] {
    rramsim::AccessRecorder rec;
    rramsim::RecordParams p;
    p.tool = "test";
    p.clock_ps = 1250;
    rec.open(tmp("rec.stl"), simtest::make_config(), p);
    rec.close();
    std::ifstream f(tmp("rec.stl"));
    std::stringstream ss;
    ss << f.rdbuf();
    EXPECT_THAT(ss.str(), HasSubstr("# clock_ps: 1250\n# clkMhz: 800\n"));
  });
  IN_FRESH_PROCESS([] {
    std::vector<Seen> seen;
    rramsim::ReplayOutput o =
        replay("clk.stl", "# clkMhz: 800\n2: read 0x0\n", rramsim::ReplayParams(), &seen);
    EXPECT_EQ(o.clock_ps, 1250u);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].arrival, 2500u);
  });
}
