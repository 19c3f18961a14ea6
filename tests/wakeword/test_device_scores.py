"""okay_nabu on every target, fed as ESPHome feeds it, against the reference pipeline: the
target's front end (10 ms step) turns a speech stream into frames, every third frame the
frozen model runs on the last three (state carried), and every uint8 score equals the one
LiteRT gives on TensorFlow's features (earshot_host.wakeword_oracle), in order.

Unix: the whole of each committed stream (about 650 invocations each). QEMU boards (every
firmware freezes okay_nabu): the first 2.4 s of one stream (80 invocations; the emulated
UART carries the audio)."""

from __future__ import annotations

import numpy as np
import pytest
from wakeword_support import STREAMS, oracle, samples

from earshot_host.runner.result import b64_literal

SETUP = """
import earshot, _earshot
_m = earshot.Model.frozen('okay_nabu')
_fe = earshot.Frontend(_m)
_m.release_metadata()  # qemu_m0's 20 KB heap: keep only what the loop needs
_frame = bytearray(_fe.features)
_n = 0
import gc
gc.collect()
def _hops(data):
    global _n
    mv = memoryview(data)
    step = 2 * _fe.hop
    out = bytearray(len(mv) // step // 3 + 1)
    k = 0
    for i in range(0, len(mv) - step + 1, step):
        if _fe.process(mv[i:i + step], _frame):
            _earshot.shift_in(_m.input, _frame)
            _n += 1
            if _n % 3 == 0:
                _m.invoke()
                out[k] = _m.output[0] & 0xFF  # uint8 (a 'b' view before the bindings WP)
                k += 1
    for v in memoryview(out)[:k]:
        print(v, end=' ')
    print()
"""


def device_scores(target, x: np.ndarray) -> np.ndarray:
    runner = target.runner
    data = np.asarray(x, "<i2")[: len(x) // 160 * 160].tobytes()
    runner.run("pass").check()
    out: list[str] = []
    if not runner.keeps_state:
        expr = runner.upload("stream.pcm", data)
        out = runner.run(SETUP + f"_hops({expr})\n", 600).check().split()
    else:
        runner.run(SETUP, 120, soft_reset=False).check()
        chunk = min(max(1, runner.chunk // 320) * 320, 640)  # small: qemu_m0 has ~3 KB left
        for start in range(0, len(data), chunk):
            piece = b64_literal(data[start : start + chunk])
            out += runner.run(f"_hops({piece})", 600, soft_reset=False).check().split()
    return np.array([int(v) for v in out], dtype=np.int64)


@pytest.mark.kinds("unix", "qemu")
def test_okay_nabu_scores_equal_the_reference(target):
    unix = target.board.kind == "unix"
    for stream in STREAMS if unix else STREAMS[:1]:
        x = samples(stream) if unix else samples(stream)[: 16000 * 24 // 10 + 320]
        got = device_scores(target, x)
        expected = oracle("okay_nabu", stream).scores.astype(np.int64)
        if not unix:
            expected = expected[: len(got)]
        assert len(got) == len(expected) > 0
        np.testing.assert_array_equal(got, expected, err_msg=stream)
        if unix:
            assert got.max() > 200, "the stream should wake the model at least once"
