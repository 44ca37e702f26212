/* model.c — the model representation: builder with shape validation, packing, inspection. */
#include <math.h>
#include <string.h>

#include "bnn_impl.h"
#include "bnn/names.h"

BNN_NAME_TABLE(layer_kind_names, BNN_LAYER_KIND_COUNT,
               {[BNN_LAYER_DENSE] = "dense",
                [BNN_LAYER_CONV3X3] = "conv3x3",
                [BNN_LAYER_MAXPOOL2] = "maxpool2"});

static void input_offset_clear(bnn_model *m);

const char *bnn_layer_kind_str(bnn_layer_kind k) {
  return BNN_NAME_OF(layer_kind_names, k, "unknown");
}

uint64_t bnn_popcount_range(const uint64_t *row, uint64_t first, uint64_t n) {
  uint64_t c = 0;
  while (n) {
    uint64_t w = first >> 6, b = first & 63;
    uint64_t take = 64 - b < n ? 64 - b : n;
    uint64_t mask = take == 64 ? ~0ull : ((1ull << take) - 1) << b;
    c += (uint64_t)__builtin_popcountll(row[w] & mask);
    first += take;
    n -= take;
  }
  return c;
}

void bnn_copy_bits(uint64_t *dst, uint64_t d, const uint64_t *src, uint64_t s, uint64_t n) {
  if (!((d | s) & 63)) { /* word-aligned: whole words, then a partial tail */
    uint64_t nw = n >> 6;
    memcpy(dst + (d >> 6), src + (s >> 6), nw * 8);
    d += nw * 64, s += nw * 64, n -= nw * 64;
  }
  while (n) {
    uint64_t sb = s & 63, db = d & 63;
    uint64_t take = 64 - sb;
    if (64 - db < take) take = 64 - db;
    if (n < take) take = n;
    uint64_t mask = take == 64 ? ~0ull : (1ull << take) - 1;
    uint64_t v = (src[s >> 6] >> sb) & mask;
    uint64_t *o = dst + (d >> 6);
    *o = (*o & ~(mask << db)) | (v << db);
    s += take, d += take, n -= take;
  }
}

bnn_status bnn_model_create(bnn_model **out, uint32_t in_c, uint32_t in_h, uint32_t in_w) {
  if (!out) return bnn_fail(BNN_E_ARG, "bnn_model_create: out is NULL");
  *out = NULL;
  if (in_c == 0 || in_h == 0 || in_w == 0 || in_c > BNN_MAX_DIM || in_h > BNN_MAX_DIM ||
      in_w > BNN_MAX_DIM || (uint64_t)in_c * in_h * in_w > BNN_MAX_FAN_IN)
    return bnn_fail(BNN_E_RANGE, "model input shape %ux%ux%u (h×w×c) outside [1, %u] per dim", in_h,
                    in_w, in_c, BNN_MAX_DIM);
  bnn_model *m = (bnn_model *)bnn_calloc(1, sizeof *m);
  if (!m) return bnn_fail(BNN_E_NOMEM, "model: out of memory");
  m->in_c = in_c, m->in_h = in_h, m->in_w = in_w;
  m->output_scale = 1.0f;
  *out = m;
  return BNN_OK;
}

void bnn_model_free(bnn_model *m) {
  if (!m) return;
  for (uint32_t i = 0; i < m->n_layers; ++i) {
    bnn_free(m->layers[i].thresh);
    bnn_free(m->layers[i].dir);
  }
  bnn_free(m->layers);
  bnn_free_aligned(m->wimg);
  bnn_free(m->provenance);
  bnn_free(m->out_affine);
  input_offset_clear(m);
  bnn_free(m);
}

