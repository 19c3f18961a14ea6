"""Run MicroPython code on a QEMU board: UART on a pty, driven through the raw REPL."""

from __future__ import annotations

import contextlib
import re
import select
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from mpremote.transport import TransportError
from mpremote.transport_serial import SerialTransport

from ..boards import Board
from ..errors import EarshotError
from ..natmod import qemu_romfs
from .result import Progress, RunResult, b64_literal

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
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


def chunk_bytes(board: Board) -> int:
    """Bytes of data per snippet: the raw REPL holds the snippet's text (base64, 4/3 of the
    data) and the decoded copy in the board's heap, so small boards get small chunks."""
    return max(256, min(4096, board.heap_bytes // 16))


class QemuRunner:
    """Runs snippets on a QEMU board, booted once. Runs start with a soft reset unless
    told otherwise; uploads live in the globals of the board's session until the next one.
    """

    # Globals carry over between runs started with soft_reset=False.
    keeps_state = True

    def __init__(self, board: Board, firmware: Path) -> None:
        self.board = board
        self.firmware = firmware
        self.chunk = chunk_bytes(board)
        self.qemu: QemuBoard | None = None
        self.transport: SerialTransport | None = None

    def _connect(self) -> SerialTransport:
        if self.transport is None:
            self.qemu = QemuBoard(self.board, self.firmware)
            self.transport = SerialTransport(self.qemu.port, baudrate=115200)
        return self.transport

    def _enter(self, transport: SerialTransport, soft_reset: bool) -> None:
        """Raw REPL (after a soft reset if asked), then the board's boot code, if any."""
        transport.enter_raw_repl(soft_reset=soft_reset)
        assert self.qemu is not None
        if self.qemu.boot_code:
            out, err = transport.exec_raw(self.qemu.boot_code, timeout=20)
            if err:
                raise TransportError(f"boot code failed: {err.decode(errors='replace')}")

    def upload(self, name: str, data: bytes, progress: Progress | None = None) -> str:
        """Copy data into a bytearray on the board (kept until the next soft reset); returns
        the expression that reads it there."""
        target = f"_uploads[{name!r}]"
        setup = f"_uploads = globals().get('_uploads', {{}})\n{target} = bytearray({len(data)})"
        self.run(setup, soft_reset=False).check()
        for start in range(0, len(data), self.chunk):
            piece = data[start : start + self.chunk]
            code = f"{target}[{start}:{start + len(piece)}] = {b64_literal(piece)}"
            self.run(code, soft_reset=False).check()
            if progress:
                progress(start + len(piece), len(data))
        return target

    def fresh_session(self) -> SerialTransport:
        """The board's transport, soft-reset and in raw REPL, for a caller that drives it
        directly (streaming audio in while reading output)."""
        transport = self._connect()
        self._enter(transport, soft_reset=True)
        return transport

    def run(self, code: str, timeout: float = 60.0, soft_reset: bool = True) -> RunResult:
        try:
            transport = self._connect()
            if soft_reset or not transport.in_raw_repl:
                self._enter(transport, soft_reset)
            out, err = transport.exec_raw(code, timeout=timeout)
        except (TransportError, OSError) as exc:
            # A board that stopped answering is restarted for the next run.
            self.close()
            return RunResult(self.board.name, "", f"target stopped answering: {exc}")
        return RunResult(
            self.board.name, out.decode(errors="replace"), err.decode(errors="replace")
        )

    def close(self) -> None:
        if self.transport is not None:
            with contextlib.suppress(TransportError, OSError):
                self.transport.close()
            self.transport = None
        if self.qemu is not None:
            self.qemu.close()
            self.qemu = None
