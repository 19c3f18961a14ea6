"""The C Model object (_earshot.Model) behind earshot.Model, on every target: it runs from
its own copy of the tables it checked, so a model buffer changed after loading changes
results at most (issue 17.2: a bytearray of mlperf_kws altered after loading crashed the
Unix port with a segmentation fault); invoke(x) takes any buffer of the input's type and
size and allocates nothing; typed views, dequantized scores, the ulab calls' errors
without ulab."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest

from earshot_host.convert import convert_tflite
from earshot_host.modelfile import TensorKind, read_model

ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE = ROOT / "tests" / "data" / "conformance"
FROZEN = "__import__('earshot_models.{0}', None, None, ('MODEL',)).MODEL"


@cache
def tiny_kws() -> bytes:
    # conv, depthwise conv, average pool, fully connected, softmax in 2.8 KB: every board.
    return convert_tflite((CONFORMANCE / "tiny_kws.tflite").read_bytes(), name="tiny_kws").blob


@cache
def dense() -> bytes:
    # One fully connected op: quick enough to invoke thousands of times on the emulators.
    return convert_tflite((CONFORMANCE / "dense_bias.tflite").read_bytes(), name="dense").blob


@cache
def model_file(name: str) -> bytes:
    return (ROOT / "models" / name / f"{name}.esm").read_bytes()


def models_for(target) -> list[tuple[str, str, bytes]]:
    """(label, device expression of the bytes, host bytes) of the models to change under a
    loaded Model: tiny_kws (every kind of weighted op, pooling, softmax) everywhere, and on
    the Unix port (where `make test-sanitize` runs ASan+UBSan) mlperf_kws, the model of the
    issue (seconds per case on the emulators)."""
    models = [("tiny_kws", repr(tiny_kws()), tiny_kws())]
    if target.board.kind == "unix":
        models.append(("mlperf_kws", FROZEN.format("mlperf_kws"), model_file("mlperf_kws")))
    return models


def const_regions(model: bytes) -> list[tuple[int, int]]:
    """File ranges of constant data the kernels read in place: weights and biases, the
    requantization multipliers and shifts of every weighted op (the first 256 bytes of
    each: enough to reach every kind of value, quick on the emulators)."""
    m = read_model(model)
    regions = [
        (t.offset, t.offset + min(t.byte_size, 256))
        for t in m.tensors
        if t.kind == TensorKind.CONST and t.byte_size
    ]
    for op in m.ops:
        p = op.params
        if hasattr(p, "multipliers_offset"):
            n = 4 * p.requant_count
            regions += [(p.multipliers_offset, p.multipliers_offset + min(n, 256))]
            regions += [(p.shifts_offset, p.shifts_offset + min(n, 256))]
    return regions


RUN = """
import earshot, gc
src = {source}
data = bytearray(src)
m = earshot.Model(data)
x = bytes((i * 73 + 11) & 255 for i in range(len(m.input)))
m.invoke(x)
ref = bytes(m.output)
"""

TABLES_CHANGED = (
    RUN
    + """
import struct
tables, n = struct.unpack_from('<I', data, 44)[0], struct.unpack_from('<H', data, 20)[0]
at = struct.unpack_from('<I', data, 36)[0]
# What crashed the Unix port before the C object kept its own tables: every tensor's
# offset far outside the arena and the file.
for i in range(n):
    struct.pack_into('<I', data, at + 48 * i + 16, 0x7fff0000)
m.invoke(x)
print(bytes(m.output) == ref)
for i in range(tables):
    data[i] ^= 0xA5
m.invoke(x)
print(bytes(m.output) == ref)
"""
)


def test_tables_changed_after_loading_do_not_reach_the_engine(target):
    """Failed before the C object (mlperf_kws on the Unix port: `Segmentation fault`, exit
    139): the engine read tensor offsets from the buffer at every invoke."""
    for label, source, _ in models_for(target):
        out = target.exec(TABLES_CHANGED.format(source=source)).split()
        assert out == ["True", "True"], label


CONSTANTS_CHANGED = (
    RUN
    + """
import struct
regions = {regions}
changed = 0
for a, b in regions:
    saved = bytes(data[a:b])
    for v in (0x7fffffff, -0x80000000, 100, -100, 31, -32, 0):
        for i in range(a, b - 3, 4):
            struct.pack_into('<i', data, i, v)
        m.invoke(x)
        changed += bytes(m.output) != ref
    data[a:b] = saved
