/* prov.c — libtrace provenance: the "# key: value" header lines of text traces and the JSON
 * sidecar of CSV files written and parsed, value validation, and the comparison of a file's
 * provenance with the expected one. */
#include "io_impl.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bnn/durable.h"
#include "bnn/input.h"

void rrt_prov_store_init(rrt_prov_store *s) {
  memset(s, 0, sizeof *s);
  s->view.tool = s->tool;
  s->view.config_hash = s->config_hash;
  s->view.seed = s->seed;
  s->view.model_id = s->model_id;
}

static int prov_value_ok(const char *v) {
  if (!v) return 1;
  size_t n = strlen(v);
  return n <= RRT_PROV_MAX && !strpbrk(v, "\r\n");
}

bnn_status rrt_prov_validate(const rrt_provenance *p, const char *path) {
  if (!p) return BNN_OK;
  const char *names[4] = {"tool", "config_hash", "seed", "model_id"};
  const char *vals[4] = {p->tool, p->config_hash, p->seed, p->model_id};
  for (int i = 0; i < 4; ++i)
    if (!prov_value_ok(vals[i]))
      return bnn_fail(BNN_E_ARG, "%s: provenance %s must be at most %d characters without newlines",
                      path, names[i], RRT_PROV_MAX);
  return BNN_OK;
}

static bnn_status put_kv(rrt_out *o, const char *key, const char *val) {
  char line[RRT_PROV_MAX + 64];
  int n = snprintf(line, sizeof line, "# %s: %s\n", key, val ? val : "");
  return rrt_out_write(o, line, (size_t)n);
}

bnn_status rrt_prov_write_text(rrt_out *o, const rrt_provenance *p, unsigned mask) {
  rrt_provenance none = {NULL, NULL, NULL, NULL, 0};
  if (!p) p = &none;
  bnn_status s = BNN_OK;
  if (!s && (mask & RRT_PROV_TOOL)) s = put_kv(o, "tool", p->tool);
  if (!s && (mask & RRT_PROV_CONFIG_HASH)) s = put_kv(o, "config_hash", p->config_hash);
  if (!s && (mask & RRT_PROV_SEED)) s = put_kv(o, "seed", p->seed);
  if (!s && (mask & RRT_PROV_MODEL_ID)) s = put_kv(o, "model_id", p->model_id);
  if (!s && (mask & RRT_PROV_CLOCK)) {
    char v[32];
    *rrt_fmt_u64_dec(v, p->clock_ps) = '\0';
    s = put_kv(o, "clock_ps", v);
    /* The same clock as DRAMSys's trace-player setting "clkMhz" (an integer), when it is one. */
    if (!s && p->clock_ps && 1000000 % p->clock_ps == 0) {
      *rrt_fmt_u64_dec(v, 1000000 / p->clock_ps) = '\0';
      s = put_kv(o, "clkMhz", v);
    }
  }
  return s;
}

