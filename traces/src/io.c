/* io.c — libtrace I/O: buffered gzip-or-plain input with line splitting and truncation checks,
 * temp-file + rename output, provenance header lines, and fast number parsing/formatting. */
#include "io_impl.h"
#include "bnn/durable.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* ================================ input ================================ */

static bnn_status in_gz_error(rrt_in *in) {
  int errnum = Z_OK;
  const char *msg = gzerror(in->gz, &errnum);
  if (errnum == Z_OK) return BNN_OK;
  if (errnum == Z_ERRNO)
    return bnn_fail(BNN_E_IO, "%s: read failed: %s", in->path, strerror(errno));
  /* zlib reports a gzip stream that stops early as Z_BUF_ERROR "unexpected end of file" while
   * still handing back the bytes it had: that must not pass for a shorter, valid trace. */
  if (errnum == Z_BUF_ERROR)
    return bnn_fail(BNN_E_FORMAT,
                    "%s: truncated gzip stream (unexpected end of file after line %llu)", in->path,
                    (unsigned long long)in->line_no);
  return bnn_fail(BNN_E_FORMAT, "%s: corrupt gzip stream after line %llu: %s", in->path,
                  (unsigned long long)in->line_no, msg ? msg : "");
}

static size_t clamp_size(uint64_t v, size_t lo, size_t hi) {
  return v < lo ? lo : v > hi ? hi : (size_t)v;
}

bnn_status rrt_in_open(rrt_in *in, const char *path) {
  memset(in, 0, sizeof *in);
  in->crc_mark = SIZE_MAX;
  if (!path || !*path) return bnn_fail(BNN_E_ARG, "trace reader: empty file name");
  in->path = rrt_strdup(path);
  if (!in->path) return bnn_fail(BNN_E_NOMEM, "%s: out of memory opening the reader", path);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    bnn_status s = bnn_fail(BNN_E_IO, "%s: cannot open: %s", path, strerror(errno));
    rrt_in_close(in);
    return s;
  }
  /* A regular file is classified by its first two bytes (the gzip magic 1f 8b) without moving the
   * read position. Anything else (a pipe, a terminal) cannot be peeked at: zlib then reads it and
   * tells gzip from plain data itself, as it does for any gzopen'ed stream. */
  struct stat st;
  int regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  uint64_t size = regular && st.st_size > 0 ? (uint64_t)st.st_size : 0;
  int gzip = 1;
  if (regular) {
    unsigned char magic[2];
    gzip = pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
  }
  int gz_name = rrt_ends_with(path, ".gz");
  bnn_status s = BNN_OK;
  if (regular && gz_name && !gzip) {
    close(fd);
    s = bnn_fail(BNN_E_FORMAT, "%s: name ends in .gz but the file is not gzip data", path);
  } else if (gzip) {
    in->gz = gzdopen(fd, "rb");
    if (!in->gz) {
      close(fd);
      s = bnn_fail(BNN_E_NOMEM, "%s: out of memory opening the reader", path);
    } else {
      /* zlib allocates this much input (and twice as much output) on the first read: no more
       * than the compressed file needs. */
      gzbuffer(in->gz, (unsigned)clamp_size(size ? size : RRT_GZ_BUF, 1024u, RRT_GZ_BUF));
      if (!regular && gz_name && gzdirect(in->gz))
        s = bnn_fail(BNN_E_FORMAT, "%s: name ends in .gz but the file is not gzip data", path);
    }
  } else {
    in->fd = fd;
    in->plain = 1;
  }
  if (!s) {
    /* A plain file's whole content fits a buffer of its size (+1: the end-of-file read then
     * returns 0 at once); inflated or streamed data starts small and grows in rrt_in_fill. */
    in->cap = in->plain ? clamp_size(size + 1, 256u, RRT_IN_BUF) : RRT_IN_MIN;
    in->buf = (unsigned char *)bnn_malloc(in->cap + 1);
    if (!in->buf) s = bnn_fail(BNN_E_NOMEM, "%s: out of memory opening the reader", path);
  }
  if (s) rrt_in_close(in);
  return s;
}

