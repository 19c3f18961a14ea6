"""The int8 engine on every target: bit-exact with LiteRT's reference kernels, the Model API,
memory use (the arena once, nothing per inference).

Models are converted on the host (`earshot_host.convert`) and sent to the target inside the
snippet as bytes literals; expected outputs are the committed LiteRT BUILTIN_REF goldens.
"""

from __future__ import annotations

import binascii
import re
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from earshot_host.convert import convert_tflite
from earshot_host.modelfile import read_model

ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE = ROOT / "tests" / "data" / "conformance"
REFERENCE = ROOT / "tests" / "data" / "reference"
CASES = sorted(p.stem for p in CONFORMANCE.glob("*.tflite") if not p.stem.startswith("unsupported"))
UNIX_HEAP = 2 * 1024 * 1024
MICRO_SPEECH_LABELS = ["silence", "unknown", "yes", "no"]


@cache
def conformance_blob(case: str) -> bytes:
    return convert_tflite((CONFORMANCE / f"{case}.tflite").read_bytes(), name=case).blob


@cache
def micro_speech_blob() -> bytes:
    data = (ROOT / "models" / "micro_speech" / "micro_speech_quantized.tflite").read_bytes()
    return convert_tflite(data, name="micro_speech", labels=MICRO_SPEECH_LABELS).blob


def golden(case: str) -> tuple[np.ndarray, np.ndarray]:
    g = np.load(CONFORMANCE / f"{case}.golden.npz")
    return g["inputs"], g["outputs"]


def heap_bytes(target) -> int:
    return target.board.heap_bytes or UNIX_HEAP


def spectrogram(name: str) -> bytes:
    files = {
        "yes": "legacy_yes_micro_features_49x40.npy",
        "no": "legacy_no_micro_features_f9643d42_nohash_4_49x40.npy",
    }
    return np.load(REFERENCE / files[name]).astype(np.int8).tobytes()


RUN_INPUTS = """
import earshot, binascii
m = earshot.Model({model})
for x in ({inputs}):
    m.input[:] = x
    m.invoke()
    print(binascii.hexlify(m.output).decode())
"""


def parse_outputs(out: str) -> list[np.ndarray]:
    lines = [line.strip() for line in out.splitlines() if line.strip()]
    return [np.frombuffer(binascii.unhexlify(line), dtype=np.int8) for line in lines]


