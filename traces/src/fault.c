/* fault.c — fault traces: one CSV line per injected bit fault, with a provenance header that names
 * the model so a fault file for another model can be refused (format in traces/README.md). */
#include <stdio.h>
#include <string.h>

#include "io_impl.h"
#include "bnn/names.h"

BNN_NAME_TABLE(kind_names, RRT_FAULT_KIND_COUNT,
               {[RRT_FAULT_WRITE] = "write",
                [RRT_FAULT_READ] = "read",
                [RRT_FAULT_STUCK_AT] = "stuck-at",
                [RRT_FAULT_ENDURANCE] = "endurance"});

const char *rrt_fault_kind_str(rrt_fault_kind k) {
  return BNN_NAME_OF(kind_names, k, "unknown");
}

#define FAULT_COLUMNS "time_ps,address,bit,kind,old,new,layer,neuron,weight,access"
#define FAULT_NFIELDS 10

/* ====================================== writer ====================================== */

struct rrt_fault_writer {
  rrt_csv_writer c;
};

bnn_status rrt_fault_writer_open(const char *path, const rrt_provenance *prov, int gzip_level,
                                 rrt_fault_writer **out) {
  if (!out || !path) return bnn_fail(BNN_E_ARG, "rrt_fault_writer_open: NULL argument");
  *out = NULL;
  rrt_fault_writer *w = (rrt_fault_writer *)bnn_calloc(1, sizeof *w);
  if (!w) return bnn_fail(BNN_E_NOMEM, "%s: out of memory", path);
  bnn_status s = rrt_csv_writer_open(
      &w->c, path, gzip_level, prov, "rramsim fault trace", "faults-csv 1",
      RRT_PROV_TOOL | RRT_PROV_CONFIG_HASH | RRT_PROV_SEED | RRT_PROV_MODEL_ID, FAULT_COLUMNS "\n");
  if (s) {
    bnn_free(w);
    return s;
  }
  *out = w;
  return BNN_OK;
}

bnn_status rrt_fault_writer_put(rrt_fault_writer *w, const rrt_fault *f) {
  if (w->c.err)
    return bnn_fail(w->c.err, "%s: writer stopped after an earlier error", w->c.out.path);
  unsigned long long n = (unsigned long long)w->c.records + 1;
  if ((unsigned)f->kind >= RRT_FAULT_KIND_COUNT)
    return bnn_fail(BNN_E_ARG, "%s: fault %llu: bad kind %d", w->c.out.path, n, (int)f->kind);
  if (f->bit > 7)
    return bnn_fail(BNN_E_ARG, "%s: fault %llu: bit %u outside [0, 7]", w->c.out.path, n, f->bit);
  if (f->old_value > 1 || f->new_value > 1)
    return bnn_fail(BNN_E_ARG, "%s: fault %llu: bit values must be 0 or 1", w->c.out.path, n);
  if (f->layer < -1 || f->neuron < -1 || f->weight < -1 || f->access < -1)
    return bnn_fail(BNN_E_ARG, "%s: fault %llu: layer/neuron/weight/access must be >= -1",
                    w->c.out.path, n);
  bnn_status s = rrt_out_reserve(&w->c.out, 160);
  if (s) {
    w->c.err = s;
    return s;
  }
  char *p0 = (char *)w->c.out.buf + w->c.out.len, *p = p0;
  p = rrt_fmt_u64_dec(p, f->time_ps);
  *p++ = ',';
  *p++ = '0';
  *p++ = 'x';
  p = rrt_fmt_u64_hex(p, f->address);
  *p++ = ',';
  *p++ = (char)('0' + f->bit);
  *p++ = ',';
  size_t k = strlen(kind_names[f->kind]);
  memcpy(p, kind_names[f->kind], k);
  p += k;
  *p++ = ',';
  *p++ = (char)('0' + f->old_value);
  *p++ = ',';
  *p++ = (char)('0' + f->new_value);
  *p++ = ',';
  p = rrt_fmt_i64_dec(p, f->layer);
  *p++ = ',';
  p = rrt_fmt_i64_dec(p, f->neuron);
  *p++ = ',';
  p = rrt_fmt_i64_dec(p, f->weight);
  *p++ = ',';
  p = rrt_fmt_i64_dec(p, f->access);
  *p++ = '\n';
  w->c.out.len += (size_t)(p - p0);
  ++w->c.records;
  return BNN_OK;
}

uint64_t rrt_fault_writer_records(const rrt_fault_writer *w) {
  return w->c.records;
}

bnn_status rrt_fault_writer_close(rrt_fault_writer *w) {
  if (!w) return BNN_OK;
  bnn_status s = rrt_csv_writer_close(&w->c, "fault trace");
  bnn_free(w);
  return s;
}

void rrt_fault_writer_abort(rrt_fault_writer *w) {
  if (!w) return;
  rrt_out_abort(&w->c.out);
  bnn_free(w);
}

/* ====================================== reader ====================================== */

struct rrt_fault_reader {
  rrt_csv_reader c;
};

