"""Detector settings with the same names everywhere: the device's command line takes
them (options and a settings file), checks them with a clear error, and its hello
reports the settings in force and the board's device id; a model can ship settings in
its metadata; the host's options are the device's."""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess

import pytest

from earshot_host.boards import get_board
from earshot_host.detector_settings import add_arguments, device_args, from_args, with_settings
from earshot_host.device_code import device_module
from earshot_host.errors import EarshotError
from earshot_host.paths import project_root

MICRO_SPEECH_DEFAULTS = {
    "rule": "average",
    "threshold": 0.784,
    "average_ms": 1000,
    "min_count": 3,
    "suppress_ms": 1500,
    "every": 2,
    "gate": None,
}


def hello_of(target, args: list[str]) -> dict:
    """The hello of the device command line's args: parsed, the device named and the
    pipeline made by the functions main() uses, without a source (boards have no file)."""
    code = (
        "from earshot.options import parse, load_model, device_id as _device\n"
        "from earshot.protocol import Console\n"
        "from earshot.stream import Listener\n"
        f"o = parse({args!r})\n"
        "c = Console()\n"
        "c.device = _device(o.get('--device'))\n"
        "Listener(load_model(o['--model']), c, settings=o['settings']).hello()\n"
    )
    out = target.exec(code, timeout=300)
    return json.loads(next(x for x in out.splitlines() if x.startswith("{")))


def test_hello_reports_the_settings_in_force_and_the_device(target):
    base = ["--model", "micro_speech", "--wav", "x.wav", "--stats-ms", "0"]
    hello = hello_of(target, base)
    assert hello["settings"] == MICRO_SPEECH_DEFAULTS
    if target.board.kind == "unix":
        # The Unix port: "unix-" and the first 12 hex digits of /etc/machine-id.
        machine_id = open("/etc/machine-id").read().strip()[:12]  # noqa: SIM115
        assert hello["device"] == "unix-" + machine_id
    else:
        assert "device" not in hello  # QEMU boards have no unique id: hosts use the port
    options = ["--threshold", "0.6", "--average-ms", "800", "--min-count", "2", "--suppress-ms",
               "1000", "--every", "4", "--gate", "-50", "--device", "kitchen/1"]  # fmt: skip
    hello = hello_of(target, base + options)
    assert hello["settings"] == {
        "rule": "average",
        "threshold": 0.6,
        "average_ms": 800,
        "min_count": 2,
        "suppress_ms": 1000,
        "every": 4,
        "gate": -50.0,
    }
    assert hello["device"] == "kitchen-1"  # one MQTT topic level


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        (["--threshold", "1.5"], "threshold must be between 0 and 1, not 1.5"),
        (["--every", "0"], "every must be at least 1, not 0"),
        (["--average-ms", "ten"], "--average-ms needs a number, not 'ten'"),
        (["--gate", "3"], "gate is in dBFS (0 or below), not 3"),
        (["--t0-ms", "-5"], "--t0-ms must be at least 0, not -5"),
        (["--threshold"], "unknown or incomplete option '--threshold'"),
    ],
)
def test_bad_settings_are_a_usage_error_naming_them(root, options, problem):
    firmware = get_board("unix").firmware_path(root)
    proc = subprocess.run(
        [str(firmware), "-m", "earshot", "--model", "micro_speech", "--stdin", *options],
        capture_output=True, text=True, timeout=60, input="", check=False,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert problem in proc.stderr


def test_a_settings_file_is_read_and_options_win(root, tmp_path):
    firmware = get_board("unix").firmware_path(root)
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"threshold": 0.7, "min_count": 1, "average_ms": 600}))

    def hello(*extra: str) -> dict:
        proc = subprocess.run(
            [str(firmware), "-m", "earshot", "--model", "micro_speech", "--stdin", *extra],
            capture_output=True, text=True, timeout=60, input="", check=False,
        )  # fmt: skip
        return json.loads(proc.stdout.splitlines()[0])

    got = hello("--settings", str(path), "--min-count", "2")["settings"]
    assert (got["threshold"], got["min_count"], got["average_ms"]) == (0.7, 2, 600)
    path.write_text(json.dumps({"threshold": 0.7, "window": 3}))
    refused = hello("--settings", str(path))
    assert refused["type"] == "error"
    assert re.search(r"settings file .*s\.json: unknown setting 'window'", refused["message"])


def test_the_esphome_rule_refuses_min_count(target):
    code = (
        "from earshot.detect import resolve\n"
        "meta = {'frontend': {'hop_ms': 10}, 'streaming': {'hops_per_inference': 3},\n"
        "        'detector': {'rule': 'esphome', 'threshold': 0.97, 'sliding_window': 5}}\n"
        "print(sorted(resolve(meta, 10, {'threshold': 0.9, 'average_ms': 100}).items()))\n"
        "try:\n"
        "    resolve(meta, 10, {'min_count': 2})\n"
        "except ValueError as e:\n"
        "    print(e)\n"
    )
    lines = target.exec(code).strip().splitlines()
    # The window is a whole number of inferences (3 hops of 10 ms): 100 ms -> 90 ms.
    assert lines[0] == (
        "[('average_ms', 90), ('every', 3), ('gate', None), ('min_count', None), "
        "('rule', 'esphome'), ('suppress_ms', 1000), ('threshold', 0.9)]"
    )
    assert lines[1] == "min_count does not apply to the esphome rule"


def test_a_model_ships_its_settings(target):
    # Settings written into a model's metadata (flash-model --settings) are in force.
    blob = (project_root() / "models" / "micro_speech" / "micro_speech.esm").read_bytes()
    shipped = with_settings(blob, {"threshold": 0.65, "suppress_ms": 900})
    heap = target.board.heap_bytes
    if heap and heap < 2 * len(shipped):
        pytest.skip(f"{target.name}'s {heap}-byte heap cannot hold an uploaded copy of a "
                    f"{len(shipped)}-byte model and its pipeline")  # fmt: skip
    name = target.runner.upload("shipped.esm", shipped)
    code = (
        "import earshot\nfrom earshot.stream import Listener\n"
        f"l = Listener(earshot.Model({name}), stats_ms=0)\n"
        "print(sorted(l.settings.items()))\n"
    )
    out = target.runner.run(code, soft_reset=False).check()  # the upload lives until a reset
    got = dict(ast.literal_eval(out.strip().splitlines()[-1]))
    assert got == MICRO_SPEECH_DEFAULTS | {"threshold": 0.65, "suppress_ms": 900}


def test_the_host_options_are_the_devices():
    # The device's options module lists the settings' options without importing
    # earshot.settings.
    settings = device_module("settings")
    source = (project_root() / "firmware" / "earshot" / "options.py").read_text()
    listed = re.search(r"SETTINGS = \(([^)]*)\)", source).group(1)
    assert sorted(re.findall(r'"(--[a-z-]+)"', listed)) == sorted(settings.OPTIONS)
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--threshold", "0.5", "--average-ms", "700", "--gate", "-40"])
    got = from_args(args)
    assert got == {"threshold": 0.5, "average_ms": 700, "gate": -40.0}
    assert device_args(got) == ["--threshold", "0.5", "--average-ms", "700", "--gate", "-40.0"]
    with pytest.raises(EarshotError, match="min_count must be at least 1, not 0"):
        from_args(parser.parse_args(["--min-count", "0"]))
