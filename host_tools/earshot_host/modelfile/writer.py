"""Serialise tensors, operators and constants into the earshot model file format."""

from __future__ import annotations

import dataclasses
import json
import zlib
from typing import Any

import numpy as np

from ..errors import EarshotError
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
    QuantType,
    RequantMode,
    TensorKind,
    align_up,
)
from .packing import pack_op, pack_tensor
from .records import LogisticParams, OpRecord, TensorRecord, WeightedParams


class ModelWriter:
    """Collects records and constant data, then lays out the file.

    Offsets that point into the constant blob (constant tensors' data, per-channel quantization
    arrays, multiplier/shift arrays, variables' initial values, LOGISTIC tables) are given
    to the writer relative to the start of the blob, as returned by add_blob(); build()
    turns them into file offsets.
    """

    def __init__(self) -> None:
        self._blob = bytearray()
        self.tensors: list[TensorRecord] = []
        self.ops: list[OpRecord] = []

    def add_blob(self, data: bytes | np.ndarray) -> int:
        """Append constant bytes (16-byte aligned); return their offset relative to the blob."""
        raw = data.tobytes() if isinstance(data, np.ndarray) else bytes(data)
        offset = align_up(len(self._blob), CONST_ALIGN)
        self._blob.extend(b"\0" * (offset - len(self._blob)))
        self._blob.extend(raw)
        return offset

    def add_tensor(self, record: TensorRecord) -> int:
        if len(self.tensors) >= NO_TENSOR:
            raise EarshotError(f"too many tensors (the format allows {NO_TENSOR - 1})")
        self.tensors.append(record)
        return len(self.tensors) - 1

    def add_op(self, record: OpRecord) -> int:
        if len(self.ops) >= 0xFFFF:
            raise EarshotError("too many operators (the format allows 65535)")
        self.ops.append(record)
        return len(self.ops) - 1

    def build(
        self,
        *,
        inputs: list[int],
        outputs: list[int],
        arena_size: int,
        metadata: dict[str, Any],
    ) -> bytes:
        """Lay out and return the complete model file."""
        io_offset = HEADER_SIZE
        io_size = 2 * (len(inputs) + len(outputs))
        tensors_offset = align_up(io_offset + io_size, SECTION_ALIGN)
        ops_offset = tensors_offset + TENSOR_RECORD_SIZE * len(self.tensors)
        blob_offset = align_up(ops_offset + OP_RECORD_SIZE * len(self.ops), CONST_ALIGN)
        blob_size = len(self._blob)
        meta_bytes = json.dumps(metadata, ensure_ascii=False, separators=(",", ":")).encode()
        meta_offset = align_up(blob_offset + blob_size, SECTION_ALIGN)
        total = meta_offset + len(meta_bytes)

        out = bytearray(total)
        for i, index in enumerate([*inputs, *outputs]):
            out[io_offset + 2 * i : io_offset + 2 * i + 2] = index.to_bytes(2, "little")
        for i, tensor in enumerate(self.tensors):
            pos = tensors_offset + i * TENSOR_RECORD_SIZE
            out[pos : pos + TENSOR_RECORD_SIZE] = pack_tensor(_rebase_tensor(tensor, blob_offset))
        for i, op in enumerate(self.ops):
            pos = ops_offset + i * OP_RECORD_SIZE
            out[pos : pos + OP_RECORD_SIZE] = pack_op(_rebase_op(op, blob_offset))
        out[blob_offset : blob_offset + blob_size] = self._blob
        out[meta_offset:total] = meta_bytes

        payload = bytes(out[HEADER_SIZE:])
        out[:HEADER_SIZE] = HEADER.pack(
            MAGIC,
            FORMAT_VERSION,
            HEADER_SIZE,
            len(payload),
            zlib.crc32(payload),
            arena_size,
            len(self.tensors),
            len(self.ops),
            len(inputs),
            len(outputs),
            0,  # flags
            io_offset,
            tensors_offset,
            ops_offset,
            blob_offset,
            blob_size,
            meta_offset,
            len(meta_bytes),
            TENSOR_RECORD_SIZE,
            OP_RECORD_SIZE,
        )
        return bytes(out)


def _rebase_tensor(tensor: TensorRecord, blob_offset: int) -> TensorRecord:
    changes: dict[str, int] = {}
    if tensor.kind == TensorKind.CONST:
        changes["offset"] = tensor.offset + blob_offset
    if tensor.kind == TensorKind.STATE and tensor.alias_of is None:
        changes["init_offset"] = tensor.init_offset + blob_offset
    if tensor.quant_type == QuantType.PER_CHANNEL:
        changes["quant_zero_points_offset"] = tensor.quant_zero_points_offset + blob_offset
        changes["quant_scales_offset"] = tensor.quant_scales_offset + blob_offset
    return dataclasses.replace(tensor, **changes)


def _rebase_op(op: OpRecord, blob_offset: int) -> OpRecord:
    if isinstance(op.params, WeightedParams):
        params = dataclasses.replace(
            op.params,
            multipliers_offset=op.params.multipliers_offset + blob_offset,
            shifts_offset=op.params.shifts_offset + blob_offset,
        )
        if op.params.stage_offset:
            params = dataclasses.replace(params, stage_offset=op.params.stage_offset + blob_offset)
        if op.params.requant_mode == RequantMode.DOUBLE_ROUND:
            params = dataclasses.replace(
                params,
                scale_mantissas_offset=op.params.scale_mantissas_offset + blob_offset,
                scale_exponents_offset=op.params.scale_exponents_offset + blob_offset,
            )
        return dataclasses.replace(op, params=params)
    if isinstance(op.params, LogisticParams):
        params = dataclasses.replace(op.params, table_offset=op.params.table_offset + blob_offset)
        return dataclasses.replace(op, params=params)
    return op
