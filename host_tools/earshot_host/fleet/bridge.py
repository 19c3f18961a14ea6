"""`earshot bridge`: one process that watches any number of boards' serial ports and
publishes what they print onto MQTT (topics: fleet/topics.py).

Each port has a link: a thread that reads the port as `earshot watch` does (sharing it
with `earshot stream`, surviving unplug and reset) and turns protocol messages into
publications. A board names itself (`device`) and its model and labels in its hello line
and again in every stats line, so a bridge that missed the hello (a streamer held the port
then) still learns them; messages that arrive before that wait for it, at most
`identify_s` seconds, after which the port's own name stands in (older firmware). Ports
are given as paths or globs (`/dev/ttyACM*`): globs are scanned again every few seconds
for new boards.
"""

from __future__ import annotations

import contextlib
import glob
import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from .. import __version__
from ..serial_port import LineReader, PortGone
from ..watch import parse_line
from .broker import BrokerAddress, Publisher
from .topics import (
    DISCOVERY_PREFIX,
    OFFLINE,
    ONLINE,
    PREFIX,
    DeviceTopics,
    bridge_availability_topic,
    discovery_configs,
    port_device_id,
    safe_id,
)

Message = dict[str, Any]


@dataclass
class BridgeOptions:
    prefix: str = PREFIX
    discovery_prefix: str = DISCOVERY_PREFIX
    identify_s: float = 15.0  # wait this long for a board to name itself
    scan_s: float = 2.0  # look for new ports (globs) this often
    bridge_id: str = field(default_factory=lambda: safe_id(socket.gethostname()))


class Link:
    """One board on one serial port."""

    def __init__(self, bridge: Bridge, port: str) -> None:
        self.bridge = bridge
        self.port = port
        self.device = ""
        self.model = ""
        self.labels: list[str] = []
        self.online = False
        self.pending: list[Message] = []
        self.first_seen = 0.0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, name=f"bridge {port}", daemon=True)

    # -- reading --------------------------------------------------------------------------
    def run(self) -> None:
        reader: LineReader | None = None
        while not self.stop.is_set():
            if reader is None:
                reader = self._open()
                if reader is None:
                    self.stop.wait(0.2)
                    continue
            try:
                lines = reader.read_lines(0.2)
            except PortGone as err:
                reader.close()
                reader = None
                self.gone(str(err))
                continue
            for line in lines:
                message = parse_line(line)
                if message is not None:
                    self.take(message)
            self.flush_if_overdue()
        if reader is not None:
            reader.close()

    def _open(self) -> LineReader | None:
        try:
            return LineReader(self.port)
        except Exception:  # noqa: BLE001 (not there yet, or still coming up)
            return None

    # -- messages -------------------------------------------------------------------------
    def take(self, message: Message) -> None:
        kind = message["type"]
        if not self.first_seen:
            self.first_seen = time.monotonic()
        if kind == "hello":
            self.model = str(message.get("model", self.model))
            self.labels = [str(x) for x in message.get("labels", [])] or self.labels
            self.identify(message.get("device"))
            self.announce()
        elif kind == "stats":
            # Boards repeat who they are in every stats line: a bridge that missed the
            # hello (a streamer held the port then) learns it here.
            self.model = str(message.get("model", self.model))
            labels = [str(x) for x in message.get("labels", [])]
            if labels and labels != self.labels:
                self.labels = labels
                self.announce()
            self.identify(message.get("device"))
        if not self.device:
            self.pending.append(message)
            return
        self.publish(message)

    def identify(self, device: object) -> None:
        if self.device or not isinstance(device, str) or not device:
            return
        self.device = self.bridge.claim(safe_id(device), self)
        self.bridge.note(
            f"{self.port}: board {self.device}" + (f" ({self.model})" if self.model else "")
        )
        self.announce()
        waiting, self.pending = self.pending, []
        for message in waiting:
            self.publish(message)

    def flush_if_overdue(self) -> None:
        # A board that never names itself (older firmware) is known by its port's name.
        if self.device or not self.pending:
            return
        if time.monotonic() - self.first_seen >= self.bridge.options.identify_s:
            self.identify(port_device_id(self.port))

    def publish(self, message: Message) -> None:
        kind = message["type"]
        topics = self.topics
        if kind == "detection":
            label = str(message.get("label", ""))
            if label and label not in self.labels:
                self.labels.append(label)
                self.announce()
            self.bridge.publish(topics.detection, json.dumps(message), qos=1)
            self.bridge.count(self.device)
        elif kind == "stats":
            self.bridge.publish(topics.stats, json.dumps(message), qos=0)
        if not self.online:
            self.announce()

    # -- state ----------------------------------------------------------------------------
    @property
    def topics(self) -> DeviceTopics:
        return DeviceTopics(self.device, self.bridge.options.prefix)

    def announce(self) -> None:
        """Retained state of the board: online, and its discovery configs."""
        if not self.device:
            return
        self.online = True
        topics = self.topics
        self.bridge.publish(topics.availability, ONLINE, qos=1, retain=True)
        for topic, config in self.configs().items():
            self.bridge.publish(topic, json.dumps(config), qos=1, retain=True)

    def configs(self) -> dict[str, dict[str, Any]]:
        return discovery_configs(
            self.topics,
            self.labels,
            self.model,
            availability=(self.bridge.availability_topic,),
            discovery_prefix=self.bridge.options.discovery_prefix,
            sw_version=f"earshot {__version__}",
        )

    def gone(self, why: str) -> None:
        if self.device and self.online:
            self.bridge.publish(self.topics.availability, OFFLINE, qos=1, retain=True)
            self.bridge.note(f"{self.port}: board {self.device} went away ({why}): offline")
        self.online = False
        self.first_seen = 0.0


