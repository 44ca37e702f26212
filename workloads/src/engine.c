/* engine.c — batched, multi-threaded inference: fetches weights through the port, runs the layers.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "bnn_impl.h"

#define CHUNK         64u  /* neurons per work item: one output word */
#define IMG_CHUNK     64u  /* images per dense work item */
#define DEFAULT_REUSE 256u /* images per weight fetch when the caller leaves it to us */
#define THREAD_CHUNK  32u  /* images a worker takes through the whole network at a time */
#define MAX_THREADS   256

/* Per-layer plan: shapes and buffer strides, fixed at creation. */
typedef struct plan {
  bnn_layer_info info;
  const int32_t *thresh;
  const int8_t *dir;
  uint64_t in_words, out_words; /* per-image activation words (pixel layout: h·w·ceil(c/64)) */
  uint64_t row_words;           /* weight row words */
  int flatten;                  /* dense input must be repacked into flat bits */
  uint64_t *dpos;               /* hidden layers: bit o set iff dir[o] > 0 (one word per 64) */
  uint64_t tap_off;             /* conv: offset of its tap popcounts in bnn_engine.tap_pc */
} plan;

typedef struct scratch {
  uint64_t *im2col; /* binary conv: pixels × row_words */
  uint8_t *im2col8; /* u8 conv: pixels × 64·row_words bytes */
  int32_t *rowsum;  /* u8 conv: Σ x per pixel row */
  int32_t *counts;  /* tile: pixels × CHUNK or IMG_CHUNK × CHUNK */
} scratch;

/* Activation buffers for a range of up to `cap` images going through the network. */
typedef struct bufs {
  uint64_t *act[2]; /* ping-pong, cap × act_words */
  uint8_t *u8in;    /* dense first layer: cap × u8_ld bytes */
  int32_t *u8sum;   /* cap */
  uint64_t *flat;   /* dense input repacked, cap × flat_words */
} bufs;

/* One layer over one range of images: everything a job reads and writes. */
typedef struct lctx {
  const plan *P;
  const uint64_t *w;     /* the layer's weights, as fetched through the port */
  const int32_t *tap_pc; /* conv: per neuron, popcount of each of the 9 taps of its row */
  const uint8_t *img;    /* first layer: the range's pixels */
  const uint64_t *in;    /* binary input activations of the range */
  uint64_t in_words;     /* per-image stride of `in` */
  uint64_t *out;
  int32_t *scores; /* output layer: n × n_classes */
  const bufs *b;
  size_t n;
} lctx;

typedef void (*job_fn)(bnn_engine *e, const lctx *c, size_t item, int tid);

struct bnn_engine {
  const bnn_model *m;
  bnn_port *port;
  const bnn_kernels *k;
  int threads;
  uint32_t block;
  plan *plans;
  uint32_t n_plans, n_classes;
  uint64_t act_words; /* per image, max over layers */
  uint64_t flat_words;
  uint64_t u8_ld;
  bufs main;             /* whole block, layer-parallel mode */
  bufs *tb;              /* per thread, THREAD_CHUNK images, chunk-parallel mode */
  int32_t *scores;       /* block × n_classes */
  uint64_t *wbuf;        /* port reads land here (at each layer's weight_addr) when it cannot map */
  const uint64_t **wptr; /* per layer: its weights for the current block */
  int32_t *tap_pc;       /* conv layers' tap popcounts for the current block */
  int32_t *off_t; /* input-offset model: layer 0's thresholds for the rows of the current block */
  uint64_t tap_n;
  scratch *scr; /* per thread */
  /* current job */
  const lctx *cur;
  const uint8_t *blk_img;
  size_t blk_n;
  /* pool */
  pthread_t *th;
  int n_started;
  pthread_mutex_t mu;
  pthread_cond_t cv_start, cv_done;
  uint64_t gen;
  int pending, stop;
  job_fn fn;
  size_t n_items;
  atomic_size_t next;
};

bnn_infer_params bnn_infer_default_params(void) {
  bnn_infer_params p;
  p.threads = 1;
  p.weight_reuse = 0;
  p.kernel = BNN_KERNEL_AUTO;
  return p;
}

