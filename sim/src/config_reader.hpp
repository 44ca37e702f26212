// config_reader.hpp — private to sim/: the JSON reader every config file of sim/ is read with
// (system, device, organisation, experiment files): jansson through libbnn's allocator hook, a
// parse refused when an allocation failed during it, and Obj, a JSON object read key by key
// with named defaults and ranges, whose unknown keys are errors naming the file and key path.
// Every problem is thrown as rramsim::Error.
#pragma once

#include <jansson.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "rramsim/config.hpp"
#include "rramsim/error.hpp"

namespace rramsim {

struct JsonDeleter {
  void operator()(json_t* j) const { json_decref(j); }
};
using JsonPtr = std::unique_ptr<json_t, JsonDeleter>;

inline std::string fmt_num(double v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.12g", v);
  return b;
}

inline std::string dir_of(const std::string& path) {
  auto p = path.find_last_of('/');
  return p == std::string::npos ? std::string(".") : path.substr(0, p);
}

inline std::string join_path(const std::string& dir, const std::string& rel) {
  if (!rel.empty() && rel[0] == '/') return rel;
  if (dir.empty() || dir == ".") return rel;
  return dir + "/" + rel;
}

// A key path ("operating_points.nominal.write_ber_01") split at its dots.
std::vector<std::string> split_key_path(const std::string& path);
// The element of the list `list` that a path segment names: an index, or the name of an element
// whose "name" is `seg` (operating points); json_array_size(list) when none.
size_t element_index(const json_t* list, const std::string& seg);

// Routes jansson's allocations through libbnn's allocator hook (once per process).
void use_bnn_for_json();
// Allocations that failed in this thread so far (a parse or dump during which this grew is
// refused).
unsigned long json_alloc_failures();
// Parses JSON text; `name` stands for the file in messages ("name:line:column: ...").
JsonPtr parse_text(const std::string& text, const std::string& name);
JsonPtr parse_file(const std::string& path);

// While one lives (config_override.cpp), an unknown key's message also names the nearest known
// key of its object, for overrides by JSON path.
extern thread_local int t_suggest_nearest;
struct SuggestNearest {
  SuggestNearest() { ++t_suggest_nearest; }
  ~SuggestNearest() { --t_suggest_nearest; }
  SuggestNearest(const SuggestNearest&) = delete;
  SuggestNearest& operator=(const SuggestNearest&) = delete;
};
std::string nearest_key(const std::string& key, const std::set<std::string>& known);

// A JSON object being read: tracks the file, the key path and which keys were consumed, so
// unknown keys can be reported once all known ones are read.
class Obj {
 public:
  Obj(json_t* j, std::string file, std::string path)
      : j_(j), file_(std::move(file)), path_(std::move(path)) {
    if (!json_is_object(j_)) fail_here("expected a JSON object");
    used_.reserve(json_object_size(j_) + 4);
  }

  [[noreturn]] void fail(const std::string& key, const std::string& msg) const {
    throw Error(file_ + ": " + key_path(key) + ": " + msg);
  }
  [[noreturn]] void fail_here(const std::string& msg) const {
    throw Error(file_ + ": " + (path_.empty() ? std::string("(top level)") : path_) + ": " + msg);
  }
  std::string key_path(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
  }
  const std::string& file() const { return file_; }

  json_t* get(const std::string& key) {
    json_t* v = json_object_get(j_, key.c_str());
    if (std::find(used_.begin(), used_.end(), key) == used_.end()) {
      used_.push_back(key);
      found_ += v != nullptr;
    }
    return v;
  }
  bool has(const std::string& key) const { return json_object_get(j_, key.c_str()) != nullptr; }

  double num(const std::string& key, double def, double lo, double hi, bool required = false) {
    json_t* v = get(key);
    if (!v) {
      if (required) fail(key, "missing (a number in [" + fmt_num(lo) + ", " + fmt_num(hi) + "])");
      return def;
    }
    if (!json_is_number(v))
      fail(key, "expected a number in [" + fmt_num(lo) + ", " + fmt_num(hi) + "]");
    double x = json_number_value(v);
    if (!(x >= lo && x <= hi))
      fail(key, fmt_num(x) + " is outside [" + fmt_num(lo) + ", " + fmt_num(hi) + "]");
    return x;
  }

  uint64_t uint(const std::string& key, uint64_t def, uint64_t lo, uint64_t hi,
                bool required = false) {
    json_t* v = get(key);
    auto range = [&] {
      return "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
    };
    if (!v) {
      if (required) fail(key, "missing (" + range() + ")");
      return def;
    }
    if (!json_is_integer(v)) fail(key, "expected " + range());
    json_int_t x = json_integer_value(v);
    if (x < 0 || static_cast<uint64_t>(x) < lo || static_cast<uint64_t>(x) > hi)
      fail(key, std::to_string(x) + " is outside [" + std::to_string(lo) + ", " +
                    std::to_string(hi) + "]");
    return static_cast<uint64_t>(x);
  }

  std::string str(const std::string& key, const std::string& def, bool required = false) {
    json_t* v = get(key);
    if (!v) {
      if (required) fail(key, "missing (a string)");
      return def;
    }
    if (!json_is_string(v)) fail(key, "expected a string");
    return json_string_value(v);
  }

  // Reports the first key that no reader consumed ("unknown key", then " (known: <known>)" when
  // a list is given).
  void finish(const std::string& known = "") const {
    if (found_ == json_object_size(j_)) return;  // every key of the object was asked for
    const char* k;
    json_t* v;
    json_object_foreach(j_, k, v) {
      (void)v;
      if (std::find(used_.begin(), used_.end(), k) == used_.end()) {
        if (t_suggest_nearest && !used_.empty())
          fail(k, "unknown key (nearest known key: " +
                      key_path(nearest_key(k, std::set<std::string>(used_.begin(), used_.end()))) +
                      ")");
        fail(k, known.empty() ? std::string("unknown key") : "unknown key (known: " + known + ")");
      }
    }
  }

 private:
  json_t* j_;
  std::string file_, path_;
  // The keys asked for, in order (a few dozen at most: a list is cheaper than a set here, and
  // a grid of 10^4 points reads a system per point).
  std::vector<std::string> used_;
  size_t found_ = 0;  // keys of used_ that the object has
};

// A system file's tree read as load_system_file reads the file (config_override.cpp).
SystemConfig read_system_tree(json_t* j, const std::string& file, const std::string& base_dir);

// The readers of the parts of a system file (config_device.cpp, config_organisation.cpp).
rr_device read_device(json_t* j, const std::string& file, const std::string& path);
Organisation read_org(json_t* j, const std::string& file, const std::string& path);

}  // namespace rramsim
