"""Regenerate the LiteRT goldens of the kernel edge shapes (tests/firmware/test_kernels.py).

Each case of test_kernels (CONV_CASES, DENSE_CASES) becomes a one-op .tflite written
directly with TensorFlow's flatbuffer schema (no converter): random int8 weights, int32
biases (near ±2^30 where the case asks for big biases), per-channel filter scales
m · 2^(s − 31) with m a multiple of 128, so that LiteRT's Prepare derives exactly the
multiplier m and shift s (input and output scale 1), shifts of +1 where the case asks for
left shifts. LiteRT's BUILTIN_REF kernels then give the outputs of three inputs (random,
all −128, all 127). Needs tensorflow-cpu and ai-edge-litert (build/oracle-venv):

    tests/data/conformance/make_oracle_venv.sh
    PYTHONPATH=host_tools:tests/firmware build/oracle-venv/bin/python \\
        tests/data/kernels/make_kernel_goldens.py [CASE ...]

(only the cases named, when given).
"""

from __future__ import annotations

import sys
import zlib
from pathlib import Path

import flatbuffers
import numpy as np
from single_op_models import CASES, ConvCase, DenseCase

HERE = Path(__file__).resolve().parent
CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED = 3, 4, 9
INT8, INT32 = 9, 2  # TensorType


