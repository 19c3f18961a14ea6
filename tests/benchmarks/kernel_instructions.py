"""Instructions per inference and per MAC of the frozen models on the QEMU boards.

QEMU runs the boards with -icount shift=0, so SysTick advances one tick per
1e9 / clock_hz instructions and time.ticks_cpu() counts instructions exactly (whole
model, operator loop and output stages included). Not a test: run it by hand,

    .venv/bin/python tests/benchmarks/kernel_instructions.py qemu_m4 [qemu_m3 ...]

with EARSHOT_KERNELS=reference in the environment to measure the reference build.
"""

from __future__ import annotations

import os
import re
import sys

from earshot_host.boards import get_board
from earshot_host.paths import project_root
from earshot_host.runner import open_runner

MODELS = {
    "qemu_m0": ["micro_speech"],
    "qemu_m3": ["micro_speech", "mlperf_kws", "mlperf_sww"],
    "qemu_m4": ["micro_speech", "mlperf_kws", "mlperf_sww"],
    "qemu_m7": ["micro_speech", "mlperf_kws", "mlperf_sww"],
}

RUN = """
import earshot, time, gc
m = earshot.Model.frozen({name!r})
m.invoke()
best = None
for i in range(3):
    t0 = time.ticks_cpu()
    m.invoke()
    t = time.ticks_diff(time.ticks_cpu(), t0)
    best = t if best is None or t < best else best
print(best)
"""


def model_macs(name: str) -> int:
    text = (project_root() / "models" / name / "MODEL.md").read_text()
    match = re.search(r"MACs per inference \| ([\d,]+)", text)
    if match is None:
        raise SystemExit(f"models/{name}/MODEL.md: no 'MACs per inference' row")
    return int(match.group(1).replace(",", ""))


def main(targets: list[str]) -> None:
    kernels = os.environ.get("EARSHOT_KERNELS", "optimized")
    for target in targets:
        board = get_board(target)
        per_tick = 1e9 / board.clock_hz
        runner = open_runner(board)
        try:
            for name in MODELS[target]:
                ticks = int(runner.run(RUN.format(name=name), timeout=600).output.split()[-1])
                instructions = ticks * per_tick
                macs = model_macs(name)
                print(
                    f"{kernels:10} {target:8} {name:13} {instructions:12,.0f} instructions "
                    f"{instructions / macs:6.2f} /MAC",
                    flush=True,
                )
        finally:
            runner.close()


if __name__ == "__main__":
    main(sys.argv[1:] or list(MODELS))
