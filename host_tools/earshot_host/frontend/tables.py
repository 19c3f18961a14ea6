"""Precomputed front-end tables: ``build_tables(frontend) -> FrontendTables``.

``frontend`` is a model's ``[frontend]`` table from model.toml (type "tflm_micro", "mfcc"
or "logmel"). Everything the device needs is here as small integer arrays + integer
scalars (a few float scalars, marked "float", are informational or host-only). All
tables are deterministic (no randomness; trigonometry and logs from Python's math).

Layout (dtype [length]; W = window samples, N = fft_size, C = channels / mel bins):

tflm_micro (TensorFlow micro front end, bit-exact; see tflm_micro.py):
  window                      int16 [W]        Hann (half-sample offset), Q12
  fft_twiddles                int16 [N/2, 2]   complex FFT twiddles (re, im), Q15
  fft_super_twiddles          int16 [N/4, 2]   real-FFT split twiddles, Q15
  fft_factors                 int16 [S, 2]     (radix, m) per stage, outermost first
  fft_perm                    int16 [N/2]      input permutation of the complex FFT
  fb_channel_frequency_starts int16 [C+1]      first FFT bin of each accumulation slot
  fb_channel_weight_starts    int16 [C+1]      offset of the slot in fb_weights
  fb_channel_widths           int16 [C+1]      bins per slot (multiple of 4)
  fb_weights, fb_unweights    int16 [n_w]      Q12 filterbank weights / (1 - weight)
  pcan_gain_lut               int16 [125]      PCAN gain segments (see tflm_tables)
  log_lut                     uint16 [130]     (log2(1+i/128) - i/128) Q16, i = 0..128, pad
  scalars: sample_rate, window_size, window_step, fft_size, channels, fb_start_index,
  fb_end_index, nr_smoothing_bits (10), nr_even_smoothing (409), nr_odd_smoothing (983),
  nr_min_signal_remaining (819) [Q14], pcan_snr_shift (6), log_scale_shift (6),
  log_correction_bits (3), out_value_scale (256), out_value_div (666), out_offset
  (-128): int8 = clip(((raw * 256 + 333) // 666) - 128, -128, 127); input_scale (float),
  input_zero_point.

mfcc and logmel (fixed-point pipelines of mfcc.py / logmel.py; common part):
  window                      int32 [W]        Q30 analysis window
  fft_twiddles                int32 [N/2, 2]   Q31
  fft_super_twiddles          int32 [N/4, 2]   Q31
  fft_factors                 int16 [S, 2]
  fft_perm                    int16 [N/2]
  mel_starts                  int16 [C]        first FFT bin of each mel band
  mel_widths                  int16 [C]        bins in each band (weights follow in order)
  mel_weights                 uint16 [sum]     Q15 triangle weights, band after band
  log2_lut                    int32 [257]      log2(1 + i/256) Q16
  scalars: sample_rate, window_size, window_step, fft_size, channels, window_frac_bits
  (30), norm_bits (29: FFT input block-normalized to |v| <= 2**29), mel_frac_bits (15),
  log_offset_q16 (log2 of the scale from integer mel to float mel, frame shift excluded),
  input_gain (float: the int16 -> float factor the constants were built for),
  input_scale (float), input_zero_point, out_min, out_max.
mfcc only:
  dct                         int32 [K, C]     DCT-II (TF scaling) * ln 2 / input_scale, Q24
  scalars: coefficients, dct_frac_bits (24), eps_q (uint: 1e-6 in integer-mel units at
  shift 0, Q8), eps_frac_bits (8).
logmel only:
  scalars: preemph_num (31), preemph_shift (5): y = 32*x[n] - 31*x[n-1]; power_shift (12);
  db_mult_q16 (10*log10(2) / (64 * input_scale), Q16), db_bias_q32 ((52 / 64) / input_scale,
  Q32), frame_shift_mult (2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from earshot_host.frontend import tf_signal, tflm_tables
from earshot_host.frontend.fixed_math import build_log2_lut
from earshot_host.frontend.kissfft_fixed import RealFftPlan, make_real_fft_plan

# Model input quantization of the reference models, used when the caller gives none.
DEFAULT_INPUT_QUANT: dict[str, tuple[float, int]] = {
    "tflm_micro": (0.10171568, -128),
    "mfcc": (0.5847, 83),
    "logmel": (0.003701, -128),
}
# int16 -> float factor of the training pipelines for a full-scale stream (decode_wav).
DEFAULT_INPUT_GAIN = 1.0 / 32768.0

WINDOW_FRAC_BITS = 30
NORM_BITS = 29
MEL_FRAC_BITS = 15
DCT_FRAC_BITS = 24
EPS_FRAC_BITS = 8
LOGMEL_POWER_SHIFT = 12
PREEMPH_SHIFT = 5
MFCC_LOG_EPS = 1e-6
LOGMEL_OFFSET_DB = 52.0
LOGMEL_RANGE_DB = 64.0


@dataclass(frozen=True)
class FrontendTables:
    """One front end's tables: ``kind``, named integer arrays and scalars."""

    kind: str
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    scalars: dict[str, Any] = field(default_factory=dict)

    def fft_plan(self) -> RealFftPlan:
        a = self.arrays
        return RealFftPlan(
            size=int(self.scalars["fft_size"]),
            bits=16 if a["fft_twiddles"].dtype == np.int16 else 32,
            twiddles=a["fft_twiddles"],
            super_twiddles=a["fft_super_twiddles"],
            factors=a["fft_factors"],
            perm=a["fft_perm"],
        )


