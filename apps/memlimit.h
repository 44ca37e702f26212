/* memlimit.h — rramsim under an address-space limit (ulimit -v, RLIMIT_AS): start-up check,
 * OpenBLAS's buffers, and "out of memory" instead of an abort. */
#ifndef RRAMSIM_MEMLIMIT_H
#define RRAMSIM_MEMLIMIT_H

#ifdef __cplusplus
extern "C" {
#endif

/* Before OpenBLAS first needs its buffers (training): under a finite RLIMIT_AS, checks that the
 * address space left holds a GEMM buffer for each of `threads` OpenBLAS threads, and makes
 * OpenBLAS take them now, before the model's and data's allocations. OpenBLAS retries a failed
 * buffer allocation forever, so this is the only point where a too-small limit can still be an
 * error. Returns 1, or prints "rramsim <cmd>: out of memory: ..." and returns 0. */
int cli_blas_reserve(const char *cmd, int threads);

/* Installs the handler that turns an uncaught std::bad_alloc (any command, any thread) into
 * "rramsim <cmd>: out of memory" and exit 1 instead of SIGABRT (oom.cpp). */
void cli_install_oom_handler(const char *cmd);

#ifdef __cplusplus
}
#endif
#endif /* RRAMSIM_MEMLIMIT_H */
