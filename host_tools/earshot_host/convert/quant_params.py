"""Host-side computation of the integer parameters TFLite's kernels derive in Prepare().

Each function reproduces the arithmetic (float32 vs double, rounding) of the TFLite code named
in its docstring, so the device gets exactly the numbers LiteRT's reference kernels use.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..errors import EarshotError

INT8_MIN = -128
INT8_MAX = 127
ADD_LEFT_SHIFT = 20
SOFTMAX_SCALED_DIFF_INTEGER_BITS = 5


def round_half_away(value: float) -> int:
    """std::round: nearest integer, ties away from zero (exact for any double)."""
    magnitude = abs(value)
    floor = math.floor(magnitude)
    rounded = floor + 1 if magnitude - floor >= 0.5 else floor
    return int(rounded) if value >= 0 else -int(rounded)


def quantize_multiplier(real: float) -> tuple[int, int]:
    """TFLite QuantizeMultiplier (double rounding build): real ~= multiplier * 2^(shift - 31)."""
    if real == 0.0:
        return 0, 0
    mantissa, shift = math.frexp(real)
    q_fixed = round_half_away(mantissa * (1 << 31))
    if q_fixed > (1 << 31):
        raise EarshotError(f"cannot quantize multiplier {real!r}")
    if q_fixed == 1 << 31:
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift = 0
        q_fixed = 0
    return q_fixed, shift


def quantize_multiplier_smaller_than_one_exp(real: float) -> tuple[int, int]:
    """TFLite QuantizeMultiplierSmallerThanOneExp: requires 0 < real < 1; shift <= 0."""
    if not 0.0 < real < 1.0:
        raise EarshotError(f"multiplier {real!r} is not in (0, 1)")
    multiplier, shift = quantize_multiplier(real)
    if shift > 0:
        raise EarshotError(f"multiplier {real!r} gives a positive shift")
    return multiplier, shift


def conv_multipliers(
    input_scale: float, filter_scales: Sequence[float], output_scale: float, channels: int
) -> tuple[np.ndarray, np.ndarray]:
    """kernel_util PopulateConvolutionQuantizationParams / FC per-channel: one per channel.

    effective = double(input_scale) * double(filter_scale[c]) / double(output_scale); a single
    filter scale is broadcast to every channel.
    """
    multipliers = np.zeros(channels, dtype="<i4")
    shifts = np.zeros(channels, dtype="<i4")
    for c in range(channels):
        scale = float(filter_scales[c] if len(filter_scales) > 1 else filter_scales[0])
        multipliers[c], shifts[c] = quantize_multiplier(
            float(input_scale) * scale / float(output_scale)
        )
    return multipliers, shifts


def double_round_scales(
    input_scale: float, filter_scales: Sequence[float], output_scale: float, channels: int
) -> tuple[np.ndarray, np.ndarray]:
    """LiteRT reference FULLY_CONNECTED (int8): the double scale it multiplies acc by.

    scale[c] = double(input_scale) * double(filter_scale[c]) / double(output_scale), stored
    exactly as an integer mantissa in [2^52, 2^53) and a power-of-two exponent.
    """
    mantissas = np.zeros(channels, dtype="<i8")
    exponents = np.zeros(channels, dtype="<i4")
    for c in range(channels):
        scale = float(filter_scales[c] if len(filter_scales) > 1 else filter_scales[0])
        value = float(input_scale) * scale / float(output_scale)
        if value != 0.0:
            fraction, exponent = math.frexp(value)
            mantissas[c] = int(fraction * (1 << 53))
            exponents[c] = exponent - 53
    return mantissas, exponents


def activation_range_int8(activation: str, scale: float, zero_point: int) -> tuple[int, int]:
    """kernel_util CalculateActivationRangeQuantized for int8 (f / scale in float32)."""

    def quantize(value: float) -> int:
        quotient = float(np.float32(value) / np.float32(scale))
        return zero_point + round_half_away(quotient)

    if activation == "NONE":
        return INT8_MIN, INT8_MAX
    if activation == "RELU":
        return max(INT8_MIN, quantize(0.0)), INT8_MAX
    if activation == "RELU6":
        return max(INT8_MIN, quantize(0.0)), min(INT8_MAX, quantize(6.0))
    if activation == "RELU_N1_TO_1":
        return max(INT8_MIN, quantize(-1.0)), min(INT8_MAX, quantize(1.0))
    raise EarshotError(f"fused activation {activation} is not supported")


def add_params(input1_scale: float, input2_scale: float, output_scale: float) -> dict[str, int]:
    """add.cc Prepare, int8 general path: multipliers and shifts with left_shift 20."""
    twice_max_input_scale = float(
        2 * np.float32(max(np.float32(input1_scale), np.float32(input2_scale)))
    )
    real_input1 = float(np.float32(input1_scale)) / twice_max_input_scale
    real_input2 = float(np.float32(input2_scale)) / twice_max_input_scale
    real_output = twice_max_input_scale / float(
        np.float32((1 << ADD_LEFT_SHIFT) * np.float32(output_scale))
    )
    m1, s1 = quantize_multiplier_smaller_than_one_exp(real_input1)
    m2, s2 = quantize_multiplier_smaller_than_one_exp(real_input2)
    mo, so = quantize_multiplier_smaller_than_one_exp(real_output)
    return {
        "left_shift": ADD_LEFT_SHIFT,
        "input1_multiplier": m1,
        "input1_shift": s1,
        "input2_multiplier": m2,
        "input2_shift": s2,
        "output_multiplier": mo,
        "output_shift": so,
    }


def softmax_params(beta: float, input_scale: float) -> dict[str, int]:
    """activations.cc SoftmaxPrepare (kReference, int8): PreprocessSoftmaxScaling and diff_min."""
    integer_bits = SOFTMAX_SCALED_DIFF_INTEGER_BITS
    real = min(
        float(np.float32(beta)) * float(np.float32(input_scale)) * (1 << (31 - integer_bits)),
        (1 << 31) - 1.0,
    )
    if not real > 1.0:
        raise EarshotError(f"softmax beta * input scale is too small ({real!r})")
    multiplier, left_shift = quantize_multiplier(real)
    if left_shift < 0:
        raise EarshotError("softmax input multiplier gives a negative shift")
    max_input_rescaled = (
        1.0 * ((1 << integer_bits) - 1) * (1 << (31 - integer_bits)) / (1 << left_shift)
    )
    diff_min = -math.floor(max_input_rescaled)
    return {
        "input_beta_multiplier": multiplier,
        "input_beta_left_shift": left_shift,
        "diff_min": diff_min,
    }


def same_or_valid_padding(
    padding: str, in_size: int, filter_size: int, stride: int, dilation: int
) -> tuple[int, int]:
    """TFLite ComputeOutSize and ComputePaddingHeightWidth: (output size, pad before)."""
    effective = (filter_size - 1) * dilation + 1
    if padding == "SAME":
        out = (in_size + stride - 1) // stride
    else:
        out = (in_size + stride - effective) // stride
    total = (out - 1) * stride + effective - in_size
    return out, max(total, 0) // 2


def logistic_table(
    input_scale: float,
    input_zero_point: int,
    output_scale: float,
    output_zero_point: int,
    unsigned: bool = False,
) -> np.ndarray:
    """LiteRT's LOGISTIC lookup table for 8-bit tensors (activations.cc, LUTPopulate): for
    every input byte, float32 dequantize, 1 / (1 + exp(-x)) in float32, round half away
    from zero at the output scale, add the zero point, clamp. Indexed by the input byte."""
    low, high = (0, 255) if unsigned else (INT8_MIN, INT8_MAX)
    values = np.arange(low, high + 1, dtype=np.int32)
    with np.errstate(over="ignore"):
        dequantized = np.float32(input_scale) * (values - input_zero_point).astype(np.float32)
        transformed = np.float32(1.0) / (np.float32(1.0) + np.exp(-dequantized))
        inverse_scale = np.float32(1.0) / np.float32(output_scale)
        scaled = (transformed * inverse_scale).astype(np.float32).astype(np.float64)
    # std::round on the float32 value (exact in float64): half away from zero.
    rounded = np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)
    quantized = np.clip(rounded.astype(np.int64) + output_zero_point, low, high)
    table = np.zeros(256, dtype=np.uint8)
    table[(values & 0xFF).astype(np.uint8)] = (quantized & 0xFF).astype(np.uint8)
    return table


def requantize_multiplier(input_scale: float, output_scale: float) -> tuple[int, int]:
    """QUANTIZE between 8-bit tensors (quantize.cc Prepare): QuantizeMultiplier of
    double(input_scale) / double(output_scale)."""
    return quantize_multiplier(float(np.float32(input_scale)) / float(np.float32(output_scale)))


def mul_multiplier(
    input1_scale: float, input2_scale: float, output_scale: float
) -> tuple[int, int]:
    """mul.cc Prepare (8-bit): QuantizeMultiplier of double(s1) * double(s2) / double(so)."""
    s1, s2, so = (float(np.float32(s)) for s in (input1_scale, input2_scale, output_scale))
    return quantize_multiplier(s1 * s2 / so)


def mean_multiplier(input_scale: float, output_scale: float, count: int) -> tuple[int, int]:
    """8-bit MEAN in LiteRT's reference kernel: QuantizeMultiplier of double(s_in) /
    double(s_out) / count (matched on the conformance cases mean_hw, mean_hw_keepdims,
    mean_last: 264 of 264 outputs)."""
    return quantize_multiplier(
        float(np.float32(input_scale)) / float(np.float32(output_scale)) / count
    )
