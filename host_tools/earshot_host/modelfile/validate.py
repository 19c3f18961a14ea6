"""Semantic checks of a decoded model (T*, IO*, O*, P* in models/FORMAT.md)."""

from __future__ import annotations

import numpy as np

from .format_error import ModelFormatError
from .layout import (
    ADD_LEFT_SHIFT,
    ARENA_ALIGN,
    CONST_ALIGN,
    COPY_OPS,
    INT8_MAX,
    INT8_MIN,
    LOGISTIC_TABLE_SIZE,
    MAX_RANK,
    SOFTMAX_OUTPUT_ZERO_POINT,
    TENSOR_FLAG_ALIAS,
    TENSOR_FLAG_INPUT,
    TENSOR_FLAG_OUTPUT,
    TENSOR_FLAGS_KNOWN,
    DType,
    OpCode,
    QuantType,
    RequantMode,
    TensorKind,
)
from .lifetimes import alias_root, find_arena_conflicts
from .output_stage import STAGE_RECORD_BYTES, prepared_stage, windows_inside
from .records import (
    AddParams,
    ConcatParams,
    CopyParams,
    LogisticParams,
    MeanParams,
    ModelFile,
    MulParams,
    OpRecord,
    PadParams,
    PoolParams,
    QuantizeParams,
    SliceParams,
    SoftmaxParams,
    TensorRecord,
    WeightedParams,
)

U32_MAX = 0xFFFFFFFF
MULTIPLIER_MIN = 1 << 30
MULTIPLIER_MAX = (1 << 31) - 1
MANTISSA_MIN = 1 << 52
SCALE_EXPONENT_MIN = -256
DTYPE_RANGE = {
    DType.INT8: (-128, 127),
    DType.UINT8: (0, 255),
    DType.INT16: (-32768, 32767),
    DType.INT32: (-(1 << 31), (1 << 31) - 1),
}


def validate_model(model: ModelFile) -> None:
    """Run checks T3..T8, IO1, O3..O7 and P1; raise ModelFormatError on the first failure."""
    for index, tensor in enumerate(model.tensors):
        _check_tensor(model, index, tensor)
    _check_io(model)
    written: set[int] = {alias_root(model.tensors, i) for i in model.inputs}
    written |= {i for i, t in enumerate(model.tensors) if t.kind == TensorKind.STATE}
    for index, op in enumerate(model.ops):
        _check_op(model, index, op, written)
    for index in model.outputs:
        if alias_root(model.tensors, index) not in written:
            raise ModelFormatError(f"O5 output tensor {index} is never written by an op")
    conflicts = find_arena_conflicts(model.tensors, model.ops)
    if conflicts:
        a, b = conflicts[0]
        raise ModelFormatError(
            f"P1 arena plan: tensors {a} and {b} are live at the same time and overlap in the arena"
        )


def _in_blob(model: ModelFile, offset: int, length: int) -> bool:
    return model.blob_offset <= offset and offset + length <= model.blob_offset + model.blob_size


