"""earshot features: a WAV through a model's audio front end on a target, int8 frames out."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from ..errors import EarshotError
from ..features import prepare_features
from ..model_spec import resolve_model
from ..targets import open_target
from .targeting import add_target

EXAMPLES = """examples:
  earshot features --target unix --model micro_speech --wav yes.wav --output yes.npy
  earshot features --target qemu_m3 --model mlperf_kws --wav no.wav --output no.npy
  earshot features --target qemu_m4 --model mlperf_kws --wav no.wav --output no.npy --clip-gain
  earshot features --target pico_i2s --model micro_speech --wav yes.wav --output yes.npy

MODEL is a model of models/ (frozen into the firmware) or an .esm whose metadata has a
front end (tflm_micro, mfcc or logmel). The WAV (16-bit PCM, mono or stereo, at the front
end's sample rate) is streamed to the target hop by hop; the output .npy holds the int8
frames, shape (frames, features), exactly as the model receives them. Samples after the
last whole hop are not used. (A model whose model.toml sets normalize = "peak", such as
mlperf_kws, also has coefficient 0 of each window's frames shifted by the window's peak
just before each inference: --clip-gain gives the frames of a whole clip so scaled.)
"""


NAME = "features"
HELP = "compute a model's input features for a WAV on a target"
DESCRIPTION = "Stream a WAV through a model's audio front end on a target."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target(parser)
    parser.add_argument("--model", required=True, help="model name or .esm")
    parser.add_argument("--wav", required=True, type=Path, help="16-bit PCM WAV")
    parser.add_argument("--output", required=True, type=Path, help="int8 frames (.npy)")
    parser.add_argument(
        "--clip-gain",
        action="store_true",
        help="mfcc: scale the clip by 1/max(x) as MLPerf KWS training does",
    )


def run(args: argparse.Namespace) -> int:
    fe, samples, gain = prepare_features(resolve_model(args.model), args.wav, args.clip_gain)
    if not args.output.parent.is_dir():
        raise EarshotError(f"cannot write {args.output}: no such directory")
    shown = []

    def progress(done: int, total: int) -> None:
        shown.append(done)
        print(f"\r{args.target}: {done}/{total} bytes", end="", file=sys.stderr, flush=True)

    try:
        with open_target(args.target) as target:
            frames = target.features(fe, samples, gain, progress)[0]
    finally:
        if shown:
            print(file=sys.stderr)
    try:
        np.save(args.output, frames)
    except OSError as err:
        raise EarshotError(f"cannot write {args.output}: {err.strerror}") from err
    return 0
