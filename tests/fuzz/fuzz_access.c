/* fuzz_access.c — libFuzzer harness for the access-trace readers; FUZZ_SUFFIX (".stl", ".rstl",
 * ".rrt") picks the format by file name, as users do. */
#include "rrtrace/trace.h"
#include "fuzz_util.h"

#ifndef FUZZ_SUFFIX
#error "define FUZZ_SUFFIX"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_path(0, FUZZ_SUFFIX);
  rrt_access_read_params p = rrt_access_read_default_params();
  rrt_access_reader *r = NULL;
  fuzz_write(path, data, size);
  /* Both the strict and the skip-bad path, chosen by the input so a crash reproduces. */
  p.skip_bad = (int)(size & 1);
  if (rrt_access_reader_open(path, &p, &r) != BNN_OK) return 0;
  for (;;) {
    rrt_access rec;
    int got = 0;
    if (rrt_access_reader_next(r, &rec, &got) != BNN_OK || !got) break;
    if (rec.has_data && rec.length) {
      volatile uint8_t last = rec.data[rec.length - 1]; /* the whole buffer must be readable */
      (void)last;
    }
    (void)rrt_access_reader_where(r);
  }
  (void)rrt_access_reader_provenance(r);
  rrt_access_reader_close(r);
  return 0;
}
