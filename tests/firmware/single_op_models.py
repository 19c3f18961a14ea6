"""Single-operator earshot models with random weights, built directly with ModelWriter.

They exercise the kernels on shapes the conformance suite does not reach (odd channel
counts, depths that are not multiples of four, depthwise with one input channel, large
windows, filter zero points, batches). Expected outputs come from the host's NumPy
reference kernels (earshot_host.reference), the same semantics as LiteRT's BUILTIN_REF.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from earshot_host.modelfile import (
    DType,
    ModelWriter,
    OpCode,
    OpRecord,
    QuantType,
    RequantMode,
    TensorKind,
    TensorRecord,
    WeightedParams,
)
from earshot_host.modelfile.layout import (
    ARENA_ALIGN,
    TENSOR_FLAG_INPUT,
    TENSOR_FLAG_OUTPUT,
)


@dataclass(frozen=True)
class ConvCase:
    """CONV_2D (multiplier 0) or DEPTHWISE_CONV_2D (multiplier >= 1) geometry."""

    name: str
    in_hw: tuple[int, int]
    in_ch: int
    out_ch: int
    kernel: tuple[int, int]
    stride: tuple[int, int] = (1, 1)
    dilation: tuple[int, int] = (1, 1)
    same: bool = True
    multiplier: int = 0
    batches: int = 1
    shift_up: bool = False  # every other channel with a left shift (shift +1)
    big_bias: bool = False  # every third channel with a bias near +-2^30 (range not provable)


@dataclass(frozen=True)
class DenseCase:
    name: str
    depth: int
    out_ch: int
    batches: int = 1
    filter_zero_point: int = 0
    double_round: bool = False


def _out_size(size: int, kernel: int, stride: int, dilation: int, same: bool) -> tuple[int, int]:
    effective = (kernel - 1) * dilation + 1
    if same:
        out = (size + stride - 1) // stride
        pad = max(0, (out - 1) * stride + effective - size) // 2
    else:
        out = (size - effective) // stride + 1
        pad = 0
    return out, pad


def _activation(shape: tuple[int, ...], offset: int, zero_point: int, flags: int) -> TensorRecord:
    size = int(np.prod(shape))
    return TensorRecord(
        dtype=DType.INT8,
        kind=TensorKind.ACTIVATION,
        shape=shape,
        byte_size=size,
        offset=offset,
        flags=flags,
        zero_point=zero_point,
        scale=0.05,
        quant_type=QuantType.PER_TENSOR,
        quant_count=1,
    )


def _const(writer: ModelWriter, data: np.ndarray, dtype: DType, zero_point: int = 0) -> int:
    offset = writer.add_blob(data)
    quant = QuantType.PER_TENSOR if dtype == DType.INT8 else QuantType.NONE
    return writer.add_tensor(
        TensorRecord(
            dtype=dtype,
            kind=TensorKind.CONST,
            shape=tuple(data.shape),
            byte_size=data.nbytes,
            offset=offset,
            zero_point=zero_point,
            scale=0.02 if dtype == DType.INT8 else 0.0,
            quant_type=quant,
            quant_count=1 if quant == QuantType.PER_TENSOR else 0,
        )
    )


def _requant(rng: np.random.Generator, count: int, taps: int) -> tuple[np.ndarray, np.ndarray]:
    """Multipliers in [2^30, 2^31) and right shifts that bring accumulators of `taps`
    products to around the int8 range (some saturate, most do not)."""
    multipliers = rng.integers(1 << 30, (1 << 31) - 1, size=count, dtype=np.int64)
    base = int(np.ceil(np.log2(max(taps, 1) * 128 * 128))) - 8
    shifts = -(base + rng.integers(-2, 3, size=count))
    return multipliers.astype("<i4"), np.clip(shifts, -31, 0).astype("<i4")


def _finish(
    writer: ModelWriter,
    opcode: OpCode,
    in_shape: tuple[int, ...],
    out_shape: tuple[int, ...],
    filt: int,
    bias: int | None,
    params: WeightedParams,
    in_zp: int,
    out_zp: int,
) -> bytes:
    in_size = int(np.prod(in_shape))
    out_offset = (in_size + ARENA_ALIGN - 1) // ARENA_ALIGN * ARENA_ALIGN
    x = writer.add_tensor(_activation(in_shape, 0, in_zp, TENSOR_FLAG_INPUT))
    y = writer.add_tensor(_activation(out_shape, out_offset, out_zp, TENSOR_FLAG_OUTPUT))
    writer.add_op(OpRecord(opcode=opcode, inputs=(x, filt, bias), output=y, params=params))
    arena = out_offset + int(np.prod(out_shape))
    return writer.build(inputs=[x], outputs=[y], arena_size=arena, metadata={"name": "kernel"})


def conv_model(case: ConvCase, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    writer = ModelWriter()
    (h, w), (kh, kw) = case.in_hw, case.kernel
    out_h, pad_top = _out_size(h, kh, case.stride[0], case.dilation[0], case.same)
    out_w, pad_left = _out_size(w, kw, case.stride[1], case.dilation[1], case.same)
    depthwise = case.multiplier > 0
    if depthwise:
        filters = rng.integers(-127, 128, size=(1, kh, kw, case.out_ch), dtype=np.int8)
        taps = kh * kw
    else:
        filters = rng.integers(-127, 128, size=(case.out_ch, kh, kw, case.in_ch), dtype=np.int8)
        taps = kh * kw * case.in_ch
    filt = _const(writer, filters, DType.INT8)
    biases = rng.integers(-5000, 5000, size=case.out_ch).astype("<i4")
    if case.big_bias:
        big = (1 << 30) - 4096
        biases[::3] = np.where(np.arange(len(biases[::3])) % 2 == 0, big, -big)
    bias = _const(writer, biases, DType.INT32)
    multipliers, shifts = _requant(rng, case.out_ch, taps)
    if case.shift_up:
        shifts[::2] = 1
    mult_offset = writer.add_blob(multipliers)
    shift_offset = writer.add_blob(shifts)
    in_zp = int(rng.integers(-128, 128))
    out_zp = int(rng.integers(-128, 128))
    act_min = int(rng.choice([-128, out_zp if out_zp < 127 else -128]))
    params = WeightedParams(
        stride_h=case.stride[0],
        stride_w=case.stride[1],
        dilation_h=case.dilation[0],
        dilation_w=case.dilation[1],
        pad_top=pad_top,
        pad_left=pad_left,
        filter_h=kh,
        filter_w=kw,
        depth_multiplier=case.multiplier if depthwise else 1,
        input_zero_point=in_zp,
        filter_zero_point=0,
        output_zero_point=out_zp,
        act_min=act_min,
        act_max=127,
        requant_count=case.out_ch,
        multipliers_offset=mult_offset,
        shifts_offset=shift_offset,
    )
    opcode = OpCode.DEPTHWISE_CONV_2D if depthwise else OpCode.CONV_2D
    return _finish(
        writer,
        opcode,
        (case.batches, h, w, case.in_ch),
        (case.batches, out_h, out_w, case.out_ch),
        filt,
        bias,
        params,
        in_zp,
        out_zp,
    )


def dense_model(case: DenseCase, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    writer = ModelWriter()
    filters = rng.integers(-127, 128, size=(case.out_ch, case.depth), dtype=np.int8)
    filt = _const(writer, filters, DType.INT8, zero_point=case.filter_zero_point)
    bias = _const(writer, rng.integers(-5000, 5000, size=case.out_ch).astype("<i4"), DType.INT32)
    multipliers, shifts = _requant(rng, case.out_ch, case.depth)
    mult_offset = writer.add_blob(multipliers)
    shift_offset = writer.add_blob(shifts)
    mode = RequantMode.FIXED_POINT
    mantissas_offset = exponents_offset = 0
    if case.double_round:
        mode = RequantMode.DOUBLE_ROUND
        # scale = mantissa * 2^exponent with a 53-bit mantissa, as the converter writes it.
        mantissas = rng.integers(1 << 52, 1 << 53, size=case.out_ch, dtype=np.int64)
        exponents = shifts.astype(np.int64) - 53
        mantissas_offset = writer.add_blob(mantissas.astype("<i8"))
        exponents_offset = writer.add_blob(exponents.astype("<i4"))
    in_zp = int(rng.integers(-128, 128))
    out_zp = int(rng.integers(-128, 128))
    params = WeightedParams(
        stride_h=0,
        stride_w=0,
        dilation_h=0,
        dilation_w=0,
        pad_top=0,
        pad_left=0,
        filter_h=0,
        filter_w=0,
        depth_multiplier=0,
        input_zero_point=in_zp,
        filter_zero_point=case.filter_zero_point,
        output_zero_point=out_zp,
        act_min=-128,
        act_max=127,
        requant_count=case.out_ch,
        multipliers_offset=mult_offset,
        shifts_offset=shift_offset,
        requant_mode=mode,
        scale_mantissas_offset=mantissas_offset,
        scale_exponents_offset=exponents_offset,
    )
    return _finish(
        writer,
        OpCode.FULLY_CONNECTED,
        (case.batches, case.depth),
        (case.batches, case.out_ch),
        filt,
        bias,
        params,
        in_zp,
        out_zp,
    )


# The kernel edge cases of test_kernels.py (and of their LiteRT goldens, tests/data/kernels).
CONV_CASES = [
    ConvCase("conv_1x1_odd", (5, 3), 13, 7, (1, 1)),
    ConvCase("conv_1x1_deep", (3, 4), 64, 33, (1, 1)),
    ConvCase("conv_3x3_same_s2", (9, 7), 6, 5, (3, 3), stride=(2, 2)),
    ConvCase("conv_5x3_dilated", (10, 9), 3, 4, (5, 3), dilation=(2, 1)),
    ConvCase("conv_10x4_in1_s2", (21, 9), 1, 9, (10, 4), stride=(2, 2)),
    ConvCase("conv_3x3_valid_batches", (4, 5), 5, 6, (3, 3), same=False, batches=2),
    ConvCase("conv_1x1_150_channels", (2, 3), 8, 150, (1, 1)),
    ConvCase("conv_3x3_k360_fallback", (5, 5), 40, 3, (3, 3)),
    ConvCase("conv_3x3_in4_same", (6, 5), 4, 6, (3, 3)),
    ConvCase("conv_3x3_in24_same_long_rows", (4, 4), 24, 5, (3, 3)),
    ConvCase("dw_in1_m8_10x8_s2", (13, 11), 1, 8, (10, 8), stride=(2, 2), multiplier=8),
    ConvCase("dw_in1_m3_3x3", (6, 5), 1, 3, (3, 3), multiplier=3),
    # unpacked filter (DSP) with an odd channel count; one too big to unpack (transposed)
    ConvCase("dw_in1_m5_4x4_unpacked_odd", (9, 8), 1, 5, (4, 4), stride=(2, 1), multiplier=5),
    ConvCase("dw_in1_m12_10x8_transposed", (12, 10), 1, 12, (10, 8), stride=(2, 2), multiplier=12),
    ConvCase("dw_in1_m16_9x9_fallback", (9, 9), 1, 16, (9, 9), multiplier=16),
    ConvCase("dw_3x3_s2", (9, 8), 12, 12, (3, 3), stride=(2, 2), multiplier=1),
    ConvCase("dw_3x3_odd_channels_batches", (7, 6), 7, 7, (3, 3), multiplier=1, batches=2),
    ConvCase("dw_5x1_width1", (12, 1), 10, 10, (5, 1), same=False, multiplier=1),
    ConvCase("dw_3x3_dilated", (9, 9), 6, 6, (3, 3), dilation=(2, 2), multiplier=1),
    ConvCase("dw_m2_fallback", (6, 6), 5, 10, (3, 3), multiplier=2),
    ConvCase("dw_3x3_133_channels", (3, 3), 133, 133, (3, 3), multiplier=1),
    ConvCase("dw_3x3_s2_10_channels", (7, 7), 10, 10, (3, 3), stride=(2, 2), multiplier=1),
    ConvCase("dw_2x2_same", (5, 6), 8, 8, (2, 2), multiplier=1),
    ConvCase("dw_15x1_142_channels_chunks", (17, 1), 142, 142, (15, 1), same=False, multiplier=1),
    ConvCase("dw_3x3_shift_up", (6, 5), 8, 8, (3, 3), multiplier=1, shift_up=True),
    ConvCase("conv_1x1_shift_up", (3, 3), 8, 6, (1, 1), shift_up=True),
    ConvCase("dw_3x3_big_bias_fallback", (5, 5), 8, 8, (3, 3), multiplier=1, big_bias=True),
    ConvCase("conv_3x3_big_bias_fallback", (5, 5), 4, 6, (3, 3), big_bias=True),
    # One output pixel (a streaming model's window of the filter's size: the one-pixel
    # kernels, kernels/optimized/*_pixel.c): the receptive field in one run or gathered,
    # depths and channel counts off the blocks of four and of 64, and (converted from the
    # .tflite) with the prepared output stage, or without it where left shifts or big
    # biases keep the converter from proving its range.
    ConvCase("conv_pixel_5x1_in40", (5, 1), 40, 37, (5, 1), same=False),
    ConvCase("conv_pixel_1x1_k30_67_channels", (1, 1), 30, 67, (1, 1)),
    ConvCase("conv_pixel_gather_3x3", (3, 5), 4, 6, (3, 3), stride=(1, 3), same=False),
    ConvCase("conv_pixel_dilated", (5, 2), 3, 5, (3, 2), dilation=(2, 1), same=False),
    ConvCase("conv_pixel_shift_up", (1, 1), 16, 24, (1, 1), shift_up=True),
    ConvCase("conv_pixel_big_bias", (3, 1), 8, 6, (3, 1), same=False, big_bias=True),
    ConvCase("dw_pixel_23x1_70_channels", (23, 1), 70, 70, (23, 1), same=False, multiplier=1),
    ConvCase("dw_pixel_3x3_7_channels", (3, 3), 7, 7, (3, 3), same=False, multiplier=1),
    ConvCase("dw_pixel_dilated", (5, 5), 8, 8, (3, 3), dilation=(2, 2), same=False, multiplier=1),
    ConvCase("dw_pixel_shift_up", (4, 1), 8, 8, (4, 1), same=False, multiplier=1, shift_up=True),
]
DENSE_CASES = [
    DenseCase("dense_odd", 37, 5),
    DenseCase("dense_filter_zp_batches", 64, 7, batches=3, filter_zero_point=5),
    DenseCase("dense_double_round", 23, 3, double_round=True),
    DenseCase("dense_double_round_zp", 403, 4, filter_zero_point=-3, double_round=True),
]
CASES = {c.name: c for c in [*CONV_CASES, *DENSE_CASES]}
