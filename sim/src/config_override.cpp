// config_override.cpp — a system file with keys overridden by JSON path (`--set PATH=VALUE`, an
// experiment's "vary" axes): the value is put into the file's JSON tree (a device or organisation
// given by file is inlined first) and the tree is read by the same reader as every system file,
// so an override is checked exactly as the edited file would be.
#include <algorithm>
#include <map>
#include <set>
#include <mutex>
#include <cstdlib>
#include <cstring>

#include "config_reader.hpp"
#include "rramsim/point.hpp"

namespace rramsim {

thread_local int t_suggest_nearest = 0;

namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// Files parsed once per process (a grid applies overrides to the same system thousands of times).
// The cached trees are shared, never changed: a load copies only the objects and lists on its
// overrides' paths (writable_child) and shares the rest.
JsonPtr parse_file_cached(const std::string& path) {
  static std::mutex mu;
  static std::map<std::string, JsonPtr> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(path);
  if (it == cache.end()) it = cache.emplace(path, parse_file(path)).first;
  return JsonPtr(json_incref(it->second.get()));
}

// The objects and lists of one load's tree that are its own (may be changed).
using OwnNodes = std::set<const json_t*>;

// `child` (an object or a list) under `parent` at `key` or `index`, made the load's own: a
// shared one is replaced by a shallow copy (its members stay shared until changed in turn).
json_t* writable_child(json_t* parent, const char* key, size_t index, json_t* child,
                       OwnNodes* own) {
  if ((!json_is_object(child) && !json_is_array(child)) || own->count(child)) return child;
  json_t* copy = json_copy(child);
  if (!copy) throw std::bad_alloc();
  own->insert(copy);
  if (key ? json_object_set_new(parent, key, copy) : json_array_set_new(parent, index, copy))
    throw std::bad_alloc();
  return copy;
}

// Puts `value` at `path` in the system tree `root` (a system file read from `base_dir`; `own`: the
// nodes of the tree that are this load's, root included).
void apply(json_t* root, const std::string& base_dir, const Override& ov, OwnNodes* own) {
  const std::vector<std::string> segs = split_key_path(ov.path);
  json_t* cur = root;
  std::string walked;
  for (size_t i = 0; i < segs.size(); ++i) {
    const std::string& s = segs[i];
    const bool last = i + 1 == segs.size();
    if (s.empty()) throw Error(ov.path + ": empty path segment");
    if (json_is_array(cur)) {
      // An element by index, or (operating points) by its "name".
      const size_t idx = element_index(cur, s);
      if (idx >= json_array_size(cur))
        throw Error(ov.path + ": " + walked + " has no element '" + s + "' (an index below " +
                    std::to_string(json_array_size(cur)) + " or an element's name)");
      if (last) {
        json_array_set(cur, idx, ov.value.get());
        return;
      }
      cur = writable_child(cur, nullptr, idx, json_array_get(cur, idx), own);
    } else if (json_is_object(cur)) {
      if (last) {
        json_object_set(cur, s.c_str(), ov.value.get());
        return;
      }
      json_t* next = json_object_get(cur, s.c_str());
      if (!next) {
        // The reader names an unknown key and its nearest known one: let it see this one.
        json_object_set_new(cur, s.c_str(), json_object());
        next = json_object_get(cur, s.c_str());
        own->insert(next);
      } else if (json_is_string(next) && cur == root && (s == "device" || s == "organisation")) {
        JsonPtr sub = parse_file_cached(join_path(base_dir, json_string_value(next)));
        json_object_set(cur, s.c_str(), sub.get());
        next = json_object_get(cur, s.c_str());
      }
      cur = writable_child(cur, s.c_str(), 0, next, own);
    } else {
      throw Error(ov.path + ": " + walked + " is a value, not an object or a list");
    }
    walked += (walked.empty() ? "" : ".") + s;
  }
}

}  // namespace

Override parse_override(const std::string& arg) {
  const size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == arg.size())
    throw Error("expected PATH=VALUE (e.g. organisation.banks_per_channel=16), got '" + arg + "'");
  use_bnn_for_json();
  Override o;
  o.path = arg.substr(0, eq);
  const std::string v = arg.substr(eq + 1);
  json_error_t err;
  json_t* j = json_loads(v.c_str(), JSON_DECODE_ANY, &err);
  o.value.reset(j ? j : json_string(v.c_str()), json_decref);  // not JSON: a string
  o.text = json_text(o.value.get(), JSON_ENCODE_ANY | JSON_COMPACT);
  return o;
}

Override make_override(const std::string& path, const json_t* value) {
  Override o;
  o.path = path;
  o.value.reset(json_deep_copy(value), json_decref);
  if (!o.value) throw std::bad_alloc();
  o.text = json_text(o.value.get(), JSON_ENCODE_ANY | JSON_COMPACT);
  return o;
}

std::vector<std::string> split_key_path(const std::string& path) {
  std::vector<std::string> out;
  size_t p = 0;
  while (true) {
    size_t d = path.find('.', p);
    out.push_back(path.substr(p, d == std::string::npos ? std::string::npos : d - p));
    if (d == std::string::npos) break;
    p = d + 1;
  }
  return out;
}

size_t element_index(const json_t* list, const std::string& seg) {
  const size_t n = json_array_size(list);
  size_t idx = n;
  char* end = nullptr;
  unsigned long i = std::strtoul(seg.c_str(), &end, 10);
  if (end && !*end) idx = i;
  for (size_t k = 0; idx == n && k < n; ++k) {
    const char* nm = json_string_value(json_object_get(json_array_get(list, k), "name"));
    if (nm && seg == nm) idx = k;
  }
  return idx < n ? idx : n;
}

std::string nearest_key(const std::string& key, const std::set<std::string>& known) {
  std::string best;
  size_t bd = SIZE_MAX;
  for (const std::string& k : known) {
    const size_t d = edit_distance(key, k);
    if (d < bd) bd = d, best = k;
  }
  return best;
}

SystemConfig load_system_file(const std::string& path, const std::vector<Override>& overrides) {
  if (overrides.empty()) return load_system_file(path);
  JsonPtr j;
  {
    JsonPtr shared = parse_file_cached(path);
    if (!json_is_object(shared.get())) throw Error(path + ": (top level): expected an object");
    j.reset(json_copy(shared.get()));
    if (!j) throw std::bad_alloc();
  }
  OwnNodes own{j.get()};
  // A device or organisation given by file: inlined from the per-process cache (a grid reads the
  // same files thousands of times).
  for (const char* part : {"device", "organisation"}) {
    json_t* v = json_object_get(j.get(), part);
    if (json_is_string(v)) {
      JsonPtr sub = parse_file_cached(join_path(dir_of(path), json_string_value(v)));
      json_object_set(j.get(), part, sub.get());
    }
  }
  for (const Override& ov : overrides) apply(j.get(), dir_of(path), ov, &own);
  SystemConfig c;
  {
    SuggestNearest s;
    c = read_system_tree(j.get(), path, dir_of(path));
  }
  c.source = path;
  for (const Override& ov : overrides) c.overrides.push_back(ov.path + "=" + ov.text);
  return c;
}

}  // namespace rramsim
