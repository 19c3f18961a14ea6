"""Reference int8 CONV_2D: TFLite reference_integer_ops::ConvPerChannel."""

from __future__ import annotations

import numpy as np

from .requantize import clamp_to_int8, multiply_by_quantized_multiplier, wrap_int32
from .windows import pad_for_windows, window_taps


def conv2d_int8(
    x: np.ndarray,
    filters: np.ndarray,
    bias: np.ndarray | None,
    *,
    out_hw: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
    pad: tuple[int, int],
    input_zero_point: int,
    output_zero_point: int,
    multipliers: np.ndarray,
    shifts: np.ndarray,
    act_min: int,
    act_max: int,
) -> np.ndarray:
    """x: int8 [N, H, W, Cin]; filters: int8 [Cout, KH, KW, Cin]; returns int8 [N, OH, OW, Cout].

    Taps outside the input contribute nothing (as TFLite), which equals padding the
    zero-point-shifted input with 0.
    """
    out_channels, kh, kw, _ = filters.shape
    shifted = np.asarray(x, dtype=np.float64) - input_zero_point
    geometry = {"out_hw": out_hw, "filter_hw": (kh, kw), "stride": stride, "dilation": dilation}
    padded = pad_for_windows(shifted, pad=pad, fill=0, **geometry)
    weights = np.asarray(filters, dtype=np.float64)
    acc = np.zeros((x.shape[0], out_hw[0], out_hw[1], out_channels), dtype=np.float64)
    # float64 sums of int8 products are exact far beyond any microcontroller layer size.
    for ky, kx, view in window_taps(padded, **geometry):
        acc += view @ weights[:, ky, kx, :].T
    total = acc.astype(np.int64)
    if bias is not None:
        total = total + np.asarray(bias, dtype=np.int64)
    scaled = multiply_by_quantized_multiplier(
        wrap_int32(total),
        np.asarray(multipliers, dtype=np.int64),
        np.asarray(shifts, dtype=np.int64),
    )
    return clamp_to_int8(scaled + output_zero_point, act_min, act_max)
