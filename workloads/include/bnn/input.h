/* bnn/input.h — the one way every rramsim reader opens an input file: regular files only, checked
 * on the opened descriptor before the first read, with an optional size cap. */
#ifndef BNN_INPUT_H
#define BNN_INPUT_H

#include <stdint.h>
#include <stdio.h>

#include "bnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Size caps for text inputs read whole (configs, experiment files, measured-point CSVs): far above
 * any real one, low enough that a wrong file is refused before it is read. */
#define BNN_INPUT_TEXT_MAX (16ull << 20) /* 16 MiB */

/* Opens `path` for reading without blocking (a FIFO with no writer, a terminal), then requires a
 * regular file (fstat on the descriptor, so nothing can be swapped in between) of at most
 * max_bytes (0: no cap), and puts the descriptor back into blocking mode. Returns BNN_OK with *fd
 * (and *size, may be NULL); else BNN_E_IO ("<path>: cannot open: <reason>", "<path>: is a
 * directory, not a regular file", "<path>: is a FIFO (named pipe), not a regular file", "... a
 * character device ...") or BNN_E_RANGE ("<path>: <n> bytes, more than the <cap> accepted for this
 * input").
 */
bnn_status bnn_input_open(const char *path, uint64_t max_bytes, int *fd, uint64_t *size);

/* The same, as a stdio stream opened with mode "rb". */
bnn_status bnn_input_fopen(const char *path, uint64_t max_bytes, FILE **out, uint64_t *size);

/* The same check without opening: BNN_OK when `path` names a regular file (or does not exist, so
 * that the caller's own open reports that); for readers whose open is a library's (zlib). */
bnn_status bnn_input_check(const char *path, uint64_t max_bytes);

/* The file type of st_mode in words, for messages: "regular file", "directory", "FIFO (named
 * pipe)", "character device", "block device", "socket", "symbolic link" or "special file". */
const char *bnn_file_kind(unsigned mode);

#ifdef __cplusplus
}
#endif
#endif /* BNN_INPUT_H */
