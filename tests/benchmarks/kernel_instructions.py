"""Instructions per inference and per MAC of the frozen models on the QEMU boards, with
the per-kernel split.

QEMU runs the boards with -icount shift=0, so SysTick advances one tick per
1e9 / clock_hz instructions and time.ticks_cpu() counts instructions exactly (whole
model, operator loop and output stages included). The measurement is the benchmark's
own (earshot_host.bench.measure): a model whose arena the board's heap cannot hold
(mlperf_kws on qemu_m0) is measured with bench-only RAM (bench/extra_ram.py). Not a
test: run it by hand,

    .venv/bin/python tests/benchmarks/kernel_instructions.py qemu_m0 [qemu_m4 ...]

with EARSHOT_KERNELS=reference in the environment to measure the reference build.
"""

from __future__ import annotations

import os
import sys

from earshot_host.bench.measure import Measurer
from earshot_host.bench.modelinfo import load_model_info
from earshot_host.boards import get_board
from earshot_host.paths import project_root

MODELS = ["micro_speech", "mlperf_kws", "mlperf_sww"]
TARGETS = ["qemu_m0", "qemu_m3", "qemu_m4", "qemu_m7"]


def main(targets: list[str]) -> None:
    root = project_root()
    kernels = os.environ.get("EARSHOT_KERNELS", "optimized")
    for target in targets:
        measurer = Measurer(get_board(target, root), kernels, root)
        try:
            for name in MODELS:
                info = load_model_info(root, name)
                figures = measurer.model(info, 1)
                if figures.error:
                    print(f"{kernels:10} {target:8} {name:13} skipped: {figures.error}")
                    continue
                instructions = figures.runs[0]
                split = ", ".join(
                    f"{k} {v / max(1, sum(o.work for o in info.ops if o.kernel == k)):.2f}"
                    for k, v in sorted(figures.kernels[0].items())
                )
                note = " (bench-only RAM)" if "memory" in figures.extra else ""
                print(
                    f"{kernels:10} {target:8} {name:13} {instructions:12,.0f} instructions "
                    f"{instructions / info.macs:6.2f} /MAC{note}; per unit: {split}",
                    flush=True,
                )
        finally:
            measurer.close()


if __name__ == "__main__":
    main(sys.argv[1:] or TARGETS)
