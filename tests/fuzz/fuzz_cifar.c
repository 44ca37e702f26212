/* fuzz_cifar.c — libFuzzer harness for the CIFAR-10 binary batch reader (bnn_cifar10_load). */
#include <string.h>

#include "bnn/data.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_path(0, ".bin");
  const char *paths[1];
  bnn_dataset ds;
  paths[0] = path;
  fuzz_write(path, data, size);
  memset(&ds, 0, sizeof ds);
  if (bnn_cifar10_load(&ds, paths, 1) == BNN_OK) {
    size_t px = (size_t)ds.n * ds.h * ds.w * ds.c;
    if (px) (void)*(volatile uint8_t *)&ds.images[px - 1];
    if (ds.n) (void)*(volatile uint8_t *)&ds.labels[ds.n - 1];
  }
  bnn_dataset_free(&ds);
  return 0;
}
