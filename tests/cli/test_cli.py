"""The `earshot` command: one-line errors, exit status 1 (2 for usage), reports."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from earshot_host.modelfile import read_model

MICRO_SPEECH_TFLITE = "models/micro_speech/micro_speech_quantized.tflite"


def infer_args(tmp_path, model: str = "micro_speech", target: str = "unix") -> list[str]:
    x, y = str(tmp_path / "x.npy"), str(tmp_path / "y.npy")
    return ["infer", "--target", target, "--model", model, "--input", x, "--output", y]


def earshot(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "earshot_host.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
        check=False,
    )


def assert_one_line_error(proc: subprocess.CompletedProcess, *fragments: str) -> None:
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("earshot: ")
    assert "Traceback" not in proc.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_no_command_is_a_usage_error():
    assert earshot().returncode == 2


@pytest.mark.parametrize("command", ["convert", "infer", "boards"])
def test_every_command_has_help(command):
    proc = earshot(command, "--help")
    assert proc.returncode == 0
    assert "usage: earshot " + command in proc.stdout


def test_convert_writes_model_and_report(root, tmp_path):
    out = tmp_path / "speech.esm"
    proc = earshot("convert", str(root / MICRO_SPEECH_TFLITE), "-o", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["total_macs"] == 336_000
    model = read_model(out.read_bytes())
    assert model.arena_size == report["arena_bytes"]


def test_convert_text_report_has_per_op_rows(root, tmp_path):
    proc = earshot("convert", str(root / MICRO_SPEECH_TFLITE), "-o", str(tmp_path / "m.esm"))
    assert proc.returncode == 0
    assert "DEPTHWISE_CONV_2D" in proc.stdout and "MACs          336,000" in proc.stdout


def test_convert_missing_file(tmp_path):
    proc = earshot("convert", str(tmp_path / "nope.tflite"), "-o", str(tmp_path / "x.esm"))
    assert_one_line_error(proc, "cannot read", "nope.tflite")


def test_convert_refuses_unsupported_op(root, tmp_path):
    src = root / "tests/data/conformance/unsupported_tanh.tflite"
    proc = earshot("convert", str(src), "-o", str(tmp_path / "x.esm"))
    assert_one_line_error(proc, "TANH")
    assert not (tmp_path / "x.esm").exists()


def test_convert_wrong_label_count(root, tmp_path):
    proc = earshot("convert", str(root / MICRO_SPEECH_TFLITE), "-o", str(tmp_path / "x.esm"),
                   "--labels", "a,b")  # fmt: skip
    assert_one_line_error(proc, "2 labels", "4 classes")


def test_infer_unknown_model(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((1, 1960), np.int8))
    proc = earshot(*infer_args(tmp_path, model="no_such_model"))
    assert_one_line_error(proc, "no_such_model", "micro_speech")


def test_infer_unknown_target_is_one_line_error(tmp_path):
    x = tmp_path / "x.npy"
    np.save(x, np.zeros((1, 49, 40), np.int8))
    proc = earshot("infer", "--target", "qemu_m99", "--model", "micro_speech",
                   "--input", str(x), "--output", "y.npy")  # fmt: skip
    assert_one_line_error(proc, "unknown target 'qemu_m99'")


@pytest.mark.parametrize(
    ("array", "fragment"),
    [
        (np.zeros((2, 1960), np.float32), "int8"),
        (np.zeros((2, 100), np.int8), "1960 elements"),
        (np.zeros((0, 1960), np.int8), "non-empty"),
    ],
)
def test_infer_refuses_bad_inputs(tmp_path, array, fragment):
    np.save(tmp_path / "x.npy", array)
    proc = earshot(*infer_args(tmp_path))
    assert_one_line_error(proc, fragment)


def test_infer_unreadable_input(tmp_path):
    (tmp_path / "x.npy").write_bytes(b"not numpy")
    proc = earshot(*infer_args(tmp_path))
    assert_one_line_error(proc, "x.npy")


def test_boards_lists_the_table():
    proc = earshot("boards")
    assert proc.returncode == 0
    for name in ("unix", "qemu_m0", "qemu_m3", "qemu_m4", "qemu_m7", "pico_i2s"):
        assert name in proc.stdout
