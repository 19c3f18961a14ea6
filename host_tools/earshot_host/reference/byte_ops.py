"""Reference kernels of the byte-moving and table ops: CONCATENATION, STRIDED_SLICE,
LOGISTIC (a 256-entry table) and QUANTIZE (requantization between 8-bit types)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .requantize import multiply_by_quantized_multiplier


def concatenation(inputs: Sequence[np.ndarray], axis: int) -> np.ndarray:
    """TFLite's 8-bit Concatenation: the inputs' bytes joined along axis (no rescaling)."""
    return np.concatenate([np.asarray(x) for x in inputs], axis=axis)


def strided_slice(
    x: np.ndarray,
    begin: Sequence[int],
    stride: Sequence[int],
    count: Sequence[int],
) -> np.ndarray:
    """Elements begin[d] + i * stride[d], i < count[d], of x padded at the front to 4-D."""
    x4 = np.asarray(x).reshape((1,) * (4 - x.ndim) + x.shape)
    index = np.ix_(*[b + s * np.arange(n) for b, s, n in zip(begin, stride, count, strict=True)])
    return x4[index]


def logistic(x: np.ndarray, table: np.ndarray) -> np.ndarray:
    """LiteRT's 8-bit LOGISTIC: the table entry of every input byte."""
    x = np.asarray(x)
    return table[x.view(np.uint8)].view(x.dtype)


def quantize(
    x: np.ndarray,
    *,
    input_zero_point: int,
    output_zero_point: int,
    multiplier: int,
    shift: int,
    out_dtype: np.dtype,
) -> np.ndarray:
    """TFLite's Requantize: MultiplyByQuantizedMultiplier(x - zp_in) + zp_out, clamped."""
    info = np.iinfo(out_dtype)
    value = np.asarray(x, dtype=np.int64) - input_zero_point
    scaled = multiply_by_quantized_multiplier(value, multiplier, shift) + output_zero_point
    return np.clip(scaled, info.min, info.max).astype(out_dtype)


def pad(x: np.ndarray, before: Sequence[int], out_shape: Sequence[int], value: int) -> np.ndarray:
    """TFLite's Pad: x placed at `before` (4-D padded axes) in an output of value."""
    x4 = np.asarray(x).reshape((1,) * (4 - x.ndim) + x.shape)
    out4 = tuple((1,) * (4 - len(out_shape)) + tuple(out_shape))
    out = np.full(out4, value, dtype=x4.dtype)
    index = tuple(slice(b, b + n) for b, n in zip(before, x4.shape, strict=True))
    out[index] = x4
    return out
