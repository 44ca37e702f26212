// test_model.cpp — the model builder's shape checks, the file format round trip, and every kind
// of bad model file (truncated, wrong magic/version, CRC mismatch, absurd sizes, bad contents).
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <unistd.h>
#include <fstream>
#include <string>
#include <vector>

#include "bnn/bnn.h"
#include "bnn_testutil.h"

using bnntest::random_model;

namespace {

std::string tmp_path(const std::string &name) {
  // The pid keeps parallel test processes (ctest -j) off each other's files.
  return std::string(RRAMSIM_BINARY_DIR) + "/test_model_" + std::to_string((long)getpid()) + "_" +
         name;
}

std::vector<uint8_t> read_file(const std::string &p) {
  std::vector<uint8_t> v;
  if (FILE *f = std::fopen(p.c_str(), "rb")) {
    uint8_t buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) v.insert(v.end(), buf, buf + n);
    std::fclose(f);
  }
  return v;
}

void write_file(const std::string &p, const std::vector<uint8_t> &b) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char *>(b.data()), (std::streamsize)b.size());
}

uint32_t get32(const std::vector<uint8_t> &b, size_t o) {
  return (uint32_t)b[o] | (uint32_t)b[o + 1] << 8 | (uint32_t)b[o + 2] << 16 |
         (uint32_t)b[o + 3] << 24;
}
void put32(std::vector<uint8_t> &b, size_t o, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[o + i] = (uint8_t)(v >> (8 * i));
}
void put64(std::vector<uint8_t> &b, size_t o, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[o + i] = (uint8_t)(v >> (8 * i));
}

// Section layout of a file: payload offset and length per section (ARCH, THRS, WGHT, PROV).
struct Sec {
  size_t off, len;
};
std::vector<Sec> sections(const std::vector<uint8_t> &b) {
  std::vector<Sec> s;
  size_t p = 24;
  for (int i = 0; i < 4; ++i) {
    size_t len = get32(b, p + 8) | (size_t)get32(b, p + 12) << 32;
    s.push_back({p + 16, len});
    p += 16 + len + 4;
  }
  return s;
}
void fix_crc(std::vector<uint8_t> &b, const Sec &s) {
  put32(b, s.off + s.len, (uint32_t)crc32(0, b.data() + s.off, (uInt)s.len));
}
void fix_header_crc(std::vector<uint8_t> &b) {
  put32(b, 20, (uint32_t)crc32(0, b.data(), 20));
}

// Loads bytes written to a file; returns the status and leaves the message in `msg`.
bnn_status load_bytes(const std::vector<uint8_t> &b, const std::string &name, std::string *msg) {
  std::string p = tmp_path(name);
  write_file(p, b);
  bnn_model *m = nullptr;
  bnn_status st = bnn_model_load(&m, p.c_str());
  *msg = bnn_errmsg();
  if (st == BNN_OK)
    bnn_model_free(m);
  else
    EXPECT_EQ(m, nullptr);
  std::remove(p.c_str());
  return st;
}

bnn_model *sample() {
  bnn_model *m = random_model(3, 6, 5, {{'c', 7}, {'p', 0}, {'c', 65}, {'d', 12}, {'d', 4}}, 17);
  bnn_model_set_output_scale(m, 0.125f);
  bnn_model_set_provenance(m, "{\"seed\": 17, \"note\": \"test\"}");
  return m;
}

std::vector<uint8_t> sample_bytes() {
  bnn_model *m = sample();
  std::string p = tmp_path("sample.bnn");
  EXPECT_EQ(bnn_model_save(m, p.c_str()), BNN_OK) << bnn_errmsg();
  bnn_model_free(m);
  auto b = read_file(p);
  std::remove(p.c_str());
  return b;
}

}  // namespace

