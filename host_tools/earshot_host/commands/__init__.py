"""The subcommands of `earshot`, one module each: register(subparsers) adds its parser."""

from __future__ import annotations

from . import (
    boards,
    convert,
    features,
    flash_firmware,
    flash_model,
    infer,
    listen,
    profile,
    stream,
    watch,
)

COMMANDS = (
    convert,
    infer,
    listen,
    features,
    boards,
    flash_firmware,
    flash_model,
    stream,
    watch,
    profile,
)