bnn_status bnn_model_next_info(const bnn_model *m, bnn_layer_kind kind, uint32_t n_out,
                               int has_thresh, bnn_layer_info *info) {
  memset(info, 0, sizeof *info);
  if (m->has_output)
    return bnn_fail(BNN_E_SHAPE, "layer %u: the output layer was already added", m->n_layers);
  if (m->n_layers >= BNN_MAX_LAYERS)
    return bnn_fail(BNN_E_RANGE, "layer %u: more than %u layers", m->n_layers, BNN_MAX_LAYERS);
  uint32_t c = m->in_c, h = m->in_h, w = m->in_w;
  uint64_t addr = m->wimg_size;
  if (m->n_layers) {
    const bnn_layer_info *p = &m->layers[m->n_layers - 1].info;
    c = p->out_c, h = p->out_h, w = p->out_w;
  }
  info->kind = kind;
  info->in_c = c, info->in_h = h, info->in_w = w;
  info->input_u8 = m->n_weight_layers == 0;
  info->weight_layer_index = -1;
  info->weight_addr = addr;
  const uint32_t L = m->n_layers;
  switch (kind) {
    case BNN_LAYER_MAXPOOL2:
      if (m->n_weight_layers == 0)
        return bnn_fail(BNN_E_SHAPE,
                        "layer %u: maxpool2 needs binary input (put a weight layer first)", L);
      if (h < 2 || w < 2)
        return bnn_fail(BNN_E_SHAPE, "layer %u: maxpool2 needs input at least 2x2, got %ux%u", L, h,
                        w);
      info->input_u8 = 0;
      info->out_c = c, info->out_h = h / 2, info->out_w = w / 2;
      return BNN_OK;
    case BNN_LAYER_CONV3X3:
      if (!has_thresh)
        return bnn_fail(BNN_E_SHAPE,
                        "layer %u: conv3x3 needs thresholds (the output layer must be dense)", L);
      info->fan_in = 9 * c;
      info->out_c = n_out, info->out_h = h, info->out_w = w;
      break;
    case BNN_LAYER_DENSE: {
      uint64_t fan = (uint64_t)c * h * w;
      if (fan > BNN_MAX_FAN_IN)
        return bnn_fail(BNN_E_RANGE, "layer %u: dense fan-in %llu above %u", L,
                        (unsigned long long)fan, BNN_MAX_FAN_IN);
      info->fan_in = (uint32_t)fan;
      info->out_c = n_out, info->out_h = 1, info->out_w = 1;
      break;
    }
    default:
      return bnn_fail(BNN_E_ARG, "layer %u: unknown layer kind %d", L, (int)kind);
  }
  if (n_out == 0 || n_out > BNN_MAX_DIM)
    return bnn_fail(BNN_E_RANGE, "layer %u: %s with %u outputs (accepted 1..%u)", L,
                    bnn_layer_kind_str(kind), n_out, BNN_MAX_DIM);
  if ((uint64_t)n_out * info->out_h * info->out_w > BNN_MAX_ACT_BITS)
    return bnn_fail(BNN_E_RANGE, "layer %u: output of %u×%u×%u too large", L, info->out_h,
                    info->out_w, n_out);
  info->weight_layer_index = (int)m->n_weight_layers;
  info->is_output = !has_thresh;
  info->row_bytes = bnn_words_for_bits(info->fan_in) * 8;
  info->weight_bytes = (uint64_t)n_out * info->row_bytes;
  if (info->weight_bytes > BNN_MAX_WEIGHT_BYTES - addr)
    return bnn_fail(BNN_E_RANGE, "layer %u: weight image would exceed %llu bytes", L,
                    (unsigned long long)BNN_MAX_WEIGHT_BYTES);
  return BNN_OK;
}

bnn_status bnn_model_push(bnn_model *m, bnn_layer_kind kind, uint32_t n_out, const uint8_t *rows,
                          const int32_t *thresh, const int8_t *dir) {
  bnn_layer_info info;
  int is_weight = kind != BNN_LAYER_MAXPOOL2;
  bnn_status st = bnn_model_next_info(m, kind, n_out, !is_weight || thresh != NULL, &info);
  if (st) return st;
  if (is_weight && !thresh != !dir)
    return bnn_fail(BNN_E_ARG,
                    "layer %u: thresholds and directions must both be given or both NULL",
                    m->n_layers);
  if (is_weight && dir)
    for (uint32_t o = 0; o < n_out; ++o)
      if (dir[o] != 1 && dir[o] != -1)
        return bnn_fail(BNN_E_ARG, "layer %u: neuron %u: direction %d is not -1 or +1", m->n_layers,
                        o, dir[o]);
  if (m->n_layers == m->cap_layers) {
    uint32_t cap = m->cap_layers ? 2 * m->cap_layers : 8;
    bnn_layer *nl = (bnn_layer *)bnn_realloc(m->layers, cap * sizeof *nl);
    if (!nl) return bnn_fail(BNN_E_NOMEM, "model: out of memory");
    m->layers = nl, m->cap_layers = cap;
  }
  bnn_layer *l = &m->layers[m->n_layers];
  memset(l, 0, sizeof *l);
  l->info = info;
  if (is_weight) {
    if (thresh) {
      l->thresh = (int32_t *)bnn_malloc(n_out * sizeof *l->thresh);
      l->dir = (int8_t *)bnn_malloc(n_out);
      if (!l->thresh || !l->dir) {
        bnn_free(l->thresh), bnn_free(l->dir);
        return bnn_fail(BNN_E_NOMEM, "model: out of memory");
      }
      memcpy(l->thresh, thresh, n_out * sizeof *thresh);
      memcpy(l->dir, dir, n_out);
    }
    uint64_t size = m->wimg_size + info.weight_bytes;
    uint8_t *img = (uint8_t *)bnn_malloc_aligned((size_t)size);
    if (!img) {
      bnn_free(l->thresh), bnn_free(l->dir);
      return bnn_fail(BNN_E_NOMEM, "model: out of memory for a %llu-byte weight image",
                      (unsigned long long)size);
    }
    if (m->wimg_size) memcpy(img, m->wimg, (size_t)m->wimg_size);
    memcpy(img + m->wimg_size, rows, (size_t)info.weight_bytes);
    bnn_free_aligned(m->wimg);
    m->wimg = img, m->wimg_size = size;
    m->n_weight_layers++;
    if (info.is_output) m->has_output = 1;
  }
  m->n_layers++;
  return BNN_OK;
}

