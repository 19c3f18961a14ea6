"""Helpers of the fleet tests: a subscriber (paho-mqtt) that records everything it receives
on a durable session, and what a newcomer gets as retained messages. The broker is
earshot_host.fleet.local_broker's mosquitto."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
import pytest

from earshot_host.fleet.local_broker import LocalBroker


def retained(broker: LocalBroker, topic_filter: str, wait_s: float = 1.0) -> dict[str, str]:
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

    broker: LocalBroker
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
