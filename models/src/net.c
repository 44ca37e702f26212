/* net.c — libbet's net: construction from an architecture, the batch buffers, accessors, the
 * persistent-array walk (checkpoints, equality) and the thread count. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "bet_impl.h"
#include "bnn/rng.h"

/* libbet's threads share the GEMMs' fixed column blocks (layers.c); OpenBLAS itself runs each
 * block on one thread, so results do not depend on the thread count. */
void bet_set_threads(int n) {
  openblas_set_num_threads(1);
  bet_par_set_threads(n);
}

/* ---- construction --------------------------------------------------------------------------- */

size_t bet_conv_chunk(const bet_layer *L) {
  const size_t per = (size_t)L->out_h * L->out_w * L->fan_in;
  size_t c = per ? BET_COLS_FLOATS / per : 1;
  return c ? c : 1;
}

double bet_in_scale(const bet_net *net, const bet_layer *L) {
  if (!L->is_first) return 1.0;
  return net->input_range == BET_INPUT_PM1 ? 127.5 : 255.0;
}

double bet_in_offset(const bet_net *net, const bet_layer *L, uint32_t j) {
  if (!L->is_first || net->input_range != BET_INPUT_PM1) return 0.0;
  const float *w = L->w + (size_t)j * L->fan_in;
  int64_t s = 0;
  for (uint32_t i = 0; i < L->fan_in; ++i) s += w[i] >= 0.0f ? 1 : -1; /* sign(0) = +1 */
  return (double)s;
}

int64_t bet_layer_reach(const bet_layer *L) {
  return (int64_t)L->fan_in * (L->is_first ? 255 : 1);
}

void *bet_zalloc(size_t n, size_t sz, int *ok) {
  if (n == 0) return NULL;
  void *p = bnn_calloc(n, sz);
  if (!p) *ok = 0;
  return p;
}

static void layer_free_batch(bet_layer *L) {
  bnn_free(L->z);
  bnn_free(L->h);
  bnn_free(L->hp);
  bnn_free(L->act);
  bnn_free(L->argmax);
  L->z = L->h = L->hp = L->act = NULL;
  L->argmax = NULL;
}

/* Frees the net's own per-batch buffers (the layers' are layer_free_batch's); capacity 0. */
static void net_free_batch(bet_net *net) {
  bnn_free(net->x0);
  bnn_free(net->xbits);
  bnn_free(net->logits);
  bnn_free(net->dlogits);
  bnn_free(net->gA);
  bnn_free(net->gB);
  bnn_free(net->gC);
  net->xbits = NULL;
  net->x0 = net->logits = net->dlogits = net->gA = net->gB = net->gC = NULL;
  net->cap_batch = 0;
}

void bet_net_free(bet_net *net) {
  if (!net) return;
  for (uint32_t l = 0; l < net->n; ++l) {
    bet_layer *L = &net->L[l];
    float *arrs[] = {L->w,      L->wm,    L->wv, L->gamma,    L->beta,    L->gm,
                     L->gv,     L->bm,    L->bv, L->run_mean, L->run_var, L->dw,
                     L->dgamma, L->dbeta, L->wb, L->mean,     L->invstd,  L->var};
    for (size_t i = 0; i < sizeof arrs / sizeof arrs[0]; ++i) bnn_free(arrs[i]);
    bnn_free(L->flips);
    bnn_free(L->flipbuf);
    bnn_free(L->wbits);
    layer_free_batch(L);
  }
  net_free_batch(net);
  bnn_free(net->cols);
  bnn_free(net);
}

