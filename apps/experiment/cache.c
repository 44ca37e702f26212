/* cache.c — the cache of `rramsim experiment paper` under <out>/models: the parameter hash that
 * names a model's files, the keys of its evaluations, the .meta file of a trained model, and the
 * keyed CSV files of the evaluations and their sidecars (one reader, one writer). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <math.h>

#include "bnn/input.h"
#include "bnn/durable.h"
#include "cli.h"
#include "experiment.h"

static const char *const CMD = "experiment";

uint64_t xp_fnv1a(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; ++s) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static int file_exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0;
}

/* Reads the first line of a cache file and checks it is "# key <key>". */
static FILE *cache_open(const char *path, const char *key) {
  FILE *f = NULL; /* a FIFO or directory in the cache is a miss, never a wait */
  if (bnn_input_fopen(path, 0, &f, NULL) != BNN_OK) return NULL;
  char line[1024];
  if (!fgets(line, sizeof line, f) || strncmp(line, "# key ", 6) != 0) {
    fclose(f);
    return NULL;
  }
  line[strcspn(line, "\n")] = 0;
  if (strcmp(line + 6, key) != 0) {
    fclose(f);
    return NULL;
  }
  return f;
}

int xp_meta_load(xp_model *md) {
  char path[XP_PATH + 16], mpath[XP_PATH + 16];
  snprintf(path, sizeof path, "%s.meta", md->stem);
  snprintf(mpath, sizeof mpath, "%s.bnn", md->stem);
  if (!file_exists(mpath)) return 0;
  FILE *f = cache_open(path, md->key);
  if (!f) return 0;
  int have = 0;
  char line[256];
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "clean_accuracy %lf", &md->clean_acc) == 1) have |= 1;
    if (sscanf(line, "train_seconds %lf", &md->train_seconds) == 1) have |= 2;
  }
  fclose(f);
  return have == 3;
}

int xp_meta_write(const xp_model *md, double clean_acc, int resumed) {
  char meta[XP_PATH + 16];
  snprintf(meta, sizeof meta, "%s.meta", md->stem);
  bnn_atomic_file af;
  FILE *f = bnn_atomic_open(&af, meta) == BNN_OK ? af.f : NULL;
  if (!f) return cli_error(CMD, "%s: cannot write: %s", meta, bnn_errmsg()), 0;
  fprintf(f, "# key %s\nclean_accuracy %.9f\ntrain_seconds %.3f\nresumed %d\n", md->key, clean_acc,
          md->train_seconds, resumed);
  if (bnn_atomic_commit(&af) != BNN_OK) return cli_error(CMD, "%s: cannot write", meta), 0;
  return 1;
}

static void bers_str(const xp_run *run, char *buf, size_t n) {
  size_t o = 0;
  buf[0] = 0;
  for (size_t b = 0; b < run->n_bers && o < n; ++b)
    o += (size_t)snprintf(buf + o, n - o, "%s%g", b ? "," : "", run->bers[b]);
}

void xp_cache_key(const xp_run *run, const xp_model *md, const char *what, uint32_t limit,
                  char *key, size_t n) {
  char bl[256];
  bers_str(run, bl, sizeof bl);
  snprintf(key, n,
           "%s v1 model=%016" PRIx64 " data=%s/test limit=%u bers=%s reps=%" PRIu64
           " seed=%" PRIu64,
           what, xp_fnv1a(md->key), run->data, limit, bl, !strcmp(what, "mc") ? run->reps : 0,
           !strcmp(what, "mc") ? run->eval_seed : 0);
}

/* The sidecar of a cache CSV: its key and compute time, so that the CSV itself is a header row and
 * data (pandas.read_csv reads it with its defaults). */
static void sidecar_path(const char *path, char *out, size_t n) {
  snprintf(out, n, "%s.meta.json", path);
}

/* Opens a cache CSV whose key is `key`: in its sidecar (then *seconds is set from it too) or, in
 * files written before the sidecar, on its first line "# key <key>". NULL on a miss. */
static FILE *cache_csv_open(const char *path, const char *key, double *seconds) {
  FILE *f = NULL;
  if (bnn_input_fopen(path, 0, &f, NULL) != BNN_OK) return NULL;
  char line[1024];
  if (!fgets(line, sizeof line, f)) {
    fclose(f);
    return NULL;
  }
  if (!strncmp(line, "# key ", 6)) {
    line[strcspn(line, "\n")] = 0;
    if (strcmp(line + 6, key) == 0) return f;
    fclose(f);
    return NULL;
  }
  /* The first line was the header row: the reader's row loop starts after it. */
  char side[XP_PATH + 64];
  sidecar_path(path, side, sizeof side);
  FILE *sf = NULL;
  json_t *o = NULL;
  if (bnn_input_fopen(side, 1u << 20, &sf, NULL) == BNN_OK) {
    o = json_loadf(sf, 0, NULL);
    fclose(sf);
  }
  const char *k = json_string_value(json_object_get(o, "key"));
  const int hit = k && strcmp(k, key) == 0;
  if (hit && json_is_number(json_object_get(o, "seconds")))
    *seconds = json_number_value(json_object_get(o, "seconds"));
  json_decref(o);
  if (!hit) fclose(f);
  return hit ? f : NULL;
}