bnn_status rrt_fault_reader_open(const char *path, int skip_bad, rrt_fault_reader **out) {
  if (!out || !path) return bnn_fail(BNN_E_ARG, "rrt_fault_reader_open: NULL argument");
  *out = NULL;
  rrt_fault_reader *r = (rrt_fault_reader *)bnn_calloc(1, sizeof *r);
  if (!r) return bnn_fail(BNN_E_NOMEM, "%s: out of memory", path);
  r->c.skip_bad = skip_bad;
  /* The column line pins the field order: a file from a future layout fails loudly here. */
  char *f[FAULT_NFIELDS + 1];
  int n;
  bnn_status s = rrt_csv_open(&r->c.in, &r->c.prov, path, "fault trace", " '" FAULT_COLUMNS "'", f,
                              FAULT_NFIELDS, &n);
  if (s) {
    bnn_free(r);
    return s;
  }
  static const char *const want[FAULT_NFIELDS] = {
      "time_ps", "address", "bit", "kind", "old", "new", "layer", "neuron", "weight", "access"};
  int ok = n == FAULT_NFIELDS;
  for (int i = 0; ok && i < FAULT_NFIELDS; ++i) ok = !strcmp(f[i], want[i]);
  if (!ok)
    s = bnn_fail(BNN_E_FORMAT, "%s:%llu: expected the column header '%s'", path,
                 (unsigned long long)r->c.in.line_no, FAULT_COLUMNS);
  if (s) {
    rrt_fault_reader_close(r);
    return s;
  }
  *out = r;
  return BNN_OK;
}

static const char *parse_fault(void *ctx, char *line, void *rec) {
  (void)ctx;
  rrt_fault *f = (rrt_fault *)rec;
  char *v[FAULT_NFIELDS + 1];
  int n = rrt_csv_split(line, v, FAULT_NFIELDS);
  if (n != FAULT_NFIELDS) return n > FAULT_NFIELDS ? "more than 10 fields" : "fewer than 10 fields";
  const char *p = v[0];
  if (!rrt_parse_u64_dec(&p, &f->time_ps) || *p) return "time_ps: expected an integer";
  if (!rrt_parse_u64_any(v[1], &f->address)) return "address: expected 0x-hex or decimal";
  if (v[2][0] < '0' || v[2][0] > '7' || v[2][1]) return "bit: expected 0..7";
  f->bit = (uint32_t)(v[2][0] - '0');
  int k;
  for (k = 0; k < RRT_FAULT_KIND_COUNT; ++k)
    if (!strcmp(v[3], kind_names[k])) break;
  if (k == RRT_FAULT_KIND_COUNT) return "kind: expected write, read, stuck-at or endurance";
  f->kind = (rrt_fault_kind)k;
  if ((v[4][0] != '0' && v[4][0] != '1') || v[4][1]) return "old: expected 0 or 1";
  if ((v[5][0] != '0' && v[5][0] != '1') || v[5][1]) return "new: expected 0 or 1";
  f->old_value = (uint8_t)(v[4][0] - '0');
  f->new_value = (uint8_t)(v[5][0] - '0');
  int64_t layer;
  if (!rrt_parse_i64_field(v[6], &layer) || layer > INT32_MAX) return "layer: expected -1 or more";
  f->layer = (int32_t)layer;
  if (!rrt_parse_i64_field(v[7], &f->neuron)) return "neuron: expected -1 or more";
  if (!rrt_parse_i64_field(v[8], &f->weight)) return "weight: expected -1 or more";
  if (!rrt_parse_i64_field(v[9], &f->access)) return "access: expected -1 or more";
  return NULL;
}

bnn_status rrt_fault_reader_next(rrt_fault_reader *r, rrt_fault *f, int *got) {
  return rrt_csv_reader_next(&r->c, "fault record", parse_fault, NULL, f, got);
}

const rrt_provenance *rrt_fault_reader_provenance(const rrt_fault_reader *r) {
  return &r->c.prov.view;
}

bnn_status rrt_fault_reader_check_model(const rrt_fault_reader *r, const char *model_id) {
  if (!model_id || !*model_id) return BNN_OK;
  const char *have = r->c.prov.model_id;
  if (!*have && r->c.prov.sidecar)
    return bnn_fail(BNN_E_ARG,
                    "%s: fault trace names no model (its sidecar %s" RRT_SIDECAR_SUFFIX
                    " has no model_id); expected '%s'",
                    r->c.in.path, r->c.in.path, model_id);
  if (!*have)
    return bnn_fail(BNN_E_ARG,
                    "%s: fault trace names no model (no sidecar %s" RRT_SIDECAR_SUFFIX
                    " next to it, no '# model_id:' line; a copy of a trace needs the recorded "
                    "trace's sidecar too); expected '%s'",
                    r->c.in.path, r->c.in.path, model_id);
  if (strcmp(have, model_id) != 0)
    return bnn_fail(BNN_E_ARG, "%s: fault trace was recorded for model '%s', not for '%s'",
                    r->c.in.path, have, model_id);
  return BNN_OK;
}

uint64_t rrt_fault_reader_records(const rrt_fault_reader *r) {
  return r->c.records;
}
uint64_t rrt_fault_reader_bad_lines(const rrt_fault_reader *r) {
  return r->c.bad;
}
uint64_t rrt_fault_reader_first_bad_line(const rrt_fault_reader *r) {
  return r->c.first_bad;
}

void rrt_fault_reader_close(rrt_fault_reader *r) {
  if (!r) return;
  rrt_in_close(&r->c.in);
  bnn_free(r);
}
