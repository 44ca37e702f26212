/* access.c — access traces: DRAMSys STL/RSTL text and the compact binary .rrt, streamed one record
 * at a time in constant memory (formats in traces/README.md). */
#include <stdio.h>
#include <string.h>

#include "io_impl.h"
#include "bnn/names.h"

BNN_NAME_TABLE(format_names, RRT_FORMAT_COUNT,
               {[RRT_FORMAT_AUTO] = "auto",
                [RRT_FORMAT_STL] = "stl",
                [RRT_FORMAT_RSTL] = "rstl",
                [RRT_FORMAT_BIN] = "bin"});
BNN_NAME_TABLE(cmd_names, RRT_CMD_COUNT, {[RRT_CMD_READ] = "read", [RRT_CMD_WRITE] = "write"});
BNN_NAME_TABLE(timing_names, RRT_TIMING_COUNT,
               {[RRT_TIMING_ABSOLUTE] = "absolute", [RRT_TIMING_RELATIVE] = "relative"});

const char *rrt_timing_str(rrt_timing t) {
  return BNN_NAME_OF(timing_names, t, "unknown");
}

const char *rrt_format_str(rrt_format f) {
  return BNN_NAME_OF(format_names, f, "unknown");
}

const char *rrt_cmd_str(rrt_cmd c) {
  return BNN_NAME_OF(cmd_names, c, "unknown");
}

rrt_format rrt_format_from_name(const char *path) {
  if (!path) return RRT_FORMAT_AUTO;
  size_t n = strlen(path);
  if (n >= 3 && !strcmp(path + n - 3, ".gz")) n -= 3;
  if (n >= 5 && !strncmp(path + n - 5, ".rstl", 5)) return RRT_FORMAT_RSTL;
  if (n >= 4 && !strncmp(path + n - 4, ".stl", 4)) return RRT_FORMAT_STL;
  if (n >= 4 && !strncmp(path + n - 4, ".rrt", 4)) return RRT_FORMAT_BIN;
  return RRT_FORMAT_AUTO;
}

/* The format a reader or writer of path uses: the one asked for, or for RRT_FORMAT_AUTO the one
 * the file name says. */
static bnn_status resolve_format(const char *path, rrt_format asked, rrt_format *fmt) {
  *fmt = asked == RRT_FORMAT_AUTO ? rrt_format_from_name(path) : asked;
  if ((unsigned)*fmt >= RRT_FORMAT_COUNT || *fmt == RRT_FORMAT_AUTO)
    return bnn_fail(BNN_E_ARG,
                    "%s: cannot tell the trace format from the name (expected .stl, .rstl or .rrt, "
                    "optionally + .gz)",
                    path);
  return BNN_OK;
}

/* ---- binary layout constants (README: "Binary access trace (.rrt)") ---- */
static const unsigned char BIN_MAGIC[8] = {0x89, 'R', 'R', 'T', '\r', '\n', 0x1a, '\n'};
static const unsigned char BIN_END[8] = {'R', 'R', 'T', '-', 'E', 'N', 'D', '\n'};
#define BIN_VERSION         1u
#define BIN_FLAG_RELATIVE   0x0001u /* header flags bit 0: RRT_TIMING_RELATIVE */
#define BIN_TAG_WRITE       0x01u
#define BIN_TAG_DATA        0x02u
#define BIN_TAG_LEN         0x04u
#define BIN_TAG_TRAILER     0xFFu
/* tag + three varints of at most 10 bytes */
#define BIN_MAX_RECORD_HEAD 31u

/* The fuzz build (cmake/RramsimFuzz.cmake) defines FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, the
 * libFuzzer convention: CRC mismatches are then ignored so mutated inputs reach the validation that
 * sits behind the checksums. Never defined in a normal build. */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define BIN_CRC_CHECKED 0
#else
#define BIN_CRC_CHECKED 1
#endif

