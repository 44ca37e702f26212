// stats.cpp — latency histogram quantiles, energy from counts, the stats JSON and summary.
#include "rramsim/stats.hpp"

#include "rramsim/point.hpp"
#include "rramsim/workload.hpp"

#include "bnn/durable.h"

#include <jansson.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace rramsim {

uint64_t LatencyHistogram::bucket_low(int i) {
  if (i < kSub) return static_cast<uint64_t>(i);
  int e = i / kSub + 3, sub = i % kSub;
  return (uint64_t{1} << e) + (static_cast<uint64_t>(sub) << (e - 4));
}

uint64_t LatencyHistogram::bucket_high(int i) {
  if (i < kSub) return static_cast<uint64_t>(i) + 1;
  int e = i / kSub + 3;
  return bucket_low(i) + (uint64_t{1} << (e - 4));
}

double LatencyHistogram::quantile(double q) const {
  if (n_ == 0) return 0.0;
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(n_)));
  if (rank < 1) rank = 1;
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      double lo = static_cast<double>(bucket_low(i)), hi = static_cast<double>(bucket_high(i));
      double mid = i < kSub ? lo : 0.5 * (lo + hi);
      return std::min(std::max(mid, static_cast<double>(min_)), static_cast<double>(max_));
    }
  }
  return static_cast<double>(max_);
}

bool BankCounters::operator==(const BankCounters& o) const {
  return read_ops == o.read_ops && write_ops == o.write_ops && verify_ops == o.verify_ops &&
         bits_read == o.bits_read && bits_verified == o.bits_verified && bits_set == o.bits_set &&
         bits_reset == o.bits_reset && busy_ps == o.busy_ps;
}

bool ErrorCounters::operator==(const ErrorCounters& o) const {
  return std::memcmp(this, &o, sizeof o) == 0;
}
static_assert(sizeof(ErrorCounters) == 13 * sizeof(uint64_t), "ErrorCounters: all uint64_t");

bool Stats::operator==(const Stats& o) const {
  return reads == o.reads && writes == o.writes && bytes_read == o.bytes_read &&
         bytes_written == o.bytes_written && chunks == o.chunks && queue_stalls == o.queue_stalls &&
         queue_stall_ps == o.queue_stall_ps && errors_address == o.errors_address &&
         first_arrival_ps == o.first_arrival_ps && end_ps == o.end_ps &&
         read_latency == o.read_latency && write_latency == o.write_latency && err == o.err &&
         banks == o.banks;
}

Energy bank_energy(const BankCounters& b, const rr_op_point& op) {
  Energy e;
  e.read = static_cast<double>(b.bits_read) * op.e_read_pj;
  e.set = static_cast<double>(b.bits_set) * op.e_set_pj;
  e.reset = static_cast<double>(b.bits_reset) * op.e_reset_pj;
  e.verify = static_cast<double>(b.bits_verified) * op.e_read_pj +
             static_cast<double>(b.verify_ops) * op.e_periph_read_pj;
  e.periph_read = static_cast<double>(b.read_ops) * op.e_periph_read_pj;
  e.periph_write = static_cast<double>(b.write_ops) * op.e_periph_write_pj;
  e.verify_periph = static_cast<double>(b.verify_ops) * op.e_periph_read_pj;
  e.io = static_cast<double>(b.bits_read + b.bits_set + b.bits_reset) * op.e_io_pj;
  return e;
}

Energy total_energy(const Stats& s, const SystemConfig& cfg) {
  Energy t;
  for (const BankCounters& b : s.banks) {
    Energy e = bank_energy(b, cfg.op());
    t.read += e.read;
    t.set += e.set;
    t.reset += e.reset;
    t.verify += e.verify;
    t.periph_read += e.periph_read;
    t.periph_write += e.periph_write;
    t.verify_periph += e.verify_periph;
    t.io += e.io;
  }
  t.static_ = cfg.org.static_power_mw * static_cast<double>(s.end_ps) * 1e-3;
  return t;
}

