/* in.c — libtrace input: gzip-or-plain files behind one buffer, refills, line splitting across
 * buffer boundaries, exact reads with truncation messages, and the CRC of consumed bytes. */
#include "io_impl.h"

#include "bnn/input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
  /* Regular files only (bnn/input.h): a FIFO without a writer would block the open forever, a
   * device (/dev/zero) never end, a directory read as an error in the middle of a record. */
  int fd;
  uint64_t size = 0;
  bnn_status so = bnn_input_open(path, 0, &fd, &size);
  if (so) {
    rrt_in_close(in);
    return so;
  }
  /* A regular file is classified by its first two bytes (the gzip magic 1f 8b) without moving the
   * read position. */
  unsigned char magic[2];
  const int gzip = pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
  int gz_name = rrt_ends_with(path, ".gz");
  bnn_status s = BNN_OK;
  if (gz_name && !gzip) {
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
