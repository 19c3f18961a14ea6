"""earshot bridge: the detections of many boards onto an MQTT broker."""

from __future__ import annotations

import argparse
import contextlib

from ..errors import EarshotError
from ..fleet.bridge import Bridge, BridgeOptions
from ..fleet.broker import parse_broker

EXAMPLES = """examples:
  earshot bridge --broker mqtt://192.168.1.10:1883 --port /dev/ttyACM0 --port /dev/ttyACM1
  earshot bridge --broker localhost:1883 --port '/dev/ttyACM*'

Watches every port (a glob is scanned again for boards plugged in later) as `earshot
watch` does — surviving unplug, resets and garbage, sharing the port with `earshot
stream` — and publishes per board, <device> being the board's id (its hello's `device`)
or its port's name made safe (pts-5):
  earshot/<device>/detection      each detection (JSON, QoS 1; queued while the broker is away)
  earshot/<device>/stats          the periodic stats line
  earshot/<device>/availability   online / offline (retained)
  homeassistant/.../config        Home Assistant discovery: an event entity per label,
                                  sensors for heap and overruns (retained)
The bridge's own availability (earshot-bridge/<host>/availability) is its last will.
"""

NAME = "bridge"
HELP = "publish the detections of many boards to an MQTT broker"
DESCRIPTION = "Watch boards on serial ports and publish their detections to MQTT."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--broker", required=True, help="mqtt://HOST:PORT or HOST:PORT (port 1883 by default)"
    )
    parser.add_argument(
        "--port",
        action="append",
        required=True,
        metavar="PORT",
        help="a serial port or a glob of ports (repeat for more boards)",
    )
    parser.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    parser.add_argument("--prefix", default="earshot", help="topic prefix (default earshot)")
    parser.add_argument(
        "--discovery-prefix",
        default="homeassistant",
        help="Home Assistant discovery prefix (default homeassistant)",
    )
    parser.add_argument("--id", help="this bridge's id in its availability topic (default: host)")


def run(args: argparse.Namespace) -> int:
    if args.duration is not None and args.duration <= 0:
        raise EarshotError("--duration must be more than 0 s")
    options = BridgeOptions(prefix=args.prefix, discovery_prefix=args.discovery_prefix)
    if args.id:
        options.bridge_id = args.id
    bridge = Bridge(parse_broker(args.broker), args.port, options)
    bridge.note(f"publishing to {bridge.publisher.address} (Ctrl-C to stop)")
    with contextlib.suppress(KeyboardInterrupt):
        bridge.run(args.duration)
    total = sum(bridge.detections.values())
    bridge.note(f"stopped: {total} detections from {len(bridge.detections)} boards")
    return 0
