/* out.c — libtrace output: a buffered writer into a temporary file next to the target (gzip when
 * the name ends in ".gz"), committed by a durable rename or aborted. */
#include "io_impl.h"
#include "bnn/durable.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
