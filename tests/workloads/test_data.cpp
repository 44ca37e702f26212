// test_data.cpp — dataset readers: the real Fashion-MNIST test set, synthetic IDX (plain and gzip)
// and CIFAR-10 files, and every malformed-file case.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "bnn/data.h"

namespace {

std::string dir_path(const std::string &name) {
  // The pid keeps parallel test processes (ctest -j) off each other's files.
  std::string d =
      std::string(RRAMSIM_BINARY_DIR) + "/test_data_" + std::to_string((long)getpid()) + "_" + name;
  mkdir(d.c_str(), 0755);
  return d;
}

void put_be32(std::vector<uint8_t> &b, uint32_t v) {
  for (int i = 3; i >= 0; --i) b.push_back((uint8_t)(v >> (8 * i)));
}

std::vector<uint8_t> idx_images(uint32_t n, uint32_t h, uint32_t w, uint8_t ndim = 3) {
  std::vector<uint8_t> b = {0, 0, 8, ndim};
  put_be32(b, n);
  put_be32(b, h);
  put_be32(b, w);
  for (uint32_t i = 0; i < n * h * w; ++i) b.push_back((uint8_t)(i * 7));
  return b;
}
std::vector<uint8_t> idx_labels(uint32_t n) {
  std::vector<uint8_t> b = {0, 0, 8, 1};
  put_be32(b, n);
  for (uint32_t i = 0; i < n; ++i) b.push_back((uint8_t)(i % 10));
  return b;
}

void write_plain(const std::string &p, const std::vector<uint8_t> &b) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char *>(b.data()), (std::streamsize)b.size());
}
void write_gz(const std::string &p, const std::vector<uint8_t> &b) {
  gzFile f = gzopen(p.c_str(), "wb");
  gzwrite(f, b.data(), (unsigned)b.size());
  gzclose(f);
}

bnn_status load(const std::vector<uint8_t> &img, const std::vector<uint8_t> &lab, bool gz,
                std::string *msg, bnn_dataset *out = nullptr) {
  std::string d = dir_path("idx");
  std::string a = d + (gz ? "/i.gz" : "/i"), b = d + (gz ? "/l.gz" : "/l");
  if (gz) {
    write_gz(a, img);
    write_gz(b, lab);
  } else {
    write_plain(a, img);
    write_plain(b, lab);
  }
  bnn_dataset ds;
  bnn_status st = bnn_idx_load(&ds, a.c_str(), b.c_str());
  *msg = bnn_errmsg();
  std::remove(a.c_str());
  std::remove(b.c_str());
  rmdir(d.c_str());
  if (out)
    *out = ds;
  else
    bnn_dataset_free(&ds);
  return st;
}

}  // namespace

TEST(Data, FashionMnistTestSet) {
  bnn_dataset ds;
  ASSERT_EQ(bnn_dataset_open(&ds, "fashion-mnist", "test", 0), BNN_OK) << bnn_errmsg();
  EXPECT_EQ(ds.n, 10000u);
  EXPECT_EQ(ds.h, 28u);
  EXPECT_EQ(ds.w, 28u);
  EXPECT_EQ(ds.c, 1u);
  EXPECT_EQ(ds.n_classes, 10u);
  EXPECT_STREQ(ds.name, "fashion-mnist/test");
  std::vector<int> hist(10, 0);
  for (uint32_t i = 0; i < ds.n; ++i) hist[ds.labels[i]]++;
  for (int c = 0; c < 10; ++c) EXPECT_EQ(hist[c], 1000) << "Fashion-MNIST test is balanced";
  bnn_dataset_free(&ds);
  EXPECT_EQ(ds.images, nullptr);
  ASSERT_EQ(bnn_dataset_open(&ds, "fashion-mnist", "test", 100), BNN_OK);
  EXPECT_EQ(ds.n, 100u);
  bnn_dataset_free(&ds);
  EXPECT_EQ(bnn_dataset_open(&ds, "fashion-mnist", "validation", 0), BNN_E_ARG);
  EXPECT_EQ(bnn_dataset_open(&ds, "/nonexistent-dir", "test", 0), BNN_E_IO);
  EXPECT_NE(std::string(bnn_errmsg()).find("/nonexistent-dir"), std::string::npos);
}

TEST(Data, DataDirOverride) {
  std::string d = dir_path("root");
  mkdir((d + "/fashion-mnist").c_str(), 0755);
  write_gz(d + "/fashion-mnist/t10k-images-idx3-ubyte.gz", idx_images(3, 28, 28));
  write_gz(d + "/fashion-mnist/t10k-labels-idx1-ubyte.gz", idx_labels(3));
  const char *old = getenv("RRAMSIM_DATA_DIR");
  std::string saved = old ? old : "";
  setenv("RRAMSIM_DATA_DIR", d.c_str(), 1);
  bnn_dataset ds;
  EXPECT_EQ(bnn_dataset_open(&ds, "fashion-mnist", "test", 0), BNN_OK) << bnn_errmsg();
  EXPECT_EQ(ds.n, 3u);
  bnn_dataset_free(&ds);
  if (old)
    setenv("RRAMSIM_DATA_DIR", saved.c_str(), 1);
  else
    unsetenv("RRAMSIM_DATA_DIR");
  std::remove((d + "/fashion-mnist/t10k-images-idx3-ubyte.gz").c_str());
  std::remove((d + "/fashion-mnist/t10k-labels-idx1-ubyte.gz").c_str());
  rmdir((d + "/fashion-mnist").c_str());
  rmdir(d.c_str());
}

