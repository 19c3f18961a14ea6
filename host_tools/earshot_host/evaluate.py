"""Scoring a detector on a labelled stream, as MLPerf Tiny's streaming wake word
benchmark does.

A word is found when a detection of its label falls in [start, end + 0.5 s] (inclusive);
further detections inside the same interval are neither found again nor false; every
other detection of a label of the truth is false; detections of labels absent from the
truth are reported apart. false_per_hour is the false detections over the stream's whole
duration, frr the missed words over all words. Each found word's latency is the time of
the detection that found it minus the word's end.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .truth import Truth, Word

TOLERANCE_S = 0.5  # a detection counts up to this long after the word's end


@dataclass(frozen=True)
class Detection:
    t_s: float
    label: str
    score: float | None = None


@dataclass
class Evaluation:
    words: int
    found: int
    missed: int
    false: int
    duration_s: float
    latencies_s: list[float] = field(default_factory=list)
    missed_words: list[Word] = field(default_factory=list)
    false_detections: list[Detection] = field(default_factory=list)
    other_labels: dict[str, int] = field(default_factory=dict)
    settings: dict[str, Any] | None = None

    @property
    def false_per_hour(self) -> float:
        return self.false * 3600.0 / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def frr(self) -> float:
        return self.missed / self.words if self.words else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "found": self.found,
            "missed": self.missed,
            "false": self.false,
            "false_per_hour": round(self.false_per_hour, 3),
            "frr": round(self.frr, 4),
            "words": self.words,
            "duration_s": round(self.duration_s, 3),
            "latencies_s": [round(t, 3) for t in self.latencies_s],
            "missed_words": [asdict(w) for w in self.missed_words],
            "false_detections": [asdict(d) for d in self.false_detections],
            "other_labels": self.other_labels,
            "settings": self.settings,
        }


def match(
    detections: list[Detection],
    truth: Truth,
    duration_s: float,
    labels: set[str] | None = None,
) -> Evaluation:
    """The MLPerf matching of detections against the truth. labels: the labels whose
    detections count (found or false); default the truth's (a stream of negatives has no
    words: give the labels the model reports)."""
    words = truth.words
    labels = truth.labels if labels is None else labels | truth.labels
    found_by: dict[int, float] = {}  # word index -> latency of its finding detection
    false: list[Detection] = []
    other: dict[str, int] = {}
    for d in sorted(detections, key=lambda d: d.t_s):
        if d.label not in labels:
            other[d.label] = other.get(d.label, 0) + 1
            continue
        inside = [
            i
            for i, w in enumerate(words)
            if w.label == d.label and w.start_s <= d.t_s <= w.end_s + TOLERANCE_S
        ]
        if not inside:
            false.append(d)
            continue
        fresh = [i for i in inside if i not in found_by]
        if fresh:
            i = fresh[0]
            found_by[i] = d.t_s - words[i].end_s
        # else: a further detection inside an interval already found: neither
    missed = [w for i, w in enumerate(words) if i not in found_by]
    return Evaluation(
        words=len(words),
        found=len(found_by),
        missed=len(missed),
        false=len(false),
        duration_s=duration_s,
        latencies_s=[found_by[i] for i in sorted(found_by)],
        missed_words=missed,
        false_detections=false,
        other_labels=other,
    )


def detections_of(messages: list[dict[str, Any]]) -> list[Detection]:
    """The detections of a session's protocol messages (t_ms from the stream's start)."""
    return [
        Detection(m["t_ms"] / 1000.0, str(m["label"]), m.get("score"))
        for m in messages
        if m.get("type") == "detection"
    ]


def plot(
    path: Path,
    evaluation: Evaluation,
    truth: Truth,
    detections: list[Detection],
    trace: list[tuple[float, float]],
    threshold: float | None,
    title: str = "",
) -> None:
    """Score trace (probability of the truth's label per inference), threshold, truth
    spans and detections (found, false) over time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(8.0, min(40.0, evaluation.duration_s / 10)), 3.5))
    for i, w in enumerate(truth.words):
        ax.axvspan(w.start_s, w.end_s + TOLERANCE_S, color="tab:green", alpha=0.15,
                   label="word (+0.5 s)" if i == 0 else None)  # fmt: skip
    if trace:
        ax.plot([t for t, _ in trace], [p for _, p in trace], lw=0.8, color="tab:blue",
                label="score")  # fmt: skip
    if threshold is not None:
        ax.axhline(threshold, color="tab:red", ls="--", lw=0.8, label="threshold")
    false_times = {d.t_s for d in evaluation.false_detections}
    for d in detections:
        if d.label in truth.labels:
            color = "tab:red" if d.t_s in false_times else "tab:green"
            ax.axvline(d.t_s, color=color, lw=1.2)
    ax.set_xlim(0, evaluation.duration_s)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("s")
    ax.set_ylabel("probability")
    ax.set_title(
        title + f"  found {evaluation.found}/{evaluation.words}, false {evaluation.false} "
        f"({evaluation.false_per_hour:.2f}/h)"
    )
    ax.legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