/* ---- thread pool: items are independent and write disjoint outputs, so which thread runs which
 * item cannot change a result. ---- */

typedef struct worker_arg {
  bnn_engine *e;
  int tid;
} worker_arg;

static void run_items(bnn_engine *e, int tid) {
  for (;;) {
    size_t i = atomic_fetch_add(&e->next, 1);
    if (i >= e->n_items) break;
    e->fn(e, e->cur, i, tid);
  }
}

static void *worker(void *arg) {
  bnn_engine *e = ((worker_arg *)arg)->e;
  int tid = ((worker_arg *)arg)->tid;
  bnn_free(arg);
  uint64_t seen = 0;
  pthread_mutex_lock(&e->mu);
  for (;;) {
    while (e->gen == seen && !e->stop) pthread_cond_wait(&e->cv_start, &e->mu);
    if (e->stop) break;
    seen = e->gen;
    pthread_mutex_unlock(&e->mu);
    run_items(e, tid);
    pthread_mutex_lock(&e->mu);
    if (--e->pending == 0) pthread_cond_signal(&e->cv_done);
  }
  pthread_mutex_unlock(&e->mu);
  return NULL;
}

static void run_job(bnn_engine *e, job_fn fn, const lctx *c, size_t n_items) {
  e->fn = fn;
  e->cur = c;
  e->n_items = n_items;
  atomic_store(&e->next, 0);
  if (e->n_started == 0 || n_items <= 1) {
    run_items(e, 0);
    return;
  }
  pthread_mutex_lock(&e->mu);
  e->pending = e->n_started;
  e->gen++;
  pthread_cond_broadcast(&e->cv_start);
  pthread_mutex_unlock(&e->mu);
  run_items(e, 0);
  pthread_mutex_lock(&e->mu);
  while (e->pending) pthread_cond_wait(&e->cv_done, &e->mu);
  pthread_mutex_unlock(&e->mu);
}

/* ---- layer jobs ---- */

/* Hidden neuron output (kernel binarize): +1 (bit 0) iff (d > 0 ? a ≥ t : a ≤ t); −1 is bit 1. */

/* Dense, item = (image chunk, neuron chunk). Input rows: u8 (first layer) or flat bits. */
static void job_dense(bnn_engine *e, const lctx *c, size_t item, int tid) {
  const plan *P = c->P;
  const bnn_layer_info *I = &P->info;
  size_t n_jc = (I->out_c + CHUNK - 1) / CHUNK;
  size_t ic = item / n_jc, jc = item % n_jc;
  size_t i0 = ic * IMG_CHUNK, ni = c->n - i0 < IMG_CHUNK ? c->n - i0 : IMG_CHUNK;
  size_t j0 = jc * CHUNK, nj = I->out_c - j0 < CHUNK ? I->out_c - j0 : CHUNK;
  int32_t *cnt = e->scr[tid].counts;
  const uint64_t *w = c->w + j0 * P->row_words;
  if (I->input_u8)
    e->k->u8_masked_sum(c->b->u8in + i0 * e->u8_ld, e->u8_ld, ni, w, P->row_words, nj, P->row_words,
                        cnt, CHUNK);
  else
    e->k->xor_popcount(c->in + i0 * c->in_words, c->in_words, ni, w, P->row_words, nj, P->row_words,
                       cnt, CHUNK);
  for (size_t a = 0; a < ni; ++a) {
    size_t img = i0 + a;
    /* dot = K − 2·popcount(x ⊕ w) for bits; S − 2·Σ_{w=−1} x for 8-bit inputs */
    int32_t base = I->input_u8 ? c->b->u8sum[img] : (int32_t)I->fan_in;
    if (I->is_output) {
      for (size_t b = 0; b < nj; ++b)
        c->scores[img * e->n_classes + j0 + b] = base - 2 * cnt[a * CHUNK + b];
    } else {
      c->out[img * P->out_words + jc] =
          e->k->binarize(cnt + a * CHUNK, nj, base, P->thresh + j0, P->dpos[jc]);
    }
  }
}

