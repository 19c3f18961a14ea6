"""Run MicroPython code on a target from the host: the Unix port, a QEMU board, the
emulated Pico (rp2040js), or any board on a serial port."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from ..boards import Board, get_board
from ..errors import EarshotError
from ..paths import project_root
from .qemu import QemuRunner
from .result import Progress, RemoteError, RunResult
from .rp2040js import Rp2040jsRunner
from .serial import PortRunner, SerialRunner
from .unix import UnixRunner

__all__ = [
    "PortRunner",
    "Progress",
    "RemoteError",
    "RunResult",
    "Runner",
    "SerialRunner",
    "open_runner",
    "runner_kind",
]


class Runner(Protocol):
    """Runs MicroPython code on one target."""

    name: str
    keeps_state: bool
    chunk: int  # bytes of data a snippet may carry

    def run(self, code: str, timeout: float = 60.0, soft_reset: bool = True) -> RunResult:
        """Run code; soft_reset=False keeps the globals of the previous run where the
        target can (boards in raw REPL; each Unix run is a new process)."""
        ...

    def upload(self, name: str, data: bytes, progress: Progress | None = None) -> str:
        """Put data on the target for later runs; returns a Python expression that
        evaluates to it there."""
        ...

    def close(self) -> None: ...


# How a target of boards.toml runs here: by its emulator column, else by its kind.
RUNNERS: dict[str, Callable[[Board, Path], Runner]] = {
    "unix": UnixRunner,
    "qemu": QemuRunner,
    "rp2040js": Rp2040jsRunner,
}


def runner_kind(board: Board) -> str | None:
    """The key of RUNNERS that runs the board here (None: it runs on hardware only)."""
    key = str(board.extra.get("emulator") or board.kind)
    return key if key in RUNNERS else None


def open_runner(
    target: str | Board, root: Path | None = None, kernels: str | None = None
) -> Runner:
    """A runner for a target named in boards/boards.toml; kernels ("optimized" or
    "reference") picks that build instead of the one EARSHOT_KERNELS names."""
    board = target if isinstance(target, Board) else get_board(target, root)
    key = runner_kind(board)
    if key is None:
        raise EarshotError(
            f"{board.name} is a {board.kind} board: it runs on hardware, not here "
            "(give its serial port instead)"
        )
    return RUNNERS[key](board, board.firmware_path(root or project_root(), kernels))
