/* metric_impl.h — internals of the analytic prediction shared by metric.c and its AVX2 kernel. */
#ifndef BET_METRIC_IMPL_H
#define BET_METRIC_IMPL_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The table normal CDF: Φ at PHI_LO + i/PHI_STEPS_PER_UNIT for i = 0..PHI_N + 1, read with linear
 * interpolation and the argument clamped to [PHI_LO, −PHI_LO] (error analysis in metric.c). */
#define PHI_LO (-8.0f)
#define PHI_STEPS_PER_UNIT 256
#define PHI_N (16 * PHI_STEPS_PER_UNIT)

/* One layer's flip probabilities: q_i = Φ̃(u_i·k1 − v_i·k2) for i < n, with Σq and Σq² (float lanes
 * flushed to double every few hundred terms). tab: PHI_N + 2 floats. */
typedef void (*bet_phi_apply_fn)(const float *u, const float *v, size_t n, float k1, float k2, const float *tab,
                                 double *q, double *s1, double *s2);
void bet_phi_apply_ref(const float *u, const float *v, size_t n, float k1, float k2, const float *tab, double *q,
                       double *s1, double *s2);
#if defined(__x86_64__) || defined(__i386__)
#define BET_HAVE_X86 1
void bet_phi_apply_avx2(const float *u, const float *v, size_t n, float k1, float k2, const float *tab, double *q,
                        double *s1, double *s2);
#endif

#ifdef __cplusplus
}
#endif
#endif /* BET_METRIC_IMPL_H */
