// point_row.cpp — a point's identity (key) and its result row as one-line JSON and CSV, and the
// JSON row read back (sweep resume, plot).
#include <cmath>
#include <cstdio>
#include <new>
#include <sstream>

#include <jansson.h>

#include "rramsim/point.hpp"

namespace rramsim {

namespace {
std::string set_suffix(const PointResult& r) {
  std::string s;
  for (const auto& p : r.set) s += (s.empty() ? "|set=" : ";") + p.first + "=" + p.second;
  return s;
}
}  // namespace

std::string point_key(const PointResult& r) {
  return r.mode + "|" + r.system + "|" + r.op_point + "|" + r.model + "|" + std::to_string(r.seed) +
         "|" + std::to_string(r.images) + "|" + std::to_string(r.weight_reuse) +
         (r.error_map.empty() ? std::string() : "|map=" + r.error_map) + set_suffix(r);
}

std::string json_text(const json_t* j, size_t flags) {
  json_free_t jfree = nullptr;
  json_get_alloc_funcs(nullptr, &jfree);
  char* t = j ? json_dumps(j, flags) : nullptr;
  if (!t) throw std::bad_alloc();
  std::string s(t);
  jfree(t);
  return s;
}

namespace {
// A row number as "%.17g" writes it: integral values (|v| < 1e17) as JSON integers ("-1", not
// jansson's "-1.0"), the rest as reals (jansson writes them with 17 significant digits).
json_t* row_num(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e17)
    return json_integer(static_cast<json_int_t>(v));
  return std::isfinite(v) ? json_real(v) : json_null();
}
}  // namespace

std::string row_json(const PointResult& r) {
  json_t* o = json_object();
  bool oom = !o;
  auto put = [&](const char* k, json_t* v) { oom |= !o || json_object_set_new(o, k, v) != 0; };
  put("key", json_string(point_key(r).c_str()));
  put("mode", json_string(r.mode.c_str()));
  put("system", json_string(r.system.c_str()));
  put("op_point", json_string(r.op_point.c_str()));
  put("model", json_string(r.model.c_str()));
  put("data", json_string(r.data.c_str()));
  put("error_map", json_string(r.error_map.c_str()));
  const std::pair<const char*, uint64_t> ints[] = {
      {"seed", r.seed}, {"images", r.images}, {"weight_reuse", r.weight_reuse}};
  for (const auto& p : ints) put(p.first, json_integer(static_cast<json_int_t>(p.second)));
  const std::pair<const char*, double> bers[] = {{"write_ber_01", r.write_ber_01},
                                                 {"write_ber_10", r.write_ber_10},
                                                 {"read_ber_01", r.read_ber_01},
                                                 {"read_ber_10", r.read_ber_10}};
  for (const auto& p : bers) put(p.first, row_num(p.second));
  const std::pair<const char*, uint64_t> counts[] = {
      {"write_errors", r.write_errors}, {"read_errors", r.read_errors},
      {"stuck_errors", r.stuck_errors}, {"endurance_errors", r.endurance_errors},
      {"bits_written", r.bits_written}, {"bits_read", r.bits_read}};
  for (const auto& p : counts) put(p.first, json_integer(static_cast<json_int_t>(p.second)));
  const std::pair<const char*, double> nums[] = {
      {"ber_observed", r.ber_observed},
      {"accuracy", r.accuracy},
      {"clean_accuracy", r.clean_accuracy},
      {"energy_per_image_pj", r.energy_per_image_pj},
      {"latency_per_image_ns", r.latency_per_image_ns},
      {"programming_energy_pj", r.programming_energy_pj},
      {"programming_time_ns", r.programming_time_ns},
      {"throughput_images_per_s", r.throughput_images_per_s},
      {"wall_seconds", r.wall_seconds}};
  for (const auto& p : nums) put(p.first, row_num(p.second));
  if (!r.set.empty()) {
    json_t* st = json_object();
    for (const auto& p : r.set) {
      json_t* v = json_loads(p.second.c_str(), JSON_DECODE_ANY, nullptr);
      oom |= !st || !v || json_object_set_new(st, p.first.c_str(), v) != 0;
    }
    put("set", st);
  }
  if (oom) {
    json_decref(o);
    throw std::bad_alloc();
  }
  std::string text;
  try {
    text = json_text(o, JSON_PRESERVE_ORDER);  // one line, ", " and ": " separators
  } catch (...) {
    json_decref(o);
    throw;
  }
  json_decref(o);
  return text;
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
  // Not modelled in this mode (-1 in the JSON row): an empty field, which CSV readers take as
  // missing (pandas: NaN) rather than a number that would enter means.
  auto opt = [&](double v) {
    if (v < 0)
      os << ",";
    else
      num(v);
  };
  os << csv_field(point_key(r)) << "," << csv_field(r.mode) << "," << csv_field(r.system) << ","
     << csv_field(r.op_point) << "," << csv_field(r.model) << "," << csv_field(r.data) << ","
     << r.seed << "," << r.images << "," << r.weight_reuse;
  num(r.write_ber_01), num(r.write_ber_10), num(r.read_ber_01), num(r.read_ber_10);
  os << "," << r.write_errors << "," << r.read_errors << "," << r.stuck_errors << ","
     << r.endurance_errors << "," << r.bits_written << "," << r.bits_read;
  num(r.ber_observed), num(r.accuracy), num(r.clean_accuracy), opt(r.energy_per_image_pj);
  opt(r.latency_per_image_ns), opt(r.programming_energy_pj), opt(r.programming_time_ns);
  opt(r.throughput_images_per_s), num(r.wall_seconds);
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
  // set: only in rows of points with "vary" axes.
  r->set.clear();
  if (json_t* st = json_object_get(o, "set")) {
    if (!json_is_object(st)) ok = false;
    const char* sk;
    json_t* sv;
    json_object_foreach(st, sk, sv) {
      try {
        r->set.emplace_back(sk, json_text(sv, JSON_ENCODE_ANY | JSON_COMPACT));
      } catch (...) {
        ok = false;
      }
    }
  }
  json_t* k = json_object_get(o, "key");
  if (ok && (!json_is_string(k) || point_key(*r) != json_string_value(k))) ok = false;
  json_decref(o);
  return ok;
}

}  // namespace rramsim
