// test_sim_alloc.cpp — allocation-failure sweeps for config load and simulator construction: the
// n-th allocation fails for every n, counted over all three allocators the code uses (C++
// operator new, jansson through json_set_alloc_funcs, libbnn's hook), and every run must end in a
// clean error (std::bad_alloc or a ConfigError saying "out of memory") or in the same result as
// without the failure, and leak nothing (LeakSanitizer checks that in the asan preset).
//
// Its own executable: the replacement operator new below is process-wide.
//
// The boundary is rramsim's own code: config load (jansson, device and organisation files, the
// error-map reader) and the Controller (address decoder, scheduler, channels, banks, Storage with
// the error-map defects) that RramMemory holds. The SystemC modules themselves are not swept:
// SystemC 2.3.4's kernel is not exception-safe under allocation failure. A bad_alloc inside
// sc_object construction leaves the name in the object registry (the next "traffic" module is
// renamed, W505) and a later construction crashes in sc_phash_base::find_entry_c called from
// sc_name_gen::gen_unique_name (checked on this build; docs/fuzzing.md "Allocation failure").
#include <gtest/gtest.h>
#include <jansson.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <new>
#include <string>

#include "bnn/status.h"
#include "rramsim/config.hpp"
#include "rramsim/controller.hpp"

namespace {

// -1: off. Otherwise the number of allocations still allowed; the one after fails (only that
// one: clean-up paths may allocate again).
long g_left = -1;
long g_seen = 0;  // allocations counted while armed
bool g_failed = false;

bool take() {
  if (g_left < 0) return true;
  ++g_seen;
  if (g_left-- > 0) return true;
  g_left = -1;
  g_failed = true;
  return false;
}

void *counting_alloc(void *, size_t n) {
  return take() ? std::malloc(n) : nullptr;
}
void *counting_realloc(void *, void *p, size_t n) {
  return take() ? std::realloc(p, n) : nullptr;
}
void plain_free(void *, void *p) {
  std::free(p);
}

void arm(long n) {
  g_seen = 0;
  g_failed = false;
  g_left = n;
}
void disarm() {
  g_left = -1;
}

// Installs the counting libbnn allocator for the whole test program. jansson reaches it too: the
// config loader routes jansson through libbnn's hook (json_set_alloc_funcs in
// sim/src/config_reader.cpp), which the first test checks.
struct Hooks : ::testing::Environment {
  void SetUp() override {
    static const bnn_allocator a = {counting_alloc, counting_realloc, plain_free, nullptr};
    bnn_set_allocator(&a);
  }
};
const ::testing::Environment *const hooks = ::testing::AddGlobalTestEnvironment(new Hooks);

std::string src(const std::string &rel) {
  return std::string(RRAMSIM_SOURCE_DIR) + "/" + rel;
}

// Runs body with the n-th allocation failing, n = 0, 1, ... until a run allocates fewer than n
// times (nothing failed). Each run must throw a clean error or return what the unarmed run
// returned (`same`). Returns the number of allocations of the full run.
template <typename Body, typename Same>
long sweep(const char *what, const std::string &file_prefix, Body body, Same same) {
  for (long n = 0; n < 200000; ++n) {
    arm(n);
    try {
      body();
      disarm();
      if (!g_failed) return g_seen;
      EXPECT_TRUE(same()) << what << ": the allocation " << n
                          << " failed, the run went on and its result differs";
    } catch (const std::bad_alloc &) {
      disarm();
      EXPECT_TRUE(g_failed) << what << ": bad_alloc without an injected failure";
    } catch (const rramsim::ConfigError &e) {
      disarm();
      // One line naming the file and saying what went wrong.
      std::string m = e.what();
      EXPECT_TRUE(g_failed) << what << ": " << m;
      EXPECT_EQ(m.find('\n'), std::string::npos) << m;
      EXPECT_NE(m.find("out of memory"), std::string::npos) << what << " n=" << n << ": " << m;
      EXPECT_EQ(m.rfind(file_prefix, 0), 0u) << m;
    }
    if (::testing::Test::HasFailure()) return -1;
  }
  ADD_FAILURE() << what << ": no run finished";
  return -1;
}

// A system with every kind of sub-file: device and organisation by path, plus an error map.
std::string write_system() {
  std::string path = std::string(RRAMSIM_BINARY_DIR) + "/test_sim_alloc_" +
                     std::to_string((long)getpid()) + ".json";
  std::ofstream f(path);
  f << "{\"name\": \"alloc\", \"device\": \"" << src("configs/devices/hfo2_2t2r.json")
    << "\", \"op_point\": \"nominal\", \"seed\": 3, \"error_map\": \""
    << src("traces/examples/errmap_array.csv")
    << "\", \"organisation\": {\"channels\": 2, \"banks_per_channel\": 8, "
       "\"crossbars_per_bank\": 8, \"rows\": 512, \"columns\": 512, "
       "\"scheduler\": {\"policy\": \"read_first\"}}}\n";
  return path;
}

TEST(SimAlloc, ConfigLoadFailsCleanlyAtEveryAllocation) {
  std::string path = write_system();
  rramsim::SystemConfig ref_cfg = rramsim::load_system_file(path);
  const std::string ref_hash = rramsim::config_hash(ref_cfg);
  const std::string ref_json = rramsim::config_to_json(ref_cfg);
  ASSERT_TRUE(ref_cfg.error_map && !ref_cfg.error_map->cells.empty());
  // jansson allocates through libbnn's hook once the loader has run.
  arm(1000000);
  json_decref(json_string("x"));
  disarm();
  EXPECT_GT(g_seen, 0) << "jansson does not go through the allocator hook";
  std::string hash, json;
  long n = sweep(
      "config load", "/",
      [&] {
        rramsim::SystemConfig c = rramsim::load_system_file(path);
        hash = rramsim::config_hash(c);
        json = rramsim::config_to_json(c);
      },
      [&] { return hash == ref_hash && json == ref_json; });
  std::remove(path.c_str());
  EXPECT_GT(n, 100) << "the sweep must cover jansson, the error-map reader and the C++ side";
  std::printf("config load + hash: %ld allocations, each failed once\n", n);
}

// The simulator's own construction: controller (address decoder, scheduler, channels and banks)
// and storage (page table, error-map defects). Everything rramsim builds below the SystemC
// modules, whose kernel side is swept separately below.
TEST(SimAlloc, ControllerConstructionFailsCleanlyAtEveryAllocation) {
  rramsim::SystemConfig cfg = rramsim::load_system_file(write_system());
  std::remove((std::string(RRAMSIM_BINARY_DIR) + "/test_sim_alloc_" +
               std::to_string((long)getpid()) + ".json")
                  .c_str());
  uint64_t ref_done = 0, done = 0;
  {
    rramsim::Controller c(cfg);
    uint8_t buf[256] = {1, 2, 3};
    ref_done = c.access(rramsim::Cmd::Write, 4096, buf, sizeof buf, 0).done_ps;
  }
  long n = sweep(
      "controller", "",
      [&] {
        rramsim::Controller c(cfg);
        uint8_t buf[256] = {1, 2, 3};
        done = c.access(rramsim::Cmd::Write, 4096, buf, sizeof buf, 0).done_ps;
      },
      [&] { return done == ref_done; });
  EXPECT_GT(n, 10);
  std::printf("controller construction + first write: %ld allocations, each failed once\n", n);
}

}  // namespace

