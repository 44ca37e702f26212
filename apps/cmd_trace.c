/* cmd_trace.c — `rramsim trace`: convert access traces between formats, print their statistics. */
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "cli.h"
#include "commands.h"
#include "rrtrace/trace.h"

static const char *const CMD = "trace";

static void usage(FILE *f) {
  fprintf(
      f,
      "usage: rramsim trace convert [options] IN OUT\n"
      "       rramsim trace info [options] FILE\n"
      "\n"
      "convert  copies an access trace into another format, chosen by OUT's name:\n"
      "         .stl (DRAMSys STL, absolute cycles), .rstl (relative cycles), .rrt (binary);\n"
      "         each optionally + .gz. Provenance (config hash, seed, clock) is kept.\n"
      "info     prints the provenance and statistics of an access trace (.stl/.rstl/.rrt[.gz]),\n"
      "         a fault trace or an error map (.csv[.gz]).\n"
      "\n"
      "options:\n"
      "  --skip-bad            count and skip malformed text lines instead of failing\n"
      "  --default-length N    bytes of STL records without '(length)' or data (default 64,\n"
      "                        DRAMSys takes it from the player's config)\n"
      "  --gzip-level N        1..9 for OUT names ending in .gz (default 1)\n"
      "  -h, --help            this text\n"
      "\n"
      "Formats: traces/README.md. Exit status: 0 ok, 1 bad file, 2 usage error.\n");
}

typedef struct opts {
  int skip_bad;
  uint64_t default_length;
  int gzip_level;
  const char *pos[3];
  int npos;
} opts;

static cli_opt_result trace_option(void *ud, const char *a, const char *v) {
  opts *o = (opts *)ud;
  if (!a) {
    if (o->npos == 3) return cli_usage_error(CMD, "too many arguments"), CLI_OPT_BAD;
    o->pos[o->npos++] = v;
    return CLI_OPT_TAKEN;
  }
  if (!strcmp(a, "--default-length"))
    return cli_parse_u64(CMD, a, v, 1, RRT_MAX_LENGTH, &o->default_length) ? CLI_OPT_TAKEN
                                                                           : CLI_OPT_BAD;
  if (!strcmp(a, "--gzip-level"))
    return cli_parse_int(CMD, a, v, 1, 9, &o->gzip_level) ? CLI_OPT_TAKEN : CLI_OPT_BAD;
  return CLI_OPT_UNKNOWN;
}

/* Returns CLI_EXIT_OK to go on, -1 after --help, CLI_EXIT_USAGE after a usage error. */
static int parse_opts(int argc, char **argv, opts *o) {
  memset(o, 0, sizeof *o);
  o->default_length = 64;
  o->gzip_level = 1;
  const cli_option table[] = {{"skip-bad", 0, &o->skip_bad, NULL},
                              {"default-length", 1, NULL, NULL},
                              {"gzip-level", 1, NULL, NULL},
                              {NULL, 0, NULL, NULL}};
  int rc;
  if (cli_parse_options(CMD, argc, argv, 2, table, trace_option, o, usage, &rc)) return CLI_EXIT_OK;
  return rc == CLI_EXIT_OK ? -1 : rc;
}

