"""earshot stream and listen --target PORT: wrong arguments, missing and closed ports
(each a one-line error); the QEMU end-to-end sessions are in test_board_session.py."""

from __future__ import annotations

import os

import numpy as np
import pytest
from cli_support import (
    FakePort,
    assert_ends_with_error,
    assert_one_line_error,
    earshot,
    start_earshot,
)

from earshot_host.frontend.wav import write_wav
from earshot_host.stream import send_lines
from earshot_host.uart_stream import audio_lines


@pytest.fixture
def wav(tmp_path):
    path = tmp_path / "quiet.wav"
    write_wav(path, np.zeros(16000, np.int16), 16000)
    return path


def test_stream_missing_port(wav, tmp_path):
    proc = earshot("stream", str(wav), "--port", str(tmp_path / "ttyUSB3"))
    assert_one_line_error(proc, "no serial port", "ttyUSB3")


def test_stream_missing_wav(tmp_path):
    port = FakePort()
    try:
        proc = earshot("stream", str(tmp_path / "none.wav"), "--port", port.path)
    finally:
        port.unplug()
    assert_one_line_error(proc, "none.wav")


def test_stream_unknown_model(wav):
    port = FakePort()
    try:
        proc = earshot("stream", str(wav), "--port", port.path, "--model", "nope")
    finally:
        port.unplug()
    assert_one_line_error(proc, "nope")


def test_stream_wrong_sample_rate(tmp_path):
    path = tmp_path / "8k.wav"
    write_wav(path, np.zeros(8000, np.int16), 8000)
    port = FakePort()
    try:
        # A named model's rate is known before the board is touched (the board's active
        # model is checked against its hello: test_board_session.py).
        proc = earshot("stream", str(path), "--port", port.path, "--model", "micro_speech")
    finally:
        port.unplug()
    assert_one_line_error(proc, "16000 Hz")


def test_stream_log_needs_watch(wav, tmp_path):
    proc = earshot("stream", str(wav), "--port", "/dev/null", "--log", str(tmp_path / "x.jsonl"))
    assert_one_line_error(proc, "--watch")


def test_stream_usage_errors(wav):
    assert earshot("stream").returncode == 2
    assert earshot("stream", str(wav)).returncode == 2  # no --port
    assert earshot("stream", str(wav), "--port", "/dev/null", "--stats-ms", "x").returncode == 2


def test_stream_to_a_port_closed_mid_session(wav):
    # The board side goes away (unplugged, emulator killed) as soon as the streamer
    # starts talking to it.
    port = FakePort()
    proc = start_earshot("stream", str(wav), "--port", port.path)
    try:
        assert os.read(port.master, 16)  # the streamer's Ctrl-C (raw REPL entry)
    finally:
        port.unplug()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert_ends_with_error(err, port.path)
    assert len(err.strip().splitlines()) == 1


def test_send_lines_paces_and_counts(tmp_path):
    # The writer side on its own: every hop line and the end line reach the port.
    class Sink:
        def __init__(self):
            self.data = bytearray()

        def write(self, line):
            self.data += line

        def flush(self):
            pass

    sink = Sink()
    samples = np.arange(1000, dtype=np.int16)
    sent = send_lines(sink, audio_lines(samples, 320), 16000, 320, realtime=False)
    assert sent == 4
    lines = bytes(sink.data).splitlines()
    assert [line.split()[1] for line in lines[:4]] == [b"0", b"1", b"2", b"3"]
    assert lines[-1] == b"e"


def test_listen_on_a_missing_port(wav, tmp_path):
    proc = earshot("listen", "--target", str(tmp_path / "ttyACM0"), "--model", "micro_speech",
                   "--wav", str(wav))  # fmt: skip
    assert_one_line_error(proc, "no serial port")


def test_listen_refuses_a_real_board_name(wav):
    # nucleo_f411re_i2s has no emulator: it is reached through its serial port.
    proc = earshot("listen", "--target", "nucleo_f411re_i2s", "--model", "micro_speech",
                   "--wav", str(wav))  # fmt: skip
    assert_one_line_error(proc, "real board: give its serial port")


def test_listen_unknown_target(wav):
    proc = earshot("listen", "--target", "qemu_m9", "--model", "micro_speech", "--wav", str(wav))
    assert_one_line_error(proc, "unknown target")


@pytest.mark.parametrize("command", ["stream", "watch", "flash-firmware", "profile", "boards"])
def test_help_with_examples(command):
    proc = earshot(command, "--help")
    assert proc.returncode == 0
    assert "usage: earshot " + command in proc.stdout and "examples:" in proc.stdout
