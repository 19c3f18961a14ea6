"""The audio front ends on every target: earshot.Frontend (C, tables from the model file)
equals the host fixed-point references integer for integer, hence TF-bit-exact for
tflm_micro and, for mfcc and logmel, equal to tf.signal's int8 values except at the one
value per front end measured to differ by 1 LSB (MISMATCHES); no
allocation per hop; bad buffers and bad tables refused with a clear error.

The models are the frozen ones (models/*.esm, built into every firmware); the host side
reads the same tables back from the same files. The Unix port streams every committed
clip; the QEMU boards a few clips (streaming 1 s takes ~50 round trips on small boards).
"""

from __future__ import annotations

import ast
from functools import cache

import numpy as np
import pytest

from earshot_host.features import (
    device_features,
    device_frames,
    gain_constants,
    model_frontend,
    reference_features,
)
from earshot_host.frontend.mfcc import clip_gain
from earshot_host.frontend.wav import read_wav
from earshot_host.frontend_goldens import CLIPS as GOLDEN_CLIPS
from earshot_host.model_spec import resolve_model
from earshot_host.paths import project_root

ROOT = project_root()
AUDIO = ROOT / "tests" / "data" / "audio"
GOLDENS = ROOT / "tests" / "data" / "frontend"
TFLM_REFERENCE = GOLDENS / "tflm_reference"
MODEL_OF_KIND = {"tflm_micro": "micro_speech", "mfcc": "mlperf_kws", "logmel": "mlperf_sww"}
ALL_CLIPS = GOLDEN_CLIPS  # the clips of tests/data/frontend (frontend_goldens.py)


@cache
def frontend(kind: str):
    return model_frontend(resolve_model(MODEL_OF_KIND[kind]))


@cache
def clip(name: str) -> np.ndarray:
    return read_wav(AUDIO / f"{name}.wav").samples


