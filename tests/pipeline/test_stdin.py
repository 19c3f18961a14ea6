"""The Unix firmware listens to raw PCM on standard input, as from
`arecord -f S16_LE -r 16000 -c 1 | micropython -m earshot --model micro_speech --stdin`."""

from __future__ import annotations

import json
import subprocess

from earshot_host.boards import get_board
from earshot_host.scenes import Placement, compose


def test_raw_pcm_on_stdin_is_heard(root):
    scene = compose([Placement("yes_1000ms", 1_000, 0.0, "yes")], 4_000, -65.0)
    firmware = get_board("unix").firmware_path(root)
    proc = subprocess.run(
        [str(firmware), "-m", "earshot", "--model", "micro_speech", "--stdin"],
        input=scene.samples.astype("<i2").tobytes(),
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    messages = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [m["label"] for m in messages if m["type"] == "detection"] == ["yes"]
    assert messages[-1] == {"v": 1, "type": "end", "t_ms": 4_000}


def test_bad_arguments_are_one_usage_error(root):
    firmware = get_board("unix").firmware_path(root)
    proc = subprocess.run(
        [str(firmware), "-m", "earshot", "--model", "micro_speech"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "give one of --wav FILE, --stdin, --mic or --uart" in proc.stderr
