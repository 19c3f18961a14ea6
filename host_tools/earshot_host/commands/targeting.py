"""The options every command that reaches a device shares: --target (a target of
boards.toml that runs here, or a serial port), and the detector settings of the device
command line, passed through to it unchanged."""

from __future__ import annotations

import argparse

from ..targets import target_names

# Detector settings of the device command line (`micropython -m earshot`): NAME, METAVAR.
DEVICE_OPTIONS = (
    ("--threshold", "P"),
    ("--average-ms", "N"),
    ("--min-count", "N"),
    ("--suppress-ms", "N"),
    ("--every", "N"),
    ("--gate", "DBFS"),
    ("--settings", "FILE"),
    ("--t0-ms", "N"),
    ("--stats-ms", "N"),
)


def add_target(
    parser: argparse.ArgumentParser, required: bool = True, flag: str = "--target"
) -> None:
    parser.add_argument(
        "--target",
        dest="target",
        required=required,
        metavar="TARGET",
        help=f"{' | '.join(target_names())} | a serial port path (/dev/ttyACM0, a pty)",
    )


def add_device_options(parser: argparse.ArgumentParser, exclude: tuple[str, ...] = ()) -> None:
    """The detector settings as options (but those in exclude, which the command has)."""
    group = parser.add_argument_group(
        "detector settings", "passed unchanged to the device's command line (earshot.cli)"
    )
    for name, metavar in DEVICE_OPTIONS:
        if name in exclude:
            continue
        group.add_argument(name, metavar=metavar, dest="device_" + name[2:].replace("-", "_"))
    group.add_argument(
        "--device-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="any other argument for the device command line (repeatable)",
    )


def device_args(args: argparse.Namespace) -> list[str]:
    """The detector settings given, as device command-line arguments, in table order."""
    out: list[str] = []
    for name, _ in DEVICE_OPTIONS:
        value = getattr(args, "device_" + name[2:].replace("-", "_"), None)
        if value is not None:
            out += [name, value]
    return out + list(args.device_arg)