TEST(ModelBuilder, ShapesAndRejections) {
  bnn_model *m = nullptr;
  ASSERT_EQ(bnn_model_create(&m, 2, 6, 5), BNN_OK);
  int8_t w[9 * 2 * 4];
  for (auto &v : w) v = 1;
  int32_t t[4] = {0, 0, 0, 0};
  int8_t d[4] = {1, -1, 1, 1};
  EXPECT_EQ(bnn_model_add_maxpool2(m), BNN_E_SHAPE) << "pooling pixels is not a binary op";
  EXPECT_EQ(bnn_model_add_conv3x3(m, 4, w, nullptr, nullptr), BNN_E_SHAPE) << "conv output layer";
  EXPECT_EQ(bnn_model_add_conv3x3(m, 0, w, t, d), BNN_E_RANGE);
  EXPECT_EQ(bnn_model_add_conv3x3(m, 4, w, t, nullptr), BNN_E_ARG);
  int8_t bad_d[4] = {1, 2, 1, 1};
  EXPECT_EQ(bnn_model_add_conv3x3(m, 4, w, t, bad_d), BNN_E_ARG);
  w[5] = 0;
  EXPECT_EQ(bnn_model_add_conv3x3(m, 4, w, t, d), BNN_E_ARG);
  EXPECT_NE(std::string(bnn_errmsg()).find("not -1 or +1"), std::string::npos);
  w[5] = -1;
  ASSERT_EQ(bnn_model_add_conv3x3(m, 4, w, t, d), BNN_OK);
  ASSERT_EQ(bnn_model_add_maxpool2(m), BNN_OK);  // 6x5 → 3x2
  bnn_layer_info I;
  ASSERT_EQ(bnn_model_layer(m, 1, &I), BNN_OK);
  EXPECT_EQ(I.out_h, 3u);
  EXPECT_EQ(I.out_w, 2u);
  EXPECT_EQ(I.out_c, 4u);
  ASSERT_EQ(bnn_model_add_maxpool2(m), BNN_OK);  // 3x2 → 1x1
  EXPECT_EQ(bnn_model_add_maxpool2(m), BNN_E_SHAPE) << "1x1 cannot pool";
  std::vector<int8_t> wd(4 * 3, -1);
  ASSERT_EQ(bnn_model_add_dense(m, 3, wd.data(), nullptr, nullptr), BNN_OK);
  ASSERT_EQ(bnn_model_layer(m, 3, &I), BNN_OK);
  EXPECT_EQ(I.fan_in, 4u);
  EXPECT_TRUE(I.is_output);
  EXPECT_EQ(I.weight_layer_index, 1);
  EXPECT_EQ(bnn_model_n_classes(m), 3u);
  EXPECT_EQ(bnn_model_add_dense(m, 3, wd.data(), nullptr, nullptr), BNN_E_SHAPE) << "after output";
  EXPECT_EQ(bnn_model_layer(m, 9, &I), BNN_E_ARG);
  int32_t tt;
  int8_t dd;
  ASSERT_EQ(bnn_model_threshold(m, 0, 1, &tt, &dd), BNN_OK);
  EXPECT_EQ(dd, -1);
  EXPECT_EQ(bnn_model_threshold(m, 3, 0, &tt, &dd), BNN_E_ARG) << "output layer has no thresholds";
  bnn_model_free(m);
  EXPECT_EQ(bnn_model_create(&m, 0, 28, 28), BNN_E_RANGE);
  EXPECT_EQ(bnn_model_create(&m, 70000, 28, 28), BNN_E_RANGE);
  EXPECT_EQ(m, nullptr);
}

