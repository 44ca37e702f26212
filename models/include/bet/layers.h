/* bet/layers.h — libbet's float building blocks (GEMM layers, batch norm, STE, pooling, losses,
 * Adam), exposed so tests can check each one against finite differences.
 *
 * Layout: every activation tensor is row-major with one row per (image, position) and the
 * channels contiguous (NHWC). A dense layer's input is [M][K]; a 3×3 conv's input [N][H][W][C] is
 * turned into im2col rows [N·H·W][9·C] with the patch order [ky][kx][c], which is the engine's
 * conv weight order [c_out][ky][kx][c_in], so no permutation is needed on export. Batch norm over
 * a [M][C] tensor is "1-d" for dense outputs (M = batch) and "2-d" for conv outputs
 * (M = batch·H·W): the statistics run over the rows either way. */
#ifndef BET_LAYERS_H
#define BET_LAYERS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Threads the layer functions use (OpenBLAS's and libbet's own parallel loops); bet_train_epoch and
 * bet_evaluate set it from their parameters. Results never depend on it except through OpenBLAS's
 * own summation order. */
void bet_set_threads(int n);

/* y[M][N] = x[M][K] · w[N][K]ᵀ (OpenBLAS sgemm). */
void bet_dense_forward(const float *x, size_t m, size_t k, const float *w, size_t n, float *y);
/* dx[M][K] = dy[M][N] · w[N][K] (skipped when dx is NULL);
 * dw[N][K] = dyᵀ · x, added to dw when accumulate is nonzero, else overwriting it. */
void bet_dense_backward(const float *x, size_t m, size_t k, const float *w, size_t n,
                        const float *dy, float *dx, float *dw, int accumulate);

/* im2col for a 3×3 conv, stride 1, pad 1: in[N][H][W][C] → cols[N·H·W][9·C], patch order
 * [ky][kx][c]; taps outside the image are 0 (the engine's padding contributes nothing). */
void bet_im2col3x3(const float *in, size_t n, size_t h, size_t w, size_t c, float *cols);
/* The adjoint: dcols[N·H·W][9·C] summed back into din[N][H][W][C] (overwritten). */
void bet_col2im3x3(const float *dcols, size_t n, size_t h, size_t w, size_t c, float *din);

/* Batch norm in training mode over rows: h = γ·(z − μ)/√(σ² + eps) + β with the batch mean μ and
 * the biased batch variance σ². Writes mean[C], invstd[C] = 1/√(σ² + eps) and var[C] (biased). */
void bet_bn_forward_train(const float *z, size_t m, size_t c, const float *gamma, const float *beta,
                          float eps, float *h, float *mean, float *invstd, float *var);
/* Evaluation mode with running statistics (float; libbet's own evaluation uses the folded integer
 * thresholds instead, see bet_fold_threshold). */
void bet_bn_forward_eval(const float *z, size_t m, size_t c, const float *gamma, const float *beta,
                         const float *run_mean, const float *run_var, float eps, float *h);
/* Gradients of the training-mode batch norm: dz (overwritten), dgamma and dbeta (overwritten). */
void bet_bn_backward(const float *z, size_t m, size_t c, const float *gamma, const float *mean,
                     const float *invstd, const float *dh, float *dz, float *dgamma, float *dbeta);
/* running = (1 − momentum)·running + momentum·batch, with the unbiased variance as PyTorch does. */
void bet_bn_update_running(size_t m, size_t c, const float *mean, const float *var, float momentum,
                           float *run_mean, float *run_var);

/* The BET margin regularizer of one hidden layer (docs/metrics.md, "Margin regularizer"): with
 * the training-mode batch norm above, the neuron's output switches at the pre-activation
 * τ = μ − β/(γ·invstd) (the batch-norm switch point, in the units of z), so the distance to it is
 * u = z − τ = (z − μ) + β/(γ·invstd) = h/(γ·invstd). Returns Σ_{rows, channels} max(0, b −
 * |u|/√fan_in) (channels with γ = 0 never switch and contribute nothing). When dz is not NULL, adds
 * weight × the gradient of that sum to dz[M][C], dgamma[C] and dbeta[C], differentiating through
 * the batch statistics μ and invstd = 1/√(σ² + eps) as bet_bn_backward does. */
double bet_margin_reg(const float *z, size_t m, size_t c, const float *gamma, const float *beta,
                      const float *mean, const float *invstd, size_t fan_in, double b,
                      double weight, float *dz, float *dgamma, float *dbeta);
/* The same hinge with a per-row normaliser: Σ_{rows i, channels} max(0, b − |u|·rsn[i]), rows with
 * rsn[i] not finite or ≤ 0 left out. The first layer's form (docs/metrics.md): its inputs are
 * pixels, so rsn[i] = 1/√(Σ x²) over the inputs of row i (the image for a dense layer, the 3×3
 * window for a conv), which makes |u|·rsn[i] twice the normalised 8-bit margin |a − τ|/(2·√Σx²),
 * in the same units as the binary layers' |u|/√fan_in. bet_margin_reg is this with every
 * rsn[i] = 1/√fan_in. */
