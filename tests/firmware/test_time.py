"""Every target measures elapsed time; QEMU boards do it deterministically (-icount)."""

from __future__ import annotations

import pytest

ELAPSED = """
import time
t0 = time.ticks_ms()
u0 = time.ticks_us()
time.sleep_ms(50)
u1 = time.ticks_us()
t1 = time.ticks_ms()
print(time.ticks_diff(t1, t0), time.ticks_diff(u1, u0))
"""

WORK = """
import time
def work():
    s = 0
    for i in range(2000):
        s += i * i
    return s
c0 = time.ticks_cpu()
work()
c1 = time.ticks_cpu()
print(time.ticks_diff(c1, c0))
"""


def test_sleep_advances_ticks_ms_and_us(target):
    ms, us = (int(v) for v in target.exec(ELAPSED).split())
    if target.board.kind == "qemu":
        # Emulated time is exact: the busy-wait ends on the first tick past 50 ms.
        assert 50 <= ms <= 51
        assert 50_000 <= us <= 51_000
    else:
        # The host's clocks: the sleep is at least roughly asked for, on a loaded machine.
        assert 45 <= ms < 5_000
        assert 45_000 <= us < 5_000_000
        assert abs(us / 1000 - ms) <= 2


def test_ticks_diff_and_add_wrap_around(target):
    code = (
        "import time\n"
        "big = time.ticks_add(0, -1)\n"
        "print(time.ticks_diff(0, big), time.ticks_diff(time.ticks_add(big, 5), big))"
    )
    assert target.exec(code).split() == ["1", "5"]


@pytest.mark.kinds("qemu")
def test_cycle_counts_repeat_under_icount(target):
    counts = sorted(int(target.exec(WORK)) for _ in range(5))
    assert counts[0] > 0
    # SysTick runs at one tick per 40 instructions (16 MHz on the M0: one per 62.5); runs
    # differ only by where the 1 ms interrupts land: a few ticks, about 0.1%. Known defect:
    # a read that lands in the instant SysTick wraps, before QEMU raises its interrupt, can
    # come out 1 ms early; so the middle three of five runs must agree.
    middle = counts[1:4]
    assert middle[-1] - middle[0] <= max(4, middle[0] // 1000)
