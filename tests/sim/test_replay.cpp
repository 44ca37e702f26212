// test_replay.cpp — recording (access and fault traces through the observers), the trace player,
// the config hash and measured error maps. SystemC runs each go in a fresh child process; a
// recording run and its replay are two children that meet through files.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bnn/status.h"
#include "fresh_process.hpp"
#include "rramsim/arbiter.hpp"
#include "rramsim/controller.hpp"
#include "rramsim/fault_replay.hpp"
#include "rramsim/player.hpp"
#include "rramsim/recording.hpp"
#include "rramsim/traffic.hpp"
#include "rrtrace/trace.h"
#include "sim_test_util.hpp"
#include "workloads/bnn_testutil.h"

using simtest::make_config;

namespace {

// The message of the rramsim::Error fn throws, "" if it throws none.
template <class F>
std::string error_of(F fn) {
  try {
    fn();
  } catch (const rramsim::Error& e) {
    return e.what();
  }
  return "";
}

constexpr uint64_t kNs = 1000;  // ps

std::string tmp_dir() {
  std::string d = std::string(RRAMSIM_BINARY_DIR) + "/tests/sim/replay_tmp";
  mkdir(d.c_str(), 0755);
  return d;
}
std::string tmp(const std::string& name) {
  return tmp_dir() + "/" + name;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
}
std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A config with every error process on, so equal stats mean equal data and equal order.
rramsim::SystemConfig noisy_config(uint64_t seed = 11) {
  return make_config(R"(, "write_ber_01": 0.01, "write_ber_10": 0.02, "read_ber_01": 0.004,
                        "read_ber_10": 0.008)",
                     R"(, "stuck_at": { "density": 0.002 },
                        "endurance": { "median_writes": 40, "sigma": 0.5 })",
                     "", seed);
}

rramsim::TrafficParams mixed_traffic(unsigned outstanding) {
  rramsim::TrafficParams tp;
  tp.pattern = rramsim::Pattern::Random;
  tp.requests = 3000;
  tp.read_ratio = 0.5;
  tp.size = 64;
  tp.seed = 5;
  tp.outstanding = outstanding;
  tp.interval_ns = outstanding > 1 ? 3.0 : 0.0;
  return tp;
}

// Stats as the stats file writes them, without wall-clock figures: equal text = equal stats.
std::string stats_text(const rramsim::SystemConfig& cfg, const rramsim::Stats& s) {
  rramsim::RunInfo info;
  info.tool_version = "test";
  return rramsim::stats_to_json(cfg, s, info);
}

void record_body(const std::string& trace, unsigned outstanding) {
  rramsim::SystemConfig cfg = noisy_config();
  rramsim::AccessRecorder rec;
  rramsim::RecordParams rp;
  rp.tool = "test";
  ASSERT_NO_THROW(rec.open(tmp(trace), cfg, rp));
  rramsim::RunOutput out = rramsim::run_traffic(cfg, mixed_traffic(outstanding), rec.observer());
  ASSERT_NO_THROW(rec.close());
  EXPECT_EQ(rec.records(), 3000u);
  EXPECT_GT(out.stats.err.write_err01 + out.stats.err.read_err10 + out.stats.err.stuck_at, 0u);
  write_text(tmp(trace + ".orig.json"), stats_text(cfg, out.stats));
}

void replay_body(const std::string& trace, bool nb = false) {
  rramsim::SystemConfig cfg = noisy_config();
  rramsim::ReplayParams rp;
  rp.trace = tmp(trace);
  rp.nb = nb;
  rramsim::ReplayOutput out = rramsim::run_replay(cfg, rp);
  EXPECT_EQ(out.warning, "");  // recorded with this very config
  EXPECT_EQ(out.records, 3000u);
  EXPECT_EQ(out.failed, 0u);
  EXPECT_EQ(stats_text(cfg, out.stats), read_text(tmp(trace + ".orig.json")));
}

// Records a run with `outstanding` requests in flight into `trace` and replays it (each in its
// own process): the replay's stats must be the run's.
void expect_replay_identical(const std::string& trace, unsigned outstanding, bool nb = false) {
  IN_FRESH_PROCESS([&] { record_body(trace, outstanding); });
  IN_FRESH_PROCESS([&] { replay_body(trace, nb); });
}

}  // namespace

// ---- config hash (no SystemC) ------------------------------------------------------------------

