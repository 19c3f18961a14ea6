"""Mixed depthwise convolutions (MixConv) merged into one DEPTHWISE_CONV_2D.

microWakeWord's MixedNet blocks split the channels of one tensor (SPLIT_V), give each
group a depthwise filter of its own height (STRIDED_SLICE picks the rows that filter
needs) and join the results (CONCATENATION). Run as written, that is a copy of every
group's input and of the joined output on each invocation. The same result comes from
one depthwise convolution over the whole tensor whose filter holds each group's taps at
the rows (and columns) the group's slice started from, and zeros elsewhere: a zero tap adds
0 to the accumulator, and every channel keeps its own bias and requantization, so the
outputs are bit for bit those of the groups. The converter finds such groups here and
lowers each as that one op.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import EarshotError
from .slicing import split_slices, strided_slice
from .tflite_graph import PADDING_NAMES, Graph, GraphOp, GraphTensor

SLICING_OPS = ("STRIDED_SLICE", "SPLIT", "SPLIT_V")


@dataclass(frozen=True)
class Branch:
    """One group: its depthwise op and where its input sits in the source tensor."""

    conv: GraphOp
    row: int  # first row of the source the group's window starts at
    col: int
    channel: int  # first channel of the group in the source


@dataclass(frozen=True)
class MixConv:
    """A CONCATENATION of depthwise convolutions over slices of one source tensor."""

    concat: GraphOp
    source: int  # TFLite tensor the slices start from
    branches: tuple[Branch, ...]
    absorbed: frozenset[int]  # indices of the ops the merged op replaces (concat excluded)


class MergedOptions:
    """DepthwiseConv2DOptions of the merged op (stride 1, VALID, no dilation)."""

    def __init__(self, activation: int, padding: int) -> None:
        self._activation = activation
        self._padding = padding

    def Padding(self) -> int:  # noqa: N802 - the flatbuffer options' method names
        return self._padding

    def StrideH(self) -> int:  # noqa: N802
        return 1

    def StrideW(self) -> int:  # noqa: N802
        return 1

    def DilationHFactor(self) -> int:  # noqa: N802
        return 1

    def DilationWFactor(self) -> int:  # noqa: N802
        return 1

    def DepthMultiplier(self) -> int:  # noqa: N802
        return 1

    def FusedActivationFunction(self) -> int:  # noqa: N802
        return self._activation


def _consumers(graph: Graph) -> dict[int, list[GraphOp]]:
    users: dict[int, list[GraphOp]] = {}
    for op in graph.ops:
        for t in op.inputs:
            if t >= 0:
                users.setdefault(t, []).append(op)
    return users


def _producers(graph: Graph) -> dict[int, GraphOp]:
    return {t: op for op in graph.ops for t in op.outputs}


def _ints(graph: Graph, tfl: int) -> list[int] | None:
    g = graph.tensors[tfl]
    if g.data is None or g.type_name not in ("INT32", "INT64"):
        return None
    return [int(v) for v in g.data.reshape(-1)]


def _slice_begin(graph: Graph, op: GraphOp, out: int) -> tuple[int, ...] | None:
    """Where output `out` of a slicing op starts in its input (4-D, stride 1), or None."""
    shape = graph.tensors[op.inputs[0] if op.name != "SPLIT" else op.inputs[1]].shape
    try:
        if op.name == "STRIDED_SLICE":
            o = op.options
            values = [_ints(graph, t) for t in op.inputs[1:4]]
            if o is None or any(v is None for v in values):
                return None
            if o.EllipsisMask() or o.NewAxisMask() or o.ShrinkAxisMask():
                return None
            params, _ = strided_slice(
                shape,
                *values,  # type: ignore[arg-type]
                begin_mask=o.BeginMask(),
                end_mask=o.EndMask(),
                offset=bool(o.Offset()),
            )
        else:
            if op.name == "SPLIT":
                axis, count = _ints(graph, op.inputs[0]), len(op.outputs)
                sizes = [shape[axis[0]] // count] * count if axis and count else None
            else:
                axis, sizes = _ints(graph, op.inputs[2]), _ints(graph, op.inputs[1])
            if not axis or sizes is None:
                return None
            params = split_slices(shape, axis[0], sizes)[op.outputs.index(out)]
    except EarshotError:
        return None
    if params.stride != (1, 1, 1, 1) or len(shape) != 4:
        return None
    return params.begin


def _same_quant(a: GraphTensor, b: GraphTensor) -> bool:
    return (
        a.type_name == b.type_name == "INT8"
        and len(a.scales) == len(b.scales) == 1
        and a.scales[0] == b.scales[0]
        and a.zero_points[0] == b.zero_points[0]
    )


def _branch(
    graph: Graph, conv: GraphOp, producers: dict[int, GraphOp], users: dict[int, list[GraphOp]]
) -> tuple[int, tuple[int, int, int, int], set[int]] | None:
    """The source tensor of a depthwise op's input through slicing ops, where the input
    starts in it, and the slicing ops passed; None if it is no mergeable branch."""
    o = conv.options
    if (
        o is None
        or PADDING_NAMES.get(o.Padding()) != "VALID"
        or (o.StrideH(), o.StrideW(), o.DilationHFactor(), o.DilationWFactor()) != (1, 1, 1, 1)
    ):
        return None
    begin = [0, 0, 0, 0]
    passed: set[int] = set()
    tensor = conv.inputs[0]
    while tensor in producers and producers[tensor].name in SLICING_OPS:
        op = producers[tensor]
        start = _slice_begin(graph, op, tensor)
        if start is None:
            return None
        begin = [a + b for a, b in zip(begin, start, strict=True)]
        passed.add(op.index)
        tensor = op.inputs[1] if op.name == "SPLIT" else op.inputs[0]
    if not passed:
        return None
    return tensor, (begin[0], begin[1], begin[2], begin[3]), passed


def _group(
    graph: Graph, concat: GraphOp, producers: dict[int, GraphOp], users: dict[int, list[GraphOp]]
) -> MixConv | None:
    out = graph.tensors[concat.outputs[0]]
    o = concat.options
    if o is None or o.FusedActivationFunction() != 0 or len(out.shape) != 4:
        return None
    if o.Axis() not in (3, -1) or len(concat.inputs) < 2:
        return None
    branches = []
    absorbed: set[int] = set()
    source = None
    channel = 0
    for y in concat.inputs:
        conv = producers.get(y)
        if conv is None or conv.name != "DEPTHWISE_CONV_2D" or len(users.get(y, [])) != 1:
            return None
        found = _branch(graph, conv, producers, users)
        if found is None:
            return None
        tensor, begin, passed = found
        if source is not None and tensor != source:
            return None
        source = tensor
        if begin[0] != 0 or begin[3] != channel:
            return None
        channel += graph.tensors[y].shape[3]
        branches.append(Branch(conv, begin[1], begin[2], begin[3]))
        absorbed |= passed | {conv.index}
    assert source is not None
    src = graph.tensors[source]
    if len(src.shape) != 4 or src.shape[0] != 1 or channel != src.shape[3]:
        return None
    # Every tensor the absorbed ops make is used only inside the group (or by the concat),
    # all of the source's quantization; the groups' outputs share the concat's.
    inside = absorbed | {concat.index}
    for index in absorbed:
        op = graph.ops[index]
        for t in op.outputs:
            if t in graph.outputs or any(u.index not in inside for u in users.get(t, [])):
                return None
            if op.name != "DEPTHWISE_CONV_2D" and not _same_quant(graph.tensors[t], src):
                return None
    first = graph.tensors[concat.inputs[0]]
    activations = set()
    for b in branches:
        y = graph.tensors[b.conv.outputs[0]]
        x = graph.tensors[b.conv.inputs[0]]
        if not _same_quant(y, out) or not _same_quant(x, src) or y.shape[1:3] != first.shape[1:3]:
            return None
        f = graph.tensors[b.conv.inputs[1]]
        if x.shape[3] != y.shape[3] or f.data is None or np.any(f.zero_points != 0):
            return None
        activations.add(b.conv.options.FusedActivationFunction())
    if len(activations) != 1:
        return None
    return MixConv(concat, source, tuple(branches), frozenset(absorbed))


def find_mixconvs(graph: Graph) -> list[MixConv]:
    """The mergeable groups of the main subgraph (no op in two groups)."""
    producers, users = _producers(graph), _consumers(graph)
    groups: list[MixConv] = []
    taken: set[int] = set()
    for op in graph.ops:
        if op.name != "CONCATENATION":
            continue
        group = _group(graph, op, producers, users)
        if group is not None and not (group.absorbed & taken):
            groups.append(group)
            taken |= group.absorbed
    return groups


def merged_op(graph: Graph, group: MixConv) -> GraphOp:
    """The one DEPTHWISE_CONV_2D of a group, with its filter (and bias) appended to the
    graph's tensors as constants."""
    src = graph.tensors[group.source]
    out = graph.tensors[group.concat.outputs[0]]
    oh, ow = out.shape[1], out.shape[2]
    kh, kw = src.shape[1] - oh + 1, src.shape[2] - ow + 1
    channels = src.shape[3]
    weights = np.zeros((1, kh, kw, channels), dtype=np.int8)
    biases = np.zeros(channels, dtype=np.int32)
    scales = np.zeros(channels, dtype=np.float32)
    has_bias = False
    for b in group.branches:
        f = graph.tensors[b.conv.inputs[1]]
        assert f.data is not None
        fh, fw, n = f.shape[1], f.shape[2], f.shape[3]
        c = b.channel
        weights[0, b.row : b.row + fh, b.col : b.col + fw, c : c + n] = f.data[0]
        scales[c : c + n] = np.broadcast_to(f.scales.astype(np.float32), (n,))
        if len(b.conv.inputs) > 2 and b.conv.inputs[2] >= 0:
            bias = graph.tensors[b.conv.inputs[2]]
            if bias.data is None or bias.type_name != "INT32" or bias.data.size != n:
                raise EarshotError(
                    f"op #{b.conv.index} DEPTHWISE_CONV_2D: bias {bias.describe()} must be a "
                    f"constant INT32 of {n} values"
                )
            biases[c : c + n] = bias.data.reshape(-1)
            has_bias = True
    name = f"mixconv@{group.concat.index}"
    filt = GraphTensor(
        index=len(graph.tensors),
        name=f"{name}/filter",
        type_name="INT8",
        shape=weights.shape,
        scales=scales,
        zero_points=np.zeros(channels, dtype=np.int64),
        quant_axis=3,
        data=weights,
    )
    graph.tensors.append(filt)
    inputs = [group.source, filt.index]
    if has_bias:
        bias_tensor = GraphTensor(
            index=len(graph.tensors),
            name=f"{name}/bias",
            type_name="INT32",
            shape=(channels,),
            scales=np.zeros(0, dtype=np.float32),
            zero_points=np.zeros(0, dtype=np.int64),
            quant_axis=0,
            data=biases,
        )
        graph.tensors.append(bias_tensor)
        inputs.append(bias_tensor.index)
    first = group.branches[0].conv.options
    return GraphOp(
        index=group.concat.index,
        name="DEPTHWISE_CONV_2D",
        inputs=inputs,
        outputs=list(group.concat.outputs),
        options=MergedOptions(first.FusedActivationFunction(), first.Padding()),
    )
