/* par.c — libbet's parallel-for for elementwise loops: fresh threads per call, joined at the end.
 * Why not OpenMP: its idle workers spin between parallel regions and steal the cores OpenBLAS's
 * threads need for the GEMMs that follow (measured: ~15 % of an epoch on 2 cores). Thread start-up
 * (tens of µs) is small against the multi-megabyte loops this is used for. The range is split into
 * contiguous equal chunks, so the work done per index never depends on the thread count. */
#include <pthread.h>

#include "bet_impl.h"

static int g_threads = 1;

void bet_par_set_threads(int n) {
  g_threads = n < 1 ? 1 : n;
}
int bet_par_threads(void) {
  return g_threads;
}

typedef struct par_task {
  bet_par_fn fn;
  void *ctx;
  size_t lo, hi;
} par_task;

static void *par_run(void *arg) {
  par_task *t = (par_task *)arg;
  if (t->lo < t->hi) t->fn(t->ctx, t->lo, t->hi);
  return NULL;
}

void bet_parallel_for(size_t n, size_t min_per_thread, bet_par_fn fn, void *ctx) {
  size_t nt = (size_t)g_threads;
  if (min_per_thread == 0) min_per_thread = 1;
  if (nt > n / min_per_thread) nt = n / min_per_thread;
  if (nt > 64) nt = 64;
  if (nt <= 1) {
    if (n) fn(ctx, 0, n);
    return;
  }
  par_task tasks[64];
  pthread_t tids[64];
  int started[64];
  for (size_t i = 0; i < nt; ++i) {
    tasks[i].fn = fn;
    tasks[i].ctx = ctx;
    tasks[i].lo = n * i / nt;
    tasks[i].hi = n * (i + 1) / nt;
  }
  /* Chunk 0 runs on the caller; if a thread cannot start, its chunk runs here too. */
  for (size_t i = 1; i < nt; ++i)
    started[i] = pthread_create(&tids[i], NULL, par_run, &tasks[i]) == 0;
  par_run(&tasks[0]);
  for (size_t i = 1; i < nt; ++i) {
    if (started[i])
      pthread_join(tids[i], NULL);
    else
      par_run(&tasks[i]);
  }
}
