/* make_seeds.c — writes the fuzz harnesses' seed corpora with the project's own writers (model
 * save, trace/fault/error-map writers); the IDX and CIFAR-10 files, for which the project has only
 * readers, are laid out here byte by byte from their specifications (workloads/README.md).
 * Usage: make_seeds OUTDIR   (creates OUTDIR/<harness>/<seed files>) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bnn/bnn.h"
#include "rrtrace/trace.h"

static const char *outdir;

static void check(bnn_status st, const char *what) {
  if (st != BNN_OK) {
    fprintf(stderr, "make_seeds: %s: %s: %s\n", what, bnn_status_str(st), bnn_errmsg());
    exit(1);
  }
}

static const char *path_of(const char *harness, const char *file) {
  static char p[1024];
  snprintf(p, sizeof p, "%s/%s", outdir, harness);
  if (mkdir(p, 0777) != 0 && errno != EEXIST) {
    perror(p);
    exit(1);
  }
  snprintf(p, sizeof p, "%s/%s/%s", outdir, harness, file);
  return p;
}

static void write_bytes(const char *path, const uint8_t *b, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(b, 1, n, f) != n || fclose(f) != 0) {
    perror(path);
    exit(1);
  }
}

/* ±1 weights from a fixed pattern, so the seeds are the same on every build. */
static int8_t *pm1(size_t n, unsigned salt) {
  int8_t *w = (int8_t *)malloc(n ? n : 1);
  for (size_t i = 0; i < n; ++i) w[i] = (int8_t)(((i * 2654435761u + salt) >> 7) & 1 ? 1 : -1);
  return w;
}

static void seeds_model(void) {
  bnn_model *m = NULL;
  int32_t th[16];
  int8_t dir[16];
  int8_t *w;
  for (int i = 0; i < 16; ++i) {
    th[i] = i * 3 - 20;
    dir[i] = (int8_t)(i % 3 ? 1 : -1);
  }
  /* An MLP: 4x4x1 → dense 16 → dense 10. */
  check(bnn_model_create(&m, 1, 4, 4), "model create");
  w = pm1(16 * 16, 1);
  check(bnn_model_add_dense(m, 16, w, th, dir), "dense");
  free(w);
  w = pm1(10 * 16, 2);
  check(bnn_model_add_dense(m, 10, w, NULL, NULL), "dense out");
  free(w);
  check(bnn_model_set_provenance(m, "{\"seed\": 1, \"dataset\": \"fuzz\"}"), "provenance");
  check(bnn_model_save(m, path_of("model", "mlp.bnn")), "save mlp");
  /* The same with a per-class output affine: format version 2 (section OAFF). */
  double sc[10], of[10];
  for (int k = 0; k < 10; ++k) sc[k] = 0.5 + k, of[k] = -0.25 * k;
  check(bnn_model_set_output_affine(m, sc, of), "output affine");
  check(bnn_model_save(m, path_of("model", "mlp_affine.bnn")), "save mlp affine");
  /* ... and an input offset ([−1, 1] pixels, q = 255/2): format version 3 (section IOFF). */
  int64_t num = 255, thr[16];
  for (int i = 0; i < 16; ++i) thr[i] = 40 * i - 300;
  check(bnn_model_set_input_offset(m, 1, &num, thr), "input offset");
  check(bnn_model_save(m, path_of("model", "mlp_offset.bnn")), "save mlp offset");
  bnn_model_free(m);
  /* A CNN: 6x6x2 → conv 8 → maxpool → conv 4 → dense 3 (output scale set). */
  check(bnn_model_create(&m, 2, 6, 6), "model create");
  w = pm1(8 * 9 * 2, 3);
  check(bnn_model_add_conv3x3(m, 8, w, th, dir), "conv");
  free(w);
  check(bnn_model_add_maxpool2(m), "pool");
  w = pm1(4 * 9 * 8, 4);
  check(bnn_model_add_conv3x3(m, 4, w, th, dir), "conv");
  free(w);
  w = pm1(3 * 3 * 3 * 4, 5);
  check(bnn_model_add_dense(m, 3, w, NULL, NULL), "dense out");
  free(w);
  bnn_model_set_output_scale(m, 0.25f);
  check(bnn_model_save(m, path_of("model", "cnn.bnn")), "save cnn");
  bnn_model_free(m);
}

static void seeds_access(const char *harness, const char *file, rrt_timing timing) {
  rrt_access_write_params p = rrt_access_write_default_params();
  rrt_access_writer *w = NULL;
  uint8_t buf[64];
  p.prov.tool = "rramsim make_seeds";
  p.prov.config_hash = "fnv1a64:0123456789abcdef";
  p.prov.seed = "7";
  p.prov.clock_ps = 1000;
  p.timing = timing;
  check(rrt_access_writer_open(path_of(harness, file), &p, &w), file);
  for (uint32_t i = 0; i < 12; ++i) {
    rrt_access a;
    memset(&a, 0, sizeof a);
    a.cycle = 10u * i;
    a.address = 0x40u * i;
    a.cmd = i % 3 ? RRT_CMD_READ : RRT_CMD_WRITE;
    a.length = i % 4 == 1 ? 8 : 64;
    if (a.cmd == RRT_CMD_WRITE && i % 2 == 0) {
      for (uint32_t k = 0; k < a.length; ++k) buf[k] = (uint8_t)(k * 13 + i);
      a.has_data = 1;
      a.data = buf;
    }
    check(rrt_access_writer_put(w, &a), "access put");
  }
  check(rrt_access_writer_close(w), "access close");
}

