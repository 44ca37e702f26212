/* output.c — what this invocation writes and reads: input/output clashes, rollback on failure,
 * directory locks, the stdout check (output.h). */
#define _XOPEN_SOURCE 700 /* nftw */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

typedef struct cli_path {
  char *path;
  const char *opt;
  int existed; /* outputs: it existed when claimed (then it is never removed) */
  int have_id; /* st_dev/st_ino known */
  dev_t dev;
  ino_t ino;
} cli_path;

static cli_path *g_in, *g_out;
static size_t g_n_in, g_n_out;
static pid_t g_owner;

static int add(cli_path **v, size_t *n, const char *path, const char *opt, cli_path *out) {
  cli_path *nv = (cli_path *)realloc(*v, (*n + 1) * sizeof **v);
  if (!nv) return 0;
  *v = nv;
  cli_path *p = &nv[*n];
  memset(p, 0, sizeof *p);
  p->path = strdup(path);
  if (!p->path) return 0;
  p->opt = opt;
  struct stat st;
  if (stat(path, &st) == 0) {
    p->have_id = 1;
    p->dev = st.st_dev;
    p->ino = st.st_ino;
  }
  p->existed = lstat(path, &st) == 0;
  ++*n;
  if (out) *out = *p;
  return 1;
}

static const cli_path *same_file(const cli_path *v, size_t n, const cli_path *x) {
  if (!x->have_id) return NULL;
  for (size_t i = 0; i < n; ++i)
    if (v[i].have_id && v[i].dev == x->dev && v[i].ino == x->ino) return &v[i];
  return NULL;
}

int cli_input_note(const char *cmd, const char *opt, const char *path) {
  if (!path || !*path) return 1;
  cli_path p;
  if (!add(&g_in, &g_n_in, path, opt, &p)) {
    cli_error(cmd, "out of memory");
    return 0;
  }
  const cli_path *o = same_file(g_out, g_n_out, &p);
  if (o) {
    cli_error(cmd, "%s %s: is also an input (%s %s); refusing to overwrite it", o->opt, o->path,
              opt, path);
    return 0;
  }
  return 1;
}

int cli_output_claim(const char *cmd, const char *opt, const char *path) {
  if (!path || !*path) return 1;
  if (!g_owner) g_owner = getpid();
  cli_path p;
  if (!add(&g_out, &g_n_out, path, opt, &p)) {
    cli_error(cmd, "out of memory");
    return 0;
  }
  const cli_path *i = same_file(g_in, g_n_in, &p);
  if (i) {
    --g_n_out; /* never remove an input */
    free(g_out[g_n_out].path);
    cli_error(cmd, "%s %s: is also an input (%s %s); refusing to overwrite it", opt, path, i->opt,
              i->path);
    return 0;
  }
  return 1;
}

/* Opens `path` with `flags` and takes the flock `how` (LOCK_EX or LOCK_SH) without waiting. */
static int lock_file(const char *cmd, const char *opt, const char *path, int flags, int how) {
  const int fd = open(path, flags | O_CLOEXEC, 0644);
  if (fd < 0) {
    cli_error(cmd, "%s %s: cannot open: %s", opt, path, strerror(errno));
    return 0;
  }
  if (flock(fd, how | LOCK_NB) != 0) {
    const int e = errno;
    close(fd);
    if (e == EWOULDBLOCK)
      cli_error(cmd,
                "%s %s: another rramsim is writing into it (locked); wait for it to finish or use "
                "another directory",
                opt, path);
    else
      cli_error(cmd, "%s %s: cannot lock: %s", opt, path, strerror(e));
    return 0;
  }
  return 1; /* fd stays open: the lock lasts until the process exits */
}

int cli_output_lock_file(const char *cmd, const char *opt, const char *path) {
  return lock_file(cmd, opt, path, O_WRONLY | O_CREAT, LOCK_EX);
}

/* A shared lock on a read-only descriptor: it needs no write permission on the file, and it
 * conflicts with a writer's exclusive lock both ways (also where flock is emulated with fcntl
 * record locks, e.g. NFS, since a shared lock there is F_RDLCK, which a read-only open allows). */
int cli_input_lock_file(const char *cmd, const char *opt, const char *path) {
  return lock_file(cmd, opt, path, O_RDONLY, LOCK_SH);
}

int cli_output_probe(const char *cmd, const char *opt, const char *path) {
  char probe[4096];
  snprintf(probe, sizeof probe, "%s.probe.%ld", path, (long)getpid());
  const int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    cli_error(cmd, "%s %s: cannot create files in its directory: %s", opt, path, strerror(errno));
    return 0;
  }
  close(fd);
  unlink(probe);
  return 1;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)st, (void)type, (void)ftw;
  remove(path);
  return 0;
}

void cli_outputs_rollback(void) {
  if (!g_owner || getpid() != g_owner) return;
  for (size_t k = g_n_out; k-- > 0;) {
    const cli_path *p = &g_out[k];
    struct stat st;
    if (p->existed || lstat(p->path, &st) != 0) continue;
    if (S_ISDIR(st.st_mode))
      nftw(p->path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    else
      remove(p->path);
  }
}

int cli_stdout_check(const char *cmd) {
  errno = 0;
  const int flushed = fflush(stdout) == 0;
  const int e = errno;
  if (flushed && !ferror(stdout)) return CLI_EXIT_OK;
  return cli_error(cmd, "stdout: write error: %s", e ? strerror(e) : "output lost");
}
