"""float64 NumPy versions of the tf.signal functions the MLPerf front ends were trained with.

Same formulas as TensorFlow (which computes them in float32 by default):

* ``hann_window(n, periodic=True)`` = 0.5 - 0.5*cos(2*pi*k/d), ``hamming_window`` =
  0.54 - 0.46*cos(2*pi*k/d), d = n if periodic and n even else n - 1.
* ``frame`` / ``stft``: frames of ``frame_length`` every ``frame_step`` samples, no end
  padding (1 + (len - frame_length) // step frames), window, rfft of ``fft_length``
  (zero-padded), default fft_length = next power of two >= frame_length.
* ``linear_to_mel_weight_matrix``: HTK mel scale 1127*ln(1 + f/700); triangles between
  num_mel_bins + 2 equally spaced mel edges; bins at linspace(0, fs/2, num_bins); the DC
  row is zero.
* ``mfccs_from_log_mel_spectrograms``: unnormalized DCT-II (2*sum x_n cos(pi*k*(2n+1)/(2N)))
  times 1/sqrt(2N).
"""

from __future__ import annotations

import numpy as np


def _raised_cosine(length: int, a: float, b: float, periodic: bool) -> np.ndarray:
    if length == 1:
        return np.ones(1)
    even = 1 - length % 2
    denom = length + int(periodic) * even - 1
    k = np.arange(length, dtype=np.float64)
    return a - b * np.cos(2.0 * np.pi * k / denom)


def hann_window(length: int, periodic: bool = True) -> np.ndarray:
    return _raised_cosine(length, 0.5, 0.5, periodic)


def hamming_window(length: int, periodic: bool = True) -> np.ndarray:
    return _raised_cosine(length, 0.54, 0.46, periodic)


def next_pow2(n: int) -> int:
    p = 1
    while p < n:
        p <<= 1
    return p


def frame(signal: np.ndarray, frame_length: int, frame_step: int) -> np.ndarray:
    """(frames, frame_length) view-like copy, no end padding."""
    x = np.asarray(signal)
    n = 0 if len(x) < frame_length else 1 + (len(x) - frame_length) // frame_step
    idx = np.arange(n)[:, None] * frame_step + np.arange(frame_length)[None, :]
    return x[idx]


def stft(
    signal: np.ndarray, frame_length: int, frame_step: int, fft_length: int, window: np.ndarray
) -> np.ndarray:
    frames = frame(np.asarray(signal, dtype=np.float64), frame_length, frame_step)
    return np.fft.rfft(frames * window, n=fft_length, axis=-1)


def hertz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    return 1127.0 * np.log1p(np.asarray(hz, dtype=np.float64) / 700.0)


def linear_to_mel_weight_matrix(
    num_mel_bins: int,
    num_spectrogram_bins: int,
    sample_rate: float,
    lower_edge_hertz: float,
    upper_edge_hertz: float,
) -> np.ndarray:
    """(num_spectrogram_bins, num_mel_bins) float64 triangle weights."""
    nyquist = sample_rate / 2.0
    freqs = np.linspace(0.0, nyquist, num_spectrogram_bins)[1:]
    bins_mel = hertz_to_mel(freqs)[:, None]
    edges = np.linspace(
        hertz_to_mel(lower_edge_hertz), hertz_to_mel(upper_edge_hertz), num_mel_bins + 2
    )
    lower = edges[:-2][None, :]
    center = edges[1:-1][None, :]
    upper = edges[2:][None, :]
    lower_slopes = (bins_mel - lower) / (center - lower)
    upper_slopes = (upper - bins_mel) / (upper - center)
    weights = np.maximum(0.0, np.minimum(lower_slopes, upper_slopes))
    return np.concatenate([np.zeros((1, num_mel_bins)), weights], axis=0)


def dct2_matrix(n: int) -> np.ndarray:
    """(n, n) matrix D with mfcc = D @ log_mel: D[k, j] = 2 cos(pi k (2j+1) / 2n) / sqrt(2n)."""
    k = np.arange(n)[:, None]
    j = np.arange(n)[None, :]
    return 2.0 * np.cos(np.pi * k * (2 * j + 1) / (2 * n)) / np.sqrt(2.0 * n)


def mfccs_from_log_mel_spectrograms(log_mel: np.ndarray) -> np.ndarray:
    return log_mel @ dct2_matrix(log_mel.shape[-1]).T