m.invoke(x)
print(changed > 0, bytes(m.output) == ref)
"""
)


def test_constants_changed_after_loading_change_results_only(target):
    """Weights, biases, multipliers and shifts (any int32, shifts far outside [-31, 30])
    rewritten under a loaded model: it runs (under ASan+UBSan in `make test-sanitize`:
    no out-of-bounds access, no undefined shift), results change, and once the bytes are
    back the model gives its first result again."""
    for label, source, model in models_for(target):
        code = CONSTANTS_CHANGED.format(source=source, regions=const_regions(model))
        assert target.exec(code, timeout=300).split() == ["True", "True"], label


MOVED = (
    RUN
    + """
data.extend(bytes(64))
for call in (lambda: m.invoke(), lambda: m.reset(), lambda: m.invoke(x)):
    try:
        call()
        print('ran')
    except RuntimeError as e:
        print(e)
m = data = None
gc.collect()
m = earshot.Model(src)
m.invoke(x)
print(bytes(m.output) == ref)
"""
)


def test_a_buffer_that_moved_or_changed_size_is_refused(target):
    out = target.exec(MOVED.format(source=repr(tiny_kws()))).strip().splitlines()
    assert out == ["model buffer moved or changed size after the model was checked"] * 3 + ["True"]


INVOKE_X = """
import earshot, gc
from array import array
m = earshot.Model({source})
n = len(m.input)
raw = bytes((i * 73 + 11) & 255 for i in range(n))
m.input[:] = raw
m.invoke()
ref = bytes(m.output)
store = bytearray(n + 3)
store[3:] = raw
xs = (raw, bytearray(raw), array('b', raw), memoryview(store)[3:], memoryview(raw), m.input)
same = []
for x in xs:
    m.input[:] = bytes(n)
    if x is m.input:
        m.input[:] = raw  # the input itself: a copy onto itself
    m.invoke(x)
    same.append(bytes(m.output) == ref)
print(same)
for bad in (raw[1:], array('h', raw), array('B', raw), bytearray(n + 1), 12):
    try:
        m.invoke(bad)
        print('ran')
    except (ValueError, TypeError) as e:
        print(type(e).__name__, e)
grow = []
a = i = 0  # globals exist before measuring (a new one may grow the dict)
for x in xs:
    gc.collect()
    a = gc.mem_alloc()
    for i in range(1000):
        m.invoke(x)
    grow.append(gc.mem_alloc() - a)
print(grow)
"""


def test_invoke_takes_any_buffer_of_the_input_and_allocates_nothing(target):
    out = target.exec(INVOKE_X.format(source=repr(dense())), timeout=300).splitlines()
    n = read_model(dense()).tensors[read_model(dense()).inputs[0]].byte_size
    assert out[0] == str([True] * 6)
    assert out[1:6] == [
        f"ValueError x has {n - 1} bytes, the input needs {n} int8 values",
        "ValueError x has typecode 'h', the input is int8 ('b')",
        "ValueError x has typecode 'B', the input is int8 ('b')",
        f"ValueError x has {n + 1} bytes, the input needs {n} int8 values",
        "TypeError object with buffer protocol required",
    ]
    assert out[6] == str([0] * 6)


ARENA = """
import earshot, gc, uctypes
m = earshot.Model({source})
n = m.arena_size
x = bytes((i * 73 + 11) & 255 for i in range(len(m.input)))
m.invoke(x)
ref = bytes(m.output)
store = bytearray(n + 32)
base = uctypes.addressof(store)
at = (16 - base % 16) % 16
given = memoryview(store)[at:at + n]
g = earshot.Model({source}, True, given)
g.invoke(x)
print(bytes(g.output) == ref, uctypes.addressof(g.input) - base - at == g.input_info[0][0])
for bad in (memoryview(store)[at:at + n - 1], memoryview(store)[at + 1:at + 1 + n], bytes(n)):
    try:
        earshot.Model({source}, True, bad)
        print('made')
    except (ValueError, TypeError) as e:
        print(type(e).__name__, e)
gc.collect()
a = gc.mem_alloc()
for i in range(100):
    g.invoke(x)
