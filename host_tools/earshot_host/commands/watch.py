"""earshot watch: a console for the JSON lines a board prints (protocol v1)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import EarshotError
from ..serial_port import require_port
from ..targets import open_target
from ..watch import EventLog, Watcher, WatchOptions, render_plot, watch_port
from .targeting import add_target

EXAMPLES = """examples:
  earshot watch --port /dev/ttyACM0
  earshot watch --port /dev/ttyACM0 --log session.jsonl --plot session.png
  earshot watch --port /dev/pts/5 --until-end --log session.csv
  earshot watch --port /dev/ttyACM0 --duration 60 --no-reconnect

Shows each detection (time, label, score bar) and the board's stats line; survives the
board being unplugged and plugged back (the port is reopened when it reappears, within
--reconnect seconds), resets (a new hello) and garbage on the line (counted). Stops at
Ctrl-C, after --duration seconds, or at the board's end line with --until-end; then
writes the --plot. It can share a port with `earshot stream`: the streamer holds the
port while it starts the detector and then only writes; watch reads the rest.
"""


NAME = "watch"
HELP = "watch a board's detections over serial; log and plot them"
DESCRIPTION = "Watch the JSON-lines console of a board running the earshot detector."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--port", dest="target", metavar="PORT", help="serial port (/dev/ttyACM0, a pty path)"
    )
    add_target(where, required=False)
    parser.add_argument(
        "--log", type=Path, metavar="FILE", help="log every event: .jsonl (JSON lines) or .csv"
    )
    parser.add_argument(
        "--plot", type=Path, metavar="PNG", help="at exit, plot the session's detections and stats"
    )
    parser.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    parser.add_argument("--until-end", action="store_true", help="stop at the board's end line")
    parser.add_argument("--json", action="store_true", help="print the messages as JSON lines")
    parser.add_argument(
        "--reconnect",
        type=float,
        default=60.0,
        metavar="S",
        help="wait up to S s for a vanished port to come back (default 60)",
    )
    parser.add_argument(
        "--no-reconnect", action="store_true", help="a vanished port is an error at once"
    )
    parser.add_argument("--baud", type=int, default=115200, help="baud rate (default 115200)")


def run(args: argparse.Namespace) -> int:
    if args.duration is not None and args.duration <= 0:
        raise EarshotError("--duration must be more than 0 s")
    if args.reconnect < 0:
        raise EarshotError("--reconnect must be 0 s or more")
    target = open_target(args.target)
    args.port = target.serial_port()
    require_port(args.port)
    options = WatchOptions(
        duration=args.duration,
        until_end=args.until_end,
        reconnect=None if args.no_reconnect else args.reconnect,
        baudrate=args.baud,
    )
    watcher = Watcher(log=EventLog(args.log) if args.log else None, as_json=args.json)

    def opened() -> None:
        watcher.note(f"watching {args.port} (Ctrl-C to stop)")

    reason = "interrupted"
    failure: EarshotError | None = None
    try:
        reason = watch_port(args.port, watcher, options, opened)
    except KeyboardInterrupt:
        pass
    except EarshotError as err:
        failure, reason = err, "port lost"
    finally:
        target.close()
        if watcher.log:
            watcher.log.close()
    watcher.note(f"stopped ({reason}): {watcher.summary()}")
    if args.plot:
        render_plot(watcher, args.plot)
    if failure:
        raise failure
    if args.until_end and reason != "end":
        watcher.note("the board did not end its stream")
    return 0
