/* bnn/rng.h — the seeded counter-based RNG and O(#flips) bit-error sampling on packed bits. */
#ifndef BNN_RNG_H
#define BNN_RNG_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Counter-based: every output is a pure function of (seed, stream, counter), so a draw keyed by
 * (seed, address, access count) is the same whatever the thread count or scheduling.
 * bnn_rng_hash is a bijective 64-bit mix (two rounds of the SplitMix64/Murmur3 finaliser over the
 * three keys); it passes the statistical checks in tests/workloads/test_rng.cpp. */
uint64_t bnn_rng_hash(uint64_t seed, uint64_t stream, uint64_t counter);

typedef struct bnn_rng {
  uint64_t seed;
  uint64_t stream;
  uint64_t counter;
} bnn_rng;

static inline bnn_rng bnn_rng_make(uint64_t seed, uint64_t stream) {
  bnn_rng r;
  r.seed = seed;
  r.stream = stream;
  r.counter = 0;
  return r;
}

uint64_t bnn_rng_u64(bnn_rng *r);
double bnn_rng_uniform(bnn_rng *r);             /* [0, 1), 53 bits */
double bnn_rng_uniform_pos(bnn_rng *r);         /* (0, 1], never 0: safe for log() */
uint64_t bnn_rng_below(bnn_rng *r, uint64_t n); /* uniform in [0, n), unbiased; n > 0 */
double bnn_rng_normal(bnn_rng *r); /* standard normal (Box-Muller, one value per call) */
float bnn_rng_normalf(bnn_rng *r);

/* Number of failures before the first success of Bernoulli(p) trials: the gap to the next flipped
 * bit. p must be in (0, 1]; returns UINT64_MAX when the gap exceeds 2^63. */
uint64_t bnn_rng_geometric(bnn_rng *r, double p);

/* Bit errors on packed bits. Bit i of a buffer is bit (i % 8) of byte (i / 8) (LSB first; the same
 * as bit (i % 64) of little-endian 64-bit word i / 64).
 * p01: probability that a 0 bit becomes 1; p10: that a 1 bit becomes 0. Both in [0, 0.5]. */
typedef struct bnn_flip_rates {
  double p01;
  double p10;
} bnn_flip_rates;

/* Called once per flipped bit with its index (relative to the start of the flipped range) and its
 * value before the flip. */
typedef void (*bnn_flip_cb)(void *ud, uint64_t bit, int old_value);

/* Flips bits [first_bit, first_bit + nbits) of buf in place, each independently with the rate of
 * its current value. Candidates are visited by geometric skipping at max(p01, p10) and accepted
 * with p_value / max (thinning), so the cost is O(nbits * max(p01, p10)), i.e. O(#flips), not
 * O(nbits). Returns the number of bits flipped. cb may be NULL. */
uint64_t bnn_flip_bits(uint8_t *buf, uint64_t first_bit, uint64_t nbits, bnn_flip_rates rates,
                       bnn_rng *r, bnn_flip_cb cb, void *ud);

#ifdef __cplusplus
}
#endif
#endif /* BNN_RNG_H */
