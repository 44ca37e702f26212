/* cli.c — shared CLI helpers: error lines, strict option parsing, progress bars. */
#include "cli.h"
#include "bnn/durable.h"
#include "rramsim_version.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef RRAMSIM_VERSION_STRING
#define RRAMSIM_VERSION_STRING "unknown"
#endif

const char *rr_version(void) {
  return RRAMSIM_VERSION_STRING;
}

FILE *rr_atomic_open(const char *path, char *tmp, size_t n) {
  bnn_remove_stale_temps(path);
  const int len = snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
  if (len < 0 || (size_t)len >= n) {
    errno = ENAMETOOLONG;
    return NULL;
  }
  return fopen(tmp, "w");
}

int rr_atomic_commit(FILE *f, const char *tmp, const char *path) {
  int ok = !ferror(f);
  const int saved = errno;
  ok = (fclose(f) == 0) && ok;
  if (ok && bnn_rename_durable(tmp, path) != BNN_OK) ok = 0;
  if (!ok) {
    const int e = errno ? errno : saved;
    remove(tmp);
    errno = e;
  }
  return ok;
}

static void vreport(const char *cmd, const char *fmt, va_list ap) {
  fprintf(stderr, "rramsim%s%s: ", cmd ? " " : "", cmd ? cmd : "");
  vfprintf(stderr, fmt, ap);
}

int rr_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vreport(cmd, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  return RR_EXIT_FAIL;
}

int rr_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vreport(cmd, fmt, ap);
  va_end(ap);
  fprintf(stderr, " (see 'rramsim %s --help')\n", cmd ? cmd : "");
  return RR_EXIT_USAGE;
}

int rr_parse_double(const char *cmd, const char *opt, const char *s, double lo, double hi,
                    double *out) {
  char *end = NULL;
  errno = 0;
  double v = s ? strtod(s, &end) : 0.0;
  if (!s || end == s || *end != '\0' || errno == ERANGE || !isfinite(v) || v < lo || v > hi) {
    rr_usage_error(cmd, "%s: expected a number in [%g, %g], got '%s'", opt, lo, hi, s ? s : "");
    return 0;
  }
  *out = v;
  return 1;
}

int rr_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t lo, uint64_t hi,
                 uint64_t *out) {
  char *end = NULL;
  errno = 0;
  unsigned long long v = (s && *s != '-') ? strtoull(s, &end, 0) : 0;
  if (!s || *s == '-' || end == s || *end != '\0' || errno == ERANGE || v < lo || v > hi) {
    rr_usage_error(cmd, "%s: expected an integer in [%llu, %llu], got '%s'", opt,
                   (unsigned long long)lo, (unsigned long long)hi, s ? s : "");
    return 0;
  }
  *out = (uint64_t)v;
  return 1;
}

int rr_parse_int(const char *cmd, const char *opt, const char *s, int lo, int hi, int *out) {
  char *end = NULL;
  errno = 0;
  long v = s ? strtol(s, &end, 10) : 0;
  if (!s || end == s || *end != '\0' || errno == ERANGE || v < lo || v > hi) {
    rr_usage_error(cmd, "%s: expected an integer in [%d, %d], got '%s'", opt, lo, hi, s ? s : "");
    return 0;
  }
  *out = (int)v;
  return 1;
}

int rr_parse_range(const char *cmd, const char *opt, const char *s, double lo, double hi,
                   size_t max_n, double **values, size_t *n) {
  *values = NULL;
  *n = 0;
  if (!s || !*s) {
    rr_usage_error(cmd, "%s: expected 'start:stop:step' or a comma list, got ''", opt);
    return 0;
  }
  double *v = (double *)malloc(max_n * sizeof *v);
  if (!v) {
    rr_error(cmd, "out of memory");
    return 0;
  }
  size_t count = 0;
  if (strchr(s, ':')) {
    double a, b, st;
    char tail;
    if (sscanf(s, "%lf:%lf:%lf%c", &a, &b, &st, &tail) != 3 || !(st > 0) || !(b >= a) ||
        !isfinite(a) || !isfinite(b)) {
      free(v);
      rr_usage_error(
          cmd, "%s: expected 'start:stop:step' with stop >= start and step > 0, got '%s'", opt, s);
      return 0;
    }
    for (double x = a; x <= b + st * 1e-3; x = a + st * (double)count) {
      if (count == max_n) {
        free(v);
        rr_usage_error(cmd, "%s: more than %zu values in '%s'", opt, max_n, s);
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
        rr_usage_error(cmd, "%s: expected a comma list of numbers, got '%s'", opt, s);
        return 0;
      }
      if (count == max_n) {
        free(v);
        rr_usage_error(cmd, "%s: more than %zu values in '%s'", opt, max_n, s);
        return 0;
      }
      v[count++] = x;
      p = *end ? end + 1 : end;
    }
  }
  for (size_t i = 0; i < count; ++i) {
    if (!(v[i] >= lo && v[i] <= hi)) {
      rr_usage_error(cmd, "%s: value %g outside [%g, %g]", opt, v[i], lo, hi);
      free(v);
      return 0;
    }
  }
  if (count == 0) {
    free(v);
    rr_usage_error(cmd, "%s: empty range '%s'", opt, s);
    return 0;
  }
  *values = v;
  *n = count;
  return 1;
}

double rr_now(void) {
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

void rr_progress_start(rr_progress *p, const char *label, uint64_t total, int enabled) {
  memset(p, 0, sizeof *p);
  p->label = label;
  p->total = total;
  p->t_start = p->t_last = rr_now();
  p->tty = isatty(STDERR_FILENO);
  p->enabled = enabled;
  p->last_decile = -1;
}

static void draw(rr_progress *p, uint64_t done, const char *unit, const char *msg, int final) {
  double now = rr_now();
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

void rr_progress_update(rr_progress *p, uint64_t done, const char *unit, const char *msg) {
  if (!p->enabled) return;
  double now = rr_now();
  if (p->tty) {
    if (now - p->t_last < 0.1) return;
  } else {
    int decile = p->total ? (int)(10 * done / p->total) : 10;
    if (decile == p->last_decile && now - p->t_last < 30.0) return;
    p->last_decile = decile;
  }
  draw(p, done, unit, msg, 0);
}

void rr_progress_finish(rr_progress *p, const char *unit, const char *msg) {
  if (!p->enabled) return;
  draw(p, p->total, unit, msg, 1);
}
