// controller.cpp — address decoding, per-channel queue admission, FCFS / read-first scheduling.
#include "rramsim/controller.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

namespace rramsim {

AddressDecoder::AddressDecoder(const Organisation& org) {
  unsigned lowest_other = 64;
  for (int f = 0; f < static_cast<int>(AddrField::Count); ++f) {
    const std::vector<unsigned>& bits = org.mapping.bits[f];
    for (unsigned i = 0; i < bits.size();) {
      unsigned j = i + 1;
      while (j < bits.size() && bits[j] == bits[j - 1] + 1) ++j;
      all_[f].push_back(Run{bits[i], j - i, i});
      i = j;
    }
    if (f != static_cast<int>(AddrField::Column))
      for (unsigned b : bits) lowest_other = std::min(lowest_other, b);
  }
  ch_ = all_[static_cast<int>(AddrField::Channel)];
  bank_ = all_[static_cast<int>(AddrField::Bank)];
  chunk_ = lowest_other >= 63 ? org.capacity_bytes() : (uint64_t{1} << lowest_other);
}

namespace {
uint64_t ns_to_ps(double ns) {
  return static_cast<uint64_t>(std::llround(ns * 1000.0));
}
}  // namespace

// FCFS: every chunk is issued in arrival order as soon as its bank (reads) or the bus and then
// its bank (writes) are free. Writes complete when programmed (and verified).
class FcfsScheduler : public SchedulerPolicy {
 public:
  explicit FcfsScheduler(SchedulerPort& c) : c_(c) {}
  ChunkTime read(ChannelState& ch, unsigned bank, uint64_t t, uint64_t t_array,
                 uint64_t t_bus) override {
    BankState& b = c_.bank(bank);
    uint64_t accept = c_.admit(ch, t);
    uint64_t start = std::max(accept, b.busy_until);
    uint64_t sensed = start + t_array;
    b.busy_until = sensed;
    c_.charge_bank(bank, t_array);
    uint64_t bus_start = std::max(sensed, ch.bus_free);
    ch.bus_free = bus_start + t_bus;
    push_issue(ch, start);
    return ChunkTime{accept, ch.bus_free};
  }
  ChunkTime write(ChannelState& ch, unsigned bank, uint64_t t, uint64_t t_array,
                  uint64_t t_bus) override {
    BankState& b = c_.bank(bank);
    uint64_t accept = c_.admit(ch, t);
    uint64_t bus_start = std::max(accept, ch.bus_free);
    ch.bus_free = bus_start + t_bus;
    uint64_t start = std::max(ch.bus_free, b.busy_until);
    b.busy_until = start + t_array;
    c_.charge_bank(bank, t_array);
    push_issue(ch, start);
    return ChunkTime{accept, b.busy_until};
  }
  void drain_all(ChannelState&) override {}

 protected:
  static void push_issue(ChannelState& ch, uint64_t t) {
    ch.issue_heap.push_back(t);
    std::push_heap(ch.issue_heap.begin(), ch.issue_heap.end(), std::greater<uint64_t>());
  }
  SchedulerPort& c_;
};

// Read-first with write drain watermarks: writes are posted into the channel's write buffer
// (complete once their data crossed the bus) and programmed in bursts: when write_high_watermark
// writes are buffered, the oldest are issued until write_low_watermark remain. Reads go straight
// to their bank and only wait for writes already drained there.
class ReadFirstScheduler : public FcfsScheduler {
 public:
  explicit ReadFirstScheduler(SchedulerPort& c) : FcfsScheduler(c) {}
  ChunkTime write(ChannelState& ch, unsigned bank, uint64_t t, uint64_t t_array,
                  uint64_t t_bus) override {
    uint64_t accept = c_.admit(ch, t);
    uint64_t bus_start = std::max(accept, ch.bus_free);
    ch.bus_free = bus_start + t_bus;
    ch.write_buffer.push_back(ChannelState::Buffered{bank, t_array});
    // The drain starts once this write's data is in the buffer.
    if (ch.write_buffer.size() >= c_.write_high_watermark())
      drain(ch, ch.bus_free, c_.write_low_watermark());
    return ChunkTime{accept, ch.bus_free};
  }
  void drain_all(ChannelState& ch) override { drain(ch, ch.bus_free, 0); }

