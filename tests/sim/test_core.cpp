// test_core.cpp — the controller and storage without SystemC: hand-computed latencies, queue
// back-pressure, write-verify, exact energy, error statistics and semantics, determinism.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "bnn/rng.h"
#include "rramsim/controller.hpp"
#include "sim_test_util.hpp"

using rramsim::Cmd;
using rramsim::Controller;
using simtest::make_config;

namespace {

constexpr uint64_t kNs = 1000;  // ps

// The stream of this file's test data (simtest::random_bytes).
constexpr uint64_t kDataStream = 99;

uint64_t read_at(Controller& c, uint64_t addr, uint64_t t, uint64_t len = 64) {
  std::vector<uint8_t> buf(len);
  Controller::Result r = c.access(Cmd::Read, addr, buf.data(), len, t);
  EXPECT_TRUE(r.ok);
  return r.done_ps - t;
}

}  // namespace

// Timing of the test organisation: t_ctrl = 2 ns, t_read = 10 ns, t_write = 50 ns,
// t_bus(64 B) = 8 beats · 1 ns. Bank = address bit 6; rows are 64 B.
TEST(Timing, OneRead) {
  Controller c(make_config());
  EXPECT_EQ(read_at(c, 0, 0), (2 + 10 + 8) * kNs);
}

TEST(Timing, TwoReadsOneBankSerialise) {
  Controller c(make_config());
  EXPECT_EQ(read_at(c, 0, 0), 20 * kNs);
  // Same bank (row 1 of bank 0): starts when the bank frees at 12 ns, senses until 22 ns,
  // then 8 ns on the bus.
  EXPECT_EQ(read_at(c, 128, 0), 30 * kNs);
}

TEST(Timing, TwoBanksOverlap) {
  Controller c(make_config());
  EXPECT_EQ(read_at(c, 0, 0), 20 * kNs);
  // Bank 1 senses in parallel (2..12 ns) and waits only for the bus (free at 20 ns).
  EXPECT_EQ(read_at(c, 64, 0), 28 * kNs);
}

TEST(Timing, WriteThenReadOneBank) {
  Controller c(make_config());
  auto data = simtest::random_bytes(64, 1, kDataStream);
  Controller::Result w = c.access(Cmd::Write, 0, data.data(), 64, 0);
  // Data on the bus 2..10 ns, then programming 10..60 ns.
  EXPECT_EQ(w.done_ps, 60 * kNs);
  // The read waits for the bank (60 ns), senses 10 ns, bus 8 ns.
  EXPECT_EQ(read_at(c, 0, 0), 78 * kNs);
}

TEST(Timing, QueueFullBackPressure) {
  Controller c(make_config());  // queue_depth 2
  std::vector<uint8_t> buf(64);
  // Three reads to bank 0 at t = 0: issued at 2, 12 and 22 ns; the queue holds the last two.
  for (uint64_t a : {0, 128, 256}) {
    Controller::Result r = c.access(Cmd::Read, a, buf.data(), 64, 0);
    EXPECT_EQ(r.accept_ps, 2 * kNs);
  }
  EXPECT_EQ(c.stats().queue_stalls, 0u);
  // A read to the idle bank 1 must wait for a slot: the next issue frees one at 12 ns.
  Controller::Result r = c.access(Cmd::Read, 64, buf.data(), 64, 0);
  EXPECT_EQ(r.accept_ps, 12 * kNs);
  EXPECT_EQ(c.stats().queue_stalls, 1u);
  EXPECT_EQ(c.stats().queue_stall_ps, 10 * kNs);
  // Sensing 12..22 ns, then the in-order bus after the three bank-0 transfers (ends at 40 ns).
  EXPECT_EQ(r.done_ps, 48 * kNs);
  // With a deeper queue the same read is accepted at once.
  Controller deep(make_config("", "", "", 7, {{"queue_depth", "8"}}));
  for (uint64_t a : {0, 128, 256}) deep.access(Cmd::Read, a, buf.data(), 64, 0);
  EXPECT_EQ(deep.access(Cmd::Read, 64, buf.data(), 64, 0).accept_ps, 2 * kNs);
}

TEST(Timing, WriteVerifyNoFailuresCostsOneVerify) {
  Controller c(
      make_config("", ", \"write_verify\": { \"policy\": \"iterative\", \"max_iterations\": 3 }"));
  auto data = simtest::random_bytes(64, 2, kDataStream);
  Controller::Result w = c.access(Cmd::Write, 0, data.data(), 64, 0);
  // Program 10..60 ns, verify read 60..70 ns.
  EXPECT_EQ(w.done_ps, 70 * kNs);
  EXPECT_EQ(c.stats().banks[0].verify_ops, 1u);
  EXPECT_EQ(c.stats().err.verify_rounds, 0u);
}

