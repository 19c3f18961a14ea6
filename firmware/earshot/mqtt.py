# Publishing the detector's messages to an MQTT broker, from a board with a network
# (`micropython -m earshot ... --mqtt HOST:PORT`; the Unix port stands in for a Wi-Fi
# board). The topics are the host bridge's (host_tools/earshot_host/fleet/topics.py):
#
#   earshot/<device>/detection      each detection, the protocol's JSON object, QoS 1
#   earshot/<device>/stats          the stats line (+ "mqtt_dropped")
#   earshot/<device>/availability   "online" / "offline", retained; "offline" is the last will
#   homeassistant/event|sensor/earshot_<device>_.../config   discovery, retained
#
# The console still prints everything. A broker that is away costs no memory and no
# hang: detections wait in a fixed queue (the oldest is dropped and counted when it is
# full) and are sent, in order, once a reconnection succeeds (tried at most once a
# second, when there is something to send); sockets have a timeout. The client is
# micropython-lib's umqtt.simple, frozen into the firmware from its PyPI release.

import time

from umqtt import simple

from .clock import MS, total

PREFIX = "earshot"
DISCOVERY_PREFIX = "homeassistant"
SENSORS = (
    ("heap_free", "heap free", "B", "measurement"),
    ("overruns", "audio overruns", None, "total_increasing"),
)


def parse_address(text):
    # "HOST:PORT", "mqtt://HOST:PORT" or "HOST" (1883).
    if text.startswith("mqtt://"):
        text = text[7:]
    host, _, port = text.rpartition(":")
    if not host:
        return text, 1883
    try:
        return host, int(port)
    except ValueError:
        raise ValueError("--mqtt {!r}: give HOST:PORT".format(text)) from None


def safe_id(text):
    # One topic level of [A-Za-z0-9_-] (runs of anything else become one "-").
    out = []
    dash = False
    for c in text:
        if "a" <= c <= "z" or "A" <= c <= "Z" or "0" <= c <= "9" or c in "_-":
            out.append(c)
            dash = False
        elif not dash:
            out.append("-")
            dash = True
    return "".join(out).strip("-")[:64] or "board"


class _Sockets:
    # What umqtt.simple calls `socket`: sockets with a timeout, so an unreachable broker
    # cannot hang the detector.
    def __init__(self, module, timeout):
        self.module = module
        self.timeout = timeout

    def socket(self, *args):
        sock = self.module.socket(*args)
        sock.settimeout(self.timeout)
        return sock

    def getaddrinfo(self, *args):
        return self.module.getaddrinfo(*args)


def discovery_configs(device, labels, model, prefix=PREFIX, discovery=DISCOVERY_PREFIX):
    # topic -> config dict, as the host's fleet.topics.discovery_configs makes them.
    base = prefix + "/" + device
    common = {
        "availability": [{"topic": base + "/availability"}],
        "availability_mode": "all",
        "device": {
            "identifiers": ["earshot_" + device],
            "name": "earshot " + device,
            "manufacturer": "earshot",
            "model": model,
        },
    }
    configs = {}
    for label in labels:
        object_id = "earshot_{}_{}".format(device, safe_id(label))
        config = {
            "name": label + " detected",
            "unique_id": object_id,
            "state_topic": base + "/detection",
            "event_types": ["detected"],
            "value_template": "{% if value_json.label == " + _quote(label) + " %}"
            '{"event_type": "detected", "score": {{ value_json.score }}, '
            '"t_ms": {{ value_json.t_ms }}}{% endif %}',
        }
        config.update(common)
        configs["{}/event/{}/config".format(discovery, object_id)] = config
    for field, name, unit, state_class in SENSORS:
        object_id = "earshot_{}_{}".format(device, field)
        config = {
            "name": name,
            "unique_id": object_id,
            "state_topic": base + "/stats",
            "value_template": "{{ value_json." + field + " }}",
            "state_class": state_class,
            "entity_category": "diagnostic",
        }
        if unit:
            config["unit_of_measurement"] = unit
        config.update(common)
        configs["{}/sensor/{}/config".format(discovery, object_id)] = config
    return configs


def _quote(text):
    import json

    return json.dumps(text)


