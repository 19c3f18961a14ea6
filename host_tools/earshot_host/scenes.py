"""Audio scenes: reference clips placed at known times over silence or noise, with the
detections they should give. `make run` plays one; the pipeline tests check the detector
against them."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .errors import EarshotError
from .frontend.wav import WavFormatError, read_wav, write_wav
from .paths import project_root

SAMPLE_RATE = 16_000


def clips_dir() -> Path:
    return project_root() / "tests" / "data" / "audio"


@dataclass(frozen=True)
class Placement:
    """One clip in a scene: where it starts, how loud, and what it should be detected as."""

    clip: str  # a WAV of tests/data/audio/ (without .wav)
    at_ms: int
    gain_db: float = 0.0
    label: str | None = None  # expected detection (None: must give none)


@dataclass(frozen=True)
class Event:
    """An expected detection: the label, and the span of the clip that should cause it."""

    label: str
    start_ms: int
    end_ms: int


@dataclass
class Scene:
    samples: np.ndarray  # int16 mono
    sample_rate: int
    events: list[Event]

    @property
    def duration_ms(self) -> int:
        return len(self.samples) * 1000 // self.sample_rate


def load_clip(name: str) -> np.ndarray:
    try:
        wav = read_wav(clips_dir() / f"{name}.wav")
    except (OSError, WavFormatError) as err:
        raise EarshotError(f"clip {name!r}: {err}") from err
    if wav.sample_rate != SAMPLE_RATE:
        raise EarshotError(f"clip {name!r} is {wav.sample_rate} Hz, scenes are {SAMPLE_RATE} Hz")
    return wav.samples.astype(np.int32)


def compose(
    placements: Sequence[Placement],
    duration_ms: int,
    noise_dbfs: float | None = -60.0,
    seed: int = 1,
) -> Scene:
    """Mix the clips into a stream of duration_ms over white noise at noise_dbfs (None:
    digital silence). Deterministic for a given seed."""
    total = duration_ms * SAMPLE_RATE // 1000
    mix = np.zeros(total, dtype=np.float64)
    if noise_dbfs is not None:
        rms = 32768.0 * 10 ** (noise_dbfs / 20)
        mix += np.random.default_rng(seed).normal(0.0, rms, total)
    events = []
    for p in placements:
        clip = load_clip(p.clip) * 10 ** (p.gain_db / 20)
        start = p.at_ms * SAMPLE_RATE // 1000
        if start + len(clip) > total:
            raise EarshotError(f"clip {p.clip} at {p.at_ms} ms runs past the end of the scene")
        mix[start : start + len(clip)] += clip
        if p.label:
            end_ms = p.at_ms + len(clip) * 1000 // SAMPLE_RATE
            events.append(Event(p.label, p.at_ms, end_ms))
    samples = np.clip(np.rint(mix), -32768, 32767).astype(np.int16)
    return Scene(samples, SAMPLE_RATE, events)


# The stream `make run` listens to: yes/no at three levels, between stretches of quiet
# and of noise, for the micro_speech model.
DEMO = (
    Placement("yes_1000ms", 2_000, 0.0, "yes"),
    Placement("noise_1000ms", 4_500, -6.0),
    Placement("no_1000ms", 7_000, 0.0, "no"),
    Placement("silence_1000ms", 9_500, 0.0),
    Placement("yes_1000ms", 12_000, -6.0, "yes"),
    Placement("no_1000ms", 15_000, 6.0, "no"),
)
DEMO_DURATION_MS = 18_000


def write_scene(path: Path, scene: Scene, stereo: bool = False) -> Path:
    """The scene as a WAV (stereo: the right channel offset by 1 LSB of dither, so a
    player that mixes to mono must average), and its expected events as JSON beside it
    (.events.json)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    samples = scene.samples
    if stereo:
        right = np.clip(samples.astype(np.int32) + 1, -32768, 32767).astype(np.int16)
        samples = np.stack([samples, right], axis=1)
    write_wav(path, samples, scene.sample_rate)
    events_path = path.with_suffix(".events.json")
    events_path.write_text(json.dumps([asdict(e) for e in scene.events], indent=1) + "\n")
    return events_path


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m earshot_host.scenes demo OUT.wav`: write the demo stream (make run)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or args[0] != "demo":
        print("usage: python -m earshot_host.scenes demo OUT.wav", file=sys.stderr)
        return 2
    try:
        write_scene(Path(args[1]), compose(DEMO, DEMO_DURATION_MS))
    except EarshotError as err:
        print(f"earshot: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
