"""Run MicroPython code on a QEMU board: UART on a pty, driven through the raw REPL
(runner.serial)."""

from __future__ import annotations

import re
import select
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from ..boards import Board
from ..errors import EarshotError
from ..natmod import qemu_romfs
from .serial import SerialRunner, stop_process

PTY_LINE = re.compile(rb"char device redirected to (/dev/\S+)")


def qemu_command(
    board: Board, firmware: Path, serial: str = "pty", extra: Sequence[str] = ()
) -> list[str]:
    """The qemu-system-arm command line of a board (deterministic time with -icount)."""
    return [
        "qemu-system-arm",
        "-machine", board.machine,
        "-nographic", "-monitor", "null", "-semihosting",
        "-icount", "shift=0",
        *board.qemu_args,
        *extra,
        "-serial", serial,
        "-kernel", str(firmware),
    ]  # fmt: skip


class QemuBoard:
    """One emulated board: QEMU running the firmware with its UART on a pty."""

    def __init__(self, board: Board, firmware: Path, boot_timeout: float = 20.0) -> None:
        if not firmware.is_file():
            raise EarshotError(
                f"{board.name}: no firmware at {firmware} (run `make qemu BOARD={board.name}`)"
            )
        self.board = board
        self.firmware = firmware
        # Stock MicroPython (a `natmod` row): earshot on a ROMFS image, mounted after resets.
        romfs_args, self.boot_code = qemu_romfs(board)
        self.proc = subprocess.Popen(
            qemu_command(board, firmware, extra=romfs_args),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.port = self._wait_for_pty(boot_timeout)

    def _wait_for_pty(self, timeout: float) -> str:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        seen = b""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                line = self.proc.stdout.readline()
                seen += line
                match = PTY_LINE.search(line)
                if match:
                    return match.group(1).decode()
            if self.proc.poll() is not None:
                break
        self.close()
        raise EarshotError(
            f"{self.board.name}: QEMU did not open its UART pty: {seen.decode(errors='replace')}"
        )

    def close(self) -> None:
        stop_process(self.proc, timeout=5)
        if self.proc.stdout:
            self.proc.stdout.close()


class QemuRunner(SerialRunner):
    """Runs snippets on a QEMU board, booted at the first run and kept until close()."""

    def __init__(self, board: Board, firmware: Path) -> None:
        super().__init__(board.name, board)
        self.firmware = firmware
        self.qemu: QemuBoard | None = None

    def open_port(self) -> str:
        if self.qemu is None:
            self.qemu = QemuBoard(self.board, self.firmware)  # type: ignore[arg-type]
        return self.qemu.port

    def boot_code(self) -> str:
        return self.qemu.boot_code if self.qemu is not None else ""

    def stop(self) -> None:
        if self.qemu is not None:
            self.qemu.close()
            self.qemu = None
