"""rramsim.fold: the integer threshold rule equals the float rule on every reachable a, for
γ > 0, γ < 0, γ = 0, strict and non-strict, exact ties."""
import numpy as np

from rramsim import fold


def check(A, C, strict, bound=50):
    t, d, _ = fold.thresholds(np.array(A, float), np.array(C, float), strict, bound)
    for k in range(len(A)):
        for a in range(-bound, bound + 1):
            z = A[k] * a + C[k]
            want = z > 0 if strict else z >= 0
            got = a >= t[k] if d[k] > 0 else a <= t[k]
            assert want == got, (A[k], C[k], strict, a, t[k], d[k])


def test_signs_and_zero():
    A = [0.5, -0.5, 0.0, 0.0, 2.0, -3.0, 1e-3]
    C = [1.25, 1.25, 0.0, -1.0, -6.0, 9.0, 0.0]  # 2.0·a − 6 ties at a = 3; −3a + 9 at a = 3
    for strict in (False, True):
        check(A, C, strict)


def test_gamma_zero_constant_outputs():
    t, d, _ = fold.thresholds(np.zeros(2), np.array([0.0, -1e-9]), False, 100)
    assert d[0] == 1 and t[0] <= -100  # β = 0 → sign(0) = +1 → always +1
    assert d[1] == 1 and t[1] > 100  # β < 0 → never


def test_random_batchnorm_exhaustive():
    rng = np.random.default_rng(0)
    A = rng.normal(size=200) * rng.choice([1, -1, 0], 200, p=[0.45, 0.45, 0.1])
    C = rng.normal(size=200) * 20
    check(list(A), list(C), False)
    check(list(A), list(C), True)


def test_thresholds_fit_int32():
    t, _, _ = fold.thresholds(np.array([1e-30, -1e-30]), np.array([1.0, 1.0]), False, 2**40)
    assert t.dtype == np.int32
