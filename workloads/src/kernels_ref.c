/* kernels_ref.c — the reference kernels: obvious loops that the optimised variants must equal. */
#include "bnn_impl.h"
#include "bnn/names.h"

/* Bit convention: bit 0 = +1, bit 1 = −1; the engine turns counts into dots (bnn_impl.h). */
static void xor_popcount_ref(const uint64_t *x, size_t ldx, size_t n, const uint64_t *w, size_t ldw,
                             size_t m, size_t words, int32_t *c, size_t ldc) {
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < m; ++j) {
      int32_t s = 0;
      for (size_t k = 0; k < words; ++k) s += __builtin_popcountll(x[i * ldx + k] ^ w[j * ldw + k]);
      c[i * ldc + j] = s;
    }
}

static void u8_masked_sum_ref(const uint8_t *x, size_t ldx, size_t n, const uint64_t *w, size_t ldw,
                              size_t m, size_t words, int32_t *c, size_t ldc) {
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < m; ++j) {
      int32_t s = 0;
      for (size_t k = 0; k < 64 * words; ++k)
        if ((w[j * ldw + k / 64] >> (k % 64)) & 1) s += x[i * ldx + k];
      c[i * ldc + j] = s;
    }
}

static uint64_t binarize_ref(const int32_t *cnt, size_t nj, int32_t base, const int32_t *t,
                             uint64_t dpos) {
  uint64_t word = 0;
  for (size_t b = 0; b < nj; ++b) {
    int32_t a = base - 2 * cnt[b];
    int plus = (dpos >> b & 1) ? a >= t[b] : a <= t[b];
    if (!plus) word |= 1ull << b;
  }
  return word;
}

const bnn_kernels bnn_kernels_ref = {"ref", xor_popcount_ref, u8_masked_sum_ref, binarize_ref};

BNN_NAME_TABLE(kernel_names, BNN_KERNEL_COUNT,
               {[BNN_KERNEL_AUTO] = "auto",
                [BNN_KERNEL_REF] = "ref",
                [BNN_KERNEL_AVX2] = "avx2",
                [BNN_KERNEL_AVX512] = "avx512"});

const char *bnn_kernel_str(bnn_kernel k) {
  return BNN_NAME_OF(kernel_names, k, "unknown");
}

const bnn_kernels *bnn_kernels_get(bnn_kernel k) {
  switch (k) {
    case BNN_KERNEL_REF:
      return &bnn_kernels_ref;
#ifdef BNN_HAVE_X86
    case BNN_KERNEL_AVX2:
      __builtin_cpu_init();
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt") ? &bnn_kernels_avx2
                                                                                : NULL;
    case BNN_KERNEL_AVX512:
      __builtin_cpu_init();
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                     __builtin_cpu_supports("avx512vpopcntdq") &&
                     __builtin_cpu_supports("avx512vnni")
                 ? &bnn_kernels_avx512
                 : NULL;
    case BNN_KERNEL_AUTO: {
      const bnn_kernels *kk = bnn_kernels_get(BNN_KERNEL_AVX512);
      if (!kk) kk = bnn_kernels_get(BNN_KERNEL_AVX2);
      return kk ? kk : &bnn_kernels_ref;
    }
#else
    case BNN_KERNEL_AUTO:
      return &bnn_kernels_ref;
#endif
    default:
      return NULL;
  }
}

int bnn_kernel_available(bnn_kernel k) {
  return bnn_kernels_get(k) != NULL;
}

bnn_kernel bnn_kernel_resolve(bnn_kernel k) {
  if (k != BNN_KERNEL_AUTO) return k;
  const bnn_kernels *kk = bnn_kernels_get(BNN_KERNEL_AUTO);
  for (int i = BNN_KERNEL_REF; i < BNN_KERNEL_COUNT; ++i)
    if (bnn_kernels_get((bnn_kernel)i) == kk) return (bnn_kernel)i;
  return BNN_KERNEL_REF;
}