namespace {

json_t* val(double v, const char* unit) {
  json_t* o = json_object();
  json_object_set_new(o, "value", json_real(v));
  json_object_set_new(o, "unit", json_string(unit));
  return o;
}
json_t* count(uint64_t v, const char* unit = "count") {
  json_t* o = json_object();
  json_object_set_new(o, "value", json_integer(static_cast<json_int_t>(v)));
  json_object_set_new(o, "unit", json_string(unit));
  return o;
}
// root as text plus a newline (json_text: jansson's allocator, std::bad_alloc when out of memory);
// root is released either way.
std::string text_and_release(json_t* root, size_t flags) {
  try {
    std::string out = json_text(root, flags) + "\n";
    json_decref(root);
    return out;
  } catch (...) {
    json_decref(root);
    throw;
  }
}
double ratio(uint64_t a, uint64_t b) {
  return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
}

// One figure of a struct in the JSON files: its key, the member it is read from, its unit.
template <class T, class V>
struct Figure {
  const char* key;
  V T::*member;
  const char* unit;
};
json_t* figure(uint64_t v, const char* unit) {
  return count(v, unit);
}
json_t* figure(double v, const char* unit) {
  return val(v, unit);
}
// Sets each figure of the table, read from s, in o, in the table's order.
template <class T, class V, size_t N>
void put_figures(json_t* o, const T& s, const Figure<T, V> (&table)[N]) {
  for (const Figure<T, V>& f : table) json_object_set_new(o, f.key, figure(s.*f.member, f.unit));
}

constexpr Figure<Stats, uint64_t> kRequestFigures[] = {
    {"reads", &Stats::reads, "requests"},
    {"writes", &Stats::writes, "requests"},
    {"bytes_read", &Stats::bytes_read, "B"},
    {"bytes_written", &Stats::bytes_written, "B"},
    {"row_segments", &Stats::chunks, "operations"},
    {"address_errors", &Stats::errors_address, "requests"},
    {"queue_stalls", &Stats::queue_stalls, "operations"},
};
constexpr Figure<ErrorCounters, uint64_t> kBitErrorFigures[] = {
    {"write_01", &ErrorCounters::write_err01, "bits"},
    {"write_10", &ErrorCounters::write_err10, "bits"},
    {"read_01", &ErrorCounters::read_err01, "bits"},
    {"read_10", &ErrorCounters::read_err10, "bits"},
    {"stuck_at", &ErrorCounters::stuck_at, "bits"},
    {"endurance", &ErrorCounters::endurance, "cells"},
};
constexpr Figure<ErrorCounters, uint64_t> kBitFigures[] = {
    {"written_0", &ErrorCounters::write_bits0, "bits"},
    {"written_1", &ErrorCounters::write_bits1, "bits"},
    {"read_0", &ErrorCounters::read_bits0, "bits"},
    {"read_1", &ErrorCounters::read_bits1, "bits"},
};
constexpr Figure<ErrorCounters, uint64_t> kWriteVerifyFigures[] = {
    {"reprogram_rounds", &ErrorCounters::verify_rounds, "rounds"},
    {"reprogrammed_bits", &ErrorCounters::verify_reprogrammed_bits, "bits"},
    {"gave_up", &ErrorCounters::verify_gave_up, "line segments"},
};
constexpr Figure<BankCounters, uint64_t> kBankOpFigures[] = {
    {"read_ops", &BankCounters::read_ops, "operations"},
    {"write_ops", &BankCounters::write_ops, "operations"},
    {"verify_ops", &BankCounters::verify_ops, "operations"},
};
// The dynamic energy by kind (table and array mode alike).
constexpr Figure<Energy, double> kEnergyFigures[] = {
    {"read", &Energy::read, "pJ"},
    {"set", &Energy::set, "pJ"},
    {"reset", &Energy::reset, "pJ"},
    {"verify", &Energy::verify, "pJ"},
    {"periph_read", &Energy::periph_read, "pJ"},
    {"periph_write", &Energy::periph_write, "pJ"},
};

json_t* latency_json(const LatencyHistogram& h) {
  json_t* o = json_object();
  json_object_set_new(o, "count", count(h.count()));
  json_object_set_new(o, "mean", val(h.mean() * 1e-3, "ns"));
  json_object_set_new(o, "min", val(static_cast<double>(h.min()) * 1e-3, "ns"));
  json_object_set_new(o, "p50", val(h.quantile(0.50) * 1e-3, "ns"));
  json_object_set_new(o, "p95", val(h.quantile(0.95) * 1e-3, "ns"));
  json_object_set_new(o, "p99", val(h.quantile(0.99) * 1e-3, "ns"));
  json_object_set_new(o, "max", val(static_cast<double>(h.max()) * 1e-3, "ns"));
  return o;
}

// The bit-error counts of the stats file and the run summary.
json_t* bit_errors_json(const ErrorCounters& e) {
  json_t* o = json_object();
  put_figures(o, e, kBitErrorFigures);
  return o;
}

// array_mode (the device's cost_model "array"): also the bank I/O and the breakdown by part; table
// mode writes exactly the keys it always did.
json_t* energy_json(const Energy& e, bool with_static, bool array_mode) {
  json_t* o = json_object();
  put_figures(o, e, kEnergyFigures);
  if (array_mode) {
    json_object_set_new(o, "io", val(e.io, "pJ"));
    json_t* p = json_object();
    json_object_set_new(p, "array", val(e.array_part(), "pJ"));
    json_object_set_new(p, "periphery", val(e.periphery_part(), "pJ"));
    json_object_set_new(p, "io", val(e.io, "pJ"));
    json_object_set_new(o, "by_part", p);
  }
  if (with_static) json_object_set_new(o, "static", val(e.static_, "pJ"));
  json_object_set_new(o, "total", val(with_static ? e.total() : e.dynamic(), "pJ"));
  return o;
}

}  // namespace

