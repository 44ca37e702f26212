/* durable.c — moving a finished file into place so that it survives a power cut (bnn/durable.h). */
#include "bnn/durable.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
