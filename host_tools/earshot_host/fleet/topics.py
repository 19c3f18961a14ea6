"""earshot's MQTT topic layout and Home Assistant discovery configs.

One layout serves the host bridge (`earshot bridge`) and boards that publish themselves
(`micropython -m earshot ... --mqtt`, firmware/earshot/mqtt.py builds the same topics):

    earshot/<device>/detection      each detection: the protocol's JSON object (QoS 1)
    earshot/<device>/stats          the periodic stats line (QoS 0)
    earshot/<device>/availability   "online" / "offline", retained
    homeassistant/event/earshot_<device>_<label>/config     one event entity per label
    homeassistant/sensor/earshot_<device>_<field>/config    heap_free and overruns

`<device>` is one topic level of [A-Za-z0-9_-]: the board's own id (the `device` field
of its hello line: machine.unique_id() in hex, or an id the board keeps), or, for a board
that does not say, its serial port's name made safe (/dev/pts/5 -> pts-5).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

PREFIX = "earshot"
DISCOVERY_PREFIX = "homeassistant"
ONLINE = "online"
OFFLINE = "offline"
UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
MAX_ID = 64
# The stats fields Home Assistant shows as sensors: (field, name, unit, state_class).
SENSORS = (
    ("heap_free", "heap free", "B", "measurement"),
    ("overruns", "audio overruns", None, "total_increasing"),
)


def safe_id(text: str) -> str:
    """text as one topic level of [A-Za-z0-9_-] (runs of anything else become one '-')."""
    safe = UNSAFE.sub("-", text).strip("-")[:MAX_ID]
    return safe or "board"


def port_device_id(port: str) -> str:
    """A board's id from its serial port when the board does not name itself:
    /dev/pts/5 -> pts-5, /dev/ttyACM0 -> ttyACM0, COM3 -> COM3."""
    return safe_id(port.removeprefix("/dev/"))


@dataclass(frozen=True)
class DeviceTopics:
    """The topics of one board."""

    device: str
    prefix: str = PREFIX

    def __post_init__(self) -> None:
        if safe_id(self.device) != self.device:
            raise ValueError(f"device id {self.device!r} is not one topic level of [A-Za-z0-9_-]")

    @property
    def base(self) -> str:
        return f"{self.prefix}/{self.device}"

    @property
    def detection(self) -> str:
        return f"{self.base}/detection"

    @property
    def stats(self) -> str:
        return f"{self.base}/stats"

    @property
    def availability(self) -> str:
        return f"{self.base}/availability"


def bridge_availability_topic(bridge_id: str, prefix: str = PREFIX) -> str:
    """Where a bridge says it is online; its MQTT last will sets it offline."""
    return f"{prefix}-bridge/{safe_id(bridge_id)}/availability"


def discovery_configs(
    topics: DeviceTopics,
    labels: list[str],
    model: str = "",
    availability: tuple[str, ...] = (),
    discovery_prefix: str = DISCOVERY_PREFIX,
    sw_version: str = "",
) -> dict[str, dict[str, Any]]:
    """Home Assistant MQTT discovery configs (topic -> JSON object, published retained) for
    a board: an event entity per label (it fires on detections of that label) and sensors
    for heap and overruns. `availability` adds topics that must also say online (a bridge's
    own availability): the entities are available only when all of them are."""
    device = topics.device
    avail = [{"topic": t} for t in (topics.availability, *availability)]
    info: dict[str, Any] = {
        "identifiers": [f"earshot_{device}"],
        "name": f"earshot {device}",
        "manufacturer": "earshot",
    }
    if model:
        info["model"] = model
    if sw_version:
        info["sw_version"] = sw_version
    common: dict[str, Any] = {"availability": avail, "availability_mode": "all", "device": info}
    configs: dict[str, dict[str, Any]] = {}
    for label in labels:
        object_id = f"earshot_{device}_{safe_id(label)}"
        # The detection topic carries every label: the template keeps this entity's own (an
        # empty rendering is ignored by Home Assistant).
        template = (
            "{% if value_json.label == " + json.dumps(label) + " %}"
            '{"event_type": "detected", "score": {{ value_json.score }}, '
            '"t_ms": {{ value_json.t_ms }}}{% endif %}'
        )
        configs[f"{discovery_prefix}/event/{object_id}/config"] = {
            "name": f"{label} detected",
            "unique_id": object_id,
            "state_topic": topics.detection,
            "event_types": ["detected"],
            "value_template": template,
            **common,
        }
    for field, name, unit, state_class in SENSORS:
        object_id = f"earshot_{device}_{field}"
        config: dict[str, Any] = {
            "name": name,
            "unique_id": object_id,
            "state_topic": topics.stats,
            "value_template": "{{ value_json." + field + " }}",
            "state_class": state_class,
            "entity_category": "diagnostic",
            **common,
        }
        if unit:
            config["unit_of_measurement"] = unit
        configs[f"{discovery_prefix}/sensor/{object_id}/config"] = config
    return configs
