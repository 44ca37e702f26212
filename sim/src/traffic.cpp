// traffic.cpp — synthetic traffic over b_transport (quantum keeper) or nb_transport, and runs.
#include "rramsim/traffic.hpp"

#include <chrono>
#include <cstdlib>

#include "bnn/rng.h"
#include "rramsim/arbiter.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define RRAMSIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RRAMSIM_ASAN 1
#endif
#endif
#ifdef RRAMSIM_ASAN
#include <pthread.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace rramsim {

using namespace sc_core;
using namespace tlm;

const char* pattern_name(Pattern p) {
  switch (p) {
    case Pattern::Random:
      return "random";
    case Pattern::Sequential:
      return "sequential";
    case Pattern::Strided:
      return "strided";
  }
  return "?";
}

bool parse_pattern(const std::string& s, Pattern* out) {
  if (s == "random")
    *out = Pattern::Random;
  else if (s == "sequential")
    *out = Pattern::Sequential;
  else if (s == "strided")
    *out = Pattern::Strided;
  else
    return false;
  return true;
}

namespace {
__extension__ typedef unsigned __int128 u128;
enum : uint64_t { kTagAddr = 101, kTagKind = 102, kTagData = 103 };
}  // namespace

TrafficGenerator::TrafficGenerator(sc_module_name name, const TrafficParams& p, uint64_t capacity)
    : sc_module(name), socket("socket"), p_(p), capacity_(capacity) {
  span_ = p_.span ? p_.span : (capacity_ > p_.base ? capacity_ - p_.base : 0);
  if (p_.outstanding == 0) p_.outstanding = 1;
  const unsigned slots = p_.nb ? p_.outstanding : 1;
  buffers_.resize(size_t{slots} * p_.size);
  if (p_.nb) at_.reserve(slots);
  socket.register_nb_transport_bw(this, &TrafficGenerator::nb_transport_bw);
  SC_HAS_PROCESS(TrafficGenerator);
  SC_THREAD(run);
}

void TrafficGenerator::prepare(tlm_generic_payload& t, uint64_t i, uint8_t* buf) {
  const uint64_t slots = p_.size && span_ >= p_.size ? span_ / p_.size : 1;
  uint64_t addr;
  switch (p_.pattern) {
    case Pattern::Random:
      addr = (bnn_rng_hash(p_.seed, kTagAddr, i) % slots) * p_.size;
      break;
    case Pattern::Sequential:
      addr = (i % slots) * p_.size;
      break;
    default: {
      uint64_t off = static_cast<uint64_t>((static_cast<u128>(i) * p_.stride) % span_);
      addr = off - off % p_.size;
      if (addr + p_.size > span_) addr = 0;
    }
  }
  bool is_read =
      p_.read_ratio >= 1.0 ||
      (static_cast<double>(bnn_rng_hash(p_.seed, kTagKind, i) >> 11) * 0x1.0p-53 < p_.read_ratio);
  if (!is_read) fill_seeded_data(buf, p_.size, p_.seed, kTagData, i * 4096);
  set_request(t, is_read ? TLM_READ_COMMAND : TLM_WRITE_COMMAND, p_.base + addr, buf, p_.size);
}

void TrafficGenerator::run() {
  if (p_.nb)
    run_at();
  else
    run_lt();
}

void TrafficGenerator::run_lt() {
  tlm_utils::tlm_quantumkeeper qk;
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_time(p_.quantum_ns, SC_NS));
  qk.reset();
  const uint64_t interval = static_cast<uint64_t>(p_.interval_ns * 1000.0);
  // Completion times of the last `outstanding` requests: request i may issue once request
  // i − outstanding has completed (closed loop).
  std::vector<uint64_t> done_ring(p_.outstanding, 0);
  uint64_t issue = 0;
  tlm_generic_payload t;
  for (uint64_t i = 0; i < p_.requests; ++i) {
    uint64_t& slot = done_ring[i % p_.outstanding];
    if (i) issue += interval;
    if (slot > issue) issue = slot;
    prepare(t, i, buffers_.data());
    const uint64_t now = to_ps(sc_time_stamp());
    sc_time delay = from_ps(issue > now ? issue - now : 0);
    socket->b_transport(t, delay);
    ++issued_;
    if (t.is_response_error()) ++failed_;
    slot = now + to_ps(delay);
    qk.set(from_ps(issue > now ? issue - now : 0));
    if (qk.need_sync()) qk.sync();
    if (p_.progress && (i + 1) % p_.progress_every == 0) p_.progress(i + 1);
  }
  qk.sync();
}

void TrafficGenerator::run_at() {
  const sc_time interval(p_.interval_ns, SC_NS);
  for (uint64_t i = 0; i < p_.requests; ++i) {
    const unsigned slot = at_.acquire();
    prepare(at_.payload(slot), i, buffers_.data() + size_t{slot} * p_.size);
    ++issued_;
    at_.send(socket, slot);
    if (p_.interval_ns > 0) wait(interval);
    if (p_.progress && (i + 1) % p_.progress_every == 0) p_.progress(i + 1);
  }
  at_.drain();
}

tlm_sync_enum TrafficGenerator::nb_transport_bw(tlm_generic_payload& t, tlm_phase& ph, sc_time&) {
  return at_.backward(t, ph);
}

void quiet_systemc() {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
}

double run_to_completion() {
  const auto t0 = std::chrono::steady_clock::now();
  sc_start();
  const auto t1 = std::chrono::steady_clock::now();
#ifdef RRAMSIM_ASAN
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void* base = nullptr;
    size_t size = 0;
    if (pthread_attr_getstack(&attr, &base, &size) == 0) {
      // A "switch" to the stack we are on: ASan takes these bounds as the thread's again.
      __sanitizer_start_switch_fiber(nullptr, base, size);
      __sanitizer_finish_switch_fiber(nullptr, nullptr, nullptr);
    }
    pthread_attr_destroy(&attr);
  }
#endif
  return std::chrono::duration<double>(t1 - t0).count();
}

RunOutput run_traffic(const SystemConfig& cfg, const TrafficParams& tp, AccessObserver access,
                      FaultObserver fault) {
  quiet_systemc();
  RunOutput out;
  TrafficGenerator gen("traffic", tp, cfg.org.capacity_bytes());
  Arbiter arb("arbiter");
  RramMemory mem("rram", cfg);
  if (access.fn) mem.set_access_observer(access);
  if (fault.fn) mem.set_fault_observer(fault);
  gen.socket.bind(arb.targets);  // initiator → arbiter → memory (controller → banks)
  arb.memory.bind(mem.socket);
  out.wall_seconds = run_to_completion();
  mem.finish();
  out.stats = mem.stats();
  out.failed = gen.failed();
  return out;
}

}  // namespace rramsim