def _samples(frontend: dict[str, Any], key: str) -> int:
    return int(round(float(frontend[key]) * int(frontend["sample_rate"]) / 1000.0))


def _fft_arrays(plan: RealFftPlan) -> dict[str, np.ndarray]:
    return {
        "fft_twiddles": plan.twiddles,
        "fft_super_twiddles": plan.super_twiddles,
        "fft_factors": plan.factors,
        "fft_perm": plan.perm,
    }


def _tflm_micro(frontend: dict[str, Any], scale: float, zero_point: int) -> FrontendTables:
    rate = int(frontend["sample_rate"])
    # TF computes sizes as ms * rate / 1000 with integer division.
    window = int(frontend["window_ms"]) * rate // 1000
    step = int(frontend["hop_ms"]) * rate // 1000
    fft_size = tf_signal.next_pow2(window)
    if int(frontend.get("fft_size", fft_size)) != fft_size:
        raise ValueError(f"tflm_micro uses fft_size {fft_size} for a {window}-sample window")
    channels = int(frontend["channels"])
    fb = tflm_tables.filterbank(
        channels, float(frontend["lower_hz"]), float(frontend["upper_hz"]), rate, fft_size // 2 + 1
    )
    smoothing_bits = 10
    # TF: MostSignificantBit32(fft_size) - 1 - kFilterbankBits / 2 (= 3 for 512)
    correction_bits = fft_size.bit_length() - 1 - tflm_tables.FILTERBANK_BITS // 2
    plan = make_real_fft_plan(fft_size, 16)

    def q14(v: float) -> int:
        return int(np.float32(np.float32(v) * np.float32(1 << tflm_tables.NOISE_REDUCTION_BITS)))

    arrays = {
        "window": tflm_tables.window_coefficients(window),
        **_fft_arrays(plan),
        "fb_channel_frequency_starts": fb.channel_frequency_starts,
        "fb_channel_weight_starts": fb.channel_weight_starts,
        "fb_channel_widths": fb.channel_widths,
        "fb_weights": fb.weights,
        "fb_unweights": fb.unweights,
        "pcan_gain_lut": tflm_tables.pcan_gain_lut(
            0.95, 80.0, 21, smoothing_bits - correction_bits
        ),
        "log_lut": tflm_tables.log_lut(),
    }
    scalars = {
        "sample_rate": rate,
        "window_size": window,
        "window_step": step,
        "fft_size": fft_size,
        "channels": channels,
        "fb_start_index": fb.start_index,
        "fb_end_index": fb.end_index,
        "nr_smoothing_bits": smoothing_bits,
        "nr_even_smoothing": q14(0.025),
        "nr_odd_smoothing": q14(0.06),
        "nr_min_signal_remaining": q14(0.05),
        "pcan_snr_shift": 21 - correction_bits - tflm_tables.PCAN_SNR_BITS,
        "log_scale_shift": 6,
        "log_correction_bits": correction_bits,
        "out_value_scale": 256,
        "out_value_div": int(25.6 * 26.0 + 0.5),
        "out_offset": -128,
        "input_scale": scale,
        "input_zero_point": zero_point,
    }
    return FrontendTables("tflm_micro", arrays, scalars)


def sparse_mel(weights: np.ndarray) -> dict[str, np.ndarray]:
    """(bins, C) float weights -> mel_starts / mel_widths / mel_weights (Q15 uint16)."""
    starts, widths, flat = [], [], []
    for j in range(weights.shape[1]):
        q = np.round(weights[:, j] * (1 << MEL_FRAC_BITS)).astype(np.int64)
        nz = np.nonzero(q)[0]
        lo, hi = (int(nz[0]), int(nz[-1]) + 1) if len(nz) else (0, 0)
        starts.append(lo)
        widths.append(hi - lo)
        flat.extend(q[lo:hi].tolist())
    return {
        "mel_starts": np.array(starts, dtype=np.int16),
        "mel_widths": np.array(widths, dtype=np.int16),
        "mel_weights": np.array(flat, dtype=np.uint16),
    }


def q30_window(window: np.ndarray) -> np.ndarray:
    return np.round(window * (1 << WINDOW_FRAC_BITS)).astype(np.int32)


