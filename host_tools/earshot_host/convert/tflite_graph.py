"""Read a .tflite flatbuffer (with the `tflite` schema package) into plain Python objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tflite

from ..errors import EarshotError

TENSOR_TYPE_NAMES = {
    value: name for name, value in vars(tflite.TensorType).items() if not name.startswith("_")
}
OP_NAMES = {
    value: name for name, value in vars(tflite.BuiltinOperator).items() if not name.startswith("_")
}
ACTIVATION_NAMES = {
    value: name
    for name, value in vars(tflite.ActivationFunctionType).items()
    if not name.startswith("_")
}
PADDING_NAMES = {
    value: name for name, value in vars(tflite.Padding).items() if not name.startswith("_")
}
NUMPY_TYPES = {
    tflite.TensorType.INT8: np.int8,
    tflite.TensorType.UINT8: np.uint8,
    tflite.TensorType.INT16: np.int16,
    tflite.TensorType.INT32: np.int32,
    tflite.TensorType.INT64: np.int64,
    tflite.TensorType.FLOAT32: np.float32,
}

OPTION_CLASSES: dict[str, Any] = {
    "CONV_2D": tflite.Conv2DOptions,
    "DEPTHWISE_CONV_2D": tflite.DepthwiseConv2DOptions,
    "FULLY_CONNECTED": tflite.FullyConnectedOptions,
    "AVERAGE_POOL_2D": tflite.Pool2DOptions,
    "MAX_POOL_2D": tflite.Pool2DOptions,
    "ADD": tflite.AddOptions,
    "SOFTMAX": tflite.SoftmaxOptions,
    "MUL": tflite.MulOptions,
    "CONCATENATION": tflite.ConcatenationOptions,
    "STRIDED_SLICE": tflite.StridedSliceOptions,
    "SPLIT_V": tflite.SplitVOptions,
    "SPLIT": tflite.SplitOptions,
    "MEAN": tflite.ReducerOptions,
    "CALL_ONCE": tflite.CallOnceOptions,
    "VAR_HANDLE": tflite.VarHandleOptions,
}


@dataclass
class GraphTensor:
    """One tensor of the TFLite subgraph."""

    index: int
    name: str
    type_name: str
    shape: tuple[int, ...]
    scales: np.ndarray  # float32, empty when not quantized
    zero_points: np.ndarray  # int64
    quant_axis: int
    data: np.ndarray | None  # constant contents, typed and shaped
    is_variable: bool = False

    @property
    def is_const(self) -> bool:
        return self.data is not None

    def describe(self) -> str:
        return f"tensor {self.index} '{self.name}' {self.type_name}{list(self.shape)}"


@dataclass
class GraphOp:
    """One operator of the TFLite subgraph; options is the decoded options table or None."""

    index: int
    name: str
    inputs: list[int]  # -1 marks an absent optional input
    outputs: list[int]
    options: Any = None
    version: int = 1


@dataclass
class Graph:
    """One subgraph; subgraphs lists every subgraph of the file (index 0 is the main one)."""

    tensors: list[GraphTensor]
    ops: list[GraphOp]
    inputs: list[int]
    outputs: list[int]
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    index: int = 0
    subgraphs: list[Graph] = field(default_factory=list)


def _buffer_bytes(model: Any, data: bytes, buffer_index: int) -> bytes | None:
    if buffer_index <= 0 or buffer_index >= model.BuffersLength():
        return None
    buffer = model.Buffers(buffer_index)
    offset = buffer.Offset() if hasattr(buffer, "Offset") else 0
    if offset > 1:
        size = buffer.Size()
        if offset + size > len(data):
            raise EarshotError(f"buffer {buffer_index} points outside the .tflite file")
        return data[offset : offset + size]
    if buffer.DataLength() == 0:
        return None
    return buffer.DataAsNumpy().tobytes()


def _read_tensor(model: Any, data: bytes, subgraph: Any, index: int) -> GraphTensor:
    t = subgraph.Tensors(index)
    type_name = TENSOR_TYPE_NAMES.get(t.Type(), f"type{t.Type()}")
    shape = tuple(int(d) for d in t.ShapeAsNumpy()) if t.ShapeLength() else ()
    name = t.Name().decode("utf-8", "replace") if t.Name() else f"t{index}"
    scales = np.zeros(0, dtype=np.float32)
    zero_points = np.zeros(0, dtype=np.int64)
    axis = 0
    q = t.Quantization()
    if q is not None and q.ScaleLength():
        scales = q.ScaleAsNumpy().astype(np.float32)
        zero_points = (
            q.ZeroPointAsNumpy().astype(np.int64)
            if q.ZeroPointLength()
            else np.zeros(len(scales), dtype=np.int64)
        )
        axis = q.QuantizedDimension()
    raw = _buffer_bytes(model, data, t.Buffer())
    array = None
    if raw is not None:
        np_type = NUMPY_TYPES.get(t.Type())
        if np_type is None:
            raise EarshotError(f"constant tensor {index} '{name}' has unsupported type {type_name}")
        count = int(np.prod(shape)) if shape else 1
        array = np.frombuffer(raw, dtype=np.dtype(np_type).newbyteorder("<"))
        if array.size != count:
            raise EarshotError(
                f"constant tensor {index} '{name}' holds {array.size} values, shape needs {count}"
            )
        array = array.reshape(shape)
    return GraphTensor(
        index=index,
        name=name,
        type_name=type_name,
        shape=shape,
        scales=scales,
        zero_points=zero_points,
        quant_axis=axis,
        data=array,
        is_variable=bool(t.IsVariable()),
    )


def _read_subgraph(model: Any, data: bytes, index: int) -> Graph:
    subgraph = model.Subgraphs(index)
    tensors = [_read_tensor(model, data, subgraph, i) for i in range(subgraph.TensorsLength())]
    ops = []
    for i in range(subgraph.OperatorsLength()):
        op = subgraph.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        name = OP_NAMES.get(builtin, f"BUILTIN_{builtin}")
        if builtin == tflite.BuiltinOperator.CUSTOM:
            custom = code.CustomCode()
            name = f"CUSTOM({custom.decode('utf-8', 'replace') if custom else '?'})"
        options = None
        table = op.BuiltinOptions()
        if table is not None and name in OPTION_CLASSES:
            options = OPTION_CLASSES[name]()
            options.Init(table.Bytes, table.Pos)
        ops.append(
            GraphOp(
                index=i,
                name=name,
                inputs=[int(v) for v in op.InputsAsNumpy()] if op.InputsLength() else [],
                outputs=[int(v) for v in op.OutputsAsNumpy()] if op.OutputsLength() else [],
                options=options,
                version=code.Version(),
            )
        )
    inputs = [int(v) for v in subgraph.InputsAsNumpy()] if subgraph.InputsLength() else []
    outputs = [int(v) for v in subgraph.OutputsAsNumpy()] if subgraph.OutputsLength() else []
    return Graph(tensors=tensors, ops=ops, inputs=inputs, outputs=outputs, index=index)


def read_tflite(data: bytes) -> Graph:
    """Parse a .tflite file into its main subgraph (0), which lists every subgraph in
    .subgraphs (a stateful model initialises its variables in a CALL_ONCE subgraph);
    raise EarshotError if it is not a TFLite model."""
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise EarshotError("not a .tflite file (missing the TFL3 identifier)")
    try:
        model = tflite.Model.GetRootAsModel(data, 0)
        if model.SubgraphsLength() < 1:
            raise EarshotError("the .tflite file has no subgraph")
        subgraphs = [_read_subgraph(model, data, i) for i in range(model.SubgraphsLength())]
        description = model.Description().decode("utf-8", "replace") if model.Description() else ""
    except EarshotError:
        raise
    except Exception as exc:  # a damaged flatbuffer raises anything from struct/IndexError
        raise EarshotError(f"cannot parse the .tflite file: {exc}") from None
    main = subgraphs[0]
    main.description = description
    for graph in subgraphs:
        graph.subgraphs = subgraphs
    return main
