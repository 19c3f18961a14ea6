"""Reference int8 DEPTHWISE_CONV_2D: TFLite reference_integer_ops::DepthwiseConvPerChannel."""

from __future__ import annotations

import numpy as np

from .requantize import clamp_to_int8, multiply_by_quantized_multiplier, wrap_int32
from .windows import pad_for_windows, window_taps


def depthwise_conv2d_int8(
    x: np.ndarray,
    filters: np.ndarray,
    bias: np.ndarray | None,
    *,
    out_hw: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
    pad: tuple[int, int],
    depth_multiplier: int,
    input_zero_point: int,
    output_zero_point: int,
    multipliers: np.ndarray,
    shifts: np.ndarray,
    act_min: int,
    act_max: int,
) -> np.ndarray:
    """x: int8 [N, H, W, Cin]; filters: int8 [1, KH, KW, Cin*M]; returns int8 [N, OH, OW, Cin*M].

    Output channel c = input channel c // M, multiplier index c % M (TFLite's order).
    """
    _, kh, kw, out_channels = filters.shape
    shifted = np.asarray(x, dtype=np.int64) - input_zero_point
    if depth_multiplier > 1:
        shifted = np.repeat(shifted, depth_multiplier, axis=3)
    geometry = {"out_hw": out_hw, "filter_hw": (kh, kw), "stride": stride, "dilation": dilation}
    padded = pad_for_windows(shifted, pad=pad, fill=0, **geometry)
    weights = np.asarray(filters, dtype=np.int64)
    acc = np.zeros((x.shape[0], out_hw[0], out_hw[1], out_channels), dtype=np.int64)
    for ky, kx, view in window_taps(padded, **geometry):
        acc += view * weights[0, ky, kx, :]
    if bias is not None:
        acc = acc + np.asarray(bias, dtype=np.int64)
    scaled = multiply_by_quantized_multiplier(
        wrap_int32(acc),
        np.asarray(multipliers, dtype=np.int64),
        np.asarray(shifts, dtype=np.int64),
    )
    return clamp_to_int8(scaled + output_zero_point, act_min, act_max)