/* Dense first layer: pixel rows padded with zeros to whole 64-byte steps, and S = Σ x. */
static void job_u8_prep(bnn_engine *e, const lctx *c, size_t img, int tid) {
  (void)tid;
  const plan *P = c->P;
  const uint8_t *src = c->img + img * P->info.fan_in;
  uint8_t *dst = c->b->u8in + img * e->u8_ld;
  memcpy(dst, src, P->info.fan_in);
  memset(dst + P->info.fan_in, 0, e->u8_ld - P->info.fan_in);
  int32_t s = 0;
  for (uint32_t i = 0; i < P->info.fan_in; ++i) s += src[i];
  c->b->u8sum[img] = s;
}

/* Dense after conv/pool with channels not a multiple of 64: HWC flatten into contiguous bits. */
static void job_flatten(bnn_engine *e, const lctx *c, size_t img, int tid) {
  (void)tid;
  const plan *P = c->P;
  const bnn_layer_info *I = &P->info;
  uint64_t cw = (I->in_c + 63) / 64;
  const uint64_t *src = c->in + img * P->in_words;
  uint64_t *dst = c->b->flat + img * e->flat_words;
  memset(dst, 0, e->flat_words * 8);
  for (uint64_t px = 0; px < (uint64_t)I->in_h * I->in_w; ++px)
    bnn_copy_bits(dst, px * I->in_c, src + px * cw, 0, I->in_c);
}

/* Conv 3×3 pad 1, item = image. im2col, then per chunk of 64 output channels count and threshold.
 * Padded taps: binary input leaves their bits 0, so popcount(x ⊕ w) over them equals the tap's
 * weight popcount; subtracting it (tap_pc) restricts the dot to the nv valid taps:
 * a = nv·C − 2·(count − Σ_{padded taps} tap_pc). 8-bit input pads with pixel 0, which adds 0. */
/* Taps (t = ky·3 + kx) of pixel (y, x) that fall into the zero padding, as a 9-bit mask. */
static inline unsigned padded_taps(uint32_t y, uint32_t x, uint32_t H, uint32_t W) {
  return (y == 0 ? 0x007u : 0u) | (y == H - 1 ? 0x1c0u : 0u) | (x == 0 ? 0x049u : 0u) |
         (x == W - 1 ? 0x124u : 0u);
}

