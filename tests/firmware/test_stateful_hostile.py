"""Hostile stateful models: variables, views of them, prepared output stages, slices,
concatenations and tables that lie are refused by the C loader with the same first failed
check as the host reader; bit flips of
a stateful model are refused or run exactly like the NumPy reference; constant data
changed under a running model (a bytearray model) never makes an invoke read or write out
of bounds, and the target keeps working."""

from __future__ import annotations

import struct
import zlib
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from test_engine import conformance_blob, heap_bytes
from test_engine_hostile import (
    CHECK,
    flipped_models,
    host_code,
    op_record,
    patched,
    reference_output,
    run_batch,
    tensor_record,
)

from earshot_host.convert import convert_tflite
from earshot_host.modelfile import OpCode, TensorKind, read_model

ROOT = Path(__file__).resolve().parents[2]


@cache
def vad_blob() -> bytes:
    return convert_tflite((ROOT / "models/vad/vad.tflite").read_bytes(), name="vad").blob


@cache
def kernel_blob(name: str) -> bytes:
    """A one-op model of tests/data/kernels (PROVENANCE.md there), converted."""
    tflite = (ROOT / "tests/data/kernels" / f"{name}.tflite").read_bytes()
    return convert_tflite(tflite, name=name).blob


# The conformance suite's streaming layer (a variable kept as a ring [state | new frames]:
# views, the new frames written into it by QUANTIZE, CONV_2D reading it whole, the
# assignment a memmove of its tail; LOGISTIC, QUANTIZE at both ends): 2 KB, quick to send
# to a QEMU board many times over; the 28 KB vad model (rings, prepared output stages) is
# used on the Unix port. Concatenations and slices, which rings do away with, are those
# of the conformance case split_v (SPLIT_V as three slices, then CONCATENATION).
BASE = "stream_state"
SLICES = "split_v"
# A one-pixel convolution with a prepared output stage (1 KB), for QEMU boards.
STAGED = "conv_pixel_gather_3x3"


def base_blob(target) -> bytes:
    return vad_blob() if target.board.kind == "unix" else conformance_blob(BASE)


def first_op(model, code: OpCode) -> int:
    return next(i for i, op in enumerate(model.ops) if op.opcode == code)


def _views(model) -> tuple[int, int, int, int]:
    """A ring of the model: its variable, the view an op writes its new frames into, the
    whole-ring view a kernel reads, and the tail view assigned back."""
    views = {i for i, t in enumerate(model.tensors) if t.kind == TensorKind.STATE and t.alias_of}
    # The first ring whose new frames an op writes (a model input may be another's).
    assigns = [op for op in model.ops if op.opcode == OpCode.ASSIGN_VARIABLE]
    written = {op.output for op in model.ops if op.output in views} - {a.output for a in assigns}
    tail, root, frames = next(
        (a.inputs[0], model.tensors[a.inputs[0]].alias_of, i)
        for a in assigns
        for i in sorted(written)
        if model.tensors[i].alias_of == model.tensors[a.inputs[0]].alias_of
    )
    window = next(
        i
        for op in model.ops
        for i in op.inputs
        if i in views
        and model.tensors[i].alias_of == root
        and model.tensors[i].byte_size == model.tensors[root].byte_size
    )
    return root, frames, window, tail


def _tensor_patch(base: bytes, index: int, field: int, fmt: str, value: int) -> bytes:
    return patched(base, tensor_record(base, index) + field, fmt, value)


