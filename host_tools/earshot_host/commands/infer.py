"""earshot infer: run a model on a target on quantized inputs from a .npy, write the outputs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from ..errors import EarshotError
from ..model_spec import resolve_model
from ..targets import open_target
from .targeting import add_target

EXAMPLES = """examples:
  earshot infer --target unix --model micro_speech --input x.npy --output y.npy
  earshot infer --target qemu_m4 --model ad01.tflite --input batch.npy --output out.npy
  earshot infer --target pico_i2s --model mlperf_kws --input x.npy --output y.npy

MODEL is a model of models/, an .esm or a .tflite (converted first). A model the
firmware does not have frozen goes where the target keeps models: a model slot of the
board's flash (run in place, so models larger than the heap run), a file on the Unix
port, else the heap. The input .npy holds the model's quantized inputs (int8 or uint8),
batch first; the rows run in order on one model instance (a stateful model carries its
state from row to row, as LiteRT invoked row by row). The output .npy holds the outputs
in the model's output type.
"""


NAME = "infer"
HELP = "run a model on a target (Unix port, QEMU board, emulated Pico, serial port)"
DESCRIPTION = "Run a model on a target on a batch of quantized inputs."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target(parser)
    parser.add_argument("--model", required=True, help="model name, .esm or .tflite")
    parser.add_argument("--input", required=True, type=Path, help="quantized inputs (.npy)")
    parser.add_argument("--output", required=True, type=Path, help="outputs (.npy)")


def run(args: argparse.Namespace) -> int:
    source = resolve_model(args.model)
    try:
        batch = np.load(args.input, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise EarshotError(f"cannot read {args.input} as a .npy array: {err}") from err
    shown = []

    def model_progress(done: int, total: int) -> None:
        shown.append(done)
        end = "\n" if done == total else ""
        print(f"\r{args.target}: model {done:,}/{total:,} bytes", end=end, file=sys.stderr)

    def progress(done: int, total: int) -> None:
        shown.append(done)
        print(f"\r{args.target}: {done}/{total} inputs", end="", file=sys.stderr, flush=True)

    try:
        with open_target(args.target) as target:
            outputs = target.infer(source, batch, progress, model_progress)
    finally:
        if shown:
            print(file=sys.stderr)
    try:
        np.save(args.output, outputs)
    except OSError as err:
        raise EarshotError(f"cannot write {args.output}: {err.strerror}") from err
    return 0
