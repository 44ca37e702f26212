/* io_impl.h — libtrace internals: buffered gzip-or-plain byte/line input (in.c), temp-file+rename
 * output (out.c), the provenance header shared by every text format (prov.c), small number
 * parsers (num.c) and text/CSV framing (text.c). */
#ifndef RRTRACE_IO_IMPL_H
#define RRTRACE_IO_IMPL_H

#include <stdint.h>
#include <zlib.h>

#include "rrtrace/trace.h"

/* Input buffer: sized to the file for small plain files, else starting at RRT_IN_MIN and doubling
 * (while the input keeps filling it) up to RRT_IN_BUF, so opening a small file stays cheap and
 * streaming a large one still moves big blocks. */
#define RRT_IN_BUF   (256u * 1024u)
#define RRT_IN_MIN   (16u * 1024u)
/* zlib's input buffer for gzip files (it allocates twice that for output). */
#define RRT_GZ_BUF   (128u * 1024u)
#define RRT_OUT_BUF  (256u * 1024u)
/* Longest text line accepted: a full-size record with data and some slack. */
#define RRT_MAX_LINE (2u * RRT_MAX_LENGTH + 4096u)

/* ---- input ---- */
typedef struct rrt_in {
  gzFile gz; /* gzip (or not-seekable) input through zlib; NULL for a plain file */
  int fd;    /* plain file read directly; valid only while `plain` is set */
  int plain;
  uint64_t offset;    /* plain: bytes read from the file so far */
  char *path;         /* copy, for messages */
  unsigned char *buf; /* cap bytes (+1 slack) */
  size_t cap;
  int grow; /* the last refill filled the whole buffer: double it next time */
  size_t pos, end;
  int eof;
  uint64_t line_no; /* lines returned so far (1-based number of the last one) */
  char *line;       /* spill buffer for lines crossing a buffer boundary */
  size_t line_cap;
  uint32_t crc;    /* running CRC32 of consumed bytes since rrt_in_crc_start */
  size_t crc_mark; /* buf offset from which crc still has to be taken; SIZE_MAX = off */
} rrt_in;

/* Opens path for reading: the one setup path of every libtrace reader. Gzip data (by its magic
 * bytes, whatever the name) is inflated through zlib; anything else is read with plain read(2).
 * A name ending in ".gz" must be gzip data (refused otherwise). */
bnn_status rrt_in_open(rrt_in *in, const char *path);
/* Bytes of the file consumed so far (compressed bytes for gzip input). */
uint64_t rrt_in_offset(const rrt_in *in);
void rrt_in_close(rrt_in *in);
/* Next line without its "\n" or "\r\n", NUL-terminated, writable until the next call. */
bnn_status rrt_in_getline(rrt_in *in, char **line, size_t *len, int *got);
/* Exactly n bytes, or an error naming the truncation. */
bnn_status rrt_in_read(rrt_in *in, void *dst, size_t n, const char *what);
/* Next byte, or *got = 0 at a clean end of file. */
bnn_status rrt_in_byte(rrt_in *in, unsigned char *b, int *got);
/* Start CRC over consumed bytes from now; rrt_in_crc_get returns the CRC up to now. */
void rrt_in_crc_start(rrt_in *in);
uint32_t rrt_in_crc_get(rrt_in *in);
/* Refills the buffer keeping unconsumed bytes; returns bytes available. */
bnn_status rrt_in_fill(rrt_in *in, size_t *avail);

/* ---- output ---- */
typedef struct rrt_out {
  gzFile gz;
  char *path;
  char *tmp_path;
  unsigned char *buf;
  size_t len;
  int failed;
} rrt_out;

/* Opens a temporary file next to path; gzip_level applies when path ends in ".gz". */
bnn_status rrt_out_open(rrt_out *o, const char *path, int gzip_level);
bnn_status rrt_out_write(rrt_out *o, const void *p, size_t n);
/* Room for at least n bytes at o->buf + o->len (flushes if needed); n <= RRT_OUT_BUF. */
bnn_status rrt_out_reserve(rrt_out *o, size_t n);
bnn_status rrt_out_flush(rrt_out *o);
/* Flush, close, rename into place. Cleans up in every case. */
bnn_status rrt_out_commit(rrt_out *o);
void rrt_out_abort(rrt_out *o);

/* ---- provenance in text headers ("# key: value" comment lines) ---- */
typedef struct rrt_prov_store {
  char tool[RRT_PROV_MAX + 1], config_hash[RRT_PROV_MAX + 1], seed[RRT_PROV_MAX + 1],
      model_id[RRT_PROV_MAX + 1];
  rrt_provenance view; /* points into the arrays above */
  int sidecar;         /* a sidecar (<file>.meta.json) was read */
} rrt_prov_store;

void rrt_prov_store_init(rrt_prov_store *s);
/* Checks that every string fits and holds no newline; `path` names the file in the message. */
bnn_status rrt_prov_validate(const rrt_provenance *p, const char *path);
/* Writes "# tool: ..." etc.; fields in `mask` (RRT_PROV_* bits) only. */
bnn_status rrt_prov_write_text(rrt_out *o, const rrt_provenance *p, unsigned mask);
/* If the comment line (starting at '#') is "# key: value" with a known key, stores it; else no-op.
 * Returns 0 if it was not a provenance line. */
int rrt_prov_parse_comment(rrt_prov_store *s, const char *line);

/* ---- the JSON sidecar of a CSV file (<file>.meta.json, traces/README.md "CSV sidecar") ---- */
/* Largest sidecar read (a few hundred bytes are written). */
#define RRT_SIDECAR_MAX (64u * 1024u)
/* csv_path + RRT_SIDECAR_SUFFIX through bnn_malloc. */
bnn_status rrt_sidecar_path(const char *csv_path, char **out);
/* Writes the sidecar of csv_path (temp + rename): the content's title and format, the column
 * names of `cols` (a CSV line), the record count and the provenance fields of `mask`. */
