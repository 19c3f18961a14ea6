"""The options every command that reaches a device shares: --target (a target of
boards.toml that runs here, or a serial port), and the device command line's detector
settings (checked here as the device checks them) and other options."""

from __future__ import annotations

import argparse

from .. import detector_settings
from ..errors import EarshotError
from ..targets import target_names

# Device command-line options that are not detector settings: NAME, METAVAR, help.
DEVICE_OPTIONS = (
    ("--t0-ms", "N", "start the device's audio clock at N ms (every t_ms is then N later)"),
    ("--stats-ms", "N", "a stats line every N ms of audio (0: none)"),
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
    """The detector settings (options and a host --settings FILE, checked as the device
    checks them: detector_settings), --t0-ms, --stats-ms and any other device argument."""
    detector_settings.add_arguments(parser)
    group = parser.add_argument_group("device command line (earshot.cli)")
    for name, metavar, text in DEVICE_OPTIONS:
        if name in exclude:
            continue
        group.add_argument(name, metavar=metavar, type=int, help=text)
    group.add_argument(
        "--device-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="any other argument for the device command line (repeatable)",
    )


def device_args(args: argparse.Namespace, exclude: tuple[str, ...] = ()) -> list[str]:
    """The device command-line arguments of the parsed options: the detector settings
    (the settings file's, then the options over them), then the others in table order
    (but those the command has itself: exclude)."""
    out = detector_settings.device_args(detector_settings.from_args(args))
    for name, _, _ in DEVICE_OPTIONS:
        value = getattr(args, name[2:].replace("-", "_"), None)
        if value is not None and name not in exclude:
            if value < 0:
                raise EarshotError(f"{name} must be 0 or more")
            out += [name, str(value)]
    return out + list(args.device_arg)
