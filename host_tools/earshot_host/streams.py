"""The streams the shipped models' detector defaults are calibrated and measured on
(`python -m earshot_host.streams build/streams`): MLPerf-style stream specs rendered by
mlperf_stream, made from speech synthesized by espeak-ng (Debian package; several
voices), the Speech Commands clips of tests/data/audio/, and backgrounds generated here
(white, pink and brown noise, a music-like stream of chords, babble of synthesized
sentences). Everything is deterministic for a given espeak-ng (measured with 1.51).

- <model>/positives.wav: the model's words every 5-8 s, every clip (voice) at each of
  the gains 0.25, 0.5, 1 and 2 (at least 96 words), over backgrounds at RMS 0.1 (noise,
  music, babble); its MLPerf spec (positives.json) and CSV truth (positives.csv) beside
  it.
- negatives.wav: NEGATIVE_MINUTES of backgrounds alone (noise, music, babble of one and
  of four talkers saying sentences without any keyword), levels 0.03-0.5: the general
  negatives the defaults are calibrated on, as MLPerf's are talk and music.
- near_words.wav: NEAR_MINUTES of words that sound close to the keywords (marvel,
  martin, yesterday, nobody, gold, lift, ...) one after another, over pink noise: hard
  negatives, measured apart.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .errors import EarshotError
from .frontend.wav import write_wav
from .mlperf_stream import SAMPLE_RATE, render
from .paths import project_root
from .truth import write_csv

# Eight voices (espeak-ng 1.51 ignores variants on en-gb: theirs are on en-us).
VOICES = ("en-us", "en-gb", "en-gb-scotland", "en-029", "en-us+f3", "en-gb-x-rp",
          "en-us+m3", "en-us+Annie")  # fmt: skip
MODEL_WORDS = {
    "mlperf_sww": ("marvin",),
    "micro_speech": ("yes", "no"),
    "mlperf_kws": ("down", "go", "left", "no", "off", "on", "right", "stop", "up", "yes"),
}
# Speech Commands clips of tests/data/audio/ planted beside the synthesized voices.
RECORDED = {"marvin": ("marvin_617de221_0",), "yes": ("yes_1000ms",), "no": ("no_1000ms",)}
# Babble: sentences and words without any model's keyword (some close to one).
SENTENCES = (
    "the weather will be warm and sunny all week",
    "please bring the blue folder to the meeting room",
    "she bought three apples and a loaf of bread",
    "the train to the city leaves at half past seven",
    "we should paint the kitchen a lighter colour",
    "my brother plays the violin every evening",
    "the museum opens at nine in the morning",
    "turn the page and read the second paragraph",
    "a small boat drifted slowly across the lake",
    "they walked along the river until it was dark",
    "how many people came to the party last night",
    "the garden needs water after such a dry summer",
)
# (No homophone of a keyword: "write" sounds as "right".)
DISTRACTORS = ("marvel", "martin", "marlin", "carving", "starving", "harvest", "yesterday",
               "nobody", "knowing", "gold", "lift", "upper", "donut", "often", "only",
               "stuff", "seven", "hello", "window")  # fmt: skip
GAINS = (0.25, 0.5, 1.0, 2.0)
BACKGROUND_LEVEL = 0.1
POSITIVE_WORDS = 96  # words per positives stream
NEGATIVE_MINUTES = 60
NEAR_MINUTES = 10


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise EarshotError(
            f"{tool} is needed to build the streams (Debian: apt-get install {tool})"
        )
    return path


def speak(text: str, voice: str, out: Path) -> Path:
    """text spoken by espeak-ng in voice, as a 16 kHz mono PCM16 WAV (sox resamples)."""
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "speech.wav"
        subprocess.run([_need("espeak-ng"), "-v", voice, "-s", "150", "-w", str(raw), text],
                       check=True, capture_output=True)  # fmt: skip
        subprocess.run([_need("sox"), str(raw), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16",
                        str(out)], check=True, capture_output=True)  # fmt: skip
    return out


def _colored(rng: np.random.Generator, n: int, power: float) -> np.ndarray:
    """Noise of n samples whose spectrum falls as 1/f**power (0 white, 1 pink, 2 brown)."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n)
    f[0] = f[1]
    x = np.fft.irfft(spectrum / f ** (power / 2), n)
    return x / np.std(x)