static void copy_trimmed(char *dst, const char *src) {
  size_t n = strlen(src);
  while (n && rrt_is_space(src[n - 1])) --n;
  if (n > RRT_PROV_MAX) n = RRT_PROV_MAX;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

/* The string fields of a provenance, by the key that names them in headers and sidecars. */
static const struct prov_key {
  const char *key;
  size_t off;
} prov_keys[] = {{"tool", offsetof(rrt_prov_store, tool)},
                 {"config_hash", offsetof(rrt_prov_store, config_hash)},
                 {"seed", offsetof(rrt_prov_store, seed)},
                 {"model_id", offsetof(rrt_prov_store, model_id)}};
#define N_PROV_KEYS (sizeof prov_keys / sizeof prov_keys[0])

int rrt_prov_parse_comment(rrt_prov_store *s, const char *line) {
  const char *p = rrt_skip_space(line);
  if (*p != '#') return 0;
  p = rrt_skip_space(p + 1);
  const struct prov_key *keys = prov_keys;
  for (size_t i = 0; i < N_PROV_KEYS; ++i) {
    size_t k = strlen(keys[i].key);
    if (!strncmp(p, keys[i].key, k) && p[k] == ':') {
      copy_trimmed((char *)s + keys[i].off, rrt_skip_space(p + k + 1));
      return 1;
    }
  }
  if (!strncmp(p, "clock_ps:", 9)) {
    const char *q = rrt_skip_space(p + 9);
    uint64_t v;
    if (rrt_parse_u64_dec(&q, &v) && !*rrt_skip_space(q)) s->view.clock_ps = v;
    return 1;
  }
  /* DRAMSys's clkMhz, as rramsim writes it next to clock_ps: the clock of a trace that has no
     clock_ps line, when its period is a whole number of picoseconds. */
  if (!strncmp(p, "clkMhz:", 7)) {
    const char *q = rrt_skip_space(p + 7);
    uint64_t v;
    if (rrt_parse_u64_dec(&q, &v) && !*rrt_skip_space(q) && v && v <= 1000000 && 1000000 % v == 0 &&
        !s->view.clock_ps)
      s->view.clock_ps = 1000000 / v;
    return 1;
  }
  return 0;
}

unsigned rrt_prov_compare(const rrt_provenance *file, const rrt_provenance *expected, unsigned mask,
                          char *msg, size_t msg_size) {
  unsigned bad = 0;
  if (msg && msg_size) msg[0] = '\0';
  if (!file || !expected) return 0;
  const char *names[4] = {"tool", "config_hash", "seed", "model_id"};
  const unsigned bits[4] = {RRT_PROV_TOOL, RRT_PROV_CONFIG_HASH, RRT_PROV_SEED, RRT_PROV_MODEL_ID};
  const char *fv[4] = {file->tool, file->config_hash, file->seed, file->model_id};
  const char *ev[4] = {expected->tool, expected->config_hash, expected->seed, expected->model_id};
  for (int i = 0; i < 4; ++i) {
    if (!(mask & bits[i]) || !ev[i] || !*ev[i]) continue;
    const char *f = fv[i] ? fv[i] : "";
    if (strcmp(f, ev[i]) != 0) {
      if (!bad && msg && msg_size)
        snprintf(msg, msg_size, "%s: file says '%s', expected '%s'", names[i], f, ev[i]);
      bad |= bits[i];
    }
  }
  if ((mask & RRT_PROV_CLOCK) && expected->clock_ps && file->clock_ps != expected->clock_ps) {
    if (!bad && msg && msg_size)
      snprintf(msg, msg_size, "clock_ps: file says %llu, expected %llu",
               (unsigned long long)file->clock_ps, (unsigned long long)expected->clock_ps);
    bad |= RRT_PROV_CLOCK;
  }
  return bad;
}

/* ---- the sidecar of a CSV file: <file>.meta.json ----
 * CSV files keep a single header row so that spreadsheet and data-frame tools read them with their
 * defaults (pandas.read_csv(path)); what wrote them lives next to them in a small JSON object.
 * libtrace may not depend on a JSON library: the writer escapes by hand, and the reader accepts
 * a JSON object whose provenance members are strings (other members, of any type, are skipped). */

typedef struct sb {
  char *b;
  size_t n, cap;
  int oom;
} sb;

static void sb_put(sb *s, const char *p, size_t k) {
  if (s->oom) return;
  if (s->n + k + 1 > s->cap) {
    size_t cap = s->cap ? s->cap : 1024;
    while (cap < s->n + k + 1) cap *= 2;
    char *nb = (char *)bnn_realloc(s->b, cap);
    if (!nb) {
      s->oom = 1;
      return;
    }
    s->b = nb;
    s->cap = cap;
  }
  memcpy(s->b + s->n, p, k);
  s->n += k;
  s->b[s->n] = '\0';
}
static void sb_str(sb *s, const char *p) {
  sb_put(s, p, strlen(p));
}
/* A JSON string literal: quotes, backslashes and control characters escaped. */
static void sb_json(sb *s, const char *v) {
  sb_put(s, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)(v ? v : ""); *p; ++p) {
    char e[8];
    if (*p == '"' || *p == '\\') {
      e[0] = '\\', e[1] = (char)*p;
      sb_put(s, e, 2);
    } else if (*p < 0x20) {
      snprintf(e, sizeof e, "\\u%04x", *p);
      sb_put(s, e, 6);
    } else {
      sb_put(s, (const char *)p, 1);
    }
  }
  sb_put(s, "\"", 1);
}
static void sb_member(sb *s, const char *key, const char *val) {
  sb_str(s, ",\n \"");
  sb_str(s, key);
  sb_str(s, "\": ");
  sb_json(s, val);
}