TEST(ModelFile, RoundTrip) {
  bnn_model *m = sample();
  std::string p = tmp_path("rt.bnn");
  ASSERT_EQ(bnn_model_save(m, p.c_str()), BNN_OK) << bnn_errmsg();
  bnn_model *r = nullptr;
  ASSERT_EQ(bnn_model_load(&r, p.c_str()), BNN_OK) << bnn_errmsg();
  ASSERT_EQ(bnn_model_n_layers(r), bnn_model_n_layers(m));
  for (uint32_t l = 0; l < bnn_model_n_layers(m); ++l) {
    bnn_layer_info a, b;
    bnn_model_layer(m, l, &a);
    bnn_model_layer(r, l, &b);
    EXPECT_EQ(0, memcmp(&a, &b, sizeof a)) << "layer " << l;
    if (a.weight_layer_index >= 0 && !a.is_output)
      for (uint32_t o = 0; o < a.out_c; ++o) {
        int32_t t1, t2;
        int8_t d1, d2;
        bnn_model_threshold(m, l, o, &t1, &d1);
        bnn_model_threshold(r, l, o, &t2, &d2);
        EXPECT_EQ(t1, t2);
        EXPECT_EQ(d1, d2);
      }
  }
  uint64_t s1, s2;
  const uint8_t *i1 = bnn_model_weight_image(m, &s1), *i2 = bnn_model_weight_image(r, &s2);
  ASSERT_EQ(s1, s2);
  EXPECT_EQ(0, memcmp(i1, i2, s1));
  EXPECT_EQ(bnn_model_output_scale(r), 0.125f);
  EXPECT_STREQ(bnn_model_provenance(r), "{\"seed\": 17, \"note\": \"test\"}");
  // Same predictions.
  auto imgs = bnntest::random_images(m, 5, 1);
  bnn_port *pm, *pr;
  bnn_host_port_create(&pm, m);
  bnn_host_port_create(&pr, r);
  EXPECT_EQ(bnntest::run(m, pm, imgs, 5, 1, BNN_KERNEL_AUTO),
            bnntest::run(r, pr, imgs, 5, 1, BNN_KERNEL_AUTO));
  bnn_port_destroy(pm);
  bnn_port_destroy(pr);
  // Saving again over the file is atomic: no temp file is left behind.
  ASSERT_EQ(bnn_model_save(r, p.c_str()), BNN_OK);
  std::string dir = std::string(RRAMSIM_BINARY_DIR);
  std::string tmp_prefix = p + ".tmp.";
  FILE *probe = std::fopen((tmp_prefix + std::to_string((long)getpid())).c_str(), "rb");
  EXPECT_EQ(probe, nullptr) << "temp file left behind";
  if (probe) std::fclose(probe);
  bnn_model_free(m);
  bnn_model_free(r);
  std::remove(p.c_str());
}

TEST(ModelFile, SaveFailsCleanly) {
  bnn_model *m = sample();
  EXPECT_EQ(bnn_model_save(m, "/nonexistent-dir/x.bnn"), BNN_E_IO);
  EXPECT_NE(std::string(bnn_errmsg()).find("/nonexistent-dir/x.bnn"), std::string::npos);
  bnn_model *inc = nullptr;
  bnn_model_create(&inc, 1, 2, 2);
  EXPECT_EQ(bnn_model_save(inc, tmp_path("inc.bnn").c_str()), BNN_E_SHAPE);
  bnn_model_free(inc);
  bnn_model_free(m);
}

TEST(ModelFile, MissingFile) {
  bnn_model *m = nullptr;
  EXPECT_EQ(bnn_model_load(&m, "/nonexistent/model.bnn"), BNN_E_IO);
  EXPECT_NE(std::string(bnn_errmsg()).find("/nonexistent/model.bnn"), std::string::npos);
}

TEST(ModelFile, EveryTruncationIsAnError) {
  auto b = sample_bytes();
  std::string msg;
  for (size_t n = 0; n < b.size(); ++n) {
    std::vector<uint8_t> t(b.begin(), b.begin() + (long)n);
    bnn_status st = load_bytes(t, "trunc.bnn", &msg);
    ASSERT_TRUE(st == BNN_E_FORMAT) << "length " << n << ": " << bnn_status_str(st) << " " << msg;
    ASSERT_NE(msg.find(tmp_path("trunc.bnn")), std::string::npos) << msg;
  }
  EXPECT_EQ(load_bytes(b, "ok.bnn", &msg), BNN_OK) << msg;
  auto longer = b;
  longer.push_back(0);
  EXPECT_EQ(load_bytes(longer, "trail.bnn", &msg), BNN_E_FORMAT);
  EXPECT_NE(msg.find("trailing"), std::string::npos) << msg;
}