print(gc.mem_alloc() - a)
"""


def test_a_model_runs_in_an_arena_the_caller_gives(target):
    # The activations where the caller puts them (another RAM bank, a static buffer): the
    # same results as in the model's own arena; too small or misaligned buffers refused.
    n = read_model(dense()).arena_size
    out = target.exec(ARENA.format(source=repr(dense())), timeout=300).splitlines()
    assert out == [
        "True True",
        f"ValueError arena buffer has {n - 1} bytes, the model needs {n}",
        "ValueError arena buffer is not 16-byte aligned",
        "TypeError object with buffer protocol required",
        "0",
    ]


VIEWS = """
import earshot, _earshot
from array import array
m = earshot.Model({source})
print(m.input.typecode if hasattr(m.input, 'typecode') else None)
m.input[0] = -5
print(m.input[0], m.inputs[0][0], len(m.inputs), len(m.outputs))
x = bytes((i * 29 + 3) & 255 for i in range(len(m.input)))
m.invoke(x)
print(bytes(m.output).hex())
f = array('f', bytes(4 * len(m.output)))
m.dequantize_output(f)
print(bytes(f).hex())
for bad in (array('f', bytes(4 * len(m.output) + 4)), array('i', bytes(4 * len(m.output))),
            bytearray(4 * len(m.output))):
    try:
        m.dequantize_output(bad)
        print('ran')
    except (ValueError, TypeError) as e:
        print(type(e).__name__, e)
print(_earshot.has_ulab)
for call in (m.output_array, m.input_array):
    try:
        call()
        print('made')
    except RuntimeError as e:
        print(e)
"""


def test_typed_views_dequantized_scores_and_ulab_calls_without_ulab(target):
    model = read_model(tiny_kws())
    out = target.exec(VIEWS.format(source=repr(tiny_kws()))).splitlines()
    assert out[1] == f"-5 -5 {len(model.inputs)} {len(model.outputs)}"
    q = np.frombuffer(bytes.fromhex(out[2]), dtype=np.int8)
    t = model.tensors[model.outputs[0]]
    expected = (q.astype(np.float32) - np.float32(t.zero_point)) * np.float32(t.scale)
    assert bytes.fromhex(out[3]) == expected.astype("<f4").tobytes()
    k = len(q)
    assert out[4:7] == [
        f"ValueError out holds {k + 1} values, the output has {k}",
        "TypeError out has typecode 'i', need a float buffer ('f' or 'd')",
        f"TypeError out has typecode '{chr(1)}', need a float buffer ('f' or 'd')",
    ]
    assert out[7] == "False"
    assert (
        out[8:]
        == ["ndarray views need ulab built into the firmware (ULAB_DIR); use .inputs / .outputs"]
        * 2
    )


FRONTEND_CHANGED = """
import _earshot, json, gc
src = {source}
info = _earshot.check(src, False)
meta = json.loads(memoryview(src)[info[3]:info[3] + info[4]])['frontend']
tables = meta['tables']
info = None
gc.collect()
data = bytearray(src)
fe_ram = _earshot.Frontend(data, meta)    # writable: index tables and twiddles copied
fe_rom = _earshot.Frontend(src, meta)     # read-only: every table in place
copied = sum(tables[k][2] * 2 for k in ('fft_twiddles', 'fft_super_twiddles', 'fft_factors',
             'fb_channel_frequency_starts', 'fb_channel_weight_starts', 'fb_channel_widths'))
print(fe_ram.state_bytes - fe_rom.state_bytes - copied)
hop = bytearray(2 * fe_ram.hop)
a, b = bytearray(fe_ram.features), bytearray(fe_ram.features)
def run(n):
    same = 0
    for k in range(n):
        for i in range(len(hop)):
            hop[i] = (i * 31 + k * 7) & 255
        ra = fe_ram.process(hop, a)
        rb = fe_rom.process(hop, b)
        same += ra == rb and (not ra or a == b)
    return same
for off, t, n in tables.values():
    for i in range(off, off + n * (4 if t == 'int32' else 2)):
        data[i] ^= 0x5A
run(fe_ram.frames)                        # changed tables: any results, no fault
data[:] = src
fe_ram.reset()
fe_rom.reset()
print(run(fe_ram.frames) == fe_ram.frames)
data.extend(b'!')
try:
    fe_ram.process(hop, a)
except RuntimeError as e:
    print(e)
"""


def test_front_end_tables_changed_in_place_change_results_only(target):
    """A front end keeps the tables in its model buffer in place (zero copy) but, from a
    writable buffer, those whose values index memory and the FFT's twiddles: every table
    rewritten under it changes frames only, the bytes restored give the frames of a front
    end on the unchanged model again, and a buffer that changed size is refused."""
    if target.board.kind != "unix" and target.board.heap_bytes < 40 * 1024:
        pytest.skip(
            f"a copy of micro_speech (24 KB) and two front ends need more than the "
            f"{target.board.heap_bytes // 1024} KB heap of {target.name}"
        )
    out = target.exec(FRONTEND_CHANGED.format(source=FROZEN.format("micro_speech")))
    lines = out.strip().splitlines()
    assert 0 <= int(lines[0]) < 8  # state bytes are whole 8-byte words
    assert lines[1:] == [
        "True",
        "model buffer moved or changed size after the front end was made",
    ]
