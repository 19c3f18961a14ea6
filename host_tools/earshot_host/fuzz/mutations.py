"""Mutants of valid earshot model files (models/FORMAT.md), made deterministically from a seed.

Blind mutations (bit flips, truncation, extension) mostly stop at the CRC (H6) or the
length check (H5); the structure-aware ones rewrite one field of the header, a tensor
record, an operator record or the io list with a value chosen to sit on a boundary (0, 1,
the maximum, the file length, another record's offset, ...) and recompute the CRC, so that
every later check of the loader is reached. A mutant is a pure function of (base model,
seed): `mutate(base, seed)` always returns the same bytes and description.
"""

from __future__ import annotations

import random
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

HEADER_SIZE = 64
TENSOR_SIZE = 48
OP_SIZE = 72

# (byte offset, struct format) of every field after the magic.
HEADER_FIELDS = [(4, "H"), (6, "H"), (8, "I"), (16, "I"), (20, "H"), (22, "H"), (24, "H")]
HEADER_FIELDS += [(26, "H"), (28, "I"), (32, "I"), (36, "I"), (40, "I"), (44, "I"), (48, "I")]
HEADER_FIELDS += [(52, "I"), (56, "I"), (60, "H"), (62, "H")]
TENSOR_FIELDS = [(0, "B"), (1, "B"), (2, "B"), (3, "B"), (4, "H"), (6, "H"), (8, "H"), (10, "H")]
TENSOR_FIELDS += [(12, "I"), (16, "I"), (20, "i"), (24, "I"), (28, "H"), (30, "B"), (31, "B")]
TENSOR_FIELDS += [(32, "I"), (36, "I"), (40, "I"), (44, "I")]
OP_FIELDS = [(0, "B"), (1, "B"), (2, "B"), (3, "B"), (4, "H"), (6, "H"), (8, "H"), (10, "H")]
# Parameter fields by opcode (1..3 weighted, 4..5 pool, 6 ADD, 7 SOFTMAX, 8..9 variable
# copies, 10 CONCATENATION, 11 STRIDED_SLICE, 12 LOGISTIC, 13 QUANTIZE, 14 MUL, 15 PAD,
# 16 MEAN).
WEIGHTED_PARAMS = [(o, "H") for o in range(12, 32, 2)] + [(o, "i") for o in range(32, 72, 4)]
POOL_PARAMS = [(o, "H") for o in range(12, 24, 2)] + [(24, "i"), (28, "i")]
ADD_PARAMS = [(o, "i") for o in range(12, 60, 4)]
SOFTMAX_PARAMS = [(o, "i") for o in range(12, 32, 4)]
PARAMS = {1: WEIGHTED_PARAMS, 2: WEIGHTED_PARAMS, 3: WEIGHTED_PARAMS, 4: POOL_PARAMS}
PARAMS |= {5: POOL_PARAMS, 6: ADD_PARAMS, 7: SOFTMAX_PARAMS}
COPY_PARAMS = [(12, "I"), (40, "B")]  # none: any set byte is O8
CONCAT_PARAMS = [(12, "i"), (16, "I")]
SLICE_PARAMS = [(o, "i") for o in range(12, 44, 4)] + [(o, "H") for o in range(44, 52, 2)]
LOGISTIC_PARAMS = [(12, "I"), (16, "i"), (20, "i")]
QUANTIZE_PARAMS = [(o, "i") for o in range(12, 28, 4)]
PARAMS |= {8: COPY_PARAMS, 9: COPY_PARAMS, 10: CONCAT_PARAMS, 11: SLICE_PARAMS}
MUL_PARAMS = [(o, "i") for o in range(12, 40, 4)]
PAD_PARAMS = [(o, "H") for o in range(12, 20, 2)] + [(20, "i")]
MEAN_PARAMS = [(12, "I")] + [(o, "i") for o in range(16, 32, 4)]
PARAMS |= {12: LOGISTIC_PARAMS, 13: QUANTIZE_PARAMS, 14: MUL_PARAMS, 15: PAD_PARAMS}
PARAMS |= {16: MEAN_PARAMS}

LIMITS = {"B": (0, 0xFF), "H": (0, 0xFFFF), "I": (0, 0xFFFFFFFF), "i": (-(1 << 31), (1 << 31) - 1)}
ELEMENT_SIZE = {1: 1, 2: 1, 3: 2, 4: 4}


@dataclass(frozen=True)
class Mutant:
    data: bytes
    how: str  # what was done, e.g. "tensor 3 +16 I: 4096 -> 0 (crc)"


