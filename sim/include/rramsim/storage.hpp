// rramsim/storage.hpp — sparse cell storage with bit errors in the data path.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "rramsim/config.hpp"
#include "rramsim/observers.hpp"
#include "rramsim/stats.hpp"

namespace rramsim {

// What a write of one row segment cost beyond the first program.
struct WriteOutcome {
  unsigned reprogram_rounds = 0;  // max over the segment's lines
  unsigned verify_reads = 0;      // verify reads issued (rounds + 1 with write-verify, else 0)
};

// Stores real data in 4 KiB pages allocated on first write; never-written memory reads as 0
// (the erased, high-resistance state) plus its stuck cells. Errors are sampled per 64-byte line
// with the counter-based RNG, O(#flips):
//   write errors   key (seed, line address, line write count)       persistent
//   read errors    key (seed, line address, read request index)     transient
//   stuck cells    key (seed, page index)                            fixed at manufacture
//   endurance      key (seed, line address, line write count)        hazard per write
// so results depend only on the order in which requests reach the memory, not on timing or
// scheduling.
// The draw behind a measured error map's flip-rate cell: whether the read with request index
// `read_index` returns the cell at byte `addr`, bit `bit` flipped, given the map's `rate`. One
// draw per (cell, read), keyed by (seed, addr·8 + bit, read_index) — exposed so that fault replay
// (and the functional sweep) flip exactly the reads the storage flips.
bool map_flip_draw(uint64_t seed, uint64_t addr, unsigned bit, uint64_t read_index, double rate);

class Storage {
 public:
  static constexpr uint64_t kPageBytes = 4096;
  static constexpr uint64_t kLineBytes = 64;

  Storage(const SystemConfig& cfg, ErrorCounters& err);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  // Programs [addr, addr + len) with src. Counts programmed bits into bank and errors into the
  // ErrorCounters; reports each residual fault to the observer.
  WriteOutcome write(uint64_t addr, const uint8_t* src, uint64_t len, uint64_t time_ps,
                     BankCounters& bank);
  // Senses [addr, addr + len) into dst, with transient read errors keyed by read_index.
  void read(uint64_t addr, uint8_t* dst, uint64_t len, uint64_t read_index, uint64_t time_ps,
            BankCounters& bank);
  // Backdoor: exact copy, no errors, no wear, no counts. Stuck cells keep their value (they are
  // the state of the cell, not an event).
  void debug_write(uint64_t addr, const uint8_t* src, uint64_t len);
  void debug_read(uint64_t addr, uint8_t* dst, uint64_t len) const;

  void set_fault_observer(FaultObserver o) { fault_ = o; }
  void set_op_point(const rr_op_point& op);
  uint64_t pages_allocated() const { return n_pages_; }

  // Whether the cell holding bit `bit` of byte `addr` is stuck, and at which value.
  bool stuck(uint64_t addr, unsigned bit, uint8_t* value) const;

  // Installs one defective cell of a measured error map (SystemConfig::error_map does this for
  // every cell at construction). A stuck-at cell replaces the random manufacture draw for that
  // cell; a flip-rate cell returns its stored bit flipped with probability `rate` on every read
  // (key: seed, cell, read index), in addition to the operating point's read errors.
  void add_defect(const Defect& d);
  uint64_t defects() const { return n_defects_; }

 private:
  struct Page;
  struct StuckCell {
    uint16_t bit;  // bit offset in the page (byte * 8 + bit)
    uint8_t value;
  };
  Page* find(uint64_t page) const;
  Page* get(uint64_t page);
  void page_stuck_cells(uint64_t page, std::vector<StuckCell>& out) const;
  void write_line(Page& pg, uint64_t page, uint64_t off, const uint8_t* src, uint64_t n,
                  uint64_t time_ps, BankCounters& bank, WriteOutcome& wo);
  void report(FaultKind k, uint64_t time_ps, uint64_t addr, unsigned bit, int oldv, int newv) {
    if (fault_.fn)
      fault_.fn(fault_.ud,
                FaultEvent{time_ps, addr, static_cast<uint8_t>(bit), k, static_cast<uint8_t>(oldv),
                           static_cast<uint8_t>(newv), FaultEvent::kNoAccess});
  }

  static constexpr unsigned kLeafBits = 10;
  void read_defects(uint64_t page, uint64_t off, uint8_t* dst, uint64_t n, uint64_t read_index,
                    uint64_t time_ps);
  struct FlipCell {
    uint16_t bit;  // bit offset in the page
    double rate;
  };
  // Measured error map, by page: cells sorted by bit. Empty unless an error map is configured, so
  // the data path pays one emptiness test per line.
  std::unordered_map<uint64_t, std::vector<StuckCell>> map_stuck_;
  std::unordered_map<uint64_t, std::vector<FlipCell>> map_flip_;
  uint64_t n_defects_ = 0;

  struct Leaf;
  std::vector<std::unique_ptr<Leaf>> top_;
  uint64_t n_pages_ = 0;
  uint64_t capacity_;
  uint64_t seed_;
  double stuck_density_, stuck_one_;
  double endurance_median_, endurance_sigma_;
  rr_verify_policy verify_;
  int verify_max_;
  double w01_ = 0, w10_ = 0, r01_ = 0, r10_ = 0;
  ErrorCounters& err_;
  FaultObserver fault_;
};

}  // namespace rramsim