class MqttConsole:
    # Wraps a protocol.Console: every message is printed by it, and published.
    def __init__(self, console, address, device, queue=16, retry_ms=1000, timeout_s=2,
                 prefix=PREFIX, discovery=DISCOVERY_PREFIX):  # fmt: skip
        import socket

        self.console = console
        console.mqtt = self
        console.device = safe_id(device)
        self.host, self.port = parse_address(address)
        self.device = safe_id(device)
        self.base = prefix + "/" + self.device
        self.discovery = discovery
        self.prefix = prefix
        # The queue: a fixed number of slots for detections (t_ms, label, score_256).
        self.slots = [None] * queue
        self.head = 0
        self.count = 0
        self.dropped = 0
        self.stats_payload = None
        self.retry_ms = retry_ms
        self.next_try = None
        self.client = None
        self.connections = 0
        self.model = ""
        self.labels = ()
        simple.socket = _Sockets(socket, timeout_s)

    # -- the console's messages --------------------------------------------------------
    def hello(self, model, labels, *args, **kwargs):
        self.console.hello(model, labels, *args, **kwargs)
        self.model = model
        self.labels = tuple(labels)
        self._connect()

    def detection(self, counts, label, score_256):
        self.console.detection(counts, label, score_256)
        t_ms = total(counts, MS)  # (allocates past 2**30 ms: fine on the publishing path)
        if self.count == len(self.slots):
            self.head = (self.head + 1) % len(self.slots)  # drop the oldest
            self.count -= 1
            self.dropped += 1
        self.slots[(self.head + self.count) % len(self.slots)] = (t_ms, label, score_256)
        self.count += 1
        self._send()

    def stats(self, c, overruns, dropped, malformed, heap_free):
        self.console.stats(c, overruns, dropped, malformed, heap_free)
        self.stats_payload = self.console.stats_json(c, overruns, dropped, malformed, heap_free)
        self._send()

    def error(self, message):
        self.console.error(message)

    def scores(self, counts, output):
        self.console.scores(counts, output)

    def end(self, counts):
        self.console.end(counts)
        self.close()

    # -- the broker ---------------------------------------------------------------------
    def _connect(self):
        # One attempt, at most once per retry_ms; True when connected.
        if self.client is not None:
            return True
        now = time.ticks_ms()
        if self.next_try is not None and time.ticks_diff(self.next_try, now) > 0:
            return False
        self.next_try = time.ticks_add(now, self.retry_ms)
        client = simple.MQTTClient("earshot-" + self.device, self.host, self.port, keepalive=0)
        client.set_last_will(self.base + "/availability", b"offline", retain=True, qos=1)
        try:
            client.connect()
            self.client = client
            client.publish(self.base + "/availability", b"online", True, 1)
            import json

            configs = discovery_configs(self.device, self.labels, self.model, self.prefix,
                                        self.discovery)  # fmt: skip
            for topic, config in configs.items():
                client.publish(topic, json.dumps(config), True, 1)
        except (OSError, IndexError, simple.MQTTException):
            self._lost()
            return False
        self.connections += 1
        return True

    def _lost(self):
        client, self.client = self.client, None
        if client is not None and client.sock is not None:
            try:  # noqa: SIM105 (MicroPython has no contextlib)
                client.sock.close()
            except OSError:
                pass

    def _send(self):
        if not (self.count or self.stats_payload) or not self._connect():
            return
        slots = self.slots
        try:
            while self.count:
                t_ms, label, score_256 = slots[self.head]
                self.client.publish(self.base + "/detection", _detection(t_ms, label, score_256),
                                    False, 1)  # fmt: skip
                slots[self.head] = None
                self.head = (self.head + 1) % len(slots)
                self.count -= 1
            if self.stats_payload:
                self.client.publish(self.base + "/stats", self.stats_payload)
                self.stats_payload = None
        except (OSError, IndexError, simple.MQTTException):
            self._lost()

    def close(self, tries=3):
        # At the end of the stream: send what waits (a few tries), then say offline.
        for _ in range(tries):
            self._send()
            if not self.count:
                break
            time.sleep_ms(self.retry_ms)
        if self.client is not None:
            try:
                self.client.publish(self.base + "/availability", b"offline", True, 1)
                self.client.disconnect()
            except (OSError, IndexError, simple.MQTTException):
                pass
            self.client = None


def _detection(t_ms, label, score_256):
    # The protocol's detection object (protocol.Console.detection prints the same).
    hundredths = (score_256 * 100 + 128) // 256
    return '{{"v":1,"type":"detection","t_ms":{},"label":"{}","score":{}.{:02d}}}'.format(
        t_ms, label, hundredths // 100, hundredths % 100
    )