double bet_margin_reg_rows(const float *z, size_t m, size_t c, const float *gamma,
                           const float *beta, const float *mean, const float *invstd,
                           const double *rsn, double b, double weight, float *dz, float *dgamma,
                           float *dbeta);

/* Bit-packed ±1 rows, the engine's convention: bit 0 = +1, bit 1 = −1, bit j of a row is bit (j %
 * 64) of word j / 64; a row of k values takes ⌈k/64⌉ words and its padding bits are 0. */
static inline size_t bet_packed_words(size_t k) {
  return (k + 63) / 64;
}
/* out = sign(x) (sign(0) = +1) as floats, and the same signs packed into bits (rows of k). */
void bet_sign_pack(const float *x, size_t rows, size_t k, float *out, uint64_t *bits);
/* y[M][N] = Σ_j x_mj·w_nj for ±1 rows given packed: k − 2·popcount(x_m ⊕ w_n) (zero padding bits
 * add nothing). Exact, so equal to bet_dense_forward on the ±1 floats. `_ref` is the obvious loop;
 * bet_xnor_gemm picks AVX-512 VPOPCNTDQ when the CPU has it, else the reference. */
void bet_xnor_gemm_ref(const uint64_t *x, size_t m, const uint64_t *w, size_t n, size_t k,
                       float *y);
void bet_xnor_gemm(const uint64_t *x, size_t m, const uint64_t *w, size_t n, size_t k, float *y);
/* Name of the kernel bet_xnor_gemm uses on this CPU ("avx512-vpopcntdq" or "ref"). */
const char *bet_xnor_gemm_kernel(void);

/* Sign with sign(0) = +1, the engine's convention (a ≥ t gives +1). */
void bet_sign(const float *x, size_t n, float *out);
/* Straight-through estimator of hardtanh + sign: dx = dy where |x| ≤ 1, else 0. */
void bet_ste_backward(const float *x, size_t n, const float *dy, float *dx);

/* 2×2 stride-2 max-pool on [N][H][W][C] (H, W even) → [N][H/2][W/2][C]; argmax[] remembers the
 * input index of each output for the backward pass. */
void bet_maxpool2_forward(const float *in, size_t n, size_t h, size_t w, size_t c, float *out,
                          uint32_t *argmax);
/* din (n·h·w·c, overwritten) receives dout at the argmax positions, 0 elsewhere. */
void bet_maxpool2_backward(const float *dout, size_t n_out, const uint32_t *argmax, size_t n_in,
                           float *din);

/* Output scale: y = s·a; ds = Σ dy·a, da = s·dy. */
void bet_scale_forward(const float *a, size_t n, float s, float *y);
float bet_scale_backward(const float *a, size_t n, float s, const float *dy, float *da);

/* Mean cross-entropy of softmax(logits[M][K]) against labels; dlogits (may be NULL) gets the
 * gradient of the mean. */
double bet_loss_ce(const float *logits, size_t m, size_t k, const uint8_t *labels, float *dlogits);
/* Mean modified hinge loss (Buschjäger et al., DATE 2021): with y_k = +1 for the true class and −1
 * otherwise, ℓ = (1/K) Σ_k max(0, b − y_k·ŷ_k)/b per sample, averaged over the M samples. */
double bet_loss_mhl(const float *scores, size_t m, size_t k, const uint8_t *labels, float b,
                    float *dscores);

/* Adam (Kingma & Ba) with bias correction, as torch.optim.Adam without weight decay:
 * m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; p −= lr·(m/(1−β1^t)) / (√(v/(1−β2^t)) + eps).
 * t is the 1-based step number. */
typedef struct bet_adam_params {
  float lr, beta1, beta2, eps;
} bet_adam_params;
bet_adam_params bet_adam_default_params(void); /* lr 1e-3, β1 0.9, β2 0.999, eps 1e-8 */
void bet_adam_step(const bet_adam_params *p, uint64_t t, size_t n, float *param, const float *grad,
                   float *m, float *v);

/* The latent-weight update: the weight STE's gradient (grad where |w| ≤ 1, else 0), one Adam step
 * as above, then w clipped to [−1, 1] — fused into one pass over the arrays. */
void bet_adam_step_latent(const bet_adam_params *p, uint64_t t, size_t n, float *w,
                          const float *grad, float *m, float *v);
/* The same with the plain loop (bet_adam_step_latent uses AVX-512 when the CPU has it: the same
 * float operations in the same order, so bit-identical results). */
void bet_adam_step_latent_ref(const bet_adam_params *p, uint64_t t, size_t n, float *w,
                              const float *grad, float *m, float *v);

