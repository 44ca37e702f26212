/* checkpoint.c — libbet's training checkpoints: everything needed to continue training exactly.
 *
 * File format (little-endian, version 5; version 1 files, which lack the two margin-regularizer
 * fields, still load with the regularizer off and b at its default; version 1–2 files, which lack
 * bn_stats, load with the running statistics; version 1–3 files, which lack reg_layers, load with
 * the hidden layers only; version 1–4 files, which lack input_range, load with [0, 1] pixels):
 *   0   8   magic "BETCKPT1"
 *   8   4   u32 version = 5
 *   12  64  arch name, NUL-padded
 *   76  4   u32 n_layers (1..16)
 *   80  12·n_layers   per weight layer: u32 kind (0 dense, 1 conv3x3), u32 n_out, u32 pool
 *   then u32 in_c, in_h, in_w, n_classes; u64 seed, step; u32 epoch; f64 bn_eps
 *   then the training parameters: u32 epochs, batch, step_size, loss, flip_grad; f64 lr, gamma,
 *        mhl_b, flip_p, bn_momentum, bn_eps; u64 flip_layers, seed; i32 threads; u32 clip_all;
 *        version ≥ 2: f64 reg_margin, reg_b
 *        version ≥ 3: u32 bn_stats
 *        version ≥ 4: u32 reg_layers
 *        version ≥ 5: u32 input_range (0 [0, 1], 1 [−1, 1]; also the net's)
 *   then every persistent array in bet_net_visit_arrays order: u64 count, count × f32
 *   last 4  u32 CRC-32 (zlib) of every byte before it
 * The arrays' counts must match the architecture; the loader checks each before reading. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <zlib.h>

#include "bet_impl.h"
#include "bnn/durable.h"
#include "bnn/input.h"

#define CKPT_MAGIC   "BETCKPT1"
#define CKPT_VERSION 5u

typedef struct wctx {
  FILE *f;
  uLong crc;
  int ok;
} wctx;

static void wbytes(wctx *w, const void *p, size_t n) {
  if (!w->ok || n == 0) return;
  if (fwrite(p, 1, n, w->f) != n) w->ok = 0;
  w->crc = crc32(w->crc, (const Bytef *)p, (uInt)n);
}
static void wu32(wctx *w, uint32_t v) {
  uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  wbytes(w, b, 4);
}
static void wu64(wctx *w, uint64_t v) {
  wu32(w, (uint32_t)v);
  wu32(w, (uint32_t)(v >> 32));
}
static void wf64(wctx *w, double d) {
  uint64_t v;
  memcpy(&v, &d, 8);
  wu64(w, v);
}
static int warray(void *ud, float *a, size_t n) {
  wctx *w = (wctx *)ud;
  wu64(w, n);
  /* floats are stored as their IEEE-754 bit patterns, little-endian (the host order here). */
  for (size_t i = 0; i < n && w->ok; i += 65536) {
    const size_t k = (n - i) < 65536 ? (n - i) : 65536;
    wbytes(w, a + i, k * sizeof(float));
  }
  return w->ok;
}

static void write_params(wctx *w, const bet_train_params *p) {
  wu32(w, p->epochs);
  wu32(w, p->batch);
  wu32(w, p->step_size);
  wu32(w, (uint32_t)p->loss);
  wu32(w, (uint32_t)p->flip_grad);
  wf64(w, p->lr);
  wf64(w, p->gamma);
  wf64(w, p->mhl_b);
  wf64(w, p->flip_p);
  wf64(w, p->bn_momentum);
  wf64(w, p->bn_eps);
  wu64(w, p->flip_layers);
  wu64(w, p->seed);
  wu32(w, (uint32_t)p->threads);
  wu32(w, (uint32_t)p->clip_all);
  wf64(w, p->reg_margin);
  wf64(w, p->reg_b);
  wu32(w, (uint32_t)p->bn_stats);
  wu32(w, (uint32_t)p->reg_layers);
  wu32(w, (uint32_t)p->input_range);
}

