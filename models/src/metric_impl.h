/* metric_impl.h — the analytic prediction's kernels: the table-CDF layout and the scalar
 * (predict_ref.c) and AVX2 (predict_avx2.c) variants predict.c chooses between at run time. */
#ifndef BET_METRIC_IMPL_H
#define BET_METRIC_IMPL_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The table normal CDF: Φ at PHI_LO + i/PHI_STEPS_PER_UNIT for i = 0..PHI_N + 1, read with linear
 * interpolation and the argument clamped to [PHI_LO, −PHI_LO] (error analysis in predict.c). */
#define PHI_LO             (-8.0f)
#define PHI_STEPS_PER_UNIT 256
#define PHI_N              (16 * PHI_STEPS_PER_UNIT)

/* One layer's flip probabilities: q_i = Φ̃(u_i·k1 − v_i·k2) for i < n, with Σq and Σq² (float lanes
 * flushed to double every few hundred terms). tab: PHI_N + 2 floats. */
typedef void (*bet_phi_apply_fn)(const float *u, const float *v, size_t n, float k1, float k2,
                                 const float *tab, double *q, double *s1, double *s2);
void bet_phi_apply_ref(const float *u, const float *v, size_t n, float k1, float k2,
                       const float *tab, double *q, double *s1, double *s2);
/* Stratum sums of a dense layer's weights for G images: in image g, stratum b holds the inputs
 * order[g][start[g][b]] … order[g][start[g][b + 1] − 1], and C[g][b·O + o] = Σ over them of
 * xs[g][i]·wt[i·O + o] for o < O (wt: the weights transposed, fan_in × O; xs: the inputs' clean
 * signs). Exact integers (|C| ≤ the stratum's size): every variant gives the same C. */
typedef void (*bet_strat_accum_fn)(const int8_t *wt, size_t G, const int8_t *const *xs,
                                   const uint32_t *const *order, const uint32_t *const *start,
                                   size_t nb, size_t O, int16_t *const *C);
void bet_strat_accum_ref(const int8_t *wt, size_t G, const int8_t *const *xs,
                         const uint32_t *const *order, const uint32_t *const *start, size_t nb,
                         size_t O, int16_t *const *C);
/* sm[o] = Σ_{b < nb} f[b]·C[b·O + o] in float (the fast path's input-flip term of the mean). */
typedef void (*bet_strat_mean_fn)(const int16_t *C, const float *f, size_t nb, size_t O, float *sm);
void bet_strat_mean_ref(const int16_t *C, const float *f, size_t nb, size_t O, float *sm);
/* Σ_i a[i]·b[i] in float (the fast path's exact output-layer mean); lanes summed in a fixed order.
 */
typedef float (*bet_dot_fn)(const float *a, const float *b, size_t n);
float bet_dot_ref(const float *a, const float *b, size_t n);
#if defined(__x86_64__) || defined(__i386__)
#define BET_HAVE_X86 1
float bet_dot_avx2(const float *a, const float *b, size_t n);
void bet_strat_accum_avx2(const int8_t *wt, size_t G, const int8_t *const *xs,
                          const uint32_t *const *order, const uint32_t *const *start, size_t nb,
                          size_t O, int16_t *const *C);
void bet_strat_mean_avx2(const int16_t *C, const float *f, size_t nb, size_t O, float *sm);
void bet_phi_apply_avx2(const float *u, const float *v, size_t n, float k1, float k2,
                        const float *tab, double *q, double *s1, double *s2);
#endif

#ifdef __cplusplus
}
#endif
#endif /* BET_METRIC_IMPL_H */
