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

import binascii
import os
import zlib
from pathlib import Path

import numpy as np
import pytest
from single_op_models import CASES, ConvCase, DenseCase, conv_model, dense_model
from test_engine import run_on_target

from earshot_host.convert import convert_tflite
from earshot_host.reference import run_model
from earshot_host.runner import RemoteError
from earshot_host.runner.result import b64_literal

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
# goldens below); every other case is checked against LiteRT's goldens. The channel
# chunks of the depthwise kernel also run here: their .tflite versions (per-channel
# scales, metadata) do not fit qemu_m0's heap.
FIXED_POINT_CASES = sorted(
    name for name, case in CASES.items() if isinstance(case, DenseCase) and not case.double_round
)
NUMPY_CASES = [*FIXED_POINT_CASES, "dw_3x3_133_channels", "dw_15x1_142_channels_chunks"]


@pytest.mark.parametrize("name", NUMPY_CASES)
def test_kernel_is_bit_exact_with_the_reference(target, name):
    model, inputs = build(name)
    expected = [run_model(model, [x])[0].ravel() for x in inputs]
    outputs = run_on_target(target, model, [x.tobytes() for x in inputs])
    for i, (got, want) in enumerate(zip(outputs, expected, strict=True)):
        np.testing.assert_array_equal(got, want, err_msg=f"{name} input #{i}")


LITERT_GOLDENS = ROOT / "tests" / "data" / "kernels"  # PROVENANCE.md there


def run_uploaded(target, model: bytes, inputs: list[bytes]) -> list[np.ndarray]:
    """Outputs of each input on the target, the model uploaded and the inputs written in
    chunks (a bytes literal of a 7 KB model does not compile in qemu_m0's 20 KB heap)."""
    runner = target.runner
    runner.run("pass").check()  # a fresh session
    code = f"import earshot, binascii\n_m = earshot.Model({runner.upload('m.esm', model)})\n"
    # The output in pieces: one hex string of a 1 KB output does not fit qemu_m0's heap.
    code += (
        "def _out():\n"
        "    for i in range(0, len(_m.output), 128):\n"
        "        print(binascii.hexlify(_m.output[i:i + 128]).decode(), end='')\n"
        "    print()\n"
    )
    lines: list[str] = []
    for x in inputs:
        # Straight into the model's input, chunk by chunk: no second copy in the heap.
        for start in range(0, len(x), runner.chunk):
            piece = x[start : start + runner.chunk]
            code += f"_m.input[{start}:{start + len(piece)}] = {b64_literal(piece)}\n"
            if runner.keeps_state:
                runner.run(code, 120, soft_reset=False).check()
                code = ""
        code += "_m.invoke()\n_out()\n"
        if runner.keeps_state:
            lines += runner.run(code, 120, soft_reset=False).check().split()
            code = ""
    if code:
        lines += runner.run(code, 120, soft_reset=False).check().split()
    return [np.frombuffer(binascii.unhexlify(line), dtype=np.int8) for line in lines]


@pytest.mark.parametrize("name", sorted(CASES))
def test_kernel_edge_shape_is_bit_exact_with_litert(target, name):
    # The same shapes as a one-op .tflite with LiteRT BUILTIN_REF goldens (random weights,
    # per-channel scales that give multipliers and shifts like the cases above).
    tflite = (LITERT_GOLDENS / f"{name}.tflite").read_bytes()
    golden = np.load(LITERT_GOLDENS / f"{name}.golden.npz")
    converted = convert_tflite(tflite, name=name)
    model = converted.blob
    try:
        outputs = run_uploaded(target, model, [x.tobytes() for x in golden["inputs"]])
    except RemoteError as err:
        # Only a board whose heap is under four times model + arena may run out of memory.
        need = len(model) + converted.model.arena_size
        heap = target.board.heap_bytes
        assert "MemoryError" in str(err) and heap and heap < 4 * need, str(err)
        pytest.skip(f"{target.board.name}: {heap}-byte heap, model + arena {need} bytes")
    for i, (got, want) in enumerate(zip(outputs, golden["outputs"], strict=True)):
        np.testing.assert_array_equal(got, want.ravel(), err_msg=f"{name} input #{i}")