def _check_tensor(model: ModelFile, index: int, t: TensorRecord) -> None:
    where = f"tensor {index}"
    if any(d < 1 for d in t.shape):
        raise ModelFormatError(f"T3 {where}: shape {list(t.shape)} has a zero dimension")
    count = 1
    for dim in t.shape:
        count *= dim
        if count * t.dtype.itemsize > U32_MAX:
            raise ModelFormatError(f"T4 {where}: shape {list(t.shape)} overflows 32 bits")
    if t.byte_size != count * t.dtype.itemsize:
        raise ModelFormatError(
            f"T4 {where}: byte size {t.byte_size} does not match shape {list(t.shape)} of "
            f"{t.dtype.name}"
        )
    if t.flags & ~TENSOR_FLAGS_KNOWN:
        raise ModelFormatError(f"T9 {where}: unknown flags 0x{t.flags:02x}")
    if t.kind == TensorKind.CONST:
        if t.flags & (TENSOR_FLAG_INPUT | TENSOR_FLAG_OUTPUT):
            raise ModelFormatError(f"T5 {where}: a constant cannot be a model input or output")
        if t.offset % CONST_ALIGN or not _in_blob(model, t.offset, t.byte_size):
            raise ModelFormatError(
                f"T5 {where}: constant data [{t.offset}, {t.offset + t.byte_size}) is unaligned "
                "or outside the constant blob"
            )
    else:
        # A view (an alias of a STATE tensor) may start anywhere inside it (T8).
        aligned = t.offset % ARENA_ALIGN == 0 or _is_view(t)
        if not aligned or t.offset + t.byte_size > model.arena_size:
            raise ModelFormatError(
                f"T6 {where}: arena range [{t.offset}, {t.offset + t.byte_size}) is unaligned "
                f"or outside the {model.arena_size}-byte arena"
            )
    if t.kind == TensorKind.STATE:
        if t.flags & (TENSOR_FLAG_INPUT | TENSOR_FLAG_OUTPUT):
            raise ModelFormatError(f"T10 {where}: a variable cannot be a model input or output")
        if t.alias_of is None and (
            t.init_offset % CONST_ALIGN or not _in_blob(model, t.init_offset, t.byte_size)
        ):
            raise ModelFormatError(
                f"T10 {where}: initial value [{t.init_offset}, {t.init_offset + t.byte_size}) "
                "is unaligned or outside the constant blob"
            )
    _check_quantization(model, where, t)
    has_alias_flag = bool(t.flags & TENSOR_FLAG_ALIAS)
    if has_alias_flag != (t.alias_of is not None):
        raise ModelFormatError(f"T8 {where}: alias flag and alias_of disagree")
    if t.alias_of is not None:
        if t.alias_of >= len(model.tensors) or t.alias_of == index:
            raise ModelFormatError(f"T8 {where}: alias_of {t.alias_of} is out of range")
        base = model.tensors[t.alias_of]
        if base.alias_of is not None:
            raise ModelFormatError(f"T8 {where}: aliases tensor {t.alias_of}, itself an alias")
        if t.kind == TensorKind.STATE:  # a view: any part of the variable's memory
            inside = base.offset <= t.offset and (
                t.offset + t.byte_size <= base.offset + base.byte_size
            )
            same = base.kind == t.kind and base.dtype == t.dtype and inside
        else:
            same = (base.kind, base.dtype, base.offset, base.byte_size) == (
                t.kind,
                t.dtype,
                t.offset,
                t.byte_size,
            )
        if not same:
            raise ModelFormatError(
                f"T8 {where}: kind, dtype, offset or size differ from aliased tensor {t.alias_of}"
            )


def _is_view(t: TensorRecord) -> bool:
    """A view: an alias of a STATE tensor, covering any part of its memory."""
    return t.kind == TensorKind.STATE and t.alias_of is not None


def _check_quantization(model: ModelFile, where: str, t: TensorRecord) -> None:
    low, high = DTYPE_RANGE[t.dtype]
    if t.quant_type == QuantType.PER_CHANNEL:
        if t.quant_axis >= len(t.shape) or t.quant_count != t.shape[t.quant_axis]:
            raise ModelFormatError(
                f"T7 {where}: per-channel axis {t.quant_axis} / count {t.quant_count} do not "
                f"match shape {list(t.shape)}"
            )
        for offset in (t.quant_zero_points_offset, t.quant_scales_offset):
            if offset % 4 or not _in_blob(model, offset, 4 * t.quant_count):
                raise ModelFormatError(
                    f"T7 {where}: per-channel array at {offset} is unaligned or outside the blob"
                )
        if t.zero_point != 0:
            raise ModelFormatError(f"T7 {where}: per-channel tensor has a per-tensor zero point")
    else:
        expected_count = 1 if t.quant_type == QuantType.PER_TENSOR else 0
        if (t.quant_count, t.quant_zero_points_offset, t.quant_scales_offset) != (
            expected_count,
            0,
            0,
        ) or t.quant_axis != 0:
            raise ModelFormatError(f"T7 {where}: per-channel fields set on a per-tensor tensor")
        if not low <= t.zero_point <= high:
            raise ModelFormatError(f"T7 {where}: zero point {t.zero_point} outside {t.dtype.name}")


