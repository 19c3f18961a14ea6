"""The Cortex-M0 paths of the optimized kernels (kernels/optimized/*_m0.c) on the shapes and
values that reach each of their branches, compared bit for bit with the host's NumPy
reference kernels. They run on every target (the other cores' optimized kernels must give
the same bytes); on qemu_m0 they exercise:

- CONV_2D's GEMMs with packed sums: the largest receptive field the stack column takes
  (158 entries, five pixels per block) and the largest of the seven-pixel layout (64),
  each with the extreme filter and input values (sums past a quarter and a half of the
  layouts' bounds, which must unpack exactly), one entry more than the column takes (the
  portable path), pixel counts that leave partial last blocks, receptive fields not a
  multiple of 4 (the one-entry loop),
  channel counts over one table block in both loop orders (the column refilled per channel
  block, or the table remade per pixel block), per-tensor requantization without a bias
  and a narrower activation range (the range clamp), a channel with a right shift of 0
  (the whole operator on the portable path);
- DEPTHWISE_CONV_2D with multiplier 1: border pixels on the zero-point patch with stride,
  dilation and batches, chunks of channels (long windows, many channels), the range clamp;
- DEPTHWISE_CONV_2D with one input channel (the transposed filter in the GEMM's scratch);
- and the whole mlperf_kws against LiteRT on qemu_m0 (its arena in the bench's bench-only
  RAM: qemu_m0's heap cannot hold it; test_models.py covers the models that fit).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pytest
from single_op_models import _const, _finish, _out_size
from test_engine import run_on_target

from earshot_host.bench.extra_ram import EXTRA_RAM, arena_prelude, extended_board
from earshot_host.boards import get_board
from earshot_host.catalog import load_catalog
from earshot_host.model_spec import resolve_model
from earshot_host.modelfile import DType, ModelWriter, OpCode, WeightedParams
from earshot_host.oracle import litert_reference_outputs
from earshot_host.reference import run_model
from earshot_host.runner import open_runner

CATALOG = load_catalog()


@dataclass(frozen=True)
class Case:
    name: str
    in_hw: tuple[int, int]
    in_ch: int
    out_ch: int
    kernel: tuple[int, int]
    multiplier: int = 0  # 0: CONV_2D; >= 1: DEPTHWISE_CONV_2D
    stride: tuple[int, int] = (1, 1)
    dilation: tuple[int, int] = (1, 1)
    same: bool = True
    batches: int = 1
    weights: str = "random"  # or "min" (all -128) or "max" (all 127)
    per_tensor: bool = False
    bias: bool = True
    act: tuple[int, int] | None = None  # activation range, from the output zero point
    zero_shift_channel: bool = False


CASES = [
    Case("conv_1x1_k158_min", (2, 3), 158, 7, (1, 1), weights="min"),
    Case("conv_1x1_k158_max", (2, 4), 158, 6, (1, 1), weights="max"),
    Case("conv_1x1_k159_portable", (2, 3), 159, 5, (1, 1)),
    Case("conv_1x1_k64_min", (2, 4), 64, 9, (1, 1), weights="min"),
    Case("conv_1x1_k64_max", (2, 4), 64, 5, (1, 1), weights="max"),
    Case("conv_1x1_k64_tails", (3, 3), 64, 9, (1, 1), batches=2),
    Case("conv_3x3x3_same_s2_dilated", (11, 9), 3, 8, (3, 3), stride=(2, 2), dilation=(2, 1)),
    Case("conv_1x1_k128_table_per_pixel_block", (3, 2), 128, 30, (1, 1)),
    Case("conv_1x1_k20_column_per_channel_block", (2, 7), 20, 130, (1, 1)),
    Case(
        "conv_3x3_per_tensor_no_bias_relu6",
        (6, 5),
        4,
        12,
        (3, 3),
        per_tensor=True,
        bias=False,
        act=(-128, 40),
    ),
    Case("conv_1x1_right_shift_0", (3, 3), 16, 8, (1, 1), zero_shift_channel=True),
    Case(
        "dw_3x3_same_s2_dilated_batches",
        (9, 8),
        12,
        12,
        (3, 3),
        multiplier=1,
        stride=(2, 1),
        dilation=(1, 2),
        batches=2,
    ),
    Case("dw_15x1_48_channels_chunks", (17, 1), 48, 48, (15, 1), multiplier=1, same=False),
    Case("dw_3x3_64_channels_range", (4, 4), 64, 64, (3, 3), multiplier=1, act=(-100, 90)),
    Case("dw_in1_m8_10x8_s2", (15, 12), 1, 8, (10, 8), multiplier=8, stride=(2, 2)),
]
BY_NAME = {c.name: c for c in CASES}


def build(case: Case) -> tuple[bytes, list[np.ndarray]]:
    """The case's model and three inputs: random, all -128, all 127."""
    seed = zlib.crc32(case.name.encode())
    rng = np.random.default_rng(seed)
    writer = ModelWriter()
    (h, w), (kh, kw) = case.in_hw, case.kernel
    out_h, pad_top = _out_size(h, kh, case.stride[0], case.dilation[0], case.same)
    out_w, pad_left = _out_size(w, kw, case.stride[1], case.dilation[1], case.same)
    depthwise = case.multiplier > 0
    shape = (1, kh, kw, case.out_ch) if depthwise else (case.out_ch, kh, kw, case.in_ch)
    taps = kh * kw * (1 if depthwise else case.in_ch)
    if case.weights == "random":
        filters = rng.integers(-127, 128, size=shape, dtype=np.int8)
    else:
        filters = np.full(shape, -128 if case.weights == "min" else 127, dtype=np.int8)
    filt = _const(writer, filters, DType.INT8)
    bias = None
    if case.bias:
        bias = _const(
            writer, rng.integers(-5000, 5000, size=case.out_ch).astype("<i4"), DType.INT32
        )
    count = 1 if case.per_tensor else case.out_ch
    multipliers = rng.integers(1 << 30, (1 << 31) - 1, size=count, dtype=np.int64)
    base = int(np.ceil(np.log2(taps * 128 * 128))) - 8
    shifts = -(base + rng.integers(-2, 3, size=count))
    if case.weights != "random":
        # Every sum is the same extreme value: scale it to the middle of the int8 range.
        shifts[:] = -int(np.ceil(np.log2(taps * 128 * 255)) - 6)
    if case.zero_shift_channel:
        shifts[count // 2] = 0
        multipliers[count // 2] = 1 << 30
    in_zp = -128 if case.weights != "random" else int(rng.integers(-128, 128))
    out_zp = int(rng.integers(-128, 128))
    if case.act:
        # A ReLU6-like range: from the zero point to a ceiling below 127.
        act_min, act_max = case.act
        out_zp = act_min
    elif case.weights != "random":
        act_min, act_max = -128, 127  # the extreme sums must not all clamp to one value
    else:
        act_min, act_max = int(rng.choice([-128, min(out_zp, 126)])), 127
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
        act_max=act_max,
        requant_count=count,
        multipliers_offset=writer.add_blob(multipliers.astype("<i4")),
        shifts_offset=writer.add_blob(np.clip(shifts, -31, 0).astype("<i4")),
    )
    in_shape = (case.batches, h, w, case.in_ch)
    model = _finish(
        writer,
        OpCode.DEPTHWISE_CONV_2D if depthwise else OpCode.CONV_2D,
        in_shape,
        (case.batches, out_h, out_w, case.out_ch),
        filt,
        bias,
        params,
        in_zp,
        out_zp,
    )
    inputs = [
        rng.integers(-128, 128, size=in_shape, dtype=np.int8),
        np.full(in_shape, -128, dtype=np.int8),
        np.full(in_shape, 127, dtype=np.int8),
    ]
    return model, inputs


def test_cases_reach_what_they_name():
    # Extreme cases: every sum is k_len x (-128 or 127) x 255 (input 127, zero point -128),
    # inside the packed range (|S| < 2^24) and far from zero.
    # The five-pixel layout takes |S| < 2^24 (its 158-entry column reaches past 2^22), the
    # seven-pixel one (k_len <= 64) |S| < 2^21 (reached past 2^20).
    for k, low, bound in ((158, 1 << 22, 1 << 24), (64, 1 << 20, 1 << 21)):
        for weights, weight in (("min", -128), ("max", 127)):
            name = f"conv_1x1_k{k}_{weights}"
            model, inputs = build(BY_NAME[name])
            out = run_model(model, [inputs[2]])[0]
            assert low < abs(k * weight * 255) < bound, name
            assert len(np.unique(out)) > 1, name  # biases differ: not all one clamped value
    # Random cases give varied outputs (a comparison of clamped values would prove little).
    for case in CASES:
        if case.weights == "random":
            model, inputs = build(case)
            assert len(np.unique(run_model(model, [inputs[0]])[0])) > 2, case.name


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_m0_kernel_is_bit_exact_with_the_reference(target, name):
    model, inputs = build(BY_NAME[name])
    expected = [run_model(model, [x])[0].ravel() for x in inputs]
    outputs = run_on_target(target, model, [x.tobytes() for x in inputs])
    for i, (got, want) in enumerate(zip(outputs, expected, strict=True)):
        np.testing.assert_array_equal(got, want, err_msg=f"{name} input #{i}")


KWS_RUN = """
import binascii
from earshot.model import Model
m = Model.frozen('mlperf_kws')
for x in ({inputs}):
    m.input[:] = binascii.unhexlify(x)
    m.invoke()
    print(binascii.hexlify(m.output).decode())
"""


def test_mlperf_kws_on_the_m0_is_bit_exact_with_litert(request, root):
    # The whole DS-CNN (its convolutions on the seven-pixel GEMM, its 3x3 depthwise with
    # border patches) on qemu_m0, its arena in bench-only RAM (its heap cannot hold it).
    if "qemu_m0" not in request.config.getoption("--targets").split(","):
        pytest.skip("qemu_m0 is not among --targets")
    board = get_board("qemu_m0", root)
    extra = EXTRA_RAM["qemu_m0"]
    source = resolve_model("mlperf_kws")
    rng = np.random.default_rng(zlib.crc32(b"mlperf_kws on the m0"))
    batch = rng.integers(-128, 128, size=(6, *source.input_shapes[0][1:]), dtype=np.int8)
    batch[0], batch[1] = -128, 127
    runner = open_runner(extended_board(board, extra), root)
    outputs = []
    try:
        for group in (batch[:3], batch[3:]):
            inputs = "".join(f"'{x.tobytes().hex()}'," for x in group)
            code = arena_prelude(extra) + KWS_RUN.format(inputs=inputs)
            result = runner.run(code, timeout=300)
            assert result.ok, result.error
            outputs += [bytes.fromhex(line) for line in result.output.split()]
    finally:
        runner.close()
    got = np.array([np.frombuffer(o, dtype=np.int8) for o in outputs])
    expected = litert_reference_outputs(CATALOG["mlperf_kws"].source_path, batch)
    np.testing.assert_array_equal(got, expected.reshape(got.shape))
    assert len({o for o in outputs}) > 1  # different inputs, different outputs