bnn_status bnn_model_check_shape(uint32_t in_c, uint32_t in_h, uint32_t in_w, uint32_t n_layers,
                                 const bnn_layer_kind *kinds, const uint32_t *n_out) {
  if (!kinds || !n_out || n_layers == 0)
    return bnn_fail(BNN_E_ARG, "bnn_model_check_shape: no layers");
  uint32_t last_weight = UINT32_MAX;
  for (uint32_t i = 0; i < n_layers; ++i)
    if (kinds[i] != BNN_LAYER_MAXPOOL2) last_weight = i;
  if (last_weight != n_layers - 1 || kinds[last_weight] != BNN_LAYER_DENSE)
    return bnn_fail(BNN_E_SHAPE, "the last layer must be the dense output layer");
  bnn_model *probe = NULL;
  bnn_status st = bnn_model_create(&probe, in_c, in_h, in_w);
  /* The probe records each layer's shape without weights (as the loader's does). */
  if (!st && !(probe->layers = (bnn_layer *)bnn_malloc(n_layers * sizeof(bnn_layer))))
    st = bnn_fail(BNN_E_NOMEM, "model: out of memory");
  if (!st) probe->cap_layers = n_layers;
  for (uint32_t i = 0; i < n_layers && !st; ++i) {
    bnn_layer_info info;
    const int thresh = kinds[i] == BNN_LAYER_MAXPOOL2 || i != last_weight;
    if ((st = bnn_model_next_info(probe, kinds[i], n_out[i], thresh, &info))) break;
    memset(&probe->layers[probe->n_layers], 0, sizeof(bnn_layer));
    probe->layers[probe->n_layers++].info = info;
    if (kinds[i] != BNN_LAYER_MAXPOOL2) {
      probe->n_weight_layers++;
      probe->wimg_size += info.weight_bytes;
    }
  }
  bnn_model_free(probe);
  return st;
}

/* Packs n_out × fan_in ±1 values into rows (bit 1 = −1, padding 0) and appends the layer. */
static bnn_status add_weight_layer(bnn_model *m, bnn_layer_kind kind, uint32_t n_out,
                                   const int8_t *w, const int32_t *thresh, const int8_t *dir) {
  if (!m || !w)
    return bnn_fail(BNN_E_ARG, "bnn_model_add_%s: model or weights NULL", bnn_layer_kind_str(kind));
  bnn_layer_info info;
  bnn_status st = bnn_model_next_info(m, kind, n_out, thresh != NULL, &info);
  if (st) return st;
  uint8_t *rows = (uint8_t *)bnn_calloc(1, (size_t)info.weight_bytes);
  if (!rows) return bnn_fail(BNN_E_NOMEM, "model: out of memory");
  for (uint32_t o = 0; o < n_out; ++o) {
    const int8_t *src = w + (size_t)o * info.fan_in;
    uint8_t *row = rows + (size_t)o * info.row_bytes;
    for (uint32_t i = 0; i < info.fan_in; ++i) {
      if (src[i] == -1) {
        row[i >> 3] |= (uint8_t)(1u << (i & 7));
      } else if (src[i] != 1) {
        bnn_free(rows);
        return bnn_fail(BNN_E_ARG, "layer %u: weight [%u][%u] = %d is not -1 or +1", m->n_layers, o,
                        i, src[i]);
      }
    }
  }
  st = bnn_model_push(m, kind, n_out, rows, thresh, dir);
  bnn_free(rows);
  return st;
}

