/* cli.c — shared CLI helpers: error lines, the option loop (getopt_long), strict number parsing,
 * progress bars. */
#include "cli.h"
#include "rramsim_version.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include <unistd.h>

#ifndef RRAMSIM_VERSION_STRING
#define RRAMSIM_VERSION_STRING "unknown"
#endif

const char *cli_version(void) {
  return RRAMSIM_VERSION_STRING;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0. */
static size_t utf8_len(const unsigned char *s) {
  size_t n = s[0] >= 0xf0 && s[0] < 0xf5 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
  if (s[0] >= 0xf8) n = 0;
  for (size_t i = 1; i < n; ++i)
    if ((s[i] & 0xc0) != 0x80) return 0;
  return n;
}

/* Messages quote file names, option values and the text of bad inputs: bytes that are not
 * printable text (control bytes, invalid UTF-8) go out as \xNN, so an error stays one readable
 * line whatever the input held. */
static void vreport(const char *cmd, const char *fmt, va_list ap) {
  char buf[4096];
  vsnprintf(buf, sizeof buf, fmt, ap);
  fprintf(stderr, "rramsim%s%s: ", cmd ? " " : "", cmd ? cmd : "");
  for (const unsigned char *p = (const unsigned char *)buf; *p;) {
    if (*p >= 0x80) {
      const size_t n = utf8_len(p);
      if (n) {
        fwrite(p, 1, n, stderr);
        p += n;
        continue;
      }
    } else if (*p >= 0x20 && *p != 0x7f) {
      fputc(*p++, stderr);
      continue;
    }
    fprintf(stderr, "\\x%02x", *p++);
  }
}

int cli_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vreport(cmd, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  return CLI_EXIT_FAIL;
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vreport(cmd, fmt, ap);
  va_end(ap);
  fprintf(stderr, " (see 'rramsim %s --help')\n", cmd ? cmd : "");
  return CLI_EXIT_USAGE;
}

int cli_default_threads(void) {
  const long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  return ncpu < 1 ? 1 : ncpu > 8 ? 8 : (int)ncpu;
}

/* The option text of argv[at] as the user wrote it, without any "=value": into buf. */
static const char *option_text(char *buf, size_t n, const char *arg) {
  const char *eq = strchr(arg, '=');
  const size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
  snprintf(buf, n, "%.*s", (int)(len < n ? len : n - 1), arg);
  return buf;
}

/* The table row named exactly `name` (no leading dashes, ends at '=' or NUL); -1 if none. */
static int find_exact(const cli_option *opts, const char *name) {
  const char *eq = strchr(name, '=');
  const size_t len = eq ? (size_t)(eq - name) : strlen(name);
  for (int i = 0; opts && opts[i].name; ++i)
    if (strlen(opts[i].name) == len && !strncmp(opts[i].name, name, len)) return i;
  return -1;
}

static int take_positional(const char *cmd, cli_opt_handler handler, void *ud, const char *arg) {
  if (!*arg) {
    cli_usage_error(cmd, "empty argument ''");
    return 0;
  }
  const cli_opt_result r = handler ? handler(ud, NULL, arg) : CLI_OPT_UNKNOWN;
  if (r == CLI_OPT_UNKNOWN) cli_usage_error(cmd, "unexpected argument '%s'", arg);
  return r == CLI_OPT_TAKEN;
}

int cli_parse_options(const char *cmd, int argc, char **argv, int first, const cli_option *opts,
                      cli_opt_handler handler, void *ud, void (*usage)(FILE *f), int *exit_code) {
  *exit_code = CLI_EXIT_USAGE;
  int n = 0;
  while (opts && opts[n].name) ++n;
  struct option *lo = (struct option *)calloc((size_t)n + 2, sizeof *lo);
  if (!lo) return cli_error(cmd, "out of memory"), *exit_code = CLI_EXIT_FAIL, 0;
  for (int i = 0; i < n; ++i) {
    lo[i].name = opts[i].name;
    lo[i].has_arg = opts[i].has_value ? required_argument : no_argument;
    lo[i].val = 256 + i;
  }
  lo[n].name = "help";
  lo[n].val = 'h';
  /* getopt_long sees argv[first - 1] as the program name. "-": positional arguments come back in
   * order (code 1); ":": a missing value is ':' rather than '?'; opterr = 0: our messages only. */
  const int sub_argc = argc - first + 1;
  char **sub_argv = argv + first - 1;
  opterr = 0;
  optind = 0; /* full re-initialisation: a process may parse more than once (tests) */
  int ok = 1;
  char text[128];
  for (;;) {
    const int at = optind == 0 ? 1 : optind;
    const int c = getopt_long(sub_argc, sub_argv, "-:h", lo, NULL);
    if (c == -1) break;
    const char *arg = at < sub_argc ? sub_argv[at] : "";
    if (c == 'h') {
      usage(stdout);
      *exit_code = CLI_EXIT_OK;
      ok = 0;
      break;
    }
    if (c == 1) {
      if (!take_positional(cmd, handler, ud, optarg)) {
        ok = 0;
        break;
      }
      continue;
    }
    if (c == ':') {
      cli_usage_error(cmd, "option '%s' needs a value", option_text(text, sizeof text, arg));
      ok = 0;
      break;
    }
    if (c == '?') {
      const int k = strncmp(arg, "--", 2) == 0 ? find_exact(opts, arg + 2) : -1;
      if (k >= 0 && !opts[k].has_value && strchr(arg, '='))
        cli_usage_error(cmd, "option '%s' takes no value", option_text(text, sizeof text, arg));
      else
        cli_usage_error(cmd, "unknown option '%s'", option_text(text, sizeof text, arg));
      ok = 0;
      break;
    }
    /* A long option of the table: given in full? (getopt_long also takes unique prefixes.) */
    const int k = c - 256;
    if (strncmp(arg, "--", 2) != 0 || find_exact(opts, arg + 2) != k) {
      cli_usage_error(cmd, "unknown option '%s'", option_text(text, sizeof text, arg));
      ok = 0;
      break;
    }
    const cli_option *o = &opts[k];
    if (o->has_value && optarg && !*optarg) {
      /* An empty value is never meant: --rram-layers '' is not "no layers", --op-point '' not
       * the default (a script's unset variable, usually). */
      cli_usage_error(cmd, "option '%s' needs a non-empty value",
                      option_text(text, sizeof text, arg));
      ok = 0;
      break;
    }
    char canon[128];
    snprintf(canon, sizeof canon, "--%s", o->alias_for ? o->alias_for : o->name);
    if (o->alias_for)
      fprintf(stderr, "rramsim %s: --%s is deprecated, use --%s\n", cmd, o->name, o->alias_for);
    if (!o->has_value && o->flag) {
      *o->flag = 1;
      continue;
    }
    const cli_opt_result r =
        handler ? handler(ud, canon, o->has_value ? optarg : NULL) : CLI_OPT_UNKNOWN;
    if (r == CLI_OPT_UNKNOWN) cli_usage_error(cmd, "unknown option '%s'", canon);
    if (r != CLI_OPT_TAKEN) {
      ok = 0;
      break;
    }
  }
  /* After "--": the rest are positional arguments. */
  for (int i = optind; ok && i < sub_argc; ++i)
    if (!take_positional(cmd, handler, ud, sub_argv[i])) ok = 0;
  free(lo);
  if (ok) *exit_code = CLI_EXIT_OK;
  return ok;
}

/* A base-10 number as the parsers accept it: no leading white space or '+', no "0x", "inf", "nan"
 * (strtod and strtoull would take them). */
static int plain_decimal(const char *s) {
  if (!s || !*s || isspace((unsigned char)*s) || *s == '+') return 0;
  for (const char *p = s; *p; ++p)
    if (*p == 'x' || *p == 'X' || *p == 'n' || *p == 'N' || *p == 'i' || *p == 'I') return 0;
  return 1;
}

int cli_parse_double(const char *cmd, const char *opt, const char *s, double lo, double hi,
                     double *out) {
  char *end = NULL;
  errno = 0;
  const int plain = plain_decimal(s);
  double v = plain ? strtod(s, &end) : 0.0;
  if (!plain || !end || end == s || *end != '\0' || errno == ERANGE || !isfinite(v) || v < lo ||
      v > hi) {
    cli_usage_error(cmd, "%s: expected a number in [%g, %g], got '%s'", opt, lo, hi, s ? s : "");
    return 0;
  }
  *out = v;
  return 1;
}

int cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t lo, uint64_t hi,
                  uint64_t *out) {
  char *end = NULL;
  errno = 0;
  const int plain = plain_decimal(s) && *s != '-';
  unsigned long long v = plain ? strtoull(s, &end, 10) : 0;
  if (!plain || !end || end == s || *end != '\0' || errno == ERANGE || v < lo || v > hi) {
    cli_usage_error(cmd, "%s: expected an integer in [%llu, %llu], got '%s'", opt,
                    (unsigned long long)lo, (unsigned long long)hi, s ? s : "");
    return 0;
  }
  *out = (uint64_t)v;
  return 1;
}

