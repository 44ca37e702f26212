// rramsim/memory.hpp — the RRAM memory as a TLM-2.0 target (b_transport, nb_transport, debug):
// the public entry for embedding rramsim in a SystemC platform (docs/embedding.md).
#pragma once

#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/peq_with_cb_and_phase.h>

#include "rramsim/controller.hpp"

namespace rramsim {

// Where a memory's system configuration comes from: a system file (configs/systems/*.json) or
// the same JSON as a string (relative device paths resolve against base_dir).
struct MemoryConfig {
  static MemoryConfig file(std::string path) { return MemoryConfig{std::move(path), "", ""}; }
  static MemoryConfig json(std::string text, std::string base_dir = ".") {
    return MemoryConfig{"", std::move(text), std::move(base_dir)};
  }
  std::string path, text, base_dir;
};

struct MemoryParams {
  // The memory answers [base_address, base_address + capacity); other addresses get
  // TLM_ADDRESS_ERROR_RESPONSE. Traces and stats see offsets from base_address.
  uint64_t base_address = 0;
  // Written (temp file + rename) at end_of_simulation, i.e. when sc_stop() is called; empty =
  // not written. write_stats() writes a snapshot at any time.
  std::string stats_path;
  // The operating point to use instead of the config's op_point (empty: the config's).
  std::string op_point;
};

// The target end of the chain initiator → (interconnect) → controller → bank. Data, errors,
// timing and energy all come from the Controller; this module only speaks TLM-2.0 (base
// protocol, IEEE 1666-2011 §14–15):
//   socket           a multi-passthrough target socket: any number of initiators bind to it
//                    directly, each binding a hop of its own (request and response exclusion per
//                    initiator); they meet in the controller's per-channel queues, which
//                    arbitrate in time (first come, first served);
//   b_transport      loosely timed: the delay is annotated arithmetically (no wait()), so an
//                    initiator with a quantum keeper runs without a context switch per request;
//   nb_transport_fw  approximately timed: BEGIN_REQ → TLM_UPDATED/END_REQ with the
//                    queue-acceptance delay (back-pressure), then BEGIN_RESP on the backward path
//                    at completion, never before the END_RESP time the initiator annotated for
//                    its previous response (response exclusion in simulated time); ignorable
//                    (extended) phases are answered TLM_ACCEPTED and otherwise ignored;
//   transport_dbg    backdoor loads/stores: no timing, no errors, no counts (byte enables and
//                    streaming width are ignored there);
//   DMI              refused for the whole address range: reads have side effects (bit errors,
//                    wear, timing, energy) that a direct pointer would bypass.
// Any length and address in range is accepted (split into row segments by the controller).
// Byte enables are honoured: a masked read returns the enabled bytes and leaves the others of
// the data array untouched; a masked write is a read-modify-write (docs/embedding.md). A
// streaming width shorter than the length gets TLM_BURST_ERROR_RESPONSE.
//
// Time resolution: the model computes in integer picoseconds. Any SystemC time resolution of
// 1 ps or finer works; a coarser one works when it divides every timing constant of the model
// (t_CK, t_RD, t_WR), else construction is a SystemC error naming the largest that would.
class RramMemory : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<RramMemory> socket;

  RramMemory(sc_core::sc_module_name name, const SystemConfig& cfg,
             const MemoryParams& params = MemoryParams());
  // Loads and validates the configuration; a config that fails is a SystemC error
  // (SC_REPORT_ERROR, msg type "rramsim") naming the module and the cause.
  RramMemory(sc_core::sc_module_name name, const MemoryConfig& src,
             const MemoryParams& params = MemoryParams());