def _check_io(model: ModelFile) -> None:
    for name, indices, flag in (
        ("input", model.inputs, TENSOR_FLAG_INPUT),
        ("output", model.outputs, TENSOR_FLAG_OUTPUT),
    ):
        if len(set(indices)) != len(indices):
            raise ModelFormatError(f"IO1 duplicate model {name} tensor")
        for index in indices:
            if index >= len(model.tensors):
                raise ModelFormatError(f"IO1 model {name} tensor {index} is out of range")
            t = model.tensors[index]
            if t.kind != TensorKind.ACTIVATION or not t.flags & flag:
                raise ModelFormatError(
                    f"IO1 model {name} tensor {index} is not an activation flagged as {name}"
                )
        flagged = {i for i, t in enumerate(model.tensors) if t.flags & flag}
        if flagged != set(indices):
            raise ModelFormatError(f"IO1 {name} flags do not match the {name} list")


def _tensor(model: ModelFile, where: str, index: int | None, role: str) -> TensorRecord:
    if index is None or index >= len(model.tensors):
        raise ModelFormatError(f"O3 {where}: {role} tensor index {index} is out of range")
    return model.tensors[index]


def _require(condition: bool, code: str, where: str, message: str) -> None:
    if not condition:
        raise ModelFormatError(f"{code} {where}: {message}")


def _check_data_tensor(where: str, t: TensorRecord, role: str) -> None:
    _require(t.dtype == DType.INT8, "O4", where, f"{role} must be INT8, is {t.dtype.name}")
    _require(len(t.shape) >= 1, "O6", where, f"{role} must have rank >= 1")
    _require(t.quant_type == QuantType.PER_TENSOR, "O4", where, f"{role} must be per-tensor")


def _check_byte_tensor(where: str, t: TensorRecord, role: str) -> None:
    _require(
        t.dtype in (DType.INT8, DType.UINT8),
        "O4",
        where,
        f"{role} must be INT8 or UINT8, is {t.dtype.name}",
    )
    _require(len(t.shape) >= 1, "O6", where, f"{role} must have rank >= 1")


# Ops whose data inputs and output are int8 per-tensor quantized tensors.
INT8_OPS = (
    OpCode.CONV_2D,
    OpCode.DEPTHWISE_CONV_2D,
    OpCode.FULLY_CONNECTED,
    OpCode.AVERAGE_POOL_2D,
    OpCode.MAX_POOL_2D,
    OpCode.ADD,
    OpCode.SOFTMAX,
    OpCode.MUL,
    OpCode.MEAN,
)


def _data_inputs(op: OpRecord) -> list[int | None]:
    if op.opcode in (OpCode.ADD, OpCode.MUL, OpCode.CONCATENATION):
        return list(op.inputs)
    return [op.inputs[0]]