void rrt_in_close(rrt_in *in) {
  if (in->gz) gzclose_r(in->gz);
  if (in->plain) close(in->fd);
  bnn_free(in->path);
  bnn_free(in->buf);
  bnn_free(in->line);
  memset(in, 0, sizeof *in);
}

uint64_t rrt_in_offset(const rrt_in *in) {
  if (in->plain) return in->offset;
  z_off_t o = in->gz ? gzoffset(in->gz) : 0;
  return o > 0 ? (uint64_t)o : 0;
}

void rrt_in_crc_start(rrt_in *in) {
  in->crc = (uint32_t)crc32(0L, Z_NULL, 0);
  in->crc_mark = in->pos;
}

uint32_t rrt_in_crc_get(rrt_in *in) {
  if (in->crc_mark != SIZE_MAX && in->pos > in->crc_mark) {
    in->crc = (uint32_t)crc32(in->crc, in->buf + in->crc_mark, (uInt)(in->pos - in->crc_mark));
    in->crc_mark = in->pos;
  }
  return in->crc;
}

/* Up to n bytes into dst; *got = 0 at the end of the input. */
static bnn_status in_read_some(rrt_in *in, unsigned char *dst, size_t n, size_t *got) {
  if (in->plain) {
    ssize_t k;
    do k = read(in->fd, dst, n);
    while (k < 0 && errno == EINTR);
    if (k < 0) return bnn_fail(BNN_E_IO, "%s: read failed: %s", in->path, strerror(errno));
    in->offset += (uint64_t)k;
    *got = (size_t)k;
    return BNN_OK;
  }
  int k = gzread(in->gz, dst, (unsigned)n);
  if (k < 0) {
    bnn_status s = in_gz_error(in);
    return s ? s : bnn_fail(BNN_E_IO, "%s: read failed", in->path);
  }
  bnn_status s = in_gz_error(in);
  if (s) return s;
  *got = (size_t)k;
  return BNN_OK;
}

bnn_status rrt_in_fill(rrt_in *in, size_t *avail) {
  if (in->crc_mark != SIZE_MAX) rrt_in_crc_get(in);
  size_t keep = in->end - in->pos;
  if (in->pos > 0) {
    memmove(in->buf, in->buf + in->pos, keep);
    in->pos = 0;
    in->end = keep;
    if (in->crc_mark != SIZE_MAX) in->crc_mark = 0;
  }
  if (in->grow && in->cap < RRT_IN_BUF && !in->eof) {
    /* The input filled the whole buffer last time: it is a stream, not a small file. A failed
     * grow is harmless (the smaller buffer still works). */
    size_t cap = in->cap * 2 < RRT_IN_BUF ? in->cap * 2 : RRT_IN_BUF;
    unsigned char *nb = (unsigned char *)bnn_realloc(in->buf, cap + 1);
    if (nb) {
      in->buf = nb;
      in->cap = cap;
    }
  }
  in->grow = 0;
  while (!in->eof && in->end < in->cap) {
    size_t n = 0;
    bnn_status s = in_read_some(in, in->buf + in->end, in->cap - in->end, &n);
    if (s) return s;
    if (n == 0) {
      in->eof = 1;
      break;
    }
    in->end += n;
    if (in->end - in->pos >= 4096) break; /* enough to work on; avoid blocking on slow pipes */
  }
  in->grow = in->end == in->cap;
  *avail = in->end - in->pos;
  return BNN_OK;
}

