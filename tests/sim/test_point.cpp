// test_point.cpp — the experiment point's library pieces: result rows (JSON round trip, CSV
// quoting), the error-map rules, the row-chunk split and the placement walk.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "rramsim/controller.hpp"
#include "rramsim/errmap.hpp"
#include "rramsim/point.hpp"
#include "rramsim/stats.hpp"
#include "rramsim/workload.hpp"
#include "sim_test_util.hpp"

namespace {

rramsim::PointResult sample_row() {
  rramsim::PointResult r;
  r.mode = "functional";
  r.system = "small";
  r.op_point = "low";
  r.model = "dir/a \"b\",c.bnn";  // quote and comma: escaped in JSON, quoted in CSV
  r.data = "fashion-mnist/test";
  r.error_map = "maps/m.csv";
  r.seed = 42;
  r.images = 100;
  r.weight_reuse = 4;
  r.write_ber_01 = 1e-8;
  r.read_ber_10 = 0.1 + 0.2;  // not exactly representable in 17 digits less
  r.write_errors = 7;
  r.bits_read = 123456789012ull;
  r.accuracy = 0.875;
  r.energy_per_image_pj = 1234.5;
  r.latency_per_image_ns = -1;  // not modelled
  return r;
}

}  // namespace

TEST(Point, RowJsonRoundTripsEveryField) {
  const rramsim::PointResult r = sample_row();
  const std::string line = rramsim::row_json(r);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_NE(line.find("\"latency_per_image_ns\": -1,"), std::string::npos) << line;  // integral
  EXPECT_NE(line.find("\"seed\": 42,"), std::string::npos) << line;
  rramsim::PointResult back;
  ASSERT_TRUE(rramsim::row_from_json(line, &back)) << line;
  EXPECT_EQ(rramsim::point_key(back), rramsim::point_key(r));
  EXPECT_EQ(back.model, r.model);
  EXPECT_EQ(back.error_map, r.error_map);
  EXPECT_EQ(back.write_ber_01, r.write_ber_01);
  EXPECT_EQ(back.read_ber_10, r.read_ber_10);  // 17 digits: exact
  EXPECT_EQ(back.bits_read, r.bits_read);
  EXPECT_EQ(back.latency_per_image_ns, -1.0);
  EXPECT_EQ(rramsim::row_json(back), line);
  // A row whose key does not match its fields is not a row.
  std::string bad = line;
  bad.replace(bad.find("\"seed\": 42"), 10, "\"seed\": 43");
  EXPECT_FALSE(rramsim::row_from_json(bad, &back));
  EXPECT_FALSE(rramsim::row_from_json("{\"key\": 1}", &back));
  EXPECT_FALSE(rramsim::row_from_json("not json", &back));
}

TEST(Point, CsvRowQuotesFieldsAndMatchesTheHeader) {
  const rramsim::PointResult r = sample_row();
  const std::string row = rramsim::row_csv(r);
  EXPECT_NE(row.find("\"dir/a \"\"b\"\",c.bnn\""), std::string::npos) << row;
  // Same number of columns as the header once quoted commas are discounted.
  auto columns = [](const std::string& s) {
    size_t n = 1;
    bool q = false;
    for (char c : s) {
      if (c == '"') q = !q;
      if (c == ',' && !q) ++n;
    }
    return n;
  };
  EXPECT_EQ(columns(row), columns(rramsim::csv_header()));
  // Not modelled (-1 in the row) is an empty field, not a number that would enter means.
  rramsim::PointResult f = r;
  f.latency_per_image_ns = -1, f.throughput_images_per_s = -1, f.energy_per_image_pj = 12.5;
  const std::string frow = rramsim::row_csv(f);
  EXPECT_EQ(frow.find(",-1"), std::string::npos) << frow;
  EXPECT_NE(frow.find(",12.5,"), std::string::npos) << frow;
  EXPECT_EQ(columns(frow), columns(rramsim::csv_header()));
}