def _check_op(model: ModelFile, index: int, op: OpRecord, written: set[int]) -> None:
    where = f"op #{index} {op.opcode.name}"
    check = _check_data_tensor if op.opcode in INT8_OPS else _check_byte_tensor
    for position, tensor_index in enumerate(_data_inputs(op)):
        t = _tensor(model, where, tensor_index, f"input {position}")
        check(where, t, f"input {position}")
        root = alias_root(model.tensors, tensor_index)  # type: ignore[arg-type]
        if t.kind == TensorKind.ACTIVATION and root not in written:
            raise ModelFormatError(
                f"O5 {where}: reads tensor {tensor_index} before any op writes it"
            )
    out = _tensor(model, where, op.output, "output")
    check(where, out, "output")
    out_root = alias_root(model.tensors, op.output)
    if op.opcode == OpCode.ASSIGN_VARIABLE:
        _require(out.kind == TensorKind.STATE, "O4", where, "output must be a variable")
    else:
        _require(
            out.kind == TensorKind.ACTIVATION or _is_view(out),
            "O4",
            where,
            "output must be an activation or a view of a variable",
        )
        if out.kind == TensorKind.ACTIVATION:
            _require(out_root not in written, "O5", where, f"tensor {op.output} is written twice")
            written.add(out_root)
    if op.opcode not in COPY_OPS:
        _check_operand_memory(model, where, op, out)
    inp = model.tensors[op.inputs[0]]  # type: ignore[index]
    p = op.params
    if isinstance(p, WeightedParams):
        _check_weighted(model, where, op, p, inp, out)
    elif isinstance(p, PoolParams):
        _check_pool(where, p, inp, out)
    elif isinstance(p, AddParams):
        _check_add(model, where, op, p, out)
    elif isinstance(p, SoftmaxParams):
        _check_softmax(where, p, inp, out)
    elif isinstance(p, CopyParams):
        _check_copy(where, op, inp, out)
    elif isinstance(p, ConcatParams):
        _check_concat(model, where, op, p, out)
    elif isinstance(p, SliceParams):
        _check_slice(where, p, inp, out)
    elif isinstance(p, LogisticParams):
        _check_logistic(model, where, p, inp, out)
    elif isinstance(p, QuantizeParams):
        _check_quantize(where, p, inp, out)
    elif isinstance(p, MulParams):
        _check_mul(model, where, op, p, out)
    elif isinstance(p, PadParams):
        _check_pad(where, p, inp, out)
    elif isinstance(p, MeanParams):
        _check_mean(where, p, inp, out)


def _check_operand_memory(model: ModelFile, where: str, op: OpRecord, out: TensorRecord) -> None:
    """A kernel's arena operands are 16-byte aligned (O4) and its output shares no byte
    with its inputs (P2); ASSIGN/READ_VARIABLE copies (memmove) are exempt."""
    operands = [model.tensors[i] for i in _data_inputs(op) if i is not None]
    for t in [*operands, out]:
        if t.kind != TensorKind.CONST:
            _require(t.offset % ARENA_ALIGN == 0, "O4", where, "operand is not 16-byte aligned")
    for t in operands:
        # (Two activations cannot overlap at the op that reads one and writes the other: P1
        # says so with its own code.)
        if t.kind != TensorKind.CONST and TensorKind.STATE in (t.kind, out.kind):
            overlap = t.offset < out.offset + out.byte_size and out.offset < t.offset + t.byte_size
            _require(not overlap, "P2", where, "output overlaps an input in the arena")


def _check_mean(where: str, p: MeanParams, inp: TensorRecord, out: TensorRecord) -> None:
    _check_range(where, "axis mask", p.axis_mask, 1, 15)
    kept = [1 if p.axis_mask >> d & 1 else n for d, n in enumerate(_padded_shape(inp.shape))]
    count = 1
    for n in kept:
        count *= n
    _require(count == out.element_count, "O6", where, "output size differs from the mean's")
    _check_multiplier(where, "output", p.multiplier, p.shift)
    _check_zero_points(where, (p.input_zero_point, inp), (p.output_zero_point, out))


def broadcasts(a: tuple[int, ...], b: tuple[int, ...], out: tuple[int, ...]) -> bool:
    """True when a and b broadcast to out (TFLite's rules, shapes of rank <= 4)."""
    if max(len(a), len(b)) != len(out):
        return False
    for x, y, z in zip(_padded_shape(a), _padded_shape(b), _padded_shape(out), strict=True):
        if z != max(x, y) or x not in (1, z) or y not in (1, z):
            return False
    return True


def _check_mul(model: ModelFile, where: str, op: OpRecord, p: MulParams, out: TensorRecord) -> None:
    a = model.tensors[op.inputs[0]]  # type: ignore[index]
    b = model.tensors[op.inputs[1]]  # type: ignore[index]
    _require(broadcasts(a.shape, b.shape, out.shape), "O6", where, "shapes do not broadcast")
    _check_multiplier(where, "output", p.multiplier, p.shift)
    _check_zero_points(
        where, (p.input1_zero_point, a), (p.input2_zero_point, b), (p.output_zero_point, out)
    )
    _check_activation_range(where, p.act_min, p.act_max)


