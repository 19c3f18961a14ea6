"""earshot boards: the supported targets and what each can do."""

from __future__ import annotations

import argparse

from ..boards import load_boards


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "boards",
        help="list supported targets",
        description="List the targets of boards/boards.toml: core, memory, how they run.",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    del args
    print(f"{'target':<20} {'kind':<6} {'core':<11} {'RAM':>8} {'heap':>8}  description")
    for board in load_boards().values():
        ram = f"{board.ram_bytes // 1024} KiB" if board.ram_bytes else "-"
        heap = f"{board.heap_bytes // 1024} KiB" if board.heap_bytes else "-"
        row = f"{board.name:<20} {board.kind:<6} {board.core:<11} {ram:>8} {heap:>8}"
        print(f"{row}  {board.description}")
    return 0