def run_on_target(target, model: bytes, inputs: list[bytes]) -> list[np.ndarray]:
    """Run every input through the model on the target, in groups whose bytes literals
    (model + arena + inputs) stay within half of the target's heap."""
    arena = read_model(model).arena_size
    budget = heap_bytes(target) // 2 - len(model) - arena
    per_input = max(len(x) for x in inputs)
    assert budget >= per_input, (
        f"{target.name}: a {len(model)}-byte model with a {arena}-byte arena does not fit "
        f"half of the {heap_bytes(target)}-byte heap"
    )
    group = max(1, budget // per_input)
    outputs: list[np.ndarray] = []
    for start in range(0, len(inputs), group):
        chunk = inputs[start : start + group]
        code = RUN_INPUTS.format(model=repr(model), inputs="".join(f"{x!r}," for x in chunk))
        outputs += parse_outputs(target.exec(code))
    assert len(outputs) == len(inputs)
    return outputs


@pytest.mark.parametrize("case", CASES)
def test_conformance_case_is_bit_exact(target, case):
    model = conformance_blob(case)
    inputs, expected = golden(case)
    outputs = run_on_target(target, model, [x.tobytes() for x in inputs])
    for i, (got, want) in enumerate(zip(outputs, expected, strict=True)):
        # Outputs come back as bytes: read them in the model's type (int8 or uint8).
        got = got.view(want.dtype)
        np.testing.assert_array_equal(got, want.ravel(), err_msg=f"{case} input #{i}")


MICRO_SPEECH_EXPECTED = {
    "yes": [-128, -128, 127, -128],
    "no": [-128, -114, -128, 114],
    "zeros": [-128, -121, -120, 113],
}

MICRO_SPEECH_RUN = """
import earshot, time
m = {make}
print(m.labels, m.arena_size, m.input_shape, m.output_shape)
m.input[:] = {x}
t0 = time.ticks_cpu()
m.invoke()
t1 = time.ticks_cpu()
print(list(m.output), time.ticks_diff(t1, t0))
"""
# The frozen model's bytes constant (in flash), given to Model() as a plain buffer.
FROZEN_BYTES = (
    "earshot.Model(__import__('earshot_models.micro_speech', None, None, ('MODEL',)).MODEL)"
)
MICRO_SPEECH_INPUTS = {"yes": None, "no": None, "zeros": "bytes(1960)"}


def micro_speech_input(key: str) -> str:
    return MICRO_SPEECH_INPUTS[key] or repr(spectrogram(key))


FROZEN_MICRO_SPEECH = ROOT / "models" / "micro_speech" / "micro_speech.esm"


def check_micro_speech_output(out: str, key: str, blob: bytes) -> int:
    """blob: the model file the target ran (its arena size is checked too)."""
    lines = out.replace("\r\n", "\n").strip().splitlines()
    arena = read_model(blob).arena_size
    assert lines[0].startswith(f"['silence', 'unknown', 'yes', 'no'] {arena} (1, 1960) (1, 4)")
    scores, ticks = lines[1].rsplit(" ", 1)
    assert scores == str(MICRO_SPEECH_EXPECTED[key]), f"{key}: {scores}"
    return int(ticks)


def test_micro_speech_from_bytes(target):
    """micro_speech (18 KB) from a bytes buffer, on targets whose heap holds the model bytes
    and the arena; qemu_m0 (16 KiB heap) cannot, and runs the frozen copy (in flash)."""
    model = micro_speech_blob()
    arena = read_model(model).arena_size
    if len(model) + arena + 1960 > heap_bytes(target) * 3 // 4:
        assert target.name == "qemu_m0", f"{target.name}: micro_speech should fit the heap"
        for key in MICRO_SPEECH_EXPECTED:
            code = MICRO_SPEECH_RUN.format(make=FROZEN_BYTES, x=micro_speech_input(key))
            check_micro_speech_output(target.exec(code), key, FROZEN_MICRO_SPEECH.read_bytes())
        return
    # Uploaded in chunks into a bytearray, then run without a soft reset in between.
    expr = target.runner.upload("micro_speech.esm", model)
    for key in MICRO_SPEECH_EXPECTED:
        code = MICRO_SPEECH_RUN.format(make=f"earshot.Model({expr})", x=micro_speech_input(key))
        check_micro_speech_output(target.runner.run(code, soft_reset=False).check(), key, model)


def test_micro_speech_frozen(target):
    for key in MICRO_SPEECH_EXPECTED:
        code = MICRO_SPEECH_RUN.format(
            make="earshot.Model.frozen('micro_speech')", x=micro_speech_input(key)
        )
        check_micro_speech_output(target.exec(code), key, FROZEN_MICRO_SPEECH.read_bytes())


def test_model_from_unaligned_buffer(target):
    """A model at an odd address (Cortex-M0 faults on unaligned loads) runs the same."""
    case = "tiny_kws"
    model = conformance_blob(case)
    inputs, expected = golden(case)
    code = f"""
import earshot, binascii
buf = bytearray(3 + {len(model)})
buf[3:] = {model!r}
for off in (3, 1):
    if off == 1:
        buf[1:-2] = buf[3:]
    mv = memoryview(buf)[off:off + {len(model)}]
    m = earshot.Model(mv)
    m.input[:] = {inputs[3].tobytes()!r}
    m.invoke()
    print(binascii.hexlify(m.output).decode())
"""
    outputs = parse_outputs(target.exec(code))
    assert len(outputs) == 2
    for got in outputs:
        np.testing.assert_array_equal(got, expected[3].ravel())


def test_model_api(target):
    model = conformance_blob("dense_softmax")
    parsed = read_model(model)
    inp = parsed.tensors[parsed.inputs[0]]
    out = parsed.tensors[parsed.outputs[0]]
    code = f"""
import earshot
m = earshot.Model({model!r})
print(repr((m.name, m.labels, m.arena_size, m.input_shape, m.output_shape)))
print(repr((m.input_quant[1], m.output_quant[1], len(m.input), len(m.output))))
print(repr((len(m.inputs), len(m.outputs), m.inputs[0] is m.input, m.outputs[0] is m.output)))
print(repr((round(m.input_quant[0] * 1e6), round(m.output_quant[0] * 1e6))))
print(repr(sorted(m.metadata)))
m.input[0] = -128
m.input[1] = 127
print(repr((m.input[0], m.input[1])))
"""
    lines = target.exec(code).strip().splitlines()
    import ast

    values = [ast.literal_eval(line) for line in lines]
    assert values[0] == ("dense_softmax", [], parsed.arena_size, inp.shape, out.shape)
    assert values[1] == (inp.zero_point, out.zero_point, inp.byte_size, out.byte_size)
    assert values[2] == (1, 1, True, True)
    assert values[3] == (round(inp.scale * 1e6), round(out.scale * 1e6))
    assert values[4] == sorted(parsed.metadata)
    assert values[5] == (-128, 127)


@pytest.mark.kinds("unix")
def test_model_from_file(target):
    model = conformance_blob("conv_1x1")
    inputs, expected = golden("conv_1x1")
    expr = target.runner.upload("conv_1x1.esm", model)
    assert "open(" in expr
    code = f"""
import earshot, binascii
m = earshot.Model.from_file('conv_1x1.esm')
m.input[:] = {inputs[4].tobytes()!r}
m.invoke()
print(binascii.hexlify(m.output).decode())
"""
    out = target.runner.run(code, soft_reset=False).check()
    np.testing.assert_array_equal(parse_outputs(out)[0], expected[4].ravel())


MEMORY = """
import gc, earshot
data = {model!r}
x = {x!r}
m = None
a0 = a1 = a2 = a3 = i = 0  # globals exist before measuring (a new one may grow the dict)
gc.collect()
a0 = gc.mem_alloc()
m = earshot.Model(data)
gc.collect()
a1 = gc.mem_alloc()
m.input[:] = x
m.invoke()
gc.collect()
a2 = gc.mem_alloc()
for i in range(100):
    m.invoke()
a3 = gc.mem_alloc()
print(m.arena_size, a1 - a0, a3 - a2)
"""


@pytest.mark.parametrize("case", ["conv_1x1", "dense_bias", "tiny_kws"])
def test_memory_arena_once_nothing_per_invoke(target, case):
    model = conformance_blob(case)
    inputs, _ = golden(case)
    out = target.exec(MEMORY.format(model=model, x=inputs[2].tobytes()))
    arena, created, per_100_invokes = (int(v) for v in out.split())
    assert arena == read_model(model).arena_size
    # The arena plus a few small objects (views, shapes); the weights are never copied.
    assert arena <= created <= arena + 1024, (created, arena, len(model))
    assert per_100_invokes == 0


def test_arena_larger_than_heap_is_refused(target):
    import struct
    import zlib

    model = bytearray(conformance_blob("dense_no_bias"))
    huge = 64 * 1024 * 1024
    struct.pack_into("<I", model, 16, huge)
    struct.pack_into("<I", model, 12, zlib.crc32(bytes(model[64:])))
    read_model(bytes(model))  # still a valid model: only its arena is big
    code = f"""
import earshot
try:
    earshot.Model({bytes(model)!r})
except ValueError as e:
    print(e)
"""
    out = target.exec(code).strip()
    match = re.fullmatch(r"model needs (\d+) bytes of arena, heap has (\d+) free", out)
    assert match, out
    assert int(match.group(1)) == huge > int(match.group(2))
    # The target still works.
    assert target.exec("import earshot\nprint(earshot.Model)").strip() == "<class 'Model'>"


def test_invoke_misuse_is_refused(target):
    model = conformance_blob("dense_no_bias")
    code = f"""
import _earshot
from array import array
data = {model!r}
m = _earshot.Model(data)
n = len(m.inputs[0])
for make in (lambda: _earshot.Model(data[:-1]), lambda: _earshot.Model(b'XXXX' + data[4:]),
             lambda: m.invoke(bytes(n - 1)), lambda: m.invoke(array('h', bytes(n))),
             lambda: m.profile(bytearray(0)), lambda: _earshot.Model(12)):
    try:
        make()
        print('ran')
    except (ValueError, TypeError) as e:
        print(type(e).__name__)
print(_earshot.crc32(b'123456789') == 0xCBF43926)
"""
    assert target.exec(code).split() == ["ValueError"] * 5 + ["TypeError", "True"]
