"""A connection to an MQTT broker that keeps what it is given: paho-mqtt with automatic
reconnection, a last will, and QoS 1 messages queued while the broker is away (paho keeps
unacknowledged QoS 1 messages and sends them again after it reconnects)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt

from ..errors import EarshotError

DEFAULT_PORT = 1883


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int

    def __str__(self) -> str:
        return f"mqtt://{self.host}:{self.port}"


def parse_broker(text: str) -> BrokerAddress:
    """mqtt://HOST:PORT, HOST:PORT or HOST (port 1883)."""
    spec = text if "://" in text else f"mqtt://{text}"
    try:
        parts = urlsplit(spec)
        port = parts.port or DEFAULT_PORT
    except ValueError as err:
        raise EarshotError(f"broker {text!r}: {err} (give mqtt://HOST:PORT or HOST:PORT)") from err
    if parts.scheme != "mqtt" or not parts.hostname or parts.path not in ("", "/"):
        raise EarshotError(f"broker {text!r}: give mqtt://HOST:PORT or HOST:PORT")
    return BrokerAddress(parts.hostname, port)


class Publisher:
    """Publishes to one broker from any thread. The connection is made in the background
    and made again whenever it drops (every `retry_s` at most); QoS 1 messages published
    meanwhile are queued and sent once the broker is back. On every (re)connection the
    `on_connect` callback runs (republish retained state there)."""

    def __init__(
        self,
        address: BrokerAddress,
        client_id: str,
        will: tuple[str, str] | None = None,
        on_connect: Callable[[], None] | None = None,
        retry_s: float = 1.0,
    ) -> None:
        self.address = address
        self.client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=False,
        )
        self.client.max_queued_messages_set(0)  # unbounded: nothing is dropped
        self.client.reconnect_delay_set(min_delay=retry_s, max_delay=retry_s * 5)
        if will:
            self.client.will_set(will[0], will[1], qos=1, retain=True)
        self.connected = threading.Event()
        self.connections = 0
        self._on_connect = on_connect
        self.client.on_connect = self._connected
        self.client.on_disconnect = self._disconnected
        self.client.connect_async(address.host, address.port, keepalive=30)
        self.client.loop_start()

    def _connected(self, client: mqtt.Client, userdata: object, flags: object, reason: object,
                   properties: object = None) -> None:  # fmt: skip
        if getattr(reason, "is_failure", False):
            return
        self.connections += 1
        self.connected.set()
        if self._on_connect:
            self._on_connect()

    def _disconnected(self, client: mqtt.Client, userdata: object, flags: object,
                      reason: object, properties: object = None) -> None:  # fmt: skip
        self.connected.clear()

    def wait_connected(self, timeout: float) -> bool:
        return self.connected.wait(timeout)

    def publish(self, topic: str, payload: str, qos: int = 0, retain: bool = False) -> None:
        """Publish (or queue, for QoS 1, while the broker is away)."""
        self.client.publish(topic, payload, qos=qos, retain=retain)

    def pending(self) -> int:
        """Messages not yet acknowledged by the broker (QoS 1) or not yet sent."""
        return len(self.client._out_messages)  # noqa: SLF001 (paho has no public count)

    def close(self, timeout: float = 5.0) -> None:
        """Wait up to timeout seconds for queued messages, then disconnect."""
        deadline = threading.Event()
        waited = 0.0
        while self.pending() and waited < timeout and self.connected.is_set():
            deadline.wait(0.05)
            waited += 0.05
        self.client.disconnect()
        self.client.loop_stop()
