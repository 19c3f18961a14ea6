"""earshot convert: a model spec (.tflite, ESPHome manifest .json, a name of models/) →
earshot model file, with the conversion report."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..errors import EarshotError
from ..model_spec import convert_spec

EXAMPLES = """examples:
  earshot convert models/micro_speech/micro_speech_quantized.tflite -o speech.esm
  earshot convert model.tflite -o model.esm --labels yes,no,silence --json
  earshot convert okay_nabu.json -o okay_nabu.esm     # an ESPHome microWakeWord manifest
  earshot convert okay_nabu -o okay_nabu.esm          # a model of models/, as frozen
"""


NAME = "convert"
HELP = "convert a .tflite, an ESPHome manifest or a model of models/ into an earshot model"
DESCRIPTION = (
    "Convert a full-integer int8 .tflite into an earshot model file and print the per-op "
    "report (shapes, MACs, arena offsets) and totals. MODEL is a .tflite (an ESPHome "
    "manifest <stem>.json beside it is used), a microWakeWord manifest .json (its "
    "labels, 10/20 ms front end, stride and detection rule go into the file), or a "
    "model of models/ (converted with its recipe, exactly as the firmware freezes it)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="a .tflite, an ESPHome manifest .json or a model name")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the .esm to write")
    parser.add_argument("--name", help="model name (default: the output file's stem)")
    parser.add_argument("--labels", help="comma-separated class labels, in output order")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> int:
    labels = [s.strip() for s in args.labels.split(",")] if args.labels else None
    name = args.name or (args.output.stem if Path(args.model).suffix == ".tflite" else None)
    converted = convert_spec(args.model, name=name, labels=labels)
    try:
        args.output.write_bytes(converted.blob)
    except OSError as err:
        raise EarshotError(f"cannot write {args.output}: {err.strerror}") from err
    if args.json:
        print(json.dumps(converted.report.to_dict(), indent=2))
    else:
        print(converted.report.format_text())
    return 0
