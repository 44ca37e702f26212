// point_row.cpp — a point's identity (key) and its result row as one-line JSON and CSV, and the
// JSON row read back (sweep resume, plot).
#include <cstdio>
#include <new>
#include <sstream>

#include <jansson.h>

#include "rramsim/point.hpp"

namespace rramsim {

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

}  // namespace rramsim
