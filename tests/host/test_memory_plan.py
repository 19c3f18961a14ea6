"""Arena planning: live tensors never share memory, and sharing actually happens."""

from __future__ import annotations

import numpy as np
import pytest
from engine_support import CONFORMANCE_DIR, REFERENCE_MODELS, converted

from earshot_host.convert.memory_plan import plan_arena
from earshot_host.modelfile import Buffer, TensorKind, activation_buffers, find_arena_conflicts

MODEL_PATHS = list(REFERENCE_MODELS.values()) + [
    CONFORMANCE_DIR / "tiny_kws.tflite",
    CONFORMANCE_DIR / "add_branches.tflite",
]


def live_overlaps(model) -> list[tuple[int, int, int]]:
    """Independent lifetime checker: simulate op by op which tensors hold needed data."""
    tensors, ops = model.tensors, model.ops

    def root(i: int) -> int:
        return tensors[i].alias_of if tensors[i].alias_of is not None else i

    last_use: dict[int, int] = {}
    for step, op in enumerate(ops):
        for i in op.inputs:
            if i is not None and tensors[i].kind == TensorKind.ACTIVATION:
                last_use[root(i)] = step
    for i in model.outputs:
        last_use[root(i)] = len(ops)
    live = {root(i) for i in model.inputs}
    problems = []
    for step, op in enumerate(ops):
        out = root(op.output)
        a0, a1 = tensors[out].offset, tensors[out].offset + tensors[out].byte_size
        for other in live:
            if last_use.get(other, -1) >= step:
                b0, b1 = tensors[other].offset, tensors[other].offset + tensors[other].byte_size
                if a0 < b1 and b0 < a1:
                    problems.append((step, out, other))
        live.add(out)
    return problems


@pytest.mark.parametrize("path", MODEL_PATHS, ids=lambda p: p.stem)
def test_no_live_tensors_overlap(path) -> None:
    model = converted(path).model
    assert live_overlaps(model) == []
    assert find_arena_conflicts(model.tensors, model.ops) == []
    buffers = activation_buffers(model.tensors, model.ops)
    assert model.arena_size <= sum(b.size for b in buffers) + 16 * len(buffers)
    for b in buffers:
        assert model.tensors[b.root].offset % 16 == 0
        assert model.tensors[b.root].offset + b.size <= model.arena_size


def test_memory_is_reused() -> None:
    model = converted(REFERENCE_MODELS["kws_ref_model"]).model
    buffers = activation_buffers(model.tensors, model.ops)
    assert model.arena_size < sum(b.size for b in buffers) / 3
    assert model.arena_size == 16000  # two 8000-byte activations ping-pong


def test_planner_on_random_lifetimes() -> None:
    rng = np.random.default_rng(3)
    for _ in range(200):
        buffers = []
        for root in range(int(rng.integers(1, 25))):
            first = int(rng.integers(0, 20))
            buffers.append(
                Buffer(
                    root=root,
                    members=(root,),
                    size=int(rng.integers(1, 5000)),
                    first=first,
                    last=first + int(rng.integers(0, 6)),
                )
            )
        offsets, arena = plan_arena(buffers)
        for i, a in enumerate(buffers):
            assert offsets[a.root] % 16 == 0 and offsets[a.root] + a.size <= arena
            for b in buffers[i + 1 :]:
                if a.lives_with(b):
                    a0, b0 = offsets[a.root], offsets[b.root]
                    assert a0 + a.size <= b0 or b0 + b.size <= a0
        peak = max(sum(b.size for b in buffers if b.first <= t <= b.last) for t in range(0, 30))
        assert arena >= peak


def input_is_exclusive(model) -> bool:
    """No other activation buffer shares a byte with the (first) input's buffer."""
    tensors = model.tensors
    (first_input, *_) = model.inputs
    root = tensors[first_input].alias_of or first_input
    t0, t1 = tensors[root].offset, tensors[root].offset + tensors[root].byte_size
    for b in activation_buffers(tensors, model.ops):
        if b.root != root and b.size:
            o = tensors[b.root].offset
            if o < t1 and t0 < o + b.size:
                return False
    return True


def test_streaming_models_keep_their_input_to_themselves() -> None:
    """A model with a front end whose window goes to the model as computed keeps its input
    live for the whole graph (the device slides the window inside it); peak-normalized
    (mlperf_kws) and non-audio models keep the tighter plan. Either way nothing overlaps."""
    from earshot_host.catalog import load_catalog
    from earshot_host.modelfile import read_model

    for name, entry in load_catalog().items():
        model = read_model((entry.folder / f"{name}.esm").read_bytes())
        meta = model.metadata
        in_place = "frontend" in meta and not meta.get("streaming", {}).get("normalize")
        assert live_overlaps(model) == [], name
        assert input_is_exclusive(model) == in_place, name


def test_keeping_inputs_live_costs_at_most_the_input() -> None:
    from earshot_host.convert.lowering import lower_graph
    from earshot_host.convert.tflite_graph import read_tflite

    graph = read_tflite(REFERENCE_MODELS["kws_ref_model"].read_bytes())
    plain, kept = lower_graph(graph), lower_graph(graph, keep_inputs=True)
    size = kept.writer.tensors[kept.inputs[0]].byte_size
    assert plain.arena_size < kept.arena_size <= plain.arena_size + size + 16
