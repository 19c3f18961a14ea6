"""Ground truth of a labelled stream: where each word is.

Two formats:

- MLPerf Tiny's stream spec (the JSON its streaming wake word benchmark builds its long
  WAV from): `configs_wakeword` is a list of [clip, start second, gain]; each entry is a
  word of the model's wake word label (or --label), and, a Speech Commands clip lasting
  1 s, it ends 1 s after its start. `length_sec` (optional) is the stream's length;
  `configs_background` entries [clip, start, stop, rms level] are not words.
- CSV with the header line `label,start_s,end_s`, one word per line.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import EarshotError

CLIP_S = 1.0  # a Speech Commands clip: MLPerf's spec gives only its start
CSV_HEADER = ["label", "start_s", "end_s"]


@dataclass(frozen=True)
class Word:
    label: str
    start_s: float
    end_s: float
    gain: float | None = None
    clip: str | None = None


@dataclass(frozen=True)
class Truth:
    words: list[Word]
    length_s: float | None = None  # the stream's length, when the truth says it

    @property
    def labels(self) -> set[str]:
        return {w.label for w in self.words}


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise EarshotError(f"{where}: {value!r} is not a number")
    return float(value)


def parse_mlperf_spec(spec: Any, label: str, where: str = "spec") -> Truth:
    """The words of an MLPerf stream spec (a parsed JSON object)."""
    if not isinstance(spec, dict) or "configs_wakeword" not in spec:
        raise EarshotError(f"{where}: not an MLPerf stream spec (no configs_wakeword)")
    entries = spec["configs_wakeword"]
    if not isinstance(entries, list):
        raise EarshotError(f"{where}: configs_wakeword is not a list")
    words = []
    for i, entry in enumerate(entries):
        at = f"{where}: configs_wakeword[{i}]"
        if not isinstance(entry, list) or len(entry) != 3 or not isinstance(entry[0], str):
            raise EarshotError(f"{at}: expected [clip, start second, gain], got {entry!r}")
        start = _number(entry[1], at + " start")
        gain = _number(entry[2], at + " gain")
        if start < 0:
            raise EarshotError(f"{at}: negative start {start}")
        words.append(Word(label, start, start + CLIP_S, gain, entry[0]))
    length = spec.get("length_sec")
    return Truth(
        sorted(words, key=lambda w: w.start_s),
        None if length is None else _number(length, where + ": length_sec"),
    )


def parse_csv(text: str, where: str = "truth") -> Truth:
    rows = list(csv.reader(text.splitlines()))
    if not rows or [c.strip() for c in rows[0]] != CSV_HEADER:
        raise EarshotError(f"{where}: the first line must be {','.join(CSV_HEADER)}")
    words = []
    for number, row in enumerate(rows[1:], start=2):
        if not row or not "".join(row).strip():
            continue
        at = f"{where}:{number}"
        if len(row) != 3 or not row[0].strip():
            raise EarshotError(f"{at}: expected label,start_s,end_s, got {','.join(row)!r}")
        try:
            start, end = float(row[1]), float(row[2])
        except ValueError:
            raise EarshotError(f"{at}: start_s and end_s must be numbers") from None
        if not (math.isfinite(start) and math.isfinite(end)) or start < 0 or end < start:
            raise EarshotError(f"{at}: need 0 <= start_s <= end_s, got {start}, {end}")
        words.append(Word(row[0].strip(), start, end))
    return Truth(sorted(words, key=lambda w: w.start_s))


def read_truth(path: Path, label: str | None = None) -> Truth:
    """The truth of a file: MLPerf stream spec (.json; needs the wake word's label) or
    CSV (.csv)."""
    try:
        text = path.read_text()
    except OSError as err:
        raise EarshotError(f"truth file {path}: {err.strerror or err}") from err
    if path.suffix.lower() == ".json":
        if not label:
            raise EarshotError(f"{path}: an MLPerf stream spec needs the wake word's label")
        try:
            spec = json.loads(text)
        except ValueError as err:
            raise EarshotError(f"{path}: not valid JSON ({err})") from err
        return parse_mlperf_spec(spec, label, str(path))
    if path.suffix.lower() == ".csv":
        return parse_csv(text, str(path))
    raise EarshotError(f"{path}: truth must be an MLPerf stream spec (.json) or a CSV (.csv)")


def write_csv(path: Path, words: list[Word]) -> None:
    lines = [",".join(CSV_HEADER)] + [f"{w.label},{w.start_s:.3f},{w.end_s:.3f}" for w in words]
    path.write_text("\n".join(lines) + "\n")


def write_mlperf_spec(
    path: Path,
    words: list[Word],
    length_s: float,
    background: list[tuple[str, float, float, float]] = (),  # type: ignore[assignment]
    sample_rate: int = 16_000,
) -> None:
    """An MLPerf-format stream spec of the words (their clip, start and gain)."""
    spec = {
        "configs_background": [list(b) for b in background],
        "configs_wakeword": [[w.clip or "", w.start_s, w.gain or 1.0] for w in words],
        "length_sec": length_s,
        "sample_rate": sample_rate,
    }
    path.write_text(json.dumps(spec, indent=1) + "\n")