/* Reads a cache file xp_cache_write wrote: the key in its sidecar (another key: a stale entry,
 * returns -1; files written before the sidecar: "# key <key>" and "# seconds <s>" lines), a header,
 * then rows "<ber>[,<name>],<v1>,...,<v_nv>". A row whose BER is among bers[0..n_bers) goes to
 * store once per matching BER; rows that do not parse are skipped. Returns how many rows store
 * kept. */
long xp_cache_read(const char *path, const char *key, int named, size_t nv, const double *bers,
                   size_t n_bers, double *seconds, int (*store)(void *ud, const cache_row *r),
                   void *ud) {
  double v[XP_CACHE_MAX_V];
  if (nv > XP_CACHE_MAX_V) return -1;
  FILE *f = cache_csv_open(path, key, seconds);
  if (!f) return -1;
  char line[256], name[64];
  long got = 0;
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "# seconds %lf", seconds) == 1) continue;
    char *p = line, *end = NULL;
    const double ber = strtod(p, &end);
    int ok = end != p && *end == ',';
    if (ok && named) {
      p = end + 1;
      const size_t n = strcspn(p, ",\n");
      ok = n > 0 && n < sizeof name && p[n] == ',';
      if (ok) memcpy(name, p, n), name[n] = 0, end = p + n;
    }
    for (size_t k = 0; ok && k < nv; ++k) {
      p = end + 1;
      v[k] = strtod(p, &end);
      ok = end != p && (*end == (k + 1 < nv ? ',' : '\n') || (k + 1 == nv && !*end));
    }
    if (!ok) continue;
    for (size_t b = 0; b < n_bers; ++b)
      if (bers[b] == ber) {
        cache_row r = {b, named ? name : NULL, {0}};
        memcpy(r.v, v, nv * sizeof *v);
        got += store(ud, &r);
      }
  }
  fclose(f);
  return got;
}

long xp_cache_write(const char *path, const char *key, double seconds, const char *header,
                    int named, size_t nv, int general, const double *bers, size_t n_rows,
                    int (*row)(void *ud, size_t i, cache_row *r), void *ud) {
  /* The old sidecar goes first: a crash before the new one is written leaves a CSV without a key
   * (a cache miss), never new rows under an old key. */
  char side[XP_PATH + 64];
  sidecar_path(path, side, sizeof side);
  if (remove(side) != 0 && errno != ENOENT)
    return cli_error(CMD, "%s: cannot remove: %s", side, strerror(errno)), -1;
  bnn_atomic_file af;
  FILE *f = bnn_atomic_open(&af, path) == BNN_OK ? af.f : NULL;
  if (!f) return cli_error(CMD, "%s: cannot write: %s", path, bnn_errmsg()), -1;
  fprintf(f, "%s\n", header);
  long rows = 0;
  for (size_t i = 0; i < n_rows; ++i) {
    cache_row r = {0, NULL, {0}};
    if (!row(ud, i, &r)) continue;
    fprintf(f, "%.17g", bers[r.b]);
    if (named) fprintf(f, ",%s", r.name);
    for (size_t k = 0; k < nv; ++k) {
      fprintf(f, general ? ",%.9g" : ",%.9f", r.v[k]);
    }
    fputc('\n', f);
    ++rows;
  }
  if (bnn_atomic_commit(&af) != BNN_OK) return cli_error(CMD, "%s: cannot write", path), -1;
  const char *base = strrchr(path, '/');
  json_t *o =
      json_pack("{s:s, s:s, s:s, s:f}", "format", "rramsim experiment cache sidecar 1", "describes",
                base ? base + 1 : path, "key", key, "seconds", floor(seconds * 1000 + 0.5) / 1000);
  char *txt =
      o ? json_dumps(o, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) : NULL;
  json_decref(o);
  bnn_atomic_file sf;
  const int ok = txt && bnn_atomic_open(&sf, side) == BNN_OK &&
                 (fprintf(sf.f, "%s\n", txt), bnn_atomic_commit(&sf) == BNN_OK);
  json_free_t jfree = NULL; /* jansson may use another allocator than malloc (sim/ sets libbnn's) */
  json_get_alloc_funcs(NULL, &jfree);
  if (txt) jfree(txt);
  if (!ok) return cli_error(CMD, "%s: cannot write: %s", side, bnn_errmsg()), -1;
  return rows;
}
