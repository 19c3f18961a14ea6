"""The model-file reader accepts what the converter writes and rejects damaged files."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest

from earshot_host.modelfile import (
    HEADER_SIZE,
    OP_RECORD_SIZE,
    TENSOR_RECORD_SIZE,
    ModelFormatError,
    OpCode,
    TensorKind,
    read_model,
)
from earshot_host.modelfile.layout import HEADER, TENSOR_RECORD, WEIGHTED_PARAMS


def header(blob: bytes) -> dict[str, int]:
    names = [
        "magic",
        "version",
        "header_size",
        "payload_length",
        "crc",
        "arena_size",
        "tensor_count",
        "op_count",
        "input_count",
        "output_count",
        "flags",
        "io_offset",
        "tensors_offset",
        "ops_offset",
        "blob_offset",
        "blob_size",
        "meta_offset",
        "meta_size",
        "tensor_record_size",
        "op_record_size",
    ]
    return dict(zip(names, HEADER.unpack_from(blob), strict=True))


def resign(data: bytearray) -> bytes:
    """Fix the CRC so that a deliberate change reaches the checks after H6."""
    struct.pack_into("<I", data, 12, zlib.crc32(bytes(data[HEADER_SIZE:])))
    return bytes(data)


def patch_tensor(blob: bytes, index: int, **fields: int) -> bytes:
    h = header(blob)
    pos = h["tensors_offset"] + index * TENSOR_RECORD_SIZE
    values = list(TENSOR_RECORD.unpack_from(blob, pos))
    names = [
        "dtype",
        "kind",
        "rank",
        "flags",
        "d0",
        "d1",
        "d2",
        "d3",
        "byte_size",
        "offset",
        "zero_point",
        "scale",
        "alias_of",
        "quant_axis",
        "quant_type",
        "quant_count",
        "zps_offset",
        "scales_offset",
        "reserved",
    ]
    for name, value in fields.items():
        values[names.index(name)] = value
    data = bytearray(blob)
    TENSOR_RECORD.pack_into(data, pos, *values)
    return resign(data)


def reject(blob: bytes, code: str) -> str:
    with pytest.raises(ModelFormatError) as info:
        read_model(blob)
    message = str(info.value)
    assert message.startswith(code), message
    return message


def test_header_layout_and_roundtrip(micro_speech) -> None:
    blob = micro_speech.blob
    h = header(blob)
    assert blob[:4] == b"ESHT" and h["version"] == 1 and h["header_size"] == HEADER_SIZE
    assert h["payload_length"] == len(blob) - HEADER_SIZE
    assert h["crc"] == zlib.crc32(blob[HEADER_SIZE:])
    assert (h["tensor_record_size"], h["op_record_size"]) == (TENSOR_RECORD_SIZE, OP_RECORD_SIZE)
    assert h["blob_offset"] % 16 == 0
    model = read_model(blob)
    assert [op.opcode for op in model.ops] == [
        OpCode.DEPTHWISE_CONV_2D,
        OpCode.FULLY_CONNECTED,
        OpCode.SOFTMAX,
    ]
    assert model.metadata["labels"] == ["silence", "unknown", "yes", "no"]
    assert model.metadata["frontend"]["window_ms"] == 30
    assert model.metadata["detector"]["threshold"] == 200
    assert model.metadata["inputs"][0]["shape"] == [1, 1960]
    assert model.arena_size == h["arena_size"]


def test_constants_are_aligned_views_into_the_file(micro_speech) -> None:
    model = read_model(micro_speech.blob)
    for index, tensor in enumerate(model.tensors):
        if tensor.kind == TensorKind.CONST:
            assert tensor.offset % 16 == 0
            view = model.const_array(index)
            assert not view.flags.writeable and not view.flags.owndata
            start = tensor.offset
            assert view.tobytes() == model.data[start : start + tensor.byte_size]


def test_rejects_short_file() -> None:
    reject(b"ESHT", "H1")


def test_rejects_bad_magic(micro_speech) -> None:
    reject(b"XXXX" + micro_speech.blob[4:], "H2")


def test_rejects_wrong_version(micro_speech) -> None:
    data = bytearray(micro_speech.blob)
    struct.pack_into("<H", data, 4, 2)
    assert "version 2" in reject(bytes(data), "H3")


def test_rejects_truncated_file(micro_speech) -> None:
    assert "truncated" in reject(micro_speech.blob[:-10], "H5")
    reject(micro_speech.blob[: HEADER_SIZE + 5], "H5")


def test_rejects_corrupted_payload(micro_speech) -> None:
    data = bytearray(micro_speech.blob)
    data[len(data) // 2] ^= 0x40
    assert "CRC32" in reject(bytes(data), "H6")


def test_rejects_section_outside_file(micro_speech) -> None:
    data = bytearray(micro_speech.blob)
    struct.pack_into("<I", data, 44, len(data) + 16)  # blob_offset
    reject(resign(data), "S2")


def test_rejects_constant_offset_out_of_range(micro_speech) -> None:
    model = read_model(micro_speech.blob)
    const = next(i for i, t in enumerate(model.tensors) if t.kind == TensorKind.CONST)
    reject(patch_tensor(micro_speech.blob, const, offset=len(micro_speech.blob) + 64), "T5")
    reject(patch_tensor(micro_speech.blob, const, offset=model.blob_offset + 4), "T5")


def test_rejects_activation_outside_arena(micro_speech) -> None:
    model = read_model(micro_speech.blob)
    act = model.ops[0].output
    reject(patch_tensor(micro_speech.blob, act, offset=model.arena_size), "T6")


def test_rejects_overflowing_shape(micro_speech) -> None:
    message = reject(
        patch_tensor(micro_speech.blob, 0, d0=65535, d1=65535, d2=65535, d3=65535, rank=4), "T4"
    )
    assert "overflows" in message


def test_rejects_inconsistent_byte_size(micro_speech) -> None:
    reject(patch_tensor(micro_speech.blob, 0, byte_size=7), "T4")


def test_rejects_unknown_dtype(micro_speech) -> None:
    reject(patch_tensor(micro_speech.blob, 0, dtype=99), "T1")


def test_rejects_overlapping_live_tensors(micro_speech) -> None:
    model = read_model(micro_speech.blob)
    source = model.inputs[0]  # read by op 0 (through its RESHAPE alias) while op 0 writes
    output_offset = model.tensors[model.ops[0].output].offset
    assert model.tensors[source].offset != output_offset
    blob = micro_speech.blob
    for index, tensor in enumerate(model.tensors):
        if index == source or tensor.alias_of == source:
            blob = patch_tensor(blob, index, offset=output_offset)
    assert "live at the same time" in reject(blob, "P1")


def test_rejects_op_params_inconsistent_with_shapes(micro_speech) -> None:
    h = header(micro_speech.blob)
    data = bytearray(micro_speech.blob)
    pos = h["ops_offset"] + 12  # op 0 parameters: the depthwise conv
    values = list(WEIGHTED_PARAMS.unpack_from(data, pos))
    values[0] = 3  # stride_h 2 -> 3 no longer gives the 25-row output
    WEIGHTED_PARAMS.pack_into(data, pos, *values)
    assert "neither SAME nor VALID" in reject(resign(data), "O6")


def test_rejects_op_reading_unwritten_tensor(micro_speech) -> None:
    h = header(micro_speech.blob)
    data = bytearray(micro_speech.blob)
    ops = h["ops_offset"]
    # swap ops 0 and 1: FC would read the depthwise output before it is written
    first = bytes(data[ops : ops + OP_RECORD_SIZE])
    data[ops : ops + OP_RECORD_SIZE] = data[ops + OP_RECORD_SIZE : ops + 2 * OP_RECORD_SIZE]
    data[ops + OP_RECORD_SIZE : ops + 2 * OP_RECORD_SIZE] = first
    reject(resign(data), "O5")


def test_rejects_unknown_opcode(micro_speech) -> None:
    h = header(micro_speech.blob)
    data = bytearray(micro_speech.blob)
    data[h["ops_offset"]] = 42
    reject(resign(data), "O1")


def test_rejects_bad_metadata(micro_speech) -> None:
    h = header(micro_speech.blob)
    data = bytearray(micro_speech.blob)
    data[h["meta_offset"]] = ord("[")
    reject(resign(data), "S3")


def test_reader_copies_nothing_it_does_not_need(micro_speech) -> None:
    model = read_model(bytearray(micro_speech.blob))
    weights = model.const_array(model.ops[1].inputs[1])  # FC weights
    assert weights.shape == (4, 4000) and weights.dtype == np.int8


def test_random_corruption_is_rejected_or_runs(micro_speech) -> None:
    """Whatever bytes change, the reader raises ModelFormatError or the model runs in bounds."""
    from earshot_host.reference import ReferenceInterpreter

    rng = np.random.default_rng(11)
    meta_offset = header(micro_speech.blob)["meta_offset"]
    outcomes = {"rejected": 0, "ran": 0}
    for _ in range(300):
        data = bytearray(micro_speech.blob)
        for _ in range(int(rng.integers(1, 4))):
            data[int(rng.integers(0, meta_offset))] = int(rng.integers(0, 256))
        try:
            model = read_model(resign(data))
        except ModelFormatError:
            outcomes["rejected"] += 1
            continue
        interpreter = ReferenceInterpreter(model)
        interpreter.invoke([np.zeros(model.tensors[i].shape, np.int8) for i in model.inputs])
        outcomes["ran"] += 1
    assert outcomes["rejected"] > 0 and outcomes["ran"] > 0
