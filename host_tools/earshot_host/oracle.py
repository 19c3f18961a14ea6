"""LiteRT (TensorFlow Lite) with its reference kernels: the oracle earshot is exact against."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import EarshotError


def litert_reference_outputs(tflite: Path | bytes, batch: np.ndarray) -> np.ndarray:
    """Run every input of batch (first axis) through LiteRT's BUILTIN_REF kernels, in
    order on one interpreter: a stateful model (resource variables) carries its state from
    row to row, from the initial state its CALL_ONCE subgraph sets on the first invoke.
    Outputs have the model's output type (uint8 for the microWakeWord models)."""
    try:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType
    except ImportError as err:  # pragma: no cover - a pinned requirement
        raise EarshotError("the LiteRT oracle needs the ai-edge-litert package") from err
    content = tflite.read_bytes() if isinstance(tflite, Path) else bytes(tflite)
    interpreter = Interpreter(
        model_content=content,
        experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
    )
    interpreter.allocate_tensors()
    (inp,) = interpreter.get_input_details()
    (out,) = interpreter.get_output_details()
    results = []
    for item in batch:
        interpreter.set_tensor(inp["index"], item.reshape(inp["shape"]).astype(inp["dtype"]))
        interpreter.invoke()
        results.append(interpreter.get_tensor(out["index"]).copy())
    return np.stack(results)
