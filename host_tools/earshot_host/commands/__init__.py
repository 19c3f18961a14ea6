"""The subcommands of `earshot`, one module each. A command module holds NAME, HELP,
DESCRIPTION and EXAMPLES (the text after the options in --help), add_arguments(parser)
and run(args) -> exit status; register() turns the table into argparse subparsers."""

from __future__ import annotations

import argparse

from . import (
    boards,
    bridge,
    calibrate,
    convert,
    evaluate,
    features,
    flash_firmware,
    flash_model,
    infer,
    install,
    listen,
    profile,
    record,
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
    install,
    stream,
    watch,
    profile,
    bridge,
    evaluate,
    calibrate,
    record,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """One subparser per command of COMMANDS; args.run is the command's run, args.parser
    its parser (for usage errors found after parsing)."""
    for command in COMMANDS:
        parser = subparsers.add_parser(
            command.NAME,
            help=command.HELP,
            description=command.DESCRIPTION,
            epilog=command.EXAMPLES,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.add_arguments(parser)
        parser.set_defaults(run=command.run, parser=parser)
