"""Run an earshot model file with the NumPy reference kernels, the way the device does.

Activations live in one arena (a bytearray of the header's arena size) at the offsets the
converter planned, constants are read in place from the file bytes, and every requantization
parameter comes from the file, so a wrong memory plan or a wrong precomputed multiplier shows
up as a wrong result. A stateful model keeps its variables in the arena from one invoke to
the next; reset() (also done on creation) sets them to their initial values.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import EarshotError
from ..modelfile import (
    AddParams,
    ConcatParams,
    CopyParams,
    LogisticParams,
    MeanParams,
    ModelFile,
    MulParams,
    OpCode,
    OpRecord,
    PadParams,
    PoolParams,
    QuantizeParams,
    RequantMode,
    SliceParams,
    SoftmaxParams,
    TensorKind,
    WeightedParams,
    read_model,
)
from .add import add_int8
from .byte_ops import concatenation, logistic, pad, quantize, strided_slice
from .conv import conv2d_int8
from .depthwise_conv import depthwise_conv2d_int8
from .fully_connected import fully_connected_int8
from .mean import mean_int8
from .mul import mul_int8
from .pooling import average_pool_int8, max_pool_int8
from .softmax import softmax_int8


class ReferenceInterpreter:
    """Holds one parsed model and its arena; invoke() maps inputs to outputs (int8 or uint8
    as the model's tensors are), carrying a stateful model's variables from call to call."""

    def __init__(self, model: bytes | ModelFile) -> None:
        self.model = model if isinstance(model, ModelFile) else read_model(model)
        self.arena = np.zeros(self.model.arena_size, dtype=np.uint8)
        self.reset()

    def reset(self) -> None:
        """Set every variable to its initial value (es_model_reset on the device)."""
        data = np.frombuffer(self.model.data, dtype=np.uint8)
        for t in self.model.tensors:
            if t.kind == TensorKind.STATE and t.alias_of is None:
                self.arena[t.offset : t.offset + t.byte_size] = data[
                    t.init_offset : t.init_offset + t.byte_size
                ]

    def tensor(self, index: int) -> np.ndarray:
        """The tensor's current value: a view into the arena or into the file bytes."""
        t = self.model.tensors[index]
        if t.kind == TensorKind.CONST:
            return self.model.const_array(index)
        # ACTIVATION and STATE tensors live in the arena.
        raw = self.arena[t.offset : t.offset + t.byte_size]
        return raw.view(t.dtype.numpy_name).reshape(t.shape)

    def input_shapes(self) -> list[tuple[int, ...]]:
        return [self.model.tensors[i].shape for i in self.model.inputs]

    def invoke(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Copy inputs into the arena, run every op in order, return copies of the outputs."""
        if len(inputs) != len(self.model.inputs):
            raise EarshotError(f"model takes {len(self.model.inputs)} inputs, {len(inputs)} given")
        for index, value in zip(self.model.inputs, inputs, strict=True):
            target = self.tensor(index)
            value = np.asarray(value)
            if value.dtype != target.dtype or value.size != target.size:
                raise EarshotError(
                    f"input tensor {index} needs {target.size} {target.dtype} values of shape "
                    f"{list(target.shape)}, got {value.dtype} {list(value.shape)}"
                )
            target[...] = value.reshape(target.shape)
        for op in self.model.ops:
            self._run(op)
        return [self.tensor(i).copy() for i in self.model.outputs]

    def _run(self, op: OpRecord) -> None:
        x = self.tensor(op.inputs[0])  # type: ignore[arg-type]
        out = self.tensor(op.output)
        p = op.params
        if isinstance(p, WeightedParams):
            result = self._weighted(op, p, x, out.shape)
        elif isinstance(p, PoolParams):
            kernel = average_pool_int8 if op.opcode == OpCode.AVERAGE_POOL_2D else max_pool_int8
            result = kernel(
                x,
                out_hw=out.shape[1:3],
                filter_hw=(p.filter_h, p.filter_w),
                stride=(p.stride_h, p.stride_w),
                pad=(p.pad_top, p.pad_left),
                act_min=p.act_min,
                act_max=p.act_max,
            )
        elif isinstance(p, AddParams):
            b = self.tensor(op.inputs[1])  # type: ignore[arg-type]
            result = add_int8(x, b, **vars(p))
        elif isinstance(p, SoftmaxParams):
            result = softmax_int8(
                x,
                input_beta_multiplier=p.input_beta_multiplier,
                input_beta_left_shift=p.input_beta_left_shift,
                diff_min=p.diff_min,
            )
        elif isinstance(p, CopyParams):
            result = x.reshape(-1).view(out.dtype)
        elif isinstance(p, ConcatParams):
            result = concatenation([self.tensor(i) for i in op.inputs], p.axis)  # type: ignore[arg-type]
        elif isinstance(p, SliceParams):
            result = strided_slice(x, p.begin, p.stride, p.count)
        elif isinstance(p, LogisticParams):
            table = np.frombuffer(self.model.data, dtype=np.uint8, count=256, offset=p.table_offset)
            result = logistic(x, table)
        elif isinstance(p, QuantizeParams):
            result = quantize(
                x,
                input_zero_point=p.input_zero_point,
                output_zero_point=p.output_zero_point,
                multiplier=p.multiplier,
                shift=p.shift,
                out_dtype=out.dtype,
            )
        elif isinstance(p, MulParams):
            b = self.tensor(op.inputs[1])  # type: ignore[arg-type]
            result = mul_int8(x, b, **vars(p))
        elif isinstance(p, MeanParams):
            result = mean_int8(x, **vars(p))
        elif isinstance(p, PadParams):
            result = pad(x, p.before, out.shape, p.pad_value)
        else:  # pragma: no cover - the reader rejects unknown ops
            raise EarshotError(f"unsupported op {op.opcode}")
        out[...] = result.reshape(out.shape)

    def _weighted(
        self, op: OpRecord, p: WeightedParams, x: np.ndarray, out_shape: tuple[int, ...]
    ) -> np.ndarray:
        filters = self.tensor(op.inputs[1])  # type: ignore[arg-type]
        bias = None if op.inputs[2] is None else self.tensor(op.inputs[2])
        common = {
            "input_zero_point": p.input_zero_point,
            "output_zero_point": p.output_zero_point,
            "multipliers": self.model.int32_array(p.multipliers_offset, p.requant_count),
            "shifts": self.model.int32_array(p.shifts_offset, p.requant_count),
            "act_min": p.act_min,
            "act_max": p.act_max,
        }
        if op.opcode == OpCode.FULLY_CONNECTED:
            scales = {}
            if p.requant_mode == RequantMode.DOUBLE_ROUND:
                scales = {
                    "scale_mantissas": self.model.int64_array(
                        p.scale_mantissas_offset, p.requant_count
                    ),
                    "scale_exponents": self.model.int32_array(
                        p.scale_exponents_offset, p.requant_count
                    ),
                }
            return fully_connected_int8(
                x, filters, bias, filter_zero_point=p.filter_zero_point, **common, **scales
            )
        geometry = {
            "out_hw": out_shape[1:3],
            "stride": (p.stride_h, p.stride_w),
            "dilation": (p.dilation_h, p.dilation_w),
            "pad": (p.pad_top, p.pad_left),
        }
        if op.opcode == OpCode.CONV_2D:
            return conv2d_int8(x, filters, bias, **geometry, **common)
        return depthwise_conv2d_int8(
            x, filters, bias, depth_multiplier=p.depth_multiplier, **geometry, **common
        )


def run_model(model: bytes | ModelFile, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """One-shot helper: parse (if bytes), run once, return the int8 outputs."""
    return ReferenceInterpreter(model).invoke(inputs)
