"""The host side of the audio stream protocol (version 1) that boards without a
microphone listen to over their console: one text line per hop,

    a <seq> <crc32 of the samples, 8 hex digits> <base64 of the int16 LE samples>

and `e` to end the stream (firmware/earshot/sources/uart.py reads it)."""

from __future__ import annotations

import base64
import time
import zlib
from collections.abc import Iterator

import numpy as np

END_LINE = b"e\n"


def encode_block(seq: int, block: np.ndarray) -> bytes:
    """One audio line for a hop of int16 samples."""
    data = block.astype("<i2").tobytes()
    return b"a %d %08x %s\n" % (seq, zlib.crc32(data), base64.b64encode(data))


def audio_lines(samples: np.ndarray, hop: int) -> Iterator[bytes]:
    """The lines of a whole stream: every hop (the last one zero-padded), then the end."""
    count = -(-len(samples) // hop)
    padded = np.zeros(count * hop, dtype=np.int16)
    padded[: len(samples)] = samples
    for seq in range(count):
        yield encode_block(seq, padded[seq * hop : (seq + 1) * hop])
    yield END_LINE


class Pacer:
    """Holds a sender to the speed of audio: wait(t) returns once t seconds of audio are due."""

    def __init__(self) -> None:
        self.start = time.monotonic()

    def wait(self, audio_seconds: float) -> None:
        ahead = audio_seconds - (time.monotonic() - self.start)
        if ahead > 0:
            time.sleep(ahead)