static void put_le(unsigned char *p, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) p[i] = (unsigned char)(v >> (8 * i));
}
static uint64_t get_le(const unsigned char *p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= (uint64_t)p[i] << (8 * i);
  return v;
}
static unsigned char *put_varint(unsigned char *p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = (unsigned char)(v | 0x80);
    v >>= 7;
  }
  *p++ = (unsigned char)v;
  return p;
}
/* Deltas may be negative (absolute traces need not be sorted): zigzag keeps small ones short. */
static uint64_t zigzag(uint64_t d) {
  return (d << 1) ^ (uint64_t)(-(int64_t)(d >> 63));
}
static uint64_t unzigzag(uint64_t z) {
  return (z >> 1) ^ (uint64_t)(-(int64_t)(z & 1));
}

/* ====================================== reader ====================================== */

struct rrt_access_reader {
  rrt_in in;
  rrt_access_read_params p;
  rrt_format fmt;
  rrt_timing timing;
  rrt_prov_store prov;
  uint8_t *data;
  char where[600];
  uint64_t prev_cycle, prev_addr;
  uint32_t prev_len;
  uint64_t records, bad, first_bad;
  bnn_status err; /* sticky */
  int done;
  char *pending; /* text: first record line, read ahead while collecting the header */
  size_t pending_len;
};

rrt_access_read_params rrt_access_read_default_params(void) {
  rrt_access_read_params p;
  p.format = RRT_FORMAT_AUTO;
  p.default_length = 64;
  p.skip_bad = 0;
  return p;
}

static int is_blank_or_comment(const char *line) {
  const char *p = rrt_skip_space(line);
  return *p == '\0' || *p == '#';
}

static bnn_status bin_read_header(rrt_access_reader *r) {
  rrt_in *in = &r->in;
  unsigned char h[20];
  bnn_status s = rrt_in_read(in, h, sizeof h, "the header");
  if (s) return s;
  if (memcmp(h, BIN_MAGIC, 8) != 0)
    return bnn_fail(BNN_E_FORMAT, "%s: not an rramsim binary trace (bad magic)", in->path);
  uint32_t crc = (uint32_t)crc32(0L, h, sizeof h);
  unsigned version = (unsigned)get_le(h + 8, 2), flags = (unsigned)get_le(h + 10, 2);
  if (version != BIN_VERSION)
    return bnn_fail(BNN_E_VERSION, "%s: binary trace version %u, this build reads version %u",
                    in->path, version, BIN_VERSION);
  if (flags & ~BIN_FLAG_RELATIVE)
    return bnn_fail(BNN_E_FORMAT, "%s: header flags 0x%x: reserved bits set", in->path, flags);
  r->timing = (flags & BIN_FLAG_RELATIVE) ? RRT_TIMING_RELATIVE : RRT_TIMING_ABSOLUTE;
  r->prov.view.clock_ps = get_le(h + 12, 8);
  char *fields[4] = {r->prov.tool, r->prov.config_hash, r->prov.seed, r->prov.model_id};
  for (int i = 0; i < 4; ++i) {
    unsigned char lb[2];
    if ((s = rrt_in_read(in, lb, 2, "the header"))) return s;
    crc = (uint32_t)crc32(crc, lb, 2);
    unsigned n = (unsigned)get_le(lb, 2);
    if (n > RRT_PROV_MAX)
      return bnn_fail(BNN_E_FORMAT, "%s: header string %d has length %u > %d", in->path, i, n,
                      RRT_PROV_MAX);
    if ((s = rrt_in_read(in, fields[i], n, "the header"))) return s;
    crc = (uint32_t)crc32(crc, (const unsigned char *)fields[i], n);
    fields[i][n] = '\0';
  }
  unsigned char cb[4];
  if ((s = rrt_in_read(in, cb, 4, "the header"))) return s;
  if (BIN_CRC_CHECKED && (uint32_t)get_le(cb, 4) != crc)
    return bnn_fail(BNN_E_CRC, "%s: header CRC mismatch (corrupt header)", in->path);
  rrt_in_crc_start(in);
  return BNN_OK;
}

