"""Run MicroPython code on a target from the host: the Unix port or a QEMU board."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from ..boards import Board, get_board
from ..errors import EarshotError
from ..paths import project_root
from .qemu import QemuRunner
from .result import Progress, RemoteError, RunResult
from .unix import UnixRunner

__all__ = ["Progress", "RemoteError", "RunResult", "Runner", "open_runner"]


class Runner(Protocol):
    """Runs MicroPython code on one target."""

    board: Board
    keeps_state: bool
    chunk: int  # bytes of data a snippet may carry

    def run(self, code: str, timeout: float = 60.0, soft_reset: bool = True) -> RunResult:
        """Run code; soft_reset=False keeps the globals of the previous run where the
        target can (QEMU boards; each Unix run is a new process)."""
        ...

    def upload(self, name: str, data: bytes, progress: Progress | None = None) -> str:
        """Put data on the target for later runs; returns a Python expression that
        evaluates to it there."""
        ...

    def close(self) -> None: ...


def open_runner(
    target: str | Board, root: Path | None = None, kernels: str | None = None
) -> Runner:
    """A runner for a target named in boards/boards.toml; kernels ("optimized" or
    "reference") picks that build instead of the one EARSHOT_KERNELS names."""
    board = target if isinstance(target, Board) else get_board(target, root)
    firmware = board.firmware_path(root or project_root(), kernels)
    if board.kind == "unix":
        return UnixRunner(board, firmware)
    if board.kind == "qemu":
        return QemuRunner(board, firmware)
    raise EarshotError(f"{board.name} is a {board.kind} board: it runs on hardware, not here")
