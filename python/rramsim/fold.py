"""Folding a float pre-activation affine and a sign into the engine's integer threshold rule.

Every hidden neuron of an imported network computes, in the network's float arithmetic,

    z = A·a + C          (a = the engine's integer pre-activation Σ w·x; A, C per neuron)

where A and C collect everything between the weighted sum and the binarisation: the Gemm/Conv
alpha and bias, per-row weight scales, the input scaling of the first layer (x = s·pixel + o),
Mul/Add/Sub/Div by constants and BatchNormalization (γ(z − μ)/√(σ² + ε) + β is z ↦ A'z + C' with
A' = γ/√(σ² + ε)). The binarisation is then "+1 iff A·a + C ≥ 0" (Sign and where(z >= 0, 1, −1);
sign(0) is taken as +1, see below) or "+1 iff A·a + C > 0" (where(z > 0, 1, −1)). On integers a:

    A > 0:  a ≥ τ (τ = −C/A)  →  d = +1, t = ⌈τ⌉        strict: a > τ → t = ⌊τ⌋ + 1
    A < 0:  a ≤ τ             →  d = −1, t = ⌊τ⌋        strict: a < τ → t = ⌈τ⌉ − 1
    A = 0:  constant (γ = 0): +1 iff C ≥ 0 (> 0 strict): d = +1 and t below (always +1) or above
            (never) every reachable a.

τ is computed in float64; when it lies within 1e-9·max(1, |τ|) of an integer it is taken to be
that integer (an exact tie, where the documented ≥ convention decides; float32 PyTorch may decide
either way there — such neurons are counted as `near_ties`). t is clipped to ±(bound + 1), bound =
the largest |a| the layer can produce, so it always fits int32.

Input offset: a first dense layer whose input scaling has an offset, x = s·(pixel − q_c), is not
folded into t (that would fix the offset's Σ w to the clean weights): it becomes the model's input
offset (input_offset: q_c = N_c/2^k) and thresholds T over v = 2^k·(a − Σ_c q_c·S_c), S_c the
weight sum over channel c, which the engine recomputes from the weights it reads, faulty ones
included (offset_thresholds).

sign(0): ONNX Sign(0) = 0, which a ±1 engine cannot represent; rramsim maps it to +1 (as
where(z >= 0, 1, −1) does). Networks binarised with where(z >= 0, ...) import exactly; with Sign
they differ only on inputs where some z is exactly 0.
"""
import numpy as np

TIE_REL = 1e-9


def thresholds(A, C, strict, bound, wide=False):
    """(t int32, d int8, near_ties int) for '+1 iff A·a + C ≥ 0' (> 0 if strict), |a| ≤ bound.
    wide: t as int64, clipped to ±min(bound + 1, 2^61) (an input offset's thresholds)."""
    A = np.asarray(A, dtype=np.float64)
    C = np.asarray(C, dtype=np.float64)
    big = float(min(bound + 1, 2**61 if wide else 2**31 - 1))
    n = A.shape[0]
    t = np.zeros(n, dtype=np.float64)
    d = np.ones(n, dtype=np.int8)
    nz = A != 0
    tau = np.zeros(n, dtype=np.float64)
    tau[nz] = -C[nz] / A[nz]
    r = np.round(tau)
    near = nz & np.isfinite(tau) & (np.abs(tau - r) <= TIE_REL * np.maximum(1.0, np.abs(tau)))
    tau = np.where(near, r, tau)
    pos, neg, zero = A > 0, A < 0, A == 0
    if strict:
        t[pos] = np.floor(tau[pos]) + 1
        t[neg] = np.ceil(tau[neg]) - 1
        const_on = C > 0
    else:
        t[pos] = np.ceil(tau[pos])
        t[neg] = np.floor(tau[neg])
        const_on = C >= 0
    d[neg] = -1
    t[zero & const_on] = -big
    t[zero & ~const_on] = big
    t = np.clip(t, -big, big)
    return t.astype(np.int64 if wide else np.int32), d, int(near[pos | neg].sum())


OFFSET_SHIFT_MAX = 32


def input_offset(q, fan_in):
    """Pixel offsets q_c (x = s·(pixel − q_c)) → (shift k, numerators N_c) with q_c = N_c / 2^k,
    the engine's input offset (workloads/README.md): the smallest k that represents every q_c
    exactly, else k = the largest allowed and q_c rounded to that grid (|error| ≤ 2^-(k+1) pixel;
    k ≤ 32 and 2^k·255·fan_in ≤ 2^61)."""
    kmax = OFFSET_SHIFT_MAX
    while kmax > 0 and (255 * fan_in) << kmax > 2**61:
        kmax -= 1
    q = [float(v) for v in q]
    for k in range(kmax + 1):
        if all(float(v * 2.0**k).is_integer() for v in q):
            return k, [int(v * 2.0**k) for v in q]
    return kmax, [int(round(v * 2.0**kmax)) for v in q]


def offset_thresholds(A, C, strict, shift, num, fan_in):
    """The input-offset layer's rule: z = A·(a − Q) + C with Q_j = Σ_c q_c·S_jc and
    v = 2^k·(a − Q) → (T int64 over v, d int8, near_ties)."""
    bound = ((255 * fan_in) << shift) + max(abs(int(n)) for n in num) * fan_in
    return thresholds(np.asarray(A, np.float64) / 2.0**shift, C, strict, bound, wide=True)
