/* bench_train.c — seconds per training epoch of libbet on Fashion-MNIST (FCNN 784-2048-2048-10,
 * clean and with --flip-p 0.01; VGG3), against the PyTorch figures of the issue and against the
 * sgemm roof of this machine measured in the same run; the clean FCNN also on the reference path
 * (bet_train_params.ref_kernels: scalar Adam, sgemm first layer, unfused batch norm, sgemm for
 * every backward product), for the fast/reference ratio of the same run, in wall and CPU seconds.
 *
 * usage: bench_train [--threads T] [--train-limit N] [--skip-vgg3] [--skip-fcnn] [--pytorch-clean
 * S]
 * --pytorch-clean S: seconds per clean FCNN epoch that bench/pytorch_ref.py (optional, needs
 * python3-torch) measured on this machine; printed as a second, same-machine baseline. Without it
 * only the figures are used, so the bench never needs PyTorch.
 * The epoch time includes shuffling, flips, forward, backward and Adam; it excludes the
 * per-epoch test evaluation (reported separately). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bet/bet.h"
#include "bet/layers.h"
#include "bnn/data.h"

/* PyTorch 1.13 + OpenBLAS on this kind of machine, FCNN 784-2048-2048-10, batch 256, 2 threads
 * (from the issue). */
#define PYTORCH_FCNN_CLEAN_S 37.8
#define PYTORCH_FCNN_FLIP_S  52.7

/* CPU seconds of this process (all threads): on a shared machine wall time stretches with other
 * people's load, CPU time much less. */