static void seeds_fault(void) {
  rrt_provenance prov;
  rrt_fault_writer *w = NULL;
  memset(&prov, 0, sizeof prov);
  prov.tool = "rramsim make_seeds";
  prov.seed = "3";
  prov.model_id = "crc32:1a2b3c4d";
  check(rrt_fault_writer_open(path_of("fault", "faults.csv"), &prov, 0, &w), "fault open");
  for (int i = 0; i < (int)RRT_FAULT_KIND_COUNT * 2; ++i) {
    rrt_fault f;
    memset(&f, 0, sizeof f);
    f.time_ps = 1000u * (uint64_t)i;
    f.address = 0x100u + (uint64_t)i;
    f.bit = (uint32_t)i % 8;
    f.kind = (rrt_fault_kind)(i % (int)RRT_FAULT_KIND_COUNT);
    f.old_value = (uint8_t)(i & 1);
    f.new_value = (uint8_t) !(i & 1);
    f.layer = i % 2 ? -1 : 1;
    f.neuron = i % 2 ? -1 : i;
    f.weight = i % 2 ? -1 : 3 * i;
    f.access = f.kind == RRT_FAULT_READ ? i : -1;
    check(rrt_fault_writer_put(w, &f), "fault put");
  }
  check(rrt_fault_writer_close(w), "fault close");
}

static void seeds_errmap(rrt_cell_loc loc, const char *file) {
  rrt_provenance prov;
  rrt_errmap_writer *w = NULL;
  memset(&prov, 0, sizeof prov);
  prov.tool = "rramsim make_seeds";
  check(rrt_errmap_writer_open(path_of("errmap", file), &prov, loc, &w), "errmap open");
  for (int i = 0; i < 9; ++i) {
    rrt_cell c;
    memset(&c, 0, sizeof c);
    c.loc = loc;
    c.kind = (rrt_cell_kind)(i % (int)RRT_CELL_KIND_COUNT);
    c.rate = c.kind == RRT_CELL_FLIP_RATE ? 0.125 * (i % 8) : 0.0;
    if (loc == RRT_LOC_ADDRESS) {
      c.address = 0x80u * (uint64_t)i;
      c.bit = (uint32_t)i % 8;
    } else {
      c.bank = (uint32_t)i % 2;
      c.crossbar = (uint32_t)i % 3;
      c.row = (uint32_t)i * 5;
      c.column = (uint32_t)i * 7;
      c.bit = 0;
    }
    check(rrt_errmap_writer_put(w, &c), "errmap put");
  }
  check(rrt_errmap_writer_close(w), "errmap close");
}

static void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* fuzz_idx input: u32 LE length of the image file, image file (IDX3), label file (IDX1). */
static void seeds_idx(uint32_t n, uint32_t h, uint32_t w, const char *file) {
  size_t img = 16 + (size_t)n * h * w, lab = 8 + n, k = 0;
  uint8_t *b = (uint8_t *)malloc(4 + img + lab);
  b[0] = (uint8_t)img;
  b[1] = (uint8_t)(img >> 8);
  b[2] = (uint8_t)(img >> 16);
  b[3] = (uint8_t)(img >> 24);
  k = 4;
  b[k] = 0, b[k + 1] = 0, b[k + 2] = 8, b[k + 3] = 3; /* unsigned byte, 3 dimensions */
  put_be32(b + k + 4, n);
  put_be32(b + k + 8, h);
  put_be32(b + k + 12, w);
  for (size_t i = 0; i < (size_t)n * h * w; ++i) b[k + 16 + i] = (uint8_t)(i * 7);
  k += img;
  b[k] = 0, b[k + 1] = 0, b[k + 2] = 8, b[k + 3] = 1;
  put_be32(b + k + 4, n);
  for (uint32_t i = 0; i < n; ++i) b[k + 8 + i] = (uint8_t)(i % 10);
  write_bytes(path_of("idx", file), b, 4 + img + lab);
  free(b);
}

/* CIFAR-10 binary: per record one label byte + 3072 pixel bytes (R plane, G plane, B plane). */
static void seeds_cifar(uint32_t n, const char *file) {
  size_t rec = 1 + 3072;
  uint8_t *b = (uint8_t *)malloc(n * rec);
  for (uint32_t r = 0; r < n; ++r) {
    b[r * rec] = (uint8_t)(r % 10);
    for (size_t i = 0; i < 3072; ++i) b[r * rec + 1 + i] = (uint8_t)(i * 31 + r);
  }
  write_bytes(path_of("cifar", file), b, n * rec);
  free(b);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: make_seeds OUTDIR\n");
    return 2;
  }
  outdir = argv[1];
  if (mkdir(outdir, 0777) != 0 && errno != EEXIST) {
    perror(outdir);
    return 1;
  }
  seeds_model();
  seeds_access("trace_stl", "abs.stl", RRT_TIMING_ABSOLUTE);
  seeds_access("trace_stl", "rel.rstl", RRT_TIMING_RELATIVE);
  seeds_access("trace_rrt", "abs.rrt", RRT_TIMING_ABSOLUTE);
  seeds_access("trace_rrt", "rel.rrt", RRT_TIMING_RELATIVE);
  seeds_fault();
  seeds_errmap(RRT_LOC_ADDRESS, "address.csv");
  seeds_errmap(RRT_LOC_ARRAY, "array.csv");
  seeds_idx(3, 4, 5, "small.idx");
  seeds_idx(2, 28, 28, "mnist_shape.idx");
  seeds_cifar(1, "one.bin");
  seeds_cifar(2, "two.bin");
  return 0;
}
