"""Fuzzing of the bindings (not only of model bytes): seeded random calls of the `_earshot`
API with odd arguments (wrong types, sizes, offsets, values), models and front ends whose
buffers change after construction (bytes flipped or set to extreme int32 values in tables,
weights, requantization arrays, front-end tables; buffers that grow or shrink). Every call
either works or raises one of the API's errors; the target never crashes, and under the
ASan+UBSan Unix port (`make test-sanitize`) no sanitizer reports anything. At the end the
unchanged model still gives its first result: nothing was corrupted."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from earshot_host.convert import convert_tflite
from earshot_host.modelfile import read_model

ROOT = Path(__file__).resolve().parents[2]
FROZEN = "__import__('earshot_models.{0}', None, None, ('MODEL',)).MODEL"


@cache
def tiny_kws() -> bytes:
    path = ROOT / "tests" / "data" / "conformance" / "tiny_kws.tflite"
    return convert_tflite(path.read_bytes(), name="tiny_kws").blob


@cache
def dense_bias() -> bytes:
    path = ROOT / "tests" / "data" / "conformance" / "dense_bias.tflite"
    return convert_tflite(path.read_bytes(), name="dense_bias").blob


@cache
def frontend_regions(name: str) -> list[tuple[int, int]]:
    """File ranges of a model's front-end tables."""
    meta = read_model((ROOT / "models" / name / f"{name}.esm").read_bytes()).metadata
    size = {"int16": 2, "uint16": 2, "int32": 4}
    return [(o, o + n * size[t]) for o, t, n in meta["frontend"]["tables"].values()]


PRELUDE = """
import _earshot, gc, json, struct
from array import array
S = [{seed}]
def r(n):
    # ZX81 generator: small ints on every port.
    S[0] = (S[0] * 75 + 74) % 65537
    return S[0] % n if n else 0
def pick(seq):
    return seq[r(len(seq))]
EXPECTED = (ValueError, TypeError, RuntimeError, IndexError, MemoryError, OverflowError,
            KeyError)
counts = {{}}
def call(name, f, *args):
    try:
        f(*args)
        k = name + ' ok'
    except EXPECTED as e:
        k = name + ' ' + type(e).__name__
    except Exception as e:
        print('UNEXPECTED', name, type(e).__name__, e)
        raise
    counts[k] = counts.get(k, 0) + 1
def buf(sizes, own):
    try:
        return make_buf(sizes, own)
    except MemoryError:  # small boards
        return None
def make_buf(sizes, own):
    # a buffer of a likely size and any kind, one of the objects' own, or no buffer at all
    k = r(6)
    n = pick(sizes)
    if k == 0:
        return bytes(n)
    if k == 1:
        return memoryview(bytearray(n + 3))[r(4):][:n]
    if k == 2:
        return array(pick('bBhHiIf'), bytes(n - n % 4))
    if k == 3:
        return bytearray(n)
    if k == 4:
        return pick(own)
    return pick((None, 0, -1, 7, 'str', 1.5, [1, 2], (3,), {{}}, array('h', [1]), b'ESHT'))
def audio(b):
    call('mean_square', _earshot.mean_square, b())
    call('peak', _earshot.peak, b())
    call('mix_stereo', _earshot.mix_stereo, b(), b())
    call('shift_in', _earshot.shift_in, b(), b())
    call('copy', _earshot.copy, b(), b())
    call('pack', _earshot.pack_i32_to_i16, b(), b(), pick((0, 31, 32, -1, 'x')))
    call('decode', _earshot.decode_line, b(), pick((0, 3, 1000, -1)), b())
"""

MODEL_FUZZ = """
SRC = {model}
gc.collect()
tables_end = struct.unpack_from('<I', SRC, 44)[0]
blob_end = tables_end + struct.unpack_from('<I', SRC, 48)[0]
data = bytearray(SRC)
m = _earshot.Model(data)
n_in = len(m.inputs[0])
n_out = len(m.outputs[0])
x0 = bytes((i * 73 + 11) & 255 for i in range(n_in))
m.invoke(x0)
ref = bytes(m.outputs[0])
SIZES = (0, 1, 2, 3, n_in - 1, n_in, n_in + 1, n_out, 4 * n_out, 4 * m.op_count, 81)
"""

