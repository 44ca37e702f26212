// player.cpp — trace player initiator over b_transport (absolute or relative timing), replay runs.
#include "rramsim/player.hpp"

#include <cstring>
#include <vector>

#include <tlm_utils/tlm_quantumkeeper.h>

#include "rramsim/arbiter.hpp"
#include "rramsim/traffic.hpp"
#include "rrtrace/trace.h"

namespace rramsim {

using namespace sc_core;
using namespace tlm;

namespace {
enum : uint64_t { kTagReplayData = 201 };

// Simulated time is 64-bit picoseconds (SystemC at 1 ps resolution). A request whose issue time
// lies past 2^63 ps (about 107 days) is refused: below it, adding the memory's latencies cannot
// wrap, and SystemC never meets a wait past its maximum time — where it would end the simulation
// without a word, dropping every later record and leaving this thread suspended with its buffers.
constexpr uint64_t kMaxIssuePs = uint64_t{1} << 63;
}  // namespace

bool TracePlayer::request_time(const rrt_request& q, uint64_t previous_ps, uint64_t* issue_ps) {
  const bool relative = q.timing == RRT_TIMING_RELATIVE;
  const uint64_t base_ps = relative ? previous_ps : q.time_ps, add_ps = relative ? q.delay_ps : 0;
  if (base_ps > kMaxIssuePs || add_ps > kMaxIssuePs - base_ps) {
    error_ = std::string(rrt_access_reader_where(rrt_source_reader(src_))) +
             ": time past the simulator's range (2^63 ps, about 107 days)";
    return false;
  }
  *issue_ps = base_ps + add_ps;
  return true;
}

TracePlayer::TracePlayer(sc_module_name name, rrt_source* src, const ReplayParams& p)
    : sc_module(name), socket("socket"), src_(src), p_(p) {
  socket.register_nb_transport_bw(this, &TracePlayer::nb_transport_bw);
  SC_HAS_PROCESS(TracePlayer);
  SC_THREAD(run);
}

bool TracePlayer::next(rrt_request* q) {
  int got = 0;
  if (rrt_source_next(src_, q, &got) != BNN_OK) {
    // No sc_stop(): returning from the thread ends the simulation once in-flight requests are
    // answered, without SystemC's "stopped by user" notice.
    error_ = bnn_errmsg();
    return false;
  }
  return got != 0;
}

void TracePlayer::prepare(tlm_generic_payload& t, const rrt_access& a, std::vector<uint8_t>& buf) {
  if (buf.size() < a.length) buf.resize(a.length);
  if (a.cmd == RRT_CMD_WRITE) {
    if (a.has_data)
      std::memcpy(buf.data(), a.data, a.length);
    else  // "contents not recorded": deterministic bytes from (seed, record index)
      fill_seeded_data(buf.data(), a.length, p_.data_seed, kTagReplayData, records_ * 8192);
  }
  set_request(t, a.cmd == RRT_CMD_WRITE ? TLM_WRITE_COMMAND : TLM_READ_COMMAND, a.address,
              buf.data(), a.length);
}

void TracePlayer::run() {
  if (p_.nb)
    run_at();
  else
    run_lt();
}

void TracePlayer::run_lt() {
  tlm_utils::tlm_quantumkeeper qk;
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_time(p_.quantum_ns, SC_NS));
  qk.reset();
  std::vector<uint8_t> buf(RRT_MAX_LENGTH);
  tlm_generic_payload t;
  uint64_t issue = 0;  // when the previous request was issued (ps)
  rrt_access_reader* reader = rrt_source_reader(src_);
  rrt_request q;
  while (next(&q)) {
    uint64_t at;
    if (!request_time(q, issue, &at)) break;
    if (q.timing == RRT_TIMING_RELATIVE)
      issue = at;  // after the previous issue (DRAMSys 5)
    else if (at > issue)
      issue = at;  // else behind: at once, not before the last
    prepare(t, q.access, buf);
    const uint64_t now = to_ps(sc_time_stamp());
    const uint64_t offset = issue > now ? issue - now : 0;
    sc_time delay = from_ps(offset);
    socket->b_transport(t, delay);
    ++records_;
    if (t.is_response_error()) ++failed_;
    qk.set(from_ps(offset));
    if (qk.need_sync()) qk.sync();
    if (p_.progress && records_ % p_.progress_every == 0)
      p_.progress(records_, rrt_access_reader_input_offset(reader));
  }
  qk.sync();
}

