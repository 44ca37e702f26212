/* bnn/durable.h — putting a finished file in place so that it survives a power cut, not only a
 * kill. */
#ifndef BNN_DURABLE_H
#define BNN_DURABLE_H

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

#ifdef __cplusplus
}
#endif
#endif /* BNN_DURABLE_H */
