"""How busy a board's cores are, always-on, when the pipeline's work is spread over two
cores (firmware/earshot/dualcore.py), from single-core measurements: the cycles of one
inference and of one front-end hop (rp2040js does not run the RP2040's core 1, so the
split is computed, not measured).

The rule, per inference period (hops_per_inference hops of hop_s seconds, clock_hz cycles
per second on each core):

- one core:   (inference + hops x front end) / period
- split:      core 0 runs the front end (hops x front end / period), core 1 the
              inference (inference / period)
- alternate:  the inferences alternate between the cores (dualcore's `second` model):
              over two periods core 0 runs 2 x hops front-end hops and one inference,
              core 1 one inference; core 0 is the busier:
              (2 x hops x front end + inference) / (2 x period)

A board takes the first of these arrangements that keeps up with the audio (its busiest
core's share at most 1; the headroom is what is left): one core needs nothing more, the
split a second core, alternation also a second arena and a ring that holds an inference's
worth of audio. When none keeps up, the least busy shows the shortfall. The hand-over
itself (a copy of the feature window into the model's input, a few hundred
bytes) is left out: it is below the measurements' resolution.

    python -m earshot_host.bench.cores --inference-cycles 13.69e6 \\
        --frontend-cycles 778600 --hops 5 --hop-ms 20 --clock-hz 125e6 --cores 2
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class CoreLoad:
    arrangement: str  # "one core", "split" or "alternate"
    shares: tuple[float, ...]  # fraction of each core's cycles, always-on

    @property
    def busiest(self) -> float:
        return max(self.shares)

    @property
    def fits(self) -> bool:
        return self.busiest <= 1.0

    @property
    def headroom(self) -> float:
        return 1.0 - self.busiest


def arrangements(
    inference_cycles: float,
    frontend_cycles_per_hop: float,
    hops_per_inference: int,
    hop_s: float,
    clock_hz: float,
    cores: int = 1,
) -> list[CoreLoad]:
    """Every arrangement the board's cores allow, each core's share of its cycles."""
    if hops_per_inference < 1 or hop_s <= 0 or clock_hz <= 0:
        raise ValueError("hops per inference, hop length and clock must be positive")
    period = hops_per_inference * hop_s * clock_hz
    frontend = hops_per_inference * frontend_cycles_per_hop
    loads = [CoreLoad("one core", ((inference_cycles + frontend) / period,))]
    if cores >= 2:
        loads.append(CoreLoad("split", (frontend / period, inference_cycles / period)))
        loads.append(
            CoreLoad(
                "alternate",
                (
                    (2 * frontend + inference_cycles) / (2 * period),
                    inference_cycles / (2 * period),
                ),
            )
        )
    return loads


def choose(loads: list[CoreLoad]) -> CoreLoad:
    """The first arrangement (simplest first) that keeps up, else the least busy one."""
    for load in loads:
        if load.fits:
            return load
    return min(loads, key=lambda load: load.busiest)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m earshot_host.bench.cores",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--inference-cycles", type=float, required=True)
    parser.add_argument("--frontend-cycles", type=float, required=True, help="per hop")
    parser.add_argument("--hops", type=int, required=True, help="hops per inference")
    parser.add_argument("--hop-ms", type=float, required=True)
    parser.add_argument("--clock-hz", type=float, required=True)
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args(argv)
    loads = arrangements(
        args.inference_cycles,
        args.frontend_cycles,
        args.hops,
        args.hop_ms / 1000,
        args.clock_hz,
        args.cores,
    )
    chosen = choose(loads)
    for load in loads:
        shares = ", ".join(f"core {i} {s:.1%}" for i, s in enumerate(load.shares))
        mark = " <- " + ("fits" if load.fits else "does not fit") if load is chosen else ""
        print(f"{load.arrangement:10} {shares}{mark}")
    print(f"headroom {chosen.headroom:.1%} ({chosen.arrangement})")
    return 0 if chosen.fits else 1


if __name__ == "__main__":
    sys.exit(main())
