"""Turn a parsed TFLite graph into earshot records (tensors, ops, constants, memory plan)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import EarshotError
from ..modelfile import (
    AddParams,
    ConcatParams,
    CopyParams,
    DType,
    LogisticParams,
    MeanParams,
    ModelWriter,
    MulParams,
    OpCode,
    OpRecord,
    PadParams,
    PoolParams,
    QuantizeParams,
    QuantType,
    RequantMode,
    SoftmaxParams,
    TensorKind,
    TensorRecord,
    WeightedParams,
    activation_buffers,
)
from ..modelfile.layout import TENSOR_FLAG_ALIAS, TENSOR_FLAG_INPUT, TENSOR_FLAG_OUTPUT
from ..modelfile.output_stage import prepared_stage, windows_inside
from ..modelfile.validate import broadcasts
from . import quant_params as qp
from .memory_plan import plan_arena
from .mixconv import find_mixconvs, merged_op
from .slicing import split_slices, strided_slice
from .state_rings import Ring, find_rings
from .tflite_graph import ACTIVATION_NAMES, PADDING_NAMES, Graph, GraphOp, GraphTensor
from .variables import reads_needing_copy, resolve_variables

COMPUTE_OPS = {
    "CONV_2D": OpCode.CONV_2D,
    "DEPTHWISE_CONV_2D": OpCode.DEPTHWISE_CONV_2D,
    "FULLY_CONNECTED": OpCode.FULLY_CONNECTED,
    "AVERAGE_POOL_2D": OpCode.AVERAGE_POOL_2D,
    "MAX_POOL_2D": OpCode.MAX_POOL_2D,
    "ADD": OpCode.ADD,
    "SOFTMAX": OpCode.SOFTMAX,
    "CONCATENATION": OpCode.CONCATENATION,
    "STRIDED_SLICE": OpCode.STRIDED_SLICE,
    "SPLIT": OpCode.STRIDED_SLICE,
    "SPLIT_V": OpCode.STRIDED_SLICE,
    "LOGISTIC": OpCode.LOGISTIC,
    "ASSIGN_VARIABLE": OpCode.ASSIGN_VARIABLE,
    "MUL": OpCode.MUL,
    "PAD": OpCode.PAD,
    "PADV2": OpCode.PAD,
    "MEAN": OpCode.MEAN,
}
FOLDED_OPS = ("RESHAPE", "QUANTIZE", "DEQUANTIZE", "READ_VARIABLE")
HOST_OPS = ("CALL_ONCE", "VAR_HANDLE")  # evaluated by the converter (variables.py)
SUPPORTED_OPS = (*COMPUTE_OPS, *FOLDED_OPS, *HOST_OPS)
BYTE_TYPES = ("INT8", "UINT8")
OPTIONLESS_OPS = ("SOFTMAX", "LOGISTIC", "ASSIGN_VARIABLE", "SPLIT", "SPLIT_V", "PAD", "PADV2")
LOGISTIC_SCALE = 1.0 / 256
DTYPES = {"INT8": DType.INT8, "UINT8": DType.UINT8, "INT16": DType.INT16, "INT32": DType.INT32}
SOFTMAX_SCALE = 1.0 / 256
FC_ROUNDING_MODES = ("double", "fixed_point")


@dataclass
class LoweredOp:
    """An emitted op with what the report needs about it."""

    record: OpRecord
    tflite_index: int
    name: str
    macs: int
    param_bytes: int


@dataclass
class Lowered:
    writer: ModelWriter
    ops: list[LoweredOp]
    inputs: list[int]
    outputs: list[int]
    arena_size: int
    param_count: int
    names: dict[int, str] = field(default_factory=dict)


class _Lowering:
    def __init__(self, graph: Graph, fc_rounding: str) -> None:
        if fc_rounding not in FC_ROUNDING_MODES:
            raise EarshotError(
                f"fc_rounding must be one of {', '.join(FC_ROUNDING_MODES)}, not {fc_rounding!r}"
            )
        self.fc_rounding = fc_rounding
        self.graph = graph
        self.writer = ModelWriter()
        self.alias: dict[int, int] = {}  # folded op output -> tflite tensor holding the data
        self.index: dict[int, int] = {}  # tflite tensor -> earshot tensor
        self.ops: list[LoweredOp] = []
        self.param_count = 0
        self.names: dict[int, str] = {}
        self.variables = resolve_variables(graph)
        self.copied_reads = reads_needing_copy(graph, self.variables)
        self.states: dict[str, int] = {}  # variable name -> earshot STATE tensor
        self.state_alias: dict[int, int] = {}  # folded READ_VARIABLE output -> STATE tensor
        # Mixed depthwise convolutions lowered as one op at their concatenation (mixconv.py).
        groups = find_mixconvs(graph)
        self.mixconvs = {group.concat.index: group for group in groups}
        self.absorbed = {i for group in groups for i in group.absorbed}
        # Variables kept as rings of [state | new frames] (state_rings.py): their
        # concatenation and slice disappear, the assignment runs after the ring's readers.
        rings = find_rings(graph, self.variables, groups)
        self.rings = {ring.variable: ring for ring in rings}
        self.ring_views = {t: (r.variable, at) for r in rings for t, at in r.views().items()}
        self.ring_copies = {r.concat.index: r for r in rings if r.copied}
        self.absorbed |= {i for r in rings for i in (r.concat.index, r.slice.index)}
        self.deferred: dict[int, list[Ring]] = {}
        for ring in rings:
            self.absorbed.add(ring.assign.index)
            self.deferred.setdefault(ring.after, []).append(ring)
        self.view_at: dict[int, int] = {}  # earshot view tensor -> byte offset in its ring

    # -- tensors ---------------------------------------------------------------------------
    def _fail(self, op: GraphOp, message: str) -> EarshotError:
        return EarshotError(f"op #{op.index} {op.name}: {message}")

    def root(self, tfl: int) -> int:
        while tfl in self.alias:
            tfl = self.alias[tfl]
        return tfl

    def tensor(self, tfl: int) -> int:
        """Earshot index of a TFLite tensor, creating its record (and constant data) once."""
        if tfl in self.index:
            return self.index[tfl]
        g = self.graph.tensors[tfl]
        root = self.root(tfl)
        if root in self.ring_views:
            record = self._view_record(g, *self.ring_views[root])
        elif root != tfl or root in self.state_alias:
            base_index = self.state_alias[root] if root in self.state_alias else self.tensor(root)
            base = self.writer.tensors[base_index]
            record = dataclasses.replace(
                base,
                shape=g.shape,
                flags=TENSOR_FLAG_ALIAS,
                alias_of=base_index,
                init_offset=0,
                **self._quant_fields(g),
            )
        else:
            record = self._new_record(g)
        self.index[tfl] = self.writer.add_tensor(record)
        self.names[self.index[tfl]] = g.name
        return self.index[tfl]

    def _view_record(self, g: GraphTensor, variable: str, at: int) -> TensorRecord:
        """A view of a ring's STATE tensor at byte `at` (FORMAT.md §1.2)."""
        ring = self.rings[variable]
        state = self._state(ring.read, ring.read.inputs[0])
        dtype = DTYPES[g.type_name]
        count = int(np.prod(g.shape)) if g.shape else 1
        record = TensorRecord(
            dtype=dtype,
            kind=TensorKind.STATE,
            shape=g.shape,
            byte_size=count * dtype.itemsize,
            offset=0,
            flags=TENSOR_FLAG_ALIAS,
            alias_of=state,
            **self._quant_fields(g),
        )
        self.view_at[len(self.writer.tensors)] = at
        return record

    def _quant_fields(self, g: GraphTensor) -> dict[str, Any]:
        if len(g.scales) == 0:
            return {
                "quant_type": QuantType.NONE,
                "zero_point": 0,
                "scale": 0.0,
                "quant_count": 0,
                "quant_axis": 0,
                "quant_zero_points_offset": 0,
                "quant_scales_offset": 0,
            }
        if len(g.scales) == 1:
            return {
                "quant_type": QuantType.PER_TENSOR,
                "zero_point": int(g.zero_points[0]),
                "scale": float(g.scales[0]),
                "quant_count": 1,
                "quant_axis": 0,
                "quant_zero_points_offset": 0,
                "quant_scales_offset": 0,
            }
        return {
            "quant_type": QuantType.PER_CHANNEL,
            "zero_point": 0,
            "scale": 0.0,
            "quant_count": len(g.scales),
            "quant_axis": g.quant_axis,
            "quant_zero_points_offset": self.writer.add_blob(g.zero_points.astype("<i4")),
            "quant_scales_offset": self.writer.add_blob(g.scales.astype("<f4")),
        }

    def _new_record(self, g: GraphTensor) -> TensorRecord:
        dtype = DTYPES.get(g.type_name)
        if dtype is None:
            raise EarshotError(
                f"{g.describe()}: type {g.type_name} is not supported (int8 models only)"
            )
        if len(g.shape) > 4 or any(d < 1 for d in g.shape) or any(d > 0xFFFF for d in g.shape):
            raise EarshotError(f"{g.describe()}: shape is not supported (rank <= 4, dims 1..65535)")
        count = int(np.prod(g.shape)) if g.shape else 1
        if g.is_const:
            assert g.data is not None
            offset = self.writer.add_blob(g.data.astype(dtype.numpy_name))
            kind = TensorKind.CONST
            self.param_count += count
        else:
            if g.is_variable:
                raise EarshotError(f"{g.describe()}: variable tensors are not supported")
            offset = 0
            kind = TensorKind.ACTIVATION
        return TensorRecord(
            dtype=dtype,
            kind=kind,
            shape=g.shape,
            byte_size=count * dtype.itemsize,
            offset=offset,
            **self._quant_fields(g),
        )

    def _activation(self, op: GraphOp, tfl: int, role: str) -> GraphTensor:
        g = self.graph.tensors[tfl]
        if g.type_name != "INT8":
            raise self._fail(op, f"{role} {g.describe()} is {g.type_name}; only int8 is supported")
        if len(g.scales) != 1:
            raise self._fail(op, f"{role} {g.describe()} must have per-tensor quantization")
        return g

    def _const(self, op: GraphOp, tfl: int, role: str, type_name: str) -> GraphTensor:
        g = self.graph.tensors[self.root(tfl)]
        if not g.is_const:
            raise self._fail(op, f"{role} {g.describe()} must be a constant")
        if g.type_name != type_name:
            raise self._fail(op, f"{role} {g.describe()} is {g.type_name}, expected {type_name}")
        return g

    # -- ops -------------------------------------------------------------------------------
    def run(self) -> None:
        for index in self.graph.inputs:
            g = self.graph.tensors[index]
            if g.type_name not in BYTE_TYPES or g.is_const or len(g.scales) != 1:
                raise EarshotError(
                    f"model input {g.describe()} must be a per-tensor quantized int8 or uint8 "
                    "tensor (convert with full-integer int8 quantization)"
                )
        for op in self.graph.ops:
            if op.name not in SUPPORTED_OPS:
                raise EarshotError(
                    f"op #{op.index} {op.name} is not supported (supported ops: "
                    f"{', '.join(SUPPORTED_OPS)})"
                )
            outputs = {"ASSIGN_VARIABLE": 0, "CALL_ONCE": 0, "SPLIT": None, "SPLIT_V": None}
            expected = outputs.get(op.name, 1)
            if expected is not None and len(op.outputs) != expected:
                raise self._fail(op, f"has {len(op.outputs)} outputs, expected {expected}")
            if op.index in self.mixconvs:
                self._conv(merged_op(self.graph, self.mixconvs[op.index]))
            elif op.index in self.ring_copies:
                self._copy_into_ring(self.ring_copies[op.index])
            elif op.name in HOST_OPS or op.index in self.absorbed:
                pass
            elif op.name in FOLDED_OPS:
                self._fold(op)
            else:
                self._compute(op)
            for ring in self.deferred.get(op.index, []):
                self._assign_ring(ring)
        for index in self.graph.outputs:
            g = self.graph.tensors[index]
            if g.type_name not in BYTE_TYPES:
                raise EarshotError(f"model output {g.describe()} must be int8 or uint8")

    def _fold(self, op: GraphOp) -> None:
        if op.name == "READ_VARIABLE":
            self._read_variable(op)
            return
        src, dst = op.inputs[0], op.outputs[0]
        a, b = self.graph.tensors[src], self.graph.tensors[dst]
        if op.name != "RESHAPE":
            same = (
                a.type_name == b.type_name == "INT8"
                and len(a.scales) == len(b.scales) == 1
                and a.scales[0] == b.scales[0]
                and a.zero_points[0] == b.zero_points[0]
            )
            if op.name == "QUANTIZE" and not same:
                self._quantize(op)
                return
            if not same:
                raise self._fail(
                    op,
                    f"only an int8->int8 identity is supported (input {a.type_name} "
                    f"scale {a.scales.tolist()} zp {a.zero_points.tolist()}, output "
                    f"{b.type_name} scale {b.scales.tolist()} zp {b.zero_points.tolist()})",
                )
        count_a = int(np.prod(a.shape)) if a.shape else 1
        count_b = int(np.prod(b.shape)) if b.shape else 1
        if a.type_name != b.type_name or count_a != count_b:
            raise self._fail(op, "input and output differ in type or element count")
        self.alias[dst] = self.root(src)

    def _activation_name(self, op: GraphOp) -> str:
        code = op.options.FusedActivationFunction()
        name = ACTIVATION_NAMES.get(code, str(code))
        if name not in ("NONE", "RELU", "RELU6", "RELU_N1_TO_1"):
            raise self._fail(op, f"fused activation {name} is not supported")
        return name

    def _emit(
        self,
        op: GraphOp,
        code: OpCode,
        inputs: list[int | None],
        params: Any,
        macs: int,
        extra_bytes: int = 0,
        output_tfl: int | None = None,
    ) -> None:
        before = {i for i in self.index}
        earshot_inputs = tuple(None if i is None else self.tensor(i) for i in inputs)
        output = self.tensor(op.outputs[0] if output_tfl is None else output_tfl)
        if output in earshot_inputs:
            raise self._fail(op, "output must be a fresh activation tensor")
        if output not in self.view_at:  # a ring's new frames: written into the ring
            if self.writer.tensors[output].kind != TensorKind.ACTIVATION:
                raise self._fail(op, "output must be a fresh activation tensor")
            if self.writer.tensors[output].alias_of is not None:
                raise self._fail(op, "output is already produced by another op")
        param_bytes = extra_bytes + sum(
            self.writer.tensors[self.index[i]].byte_size
            for i in inputs
            if i is not None
            and i not in before
            and self.writer.tensors[self.index[i]].kind == TensorKind.CONST
        )
        record = OpRecord(opcode=code, inputs=earshot_inputs, output=output, params=params)
        self.writer.add_op(record)
        self.ops.append(LoweredOp(record, op.index, op.name, macs, param_bytes))

    def _compute(self, op: GraphOp) -> None:
        if op.options is None and op.name not in OPTIONLESS_OPS:
            raise self._fail(op, "has no builtin options")
        if op.name in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            self._conv(op)
        elif op.name == "FULLY_CONNECTED":
            self._fully_connected(op)
        elif op.name in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
            self._pool(op)
        elif op.name == "ADD":
            self._add(op)
        elif op.name == "SOFTMAX":
            self._softmax(op)
        elif op.name == "CONCATENATION":
            self._concatenation(op)
        elif op.name == "STRIDED_SLICE":
            self._strided_slice(op)
        elif op.name in ("SPLIT", "SPLIT_V"):
            self._split(op)
        elif op.name == "LOGISTIC":
            self._logistic(op)
        elif op.name == "MUL":
            self._mul(op)
        elif op.name in ("PAD", "PADV2"):
            self._pad(op)
        elif op.name == "MEAN":
            self._mean(op)
        else:
            self._assign_variable(op)

    def _spatial(
        self,
        op: GraphOp,
        x: GraphTensor,
        out: GraphTensor,
        filt_hw: tuple[int, int],
        stride: tuple[int, int],
        dilation: tuple[int, int],
    ) -> tuple[int, int]:
        padding = PADDING_NAMES.get(op.options.Padding(), "?")
        if padding not in ("SAME", "VALID"):
            raise self._fail(op, f"padding {padding} is not supported")
        if len(x.shape) != 4 or len(out.shape) != 4:
            raise self._fail(op, "input and output must be 4-D (NHWC)")
        if min(*stride, *dilation) < 1:
            raise self._fail(op, f"stride {stride} / dilation {dilation} must be >= 1")
        pads = []
        for axis in (0, 1):
            size, pad = qp.same_or_valid_padding(
                padding, x.shape[1 + axis], filt_hw[axis], stride[axis], dilation[axis]
            )
            if size != out.shape[1 + axis] or size < 1:
                raise self._fail(
                    op, f"output shape {list(out.shape)} does not match {padding} padding"
                )
            pads.append(pad)
        return pads[0], pads[1]

    def _filter_scales(self, op: GraphOp, filt: GraphTensor, axis: int, channels: int) -> list:
        if len(filt.scales) not in (1, channels) or (
            len(filt.scales) > 1 and filt.quant_axis != axis
        ):
            raise self._fail(op, f"filter {filt.describe()} has unsupported quantization")
        if len(filt.scales) > 1 and np.any(filt.zero_points != 0):
            raise self._fail(op, "per-channel filter zero points must be 0")
        return [float(s) for s in filt.scales]

    def _bias(self, op: GraphOp, tfl: int, channels: int) -> int | None:
        if tfl < 0:
            return None
        bias = self._const(op, tfl, "bias", "INT32")
        if int(np.prod(bias.shape)) != channels:
            raise self._fail(op, f"bias {bias.describe()} needs {channels} values")
        return tfl

    def _multiplier_arrays(self, multipliers: np.ndarray, shifts: np.ndarray) -> tuple[int, int]:
        return self.writer.add_blob(multipliers), self.writer.add_blob(shifts)

    def _conv(self, op: GraphOp) -> None:
        o = op.options
        depthwise = op.name == "DEPTHWISE_CONV_2D"
        x = self._activation(op, op.inputs[0], "input")
        out = self._activation(op, op.outputs[0], "output")
        filt = self._const(op, op.inputs[1], "filter", "INT8")
        if len(filt.shape) != 4:
            raise self._fail(op, f"filter {filt.describe()} must be 4-D")
        channels = out.shape[3]
        in_channels = x.shape[3] if len(x.shape) == 4 else 0
        if depthwise:
            multiplier = channels // max(in_channels, 1)
            if (
                filt.shape[0] != 1
                or filt.shape[3] != channels
                or in_channels * multiplier != channels
            ):
                raise self._fail(op, f"filter {filt.describe()} does not fit the input/output")
            if o.DepthMultiplier() not in (0, multiplier):
                raise self._fail(
                    op, f"depth_multiplier option {o.DepthMultiplier()} != output/input channels"
                )
        else:
            multiplier = 1
            if filt.shape[0] != channels or filt.shape[3] != in_channels:
                raise self._fail(op, f"filter {filt.describe()} does not fit the input/output")
        stride = (o.StrideH(), o.StrideW())
        dilation = (o.DilationHFactor(), o.DilationWFactor())
        kh, kw = filt.shape[1], filt.shape[2]
        pad_top, pad_left = self._spatial(op, x, out, (kh, kw), stride, dilation)
        scales = self._filter_scales(op, filt, 3 if depthwise else 0, channels)
        if len(scales) == 1 and int(filt.zero_points[0]) != 0:
            raise self._fail(op, "filter zero point must be 0")
        count = len(scales)  # per-tensor weights: one broadcast entry
        multipliers, shifts = qp.conv_multipliers(
            float(x.scales[0]), scales, float(out.scales[0]), count
        )
        act_min, act_max = qp.activation_range_int8(
            self._activation_name(op), float(out.scales[0]), int(out.zero_points[0])
        )
        bias = self._bias(op, op.inputs[2] if len(op.inputs) > 2 else -1, channels)
        mult_offset, shift_offset = self._multiplier_arrays(multipliers, shifts)
        # A prepared output stage where it pays: one output pixel, so every channel's
        # stage runs once per invocation (a multi-pixel kernel amortises its own table).
        stage = None
        one_pixel = int(np.prod(out.shape[:3])) == 1
        if one_pixel and windows_inside(
            x.shape[1:3], out.shape[1:3], (kh, kw), stride, dilation, (pad_top, pad_left)
        ):
            assert filt.data is not None
            bias_data = None if bias is None else self.graph.tensors[self.root(bias)].data
            stage = prepared_stage(
                filt.data,
                bias_data,
                multipliers,
                shifts,
                int(x.zero_points[0]),
                int(out.zero_points[0]),
                depthwise,
            )
        params = WeightedParams(
            stride_h=stride[0],
            stride_w=stride[1],
            dilation_h=dilation[0],
            dilation_w=dilation[1],
            pad_top=pad_top,
            pad_left=pad_left,
            filter_h=kh,
            filter_w=kw,
            depth_multiplier=multiplier,
            input_zero_point=int(x.zero_points[0]),
            filter_zero_point=0,
            output_zero_point=int(out.zero_points[0]),
            act_min=act_min,
            act_max=act_max,
            multipliers_offset=mult_offset,
            shifts_offset=shift_offset,
            requant_count=count,
            stage_offset=0 if stage is None else self.writer.add_blob(stage),
        )
        taps = kh * kw * (1 if depthwise else in_channels)
        macs = int(np.prod(out.shape)) * taps
        code = OpCode.DEPTHWISE_CONV_2D if depthwise else OpCode.CONV_2D
        extra = 8 * count + (0 if stage is None else stage.nbytes)
        self._emit(op, code, [op.inputs[0], op.inputs[1], bias], params, macs, extra)

    def _fully_connected(self, op: GraphOp) -> None:
        o = op.options
        if o.WeightsFormat() != 0:
            raise self._fail(op, f"weights format {o.WeightsFormat()} is not supported")
        x = self._activation(op, op.inputs[0], "input")
        out = self._activation(op, op.outputs[0], "output")
        filt = self._const(op, op.inputs[1], "filter", "INT8")
        if len(filt.shape) != 2:
            raise self._fail(op, f"filter {filt.describe()} must be 2-D")
        channels, depth = filt.shape
        in_count = int(np.prod(x.shape))
        out_count = int(np.prod(out.shape))
        if (
            in_count % depth
            or out_count != in_count // depth * channels
            or (out.shape[-1] != channels)
        ):
            raise self._fail(
                op, f"shapes {list(x.shape)} x {list(filt.shape)} -> {list(out.shape)} disagree"
            )
        scales = self._filter_scales(op, filt, 0, channels)
        filter_zero_point = int(filt.zero_points[0]) if len(scales) == 1 else 0
        count = len(scales)  # per-tensor weights: one broadcast entry
        multipliers, shifts = qp.conv_multipliers(
            float(x.scales[0]), scales, float(out.scales[0]), count
        )
        act_min, act_max = qp.activation_range_int8(
            self._activation_name(op), float(out.scales[0]), int(out.zero_points[0])
        )
        bias = self._bias(op, op.inputs[2] if len(op.inputs) > 2 else -1, channels)
        mult_offset, shift_offset = self._multiplier_arrays(multipliers, shifts)
        extra_bytes = 8 * count
        mode = RequantMode.FIXED_POINT
        mantissas_offset = exponents_offset = 0
        if self.fc_rounding == "double":
            mode = RequantMode.DOUBLE_ROUND
            mantissas, exponents = qp.double_round_scales(
                float(x.scales[0]), scales, float(out.scales[0]), count
            )
            mantissas_offset = self.writer.add_blob(mantissas)
            exponents_offset = self.writer.add_blob(exponents)
            extra_bytes += 12 * count
        params = WeightedParams(
            stride_h=0,
            stride_w=0,
            dilation_h=0,
            dilation_w=0,
            pad_top=0,
            pad_left=0,
            filter_h=0,
            filter_w=0,
            depth_multiplier=0,
            input_zero_point=int(x.zero_points[0]),
            filter_zero_point=filter_zero_point,
            output_zero_point=int(out.zero_points[0]),
            act_min=act_min,
            act_max=act_max,
            requant_count=count,
            multipliers_offset=mult_offset,
            shifts_offset=shift_offset,
            requant_mode=mode,
            scale_mantissas_offset=mantissas_offset,
            scale_exponents_offset=exponents_offset,
        )
        macs = in_count // depth * channels * depth
        self._emit(
            op,
            OpCode.FULLY_CONNECTED,
            [op.inputs[0], op.inputs[1], bias],
            params,
            macs,
            extra_bytes,
        )

    def _pool(self, op: GraphOp) -> None:
        o = op.options
        x = self._activation(op, op.inputs[0], "input")
        out = self._activation(op, op.outputs[0], "output")
        filt_hw = (o.FilterHeight(), o.FilterWidth())
        stride = (o.StrideH(), o.StrideW())
        if min(filt_hw) < 1:
            raise self._fail(op, f"filter size {filt_hw} must be >= 1")
        pad_top, pad_left = self._spatial(op, x, out, filt_hw, stride, (1, 1))
        if x.shape[3] != out.shape[3] or x.shape[0] != out.shape[0]:
            raise self._fail(op, "input and output differ in batch or channels")
        act_min, act_max = qp.activation_range_int8(
            self._activation_name(op), float(out.scales[0]), int(out.zero_points[0])
        )
        params = PoolParams(
            stride_h=stride[0],
            stride_w=stride[1],
            filter_h=filt_hw[0],
            filter_w=filt_hw[1],
            pad_top=pad_top,
            pad_left=pad_left,
            act_min=act_min,
            act_max=act_max,
        )
        code = OpCode.AVERAGE_POOL_2D if op.name == "AVERAGE_POOL_2D" else OpCode.MAX_POOL_2D
        self._emit(op, code, [op.inputs[0]], params, 0)

    def _binary(self, op: GraphOp) -> tuple[GraphTensor, GraphTensor, GraphTensor, int, int]:
        """ADD / MUL: both inputs and the output (broadcast checked), the activation range."""
        a = self._activation(op, op.inputs[0], "input 1")
        b = self._activation(op, op.inputs[1], "input 2")
        out = self._activation(op, op.outputs[0], "output")
        self._check_broadcast(op, a, b, out)
        act_min, act_max = qp.activation_range_int8(
            self._activation_name(op), float(out.scales[0]), int(out.zero_points[0])
        )
        return a, b, out, act_min, act_max

    def _add(self, op: GraphOp) -> None:
        a, b, out, act_min, act_max = self._binary(op)
        values = qp.add_params(float(a.scales[0]), float(b.scales[0]), float(out.scales[0]))
        params = AddParams(
            input1_zero_point=int(a.zero_points[0]),
            input2_zero_point=int(b.zero_points[0]),
            output_zero_point=int(out.zero_points[0]),
            act_min=act_min,
            act_max=act_max,
            **values,
        )
        self._emit(op, OpCode.ADD, [op.inputs[0], op.inputs[1]], params, 0)

    def _check_broadcast(
        self, op: GraphOp, a: GraphTensor, b: GraphTensor, out: GraphTensor
    ) -> None:
        if len(out.shape) > 4 or not broadcasts(a.shape, b.shape, out.shape):
            raise self._fail(
                op,
                f"input shapes {list(a.shape)} and {list(b.shape)} do not broadcast to the "
                f"output {list(out.shape)} (rank <= 4)",
            )

    def _mul(self, op: GraphOp) -> None:
        a, b, out, act_min, act_max = self._binary(op)
        multiplier, shift = qp.mul_multiplier(
            float(a.scales[0]), float(b.scales[0]), float(out.scales[0])
        )
        params = MulParams(
            input1_zero_point=int(a.zero_points[0]),
            input2_zero_point=int(b.zero_points[0]),
            output_zero_point=int(out.zero_points[0]),
            multiplier=multiplier,
            shift=shift,
            act_min=act_min,
            act_max=act_max,
        )
        macs = int(np.prod(out.shape))
        self._emit(op, OpCode.MUL, [op.inputs[0], op.inputs[1]], params, macs)

    def _pad(self, op: GraphOp) -> None:
        x = self._byte_activation(op, op.inputs[0], "input")
        out = self._byte_activation(op, op.outputs[0], "output")
        rank = len(x.shape)
        pads = self._int_values(op, op.inputs[1], "paddings")
        if len(pads) != 2 * rank or min(pads) < 0 or len(out.shape) != rank:
            raise self._fail(op, f"paddings {pads} do not fit an input of rank {rank}")
        if any(x.shape[d] + pads[2 * d] + pads[2 * d + 1] != out.shape[d] for d in range(rank)):
            raise self._fail(op, f"paddings {pads} of {x.describe()} give no {out.describe()}")
        if x.type_name != out.type_name or list(x.zero_points) != list(out.zero_points):
            raise self._fail(op, "input and output differ in type or zero point")
        pad_value = int(out.zero_points[0]) if len(out.zero_points) else 0
        if op.name == "PADV2" and len(op.inputs) > 2 and op.inputs[2] >= 0:
            constant = self.graph.tensors[self.root(op.inputs[2])]
            if not constant.is_const or constant.type_name != x.type_name:
                raise self._fail(op, "the pad value must be a constant of the input's type")
            assert constant.data is not None
            pad_value = int(constant.data.reshape(-1)[0])
        before = (0,) * (4 - rank) + tuple(pads[0::2])
        params = PadParams(before=(before[0], before[1], before[2], before[3]), pad_value=pad_value)
        self._emit(op, OpCode.PAD, [op.inputs[0]], params, 0)

    def _mean(self, op: GraphOp) -> None:
        x = self._activation(op, op.inputs[0], "input")
        out = self._activation(op, op.outputs[0], "output")
        rank = len(x.shape)
        if rank > 4:
            raise self._fail(op, f"{x.describe()} has rank above 4")
        axes = {a + rank if a < 0 else a for a in self._int_values(op, op.inputs[1], "axis")}
        if not axes or any(not 0 <= a < rank for a in axes):
            raise self._fail(op, f"axes {sorted(axes)} do not fit an input of rank {rank}")
        if x.scales[0] == out.scales[0] and x.zero_points[0] == out.zero_points[0]:
            raise self._fail(
                op,
                "a MEAN whose output has the input's scale and zero point is not supported "
                "(LiteRT's reference kernel takes another path for it)",
            )
        count = int(np.prod([x.shape[a] for a in axes]))
        mask = sum(1 << (a + 4 - rank) for a in axes)
        multiplier, shift = qp.mean_multiplier(float(x.scales[0]), float(out.scales[0]), count)
        params = MeanParams(
            axis_mask=mask,
            input_zero_point=int(x.zero_points[0]),
            output_zero_point=int(out.zero_points[0]),
            multiplier=multiplier,
            shift=shift,
        )
        self._emit(op, OpCode.MEAN, [op.inputs[0]], params, 0)

    def _softmax(self, op: GraphOp) -> None:
        x = self._activation(op, op.inputs[0], "input")
        out = self._activation(op, op.outputs[0], "output")
        if x.shape != out.shape:
            raise self._fail(op, "input and output shapes differ")
        if int(out.zero_points[0]) != -128 or abs(float(out.scales[0]) - SOFTMAX_SCALE) > (
            0.001 * SOFTMAX_SCALE
        ):
            raise self._fail(op, "int8 output must have scale 1/256 and zero point -128")
        beta = float(op.options.Beta()) if op.options is not None else 1.0
        values = qp.softmax_params(beta, float(x.scales[0]))
        params = SoftmaxParams(
            input_zero_point=int(x.zero_points[0]), output_zero_point=-128, **values
        )
        self._emit(op, OpCode.SOFTMAX, [op.inputs[0]], params, 0)

    # -- variables, shape and byte ops ---------------------------------------------------------
    def _state(self, op: GraphOp, resource: int) -> int:
        """The STATE tensor of the variable behind a resource handle, made on first use."""
        name = self.variables.name_of(op, resource)
        if name in self.states:
            return self.states[name]
        value = self.variables.initial_value(op, name)
        if value.type_name not in BYTE_TYPES or len(value.scales) != 1:
            raise self._fail(
                op,
                f"variable '{name}' holds {value.type_name} {list(value.shape)}; only per-tensor "
                "quantized int8/uint8 variables are supported",
            )
        assert value.data is not None
        initial = value.data.astype(DTYPES[value.type_name].numpy_name).reshape(-1)
        if name in self.rings:  # the whole ring; the new frames start as the zero point
            ring = self.rings[name]
            self._check_ring_value(op, self.graph.tensors[ring.state], value)
            window = self.graph.tensors[ring.window]
            value = dataclasses.replace(window, scales=value.scales, zero_points=value.zero_points)
            fill = np.full(ring.frame_bytes, int(value.zero_points[0]), initial.dtype)
            initial = np.concatenate([initial, fill])
        record = self._new_record(dataclasses.replace(value, data=None))
        record.kind = TensorKind.STATE
        record.init_offset = self.writer.add_blob(initial)
        self.param_count += record.element_count
        index = self.writer.add_tensor(record)
        self.names[index] = name
        self.states[name] = index
        return index

    def _check_variable_value(self, op: GraphOp, state: int, value: GraphTensor) -> None:
        record = self.writer.tensors[state]
        self._check_fits(op, value, record.dtype, record.shape, self.names[state])

    def _check_fits(
        self,
        op: GraphOp,
        value: GraphTensor,
        dtype: DType | None,
        shape: tuple[int, ...],
        name: str,
    ) -> None:
        """value must have the variable's type and element count."""
        count = int(np.prod(value.shape)) if value.shape else 1
        elements = int(np.prod(shape)) if shape else 1
        if dtype is None or DTYPES.get(value.type_name) != dtype or count != elements:
            size = elements * dtype.itemsize if dtype else 0
            raise self._fail(
                op,
                f"{value.describe()} does not fit variable '{name}' "
                f"({dtype.name if dtype else '?'}{list(shape)}, {size} bytes)",
            )

    def _check_ring_value(self, op: GraphOp, value: GraphTensor, held: GraphTensor) -> None:
        """value must fit the part of a ring that holds the variable's value."""
        self._check_fits(op, value, DTYPES.get(held.type_name), held.shape, held.name)

    def _read_variable(self, op: GraphOp) -> None:
        state = self._state(op, op.inputs[0])
        if self.variables.name_of(op, op.inputs[0]) in self.rings:
            return  # the value read is a view of the ring
        out = self.graph.tensors[op.outputs[0]]
        self._check_variable_value(op, state, out)
        if op.index not in self.copied_reads:
            self.state_alias[op.outputs[0]] = state
            return
        self._add_record(
            op, OpCode.READ_VARIABLE, [state], self.tensor(op.outputs[0]), CopyParams()
        )

    def _assign_variable(self, op: GraphOp) -> None:
        state = self._state(op, op.inputs[0])
        value = self.graph.tensors[op.inputs[1]]
        self._check_variable_value(op, state, value)
        value_index = self.tensor(op.inputs[1])
        self._add_record(op, OpCode.ASSIGN_VARIABLE, [value_index], state, CopyParams())

    def _copy_into_ring(self, ring: Ring) -> None:
        """A model input's frames copied into their place in the ring (ASSIGN_VARIABLE to
        a view), where the concatenation was."""
        g = self.graph.tensors[ring.frames]
        slot = self.writer.add_tensor(self._view_record(g, ring.variable, ring.state_bytes))
        self.names[slot] = f"{g.name} (in {ring.variable})"
        inputs = [self.tensor(ring.frames)]
        self._add_record(ring.concat, OpCode.ASSIGN_VARIABLE, inputs, slot, CopyParams())

    def _assign_ring(self, ring: Ring) -> None:
        """A ring's assignment: its tail view copied to its state view (one memmove)."""
        op = ring.assign
        tensors = self.graph.tensors
        self._check_ring_value(op, tensors[ring.tail], tensors[ring.state])
        self._add_record(
            op,
            OpCode.ASSIGN_VARIABLE,
            [self.tensor(ring.tail)],
            self.tensor(ring.state),
            CopyParams(),
        )

    def _byte_activation(self, op: GraphOp, tfl: int, role: str) -> GraphTensor:
        g = self.graph.tensors[tfl]
        if g.type_name not in BYTE_TYPES:
            raise self._fail(op, f"{role} {g.describe()} is {g.type_name}; int8/uint8 only")
        if len(g.shape) > 4:
            raise self._fail(op, f"{role} {g.describe()} has rank above 4")
        return g

    def _int_values(self, op: GraphOp, tfl: int, role: str) -> list[int]:
        g = self.graph.tensors[self.root(tfl)]
        if not g.is_const or g.type_name not in ("INT32", "INT64"):
            raise self._fail(op, f"{role} {g.describe()} must be a constant integer tensor")
        assert g.data is not None
        return [int(v) for v in g.data.reshape(-1)]

    def _concatenation(self, op: GraphOp) -> None:
        out = self._byte_activation(op, op.outputs[0], "output")
        activation = self._activation_name(op)
        if activation != "NONE":
            raise self._fail(op, f"fused activation {activation} is not supported")
        rank = len(out.shape)
        axis = op.options.Axis()
        axis = axis + rank if axis < 0 else axis
        for position, tfl in enumerate(op.inputs):
            g = self._byte_activation(op, tfl, f"input {position}")
            same = (
                g.type_name == out.type_name
                and len(g.scales) == len(out.scales) == 1
                and g.scales[0] == out.scales[0]
                and g.zero_points[0] == out.zero_points[0]
            )
            if not same:
                raise self._fail(
                    op,
                    f"input {position} {g.describe()} must have the output's type, scale and "
                    "zero point (LiteRT's 8-bit concatenation does not rescale)",
                )
        # Three inputs per op: longer lists are joined in steps through tensors of the
        # output's type and quantization (a copy, so the result is the same).
        inputs = [self.tensor(t) for t in op.inputs]
        while len(inputs) > 3:
            shape = list(out.shape)
            shape[axis] = sum(self.writer.tensors[t].shape[axis] for t in inputs[:3])
            record = self._new_record(dataclasses.replace(out, shape=tuple(shape), data=None))
            partial = self.writer.add_tensor(record)
            self._add_record(op, OpCode.CONCATENATION, inputs[:3], partial, ConcatParams(axis))
            inputs = [partial, *inputs[3:]]
        output = self.tensor(op.outputs[0])
        self._add_record(op, OpCode.CONCATENATION, inputs, output, ConcatParams(axis))

    def _add_record(
        self, op: GraphOp, code: OpCode, inputs: list[int], output: int, params: Any
    ) -> None:
        """Emit an op on earshot tensors (no constant inputs, no MACs); the report names it
        after the TFLite op it comes from, or after itself where it stands for another."""
        record = OpRecord(opcode=code, inputs=tuple(inputs), output=output, params=params)
        self.writer.add_op(record)
        name = op.name if op.name in (code.name, "SPLIT", "SPLIT_V") else code.name
        self.ops.append(LoweredOp(record, op.index, name, 0, 0))

    def _strided_slice(self, op: GraphOp) -> None:
        x = self._byte_activation(op, op.inputs[0], "input")
        out = self._byte_activation(op, op.outputs[0], "output")
        o = op.options
        if o.EllipsisMask() or o.NewAxisMask():
            raise self._fail(op, "ellipsis and new-axis masks are not supported")
        try:
            params, shape = strided_slice(
                x.shape,
                self._int_values(op, op.inputs[1], "begin"),
                self._int_values(op, op.inputs[2], "end"),
                self._int_values(op, op.inputs[3], "strides"),
                begin_mask=o.BeginMask(),
                end_mask=o.EndMask(),
                shrink_axis_mask=o.ShrinkAxisMask(),
                offset=bool(o.Offset()),
            )
        except EarshotError as err:
            raise self._fail(op, str(err)) from None
        if int(np.prod(shape)) != int(np.prod(out.shape)) or x.type_name != out.type_name:
            raise self._fail(
                op, f"slice {list(shape)} of {x.describe()} does not match {out.describe()}"
            )
        self._emit(op, OpCode.STRIDED_SLICE, [op.inputs[0]], params, 0)

    def _split(self, op: GraphOp) -> None:
        if op.name == "SPLIT":
            axis_tfl, data_tfl = op.inputs[0], op.inputs[1]
            x = self._byte_activation(op, data_tfl, "input")
            count = len(op.outputs)
            axis = self._int_values(op, axis_tfl, "axis")[0]
            size = x.shape[axis] // count if count else 0
            sizes = [size] * count
        else:
            data_tfl, axis_tfl = op.inputs[0], op.inputs[2]
            x = self._byte_activation(op, data_tfl, "input")
            sizes = self._int_values(op, op.inputs[1], "size_splits")
            axis = self._int_values(op, axis_tfl, "axis")[0]
        try:
            slices = split_slices(x.shape, axis, sizes)
        except EarshotError as err:
            raise self._fail(op, str(err)) from None
        if len(slices) != len(op.outputs):
            raise self._fail(op, f"{len(slices)} sizes for {len(op.outputs)} outputs")
        for params, output in zip(slices, op.outputs, strict=True):
            g = self._byte_activation(op, output, "output")
            if int(np.prod(params.count)) != int(np.prod(g.shape)) or g.type_name != x.type_name:
                raise self._fail(op, f"output {g.describe()} does not match its split")
            self._emit(op, OpCode.STRIDED_SLICE, [data_tfl], params, 0, output_tfl=output)

    def _logistic(self, op: GraphOp) -> None:
        x = self._byte_activation(op, op.inputs[0], "input")
        out = self._byte_activation(op, op.outputs[0], "output")
        low = -128 if out.type_name == "INT8" else 0
        if (
            x.type_name != out.type_name
            or len(x.scales) != 1
            or len(out.scales) != 1
            or float(out.scales[0]) != LOGISTIC_SCALE
            or int(out.zero_points[0]) != low
        ):
            raise self._fail(
                op,
                f"8-bit LOGISTIC needs input and output of one type, per-tensor, the output "
                f"with scale 1/256 and zero point {low} (got {out.describe()} scale "
                f"{out.scales.tolist()} zp {out.zero_points.tolist()})",
            )
        table = qp.logistic_table(
            float(x.scales[0]),
            int(x.zero_points[0]),
            float(out.scales[0]),
            int(out.zero_points[0]),
            unsigned=x.type_name == "UINT8",
        )
        params = LogisticParams(
            table_offset=self.writer.add_blob(table),
            input_zero_point=int(x.zero_points[0]),
            output_zero_point=int(out.zero_points[0]),
        )
        self._emit(op, OpCode.LOGISTIC, [op.inputs[0]], params, 0, extra_bytes=256)

    def _quantize(self, op: GraphOp) -> None:
        x = self._byte_activation(op, op.inputs[0], "input")
        out = self._byte_activation(op, op.outputs[0], "output")
        if len(x.scales) != 1 or len(out.scales) != 1 or x.shape != out.shape:
            raise self._fail(
                op,
                f"requantizes {x.describe()} to {out.describe()}: only per-tensor int8/uint8 "
                "tensors of one shape are supported",
            )
        multiplier, shift = qp.requantize_multiplier(float(x.scales[0]), float(out.scales[0]))
        params = QuantizeParams(
            input_zero_point=int(x.zero_points[0]),
            output_zero_point=int(out.zero_points[0]),
            multiplier=multiplier,
            shift=shift,
        )
        self._emit(op, OpCode.QUANTIZE, [op.inputs[0]], params, 0)

    # -- finishing -------------------------------------------------------------------------
    def finish(self, keep_inputs: bool = False) -> Lowered:
        if not self.ops:
            raise EarshotError("the model has no supported compute op")
        inputs = [self.tensor(i) for i in self.graph.inputs]
        outputs = [self.tensor(i) for i in self.graph.outputs]
        tensors = self.writer.tensors
        for index in inputs:
            tensors[index].flags |= TENSOR_FLAG_INPUT
        for index in outputs:
            tensors[index].flags |= TENSOR_FLAG_OUTPUT
        buffers = activation_buffers(tensors, [lo.record for lo in self.ops], keep_inputs)
        offsets, arena_size = plan_arena(buffers)
        for buffer in buffers:
            for member in buffer.members:
                tensors[member].offset = offsets[buffer.root] + self.view_at.get(member, 0)
        return Lowered(
            writer=self.writer,
            ops=self.ops,
            inputs=inputs,
            outputs=outputs,
            arena_size=arena_size,
            param_count=self.param_count,
            names=self.names,
        )


def lower_graph(graph: Graph, fc_rounding: str = "double", keep_inputs: bool = False) -> Lowered:
    """Lower every op, fold RESHAPE/identity QUANTIZE, plan the arena (keep_inputs: inputs
    live for the whole graph, see activation_buffers).

    fc_rounding "double" makes FULLY_CONNECTED scale its accumulator like LiteRT's reference
    kernel (double product, std::round); "fixed_point" uses the integer multiplier/shift like
    TFLite Micro and LiteRT's optimized kernels.
    """
    lowering = _Lowering(graph, fc_rounding)
    lowering.run()
    return lowering.finish(keep_inputs)
