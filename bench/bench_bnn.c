/* bench_bnn.c — libbnn speed: dense kernel vs the measured popcount roof, FCNN images/s vs targets
 * and PyTorch figures, fault-injection cost per flip vs a per-bit sampler. Plain program: each
 * figure is printed with its ratio to a baseline measured in the same run. */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bnn/bnn.h"
#include "bnn/rng.h"
#include "bnn_impl.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static volatile uint64_t sink;

/* ---- popcount roofs over an L1-resident buffer ---- */

#define ROOF_WORDS 2048 /* 16 KiB */

/* Harley-Seal: carry-save adders fold 16 vectors into ones/twos/fours/eights/sixteens, so only one
 * vector in 16 is popcounted (vpshufb) per step. */
__attribute__((target("avx2,popcnt"))) static inline void csa(__m256i *h, __m256i *l, __m256i a,
                                                              __m256i b, __m256i c) {
  __m256i u = _mm256_xor_si256(a, b);
  *h = _mm256_or_si256(_mm256_and_si256(a, b), _mm256_and_si256(u, c));
  *l = _mm256_xor_si256(u, c);
}

__attribute__((target("avx2,popcnt"))) static inline __m256i pc256(__m256i v) {
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2,
                                       1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i low = _mm256_set1_epi8(0x0f);
  __m256i c =
      _mm256_add_epi8(_mm256_shuffle_epi8(lut, _mm256_and_si256(v, low)),
                      _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(v, 4), low)));
  return _mm256_sad_epu8(c, _mm256_setzero_si256());
}

/* Eight vectors from d into the ones/twos/fours counters; returns the eights carry out. */
__attribute__((target("avx2,popcnt"))) static inline __m256i csa8(__m256i *ones, __m256i *twos,
                                                                  __m256i *fours,
                                                                  const __m256i *d) {
  __m256i twosA, twosB, foursA, foursB, eights;
  csa(&twosA, ones, *ones, _mm256_load_si256(d), _mm256_load_si256(d + 1));
  csa(&twosB, ones, *ones, _mm256_load_si256(d + 2), _mm256_load_si256(d + 3));
  csa(&foursA, twos, *twos, twosA, twosB);
  csa(&twosA, ones, *ones, _mm256_load_si256(d + 4), _mm256_load_si256(d + 5));
  csa(&twosB, ones, *ones, _mm256_load_si256(d + 6), _mm256_load_si256(d + 7));
  csa(&foursB, twos, *twos, twosA, twosB);
  csa(&eights, fours, *fours, foursA, foursB);
  return eights;
}

__attribute__((target("avx2,popcnt"))) static uint64_t hs_avx2(const uint64_t *buf, size_t words) {
  const __m256i *d = (const __m256i *)(const void *)buf;
  size_t n = words / 4;
  __m256i total = _mm256_setzero_si256(), ones = total, twos = total, fours = total, eights = total,
          sixteens;
  for (size_t i = 0; i + 16 <= n; i += 16) {
    const __m256i eightsA = csa8(&ones, &twos, &fours, d + i);
    const __m256i eightsB = csa8(&ones, &twos, &fours, d + i + 8);
    csa(&sixteens, &eights, eights, eightsA, eightsB);
    total = _mm256_add_epi64(total, pc256(sixteens));
  }
  total = _mm256_slli_epi64(total, 4);
  total = _mm256_add_epi64(total, _mm256_slli_epi64(pc256(eights), 3));
  total = _mm256_add_epi64(total, _mm256_slli_epi64(pc256(fours), 2));
  total = _mm256_add_epi64(total, _mm256_slli_epi64(pc256(twos), 1));
  total = _mm256_add_epi64(total, pc256(ones));
  uint64_t t[4];
  _mm256_storeu_si256((__m256i *)(void *)t, total);
  return t[0] + t[1] + t[2] + t[3];
}

