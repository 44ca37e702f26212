// test_workload.cpp — the BNN engine on the simulated memory: placement, bit-identical
// predictions at zero BER, observed error rates, SRAM layers, fetch counts per dataflow.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "fresh_process.hpp"
#include "rramsim/config.hpp"
#include "rramsim/workload.hpp"
#include "sim_test_util.hpp"
#include "workloads/bnn_testutil.h"

namespace {

// 1 channel × 2 banks × 1 crossbar × 256 rows of 64 B = 32 KiB.
rramsim::SystemConfig config(const std::string& rates, uint64_t seed = 7) {
  return simtest::make_config(rates, "", "", seed, {{"rows", "256"}});
}

struct ModelHolder {
  bnn_model* m;
  ~ModelHolder() { bnn_model_free(m); }
};

// 8×8 pixels → 96 → 64 → 10: weight rows of 8, 16 and 8 bytes.
bnn_model* small_model() {
  return bnntest::random_model(1, 8, 8, {{'d', 96}, {'d', 64}, {'d', 10}}, 11);
}

std::vector<uint8_t> host_predictions(const bnn_model* m, const std::vector<uint8_t>& imgs,
                                      size_t n) {
  bnn_port* port = nullptr;
  EXPECT_EQ(bnn_host_port_create(&port, m), BNN_OK);
  std::vector<uint8_t> pred;
  bnntest::run(m, port, imgs, n, 1, BNN_KERNEL_AUTO, 0, &pred);
  bnn_port_destroy(port);
  return pred;
}

TEST(Workload, PlacementAlignsLayersAndHonoursTheMask) {
  ModelHolder h{small_model()};
  rramsim::SystemConfig cfg = config("");
  rramsim::Placement pl = rramsim::place_model(h.m, "m.bnn", cfg, {});
  ASSERT_EQ(pl.layers.size(), 3u);
  EXPECT_EQ(pl.layers[0].rram_addr, 0u);
  EXPECT_EQ(pl.layers[0].bytes, 96u * 8);
  EXPECT_EQ(pl.layers[1].rram_addr, 768u);          // 768 is a multiple of the 64-B row
  EXPECT_EQ(pl.layers[2].rram_addr, 768u + 1024u);  // 64 rows × 16 B
  EXPECT_EQ(pl.rram_bytes, 768u + 1024u + 80u);
  rramsim::PlacementParams pp;
  pp.rram_layer_mask = 2;  // only weight layer 1 in RRAM
  pp.base = 100;           // aligned up to 128
  pl = rramsim::place_model(h.m, "m.bnn", cfg, pp);
  EXPECT_FALSE(pl.layers[0].in_rram);
  EXPECT_TRUE(pl.layers[1].in_rram);
  EXPECT_EQ(pl.layers[1].rram_addr, 128u);
  EXPECT_EQ(pl.sram_bytes, 768u + 80u);
}

TEST(Workload, ModelLargerThanCapacityIsAClearError) {
  ModelHolder h{small_model()};
  rramsim::SystemConfig cfg = simtest::make_config("", "", "", 7, {{"rows", "16"}});  // 2 KiB
  rramsim::PlacementParams pp;
  pp.base = 1024;
  try {
    rramsim::place_model(h.m, "m.bnn", cfg, pp);
    FAIL() << "no error";
  } catch (const rramsim::ConfigError& e) {
    EXPECT_NE(
        std::string(e.what()).find("m.bnn: the model's RRAM-resident weights need 2896 bytes"),
        std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("capacity of 2048 bytes"), std::string::npos) << e.what();
  }
}

void zero_ber_body(uint32_t reuse) {
  ModelHolder h{small_model()};
  const size_t n = 40;
  std::vector<uint8_t> imgs = bnntest::random_images(h.m, n, 3);
  rramsim::WorkloadParams wp;
  wp.weight_reuse = reuse;
  wp.chunk_images = 16;
  rramsim::WorkloadResult r =
      rramsim::run_bnn_workload(config(""), h.m, "m.bnn", imgs.data(), n, wp);
  EXPECT_EQ(r.pred, host_predictions(h.m, imgs, n));
  // Dataflow: each block of `reuse` images fetches every layer once, one transaction per row.
  // (engine calls take chunk_images rounded up to a multiple of the reuse factor)
  const size_t chunk = (16 + reuse - 1) / reuse * reuse;
  uint64_t blocks = 0;
  for (size_t i0 = 0; i0 < n; i0 += chunk) blocks += (std::min(chunk, n - i0) + reuse - 1) / reuse;
  EXPECT_EQ(r.weight_fetches, blocks * 3);
  EXPECT_EQ(r.total.bytes_read, blocks * r.placement.rram_bytes);
  EXPECT_EQ(r.total.reads, blocks * (96 + 64 + 10));
  EXPECT_EQ(r.programming.bytes_written, r.placement.rram_bytes);
  EXPECT_EQ(r.programming.writes, 96u + 64u + 10u);
  EXPECT_GT(r.program_end_ps, 0u);
  EXPECT_GT(r.infer_end_ps, r.infer_start_ps);
  EXPECT_EQ(r.total.err.write_err01 + r.total.err.write_err10 + r.total.err.read_err01 +
                r.total.err.read_err10,
            0u);
}

FRESH_PROCESS_TEST(Workload, ZeroBerPredictionsMatchTheHostPortEveryImageReadsEveryRow,
                   [] { zero_ber_body(1); })
FRESH_PROCESS_TEST(Workload, ZeroBerPredictionsMatchTheHostPortWithWeightReuse,
                   [] { zero_ber_body(5); })

// |k − n·p| within 5 binomial standard deviations (plus one count for tiny expectations).
void expect_rate(uint64_t k, uint64_t n, double p, const char* what) {
  ASSERT_GT(n, 0u) << what;
  const double mean = n * p, sd = std::sqrt(n * p * (1 - p));
  EXPECT_LE(std::fabs(static_cast<double>(k) - mean), 5 * sd + 1)
      << what << ": " << k << " of " << n << " bits, expected " << mean;
}

void ber_body() {
  ModelHolder h{bnntest::random_model(1, 16, 16, {{'d', 256}, {'d', 128}, {'d', 10}}, 5)};
  const size_t n = 60;
  std::vector<uint8_t> imgs = bnntest::random_images(h.m, n, 4);
  rramsim::WorkloadParams wp;
  rramsim::SystemConfig cfg = simtest::make_config(
      R"(, "write_ber_01": 0.02, "write_ber_10": 0.01, "read_ber_01": 0.004, "read_ber_10": 0.001)",
      "", "", 9, {{"rows", "1024"}});
  rramsim::WorkloadResult r = rramsim::run_bnn_workload(cfg, h.m, "m.bnn", imgs.data(), n, wp);
  const rramsim::ErrorCounters& e = r.total.err;
  expect_rate(e.write_err01, e.write_bits0, 0.02, "write 0->1");
  expect_rate(e.write_err10, e.write_bits1, 0.01, "write 1->0");
  expect_rate(e.read_err01, e.read_bits0, 0.004, "read 0->1");
  expect_rate(e.read_err10, e.read_bits1, 0.001, "read 1->0");
  EXPECT_GT(e.read_bits0 + e.read_bits1, 60u * 8 * r.placement.rram_bytes - 1);
  // Errors reach the network: some predictions change, not all.
  std::vector<uint8_t> clean = host_predictions(h.m, imgs, n);
  size_t differ = 0;
  for (size_t i = 0; i < n; ++i) differ += r.pred[i] != clean[i];
  EXPECT_LT(differ, n);
}

FRESH_PROCESS_TEST(Workload, ObservedBerMatchesTheConfiguredRates, ber_body)

void sram_body() {
  ModelHolder h{small_model()};
  const size_t n = 20;
  std::vector<uint8_t> imgs = bnntest::random_images(h.m, n, 8);
  rramsim::WorkloadParams wp;
  wp.placement.rram_layer_mask = 2;  // layers 0 and 2 in error-free SRAM
  rramsim::SystemConfig cfg = simtest::make_config(
      R"(, "write_ber_01": 0.3, "write_ber_10": 0.3, "read_ber_01": 0.3, "read_ber_10": 0.3)", "",
      "", 3, {{"rows", "256"}});
  rramsim::WorkloadResult r = rramsim::run_bnn_workload(cfg, h.m, "m.bnn", imgs.data(), n, wp);
  EXPECT_EQ(r.total.bytes_read, n * 1024u);  // only layer 1 goes through the memory
  EXPECT_EQ(r.sram_bytes_read, n * (768u + 80u));
  EXPECT_EQ(r.total.bytes_written, 1024u);
  EXPECT_GT(r.total.err.read_err01 + r.total.err.read_err10, 0u);
}

FRESH_PROCESS_TEST(Workload, LayersOutsideTheMaskLiveInErrorFreeSram, sram_body)

}  // namespace
