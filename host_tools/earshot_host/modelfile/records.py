"""In-memory form of the records of an earshot model file (tensors, operators, parameters)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .layout import DType, OpCode, QuantType, RequantMode, TensorKind


@dataclass
class TensorRecord:
    """One entry of the tensor table."""

    dtype: DType
    kind: TensorKind
    shape: tuple[int, ...]
    byte_size: int
    offset: int  # CONST: file offset of the data; ACTIVATION: arena offset
    flags: int = 0
    zero_point: int = 0
    scale: float = 0.0
    alias_of: int | None = None
    quant_type: QuantType = QuantType.NONE
    quant_axis: int = 0
    quant_count: int = 0
    quant_zero_points_offset: int = 0  # file offset of int32[quant_count] (per-channel only)
    quant_scales_offset: int = 0  # file offset of float32[quant_count] (per-channel only)
    init_offset: int = 0  # STATE roots: file offset of the initial value (byte_size bytes)

    @property
    def element_count(self) -> int:
        count = 1
        for dim in self.shape:
            count *= dim
        return count


@dataclass
class WeightedParams:
    """Parameters of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED (FC: spatial fields 0)."""

    stride_h: int
    stride_w: int
    dilation_h: int
    dilation_w: int
    pad_top: int
    pad_left: int
    filter_h: int
    filter_w: int
    depth_multiplier: int
    input_zero_point: int
    filter_zero_point: int
    output_zero_point: int
    act_min: int
    act_max: int
    requant_count: int  # entries in the requant arrays: 1 (broadcast) or output channels
    multipliers_offset: int  # file offset of int32[requant_count]
    shifts_offset: int  # file offset of int32[requant_count]
    requant_mode: RequantMode = RequantMode.FIXED_POINT
    scale_mantissas_offset: int = 0  # DOUBLE_ROUND: file offset of int64[requant_count]
    scale_exponents_offset: int = 0  # DOUBLE_ROUND: file offset of int32[requant_count]
    # CONV_2D / DEPTHWISE_CONV_2D: file offset of the prepared output stage (16 bytes per
    # output channel, output_stage.py), 0 when there is none. Stored where FC keeps its
    # mantissas' offset.
    stage_offset: int = 0


@dataclass
class PoolParams:
    """Parameters of AVERAGE_POOL_2D and MAX_POOL_2D."""

    stride_h: int
    stride_w: int
    filter_h: int
    filter_w: int
    pad_top: int
    pad_left: int
    act_min: int
    act_max: int


@dataclass
class AddParams:
    """Parameters of ADD (TFLite's int8 general rescaling path)."""

    input1_zero_point: int
    input2_zero_point: int
    output_zero_point: int
    left_shift: int
    input1_multiplier: int
    input1_shift: int
    input2_multiplier: int
    input2_shift: int
    output_multiplier: int
    output_shift: int
    act_min: int
    act_max: int


@dataclass
class SoftmaxParams:
    """Parameters of SOFTMAX (int8 in, int8 out with scale 1/256 and zero point -128)."""

    input_beta_multiplier: int
    input_beta_left_shift: int
    diff_min: int
    input_zero_point: int
    output_zero_point: int


@dataclass
class CopyParams:
    """ASSIGN_VARIABLE (value -> variable) and READ_VARIABLE (variable -> tensor): no fields."""


@dataclass
class ConcatParams:
    """CONCATENATION of int8/uint8 tensors of equal quantization along axis (a byte copy)."""

    axis: int


@dataclass
class SliceParams:
    """STRIDED_SLICE, normalised on the host to the input's shape padded to 4-D at the front:
    output element (o0..o3) is input element (begin[d] + o_d * stride[d])."""

    begin: tuple[int, int, int, int]
    stride: tuple[int, int, int, int]
    count: tuple[int, int, int, int]


@dataclass
class LogisticParams:
    """LOGISTIC through a 256-entry table computed on the host (LiteRT's reference kernel)."""

    table_offset: int  # file offset of 256 bytes, indexed by the input byte
    input_zero_point: int
    output_zero_point: int


@dataclass
class QuantizeParams:
    """QUANTIZE (requantize) between int8/uint8 tensors."""

    input_zero_point: int
    output_zero_point: int
    multiplier: int
    shift: int


@dataclass
class MulParams:
    """MUL of two int8 tensors (TFLite reference_integer_ops::Mul), with broadcasting."""

    input1_zero_point: int
    input2_zero_point: int
    output_zero_point: int
    multiplier: int
    shift: int
    act_min: int
    act_max: int


@dataclass
class PadParams:
    """PAD: the input placed at `before` (per axis of the 4-D padded shape) in an output
    filled with pad_value (the output's zero point, or PADV2's constant)."""

    before: tuple[int, int, int, int]
    pad_value: int


@dataclass
class MeanParams:
    """MEAN of an int8 tensor over the axes of axis_mask (bit d: axis d of the shape padded
    at the front to 4-D): MBQM(sum(x - input_zp), multiplier, shift) + output_zp."""

    axis_mask: int
    input_zero_point: int
    output_zero_point: int
    multiplier: int
    shift: int


OpParams = (
    WeightedParams
    | PoolParams
    | AddParams
    | SoftmaxParams
    | CopyParams
    | ConcatParams
    | SliceParams
    | LogisticParams
    | QuantizeParams
    | MulParams
    | PadParams
    | MeanParams
)


@dataclass
class OpRecord:
    """One entry of the operator list. inputs holds None for an absent optional input (bias)."""

    opcode: OpCode
    inputs: tuple[int | None, ...]
    output: int
    params: OpParams


@dataclass
class ModelFile:
    """A parsed and validated earshot model. data is the file itself (constants are views)."""

    data: bytes
    version: int
    arena_size: int
    tensors: list[TensorRecord]
    ops: list[OpRecord]
    inputs: list[int]
    outputs: list[int]
    blob_offset: int
    blob_size: int
    metadata: dict[str, Any] = field(default_factory=dict)

    def const_array(self, index: int) -> np.ndarray:
        """Read-only view of a constant tensor's data, in place in the file bytes."""
        tensor = self.tensors[index]
        if tensor.kind != TensorKind.CONST:
            raise ValueError(f"tensor {index} is not a constant")
        return np.frombuffer(
            self.data,
            dtype=tensor.dtype.numpy_name,
            count=tensor.element_count,
            offset=tensor.offset,
        ).reshape(tensor.shape)

    def int32_array(self, offset: int, count: int) -> np.ndarray:
        """Read-only view of an int32 array in the constant blob (multipliers, shifts, ...)."""
        return np.frombuffer(self.data, dtype="<i4", count=count, offset=offset)

    def int64_array(self, offset: int, count: int) -> np.ndarray:
        """Read-only view of an int64 array in the constant blob (DOUBLE_ROUND mantissas)."""
        return np.frombuffer(self.data, dtype="<i8", count=count, offset=offset)

    def float32_array(self, offset: int, count: int) -> np.ndarray:
        """Read-only view of a float32 array in the constant blob (per-channel scales)."""
        return np.frombuffer(self.data, dtype="<f4", count=count, offset=offset)
