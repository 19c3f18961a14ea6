"""Run a model on a target from the host: quantized inputs in, outputs back.

The model is any model spec (model_spec.resolve_model: a name of models/, an .esm, a
.tflite or an ESPHome manifest .json); the target puts it where it can (frozen, a model
slot of its flash, a file, the heap: Target.put_model). Inputs are a batch: the first axis.
Rows run in order on one model instance, so a stateful model carries its state from row to
row from its initial state (what LiteRT does when invoked row by row). Inputs and outputs
have the model's types (int8 or uint8).
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .errors import EarshotError
from .model_spec import ModelSource
from .runner.result import Progress, RunResult, b64_literal


@dataclass(frozen=True)
class PlacedModel:
    """A model put on a target: device expressions for its bytes (read in place) and for
    an earshot.Model of them, and where it lives ("frozen", "file", "heap", "slot A")."""

    buffer: str
    where: str
    # How the device command line names it: ("--model", NAME) for a frozen model,
    # ("--model-file", PATH) for a file on the device, () for the board's active model (a
    # model slot); None when it cannot (a model in the heap of a board without slots).
    device_args: tuple[str, ...] | None
    model: str = ""  # the Model expression when not earshot.Model(buffer)

    @property
    def expression(self) -> str:
        return self.model or f"earshot.Model({self.buffer})"


def check_batch(source: ModelSource, batch: np.ndarray) -> np.ndarray:
    """The batch as rows of exactly the model's input size and type."""
    if len(source.input_shapes) != 1:
        raise EarshotError(
            f"model {source.name} has {len(source.input_shapes)} inputs; infer takes 1"
        )
    dtype = np.dtype(source.input_dtypes[0])
    if batch.dtype != dtype:
        raise EarshotError(f"inputs must be {dtype.name} (quantized), got {batch.dtype}")
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


# Target side: the model once, then batches of rows in order on that one instance (a
# stateful model carries its state from row to row); one hex line of output per row.
_SETUP = """
import earshot, binascii
_m = {model}
_n = len(_m.input)
def _out():
    _m.invoke()
    print(binascii.hexlify(_m.output).decode())
def _rows(data):
    mv = memoryview(data)
    for i in range(0, len(mv), _n):
        _m.input[:] = mv[i:i + _n]
        _out()
"""


class BatchTarget(Protocol):
    """What infer needs of a target (earshot_host.targets.Target)."""

    name: str
    keeps_state: bool
    chunk: int

    def run(self, code: str, timeout: float = 60.0, soft_reset: bool = True) -> RunResult: ...

    def upload(self, name: str, data: bytes, progress: Progress | None = None) -> str: ...

    def put_model(self, source: ModelSource, progress: Progress | None = None) -> PlacedModel: ...


def _hex_rows(out: str) -> list[bytes]:
    return [binascii.unhexlify(line.strip()) for line in out.splitlines() if line.strip()]


def infer(
    target: BatchTarget,
    source: ModelSource,
    batch: np.ndarray,
    progress: Progress | None = None,
    timeout: float = 300.0,
    model_progress: Progress | None = None,
) -> np.ndarray:
    """Run every input of the batch on the target, in order, on one model instance;
    returns the outputs (in the model's output type), batch first. progress(rows done,
    rows); model_progress(bytes, total) while the model goes onto the target."""
    rows = check_batch(source, batch)
    placed = target.put_model(source, model_progress)
    setup = _SETUP.format(model=placed.expression)
    outputs: list[bytes] = []
    row_bytes = rows.shape[1] * rows.itemsize
    if not target.keeps_state:
        # One process: the rows as a file, read and run in one script.
        expr = target.upload("inputs.bin", rows.tobytes())
        outputs = _hex_rows(target.run(setup + f"_rows({expr})\n", timeout).check())
        if progress:
            progress(len(rows), len(rows))
    else:
        target.run(setup, timeout, soft_reset=False).check()
        per_run = max(1, target.chunk // row_bytes)
        for first in range(0, len(rows), per_run):
            data = rows[first : first + per_run].tobytes()
            if len(data) <= target.chunk:
                code = f"_rows({b64_literal(data)})"
            else:  # one row bigger than a snippet: into the input piece by piece
                for start in range(0, len(data), target.chunk):
                    piece = data[start : start + target.chunk]
                    load = f"_m.input[{start}:{start + len(piece)}] = {b64_literal(piece)}"
                    target.run(load, timeout, soft_reset=False).check()
                code = "_out()"
            outputs += _hex_rows(target.run(code, timeout, soft_reset=False).check())
            if progress:
                progress(min(first + per_run, len(rows)), len(rows))
    if len(outputs) != len(rows):
        raise EarshotError(f"{target.name}: expected {len(rows)} outputs, got {len(outputs)}")
    out_shape = source.output_shapes[0]
    dtype = np.dtype(source.output_dtypes[0])
    return np.stack([np.frombuffer(o, dtype=dtype).reshape(out_shape) for o in outputs])
