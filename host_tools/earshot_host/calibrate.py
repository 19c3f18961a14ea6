"""Calibrating a model's detector settings on labelled positives and long negatives.

The model runs once per stream on a target (`--scores`: every inference's raw output);
the device's own detection rule (replay: firmware/earshot/detect.py run on the host)
then replays each trace under every candidate setting of the sweep, and each candidate is
scored as `earshot evaluate` scores a run (MLPerf's matching; on negatives every
detection of a label the model reports is false). The chosen settings find the most
planted words with at most the allowed false detections per hour of negatives (ties:
fewer false detections, then the higher threshold, then the shorter window).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import EarshotError
from .evaluate import match
from .listen import listen
from .replay import ScoreTrace, replay, settings_in_force
from .session import read_audio
from .truth import Truth, read_truth


@dataclass
class Stream:
    wav: Path
    truth: Truth
    duration_s: float
    trace: ScoreTrace
    positive: bool


@dataclass
class Point:
    """One candidate's score over every stream."""

    settings: dict[str, Any]
    words: int = 0
    found: int = 0
    false_positives: int = 0  # false detections in the positives streams
    false_negatives: int = 0  # detections in the negatives
    negative_s: float = 0.0
    by_gain: dict[float, list[int]] = field(default_factory=dict)  # gain -> [found, words]

    @property
    def recall(self) -> float:
        return self.found / self.words if self.words else 0.0

    @property
    def false_per_hour(self) -> float:
        return self.false_negatives * 3600.0 / self.negative_s if self.negative_s else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "settings": self.settings,
            "found": self.found,
            "words": self.words,
            "recall": round(self.recall, 4),
            "false_in_positives": self.false_positives,
            "false_in_negatives": self.false_negatives,
            "negatives_s": round(self.negative_s, 1),
            "false_per_hour": round(self.false_per_hour, 3),
            "by_gain": {str(g): v for g, v in sorted(self.by_gain.items())},
        }


def truth_beside(wav: Path, label: str | None) -> Truth:
    """The truth of a positives WAV: its .csv (labels), else its MLPerf spec .json (the
    wake word), beside it; with both, the words' gains come from the spec."""
    csv, spec = wav.with_suffix(".csv"), wav.with_suffix(".json")
    if csv.is_file():
        truth = read_truth(csv)
        if spec.is_file():
            gains = {round(w.start_s, 3): w for w in read_truth(spec, "word").words}
            words = [replace(w, gain=gains[round(w.start_s, 3)].gain,
                             clip=gains[round(w.start_s, 3)].clip)
                     if round(w.start_s, 3) in gains else w for w in truth.words]  # fmt: skip
            truth = Truth(words, truth.length_s)
        return truth
    if spec.is_file():
        if not label:
            raise EarshotError(f"{spec}: an MLPerf spec's words need --label")
        return read_truth(spec, label)
    raise EarshotError(f"{wav}: no truth beside it ({csv.name} or {spec.name})")


def trace_stream(target: str, model: str, wav: Path, device_args: Sequence[str] = ()) -> ScoreTrace:
    """The score trace of a model on a WAV, from a target's detector (`--scores`)."""
    session = listen(target, model, wav, ("--scores", *device_args))
    errors = session.of_type("error")
    if errors or session.error.strip():
        raise EarshotError(errors[0]["message"] if errors else session.error.strip())
    return ScoreTrace.from_messages(session.messages)


def cached_trace(cache: Path | None, target: str, model: str, wav: Path) -> ScoreTrace:
    """trace_stream, kept in cache/ (a JSON file per model, target and WAV: its size and
    time, the model file's and the firmware's) to sweep again without running the model."""
    if cache is None:
        return trace_stream(target, model, wav)
    from .boards import get_board
    from .catalog import load_catalog
    from .paths import project_root

    stamps = [wav.stat().st_size, wav.stat().st_mtime_ns,
              load_catalog()[model].model_path.stat().st_mtime_ns]  # fmt: skip
    firmware = get_board(target).firmware_path(project_root()) if "/" not in target else None
    if firmware is not None and firmware.is_file():
        stamps.append(firmware.stat().st_mtime_ns)
    key = hashlib.sha256(repr((target, model, str(wav.resolve()), stamps)).encode()).hexdigest()
    path = cache / f"{model}-{target.replace('/', '_')}-{wav.stem}-{key[:12]}.json"
    if path.is_file():
        data = json.loads(path.read_text())
        return ScoreTrace(**data)
    trace = trace_stream(target, model, wav)
    cache.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(trace)))
    return trace