bnn_status rrt_sidecar_path(const char *csv_path, char **out) {
  size_t n = strlen(csv_path), k = strlen(RRT_SIDECAR_SUFFIX);
  *out = (char *)bnn_malloc(n + k + 1);
  if (!*out) return bnn_fail(BNN_E_NOMEM, "%s: out of memory", csv_path);
  memcpy(*out, csv_path, n);
  memcpy(*out + n, RRT_SIDECAR_SUFFIX, k + 1);
  return BNN_OK;
}

bnn_status rrt_sidecar_write(const char *csv_path, const char *title, const char *format,
                             const char *cols, uint64_t records, const rrt_provenance *p,
                             unsigned mask) {
  rrt_provenance none = {NULL, NULL, NULL, NULL, 0};
  if (!p) p = &none;
  const char *base = strrchr(csv_path, '/');
  base = base ? base + 1 : csv_path;
  sb s = {NULL, 0, 0, 0};
  sb_str(&s, "{\n \"format\": \"rramsim csv sidecar 1\"");
  sb_member(&s, "describes", base);
  sb_member(&s, "content", title);
  sb_member(&s, "content_format", format);
  sb_str(&s, ",\n \"columns\": [");
  for (const char *c = cols; *c;) {
    size_t k = strcspn(c, ",\n");
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(k < 63 ? k : 63), c);
    if (c != cols) sb_str(&s, ", ");
    sb_json(&s, name);
    c += k;
    if (*c == ',') ++c;
    if (*c == '\n') break;
  }
  char num[32];
  *rrt_fmt_u64_dec(num, records) = '\0';
  sb_str(&s, "],\n \"records\": ");
  sb_str(&s, num);
  if (mask & RRT_PROV_TOOL) sb_member(&s, "tool", p->tool);
  if (mask & RRT_PROV_CONFIG_HASH) sb_member(&s, "config_hash", p->config_hash);
  if (mask & RRT_PROV_SEED) sb_member(&s, "seed", p->seed);
  if (mask & RRT_PROV_MODEL_ID) sb_member(&s, "model_id", p->model_id);
  sb_str(&s, "\n}\n");
  char *side = NULL;
  bnn_status st = s.oom ? bnn_fail(BNN_E_NOMEM, "%s: out of memory", csv_path)
                        : rrt_sidecar_path(csv_path, &side);
  if (!st) st = bnn_write_file_atomic(side, s.b, s.n);
  bnn_free(side);
  bnn_free(s.b);
  return st;
}

/* ---- reading: a small JSON reader for one flat object ---- */
typedef struct jr {
  const char *p, *end;
  const char *why;
} jr;

static void jr_ws(jr *j) {
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) ++j->p;
}
static int jr_fail(jr *j, const char *why) {
  if (!j->why) j->why = why;
  return 0;
}
static int jr_hex4(jr *j, unsigned *v) {
  if (j->end - j->p < 4) return jr_fail(j, "truncated \\u escape");
  *v = 0;
  for (int i = 0; i < 4; ++i) {
    char c = *j->p++;
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0) return jr_fail(j, "bad \\u escape");
    *v = *v * 16 + (unsigned)d;
  }
  return 1;
}
/* A string literal at j->p; its decoded bytes go to dst (at most cap - 1, NUL-terminated; longer
 * values are truncated as header values are), or nowhere when dst is NULL. */
