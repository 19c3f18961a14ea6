"""earshot flash-model: put a model into a board's model slot and make it active."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import detector_settings
from ..errors import EarshotError
from ..model_spec import resolve_model
from ..stock import connect, runs_stock_firmware
from ..stock import flash_model as flash_stock_model
from ..targets import open_target, target_names
from .targeting import add_target


def stock_board(port: str) -> bool:
    """True for a board running stock MicroPython with earshot's native modules; any
    other answer (or none) leaves the board to earshot's model store, which says why."""
    try:
        with connect(port) as board:
            return runs_stock_firmware(board)
    except EarshotError:
        return False


def run_stock(args: argparse.Namespace) -> int:
    if args.status:
        print(f"{args.target}: stock MicroPython: models are files (Model.from_file)")
        return 0
    if not args.model:
        args.parser.error("MODEL is required (or --status)")
    placed = flash_stock_model(args.target, args.model)
    where = "in place from its ROMFS partition" if placed.in_place else "read into RAM"
    print(
        f"{args.target}: {placed.path}, {placed.size:,} bytes ({where}): "
        f"earshot.Model.from_file({placed.path!r}), or --model-file {placed.path}"
    )
    return 0


EXAMPLES = """examples:
  earshot flash-model models/mlperf_kws/mlperf_kws.esm --port /dev/ttyACM0
  earshot flash-model my_model.tflite --port /dev/ttyUSB0
  earshot flash-model mlperf_kws --target pico_i2s        # the emulated Pico; its flash persists
  earshot flash-model --status --target pico_i2s
  earshot flash-model --status --port /dev/ttyACM0
  earshot flash-model mlperf_sww --port /dev/pts/5 --settings sww.json

MODEL is an earshot model (.esm), a .tflite (converted first) or a model of models/.
The board keeps two model slots; the model goes into the one not in use and becomes
active only once the board has read it back with the right size and CRC. An interrupted
or corrupted transfer leaves the previous model active (or the frozen default). The
board is soft-reset at the end and must report the new model. Boards without model
slots (qemu_m0, the Unix port) are refused. --target names a target of boards.toml
(a QEMU board lives only as long as the command; the emulated Pico keeps its flash in
build/pico_i2s/flash.bin) or a serial port, as --port does. See docs/MODEL_STORE.md.
--settings FILE (from `earshot calibrate`) ships detector settings with the model: the
board uses them over the model's defaults (its hello shows them).
"""


NAME = "flash-model"
HELP = "put a model into a board's model slot and make it active"
DESCRIPTION = (
    "Copy a model to a board over its serial port (MicroPython raw REPL), "
    "verify it there, make it the active model and soft-reset the board."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", nargs="?", help="a .esm, a .tflite or a model of models/")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", dest="target", metavar="PORT", help="the board's serial port")
    add_target(where, required=False)
    parser.add_argument("--status", action="store_true", help="only print the board's active model")
    parser.add_argument(
        "--settings", type=Path, metavar="FILE", help="detector settings to ship with the model"
    )


def bar(done: int, total: int, width: int = 30) -> str:
    filled = width * done // total if total else width
    return f"[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} bytes"


def run(args: argparse.Namespace) -> int:
    # Stock MicroPython on a serial port: a model is a file (earshot_host.stock).
    if args.target not in target_names() and stock_board(args.target):
        return run_stock(args)
    if not args.status and not args.model:
        args.parser.error("MODEL is required (or --status)")
    source = None if args.status else resolve_model(args.model)

    def progress(done: int, total: int) -> None:
        print(f"\r{args.target}: {bar(done, total)}", end="", file=sys.stderr, flush=True)

    if source is not None and args.settings:
        # Detector settings travel in the model's metadata; the board uses them over the
        # model's defaults.
        source = detector_settings.source_with_settings(
            source, detector_settings.load(args.settings)
        )
    with open_target(args.target) as target:
        if source is None:
            print(target.model_status().source)
            return 0
        try:
            result = target.flash_model(source, progress)
        finally:
            print(file=sys.stderr)
    print(
        f"{args.target}: {result.name} active in slot {result.slot} (seq {result.seq}), "
        f"{result.size:,} bytes, CRC {result.crc:08x}, "
        f"{result.seconds:.1f} s ({result.bytes_per_second / 1024:.1f} KiB/s)"
    )
    return 0
