"""Serial ports as the host tools use them: opened with timeouts, read line by line,
shared between a writer (`earshot stream`) and a reader (`earshot watch`).

Sharing one port between two processes: every byte the board sends goes to whichever
process reads first, so only one process may read at a time. The streamer holds an
exclusive advisory lock (flock) on the port while it talks to the raw REPL (from the
Ctrl-C until the board's hello); the watcher reads only while it holds a shared lock,
taken without waiting. Once the board has said hello the streamer releases its lock and
only writes; from then on the watcher sees everything the board prints.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import select
import time
from collections.abc import Iterator
from pathlib import Path

import serial
from mpremote.transport import TransportError
from mpremote.transport_serial import SerialTransport

from .errors import EarshotError

BAUDRATE = 115200
# A line longer than this without a newline is garbage (protocol lines are short).
MAX_LINE = 4096
# Seconds a board may take no data before a writer gives up (an emulated board on a busy
# host can stall for seconds).
WRITE_TIMEOUT = 60
# errno values of a port that went away (USB unplugged, pty master closed).
GONE_ERRNOS = (errno.EIO, errno.ENXIO, errno.ENODEV, errno.EBADF)


class PortGone(Exception):
    """The port disappeared under a reader or writer (unplugged, emulator stopped)."""


def looks_like_port(text: str) -> bool:
    """True for a serial port path (/dev/ttyACM0, /dev/pts/3, COM3), not a board name."""
    return "/" in text or text.upper().startswith("COM")


def require_port(path: str) -> None:
    """A clear error for a port that is not there."""
    if not Path(path).exists():
        raise EarshotError(
            f"no serial port {path} (is the board plugged in? a QEMU board's port is "
            "printed by `earshot flash-firmware --board qemu_m4`)"
        )


def open_serial(path: str, baudrate: int = BAUDRATE) -> serial.Serial:
    """The port, opened non-exclusively (a watcher and a streamer may share it), in raw
    mode, with reads that never block. exclusive=None: pyserial leaves flock alone (with
    False it would drop our lock at every settings change). pyserial empties the input
    queue as it opens a port, so the port is opened under a shared lock: never while a
    streamer is in the middle of its talk with the raw REPL."""
    require_port(path)
    guard = -1
    try:
        guard = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
        deadline = time.monotonic() + 30
        while not try_shared_lock(guard) and time.monotonic() < deadline:
            time.sleep(0.02)
        return serial.Serial(path, baudrate, timeout=0, write_timeout=10, exclusive=None)
    except (serial.SerialException, OSError, ValueError) as err:
        raise EarshotError(f"cannot open {path}: {err}") from err
    finally:
        if guard >= 0:
            os.close(guard)


def try_shared_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def unlock(fd: int) -> None:
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)


@contextlib.contextmanager
def exclusive_access(fd: int, timeout: float = 5.0) -> Iterator[None]:
    """Hold the port's exclusive lock: readers sharing the port stand back meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError as err:
            if time.monotonic() > deadline:
                raise EarshotError(
                    "another program holds the port (a second `earshot stream`?)"
                ) from err
            time.sleep(0.005)
    try:
        yield
    finally:
        unlock(fd)


class LineReader:
    """Reads whole lines from a port without blocking longer than asked, and only while no
    streamer holds the port (see the module docstring)."""

    def __init__(self, path: str, baudrate: int = BAUDRATE) -> None:
        self.path = path
        self.port = open_serial(path, baudrate)
        self.fd = self.port.fileno()
        self.pending = bytearray()

    def read_lines(self, timeout: float) -> list[bytes]:
        """The complete lines that arrived within timeout seconds (maybe none). Raises
        PortGone when the port went away."""
        try:
            ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        except (OSError, ValueError) as err:
            raise PortGone(str(err)) from err
        if not ready:
            return []
        if not try_shared_lock(self.fd):
            time.sleep(0.02)  # a streamer is talking to the raw REPL: leave its bytes
            return []
        try:
            data = os.read(self.fd, 4096)
        except BlockingIOError:
            return []  # another reader took the bytes first
        except OSError as err:
            if err.errno in GONE_ERRNOS:
                raise PortGone(err.strerror or str(err)) from err
            raise EarshotError(f"{self.path}: {err.strerror}") from err
        finally:
            unlock(self.fd)
        if not data:
            raise PortGone("end of file")
        self.pending += data
        lines = []
        while True:
            end = self.pending.find(b"\n")
            if end < 0:
                break
            lines.append(bytes(self.pending[: end + 1]))
            del self.pending[: end + 1]
        if len(self.pending) > MAX_LINE:
            lines.append(bytes(self.pending))
            self.pending.clear()
        return lines

    def close(self) -> None:
        with contextlib.suppress(OSError, serial.SerialException):
            self.port.close()


def wait_for_port(path: str, timeout: float | None, baudrate: int = BAUDRATE) -> LineReader:
    """Reopen a port that went away, once it is back (None: wait for ever)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        if Path(path).exists():
            try:
                return LineReader(path, baudrate)
            except EarshotError:
                pass  # still coming up (permissions, udev)
        if deadline is not None and time.monotonic() >= deadline:
            raise EarshotError(f"{path} went away and did not come back within {timeout:g} s")
        time.sleep(0.2)


def open_board(port: str, baudrate: int = BAUDRATE) -> SerialTransport:
    """An mpremote transport on a board's port, shareable with a watcher."""
    require_port(port)
    try:
        transport = SerialTransport(port, baudrate=baudrate, exclusive=None)
    except (TransportError, serial.SerialException, OSError) as err:
        raise EarshotError(f"cannot open {port}: {err}") from err
    transport.serial.write_timeout = WRITE_TIMEOUT
    return transport


def close_board(transport: SerialTransport) -> None:
    with contextlib.suppress(TransportError, serial.SerialException, OSError):
        transport.close()
