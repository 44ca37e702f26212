// bnn_testutil.h — test helpers: random models built in code and a naive integer forward pass
// (independent of the engine: it reads weights through bnn_model_weight, one value at a time).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "bnn/bnn.h"
#include "bnn/data.h"
#include "bnn/rng.h"

namespace bnntest {

// A per-process path in the build directory, <prefix><pid>_<name> (ctest -j runs do not collide).
inline std::string tmp_file(const std::string &prefix, const std::string &name) {
  return std::string(RRAMSIM_BINARY_DIR) + "/" + prefix + std::to_string((long)getpid()) + "_" +
         name;
}

// A whole file's bytes (empty if it cannot be read).
inline std::vector<uint8_t> file_bytes(const std::string &p) {
  std::ifstream f(p, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)),
                              std::istreambuf_iterator<char>());
}

// One layer of an architecture: 'd' dense, 'c' conv3x3, 'p' maxpool2; n = outputs.
struct LayerSpec {
  char kind;
  uint32_t n;
};

// Builds a model with random ±1 weights, random thresholds around the expected pre-activation and
// random directions; the last dense layer is the output layer.
inline bnn_model *random_model(uint32_t c, uint32_t h, uint32_t w,
                               const std::vector<LayerSpec> &spec, uint64_t seed) {
  bnn_model *m = nullptr;
  if (bnn_model_create(&m, c, h, w) != BNN_OK) return nullptr;
  bnn_rng r = bnn_rng_make(seed, 1);
  size_t last = spec.size() - 1;
  for (size_t l = 0; l < spec.size(); ++l) {
    const LayerSpec &s = spec[l];
    bnn_status st;
    if (s.kind == 'p') {
      st = bnn_model_add_maxpool2(m);
    } else {
      bnn_layer_info info;
      uint32_t nl = bnn_model_n_layers(m);
      uint32_t in_c = c, in_h = h, in_w = w;
      if (nl) {
        bnn_model_layer(m, nl - 1, &info);
        in_c = info.out_c, in_h = info.out_h, in_w = info.out_w;
      }
      bool first = true;
      for (uint32_t i = 0; i < nl; ++i) {
        bnn_model_layer(m, i, &info);
        if (info.weight_layer_index >= 0) first = false;
      }
      uint64_t fan = s.kind == 'c' ? 9ull * in_c : (uint64_t)in_c * in_h * in_w;
      std::vector<int8_t> wt((size_t)(fan * s.n));
      for (auto &v : wt) v = (bnn_rng_u64(&r) & 1) ? 1 : -1;
      std::vector<int32_t> th(s.n);
      std::vector<int8_t> dir(s.n);
      for (uint32_t o = 0; o < s.n; ++o) {
        int64_t sum = 0;
        for (uint64_t i = 0; i < fan; ++i) sum += wt[(size_t)(o * fan + i)];
        // Expected pre-activation: ~128·Σw for pixels, ~0 for ±1 inputs; jitter a little.
        int32_t centre = first ? (int32_t)(sum * 128) : 0;
        th[o] = centre + (int32_t)bnn_rng_below(&r, 9) - 4;
        dir[o] = (bnn_rng_u64(&r) & 1) ? 1 : -1;
      }
      bool out = l == last;
      if (s.kind == 'c')
        st = bnn_model_add_conv3x3(m, s.n, wt.data(), th.data(), dir.data());
      else
        st = bnn_model_add_dense(m, s.n, wt.data(), out ? nullptr : th.data(),
                                 out ? nullptr : dir.data());
    }
    if (st != BNN_OK) {
      bnn_model_free(m);
      return nullptr;
    }
  }
  return m;
}

inline std::vector<uint8_t> random_images(const bnn_model *m, size_t n, uint64_t seed) {
  uint32_t c, h, w;
  bnn_model_input_shape(m, &c, &h, &w);
  std::vector<uint8_t> v(n * c * h * w);
  bnn_rng r = bnn_rng_make(seed, 2);
  for (auto &x : v) x = (uint8_t)bnn_rng_below(&r, 256);
  return v;
}

