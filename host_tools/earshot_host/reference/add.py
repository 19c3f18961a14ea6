"""Reference int8 ADD: TFLite reference_integer_ops::Add (same shapes, general rescaling)."""

from __future__ import annotations

import numpy as np

from .requantize import (
    clamp_to_int8,
    multiply_by_quantized_multiplier_smaller_than_one_exp,
    wrap_int32,
)


def add_int8(
    a: np.ndarray,
    b: np.ndarray,
    *,
    input1_zero_point: int,
    input2_zero_point: int,
    output_zero_point: int,
    left_shift: int,
    input1_multiplier: int,
    input1_shift: int,
    input2_multiplier: int,
    input2_shift: int,
    output_multiplier: int,
    output_shift: int,
    act_min: int,
    act_max: int,
) -> np.ndarray:
    """Element-wise a + b of two int8 tensors of the same shape."""
    a_val = np.asarray(a, dtype=np.int64) - input1_zero_point
    b_val = np.asarray(b, dtype=np.int64) - input2_zero_point
    scaled_a = multiply_by_quantized_multiplier_smaller_than_one_exp(
        wrap_int32(a_val << left_shift), input1_multiplier, input1_shift
    )
    scaled_b = multiply_by_quantized_multiplier_smaller_than_one_exp(
        wrap_int32(b_val << left_shift), input2_multiplier, input2_shift
    )
    raw_sum = wrap_int32(scaled_a + scaled_b)
    raw_out = (
        multiply_by_quantized_multiplier_smaller_than_one_exp(
            raw_sum, output_multiplier, output_shift
        )
        + output_zero_point
    )
    return clamp_to_int8(raw_out, act_min, act_max)
