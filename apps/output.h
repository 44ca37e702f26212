/* output.h — the output discipline every rramsim command follows (issue 14):
 *   - every file is written to a temporary and renamed into place (bnn_atomic_open/commit, the
 *     libraries' writers); every write, flush and close is checked;
 *   - a command names each file and directory it will write (cli_output_claim) before writing,
 *     and each file it reads (cli_input_note): an output that is one of the inputs is refused
 *     before any work;
 *   - when the command fails, main() removes every claimed path that did not exist when it was
 *     claimed (cli_outputs_rollback): a failed run leaves nothing that looks like a result;
 *   - a file that is appended to (sweep's results) is locked (cli_output_lock_file): a second
 *     writer is refused instead of doubling every row;
 *   - stdout is flushed and checked before a successful exit (cli_stdout_check): results printed
 *     to a full disk are a failure. */
#ifndef RRAMSIM_OUTPUT_H
#define RRAMSIM_OUTPUT_H

#ifdef __cplusplus
extern "C" {
#endif

/* A file this invocation reads (opt: the option that named it, for messages). Returns 1, or prints
 * an error and returns 0 when it is one of the claimed outputs. */
int cli_input_note(const char *cmd, const char *opt, const char *path);

/* A file or directory this invocation writes. Returns 1, or prints
 * "rramsim <cmd>: <opt> <path>: is also an input (<opt2>); refusing to overwrite it" and returns 0.
 * NULL or empty paths are ignored (returns 1). */
int cli_output_claim(const char *cmd, const char *opt, const char *path);

/* Takes an exclusive lock on the file `path` that this process appends to (created empty if
 * absent) for the rest of the process. Returns 1, or prints "rramsim <cmd>: <opt> <path>: another
 * rramsim is writing into it (locked); wait for it to finish or use another directory" and
 * returns 0. */
int cli_output_lock_file(const char *cmd, const char *opt, const char *path);

/* Takes a shared lock on the existing file `path` that this process only reads, opened read-only
 * (so a read-only file can be locked), for the rest of the process: a writer holding
 * cli_output_lock_file's lock refuses it, and it refuses such a writer, with the same message.
 * Returns 1, or prints that message (or "<opt> <path>: cannot open: <reason>") and returns 0. */
int cli_input_lock_file(const char *cmd, const char *opt, const char *path);

/* Whether a new file can be created next to `path` (tried with a probe file, removed again): for
 * outputs written only after a long computation. Returns 1, or prints "rramsim <cmd>: <opt>
 * <path>: cannot create files in its directory: <reason>" and returns 0. */
int cli_output_probe(const char *cmd, const char *opt, const char *path);

/* After a failed command: removes the claimed paths that did not exist when claimed (directories
 * with their contents), newest first. Only in the process that claimed them (not in a forked
 * child). */
void cli_outputs_rollback(void);

/* Flushes stdout; on a write error prints "rramsim <cmd>: stdout: write error: <reason>" and
 * returns 1 (CLI_EXIT_FAIL), else 0. */
int cli_stdout_check(const char *cmd);

#ifdef __cplusplus
}
#endif
#endif /* RRAMSIM_OUTPUT_H */
