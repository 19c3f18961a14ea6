"""TFLM micro front end: bit-exact with TensorFlow's audio_microfrontend and TFLM goldens."""

import numpy as np
import pytest
from frontend_support import CLIPS, TFLM_REFERENCE_DIR, clip, golden, tables_of

from earshot_host.frontend.tflm_micro import TflmMicroFrontend, raw_to_int8, tflm_micro_features


@pytest.mark.parametrize("name", ["yes", "no"])
def test_raw_matches_reference_tf_golden(name):
    raw = tflm_micro_features(clip(f"{name}_1000ms"), tables_of("tflm_micro"))
    expected = np.load(
        TFLM_REFERENCE_DIR / f"computed_tf_microfrontend_{name}_1000ms_raw_uint16_49x40.npy"
    )
    assert raw.dtype == np.uint16
    np.testing.assert_array_equal(raw, expected)


@pytest.mark.parametrize("name", CLIPS)
def test_raw_matches_tf_goldens_on_all_clips(name):
    tables = tables_of("tflm_micro")
    raw = tflm_micro_features(clip(name), tables)
    np.testing.assert_array_equal(raw, golden("tflm_micro", name))
    np.testing.assert_array_equal(raw_to_int8(raw, tables), golden("tflm_micro", name, int8=True))


@pytest.mark.parametrize(
    ("name", "legacy"),
    [
        ("yes", "legacy_yes_micro_features_49x40.npy"),
        ("no", "legacy_no_micro_features_f9643d42_nohash_4_49x40.npy"),
    ],
)
def test_int8_matches_legacy_spectrograms(name, legacy):
    tables = tables_of("tflm_micro")
    q = raw_to_int8(tflm_micro_features(clip(f"{name}_1000ms"), tables), tables)
    expected = np.load(TFLM_REFERENCE_DIR / legacy)
    assert int(np.sum(q == expected)) == 1960


@pytest.mark.parametrize("name", ["yes", "no"])
def test_30ms_slice_with_preset_noise_estimates(name):
    tables = tables_of("tflm_micro")
    fe = TflmMicroFrontend(tables)
    presets = np.load(TFLM_REFERENCE_DIR / f"legacy_{name}_30ms_noise_estimate_presets_40.npy")
    fe.noise_estimate = presets.astype(np.uint64)
    frames = fe.feed(clip(f"{name}_30ms"))
    assert frames.shape == (1, 40)
    expected = np.load(TFLM_REFERENCE_DIR / f"legacy_{name}_30ms_feature_slice_40.npy")
    np.testing.assert_array_equal(raw_to_int8(frames[0], tables), expected)


@pytest.mark.parametrize("name", ["yes", "no"])
def test_30ms_first_feature_fresh_state(name):
    tables = tables_of("tflm_micro")
    frames = TflmMicroFrontend(tables).feed(clip(f"{name}_30ms"))
    expected = np.load(TFLM_REFERENCE_DIR / f"new_{name}_30ms_first_feature_40.npy")
    np.testing.assert_array_equal(raw_to_int8(frames[0], tables), expected)


@pytest.mark.parametrize("name", ["yes_1000ms", "chirp_1000ms"])
def test_per_hop_streaming_equals_batch(name):
    tables = tables_of("tflm_micro")
    x = clip(name)
    fe = TflmMicroFrontend(tables)
    frames = [fe.process_hop(x[i : i + 320]) for i in range(0, len(x), 320)]
    assert frames[0] is None
    assert all(f is not None for f in frames[1:])
    np.testing.assert_array_equal(np.stack(frames[1:]), tflm_micro_features(x, tables))


def test_arbitrary_chunks_equal_batch():
    tables = tables_of("tflm_micro")
    x = clip("no_1000ms")
    fe = TflmMicroFrontend(tables)
    rng = np.random.default_rng(7)
    out, pos = [], 0
    while pos < len(x):
        n = int(rng.integers(1, 900))
        out.append(fe.feed(x[pos : pos + n]))
        pos += n
    np.testing.assert_array_equal(np.concatenate(out), tflm_micro_features(x, tables))


def test_process_hop_rejects_wrong_length():
    with pytest.raises(ValueError, match="320"):
        TflmMicroFrontend(tables_of("tflm_micro")).process_hop(np.zeros(100, np.int16))
