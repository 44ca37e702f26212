// point_run.cpp — one experiment point evaluated: the clean reference, functional mode (libbnn's
// error port on host memory plus the measured error map's port) and timed mode (the SystemC
// system).
#include <algorithm>
#include <chrono>
#include <cmath>

#include "rramsim/errmap.hpp"
#include "rramsim/point.hpp"
#include "rramsim/storage.hpp"

namespace rramsim {

namespace {
double accuracy_of(const std::vector<uint8_t>& pred, const bnn_dataset& ds) {
  uint64_t ok = 0;
  for (uint32_t i = 0; i < ds.n; ++i) ok += pred[i] == ds.labels[i];
  return ds.n ? static_cast<double>(ok) / ds.n : 0.0;
}

// A point's row with what names it (mode, system, operating point, model, data, seed, images,
// reuse) and its configured rates filled in; the evaluation adds what it measured.
PointResult result_of(const char* mode, const PointSpec& s, const SystemConfig& cfg,
                      const bnn_dataset& ds) {
  const rr_op_point& op = cfg.op();
  PointResult r;
  r.mode = mode;
  r.system = cfg.name;
  r.op_point = op.name;
  r.model = s.model_path;
  r.data = ds.name;
  r.seed = cfg.seed;
  r.images = ds.n;
  r.weight_reuse = s.weight_reuse;
  r.write_ber_01 = op.write_ber_01, r.write_ber_10 = op.write_ber_10;
  r.read_ber_01 = op.read_ber_01, r.read_ber_10 = op.read_ber_10;
  r.error_map = cfg.error_map ? cfg.error_map->path : "";
  return r;
}

// The row's observed error rate (from its counts), accuracy and the clean reference.
void set_outcome(PointResult* r, const std::vector<uint8_t>& pred, const bnn_dataset& ds,
                 double clean) {
  r->ber_observed =
      (r->bits_written ? static_cast<double>(r->write_errors + r->stuck_errors) / r->bits_written
                       : 0) +
      (r->bits_read ? static_cast<double>(r->read_errors) / r->bits_read : 0);
  r->accuracy = accuracy_of(pred, ds);
  r->clean_accuracy = clean;
}

void run_engine(const bnn_model* m, bnn_port* port, const bnn_dataset& ds, int threads,
                uint32_t reuse, std::vector<uint8_t>* pred) {
  bnn_infer_params ip = bnn_infer_default_params();
  ip.threads = threads;
  ip.weight_reuse = reuse;
  bnn_engine* e = nullptr;
  bnn_status st = bnn_engine_create(&e, m, port, &ip);
  pred->assign(ds.n, 0);
  if (st == BNN_OK) st = bnn_engine_run(e, ds.images, ds.n, nullptr, pred->data());
  bnn_engine_destroy(e);
  if (st != BNN_OK) throw Error(std::string("engine: ") + bnn_errmsg());
}
}  // namespace

double clean_accuracy(const bnn_model* m, const bnn_dataset& ds, int threads,
                      std::vector<uint8_t>* pred_out) {
  bnn_port* port = nullptr;
  if (bnn_host_port_create(&port, m) != BNN_OK) throw Error(bnn_errmsg());
  std::vector<uint8_t> pred;
  try {
    run_engine(m, port, ds, threads, 0, &pred);
  } catch (...) {
    bnn_port_destroy(port);
    throw;
  }
  bnn_port_destroy(port);
  if (pred_out) *pred_out = pred;
  return accuracy_of(pred, ds);
}

namespace {
// Functional mode's measured error map: a port in front of the error port that forces the map's
// stuck-at cells under RRAM weights to their value on every read and flips its flip-rate cells
// with their rate, drawn as the storage draws them (map_flip_draw; the read index here counts
// this port's reads, so draws are reproducible but not the timed run's). Write errors under a
// stuck cell do not matter: the stuck value wins, as in the storage.
struct MapPort {
  bnn_port base;
  bnn_port* inner;
  struct Cell {
    uint64_t ibit;  // image address·8 + bit
    MapCell cell;   // bit = RRAM address·8 + bit (the cell's identity in the draw)
  };
  std::vector<Cell> cells;  // sorted by ibit
  uint64_t seed = 1, reads = 0, flips = 0;
};

bnn_status map_port_read(bnn_port* bp, uint64_t addr, void* dst_v, size_t n) {
  MapPort* mp = reinterpret_cast<MapPort*>(bp);
  bnn_status st = bnn_port_read(mp->inner, addr, dst_v, n);
  if (st != BNN_OK) return st;
  uint8_t* dst = static_cast<uint8_t*>(dst_v);
  auto it = std::lower_bound(mp->cells.begin(), mp->cells.end(), addr * 8,
                             [](const MapPort::Cell& c, uint64_t x) { return c.ibit < x; });
  for (; it != mp->cells.end() && it->ibit < (addr + n) * 8; ++it) {
    uint8_t& b = dst[(it->ibit >> 3) - addr];
    if (!it->cell.flip) {
      force_stuck(MapCell{it->ibit, false, it->cell.value, 0.0}, &b);
      continue;
    }
    if (map_flip_draw(mp->seed, it->cell.bit >> 3, static_cast<unsigned>(it->cell.bit & 7),
                      mp->reads, it->cell.rate)) {
      b = static_cast<uint8_t>(b ^ (1u << (it->ibit & 7)));
      ++mp->flips;
    }
  }
  ++mp->reads;
  return BNN_OK;
}
bnn_status map_port_write(bnn_port* bp, uint64_t addr, const void* src, size_t n) {
  return bnn_port_write(reinterpret_cast<MapPort*>(bp)->inner, addr, src, n);
}
void map_port_destroy(bnn_port*) {}
const bnn_port_vtbl kMapPortVtbl = {map_port_read, map_port_write, nullptr, map_port_destroy};
}  // namespace

PointResult run_functional(const PointSpec& s, const SystemConfig& cfg, const bnn_model* m,
                           const bnn_dataset& ds, double clean) {
  auto t0 = std::chrono::steady_clock::now();
  PlacementParams pp;
  pp.rram_layer_mask = s.rram_layer_mask;
  const Placement pl = place_model(m, s.model_path, cfg, pp);
  const rr_op_point& op = cfg.op();
  bnn_error_params ep = bnn_error_default_params();
  // Iterative write-verify re-programs every failed bit up to max_iterations times, each failing
  // again with the write rate: a bit stays wrong with probability p^(1 + max_iterations).
  const int tries =
      cfg.device.verify == RR_VERIFY_ITERATIVE ? 1 + cfg.device.verify_max_iterations : 1;
  ep.write_p01 = std::pow(op.write_ber_01, tries);
  ep.write_p10 = std::pow(op.write_ber_10, tries);
  ep.read_p01 = op.read_ber_01;
  ep.read_p10 = op.read_ber_10;
  ep.seed = cfg.seed;
  ep.layer_mask = s.rram_layer_mask;
  bnn_port* port = nullptr;
  if (bnn_error_port_create(&port, m, &ep, 0) != BNN_OK) throw Error(bnn_errmsg());
  // The measured error map's cells under placed RRAM weights (the rest are never read).
  MapPort mp{};
  mp.base.vt = &kMapPortVtbl;
  mp.inner = port;
  mp.seed = cfg.seed;
  uint64_t stuck_changed = 0;
  if (cfg.error_map) {
    const uint8_t* image = bnn_model_weight_image(m, nullptr);
    for (const MapCell& c : resolve_error_map(*cfg.error_map)) {
      uint64_t ia = 0;
      int wl = -1;
      if (!rram_to_image(pl, c.bit >> 3, &ia, &wl)) continue;
      mp.cells.push_back(MapPort::Cell{ia * 8 + (c.bit & 7), c});
    }
    std::stable_sort(
        mp.cells.begin(), mp.cells.end(),
        [](const MapPort::Cell& a, const MapPort::Cell& b) { return a.ibit < b.ibit; });
    // Stuck cells that differ from the weight are the stuck-at errors (counted once, as
    // programming would find them).
    for (const MapPort::Cell& c : mp.cells)
      if (!c.cell.flip && ((image[c.ibit >> 3] >> (c.ibit & 7)) & 1u) != c.cell.value)
        ++stuck_changed;
  }
  std::vector<uint8_t> pred;
  try {
    run_engine(m, mp.cells.empty() ? port : &mp.base, ds, s.threads, s.weight_reuse, &pred);
  } catch (...) {
    bnn_port_destroy(port);
    throw;
  }
  bnn_error_counts ec{};
  bnn_error_port_counts(port, &ec);
  bnn_port_destroy(port);

  PointResult r = result_of("functional", s, cfg, ds);
  r.write_errors = ec.write_flips;
  r.stuck_errors = stuck_changed;
  r.read_errors = ec.read_flips + mp.flips;
  r.bits_written = ec.bits_stored;
  r.bits_read = ec.bits_read;
  set_outcome(&r, pred, ds, clean);
  const AnalyticEnergy ae = analytic_energy(cfg, m, pl);
  r.energy_per_image_pj = ae.read_per_fetch_pj / s.weight_reuse;
  r.programming_energy_pj = ae.program_pj;
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

PointResult run_timed(const PointSpec& s, const SystemConfig& cfg, const bnn_model* m,
                      const bnn_dataset& ds, double clean, WorkloadResult* wr_out,
                      std::function<void(uint64_t)> progress) {
  auto t0 = std::chrono::steady_clock::now();
  WorkloadParams wp;
  wp.placement.rram_layer_mask = s.rram_layer_mask;
  wp.weight_reuse = s.weight_reuse;
  wp.threads = s.threads;
  wp.progress = std::move(progress);
  wp.access_observer = s.access_observer;
  wp.fault_observer = s.fault_observer;
  WorkloadResult wr = run_bnn_workload(cfg, m, s.model_path, ds.images, ds.n, wp);
  const ErrorCounters& e = wr.total.err;
  PointResult r = result_of("timed", s, cfg, ds);
  r.write_errors = e.write_err01 + e.write_err10;
  r.read_errors = e.read_err01 + e.read_err10;
  r.stuck_errors = e.stuck_at;
  r.endurance_errors = e.endurance;
  r.bits_written = e.write_bits0 + e.write_bits1;
  r.bits_read = e.read_bits0 + e.read_bits1;
  set_outcome(&r, wr.pred, ds, clean);
  const Energy ep = total_energy(wr.programming, cfg);
  const Energy et = total_energy(wr.total, cfg);
  // Static energy is charged over simulated time; split at the end of programming.
  const double static_prog =
      cfg.org.static_power_mw * static_cast<double>(wr.program_end_ps) * 1e-3;
  r.programming_energy_pj = ep.dynamic() + static_prog;
  r.programming_time_ns = static_cast<double>(wr.program_end_ps) * 1e-3;
  const double infer_ps = static_cast<double>(wr.infer_end_ps - wr.infer_start_ps);
  if (ds.n) {
    r.energy_per_image_pj = (et.total() - r.programming_energy_pj) / ds.n;
    r.latency_per_image_ns = infer_ps * 1e-3 / ds.n;
  }
  if (infer_ps > 0) r.throughput_images_per_s = ds.n / (infer_ps * 1e-12);
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (wr_out) *wr_out = std::move(wr);
  return r;
}

}  // namespace rramsim