int cli_parse_int(const char *cmd, const char *opt, const char *s, int lo, int hi, int *out) {
  char *end = NULL;
  errno = 0;
  const int plain = plain_decimal(s);
  long v = plain ? strtol(s, &end, 10) : 0;
  if (!plain || !end || end == s || *end != '\0' || errno == ERANGE || v < lo || v > hi) {
    cli_usage_error(cmd, "%s: expected an integer in [%d, %d], got '%s'", opt, lo, hi, s ? s : "");
    return 0;
  }
  *out = (int)v;
  return 1;
}

int cli_parse_range(const char *cmd, const char *opt, const char *s, double lo, double hi,
                    size_t max_n, double **values, size_t *n) {
  *values = NULL;
  *n = 0;
  if (!s || !*s) {
    cli_usage_error(cmd, "%s: expected 'start:stop:step' or a comma list, got ''", opt);
    return 0;
  }
  double *v = (double *)malloc(max_n * sizeof *v);
  if (!v) {
    cli_error(cmd, "out of memory");
    return 0;
  }
  size_t count = 0;
  if (strchr(s, ':')) {
    double a, b, st;
    char tail;
    if (sscanf(s, "%lf:%lf:%lf%c", &a, &b, &st, &tail) != 3 || !(st > 0) || !(b >= a) ||
        !isfinite(a) || !isfinite(b)) {
      free(v);
      cli_usage_error(
          cmd, "%s: expected 'start:stop:step' with stop >= start and step > 0, got '%s'", opt, s);
      return 0;
    }
    for (double x = a; x <= b + st * 1e-3; x = a + st * (double)count) {
      if (count == max_n) {
        free(v);
        cli_usage_error(cmd, "%s: more than %zu values in '%s'", opt, max_n, s);
        return 0;
      }
      v[count++] = x > b ? b : x;
    }
  } else {
    const char *p = s;
    while (*p) {
      char *end = NULL;
      errno = 0;
      double x = strtod(p, &end);
      if (end == p || errno == ERANGE || (*end != ',' && *end != '\0')) {
        free(v);
        cli_usage_error(cmd, "%s: expected a comma list of numbers, got '%s'", opt, s);
        return 0;
      }
      if (count == max_n) {
        free(v);
        cli_usage_error(cmd, "%s: more than %zu values in '%s'", opt, max_n, s);
        return 0;
      }
      v[count++] = x;
      p = *end ? end + 1 : end;
    }
  }
  for (size_t i = 0; i < count; ++i) {
    if (!(v[i] >= lo && v[i] <= hi)) {
      cli_usage_error(cmd, "%s: value %g outside [%g, %g]", opt, v[i], lo, hi);
      free(v);
      return 0;
    }
  }
  if (count == 0) {
    free(v);
    cli_usage_error(cmd, "%s: empty range '%s'", opt, s);
    return 0;
  }
  *values = v;
  *n = count;
  return 1;
}