def _check_pad(where: str, p: PadParams, inp: TensorRecord, out: TensorRecord) -> None:
    _require(
        inp.dtype == out.dtype and len(inp.shape) == len(out.shape),
        "O6",
        where,
        "input and output differ in type or rank",
    )
    for d, (size, total) in enumerate(
        zip(_padded_shape(inp.shape), _padded_shape(out.shape), strict=True)
    ):
        _require(
            p.before[d] + size <= total,
            "O6",
            where,
            f"axis {d}: {p.before[d]} + {size} elements do not fit the output's {total}",
        )
    low, high = DTYPE_RANGE[out.dtype]
    _check_range(where, "pad value", p.pad_value, low, high)
    _check_zero_points(where, (inp.zero_point, out))


def _check_copy(where: str, op: OpRecord, inp: TensorRecord, out: TensorRecord) -> None:
    if op.opcode == OpCode.READ_VARIABLE:
        _require(inp.kind == TensorKind.STATE, "O4", where, "input must be a variable")
    _require(
        inp.dtype == out.dtype and inp.byte_size == out.byte_size,
        "O6",
        where,
        f"value ({inp.dtype.name}, {inp.byte_size} bytes) and variable ({out.dtype.name}, "
        f"{out.byte_size} bytes) differ in type or size",
    )


def _check_concat(
    model: ModelFile, where: str, op: OpRecord, p: ConcatParams, out: TensorRecord
) -> None:
    rank = len(out.shape)
    _check_range(where, "axis", p.axis, 0, rank - 1)
    total = 0
    for index in op.inputs:
        t = model.tensors[index]  # type: ignore[index]
        _require(
            len(t.shape) == rank
            and all(t.shape[d] == out.shape[d] for d in range(rank) if d != p.axis),
            "O6",
            where,
            f"input {list(t.shape)} does not fit output {list(out.shape)} on axis {p.axis}",
        )
        _require(t.dtype == out.dtype, "O6", where, "inputs and output differ in type")
        _check_zero_points(where, (out.zero_point, t))
        total += t.shape[p.axis]
    _require(total == out.shape[p.axis], "O6", where, "input sizes on the axis do not add up")


def _padded_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    return (1,) * (MAX_RANK - len(shape)) + tuple(shape)


def _check_slice(where: str, p: SliceParams, inp: TensorRecord, out: TensorRecord) -> None:
    _require(inp.dtype == out.dtype, "O6", where, "input and output differ in type")
    count = 1
    for d, size in enumerate(_padded_shape(inp.shape)):
        begin, stride, n = p.begin[d], p.stride[d], p.count[d]
        last = begin + (n - 1) * stride
        _require(
            n >= 1 and stride != 0 and 0 <= begin < size and 0 <= last < size,
            "O6",
            where,
            f"slice of axis {d} (begin {begin}, stride {stride}, count {n}) is outside the "
            f"input's {size} elements",
        )
        count *= n
    _require(count == out.element_count, "O6", where, "slice size differs from the output's")


def _check_logistic(
    model: ModelFile, where: str, p: LogisticParams, inp: TensorRecord, out: TensorRecord
) -> None:
    _require(
        inp.dtype == out.dtype and inp.element_count == out.element_count,
        "O6",
        where,
        "input and output differ in type or size",
    )
    _require(
        _in_blob(model, p.table_offset, LOGISTIC_TABLE_SIZE),
        "O6",
        where,
        f"table at {p.table_offset} is outside the blob",
    )
    _check_zero_points(where, (p.input_zero_point, inp), (p.output_zero_point, out))


def _check_quantize(where: str, p: QuantizeParams, inp: TensorRecord, out: TensorRecord) -> None:
    _require(inp.element_count == out.element_count, "O6", where, "input and output sizes differ")
    _require(
        inp.quant_type == QuantType.PER_TENSOR and out.quant_type == QuantType.PER_TENSOR,
        "O4",
        where,
        "input and output must be quantized per tensor",
    )
    _check_zero_points(where, (p.input_zero_point, inp), (p.output_zero_point, out))
    _check_multiplier(where, "output", p.multiplier, p.shift)