def synthetic(n: int = 8000) -> np.ndarray:
    """Edge cases: full-scale square waves (int16 extremes), a loud chirp, silence, a
    lone 1, a single-sample click and quiet noise, in 0.5 s."""
    rng = np.random.default_rng(1234)
    t = np.arange(n)
    x = np.zeros(n, dtype=np.int64)
    q = n // 5
    x[:q] = np.where((t[:q] // 7) % 2, 32767, -32768)
    x[q : 2 * q] = np.round(30000 * np.sin(2 * np.pi * (200 + 3 * t[:q]) * t[:q] / 16000))
    x[2 * q + 100] = 1  # alone in its frames: tiny windowed values (no normalization shift)
    x[3 * q + 100] = -32768
    x[4 * q :] = rng.integers(-40, 41, n - 4 * q)
    return x.astype(np.int16)


# (kind, clip) -> the (frame, value) positions where earshot's int8 features differ from
# TF's float pipeline after rounding (each by 1 LSB), measured with TF 2.21: every other
# value of every clip is equal. (The model files' tables are built with the models' own
# input scales, so logmel's positions differ from tests/frontend/'s, built with 0.003701:
# 12 of 10 x 1,200 values here, 1 there.)
MISMATCHES = {
    ("mfcc", "chirp_1000ms"): [(19, 2)],
    ("logmel", "yes_1000ms"): [(10, 23), (15, 12), (19, 34)],
    ("logmel", "no_1000ms"): [(21, 8)],
    ("logmel", "noise_1000ms"): [(9, 33), (20, 27)],
    ("logmel", "white_m10dbfs_1000ms"): [(4, 38), (12, 34)],
    ("logmel", "white_m30dbfs_1000ms"): [(24, 13)],
    ("logmel", "white_m50dbfs_1000ms"): [(17, 26)],
    ("logmel", "white_full_scale_1000ms"): [(10, 20), (26, 27)],
}


def assert_tf_agreement(kind: str, name: str, got: np.ndarray, golden: np.ndarray) -> None:
    """got equals the TF golden's first frames except at the measured positions, where
    they differ by exactly 1."""
    diff = got.astype(np.int64) - golden[: len(got)].astype(np.int64)
    expected = [(f, v) for f, v in MISMATCHES.get((kind, name), []) if f < len(got)]
    assert [tuple(p) for p in np.argwhere(diff != 0).tolist()] == expected, (kind, name)
    assert all(abs(int(diff[f, v])) == 1 for f, v in expected)


# ---------------------------------------------------------------- exactness
# Each clip is streamed once per target and front end; every assertion uses that stream.


def excerpt(target, x: np.ndarray, seconds: float) -> np.ndarray:
    """The whole clip on the Unix port; its first `seconds` on QEMU boards (the frames of
    a prefix are the first frames of the whole clip: the front end is causal)."""
    return x if target.board.kind == "unix" else x[: int(seconds * 16000)]


def test_tflm_micro_equals_reference_and_tf(target):
    """Raw uint16 frames equal TensorFlow's audio_microfrontend (and the host reference);
    int8 frames equal the host reference, the TF int8 goldens and (whole clips, Unix port)
    the legacy TFLM spectrograms 1960 / 1960."""
    fe = frontend("tflm_micro")
    legacy = {
        "yes_1000ms": "legacy_yes_micro_features_49x40.npy",
        "no_1000ms": "legacy_no_micro_features_f9643d42_nohash_4_49x40.npy",
    }
    names = ALL_CLIPS if target.board.kind == "unix" else ["yes_1000ms"]
    for name in names:
        x = excerpt(target, clip(name), 0.5)
        q, raw = device_frames(target.runner, fe, x, raw=True)
        n = len(q)
        np.testing.assert_array_equal(raw, reference_features(fe, x, raw=True), err_msg=name)
        np.testing.assert_array_equal(q, reference_features(fe, x), err_msg=name)
        golden_raw = np.load(GOLDENS / f"tflm_micro_{name}.npy")[:n]
        np.testing.assert_array_equal(raw, golden_raw, name)
        golden_q = np.load(GOLDENS / f"tflm_micro_{name}_int8.npy")[:n]
        np.testing.assert_array_equal(q, golden_q, name)
        if name in legacy and n == 49:
            word = name.split("_")[0]
            tf_raw = (
                TFLM_REFERENCE / f"computed_tf_microfrontend_{word}_1000ms_raw_uint16_49x40.npy"
            )
            np.testing.assert_array_equal(raw, np.load(tf_raw))
            assert int(np.sum(q == np.load(TFLM_REFERENCE / legacy[name]))) == 1960


def test_mfcc_equals_reference_and_within_one_lsb_of_tf(target):
    """With the training's per-clip gain 1/max(x) (set_gain), device MFCCs equal the host
    pipeline and tf.signal's int8 values but at the measured positions (±1). The Unix port
    also runs every clip at the tables' fixed gain (1/32768)."""
    fe = frontend("mfcc")
    names = ALL_CLIPS if target.board.kind == "unix" else ["no_1000ms"]
    for name in names:
        whole = clip(name)
        g = clip_gain(whole)
        x = excerpt(target, whole, 0.5)
        got = device_features(target.runner, fe, x, gain=g)
        np.testing.assert_array_equal(got, reference_features(fe, x, gain=g), err_msg=name)
        assert_tf_agreement("mfcc", name, got, np.load(GOLDENS / f"mfcc_{name}_int8.npy"))
        if target.board.kind == "unix":
            got = device_features(target.runner, fe, x)
            np.testing.assert_array_equal(got, reference_features(fe, x), err_msg=name)


def test_logmel_equals_reference_and_within_one_lsb_of_tf(target):
    fe = frontend("logmel")
    names = ALL_CLIPS if target.board.kind == "unix" else ["marvin_617de221_0"]
    for name in names:
        x = excerpt(target, clip(name), 0.6)
        got = device_features(target.runner, fe, x)
        np.testing.assert_array_equal(got, reference_features(fe, x), err_msg=name)
        assert_tf_agreement("logmel", name, got, np.load(GOLDENS / f"logmel_{name}_int8.npy"))


@pytest.mark.parametrize("kind", ["tflm_micro", "mfcc", "logmel"])
def test_synthetic_edge_cases_equal_host_reference(target, kind):
    fe = frontend(kind)
    x = synthetic(16000 if target.board.kind == "unix" else 4000)
    got = device_features(target.runner, fe, x)
    assert len(got) > 0
    np.testing.assert_array_equal(got, reference_features(fe, x))


# Test blocks for Frontend.fft, made by the same code on the target and on the host (no
# floating point): full-scale noise, square waves at the type's extremes, a lone minimum,
# all-minimum, a full-scale triangle, quiet noise.
FFT_BLOCKS = """
def fft_block(pattern, size, bits, seed):
    lo = -(1 << (bits - 1))
    hi = -lo - 1
    mask = (1 << bits) - 1
    x = seed
    for i in range(size):
        if pattern in (0, 5) or pattern > 5:
            x = (x * 1103515245 + 12345) & 0x7FFFFFFF
            y = (x * 1103515245 + 12345) & 0x7FFFFFFF
            x = y
            v = ((x << 9) ^ (y >> 7) ^ i) & mask
            v = v - mask - 1 if v > hi else v
            if pattern == 5:
                v = v % 81 - 40
        elif pattern == 1:
            v = hi if (i // 3) % 2 else lo
        elif pattern == 2:
            v = lo if i == 5 else 0
        elif pattern == 3:
            v = lo
        else:
            p = i % 64
            v = lo + ((hi - lo) * (p if p < 32 else 64 - p)) // 32
        yield v
"""

FFT = (
    FFT_BLOCKS
    + """
import array, binascii, earshot
fe = earshot.Frontend({source})
buf = array.array({code!r}, bytes({nbytes}))
view = memoryview(buf)
for pattern in range({count}):
    for i, v in enumerate(fft_block(pattern, {size}, {bits}, pattern + 1)):
        buf[i] = v
    fe.fft(buf)
    for k in range(0, len(buf), 64):
        print(binascii.hexlify(bytes(view[k : k + 64])).decode(), end="")
    print()
"""
)


@pytest.mark.parametrize("kind", ["tflm_micro", "mfcc", "logmel"])
def test_fft_equals_kissfft_reference(target, kind):
    """Frontend.fft (the optimized FFT where the build has one) equals the host's KISS FFT
    integer semantics (kissfft_fixed.py) bin for bin, at the extremes of the sample type."""
    from earshot_host.frontend.kissfft_fixed import real_fft

    plan = frontend(kind).tables.fft_plan()
    count = 10 if target.board.kind == "unix" else 6
    code = FFT.format(
        source=FROZEN.format(MODEL_OF_KIND[kind]),
        code="h" if plan.bits == 16 else "i",
        nbytes=(plan.size + 2) * plan.bits // 8,
        count=count,
        size=plan.size,
        bits=plan.bits,
    )
    state_and_buffer = 2 * (plan.size + 2) * plan.bits // 8 + 2048
    if target.board.heap_bytes and target.board.heap_bytes < 2 * state_and_buffer:
        # qemu_m0 (20 KiB heap) cannot hold the log-mel state and a 4 KiB array beside
        # the test's own code: refused cleanly, and the board goes on.
        result = target.run(code, timeout=300)
        assert not result.ok and "MemoryError" in result.error
        assert target.eval("1 + 1") == 2
        return
    lines = target.exec(code, timeout=300).strip().split("\n")
    dtype = np.dtype("<i2" if plan.bits == 16 else "<i4")
    got = np.array([np.frombuffer(bytes.fromhex(line), dtype) for line in lines], np.int64)
    space: dict = {}
    exec(FFT_BLOCKS, space)
    blocks = np.array(
        [list(space["fft_block"](p, plan.size, plan.bits, p + 1)) for p in range(count)],
        dtype=np.int64,
    )
    assert blocks.min() == -(1 << (plan.bits - 1)) and blocks.max() == (1 << (plan.bits - 1)) - 1
    re, im = real_fft(plan, blocks)
    expected = np.stack([re, im], axis=-1).reshape(count, plan.size + 2)
    np.testing.assert_array_equal(got, expected)


def test_fft_refuses_wrong_buffers(target):
    out = target.exec(
        "import array, earshot\n"
        f"fe = earshot.Frontend({FROZEN.format('micro_speech')})\n"
        "for b in (array.array('i', bytes(4 * 514)), array.array('h', bytes(2 * 512))):\n"
        "    try:\n"
        "        fe.fft(b)\n"
        "    except ValueError as e:\n"
        "        print(e)\n"
        "print(fe.fft(array.array('h', bytes(2 * 514))))\n"
    )
    assert out.split("\n")[:3] == [
        "fft needs an array('h') of 514 values",
        "fft needs an array('h') of 514 values",
        "None",
    ]


# ---------------------------------------------------------------- API and memory

FROZEN = "__import__('earshot_models.{0}', None, None, ('MODEL',)).MODEL"

API = """
import earshot, _earshot
fe = earshot.Frontend({source})
print(repr((fe.kind, fe.sample_rate, fe.hop, fe.window, fe.features, fe.frames, fe.channels,
            fe.fft_size, isinstance(fe, _earshot.Frontend))))
"""


@pytest.mark.parametrize("kind", ["tflm_micro", "mfcc", "logmel"])
def test_attributes(target, kind):
    fe = frontend(kind)
    name = MODEL_OF_KIND[kind]
    # From the frozen bytes everywhere; from an earshot.Model where its arena fits.
    sources = [FROZEN.format(name)]
    if target.board.kind == "unix" or kind == "tflm_micro":
        sources.append(f"earshot.Model.frozen({name!r})")
    channels = int(fe.tables.scalars["channels"])
    for source in sources:
        values = ast.literal_eval(target.exec(API.format(source=source)).strip())
        assert values == (
            kind,
            16000,
            fe.hop,
            fe.window,
            fe.features,
            fe.frames,
            channels,
            int(fe.tables.scalars["fft_size"]),
            True,
        )


MEMORY = """
import gc, time, array, earshot, earshot.frontend
src = {source}
hops = {hops}
x = array.array('h', ((i * 7919) % 4001 - 2000 for i in range(hops * {hop})))
fe = earshot.Frontend(src)  # first use: imports, interned metadata names
fe = out = views = None
a0 = a1 = a2 = a3 = t = t0 = i = n = 0
gc.collect()
a0 = gc.mem_alloc()
fe = earshot.Frontend(src)
gc.collect()
a1 = gc.mem_alloc()
out = bytearray(fe.features)
mv = memoryview(x)
views = [mv[i * fe.hop:(i + 1) * fe.hop] for i in range(hops)]
gc.collect()
a2 = gc.mem_alloc()
for i in range(1000):
    if fe.process(views[i % hops], out):
        n += 1
a3 = gc.mem_alloc()
for i in range(hops):
    t0 = time.ticks_cpu()
    fe.process(views[i], out)
    t += time.ticks_diff(time.ticks_cpu(), t0)
print(fe.state_bytes, a1 - a0, a3 - a2, n, t // hops)
"""


@pytest.mark.parametrize("kind", ["tflm_micro", "mfcc", "logmel"])
def test_state_once_nothing_per_hop(target, kind):
    """State is allocated once, with the object (a second Frontend costs its object and
    nothing else); 1,000 hops allocate nothing. Prints the cost of a hop (core clock
    ticks; x 40 = instructions on the 25 MHz QEMU boards)."""
    fe = frontend(kind)
    hops = 4 if target.board.name == "qemu_m0" else 8
    code = MEMORY.format(source=FROZEN.format(MODEL_OF_KIND[kind]), hops=hops, hop=fe.hop)
    state, created, per_1000, frames, ticks = (int(v) for v in target.exec(code).split())
    # The object is the state; a few hundred bytes of slack for what the conservative GC
    # may still see of the metadata parsed at creation.
    assert created <= state + 512, (created, state)
    assert state >= 2 * fe.window
    assert per_1000 == 0
    assert frames == 999  # every hop but the first completes a frame
    print(f"{target.name} {kind}: state {state} B, {ticks} ticks per hop")


BAD_BUFFERS = """
import earshot, array
fe = earshot.Frontend({source})
good = array.array('h', bytes(2 * fe.hop))
out = bytearray(fe.features)
cases = (
    (array.array('h', bytes(2 * fe.hop - 2)), out),
    (bytearray(2 * fe.hop + 1), out),
    (array.array('f', bytes(2 * fe.hop)), out),
    (array.array('i', bytes(2 * fe.hop)), out),
    (good, bytearray(fe.features + 1)),
    (good, bytes(fe.features)),
    (good, array.array('h', bytes(fe.features))),
    (12, out),
    (good, None),
)
for hop, o in cases:
    try:
        fe.process(hop, o)
        print('accepted')
    except (ValueError, TypeError) as e:
        print(type(e).__name__, str(e).replace(' ', '_'))
try:
    fe.process(good, out, bytearray(3))
    print('accepted')
except (ValueError, TypeError) as e:
    print(type(e).__name__, str(e).replace(' ', '_'))
fe.process(good, out)
print(fe.process(good, out), len(out))
"""


@pytest.mark.parametrize("kind", ["tflm_micro", "logmel"])
def test_bad_buffers_are_refused_and_target_keeps_working(target, kind):
    fe = frontend(kind)
    out = target.exec(BAD_BUFFERS.format(source=FROZEN.format(MODEL_OF_KIND[kind])))
    lines = out.strip().splitlines()
    kinds = [line.split()[0] for line in lines[:-1]]
    assert kinds == [
        "ValueError",
        "ValueError",
        "TypeError",
        "TypeError",
        "ValueError",
        "TypeError",
        "TypeError",
        "TypeError",
        "TypeError",
        "ValueError",
    ]
    assert f"a_hop_is_{fe.hop}_int16_samples" in lines[0]
    assert f"out_must_hold_{fe.features}_int8_features" in lines[4]
    assert lines[-1] == f"True {fe.features}"


BAD_TABLES = """
import earshot, json, _earshot
buf = {source}
_, _, _, off, size = _earshot.check(buf, False)
def meta():
    return json.loads(memoryview(buf)[off:off + size])['frontend']
def attempt(label, md):
    try:
        _earshot.Frontend(buf, md)
        print(label, 'accepted')
    except ValueError as e:
        print(label, str(e).replace(' ', '_'))
md = meta(); md['tables']['fft_perm'][0] = len(buf) - 4
attempt('outside', md)
md = meta(); md['tables']['fb_unweights'][2] -= 1
attempt('count', md)
md = meta(); md['tables']['fb_weights'][2] -= 8; md['tables']['fb_unweights'][2] -= 8
attempt('short', md)
md = meta(); md['tables']['window'][2] = 479
attempt('window', md)
md = meta(); md['tables']['log_lut'][1] = 'int32'
attempt('dtype', md)
md = meta(); del md['tables']['pcan_gain_lut']
attempt('missing', md)
md = meta(); md['scalars']['fft_size'] = 1 << 20
attempt('scalar', md)
md = meta(); md['tables']['fft_factors'][0] = md['tables']['fft_perm'][0]
attempt('factors', md)
md = meta(); md['type'] = 'spectrogram'
attempt('type', md)
md = meta(); del md['tables']
attempt('old', md)
try:
    earshot.Frontend(__import__('earshot_models.mlperf_resnet8', None, None, ('MODEL',)).MODEL)
except ValueError as e:
    print('none', str(e).replace(' ', '_'))
print('ok', earshot.Frontend(buf).features)
"""


def test_bad_tables_are_refused_naming_the_table(target):
    out = target.exec(BAD_TABLES.format(source=FROZEN.format("micro_speech")))
    got = dict(line.split(" ", 1) for line in out.strip().splitlines())
    assert got["outside"] == "frontend_table_fft_perm_lies_outside_the_model_buffer"
    assert got["count"] == "frontend_table_fb_unweights:_count_is_not_that_of_fb_weights"
    assert got["short"] == "frontend_table_fb_weights:_a_channel_reaches_past_the_weights"
    assert got["window"].startswith("frontend_table_window:_count")
    assert got["dtype"] == "frontend_table_log_lut:_dtype_int32,_expected_uint16"
    assert got["missing"] == "frontend_table_pcan_gain_lut_is_missing"
    assert got["scalar"] == "frontend_scalar_fft_size_out_of_range"
    assert got["factors"].startswith("frontend_table_fft_factors:")
    assert got["type"].startswith("frontend_type_spectrogram_is_unknown")
    assert got["old"].startswith("frontend_metadata_has_no_tables")
    assert got["none"] == "model_mlperf_resnet8_has_no_audio_front_end"
    assert got["ok"] == "40"


UNALIGNED = """
import _earshot, array, binascii, json, gc
src = {source}
info = _earshot.check(src, False)
meta = json.loads(memoryview(src)[info[3]:info[3] + info[4]])['frontend']
tables = meta['tables']
size = {{'int16': 2, 'uint16': 2, 'int32': 4}}
lo = min(t[0] for t in tables.values())
hi = max(t[0] + t[2] * size[t[1]] for t in tables.values())
for name in tables:
    tables[name] = [tables[name][0] - lo] + tables[name][1:]
x = array.array('h', ((i * 7919) % 4001 - 2000 for i in range(3 * 320)))
for shift in (0, 1, 3):
    info = buf = fe = None
    gc.collect()
    # the tables alone (a copy of the whole 24 KB model does not fit qemu_m0's heap)
    buf = bytearray(hi - lo + shift)
    buf[shift:] = memoryview(src)[lo:hi]
    fe = _earshot.Frontend(memoryview(buf)[shift:], meta)
    out = bytearray(40)
    mv = memoryview(x)
    for i in range(3):
        fe.process(mv[i * 320:(i + 1) * 320], out)
    print(binascii.hexlify(out).decode())
"""


def test_model_buffer_at_odd_addresses(target):
    """Tables read from a buffer at any address (Cortex-M0 faults on unaligned loads) give
    the same frames."""
    lines = target.exec(UNALIGNED.format(source=FROZEN.format("micro_speech"))).split()
    assert len(lines) == 3 and len(set(lines)) == 1


GAIN = """
import earshot
fe = earshot.Frontend({source})
print(repr(fe.gain()))
fe.set_gain({offset}, {eps})
print(repr((fe.gain(), fe.c0_offset(65536), fe.c0_offset(-3 * 65536))))
for bad in ((1 << 40,), (0, -1)):
    try:
        fe.set_gain(*bad)
    except ValueError as e:
        print('ValueError')
print(repr(fe.gain()))
"""


def test_mfcc_gain_api(target):
    fe = frontend("mfcc")
    s = fe.tables.scalars
    offset, eps = gain_constants(fe, 1.0 / 1000)
    out = target.exec(GAIN.format(source=FROZEN.format("mlperf_kws"), offset=offset, eps=eps))
    lines = out.strip().splitlines()
    assert ast.literal_eval(lines[0]) == (s["log_offset_q16"], s["eps_q"])
    row = int(fe.tables.arrays["dct"][0].astype(np.int64).sum())
    assert ast.literal_eval(lines[1]) == (
        (offset, eps),
        (row * 65536) >> 24,
        (row * -3 * 65536) >> 24,
    )
    assert lines[2:4] == ["ValueError", "ValueError"]
    assert ast.literal_eval(lines[4]) == (offset, eps)


NORMALIZE = """
import earshot, _earshot
from array import array
fe = earshot.Frontend({source})
n = fe.frames * fe.features
before = bytearray(n)
for f in range(fe.frames):
    before[f * fe.features] = (f * 37) & 0xFF
    before[f * fe.features + 1] = 0x55
w = bytearray(n)
peaks = array('h', bytes(2 * fe.frames))
for peak in {peaks}:
    peaks[3] = peak
    _earshot.copy(w, before)
    print(fe.normalize(w, peaks), bytes(w).hex())
print(_earshot.peak(array('h', [-5, 1200, -32768, 1199])), _earshot.peak(array('h', [-9, -7])))
for bad in ((bytearray(fe.features + 1), peaks), (bytearray(fe.features), array('h'))):
    try:
        fe.normalize(*bad)
    except (ValueError, TypeError) as e:
        print(type(e).__name__)
"""


def test_mfcc_peak_normalization(target):
    """normalize(window, peaks) adds to coefficient 0 of every frame the change of scaling
    the audio by 1 / max(peaks) instead of 1/32768 (sum of DCT row 0 times log2(32768 /
    peak), rounded; log2 as the front end's LUT computes it), saturated to the int8 range;
    nothing else changes."""
    from earshot_host.frontend.fixed_math import log2_q16

    fe = frontend("mfcc")
    s = fe.tables.scalars
    peaks = [32767, 8000, 300, 1, 0, -50]
    out = target.exec(NORMALIZE.format(source=FROZEN.format("mlperf_kws"), peaks=peaks))
    lines = out.strip().splitlines()
    results = [(int(a), b) for a, b in (line.split() for line in lines[: len(peaks)])]
    lines = lines[len(peaks) - 1 :]
    row = int(fe.tables.arrays["dct"][0].astype(np.int64).sum())
    lut = fe.tables.arrays["log2_lut"]
    frames, features = 49, int(s["coefficients"])
    base = np.zeros((frames, features), dtype=np.int64)
    base[:, 0] = ((np.arange(frames) * 37) & 0xFF).astype(np.uint8).view(np.int8)
    base[:, 1] = 0x55
    for peak, (steps, window_hex) in zip(peaks, results, strict=True):
        log2_peak = int(log2_q16(np.array([max(peak, 1)], dtype=np.uint64), lut)[0])
        steps_q16 = (row * ((15 << 16) - log2_peak)) >> int(s["dct_frac_bits"])
        want = (steps_q16 + 32768) >> 16
        assert steps == want, (peak, steps, want)
        expect = base.copy()
        expect[:, 0] = np.clip(expect[:, 0] + want, int(s["out_min"]), int(s["out_max"]))
        got = np.frombuffer(bytes.fromhex(window_hex), dtype=np.int8).reshape(frames, features)
        assert np.array_equal(got, expect), peak
    assert abs(results[0][0]) <= 1  # full scale: (almost) no change
    assert results[2][0] > results[1][0] > 0  # quieter audio, larger c0 boost
    assert lines[1].split() == ["1200", "-7"]
    assert lines[2:] == ["ValueError", "TypeError"]
