"""PCM16 WAV reader: mono, stereo mixing, clear refusals."""

import struct

import numpy as np
import pytest
from frontend_support import AUDIO_DIR

from earshot_host.frontend.wav import WavFormatError, read_wav, write_wav


def _wav_bytes(tag: int, channels: int, bits: int, payload: bytes) -> bytes:
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", tag, channels, 16000, 16000 * block, block, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", len(body)) + body


def test_reads_reference_mono_clip():
    wav = read_wav(AUDIO_DIR / "yes_1000ms.wav")
    assert wav.samples.dtype == np.int16 and wav.samples.shape == (16000,)
    assert (wav.sample_rate, wav.channels) == (16000, 1)


def test_stereo_is_mixed_to_floor_mean(tmp_path):
    left = np.array([1, -3, 32767, -32768], dtype=np.int16)
    right = np.array([2, -4, 32767, -32768], dtype=np.int16)
    payload = np.stack([left, right], axis=1).astype("<i2").tobytes()
    path = tmp_path / "s.wav"
    path.write_bytes(_wav_bytes(1, 2, 16, payload))
    wav = read_wav(path)
    assert wav.channels == 2
    assert wav.samples.tolist() == [1, -4, 32767, -32768]


def test_marvin_stereo_clip_reads_as_mono():
    wav = read_wav(AUDIO_DIR / "marvin_617de221_0.wav")
    assert wav.channels == 2 and wav.samples.shape == (16000,)


@pytest.mark.parametrize(
    ("tag", "channels", "bits", "message"),
    [
        (3, 1, 32, "IEEE float"),
        (1, 1, 24, "24-bit PCM"),
        (1, 1, 8, "8-bit PCM"),
        (7, 1, 8, "mu-law"),
        (1, 3, 16, "3 channels"),
    ],
)
def test_refuses_other_formats(tmp_path, tag, channels, bits, message):
    path = tmp_path / "x.wav"
    path.write_bytes(_wav_bytes(tag, channels, bits, b"\0" * 64))
    with pytest.raises(WavFormatError, match=message):
        read_wav(path)


def test_refuses_non_riff(tmp_path):
    path = tmp_path / "x.wav"
    path.write_bytes(b"ID3 not a wav at all")
    with pytest.raises(WavFormatError, match="RIFF"):
        read_wav(path)


def test_write_read_roundtrip(tmp_path):
    x = np.arange(-500, 500, dtype=np.int16) * 37
    write_wav(tmp_path / "r.wav", x, 8000)
    wav = read_wav(tmp_path / "r.wav")
    assert wav.sample_rate == 8000
    np.testing.assert_array_equal(wav.samples, x)
