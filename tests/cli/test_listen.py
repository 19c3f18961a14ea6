"""earshot listen: detections printed from a target; one-line errors for bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from earshot_host.frontend.wav import write_wav
from earshot_host.scenes import Placement, compose, write_scene


def earshot(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "earshot_host.cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def one_line_error(proc: subprocess.CompletedProcess, fragment: str) -> None:
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("earshot: "), proc.stderr
    assert fragment in lines[0]


def test_listen_prints_detections_as_json(tmp_path):
    wav = tmp_path / "yes.wav"
    write_scene(wav, compose([Placement("yes_1000ms", 1_000, 0.0, "yes")], 4_000, -65.0))
    proc = earshot("listen", "--target", "unix", "--model", "micro_speech", "--wav", str(wav),
                   "--json")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    messages = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [m["label"] for m in messages if m["type"] == "detection"] == ["yes"]
    assert messages[-1]["type"] == "end"


def test_listen_human_output(tmp_path):
    wav = tmp_path / "yes.wav"
    write_scene(wav, compose([Placement("yes_1000ms", 1_000, 0.0, "yes")], 4_000, -65.0))
    proc = earshot("listen", "--target", "unix", "--model", "micro_speech", "--wav", str(wav))
    assert proc.returncode == 0
    assert "yes" in proc.stdout and " s " in proc.stdout


def test_listen_missing_wav(tmp_path):
    proc = earshot("listen", "--target", "unix", "--model", "micro_speech",
                   "--wav", str(tmp_path / "none.wav"))  # fmt: skip
    one_line_error(proc, "none.wav")


def test_listen_model_without_front_end(tmp_path):
    wav = tmp_path / "x.wav"
    write_wav(wav, np.zeros(16000, np.int16), 16000)
    proc = earshot("listen", "--target", "unix", "--model", "mlperf_ad01", "--wav", str(wav))
    one_line_error(proc, "no audio front end")


def test_listen_wrong_sample_rate(tmp_path):
    wav = tmp_path / "x.wav"
    write_wav(wav, np.zeros(8000, np.int16), 8000)
    proc = earshot("listen", "--target", "unix", "--model", "micro_speech", "--wav", str(wav))
    one_line_error(proc, "16000 Hz")


def test_listen_refuses_a_non_wav_file(tmp_path):
    bad = tmp_path / "x.wav"
    bad.write_bytes(b"definitely not audio" * 10)
    proc = earshot("listen", "--target", "unix", "--model", "micro_speech", "--wav", str(bad))
    one_line_error(proc, "WAV")


def test_listen_with_a_model_file_and_device_settings(root, tmp_path):
    # A model that is not frozen goes to the target as a file; detector settings reach the
    # device command line unchanged (--stats-ms: a stats line every second of audio).
    esm = tmp_path / "speech.esm"
    esm.write_bytes((root / "models" / "micro_speech" / "micro_speech.esm").read_bytes())
    wav = tmp_path / "yes.wav"
    write_scene(wav, compose([Placement("yes_1000ms", 1_000, 0.0, "yes")], 4_000, -65.0))
    proc = earshot("listen", "--target", "unix", "--model", str(esm), "--wav", str(wav),
                   "--json", "--stats-ms", "1000")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    messages = [json.loads(line) for line in proc.stdout.splitlines()]
    assert messages[0]["type"] == "hello" and messages[0]["source"].startswith("file ")
    assert [m["label"] for m in messages if m["type"] == "detection"] == ["yes"]
    assert [m["t_ms"] for m in messages if m["type"] == "stats"][:3] == [1000, 2000, 3000]
