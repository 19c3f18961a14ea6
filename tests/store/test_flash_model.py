"""earshot flash-model end to end: a QEMU board on a pty, driven exactly as a USB board.

Each test boots a new board (a QEMU restart is a power-on: empty model slots) and closes
it; one board is alive at a time.
"""

from __future__ import annotations

import ast
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import earshot
from mpremote.transport_serial import SerialTransport

from earshot_host.boards import Board, load_boards
from earshot_host.errors import EarshotError
from earshot_host.flash_model import BoardModel, FlashResult
from earshot_host.model_spec import resolve_model
from earshot_host.runner.qemu import QemuBoard
from earshot_host.targets import open_target

ROOT = Path(__file__).resolve().parents[2]
KWS = ROOT / "models" / "mlperf_kws" / "mlperf_kws.esm"
KWS_SIZE = f"{len(KWS.read_bytes()):,}".encode()  # as the progress bar prints it
EMPTY = "frozen default micro_speech: no valid model in slots (slot A: empty, slot B: empty)"


def flash_model(port: str, model: str | Path, progress=None, **kwargs) -> FlashResult:
    """earshot flash-model's API on the board at port (a target like any other)."""
    with open_target(port) as target:
        return target.flash_model(resolve_model(model), progress, **kwargs)


def board_model(port: str) -> BoardModel:
    with open_target(port) as target:
        return target.model_status()


def slotted_board(config: pytest.Config) -> Board:
    """The board these tests use: qemu_m4 unless --targets names another with slots."""
    boards = load_boards(ROOT)
    chosen = [n.strip() for n in config.getoption("--targets").split(",") if n.strip()]
    names = [n for n in chosen or list(boards) if boards[n].model_slots]
    if not names:
        pytest.skip("no selected target has model slots")
    return boards["qemu_m4" if "qemu_m4" in names else names[0]]


@pytest.fixture
def board(request: pytest.FixtureRequest) -> Iterator[QemuBoard]:
    spec = slotted_board(request.config)
    qemu = QemuBoard(spec, spec.firmware_path(ROOT))
    try:
        yield qemu
    finally:
        qemu.close()


LISTEN = """
import earshot
from earshot.stream import Listener
from earshot.sources.stdin import StdinSource
class Silence:
    def __init__(self, n):
        self.n = n
    def readinto(self, buf):
        k = min(len(buf), self.n)
        for i in range(k):
            buf[i] = 0
        self.n -= k
        return k
_l = Listener(earshot.active_model(), stats_ms=0)
_l.run(StdinSource(_l.frontend.sample_rate, Silence(16000)))
"""


def listen_hello(port: str) -> dict:
    """Soft-reset the board, run the detector on its active model (half a second of
    silence) and return its hello message."""
    transport = SerialTransport(port, baudrate=115200)
    try:
        transport.enter_raw_repl(soft_reset=True)
        out, err = transport.exec_raw(LISTEN, timeout=120)
        transport.exit_raw_repl()
    finally:
        transport.close()
    assert not err, err.decode()
    lines = [line for line in out.decode().splitlines() if line.startswith("{")]
    import json

    messages = [json.loads(line) for line in lines]
    assert messages[0]["type"] == "hello" and messages[-1]["type"] == "end", lines
    return messages[0]


def test_fresh_board_runs_the_frozen_default_and_says_why(board):
    status = board_model(board.port)
    assert status.slot is None and status.name == "micro_speech"
    assert status.source == EMPTY
    hello = listen_hello(board.port)
    assert hello["model"] == "micro_speech" and hello["source"] == EMPTY


def test_flash_two_models_each_active_after_soft_reset(board):
    seen: list[tuple[int, int]] = []
    first = flash_model(board.port, "micro_speech", lambda d, t: seen.append((d, t)))
    assert (first.slot, first.seq, first.name, first.size) == ("A", 1, "micro_speech", 24328)
    assert first.source == "slot A seq 1 (micro_speech)"
    assert first.slot_bytes == board.board.model_slot_bytes
    done = [d for d, _ in seen]
    assert done == sorted(done) and seen[-1] == (24328, 24328) and len(seen) > 1

    second = flash_model(board.port, KWS)
    assert (second.slot, second.seq, second.name) == ("B", 2, "mlperf_kws")
    status = board_model(board.port)
    assert (status.slot, status.seq, status.name) == ("B", 2, "mlperf_kws")
    assert status.size == KWS.stat().st_size
    hello = listen_hello(board.port)
    assert hello["model"] == "mlperf_kws" and hello["source"] == "slot B seq 2 (mlperf_kws)"

    third = flash_model(board.port, "micro_speech")
    assert (third.slot, third.seq) == ("A", 3)


def test_corrupted_transfer_is_refused_and_the_old_model_stays(board):
    flash_model(board.port, "micro_speech")

    def alter(index: int, data: bytes) -> bytes:
        return data if index != 3 else data[:10] + bytes([data[10] ^ 0x40]) + data[11:]

    with pytest.raises(EarshotError, match="transfer corrupted: .* was not activated"):
        flash_model(board.port, KWS, tamper=alter)
    status = board_model(board.port)
    assert status.source == "slot A seq 1 (micro_speech)"
    assert listen_hello(board.port)["source"] == "slot A seq 1 (micro_speech)"


