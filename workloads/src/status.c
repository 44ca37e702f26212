/* status.c — status names, the per-thread error detail and the allocator hook. */
#include "bnn/status.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[BNN_STATUS_COUNT] = {
    [0] = "ok",
    [-BNN_E_ARG] = "invalid argument",
    [-BNN_E_NOMEM] = "out of memory",
    [-BNN_E_IO] = "I/O error",
    [-BNN_E_FORMAT] = "malformed file",
    [-BNN_E_VERSION] = "unsupported version",
    [-BNN_E_CRC] = "checksum mismatch",
    [-BNN_E_RANGE] = "value out of range",
    [-BNN_E_SHAPE] = "shape mismatch",
    [-BNN_E_PORT] = "memory port error",
    [-BNN_E_UNSUPPORTED] = "unsupported",
};
_Static_assert(sizeof status_names / sizeof status_names[0] == BNN_STATUS_COUNT,
               "status_names must cover every bnn_status");

const char *bnn_status_str(bnn_status s) {
  int i = -(int)s;
  if (i < 0 || i >= BNN_STATUS_COUNT || !status_names[i]) return "unknown status";
  return status_names[i];
}

static _Thread_local char errbuf[512];

const char *bnn_errmsg(void) {
  return errbuf;
}

bnn_status bnn_fail(bnn_status s, const char *fmt, ...) {
  /* Format into a local buffer first: callers may pass bnn_errmsg() itself as an argument to add
   * context ("file: %s"), and vsnprintf must not read the buffer it is writing. */
  char tmp[sizeof errbuf];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  memcpy(errbuf, tmp, sizeof errbuf);
  return s;
}

/* ---- allocator hook ---- */

static void *libc_alloc(void *ud, size_t size) {
  (void)ud;
  return malloc(size);
}
static void *libc_realloc(void *ud, void *p, size_t size) {
  (void)ud;
  return realloc(p, size);
}
static void libc_free(void *ud, void *p) {
  (void)ud;
  free(p);
}

static bnn_allocator allocator = {libc_alloc, libc_realloc, libc_free, NULL};

void bnn_set_allocator(const bnn_allocator *a) {
  if (a) {
    allocator = *a;
  } else {
    allocator.alloc = libc_alloc;
    allocator.realloc = libc_realloc;
    allocator.free = libc_free;
    allocator.ud = NULL;
  }
}

void *bnn_malloc(size_t size) {
  return allocator.alloc(allocator.ud, size ? size : 1);
}

void *bnn_calloc(size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) return NULL;
  size_t bytes = n * size;
  void *p = bnn_malloc(bytes);
  if (p && bytes) memset(p, 0, bytes);
  return p;
}

void *bnn_realloc(void *ptr, size_t size) {
  return allocator.realloc(allocator.ud, ptr, size ? size : 1);
}

void bnn_free(void *ptr) {
  if (ptr) allocator.free(allocator.ud, ptr);
}

/* Aligned blocks over the hook: over-allocate, align, and keep the raw pointer just below. */
void *bnn_malloc_aligned(size_t size) {
  const size_t align = 64;
  if (size > SIZE_MAX - align - sizeof(void *)) return NULL;
  unsigned char *raw = (unsigned char *)bnn_malloc(size + align + sizeof(void *));
  if (!raw) return NULL;
  uintptr_t p = ((uintptr_t)(raw + sizeof(void *)) + align - 1) & ~(uintptr_t)(align - 1);
  memcpy((unsigned char *)p - sizeof(void *), &raw, sizeof raw);
  return (void *)p;
}

void bnn_free_aligned(void *ptr) {
  if (!ptr) return;
  void *raw;
  memcpy(&raw, (unsigned char *)ptr - sizeof(void *), sizeof raw);
  bnn_free(raw);
}
