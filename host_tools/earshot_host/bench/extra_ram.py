"""Bench-only RAM beyond a board's own, for models whose arena its heap cannot hold.

qemu_m0 stands for a 32 KiB-RAM Cortex-M0 part: its 20 KiB heap cannot give mlperf_kws
its 16,000-byte arena in one block. To still count that model's instructions on the M0
core, the bench boots the same firmware with QEMU's nRF51 given 64 KiB of SRAM; the
firmware (linked for 32 KiB) never touches the upper 32 KiB, and there the bench puts the
buffers `earshot.Model` makes (its arena) through `uctypes.bytearray_at`. The model
stays in flash and runs through the same Model code and kernels; QEMU counts the same
instructions wherever the arena is (no wait states). Only figures the board's own heap
cannot give are measured this way, and bench.json says which (`"memory"`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..boards import Board


@dataclass(frozen=True)
class ExtraRam:
    qemu_global: str  # the QEMU property that sizes the machine's SRAM
    total_bytes: int  # SRAM the bench gives the machine
    start: int  # first address the firmware does not use
    size: int  # bytes from start

    @property
    def note(self) -> str:
        return (
            f"bench-only: buffers of earshot.Model in QEMU SRAM at {self.start:#x} "
            f"({self.size // 1024} KiB past the firmware's RAM), model in flash"
        )


EXTRA_RAM = {
    "qemu_m0": ExtraRam("nrf51-soc.sram-size", 65536, 0x2000_8000, 32768),
}


def extra_ram_for(board: Board) -> ExtraRam | None:
    return EXTRA_RAM.get(board.name)


def extended_board(board: Board, extra: ExtraRam) -> Board:
    """The board row with QEMU's SRAM size set to extra.total_bytes."""
    setting = f"{extra.qemu_global}={extra.total_bytes}"
    args = list(board.qemu_args)
    for i, arg in enumerate(args):
        if arg.startswith(extra.qemu_global + "="):
            args[i] = setting
            break
    else:
        args += ["-global", setting]
    return replace(board, qemu_args=tuple(args))


def arena_prelude(extra: ExtraRam) -> str:
    """MicroPython code that gives every earshot.Model made afterwards an arena of zeroed
    extra RAM (its `arena` argument), one after the other (16-byte aligned)."""
    return f"""\
import uctypes, earshot.model
_xr_next = [{extra.start:#x}]

def _xr_bytearray(n):
    a = _xr_next[0]
    e = (a + n + 15) & ~15
    if e > {extra.start + extra.size:#x}:
        raise MemoryError('bench extra RAM: no room for {{}} bytes'.format(n))
    _xr_next[0] = e
    b = uctypes.bytearray_at(a, n)
    v = memoryview(b)
    z = bytes(64)
    for i in range(0, n - 63, 64):
        v[i:i + 64] = z
    for i in range(n - n % 64, n):
        b[i] = 0
    return b

_xr_init = earshot.model.Model.__init__

def _xr_model_init(self, buffer, check_crc=True, arena=None):
    if arena is None:
        import _earshot
        arena = _xr_bytearray(_earshot.check(buffer, False)[0])
    _xr_init(self, buffer, check_crc, arena)

earshot.model.Model.__init__ = _xr_model_init
"""
