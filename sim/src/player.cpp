// player.cpp — trace player initiator over b_transport (absolute or relative timing), replay runs.
#include "rramsim/player.hpp"

#include <chrono>
#include <cstring>
#include <vector>

#include <tlm_utils/tlm_quantumkeeper.h>

#include "bnn/rng.h"
#include "rramsim/arbiter.hpp"
#include "rramsim/traffic.hpp"
#include "rrtrace/trace.h"

namespace rramsim {

using namespace sc_core;
using namespace tlm;

namespace {
enum : uint64_t { kTagReplayData = 201 };
}

TracePlayer::TracePlayer(sc_module_name name, rrt_source* src, const ReplayParams& p)
    : sc_module(name), socket("socket"), src_(src), p_(p) {
  socket.register_nb_transport_bw(this, &TracePlayer::nb_transport_bw);
  SC_HAS_PROCESS(TracePlayer);
  SC_THREAD(run);
}

tlm_sync_enum TracePlayer::nb_transport_bw(tlm_generic_payload&, tlm_phase&, sc_time&) {
  return TLM_COMPLETED;  // b_transport only: nothing comes back on the backward path
}

void TracePlayer::run() {
  tlm_utils::tlm_quantumkeeper qk;
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_time(p_.quantum_ns, SC_NS));
  qk.reset();
  std::vector<uint8_t> buf(RRT_MAX_LENGTH);
  tlm_generic_payload t;
  uint64_t issue = 0;      // when the previous request was issued (ps)
  uint64_t prev_done = 0;  // when the previous request completed (ps)
  rrt_access_reader* reader = rrt_source_reader(src_);
  for (;;) {
    rrt_request q;
    int got = 0;
    if (rrt_source_next(src_, &q, &got) != BNN_OK) {
      // No sc_stop(): nothing else is scheduled (b_transport only), so returning ends the
      // simulation without SystemC's "stopped by user" notice.
      error_ = bnn_errmsg();
      return;
    }
    if (!got) break;
    const rrt_access& a = q.access;
    if (q.timing == RRT_TIMING_RELATIVE) {
      issue = prev_done + q.delay_ps;
    } else if (q.time_ps > issue) {
      issue = q.time_ps;  // else: behind schedule, issue at once (no earlier than the previous)
    }
    if (a.cmd == RRT_CMD_WRITE) {
      if (a.has_data) {
        std::memcpy(buf.data(), a.data, a.length);
      } else {
        // "Contents not recorded": deterministic bytes from (seed, record index).
        for (uint32_t k = 0; k < a.length; k += 8) {
          uint64_t w = bnn_rng_hash(p_.data_seed, kTagReplayData, records_ * 8192 + k / 8);
          std::memcpy(buf.data() + k, &w, std::min<uint32_t>(8, a.length - k));
        }
      }
    }
    t.set_command(a.cmd == RRT_CMD_WRITE ? TLM_WRITE_COMMAND : TLM_READ_COMMAND);
    t.set_address(a.address);
    t.set_data_ptr(buf.data());
    t.set_data_length(a.length);
    t.set_streaming_width(a.length);
    t.set_byte_enable_ptr(nullptr);
    t.set_dmi_allowed(false);
    t.set_response_status(TLM_INCOMPLETE_RESPONSE);
    const uint64_t now = to_ps(sc_time_stamp());
    const uint64_t offset = issue > now ? issue - now : 0;
    sc_time delay = from_ps(offset);
    socket->b_transport(t, delay);
    ++records_;
    if (t.is_response_error()) ++failed_;
    prev_done = now + to_ps(delay);
    qk.set(from_ps(offset));
    if (qk.need_sync()) qk.sync();
    if (p_.progress && records_ % p_.progress_every == 0)
      p_.progress(records_, rrt_access_reader_input_offset(reader));
  }
  qk.sync();
}

ReplayOutput run_replay(const SystemConfig& cfg, const ReplayParams& p, AccessObserver access,
                        FaultObserver fault) {
  ReplayOutput out;
  rrt_source_params sp = rrt_source_default_params();
  sp.read.skip_bad = p.skip_bad ? 1 : 0;
  sp.read.default_length = p.default_length;
  sp.clock_ps = p.clock_ps;
  sp.capacity = cfg.org.capacity_bytes();
  const std::string hash = config_hash(cfg);
  sp.config_hash = hash.c_str();
  rrt_source* src = nullptr;
  if (rrt_source_open(p.trace.c_str(), &sp, &src) != BNN_OK) {
    out.error = bnn_errmsg();
    return out;
  }
  out.warning = rrt_source_warning(src);
  out.clock_ps = rrt_source_clock_ps(src);
  out.relative = rrt_access_reader_timing(rrt_source_reader(src)) == RRT_TIMING_RELATIVE;

  quiet_systemc();
  {
    TracePlayer player("player", src, p);
    Arbiter arb("arbiter");
    RramMemory mem("rram", cfg);
    if (access.fn) mem.set_access_observer(access);
    if (fault.fn) mem.set_fault_observer(fault);
    player.socket.bind(arb.targets);  // player → arbiter → memory (controller → banks)
    arb.memory.bind(mem.socket);
    auto t0 = std::chrono::steady_clock::now();
    sc_start();
    auto t1 = std::chrono::steady_clock::now();
    mem.finish();
    out.stats = mem.stats();
    out.records = player.records();
    out.failed = player.failed();
    out.error = player.error();
    out.wall_seconds = std::chrono::duration<double>(t1 - t0).count();
  }
  out.bad_lines = rrt_access_reader_bad_lines(rrt_source_reader(src));
  rrt_source_close(src);
  return out;
}

}  // namespace rramsim