def candidates(meta: dict[str, Any]) -> list[dict[str, Any]]:
    """The sweep: thresholds 0.30-0.99, windows of 1-8 inferences and around the
    model's own, minimum counts 1-4."""
    defaults = settings_in_force(meta, {})
    hop = int(meta["frontend"]["hop_ms"])
    period = hop * defaults["every"]
    thresholds = [round(0.3 + 0.05 * i, 2) for i in range(14)] + [0.97, 0.99]
    if defaults["rule"] == "esphome":
        windows = [period * n for n in range(1, 11)]
        return [
            {"threshold": t, "average_ms": w} for t, w in itertools.product(thresholds, windows)
        ]
    base = defaults["average_ms"]
    windows = sorted(
        {max(period, round(base * f / period) * period) for f in (0.5, 0.75, 1.0, 1.5)}
        | {period * n for n in (1, 2, 3, 4, 6, 8)}
    )
    counts = (1, 2, 3, 4)
    return [
        {"threshold": t, "average_ms": w, "min_count": c, "suppress_ms": defaults["suppress_ms"]}
        for t, w, c in itertools.product(thresholds, windows, counts)
        if c * period <= w + period
    ]


def score(
    meta: dict[str, Any], settings: dict[str, Any], streams: Sequence[Stream], labels: set[str]
) -> Point:
    point = Point(settings)
    for stream in streams:
        detections = replay(stream.trace, meta, settings)
        result = match(detections, stream.truth, stream.duration_s, labels)
        if stream.positive:
            point.words += result.words
            point.found += result.found
            point.false_positives += result.false
            missed = {(w.start_s, w.label) for w in result.missed_words}
            for w in stream.truth.words:
                tally = point.by_gain.setdefault(w.gain if w.gain is not None else 1.0, [0, 0])
                tally[1] += 1
                tally[0] += (w.start_s, w.label) not in missed
        else:
            point.false_negatives += result.false
            point.negative_s += stream.duration_s
    return point


def choose(points: Sequence[Point], max_false_per_hour: float) -> Point:
    allowed = [p for p in points if p.false_per_hour <= max_false_per_hour]
    if not allowed:
        raise EarshotError(
            f"no setting of the sweep keeps to {max_false_per_hour} false per hour "
            f"(the fewest: {min(p.false_per_hour for p in points):.2f})"
        )
    return max(
        allowed,
        key=lambda p: (
            p.found,
            -p.false_negatives - p.false_positives,
            p.settings["threshold"],
            -p.settings["average_ms"],
        ),
    )


def pareto(points: Sequence[Point]) -> list[Point]:
    """The trade-off curve: for each count of false detections in the negatives, the best
    recall (points no other point beats on both)."""
    front: list[Point] = []
    for p in sorted(points, key=lambda p: (p.false_negatives, -p.found)):
        if not front or p.found > front[-1].found:
            front.append(p)
    return front


def calibrate(
    target: str,
    model: str,
    meta: dict[str, Any],
    positives: Sequence[Path],
    negatives: Sequence[Path],
    label: str | None = None,
    log: Callable[[str], None] = lambda text: print(text, file=sys.stderr),
    cache: Path | None = None,
) -> tuple[list[Point], list[Stream]]:
    """Every candidate's point over the streams (traced once each on the target)."""
    streams = []
    for wav, positive in [(w, True) for w in positives] + [(w, False) for w in negatives]:
        truth = truth_beside(wav, label) if positive else Truth([])
        samples, rate = read_audio(wav)
        log(
            f"earshot calibrate: {model} on {target}: scores of {wav} ({len(samples) / rate:.0f} s)"
        )
        trace = cached_trace(cache, target, model, wav)
        streams.append(Stream(wav, truth, len(samples) / rate, trace, positive))
    ignore = set(meta.get("detector", {}).get("ignore", ()))
    labels = {x for x in meta["labels"] if x not in ignore}
    grid = candidates(meta)
    log(f"earshot calibrate: replaying {len(grid)} settings")
    return [score(meta, s, streams, labels) for s in grid], streams


def plot_curve(path: Path, points: Sequence[Point], chosen: Point, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.scatter([p.false_per_hour for p in points], [100 * p.recall for p in points], s=8,
               color="tab:gray", alpha=0.5, label="settings of the sweep")  # fmt: skip
    front = pareto(points)
    ax.plot([p.false_per_hour for p in front], [100 * p.recall for p in front], "-o", ms=3,
            color="tab:blue", label="trade-off curve")  # fmt: skip
    ax.plot([chosen.false_per_hour], [100 * chosen.recall], "*", ms=14, color="tab:red",
            label="chosen")  # fmt: skip
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlabel("false detections per hour of negatives")
    ax.set_ylabel("planted words found (%)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
