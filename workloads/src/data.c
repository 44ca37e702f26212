/* data.c — dataset readers: IDX (MNIST / Fashion-MNIST, plain or .gz) and CIFAR-10 binary. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "bnn/data.h"
#include "bnn/input.h"
#include "bnn_impl.h"

#define MAX_ITEMS 10000000u /* far above any of the supported data sets */

const char *bnn_default_data_dir(void) {
  const char *env = getenv("RRAMSIM_DATA_DIR");
  return env && *env ? env : "/usr/share/datasets";
}

void bnn_dataset_free(bnn_dataset *d) {
  if (!d) return;
  bnn_free(d->images);
  bnn_free(d->labels);
  memset(d, 0, sizeof *d);
}

/* gzread's short count at a gzip stream's unexpected end is not an error to gzread itself (it
 * returns what it inflated and records Z_BUF_ERROR): a stream without its CRC-32/length trailer,
 * whose data then went unchecked, must be refused here. */
static bnn_status gz_truncated(gzFile f, const char *path, const char *what) {
  int zerr = Z_OK;
  gzerror(f, &zerr);
  if (zerr == Z_BUF_ERROR)
    return bnn_fail(BNN_E_FORMAT,
                    "%s: truncated gzip stream in %s (no CRC trailer: the data is unchecked)", path,
                    what);
  return BNN_OK;
}

/* gzread reads plain files too (transparent mode), so one path serves .gz and raw files. */
static bnn_status gz_exact(gzFile f, const char *path, void *dst, uint64_t n, const char *what) {
  uint8_t *p = (uint8_t *)dst;
  while (n) {
    unsigned take = n > (1u << 30) ? (1u << 30) : (unsigned)n;
    int got = gzread(f, p, take);
    if (got < 0) {
      int zerr;
      const char *msg = gzerror(f, &zerr);
      return bnn_fail(BNN_E_IO, "%s: %s: read error: %s", path, what, msg);
    }
    if ((unsigned)got < take) {
      bnn_status st = gz_truncated(f, path, what);
      return st ? st : bnn_fail(BNN_E_FORMAT, "%s: truncated in %s", path, what);
    }
    p += got, n -= (unsigned)got;
  }
  return BNN_OK;
}

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Opens an IDX ubyte file, checks magic 0x0000 08 <ndim> and reads the dims. */
static bnn_status idx_open(gzFile *out, const char *path, uint32_t ndim, uint32_t *dims) {
  int fd;
  bnn_status st0 = bnn_input_open(path, 0, &fd, NULL);
  if (st0) return st0;
  gzFile f = gzdopen(fd, "rb");
  if (!f) {
    close(fd);
    return bnn_fail(BNN_E_NOMEM, "%s: cannot open: out of memory", path);
  }
  uint8_t h[4 + 4 * 3];
  bnn_status st = gz_exact(f, path, h, 4 + 4ull * ndim, "IDX header");
  if (!st && (h[0] != 0 || h[1] != 0 || h[2] != 0x08))
    st = bnn_fail(BNN_E_FORMAT, "%s: not an IDX unsigned-byte file (magic %02x%02x%02x%02x)", path,
                  h[0], h[1], h[2], h[3]);
  if (!st && h[3] != ndim)
    st = bnn_fail(BNN_E_FORMAT, "%s: IDX file has %u dimensions, expected %u", path, h[3], ndim);
  if (st) {
    gzclose(f);
    return st;
  }
  for (uint32_t i = 0; i < ndim; ++i) dims[i] = be32(h + 4 + 4 * i);
  *out = f;
  return BNN_OK;
}

static bnn_status expect_eof(gzFile f, const char *path) {
  uint8_t extra;
  const int got = gzread(f, &extra, 1);
  if (got < 0) {
    int zerr;
    const char *msg = gzerror(f, &zerr);
    return bnn_fail(BNN_E_FORMAT, "%s: read error after the last item: %s", path, msg);
  }
  if (got != 0) return bnn_fail(BNN_E_FORMAT, "%s: trailing data after the last item", path);
  return gz_truncated(f, path, "its end");
}