bnn_status bet_net_create(bet_net **out, const bet_arch *arch, uint32_t in_c, uint32_t in_h,
                          uint32_t in_w, uint32_t n_classes, uint64_t seed) {
  if (!out || !arch) return bnn_fail(BNN_E_ARG, "bet_net_create: NULL argument");
  *out = NULL;
  if (arch->n_layers < 1 || arch->n_layers > BET_MAX_LAYERS)
    return bnn_fail(BNN_E_ARG, "arch '%s': %u weight layers, need 1..%d", arch->name,
                    arch->n_layers, BET_MAX_LAYERS);
  if (in_c == 0 || in_h == 0 || in_w == 0 || n_classes < 2)
    return bnn_fail(BNN_E_SHAPE, "arch '%s': empty input shape or fewer than 2 classes",
                    arch->name);
  const uint32_t declared = bet_arch_declared_input(arch);
  if (declared && (uint64_t)declared != (uint64_t)in_c * in_h * in_w)
    return bnn_fail(BNN_E_SHAPE, "arch '%s': input width %u but the images have %u values",
                    arch->name, declared, in_c * in_h * in_w);
  if (arch->layers[arch->n_layers - 1].kind != BET_DENSE ||
      arch->layers[arch->n_layers - 1].n_out != n_classes)
    return bnn_fail(BNN_E_SHAPE, "arch '%s': the output layer must be dense with %u outputs",
                    arch->name, n_classes);
  bet_net *net = (bet_net *)bnn_calloc(1, sizeof *net);
  if (!net) return bnn_fail(BNN_E_NOMEM, "bet_net_create: out of memory");
  net->arch = *arch;
  net->in_c = in_c;
  net->in_h = in_h;
  net->in_w = in_w;
  net->n_classes = n_classes;
  net->seed = seed;
  net->n = arch->n_layers;
  net->scale = 1e-3f;
  net->bn_eps = 1e-5;
  uint32_t c = in_c, h = in_h, w = in_w;
  int flat = 0; /* after the first dense layer the spatial shape is 1 × 1 */
  int ok = 1;
  size_t max_act = (size_t)c * h * w;
  for (uint32_t l = 0; l < net->n; ++l) {
    const bet_layer_spec *s = &arch->layers[l];
    bet_layer *L = &net->L[l];
    L->kind = s->kind;
    L->is_first = l == 0;
    L->is_output = l + 1 == net->n;
    L->in_c = c;
    L->in_h = h;
    L->in_w = w;
    L->n_out = s->n_out;
    if (s->n_out == 0) {
      bet_net_free(net);
      return bnn_fail(BNN_E_SHAPE, "arch '%s': layer %u has no outputs", arch->name, l);
    }
    if (s->kind == BET_CONV3X3) {
      if (flat) {
        bet_net_free(net);
        return bnn_fail(BNN_E_SHAPE, "arch '%s': conv layer %u after a dense layer", arch->name, l);
      }
      L->fan_in = 9 * c;
      L->out_h = h;
      L->out_w = w;
      L->pool = s->pool;
      if (s->pool && (h % 2 || w % 2)) {
        bet_net_free(net);
        return bnn_fail(BNN_E_SHAPE, "arch '%s': layer %u pools an odd %ux%u map", arch->name, l, h,
                        w);
      }
      L->next_h = s->pool ? h / 2 : h;
      L->next_w = s->pool ? w / 2 : w;
    } else {
      const uint64_t fi = (uint64_t)c * h * w;
      if (fi > (1u << 24)) {
        bet_net_free(net);
        return bnn_fail(BNN_E_RANGE, "arch '%s': layer %u fan-in %llu too large", arch->name, l,
                        (unsigned long long)fi);
      }
      L->fan_in = (uint32_t)fi;
      L->out_h = L->out_w = L->next_h = L->next_w = 1;
      flat = 1;
    }
    if (bet_layer_reach(L) >= (1 << 24)) {
      bet_net_free(net);
      return bnn_fail(BNN_E_RANGE,
                      "arch '%s': layer %u pre-activations reach %lld, beyond exact float sums",
                      arch->name, l, (long long)bet_layer_reach(L));
    }
    const size_t nw = (size_t)L->n_out * L->fan_in;
    L->w = (float *)bet_zalloc(nw, sizeof(float), &ok);
    L->wm = (float *)bet_zalloc(nw, sizeof(float), &ok);
    L->wv = (float *)bet_zalloc(nw, sizeof(float), &ok);
    L->dw = (float *)bet_zalloc(nw, sizeof(float), &ok);
    L->wb = (float *)bet_zalloc(nw, sizeof(float), &ok);
    L->flipbuf = (uint8_t *)bet_zalloc((nw + 7) / 8, 1, &ok);
    if (L->kind == BET_DENSE && l > 0) {
      const size_t words = bet_packed_words(L->fan_in);
      L->wbits = (uint64_t *)bet_zalloc((size_t)L->n_out * words, sizeof(uint64_t), &ok);
      if (words > net->max_words) net->max_words = words;
    }
    if (!L->is_output) {
      L->gamma = (float *)bet_zalloc(L->n_out, sizeof(float), &ok);
      L->beta = (float *)bet_zalloc(L->n_out, sizeof(float), &ok);
      L->gm = (float *)bet_zalloc(L->n_out, sizeof(float), &ok);
      L->gv = (float *)bet_zalloc(L->n_out, sizeof(float), &ok);
      L->bm = (float *)bet_zalloc(L->n_out, sizeof(float), &ok);
      L->bv = (float *)bet_zalloc(L->n_out, sizeof(float), &ok);
      L->run_mean = (float *)bet_zalloc(L->n_out, sizeof(float), &ok);
      L->run_var = (float *)bet_zalloc(L->n_out, sizeof(float), &ok);
      L->dgamma = (float *)bet_zalloc(L->n_out, sizeof(float), &ok);
      L->dbeta = (float *)bet_zalloc(L->n_out, sizeof(float), &ok);
      L->mean = (float *)bet_zalloc(L->n_out, sizeof(float), &ok);
      L->invstd = (float *)bet_zalloc(L->n_out, sizeof(float), &ok);
      L->var = (float *)bet_zalloc(L->n_out, sizeof(float), &ok);
    }
    if (!ok) {
      bet_net_free(net);
      return bnn_fail(BNN_E_NOMEM, "bet_net_create: out of memory for layer %u", l);
    }
    if (!L->is_output)
      for (uint32_t j = 0; j < L->n_out; ++j) {
        L->gamma[j] = 1.0f;
        L->run_var[j] = 1.0f;
      }
    /* PyTorch's default init: U(−1/√fan_in, 1/√fan_in). */
    bnn_rng r = bnn_rng_make(bnn_rng_hash(seed, BET_RNG_INIT, l), 0);
    const double bound = 1.0 / sqrt((double)L->fan_in);
    for (size_t i = 0; i < nw; ++i) L->w[i] = (float)((2.0 * bnn_rng_uniform(&r) - 1.0) * bound);
    const size_t zsz = (size_t)L->out_h * L->out_w * L->n_out;
    if (zsz > max_act) max_act = zsz;
    if (L->kind == BET_CONV3X3) {
      c = L->n_out;
      h = L->next_h;
      w = L->next_w;
    } else {
      c = L->n_out;
      h = w = 1;
    }
  }
  net->max_act = max_act;
  *out = net;
  return BNN_OK;
}

