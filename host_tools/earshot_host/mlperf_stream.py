"""Long streams in the manner of MLPerf Tiny's streaming wake word benchmark: a stream
spec (JSON) lists backgrounds [clip, start s, stop s, RMS level] and words [clip, start
s, gain]; the stream is rendered from it.

As MLPerf's builder does, each background is scaled to RMS 1 and then to its level, and
each word is scaled so that its active part (the samples above a tenth of its peak) has
RMS 1, then multiplied by its gain. Unlike it, the word keeps its whole clip (no trim),
so a word of a 1 s clip ends 1 s after its start, as the truth convention says; and the
mix is not normalized to its own peak (that would make every level depend on the loudest
event): RMS 1.0 is LEVEL_DBFS below full scale, and samples beyond full scale clip.
Clip paths may hold {name} placeholders, filled from a table (MLPerf uses
{speech_commands_path} and {musan_path}).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .errors import EarshotError
from .frontend.wav import WavFormatError, read_wav, write_wav
from .truth import Truth, parse_mlperf_spec

SAMPLE_RATE = 16_000
LEVEL_DBFS = -12.0  # where RMS 1.0 of the spec's units lands
REL_THRESH = 0.1


def full_scale_of_unit() -> float:
    return 32768.0 * 10 ** (LEVEL_DBFS / 20)


def _clip(path: str, places: dict[str, str], cache: dict[str, np.ndarray]) -> np.ndarray:
    filled = path.format(**places) if "{" in path else path
    if filled not in cache:
        try:
            wav = read_wav(filled)
        except (OSError, WavFormatError) as err:
            raise EarshotError(f"clip {filled}: {err}") from err
        if wav.sample_rate != SAMPLE_RATE:
            raise EarshotError(f"clip {filled} is {wav.sample_rate} Hz, not {SAMPLE_RATE}")
        cache[filled] = wav.samples.astype(np.float64)
    return cache[filled]


def active_rms(x: np.ndarray) -> float:
    """RMS of the samples above REL_THRESH of the peak (MLPerf's trimmed word)."""
    peak = np.abs(x).max() if len(x) else 0.0
    if peak == 0:
        return 0.0
    active = x[np.abs(x) > REL_THRESH * peak]
    return float(np.sqrt(np.mean(active**2)))


def render(
    spec: dict[str, Any], places: dict[str, str] | None = None, label: str = "word"
) -> tuple[np.ndarray, Truth]:
    """(int16 samples, truth) of a stream spec."""
    places = places or {}
    cache: dict[str, np.ndarray] = {}
    truth = parse_mlperf_spec(spec, label)
    length = truth.length_s
    if length is None:
        raise EarshotError("the stream spec has no length_sec")
    rate = int(spec.get("sample_rate", SAMPLE_RATE))
    if rate != SAMPLE_RATE:
        raise EarshotError(f"the stream spec is at {rate} Hz, streams are {SAMPLE_RATE} Hz")
    mix = np.zeros(int(length * rate), dtype=np.float64)
    for i, entry in enumerate(spec.get("configs_background", [])):
        if not isinstance(entry, list) or len(entry) != 4:
            raise EarshotError(f"configs_background[{i}]: expected [clip, start, stop, level]")
        path, start, stop, level = entry
        a, b = int(start * rate), min(len(mix), int(stop * rate))
        x = _clip(path, places, cache)[: b - a]
        rms = float(np.sqrt(np.mean(x**2))) if len(x) else 0.0
        if rms > 0:
            mix[a : a + len(x)] += level * x / rms
    for word in truth.words:
        x = _clip(word.clip or "", places, cache)
        a = int(word.start_s * rate)
        if a + len(x) > len(mix):
            raise EarshotError(f"word {word.clip} at {word.start_s} s runs past the end")
        rms = active_rms(x)
        if rms > 0:
            mix[a : a + len(x)] += (word.gain or 1.0) * x / rms
    samples = np.clip(np.rint(mix * full_scale_of_unit()), -32768, 32767).astype(np.int16)
    return samples, truth


def render_file(spec_path: Path, wav: Path, places: dict[str, str], label: str) -> Truth:
    """Render a spec file into a WAV; returns its truth."""
    try:
        spec = json.loads(spec_path.read_text())
    except (OSError, ValueError) as err:
        raise EarshotError(f"{spec_path}: {err}") from err
    samples, truth = render(spec, places, label)
    wav.parent.mkdir(parents=True, exist_ok=True)
    write_wav(wav, samples, SAMPLE_RATE)
    return truth
