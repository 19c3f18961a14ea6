"""Run MicroPython code with the Unix-port firmware, one process per run."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from ..boards import Board
from ..errors import EarshotError
from .result import RunResult


class UnixRunner:
    """Runs snippets as scripts of build/unix/micropython."""

    def __init__(self, board: Board, firmware: Path) -> None:
        if not firmware.is_file():
            raise EarshotError(f"{board.name}: no firmware at {firmware} (run `make unix`)")
        self.board = board
        self.firmware = firmware

    def run(self, code: str, timeout: float = 60.0, cwd: Path | None = None) -> RunResult:
        with tempfile.TemporaryDirectory(prefix="earshot-run-") as tmp:
            script = Path(tmp) / "main.py"
            script.write_text(code)
            try:
                proc = subprocess.run(
                    [str(self.firmware), str(script)],
                    capture_output=True,
                    timeout=timeout,
                    cwd=cwd or tmp,
                    stdin=subprocess.DEVNULL,
                    check=False,
                )
            except subprocess.TimeoutExpired as err:
                out = (err.stdout or b"").decode(errors="replace")
                return RunResult(self.board.name, out, f"timed out after {timeout:g} s")
        output = proc.stdout.decode(errors="replace")
        error = proc.stderr.decode(errors="replace")
        if proc.returncode != 0 and not error:
            error = f"exited with status {proc.returncode}"
        return RunResult(self.board.name, output, error if proc.returncode else "")

    def close(self) -> None:
        pass
