"""Pack and unpack single tensor and operator records (no validation beyond decoding)."""

from __future__ import annotations

from ..errors import EarshotError
from .format_error import ModelFormatError
from .layout import (
    ADD_PARAMS,
    CONCAT_PARAMS,
    COPY_OPS,
    LOGISTIC_PARAMS,
    MAX_INPUTS,
    MAX_RANK,
    MEAN_PARAMS,
    MUL_PARAMS,
    NO_TENSOR,
    OP_INPUTS,
    OP_PARAMS_SIZE,
    OP_RECORD_HEAD,
    OP_RECORD_SIZE,
    PAD_PARAMS,
    POOL_OPS,
    POOL_PARAMS,
    QUANTIZE_PARAMS,
    SLICE_PARAMS,
    SOFTMAX_PARAMS,
    TENSOR_RECORD,
    WEIGHTED_OPS,
    WEIGHTED_PARAMS,
    DType,
    OpCode,
    QuantType,
    RequantMode,
    TensorKind,
)
from .records import (
    AddParams,
    ConcatParams,
    CopyParams,
    LogisticParams,
    MeanParams,
    MulParams,
    OpParams,
    OpRecord,
    PadParams,
    PoolParams,
    QuantizeParams,
    SliceParams,
    SoftmaxParams,
    TensorRecord,
    WeightedParams,
)


def pack_tensor(t: TensorRecord) -> bytes:
    dims = list(t.shape) + [0] * (MAX_RANK - len(t.shape))
    return TENSOR_RECORD.pack(
        int(t.dtype),
        int(t.kind),
        len(t.shape),
        t.flags,
        *dims,
        t.byte_size,
        t.offset,
        t.zero_point,
        t.scale,
        NO_TENSOR if t.alias_of is None else t.alias_of,
        t.quant_axis,
        int(t.quant_type),
        t.quant_count,
        t.quant_zero_points_offset,
        t.quant_scales_offset,
        t.init_offset,
    )


def unpack_tensor(index: int, raw: bytes) -> tuple[TensorRecord, tuple[int, ...]]:
    """Decode one tensor record; return it with all four dims."""
    (
        dtype,
        kind,
        rank,
        flags,
        d0,
        d1,
        d2,
        d3,
        byte_size,
        offset,
        zero_point,
        scale,
        alias_of,
        quant_axis,
        quant_type,
        quant_count,
        zps_offset,
        scales_offset,
        init_offset,
    ) = TENSOR_RECORD.unpack(raw)
    where = f"tensor {index}"
    try:
        dtype_e = DType(dtype)
    except ValueError:
        raise ModelFormatError(f"T1 {where}: unknown dtype code {dtype}") from None
    try:
        kind_e = TensorKind(kind)
    except ValueError:
        raise ModelFormatError(f"T2 {where}: unknown kind code {kind}") from None
    try:
        quant_e = QuantType(quant_type)
    except ValueError:
        raise ModelFormatError(f"T7 {where}: unknown quantization type {quant_type}") from None
    if rank > MAX_RANK:
        raise ModelFormatError(f"T3 {where}: rank {rank} is above {MAX_RANK}")
    dims = (d0, d1, d2, d3)
    record = TensorRecord(
        dtype=dtype_e,
        kind=kind_e,
        shape=tuple(dims[:rank]),
        byte_size=byte_size,
        offset=offset,
        flags=flags,
        zero_point=zero_point,
        scale=scale,
        alias_of=None if alias_of == NO_TENSOR else alias_of,
        quant_type=quant_e,
        quant_axis=quant_axis,
        quant_count=quant_count,
        quant_zero_points_offset=zps_offset,
        quant_scales_offset=scales_offset,
        init_offset=init_offset,
    )
    return record, dims


def _pack_params(opcode: OpCode, p: OpParams) -> bytes:
    if opcode in WEIGHTED_OPS and isinstance(p, WeightedParams):
        return WEIGHTED_PARAMS.pack(
            p.stride_h,
            p.stride_w,
            p.dilation_h,
            p.dilation_w,
            p.pad_top,
            p.pad_left,
            p.filter_h,
            p.filter_w,
            p.depth_multiplier,
            int(p.requant_mode),
            p.input_zero_point,
            p.filter_zero_point,
            p.output_zero_point,
            p.act_min,
            p.act_max,
            p.requant_count,
            p.multipliers_offset,
            p.shifts_offset,
            p.scale_mantissas_offset if opcode == OpCode.FULLY_CONNECTED else p.stage_offset,
            p.scale_exponents_offset,
        )
    if opcode in POOL_OPS and isinstance(p, PoolParams):
        return POOL_PARAMS.pack(
            p.stride_h,
            p.stride_w,
            p.filter_h,
            p.filter_w,
            p.pad_top,
            p.pad_left,
            p.act_min,
            p.act_max,
        )
    if opcode == OpCode.ADD and isinstance(p, AddParams):
        return ADD_PARAMS.pack(
            p.input1_zero_point,
            p.input2_zero_point,
            p.output_zero_point,
            p.left_shift,
            p.input1_multiplier,
            p.input1_shift,
            p.input2_multiplier,
            p.input2_shift,
            p.output_multiplier,
            p.output_shift,
            p.act_min,
            p.act_max,
        )
    if opcode == OpCode.SOFTMAX and isinstance(p, SoftmaxParams):
        return SOFTMAX_PARAMS.pack(
            p.input_beta_multiplier,
            p.input_beta_left_shift,
            p.diff_min,
            p.input_zero_point,
            p.output_zero_point,
        )
    if opcode in COPY_OPS and isinstance(p, CopyParams):
        return b""
    if opcode == OpCode.CONCATENATION and isinstance(p, ConcatParams):
        return CONCAT_PARAMS.pack(p.axis)
    if opcode == OpCode.STRIDED_SLICE and isinstance(p, SliceParams):
        return SLICE_PARAMS.pack(*p.begin, *p.stride, *p.count)
    if opcode == OpCode.LOGISTIC and isinstance(p, LogisticParams):
        return LOGISTIC_PARAMS.pack(p.table_offset, p.input_zero_point, p.output_zero_point)
    if opcode == OpCode.QUANTIZE and isinstance(p, QuantizeParams):
        return QUANTIZE_PARAMS.pack(p.input_zero_point, p.output_zero_point, p.multiplier, p.shift)
    if opcode == OpCode.MUL and isinstance(p, MulParams):
        return MUL_PARAMS.pack(
            p.input1_zero_point,
            p.input2_zero_point,
            p.output_zero_point,
            p.multiplier,
            p.shift,
            p.act_min,
            p.act_max,
        )
    if opcode == OpCode.MEAN and isinstance(p, MeanParams):
        return MEAN_PARAMS.pack(
            p.axis_mask, p.input_zero_point, p.output_zero_point, p.multiplier, p.shift
        )
    if opcode == OpCode.PAD and isinstance(p, PadParams):
        return PAD_PARAMS.pack(*p.before, p.pad_value)
    raise EarshotError(f"internal error: {opcode.name} given {type(p).__name__}")


