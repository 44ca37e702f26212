/* prov.c — libtrace provenance in text headers: the "# key: value" comment lines written and
 * parsed, value validation, and the comparison of a file's provenance with the expected one. */
#include "io_impl.h"

#include <stdio.h>
#include <string.h>

void rrt_prov_store_init(rrt_prov_store *s) {
  memset(s, 0, sizeof *s);
  s->view.tool = s->tool;
  s->view.config_hash = s->config_hash;
  s->view.seed = s->seed;
  s->view.model_id = s->model_id;
}

static int prov_value_ok(const char *v) {
  if (!v) return 1;
  size_t n = strlen(v);
  return n <= RRT_PROV_MAX && !strpbrk(v, "\r\n");
}

bnn_status rrt_prov_validate(const rrt_provenance *p, const char *path) {
  if (!p) return BNN_OK;
  const char *names[4] = {"tool", "config_hash", "seed", "model_id"};
  const char *vals[4] = {p->tool, p->config_hash, p->seed, p->model_id};
  for (int i = 0; i < 4; ++i)
    if (!prov_value_ok(vals[i]))
      return bnn_fail(BNN_E_ARG, "%s: provenance %s must be at most %d characters without newlines",
                      path, names[i], RRT_PROV_MAX);
  return BNN_OK;
}

static bnn_status put_kv(rrt_out *o, const char *key, const char *val) {
  char line[RRT_PROV_MAX + 64];
  int n = snprintf(line, sizeof line, "# %s: %s\n", key, val ? val : "");
  return rrt_out_write(o, line, (size_t)n);
}

bnn_status rrt_prov_write_text(rrt_out *o, const rrt_provenance *p, unsigned mask) {
  rrt_provenance none = {NULL, NULL, NULL, NULL, 0};
  if (!p) p = &none;
  bnn_status s = BNN_OK;
  if (!s && (mask & RRT_PROV_TOOL)) s = put_kv(o, "tool", p->tool);
  if (!s && (mask & RRT_PROV_CONFIG_HASH)) s = put_kv(o, "config_hash", p->config_hash);
  if (!s && (mask & RRT_PROV_SEED)) s = put_kv(o, "seed", p->seed);
  if (!s && (mask & RRT_PROV_MODEL_ID)) s = put_kv(o, "model_id", p->model_id);
  if (!s && (mask & RRT_PROV_CLOCK)) {
    char v[32];
    *rrt_fmt_u64_dec(v, p->clock_ps) = '\0';
    s = put_kv(o, "clock_ps", v);
    /* The same clock as DRAMSys's trace-player setting "clkMhz" (an integer), when it is one. */
    if (!s && p->clock_ps && 1000000 % p->clock_ps == 0) {
      *rrt_fmt_u64_dec(v, 1000000 / p->clock_ps) = '\0';
      s = put_kv(o, "clkMhz", v);
    }
  }
  return s;
}

static void copy_trimmed(char *dst, const char *src) {
  size_t n = strlen(src);
  while (n && rrt_is_space(src[n - 1])) --n;
  if (n > RRT_PROV_MAX) n = RRT_PROV_MAX;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

int rrt_prov_parse_comment(rrt_prov_store *s, const char *line) {
  const char *p = rrt_skip_space(line);
  if (*p != '#') return 0;
  p = rrt_skip_space(p + 1);
  static const struct {
    const char *key;
    size_t off;
  } keys[] = {{"tool", offsetof(rrt_prov_store, tool)},
              {"config_hash", offsetof(rrt_prov_store, config_hash)},
              {"seed", offsetof(rrt_prov_store, seed)},
              {"model_id", offsetof(rrt_prov_store, model_id)}};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; ++i) {
    size_t k = strlen(keys[i].key);
    if (!strncmp(p, keys[i].key, k) && p[k] == ':') {
      copy_trimmed((char *)s + keys[i].off, rrt_skip_space(p + k + 1));
      return 1;
    }
  }
  if (!strncmp(p, "clock_ps:", 9)) {
    const char *q = rrt_skip_space(p + 9);
    uint64_t v;
    if (rrt_parse_u64_dec(&q, &v) && !*rrt_skip_space(q)) s->view.clock_ps = v;
    return 1;
  }
  /* DRAMSys's clkMhz, as rramsim writes it next to clock_ps: the clock of a trace that has no
     clock_ps line, when its period is a whole number of picoseconds. */
  if (!strncmp(p, "clkMhz:", 7)) {
    const char *q = rrt_skip_space(p + 7);
    uint64_t v;
    if (rrt_parse_u64_dec(&q, &v) && !*rrt_skip_space(q) && v && v <= 1000000 && 1000000 % v == 0 &&
        !s->view.clock_ps)
      s->view.clock_ps = 1000000 / v;
    return 1;
  }
  return 0;
}

unsigned rrt_prov_compare(const rrt_provenance *file, const rrt_provenance *expected, unsigned mask,
                          char *msg, size_t msg_size) {
  unsigned bad = 0;
  if (msg && msg_size) msg[0] = '\0';
  if (!file || !expected) return 0;
  const char *names[4] = {"tool", "config_hash", "seed", "model_id"};
  const unsigned bits[4] = {RRT_PROV_TOOL, RRT_PROV_CONFIG_HASH, RRT_PROV_SEED, RRT_PROV_MODEL_ID};
  const char *fv[4] = {file->tool, file->config_hash, file->seed, file->model_id};
  const char *ev[4] = {expected->tool, expected->config_hash, expected->seed, expected->model_id};
  for (int i = 0; i < 4; ++i) {
    if (!(mask & bits[i]) || !ev[i] || !*ev[i]) continue;
    const char *f = fv[i] ? fv[i] : "";
    if (strcmp(f, ev[i]) != 0) {
      if (!bad && msg && msg_size)
        snprintf(msg, msg_size, "%s: file says '%s', expected '%s'", names[i], f, ev[i]);
      bad |= bits[i];
    }
  }
  if ((mask & RRT_PROV_CLOCK) && expected->clock_ps && file->clock_ps != expected->clock_ps) {
    if (!bad && msg && msg_size)
      snprintf(msg, msg_size, "clock_ps: file says %llu, expected %llu",
               (unsigned long long)file->clock_ps, (unsigned long long)expected->clock_ps);
    bad |= RRT_PROV_CLOCK;
  }
  return bad;
}
