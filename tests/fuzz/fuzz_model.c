/* fuzz_model.c — libFuzzer harness for the model loader (bnn_model_load). */
#include "bnn/bnn.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_path(0, ".bnn");
  bnn_model *m = NULL;
  fuzz_write(path, data, size);
  if (bnn_model_load(&m, path) == BNN_OK) {
    /* Walk what a caller walks after loading: every layer and the weight image. */
    uint64_t bytes = 0;
    const uint8_t *img = bnn_model_weight_image(m, &bytes);
    unsigned sum = 0;
    for (uint32_t i = 0; i < bnn_model_n_layers(m); ++i) {
      bnn_layer_info info;
      if (bnn_model_layer(m, i, &info) == BNN_OK) sum += info.out_c;
    }
    for (uint64_t i = 0; i < bytes; ++i) sum += img[i];
    (void)sum;
    (void)bnn_model_provenance(m);
    bnn_model_free(m);
  }
  return 0;
}
