"""Run a model on a target from the host: quantized inputs in, outputs back.

The model is a frozen model of the firmware (its name, as in models/), an earshot model
file (.esm), or a .tflite converted on the fly. Inputs are a batch: the first axis. Rows
run in order on one model instance, so a stateful model carries its state from row to row
from its initial state (what LiteRT does when invoked row by row). Inputs and outputs have
the model's types (int8 or uint8).
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .catalog import load_catalog
from .convert import convert_tflite
from .errors import EarshotError
from .modelfile import read_model
from .runner import Progress, Runner
from .runner.result import b64_literal


@dataclass(frozen=True)
class ModelSource:
    """Where the target gets the model from: a frozen module, or bytes sent to it."""

    name: str
    frozen: bool
    blob: bytes  # the model file (for a frozen model: the copy in models/)
    input_shapes: list[tuple[int, ...]] = field(init=False)
    output_shapes: list[tuple[int, ...]] = field(init=False)
    input_dtypes: list[np.dtype] = field(init=False)
    output_dtypes: list[np.dtype] = field(init=False)

    def __post_init__(self) -> None:
        # Read (and check) the file once; a broken one is refused here, with the reason.
        model = read_model(self.blob)
        for name, indices in (("input_dtypes", model.inputs), ("output_dtypes", model.outputs)):
            dtypes = [np.dtype(model.tensors[i].dtype.numpy_name) for i in indices]
            object.__setattr__(self, name, dtypes)
        object.__setattr__(
            self, "input_shapes", [tuple(model.tensors[i].shape) for i in model.inputs]
        )
        object.__setattr__(
            self, "output_shapes", [tuple(model.tensors[i].shape) for i in model.outputs]
        )


def resolve_model(spec: str | Path) -> ModelSource:
    """A model named in models/ (frozen into the firmware), a .esm file or a .tflite file."""
    path = Path(spec)
    if path.suffix == ".tflite":
        data = _read(path)
        return ModelSource(path.stem, False, convert_tflite(data, name=path.stem).blob)
    if path.suffix == ".esm":
        return ModelSource(path.stem, False, _read(path))
    catalog = load_catalog()
    if str(spec) in catalog:
        entry = catalog[str(spec)]
        return ModelSource(entry.name, True, entry.model_path.read_bytes())
    raise EarshotError(
        f"model {spec!r}: not a .tflite or .esm file, nor a model of models/ "
        f"({', '.join(sorted(catalog))})"
    )


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise EarshotError(f"cannot read {path}: {err.strerror}") from err


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
