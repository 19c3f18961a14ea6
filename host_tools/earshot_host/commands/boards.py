"""earshot boards: the supported targets and what each can do."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..boards import Board, load_boards

EXAMPLES = """examples:
  earshot boards
  earshot boards --json

One row per target of boards/boards.toml: kind, core, clock, RAM, flash, MicroPython
heap, whether it runs here (emulated: the Unix port and QEMU boards; rp2040js: a real
board that also runs in its emulator, `--target pico_i2s`), whether it has an I2S
microphone input, and model slots where the table gives them.
"""


NAME = "boards"
HELP = "list supported targets"
DESCRIPTION = "List the targets of boards/boards.toml: core, memory, how they run."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the table as JSON")


def capabilities(board: Board) -> dict[str, Any]:
    """What a target can do, as the table says."""
    return {
        "name": board.name,
        "kind": board.kind,
        "core": board.core,
        "clock_hz": board.clock_hz or None,
        "ram_bytes": board.ram_bytes or None,
        "flash_bytes": board.flash_bytes or None,
        "heap_bytes": board.heap_bytes or None,
        "emulated": board.emulated,
        "emulator": board.extra.get("emulator"),
        "i2s": "i2s_id" in board.extra,
        "model_slots": board.model_slots or None,
        "description": board.description,
    }


def runs_here(row: dict[str, Any]) -> str:
    """How a target runs on this machine: emulated (Unix port, QEMU), in its emulator
    (pico_i2s: rp2040js, `--target pico_i2s`), or not (hardware only)."""
    if row["emulated"]:
        return "emulated"
    return str(row["emulator"] or "no")


def _kib(value: int | None) -> str:
    return f"{value // 1024} KiB" if value else "-"


def run(args: argparse.Namespace) -> int:
    rows = [capabilities(b) for b in load_boards().values()]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    slots = any(r["model_slots"] is not None for r in rows)
    header = (
        f"{'target':<18} {'kind':<5} {'core':<10} {'clock':>8} {'RAM':>8} {'flash':>9} "
        f"{'heap':>8} {'runs here':<9} {'I2S':<3}"
    )
    print(header + (" slots" if slots else "") + "  description")
    for r in rows:
        clock = f"{r['clock_hz'] / 1e6:g} MHz" if r["clock_hz"] else "-"
        line = (
            f"{r['name']:<18} {r['kind']:<5} {r['core']:<10} {clock:>8} {_kib(r['ram_bytes']):>8} "
            f"{_kib(r['flash_bytes']):>9} {_kib(r['heap_bytes']):>8} "
            f"{runs_here(r):<9} {'yes' if r['i2s'] else 'no':<3}"
        )
        if slots:
            line += f" {r['model_slots'] if r['model_slots'] is not None else '-':>5}"
        print(f"{line}  {r['description']}")
    return 0
