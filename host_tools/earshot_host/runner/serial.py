"""Run MicroPython code on a board over a serial port, through mpremote's raw REPL.

SerialRunner is the one implementation for everything that has a MicroPython console on
a serial device: a real board's USB or UART port, a QEMU board's pty, the emulated
Pico's pty. Subclasses only say how the port comes to be (open_port) and what to do when
the runner is closed (stop an emulator they started).
"""

from __future__ import annotations

import contextlib
import subprocess

import serial
from mpremote.transport import TransportError
from mpremote.transport_serial import SerialTransport

from ..boards import Board
from ..errors import EarshotError
from ..serial_port import BAUDRATE, require_port
from .result import Progress, RunResult, b64_literal


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """End an emulator process: asked first, killed if it does not go."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def chunk_bytes(heap_bytes: int) -> int:
    """Bytes of data per snippet: the raw REPL holds the snippet's text (base64, 4/3 of the
    data) and the decoded copy in the board's heap, so small boards get small chunks."""
    if not heap_bytes:
        return 4096
    return max(256, min(4096, heap_bytes // 16))


class SerialRunner:
    """Runs snippets on a board in raw REPL. Runs start with a soft reset unless told
    otherwise; uploads live in the globals of the board's session until the next one."""

    # Globals carry over between runs started with soft_reset=False.
    keeps_state = True

    def __init__(self, name: str, board: Board | None = None) -> None:
        self.name = name
        self.board = board
        self.chunk = chunk_bytes(board.heap_bytes if board else 0)
        self._transport: SerialTransport | None = None

    # -------------------------------------------------------------- for subclasses
    def open_port(self) -> str:
        """The path of the board's serial port, ready to be opened."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop what open_port started (nothing for a real board)."""

    def boot_code(self) -> str:
        """Code every fresh session runs first (a stock QEMU board mounts its ROMFS)."""
        return ""

    def _enter(self, transport: SerialTransport, soft_reset: bool) -> None:
        """Raw REPL (after a soft reset if asked), then the board's boot code, if any."""
        transport.enter_raw_repl(soft_reset=soft_reset)
        code = self.boot_code()
        if code:
            _, err = transport.exec_raw(code, timeout=20)
            if err:
                raise TransportError(f"boot code failed: {err.decode(errors='replace')}")

    # ------------------------------------------------------------------ the runner
    @property
    def port(self) -> str:
        return self.transport_for().device_name

    def transport_for(self) -> SerialTransport:
        """The board's transport, opened once."""
        if self._transport is None:
            path = self.open_port()
            require_port(path)
            try:
                self._transport = SerialTransport(path, baudrate=BAUDRATE)
            except (TransportError, serial.SerialException, OSError) as err:
                self.stop()
                raise EarshotError(f"{self.name}: cannot open {path}: {err}") from err
        return self._transport

    def fresh_session(self) -> SerialTransport:
        """The board's transport, soft-reset and in raw REPL, for a caller that drives it
        directly (streaming audio in while reading output)."""
        transport = self.transport_for()
        try:
            self._enter(transport, soft_reset=True)
        except (TransportError, OSError) as err:
            self.close()
            raise EarshotError(
                f"{self.name}: no MicroPython raw REPL there ({err}); is it an earshot board?"
            ) from err
        return transport

    def run(self, code: str, timeout: float = 60.0, soft_reset: bool = True) -> RunResult:
        try:
            transport = self.transport_for()
            if soft_reset or not transport.in_raw_repl:
                self._enter(transport, soft_reset)
            out, err = transport.exec_raw(code, timeout=timeout)
        except (TransportError, OSError, serial.SerialException) as exc:
            # A board that stopped answering is reopened (an emulator restarted) next run.
            self.close()
            return RunResult(self.name, "", f"target stopped answering: {exc}")
        return RunResult(self.name, out.decode(errors="replace"), err.decode(errors="replace"))

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

    def close(self) -> None:
        if self._transport is not None:
            with contextlib.suppress(TransportError, OSError, serial.SerialException):
                if self._transport.in_raw_repl:
                    self._transport.exit_raw_repl()
            with contextlib.suppress(TransportError, OSError, serial.SerialException):
                self._transport.close()
            self._transport = None
        self.stop()


class PortRunner(SerialRunner):
    """A board already running on a serial port (a USB board, a QEMU or emulator pty)."""

    def __init__(self, path: str, board: Board | None = None) -> None:
        super().__init__(path, board)
        self.path = path

    def open_port(self) -> str:
        return self.path