static void job_conv(bnn_engine *e, const lctx *c, size_t img, int tid) {
  const plan *P = c->P;
  const bnn_layer_info *I = &P->info;
  const uint32_t H = I->in_h, W = I->in_w, C = I->in_c;
  const uint64_t npx = (uint64_t)H * W, R = P->row_words;
  scratch *s = &e->scr[tid];
  const uint64_t cw = (C + 63) / 64;
  if (I->input_u8) {
    const uint64_t ld = 64 * R;
    const uint8_t *src = c->img + img * npx * C;
    memset(s->im2col8, 0, npx * ld);
    for (uint32_t y = 0; y < H; ++y)
      for (uint32_t x = 0; x < W; ++x) {
        uint8_t *row = s->im2col8 + ((uint64_t)y * W + x) * ld;
        unsigned padded = padded_taps(y, x, H, W);
        int32_t sum = 0;
        for (int t = 0; t < 9; ++t) {
          if (padded >> t & 1) continue;
          const uint8_t *px =
              src + ((uint64_t)(y + (uint32_t)(t / 3) - 1) * W + x + (uint32_t)(t % 3) - 1) * C;
          if (C == 1) {
            row[t] = px[0];
            sum += px[0];
          } else {
            memcpy(row + (uint64_t)t * C, px, C);
            for (uint32_t ch = 0; ch < C; ++ch) sum += px[ch];
          }
        }
        s->rowsum[(uint64_t)y * W + x] = sum;
      }
  } else {
    const uint64_t *src = c->in + img * P->in_words;
    memset(s->im2col, 0, npx * R * 8);
    for (uint32_t y = 0; y < H; ++y)
      for (uint32_t x = 0; x < W; ++x) {
        uint64_t *row = s->im2col + ((uint64_t)y * W + x) * R;
        unsigned padded = padded_taps(y, x, H, W);
        for (int t = 0; t < 9; ++t) {
          if (padded >> t & 1) continue;
          const uint64_t *px =
              src + ((uint64_t)(y + (uint32_t)(t / 3) - 1) * W + x + (uint32_t)(t % 3) - 1) * cw;
          if (C % 64 == 0) /* taps are whole words */
            for (uint64_t k = 0; k < cw; ++k) row[(uint64_t)t * cw + k] = px[k];
          else
            bnn_copy_bits(row, (uint64_t)t * C, px, 0, C);
        }
      }
  }
  uint64_t *out = c->out + img * P->out_words;
  const uint64_t ocw = (I->out_c + 63) / 64;
  for (uint32_t j0 = 0; j0 < I->out_c; j0 += CHUNK) {
    uint32_t nj = I->out_c - j0 < CHUNK ? I->out_c - j0 : CHUNK;
    const uint64_t *w = c->w + (uint64_t)j0 * R;
    if (I->input_u8)
      e->k->u8_masked_sum(s->im2col8, 64 * R, npx, w, R, nj, R, s->counts, CHUNK);
    else
      e->k->xor_popcount(s->im2col, R, npx, w, R, nj, R, s->counts, CHUNK);
    for (uint32_t y = 0; y < H; ++y)
      for (uint32_t x = 0; x < W; ++x) {
        uint64_t px = (uint64_t)y * W + x;
        unsigned padded = padded_taps(y, x, H, W);
        int32_t *cnt = s->counts + px * CHUNK;
        int32_t base;
        if (I->input_u8) {
          base = s->rowsum[px];
        } else {
          base = (int32_t)((9u - (unsigned)__builtin_popcount(padded)) * C);
          if (padded)
            for (uint32_t b = 0; b < nj; ++b)
              for (int t = 0; t < 9; ++t)
                if (padded >> t & 1) cnt[b] -= c->tap_pc[(uint64_t)(j0 + b) * 9 + (uint64_t)t];
        }
        out[px * ocw + j0 / 64] = e->k->binarize(cnt, nj, base, P->thresh + j0, P->dpos[j0 / 64]);
      }
  }
}

/* 2×2 max-pool: max of ±1 is +1 if any input is +1, i.e. bit 0 if any bit is 0: bitwise AND. */
static void job_pool(bnn_engine *e, const lctx *c, size_t img, int tid) {
  (void)e, (void)tid;
  const plan *P = c->P;
  const bnn_layer_info *I = &P->info;
  const uint64_t cw = (I->in_c + 63) / 64;
  const uint64_t *src = c->in + img * P->in_words;
  uint64_t *dst = c->out + img * P->out_words;
  for (uint32_t oy = 0; oy < I->out_h; ++oy)
    for (uint32_t ox = 0; ox < I->out_w; ++ox) {
      const uint64_t *a = src + ((uint64_t)(2 * oy) * I->in_w + 2 * ox) * cw;
      const uint64_t *b = a + (uint64_t)I->in_w * cw;
      uint64_t *o = dst + ((uint64_t)oy * I->out_w + ox) * cw;
      for (uint64_t k = 0; k < cw; ++k) o[k] = a[k] & a[cw + k] & b[k] & b[cw + k];
    }
}

/* ---- creation ---- */

static void bufs_free(bufs *b) {
  bnn_free_aligned(b->act[0]), bnn_free_aligned(b->act[1]);
  bnn_free_aligned(b->flat), bnn_free_aligned(b->u8in);
  bnn_free(b->u8sum);
}

static int bufs_alloc(bufs *b, const bnn_engine *e, uint64_t cap) {
  memset(b, 0, sizeof *b);
  if (e->act_words > SIZE_MAX / 8 / cap || e->flat_words > SIZE_MAX / 8 / cap ||
      e->u8_ld > SIZE_MAX / cap)
    return 0;
  b->act[0] = (uint64_t *)bnn_malloc_aligned((size_t)(cap * e->act_words * 8));
  b->act[1] = (uint64_t *)bnn_malloc_aligned((size_t)(cap * e->act_words * 8));
  b->u8sum = (int32_t *)bnn_calloc((size_t)cap, sizeof(int32_t));
  if (e->flat_words) b->flat = (uint64_t *)bnn_malloc_aligned((size_t)(cap * e->flat_words * 8));
  if (e->u8_ld) b->u8in = (uint8_t *)bnn_malloc_aligned((size_t)(cap * e->u8_ld));
  return b->act[0] && b->act[1] && b->u8sum && (!e->flat_words || b->flat) &&
         (!e->u8_ld || b->u8in);
}

