"""The `earshot` command: a thin argparse layer over the earshot_host API."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__
from .errors import EarshotError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="earshot",
        description="earshot host tools: convert models, run them on targets, flash and watch.",
    )
    parser.add_argument("--version", action="version", version=f"earshot {__version__}")
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except EarshotError as err:
        print(f"earshot: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
