/* rng.c — counter-based RNG and O(#flips) geometric-skipping bit-error sampler. */
#include "bnn/rng.h"

#include <math.h>

static inline uint64_t mix64(uint64_t z) {
  /* SplitMix64 / Murmur3 finaliser: a bijection with full avalanche. */
  z ^= z >> 30;
  z *= 0xbf58476d1ce4e5b9ULL;
  z ^= z >> 27;
  z *= 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return z;
}

uint64_t bnn_rng_hash(uint64_t seed, uint64_t stream, uint64_t counter) {
  /* Keys are absorbed one at a time through the finaliser, each offset by a distinct odd constant,
   * so (seed, stream, counter) triples that differ in any key give unrelated outputs. */
  uint64_t h = mix64(seed + 0x9e3779b97f4a7c15ULL);
  h = mix64(h ^ (stream + 0xd1b54a32d192ed03ULL));
  h = mix64(h ^ (counter * 0x9e3779b97f4a7c15ULL + 0x8cb92ba72f3d8dd7ULL));
  return h;
}

uint64_t bnn_rng_u64(bnn_rng *r) {
  return bnn_rng_hash(r->seed, r->stream, r->counter++);
}

double bnn_rng_uniform(bnn_rng *r) {
  return (double)(bnn_rng_u64(r) >> 11) * 0x1.0p-53;
}

double bnn_rng_uniform_pos(bnn_rng *r) {
  return ((double)(bnn_rng_u64(r) >> 11) + 1.0) * 0x1.0p-53;
}

uint64_t bnn_rng_below(bnn_rng *r, uint64_t n) {
  /* Rejection from the top multiple of n: unbiased. */
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do {
    x = bnn_rng_u64(r);
  } while (x >= limit);
  return x % n;
}

double bnn_rng_normal(bnn_rng *r) {
  double u1 = bnn_rng_uniform_pos(r);
  double u2 = bnn_rng_uniform(r);
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

float bnn_rng_normalf(bnn_rng *r) {
  return (float)bnn_rng_normal(r);
}

uint64_t bnn_rng_geometric(bnn_rng *r, double p) {
  if (p >= 1.0) return 0;
  /* Inversion: floor(log(U) / log(1 - p)), U in (0, 1]. log1p keeps precision for tiny p. */
  double g = floor(log(bnn_rng_uniform_pos(r)) / log1p(-p));
  if (!(g < 9.2e18)) return UINT64_MAX;
  return (uint64_t)g;
}

uint64_t bnn_flip_bits(uint8_t *buf, uint64_t first_bit, uint64_t nbits, bnn_flip_rates rates,
                       bnn_rng *r, bnn_flip_cb cb, void *ud) {
  double pmax = rates.p01 > rates.p10 ? rates.p01 : rates.p10;
  if (!(pmax > 0.0) || nbits == 0) return 0;
  /* Thinning: visit candidates at rate pmax, keep a candidate with p(value) / pmax. When the rates
   * are equal every candidate is kept and no extra draw is made. */
  double keep0 = rates.p01 / pmax, keep1 = rates.p10 / pmax;
  int thin = rates.p01 != rates.p10;
  uint64_t flips = 0;
  uint64_t i = 0;
  for (;;) {
    uint64_t gap = bnn_rng_geometric(r, pmax);
    if (gap >= nbits - i) break;
    i += gap;
    uint64_t b = first_bit + i;
    int old = (buf[b >> 3] >> (b & 7)) & 1;
    if (!thin || bnn_rng_uniform(r) < (old ? keep1 : keep0)) {
      buf[b >> 3] ^= (uint8_t)(1u << (b & 7));
      ++flips;
      if (cb) cb(ud, i, old);
    }
    if (++i >= nbits) break;
  }
  return flips;
}