TEST(ConfigHash, SameResolvedConfigSameHashWhateverNameSourceOrSeed) {
  rramsim::SystemConfig a = noisy_config(1), b = noisy_config(2);
  b.name = "other";
  b.source = "elsewhere.json";
  EXPECT_EQ(rramsim::config_hash(a), rramsim::config_hash(b));
  EXPECT_EQ(rramsim::config_hash(a).rfind("fnv1a64:", 0), 0u);
  EXPECT_EQ(rramsim::config_hash(a).size(), 8u + 16u);
  rramsim::SystemConfig c = make_config();
  EXPECT_NE(rramsim::config_hash(a), rramsim::config_hash(c));
  rramsim::SystemConfig d = noisy_config(1);
  d.org.queue_depth = 3;
  EXPECT_NE(rramsim::config_hash(a), rramsim::config_hash(d));
  // The stats file carries the same identity.
  rramsim::Stats s;
  EXPECT_NE(stats_text(a, s).find("\"config_hash\": \"" + rramsim::config_hash(a) + "\""),
            std::string::npos);
}

// ---- record → replay gives the original stats -------------------------------------------------

TEST(Replay, RecordedStlReplaysToIdenticalStats) {
  expect_replay_identical("rec.stl", 4);
}
TEST(Replay, RecordedRstlReplaysToIdenticalStats) {
  // Relative timing reproduces a closed loop exactly (each request waits for its predecessor).
  expect_replay_identical("rec.rstl", 1);
}
TEST(Replay, RecordedBinaryReplaysToIdenticalStats) {
  expect_replay_identical("rec.rrt", 4);
}
TEST(Replay, RecordedGzipBinaryReplaysToIdenticalStats) {
  expect_replay_identical("rec.rrt.gz", 1);
}
TEST(Replay, ApproximatelyTimedReplayOfAClosedLoopRunIsIdenticalToo) {
  // One request at a time never meets a full queue: waiting for acceptance changes nothing.
  expect_replay_identical("nb.stl", 1, true);
  expect_replay_identical("nb.rstl", 1, true);
}

TEST(Replay, RecordedTraceHeaderCarriesProvenance) {
  IN_FRESH_PROCESS([] { record_body("prov.stl", 1); });
  std::string text = read_text(tmp("prov.stl"));
  EXPECT_NE(text.find("# config_hash: " + rramsim::config_hash(noisy_config())), std::string::npos);
  EXPECT_NE(text.find("# seed: 11"), std::string::npos);
  EXPECT_NE(text.find("# clock_ps: 1\n"), std::string::npos);
  EXPECT_NE(text.find("# tool: test"), std::string::npos);
}

// ---- DRAMSys-style STL, hand-computed timing ---------------------------------------------------
// Test organisation: t_ctrl = 2 ns, t_read = 10 ns, t_write = 50 ns, t_bus(64 B) = 8 ns; a lone
// 64-byte read takes 20 ns. Address bit 6 selects the bank.

namespace {
rramsim::ReplayOutput replay_text(const std::string& name, const std::string& text,
                                  uint64_t clock_ps, bool skip_bad = false, bool nb = false) {
  write_text(tmp(name), text);
  rramsim::ReplayParams rp;
  rp.trace = tmp(name);
  rp.clock_ps = clock_ps;
  rp.skip_bad = skip_bad;
  rp.nb = nb;
  return rramsim::run_replay(make_config(), rp);
}
}  // namespace

TEST(Replay, DramsysStlAbsoluteWithAndWithoutLengthAndData) {
  IN_FRESH_PROCESS([] {
    // As DRAMSys writes and reads them: "cycle: [(len)] cmd addr [data]", no header, 1 ns clock.
    rramsim::ReplayOutput o = replay_text("dramsys.stl",
                                          "# a DRAMSys trace\n"
                                          "0: read 0x0\n"
                                          "\n"
                                          "100:\tread\t0x40\n"
                                          "200: (8) write 0x80 0x0011223344556677\n"
                                          "300: write 0xC0 0xFFEEDDCCBBAA99887766554433221100\n"
                                          "400: (16) read 0x100\n",
                                          1000);
    EXPECT_EQ(o.records, 5u);
    EXPECT_FALSE(o.relative);
    EXPECT_EQ(o.stats.reads, 3u);
    EXPECT_EQ(o.stats.writes, 2u);
    EXPECT_EQ(o.stats.bytes_read, 64u + 64u + 16u);  // default length 64 for bare reads
    EXPECT_EQ(o.stats.bytes_written, 8u + 16u);      // length from (n) or from the data
    EXPECT_EQ(o.stats.first_arrival_ps, 0u);
    // Each request is alone at its time: reads of 64 B take 20 ns.
    EXPECT_EQ(o.stats.read_latency.max(), 20 * kNs);
    EXPECT_EQ(o.stats.read_latency.min(), 2 * kNs + 10 * kNs + 2 * kNs);  // 16 B: 2 beats
    // Last: the 16-byte read issued at 400 ns completes at 414 ns.
    EXPECT_EQ(o.stats.end_ps, 414 * kNs);
  });
}