def _check_range(where: str, name: str, value: int, low: int, high: int) -> None:
    _require(low <= value <= high, "O7", where, f"{name} {value} outside [{low}, {high}]")


def _check_activation_range(where: str, act_min: int, act_max: int) -> None:
    _check_range(where, "act_min", act_min, INT8_MIN, INT8_MAX)
    _check_range(where, "act_max", act_max, act_min, INT8_MAX)


def _check_multiplier(where: str, name: str, multiplier: int, shift: int) -> None:
    if multiplier != 0:
        _check_range(where, f"{name} multiplier", multiplier, MULTIPLIER_MIN, MULTIPLIER_MAX)
    _check_range(where, f"{name} shift", shift, -31, 30)


def _spatial_ok(size: int, out: int, filt: int, stride: int, dilation: int, pad: int) -> bool:
    """True when out/pad are TFLite's SAME or VALID result for this input size and window."""
    effective = (filt - 1) * dilation + 1
    same_out = (size + stride - 1) // stride
    same_pad = max(((same_out - 1) * stride + effective - size) // 2, 0)
    valid_out = (size - effective + stride) // stride
    return (out == same_out and pad == same_pad) or (out == valid_out >= 1 and pad == 0)


def _check_window(
    where: str,
    inp: TensorRecord,
    out: TensorRecord,
    p: WeightedParams | PoolParams,
    dilation: tuple[int, int],
) -> None:
    _require(len(inp.shape) == 4 and len(out.shape) == 4, "O6", where, "input/output not 4-D")
    _require(inp.shape[0] == out.shape[0], "O6", where, "batch of input and output differ")
    for name, value in (
        ("stride_h", p.stride_h),
        ("stride_w", p.stride_w),
        ("filter_h", p.filter_h),
        ("filter_w", p.filter_w),
        ("dilation_h", dilation[0]),
        ("dilation_w", dilation[1]),
    ):
        _check_range(where, name, value, 1, 0xFFFF)
    ok_h = _spatial_ok(inp.shape[1], out.shape[1], p.filter_h, p.stride_h, dilation[0], p.pad_top)
    ok_w = _spatial_ok(inp.shape[2], out.shape[2], p.filter_w, p.stride_w, dilation[1], p.pad_left)
    _require(
        ok_h and ok_w,
        "O6",
        where,
        f"output {list(out.shape)} / padding ({p.pad_top}, {p.pad_left}) are neither SAME nor "
        f"VALID for input {list(inp.shape)}",
    )


def _check_weighted(
    model: ModelFile,
    where: str,
    op: OpRecord,
    p: WeightedParams,
    inp: TensorRecord,
    out: TensorRecord,
) -> None:
    filt = _tensor(model, where, op.inputs[1], "filter")
    _require(
        filt.kind == TensorKind.CONST and filt.dtype == DType.INT8,
        "O4",
        where,
        "filter must be a constant INT8 tensor",
    )
    channels = out.shape[-1]
    if op.opcode == OpCode.FULLY_CONNECTED:
        _require(len(filt.shape) == 2, "O6", where, "filter must be 2-D [out, depth]")
        depth = filt.shape[1]
        _require(filt.shape[0] == channels, "O6", where, "filter rows != output depth")
        _require(inp.element_count % depth == 0, "O6", where, "input size not a multiple of depth")
        _require(
            out.element_count == inp.element_count // depth * channels,
            "O6",
            where,
            "output size != batches * output depth",
        )
        spatial = (
            p.stride_h,
            p.stride_w,
            p.dilation_h,
            p.dilation_w,
            p.pad_top,
            p.pad_left,
            p.filter_h,
            p.filter_w,
            p.depth_multiplier,
        )
        _require(not any(spatial), "O8", where, "spatial fields must be zero for FC")
    else:
        _check_window(where, inp, out, p, (p.dilation_h, p.dilation_w))
        _require(len(filt.shape) == 4, "O6", where, "filter must be 4-D")
        _require(
            filt.shape[1:3] == (p.filter_h, p.filter_w),
            "O6",
            where,
            "filter_h/filter_w differ from the filter shape",
        )
        if op.opcode == OpCode.CONV_2D:
            _require(p.depth_multiplier == 1, "O6", where, "depth_multiplier must be 1")
            _require(
                filt.shape[0] == channels and filt.shape[3] == inp.shape[3],
                "O6",
                where,
                "filter shape does not match input/output channels",
            )
        else:
            _require(
                filt.shape[0] == 1 and filt.shape[3] == channels,
                "O6",
                where,
                "filter must be [1, h, w, output channels]",
            )
            _require(
                p.depth_multiplier >= 1 and inp.shape[3] * p.depth_multiplier == channels,
                "O6",
                where,
                "input channels * depth_multiplier != output channels",
            )
    _require(
        filt.zero_point == 0 or op.opcode == OpCode.FULLY_CONNECTED,
        "O7",
        where,
        "conv filters must be symmetric (zero point 0)",
    )
    _require(p.filter_zero_point == filt.zero_point, "O7", where, "filter zero point mismatch")
    if op.inputs[2] is not None:
        bias = _tensor(model, where, op.inputs[2], "bias")
        _require(
            bias.kind == TensorKind.CONST
            and bias.dtype == DType.INT32
            and bias.element_count == channels,
            "O6",
            where,
            "bias must be a constant INT32 tensor with one value per output channel",
        )
    count = p.requant_count
    _require(count in (1, channels), "O6", where, "requant_count is neither 1 nor channels")
    for offset in (p.multipliers_offset, p.shifts_offset):
        _require(
            offset % 4 == 0 and _in_blob(model, offset, 4 * count),
            "O6",
            where,
            f"multiplier/shift array at {offset} is unaligned or outside the blob",
        )
    multipliers = model.int32_array(p.multipliers_offset, count)
    shifts = model.int32_array(p.shifts_offset, count)
    for multiplier, shift in zip(multipliers.tolist(), shifts.tolist(), strict=True):
        _check_multiplier(where, "output", multiplier, shift)
    _check_double_round(model, where, op, p, count)
    _check_zero_points(where, (p.input_zero_point, inp), (p.output_zero_point, out))
    _check_activation_range(where, p.act_min, p.act_max)
    _check_stage(model, where, op, p, inp, out, filt)


def _check_stage(
    model: ModelFile,
    where: str,
    op: OpRecord,
    p: WeightedParams,
    inp: TensorRecord,
    out: TensorRecord,
    filt: TensorRecord,
) -> None:
    """O9: a prepared output stage is exactly what output_stage.py derives from the op."""
    if p.stage_offset == 0:
        return
    channels = out.shape[-1]
    size = STAGE_RECORD_BYTES * channels
    _require(
        p.stage_offset % CONST_ALIGN == 0 and _in_blob(model, p.stage_offset, size),
        "O9",
        where,
        "prepared output stage is unaligned or outside the blob",
    )
    inside = windows_inside(
        inp.shape[1:3],
        out.shape[1:3],
        (p.filter_h, p.filter_w),
        (p.stride_h, p.stride_w),
        (p.dilation_h, p.dilation_w),
        (p.pad_top, p.pad_left),
    )
    bias = None if op.inputs[2] is None else model.const_array(op.inputs[2])
    expected = prepared_stage(
        model.const_array(op.inputs[1]),  # type: ignore[arg-type]
        bias,
        model.int32_array(p.multipliers_offset, p.requant_count),
        model.int32_array(p.shifts_offset, p.requant_count),
        p.input_zero_point,
        p.output_zero_point,
        op.opcode == OpCode.DEPTHWISE_CONV_2D,
    )
    stored = model.int32_array(p.stage_offset, 4 * channels).reshape(channels, 4)
    _require(
        inside and expected is not None and np.array_equal(stored, expected),
        "O9",
        where,
        "prepared output stage differs from the op's bias, filter and requantization",
    )


def _check_double_round(
    model: ModelFile, where: str, op: OpRecord, p: WeightedParams, count: int
) -> None:
    if p.requant_mode == RequantMode.FIXED_POINT:
        _require(
            p.scale_mantissas_offset == 0 and p.scale_exponents_offset == 0,
            "O8",
            where,
            "scale arrays must be 0 in FIXED_POINT mode",
        )
        return
    _require(
        op.opcode == OpCode.FULLY_CONNECTED,
        "O7",
        where,
        "DOUBLE_ROUND requantization is only defined for FULLY_CONNECTED",
    )
    _require(
        p.scale_mantissas_offset % 8 == 0
        and _in_blob(model, p.scale_mantissas_offset, 8 * count)
        and p.scale_exponents_offset % 4 == 0
        and _in_blob(model, p.scale_exponents_offset, 4 * count),
        "O6",
        where,
        "scale mantissa/exponent arrays are unaligned or outside the blob",
    )
    mantissas = model.int64_array(p.scale_mantissas_offset, count).tolist()
    exponents = model.int32_array(p.scale_exponents_offset, count).tolist()
    for mantissa, exponent in zip(mantissas, exponents, strict=True):
        _require(
            mantissa == 0 or MANTISSA_MIN <= mantissa < 2 * MANTISSA_MIN,
            "O7",
            where,
            f"scale mantissa {mantissa} is not 0 or in [2^52, 2^53)",
        )
        _check_range(where, "scale exponent", exponent, SCALE_EXPONENT_MIN, 0)


def _check_zero_points(where: str, *pairs: tuple[int, TensorRecord]) -> None:
    for value, tensor in pairs:
        _require(value == tensor.zero_point, "O7", where, "zero point differs from its tensor's")


def _check_pool(where: str, p: PoolParams, inp: TensorRecord, out: TensorRecord) -> None:
    _check_window(where, inp, out, p, (1, 1))
    _require(inp.shape[3] == out.shape[3], "O6", where, "input and output channels differ")
    _check_activation_range(where, p.act_min, p.act_max)


def _check_add(model: ModelFile, where: str, op: OpRecord, p: AddParams, out: TensorRecord) -> None:
    a = model.tensors[op.inputs[0]]  # type: ignore[index]
    b = model.tensors[op.inputs[1]]  # type: ignore[index]
    _require(broadcasts(a.shape, b.shape, out.shape), "O6", where, "shapes do not broadcast")
    _require(p.left_shift == ADD_LEFT_SHIFT, "O7", where, f"left_shift must be {ADD_LEFT_SHIFT}")
    for name, multiplier, shift in (
        ("input1", p.input1_multiplier, p.input1_shift),
        ("input2", p.input2_multiplier, p.input2_shift),
        ("output", p.output_multiplier, p.output_shift),
    ):
        _check_multiplier(where, name, multiplier, shift)
        _check_range(where, f"{name} shift", shift, -31, 0)
    _check_zero_points(
        where, (p.input1_zero_point, a), (p.input2_zero_point, b), (p.output_zero_point, out)
    )
    _check_activation_range(where, p.act_min, p.act_max)


def _check_softmax(where: str, p: SoftmaxParams, inp: TensorRecord, out: TensorRecord) -> None:
    _require(inp.shape == out.shape, "O6", where, "input and output shapes differ")
    _require(
        p.output_zero_point == SOFTMAX_OUTPUT_ZERO_POINT,
        "O7",
        where,
        f"output zero point must be {SOFTMAX_OUTPUT_ZERO_POINT}",
    )
    _check_zero_points(where, (p.input_zero_point, inp), (p.output_zero_point, out))
    _check_range(
        where, "input_beta_multiplier", p.input_beta_multiplier, MULTIPLIER_MIN, MULTIPLIER_MAX
    )
    _check_range(where, "input_beta_left_shift", p.input_beta_left_shift, 0, 31)
    _check_range(where, "diff_min", p.diff_min, -(1 << 31) + 1, 0)