@dataclass(frozen=True)
class Layout:
    """Where the records of a (valid) model are, read from its header."""

    length: int
    arena_size: int
    tensor_count: int
    op_count: int
    io_offset: int
    io_count: int
    tensors_offset: int
    ops_offset: int
    blob_offset: int
    blob_size: int
    meta_offset: int

    @classmethod
    def of(cls, data: bytes) -> Layout:
        h = struct.unpack_from("<4sHHIII4HI7I", data, 0)
        return cls(
            length=len(data),
            arena_size=h[5],
            tensor_count=h[6],
            op_count=h[7],
            io_offset=h[11],
            io_count=h[8] + h[9],
            tensors_offset=h[12],
            ops_offset=h[13],
            blob_offset=h[14],
            blob_size=h[15],
            meta_offset=h[16],
        )

    def tensor(self, index: int) -> int:
        return self.tensors_offset + TENSOR_SIZE * index

    def op(self, index: int) -> int:
        return self.ops_offset + OP_SIZE * index


def with_crc(data: bytearray) -> bytes:
    """The model with payload_length and CRC made to match its bytes."""
    if len(data) >= HEADER_SIZE:
        struct.pack_into("<II", data, 8, len(data) - HEADER_SIZE, zlib.crc32(data[HEADER_SIZE:]))
    return bytes(data)