TEST(Replay, DramsysRstlCountsFromThePreviousIssue) {
  IN_FRESH_PROCESS([] {
    rramsim::ReplayOutput o =
        replay_text("dramsys.rstl", "0: read 0x0\n100: read 0x40\n5: read 0x80\n", 1000);
    EXPECT_TRUE(o.relative);
    // DRAMSys 5: 100 ns after the first was issued (not after it completed at 20 ns): arrives
    // at 100, done 120; the third 5 ns later, at 105, while the second is still in flight
    // (bank 0 is free: sensed 107..117; the bus after the second's 112..120: done 128).
    EXPECT_EQ(o.stats.end_ps, 128 * kNs);
    EXPECT_EQ(o.stats.read_latency.max(), 23 * kNs);
  });
  IN_FRESH_PROCESS([] {
    rramsim::ReplayOutput o = replay_text("same.stl", "0: read 0x0\n100: read 0x40\n", 1000);
    EXPECT_EQ(o.stats.end_ps, 120 * kNs);  // absolute: at 100 ns
  });
}

TEST(Replay, ApproximatelyTimedWaitsForAcceptance) {
  IN_FRESH_PROCESS([] {
    // nb, relative: same hand-computed times as b_transport.
    rramsim::ReplayOutput o = replay_text(
        "nb_dramsys.rstl", "0: read 0x0\n100: read 0x40\n5: read 0x80\n", 1000, false, true);
    EXPECT_EQ(o.stats.end_ps, 128 * kNs);
  });
  IN_FRESH_PROCESS([] {
    // Queue depth 2, five reads of bank 0 at t = 0 (controller at 2 ns; a slot frees when its
    // request issues to the bank at 2, 12, 22, 32, 42 ns). b_transport: all arrive at 0; the 4th
    // and 5th find the queue full and are accepted at 12 and 22 ns (two stalls). nb: each
    // request is sent after the END_REQ of the previous one (at 0, 2, 4, 6, 12 ns); the bank
    // does the same work at the same times either way: five senses back to back, then the bus.
    const char* t = "0: read 0x0\n0: read 0x80\n0: read 0x100\n0: read 0x180\n0: read 0x200\n";
    rramsim::ReplayOutput lt = replay_text("burst_lt.stl", t, 1000, false, false);
    EXPECT_EQ(lt.stats.queue_stalls, 2u);
    EXPECT_EQ(lt.stats.first_arrival_ps, 0u);
    EXPECT_EQ(lt.stats.end_ps, 2 * kNs + 5 * 10 * kNs + 8 * kNs);  // 5 senses back to back
  });
  IN_FRESH_PROCESS([] {
    const char* t = "0: read 0x0\n0: read 0x80\n0: read 0x100\n0: read 0x180\n0: read 0x200\n";
    rramsim::ReplayOutput at = replay_text("burst_at.stl", t, 1000, false, true);
    EXPECT_EQ(at.stats.end_ps, 2 * kNs + 5 * 10 * kNs + 8 * kNs);
    EXPECT_EQ(at.records, 5u);
    EXPECT_EQ(at.stats.queue_stalls, 2u);
    // The 5th request arrived at 12 ns, once the 4th was accepted: its latency is 48 ns
    // (accepted at 22, sensed 42..52, bus 52..60) instead of 60 ns under b_transport.
    EXPECT_EQ(at.stats.read_latency.max(), 48 * kNs);
  });
}

TEST(Replay, BehindScheduleIssuesAtOnceInRecordOrder) {
  IN_FRESH_PROCESS([] {
    // Out-of-order times: the third record (t = 5) is behind the second (t = 50): issued at 50.
    rramsim::ReplayOutput o =
        replay_text("late.stl", "0: read 0x0\n50: read 0x40\n5: read 0x80\n", 1000);
    // Both issued at 50 ns: 0x40 (bank 1) senses 52..62 and takes the bus 62..70; 0x80 (bank 0,
    // free since 12 ns) senses 52..62 and waits for the bus: 70..78.
    EXPECT_EQ(o.stats.end_ps, 78 * kNs);
    EXPECT_EQ(o.stats.read_latency.max(), 28 * kNs);
  });
}

// ---- bad input -------------------------------------------------------------------------------