bnn_status bnn_idx_load(bnn_dataset *out, const char *images_path, const char *labels_path) {
  if (!out || !images_path || !labels_path)
    return bnn_fail(BNN_E_ARG, "bnn_idx_load: NULL argument");
  memset(out, 0, sizeof *out);
  gzFile fi = NULL, fl = NULL;
  uint32_t di[3] = {0, 0, 0}, dl[1] = {0};
  bnn_status st = idx_open(&fi, images_path, 3, di);
  if (st) return st;
  if ((st = idx_open(&fl, labels_path, 1, dl))) goto done;
  if (di[0] == 0 || di[0] > MAX_ITEMS || di[1] == 0 || di[2] == 0 || di[1] > 4096 || di[2] > 4096) {
    st = bnn_fail(BNN_E_RANGE, "%s: implausible IDX dimensions %u × %u × %u", images_path, di[0],
                  di[1], di[2]);
    goto done;
  }
  if (dl[0] != di[0]) {
    st = bnn_fail(BNN_E_SHAPE, "%s: %u labels but %s has %u images", labels_path, dl[0],
                  images_path, di[0]);
    goto done;
  }
  uint64_t px = (uint64_t)di[0] * di[1] * di[2];
  out->images = (uint8_t *)bnn_malloc((size_t)px);
  out->labels = (uint8_t *)bnn_malloc(di[0]);
  if (!out->images || !out->labels) {
    st = bnn_fail(BNN_E_NOMEM, "%s: out of memory for %u images", images_path, di[0]);
    goto done;
  }
  if ((st = gz_exact(fi, images_path, out->images, px, "pixels")) ||
      (st = expect_eof(fi, images_path)) ||
      (st = gz_exact(fl, labels_path, out->labels, di[0], "labels")) ||
      (st = expect_eof(fl, labels_path)))
    goto done;
  out->n = di[0], out->h = di[1], out->w = di[2], out->c = 1;
  out->n_classes = 0;
  for (uint32_t i = 0; i < out->n; ++i)
    if (out->labels[i] + 1u > out->n_classes) out->n_classes = out->labels[i] + 1u;
  if (out->n_classes < 10) out->n_classes = 10;
  snprintf(out->name, sizeof out->name, "idx");
done:
  if (fi) gzclose(fi);
  if (fl) gzclose(fl);
  if (st) bnn_dataset_free(out);
  return st;
}

bnn_status bnn_cifar10_load(bnn_dataset *out, const char *const *paths, size_t n_paths) {
  if (!out || (!paths && n_paths)) return bnn_fail(BNN_E_ARG, "bnn_cifar10_load: NULL argument");
  memset(out, 0, sizeof *out);
  enum { REC = 1 + 3072 };
  uint64_t total = 0;
  long sizes[64];
  if (n_paths == 0 || n_paths > 64)
    return bnn_fail(BNN_E_ARG, "CIFAR-10: %zu batch files (accepted 1..64)", n_paths);
  for (size_t i = 0; i < n_paths; ++i) {
    FILE *f;
    bnn_status so = bnn_input_fopen(paths[i], 0, &f, NULL);
    if (so) return so;
    if (fseek(f, 0, SEEK_END) != 0 || (sizes[i] = ftell(f)) < 0) {
      fclose(f);
      return bnn_fail(BNN_E_IO, "%s: cannot determine size", paths[i]);
    }
    fclose(f);
    if (sizes[i] == 0 || sizes[i] % REC)
      return bnn_fail(BNN_E_FORMAT,
                      "%s: %ld bytes is not a whole number of %d-byte CIFAR-10 records", paths[i],
                      sizes[i], REC);
    total += (uint64_t)sizes[i] / REC;
  }
  if (total > MAX_ITEMS)
    return bnn_fail(BNN_E_RANGE, "CIFAR-10: %llu records above %u", (unsigned long long)total,
                    MAX_ITEMS);
  out->images = (uint8_t *)bnn_malloc((size_t)total * 3072);
  out->labels = (uint8_t *)bnn_malloc((size_t)total);
  uint8_t *rec = (uint8_t *)bnn_malloc(REC);
  bnn_status st = BNN_OK;
  if (!out->images || !out->labels || !rec) st = bnn_fail(BNN_E_NOMEM, "CIFAR-10: out of memory");
  uint64_t k = 0;
  for (size_t i = 0; i < n_paths && !st; ++i) {
    FILE *f;
    if ((st = bnn_input_fopen(paths[i], 0, &f, NULL))) break;
    for (long r = 0; r < sizes[i] / REC; ++r, ++k) {
      if (fread(rec, 1, REC, f) != REC) {
        st = bnn_fail(BNN_E_FORMAT, "%s: truncated at record %ld", paths[i], r);
        break;
      }
      if (rec[0] > 9) {
        st = bnn_fail(BNN_E_FORMAT, "%s: record %ld: label %u outside 0..9", paths[i], r, rec[0]);
        break;
      }
      out->labels[k] = rec[0];
      uint8_t *img = out->images + k * 3072; /* CHW (1024 R, 1024 G, 1024 B) → HWC */
      for (int p = 0; p < 1024; ++p)
        for (int c = 0; c < 3; ++c) img[p * 3 + c] = rec[1 + c * 1024 + p];
    }
    fclose(f);
  }
  bnn_free(rec);
  if (st) {
    bnn_dataset_free(out);
    return st;
  }
  out->n = (uint32_t)total, out->c = 3, out->h = 32, out->w = 32, out->n_classes = 10;
  snprintf(out->name, sizeof out->name, "cifar10");
  return BNN_OK;
}

