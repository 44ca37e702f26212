/* port.c — memory ports over host memory: the zero-copy host port and the error-model port. */
#include <math.h>
#include <string.h>

#include "bnn_impl.h"

void bnn_port_destroy(bnn_port *p) {
  if (p && p->vt && p->vt->destroy) p->vt->destroy(p);
}

/* ---- host port: the model's weight image, zero-copy, error-free ---- */

typedef struct host_port {
  bnn_port base;
  const bnn_model *m;
} host_port;

static bnn_status host_read(bnn_port *p, uint64_t addr, void *dst, size_t n) {
  host_port *h = (host_port *)p;
  if (addr > h->m->wimg_size || n > h->m->wimg_size - addr)
    return bnn_fail(BNN_E_PORT,
                    "host port: read of %zu bytes at 0x%llx outside the %llu-byte weight image", n,
                    (unsigned long long)addr, (unsigned long long)h->m->wimg_size);
  if (n) memcpy(dst, h->m->wimg + addr, n);
  return BNN_OK;
}

static bnn_status host_write(bnn_port *p, uint64_t addr, const void *src, size_t n) {
  host_port *h = (host_port *)p;
  if (addr > h->m->wimg_size || n > h->m->wimg_size - addr)
    return bnn_fail(BNN_E_PORT, "host port: write of %zu bytes at 0x%llx outside the weight image",
                    n, (unsigned long long)addr);
  /* The host port presents the model's own image: writing reprograms the model's weights. */
  if (n) memcpy(h->m->wimg + addr, src, n);
  return BNN_OK;
}

static const void *host_map(bnn_port *p, uint64_t addr, size_t n) {
  host_port *h = (host_port *)p;
  if (addr > h->m->wimg_size || n > h->m->wimg_size - addr) return NULL;
  return h->m->wimg + addr;
}

static void host_destroy(bnn_port *p) {
  bnn_free(p);
}

static const bnn_port_vtbl host_vtbl = {host_read, host_write, host_map, host_destroy};

bnn_status bnn_host_port_create(bnn_port **out, const bnn_model *m) {
  if (!out || !m) return bnn_fail(BNN_E_ARG, "bnn_host_port_create: out or model NULL");
  *out = NULL;
  host_port *h = (host_port *)bnn_calloc(1, sizeof *h);
  if (!h) return bnn_fail(BNN_E_NOMEM, "host port: out of memory");
  h->base.vt = &host_vtbl;
  h->m = m;
  *out = &h->base;
  return BNN_OK;
}

/* ---- error port ---- */

/* Keys that separate the RNG uses of one seed. */
#define TAG_PROGRAM 0x50524f47u /* initial programming at creation */
#define TAG_WRITE   0x57524954u /* later bnn_port_write calls */
#define TAG_READ    0x52454144u /* transient read errors */

typedef struct err_layer {
  uint64_t addr, bytes, row_bits, fan_in;
  uint32_t index; /* weight-layer index */
  int prone;
} err_layer;

typedef struct access_slot {
  uint64_t key; /* address + 1; 0 = empty */
  uint64_t reads, writes;
} access_slot;

typedef struct error_port {
  bnn_port base;
  uint8_t *img;
  uint64_t size;
  bnn_error_params p;
  uint64_t rep;
  err_layer *layers;
  uint32_t n_layers;
  bnn_error_counts counts;
  access_slot *slots; /* open addressing: access counts per start address */
  size_t n_slots, used;
} error_port;

bnn_error_params bnn_error_default_params(void) {
  bnn_error_params p;
  memset(&p, 0, sizeof p);
  p.layer_mask = ~0ull;
  return p;
}

/* Valid (non-padding) bits among layer-relative bits [0, b). */
static uint64_t valid_before(const err_layer *L, uint64_t b) {
  uint64_t r = b % L->row_bits;
  return b / L->row_bits * L->fan_in + (r < L->fan_in ? r : L->fan_in);
}

/* Flips the weight bits among layer-relative bits [b0, b1) of layer L, held in buf starting at
 * buffer bit `at` (= b0). Candidates are visited by geometric skipping at max(p01, p10) over the
 * physical bits; a candidate on a padding bit is dropped (padding cells hold no weight, and each
 * weight bit still flips independently with its rate); a weight bit is kept with p(value) / max
 * (thinning). Cost O(#flips · row_bits / fan_in), never O(#bits). */
