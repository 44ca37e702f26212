/* rrtrace/trace.h — libtrace: streaming readers/writers for access traces, fault traces and
 * measured error maps. Every format is specified line by line / byte by byte in traces/README.md.
 *
 * Design for the simulator's callbacks and the trace player: opaque handles, one record per call,
 * constant memory (one reusable line/record buffer per handle), status-returning constructors with
 * out-pointers, errors as bnn_status + bnn_errmsg() naming the file and line. All heap memory goes
 * through bnn_malloc/bnn_free. Writers write to a temporary file next to the target and rename it
 * on a successful close, so a failed or aborted run never leaves a half-written trace behind.
 * Names ending in ".gz" are gzip-compressed on write and must be gzip on read (zlib).
 *
 * Prefixes: rrt_prov_ (provenance header), rrt_access_ (access traces), rrt_source_ (trace-player
 * request source), rrt_fault_ (fault traces), rrt_errmap_ (measured error maps). */
#ifndef RRTRACE_TRACE_H
#define RRTRACE_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "bnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------ */
/* Provenance: what produced a file. Writers put it in the header; readers hand it back.       */

/* CSV files (fault traces, error maps) carry their provenance in a sidecar named
 * <file> RRT_SIDECAR_SUFFIX ("faults.csv.gz" -> "faults.csv.gz.meta.json"), written with the file,
 * so that the CSV itself is one header row and data (pandas.read_csv(path) reads it as is). */
#define RRT_SIDECAR_SUFFIX ".meta.json"

/* Longest provenance value kept (longer values are truncated on read and refused on write). */
#define RRT_PROV_MAX 255

typedef struct rrt_provenance {
  const char *tool;        /* tool and version, e.g. "rramsim 0.1.0+g1234abc"; NULL = "" */
  const char *config_hash; /* hash of the resolved config, e.g. "fnv1a64:9f0c..."; NULL = "" */
  const char *seed;        /* the run's seed as text; NULL = "" */
  const char *model_id;    /* identity of the BNN model (e.g. "crc32:1a2b3c4d"); fault traces */
  uint64_t clock_ps; /* access traces: period of the clock whose cycles time counts; 0 = unknown */
} rrt_provenance;

/* Which fields differ between what a file says and what the caller expected (bit mask). Empty
 * expected fields are not compared. */
enum {
  RRT_PROV_TOOL = 1,
  RRT_PROV_CONFIG_HASH = 2,
  RRT_PROV_SEED = 4,
  RRT_PROV_MODEL_ID = 8,
  RRT_PROV_CLOCK = 16
};

/* Compares `file` against `expected` on the fields in `mask`; returns the mismatching bits and, if
 * msg is non-NULL, writes one line naming the first mismatch ("config_hash: file says 'a', expected
 * 'b'"). Used by callers to warn (config) or refuse (model) — the policy is theirs. */
unsigned rrt_prov_compare(const rrt_provenance *file, const rrt_provenance *expected, unsigned mask,
                          char *msg, size_t msg_size);

/* ------------------------------------------------------------------------------------------ */
/* Access traces                                                                              */

typedef enum rrt_format {
  RRT_FORMAT_AUTO = 0, /* from the file name: .stl, .rstl, .rrt (each optionally + .gz) */
  RRT_FORMAT_STL,      /* DRAMSys STL text, absolute cycles */
  RRT_FORMAT_RSTL,     /* DRAMSys STL text, each time relative to the previous record */
  RRT_FORMAT_BIN,      /* rramsim compact binary (.rrt) */
  RRT_FORMAT_COUNT
} rrt_format;

/* Short name ("auto", "stl", "rstl", "bin"); never NULL. */
const char *rrt_format_str(rrt_format f);
/* Format implied by a file name (ignoring a trailing ".gz"); RRT_FORMAT_AUTO if none. */
rrt_format rrt_format_from_name(const char *path);

/* How a player times the records. ABSOLUTE: issue each at its cycle (if the player is behind,
 * at once). RELATIVE (DRAMSys 5 StlPlayer semantics): issue each (cycle - previous cycle) cycles
 * after the previous request was *issued* (not completed: the player does not wait for the
 * response; in AT mode a request still waits for a free slot). .stl is absolute, .rstl relative;
 * .rrt says which in its header (flag bit 0), so converting between them keeps the meaning. */
