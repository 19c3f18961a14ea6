# PCM16 WAV files, mono or stereo (mixed to mono), any length.

import struct

import _earshot


def _read_exact(f, n, what):
    data = f.read(n)
    if len(data) != n:
        raise ValueError("WAV: truncated {}".format(what))
    return data


class WavSource:
    def __init__(self, path_or_file, expect_rate=None):
        # The source owns the file until close() (it streams from it for hours).
        if isinstance(path_or_file, str):
            self.f = open(path_or_file, "rb")  # noqa: SIM115
        else:
            self.f = path_or_file
        try:
            self._parse_header(expect_rate)
        except Exception:
            self.close()
            raise
        self.scratch = None  # stereo: one block of interleaved samples, made on first fill

    def _parse_header(self, expect_rate):
        riff, _, wave = struct.unpack("<4sI4s", _read_exact(self.f, 12, "header"))
        if riff != b"RIFF" or wave != b"WAVE":
            raise ValueError("not a WAV file (no RIFF/WAVE header)")
        fmt = None
        while True:
            chunk, size = struct.unpack("<4sI", _read_exact(self.f, 8, "chunk header"))
            if chunk == b"fmt ":
                fmt = struct.unpack("<HHIIHH", _read_exact(self.f, 16, "fmt chunk"))
                if size > 16:
                    _read_exact(self.f, size - 16 + (size & 1), "fmt chunk")
            elif chunk == b"data":
                self.remaining = size
                break
            else:
                _read_exact(self.f, size + (size & 1), "chunk " + repr(chunk))
        if fmt is None:
            raise ValueError("WAV: no fmt chunk before the data")
        audio_format, channels, rate, _, _, bits = fmt
        if audio_format not in (1, 0xFFFE) or bits != 16:
            raise ValueError(
                "WAV: format {} with {} bits per sample is not supported: need PCM 16-bit".format(
                    audio_format, bits
                )
            )
        if channels not in (1, 2):
            raise ValueError("WAV: {} channels is not supported: need 1 or 2".format(channels))
        if expect_rate is not None and rate != expect_rate:
            raise ValueError("WAV: {} Hz, the model needs {} Hz".format(rate, expect_rate))
        self.channels = channels
        self.sample_rate = rate
        self.frame_bytes = 2 * channels

    def fill(self, ring):
        slot = ring.slot_for_write()
        if slot is None:
            return True  # the ring counted the overrun
        if self.channels == 2 and self.scratch is None:
            self.scratch = bytearray(2 * len(slot))
        target = slot if self.channels == 1 else self.scratch
        want = min(len(target), self.remaining - self.remaining % self.frame_bytes)
        n = self.f.readinto(target) if want == len(target) else self._read_tail(target, want)
        n = n or 0
        n -= n % self.frame_bytes
        self.remaining -= n
        if n == 0:
            return False
        if self.channels == 2:
            _earshot.mix_stereo(slot, self.scratch)
            n //= 2
        if n < len(slot):
            for i in range(n, len(slot)):
                slot[i] = 0
        ring.commit()
        return True

    def _read_tail(self, target, want):
        # The end of the data chunk: a partial block (allocates; happens once per file).
        data = self.f.read(want)
        target[: len(data)] = data
        return len(data)

    def close(self):
        if self.f is not None:
            self.f.close()
            self.f = None
