/* net.c — libbet's net: architecture parsing, construction, the training-mode forward/backward
 * pass with flip injection, the Adam step, and the engine-exact evaluation-mode forward pass. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "bet_impl.h"
#include "bnn/rng.h"

/* OpenBLAS and OpenMP both use the caller's thread count. */
void bet_set_threads(int n) {
  openblas_set_num_threads(n);
  bet_par_set_threads(n);
}
#define set_threads bet_set_threads

/* ---- enums ---------------------------------------------------------------------------------- */

static const char *const loss_names[BET_LOSS_COUNT] = {
    [BET_LOSS_CE] = "ce", [BET_LOSS_MHL] = "mhl"};
_Static_assert(sizeof loss_names / sizeof loss_names[0] == BET_LOSS_COUNT, "loss table");
static const char *const flip_grad_names[BET_FLIP_GRAD_COUNT] = {
    [BET_FLIP_GRAD_SIGN] = "sign", [BET_FLIP_GRAD_STRAIGHT] = "straight"};
_Static_assert(sizeof flip_grad_names / sizeof flip_grad_names[0] == BET_FLIP_GRAD_COUNT,
               "flip-grad table");
static const char *const bn_stats_names[BET_BN_STATS_COUNT] = {
    [BET_BN_RUNNING] = "running", [BET_BN_TRAIN_SET] = "train-set"};
_Static_assert(sizeof bn_stats_names / sizeof bn_stats_names[0] == BET_BN_STATS_COUNT,
               "bn-stats table");

const char *bet_loss_str(bet_loss l) {
  return (unsigned)l < BET_LOSS_COUNT ? loss_names[l] : "?";
}
const char *bet_flip_grad_str(bet_flip_grad g) {
  return (unsigned)g < BET_FLIP_GRAD_COUNT ? flip_grad_names[g] : "?";
}
const char *bet_bn_stats_str(bet_bn_stats b) {
  return (unsigned)b < BET_BN_STATS_COUNT ? bn_stats_names[b] : "?";
}

/* ---- architecture --------------------------------------------------------------------------- */

static void arch_add(bet_arch *a, bet_layer_kind k, uint32_t n_out, int pool) {
  a->layers[a->n_layers].kind = k;
  a->layers[a->n_layers].n_out = n_out;
  a->layers[a->n_layers].pool = pool;
  a->n_layers++;
}

bnn_status bet_arch_parse(const char *s, uint32_t n_classes, bet_arch *out) {
  if (!s || !out || n_classes < 2) return bnn_fail(BNN_E_ARG, "arch: need a name and ≥ 2 classes");
  memset(out, 0, sizeof *out);
  snprintf(out->name, sizeof out->name, "%s", s);
  if (!strcmp(s, "fcnn")) {
    arch_add(out, BET_DENSE, 2048, 0);
    arch_add(out, BET_DENSE, 2048, 0);
    arch_add(out, BET_DENSE, n_classes, 0);
    return BNN_OK;
  }
  if (!strcmp(s, "vgg3")) {
    arch_add(out, BET_CONV3X3, 64, 1);
    arch_add(out, BET_CONV3X3, 64, 1);
    arch_add(out, BET_DENSE, 2048, 0);
    arch_add(out, BET_DENSE, n_classes, 0);
    return BNN_OK;
  }
  if (!strcmp(s, "vgg7")) {
    arch_add(out, BET_CONV3X3, 128, 0);
    arch_add(out, BET_CONV3X3, 128, 1);
    arch_add(out, BET_CONV3X3, 256, 0);
    arch_add(out, BET_CONV3X3, 256, 1);
    arch_add(out, BET_CONV3X3, 512, 0);
    arch_add(out, BET_CONV3X3, 512, 1);
    arch_add(out, BET_DENSE, 1024, 0);
    arch_add(out, BET_DENSE, n_classes, 0);
    return BNN_OK;
  }
  /* IN-H1-...-OUT */
  const char *p = s;
  uint32_t widths[BET_MAX_LAYERS + 1];
  uint32_t nw = 0;
  while (1) {
    char *end = NULL;
    if (*p < '0' || *p > '9')
      return bnn_fail(BNN_E_ARG,
                      "arch '%s': expected fcnn, vgg3, vgg7 or dash-separated widths like "
                      "784-2048-2048-10",
                      s);
    unsigned long v = strtoul(p, &end, 10);
    if (v == 0 || v > (1u << 20))
      return bnn_fail(BNN_E_RANGE, "arch '%s': width %lu outside [1, 1048576]", s, v);
    if (nw == BET_MAX_LAYERS + 1)
      return bnn_fail(BNN_E_RANGE, "arch '%s': more than %d weight layers", s, BET_MAX_LAYERS);
    widths[nw++] = (uint32_t)v;
    if (*end == '\0') break;
    if (*end != '-')
      return bnn_fail(BNN_E_ARG, "arch '%s': unexpected '%c' (widths are separated by '-')", s,
                      *end);
    p = end + 1;
  }
  if (nw < 2)
    return bnn_fail(BNN_E_ARG, "arch '%s': need at least an input and an output width", s);
  if (widths[nw - 1] != n_classes)
    return bnn_fail(BNN_E_SHAPE, "arch '%s': output width %u but the data set has %u classes", s,
                    widths[nw - 1], n_classes);
  /* The input width stays in the name; bet_net_create checks it against the images. */
  for (uint32_t i = 1; i < nw; ++i) arch_add(out, BET_DENSE, widths[i], 0);
  return BNN_OK;
}

/* The declared input width of a "IN-...-OUT" arch (0 for named nets). */
static uint32_t arch_declared_input(const bet_arch *a) {
  if (a->name[0] >= '0' && a->name[0] <= '9') return (uint32_t)strtoul(a->name, NULL, 10);
  return 0;
}

/* ---- construction --------------------------------------------------------------------------- */

