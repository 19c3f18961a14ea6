"""The I2S microphone source, with a stand-in for machine.I2S (no microphone here): a
24-bit MEMS microphone's 32-bit slots become the int16 samples the detector hears, a
detector fed by it finds the planted words, and hops the ring has no room for are read
from the driver, dropped and counted."""

from __future__ import annotations

import json

import numpy as np
import pytest

from earshot_host.scenes import Placement, compose

# As in test_scenes.py: within 0.5 s of the clip's end plus 250 ms of averaging latency.
LATENCY_MS = 250
TOLERANCE_MS = 500

# A microphone stand-in: 32-bit little-endian slots holding sample << 14 (what the
# source's default shift of 14 turns back into the sample) plus low-order noise below the
# shift, delivered `per_read` bytes at a time with a short read every `short_every` reads.
FAKE_I2S = """
import struct
class FakeI2S:
    def __init__(self, samples, short_every=0):
        self.samples = samples      # int16 bytes
        self.at = 0
        self.reads = 0
        self.short_every = short_every
        self.closed = False
    def readinto(self, buf):
        self.reads += 1
        if self.short_every and self.reads % self.short_every == 0:
            return 0                # a non-blocking driver with nothing complete yet
        n = len(buf) // 4
        chunk = self.samples[2 * self.at : 2 * (self.at + n)]
        if len(chunk) < 2 * n:
            raise EOFError
        for i in range(n):
            s = struct.unpack_from('<h', chunk, 2 * i)[0]
            struct.pack_into('<i', buf, 4 * i, (s << 14) | ((i * 2654435761) & 0x3FFF))
        self.at += n
        return len(buf)
    def deinit(self):
        self.closed = True
"""

DETECT = (
    FAKE_I2S
    + """
import earshot
from earshot.stream import Listener
from earshot.sources.i2s import I2SSource
with open({path!r}, 'rb') as f:
    samples = f.read()
l = Listener(earshot.Model.frozen('micro_speech'), stats_ms=0)
fake = FakeI2S(samples, short_every=7)
src = I2SSource(16000, l.frontend.hop, i2s=fake)
try:
    l.run(src)
except EOFError:
    pass
src.close()
print('closed', fake.closed, l.ring.overruns)
"""
)


@pytest.mark.kinds("unix")
def test_a_detector_fed_by_the_microphone_finds_the_planted_words(target, tmp_path):
    scene = compose(
        (
            Placement("yes_1000ms", 1_000, 0.0, "yes"),
            Placement("no_1000ms", 3_500, -6.0, "no"),
        ),
        6_000,
        -60.0,
    )
    raw = tmp_path / "scene.raw"
    raw.write_bytes(scene.samples.astype("<i2").tobytes())
    out = target.exec(DETECT.format(path=str(raw)), timeout=300)
    lines = out.strip().splitlines()
    assert lines[-1] == "closed True 0"
    found = [
        (m["label"], m["t_ms"]) for m in map(json.loads, lines[:-1]) if m["type"] == "detection"
    ]
    expected = [(e.label, e.end_ms + LATENCY_MS) for e in scene.events]
    assert [f[0] for f in found] == [e[0] for e in expected], found
    for (_, t), (_, at) in zip(found, expected, strict=True):
        assert abs(t - at) <= TOLERANCE_MS


CONVERT_AND_OVERRUN = (
    FAKE_I2S
    + """
import struct
from earshot.ring import AudioRing
from earshot.sources.i2s import I2SSource
hop = 8
samples = struct.pack('<{n}h', *{values})
fake = FakeI2S(samples)
ring = AudioRing(hop, 3)
src = I2SSource(16000, hop, i2s=fake)
for _ in range(5):          # five hops arrive while the pipeline is busy: 3 slots
    src.fill(ring)
got = []
slot = ring.slot_for_read()
while slot is not None:
    got.extend(struct.unpack('<8h', slot))
    ring.release()
    slot = ring.slot_for_read()
"""
)


def test_slots_become_samples_and_hops_without_room_are_counted(target):
    rng = np.random.default_rng(7)
    values = [-32768, 32767, 0, -1, 1] + [int(v) for v in rng.integers(-32768, 32768, 35)]
    code = CONVERT_AND_OVERRUN.format(n=len(values), values=values)
    got, overruns, dropped, consumed = target.eval(
        "(got, ring.overruns, ring.dropped_samples, fake.at)", setup=code
    )
    slots = 3
    assert got == values[: 8 * slots]  # exact: the noise below the shift is gone
    assert overruns == 2 and dropped == 16  # the 4th and 5th hop: read, dropped, counted
    assert consumed == 40  # the driver's buffer kept moving
