"""The emulated Pico (rp2040js running the pico_i2s image) as a target: issue 15's
acceptance. Runs when the image, the bootrom and rp2040js are here; says what is missing
otherwise (CI has no real-board image). Each test keeps its board's flash in its own file.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from cli_support import earshot

from earshot_host.boards import get_board
from earshot_host.catalog import load_catalog
from earshot_host.errors import EarshotError
from earshot_host.frontend.wav import write_wav
from earshot_host.model_spec import resolve_model
from earshot_host.oracle import litert_reference_outputs
from earshot_host.runner.rp2040js import missing
from earshot_host.scenes import Placement, compose, write_scene
from earshot_host.targets import Target, open_target

BOARD = get_board("pico_i2s")
NEEDS = missing(BOARD, BOARD.firmware_path())
pytestmark = pytest.mark.skipif(
    bool(NEEDS), reason=f"the emulated Pico needs {'; '.join(NEEDS)} (docs/TARGETS.md)"
)


class Cut(Exception):
    pass


@pytest.fixture
def flash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "flash.bin"
    monkeypatch.setenv("EARSHOT_RP2040JS_FLASH", str(path))
    return path


@pytest.fixture
def pico(flash: Path):
    target = open_target("pico_i2s")
    yield target
    target.close()


def power_cycle(pico: Target) -> None:
    """Power off: the next run boots the board again, from the same flash file."""
    pico.runner.close()


def test_mlperf_kws_bit_exact_with_litert_through_infer(flash, tmp_path):
    batch = np.random.default_rng(15).integers(-128, 128, size=(6, 49, 10), dtype=np.int8)
    batch[0] = -128
    np.save(tmp_path / "x.npy", batch)
    proc = earshot("infer", "--target", "pico_i2s", "--model", "mlperf_kws",
                   "--input", str(tmp_path / "x.npy"), "--output", str(tmp_path / "y.npy"),
                   env=dict(os.environ))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    got = np.load(tmp_path / "y.npy")
    expected = litert_reference_outputs(load_catalog()["mlperf_kws"].source_path, batch)
    np.testing.assert_array_equal(got, expected.reshape(got.shape))


def test_listen_detections_identical_to_the_unix_port(pico, tmp_path):
    wav = tmp_path / "scene.wav"
    placements = [
        Placement("yes_1000ms", 500, 0.0, "yes"),
        Placement("no_1000ms", 2_000, 0.0, "no"),
    ]
    write_scene(wav, compose(placements, 3_500, -65.0))
    model = resolve_model("micro_speech")
    with open_target("unix") as unix:
        expected = unix.listen(model, wav).check()
    got = pico.listen(model, wav).check()
    found = [(d["label"], d["t_ms"]) for d in got.detections]
    assert found == [(d["label"], d["t_ms"]) for d in expected.detections]
    assert [label for label, _ in found] == ["yes", "no"]


def test_a_flashed_model_is_active_after_a_reset_and_cut_transfers_leave_it(pico, flash):
    first = pico.flash_model(resolve_model("micro_speech"))
    assert (first.slot, first.seq, first.name) == ("A", 1, "micro_speech")
    power_cycle(pico)
    assert pico.model_status().source == "slot A seq 1 (micro_speech)"

    def cut(step: str) -> None:
        if step == "chunk 2":
            raise Cut(step)

    kws = resolve_model("mlperf_kws")
    with pytest.raises(Cut):
        pico.flash_model(kws, checkpoint=cut)
    power_cycle(pico)
    assert pico.model_status().source == "slot A seq 1 (micro_speech)"

    def power_off(done: int, total: int) -> None:  # the board dies mid-transfer
        if done >= 16384:
            pico.runner.pico.proc.kill()

    with pytest.raises(EarshotError, match="stopped answering"):
        pico.flash_model(kws, power_off)
    status = pico.model_status()  # boots again from the flash file
    assert status.source == "slot A seq 1 (micro_speech)"
    silence = flash.parent / "silence.wav"
    write_wav(silence, np.zeros(8000, np.int16), 16000)
    hello = pico.listen(None, silence).check().of_type("hello")[0]
    assert hello["model"] == "micro_speech" and hello["source"] == status.source


def test_a_model_written_by_one_command_is_there_for_the_next(flash):
    env = dict(os.environ)
    proc = earshot("flash-model", "micro_speech", "--target", "pico_i2s", env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("pico_i2s: micro_speech active in slot A (seq 1)")
    status = earshot("flash-model", "--status", "--target", "pico_i2s", env=env)
    assert status.returncode == 0 and status.stdout.strip() == "slot A seq 1 (micro_speech)"
    assert flash.stat().st_size == BOARD.flash_bytes


def test_features_equal_the_host_reference(pico, root):
    from earshot_host.features import model_frontend, reference_features
    from earshot_host.frontend.wav import read_wav

    wav = root / "tests" / "data" / "audio" / "yes_1000ms.wav"
    fe = model_frontend(resolve_model("micro_speech"))
    samples = read_wav(wav).samples
    frames, _ = pico.features(fe, samples)
    np.testing.assert_array_equal(frames, reference_features(fe, samples))
