/* fuzz_fault.c — libFuzzer harness for the fault-trace CSV reader (rrt_fault_reader) and its JSON
 * sidecar: an input starting with '{' is the sidecar of a small valid trace, anything else the
 * trace itself (without a sidecar). */
#include <stdio.h>
#include <string.h>

#include "rrtrace/trace.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char kTrace[] =
      "time_ps,address,bit,kind,old,new,layer,neuron,weight,access\n"
      "1,0x10,3,read,0,1,-1,-1,-1,7\n";
  const char *path = fuzz_path(0, ".csv");
  /* The sidecar's name is the trace's plus ".meta.json"; slot 2 so that exit removes it. */
  char *side = fuzz_paths[2];
  snprintf(side, sizeof fuzz_paths[2], "%s" RRT_SIDECAR_SUFFIX, path);
  rrt_fault_reader *r = NULL;
  if (size && data[0] == '{') {
    fuzz_write(path, (const uint8_t *)kTrace, sizeof kTrace - 1);
    fuzz_write(side, data, size);
  } else {
    remove(side);
    fuzz_write(path, data, size);
  }
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
