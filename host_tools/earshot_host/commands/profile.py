"""earshot profile: will a model run always-on on a board? flash, RAM, latency, duty cycle."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..boards import get_board
from ..profile import profile

EXAMPLES = """examples:
  earshot profile micro_speech --board qemu_m0
  earshot profile mlperf_kws --board nucleo_f411re_i2s --json
  earshot profile models/mlperf_sww/mlperf_sww.esm --board pico_i2s --bench docs/bench.json

MODEL is a model of models/, an .esm or a .tflite. Flash = firmware + model; RAM = the
model's arena + the detector pipeline's buffers + the interpreter's objects, against
the board's heap; latency and always-on CPU duty cycle (front end every hop + inference
at the model's rate) from the instructions per MAC that `make bench` measured for the
board's core (build/bench.json, else docs/bench.json, or --bench FILE); for a board that
runs in an emulator counting cycles (pico_i2s in rp2040js), the cycles measured there
(docs/emulator_cycles.json, or --cycles FILE). The last line says "fits" or "does not
fit, because ...".
"""


NAME = "profile"
HELP = "estimate flash, RAM, latency and duty cycle of a model on a board"
DESCRIPTION = "Estimate whether a model runs always-on on a board."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="model name (models/), .esm or .tflite")
    parser.add_argument("--board", required=True, help="a board of boards/boards.toml")
    parser.add_argument("--bench", type=Path, metavar="FILE", help="the bench.json to use")
    parser.add_argument(
        "--cycles",
        type=Path,
        metavar="FILE",
        help="emulator cycle table for boards with an emulator (default docs/emulator_cycles.json)",
    )
    parser.add_argument("--json", action="store_true", help="print the profile as JSON")


def run(args: argparse.Namespace) -> int:
    result = profile(args.model, get_board(args.board), args.bench, args.cycles)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(result.format_text())
    return 0
