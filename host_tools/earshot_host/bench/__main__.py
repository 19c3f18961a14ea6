"""`python -m earshot_host.bench`: measure, write bench.json, render the docs.

    python -m earshot_host.bench                       # everything (make bench)
    python -m earshot_host.bench --quick --targets qemu_m4 --models micro_speech \\
        --kernels optimized --output /tmp/bench.json --no-docs
    python -m earshot_host.bench --render-only         # re-render docs from bench.json
    python -m earshot_host.bench --natmod-only         # natmod sizes (make stock natmod)
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from ..boards import KERNEL_VARIANTS, emulated_board_names, load_boards
from ..errors import EarshotError
from ..natmod import natmod_arch
from ..paths import project_root
from .files import load_bench
from .goals import evaluate
from .modelinfo import model_names
from .natmod import measure_natmod
from .render import render_chart, update_document, update_readme
from .run import full_settings, quick_settings, run_bench
from .schema import validate


def _names(text: str | None, known: list[str], what: str) -> list[str]:
    if not text:
        return known
    names = [n for n in text.split(",") if n]
    for name in names:
        if name not in known:
            raise EarshotError(f"unknown {what} {name!r} (known: {', '.join(known)})")
    return names


def render_docs(data: dict[str, Any], root: Path) -> None:
    docs = root / "docs"
    update_document(docs / "BENCHMARKS.md", data)
    update_readme(root / "README.md", data)
    render_chart(data, docs / "bench.png")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m earshot_host.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--targets", help="comma-separated targets (default: all emulated)")
    parser.add_argument("--models", help="comma-separated models (default: all)")
    parser.add_argument(
        "--kernels",
        default="optimized,reference",
        help="kernel builds to measure (default: optimized,reference)",
    )
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repetitions")
    parser.add_argument(
        "--natmod",
        action="store_true",
        help="also the native modules (make natmod) on stock MicroPython (make stock)",
    )
    parser.add_argument(
        "--natmod-only",
        action="store_true",
        help="only the native modules' section, printed as JSON (docs untouched)",
    )
    parser.add_argument("--output", type=Path, help="bench.json to write (build/bench.json)")
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/")
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="only render docs/ from build/bench.json (or docs/bench.json)",
    )
    args = parser.parse_args(argv)
    root = project_root()
    try:
        if args.natmod_only:
            print(json.dumps(measure_natmod(root), indent=1))
            return 0
        if args.render_only:
            data = load_bench(root)
            validate(data)
            render_docs(data, root)
            return 0
        # Stock MicroPython rows (a natmod column) have their own section (--natmod).
        boards = load_boards(root)
        firmware = [n for n in emulated_board_names(root) if not natmod_arch(boards[n])]
        targets = _names(args.targets, firmware, "target")
        models = _names(args.models, model_names(root), "model")
        kernels = _names(args.kernels, list(KERNEL_VARIANTS), "kernels")
        make = quick_settings if args.quick else full_settings
        data = run_bench(make(targets, models, kernels), root)
        if args.natmod:
            data["natmod"] = measure_natmod(root)
            data["goals"] = evaluate(data)
        validate(data)
        output = args.output or root / "build" / "bench.json"
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(data, indent=1) + "\n")
        print(f"earshot bench: wrote {output}", file=sys.stderr)
        if not args.no_docs:
            render_docs(data, root)
            shutil.copyfile(output, root / "docs" / "bench.json")
            print(
                "earshot bench: updated README.md's figures, docs/BENCHMARKS.md, docs/bench.png, "
                "docs/bench.json",
                file=sys.stderr,
            )
    except EarshotError as err:
        print(f"earshot: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