static double cpu_now(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
         (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Sustained sgemm GFLOP/s of the FCNN's largest product (256 × 2048 × 2048), via libbet. */
static double sgemm_gflops(void) {
  const size_t m = 256, k = 2048, n = 2048;
  float *x = (float *)bnn_malloc(m * k * sizeof(float));
  float *w = (float *)bnn_malloc(n * k * sizeof(float));
  float *y = (float *)bnn_malloc(m * n * sizeof(float));
  if (!x || !w || !y) return 0.0;
  for (size_t i = 0; i < m * k; ++i) x[i] = (float)((i * 7) % 3) - 1.0f;
  for (size_t i = 0; i < n * k; ++i) w[i] = (i * 13) % 2 ? 1.0f : -1.0f;
  bet_dense_forward(x, m, k, w, n, y); /* warm-up */
  double best = 0.0;
  for (int r = 0; r < 3; ++r) {
    const double t0 = now();
    for (int i = 0; i < 10; ++i) bet_dense_forward(x, m, k, w, n, y);
    const double g = 10.0 * 2.0 * (double)(m * k * n) / (now() - t0) / 1e9;
    if (g > best) best = g;
  }
  bnn_free(x);
  bnn_free(w);
  bnn_free(y);
  return best;
}

/* Float operations of one training epoch over n images through GEMMs: forward (M·K·N each layer,
 * counted when `forward`), weight gradient (same) and input gradient (same, except for the first
 * layer). Without the forward: the backward products, all sgemm on the reference path (so at the
 * sgemm roof that path's floor); the fast path runs those of the hidden layers with ±1 inputs as
 * sums of ±δ (bet_pm1_gemm), not bound by this roof. */
static double epoch_gemm_flops(const bet_net *net, uint32_t n_layers, double n_images,
                               const uint32_t *positions, int forward) {
  double f = 0.0;
  for (uint32_t l = 0; l < n_layers; ++l) {
    const double mkn = (double)positions[l] * bet_net_fan_in(net, l) * bet_net_n_out(net, l);
    f += 2.0 * mkn * ((forward ? 1.0 : 0.0) + (l == 0 ? 1.0 : 2.0));
  }
  return f * n_images;
}

/* CPU seconds (scaled to 60000 images) of the last run(). */
static double g_last_cpu;

/* Trains one epoch; returns its seconds scaled to 60000 images, or a negative value on error.
 * ref: bet_train_params.ref_kernels (1 = the reference path, as before the fast kernels). */
static double run(const char *arch_s, const bnn_dataset *train, const bnn_dataset *test,
                  double flip_p, int ref, int threads, double roof, const char *label,
                  double baseline) {
  bet_arch arch;
  bet_net *net = NULL;
  if (bet_arch_parse(arch_s, train->n_classes, &arch) != BNN_OK ||
      bet_net_create(&net, &arch, train->c, train->h, train->w, train->n_classes, 1) != BNN_OK) {
    fprintf(stderr, "bench_train: %s\n", bnn_errmsg());
    return -1.0;
  }
  bet_train_params p = bet_train_default_params();
  p.batch = 256;
  p.threads = threads;
  p.flip_p = flip_p;
  p.ref_kernels = ref;
  bet_epoch_stats st;
  const double c0 = cpu_now();
  const double t0 = now();
  if (bet_train_epoch(net, train, &p, NULL, NULL, &st) != BNN_OK) {
    fprintf(stderr, "bench_train: %s\n", bnn_errmsg());
    bet_net_free(net);
    return -1.0;
  }
  const double dt = now() - t0;
  const double dcpu = cpu_now() - c0;
  g_last_cpu = dcpu * 60000.0 / (double)train->n;
  double acc = 0.0;
  const double t1 = now();
  if (bet_evaluate(net, test, threads, 0.0, 0, 0, NULL, NULL, &acc) != BNN_OK) {
    fprintf(stderr, "bench_train: %s\n", bnn_errmsg());
    bet_net_free(net);
    return -1.0;
  }
  const double de = now() - t1;
  /* --bn-stats train-set: the re-estimation it adds to every epoch, and what it does to the
   * test accuracy of the same weights. */
  const double t2 = now();
  double acc_ts = 0.0;
  if (bet_net_estimate_bn(net, train, threads) != BNN_OK ||
      bet_evaluate(net, test, threads, 0.0, 0, 0, NULL, NULL, &acc_ts) != BNN_OK) {
    fprintf(stderr, "bench_train: %s\n", bnn_errmsg());
    bet_net_free(net);
    return -1.0;
  }
  const double dbn = now() - t2 - de; /* the second evaluation costs what the first did */
  /* Output positions per image of each weight layer (conv: H·W; dense: 1). */
  uint32_t pos[BET_MAX_LAYERS];
  uint32_t h = train->h, w = train->w;
  for (uint32_t l = 0; l < arch.n_layers; ++l) {
    if (arch.layers[l].kind == BET_CONV3X3) {
      pos[l] = h * w;
      if (arch.layers[l].pool) h /= 2, w /= 2;
    } else {
      pos[l] = 1;
    }
  }
  const double flops = epoch_gemm_flops(net, arch.n_layers, (double)train->n, pos, 1);
  const double lower = roof > 0 ? flops / (roof * 1e9) : 0.0;
  const double scale = 60000.0 / (double)train->n; /* per full Fashion-MNIST epoch */
  printf(
      "%-28s %8.2f s/epoch  %8.0f img/s  (train acc %.2f%%, test acc after 1 epoch %.2f%%, "
      "%llu flips)\n",
      label, dt * scale, (double)train->n / dt, 100.0 * st.train_acc, 100.0 * acc,
      (unsigned long long)st.flips);
  printf(
      "%-28s   CPU time %.2f s/epoch over %d threads (%.2f s per thread: the wall time on idle "
      "cores, roughly)\n",
      "", dcpu * scale, threads, dcpu * scale / threads);
  if (baseline > 0)
    printf(
        "%-28s   vs PyTorch %.1f s/epoch: ratio %.2f (PyTorch s / libbet s; > 1 = libbet faster)\n",
        "", baseline, baseline / (dt * scale));
  else
    printf("%-28s   (no PyTorch figure for this net)\n", "");
  printf(
      "%-28s   GEMM work %.2f TFLOP/epoch; at the measured sgemm roof that is %.2f s: "
      "libbet reaches %.0f%% of the roof\n",
      "", flops * scale / 1e12, lower * scale, lower > 0 ? 100.0 * lower / dt : 0.0);
  const double bflops = epoch_gemm_flops(net, arch.n_layers, (double)train->n, pos, 0);
  const double blower = roof > 0 ? bflops / (roof * 1e9) : 0.0;
  printf(
      "%-28s   of which backward (dW, dX) %.2f TFLOP/epoch = %.2f s at the sgemm roof (all "
      "sgemm on the reference path; the epoch minus that: %.2f s)\n",
      "", bflops * scale / 1e12, blower * scale, (dt - blower) * scale);
  printf("%-28s   test evaluation (%u images, integer path): %.2f s\n", "", test->n, de);
  printf(
      "%-28s   --bn-stats train-set re-estimation (%u images): %.2f s = %.1f%% of the epoch; "
      "test acc %.2f%% -> %.2f%%\n",
      "", train->n, dbn * scale, 100.0 * dbn / dt, 100.0 * acc, 100.0 * acc_ts);
  bet_net_free(net);
  return dt * scale;
}

int main(int argc, char **argv) {
  int threads = 2, skip_vgg3 = 0, skip_fcnn = 0;
  unsigned long limit = 0;
  double pt_clean = 0.0;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--train-limit") && i + 1 < argc)
      limit = strtoul(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--skip-vgg3"))
      skip_vgg3 = 1;
    else if (!strcmp(argv[i], "--skip-fcnn"))
      skip_fcnn = 1;
    else if (!strcmp(argv[i], "--pytorch-clean") && i + 1 < argc) {
      char *end = NULL;
      pt_clean = strtod(argv[++i], &end);
      if (!end || *end || !(pt_clean > 0.0 && pt_clean < 1e6)) {
        fprintf(stderr, "bench_train: --pytorch-clean: expected seconds per epoch > 0, got '%s'\n",
                argv[i]);
        return 2;
      }
    } else {
      fprintf(stderr,
              "usage: bench_train [--threads T] [--train-limit N] [--skip-vgg3] "
              "[--skip-fcnn] [--pytorch-clean S]\n");
      return 2;
    }
  }
  if (threads < 1 || threads > 256) {
    fprintf(stderr, "bench_train: --threads must be in [1, 256]\n");
    return 2;
  }
  bnn_dataset train, test;
  if (bnn_dataset_open(&train, "fashion-mnist", "train", (uint32_t)limit) != BNN_OK ||
      bnn_dataset_open(&test, "fashion-mnist", "test", 0) != BNN_OK) {
    fprintf(stderr, "bench_train: %s\n", bnn_errmsg());
    return 1;
  }
  /* Baseline of this run: the machine's sgemm roof on the same thread count. */
  {
    /* bet_train_epoch sets the BLAS thread count; do the same for the roof measurement by a
     * one-image evaluation first. */
    bet_arch a;
    bet_net *n = NULL;
    if (bet_arch_parse("fcnn", 10, &a) == BNN_OK &&
        bet_net_create(&n, &a, 1, 28, 28, 10, 1) == BNN_OK) {
      bnn_dataset one = test;
      one.n = 1;
      double acc;
      bet_evaluate(n, &one, threads, 0.0, 0, 0, NULL, NULL, &acc);
    }
    bet_net_free(n);
  }
  const double roof = sgemm_gflops();
  printf(
      "libbet training benchmark: Fashion-MNIST %u training images (times scaled to 60000), "
      "batch 256, %d threads\n",
      train.n, threads);
  printf("sgemm roof (256x2048x2048, OpenBLAS, %d threads): %.1f GFLOP/s\n", threads, roof);
  /* The machine may be shared: say how busy it was, since every figure below depends on it. */
  FILE *la = fopen("/proc/loadavg", "r");
  char load[64] = "?";
  if (la) {
    if (!fgets(load, sizeof load, la)) snprintf(load, sizeof load, "?");
    fclose(la);
  }
  printf("load average at start: %s", load);
  printf(
      "bit-packed forward kernel: %s; first layer u8 x s8 kernel: %s; float x ±1 backward kernel: "
      "%s\n",
      bet_xnor_gemm_kernel(), bet_u8s8_gemm_kernel(), bet_pm1_gemm_kernel());
  int rc = 0;
  if (!skip_fcnn) {
    const double clean = run("fcnn", &train, &test, 0.0, 0, threads, roof,
                             "FCNN 784-2048-2048-10 clean", PYTORCH_FCNN_CLEAN_S);
    const double cpu_fast = g_last_cpu;
    if (pt_clean > 0 && clean > 0)
      printf(
          "%-28s   vs PyTorch measured on this machine (bench/pytorch_ref.py) %.1f s/epoch: "
          "ratio %.2f\n",
          "", pt_clean, pt_clean / clean);
    const double ref = run("fcnn", &train, &test, 0.0, 1, threads, roof,
                           "FCNN clean, reference path", PYTORCH_FCNN_CLEAN_S);
    if (clean > 0 && ref > 0)
      printf("%-28s   fast kernels vs the reference path (same run): %.2fx wall, %.2fx CPU\n", "",
             ref / clean, cpu_fast > 0 ? g_last_cpu / cpu_fast : 0.0);
    const double flip =
        run("fcnn", &train, &test, 0.01, 0, threads, roof, "FCNN flip-p 0.01", PYTORCH_FCNN_FLIP_S);
    rc |= clean < 0 || ref < 0 || flip < 0;
  }
  if (!skip_vgg3) rc |= run("vgg3", &train, &test, 0.0, 0, threads, roof, "VGG3 clean", 0.0) < 0;
  la = fopen("/proc/loadavg", "r");
  if (la) {
    if (fgets(load, sizeof load, la)) printf("load average at end: %s", load);
    fclose(la);
  }
  bnn_dataset_free(&train);
  bnn_dataset_free(&test);
  return rc;
}
