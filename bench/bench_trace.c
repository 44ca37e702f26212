/* bench_trace.c — libtrace throughput (records/s) for STL text, STL .gz and binary at 10^7 records,
 * with peak RSS, each against a baseline measured in the same run:
 *   write: raw fwrite of the same bytes the writer produced (the cost of the I/O alone); for .gz
 *          files gzwrite of the same uncompressed bytes at the same level (zlib alone);
 *   read : raw fread of the same file (for .gz: gzread of it, zlib alone), and for text also
 *          fgets + sscanf (the obvious parser).
 * usage: bench_trace [RECORDS] [DIR]   (defaults 10000000, /tmp) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "bnn/rng.h"
#include "rrtrace/trace.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static long peak_rss_kb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss; /* KiB on Linux */
}

static long file_size(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fclose(f);
  return n;
}

/* The synthetic workload: mostly sequential 64-byte reads/writes with occasional jumps, like a
 * weight-streaming BNN; generated on the fly so the bench itself holds nothing. */
static void gen(uint64_t i, uint64_t *t, uint64_t *addr, rrt_access *a) {
  uint64_t h = bnn_rng_hash(2026, 0, i);
  *t += 1 + (h & 7);
  *addr = (h >> 8) % 16 == 0 ? ((h >> 16) & 0xFFFFFFC0u) : *addr + 64;
  a->cycle = *t;
  a->address = *addr;
  a->length = 64;
  a->cmd = (h >> 4) % 4 == 0 ? RRT_CMD_WRITE : RRT_CMD_READ;
  a->has_data = 0;
  a->data = NULL;
}

static void die(const char *what) {
  fprintf(stderr, "bench_trace: %s: %s\n", what, bnn_errmsg());
  exit(1);
}

static double bench_write(const char *path, uint64_t n) {
  rrt_access_write_params wp = rrt_access_write_default_params();
  wp.prov.tool = "bench_trace";
  wp.prov.seed = "2026";
  rrt_access_writer *w;
  double t0 = now();
  if (rrt_access_writer_open(path, &wp, &w)) die(path);
  uint64_t t = 0, addr = 0;
  for (uint64_t i = 0; i < n; ++i) {
    rrt_access a;
    gen(i, &t, &addr, &a);
    if (rrt_access_writer_put(w, &a)) die(path);
  }
  if (rrt_access_writer_close(w)) die(path);
  return now() - t0;
}

/* The synthetic records' own cost (included in every write figure). */
static double bench_generate(uint64_t n) {
  double t0 = now();
  uint64_t t = 0, addr = 0, sum = 0;
  for (uint64_t i = 0; i < n; ++i) {
    rrt_access a;
    gen(i, &t, &addr, &a);
    sum += a.address ^ (uint64_t)a.cmd;
  }
  if (sum == 42) fputc(' ', stderr);
  return now() - t0;
}

static double bench_read(const char *path, uint64_t n) {
  rrt_access_reader *r;
  double t0 = now();
  if (rrt_access_reader_open(path, NULL, &r)) die(path);
  rrt_access a;
  int got;
  uint64_t k = 0, sum = 0;
  while (rrt_access_reader_next(r, &a, &got) == BNN_OK && got) {
    sum += a.address ^ a.cycle;
    ++k;
  }
  if (*bnn_errmsg() && k != n) die(path);
  rrt_access_reader_close(r);
  double dt = now() - t0;
  if (k != n) {
    fprintf(stderr, "bench_trace: %s: read %" PRIu64 " of %" PRIu64 " records\n", path, k, n);
    exit(1);
  }
  if (sum == 42) fputc(' ', stderr); /* keep the loop */
  return dt;
}

/* Baseline: copy an existing file's bytes with plain fread/fwrite through a 256 KiB buffer. */
static double raw_write(const char *src, const char *dst) {
  FILE *in = fopen(src, "rb");
  if (!in) die(src);
  /* Only the fwrite calls are timed; the source is read in 256 KiB chunks to stay flat. */
  FILE *out = fopen(dst, "wb");
  if (!out) die(dst);
  static char buf[256 * 1024];
  size_t k;
  double t = 0;
  while ((k = fread(buf, 1, sizeof buf, in)) > 0) {
    double t0 = now();
    if (fwrite(buf, 1, k, out) != k) die(dst);
    t += now() - t0;
  }
  double t0 = now();
  fclose(out);
  t += now() - t0;
  fclose(in);
  remove(dst);
  return t;
}

static double raw_read(const char *path) {
  double t0 = now();
  FILE *in = fopen(path, "rb");
  if (!in) die(path);
  static char buf[256 * 1024];
  size_t k;
  unsigned long x = 0;
  while ((k = fread(buf, 1, sizeof buf, in)) > 0) x += (unsigned char)buf[k - 1];
  fclose(in);
  if (x == 1) fputc(' ', stderr);
  return now() - t0;
}

