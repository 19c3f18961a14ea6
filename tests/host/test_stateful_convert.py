"""Conversion of stateful models: the CALL_ONCE initialisation is evaluated on the host,
and models that lie about their variables, loop in CALL_ONCE or slice out of range are
refused with an error that names the op and the problem."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from earshot_host.convert import convert_tflite
from earshot_host.convert.lowering import lower_graph
from earshot_host.convert.slicing import split_slices, strided_slice
from earshot_host.convert.tflite_graph import Graph, read_tflite
from earshot_host.errors import EarshotError
from earshot_host.modelfile import OpCode, TensorKind

ROOT = Path(__file__).resolve().parents[2]
MODELS = ("okay_nabu", "hey_jarvis", "vad")


def graph(name: str) -> Graph:
    return read_tflite((ROOT / "models" / name / f"{name}.tflite").read_bytes())


class CallOnce:
    """Stands in for CallOnceOptions."""

    def __init__(self, index: int) -> None:
        self.index = index

    def InitSubgraphIndex(self) -> int:  # noqa: N802 - the flatbuffer accessor's name
        return self.index


@pytest.mark.parametrize("name", MODELS)
def test_wake_word_models_convert_with_their_state(name):
    g = graph(name)
    converted = convert_tflite((ROOT / "models" / name / f"{name}.tflite").read_bytes(), name=name)
    model = converted.model
    states = [t for t in model.tensors if t.kind == TensorKind.STATE and t.alias_of is None]
    handles = [op for op in g.ops if op.name == "VAR_HANDLE"]
    assert len(states) == len(handles)
    # Each variable starts from the constant its initialisation subgraph assigns (a ring's
    # memory goes on with its new frames, the zero point until written: state_rings.py).
    init = g.subgraphs[1]
    constants = sorted(bytes(t.data.tobytes()) for t in init.tensors if t.is_const)
    initial = [bytes(model.data[t.init_offset : t.init_offset + t.byte_size]) for t in states]
    assert len(initial) == len(constants)
    for c in constants:
        assert any(v.startswith(c) and len(set(v[len(c) :])) <= 1 for v in initial)
    codes = {op.opcode for op in model.ops}
    assert OpCode.ASSIGN_VARIABLE in codes
    assert model.tensors[model.outputs[0]].dtype.name == "UINT8"
    # Every read is folded into the variable (its uses come before the next assign).
    assert OpCode.READ_VARIABLE not in codes


def test_init_subgraph_that_calls_itself_is_refused():
    g = graph("vad")
    init = g.subgraphs[1]
    loop = copy.copy(next(op for op in g.ops if op.name == "CALL_ONCE"))
    loop.options = CallOnce(1)
    init.ops.insert(0, loop)
    with pytest.raises(EarshotError, match=r"CALL_ONCE loop: subgraph 1 is called while it runs"):
        lower_graph(g)


def test_call_once_of_the_main_subgraph_is_refused():
    g = graph("vad")
    next(op for op in g.ops if op.name == "CALL_ONCE").options = CallOnce(0)
    with pytest.raises(EarshotError, match=r"CALL_ONCE loop: subgraph 0"):
        lower_graph(g)


def test_call_once_of_a_missing_subgraph_is_refused():
    g = graph("vad")
    next(op for op in g.ops if op.name == "CALL_ONCE").options = CallOnce(7)
    with pytest.raises(EarshotError, match=r"calls subgraph 7, which does not exist"):
        lower_graph(g)


def test_variable_of_the_wrong_size_is_refused():
    g = graph("vad")
    init = g.subgraphs[1]
    value = next(t for t in init.tensors if t.is_const)
    value.data = np.concatenate([value.data.reshape(-1), value.data.reshape(-1)])
    value.shape = (value.data.size,)
    with pytest.raises(EarshotError, match=r"does not fit variable"):
        lower_graph(g)


def test_variable_without_initial_value_is_refused():
    g = graph("vad")
    g.subgraphs[1].ops = [op for op in g.subgraphs[1].ops if op.name == "VAR_HANDLE"]
    with pytest.raises(EarshotError, match=r"has no initial value"):
        lower_graph(g)


def test_other_ops_in_an_init_subgraph_are_refused_by_name():
    g = graph("vad")
    init = g.subgraphs[1]
    init.ops[1] = copy.copy(init.ops[1])
    init.ops[1].name = "ADD"
    with pytest.raises(EarshotError, match=r"initialisation subgraph 1 op #1 ADD is not supported"):
        lower_graph(g)


def test_read_used_after_the_next_assign_is_copied():
    # Move a variable's assign right after its read, before the concatenation that uses
    # the value read: the read can no longer share the variable's memory and becomes a
    # READ_VARIABLE copy (in the unchanged model every read is folded).
    g = graph("vad")
    read_at = next(i for i, op in enumerate(g.ops) if op.name == "READ_VARIABLE")
    read = g.ops[read_at]
    handle = read.inputs[0]
    assign = next(op for op in g.ops if op.name == "ASSIGN_VARIABLE" and op.inputs[0] == handle)
    g.ops.remove(assign)
    const = copy.copy(next(t for t in g.subgraphs[1].tensors if t.is_const))
    value = g.tensors[read.outputs[0]]
    const.shape, const.data = value.shape, const.data.reshape(-1)[: int(np.prod(value.shape))]
    const.data = np.resize(const.data, value.shape)
    const.index = len(g.tensors)
    g.tensors.append(const)
    assign.inputs = [handle, const.index]
    g.ops.insert(read_at + 1, assign)
    for index, op in enumerate(g.ops):
        op.index = index
    lowered = lower_graph(g)
    copies = [lo for lo in lowered.ops if lo.record.opcode == OpCode.READ_VARIABLE]
    assert len(copies) == 1
    assert lowered.writer.tensors[copies[0].record.inputs[0]].kind == TensorKind.STATE


@pytest.mark.parametrize(
    ("shape", "begin", "end", "strides", "masks", "expected"),
    [
        ((1, 5, 1, 40), (0, 1, 0, 0), (1, 5, 1, 40), (1, 1, 1, 1), {}, (1, 4, 1, 40)),
        ((1, 5, 1, 40), (0, -2, 0, 0), (0, 0, 0, 0), (1, 1, 1, 1), {"end_mask": 15}, (1, 2, 1, 40)),
        ((6, 8), (5, 7), (-7, -9), (-2, -3), {}, (3, 3)),
        ((6, 8), (2, 0), (3, 8), (1, 1), {"shrink_axis_mask": 1}, (8,)),
        ((6, 8), (0, 2), (0, 3), (1, 1), {"begin_mask": 1, "end_mask": 1}, (6, 1)),
        ((6, 8), (1, 1), (2, 3), (1, 1), {"offset": True}, (2, 3)),
    ],
)
def test_strided_slice_follows_numpy(shape, begin, end, strides, masks, expected):
    x = np.arange(int(np.prod(shape))).reshape(shape)
    params, out_shape = strided_slice(shape, begin, end, strides, **masks)
    assert out_shape == expected
    x4 = x.reshape((1,) * (4 - len(shape)) + shape)
    index = np.ix_(
        *[
            b + s * np.arange(n)
            for b, s, n in zip(params.begin, params.stride, params.count, strict=True)
        ]
    )
    got = x4[index].reshape(out_shape)
    slices = []
    for axis in range(len(shape)):
        b, e = begin[axis], end[axis]
        if masks.get("offset"):
            e = b + e
        if masks.get("begin_mask", 0) >> axis & 1:
            b = None
        if masks.get("end_mask", 0) >> axis & 1:
            e = None
        if masks.get("shrink_axis_mask", 0) >> axis & 1:
            slices.append(b)
        else:
            slices.append(slice(b, e, strides[axis]))
    np.testing.assert_array_equal(got, x[tuple(slices)])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (((4, 4), (0, 9), (4, 12), (1, 1)), "selects nothing"),
        (((4, 4), (0, 0), (4, 4), (1, 0)), "stride of axis 1 is 0"),
        (((4, 4), (0,), (4,), (1,)), "do not fit an input of rank 2"),
        (((1, 1, 1, 1, 4), (0,) * 5, (1,) * 5, (1,) * 5), "rank 5"),
    ],
)
def test_slices_out_of_range_are_refused(args, message):
    with pytest.raises(EarshotError, match=message):
        strided_slice(*args)


def test_split_sizes_must_add_up():
    assert [s.count for s in split_slices((1, 11, 1, 64), 3, [32, -1])] == [(1, 11, 1, 32)] * 2
    with pytest.raises(EarshotError, match="do not add up"):
        split_slices((1, 11, 1, 64), 3, [32, 40])