TEST(Timing, WriteVerifyForcedFailures) {
  // Half of all cells stuck: some always disagree with random data, so every round fails and
  // the controller gives up after max_iterations re-programs.
  Controller c(
      make_config("",
                  ", \"stuck_at\": { \"density\": 0.5 }, "
                  "\"write_verify\": { \"policy\": \"iterative\", \"max_iterations\": 3 }"));
  auto data = simtest::random_bytes(64, 3, kDataStream);
  Controller::Result w = c.access(Cmd::Write, 0, data.data(), 64, 0);
  // Bus 2..10 ns; program + 3 re-programs (4 · 50 ns) + 4 verifies (4 · 10 ns) from 10 ns.
  EXPECT_EQ(w.done_ps, (10 + 4 * 50 + 4 * 10) * kNs);
  const auto& e = c.stats().err;
  EXPECT_EQ(e.verify_rounds, 3u);
  EXPECT_EQ(e.verify_gave_up, 1u);
  EXPECT_GT(e.stuck_at, 0u);
  EXPECT_EQ(e.write_err01 + e.write_err10, 0u);  // no write BER configured: only stuck cells fail
  EXPECT_EQ(c.stats().banks[0].write_ops, 4u);
  EXPECT_EQ(c.stats().banks[0].verify_ops, 4u);
}

TEST(Timing, WriteVerifyRepairsWriteErrors) {
  Controller c(
      make_config(", \"write_ber_01\": 0.05, \"write_ber_10\": 0.05",
                  ", \"write_verify\": { \"policy\": \"iterative\", \"max_iterations\": 8 }"));
  Controller plain(make_config(", \"write_ber_01\": 0.05, \"write_ber_10\": 0.05"));
  for (uint64_t a = 0; a < 2048; a += 64) {
    auto data = simtest::random_bytes(64, a, kDataStream);
    c.access(Cmd::Write, a, data.data(), 64, 0);
    plain.access(Cmd::Write, a, data.data(), 64, 0);
  }
  const auto& e = c.stats().err;
  EXPECT_GT(plain.stats().err.write_err01 + plain.stats().err.write_err10, 500u);
  EXPECT_EQ(e.write_err01 + e.write_err10, 0u);  // 0.05^9 per bit: all repaired
  EXPECT_GT(e.verify_rounds, 0u);
  EXPECT_GT(e.verify_reprogrammed_bits, 500u);
}

TEST(Timing, ReadFirstPostsWritesAndDrainsAtWatermark) {
  Controller c(
      make_config("", "",
                  ", \"scheduler\": { \"policy\": \"read_first\", \"write_high_watermark\": 2, "
                  "\"write_low_watermark\": 0 }",
                  7, {{"queue_depth", "4"}}));
  auto data = simtest::random_bytes(64, 4, kDataStream);
  // Posted: complete once the data crossed the bus (2..10 ns).
  EXPECT_EQ(c.access(Cmd::Write, 0, data.data(), 64, 0).done_ps, 10 * kNs);
  EXPECT_EQ(read_at(c, 128, 0), 20 * kNs);  // bank 0 still idle: the write is buffered
  // The second write waits for the bus (the read's data until 20 ns): 20..28 ns. It reaches the
  // high watermark, so both buffered writes drain once its data is in (28 ns): the write to
  // bank 0 programs 28..78 ns, and the next bank-0 read senses after that.
  EXPECT_EQ(c.access(Cmd::Write, 64, data.data(), 64, 0).done_ps, 28 * kNs);
  EXPECT_EQ(read_at(c, 256, 0), (78 + 10 + 8) * kNs);
}