static int convert(const opts *o) {
  if (o->npos != 2) return cli_usage_error(CMD, "convert needs IN and OUT");
  const char *in = o->pos[0], *out = o->pos[1];
  if (rrt_format_from_name(out) == RRT_FORMAT_AUTO)
    return cli_usage_error(
        CMD, "%s: output name must end in .stl, .rstl or .rrt (optionally + .gz)", out);
  if (!cli_input_note(CMD, "IN", in) || !cli_output_claim(CMD, "OUT", out)) return CLI_EXIT_FAIL;
  rrt_access_read_params rp = rrt_access_read_default_params();
  rp.skip_bad = o->skip_bad;
  rp.default_length = (uint32_t)o->default_length;
  rrt_access_reader *r = NULL;
  if (rrt_access_reader_open(in, &rp, &r)) return cli_error(CMD, "%s", bnn_errmsg());
  const rrt_provenance *ip = rrt_access_reader_provenance(r);
  char tool[RRT_PROV_MAX + 1];
  if (ip->tool && *ip->tool)
    snprintf(tool, sizeof tool, "rramsim %s (converted from: %s)", cli_version(), ip->tool);
  else
    snprintf(tool, sizeof tool, "rramsim %s (converted)", cli_version());
  rrt_access_write_params wp = rrt_access_write_default_params();
  wp.prov = *ip;
  wp.prov.tool = tool;
  wp.gzip_level = o->gzip_level;
  wp.timing = rrt_access_reader_timing(r); /* kept by .rrt; .stl/.rstl imply their own */
  rrt_format of = rrt_format_from_name(out);
  rrt_timing ot = of == RRT_FORMAT_STL    ? RRT_TIMING_ABSOLUTE
                  : of == RRT_FORMAT_RSTL ? RRT_TIMING_RELATIVE
                                          : wp.timing;
  if (ot != wp.timing)
    fprintf(stderr,
            "rramsim trace: note: %s has %s timing, %s will have %s timing: a player issues the "
            "same cycles, but %s\n",
            in, rrt_timing_str(wp.timing), out, rrt_timing_str(ot),
            ot == RRT_TIMING_RELATIVE
                ? "now counts each delay from the previous request's completion"
                : "no longer waits for the previous request to complete");
  rrt_access_writer *w = NULL;
  if (rrt_access_writer_open(out, &wp, &w)) {
    rrt_access_reader_close(r);
    return cli_error(CMD, "%s", bnn_errmsg());
  }
  bnn_status s;
  for (;;) {
    rrt_access a;
    int got;
    if ((s = rrt_access_reader_next(r, &a, &got)) || !got) break;
    if ((s = rrt_access_writer_put(w, &a))) break;
  }
  if (s) {
    rrt_access_writer_abort(w);
    rrt_access_reader_close(r);
    return cli_error(CMD, "%s", bnn_errmsg());
  }
  uint64_t n = rrt_access_reader_records(r), bad = rrt_access_reader_bad_lines(r),
           first_bad = rrt_access_reader_first_bad_line(r);
  rrt_access_reader_close(r);
  if (rrt_access_writer_close(w)) return cli_error(CMD, "%s", bnn_errmsg());
  printf("%s -> %s: %llu records\n", in, out, (unsigned long long)n);
  if (bad)
    fprintf(stderr, "rramsim trace: %s: skipped %llu malformed line%s (first at line %llu)\n", in,
            (unsigned long long)bad, bad == 1 ? "" : "s", (unsigned long long)first_bad);
  return CLI_EXIT_OK;
}

static void print_prov(const rrt_provenance *p, int with_clock) {
  printf("tool: %s\nconfig_hash: %s\nseed: %s\n", p->tool, p->config_hash, p->seed);
  if (p->model_id && *p->model_id) printf("model_id: %s\n", p->model_id);
  if (with_clock)
    printf("clock_ps: %llu%s\n", (unsigned long long)p->clock_ps, p->clock_ps ? "" : " (unknown)");
}

static int info_access(const opts *o, const char *path) {
  rrt_access_read_params rp = rrt_access_read_default_params();
  rp.skip_bad = o->skip_bad;
  rp.default_length = (uint32_t)o->default_length;
  rrt_access_reader *r = NULL;
  if (rrt_access_reader_open(path, &rp, &r)) return cli_error(CMD, "%s", bnn_errmsg());
  uint64_t n[RRT_CMD_COUNT] = {0}, bytes[RRT_CMD_COUNT] = {0}, with_data = 0;
  uint64_t t0 = 0, t1 = 0, amin = UINT64_MAX, amax = 0, backwards = 0, prev = 0;
  bnn_status s;
  for (;;) {
    rrt_access a;
    int got;
    if ((s = rrt_access_reader_next(r, &a, &got)) || !got) break;
    uint64_t k = n[0] + n[1];
    if (k == 0)
      t0 = a.cycle;
    else if (a.cycle < prev)
      ++backwards;
    prev = a.cycle;
    if (a.cycle > t1) t1 = a.cycle;
    if (a.address < amin) amin = a.address;
    if (a.address + a.length - 1 > amax) amax = a.address + a.length - 1;
    ++n[a.cmd];
    bytes[a.cmd] += a.length;
    with_data += a.has_data != 0;
  }
  if (s) {
    rrt_access_reader_close(r);
    return cli_error(CMD, "%s", bnn_errmsg());
  }
  printf("file: %s\nkind: access trace\nformat: %s\ntiming: %s\n", path,
         rrt_format_str(rrt_access_reader_format(r)), rrt_timing_str(rrt_access_reader_timing(r)));
  print_prov(rrt_access_reader_provenance(r), 1);
  uint64_t total = n[0] + n[1];
  printf("records: %llu (reads %llu, writes %llu, with data %llu)\n", (unsigned long long)total,
         (unsigned long long)n[RRT_CMD_READ], (unsigned long long)n[RRT_CMD_WRITE],
         (unsigned long long)with_data);
  printf("bytes: read %llu, written %llu\n", (unsigned long long)bytes[RRT_CMD_READ],
         (unsigned long long)bytes[RRT_CMD_WRITE]);
  if (total) {
    printf("cycles: first %llu, last %llu, out of order %llu\n", (unsigned long long)t0,
           (unsigned long long)t1, (unsigned long long)backwards);
    printf("addresses: 0x%llx .. 0x%llx\n", (unsigned long long)amin, (unsigned long long)amax);
  }
  if (rrt_access_reader_bad_lines(r))
    printf("skipped malformed lines: %llu (first at line %llu)\n",
           (unsigned long long)rrt_access_reader_bad_lines(r),
           (unsigned long long)rrt_access_reader_first_bad_line(r));
  rrt_access_reader_close(r);
  return CLI_EXIT_OK;
}

