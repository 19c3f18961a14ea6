"""`python -m earshot_host.fuzz [--cases N] [--seed S] [--sanitize]`: fuzz the Unix firmware's
model loader and engine; writes build/fuzz/summary.json and saves failing cases."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..boards import get_board
from ..paths import project_root
from .runner import FirmwareFuzzer, Report, generate, save_failure


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m earshot_host.fuzz", description=__doc__)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--sanitize", action="store_true", help="use build/unix-sanitize")
    parser.add_argument(
        "--native", type=Path, metavar="BINARY", help="the native harness (make fuzz-native)"
    )
    args = parser.parse_args(argv)
    root = project_root()
    firmware = get_board("unix", root).firmware_path(root, sanitize=args.sanitize or None)
    if args.native:
        firmware = args.native.resolve()
    if not firmware.is_file():
        print(f"earshot: no firmware at {firmware} (run `make unix`)", file=sys.stderr)
        return 1
    out = root / "build" / "fuzz"
    fuzzer = FirmwareFuzzer(firmware, native=args.native is not None)
    report = Report()
    try:
        done = 0
        while done < args.cases:
            step = min(args.batch, args.cases - done)
            fuzzer.run(generate(step, args.seed, start=done), report, batch=args.batch)
            done += step
            print(
                f"fuzz: {report.cases} cases, {report.seconds:.0f} s, "
                f"{len(report.failures)} failures",
                flush=True,
            )
    finally:
        fuzzer.close()
    for failure in report.failures:
        found_by = f"python -m earshot_host.fuzz --seed {args.seed} ({firmware})"
        path = save_failure(failure, out / "failures", found_by)
        print(f"fuzz: FAILURE {failure.kind}: {failure.case.how} -> {path}", file=sys.stderr)
    name = firmware.parent.name if firmware.name == "micropython" else firmware.name
    summary = report.summary() | {"seed": args.seed, "firmware": name}
    out.mkdir(parents=True, exist_ok=True)
    (out / f"summary-{name}.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps({k: summary[k] for k in ("cases", "seconds", "verdicts")}, indent=1))
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
