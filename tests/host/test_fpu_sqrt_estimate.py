"""The FPU square root of dsp/fixed_math.c (isqrt32 on cores with a single-precision FPU):
the truncated VSQRT of the nearest float is within 1 of floor(sqrt(v)), so one correction
each way makes it exact. Checked here with IEEE single precision (NumPy: round-to-nearest
conversion, correctly rounded sqrt, truncation as VCVT.U32.F32) at every v where the floor
changes or could be missed: r*r - 1, r*r and r*r + 2r for every 16-bit root r, the top of
the range, and a random sample."""

import numpy as np


def fpu_isqrt(v: np.ndarray) -> np.ndarray:
    """The C code, step by step, on uint64 arrays of 32-bit values."""
    r = np.sqrt(v.astype(np.float32)).astype(np.uint64)  # VSQRT.F32, VCVT.U32.F32
    r = np.minimum(r, 0xFFFF)
    sq = r * r
    return np.where(sq > v, r - 1, np.where(v - np.minimum(sq, v) > 2 * r, r + 1, r))


def floor_sqrt(v: np.ndarray) -> np.ndarray:
    r = np.floor(np.sqrt(v.astype(np.float64))).astype(np.uint64)
    r = np.where(r * r > v, r - 1, r)
    return np.where((r + 1) * (r + 1) <= v, r + 1, r)


def test_estimate_corrected_to_floor_sqrt_at_every_boundary():
    r = np.arange(1 << 16, dtype=np.uint64)
    rng = np.random.default_rng(32)
    v = np.concatenate(
        [
            r * r,
            r[1:] * r[1:] - 1,
            r * r + 2 * r,
            np.array([0, 1, 2, 3, (1 << 32) - 2, (1 << 32) - 1], dtype=np.uint64),
            rng.integers(0, 1 << 32, size=1 << 20, dtype=np.uint64),
        ]
    )
    v = v[v < (1 << 32)]
    np.testing.assert_array_equal(fpu_isqrt(v), floor_sqrt(v))


def test_the_uncorrected_estimate_is_sometimes_off():
    # The correction is needed: the truncated float root alone misses some floors.
    r = np.arange(1 << 16, dtype=np.uint64)
    v = np.concatenate([r * r, r[1:] * r[1:] - 1])
    estimate = np.minimum(np.sqrt(v.astype(np.float32)).astype(np.uint64), 0xFFFF)
    assert np.any(estimate != floor_sqrt(v))
