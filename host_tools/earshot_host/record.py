"""Recording what a board hears (`earshot record`): the board's detector runs with
`--record` (every hop) or `--record-on-detection` (the 2 s around each detection) and
sends the audio back as protocol lines (firmware/earshot/record.py):

    {"v":1,"type":"audio","t_ms":<start>,"crc":<CRC-32>,"pcm":"<base64 int16 LE>"}

Lines whose t_ms follow on without a gap are one clip; each clip becomes a WAV. The
board listens to its microphone (`--mic`; on the Unix port the stand-in reading 32-bit
I2S slots on standard input), or to a WAV the host sends over its console (`--uart`: a
board without a microphone, a QEMU board).
"""

from __future__ import annotations

import base64
import binascii
import subprocess
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .boards import Board
from .errors import EarshotError
from .frontend.wav import write_wav
from .paths import project_root
from .session import Message, OnMessage, Session, model_hop


@dataclass
class Clip:
    start_ms: int
    samples: np.ndarray  # int16


def clips_of(messages: Iterable[Message], hop_ms: int) -> list[Clip]:
    """The clips of a session's audio lines, each line's CRC checked."""
    clips: list[Clip] = []
    parts: list[np.ndarray] = []
    start = end = None
    for m in messages:
        if m.get("type") != "audio":
            continue
        try:
            t = int(m["t_ms"])
            data = base64.b64decode(m["pcm"], validate=True)
            crc = int(m["crc"])
        except (KeyError, TypeError, ValueError, binascii.Error) as err:
            raise EarshotError(f"a malformed audio line: {str(m)[:80]} ({err})") from err
        if zlib.crc32(data) != crc:
            raise EarshotError(f"the audio line at {t} ms fails its CRC (damaged on the way)")
        if start is not None and t != end:
            clips.append(Clip(start, np.concatenate(parts)))
            parts, start = [], None
        if start is None:
            start = t
        samples = np.frombuffer(data, dtype="<i2").astype(np.int16)
        parts.append(samples)
        end = t + hop_ms
    if start is not None:
        clips.append(Clip(start, np.concatenate(parts)))
    return clips


def write_clips(
    clips: Sequence[Clip], output: Path, sample_rate: int, numbered: bool
) -> list[Path]:
    """Each clip as a WAV: output itself (one clip, not numbered), else output's stem with
    -1, -2, ... ."""
    if not clips:
        return []
    if not numbered and len(clips) != 1:
        raise EarshotError(f"the board's audio has {len(clips)} gaps: blocks were lost")
    output.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, clip in enumerate(clips, start=1):
        path = output if not numbered else output.with_name(f"{output.stem}-{i}{output.suffix}")
        write_wav(path, clip.samples, sample_rate)
        paths.append(path)
    return paths


def mic_words(samples: np.ndarray, shift: int = 16) -> bytes:
    """int16 samples as the 32-bit little-endian I2S slots of a microphone (left-
    justified by shift bits: 16 is what `arecord -f S32_LE` gives)."""
    return (samples.astype("<i4") << shift).astype("<i4").tobytes()


def record_unix_mic(
    board: Board,
    model: str,
    samples: np.ndarray,
    device_args: Sequence[str] = (),
    on_message: OnMessage | None = None,
) -> Session:
    """The Unix port's detector on its `--mic` stand-in, fed the samples as I2S slots."""
    model_hop(model)
    firmware = board.firmware_path(project_root())
    if not firmware.is_file():
        raise EarshotError(f"no firmware at {firmware} (run `make unix`)")
    args = [str(firmware), "-m", "earshot", "--model", model, "--mic",
            *device_args]  # fmt: skip
    proc = subprocess.run(args, input=mic_words(samples), capture_output=True, check=False)
    session = Session()
    for line in proc.stdout.decode(errors="replace").splitlines():
        session.take(line, on_message)
    session.error = proc.stderr.decode(errors="replace")
    return session