static void engine_free_buffers(bnn_engine *e) {
  bufs_free(&e->main);
  if (e->tb)
    for (int t = 0; t < e->threads; ++t) bufs_free(&e->tb[t]);
  bnn_free(e->tb);
  bnn_free(e->scores);
  bnn_free(e->wptr);
  bnn_free_aligned(e->wbuf), bnn_free(e->tap_pc), bnn_free(e->off_t);
  if (e->scr)
    for (int t = 0; t < e->threads; ++t) {
      bnn_free_aligned(e->scr[t].im2col), bnn_free_aligned(e->scr[t].im2col8);
      bnn_free(e->scr[t].rowsum), bnn_free(e->scr[t].counts);
    }
  bnn_free(e->scr);
  if (e->plans)
    for (uint32_t i = 0; i < e->n_plans; ++i) bnn_free(e->plans[i].dpos);
  bnn_free(e->plans);
}

void bnn_engine_destroy(bnn_engine *e) {
  if (!e) return;
  if (e->n_started) {
    pthread_mutex_lock(&e->mu);
    e->stop = 1;
    pthread_cond_broadcast(&e->cv_start);
    pthread_mutex_unlock(&e->mu);
    for (int t = 0; t < e->n_started; ++t) pthread_join(e->th[t], NULL);
  }
  if (e->th) {
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->cv_start);
    pthread_cond_destroy(&e->cv_done);
  }
  bnn_free(e->th);
  engine_free_buffers(e);
  bnn_free(e);
}

/* size_t product with overflow check. */
static int mul_ok(uint64_t a, uint64_t b, uint64_t *r) {
  if (a && b > SIZE_MAX / a) return 0;
  *r = a * b;
  return 1;
}

