/* preact.c — exact integer pre-activations of every weight layer for one image (metrics, tests). */
#include <string.h>

#include "bnn_impl.h"

/* Why a separate pass and not the engine: BET metrics need every hidden neuron's integer
 * pre-activation a (the engine only keeps the binarized outputs). This pass reads the model's own
 * weight image (no port, no bit errors) and uses the same arithmetic as the engine:
 *   binary input: a = n − 2·popcount(x ⊕ w) over packed rows (padding bits are 0 in both);
 *   u8 input:     a = S − 2·Σ_{w_i = −1} x_i with S = Σ x_i.
 * Dense layers only: conv/pool models are rejected with BNN_E_UNSUPPORTED. */

uint64_t bnn_model_preact_count(const bnn_model *m) {
  uint64_t n = 0;
  for (uint32_t i = 0; i < m->n_layers; ++i) {
    const bnn_layer_info *I = &m->layers[i].info;
    if (I->weight_layer_index >= 0) n += (uint64_t)I->out_c * I->out_h * I->out_w;
  }
  return n;
}

bnn_status bnn_model_preact(const bnn_model *m, const uint8_t *image, int32_t *out) {
  if (!m || !image || !out) return bnn_fail(BNN_E_ARG, "bnn_model_preact: NULL argument");
  if (!m->has_output) return bnn_fail(BNN_E_SHAPE, "bnn_model_preact: model has no output layer");
  uint32_t max_c = 0;
  for (uint32_t i = 0; i < m->n_layers; ++i) {
    const bnn_layer_info *I = &m->layers[i].info;
    if (I->kind != BNN_LAYER_DENSE)
      return bnn_fail(BNN_E_UNSUPPORTED, "bnn_model_preact: layer %u is %s; only dense models are supported", i,
                      bnn_layer_kind_str(I->kind));
    if (I->out_c > max_c) max_c = I->out_c;
  }
  /* packed ±1 activations of the current layer's input (bit 1 = −1) */
  uint64_t *act = (uint64_t *)bnn_calloc((size_t)bnn_words_for_bits(max_c) + 1, sizeof(uint64_t));
  if (!act) return bnn_fail(BNN_E_NOMEM, "bnn_model_preact: out of memory");
  uint32_t *tab = NULL; /* u8 layers' byte-mask sum tables */
  uint64_t tab_n = 0;
  int32_t *o = out;
  for (uint32_t l = 0; l < m->n_layers; ++l) {
    const bnn_layer *L = &m->layers[l];
    const bnn_layer_info *I = &L->info;
    const uint64_t words = I->row_bytes / 8;
    const uint8_t *rows = m->wimg + I->weight_addr;
    if (I->input_u8) {
      /* Σ_{w_i = −1} x_i by bytes of the weight row: per image, a table of the pixel sums selected
       * by every 8-bit mask at every byte position (256 entries each), so a neuron costs fan_in/8
       * look-ups instead of fan_in masked adds. */
      const uint64_t nbytes = (I->fan_in + 7) / 8;
      int64_t S = 0;
      for (uint32_t i = 0; i < I->fan_in; ++i) S += image[i];
      if (!tab || tab_n < nbytes * 256) {
        bnn_free(tab);
        tab_n = nbytes * 256;
        tab = (uint32_t *)bnn_malloc((size_t)tab_n * sizeof *tab);
        if (!tab) {
          bnn_free(act);
          return bnn_fail(BNN_E_NOMEM, "bnn_model_preact: out of memory");
        }
      }
      for (uint64_t j = 0; j < nbytes; ++j) {
        uint32_t *t = tab + j * 256;
        t[0] = 0;
        for (uint32_t mask = 1; mask < 256; ++mask) {
          uint64_t i = j * 8 + (uint64_t)__builtin_ctz(mask);
          t[mask] = t[mask & (mask - 1)] + (i < I->fan_in ? image[i] : 0u);
        }
      }
      for (uint32_t n = 0; n < I->out_c; ++n) {
        const uint8_t *row = rows + (uint64_t)n * I->row_bytes;
        int64_t neg = 0;
        for (uint64_t j = 0; j < nbytes; ++j) neg += tab[j * 256 + row[j]];
        o[n] = (int32_t)(S - 2 * neg);
      }
    } else {
      for (uint32_t n = 0; n < I->out_c; ++n) {
        const uint64_t *row = (const uint64_t *)(const void *)(rows + (uint64_t)n * I->row_bytes);
        int64_t pc = 0;
        for (uint64_t k = 0; k < words; ++k) pc += __builtin_popcountll(row[k] ^ act[k]);
        o[n] = (int32_t)((int64_t)I->fan_in - 2 * pc);
      }
    }
    if (!I->is_output) {
      memset(act, 0, (size_t)bnn_words_for_bits(I->out_c) * sizeof(uint64_t));
      for (uint32_t n = 0; n < I->out_c; ++n) {
        int pos = L->dir[n] > 0 ? o[n] >= L->thresh[n] : o[n] <= L->thresh[n];
        if (!pos) act[n / 64] |= 1ull << (n % 64);
      }
    }
    o += I->out_c;
  }
  bnn_free(act);
  bnn_free(tab);
  return BNN_OK;
}
