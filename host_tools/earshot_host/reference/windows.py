"""Sliding-window views shared by the convolution and pooling kernels."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def pad_for_windows(
    x: np.ndarray,
    *,
    out_hw: tuple[int, int],
    filter_hw: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
    pad: tuple[int, int],
    fill: int,
) -> np.ndarray:
    """Pad an NHWC array so every tap of every output window is inside it.

    pad is (top, left); bottom/right padding is whatever the last window needs.
    """
    _, height, width, _ = x.shape
    extents = []
    for size, out, filt, s, d, before in zip(
        (height, width), out_hw, filter_hw, stride, dilation, pad, strict=True
    ):
        needed = (out - 1) * s + (filt - 1) * d + 1
        extents.append((before, max(needed - before - size, 0)))
    return np.pad(x, ((0, 0), extents[0], extents[1], (0, 0)), constant_values=fill)


def window_taps(
    padded: np.ndarray,
    *,
    out_hw: tuple[int, int],
    filter_hw: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
) -> Iterator[tuple[int, int, np.ndarray]]:
    """Yield (ky, kx, view [N, out_h, out_w, C]) of the input value under each filter tap."""
    out_h, out_w = out_hw
    for ky in range(filter_hw[0]):
        y0 = ky * dilation[0]
        rows = padded[:, y0 : y0 + (out_h - 1) * stride[0] + 1 : stride[0]]
        for kx in range(filter_hw[1]):
            x0 = kx * dilation[1]
            yield ky, kx, rows[:, :, x0 : x0 + (out_w - 1) * stride[1] + 1 : stride[1]]
