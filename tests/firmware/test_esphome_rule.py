"""The device's ESPHome rule (earshot.esphome, running sums) detects on exactly the frames
that a plain transcription of ESPHome's rule (earshot_host.esphome_rule) does, on random
score streams, on every target; and a pipeline whose model's metadata names the rule
runs it on every hop."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scripted_pipeline import SNIPPET

from earshot_host.esphome_rule import EsphomeRule, cutoff_u8, detection_frames

DEVICE = """
from earshot.esphome import EsphomeDetector
def run(data, stride, threshold, window, holdoff, hop_ms=10):
    d = EsphomeDetector(('ww',), hop_ms, stride, window * stride * hop_ms, threshold,
                        holdoff * hop_ms)
    out = bytearray(1)
    found = []
    frame = 0
    for q in data:
        for k in range(stride):
            frame += 1
            if k == stride - 1:
                out[0] = q
                hit = d.update(1, out)
            else:
                hit = d.update(1, None)
            if hit == 0:
                found.append(frame)
    return found
"""


def score_stream(rng: np.random.Generator, n: int) -> bytes:
    """uint8 outputs: low noise, with bursts (words) of high values of random length and
    height, some just around typical cutoffs."""
    q = rng.integers(0, 60, n)
    at = 0
    while True:
        at += int(rng.integers(5, 60))
        if at >= n:
            break
        length = int(rng.integers(1, 12))
        q[at : at + length] = rng.integers(int(rng.integers(150, 250)), 256, min(length, n - at))
    return bytes(int(v) for v in q)


CASES = [  # (seed, stride, probability_cutoff, sliding_window_size, holdoff_frames)
    (1, 3, 0.97, 5, 100),
    (2, 3, 0.5, 3, 100),
    (3, 1, 0.8, 1, 7),
    (4, 2, 0.9, 8, 0),
    (5, 3, 0.62, 4, 30),
]


def test_the_transcription_follows_the_description():
    # Hand-made: cutoff 0.5 -> 127, window 2, hold-off 3, a model run every frame.
    assert cutoff_u8(0.97) == 247 and cutoff_u8(0.5) == 127
    rule = EsphomeRule(0.5, 2, 3)
    outputs = [200, 200, 200, 0, 0, 0, 255, 255, 255]
    hits = [rule.frame(q) for q in outputs]
    # Frames 1-3: the newest output is above the cutoff, so the counter (-3) stays (the
    # sum of 400 on frame 2 is held off); it counts from frame 4 (0 is below) and reaches
    # 0 on frame 6; frame 7 sums 255 > 254. Then the counter is back at -3.
    assert hits == [False] * 6 + [True, False, False]
    # A run every 3 frames: the counter counts on the frames in between too (the newest
    # output is the cleared 0 after a detection): cutoff 229, window 2, hold-off 2.
    assert detection_frames([255, 255, 255, 255], 3, 0.9, 2, 2) == [6, 12]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"seed{c[0]}")
def test_device_rule_matches_the_transcription(target, case):
    seed, stride, cutoff, window, holdoff = case
    data = score_stream(np.random.default_rng(seed), 600)
    expected = detection_frames(data, stride, cutoff, window, holdoff)
    assert len(expected) >= 3  # the stream exercises the rule
    got = target.eval(f"run({data!r}, {stride}, {cutoff}, {window}, {holdoff})", setup=DEVICE)
    assert got == expected


# A pipeline with the rule: micro_speech's front end and window of 49 frames, a stand-in
# model whose uint8 output follows a script (one value per inference), and metadata
# naming the esphome rule with an inference every 3 hops (tests/scripted_pipeline.py).
PIPELINE = (
    SNIPPET
    + """
class Script(Scripted):
    labels = ['ww']
    output_quant = (0.00390625, 0)
    @property
    def metadata(self):
        return {'name': 'scripted', 'labels': ['ww'], 'frontend': real.metadata['frontend'],
                'streaming': {'hops_per_inference': 3},
                'detector': {'rule': 'esphome', 'threshold': 0.9, 'sliding_window': 2,
                             'holdoff_frames': 4}}
    def score(self, n):
        return bytes((SCRIPT[n - 1] if n <= len(SCRIPT) else 0,))
l = Listener(Script(), stats_ms=0)
l.run(Silence(HOPS))
"""
)


def test_a_pipeline_runs_the_rule_on_every_hop(target):
    script = bytes([0, 0, 255, 255, 255, 255, 0, 0, 0, 0, 250, 250, 10])
    hops = 49 + 3 * len(script)
    out = target.exec(PIPELINE.replace("SCRIPT", repr(script)).replace("HOPS", str(hops)))
    messages = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
    hello = messages[0]
    assert hello["settings"] == {
        "rule": "esphome",
        "threshold": 0.9,
        "average_ms": 2 * 3 * 20,
        "suppress_ms": 4 * 20,
        "min_count": None,
        "every": 3,
        "gate": None,
    }
    # Every hop is a frame of the rule; the first inference is on hop 51 (the window of
    # 49 frames full, on a third hop), a detection's time the end of its hop.
    frames = detection_frames(script, 3, 0.9, 2, 4, first_frame=51)
    expected = [f * 20 for f in frames]
    assert [m["t_ms"] for m in messages if m["type"] == "detection"] == expected
    assert len(expected) == 2