TEST(Energy, TotalIsCountsTimesEnergiesExactly) {
  // Energies are exact binary fractions, so the sums below are exact.
  rramsim::SystemConfig cfg = make_config("", "", ", \"static_power_mw\": 0.5");
  Controller c(cfg);
  uint64_t ones = 0, bits_written = 0, reads = 0, writes = 0;
  for (int i = 0; i < 200; ++i) {
    uint64_t addr = static_cast<uint64_t>(i % 32) * 64;
    if (i % 3 == 0) {
      auto d = simtest::random_bytes(64, static_cast<uint64_t>(i), kDataStream);
      for (uint8_t b : d) ones += static_cast<uint64_t>(__builtin_popcount(b));
      bits_written += 512;
      c.access(Cmd::Write, addr, d.data(), 64, static_cast<uint64_t>(i) * 100 * kNs);
      ++writes;
    } else {
      read_at(c, addr, static_cast<uint64_t>(i) * 100 * kNs);
      ++reads;
    }
  }
  c.finish();
  const rramsim::Stats& s = c.stats();
  rramsim::Energy e = rramsim::total_energy(s, cfg);
  const double expect_read = static_cast<double>(reads * 512) * 0.25;
  const double expect_set = static_cast<double>(ones) * 2.0;
  const double expect_reset = static_cast<double>(bits_written - ones) * 1.0;
  const double expect_periph = static_cast<double>(reads) * 4.0 + static_cast<double>(writes) * 8.0;
  const double expect_static = 0.5 * static_cast<double>(s.end_ps) * 1e-3;
  EXPECT_EQ(e.read, expect_read);
  EXPECT_EQ(e.set, expect_set);
  EXPECT_EQ(e.reset, expect_reset);
  EXPECT_EQ(e.verify, 0.0);
  EXPECT_EQ(e.periph_read + e.periph_write, expect_periph);
  EXPECT_EQ(e.static_, expect_static);
  EXPECT_DOUBLE_EQ(e.total(),
                   expect_read + expect_set + expect_reset + expect_periph + expect_static);
  // Per-bank energies add up to the total.
  double sum = 0;
  for (const auto& b : s.banks) sum += rramsim::bank_energy(b, cfg.op()).dynamic();
  EXPECT_DOUBLE_EQ(sum, e.dynamic());
}

namespace {
// |observed − p| within the 99.9 % two-sided normal interval of a binomial(n, p).
void expect_in_binomial_interval(uint64_t k, uint64_t n, double p, const char* what) {
  ASSERT_GT(n, 0u);
  double obs = static_cast<double>(k) / static_cast<double>(n);
  double half = 3.2905 * std::sqrt(p * (1 - p) / static_cast<double>(n));
  EXPECT_NEAR(obs, p, half) << what << ": " << k << " / " << n;
}
}  // namespace

TEST(Errors, ObservedWriteAndReadBerInsideBinomialInterval) {
  rramsim::SystemConfig cfg = make_config(
      ", \"write_ber_01\": 0.01, \"write_ber_10\": 0.002, \"read_ber_01\": 0.001, \"read_ber_10\": "
      "0.003",
      "", "", 11, {{"rows", "4096"}});  // 512 KiB
  Controller c(cfg);
  const uint64_t cap = cfg.org.capacity_bytes();
  for (uint64_t a = 0; a < cap; a += 64) {
    auto d = simtest::random_bytes(64, a + 1, kDataStream);
    c.access(Cmd::Write, a, d.data(), 64, 0);
  }
  for (int rep = 0; rep < 4; ++rep)
    for (uint64_t a = 0; a < cap; a += 64) read_at(c, a, 0);
  const auto& e = c.stats().err;
  expect_in_binomial_interval(e.write_err01, e.write_bits0, 0.01, "write 0->1");
  expect_in_binomial_interval(e.write_err10, e.write_bits1, 0.002, "write 1->0");
  expect_in_binomial_interval(e.read_err01, e.read_bits0, 0.001, "read 0->1");
  expect_in_binomial_interval(e.read_err10, e.read_bits1, 0.003, "read 1->0");
  EXPECT_GT(e.write_bits0, 2000000u);
}

TEST(Errors, StuckCellsNeverChange) {
  rramsim::SystemConfig cfg =
      make_config(", \"write_ber_01\": 0.01, \"write_ber_10\": 0.01",
                  ", \"stuck_at\": { \"density\": 0.01, \"one_fraction\": 0.5 }");
  Controller c(cfg);
  uint64_t stuck_cells = 0;
  for (int round = 0; round < 5; ++round) {
    auto d = simtest::random_bytes(2048, 100 + static_cast<uint64_t>(round), kDataStream);
    c.access(Cmd::Write, 0, d.data(), 2048, 0);
    std::vector<uint8_t> got(2048);
    c.debug(Cmd::Read, 0, got.data(), 2048);
    stuck_cells = 0;
    for (uint64_t byte = 0; byte < 2048; ++byte)
      for (unsigned bit = 0; bit < 8; ++bit) {
        uint8_t v;
        if (c.storage().stuck(byte, bit, &v)) {
          ++stuck_cells;
          EXPECT_EQ((got[byte] >> bit) & 1, v) << byte << ":" << bit;
        }
      }
  }
  EXPECT_GT(stuck_cells, 80u);  // ~164 expected
  EXPECT_LT(stuck_cells, 260u);
  EXPECT_GT(c.stats().err.stuck_at, 0u);
  // A never-written region reads as erased 0 except its stuck-at-1 cells.
  Controller fresh(cfg);
  std::vector<uint8_t> got(64);
  fresh.debug(Cmd::Read, 1024, got.data(), 64);
  for (uint64_t byte = 0; byte < 64; ++byte)
    for (unsigned bit = 0; bit < 8; ++bit) {
      uint8_t v = 0;
      bool s = fresh.storage().stuck(1024 + byte, bit, &v);
      EXPECT_EQ((got[byte] >> bit) & 1, s ? v : 0);
    }
}

