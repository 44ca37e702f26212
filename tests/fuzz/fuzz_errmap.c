/* fuzz_errmap.c — libFuzzer harness for the measured error-map CSV reader (rrt_errmap_reader). */
#include "rrtrace/trace.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_path(0, ".csv");
  rrt_errmap_reader *r = NULL;
  fuzz_write(path, data, size);
  if (rrt_errmap_reader_open(path, (int)(size & 1), &r) != BNN_OK) return 0;
  for (;;) {
    rrt_cell c;
    int got = 0;
    if (rrt_errmap_reader_next(r, &c, &got) != BNN_OK || !got) break;
  }
  rrt_errmap_reader_close(r);
  return 0;
}