bnn_status bnn_engine_create(bnn_engine **out, const bnn_model *m, bnn_port *weights,
                             const bnn_infer_params *p) {
  if (!out || !m || !weights || !p) return bnn_fail(BNN_E_ARG, "bnn_engine_create: NULL argument");
  *out = NULL;
  if (p->threads < 1 || p->threads > MAX_THREADS)
    return bnn_fail(BNN_E_RANGE, "engine: threads = %d outside [1, %d]", p->threads, MAX_THREADS);
  if ((unsigned)p->kernel >= BNN_KERNEL_COUNT)
    return bnn_fail(BNN_E_ARG, "engine: unknown kernel %d", (int)p->kernel);
  const bnn_kernels *k = bnn_kernels_get(p->kernel);
  if (!k)
    return bnn_fail(BNN_E_UNSUPPORTED, "engine: kernel '%s' is not supported by this CPU",
                    bnn_kernel_str(p->kernel));
  if (!m->has_output) return bnn_fail(BNN_E_SHAPE, "engine: model has no output layer");
  bnn_engine *e = (bnn_engine *)bnn_calloc(1, sizeof *e);
  if (!e) return bnn_fail(BNN_E_NOMEM, "engine: out of memory");
  e->m = m, e->port = weights, e->k = k, e->threads = p->threads;
  e->block = p->weight_reuse ? p->weight_reuse : DEFAULT_REUSE;
  e->n_classes = bnn_model_n_classes(m);
  e->n_plans = m->n_layers;
  e->plans = (plan *)bnn_calloc(m->n_layers, sizeof *e->plans);
  e->scr = (scratch *)bnn_calloc((size_t)p->threads, sizeof *e->scr);
  if (!e->plans || !e->scr) goto nomem;
  uint64_t scr_im2col = 0, scr_im2col8 = 0, scr_px = 0, u8_ld = 0;
  for (uint32_t i = 0; i < m->n_layers; ++i) {
    plan *P = &e->plans[i];
    P->info = m->layers[i].info;
    P->thresh = m->layers[i].thresh, P->dir = m->layers[i].dir;
    if (i == 0 && m->in_off_t) { /* thresholds follow the fetched rows (bnn_engine_run) */
      if (!(e->off_t = (int32_t *)bnn_calloc(m->layers[0].info.out_c, sizeof(int32_t)))) goto nomem;
      P->thresh = e->off_t;
    }
    const bnn_layer_info *I = &P->info;
    P->in_words = (uint64_t)I->in_h * I->in_w * ((I->in_c + 63) / 64);
    P->out_words = (uint64_t)I->out_h * I->out_w * ((I->out_c + 63) / 64);
    P->row_words = I->row_bytes / 8;
    if (P->thresh) {
      if (!(P->dpos = (uint64_t *)bnn_calloc((I->out_c + 63) / 64, 8))) goto nomem;
      for (uint32_t o = 0; o < I->out_c; ++o)
        if (P->dir[o] > 0) P->dpos[o / 64] |= 1ull << (o % 64);
    }
    if (P->out_words > e->act_words) e->act_words = P->out_words;
    if (I->kind == BNN_LAYER_DENSE) {
      if (I->input_u8) {
        u8_ld = 64 * P->row_words;
      } else if ((uint64_t)I->in_h * I->in_w > 1 && I->in_c % 64) {
        P->flatten = 1;
        P->in_words = P->in_words; /* the source layout; flat rows are row_words long */
        if (P->row_words > e->flat_words) e->flat_words = P->row_words;
      }
    }
    if (I->kind == BNN_LAYER_CONV3X3) {
      uint64_t npx = (uint64_t)I->in_h * I->in_w;
      if (npx > scr_px) scr_px = npx;
      if (I->input_u8) {
        if (npx * 64 * P->row_words > scr_im2col8) scr_im2col8 = npx * 64 * P->row_words;
      } else if (npx * P->row_words > scr_im2col) {
        scr_im2col = npx * P->row_words;
      }
      P->tap_off = e->tap_n;
      e->tap_n += 9ull * I->out_c;
    }
  }
  e->u8_ld = u8_ld;
  uint64_t bytes;
  if (!mul_ok(e->block, e->act_words * 8, &bytes) || !mul_ok(e->block, e->flat_words * 8, &bytes) ||
      !mul_ok(e->block, u8_ld, &bytes))
    goto toobig;
  if (!bufs_alloc(&e->main, e, e->block)) goto nomem;
  if (p->threads > 1) {
    /* chunk-parallel mode: each worker takes THREAD_CHUNK images through the whole network */
    if (!(e->tb = (bufs *)bnn_calloc((size_t)p->threads, sizeof *e->tb))) goto nomem;
    for (int t = 0; t < p->threads; ++t)
      if (!bufs_alloc(&e->tb[t], e, THREAD_CHUNK)) goto nomem;
  }
  if (!(e->scores = (int32_t *)bnn_calloc((size_t)e->block * e->n_classes, sizeof(int32_t))))
    goto nomem;
  if (!(e->wbuf = (uint64_t *)bnn_malloc_aligned((size_t)(m->wimg_size ? m->wimg_size : 8))))
    goto nomem;
  if (!(e->wptr = (const uint64_t **)bnn_calloc(m->n_layers, sizeof *e->wptr))) goto nomem;
  if (e->tap_n && !(e->tap_pc = (int32_t *)bnn_calloc((size_t)e->tap_n, sizeof(int32_t))))
    goto nomem;
  for (int t = 0; t < p->threads; ++t) {
    scratch *s = &e->scr[t];
    uint64_t tile = scr_px > IMG_CHUNK ? scr_px : IMG_CHUNK;
    if (!(s->counts = (int32_t *)bnn_calloc((size_t)(tile * CHUNK), sizeof(int32_t)))) goto nomem;
    if (scr_im2col && !(s->im2col = (uint64_t *)bnn_malloc_aligned((size_t)(scr_im2col * 8))))
      goto nomem;
    if (scr_im2col8 && !(s->im2col8 = (uint8_t *)bnn_malloc_aligned((size_t)scr_im2col8)))
      goto nomem;
    if (scr_px && !(s->rowsum = (int32_t *)bnn_calloc((size_t)scr_px, sizeof(int32_t)))) goto nomem;
  }
  if (p->threads > 1) {
    if (!(e->th = (pthread_t *)bnn_calloc((size_t)p->threads - 1, sizeof *e->th))) goto nomem;
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv_start, NULL);
    pthread_cond_init(&e->cv_done, NULL);
    for (int t = 1; t < p->threads; ++t) {
      worker_arg *wa = (worker_arg *)bnn_malloc(sizeof *wa);
      if (!wa) goto nomem;
      wa->e = e, wa->tid = t;
      if (pthread_create(&e->th[e->n_started], NULL, worker, wa) != 0) {
        bnn_free(wa);
        bnn_engine_destroy(e);
        return bnn_fail(BNN_E_NOMEM, "engine: cannot start worker thread %d", t);
      }
      e->n_started++;
    }
  }
  *out = e;
  return BNN_OK;
