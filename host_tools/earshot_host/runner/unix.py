"""Run MicroPython code with the Unix-port firmware, one process per run."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from ..boards import Board
from ..errors import EarshotError
from ..natmod import unix_env
from .result import Progress, RunResult


class UnixRunner:
    """Runs snippets as scripts of build/unix/micropython, one process each, in a work
    folder that holds the uploaded files."""

    # Every run is a new process: nothing carries over but uploaded files.
    keeps_state = False
    # Bytes of data per snippet (the process has megabytes of heap).
    chunk = 1 << 16

    def __init__(self, board: Board, firmware: Path) -> None:
        if not firmware.is_file():
            raise EarshotError(f"{board.name}: no firmware at {firmware} (run `make unix`)")
        self.board = board
        self.name = board.name
        self.firmware = firmware
        self._workdir = tempfile.TemporaryDirectory(prefix="earshot-unix-")
        self.workdir = Path(self._workdir.name)
        # Stock MicroPython (a `natmod` row) finds earshot on MICROPYPATH.
        env = unix_env(board)
        self.env = {**os.environ, **env} if env else None

    def upload(self, name: str, data: bytes, progress: Progress | None = None) -> str:
        """Make data available to later runs; returns the expression that reads it there."""
        (self.workdir / name).write_bytes(data)
        if progress:
            progress(len(data), len(data))
        return f"open({name!r}, 'rb').read()"

    def run(self, code: str, timeout: float = 60.0, soft_reset: bool = True) -> RunResult:
        del soft_reset  # every run is a new process
        script = self.workdir / "__earshot_main__.py"
        script.write_text(code)
        try:
            proc = subprocess.run(
                [str(self.firmware), str(script)],
                capture_output=True,
                timeout=timeout,
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                env=self.env,
                check=False,
            )
        except subprocess.TimeoutExpired as err:
            out = (err.stdout or b"").decode(errors="replace")
            return RunResult(self.name, out, f"timed out after {timeout:g} s")
        output = proc.stdout.decode(errors="replace")
        error = proc.stderr.decode(errors="replace")
        if proc.returncode != 0 and not error:
            error = f"exited with status {proc.returncode}"
        return RunResult(self.name, output, error if proc.returncode else "")

    def close(self) -> None:
        self._workdir.cleanup()