// Replaceable global allocation functions (C++17 [new.delete]): every operator new of the
// program counts against the countdown. The aligned forms are not replaced (rramsim allocates
// nothing over-aligned). noinline: inlined into callers, gcc would see malloc'd memory reach
// operator delete's free and warn (-Wmismatched-new-delete) about a pairing that is consistent.
#define ALLOC_FN __attribute__((noinline))
ALLOC_FN void *operator new(std::size_t n) {
  void *p = take() ? std::malloc(n ? n : 1) : nullptr;
  if (!p) throw std::bad_alloc();
  return p;
}
ALLOC_FN void *operator new[](std::size_t n) {
  return ::operator new(n);
}
ALLOC_FN void *operator new(std::size_t n, const std::nothrow_t &) noexcept {
  return take() ? std::malloc(n ? n : 1) : nullptr;
}
ALLOC_FN void *operator new[](std::size_t n, const std::nothrow_t &t) noexcept {
  return ::operator new(n, t);
}
ALLOC_FN void operator delete(void *p) noexcept {
  std::free(p);
}
ALLOC_FN void operator delete[](void *p) noexcept {
  std::free(p);
}
ALLOC_FN void operator delete(void *p, std::size_t) noexcept {
  std::free(p);
}
ALLOC_FN void operator delete[](void *p, std::size_t) noexcept {
  std::free(p);
}
ALLOC_FN void operator delete(void *p, const std::nothrow_t &) noexcept {
  std::free(p);
}
ALLOC_FN void operator delete[](void *p, const std::nothrow_t &) noexcept {
  std::free(p);
}
