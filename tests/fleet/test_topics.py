"""The topic layout and the Home Assistant discovery configs, on the host and on a board
(firmware/earshot/mqtt.py builds them again in MicroPython: both must agree)."""

from __future__ import annotations

import json

import pytest

from earshot_host.errors import EarshotError
from earshot_host.fleet.broker import BrokerAddress, parse_broker
from earshot_host.fleet.topics import DeviceTopics, discovery_configs, port_device_id, safe_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("e6614103e7452d2f", "e6614103e7452d2f"),
        ("kitchen satellite #2", "kitchen-satellite-2"),
        ("a/b+c#", "a-b-c"),
        ("///", "board"),
        ("x" * 80, "x" * 64),
    ],
)
def test_safe_id_is_one_topic_level(text, expected):
    assert safe_id(text) == expected


@pytest.mark.parametrize(
    ("port", "expected"),
    [("/dev/pts/5", "pts-5"), ("/dev/ttyACM0", "ttyACM0"), ("COM3", "COM3")],
)
def test_a_port_without_a_board_id_names_the_device(port, expected):
    assert port_device_id(port) == expected


def test_device_topics_refuse_a_level_with_separators():
    with pytest.raises(ValueError, match="topic level"):
        DeviceTopics("a/b")


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [
        ("mqtt://10.0.0.2:1884", "10.0.0.2", 1884),
        ("10.0.0.2:1884", "10.0.0.2", 1884),
        ("broker.local", "broker.local", 1883),
        ("mqtt://broker.local", "broker.local", 1883),
    ],
)
def test_broker_addresses(text, host, port):
    assert parse_broker(text) == BrokerAddress(host, port)


@pytest.mark.parametrize("text", ["http://x:1", "mqtt://:1883", "x:notaport", "mqtt://x:1/path"])
def test_bad_broker_addresses_are_refused_by_name(text):
    with pytest.raises(EarshotError, match="broker"):
        parse_broker(text)


def test_discovery_has_an_event_per_label_and_two_sensors():
    topics = DeviceTopics("board1")
    configs = discovery_configs(topics, ["yes", "no"], "micro_speech", ("bridge/avail",))
    events = {t: c for t, c in configs.items() if "/event/" in t}
    sensors = {t: c for t, c in configs.items() if "/sensor/" in t}
    assert sorted(events) == [
        "homeassistant/event/earshot_board1_no/config",
        "homeassistant/event/earshot_board1_yes/config",
    ]
    assert {c["state_topic"] for c in events.values()} == {"earshot/board1/detection"}
    assert sorted(c["value_template"] for c in sensors.values()) == [
        "{{ value_json.heap_free }}",
        "{{ value_json.overruns }}",
    ]
    assert {c["state_topic"] for c in sensors.values()} == {"earshot/board1/stats"}
    for config in configs.values():
        assert config["availability"] == [
            {"topic": "earshot/board1/availability"},
            {"topic": "bridge/avail"},
        ]
        assert config["device"]["identifiers"] == ["earshot_board1"]
        assert config["unique_id"] in next(t for t in configs if configs[t] is config)


def test_event_template_fires_only_for_its_label():
    # Home Assistant renders value_template with Jinja; the rendering must be the event
    # JSON for the entity's own label and empty (ignored) for the others.
    import jinja2

    config = discovery_configs(DeviceTopics("b"), ['say "hi"'])[
        "homeassistant/event/earshot_b_say-hi/config"
    ]
    template = jinja2.Template(config["value_template"])
    mine = {"label": 'say "hi"', "score": 0.91, "t_ms": 1234}
    other = {"label": "no", "score": 0.95, "t_ms": 99}
    assert json.loads(template.render(value_json=mine)) == {
        "event_type": "detected",
        "score": 0.91,
        "t_ms": 1234,
    }
    assert template.render(value_json=other) == ""


DEVICE_CONFIGS = """
import json
from earshot.mqtt import discovery_configs
print(json.dumps(discovery_configs({device!r}, {labels!r}, {model!r})))
"""


@pytest.mark.kinds("unix")
def test_board_and_host_make_the_same_discovery_configs(target):
    labels = ["silence", "unknown", "yes", "no", "hey jarvis"]
    out = target.exec(DEVICE_CONFIGS.format(device="b-1", labels=labels, model="m"))
    on_board = json.loads(out.strip().splitlines()[-1])
    on_host = discovery_configs(DeviceTopics("b-1"), labels, "m")
    assert on_board == on_host
