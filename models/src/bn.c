/* bn.c — libbet's batch-norm re-estimation: the running statistics of every hidden layer measured
 * on a data set through the engine-exact forward pass (bet_net_estimate_bn). */
#include <math.h>

#include "bet_impl.h"

bnn_status bet_net_estimate_bn(bet_net *net, const bnn_dataset *data, int threads) {
  bnn_status s = bet_net_check_data(net, data);
  if (s != BNN_OK) return s;
  if (threads < 1 || threads > 256)
    return bnn_fail(BNN_E_RANGE, "threads: %d outside [1, 256]", threads);
  bet_set_threads(threads);
  bet_eval_ctx c;
  if ((s = bet_eval_ctx_init(&c, net, 0.0, 0, 0)) != BNN_OK) return s;
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
    for (size_t i0 = 0; i0 < data->n; i0 += BET_EVAL_BATCH) {
      const size_t n = (data->n - i0) < BET_EVAL_BATCH ? (data->n - i0) : BET_EVAL_BATCH;
      const float *Y = bet_eval_forward(&c, net, data, i0, n, l);
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
  bet_eval_ctx_free(&c);
  return s;
}
