"""Generate the int8 conformance suite in tests/data/conformance (needs tensorflow-cpu).

Each case is a tiny Keras model converted with full-integer int8 quantization (uint8 input
and output where a case says so; "stream_state" is a tf.Module with a resource variable, a
microWakeWord streaming layer); its golden file holds inputs and the outputs of
ai-edge-litert's reference kernels (BUILTIN_REF), invoked in order on one interpreter. A few
"unsupported_*" cases are models the earshot converter must refuse.

    tests/data/conformance/make_oracle_venv.sh    # build/oracle-venv with tensorflow-cpu
    PYTHONPATH=host_tools build/oracle-venv/bin/python -m earshot_host.conformance_gen \
        --out tests/data/conformance [--only CASE,...]
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SEED = 20240611
GOLDEN_INPUTS = 12
STATEFUL_INPUTS = 40  # a stateful case's inputs run in order, the state carried
REPRESENTATIVE_SAMPLES = 64


@dataclass
class Case:
    name: str
    shape: tuple[int, ...]
    build: Callable[[Any, Any], Any]  # (tf, input tensor) -> output tensor
    description: str
    quantize: bool = True
    per_channel: bool = True
    dense_per_channel: bool | None = None
    expect_refusal: str | None = None  # text the converter's error message must contain
    io_type: str = "int8"  # the model's input and output type ("uint8": QUANTIZE at both ends)
    stateful: bool = False  # build() returns a tf.Module with a resource variable


def _cases() -> list[Case]:
    def conv(filters: int, kernel: Any, **kw: Any) -> Callable[[Any, Any], Any]:
        return lambda tf, x: tf.keras.layers.Conv2D(filters, kernel, **kw)(x)

    def dw(kernel: Any, **kw: Any) -> Callable[[Any, Any], Any]:
        return lambda tf, x: tf.keras.layers.DepthwiseConv2D(kernel, **kw)(x)

    def add_branches(tf: Any, x: Any) -> Any:
        a = tf.keras.layers.Conv2D(4, 3, padding="same")(x)
        b = tf.keras.layers.Conv2D(4, 1, activation="relu")(x)
        return tf.keras.layers.Add()([a, b])

    def add_relu(tf: Any, x: Any) -> Any:
        a = tf.keras.layers.Conv2D(3, 1)(x)
        b = tf.keras.layers.DepthwiseConv2D(3, padding="same")(x)
        return tf.keras.layers.ReLU()(tf.keras.layers.Add()([a, b]))

    def tiny_kws(tf: Any, x: Any) -> Any:
        y = tf.keras.layers.Conv2D(8, (5, 3), strides=2, padding="same", activation="relu")(x)
        y = tf.keras.layers.DepthwiseConv2D(3, padding="same", activation="relu")(y)
        y = tf.keras.layers.Conv2D(8, 1, activation="relu")(y)
        y = tf.keras.layers.AveragePooling2D(pool_size=(y.shape[1], y.shape[2]))(y)
        y = tf.keras.layers.Flatten()(y)
        return tf.keras.layers.Softmax()(tf.keras.layers.Dense(4)(y))

    def dense_softmax(tf: Any, x: Any) -> Any:
        return tf.keras.layers.Softmax()(tf.keras.layers.Dense(6)(x))

    def flatten_dense(tf: Any, x: Any) -> Any:
        return tf.keras.layers.Dense(6, activation="relu")(tf.keras.layers.Flatten()(x))

    def clip_n1_1(tf: Any, x: Any) -> Any:
        y = tf.keras.layers.Conv2D(4, 3, padding="same")(x)
        return tf.keras.layers.Lambda(lambda t: tf.minimum(tf.maximum(t, -1.0), 1.0))(y)

    def tanh(tf: Any, x: Any) -> Any:
        return tf.keras.layers.Dense(4, activation="tanh")(x)

    def broadcast_add(tf: Any, x: Any) -> Any:
        y = tf.keras.layers.Conv2D(3, 1)(x)
        z = tf.keras.layers.AveragePooling2D(pool_size=(4, 4))(y)
        return tf.keras.layers.Lambda(lambda ts: ts[0] + ts[1])([y, z])

    def concat_channels(tf: Any, x: Any) -> Any:
        a = tf.keras.layers.Conv2D(3, 1)(x)
        b = tf.keras.layers.Conv2D(2, 3, padding="same")(x)
        return tf.keras.layers.Concatenate(axis=-1)([a, b])

    def concat_four(tf: Any, x: Any) -> Any:
        parts = [tf.keras.layers.Conv2D(2, 1)(x) for _ in range(4)]
        return tf.keras.layers.Concatenate(axis=1)(parts)

    def slices(tf: Any, x: Any) -> Any:
        y = tf.keras.layers.Conv2D(4, 1)(x)
        return tf.keras.layers.Lambda(lambda t: t[:, 1:6:2, ::-1, 1:3])(y)

    def split_v(tf: Any, x: Any) -> Any:
        y = tf.keras.layers.Conv2D(6, 1)(x)
        a, b, c = tf.keras.layers.Lambda(lambda t: tf.split(t, [1, 3, 2], axis=-1))(y)
        return tf.keras.layers.Concatenate(axis=-1)([c, a, b])

    def mul_broadcast(tf: Any, x: Any) -> Any:
        y = tf.keras.layers.Conv2D(4, 1)(x)
        z = tf.keras.layers.AveragePooling2D(pool_size=(y.shape[1], y.shape[2]))(y)
        return tf.keras.layers.Lambda(lambda ts: ts[0] * ts[1])([y, z])

    def mul_branches(tf: Any, x: Any) -> Any:
        a = tf.keras.layers.Conv2D(3, 1)(x)
        b = tf.keras.layers.Conv2D(3, 3, padding="same")(x)
        return tf.keras.layers.ReLU()(tf.keras.layers.Multiply()([a, b]))

    def pad(tf: Any, x: Any) -> Any:
        y = tf.keras.layers.Conv2D(3, 1)(x)
        return tf.keras.layers.ZeroPadding2D(((1, 2), (0, 3)))(y)

    def mean_hw(keepdims: bool) -> Callable[[Any, Any], Any]:
        def build(tf: Any, x: Any) -> Any:
            y = tf.keras.layers.Conv2D(5, 3, padding="same")(x)
            return tf.keras.layers.GlobalAveragePooling2D(keepdims=keepdims)(y)

        return build

    def mean_last(tf: Any, x: Any) -> Any:
        y = tf.keras.layers.Conv2D(6, 1)(x)
        return tf.keras.layers.Lambda(lambda t: tf.reduce_mean(t, axis=-1))(y)

    def reduce_max(tf: Any, x: Any) -> Any:
        y = tf.keras.layers.Dense(4)(x)
        return tf.keras.layers.Lambda(lambda t: tf.reduce_max(t, axis=-1, keepdims=True))(y)

    def sigmoid(tf: Any, x: Any) -> Any:
        return tf.keras.layers.Dense(8, activation="sigmoid")(x)

    return [
        Case(
            "concat_channels",
            (1, 5, 4, 3),
            concat_channels,
            "CONCATENATION of two conv branches on the channel axis",
        ),
        Case(
            "concat_four",
            (1, 3, 4, 2),
            concat_four,
            "CONCATENATION of four inputs on axis 1 (chained by the converter)",
        ),
        Case(
            "strided_slice",
            (1, 7, 6, 3),
            slices,
            "STRIDED_SLICE with strides 2 and -1 and a channel range",
        ),
        Case(
            "split_v",
            (1, 4, 3, 2),
            split_v,
            "SPLIT_V into 1, 3, 2 channels, joined in another order",
        ),
        Case("logistic", (1, 12), sigmoid, "FULLY_CONNECTED + LOGISTIC (int8 table)"),
        Case("broadcast_add", (1, 4, 4, 2), broadcast_add, "ADD of [1,4,4,3] and [1,1,1,3]"),
        Case("mul_broadcast", (1, 5, 5, 2), mul_broadcast, "MUL of [1,5,5,4] and [1,1,1,4]"),
        Case("mul_branches", (1, 4, 3, 2), mul_branches, "MUL of two conv branches, ReLU"),
        Case("pad", (1, 4, 3, 2), pad, "PAD (ZeroPadding2D) of rows and columns"),
        Case("mean_hw_keepdims", (1, 5, 4, 3), mean_hw(True), "MEAN over H, W kept (4-D)"),
        Case("mean_hw", (1, 5, 4, 3), mean_hw(False), "MEAN over H, W (GlobalAveragePooling2D)"),
        Case("mean_last", (1, 3, 4, 2), mean_last, "MEAN over the channels"),
        Case(
            "unsupported_reduce_max",
            (1, 6),
            reduce_max,
            "REDUCE_MAX (must be refused)",
            expect_refusal="REDUCE_MAX is not supported",
        ),
        Case(
            "logistic_uint8_io",
            (1, 12),
            sigmoid,
            "uint8 input and output: QUANTIZE uint8->int8, FC, LOGISTIC, QUANTIZE int8->uint8",
            io_type="uint8",
        ),
        Case(
            "stream_state",
            (1, 3, 1, 8),
            lambda tf, x: None,
            "a streaming layer: variable read, CONCATENATION with the input, STRIDED_SLICE "
            "kept in the variable (ASSIGN_VARIABLE), CONV_2D over the window; state carried",
            stateful=True,
            io_type="uint8",
        ),
        Case(
            "conv_same_s1_relu",
            (1, 8, 8, 3),
            conv(4, 3, padding="same", activation="relu"),
            "CONV_2D 3x3 SAME stride 1, fused ReLU, per-channel",
        ),
        Case(
            "conv_valid_s2",
            (1, 9, 9, 2),
            conv(5, 3, strides=2, padding="valid"),
            "CONV_2D 3x3 VALID stride 2",
        ),
        Case(
            "conv_same_s2_relu6",
            (1, 9, 7, 3),
            conv(4, (3, 2), strides=2, padding="same", activation="relu6"),
            "CONV_2D 3x2 SAME stride 2 on an odd input, fused ReLU6",
        ),
        Case(
            "conv_dilation2",
            (1, 10, 10, 2),
            conv(3, 3, dilation_rate=2, padding="same"),
            "CONV_2D 3x3 dilation 2 SAME",
        ),
        Case("conv_1x1", (1, 6, 6, 8), conv(6, 1), "CONV_2D 1x1"),
        Case(
            "conv_odd_7x5x3",
            (1, 7, 5, 3),
            conv(4, 3, activation="relu"),
            "CONV_2D 3x3 VALID on a 7x5x3 input",
        ),
        Case(
            "conv_per_tensor",
            (1, 6, 6, 3),
            conv(4, 3, padding="same"),
            "CONV_2D with per-tensor weight quantization",
            per_channel=False,
        ),
        Case(
            "dw_m1_same_relu",
            (1, 8, 8, 4),
            dw(3, padding="same", activation="relu"),
            "DEPTHWISE_CONV_2D 3x3 multiplier 1 SAME, ReLU",
        ),
        Case(
            "dw_m2_valid_s2",
            (1, 9, 9, 3),
            dw(3, strides=2, depth_multiplier=2),
            "DEPTHWISE_CONV_2D 3x3 multiplier 2 VALID stride 2",
        ),
        Case(
            "dw_m3_same_relu6",
            (1, 7, 5, 2),
            dw((3, 2), depth_multiplier=3, padding="same", activation="relu6"),
            "DEPTHWISE_CONV_2D 3x2 multiplier 3 SAME, ReLU6",
        ),
        Case(
            "dw_dilation2",
            (1, 10, 10, 3),
            dw(3, dilation_rate=2, padding="same"),
            "DEPTHWISE_CONV_2D 3x3 dilation 2 SAME",
        ),
        Case(
            "dense_bias",
            (1, 20),
            lambda tf, x: tf.keras.layers.Dense(10)(x),
            "FULLY_CONNECTED with bias",
        ),
        Case(
            "dense_no_bias",
            (1, 16),
            lambda tf, x: tf.keras.layers.Dense(8, use_bias=False)(x),
            "FULLY_CONNECTED without bias",
        ),
        Case(
            "dense_per_channel",
            (1, 24),
            lambda tf, x: tf.keras.layers.Dense(7)(x),
            "FULLY_CONNECTED with per-channel weights",
            dense_per_channel=True,
        ),
        Case(
            "dense_per_tensor",
            (1, 24),
            lambda tf, x: tf.keras.layers.Dense(7)(x),
            "FULLY_CONNECTED with per-tensor weights",
            dense_per_channel=False,
        ),
        Case(
            "flatten_dense_relu",
            (1, 4, 4, 2),
            flatten_dense,
            "RESHAPE (folded) + FULLY_CONNECTED, ReLU",
        ),
        Case(
            "avgpool_valid",
            (1, 8, 8, 3),
            lambda tf, x: tf.keras.layers.AveragePooling2D(2)(x),
            "AVERAGE_POOL_2D 2x2 VALID",
        ),
        Case(
            "avgpool_same_s2",
            (1, 7, 5, 3),
            lambda tf, x: tf.keras.layers.AveragePooling2D(3, strides=2, padding="same")(x),
            "AVERAGE_POOL_2D 3x3 SAME stride 2 (partial windows)",
        ),
        Case(
            "maxpool_valid",
            (1, 8, 6, 4),
            lambda tf, x: tf.keras.layers.MaxPooling2D(2)(x),
            "MAX_POOL_2D 2x2 VALID",
        ),
        Case(
            "maxpool_same_s2",
            (1, 7, 7, 2),
            lambda tf, x: tf.keras.layers.MaxPooling2D(3, strides=2, padding="same")(x),
            "MAX_POOL_2D 3x3 SAME stride 2",
        ),
        Case("add_branches", (1, 6, 6, 4), add_branches, "ADD of two conv branches"),
        Case("add_relu", (1, 5, 5, 3), add_relu, "ADD with fused ReLU"),
        Case("clip_n1_1", (1, 6, 6, 2), clip_n1_1, "CONV_2D with a [-1, 1] clamp"),
        Case("dense_softmax", (1, 12), dense_softmax, "FULLY_CONNECTED + SOFTMAX"),
        Case(
            "tiny_kws",
            (1, 20, 10, 1),
            tiny_kws,
            "conv/depthwise/1x1/avg-pool/reshape/dense/softmax network",
        ),
        Case(
            "unsupported_tanh",
            (1, 8),
            tanh,
            "TANH activation (must be refused)",
            expect_refusal="TANH is not supported",
        ),
        Case(
            "unsupported_float",
            (1, 8),
            lambda tf, x: tf.keras.layers.Dense(4)(x),
            "float32 model (must be refused)",
            quantize=False,
            expect_refusal="FLOAT32",
        ),
    ]


def _stream_module(tf: Any, case: Case, rng: np.random.Generator) -> Any:
    """A microWakeWord-style streaming layer: state = last 4 frames in a resource variable."""
    frames, channels = case.shape[1], case.shape[3]
    kernel = tf.constant(rng.normal(0.0, 0.5, (5, 1, channels, 4)).astype(np.float32))
    initial = np.full((1, 4, 1, channels), -0.5, dtype=np.float32)

    class Stream(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.state = tf.Variable(initial, trainable=False)

        @tf.function(input_signature=[tf.TensorSpec(case.shape, tf.float32)])
        def __call__(self, x: Any) -> Any:
            window = tf.concat([self.state, x], axis=1)
            self.state.assign(window[:, frames:, :, :])
            y = tf.nn.conv2d(window, kernel, strides=1, padding="VALID")
            return tf.nn.sigmoid(tf.reshape(y, (1, -1)))

    module = Stream()
    return module, [module.__call__.get_concrete_function()]


def _convert(tf: Any, case: Case, rng: np.random.Generator) -> bytes:
    if case.stateful:
        module, functions = _stream_module(tf, case, rng)
        converter = tf.lite.TFLiteConverter.from_concrete_functions(functions, module)
        converter.experimental_enable_resource_variables = True
        converter._experimental_variable_quantization = True  # int8 state, as microWakeWord
    else:
        inputs = tf.keras.Input(shape=case.shape[1:], batch_size=1)
        model = tf.keras.Model(inputs, case.build(tf, inputs))
        # Random but non-trivial weights and biases so every path is exercised.
        for layer in model.layers:
            weights = layer.get_weights()
            if weights:
                layer.set_weights(
                    [rng.normal(0.0, 0.5, w.shape).astype(np.float32) for w in weights]
                )
        converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if case.quantize:
        samples = rng.normal(0.0, 1.0, (REPRESENTATIVE_SAMPLES, *case.shape)).astype(np.float32)

        def representative() -> Any:
            for sample in samples:
                yield [sample]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        io_type = tf.uint8 if case.io_type == "uint8" else tf.int8
        converter.inference_input_type = io_type
        converter.inference_output_type = io_type
        if not case.per_channel:
            converter._experimental_disable_per_channel = True
        if case.dense_per_channel is not None:
            converter._experimental_disable_per_channel_quantization_for_dense_layers = (
                not case.dense_per_channel
            )
    return bytes(converter.convert())


def _golden(
    path: Path, rng: np.random.Generator, count: int = GOLDEN_INPUTS
) -> dict[str, np.ndarray]:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interpreter = Interpreter(
        model_path=str(path), experimental_op_resolver_type=OpResolverType.BUILTIN_REF
    )
    interpreter.allocate_tensors()
    detail = interpreter.get_input_details()[0]
    out_detail = interpreter.get_output_details()[0]
    shape = tuple(detail["shape"])
    info = np.iinfo(detail["dtype"])
    inputs = rng.integers(info.min, info.max + 1, size=(count, *shape), dtype=info.dtype)
    inputs[0] = info.min
    inputs[1] = info.max
    outputs = []
    for x in inputs:
        interpreter.set_tensor(detail["index"], x)
        interpreter.invoke()
        outputs.append(interpreter.get_tensor(out_detail["index"]).copy())
    return {"inputs": inputs, "outputs": np.stack(outputs)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("tests/data/conformance"))
    parser.add_argument(
        "--only", default="", help="comma-separated cases to (re)generate; the others are kept"
    )
    args = parser.parse_args(argv)
    only = {name for name in args.only.split(",") if name}

    import ai_edge_litert
    import tensorflow as tf

    tf.keras.utils.set_random_seed(SEED)
    args.out.mkdir(parents=True, exist_ok=True)
    cases_file = args.out / "cases.json"
    index: dict[str, dict[str, Any]] = json.loads(cases_file.read_text()) if only else {}
    for case in _cases():
        # One generator per case, seeded by its name: a case comes out the same whatever
        # else is generated with it.
        rng = np.random.default_rng([SEED, *case.name.encode()])
        if only and case.name not in only:
            continue
        data = _convert(tf, case, rng)
        path = args.out / f"{case.name}.tflite"
        path.write_bytes(data)
        entry: dict[str, Any] = {"description": case.description, "input_shape": case.shape}
        if case.stateful:
            entry["stateful"] = True
        if case.expect_refusal is not None:
            entry["expect_refusal"] = case.expect_refusal
        else:
            golden = _golden(path, rng, STATEFUL_INPUTS if case.stateful else GOLDEN_INPUTS)
            np.savez_compressed(args.out / f"{case.name}.golden.npz", **golden)
        index[case.name] = entry
        print(f"{case.name}: {len(data)} bytes")
    cases_file.write_text(json.dumps(index, indent=1, sort_keys=True) + "\n")
    litert_version = getattr(ai_edge_litert, "__version__", "unknown")
    provenance = args.out / "PROVENANCE.md"
    if only:
        with provenance.open("a", encoding="utf-8") as f:
            f.write(_provenance_update(sorted(only), tf.__version__, litert_version))
    else:
        provenance.write_text(
            _provenance(tf.__version__, litert_version, len(index)), encoding="utf-8"
        )


def _provenance(tf_version: str, litert_version: str, count: int) -> str:
    today = datetime.date.today().isoformat()
    return f"""# Conformance suite provenance

