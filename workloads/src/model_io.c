/* model_io.c — the model file: writer (atomic temp + rename) and validating loader.
 *
 * Format versions 1, 2 and 3. All integers little-endian; CRC32 is zlib's crc32 (ISO-HDLC, poly
 * 0xEDB88320). Version 2 = version 1 plus a fifth section, OAFF (the per-class output affine).
 * Version 3 = version 2 (OAFF possibly empty) plus a sixth, IOFF (the input offset). The writer
 * uses version 1 for models with neither (so their files are unchanged), version 2 for models with
 * an output affine only, version 3 for models with an input offset; the loader reads all three.
 *
 *   File    = Header · Section(ARCH) · Section(THRS) · Section(WGHT) · Section(PROV)
 *             [· Section(OAFF), versions 2 and 3] [· Section(IOFF), version 3 only], then EOF
 *             (trailing bytes are an error). Sections appear exactly once, in this order.
 *
 *   Header (24 bytes)
 *     off  size  field
 *       0     8  magic, the ASCII bytes "RRBNNMDL"
 *       8     4  u32 format version = 1, 2 or 3
 *      12     4  u32 section count = 4 (version 1), 5 (version 2) or 6 (version 3)
 *      16     4  u32 flags = 0 (reserved)
 *      20     4  u32 CRC32 of bytes 0..19
 *
 *   Section (16 + L + 4 bytes)
 *       0     4  tag, 4 ASCII bytes: "ARCH", "THRS", "WGHT", "PROV", "OAFF" or "IOFF"
 *       4     4  u32 reserved = 0
 *       8     8  u64 payload length L
 *      16     L  payload
 *    16+L     4  u32 CRC32 of the payload
 *
 *   ARCH payload (L = 20 + 8·n_layers)
 *       0     4  u32 input channels c      (1..65536)
 *       4     4  u32 input height h        (1..65536)
 *       8     4  u32 input width w         (1..65536; h·w·c ≤ 2^26)
 *      12     4  u32 n_layers              (1..256)
 *      16     4  f32 output scale (IEEE-754 binary32; finite)
 *      20   8·n  per layer: u32 kind (0 dense, 1 conv3x3, 2 maxpool2), u32 outputs (neurons or
 *                output channels; 0 for maxpool2)
 *     Shapes follow from the input shape and the layer list (see bnn.h); the last weight layer is
 *     the output layer and must be dense; no layer may follow it.
 *
 *   THRS payload (L = Σ over hidden weight layers of 5·out_c)
 *     per hidden weight layer, in order: out_c × i32 threshold, then out_c × i8 direction (−1 or
 * +1). With an input offset (version 3) the first layer's i32 thresholds are those the offset rule
 *     gives for the stored weights (bnn_model_set_input_offset); the loader checks they are.
 *
 *   WGHT payload (L = Σ over weight layers of out_c · row_bytes): the weight image exactly as
 *     bnn_model_weight_image returns it — each weight layer's rows back to back, a row holding
 *     fan_in bits (bit i = bit i%8 of byte i/8; bit 0 = +1, bit 1 = −1) padded with 0 bits to
 *     row_bytes = 8·ceil(fan_in/64). Padding bits must be 0.
 *
 *   PROV payload (L ≤ 1 MiB): provenance, UTF-8 JSON text without NUL bytes (may be empty).
 *
 *   OAFF payload (version 2; L = 16·n_classes, n_classes = the output layer's neurons):
 *     n_classes × f64 scale, then n_classes × f64 offset (IEEE-754 binary64, each finite); the
 *     prediction is the arg-max over k of scale_k·a_k + offset_k (a_k the integer scores).
 *     Version 3: L = 0 (no output affine) or 16·n_classes.
 *
 *   IOFF payload (version 3; L = 16 + 8·(c + n), c = input channels, n = the first layer's
 *     outputs; the first layer must be a hidden dense layer):
 *       0     4  u32 shift k (the offset's denominator is 2^k)
 *       4     4  u32 c (= ARCH's input channels, 1..64)
 *       8     4  u32 n (= the first layer's outputs)
 *      12     4  u32 reserved = 0
 *      16   8·c  i64 numerator N_c per input channel: pixel offset q_c = N_c / 2^k
 *   16+8c   8·n  i64 threshold T_j per first-layer neuron: neuron j outputs +1 iff
 *                (d_j > 0 ? v_j ≥ T_j : v_j ≤ T_j), v_j = 2^k·Σ_i w_ji·p_i − Σ_c N_c·S_jc,
 *                S_jc = Σ w_ji over the inputs of channel c of the weights as read (bnn.h)
 *
 * The loader checks every length against the value implied by what came before and against the
 * file size BEFORE allocating, so a corrupt length can neither overflow nor allocate absurd memory.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "bnn/durable.h"
#include "bnn/input.h"
#include "bnn_impl.h"

#define MODEL_MAGIC        "RRBNNMDL"
#define MODEL_VERSION      1u /* models without an output affine */
#define MODEL_VERSION_OAFF 2u /* models with one: a fifth section */
#define MODEL_VERSION_IOFF 3u /* models with an input offset: OAFF (maybe empty) and IOFF */
#define MODEL_SECTIONS     4u
#define MODEL_SECTIONS_MAX 6u
#define HEADER_BYTES       24u
#define SECTION_HEAD_BYTES 16u

