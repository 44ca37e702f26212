/* bnn/data.h — dataset readers: IDX (MNIST / Fashion-MNIST, optionally .gz) and CIFAR-10 binary. */
#ifndef BNN_DATA_H
#define BNN_DATA_H

#include <stdint.h>
#include <stddef.h>

#include "bnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bnn_dataset {
  uint32_t n;       /* images */
  uint32_t c, h, w; /* image shape; pixels stored HWC, 8-bit */
  uint32_t n_classes;
  uint8_t *images; /* n × h × w × c */
  uint8_t *labels; /* n */
  char name[64];   /* e.g. "fashion-mnist/test" */
} bnn_dataset;

/* The root under which `--data fashion-mnist` looks (in <root>/fashion-mnist): $RRAMSIM_DATA_DIR if
 * set and non-empty, else /usr/share/datasets (Debian's dataset-fashion-mnist). */
const char *bnn_default_data_dir(void);

/* Reads an IDX3 ubyte image file and an IDX1 ubyte label file (gzip-compressed if they end in .gz),
 * validating magic, dimensions and that both hold the same number of items. */
bnn_status bnn_idx_load(bnn_dataset *out, const char *images_path, const char *labels_path);
/* Reads CIFAR-10 binary batches (1 label byte + 3072 CHW pixel bytes per record), stored HWC. */
bnn_status bnn_cifar10_load(bnn_dataset *out, const char *const *paths, size_t n_paths);
/* spec: "fashion-mnist", "mnist", "cifar10" (a known layout under the data dir) or a directory;
 * split: "train" or "test". limit > 0 keeps the first `limit` images. */
bnn_status bnn_dataset_open(bnn_dataset *out, const char *spec, const char *split, uint32_t limit);
void bnn_dataset_free(bnn_dataset *d); /* NULL-safe; leaves *d zeroed */

#ifdef __cplusplus
}
#endif
#endif /* BNN_DATA_H */
