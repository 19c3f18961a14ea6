"""`earshot features`: a WAV through a model's front end on a target; one-line errors."""

from __future__ import annotations

import numpy as np
import pytest
from test_cli import assert_one_line_error, earshot

from earshot_host.boards import Board
from earshot_host.features import model_frontend, reference_features
from earshot_host.frontend.wav import read_wav, write_wav
from earshot_host.model_spec import resolve_model


def first_selected(selected: list[Board], kind: str) -> str:
    names = [b.name for b in selected if b.kind == kind]
    if not names:
        pytest.skip(f"no {kind} target selected (--targets)")
    return names[0]


def features_args(target: str, model: str, wav, out) -> list[str]:
    return [
        "features",
        "--target",
        target,
        "--model",
        model,
        "--wav",
        str(wav),
        "--output",
        str(out),
    ]


@pytest.mark.parametrize(
    ("board", "model", "clip"),
    [
        ("unix", "micro_speech", "yes_1000ms"),
        ("unix", "mlperf_kws", "no_1000ms"),
        ("unix", "mlperf_sww", "marvin_617de221_0"),
        ("qemu", "micro_speech", "no_1000ms"),
    ],
)
def test_features_equal_host_reference(selected, root, tmp_path, board, model, clip):
    if board == "qemu":  # the first QEMU board of --targets
        board = first_selected(selected, "qemu")
    wav = root / "tests" / "data" / "audio" / f"{clip}.wav"
    out = tmp_path / "f.npy"
    proc = earshot(*features_args(board, model, wav, out))
    assert proc.returncode == 0, proc.stderr
    got = np.load(out)
    fe = model_frontend(resolve_model(model))
    expected = reference_features(fe, read_wav(wav).samples)
    assert got.dtype == np.int8 and got.shape == (fe.frames, fe.features)
    np.testing.assert_array_equal(got, expected)


def test_stereo_is_mixed_to_mono(root, tmp_path):
    mono = read_wav(root / "tests" / "data" / "audio" / "yes_1000ms.wav").samples
    left = mono.astype(np.int32)
    right = np.clip(left // 2 + 100, -32768, 32767)
    stereo = tmp_path / "stereo.wav"
    write_wav(stereo, np.stack([left, right], axis=1).astype(np.int16), 16000)
    out = tmp_path / "f.npy"
    proc = earshot(*features_args("unix", "micro_speech", stereo, out))
    assert proc.returncode == 0, proc.stderr
    mixed = ((left + right) >> 1).astype(np.int16)
    fe = model_frontend(resolve_model("micro_speech"))
    np.testing.assert_array_equal(np.load(out), reference_features(fe, mixed))


def test_clip_gain_for_mfcc(root, tmp_path):
    wav = root / "tests" / "data" / "audio" / "yes_1000ms.wav"
    out = tmp_path / "f.npy"
    proc = earshot(*features_args("unix", "mlperf_kws", wav, out), "--clip-gain")
    assert proc.returncode == 0, proc.stderr
    golden = np.load(root / "tests" / "data" / "frontend" / "mfcc_yes_1000ms_int8.npy")
    # Measured: all 490 values equal to the golden (docs: tests/data/frontend/).
    np.testing.assert_array_equal(np.load(out), golden)


def test_help_has_examples():
    proc = earshot("features", "--help")
    assert proc.returncode == 0
    assert "usage: earshot features" in proc.stdout
    assert "earshot features --target unix --model micro_speech" in proc.stdout


def test_errors_are_one_line(root, tmp_path):
    audio = root / "tests" / "data" / "audio"
    out = tmp_path / "f.npy"
    not_wav = tmp_path / "x.wav"
    not_wav.write_bytes(b"hello")
    fast = tmp_path / "fast.wav"
    write_wav(fast, np.zeros(16000, np.int16), 8000)
    short = tmp_path / "short.wav"
    write_wav(short, np.zeros(100, np.int16), 16000)
    cases = [
        (features_args("unix", "micro_speech", not_wav, out), "not a RIFF/WAVE file"),
        (features_args("unix", "micro_speech", tmp_path / "missing.wav", out), "cannot read"),
        (features_args("unix", "nope", audio / "yes_1000ms.wav", out), "model 'nope'"),
        (
            features_args("unix", "mlperf_ad01", audio / "yes_1000ms.wav", out),
            "model mlperf_ad01 has no audio front end",
        ),
        (features_args("unix", "micro_speech", fast, out), "8000 Hz audio"),
        (features_args("unix", "micro_speech", short, out), "needs at least 480"),
        (
            [*features_args("unix", "micro_speech", audio / "yes_1000ms.wav", out), "--clip-gain"],
            "--clip-gain is for mfcc",
        ),
        (
            features_args(
                "unix", "micro_speech", audio / "yes_1000ms.wav", tmp_path / "no" / "dir" / "f.npy"
            ),
            "cannot write",
        ),
    ]
    for args, fragment in cases:
        assert_one_line_error(earshot(*args), fragment)
