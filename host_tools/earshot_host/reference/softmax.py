"""Reference int8 SOFTMAX: TFLite reference_ops::Softmax (gemmlowp fixed-point exp path).

This is the kernel LiteRT's BUILTIN_REF resolver and TFLite Micro run for int8 in / int8 out
(output scale 1/256, zero point -128); it is not the lookup-table kernel of the optimized
resolver.
"""

from __future__ import annotations

import numpy as np

from .fixedpoint import exp_on_negative_values, get_reciprocal, mul, rescale
from .requantize import (
    multiply_by_quantized_multiplier_greater_than_one,
    rounding_divide_by_pot,
    wrap_int32,
)

SCALED_DIFF_INTEGER_BITS = 5
ACCUMULATION_INTEGER_BITS = 12


def softmax_int8(
    x: np.ndarray,
    *,
    input_beta_multiplier: int,
    input_beta_left_shift: int,
    diff_min: int,
) -> np.ndarray:
    """Softmax over the last axis of an int8 tensor; returns int8 of the same shape."""
    shape = x.shape
    rows = np.asarray(x, dtype=np.int64).reshape(-1, shape[-1])
    diff = rows - rows.max(axis=1, keepdims=True)
    valid = diff >= diff_min
    rescaled = multiply_by_quantized_multiplier_greater_than_one(
        np.where(valid, diff, 0), input_beta_multiplier, input_beta_left_shift
    )
    exp = exp_on_negative_values(rescaled, SCALED_DIFF_INTEGER_BITS)
    exp_accum = rescale(exp, 0, ACCUMULATION_INTEGER_BITS)
    sum_of_exps = wrap_int32(np.where(valid, exp_accum, 0).sum(axis=1, keepdims=True))
    shifted_scale, num_bits_over_unit = get_reciprocal(sum_of_exps, ACCUMULATION_INTEGER_BITS)
    unsat = rounding_divide_by_pot(mul(shifted_scale, exp), num_bits_over_unit + 31 - 8)
    out = np.clip(unsat - 128, -128, 127)
    return np.where(valid, out, -128).astype(np.int8).reshape(shape)
