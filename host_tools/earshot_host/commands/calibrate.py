"""earshot calibrate: sweep a model's detector settings over labelled positives and long
negatives; print the trade-off curve and write the chosen settings file."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .. import detector_settings
from ..calibrate import calibrate, choose, pareto, plot_curve
from ..errors import EarshotError
from ..replay import model_metadata

EXAMPLES = """examples:
  earshot calibrate --model mlperf_sww --positives build/streams/mlperf_sww/positives.wav \\
      --negatives build/streams/negatives.wav -o sww.json --plot sww.png
  earshot listen --target unix --model mlperf_sww --wav speech.wav --settings sww.json
  earshot flash-model mlperf_sww --port /dev/pts/5 --settings sww.json

Each positives WAV has its truth beside it: NAME.csv (label,start_s,end_s) or NAME.json
(MLPerf stream spec; its words are the model's wake word, or --label). Negatives hold no
word: every detection there is false. The model runs once per WAV on the target (its
scores); the device's detection rule is replayed on the host for every setting of the
sweep (threshold, averaging window, minimum count; esphome rule: cutoff and window).
The chosen settings find the most words with at most --max-false-per-hour false
detections per hour of negatives.
"""

NAME = "calibrate"
HELP = "choose detector settings from labelled positives and long negatives"
DESCRIPTION = "Sweep a model's detector settings and write the best as a settings file."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="a model of models/")
    parser.add_argument("--positives", nargs="+", required=True, type=Path, metavar="WAV")
    parser.add_argument("--negatives", nargs="+", required=True, type=Path, metavar="WAV")
    parser.add_argument("--target", default="unix", help="where the model runs (default unix)")
    parser.add_argument("--label", help="the label of MLPerf-spec words (default: the model's)")
    parser.add_argument("--max-false-per-hour", type=float, default=1.0, metavar="N")
    parser.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="settings file (MODEL.settings.json)"
    )
    parser.add_argument(
        "--cache", type=Path, metavar="DIR", help="keep the score traces here, to sweep again"
    )
    parser.add_argument("--plot", type=Path, metavar="PNG", help="the trade-off curve")
    parser.add_argument("--json", type=Path, metavar="FILE", help="every point of the sweep")


def run(args: argparse.Namespace) -> int:
    for wav in [*args.positives, *args.negatives]:
        if not wav.is_file():
            raise EarshotError(f"no WAV file {wav}")
    if args.max_false_per_hour < 0:
        raise EarshotError("--max-false-per-hour must be 0 or more")
    meta = model_metadata(args.model)
    label = args.label
    if label is None and any(
        w.with_suffix(".json").is_file() and not w.with_suffix(".csv").is_file()
        for w in args.positives
    ):
        from .evaluate import wake_label

        label = wake_label(meta, None)
    points, _ = calibrate(
        args.target, args.model, meta, args.positives, args.negatives, label, cache=args.cache
    )
    if args.json:
        args.json.write_text(json.dumps([p.as_dict() for p in points], indent=1) + "\n")
    print("trade-off (false in negatives, per hour -> best found):")
    for p in pareto(points):
        print(f"  {p.false_negatives:4d} ({p.false_per_hour:6.2f}/h)  {p.found}/{p.words} "
              f"({p.recall:.1%})  {json.dumps(p.settings, sort_keys=True)}")  # fmt: skip
    chosen = choose(points, args.max_false_per_hour)
    print(f"chosen: {json.dumps(chosen.settings, sort_keys=True)}: {chosen.found}/{chosen.words} "
          f"words found ({chosen.recall:.1%}), {chosen.false_negatives} false in "
          f"{chosen.negative_s / 3600:.2f} h of negatives ({chosen.false_per_hour:.2f}/h), "
          f"{chosen.false_positives} false in the positives")  # fmt: skip
    for gain, (found, words) in sorted(chosen.by_gain.items()):
        print(f"  gain {gain:g}: {found}/{words}")
    output = args.output or Path(f"{args.model}.settings.json")
    detector_settings.save(output, chosen.settings)
    print(f"earshot calibrate: wrote {output}")
    if args.plot:
        plot_curve(args.plot, points, chosen, f"{args.model}: detector settings")
    return 0
