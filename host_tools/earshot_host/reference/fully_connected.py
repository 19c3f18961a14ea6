"""Reference int8 FULLY_CONNECTED: TFLite reference_integer_ops::FullyConnected(PerChannel)."""

from __future__ import annotations

import numpy as np

from .requantize import (
    clamp_to_int8,
    double_round_scale,
    multiply_by_quantized_multiplier,
    wrap_int32,
)


def fully_connected_int8(
    x: np.ndarray,
    weights: np.ndarray,
    bias: np.ndarray | None,
    *,
    input_zero_point: int,
    filter_zero_point: int,
    output_zero_point: int,
    multipliers: np.ndarray,
    shifts: np.ndarray,
    act_min: int,
    act_max: int,
    scale_mantissas: np.ndarray | None = None,
    scale_exponents: np.ndarray | None = None,
) -> np.ndarray:
    """x: int8 with size batches*depth; weights: int8 [out, depth]; returns int8 [batches, out].

    multipliers/shifts hold one value per output (the converter repeats a per-tensor value).
    When scale_mantissas/scale_exponents are given the accumulator is scaled the way LiteRT's
    reference kernel does it (double-precision product, std::round) instead.
    """
    out_depth, depth = weights.shape
    xs = np.asarray(x, dtype=np.float64).reshape(-1, depth) - input_zero_point
    ws = np.asarray(weights, dtype=np.float64) - filter_zero_point
    # float64 is exact here: |acc| < 2^53 for any int8 layer that fits a microcontroller.
    acc = (xs @ ws.T).astype(np.int64)
    if bias is not None:
        acc = acc + np.asarray(bias, dtype=np.int64)
    acc = wrap_int32(acc)
    if scale_mantissas is not None and scale_exponents is not None:
        scaled = double_round_scale(acc, scale_mantissas, scale_exponents)
    else:
        scaled = multiply_by_quantized_multiplier(
            acc, np.asarray(multipliers, dtype=np.int64), np.asarray(shifts, dtype=np.int64)
        )
    return clamp_to_int8(scaled + output_zero_point, act_min, act_max)
