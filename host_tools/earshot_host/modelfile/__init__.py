"""The earshot model file: a compact little-endian binary for int8 inference on a microcontroller.

See models/FORMAT.md for the byte layout and the list of checks a loader must make.
"""

from .format_error import ModelFormatError
from .layout import (
    FORMAT_VERSION,
    HEADER_SIZE,
    MAGIC,
    OP_RECORD_SIZE,
    TENSOR_RECORD_SIZE,
    DType,
    OpCode,
    QuantType,
    RequantMode,
    TensorKind,
)
from .lifetimes import Buffer, activation_buffers, find_arena_conflicts
from .reader import read_model
from .records import (
    AddParams,
    ConcatParams,
    CopyParams,
    LogisticParams,
    MeanParams,
    ModelFile,
    MulParams,
    OpRecord,
    PadParams,
    PoolParams,
    QuantizeParams,
    SliceParams,
    SoftmaxParams,
    TensorRecord,
    WeightedParams,
)
from .writer import ModelWriter

__all__ = [
    "FORMAT_VERSION",
    "HEADER_SIZE",
    "MAGIC",
    "OP_RECORD_SIZE",
    "TENSOR_RECORD_SIZE",
    "AddParams",
    "Buffer",
    "ConcatParams",
    "CopyParams",
    "LogisticParams",
    "MeanParams",
    "MulParams",
    "PadParams",
    "QuantizeParams",
    "SliceParams",
    "DType",
    "ModelFile",
    "ModelFormatError",
    "ModelWriter",
    "OpCode",
    "OpRecord",
    "PoolParams",
    "QuantType",
    "RequantMode",
    "SoftmaxParams",
    "TensorKind",
    "TensorRecord",
    "WeightedParams",
    "activation_buffers",
    "find_arena_conflicts",
    "read_model",
]