static int jr_string(jr *j, char *dst, size_t cap) {
  size_t n = 0;
  if (j->p >= j->end || *j->p != '"') return jr_fail(j, "expected a string");
  ++j->p;
  for (;;) {
    if (j->p >= j->end) return jr_fail(j, "unterminated string");
    unsigned char c = (unsigned char)*j->p++;
    unsigned u = c;
    char buf[4];
    size_t k = 1;
    if (c == '"') break;
    if (c < 0x20) return jr_fail(j, "control character in a string");
    if (c == '\\') {
      if (j->p >= j->end) return jr_fail(j, "unterminated string");
      char e = *j->p++;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          u = (unsigned char)e;
          break;
        case 'b':
          u = '\b';
          break;
        case 'f':
          u = '\f';
          break;
        case 'n':
          u = '\n';
          break;
        case 'r':
          u = '\r';
          break;
        case 't':
          u = '\t';
          break;
        case 'u':
          if (!jr_hex4(j, &u)) return 0;
          if (u >= 0xD800 && u <= 0xDBFF) {
            unsigned lo;
            if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u')
              return jr_fail(j, "lone surrogate in \\u escape");
            j->p += 2;
            if (!jr_hex4(j, &lo)) return 0;
            if (lo < 0xDC00 || lo > 0xDFFF) return jr_fail(j, "lone surrogate in \\u escape");
            u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
          } else if (u >= 0xDC00 && u <= 0xDFFF) {
            return jr_fail(j, "lone surrogate in \\u escape");
          }
          break;
        default:
          return jr_fail(j, "bad escape in a string");
      }
      if (u < 0x80) {
        buf[0] = (char)u;
      } else if (u < 0x800) {
        buf[0] = (char)(0xC0 | (u >> 6)), buf[1] = (char)(0x80 | (u & 0x3F)), k = 2;
      } else if (u < 0x10000) {
        buf[0] = (char)(0xE0 | (u >> 12)), buf[1] = (char)(0x80 | ((u >> 6) & 0x3F));
        buf[2] = (char)(0x80 | (u & 0x3F)), k = 3;
      } else {
        buf[0] = (char)(0xF0 | (u >> 18)), buf[1] = (char)(0x80 | ((u >> 12) & 0x3F));
        buf[2] = (char)(0x80 | ((u >> 6) & 0x3F)), buf[3] = (char)(0x80 | (u & 0x3F)), k = 4;
      }
    } else {
      buf[0] = (char)c;
    }
    if (dst && n + k < cap) {
      memcpy(dst + n, buf, k);
      n += k;
    }
  }
  if (dst) dst[n] = '\0';
  return 1;
}
/* Any value, skipped; nesting is bounded so a hostile file cannot exhaust the stack. */
static int jr_skip(jr *j, int depth) {
  jr_ws(j);
  if (j->p >= j->end) return jr_fail(j, "expected a value");
  if (depth > 32) return jr_fail(j, "nested too deeply");
  char c = *j->p;
  if (c == '"') return jr_string(j, NULL, 0);
  if (c == '{' || c == '[') {
    const char close = c == '{' ? '}' : ']';
    ++j->p;
    jr_ws(j);
    if (j->p < j->end && *j->p == close) return ++j->p, 1;
    for (;;) {
      if (c == '{') {
        jr_ws(j);
        if (!jr_string(j, NULL, 0)) return 0;
        jr_ws(j);
        if (j->p >= j->end || *j->p != ':') return jr_fail(j, "expected ':'");
        ++j->p;
      }
      if (!jr_skip(j, depth + 1)) return 0;
      jr_ws(j);
      if (j->p < j->end && *j->p == ',') {
        ++j->p;
        continue;
      }
      if (j->p < j->end && *j->p == close) return ++j->p, 1;
      return jr_fail(j, c == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
    }
  }
  /* number, true, false, null */
  const char *b = j->p;
  while (j->p < j->end &&
         (isalnum((unsigned char)*j->p) || *j->p == '-' || *j->p == '+' || *j->p == '.'))
    ++j->p;
  return j->p > b ? 1 : jr_fail(j, "expected a value");
}

bnn_status rrt_sidecar_read(rrt_prov_store *s, const char *csv_path) {
  char *side = NULL;
  bnn_status st = rrt_sidecar_path(csv_path, &side);
  if (st) return st;
  struct stat sst;
  if (stat(side, &sst) != 0 && errno == ENOENT) {
    bnn_free(side); /* no sidecar: the CSV's own header lines (if any) are all there is */
    return BNN_OK;
  }
  FILE *f = NULL;
  uint64_t size = 0;
  st = bnn_input_fopen(side, RRT_SIDECAR_MAX, &f, &size);
  if (st) {
    bnn_free(side);
    return st;
  }
  char *text = (char *)bnn_malloc((size_t)size + 1);
  if (!text) {
    fclose(f);
    st = bnn_fail(BNN_E_NOMEM, "%s: out of memory", side);
    bnn_free(side);
    return st;
  }
  const size_t got = fread(text, 1, (size_t)size, f);
  const int rerr = ferror(f);
  fclose(f);
  if (rerr || got != size) {
    st = bnn_fail(BNN_E_IO, "%s: read failed", side);
  } else {
    rrt_prov_store side_prov;
    rrt_prov_store_init(&side_prov);
    jr j = {text, text + got, NULL};
    const struct prov_key *keys = prov_keys;
    jr_ws(&j);
    int ok = j.p < j.end && *j.p == '{' ? (++j.p, 1) : jr_fail(&j, "expected a JSON object");
    jr_ws(&j);
    if (ok && j.p < j.end && *j.p == '}') {
      ++j.p;
    } else {
      while (ok) {
        char key[64];
        jr_ws(&j);
        ok = jr_string(&j, key, sizeof key);
        jr_ws(&j);
        if (ok) ok = j.p < j.end && *j.p == ':' ? (++j.p, 1) : jr_fail(&j, "expected ':'");
        jr_ws(&j);
        size_t k = 0;
        while (k < N_PROV_KEYS && strcmp(key, keys[k].key)) ++k;
        if (ok && k < N_PROV_KEYS) {
          char *dst = (char *)&side_prov + keys[k].off;
          ok = jr_string(&j, dst, RRT_PROV_MAX + 1);
          if (ok && strpbrk(dst, "\r\n")) ok = jr_fail(&j, "a provenance value holds a newline");
        } else if (ok) {
          ok = jr_skip(&j, 0);
        }
        jr_ws(&j);
        if (!ok) break;
        if (j.p < j.end && *j.p == ',') {
          ++j.p;
          continue;
        }
        if (j.p < j.end && *j.p == '}') {
          ++j.p;
          break;
        }
        ok = jr_fail(&j, "expected ',' or '}'");
      }
    }
    jr_ws(&j);
    if (ok && j.p != j.end) ok = jr_fail(&j, "text after the JSON object");
    if (!ok) {
      st = bnn_fail(BNN_E_FORMAT, "%s: malformed sidecar of %s: %s at byte %llu", side, csv_path,
                    j.why, (unsigned long long)(j.p - text));
    } else {
      /* The CSV's own header lines (files written before the sidecar) take precedence. */
      for (size_t k = 0; k < N_PROV_KEYS; ++k) {
        char *have = (char *)s + keys[k].off;
        if (!*have) memcpy(have, (char *)&side_prov + keys[k].off, RRT_PROV_MAX + 1);
      }
      s->sidecar = 1;
    }
  }
  bnn_free(text);
  bnn_free(side);
  return st;
}
