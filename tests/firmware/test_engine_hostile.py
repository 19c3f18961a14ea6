"""Hostile model files: the C loader names the same first failed check as the host reader
(models/FORMAT.md §5), never reads out of bounds, and the target keeps working.

Named cases aim at one check each; random bit flips (CRC recomputed, so that the checks
after H6 are reached) must be refused with the host reader's code, or, when the host
accepts the flipped model, run bit-exactly like the NumPy reference interpreter.
"""

from __future__ import annotations

import random
import struct
import zlib
from functools import cache

import numpy as np
import pytest
from test_engine import conformance_blob, heap_bytes

from earshot_host.modelfile import ModelFormatError, read_model
from earshot_host.reference import ReferenceInterpreter

BASE = "dense_softmax"  # FULLY_CONNECTED (DOUBLE_ROUND) + SOFTMAX
BASE_CONV = "add_branches"  # CONV_2D x2 + ADD


def with_crc(data: bytes | bytearray) -> bytes:
    data = bytearray(data)
    struct.pack_into("<I", data, 12, zlib.crc32(bytes(data[64:])))
    return bytes(data)


def patched(data: bytes, offset: int, fmt: str, value: int, crc: bool = True) -> bytes:
    out = bytearray(data)
    struct.pack_into(fmt, out, offset, value)
    return with_crc(out) if crc else bytes(out)


def host_code(data: bytes) -> str | None:
    """The code of the host reader's first failed check, None for a valid model."""
    try:
        read_model(data)
    except ModelFormatError as err:
        return str(err).split()[0]
    return None


def tensor_record(data: bytes, index: int) -> int:
    return struct.unpack_from("<I", data, 36)[0] + 48 * index


def op_record(data: bytes, index: int) -> int:
    return struct.unpack_from("<I", data, 40)[0] + 72 * index


def _set_dims(data: bytes, record: int, dims: tuple[int, ...]) -> bytes:
    out = bytearray(data)
    out[record + 2] = len(dims)
    struct.pack_into("<4H", out, record + 4, *dims)
    return bytes(out)


def _alias_self(data: bytes, record: int, index: int) -> bytes:
    out = bytearray(data)
    out[record + 3] |= 0x04
    struct.pack_into("<H", out, record + 28, index)
    return bytes(out)


@cache
def named_cases() -> list[tuple[str, str, bytes]]:
    """(description, expected code, model bytes)."""
    base = conformance_blob(BASE)
    model = read_model(base)
    fc_out = model.ops[0].output
    sm_out = model.ops[1].output
    weights = model.ops[0].inputs[1]
    t_in = tensor_record(base, model.inputs[0])
    t_w = tensor_record(base, weights)
    w_at = model.tensors[weights].offset
    op0 = op_record(base, 0)
    cases = [
        ("empty file", "H1", b""),
        ("63 bytes", "H1", base[:63]),
        ("bad magic", "H2", b"ESHX" + base[4:]),
        ("version 2", "H3", patched(base, 4, "<H", 2, crc=False)),
        ("tensor record size 47", "H4", patched(base, 60, "<H", 47, crc=False)),
        ("truncated by one byte", "H5", base[:-1]),
        ("one byte appended", "H5", base + b"\0"),
        (
            "weight bit flipped, CRC not updated",
            "H6",
            patched(base, w_at, "<B", base[w_at] ^ 4, crc=False),
        ),
        ("unknown header flag", "H7", patched(base, 28, "<I", 1)),
        ("zero tensors", "S1", patched(base, 20, "<H", 0)),
        ("65534 tensors", "S2", patched(base, 20, "<H", 0xFFFE)),
        ("io list at 2^32 - 4", "S2", patched(base, 32, "<I", 0xFFFFFFFC)),
        ("blob size near 2^32", "S2", patched(base, 48, "<I", 0xFFFFFFF0)),
        ("metadata size 2^32 - 1", "S2", patched(base, 56, "<I", 0xFFFFFFFF)),
        ("unknown dtype", "T1", patched(base, t_w + 0, "<B", 9)),
        ("unknown kind", "T2", patched(base, t_w + 1, "<B", 7)),
        ("rank 5", "T3", patched(base, t_w + 2, "<B", 5)),
        (
            "shape product overflows u32",
            "T4",
            with_crc(_set_dims(base, t_w, (0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF))),
        ),
        ("constant offset near 2^32", "T5", patched(base, t_w + 16, "<I", 0xFFFFFFF0)),
        ("activation offset near 2^32", "T6", patched(base, t_in + 16, "<I", 0xFFFFFFF0)),
        ("arena of 16 bytes", "T6", patched(base, 16, "<I", 16)),
        ("alias of itself", "T8", with_crc(_alias_self(base, t_in, model.inputs[0]))),
        (
            "input index out of range",
            "IO1",
            patched(base, struct.unpack_from("<I", base, 32)[0], "<H", 0xFFFE),
        ),
        ("unknown opcode", "O1", patched(base, op0, "<B", 99)),
        ("op input index out of range", "O3", patched(base, op0 + 4, "<H", 0xFFFE)),
        ("multipliers at 2^32 - 16", "O6", patched(base, op0 + 12 + 44, "<I", 0xFFFFFFF0)),
        ("act_min 200", "O7", patched(base, op0 + 12 + 32, "<i", 200)),
        ("reserved op byte", "O8", patched(base, op0 + 3, "<B", 1)),
        (
            "two live buffers overlap",
            "P1",
            patched(base, tensor_record(base, sm_out) + 16, "<I", model.tensors[fc_out].offset),
        ),
    ]
    for description, code, data in cases:
        assert host_code(data) == code, (description, host_code(data))
    return cases


