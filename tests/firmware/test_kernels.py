"""The kernel variant under test, and the kernels on shapes that reach every path of the
optimized kernels (kernels/optimized/): odd channel counts, depths that are not multiples of
four, 1x1 convolutions, depthwise with one input channel (the im2col path) or a multiplier
of 1 (the four-channel path: interior pixels, border pixels on a window copy, channel
counts not a multiple of four, chunks of channels), stride 2, dilation, padding, batches,
more output channels than the stack table holds, receptive fields too large for the stack
column (reference fallback), left shifts in the output stage, biases too large for the
lean output stage (reference fallback), filter zero points and the DOUBLE_ROUND output
stage of FULLY_CONNECTED.

Expected outputs come from the host's NumPy reference kernels, and for the same shapes as
one-op .tflite files from LiteRT's reference kernels (tests/data/kernels); run with
EARSHOT_KERNELS=reference (after `make KERNELS=reference ...`) to check the reference
build the same way.
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import numpy as np
import pytest
from single_op_models import CASES, ConvCase, DenseCase, conv_model, dense_model
from test_engine import run_on_target

from earshot_host.convert import convert_tflite
from earshot_host.reference import run_model

ROOT = Path(__file__).resolve().parents[2]


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


# FULLY_CONNECTED with TFLite Micro's fixed-point output stage has no LiteRT counterpart
# (LiteRT's reference kernel rounds in double: the DOUBLE_ROUND cases and the .tflite
# goldens below); every other case is checked against LiteRT's goldens.
FIXED_POINT_CASES = sorted(
    name for name, case in CASES.items() if isinstance(case, DenseCase) and not case.double_round
)


@pytest.mark.parametrize("name", FIXED_POINT_CASES)
def test_kernel_is_bit_exact_with_the_reference(target, name):
    model, inputs = build(name)
    expected = [run_model(model, [x])[0].ravel() for x in inputs]
    outputs = run_on_target(target, model, [x.tobytes() for x in inputs])
    for i, (got, want) in enumerate(zip(outputs, expected, strict=True)):
        np.testing.assert_array_equal(got, want, err_msg=f"{name} input #{i}")


LITERT_GOLDENS = ROOT / "tests" / "data" / "kernels"  # PROVENANCE.md there


@pytest.mark.parametrize("name", sorted(CASES))
def test_kernel_edge_shape_is_bit_exact_with_litert(target, name):
    # The same shapes as a one-op .tflite with LiteRT BUILTIN_REF goldens (random weights,
    # per-channel scales that give multipliers and shifts like the cases above).
    tflite = (LITERT_GOLDENS / f"{name}.tflite").read_bytes()
    golden = np.load(LITERT_GOLDENS / f"{name}.golden.npz")
    model = convert_tflite(tflite, name=name).blob
    outputs = run_on_target(target, model, [x.tobytes() for x in golden["inputs"]])
    for i, (got, want) in enumerate(zip(outputs, golden["outputs"], strict=True)):
        np.testing.assert_array_equal(got, want.ravel(), err_msg=f"{name} input #{i}")
