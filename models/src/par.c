/* par.c — libbet's parallel-for for elementwise loops and blocked products. The range is split
 * into contiguous equal chunks, so the work done per index never depends on the thread count or
 * on which thread runs a chunk.
 * Threads: a small pool of workers that sleep on a condition variable between calls (a training
 * step makes ~15 calls; starting and joining fresh threads cost ~0.4 s per FCNN epoch on this
 * machine). Why not OpenMP: its idle workers spin between parallel regions and steal the cores
 * OpenBLAS's calls need (measured: ~15 % of an epoch on 2 cores); these workers block instead.
 * The pool serves one caller at a time: a call made while it is busy (another thread of the
 * program, or a chunk calling bet_parallel_for itself) starts its own threads as before. */
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

#define PAR_MAX 64

/* ---- the pool ------------------------------------------------------------------------------- */

static pthread_mutex_t g_caller = PTHREAD_MUTEX_INITIALIZER; /* held by the pool's one caller */
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;     /* guards everything below */
static pthread_cond_t g_go = PTHREAD_COND_INITIALIZER;
static pthread_cond_t g_done = PTHREAD_COND_INITIALIZER;
static int g_workers;       /* started (they never exit) */
static unsigned long g_gen; /* bumped for every call */
static par_task *g_tasks;   /* this call's chunks */
static size_t g_ntasks, g_next, g_pending;

/* Claims and runs chunks until none is left; called with g_mu held, returns with it held. */
static void pool_drain(void) {
  while (g_next < g_ntasks) {
    par_task *t = &g_tasks[g_next++];
    pthread_mutex_unlock(&g_mu);
    par_run(t);
    pthread_mutex_lock(&g_mu);
    if (--g_pending == 0) pthread_cond_signal(&g_done);
  }
}

static void *pool_worker(void *arg) {
  (void)arg;
  unsigned long seen = 0;
  pthread_mutex_lock(&g_mu);
  for (;;) {
    while (g_gen == seen) pthread_cond_wait(&g_go, &g_mu);
    seen = g_gen;
    pool_drain();
  }
  return NULL;
}

/* Runs tasks[0..nt) on the pool; 0 when the pool is busy (nothing run). */
static int pool_run(par_task *tasks, size_t nt) {
  if (pthread_mutex_trylock(&g_caller) != 0) return 0;
  pthread_mutex_lock(&g_mu);
  while ((size_t)g_workers + 1 < nt) { /* a worker that cannot start: the caller does more */
    pthread_t tid;
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0) break;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    const int ok = pthread_create(&tid, &attr, pool_worker, NULL) == 0;
    pthread_attr_destroy(&attr);
    if (!ok) break;
    ++g_workers;
  }
  g_tasks = tasks;
  g_ntasks = nt;
  g_next = 0;
  g_pending = nt;
  ++g_gen;
  pthread_cond_broadcast(&g_go);
  pool_drain();
  while (g_pending > 0) pthread_cond_wait(&g_done, &g_mu);
  g_tasks = NULL;
  g_ntasks = 0;
  pthread_mutex_unlock(&g_mu);
  pthread_mutex_unlock(&g_caller);
  return 1;
}

/* ---- fresh threads (the pool busy) ---------------------------------------------------------- */

static void fresh_run(par_task *tasks, size_t nt) {
  pthread_t tids[PAR_MAX];
  int started[PAR_MAX];
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

void bet_parallel_for(size_t n, size_t min_per_thread, bet_par_fn fn, void *ctx) {
  size_t nt = (size_t)g_threads;
  if (min_per_thread == 0) min_per_thread = 1;
  if (nt > n / min_per_thread) nt = n / min_per_thread;
  if (nt > PAR_MAX) nt = PAR_MAX;
  if (nt <= 1) {
    if (n) fn(ctx, 0, n);
    return;
  }
  par_task tasks[PAR_MAX];
  for (size_t i = 0; i < nt; ++i) {
    tasks[i].fn = fn;
    tasks[i].ctx = ctx;
    tasks[i].lo = n * i / nt;
    tasks[i].hi = n * (i + 1) / nt;
  }
  if (!pool_run(tasks, nt)) fresh_run(tasks, nt);
}
