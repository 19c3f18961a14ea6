"""earshot listen: play a WAV to a target's detector and print what it detects."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..errors import EarshotError
from ..model_spec import resolve_model
from ..session import Message
from ..targets import open_target
from .targeting import add_device_options, add_target, device_args

EXAMPLES = """examples:
  earshot listen --target unix --model micro_speech --wav speech.wav
  earshot listen --target qemu_m4 --model mlperf_sww --wav marvin.wav --realtime
  earshot listen --target unix --model micro_speech --wav speech.wav --json --threshold 0.8
  earshot listen --target pico_i2s --model micro_speech --wav speech.wav
  earshot listen --target /dev/ttyACM0 --wav speech.wav       # the board's active model

TARGET is a target of boards/boards.toml that runs here (unix, the QEMU boards, pico_i2s
on the emulated Pico) or the serial port of a board running the earshot firmware. MODEL
is a model of models/, a .esm or a .tflite: frozen models run as they are, others go
into a model slot of the board's flash (or a file on the Unix port); without --model the
board runs its active model. The Unix port reads the WAV itself; a board hears it over
its console, as a board without a microphone would (see `earshot stream`). Detector
settings go to the device command line unchanged.
"""


NAME = "listen"
HELP = "play a WAV to a target's detector and print the detections"
DESCRIPTION = "Run the always-on detector of a target on a WAV file."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target(parser)
    parser.add_argument(
        "--model",
        help="a model of models/, .esm, .tflite or ESPHome .json (default: the active model)",
    )
    parser.add_argument("--wav", required=True, type=Path, help="16-bit PCM WAV, mono or stereo")
    parser.add_argument("--realtime", action="store_true", help="play at the speed of audio")
    parser.add_argument("--json", action="store_true", help="print the JSON lines as they come")
    add_device_options(parser)


def show(message: Message, as_json: bool) -> None:
    # An error message ends the session; it is reported once, as the command's error.
    if as_json:
        print(json.dumps(message), flush=True)
    elif message.get("type") == "detection":
        t = message["t_ms"] / 1000
        print(f"{t:8.2f} s  {message['label']:<10} {message['score']:.2f}", flush=True)


def run(args: argparse.Namespace) -> int:
    if not args.wav.is_file():
        raise EarshotError(f"no WAV file {args.wav}")
    model = resolve_model(args.model) if args.model else None

    def on_message(message: Message) -> None:
        show(message, args.json)

    with open_target(args.target) as target:
        target.listen(model, args.wav, device_args(args), on_message, args.realtime).check()
    return 0
