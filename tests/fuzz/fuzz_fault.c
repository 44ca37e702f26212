/* fuzz_fault.c — libFuzzer harness for the fault-trace CSV reader (rrt_fault_reader). */
#include "rrtrace/trace.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_path(0, ".csv");
  rrt_fault_reader *r = NULL;
  fuzz_write(path, data, size);
  if (rrt_fault_reader_open(path, (int)(size & 1), &r) != BNN_OK) return 0;
  for (;;) {
    rrt_fault f;
    int got = 0;
    if (rrt_fault_reader_next(r, &f, &got) != BNN_OK || !got) break;
  }
  (void)rrt_fault_reader_check_model(r, "crc32:00000000");
  rrt_fault_reader_close(r);
  return 0;
}
