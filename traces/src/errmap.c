/* errmap.c — measured error maps: CSV of defective cells (stuck-at-0/1 or a per-cell flip rate),
 * located by byte address + bit or by bank/crossbar/row/column + bit (see traces/README.md). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_impl.h"
#include "bnn/names.h"

BNN_NAME_TABLE(cell_kind_names, RRT_CELL_KIND_COUNT,
               {[RRT_CELL_STUCK_AT_0] = "stuck-at-0",
                [RRT_CELL_STUCK_AT_1] = "stuck-at-1",
                [RRT_CELL_FLIP_RATE] = "flip-rate"});

const char *rrt_cell_kind_str(rrt_cell_kind k) {
  return BNN_NAME_OF(cell_kind_names, k, "unknown");
}

/* Columns a file may name, in any order. */
enum {
  COL_ADDRESS,
  COL_BANK,
  COL_CROSSBAR,
  COL_ROW,
  COL_COLUMN,
  COL_BIT,
  COL_KIND,
  COL_RATE,
  COL_N
};
static const char *const col_names[COL_N] = {
    [COL_ADDRESS] = "address", [COL_BANK] = "bank",     [COL_CROSSBAR] = "crossbar",
    [COL_ROW] = "row",         [COL_COLUMN] = "column", [COL_BIT] = "bit",
    [COL_KIND] = "kind",       [COL_RATE] = "rate",
};

struct rrt_errmap_reader {
  rrt_csv_reader c;
  rrt_cell_loc loc;
  int col[COL_N]; /* field index of each column, -1 if absent */
  int nfields;
};

bnn_status rrt_errmap_reader_open(const char *path, int skip_bad, rrt_errmap_reader **out) {
  if (!out || !path) return bnn_fail(BNN_E_ARG, "rrt_errmap_reader_open: NULL argument");
  *out = NULL;
  rrt_errmap_reader *r = (rrt_errmap_reader *)bnn_calloc(1, sizeof *r);
  if (!r) return bnn_fail(BNN_E_NOMEM, "%s: out of memory", path);
  r->c.skip_bad = skip_bad;
  char *f[COL_N + 1];
  int n;
  bnn_status s = rrt_csv_open(&r->c.in, &r->c.prov, path, "error map", NULL, f, COL_N, &n);
  if (s) {
    bnn_free(r);
    return s;
  }
  unsigned long long ln = (unsigned long long)r->c.in.line_no;
  for (int c = 0; c < COL_N; ++c) r->col[c] = -1;
  if (n > COL_N) s = bnn_fail(BNN_E_FORMAT, "%s:%llu: too many columns in the header", path, ln);
  for (int i = 0; !s && i < n; ++i) {
    int c;
    for (c = 0; c < COL_N; ++c)
      if (!strcmp(f[i], col_names[c])) break;
    if (c == COL_N)
      s = bnn_fail(BNN_E_FORMAT,
                   "%s:%llu: unknown column '%s' (known: address, bank, crossbar, row, column, "
                   "bit, kind, rate)",
                   path, ln, f[i]);
    else if (r->col[c] >= 0)
      s = bnn_fail(BNN_E_FORMAT, "%s:%llu: column '%s' given twice", path, ln, f[i]);
    else
      r->col[c] = i;
  }
  r->nfields = n;
  if (!s) {
    int arr = r->col[COL_BANK] >= 0 && r->col[COL_CROSSBAR] >= 0 && r->col[COL_ROW] >= 0 &&
              r->col[COL_COLUMN] >= 0;
    int any_arr = r->col[COL_BANK] >= 0 || r->col[COL_CROSSBAR] >= 0 || r->col[COL_ROW] >= 0 ||
                  r->col[COL_COLUMN] >= 0;
    if (r->col[COL_ADDRESS] >= 0 && any_arr)
      s = bnn_fail(BNN_E_FORMAT,
                   "%s:%llu: give either 'address' or bank/crossbar/row/column, not both", path,
                   ln);
    else if (r->col[COL_ADDRESS] < 0 && !arr)
      s = bnn_fail(BNN_E_FORMAT,
                   "%s:%llu: the header needs 'address' or all of bank, crossbar, row, column",
                   path, ln);
    else if (r->col[COL_BIT] < 0 || r->col[COL_KIND] < 0)
      s = bnn_fail(BNN_E_FORMAT, "%s:%llu: the header needs columns 'bit' and 'kind'", path, ln);
    r->loc = r->col[COL_ADDRESS] >= 0 ? RRT_LOC_ADDRESS : RRT_LOC_ARRAY;
  }
  if (s) {
    rrt_errmap_reader_close(r);
    return s;
  }
  *out = r;
  return BNN_OK;
}

