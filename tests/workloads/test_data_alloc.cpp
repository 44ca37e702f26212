// test_data_alloc.cpp — allocation-failure sweep for the dataset readers (IDX plain and gzip,
// CIFAR-10): make the n-th allocation fail for every n; each must return BNN_E_NOMEM, leave the
// dataset zeroed and leak nothing (LeakSanitizer in the asan preset checks the last part).
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

#include "bnn/data.h"

namespace {

struct Countdown {
  long left;  // allocations still allowed; the next one after it reaches 0 fails
  static void *alloc(void *ud, size_t n) {
    Countdown *c = static_cast<Countdown *>(ud);
    if (c->left-- <= 0) return nullptr;
    return malloc(n);
  }
  static void *realloc_(void *ud, void *p, size_t n) {
    Countdown *c = static_cast<Countdown *>(ud);
    if (c->left-- <= 0) return nullptr;
    return realloc(p, n);
  }
  static void free_(void *, void *p) { free(p); }
};

std::string tmp(const std::string &name) {
  return std::string(RRAMSIM_BINARY_DIR) + "/test_data_alloc_" + std::to_string((long)getpid()) +
         "_" + name;
}

void put_be32(std::vector<uint8_t> &b, uint32_t v) {
  for (int i = 3; i >= 0; --i) b.push_back((uint8_t)(v >> (8 * i)));
}

void write_file(const std::string &p, const std::vector<uint8_t> &b, bool gz) {
  if (gz) {
    gzFile f = gzopen(p.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    gzwrite(f, b.data(), (unsigned)b.size());
    gzclose(f);
  } else {
    FILE *f = fopen(p.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    fwrite(b.data(), 1, b.size(), f);
    fclose(f);
  }
}

// Runs load() with the n-th allocation failing for n = 0, 1, ... until it succeeds.
template <typename Load>
void sweep(const char *what, Load load) {
  bool ok = false;
  for (long n = 0; n < 200 && !ok; ++n) {
    Countdown c{n};
    bnn_allocator a = {Countdown::alloc, Countdown::realloc_, Countdown::free_, &c};
    bnn_dataset ds;
    memset(&ds, 0x5a, sizeof ds);  // the reader must not rely on a zeroed struct
    bnn_set_allocator(&a);
    bnn_status st = load(&ds);
    bnn_set_allocator(nullptr);
    if (st == BNN_OK) {
      ok = true;
      EXPECT_GT(ds.n, 0u) << what;
    } else {
      EXPECT_EQ(st, BNN_E_NOMEM) << what << " n=" << n << ": " << bnn_errmsg();
      EXPECT_EQ(ds.images, nullptr) << what << " n=" << n;
      EXPECT_EQ(ds.labels, nullptr) << what << " n=" << n;
    }
    bnn_dataset_free(&ds);
  }
  EXPECT_TRUE(ok) << what << ": never succeeded";
}

}  // namespace

TEST(DataAlloc, IdxEveryAllocationFailureIsClean) {
  std::vector<uint8_t> img = {0, 0, 8, 3}, lab = {0, 0, 8, 1};
  put_be32(img, 4);
  put_be32(img, 3);
  put_be32(img, 5);
  for (int i = 0; i < 4 * 3 * 5; ++i) img.push_back((uint8_t)(i * 3));
  put_be32(lab, 4);
  for (int i = 0; i < 4; ++i) lab.push_back((uint8_t)i);
  for (bool gz : {false, true}) {
    std::string a = tmp(gz ? "i.gz" : "i"), b = tmp(gz ? "l.gz" : "l");
    write_file(a, img, gz);
    write_file(b, lab, gz);
    sweep(gz ? "idx.gz" : "idx",
          [&](bnn_dataset *ds) { return bnn_idx_load(ds, a.c_str(), b.c_str()); });
    std::remove(a.c_str());
    std::remove(b.c_str());
  }
}

TEST(DataAlloc, Cifar10EveryAllocationFailureIsClean) {
  std::vector<uint8_t> rec;
  for (int r = 0; r < 2; ++r) {
    rec.push_back((uint8_t)r);
    for (int p = 0; p < 3072; ++p) rec.push_back((uint8_t)(p + r));
  }
  std::string a = tmp("c1.bin"), b = tmp("c2.bin");
  write_file(a, rec, false);
  write_file(b, rec, false);
  const char *paths[2] = {a.c_str(), b.c_str()};
  sweep("cifar10", [&](bnn_dataset *ds) { return bnn_cifar10_load(ds, paths, 2); });
  std::remove(a.c_str());
  std::remove(b.c_str());
}
