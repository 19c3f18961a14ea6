"""The target interface (earshot_host.targets): one open_target for every kind of
target, chosen by boards.toml; what each refuses, with a reason."""

from __future__ import annotations

import numpy as np
import pytest
from cli_support import assert_one_line_error, earshot

from earshot_host.errors import EarshotError
from earshot_host.flash_model import flash_model
from earshot_host.model_spec import resolve_model
from earshot_host.runner import RunResult
from earshot_host.runner.rp2040js import Rp2040jsRunner
from earshot_host.runner.serial import PortRunner
from earshot_host.session import device_argv, listen_code
from earshot_host.targets import SerialTarget, UnixTarget, open_target, target_names


def test_the_table_chooses_the_class():
    names = target_names()
    assert "unix" in names and "pico_i2s" in names and "nucleo_f411re_i2s" not in names
    with open_target("unix") as unix:
        assert isinstance(unix, UnixTarget)
    pico = open_target("pico_i2s")  # nothing starts until the first run
    assert isinstance(pico, SerialTarget) and isinstance(pico.runner, Rp2040jsRunner)
    port = open_target("/dev/ttyACM9")
    assert isinstance(port, SerialTarget) and isinstance(port.runner, PortRunner)


def test_a_real_board_is_named_by_its_port():
    with pytest.raises(
        EarshotError, match="nucleo_f411re_i2s is a real board: give its serial port"
    ):
        open_target("nucleo_f411re_i2s")
    with pytest.raises(EarshotError, match="unknown target 'esp99'"):
        open_target("esp99")


def test_emulated_pico_says_what_it_lacks(monkeypatch, tmp_path):
    monkeypatch.setenv("RP2040_BOOTROM", str(tmp_path / "nothing.bin"))
    with open_target("pico_i2s") as pico, pytest.raises(EarshotError) as err:
        pico.run("print(1)")
    assert "RP2040_BOOTROM=" in str(err.value) and "16384-byte" in str(err.value)


def test_missing_port_is_one_line_error(root, tmp_path):
    port = str(tmp_path / "ttyACM9")
    wav = str(root / "tests" / "data" / "audio" / "yes_1000ms.wav")
    for args in (
        ["infer", "--target", port, "--model", "micro_speech", "--input", "x.npy", "--output", "y"],
        ["flash-model", "--status", "--target", port],
        ["listen", "--target", port, "--model", "micro_speech", "--wav", wav],
    ):
        proc = earshot(*args)
        if args[0] == "infer":
            assert_one_line_error(proc, "x.npy")  # the input is read first
        else:
            assert_one_line_error(proc, f"no serial port {port}")


def test_unix_has_no_model_slots():
    with open_target("unix") as unix, pytest.raises(EarshotError, match="unix has no model slots"):
        unix.flash_model(resolve_model("micro_speech"))


def test_device_arguments_pass_through_unchanged():
    args = ["--threshold", "0.8", "--t0-ms", "4294967296", "--settings", "s.json"]
    assert device_argv("micro_speech", args) == ["--model", "micro_speech", *args, "--uart"]
    assert device_argv(("--model-file", "/m.esm"), args, ("--wav", "x.wav")) == [
        "--model-file", "/m.esm", *args, "--wav", "x.wav"
    ]  # fmt: skip
    assert device_argv(None, []) == ["--uart"]
    with pytest.raises(EarshotError, match="--wav: the host chooses the audio source"):
        device_argv("micro_speech", ["--wav", "x.wav"])
    assert repr([*args, "--uart"])[1:-1] in listen_code(None, args)


class SmallSlots:
    """A board whose store reports 1 KiB slots: the host refuses before sending."""

    name = "fake"

    def __init__(self) -> None:
        self.code: list[str] = []

    def run(self, code: str, timeout: float = 60.0, soft_reset: bool = True) -> RunResult:
        self.code.append(code)
        return RunResult("fake", "(1024, 960, 50000)\n" if "Store(" in code else "")


def test_model_bigger_than_a_slot_is_refused_before_it_is_sent():
    board = SmallSlots()
    with pytest.raises(
        EarshotError, match=r"micro_speech is 24,328 bytes; a model slot of this board holds 960"
    ):
        flash_model(board, "micro_speech")
    assert not any("_w.write" in code or "writer(" in code for code in board.code)


def test_infer_refuses_inputs_of_the_wrong_type_or_size():
    source = resolve_model("micro_speech")
    with open_target("unix") as unix:
        with pytest.raises(EarshotError, match="inputs must be int8"):
            unix.infer(source, np.zeros((2, 49, 40), np.float32))
        with pytest.raises(EarshotError, match="each input must have 1960 elements"):
            unix.infer(source, np.zeros((2, 49, 41), np.int8))
