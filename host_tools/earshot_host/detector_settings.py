"""Detector settings on the host: the same options and settings files as the device's
command line (firmware/earshot/settings.py, whose checks this module runs), turned into
device arguments for `listen`, `stream` and `evaluate`, and written by `calibrate`.

    --threshold P --average-ms N --min-count N --suppress-ms N --every N --gate DBFS
    --settings FILE      (JSON: {"threshold": 0.7, "average_ms": 800, ...})
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .device_code import device_module
from .errors import EarshotError
from .model_spec import ModelSource

Settings = dict[str, Any]

HELP = {
    "--threshold": ("P", "detection threshold, 0..1 (esphome rule: the probability cutoff)"),
    "--average-ms": ("N", "averaging window in ms (esphome rule: the sliding window)"),
    "--min-count": ("N", "results needed in the window (average rule)"),
    "--suppress-ms": ("N", "no detection within N ms after one (esphome rule: hold-off)"),
    "--every": ("N", "hops per inference"),
    "--gate": ("DBFS", "energy gate: skip inference while quieter than DBFS (e.g. -50)"),
}


def _device() -> Any:
    return device_module("settings")


def option_names() -> dict[str, str]:
    """{option: settings key} of the device's command line."""
    return dict(_device().OPTIONS)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The settings options and --settings FILE (values are checked by from_args)."""
    group = parser.add_argument_group("detector settings (defaults: the model's)")
    for option in option_names():
        metavar, text = HELP[option]
        group.add_argument(option, metavar=metavar, help=text)
    group.add_argument(
        "--settings", type=Path, metavar="FILE", help="a settings file (earshot calibrate)"
    )


def check(settings: Any, where: str = "settings") -> Settings:
    """settings checked as the device checks them (EarshotError naming the problem)."""
    try:
        return dict(_device().check(settings, where))
    except ValueError as err:
        raise EarshotError(str(err)) from err


def load(path: Path) -> Settings:
    try:
        data = json.loads(path.read_text())
    except OSError as err:
        raise EarshotError(f"settings file {path}: {err.strerror or err}") from err
    except ValueError as err:
        raise EarshotError(f"settings file {path}: not valid JSON ({err})") from err
    return check(data, f"settings file {path}")


def save(path: Path, settings: Settings) -> None:
    data = check(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def from_args(args: argparse.Namespace) -> Settings:
    """The settings of parsed arguments: the file's, then the options over them."""
    settings = load(args.settings) if getattr(args, "settings", None) else {}
    device = _device()
    for option, key in option_names().items():
        text = getattr(args, key, None)
        if text is not None:
            try:
                settings[key] = device.parse_option(option, text)[1]
            except ValueError as err:
                raise EarshotError(str(err)) from err
    return settings


def device_args(settings: Settings) -> list[str]:
    """The device command line's options for settings (a gate of None: off, the
    default, so nothing)."""
    args: list[str] = []
    for option, key in option_names().items():
        value = settings.get(key)
        if value is not None:
            args += [option, repr(value) if isinstance(value, float) else str(value)]
    return args


# The model file's header fields that placing new metadata changes (models/FORMAT.md 1.1).
_PAYLOAD_LENGTH, _PAYLOAD_CRC, _META_OFFSET, _META_SIZE, _HEADER_SIZE = 8, 12, 52, 56, 64


def source_with_settings(source: ModelSource, settings: Settings) -> ModelSource:
    """The model to flash with settings in its metadata (`flash-model --settings`)."""
    return ModelSource(source.name, False, with_settings(source.blob, settings))


def with_settings(model: bytes, settings: Settings) -> bytes:
    """The model file with settings in its metadata ("settings": what the board uses over
    the model's defaults, shown by its hello): how `flash-model --settings` ships them
    with the model. The metadata is the file's last section; it is rewritten with the
    header's lengths and CRC, and the result is checked like any model file."""
    import struct
    import zlib

    from .modelfile import read_model

    current = read_model(model)
    meta = dict(current.metadata)
    meta["settings"] = check(settings)
    offset, size = struct.unpack_from("<II", model, _META_OFFSET)
    if offset + size != len(model):
        raise EarshotError("the model's metadata is not its last section: cannot add settings")
    text = json.dumps(meta, separators=(",", ":")).encode()
    data = bytearray(model[:offset] + text)
    struct.pack_into("<I", data, _META_SIZE, len(text))
    struct.pack_into("<I", data, _PAYLOAD_LENGTH, len(data) - _HEADER_SIZE)
    struct.pack_into("<I", data, _PAYLOAD_CRC, zlib.crc32(data[_HEADER_SIZE:]))
    read_model(bytes(data))
    return bytes(data)
