"""Run MicroPython code on the emulated Pico: rp2040js (host_tools/rp2040js/harness.mjs)
runs the pico_i2s image, its USB serial REPL on a pty; the board's flash persists in
build/<board>/flash.bin between runs.

Needs: node, the harness's packages (`make deps` installs rp2040js into
build/deps/node/), the firmware (`make board BOARD=pico_i2s MICROPY_DIR=...`) and the
RP2040 B1 bootrom as a raw 16 KiB file named by RP2040_BOOTROM (never in the repository:
see docs/TARGETS.md for where it comes from).
"""

from __future__ import annotations

import contextlib
import os
import pty
import shutil
import subprocess
import time
import tty
from dataclasses import dataclass
from pathlib import Path

from ..boards import Board
from ..errors import EarshotError
from ..paths import project_root
from .serial import SerialRunner, stop_process

HARNESS = Path(__file__).resolve().parents[2] / "rp2040js" / "harness.mjs"
READY = b"earshot-rp2040js: ready"
BOOTROM_BYTES = 16384


def node_modules(root: Path | None = None) -> Path:
    return (root or project_root()) / "build" / "deps" / "node" / "node_modules"


def flash_file(board: Board, root: Path | None = None) -> Path:
    """Where the emulated board's flash lives between runs: build/<board>/flash.bin, or
    the file EARSHOT_RP2040JS_FLASH names (tests keep theirs apart)."""
    named = os.environ.get("EARSHOT_RP2040JS_FLASH")
    return Path(named) if named else (root or project_root()) / "build" / board.name / "flash.bin"


def missing(board: Board, firmware: Path, root: Path | None = None) -> list[str]:
    """What the emulated board lacks on this machine, each with how to get it (empty: it
    can run)."""
    needs = []
    if shutil.which("node") is None:
        needs.append("node (apt install nodejs)")
    if not (node_modules(root) / "rp2040js").is_dir():
        needs.append("rp2040js (run `make deps`)")
    if not firmware.is_file():
        needs.append(
            f"its firmware {firmware} (`make board BOARD={board.name} MICROPY_DIR=<full tree>`)"
        )
    bootrom = os.environ.get("RP2040_BOOTROM", "")
    if not bootrom:
        needs.append("the RP2040 B1 bootrom: set RP2040_BOOTROM=<raw 16 KiB image>")
    elif not Path(bootrom).is_file() or Path(bootrom).stat().st_size != BOOTROM_BYTES:
        needs.append(f"RP2040_BOOTROM={bootrom} to be a raw {BOOTROM_BYTES}-byte image")
    return needs


@dataclass
class EmulatedPico:
    """One rp2040js process running the board, its REPL on a pty."""

    proc: subprocess.Popen[bytes]
    port: str
    log: Path

    def close(self) -> None:
        stop_process(self.proc)


def start_pico(
    board: Board,
    firmware: Path,
    log: Path,
    root: Path | None = None,
    timeout: float = 120.0,
    detach: bool = False,
    flash: Path | None = None,
) -> EmulatedPico:
    """Boot the board in rp2040js; returns once its USB serial is up. flash: the file
    that holds the board's flash (default build/<board>/flash.bin)."""
    needs = missing(board, firmware, root)
    if needs:
        raise EarshotError(f"{board.name} (emulated) needs {'; '.join(needs)}")
    flash = flash or flash_file(board, root)
    flash.parent.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    master, slave = pty.openpty()
    tty.setraw(slave)
    port = os.ttyname(slave)
    command = [
        "node", str(HARNESS),
        "--modules", str(node_modules(root)),
        "--bootrom", os.environ["RP2040_BOOTROM"],
        "--image", str(firmware),
        "--flash", str(flash),
        "--flash-bytes", str(board.flash_bytes or 2 * 1024 * 1024),
        "--pty-fd", str(master),
        "--hold-fd", str(slave),
    ]  # fmt: skip
    try:
        with log.open("wb") as out:
            proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                pass_fds=(master, slave),
                start_new_session=detach,
            )
    finally:
        os.close(master)
        os.close(slave)
    pico = EmulatedPico(proc, port, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_bytes()
        if READY in text:
            return pico
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    pico.close()
    lines = log.read_text(errors="replace").strip().splitlines()
    reason = lines[-1] if lines else "no output"
    raise EarshotError(
        f"{board.name}: the emulated board did not bring up its USB serial: {reason}"
    )


class Rp2040jsRunner(SerialRunner):
    """Runs snippets on the emulated Pico, booted at the first run and kept until close()
    (closing is a power cut: the flash file stays, and the next run boots from it)."""

    def __init__(self, board: Board, firmware: Path) -> None:
        super().__init__(board.name, board)
        self.firmware = firmware
        self.flash = flash_file(board)
        self.pico: EmulatedPico | None = None

    def open_port(self) -> str:
        if self.pico is None:
            log = self.flash.parent / "emulator.log"
            board = self.board
            assert board is not None
            self.pico = start_pico(board, self.firmware, log, flash=self.flash)
        return self.pico.port

    def stop(self) -> None:
        if self.pico is not None:
            with contextlib.suppress(OSError):
                self.pico.close()
            self.pico = None