void TracePlayer::run_at() {
  const unsigned slots = p_.outstanding ? p_.outstanding : 1;
  at_.reserve(slots);
  bufs_.assign(slots, {});
  rrt_access_reader* reader = rrt_source_reader(src_);
  rrt_request q;
  while (next(&q)) {
    // Relative: after the previous BEGIN_REQ (DRAMSys 5). Either: not before the previous
    // request was accepted, nor with more than `outstanding` in flight (AtRequests::acquire). A
    // time past the simulator's range ends the replay with an error naming the record.
    uint64_t issue;
    if (!request_time(q, last_issue_, &issue)) break;
    const uint64_t now = to_ps(sc_time_stamp());
    if (issue > now) wait(from_ps(issue - now));
    const unsigned slot = at_.acquire();
    prepare(at_.payload(slot), q.access, bufs_[slot]);
    ++records_;
    last_issue_ = to_ps(sc_time_stamp());
    at_.send(socket, slot);
    if (p_.progress && records_ % p_.progress_every == 0)
      p_.progress(records_, rrt_access_reader_input_offset(reader));
  }
  at_.drain();
}

tlm_sync_enum TracePlayer::nb_transport_bw(tlm_generic_payload& t, tlm_phase& ph, sc_time&) {
  return at_.backward(t, ph);
}

ReplayOutput run_replay(const SystemConfig& cfg, const ReplayParams& p, AccessObserver access,
                        FaultObserver fault) {
  ReplayOutput out;
  rrt_source_params sp = rrt_source_default_params();
  sp.read.skip_bad = p.skip_bad ? 1 : 0;
  sp.read.default_length = p.default_length;
  sp.clock_ps = p.clock_ps;
  sp.clock_mhz = p.clock_mhz;
  sp.capacity = cfg.org.capacity_bytes();
  sp.address_map = p.address_map;
  const std::string hash = config_hash(cfg);
  sp.config_hash = hash.c_str();
  rrt_source* src = nullptr;
  if (rrt_source_open(p.trace.c_str(), &sp, &src) != BNN_OK) throw Error(bnn_errmsg());
  out.warning = rrt_source_warning(src);
  if (!out.warning.empty() && p.on_warning) p.on_warning(out.warning);
  out.clock_ps = rrt_source_clock_ps(src);
  out.relative = rrt_access_reader_timing(rrt_source_reader(src)) == RRT_TIMING_RELATIVE;
  std::string error;

  quiet_systemc();
  {
    TracePlayer player("player", src, p);
    Arbiter arb("arbiter");
    RramMemory mem("rram", cfg);
    if (access.fn) mem.set_access_observer(access);
    if (fault.fn) mem.set_fault_observer(fault);
    player.socket.bind(arb.targets);  // player → arbiter → memory (controller → banks)
    arb.memory.bind(mem.socket);
    out.wall_seconds = run_to_completion();
    mem.finish();
    out.stats = mem.stats();
    out.records = player.records();
    out.failed = player.failed();
    error = player.error();
  }
  out.bad_lines = rrt_access_reader_bad_lines(rrt_source_reader(src));
  out.clock_mhz = rrt_source_clock_mhz(src);
  out.mapped = rrt_source_mapped(src);
  out.first_mapped = rrt_source_first_mapped(src);
  rrt_source_close(src);
  throw_if(error);
  return out;
}

}  // namespace rramsim