bnn_status bnn_model_add_dense(bnn_model *m, uint32_t n_out, const int8_t *w, const int32_t *thresh,
                               const int8_t *dir) {
  return add_weight_layer(m, BNN_LAYER_DENSE, n_out, w, thresh, dir);
}

bnn_status bnn_model_add_conv3x3(bnn_model *m, uint32_t c_out, const int8_t *w,
                                 const int32_t *thresh, const int8_t *dir) {
  return add_weight_layer(m, BNN_LAYER_CONV3X3, c_out, w, thresh, dir);
}

bnn_status bnn_model_add_maxpool2(bnn_model *m) {
  if (!m) return bnn_fail(BNN_E_ARG, "bnn_model_add_maxpool2: model NULL");
  return bnn_model_push(m, BNN_LAYER_MAXPOOL2, 0, NULL, NULL, NULL);
}

void bnn_model_set_output_scale(bnn_model *m, float scale) {
  m->output_scale = scale;
}

bnn_status bnn_model_set_output_affine(bnn_model *m, const double *scale, const double *offset) {
  if (!m) return bnn_fail(BNN_E_ARG, "bnn_model_set_output_affine: model NULL");
  if (!scale && !offset) {
    bnn_free(m->out_affine);
    m->out_affine = NULL;
    return BNN_OK;
  }
  if (!scale || !offset)
    return bnn_fail(BNN_E_ARG, "output affine: scale and offset must both be given (or neither)");
  if (!m->has_output)
    return bnn_fail(BNN_E_SHAPE, "output affine: the model has no output layer yet");
  uint32_t n = bnn_model_n_classes(m);
  for (uint32_t k = 0; k < n; ++k)
    if (!isfinite(scale[k]) || !isfinite(offset[k]))
      return bnn_fail(BNN_E_RANGE, "output affine: class %u: scale %g / offset %g not finite", k,
                      scale[k], offset[k]);
  double *a = (double *)bnn_malloc(2 * (size_t)n * sizeof *a);
  if (!a) return bnn_fail(BNN_E_NOMEM, "model: out of memory");
  memcpy(a, scale, n * sizeof *a);
  memcpy(a + n, offset, n * sizeof *a);
  bnn_free(m->out_affine);
  m->out_affine = a;
  return BNN_OK;
}

int bnn_model_output_affine(const bnn_model *m, double *scale, double *offset) {
  if (!m || !m->out_affine) return 0;
  uint32_t n = bnn_model_n_classes(m);
  if (scale) memcpy(scale, m->out_affine, n * sizeof *scale);
  if (offset) memcpy(offset, m->out_affine + n, n * sizeof *offset);
  return 1;
}

/* ---- input offset ---------------------------------------------------------------------------- */

/* floor(v / 2^k) for any sign (k ≤ 61). */
static int64_t floor_shift(int64_t v, uint32_t k) {
  const int64_t d = (int64_t)1 << k;
  int64_t q = v / d;
  return q * d > v ? q - 1 : q;
}

void bnn_model_offset_thresholds(const bnn_model *m, const uint64_t *rows, int32_t *t) {
  const bnn_layer *L = &m->layers[0];
  const bnn_layer_info *I = &L->info;
  const uint64_t rw = I->row_bytes / 8;
  const uint32_t C = m->in_c;
  int64_t reach = 255 * (int64_t)I->fan_in + 1;
  if (reach > INT32_MAX) reach = INT32_MAX;
  for (uint32_t o = 0; o < I->out_c; ++o) {
    const uint64_t *row = rows + o * rw;
    /* Σ_c N_c·S_c with S_c = n_c − 2·popcount(row ∧ mask_c): the row as stored */
    int64_t off = 0;
    for (uint32_t c = 0; c < C; ++c) {
      uint64_t pc = 0;
      if (C == 1) {
        pc = bnn_popcount_range(row, 0, I->fan_in);
      } else {
        const uint64_t *mk = m->in_off_mask + (uint64_t)c * rw;
        for (uint64_t k = 0; k < rw; ++k) pc += (uint64_t)__builtin_popcountll(row[k] & mk[k]);
      }
      const int64_t n_c = (int64_t)(I->fan_in / C);
      off += m->in_off_num[c] * (n_c - 2 * (int64_t)pc);
    }
    /* v = 2^k·a − off ≥ T ⟺ a ≥ ceil((T + off) / 2^k);  v ≤ T ⟺ a ≤ floor((T + off) / 2^k) */
    const int64_t v = m->in_off_t[o] + off; /* bounded at set: no overflow */
    int64_t r = L->dir[o] > 0 ? -floor_shift(-v, m->in_off_shift) : floor_shift(v, m->in_off_shift);
    t[o] = (int32_t)(r > reach ? reach : r < -reach ? -reach : r);
  }
}

