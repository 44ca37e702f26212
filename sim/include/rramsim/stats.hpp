// rramsim/stats.hpp — streaming statistics: counters, a fixed-size latency histogram, energy.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "rramsim/config.hpp"
#include "rramsim/error.hpp"

namespace rramsim {

// Log-linear histogram of picosecond values: exact below 16, then 16 linear sub-buckets per
// power of two (relative bucket width ≤ 1/16). Fixed size, so memory does not grow with run
// length; percentiles report the bucket midpoint (exact for values < 16 ps).
class LatencyHistogram {
 public:
  static constexpr int kSub = 16;
  static constexpr int kBuckets = 64 * kSub;

  void add(uint64_t v) {
    ++counts_[index(v)];
    ++n_;
    sum_ += static_cast<double>(v);
    if (v > max_) max_ = v;
    if (v < min_) min_ = v;
  }
  uint64_t count() const { return n_; }
  uint64_t max() const { return n_ ? max_ : 0; }
  uint64_t min() const { return n_ ? min_ : 0; }
  double mean() const { return n_ ? sum_ / static_cast<double>(n_) : 0.0; }
  // Value at quantile q in [0, 1] (nearest rank), as the midpoint of its bucket, clamped to
  // [min, max].
  double quantile(double q) const;
  bool operator==(const LatencyHistogram& o) const {
    return counts_ == o.counts_ && n_ == o.n_ && max_ == o.max_ && min_ == o.min_;
  }

  static int index(uint64_t v) {
    if (v < kSub) return static_cast<int>(v);
    int e = 63 - __builtin_clzll(v);  // >= 4
    int sub = static_cast<int>((v >> (e - 4)) & (kSub - 1));
    return (e - 3) * kSub + sub;
  }
  static uint64_t bucket_low(int i);
  static uint64_t bucket_high(int i);  // exclusive

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t n_ = 0, max_ = 0, min_ = UINT64_MAX;
  double sum_ = 0.0;
};

// Per-bank operation counts; energy follows from them (see Energy).
struct BankCounters {
  uint64_t read_ops = 0;       // array read accesses (row segments)
  uint64_t write_ops = 0;      // array program accesses, including re-program rounds
  uint64_t verify_ops = 0;     // verify read accesses
  uint64_t bits_read = 0;      // bits sensed by reads
  uint64_t bits_verified = 0;  // bits sensed by verify reads
  uint64_t bits_set = 0;       // bits programmed to 1 (SET), including re-programs
  uint64_t bits_reset = 0;     // bits programmed to 0 (RESET), including re-programs
  uint64_t busy_ps = 0;        // time the bank's array was busy
  bool operator==(const BankCounters& o) const;
};

// Error counters, by kind and direction. *_bits0/1 are the denominators of the observed rates.
struct ErrorCounters {
  uint64_t write_bits0 = 0, write_bits1 = 0;  // intended values written (first program)
  uint64_t write_err01 = 0, write_err10 = 0;  // residual programming errors (after verify)
  uint64_t read_bits0 = 0, read_bits1 = 0;    // stored values sensed by reads
  uint64_t read_err01 = 0, read_err10 = 0;    // transient read errors
  uint64_t stuck_at = 0;       // written bits that did not take because the cell is stuck
  uint64_t endurance = 0;      // cells that wore out
  uint64_t verify_rounds = 0;  // re-program rounds (all line segments)
  uint64_t verify_reprogrammed_bits = 0;
  uint64_t verify_gave_up = 0;  // line segments still wrong after max_iterations
  bool operator==(const ErrorCounters& o) const;
};

struct Stats {
  uint64_t reads = 0, writes = 0;  // requests
  uint64_t bytes_read = 0, bytes_written = 0;
  uint64_t chunks = 0;          // row segments the requests were split into
  uint64_t queue_stalls = 0;    // chunks that waited for a queue slot
  uint64_t queue_stall_ps = 0;  // total time waited
  uint64_t errors_address = 0;  // requests rejected (out of range etc.)
  uint64_t first_arrival_ps = UINT64_MAX;
  uint64_t end_ps = 0;  // last completion (incl. drained writes)
  LatencyHistogram read_latency, write_latency;
  ErrorCounters err;
  std::vector<BankCounters> banks;
  bool operator==(const Stats& o) const;
};

// Energy by kind, in pJ: each is a count × a per-operation energy of the operating point.
//   read         = bits_read · e_read_pj
//   set / reset  = bits_set · e_set_pj, bits_reset · e_reset_pj
//   verify       = bits_verified · e_read_pj + verify_ops · e_periph_read_pj
//   periph_read  = read_ops · e_periph_read_pj
//   periph_write = write_ops · e_periph_write_pj
//   static       = static_power_mw · end time    (mW · ps = 1e-3 pJ)
struct Energy {
  double read = 0, set = 0, reset = 0, verify = 0, periph_read = 0, periph_write = 0, static_ = 0;
  double io = 0;             // bank-level I/O (array cost model; 0 in table mode)
  double verify_periph = 0;  // the periphery share of `verify`
  double dynamic() const { return read + set + reset + verify + periph_read + periph_write + io; }
  double total() const { return dynamic() + static_; }
  // The breakdown by part: cells and bitlines / decoders, sensing, drivers / bank I/O wires.
  double array_part() const { return read + set + reset + verify - verify_periph; }
  double periphery_part() const { return periph_read + periph_write + verify_periph; }
};
Energy bank_energy(const BankCounters& b, const rr_op_point& op);
Energy total_energy(const Stats& s, const SystemConfig& cfg);

// The stats file: { "tool", "version", "seed", "config_hash", "config": {...}, "run": {...},
// "stats": {...} }.
struct RunInfo {
  std::string tool = "rramsim sim";  // the command that produced the file
  std::string tool_version;
  std::string traffic;  // description of the workload, e.g. "random 64 B reads"
  std::string path;     // "b_transport" or "nb_transport"
  double wall_seconds = 0;
  uint64_t requests = 0;
};
std::string stats_to_json(const SystemConfig& cfg, const Stats& s, const RunInfo& run);

// The summary of one timed experiment point (`rramsim run --out DIR/summary.json`): { "tool",
// "version", "seed", "config", "model": {path, provenance}, "run": {...}, "results": {accuracy,
// bit errors, programming, inference, banks} }, built from the point's result and its workload.
struct PointResult;
struct WorkloadResult;
struct RunSummaryInfo {
  std::string tool_version;
  std::string model_path;
  std::string model_provenance;  // the model file's provenance text (JSON, or free text)
  int threads = 1;
  double wall_seconds = 0;
  double agreement_with_clean = 0;  // fraction of predictions equal to the clean run's
};
std::string run_summary_to_json(const SystemConfig& cfg, const PointResult& r,
                                const WorkloadResult& wr, const RunSummaryInfo& info);
// Creates dir and its missing parents (mkdir -p); false (errno set) if that fails or dir is not a
// directory.
bool make_directories(const std::string& dir);
// Writes text to path via a temporary file and rename, so no half-written file is left.
// Throws Error naming the file.
void write_file_atomic(const std::string& path, const std::string& text);
// The human-readable summary.
std::string stats_summary(const SystemConfig& cfg, const Stats& s, const RunInfo& run);

}  // namespace rramsim