TEST(Replay, AddressOutsideCapacityIsAnErrorNamingFileAndLine) {
  IN_FRESH_PROCESS([] {
    // Capacity 2 KiB: the 64 bytes at 0x7f0 reach past it.
    const std::string e =
        error_of([] { replay_text("cap.stl", "0: read 0x0\n1: read 0x7f0\n", 1000); });
    EXPECT_NE(e.find("cap.stl:2:"), std::string::npos) << e;
    EXPECT_NE(e.find("reaches past the memory capacity of 2048 bytes"), std::string::npos) << e;
  });
  IN_FRESH_PROCESS([] {
    // Binary: named by record number.
    rrt_access_write_params wp = rrt_access_write_default_params();
    wp.prov.clock_ps = 1000;
    rrt_access_writer* w = nullptr;
    ASSERT_EQ(rrt_access_writer_open(tmp("cap.rrt").c_str(), &wp, &w), BNN_OK) << bnn_errmsg();
    for (uint64_t i = 0; i < 3; ++i) {
      rrt_access a{};
      a.cycle = i;
      a.address = i == 2 ? 0x800 : i * 64;
      a.length = 64;
      ASSERT_EQ(rrt_access_writer_put(w, &a), BNN_OK);
    }
    ASSERT_EQ(rrt_access_writer_close(w), BNN_OK) << bnn_errmsg();
    rramsim::ReplayParams rp;
    rp.trace = tmp("cap.rrt");
    const std::string e = error_of([&] { rramsim::run_replay(make_config(), rp); });
    EXPECT_NE(e.find("cap.rrt: record 3: access at 0x800"), std::string::npos) << e;
  });
}

// Issue 14: times near 2^64 ps used to reach SystemC's maximum time, which ended the simulation
// silently (later records dropped, exit 0) and left the player thread suspended with its 64 KiB
// buffer (LSan: 65,552 bytes from run_lt). Both players refuse them, naming the record.
TEST(Replay, TimesPastTheSimulatorsRangeAreAnErrorNamingTheLine) {
  for (bool nb : {false, true}) {
    IN_FRESH_PROCESS([nb] {
      const std::string e = error_of([nb] {
        replay_text("far.stl", "0: read 0x0\n18446744073709551615: read 0x40\n9: read 0x80\n", 1,
                    false, nb);
      });
      EXPECT_NE(e.find("far.stl:2: time past the simulator's range"), std::string::npos) << e;
    });
    IN_FRESH_PROCESS([nb] {
      // Relative: each delta alone is in range, their sum is not.
      const std::string e = error_of([nb] {
        replay_text("far.rstl",
                    "0: read 0x0\n6000000000000000000: read 0x40\n6000000000000000000: read 0x80\n",
                    1, false, nb);
      });
      EXPECT_NE(e.find("far.rstl:3: time past the simulator's range"), std::string::npos) << e;
    });
  }
}

// Issue 14: a NUL at the start of a line ended the C string there, so the record passed for a
// blank line and was dropped without a word.
TEST(Replay, NulAtTheStartOfALineIsMalformed) {
  IN_FRESH_PROCESS([] {
    const std::string e = error_of([] {
      replay_text("nul.stl", std::string("0: read 0x0\n") + '\0' + "5: read 0x40\n9: read 0x80\n",
                  1000);
    });
    EXPECT_NE(e.find("nul.stl:2: malformed STL record: NUL byte"), std::string::npos) << e;
  });
}

TEST(Replay, MalformedLineIsAnErrorOrSkippedWithSkipBad) {
  IN_FRESH_PROCESS([] {
    const std::string e =
        error_of([] { replay_text("bad.stl", "0: read 0x0\n1: reed 0x40\n2: read 0x80\n", 1000); });
    EXPECT_NE(e.find("bad.stl:2:"), std::string::npos) << e;
  });
  IN_FRESH_PROCESS([] {
    rramsim::ReplayOutput o =
        replay_text("bad2.stl", "0: read 0x0\n1: reed 0x40\n2: read 0x80\n", 1000, true);
    EXPECT_EQ(o.records, 2u);
    EXPECT_EQ(o.bad_lines, 1u);
  });
}

TEST(Replay, TraceWithoutClockIsRefusedBeforeSimulation) {
  // No SystemC is elaborated when the source cannot open: safe in this process.
  write_text(tmp("noclock.stl"), "0: read 0x0\n");
  rramsim::ReplayParams rp;
  rp.trace = tmp("noclock.stl");
  std::string e = error_of([&] { rramsim::run_replay(make_config(), rp); });
  EXPECT_NE(e.find("names no clock"), std::string::npos) << e;
  rp.trace = tmp("does-not-exist.rrt");
  e = error_of([&] { rramsim::run_replay(make_config(), rp); });
  EXPECT_NE(e.find("does-not-exist.rrt"), std::string::npos) << e;
}

TEST(Replay, TraceFromAnotherConfigWarns) {
  IN_FRESH_PROCESS([] { record_body("other.rrt", 1); });
  IN_FRESH_PROCESS([] {
    rramsim::SystemConfig cfg = make_config();  // not noisy_config(): another hash
    rramsim::ReplayParams rp;
    rp.trace = tmp("other.rrt");
    rramsim::ReplayOutput o = rramsim::run_replay(cfg, rp);
    EXPECT_EQ(o.records, 3000u);
    EXPECT_NE(o.warning.find("recorded with config_hash '" + rramsim::config_hash(noisy_config()) +
                             "', replaying with '" + rramsim::config_hash(cfg) + "'"),
              std::string::npos)
        << o.warning;
  });
}