typedef enum rrt_timing {
  RRT_TIMING_ABSOLUTE = 0,
  RRT_TIMING_RELATIVE = 1,
  RRT_TIMING_COUNT
} rrt_timing;
const char *rrt_timing_str(rrt_timing t); /* "absolute", "relative" */

typedef enum rrt_cmd { RRT_CMD_READ = 0, RRT_CMD_WRITE = 1, RRT_CMD_COUNT } rrt_cmd;
const char *rrt_cmd_str(rrt_cmd c); /* "read", "write" */

/* Largest transaction a record may carry (bytes). */
#define RRT_MAX_LENGTH 65536u

/* One memory access. Time is in cycles of the trace clock (provenance clock_ps gives its period;
 * DRAMSys calls it the player clock). Readers always return the absolute cycle, also for relative
 * (.rstl) files, where it is the running sum of the deltas. */
typedef struct rrt_access {
  uint64_t cycle;
  uint64_t address; /* byte address */
  uint32_t length;  /* bytes, 1..RRT_MAX_LENGTH */
  rrt_cmd cmd;
  int has_data;        /* 0: data unknown (a DRAMSys "write" with no data: contents unspecified) */
  const uint8_t *data; /* length bytes, data[0] at `address`; reader-owned until the next call */
} rrt_access;

typedef struct rrt_access_read_params {
  rrt_format format;       /* RRT_FORMAT_AUTO: from the file name */
  uint32_t default_length; /* length of text records without "(n)" and without data; default 64 */
  int skip_bad;            /* text: count and skip malformed lines instead of failing; default 0 */
} rrt_access_read_params;

rrt_access_read_params rrt_access_read_default_params(void);

typedef struct rrt_access_reader rrt_access_reader;

bnn_status rrt_access_reader_open(const char *path, const rrt_access_read_params *params,
                                  rrt_access_reader **out);
/* Next record into *rec; *got = 1, or *got = 0 at the end (the binary trailer is verified then).
 * On error the reader stays in the error state (every later call returns the same status). */
bnn_status rrt_access_reader_next(rrt_access_reader *r, rrt_access *rec, int *got);
const rrt_provenance *rrt_access_reader_provenance(const rrt_access_reader *r);
rrt_format rrt_access_reader_format(const rrt_access_reader *r);
uint64_t rrt_access_reader_records(const rrt_access_reader *r);        /* returned so far */
uint64_t rrt_access_reader_bad_lines(const rrt_access_reader *r);      /* skipped (skip_bad) */
uint64_t rrt_access_reader_first_bad_line(const rrt_access_reader *r); /* 0 = none */
rrt_timing rrt_access_reader_timing(const rrt_access_reader *r);
/* Bytes of the file read so far (compressed bytes for .gz; runs up to a buffer ahead of the
 * records returned): with the file size, a progress figure for traces of unknown length. */
uint64_t rrt_access_reader_input_offset(const rrt_access_reader *r);
/* Where the last record came from, for messages: "run.stl:123" (text: line) or
 * "run.rrt: record 123" (binary). Valid until the next call. */
const char *rrt_access_reader_where(rrt_access_reader *r);
void rrt_access_reader_close(rrt_access_reader *r);

typedef struct rrt_access_write_params {
  rrt_format format;   /* RRT_FORMAT_AUTO: from the file name */
  rrt_provenance prov; /* written into the header */
  int gzip_level; /* 1..9 for ".gz" names; default 1 (fast: traces are written on the hot path) */
  rrt_timing timing; /* binary only (text formats imply theirs): recorded in the header */
} rrt_access_write_params;

rrt_access_write_params rrt_access_write_default_params(void);

typedef struct rrt_access_writer rrt_access_writer;

bnn_status rrt_access_writer_open(const char *path, const rrt_access_write_params *params,
                                  rrt_access_writer **out);
/* Appends one record (copied; rec->data is not kept). Relative text (.rstl) refuses a record
 * earlier than its predecessor (it cannot express negative deltas). */
bnn_status rrt_access_writer_put(rrt_access_writer *w, const rrt_access *rec);
uint64_t rrt_access_writer_records(const rrt_access_writer *w);
/* Finishes the file (binary: trailer with count and CRC), closes and renames it into place. Frees
 * w in every case; on error nothing is left at the target path. */
bnn_status rrt_access_writer_close(rrt_access_writer *w);
/* Discards everything written so far and frees w. */
void rrt_access_writer_abort(rrt_access_writer *w);

