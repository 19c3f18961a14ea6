"""earshot evaluate: a target's detector on a long labelled stream, scored as MLPerf does."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .. import detector_settings
from ..errors import EarshotError
from ..evaluate import Evaluation, detections_of, match, plot
from ..listen import listen
from ..replay import ScoreTrace, model_metadata
from ..session import Message, read_audio
from ..truth import read_truth

EXAMPLES = """examples:
  earshot evaluate --target unix --model mlperf_sww --wav long.wav --truth long_wav_spec.json
  earshot evaluate --target qemu_m4 --model micro_speech --wav s.wav --truth s.csv --json
  earshot evaluate --target unix --model mlperf_sww --wav long.wav --truth spec.json \\
      --threshold 0.6 --plot long.png

TRUTH is MLPerf's stream spec JSON (its configs_wakeword entries [clip, start second,
gain] are words of the model's wake word label, or --label; each ends 1 s after its
start) or a CSV with the header line label,start_s,end_s. A word is found when a
detection of its label falls in [start, end + 0.5 s]; further detections inside that
interval are neither found again nor false; every other detection of a truth label is
false; detections of other labels are reported apart (a truth without words, a stream
of negatives: every detection of a label the model reports is false). false_per_hour is
over the WAV's whole duration; latency is each finding detection's time minus its word's
end.
With --json the last line of stdout is one JSON object (found, missed, false,
false_per_hour, frr, latencies_s, ...); other messages go to stderr.
"""

NAME = "evaluate"
HELP = "score a target's detector on a labelled stream (found, missed, false per hour)"
DESCRIPTION = "Run a target's detector on a long labelled WAV and score it as MLPerf does."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", required=True, help="a target of boards.toml or a serial port")
    parser.add_argument("--model", required=True, help="a model of models/")
    parser.add_argument("--wav", required=True, type=Path, help="the stream (16-bit PCM WAV)")
    parser.add_argument(
        "--truth", required=True, type=Path, help="MLPerf stream spec (.json) or CSV (.csv)"
    )
    parser.add_argument("--label", help="the label of an MLPerf spec's words (default: the "
                        "model's only reported label)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument("--plot", type=Path, metavar="PNG", help="plot scores, truth, detections")
    detector_settings.add_arguments(parser)


def wake_label(meta: dict, label: str | None) -> str:
    """--label, else the model's one label that is not ignored."""
    labels = list(meta.get("labels") or [])
    if label is not None:
        if label not in labels:
            raise EarshotError(f"--label {label!r} is not a label of the model ({labels})")
        return label
    ignore = set(meta.get("detector", {}).get("ignore", ()))
    reported = [x for x in labels if x not in ignore]
    if len(reported) != 1:
        raise EarshotError(f"give --label: the model reports {reported}")
    return reported[0]


def summary(e: Evaluation) -> str:
    lat = ", ".join(f"{t:+.2f}" for t in e.latencies_s)
    lines = [
        f"words {e.words}: found {e.found}, missed {e.missed} (frr {e.frr:.1%})",
        f"false {e.false} in {e.duration_s:.1f} s ({e.false_per_hour:.2f} per hour)",
        f"latency from the word's end (s): {lat or '-'}",
    ]
    lines += [f"missed: {w.label} at {w.start_s:.2f}-{w.end_s:.2f} s" for w in e.missed_words]
    lines += [f"false: {d.label} at {d.t_s:.2f} s" for d in e.false_detections]
    lines += [f"other labels: {k} x{v}" for k, v in sorted(e.other_labels.items())]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if not args.wav.is_file():
        raise EarshotError(f"no WAV file {args.wav}")
    meta = model_metadata(args.model)
    truth_path: Path = args.truth
    label = wake_label(meta, args.label) if truth_path.suffix.lower() == ".json" else None
    truth = read_truth(truth_path, label)
    samples, rate = read_audio(args.wav)
    duration = len(samples) / rate
    extra = detector_settings.device_args(detector_settings.from_args(args))
    if args.plot:
        extra.append("--scores")
    print(f"earshot evaluate: {args.model} on {args.target}: {args.wav} ({duration:.1f} s, "
          f"{len(truth.words)} words)", file=sys.stderr)  # fmt: skip

    def on_message(message: Message) -> None:
        if message.get("type") == "error":
            print(f"earshot evaluate: the board reported: {message.get('message')}",
                  file=sys.stderr)  # fmt: skip

    session = listen(args.target, args.model, args.wav, extra, on_message)
    errors = session.of_type("error")
    if errors or session.error.strip():
        raise EarshotError(errors[0]["message"] if errors else session.error.strip())
    hellos = session.of_type("hello")
    detections = detections_of(session.messages)
    # A stream of negatives (a truth without words): every detection of a label the
    # model reports is false.
    ignore = set(meta.get("detector", {}).get("ignore", ()))
    reported = {x for x in meta["labels"] if x not in ignore} if not truth.words else None
    result = match(detections, truth, duration, reported)
    result.settings = hellos[0].get("settings") if hellos else None
    if args.plot:
        trace = ScoreTrace.from_messages(session.messages)
        target_label = label or sorted(truth.labels)[0]
        out = meta["outputs"][0]
        scores = trace.probabilities(meta["labels"].index(target_label), out["scale"],
                                     out["zero_point"])  # fmt: skip
        threshold = result.settings.get("threshold") if result.settings else None
        plot(args.plot, result, truth, detections, scores, threshold, f"{args.model}")
    if args.json:
        print(json.dumps(result.as_dict()))
    else:
        print(summary(result))
    return 0
