"""The kernel variant under test, and the kernels on shapes that reach every path of the
optimized kernels (kernels/optimized/): odd channel counts, depths that are not multiples of
four, 1x1 convolutions, depthwise with one input channel (the im2col path) or a multiplier
of 1 (the four-channel path: interior pixels, border pixels on a window copy, channel
counts not a multiple of four, chunks of channels), stride 2, dilation, padding, batches,
more output channels than the stack table holds, receptive fields too large for the stack
column (reference fallback), left shifts in the output stage, biases too large for the
lean output stage (reference fallback), filter zero points and the DOUBLE_ROUND output
stage of FULLY_CONNECTED.

Expected outputs come from the host's NumPy reference kernels; run with
EARSHOT_KERNELS=reference (after `make KERNELS=reference ...`) to check the reference
build the same way.
"""

from __future__ import annotations

import os
import zlib

import numpy as np
import pytest
from single_op_models import ConvCase, DenseCase, conv_model, dense_model
from test_engine import run_on_target

from earshot_host.reference import run_model

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
]
DENSE_CASES = [
    DenseCase("dense_odd", 37, 5),
    DenseCase("dense_filter_zp_batches", 64, 7, batches=3, filter_zero_point=5),
    DenseCase("dense_double_round", 23, 3, double_round=True),
    DenseCase("dense_double_round_zp", 403, 4, filter_zero_point=-3, double_round=True),
]
CASES = {c.name: c for c in [*CONV_CASES, *DENSE_CASES]}


def build(name: str) -> tuple[bytes, list[np.ndarray]]:
    """The case's model and three inputs: random, all -128, all 127."""
    case = CASES[name]
    seed = zlib.crc32(name.encode())
    if isinstance(case, ConvCase):
        model = conv_model(case, seed)
        shape: tuple[int, ...] = (case.batches, *case.in_hw, case.in_ch)
    else:
        model = dense_model(case, seed)
        shape = (case.batches, case.depth)
    rng = np.random.default_rng(seed)
    inputs = [
        rng.integers(-128, 128, size=shape, dtype=np.int8),
        np.full(shape, -128, dtype=np.int8),
        np.full(shape, 127, dtype=np.int8),
    ]
    return model, inputs


def test_firmware_runs_the_kernel_variant_under_test(target):
    expected = os.environ.get("EARSHOT_KERNELS") or "optimized"
    assert target.eval("_earshot.KERNELS", setup="import _earshot") == expected


def test_cases_produce_varied_outputs():
    # The goldens must not be degenerate (all clamped): the comparison would prove little.
    for name in CASES:
        model, inputs = build(name)
        out = run_model(model, [inputs[0]])[0]
        assert len(np.unique(out)) > 2, name


@pytest.mark.parametrize("name", sorted(CASES))
def test_kernel_is_bit_exact_with_the_reference(target, name):
    model, inputs = build(name)
    expected = [run_model(model, [x])[0].ravel() for x in inputs]
    outputs = run_on_target(target, model, [x.tobytes() for x in inputs])
    for i, (got, want) in enumerate(zip(outputs, expected, strict=True)):
        np.testing.assert_array_equal(got, want, err_msg=f"{name} input #{i}")
