"""Host-side tables of the TFLM micro front end, computed as TensorFlow's builds them.

The float arithmetic of TensorFlow's table builders (C floats and doubles) is emulated
with np.float32 / Python floats so that the integers come out identical: window
coefficients, filterbank channel layout and weights, the PCAN gain LUT and the log LUT.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

WINDOW_BITS = 12  # window coefficients Q12
FILTERBANK_BITS = 12  # filterbank weights Q12
NOISE_REDUCTION_BITS = 14  # smoothing coefficients Q14
PCAN_SNR_BITS = 12
PCAN_OUTPUT_BITS = 6
WIDE_DYNAMIC_FUNCTION_BITS = 32
WIDE_DYNAMIC_FUNCTION_LUT_SIZE = 4 * WIDE_DYNAMIC_FUNCTION_BITS - 3  # 125
LOG_SEGMENTS_LOG2 = 7
LOG_SCALE_LOG2 = 16
LOG_COEFF = 45426  # round(ln(2) * 2**16)
CHANNEL_BLOCK_SIZE = 4
INDEX_ALIGNMENT = 2  # 4 bytes of int16


def _f32(x: float) -> float:
    return float(np.float32(x))


def window_coefficients(size: int) -> np.ndarray:
    """Hann window with a half-sample offset, Q12 int16 (TF's WindowPopulateState)."""
    arg = _f32(math.pi * 2.0 / float(size))
    out = []
    for i in range(size):
        value = _f32(0.5 - 0.5 * math.cos(arg * (i + 0.5)))
        out.append(math.floor(_f32(value * (1 << WINDOW_BITS)) + 0.5))
    return np.array(out, dtype=np.int16)


def _freq_to_mel(freq: float) -> float:
    return _f32(1127.0 * math.log1p(freq / 700.0))


@dataclass(frozen=True)
class TflmFilterbank:
    """TFLM filterbank layout: num_channels + 1 accumulation slots (slot 0 is discarded)."""

    start_index: int
    end_index: int
    channel_frequency_starts: np.ndarray  # int16 [channels + 1]
    channel_weight_starts: np.ndarray  # int16 [channels + 1]
    channel_widths: np.ndarray  # int16 [channels + 1]
    weights: np.ndarray  # int16 [n_weights], Q12
    unweights: np.ndarray  # int16 [n_weights], Q12


def filterbank(
    num_channels: int, lower_hz: float, upper_hz: float, sample_rate: int, spectrum_size: int
) -> TflmFilterbank:
    """TF's FilterbankPopulateState, integer for integer."""
    n1 = num_channels + 1
    mel_low = _freq_to_mel(_f32(lower_hz))
    mel_hi = _freq_to_mel(_f32(upper_hz))
    mel_span = _f32(mel_hi - mel_low)
    mel_spacing = _f32(mel_span / _f32(n1))  # TF passes num_channels + 1 here
    centers = [_f32(mel_low + _f32(mel_spacing * (i + 1))) for i in range(n1)]
    hz_per_sbin = _f32(0.5 * sample_rate / (_f32(spectrum_size) - 1))
    start_index = int(1.5 + _f32(lower_hz) / hz_per_sbin)

    freq_starts = [0] * n1
    weight_starts = [0] * n1
    widths = [0] * n1
    actual_starts = [0] * n1
    actual_widths = [0] * n1
    chan_freq_index_start = start_index
    weight_index_start = 0
    needs_zeros = False
    for chan in range(n1):
        freq_index = chan_freq_index_start
        while _freq_to_mel(_f32(freq_index * hz_per_sbin)) <= centers[chan]:
            freq_index += 1
        width = freq_index - chan_freq_index_start
        actual_starts[chan] = chan_freq_index_start
        actual_widths[chan] = width
        if width == 0:
            freq_starts[chan] = 0
            weight_starts[chan] = 0
            widths[chan] = CHANNEL_BLOCK_SIZE
            if not needs_zeros:
                needs_zeros = True
                for j in range(chan):
                    weight_starts[j] += CHANNEL_BLOCK_SIZE
                weight_index_start += CHANNEL_BLOCK_SIZE
        else:
            aligned_start = (chan_freq_index_start // INDEX_ALIGNMENT) * INDEX_ALIGNMENT
            aligned_width = chan_freq_index_start - aligned_start + width
            padded_width = ((aligned_width - 1) // CHANNEL_BLOCK_SIZE + 1) * CHANNEL_BLOCK_SIZE
            freq_starts[chan] = aligned_start
            weight_starts[chan] = weight_index_start
            widths[chan] = padded_width
            weight_index_start += padded_width
        chan_freq_index_start = freq_index

    weights = np.zeros(weight_index_start, dtype=np.int16)
    unweights = np.zeros(weight_index_start, dtype=np.int16)
    end_index = 0
    for chan in range(n1):
        frequency = actual_starts[chan]
        offset = frequency - freq_starts[chan]
        denom_val = mel_low if chan == 0 else centers[chan - 1]
        for j in range(actual_widths[chan]):
            num = _f32(centers[chan] - _freq_to_mel(_f32(frequency * hz_per_sbin)))
            weight = _f32(num / _f32(centers[chan] - denom_val))
            idx = weight_starts[chan] + offset + j
            weights[idx] = math.floor(_f32(weight * (1 << FILTERBANK_BITS)) + 0.5)
            unweights[idx] = math.floor((1.0 - weight) * (1 << FILTERBANK_BITS) + 0.5)
            frequency += 1
        end_index = max(end_index, frequency)
    if end_index >= spectrum_size:
        raise ValueError("filterbank end index is above the spectrum size")
    return TflmFilterbank(
        start_index=start_index,
        end_index=end_index,
        channel_frequency_starts=np.array(freq_starts, dtype=np.int16),
        channel_weight_starts=np.array(weight_starts, dtype=np.int16),
        channel_widths=np.array(widths, dtype=np.int16),
        weights=weights,
        unweights=unweights,
    )


def _pcan_gain(strength: float, offset: float, gain_bits: int, input_bits: int, x: int) -> int:
    x_as_float = _f32(_f32(float(x)) / float(1 << input_bits))
    base = _f32(x_as_float + _f32(offset))
    powed = _f32(float(base) ** float(-_f32(strength)))
    gain = _f32(float(1 << gain_bits) * powed)
    if gain > 0x7FFF:
        return 0x7FFF
    return int(_f32(gain + 0.5))


def pcan_gain_lut(strength: float, offset: float, gain_bits: int, input_bits: int) -> np.ndarray:
    """PCAN gain LUT (int16 [125]): piecewise-quadratic segments per power-of-two interval.

    lut[0], lut[1], lut[2] = gain(0), gain(1), gain(2); for interval = 2..32 the entries
    4*interval - 6 + (0, 1, 2) hold (y0, a1, a2) of the segment [2**(interval-1), 2**interval);
    entries 4*interval - 3 are unused (zero).
    """
    lut = np.zeros(WIDE_DYNAMIC_FUNCTION_LUT_SIZE, dtype=np.int16)

    def g(x: int) -> int:
        return _pcan_gain(strength, offset, gain_bits, input_bits, x)

    lut[0] = g(0)
    lut[1] = g(1)
    for interval in range(2, WIDE_DYNAMIC_FUNCTION_BITS + 1):
        x0 = 1 << (interval - 1)
        x1 = x0 + (x0 >> 1)
        x2 = x0 + (x0 - 1) if interval == WIDE_DYNAMIC_FUNCTION_BITS else 2 * x0
        y0, y1, y2 = g(x0), g(x1), g(x2)
        diff1 = y1 - y0
        diff2 = y2 - y0
        a1 = 4 * diff1 - diff2
        a2 = diff2 - a1
        base = 4 * interval - 6
        lut[base] = y0
        lut[base + 1] = np.int16(np.int32(a1).astype(np.int16))
        lut[base + 2] = np.int16(np.int32(a2).astype(np.int16))
    return lut


def log_lut() -> np.ndarray:
    """Log LUT (uint16 [130]): round((log2(1 + i/128) - i/128) * 2**16), i = 0..128, + pad 0."""
    n = 1 << LOG_SEGMENTS_LOG2
    vals = [round((math.log2(1.0 + i / n) - i / n) * (1 << LOG_SCALE_LOG2)) for i in range(n + 1)]
    return np.array([*vals, 0], dtype=np.uint16)
