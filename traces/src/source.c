/* source.c — the trace player's request source: an access reader plus the clock, simulated times,
 * the capacity check and the recorded-config warning that every player needs. */
#include <stdio.h>
#include <string.h>

#include "io_impl.h"

struct rrt_source {
  rrt_access_reader *r;
  /* The clock period is clock_num / clock_den ps: (clock_ps, 1) or (10^6, clock_mhz). */
  uint64_t clock_num, clock_den;
  uint32_t clock_mhz;
  uint64_t capacity;
  rrt_address_map address_map;
  uint64_t mask; /* RRT_ADDRESS_MASK: 2^k - 1 with 2^k >= capacity */
  uint64_t prev_time_ps;
  uint64_t mapped;
  char first_mapped[RRT_PROV_MAX + 64];
  char warning[2 * RRT_PROV_MAX + 1200];
};

/* cycle x period in ps, rounded down; 0 and *ok = 0 when it does not fit 64 bits. */
static uint64_t cycles_to_ps(const rrt_source *s, uint64_t cycle, int *ok) {
  __extension__ typedef unsigned __int128 u128;
  const u128 t = (u128)cycle * s->clock_num / s->clock_den;
  *ok = t <= UINT64_MAX;
  return *ok ? (uint64_t)t : 0;
}

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
  if (p.clock_ps && p.clock_mhz) {
    rrt_source_close(s);
    return bnn_fail(BNN_E_ARG, "%s: give the trace clock as a period or a frequency, not both",
                    path);
  }
  s->clock_den = 1;
  s->clock_num = p.clock_ps ? p.clock_ps : prov->clock_ps;
  if (p.clock_mhz) {
    s->clock_num = 1000000;
    s->clock_den = p.clock_mhz;
    s->clock_mhz = p.clock_mhz;
  }
  if (!s->clock_num) {
    rrt_source_close(s);
    return bnn_fail(BNN_E_ARG,
                    "%s: the trace names no clock (no clock_ps in its header, as DRAMSys traces); "
                    "give the player's clock with --clock-mhz MHZ (DRAMSys's clkMhz) or "
                    "--clock-ps PS",
                    path);
  }
  if (p.address_map < 0 || p.address_map >= RRT_ADDRESS_MAP_COUNT) {
    rrt_source_close(s);
    return bnn_fail(BNN_E_ARG, "%s: unknown address map %d", path, (int)p.address_map);
  }
  s->capacity = p.capacity;
  s->address_map = p.address_map;
  s->mask = 0;
  if (p.capacity) {
    unsigned k = 0;
    while (k < 64 && (uint64_t)1 << k < p.capacity) ++k;
    s->mask = k >= 64 ? UINT64_MAX : ((uint64_t)1 << k) - 1;
  }
  /* Only a hash that differs is worth a warning: foreign (DRAMSys) traces carry none. */
  if (p.config_hash && *p.config_hash && *prov->config_hash) {
    if (strcmp(prov->config_hash, p.config_hash) != 0)
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
  return (s->clock_num + s->clock_den / 2) / s->clock_den;
}
uint32_t rrt_source_clock_mhz(const rrt_source *s) {
  return s->clock_mhz;
}
uint64_t rrt_source_mapped(const rrt_source *s) {
  return s->mapped;
}
const char *rrt_source_first_mapped(const rrt_source *s) {
  return s->first_mapped;
}
rrt_access_reader *rrt_source_reader(rrt_source *s) {
  return s->r;
}

bnn_status rrt_source_next(rrt_source *s, rrt_request *req, int *got) {
  bnn_status st = rrt_access_reader_next(s->r, &req->access, got);
  if (st || !*got) return st;
  rrt_access *a = &req->access;
  if (s->capacity && (a->address >= s->capacity || a->length > s->capacity - a->address)) {
    const uint64_t orig = a->address;
    if (s->address_map == RRT_ADDRESS_WRAP)
      a->address %= s->capacity;
    else if (s->address_map == RRT_ADDRESS_MASK)
      a->address &= s->mask;
    /* Mapped, it must fit: an access across the end, or into the hole of a capacity that is not
       a power of two (mask), is still an error. */
    if (a->address >= s->capacity || a->length > s->capacity - a->address) {
      *got = 0;
      return bnn_fail(
          BNN_E_RANGE,
          "%s: access at 0x%llx of %u bytes reaches past the memory capacity of %llu bytes",
          rrt_access_reader_where(s->r), (unsigned long long)orig, a->length,
          (unsigned long long)s->capacity);
    }
    if (!s->mapped++)
      snprintf(s->first_mapped, sizeof s->first_mapped, "%s", rrt_access_reader_where(s->r));
  }
  int ok;
  const uint64_t t = cycles_to_ps(s, a->cycle, &ok);
  if (!ok) {
    *got = 0;
    return bnn_fail(BNN_E_RANGE, "%s: cycle %llu of the trace clock overflows 64-bit picoseconds",
                    rrt_access_reader_where(s->r), (unsigned long long)a->cycle);
  }
  req->timing = rrt_access_reader_timing(s->r);
  req->time_ps = t;
  req->delay_ps = 0;
  if (req->timing == RRT_TIMING_RELATIVE) {
    /* .rstl deltas are never negative; a relative .rrt could be, if hand-made or corrupt. */
    if (t < s->prev_time_ps) {
      *got = 0;
      return bnn_fail(BNN_E_FORMAT, "%s: relative trace steps back in time (corrupt file)",
                      rrt_access_reader_where(s->r));
    }
    /* Differences of rounded absolute times: the delays of a MHz clock add up exactly. */
    req->delay_ps = t - s->prev_time_ps;
  }
  s->prev_time_ps = t;
  return BNN_OK;
}

void rrt_source_close(rrt_source *s) {
  if (!s) return;
  rrt_access_reader_close(s->r);
  bnn_free(s);
}
