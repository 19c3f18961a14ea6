"""Audio time never wraps: a stream heard with its clock started near 2**30, 2**31, 2**32
ms and 40 days (`--t0-ms`) gives the same labels and count as without, every t_ms
shifted by exactly t0 (real audio on the Unix port, which reads the WAV itself; on every
board a real stream over the UART past 2**32 ms, and a pipeline of scripted scores across
every boundary, compared with the same run from 0 and allocating nothing per hop, its
detection and stats lines included); counts print exactly past every boundary."""

from __future__ import annotations

import json

import pytest
from scripted_pipeline import SNIPPET

from earshot_host.listen import Session, listen_serial, listen_unix, model_hop
from earshot_host.scenes import Placement, compose, write_scene

MODEL = "micro_speech"
DAY_MS = 86_400_000
# Each clock is started 1 s before its boundary: the word's detection (at ~1.5 s) and the
# later stats lines fall after it, the hello and the start before.
BOUNDARIES = (2**30, 2**31, 2**32, 40 * DAY_MS)
T0S = (0,) + tuple(b - 1_000 for b in BOUNDARIES)


def scene():
    return compose([Placement("yes_1000ms", 200, 0.0, "yes")], 2_000, -60.0)


def timeline(session: Session) -> list[tuple[str, int, str | None]]:
    assert not session.of_type("error") and not session.error.strip(), session.error
    return [
        (m["type"], m["t_ms"], m.get("label"))
        for m in session.messages
        if m["type"] in ("detection", "stats", "end")
    ]


@pytest.mark.kinds("unix")
def test_a_clock_started_anywhere_shifts_every_time_exactly(target, tmp_path):
    wav = tmp_path / "scene.wav"
    write_scene(wav, scene())
    args = ("--stats-ms", "500")
    runs = [
        listen_unix(target.board, MODEL, wav, extra_args=(*args, "--t0-ms", str(t0))) for t0 in T0S
    ]
    base = timeline(runs[0])
    assert [label for kind, _, label in base if kind == "detection"] == ["yes"]
    assert [t for kind, t, _ in base if kind == "stats"] == [500, 1000, 1500, 2000, 2000]
    for t0, run in zip(T0S[1:], runs[1:], strict=True):
        assert timeline(run) == [(kind, t + t0, label) for kind, t, label in base], t0
        # The boundary is crossed inside the stream, by the detection's time too.
        detection = next(t for kind, t, _ in timeline(run) if kind == "detection")
        assert detection > t0 + 1_000


@pytest.mark.kinds("qemu")
def test_a_board_hears_a_stream_past_2_to_the_32_ms(target):
    # Over the UART with `--t0-ms` on the device's command line: the clock crosses
    # 2**32 ms one second in. Stats and end land on exact times; the word is heard once,
    # within 0.5 s of its end plus 250 ms of averaging (as in test_scenes.py).
    _, hop = model_hop(MODEL)
    t0 = 2**32 - 1_000
    audio = scene()
    transport = target.runner.fresh_session()
    session = listen_serial(
        transport,
        MODEL,
        audio.samples,
        stats_ms=500,
        device_args=("--t0-ms", str(t0)),
    )
    if target.session_refused(session):
        return  # qemu_m0: the 20 KiB heap, said so
    got = timeline(session)
    assert [t for kind, t, _ in got if kind == "stats"] == [t0 + k * 500 for k in (1, 2, 3, 4, 4)]
    assert got[-1] == ("end", t0 + 2_000, None)
    detections = [(t, label) for kind, t, label in got if kind == "detection"]
    assert [label for _, label in detections] == ["yes"]
    (word,) = audio.events
    assert abs(detections[0][0] - (t0 + word.end_ms + 250)) <= 500


COUNTS = """
import gc
from earshot import clock
from earshot.protocol import put
def run(t0, hops, hop_ms):
    c = clock.counts(t0)
    gc.collect()
    before = gc.mem_alloc()
    n = hops
    while n:
        clock.add(c, clock.MS, hop_ms)
        clock.add(c, clock.HOPS, 1)
        put(c, clock.MS)
        print(' ', end='')
        n -= 1
    print()
    return gc.mem_alloc() - before
"""


def test_counts_are_exact_past_every_boundary_without_allocating(target):
    for boundary in BOUNDARIES + (10**9, 2 * 10**9, 10**12):
        t0 = boundary - 50
        out = target.exec(COUNTS + f"print(run({t0}, 10, 10))")
        printed, allocated = out.strip().splitlines()
        assert [int(v) for v in printed.split()] == [t0 + 10 * k for k in range(1, 11)]
        assert allocated.strip() == "0"


# A pipeline started 10 s before each boundary, hearing silence through micro_speech's
# front end with a stand-in model that scores "yes" on a fixed schedule: the heap does
# not move over the hops that cross the boundary, detection and stats lines included.
STEADY = (
    SNIPPET
    + """
YES = bytes((0x80, 0x80, 127, 0x80))
SIL = bytes((127, 0x80, 0x80, 0x80))
def _score(self, n):
    return YES if n % 60 < 24 else SIL
Scripted.score = _score  # (a subclass would cost qemu_m0 the heap it has not got)
"""
)


def test_the_pipeline_allocates_nothing_across_the_boundaries(target):
    # 700 hops of 20 ms from t0 = boundary - 10 s: hops 200..700 are measured (the window
    # and the detector warm, the boundary at hop 500), with stats every second; the same
    # run from 0 gives the same lines 10 s - boundary earlier.
    def run(t0: int) -> tuple[int, int, list[tuple[str, int, str | None]]]:
        code = STEADY + (
            f"l = Listener(Scripted(), stats_ms=1000, t0_ms={t0})\n"
            "src = Silence(700, (500, 0))\n"
            "l.run(src)\n"
            "print('marks', src.marks[1] - src.marks[0])\n"
        )
        out = target.exec(code, timeout=600)
        lines = out.strip().splitlines()
        delta = int(lines[-1].split()[1])
        messages = [json.loads(x) for x in lines if x.startswith("{")]
        # Lines printed between the marks (hop 200 on): detections and stats.
        printed = sum(m["type"] in ("detection", "stats") and m["t_ms"] > t0 + 4_000
                      for m in messages)  # fmt: skip
        return delta, printed, timeline(Session(messages=messages))

    _, _, base = run(0)
    assert sum(kind == "detection" for kind, _, _ in base) >= 4
    for boundary in BOUNDARIES:
        t0 = boundary - 10_000
        delta, printed, got = run(t0)
        assert got == [(kind, t + t0, label) for kind, t, label in base], boundary
        assert any(kind == "detection" and t > boundary for kind, t, _ in got)
        assert printed >= 10
        assert delta == 0, (boundary, delta)
