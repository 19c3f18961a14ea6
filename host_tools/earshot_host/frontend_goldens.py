"""Golden front-end features computed with TensorFlow, for tests/data/frontend/.

Run by hand (TensorFlow is not a project dependency; CI uses the committed files):

    .venv/bin/python -m earshot_host.oracle_env frontend_goldens

(oracle_env makes build/oracle-venv with tensorflow-cpu once). It (1) writes the
deterministic synthetic WAVs into tests/data/audio/ (chirp, white noise at three levels,
full-scale uniform noise), (2) for every clip of CLIPS computes with TensorFlow
  - tflm_micro: ``audio_microfrontend`` raw uint16 (+ int8 model input) at the 20 ms step
    of micro_speech and (``tflm_micro_10ms_*``) at the 10 ms step of microWakeWord's v2
    models (feature_step_size 10),
  - mfcc: the MLPerf KWS training front end (tf.signal) float32 (+ int8),
  - logmel: the MLPerf streaming wake word training front end (tf.signal) float32 (+ int8),
saving ``<frontend>_<clip>.npy`` and ``<frontend>_<clip>_int8.npy``, and (3) writes
tests/data/frontend/PROVENANCE.md with the TensorFlow version, date and exact calls.
"""

from __future__ import annotations

import datetime
import functools
import platform
from pathlib import Path

import numpy as np

from earshot_host.frontend.wav import read_wav, write_wav
from earshot_host.paths import project_root

AUDIO_DIR = Path("tests/data/audio")
GOLDEN_DIR = Path("tests/data/frontend")
RATE = 16000
CLIPS = [
    "yes_1000ms",
    "no_1000ms",
    "silence_1000ms",
    "noise_1000ms",
    "marvin_617de221_0",
    "chirp_1000ms",
    "white_m10dbfs_1000ms",
    "white_m30dbfs_1000ms",
    "white_m50dbfs_1000ms",
    "white_full_scale_1000ms",
]
# The feature steps (ms) of the TFLM micro front end the goldens cover: "" names 20 ms.
TFLM_STEPS = {20: "", 10: "_10ms"}
INPUT_QUANT = {"tflm_micro": None, "mfcc": (0.5847, 83), "logmel": (0.003701, -128)}


def synthetic_clips() -> dict[str, np.ndarray]:
    """Deterministic test signals (16 kHz, 1 s, int16)."""
    t = np.arange(RATE) / RATE
    f0, f1 = 50.0, 7900.0
    phase = 2 * np.pi * (f0 * t + (f1 - f0) / 2 * t**2)  # linear chirp 50 Hz -> 7.9 kHz
    out = {"chirp_1000ms": np.round(0.5 * 32767 * np.sin(phase)).astype(np.int16)}
    rng = np.random.default_rng(20260821)
    white = rng.standard_normal(RATE)
    for db in (10, 30, 50):
        rms = 32768 * 10 ** (-db / 20)
        x = np.clip(np.round(white * rms), -32768, 32767).astype(np.int16)
        out[f"white_m{db}dbfs_1000ms"] = x
    # Full-scale noise: every int16 value equally likely, the extremes included.
    full = np.random.default_rng(20261207).integers(-32768, 32768, RATE, dtype=np.int64)
    full[::4000] = -32768  # both extremes for sure, four times each
    full[1::4000] = 32767
    out["white_full_scale_1000ms"] = full.astype(np.int16)
    return out


