// job.cpp — one experiment point: inputs checked, functional or timed evaluation, result rows.
#include "job.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <new>
#include <sstream>

#include <jansson.h>
#include <zlib.h>

#include <cerrno>

#include "rramsim/controller.hpp"
#include "rramsim/storage.hpp"

namespace rrjob {

enum class DefectKindTag : uint8_t { Zero, One, Flip };

std::string model_file_id(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw JobError(path + ": cannot open: " + std::strerror(errno));
  uLong crc = crc32(0L, Z_NULL, 0);
  unsigned char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) crc = crc32(crc, buf, static_cast<uInt>(n));
  const bool bad = std::ferror(f) != 0;
  std::fclose(f);
  if (bad) throw JobError(path + ": read error");
  char id[32];
  std::snprintf(id, sizeof id, "crc32:%08lx", static_cast<unsigned long>(crc));
  return id;
}

ModelPtr load_model(const std::string& path) {
  bnn_model* m = nullptr;
  if (bnn_model_load(&m, path.c_str()) != BNN_OK) throw JobError(bnn_errmsg());
  return ModelPtr(m);
}

void open_data(bnn_dataset* ds, const std::string& spec, uint32_t images, const bnn_model* m,
               const std::string& model_path) {
  if (bnn_dataset_open(ds, spec.c_str(), "test", images) != BNN_OK)
    throw JobError("--data " + spec + ": " + bnn_errmsg());
  uint32_t c, h, w;
  bnn_model_input_shape(m, &c, &h, &w);
  bnn_layer_info first;
  bnn_model_layer(m, 0, &first);
  char msg[512];
  if (uint64_t{c} * h * w != uint64_t{ds->c} * ds->h * ds->w ||
      (first.kind != BNN_LAYER_DENSE && (c != ds->c || h != ds->h || w != ds->w))) {
    std::snprintf(msg, sizeof msg, "%s: model expects %ux%ux%u images, data set %s has %ux%ux%u",
                  model_path.c_str(), h, w, c, ds->name, ds->h, ds->w, ds->c);
    bnn_dataset_free(ds);
    throw JobError(msg);
  }
  const uint32_t ncls = bnn_model_n_classes(m);
  for (uint32_t i = 0; i < ds->n; ++i)
    if (ds->labels[i] >= ncls) {
      std::snprintf(msg, sizeof msg,
                    "%s: data set %s has label %u at image %u, model has %u classes",
                    model_path.c_str(), ds->name, ds->labels[i], i, ncls);
      bnn_dataset_free(ds);
      throw JobError(msg);
    }
}

rramsim::SystemConfig load_system(const std::string& path, const std::string& op_point,
                                  bool have_seed, uint64_t seed) {
  rramsim::SystemConfig cfg = rramsim::load_system_file(path);
  if (!op_point.empty()) rramsim::select_op_point(cfg, op_point);
  if (have_seed) cfg.seed = seed;
  return cfg;
}

namespace {
double accuracy_of(const std::vector<uint8_t>& pred, const bnn_dataset& ds) {
  uint64_t ok = 0;
  for (uint32_t i = 0; i < ds.n; ++i) ok += pred[i] == ds.labels[i];
  return ds.n ? static_cast<double>(ok) / ds.n : 0.0;
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
  if (st != BNN_OK) throw JobError(std::string("engine: ") + bnn_errmsg());
}
}  // namespace

