"""earshot flash-firmware: put the earshot firmware on a board (or start an emulated one)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..boards import get_board
from ..flashing import FlashRequest, flash_firmware, run_dir

EXAMPLES = """examples:
  earshot flash-firmware --board qemu_m4            # prints the board's port, e.g. /dev/pts/5
  earshot flash-firmware --board qemu_m4 --stop
  earshot flash-firmware --board pico_i2s --emulate # the emulated Pico (rp2040js), detached
  earshot flash-firmware --board pico_i2s --emulate --stop
  earshot flash-firmware --board pico_i2s --port /dev/ttyACM0
  earshot flash-firmware --board pico_i2s --drive /media/me/RPI-RP2
  earshot flash-firmware --board nucleo_f411re_i2s

QEMU boards (and with --emulate, a board with an emulator such as pico_i2s): the emulator
starts detached with the board's console on a pty, exactly as a USB board's serial port
(use it with `earshot stream/watch/listen`); its pid, port and log are in
build/run/<board>.{pid,port,log}; --stop ends it. rp2: the .uf2 is copied to the mounted
RPI-RP2 drive (with --port, the board is first sent to its bootloader with
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
    parser.add_argument(
        "--emulate", action="store_true", help="start the board's emulator instead (pico_i2s)"
    )
    parser.add_argument("--stop", action="store_true", help="stop the running emulated board")
    parser.add_argument(
        "--run-dir",
        type=Path,
        metavar="DIR",
        help="emulated boards: where the pid/port/log files live (default build/run)",
    )


def run(args: argparse.Namespace) -> int:
    board = get_board(args.board)
    request = FlashRequest(
        board,
        args.firmware or board.firmware_path(),
        args.port,
        args.drive,
        args.run_dir or run_dir(),
        args.emulate,
        args.stop,
    )
    print(flash_firmware(request))
    if (board.kind == "qemu" or args.emulate) and not args.stop:
        extra = f" --run-dir {args.run_dir}" if args.run_dir else ""
        emulate = " --emulate" if args.emulate else ""
        print(
            f"earshot flash-firmware: {board.name} runs emulated (pid and log in "
            f"{request.where}); stop it with "
            f"`earshot flash-firmware --board {board.name}{emulate} --stop{extra}`",
            file=sys.stderr,
        )
    return 0
