"""earshot with ulab built in (issue 19), on the Unix port and one QEMU board: ndarrays into
Model.invoke and Frontend.process, ndarray views of the model's tensors (no copy),
dequantized scores into a caller's float ndarray, nothing allocated per call; the
memoryview limitation that docs/ULAB.md names; the example examples/ulab_scores.py."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from earshot_host.convert import convert_tflite
from earshot_host.modelfile import read_model

ROOT = Path(__file__).resolve().parents[2]
FROZEN = "__import__('earshot_models.{0}', None, None, ('MODEL',)).MODEL"


@cache
def tiny_kws() -> bytes:
    path = ROOT / "tests" / "data" / "conformance" / "tiny_kws.tflite"
    return convert_tflite(path.read_bytes(), name="tiny_kws").blob


MODEL = """
import earshot, _earshot, gc
from ulab import numpy as np
m = earshot.Model({source})
n = len(m.input)
raw = bytes((i * 73 + 11) & 255 for i in range(n))
m.invoke(raw)
ref = bytes(m.output)
x = np.frombuffer(raw, dtype=np.int8)
m.invoke(np.zeros(n, dtype=np.int8))
m.invoke(x)
print(_earshot.has_ulab, bytes(m.output) == ref)
out = m.output_array()
print(out is m.output_array(), out.dtype == np.int8, out.shape,
      [int(v) for v in out.flatten()] == list(m.output))
m.invoke(np.zeros(n, dtype=np.int8))
print(bytes(out) == bytes(m.output), bytes(out) != ref)    # a view: it follows the arena
inp = m.input_array()
inp[:] = np.array(list(x), dtype=np.int8).reshape(inp.shape)
m.invoke()
print(bytes(m.output) == ref)
scores = np.zeros(len(m.output), dtype=np.float)
m.dequantize_output(scores)
print(repr(list(scores)))
for bad in (np.zeros(n, dtype=np.uint8), np.zeros(n + 1, dtype=np.int8),
            np.zeros(n, dtype=np.int16)):
    try:
        m.invoke(bad)
        print('ran')
    except ValueError as e:
        print(e)
try:
    m.input[:] = x
    print('assigned')
except NotImplementedError as e:
    print('NotImplementedError', e)
grow = []
a = i = 0  # globals exist before measuring (a new one may grow the dict)
for run in (lambda: m.invoke(x), lambda: m.dequantize_output(scores)):
    gc.collect()
    a = gc.mem_alloc()
    for i in range(1000):
        run()
    grow.append(gc.mem_alloc() - a)
print(grow)
"""


def test_model_with_ndarrays(ulab_target):
    model = read_model(tiny_kws())
    out = ulab_target.exec(MODEL.format(source=repr(tiny_kws())), timeout=600).splitlines()
    n = model.tensors[model.inputs[0]].byte_size
    t = model.tensors[model.outputs[0]]
    assert out[0] == "True True"  # has_ulab; an ndarray input runs like its bytes
    # output_array(): one object, int8, the tensor's shape, equal to bytes(m.output) ...
    assert out[1] == f"True True {tuple(t.shape)!r} True"
    assert out[2] == "True True"  # ... and a view: it follows the next invoke
    assert out[3] == "True"  # input_array()[:] = x, then invoke() == invoke(x)
    assert len(ast.literal_eval(out[4])) == t.byte_size
    assert out[5:8] == [
        "x has typecode 'B', the input is int8 ('b')",
        f"x has {n + 1} bytes, the input needs {n} int8 values",
        "x has typecode 'h', the input is int8 ('b')",
    ]
    # The limitation docs/ULAB.md names: memoryview slice assignment from an ndarray.
    assert out[8] == "NotImplementedError array/bytes required on right side"
    assert out[9] == "[0, 0]"  # bytes allocated by 1,000 invoke(ndarray), dequantize_output


SCORES = """
import earshot
from ulab import numpy as np
m = earshot.Model({source})
x = bytes((i * 29 + 3) & 255 for i in range(len(m.input)))
m.invoke(x)
print(bytes(m.output).hex())
s = np.zeros(len(m.output), dtype=np.float)
m.dequantize_output(s)
print(bytes(s).hex(), s.itemsize)
"""


def test_dequantized_scores_are_the_float32_ones(ulab_target):
    model = read_model(tiny_kws())
    t = model.tensors[model.outputs[0]]
    out = ulab_target.exec(SCORES.format(source=repr(tiny_kws()))).splitlines()
    q = np.frombuffer(bytes.fromhex(out[0]), dtype=np.int8)
    expected = (q.astype(np.float32) - np.float32(t.zero_point)) * np.float32(t.scale)
    # ulab's float is the port's (double on Unix, float on the boards): the C code computes
    # in float32 and widens, so either holds the float32 values exactly
    data, itemsize = out[1].split()
    got = np.frombuffer(bytes.fromhex(data), dtype="<f8" if itemsize == "8" else "<f4")
    assert got.tolist() == expected.astype(np.float64).tolist()


FRONTEND = """
import earshot, gc
from ulab import numpy as np
model = earshot.Model.frozen('micro_speech')
fe = earshot.Frontend(model)
fe_b = earshot.Frontend(model)
hop = np.zeros(fe.hop, dtype=np.int16)
out = np.zeros(fe.features, dtype=np.int8)
ref = bytearray(fe.features)
same = frames = a = b = k = i = 0
for k in range(fe.frames + 2):
    for i in range(fe.hop):
        hop[i] = ((i * 37 + k * 101) % 2001) - 1000
    a = fe.process(hop, out)
    b = fe_b.process(bytes(hop), ref)
    frames += a
    same += a == b and (not a or bytes(out) == bytes(ref))
print(frames, same == fe.frames + 2)
gc.collect()
a = gc.mem_alloc()
for k in range(1000):
    fe.process(hop, out)
print(gc.mem_alloc() - a)
"""


def test_front_end_takes_and_writes_ndarrays(ulab_target):
    """int16 ndarray hops in, frames written into an int8 ndarray: the same frames as from
    bytes into a bytearray, nothing allocated over 1,000 hops."""
    out = ulab_target.exec(FRONTEND, timeout=600).split()
    frames = int(out[0])
    assert frames > 0 and out[1:] == ["True", "0"]


def test_example_ulab_scores(ulab_target):
    """examples/ulab_scores.py on the reference clips (Unix port: it reads WAV files)."""
    if ulab_target.board.kind != "unix":
        pytest.skip("the example reads WAV files: the Unix port's file system")
    example = ROOT / "examples" / "ulab_scores.py"
    audio = ROOT / "tests" / "data" / "audio"
    found = {}
    for word in ("yes", "no", "silence"):
        code = example.read_text().replace("__main__", "not main")
        code += f"\nmain({str(audio / f'{word}_1000ms.wav')!r})\n"
        last = ulab_target.exec(code).strip().splitlines()[-1].split()
        found[word] = (last[1], last[-1].rstrip(")"))
    assert found == {w: (w, w) for w in ("yes", "no", "silence")}
