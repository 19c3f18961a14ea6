"""How many boards one bridge serves: `python -m earshot_host.fleet.scale --boards N`.

N Unix-port boards run the detector on a long stream as fast as they go (each writes its
JSON lines into a pseudo-terminal, as a USB board does into its serial port); one
`earshot bridge` process watches the N ports and publishes to a mosquitto of our own; a
subscriber counts what arrives. Measured: detections per second through the bridge, the
bridge's CPU time (from /proc, user + system) per second of wall time and per detection,
and whether every detection arrived once. Results as one JSON object on stdout (and
--json FILE). The boards and the broker share the machine with the bridge, so this is a
lower bound on what a bridge on its own core would do.
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import subprocess
import sys
import tempfile
import threading
import time
import tty
from pathlib import Path

import paho.mqtt.client as mqtt

from ..paths import project_root
from ..scenes import DEMO, DEMO_DURATION_MS, Placement, compose, write_scene
from .local_broker import LocalBroker

MODEL = "micro_speech"


def long_stream(path: Path, repeats: int) -> Path:
    """The demo scene repeated: 4 detections per 18 s of audio."""
    placements = [
        Placement(p.clip, p.at_ms + i * DEMO_DURATION_MS, p.gain_db, p.label)
        for i in range(repeats)
        for p in DEMO
    ]
    write_scene(path, compose(placements, DEMO_DURATION_MS * repeats))
    return path


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Counter:
    def __init__(self, port: int) -> None:
        self.lock = threading.Lock()
        self.detections: dict[str, list[str]] = {}
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="earshot-scale")
        self.client.on_message = self.on_message
        self.client.connect("127.0.0.1", port)
        self.client.subscribe("earshot/+/detection", 1)
        self.client.loop_start()

    def on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        device = message.topic.split("/")[1]
        with self.lock:
            self.detections.setdefault(device, []).append(message.payload.decode())

    def total(self) -> int:
        with self.lock:
            return sum(len(v) for v in self.detections.values())


def measure(boards: int, repeats: int, workdir: Path) -> dict[str, object]:
    firmware = project_root() / "build" / "unix" / "micropython"
    wav = long_stream(workdir / "stream.wav", repeats)
    expected = subprocess.run(
        [str(firmware), "-m", "earshot", "--model", MODEL, "--wav", str(wav)],
        capture_output=True, text=True, check=True,
    ).stdout.count('"type":"detection"')  # fmt: skip
    broker = LocalBroker(workdir)
    counter = Counter(broker.port)
    ports, masters, procs = [], [], []
    for _ in range(boards):
        master, slave = pty.openpty()
        tty.setraw(slave)
        ports.append(os.ttyname(slave))
        masters.append((master, slave))
    bridge = subprocess.Popen(
        [sys.executable, "-m", "earshot_host.cli", "bridge", "--broker", broker.address,
         "--id", "scale", *(a for p in ports for a in ("--port", p))],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(3.0)  # the bridge opens its ports
    start = time.monotonic()
    cpu_start = cpu_seconds(bridge.pid)
    for master, _ in masters:
        procs.append(
            subprocess.Popen(
                [str(firmware), "-m", "earshot", "--model", MODEL, "--wav", str(wav)],
                stdout=master,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
        )
    for proc in procs:
        proc.wait()
    want = expected * boards
    deadline = time.monotonic() + 60
    while counter.total() < want and time.monotonic() < deadline:
        time.sleep(0.05)
    wall = time.monotonic() - start
    cpu = cpu_seconds(bridge.pid) - cpu_start
    bridge.terminate()
    bridge.wait(30)
    for master, slave in masters:
        os.close(master)
        os.close(slave)
    counter.client.loop_stop()
    broker.stop()
    got = counter.total()
    unique = sum(len(set(v)) == len(v) for v in counter.detections.values())
    return {
        "boards": boards,
        "audio_s_per_board": DEMO_DURATION_MS * repeats / 1000,
        "detections_expected": want,
        "detections_received": got,
        "boards_without_duplicates": unique,
        "wall_s": round(wall, 2),
        "detections_per_s": round(got / wall, 1),
        "bridge_cpu_percent": round(100 * cpu / wall, 1),
        "bridge_cpu_ms_per_detection": round(1000 * cpu / max(got, 1), 2),
        "machine_cores": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m earshot_host.fleet.scale")
    parser.add_argument("--boards", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--repeats", type=int, default=10, help="demo scenes per board stream")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    results = []
    for n in args.boards:
        with tempfile.TemporaryDirectory(prefix="earshot-scale-") as tmp:
            result = measure(n, args.repeats, Path(tmp))
        print(json.dumps(result), flush=True)
        results.append(result)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
