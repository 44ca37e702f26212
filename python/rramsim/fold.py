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

sign(0): ONNX Sign(0) = 0, which a ±1 engine cannot represent; rramsim maps it to +1 (as
where(z >= 0, 1, −1) does). Networks binarised with where(z >= 0, ...) import exactly; with Sign
they differ only on inputs where some z is exactly 0.
"""
import numpy as np

TIE_REL = 1e-9


def thresholds(A, C, strict, bound):
    """(t int32, d int8, near_ties int) for '+1 iff A·a + C ≥ 0' (> 0 if strict), |a| ≤ bound."""
    A = np.asarray(A, dtype=np.float64)
    C = np.asarray(C, dtype=np.float64)
    big = float(min(bound + 1, 2**31 - 1))
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
    return t.astype(np.int32), d, int(near[pos | neg].sum())