__attribute__((target("avx512f,avx512vpopcntdq"))) static uint64_t vpopcnt_avx512(
    const uint64_t *buf, size_t words) {
  __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i + 32 <= words; i += 32) {
    a0 = _mm512_add_epi64(a0, _mm512_popcnt_epi64(_mm512_load_si512((const void *)(buf + i))));
    a1 = _mm512_add_epi64(a1, _mm512_popcnt_epi64(_mm512_load_si512((const void *)(buf + i + 8))));
    a2 = _mm512_add_epi64(a2, _mm512_popcnt_epi64(_mm512_load_si512((const void *)(buf + i + 16))));
    a3 = _mm512_add_epi64(a3, _mm512_popcnt_epi64(_mm512_load_si512((const void *)(buf + i + 24))));
  }
  return (uint64_t)_mm512_reduce_add_epi64(
      _mm512_add_epi64(_mm512_add_epi64(a0, a1), _mm512_add_epi64(a2, a3)));
}

/* Bits per second of fn over the buffer, best of 5 runs of ~0.1 s each. */
static double roof(uint64_t (*fn)(const uint64_t *, size_t), const uint64_t *buf) {
  double best = 0;
  for (int r = 0; r < 5; ++r) {
    uint64_t iters = 0;
    double t0 = now(), t;
    do {
      for (int k = 0; k < 64; ++k) sink += fn(buf, ROOF_WORDS);
      iters += 64;
    } while ((t = now() - t0) < 0.1);
    double bps = (double)iters * ROOF_WORDS * 64 / t;
    if (bps > best) best = bps;
  }
  return best;
}

/* ---- dense kernel ---- */

static double dense_gbitmac(const bnn_kernels *k, size_t batch) {
  const size_t N = 2048, words = 2048 / 64;
  uint64_t *x = (uint64_t *)bnn_malloc_aligned(batch * words * 8);
  uint64_t *w = (uint64_t *)bnn_malloc_aligned(N * words * 8);
  int32_t *c = (int32_t *)bnn_malloc_aligned(batch * 64 * 4);
  bnn_rng r = bnn_rng_make(1, 1);
  for (size_t i = 0; i < batch * words; ++i) x[i] = bnn_rng_u64(&r);
  for (size_t i = 0; i < N * words; ++i) w[i] = bnn_rng_u64(&r);
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    uint64_t macs = 0;
    double t0 = now(), t;
    do {
      /* the engine's tiling: 64 neurons (one output word) × all images of the block */
      for (size_t j = 0; j < N; j += 64)
        k->xor_popcount(x, words, batch, w + j * words, words, 64, words, c, 64);
      sink += (uint64_t)c[0];
      macs += (uint64_t)batch * N * 2048;
    } while ((t = now() - t0) < 0.15);
    double g = (double)macs / t / 1e9;
    if (g > best) best = g;
  }
  bnn_free_aligned(x), bnn_free_aligned(w), bnn_free_aligned(c);
  return best;
}

/* ---- FCNN end to end ---- */

static bnn_model *fcnn(void) {
  const uint32_t L[4] = {784, 2048, 2048, 10};
  bnn_model *m = NULL;
  bnn_model_create(&m, 1, 28, 28);
  bnn_rng r = bnn_rng_make(7, 0);
  for (int l = 0; l < 3; ++l) {
    size_t n = (size_t)L[l] * L[l + 1];
    int8_t *w = (int8_t *)malloc(n);
    int32_t *t = (int32_t *)calloc(L[l + 1], sizeof *t);
    int8_t *d = (int8_t *)malloc(L[l + 1]);
    for (size_t i = 0; i < n; ++i) w[i] = (bnn_rng_u64(&r) & 1) ? 1 : -1;
    memset(d, 1, L[l + 1]);
    if (l == 2)
      bnn_model_add_dense(m, L[l + 1], w, NULL, NULL);
    else
      bnn_model_add_dense(m, L[l + 1], w, t, d);
    free(w), free(t), free(d);
  }
  return m;
}

static double fcnn_ips(const bnn_model *m, bnn_port *port, bnn_kernel kernel, int threads,
                       size_t batch, uint32_t reuse, const uint8_t *imgs, size_t n_imgs) {
  bnn_infer_params p = bnn_infer_default_params();
  p.kernel = kernel;
  p.threads = threads;
  p.weight_reuse = reuse;
  bnn_engine *e = NULL;
  if (bnn_engine_create(&e, m, port, &p) != BNN_OK) {
    fprintf(stderr, "bench: %s\n", bnn_errmsg());
    exit(1);
  }
  uint8_t *pred = (uint8_t *)malloc(n_imgs);
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    size_t done = 0;
    double t0 = now(), t;
    do {
      for (size_t i = 0; i + batch <= n_imgs; i += batch)
        bnn_engine_run(e, imgs + i * 784, batch, NULL, pred + i);
      done += n_imgs / batch * batch;
    } while ((t = now() - t0) < 0.5);
    double ips = (double)done / t;
    if (ips > best) best = ips;
  }
  free(pred);
  bnn_engine_destroy(e);
  return best;
}

