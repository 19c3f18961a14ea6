"""PCM16 WAV files for host tools and tests: read as int16 mono, write int16 mono.

Only 16-bit integer PCM (format tag 1, or WAVE_FORMAT_EXTENSIBLE with the PCM subformat)
with 1 or 2 channels is accepted; anything else raises WavFormatError naming the format.
Stereo becomes mono as floor((left + right) / 2) (an arithmetic shift right by one of the
32-bit sum), which is exact when both channels are equal.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_FORMAT_NAMES = {
    0x0001: "PCM",
    0x0003: "IEEE float",
    0x0006: "A-law",
    0x0007: "mu-law",
    0x0011: "IMA ADPCM",
    0x0055: "MPEG layer 3",
    0xFFFE: "extensible",
}
_PCM_SUBFORMAT_TAIL = bytes.fromhex("000000001000800000aa00389b71")


class WavFormatError(ValueError):
    """The file is not a WAV this reader accepts (PCM16, mono or stereo)."""


@dataclass(frozen=True)
class Wav:
    samples: np.ndarray  # int16 mono
    sample_rate: int
    channels: int  # channels in the file (before mixing to mono)


def _chunks(data: bytes, path: Path) -> dict[bytes, bytes]:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise WavFormatError(f"{path}: not a RIFF/WAVE file")
    out: dict[bytes, bytes] = {}
    pos = 12
    while pos + 8 <= len(data):
        cid, size = struct.unpack_from("<4sI", data, pos)
        body = data[pos + 8 : pos + 8 + size]
        out.setdefault(cid, body)
        pos += 8 + size + (size & 1)
    return out


def read_wav(path: str | Path) -> Wav:
    """Read a PCM16 mono/stereo WAV; stereo is mixed down to mono (see module doc)."""
    path = Path(path)
    chunks = _chunks(path.read_bytes(), path)
    fmt = chunks.get(b"fmt ")
    if fmt is None or len(fmt) < 16:
        raise WavFormatError(f"{path}: no 'fmt ' chunk")
    tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", fmt, 0)
    name = _FORMAT_NAMES.get(tag, f"format tag 0x{tag:04x}")
    if tag == 0xFFFE:
        if len(fmt) < 40 or fmt[26:40] != _PCM_SUBFORMAT_TAIL or fmt[24:26] != b"\x01\x00":
            raise WavFormatError(f"{path}: extensible WAV with a non-PCM subformat")
        name = "PCM (extensible)"
    elif tag != 0x0001:
        raise WavFormatError(f"{path}: {name} audio, only 16-bit PCM is supported")
    if bits != 16:
        raise WavFormatError(f"{path}: {bits}-bit {name}, only 16-bit PCM is supported")
    if channels not in (1, 2):
        raise WavFormatError(f"{path}: {channels} channels, only mono or stereo is supported")
    data = chunks.get(b"data")
    if data is None:
        raise WavFormatError(f"{path}: no 'data' chunk")
    frames = len(data) // (2 * channels)
    pcm = np.frombuffer(data[: frames * 2 * channels], dtype="<i2").reshape(frames, channels)
    if channels == 2:
        mono = ((pcm[:, 0].astype(np.int32) + pcm[:, 1].astype(np.int32)) >> 1).astype(np.int16)
    else:
        mono = pcm[:, 0].astype(np.int16)
    return Wav(samples=mono, sample_rate=int(rate), channels=int(channels))


def write_wav(path: str | Path, samples: np.ndarray, sample_rate: int) -> None:
    """Write int16 samples as a canonical 44-byte-header PCM16 WAV: a 1-D array is mono,
    an (n, 2) array stereo."""
    pcm = np.asarray(samples)
    if pcm.dtype != np.int16 or not (pcm.ndim == 1 or (pcm.ndim == 2 and pcm.shape[1] == 2)):
        raise ValueError("write_wav takes int16 samples, shape (n,) or (n, 2)")
    channels = 1 if pcm.ndim == 1 else 2
    body = pcm.astype("<i2").tobytes()
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + len(body),
        b"WAVE",
        b"fmt ",
        16,
        1,
        channels,
        sample_rate,
        sample_rate * 2 * channels,
        2 * channels,
        16,
        b"data",
        len(body),
    )
    Path(path).write_bytes(header + body)