TEST(Errors, WriteErrorsPersistReadErrorsAreTransient) {
  auto data = simtest::random_bytes(2048, 5, kDataStream);
  {
    Controller c(make_config(", \"write_ber_01\": 0.05, \"write_ber_10\": 0.05"));
    c.access(Cmd::Write, 0, data.data(), 2048, 0);
    std::vector<uint8_t> a(2048), b(2048);
    c.access(Cmd::Read, 0, a.data(), 2048, 0);
    c.access(Cmd::Read, 0, b.data(), 2048, 0);
    EXPECT_EQ(a, b);     // persistent: every read sees the same programming errors
    EXPECT_NE(a, data);  // and there are some
    // Rewriting draws afresh.
    c.access(Cmd::Write, 0, data.data(), 2048, 0);
    c.access(Cmd::Read, 0, b.data(), 2048, 0);
    EXPECT_NE(a, b);
  }
  {
    Controller c(make_config(", \"read_ber_01\": 0.05, \"read_ber_10\": 0.05"));
    c.access(Cmd::Write, 0, data.data(), 2048, 0);
    std::vector<uint8_t> a(2048), b(2048), cells(2048);
    c.access(Cmd::Read, 0, a.data(), 2048, 0);
    c.access(Cmd::Read, 0, b.data(), 2048, 0);
    EXPECT_NE(a, data);
    EXPECT_NE(a, b);  // transient: each read draws its own errors
    c.debug(Cmd::Read, 0, cells.data(), 2048);
    EXPECT_EQ(cells, data);  // the cells themselves are intact
  }
}

namespace {
struct FaultLog {
  uint64_t n[4] = {0, 0, 0, 0};
  static void cb(void* ud, const rramsim::FaultEvent& e) {
    ++static_cast<FaultLog*>(ud)->n[static_cast<int>(e.kind)];
  }
};
rramsim::Stats run_mixed(uint64_t seed, FaultLog* log = nullptr) {
  Controller c(
      make_config(", \"write_ber_01\": 0.01, \"write_ber_10\": 0.02, \"read_ber_01\": 0.001, "
                  "\"read_ber_10\": 0.002",
                  ", \"stuck_at\": { \"density\": 0.001 }, \"endurance\": { \"median_writes\": 20, "
                  "\"sigma\": 0.5 }",
                  "", seed));
  if (log) c.set_fault_observer(rramsim::FaultObserver{&FaultLog::cb, log});
  bnn_rng r = bnn_rng_make(seed + 1000, 1);
  for (int i = 0; i < 3000; ++i) {
    uint64_t addr = bnn_rng_below(&r, 2048 - 128);
    uint64_t len = 1 + bnn_rng_below(&r, 128);
    auto d = simtest::random_bytes(len, static_cast<uint64_t>(i), kDataStream);
    c.access(bnn_rng_below(&r, 2) ? Cmd::Read : Cmd::Write, addr, d.data(), len,
             static_cast<uint64_t>(i) * 30 * kNs);
  }
  c.finish();
  return c.stats();
}
}  // namespace

TEST(Errors, SameSeedSameStatsAndFaultsReported) {
  FaultLog log;
  rramsim::Stats a = run_mixed(3, &log), b = run_mixed(3), other = run_mixed(4);
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a == other);
  // Every counted fault went through the observer.
  EXPECT_EQ(log.n[0], a.err.write_err01 + a.err.write_err10);
  EXPECT_EQ(log.n[1], a.err.read_err01 + a.err.read_err10);
  EXPECT_EQ(log.n[2], a.err.stuck_at);
  EXPECT_EQ(log.n[3], a.err.endurance);
  EXPECT_GT(a.err.endurance, 0u);  // median 20 writes: cells wear out
}

