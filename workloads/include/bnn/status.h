/* bnn/status.h — status codes, per-thread error detail and the allocator hook of libbnn. */
#ifndef BNN_STATUS_H
#define BNN_STATUS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Fallible calls return a status: 0 = ok, negative = error. bnn_errmsg() then holds one line
 * naming the file (or object) and the problem, e.g. "m.bnn: section 2: CRC mismatch". */
typedef enum bnn_status {
  BNN_OK = 0,
  BNN_E_ARG = -1,         /* invalid argument (out of range, NULL where not allowed) */
  BNN_E_NOMEM = -2,       /* an allocation failed */
  BNN_E_IO = -3,          /* open/read/write/rename failed */
  BNN_E_FORMAT = -4,      /* malformed file: bad magic, truncated, inconsistent sizes */
  BNN_E_VERSION = -5,     /* unsupported format version */
  BNN_E_CRC = -6,         /* checksum mismatch */
  BNN_E_RANGE = -7,       /* a size or count outside the accepted bounds, or an overflow */
  BNN_E_SHAPE = -8,       /* data or layer shapes do not fit together */
  BNN_E_PORT = -9,        /* the memory port failed a read or write */
  BNN_E_UNSUPPORTED = -10 /* valid request this build cannot serve (e.g. missing CPU feature) */
} bnn_status;

#define BNN_STATUS_COUNT 11

/* Short fixed name of a status ("ok", "out of memory", ...). Never NULL. */
const char *bnn_status_str(bnn_status s);

/* Detail of the last error raised on this thread; "" if none. */
const char *bnn_errmsg(void);

/* Records a formatted detail message for this thread and returns s (for `return bnn_fail(...)`). */
bnn_status bnn_fail(bnn_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* All heap memory of libbnn (and of the libraries built on it) goes through one hook, so a test can
 * make the n-th allocation fail and check that every error path frees what it took. */
typedef struct bnn_allocator {
  void *(*alloc)(void *ud, size_t size);              /* like malloc */
  void *(*realloc)(void *ud, void *ptr, size_t size); /* like realloc */
  void (*free)(void *ud, void *ptr);                  /* like free; ptr may be NULL */
  void *ud;
} bnn_allocator;

/* Installs a process-wide allocator (NULL restores libc). Not thread-safe: call at start-up. */
void bnn_set_allocator(const bnn_allocator *a);

void *bnn_malloc(size_t size);
void *bnn_calloc(size_t n, size_t size); /* overflow-checked */
void *bnn_realloc(void *ptr, size_t size);
void bnn_free(void *ptr);
/* 64-byte aligned (cache line / AVX-512), freed with bnn_free_aligned. */
void *bnn_malloc_aligned(size_t size);
void bnn_free_aligned(void *ptr);

#ifdef __cplusplus
}
#endif
#endif /* BNN_STATUS_H */
