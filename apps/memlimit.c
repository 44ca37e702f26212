/* memlimit.c — rramsim under an address-space limit (RLIMIT_AS, `ulimit -v`).
 *
 * What goes wrong without this file (issue 14): OpenBLAS starts one thread per CPU when it is
 * loaded and mmaps a 128 MiB GEMM buffer per thread when first used; when a buffer cannot be
 * mapped it retries forever, so a process under a limit hangs in training or even at exit
 * (`rramsim --version`). And below about 64 MiB, SystemC's static initialisation throws
 * std::bad_alloc before main: SIGABRT.
 *
 * What rramsim does instead (chosen: check the limit first, pin OpenBLAS's threads):
 *   - before any library initialises (.preinit_array): under a finite limit, a limit below
 *     CLI_MIN_ADDRESS_SPACE is refused with one line and exit 1, and OPENBLAS_NUM_THREADS is set
 *     to 1 when the user did not set it (by running itself again with it: the environment cannot
 *     be changed for the libraries from here), so loading OpenBLAS starts no thread that could
 *     fail;
 *   - cli_blas_reserve(), before training: the limit must leave room for one GEMM buffer per
 *     OpenBLAS thread above what the process already uses (else "out of memory", exit 1), and a
 *     small multi-threaded GEMM then makes OpenBLAS take its buffers at once, before the model and
 *     data allocations can use that room up. */
#include "memlimit.h"

#ifdef RRAMSIM_HAVE_BET
#include <cblas.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define MIB                   (1024ull * 1024ull)
/* Below this, the shared libraries cannot finish loading (measured: 48 MiB fails, 64 MiB runs
 * --version). */
#define CLI_MIN_ADDRESS_SPACE (64ull * MIB)
/* Per OpenBLAS thread: its 128 MiB GEMM buffer (OpenBLAS 0.3.21, x86-64 BUFFER_SIZE), its stack
 * and slack for the allocator's alignment. */
#define CLI_BLAS_PER_THREAD   (176ull * MIB)

static void write_err(const char *s) {
  size_t n = strlen(s);
  while (n) {
    const ssize_t w = write(2, s, n);
    if (w <= 0) return;
    s += w, n -= (size_t)w;
  }
}

static void cli_preinit(int argc, char **argv, char **envp) {
  (void)argc;
  struct rlimit rl;
  if (getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return;
  if ((unsigned long long)rl.rlim_cur < CLI_MIN_ADDRESS_SPACE) {
    char msg[256];
    snprintf(msg, sizeof msg,
             "rramsim: out of memory: the address-space limit (ulimit -v) of %llu MiB is below "
             "the %llu MiB rramsim needs to load its libraries\n",
             (unsigned long long)rl.rlim_cur / MIB, CLI_MIN_ADDRESS_SPACE / MIB);
    write_err(msg);
    _exit(1);
  }
  /* setenv() here would not last (libc's own initialiser, which runs after this, sets environ
   * back to the original array): run again with the variable in the environment instead. */
  static const char kVar[] = "OPENBLAS_NUM_THREADS=";
  static char *env[4096];
  size_t n = 0;
  for (char **e = envp; e && *e; ++e) {
    if (!strncmp(*e, kVar, sizeof kVar - 1)) return; /* the user's (or our first run's) choice */
    if (n + 2 >= sizeof env / sizeof env[0]) return;
    env[n++] = *e;
  }
  static char one[] = "OPENBLAS_NUM_THREADS=1";
  env[n++] = one;
  env[n] = NULL;
  execve("/proc/self/exe", argv, env); /* on failure: carry on as before */
}

/* Runs before every shared library's initialiser (OpenBLAS's starts its threads, SystemC's
 * allocates): only executables have a .preinit_array. */
__attribute__((section(".preinit_array"),
               used)) static void (*const cli_preinit_entry)(int, char **, char **) = cli_preinit;

/* Bytes of address space this process maps now (/proc/self/statm, first field), or 0. */
static unsigned long long mapped_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  unsigned long long pages = 0;
  if (f) {
    if (fscanf(f, "%llu", &pages) != 1) pages = 0;
    fclose(f);
  }
  return pages * (unsigned long long)sysconf(_SC_PAGESIZE);
}

#ifdef RRAMSIM_HAVE_BET
int cli_blas_reserve(const char *cmd, int threads) {
  if (threads < 1) threads = 1;
  struct rlimit rl;
  if (getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 1;
  const unsigned long long limit = rl.rlim_cur, used = mapped_bytes();
  const unsigned long long need = used + (unsigned long long)threads * CLI_BLAS_PER_THREAD;
  if (need > limit) {
    fprintf(stderr,
            "rramsim %s: out of memory: the address-space limit (ulimit -v) of %llu MiB leaves "
            "%llu MiB, and OpenBLAS needs %llu MiB per thread (%d) for its buffers\n",
            cmd, limit / MIB, used < limit ? (limit - used) / MIB : 0, CLI_BLAS_PER_THREAD / MIB,
            threads);
    return 0;
  }
  /* Large enough for OpenBLAS to split it over every thread (m·n·k above its 2^18 threshold). */
  enum { N = 256 };
  float *a = (float *)calloc(3 * (size_t)N * N, sizeof *a);
  if (!a) {
    fprintf(stderr, "rramsim %s: out of memory\n", cmd);
    return 0;
  }
  openblas_set_num_threads(threads);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1.0f, a, N, a + N * N, N, 0.0f,
              a + 2 * N * N, N);
  free(a);
  return 1;
}
#endif /* RRAMSIM_HAVE_BET */
