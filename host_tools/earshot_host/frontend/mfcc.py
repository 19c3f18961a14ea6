"""MFCC front end of the MLPerf Tiny KWS model: float64 reference + fixed-point pipeline.

Training semantics (benchmark/training/keyword_spotting/get_dataset.py): audio as float
(int16 * gain; training divides each 1 s clip by its maximum sample, gain = 1/max(x)),
``tf.signal.stft(frame 480, step 320, fft 512, periodic Hann)``, magnitude,
``linear_to_mel_weight_matrix(40, 257, 16000, 20, 4000)``, ``log(mel + 1e-6)``,
``mfccs_from_log_mel_spectrograms``, first 10 → int8 q = clip(round(x / 0.5847) + 83).

Fixed-point pipeline, per frame (F = frame, s = block shift; tables: see tables.py):

1. v = x * window_q30 (int64), block-normalized to |v| <= 2**29 (shift s).
2. X = fft32(v) (= DFT(v) / 512, int32 re/im).
3. mag[k] = round(sqrt(re**2 + im**2)) (exact integer square root of a uint64 < 2**61).
4. mel[j] = sum weight_q15 * mag (uint64).
5. eps = eps_q << (s - 8) (rounded right shift when negative): 1e-6 in mel units.
   L[j] = log2_q16(mel[j] + eps) + log_offset_q16 - (s << 16)   (log2 of the float mel
   + 1e-6, Q16, int32).
6. acc[i] = sum_j dct[i][j] * L[j]  (int64; dct = DCT-II * ln 2 / input_scale, Q24), so
   acc = mfcc / input_scale in Q40; q = clip(((acc + 2**39) >> 40) + zero_point, -128, 127).
"""

from __future__ import annotations

import numpy as np

from earshot_host.frontend import tf_signal
from earshot_host.frontend.fixed_math import isqrt_round_u64, log2_q16, shift_signed
from earshot_host.frontend.spectral_fixed import Framer, fft32, mel_sum, window_and_normalize
from earshot_host.frontend.tables import (
    EPS_FRAC_BITS,
    MFCC_LOG_EPS,
    FrontendTables,
    mfcc_gain_constants,
)


def quantize(values: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """Model input int8: clip(round(x / scale) + zero_point), ties away from zero."""
    v = np.asarray(values, dtype=np.float64) / scale
    r = np.sign(v) * np.floor(np.abs(v) + 0.5)
    return np.clip(r + zero_point, -128, 127).astype(np.int8)


def mfcc_float(audio: np.ndarray, frontend: dict) -> np.ndarray:
    """float64 reference on float audio (already scaled): (frames, coefficients)."""
    rate = int(frontend["sample_rate"])
    size = int(round(float(frontend["window_ms"]) * rate / 1000))
    step = int(round(float(frontend["hop_ms"]) * rate / 1000))
    fft_size = int(frontend.get("fft_size", tf_signal.next_pow2(size)))
    spec = np.abs(
        tf_signal.stft(audio, size, step, fft_size, tf_signal.hann_window(size, periodic=True))
    )
    mel_matrix = tf_signal.linear_to_mel_weight_matrix(
        int(frontend["mel_bins"]),
        fft_size // 2 + 1,
        rate,
        float(frontend["lower_hz"]),
        float(frontend["upper_hz"]),
    )
    log_mel = np.log(spec @ mel_matrix + MFCC_LOG_EPS)
    return tf_signal.mfccs_from_log_mel_spectrograms(log_mel)[:, : int(frontend["coefficients"])]


def clip_gain(samples: np.ndarray) -> float:
    """Training's per-clip gain: 1 / max(x) (the maximum sample, not the maximum |x|)."""
    peak = int(np.max(samples))
    if peak <= 0:
        raise ValueError("clip has no positive sample; training's 1/max(x) is undefined")
    return 1.0 / peak


def _gain_constants(tables: FrontendTables, gain: float | None) -> tuple[int, int]:
    if gain is None:
        return int(tables.scalars["log_offset_q16"]), int(tables.scalars["eps_q"])
    c = mfcc_gain_constants(int(tables.scalars["fft_size"]), gain)
    return c["log_offset_q16"], c["eps_q"]


def mfcc_fixed_frames(
    frames: np.ndarray, tables: FrontendTables, gain: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(F, 480) int16 frames -> (int8 model input (F, K), acc (F, K) int64 in Q40 of scale).

    gain: int16 -> float factor (None: the one the tables were built for).
    """
    log_offset, eps_q = _gain_constants(tables, gain)
    v, shift = window_and_normalize(frames, tables)
    re, im = fft32(v, tables)
    mag = isqrt_round_u64((re * re + im * im).astype(np.uint64))
    mel = mel_sum(mag, tables)
    eps = shift_signed(np.full(shift.shape, eps_q, dtype=np.int64), shift - EPS_FRAC_BITS)
    logs = log2_q16(mel + eps[:, None].astype(np.uint64), tables.arrays["log2_lut"])
    logs = logs + log_offset - (shift[:, None] << 16)
    dct = tables.arrays["dct"].astype(np.int64)
    acc = logs @ dct.T
    frac = 16 + int(tables.scalars["dct_frac_bits"])
    q = ((acc + (np.int64(1) << (frac - 1))) >> frac) + int(tables.scalars["input_zero_point"])
    q = np.clip(q, int(tables.scalars["out_min"]), int(tables.scalars["out_max"]))
    return q.astype(np.int8), acc


def mfcc_fixed(
    samples: np.ndarray, tables: FrontendTables, gain: float | None = None
) -> np.ndarray:
    """Whole int16 signal -> (frames, K) int8 model input."""
    x = np.asarray(samples, dtype=np.int16)
    frames = tf_signal.frame(
        x, int(tables.scalars["window_size"]), int(tables.scalars["window_step"])
    )
    return mfcc_fixed_frames(frames, tables, gain)[0]


def acc_to_float(acc: np.ndarray, tables: FrontendTables) -> np.ndarray:
    """The fixed pipeline's MFCCs as floats (debugging / accuracy reports)."""
    frac = 16 + int(tables.scalars["dct_frac_bits"])
    return acc.astype(np.float64) / 2.0**frac * float(tables.scalars["input_scale"])


class MfccFrontend:
    """Streaming fixed-point MFCC: ``process_hop(320 samples)`` -> int8 frame or None."""

    def __init__(self, tables: FrontendTables, gain: float | None = None) -> None:
        if tables.kind != "mfcc":
            raise ValueError(f"tables are for {tables.kind!r}, not 'mfcc'")
        self.tables = tables
        self.gain = gain
        self.step = int(tables.scalars["window_step"])
        self._framer = Framer(int(tables.scalars["window_size"]), self.step, np.int16)

    def feed(self, samples: np.ndarray) -> np.ndarray:
        frames = self._framer.feed(np.asarray(samples, dtype=np.int16))
        if len(frames) == 0:
            return np.zeros((0, int(self.tables.scalars["coefficients"])), dtype=np.int8)
        return mfcc_fixed_frames(frames, self.tables, self.gain)[0]

    def process_hop(self, hop: np.ndarray) -> np.ndarray | None:
        if len(hop) != self.step:
            raise ValueError(f"a hop is {self.step} samples, got {len(hop)}")
        out = self.feed(hop)
        return out[-1] if len(out) else None
