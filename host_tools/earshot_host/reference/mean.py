"""Reference int8 MEAN, as LiteRT's reference kernel computes it (FORMAT.md §3.13)."""

from __future__ import annotations

import numpy as np

from .requantize import multiply_by_quantized_multiplier, wrap_int32


def mean_int8(
    x: np.ndarray,
    *,
    axis_mask: int,
    input_zero_point: int,
    output_zero_point: int,
    multiplier: int,
    shift: int,
) -> np.ndarray:
    """MBQM(sum(x - input_zp) over the axes of axis_mask (4-D padded), multiplier, shift)
    + output_zp, clamped to int8 (shape of the kept axes, reduced ones 1)."""
    x4 = np.asarray(x, dtype=np.int64).reshape((1,) * (4 - x.ndim) + x.shape)
    axes = tuple(d for d in range(4) if axis_mask >> d & 1)
    total = wrap_int32((x4 - input_zero_point).sum(axis=axes, keepdims=True))
    scaled = multiply_by_quantized_multiplier(total, multiplier, shift) + output_zero_point
    return np.clip(scaled, -128, 127).astype(np.int8)