/* ------------------------------------------------------------------------------------------ */
/* Trace-player request source: an access reader plus what every player checks and computes —   */
/* the clock, simulated times, the memory capacity and the config the trace was recorded with.  */

/* What to do with an access at or past the capacity (a trace from a bigger memory). */
typedef enum rrt_address_map {
  RRT_ADDRESS_ERROR = 0, /* an error naming the record (default) */
  RRT_ADDRESS_WRAP = 1,  /* address modulo the capacity */
  RRT_ADDRESS_MASK = 2,  /* only the address bits a 2^k >= capacity memory decodes (DRAMSys) */
  RRT_ADDRESS_MAP_COUNT
} rrt_address_map;

typedef struct rrt_source_params {
  rrt_access_read_params read;
  /* Trace clock, as a period in ps or a frequency in MHz (DRAMSys's clkMhz); at most one
     non-zero. Both 0 = the trace header's clock_ps (error if it has none). */
  uint64_t clock_ps;
  uint32_t clock_mhz;
  uint64_t capacity; /* memory size in bytes: an access reaching past it is an error; 0 = off */
  rrt_address_map address_map; /* accesses beyond the capacity, when capacity is set */
  const char *config_hash;     /* the replaying config's hash; a trace naming another one gives a
                                  warning (rrt_source_warning); NULL or "" = no check; a trace that
                                  names none gives none */
} rrt_source_params;

rrt_source_params rrt_source_default_params(void);

typedef struct rrt_request {
  rrt_access access; /* as read; data valid until the next call */
  rrt_timing timing;
  uint64_t time_ps;  /* access.cycle x clock: ABSOLUTE -> issue at this simulated time */
  uint64_t delay_ps; /* RELATIVE -> issue this long after the previous request was issued
                        (DRAMSys 5's StlPlayer); 0 for ABSOLUTE */
} rrt_request;

typedef struct rrt_source rrt_source;

bnn_status rrt_source_open(const char *path, const rrt_source_params *params, rrt_source **out);
/* "" or one line to show the user, e.g. "run.rrt: recorded with config_hash 'a', replaying 'b'". */
const char *rrt_source_warning(const rrt_source *s);
bnn_status rrt_source_next(rrt_source *s, rrt_request *req, int *got);
uint64_t rrt_source_clock_ps(const rrt_source *s);  /* rounded when given in MHz */
uint32_t rrt_source_clock_mhz(const rrt_source *s); /* 0 unless given in MHz */
/* Accesses mapped into the capacity (address_map wrap or mask) so far, and where the first was
   ("run.stl:3"; "" if none). */
uint64_t rrt_source_mapped(const rrt_source *s);
const char *rrt_source_first_mapped(const rrt_source *s);
rrt_access_reader *rrt_source_reader(rrt_source *s); /* provenance, counts */
void rrt_source_close(rrt_source *s);

/* ------------------------------------------------------------------------------------------ */
/* Fault traces (CSV, see README)                                                             */

typedef enum rrt_fault_kind {
  RRT_FAULT_WRITE = 0,     /* programming error: persistent until the cell is written again */
  RRT_FAULT_READ = 1,      /* transient: hit one read (see access) */
  RRT_FAULT_STUCK_AT = 2,  /* stuck-at cell: never changes */
  RRT_FAULT_ENDURANCE = 3, /* cell worn out by writes */
  RRT_FAULT_KIND_COUNT
} rrt_fault_kind;

const char *rrt_fault_kind_str(rrt_fault_kind k); /* "write", "read", "stuck-at", "endurance" */

typedef struct rrt_fault {
  uint64_t time_ps; /* simulated time */
  uint64_t address; /* byte address */
  uint32_t bit;     /* bit within that byte, 0 = least significant, 0..7 */
  rrt_fault_kind kind;
  uint8_t old_value, new_value; /* the bit before and after, 0 or 1 */
  int32_t layer;                /* -1 when unknown */
  int64_t neuron;               /* -1 when unknown */
  int64_t weight;               /* weight index within the layer; -1 when unknown */
  int64_t access; /* for read faults: index of the read they hit; -1 otherwise/unknown */
} rrt_fault;

typedef struct rrt_fault_writer rrt_fault_writer;
typedef struct rrt_fault_reader rrt_fault_reader;

/* prov: tool, config_hash, seed and model_id go into the header. gzip_level as for access traces
 * (0 = default). */
