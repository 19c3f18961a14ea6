"""Byte layout of an earshot model file, version 1 (see models/FORMAT.md).

Everything is little-endian. Offsets are counted from the first byte of the file.
"""

from __future__ import annotations

import enum
import struct

MAGIC = b"ESHT"
FORMAT_VERSION = 1

HEADER = struct.Struct("<4sHHIIIHHHHIIIIIIIIHH")
HEADER_SIZE = HEADER.size  # 64

TENSOR_RECORD = struct.Struct("<BBBB4HIIif HBBIIII")
TENSOR_RECORD_SIZE = TENSOR_RECORD.size  # 48

OP_RECORD_HEAD = struct.Struct("<BBBB3HH")  # opcode, n_in, n_out, reserved, inputs[3], output
OP_RECORD_SIZE = 72
OP_PARAMS_SIZE = OP_RECORD_SIZE - OP_RECORD_HEAD.size  # 60

# Parameter blocks (they start at byte 12 of an op record; the rest of the 52 bytes is zero).
WEIGHTED_PARAMS = struct.Struct("<10HiiiiiIIIII")  # CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED
POOL_PARAMS = struct.Struct("<6Hii")  # AVERAGE_POOL_2D, MAX_POOL_2D
ADD_PARAMS = struct.Struct("<12i")
SOFTMAX_PARAMS = struct.Struct("<5i")
ASSIGN_PARAMS = struct.Struct("<")  # ASSIGN_VARIABLE, READ_VARIABLE: a byte copy, no parameters
CONCAT_PARAMS = struct.Struct("<i")  # axis
SLICE_PARAMS = struct.Struct("<4i4i4H")  # STRIDED_SLICE: begin[4], stride[4], count[4]
LOGISTIC_PARAMS = struct.Struct("<Iii")  # table offset, input / output zero point
QUANTIZE_PARAMS = struct.Struct("<4i")  # input / output zero point, multiplier, shift
MUL_PARAMS = struct.Struct("<7i")  # zero points 1, 2, out, multiplier, shift, act_min/max
PAD_PARAMS = struct.Struct("<4Hi")  # before[4] on the 4-D padded shape, pad value
MEAN_PARAMS = struct.Struct("<I4i")  # axis mask (4-D padded), zero points, multiplier, shift

NO_TENSOR = 0xFFFF
MAX_RANK = 4
MAX_INPUTS = 3

CONST_ALIGN = 16  # constant data (weights, bias, multiplier arrays) in the file
ARENA_ALIGN = 16  # activation tensors in the arena
SECTION_ALIGN = 4  # io list, tensor table, operator table, metadata

TENSOR_FLAG_INPUT = 0x01
TENSOR_FLAG_OUTPUT = 0x02
TENSOR_FLAG_ALIAS = 0x04
TENSOR_FLAGS_KNOWN = TENSOR_FLAG_INPUT | TENSOR_FLAG_OUTPUT | TENSOR_FLAG_ALIAS

ADD_LEFT_SHIFT = 20
SOFTMAX_OUTPUT_ZERO_POINT = -128

INT8_MIN = -128
INT8_MAX = 127


class DType(enum.IntEnum):
    INT8 = 1
    UINT8 = 2
    INT16 = 3
    INT32 = 4

    @property
    def itemsize(self) -> int:
        return {DType.INT8: 1, DType.UINT8: 1, DType.INT16: 2, DType.INT32: 4}[self]

    @property
    def numpy_name(self) -> str:
        return {DType.INT8: "<i1", DType.UINT8: "<u1", DType.INT16: "<i2", DType.INT32: "<i4"}[self]


class TensorKind(enum.IntEnum):
    CONST = 0
    ACTIVATION = 1
    STATE = 2  # in the arena for the whole run, set from init data by reset (variables)


class QuantType(enum.IntEnum):
    NONE = 0
    PER_TENSOR = 1
    PER_CHANNEL = 2


class RequantMode(enum.IntEnum):
    """How CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED scale the int32 accumulator."""

    FIXED_POINT = 0  # MultiplyByQuantizedMultiplier(acc, multiplier[c], shift[c])
    DOUBLE_ROUND = 1  # round(double(acc) * scale[c]), scale[c] = mantissa[c] * 2^exponent[c]


class OpCode(enum.IntEnum):
    CONV_2D = 1
    DEPTHWISE_CONV_2D = 2
    FULLY_CONNECTED = 3
    AVERAGE_POOL_2D = 4
    MAX_POOL_2D = 5
    ADD = 6
    SOFTMAX = 7
    ASSIGN_VARIABLE = 8
    READ_VARIABLE = 9
    CONCATENATION = 10
    STRIDED_SLICE = 11
    LOGISTIC = 12
    QUANTIZE = 13
    MUL = 14
    PAD = 15
    MEAN = 16


WEIGHTED_OPS = (OpCode.CONV_2D, OpCode.DEPTHWISE_CONV_2D, OpCode.FULLY_CONNECTED)
POOL_OPS = (OpCode.AVERAGE_POOL_2D, OpCode.MAX_POOL_2D)
COPY_OPS = (OpCode.ASSIGN_VARIABLE, OpCode.READ_VARIABLE)
# Inputs an op takes (a range: CONCATENATION joins 1 to 3 tensors).
OP_INPUTS: dict[OpCode, tuple[int, int]] = {
    OpCode.CONV_2D: (3, 3),
    OpCode.DEPTHWISE_CONV_2D: (3, 3),
    OpCode.FULLY_CONNECTED: (3, 3),
    OpCode.AVERAGE_POOL_2D: (1, 1),
    OpCode.MAX_POOL_2D: (1, 1),
    OpCode.ADD: (2, 2),
    OpCode.SOFTMAX: (1, 1),
    OpCode.ASSIGN_VARIABLE: (1, 1),
    OpCode.READ_VARIABLE: (1, 1),
    OpCode.CONCATENATION: (1, 3),
    OpCode.STRIDED_SLICE: (1, 1),
    OpCode.LOGISTIC: (1, 1),
    OpCode.QUANTIZE: (1, 1),
    OpCode.MUL: (2, 2),
    OpCode.PAD: (1, 1),
    OpCode.MEAN: (1, 1),
}
LOGISTIC_TABLE_SIZE = 256


def align_up(value: int, alignment: int) -> int:
    """Round value up to a multiple of alignment."""
    return (value + alignment - 1) // alignment * alignment


assert HEADER_SIZE == 64
assert TENSOR_RECORD_SIZE == 48
assert OP_RECORD_HEAD.size == 12
assert WEIGHTED_PARAMS.size == 60
assert POOL_PARAMS.size <= OP_PARAMS_SIZE
assert ADD_PARAMS.size <= OP_PARAMS_SIZE
assert SOFTMAX_PARAMS.size <= OP_PARAMS_SIZE
assert SLICE_PARAMS.size <= OP_PARAMS_SIZE