TEST(Data, IdxPlainAndGzip) {
  std::string msg;
  for (bool gz : {false, true}) {
    bnn_dataset ds;
    ASSERT_EQ(load(idx_images(5, 3, 4), idx_labels(5), gz, &msg, &ds), BNN_OK) << msg;
    EXPECT_EQ(ds.n, 5u);
    EXPECT_EQ(ds.h, 3u);
    EXPECT_EQ(ds.w, 4u);
    EXPECT_EQ(ds.images[13], (uint8_t)(13 * 7));
    EXPECT_EQ(ds.labels[4], 4);
    bnn_dataset_free(&ds);
  }
}

TEST(Data, IdxBadFiles) {
  std::string msg;
  auto img = idx_images(5, 3, 4), lab = idx_labels(5);
  for (bool gz : {false, true}) {
    auto bad = img;
    bad[2] = 0x0d;  // float IDX
    EXPECT_EQ(load(bad, lab, gz, &msg), BNN_E_FORMAT);
    EXPECT_NE(msg.find("not an IDX unsigned-byte file"), std::string::npos) << msg;
    EXPECT_EQ(load(idx_images(5, 3, 4, 2), lab, gz, &msg), BNN_E_FORMAT) << "wrong dimension count";
    EXPECT_EQ(load(lab, lab, gz, &msg), BNN_E_FORMAT) << "labels given as images";
    EXPECT_EQ(load(img, idx_labels(4), gz, &msg), BNN_E_SHAPE) << "count mismatch";
    EXPECT_NE(msg.find("4 labels"), std::string::npos) << msg;
    auto trunc = img;
    trunc.resize(trunc.size() - 1);
    EXPECT_EQ(load(trunc, lab, gz, &msg), BNN_E_FORMAT);
    EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
    auto head = img;
    head.resize(10);
    EXPECT_EQ(load(head, lab, gz, &msg), BNN_E_FORMAT) << "truncated header";
    auto tl = lab;
    tl.resize(tl.size() - 2);
    EXPECT_EQ(load(img, tl, gz, &msg), BNN_E_FORMAT);
    auto extra = img;
    extra.push_back(1);
    EXPECT_EQ(load(extra, lab, gz, &msg), BNN_E_FORMAT);
    EXPECT_NE(msg.find("trailing"), std::string::npos);
    // Absurd dimensions: rejected before allocating.
    std::vector<uint8_t> huge = {0, 0, 8, 3};
    put_be32(huge, 0xffffffffu);
    put_be32(huge, 0xffffffffu);
    put_be32(huge, 0xffffffffu);
    EXPECT_EQ(load(huge, lab, gz, &msg), BNN_E_RANGE) << msg;
    EXPECT_EQ(load(std::vector<uint8_t>(), lab, gz, &msg), BNN_E_FORMAT) << "empty file";
  }
  bnn_dataset ds;
  EXPECT_EQ(bnn_idx_load(&ds, "/nonexistent/i.gz", "/nonexistent/l.gz"), BNN_E_IO);
  EXPECT_NE(std::string(bnn_errmsg()).find("/nonexistent/i.gz"), std::string::npos);
}

TEST(Data, Cifar10) {
  std::string d = dir_path("cifar");
  std::vector<uint8_t> rec;
  for (int r = 0; r < 3; ++r) {
    rec.push_back((uint8_t)(r + 2));
    for (int c = 0; c < 3; ++c)
      for (int p = 0; p < 1024; ++p) rec.push_back((uint8_t)(c * 50 + p % 50 + r));
  }
  write_plain(d + "/test_batch.bin", rec);
  bnn_dataset ds;
  ASSERT_EQ(bnn_dataset_open(&ds, d.c_str(), "test", 0), BNN_OK) << bnn_errmsg();
  EXPECT_EQ(ds.n, 3u);
  EXPECT_EQ(ds.c, 3u);
  EXPECT_EQ(ds.h, 32u);
  EXPECT_EQ(ds.labels[1], 3);
  ASSERT_NE(ds.images, nullptr);
  // HWC: pixel p, channel c of record r = c·50 + p % 50 + r.
  std::vector<uint8_t> px(3 * 3072);
  if (ds.images) std::copy(ds.images, ds.images + px.size(), px.begin());
  for (int p : {0, 7, 1023})
    for (int c = 0; c < 3; ++c) EXPECT_EQ(px[2 * 3072 + p * 3 + c], (uint8_t)(c * 50 + p % 50 + 2));
  bnn_dataset_free(&ds);
  auto bad = rec;
  bad.pop_back();
  write_plain(d + "/test_batch.bin", bad);
  EXPECT_EQ(bnn_dataset_open(&ds, d.c_str(), "test", 0), BNN_E_FORMAT);
  EXPECT_NE(std::string(bnn_errmsg()).find("test_batch.bin"), std::string::npos);
  auto lab = rec;
  lab.at(3073) = 10;
  write_plain(d + "/test_batch.bin", lab);
  EXPECT_EQ(bnn_dataset_open(&ds, d.c_str(), "test", 0), BNN_E_FORMAT);
  EXPECT_NE(std::string(bnn_errmsg()).find("label 10"), std::string::npos);
  std::remove((d + "/test_batch.bin").c_str());
  rmdir(d.c_str());
}