TEST(Recording, UnknownExtensionAndUnwritablePathAreErrors) {
  rramsim::AccessRecorder rec;
  rramsim::RecordParams rp;
  std::string e = error_of([&] { rec.open(tmp("x.txt"), make_config(), rp); });
  EXPECT_NE(e.find("x.txt: cannot tell the trace format"), std::string::npos) << e;
  e = error_of([&] { rec.open("/nonexistent-dir/x.stl", make_config(), rp); });
  EXPECT_NE(e.find("/nonexistent-dir/x.stl"), std::string::npos) << e;
  rramsim::FaultRecorder fr;
  e = error_of([&] { fr.open("/nonexistent-dir/f.csv", make_config(), rp); });
  EXPECT_NE(e.find("/nonexistent-dir/f.csv"), std::string::npos) << e;
}

// ---- fault recording -------------------------------------------------------------------------

namespace {
void fault_record_body() {
  rramsim::quiet_systemc();
  rramsim::SystemConfig cfg = noisy_config();
  rramsim::FaultRecorder rec;
  rramsim::RecordParams rp;
  rp.tool = "test";
  rp.model_id = "crc32:0badf00d";
  ASSERT_NO_THROW(rec.open(tmp("faults.csv"), cfg, rp));
  rramsim::TrafficGenerator gen("traffic", mixed_traffic(1), cfg.org.capacity_bytes());
  rramsim::Arbiter arb("arbiter");
  rramsim::RramMemory mem("rram", cfg);
  mem.set_fault_observer(rec.observer());
  gen.socket.bind(arb.targets);
  arb.memory.bind(mem.socket);
  sc_core::sc_start();
  mem.finish();
  ASSERT_NO_THROW(rec.close());
  const rramsim::Stats& s = mem.stats();

  // Read back: counts per kind and direction equal the stats' counters, record by record.
  rrt_fault_reader* r = nullptr;
  ASSERT_EQ(rrt_fault_reader_open(tmp("faults.csv").c_str(), 0, &r), BNN_OK) << bnn_errmsg();
  EXPECT_EQ(rrt_fault_reader_check_model(r, "crc32:0badf00d"), BNN_OK);
  EXPECT_STREQ(rrt_fault_reader_provenance(r)->config_hash, rramsim::config_hash(cfg).c_str());
  uint64_t w01 = 0, w10 = 0, r01 = 0, r10 = 0, stuck = 0, endur = 0, n = 0;
  rrt_fault f;
  int got = 0;
  while (rrt_fault_reader_next(r, &f, &got) == BNN_OK && got) {
    ++n;
    ASSERT_LT(f.address, cfg.org.capacity_bytes());
    ASSERT_LE(f.bit, 7u);
    switch (f.kind) {
      case RRT_FAULT_WRITE:
        ASSERT_NE(f.old_value, f.new_value);  // intended vs stored
        (f.old_value ? w10 : w01)++;
        EXPECT_EQ(f.access, -1);
        break;
      case RRT_FAULT_READ:
        ASSERT_NE(f.old_value, f.new_value);  // stored vs returned
        (f.old_value ? r10 : r01)++;
        ASSERT_GE(f.access, 0);
        ASSERT_LT(static_cast<uint64_t>(f.access), s.reads);
        break;
      case RRT_FAULT_STUCK_AT: {
        ASSERT_NE(f.old_value, f.new_value);
        uint8_t v = 2;
        // The cell is stuck, at the value the record says it holds now.
        ASSERT_TRUE(mem.controller().storage().stuck(f.address, f.bit, &v));
        EXPECT_EQ(v, f.new_value);
        ++stuck;
        break;
      }
      default: {
        EXPECT_EQ(f.old_value, f.new_value);  // worn out at the value it held
        uint8_t v = 2;
        ASSERT_TRUE(mem.controller().storage().stuck(f.address, f.bit, &v));
        ++endur;
        break;
      }
    }
  }
  EXPECT_EQ(got, 0) << bnn_errmsg();
  rrt_fault_reader_close(r);
  EXPECT_EQ(w01, s.err.write_err01);
  EXPECT_EQ(w10, s.err.write_err10);
  EXPECT_EQ(r01, s.err.read_err01);
  EXPECT_EQ(r10, s.err.read_err10);
  EXPECT_EQ(stuck, s.err.stuck_at);
  EXPECT_EQ(endur, s.err.endurance);
  EXPECT_GT(w01 * w10 * r01 * r10 * stuck * endur, 0u) << "every kind should occur";
  EXPECT_EQ(n, rec.records());
}
}  // namespace

