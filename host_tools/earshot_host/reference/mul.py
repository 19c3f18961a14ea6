"""Reference int8 MUL: TFLite reference_integer_ops::Mul (broadcasting as NumPy does)."""

from __future__ import annotations

import numpy as np

from .requantize import clamp_to_int8, multiply_by_quantized_multiplier


def mul_int8(
    a: np.ndarray,
    b: np.ndarray,
    *,
    input1_zero_point: int,
    input2_zero_point: int,
    output_zero_point: int,
    multiplier: int,
    shift: int,
    act_min: int,
    act_max: int,
) -> np.ndarray:
    """(a - zp1) * (b - zp2) scaled by MultiplyByQuantizedMultiplier, + zp_out, clamped."""
    product = (np.asarray(a, dtype=np.int64) - input1_zero_point) * (
        np.asarray(b, dtype=np.int64) - input2_zero_point
    )
    scaled = multiply_by_quantized_multiplier(product, multiplier, shift) + output_zero_point
    return clamp_to_int8(scaled, act_min, act_max)
