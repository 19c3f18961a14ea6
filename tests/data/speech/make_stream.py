"""Regenerate speech_features.npy (run once; needs espeak-ng and sox).

    .venv/bin/python tests/data/speech/make_stream.py

Phrases spoken by espeak-ng in several voices and speeds, each resampled by sox to 16 kHz
mono int16, joined with 0.4 s of silence and a low noise floor; then the TFLM micro front
end of the host package (bit-exact with TensorFlow's audio_microfrontend op) at a 10 ms
step, 30 ms window, 40 channels, and ESPHome's int8 mapping ((raw * 256 + 333) // 666 - 128).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2] / "host_tools"))

from earshot_host.frontend.tables import build_tables  # noqa: E402
from earshot_host.frontend.tflm_micro import tflm_micro_features  # noqa: E402

RATE = 16000
PHRASES = [
    ("en-us", 150, "okay nabu"),
    ("en-gb", 140, "hey jarvis"),
    ("en-us+f3", 160, "what is the weather like today"),
    ("en-gb-x-rp", 130, "okay nabu"),
    ("en-us+m3", 170, "hey jarvis, turn on the lights"),
    ("en-029", 150, "okay, nobody is home"),
    ("en-us+f2", 140, "okay nabu"),
    ("en-gb-scotland", 150, "hey jarvis"),
    ("en-us", 180, "play some music in the kitchen please"),
    ("en-us+f4", 135, "okay nabu, set a timer for ten minutes"),
    ("en-gb-x-gbclan", 150, "hey jarvis"),
    ("en-us+m1", 145, "good morning, how are you"),
    ("en-us+f1", 150, "okay nabu"),
]
FRONTEND = {
    "type": "tflm_micro",
    "sample_rate": RATE,
    "window_ms": 30,
    "hop_ms": 10,
    "fft_size": 512,
    "channels": 40,
    "lower_hz": 125.0,
    "upper_hz": 7500.0,
}


def speak(voice: str, speed: int, text: str, folder: Path) -> np.ndarray:
    raw, out = folder / "raw.wav", folder / "out.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(out)], check=True)
    with wave.open(str(out), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


def main() -> None:
    rng = np.random.default_rng(13)
    gap = np.zeros(int(0.4 * RATE), dtype=np.int16)
    parts = [gap]
    with tempfile.TemporaryDirectory() as tmp:
        for voice, speed, text in PHRASES:
            parts += [speak(voice, speed, text, Path(tmp)), gap]
    audio = np.concatenate(parts).astype(np.int32)
    audio = np.clip(audio + rng.integers(-24, 25, size=audio.shape), -32768, 32767)
    audio = audio.astype(np.int16)
    # The audio itself is not kept (750 KB): this script makes it again.
    raw = tflm_micro_features(audio, build_tables(FRONTEND))
    features = np.clip((raw.astype(np.int64) * 256 + 333) // 666 - 128, -128, 127)
    np.save(HERE / "speech_features.npy", features.astype(np.int8))
    print(f"{len(audio) / RATE:.1f} s of audio, {len(features)} frames of 40 features")


if __name__ == "__main__":
    main()
