"""Parse an earshot model file, running every check of models/FORMAT.md.

The checks are done in the order a microcontroller loader should do them: header (H*),
sections (S*), io list (IO*), tensors (T*), operators (O*), arena plan (P*). The first failed
check raises ModelFormatError whose message starts with the check's code.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from .format_error import ModelFormatError
from .layout import (
    CONST_ALIGN,
    FORMAT_VERSION,
    HEADER,
    HEADER_SIZE,
    MAGIC,
    NO_TENSOR,
    OP_RECORD_SIZE,
    SECTION_ALIGN,
    TENSOR_RECORD_SIZE,
    TensorKind,
)
from .packing import unpack_op, unpack_tensor
from .records import ModelFile
from .validate import validate_model


def read_model(data: bytes | bytearray | memoryview, *, check_crc: bool = True) -> ModelFile:
    """Parse and validate a model file; raise ModelFormatError naming the first failed check."""
    data = bytes(data)
    size = len(data)
    if size < HEADER_SIZE:
        raise ModelFormatError(
            f"H1 file is {size} bytes, shorter than the {HEADER_SIZE}-byte header"
        )
    (
        magic,
        version,
        header_size,
        payload_length,
        crc,
        arena_size,
        tensor_count,
        op_count,
        input_count,
        output_count,
        flags,
        io_offset,
        tensors_offset,
        ops_offset,
        blob_offset,
        blob_size,
        meta_offset,
        meta_size,
        tensor_record_size,
        op_record_size,
    ) = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise ModelFormatError(f"H2 bad magic {magic!r}, expected {MAGIC!r}")
    if version != FORMAT_VERSION:
        raise ModelFormatError(
            f"H3 unsupported format version {version} (this reader reads {FORMAT_VERSION})"
        )
    if (header_size, tensor_record_size, op_record_size) != (
        HEADER_SIZE,
        TENSOR_RECORD_SIZE,
        OP_RECORD_SIZE,
    ):
        raise ModelFormatError(
            f"H4 header/tensor/op record sizes are {header_size}/{tensor_record_size}/"
            f"{op_record_size}, expected {HEADER_SIZE}/{TENSOR_RECORD_SIZE}/{OP_RECORD_SIZE}"
        )
    if payload_length != size - HEADER_SIZE:
        raise ModelFormatError(
            f"H5 payload length is {payload_length} but the file holds {size - HEADER_SIZE} "
            "bytes after the header (truncated or padded file)"
        )
    if check_crc and zlib.crc32(data[HEADER_SIZE:]) != crc:
        raise ModelFormatError("H6 payload CRC32 mismatch (corrupted file)")
    if flags != 0:
        raise ModelFormatError(f"H7 unknown header flags 0x{flags:08x}")

    if not (
        1 <= tensor_count < NO_TENSOR and op_count >= 1 and input_count >= 1 and output_count >= 1
    ):
        raise ModelFormatError(
            f"S1 bad counts: {tensor_count} tensors, {op_count} ops, {input_count} inputs, "
            f"{output_count} outputs"
        )
    sections = [
        ("io list", io_offset, 2 * (input_count + output_count), SECTION_ALIGN),
        ("tensor table", tensors_offset, TENSOR_RECORD_SIZE * tensor_count, SECTION_ALIGN),
        ("operator table", ops_offset, OP_RECORD_SIZE * op_count, SECTION_ALIGN),
        ("constant blob", blob_offset, blob_size, CONST_ALIGN),
        ("metadata", meta_offset, meta_size, SECTION_ALIGN),
    ]
    previous_end = HEADER_SIZE
    for name, offset, length, alignment in sections:
        if offset % alignment:
            raise ModelFormatError(f"S2 {name} offset {offset} is not {alignment}-byte aligned")
        if offset < previous_end or offset + length > size:
            raise ModelFormatError(
                f"S2 {name} [{offset}, {offset + length}) is out of order or outside the "
                f"{size}-byte file"
            )
        previous_end = offset + length

    io = [
        int.from_bytes(data[io_offset + 2 * i : io_offset + 2 * i + 2], "little")
        for i in range(input_count + output_count)
    ]
    inputs, outputs = io[:input_count], io[input_count:]

    tensors = []
    for i in range(tensor_count):
        pos = tensors_offset + i * TENSOR_RECORD_SIZE
        record, dims = unpack_tensor(i, data[pos : pos + TENSOR_RECORD_SIZE])
        stray_init = record.init_offset != 0 and (
            record.kind != TensorKind.STATE or record.alias_of is not None
        )
        if stray_init or any(dims[len(record.shape) :]):
            raise ModelFormatError(f"T9 tensor {i}: reserved fields or unused dims are not zero")
        tensors.append(record)
    ops = [
        unpack_op(i, data[ops_offset + i * OP_RECORD_SIZE : ops_offset + (i + 1) * OP_RECORD_SIZE])
        for i in range(op_count)
    ]

    metadata = _parse_metadata(data[meta_offset : meta_offset + meta_size])
    model = ModelFile(
        data=data,
        version=version,
        arena_size=arena_size,
        tensors=tensors,
        ops=ops,
        inputs=inputs,
        outputs=outputs,
        blob_offset=blob_offset,
        blob_size=blob_size,
        metadata=metadata,
    )
    validate_model(model)
    return model


def _parse_metadata(raw: bytes) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFormatError(f"S3 metadata is not UTF-8 JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ModelFormatError("S3 metadata is not a JSON object")
    return value