static void input_offset_clear(bnn_model *m) {
  bnn_free(m->in_off_t), bnn_free(m->in_off_num), bnn_free(m->in_off_mask);
  m->in_off_t = m->in_off_num = NULL;
  m->in_off_mask = NULL;
  m->in_off_shift = 0;
}

bnn_status bnn_model_set_input_offset(bnn_model *m, uint32_t shift, const int64_t *num,
                                      const int64_t *thresh) {
  if (!m) return bnn_fail(BNN_E_ARG, "bnn_model_set_input_offset: model NULL");
  if (!num && !thresh) {
    input_offset_clear(m);
    return BNN_OK;
  }
  if (!num || !thresh)
    return bnn_fail(BNN_E_ARG, "input offset: numerators and thresholds must both be given");
  if (m->n_layers == 0 || m->layers[0].info.kind != BNN_LAYER_DENSE || !m->layers[0].thresh)
    return bnn_fail(BNN_E_SHAPE,
                    "input offset: the first layer must be a hidden dense layer (a "
                    "padded conv's zero padding is not an offset pixel)");
  const bnn_layer_info *I = &m->layers[0].info;
  const uint32_t C = m->in_c;
  if (C > BNN_MAX_OFFSET_CHANNELS)
    return bnn_fail(BNN_E_RANGE, "input offset: %u input channels (accepted 1..%u)", C,
                    BNN_MAX_OFFSET_CHANNELS);
  /* |2^k·a| ≤ 2^k·255·F, |Σ N_c·S_c| ≤ max|N_c|·F, |T| ≤ 2^61: every sum fits int64. */
  const uint64_t F = I->fan_in, lim = 1ull << 61;
  if (shift > 61 || 255ull * F > (lim >> shift))
    return bnn_fail(BNN_E_RANGE,
                    "input offset: denominator 2^%u with fan-in %u overflows 64-bit arithmetic "
                    "(accepted 2^k·255·fan_in ≤ 2^61)",
                    shift, I->fan_in);
  for (uint32_t c = 0; c < C; ++c)
    if (num[c] < -(int64_t)(lim / F) || num[c] > (int64_t)(lim / F))
      return bnn_fail(BNN_E_RANGE,
                      "input offset: channel %u: numerator %lld with fan-in %u overflows 64-bit "
                      "arithmetic (accepted |N|·fan_in ≤ 2^61)",
                      c, (long long)num[c], I->fan_in);
  for (uint32_t o = 0; o < I->out_c; ++o)
    if (thresh[o] < -(int64_t)lim || thresh[o] > (int64_t)lim)
      return bnn_fail(BNN_E_RANGE, "input offset: neuron %u: threshold %lld outside ±2^61", o,
                      (long long)thresh[o]);
  const uint64_t rw = I->row_bytes / 8;
  int64_t *t = (int64_t *)bnn_malloc((size_t)I->out_c * sizeof *t);
  int64_t *nm = (int64_t *)bnn_malloc((size_t)C * sizeof *nm);
  uint64_t *mk = C > 1 ? (uint64_t *)bnn_calloc((size_t)(C * rw), sizeof *mk) : NULL;
  if (!t || !nm || (C > 1 && !mk)) {
    bnn_free(t), bnn_free(nm), bnn_free(mk);
    return bnn_fail(BNN_E_NOMEM, "model: out of memory");
  }
  memcpy(t, thresh, (size_t)I->out_c * sizeof *t);
  memcpy(nm, num, (size_t)C * sizeof *nm);
  if (mk) /* input i (HWC flatten) is channel i % C */
    for (uint64_t i = 0; i < F; ++i) mk[(i % C) * rw + i / 64] |= 1ull << (i % 64);
  input_offset_clear(m);
  m->in_off_t = t, m->in_off_num = nm, m->in_off_mask = mk, m->in_off_shift = shift;
  /* The layer's own int32 thresholds: those of the model's (clean) weights. */
  bnn_model_offset_thresholds(m, (const uint64_t *)(m->wimg + I->weight_addr), m->layers[0].thresh);
  return BNN_OK;
}