FRESH_PROCESS_TEST(Recording, FaultTraceMatchesTheStatsCountersRecordByRecord, fault_record_body)

// ---- measured error maps (no SystemC: controller and storage directly) ------------------------

namespace {
std::shared_ptr<const rramsim::ErrorMap> map_from(const std::string& name, const std::string& csv,
                                                  const rramsim::Organisation& org) {
  write_text(tmp(name), csv);
  return rramsim::load_error_map(tmp(name), org);
}
}  // namespace

TEST(ErrorMap, StuckCellsReadAsStuckAndFlipRatesApply) {
  rramsim::SystemConfig cfg = make_config();
  cfg.error_map = map_from("m.csv",
                           "address,bit,kind,rate\n"
                           "0x10,3,stuck-at-1,\n"
                           "0x11,0,sa0,\n"
                           "0x200,7,stuck-at-1,\n"  // a page never written: still reads 1
                           "0x20,2,flip-rate,1\n"
                           "0x21,2,flip-rate,0\n",
                           cfg.org);
  ASSERT_EQ(cfg.error_map->cells.size(), 5u);
  EXPECT_EQ(cfg.error_map->stuck1, 2u);
  EXPECT_EQ(cfg.error_map->flip, 2u);
  rramsim::Controller c(cfg);
  std::vector<uint8_t> zeros(64, 0x00), ones(64, 0xff), buf(64);
  ASSERT_TRUE(c.access(rramsim::Cmd::Write, 0, zeros.data(), 64, 0).ok);
  ASSERT_TRUE(c.access(rramsim::Cmd::Read, 0, buf.data(), 64, 1000 * kNs).ok);
  EXPECT_EQ(buf[0x10], 0x08);  // bit 3 stuck at 1
  EXPECT_EQ(buf[0x11], 0x00);
  EXPECT_EQ(buf[0x20], 0x04);  // rate 1: always flipped on read
  EXPECT_EQ(buf[0x21], 0x00);  // rate 0: never
  ASSERT_TRUE(c.access(rramsim::Cmd::Write, 0, ones.data(), 64, 2000 * kNs).ok);
  ASSERT_TRUE(c.access(rramsim::Cmd::Read, 0, buf.data(), 64, 3000 * kNs).ok);
  EXPECT_EQ(buf[0x10], 0xff);
  EXPECT_EQ(buf[0x11], 0xfe);  // bit 0 stuck at 0
  EXPECT_EQ(buf[0x20], 0xfb);
  EXPECT_EQ(c.stats().err.stuck_at, 2u);    // the two writes that did not take
  EXPECT_EQ(c.stats().err.read_err01, 1u);  // 0x20 bit 2 read as 1 while 0
  EXPECT_EQ(c.stats().err.read_err10, 1u);
  ASSERT_TRUE(c.access(rramsim::Cmd::Read, 0x200, buf.data(), 64, 4000 * kNs).ok);
  EXPECT_EQ(buf[0], 0x80);
  uint8_t v = 0;
  EXPECT_TRUE(c.storage().stuck(0x11, 0, &v));
  EXPECT_EQ(v, 0);
  // The map is part of the config's identity.
  EXPECT_NE(rramsim::config_hash(cfg), rramsim::config_hash(make_config()));
}

TEST(ErrorMap, ArrayFormMapsThroughTheAddressMapping) {
  // An explicit, scrambled mapping: row bits low, column high.
  rramsim::SystemConfig cfg =
      make_config("", "", R"(, "address_mapping": { "row": [0, 1, 2, 3], "bank": [4],
                             "column": [5, 6, 7, 8, 9, 10] })");
  cfg.error_map = map_from("a.csv",
                           "bank,crossbar,row,column,bit,kind,rate\n"
                           "1,0,5,13,0,stuck-at-1,\n"
                           "0,0,15,511,0,stuck-at-1,\n",
                           cfg.org);
  ASSERT_EQ(cfg.error_map->cells.size(), 2u);
  rramsim::AddressDecoder dec(cfg.org);
  for (size_t i = 0; i < 2; ++i) {
    const rramsim::Defect& d = cfg.error_map->cells[i];
    const unsigned bank[] = {1, 0}, row[] = {5, 15}, col[] = {13, 511};
    EXPECT_EQ(dec.bank(d.addr), bank[i]);
    EXPECT_EQ(dec.field(d.addr, rramsim::AddrField::Row), row[i]);
    EXPECT_EQ(dec.field(d.addr, rramsim::AddrField::Column), col[i] / 8);
    EXPECT_EQ(d.bit, col[i] % 8);
  }
  rramsim::Controller c(cfg);
  uint8_t b = 0;
  ASSERT_TRUE(c.access(rramsim::Cmd::Read, cfg.error_map->cells[0].addr, &b, 1, 0).ok);
  EXPECT_EQ(b, 1u << (13 % 8));
}