class Cut(Exception):
    pass


@pytest.mark.parametrize("point", ["opened", "prepared", "chunk 0", "chunk 7", "verified"])
@pytest.mark.parametrize("previous", [None, "micro_speech"])
def test_transfer_cut_off_leaves_the_previous_model_or_the_default(board, point, previous):
    if previous:
        flash_model(board.port, previous)

    def cut(step: str) -> None:
        if step == point:
            raise Cut(step)

    with pytest.raises(Cut):
        flash_model(board.port, KWS, checkpoint=cut)
    status = board_model(board.port)
    # Without a previous model, the slot being written (A) is erased, then partly written:
    # never valid.
    expected = "slot A seq 1 (micro_speech)" if previous else EMPTY
    assert status.source == expected
    hello = listen_hello(board.port)
    assert hello["model"] == "micro_speech" and hello["source"] == expected
    if point == "chunk 7":
        # The board takes the next update (into the same, inactive, slot).
        result = flash_model(board.port, KWS)
        assert (result.name, result.slot) == ("mlperf_kws", "B" if previous else "A")


def test_killed_command_mid_transfer_leaves_the_previous_model(board):
    flash_model(board.port, "micro_speech")
    proc = subprocess.Popen(
        [sys.executable, "-m", "earshot_host.cli", "flash-model", str(KWS), "--port", board.port],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    progress = b""
    sent = 0
    try:
        # Killed once a third of the model is on the board (in a chunk or between two).
        while sent < len(KWS.read_bytes()) // 3:
            byte = os.read(proc.stderr.fileno(), 1)
            assert byte, progress
            progress += byte
            figures = re.findall(rb"\] ([\d,]+)/" + KWS_SIZE + rb" bytes", progress)
            sent = int(figures[-1].replace(b",", b"")) if figures else 0
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert b"/" + KWS_SIZE + b" bytes" in progress
    status = board_model(board.port)
    assert status.source == "slot A seq 1 (micro_speech)"
    assert listen_hello(board.port)["source"] == "slot A seq 1 (micro_speech)"


def test_cli_flashes_with_a_progress_bar_and_reports_status(board):
    proc = earshot("flash-model", "micro_speech", "--port", board.port)
    assert proc.returncode == 0, proc.stderr
    assert "[##############################] 24,328/24,328 bytes" in proc.stderr
    assert proc.stdout.startswith(f"{board.port}: micro_speech active in slot A (seq 1), ")
    status = earshot("flash-model", "--status", "--port", board.port)
    assert status.returncode == 0 and status.stdout.strip() == "slot A seq 1 (micro_speech)"


def one_line_error(proc: subprocess.CompletedProcess, fragment: str) -> None:
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("earshot: "), proc.stderr
    assert fragment in lines[0], lines[0]


def test_missing_port_is_one_line_error():
    one_line_error(
        earshot("flash-model", "micro_speech", "--port", "/dev/earshot-no-such-port"),
        "no serial port /dev/earshot-no-such-port",
    )


def test_files_that_are_not_models_are_refused_before_the_board_is_touched(tmp_path):
    one_line_error(
        earshot("flash-model", str(ROOT / "README.md"), "--port", "/dev/null"),
        "not a .esm, .tflite or ESPHome manifest .json, nor a model of models/",
    )
    broken = tmp_path / "broken.esm"
    data = bytearray(KWS.read_bytes())
    data[200] ^= 0xFF
    broken.write_bytes(bytes(data))
    proc = earshot("flash-model", str(broken), "--port", "/dev/null")
    assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "CRC" in proc.stderr or "crc" in proc.stderr


def test_usage_errors_exit_2():
    proc = earshot("flash-model", "--port", "/dev/null")
    assert proc.returncode == 2 and "MODEL is required" in proc.stderr
    help_text = earshot("flash-model", "--help")
    assert help_text.returncode == 0 and "examples:" in help_text.stdout


def test_board_without_model_slots_is_refused():
    spec = load_boards(ROOT)["qemu_m0"]
    qemu = QemuBoard(spec, spec.firmware_path(ROOT))
    try:
        one_line_error(
            earshot("flash-model", "micro_speech", "--port", qemu.port),
            "the board refused: this board has no model slots",
        )
        status = board_model(qemu.port)
        assert status.source == "frozen default micro_speech: this board has no model slots"
    finally:
        qemu.close()


def test_board_info_names_the_active_model(board):
    flash_model(board.port, KWS)
    transport = SerialTransport(board.port, baudrate=115200)
    try:
        transport.enter_raw_repl(soft_reset=True)
        out, err = transport.exec_raw("import earshot\nprint(repr(earshot.info()['model']))")
    finally:
        transport.close()
    assert not err, err
    assert ast.literal_eval(out.decode().strip()) == "slot A seq 1 (mlperf_kws)"


def test_board_that_stops_answering_is_one_error(board):
    # The board dies (QEMU quits) in the middle of the transfer.
    def die(done: int, total: int) -> None:
        if done >= 8192:
            board.close()

    with pytest.raises(EarshotError, match=r"the board stopped answering"):
        flash_model(board.port, KWS, die)