bnn_status rrt_access_reader_open(const char *path, const rrt_access_read_params *params,
                                  rrt_access_reader **out) {
  if (!out) return bnn_fail(BNN_E_ARG, "rrt_access_reader_open: out is NULL");
  *out = NULL;
  rrt_access_read_params p = params ? *params : rrt_access_read_default_params();
  if (!path) return bnn_fail(BNN_E_ARG, "rrt_access_reader_open: path is NULL");
  rrt_format fmt;
  bnn_status s = resolve_format(path, p.format, &fmt);
  if (s) return s;
  if (p.default_length < 1 || p.default_length > RRT_MAX_LENGTH)
    return bnn_fail(BNN_E_ARG, "%s: default length %u outside [1, %u]", path, p.default_length,
                    RRT_MAX_LENGTH);
  rrt_access_reader *r = (rrt_access_reader *)bnn_calloc(1, sizeof *r);
  if (!r) return bnn_fail(BNN_E_NOMEM, "%s: out of memory", path);
  r->p = p;
  r->fmt = fmt;
  r->timing = fmt == RRT_FORMAT_RSTL ? RRT_TIMING_RELATIVE : RRT_TIMING_ABSOLUTE;
  if (fmt == RRT_FORMAT_BIN) {
    rrt_prov_store_init(&r->prov);
    s = rrt_in_open(&r->in, path);
  } else {
    /* The first record line is read ahead while collecting the header. */
    int got;
    s = rrt_text_open(&r->in, &r->prov, path, &r->pending, &r->pending_len, &got);
    if (!got) r->pending = NULL;
  }
  if (s) {
    bnn_free(r);
    return s;
  }
  r->data = (uint8_t *)bnn_malloc(RRT_MAX_LENGTH);
  if (!r->data) s = bnn_fail(BNN_E_NOMEM, "%s: out of memory", path);
  if (!s && fmt == RRT_FORMAT_BIN) s = bin_read_header(r);
  if (s) {
    rrt_access_reader_close(r);
    return s;
  }
  *out = r;
  return BNN_OK;
}

/* Parses one STL record line; returns NULL on success or a short reason. */
static const char *parse_stl(rrt_access_reader *r, const char *line, size_t line_len,
                             rrt_access *rec) {
  const char *p = rrt_skip_space(line);
  uint64_t t;
  if (!rrt_parse_u64_dec(&p, &t)) return "expected a cycle number";
  if (*p == ':') ++p;
  if (!rrt_is_space(*p)) return "expected whitespace after the cycle";
  p = rrt_skip_space(p);
  int have_len = 0;
  uint64_t len = 0;
  if (*p == '(') {
    ++p;
    if (!rrt_parse_u64_dec(&p, &len) || *p != ')') return "expected '(length)'";
    ++p;
    if (len < 1 || len > RRT_MAX_LENGTH) return "length outside [1, 65536]";
    if (!rrt_is_space(*p)) return "expected whitespace after '(length)'";
    p = rrt_skip_space(p);
    have_len = 1;
  }
  if (!strncmp(p, "read", 4) && rrt_is_space(p[4])) {
    rec->cmd = RRT_CMD_READ;
    p += 4;
  } else if (!strncmp(p, "write", 5) && rrt_is_space(p[5])) {
    rec->cmd = RRT_CMD_WRITE;
    p += 5;
  } else {
    return "expected 'read' or 'write' followed by an address";
  }
  p = rrt_skip_space(p);
  if (!rrt_parse_u64_hex(&p, &rec->address)) return "expected a hex address";
  if (*p && !rrt_is_space(*p)) return "bad character in the address";
  p = rrt_skip_space(p);
  rec->has_data = 0;
  if (*p && *p != '#') {
    if (p[0] != '0' || (p[1] != 'x' && p[1] != 'X')) return "expected '0x' before the data";
    p += 2;
    size_t n = 0;
    for (;;) {
      char c0 = p[2 * n], c1;
      int hi, lo;
      if (c0 == '\0' || rrt_is_space(c0)) break;
      c1 = p[2 * n + 1];
      hi = (c0 >= '0' && c0 <= '9')   ? c0 - '0'
           : (c0 >= 'a' && c0 <= 'f') ? c0 - 'a' + 10
           : (c0 >= 'A' && c0 <= 'F') ? c0 - 'A' + 10
                                      : -1;
      lo = (c1 >= '0' && c1 <= '9')   ? c1 - '0'
           : (c1 >= 'a' && c1 <= 'f') ? c1 - 'a' + 10
           : (c1 >= 'A' && c1 <= 'F') ? c1 - 'A' + 10
                                      : -1;
      if (hi < 0) return "bad hex digit in the data";
      if (lo < 0)
        return (c1 == '\0' || rrt_is_space(c1)) ? "odd number of hex digits in the data"
                                                : "bad hex digit in the data";
      if (n == RRT_MAX_LENGTH) return "data longer than 65536 bytes";
      r->data[n++] = (uint8_t)(hi << 4 | lo);
    }
    if (n == 0) return "empty data after '0x'";
    p += 2 * n;
    if (have_len && n != len) return "data length differs from '(length)'";
    len = n;
    have_len = 1;
    rec->has_data = 1;
    p = rrt_skip_space(p);
  }
  if (*p && *p != '#') return "unexpected text after the record";
  if (!*p && (size_t)(p - line) != line_len)
    return "NUL byte in the line (binary data in a text trace?)";
  rec->length = have_len ? (uint32_t)len : r->p.default_length;
  rec->data = rec->has_data ? r->data : NULL;
  if (r->fmt == RRT_FORMAT_RSTL) {
    if (t > UINT64_MAX - r->prev_cycle) return "cycle overflows 64 bits";
    rec->cycle = r->prev_cycle + t;
  } else {
    rec->cycle = t;
  }
  return NULL;
}