static int parse_u32(const char *s, uint32_t *v) {
  uint64_t x;
  if (!rrt_parse_u64_any(s, &x) || x > UINT32_MAX) return 0;
  *v = (uint32_t)x;
  return 1;
}

static const char *parse_cell(void *ctx, char *line, void *rec) {
  const rrt_errmap_reader *r = (const rrt_errmap_reader *)ctx;
  rrt_cell *c = (rrt_cell *)rec;
  char *v[COL_N + 1];
  int n = rrt_csv_split(line, v, COL_N);
  if (n != r->nfields) return "field count differs from the header";
  memset(c, 0, sizeof *c);
  c->loc = r->loc;
  if (r->loc == RRT_LOC_ADDRESS) {
    if (!rrt_parse_u64_any(v[r->col[COL_ADDRESS]], &c->address))
      return "address: expected 0x-hex or decimal";
    if (!parse_u32(v[r->col[COL_BIT]], &c->bit) || c->bit > 7) return "bit: expected 0..7";
  } else {
    if (!parse_u32(v[r->col[COL_BANK]], &c->bank)) return "bank: expected an integer";
    if (!parse_u32(v[r->col[COL_CROSSBAR]], &c->crossbar)) return "crossbar: expected an integer";
    if (!parse_u32(v[r->col[COL_ROW]], &c->row)) return "row: expected an integer";
    if (!parse_u32(v[r->col[COL_COLUMN]], &c->column)) return "column: expected an integer";
    if (!parse_u32(v[r->col[COL_BIT]], &c->bit) || c->bit > 63) return "bit: expected 0..63";
  }
  const char *k = v[r->col[COL_KIND]];
  if (!strcmp(k, "stuck-at-0") || !strcmp(k, "sa0"))
    c->kind = RRT_CELL_STUCK_AT_0;
  else if (!strcmp(k, "stuck-at-1") || !strcmp(k, "sa1"))
    c->kind = RRT_CELL_STUCK_AT_1;
  else if (!strcmp(k, "flip-rate"))
    c->kind = RRT_CELL_FLIP_RATE;
  else
    return "kind: expected stuck-at-0, stuck-at-1 (sa0, sa1) or flip-rate";
  const char *rs = r->col[COL_RATE] >= 0 ? v[r->col[COL_RATE]] : "";
  if (c->kind == RRT_CELL_FLIP_RATE) {
    if (!*rs) return "rate: a flip-rate cell needs a rate in [0, 1]";
    char *end;
    errno = 0;
    double x = strtod(rs, &end);
    if (*end || errno || !(x >= 0.0 && x <= 1.0)) return "rate: expected a number in [0, 1]";
    c->rate = x;
  } else if (*rs) {
    return "rate: only flip-rate cells take a rate";
  }
  return NULL;
}

bnn_status rrt_errmap_reader_next(rrt_errmap_reader *r, rrt_cell *c, int *got) {
  return rrt_csv_reader_next(&r->c, "error-map cell", parse_cell, r, c, got);
}

rrt_cell_loc rrt_errmap_reader_loc(const rrt_errmap_reader *r) {
  return r->loc;
}
const rrt_provenance *rrt_errmap_reader_provenance(const rrt_errmap_reader *r) {
  return &r->c.prov.view;
}
uint64_t rrt_errmap_reader_records(const rrt_errmap_reader *r) {
  return r->c.records;
}
uint64_t rrt_errmap_reader_bad_lines(const rrt_errmap_reader *r) {
  return r->c.bad;
}
uint64_t rrt_errmap_reader_first_bad_line(const rrt_errmap_reader *r) {
  return r->c.first_bad;
}
uint64_t rrt_errmap_reader_line(const rrt_errmap_reader *r) {
  return r->c.in.line_no;
}

