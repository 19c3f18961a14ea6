"""Targets: the one interface through which commands reach a device.

    with open_target("qemu_m4") as target:
        outputs = target.infer(resolve_model("mlperf_kws"), batch)

A spec is a target of boards/boards.toml that runs here (the Unix port, a QEMU board, a
board with an emulator column such as pico_i2s under rp2040js) or the path of a serial
port with a board running earshot on it (a USB board, a QEMU or emulator pty). Which
class serves it comes from the table below, keyed like runner.RUNNERS; commands never
look at a target's kind.
"""

from __future__ import annotations

from pathlib import Path

from ..boards import Board, get_board, load_boards
from ..errors import EarshotError
from ..runner import open_runner, runner_kind
from ..runner.serial import PortRunner
from ..serial_port import looks_like_port
from .base import DeviceInfo, Target
from .serial import SerialTarget
from .unix import UnixTarget

__all__ = ["DeviceInfo", "SerialTarget", "Target", "UnixTarget", "open_target", "target_names"]

# The Target class of each way of running a target here (runner.runner_kind).
TARGET_CLASSES: dict[str, type[Target]] = {
    "unix": UnixTarget,
    "qemu": SerialTarget,
    "rp2040js": SerialTarget,
}


def open_target(spec: str | Board, root: Path | None = None, kernels: str | None = None) -> Target:
    """The target a spec names: a boards.toml name that runs here, or a serial port."""
    if isinstance(spec, str) and looks_like_port(spec):
        return SerialTarget(spec, PortRunner(spec))
    board = spec if isinstance(spec, Board) else get_board(spec, root)
    kind = runner_kind(board)
    if kind is None:
        raise EarshotError(
            f"{board.name} is a real board: give its serial port as the target (e.g. /dev/ttyACM0)"
        )
    runner = open_runner(board, root, kernels)
    return TARGET_CLASSES[kind](board.name, runner, board)


def target_names(root: Path | None = None) -> list[str]:
    """The targets of boards.toml that run on this machine (emulators included)."""
    return [b.name for b in load_boards(root).values() if runner_kind(b) is not None]