static bnn_status text_next(rrt_access_reader *r, rrt_access *rec, int *got) {
  for (;;) {
    char *line;
    size_t len;
    int have;
    if (r->pending) {
      line = r->pending;
      len = r->pending_len;
      r->pending = NULL;
      have = 1;
    } else {
      bnn_status s = rrt_in_getline(&r->in, &line, &len, &have);
      if (s) return s;
    }
    if (!have) {
      r->done = 1;
      return BNN_OK;
    }
    /* A NUL anywhere in the line — at its start it would end the C string at once and pass the
     * line off as blank, dropping the record — is binary data in a text trace. */
    const int has_nul = memchr(line, '\0', len) != NULL;
    if (!has_nul && is_blank_or_comment(line)) continue;
    const char *why = has_nul ? "NUL byte in the line (binary data in a text trace?)"
                              : parse_stl(r, line, len, rec);
    if (!why) {
      r->prev_cycle = rec->cycle;
      *got = 1;
      return BNN_OK;
    }
    if (!r->first_bad) r->first_bad = r->in.line_no;
    if (!r->p.skip_bad)
      return bnn_fail(BNN_E_FORMAT, "%s:%llu: malformed STL record: %s", r->in.path,
                      (unsigned long long)r->in.line_no, why);
    ++r->bad;
  }
}

static int get_varint(const unsigned char **pp, const unsigned char *end, uint64_t *v) {
  const unsigned char *p = *pp;
  uint64_t x = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (p == end) return 0;
    unsigned char b = *p++;
    if (shift == 63 && b > 1) return -1; /* more than 64 bits */
    x |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *v = x;
      *pp = p;
      return 1;
    }
  }
  return -1;
}