double clean_accuracy(const bnn_model* m, const bnn_dataset& ds, int threads,
                      std::vector<uint8_t>* pred_out) {
  bnn_port* port = nullptr;
  if (bnn_host_port_create(&port, m) != BNN_OK) throw JobError(bnn_errmsg());
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

AnalyticEnergy analytic_energy(const rramsim::SystemConfig& cfg, const bnn_model* m,
                               const rramsim::Placement& pl) {
  const rr_op_point& op = cfg.op();
  rramsim::AddressDecoder dec(cfg.org);
  const uint64_t chunk = dec.chunk_bytes();
  const uint8_t* image = bnn_model_weight_image(m, nullptr);
  AnalyticEnergy e;
  for (const rramsim::LayerPlacement& l : pl.layers) {
    if (!l.in_rram) continue;
    // Row segments exactly as the controller splits each per-neuron transaction.
    uint64_t segments = 0;
    for (uint64_t o = 0; o < l.rows; ++o) {
      uint64_t a = l.rram_addr + o * l.row_bytes, left = l.row_bytes;
      while (left) {
        uint64_t n = std::min(left, chunk - (a & (chunk - 1)));
        ++segments;
        a += n;
        left -= n;
      }
    }
    uint64_t ones = 0;
    for (uint64_t b = 0; b < l.bytes; ++b)
      ones += static_cast<uint64_t>(__builtin_popcount(image[l.image_addr + b]));
    const uint64_t bits = l.bytes * 8;
    e.read_per_fetch_pj += bits * op.e_read_pj + segments * op.e_periph_read_pj;
    e.program_pj +=
        ones * op.e_set_pj + (bits - ones) * op.e_reset_pj + segments * op.e_periph_write_pj;
  }
  return e;
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
    uint64_t rbit;  // RRAM address·8 + bit (the cell's identity in the draw)
    DefectKindTag kind;
    double rate;
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
    const unsigned bit = static_cast<unsigned>(it->ibit & 7);
    if (it->kind == DefectKindTag::Flip) {
      if (rramsim::map_flip_draw(mp->seed, it->rbit >> 3, static_cast<unsigned>(it->rbit & 7),
                                 mp->reads, it->rate)) {
        b = static_cast<uint8_t>(b ^ (1u << bit));
        ++mp->flips;
      }
    } else {
      const unsigned v = it->kind == DefectKindTag::One ? 1u : 0u;
      b = static_cast<uint8_t>((b & ~(1u << bit)) | (v << bit));
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

PointResult run_functional(const PointSpec& s, const rramsim::SystemConfig& cfg, const bnn_model* m,
                           const bnn_dataset& ds, double clean) {
  auto t0 = std::chrono::steady_clock::now();
  rramsim::PlacementParams pp;
  pp.rram_layer_mask = s.rram_layer_mask;
  const rramsim::Placement pl = rramsim::place_model(m, s.model_path, cfg, pp);
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
  if (bnn_error_port_create(&port, m, &ep, 0) != BNN_OK) throw JobError(bnn_errmsg());
  // The measured error map's cells under placed RRAM weights (the rest are never read).
  MapPort mp{};
  mp.base.vt = &kMapPortVtbl;
  mp.inner = port;
  mp.seed = cfg.seed;
  uint64_t stuck_changed = 0;
  if (cfg.error_map) {
    const uint8_t* image = bnn_model_weight_image(m, nullptr);
    for (const rramsim::Defect& d : cfg.error_map->cells) {
      uint64_t ia = 0;
      int wl = -1;
      if (!rramsim::rram_to_image(pl, d.addr, &ia, &wl)) continue;
      MapPort::Cell c{ia * 8 + d.bit, d.addr * 8 + d.bit,
                      d.kind == rramsim::DefectKind::FlipRate   ? DefectKindTag::Flip
                      : d.kind == rramsim::DefectKind::StuckAt1 ? DefectKindTag::One
                                                                : DefectKindTag::Zero,
                      d.rate};
      mp.cells.push_back(c);
    }
    std::stable_sort(
        mp.cells.begin(), mp.cells.end(),
        [](const MapPort::Cell& a, const MapPort::Cell& b) { return a.ibit < b.ibit; });
    // Listed twice: the last line wins (Storage::add_defect); stuck cells that differ from the
    // weight are the stuck-at errors (counted once, as programming would find them).
    std::vector<MapPort::Cell> uniq;
    for (const MapPort::Cell& c : mp.cells) {
      if (!uniq.empty() && uniq.back().ibit == c.ibit && uniq.back().kind != DefectKindTag::Flip &&
          c.kind != DefectKindTag::Flip)
        uniq.back() = c;
      else
        uniq.push_back(c);
    }
    mp.cells.swap(uniq);
    for (const MapPort::Cell& c : mp.cells)
      if (c.kind != DefectKindTag::Flip &&
          ((image[c.ibit >> 3] >> (c.ibit & 7)) & 1u) != (c.kind == DefectKindTag::One ? 1u : 0u))
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

  PointResult r;
  r.mode = "functional";
  r.system = cfg.name;
  r.op_point = op.name;
  r.model = s.model_path;
  r.data = ds.name;
  r.seed = cfg.seed;
  r.images = ds.n;
  r.weight_reuse = s.weight_reuse;
  r.write_ber_01 = op.write_ber_01, r.write_ber_10 = op.write_ber_10;
  r.read_ber_01 = op.read_ber_01, r.read_ber_10 = op.read_ber_10;
  r.write_errors = ec.write_flips;
  r.stuck_errors = stuck_changed;
  r.error_map = cfg.error_map ? cfg.error_map->path : "";
  r.read_errors = ec.read_flips + mp.flips;
  r.bits_written = ec.bits_stored;
  r.bits_read = ec.bits_read;
  r.ber_observed =
      (r.bits_written ? static_cast<double>(r.write_errors + r.stuck_errors) / r.bits_written : 0) +
      (r.bits_read ? static_cast<double>(r.read_errors) / r.bits_read : 0);
  r.accuracy = accuracy_of(pred, ds);
  r.clean_accuracy = clean;
  const AnalyticEnergy ae = analytic_energy(cfg, m, pl);
  r.energy_per_image_pj = ae.read_per_fetch_pj / s.weight_reuse;
  r.programming_energy_pj = ae.program_pj;
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

PointResult run_timed(const PointSpec& s, const rramsim::SystemConfig& cfg, const bnn_model* m,
                      const bnn_dataset& ds, double clean, rramsim::WorkloadResult* wr_out,
                      std::function<void(uint64_t)> progress) {
  auto t0 = std::chrono::steady_clock::now();
  rramsim::WorkloadParams wp;
  wp.placement.rram_layer_mask = s.rram_layer_mask;
  wp.weight_reuse = s.weight_reuse;
  wp.threads = s.threads;
  wp.progress = std::move(progress);
  wp.access_observer = s.access_observer;
  wp.fault_observer = s.fault_observer;
  rramsim::WorkloadResult wr = rramsim::run_bnn_workload(cfg, m, s.model_path, ds.images, ds.n, wp);
  if (!wr.error.empty()) throw JobError(s.model_path + ": " + wr.error);
  const rr_op_point& op = cfg.op();
  const rramsim::ErrorCounters& e = wr.total.err;
  PointResult r;
  r.mode = "timed";
  r.system = cfg.name;
  r.op_point = op.name;
  r.model = s.model_path;
  r.data = ds.name;
  r.seed = cfg.seed;
  r.images = ds.n;
  r.weight_reuse = s.weight_reuse;
  r.write_ber_01 = op.write_ber_01, r.write_ber_10 = op.write_ber_10;
  r.read_ber_01 = op.read_ber_01, r.read_ber_10 = op.read_ber_10;
  r.write_errors = e.write_err01 + e.write_err10;
  r.read_errors = e.read_err01 + e.read_err10;
  r.stuck_errors = e.stuck_at;
  r.endurance_errors = e.endurance;
  r.error_map = cfg.error_map ? cfg.error_map->path : "";
  r.bits_written = e.write_bits0 + e.write_bits1;
  r.bits_read = e.read_bits0 + e.read_bits1;
  r.ber_observed =
      (r.bits_written ? static_cast<double>(r.write_errors + r.stuck_errors) / r.bits_written : 0) +
      (r.bits_read ? static_cast<double>(r.read_errors) / r.bits_read : 0);
  std::vector<uint8_t> pred = wr.pred;
  r.accuracy = accuracy_of(pred, ds);
  r.clean_accuracy = clean;
  const rramsim::Energy ep = rramsim::total_energy(wr.programming, cfg);
  const rramsim::Energy et = rramsim::total_energy(wr.total, cfg);
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

std::string point_key(const PointResult& r) {
  return r.mode + "|" + r.system + "|" + r.op_point + "|" + r.model + "|" + std::to_string(r.seed) +
         "|" + std::to_string(r.images) + "|" + std::to_string(r.weight_reuse) +
         (r.error_map.empty() ? std::string() : "|map=" + r.error_map);
}

namespace {
void put_num(std::ostringstream& os, const char* k, double v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.17g", v);
  os << ", \"" << k << "\": " << b;
}
}  // namespace

std::string json_text(const json_t* j, size_t flags) {
  json_free_t jfree = nullptr;
  json_get_alloc_funcs(nullptr, &jfree);
  char* t = j ? json_dumps(j, flags) : nullptr;
  if (!t) throw std::bad_alloc();
  std::string s(t);
  jfree(t);
  return s;
}

// One JSON string literal (quoted, escaped) for a row field.
static std::string json_quoted(const std::string& v) {
  json_t* j = json_string(v.c_str());
  std::string s;
  try {
    s = json_text(j, JSON_ENCODE_ANY);
  } catch (...) {
    json_decref(j);
    throw;
  }
  json_decref(j);
  return s;
}

std::string row_json(const PointResult& r) {
  std::ostringstream os;
  os << "{\"key\": " << json_quoted(point_key(r));
  const std::pair<const char*, const std::string*> strs[] = {
      {"mode", &r.mode},   {"system", &r.system}, {"op_point", &r.op_point},
      {"model", &r.model}, {"data", &r.data},     {"error_map", &r.error_map}};
  for (const auto& p : strs) os << ", \"" << p.first << "\": " << json_quoted(*p.second);
  os << ", \"seed\": " << r.seed << ", \"images\": " << r.images
     << ", \"weight_reuse\": " << r.weight_reuse;
  put_num(os, "write_ber_01", r.write_ber_01);
  put_num(os, "write_ber_10", r.write_ber_10);
  put_num(os, "read_ber_01", r.read_ber_01);
  put_num(os, "read_ber_10", r.read_ber_10);
  os << ", \"write_errors\": " << r.write_errors << ", \"read_errors\": " << r.read_errors
     << ", \"stuck_errors\": " << r.stuck_errors << ", \"endurance_errors\": " << r.endurance_errors
     << ", \"bits_written\": " << r.bits_written << ", \"bits_read\": " << r.bits_read;
  put_num(os, "ber_observed", r.ber_observed);
  put_num(os, "accuracy", r.accuracy);
  put_num(os, "clean_accuracy", r.clean_accuracy);
  put_num(os, "energy_per_image_pj", r.energy_per_image_pj);
  put_num(os, "latency_per_image_ns", r.latency_per_image_ns);
  put_num(os, "programming_energy_pj", r.programming_energy_pj);
  put_num(os, "programming_time_ns", r.programming_time_ns);
  put_num(os, "throughput_images_per_s", r.throughput_images_per_s);
  put_num(os, "wall_seconds", r.wall_seconds);
  os << "}";
  return os.str();
}

std::string csv_header() {
  return "key,mode,system,op_point,model,data,seed,images,weight_reuse,write_ber_01,write_ber_10,"
         "read_ber_01,read_ber_10,write_errors,read_errors,stuck_errors,endurance_errors,"
         "bits_written,bits_read,ber_observed,accuracy,clean_accuracy,energy_per_image_pj,"
         "latency_per_image_ns,programming_energy_pj,programming_time_ns,"
         "throughput_images_per_s,wall_seconds,error_map";
}

namespace {
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}
}  // namespace

std::string row_csv(const PointResult& r) {
  std::ostringstream os;
  char b[64];
  auto num = [&](double v) {
    std::snprintf(b, sizeof b, "%.10g", v);
    os << "," << b;
  };
  os << csv_field(point_key(r)) << "," << csv_field(r.mode) << "," << csv_field(r.system) << ","
     << csv_field(r.op_point) << "," << csv_field(r.model) << "," << csv_field(r.data) << ","
     << r.seed << "," << r.images << "," << r.weight_reuse;
  num(r.write_ber_01), num(r.write_ber_10), num(r.read_ber_01), num(r.read_ber_10);
  os << "," << r.write_errors << "," << r.read_errors << "," << r.stuck_errors << ","
     << r.endurance_errors << "," << r.bits_written << "," << r.bits_read;
  num(r.ber_observed), num(r.accuracy), num(r.clean_accuracy), num(r.energy_per_image_pj);
  num(r.latency_per_image_ns), num(r.programming_energy_pj), num(r.programming_time_ns);
  num(r.throughput_images_per_s), num(r.wall_seconds);
  os << "," << csv_field(r.error_map);
  return os.str();
}

bool row_from_json(const std::string& line, PointResult* r) {
  json_error_t err;
  json_t* o = json_loads(line.c_str(), 0, &err);
  if (!o || !json_is_object(o)) {
    json_decref(o);
    return false;
  }
  bool ok = true;
  auto str = [&](const char* k, std::string* v) {
    json_t* j = json_object_get(o, k);
    if (!json_is_string(j))
      ok = false;
    else
      *v = json_string_value(j);
  };
  auto num = [&](const char* k, double* v) {
    json_t* j = json_object_get(o, k);
    if (!json_is_number(j))
      ok = false;
    else
      *v = json_number_value(j);
  };
  auto u64 = [&](const char* k, uint64_t* v) {
    json_t* j = json_object_get(o, k);
    if (!json_is_integer(j) || json_integer_value(j) < 0)
      ok = false;
    else
      *v = static_cast<uint64_t>(json_integer_value(j));
  };
  uint64_t images = 0, reuse = 0;
  str("mode", &r->mode), str("system", &r->system), str("op_point", &r->op_point);
  str("model", &r->model), str("data", &r->data);
  u64("seed", &r->seed), u64("images", &images), u64("weight_reuse", &reuse);
  r->images = static_cast<uint32_t>(images), r->weight_reuse = static_cast<uint32_t>(reuse);
  num("write_ber_01", &r->write_ber_01), num("write_ber_10", &r->write_ber_10);
  num("read_ber_01", &r->read_ber_01), num("read_ber_10", &r->read_ber_10);
  u64("write_errors", &r->write_errors), u64("read_errors", &r->read_errors);
  u64("stuck_errors", &r->stuck_errors), u64("endurance_errors", &r->endurance_errors);
  u64("bits_written", &r->bits_written), u64("bits_read", &r->bits_read);
  num("ber_observed", &r->ber_observed), num("accuracy", &r->accuracy);
  num("clean_accuracy", &r->clean_accuracy), num("energy_per_image_pj", &r->energy_per_image_pj);
  num("latency_per_image_ns", &r->latency_per_image_ns);
  num("programming_energy_pj", &r->programming_energy_pj);
  num("programming_time_ns", &r->programming_time_ns);
  num("throughput_images_per_s", &r->throughput_images_per_s),
      num("wall_seconds", &r->wall_seconds);
  // error_map: absent in rows written before maps were sweepable (= none).
  json_t* em = json_object_get(o, "error_map");
  if (em && !json_is_string(em)) ok = false;
  r->error_map = json_is_string(em) ? json_string_value(em) : "";
  json_t* k = json_object_get(o, "key");
  if (ok && (!json_is_string(k) || point_key(*r) != json_string_value(k))) ok = false;
  json_decref(o);
  return ok;
}

}  // namespace rrjob
