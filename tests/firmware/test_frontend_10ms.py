"""The TFLM micro front end at microWakeWord's 10 ms step on every target: earshot.Frontend
(C) equals TensorFlow's audio_microfrontend (window_step=10, goldens in tests/data/frontend/)
integer for integer, raw uint16 and int8, on speech, silence, noise and full-scale noise.

The front end is the frozen okay_nabu's (every firmware freezes it), converted from its
ESPHome manifest (feature_step_size 10); the host reads the same tables from the same
file. The Unix port streams every golden clip; QEMU boards the first 0.25 s of five of
them (the frames of a prefix are the first frames of the whole clip)."""

from __future__ import annotations

from functools import cache

import numpy as np

from earshot_host.features import device_frames, model_frontend
from earshot_host.frontend.wav import read_wav
from earshot_host.frontend_goldens import CLIPS
from earshot_host.model_spec import resolve_model
from earshot_host.paths import project_root

ROOT = project_root()
GOLDENS = ROOT / "tests" / "data" / "frontend"
QEMU_CLIPS = ["yes_1000ms", "silence_1000ms", "noise_1000ms", "white_full_scale_1000ms",
              "chirp_1000ms"]  # fmt: skip


@cache
def frontend_10ms():
    return model_frontend(resolve_model("okay_nabu"))


def test_frontend_at_10ms_equals_tensorflow(target):
    fe = frontend_10ms()
    assert fe.hop == 160 and fe.window == 480
    unix = target.board.kind == "unix"
    for name in CLIPS if unix else QEMU_CLIPS:
        x = read_wav(ROOT / "tests" / "data" / "audio" / f"{name}.wav").samples
        if not unix:
            x = x[:4000]
        q, raw = device_frames(target.runner, fe, x, raw=True)
        assert len(q) == (98 if unix else 23)
        np.testing.assert_array_equal(
            raw, np.load(GOLDENS / f"tflm_micro_10ms_{name}.npy")[: len(q)], name
        )
        golden_q = np.load(GOLDENS / f"tflm_micro_10ms_{name}_int8.npy")[: len(q)]
        np.testing.assert_array_equal(q, golden_q, name)