namespace {
std::vector<uint8_t> read_all(const std::string &p) {
  std::ifstream f(p, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)),
                              std::istreambuf_iterator<char>());
}
}  // namespace

// Issue 14: zlib's gzread ends a gzip stream that lacks its 8-byte trailer (CRC-32 and length)
// without an error of its own, so such a file — even with corrupted data, which only that CRC
// would catch — was accepted.
TEST(Data, GzipWithoutItsCrcTrailerOrWithCorruptDataIsRefused) {
  const std::string d = dir_path("gztrailer");
  write_gz(d + "/full.gz", idx_images(20, 28, 28));
  const std::vector<uint8_t> gz = read_all(d + "/full.gz");
  write_gz(d + "/l.gz", idx_labels(20));
  const std::string img = d + "/i.gz", lab = d + "/l.gz";
  struct Variant {
    const char *name;
    std::vector<uint8_t> bytes;
  };
  std::vector<uint8_t> corrupt = std::vector<uint8_t>(gz.begin(), gz.end() - 8);
  corrupt[corrupt.size() / 2] ^= 0x10;
  std::vector<uint8_t> bad_crc = gz;
  bad_crc[gz.size() - 6] ^= 0x01;
  const Variant variants[] = {
      {"no trailer", std::vector<uint8_t>(gz.begin(), gz.end() - 8)},
      {"half a trailer", std::vector<uint8_t>(gz.begin(), gz.end() - 4)},
      {"corrupt data, no trailer", corrupt},
      {"wrong CRC", bad_crc},
  };
  bnn_dataset ds;
  write_plain(img, gz);
  ASSERT_EQ(bnn_idx_load(&ds, img.c_str(), lab.c_str()), BNN_OK) << bnn_errmsg();
  bnn_dataset_free(&ds);
  for (const Variant &v : variants) {
    SCOPED_TRACE(v.name);
    write_plain(img, v.bytes);
    EXPECT_LT(bnn_idx_load(&ds, img.c_str(), lab.c_str()), 0);
    EXPECT_NE(std::string(bnn_errmsg()).find(img), std::string::npos) << bnn_errmsg();
  }
  write_plain(img, std::vector<uint8_t>(gz.begin(), gz.end() - 8));
  EXPECT_EQ(bnn_idx_load(&ds, img.c_str(), lab.c_str()), BNN_E_FORMAT);
  EXPECT_NE(std::string(bnn_errmsg()).find("truncated gzip stream"), std::string::npos)
      << bnn_errmsg();
  for (const char *f : {"/full.gz", "/i.gz", "/l.gz"}) std::remove((d + f).c_str());
  rmdir(d.c_str());
}

// Issue 14: a FIFO (or a device, or a directory) given as a data file was opened before its type
// was checked, and opening a FIFO without a writer blocks forever.
TEST(Data, SpecialFilesAreRefusedWithoutBlocking) {
  const std::string d = dir_path("special");
  write_plain(d + "/t10k-labels-idx1-ubyte", idx_labels(3));
  ASSERT_EQ(mkfifo((d + "/t10k-images-idx3-ubyte").c_str(), 0600), 0);
  bnn_dataset ds;
  EXPECT_EQ(bnn_dataset_open(&ds, d.c_str(), "test", 0), BNN_E_IO);
  EXPECT_NE(std::string(bnn_errmsg()).find("is a FIFO (named pipe), not a regular file"),
            std::string::npos)
      << bnn_errmsg();
  std::remove((d + "/t10k-images-idx3-ubyte").c_str());
  ASSERT_EQ(symlink("/dev/zero", (d + "/t10k-images-idx3-ubyte").c_str()), 0);
  EXPECT_EQ(bnn_dataset_open(&ds, d.c_str(), "test", 0), BNN_E_IO);
  EXPECT_NE(std::string(bnn_errmsg()).find("is a character device"), std::string::npos)
      << bnn_errmsg();
  std::remove((d + "/t10k-images-idx3-ubyte").c_str());
  ASSERT_EQ(mkdir((d + "/t10k-images-idx3-ubyte").c_str(), 0755), 0);
  EXPECT_EQ(bnn_dataset_open(&ds, d.c_str(), "test", 0), BNN_E_IO);
  EXPECT_NE(std::string(bnn_errmsg()).find("is a directory"), std::string::npos) << bnn_errmsg();
  rmdir((d + "/t10k-images-idx3-ubyte").c_str());
  std::remove((d + "/t10k-labels-idx1-ubyte").c_str());
  rmdir(d.c_str());
}
