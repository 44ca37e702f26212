// point_inputs.cpp — an experiment point's inputs loaded and checked: system (with operating
// point and seed), model, test data, and the model file's identity for fault traces.
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <zlib.h>

#include "rramsim/point.hpp"
#include "bnn/input.h"

namespace rramsim {

std::string model_file_id(const std::string& path) {
  FILE* f = nullptr;  // a regular file (bnn/input.h)
  if (bnn_input_fopen(path.c_str(), 0, &f, nullptr) != BNN_OK) throw Error(bnn_errmsg());
  uLong crc = crc32(0L, Z_NULL, 0);
  unsigned char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) crc = crc32(crc, buf, static_cast<uInt>(n));
  const bool bad = std::ferror(f) != 0;
  std::fclose(f);
  if (bad) throw Error(path + ": read error");
  char id[32];
  std::snprintf(id, sizeof id, "crc32:%08lx", static_cast<unsigned long>(crc));
  return id;
}

ModelPtr load_model(const std::string& path) {
  bnn_model* m = nullptr;
  if (bnn_model_load(&m, path.c_str()) != BNN_OK) throw Error(bnn_errmsg());
  return ModelPtr(m);
}

void open_data(bnn_dataset* ds, const std::string& spec, uint32_t images, const bnn_model* m,
               const std::string& model_path) {
  if (bnn_dataset_open(ds, spec.c_str(), "test", images) != BNN_OK)
    throw Error("--data " + spec + ": " + bnn_errmsg());
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
    throw Error(msg);
  }
  const uint32_t ncls = bnn_model_n_classes(m);
  for (uint32_t i = 0; i < ds->n; ++i)
    if (ds->labels[i] >= ncls) {
      // The data set is what is wrong (a label the model cannot predict): name it first.
      std::snprintf(msg, sizeof msg,
                    "--data %s: label %u at image %u is not one of the %u classes of %s",
                    spec.c_str(), ds->labels[i], i, ncls, model_path.c_str());
      bnn_dataset_free(ds);
      throw Error(msg);
    }
}

SystemConfig load_system(const std::string& path, const std::string& op_point, bool have_seed,
                         uint64_t seed, const std::vector<std::string>& sets) {
  std::vector<Override> ov;
  for (const std::string& a : sets) {
    try {
      ov.push_back(parse_override(a));
    } catch (const Error& e) {
      throw Error("--set: " + std::string(e.what()));
    }
  }
  SystemConfig cfg;
  try {
    cfg = load_system_file(path, ov);
  } catch (const Error& e) {
    if (ov.empty()) throw;
    // Name the override the message is about (its path appears in it), else all of them.
    std::string which;
    for (size_t k = 0; k < ov.size(); ++k)
      if (std::string(e.what()).find(ov[k].path) != std::string::npos) which = sets[k];
    if (which.empty())
      for (const std::string& a : sets) which += (which.empty() ? "" : " ") + a;
    throw Error("--set " + which + ": " + e.what());
  }
  if (!op_point.empty()) select_op_point(cfg, op_point);
  if (have_seed) cfg.seed = seed;
  return cfg;
}

}  // namespace rramsim
