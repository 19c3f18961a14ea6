"""A board that publishes itself: `micropython -m earshot ... --mqtt HOST:PORT` on the
Unix port (standing in for a Wi-Fi board) against a real mosquitto."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from fleet_support import retained

from earshot_host.fleet.topics import DeviceTopics, discovery_configs
from earshot_host.paths import project_root
from earshot_host.scenes import DEMO, DEMO_DURATION_MS, compose, write_scene

ROOT = project_root()
FIRMWARE = ROOT / "build" / "unix" / "micropython"
MODEL = "micro_speech"


@pytest.fixture(scope="module")
def demo_wav(tmp_path_factory):
    path = tmp_path_factory.mktemp("fleet") / "demo.wav"
    write_scene(path, compose(DEMO, DEMO_DURATION_MS))
    return path


@pytest.fixture(scope="module")
def expected(demo_wav):
    """What `earshot listen` reports on the Unix port for the demo stream."""
    proc = subprocess.run(
        [sys.executable, "-m", "earshot_host.cli", "listen", "--target", "unix", "--model",
         MODEL, "--wav", str(demo_wav), "--json"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    messages = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    detections = [m for m in messages if m["type"] == "detection"]
    assert len(detections) == 4, proc.stdout  # the demo's two yes and two no
    hello = next(m for m in messages if m["type"] == "hello")
    return hello, detections


def board(wav, broker, *extra):
    return subprocess.Popen(
        [str(FIRMWARE), "-m", "earshot", "--model", MODEL, "--wav", str(wav),
         "--mqtt", broker.address, *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def printed(proc, timeout=120):
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def device_of(hello):
    device = hello.get("device")
    assert isinstance(device, str) and device, hello
    return device


def test_board_publishes_every_detection_once_and_its_state(broker, subscriber, demo_wav,
                                                            expected):  # fmt: skip
    hello, detections = expected
    messages = printed(board(demo_wav, broker))
    device = device_of(next(m for m in messages if m["type"] == "hello"))
    topics = DeviceTopics(device)
    subscriber.wait_for(
        lambda: len(subscriber.on(topics.detection)) >= len(detections), 10, "the detections"
    )
    time.sleep(0.5)  # nothing more may come
    assert [m.json() for m in subscriber.on(topics.detection)] == detections
    # Stats carry who the board is; availability went online, then offline at the end.
    stats = [m.json() for m in subscriber.on(topics.stats)]
    assert stats and all(s["device"] == device and s["model"] == MODEL for s in stats)
    assert [m.payload for m in subscriber.on(topics.availability)] == ["online", "offline"]
    # A newcomer (Home Assistant starting later) gets the retained state.
    state = retained(broker, "#")
    assert state[topics.availability] == "offline"
    configs = {t: json.loads(p) for t, p in state.items() if t.startswith("homeassistant/")}
    assert configs == discovery_configs(topics, hello["labels"], MODEL)


def test_a_broker_away_costs_no_hang_and_the_queue_counts_what_it_dropped(broker, demo_wav,
                                                                          expected):  # fmt: skip
    _, detections = expected
    broker.stop()
    start = time.monotonic()
    messages = printed(board(demo_wav, broker, "--mqtt-queue", "1"), timeout=60)
    took = time.monotonic() - start
    assert [m for m in messages if m["type"] == "detection"] == detections
    stats = [m for m in messages if m["type"] == "stats"]
    # One slot: of the four detections, the three oldest were dropped, and said so.
    assert stats[-1]["mqtt_dropped"] == len(detections) - 1
    # Connection attempts are refused at once and made at most once a second (plus three
    # tries at the end): the run is not held up for long.
    assert took < 15, took


def test_a_broker_restart_mid_stream_loses_no_detection(broker, subscriber, demo_wav,
                                                         expected):  # fmt: skip
    _, detections = expected
    # In real time the demo's detections come at 3.5, 8.2, 13.5 and 16.2 s: the broker is
    # away from 6 s to 9.5 s, so the second one waits in the board's queue.
    proc = board(demo_wav, broker, "--realtime")
    time.sleep(6.0)
    broker.stop()
    time.sleep(3.5)
    broker.start()
    messages = printed(proc, timeout=60)
    device = device_of(next(m for m in messages if m["type"] == "hello"))
    topic = DeviceTopics(device).detection
    subscriber.wait_for(lambda: len(subscriber.on(topic)) >= len(detections), 20, "detections")
    time.sleep(0.5)
    assert [m.json() for m in subscriber.on(topic)] == detections
