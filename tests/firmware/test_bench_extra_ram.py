"""The bench's bench-only RAM (earshot_host.bench.extra_ram): a model whose arena the
board's heap cannot hold is measured on the same firmware with QEMU given more SRAM, and
bench.json says so; what does not fit even there is still skipped with the reason."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from earshot_host.bench.extra_ram import EXTRA_RAM, arena_prelude, extended_board
from earshot_host.bench.measure import Measurer
from earshot_host.bench.modelinfo import load_model_info
from earshot_host.boards import get_board
from earshot_host.runner import open_runner

BOARD = "qemu_m0"


@pytest.fixture(scope="module")
def board(request: pytest.FixtureRequest, root: Path):
    if BOARD not in request.config.getoption("--targets").split(","):
        pytest.skip(f"{BOARD} is not among --targets")
    return get_board(BOARD, root)


def test_a_model_too_big_for_the_heap_is_measured_with_bench_only_ram(board, root):
    info = load_model_info(root, "mlperf_kws")
    assert info.arena_bytes > board.heap_bytes * 3 // 4  # it does not fit the heap beside
    kernels = os.environ.get("EARSHOT_KERNELS") or "optimized"
    measurer = Measurer(board, kernels, root)
    try:
        figures = measurer.model(info, 1)
        frontend = measurer.frontend(info, 1, 3)
    finally:
        measurer.close()
    # Its front end (built from the same Model) too.
    assert frontend.error is None and "bench-only" in frontend.extra["memory"]
    assert frontend.runs[0] > 0
    assert figures.error is None
    assert "bench-only" in figures.extra["memory"]
    assert figures.extra["arena_bytes"] == info.arena_bytes
    # Every operator ran: the per-kernel profile accounts for the inference.
    assert figures.runs[0] > info.macs
    assert 0.9 * figures.runs[0] < sum(figures.kernels[0].values()) <= figures.runs[0]


def test_the_extra_ram_is_zeroed_and_bounded(board, root):
    extra = EXTRA_RAM[BOARD]
    code = (
        arena_prelude(extra)
        + f"""
import uctypes
raw = uctypes.bytearray_at({extra.start}, 256)
for i in range(256):
    raw[i] = 0xA5
a = _xr_bytearray(100)
print(sum(a), len(a), uctypes.addressof(a) == {extra.start})
try:
    _xr_bytearray({extra.size})
except MemoryError as err:
    print('refused:', err)
"""
    )
    runner = open_runner(extended_board(board, extra), root)
    try:
        out = runner.run(code).output
    finally:
        runner.close()
    assert "0 100 True" in out
    assert f"refused: bench extra RAM: no room for {extra.size} bytes" in out