static bnn_status bin_trailer(rrt_access_reader *r) {
  rrt_in *in = &r->in;
  uint32_t crc = rrt_in_crc_get(in); /* records only: up to, not including, the trailer tag */
  in->crc_mark = SIZE_MAX;
  ++in->pos;
  unsigned char t[20];
  bnn_status s = rrt_in_read(in, t, sizeof t, "the trailer");
  if (s) return s;
  uint64_t count = get_le(t, 8);
  if (memcmp(t + 12, BIN_END, 8) != 0)
    return bnn_fail(BNN_E_FORMAT, "%s: bad trailer end marker (corrupt file)", in->path);
  if (count != r->records)
    return bnn_fail(BNN_E_FORMAT, "%s: trailer says %llu records, file holds %llu", in->path,
                    (unsigned long long)count, (unsigned long long)r->records);
  if (BIN_CRC_CHECKED && (uint32_t)get_le(t + 8, 4) != crc)
    return bnn_fail(BNN_E_CRC, "%s: record CRC mismatch (corrupt file)", in->path);
  unsigned char extra;
  int got;
  if ((s = rrt_in_byte(in, &extra, &got))) return s;
  if (got) return bnn_fail(BNN_E_FORMAT, "%s: unexpected bytes after the trailer", in->path);
  r->done = 1;
  return BNN_OK;
}

static bnn_status bin_next(rrt_access_reader *r, rrt_access *rec, int *got) {
  rrt_in *in = &r->in;
  if (in->end - in->pos < BIN_MAX_RECORD_HEAD && !in->eof) {
    size_t avail;
    bnn_status s = rrt_in_fill(in, &avail);
    if (s) return s;
  }
  if (in->pos == in->end)
    return bnn_fail(BNN_E_FORMAT, "%s: truncated binary trace: no trailer after %llu records",
                    in->path, (unsigned long long)r->records);
  const unsigned char *p = in->buf + in->pos, *end = in->buf + in->end;
  unsigned tag = *p;
  if (tag == BIN_TAG_TRAILER) return bin_trailer(r);
  if (tag & ~(BIN_TAG_WRITE | BIN_TAG_DATA | BIN_TAG_LEN))
    return bnn_fail(BNN_E_FORMAT, "%s: bad record tag 0x%02x at record %llu (corrupt file)",
                    in->path, tag, (unsigned long long)r->records + 1);
  ++p;
  uint64_t dt, da, len = r->prev_len;
  int k;
  if ((k = get_varint(&p, end, &dt)) <= 0 || (k = get_varint(&p, end, &da)) <= 0 ||
      ((tag & BIN_TAG_LEN) && (k = get_varint(&p, end, &len)) <= 0)) {
    if (k == 0)
      return bnn_fail(BNN_E_FORMAT, "%s: truncated binary trace inside record %llu", in->path,
                      (unsigned long long)r->records + 1);
    return bnn_fail(BNN_E_FORMAT, "%s: bad varint in record %llu (corrupt file)", in->path,
                    (unsigned long long)r->records + 1);
  }
  if (len < 1 || len > RRT_MAX_LENGTH)
    return bnn_fail(BNN_E_FORMAT, "%s: record %llu has length %llu outside [1, %u]", in->path,
                    (unsigned long long)r->records + 1, (unsigned long long)len, RRT_MAX_LENGTH);
  in->pos = (size_t)(p - in->buf);
  rec->cycle = r->prev_cycle + unzigzag(dt);
  rec->address = r->prev_addr + unzigzag(da);
  rec->length = (uint32_t)len;
  rec->cmd = (tag & BIN_TAG_WRITE) ? RRT_CMD_WRITE : RRT_CMD_READ;
  rec->has_data = (tag & BIN_TAG_DATA) != 0;
  rec->data = NULL;
  if (rec->has_data) {
    bnn_status s = rrt_in_read(in, r->data, (size_t)len, "a record's data");
    if (s) return s;
    rec->data = r->data;
  }
  r->prev_cycle = rec->cycle;
  r->prev_addr = rec->address;
  r->prev_len = (uint32_t)len;
  *got = 1;
  return BNN_OK;
}

bnn_status rrt_access_reader_next(rrt_access_reader *r, rrt_access *rec, int *got) {
  *got = 0;
  if (r->err) return bnn_fail(r->err, "%s: reader stopped after an earlier error", r->in.path);
  if (r->done) return BNN_OK;
  bnn_status s = r->fmt == RRT_FORMAT_BIN ? bin_next(r, rec, got) : text_next(r, rec, got);
  if (s) {
    r->err = s;
    *got = 0;
    return s;
  }
  if (*got) ++r->records;
  return BNN_OK;
}

