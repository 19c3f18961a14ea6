"""`earshot calibrate`: the host replays the device's own detector on a score trace and
gets exactly the detections a board prints with those settings; calibrate writes a
settings file that `listen` uses; `flash-model --settings` carries it onto a QEMU board,
whose hello then shows it."""

from __future__ import annotations

import json
import re

import pytest

from earshot_host.boards import load_boards
from earshot_host.cli import main
from earshot_host.detector_settings import load, source_with_settings
from earshot_host.flash_model import flash_model
from earshot_host.listen import listen_unix
from earshot_host.model_spec import resolve_model
from earshot_host.paths import project_root
from earshot_host.replay import ScoreTrace, model_metadata, replay
from earshot_host.runner.qemu import QemuBoard
from earshot_host.scenes import Placement, compose, write_scene


def scene_wav(tmp_path, name: str, placements, ms: int, noise: float = -55.0):
    scene = compose(placements, ms, noise)
    wav = tmp_path / f"{name}.wav"
    write_scene(wav, scene)
    csv = wav.with_suffix(".csv")
    csv.write_text(
        "label,start_s,end_s\n"
        + "".join(f"{e.label},{e.start_ms / 1000},{e.end_ms / 1000}\n" for e in scene.events)
    )
    return wav


SPEECH = [
    Placement("yes_1000ms", 1_000, 0.0, "yes"),
    Placement("no_1000ms", 3_500, -6.0, "no"),
    Placement("yes_1000ms", 6_000, -18.0, "yes"),
    Placement("noise_1000ms", 8_500, -6.0),
    Placement("no_1000ms", 10_500, 6.0, "no"),
]
MARVIN = [
    Placement("marvin_617de221_0", 1_000, 0.0, "marvin"),
    Placement("yes_1000ms", 4_000, 0.0),
    Placement("marvin_617de221_0", 7_000, -12.0, "marvin"),
]
SETTINGS = [
    {},
    {"threshold": 0.5, "min_count": 1},
    {"threshold": 0.4, "average_ms": 500, "suppress_ms": 300, "min_count": 2},
    {"threshold": 0.6, "every": 4},
]


def printed(session) -> list[tuple[float, str, float]]:
    assert not session.error.strip(), session.error
    return [(d["t_ms"] / 1000, d["label"], d["score"]) for d in session.detections]


@pytest.mark.kinds("unix")
@pytest.mark.parametrize(
    ("model", "placements"), [("micro_speech", SPEECH), ("mlperf_sww", MARVIN)]
)
def test_the_replay_detects_exactly_as_the_board_does(target, tmp_path, model, placements):
    from earshot_host.detector_settings import device_args

    wav = scene_wav(tmp_path, model, placements, 13_000)
    meta = model_metadata(model)
    traced = listen_unix(target.board, model, wav, extra_args=("--scores",))
    trace = ScoreTrace.from_messages(traced.messages)
    total = 0
    for settings in SETTINGS:
        if model == "mlperf_sww" and "every" in settings:
            continue  # its trace has an inference every hop: every=4 is the same check
        board = listen_unix(target.board, model, wav, extra_args=tuple(device_args(settings)))
        expected = printed(board)
        got = [(d.t_s, d.label, d.score) for d in replay(trace, meta, settings)]
        assert got == expected, settings
        total += len(expected)
    assert total >= 5