class Bridge:
    """Watches ports (paths or globs) and publishes through one broker connection."""

    def __init__(
        self,
        address: BrokerAddress,
        patterns: list[str],
        options: BridgeOptions | None = None,
        out: TextIO | None = None,
        on_publish: Callable[[str, str], None] | None = None,
    ) -> None:
        self.options = options or BridgeOptions()
        self.patterns = patterns
        self.out = out or sys.stderr
        self.links: dict[str, Link] = {}
        self.detections: dict[str, int] = {}
        self.lock = threading.Lock()
        self.on_publish = on_publish
        self.availability_topic = bridge_availability_topic(
            self.options.bridge_id, self.options.prefix
        )
        self.publisher = Publisher(
            address,
            client_id=f"earshot-bridge-{self.options.bridge_id}",
            will=(self.availability_topic, OFFLINE),
            on_connect=self._connected,
        )

    def _connected(self) -> None:
        # Retained state again after every (re)connection: a restarted broker without
        # persistence has forgotten it.
        self.publish(self.availability_topic, ONLINE, qos=1, retain=True)
        for link in list(self.links.values()):
            if link.online:
                link.announce()

    def publish(self, topic: str, payload: str, qos: int = 0, retain: bool = False) -> None:
        self.publisher.publish(topic, payload, qos=qos, retain=retain)
        if self.on_publish:
            self.on_publish(topic, payload)

    def claim(self, device: str, link: Link) -> str:
        """The id a link's board is published under: its own, unless a board on another
        port already has it (boards that cannot tell themselves apart, e.g. emulated ones):
        then the port's name is added, so that every board has topics of its own."""
        with self.lock:
            taken = {other.device for other in self.links.values() if other is not link}
            if device in taken:
                device = f"{device}-{port_device_id(link.port)}"
            return device

    def count(self, device: str) -> None:
        with self.lock:
            self.detections[device] = self.detections.get(device, 0) + 1

    def note(self, text: str) -> None:
        print(f"earshot bridge: {text}", file=self.out, flush=True)

    def scan(self) -> None:
        """Start a link for every port the patterns name that has none yet."""
        for pattern in self.patterns:
            paths = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
            for path in paths:
                if path not in self.links:
                    link = Link(self, path)
                    self.links[path] = link
                    self.note(f"watching {path}")
                    link.thread.start()

    def run(self, duration: float | None = None, stop: threading.Event | None = None) -> None:
        """Watch until duration seconds have passed or stop is set (Ctrl-C otherwise)."""
        stop = stop or threading.Event()
        deadline = None if duration is None else time.monotonic() + duration
        try:
            while not stop.is_set():
                self.scan()
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                stop.wait(self.options.scan_s if left is None else min(left, self.options.scan_s))
        finally:
            self.close()

    def close(self) -> None:
        for link in self.links.values():
            link.stop.set()
        for link in self.links.values():
            with contextlib.suppress(RuntimeError):
                link.thread.join(2)
        # A clean stop: say so (the last will covers the unclean ones).
        self.publish(self.availability_topic, OFFLINE, qos=1, retain=True)
        self.publisher.close()