TEST(ModelFile, WrongMagicAndVersion) {
  auto b = sample_bytes();
  std::string msg;
  auto m1 = b;
  m1[0] = 'X';
  EXPECT_EQ(load_bytes(m1, "magic.bnn", &msg), BNN_E_FORMAT);
  EXPECT_NE(msg.find("bad magic"), std::string::npos) << msg;
  auto v = b;
  put32(v, 8, 4);
  fix_header_crc(v);
  EXPECT_EQ(load_bytes(v, "version.bnn", &msg), BNN_E_VERSION);
  EXPECT_NE(msg.find("version 4"), std::string::npos) << msg;
  // Version 2 (output affine) needs 5 sections: a version-1 body under a version-2 header fails.
  auto v2 = b;
  put32(v2, 8, 2);
  fix_header_crc(v2);
  EXPECT_EQ(load_bytes(v2, "version2.bnn", &msg), BNN_E_FORMAT);
  EXPECT_NE(msg.find("4 sections"), std::string::npos) << msg;
  // Version 3 (input offset) needs 6.
  auto v3 = b;
  put32(v3, 8, 3);
  fix_header_crc(v3);
  EXPECT_EQ(load_bytes(v3, "version3.bnn", &msg), BNN_E_FORMAT);
  EXPECT_NE(msg.find("expected 6"), std::string::npos) << msg;
  auto h = b;
  put32(h, 8, 3);  // CRC not fixed
  EXPECT_EQ(load_bytes(h, "hcrc.bnn", &msg), BNN_E_CRC);
}

TEST(ModelFile, CrcMismatchInEverySection) {
  auto b = sample_bytes();
  auto secs = sections(b);
  const char *names[4] = {"ARCH", "THRS", "WGHT", "PROV"};
  std::string msg;
  for (int i = 0; i < 4; ++i) {
    auto c = b;
    c[secs[i].off + secs[i].len / 2] ^= 0x10;
    EXPECT_EQ(load_bytes(c, "crc.bnn", &msg), BNN_E_CRC) << names[i];
    EXPECT_NE(msg.find(std::string("section ") + names[i] + ": CRC mismatch"), std::string::npos)
        << msg;
  }
}

TEST(ModelFile, AbsurdAndInconsistentSizes) {
  auto b = sample_bytes();
  auto s = sections(b);
  std::string msg;
  auto arch = [&](size_t field, uint32_t v) {
    auto c = b;
    put32(c, s[0].off + field, v);
    fix_crc(c, s[0]);
    return c;
  };
  EXPECT_EQ(load_bytes(arch(0, 0xffffffffu), "c.bnn", &msg), BNN_E_RANGE) << msg;
  EXPECT_EQ(load_bytes(arch(4, 0), "h.bnn", &msg), BNN_E_RANGE) << msg;
  // 65536^3 pixels: each dim within bounds, the product overflows 32 bits.
  {
    auto c = arch(0, 65536);
    put32(c, s[0].off + 4, 65536);
    put32(c, s[0].off + 8, 65536);
    fix_crc(c, s[0]);
    EXPECT_EQ(load_bytes(c, "prod.bnn", &msg), BNN_E_RANGE) << msg;
  }
  EXPECT_EQ(load_bytes(arch(12, 1000000000u), "nl.bnn", &msg), BNN_E_RANGE) << msg;
  EXPECT_EQ(load_bytes(arch(12, 3), "nl3.bnn", &msg), BNN_E_RANGE)
      << "count disagrees with ARCH length";
  EXPECT_EQ(load_bytes(arch(20 + 8 * 2 + 4, 0xffffffffu), "outc.bnn", &msg), BNN_E_RANGE) << msg;
  EXPECT_EQ(load_bytes(arch(20 + 8 * 0 + 4, 2000), "thrslen.bnn", &msg), BNN_E_RANGE) << msg;
  EXPECT_NE(msg.find("section THRS"), std::string::npos) << msg;
  EXPECT_EQ(load_bytes(arch(20 + 8 * 1, 7), "kind.bnn", &msg), BNN_E_FORMAT) << msg;
  EXPECT_EQ(load_bytes(arch(20 + 8 * 4, 1), "lastconv.bnn", &msg), BNN_E_SHAPE) << msg;
  {  // output scale NaN
    auto c = arch(16, 0x7fc00000u);
    EXPECT_EQ(load_bytes(c, "nan.bnn", &msg), BNN_E_FORMAT) << msg;
  }
  {  // section length 2^63: bounded before any allocation
    auto c = b;
    put64(c, 24 + 8, 1ull << 63);
    EXPECT_EQ(load_bytes(c, "len.bnn", &msg), BNN_E_RANGE) << msg;
    auto d = b;
    put64(d, s[3].off - 8, 1ull << 62);
    EXPECT_EQ(load_bytes(d, "provlen.bnn", &msg), BNN_E_RANGE) << msg;
  }
}

