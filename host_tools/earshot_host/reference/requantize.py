"""Bit-exact integer requantization, as in TFLite's reference kernels (double rounding).

All functions take and return int64 NumPy arrays (or anything np.asarray accepts) holding int32
values; intermediate products are computed in int64 exactly like the C code does, and results
that C would compute in int32 arithmetic are wrapped to int32.
"""

from __future__ import annotations

import numpy as np

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1


def wrap_int32(x: np.ndarray) -> np.ndarray:
    """Two's-complement wrap of int64 values to int32 (what int32 C arithmetic produces)."""
    x = np.asarray(x, dtype=np.int64)
    return ((x + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def saturating_rounding_doubling_high_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """gemmlowp SaturatingRoundingDoublingHighMul for int32: round(a * b / 2^31), saturated."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    overflow = (a == b) & (a == INT32_MIN)
    ab = a * b
    nudged = ab + np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    # C integer division truncates toward zero.
    high = np.where(nudged >= 0, nudged >> 31, -((-nudged) >> 31))
    return np.where(overflow, INT32_MAX, high)


def rounding_divide_by_pot(x: np.ndarray, exponent: np.ndarray | int) -> np.ndarray:
    """gemmlowp RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero."""
    x = np.asarray(x, dtype=np.int64)
    exponent = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def multiply_by_quantized_multiplier(
    x: np.ndarray, multiplier: np.ndarray | int, shift: np.ndarray | int
) -> np.ndarray:
    """TFLite MultiplyByQuantizedMultiplier(int32 x, int32 multiplier, int shift)."""
    shift = np.asarray(shift, dtype=np.int64)
    left_shift = np.maximum(shift, 0)
    right_shift = np.maximum(-shift, 0)
    shifted = wrap_int32(np.asarray(x, dtype=np.int64) * (np.int64(1) << left_shift))
    return rounding_divide_by_pot(
        saturating_rounding_doubling_high_mul(shifted, multiplier), right_shift
    )


def multiply_by_quantized_multiplier_smaller_than_one_exp(
    x: np.ndarray, multiplier: np.ndarray | int, left_shift: np.ndarray | int
) -> np.ndarray:
    """TFLite MultiplyByQuantizedMultiplierSmallerThanOneExp (left_shift <= 0)."""
    return rounding_divide_by_pot(
        saturating_rounding_doubling_high_mul(x, multiplier), -np.asarray(left_shift)
    )


def multiply_by_quantized_multiplier_greater_than_one(
    x: np.ndarray, multiplier: int, left_shift: int
) -> np.ndarray:
    """TFLite MultiplyByQuantizedMultiplierGreaterThanOne (left_shift >= 0)."""
    shifted = wrap_int32(np.asarray(x, dtype=np.int64) * (1 << left_shift))
    return saturating_rounding_doubling_high_mul(shifted, multiplier)


def clamp_to_int8(acc: np.ndarray, act_min: int, act_max: int) -> np.ndarray:
    """Clamp to the fused activation range and convert to int8."""
    return np.clip(acc, act_min, act_max).astype(np.int8)


def double_round_scale(
    acc: np.ndarray, mantissa: np.ndarray | int, exponent: np.ndarray | int
) -> np.ndarray:
    """round(double(acc) * scale), scale = mantissa * 2^exponent, as LiteRT's reference FC does.

    The product is the IEEE double product (numpy float64 multiplies exactly like C), the
    rounding is std::round (half away from zero), the result saturates to int32.
    """
    scale = np.ldexp(np.asarray(mantissa, dtype=np.float64), np.asarray(exponent, dtype=np.int64))
    value = np.asarray(acc, dtype=np.int64).astype(np.float64) * scale
    whole = np.trunc(value)
    rounded = whole + np.where(np.abs(value - whole) >= 0.5, np.sign(value), 0.0)
    return np.clip(rounded, INT32_MIN, INT32_MAX).astype(np.int64)


def double_round_scale_integer(acc: int, mantissa: int, exponent: int) -> int:
    """The same as double_round_scale for one value, in integer arithmetic only.

    This is the algorithm a device without a double-precision FPU implements (FORMAT.md):
    form the exact product, round it to 53 significant bits (round half to even, like an IEEE
    double multiply), then round half away from zero to an integer and saturate to int32.
    """
    if acc == 0 or mantissa == 0:
        return 0
    product = abs(acc) * mantissa
    bits = product.bit_length()
    if bits > 53:
        drop = bits - 53
        kept = product >> drop
        rest = product & ((1 << drop) - 1)
        half = 1 << (drop - 1)
        if rest > half or (rest == half and kept & 1):
            kept += 1
        product, exponent = kept, exponent + drop
    if exponent >= 0:
        magnitude = product << exponent
    else:
        shift = -exponent
        magnitude = (product + (1 << (shift - 1))) >> shift
    value = magnitude if acc > 0 else -magnitude
    return max(INT32_MIN, min(INT32_MAX, value))