def _interesting(rng: random.Random, fmt: str, old: int, lay: Layout, data: bytes) -> int:
    low, high = LIMITS[fmt]
    picks = [low, low + 1, high, high - 1, old + 1, old - 1, old * 2, old // 2, 0, 1, 2]
    picks += [rng.randint(low, high), old ^ (1 << rng.randrange(8 * struct.calcsize(fmt)))]
    if fmt in "Ii":
        picks += [lay.length, lay.length - 16, lay.arena_size, lay.arena_size - 16, old + 16]
        picks += [old - 16, lay.blob_offset, lay.blob_offset + lay.blob_size, lay.meta_offset]
        picks += [1 << 16, 1 << 30, (1 << 31) - 1, -(1 << 31), -1, 0xFFFFFFF0, 0x80000000]
        # Another tensor's offset or size (activation overlap, constant data reuse).
        other = lay.tensor(rng.randrange(lay.tensor_count))
        picks += list(struct.unpack_from("<II", data, other + 12))
    if fmt == "H":
        picks += [lay.tensor_count, lay.tensor_count - 1, 0x7FFF, 0x8000, 0xFFFE]
        picks += [rng.randrange(max(lay.tensor_count, 1))]
    if fmt == "B":
        picks += [3, 4, 5, 7, 8, 0x7F, 0x80]
    value = rng.choice(picks)
    if fmt == "i" and value > high:
        value -= 1 << 32
    if fmt == "I" and value < 0:
        value += 1 << 32
    return min(max(value, low), high)


def _set_field(rng: random.Random, data: bytearray, lay: Layout, at: int, fmt: str) -> str:
    if at + struct.calcsize(fmt) > len(data):
        return f"+{at} out of file"
    old = struct.unpack_from("<" + fmt, data, at)[0]
    new = _interesting(rng, fmt, old, lay, bytes(data))
    struct.pack_into("<" + fmt, data, at, new)
    return f"{fmt}@{at}: {old} -> {new}"


def _header_field(rng: random.Random, data: bytearray, lay: Layout) -> str:
    at, fmt = rng.choice(HEADER_FIELDS)
    return "header " + _set_field(rng, data, lay, at, fmt)


def _tensor_field(rng: random.Random, data: bytearray, lay: Layout) -> str:
    index = rng.randrange(lay.tensor_count)
    at, fmt = rng.choice(TENSOR_FIELDS)
    return f"tensor {index} " + _set_field(rng, data, lay, lay.tensor(index) + at, fmt)


def _op_field(rng: random.Random, data: bytearray, lay: Layout) -> str:
    index = rng.randrange(lay.op_count)
    record = lay.op(index)
    fields = OP_FIELDS + PARAMS.get(data[record], WEIGHTED_PARAMS)
    at, fmt = rng.choice(fields)
    return f"op {index} " + _set_field(rng, data, lay, record + at, fmt)


def _io_entry(rng: random.Random, data: bytearray, lay: Layout) -> str:
    at = lay.io_offset + 2 * rng.randrange(lay.io_count)
    return "io " + _set_field(rng, data, lay, at, "H")


def _tensor_shape(rng: random.Random, data: bytearray, lay: Layout) -> str:
    """New dims with a byte_size that agrees (T4 passes), so shape checks (O6) are reached."""
    index = rng.randrange(lay.tensor_count)
    record = lay.tensor(index)
    rank = min(data[record + 2], 4)
    dims = list(struct.unpack_from("<4H", data, record + 4))[:rank]
    if rank == 0:
        return f"tensor {index} rank 0 kept"
    axis = rng.randrange(rank)
    choice = rng.choice([0, 1, 2, 3, 4, 5])
    new = [1, dims[axis] + 1, max(dims[axis] - 1, 1), dims[axis] * 2, 0xFFFF, 2][choice]
    dims[axis] = min(new, 0xFFFF)
    if rng.random() < 0.2:  # also change the rank, keeping the element count
        count = 1
        for d in dims:
            count *= d
        dims = [count] if count <= 0xFFFF else dims
    size = ELEMENT_SIZE.get(data[record], 1)
    for d in dims:
        size *= d
    data[record + 2] = len(dims)
    struct.pack_into("<4H", data, record + 4, *(dims + [0] * (4 - len(dims))))
    struct.pack_into("<I", data, record + 12, size & 0xFFFFFFFF)
    return f"tensor {index} dims -> {dims} bytes {size}"


def _swap_index(rng: random.Random, data: bytearray, lay: Layout) -> str:
    """An operator reads or writes another tensor."""
    index = rng.randrange(lay.op_count)
    slot = rng.choice([4, 6, 8, 10])
    other = rng.randrange(lay.tensor_count)
    struct.pack_into("<H", data, lay.op(index) + slot, other)
    return f"op {index} slot +{slot} -> tensor {other}"


def _copy_record(rng: random.Random, data: bytearray, lay: Layout) -> str:
    """One tensor (or operator) record replaced by another."""
    if rng.random() < 0.5 or lay.op_count < 2:
        src, dst = rng.randrange(lay.tensor_count), rng.randrange(lay.tensor_count)
        a, b = lay.tensor(src), lay.tensor(dst)
        data[b : b + TENSOR_SIZE] = data[a : a + TENSOR_SIZE]
        return f"tensor {dst} := tensor {src}"
    src, dst = rng.randrange(lay.op_count), rng.randrange(lay.op_count)
    a, b = lay.op(src), lay.op(dst)
    data[b : b + OP_SIZE] = data[a : a + OP_SIZE]
    return f"op {dst} := op {src}"


def _flip_bits(rng: random.Random, data: bytearray, lay: Layout) -> str:
    """Bits flipped in the header (after the CRC), the tables and the blob."""
    spots = []
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(16, max(lay.meta_offset, 17))
        data[at] ^= 1 << rng.randrange(8)
        spots.append(at)
    return f"bits at {spots}"


def _requant_edge(rng: random.Random, data: bytearray, lay: Layout) -> str:
    """A value at the edge of its allowed range (O7) in a requantization array, a bias or
    an ADD / SOFTMAX parameter: the model stays valid and the kernels meet extreme
    arithmetic (saturation, the largest shifts)."""
    index = rng.randrange(lay.op_count)
    record = lay.op(index)
    opcode = data[record]
    if opcode in (1, 2, 3):
        count = struct.unpack_from("<I", data, record + 52)[0]
        element = rng.randrange(max(min(count, 1 << 16), 1))
        field_at, fmt, values = rng.choice(
            [
                (56, "<i", [1 << 30, (1 << 31) - 1, 0]),
                (60, "<i", [-31, 30, 0, 29, -30]),
                (64, "<q", [1 << 52, (1 << 53) - 1, 0]),
                (68, "<i", [0, -256, -1, -52]),
                (-1, "<i", [(1 << 31) - 1, -(1 << 31), 0, -1]),  # the bias
            ]
        )
        if field_at < 0:
            bias = struct.unpack_from("<H", data, record + 8)[0]
            if bias >= lay.tensor_count:
                return f"op {index} has no bias"
            array = struct.unpack_from("<I", data, lay.tensor(bias) + 16)[0]
        else:
            array = struct.unpack_from("<I", data, record + field_at)[0]
        at = array + struct.calcsize(fmt) * element
        if not array or at + struct.calcsize(fmt) > len(data):
            return f"op {index} +{field_at} absent"
        value = rng.choice(values)
        struct.pack_into(fmt, data, at, value)
        return f"op {index} array +{field_at}[{element}] = {value}"
    edges = {
        6: [(24, [20]), (28, [1 << 30, (1 << 31) - 1]), (32, [-31, 0]), (36, [(1 << 31) - 1])]
        + [(40, [-31, 0]), (44, [1 << 30, (1 << 31) - 1]), (48, [-31, 0])],
        7: [(12, [1 << 30, (1 << 31) - 1]), (16, [0, 31, 30]), (20, [0, -(1 << 31), -1])],
        4: [(24, [-128, 127]), (28, [-128, 127])],
        5: [(24, [-128, 127]), (28, [-128, 127])],
        # CONCATENATION axis; STRIDED_SLICE begin / stride / count at the input's edges
        # (valid ones run, the others meet O6); QUANTIZE's multiplier and shift limits.
        10: [(12, [0, 1, 2, 3, -1, 4])],
        11: [(o, [0, 1, -1, 2, 0x7FFF]) for o in range(12, 44, 4)],
        13: [(20, [1 << 30, (1 << 31) - 1, 0]), (24, [-31, 30, 0, 31, -32])],
        14: [(24, [1 << 30, (1 << 31) - 1, 0]), (28, [-31, 30, 0]), (32, [-128, 127])],
        15: [(o, [0, 1, 2, 0xFFFF]) for o in (12, 14, 16, 18)] + [(20, [-128, 127, 255, 0])],
        16: [(12, [1, 8, 15, 0, 16]), (24, [1 << 30, (1 << 31) - 1, 0]), (28, [-31, 30])],
    }.get(opcode)
    if not edges:
        return f"op {index} opcode {opcode} has no edges"
    at, values = rng.choice(edges)
    value = rng.choice(values)
    struct.pack_into("<i", data, record + at, value)
    return f"op {index} +{at} = {value}"


def _state_edge(rng: random.Random, data: bytearray, lay: Layout) -> str:
    """A variable's initial value (STATE tensor: init_offset at +44) set to extreme bytes,
    or moved to another blob offset; or a LOGISTIC table (op +12) filled the same way."""
    tables = [lay.op(i) for i in range(lay.op_count) if data[lay.op(i)] == 12]
    states = [lay.tensor(i) for i in range(lay.tensor_count) if data[lay.tensor(i) + 1] == 2]
    if not tables and not states:
        return "no variable or table"
    if tables and (not states or rng.random() < 0.4):
        record = rng.choice(tables)
        at, size = struct.unpack_from("<I", data, record + 12)[0], 256
    else:
        record = rng.choice(states)
        if rng.random() < 0.5:
            return "state " + _set_field(rng, data, lay, record + 44, "I")
        at, size = struct.unpack_from("<I", data, record + 44)[0], 1
        size = struct.unpack_from("<I", data, record + 12)[0]
    if not at or at + size > len(data):
        return "absent"
    value = rng.choice([0x00, 0x7F, 0x80, 0xFF])
    data[at : at + size] = bytes([value]) * size
    return f"blob {at}..{at + size} = {value:#x}"


def _const_edge(rng: random.Random, data: bytearray, lay: Layout) -> str:
    """Bytes of a constant tensor (weights) set to -128 or 127."""
    index = rng.randrange(lay.tensor_count)
    record = lay.tensor(index)
    size, offset = struct.unpack_from("<II", data, record + 12)
    if data[record + 1] != 0 or not size or offset + size > len(data):
        return f"tensor {index} is not constant data"
    value = rng.choice([0x80, 0x7F])
    start = offset + rng.randrange(size)
    end = min(start + rng.choice([1, 16, 256, size]), offset + size)
    data[start:end] = bytes([value]) * (end - start)
    return f"tensor {index} bytes {start}..{end} = {value:#x}"


STRUCTURED: list[Callable[[random.Random, bytearray, Layout], str]] = [
    _header_field,
    _tensor_field,
    _tensor_field,
    _tensor_shape,
    _op_field,
    _op_field,
    _op_field,
    _swap_index,
    _io_entry,
    _copy_record,
    _flip_bits,
    _requant_edge,
    _requant_edge,
    _requant_edge,
    _const_edge,
    _state_edge,
    _state_edge,
]


def mutate(base: bytes, seed: int) -> Mutant:
    """A mutant of a valid model; the kind of mutation is drawn from the seed too."""
    rng = random.Random(seed)
    lay = Layout.of(base)
    data = bytearray(base)
    roll = rng.random()
    if roll < 0.05:  # raw bit flips, CRC left stale: H6 (or an earlier header check)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        return Mutant(bytes(data), "raw bit flips")
    if roll < 0.09:  # truncated
        cut = rng.choice([0, 1, 63, 64, 65, rng.randrange(len(base)), len(base) - 1])
        fix = rng.random() < 0.6
        out = bytearray(base[:cut])
        return Mutant(with_crc(out) if fix else bytes(out), f"truncated to {cut} fix={fix}")
    if roll < 0.12:  # extended
        extra = bytes(rng.randrange(256) for _ in range(rng.choice([1, 15, 16, 17, 4096])))
        fix = rng.random() < 0.7
        out = bytearray(base + extra)
        return Mutant(with_crc(out) if fix else bytes(out), f"+{len(extra)} bytes fix={fix}")
    steps = [rng.choice(STRUCTURED)(rng, data, lay) for _ in range(rng.choice([1, 1, 1, 2, 3]))]
    return Mutant(with_crc(data), "; ".join(steps) + " (crc)")