@cache
def ring_cases(base: bytes) -> list[tuple[str, str, bytes]]:
    """(description, expected code, model bytes): variables, views and tables that lie."""
    model = read_model(base)
    root, frames, window, tail = _views(model)
    r, f, t = (model.tensors[i] for i in (root, frames, tail))
    activation = next(
        i for i, x in enumerate(model.tensors) if x.kind == TensorKind.ACTIVATION and x.flags
    )
    assign = op_record(base, first_op(model, OpCode.ASSIGN_VARIABLE))
    reader = next(
        op for op in model.ops if window in op.inputs and op.opcode != OpCode.ASSIGN_VARIABLE
    )
    logistic = op_record(base, first_op(model, OpCode.LOGISTIC))
    quantize = op_record(base, first_op(model, OpCode.QUANTIZE))
    # The tail view moved to run one byte past the end of its variable (inside the arena).
    past = r.offset + r.byte_size - t.byte_size + 1
    cases = [
        ("unknown kind 3", "T2", _tensor_patch(base, root, 1, "<B", 3)),
        ("initial value at 2^32 - 16", "T10", _tensor_patch(base, root, 44, "<I", 0xFFFFFFF0)),
        (
            "initial value unaligned",
            "T10",
            _tensor_patch(base, root, 44, "<I", 8 + model.blob_offset),
        ),
        (
            "initial value on an activation",
            "T9",
            _tensor_patch(base, activation, 44, "<I", model.blob_offset),
        ),
        ("variable flagged as model output", "T10", _tensor_patch(base, root, 3, "<B", 0x02)),
        ("view flagged as model output", "T10", _tensor_patch(base, frames, 3, "<B", 0x06)),
        ("view running past its variable", "T8", _tensor_patch(base, tail, 16, "<I", past)),
        ("view of another kind", "T8", _tensor_patch(base, frames, 1, "<B", 1)),
        (
            "kernel output at an unaligned view",
            "O4",
            _tensor_patch(base, frames, 16, "<I", f.offset - 1),
        ),
        (
            "kernel writing over its own input",
            "P2",
            patched(base, op_record(base, model.ops.index(reader)) + 10, "<H", window),
        ),
        ("assigns to an activation", "O4", patched(base, assign + 10, "<H", activation)),
        (
            "variable of the wrong size (assigned the whole ring)",
            "O6",
            patched(base, assign + 4, "<H", window),
        ),
        ("logistic table at 2^32 - 16", "O6", patched(base, logistic + 12, "<I", 0xFFFFFFF0)),
        ("logistic zero point", "O7", patched(base, logistic + 16, "<i", 5)),
        ("quantize shift 40", "O7", patched(base, quantize + 24, "<i", 40)),
        ("quantize multiplier 7", "O7", patched(base, quantize + 20, "<i", 7)),
    ]
    assert past + t.byte_size <= model.arena_size
    return _checked(cases)


@cache
def stage_cases(base: bytes) -> list[tuple[str, str, bytes]]:
    """A prepared output stage that lies (O9) or sits where FC keeps nothing (O8)."""
    model = read_model(base)
    index = next(i for i, op in enumerate(model.ops) if getattr(op.params, "stage_offset", 0))
    at = op_record(base, index)
    stage = model.ops[index].params.stage_offset
    cases = [
        (
            "stage bias off by one",
            "O9",
            patched(base, stage, "<i", struct.unpack_from("<i", base, stage)[0] + 2),
        ),
        ("stage multiplier changed", "O9", patched(base, stage + 4, "<i", 1 << 30)),
        ("stage right shift 0", "O9", patched(base, stage + 12, "<i", 0)),
        ("stage unaligned", "O9", patched(base, at + 12 + 52, "<I", stage + 4)),
        ("stage past the blob", "O9", patched(base, at + 12 + 52, "<I", 0xFFFFFFF0)),
        ("exponent slot set", "O8", patched(base, at + 12 + 56, "<I", stage)),
    ]
    return _checked(cases)


@cache
def slice_cases(base: bytes) -> list[tuple[str, str, bytes]]:
    """Concatenations and slices that lie."""
    model = read_model(base)
    concat = op_record(base, first_op(model, OpCode.CONCATENATION))
    slice_ = op_record(base, first_op(model, OpCode.STRIDED_SLICE))
    cases = [
        ("concatenation of four inputs", "O2", patched(base, concat + 1, "<B", 4)),
        ("concatenation axis 7", "O7", patched(base, concat + 12, "<i", 7)),
        ("concatenation axis -1", "O7", patched(base, concat + 12, "<i", -1)),
        ("slice begins past the input", "O6", patched(base, slice_ + 12 + 12, "<i", 4000)),
        ("slice begins before the input", "O6", patched(base, slice_ + 12 + 12, "<i", -1)),
        ("slice of stride 0", "O6", patched(base, slice_ + 28 + 12, "<i", 0)),
        ("slice runs past the input", "O6", patched(base, slice_ + 28 + 4, "<i", 3)),
        ("slice of count 0", "O6", patched(base, slice_ + 44 + 6, "<H", 0)),
        ("slice of 65535 channels", "O6", patched(base, slice_ + 44 + 6, "<H", 0xFFFF)),
        ("reserved bytes after the slice", "O8", patched(base, slice_ + 60, "<B", 1)),
    ]
    return _checked(cases)


def _checked(cases: list[tuple[str, str, bytes]]) -> list[tuple[str, str, bytes]]:
    for description, code, data in cases:
        assert host_code(data) == code, (description, host_code(data))
    return cases


# test_engine_hostile's t(model, x), given each model as its differences from _base.
PATCHED = (
    CHECK
    + """
import gc
_base = {base}
def tp(diffs, x):
    gc.collect()
    b = bytearray(_base)
    for at, data in diffs:
        b[at:at + len(data)] = data
    t(b, x)
"""
)


def diffs(base: bytes, data: bytes) -> list[tuple[int, bytes]]:
    """The runs of bytes where data differs from base (same length)."""
    assert len(base) == len(data)
    runs: list[tuple[int, bytes]] = []
    for i in np.flatnonzero(np.frombuffer(base, np.uint8) != np.frombuffer(data, np.uint8)):
        if runs and runs[-1][0] + len(runs[-1][1]) == i:
            runs[-1] = (runs[-1][0], runs[-1][1] + data[i : i + 1])
        else:
            runs.append((int(i), data[i : i + 1]))
    return runs