static void keep_first(bnn_dataset *d, uint32_t limit) {
  if (limit && limit < d->n) d->n = limit; /* buffers stay allocated; only n shrinks */
}

bnn_status bnn_dataset_open(bnn_dataset *out, const char *spec, const char *split, uint32_t limit) {
  if (!out || !spec || !split) return bnn_fail(BNN_E_ARG, "bnn_dataset_open: NULL argument");
  memset(out, 0, sizeof *out);
  int train;
  if (!strcmp(split, "train"))
    train = 1;
  else if (!strcmp(split, "test"))
    train = 0;
  else
    return bnn_fail(BNN_E_ARG, "data set split '%s': expected 'train' or 'test'", split);
  char dir[4096], a[4200], b[4200];
  const char *base = bnn_default_data_dir();
  bnn_status st;
  if (!strcmp(spec, "fashion-mnist") || !strcmp(spec, "mnist")) {
    snprintf(dir, sizeof dir, "%s/%s", base, spec);
  } else if (!strcmp(spec, "cifar10")) {
    snprintf(dir, sizeof dir, "%s/cifar10", base);
  } else {
    snprintf(dir, sizeof dir, "%s", spec); /* a directory holding an IDX or CIFAR layout */
  }
  const char *pre = train ? "train" : "t10k";
  snprintf(a, sizeof a, "%s/%s-images-idx3-ubyte.gz", dir, pre);
  snprintf(b, sizeof b, "%s/%s-labels-idx1-ubyte.gz", dir, pre);
  /* Probed by name only (lstat: a FIFO or device there is found, then refused by the reader,
   * never opened here, where opening a FIFO would wait for a writer). */
  struct stat sb;
  int found = lstat(a, &sb) == 0;
  if (!found) { /* uncompressed IDX files */
    snprintf(a, sizeof a, "%s/%s-images-idx3-ubyte", dir, pre);
    snprintf(b, sizeof b, "%s/%s-labels-idx1-ubyte", dir, pre);
    found = lstat(a, &sb) == 0;
  }
  if (found) {
    st = bnn_idx_load(out, a, b);
    if (!st) {
      keep_first(out, limit);
      snprintf(out->name, sizeof out->name, "%.40s/%s",
               strcmp(spec, "fashion-mnist") && strcmp(spec, "mnist") ? "idx" : spec, split);
    }
    return st;
  }
  /* CIFAR-10 binary layout: data_batch_1..5.bin / test_batch.bin */
  char paths[5][4200];
  const char *pp[5];
  size_t np = train ? 5 : 1;
  for (size_t i = 0; i < np; ++i) {
    if (train)
      snprintf(paths[i], sizeof paths[i], "%s/data_batch_%zu.bin", dir, i + 1);
    else
      snprintf(paths[i], sizeof paths[i], "%s/test_batch.bin", dir);
    pp[i] = paths[i];
  }
  if (lstat(pp[0], &sb) != 0)
    return bnn_fail(BNN_E_IO,
                    "data set '%s': no %s-images-idx3-ubyte[.gz] or CIFAR-10 batches in %s", spec,
                    pre, dir);
  st = bnn_cifar10_load(out, pp, np);
  if (!st) {
    keep_first(out, limit);
    snprintf(out->name, sizeof out->name, "cifar10/%s", split);
  }
  return st;
}
