/* train.c — libbet's training: parameters and their check, the training-mode forward/backward pass
 * with flip injection, the Adam step, one batch (bet_train_step) and one epoch (bet_train_epoch).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bet_impl.h"
#include "bnn/rng.h"

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
  p.reg_layers = BET_REG_HIDDEN;
  p.input_range = BET_INPUT_01;
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
  if ((unsigned)p->reg_layers >= BET_REG_LAYERS_COUNT)
    return bnn_fail(BNN_E_ARG, "reg-layers: unknown value");
  if ((unsigned)p->input_range >= BET_INPUT_RANGE_COUNT)
    return bnn_fail(BNN_E_ARG, "input-range: unknown value");
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

/* A conv layer runs in chunks of images whose im2col rows fit net->cols: writes the columns of
 * the chunk starting at image b0 of X (B images) and returns its image count. */
static size_t conv_chunk_cols(bet_net *net, const bet_layer *L, const float *X, size_t B,
                              size_t b0) {
  const size_t ch = bet_conv_chunk(L), nb = (B - b0) < ch ? (B - b0) : ch;
  bet_im2col3x3(X + b0 * L->in_h * L->in_w * L->in_c, nb, L->in_h, L->in_w, L->in_c, net->cols);
  return nb;
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
    } else if (l == 0 && net->xq) {
      /* pixels × ±1 in exact integers; z in the units of the float path (x = pixel/255) */
      bet_u8s8_gemm(net->xq, B, L->fan_in, net->wq, L->n_out, 1.0f / 255.0f, L->z);
    } else if (L->kind == BET_DENSE) {
      bet_dense_forward(X, B, L->fan_in, L->wb, L->n_out, L->z);
    } else {
      const size_t img_rows = (size_t)L->out_h * L->out_w;
      for (size_t b0 = 0, nb; b0 < B; b0 += nb) {
        nb = conv_chunk_cols(net, L, X, B, b0);
        bet_dense_forward(net->cols, nb * img_rows, L->fan_in, L->wb, L->n_out,
                          L->z + b0 * img_rows * L->n_out);
      }
    }
    if (L->is_output) {
      bet_scale_forward(L->z, B * L->n_out, net->scale, net->logits);
      break;
    }
    if (L->kind == BET_DENSE && !L->pool && net->L[l + 1].packed && !p->ref_kernels) {
      /* batch norm and the next layer's packed signs in one threaded pass (same values) */
      bet_bn_sign_pack_train(L->z, M, L->n_out, L->gamma, L->beta, (float)p->bn_eps, L->h, L->mean,
                             L->invstd, L->var, L->act, net->xbits);
      bet_bn_update_running(M, L->n_out, L->mean, L->var, (float)p->bn_momentum, L->run_mean,
                            L->run_var);
      X = L->act;
      continue;
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

/* A hidden dense layer after the first has ±1 inputs and ±1 weights: its two backward products
 * take bet_pm1_gemm (sums of ±δ, a reassociation of the sgemm; ~3× faster on AVX-512). The
 * input's bits are packed again from the previous layer's ±1 activations (net->xbits now holds
 * the next layer's input). Returns 0 (nothing written) when the path does not apply or memory is
 * short: the caller then runs the sgemm. */
static int pm1_backward(bet_net *net, uint32_t l, size_t B, const bet_train_params *p,
                        const float *dz, float *dX) {
  static int fast = -1;
  if (fast < 0) fast = strcmp(bet_pm1_gemm_kernel(), "ref") != 0;
  bet_layer *L = &net->L[l];
  if (!fast || p->ref_kernels || l == 0 || L->is_output || !L->packed) return 0;
  bet_layer *P = &net->L[l - 1];
  bet_sign_pack(P->act, B, L->fan_in, P->act, net->xbits); /* ±1 in, the same ±1 out */
  if (bet_pm1_gemm(dz, L->n_out, 1, net->xbits, L->n_out, B, L->fan_in, L->dw) != 0) return 0;
  if (bet_pm1_gemm(dz, 1, L->n_out, L->wbits, B, L->n_out, L->fan_in, dX) != 0) return 0;
  return 1;
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
    if (L->kind == BET_DENSE && pm1_backward(net, l, B, p, dz, dX)) {
      /* done: dW = δᵀ·X and dX = δ·W with ±1 X and W (float reassociation of the sgemm) */
    } else if (L->kind == BET_DENSE) {
      bet_dense_backward(X, B, L->fan_in, L->wb, L->n_out, dz, dX, L->dw, 0);
    } else {
      const size_t img_in = (size_t)L->in_h * L->in_w * L->in_c;
      const size_t img_rows = (size_t)L->out_h * L->out_w;
      for (size_t b0 = 0, nb; b0 < B; b0 += nb) {
        nb = conv_chunk_cols(net, L, X, B, b0);
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
    if (P->kind == BET_DENSE && !P->pool && !p->ref_kernels) {
      /* STE and batch-norm backward in one threaded pass (same values, no dh buffer) */
      bet_ste_bn_backward(hp, dX, P->z, M, P->n_out, P->gamma, P->mean, P->invstd, net->gA,
                          P->dgamma, P->dbeta);
    } else {
      float *dh = net->gC;
      bet_ste_backward(hp, nact, dX, dh);
      if (P->pool) {
        bet_maxpool2_backward(dh, nact, P->argmax, M * P->n_out, net->gB);
        dh = net->gB;
      }
      bet_bn_backward(P->z, M, P->n_out, P->gamma, P->mean, P->invstd, dh, net->gA, P->dgamma,
                      P->dbeta);
    }
    /* The margin hinge on this layer's pre-activations joins the loss gradient here, so it
     * reaches the weights through the same dense backward and STEs. Layer 0 is left out: its
     * pre-activations are in pixel units (docs/metrics.md). */
    if (p->reg_margin > 0.0 && l >= 2)
      net->reg_sum +=
          bet_margin_reg(P->z, M, P->n_out, P->gamma, P->beta, P->mean, P->invstd, P->fan_in,
                         p->reg_b, net->reg_weight, net->gA, P->dgamma, P->dbeta);
    /* With --reg-layers all, layer 0 too, normalised per row by its pixel inputs. */
    if (p->reg_margin > 0.0 && l == 1 && p->reg_layers == BET_REG_ALL && net->reg_rsn)
      net->reg_sum += bet_margin_reg_rows(P->z, M, P->n_out, P->gamma, P->beta, P->mean, P->invstd,
                                          net->reg_rsn, p->reg_b, net->reg_weight, net->gA,
                                          P->dgamma, P->dbeta);
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
    if (p->ref_kernels)
      bet_adam_step_latent_ref(&ap, net->step, nw, L->w, L->dw, L->wm, L->wv);
    else
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
  const size_t isz = (size_t)d->c * d->h * d->w, qsz = (isz + 3) / 4 * 4;
  for (size_t b = 0; b < n; ++b) {
    const uint8_t *src = d->images + (size_t)idx[b] * isz;
    float *dst = net->x0 + b * isz;
    if (net->input_range == BET_INPUT_PM1) /* 2p/255 − 1, as a [−1, 1]-normalising loader */
      for (size_t i = 0; i < isz; ++i) dst[i] = (float)src[i] * (2.0f / 255.0f) - 1.0f;
    else
      for (size_t i = 0; i < isz; ++i) dst[i] = (float)src[i] * (1.0f / 255.0f);
    if (net->xq) {
      memcpy(net->xq + b * qsz, src, isz);
      memset(net->xq + b * qsz + isz, 0, qsz - isz);
    }
    labels[b] = d->labels[idx[b]];
  }
}

/* The u8 × s8 first layer: a dense layer 0 (its input is the pixels, encoded in [0, 1]) on a CPU
 * with a fast kernel, unless the reference path is asked for. Allocates this step's buffers and
 * packs layer 0's ±1 weights (flips applied); 0 when the path is not taken, −1 when out of memory.
 */
static int setup_u8_first_layer(bet_net *net, size_t n, const bet_train_params *p) {
  static int fast = -1;
  if (fast < 0) fast = strcmp(bet_u8s8_gemm_kernel(), "ref") != 0;
  const bet_layer *L = &net->L[0];
  if (p->ref_kernels || !fast || p->input_range != BET_INPUT_01 || L->kind != BET_DENSE ||
      L->is_output)
    return 0;
  net->xq = (uint8_t *)bnn_malloc(n * ((size_t)(L->fan_in + 3) / 4 * 4));
  net->wq = (int8_t *)bnn_malloc(bet_s8_packed_size(L->n_out, L->fan_in));
  if (!net->xq || !net->wq) return -1;
  bet_s8_pack(L->wb, L->n_out, L->fan_in, net->wq);
  return 1;
}

static void free_step_buffers(bet_net *net) {
  bnn_free(net->reg_rsn);
  bnn_free(net->xq);
  bnn_free(net->wq);
  net->reg_rsn = NULL;
  net->xq = NULL;
  net->wq = NULL;
}

/* Hinge terms of the margin regularizer per image: rows × neurons of hidden layers 1..n−2 (0..n−2
 * with --reg-layers all). */
static size_t reg_terms_per_image(const bet_net *net, const bet_train_params *p) {
  size_t t = 0;
  for (uint32_t l = p->reg_layers == BET_REG_ALL ? 0 : 1; l + 1 < net->n; ++l)
    t += (size_t)net->L[l].out_h * net->L[l].out_w * net->L[l].n_out;
  return t;
}

/* 1/√(Σ x²) of every row of layer 0's pre-activations, in pixel units (the ratio |u|/√Σx² does
 * not depend on the 1/255 scaling): a dense layer's row is an image, a conv's is an output pixel
 * whose 3×3 window (valid taps only, zero padding) × channels are its inputs. An all-zero input
 * gives +inf, which bet_margin_reg_rows leaves out (no weight flip can move that output). */
static double *first_layer_rsn(const bet_net *net, const bnn_dataset *d, const uint32_t *idx,
                               size_t n) {
  const bet_layer *L = &net->L[0];
  const size_t rows = n * L->out_h * L->out_w, isz = (size_t)d->c * d->h * d->w;
  double *r = (double *)bnn_malloc((rows ? rows : 1) * sizeof *r);
  if (!r) return NULL;
  for (size_t b = 0; b < n; ++b) {
    const uint8_t *img = d->images + (size_t)idx[b] * isz;
    if (L->kind == BET_DENSE) {
      double sq = 0;
      for (size_t i = 0; i < isz; ++i) sq += (double)img[i] * img[i];
      r[b] = 1.0 / sqrt(sq);
      continue;
    }
    for (uint32_t y = 0; y < L->out_h; ++y)
      for (uint32_t x = 0; x < L->out_w; ++x) {
        double sq = 0;
        for (int t = 0; t < 9; ++t) {
          const int64_t sy = (int64_t)y + t / 3 - 1, sx = (int64_t)x + t % 3 - 1;
          if (sy < 0 || sx < 0 || sy >= L->in_h || sx >= L->in_w) continue;
          const uint8_t *px = img + ((size_t)sy * L->in_w + (size_t)sx) * L->in_c;
          for (uint32_t ch = 0; ch < L->in_c; ++ch) sq += (double)px[ch] * px[ch];
        }
        r[(b * L->out_h + y) * L->out_w + x] = 1.0 / sqrt(sq);
      }
  }
  return r;
}

static bnn_status check_reg(const bet_net *net, const bet_train_params *p) {
  if (p->reg_margin > 0.0 && reg_terms_per_image(net, p) == 0)
    return bnn_fail(BNN_E_ARG,
                    "reg-margin: arch '%s' has no hidden layer with ±1 inputs (the regularizer "
                    "acts on hidden layers after the first; the first layer's pre-activations "
                    "are in pixel units)",
                    net->arch.name);
  if (p->input_range == BET_INPUT_PM1 && net->L[0].kind != BET_DENSE)
    return bnn_fail(
        BNN_E_ARG,
        "input-range pm1: arch '%s' starts with a conv layer (its zero padding does not "
        "fold into the engine's thresholds); pm1 needs a dense first layer",
        net->arch.name);
  if (p->input_range == BET_INPUT_PM1 && p->reg_margin > 0.0 && p->reg_layers == BET_REG_ALL)
    return bnn_fail(BNN_E_ARG,
                    "input-range pm1: reg-layers all normalises the first layer by its "
                    "pixel inputs; use reg-layers hidden");
  return BNN_OK;
}

static bnn_status train_step_impl(bet_net *net, const bnn_dataset *d, const uint32_t *idx, size_t n,
                                  const bet_train_params *p, uint8_t *labels, double *loss,
                                  double *acc, uint64_t *flips, double *penalty) {
  net->bn_eps = p->bn_eps;
  net->input_range = p->input_range;
  net->reg_sum = 0.0;
  net->reg_weight =
      p->reg_margin > 0.0 ? p->reg_margin / ((double)reg_terms_per_image(net, p) * (double)n) : 0.0;
  bnn_status s = binarize_and_flip(net, p);
  if (s != BNN_OK) return s;
  if (setup_u8_first_layer(net, n, p) < 0) {
    free_step_buffers(net);
    return bnn_fail(BNN_E_NOMEM, "train step: out of memory");
  }
  load_batch(net, d, idx, n, labels);
  if (p->reg_margin > 0.0 && p->reg_layers == BET_REG_ALL && net->n > 1) {
    net->reg_rsn = first_layer_rsn(net, d, idx, n);
    if (!net->reg_rsn) {
      free_step_buffers(net);
      return bnn_fail(BNN_E_NOMEM, "margin regularizer: out of memory");
    }
  }
  forward_train(net, n, p);
  const bet_layer *Lo = &net->L[net->n - 1];
  double l;
  if (p->loss == BET_LOSS_CE)
    l = bet_loss_ce(net->logits, n, net->n_classes, labels, net->dlogits);
  else /* MHL on the integer scores, where b counts weight flips (2 per flip) */
    l = bet_loss_mhl(Lo->z, n, net->n_classes, labels, (float)p->mhl_b, net->dlogits);
  size_t correct = 0;
  for (size_t b = 0; b < n; ++b)
    correct += bet_argmax_row(net->logits + b * net->n_classes, net->n_classes) == labels[b];
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
  free_step_buffers(net);
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
  if ((s = bet_net_check_data(net, data)) != BNN_OK) return s;
  if ((s = check_reg(net, p)) != BNN_OK) return s;
  if (n == 0 || n > 65536) return bnn_fail(BNN_E_ARG, "train step: %zu images", n);
  for (size_t i = 0; i < n; ++i)
    if (idx[i] >= data->n)
      return bnn_fail(BNN_E_RANGE, "train step: index %u ≥ %u", idx[i], data->n);
  if ((s = bet_net_reserve(net, (uint32_t)n)) != BNN_OK) return s;
  uint8_t *labels = (uint8_t *)bnn_malloc(n);
  if (!labels) return bnn_fail(BNN_E_NOMEM, "train step: out of memory");
  bet_set_threads(p->threads);
  s = train_step_impl(net, data, idx, n, p, labels, loss, acc, NULL, NULL);
  bnn_free(labels);
  return s;
}

bnn_status bet_train_epoch(bet_net *net, const bnn_dataset *train, const bet_train_params *p,
                           bet_batch_cb cb, void *ud, bet_epoch_stats *st) {
  bnn_status s = bet_train_params_check(p);
  if (s != BNN_OK) return s;
  if ((s = bet_net_check_data(net, train)) != BNN_OK) return s;
  if ((s = check_reg(net, p)) != BNN_OK) return s;
  const uint32_t B = p->batch < train->n ? p->batch : train->n;
  if ((s = bet_net_reserve(net, B)) != BNN_OK) return s;
  uint32_t *perm = (uint32_t *)bnn_malloc((size_t)train->n * sizeof *perm);
  uint8_t *labels = (uint8_t *)bnn_malloc(B);
  if (!perm || !labels) {
    bnn_free(perm);
    bnn_free(labels);
    return bnn_fail(BNN_E_NOMEM, "epoch: out of memory");
  }
  bet_set_threads(p->threads);
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
      (s = bet_net_estimate_bn_flips(net, train, p->threads, p->flip_p, p->flip_layers,
                                     bnn_rng_hash(p->seed, BET_RNG_BN, net->epoch))) != BNN_OK)
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