static bnn_status spill_append(rrt_in *in, size_t *len, const unsigned char *p, size_t n) {
  if (*len + n + 1 > RRT_MAX_LINE)
    return bnn_fail(BNN_E_FORMAT, "%s:%llu: line longer than %u bytes", in->path,
                    (unsigned long long)(in->line_no + 1), RRT_MAX_LINE);
  if (*len + n + 1 > in->line_cap) {
    size_t cap = in->line_cap ? in->line_cap : 256;
    while (cap < *len + n + 1) cap *= 2;
    if (cap > RRT_MAX_LINE) cap = RRT_MAX_LINE;
    char *nl = (char *)bnn_realloc(in->line, cap);
    if (!nl) return bnn_fail(BNN_E_NOMEM, "%s: out of memory for a line buffer", in->path);
    in->line = nl;
    in->line_cap = cap;
  }
  memcpy(in->line + *len, p, n);
  *len += n;
  in->line[*len] = '\0';
  return BNN_OK;
}

static void finish_line(char *line, size_t *len) {
  if (*len && line[*len - 1] == '\r') line[--*len] = '\0';
}

bnn_status rrt_in_getline(rrt_in *in, char **line, size_t *len, int *got) {
  size_t spill = 0;
  *got = 0;
  for (;;) {
    unsigned char *start = in->buf + in->pos;
    size_t avail = in->end - in->pos;
    unsigned char *nl = avail ? (unsigned char *)memchr(start, '\n', avail) : NULL;
    if (nl) {
      size_t n = (size_t)(nl - start);
      in->pos += n + 1;
      if (spill == 0) {
        /* Zero-copy: the line lives in the input buffer until the next refill. */
        if (n + 1 > RRT_MAX_LINE)
          return bnn_fail(BNN_E_FORMAT, "%s:%llu: line longer than %u bytes", in->path,
                          (unsigned long long)(in->line_no + 1), RRT_MAX_LINE);
        *nl = '\0';
        *line = (char *)start;
        *len = n;
      } else {
        bnn_status s = spill_append(in, &spill, start, n);
        if (s) return s;
        *line = in->line;
        *len = spill;
      }
      ++in->line_no;
      finish_line(*line, len);
      *got = 1;
      return BNN_OK;
    }
    if (avail) {
      bnn_status s = spill_append(in, &spill, start, avail);
      if (s) return s;
      in->pos = in->end;
    }
    if (in->eof) {
      if (spill == 0) return BNN_OK;
      ++in->line_no; /* last line without a newline */
      *line = in->line;
      *len = spill;
      finish_line(*line, len);
      *got = 1;
      return BNN_OK;
    }
    size_t a;
    bnn_status s = rrt_in_fill(in, &a);
    if (s) return s;
  }
}

bnn_status rrt_in_read(rrt_in *in, void *dst, size_t n, const char *what) {
  unsigned char *d = (unsigned char *)dst;
  while (n) {
    size_t avail = in->end - in->pos;
    if (!avail) {
      bnn_status s = rrt_in_fill(in, &avail);
      if (s) return s;
      if (!avail)
        return bnn_fail(BNN_E_FORMAT, "%s: truncated file (ends inside %s)", in->path, what);
    }
    size_t k = avail < n ? avail : n;
    memcpy(d, in->buf + in->pos, k);
    in->pos += k;
    d += k;
    n -= k;
  }
  return BNN_OK;
}

bnn_status rrt_in_byte(rrt_in *in, unsigned char *b, int *got) {
  *got = 0;
  if (in->pos == in->end) {
    size_t avail;
    bnn_status s = rrt_in_fill(in, &avail);
    if (s) return s;
    if (!avail) return BNN_OK;
  }
  *b = in->buf[in->pos++];
  *got = 1;
  return BNN_OK;
}

/* ================================ output ================================ */

static bnn_status out_gz_error(rrt_out *o, const char *op) {
  int errnum = Z_OK;
  const char *msg = gzerror(o->gz, &errnum);
  o->failed = 1;
  if (errnum == Z_ERRNO)
    return bnn_fail(BNN_E_IO, "%s: %s failed: %s", o->path, op, strerror(errno));
  return bnn_fail(BNN_E_IO, "%s: %s failed: %s", o->path, op, msg ? msg : "zlib error");
}