/* ---- fault injection ---- */

/* Per-bit Bernoulli draws: the O(#bits) baseline the geometric sampler is measured against. */
static uint64_t flip_per_bit(uint8_t *buf, uint64_t nbits, double p, bnn_rng *r) {
  uint64_t flips = 0;
  for (uint64_t i = 0; i < nbits; ++i)
    if (bnn_rng_uniform(r) < p) buf[i >> 3] ^= (uint8_t)(1u << (i & 7)), ++flips;
  return flips;
}

int main(void) {
  printf("bench_bnn — libbnn %s kernels; best of several runs; 1 thread unless stated\n\n",
         bnn_kernel_str(bnn_kernel_resolve(BNN_KERNEL_AUTO)));
  uint64_t *buf = (uint64_t *)bnn_malloc_aligned(ROOF_WORDS * 8);
  bnn_rng r = bnn_rng_make(3, 3);
  for (size_t i = 0; i < ROOF_WORDS; ++i) buf[i] = bnn_rng_u64(&r);
  int has512 = bnn_kernel_available(BNN_KERNEL_AVX512),
      has2 = bnn_kernel_available(BNN_KERNEL_AVX2);
  if (!has2) {
    printf("no AVX2 on this CPU: kernel/roof figures skipped\n");
  }
  double roof2 = has2 ? roof(hs_avx2, buf) : 0, roof512 = has512 ? roof(vpopcnt_avx512, buf) : 0;
  if (hs_avx2(buf, ROOF_WORDS) !=
      (has512 ? vpopcnt_avx512(buf, ROOF_WORDS) : hs_avx2(buf, ROOF_WORDS)))
    printf("WARNING: roof popcounts disagree\n");
  printf("== popcount roof (16 KiB L1-resident buffer, 1 thread)\n");
  if (has2) printf("  Harley-Seal AVX2 (vpshufb)      %8.1f Gbit/s\n", roof2 / 1e9);
  if (has512) printf("  AVX-512 VPOPCNTDQ (vpopcntq)    %8.1f Gbit/s\n", roof512 / 1e9);

  printf("\n== dense 2048x2048 binary kernel (1 bit-MAC = 1 bit of xor+popcount), 1 thread\n");
  printf("  %-7s %5s %12s %12s %12s\n", "kernel", "batch", "Gbit-MAC/s", "/HS-AVX2",
         "/AVX512-roof");
  for (int kk = BNN_KERNEL_REF; kk < BNN_KERNEL_COUNT; ++kk) {
    const bnn_kernels *k = bnn_kernels_get((bnn_kernel)kk);
    if (!k) continue;
    size_t batches[3] = {1, 64, 256};
    for (int b = 0; b < 3; ++b) {
      double g = dense_gbitmac(k, batches[b]);
      printf("  %-7s %5zu %12.1f %11.0f%% %11.0f%%\n", k->name, batches[b], g,
             roof2 > 0 ? 100 * g * 1e9 / roof2 : 0, roof512 > 0 ? 100 * g * 1e9 / roof512 : 0);
    }
  }
  printf("  target: >= 60%% of the roof of the kernel's own ISA at batch >= 64\n");

  printf("\n== FCNN 784-2048-2048-10, host port (zero-copy), kernel %s\n",
         bnn_kernel_str(bnn_kernel_resolve(BNN_KERNEL_AUTO)));
  bnn_model *m = fcnn();
  bnn_port *hp = NULL;
  bnn_host_port_create(&hp, m);
  const size_t n_imgs = 4096;
  uint8_t *imgs = (uint8_t *)malloc(n_imgs * 784);
  for (size_t i = 0; i < n_imgs * 784; ++i) imgs[i] = (uint8_t)bnn_rng_below(&r, 256);
  double batched = fcnn_ips(m, hp, BNN_KERNEL_AUTO, 2, 1024, 256, imgs, n_imgs);
  double batch1 = fcnn_ips(m, hp, BNN_KERNEL_AUTO, 1, 1, 1, imgs, 2048);
  double batched1 = fcnn_ips(m, hp, BNN_KERNEL_AUTO, 1, 1024, 256, imgs, n_imgs);
  printf(
      "  batched (blocks of 256), 2 threads: %9.0f images/s = %.2f x target 60,000; %.1f-%.1f x "
      "PyTorch 1.13 (8-12 k)\n",
      batched, batched / 60000, batched / 12000, batched / 8000);
  printf("  batched, 1 thread (for scale):      %9.0f images/s = %.2f x the 2-thread figure\n",
         batched1, batched1 / batched);
  printf(
      "  batch 1, 1 thread:                  %9.0f images/s = %.2f x target 20,000; %.0f-%.0f x "
      "PyTorch 1.13 (200-500)\n",
      batch1, batch1 / 20000, batch1 / 500, batch1 / 200);
  if (has2 && bnn_kernel_resolve(BNN_KERNEL_AUTO) != BNN_KERNEL_AVX2) {
    double b2 = fcnn_ips(m, hp, BNN_KERNEL_AVX2, 2, 1024, 256, imgs, n_imgs);
    double s2 = fcnn_ips(m, hp, BNN_KERNEL_AVX2, 1, 1, 1, imgs, 2048);
    printf(
        "  (avx2 kernel: batched %.0f images/s = %.2f x target; batch 1 %.0f images/s = %.2f x "
        "target)\n",
        b2, b2 / 60000, s2, s2 / 20000);
  }
  bnn_port_destroy(hp);

  printf(
      "\n== fault injection (geometric skipping, O(#flips)) vs per-bit Bernoulli draws "
      "(O(#bits))\n");
  /* 256 KiB, cache-resident: at BER 1e-4 flips land ~1 KiB apart, and over a DRAM-sized buffer
   * every flip would be a cache miss — that measures memory latency, not the sampler. */
  const uint64_t nbits = 1ull << 21;
  uint8_t *fb = (uint8_t *)calloc(nbits / 8, 1);
  double ns_bit_baseline;
  {
    bnn_rng rb = bnn_rng_make(5, 5);
    const uint64_t nb = nbits;
    double t0 = now();
    sink += flip_per_bit(fb, nb, 1e-2, &rb);
    ns_bit_baseline = (now() - t0) * 1e9 / (double)nb;
  }
  double bers[2] = {1e-2, 1e-4};
  for (int b = 0; b < 2; ++b) {
    bnn_rng rf = bnn_rng_make(6, (uint64_t)b);
    bnn_flip_rates rates = {bers[b], bers[b]};
    uint64_t flips = 0, bits = 0;
    double t0 = now(), t;
    do {
      flips += bnn_flip_bits(fb, 0, nbits, rates, &rf, NULL, NULL);
      bits += nbits;
    } while ((t = now() - t0) < 0.3);
    double per_flip = t * 1e9 / (double)flips, per_bit = t * 1e9 / (double)bits;
    printf(
        "  BER %.0e: %8.1f M flips/s, %6.1f ns/flip, %.4f ns/bit = %.0f x faster per bit than "
        "per-bit draws (%.2f ns/bit)\n",
        bers[b], (double)flips / t / 1e6, per_flip, per_bit, ns_bit_baseline / per_bit,
        ns_bit_baseline);
  }
  /* The error port on the FCNN image: programming at creation (copy + write flips). */
  for (int b = 0; b < 2; ++b) {
    bnn_error_params ep = bnn_error_default_params();
    ep.write_p01 = ep.write_p10 = bers[b];
    uint64_t flips = 0;
    int reps = 0;
    double t0 = now(), t;
    do {
      bnn_port *p = NULL;
      bnn_error_port_create(&p, m, &ep, (uint64_t)reps++);
      bnn_error_counts c;
      bnn_error_port_counts(p, &c);
      flips += c.write_flips;
      bnn_port_destroy(p);
    } while ((t = now() - t0) < 0.3);
    printf(
        "  error port on the FCNN (5.9 Mbit), BER %.0e: %.1f us per programmed copy, %.1f ns per "
        "flip (incl. the copy)\n",
        bers[b], t * 1e6 / reps, t * 1e9 / (double)flips);
  }
  free(fb), free(imgs);
  bnn_model_free(m);
  bnn_free_aligned(buf);
  return 0;
}