std::string stats_to_json(const SystemConfig& cfg, const Stats& s, const RunInfo& run) {
  json_t* root = json_object();
  json_object_set_new(root, "tool", json_string(run.tool.c_str()));
  json_object_set_new(root, "version", json_string(run.tool_version.c_str()));
  json_object_set_new(root, "seed", json_integer(static_cast<json_int_t>(cfg.seed)));
  json_object_set_new(root, "config_hash", json_string(config_hash(cfg).c_str()));
  json_error_t jerr;
  json_t* c = json_loads(config_to_json(cfg, 0).c_str(), 0, &jerr);
  json_object_set_new(root, "config", c ? c : json_null());

  json_t* r = json_object();
  json_object_set_new(r, "traffic", json_string(run.traffic.c_str()));
  json_object_set_new(r, "path", json_string(run.path.c_str()));
  json_object_set_new(r, "requests", count(run.requests));
  json_object_set_new(r, "wall_time", val(run.wall_seconds, "s"));
  json_object_set_new(
      r, "rate",
      val(run.wall_seconds > 0 ? static_cast<double>(run.requests) / run.wall_seconds : 0.0,
          "transactions/s"));
  json_object_set_new(root, "run", r);

  json_t* st = json_object();
  const double sim_s = static_cast<double>(s.end_ps) * 1e-12;
  json_object_set_new(st, "simulated_time", val(static_cast<double>(s.end_ps) * 1e-3, "ns"));
  put_figures(st, s, kRequestFigures);
  json_object_set_new(st, "queue_stall_time",
                      val(static_cast<double>(s.queue_stall_ps) * 1e-3, "ns"));
  json_object_set_new(
      st, "bandwidth",
      val(sim_s > 0 ? static_cast<double>(s.bytes_read + s.bytes_written) / sim_s / 1e9 : 0.0,
          "GB/s"));
  json_t* lat = json_object();
  json_object_set_new(lat, "read", latency_json(s.read_latency));
  json_object_set_new(lat, "write", latency_json(s.write_latency));
  json_object_set_new(st, "latency", lat);

  const ErrorCounters& e = s.err;
  json_t* be = bit_errors_json(e);
  json_object_set_new(st, "bit_errors", be);
  json_t* ber = json_object();
  json_object_set_new(ber, "write_01", val(ratio(e.write_err01, e.write_bits0), "errors/bit"));
  json_object_set_new(ber, "write_10", val(ratio(e.write_err10, e.write_bits1), "errors/bit"));
  json_object_set_new(
      ber, "write",
      val(ratio(e.write_err01 + e.write_err10, e.write_bits0 + e.write_bits1), "errors/bit"));
  json_object_set_new(ber, "read_01", val(ratio(e.read_err01, e.read_bits0), "errors/bit"));
  json_object_set_new(ber, "read_10", val(ratio(e.read_err10, e.read_bits1), "errors/bit"));
  json_object_set_new(
      ber, "read",
      val(ratio(e.read_err01 + e.read_err10, e.read_bits0 + e.read_bits1), "errors/bit"));
  json_object_set_new(ber, "stuck_at",
                      val(ratio(e.stuck_at, e.write_bits0 + e.write_bits1), "errors/bit"));
  json_object_set_new(st, "ber_observed", ber);
  json_t* bits = json_object();
  put_figures(bits, e, kBitFigures);
  json_object_set_new(st, "bits", bits);
  json_t* wv = json_object();
  put_figures(wv, e, kWriteVerifyFigures);
  json_object_set_new(st, "write_verify", wv);

  Energy tot = total_energy(s, cfg);
  const bool array_mode = cfg.device.cost_model == RR_COST_ARRAY;
  json_object_set_new(st, "energy", energy_json(tot, true, array_mode));
  uint64_t bytes = s.bytes_read + s.bytes_written;
  json_object_set_new(
      st, "energy_per_bit",
      val(bytes ? tot.total() / (8.0 * static_cast<double>(bytes)) : 0.0, "pJ/bit"));
  json_t* banks = json_array();
  for (size_t i = 0; i < s.banks.size(); ++i) {
    const BankCounters& b = s.banks[i];
    json_t* o = json_object();
    json_object_set_new(o, "channel",
                        json_integer(static_cast<json_int_t>(i / cfg.org.banks_per_channel)));
    json_object_set_new(o, "bank",
                        json_integer(static_cast<json_int_t>(i % cfg.org.banks_per_channel)));
    put_figures(o, b, kBankOpFigures);
    json_object_set_new(o, "busy_time", val(static_cast<double>(b.busy_ps) * 1e-3, "ns"));
    json_object_set_new(
        o, "utilisation",
        val(s.end_ps ? static_cast<double>(b.busy_ps) / static_cast<double>(s.end_ps) : 0.0,
            "fraction"));
    json_object_set_new(o, "energy", energy_json(bank_energy(b, cfg.op()), false, array_mode));
    json_array_append_new(banks, o);
  }
  json_object_set_new(st, "banks", banks);
  json_object_set_new(root, "stats", st);

  return text_and_release(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
}

std::string run_summary_to_json(const SystemConfig& cfg, const PointResult& r,
                                const WorkloadResult& wr, const RunSummaryInfo& info) {
  const Stats& st = wr.total;
  const ErrorCounters& e = st.err;
  const double infer_ps = static_cast<double>(wr.infer_end_ps - wr.infer_start_ps);
  auto rate = [](uint64_t k, uint64_t n) { return n ? static_cast<double>(k) / n : 0.0; };
  json_error_t jerr;
  json_t* root = json_object();
  json_object_set_new(root, "tool", json_string("rramsim run"));
  json_object_set_new(root, "version", json_string(info.tool_version.c_str()));
  json_object_set_new(root, "seed", json_integer(static_cast<json_int_t>(cfg.seed)));
  json_object_set_new(root, "config", json_loads(config_to_json(cfg, 0).c_str(), 0, &jerr));
  json_t* model = json_object();
  json_object_set_new(model, "path", json_string(info.model_path.c_str()));
  const char* prov = info.model_provenance.c_str();
  json_t* pj = *prov ? json_loads(prov, 0, &jerr) : nullptr;
  json_object_set_new(model, "provenance", pj ? pj : json_string(prov));
  json_object_set_new(root, "model", model);
  json_t* run = json_object();
  json_object_set_new(run, "data", json_string(r.data.c_str()));
  json_object_set_new(run, "images", json_integer(r.images));
  json_object_set_new(run, "weight_reuse", json_integer(r.weight_reuse));
  json_object_set_new(run, "threads", json_integer(info.threads));
  json_object_set_new(run, "wall_time", val(info.wall_seconds, "s"));
  json_object_set_new(run, "placement",
                      json_loads(placement_to_json(wr.placement).c_str(), 0, &jerr));
  json_object_set_new(root, "run", run);
  json_t* res = json_object();
  json_object_set_new(res, "accuracy", val(r.accuracy, "fraction"));
  json_object_set_new(res, "clean_accuracy", val(r.clean_accuracy, "fraction"));
  json_object_set_new(res, "agreement_with_clean", val(info.agreement_with_clean, "fraction"));
  json_t* be = bit_errors_json(e);
  json_object_set_new(be, "bits_written", count(r.bits_written, "bits"));
  json_object_set_new(be, "bits_read", count(r.bits_read, "bits"));
  json_object_set_new(be, "write_ber_observed",
                      val(rate(e.write_err01 + e.write_err10, r.bits_written), "errors/bit"));
  json_object_set_new(be, "read_ber_observed",
                      val(rate(e.read_err01 + e.read_err10, r.bits_read), "errors/bit"));
  json_object_set_new(res, "bit_errors", be);
  json_t* pg = json_object();
  json_object_set_new(pg, "energy", val(r.programming_energy_pj, "pJ"));
  json_object_set_new(pg, "time", val(r.programming_time_ns, "ns"));
  json_object_set_new(pg, "bytes_written", count(wr.programming.bytes_written, "B"));
  json_object_set_new(pg, "write_verify_rounds", count(e.verify_rounds, "rounds"));
  json_object_set_new(pg, "write_verify_gave_up", count(e.verify_gave_up, "segments"));
  json_object_set_new(res, "programming", pg);
  json_t* inf = json_object();
  json_object_set_new(inf, "energy_per_image", val(r.energy_per_image_pj, "pJ"));
  json_object_set_new(inf, "latency_per_image", val(r.latency_per_image_ns, "ns"));
  json_object_set_new(inf, "throughput", val(r.throughput_images_per_s, "images/s"));
  json_object_set_new(inf, "time", val(infer_ps * 1e-3, "ns"));
  json_object_set_new(inf, "weight_fetches", count(wr.weight_fetches, "layer fetches"));
  json_object_set_new(inf, "bytes_read", count(st.bytes_read, "B"));
  json_object_set_new(inf, "sram_bytes_read", count(wr.sram_bytes_read, "B"));
  json_object_set_new(res, "inference", inf);
  json_t* banks = json_array();
  const unsigned bpc = cfg.org.banks_per_channel;
  for (size_t b = 0; b < st.banks.size(); ++b) {
    json_t* o = json_object();
    json_object_set_new(o, "channel", json_integer(static_cast<json_int_t>(b / bpc)));
    json_object_set_new(o, "bank", json_integer(static_cast<json_int_t>(b % bpc)));
    json_object_set_new(
        o, "utilisation_inference",
        val(infer_ps > 0 ? (st.banks[b].busy_ps - wr.programming.banks[b].busy_ps) / infer_ps : 0,
            "fraction"));
    json_object_set_new(
        o, "utilisation_run",
        val(st.end_ps ? static_cast<double>(st.banks[b].busy_ps) / st.end_ps : 0, "fraction"));
    json_array_append_new(banks, o);
  }
  json_object_set_new(res, "banks", banks);
  json_object_set_new(root, "results", res);
  return text_and_release(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
}

// Both delegate to libbnn's one atomic-write path (bnn/durable.h), so the CLI, the study and the
// simulator write files the same way; here failures become rramsim::Error.
bool make_directories(const std::string& dir) {
  return bnn_mkdirs(dir.c_str()) == BNN_OK;
}

void write_file_atomic(const std::string& path, const std::string& text) {
  if (bnn_write_file_atomic(path.c_str(), text.data(), text.size()) != BNN_OK)
    throw Error(bnn_errmsg());
}

std::string stats_summary(const SystemConfig& cfg, const Stats& s, const RunInfo& run) {
  char b[512];
  std::string o;
  const rr_op_point& op = cfg.op();
  std::snprintf(b, sizeof b, "system %s: device %s (%s), op point %s, %llu B, seed %llu\n",
                cfg.name.c_str(), cfg.device.name, rr_cell_type_name(cfg.device.cell), op.name,
                static_cast<unsigned long long>(cfg.org.capacity_bytes()),
                static_cast<unsigned long long>(cfg.seed));
  o += b;
  std::snprintf(b, sizeof b,
                "workload: %s via %s, %llu requests in %.3f s wall (%.0f transactions/s)\n",
                run.traffic.c_str(), run.path.c_str(),
                static_cast<unsigned long long>(run.requests), run.wall_seconds,
                run.wall_seconds > 0 ? static_cast<double>(run.requests) / run.wall_seconds : 0.0);
  o += b;
  const double sim_s = static_cast<double>(s.end_ps) * 1e-12;
  std::snprintf(
      b, sizeof b,
      "simulated time %.3f us, bandwidth %.3f GB/s, %llu reads, %llu writes, %llu queue stalls\n",
      sim_s * 1e6,
      sim_s > 0 ? static_cast<double>(s.bytes_read + s.bytes_written) / sim_s / 1e9 : 0.0,
      static_cast<unsigned long long>(s.reads), static_cast<unsigned long long>(s.writes),
      static_cast<unsigned long long>(s.queue_stalls));
  o += b;
  auto lat = [&](const char* what, const LatencyHistogram& h) {
    if (!h.count()) return;
    std::snprintf(b, sizeof b, "%s latency ns: mean %.1f  p50 %.1f  p95 %.1f  p99 %.1f  max %.1f\n",
                  what, h.mean() * 1e-3, h.quantile(0.5) * 1e-3, h.quantile(0.95) * 1e-3,
                  h.quantile(0.99) * 1e-3, static_cast<double>(h.max()) * 1e-3);
    o += b;
  };
  lat("read ", s.read_latency);
  lat("write", s.write_latency);
  const ErrorCounters& e = s.err;
  std::snprintf(b, sizeof b,
                "bit errors: write %llu (BER %.3g, configured %.3g/%.3g), read %llu (BER %.3g, "
                "configured %.3g/%.3g), stuck-at %llu, worn out %llu\n",
                static_cast<unsigned long long>(e.write_err01 + e.write_err10),
                ratio(e.write_err01 + e.write_err10, e.write_bits0 + e.write_bits1),
                op.write_ber_01, op.write_ber_10,
                static_cast<unsigned long long>(e.read_err01 + e.read_err10),
                ratio(e.read_err01 + e.read_err10, e.read_bits0 + e.read_bits1), op.read_ber_01,
                op.read_ber_10, static_cast<unsigned long long>(e.stuck_at),
                static_cast<unsigned long long>(e.endurance));
  o += b;
  Energy en = total_energy(s, cfg);
  uint64_t bytes = s.bytes_read + s.bytes_written;
  // Bank I/O energy exists in array mode only: the terms listed always add up to the total.
  char io[48] = "";
  if (cfg.device.cost_model == RR_COST_ARRAY)
    std::snprintf(io, sizeof io, " + I/O %.3f", en.io * 1e-3);
  std::snprintf(b, sizeof b,
                "energy nJ: total %.3f = read %.3f + set %.3f + reset %.3f + verify %.3f + "
                "periphery %.3f%s + static %.3f (%.3f pJ/bit)\n",
                en.total() * 1e-3, en.read * 1e-3, en.set * 1e-3, en.reset * 1e-3, en.verify * 1e-3,
                (en.periph_read + en.periph_write) * 1e-3, io, en.static_ * 1e-3,
                bytes ? en.total() / (8.0 * static_cast<double>(bytes)) : 0.0);
  o += b;
  if (cfg.device.cost_model == RR_COST_ARRAY) {
    const rr_array_params& a = cfg.device.array;
    std::snprintf(b, sizeof b,
                  "array cost model (%d nm %s, %ux%u crossbar, mux %d): t_read %.2f ns, t_write "
                  "%.2f ns; energy nJ by part: array %.3f + periphery %.3f + I/O %.3f\n",
                  a.node_nm, rr_roadmap_name(a.roadmap), cfg.org.rows, cfg.org.columns, a.mux,
                  op.t_read_ns, op.t_write_ns, en.array_part() * 1e-3, en.periphery_part() * 1e-3,
                  en.io * 1e-3);
    o += b;
  }
  return o;
}

}  // namespace rramsim
