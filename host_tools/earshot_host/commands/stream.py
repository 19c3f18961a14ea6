"""earshot stream: play a WAV to a board's detector over its serial port."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import EarshotError
from ..stream import stream_wav
from ..targets import open_target
from ..watch import EventLog, Message, Watcher, render_plot
from .targeting import add_device_options, add_target, device_args

EXAMPLES = """examples:
  earshot stream speech.wav --port /dev/ttyACM0
  earshot stream marvin.wav --port /dev/pts/5 --model mlperf_sww --realtime
  earshot stream speech.wav --port /dev/pts/5 --watch --log session.jsonl --plot session.png

The board (a board without a microphone, or a QEMU board started with `earshot
flash-firmware`) runs its detector from the raw REPL and hears the WAV as protocol lines.
Without --watch, stream reads the port only until the board's hello, then only writes:
run `earshot watch --port PORT` beside it (before or after) to see the detections. With
--watch it shows and logs the board's messages itself, as `earshot watch` would, and
waits for the board's end.
"""


NAME = "stream"
HELP = "send a WAV to a board's detector over serial (boards without a microphone, QEMU)"
DESCRIPTION = "Stream a WAV to the detector of a board on a serial port."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("wav", type=Path, help="16-bit PCM WAV at the model's sample rate")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--port", dest="target", metavar="PORT", help="serial port (/dev/ttyACM0, a pty path)"
    )
    add_target(where, required=False)
    parser.add_argument(
        "--model",
        default=None,
        help="a model frozen into the firmware (default: the board's active model: its "
        "newest flashed model, else the frozen default)",
    )
    parser.add_argument("--realtime", action="store_true", help="send at the speed of audio")
    parser.add_argument(
        "--stats-ms",
        type=int,
        default=10_000,
        metavar="MS",
        help="the board's stats period in audio ms (0: off)",
    )
    parser.add_argument(
        "--watch",
        action="store_true",
        help="show the board's messages (as earshot watch) and wait for its end",
    )
    parser.add_argument("--json", action="store_true", help="with --watch: print JSON lines")
    parser.add_argument(
        "--log", type=Path, metavar="FILE", help="with --watch: log every event (.jsonl or .csv)"
    )
    parser.add_argument(
        "--plot",
        type=Path,
        metavar="PNG",
        help="with --watch: plot the session's detections at the end",
    )
    add_device_options(parser, exclude=("--stats-ms",))


def run(args: argparse.Namespace) -> int:
    if (args.log or args.plot or args.json) and not args.watch:
        raise EarshotError("--log, --plot and --json need --watch (or run `earshot watch`)")
    if not args.wav.is_file():
        raise EarshotError(f"no WAV file {args.wav}")
    if args.stats_ms < 0:
        raise EarshotError("--stats-ms must be 0 or more")
    watcher = None
    if args.watch:
        watcher = Watcher(log=EventLog(args.log) if args.log else None, as_json=args.json)

    def on_hello(message: Message) -> None:
        if watcher is None:
            source = f" [{message['source']}]" if message.get("source") else ""
            print(
                f"earshot stream: {args.port}: listening with {message.get('model')}"
                f"{source}; streaming audio",
                file=sys.stderr,
                flush=True,
            )

    shown = []

    def progress(done: int, total: int) -> None:
        # A progress line on a terminal only; it is ended before any other message.
        if sys.stderr.isatty():
            shown.append(done)
            print(f"\r{args.port}: {done}/{total} hops", end="", file=sys.stderr, flush=True)

    target = open_target(args.target)
    try:
        args.port = target.serial_port()
        result = stream_wav(
            args.port,
            args.wav,
            args.model,
            args.realtime,
            on_message=watcher.handle if watcher else None,
            progress=None if watcher else progress,
            stats_ms=args.stats_ms,
            on_hello=on_hello,
            device_args=device_args(args, exclude=("--stats-ms",)),
        )
    finally:
        target.close()
        if shown:
            print(file=sys.stderr)
        if watcher and watcher.log:
            watcher.log.close()
    print(
        f"earshot stream: sent {result.hops} hops ({result.audio_s:.2f} s of audio) in "
        f"{result.wall_s:.2f} s",
        file=sys.stderr,
    )
    if watcher:
        if result.session is not None:
            watcher.garbage += len(result.session.other)
        if args.plot:
            render_plot(watcher, args.plot)
        if watcher.errors:
            raise EarshotError(f"the board reported: {watcher.errors[0]}")
    return 0
