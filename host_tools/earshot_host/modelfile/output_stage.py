"""The prepared output stage of a CONV_2D / DEPTHWISE_CONV_2D (FORMAT.md §3.1, O9).

For every output channel c, four int32 the optimized kernels use instead of decoding the
bias, multiplier and shift arrays on each invocation:

    bias2  = 2 * (bias[c] + input_offset * sum(filter of c))   (input offset folded in)
    m      = multiplier[c]
    round  = 2^(right - 1) + output_zero_point * 2^right
    right  = -shift[c]                                          (1 .. 22)

so that out = clamp((SMMULR(2 * acc + bias2, m) + round - (high < 0)) >> right) with acc the
sum of filter * raw input bytes. That equals the reference output stage exactly when every
window lies inside the input (no padding taps, whose offset the reference skips), the shift
is a right shift of at most 22 bits and |bias[c] + input_offset * sum| + taps * 128 * 128 <
2^30 (SMMULR(2x, m) is SaturatingRoundingDoublingHighMul for |x| < 2^30 and the rounding
sum stays inside int32). The converter writes the stage only when all of that holds; the
loader recomputes it (O9)."""

from __future__ import annotations

import numpy as np

STAGE_RECORD_BYTES = 16
MAX_RIGHT_SHIFT = 22
RANGE_LIMIT = 1 << 30


def windows_inside(
    in_hw: tuple[int, int],
    out_hw: tuple[int, int],
    filter_hw: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
    pad: tuple[int, int],
) -> bool:
    """Whether every output pixel's window lies inside the input."""
    return all(
        pad[a] == 0 and (out_hw[a] - 1) * stride[a] + (filter_hw[a] - 1) * dilation[a] < in_hw[a]
        for a in (0, 1)
    )


def prepared_stage(
    filters: np.ndarray,
    bias: np.ndarray | None,
    multipliers: np.ndarray,
    shifts: np.ndarray,
    input_zero_point: int,
    output_zero_point: int,
    depthwise: bool,
) -> np.ndarray | None:
    """The stage as int32 [channels, 4] for filters in TFLite's layout, or None when some
    channel falls outside the stage's conditions (the caller checks windows_inside)."""
    f = filters.astype(np.int64)
    if depthwise:  # [1, KH, KW, C]
        sums = f.reshape(-1, f.shape[3]).sum(axis=0)
        taps = f.shape[1] * f.shape[2]
    else:  # [C, KH, KW, Cin]
        sums = f.reshape(f.shape[0], -1).sum(axis=1)
        taps = f.shape[1] * f.shape[2] * f.shape[3]
    channels = len(sums)
    biases = np.zeros(channels, np.int64) if bias is None else bias.astype(np.int64).reshape(-1)
    index = np.arange(channels) if len(multipliers) > 1 else np.zeros(channels, np.int64)
    right = -shifts.astype(np.int64)[index]
    folded = biases - int(input_zero_point) * sums
    if np.any(right < 1) or np.any(right > MAX_RIGHT_SHIFT):
        return None
    if np.any(np.abs(folded) + taps * 128 * 128 >= RANGE_LIMIT):
        return None
    stage = np.empty((channels, 4), np.int64)
    stage[:, 0] = 2 * folded
    stage[:, 1] = multipliers.astype(np.int64)[index]
    stage[:, 2] = (1 << (right - 1)) + int(output_zero_point) * (1 << right)
    stage[:, 3] = right
    return stage.astype("<i4")