bnn_status rrt_out_open(rrt_out *o, const char *path, int gzip_level) {
  memset(o, 0, sizeof *o);
  if (!path || !*path) return bnn_fail(BNN_E_ARG, "trace writer: empty file name");
  if (gzip_level < 0 || gzip_level > 9)
    return bnn_fail(BNN_E_ARG, "%s: gzip level %d outside [1, 9]", path, gzip_level);
  if (gzip_level == 0) gzip_level = 1;
  size_t n = strlen(path);
  o->path = rrt_strdup(path);
  o->tmp_path = (char *)bnn_malloc(n + 16);
  o->buf = (unsigned char *)bnn_malloc(RRT_OUT_BUF);
  if (!o->path || !o->tmp_path || !o->buf) {
    rrt_out_abort(o);
    return bnn_fail(BNN_E_NOMEM, "%s: out of memory opening the writer", path);
  }
  /* The temporary sits next to the target so that rename() stays within one file system. */
  memcpy(o->tmp_path, path, n);
  memcpy(o->tmp_path + n, ".tmp.XXXXXX", 12);
  int fd = mkstemp(o->tmp_path);
  if (fd < 0) {
    bnn_status s = bnn_fail(BNN_E_IO, "%s: cannot create a temporary file next to it: %s", path,
                            strerror(errno));
    o->tmp_path[0] = '\0';
    rrt_out_abort(o);
    return s;
  }
  /* mkstemp creates 0600; a finished trace is an ordinary shared result file. */
  (void)fchmod(fd, 0644);
  char mode[8];
  if (rrt_ends_with(path, ".gz"))
    snprintf(mode, sizeof mode, "wb%d", gzip_level);
  else
    snprintf(mode, sizeof mode, "wbT"); /* T: plain file through the same gz* calls */
  o->gz = gzdopen(fd, mode);
  if (!o->gz) {
    close(fd);
    rrt_out_abort(o);
    return bnn_fail(BNN_E_NOMEM, "%s: cannot set up the output stream", path);
  }
  gzbuffer(o->gz, 128u * 1024u);
  return BNN_OK;
}

bnn_status rrt_out_flush(rrt_out *o) {
  if (o->failed) return bnn_fail(BNN_E_IO, "%s: writer is in an error state", o->path);
  if (o->len) {
    if (gzwrite(o->gz, o->buf, (unsigned)o->len) != (int)o->len) return out_gz_error(o, "write");
    o->len = 0;
  }
  return BNN_OK;
}

bnn_status rrt_out_reserve(rrt_out *o, size_t n) {
  if (o->len + n <= RRT_OUT_BUF) return BNN_OK;
  return rrt_out_flush(o);
}

bnn_status rrt_out_write(rrt_out *o, const void *p, size_t n) {
  if (o->len + n > RRT_OUT_BUF) {
    bnn_status s = rrt_out_flush(o);
    if (s) return s;
    if (n >= RRT_OUT_BUF) {
      if (gzwrite(o->gz, p, (unsigned)n) != (int)n) return out_gz_error(o, "write");
      return BNN_OK;
    }
  }
  memcpy(o->buf + o->len, p, n);
  o->len += n;
  return BNN_OK;
}

bnn_status rrt_out_commit(rrt_out *o) {
  bnn_status s = rrt_out_flush(o);
  if (!s) {
    int rc = gzclose_w(o->gz);
    o->gz = NULL;
    if (rc != Z_OK)
      s = bnn_fail(BNN_E_IO, "%s: closing failed (%s)", o->path,
                   rc == Z_ERRNO ? strerror(errno) : "zlib error");
  }
  if (!s) s = bnn_rename_durable(o->tmp_path, o->path);
  if (!s) o->tmp_path[0] = '\0'; /* nothing left to remove */
  rrt_out_abort(o);
  return s;
}