/* zlib alone: gzwrite the decompressed content of src (level 1, as the writer) — only the
 * gzwrite calls are timed. */
static double zlib_write(const char *src, const char *dst) {
  gzFile in = gzopen(src, "rb");
  gzFile out = gzopen(dst, "wb1");
  if (!in || !out) die(dst);
  static char buf[256 * 1024];
  int k;
  double t = 0;
  while ((k = gzread(in, buf, sizeof buf)) > 0) {
    double t0 = now();
    if (gzwrite(out, buf, (unsigned)k) != k) die(dst);
    t += now() - t0;
  }
  double t0 = now();
  gzclose(out);
  t += now() - t0;
  gzclose(in);
  remove(dst);
  return t;
}

static double zlib_read(const char *path) {
  double t0 = now();
  gzFile in = gzopen(path, "rb");
  if (!in) die(path);
  static char buf[256 * 1024];
  int k;
  unsigned long x = 0;
  while ((k = gzread(in, buf, sizeof buf)) > 0) x += (unsigned char)buf[k - 1];
  gzclose(in);
  if (x == 1) fputc(' ', stderr);
  return now() - t0;
}

static double sscanf_read(const char *path, uint64_t n) {
  double t0 = now();
  FILE *in = fopen(path, "rb");
  if (!in) die(path);
  char line[512], cmd[8];
  unsigned long long c, a;
  unsigned len;
  uint64_t k = 0, sum = 0;
  while (fgets(line, sizeof line, in)) {
    if (line[0] == '#') continue;
    if (sscanf(line, "%llu: (%u) %7s %llx", &c, &len, cmd, &a) == 4) {
      sum += a ^ c;
      ++k;
    }
  }
  fclose(in);
  if (k != n) {
    fprintf(stderr, "bench_trace: sscanf baseline read %" PRIu64 " records\n", k);
    exit(1);
  }
  if (sum == 42) fputc(' ', stderr);
  return now() - t0;
}

int main(int argc, char **argv) {
  uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000ull;
  const char *dir = argc > 2 ? argv[2] : "/tmp";
  if (n == 0) {
    fprintf(stderr, "usage: bench_trace [RECORDS>0] [DIR]\n");
    return 2;
  }
  char base[512];
  snprintf(base, sizeof base, "%s/bench_trace_%ld", dir, (long)getpid());
  const char *ext[] = {".stl", ".stl.gz", ".rrt", ".rrt.gz"};
  printf("bench_trace: %" PRIu64 " records (64-byte reads/writes, no data), files in %s\n", n, dir);
  printf("peak RSS before: %ld KiB\n", peak_rss_kb());
  double tg = bench_generate(n);
  printf("generating the records alone: %.3f s (%.3g records/s; included in the write times)\n", tg,
         (double)n / tg);
  printf("%-8s %8s %12s %12s %10s %14s %10s %8s\n", "format", "op", "records/s", "MB/s(file)",
         "seconds", "baseline", "base s", "ratio");
  for (size_t e = 0; e < sizeof ext / sizeof ext[0]; ++e) {
    char path[600], copy[620];
    snprintf(path, sizeof path, "%s%s", base, ext[e]);
    snprintf(copy, sizeof copy, "%s.raw", path);
    double tw = bench_write(path, n);
    long size = file_size(path);
    double mb = (double)size / 1e6;
    int gz = strstr(ext[e], ".gz") != NULL;
    double bw = gz ? zlib_write(path, copy) : raw_write(path, copy);
    printf("%-8s %8s %12.3g %12.1f %10.3f %14s %10.3f %7.2fx\n", ext[e] + 1, "write",
           (double)n / tw, mb / tw, tw, gz ? "zlib gzwrite" : "raw fwrite", bw, tw / bw);
    double tr = bench_read(path, n);
    double br = gz ? zlib_read(path) : raw_read(path);
    printf("%-8s %8s %12.3g %12.1f %10.3f %14s %10.3f %7.2fx\n", ext[e] + 1, "read", (double)n / tr,
           mb / tr, tr, gz ? "zlib gzread" : "raw fread", br, tr / br);
    if (e == 0) {
      double ts = sscanf_read(path, n);
      printf("%-8s %8s %12.3g %12.1f %10.3f %14s %10.3f %7.2fx\n", ext[e] + 1, "read",
             (double)n / tr, mb / tr, tr, "fgets+sscanf", ts, tr / ts);
    }
    printf("%-8s file size %.1f MB (%.2f bytes/record), peak RSS so far %ld KiB\n", ext[e] + 1, mb,
           (double)size / (double)n, peak_rss_kb());
    remove(path);
  }
  printf("peak RSS after: %ld KiB (flat: independent of the record count)\n", peak_rss_kb());
  printf("ratio = libtrace time / baseline time (page cache warm: reads follow the writes)\n");
  return 0;
}
