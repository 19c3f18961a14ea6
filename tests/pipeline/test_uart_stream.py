"""A board hearing audio over its console survives a noisy line: garbage, half lines,
oversized lines, bad CRCs and gaps are counted, never crash it, and the words planted in
the audio are still detected."""

from __future__ import annotations

from earshot_host.listen import listen_qemu_lines, listen_unix_stream, model_hop
from earshot_host.scenes import Placement, compose
from earshot_host.uart_stream import audio_lines, encode_block

MODEL = "micro_speech"


def noisy_lines(samples, hop):
    """The stream with damage planted in it; returns (lines, malformed, lost blocks)."""
    lines = list(audio_lines(samples, hop))
    garbage = [
        b"\x00\xff garbage \x13\x37\n",  # binary junk
        lines[40][: len(lines[40]) // 2] + b"\n",  # half a line
        b"a " + b"9" * 5000 + b"\n",  # oversized
        lines[60].replace(b" ", b" f", 2).replace(b" f", b" ", 1),  # CRC field damaged
        b"\n\n\r\n",  # empty lines: skipped, not counted
        encode_block(3, samples[:hop]),  # a replayed old block
    ]
    damaged = lines[:30] + garbage + lines[30:100] + lines[105:]  # blocks 100..104 lost
    return damaged, 5, 5


def check(session, expected_malformed, expected_lost):
    assert session.error.strip() == "", session.error
    stats = session.of_type("stats")[-1]
    assert stats["malformed"] == expected_malformed
    assert stats["overruns"] == expected_lost
    labels = [d["label"] for d in session.detections]
    assert labels == ["yes"]


def scene_samples():
    return compose([Placement("yes_1000ms", 3_000, 0.0, "yes")], 6_000, -50.0).samples


def test_noisy_stream_is_counted_and_survived(target):
    _, hop = model_hop(MODEL)
    lines, malformed, lost = noisy_lines(scene_samples(), hop)
    if target.board.kind == "unix":
        session = listen_unix_stream(target.board, MODEL, lines)
    else:
        session = listen_qemu_lines(target.runner, MODEL, lines)
    if target.pipeline_refused(session.error):
        return
    check(session, malformed, lost)
    # And the board still works afterwards.
    assert target.exec("print(1 + 1)").strip() == "2"