// A random model with random images labelled by the model's own clean predictions: accuracy 1 at
// BER 0, falling as bits flip. A random model has no task, but it has margins, which is all that
// fault injection and the analytic prediction need. Owns the model and the data set's buffers.
struct SelfLabelled {
  bnn_model *m = nullptr;
  std::vector<uint8_t> images, labels;
  bnn_dataset ds{};
  SelfLabelled(uint32_t c, uint32_t h, uint32_t w, const std::vector<LayerSpec> &spec,
               uint64_t model_seed, size_t n, uint64_t image_seed) {
    m = random_model(c, h, w, spec, model_seed);
    if (!m) return;
    images = random_images(m, n, image_seed);
    labels.resize(n);
    bnn_port *port = nullptr;
    bnn_engine *e = nullptr;
    const bnn_infer_params ip = bnn_infer_default_params();
    if (bnn_host_port_create(&port, m) != BNN_OK || bnn_engine_create(&e, m, port, &ip) != BNN_OK ||
        bnn_engine_run(e, images.data(), n, nullptr, labels.data()) != BNN_OK) {
      bnn_model_free(m);  // the test sees m == nullptr
      m = nullptr;
    }
    bnn_engine_destroy(e);
    bnn_port_destroy(port);
    ds.n = (uint32_t)n, ds.c = c, ds.h = h, ds.w = w,
    ds.n_classes = bnn_model_n_classes(m ? m : nullptr);
    ds.images = images.data(), ds.labels = labels.data();
    std::snprintf(ds.name, sizeof ds.name, "random");
  }
  SelfLabelled(const SelfLabelled &) = delete;
  SelfLabelled &operator=(const SelfLabelled &) = delete;
  ~SelfLabelled() { bnn_model_free(m); }
};

// Naive forward pass of one image (HWC u8): integer output scores.
inline std::vector<int32_t> naive_scores(const bnn_model *m, const uint8_t *img) {
  uint32_t C, H, W;
  bnn_model_input_shape(m, &C, &H, &W);
  std::vector<int64_t> x(img, img + (size_t)C * H * W);  // values: pixels, then ±1
  std::vector<int32_t> scores;
  for (uint32_t l = 0; l < bnn_model_n_layers(m); ++l) {
    bnn_layer_info I;
    bnn_model_layer(m, l, &I);
    std::vector<int64_t> y((size_t)I.out_c * I.out_h * I.out_w);
    std::vector<int64_t> a(y.size());
    if (I.kind == BNN_LAYER_MAXPOOL2) {
      for (uint32_t oy = 0; oy < I.out_h; ++oy)
        for (uint32_t ox = 0; ox < I.out_w; ++ox)
          for (uint32_t c = 0; c < I.out_c; ++c) {
            int64_t mx = -2;
            for (int dy = 0; dy < 2; ++dy)
              for (int dx = 0; dx < 2; ++dx) {
                int64_t v = x[((size_t)(2 * oy + dy) * I.in_w + 2 * ox + dx) * I.in_c + c];
                if (v > mx) mx = v;
              }
            y[((size_t)oy * I.out_w + ox) * I.out_c + c] = mx;
          }
      x.swap(y);
      continue;
    }
    if (I.kind == BNN_LAYER_DENSE) {
      for (uint32_t o = 0; o < I.out_c; ++o) {
        int64_t s = 0;
        for (uint32_t i = 0; i < I.fan_in; ++i) s += bnn_model_weight(m, l, o, i) * x[i];
        a[o] = s;
      }
    } else {
      for (uint32_t yy = 0; yy < I.in_h; ++yy)
        for (uint32_t xx = 0; xx < I.in_w; ++xx)
          for (uint32_t o = 0; o < I.out_c; ++o) {
            int64_t s = 0;
            for (int ky = 0; ky < 3; ++ky)
              for (int kx = 0; kx < 3; ++kx) {
                int sy = (int)yy + ky - 1, sx = (int)xx + kx - 1;
                if (sy < 0 || sx < 0 || sy >= (int)I.in_h || sx >= (int)I.in_w) continue;  // pad: 0
                for (uint32_t c = 0; c < I.in_c; ++c)
                  s += bnn_model_weight(m, l, o, (uint32_t)((ky * 3 + kx) * I.in_c + c)) *
                       x[((size_t)sy * I.in_w + sx) * I.in_c + c];
              }
            a[((size_t)yy * I.in_w + xx) * I.out_c + o] = s;
          }
    }
    if (I.is_output) {
      for (auto v : a) scores.push_back((int32_t)v);
      return scores;
    }
    for (size_t k = 0; k < a.size(); ++k) {
      int32_t t;
      int8_t d;
      bnn_model_threshold(m, l, (uint32_t)(k % I.out_c), &t, &d);
      y[k] = (d > 0 ? a[k] >= t : a[k] <= t) ? 1 : -1;
    }
    x.swap(y);
  }
  return scores;
}