static uint64_t flip_weights(uint8_t *buf, uint64_t at, const err_layer *L, uint64_t b0,
                             uint64_t b1, bnn_flip_rates rates, bnn_rng *r) {
  double pmax = rates.p01 > rates.p10 ? rates.p01 : rates.p10;
  if (!(pmax > 0.0) || b1 <= b0) return 0;
  double keep0 = rates.p01 / pmax, keep1 = rates.p10 / pmax;
  int thin = rates.p01 != rates.p10;
  uint64_t flips = 0, i = 0, n = b1 - b0;
  for (;;) {
    uint64_t gap = bnn_rng_geometric(r, pmax);
    if (gap >= n - i) break;
    i += gap;
    if ((b0 + i) % L->row_bits < L->fan_in) {
      uint64_t bit = at + i;
      int old = (buf[bit >> 3] >> (bit & 7)) & 1;
      if (!thin || bnn_rng_uniform(r) < (old ? keep1 : keep0)) {
        buf[bit >> 3] ^= (uint8_t)(1u << (bit & 7));
        ++flips;
      }
    }
    if (++i >= n) break;
  }
  return flips;
}

/* Applies flips with `rates` to the error-prone weight bits of buf = image bytes [addr, addr + n);
 * rng stream per layer from (tag key, addr, count). Returns flips; adds the weight bits covered. */
static uint64_t flip_range(error_port *e, uint8_t *buf, uint64_t addr, uint64_t n,
                           bnn_flip_rates rates, uint64_t seed_key, uint64_t count,
                           uint64_t *bits) {
  uint64_t flips = 0;
  for (uint32_t l = 0; l < e->n_layers; ++l) {
    const err_layer *L = &e->layers[l];
    if (!L->prone) continue;
    uint64_t s = addr > L->addr ? addr : L->addr;
    uint64_t t = addr + n < L->addr + L->bytes ? addr + n : L->addr + L->bytes;
    if (s >= t) continue;
    uint64_t b0 = (s - L->addr) * 8, b1 = (t - L->addr) * 8;
    if (bits) *bits += valid_before(L, b1) - valid_before(L, b0);
    bnn_rng r = bnn_rng_make(seed_key, bnn_rng_hash(addr, count, L->index));
    flips += flip_weights(buf, (s - addr) * 8, L, b0, b1, rates, &r);
  }
  return flips;
}

static access_slot *access_of(error_port *e, uint64_t addr) {
  if (2 * (e->used + 1) > e->n_slots) { /* grow at half load */
    size_t nn = e->n_slots ? 2 * e->n_slots : 64;
    access_slot *ns = (access_slot *)bnn_calloc(nn, sizeof *ns);
    if (!ns) return NULL;
    for (size_t i = 0; i < e->n_slots; ++i)
      if (e->slots[i].key) {
        size_t h = (size_t)bnn_rng_hash(e->slots[i].key, 0, 0) & (nn - 1);
        while (ns[h].key) h = (h + 1) & (nn - 1);
        ns[h] = e->slots[i];
      }
    bnn_free(e->slots);
    e->slots = ns, e->n_slots = nn;
  }
  size_t h = (size_t)bnn_rng_hash(addr + 1, 0, 0) & (e->n_slots - 1);
  while (e->slots[h].key && e->slots[h].key != addr + 1) h = (h + 1) & (e->n_slots - 1);
  if (!e->slots[h].key) e->slots[h].key = addr + 1, e->used++;
  return &e->slots[h];
}

static bnn_status err_read(bnn_port *p, uint64_t addr, void *dst, size_t n) {
  error_port *e = (error_port *)p;
  if (addr > e->size || n > e->size - addr)
    return bnn_fail(BNN_E_PORT,
                    "error port: read of %zu bytes at 0x%llx outside the %llu-byte weight image", n,
                    (unsigned long long)addr, (unsigned long long)e->size);
  if (n) memcpy(dst, e->img + addr, n);
  bnn_flip_rates rr = {e->p.read_p01, e->p.read_p10};
  access_slot *a = access_of(e, addr);
  if (!a) return bnn_fail(BNN_E_NOMEM, "error port: out of memory");
  uint64_t count = a->reads++;
  e->counts.read_flips +=
      flip_range(e, (uint8_t *)dst, addr, n, rr, bnn_rng_hash(e->p.seed, e->rep, TAG_READ), count,
                 &e->counts.bits_read);
  return BNN_OK;
}