  Controller& controller() { return ctrl_; }
  const Stats& stats() const { return ctrl_.stats(); }
  const SystemConfig& config() const { return ctrl_.config(); }
  uint64_t base_address() const { return base_; }
  // Drains write buffers; call after sc_start() returns, before reading stats. Idempotent.
  void finish() { ctrl_.finish(); }
  void set_access_observer(AccessObserver o) { ctrl_.set_access_observer(o); }
  void set_fault_observer(FaultObserver o) { ctrl_.set_fault_observer(o); }
  // The stats file's JSON as of now (writes still buffered by read-first are not yet counted;
  // finish() first for the final figures).
  std::string stats_json() const;
  // Writes stats_json() to path (temp file + rename); throws Error naming the file.
  void write_stats(const std::string& path) const;

  // Conversions between SystemC time and the model's picoseconds at the current resolution.
  uint64_t to_model_ps(const sc_core::sc_time& t) const {
    const uint64_t v = t.value();
    if (ticks_per_ps_ == 1) return v * ps_per_tick_;
    return (v + ticks_per_ps_ - 1) / ticks_per_ps_;  // rounded up: never before the request
  }
  sc_core::sc_time from_model_ps(uint64_t ps) const {
    if (ticks_per_ps_ == 1) return sc_core::sc_time::from_value(ps / ps_per_tick_);
    return sc_core::sc_time::from_value(ps * ticks_per_ps_);
  }

 protected:
  void end_of_elaboration() override;
  void end_of_simulation() override;

 private:
  void init(const MemoryParams& params);
  void b_transport(int id, tlm::tlm_generic_payload& t, sc_core::sc_time& delay);
  tlm::tlm_sync_enum nb_transport_fw(int id, tlm::tlm_generic_payload& t, tlm::tlm_phase& ph,
                                     sc_core::sc_time& delay);
  unsigned int transport_dbg(int id, tlm::tlm_generic_payload& t);
  bool get_direct_mem_ptr(int id, tlm::tlm_generic_payload& t, tlm::tlm_dmi& dmi);
  void peq_cb(tlm::tlm_generic_payload& t, const tlm::tlm_phase& ph);
  // Runs the access; returns absolute accept and done times (ps) or sets an error status.
  bool execute(tlm::tlm_generic_payload& t, uint64_t arrival_ps, uint64_t* accept_ps,
               uint64_t* done_ps);
  bool execute_masked(tlm::tlm_generic_payload& t, Cmd cmd, uint64_t addr, uint64_t arrival_ps,
                      uint64_t* accept_ps, uint64_t* done_ps);
  void send_responses(int id);

  // The response channel of one initiator (one hop).
  struct RespChannel {
    std::deque<tlm::tlm_generic_payload*> ready;      // responses waiting for the channel
    tlm::tlm_generic_payload* in_progress = nullptr;  // BEGIN_RESP sent, END_RESP pending
    sc_core::sc_time free_at;                         // END_RESP time of the previous response
    bool wake_pending = false;
  };
  RespChannel& channel(int id) {
    if (static_cast<size_t>(id) >= resp_.size()) resp_.resize(static_cast<size_t>(id) + 1);
    return resp_[static_cast<size_t>(id)];
  }

  Controller ctrl_;
  uint64_t base_ = 0;
  std::string stats_path_;
  uint64_t ps_per_tick_ = 1, ticks_per_ps_ = 1;  // one of them is 1
  tlm_utils::peq_with_cb_and_phase<RramMemory> peq_;
  std::vector<RespChannel> resp_;
  // nb transactions in flight → initiator, kept only when several initiators are bound.
  std::unordered_map<tlm::tlm_generic_payload*, int> owner_;
  bool multi_ = false;
  std::vector<uint8_t> scratch_;  // masked accesses
};

// Time conversion for the model's own initiators (traffic generator, player, BNN engine), which
// run at the default 1 ps resolution.
inline uint64_t to_ps(const sc_core::sc_time& t) {
  return t.value();
}
inline sc_core::sc_time from_ps(uint64_t ps) {
  return sc_core::sc_time::from_value(ps);
}

}  // namespace rramsim
