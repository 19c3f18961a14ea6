"""earshot listen: play a WAV to a target's detector and print what it detects."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..boards import get_board, load_boards
from ..errors import EarshotError
from ..listen import Message, Session, listen_port, listen_qemu, listen_unix
from ..runner import open_runner
from ..serial_port import looks_like_port

EXAMPLES = """examples:
  earshot listen --target unix --model micro_speech --wav speech.wav
  earshot listen --target qemu_m4 --model mlperf_sww --wav marvin.wav --realtime
  earshot listen --target unix --model micro_speech --wav speech.wav --json
  earshot listen --target /dev/ttyACM0 --model micro_speech --wav speech.wav

TARGET is a target of boards/boards.toml that runs here (unix, qemu_m0..qemu_m7) or the
serial port of a board already running the earshot firmware (a USB board, or a QEMU
board started with `earshot flash-firmware`). The Unix port reads the WAV itself; a
board hears it over its UART, as a board without a microphone would (see `earshot stream`).
"""


NAME = "listen"
HELP = "play a WAV to a target's detector and print the detections"
DESCRIPTION = "Run the always-on detector of a target on a WAV file."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    emulated = [b.name for b in load_boards().values() if b.emulated]
    parser.add_argument(
        "--target", required=True, help=f"{' | '.join(emulated)} | a serial port path"
    )
    parser.add_argument(
        "--model",
        required=True,
        help="a model of models/ (frozen); on unix also an .esm, .tflite or ESPHome .json",
    )
    parser.add_argument("--wav", required=True, type=Path, help="16-bit PCM WAV, mono or stereo")
    parser.add_argument("--realtime", action="store_true", help="play at the speed of audio")
    parser.add_argument("--json", action="store_true", help="print the JSON lines as they come")


def show(message: Message, as_json: bool) -> None:
    # An error message ends the session; it is reported once, as the command's error.
    if as_json:
        import json

        print(json.dumps(message), flush=True)
    elif message.get("type") == "detection":
        t = message["t_ms"] / 1000
        print(f"{t:8.2f} s  {message['label']:<10} {message['score']:.2f}", flush=True)


def run(args: argparse.Namespace) -> int:
    if not args.wav.is_file():
        raise EarshotError(f"no WAV file {args.wav}")

    def on_message(message: Message) -> None:
        show(message, args.json)

    if looks_like_port(args.target):
        session = listen_port(args.target, args.model, args.wav, args.realtime, on_message)
        return check_session(session)
    board = get_board(args.target)
    if not board.emulated:
        raise EarshotError(
            f"{board.name} is a real board: give its serial port as --target (e.g. /dev/ttyACM0)"
        )
    if board.kind == "unix":
        session: Session = listen_unix(board, args.model, args.wav, args.realtime, on_message)
    else:
        runner = open_runner(board)
        try:
            session = listen_qemu(runner, args.model, args.wav, args.realtime, on_message)
        finally:
            runner.close()
    return check_session(session)


def check_session(session: Session) -> int:
    errors = session.of_type("error")
    if errors or session.error.strip():
        raise EarshotError(
            errors[0]["message"] if errors else session.error.strip().splitlines()[-1]
        )
    return 0
