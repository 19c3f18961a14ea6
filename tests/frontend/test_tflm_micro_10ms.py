"""The TFLM micro front end at microWakeWord's 10 ms step, from an ESPHome manifest: the
host port equals TensorFlow's audio_microfrontend (window_step=10) integer for integer on
every golden clip (speech, silence, noise, a chirp, white noise from -50 dBFS to full
scale), and its int8 map is ESPHome's."""

import numpy as np
import pytest
from frontend_support import CLIPS, clip, golden

from earshot_host.esphome_manifest import read_manifest, recipe
from earshot_host.frontend.tables import build_tables
from earshot_host.frontend.tflm_micro import TflmMicroFrontend, raw_to_int8, tflm_micro_features
from earshot_host.paths import project_root

MODELS = project_root() / "models"


def manifest_tables(name: str = "okay_nabu"):
    manifest = read_manifest(MODELS / name / f"{name}.json")
    frontend = recipe(manifest, manifest.model_path.read_bytes())["frontend"]
    return build_tables(frontend, 0.10196078568696976, -128), frontend


def test_manifest_gives_a_10ms_step_and_three_frames():
    tables, frontend = manifest_tables()
    assert frontend["hop_ms"] == 10 and frontend["frames"] == 3
    assert tables.scalars["window_step"] == 160 and tables.scalars["window_size"] == 480


@pytest.mark.parametrize("name", CLIPS)
def test_raw_and_int8_equal_tf_at_10ms(name):
    tables, _ = manifest_tables()
    raw = tflm_micro_features(clip(name), tables)
    expected = golden("tflm_micro_10ms", name)
    assert raw.shape == expected.shape == (98, 40)
    np.testing.assert_array_equal(raw, expected)
    np.testing.assert_array_equal(
        raw_to_int8(raw, tables), golden("tflm_micro_10ms", name, int8=True)
    )


def test_goldens_cover_silence_and_full_scale_noise():
    x = clip("white_full_scale_1000ms")
    assert x.min() == -32768 and x.max() == 32767
    assert not clip("silence_1000ms").any() or np.abs(clip("silence_1000ms")).max() < 64
    # Full-scale noise drives the front end to the top of its range.
    assert int(golden("tflm_micro_10ms", "white_full_scale_1000ms").max()) > 600


def test_per_hop_streaming_equals_batch_at_10ms():
    tables, _ = manifest_tables()
    x = clip("yes_1000ms")
    fe = TflmMicroFrontend(tables)
    frames = [fe.process_hop(x[i : i + 160]) for i in range(0, len(x), 160)]
    assert frames[:2] == [None, None]  # the first frame needs a whole 30 ms window
    assert all(f is not None for f in frames[2:])
    np.testing.assert_array_equal(np.stack(frames[2:]), tflm_micro_features(x, tables))
