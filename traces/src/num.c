/* num.c — libtrace's fast number parsing and formatting (decimal and hex u64, decimal i64). */
#include "io_impl.h"

#include <string.h>

int rrt_parse_u64_dec(const char **pp, uint64_t *v) {
  const char *p = *pp;
  uint64_t x = 0;
  if (*p < '0' || *p > '9') return 0;
  while (*p >= '0' && *p <= '9') {
    unsigned d = (unsigned)(*p - '0');
    if (x > (UINT64_MAX - d) / 10) return 0; /* overflow */
    x = x * 10 + d;
    ++p;
  }
  *v = x;
  *pp = p;
  return 1;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int rrt_parse_u64_hex(const char **pp, uint64_t *v) {
  const char *p = *pp;
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) p += 2;
  uint64_t x = 0;
  int n = 0, d;
  while ((d = hexval(*p)) >= 0) {
    if (x >> 60) return 0; /* more than 64 bits */
    x = (x << 4) | (uint64_t)d;
    ++p;
    ++n;
  }
  if (!n) return 0;
  *v = x;
  *pp = p;
  return 1;
}

int rrt_parse_i64_dec(const char **pp, int64_t *v) {
  const char *p = *pp;
  int neg = 0;
  if (*p == '-') {
    neg = 1;
    ++p;
  }
  uint64_t u;
  if (!rrt_parse_u64_dec(&p, &u)) return 0;
  if (neg ? u > (uint64_t)INT64_MAX + 1 : u > (uint64_t)INT64_MAX) return 0;
  *v = neg ? (int64_t)(0 - u) : (int64_t)u;
  *pp = p;
  return 1;
}

char *rrt_fmt_u64_dec(char *dst, uint64_t v) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) *dst++ = tmp[--n];
  return dst;
}

char *rrt_fmt_u64_hex(char *dst, uint64_t v) {
  static const char digits[] = "0123456789abcdef";
  char tmp[16];
  int n = 0;
  do {
    tmp[n++] = digits[v & 15];
    v >>= 4;
  } while (v);
  while (n) *dst++ = tmp[--n];
  return dst;
}

char *rrt_fmt_i64_dec(char *dst, int64_t v) {
  if (v < 0) {
    *dst++ = '-';
    return rrt_fmt_u64_dec(dst, (uint64_t)0 - (uint64_t)v);
  }
  return rrt_fmt_u64_dec(dst, (uint64_t)v);
}