CHECK = """
import earshot, binascii
def t(b, x):
    try:
        m = earshot.Model(b)
    except ValueError as e:
        print('ERR', e)
        return
    if x is None:
        print('OK')
        return
    m.input[:] = x
    m.invoke()
    print('OK', binascii.hexlify(m.output).decode())
"""


def run_batch(target, items: list[tuple[bytes, bytes | None]]) -> list[str]:
    """Check each (model, input) on the target; one output line per item."""
    lines: list[str] = []
    budget = heap_bytes(target) // 3
    start = 0
    while start < len(items):
        size, end = 0, start
        while end < len(items) and (end == start or size + _cost(items[end]) <= budget):
            size += _cost(items[end])
            end += 1
        code = CHECK + "".join(f"t({m!r}, {x!r})\n" for m, x in items[start:end])
        out = target.exec(code)
        got = [line.strip() for line in out.splitlines() if line.strip()]
        assert len(got) == end - start, out
        lines += got
        start = end
    return lines


def _cost(item: tuple[bytes, bytes | None]) -> int:
    model, x = item
    return 2 * len(model) + (len(x) if x else 0) + 256


def test_named_hostile_models_are_refused_with_their_check(target):
    cases = named_cases()
    lines = run_batch(target, [(data, None) for _, _, data in cases])
    for (description, code, _), line in zip(cases, lines, strict=True):
        assert line.startswith(f"ERR {code} "), f"{description}: expected {code}, got {line!r}"
    # Afterwards the target still runs a good model.
    base = conformance_blob(BASE)
    assert run_batch(target, [(base, None)]) == ["OK"]


def reference_output(data: bytes, x: bytes) -> str:
    interpreter = ReferenceInterpreter(data)
    inp = interpreter.tensor(interpreter.model.inputs[0])  # int8 or uint8
    out = interpreter.invoke([np.frombuffer(x, dtype=inp.dtype).reshape(inp.shape)])[0]
    return out.tobytes().hex()


def flipped_models(base: bytes, count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    meta_offset = struct.unpack_from("<I", base, 52)[0]
    models = []
    for _ in range(count):
        data = bytearray(base)
        for _ in range(rng.randint(1, 3)):
            # Header fields after the CRC, the tables and the blob (not the JSON metadata,
            # which only the host checks).
            pos = rng.choice([rng.randrange(16, 64), rng.randrange(64, meta_offset)])
            data[pos] ^= 1 << rng.randrange(8)
        models.append(with_crc(data))
    return models


@pytest.mark.parametrize("case", [BASE, BASE_CONV])
def test_bit_flipped_models_match_the_host_reader(target, case):
    base = conformance_blob(case)
    count = 400 if target.board.kind == "unix" else 24
    models = flipped_models(base, count, seed=zlib.crc32(case.encode()))
    x_rng = np.random.default_rng(7)
    items: list[tuple[bytes, bytes | None]] = []
    expected: list[tuple[str | None, str | None]] = []
    for data in models:
        code = host_code(data)
        x = None
        ref = None
        if code is None:
            parsed = read_model(data)
            t = parsed.tensors[parsed.inputs[0]]
            x = x_rng.integers(-128, 128, size=t.byte_size, dtype=np.int8).tobytes()
            if parsed.arena_size <= heap_bytes(target) // 4:
                ref = reference_output(data, x)
            else:
                x = None
        items.append((data, x))
        expected.append((code, ref))
    lines = run_batch(target, items)
    refused = accepted = 0
    for i, ((code, ref), line) in enumerate(zip(expected, lines, strict=True)):
        if code == "S3":
            # Only the host parses the JSON metadata (a flipped meta_offset/meta_size); the
            # target reports the next failed check, if any.
            continue
        if code is not None:
            assert line.startswith(f"ERR {code} "), f"flip #{i}: host says {code}, target {line!r}"
            refused += 1
        elif line.startswith("ERR model needs"):
            # Valid, but the flipped arena size is larger than the heap.
            assert ref is None, line
        else:
            assert line == ("OK" if ref is None else f"OK {ref}"), f"flip #{i}: {line!r}"
            accepted += 1
    assert refused > 0
    print(f"{target.name} {case}: {refused} refused, {accepted} accepted and bit-exact")
    # The target still works.
    assert run_batch(target, [(base, None)]) == ["OK"]