def _music(rng: np.random.Generator, n: int) -> np.ndarray:
    """Chords of harmonic tones with attack and decay, a new chord every 0.25-1 s."""
    out = np.zeros(n)
    t = 0
    scale = np.array([0, 2, 4, 5, 7, 9, 11])
    while t < n:
        length = int(rng.uniform(0.25, 1.0) * SAMPLE_RATE)
        root = 48 + int(rng.integers(0, 12))
        notes = root + scale[rng.choice(7, size=3, replace=False)] + 12 * rng.integers(0, 2, 3)
        span = np.arange(min(length, n - t)) / SAMPLE_RATE
        envelope = np.minimum(1.0, span / 0.02) * np.exp(-span * rng.uniform(1.5, 5.0))
        for note in notes:
            freq = 440.0 * 2 ** ((note - 69) / 12)
            for k, amp in ((1, 1.0), (2, 0.5), (3, 0.25), (4, 0.12)):
                if k * freq < SAMPLE_RATE / 2:
                    out[t : t + len(span)] += amp * envelope * np.sin(2 * np.pi * k * freq * span)
        t += length
    return out / np.std(out)


def _babble(rng: np.random.Generator, n: int, clips: list[np.ndarray], voices: int) -> np.ndarray:
    """`voices` overlapping talkers, each a run of random clips with short pauses."""
    out = np.zeros(n)
    for _ in range(voices):
        t = int(rng.integers(0, SAMPLE_RATE))
        while t < n:
            clip = clips[int(rng.integers(0, len(clips)))]
            end = min(n, t + len(clip))
            out[t:end] += clip[: end - t] / (np.std(clip) or 1.0)
            t = end + int(rng.uniform(0.1, 0.6) * SAMPLE_RATE)
    return out / (np.std(out) or 1.0)


def _clip_array(path: Path) -> np.ndarray:
    from .frontend.wav import read_wav

    return read_wav(path).samples.astype(np.float64)


def backgrounds(out: Path, seconds: int = 60) -> dict[str, Path]:
    """The background clips (each `seconds` long), made once into out/backgrounds/."""
    folder = out / "backgrounds"
    folder.mkdir(parents=True, exist_ok=True)
    n = seconds * SAMPLE_RATE
    sentence_clips = [
        _clip_array(speak(s, v, out / "speech" / f"s{i:02d}_{v.replace('+', '_')}.wav"))
        for i, s in enumerate(SENTENCES)
        for v in VOICES
    ]
    word_clips = [
        _clip_array(speak(w, v, out / "speech" / f"d_{w}_{v.replace('+', '_')}.wav"))
        for w in DISTRACTORS
        for v in VOICES
    ]
    makers = {
        "white": lambda rng: _colored(rng, n, 0),
        "pink": lambda rng: _colored(rng, n, 1),
        "brown": lambda rng: _colored(rng, n, 2),
        "music": lambda rng: _music(rng, n),
        "babble": lambda rng: _babble(rng, n, sentence_clips, 1),
        "crowd": lambda rng: _babble(rng, n, sentence_clips, 4),
        "near_words": lambda rng: _babble(rng, n, word_clips, 1),
    }
    paths = {}
    for seed, (name, make) in enumerate(makers.items()):
        path = folder / f"{name}.wav"
        if not path.exists():
            x = make(np.random.default_rng(1000 + seed))
            write_wav(path, np.clip(np.rint(x * 4096), -32768, 32767).astype(np.int16), SAMPLE_RATE)
        paths[name] = path
    return paths


def _background_entries(
    rng: np.random.Generator, paths: dict[str, Path], length: float, levels: Sequence[float],
    kinds: Sequence[str], segment: float = 30.0,
) -> list[list]:  # fmt: skip
    entries = []
    t = 0.0
    i = 0
    while t < length:
        stop = min(length, t + segment)
        kind = kinds[i % len(kinds)]
        entries.append(
            [str(paths[kind]), t, stop, float(levels[int(rng.integers(0, len(levels)))])]
        )
        t = stop
        i += 1
    return entries


