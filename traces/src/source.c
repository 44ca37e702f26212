/* source.c — the trace player's request source: an access reader plus the clock, simulated times,
 * the capacity check and the recorded-config warning that every player needs. */
#include <stdio.h>
#include <string.h>

#include "io_impl.h"

struct rrt_source {
  rrt_access_reader *r;
  uint64_t clock_ps;
  uint64_t capacity;
  uint64_t prev_cycle;
  int have_prev;
  char warning[2 * RRT_PROV_MAX + 1200];
};

rrt_source_params rrt_source_default_params(void) {
  rrt_source_params p;
  memset(&p, 0, sizeof p);
  p.read = rrt_access_read_default_params();
  return p;
}

bnn_status rrt_source_open(const char *path, const rrt_source_params *params, rrt_source **out) {
  if (!out || !path) return bnn_fail(BNN_E_ARG, "rrt_source_open: NULL argument");
  *out = NULL;
  rrt_source_params p = params ? *params : rrt_source_default_params();
  rrt_source *s = (rrt_source *)bnn_calloc(1, sizeof *s);
  if (!s) return bnn_fail(BNN_E_NOMEM, "%s: out of memory", path);
  bnn_status st = rrt_access_reader_open(path, &p.read, &s->r);
  if (st) {
    bnn_free(s);
    return st;
  }
  const rrt_provenance *prov = rrt_access_reader_provenance(s->r);
  /* The caller's clock wins: replaying at another clock is a legitimate experiment. */
  s->clock_ps = p.clock_ps ? p.clock_ps : prov->clock_ps;
  if (!s->clock_ps) {
    rrt_source_close(s);
    return bnn_fail(BNN_E_ARG,
                    "%s: the trace names no clock (no clock_ps in its header); give the player's "
                    "clock period",
                    path);
  }
  s->capacity = p.capacity;
  if (p.config_hash && *p.config_hash) {
    if (!*prov->config_hash)
      snprintf(s->warning, sizeof s->warning,
               "%s: the trace names no config_hash; cannot tell which config recorded it", path);
    else if (strcmp(prov->config_hash, p.config_hash) != 0)
      snprintf(s->warning, sizeof s->warning,
               "%s: recorded with config_hash '%s', replaying with '%s'", path, prov->config_hash,
               p.config_hash);
  }
  *out = s;
  return BNN_OK;
}

const char *rrt_source_warning(const rrt_source *s) {
  return s->warning;
}
uint64_t rrt_source_clock_ps(const rrt_source *s) {
  return s->clock_ps;
}
rrt_access_reader *rrt_source_reader(rrt_source *s) {
  return s->r;
}

bnn_status rrt_source_next(rrt_source *s, rrt_request *req, int *got) {
  bnn_status st = rrt_access_reader_next(s->r, &req->access, got);
  if (st || !*got) return st;
  const rrt_access *a = &req->access;
  if (s->capacity && (a->address >= s->capacity || a->length > s->capacity - a->address)) {
    *got = 0;
    return bnn_fail(
        BNN_E_RANGE,
        "%s: access at 0x%llx of %u bytes reaches past the memory capacity of %llu bytes",
        rrt_access_reader_where(s->r), (unsigned long long)a->address, a->length,
        (unsigned long long)s->capacity);
  }
  if (a->cycle > UINT64_MAX / s->clock_ps) {
    *got = 0;
    return bnn_fail(BNN_E_RANGE, "%s: cycle %llu x %llu ps overflows 64-bit picoseconds",
                    rrt_access_reader_where(s->r), (unsigned long long)a->cycle,
                    (unsigned long long)s->clock_ps);
  }
  req->timing = rrt_access_reader_timing(s->r);
  req->time_ps = a->cycle * s->clock_ps;
  req->delay_ps = 0;
  if (req->timing == RRT_TIMING_RELATIVE) {
    /* .rstl deltas are never negative; a relative .rrt could be, if hand-made or corrupt. */
    if (s->have_prev && a->cycle < s->prev_cycle) {
      *got = 0;
      return bnn_fail(BNN_E_FORMAT, "%s: relative trace steps back in time (corrupt file)",
                      rrt_access_reader_where(s->r));
    }
    uint64_t delta = s->have_prev ? a->cycle - s->prev_cycle : a->cycle;
    req->delay_ps = delta * s->clock_ps;
  }
  s->prev_cycle = a->cycle;
  s->have_prev = 1;
  return BNN_OK;
}

void rrt_source_close(rrt_source *s) {
  if (!s) return;
  rrt_access_reader_close(s->r);
  bnn_free(s);
}