bnn_status bet_checkpoint_save(const bet_net *cnet, const bet_train_params *p, const char *path) {
  if (!cnet || !p || !path) return bnn_fail(BNN_E_ARG, "checkpoint: NULL argument");
  bet_net *net = (bet_net *)cnet; /* visiting needs non-const pointers; nothing is modified */
  const size_t plen = strlen(path);
  char *tmp = (char *)bnn_malloc(plen + 16);
  if (!tmp) return bnn_fail(BNN_E_NOMEM, "%s: out of memory", path);
  snprintf(tmp, plen + 16, "%s.tmp", path);
  wctx w = {fopen(tmp, "wb"), crc32(0L, Z_NULL, 0), 1};
  if (!w.f) {
    bnn_status s = bnn_fail(BNN_E_IO, "%s: cannot create: %s", tmp, strerror(errno));
    bnn_free(tmp);
    return s;
  }
  wbytes(&w, CKPT_MAGIC, 8);
  wu32(&w, CKPT_VERSION);
  char name[64];
  memset(name, 0, sizeof name);
  memcpy(name, net->arch.name, strnlen(net->arch.name, sizeof name - 1));
  wbytes(&w, name, sizeof name);
  wu32(&w, net->n);
  for (uint32_t l = 0; l < net->n; ++l) {
    wu32(&w, (uint32_t)net->arch.layers[l].kind);
    wu32(&w, net->arch.layers[l].n_out);
    wu32(&w, (uint32_t)net->arch.layers[l].pool);
  }
  wu32(&w, net->in_c);
  wu32(&w, net->in_h);
  wu32(&w, net->in_w);
  wu32(&w, net->n_classes);
  wu64(&w, net->seed);
  wu64(&w, net->step);
  wu32(&w, net->epoch);
  wf64(&w, net->bn_eps);
  write_params(&w, p);
  bet_net_visit_arrays(net, warray, &w);
  const uint32_t crc = (uint32_t)w.crc;
  wu32(&w, crc);
  if (fflush(w.f) != 0) w.ok = 0;
  if (fclose(w.f) != 0) w.ok = 0;
  bnn_status s = BNN_OK;
  if (!w.ok) {
    s = bnn_fail(BNN_E_IO, "%s: write failed: %s", tmp, strerror(errno));
    remove(tmp);
  } else if ((s = bnn_rename_durable(tmp, path)) != BNN_OK) {
    remove(tmp); /* after a failed directory sync tmp is already path: nothing to remove */
  }
  bnn_free(tmp);
  return s;
}

typedef struct rctx {
  FILE *f;
  uLong crc;
  int ok;
  const char *path;
  bnn_status err;
} rctx;

