"""The detector on stock MicroPython: `micropython -m earshot --model-file ms.esm --wav F`
prints the detections that the firmware prints for `--model micro_speech --wav F`, on the
stock Unix port (MICROPYPATH=build/natmod/x64) and on the stock QEMU boards (the same
command line through the raw REPL, model and WAV on the ROMFS image)."""

from __future__ import annotations

import json
import subprocess

import pytest
from stock_support import ROOT, SCENE, data_path

from earshot_host.boards import get_board
from earshot_host.natmod import unix_env

pytestmark = pytest.mark.stock


def messages(output: str, kinds: tuple[str, ...] = ("detection", "end")) -> list[dict]:
    lines = [json.loads(x) for x in output.splitlines() if x.startswith("{")]
    return [m for m in lines if m["type"] in kinds]


def firmware_detections(wav: str) -> list[dict]:
    firmware = get_board("unix", ROOT).firmware_path(ROOT)
    out = subprocess.run(
        [str(firmware), "-m", "earshot", "--model", "micro_speech", "--wav", wav],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    return messages(out.stdout)


def test_detections_are_the_firmware_s(target):
    wav = data_path(get_board("stock_unix", ROOT), SCENE)  # the same file, on the host
    expected = firmware_detections(wav)
    assert [m["label"] for m in expected if m["type"] == "detection"] == ["yes", "no", "yes", "no"]
    model = data_path(target.board, "micro_speech.esm")
    args = ["--model-file", model, "--wav", data_path(target.board, SCENE)]
    if target.board.kind == "unix":
        firmware = target.board.firmware_path(ROOT)
        env = {**unix_env(target.board, ROOT), "PATH": "/usr/bin:/bin"}
        out = subprocess.run(
            [str(firmware), "-m", "earshot", *args],
            capture_output=True, text=True, timeout=300, check=True, env=env,
        ).stdout  # fmt: skip
    else:
        code = f"import sys\nsys.argv[:] = {['earshot', *args]!r}\nimport earshot.__main__\n"
        out = target.exec(code, timeout=600)
    hello = messages(out, ("hello",))
    assert hello and hello[0]["model"] == "micro_speech"
    assert messages(out) == expected
