"""earshot infer: run a model on a target on int8 inputs from a .npy, write the outputs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from ..boards import emulated_board_names
from ..errors import EarshotError
from ..infer import infer
from ..model_spec import resolve_model
from ..runner import open_runner

EXAMPLES = """examples:
  earshot infer --target unix --model micro_speech --input x.npy --output y.npy
  earshot infer --target qemu_m4 --model model.tflite --input batch.npy --output out.npy

MODEL is a model of models/ (frozen into the firmware), an .esm or a .tflite (converted
first). The input .npy holds int8 inputs, batch first; the output .npy the int8 outputs.
"""


NAME = "infer"
HELP = "run a model on a target (Unix port or QEMU board)"
DESCRIPTION = "Run a model on a target on a batch of int8 inputs."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", required=True, choices=emulated_board_names())
    parser.add_argument("--model", required=True, help="model name, .esm or .tflite")
    parser.add_argument("--input", required=True, type=Path, help="int8 inputs (.npy)")
    parser.add_argument("--output", required=True, type=Path, help="int8 outputs (.npy)")


def run(args: argparse.Namespace) -> int:
    source = resolve_model(args.model)
    try:
        batch = np.load(args.input, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise EarshotError(f"cannot read {args.input} as a .npy array: {err}") from err

    def progress(done: int, total: int) -> None:
        print(f"\r{args.target}: {done}/{total} inputs", end="", file=sys.stderr, flush=True)

    runner = open_runner(args.target)
    try:
        outputs = infer(runner, source, batch, progress=progress)
    finally:
        print(file=sys.stderr)
        runner.close()
    try:
        np.save(args.output, outputs)
    except OSError as err:
        raise EarshotError(f"cannot write {args.output}: {err.strerror}") from err
    return 0
