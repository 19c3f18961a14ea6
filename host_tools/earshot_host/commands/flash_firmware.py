"""earshot flash-firmware: put the earshot firmware on a board (or start an emulated one)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..boards import get_board
from ..errors import EarshotError
from ..flashing import flash_rp2, flash_stm32, run_dir, start_qemu, stop_qemu

EXAMPLES = """examples:
  earshot flash-firmware --board qemu_m4            # prints the board's port, e.g. /dev/pts/5
  earshot flash-firmware --board qemu_m4 --stop
  earshot flash-firmware --board pico_i2s --port /dev/ttyACM0
  earshot flash-firmware --board pico_i2s --drive /media/me/RPI-RP2
  earshot flash-firmware --board nucleo_f411re_i2s

QEMU boards: the emulator starts detached with the board's UART on a pty, exactly as a USB
board's serial port (use it with `earshot stream/watch/listen`); its pid, port and log are
in build/run/<board>.{pid,port,log}; --stop ends it. rp2: the .uf2 is copied to the
mounted RPI-RP2 drive (with --port, the board is first sent to its bootloader with
machine.bootloader()). stm32: dfu-util or st-flash, whichever is installed.
"""


NAME = "flash-firmware"
HELP = "flash the firmware to a board, or start/stop an emulated board"
DESCRIPTION = "Flash the earshot firmware of boards/boards.toml to a board."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--board", required=True, help="a board of boards/boards.toml")
    parser.add_argument("--port", help="the board's serial port (enter its bootloader first)")
    parser.add_argument("--firmware", type=Path, help="the firmware file (default: its build)")
    parser.add_argument("--drive", type=Path, help="rp2: the mounted RPI-RP2 drive")
    parser.add_argument("--stop", action="store_true", help="QEMU: stop the running board")
    parser.add_argument(
        "--run-dir",
        type=Path,
        metavar="DIR",
        help="QEMU: where the pid/port/log files live (default build/run)",
    )


def run(args: argparse.Namespace) -> int:
    board = get_board(args.board)
    if args.stop and board.kind != "qemu":
        raise EarshotError(f"--stop is for QEMU boards; {board.name} is a {board.kind} board")
    if board.kind == "unix":
        raise EarshotError("nothing to flash: the unix target runs build/unix/micropython here")
    firmware = args.firmware or board.firmware_path()
    if board.kind == "qemu":
        where = args.run_dir or run_dir()
        if args.stop:
            stopped = stop_qemu(board, where)
            print(
                f"{board.name}: stopped (pid {stopped.pid})"
                if stopped
                else f"{board.name}: not running"
            )
            return 0
        running = start_qemu(board, firmware, where)
        extra = f" --run-dir {args.run_dir}" if args.run_dir else ""
        print(running.port)
        print(
            f"earshot flash-firmware: {board.name} runs in QEMU (pid {running.pid}, "
            f"log {running.log}); "
            f"stop it with `earshot flash-firmware --board {board.name} --stop{extra}`",
            file=sys.stderr,
        )
        return 0
    if board.kind == "rp2":
        written = flash_rp2(board, firmware, args.port, args.drive)
        print(f"{board.name}: wrote {written}")
        return 0
    command = flash_stm32(board, firmware, args.port)
    print(f"{board.name}: flashed with {' '.join(command)}")
    return 0