inline int argmax(const int32_t *s, size_t n) {
  size_t b = 0;
  for (size_t i = 1; i < n; ++i)
    if (s[i] > s[b]) b = i;
  return (int)b;
}

// A port that forwards to another port and records every byte it delivered (read or mapped).
struct CountingPort {
  bnn_port base;
  bnn_port *inner;
  std::vector<uint32_t> reads;  // per byte of the weight image
  bool allow_map;
  static bnn_status read(bnn_port *p, uint64_t addr, void *dst, size_t n) {
    auto *c = reinterpret_cast<CountingPort *>(p);
    for (size_t i = 0; i < n && addr + i < c->reads.size(); ++i) c->reads[addr + i]++;
    return bnn_port_read(c->inner, addr, dst, n);
  }
  static bnn_status write(bnn_port *p, uint64_t addr, const void *src, size_t n) {
    return bnn_port_write(reinterpret_cast<CountingPort *>(p)->inner, addr, src, n);
  }
  static const void *map(bnn_port *p, uint64_t addr, size_t n) {
    auto *c = reinterpret_cast<CountingPort *>(p);
    if (!c->allow_map) return nullptr;
    const void *r = bnn_port_map(c->inner, addr, n);
    if (r)
      for (size_t i = 0; i < n && addr + i < c->reads.size(); ++i) c->reads[addr + i]++;
    return r;
  }
  static void destroy(bnn_port *) {}
  static const bnn_port_vtbl *vtbl() {
    static const bnn_port_vtbl vt = {read, write, map, destroy};
    return &vt;
  }
  CountingPort(bnn_port *in, uint64_t size, bool map_ok)
      : inner(in), reads((size_t)size, 0), allow_map(map_ok) {
    base.vt = vtbl();
  }
};

// Runs a model over images with given port/params; returns scores (n × classes).
inline std::vector<int32_t> run(const bnn_model *m, bnn_port *port,
                                const std::vector<uint8_t> &imgs, size_t n, int threads,
                                bnn_kernel k, uint32_t reuse = 0,
                                std::vector<uint8_t> *pred = nullptr) {
  bnn_infer_params p = bnn_infer_default_params();
  p.threads = threads;
  p.kernel = k;
  p.weight_reuse = reuse;
  bnn_engine *e = nullptr;
  std::vector<int32_t> s(n * bnn_model_n_classes(m));
  if (bnn_engine_create(&e, m, port, &p) != BNN_OK) return {};
  std::vector<uint8_t> pr(n);
  if (bnn_engine_run(e, imgs.data(), n, s.data(), pr.data()) != BNN_OK) s.clear();
  bnn_engine_destroy(e);
  if (pred) *pred = pr;
  return s;
}

}  // namespace bnntest