const rrt_provenance *rrt_access_reader_provenance(const rrt_access_reader *r) {
  return &r->prov.view;
}
rrt_format rrt_access_reader_format(const rrt_access_reader *r) {
  return r->fmt;
}
rrt_timing rrt_access_reader_timing(const rrt_access_reader *r) {
  return r->timing;
}

const char *rrt_access_reader_where(rrt_access_reader *r) {
  if (r->fmt == RRT_FORMAT_BIN)
    snprintf(r->where, sizeof r->where, "%s: record %llu", r->in.path,
             (unsigned long long)r->records);
  else
    snprintf(r->where, sizeof r->where, "%s:%llu", r->in.path, (unsigned long long)r->in.line_no);
  return r->where;
}
uint64_t rrt_access_reader_records(const rrt_access_reader *r) {
  return r->records;
}
uint64_t rrt_access_reader_bad_lines(const rrt_access_reader *r) {
  return r->bad;
}
uint64_t rrt_access_reader_first_bad_line(const rrt_access_reader *r) {
  return r->first_bad;
}
uint64_t rrt_access_reader_input_offset(const rrt_access_reader *r) {
  return rrt_in_offset(&r->in);
}

void rrt_access_reader_close(rrt_access_reader *r) {
  if (!r) return;
  rrt_in_close(&r->in);
  bnn_free(r->data);
  bnn_free(r);
}

/* ====================================== writer ====================================== */

struct rrt_access_writer {
  rrt_out out;
  rrt_format fmt;
  rrt_timing timing;
  uint64_t prev_cycle, prev_addr;
  uint32_t prev_len;
  uint64_t records;
  uint32_t crc; /* binary: CRC of record bytes flushed so far */
  bnn_status err;
};

rrt_access_write_params rrt_access_write_default_params(void) {
  rrt_access_write_params p;
  memset(&p, 0, sizeof p);
  p.format = RRT_FORMAT_AUTO;
  p.gzip_level = 1;
  p.timing = RRT_TIMING_ABSOLUTE;
  return p;
}

static bnn_status text_write_header(rrt_access_writer *w, const rrt_provenance *prov) {
  const char *what = w->fmt == RRT_FORMAT_STL
                         ? "# rramsim access trace: DRAMSys STL, absolute cycles\n# format: stl\n"
                         : "# rramsim access trace: DRAMSys STL, cycles relative to the previous "
                           "record\n# format: rstl\n";
  bnn_status s = rrt_out_write(&w->out, what, strlen(what));
  if (!s)
    s = rrt_prov_write_text(
        &w->out, prov,
        RRT_PROV_TOOL | RRT_PROV_CONFIG_HASH | RRT_PROV_SEED | RRT_PROV_CLOCK |
            ((prov && prov->model_id && *prov->model_id) ? RRT_PROV_MODEL_ID : 0u));
  static const char fields[] =
      "# record: <cycle>: (<length in bytes>) read|write 0x<address> [0x<data, lowest address "
      "first>]\n";
  if (!s) s = rrt_out_write(&w->out, fields, sizeof fields - 1);
  return s;
}

static bnn_status bin_write_header(rrt_access_writer *w, const rrt_provenance *prov) {
  unsigned char h[20 + 4 * (2 + RRT_PROV_MAX) + 4];
  size_t n = 0;
  memcpy(h, BIN_MAGIC, 8);
  put_le(h + 8, BIN_VERSION, 2);
  put_le(h + 10, w->timing == RRT_TIMING_RELATIVE ? BIN_FLAG_RELATIVE : 0u, 2);
  put_le(h + 12, prov ? prov->clock_ps : 0, 8);
  n = 20;
  const char *fields[4] = {prov ? prov->tool : NULL, prov ? prov->config_hash : NULL,
                           prov ? prov->seed : NULL, prov ? prov->model_id : NULL};
  for (int i = 0; i < 4; ++i) {
    size_t k = fields[i] ? strlen(fields[i]) : 0;
    put_le(h + n, k, 2);
    if (k) memcpy(h + n + 2, fields[i], k);
    n += 2 + k;
  }
  put_le(h + n, (uint32_t)crc32(0L, h, (uInt)n), 4);
  n += 4;
  bnn_status s = rrt_out_write(&w->out, h, n);
  if (!s) s = rrt_out_flush(&w->out); /* the buffer then holds record bytes only (for the CRC) */
  w->crc = (uint32_t)crc32(0L, Z_NULL, 0);
  return s;
}

