/* input.c — opening input files: regular files only, never blocking on a FIFO, size-capped. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bnn/input.h"
#include "bnn_impl.h"

const char *bnn_file_kind(unsigned mode) {
  const mode_t m = (mode_t)mode;
  if (S_ISREG(m)) return "regular file";
  if (S_ISDIR(m)) return "directory";
  if (S_ISFIFO(m)) return "FIFO (named pipe)";
  if (S_ISCHR(m)) return "character device";
  if (S_ISBLK(m)) return "block device";
  if (S_ISSOCK(m)) return "socket";
  if (S_ISLNK(m)) return "symbolic link";
  return "special file";
}

static bnn_status check_stat(const char *path, const struct stat *st, uint64_t max_bytes) {
  if (!S_ISREG(st->st_mode))
    return bnn_fail(BNN_E_IO, "%s: is a %s, not a regular file", path, bnn_file_kind(st->st_mode));
  if (max_bytes && (uint64_t)st->st_size > max_bytes)
    return bnn_fail(BNN_E_RANGE, "%s: %llu bytes, more than the %llu accepted for this input", path,
                    (unsigned long long)st->st_size, (unsigned long long)max_bytes);
  return BNN_OK;
}

bnn_status bnn_input_open(const char *path, uint64_t max_bytes, int *fd, uint64_t *size) {
  if (!path || !fd) return bnn_fail(BNN_E_ARG, "bnn_input_open: NULL argument");
  *fd = -1;
  /* O_NONBLOCK: opening a FIFO without a writer (or a device) must not wait; cleared below. */
  const int f = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (f < 0) {
    const int e = errno;
    bnn_fail(BNN_E_IO, "%s: cannot open: %s", path, strerror(e));
    errno = e; /* callers may tell a missing file (ENOENT) from others */
    return BNN_E_IO;
  }
  struct stat st;
  bnn_status s = BNN_OK;
  if (fstat(f, &st) != 0)
    s = bnn_fail(BNN_E_IO, "%s: cannot stat: %s", path, strerror(errno));
  else
    s = check_stat(path, &st, max_bytes);
  if (!s) {
    const int fl = fcntl(f, F_GETFL);
    if (fl < 0 || fcntl(f, F_SETFL, fl & ~O_NONBLOCK) != 0)
      s = bnn_fail(BNN_E_IO, "%s: cannot open: %s", path, strerror(errno));
  }
  if (s) {
    const int e = errno;
    close(f);
    errno = e;
    return s;
  }
  *fd = f;
  if (size) *size = (uint64_t)st.st_size;
  return BNN_OK;
}

bnn_status bnn_input_fopen(const char *path, uint64_t max_bytes, FILE **out, uint64_t *size) {
  if (!out) return bnn_fail(BNN_E_ARG, "bnn_input_fopen: NULL argument");
  *out = NULL;
  int fd;
  bnn_status s = bnn_input_open(path, max_bytes, &fd, size);
  if (s) return s;
  FILE *f = fdopen(fd, "rb");
  if (!f) {
    const int e = errno;
    close(fd);
    return bnn_fail(BNN_E_NOMEM, "%s: cannot open: %s", path, strerror(e));
  }
  *out = f;
  return BNN_OK;
}

bnn_status bnn_input_check(const char *path, uint64_t max_bytes) {
  if (!path) return bnn_fail(BNN_E_ARG, "bnn_input_check: NULL argument");
  struct stat st;
  if (stat(path, &st) != 0) return BNN_OK; /* the caller's open names the reason */
  return check_stat(path, &st, max_bytes);
}