nomem:
  bnn_engine_destroy(e);
  return bnn_fail(BNN_E_NOMEM, "engine: out of memory for a block of %u images",
                  p->weight_reuse ? p->weight_reuse : DEFAULT_REUSE);
toobig:
  bnn_engine_destroy(e);
  return bnn_fail(BNN_E_RANGE, "engine: buffers for a block of %u images overflow", e->block);
}

/* ---- running ---- */

/* The weights of one layer, through the port: zero-copy when it maps (8-byte aligned), else read
 * into scratch (at the layer's own address) by this, the coordinating, thread, so the read order is
 * fixed. Read rows get their padding bits cleared: the kernels rely on them being 0 and a port may
 * deliver flipped padding. */
static bnn_status fetch_weights(bnn_engine *e, const plan *P, const uint64_t **w) {
  const bnn_layer_info *I = &P->info;
  const void *mp = bnn_port_map(e->port, I->weight_addr, (size_t)I->weight_bytes);
  if (mp && ((uintptr_t)mp & 7) == 0) {
    *w = (const uint64_t *)mp;
    return BNN_OK;
  }
  uint64_t *dst = e->wbuf + I->weight_addr / 8;
  bnn_status st = bnn_port_read(e->port, I->weight_addr, dst, (size_t)I->weight_bytes);
  if (st) return bnn_fail(st, "engine: layer %d weights: %s", I->weight_layer_index, bnn_errmsg());
  if (I->fan_in % 64) {
    uint64_t mask = (1ull << (I->fan_in % 64)) - 1;
    for (uint32_t o = 0; o < I->out_c; ++o)
      dst[(uint64_t)o * P->row_words + P->row_words - 1] &= mask;
  }
  *w = dst;
  return BNN_OK;
}

/* Runs a layer's job over n items: through the pool, or inline on this thread. */
static void exec(bnn_engine *e, job_fn fn, const lctx *c, size_t n, int parallel, int tid) {
  if (parallel) {
    run_job(e, fn, c, n);
  } else {
    for (size_t i = 0; i < n; ++i) fn(e, c, i, tid);
  }
}

/* Takes n images through every layer with buffers b; scores out: n × n_classes. */
static void run_network(bnn_engine *e, const bufs *b, const uint8_t *imgs, size_t n,
                        int32_t *scores, int parallel, int tid) {
  const uint64_t *in = NULL;
  int ping = 0;
  for (uint32_t l = 0; l < e->n_plans; ++l) {
    const plan *P = &e->plans[l];
    const bnn_layer_info *I = &P->info;
    lctx c = {P, e->wptr[l], e->tap_pc + P->tap_off, imgs, in, P->in_words, b->act[ping], scores,
              b, n};
    if (I->kind == BNN_LAYER_MAXPOOL2) {
      exec(e, job_pool, &c, n, parallel, tid);
    } else if (I->kind == BNN_LAYER_CONV3X3) {
      exec(e, job_conv, &c, n, parallel, tid);
    } else {
      if (I->input_u8) exec(e, job_u8_prep, &c, n, parallel, tid);
      if (P->flatten) {
        exec(e, job_flatten, &c, n, parallel, tid);
        c.in = b->flat;
        c.in_words = e->flat_words;
      }
      size_t n_items = ((n + IMG_CHUNK - 1) / IMG_CHUNK) * ((I->out_c + CHUNK - 1) / CHUNK);
      exec(e, job_dense, &c, n_items, parallel, tid);
    }
    in = b->act[ping];
    ping ^= 1;
  }
}