size_t bet_conv_chunk(const bet_layer *L) {
  const size_t per = (size_t)L->out_h * L->out_w * L->fan_in;
  size_t c = per ? BET_COLS_FLOATS / per : 1;
  return c ? c : 1;
}

int64_t bet_layer_reach(const bet_layer *L) {
  return (int64_t)L->fan_in * (L->is_first ? 255 : 1);
}

static void *zalloc(size_t n, size_t sz, int *ok) {
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
  bnn_free(net->x0);
  bnn_free(net->xbits);
  bnn_free(net->logits);
  bnn_free(net->dlogits);
  bnn_free(net->gA);
  bnn_free(net->gB);
  bnn_free(net->gC);
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
  const uint32_t declared = arch_declared_input(arch);
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
    L->w = (float *)zalloc(nw, sizeof(float), &ok);
    L->wm = (float *)zalloc(nw, sizeof(float), &ok);
    L->wv = (float *)zalloc(nw, sizeof(float), &ok);
    L->dw = (float *)zalloc(nw, sizeof(float), &ok);
    L->wb = (float *)zalloc(nw, sizeof(float), &ok);
    L->flipbuf = (uint8_t *)zalloc((nw + 7) / 8, 1, &ok);
    if (L->kind == BET_DENSE && l > 0) {
      const size_t words = bet_packed_words(L->fan_in);
      L->wbits = (uint64_t *)zalloc((size_t)L->n_out * words, sizeof(uint64_t), &ok);
      if (words > net->max_words) net->max_words = words;
    }
    if (!L->is_output) {
      L->gamma = (float *)zalloc(L->n_out, sizeof(float), &ok);
      L->beta = (float *)zalloc(L->n_out, sizeof(float), &ok);
      L->gm = (float *)zalloc(L->n_out, sizeof(float), &ok);
      L->gv = (float *)zalloc(L->n_out, sizeof(float), &ok);
      L->bm = (float *)zalloc(L->n_out, sizeof(float), &ok);
      L->bv = (float *)zalloc(L->n_out, sizeof(float), &ok);
      L->run_mean = (float *)zalloc(L->n_out, sizeof(float), &ok);
      L->run_var = (float *)zalloc(L->n_out, sizeof(float), &ok);
      L->dgamma = (float *)zalloc(L->n_out, sizeof(float), &ok);
      L->dbeta = (float *)zalloc(L->n_out, sizeof(float), &ok);
      L->mean = (float *)zalloc(L->n_out, sizeof(float), &ok);
      L->invstd = (float *)zalloc(L->n_out, sizeof(float), &ok);
      L->var = (float *)zalloc(L->n_out, sizeof(float), &ok);
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
static bnn_status net_reserve(bet_net *net, uint32_t batch) {
  if (batch <= net->cap_batch) return BNN_OK;
  for (uint32_t l = 0; l < net->n; ++l) layer_free_batch(&net->L[l]);
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
  int ok = 1;
  const size_t B = batch;
  net->x0 = (float *)zalloc(B * net->in_c * net->in_h * net->in_w, sizeof(float), &ok);
  net->xbits = (uint64_t *)zalloc(B * net->max_words, sizeof(uint64_t), &ok);
  net->logits = (float *)zalloc(B * net->n_classes, sizeof(float), &ok);
  net->dlogits = (float *)zalloc(B * net->n_classes, sizeof(float), &ok);
  net->gA = (float *)zalloc(B * net->max_act, sizeof(float), &ok);
  net->gB = (float *)zalloc(B * net->max_act, sizeof(float), &ok);
  net->gC = (float *)zalloc(B * net->max_act, sizeof(float), &ok);
  size_t cols = 0;
  for (uint32_t l = 0; l < net->n; ++l) {
    bet_layer *L = &net->L[l];
    const size_t zsz = B * L->out_h * L->out_w * L->n_out;
    L->z = (float *)zalloc(zsz, sizeof(float), &ok);
    if (!L->is_output) {
      const size_t nsz = B * L->next_h * L->next_w * L->n_out;
      L->h = (float *)zalloc(zsz, sizeof(float), &ok);
      L->act = (float *)zalloc(nsz, sizeof(float), &ok);
      if (L->pool) {
        L->hp = (float *)zalloc(nsz, sizeof(float), &ok);
        L->argmax = (uint32_t *)zalloc(nsz, sizeof(uint32_t), &ok);
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
    net->cols = (float *)zalloc(cols, sizeof(float), &ok);
    net->cols_cap = net->cols ? cols : 0;
  }
  if (!ok) return bnn_fail(BNN_E_NOMEM, "training buffers for batch %u: out of memory", batch);
  net->cap_batch = batch;
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
      a->bn_eps != b->bn_eps)
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

/* ---- parameters ----------------------------------------------------------------------------- */

bet_train_params bet_train_default_params(void) {
  bet_train_params p;
  memset(&p, 0, sizeof p);
  p.epochs = 10;
  p.batch = 256;
  p.lr = 1e-3;
  p.step_size = 25;
  p.gamma = 0.5;
  p.loss = BET_LOSS_CE;
  p.mhl_b = 128.0;
  p.flip_p = 0.0;
  p.flip_grad = BET_FLIP_GRAD_SIGN;
  p.flip_layers = ~(uint64_t)0;
  p.bn_momentum = 0.1;
  p.bn_eps = 1e-5;
  p.seed = 1;
  p.threads = 1;
  p.packed_forward = 1;
  p.clip_all = 0;
  p.reg_margin = 0.0;
  p.reg_b = 1.0;
  p.bn_stats = BET_BN_RUNNING;
  return p;
}

bnn_status bet_train_params_check(const bet_train_params *p) {
  if (!p) return bnn_fail(BNN_E_ARG, "training parameters: NULL");
  if (p->epochs < 1 || p->epochs > 100000)
    return bnn_fail(BNN_E_RANGE, "epochs: %u outside [1, 100000]", p->epochs);
  if (p->batch < 1 || p->batch > 65536)
    return bnn_fail(BNN_E_RANGE, "batch: %u outside [1, 65536]", p->batch);
  if (!(p->lr > 0.0 && p->lr <= 10.0))
    return bnn_fail(BNN_E_RANGE, "lr: %g outside (0, 10]", p->lr);
  if (!(p->gamma > 0.0 && p->gamma <= 1.0))
    return bnn_fail(BNN_E_RANGE, "gamma: %g outside (0, 1]", p->gamma);
  if ((unsigned)p->loss >= BET_LOSS_COUNT) return bnn_fail(BNN_E_ARG, "loss: unknown value");
  if (!(p->mhl_b > 0.0 && p->mhl_b <= 1e6))
    return bnn_fail(BNN_E_RANGE, "mhl-b: %g outside (0, 1e6]", p->mhl_b);
  if (!(p->flip_p >= 0.0 && p->flip_p <= 0.5))
    return bnn_fail(BNN_E_RANGE, "flip-p: %g outside [0, 0.5]", p->flip_p);
  if ((unsigned)p->flip_grad >= BET_FLIP_GRAD_COUNT)
    return bnn_fail(BNN_E_ARG, "flip-grad: unknown value");
  if (!(p->bn_momentum > 0.0 && p->bn_momentum <= 1.0))
    return bnn_fail(BNN_E_RANGE, "bn-momentum: %g outside (0, 1]", p->bn_momentum);
  if (!(p->bn_eps > 0.0 && p->bn_eps <= 1.0))
    return bnn_fail(BNN_E_RANGE, "bn-eps: %g outside (0, 1]", p->bn_eps);
  if (p->threads < 1 || p->threads > 256)
    return bnn_fail(BNN_E_RANGE, "threads: %d outside [1, 256]", p->threads);
  if (!(p->reg_margin >= 0.0 && p->reg_margin <= 1e6))
    return bnn_fail(BNN_E_RANGE, "reg-margin: %g outside [0, 1e6]", p->reg_margin);
  if (!(p->reg_b > 0.0 && p->reg_b <= 1e6))
    return bnn_fail(BNN_E_RANGE, "reg-b: %g outside (0, 1e6]", p->reg_b);
  if ((unsigned)p->bn_stats >= BET_BN_STATS_COUNT)
    return bnn_fail(BNN_E_ARG, "bn-stats: unknown value");
  return BNN_OK;
}

/* ---- training step -------------------------------------------------------------------------- */

typedef struct flip_rec {
  bet_layer *L;
  int oom;
} flip_rec;

static void record_flip(void *ud, uint64_t bit, int old_value) {
  (void)old_value;
  flip_rec *r = (flip_rec *)ud;
  bet_layer *L = r->L;
  if (L->n_flips == L->cap_flips) {
    const size_t nc = L->cap_flips ? 2 * L->cap_flips : 1024;
    uint64_t *p = (uint64_t *)bnn_realloc(L->flips, nc * sizeof *p);
    if (!p) {
      r->oom = 1;
      return;
    }
    L->flips = p;
    L->cap_flips = nc;
  }
  L->flips[L->n_flips++] = bit;
  L->wb[bit] = -L->wb[bit];
  if (L->packed) {
    const uint64_t row = bit / L->fan_in, col = bit % L->fan_in;
    L->wbits[row * bet_packed_words(L->fan_in) + col / 64] ^= (uint64_t)1 << (col % 64);
  }
}

static int use_packed(const bet_train_params *p) {
  static int fast = -1;
  if (fast < 0) fast = strcmp(bet_xnor_gemm_kernel(), "ref") != 0;
  return p->packed_forward && fast;
}

/* wb = sign(w), then fresh flips for this forward pass (keyed by seed, layer, step). */
static bnn_status binarize_and_flip(bet_net *net, const bet_train_params *p) {
  for (uint32_t l = 0; l < net->n; ++l) {
    bet_layer *L = &net->L[l];
    const size_t nw = (size_t)L->n_out * L->fan_in;
    L->packed = use_packed(p) && L->wbits != NULL;
    if (L->packed)
      bet_sign_pack(L->w, L->n_out, L->fan_in, L->wb, L->wbits);
    else
      bet_sign(L->w, nw, L->wb);
    L->n_flips = 0;
    if (p->flip_p > 0.0 && l < 64 && ((p->flip_layers >> l) & 1)) {
      bnn_rng r = bnn_rng_make(bnn_rng_hash(net->seed, BET_RNG_FLIP, l), net->step);
      bnn_flip_rates rates = {p->flip_p, p->flip_p};
      flip_rec rec = {L, 0};
      bnn_flip_bits(L->flipbuf, 0, nw, rates, &r, record_flip, &rec);
      if (rec.oom) return bnn_fail(BNN_E_NOMEM, "flip list of layer %u: out of memory", l);
    }
  }
  return BNN_OK;
}

/* Forward pass in training mode on net->x0 (B images); leaves logits in net->logits. */
static void forward_train(bet_net *net, size_t B, const bet_train_params *p) {
  const float *X = net->x0;
  for (uint32_t l = 0; l < net->n; ++l) {
    bet_layer *L = &net->L[l];
    const size_t M = B * L->out_h * L->out_w;
    if (L->packed) {
      /* ±1 × ±1: the previous layer left its signs packed in net->xbits. */
      bet_xnor_gemm(net->xbits, B, L->wbits, L->n_out, L->fan_in, L->z);
    } else if (L->kind == BET_DENSE) {
      bet_dense_forward(X, B, L->fan_in, L->wb, L->n_out, L->z);
    } else {
      const size_t ch = bet_conv_chunk(L);
      const size_t img_in = (size_t)L->in_h * L->in_w * L->in_c;
      const size_t img_rows = (size_t)L->out_h * L->out_w;
      for (size_t b0 = 0; b0 < B; b0 += ch) {
        const size_t nb = (B - b0) < ch ? (B - b0) : ch;
        bet_im2col3x3(X + b0 * img_in, nb, L->in_h, L->in_w, L->in_c, net->cols);
        bet_dense_forward(net->cols, nb * img_rows, L->fan_in, L->wb, L->n_out,
                          L->z + b0 * img_rows * L->n_out);
      }
    }
    if (L->is_output) {
      bet_scale_forward(L->z, B * L->n_out, net->scale, net->logits);
      break;
    }
    bet_bn_forward_train(L->z, M, L->n_out, L->gamma, L->beta, (float)p->bn_eps, L->h, L->mean,
                         L->invstd, L->var);
    bet_bn_update_running(M, L->n_out, L->mean, L->var, (float)p->bn_momentum, L->run_mean,
                          L->run_var);
    const float *hp = L->h;
    size_t nact = M * L->n_out;
    if (L->pool) {
      bet_maxpool2_forward(L->h, B, L->out_h, L->out_w, L->n_out, L->hp, L->argmax);
      hp = L->hp;
      nact = B * L->next_h * L->next_w * L->n_out;
    }
    if (net->L[l + 1].packed) /* rows of the next layer's fan-in (HWC flatten) */
      bet_sign_pack(hp, B, net->L[l + 1].fan_in, L->act, net->xbits);
    else
      bet_sign(hp, nact, L->act);
    X = L->act;
  }
}

/* Backward pass from net->dlogits; fills dw, dgamma, dbeta, dscale. */
static void backward(bet_net *net, size_t B, const bet_train_params *p) {
  bet_layer *Lo = &net->L[net->n - 1];
  float *dz = net->gA;
  net->dscale = bet_scale_backward(Lo->z, B * Lo->n_out, net->scale, net->dlogits, dz);
  for (uint32_t l = net->n; l-- > 0;) {
    bet_layer *L = &net->L[l];
    const float *X = l == 0 ? net->x0 : net->L[l - 1].act;
    float *dX = l == 0 ? NULL : net->gB;
    if (L->kind == BET_DENSE) {
      bet_dense_backward(X, B, L->fan_in, L->wb, L->n_out, dz, dX, L->dw, 0);
    } else {
      const size_t ch = bet_conv_chunk(L);
      const size_t img_in = (size_t)L->in_h * L->in_w * L->in_c;
      const size_t img_rows = (size_t)L->out_h * L->out_w;
      for (size_t b0 = 0; b0 < B; b0 += ch) {
        const size_t nb = (B - b0) < ch ? (B - b0) : ch;
        bet_im2col3x3(X + b0 * img_in, nb, L->in_h, L->in_w, L->in_c, net->cols);
        const float *dzc = dz + b0 * img_rows * L->n_out;
        bet_dense_backward(net->cols, nb * img_rows, L->fan_in, L->wb, L->n_out, dzc, NULL, L->dw,
                           b0 > 0);
        if (dX) {
          /* dcols reuses the cols buffer: its columns were consumed by the dW product above. */
          bet_dense_backward(NULL, nb * img_rows, L->fan_in, L->wb, L->n_out, dzc, net->cols, NULL,
                             0);
          bet_col2im3x3(net->cols, nb, L->in_h, L->in_w, L->in_c, dX + b0 * img_in);
        }
      }
    }
    /* The flip: forward used wb = −sign(w) at flipped positions. d(−s)/ds = −1 (sign mode);
     * straight-through passes the gradient unchanged. */
    if (p->flip_grad == BET_FLIP_GRAD_SIGN)
      for (size_t i = 0; i < L->n_flips; ++i) L->dw[L->flips[i]] = -L->dw[L->flips[i]];
    if (l == 0) break;
    /* Into the previous hidden layer: STE of sign/hardtanh, un-pool, batch norm. */
    bet_layer *P = &net->L[l - 1];
    const size_t M = B * P->out_h * P->out_w;
    const float *hp = P->pool ? P->hp : P->h;
    const size_t nact = B * P->next_h * P->next_w * P->n_out;
    float *dh = net->gC;
    bet_ste_backward(hp, nact, dX, dh);
    if (P->pool) {
      bet_maxpool2_backward(dh, nact, P->argmax, M * P->n_out, net->gB);
      dh = net->gB;
    }
    bet_bn_backward(P->z, M, P->n_out, P->gamma, P->mean, P->invstd, dh, net->gA, P->dgamma,
                    P->dbeta);
    /* The margin hinge on this layer's pre-activations joins the loss gradient here, so it
     * reaches the weights through the same dense backward and STEs. Layer 0 is left out: its
     * pre-activations are in pixel units (docs/metrics.md). */
    if (p->reg_margin > 0.0 && l >= 2)
      net->reg_sum +=
          bet_margin_reg(P->z, M, P->n_out, P->gamma, P->beta, P->mean, P->invstd, P->fan_in,
                         p->reg_b, net->reg_weight, net->gA, P->dgamma, P->dbeta);
    dz = net->gA;
  }
}

static void clip_unit(float *a, size_t n) {
  for (size_t i = 0; i < n; ++i) a[i] = a[i] > 1.0f ? 1.0f : (a[i] < -1.0f ? -1.0f : a[i]);
}

/* The STE of the weight binarization passes the gradient where |w| ≤ 1 (always, after clipping). */
static void optimizer_step(bet_net *net, const bet_train_params *p) {
  net->step++;
  bet_adam_params ap = bet_adam_default_params();
  double lr = p->lr;
  if (p->step_size) lr *= pow(p->gamma, (double)(net->epoch / p->step_size));
  ap.lr = (float)lr;
  for (uint32_t l = 0; l < net->n; ++l) {
    bet_layer *L = &net->L[l];
    const size_t nw = (size_t)L->n_out * L->fan_in;
    bet_adam_step_latent(&ap, net->step, nw, L->w, L->dw, L->wm, L->wv);
    if (!L->is_output) {
      bet_adam_step(&ap, net->step, L->n_out, L->gamma, L->dgamma, L->gm, L->gv);
      bet_adam_step(&ap, net->step, L->n_out, L->beta, L->dbeta, L->bm, L->bv);
      if (p->clip_all) {
        clip_unit(L->gamma, L->n_out);
        clip_unit(L->beta, L->n_out);
      }
    }
  }
  bet_adam_step(&ap, net->step, 1, &net->scale, &net->dscale, &net->sm, &net->sv);
  if (p->clip_all) clip_unit(&net->scale, 1);
}

static void load_batch(bet_net *net, const bnn_dataset *d, const uint32_t *idx, size_t n,
                       uint8_t *labels) {
  const size_t isz = (size_t)d->c * d->h * d->w;
  for (size_t b = 0; b < n; ++b) {
    const uint8_t *src = d->images + (size_t)idx[b] * isz;
    float *dst = net->x0 + b * isz;
    for (size_t i = 0; i < isz; ++i) dst[i] = (float)src[i] * (1.0f / 255.0f);
    labels[b] = d->labels[idx[b]];
  }
}

static size_t argmax_row(const float *r, size_t k) {
  size_t best = 0;
  for (size_t j = 1; j < k; ++j)
    if (r[j] > r[best]) best = j;
  return best;
}

static bnn_status check_data(const bet_net *net, const bnn_dataset *d) {
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

/* Hinge terms of the margin regularizer per image: rows × neurons of hidden layers 1..n−2. */
static size_t reg_terms_per_image(const bet_net *net) {
  size_t t = 0;
  for (uint32_t l = 1; l + 1 < net->n; ++l)
    t += (size_t)net->L[l].out_h * net->L[l].out_w * net->L[l].n_out;
  return t;
}

static bnn_status check_reg(const bet_net *net, const bet_train_params *p) {
  if (p->reg_margin > 0.0 && reg_terms_per_image(net) == 0)
    return bnn_fail(BNN_E_ARG,
                    "reg-margin: arch '%s' has no hidden layer with ±1 inputs (the regularizer "
                    "acts on hidden layers after the first; the first layer's pre-activations "
                    "are in pixel units)",
                    net->arch.name);
  return BNN_OK;
}

static bnn_status train_step_impl(bet_net *net, const bnn_dataset *d, const uint32_t *idx, size_t n,
                                  const bet_train_params *p, uint8_t *labels, double *loss,
                                  double *acc, uint64_t *flips, double *penalty) {
  net->bn_eps = p->bn_eps;
  net->reg_sum = 0.0;
  net->reg_weight =
      p->reg_margin > 0.0 ? p->reg_margin / ((double)reg_terms_per_image(net) * (double)n) : 0.0;
  bnn_status s = binarize_and_flip(net, p);
  if (s != BNN_OK) return s;
  load_batch(net, d, idx, n, labels);
  forward_train(net, n, p);
  const bet_layer *Lo = &net->L[net->n - 1];
  double l;
  if (p->loss == BET_LOSS_CE)
    l = bet_loss_ce(net->logits, n, net->n_classes, labels, net->dlogits);
  else /* MHL on the integer scores, where b counts weight flips (2 per flip) */
    l = bet_loss_mhl(Lo->z, n, net->n_classes, labels, (float)p->mhl_b, net->dlogits);
  size_t correct = 0;
  for (size_t b = 0; b < n; ++b)
    correct += argmax_row(net->logits + b * net->n_classes, net->n_classes) == labels[b];
  if (p->loss == BET_LOSS_MHL) {
    /* The loss is on the raw scores: route its gradient around the scale. */
    float s0 = net->scale;
    net->scale = 1.0f;
    backward(net, n, p);
    net->scale = s0;
    net->dscale = 0.0f;
  } else {
    backward(net, n, p);
  }
  optimizer_step(net, p);
  const double pen = net->reg_weight * net->reg_sum;
  l += pen;
  if (penalty) *penalty = pen;
  if (loss) *loss = l;
  if (acc) *acc = (double)correct / (double)n;
  if (flips) {
    uint64_t f = 0;
    for (uint32_t i = 0; i < net->n; ++i) f += net->L[i].n_flips;
    *flips = f;
  }
  return BNN_OK;
}

bnn_status bet_train_step(bet_net *net, const bnn_dataset *data, const uint32_t *idx, size_t n,
                          const bet_train_params *p, double *loss, double *acc) {
  bnn_status s = bet_train_params_check(p);
  if (s != BNN_OK) return s;
  if ((s = check_data(net, data)) != BNN_OK) return s;
  if ((s = check_reg(net, p)) != BNN_OK) return s;
  if (n == 0 || n > 65536) return bnn_fail(BNN_E_ARG, "train step: %zu images", n);
  for (size_t i = 0; i < n; ++i)
    if (idx[i] >= data->n)
      return bnn_fail(BNN_E_RANGE, "train step: index %u ≥ %u", idx[i], data->n);
  if ((s = net_reserve(net, (uint32_t)n)) != BNN_OK) return s;
  uint8_t *labels = (uint8_t *)bnn_malloc(n);
  if (!labels) return bnn_fail(BNN_E_NOMEM, "train step: out of memory");
  set_threads(p->threads);
  s = train_step_impl(net, data, idx, n, p, labels, loss, acc, NULL, NULL);
  bnn_free(labels);
  return s;
}

bnn_status bet_train_epoch(bet_net *net, const bnn_dataset *train, const bet_train_params *p,
                           bet_batch_cb cb, void *ud, bet_epoch_stats *st) {
  bnn_status s = bet_train_params_check(p);
  if (s != BNN_OK) return s;
  if ((s = check_data(net, train)) != BNN_OK) return s;
  if ((s = check_reg(net, p)) != BNN_OK) return s;
  const uint32_t B = p->batch < train->n ? p->batch : train->n;
  if ((s = net_reserve(net, B)) != BNN_OK) return s;
  uint32_t *perm = (uint32_t *)bnn_malloc((size_t)train->n * sizeof *perm);
  uint8_t *labels = (uint8_t *)bnn_malloc(B);
  if (!perm || !labels) {
    bnn_free(perm);
    bnn_free(labels);
    return bnn_fail(BNN_E_NOMEM, "epoch: out of memory");
  }
  set_threads(p->threads);
  /* Fisher–Yates from (seed, epoch): the same permutation whatever happened before. */
  for (uint32_t i = 0; i < train->n; ++i) perm[i] = i;
  bnn_rng r = bnn_rng_make(bnn_rng_hash(net->seed, BET_RNG_SHUFFLE, 0), net->epoch);
  for (uint32_t i = train->n - 1; i > 0; --i) {
    const uint32_t j = (uint32_t)bnn_rng_below(&r, (uint64_t)i + 1);
    const uint32_t t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  double lr = p->lr;
  if (p->step_size) lr *= pow(p->gamma, (double)(net->epoch / p->step_size));
  const uint64_t nb = ((uint64_t)train->n + B - 1) / B;
  double sum_loss = 0.0, sum_correct = 0.0, sum_pen = 0.0;
  uint64_t total_flips = 0;
  for (uint64_t b = 0; b < nb; ++b) {
    const size_t off = (size_t)(b * B);
    const size_t n = (train->n - off) < B ? (train->n - off) : B;
    double l = 0, a = 0, pen = 0;
    uint64_t f = 0;
    s = train_step_impl(net, train, perm + off, n, p, labels, &l, &a, &f, &pen);
    if (s != BNN_OK) break;
    sum_loss += l * (double)n;
    sum_pen += pen * (double)n;
    sum_correct += a * (double)n;
    total_flips += f;
    if (cb)
      cb(ud, net->epoch, b + 1, nb, sum_loss / (double)(off + n), sum_correct / (double)(off + n));
  }
  bnn_free(perm);
  bnn_free(labels);
  if (s != BNN_OK) return s;
  /* The running averages lag the weights (they mix the last ~1/momentum batches, taken while the
   * weights still moved); the training-set statistics are those of the final weights. */
  if (p->bn_stats == BET_BN_TRAIN_SET &&
      (s = bet_net_estimate_bn(net, train, p->threads)) != BNN_OK)
    return s;
  net->epoch++;
  if (st) {
    st->loss = sum_loss / (double)train->n;
    st->train_acc = sum_correct / (double)train->n;
    st->reg_penalty = sum_pen / (double)train->n;
    st->flips = total_flips;
    st->lr = lr;
    st->seconds = 0.0;
  }
  return BNN_OK;
}

/* ---- evaluation (the engine's arithmetic) --------------------------------------------------- */

bnn_status bet_net_thresholds(const bet_net *net, uint32_t l, int32_t *t, int8_t *dir) {
  if (l >= net->n || net->L[l].is_output)
    return bnn_fail(BNN_E_ARG, "thresholds: layer %u is not a hidden layer", l);
  const bet_layer *L = &net->L[l];
  const double in_scale = L->is_first ? 255.0 : 1.0;
  for (uint32_t j = 0; j < L->n_out; ++j)
    if (!bet_fold_threshold((double)L->gamma[j], (double)L->beta[j], (double)L->run_mean[j],
                            (double)L->run_var[j], net->bn_eps, in_scale, bet_layer_reach(L), &t[j],
                            &dir[j]))
      return bnn_fail(BNN_E_RANGE, "layer %u neuron %u: non-finite batch-norm parameters", l, j);
  return BNN_OK;
}

/* Integer-arithmetic forward state shared by evaluation and batch-norm estimation: binarized (and
 * possibly flipped) weights, folded thresholds, two activation buffers, im2col columns. */
typedef struct eval_ctx {
  float *wb[BET_MAX_LAYERS];
  uint64_t *wbits[BET_MAX_LAYERS]; /* packed wb of dense layers with ±1 inputs (fast kernel only) */
  int32_t *th[BET_MAX_LAYERS];
  int8_t *dr[BET_MAX_LAYERS];
  float *bufA, *bufB, *colbuf;
  uint64_t *xbits; /* packed ±1 inputs of one batch */
} eval_ctx;

#define EVAL_BATCH 256

static void eval_ctx_free(eval_ctx *c) {
  for (uint32_t l = 0; l < BET_MAX_LAYERS; ++l) {
    bnn_free(c->wb[l]);
    bnn_free(c->wbits[l]);
    bnn_free(c->th[l]);
    bnn_free(c->dr[l]);
  }
  bnn_free(c->bufA);
  bnn_free(c->bufB);
  bnn_free(c->colbuf);
  bnn_free(c->xbits);
  memset(c, 0, sizeof *c);
}

static bnn_status eval_ctx_init(eval_ctx *c, const bet_net *net, double ber, uint64_t flip_layers,
                                uint64_t seed) {
  memset(c, 0, sizeof *c);
  const size_t B = EVAL_BATCH;
  int ok = 1;
  size_t cols = 0, xwords = 0;
  /* Dense layers fed by ±1 activations take the bit-packed product when the CPU has a fast
   * kernel (exact either way: integer sums). */
  const int fast = strcmp(bet_xnor_gemm_kernel(), "ref") != 0;
  for (uint32_t l = 0; l < net->n && ok; ++l) {
    const bet_layer *L = &net->L[l];
    const size_t nw = (size_t)L->n_out * L->fan_in;
    c->wb[l] = (float *)zalloc(nw, sizeof(float), &ok);
    if (fast && l > 0 && L->kind == BET_DENSE) {
      c->wbits[l] =
          (uint64_t *)zalloc((size_t)L->n_out * bet_packed_words(L->fan_in), sizeof(uint64_t), &ok);
      if (bet_packed_words(L->fan_in) > xwords) xwords = bet_packed_words(L->fan_in);
    }
    if (!L->is_output) {
      c->th[l] = (int32_t *)zalloc(L->n_out, sizeof(int32_t), &ok);
      c->dr[l] = (int8_t *)zalloc(L->n_out, 1, &ok);
    }
    if (L->kind == BET_CONV3X3) {
      size_t ch = bet_conv_chunk(L);
      if (ch > B) ch = B;
      const size_t need = ch * L->out_h * L->out_w * L->fan_in;
      if (need > cols) cols = need;
    }
  }
  c->bufA = (float *)zalloc(B * net->max_act, sizeof(float), &ok);
  c->bufB = (float *)zalloc(B * net->max_act, sizeof(float), &ok);
  c->colbuf = (float *)zalloc(cols, sizeof(float), &ok);
  if (xwords) c->xbits = (uint64_t *)zalloc(B * xwords, sizeof(uint64_t), &ok);
  uint8_t *bits = NULL;
  bnn_status s = ok ? BNN_OK : bnn_fail(BNN_E_NOMEM, "evaluation: out of memory");
  for (uint32_t l = 0; l < net->n && s == BNN_OK; ++l) {
    const bet_layer *L = &net->L[l];
    const size_t nw = (size_t)L->n_out * L->fan_in;
    float *wb = c->wb[l];
    bet_sign(L->w, nw, wb);
    /* A negative learned scale s: s·a = |s|·(−a), and −a is the score of the negated binarized
     * weights. The engine takes the arg-max of the integer scores, so the output weights are
     * negated to keep its predictions those of the trained net (the export does the same). */
    if (L->is_output && net->scale < 0.0f)
      for (size_t i = 0; i < nw; ++i) wb[i] = -wb[i];
    if (ber > 0.0 && l < 64 && ((flip_layers >> l) & 1)) {
      bnn_free(bits);
      bits = (uint8_t *)bnn_calloc((nw + 7) / 8, 1);
      if (!bits) {
        s = bnn_fail(BNN_E_NOMEM, "evaluation flips: out of memory");
        break;
      }
      /* Mark flipped positions in a bit buffer, then negate those weights. */
      bnn_rng r = bnn_rng_make(bnn_rng_hash(seed, BET_RNG_EVAL, l), 0);
      bnn_flip_rates rates = {ber, ber};
      bnn_flip_bits(bits, 0, nw, rates, &r, NULL, NULL);
      for (size_t i = 0; i < nw; ++i)
        if ((bits[i >> 3] >> (i & 7)) & 1) wb[i] = -wb[i];
    }
    if (c->wbits[l]) bet_sign_pack(wb, L->n_out, L->fan_in, wb, c->wbits[l]); /* wb is ±1 */
    if (!L->is_output) s = bet_net_thresholds(net, l, c->th[l], c->dr[l]);
  }
  bnn_free(bits);
  if (s != BNN_OK) eval_ctx_free(c);
  return s;
}

/* Images [i0, i0 + n) (n ≤ EVAL_BATCH) through weight layers 0..stop; returns the integer
 * pre-activations of layer `stop` (n·out_h·out_w rows × n_out; pixel units for layer 0, the scores
 * for the output layer). Products of integers with ±1 summed in float are exact while
 * |a| < 2^24 (checked at bet_net_create), so the result does not depend on the thread count. */
static const float *eval_forward(eval_ctx *c, const bet_net *net, const bnn_dataset *d, size_t i0,
                                 size_t n, uint32_t stop) {
  const size_t isz = (size_t)net->in_c * net->in_h * net->in_w;
  for (size_t i = 0; i < n * isz; ++i) c->bufA[i] = (float)d->images[i0 * isz + i];
  float *X = c->bufA, *Y = c->bufB;
  for (uint32_t l = 0;; ++l) {
    const bet_layer *L = &net->L[l];
    if (c->wbits[l]) {
      bet_sign_pack(X, n, L->fan_in, X, c->xbits); /* X is ±1: packing leaves it unchanged */
      bet_xnor_gemm(c->xbits, n, c->wbits[l], L->n_out, L->fan_in, Y);
    } else if (L->kind == BET_DENSE) {
      bet_dense_forward(X, n, L->fan_in, c->wb[l], L->n_out, Y);
    } else {
      size_t ch = bet_conv_chunk(L);
      if (ch > EVAL_BATCH) ch = EVAL_BATCH;
      const size_t img_in = (size_t)L->in_h * L->in_w * L->in_c;
      const size_t img_rows = (size_t)L->out_h * L->out_w;
      for (size_t b0 = 0; b0 < n; b0 += ch) {
        const size_t nb = (n - b0) < ch ? (n - b0) : ch;
        bet_im2col3x3(X + b0 * img_in, nb, L->in_h, L->in_w, L->in_c, c->colbuf);
        bet_dense_forward(c->colbuf, nb * img_rows, L->fan_in, c->wb[l], L->n_out,
                          Y + b0 * img_rows * L->n_out);
      }
    }
    if (l == stop || L->is_output) return Y;
    const size_t rows = n * L->out_h * L->out_w;
    const int32_t *th = c->th[l];
    const int8_t *dr = c->dr[l];
    for (size_t i = 0; i < rows; ++i) {
      float *r = Y + i * L->n_out;
      for (size_t j = 0; j < L->n_out; ++j) {
        const int32_t a = (int32_t)r[j];
        const int on = dr[j] > 0 ? a >= th[j] : a <= th[j];
        r[j] = on ? 1.0f : -1.0f;
      }
    }
    if (L->pool) {
      /* max of ±1 values (the engine pools after the sign); reuse X as output. */
      const size_t oh = L->out_h / 2, ow = L->out_w / 2, ch = L->n_out;
      for (size_t b = 0; b < n; ++b)
        for (size_t y = 0; y < oh; ++y)
          for (size_t x = 0; x < ow; ++x) {
            const float *i00 = Y + ((b * L->out_h + 2 * y) * L->out_w + 2 * x) * ch;
            const float *i01 = i00 + ch, *i10 = i00 + L->out_w * ch, *i11 = i10 + ch;
            float *o = X + ((b * oh + y) * ow + x) * ch;
            for (size_t j = 0; j < ch; ++j) {
              const float m1 = i00[j] > i01[j] ? i00[j] : i01[j];
              const float m2 = i10[j] > i11[j] ? i10[j] : i11[j];
              o[j] = m1 > m2 ? m1 : m2;
            }
          }
    } else {
      float *t = X;
      X = Y;
      Y = t;
    }
  }
}

bnn_status bet_evaluate(const bet_net *net, const bnn_dataset *data, int threads, double ber,
                        uint64_t flip_layers, uint64_t seed, int32_t *scores, uint8_t *pred,
                        double *acc) {
  bnn_status s = check_data(net, data);
  if (s != BNN_OK) return s;
  if (threads < 1 || threads > 256)
    return bnn_fail(BNN_E_RANGE, "threads: %d outside [1, 256]", threads);
  if (!(ber >= 0.0 && ber <= 0.5)) return bnn_fail(BNN_E_RANGE, "ber: %g outside [0, 0.5]", ber);
  set_threads(threads);
  eval_ctx c;
  if ((s = eval_ctx_init(&c, net, ber, flip_layers, seed)) != BNN_OK) return s;
  const uint32_t out = net->n - 1;
  const size_t k = net->L[out].n_out;
  size_t correct = 0;
  for (size_t i0 = 0; i0 < data->n; i0 += EVAL_BATCH) {
    const size_t n = (data->n - i0) < EVAL_BATCH ? (data->n - i0) : EVAL_BATCH;
    const float *Y = eval_forward(&c, net, data, i0, n, out);
    for (size_t b = 0; b < n; ++b) {
      const float *r = Y + b * k;
      const size_t best = argmax_row(r, k); /* first maximum: ties to the lowest index */
      if (pred) pred[i0 + b] = (uint8_t)best;
      if (scores)
        for (size_t j = 0; j < k; ++j) scores[(i0 + b) * k + j] = (int32_t)r[j];
      correct += best == data->labels[i0 + b];
    }
  }
  if (acc) *acc = (double)correct / (double)data->n;
  eval_ctx_free(&c);
  return BNN_OK;
}

bnn_status bet_net_estimate_bn(bet_net *net, const bnn_dataset *data, int threads) {
  bnn_status s = check_data(net, data);
  if (s != BNN_OK) return s;
  if (threads < 1 || threads > 256)
    return bnn_fail(BNN_E_RANGE, "threads: %d outside [1, 256]", threads);
  set_threads(threads);
  eval_ctx c;
  if ((s = eval_ctx_init(&c, net, 0.0, 0, 0)) != BNN_OK) return s;
  uint32_t max_out = 0;
  for (uint32_t l = 0; l < net->n; ++l)
    if (net->L[l].n_out > max_out) max_out = net->L[l].n_out;
  double *sum = (double *)bnn_calloc(2 * (size_t)max_out, sizeof(double));
  double *shift = (double *)bnn_calloc(max_out, sizeof(double));
  if (!sum || !shift) s = bnn_fail(BNN_E_NOMEM, "batch-norm estimation: out of memory");
  /* Layer by layer: layer l's statistics are those of its pre-activations under the layers below
   * as the engine evaluates them, i.e. with their statistics already re-estimated. */
  for (uint32_t l = 0; l < net->n && s == BNN_OK; ++l) {
    bet_layer *L = &net->L[l];
    if (L->is_output) break;
    const uint32_t m = L->n_out;
    const double in_scale = L->is_first ? 255.0 : 1.0;
    double *sq = sum + m;
    /* Sums of a − shift, shift the current running mean: keeps E[x²] − E[x]² well conditioned. */
    for (uint32_t j = 0; j < m; ++j) {
      sum[j] = sq[j] = 0.0;
      shift[j] = nearbyint((double)L->run_mean[j] * in_scale);
    }
    size_t rows_total = 0;
    for (size_t i0 = 0; i0 < data->n; i0 += EVAL_BATCH) {
      const size_t n = (data->n - i0) < EVAL_BATCH ? (data->n - i0) : EVAL_BATCH;
      const float *Y = eval_forward(&c, net, data, i0, n, l);
      const size_t rows = n * L->out_h * L->out_w;
      for (size_t i = 0; i < rows; ++i) {
        const float *r = Y + i * m;
        for (uint32_t j = 0; j < m; ++j) {
          const double d = (double)r[j] - shift[j];
          sum[j] += d;
          sq[j] += d * d;
        }
      }
      rows_total += rows;
    }
    const double M = (double)rows_total;
    for (uint32_t j = 0; j < m; ++j) {
      const double mu = sum[j] / M;
      double var = sq[j] / M - mu * mu;
      if (var < 0.0) var = 0.0;
      /* Stored like the running variance: the unbiased estimate (PyTorch's convention). */
      if (rows_total > 1) var *= M / (M - 1.0);
      L->run_mean[j] = (float)((mu + shift[j]) / in_scale);
      L->run_var[j] = (float)(var / (in_scale * in_scale));
    }
    s = bet_net_thresholds(net, l, c.th[l], c.dr[l]);
  }
  bnn_free(sum);
  bnn_free(shift);
  eval_ctx_free(&c);
  return s;
}