bnn_status rrt_access_writer_open(const char *path, const rrt_access_write_params *params,
                                  rrt_access_writer **out) {
  if (!out) return bnn_fail(BNN_E_ARG, "rrt_access_writer_open: out is NULL");
  *out = NULL;
  if (!path) return bnn_fail(BNN_E_ARG, "rrt_access_writer_open: path is NULL");
  rrt_access_write_params p = params ? *params : rrt_access_write_default_params();
  rrt_format fmt;
  bnn_status s = resolve_format(path, p.format, &fmt);
  if (s) return s;
  if ((unsigned)p.timing >= RRT_TIMING_COUNT)
    return bnn_fail(BNN_E_ARG, "%s: bad timing %d", path, (int)p.timing);
  if ((s = rrt_prov_validate(&p.prov, path))) return s;
  rrt_access_writer *w = (rrt_access_writer *)bnn_calloc(1, sizeof *w);
  if (!w) return bnn_fail(BNN_E_NOMEM, "%s: out of memory", path);
  w->fmt = fmt;
  w->timing = p.timing;
  if ((s = rrt_out_open(&w->out, path, p.gzip_level))) {
    bnn_free(w);
    return s;
  }
  s = fmt == RRT_FORMAT_BIN ? bin_write_header(w, &p.prov) : text_write_header(w, &p.prov);
  if (s) {
    rrt_access_writer_abort(w);
    return s;
  }
  *out = w;
  return BNN_OK;
}

static bnn_status bin_reserve(rrt_access_writer *w, size_t n) {
  rrt_out *o = &w->out;
  if (o->len + n <= RRT_OUT_BUF) return BNN_OK;
  w->crc = (uint32_t)crc32(w->crc, o->buf, (uInt)o->len);
  return rrt_out_flush(o);
}

static bnn_status put_bin(rrt_access_writer *w, const rrt_access *rec) {
  bnn_status s = bin_reserve(w, BIN_MAX_RECORD_HEAD + (rec->has_data ? rec->length : 0));
  if (s) return s;
  unsigned char *p0 = w->out.buf + w->out.len, *p = p0 + 1;
  unsigned tag = (rec->cmd == RRT_CMD_WRITE ? BIN_TAG_WRITE : 0u) |
                 (rec->has_data ? BIN_TAG_DATA : 0u) |
                 (rec->length != w->prev_len ? BIN_TAG_LEN : 0u);
  *p0 = (unsigned char)tag;
  p = put_varint(p, zigzag(rec->cycle - w->prev_cycle));
  p = put_varint(p, zigzag(rec->address - w->prev_addr));
  if (tag & BIN_TAG_LEN) p = put_varint(p, rec->length);
  if (rec->has_data) {
    memcpy(p, rec->data, rec->length);
    p += rec->length;
  }
  w->out.len += (size_t)(p - p0);
  return BNN_OK;
}