TEST(Storage, LargeTransfersRoundTripAcrossRowsAndBanks) {
  Controller c(make_config());
  auto data = simtest::random_bytes(1000, 6, kDataStream);
  Controller::Result w = c.access(Cmd::Write, 24, data.data(), 1000, 0);
  ASSERT_TRUE(w.ok);
  std::vector<uint8_t> got(1000);
  ASSERT_TRUE(c.access(Cmd::Read, 24, got.data(), 1000, 0).ok);
  EXPECT_EQ(got, data);
  EXPECT_EQ(c.stats().chunks, 2u * 16u);  // 24..1024: a partial row, then 15 full rows
  // Out of range and zero length are refused without side effects.
  EXPECT_FALSE(c.access(Cmd::Read, 2040, got.data(), 16, 0).ok);
  EXPECT_FALSE(c.access(Cmd::Read, 0, got.data(), 0, 0).ok);
  EXPECT_EQ(c.stats().errors_address, 2u);
}

TEST(Stats, HistogramQuantilesAndBuckets) {
  rramsim::LatencyHistogram h;
  for (uint64_t v = 1; v <= 1000; ++v) h.add(v * 1000);
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_EQ(h.max(), 1000000u);
  EXPECT_NEAR(h.quantile(0.5), 500000.0, 500000.0 / 16);
  EXPECT_NEAR(h.quantile(0.99), 990000.0, 990000.0 / 16);
  for (uint64_t v : {0ull, 1ull, 15ull, 16ull, 17ull, 1000ull, 123456789ull, ~0ull >> 1}) {
    int i = rramsim::LatencyHistogram::index(v);
    EXPECT_LE(rramsim::LatencyHistogram::bucket_low(i), v);
    EXPECT_GT(rramsim::LatencyHistogram::bucket_high(i), v);
  }
}

namespace {
struct AccessLog {
  uint64_t reads = 0, writes = 0, bytes = 0, last_done = 0;
  static void cb(void* ud, const rramsim::AccessEvent& e) {
    auto* l = static_cast<AccessLog*>(ud);
    (e.cmd == Cmd::Read ? l->reads : l->writes) += 1;
    l->bytes += e.len;
    EXPECT_GE(e.done_ps, e.arrival_ps);
    l->last_done = e.done_ps;
  }
};
}  // namespace

TEST(Observers, AccessObserverSeesEveryRequest) {
  Controller c(make_config());
  AccessLog log;
  c.set_access_observer(rramsim::AccessObserver{&AccessLog::cb, &log});
  auto d = simtest::random_bytes(100, 9, kDataStream);
  c.access(Cmd::Write, 0, d.data(), 100, 0);
  read_at(c, 64, 0);
  read_at(c, 128, 5 * kNs);
  c.access(Cmd::Read, 4096, d.data(), 4, 0);  // refused: not observed
  EXPECT_EQ(log.reads, 2u);
  EXPECT_EQ(log.writes, 1u);
  EXPECT_EQ(log.bytes, 228u);
  EXPECT_EQ(log.last_done, c.stats().end_ps);
}

TEST(Errors, ErrorsDoNotDependOnSchedulingPolicy) {
  // Same seed and request order under fcfs and read-first: identical faults, different timing.
  auto run = [](const std::string& sched) {
    Controller c(make_config(
        ", \"write_ber_01\": 0.01, \"write_ber_10\": 0.01, \"read_ber_01\": 0.01, \"read_ber_10\": "
        "0.01",
        "", ", \"scheduler\": { \"policy\": \"" + sched + "\" }", 21, {{"queue_depth", "8"}}));
    bnn_rng r = bnn_rng_make(5, 5);
    for (int i = 0; i < 4000; ++i) {
      auto d = simtest::random_bytes(64, static_cast<uint64_t>(i), kDataStream);
      c.access(bnn_rng_below(&r, 3) ? Cmd::Read : Cmd::Write, bnn_rng_below(&r, 32) * 64, d.data(),
               64, static_cast<uint64_t>(i) * 5 * kNs);
    }
    c.finish();
    return c.stats();
  };
  rramsim::Stats fcfs = run("fcfs"), rf = run("read_first");
  EXPECT_TRUE(fcfs.err == rf.err);
  EXPECT_GT(fcfs.err.read_err01 + fcfs.err.write_err10, 0u);
  EXPECT_FALSE(fcfs.read_latency == rf.read_latency);
}