Generated by `host_tools/earshot_host/conformance_gen.py` (this repository; no third-party
data): {count} tiny Keras models with random weights, converted to full-integer int8 TFLite
(representative dataset of {REPRESENTATIVE_SAMPLES} normal samples, int8 input and output).

- date: {today}
- seed: {SEED} (numpy `default_rng` and `tf.keras.utils.set_random_seed`)
- tensorflow-cpu: {tf_version} (Keras {_keras_version()})
- ai-edge-litert: {litert_version}; goldens from `Interpreter(...,
  experimental_op_resolver_type=OpResolverType.BUILTIN_REF)`
- python: {platform.python_version()}

Files: `<case>.tflite`, `<case>.golden.npz` (`inputs` int8 [{GOLDEN_INPUTS}, *input shape]:
all -128, all 127, then uniform random; `outputs` int8, one per input), `cases.json` (what each
case covers; `expect_refusal` marks models the converter must reject with that text).

Regenerate (needs tensorflow-cpu and ai-edge-litert: `tests/data/conformance/make_oracle_venv.sh`
makes build/oracle-venv with them):

    PYTHONPATH=host_tools build/oracle-venv/bin/python -m earshot_host.conformance_gen \
        --out tests/data/conformance [--only CASE,...]
"""


def _provenance_update(names: list[str], tf_version: str, litert_version: str) -> str:
    today = datetime.date.today().isoformat()
    return f"""
## Regenerated {today}: {", ".join(names)}

`--only {",".join(names)}`; each case from its own generator `default_rng([{SEED}, *name
bytes])`; tensorflow-cpu {tf_version} (Keras {_keras_version()}), ai-edge-litert
{litert_version} (BUILTIN_REF), python {platform.python_version()}. Inputs of uint8 models
are uint8 (all 0, all 255, then uniform); a `stateful` case's goldens come from one
interpreter invoked input after input (the state carried from the initial value).
"""


def _keras_version() -> str:
    try:
        import keras

        return str(keras.__version__)
    except ImportError:  # pragma: no cover
        return "unknown"


if __name__ == "__main__":
    main()
