"""Log-mel front end of the MLPerf Tiny streaming wake word model: float64 reference +
fixed-point pipeline.

Training semantics (benchmark/training/streaming_wakeword/get_dataset.py, lfbe_func):
audio as float (decode_wav: int16 / 32768), pre-emphasis y[n] = x[n] - (1 - 2**-5) x[n-1]
(x[-1] = 0), ``tf.signal.stft(frame 1024, step 512, fft 1024, symmetric Hamming)``,
power |X|**2 / 1024 clipped to [1e-30, max], ``linear_to_mel_weight_matrix(40, 513,
16000, 0, 8000)``, 10*log10(mel), (x + 52) / 64 clipped to [0, 1] → int8 q =
clip(round(x / 0.003701) - 128).

Fixed-point pipeline, per frame (s = block shift; tables: see tables.py):

1. pre-emphasis on the stream: y[n] = 32*x[n] - 31*x[n-1] (int32, exact: 32 * float y).
2. v = y * window_q30 (int64), block-normalized to |v| <= 2**29 (shift s).
3. X = fft32(v) (= DFT(v) / 1024, int32 re/im).
4. P[k] = (re**2 + im**2 + 2**11) >> 12 (uint64).
5. mel[j] = sum weight_q15 * P (uint64).
6. mel == 0 → q = out_min. Otherwise L = log2_q16(mel) + log_offset_q16 - ((2*s) << 16)
   (log2 of the float mel, Q16); acc = db_mult_q16 * L + db_bias_q32 (int64, Q32:
   ((10*log10(mel) + 52) / 64) / input_scale); q = clip(((acc + 2**31) >> 32) +
   zero_point, out_min, out_max) (out_min/out_max are the images of 0 and 1).
"""

from __future__ import annotations

import numpy as np

from earshot_host.frontend import tf_signal
from earshot_host.frontend.fixed_math import log2_q16
from earshot_host.frontend.mfcc import quantize
from earshot_host.frontend.spectral_fixed import Framer, fft32, mel_sum, window_and_normalize
from earshot_host.frontend.tables import (
    LOGMEL_OFFSET_DB,
    LOGMEL_RANGE_DB,
    FrontendTables,
    logmel_gain_constants,
)

PREEMPHASIS = 1.0 - 2.0**-5

__all__ = ["LogmelFrontend", "logmel_fixed", "logmel_fixed_frames", "logmel_float", "quantize"]


def logmel_float(audio: np.ndarray, frontend: dict) -> np.ndarray:
    """float64 reference on float audio (already scaled): (frames, mel_bins) in [0, 1]."""
    rate = int(frontend["sample_rate"])
    size = int(round(float(frontend["window_ms"]) * rate / 1000))
    step = int(round(float(frontend["hop_ms"]) * rate / 1000))
    fft_size = int(frontend.get("fft_size", tf_signal.next_pow2(size)))
    x = np.asarray(audio, dtype=np.float64)
    y = x - PREEMPHASIS * np.concatenate([[0.0], x[:-1]])
    spec = tf_signal.stft(y, size, step, fft_size, tf_signal.hamming_window(size, periodic=False))
    power = np.abs(spec) ** 2 / size
    power = np.clip(power, 1e-30, power.max() if power.size else 1.0)
    mel_matrix = tf_signal.linear_to_mel_weight_matrix(
        int(frontend["mel_bins"]),
        fft_size // 2 + 1,
        rate,
        float(frontend["lower_hz"]),
        float(frontend["upper_hz"]),
    )
    db = 10.0 * np.log10(power @ mel_matrix)
    return np.clip((db + LOGMEL_OFFSET_DB) / LOGMEL_RANGE_DB, 0.0, 1.0)


def preemphasize(samples: np.ndarray, previous: int = 0) -> np.ndarray:
    """y = 32*x[n] - 31*x[n-1] (int32), x[-1] = previous."""
    x = np.asarray(samples, dtype=np.int32)
    prev = np.concatenate([[np.int32(previous)], x[:-1]]).astype(np.int32)
    return (x << 5) - 31 * prev


def logmel_fixed_frames(
    frames: np.ndarray, tables: FrontendTables, gain: float | None = None
) -> np.ndarray:
    """(F, 1024) pre-emphasized int32 frames -> (F, 40) int8 model input."""
    s = tables.scalars
    log_offset = int(s["log_offset_q16"])
    if gain is not None:
        c = logmel_gain_constants(int(s["fft_size"]), int(s["window_size"]), gain)
        log_offset = c["log_offset_q16"]
    v, shift = window_and_normalize(frames, tables)
    re, im = fft32(v, tables)
    ps = int(s["power_shift"])
    power = ((re * re + im * im) + (1 << (ps - 1))) >> ps
    mel = mel_sum(power, tables)
    logs = log2_q16(mel, tables.arrays["log2_lut"]) + log_offset
    logs = logs - ((int(s["frame_shift_mult"]) * shift[:, None]) << 16)
    acc = int(s["db_mult_q16"]) * logs + int(s["db_bias_q32"])
    q = ((acc + (np.int64(1) << 31)) >> 32) + int(s["input_zero_point"])
    q = np.clip(q, int(s["out_min"]), int(s["out_max"]))
    q = np.where(mel == 0, int(s["out_min"]), q)
    return q.astype(np.int8)


def logmel_fixed(
    samples: np.ndarray, tables: FrontendTables, gain: float | None = None
) -> np.ndarray:
    """Whole int16 signal -> (frames, 40) int8 model input."""
    y = preemphasize(np.asarray(samples, dtype=np.int16))
    frames = tf_signal.frame(
        y, int(tables.scalars["window_size"]), int(tables.scalars["window_step"])
    )
    return logmel_fixed_frames(frames, tables, gain)


class LogmelFrontend:
    """Streaming fixed-point log-mel: ``process_hop(512 samples)`` -> int8 frame or None.

    State: the last input sample (pre-emphasis) and the frame buffer of int32 y values.
    """

    def __init__(self, tables: FrontendTables, gain: float | None = None) -> None:
        if tables.kind != "logmel":
            raise ValueError(f"tables are for {tables.kind!r}, not 'logmel'")
        self.tables = tables
        self.gain = gain
        self.step = int(tables.scalars["window_step"])
        self._framer = Framer(int(tables.scalars["window_size"]), self.step, np.int32)
        self._previous = 0

    def feed(self, samples: np.ndarray) -> np.ndarray:
        x = np.asarray(samples, dtype=np.int16)
        if len(x) == 0:
            return np.zeros((0, int(self.tables.scalars["channels"])), dtype=np.int8)
        y = preemphasize(x, self._previous)
        self._previous = int(x[-1])
        frames = self._framer.feed(y)
        if len(frames) == 0:
            return np.zeros((0, int(self.tables.scalars["channels"])), dtype=np.int8)
        return logmel_fixed_frames(frames, self.tables, self.gain)

    def process_hop(self, hop: np.ndarray) -> np.ndarray | None:
        if len(hop) != self.step:
            raise ValueError(f"a hop is {self.step} samples, got {len(hop)}")
        out = self.feed(hop)
        return out[-1] if len(out) else None
