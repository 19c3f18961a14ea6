"""earshot convert: .tflite → earshot model file, with the conversion report."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..convert import convert_tflite
from ..errors import EarshotError

EXAMPLES = """examples:
  earshot convert models/micro_speech/micro_speech_quantized.tflite -o speech.esm
  earshot convert model.tflite -o model.esm --labels yes,no,silence --json
"""


NAME = "convert"
HELP = "convert a full-integer int8 .tflite into an earshot model"
DESCRIPTION = (
    "Convert a full-integer int8 .tflite into an earshot model file and "
    "print the per-op report (shapes, MACs, arena offsets) and totals."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("tflite", type=Path, help="the .tflite model")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the .esm to write")
    parser.add_argument("--name", help="model name (default: the output file's stem)")
    parser.add_argument("--labels", help="comma-separated class labels, in output order")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> int:
    try:
        data = args.tflite.read_bytes()
    except OSError as err:
        raise EarshotError(f"cannot read {args.tflite}: {err.strerror}") from err
    labels = [s.strip() for s in args.labels.split(",")] if args.labels else None
    converted = convert_tflite(data, name=args.name or args.output.stem, labels=labels)
    try:
        args.output.write_bytes(converted.blob)
    except OSError as err:
        raise EarshotError(f"cannot write {args.output}: {err.strerror}") from err
    if args.json:
        print(json.dumps(converted.report.to_dict(), indent=2))
    else:
        print(converted.report.format_text())
    return 0
