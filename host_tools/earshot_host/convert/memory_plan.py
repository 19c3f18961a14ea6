"""Arena planning: give every activation buffer an offset so live buffers never overlap.

Greedy by size (the strategy of TFLite Micro's GreedyMemoryPlanner): buffers are placed largest
first, each at the lowest aligned offset that does not collide with an already placed buffer
whose lifetime intersects its own.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..modelfile import Buffer
from ..modelfile.layout import ARENA_ALIGN, align_up


def plan_arena(
    buffers: Sequence[Buffer], alignment: int = ARENA_ALIGN
) -> tuple[dict[int, int], int]:
    """Return ({root tensor index: arena offset}, arena size)."""
    placed: list[tuple[Buffer, int]] = []
    offsets: dict[int, int] = {}
    for buffer in sorted(buffers, key=lambda b: (-b.size, b.first, b.root)):
        busy = sorted(
            (offset, offset + other.size) for other, offset in placed if other.lives_with(buffer)
        )
        candidate = 0
        for start, end in busy:
            if candidate + buffer.size <= start:
                break
            candidate = max(candidate, align_up(end, alignment))
        placed.append((buffer, candidate))
        offsets[buffer.root] = candidate
    arena_size = align_up(max((o + b.size for b, o in placed), default=0), alignment)
    return offsets, arena_size