bnn_status rrt_fault_writer_open(const char *path, const rrt_provenance *prov, int gzip_level,
                                 rrt_fault_writer **out);
bnn_status rrt_fault_writer_put(rrt_fault_writer *w, const rrt_fault *f);
uint64_t rrt_fault_writer_records(const rrt_fault_writer *w);
bnn_status rrt_fault_writer_close(rrt_fault_writer *w);
void rrt_fault_writer_abort(rrt_fault_writer *w);

bnn_status rrt_fault_reader_open(const char *path, int skip_bad, rrt_fault_reader **out);
bnn_status rrt_fault_reader_next(rrt_fault_reader *r, rrt_fault *f, int *got);
const rrt_provenance *rrt_fault_reader_provenance(const rrt_fault_reader *r);
/* Refuses (BNN_E_ARG) a fault file recorded for another model, naming both identities; also
 * refuses a file that names no model when one is expected. */
bnn_status rrt_fault_reader_check_model(const rrt_fault_reader *r, const char *model_id);
uint64_t rrt_fault_reader_records(const rrt_fault_reader *r);
uint64_t rrt_fault_reader_bad_lines(const rrt_fault_reader *r);      /* skipped (skip_bad) */
uint64_t rrt_fault_reader_first_bad_line(const rrt_fault_reader *r); /* 0 = none */
void rrt_fault_reader_close(rrt_fault_reader *r);

/* ------------------------------------------------------------------------------------------ */
/* Measured error maps (CSV, see README)                                                      */

typedef enum rrt_cell_kind {
  RRT_CELL_STUCK_AT_0 = 0, /* always reads 0 */
  RRT_CELL_STUCK_AT_1 = 1, /* always reads 1 */
  RRT_CELL_FLIP_RATE = 2,  /* each read returns the flipped bit with probability `rate` */
  RRT_CELL_KIND_COUNT
} rrt_cell_kind;

const char *rrt_cell_kind_str(rrt_cell_kind k); /* "stuck-at-0", "stuck-at-1", "flip-rate" */

typedef enum rrt_cell_loc {
  RRT_LOC_ADDRESS = 0, /* byte address + bit */
  RRT_LOC_ARRAY = 1,   /* bank / crossbar / row / column + bit (the simulator maps it) */
  RRT_LOC_COUNT
} rrt_cell_loc;

typedef struct rrt_cell {
  rrt_cell_loc loc;
  uint64_t address;                     /* RRT_LOC_ADDRESS */
  uint32_t bank, crossbar, row, column; /* RRT_LOC_ARRAY */
  uint32_t bit;                         /* address form: 0..7 in the byte; array form: 0..63 */
  rrt_cell_kind kind;
  double rate; /* RRT_CELL_FLIP_RATE: in [0, 1]; otherwise 0 */
} rrt_cell;

typedef struct rrt_errmap_reader rrt_errmap_reader;
typedef struct rrt_errmap_writer rrt_errmap_writer;

bnn_status rrt_errmap_reader_open(const char *path, int skip_bad, rrt_errmap_reader **out);
bnn_status rrt_errmap_reader_next(rrt_errmap_reader *r, rrt_cell *c, int *got);
rrt_cell_loc rrt_errmap_reader_loc(const rrt_errmap_reader *r);
const rrt_provenance *rrt_errmap_reader_provenance(const rrt_errmap_reader *r);
uint64_t rrt_errmap_reader_records(const rrt_errmap_reader *r);
uint64_t rrt_errmap_reader_bad_lines(const rrt_errmap_reader *r);      /* skipped (skip_bad) */
uint64_t rrt_errmap_reader_first_bad_line(const rrt_errmap_reader *r); /* 0 = none */
/* Line number of the last cell returned (1-based), for messages about it. */
uint64_t rrt_errmap_reader_line(const rrt_errmap_reader *r);
void rrt_errmap_reader_close(rrt_errmap_reader *r);

/* Every cell written must use `loc`. */
bnn_status rrt_errmap_writer_open(const char *path, const rrt_provenance *prov, rrt_cell_loc loc,
                                  rrt_errmap_writer **out);
bnn_status rrt_errmap_writer_put(rrt_errmap_writer *w, const rrt_cell *c);
bnn_status rrt_errmap_writer_close(rrt_errmap_writer *w);
void rrt_errmap_writer_abort(rrt_errmap_writer *w);

#ifdef __cplusplus
}
#endif
#endif /* RRTRACE_TRACE_H */
