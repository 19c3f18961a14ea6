"""Convert a full-integer int8 .tflite model into an earshot model file."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from .. import __version__
from ..errors import EarshotError
from ..modelfile import ModelFile, read_model
from .frontend_tables import add_frontend_tables, rebase_frontend_tables
from .lowering import Lowered, lower_graph
from .report import ModelReport, OpReportRow
from .tflite_graph import read_tflite


@dataclass
class ConvertedModel:
    """The model file bytes, the parsed/validated view of them and the conversion report."""

    blob: bytes
    model: ModelFile
    report: ModelReport


def _io_entry(lowered: Lowered, model_index: int) -> dict[str, Any]:
    t = lowered.writer.tensors[model_index]
    return {
        "name": lowered.names.get(model_index, f"t{model_index}"),
        "shape": list(t.shape),
        "dtype": t.dtype.name.lower(),
        "scale": t.scale,
        "zero_point": t.zero_point,
    }


def convert_tflite(
    data: bytes,
    *,
    name: str,
    labels: list[str] | None = None,
    frontend: dict[str, Any] | None = None,
    streaming: dict[str, Any] | None = None,
    detector: dict[str, Any] | None = None,
    fc_rounding: str = "double",
) -> ConvertedModel:
    """Convert .tflite bytes; raise EarshotError naming any unsupported op, type or option.

    fc_rounding: "double" (default) makes FULLY_CONNECTED bit-exact with LiteRT's reference
    kernels; "fixed_point" uses TFLite Micro's integer multiplier instead.
    """
    graph = read_tflite(bytes(data))
    # A streaming model whose window goes to the model as computed keeps its input's bytes
    # to itself, so that the device slides the window inside the input (no second copy).
    in_place = frontend is not None and not (streaming or {}).get("normalize")
    lowered = lower_graph(graph, fc_rounding, keep_inputs=in_place)
    outputs = [_io_entry(lowered, i) for i in lowered.outputs]
    if labels is not None:
        labels = [str(label) for label in labels]
        classes = outputs[0]["shape"][-1] if outputs[0]["shape"] else 1
        if len(labels) != classes:
            raise EarshotError(f"{len(labels)} labels given but the output has {classes} classes")
    metadata: dict[str, Any] = {
        "name": name,
        "labels": labels or [],
        "inputs": [_io_entry(lowered, i) for i in lowered.inputs],
        "outputs": outputs,
    }
    for key, value in (("frontend", frontend), ("streaming", streaming), ("detector", detector)):
        if value is not None:
            metadata[key] = value
    if frontend is not None:
        # The front end's tables go into the constant blob (offsets relative to the blob
        # until the layout is known, see below).
        first_input = lowered.writer.tensors[lowered.inputs[0]]
        metadata["frontend"] = add_frontend_tables(
            lowered.writer, frontend, first_input.scale, first_input.zero_point
        )
    metadata["source"] = {
        "converter": f"earshot_host {__version__}",
        "tflite_sha256": hashlib.sha256(data).hexdigest(),
    }
    build = dict(inputs=lowered.inputs, outputs=lowered.outputs, arena_size=lowered.arena_size)
    blob = lowered.writer.build(**build, metadata=metadata)
    if "tables" in metadata.get("frontend", {}):
        # The metadata follows the blob, so its contents never move the blob: build again
        # with the table offsets turned into file offsets.
        metadata["frontend"] = rebase_frontend_tables(metadata["frontend"], blob)
        blob = lowered.writer.build(**build, metadata=metadata)
    model = read_model(blob)  # the converter's output must pass the device's checks
    return ConvertedModel(blob=blob, model=model, report=_report(name, graph, lowered, model, blob))


def _report(name: str, graph: Any, lowered: Lowered, model: ModelFile, blob: bytes) -> ModelReport:
    rows = []
    for index, lo in enumerate(lowered.ops):
        out = model.tensors[lo.record.output]
        rows.append(
            OpReportRow(
                index=index,
                op=lo.name,
                tflite_index=lo.tflite_index,
                input_shapes=[
                    list(model.tensors[i].shape) for i in lo.record.inputs if i is not None
                ],
                output_shape=list(out.shape),
                macs=lo.macs,
                param_bytes=lo.param_bytes,
                output_arena_offset=out.offset,
                output_bytes=out.byte_size,
            )
        )
    emitted = {lo.tflite_index for lo in lowered.ops}
    folded = [f"#{op.index} {op.name}" for op in graph.ops if op.index not in emitted]
    return ModelReport(
        name=name,
        rows=rows,
        total_macs=sum(r.macs for r in rows),
        param_count=lowered.param_count,
        param_bytes=sum(r.param_bytes for r in rows),
        arena_bytes=model.arena_size,
        flash_bytes=len(blob),
        folded_ops=folded,
    )
