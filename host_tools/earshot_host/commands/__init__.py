"""The subcommands of `earshot`, one module each: register(subparsers) adds its parser."""

from __future__ import annotations

from . import boards, convert, features, flash_firmware, infer, listen, profile, stream, watch

COMMANDS = (convert, infer, listen, features, boards, stream, watch, flash_firmware, profile)
