"""Fixed-point stages shared by the MFCC and log-mel device pipelines, plus a framer.

Stages (integer only; the C code follows them one to one):

* ``window_and_normalize``: v[i] = s[i] * window[i] (int64; s = int16 samples or int32
  pre-emphasized samples, window Q30); b = bit_length(max |v|); shift = 29 - b (0 if all
  zero); v <<= shift, or v = (v + 2**(-shift-1)) >> -shift when shift < 0. Now |v| <= 2**29,
  zero-padded to the FFT size.
* ``fft32``: the 32-bit KISS-FFT-semantics real FFT (kissfft_fixed): X = DFT(v) / N.
* ``mel_sum``: mel[j] = sum_{i < width[j]} weight[off_j + i] * value[start[j] + i] in uint64
  (weights Q15 uint16, off_j = sum of the previous widths).
* ``log2_q16``: table log2 (fixed_math.log2_q16) of uint64 values, Q16.
"""

from __future__ import annotations

import numpy as np

from earshot_host.frontend.fixed_math import bit_length, shift_signed
from earshot_host.frontend.kissfft_fixed import real_fft
from earshot_host.frontend.tables import FrontendTables


def window_and_normalize(
    frames: np.ndarray, tables: FrontendTables
) -> tuple[np.ndarray, np.ndarray]:
    """(F, W) samples -> (FFT input (F, N) int64 with |v| <= 2**29, shift (F,) int64)."""
    window = tables.arrays["window"].astype(np.int64)
    v = frames.astype(np.int64) * window
    max_abs = np.abs(v).max(axis=-1)
    bits = bit_length(max_abs)
    shift = np.where(max_abs == 0, 0, int(tables.scalars["norm_bits"]) - bits)
    v = shift_signed(v, shift[:, None])
    n = int(tables.scalars["fft_size"])
    out = np.zeros((frames.shape[0], n), dtype=np.int64)
    out[:, : frames.shape[1]] = v
    return out, shift.astype(np.int64)


def fft32(values: np.ndarray, tables: FrontendTables) -> tuple[np.ndarray, np.ndarray]:
    """32-bit fixed-point real FFT: (re, im) (F, N/2 + 1) int64 holding int32 values."""
    return real_fft(tables.fft_plan(), values)


def mel_sum(values: np.ndarray, tables: FrontendTables) -> np.ndarray:
    """(F, N/2 + 1) non-negative integers -> (F, C) uint64 weighted band sums."""
    a = tables.arrays
    v = values.astype(np.uint64)
    out = np.zeros((v.shape[0], len(a["mel_starts"])), dtype=np.uint64)
    off = 0
    for j, (start, width) in enumerate(zip(a["mel_starts"], a["mel_widths"], strict=True)):
        w = a["mel_weights"][off : off + int(width)].astype(np.uint64)
        out[:, j] = (v[:, int(start) : int(start) + int(width)] * w).sum(axis=-1, dtype=np.uint64)
        off += int(width)
    return out


class Framer:
    """Stream -> frames of ``size`` samples every ``step`` (TF framing, no padding).

    The first frame is complete after ``size`` samples, then one frame every ``step``.
    """

    def __init__(self, size: int, step: int, dtype: type[np.integer]) -> None:
        self.size = size
        self.step = step
        self._buffer = np.zeros(size, dtype=dtype)
        self._used = 0

    def feed(self, samples: np.ndarray) -> np.ndarray:
        out: list[np.ndarray] = []
        pos = 0
        while pos < len(samples):
            take = min(self.size - self._used, len(samples) - pos)
            self._buffer[self._used : self._used + take] = samples[pos : pos + take]
            self._used += take
            pos += take
            if self._used == self.size:
                out.append(self._buffer.copy())
                keep = self.size - self.step
                self._buffer[:keep] = self._buffer[self.step :].copy()
                self._used = keep
        if not out:
            return np.zeros((0, self.size), dtype=self._buffer.dtype)
        return np.stack(out)
