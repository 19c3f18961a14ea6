"""earshot listen: play a WAV to a target's detector and print what it detects."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import detector_settings
from ..boards import load_boards
from ..errors import EarshotError
from ..listen import Message, Session, listen_target

EXAMPLES = """examples:
  earshot listen --target unix --model micro_speech --wav speech.wav
  earshot listen --target qemu_m4 --model mlperf_sww --wav marvin.wav --realtime
  earshot listen --target unix --model micro_speech --wav speech.wav --json
  earshot listen --target /dev/ttyACM0 --model micro_speech --wav speech.wav
  earshot listen --target unix --model mlperf_sww --wav marvin.wav --threshold 0.6
  earshot listen --target qemu_m4 --model micro_speech --wav speech.wav --settings s.json
  earshot listen --target unix --model micro_speech --wav speech.wav --t0-ms 2592000000

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
    parser.add_argument("--model", required=True, help="a model of models/ (frozen)")
    parser.add_argument("--wav", required=True, type=Path, help="16-bit PCM WAV, mono or stereo")
    parser.add_argument("--realtime", action="store_true", help="play at the speed of audio")
    parser.add_argument("--json", action="store_true", help="print the JSON lines as they come")
    parser.add_argument(
        "--t0-ms",
        type=int,
        default=None,
        metavar="N",
        help="start the board's audio clock at N ms (every t_ms is then N later)",
    )
    detector_settings.add_arguments(parser)


def device_args(args: argparse.Namespace) -> list[str]:
    """The device command line's detector settings and --t0-ms of the arguments."""
    extra = detector_settings.device_args(detector_settings.from_args(args))
    if args.t0_ms is not None:
        if args.t0_ms < 0:
            raise EarshotError("--t0-ms must be 0 or more")
        extra += ["--t0-ms", str(args.t0_ms)]
    return extra


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
    extra = device_args(args)

    def on_message(message: Message) -> None:
        show(message, args.json)

    session = listen_target(args.target, args.model, args.wav, args.realtime, on_message, extra)
    return check_session(session)


def check_session(session: Session) -> int:
    errors = session.of_type("error")
    if errors or session.error.strip():
        raise EarshotError(
            errors[0]["message"] if errors else session.error.strip().splitlines()[-1]
        )
    return 0
