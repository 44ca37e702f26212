// rramsim/controller.hpp — the memory controller: address decoding, per-channel queues and
// scheduling, per-bank and per-bus busy-until timing, in front of the cell storage.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "rramsim/config.hpp"
#include "rramsim/observers.hpp"
#include "rramsim/stats.hpp"
#include "rramsim/storage.hpp"

namespace rramsim {

// Splits addresses into (channel, bank, crossbar, row, column) per the configured bit lists.
class AddressDecoder {
 public:
  explicit AddressDecoder(const Organisation& org);
  unsigned channel(uint64_t a) const { return static_cast<unsigned>(extract(a, ch_)); }
  unsigned bank(uint64_t a) const { return static_cast<unsigned>(extract(a, bank_)); }
  uint64_t field(uint64_t a, AddrField f) const { return extract(a, all_[static_cast<int>(f)]); }
  // Contiguous addresses stay in one row segment up to this aligned size: 2^(lowest non-column
  // address bit).
  uint64_t chunk_bytes() const { return chunk_; }
  // The row-chunk split, once (Controller::access and functional mode's analytic energy):
  // calls fn(addr, bytes) for each row segment of [addr, addr + len), in address order.
  template <class F>
  void for_each_chunk(uint64_t addr, uint64_t len, F&& fn) const {
    while (len) {
      const uint64_t room = chunk_ - (addr & (chunk_ - 1)), n = len < room ? len : room;
      fn(addr, n);
      addr += n;
      len -= n;
    }
  }

 private:
  struct Run {  // `width` contiguous address bits from `shift` land at field bit `dest`
    unsigned shift, width, dest;
  };
  static uint64_t extract(uint64_t a, const std::vector<Run>& runs) {
    uint64_t v = 0;
    for (const Run& r : runs) v |= ((a >> r.shift) & ((uint64_t{1} << r.width) - 1)) << r.dest;
    return v;
  }
  std::vector<Run> all_[static_cast<int>(AddrField::Count)];
  std::vector<Run> ch_, bank_;
  uint64_t chunk_;
};

// Timing of one row-segment operation, in ps: when the controller accepted it into its channel
// queue and when its data phase completed.
struct ChunkTime {
  uint64_t accept_ps;
  uint64_t done_ps;
};

struct BankState {
  uint64_t busy_until = 0;
};

// A channel: its request queue (queue_depth slots; a slot is held from acceptance until the
// request is issued to its bank), its data bus (busy-until) and, for read-first, the write
// buffer.
struct ChannelState {
  uint64_t bus_free = 0;
  std::vector<uint64_t> issue_heap;  // min-heap of issue times of accepted requests
  struct Buffered {
    unsigned bank;
    uint64_t t_array;
  };
  std::deque<Buffered> write_buffer;
};

// What a scheduler may ask of and do to the controller, and nothing more: admit a row segment
// into its channel's queue (back-pressure counted), use a bank's busy-until, charge a bank's busy
// time, extend the end of the run (drained writes), and read the drain watermarks.
class SchedulerPort {
 public:
  SchedulerPort(const Organisation& org, std::vector<BankState>& banks, Stats& stats)
      : org_(&org), banks_(&banks), stats_(&stats) {}
  // The time the segment arriving at t is accepted into channel ch's queue (queue_depth slots).
  uint64_t admit(ChannelState& ch, uint64_t t);
  BankState& bank(unsigned b) { return (*banks_)[b]; }
  void charge_bank(unsigned b, uint64_t busy_ps) { stats_->banks[b].busy_ps += busy_ps; }
  void extend_end(uint64_t t_ps) {
    if (t_ps > stats_->end_ps) stats_->end_ps = t_ps;
  }
  unsigned write_high_watermark() const { return org_->write_high_watermark; }
  unsigned write_low_watermark() const { return org_->write_low_watermark; }

 private:
  const Organisation* org_;
  std::vector<BankState>* banks_;
  Stats* stats_;
};

// Scheduling policy: an interface with small variants (FcfsScheduler, ReadFirstScheduler in
// controller.cpp), chosen once by the controller; it sees the controller only through its
// SchedulerPort.
class SchedulerPolicy {
 public:
  virtual ~SchedulerPolicy() = default;
  virtual ChunkTime read(ChannelState& ch, unsigned bank, uint64_t t, uint64_t t_array,
                         uint64_t t_bus) = 0;
  virtual ChunkTime write(ChannelState& ch, unsigned bank, uint64_t t, uint64_t t_array,
                          uint64_t t_bus) = 0;
  // Issues everything still buffered (end of simulation).
  virtual void drain_all(ChannelState& ch) = 0;
};

class Controller {
 public:
  explicit Controller(const SystemConfig& cfg);
  ~Controller();

  struct Result {
    bool ok;             // false: address out of range or zero length (nothing done)
    uint64_t accept_ps;  // last chunk accepted into its channel queue
    uint64_t done_ps;    // response ready
  };
  // The data path: performs the access on the cells (errors included) and returns its timing.
  // arrival_ps is the absolute time the request reaches the memory.
  Result access(Cmd cmd, uint64_t addr, uint8_t* data, uint64_t len, uint64_t arrival_ps);
  bool debug(Cmd cmd, uint64_t addr, uint8_t* data, uint64_t len);
  // Drains buffered writes and closes the books (sets stats().end_ps).
  void finish();

  const Stats& stats() const { return stats_; }
  Storage& storage() { return storage_; }
  const SystemConfig& config() const { return cfg_; }
  const AddressDecoder& decoder() const { return dec_; }
  void set_access_observer(AccessObserver o) { access_obs_ = o; }
  void set_fault_observer(FaultObserver o) { storage_.set_fault_observer(o); }

  // Timing constants derived from the config, in ps (public for tests and docs).
  struct Timing {
    uint64_t t_ck, t_ctrl, t_read, t_write;
    uint64_t bus_bytes;
    uint64_t t_bus(uint64_t bytes) const { return (bytes + bus_bytes - 1) / bus_bytes * t_ck; }
  };
  const Timing& timing() const { return tm_; }

 private:
  SystemConfig cfg_;
  Timing tm_;
  AddressDecoder dec_;
  Stats stats_;
  Storage storage_;
  std::vector<ChannelState> channels_;
  std::vector<BankState> banks_;  // channel-major
  SchedulerPort sched_port_;      // what the scheduler sees of banks_, stats_ and the config
  std::unique_ptr<SchedulerPolicy> sched_;
  AccessObserver access_obs_;
  unsigned banks_per_channel_;
};

}  // namespace rramsim
