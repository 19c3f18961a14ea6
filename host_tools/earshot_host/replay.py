"""The detector replayed on the host from a board's score trace.

A board run with `--scores` prints every inference's raw output; the detection rules
(firmware/earshot/detect.py and esphome.py, imported as they are: device_code) fed the
same outputs at the same hops detect exactly as the board would with any other settings
of the rule (threshold, averaging window, minimum count, suppression). The model's
outputs do not depend on those, so `earshot calibrate` runs the model once per stream
and sweeps the settings here. A trace taken with an inference every N hops also replays
every k*N hops (every k-th of its inferences, from the first); the energy gate cannot be
replayed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .catalog import load_catalog
from .device_code import device_module
from .errors import EarshotError
from .evaluate import Detection
from .modelfile import read_model


def model_metadata(name: str) -> dict[str, Any]:
    """The metadata of a model of models/ (its converted .esm), as a board reads it."""
    catalog = load_catalog()
    if name not in catalog:
        raise EarshotError(f"model {name!r} is not one of models/ ({', '.join(sorted(catalog))})")
    return dict(read_model(catalog[name].model_path.read_bytes()).metadata)


@dataclass
class ScoreTrace:
    """Every inference of a run: its hop (1-based, the hop it ended on) and raw output."""

    hop_ms: int
    every: int
    hops: list[int] = field(default_factory=list)
    outputs: list[list[int]] = field(default_factory=list)
    end_hop: int = 0  # the last hop of the stream

    @classmethod
    def from_messages(cls, messages: list[dict[str, Any]]) -> ScoreTrace:
        hello = next((m for m in messages if m.get("type") == "hello"), None)
        if hello is None or "settings" not in hello:
            raise EarshotError("the board's output has no hello with settings")
        hop_ms = int(hello["hop_ms"])
        trace = cls(hop_ms, int(hello["settings"]["every"]))
        for m in messages:
            kind = m.get("type")
            if kind == "scores":
                trace.hops.append(int(m["t_ms"]) // hop_ms)
                trace.outputs.append([int(q) for q in m["q"]])
            elif kind == "end":
                trace.end_hop = int(m["t_ms"]) // hop_ms
        if not trace.hops:
            raise EarshotError("the board printed no scores (was it run with --scores?)")
        return trace

    def probabilities(self, index: int, scale: float, zero_point: int) -> list[tuple[float, float]]:
        """(time s, probability) of output `index` at each inference."""
        return [
            (h * self.hop_ms / 1000.0, min(1.0, max(0.0, (o[index] - zero_point) * scale)))
            for h, o in zip(self.hops, self.outputs, strict=True)
        ]


def settings_in_force(meta: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """What a board would use: the model's defaults, its shipped settings, then these."""
    detect = device_module("detect")
    try:
        return dict(detect.resolve(meta, meta["frontend"]["hop_ms"], settings))
    except ValueError as err:
        raise EarshotError(str(err)) from err


def replay(
    trace: ScoreTrace, meta: dict[str, Any], settings: dict[str, Any], whole: bool = False
) -> list[Detection]:
    """The detections of the model's detector with settings (over its defaults) on the
    trace, as a board with those settings prints them. The average rule replays only the
    stretches that can detect (_active), unless whole."""
    force = settings_in_force(meta, settings)
    every = force["every"]
    if every % trace.every:
        raise EarshotError(
            f"a trace with an inference every {trace.every} hops cannot replay every={every}"
        )
    if force.get("gate") is not None:
        raise EarshotError("the energy gate cannot be replayed from a score trace")
    detect = device_module("detect")
    ignore = tuple(meta.get("detector", {}).get("ignore", ()))
    zero_point = int(meta["outputs"][0]["zero_point"])

    def fresh() -> Any:
        return detect.make_detector(force, meta["labels"], trace.hop_ms, ignore, zero_point)

    # The board infers once the window is full, then every N hops: the trace's first
    # inference starts the schedule of any multiple of its N.
    first = trace.hops[0]
    runs = {
        h: o for h, o in zip(trace.hops, trace.outputs, strict=True) if (h - first) % every == 0
    }
    detector = fresh()
    if detector.every_hop:
        return _feed(detector, range(1, trace.end_hop + 1), runs, trace.hop_ms)
    if whole:
        return _feed(detector, sorted(runs), runs, trace.hop_ms)
    found: list[Detection] = []
    for hops in _active(runs, force, meta, ignore, zero_point, trace.hop_ms):
        found += _feed(fresh(), hops, runs, trace.hop_ms)
    return found


def _active(
    runs: dict[int, list[int]],
    force: dict[str, Any],
    meta: dict[str, Any],
    ignore: tuple[str, ...],
    zero_point: int,
    hop_ms: int,
) -> list[list[int]]:
    """The inference hops to replay (the average rule), in runs that a fresh detector
    replays exactly as the whole trace: a detection needs a score above the threshold in
    its window, so only stretches around such scores matter; and a stretch that starts
    more than a window plus the suppression after the last such score starts from the
    state of a new detector (every result evicted, no detection within suppress_ms)."""
    labels = meta["labels"]
    reported = [i for i, label in enumerate(labels) if label not in ignore]
    limit = int(force["threshold"] * 256)
    hops = sorted(runs)
    lead = -(-force["average_ms"] // hop_ms) + force["suppress_ms"] // hop_ms + 1
    groups: list[list[int]] = []
    last_high = None
    start = 0
    for hop in hops:
        if not any(runs[hop][i] - zero_point > limit for i in reported):
            continue
        if last_high is None or hop - last_high > 2 * lead:
            if last_high is not None:
                groups.append(_span(hops, start, last_high + lead))
            start = hop - lead
        last_high = hop
    if last_high is not None:
        groups.append(_span(hops, start, last_high + lead))
    return groups


def _span(hops: list[int], first: int, last: int) -> list[int]:
    return [h for h in hops if first <= h <= last]


def _feed(detector: Any, hops: Any, runs: dict[int, list[int]], hop_ms: int) -> list[Detection]:
    """Feed the detector the runs at these hops (every hop for a rule that sees them all)."""
    found: list[Detection] = []
    last = None
    for hop in hops:
        output = runs.get(hop)
        if output is not None:
            elapsed = hop if last is None else hop - last
            hit = detector.update(elapsed, bytes(q & 0xFF for q in output))
            last = hop
        else:
            hit = detector.update(1, None)
        if hit >= 0:
            score = round((detector.score * 100 + 128) // 256 / 100, 2)
            found.append(Detection(hop * hop_ms / 1000.0, detector.labels[hit], score))
    return found
