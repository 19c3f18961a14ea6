"""earshot watch on a pty standing in for a board: readable lines, logs, plot, garbage,
resets, a port that goes away (unplug) and comes back."""

from __future__ import annotations

import csv
import json
import os
import signal

from cli_support import (
    PROTOCOL_LINES,
    FakePort,
    assert_ends_with_error,
    assert_one_line_error,
    earshot,
    png_ok,
    start_earshot,
    wait_for_stderr_line,
)


def watch_session(port: FakePort, *args: str, lines: tuple[bytes, ...] = PROTOCOL_LINES):
    proc = start_earshot("watch", "--port", port.path, "--until-end", *args)
    wait_for_stderr_line(proc, "watching")
    port.send(*lines)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


def test_watch_shows_logs_and_plots_a_session(tmp_path):
    port = FakePort()
    log, plot = tmp_path / "s.jsonl", tmp_path / "s.png"
    try:
        code, out, err = watch_session(port, "--log", str(log), "--plot", str(plot))
    finally:
        port.unplug()
    assert code == 0, err
    assert "listening: micro_speech" in out
    detection = next(line for line in out.splitlines() if " yes " in line)
    assert "2.34 s" in detection and "0.93" in detection and "#" in detection
    assert "500 hops, 250 inferences" in out  # the running stats line
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["type"] for e in events] == ["hello", "detection", "stats", "detection", "end"]
    assert [(e["label"], e["t_ms"]) for e in events if e["type"] == "detection"] == [
        ("yes", 2340),
        ("no", 11020),
    ]
    assert all(e["wall_s"] > 0 for e in events)
    assert png_ok(plot)
    assert "stopped (end): 2 detections" in err


def test_watch_logs_csv_and_counts_garbage_and_resets(tmp_path):
    port = FakePort()
    log = tmp_path / "s.csv"
    noisy = (
        b"MicroPython v1.25.0 on 2026-01-01; earshot\r\n",
        PROTOCOL_LINES[0],
        b"\x00\xff\xfe garbage {not json\r\n",
        b'OK{"v":1,"type":"detection","t_ms":500,"label":"yes","score":0.9}\r\n',
        b'{"v":2,"type":"detection"}\r\n',
        PROTOCOL_LINES[0],  # the board was reset
        PROTOCOL_LINES[1],
        PROTOCOL_LINES[4],
    )
    try:
        code, out, err = watch_session(port, "--log", str(log), lines=noisy)
    finally:
        port.unplug()
    assert code == 0, err
    assert "3 garbage lines, 1 resets" in err
    assert "board reset" in err
    with log.open() as f:
        rows = list(csv.DictReader(f))
    assert [r["type"] for r in rows] == ["hello", "detection", "hello", "detection", "end"]
    assert rows[1]["label"] == "yes" and rows[1]["score"] == "0.9"
    assert rows[3]["t_ms"] == "2340"


def test_watch_duration_stops_a_silent_port(tmp_path):
    port = FakePort()
    try:
        proc = earshot("watch", "--port", port.path, "--duration", "0.5", timeout=60)
    finally:
        port.unplug()
    assert proc.returncode == 0, proc.stderr
    assert "stopped (duration)" in proc.stderr


def test_watch_unplugged_port_is_one_error_without_reconnect():
    port = FakePort()
    proc = start_earshot("watch", "--port", port.path, "--no-reconnect")
    wait_for_stderr_line(proc, "watching")
    port.send(PROTOCOL_LINES[0])
    port.unplug()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert_ends_with_error(err, port.path, "closed")


def test_watch_waits_for_an_unplugged_port_then_gives_up():
    port = FakePort()
    proc = start_earshot("watch", "--port", port.path, "--reconnect", "0.5")
    wait_for_stderr_line(proc, "watching")
    port.unplug()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "waiting up to 0.5 s" in err
    assert_ends_with_error(err, "did not come back within 0.5 s")


def test_watch_reopens_a_replugged_port(tmp_path):
    # A stable name for the port, as udev gives a USB board (/dev/serial/by-id/...).
    link = tmp_path / "board"
    first = FakePort()
    link.symlink_to(first.path)
    proc = start_earshot("watch", "--port", str(link), "--until-end", "--reconnect", "30")
    second = None
    try:
        wait_for_stderr_line(proc, "watching")
        first.send(PROTOCOL_LINES[0], PROTOCOL_LINES[1])
        shown = [proc.stdout.readline(), proc.stdout.readline()]
        first.unplug()
        wait_for_stderr_line(proc, "waiting up to")
        link.unlink()
        second = FakePort()
        link.symlink_to(second.path)
        wait_for_stderr_line(proc, "is back")
        second.send(PROTOCOL_LINES[0], PROTOCOL_LINES[3], PROTOCOL_LINES[4])
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        if second:
            second.unplug()
    assert proc.returncode == 0, err
    assert " yes " in shown[1] and " no " in out
    assert "1 reconnects" in err


def test_watch_missing_port(tmp_path):
    proc = earshot("watch", "--port", str(tmp_path / "ttyACM9"))
    assert_one_line_error(proc, "no serial port", "ttyACM9")


def test_watch_bad_log_extension(tmp_path):
    port = FakePort()
    try:
        proc = earshot("watch", "--port", port.path, "--log", str(tmp_path / "x.txt"))
    finally:
        port.unplug()
    assert_one_line_error(proc, ".jsonl or .csv")


def test_watch_bad_arguments():
    assert earshot("watch").returncode == 2
    assert earshot("watch", "--port", "/dev/null", "--duration", "x").returncode == 2
    proc = earshot("watch", "--port", os.devnull, "--duration", "-1")
    assert_one_line_error(proc, "--duration")


def test_watch_ctrl_c_writes_the_plot(tmp_path):
    port = FakePort()
    plot = tmp_path / "s.png"
    proc = start_earshot("watch", "--port", port.path, "--plot", str(plot))
    try:
        wait_for_stderr_line(proc, "watching")
        port.send(*PROTOCOL_LINES[:2])
        assert " yes " in proc.stdout.readline() + proc.stdout.readline()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        port.unplug()
    assert proc.returncode == 0, err
    assert "stopped (interrupted): 1 detections" in err
    assert png_ok(plot)
