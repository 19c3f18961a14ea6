"""earshot install: put earshot on a board that runs stock MicroPython (native modules)."""

from __future__ import annotations

import argparse
import sys

from ..stock import connect, install

NAME = "install"
HELP = "install earshot on a board running stock MicroPython (native .mpy modules)"
DESCRIPTION = (
    "Copy earshot's native module and package (`make natmod`: build/natmod/<arch>/) into "
    "the lib folder of a board running stock MicroPython 1.23 or later, over its serial "
    "port (mpremote's raw REPL). The architecture comes from the board's "
    "sys.implementation._mpy; the board then imports earshot to check the install."
)
EXAMPLES = """examples:
  earshot install --port /dev/ttyACM0
  earshot install --port /dev/ttyUSB0 --target /flash/lib

Architectures: x64, armv6m (Cortex-M0/M0+: RP2040, SAMD21, nRF51), armv7m (Cortex-M3, and
Cortex-M4/M7 firmware without FPU), armv7emsp (Cortex-M4F/M7 with a single-precision FPU:
STM32F4/F7, nRF52, SAMD51, RP2350, ...). Without a network connection on the board, this
is the way; with one, `mpremote mip install <url>/build/natmod/<arch>/package.json` does
the same. docs/STOCK.md lists what fits where.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", required=True, help="the board's serial port")
    parser.add_argument(
        "--target", help="the folder to install into (default: the first lib folder of sys.path)"
    )


def run(args: argparse.Namespace) -> int:
    def progress(done: int, total: int) -> None:
        print(f"\r{args.port}: {done:,}/{total:,} bytes", end="", file=sys.stderr, flush=True)

    with connect(args.port) as board:
        try:
            result = install(board, target=args.target, progress=progress)
        finally:
            print(file=sys.stderr)
    print(
        f"{args.port}: earshot {result.version} ({result.arch}) installed in {result.target}: "
        f"{result.files} files, {result.bytes:,} bytes; `import earshot` works"
    )
    return 0
