"""The audio front end's tables inside a model file (metadata ``frontend.tables``).

A model whose ``frontend`` metadata names a known ``type`` (tflm_micro, mfcc, logmel)
carries every table of ``earshot_host.frontend.tables.build_tables`` — built with the
model's own input quantization — in its constant blob, each 16-byte aligned. The metadata
then holds, next to the recipe's keys:

    "tables":  {name: [file_offset, dtype, count], ...}   dtype "int16" | "uint16" | "int32",
                                                           count = number of elements (2-D
                                                           tables are stored row-major, flat)
    "scalars": {name: int, ...}                            the integer scalars only

so that a device gets zero-copy views of the tables from the model buffer after reading
the metadata once. Format v1 is unchanged: the tables are plain blob bytes.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

from ..errors import EarshotError
from ..frontend.tables import DEFAULT_INPUT_QUANT, FrontendTables, build_tables

TABLE_DTYPES = {"int16": np.int16, "uint16": np.uint16, "int32": np.int32}


def add_frontend_tables(
    writer: Any, frontend: dict[str, Any], input_scale: float, input_zero_point: int
) -> dict[str, Any]:
    """frontend + tables (blob-relative offsets) + integer scalars; unknown recipes pass."""
    kind = frontend.get("type")
    if kind is None:
        return dict(frontend)  # a description only: no front end the device runs
    if kind not in DEFAULT_INPUT_QUANT:
        raise EarshotError(
            f"frontend type {kind!r} is unknown (known: {', '.join(sorted(DEFAULT_INPUT_QUANT))})"
        )
    try:
        tables = build_tables(frontend, input_scale, input_zero_point)
    except (KeyError, ValueError) as err:
        raise EarshotError(f"frontend {kind}: {err}") from err
    entries: dict[str, list[Any]] = {}
    for name, array in tables.arrays.items():
        dtype = np.dtype(array.dtype).name
        if dtype not in TABLE_DTYPES:
            raise EarshotError(f"frontend table {name}: dtype {dtype} is not storable")
        data = np.ascontiguousarray(array).astype(np.dtype(dtype).newbyteorder("<"))
        entries[name] = [writer.add_blob(data.tobytes()), dtype, int(array.size)]
    scalars = {
        name: int(value)
        for name, value in tables.scalars.items()
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    }
    return {**frontend, "tables": entries, "scalars": scalars}


def rebase_frontend_tables(frontend: dict[str, Any], blob: bytes) -> dict[str, Any]:
    """The table offsets made file offsets, with the blob offset of a built model file."""
    blob_offset = struct.unpack_from("<I", blob, 44)[0]
    tables = {
        name: [offset + blob_offset, dtype, count]
        for name, (offset, dtype, count) in frontend["tables"].items()
    }
    return {**frontend, "tables": tables}


_SHAPES = {
    "fft_twiddles": 2,
    "fft_super_twiddles": 2,
    "fft_factors": 2,
}


def frontend_tables_of(blob: bytes, metadata: dict[str, Any]) -> FrontendTables:
    """The FrontendTables a model file carries (arrays read back from its blob).

    Float scalars that the file does not store (input_scale, input_gain) are rebuilt from
    the model's input quantization, exactly as the converter built them.
    """
    frontend = metadata.get("frontend")
    if not frontend or "tables" not in frontend:
        raise EarshotError(f"model {metadata.get('name')!r} has no front-end tables")
    arrays: dict[str, np.ndarray] = {}
    for name, (offset, dtype, count) in frontend["tables"].items():
        dt = np.dtype(TABLE_DTYPES[dtype]).newbyteorder("<")
        a = np.frombuffer(blob, dtype=dt, count=count, offset=offset).astype(TABLE_DTYPES[dtype])
        if name in _SHAPES:
            a = a.reshape(-1, _SHAPES[name])
        elif name == "dct":
            a = a.reshape(int(frontend["scalars"]["coefficients"]), -1)
        arrays[name] = a
    inp = metadata["inputs"][0]
    rebuilt = build_tables(frontend, inp["scale"], inp["zero_point"])
    scalars = {**rebuilt.scalars, **frontend["scalars"]}
    return FrontendTables(frontend["type"], arrays, scalars)
