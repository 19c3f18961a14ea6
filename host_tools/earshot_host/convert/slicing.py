"""STRIDED_SLICE, SPLIT and SPLIT_V as the earshot slice: begin, stride and count per axis.

TFLite's StridedSlice resolves masks, negative indices and clamping at run time
(strided_slice.cc, StartForAxis / StopForAxis); the converter does it once here, for the
input's shape padded at the front to 4-D, so the device only walks the result.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import EarshotError
from ..modelfile import SliceParams
from ..modelfile.layout import MAX_RANK

INT_MIN = -(1 << 31)
INT_MAX = (1 << 31) - 1


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _start(begin: int, stride: int, size: int, masked: bool) -> int:
    if masked:
        begin = INT_MIN if stride > 0 else INT_MAX
    if begin < 0:
        begin += size
    return _clamp(begin, 0, size) if stride > 0 else _clamp(begin, -1, size - 1)


def _stop(end: int, stride: int, size: int, masked: bool) -> int:
    if masked:
        end = INT_MAX if stride > 0 else INT_MIN
    if end < 0:
        end += size
    return _clamp(end, 0, size) if stride > 0 else _clamp(end, -1, size - 1)


def _padded(values: Sequence[int], fill: int, rank: int) -> tuple[int, int, int, int]:
    out = [fill] * (MAX_RANK - rank) + list(values)
    return (out[0], out[1], out[2], out[3])


def strided_slice(
    shape: Sequence[int],
    begin: Sequence[int],
    end: Sequence[int],
    strides: Sequence[int],
    *,
    begin_mask: int = 0,
    end_mask: int = 0,
    shrink_axis_mask: int = 0,
    offset: bool = False,
) -> tuple[SliceParams, tuple[int, ...]]:
    """The slice and TFLite's output shape (shrunk axes removed) of a STRIDED_SLICE."""
    rank = len(shape)
    if not 1 <= rank <= MAX_RANK or not len(begin) == len(end) == len(strides) == rank:
        raise EarshotError(
            f"begin/end/strides of length {len(begin)}/{len(end)}/{len(strides)} do not fit "
            f"an input of rank {rank} (1 to {MAX_RANK})"
        )
    starts, steps, counts, out_shape = [], [], [], []
    for axis, size in enumerate(shape):
        stride = int(strides[axis])
        if stride == 0:
            raise EarshotError(f"stride of axis {axis} is 0")
        stop_index = int(end[axis]) + (int(begin[axis]) if offset else 0)
        start = _start(int(begin[axis]), stride, size, bool(begin_mask >> axis & 1))
        if shrink_axis_mask >> axis & 1:
            stop = start + 1
        else:
            stop = _stop(stop_index, stride, size, bool(end_mask >> axis & 1))
        span = stop - start if stride > 0 else start - stop
        count = max(0, -(-span // abs(stride)))
        if count < 1 or not 0 <= start < size:
            raise EarshotError(
                f"slice of axis {axis} (begin {begin[axis]}, end {end[axis]}, stride {stride}) "
                f"selects nothing of its {size} elements"
            )
        starts.append(start)
        steps.append(stride if count > 1 else 1)
        counts.append(count)
        if not shrink_axis_mask >> axis & 1:
            out_shape.append(count)
    params = SliceParams(
        begin=_padded(starts, 0, rank),
        stride=_padded(steps, 1, rank),
        count=_padded(counts, 1, rank),
    )
    return params, tuple(out_shape)


def split_slices(shape: Sequence[int], axis: int, sizes: Sequence[int]) -> list[SliceParams]:
    """The slice of every output of a SPLIT / SPLIT_V of shape along axis into sizes (one
    size may be -1: the rest)."""
    rank = len(shape)
    if axis < 0:
        axis += rank
    if not 0 <= axis < rank or rank > MAX_RANK:
        raise EarshotError(f"split axis {axis} is outside an input of rank {rank}")
    sizes = [int(s) for s in sizes]
    if sizes.count(-1) == 1:
        sizes[sizes.index(-1)] = shape[axis] - sum(s for s in sizes if s != -1)
    if any(s < 1 for s in sizes) or sum(sizes) != shape[axis]:
        raise EarshotError(f"split sizes {sizes} do not add up to axis {axis} of {list(shape)}")
    slices, first = [], 0
    for size in sizes:
        begin = [0] * rank
        count = list(shape)
        begin[axis], count[axis] = first, size
        slices.append(
            SliceParams(
                begin=_padded(begin, 0, rank),
                stride=(1, 1, 1, 1),
                count=_padded(count, 1, rank),
            )
        )
        first += size
    return slices