TEST(ErrorMap, ResolvedCellsLastLineWinsPerKind) {
  rramsim::ErrorMap m;
  using K = rramsim::DefectKind;
  m.cells = {{10, 3, K::StuckAt0, 0},   {5, 0, K::FlipRate, 0.25}, {10, 3, K::StuckAt1, 0},
             {10, 3, K::FlipRate, 0.5}, {5, 0, K::FlipRate, 0.75}, {2, 7, K::StuckAt0, 0}};
  const std::vector<rramsim::MapCell> v = rramsim::resolve_error_map(m);
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0].bit, 2u * 8 + 7);
  EXPECT_EQ(v[1].bit, 5u * 8);
  EXPECT_TRUE(v[1].flip);
  EXPECT_EQ(v[1].rate, 0.75);  // the later line
  EXPECT_EQ(v[2].bit, 10u * 8 + 3);
  EXPECT_FALSE(v[2].flip);   // stuck-at first at the same cell
  EXPECT_EQ(v[2].value, 1);  // the later stuck-at line
  EXPECT_TRUE(v[3].flip);
  uint8_t byte = 0xff;
  EXPECT_EQ(rramsim::force_stuck(rramsim::MapCell{7, false, 0, 0}, &byte), 1u);
  EXPECT_EQ(byte, 0x7f);
}

TEST(Core, ChunkSplitCoversTheRangeWithinRowSegments) {
  const rramsim::SystemConfig cfg = simtest::make_config();
  rramsim::AddressDecoder dec(cfg.org);
  const uint64_t c = dec.chunk_bytes();
  for (uint64_t addr : {uint64_t{0}, c - 3, 3 * c + 1}) {
    for (uint64_t len : {uint64_t{1}, c, 2 * c + 5}) {
      uint64_t next = addr, pieces = 0;
      dec.for_each_chunk(addr, len, [&](uint64_t a, uint64_t n) {
        EXPECT_EQ(a, next);
        EXPECT_GT(n, 0u);
        EXPECT_EQ(a / c, (a + n - 1) / c) << "segment crosses a row segment boundary";
        next = a + n;
        ++pieces;
      });
      EXPECT_EQ(next, addr + len);
      EXPECT_EQ(pieces, (addr + len - 1) / c - addr / c + 1);
    }
  }
}

TEST(Workload, PlacementWalkSplitsRramLayersByRow) {
  rramsim::Placement pl;
  rramsim::LayerPlacement a;  // RRAM: 3 rows of 16 bytes at RRAM 1000
  a.image_addr = 0, a.bytes = 48, a.row_bytes = 16, a.rows = 3, a.in_rram = true,
  a.rram_addr = 1000;
  rramsim::LayerPlacement b;  // SRAM: 32 bytes
  b.weight_layer = 1, b.image_addr = 48, b.bytes = 32, b.row_bytes = 8, b.rows = 4;
  pl.layers = {a, b};
  std::vector<rramsim::ImageSegment> seen;
  EXPECT_TRUE(rramsim::walk_image_range(pl, 8, 60, [&](const rramsim::ImageSegment& s) {
    seen.push_back(s);
    return true;
  }));
  ASSERT_EQ(seen.size(), 4u);  // 8..16, 16..32, 32..48 in RRAM; 48..68 in SRAM
  EXPECT_EQ(seen[0].image_addr, 8u);
  EXPECT_EQ(seen[0].len, 8u);
  EXPECT_EQ(seen[0].rram_addr, 1008u);
  EXPECT_EQ(seen[1].rram_addr, 1016u);
  EXPECT_EQ(seen[2].len, 16u);
  EXPECT_FALSE(seen[3].layer->in_rram);
  EXPECT_EQ(seen[3].image_addr, 48u);
  EXPECT_EQ(seen[3].len, 20u);
  size_t calls = 0;  // stops when fn says so
  EXPECT_FALSE(rramsim::walk_image_range(
      pl, 0, 80, [&](const rramsim::ImageSegment&) { return ++calls < 2; }));
  EXPECT_EQ(calls, 2u);
}

TEST(StatsFile, MakeDirectoriesCreatesParentsAndRefusesAFile) {
  const std::string base = RRAMSIM_BINARY_DIR "/test_point_dirs";
  ASSERT_EQ(std::system(("rm -rf " + base).c_str()), 0);
  EXPECT_TRUE(rramsim::make_directories(base + "/a/b/c"));
  EXPECT_TRUE(rramsim::make_directories(base + "/a/b/c"));  // exists: fine
  rramsim::write_file_atomic(base + "/a/file", "x");
  EXPECT_FALSE(rramsim::make_directories(base + "/a/file"));
  EXPECT_FALSE(rramsim::make_directories(base + "/a/file/d"));
}
