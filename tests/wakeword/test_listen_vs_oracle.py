"""`earshot listen --target unix --model okay_nabu.json` on the committed speech streams
finds the detections the reference pipeline finds (earshot_host.wakeword_oracle:
TensorFlow's front end, LiteRT, ESPHome's rule): the same number, each within one stride
(30 ms) of the reference's time, with the wake word as label; both are counted against the
streams' truth in test_oracle.py."""

from __future__ import annotations

import json

import pytest
from cli_support import earshot
from wakeword_support import STREAMS, STREAMS_DIR, manifest, oracle

STRIDE_MS = 30


@pytest.mark.parametrize("stream", STREAMS)
def test_listen_finds_what_the_reference_finds(stream):
    proc = earshot("listen", "--target", "unix", "--model", str(manifest("okay_nabu")),
                   "--wav", str(STREAMS_DIR / f"{stream}.wav"), "--json")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    messages = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    found = [m for m in messages if m["type"] == "detection"]
    expected = oracle("okay_nabu", stream).detections
    assert len(found) == len(expected), (found, expected)
    for got, want in zip(found, expected, strict=True):
        assert abs(got["t_ms"] - want.t_ms) <= STRIDE_MS
        assert got["label"] == "Okay Nabu"
