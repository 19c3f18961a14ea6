"""The I2S microphone source, with a stand-in for machine.I2S (no microphone here): a
24-bit MEMS microphone's 32-bit slots become the int16 samples the detector hears, a
detector fed by it finds the planted words, partial reads lose nothing, hops the ring has
no room for are read from the driver, dropped and counted, the rp2 pin rule is checked
with a clear error, and the peripheral is stopped once, however the run ends."""

from __future__ import annotations

import json

import numpy as np
import pytest

from earshot_host.scenes import Placement, compose

# As in test_scenes.py: within 0.5 s of the clip's end plus 250 ms of averaging latency.
LATENCY_MS = 250
TOLERANCE_MS = 500

# A driver handing out 32-bit slots prepared on the host (`data`, little-endian), `sizes[k]`
# bytes at the k-th read (cycling; 0 = nothing ready, as a non-blocking driver), then
# EOFError at the end.
SLOTS_I2S = """
class SlotsI2S:
    def __init__(self, data, sizes=(0x7FFFFFFF,)):
        self.data = data
        self.at = 0                 # bytes delivered
        self.sizes = sizes
        self.reads = 0
        self.deinits = 0
    def readinto(self, buf):
        if self.at >= len(self.data):
            raise EOFError
        n = min(len(buf), self.sizes[self.reads % len(self.sizes)], len(self.data) - self.at)
        self.reads += 1
        buf[:n] = memoryview(self.data)[self.at : self.at + n]
        self.at += n
        return n
    def deinit(self):
        self.deinits += 1
"""


def slots_of_24_bit(samples: np.ndarray, noise: np.ndarray) -> bytes:
    """A 24-bit microphone's 32-bit slots: each sample left-justified, noise below it."""
    return ((samples.astype(np.int64) << 8) | noise).astype("<i4").tobytes()


def slots_of_int16(samples: np.ndarray, seed: int) -> bytes:
    """Slots whose top 16 bits are the int16 samples, with noise in the 16 bits below."""
    noise = np.random.default_rng(seed).integers(0, 256, samples.size)
    return slots_of_24_bit(samples.astype(np.int64) << 8 | noise, noise)