@pytest.mark.kinds("unix")
def test_calibrate_writes_settings_that_listen_uses(target, tmp_path, capsys):
    positives = scene_wav(tmp_path, "positives", SPEECH, 13_000)
    negatives = scene_wav(
        tmp_path,
        "negatives",
        [Placement("noise_1000ms", 2_000 * k, -6.0) for k in range(1, 14)]
        + [Placement("white_m30dbfs_1000ms", 2_000 * k + 1_000, 0.0) for k in range(13)],
        30_000,
        -45.0,
    )
    out = tmp_path / "speech.json"
    png = tmp_path / "curve.png"
    status = main(["calibrate", "--model", "micro_speech", "--positives", str(positives),
                   "--negatives", str(negatives), "-o", str(out), "--plot", str(png),
                   "--max-false-per-hour", "0"])  # fmt: skip
    text = capsys.readouterr().out
    assert status == 0
    assert "trade-off" in text and "chosen" in text
    settings = load(out)
    assert set(settings) == {"threshold", "average_ms", "min_count", "suppress_ms"}
    assert png.read_bytes()[:4] == b"\x89PNG"
    found = int(re.search(r"chosen: \{.*?\}: (\d+)/\d+ words found", text).group(1))
    # listen with the file: the hello reports those settings, and it finds what calibrate
    # said it would (its evaluation of the same stream).
    status = main(["evaluate", "--target", "unix", "--model", "micro_speech", "--wav",
                   str(positives), "--truth", str(positives.with_suffix(".csv")),
                   "--settings", str(out), "--json"])  # fmt: skip
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert status == 0
    assert summary["found"] == found
    assert {k: summary["settings"][k] for k in settings} == settings
    status = main(["listen", "--target", "unix", "--model", "micro_speech", "--wav",
                   str(negatives), "--settings", str(out), "--json"])  # fmt: skip
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert status == 0
    assert {k: lines[0]["settings"][k] for k in settings} == settings
    assert not [m for m in lines if m["type"] == "detection"]  # 0 false per hour asked


LISTEN = """
import earshot
from earshot.stream import Listener
from earshot.sources.stdin import StdinSource
class Silence:
    def readinto(self, buf):
        return 0
_l = Listener(earshot.active_model(), stats_ms=0)
_l.run(StdinSource(_l.frontend.sample_rate, Silence()))
"""


def slotted_board(config: pytest.Config):
    """qemu_m4, or the first selected target with model slots (as tests/store does)."""
    boards = load_boards()
    chosen = [n.strip() for n in config.getoption("--targets").split(",") if n.strip()]
    names = [n for n in chosen if boards[n].model_slots]
    if not names:
        pytest.skip("no selected target has model slots (qemu_m3, qemu_m4 or qemu_m7)")
    return boards["qemu_m4" if "qemu_m4" in names else names[0]]


def test_flash_model_carries_the_settings_to_the_board(request, tmp_path):
    from mpremote.transport_serial import SerialTransport

    from earshot_host.runner.serial import PortRunner

    board = slotted_board(request.config)
    settings = {"threshold": 0.55, "average_ms": 640, "min_count": 2, "suppress_ms": 800}
    path = tmp_path / "s.json"
    path.write_text(json.dumps(settings))
    qemu = QemuBoard(board, board.firmware_path(project_root()))
    try:
        runner = PortRunner(qemu.port, board)
        try:
            flash_model(runner, source_with_settings(resolve_model("micro_speech"), load(path)))
        finally:
            runner.close()
        transport = SerialTransport(qemu.port, baudrate=115200)
        try:
            transport.enter_raw_repl(soft_reset=True)
            out, err = transport.exec_raw(LISTEN, timeout=120)
        finally:
            transport.close()
    finally:
        qemu.close()
    assert not err, err.decode()
    hello = json.loads(next(x for x in out.decode().splitlines() if x.startswith("{")))
    assert hello["model"] == "micro_speech" and hello["source"].startswith("slot A seq 1")
    assert {k: hello["settings"][k] for k in settings} == settings
    assert hello["settings"]["every"] == 2 and hello["settings"]["rule"] == "average"


def test_replaying_only_the_active_stretches_is_exact():
    # Random traces of a 4-class softmax model: quiet stretches with bursts of high
    # scores; the sweep's shortcut (replay) against the whole trace (whole=True).
    import numpy as np

    meta = model_metadata("micro_speech")
    rng = np.random.default_rng(5)
    hops = list(range(2, 20_000, 2))
    outputs = []
    for _ in hops:
        q = [-128 + int(v) for v in rng.integers(0, 60, 4)]
        if rng.random() < 0.03:
            q[int(rng.integers(2, 4))] = int(rng.integers(0, 128))
        outputs.append(q)
    trace = ScoreTrace(20, 2, hops, outputs, hops[-1])
    checked = 0
    for settings in SETTINGS[:3] + [{"threshold": 0.3, "min_count": 1, "average_ms": 200}]:
        fast = replay(trace, meta, settings)
        assert fast == replay(trace, meta, settings, whole=True), settings
        checked += len(fast)
    assert checked > 20