def run_patched(target, base: bytes, items: list[tuple[bytes, bytes | None]]) -> list[str]:
    """Check each (model, input) on the target, in one session: the base model is uploaded
    once and each model sent as its differences from it (the REPL's transfer is what takes
    time on QEMU boards)."""
    runner = target.runner
    runner.run("pass").check()  # a fresh session
    code = PATCHED.replace("{base}", runner.upload("base.esm", base))
    budget = heap_bytes(target) // 8  # bytes of call text per run
    lines: list[str] = []
    for m, x in items:
        code += f"tp({diffs(base, m)!r}, {x!r})\n"
        if runner.keeps_state and len(code) > budget:
            lines += runner.run(code, 300, soft_reset=False).check().split("\n")
            code = ""
    if code:
        lines += runner.run(code, 300, soft_reset=False).check().split("\n")
    lines = [line.strip() for line in lines if line.strip()]
    assert len(lines) == len(items), lines
    return lines


@pytest.mark.parametrize("kind", ["ring", "stage", "slices"])
def test_hostile_stateful_models_are_refused_with_their_check(target, kind):
    if kind == "ring":
        base = base_blob(target)
        cases = ring_cases(base)
    elif kind == "stage":
        base = vad_blob() if target.board.kind == "unix" else kernel_blob(STAGED)
        cases = stage_cases(base)
    else:
        base = conformance_blob(SLICES)
        cases = slice_cases(base)
    lines = run_patched(target, base, [(data, None) for _, _, data in cases])
    for (description, code, _), line in zip(cases, lines, strict=True):
        assert line.startswith(f"ERR {code} "), f"{description}: expected {code}, got {line!r}"
    assert run_batch(target, [(base, None)]) == ["OK"]


def test_bit_flipped_stateful_models_match_the_host_reader(target):
    base = base_blob(target)
    count = 300 if target.board.kind == "unix" else 40
    models = flipped_models(base, count, seed=zlib.crc32(base[:64]))
    x_rng = np.random.default_rng(11)
    items, expected = [], []
    for data in models:
        code = host_code(data)
        x = ref = None
        if code is None:
            parsed = read_model(data)
            size = parsed.tensors[parsed.inputs[0]].byte_size
            x = x_rng.integers(0, 256, size=size, dtype=np.uint8).tobytes()
            ref = reference_output(data, x)
        items.append((data, x))
        expected.append((code, ref))
    lines = run_patched(target, base, items)
    refused = accepted = 0
    for i, ((code, ref), line) in enumerate(zip(expected, lines, strict=True)):
        if code == "S3":
            continue  # only the host parses the JSON metadata
        if code is not None:
            assert line.startswith(f"ERR {code} "), f"flip #{i}: host says {code}, target {line!r}"
            refused += 1
        elif line.startswith("ERR model needs"):
            continue
        else:
            assert line == f"OK {ref}", f"flip #{i}: {line!r}"
            accepted += 1
    assert refused > 0 and accepted > 0
    assert run_batch(target, [(base, None)]) == ["OK"]


SCRAMBLE = """
import earshot, random
def scramble(b, start, end, seed):
    random.seed(seed)
    for i in range(start, end):
        b[i] = random.getrandbits(8)
def t(blob, start, end, seed, x):
    b = bytearray(blob)
    m = earshot.Model(b)
    scramble(b, start, end, seed)
    for _ in range(3):
        m.input[:] = x
        m.invoke()
    m.reset()
    m.invoke()
    print('OK')
"""


@pytest.mark.parametrize("case", [BASE, "dense_softmax", "add_branches", STAGED, "vad"])
def test_constant_data_changed_under_a_running_model(target, case):
    # Weights, biases, requantization arrays (shifts of any value), DOUBLE_ROUND scales,
    # prepared output stages, LOGISTIC tables and initial values all replaced by random
    # bytes after loading.
    if case == "vad" and target.board.kind != "unix":
        pytest.skip("vad (28 KB) runs on the Unix port; QEMU boards run stream_state")
    if case == "vad":
        blob = vad_blob()
    else:
        blob = kernel_blob(case) if case == STAGED else conformance_blob(case)
    model = read_model(blob)
    x = bytes(model.tensors[model.inputs[0]].byte_size)
    start, end = model.blob_offset, model.blob_offset + model.blob_size
    seeds = range(4) if target.board.kind == "unix" else range(1)
    code = SCRAMBLE + "".join(f"t({blob!r}, {start}, {end}, {s}, {x!r})\n" for s in seeds)
    out = target.exec(code, timeout=300)
    assert out.split() == ["OK"] * len(seeds), out
    assert run_batch(target, [(blob, None)]) == ["OK"]