 private:
  void drain(ChannelState& ch, uint64_t now, size_t keep) {
    while (ch.write_buffer.size() > keep) {
      ChannelState::Buffered w = ch.write_buffer.front();
      ch.write_buffer.pop_front();
      BankState& b = c_.bank(w.bank);
      uint64_t start = std::max(now, b.busy_until);
      b.busy_until = start + w.t_array;
      c_.charge_bank(w.bank, w.t_array);
      c_.extend_end(b.busy_until);
      push_issue(ch, start);
    }
  }
};

Controller::Controller(const SystemConfig& cfg)
    : cfg_(cfg), dec_(cfg.org), storage_(cfg_, stats_.err), sched_port_(cfg_.org, banks_, stats_) {
  const Organisation& g = cfg_.org;
  tm_.t_ck = static_cast<uint64_t>(std::llround(1e6 / g.bus_clock_mhz));
  if (tm_.t_ck == 0) tm_.t_ck = 1;
  tm_.t_ctrl = g.controller_latency_cycles * tm_.t_ck;
  tm_.t_read = ns_to_ps(cfg_.op().t_read_ns);
  tm_.t_write = ns_to_ps(cfg_.op().t_write_ns);
  tm_.bus_bytes = g.bus_width_bits / 8;
  banks_per_channel_ = g.banks_per_channel;
  channels_.resize(g.channels);
  for (ChannelState& ch : channels_) ch.issue_heap.reserve(g.queue_depth + 1);
  banks_.resize(size_t{g.channels} * g.banks_per_channel);
  stats_.banks.resize(banks_.size());
  if (g.scheduler == Scheduler::ReadFirst)
    sched_ = std::make_unique<ReadFirstScheduler>(sched_port_);
  else
    sched_ = std::make_unique<FcfsScheduler>(sched_port_);
}

Controller::~Controller() = default;

uint64_t SchedulerPort::admit(ChannelState& ch, uint64_t t) {
  auto& h = ch.issue_heap;
  while (!h.empty() && h.front() <= t) {
    std::pop_heap(h.begin(), h.end(), std::greater<uint64_t>());
    h.pop_back();
  }
  if (h.size() + ch.write_buffer.size() < org_->queue_depth || h.empty()) return t;
  // Queue full: wait for the earliest issue to free a slot (back-pressure).
  uint64_t f = h.front();
  std::pop_heap(h.begin(), h.end(), std::greater<uint64_t>());
  h.pop_back();
  ++stats_->queue_stalls;
  stats_->queue_stall_ps += f - t;
  return f;
}

Controller::Result Controller::access(Cmd cmd, uint64_t addr, uint8_t* data, uint64_t len,
                                      uint64_t arrival_ps) {
  const uint64_t cap = cfg_.org.capacity_bytes();
  if (len == 0 || addr >= cap || len > cap - addr) {
    ++stats_.errors_address;
    return Result{false, arrival_ps, arrival_ps};
  }
  if (arrival_ps < stats_.first_arrival_ps) stats_.first_arrival_ps = arrival_ps;
  const uint64_t t0 = arrival_ps + tm_.t_ctrl;
  const uint64_t read_index = stats_.reads;
  uint64_t accept = t0, done = t0;
  uint8_t* p = data;
  dec_.for_each_chunk(addr, len, [&](uint64_t a, uint64_t n) {
    unsigned ch = dec_.channel(a);
    unsigned bank = ch * banks_per_channel_ + dec_.bank(a);
    BankCounters& bc = stats_.banks[bank];
    ChunkTime ct;
    if (cmd == Cmd::Write) {
      WriteOutcome wo = storage_.write(a, p, n, arrival_ps, bc);
      uint64_t t_array = tm_.t_write * (1 + wo.reprogram_rounds) + tm_.t_read * wo.verify_reads;
      bc.write_ops += 1 + wo.reprogram_rounds;
      bc.verify_ops += wo.verify_reads;
      bc.bits_verified += uint64_t{wo.verify_reads} * n * 8;
      ct = sched_->write(channels_[ch], bank, t0, t_array, tm_.t_bus(n));
    } else {
      storage_.read(a, p, n, read_index, arrival_ps, bc);
      ++bc.read_ops;
      ct = sched_->read(channels_[ch], bank, t0, tm_.t_read, tm_.t_bus(n));
    }
    accept = std::max(accept, ct.accept_ps);
    done = std::max(done, ct.done_ps);
    ++stats_.chunks;
    p += n;
  });
  if (cmd == Cmd::Write) {
    ++stats_.writes;
    stats_.bytes_written += len;
    stats_.write_latency.add(done - arrival_ps);
  } else {
    ++stats_.reads;
    stats_.bytes_read += len;
    stats_.read_latency.add(done - arrival_ps);
  }
  if (done > stats_.end_ps) stats_.end_ps = done;
  if (access_obs_.fn)
    access_obs_.fn(access_obs_.ud,
                   AccessEvent{arrival_ps, done, addr, static_cast<uint32_t>(len), cmd, data});
  return Result{true, accept, done};
}

bool Controller::debug(Cmd cmd, uint64_t addr, uint8_t* data, uint64_t len) {
  const uint64_t cap = cfg_.org.capacity_bytes();
  if (addr >= cap || len > cap - addr) return false;
  if (cmd == Cmd::Write)
    storage_.debug_write(addr, data, len);
  else
    storage_.debug_read(addr, data, len);
  return true;
}

void Controller::finish() {
  for (ChannelState& ch : channels_) sched_->drain_all(ch);
  for (const BankState& b : banks_)
    if (b.busy_until > stats_.end_ps) stats_.end_ps = b.busy_until;
}

}  // namespace rramsim