def _scales(rng: np.random.Generator, count: int, taps: int, shift_up: bool) -> np.ndarray:
    """Per-channel scales m * 2^(s - 31) that QuantizeMultiplier maps back to (m, s)."""
    m = rng.integers((1 << 30) // 128, (1 << 31) // 128, size=count) * 128
    base = int(np.ceil(np.log2(max(taps, 1) * 128 * 128))) - 8
    s = -(base + rng.integers(-2, 3, size=count))
    s = np.clip(s, -31, 0)
    if shift_up:
        s[::2] = 1
    return np.array([float(mi) * 2.0 ** (int(si) - 31) for mi, si in zip(m, s, strict=True)])


def _tflite(schema, op: int, options, tensors: list[dict], inputs: list[int]) -> bytes:
    model = schema.ModelT()
    model.version = 3
    model.description = "earshot kernel edge case"
    model.buffers = [schema.BufferT()]
    graph = schema.SubGraphT()
    graph.tensors = []
    for spec in tensors:
        t = schema.TensorT()
        t.shape = list(spec["shape"])
        t.type = spec["type"]
        t.name = spec["name"]
        q = schema.QuantizationParametersT()
        q.scale = [float(v) for v in spec["scales"]]
        q.zeroPoint = [int(v) for v in spec["zero_points"]]
        q.quantizedDimension = spec.get("axis", 0)
        t.quantization = q
        t.buffer = 0
        if "data" in spec:
            buffer = schema.BufferT()
            buffer.data = list(np.ascontiguousarray(spec["data"]).tobytes())
            model.buffers.append(buffer)
            t.buffer = len(model.buffers) - 1
        graph.tensors.append(t)
    operator = schema.OperatorT()
    operator.opcodeIndex = 0
    operator.inputs = inputs
    operator.outputs = [len(tensors) - 1]
    operator.builtinOptionsType = options[0]
    operator.builtinOptions = options[1]
    graph.operators = [operator]
    graph.inputs = [0]
    graph.outputs = [len(tensors) - 1]
    model.subgraphs = [graph]
    code = schema.OperatorCodeT()
    code.builtinCode = op
    code.deprecatedBuiltinCode = op
    code.version = 4 if op == FULLY_CONNECTED else 3
    model.operatorCodes = [code]
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _out_size(size: int, kernel: int, stride: int, dilation: int, same: bool) -> int:
    effective = (kernel - 1) * dilation + 1
    return (size + stride - 1) // stride if same else (size - effective) // stride + 1


def conv_tflite(schema, case: ConvCase, rng: np.random.Generator) -> bytes:
    (h, w), (kh, kw) = case.in_hw, case.kernel
    out_h = _out_size(h, kh, case.stride[0], case.dilation[0], case.same)
    out_w = _out_size(w, kw, case.stride[1], case.dilation[1], case.same)
    depthwise = case.multiplier > 0
    if depthwise:
        filters = rng.integers(-127, 128, size=(1, kh, kw, case.out_ch), dtype=np.int8)
        taps = kh * kw
    else:
        filters = rng.integers(-127, 128, size=(case.out_ch, kh, kw, case.in_ch), dtype=np.int8)
        taps = kh * kw * case.in_ch
    scales = _scales(rng, case.out_ch, taps, case.shift_up)
    biases = rng.integers(-5000, 5000, size=case.out_ch).astype(np.int32)
    if case.big_bias:
        big = (1 << 30) - 4096
        biases[::3] = np.where(np.arange(len(biases[::3])) % 2 == 0, big, -big)
    in_zp, out_zp = (int(v) for v in rng.integers(-128, 128, size=2))
    relu = bool(rng.integers(0, 2))
    padding = schema.Padding.SAME if case.same else schema.Padding.VALID
    activation = schema.ActivationFunctionType.RELU if relu else 0
    if depthwise:
        options = schema.DepthwiseConv2DOptionsT()
        options.depthMultiplier = case.multiplier
        kind = schema.BuiltinOptions.DepthwiseConv2DOptions
    else:
        options = schema.Conv2DOptionsT()
        kind = schema.BuiltinOptions.Conv2DOptions
    options.padding = padding
    options.strideH, options.strideW = case.stride
    options.dilationHFactor, options.dilationWFactor = case.dilation
    options.fusedActivationFunction = activation
    tensors = [
        {
            "name": "input",
            "shape": (case.batches, h, w, case.in_ch),
            "type": INT8,
            "scales": [1.0],
            "zero_points": [in_zp],
        },
        {
            "name": "filter",
            "shape": filters.shape,
            "type": INT8,
            "scales": scales,
            "zero_points": [0] * case.out_ch,
            "axis": 3 if depthwise else 0,
            "data": filters,
        },
        {
            "name": "bias",
            "shape": (case.out_ch,),
            "type": INT32,
            "scales": scales,
            "zero_points": [0] * case.out_ch,
            "data": biases,
        },
        {
            "name": "output",
            "shape": (case.batches, out_h, out_w, case.out_ch),
            "type": INT8,
            "scales": [1.0],
            "zero_points": [out_zp],
        },
    ]
    op = DEPTHWISE_CONV_2D if depthwise else CONV_2D
    return _tflite(schema, op, (kind, options), tensors, [0, 1, 2])


def dense_tflite(schema, case: DenseCase, rng: np.random.Generator) -> bytes:
    filters = rng.integers(-127, 128, size=(case.out_ch, case.depth), dtype=np.int8)
    biases = rng.integers(-5000, 5000, size=case.out_ch).astype(np.int32)
    in_zp, out_zp = (int(v) for v in rng.integers(-128, 128, size=2))
    # A scale that maps the accumulators of random inputs to about +-100 (some clamp),
    # written m * 2^(s - 31) with m a multiple of 128 (exact in float32).
    x = rng.integers(-128, 128, size=(8, case.depth)).astype(np.int64) - in_zp
    acc = x @ (filters.astype(np.int64) - case.filter_zero_point).T + biases
    mantissa, exponent = np.frexp(100.0 / max(1, int(np.abs(acc).max())))
    scale = float(round(mantissa * (1 << 24)) * 128) * 2.0 ** (int(exponent) - 31)
    options = schema.FullyConnectedOptionsT()
    tensors = [
        {
            "name": "input",
            "shape": (case.batches, case.depth),
            "type": INT8,
            "scales": [1.0],
            "zero_points": [in_zp],
        },
        {
            "name": "filter",
            "shape": filters.shape,
            "type": INT8,
            "scales": [scale],
            "zero_points": [case.filter_zero_point],
            "data": filters,
        },
        {
            "name": "bias",
            "shape": (case.out_ch,),
            "type": INT32,
            "scales": [scale],
            "zero_points": [0],
            "data": biases,
        },
        {
            "name": "output",
            "shape": (case.batches, case.out_ch),
            "type": INT8,
            "scales": [1.0],
            "zero_points": [out_zp],
        },
    ]
    kind = schema.BuiltinOptions.FullyConnectedOptions
    return _tflite(schema, FULLY_CONNECTED, (kind, options), tensors, [0, 1, 2])


def main() -> None:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    from tensorflow.lite.python import schema_py_generated as schema

    names = sys.argv[1:] or sorted(CASES)
    for name in names:
        case = CASES[name]
        rng = np.random.default_rng(zlib.crc32(name.encode()) + 1)
        if isinstance(case, ConvCase):
            data = conv_tflite(schema, case, rng)
        else:
            data = dense_tflite(schema, case, rng)
        interpreter = Interpreter(
            model_content=data, experimental_op_resolver_type=OpResolverType.BUILTIN_REF
        )
        interpreter.allocate_tensors()
        inp = interpreter.get_input_details()[0]
        out = interpreter.get_output_details()[0]
        shape = tuple(inp["shape"])
        inputs = np.stack(
            [
                rng.integers(-128, 128, size=shape, dtype=np.int8),
                np.full(shape, -128, dtype=np.int8),
                np.full(shape, 127, dtype=np.int8),
            ]
        )
        outputs = []
        for x in inputs:
            interpreter.set_tensor(inp["index"], x)
            interpreter.invoke()
            outputs.append(interpreter.get_tensor(out["index"]).copy())
        (HERE / f"{name}.tflite").write_bytes(data)
        np.savez_compressed(HERE / f"{name}.golden.npz", inputs=inputs, outputs=np.stack(outputs))
        print(f"{name}: {len(data)} bytes, {len(np.unique(outputs[0]))} distinct outputs")


if __name__ == "__main__":
    main()
