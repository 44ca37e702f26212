// memory.cpp — TLM-2.0 target: LT b_transport, AT nb_transport via a PEQ, backdoor transport_dbg,
// several initiators on one multi-passthrough socket, byte enables, DMI refused.
#include "rramsim/memory.hpp"

#include <cmath>
#include <numeric>

#include "rramsim/stats.hpp"

namespace rramsim {

using namespace sc_core;
using namespace tlm;

namespace {

// Internal phase of the PEQ: a response channel became free at its END_RESP time.
DECLARE_EXTENDED_PHASE(rr_response_channel_free);

[[noreturn]] void report_error(const std::string& msg) {
  SC_REPORT_ERROR("rramsim", msg.c_str());
  throw std::runtime_error(msg);  // when the user's report handler does not throw
}

// The config with params applied; every failure becomes a SystemC error naming the module.
SystemConfig resolve_config(const char* module, const MemoryConfig* src, const SystemConfig* cfg,
                            const MemoryParams& params) {
  try {
    SystemConfig c;
    if (cfg)
      c = *cfg;
    else if (!src->path.empty())
      c = load_system_file(src->path);
    else
      c = load_system_string(src->text, "<json>", src->base_dir);
    if (!params.op_point.empty()) select_op_point(c, params.op_point);
    return c;
  } catch (const std::exception& e) {
    report_error(std::string("RramMemory '") + module + "': " + e.what());
  }
}

std::string format_time(uint64_t ps) {
  static const char* const units[] = {"ps", "ns", "us", "ms", "s"};
  int u = 0;
  while (ps && ps % 1000 == 0 && u < 4) ps /= 1000, ++u;
  return std::to_string(ps) + " " + units[u];
}

}  // namespace

RramMemory::RramMemory(sc_module_name name, const SystemConfig& cfg, const MemoryParams& params)
    : sc_module(name),
      socket("socket"),
      ctrl_(resolve_config(basename(), nullptr, &cfg, params)),
      peq_(this, &RramMemory::peq_cb) {
  init(params);
}

RramMemory::RramMemory(sc_module_name name, const MemoryConfig& src, const MemoryParams& params)
    : sc_module(name),
      socket("socket"),
      ctrl_(resolve_config(basename(), &src, nullptr, params)),
      peq_(this, &RramMemory::peq_cb) {
  init(params);
}

void RramMemory::init(const MemoryParams& params) {
  base_ = params.base_address;
  stats_path_ = params.stats_path;
  const uint64_t cap = ctrl_.config().org.capacity_bytes();
  if (base_ > UINT64_MAX - (cap - 1))
    report_error(std::string("RramMemory '") + name() + "': base_address " + std::to_string(base_) +
                 " + capacity " + std::to_string(cap) + " B reaches past the 64-bit address space");

  // The resolution in fs is a power of ten (IEEE 1666 §5.11.3).
  const double res_fs_d = sc_get_time_resolution().to_seconds() * 1e15;
  const uint64_t res_fs = static_cast<uint64_t>(std::llround(res_fs_d));
  if (res_fs < 1000) {
    ticks_per_ps_ = 1000 / res_fs;
  } else {
    ps_per_tick_ = res_fs / 1000;
    // Every time the model computes is an arrival plus sums of these constants.
    const Controller::Timing& tm = ctrl_.timing();
    uint64_t g = std::gcd(std::gcd(tm.t_ck, tm.t_ctrl), std::gcd(tm.t_read, tm.t_write));
    if (g % ps_per_tick_ != 0) {
      uint64_t fit = 1;  // the largest power of ten (in ps) that divides g
      while (g % (fit * 10) == 0) fit *= 10;
      report_error(std::string("RramMemory '") + name() + "': the SystemC time resolution " +
                   format_time(ps_per_tick_) + " is coarser than the model's timing step " +
                   format_time(g) + " (gcd of t_CK " + format_time(tm.t_ck) + ", t_RD " +
                   format_time(tm.t_read) + ", t_WR " + format_time(tm.t_write) +
                   "); call sc_core::sc_set_time_resolution(" + format_time(fit) +
                   ") or finer before creating any sc_time");
    }
  }

  socket.register_b_transport(this, &RramMemory::b_transport);
  socket.register_nb_transport_fw(this, &RramMemory::nb_transport_fw);
  socket.register_transport_dbg(this, &RramMemory::transport_dbg);
  socket.register_get_direct_mem_ptr(this, &RramMemory::get_direct_mem_ptr);
}

// Sets the payload's response from the controller's result and, when it is ok, hands back the
// accept and done times.
static bool respond(tlm_generic_payload& t, const Controller::Result& r, uint64_t* accept_ps,
                    uint64_t* done_ps) {
  if (!r.ok) {
    t.set_response_status(TLM_ADDRESS_ERROR_RESPONSE);
    return false;
  }
  *accept_ps = r.accept_ps;
  *done_ps = r.done_ps;
  t.set_dmi_allowed(false);
  t.set_response_status(TLM_OK_RESPONSE);
  return true;
}

bool RramMemory::execute(tlm_generic_payload& t, uint64_t arrival_ps, uint64_t* accept_ps,
                         uint64_t* done_ps) {
  *accept_ps = *done_ps = arrival_ps;
  if (!t.get_data_ptr() && t.get_data_length()) {  // a broken initiator: no crash
    t.set_response_status(TLM_GENERIC_ERROR_RESPONSE);
    return false;
  }
  if (t.get_streaming_width() < t.get_data_length()) {
    t.set_response_status(TLM_BURST_ERROR_RESPONSE);
    return false;
  }
  Cmd cmd;
  switch (t.get_command()) {
    case TLM_READ_COMMAND:
      cmd = Cmd::Read;
      break;
    case TLM_WRITE_COMMAND:
      cmd = Cmd::Write;
      break;
    default:
      t.set_response_status(TLM_OK_RESPONSE);
      return true;
  }
  const uint64_t addr = t.get_address();
  if (addr < base_) {
    t.set_response_status(TLM_ADDRESS_ERROR_RESPONSE);
    return false;
  }
  if (t.get_byte_enable_ptr())
    return execute_masked(t, cmd, addr - base_, arrival_ps, accept_ps, done_ps);
  Controller::Result r =
      ctrl_.access(cmd, addr - base_, t.get_data_ptr(), t.get_data_length(), arrival_ps);
  return respond(t, r, accept_ps, done_ps);
}

// Byte enables (the mask repeats when shorter than the data). A read senses the whole range and
// copies the enabled bytes. A write is a read-modify-write: the range is read at the arrival
// time (read errors included), the enabled bytes are merged in, and the whole range is written
// back when the read's data is in, so a disabled byte that read wrong is stored wrong, and the
// cost is a read plus a write. A write with no byte enabled does nothing.
bool RramMemory::execute_masked(tlm_generic_payload& t, Cmd cmd, uint64_t addr, uint64_t arrival_ps,
                                uint64_t* accept_ps, uint64_t* done_ps) {
  const unsigned be_len = t.get_byte_enable_length();
  if (be_len == 0) {
    t.set_response_status(TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return false;
  }
  const uint8_t* be = t.get_byte_enable_ptr();
  uint8_t* data = t.get_data_ptr();
  const uint64_t len = t.get_data_length();
  bool any = false, all = true;
  for (uint64_t i = 0; i < len; ++i) {
    const uint8_t m = be[i % be_len];
    any |= m != 0;
    all &= m == 0xff;
  }
  Controller::Result r{true, arrival_ps, arrival_ps};
  if (cmd == Cmd::Write && all) {
    r = ctrl_.access(Cmd::Write, addr, data, len, arrival_ps);
  } else if (cmd == Cmd::Write && !any) {
    if (len == 0 || addr >= ctrl_.config().org.capacity_bytes() ||
        len > ctrl_.config().org.capacity_bytes() - addr)
      r.ok = false;
  } else {
    scratch_.resize(len);
    r = ctrl_.access(Cmd::Read, addr, scratch_.data(), len, arrival_ps);
    if (r.ok && cmd == Cmd::Read) {
      for (uint64_t i = 0; i < len; ++i) {
        const uint8_t m = be[i % be_len];
        data[i] = static_cast<uint8_t>((data[i] & ~m) | (scratch_[i] & m));
      }
    } else if (r.ok) {
      for (uint64_t i = 0; i < len; ++i) {
        const uint8_t m = be[i % be_len];
        scratch_[i] = static_cast<uint8_t>((scratch_[i] & ~m) | (data[i] & m));
      }
      const Controller::Result w = ctrl_.access(Cmd::Write, addr, scratch_.data(), len, r.done_ps);
      r.done_ps = w.done_ps;
    }
  }
  return respond(t, r, accept_ps, done_ps);
}

void RramMemory::b_transport(int, tlm_generic_payload& t, sc_time& delay) {
  uint64_t accept, done;
  if (ps_per_tick_ == 1 && ticks_per_ps_ == 1) {  // 1 ps resolution (the default): as is
    const uint64_t now = sc_time_stamp().value();
    execute(t, now + delay.value(), &accept, &done);
    delay = sc_time::from_value(done - now);
    return;
  }
  const sc_time now = sc_time_stamp();
  execute(t, to_model_ps(now + delay), &accept, &done);
  delay = from_model_ps(done) - now;
}

tlm_sync_enum RramMemory::nb_transport_fw(int id, tlm_generic_payload& t, tlm_phase& ph,
                                          sc_time& delay) {
  const sc_time now = sc_time_stamp();
  if (ph == BEGIN_REQ) {
    uint64_t accept, done;
    execute(t, to_model_ps(now + delay), &accept, &done);
    if (t.has_mm()) t.acquire();
    if (multi_) owner_[&t] = id;  // with one initiator every response goes to 0
    peq_.notify(t, BEGIN_RESP, from_model_ps(done) - now);
    ph = END_REQ;
    delay = from_model_ps(accept) - now;
    return TLM_UPDATED;
  }
  if (ph == END_RESP) {
    RespChannel& c = channel(id);
    if (&t != c.in_progress)
      report_error(std::string(name()) + ": END_RESP from initiator " + std::to_string(id) +
                   " for a transaction whose response is not in progress");
    c.in_progress = nullptr;
    c.free_at = now + delay;
    if (multi_) owner_.erase(&t);
    if (t.has_mm()) t.release();
    send_responses(id);
    return TLM_COMPLETED;
  }
  if (ph == END_REQ || ph == BEGIN_RESP)
    report_error(std::string(name()) + ": " + ph.get_name() +
                 " on the forward path from initiator " + std::to_string(id));
  // An ignorable phase (IEEE 1666-2011 §15.2.5): no effect, answered TLM_ACCEPTED.
  return TLM_ACCEPTED;
}

void RramMemory::peq_cb(tlm_generic_payload& t, const tlm_phase& ph) {
  int id = 0;
  if (multi_) {
    auto it = owner_.find(&t);
    if (it == owner_.end()) return;
    id = it->second;
  }
  RespChannel& c = channel(id);
  if (ph == BEGIN_RESP)
    c.ready.push_back(&t);
  else  // rr_response_channel_free
    c.wake_pending = false;
  send_responses(id);
}

// Response exclusion per initiator, in simulated time: one BEGIN_RESP at a time, and none before
// the END_RESP time of the previous response (§15.2.6/§15.2.7, with the initiator's annotated
// delay on TLM_COMPLETED, TLM_UPDATED/END_RESP or a later END_RESP call). A loop, not recursion:
// responses the initiator completes at once free the channel.
void RramMemory::send_responses(int id) {
  RespChannel& c = channel(id);
  while (!c.in_progress && !c.ready.empty()) {
    const sc_time now = sc_time_stamp();
    if (c.free_at > now) {
      if (!c.wake_pending) {
        c.wake_pending = true;
        peq_.notify(*c.ready.front(), rr_response_channel_free, c.free_at - now);
      }
      return;
    }
    tlm_generic_payload* cur = c.ready.front();
    c.ready.pop_front();
    tlm_phase ph = BEGIN_RESP;
    sc_time d = SC_ZERO_TIME;
    const tlm_sync_enum s = socket[id]->nb_transport_bw(*cur, ph, d);
    if (s == TLM_ACCEPTED || (s == TLM_UPDATED && ph == BEGIN_RESP)) {
      c.in_progress = cur;  // END_RESP will come on the forward path
      return;
    }
    c.free_at = now + d;  // TLM_COMPLETED or TLM_UPDATED/END_RESP: the response ends then
    if (multi_) owner_.erase(cur);
    if (cur->has_mm()) cur->release();
  }
}

unsigned int RramMemory::transport_dbg(int, tlm_generic_payload& t) {
  Cmd cmd;
  if (t.get_command() == TLM_READ_COMMAND)
    cmd = Cmd::Read;
  else if (t.get_command() == TLM_WRITE_COMMAND)
    cmd = Cmd::Write;
  else
    return 0;
  if (!t.get_data_ptr() || t.get_address() < base_ ||
      !ctrl_.debug(cmd, t.get_address() - base_, t.get_data_ptr(), t.get_data_length())) {
    t.set_response_status(TLM_ADDRESS_ERROR_RESPONSE);
    return 0;
  }
  t.set_response_status(TLM_OK_RESPONSE);
  return t.get_data_length();
}

bool RramMemory::get_direct_mem_ptr(int, tlm_generic_payload&, tlm_dmi& dmi) {
  // Refused for the whole range, so initiators do not ask again (see memory.hpp for why).
  dmi.init();
  dmi.set_start_address(base_);
  dmi.set_end_address(base_ + ctrl_.config().org.capacity_bytes() - 1);
  return false;
}

std::string RramMemory::stats_json() const {
  RunInfo run;
  run.tool = std::string("rramsim::RramMemory ") + name();
  run.traffic = "SystemC platform";
  run.path = "TLM-2.0";
  run.requests = ctrl_.stats().reads + ctrl_.stats().writes;
  return stats_to_json(ctrl_.config(), ctrl_.stats(), run);
}

void RramMemory::write_stats(const std::string& path) const {
  write_file_atomic(path, stats_json());
}

void RramMemory::end_of_elaboration() {
  multi_ = socket.size() > 1;
}

void RramMemory::end_of_simulation() {
  finish();
  if (stats_path_.empty()) return;
  try {
    write_stats(stats_path_);
  } catch (const std::exception& e) {  // inside the kernel: SystemC's channel
    SC_REPORT_ERROR("rramsim", (std::string(name()) + ": " + e.what()).c_str());
  }
}

}  // namespace rramsim