def pack_op(op: OpRecord) -> bytes:
    inputs = [NO_TENSOR if i is None else i for i in op.inputs]
    head = OP_RECORD_HEAD.pack(
        int(op.opcode),
        len(op.inputs),
        1,
        0,
        *(inputs + [NO_TENSOR] * (MAX_INPUTS - len(inputs))),
        op.output,
    )
    params = _pack_params(op.opcode, op.params)
    return head + params + b"\0" * (OP_PARAMS_SIZE - len(params))


def unpack_op(index: int, raw: bytes) -> OpRecord:
    """Decode one operator record (O1, O2 and the reserved-bytes part of O8 are checked here)."""
    assert len(raw) == OP_RECORD_SIZE
    opcode, n_in, n_out, reserved, i0, i1, i2, output = OP_RECORD_HEAD.unpack_from(raw)
    where = f"op #{index}"
    try:
        code = OpCode(opcode)
    except ValueError:
        raise ModelFormatError(f"O1 {where}: unknown opcode {opcode}") from None
    low, high = OP_INPUTS[code]
    if not low <= n_in <= high or n_out != 1:
        expected = f"{low}" if low == high else f"{low} to {high}"
        raise ModelFormatError(
            f"O2 {where} {code.name}: has {n_in} inputs/{n_out} outputs, expected {expected}/1"
        )
    all_inputs = (i0, i1, i2)
    if reserved != 0 or any(i != NO_TENSOR for i in all_inputs[n_in:]):
        raise ModelFormatError(f"O8 {where} {code.name}: reserved fields are not zero")
    body = raw[OP_RECORD_HEAD.size :]
    params: OpParams
    if code in WEIGHTED_OPS:
        v = WEIGHTED_PARAMS.unpack_from(body)
        try:
            mode = RequantMode(v[9])
        except ValueError:
            raise ModelFormatError(f"O7 {where} {code.name}: unknown requant mode {v[9]}") from None
        params = WeightedParams(
            *v[:9],
            *v[10:18],
            requant_mode=mode,
            scale_mantissas_offset=v[18] if code == OpCode.FULLY_CONNECTED else 0,
            scale_exponents_offset=v[19],
            stage_offset=0 if code == OpCode.FULLY_CONNECTED else v[18],
        )
        used = WEIGHTED_PARAMS.size
    elif code in POOL_OPS:
        params = PoolParams(*POOL_PARAMS.unpack_from(body))
        used = POOL_PARAMS.size
    elif code == OpCode.ADD:
        params = AddParams(*ADD_PARAMS.unpack_from(body))
        used = ADD_PARAMS.size
    elif code == OpCode.SOFTMAX:
        params = SoftmaxParams(*SOFTMAX_PARAMS.unpack_from(body))
        used = SOFTMAX_PARAMS.size
    elif code in COPY_OPS:
        params = CopyParams()
        used = 0
    elif code == OpCode.CONCATENATION:
        params = ConcatParams(*CONCAT_PARAMS.unpack_from(body))
        used = CONCAT_PARAMS.size
    elif code == OpCode.STRIDED_SLICE:
        v = SLICE_PARAMS.unpack_from(body)
        params = SliceParams(begin=v[0:4], stride=v[4:8], count=v[8:12])
        used = SLICE_PARAMS.size
    elif code == OpCode.LOGISTIC:
        params = LogisticParams(*LOGISTIC_PARAMS.unpack_from(body))
        used = LOGISTIC_PARAMS.size
    elif code == OpCode.QUANTIZE:
        params = QuantizeParams(*QUANTIZE_PARAMS.unpack_from(body))
        used = QUANTIZE_PARAMS.size
    elif code == OpCode.MUL:
        params = MulParams(*MUL_PARAMS.unpack_from(body))
        used = MUL_PARAMS.size
    elif code == OpCode.MEAN:
        params = MeanParams(*MEAN_PARAMS.unpack_from(body))
        used = MEAN_PARAMS.size
    else:
        v = PAD_PARAMS.unpack_from(body)
        params = PadParams(before=v[0:4], pad_value=v[4])
        used = PAD_PARAMS.size
    if any(body[used:]):
        raise ModelFormatError(f"O8 {where} {code.name}: reserved fields are not zero")
    inputs = tuple(None if i == NO_TENSOR else i for i in all_inputs[:n_in])
    return OpRecord(opcode=code, inputs=inputs, output=output, params=params)