void rrt_errmap_reader_close(rrt_errmap_reader *r) {
  if (!r) return;
  rrt_in_close(&r->c.in);
  bnn_free(r);
}

/* ====================================== writer ====================================== */

struct rrt_errmap_writer {
  rrt_csv_writer c;
  rrt_cell_loc loc;
};

bnn_status rrt_errmap_writer_open(const char *path, const rrt_provenance *prov, rrt_cell_loc loc,
                                  rrt_errmap_writer **out) {
  if (!out || !path) return bnn_fail(BNN_E_ARG, "rrt_errmap_writer_open: NULL argument");
  *out = NULL;
  if ((unsigned)loc >= RRT_LOC_COUNT) return bnn_fail(BNN_E_ARG, "%s: bad location form", path);
  rrt_errmap_writer *w = (rrt_errmap_writer *)bnn_calloc(1, sizeof *w);
  if (!w) return bnn_fail(BNN_E_NOMEM, "%s: out of memory", path);
  w->loc = loc;
  bnn_status s =
      rrt_csv_writer_open(&w->c, path, 0, prov, "rramsim error map", "errmap-csv 1",
                          RRT_PROV_TOOL | RRT_PROV_CONFIG_HASH | RRT_PROV_SEED,
                          loc == RRT_LOC_ADDRESS ? "address,bit,kind,rate\n"
                                                 : "bank,crossbar,row,column,bit,kind,rate\n");
  if (s) {
    bnn_free(w);
    return s;
  }
  *out = w;
  return BNN_OK;
}

bnn_status rrt_errmap_writer_put(rrt_errmap_writer *w, const rrt_cell *c) {
  if (w->c.err)
    return bnn_fail(w->c.err, "%s: writer stopped after an earlier error", w->c.out.path);
  unsigned long long n = (unsigned long long)w->c.records + 1;
  if (c->loc != w->loc)
    return bnn_fail(BNN_E_ARG, "%s: cell %llu uses another location form than the file",
                    w->c.out.path, n);
  if ((unsigned)c->kind >= RRT_CELL_KIND_COUNT)
    return bnn_fail(BNN_E_ARG, "%s: cell %llu: bad kind", w->c.out.path, n);
  if (c->bit > (c->loc == RRT_LOC_ADDRESS ? 7u : 63u))
    return bnn_fail(BNN_E_ARG, "%s: cell %llu: bit %u out of range", w->c.out.path, n, c->bit);
  if (c->kind == RRT_CELL_FLIP_RATE && !(c->rate >= 0.0 && c->rate <= 1.0))
    return bnn_fail(BNN_E_ARG, "%s: cell %llu: rate %g outside [0, 1]", w->c.out.path, n, c->rate);
  char line[256];
  char rate[40] = "";
  /* %.17g: the rate reads back bit for bit. */
  if (c->kind == RRT_CELL_FLIP_RATE) snprintf(rate, sizeof rate, "%.17g", c->rate);
  int k;
  if (c->loc == RRT_LOC_ADDRESS)
    k = snprintf(line, sizeof line, "0x%llx,%u,%s,%s\n", (unsigned long long)c->address, c->bit,
                 cell_kind_names[c->kind], rate);
  else
    k = snprintf(line, sizeof line, "%u,%u,%u,%u,%u,%s,%s\n", c->bank, c->crossbar, c->row,
                 c->column, c->bit, cell_kind_names[c->kind], rate);
  bnn_status s = rrt_out_write(&w->c.out, line, (size_t)k);
  if (s) return w->c.err = s;
  ++w->c.records;
  return BNN_OK;
}

bnn_status rrt_errmap_writer_close(rrt_errmap_writer *w) {
  if (!w) return BNN_OK;
  bnn_status s = rrt_csv_writer_close(&w->c, "error map");
  bnn_free(w);
  return s;
}

void rrt_errmap_writer_abort(rrt_errmap_writer *w) {
  if (!w) return;
  rrt_out_abort(&w->c.out);
  bnn_free(w);
}
