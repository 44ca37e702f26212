/* durable.c — atomic output files moved into place so that they survive a power cut, and mkdir -p
 * (bnn/durable.h). */
#include "bnn/durable.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* fsync of the file or directory at `path` opened with `flags`; 0, or -1 with errno set. A
 * read-only descriptor is enough: fsync writes back the file, whatever the descriptor's access
 * mode. */
static int sync_path(const char *path, int flags) {
  int fd;
  do {
    fd = open(path, flags | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return -1;
  int r;
  do {
    r = fsync(fd);
  } while (r != 0 && errno == EINTR);
  const int e = errno;
  close(fd);
  errno = e;
  return r;
}

bnn_status bnn_rename_durable(const char *tmp, const char *path) {
  if (!tmp || !path) return bnn_fail(BNN_E_ARG, "durable rename: NULL argument");
  /* The directory that holds the name: what precedes the last '/', "/" for a file in the root,
   * "." without a slash. Copied before anything changes, so running out of memory changes nothing.
   */
  const char *slash = strrchr(path, '/');
  const size_t dlen = !slash ? 1 : slash == path ? 1 : (size_t)(slash - path);
  char *dir = (char *)bnn_malloc(dlen + 1);
  if (!dir) return bnn_fail(BNN_E_NOMEM, "%s: out of memory", path);
  memcpy(dir, !slash ? "." : slash == path ? "/" : path, dlen);
  dir[dlen] = '\0';
  bnn_status s = BNN_OK;
  int e = 0;
  if (sync_path(tmp, O_RDONLY) != 0) {
    e = errno;
    s = bnn_fail(BNN_E_IO, "%s: cannot sync to disk: %s", tmp, strerror(e));
  } else if (rename(tmp, path) != 0) {
    e = errno;
    s = bnn_fail(BNN_E_IO, "%s: cannot rename %s into place: %s", path, tmp, strerror(e));
  } else if (sync_path(dir, O_RDONLY | O_DIRECTORY) != 0 && errno != EINVAL) {
    e = errno;
    s = bnn_fail(BNN_E_IO, "%s: cannot sync directory %s: %s", path, dir, strerror(e));
  }
  bnn_free(dir);
  if (s != BNN_OK) errno = e; /* for callers that report strerror(errno) themselves */
  return s;
}

void bnn_remove_stale_temps(const char *path) {
  if (!path) return;
  const int saved = errno;
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  char dir[4096];
  const size_t dl = slash ? (size_t)(slash - path) : 0;
  if (dl + 2 > sizeof dir) return;
  if (!slash) {
    strcpy(dir, ".");
  } else if (dl == 0) {
    strcpy(dir, "/");
  } else {
    memcpy(dir, path, dl);
    dir[dl] = '\0';
  }
  DIR *d = opendir(dir);
  if (!d) {
    errno = saved;
    return;
  }
  const size_t bl = strlen(base);
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    const char *nm = e->d_name;
    if (strncmp(nm, base, bl) != 0 || strncmp(nm + bl, ".tmp.", 5) != 0) continue;
    const char *digits = nm + bl + 5;
    char *end = NULL;
    const long pid = strtol(digits, &end, 10);
    if (end == digits || *end != '\0' || pid <= 0 || pid == (long)getpid()) continue;
    if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
    char full[4096 + 256];
    if (snprintf(full, sizeof full, "%s/%s", dir, nm) < (int)sizeof full) remove(full);
  }
  closedir(d);
  errno = saved;
}

static char *dup_str(const char *s) {
  const size_t n = strlen(s) + 1;
  char *d = (char *)bnn_malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

static void release(bnn_atomic_file *af) {
  bnn_free(af->tmp);
  bnn_free(af->path);
  memset(af, 0, sizeof *af);
}

bnn_status bnn_atomic_open(bnn_atomic_file *af, const char *path) {
  if (!af) return bnn_fail(BNN_E_ARG, "atomic open: NULL argument");
  memset(af, 0, sizeof *af);
  if (!path || !*path) return bnn_fail(BNN_E_ARG, "atomic open: empty path");
  bnn_remove_stale_temps(path);
  const size_t n = strlen(path) + 32;
  af->path = dup_str(path);
  af->tmp = (char *)bnn_malloc(n);
  if (!af->path || !af->tmp) {
    release(af);
    return bnn_fail(BNN_E_NOMEM, "%s: out of memory", path);
  }
  snprintf(af->tmp, n, "%s.tmp.%ld", path, (long)getpid());
  af->f = fopen(af->tmp, "wb");
  if (!af->f) {
    const int e = errno;
    const bnn_status s = bnn_fail(BNN_E_IO, "%s: cannot create %s: %s", path, af->tmp, strerror(e));
    release(af);
    errno = e;
    return s;
  }
  return BNN_OK;
}

bnn_status bnn_atomic_commit(bnn_atomic_file *af) {
  if (!af || !af->f || !af->tmp || !af->path) {
    if (af) bnn_atomic_abort(af);
    return bnn_fail(BNN_E_ARG, "atomic commit: file not open");
  }
  /* A failed fwrite left its reason in errno (the caller has not reported it yet). */
  const int entry_errno = errno;
  int ok = !ferror(af->f);
  int e = ok ? 0 : (entry_errno ? entry_errno : EIO);
  if (fflush(af->f) != 0 && ok) ok = 0, e = errno;
  if (fclose(af->f) != 0 && ok) ok = 0, e = errno;
  af->f = NULL;
  bnn_status s = BNN_OK;
  if (!ok) {
    s = bnn_fail(BNN_E_IO, "%s: write failed: %s", af->path, strerror(e ? e : EIO));
  } else if ((s = bnn_rename_durable(af->tmp, af->path)) != BNN_OK) {
    e = errno;
  }
  if (s != BNN_OK) {
    remove(af->tmp); /* after a failed directory sync the temporary is already gone */
    errno = e ? e : EIO;
  }
  const int keep = errno;
  release(af);
  errno = keep;
  return s;
}

void bnn_atomic_abort(bnn_atomic_file *af) {
  if (!af) return;
  const int saved = errno;
  if (af->f) fclose(af->f);
  if (af->tmp) remove(af->tmp);
  release(af);
  errno = saved;
}

bnn_status bnn_write_file_atomic(const char *path, const void *data, size_t n) {
  bnn_atomic_file af;
  bnn_status s = bnn_atomic_open(&af, path);
  if (s != BNN_OK) return s;
  /* A short write sets the stream's error flag: commit then reports it and removes the temporary.
   */
  if (n) (void)fwrite(data, 1, n, af.f);
  return bnn_atomic_commit(&af);
}

bnn_status bnn_mkdirs(const char *dir) {
  if (!dir || !*dir) return bnn_fail(BNN_E_ARG, "mkdirs: empty directory name");
  char *cur = dup_str(dir);
  if (!cur) return bnn_fail(BNN_E_NOMEM, "%s: out of memory", dir);
  int e = 0;
  /* Each prefix ending before a '/' (and the whole name): create it unless it exists. */
  for (char *p = cur + 1;; ++p) {
    if (*p != '/' && *p != '\0') continue;
    const char c = *p;
    *p = '\0';
    if (mkdir(cur, 0777) != 0 && errno != EEXIST) {
      e = errno;
      *p = c;
      break;
    }
    *p = c;
    if (c == '\0') break;
  }
  bnn_free(cur);
  struct stat st;
  if (!e) {
    if (stat(dir, &st) != 0)
      e = errno;
    else if (!S_ISDIR(st.st_mode))
      e = ENOTDIR;
  }
  if (e) {
    const bnn_status s = bnn_fail(BNN_E_IO, "%s: cannot create directory: %s", dir, strerror(e));
    errno = e;
    return s;
  }
  return BNN_OK;
}
