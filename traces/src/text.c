/* text.c — libtrace text framing: string helpers, the provenance header of a text trace, CSV
 * files (header skip, field splitting, trimmed number fields). */
#include "io_impl.h"

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
  if (!got) {
    rrt_in_close(in);
    return bnn_fail(BNN_E_FORMAT, "%s: empty %s (no column header%s)", path, what,
                    hint ? hint : "");
  }
  *n = rrt_csv_split(line, fields, max);
  return BNN_OK;
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