DETECT = (
    SLOTS_I2S
    + """
import earshot
from earshot.stream import Listener
from earshot.sources.i2s import I2SSource
with open({path!r}, 'rb') as f:
    data = f.read()
l = Listener(earshot.Model.frozen('micro_speech'), stats_ms=0)
fake = SlotsI2S(data, (1280, 1280, 6, 0, 1280, 2, 1280, 1280))
src = I2SSource(16000, l.frontend.hop, i2s=fake)
try:
    l.run(src)
except EOFError:
    pass
src.close()
print('closed', fake.deinits, l.ring.overruns)
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
    raw = tmp_path / "scene.slots"
    raw.write_bytes(slots_of_int16(scene.samples, seed=1))
    out = target.exec(DETECT.format(path=str(raw)), timeout=300)
    lines = out.strip().splitlines()
    assert lines[-1] == "closed 1 0"
    found = [
        (m["label"], m["t_ms"]) for m in map(json.loads, lines[:-1]) if m["type"] == "detection"
    ]
    expected = [(e.label, e.end_ms + LATENCY_MS) for e in scene.events]
    assert [f[0] for f in found] == [e[0] for e in expected], found
    for (_, t), (_, at) in zip(found, expected, strict=True):
        assert abs(t - at) <= TOLERANCE_MS


# The slots read into a ring of `slots` hops, without the pipeline reading it in between;
# then the hops the ring holds.
COLLECT = (
    SLOTS_I2S
    + """
import struct
from earshot.ring import AudioRing
from earshot.sources.i2s import I2SSource
hop = 8
ring = AudioRing(hop, {slots})
fake = SlotsI2S({data!r}, {sizes})
src = I2SSource(16000, hop, gain_bits={gain}, i2s=fake)
for _ in range({reads}):
    try:
        src.fill(ring)
    except EOFError:
        break
got = []
slot = ring.slot_for_read()
while slot is not None:
    got.extend(struct.unpack('<8h', slot))
    ring.release()
    slot = ring.slot_for_read()
src.close()
src.close()
"""
)


def collect(target, data: bytes, sizes=(0x7FFFFFFF,), gain=0, slots=64, reads=10_000):
    return target.eval(
        "(got, ring.overruns, ring.dropped_samples, src.dropped_samples, fake.at, fake.deinits)",
        setup=COLLECT.format(data=data, sizes=sizes, gain=gain, slots=slots, reads=reads),
    )


def test_slots_become_samples_and_hops_without_room_are_counted(target):
    rng = np.random.default_rng(7)
    values = np.array([-32768, 32767, 0, -1, 1] + list(rng.integers(-32768, 32768, 35)))
    # Five hops arrive while the pipeline is busy: the ring holds 3.
    got, overruns, dropped, cut, consumed, _ = collect(
        target, slots_of_int16(values, seed=2), slots=3, reads=5
    )
    assert got == values[:24].tolist()  # exact: the noise below the top 16 bits is gone
    assert overruns == 2 and dropped == 16  # the 4th and 5th hop: read, dropped, counted
    assert consumed == 4 * 40 and cut == 0  # the driver's buffer kept moving


@pytest.mark.parametrize("gain", [0, 2])
def test_24_bit_samples_become_their_top_16_bits(target, gain):
    rng = np.random.default_rng(24)
    edges = np.array([-(2**23), 2**23 - 1, 0, -1, 1, 255, 256, -256, -257], dtype=np.int64)
    samples = np.concatenate([edges, rng.integers(-(2**23), 2**23, 39)])  # 48 = 6 hops
    data = slots_of_24_bit(samples, rng.integers(0, 256, samples.size))
    got, overruns, dropped, cut, _, deinits = collect(target, data, gain=gain)
    # Full scale of the microphone is full scale of int16 (gain 0): the top 16 bits,
    # rounded towards minus infinity; each gain bit doubles, saturating.
    expected = np.clip((samples << 8) >> (16 - gain), -32768, 32767)
    assert got == expected.tolist()
    assert (overruns, dropped, cut, deinits) == (0, 0, 0, 1)


@pytest.mark.kinds("unix")
def test_partial_reads_lose_nothing_and_a_cut_hop_is_counted(target):
    rng = np.random.default_rng(5)
    samples = rng.integers(-(2**23), 2**23, 8 * 5 + 3)  # 5 hops and 3 samples of a 6th
    data = slots_of_24_bit(samples, rng.integers(0, 256, samples.size))
    # Reads of 1, 3 and 6 bytes, nothing, 32 bytes: hops and words split anywhere.
    got, overruns, dropped, cut, _, deinits = collect(target, data, sizes=(1, 3, 6, 0, 32))
    assert got == ((samples[:40] << 8) >> 16).tolist()
    # The 6th hop was cut by the end of the stream: its 3 samples are counted at close().
    assert (overruns, dropped, cut, deinits) == (0, 0, 3, 1)


# A machine module stand-in with rp2-style Pin reprs and an I2S that records its arguments.
OPEN = """
import sys
from earshot.sources import i2s
PINS = {pins}
class Pin:
    def __init__(self, name):
        self.gpio = PINS[name]
    def __repr__(self):
        return 'Pin(GPIO%d, mode=ALT, alt=31)' % self.gpio
class I2S:
    RX = 'RX'
    MONO = 'MONO'
    def __init__(self, bus, **kw):
        self.args = (bus, kw['mode'], kw['bits'], kw['format'], kw['rate'],
                     kw['sck'].gpio, kw['ws'].gpio, kw['sd'].gpio)
class machine:
    pass
machine.Pin = Pin
machine.I2S = I2S
try:
    result = i2s.open_i2s(16000, 320, machine=machine, platform={platform!r}).args
except ValueError as err:
    result = 'ValueError: ' + str(err)
"""


@pytest.mark.kinds("unix")
def test_the_rp2_pin_rule_is_checked_with_a_clear_error(target):
    good = {"MIC_SCK": 16, "MIC_WS": 17, "MIC_SD": 18}
    bad = {"MIC_SCK": 16, "MIC_WS": 18, "MIC_SD": 17}
    opened = list(target.eval("result", setup=OPEN.format(pins=good, platform="rp2")))
    assert opened == [0, "RX", 32, "MONO", 16000, 16, 17, 18]
    refused = target.eval("result", setup=OPEN.format(pins=bad, platform="rp2"))
    assert refused == (
        "ValueError: I2S microphone on rp2: WS must be the GPIO after SCK (SCK is GP16, so "
        "WS must be GP17, not GP18); fix MIC_SCK/MIC_WS in the board's pins.csv"
    )
    # Other ports have no such rule (stm32's I2S2 pins are fixed by the peripheral).
    other = list(target.eval("result", setup=OPEN.format(pins=bad, platform="stm32")))
    assert other == [2, "RX", 32, "MONO", 16000, 16, 18, 17]


@pytest.mark.kinds("unix")
def test_the_peripheral_is_stopped_once_however_the_run_ends(target):
    code = (
        SLOTS_I2S
        + """
from earshot.sources.i2s import I2SSource
fake = SlotsI2S(bytes(12))
try:
    with I2SSource(16000, 8, i2s=fake) as src:
        raise KeyboardInterrupt   # Ctrl-C while listening
except KeyboardInterrupt:
    pass
src.close()
try:
    I2SSource(16000, 8, gain_bits=17, i2s=fake)
    bad_gain = None
except ValueError as err:
    bad_gain = str(err)
"""
    )
    assert list(target.eval("(fake.deinits, bad_gain)", setup=code)) == [
        1,
        "I2S gain_bits must be 0..16, not 17",
    ]
