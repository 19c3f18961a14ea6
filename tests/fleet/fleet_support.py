"""Helpers of the fleet tests: a real MQTT broker: Debian's mosquitto (installed by `make deps`) on
a free loopback port, with persistence, so that a restart keeps what it owes a durable
subscriber; and a subscriber (paho-mqtt) that records everything it receives."""

from __future__ import annotations

import getpass
import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(binary).exists():
            pytest.fail("mosquitto is not installed (make deps installs it)", pytrace=False)
        self.binary = binary
        self.port = free_port()
        self.dir = workdir
        self.conf = workdir / "mosquitto.conf"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
            f"persistence true\npersistence_location {workdir}/\n"
            f"log_dest file {workdir}/mosquitto.log\n"
            # Run as root, mosquitto would drop to user "mosquitto", which cannot write here.
            f"user {getpass.getuser()}\n"
        )
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen([self.binary, "-c", str(self.conf)])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        pytest.fail(f"mosquitto did not listen on port {self.port}", pytrace=False)

    def stop(self) -> None:
        # SIGTERM: mosquitto saves its persistence file (sessions, queued messages) on exit.
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None

    def restart(self, down_s: float = 1.0) -> None:
        self.stop()
        time.sleep(down_s)
        self.start()


def retained(broker: Broker, topic_filter: str, wait_s: float = 1.0) -> dict[str, str]:
    """What a new subscriber gets as retained messages on topic_filter: topic -> payload."""
    got: dict[str, str] = {}
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="earshot-test-retained")

    def on_message(c, u, message) -> None:
        if message.retain:
            got[message.topic] = message.payload.decode()

    client.on_message = on_message
    client.connect("127.0.0.1", broker.port)
    client.subscribe(topic_filter, 1)
    client.loop_start()
    time.sleep(wait_s)
    client.loop_stop()
    client.disconnect()
    return got


@dataclass
class Received:
    topic: str
    payload: str
    retain: bool

    def json(self) -> dict:
        return json.loads(self.payload)


@dataclass
class Subscriber:
    """Subscribes to `topics` with QoS 1 on a durable session (clean_session False), so that
    a broker restart loses nothing owed to it; records every message."""

    broker: Broker
    topics: tuple[str, ...] = ("#",)
    client_id: str = "earshot-test-subscriber"
    messages: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=self.client_id, clean_session=False
        )
        self.client.on_message = self._on_message
        self.client.on_connect = self._on_connect
        self.client.reconnect_delay_set(0.2, 1)
        self.subscribed = threading.Event()
        self.client.connect("127.0.0.1", self.broker.port)
        self.client.loop_start()
        assert self.subscribed.wait(10), "the test subscriber could not subscribe"

    def _on_connect(self, client, userdata, flags, reason, properties=None) -> None:
        client.subscribe([(t, 1) for t in self.topics])
        self.subscribed.set()

    def _on_message(self, client, userdata, message) -> None:
        with self.lock:
            self.messages.append(
                Received(message.topic, message.payload.decode(), bool(message.retain))
            )

    def on(self, topic: str) -> list[Received]:
        with self.lock:
            return [m for m in self.messages if m.topic == topic]

    def wait_for(
        self,
        condition: Callable[[], bool],
        timeout: float,
        what: str,
        state: Callable[[], object] | None = None,
    ) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.1)
        with self.lock:
            seen = sorted({m.topic for m in self.messages})
        got = f"; got {state()}" if state else ""
        pytest.fail(f"waited {timeout:g} s for {what}; topics seen: {seen}{got}", pytrace=False)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
