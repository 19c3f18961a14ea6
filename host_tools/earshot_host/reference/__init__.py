"""Bit-exact NumPy reference kernels (TFLite BUILTIN_REF int8 semantics) and an interpreter."""

from .add import add_int8
from .conv import conv2d_int8
from .depthwise_conv import depthwise_conv2d_int8
from .fully_connected import fully_connected_int8
from .interpreter import ReferenceInterpreter, run_model
from .mul import mul_int8
from .pooling import average_pool_int8, max_pool_int8
from .requantize import (
    multiply_by_quantized_multiplier,
    rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul,
)
from .softmax import softmax_int8

__all__ = [
    "ReferenceInterpreter",
    "add_int8",
    "average_pool_int8",
    "conv2d_int8",
    "depthwise_conv2d_int8",
    "fully_connected_int8",
    "max_pool_int8",
    "mul_int8",
    "multiply_by_quantized_multiplier",
    "rounding_divide_by_pot",
    "run_model",
    "saturating_rounding_doubling_high_mul",
    "softmax_int8",
]