json_t *cli_json_string(const char *s) {
  if (!s) s = "";
  json_t *j = json_string(s);
  if (j) return j;
  char *clean = strdup(s); /* not UTF-8: keep the ASCII, mark the rest */
  if (!clean) return NULL;
  for (char *p = clean; *p; ++p)
    if ((unsigned char)*p >= 0x80) *p = '?';
  j = json_string(clean);
  free(clean);
  return j;
}

json_t *cli_json_u64(uint64_t v) {
  if (v <= (uint64_t)INT64_MAX) return json_integer((json_int_t)v);
  char txt[24];
  snprintf(txt, sizeof txt, "%llu", (unsigned long long)v);
  return json_string(txt);
}

json_t *cli_json_real(double x, int digits, int significant) {
  if (!isfinite(x)) return json_null();
  char txt[400];
  snprintf(txt, sizeof txt, significant ? "%.*g" : "%.*f", digits, x);
  const double v = strtod(txt, NULL);
  /* %g writes an integral value without a '.', jansson's reals always carry one */
  if (significant && v == floor(v) && fabs(v) < 1e15) return json_integer((json_int_t)v);
  return json_real(v);
}

char *cli_json_text(json_t *j, size_t flags) {
  char *txt = j ? json_dumps(j, flags) : NULL;
  json_decref(j);
  if (!txt) return NULL;
  /* json_dumps allocates with jansson's allocator (sim/ may hand it libbnn's): hand out a malloc'd
   * copy so callers free() it, and release the original through jansson's own free. */
  char *out = strdup(txt);
  json_free_t jfree = NULL;
  json_get_alloc_funcs(NULL, &jfree);
  jfree(txt);
  return out;
}