static int info_csv(const opts *o, const char *path) {
  rrt_fault_reader *fr = NULL;
  if (rrt_fault_reader_open(path, o->skip_bad, &fr) == BNN_OK) {
    uint64_t k[RRT_FAULT_KIND_COUNT] = {0}, t1 = 0;
    rrt_fault f;
    int got;
    bnn_status s;
    while ((s = rrt_fault_reader_next(fr, &f, &got)) == BNN_OK && got) {
      ++k[f.kind];
      if (f.time_ps > t1) t1 = f.time_ps;
    }
    if (s) {
      rrt_fault_reader_close(fr);
      return cli_error(CMD, "%s", bnn_errmsg());
    }
    printf("file: %s\nkind: fault trace\n", path);
    print_prov(rrt_fault_reader_provenance(fr), 0);
    printf("records: %llu\n", (unsigned long long)rrt_fault_reader_records(fr));
    for (int i = 0; i < RRT_FAULT_KIND_COUNT; ++i)
      printf("  %-10s %llu\n", rrt_fault_kind_str((rrt_fault_kind)i), (unsigned long long)k[i]);
    printf("last fault at: %llu ps\n", (unsigned long long)t1);
    if (rrt_fault_reader_bad_lines(fr))
      printf("skipped malformed lines: %llu\n", (unsigned long long)rrt_fault_reader_bad_lines(fr));
    rrt_fault_reader_close(fr);
    return CLI_EXIT_OK;
  }
  char fault_err[512];
  snprintf(fault_err, sizeof fault_err, "%s", bnn_errmsg());
  rrt_errmap_reader *er = NULL;
  if (rrt_errmap_reader_open(path, o->skip_bad, &er) != BNN_OK)
    return cli_error(CMD, "%s: neither a fault trace (%s) nor an error map (%s)", path, fault_err,
                     bnn_errmsg());
  uint64_t k[RRT_CELL_KIND_COUNT] = {0};
  rrt_cell c;
  int got;
  bnn_status s;
  while ((s = rrt_errmap_reader_next(er, &c, &got)) == BNN_OK && got) ++k[c.kind];
  if (s) {
    rrt_errmap_reader_close(er);
    return cli_error(CMD, "%s", bnn_errmsg());
  }
  printf("file: %s\nkind: error map (%s form)\n", path,
         rrt_errmap_reader_loc(er) == RRT_LOC_ADDRESS ? "address" : "bank/crossbar/row/column");
  print_prov(rrt_errmap_reader_provenance(er), 0);
  printf("cells: %llu\n", (unsigned long long)rrt_errmap_reader_records(er));
  for (int i = 0; i < RRT_CELL_KIND_COUNT; ++i)
    printf("  %-10s %llu\n", rrt_cell_kind_str((rrt_cell_kind)i), (unsigned long long)k[i]);
  if (rrt_errmap_reader_bad_lines(er))
    printf("skipped malformed lines: %llu\n", (unsigned long long)rrt_errmap_reader_bad_lines(er));
  rrt_errmap_reader_close(er);
  return CLI_EXIT_OK;
}

static int info(const opts *o) {
  if (o->npos != 1) return cli_usage_error(CMD, "info needs exactly one FILE");
  const char *path = o->pos[0];
  size_t n = strlen(path);
  if (n >= 3 && !strcmp(path + n - 3, ".gz")) n -= 3;
  if (n >= 4 && !strncmp(path + n - 4, ".csv", 4)) return info_csv(o, path);
  return info_access(o, path);
}

int cli_cmd_trace(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return CLI_EXIT_USAGE;
  }
  const char *sub = argv[1];
  if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) {
    usage(stdout);
    return CLI_EXIT_OK;
  }
  opts o;
  int rc = parse_opts(argc, argv, &o);
  if (rc < 0) return CLI_EXIT_OK; /* --help */
  if (rc) return rc;
  if (!strcmp(sub, "convert")) return convert(&o);
  if (!strcmp(sub, "info")) return info(&o);
  return cli_usage_error(CMD, "unknown subcommand '%s' (convert, info)", sub);
}