MODEL_FUZZ_LOOP = """
def b():
    return buf(SIZES, (m.inputs[0], m.outputs[0], data, SRC))

def poke():
    # a changed byte or int32 in the model: its tables (header included), its constants
    # (weights, biases, requantization arrays), anywhere
    where = r(3)
    a, b = ((0, tables_end), (tables_end, blob_end), (0, len(data)))[where]
    i = a + r(b - a - 4)
    if r(2):
        data[i] = r(256)
    else:
        v = pick((0x7fffffff, -0x80000000, 100, -100, 31, 32, -32, 0, 65535, -1))
        struct.pack_into('<i', data, i & ~3, v)

for step in range({steps}):
    op = r(8)
    if op == 0:
        call('Model', _earshot.Model, b(), pick((True, False)))
    elif op == 1:
        call('invoke', m.invoke, b())
    elif op == 2:
        poke()
        call('invoke changed', m.invoke, pick((None, x0)))
    elif op == 3:
        call('profile', m.profile, b())
        call('reset', m.reset)
    elif op == 4:
        call('dequantize', m.dequantize_output, b(), pick((0, 1, -1)))
        call('arrays', pick((m.output_array, m.input_array)), pick((0, 1, -1)))
    elif op == 5:
        # the buffer grows or shrinks (and may move): refused until a new model is made
        def resize():
            if r(2):
                data.extend(bytes(r(64) + 1))  # (MemoryError on a small heap)
            else:
                data[len(data) - r(16) - 1 :] = b''
        call('resize', resize)
        call('invoke moved', m.invoke)
        m = None
        gc.collect()
        data[:] = SRC  # the model's bytes again (in the same bytearray: small heaps)
        m = _earshot.Model(data)
    elif op == 6:
        audio(b)
    else:
        call('check', _earshot.check, b(), pick((True, False)))
        call('crc32', _earshot.crc32, b(), pick((0, -1, 2**32 + 5)))
    if step % 32 == 0:
        gc.collect()

m = None
gc.collect()
data[:] = SRC
m = _earshot.Model(data)
m.invoke(x0)
print(bytes(m.outputs[0]) == ref)
print(json.dumps(counts))
"""

FRONTEND_FUZZ = """
ROM = {frontend_source}
meta = _earshot.check(ROM, False)
meta = json.loads(memoryview(ROM)[meta[3]:meta[3] + meta[4]])['frontend']
gc.collect()
REGIONS = {frontend_regions}
fe = _earshot.Frontend(ROM, meta)
# A front end of a writable copy (big heaps): its buffer's tables change under it.
fe_data = bytearray(ROM) if {big} else None
fe_ram = _earshot.Frontend(fe_data, meta) if {big} else fe
SIZES = (0, 1, 2, 3, 2 * fe.hop, 2 * fe.hop + 1, fe.features, 2 * fe.channels, 40, 81,
         2 * fe.fft_size + 4, 4 * fe.fft_size + 8)
"""

FRONTEND_FUZZ_LOOP = """
def b():
    return buf(SIZES, (ROM, fe_data))

def bad_meta():
    d = dict(meta)
    t = dict(d['tables'])
    s = dict(d['scalars'])
    k = r(5)
    if k == 0:
        name = pick(list(t))
        e = list(t[name])
        e[r(3)] = pick((0, -1, 1, 70000, 10**12, 'int32', 'int16', None, 3))
        t[name] = e
    elif k == 1:
        name = pick(list(s))
        s[name] = pick((0, -1, 1, 2**31, -2**40, 4097, 'x', None))
    elif k == 2:
        t.pop(pick(list(t)))
    elif k == 3:
        d['type'] = pick(('mfcc', 'logmel', 'tflm_micro', 'x', 3))
    else:
        d['frames'] = pick((-1, 0, 70000, 'x'))
    d['tables'] = t
    d['scalars'] = s
    return d

first = bytearray(fe.features)
hop = bytearray(2 * fe.hop)
for step in range({steps}):
    op = r(6)
    if op == 0:
        call('Frontend', _earshot.Frontend, pick((ROM, b())), pick((meta, bad_meta(), b())))
    elif op == 1:
        call('process', fe.process, b(), b(), *(() if r(2) else (b(),)))
    elif op == 2:
        call('fft', fe.fft, b())
        call('normalize', fe.normalize, b(), b())
        call('gain', fe.set_gain, pick((0, -1, 2**30, 'x')), pick((0, 1, 2**62, -5)))
    elif op == 3:
        if fe_data is not None:
            a, e = pick(REGIONS)
            i = a + r(e - a - 4)
            struct.pack_into('<i', fe_data, i, pick((0x7fffffff, -0x80000000, 4096, -1, 0)))
        for i in range(len(hop)):
            hop[i] = (i * 37 + step) & 255
        call('process changed', fe_ram.process, hop, bytearray(fe.features))
    elif op == 4:
        audio(b)
    else:
        call('reset', fe.reset)
    if step % 32 == 0:
        gc.collect()
print(True)
print(json.dumps(counts))
"""


