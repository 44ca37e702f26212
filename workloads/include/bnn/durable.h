/* bnn/durable.h — the one way rramsim writes an output file: to a temporary next to it, then moved
 * into place so that it survives a kill and a power cut; and creating the folders it goes in. */
#ifndef BNN_DURABLE_H
#define BNN_DURABLE_H

#include <stddef.h>
#include <stdio.h>

#include "bnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Moves the complete, closed temporary file `tmp` over `path` (POSIX), in three steps:
 *   1. fsync(tmp): its data reaches the disk before its new name does. Without it a power cut
 *      can leave `path` naming an empty or partial file (delayed allocation on ext4, XFS).
 *   2. rename(tmp, path): atomic, so readers (and a kill -9) see the old file or the new one.
 *   3. fsync of path's directory: the rename itself reaches the disk; without it a power cut can
 *      bring the old file back. A file system that cannot sync directories (EINVAL) is accepted.
 * `tmp` must be in path's directory (rename does not cross file systems; step 3 syncs only one).
 * Returns BNN_OK or BNN_E_IO (BNN_E_NOMEM, BNN_E_ARG) with bnn_errmsg() naming the file and the
 * failed step ("<tmp>: cannot sync to disk: <reason>", "<path>: cannot rename <tmp> into place:
 * <reason>", "<path>: cannot sync directory <dir>: <reason>") and errno kept from the failed call.
 * After a failure in step 1 or 2, `tmp` is left for the caller to remove and `path` is as it was;
 * after a failure in step 3, `path` already names the new file but may not survive a power cut. */
bnn_status bnn_rename_durable(const char *tmp, const char *path);

/* Writers that name their temporary PATH.tmp.<pid> leave it behind when killed between creating it
 * and the rename, and the next writer has another pid. This removes every PATH.tmp.<digits> in
 * path's directory whose process no longer exists (kill(pid, 0) fails with ESRCH); a live pid's
 * file — a concurrent writer, or a reused pid — is kept. Best effort: errors are ignored and errno
 * is preserved. Call it before creating one's own temporary. */
void bnn_remove_stale_temps(const char *path);

/* ---- Atomic output files: open, write, commit (or abort) ----
 * A file is never seen half-written under its final name: bnn_atomic_open creates PATH.tmp.<pid>
 * in PATH's directory (after bnn_remove_stale_temps(PATH)), the caller writes to af->f, and
 * bnn_atomic_commit flushes, closes and moves it over PATH with bnn_rename_durable. Every failure
 * removes the temporary and leaves PATH as it was (or, after a failed directory sync, already
 * new). */
typedef struct bnn_atomic_file {
  FILE *f;    /* write the content here (binary mode) */
  char *tmp;  /* PATH.tmp.<pid>; owned */
  char *path; /* the final name; owned */
} bnn_atomic_file;

/* Returns BNN_OK with af->f open, or BNN_E_IO ("<path>: cannot create <tmp>: <reason>", errno
 * kept), BNN_E_NOMEM, BNN_E_ARG (NULL or empty path) with *af zeroed. */
bnn_status bnn_atomic_open(bnn_atomic_file *af, const char *path);

/* Flushes and closes af->f and renames the temporary over the final name (bnn_rename_durable). A
 * write error seen on the stream, or a failed flush or close, is "<path>: write failed: <reason>"
 * (BNN_E_IO, errno kept); a failed rename or sync is bnn_rename_durable's message. The temporary
 * is removed on any failure; *af is released (zeroed) in every case. A zeroed *af (a failed open)
 * gives BNN_E_ARG. */
bnn_status bnn_atomic_commit(bnn_atomic_file *af);

/* Gives up: closes af->f, removes the temporary, releases *af; the final name is untouched. Safe
 * on a zeroed *af. errno is preserved. */
void bnn_atomic_abort(bnn_atomic_file *af);

/* The whole of `data` (n bytes) as the file `path`, through bnn_atomic_open/commit; same messages.
 */
bnn_status bnn_write_file_atomic(const char *path, const void *data, size_t n);

/* `mkdir -p`: creates `dir` and its missing parents (mode 0777 before the umask). BNN_OK when dir
 * is a directory at the end (it may have existed); otherwise BNN_E_IO with "<dir>: cannot create
 * directory: <reason>" (the failing component's reason, errno kept; "Not a directory" when a
 * component is a file), BNN_E_ARG for a NULL or empty dir. */
bnn_status bnn_mkdirs(const char *dir);

#ifdef __cplusplus
}
#endif
#endif /* BNN_DURABLE_H */
