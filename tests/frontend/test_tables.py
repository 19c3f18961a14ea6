"""Front-end tables: deterministic, documented dtypes and sizes, errors for bad input."""

import numpy as np
import pytest
from frontend_support import frontend_of

from earshot_host.frontend.tables import build_tables

COMMON_SPECTRAL = {
    "window": np.int32,
    "fft_twiddles": np.int32,
    "fft_super_twiddles": np.int32,
    "fft_factors": np.int16,
    "fft_perm": np.int16,
    "mel_starts": np.int16,
    "mel_widths": np.int16,
    "mel_weights": np.uint16,
    "log2_lut": np.int32,
}
DTYPES = {
    "tflm_micro": {
        "window": np.int16,
        "fft_twiddles": np.int16,
        "fft_super_twiddles": np.int16,
        "fft_factors": np.int16,
        "fft_perm": np.int16,
        "fb_channel_frequency_starts": np.int16,
        "fb_channel_weight_starts": np.int16,
        "fb_channel_widths": np.int16,
        "fb_weights": np.int16,
        "fb_unweights": np.int16,
        "pcan_gain_lut": np.int16,
        "log_lut": np.uint16,
    },
    "mfcc": {**COMMON_SPECTRAL, "dct": np.int32},
    "logmel": COMMON_SPECTRAL,
}


@pytest.mark.parametrize("kind", sorted(DTYPES))
def test_tables_are_deterministic(kind):
    a = build_tables(frontend_of(kind))
    b = build_tables(frontend_of(kind))
    assert a.scalars == b.scalars
    assert a.arrays.keys() == b.arrays.keys()
    for name in a.arrays:
        np.testing.assert_array_equal(a.arrays[name], b.arrays[name])


@pytest.mark.parametrize("kind", sorted(DTYPES))
def test_tables_have_documented_dtypes(kind):
    t = build_tables(frontend_of(kind))
    assert t.kind == kind
    assert {k: v.dtype.type for k, v in t.arrays.items()} == DTYPES[kind]
    for value in t.scalars.values():
        assert isinstance(value, int | float)


def test_tflm_micro_sizes():
    t = build_tables(frontend_of("tflm_micro"))
    a, s = t.arrays, t.scalars
    assert (s["window_size"], s["window_step"], s["fft_size"], s["channels"]) == (480, 320, 512, 40)
    assert a["window"].shape == (480,)
    assert a["fft_twiddles"].shape == (256, 2) and a["fft_super_twiddles"].shape == (128, 2)
    for name in ("fb_channel_frequency_starts", "fb_channel_weight_starts", "fb_channel_widths"):
        assert a[name].shape == (41,)
    assert a["fb_weights"].shape == a["fb_unweights"].shape
    assert a["fb_weights"].shape[0] == int(a["fb_channel_widths"].sum())
    assert a["pcan_gain_lut"].shape == (125,) and a["log_lut"].shape == (130,)
    assert (s["nr_even_smoothing"], s["nr_odd_smoothing"], s["nr_min_signal_remaining"]) == (
        409,
        983,
        819,
    )
    assert (s["pcan_snr_shift"], s["log_correction_bits"], s["out_value_div"]) == (6, 3, 666)


@pytest.mark.parametrize(
    ("kind", "window", "fft", "channels"), [("mfcc", 480, 512, 40), ("logmel", 1024, 1024, 40)]
)
def test_spectral_sizes(kind, window, fft, channels):
    t = build_tables(frontend_of(kind))
    a = t.arrays
    assert a["window"].shape == (window,)
    assert a["fft_twiddles"].shape == (fft // 2, 2)
    assert a["fft_super_twiddles"].shape == (fft // 4, 2)
    assert a["mel_starts"].shape == a["mel_widths"].shape == (channels,)
    assert a["mel_weights"].shape == (int(a["mel_widths"].sum()),)
    assert int(a["mel_starts"].max() + a["mel_widths"].max()) <= fft // 2 + 1
    assert a["log2_lut"].shape == (257,)
    if kind == "mfcc":
        assert a["dct"].shape == (10, channels)


def test_int8_mapping_scalars():
    assert build_tables(frontend_of("mfcc")).scalars["input_zero_point"] == 83
    logmel = build_tables(frontend_of("logmel")).scalars
    assert (logmel["out_min"], logmel["out_max"]) == (-128, 127)
    custom = build_tables(frontend_of("mfcc"), input_scale=0.5, input_zero_point=0)
    assert custom.scalars["input_scale"] == 0.5 and custom.scalars["input_zero_point"] == 0


def test_unknown_type_is_refused():
    with pytest.raises(ValueError, match="unknown front end type"):
        build_tables({"type": "cqt"})