def quantize(values: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """clip(round(x / scale) + zero_point), ties away from zero (TFLite's rounding)."""
    v = np.asarray(values, dtype=np.float64) / scale
    r = np.sign(v) * np.floor(np.abs(v) + 0.5)
    return np.clip(r + zero_point, -128, 127).astype(np.int8)


def tflm_micro_raw(tf: object, frontend_op: object, x: np.ndarray, step_ms: int = 20) -> np.ndarray:
    return frontend_op.audio_microfrontend(  # type: ignore[attr-defined]
        tf.constant(x, dtype=tf.int16),  # type: ignore[attr-defined]
        sample_rate=16000,
        window_size=30,
        window_step=step_ms,
        num_channels=40,
        out_scale=1,
    ).numpy()


def kws_mfcc(tf: object, x: np.ndarray) -> np.ndarray:
    """keyword_spotting/get_dataset.py, feature_type 'mfcc' (no augmentation)."""
    wav = tf.cast(tf.constant(x), tf.float32)  # type: ignore[attr-defined]
    wav = wav / tf.reduce_max(wav)  # type: ignore[attr-defined]
    stfts = tf.signal.stft(  # type: ignore[attr-defined]
        wav, frame_length=480, frame_step=320, fft_length=None, window_fn=tf.signal.hann_window
    )
    spectrograms = tf.abs(stfts)  # type: ignore[attr-defined]
    mel = tf.signal.linear_to_mel_weight_matrix(40, stfts.shape[-1], 16000, 20.0, 4000.0)
    mel_spectrograms = tf.tensordot(spectrograms, mel, 1)  # type: ignore[attr-defined]
    log_mel = tf.math.log(mel_spectrograms + 1e-6)  # type: ignore[attr-defined]
    return tf.signal.mfccs_from_log_mel_spectrograms(log_mel)[..., :10].numpy()


def sww_logmel(tf: object, x: np.ndarray) -> np.ndarray:
    """streaming_wakeword/get_dataset.py, lfbe_func on decode_wav-scaled audio."""
    wav = tf.cast(tf.constant(x), tf.float32) / 32768.0  # type: ignore[attr-defined]
    wav = tf.pad(tf.expand_dims(wav, 0), [[0, 0], [1, 0]])  # type: ignore[attr-defined]
    wav = tf.squeeze(wav[:, 1:] - (1 - 2**-5) * wav[:, :-1])  # type: ignore[attr-defined]
    stfts = tf.signal.stft(  # type: ignore[attr-defined]
        wav,
        frame_length=1024,
        frame_step=512,
        fft_length=None,
        window_fn=functools.partial(tf.signal.hamming_window, periodic=False),  # type: ignore[attr-defined]
        pad_end=False,
    )
    powspec = (1 / 1024) * tf.square(tf.abs(stfts))  # type: ignore[attr-defined]
    powspec = tf.clip_by_value(powspec, 1e-30, tf.reduce_max(powspec))  # type: ignore[attr-defined]
    mel = tf.signal.linear_to_mel_weight_matrix(  # type: ignore[attr-defined]
        num_mel_bins=40,
        num_spectrogram_bins=powspec.shape[-1],
        sample_rate=16000,
        lower_edge_hertz=0.0,
        upper_edge_hertz=8000.0,
    )
    mel_spec = tf.tensordot(powspec, mel, 1)  # type: ignore[attr-defined]
    log_mel = 10 * (tf.math.log(mel_spec) / tf.math.log(tf.constant(10, dtype=tf.float32)))  # type: ignore[attr-defined]
    return tf.clip_by_value((log_mel + 52 - 32 + 32.0) / 64.0, 0, 1).numpy()  # type: ignore[attr-defined]


PROVENANCE = """# Front-end goldens

Written by `host_tools/earshot_host/frontend_goldens.py` ({date}), TensorFlow {tf_version}
(tensorflow-cpu, Python {py}, NumPy {np_version}). Inputs: the WAVs of tests/data/audio/
(see its PROVENANCE.md), read with `earshot_host.frontend.wav.read_wav` (stereo →
floor((L + R) / 2)).

For every clip `<clip>`:

- `tflm_micro_<clip>.npy`, uint16 (49, 40): `audio_microfrontend(x, sample_rate=16000,
  window_size=30, window_step=20, num_channels=40, out_scale=1)`, other attributes default
  (PCAN on, log on, scale shift 6).
- `tflm_micro_<clip>_int8.npy`, int8 (49, 40): `clip(((raw * 256 + 333) // 666) - 128)`.
- `tflm_micro_10ms_<clip>.npy`, uint16 (98, 40), and `tflm_micro_10ms_<clip>_int8.npy`:
  the same with `window_step=10` (microWakeWord v2 models' `feature_step_size`; the int8
  mapping is ESPHome's, the same formula).
- `mfcc_<clip>.npy`, float32 (49, 10): the MLPerf KWS training front end:
  `x = float32(x) / reduce_max(x)`; `stft(x, 480, 320, fft_length=None,
  window_fn=hann_window)`; `abs`; `tensordot(., linear_to_mel_weight_matrix(40, 257, 16000,
  20.0, 4000.0), 1)`; `log(. + 1e-6)`; `mfccs_from_log_mel_spectrograms(.)[..., :10]`.
- `mfcc_<clip>_int8.npy`, int8 (49, 10): `clip(round(x / 0.5847) + 83)`, ties away from 0.
- `logmel_<clip>.npy`, float32 (30, 40): the MLPerf streaming wake word `lfbe_func` on
  `x = float32(x) / 32768` (decode_wav): pre-emphasis `y = x[n] - (1 - 2**-5) x[n-1]`,
  x[-1] = 0; `stft(y, 1024, 512, fft_length=None, window_fn=partial(hamming_window,
  periodic=False), pad_end=False)`; `(1/1024) * square(abs(.))` clipped to [1e-30, max];
  `tensordot(., linear_to_mel_weight_matrix(40, 513, 16000, 0.0, 8000.0), 1)`;
  `10 * log(.) / log(10)`; `clip((. + 52 - 32 + 32.0) / 64.0, 0, 1)`.
- `logmel_<clip>_int8.npy`, int8 (30, 40): `clip(round(x / 0.003701) - 128)`, ties away
  from 0.

`tflm_reference/` holds copies of the TFLM reference goldens (see its PROVENANCE.md).
"""


def main() -> None:
    import tensorflow as tf  # noqa: PLC0415 - only this script needs TensorFlow
    from tensorflow.lite.experimental.microfrontend.python.ops import (  # noqa: PLC0415
        audio_microfrontend_op as frontend_op,
    )

    root = project_root()
    audio_dir = root / AUDIO_DIR
    golden_dir = root / GOLDEN_DIR
    golden_dir.mkdir(parents=True, exist_ok=True)
    for name, x in synthetic_clips().items():
        write_wav(audio_dir / f"{name}.wav", x, RATE)
    for clip in CLIPS:
        x = read_wav(audio_dir / f"{clip}.wav").samples
        for step_ms, suffix in TFLM_STEPS.items():
            raw = tflm_micro_raw(tf, frontend_op, x, step_ms).astype(np.uint16)
            np.save(golden_dir / f"tflm_micro{suffix}_{clip}.npy", raw)
            q = np.clip((raw.astype(np.int64) * 256 + 333) // 666 - 128, -128, 127)
            np.save(golden_dir / f"tflm_micro{suffix}_{clip}_int8.npy", q.astype(np.int8))
        for kind, fn in (("mfcc", kws_mfcc), ("logmel", sww_logmel)):
            feats = fn(tf, x).astype(np.float32)
            np.save(golden_dir / f"{kind}_{clip}.npy", feats)
            scale, zp = INPUT_QUANT[kind]  # type: ignore[misc]
            np.save(golden_dir / f"{kind}_{clip}_int8.npy", quantize(feats, scale, zp))
        print(f"{clip}: done")
    (golden_dir / "PROVENANCE.md").write_text(
        PROVENANCE.format(
            date=datetime.date.today().isoformat(),
            tf_version=tf.__version__,
            py=platform.python_version(),
            np_version=np.__version__,
        )
    )


if __name__ == "__main__":
    main()
