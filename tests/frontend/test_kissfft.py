"""Fixed-point real FFT (KISS FFT semantics) against NumPy's DFT."""

import numpy as np
import pytest

from earshot_host.frontend.kissfft_fixed import kiss_factors, make_real_fft_plan, real_fft


def test_factors_follow_kiss_fft():
    assert kiss_factors(256) == [(4, 64), (4, 16), (4, 4), (4, 1)]
    assert kiss_factors(512) == [(4, 128), (4, 32), (4, 8), (4, 2), (2, 1)]


@pytest.mark.parametrize(("bits", "amplitude"), [(16, 8000), (32, 1 << 28)])
@pytest.mark.parametrize("size", [512, 1024])
def test_fft_is_dft_over_n(bits, amplitude, size):
    plan = make_real_fft_plan(size, bits)
    x = np.random.default_rng(size + bits).integers(-amplitude, amplitude, size=(4, size))
    re, im = real_fft(plan, x)
    expected = np.fft.rfft(x, axis=-1) / size
    assert np.abs(re + 1j * im - expected).max() < 8
    dtype_max = (1 << (bits - 1)) - 1
    assert np.abs(re).max() <= dtype_max and np.abs(im).max() <= dtype_max


def test_twiddle_tables_have_plan_dtypes():
    plan = make_real_fft_plan(512, 16)
    assert plan.twiddles.dtype == np.int16 and plan.twiddles.shape == (256, 2)
    assert plan.super_twiddles.shape == (128, 2)
    assert plan.twiddles[0].tolist() == [32767, 0]
    assert sorted(plan.perm.tolist()) == list(range(256))