/* The first dense layer on 8-bit pixels: y[M][N] = scale · Σ_t x[i][t]·w[j][t] with x bytes and w
 * small integers (±1 here), the sum exact in integers, then (float)sum · scale. `_ref` takes w as
 * floats row-major [N][K]; bet_u8s8_gemm takes w packed by bet_s8_pack (bet_s8_packed_size(n, k)
 * bytes) and x rows of 4·⌈K/4⌉ bytes, zero padded; it uses AVX-512 VNNI when the CPU has it, else
 * a scalar loop over the same layout. Both give identical floats. */
size_t bet_s8_packed_size(size_t n, size_t k);
void bet_s8_pack(const float *w, size_t n, size_t k, int8_t *out);
void bet_u8s8_gemm_ref(const uint8_t *x, size_t m, size_t k, const float *w, size_t n, float scale,
                       float *y);
void bet_u8s8_gemm(const uint8_t *x, size_t m, size_t k, const int8_t *w, size_t n, float scale,
                   float *y);
/* "avx512-vnni" or "ref". */
const char *bet_u8s8_gemm_kernel(void);

/* A dense hidden layer's batch norm (training mode) fused with the sign of its output:
 * bet_bn_forward_train, then bet_sign_pack(h, m, c, act, bits), in one pass per slab of 64
 * channels split between libbet's threads. `_ref` is that unfused sequence; both give
 * bit-identical h, mean, invstd, var, act and bits for any thread count. */
void bet_bn_sign_pack_train(const float *z, size_t m, size_t c, const float *gamma,
                            const float *beta, float eps, float *h, float *mean, float *invstd,
                            float *var, float *act, uint64_t *bits);
void bet_bn_sign_pack_train_ref(const float *z, size_t m, size_t c, const float *gamma,
                                const float *beta, float eps, float *h, float *mean, float *invstd,
                                float *var, float *act, uint64_t *bits);
/* The straight-through estimator of hardtanh + sign (dh = dx where |h| ≤ 1) fused into the batch
 * norm's backward pass, split between threads by channel slabs: the same dz, dgamma, dbeta as
 * bet_ste_backward + bet_bn_backward bit for bit, without writing dh. `_ref` is that sequence
 * (dh: m·c floats of scratch). */
void bet_ste_bn_backward(const float *h, const float *dx, const float *z, size_t m, size_t c,
                         const float *gamma, const float *mean, const float *invstd, float *dz,
                         float *dgamma, float *dbeta);
void bet_ste_bn_backward_ref(const float *h, const float *dx, const float *z, size_t m, size_t c,
                             const float *gamma, const float *mean, const float *invstd, float *dh,
                             float *dz, float *dgamma, float *dbeta);
/* Float × ±1 products for the backward pass: y[nr][ni] = Σ_t A(t, r)·S[t][i] (t < nt), A(t, r) =
 * a[t·sa_t + r·sa_r] (so dW = δᵀ·X and dX = δ·W both fit), S given as nt packed rows of ni
 * columns (bet_sign_pack's convention). Sums of ±a are exact up to association: the reduction
 * runs in groups of 4 rows of S, ((±a0 ± a1) ± a2) ± a3, the groups added in order from 0 — a
 * float reassociation of the GEMM, identical for any thread count. `_ref` is the plain loop;
 * bet_pm1_gemm (AVX-512 F + BW: VPERMPS on 16-entry tables) gives the same floats and returns
 * −1 when out of memory (nothing written), else 0. */
void bet_pm1_gemm_ref(const float *a, size_t sa_t, size_t sa_r, const uint64_t *s, size_t nr,
                      size_t nt, size_t ni, float *y);
int bet_pm1_gemm(const float *a, size_t sa_t, size_t sa_r, const uint64_t *s, size_t nr, size_t nt,
                 size_t ni, float *y);
/* "avx512-vpermps" or "ref". */
const char *bet_pm1_gemm_kernel(void);

/* Folds batch norm + sign into the engine's integer threshold and direction. The layer computes
 * integer pre-activations a with z = a / in_scale (in_scale = 255 for the first layer, whose
 * training input is pixel/255; 1 otherwise) and |a| ≤ reach. Output +1 iff
 * γ·(z − μ)/√(var + eps) + β ≥ 0, i.e. iff (dir > 0 ? a ≥ t : a ≤ t). γ = 0 gives a constant output
 * (β ≥ 0: always +1); thresholds beyond the reachable range are clamped to [−reach−1, reach+1],
 * which keeps the same outputs for every reachable a. Returns 0 on non-finite inputs. */
int bet_fold_threshold(double gamma, double beta, double mean, double var, double eps,
                       double in_scale, int64_t reach, int32_t *t, int8_t *dir);

#ifdef __cplusplus
}
#endif
#endif /* BET_LAYERS_H */