void rrt_out_abort(rrt_out *o) {
  if (o->gz) gzclose_w(o->gz);
  if (o->tmp_path && o->tmp_path[0]) remove(o->tmp_path);
  bnn_free(o->path);
  bnn_free(o->tmp_path);
  bnn_free(o->buf);
  memset(o, 0, sizeof *o);
}

/* ================================ provenance ================================ */

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

int rrt_prov_parse_comment(rrt_prov_store *s, const char *line) {
  const char *p = rrt_skip_space(line);
  if (*p != '#') return 0;
  p = rrt_skip_space(p + 1);
  static const struct {
    const char *key;
    size_t off;
  } keys[] = {{"tool", offsetof(rrt_prov_store, tool)},
              {"config_hash", offsetof(rrt_prov_store, config_hash)},
              {"seed", offsetof(rrt_prov_store, seed)},
              {"model_id", offsetof(rrt_prov_store, model_id)}};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; ++i) {
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

/* ================================ numbers ================================ */

int rrt_parse_u64_dec(const char **pp, uint64_t *v) {
  const char *p = *pp;
  uint64_t x = 0;
  if (*p < '0' || *p > '9') return 0;
  while (*p >= '0' && *p <= '9') {
    unsigned d = (unsigned)(*p - '0');
    if (x > (UINT64_MAX - d) / 10) return 0; /* overflow */
    x = x * 10 + d;
    ++p;
  }
  *v = x;
  *pp = p;
  return 1;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int rrt_parse_u64_hex(const char **pp, uint64_t *v) {
  const char *p = *pp;
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) p += 2;
  uint64_t x = 0;
  int n = 0, d;
  while ((d = hexval(*p)) >= 0) {
    if (x >> 60) return 0; /* more than 64 bits */
    x = (x << 4) | (uint64_t)d;
    ++p;
    ++n;
  }
  if (!n) return 0;
  *v = x;
  *pp = p;
  return 1;
}

int rrt_parse_i64_dec(const char **pp, int64_t *v) {
  const char *p = *pp;
  int neg = 0;
  if (*p == '-') {
    neg = 1;
    ++p;
  }
  uint64_t u;
  if (!rrt_parse_u64_dec(&p, &u)) return 0;
  if (neg ? u > (uint64_t)INT64_MAX + 1 : u > (uint64_t)INT64_MAX) return 0;
  *v = neg ? (int64_t)(0 - u) : (int64_t)u;
  *pp = p;
  return 1;
}

char *rrt_fmt_u64_dec(char *dst, uint64_t v) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) *dst++ = tmp[--n];
  return dst;
}

char *rrt_fmt_u64_hex(char *dst, uint64_t v) {
  static const char digits[] = "0123456789abcdef";
  char tmp[16];
  int n = 0;
  do {
    tmp[n++] = digits[v & 15];
    v >>= 4;
  } while (v);
  while (n) *dst++ = tmp[--n];
  return dst;
}

char *rrt_fmt_i64_dec(char *dst, int64_t v) {
  if (v < 0) {
    *dst++ = '-';
    return rrt_fmt_u64_dec(dst, (uint64_t)0 - (uint64_t)v);
  }
  return rrt_fmt_u64_dec(dst, (uint64_t)v);
}

/* ================================ CSV helpers ================================ */

bnn_status rrt_text_header(rrt_in *in, rrt_prov_store *prov, char **line, size_t *len, int *got) {
  for (;;) {
    bnn_status s = rrt_in_getline(in, line, len, got);
    if (s || !*got) return s;
    /* Spreadsheets often save CSV (error maps) with a UTF-8 byte-order mark: drop it. */
    if (in->line_no == 1 && *len >= 3 && !memcmp(*line, "\xEF\xBB\xBF", 3)) {
      *line += 3;
      *len -= 3;
    }
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
