"""Lifetimes of arena buffers and the check that live buffers never share memory.

A buffer is an activation or state tensor together with every tensor that aliases it. Time
is the operator index: a model input is live from step 0, a tensor written by op i from
step i; a buffer stays live up to the last op that reads it, and a model output up to the
end (step op_count). A state buffer (a variable) is live from 0 to the end: it keeps its
value from one run to the next. Two buffers conflict when their step intervals intersect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .layout import TENSOR_FLAG_INPUT, TENSOR_FLAG_OUTPUT, TensorKind
from .records import OpRecord, TensorRecord


@dataclass(frozen=True)
class Buffer:
    """An arena buffer: its root tensor, member tensors, size and live interval [first, last]."""

    root: int
    members: tuple[int, ...]
    size: int
    first: int
    last: int

    def lives_with(self, other: Buffer) -> bool:
        return self.first <= other.last and other.first <= self.last


def alias_root(tensors: Sequence[TensorRecord], index: int) -> int:
    """Follow alias_of links to the tensor that owns the memory (links are one level deep)."""
    seen = 0
    while tensors[index].alias_of is not None and seen <= len(tensors):
        index = tensors[index].alias_of  # type: ignore[assignment]
        seen += 1
    return index


def activation_buffers(
    tensors: Sequence[TensorRecord], ops: Sequence[OpRecord], keep_inputs: bool = False
) -> list[Buffer]:
    """Group activation tensors into buffers and compute each buffer's live interval.

    keep_inputs: inputs stay live for the whole graph, so that a streaming pipeline can
    update its feature window in place between invokes (costs at most the input's size of
    arena; saves a copy of it outside the arena)."""
    members: dict[int, list[int]] = {}
    for index, tensor in enumerate(tensors):
        if tensor.kind in (TensorKind.ACTIVATION, TensorKind.STATE):
            members.setdefault(alias_root(tensors, index), []).append(index)
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    end = len(ops)
    for root, group in members.items():
        if tensors[root].kind == TensorKind.STATE:
            first[root], last[root] = 0, end
        for index in group:
            flags = tensors[index].flags
            if flags & TENSOR_FLAG_INPUT:
                first[root] = 0
                if keep_inputs:
                    last[root] = end
            if flags & TENSOR_FLAG_OUTPUT:
                last[root] = end
    for step, op in enumerate(ops):
        root = alias_root(tensors, op.output)
        if root in members:
            first[root] = min(first.get(root, step), step)
            last[root] = max(last.get(root, step), step)
        for index in op.inputs:
            if index is None:
                continue
            root = alias_root(tensors, index)
            if root in members:
                first[root] = min(first.get(root, step), step)
                last[root] = max(last.get(root, step), step)
    buffers = []
    for root, group in members.items():
        start = first.get(root, 0)
        buffers.append(
            Buffer(
                root=root,
                members=tuple(group),
                size=tensors[root].byte_size,
                first=start,
                last=max(last.get(root, start), start),
            )
        )
    return buffers


def find_arena_conflicts(
    tensors: Sequence[TensorRecord], ops: Sequence[OpRecord]
) -> list[tuple[int, int]]:
    """Return pairs of root tensors that are live at the same time and overlap in the arena."""
    buffers = activation_buffers(tensors, ops)
    conflicts = []
    for i, a in enumerate(buffers):
        a_start = tensors[a.root].offset
        for b in buffers[i + 1 :]:
            if not a.lives_with(b) or a.size == 0 or b.size == 0:
                continue
            b_start = tensors[b.root].offset
            if a_start < b_start + b.size and b_start < a_start + a.size:
                conflicts.append((a.root, b.root))
    return conflicts
