"""Streaming state kept in place: a variable and its new frames made one ring of memory.

A streaming layer of microWakeWord (and of Keras streaming models in general) keeps the
last frames it saw in a variable and, on every invocation, does

    window = CONCATENATION(READ_VARIABLE(v), new)     # [state | new frames]
    ...layer reads window...
    ASSIGN_VARIABLE(v, STRIDED_SLICE(window)[n:])     # the newest frames, for next time

Run as written that is three copies of the window per invocation. The converter instead
makes the variable's arena memory as large as the window and places the new frames right
after the state in it, so the window *is* that memory (no concatenation), the slice is a
view of its tail (no copy), and the assignment, moved after the window's last reader, is one
memmove of the tail to the front. Everything the layer computes is unchanged; the arena
plan just puts the pieces next to each other (FORMAT.md §1.2, views).

A pattern qualifies only when nothing else can see the difference: the state value is read
by the concatenation alone, the slice is the window's contiguous tail and only assigned
back, the window is no model output, the new frames are an op's output of their own (a
model input is copied in: it stays where the application writes it, untouched by a reset),
and the state ends on a 16-byte boundary (the new frames stay aligned for the kernels).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import EarshotError
from .mixconv import MixConv
from .slicing import strided_slice
from .tflite_graph import Graph, GraphOp
from .variables import Variables

ALIGN = 16
ITEM_BYTES = {"INT8": 1, "UINT8": 1}


@dataclass(frozen=True)
class Ring:
    """One variable laid out as [state | new frames]; sizes in bytes."""

    variable: str
    read: GraphOp
    concat: GraphOp
    slice: GraphOp
    assign: GraphOp
    state: int  # TFLite tensor: the value read (a view of the first state_bytes)
    frames: int  # TFLite tensor (a fold root): the new frames (view after the state)
    window: int  # TFLite tensor: the concatenation (the whole ring)
    tail: int  # TFLite tensor: the slice (the view assigned back)
    state_bytes: int
    frame_bytes: int
    after: int  # the op after which the assignment runs (TFLite index)
    # The new frames are a model input: copied into the ring (an ASSIGN_VARIABLE where the
    # concatenation was) rather than placed there, so the input stays the application's.
    copied: bool = False

    def views(self) -> dict[int, int]:
        """TFLite tensor -> its byte offset inside the ring."""
        views = {self.state: 0, self.window: 0, self.tail: self.frame_bytes}
        if not self.copied:
            views[self.frames] = self.state_bytes
        return views


def _reshape_root(producers: dict[int, GraphOp], tensor: int) -> int:
    while tensor in producers and producers[tensor].name == "RESHAPE":
        tensor = producers[tensor].inputs[0]
    return tensor


def _bytes(graph: Graph, tensor: int) -> int:
    g = graph.tensors[tensor]
    return int(np.prod(g.shape)) * ITEM_BYTES.get(g.type_name, 0) if g.shape else 0


def _is_tail(graph: Graph, op: GraphOp, window: int, size: int) -> bool:
    """Whether the STRIDED_SLICE op selects the last `size` bytes of window, in order."""
    shape = graph.tensors[window].shape
    o = op.options
    values = []
    for t in op.inputs[1:4]:
        g = graph.tensors[t]
        if g.data is None:
            return False
        values.append([int(v) for v in g.data.reshape(-1)])
    if o is None or o.EllipsisMask() or o.NewAxisMask():
        return False
    try:
        params, _ = strided_slice(
            shape,
            *values,
            begin_mask=o.BeginMask(),
            end_mask=o.EndMask(),
            shrink_axis_mask=o.ShrinkAxisMask(),
            offset=bool(o.Offset()),
        )
    except EarshotError:
        return False
    padded = (1,) * (4 - len(shape)) + tuple(shape)
    flat = np.arange(int(np.prod(padded))).reshape(padded)
    picked = flat[
        tuple(
            slice(b, b + s * (c - 1) + 1, s)
            for b, s, c in zip(params.begin, params.stride, params.count, strict=True)
        )
    ].reshape(-1)
    total = flat.size
    return picked.size == size and bool(np.array_equal(picked, np.arange(total - size, total)))


def find_rings(graph: Graph, variables: Variables, mixconvs: list[MixConv]) -> list[Ring]:
    """The variables of the main subgraph that can be kept as rings."""
    producers = {t: op for op in graph.ops for t in op.outputs}
    # An op absorbed into a merged MixConv is lowered at its group's concatenation.
    lowered_at = {i: g.concat.index for g in mixconvs for i in g.absorbed}
    readers: dict[int, list[GraphOp]] = {}  # fold root -> ops reading it (RESHAPEs passed)
    for op in graph.ops:
        if op.name == "RESHAPE":
            continue
        for t in op.inputs:
            if t >= 0:
                readers.setdefault(_reshape_root(producers, t), []).append(op)
    outputs = {_reshape_root(producers, t) for t in graph.outputs}
    reads: dict[str, list[GraphOp]] = {}
    assigns: dict[str, list[GraphOp]] = {}
    for op in graph.ops:
        if op.name in ("READ_VARIABLE", "ASSIGN_VARIABLE") and op.inputs[0] in variables.handles:
            table = reads if op.name == "READ_VARIABLE" else assigns
            table.setdefault(variables.handles[op.inputs[0]], []).append(op)
    rings: list[Ring] = []
    used_frames: set[int] = set()
    for name in sorted(reads):
        ring = _ring(graph, name, reads, assigns, producers, readers, outputs, lowered_at)
        if ring is not None and ring.frames not in used_frames:
            rings.append(ring)
            used_frames.add(ring.frames)
    return rings


def _ring(
    graph: Graph,
    name: str,
    reads: dict[str, list[GraphOp]],
    assigns: dict[str, list[GraphOp]],
    producers: dict[int, GraphOp],
    readers: dict[int, list[GraphOp]],
    outputs: set[int],
    lowered_at: dict[int, int],
) -> Ring | None:
    if len(reads.get(name, [])) != 1 or len(assigns.get(name, [])) != 1:
        return None
    read, assign = reads[name][0], assigns[name][0]
    state = read.outputs[0]
    users = readers.get(state, [])
    if read.index > assign.index or len(users) != 1 or users[0].name != "CONCATENATION":
        return None
    concat = users[0]
    if len(concat.inputs) != 2 or _reshape_root(producers, concat.inputs[0]) != state:
        return None
    o = concat.options
    window = concat.outputs[0]
    shape = graph.tensors[window].shape
    if o is None or o.FusedActivationFunction() != 0 or not shape:
        return None
    axis = o.Axis() + len(shape) if o.Axis() < 0 else o.Axis()
    if not 0 <= axis < len(shape) or int(np.prod(shape[:axis])) != 1:
        return None
    frames = _reshape_root(producers, concat.inputs[1])
    tail = _reshape_root(producers, assign.inputs[1])
    cut = producers.get(tail)
    s, n = _bytes(graph, state), _bytes(graph, frames)
    if cut is None or cut.name != "STRIDED_SLICE" or cut.inputs[0] != window:
        return None
    if [op.index for op in readers.get(tail, [])] != [assign.index]:
        return None
    if window in outputs or frames in outputs or s == 0 or n == 0 or s % ALIGN:
        return None
    types = {graph.tensors[t].type_name for t in (state, frames, window, tail)}
    if len(types) != 1 or _bytes(graph, window) != s + n or _bytes(graph, tail) != s:
        return None
    maker = producers.get(frames)
    if graph.tensors[frames].is_const or (maker is None and frames not in graph.inputs):
        return None
    if maker is not None and maker.name in ("READ_VARIABLE", "VAR_HANDLE", "CALL_ONCE"):
        return None
    if not _is_tail(graph, cut, window, s):
        return None
    # The assignment runs after every op that reads the ring (window, frames; the state
    # is read by the concatenation only), as they are lowered.
    skipped = {concat.index, cut.index, assign.index}
    after = assign.index
    for tensor in (window, frames):
        for op in readers.get(tensor, []):
            if op.index not in skipped:
                after = max(after, lowered_at.get(op.index, op.index))
    copied = maker is None
    return Ring(name, read, concat, cut, assign, state, frames, window, tail, s, n, after, copied)
