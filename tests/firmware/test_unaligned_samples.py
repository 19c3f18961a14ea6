"""int16 samples at any address (issue 17.3): memoryviews at odd offsets into the sample
helpers and the front end give exactly what aligned buffers give, on every target
(qemu_m0 included: Cortex-M0 faults on unaligned halfword loads, which the casts of byte
buffers to int16_t * in modaudio.c did: a HardFault before the fix)."""

from __future__ import annotations

import ast

import numpy as np

FROZEN = "__import__('earshot_models.{0}', None, None, ('MODEL',)).MODEL"

SAMPLES = """
import _earshot, earshot
n = 200
raw = bytearray(2 * n)
s = 1
for i in range(2 * n):
    s = (s * 75 + 74) % 65537
    raw[i] = s & 255
fe = earshot.Frontend({source})
hops = 3
audio = bytearray(2 * fe.hop * hops)
for i in range(len(audio)):
    s = (s * 75 + 74) % 65537
    audio[i] = s & 255
words = bytes(raw[:4 * 20])
results = []
for shift in (0, 1, 3):
    store = bytearray(len(raw) + 8)
    view = memoryview(store)[shift:shift + len(raw)]
    view[:] = raw
    r = [_earshot.mean_square(view), _earshot.peak(view)]
    dst = memoryview(bytearray(n + 8))[shift:shift + n]
    _earshot.mix_stereo(dst, view)                     # unaligned source and destination
    r.append(bytes(dst))
    _earshot.mix_stereo(view[:n], view)                # in place
    r.append(bytes(view[:n]))
    w = memoryview(bytearray(len(words) + 8))[shift:shift + len(words)]
    w[:] = words
    out = memoryview(bytearray(40 + 8))[shift:shift + 40]
    _earshot.pack_i32_to_i16(out, w, 9)
    r.append(bytes(out))
    a = memoryview(bytearray(len(audio) + 8))[shift:shift + len(audio)]
    a[:] = audio
    fe.reset()
    frame = memoryview(bytearray(fe.features + 8))[shift:shift + fe.features]
    frames = []
    for k in range(hops):
        if fe.process(a[2 * fe.hop * k:2 * fe.hop * (k + 1)], frame):
            frames.append(bytes(frame))
    r.append(frames)
    results.append(r)
print(results[0] == results[1] == results[2])
print(repr(results[1][:2]))
"""


def test_samples_at_odd_offsets_give_what_aligned_ones_give(target):
    out = target.exec(SAMPLES.format(source=FROZEN.format("micro_speech"))).splitlines()
    assert out[0] == "True"
    # The values themselves, from the same generator on the host.
    s, raw = 1, bytearray(400)
    for i in range(400):
        s = (s * 75 + 74) % 65537
        raw[i] = s & 255
    x = np.frombuffer(bytes(raw), dtype="<i2").astype(np.int64)
    mean_square, peak = ast.literal_eval(out[1])
    assert mean_square == int((x * x).sum()) // len(x)
    assert peak == int(x.max())