/* Makes the per-batch buffers hold `batch` images. */
bnn_status bet_net_reserve(bet_net *net, uint32_t batch) {
  if (batch <= net->cap_batch) return BNN_OK;
  for (uint32_t l = 0; l < net->n; ++l) layer_free_batch(&net->L[l]);
  net_free_batch(net);
  int ok = 1;
  const size_t B = batch;
  net->x0 = (float *)bet_zalloc(B * net->in_c * net->in_h * net->in_w, sizeof(float), &ok);
  net->xbits = (uint64_t *)bet_zalloc(B * net->max_words, sizeof(uint64_t), &ok);
  net->logits = (float *)bet_zalloc(B * net->n_classes, sizeof(float), &ok);
  net->dlogits = (float *)bet_zalloc(B * net->n_classes, sizeof(float), &ok);
  net->gA = (float *)bet_zalloc(B * net->max_act, sizeof(float), &ok);
  net->gB = (float *)bet_zalloc(B * net->max_act, sizeof(float), &ok);
  net->gC = (float *)bet_zalloc(B * net->max_act, sizeof(float), &ok);
  size_t cols = 0;
  for (uint32_t l = 0; l < net->n; ++l) {
    bet_layer *L = &net->L[l];
    const size_t zsz = B * L->out_h * L->out_w * L->n_out;
    L->z = (float *)bet_zalloc(zsz, sizeof(float), &ok);
    if (!L->is_output) {
      const size_t nsz = B * L->next_h * L->next_w * L->n_out;
      L->h = (float *)bet_zalloc(zsz, sizeof(float), &ok);
      L->act = (float *)bet_zalloc(nsz, sizeof(float), &ok);
      if (L->pool) {
        L->hp = (float *)bet_zalloc(nsz, sizeof(float), &ok);
        L->argmax = (uint32_t *)bet_zalloc(nsz, sizeof(uint32_t), &ok);
      }
    }
    if (L->kind == BET_CONV3X3) {
      size_t ch = bet_conv_chunk(L);
      if (ch > B) ch = B;
      const size_t need = ch * L->out_h * L->out_w * L->fan_in;
      if (need > cols) cols = need;
    }
  }
  if (cols > net->cols_cap) {
    bnn_free(net->cols);
    net->cols = (float *)bet_zalloc(cols, sizeof(float), &ok);
    net->cols_cap = net->cols ? cols : 0;
  }
  if (!ok) return bnn_fail(BNN_E_NOMEM, "training buffers for batch %u: out of memory", batch);
  net->cap_batch = batch;
  return BNN_OK;
}

bnn_status bet_net_check_data(const bet_net *net, const bnn_dataset *d) {
  if (!d || !d->images || !d->labels || d->n == 0) return bnn_fail(BNN_E_ARG, "data set is empty");
  if (d->c != net->in_c || d->h != net->in_h || d->w != net->in_w)
    return bnn_fail(BNN_E_SHAPE, "data set %s: images %ux%ux%u, the net takes %ux%ux%u", d->name,
                    d->h, d->w, d->c, net->in_h, net->in_w, net->in_c);
  for (uint32_t i = 0; i < d->n; ++i)
    if (d->labels[i] >= net->n_classes)
      return bnn_fail(BNN_E_FORMAT, "data set %s: label %u of image %u ≥ %u classes", d->name,
                      d->labels[i], i, net->n_classes);
  return BNN_OK;
}