/* Chunk-parallel item: THREAD_CHUNK images of the block through the whole network on one thread. */
static void job_chunk(bnn_engine *e, const lctx *c, size_t item, int tid) {
  (void)c;
  const bnn_model *m = e->m;
  size_t i0 = item * THREAD_CHUNK, n = e->blk_n - i0 < THREAD_CHUNK ? e->blk_n - i0 : THREAD_CHUNK;
  run_network(e, &e->tb[tid], e->blk_img + i0 * (size_t)m->in_c * m->in_h * m->in_w, n,
              e->scores + i0 * e->n_classes, 0, tid);
}

bnn_status bnn_engine_run(bnn_engine *e, const uint8_t *images, size_t n, int32_t *scores,
                          uint8_t *pred) {
  if (!e || (!images && n)) return bnn_fail(BNN_E_ARG, "bnn_engine_run: NULL argument");
  if (pred && e->n_classes > 256)
    return bnn_fail(BNN_E_ARG,
                    "bnn_engine_run: %u classes do not fit 8-bit predictions; use scores",
                    e->n_classes);
  const bnn_model *m = e->m;
  const uint64_t img_bytes = (uint64_t)m->in_c * m->in_h * m->in_w;
  for (size_t b0 = 0; b0 < n; b0 += e->block) {
    size_t nb = n - b0 < e->block ? n - b0 : e->block;
    /* Every weight layer once per block, in layer order, from this thread. */
    for (uint32_t l = 0; l < e->n_plans; ++l) {
      const plan *P = &e->plans[l];
      const bnn_layer_info *I = &P->info;
      if (I->weight_layer_index < 0) continue;
      bnn_status st = fetch_weights(e, P, &e->wptr[l]);
      if (st) return st;
      /* Input offset: layer 0's thresholds from the weight sums of the rows just fetched (the
       * stored, possibly faulty ones), so a flip moves the offset term too. */
      if (l == 0 && e->off_t) bnn_model_offset_thresholds(m, e->wptr[0], e->off_t);
      if (I->kind == BNN_LAYER_CONV3X3 && !I->input_u8)
        for (uint32_t o = 0; o < I->out_c; ++o)
          for (uint32_t t = 0; t < 9; ++t)
            e->tap_pc[P->tap_off + (uint64_t)o * 9 + t] = (int32_t)bnn_popcount_range(
                e->wptr[l] + (uint64_t)o * P->row_words, (uint64_t)t * I->in_c, I->in_c);
    }
    const uint8_t *imgs = images + b0 * img_bytes;
    if (e->n_started && nb >= (size_t)e->threads * THREAD_CHUNK) {
      /* Enough images for every thread: whole-network chunks, one synchronisation per block, and
       * a thread that is descheduled (shared cores) holds up only its own chunk. */
      e->blk_img = imgs;
      e->blk_n = nb;
      run_job(e, job_chunk, NULL, (nb + THREAD_CHUNK - 1) / THREAD_CHUNK);
    } else {
      /* Few images: split each layer's neurons (dense) or images (conv) across the threads. */
      run_network(e, &e->main, imgs, nb, e->scores, 1, 0);
    }
    for (size_t i = 0; i < nb; ++i) {
      const int32_t *s = e->scores + i * e->n_classes;
      if (scores) memcpy(scores + (b0 + i) * e->n_classes, s, e->n_classes * sizeof *s);
      if (pred) pred[b0 + i] = (uint8_t)bnn_model_predict_scores(m, s);
    }
  }
  return BNN_OK;
}