int cli_json_print(json_t *j, size_t flags) {
  char *txt = cli_json_text(j, flags);
  if (!txt) return 0;
  puts(txt);
  free(txt);
  return 1;
}

char *cli_json_quote(const char *s) {
  return cli_json_text(cli_json_string(s), JSON_ENCODE_ANY | JSON_COMPACT);
}

double cli_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void fmt_eta(char *buf, size_t n, double s) {
  if (!(s >= 0) || s > 360000) {
    snprintf(buf, n, "--:--");
  } else if (s >= 3600) {
    snprintf(buf, n, "%d:%02d:%02d", (int)s / 3600, ((int)s / 60) % 60, (int)s % 60);
  } else {
    snprintf(buf, n, "%02d:%02d", (int)s / 60, (int)s % 60);
  }
}

void cli_progress_start(cli_progress *p, const char *label, uint64_t total, int enabled) {
  memset(p, 0, sizeof *p);
  p->label = label;
  p->total = total;
  p->t_start = p->t_last = cli_now();
  p->tty = isatty(STDERR_FILENO);
  p->enabled = enabled;
  p->last_decile = -1;
}

static void draw(cli_progress *p, uint64_t done, const char *unit, const char *msg, int final) {
  double now = cli_now();
  double el = now - p->t_start;
  /* Rates from a few milliseconds of work are noise (the first update often comes right after
   * the start): below 0.2 s the rate and ETA print as unknown. */
  const int timed = final || el >= 0.2;
  double rate = timed && el > 0 ? (double)done / el : 0.0;
  char rate_s[32];
  if (rate > 0)
    snprintf(rate_s, sizeof rate_s, "%.0f", rate);
  else
    snprintf(rate_s, sizeof rate_s, "-");
  double frac = p->total ? (double)done / (double)p->total : 1.0;
  if (frac > 1) frac = 1;
  char eta[32];
  fmt_eta(eta, sizeof eta, final ? el : (rate > 0 ? (double)(p->total - done) / rate : -1));
  if (p->tty) {
    char bar[31];
    int fill = (int)(frac * 30.0);
    for (int i = 0; i < 30; ++i) bar[i] = i < fill ? '#' : '.';
    bar[30] = '\0';
    fprintf(stderr, "\r%s [%s] %5.1f%% %llu/%llu %s %s/s %s %s %s\033[K", p->label, bar,
            100.0 * frac, (unsigned long long)done, (unsigned long long)p->total, rate_s, unit,
            final ? "in" : "ETA", eta, msg ? msg : "");
    if (final) fputc('\n', stderr);
  } else {
    fprintf(stderr, "%s: %5.1f%% %llu/%llu %s %s/s %s %s %s\n", p->label, 100.0 * frac,
            (unsigned long long)done, (unsigned long long)p->total, rate_s, unit,
            final ? "in" : "ETA", eta, msg ? msg : "");
  }
  fflush(stderr);
  p->t_last = now;
  p->last_done = done;
}

void cli_progress_update(cli_progress *p, uint64_t done, const char *unit, const char *msg) {
  if (!p->enabled) return;
  double now = cli_now();
  if (p->tty) {
    if (now - p->t_last < 0.1) return;
  } else {
    int decile = p->total ? (int)(10 * done / p->total) : 10;
    if (decile == p->last_decile && now - p->t_last < 30.0) return;
    p->last_decile = decile;
  }
  draw(p, done, unit, msg, 0);
}

void cli_progress_finish(cli_progress *p, const char *unit, const char *msg) {
  if (!p->enabled) return;
  draw(p, p->total, unit, msg, 1);
}
