"""ESPHome microWakeWord manifests: the `.json` beside a wake-word `.tflite`, read into the
recipe earshot converts with (labels, front end, streaming stride, detector rule).

A manifest (version 1 or 2) names the model file and the detection settings ESPHome uses:

    {"type": "micro", "wake_word": "Okay Nabu", "model": "okay_nabu.tflite", "version": 2,
     "micro": {"probability_cutoff": 0.97, "feature_step_size": 10,
               "sliding_window_size": 5, "tensor_arena_size": 26080, ...}}

Version 1 manifests say `sliding_window_average_size` instead of `sliding_window_size` and
have no `feature_step_size` (their models use a 20 ms step). What earshot derives:

- front end: TFLM's micro front end as ESPHome runs it (16 kHz, 30 ms window, step =
  feature_step_size, 40 channels, 125-7500 Hz; the int8 map `((raw * 256 + 333) // 666) -
  128` is the converter's tflm_micro mapping), `frames` = the input's frame count;
- streaming: one invocation per input-height frames (`hops_per_inference`: 3 for the v2
  models' [1, 3, 40] input, 1 for v1's [1, 1, 40]);
- labels: [wake_word];
- detector: ESPHome's rule (team interface): {"rule": "esphome", "threshold":
  probability_cutoff, "sliding_window": sliding_window_size, "holdoff_frames": 100}.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import EarshotError

HOLDOFF_FRAMES = 100  # ESPHome: the counter starts at -100 and returns there after a detection
V1_FEATURE_STEP_MS = 20
SAMPLE_RATE = 16000
WINDOW_MS = 30
CHANNELS = 40


@dataclass(frozen=True)
class WakeWordManifest:
    """One ESPHome manifest, checked."""

    path: Path
    wake_word: str
    model: str  # the model file's name, beside the manifest
    version: int
    probability_cutoff: float
    sliding_window: int
    feature_step_ms: int
    sha256: str

    @property
    def model_path(self) -> Path:
        return self.path.parent / self.model

    @property
    def name(self) -> str:
        """The model's name: the manifest file's stem (okay_nabu.json -> okay_nabu)."""
        return self.path.stem


def _number(micro: dict[str, Any], key: str, path: Path, lo: float, hi: float) -> float:
    value = micro.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise EarshotError(f"{path}: micro.{key} must be a number in [{lo}, {hi}], got {value!r}")
    return float(value)


def parse_manifest(text: str, path: Path) -> WakeWordManifest:
    """A manifest's text (path: where it lies, for messages and the model file)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise EarshotError(f"{path}: not JSON ({err})") from err
    if not isinstance(doc, dict):
        raise EarshotError(f"{path}: a manifest is a JSON object")
    if doc.get("type") != "micro":
        raise EarshotError(
            f'{path}: type {doc.get("type")!r} is not a microWakeWord manifest ("micro")'
        )
    version = doc.get("version")
    if version not in (1, 2):
        raise EarshotError(f"{path}: manifest version {version!r} is not 1 or 2")
    micro = doc.get("micro")
    model = doc.get("model")
    wake_word = doc.get("wake_word")
    if not isinstance(micro, dict):
        raise EarshotError(f"{path}: no `micro` settings")
    if not isinstance(model, str) or not model or "/" in model or "\\" in model:
        raise EarshotError(f"{path}: `model` must name the .tflite beside the manifest")
    if not isinstance(wake_word, str) or not wake_word.strip():
        raise EarshotError(f"{path}: no `wake_word`")
    window_key = "sliding_window_size" if version == 2 else "sliding_window_average_size"
    window = _number(micro, window_key, path, 1, 1000)
    if window != int(window):
        raise EarshotError(f"{path}: micro.{window_key} must be a whole number")
    if version == 2:
        step = _number(micro, "feature_step_size", path, 1, WINDOW_MS)
        if step != int(step):
            raise EarshotError(f"{path}: micro.feature_step_size must be whole milliseconds")
    else:
        step = V1_FEATURE_STEP_MS
    return WakeWordManifest(
        path=path,
        wake_word=wake_word.strip(),
        model=model,
        version=int(version),
        probability_cutoff=_number(micro, "probability_cutoff", path, 0.0, 1.0),
        sliding_window=int(window),
        feature_step_ms=int(step),
        sha256=hashlib.sha256(text.encode()).hexdigest(),
    )


def read_manifest(path: str | Path) -> WakeWordManifest:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as err:
        raise EarshotError(f"cannot read {path}: {err.strerror}") from err
    return parse_manifest(text, path)


def input_frames(tflite: bytes, path: Path) -> tuple[int, int]:
    """(frames, features) of a wake-word model's input [1, frames, features]."""
    import tflite as schema  # noqa: PLC0415 - the flatbuffer reader, only needed here

    try:
        model = schema.Model.GetRootAsModel(tflite, 0)
        graph = model.Subgraphs(0)
        shape = [int(v) for v in graph.Tensors(graph.Inputs(0)).ShapeAsNumpy()]
    except Exception as err:  # noqa: BLE001 - any damage to the flatbuffer
        raise EarshotError(f"{path}: cannot read the model's input ({err})") from err
    if len(shape) != 3 or shape[0] != 1 or shape[2] != CHANNELS:
        raise EarshotError(
            f"{path}: a microWakeWord model takes [1, frames, {CHANNELS}] features, "
            f"this one {shape}"
        )
    return shape[1], shape[2]


def recipe(manifest: WakeWordManifest, tflite: bytes) -> dict[str, Any]:
    """convert_tflite's keyword arguments for the manifest's model: labels, frontend,
    streaming, detector."""
    frames, channels = input_frames(tflite, manifest.model_path)
    return {
        "labels": [manifest.wake_word],
        "frontend": {
            "type": "tflm_micro",
            "sample_rate": SAMPLE_RATE,
            "window_ms": WINDOW_MS,
            "hop_ms": manifest.feature_step_ms,
            "fft_size": 512,
            "channels": channels,
            "lower_hz": 125.0,
            "upper_hz": 7500.0,
            "frames": frames,
        },
        "streaming": {"hops_per_inference": frames},
        "detector": {
            "rule": "esphome",
            "threshold": manifest.probability_cutoff,
            "sliding_window": manifest.sliding_window,
            "holdoff_frames": HOLDOFF_FRAMES,
        },
    }