static bnn_status put_text(rrt_access_writer *w, const rrt_access *rec) {
  bnn_status s = rrt_out_reserve(&w->out, 96 + (rec->has_data ? 2u * rec->length : 0u));
  if (s) return s;
  char *p0 = (char *)w->out.buf + w->out.len, *p = p0;
  uint64_t t = rec->cycle;
  if (w->fmt == RRT_FORMAT_RSTL) {
    /* rrt_access_writer_put refused records earlier than their predecessor. */
    t = rec->cycle - w->prev_cycle;
  }
  p = rrt_fmt_u64_dec(p, t);
  *p++ = ':';
  *p++ = '\t';
  *p++ = '(';
  p = rrt_fmt_u64_dec(p, rec->length);
  *p++ = ')';
  *p++ = '\t';
  if (rec->cmd == RRT_CMD_WRITE) {
    memcpy(p, "write\t0x", 8);
    p += 8;
  } else {
    memcpy(p, "read\t0x", 7);
    p += 7;
  }
  p = rrt_fmt_u64_hex(p, rec->address);
  if (rec->has_data) {
    static const char digits[] = "0123456789abcdef";
    *p++ = '\t';
    *p++ = '0';
    *p++ = 'x';
    for (uint32_t i = 0; i < rec->length; ++i) {
      *p++ = digits[rec->data[i] >> 4];
      *p++ = digits[rec->data[i] & 15];
    }
  }
  *p++ = '\n';
  w->out.len += (size_t)(p - p0);
  return BNN_OK;
}

bnn_status rrt_access_writer_put(rrt_access_writer *w, const rrt_access *rec) {
  if (w->err) return bnn_fail(w->err, "%s: writer stopped after an earlier error", w->out.path);
  if ((unsigned)rec->cmd >= RRT_CMD_COUNT)
    return bnn_fail(BNN_E_ARG, "%s: record %llu: bad command %d", w->out.path,
                    (unsigned long long)w->records + 1, (int)rec->cmd);
  if (rec->length < 1 || rec->length > RRT_MAX_LENGTH)
    return bnn_fail(BNN_E_ARG, "%s: record %llu: length %u outside [1, %u]", w->out.path,
                    (unsigned long long)w->records + 1, rec->length, RRT_MAX_LENGTH);
  if (rec->has_data && !rec->data)
    return bnn_fail(BNN_E_ARG, "%s: record %llu: has_data set but data is NULL", w->out.path,
                    (unsigned long long)w->records + 1);
  int relative = w->fmt == RRT_FORMAT_RSTL || w->timing == RRT_TIMING_RELATIVE;
  if (relative && w->records && rec->cycle < w->prev_cycle)
    return bnn_fail(BNN_E_ARG,
                    "%s: record %llu at cycle %llu is earlier than its predecessor (%llu); "
                    "a relative trace cannot express that",
                    w->out.path, (unsigned long long)w->records + 1, (unsigned long long)rec->cycle,
                    (unsigned long long)w->prev_cycle);
  bnn_status s = w->fmt == RRT_FORMAT_BIN ? put_bin(w, rec) : put_text(w, rec);
  if (s) {
    if (s != BNN_E_ARG) w->err = s; /* a refused record leaves the file intact */
    return s;
  }
  w->prev_cycle = rec->cycle;
  w->prev_addr = rec->address;
  w->prev_len = rec->length;
  ++w->records;
  return BNN_OK;
}

uint64_t rrt_access_writer_records(const rrt_access_writer *w) {
  return w->records;
}

bnn_status rrt_access_writer_close(rrt_access_writer *w) {
  if (!w) return BNN_OK;
  bnn_status s = w->err;
  if (s) {
    char path[512];
    snprintf(path, sizeof path, "%s", w->out.path); /* freed by the abort */
    rrt_access_writer_abort(w);
    return bnn_fail(s, "%s: trace writer failed earlier (%s); nothing written", path,
                    bnn_status_str(s));
  }
  if (w->fmt == RRT_FORMAT_BIN) {
    w->crc = (uint32_t)crc32(w->crc, w->out.buf, (uInt)w->out.len);
    unsigned char t[21];
    t[0] = BIN_TAG_TRAILER;
    put_le(t + 1, w->records, 8);
    put_le(t + 9, w->crc, 4);
    memcpy(t + 13, BIN_END, 8);
    s = rrt_out_write(&w->out, t, sizeof t);
  }
  if (s) {
    rrt_access_writer_abort(w);
    return s;
  }
  s = rrt_out_commit(&w->out);
  bnn_free(w);
  return s;
}

void rrt_access_writer_abort(rrt_access_writer *w) {
  if (!w) return;
  rrt_out_abort(&w->out);
  bnn_free(w);
}
