"""Run a model on a target from the host: quantized inputs in, outputs back.

The model is any model spec (model_spec.resolve_model: a name of models/, an .esm, a
.tflite or an ESPHome manifest .json). Inputs are a batch: the first axis. Rows run in
order on one model instance, so a stateful model carries its state from row to row from
its initial state (what LiteRT does when invoked row by row). Inputs and outputs have the
model's types (int8 or uint8).
"""

from __future__ import annotations

import binascii

import numpy as np

from .errors import EarshotError
from .model_spec import ModelSource
from .runner import Progress, Runner
from .runner.result import b64_literal


def check_batch(source: ModelSource, batch: np.ndarray) -> np.ndarray:
    """The batch as int8 rows of exactly the model's input size."""
    if len(source.input_shapes) != 1:
        raise EarshotError(
            f"model {source.name} has {len(source.input_shapes)} inputs; infer takes 1"
        )
    dtype = source.input_dtypes[0]
    if batch.dtype != dtype:
        raise EarshotError(
            f"inputs must be {dtype} (quantized, the model's type), got {batch.dtype}"
        )
    size = int(np.prod(source.input_shapes[0]))
    if batch.ndim < 1 or batch.shape[0] == 0:
        raise EarshotError("inputs must be a non-empty batch (first axis)")
    rows = batch.reshape(batch.shape[0], -1)
    if rows.shape[1] != size:
        raise EarshotError(
            f"each input must have {size} elements (shape {list(source.input_shapes[0])}), "
            f"got {list(batch.shape[1:])}"
        )
    return rows


def infer(
    runner: Runner,
    source: ModelSource,
    batch: np.ndarray,
    progress: Progress | None = None,
    timeout: float = 300.0,
) -> np.ndarray:
    """Run every input of the batch in order on one model instance on the target; returns
    the outputs (the model's output type), batch first."""
    rows = check_batch(source, batch)
    runner.run("pass").check()  # a fresh session (soft reset) to keep the model in
    if source.frozen:
        model_expr = f"earshot.Model.frozen({source.name!r})"
    else:
        model_expr = f"earshot.Model({runner.upload('model.esm', source.blob)})"
    setup = (
        f"import earshot, binascii\n_m = {model_expr}\n"
        "def _out():\n"
        "    _m.invoke()\n"
        "    print(binascii.hexlify(_m.output).decode())\n"
    )
    if runner.keeps_state:
        runner.run(setup, timeout, soft_reset=False).check()
        setup = ""
    chunk = runner.chunk

    outputs: list[bytes] = []
    code = setup
    for index, row in enumerate(rows):
        data = row.tobytes()
        for start in range(0, len(data), chunk):
            piece = data[start : start + chunk]
            code += f"_m.input[{start}:{start + len(piece)}] = {b64_literal(piece)}\n"
            if runner.keeps_state:
                runner.run(code, timeout, soft_reset=False).check()
                code = ""
        code += "_out()\n"
        if runner.keeps_state or index == len(rows) - 1:
            out = runner.run(code, timeout, soft_reset=False).check()
            code = ""
            outputs += [
                binascii.unhexlify(line.strip()) for line in out.splitlines() if line.strip()
            ]
        if progress:
            progress(index + 1, len(rows))
    if len(outputs) != len(rows):
        raise EarshotError(f"{runner.board.name}: expected {len(rows)} outputs, got {len(outputs)}")
    out_shape = source.output_shapes[0]
    out_dtype = source.output_dtypes[0]
    return np.stack([np.frombuffer(o, dtype=out_dtype).reshape(out_shape) for o in outputs])
