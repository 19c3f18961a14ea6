"""`earshot record` end to end: the WAV written equals the audio the board heard, on a
QEMU board fed over its UART and on the Unix port's `--mic` stand-in; around each
detection, the clips are the 2 s of audio around it."""

from __future__ import annotations

import numpy as np
import pytest

from earshot_host.cli import main
from earshot_host.frontend.wav import read_wav
from earshot_host.scenes import Placement, compose, write_scene

HOP = 320  # micro_speech: 20 ms at 16 kHz


def scene(ms: int):
    # A whole number of hops: the board hears exactly these samples (no padding).
    s = compose([Placement("yes_1000ms", 500, 0.0, "yes")], ms, -50.0)
    assert len(s.samples) % HOP == 0
    return s


def record(capsys, tmp_path, target: str, ms: int, *options: str):
    audio = scene(ms)
    wav = tmp_path / "in.wav"
    write_scene(wav, audio)
    out = tmp_path / "out.wav"
    capsys.readouterr()
    args = ["record", "--target", target, "--model", "micro_speech", "--wav", str(wav)]
    status = main([*args, "-o", str(out), *options])
    printed = capsys.readouterr()
    if status and "pipeline does not fit" in printed.err:
        return None, None, printed.err  # the caller asks whether the board may refuse
    assert status == 0, printed.err
    return audio.samples, out, printed.out


@pytest.mark.kinds("unix", "qemu")
def test_the_recording_equals_the_audio_heard(target, tmp_path, capsys):
    # Unix port: through its microphone stand-in (32-bit I2S slots on stdin); a QEMU
    # board: the audio sent over its UART as protocol lines, sent back as audio lines.
    ms = 3_000 if target.board.kind == "unix" else 1_500
    samples, out, text = record(capsys, tmp_path, target.name, ms)
    if out is None and target.pipeline_refused(text):
        return  # qemu_m0: the pipeline and the recorder's buffers in 20 KiB, said so
    heard = read_wav(out)
    assert heard.sample_rate == 16_000
    assert np.array_equal(heard.samples, samples)


@pytest.mark.kinds("unix")
def test_on_detection_records_the_2_s_around_each_detection(target, tmp_path, capsys):
    samples, out, text = record(capsys, tmp_path, "unix", 6_000, "--on-detection")
    clips = sorted(out.parent.glob("out-*.wav"))
    assert [c.name for c in clips] == ["out-1.wav"]  # one "yes", one clip
    clip = read_wav(clips[0]).samples
    assert len(clip) == 2 * 16_000  # 1.5 s before the detection, 0.5 s after
    start = round(float(text.split(" from ")[1].split(" s")[0]) * 16_000)
    assert np.array_equal(clip, samples[start : start + len(clip)])
