"""The native and viper emitters run where the firmware has them, and are absent otherwise."""

from __future__ import annotations

import pytest

NATIVE_CODE = """
import micropython

@micropython.native
def native_sum(n):
    s = 0
    for i in range(n):
        s += i
    return s

@micropython.viper
def viper_mac(buf, n: int) -> int:
    p = ptr8(buf)
    acc = 0
    for i in range(n):
        acc += int(p[i]) * int(p[i])
    return acc

print(native_sum(1000), viper_mac(bytes(range(100)), 100))
"""


def native_arch(target) -> int:
    # The top bits of sys.implementation._mpy name the native architecture (0: none).
    return target.eval("sys.implementation._mpy >> 10", setup="import sys")


def test_native_and_viper_run_where_emitter_exists(target):
    if native_arch(target) == 0:
        result = target.run(NATIVE_CODE)
        assert not result.ok
        assert "SyntaxError" in result.error or "ValueError" in result.error
        return
    assert target.exec(NATIVE_CODE).split() == [
        str(sum(range(1000))),
        str(sum(i * i for i in range(100))),
    ]


@pytest.mark.kinds("qemu")
def test_emitter_matches_core(target):
    # Thumb-2 cores have the native emitter; the Cortex-M0 (Thumb-1) build has none.
    assert (native_arch(target) != 0) == (target.board.core != "cortex-m0")
