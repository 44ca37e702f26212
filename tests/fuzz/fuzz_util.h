/* fuzz_util.h — shared by the libFuzzer harnesses: hands a fuzz input to loaders that take a path.
 */
#ifndef RRAMSIM_FUZZ_UTIL_H
#define RRAMSIM_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* The loaders take paths (and pick the format from the name), so each input goes to a per-process
 * file with the right suffix. Why not fmemopen: the public APIs open files themselves (and zlib
 * needs a real descriptor); a temp file keeps the harness on the exact code path users hit. The
 * directory is $TMPDIR (tmpfs on most systems, so this costs microseconds). */
static char fuzz_paths[4][512];

/* Removes the per-process files when libFuzzer exits normally (after -runs / -max_total_time),
 * so long runs leave nothing in $TMPDIR; a crash keeps the input as its artifact anyway. */
static inline void fuzz_cleanup(void) {
  for (int i = 0; i < 4; ++i)
    if (fuzz_paths[i][0]) remove(fuzz_paths[i]);
}

static inline const char *fuzz_path(int slot, const char *suffix) {
  static int registered;
  const char *dir = getenv("TMPDIR");
  if (!dir || !*dir) dir = "/tmp";
  if (!registered) registered = atexit(fuzz_cleanup) == 0;
  snprintf(fuzz_paths[slot & 3], sizeof fuzz_paths[0], "%s/rramsim-fuzz-%ld-%d%s", dir,
           (long)getpid(), slot, suffix);
  return fuzz_paths[slot & 3];
}

/* Writes data to path; returns 0 on success (a failure aborts: the harness cannot run). */
static inline void fuzz_write(const char *path, const uint8_t *data, size_t size) {
  FILE *f = fopen(path, "wb");
  if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
    perror(path);
    abort();
  }
}

#endif /* RRAMSIM_FUZZ_UTIL_H */
