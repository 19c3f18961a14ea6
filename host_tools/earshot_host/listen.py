"""Listen on a target: play a WAV to the firmware's detector and collect what it prints.

    session = listen("qemu_m4", "micro_speech", Path("speech.wav"), ["--threshold", "0.8"])

The target (targets.open_target: a boards.toml name or a serial port) runs the detector
through the device command line with the device arguments passed through unchanged: the
Unix port reads the WAV itself, a board hears it as protocol lines over its console
(session.listen_serial). The model is a name of models/, a .esm or a .tflite (put on the
target as it can: frozen, a model slot, a file), or None for the board's active model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from .boards import Board
from .model_spec import ModelSource, resolve_model
from .runner.serial import SerialRunner
from .session import Message, OnMessage, Session, listen_code, listen_serial, model_hop
from .targets import SerialTarget, Target, open_target

__all__ = [
    "Message",
    "Session",
    "listen",
    "listen_code",
    "listen_qemu",
    "listen_qemu_lines",
    "listen_serial",
    "listen_unix",
    "listen_unix_stream",
    "model_hop",
]


def _source(model: str | Path | ModelSource | None) -> ModelSource | None:
    if model is None or isinstance(model, ModelSource):
        return model
    return resolve_model(model)


def listen(
    target: str | Board | Target,
    model: str | Path | ModelSource | None,
    wav: Path,
    device_args: Sequence[str] = (),
    on_message: OnMessage | None = None,
    realtime: bool = False,
) -> Session:
    """The detector of a target hearing a WAV; what it printed."""
    if isinstance(target, Target):
        return target.listen(_source(model), wav, device_args, on_message, realtime)
    with open_target(target) as opened:
        return opened.listen(_source(model), wav, device_args, on_message, realtime)


def listen_lines(
    target: str | Board | Target,
    model: str | Path | ModelSource | None,
    lines: Iterable[bytes],
    device_args: Sequence[str] = (),
) -> Session:
    """The detector of a target hearing the given protocol lines."""
    if isinstance(target, Target):
        return target.listen_lines(_source(model), lines, device_args)
    with open_target(target) as opened:
        return opened.listen_lines(_source(model), lines, device_args)


# Shorthands of the tests: a board of the table, or a runner the caller keeps open.


def _runner_target(runner: SerialRunner | Target) -> Target:
    if isinstance(runner, Target):
        return runner
    return SerialTarget(runner.name, runner, runner.board)


def listen_unix(
    board: Board,
    model: str,
    wav: Path,
    realtime: bool = False,
    on_message: OnMessage | None = None,
    extra_args: Sequence[str] = (),
) -> Session:
    return listen(board, model, wav, extra_args, on_message, realtime)


def listen_unix_stream(
    board: Board, model: str, lines: Iterable[bytes], stats_ms: int = 10_000
) -> Session:
    return listen_lines(board, model, lines, ["--stats-ms", str(stats_ms)])


def listen_qemu(
    runner: SerialRunner | Target,
    model: str,
    wav: Path,
    realtime: bool = False,
    on_message: OnMessage | None = None,
    device_args: Sequence[str] = (),
) -> Session:
    return listen(_runner_target(runner), model, wav, device_args, on_message, realtime)


def listen_qemu_lines(runner: SerialRunner | Target, model: str, lines: Iterable[bytes]) -> Session:
    return listen_lines(_runner_target(runner), model, lines)
