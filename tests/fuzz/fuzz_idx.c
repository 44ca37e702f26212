/* fuzz_idx.c — libFuzzer harness for the IDX dataset reader (bnn_idx_load). The input is
 * u32 little-endian k, then the image file (k bytes, clamped to what is there), then the label
 * file. */
#include <string.h>

#include "bnn/data.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *images = fuzz_path(0, "-images"), *labels = fuzz_path(1, "-labels");
  bnn_dataset ds;
  size_t k;
  if (size < 4) return 0;
  k = (size_t)data[0] | (size_t)data[1] << 8 | (size_t)data[2] << 16 | (size_t)data[3] << 24;
  data += 4;
  size -= 4;
  if (k > size) k = size;
  fuzz_write(images, data, k);
  fuzz_write(labels, data + k, size - k);
  memset(&ds, 0, sizeof ds);
  if (bnn_idx_load(&ds, images, labels) == BNN_OK) {
    /* Every byte the dataset claims must be there. */
    size_t px = (size_t)ds.n * ds.h * ds.w * ds.c;
    if (px) (void)*(volatile uint8_t *)&ds.images[px - 1];
    if (ds.n) (void)*(volatile uint8_t *)&ds.labels[ds.n - 1];
  }
  bnn_dataset_free(&ds);
  return 0;
}
