// config_experiment.cpp — experiment files (rramsim/config_experiment.hpp) read and checked.
#include "rramsim/config_experiment.hpp"
#include "bnn/input.h"

#include <cstdio>

#include <cstring>

#include "config_reader.hpp"

namespace rramsim {

namespace {

const char* const kKnown =
    "name, description, mode, systems, op_points, models, seeds, data, images, weight_reuse, "
    "threads, rram_layers, error_map, vary, vary_zip";

std::vector<std::string> str_list(const Obj& o, json_t* v, const std::string& key) {
  std::vector<std::string> out;
  if (json_is_string(v)) {
    out.push_back(json_string_value(v));
  } else if (json_is_array(v)) {
    size_t i;
    json_t* x;
    json_array_foreach(v, i, x) {
      if (!json_is_string(x)) o.fail(key + "[" + std::to_string(i) + "]", "expected a string");
      out.push_back(json_string_value(x));
    }
  } else {
    o.fail(key, "expected a string or a list of strings");
  }
  if (out.empty()) o.fail(key, "must not be empty");
  return out;
}

uint64_t int_in(const Obj& o, json_t* v, const std::string& key, uint64_t lo, uint64_t hi) {
  if (!json_is_integer(v) || json_integer_value(v) < 0 ||
      static_cast<uint64_t>(json_integer_value(v)) < lo ||
      static_cast<uint64_t>(json_integer_value(v)) > hi)
    o.fail(key, "expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return static_cast<uint64_t>(json_integer_value(v));
}

// Paths relative to the experiment file's directory, spelt "<dir>/<path>" (also "./<path>"), as
// the keys of earlier result rows have them.
std::string resolve(const std::string& base, const std::string& p) {
  return p.empty() || p[0] == '/' ? p : base + "/" + p;
}

bool is_str(json_t* v, const char* s) {
  return json_is_string(v) && !std::strcmp(json_string_value(v), s);
}

}  // namespace

Experiment load_experiment(const std::string& path) {
  Experiment e;
  e.path = path;
  use_bnn_for_json();
  const unsigned long failures = json_alloc_failures();
  json_error_t err;
  // A regular file of at most 16 MiB (bnn/input.h): a directory, FIFO or device is refused by
  // name before jansson sees it (a directory used to give ":1:0: '[' or '{' expected").
  FILE* in = nullptr;
  if (bnn_input_fopen(path.c_str(), BNN_INPUT_TEXT_MAX, &in, nullptr) != BNN_OK)
    throw Error(bnn_errmsg());
  JsonPtr root(json_loadf(in, JSON_REJECT_DUPLICATES, &err));
  std::fclose(in);
  if (json_alloc_failures() != failures)
    throw Error(path + ": out of memory while parsing the JSON");
  if (!root) {
    if (err.line < 0) throw Error(path + ": " + err.text);
    throw Error(path + ":" + std::to_string(err.line) + ":" + std::to_string(err.column) + ": " +
                err.text);
  }
  if (!json_is_object(root.get())) throw Error(path + ": (top level): expected an object");
  Obj o(root.get(), path, "");
  const std::string base = dir_of(path);
  o.str("description", "");
  e.name = o.str("name", "");
  if (json_t* v = o.get("mode")) {
    if (!is_str(v, "functional") && !is_str(v, "timed"))
      o.fail("mode", "expected \"functional\" or \"timed\"");
    e.mode = json_string_value(v);
  }
  json_t* v = o.get("systems");
  if (!v) o.fail("systems", "required");
  for (const std::string& s : str_list(o, v, "systems")) e.systems.push_back(resolve(base, s));
  if (json_t* ops = o.get("op_points")) {
    if (is_str(ops, "all"))
      e.all_op_points = true;
    else
      e.op_points = str_list(o, ops, "op_points");
  }
  v = o.get("models");
  if (!v) o.fail("models", "required");
  for (const std::string& s : str_list(o, v, "models")) e.models.push_back(resolve(base, s));
  if (json_t* seeds = o.get("seeds")) {
    if (!json_is_array(seeds) || json_array_size(seeds) == 0)
      o.fail("seeds", "expected a non-empty list of integers");
    e.seeds.clear();
    size_t i;
    json_t* x;
    json_array_foreach(seeds, i, x)
        e.seeds.push_back(int_in(o, x, "seeds[" + std::to_string(i) + "]", 0, INT64_MAX));
  }
  e.data = o.str("data", e.data);
  if (json_t* n = o.get("images"))
    e.images = static_cast<uint32_t>(int_in(o, n, "images", 0, UINT32_MAX));
  if (json_t* n = o.get("weight_reuse"))
    e.weight_reuse = static_cast<uint32_t>(int_in(o, n, "weight_reuse", 1, 65536));
  if (json_t* n = o.get("threads")) e.threads = static_cast<int>(int_in(o, n, "threads", 1, 64));
  if (json_t* rl = o.get("rram_layers")) {
    if (is_str(rl, "all")) {
      e.rram_layer_mask = ~uint64_t{0};
    } else if (json_is_array(rl)) {
      e.rram_layer_mask = 0;
      size_t i;
      json_t* x;
      json_array_foreach(rl, i, x) e.rram_layer_mask |=
          uint64_t{1} << int_in(o, x, "rram_layers[" + std::to_string(i) + "]", 0, 63);
    } else {
      o.fail("rram_layers", "expected \"all\" or a list of weight-layer indices");
    }
  }
  if (json_t* em = o.get("error_map")) {
    if (!json_is_string(em) || !*json_string_value(em))
      o.fail("error_map", "expected a file path (relative to this file)");
    e.error_map = resolve(base, json_string_value(em));
  }
  if (json_t* va = o.get("vary")) {
    if (!json_is_object(va) || json_object_size(va) == 0)
      o.fail("vary", "expected an object of system-key paths to non-empty lists of values");
    const char* k;
    json_t* l;
    json_object_foreach(va, k, l) {
      if (!json_is_array(l) || json_array_size(l) == 0)
        o.fail(std::string("vary.") + k, "expected a non-empty list of values");
      Experiment::Axis a;
      a.paths.push_back(k);
      size_t i;
      json_t* x;
      json_array_foreach(l, i, x) a.values.push_back({make_override(k, x)});
      e.axes.push_back(std::move(a));
    }
  }
  if (json_t* vz = o.get("vary_zip")) {
    if (!json_is_object(vz) || json_object_size(vz) == 0)
      o.fail("vary_zip", "expected an object of system-key paths to lists of equal length");
    Experiment::Axis a;
    const char* k;
    json_t* l;
    json_object_foreach(vz, k, l) {
      if (!json_is_array(l) || json_array_size(l) == 0)
        o.fail(std::string("vary_zip.") + k, "expected a non-empty list of values");
      if (!a.paths.empty() && json_array_size(l) != a.values.size())
        o.fail(std::string("vary_zip.") + k,
               std::to_string(json_array_size(l)) + " values, but vary_zip." + a.paths[0] +
                   " has " + std::to_string(a.values.size()) + " (zipped lists walk together)");
      if (a.paths.empty()) a.values.resize(json_array_size(l));
      a.paths.push_back(k);
      for (size_t i = 0; i < a.values.size(); ++i)
        a.values[i].push_back(make_override(k, json_array_get(l, i)));
    }
    e.axes.push_back(std::move(a));
  }
  o.finish(kKnown);
  return e;
}

}  // namespace rramsim