TEST(ModelFile, BadContents) {
  auto b = sample_bytes();
  auto s = sections(b);
  std::string msg;
  {  // a padding bit set in the first row of the first weight layer (fan-in 27 → 64-bit row)
    auto c = b;
    c[s[2].off + 7] |= 0x80;
    fix_crc(c, s[2]);
    EXPECT_EQ(load_bytes(c, "pad.bnn", &msg), BNN_E_FORMAT);
    EXPECT_NE(msg.find("padding bit"), std::string::npos) << msg;
  }
  {  // a direction of 0
    auto c = b;
    c[s[1].off + 4 * 7] = 0;
    fix_crc(c, s[1]);
    EXPECT_NE(load_bytes(c, "dir.bnn", &msg), BNN_OK);
    EXPECT_NE(msg.find("direction"), std::string::npos) << msg;
  }
  {  // a NUL in the provenance
    auto c = b;
    c[s[3].off + 2] = 0;
    fix_crc(c, s[3]);
    EXPECT_EQ(load_bytes(c, "nul.bnn", &msg), BNN_E_FORMAT) << msg;
  }
  {  // sections out of order
    auto c = b;
    memcpy(&c[s[1].off - 16], "WGHT", 4);
    EXPECT_EQ(load_bytes(c, "tag.bnn", &msg), BNN_E_FORMAT) << msg;
  }
}

namespace {
struct FailingAlloc {
  long countdown;
  static void *alloc(void *ud, size_t n) {
    auto *f = static_cast<FailingAlloc *>(ud);
    if (f->countdown-- == 0) return nullptr;
    return malloc(n);
  }
  static void *realloc_(void *ud, void *p, size_t n) {
    auto *f = static_cast<FailingAlloc *>(ud);
    if (f->countdown-- == 0) return nullptr;
    return realloc(p, n);
  }
  static void free_(void *, void *p) { free(p); }
};
}  // namespace

TEST(ModelFile, EveryAllocationFailureIsCleanlyReported) {
  auto b = sample_bytes();
  std::string p = tmp_path("alloc.bnn");
  write_file(p, b);
  bool succeeded = false;
  for (long k = 0; k < 500 && !succeeded; ++k) {
    FailingAlloc f{k};
    bnn_allocator a = {FailingAlloc::alloc, FailingAlloc::realloc_, FailingAlloc::free_, &f};
    bnn_set_allocator(&a);
    bnn_model *m = nullptr;
    bnn_status st = bnn_model_load(&m, p.c_str());
    // Engine creation under the same failing allocator.
    if (st == BNN_OK) {
      bnn_port *port = nullptr;
      bnn_status ps = bnn_host_port_create(&port, m);
      bnn_engine *e = nullptr;
      bnn_infer_params ip = bnn_infer_default_params();
      ip.threads = 2;
      bnn_status es = ps ? ps : bnn_engine_create(&e, m, port, &ip);
      succeeded = es == BNN_OK;
      if (!succeeded) {
        EXPECT_EQ(es, BNN_E_NOMEM) << k;
      }
      bnn_engine_destroy(e);
      bnn_port_destroy(port);
      bnn_model_free(m);
    } else {
      EXPECT_EQ(st, BNN_E_NOMEM) << k << ": " << bnn_errmsg();
      EXPECT_EQ(m, nullptr);
    }
    bnn_set_allocator(nullptr);
  }
  EXPECT_TRUE(succeeded);
  std::remove(p.c_str());
}
