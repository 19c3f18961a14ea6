"""Cycles per inference and per front-end hop, measured in a board's emulator, for
`earshot profile` (docs/emulator_cycles.json).

    python -m earshot_host.emulator_cycles --target pico_i2s \\
        --models micro_speech,mlperf_kws,mlperf_sww -o docs/emulator_cycles.json

rp2040js's clock counts the cycles the core executes (its timer ticks at 1 MHz of that
125 MHz cycle clock), so time.ticks_us() on the emulated Pico is cycles / 125: the figures
are the M0+'s cycles (multiplies, loads and branches at their cycle costs), not the
instruction counts of QEMU's -icount. Each model runs on the board as the detector runs
it (frozen, or from a model slot); the front end processes a hop of noise.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import json
import sys
from pathlib import Path
from typing import Any

from .errors import EarshotError
from .model_spec import ModelSource, resolve_model
from .modelfile import read_model
from .profile import model_macs
from .runner.rp2040js import node_modules
from .targets import Target, open_target

MEASURE_CODE = """
import earshot, time
_b = {buffer}
_m = earshot.Model(_b)
for _i in range(len(_m.input)):
    _m.input[_i] = (_i * 37) % 256 - 128
_m.invoke()
_t = time.ticks_us()
for _ in range({runs}):
    _m.invoke()
_inv = time.ticks_diff(time.ticks_us(), _t)
_hop = None
if {frontend}:
    _fe = earshot.Frontend(_b)
    _x = bytearray(2 * _fe.hop)
    for _i in range(len(_x)):
        _x[_i] = (_i * 97 + 13) % 256
    _o = bytearray(_fe.features)
    for _ in range(4):
        _fe.process(_x, _o)
    _t = time.ticks_us()
    for _ in range({hops}):
        _fe.process(_x, _o)
    _hop = time.ticks_diff(time.ticks_us(), _t)
print(repr((_inv, _hop)))
"""


def measure_model(
    target: Target, source: ModelSource, clock_hz: int, runs: int, hops: int
) -> dict[str, Any]:
    """Cycles of one model on the target (microseconds of the board's clock x MHz)."""
    placed = target.put_model(source)
    model = read_model(source.blob)
    has_frontend = bool((model.metadata.get("frontend") or {}).get("tables"))
    code = MEASURE_CODE.format(buffer=placed.buffer, runs=runs, hops=hops, frontend=has_frontend)
    out = target.run(code, timeout=3600, soft_reset=False).check().strip().splitlines()
    try:
        inference_us, hop_us = ast.literal_eval(out[-1])
    except (IndexError, ValueError, SyntaxError) as err:
        raise EarshotError(f"{target.name}: unexpected answer {out!r}") from err
    per_us = clock_hz / 1e6
    cycles = inference_us * per_us / runs
    macs = model_macs(model)
    figures: dict[str, Any] = {
        "macs": macs,
        "cycles_per_inference": round(cycles),
        "cycles_per_mac": round(cycles / macs, 3) if macs else None,
        "placed": placed.where,
        "runs": runs,
    }
    if hop_us is not None:
        figures["frontend_cycles_per_hop"] = round(hop_us * per_us / hops)
        figures["frontend_hops"] = hops
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m earshot_host.emulator_cycles")
    parser.add_argument("--target", default="pico_i2s", help="a board with an emulator")
    parser.add_argument("--models", default="micro_speech,mlperf_kws,mlperf_sww")
    parser.add_argument("--runs", type=int, default=3, help="inferences timed per model")
    parser.add_argument("--hops", type=int, default=20, help="front-end hops timed")
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        with open_target(args.target) as target:
            board = target.board
            if board is None or not board.extra.get("emulator"):
                raise EarshotError(f"{args.target} is not a board with an emulator")
            models = {}
            for name in [m.strip() for m in args.models.split(",") if m.strip()]:
                models[name] = measure_model(
                    target, resolve_model(name), board.clock_hz, args.runs, args.hops
                )
                print(f"{name}: {models[name]}", file=sys.stderr)
            version = target.run("import sys\nprint(sys.version)").check().strip()
    except EarshotError as err:
        print(f"earshot: {err}", file=sys.stderr)
        return 1
    emulator = str(board.extra["emulator"])
    package = node_modules() / emulator / "package.json"
    try:
        emulator_version = f"{emulator} {json.loads(package.read_text())['version']}"
    except (OSError, ValueError, KeyError):
        emulator_version = emulator
    table = {
        "provenance": {
            "command": "python -m earshot_host.emulator_cycles " + " ".join(argv or sys.argv[1:]),
            "measured": datetime.date.today().isoformat(),
            "emulator": f"{emulator_version} (host_tools/rp2040js/package-lock.json)",
            "firmware": f"{board.firmware} ({version})",
            "clock": f"cycles = time.ticks_us() x {board.clock_hz / 1e6:g} (the emulator's "
            "clock counts executed cycles)",
        },
        "boards": {
            board.name: {"emulator": emulator, "clock_hz": board.clock_hz, "models": models}
        },
    }
    args.output.write_text(json.dumps(table, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
