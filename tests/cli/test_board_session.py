"""End to end against a QEMU board on a pty, exactly as against a USB board: flash-firmware
starts it and prints its port; stream sends a WAV of reference clips; watch (sharing the
port) logs and plots the detections; flash-firmware --stop ends it. No QEMU process is
left behind, whatever happens (the fixture's finalizer stops and, if need be, kills it)."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import subprocess
from pathlib import Path

import numpy as np
import pytest
from cli_support import (
    assert_ends_with_error,
    earshot,
    png_ok,
    start_earshot,
    wait_for_stderr_line,
)

from earshot_host.scenes import Placement, compose, write_scene

BOARD = "qemu_m4"
# Detections come after the word, once the averaged score has risen: allow this long.
LATENCY_MS = 1500


class QemuOnPty:
    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        proc = earshot("flash-firmware", "--board", BOARD, "--run-dir", str(run_dir))
        assert proc.returncode == 0, proc.stderr
        self.port = proc.stdout.strip()
        self.pid = int((run_dir / f"{BOARD}.pid").read_text())

    def alive(self) -> bool:
        return (
            Path(f"/proc/{self.pid}").exists()
            and b"qemu" in Path(f"/proc/{self.pid}/cmdline").read_bytes()
        )

    def stop(self) -> subprocess.CompletedProcess:
        proc = earshot("flash-firmware", "--board", BOARD, "--stop", "--run-dir", str(self.run_dir))
        with contextlib.suppress(ProcessLookupError, FileNotFoundError):
            if self.alive():
                os.kill(self.pid, signal.SIGKILL)
        return proc


def stop_board(run_dir: Path) -> None:
    """Stop the board of a run folder, whatever state the test left it in."""
    earshot("flash-firmware", "--board", BOARD, "--stop", "--run-dir", str(run_dir))
    pid_file = run_dir / f"{BOARD}.pid"
    with contextlib.suppress(OSError, ValueError):
        pid = int(pid_file.read_text())
        if b"qemu-system-arm" in Path(f"/proc/{pid}/cmdline").read_bytes():
            os.kill(pid, signal.SIGKILL)


def start_board(run_dir: Path, request: pytest.FixtureRequest) -> QemuOnPty:
    # The finalizer comes first: a board that started but failed a check is stopped too.
    request.addfinalizer(lambda: stop_board(run_dir))
    return QemuOnPty(run_dir)


@pytest.fixture(scope="module")
def board(tmp_path_factory, request):
    return start_board(tmp_path_factory.mktemp("run"), request)


def scene_wav(tmp_path: Path, placements: list[Placement], duration_ms: int):
    wav = tmp_path / "scene.wav"
    scene = compose(placements, duration_ms, -65.0)
    write_scene(wav, scene)
    return wav, scene.events


def planted(events, detections) -> None:
    """Each expected event detected once, within its clip (plus latency); nothing else."""
    assert [d["label"] for d in detections] == [e.label for e in events], detections
    for event, found in zip(events, detections, strict=True):
        assert event.start_ms <= found["t_ms"] <= event.end_ms + LATENCY_MS, (event, found)
        assert 0.0 < found["score"] <= 1.0


def test_flash_stream_watch_log_plot_stop(board, tmp_path):
    assert board.port.startswith("/dev/") and Path(board.port).exists()
    # flash-firmware on a running board gives the same port again.
    again = earshot("flash-firmware", "--board", BOARD, "--run-dir", str(board.run_dir))
    assert again.stdout.strip() == board.port
    wav, events = scene_wav(
        tmp_path,
        [Placement("yes_1000ms", 500, 0.0, "yes"), Placement("no_1000ms", 2_500, 0.0, "no")],
        4_500,
    )
    log, plot = tmp_path / "session.jsonl", tmp_path / "session.png"
    watch = start_earshot("watch", "--port", board.port, "--until-end", "--log", str(log),
                          "--plot", str(plot), "--no-reconnect")  # fmt: skip
    try:
        wait_for_stderr_line(watch, "watching")
        stream = earshot("stream", str(wav), "--port", board.port, timeout=600)
        assert stream.returncode == 0, stream.stderr
        assert "listening with micro_speech" in stream.stderr
        assert "sent 225 hops" in stream.stderr
        out, err = watch.communicate(timeout=600)
    finally:
        if watch.poll() is None:
            watch.kill()
    assert watch.returncode == 0, err
    assert "stopped (end)" in err
    messages = [json.loads(line) for line in log.read_text().splitlines()]
    assert messages[-1]["type"] == "end" and messages[-1]["t_ms"] == 4_500
    planted(events, [m for m in messages if m["type"] == "detection"])
    stats = [m for m in messages if m["type"] == "stats"]
    assert stats and stats[-1]["hops"] == 225 and stats[-1]["malformed"] == 0
    assert " yes " in out and " no " in out
    assert png_ok(plot)


def test_stream_watch_option_logs_csv(board, tmp_path):
    wav, events = scene_wav(tmp_path, [Placement("yes_1000ms", 500, 0.0, "yes")], 2_500)
    log = tmp_path / "session.csv"
    proc = earshot("stream", str(wav), "--port", board.port, "--watch", "--log", str(log),
                   timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    with log.open() as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["type"] == "hello" and rows[0]["model"] == "micro_speech"
    assert rows[-1]["type"] == "end"
    detections = [
        {"label": r["label"], "t_ms": int(r["t_ms"]), "score": float(r["score"])}
        for r in rows
        if r["type"] == "detection"
    ]
    planted(events, detections)


def test_stream_to_the_active_model_refuses_audio_at_another_rate(board, tmp_path):
    # The board's hello says what its active model hears; the stream is ended at once and
    # the board is back at its prompt for the next session.
    from earshot_host.frontend.wav import write_wav

    wav = tmp_path / "8k.wav"
    write_wav(wav, np.zeros(8000, np.int16), 8000)
    proc = earshot("stream", str(wav), "--port", board.port, timeout=600)
    assert_ends_with_error(proc.stderr, "8000 Hz; the board's model needs 16000 Hz")
    assert proc.returncode == 1
    again, events = scene_wav(tmp_path, [Placement("yes_1000ms", 500, 0.0, "yes")], 2_500)
    ok = earshot("stream", str(again), "--port", board.port, "--watch", "--json", timeout=600)
    assert ok.returncode == 0, ok.stderr
    messages = [json.loads(line) for line in ok.stdout.splitlines() if line.startswith("{")]
    planted(events, [m for m in messages if m["type"] == "detection"])


def test_listen_on_the_board_port(board, tmp_path):
    wav, events = scene_wav(tmp_path, [Placement("no_1000ms", 500, 0.0, "no")], 2_500)
    proc = earshot("listen", "--target", board.port, "--model", "micro_speech", "--wav",
                   str(wav), "--json", timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    messages = [json.loads(line) for line in proc.stdout.splitlines()]
    planted(events, [m for m in messages if m["type"] == "detection"])


def test_board_stopped_under_a_watcher(tmp_path, request):
    # The emulator going away is a USB board unplugged: one error line, no traceback.
    board = start_board(tmp_path, request)
    watch = start_earshot("watch", "--port", board.port, "--no-reconnect")
    try:
        wait_for_stderr_line(watch, "watching")
        stopped = board.stop()
        assert stopped.returncode == 0 and "stopped" in stopped.stdout
        assert not board.alive()
        _, err = watch.communicate(timeout=60)
    finally:
        if watch.poll() is None:
            watch.kill()
    assert watch.returncode == 1
    assert_ends_with_error(err, board.port)
    assert not (tmp_path / f"{BOARD}.pid").exists()


def test_board_stopped_under_stream_watch(tmp_path, request):
    board = start_board(tmp_path, request)
    wav, _ = scene_wav(tmp_path, [Placement("yes_1000ms", 500, 0.0, "yes")], 20_000)
    stream = start_earshot("stream", str(wav), "--port", board.port, "--watch", "--realtime")
    try:
        assert stream.stdout is not None
        assert "listening: micro_speech" in stream.stdout.readline()
        board.stop()
        _, err = stream.communicate(timeout=120)
    finally:
        if stream.poll() is None:
            stream.kill()
    assert stream.returncode == 1
    assert_ends_with_error(err)
    assert len(err.strip().splitlines()) == 1
    # Seen either by the reader (the port closed) or by the writer (a write failed).
    assert "port closed" in err or "stopped listening" in err


def test_board_stopped_under_stream(tmp_path, request):
    board = start_board(tmp_path, request)
    wav, _ = scene_wav(tmp_path, [Placement("yes_1000ms", 500, 0.0, "yes")], 20_000)
    stream = start_earshot("stream", str(wav), "--port", board.port, "--realtime")
    try:
        wait_for_stderr_line(stream, "listening with micro_speech")
        board.stop()
        _, err = stream.communicate(timeout=120)
    finally:
        if stream.poll() is None:
            stream.kill()
    assert stream.returncode == 1
    assert_ends_with_error(err, "the port closed while streaming")
    assert len(err.strip().splitlines()) == 1


def test_flash_model_then_stream_watch_log_plot(tmp_path, request):
    """The whole path of issue 5 on a board of its own: flash a model with the CLI (its
    progress bar), have a corrupted transfer of another refused with the first model still
    active, then stream a WAV to the board's active model (no --model) while a watcher logs
    and plots the detections."""
    from earshot_host.errors import EarshotError
    from earshot_host.model_spec import resolve_model
    from earshot_host.targets import open_target

    board = start_board(tmp_path / "run", request)
    flashed = earshot("flash-model", "micro_speech", "--port", board.port, timeout=600)
    assert flashed.returncode == 0, flashed.stderr
    size = (
        (Path(__file__).resolve().parents[2] / "models" / "micro_speech" / "micro_speech.esm")
        .stat()
        .st_size
    )
    assert f"{size:,}/{size:,} bytes" in flashed.stderr  # the progress bar, complete
    active = "slot A seq 1 (micro_speech)"

    def alter(index: int, data: bytes) -> bytes:
        return data if index != 2 else data[:7] + bytes([data[7] ^ 0x01]) + data[8:]

    kws = Path(__file__).resolve().parents[2] / "models" / "mlperf_kws" / "mlperf_kws.esm"
    with open_target(board.port) as target, pytest.raises(EarshotError, match="transfer corrupted"):
        target.flash_model(resolve_model(kws), tamper=alter)
    status = earshot("flash-model", "--status", "--port", board.port)
    assert status.returncode == 0 and status.stdout.strip() == active

    wav, events = scene_wav(
        tmp_path,
        [Placement("no_1000ms", 500, 0.0, "no"), Placement("yes_1000ms", 2_500, -6.0, "yes")],
        4_500,
    )
    log, plot = tmp_path / "session.jsonl", tmp_path / "session.png"
    watch = start_earshot("watch", "--port", board.port, "--until-end", "--log", str(log),
                          "--plot", str(plot), "--no-reconnect")  # fmt: skip
    try:
        wait_for_stderr_line(watch, "watching")
        stream = earshot("stream", str(wav), "--port", board.port, timeout=600)
        assert stream.returncode == 0, stream.stderr
        # The streamer reads the board's hello (then the watcher takes over the port).
        assert f"listening with micro_speech [{active}]" in stream.stderr
        _, err = watch.communicate(timeout=600)
    finally:
        if watch.poll() is None:
            watch.kill()
    assert watch.returncode == 0, err
    messages = [json.loads(line) for line in log.read_text().splitlines()]
    planted(events, [m for m in messages if m["type"] == "detection"])
    assert png_ok(plot)