/* The fuzz build (cmake/RramsimFuzz.cmake) defines FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, the
 * libFuzzer convention: CRC mismatches are then ignored so mutated inputs reach the validation that
 * sits behind the checksums. Never defined in a normal build. */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define MODEL_CRC_CHECKED 0
#else
#define MODEL_CRC_CHECKED 1
#endif

static const char *const section_tags[MODEL_SECTIONS_MAX] = {"ARCH", "THRS", "WGHT",
                                                             "PROV", "OAFF", "IOFF"};

static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const uint8_t *p) {
  return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* zlib's crc32 takes uInt lengths: feed large buffers in chunks. */
static uint32_t crc_of(const void *data, uint64_t n) {
  uLong c = crc32(0L, Z_NULL, 0);
  const Bytef *p = (const Bytef *)data;
  while (n) {
    uInt take = n > (1u << 30) ? (1u << 30) : (uInt)n;
    c = crc32(c, p, take);
    p += take, n -= take;
  }
  return (uint32_t)c;
}

/* ---- writer ---- */

static int write_all(FILE *f, const void *p, uint64_t n) {
  return n == 0 || fwrite(p, 1, (size_t)n, f) == (size_t)n;
}

static int write_section(FILE *f, const char *tag, const void *payload, uint64_t n) {
  uint8_t head[SECTION_HEAD_BYTES], crc[4];
  memcpy(head, tag, 4);
  put32(head + 4, 0);
  put64(head + 8, n);
  put32(crc, crc_of(payload, n));
  return write_all(f, head, sizeof head) && write_all(f, payload, n) && write_all(f, crc, 4);
}

bnn_status bnn_model_save(const bnn_model *m, const char *path) {
  if (!m || !path) return bnn_fail(BNN_E_ARG, "bnn_model_save: model or path NULL");
  if (!m->has_output)
    return bnn_fail(BNN_E_SHAPE, "%s: model has no output layer; not saved", path);
  if (!isfinite(m->output_scale))
    return bnn_fail(BNN_E_ARG, "%s: output scale is not finite", path);
  /* ARCH and THRS payloads */
  uint64_t arch_n = 20 + 8ull * m->n_layers, thrs_n = 0;
  for (uint32_t i = 0; i < m->n_layers; ++i)
    if (m->layers[i].thresh) thrs_n += 5ull * m->layers[i].info.out_c;
  uint8_t *arch = (uint8_t *)bnn_malloc((size_t)arch_n);
  uint8_t *thrs = (uint8_t *)bnn_malloc((size_t)thrs_n);
  if (!arch || !thrs) {
    bnn_free(arch), bnn_free(thrs);
    return bnn_fail(BNN_E_NOMEM, "%s: out of memory", path);
  }
  put32(arch, m->in_c), put32(arch + 4, m->in_h), put32(arch + 8, m->in_w),
      put32(arch + 12, m->n_layers);
  uint32_t scale_bits;
  memcpy(&scale_bits, &m->output_scale, 4);
  put32(arch + 16, scale_bits);
  uint8_t *t = thrs;
  for (uint32_t i = 0; i < m->n_layers; ++i) {
    const bnn_layer *l = &m->layers[i];
    put32(arch + 20 + 8 * i, (uint32_t)l->info.kind);
    put32(arch + 24 + 8 * i, l->info.kind == BNN_LAYER_MAXPOOL2 ? 0 : l->info.out_c);
    if (l->thresh) {
      for (uint32_t o = 0; o < l->info.out_c; ++o) put32(t + 4 * o, (uint32_t)l->thresh[o]);
      t += 4ull * l->info.out_c;
      for (uint32_t o = 0; o < l->info.out_c; ++o) t[o] = (uint8_t)l->dir[o];
      t += l->info.out_c;
    }
  }
  const char *prov = bnn_model_provenance(m);
  /* OAFF payload (version 2 only) */
  uint8_t *oaff = NULL;
  uint64_t oaff_n = 0;
  if (m->out_affine) {
    uint32_t nc = bnn_model_n_classes(m);
    oaff_n = 16ull * nc;
    if (!(oaff = (uint8_t *)bnn_malloc((size_t)oaff_n))) {
      bnn_free(arch), bnn_free(thrs);
      return bnn_fail(BNN_E_NOMEM, "%s: out of memory", path);
    }
    for (uint32_t k = 0; k < 2 * nc; ++k) {
      uint64_t bits;
      memcpy(&bits, &m->out_affine[k], 8);
      put64(oaff + 8ull * k, bits);
    }
  }
  /* IOFF payload (version 3 only) */
  uint8_t *ioff = NULL;
  uint64_t ioff_n = 0;
  if (m->in_off_t) {
    const uint32_t n = m->layers[0].info.out_c;
    ioff_n = 16 + 8ull * (m->in_c + n);
    if (!(ioff = (uint8_t *)bnn_malloc((size_t)ioff_n))) {
      bnn_free(arch), bnn_free(thrs), bnn_free(oaff);
      return bnn_fail(BNN_E_NOMEM, "%s: out of memory", path);
    }
    put32(ioff, m->in_off_shift), put32(ioff + 4, m->in_c), put32(ioff + 8, n), put32(ioff + 12, 0);
    for (uint32_t c = 0; c < m->in_c; ++c) put64(ioff + 16 + 8ull * c, (uint64_t)m->in_off_num[c]);
    for (uint32_t o = 0; o < n; ++o)
      put64(ioff + 16 + 8ull * (m->in_c + o), (uint64_t)m->in_off_t[o]);
  }
  const uint32_t version = ioff ? MODEL_VERSION_IOFF : oaff ? MODEL_VERSION_OAFF : MODEL_VERSION;
  /* Temp file in the same directory, so the rename is atomic. */
  size_t plen = strlen(path);
  char *tmp = (char *)bnn_malloc(plen + 32);
  if (!tmp) {
    bnn_free(arch), bnn_free(thrs), bnn_free(oaff), bnn_free(ioff);
    return bnn_fail(BNN_E_NOMEM, "%s: out of memory", path);
  }
  snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
  bnn_status st = BNN_OK;
  FILE *f = fopen(tmp, "wb");
  if (!f) {
    st = bnn_fail(BNN_E_IO, "%s: cannot create temp file: %s", tmp, strerror(errno));
  } else {
    uint8_t head[HEADER_BYTES];
    memcpy(head, MODEL_MAGIC, 8);
    put32(head + 8, version);
    put32(head + 12, MODEL_SECTIONS + version - 1);
    put32(head + 16, 0);
    put32(head + 20, crc_of(head, 20));
    int ok = write_all(f, head, sizeof head) && write_section(f, "ARCH", arch, arch_n) &&
             write_section(f, "THRS", thrs, thrs_n) &&
             write_section(f, "WGHT", m->wimg, m->wimg_size) &&
             write_section(f, "PROV", prov, strlen(prov)) &&
             (version < MODEL_VERSION_OAFF || write_section(f, "OAFF", oaff, oaff_n)) &&
             (version < MODEL_VERSION_IOFF || write_section(f, "IOFF", ioff, ioff_n));
    int err = errno;
    if (fflush(f) != 0) ok = 0, err = errno;
    if (fclose(f) != 0 && ok) ok = 0, err = errno;
    if (!ok) {
      st = bnn_fail(BNN_E_IO, "%s: write failed: %s", tmp, strerror(err));
    } else {
      st = bnn_rename_durable(tmp, path); /* fsync, rename, fsync of the directory */
    }
    if (st) remove(tmp);
  }
  bnn_free(tmp), bnn_free(arch), bnn_free(thrs), bnn_free(oaff), bnn_free(ioff);
  return st;
}

/* ---- loader ---- */

typedef struct reader {
  FILE *f;
  const char *path;
  uint64_t size, pos;
} reader;

static bnn_status read_exact(reader *r, void *dst, uint64_t n, const char *what) {
  if (n > r->size - r->pos)
    return bnn_fail(
        BNN_E_FORMAT, "%s: truncated: %s needs %llu bytes at offset %llu, file has %llu", r->path,
        what, (unsigned long long)n, (unsigned long long)r->pos, (unsigned long long)r->size);
  if (n && fread(dst, 1, (size_t)n, r->f) != (size_t)n)
    return bnn_fail(BNN_E_IO, "%s: read error in %s at offset %llu", r->path, what,
                    (unsigned long long)r->pos);
  r->pos += n;
  return BNN_OK;
}

/* Reads section `idx`: checks tag, that its length equals `expect` (or ≤ `expect` when !exact),
 * allocates and reads the payload, checks the CRC. */
static bnn_status read_section(reader *r, unsigned idx, uint64_t expect, int exact, uint8_t **out,
                               uint64_t *out_n) {
  const char *tag = section_tags[idx];
  *out = NULL;
  uint8_t head[SECTION_HEAD_BYTES], crcb[4];
  bnn_status st = read_exact(r, head, sizeof head, tag);
  if (st) return st;
  if (memcmp(head, tag, 4) != 0)
    return bnn_fail(BNN_E_FORMAT, "%s: section %u: expected tag %s, found '%.4s'", r->path, idx,
                    tag, (const char *)head);
  if (get32(head + 4) != 0)
    return bnn_fail(BNN_E_FORMAT, "%s: section %s: reserved field is %u, not 0", r->path, tag,
                    get32(head + 4));
  uint64_t n = get64(head + 8);
  if (exact ? n != expect : n > expect)
    return bnn_fail(BNN_E_RANGE, "%s: section %s: length %llu, expected %s%llu", r->path, tag,
                    (unsigned long long)n, exact ? "" : "at most ", (unsigned long long)expect);
  if (n > r->size - r->pos || 4 > r->size - r->pos - n)
    return bnn_fail(BNN_E_FORMAT, "%s: truncated: section %s claims %llu bytes, %llu remain",
                    r->path, tag, (unsigned long long)n, (unsigned long long)(r->size - r->pos));
  uint8_t *p = (uint8_t *)bnn_malloc_aligned((size_t)n + 1);
  if (!p)
    return bnn_fail(BNN_E_NOMEM, "%s: section %s: out of memory for %llu bytes", r->path, tag,
                    (unsigned long long)n);
  if ((st = read_exact(r, p, n, tag)) || (st = read_exact(r, crcb, 4, tag))) {
    bnn_free_aligned(p);
    return st;
  }
  uint32_t stored = get32(crcb), computed = crc_of(p, n);
  if (MODEL_CRC_CHECKED && stored != computed) {
    bnn_free_aligned(p);
    return bnn_fail(BNN_E_CRC, "%s: section %s: CRC mismatch (stored 0x%08x, computed 0x%08x)",
                    r->path, tag, stored, computed);
  }
  p[n] = 0;
  *out = p;
  *out_n = n;
  return BNN_OK;
}

/* IOFF (length already checked): header fields, then the offset set on the built model, whose
 * first-layer thresholds from THRS must equal what the offset rule gives for the stored rows. */
static bnn_status load_input_offset(bnn_model *m, const uint8_t *p, const char *path) {
  const uint32_t n = m->layers[0].info.out_c;
  if (get32(p + 4) != m->in_c || get32(p + 8) != n || get32(p + 12) != 0)
    return bnn_fail(
        BNN_E_FORMAT,
        "%s: section IOFF: %u channels / %u neurons / reserved %u, expected %u / %u / 0", path,
        get32(p + 4), get32(p + 8), get32(p + 12), m->in_c, n);
  int64_t *v = (int64_t *)bnn_malloc(8ull * (m->in_c + n));
  int32_t *t = (int32_t *)bnn_malloc(4ull * n);
  if (!v || !t) {
    bnn_free(v), bnn_free(t);
    return bnn_fail(BNN_E_NOMEM, "%s: out of memory", path);
  }
  for (uint32_t k = 0; k < m->in_c + n; ++k) v[k] = (int64_t)get64(p + 16 + 8ull * k);
  memcpy(t, m->layers[0].thresh, 4ull * n);
  bnn_status st = bnn_model_set_input_offset(m, get32(p), v, v + m->in_c);
  if (st) st = bnn_fail(BNN_E_FORMAT, "%s: section IOFF: %s", path, bnn_errmsg());
  for (uint32_t o = 0; !st && o < n; ++o)
    if (t[o] != m->layers[0].thresh[o])
      st = bnn_fail(BNN_E_FORMAT,
                    "%s: section THRS: layer 0 neuron %u: threshold %d, the input offset (IOFF) "
                    "gives %d for the stored weights",
                    path, o, t[o], m->layers[0].thresh[o]);
  bnn_free(v), bnn_free(t);
  return st;
}

bnn_status bnn_model_load(bnn_model **out, const char *path) {
  if (!out || !path) return bnn_fail(BNN_E_ARG, "bnn_model_load: out or path NULL");
  *out = NULL;
  reader r = {NULL, path, 0, 0};
  bnn_status so = bnn_input_fopen(path, 0, &r.f, &r.size);
  if (so) return so;
  bnn_model *m = NULL;
  uint8_t *sec[MODEL_SECTIONS_MAX] = {NULL, NULL, NULL, NULL, NULL, NULL};
  uint64_t sec_n[MODEL_SECTIONS_MAX] = {0, 0, 0, 0, 0, 0};
  uint32_t version = 0;
  uint8_t head[HEADER_BYTES];
  bnn_status st;
  if (r.size < 8 || read_exact(&r, head, 8, "header") != BNN_OK ||
      memcmp(head, MODEL_MAGIC, 8) != 0) {
    st = bnn_fail(BNN_E_FORMAT, "%s: not a rramsim BNN model (bad magic)", path);
    goto done;
  }
  if ((st = read_exact(&r, head + 8, HEADER_BYTES - 8, "header"))) goto done;
  if (MODEL_CRC_CHECKED && get32(head + 20) != crc_of(head, 20)) {
    st = bnn_fail(BNN_E_CRC, "%s: header CRC mismatch", path);
    goto done;
  }
  version = get32(head + 8);
  if (version < MODEL_VERSION || version > MODEL_VERSION_IOFF) {
    st = bnn_fail(BNN_E_VERSION, "%s: format version %u, this build reads versions %u to %u", path,
                  version, MODEL_VERSION, MODEL_VERSION_IOFF);
    goto done;
  }
  const uint32_t n_sections = MODEL_SECTIONS + version - 1;
  if (get32(head + 12) != n_sections || get32(head + 16) != 0) {
    st = bnn_fail(BNN_E_FORMAT, "%s: header: %u sections / flags 0x%x, expected %u / 0", path,
                  get32(head + 12), get32(head + 16), n_sections);
    goto done;
  }
  if ((st = read_section(&r, 0, 20 + 8ull * BNN_MAX_LAYERS, 0, &sec[0], &sec_n[0]))) goto done;
  const uint8_t *a = sec[0];
  if (sec_n[0] < 20) {
    st = bnn_fail(BNN_E_FORMAT, "%s: section ARCH: %llu bytes, needs at least 20", path,
                  (unsigned long long)sec_n[0]);
    goto done;
  }
  uint32_t n_layers = get32(a + 12);
  if (n_layers == 0 || n_layers > BNN_MAX_LAYERS || sec_n[0] != 20 + 8ull * n_layers) {
    st = bnn_fail(
        BNN_E_RANGE,
        "%s: section ARCH: %u layers in %llu bytes (accepted 1..%u layers, 20 + 8 bytes each)",
        path, n_layers, (unsigned long long)sec_n[0], BNN_MAX_LAYERS);
    goto done;
  }
  if ((st = bnn_model_create(&m, get32(a), get32(a + 4), get32(a + 8)))) {
    st = bnn_fail(st, "%s: section ARCH: %s", path, bnn_errmsg());
    goto done;
  }
  float scale;
  {
    uint32_t bits = get32(a + 16);
    memcpy(&scale, &bits, 4);
  }
  if (!isfinite(scale)) {
    st = bnn_fail(BNN_E_FORMAT, "%s: section ARCH: output scale is not finite", path);
    goto done;
  }
  m->output_scale = scale;
  /* Shape pass: every layer validated through the builder's inference, sizes summed (bounded). */
  uint64_t thrs_expect = 0, wght_expect = 0;
  uint32_t last_weight = UINT32_MAX;
  for (uint32_t i = 0; i < n_layers; ++i) {
    uint32_t kind = get32(a + 20 + 8 * i);
    if (kind >= BNN_LAYER_KIND_COUNT) {
      st = bnn_fail(BNN_E_FORMAT, "%s: section ARCH: layer %u: unknown kind %u", path, i, kind);
      goto done;
    }
    if (kind != BNN_LAYER_MAXPOOL2) last_weight = i;
    if (kind == BNN_LAYER_MAXPOOL2 && get32(a + 24 + 8 * i) != 0) {
      st =
          bnn_fail(BNN_E_FORMAT, "%s: section ARCH: layer %u: maxpool2 with %u outputs (must be 0)",
                   path, i, get32(a + 24 + 8 * i));
      goto done;
    }
  }
  if (last_weight == UINT32_MAX || last_weight != n_layers - 1 ||
      get32(a + 20 + 8 * last_weight) != BNN_LAYER_DENSE) {
    st = bnn_fail(BNN_E_SHAPE, "%s: section ARCH: the last layer must be the dense output layer",
                  path);
    goto done;
  }
  /* Shapes are validated on a probe model that records layers without weights, so the lengths of
   * THRS and WGHT are known (and bounded) before anything of that size is allocated. */
  {
    bnn_model *probe = NULL;
    if ((st = bnn_model_create(&probe, m->in_c, m->in_h, m->in_w))) goto done;
    for (uint32_t i = 0; i < n_layers && !st; ++i) {
      bnn_layer_kind kind = (bnn_layer_kind)get32(a + 20 + 8 * i);
      uint32_t n_out = get32(a + 24 + 8 * i);
      int hidden = kind != BNN_LAYER_MAXPOOL2 && i != last_weight;
      bnn_layer_info info;
      st = bnn_model_next_info(probe, kind, n_out, kind == BNN_LAYER_MAXPOOL2 || hidden, &info);
      if (st) {
        st = bnn_fail(st, "%s: section ARCH: %s", path, bnn_errmsg());
        break;
      }
      /* Extend the probe's shape chain without weights: a layer record only. */
      if (probe->n_layers == probe->cap_layers) {
        uint32_t cap = probe->cap_layers ? 2 * probe->cap_layers : 8;
        bnn_layer *nl = (bnn_layer *)bnn_realloc(probe->layers, cap * sizeof *nl);
        if (!nl) {
          st = bnn_fail(BNN_E_NOMEM, "%s: out of memory", path);
          break;
        }
        probe->layers = nl, probe->cap_layers = cap;
      }
      memset(&probe->layers[probe->n_layers], 0, sizeof(bnn_layer));
      probe->layers[probe->n_layers++].info = info;
      if (kind != BNN_LAYER_MAXPOOL2) {
        probe->n_weight_layers++;
        probe->wimg_size += info.weight_bytes;
        if (hidden) thrs_expect += 5ull * info.out_c;
      }
    }
    wght_expect = probe->wimg_size;
    bnn_model_free(probe);
    if (st) goto done;
  }
  if ((st = read_section(&r, 1, thrs_expect, 1, &sec[1], &sec_n[1]))) goto done;
  if ((st = read_section(&r, 2, wght_expect, 1, &sec[2], &sec_n[2]))) goto done;
  if ((st = read_section(&r, 3, BNN_MAX_PROVENANCE, 0, &sec[3], &sec_n[3]))) goto done;
  const uint32_t n_first = get32(a + 24); /* layer 0's outputs (shape-checked above) */
  if (version >= MODEL_VERSION_OAFF &&
      (st = read_section(&r, 4, 16ull * get32(a + 24 + 8 * last_weight),
                         version == MODEL_VERSION_OAFF, &sec[4], &sec_n[4])))
    goto done;
  if (version == MODEL_VERSION_IOFF && sec_n[4] != 0 &&
      sec_n[4] != 16ull * get32(a + 24 + 8 * last_weight)) {
    st = bnn_fail(BNN_E_RANGE, "%s: section OAFF: length %llu, expected 0 or %llu", path,
                  (unsigned long long)sec_n[4],
                  (unsigned long long)(16ull * get32(a + 24 + 8 * last_weight)));
    goto done;
  }
  if (version == MODEL_VERSION_IOFF &&
      (st = read_section(&r, 5, 16 + 8ull * (m->in_c + (uint64_t)n_first), 1, &sec[5], &sec_n[5])))
    goto done;
  if (r.pos != r.size) {
    st = bnn_fail(BNN_E_FORMAT, "%s: %llu trailing bytes after the last section", path,
                  (unsigned long long)(r.size - r.pos));
    goto done;
  }
  if (memchr(sec[3], 0, (size_t)sec_n[3])) {
    st = bnn_fail(BNN_E_FORMAT, "%s: section PROV: contains a NUL byte", path);
    goto done;
  }
  /* Build: thresholds decoded, rows checked for zero padding, layers pushed. */
  {
    const uint8_t *t = sec[1];
    const uint8_t *w = sec[2];
    for (uint32_t i = 0; i < n_layers && !st; ++i) {
      bnn_layer_kind kind = (bnn_layer_kind)get32(a + 20 + 8 * i);
      uint32_t n_out = get32(a + 24 + 8 * i);
      if (kind == BNN_LAYER_MAXPOOL2) {
        st = bnn_model_push(m, kind, 0, NULL, NULL, NULL);
        continue;
      }
      bnn_layer_info info;
      int hidden = i != last_weight;
      if ((st = bnn_model_next_info(m, kind, n_out, hidden, &info))) break;
      for (uint32_t o = 0; o < n_out; ++o) {
        const uint8_t *row = w + (uint64_t)o * info.row_bytes;
        for (uint64_t b = info.fan_in; b < info.row_bytes * 8; ++b)
          if ((row[b >> 3] >> (b & 7)) & 1) {
            st =
                bnn_fail(BNN_E_FORMAT, "%s: section WGHT: layer %u row %u: padding bit %llu is set",
                         path, i, o, (unsigned long long)b);
            goto done;
          }
      }
      int32_t *th = NULL;
      int8_t *dr = NULL;
      if (hidden) {
        th = (int32_t *)bnn_malloc(n_out * sizeof *th);
        dr = (int8_t *)bnn_malloc(n_out);
        if (!th || !dr) {
          bnn_free(th), bnn_free(dr);
          st = bnn_fail(BNN_E_NOMEM, "%s: out of memory", path);
          break;
        }
        for (uint32_t o = 0; o < n_out; ++o) th[o] = (int32_t)get32(t + 4 * o);
        memcpy(dr, t + 4ull * n_out, n_out);
        t += 5ull * n_out;
      }
      st = bnn_model_push(m, kind, n_out, w, th, dr);
      bnn_free(th), bnn_free(dr);
      if (st) st = bnn_fail(st, "%s: section THRS/WGHT: %s", path, bnn_errmsg());
      w += info.weight_bytes;
    }
  }
  if (!st) st = bnn_model_set_provenance(m, (const char *)sec[3]);
  if (!st && sec[4] && sec_n[4]) {
    uint32_t nc = bnn_model_n_classes(m);
    double *v = (double *)bnn_malloc(16ull * nc);
    if (!v) {
      st = bnn_fail(BNN_E_NOMEM, "%s: out of memory", path);
      goto done;
    }
    for (uint32_t k = 0; k < 2 * nc; ++k) {
      uint64_t bits = get64(sec[4] + 8ull * k);
      memcpy(&v[k], &bits, 8);
    }
    st = bnn_model_set_output_affine(m, v, v + nc);
    bnn_free(v);
    if (st) st = bnn_fail(BNN_E_FORMAT, "%s: section OAFF: %s", path, bnn_errmsg());
  }
  if (!st && sec[5]) st = load_input_offset(m, sec[5], path);
done:
  for (unsigned i = 0; i < MODEL_SECTIONS_MAX; ++i) bnn_free_aligned(sec[i]);
  fclose(r.f);
  if (st) {
    bnn_model_free(m);
    return st;
  }
  *out = m;
  return BNN_OK;
}
