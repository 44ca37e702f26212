/* text.c — libtrace text framing: string helpers, the provenance header of a text trace, CSV
 * files (header skip, the record loop and writer frame, field splitting, trimmed number fields). */
#include "io_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *rrt_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = (char *)bnn_malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

int rrt_ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

bnn_status rrt_text_header(rrt_in *in, rrt_prov_store *prov, char **line, size_t *len, int *got) {
  for (;;) {
    bnn_status s = rrt_in_getline(in, line, len, got);
    if (s || !*got) return s;
    /* Spreadsheets often save CSV (error maps) with a UTF-8 byte-order mark: drop it. */
    if (in->line_no == 1 && *len >= 3 && !memcmp(*line, "\xEF\xBB\xBF", 3)) {
      *line += 3;
      *len -= 3;
    }
    /* A line holding a NUL (binary data) is never a comment or blank, whatever its C string
     * says: the caller's parser refuses it. */
    if (memchr(*line, '\0', *len)) return BNN_OK;
    const char *p = rrt_skip_space(*line);
    if (*p == '\0') continue;
    if (*p != '#') return BNN_OK;
    rrt_prov_parse_comment(prov, *line);
  }
}

bnn_status rrt_text_open(rrt_in *in, rrt_prov_store *prov, const char *path, char **line,
                         size_t *len, int *got) {
  rrt_prov_store_init(prov);
  *got = 0;
  bnn_status s = rrt_in_open(in, path);
  if (!s) s = rrt_text_header(in, prov, line, len, got);
  if (s) rrt_in_close(in);
  return s;
}

bnn_status rrt_csv_open(rrt_in *in, rrt_prov_store *prov, const char *path, const char *what,
                        const char *hint, char **fields, int max, int *n) {
  char *line;
  size_t len;
  int got;
  *n = 0;
  bnn_status s = rrt_text_open(in, prov, path, &line, &len, &got);
  if (s) return s;
  /* Files written before the sidecar carry '#' header lines instead; both are read. */
  if ((s = rrt_sidecar_read(prov, path))) {
    rrt_in_close(in);
    return s;
  }
  if (!got) {
    rrt_in_close(in);
    return bnn_fail(BNN_E_FORMAT, "%s: empty %s (no column header%s)", path, what,
                    hint ? hint : "");
  }
  *n = rrt_csv_split(line, fields, max);
  return BNN_OK;
}

bnn_status rrt_csv_reader_next(rrt_csv_reader *r, const char *what, rrt_csv_parse_fn parse,
                               void *ctx, void *rec, int *got) {
  *got = 0;
  if (r->err) return bnn_fail(r->err, "%s: reader stopped after an earlier error", r->in.path);
  while (!r->done) {
    char *line;
    size_t len;
    int have;
    bnn_status s = rrt_in_getline(&r->in, &line, &len, &have);
    if (s) return r->err = s;
    if (!have) {
      r->done = 1;
      break;
    }
    /* A NUL (binary data in a text file) would end the line early or hide it as blank. */
    const int has_nul = memchr(line, '\0', len) != NULL;
    const char *p = rrt_skip_space(line);
    if (!has_nul && (*p == '\0' || *p == '#')) continue;
    const char *why =
        has_nul ? "NUL byte in the line (binary data in a text file?)" : parse(ctx, line, rec);
    if (!why) {
      ++r->records;
      *got = 1;
      return BNN_OK;
    }
    if (!r->skip_bad)
      return r->err = bnn_fail(BNN_E_FORMAT, "%s:%llu: malformed %s: %s", r->in.path,
                               (unsigned long long)r->in.line_no, what, why);
    if (!r->bad++) r->first_bad = r->in.line_no;
  }
  return BNN_OK;
}

bnn_status rrt_csv_writer_open(rrt_csv_writer *w, const char *path, int gzip_level,
                               const rrt_provenance *prov, const char *title, const char *format,
                               unsigned prov_mask, const char *cols) {
  bnn_status s = rrt_prov_validate(prov, path);
  if (s || (s = rrt_out_open(&w->out, path, gzip_level))) return s;
  /* The provenance is copied: the caller's strings need not outlive this call. */
  rrt_prov_store_init(&w->prov);
  if (prov) {
    const char *src[4] = {prov->tool, prov->config_hash, prov->seed, prov->model_id};
    char *dst[4] = {w->prov.tool, w->prov.config_hash, w->prov.seed, w->prov.model_id};
    for (int i = 0; i < 4; ++i) snprintf(dst[i], RRT_PROV_MAX + 1, "%s", src[i] ? src[i] : "");
    w->prov.view.clock_ps = prov->clock_ps;
  }
  w->prov_mask = prov_mask;
  w->title = title;
  w->format = format;
  w->cols = cols;
  s = rrt_out_write(&w->out, cols, strlen(cols));
  if (s) rrt_out_abort(&w->out);
  return s;
}

bnn_status rrt_csv_writer_close(rrt_csv_writer *w, const char *what) {
  char path[4096];
  snprintf(path, sizeof path, "%s", w->out.path); /* freed by the commit or abort */
  if (!w->err) {
    char *side = NULL;
    bnn_status s = rrt_sidecar_path(path, &side);
    if (!s && remove(side) != 0 && errno != ENOENT)
      s = bnn_fail(BNN_E_IO, "%s: cannot remove the old sidecar: %s", side, strerror(errno));
    bnn_free(side);
    if (s) {
      rrt_out_abort(&w->out);
      return s;
    }
    if ((s = rrt_out_commit(&w->out))) return s;
    s = rrt_sidecar_write(path, w->title, w->format, w->cols, w->records, &w->prov.view,
                          w->prov_mask);
    if (s) remove(path); /* a file without its provenance is not a result */
    return s;
  }
  rrt_out_abort(&w->out);
  return bnn_fail(w->err, "%s: %s writer failed earlier (%s); nothing written", path, what,
                  bnn_status_str(w->err));
}

static char *trim(char *b, char *e) {
  while (b < e && rrt_is_space(*b)) ++b;
  while (e > b && rrt_is_space(e[-1])) --e;
  *e = '\0';
  return b;
}

int rrt_csv_split(char *line, char **fields, int max) {
  int n = 0;
  char *p = line;
  for (;;) {
    char *c = strchr(p, ',');
    char *e = c ? c : p + strlen(p);
    if (n == max) return max + 1;
    fields[n++] = trim(p, e);
    if (!c) return n;
    p = c + 1;
  }
}

int rrt_parse_u64_any(const char *s, uint64_t *v) {
  const char *p = s;
  int ok = (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) ? rrt_parse_u64_hex(&p, v)
                                                         : rrt_parse_u64_dec(&p, v);
  return ok && *p == '\0';
}

int rrt_parse_i64_field(const char *s, int64_t *v) {
  if (*s == '\0') {
    *v = -1; /* empty = unknown */
    return 1;
  }
  const char *p = s;
  return rrt_parse_i64_dec(&p, v) && *p == '\0' && *v >= -1;
}
