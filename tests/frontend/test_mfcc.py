"""MFCC (MLPerf KWS front end): fixed-point pipeline and float reference vs TF goldens.

Measured (TF 2.21 goldens, per-clip gain 1/max(x) as in training): 100% of int8 values
equal on every clip except chirp_1000ms (99.80%, max |diff| 1). Float64 reference vs TF
float32: max |diff| <= 5e-5, except chirp_1000ms (1.2e-2, see test_float_reference...).
"""

import numpy as np
import pytest
from frontend_support import CLIPS, agreement, clip, frontend_of, golden, tables_of

from earshot_host.frontend import tf_signal
from earshot_host.frontend.mfcc import (
    MfccFrontend,
    acc_to_float,
    clip_gain,
    mfcc_fixed,
    mfcc_fixed_frames,
    mfcc_float,
)

# int8 values that differ from the TF golden (each by 1 LSB), measured with TF 2.21;
# every other clip is bit-exact.
MISMATCHES = {"chirp_1000ms": 1}


@pytest.mark.parametrize("name", CLIPS)
def test_fixed_point_matches_tf_goldens(name):
    x = clip(name)
    q = mfcc_fixed(x, tables_of("mfcc"), gain=clip_gain(x))
    expected = golden("mfcc", name, int8=True)
    assert q.shape == expected.shape == (49, 10)
    equal, worst = agreement(q, expected)
    print(f"mfcc {name}: {equal:.2f}% equal, max |diff| {worst}")
    # Measured: bit-exact on every clip but one, where one value differs by 1 LSB.
    assert int(np.sum(q != expected)) == MISMATCHES.get(name, 0)
    assert worst <= 1


@pytest.mark.parametrize("name", CLIPS)
def test_float_reference_matches_tf_goldens(name):
    x = clip(name)
    ours = mfcc_float(x.astype(np.float64) * clip_gain(x), frontend_of("mfcc"))
    worst = float(np.abs(ours - golden("mfcc", name)).max())
    print(f"mfcc float {name}: max |diff| {worst:.2e}")
    # The chirp's frames above 4 kHz leave only window leakage (~110 dB below the tone) in
    # the 20-4000 Hz bands: TF's float32 FFT rounding is at that level, so its values differ
    # from float64 by up to 0.012 (2% of an int8 step). Elsewhere the two agree to 5e-5.
    assert worst <= (0.02 if name == "chirp_1000ms" else 1e-3)


def test_fixed_point_float_view_close_to_reference():
    x = clip("yes_1000ms")
    g = clip_gain(x)
    tables = tables_of("mfcc")
    _, acc = mfcc_fixed_frames(tf_signal.frame(x, 480, 320), tables, g)
    ref = mfcc_float(x.astype(np.float64) * g, frontend_of("mfcc"))
    assert np.abs(acc_to_float(acc, tables) - ref).max() < 1e-3


def test_per_hop_streaming_equals_batch():
    tables = tables_of("mfcc")
    x = clip("no_1000ms")
    g = clip_gain(x)
    fe = MfccFrontend(tables, gain=g)
    frames = [fe.process_hop(x[i : i + 320]) for i in range(0, len(x), 320)]
    assert frames[0] is None
    np.testing.assert_array_equal(np.stack(frames[1:]), mfcc_fixed(x, tables, g))


def test_default_gain_is_the_tables_gain():
    tables = tables_of("mfcc")
    x = clip("yes_1000ms")
    np.testing.assert_array_equal(
        mfcc_fixed(x, tables), mfcc_fixed(x, tables, gain=tables.scalars["input_gain"])
    )
