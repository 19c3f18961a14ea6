"""Watch a board's console: the JSON lines of protocol v1 (firmware/earshot/protocol.py:
hello, detection, stats, error, end) shown as readable lines, logged, and plotted.

The Watcher is the one place that turns protocol messages into output; `earshot watch`
feeds it lines read from a port, `earshot stream --watch` feeds it the messages of its
own session. Lines that are not protocol messages (the MicroPython banner, raw-REPL
prompts, noise on the line) are counted, never fatal; a hello after the first one means
the board was reset.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TextIO

from .errors import EarshotError
from .serial_port import BAUDRATE, LineReader, PortGone, wait_for_port

Message = dict[str, Any]
TYPES = ("hello", "detection", "stats", "error", "end")
CSV_COLUMNS = (
    "wall_s",
    "type",
    "t_ms",
    "label",
    "score",
    "model",
    "hops",
    "inferences",
    "gated",
    "overruns",
    "dropped",
    "malformed",
    "heap_free",
    "message",
)
BAR_WIDTH = 20


def parse_line(raw: bytes | str) -> Message | None:
    """The protocol message on a line, or None. Tolerates what a raw REPL puts around
    program output ("OK" before the first line, Ctrl-D bytes) and control characters."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    start = text.find("{")
    if start < 0:
        return None
    text = "".join(c for c in text[start:] if c >= " ").strip()
    try:
        message = json.loads(text)
    except ValueError:
        return None
    if isinstance(message, dict) and message.get("v") == 1 and message.get("type") in TYPES:
        return message
    return None


def score_bar(score: float) -> str:
    filled = round(max(0.0, min(1.0, score)) * BAR_WIDTH)
    return "#" * filled + "." * (BAR_WIDTH - filled)


@dataclass
class Point:
    """A detection on the session's time axis (audio seconds, continued across resets)."""

    t_s: float
    label: str
    score: float


class EventLog:
    """Every protocol message with the wall time it arrived: JSON lines (.jsonl) or CSV
    (.csv), chosen by the file's extension."""

    def __init__(self, path: Path) -> None:
        suffix = path.suffix.lower()
        if suffix not in (".jsonl", ".csv"):
            raise EarshotError(f"log {path}: give a .jsonl or .csv file")
        try:
            self.file: IO[str] = path.open("w", newline="")
        except OSError as err:
            raise EarshotError(f"cannot write {path}: {err.strerror}") from err
        self.csv = csv.DictWriter(self.file, CSV_COLUMNS, extrasaction="ignore")
        self.is_csv = suffix == ".csv"
        if self.is_csv:
            self.csv.writeheader()

    def write(self, wall_s: float, message: Message) -> None:
        row = {"wall_s": round(wall_s, 3), **message}
        if self.is_csv:
            self.csv.writerow(row)
        else:
            self.file.write(json.dumps(row) + "\n")
        self.file.flush()

    def close(self) -> None:
        self.file.close()


@dataclass
class Watcher:
    """Shows, counts and logs protocol messages."""

    out: TextIO = field(default_factory=lambda: sys.stdout)
    log: EventLog | None = None
    as_json: bool = False
    quiet: bool = False
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TYPES, 0))
    garbage: int = 0
    resets: int = 0
    reconnects: int = 0
    points: list[Point] = field(default_factory=list)
    stats: list[tuple[float, Message]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    ended: bool = False
    model: str = ""
    labels: list[str] = field(default_factory=list)
    offset_s: float = 0.0  # audio time of earlier boots (the board's t_ms restarts at reset)
    last_s: float = 0.0
    started: float = field(default_factory=time.time)

    def feed(self, raw: bytes | str) -> Message | None:
        """One line from the port: a protocol message is handled, anything else counted."""
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        if not text.strip(" \r\n\x04>"):
            return None  # empty lines, raw-REPL prompts
        message = parse_line(text)
        if message is None:
            self.garbage += 1
            return None
        self.handle(message)
        return message

    def handle(self, message: Message) -> None:
        kind = message["type"]
        self.counts[kind] += 1
        if self.log:
            self.log.write(time.time(), message)
        if "t_ms" in message and isinstance(message["t_ms"], int | float):
            self.last_s = self.offset_s + message["t_ms"] / 1000
        if kind == "hello":
            if self.counts["hello"] > 1:
                self.resets += 1
                self.offset_s = self.last_s
                self.note(f"board reset (hello again, reset {self.resets})")
            self.model = str(message.get("model", ""))
            self.labels = [str(x) for x in message.get("labels", [])]
            self.ended = False
        elif kind == "detection":
            self.points.append(Point(self.last_s, str(message["label"]), float(message["score"])))
        elif kind == "stats":
            self.stats.append((self.last_s, message))
        elif kind == "error":
            self.errors.append(str(message.get("message", "")))
        elif kind == "end":
            self.ended = True
        self.show(message)

    def show(self, message: Message) -> None:
        if self.quiet:
            return
        if self.as_json:
            print(json.dumps(message), file=self.out, flush=True)
            return
        clock = time.strftime("%H:%M:%S")
        kind = message["type"]
        if kind == "hello":
            labels = ", ".join(self.labels)
            line = f"{clock}  listening: {self.model} ({labels})"
        elif kind == "detection":
            score = float(message["score"])
            line = (
                f"{clock}  {message['t_ms'] / 1000:8.2f} s  {message['label']:<12} "
                f"{score:4.2f} {score_bar(score)}"
            )
        elif kind == "stats":
            line = f"{clock}  -- {self.stats_line(message)}"
        elif kind == "error":
            line = f"{clock}  board error: {message.get('message', '')}"
        else:
            line = f"{clock}  end of audio at {message['t_ms'] / 1000:.2f} s"
        print(line, file=self.out, flush=True)

    def stats_line(self, message: Message) -> str:
        t = message.get("t_ms", 0) / 1000
        return (
            f"{t:.1f} s audio: {message.get('hops', 0)} hops, "
            f"{message.get('inferences', 0)} inferences, {message.get('gated', 0)} gated, "
            f"{message.get('overruns', 0)} overruns, {message.get('malformed', 0)} malformed, "
            f"{message.get('heap_free', 0)} B free | {self.counts['detection']} detections, "
            f"{self.garbage} garbage lines, {self.resets} resets"
        )

    def note(self, text: str) -> None:
        """A message of the watcher itself (port lost, board reset): on stderr."""
        print(f"earshot watch: {text}", file=sys.stderr, flush=True)

    def summary(self) -> str:
        return (
            f"{self.counts['detection']} detections, {self.counts['stats']} stats, "
            f"{self.counts['error']} errors, {self.garbage} garbage lines, "
            f"{self.resets} resets, {self.reconnects} reconnects"
        )


@dataclass
class WatchOptions:
    duration: float | None = None  # seconds of wall time; None: until stopped
    until_end: bool = False  # stop at the board's end line
    reconnect: float | None = 60.0  # wait this long for a vanished port; None: fail at once
    baudrate: int = BAUDRATE


def watch_port(
    path: str,
    watcher: Watcher,
    options: WatchOptions,
    on_open: Callable[[], None] | None = None,
) -> str:
    """Read a port into the watcher until the duration is over or (with until_end) the
    board's end line; returns why it stopped ("duration", "end"). A port that goes away is
    waited for and reopened (options.reconnect seconds at most), or is an error."""
    deadline = None if options.duration is None else time.monotonic() + options.duration
    reader = LineReader(path, options.baudrate)
    if on_open:
        on_open()
    try:
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return "duration"
            try:
                lines = reader.read_lines(0.2 if left is None else min(0.2, left))
            except PortGone as err:
                reader.close()
                if options.reconnect is None:
                    raise EarshotError(
                        f"{path} closed ({err}): the board was unplugged or its emulator stopped"
                    ) from None
                wait = options.reconnect
                if left is not None:
                    wait = min(wait, max(0.0, left))
                watcher.note(f"{path} went away ({err}); waiting up to {wait:g} s for it")
                reader = wait_for_port(path, wait, options.baudrate)
                watcher.reconnects += 1
                watcher.note(f"{path} is back; watching again")
                continue
            for line in lines:
                message = watcher.feed(line)
                if options.until_end and message and message["type"] == "end":
                    return "end"
    finally:
        reader.close()


def render_plot(watcher: Watcher, path: Path, title: str = "") -> None:
    """The session's score timeline (every detection, by label, on the audio time axis)
    and, below it, the board's inference and overrun counts from its stats lines."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise EarshotError("--plot needs matplotlib (pip install matplotlib)") from err
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(10, 5), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    end_s = max([watcher.last_s] + [p.t_s for p in watcher.points] + [1.0])
    labels = sorted({p.label for p in watcher.points})
    for index, label in enumerate(labels):
        points = [p for p in watcher.points if p.label == label]
        xs = [p.t_s for p in points]
        ys = [p.score for p in points]
        colour = f"C{index % 10}"
        top.vlines(xs, 0, ys, colors=colour, linewidth=2)
        top.scatter(xs, ys, color=colour, label=label, zorder=3)
        for p in points:
            top.annotate(
                f"{p.label} {p.score:.2f}",
                (p.t_s, p.score),
                textcoords="offset points",
                xytext=(3, 4),
                fontsize=8,
            )
    top.set_ylim(0, 1.1)
    top.set_xlim(0, end_s * 1.02)
    top.set_ylabel("detection score")
    top.set_title(
        title or f"earshot session: {watcher.model or 'board'} ({len(watcher.points)} detections)"
    )
    if labels:
        top.legend(loc="upper right", fontsize=8)
    top.grid(alpha=0.3)
    if watcher.stats:
        xs = [0.0] + [t for t, _ in watcher.stats]
        bottom.step(
            xs,
            [0] + [m.get("inferences", 0) for _, m in watcher.stats],
            where="post",
            label="inferences",
        )
        bottom.step(
            xs,
            [0] + [m.get("overruns", 0) for _, m in watcher.stats],
            where="post",
            label="overruns",
        )
        bottom.legend(loc="upper left", fontsize=8)
    bottom.set_xlabel("audio time (s)")
    bottom.set_ylabel("count")
    bottom.grid(alpha=0.3)
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=100)
    except (OSError, ValueError) as err:
        raise EarshotError(f"cannot write the plot {path}: {err}") from err
    finally:
        plt.close(fig)