def _spectral_common(
    frontend: dict[str, Any], window: np.ndarray, lower: float, upper: float
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    rate = int(frontend["sample_rate"])
    size = _samples(frontend, "window_ms")
    step = _samples(frontend, "hop_ms")
    fft_size = int(frontend.get("fft_size", tf_signal.next_pow2(size)))
    channels = int(frontend["mel_bins"])
    plan = make_real_fft_plan(fft_size, 32)
    mel = tf_signal.linear_to_mel_weight_matrix(channels, fft_size // 2 + 1, rate, lower, upper)
    arrays = {
        "window": q30_window(window),
        **_fft_arrays(plan),
        **sparse_mel(mel),
        "log2_lut": build_log2_lut(),
    }
    scalars = {
        "sample_rate": rate,
        "window_size": size,
        "window_step": step,
        "fft_size": fft_size,
        "channels": channels,
        "window_frac_bits": WINDOW_FRAC_BITS,
        "norm_bits": NORM_BITS,
        "mel_frac_bits": MEL_FRAC_BITS,
    }
    return arrays, scalars


def mfcc_gain_constants(fft_size: int, gain: float) -> dict[str, int]:
    """Constants that depend on the int16 -> float input gain (MFCC pipeline)."""
    log2_n = math.log2(fft_size)
    offset = math.log2(gain) + log2_n - WINDOW_FRAC_BITS - MEL_FRAC_BITS
    eps_base = MFCC_LOG_EPS * 2.0 ** (WINDOW_FRAC_BITS + MEL_FRAC_BITS) / (gain * fft_size)
    return {
        "log_offset_q16": round(offset * 65536),
        "eps_q": round(eps_base * 2.0**EPS_FRAC_BITS),
    }


def logmel_gain_constants(fft_size: int, window_size: int, gain: float) -> dict[str, int]:
    """Constants that depend on the int16 -> float input gain (log-mel pipeline)."""
    offset = (
        2 * math.log2(gain)
        + 2 * math.log2(fft_size)
        - math.log2(window_size)
        + LOGMEL_POWER_SHIFT
        - MEL_FRAC_BITS
        - 2 * (WINDOW_FRAC_BITS + PREEMPH_SHIFT)
    )
    return {"log_offset_q16": round(offset * 65536)}


def _mfcc(frontend: dict[str, Any], scale: float, zero_point: int, gain: float) -> FrontendTables:
    size = _samples(frontend, "window_ms")
    arrays, scalars = _spectral_common(
        frontend,
        tf_signal.hann_window(size, periodic=True),
        float(frontend["lower_hz"]),
        float(frontend["upper_hz"]),
    )
    coefficients = int(frontend["coefficients"])
    dct = tf_signal.dct2_matrix(scalars["channels"])[:coefficients] * math.log(2.0) / scale
    arrays["dct"] = np.round(dct * (1 << DCT_FRAC_BITS)).astype(np.int32)
    scalars.update(
        coefficients=coefficients,
        dct_frac_bits=DCT_FRAC_BITS,
        eps_frac_bits=EPS_FRAC_BITS,
        input_gain=gain,
        input_scale=scale,
        input_zero_point=zero_point,
        out_min=-128,
        out_max=127,
        **mfcc_gain_constants(scalars["fft_size"], gain),
    )
    return FrontendTables("mfcc", arrays, scalars)


def _logmel(frontend: dict[str, Any], scale: float, zero_point: int, gain: float) -> FrontendTables:
    size = _samples(frontend, "window_ms")
    arrays, scalars = _spectral_common(
        frontend,
        tf_signal.hamming_window(size, periodic=False),
        float(frontend["lower_hz"]),
        float(frontend["upper_hz"]),
    )
    scalars.update(
        preemph_num=(1 << PREEMPH_SHIFT) - 1,
        preemph_shift=PREEMPH_SHIFT,
        power_shift=LOGMEL_POWER_SHIFT,
        frame_shift_mult=2,
        db_mult_q16=round(10.0 * math.log10(2.0) / (LOGMEL_RANGE_DB * scale) * 65536),
        db_bias_q32=round(LOGMEL_OFFSET_DB / (LOGMEL_RANGE_DB * scale) * 2.0**32),
        input_gain=gain,
        input_scale=scale,
        input_zero_point=zero_point,
        out_min=max(-128, zero_point),
        out_max=min(127, zero_point + round(1.0 / scale)),
        **logmel_gain_constants(scalars["fft_size"], size, gain),
    )
    return FrontendTables("logmel", arrays, scalars)


def build_tables(
    frontend: dict[str, Any],
    input_scale: float | None = None,
    input_zero_point: int | None = None,
    input_gain: float = DEFAULT_INPUT_GAIN,
) -> FrontendTables:
    """Tables of the front end described by a model's [frontend] metadata.

    input_scale / input_zero_point: the model input's int8 quantization (default: the
    reference model's). input_gain: int16 -> float factor of the training pipeline
    (mfcc / logmel only; 1/32768 = decode_wav's full scale).
    """
    kind = frontend.get("type")
    if kind not in DEFAULT_INPUT_QUANT:
        raise ValueError(f"unknown front end type {kind!r} (tflm_micro, mfcc, logmel)")
    default_scale, default_zp = DEFAULT_INPUT_QUANT[kind]
    scale = default_scale if input_scale is None else float(input_scale)
    zp = default_zp if input_zero_point is None else int(input_zero_point)
    if kind == "tflm_micro":
        return _tflm_micro(frontend, scale, zp)
    if kind == "mfcc":
        return _mfcc(frontend, scale, zp, input_gain)
    return _logmel(frontend, scale, zp, input_gain)