int bnn_model_input_offset(const bnn_model *m, uint32_t *shift, int64_t *num, int64_t *thresh) {
  if (!m || !m->in_off_t) return 0;
  if (shift) *shift = m->in_off_shift;
  if (num) memcpy(num, m->in_off_num, (size_t)m->in_c * sizeof *num);
  if (thresh) memcpy(thresh, m->in_off_t, (size_t)m->layers[0].info.out_c * sizeof *thresh);
  return 1;
}

uint32_t bnn_model_predict_scores(const bnn_model *m, const int32_t *s) {
  uint32_t n = bnn_model_n_classes(m), best = 0; /* ties go to the lowest class index */
  if (m->out_affine) {
    const double *sc = m->out_affine, *of = m->out_affine + n;
    double vb = sc[0] * s[0] + of[0];
    for (uint32_t c = 1; c < n; ++c) {
      double v = sc[c] * s[c] + of[c];
      if (v > vb) vb = v, best = c;
    }
    return best;
  }
  for (uint32_t c = 1; c < n; ++c)
    if (s[c] > s[best]) best = c;
  return best;
}

bnn_status bnn_model_set_provenance(bnn_model *m, const char *json) {
  size_t n = json ? strlen(json) : 0;
  if (n > BNN_MAX_PROVENANCE)
    return bnn_fail(BNN_E_RANGE, "provenance of %zu bytes above %u", n, BNN_MAX_PROVENANCE);
  char *p = (char *)bnn_malloc(n + 1);
  if (!p) return bnn_fail(BNN_E_NOMEM, "model: out of memory");
  if (n) memcpy(p, json, n);
  p[n] = '\0';
  bnn_free(m->provenance);
  m->provenance = p;
  return BNN_OK;
}

uint32_t bnn_model_n_layers(const bnn_model *m) {
  return m->n_layers;
}

bnn_status bnn_model_layer(const bnn_model *m, uint32_t i, bnn_layer_info *info) {
  if (i >= m->n_layers) return bnn_fail(BNN_E_ARG, "layer %u: model has %u layers", i, m->n_layers);
  *info = m->layers[i].info;
  return BNN_OK;
}

void bnn_model_input_shape(const bnn_model *m, uint32_t *c, uint32_t *h, uint32_t *w) {
  if (c) *c = m->in_c;
  if (h) *h = m->in_h;
  if (w) *w = m->in_w;
}

uint32_t bnn_model_n_classes(const bnn_model *m) {
  if (!m->has_output) return 0;
  return m->layers[m->n_layers - 1].info.out_c;
}

float bnn_model_output_scale(const bnn_model *m) {
  return m->output_scale;
}

const char *bnn_model_provenance(const bnn_model *m) {
  return m->provenance ? m->provenance : "";
}

/* `layer` indexes all layers (as bnn_model_layer does); it must be a weight layer. */
int bnn_model_weight(const bnn_model *m, uint32_t layer, uint32_t o, uint32_t i) {
  if (layer >= m->n_layers) return 0;
  const bnn_layer_info *L = &m->layers[layer].info;
  if (L->weight_layer_index < 0 || o >= L->out_c || i >= L->fan_in) return 0;
  const uint8_t *row = m->wimg + L->weight_addr + (uint64_t)o * L->row_bytes;
  return (row[i >> 3] >> (i & 7)) & 1 ? -1 : 1;
}

bnn_status bnn_model_threshold(const bnn_model *m, uint32_t layer, uint32_t o, int32_t *t,
                               int8_t *d) {
  if (layer >= m->n_layers || !m->layers[layer].thresh || o >= m->layers[layer].info.out_c)
    return bnn_fail(BNN_E_ARG, "layer %u neuron %u: not a hidden weight layer neuron", layer, o);
  if (t) *t = m->layers[layer].thresh[o];
  if (d) *d = m->layers[layer].dir[o];
  return BNN_OK;
}

const uint8_t *bnn_model_weight_image(const bnn_model *m, uint64_t *size) {
  if (size) *size = m->wimg_size;
  return m->wimg;
}