def positives_spec(model: str, out: Path, seed: int = 1) -> dict:
    """The MLPerf-format spec of a model's positives stream."""
    rng = np.random.default_rng(seed)
    paths = backgrounds(out)
    clips: list[str] = []
    for word in MODEL_WORDS[model]:
        clips += [str(speak(word, v, out / "speech" / f"w_{word}_{v.replace('+', '_')}.wav"))
                  for v in VOICES]  # fmt: skip
        clips += [str(project_root() / "tests" / "data" / "audio" / f"{c}.wav")
                  for c in RECORDED.get(word, ())]  # fmt: skip
    # Every clip at every gain, in a shuffled order (at least POSITIVE_WORDS words).
    combos = [(c, g) for c in clips for g in GAINS]
    order = [combos[i] for i in rng.permutation(len(combos))]
    words = []
    t = 2.0
    for k in range(max(POSITIVE_WORDS, len(combos))):
        clip, gain = order[k % len(order)]
        words.append([clip, round(t, 3), gain])
        t += float(rng.uniform(5.0, 8.0))
    length = round(t + 2.0, 3)
    kinds = ("pink", "music", "babble", "white", "brown", "crowd")
    return {
        "configs_background": _background_entries(rng, paths, length, (BACKGROUND_LEVEL,), kinds),
        "configs_wakeword": words,
        "length_sec": length,
        "sample_rate": SAMPLE_RATE,
    }


def word_of(clip: str) -> str:
    """The word a positives clip says (its file name: w_<word>_<voice> or <word>_...)."""
    name = Path(clip).stem
    return name.split("_")[1] if name.startswith("w_") else name.split("_")[0]


def negatives_spec(out: Path, minutes: int = NEGATIVE_MINUTES, seed: int = 2) -> dict:
    rng = np.random.default_rng(seed)
    paths = backgrounds(out)
    length = 60.0 * minutes
    kinds = ("babble", "music", "pink", "crowd", "white", "brown")
    return {
        "configs_background": _background_entries(rng, paths, length, (0.03, 0.1, 0.3, 0.5), kinds),
        "configs_wakeword": [],
        "length_sec": length,
        "sample_rate": SAMPLE_RATE,
    }


def near_words_spec(out: Path, minutes: int = NEAR_MINUTES, seed: int = 3) -> dict:
    rng = np.random.default_rng(seed)
    paths = backgrounds(out)
    length = 60.0 * minutes
    words = _background_entries(rng, paths, length, (0.3, 0.5), ("near_words",), 60.0)
    noise = _background_entries(rng, paths, length, (0.03,), ("pink",), 60.0)
    return {
        "configs_background": words + noise,
        "configs_wakeword": [],
        "length_sec": length,
        "sample_rate": SAMPLE_RATE,
    }


def build(
    out: Path, models: Sequence[str] = tuple(MODEL_WORDS), minutes: int = NEGATIVE_MINUTES
) -> None:
    """Write the positives of each model and the negatives into out/."""
    for model in models:
        folder = out / model
        folder.mkdir(parents=True, exist_ok=True)
        spec = positives_spec(model, out)
        samples, truth = render(spec)
        write_wav(folder / "positives.wav", samples, SAMPLE_RATE)
        (folder / "positives.json").write_text(json.dumps(spec, indent=1) + "\n")
        labelled = [type(w)(word_of(w.clip or ""), w.start_s, w.end_s, w.gain, w.clip)
                    for w in truth.words]  # fmt: skip
        write_csv(folder / "positives.csv", labelled)
        print(f"earshot streams: {folder}/positives.wav: {len(labelled)} words, "
              f"{len(samples) / SAMPLE_RATE:.0f} s", file=sys.stderr)  # fmt: skip
    for name, spec in (("negatives", negatives_spec(out, minutes)),
                       ("near_words", near_words_spec(out))):  # fmt: skip
        if (out / f"{name}.wav").exists() and (out / f"{name}.json").read_text() == (
            json.dumps(spec, indent=1) + "\n"
        ):
            continue  # made already (an hour of audio: not rewritten when unchanged)
        samples, _ = render(spec)
        write_wav(out / f"{name}.wav", samples, SAMPLE_RATE)
        (out / f"{name}.json").write_text(json.dumps(spec, indent=1) + "\n")
        (out / f"{name}.csv").write_text("label,start_s,end_s\n")
        print(f"earshot streams: {out}/{name}.wav: {spec['length_sec'] / 60:.0f} min",
              file=sys.stderr)  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m earshot_host.streams",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("out", type=Path, help="output folder (e.g. build/streams)")
    parser.add_argument("--models", default=",".join(MODEL_WORDS))
    parser.add_argument("--minutes", type=int, default=NEGATIVE_MINUTES, help="of negatives")
    args = parser.parse_args(argv)
    try:
        build(args.out, [m for m in args.models.split(",") if m], args.minutes)
    except (EarshotError, subprocess.CalledProcessError) as err:
        print(f"earshot: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
