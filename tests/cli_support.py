"""Helpers of the `earshot` command tests: run it, check one-line errors, fake ports."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

PROTOCOL_LINES = (
    b'{"v":1,"type":"hello","model":"micro_speech","labels":["silence","unknown","yes","no"],'
    b'"hop_ms":20,"sample_rate":16000}\r\n',
    b'{"v":1,"type":"detection","t_ms":2340,"label":"yes","score":0.93}\r\n',
    b'{"v":1,"type":"stats","t_ms":10000,"hops":500,"inferences":250,"gated":0,'
    b'"overruns":0,"dropped":0,"malformed":0,"heap_free":41232}\r\n',
    b'{"v":1,"type":"detection","t_ms":11020,"label":"no","score":0.81}\r\n',
    b'{"v":1,"type":"end","t_ms":12000}\r\n',
)


def earshot(
    *args: str, env: dict | None = None, timeout: float = 600
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "earshot_host.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
    )


def start_earshot(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "earshot_host.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_stderr_line(proc: subprocess.Popen, fragment: str, limit: float = 60) -> list[str]:
    """Read the process's stderr up to a line containing fragment; returns the lines."""
    assert proc.stderr is not None
    lines = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line)
        if fragment in line:
            return lines
    raise AssertionError(f"no {fragment!r} on stderr: {lines}")


def assert_one_line_error(proc: subprocess.CompletedProcess, *fragments: str) -> None:
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("earshot: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def assert_ends_with_error(stderr: str, *fragments: str) -> None:
    """The last stderr line is the command's one-line error; no traceback anywhere."""
    assert "Traceback" not in stderr, stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("earshot: "), stderr
    for fragment in fragments:
        assert fragment in last, last


class FakePort:
    """A pty pair standing in for a board's serial port: the test writes what a board
    would print into the master; tools open the slave path."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)

    def send(self, *lines: bytes) -> None:
        for line in lines:
            os.write(self.master, line)

    def unplug(self) -> None:
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)


def png_ok(path: Path) -> bool:
    data = path.read_bytes()
    return data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
