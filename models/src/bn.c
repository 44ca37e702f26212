/* bn.c — libbet's batch-norm re-estimation: the running statistics of every hidden layer measured
 * on a data set through the engine-exact forward pass, with clean weights (bet_net_estimate_bn) or
 * under weight flips drawn at the training flip rate (bet_net_estimate_bn_flips). */
#include <math.h>

#include "bet_impl.h"
#include "bnn/rng.h"

/* Images per flip draw of the estimation under flips (a multiple of BET_EVAL_BATCH): one draw per
 * 256 images, as training draws once per batch of the study's size. */
#define BET_BN_FLIP_GROUP BET_EVAL_BATCH

bnn_status bet_net_estimate_bn(bet_net *net, const bnn_dataset *data, int threads) {
  return bet_net_estimate_bn_flips(net, data, threads, 0.0, 0, 0);
}

bnn_status bet_net_estimate_bn_flips(bet_net *net, const bnn_dataset *data, int threads,
                                     double flip_p, uint64_t flip_layers, uint64_t seed) {
  bnn_status s = bet_net_check_data(net, data);
  if (s != BNN_OK) return s;
  if (threads < 1 || threads > 256)
    return bnn_fail(BNN_E_RANGE, "threads: %d outside [1, 256]", threads);
  if (!(flip_p >= 0.0 && flip_p <= 0.5))
    return bnn_fail(BNN_E_RANGE, "flip-p: %g outside [0, 0.5]", flip_p);
  bet_set_threads(threads);
  bet_eval_ctx c;
  if ((s = bet_eval_ctx_init(&c, net, 0.0, 0, 0)) != BNN_OK) return s;
  uint32_t max_out = 0;
  for (uint32_t l = 0; l < net->n; ++l)
    if (net->L[l].n_out > max_out) max_out = net->L[l].n_out;
  double *sum = (double *)bnn_calloc(6 * (size_t)max_out, sizeof(double));
  double *shift = (double *)bnn_calloc(max_out, sizeof(double));
  if (!sum || !shift) s = bnn_fail(BNN_E_NOMEM, "batch-norm estimation: out of memory");
  /* Under flips the images are taken in groups of BET_BN_FLIP_GROUP, each with its own flip draw
   * (keyed by the group's index, the same draw for that group in every layer's pass). Training's
   * running statistics average batch statistics, each batch under one draw: the mean of the
   * means and the mean of the within-draw (unbiased) variances. The estimate does the same per
   * group; the spread of the mean between draws is not part of the variance batch norm sees in
   * training. Without flips the whole set is one group. */
  const size_t group = flip_p > 0.0 ? BET_BN_FLIP_GROUP : data->n;
  /* Layer by layer: layer l's statistics are those of its pre-activations under the layers below
   * as the engine evaluates them, i.e. with their statistics already re-estimated. */
  for (uint32_t l = 0; l < net->n && s == BNN_OK; ++l) {
    bet_layer *L = &net->L[l];
    if (L->is_output) break;
    const uint32_t m = L->n_out;
    const double in_scale = bet_in_scale(net, L);
    double *off = sum + 4 * (size_t)m; /* z = a / in_scale − off (bet_in_offset) */
    for (uint32_t j = 0; j < m; ++j) off[j] = bet_in_offset(net, L, j);
    double *sq = sum + m, *acc_mu = sum + 2 * (size_t)m, *acc_var = sum + 3 * (size_t)m;
    /* [−1, 1] pixels under flips: the offset of a group's draw is its flipped weights' S_g, not
     * the clean S (the engine's input offset): z = (a − in_scale·(S_g − S))/in_scale − S. */
    double *dS = sum + 5 * (size_t)m;
    const int pm1_flips = flip_p > 0.0 && L->is_first && net->input_range == BET_INPUT_PM1;
    for (uint32_t j = 0; j < m; ++j) dS[j] = 0.0;
    /* Sums of a − shift, shift the current running mean: keeps E[x²] − E[x]² well conditioned. */
    for (uint32_t j = 0; j < m; ++j) {
      acc_mu[j] = acc_var[j] = 0.0;
      shift[j] = nearbyint(((double)L->run_mean[j] + off[j]) * in_scale);
    }
    size_t rows_total = 0;
    for (size_t g0 = 0; g0 < data->n && s == BNN_OK; g0 += group) {
      const size_t g1 = data->n - g0 < group ? data->n : g0 + group;
      if (flip_p > 0.0 &&
          (s = bet_eval_ctx_set_weights(&c, net, flip_p, flip_layers,
                                        bnn_rng_hash(seed, BET_RNG_BN, g0 / group), l)) != BNN_OK)
        break;
      if (pm1_flips)
        for (uint32_t j = 0; j < m; ++j) {
          double sg = 0.0;
          for (uint32_t i = 0; i < L->fan_in; ++i) sg += (double)c.wb[l][(size_t)j * L->fan_in + i];
          dS[j] = in_scale * (sg - off[j]);
        }
      for (uint32_t j = 0; j < m; ++j) sum[j] = sq[j] = 0.0;
      size_t rows_g = 0;
      for (size_t i0 = g0; i0 < g1; i0 += BET_EVAL_BATCH) {
        const size_t n = (g1 - i0) < BET_EVAL_BATCH ? (g1 - i0) : BET_EVAL_BATCH;
        const float *Y = bet_eval_forward(&c, net, data, i0, n, l);
        const size_t rows = n * L->out_h * L->out_w;
        for (size_t i = 0; i < rows; ++i) {
          const float *r = Y + i * m;
          for (uint32_t j = 0; j < m; ++j) {
            const double d = (double)r[j] - shift[j] - dS[j];
            sum[j] += d;
            sq[j] += d * d;
          }
        }
        rows_g += rows;
      }
      const double R = (double)rows_g;
      for (uint32_t j = 0; j < m; ++j) {
        const double mu = sum[j] / R;
        double var = sq[j] / R - mu * mu;
        if (var < 0.0) var = 0.0;
        /* The unbiased estimate, as the running variance stores it (PyTorch's convention). */
        if (rows_g > 1) var *= R / (R - 1.0);
        if (group >= data->n) { /* one group: exactly these (no re-weighting round-off) */
          acc_mu[j] = mu, acc_var[j] = var;
        } else {
          acc_mu[j] += R * mu, acc_var[j] += R * var;
        }
      }
      rows_total += rows_g;
    }
    if (s != BNN_OK) break;
    const double M = (double)rows_total;
    for (uint32_t j = 0; j < m; ++j) {
      const double mu = group >= data->n ? acc_mu[j] : acc_mu[j] / M;
      const double var = group >= data->n ? acc_var[j] : acc_var[j] / M;
      L->run_mean[j] = (float)((mu + shift[j]) / in_scale - off[j]);
      L->run_var[j] = (float)(var / (in_scale * in_scale));
    }
    s = bet_net_thresholds(net, l, c.th[l], c.dr[l]);
  }
  bnn_free(sum);
  bnn_free(shift);
  bet_eval_ctx_free(&c);
  return s;
}
