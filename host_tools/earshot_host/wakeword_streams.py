"""Speech streams for the wake-word models: synthetic speech (espeak-ng) over noise (sox).

    .venv/bin/python -m earshot_host.wakeword_streams OUT_DIR      # needs espeak-ng and sox

writes, for each stream of STREAMS, OUT_DIR/<name>.wav (16 kHz mono PCM16) and
OUT_DIR/<name>.json, its truth: every utterance planted, with its text, voice, whether it
is a wake word (and which) or a distractor, start and end in seconds, and the gain. Each
stream mixes several espeak-ng voices and speeds, wake phrases ("okay nabu", "hey jarvis")
and distractors that sound alike ("okay google", "hey travis", "nabu casa", ...) or not at
all, over pink or brown noise (NumPy, seeded) at a fixed level; sox resamples espeak-ng's
22.05 kHz output to 16 kHz (without dither: -D), with gaps of noise
between words. Everything is deterministic for a given espeak-ng and sox (versions in the
truth file). The committed streams in tests/data/wakeword/ were made by this script.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import EarshotError
from .frontend.wav import read_wav, write_wav

RATE = 16000
WAKE_WORDS = {"okay nabu": "okay_nabu", "hey jarvis": "hey_jarvis"}


@dataclass(frozen=True)
class Utterance:
    text: str
    voice: str
    speed: int = 150  # espeak-ng words per minute
    gain_db: float = -6.0  # peak of the utterance, dBFS
    gap_s: float = 1.2  # noise before it


@dataclass(frozen=True)
class Stream:
    name: str
    noise: str  # pinknoise | brownnoise | whitenoise
    noise_dbfs: float  # RMS of the noise bed
    seed: int
    utterances: tuple[Utterance, ...]
    tail_s: float = 1.5


STREAMS = (
    Stream(
        "voices_quiet",
        "pinknoise",
        -55.0,
        1,
        (
            Utterance("okay nabu", "en-us"),
            Utterance("hey jarvis", "en-gb"),
            Utterance("okay google", "en-us+f3"),
            Utterance("okay nabu", "en-gb-x-rp", 130),
            Utterance("what time is it", "en-us+m3"),
            Utterance("hey jarvis", "en-us+f2", 170),
            Utterance("okay nabu", "en+f4", 120, -10.0),
        ),
    ),
    Stream(
        "distractors_noisy",
        "brownnoise",
        -40.0,
        2,
        (
            Utterance("hey travis", "en-us"),
            Utterance("okay nabu", "en-us+m1", 140),
            Utterance("nabu casa", "en-gb"),
            Utterance("hey jarvis", "en-gb-scotland"),
            Utterance("jarvis", "en-us+f1"),
            Utterance("okay", "en-029"),
            Utterance("okay nabu", "en-gb-x-gbclan", 160, -3.0),
            Utterance("hey charlie", "en-us+m2"),
        ),
    ),
    Stream(
        "sentences",
        "pinknoise",
        -48.0,
        3,
        (
            Utterance("the weather is nice today", "en-us"),
            Utterance("okay nabu turn on the lights", "en-us+f3", 150, -4.0),
            Utterance("hey jarvis what is the weather", "en-gb", 150),
            Utterance("i said okay but not the rest", "en-us+m3"),
            Utterance("okay nabu", "en-gb-x-rp", 110, -12.0),
            Utterance("play some music in the kitchen", "en-us+f2"),
        ),
    ),
)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise EarshotError(f"{name} is missing (Debian: apt-get install espeak-ng sox)")
    return path


def _version(cmd: list[str]) -> str:
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else ""


def speak(u: Utterance, work: Path) -> np.ndarray:
    """espeak-ng's rendering of an utterance at 16 kHz, peak at u.gain_db dBFS."""
    raw = work / "say.wav"
    rate = work / "say16.wav"
    subprocess.run(
        [_tool("espeak-ng"), "-v", u.voice, "-s", str(u.speed), "-w", str(raw), u.text],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [_tool("sox"), "-D", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(rate)],
        check=True,
        capture_output=True,
    )
    x = read_wav(rate).samples.astype(np.float64)
    peak = float(np.abs(x).max()) or 1.0
    return x * (32767 * 10 ** (u.gain_db / 20) / peak)


def noise_bed(s: Stream, seconds: float) -> np.ndarray:
    """Seeded noise of the stream's colour (spectrum shaped as 1/f for pink, 1/f**2 for
    brown, flat for white above 20 Hz), scaled to its RMS level."""
    n = int(round(seconds * RATE))
    spectrum = np.fft.rfft(np.random.default_rng(s.seed).standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / RATE)
    power = {"whitenoise": 0, "pinknoise": 1, "brownnoise": 2}[s.noise]
    spectrum *= np.where(f < 20, 0.0, 1.0 / np.maximum(f, 20.0) ** (power / 2))
    x = np.fft.irfft(spectrum, n)
    rms = float(np.sqrt(np.mean(x**2))) or 1.0
    return x * (32768 * 10 ** (s.noise_dbfs / 20) / rms)


def render(s: Stream, work: Path) -> tuple[np.ndarray, list[dict]]:
    """(int16 samples, truth entries) of one stream."""
    clips, truth, t = [], [], 0.0
    for u in s.utterances:
        t += u.gap_s
        x = speak(u, work)
        wake = next((w for phrase, w in WAKE_WORDS.items() if phrase in u.text), None)
        truth.append({
            "text": u.text, "voice": u.voice, "speed": u.speed, "gain_dbfs": u.gain_db,
            "wake_word": wake, "start_s": round(t, 4), "end_s": round(t + len(x) / RATE, 4),
        })  # fmt: skip
        clips.append((int(round(t * RATE)), x))
        t += len(x) / RATE
    total = t + s.tail_s
    mix = noise_bed(s, total)
    for start, x in clips:
        mix[start : start + len(x)] += x
    return np.clip(np.round(mix), -32768, 32767).astype(np.int16), truth


def write_streams(out: Path, streams: Sequence[Stream] = STREAMS) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    tools = {"espeak-ng": _version([_tool("espeak-ng"), "--version"]),
             "sox": _version([_tool("sox"), "--version"])}  # fmt: skip
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        for s in streams:
            samples, truth = render(s, Path(tmp))
            write_wav(out / f"{s.name}.wav", samples, RATE)
            doc = {
                "stream": f"{s.name}.wav",
                "sample_rate": RATE,
                "seconds": round(len(samples) / RATE, 4),
                "noise": {"type": s.noise, "rms_dbfs": s.noise_dbfs},
                "made_by": "earshot_host.wakeword_streams",
                "tools": tools,
                "utterances": truth,
            }
            (out / f"{s.name}.json").write_text(json.dumps(doc, indent=1) + "\n")
            written.append(out / f"{s.name}.wav")
    return written


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m earshot_host.wakeword_streams OUT_DIR", file=sys.stderr)
        return 2
    try:
        for path in write_streams(Path(args[0])):
            print(f"earshot: wrote {path}")
    except (EarshotError, subprocess.CalledProcessError) as err:
        print(f"earshot: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
