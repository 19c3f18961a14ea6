"""Reference int8 AVERAGE_POOL_2D and MAX_POOL_2D: TFLite reference_integer_ops pooling."""

from __future__ import annotations

import numpy as np

from .requantize import clamp_to_int8
from .windows import pad_for_windows, window_taps

_BELOW_INT8 = -(1 << 20)


def average_pool_int8(
    x: np.ndarray,
    *,
    out_hw: tuple[int, int],
    filter_hw: tuple[int, int],
    stride: tuple[int, int],
    pad: tuple[int, int],
    act_min: int,
    act_max: int,
) -> np.ndarray:
    """Mean over the in-image part of each window, rounded half away from zero."""
    geometry = {"out_hw": out_hw, "filter_hw": filter_hw, "stride": stride, "dilation": (1, 1)}
    values = pad_for_windows(np.asarray(x, dtype=np.int64), pad=pad, fill=0, **geometry)
    inside = pad_for_windows(np.ones(x.shape, dtype=np.int64), pad=pad, fill=0, **geometry)
    shape = (x.shape[0], out_hw[0], out_hw[1], x.shape[3])
    acc = np.zeros(shape, dtype=np.int64)
    count = np.zeros(shape, dtype=np.int64)
    for (_, _, v), (_, _, m) in zip(
        window_taps(values, **geometry), window_taps(inside, **geometry), strict=True
    ):
        acc += v
        count += m
    half = count // 2
    # C division truncates toward zero.
    positive = (acc + half) // count
    negative = -((-(acc - half)) // count)
    return clamp_to_int8(np.where(acc > 0, positive, negative), act_min, act_max)


def max_pool_int8(
    x: np.ndarray,
    *,
    out_hw: tuple[int, int],
    filter_hw: tuple[int, int],
    stride: tuple[int, int],
    pad: tuple[int, int],
    act_min: int,
    act_max: int,
) -> np.ndarray:
    """Maximum over the in-image part of each window."""
    geometry = {"out_hw": out_hw, "filter_hw": filter_hw, "stride": stride, "dilation": (1, 1)}
    values = pad_for_windows(np.asarray(x, dtype=np.int64), pad=pad, fill=_BELOW_INT8, **geometry)
    result = np.full((x.shape[0], out_hw[0], out_hw[1], x.shape[3]), _BELOW_INT8, np.int64)
    for _, _, v in window_taps(values, **geometry):
        result = np.maximum(result, v)
    return clamp_to_int8(result, act_min, act_max)
