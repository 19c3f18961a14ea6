"""Integer helpers shared by the fixed-point front ends (C-semantics emulation in NumPy).

Everything here works on NumPy integer arrays and reproduces what the C code on the
device computes: two's-complement wrap-around on narrowing, arithmetic right shifts,
round-to-nearest integer square roots and a table-driven base-2 logarithm.
"""

from __future__ import annotations

import math

import numpy as np

# Base-2 logarithm of the mantissa: LOG2_LUT[i] = round(log2(1 + i / 2**LOG2_LUT_BITS) * 2**16).
LOG2_LUT_BITS = 8
LOG2_FRAC_BITS = 16


def bit_length(values: np.ndarray) -> np.ndarray:
    """Number of significant bits of non-negative integers (0 for 0), like 32 - clz(x)."""
    v = np.asarray(values).astype(np.uint64)
    out = np.zeros(v.shape, dtype=np.int64)
    for shift in (32, 16, 8, 4, 2, 1):
        big = v >= (np.uint64(1) << np.uint64(shift))
        out = np.where(big, out + shift, out)
        v = np.where(big, v >> np.uint64(shift), v)
    return out + (v > 0)


def wrap(values: np.ndarray, dtype: type[np.integer]) -> np.ndarray:
    """Narrow to `dtype` modulo 2**bits, as a C cast does on two's-complement targets."""
    return np.asarray(values).astype(np.int64).astype(dtype)


def round_shift_right(values: np.ndarray, shift: int | np.ndarray) -> np.ndarray:
    """(v + 2**(shift-1)) >> shift on int64 (shift >= 1); plain v for shift <= 0 is not allowed."""
    v = np.asarray(values, dtype=np.int64)
    s = np.asarray(shift, dtype=np.int64)
    return (v + (np.int64(1) << (s - 1))) >> s


def shift_signed(values: np.ndarray, shift: np.ndarray | int) -> np.ndarray:
    """v << shift for shift >= 0, rounded v >> -shift for shift < 0 (int64, per element)."""
    v = np.asarray(values, dtype=np.int64)
    s = np.broadcast_to(np.asarray(shift, dtype=np.int64), v.shape)
    left = v << np.maximum(s, 0)
    rs = np.maximum(-s, 1)
    right = (v + (np.int64(1) << (rs - 1))) >> rs
    return np.where(s >= 0, left, right)


def isqrt_round_u64(values: np.ndarray) -> np.ndarray:
    """Round-to-nearest integer square root of uint64 values below 2**62.

    r = floor(sqrt(v)); r += 1 if v - r*r > r. Exact (the float estimate is corrected).
    """
    v = np.asarray(values, dtype=np.uint64).astype(np.int64)
    r = np.floor(np.sqrt(v.astype(np.float64))).astype(np.int64)
    for _ in range(2):
        r = np.where(r * r > v, r - 1, r)
        r = np.where((r + 1) * (r + 1) <= v, r + 1, r)
    return (r + ((v - r * r) > r)).astype(np.int64)


def build_log2_lut() -> np.ndarray:
    """LOG2_LUT (int32, 2**LOG2_LUT_BITS + 1 entries, Q16): log2(1 + i/256) for i = 0..256."""
    n = 1 << LOG2_LUT_BITS
    return np.array(
        [round(math.log2(1.0 + i / n) * (1 << LOG2_FRAC_BITS)) for i in range(n + 1)],
        dtype=np.int32,
    )


def log2_q16(values: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """log2(v) in Q16 (int64) for integers 1 <= v < 2**63; 0 maps to a large negative number.

    e = bit_length(v) - 1; the 16 bits below the leading one form f (v normalized so
    that bit e is bit 16: f16 = (v << (16 - e)) or (v >> (e - 16)), minus 1 << 16);
    i = f16 >> 8, r = f16 & 255; result = (e << 16) + lut[i] + ((lut[i+1] - lut[i]) * r >> 8).
    """
    v = np.asarray(values, dtype=np.uint64)
    e = bit_length(v) - 1
    vi = v.astype(np.int64)
    down = np.maximum(e - 16, 0)
    up = np.maximum(16 - e, 0)
    norm = np.where(e >= 16, (v >> down.astype(np.uint64)).astype(np.int64), vi << up)
    f16 = norm - (1 << 16)
    idx = f16 >> (16 - LOG2_LUT_BITS)
    rem = f16 & ((1 << (16 - LOG2_LUT_BITS)) - 1)
    idx_c = np.clip(idx, 0, (1 << LOG2_LUT_BITS) - 1)
    lut64 = lut.astype(np.int64)
    c0 = lut64[idx_c]
    c1 = lut64[idx_c + 1]
    frac = c0 + (((c1 - c0) * rem) >> (16 - LOG2_LUT_BITS))
    out = (e << LOG2_FRAC_BITS) + frac
    return np.where(v == 0, np.int64(-(1 << 40)), out)