static int rbytes(rctx *r, void *p, size_t n) {
  if (!r->ok) return 0;
  if (fread(p, 1, n, r->f) != n) {
    r->ok = 0;
    r->err = bnn_fail(BNN_E_FORMAT, "%s: truncated checkpoint", r->path);
    return 0;
  }
  r->crc = crc32(r->crc, (const Bytef *)p, (uInt)n);
  return 1;
}
static uint32_t ru32(rctx *r) {
  uint8_t b[4] = {0, 0, 0, 0};
  rbytes(r, b, 4);
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static uint64_t ru64(rctx *r) {
  const uint64_t lo = ru32(r);
  return lo | (uint64_t)ru32(r) << 32;
}
static double rf64(rctx *r) {
  const uint64_t v = ru64(r);
  double d;
  memcpy(&d, &v, 8);
  return d;
}
static int rarray(void *ud, float *a, size_t n) {
  rctx *r = (rctx *)ud;
  const uint64_t cnt = ru64(r);
  if (!r->ok) return 0;
  if (cnt != n) {
    r->ok = 0;
    r->err = bnn_fail(BNN_E_FORMAT, "%s: array of %llu values where the architecture needs %zu",
                      r->path, (unsigned long long)cnt, n);
    return 0;
  }
  return n == 0 || rbytes(r, a, n * sizeof(float));
}

bnn_status bet_checkpoint_load(bet_net **out, bet_train_params *pout, const char *path) {
  if (!out || !path) return bnn_fail(BNN_E_ARG, "checkpoint: NULL argument");
  *out = NULL;
  FILE *in;
  bnn_status so = bnn_input_fopen(path, 0, &in, NULL);
  if (so) return so;
  rctx r = {in, crc32(0L, Z_NULL, 0), 1, path, BNN_OK};
  char magic[8];
  bet_net *net = NULL;
  bnn_status s = BNN_OK;
  if (!rbytes(&r, magic, 8) || memcmp(magic, CKPT_MAGIC, 8) != 0) {
    s = bnn_fail(BNN_E_FORMAT, "%s: not a libbet checkpoint (bad magic)", path);
    goto done;
  }
  const uint32_t version = ru32(&r);
  if (r.ok && (version < 1 || version > CKPT_VERSION)) {
    s = bnn_fail(BNN_E_VERSION, "%s: checkpoint version %u, this build reads 1..%u", path, version,
                 CKPT_VERSION);
    goto done;
  }
  bet_arch arch;
  memset(&arch, 0, sizeof arch);
  rbytes(&r, arch.name, sizeof arch.name);
  arch.name[sizeof arch.name - 1] = '\0';
  arch.n_layers = ru32(&r);
  if (r.ok && (arch.n_layers < 1 || arch.n_layers > BET_MAX_LAYERS)) {
    s = bnn_fail(BNN_E_FORMAT, "%s: %u weight layers, expected 1..%d", path, arch.n_layers,
                 BET_MAX_LAYERS);
    goto done;
  }
  for (uint32_t l = 0; l < arch.n_layers && r.ok; ++l) {
    const uint32_t kind = ru32(&r);
    arch.layers[l].n_out = ru32(&r);
    arch.layers[l].pool = (int)ru32(&r);
    if (kind >= BET_LAYER_KIND_COUNT || arch.layers[l].pool > 1 || arch.layers[l].n_out == 0 ||
        arch.layers[l].n_out > (1u << 20)) {
      s = bnn_fail(BNN_E_FORMAT, "%s: layer %u: bad kind, width or pool flag", path, l);
      goto done;
    }
    arch.layers[l].kind = (bet_layer_kind)kind;
  }
  const uint32_t in_c = ru32(&r), in_h = ru32(&r), in_w = ru32(&r), n_classes = ru32(&r);
  const uint64_t seed = ru64(&r), step = ru64(&r);
  const uint32_t epoch = ru32(&r);
  const double bn_eps = rf64(&r);
  bet_train_params p;
  p.epochs = ru32(&r);
  p.batch = ru32(&r);
  p.step_size = ru32(&r);
  p.loss = (bet_loss)ru32(&r);
  p.flip_grad = (bet_flip_grad)ru32(&r);
  p.lr = rf64(&r);
  p.gamma = rf64(&r);
  p.mhl_b = rf64(&r);
  p.flip_p = rf64(&r);
  p.bn_momentum = rf64(&r);
  p.bn_eps = rf64(&r);
  p.flip_layers = ru64(&r);
  p.seed = ru64(&r);
  p.threads = (int)ru32(&r);
  p.clip_all = (int)ru32(&r);
  if (version >= 2) {
    p.reg_margin = rf64(&r);
    p.reg_b = rf64(&r);
  } else {
    const bet_train_params d = bet_train_default_params();
    p.reg_margin = d.reg_margin;
    p.reg_b = d.reg_b;
  }
  p.bn_stats = version >= 3 ? (bet_bn_stats)ru32(&r) : BET_BN_RUNNING;
  p.reg_layers = version >= 4 ? (bet_reg_layers)ru32(&r) : BET_REG_HIDDEN;
  p.input_range = version >= 5 ? (bet_input_range)ru32(&r) : BET_INPUT_01;
  p.packed_forward = 1; /* not stored: it does not change any result */
  p.ref_kernels = 0;    /* not stored: a benchmark and test switch */
  if (!r.ok) {
    s = r.err;
    goto done;
  }
  if (in_c == 0 || in_h == 0 || in_w == 0 || in_c > 4096 || in_h > 4096 || in_w > 4096 ||
      n_classes < 2 || n_classes > 256) {
    s = bnn_fail(BNN_E_FORMAT, "%s: bad input shape %ux%ux%u or %u classes", path, in_h, in_w, in_c,
                 n_classes);
    goto done;
  }
  if (bet_train_params_check(&p) != BNN_OK || p.clip_all > 1) {
    s = bnn_fail(BNN_E_FORMAT, "%s: stored training parameters invalid: %s", path, bnn_errmsg());
    goto done;
  }
  s = bet_net_create(&net, &arch, in_c, in_h, in_w, n_classes, seed);
  if (s != BNN_OK) {
    s = bnn_fail(s, "%s: %s", path, bnn_errmsg());
    goto done;
  }
  net->step = step;
  net->epoch = epoch;
  net->bn_eps = bn_eps;
  net->input_range = p.input_range;
  if (!bet_net_visit_arrays(net, rarray, &r)) {
    s = r.err != BNN_OK ? r.err : bnn_fail(BNN_E_FORMAT, "%s: truncated checkpoint", path);
    goto done;
  }
  const uint32_t want = (uint32_t)r.crc;
  const uint32_t got = ru32(&r);
  if (!r.ok) {
    s = r.err;
    goto done;
  }
  if (want != got) {
    s = bnn_fail(BNN_E_CRC, "%s: CRC mismatch (stored %08x, computed %08x)", path, got, want);
    goto done;
  }
  if (fgetc(r.f) != EOF) {
    s = bnn_fail(BNN_E_FORMAT, "%s: trailing bytes after the checksum", path);
    goto done;
  }
  if (pout) *pout = p;
done:
  fclose(r.f);
  if (s != BNN_OK) {
    bet_net_free(net);
    return s;
  }
  *out = net;
  return BNN_OK;
}