def run_fuzz(
    target, setup: str, loop: str, seed: int, steps: int, frontend: str = "micro_speech"
) -> dict[str, int]:
    """The setup (objects, buffers) and then the loop; on QEMU boards as two snippets in
    one session, so that compiling the loop does not fragment the heap the models need."""
    heap = 1 << 30 if target.board.kind == "unix" else target.board.heap_bytes
    fields = {
        "big": heap >= 96 * 1024,
        "steps": steps,
        # tiny_kws: conv, depthwise, pool, fully connected, softmax; on the smallest heap
        # (20 KB, fragmented by the fuzzer's own code) one fully connected op
        "model": repr(tiny_kws() if heap >= 32 * 1024 else dense_bias()),
        "frontend_source": FROZEN.format(frontend),
        "frontend_regions": frontend_regions(frontend),
    }
    first = PRELUDE.format(seed=seed) + setup.format(**fields)
    if target.board.kind == "qemu":
        target.runner.run(first, timeout=120).check()
        out = target.runner.run(loop.format(**fields), timeout=600, soft_reset=False).check()
    else:
        out = target.exec(first + loop.format(**fields), timeout=600)
    lines = out.strip().splitlines()
    assert lines[0] == "True", lines
    return json.loads(lines[1])


def steps_on(target) -> int:
    return 3000 if target.board.kind == "unix" else 400


def test_random_model_calls_and_changed_model_buffers_never_crash(target):
    """Ends with the unchanged model giving its first result again (first line True)."""
    counts = run_fuzz(target, MODEL_FUZZ, MODEL_FUZZ_LOOP, seed=7, steps=steps_on(target))
    assert sum(counts.values()) >= steps_on(target)
    ops = {k.rsplit(" ", 1)[0] for k in counts}
    assert {"Model", "invoke", "invoke changed", "invoke moved", "profile", "check"} <= ops
    assert counts["invoke moved RuntimeError"] > 0 and counts["invoke changed ok"] > 0, counts
    assert counts["Model ValueError"] > 0 and counts["invoke ValueError"] > 0, counts


def check_front_end_counts(counts: dict[str, int], steps: int) -> None:
    assert sum(counts.values()) >= steps
    assert counts["Frontend ValueError"] > 0 and counts["process changed ok"] > 0, counts
    assert counts["process ValueError"] > 0 and counts["mean_square ok"] > 0, counts


def test_random_front_end_calls_and_changed_tables_never_crash(target):
    """tflm_micro (micro_speech) on every target."""
    counts = run_fuzz(target, FRONTEND_FUZZ, FRONTEND_FUZZ_LOOP, 11, steps_on(target))
    check_front_end_counts(counts, steps_on(target))


@pytest.mark.kinds("unix")
@pytest.mark.parametrize("frontend", ["mlperf_kws", "mlperf_sww"])
def test_random_spectral_front_end_calls_and_changed_tables_never_crash(target, frontend):
    """mfcc and logmel (32-bit FFT, log2 and DCT tables) on the Unix port, which
    `make test-sanitize` builds with ASan+UBSan."""
    counts = run_fuzz(target, FRONTEND_FUZZ, FRONTEND_FUZZ_LOOP, 11, 3000, frontend=frontend)
    check_front_end_counts(counts, 3000)