/* ---- accessors ------------------------------------------------------------------------------ */

const bet_arch *bet_net_arch(const bet_net *net) {
  return &net->arch;
}
float *bet_net_weights(bet_net *net, uint32_t l, size_t *count) {
  if (l >= net->n) return NULL;
  if (count) *count = (size_t)net->L[l].n_out * net->L[l].fan_in;
  return net->L[l].w;
}
uint32_t bet_net_fan_in(const bet_net *net, uint32_t l) {
  return l < net->n ? net->L[l].fan_in : 0;
}
uint32_t bet_net_n_out(const bet_net *net, uint32_t l) {
  return l < net->n ? net->L[l].n_out : 0;
}
float *bet_net_bn(bet_net *net, uint32_t l, float **beta, float **run_mean, float **run_var) {
  if (l >= net->n || net->L[l].is_output) return NULL;
  if (beta) *beta = net->L[l].beta;
  if (run_mean) *run_mean = net->L[l].run_mean;
  if (run_var) *run_var = net->L[l].run_var;
  return net->L[l].gamma;
}
bet_input_range bet_net_input_range(const bet_net *net) {
  return net->input_range;
}

float bet_net_output_scale(const bet_net *net) {
  return net->scale;
}
void bet_net_set_output_scale(bet_net *net, float s) {
  net->scale = s;
}
uint64_t bet_net_step(const bet_net *net) {
  return net->step;
}
uint32_t bet_net_epoch(const bet_net *net) {
  return net->epoch;
}
const uint64_t *bet_net_last_flips(const bet_net *net, uint32_t l, size_t *count) {
  if (l >= net->n) return NULL;
  if (count) *count = net->L[l].n_flips;
  return net->L[l].flips;
}
const float *bet_net_last_wgrad(const bet_net *net, uint32_t l) {
  return l < net->n ? net->L[l].dw : NULL;
}

int bet_net_visit_arrays(bet_net *net, bet_array_fn fn, void *ud) {
  for (uint32_t l = 0; l < net->n; ++l) {
    bet_layer *L = &net->L[l];
    const size_t nw = (size_t)L->n_out * L->fan_in;
    if (!fn(ud, L->w, nw) || !fn(ud, L->wm, nw) || !fn(ud, L->wv, nw)) return 0;
    if (!L->is_output) {
      float *a[] = {L->gamma, L->beta, L->gm, L->gv, L->bm, L->bv, L->run_mean, L->run_var};
      for (size_t i = 0; i < sizeof a / sizeof a[0]; ++i)
        if (!fn(ud, a[i], L->n_out)) return 0;
    }
  }
  return fn(ud, &net->scale, 1) && fn(ud, &net->sm, 1) && fn(ud, &net->sv, 1);
}

typedef struct eq_state {
  bet_net *other;
  float *arrays[BET_MAX_LAYERS * 11 + 3];
  size_t sizes[BET_MAX_LAYERS * 11 + 3];
  size_t n, i;
  int equal;
} eq_state;

static int collect_arrays(void *ud, float *a, size_t n) {
  eq_state *s = (eq_state *)ud;
  s->arrays[s->n] = a;
  s->sizes[s->n] = n;
  s->n++;
  return 1;
}

static int compare_arrays(void *ud, float *a, size_t n) {
  eq_state *s = (eq_state *)ud;
  if (s->i >= s->n || s->sizes[s->i] != n ||
      (n && memcmp(s->arrays[s->i], a, n * sizeof(float)) != 0))
    s->equal = 0;
  s->i++;
  return s->equal;
}

int bet_net_equal(const bet_net *a, const bet_net *b) {
  if (a->n != b->n || a->in_c != b->in_c || a->in_h != b->in_h || a->in_w != b->in_w ||
      a->n_classes != b->n_classes || a->step != b->step || a->epoch != b->epoch ||
      a->bn_eps != b->bn_eps || a->input_range != b->input_range)
    return 0;
  for (uint32_t l = 0; l < a->n; ++l)
    if (a->L[l].kind != b->L[l].kind || a->L[l].n_out != b->L[l].n_out ||
        a->L[l].pool != b->L[l].pool)
      return 0;
  eq_state s;
  memset(&s, 0, sizeof s);
  s.equal = 1;
  bet_net_visit_arrays((bet_net *)a, collect_arrays, &s);
  bet_net_visit_arrays((bet_net *)b, compare_arrays, &s);
  return s.equal && s.i == s.n;
}
