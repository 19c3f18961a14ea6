"""The `earshot` command: a thin argparse layer over the earshot_host API.

One error type (EarshotError) and one exit path: `earshot: <message>` on stderr and
status 1; usage errors exit 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__
from .commands import register
from .errors import EarshotError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="earshot",
        description="earshot host tools: convert models, run them on targets, flash and watch.",
    )
    parser.add_argument("--version", action="version", version=f"earshot {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.run(args) or 0)
    except EarshotError as err:
        print(f"earshot: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("earshot: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