static bnn_status err_write(bnn_port *p, uint64_t addr, const void *src, size_t n) {
  error_port *e = (error_port *)p;
  if (addr > e->size || n > e->size - addr)
    return bnn_fail(BNN_E_PORT, "error port: write of %zu bytes at 0x%llx outside the weight image",
                    n, (unsigned long long)addr);
  if (n) memcpy(e->img + addr, src, n);
  bnn_flip_rates wr = {e->p.write_p01, e->p.write_p10};
  access_slot *a = access_of(e, addr);
  if (!a) return bnn_fail(BNN_E_NOMEM, "error port: out of memory");
  uint64_t count = a->writes++;
  e->counts.write_flips += flip_range(e, e->img + addr, addr, n, wr,
                                      bnn_rng_hash(e->p.seed, e->rep, TAG_WRITE), count, NULL);
  return BNN_OK;
}

/* Reads have side effects (fresh errors): no zero-copy map. */
static const void *err_map(bnn_port *p, uint64_t addr, size_t n) {
  (void)p, (void)addr, (void)n;
  return NULL;
}

static void err_destroy(bnn_port *p) {
  error_port *e = (error_port *)p;
  bnn_free_aligned(e->img);
  bnn_free(e->layers);
  bnn_free(e->slots);
  bnn_free(e);
}

static const bnn_port_vtbl error_vtbl = {err_read, err_write, err_map, err_destroy};

static bnn_status check_rate(const char *name, double v) {
  if (!(v >= 0.0 && v <= 0.5))
    return bnn_fail(BNN_E_RANGE, "error port: %s = %g outside [0, 0.5]", name, v);
  return BNN_OK;
}

bnn_status bnn_error_port_create(bnn_port **out, const bnn_model *m, const bnn_error_params *p,
                                 uint64_t rep) {
  if (!out || !m || !p) return bnn_fail(BNN_E_ARG, "bnn_error_port_create: NULL argument");
  *out = NULL;
  bnn_status st;
  if ((st = check_rate("write_p01", p->write_p01)) ||
      (st = check_rate("write_p10", p->write_p10)) || (st = check_rate("read_p01", p->read_p01)) ||
      (st = check_rate("read_p10", p->read_p10)))
    return st;
  error_port *e = (error_port *)bnn_calloc(1, sizeof *e);
  if (!e) return bnn_fail(BNN_E_NOMEM, "error port: out of memory");
  e->base.vt = &error_vtbl;
  e->p = *p;
  e->rep = rep;
  e->size = m->wimg_size;
  e->img = (uint8_t *)bnn_malloc_aligned((size_t)(e->size ? e->size : 1));
  e->layers =
      (err_layer *)bnn_calloc(m->n_weight_layers ? m->n_weight_layers : 1, sizeof *e->layers);
  if (!e->img || !e->layers) {
    err_destroy(&e->base);
    return bnn_fail(BNN_E_NOMEM, "error port: out of memory for a %llu-byte weight copy",
                    (unsigned long long)e->size);
  }
  if (e->size) memcpy(e->img, m->wimg, (size_t)e->size);
  for (uint32_t i = 0; i < m->n_layers; ++i) {
    const bnn_layer_info *I = &m->layers[i].info;
    if (I->weight_layer_index < 0) continue;
    err_layer *L = &e->layers[e->n_layers++];
    L->addr = I->weight_addr, L->bytes = I->weight_bytes;
    L->row_bits = I->row_bytes * 8, L->fan_in = I->fan_in;
    L->index = (uint32_t)I->weight_layer_index;
    L->prone = L->index < 64 && ((p->layer_mask >> L->index) & 1);
  }
  /* Programming the image once: persistent flips, stream derived from rep so rep r alone is
   * reproducible. */
  bnn_flip_rates wr = {p->write_p01, p->write_p10};
  for (uint32_t l = 0; l < e->n_layers; ++l) {
    const err_layer *L = &e->layers[l];
    if (!L->prone) continue;
    e->counts.bits_stored += valid_before(L, L->bytes * 8);
    bnn_rng r = bnn_rng_make(bnn_rng_hash(p->seed, rep, TAG_PROGRAM), L->index);
    e->counts.write_flips += flip_weights(e->img + L->addr, 0, L, 0, L->bytes * 8, wr, &r);
  }
  *out = &e->base;
  return BNN_OK;
}

bnn_status bnn_error_port_counts(const bnn_port *p, bnn_error_counts *c) {
  if (!p || !c || p->vt != &error_vtbl)
    return bnn_fail(BNN_E_ARG, "bnn_error_port_counts: not an error port");
  *c = ((const error_port *)p)->counts;
  return BNN_OK;
}