TEST(ErrorMap, BadCellsNameFileAndLine) {
  rramsim::Organisation org = make_config().org;
  auto expect_error = [&](const std::string& csv, const std::string& what) {
    try {
      map_from("bad.csv", csv, org);
      ADD_FAILURE() << "no error for: " << csv;
    } catch (const rramsim::ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  expect_error("address,bit,kind\n0x0,1,sa0\n0x800,0,sa1\n",
               "bad.csv:3: address 0x800 is outside the memory (capacity 2048 bytes)");
  expect_error("bank,crossbar,row,column,bit,kind\n2,0,0,0,0,sa0\n",
               "bad.csv:2: bank 2 is outside [0, 1]");
  expect_error("bank,crossbar,row,column,bit,kind\n0,1,0,0,0,sa0\n", "bad.csv:2: crossbar 1");
  expect_error("bank,crossbar,row,column,bit,kind\n0,0,16,0,0,sa0\n", "bad.csv:2: row 16");
  expect_error("bank,crossbar,row,column,bit,kind\n0,0,0,512,0,sa0\n", "bad.csv:2: column 512");
  expect_error("bank,crossbar,row,column,bit,kind\n0,0,0,0,1,sa0\n", "bad.csv:2: bit must be 0");
  expect_error("address,bit,kind\n0x0,9,sa0\n", "bad.csv:2");  // libtrace's own check
}

// A sweep loads its map once per combination of its axes: each (bytes, organisation) is parsed
// once per process and shared. A rewrite is parsed again even at the same size and within one
// timestamp tick (the bytes are compared), so is another organisation, and a map that failed.
TEST(ErrorMap, ParsedOncePerContentAndOrganisation) {
  rramsim::SystemConfig cfg = make_config();
  const std::string path = tmp("cached_map.csv");
  write_text(path, "bank,crossbar,row,column,bit,kind\n1,0,3,9,0,sa0\n");
  const auto a = rramsim::load_error_map(path, cfg.org);
  EXPECT_EQ(rramsim::load_error_map(path, cfg.org).get(), a.get());
  rramsim::Organisation taller = cfg.org;
  taller.rows *= 2;
  const auto t = rramsim::load_error_map(path, taller);
  EXPECT_NE(t.get(), a.get());
  EXPECT_EQ(rramsim::load_error_map(path, taller).get(), t.get());
  EXPECT_EQ(rramsim::load_error_map(path, cfg.org).get(), a.get());
  // The same size, rewritten at once: the new cell kind, not the cached one.
  write_text(path, "bank,crossbar,row,column,bit,kind\n1,0,3,9,0,sa1\n");
  const auto b = rramsim::load_error_map(path, cfg.org);
  EXPECT_NE(b.get(), a.get());
  EXPECT_EQ(a->stuck0, 1u);
  EXPECT_EQ(b->stuck1, 1u);
  EXPECT_EQ(b->stuck0, 0u);
  ASSERT_EQ(b->cells.size(), 1u);
  EXPECT_EQ(b->cells[0].addr, a->cells[0].addr);
  // A failed map is parsed (and refused) again, then the fixed file loads.
  write_text(path, "bank,crossbar,row,column,bit,kind\n9,0,3,9,0,sa1\n");
  for (int k = 0; k < 2; ++k)
    EXPECT_THROW(rramsim::load_error_map(path, cfg.org), rramsim::ConfigError);
  write_text(path, "bank,crossbar,row,column,bit,kind\n1,0,3,9,0,sa1\n");
  EXPECT_EQ(rramsim::load_error_map(path, cfg.org)->stuck1, 1u);
}

TEST(ErrorMap, SystemKeyLoadsRelativeToTheSystemFileAndExamplesFitSmall) {
  write_text(tmp("key_map.csv"), "address,bit,kind\n0x40,1,sa1\n");
  std::string sys = "{ \"device\": " + simtest::device_json() +
                    ", \"organisation\": " + simtest::org_json() +
                    ", \"error_map\": \"key_map.csv\" }";
  rramsim::SystemConfig cfg = rramsim::load_system_string(sys, "sys.json", tmp_dir());
  ASSERT_TRUE(cfg.error_map);
  EXPECT_EQ(cfg.error_map->stuck1, 1u);
  EXPECT_NE(rramsim::config_to_json(cfg).find("\"error_map\""), std::string::npos);
  std::string bad = "{ \"device\": " + simtest::device_json() +
                    ", \"organisation\": " + simtest::org_json() +
                    ", \"error_map\": \"missing.csv\" }";
  try {
    rramsim::load_system_string(bad, "sys.json", tmp_dir());
    ADD_FAILURE();
  } catch (const rramsim::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("sys.json: error_map: "), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("missing.csv"), std::string::npos) << e.what();
  }
  // Both shipped examples load against the default system.
  rramsim::SystemConfig small =
      rramsim::load_system_file(std::string(RRAMSIM_SOURCE_DIR) + "/configs/systems/small.json");
  for (const char* ex : {"errmap_address.csv", "errmap_array.csv"}) {
    auto m = rramsim::load_error_map(std::string(RRAMSIM_SOURCE_DIR) + "/traces/examples/" + ex,
                                     small.org);
    EXPECT_GE(m->cells.size(), 5u) << ex;
  }
}

// Fault replay with a measured error map: stuck cells set exactly the weight bits that differ
// from their value, flip-rate cells flip reads, and the records of what the map changed replay
// (without the map) to the same predictions — what `faults analyze --error-map` relies on.
TEST(ErrorMap, FaultReplayAppliesTheMapAndItsRecordsReplayAlike) {
  bnn_model* m = bnntest::random_model(1, 8, 8, {{'d', 96}, {'d', 64}, {'d', 10}}, 11);
  ASSERT_NE(m, nullptr);
  rramsim::SystemConfig cfg = make_config();
  const rramsim::Placement pl = rramsim::place_model(m, "m.bnn", cfg, {});
  const uint8_t* image = bnn_model_weight_image(m, nullptr);
  const rramsim::LayerPlacement& l0 = pl.layers[0];
  const rramsim::LayerPlacement& l1 = pl.layers[1];
  std::ostringstream csv;
  csv << "address,bit,kind,rate\n";
  for (int byte = 0; byte < 4; ++byte)
    for (int bit = 0; bit < 8; ++bit) csv << l0.rram_addr + byte << "," << bit << ",sa1,\n";
  for (int k = 0; k < 4; ++k)
    csv << l1.rram_addr + l1.row_bytes * k << "," << k << ",flip-rate,0.5\n";
  csv << cfg.org.capacity_bytes() - 1 << ",0,sa0,\n";  // not under a weight: no effect
  auto map = map_from("replay_map.csv", csv.str(), cfg.org);
  uint64_t zeros = 0;
  for (int byte = 0; byte < 4; ++byte)
    zeros += 8 - static_cast<uint64_t>(__builtin_popcount(image[l0.image_addr + byte]));

  const size_t n = 40;
  std::vector<uint8_t> imgs = bnntest::random_images(m, n, 9);
  rramsim::FaultReplayParams rp;
  rp.error_map = map.get();
  rp.seed = cfg.seed;
  std::vector<rrt_fault> map_faults;
  rp.map_faults = &map_faults;
  std::vector<uint8_t> with_map, from_records, same_again;
  ASSERT_NO_THROW(rramsim::replay_faults(m, pl, {}, nullptr, imgs.data(), n, rp, &with_map));
  uint64_t stuck = 0, reads = 0;
  for (const rrt_fault& f : map_faults) {
    if (f.kind == RRT_FAULT_STUCK_AT) {
      ++stuck;
      EXPECT_EQ(f.new_value, 1);
      EXPECT_EQ(f.old_value, 0);
      EXPECT_EQ(f.layer, 0);
      EXPECT_EQ(f.neuron, 0);
      EXPECT_EQ(f.weight, static_cast<int64_t>((f.address - l0.rram_addr) * 8 + f.bit));
    } else {
      ASSERT_EQ(f.kind, RRT_FAULT_READ);
      ++reads;
      EXPECT_EQ(f.layer, 1);
      EXPECT_GE(f.access, 0);
    }
  }
  EXPECT_EQ(stuck, zeros);  // exactly the weight bits that were 0
  EXPECT_GT(reads, 0u);     // 4 cells read 40 times each at rate 0.5
  EXPECT_LT(reads, 160u);
  // The records alone, without the map, give the same predictions; the map again, the same draws.
  rramsim::FaultReplayParams plain;
  ASSERT_NO_THROW(
      rramsim::replay_faults(m, pl, map_faults, nullptr, imgs.data(), n, plain, &from_records));
  EXPECT_EQ(from_records, with_map);
  std::vector<rrt_fault> again;
  rp.map_faults = &again;
  ASSERT_NO_THROW(rramsim::replay_faults(m, pl, {}, nullptr, imgs.data(), n, rp, &same_again));
  EXPECT_EQ(same_again, with_map);
  EXPECT_EQ(again.size(), map_faults.size());
  bnn_model_free(m);
}
