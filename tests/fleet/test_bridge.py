"""`earshot bridge` with two QEMU boards (serial ports: their UART ptys) fed by `earshot
stream`, against a real mosquitto that is restarted in the middle of the streams."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest
from fleet_support import retained

from earshot_host.fleet.topics import OFFLINE, ONLINE, DeviceTopics, bridge_availability_topic
from earshot_host.paths import project_root
from earshot_host.scenes import Placement, compose, write_scene

ROOT = project_root()
MODEL = "micro_speech"
BOARD = "qemu_m4"
# A short stream (the emulated UART runs slower than real time): a "yes" and a "no".
SCENE = (Placement("yes_1000ms", 1_000, 0.0, "yes"), Placement("no_1000ms", 4_500, 0.0, "no"))
SCENE_MS = 7_000


def earshot(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "earshot_host.cli", *args],
        capture_output=True, text=True, cwd=ROOT, check=False, **kwargs,
    )  # fmt: skip


def detections_of(stdout: str) -> list[dict]:
    messages = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    return [m for m in messages if m["type"] == "detection"]


@pytest.fixture
def boards(tmp_path):
    """Two QEMU boards started as a user starts them; stopped at the end."""
    started = []
    for name in ("a", "b"):
        run_dir = tmp_path / name
        result = earshot("flash-firmware", "--board", BOARD, "--run-dir", str(run_dir))
        assert result.returncode == 0, result.stderr
        started.append((result.stdout.strip().splitlines()[-1], run_dir))
    yield started
    for _, run_dir in started:
        earshot("flash-firmware", "--board", BOARD, "--stop", "--run-dir", str(run_dir))


def test_bridge_publishes_each_boards_detections_once_through_a_broker_restart(
    request, broker, subscriber, tmp_path
):
    if BOARD not in request.config.getoption("--targets").split(","):
        pytest.skip(f"needs {BOARD}, which is not among --targets")
    boards = request.getfixturevalue("boards")
    wav = tmp_path / "scene.wav"
    write_scene(wav, compose(SCENE, SCENE_MS))
    listened = earshot("listen", "--target", "unix", "--model", MODEL, "--wav", str(wav), "--json")
    expected = detections_of(listened.stdout)
    assert [d["label"] for d in expected] == ["yes", "no"], listened.stdout
    ports = [port for port, _ in boards]

    bridge = subprocess.Popen(
        [sys.executable, "-m", "earshot_host.cli", "bridge", "--broker",
         f"mqtt://{broker.address}", "--id", "test", *(a for p in ports for a in ("--port", p))],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        bridge_topic = bridge_availability_topic("test")
        subscriber.wait_for(lambda: subscriber.on(bridge_topic), 20, "the bridge to say online")
        streams = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "earshot_host.cli",
                    "stream",
                    str(wav),
                    "--port",
                    port,
                    "--model",
                    MODEL,
                ],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )  # fmt: skip
            for port in ports
        ]
        # The broker goes away once the first detection is out, and comes back only when
        # both streams have ended: what the boards detect meanwhile waits in the bridge.
        subscriber.wait_for(
            lambda: any(m.topic.endswith("/detection") for m in subscriber.messages),
            300,
            "a first detection",
        )
        time.sleep(1.0)
        broker.stop()
        for stream in streams:
            _, err = stream.communicate(timeout=600)
            assert stream.returncode == 0, err
        broker.start()

        def per_device() -> dict[str, list[dict]]:
            found: dict[str, list[dict]] = {}
            for m in subscriber.messages:
                if m.topic.endswith("/detection"):
                    found.setdefault(m.topic.split("/")[1], []).append(m.json())
            return found

        subscriber.wait_for(
            lambda: sorted(len(v) for v in per_device().values()) == [2, 2],
            60,
            "4 detections",
            per_device,
        )
        time.sleep(1.0)  # and no more
        found = per_device()
        assert len(found) == 2, found  # one device per board, distinct
        for detections in found.values():
            assert detections == expected  # each once, equal to listen's

        state = retained(broker, "#")
        for device in found:
            topics = DeviceTopics(device)
            assert state[topics.availability] == ONLINE
            events = [t for t in state if t.startswith(f"homeassistant/event/earshot_{device}_")]
            assert len(events) == 4  # an event entity per micro_speech label
            assert f"homeassistant/sensor/earshot_{device}_heap_free/config" in state
        assert state[bridge_topic] == ONLINE

        # A board that goes away is offline within 15 s.
        _, gone_dir = boards[1]
        stopped_at = time.monotonic()
        earshot("flash-firmware", "--board", BOARD, "--stop", "--run-dir", str(gone_dir))

        def offline_boards() -> set[str]:
            return {
                m.topic.split("/")[1]
                for m in subscriber.messages
                if m.topic.startswith("earshot/") and m.topic.endswith("/availability")
                and m.payload == OFFLINE
            }  # fmt: skip

        subscriber.wait_for(lambda: len(offline_boards()) == 1, 15, "a board to go offline")
        assert time.monotonic() - stopped_at <= 15
        availability = retained(broker, "earshot/+/availability")
        assert sorted(availability.values()) == [OFFLINE, ONLINE]  # the other stays online
    finally:
        bridge.send_signal(signal.SIGINT)
        _, err = bridge.communicate(timeout=30)
    # A clean stop says the bridge is offline.
    assert retained(broker, bridge_topic)[bridge_topic] == OFFLINE, err
