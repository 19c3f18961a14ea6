"""A board hearing audio over its console survives a noisy line: garbage, half lines,
oversized lines, bad CRCs and gaps are counted, never crash it, and the words planted in
the audio are still detected."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest

from earshot_host.listen import (
    listen_code,
    listen_qemu_lines,
    listen_serial,
    listen_unix_stream,
    model_hop,
)
from earshot_host.scenes import Placement, compose
from earshot_host.uart_stream import audio_lines, encode_block

MODEL = "micro_speech"


def wrong_crc(line: bytes) -> bytes:
    """The line with a CRC of the right form (8 hex digits) that does not match its
    samples: its only defect."""
    tag, seq, crc, payload = line.split(b" ")
    bad = b"%08x" % (int(crc, 16) ^ 0x00010000)
    damaged = b" ".join((tag, seq, bad, payload))
    assert re.fullmatch(rb"a \d+ [0-9a-f]{8} [A-Za-z0-9+/=]+\n", damaged) and damaged != line
    return damaged


def noisy_lines(samples, hop):
    """The stream with damage planted in it; returns (lines, malformed, lost blocks)."""
    lines = list(audio_lines(samples, hop))
    garbage = [
        b"\x00\xff garbage \x13\x37\n",  # binary junk
        lines[40][: len(lines[40]) // 2] + b"\n",  # half a line
        b"a " + b"9" * 5000 + b"\n",  # oversized
        lines[60].replace(b" ", b" f", 2).replace(b" f", b" ", 1),  # CRC field of 9 digits
        b"\n\n\r\n",  # empty lines: skipped, not counted
        encode_block(3, samples[:hop]),  # a replayed old block
    ]
    # Block 80 arrives with a wrong CRC and nothing else wrong: refused (malformed), so
    # its audio is lost too; were the CRC not checked, it would be taken and no block lost.
    damaged = (
        lines[:30] + garbage + lines[30:80] + [wrong_crc(lines[80])] + lines[81:100] + lines[105:]
    )  # blocks 100..104 lost
    return damaged, 6, 6


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
    if target.session_refused(session):
        return  # qemu_m0 (20 KiB of heap), said so
    check(session, malformed, lost)
    # And the board still works afterwards.
    assert target.exec("print(1 + 1)").strip() == "2"


def hostile_lines(samples, hop, long_line):
    """The stream with hostile input planted at 1.5 s, between the stats lines of 1 s and
    2 s: a line of long_line bytes without a line end for that long, NUL and 0xff bytes, a
    flood of short bad lines, Ctrl-C bytes. Returns (lines, malformed)."""
    lines = list(audio_lines(samples, hop))
    flood = [b"a 1 2 3\n"] * 500
    hostile = [
        b"x" * long_line + b"\n",  # far longer than the line buffer
        b"\x00\xff\x00\xff" * 50 + b"\n",  # binary junk
        b"\xff" * 5000 + b"\n",
        b"\x00\n",
        *flood,
        b"\x03\x03\x03\n",  # Ctrl-C: interrupts are off while streaming
        b"\x03" * 3 + b"\n",
        b"\r\r\n",  # empty: skipped, not counted
    ]
    return lines[:75] + hostile + lines[75:], 6 + len(flood)


def test_hostile_input_is_counted_in_bounded_memory(target):
    _, hop = model_hop(MODEL)
    scene = compose([Placement("yes_1000ms", 3_000, 0.0, "yes")], 6_000, -50.0)
    long_line = 1_000_000 if target.board.kind == "unix" else 20_000
    lines, malformed = hostile_lines(scene.samples, hop, long_line)
    if target.board.kind == "unix":
        session = listen_unix_stream(target.board, MODEL, lines, stats_ms=1000)
    else:
        transport = target.runner.fresh_session()
        session = listen_serial(transport, MODEL, np.zeros(0, np.int16), lines=lines, stats_ms=1000)
    if target.session_refused(session):
        return  # qemu_m0 (20 KiB of heap), said so
    check(session, malformed, 0)
    # No byte of the hostile input was kept: the heap is the same before and after it.
    stats = {s["t_ms"]: s for s in session.of_type("stats")}
    assert stats[1000]["heap_free"] == stats[2000]["heap_free"], (stats[1000], stats[2000])
    assert stats[2000]["malformed"] == malformed
    assert target.exec("print(1 + 1)").strip() == "2"


@pytest.mark.kinds("unix")
def test_input_ending_inside_a_line_ends_the_stream(target):
    # Regression: the Unix port reads Ctrl-D at every read after EOF, and read_line waited
    # for a line end forever (a hang at 100% CPU) when the input stopped mid-line.
    _, hop = model_hop(MODEL)
    lines = list(audio_lines(scene_samples()[: 50 * hop], hop))[:-1]  # without the end line
    data = b"".join(lines) + lines[0][:20]
    code = listen_code(MODEL)
    firmware = target.board.firmware_path()
    proc = subprocess.run(
        [str(firmware), "-c", code], input=data, capture_output=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    assert '"type":"end","t_ms":1000}' in out, out
    assert '"malformed":1,' in out, out