bnn_status rrt_sidecar_write(const char *csv_path, const char *title, const char *format,
                             const char *cols, uint64_t records, const rrt_provenance *p,
                             unsigned mask);
/* Reads the sidecar of csv_path, if there is one, into the fields of s still empty (a file's own
 * "# key: value" lines win), and sets s->sidecar. No sidecar: BNN_OK, s untouched. A sidecar that
 * is not a JSON object with string provenance members is "<sidecar>: malformed sidecar of <csv>:
 * <why> at byte <n>" (BNN_E_FORMAT). */
bnn_status rrt_sidecar_read(rrt_prov_store *s, const char *csv_path);

/* ---- small parsers on NUL-terminated text; each advances *p and returns 0 on failure ---- */
int rrt_parse_u64_dec(const char **p, uint64_t *v);
int rrt_parse_u64_hex(const char **p, uint64_t *v); /* optional 0x/0X prefix, either case */
int rrt_parse_i64_dec(const char **p, int64_t *v);  /* optional leading '-' */
char *rrt_fmt_u64_dec(char *dst, uint64_t v);       /* returns end */
char *rrt_fmt_u64_hex(char *dst, uint64_t v);       /* lowercase, no prefix */
char *rrt_fmt_i64_dec(char *dst, int64_t v);
static inline int rrt_is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}
static inline const char *rrt_skip_space(const char *p) {
  while (rrt_is_space(*p)) ++p;
  return p;
}
/* Reads leading blank/comment lines (collecting provenance) and returns the first other line. */
bnn_status rrt_text_header(rrt_in *in, rrt_prov_store *prov, char **line, size_t *len, int *got);
/* Setup of the text readers: rrt_prov_store_init + rrt_in_open + rrt_text_header. *got = 0 when the
 * file holds nothing but blank/comment lines. On failure `in` is left closed. */
bnn_status rrt_text_open(rrt_in *in, rrt_prov_store *prov, const char *path, char **line,
                         size_t *len, int *got);
/* Setup of the CSV readers (fault traces, error maps): rrt_text_open, the sidecar (provenance the
 * file's own '#' lines do not give), then the column-header line
 * split into at most max fields (*n = max + 1 if it has more; the fields live in the input buffer
 * until the next read). A file without a header line is "<path>: empty <what> (no column
 * header<hint>)". On failure `in` is left closed. */
bnn_status rrt_csv_open(rrt_in *in, rrt_prov_store *prov, const char *path, const char *what,
                        const char *hint, char **fields, int max, int *n);
/* What the CSV record readers (fault traces, error maps) share: input, provenance, the skip-bad
 * policy, the counts (first_bad: line of the first skipped line, 0 = none) and the sticky error. */
typedef struct rrt_csv_reader {
  rrt_in in;
  rrt_prov_store prov;
  int skip_bad;
  uint64_t records, bad, first_bad;
  bnn_status err;
  int done;
} rrt_csv_reader;
/* Parses one record line in place into rec; returns NULL, or why the line is malformed. */
typedef const char *(*rrt_csv_parse_fn)(void *ctx, char *line, void *rec);
/* The next record: blank and '#' lines are passed over; a line parse refuses fails the reader with
 * "<path>:<line>: malformed <what>: <why>" or, with skip_bad, is counted and passed over. *got = 0
 * at the end of the file. */
bnn_status rrt_csv_reader_next(rrt_csv_reader *r, const char *what, rrt_csv_parse_fn parse,
                               void *ctx, void *rec, int *got);
/* What the CSV record writers share: output, record count, the sticky error, and what goes into
 * the sidecar at close (title, format and cols are the caller's static strings). */
typedef struct rrt_csv_writer {
  rrt_out out;
  uint64_t records;
  bnn_status err;
  rrt_prov_store prov;
  unsigned prov_mask;
  const char *title, *format, *cols;
} rrt_csv_writer;
/* Validates prov, opens path (temp + rename on close) and writes the column line `cols` (ending in
 * '\n'): the CSV is that one header row and the records. What wrote it — `title` ("rramsim fault
 * trace"), `format` ("faults-csv 1"), the provenance fields of prov_mask — goes to the sidecar
 * <path>.meta.json at close. On failure nothing is left behind. */
bnn_status rrt_csv_writer_open(rrt_csv_writer *w, const char *path, int gzip_level,
                               const rrt_provenance *prov, const char *title, const char *format,
                               unsigned prov_mask, const char *cols);
/* Commits the file and then its sidecar (an older sidecar is removed first, so a crash between the
 * two renames leaves a file without a sidecar, never one beside another file's), or after an
 * earlier error removes it: "<path>: <what> writer failed earlier (<status>); nothing written".
 * If the sidecar cannot be written the file is removed too. Does not free w. */
bnn_status rrt_csv_writer_close(rrt_csv_writer *w, const char *what);
/* Splits a line in place at commas, trimming blanks; returns the field count, or max + 1 if the
 * line has more than max fields. */
int rrt_csv_split(char *line, char **fields, int max);
/* Whole-string u64: "0x..." hex or decimal. */
int rrt_parse_u64_any(const char *s, uint64_t *v);
/* Whole-string integer >= -1; "" means -1 (unknown). */
int rrt_parse_i64_field(const char *s, int64_t *v);
/* Duplicates through bnn_malloc. */
char *rrt_strdup(const char *s);
int rrt_ends_with(const char *s, const char *suffix);

#endif /* RRTRACE_IO_IMPL_H */
