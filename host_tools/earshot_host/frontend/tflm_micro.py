"""TFLM micro front end, bit-exact with TensorFlow's ``audio_microfrontend`` op (uint16 out).

Per frame (window = 480 samples, step = 320, at 16 kHz; all integer, uint32 values wrap
modulo 2**32 exactly as in C):

1. window: ``w[i] = (int16)((x[i] * window[i]) >> 12)`` (window Q12); ``max_abs`` = max of
   |w| as int16 (|-32768| stays negative and is ignored); ``shift = 15 - bit_length(max_abs)``.
2. FFT input: ``(int16)((uint16)w[i] << shift)``, zero-padded to 512; 16-bit KISS FFT
   (see kissfft_fixed): X = DFT / 512, int16 re/im.
3. energy[k] = re*re + im*im as uint32, stored int32 (read back sign-extended to uint64).
4. filterbank: for slot c = 0..channels (41 slots), with the slot's frequency start, weight
   start and width: ``acc_w += weights[j] * energy[f]``, ``acc_u += unweights[j] * energy[f]``
   (uint64); ``work[c] = acc_w``; then ``acc_w = acc_u``, ``acc_u = 0``. Channel c's output
   is ``sqrt64(work[c + 1]) >> shift`` where sqrt64 rounds to nearest (capped at 0xFFFF
   when the argument is below 2**32).
5. noise reduction (per channel, smoothing Q14 even/odd): ``s = sig << 10``;
   ``est = (s*smooth + est*(16384 - smooth)) >> 14``; ``floor = (sig * 819) >> 14``;
   ``sig = max((s - min(est, s)) >> 10, floor)``.
6. PCAN: ``gain = wide_dynamic_function(est, gain_lut)``; ``snr = (sig * gain) >> 6``;
   ``sig = snr*snr >> 20`` if snr < 8192 else ``(snr >> 6) - 64``.
7. log: ``v = sig << 3``; ``out = log(v) (scale shift 6)`` if v > 1 else 0; min(out, 65535).

``TflmMicroFrontend`` streams (``process_hop`` / ``feed``); ``tflm_micro_features`` is the
vectorized batch version; both give the same frames. ``raw_to_int8`` is the model input map.
"""

from __future__ import annotations

import numpy as np

from earshot_host.frontend.fixed_math import bit_length, isqrt_round_u64, wrap
from earshot_host.frontend.kissfft_fixed import real_fft
from earshot_host.frontend.tables import FrontendTables

_U32 = np.uint64(0xFFFFFFFF)


def _filterbank_matrices(tables: FrontendTables) -> tuple[np.ndarray, np.ndarray]:
    """Dense (slots, bins) uint64 weight/unweight matrices equivalent to the sparse layout."""
    a = tables.arrays
    bins = int(tables.scalars["fft_size"]) // 2 + 1
    slots = len(a["fb_channel_widths"])
    w = np.zeros((slots, bins), dtype=np.uint64)
    u = np.zeros((slots, bins), dtype=np.uint64)
    for c in range(slots):
        f0 = int(a["fb_channel_frequency_starts"][c])
        w0 = int(a["fb_channel_weight_starts"][c])
        for j in range(int(a["fb_channel_widths"][c])):
            w[c, f0 + j] += np.uint64(int(a["fb_weights"][w0 + j]))
            u[c, f0 + j] += np.uint64(int(a["fb_unweights"][w0 + j]))
    return w, u


def _spectrum_stage(tables: FrontendTables, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Steps 1-4 for (n, window) int16 frames: (channel amplitudes uint64, shifts int64)."""
    window = tables.arrays["window"].astype(np.int64)
    windowed = wrap((frames.astype(np.int64) * window) >> 12, np.int16)
    abs16 = np.abs(windowed)  # int16: |-32768| stays -32768
    max_abs = np.maximum(abs16.max(axis=-1).astype(np.int64), 0)
    shift = 15 - bit_length(max_abs)
    fft_size = int(tables.scalars["fft_size"])
    scaled = ((windowed.astype(np.int64) & 0xFFFF) << shift[:, None]) & 0xFFFF
    fft_in = np.zeros((frames.shape[0], fft_size), dtype=np.int64)
    fft_in[:, : frames.shape[1]] = wrap(scaled, np.int16)
    re, im = real_fft(tables.fft_plan(), fft_in)
    energy_u32 = ((re * re + im * im) & 0xFFFFFFFF).astype(np.uint32)
    energy = energy_u32.view(np.int32).astype(np.int64).astype(np.uint64)  # sign-extended
    start = int(tables.scalars["fb_start_index"])
    end = int(tables.scalars["fb_end_index"])
    valid = np.zeros(energy.shape[-1], dtype=bool)
    valid[start:end] = True
    energy = np.where(valid, energy, np.uint64(0))  # other bins only meet zero weights
    w, u = _filterbank_matrices(tables)
    acc_w = _matmul_u64(energy, w)
    acc_u = _matmul_u64(energy, u)
    work = np.empty_like(acc_w)
    work[:, 0] = acc_w[:, 0]
    work[:, 1:] = acc_w[:, 1:] + acc_u[:, :-1]  # uint64, wraps like C
    amplitude = _sqrt64(work[:, 1:]) >> shift[:, None].astype(np.uint64)
    return amplitude, shift


def _matmul_u64(energy: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(n, bins) x (slots, bins) -> (n, slots) sums modulo 2**64."""
    out = np.zeros((energy.shape[0], weights.shape[0]), dtype=np.uint64)
    for c in range(weights.shape[0]):
        out[:, c] = (energy * weights[c]).sum(axis=-1, dtype=np.uint64)
    return out


def _sqrt64(values: np.ndarray) -> np.ndarray:
    v = values.astype(np.uint64)
    small = (v >> np.uint64(32)) == 0
    if np.any(v >= np.uint64(1 << 62)):
        raise NotImplementedError("filterbank energy above 2**62 is outside the emulated range")
    r = isqrt_round_u64(v).astype(np.uint64)
    return np.where(small, np.minimum(r, np.uint64(0xFFFF)), np.minimum(r, _U32))


def _wide_dynamic_function(x: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """PCAN gain for noise estimates x (uint64 holding uint32): int16 values as int64."""
    x = x.astype(np.int64)
    lut64 = lut.astype(np.int64)
    interval = bit_length(x)
    base = np.clip(4 * interval - 6, 0, len(lut) - 3)
    up = np.maximum(11 - interval, 0)
    down = np.maximum(interval - 11, 0)
    frac = np.where(interval < 11, (x << up) & 0xFFFFFFFF, x >> down) & 0x3FF
    y0 = lut64[base]
    a1 = lut64[base + 1]
    a2 = lut64[base + 2]
    result = wrap((a2 * frac) >> 5, np.int32).astype(np.int64)
    result = wrap(result + a1 * 32, np.int32).astype(np.int64)
    result = wrap(result * frac, np.int32).astype(np.int64)
    result = (result + (1 << 14)) >> 15
    result = wrap(result + y0, np.int16).astype(np.int64)
    small = lut64[np.clip(x, 0, 2)]
    return np.where(x <= 2, small, result)


class TflmMicroFrontend:
    """Streaming TFLM micro front end: state = window buffer, noise estimates (PCAN uses them).

    ``process_hop(hop)`` takes one hop (320 samples at 16 kHz) and returns the frame it
    completes (40 uint16) or None: the first frame needs a full window (480 samples), so the
    first hop returns None and every later hop returns one frame, exactly the frames that
    ``tflm_micro_features`` computes on the concatenated samples.
    """

    def __init__(self, tables: FrontendTables) -> None:
        if tables.kind != "tflm_micro":
            raise ValueError(f"tables are for {tables.kind!r}, not 'tflm_micro'")
        self.tables = tables
        s = tables.scalars
        self.window_size = int(s["window_size"])
        self.window_step = int(s["window_step"])
        self.channels = int(s["channels"])
        self.reset()

    def reset(self) -> None:
        self._buffer = np.zeros(self.window_size, dtype=np.int16)
        self._used = 0
        self.noise_estimate = np.zeros(self.channels, dtype=np.uint64)

    def feed(self, samples: np.ndarray) -> np.ndarray:
        """Any number of int16 samples -> (frames, channels) uint16 (possibly 0 frames)."""
        x = np.asarray(samples, dtype=np.int16)
        out: list[np.ndarray] = []
        pos = 0
        while pos < len(x):
            take = min(self.window_size - self._used, len(x) - pos)
            self._buffer[self._used : self._used + take] = x[pos : pos + take]
            self._used += take
            pos += take
            if self._used == self.window_size:
                out.append(self._frame(self._buffer[None, :])[0])
                keep = self.window_size - self.window_step
                self._buffer[:keep] = self._buffer[self.window_step :].copy()
                self._used = keep
        if not out:
            return np.zeros((0, self.channels), dtype=np.uint16)
        return np.stack(out)

    def process_hop(self, hop: np.ndarray) -> np.ndarray | None:
        """One hop of int16 samples -> one frame (40 uint16) or None while filling up."""
        if len(hop) != self.window_step:
            raise ValueError(f"a hop is {self.window_step} samples, got {len(hop)}")
        frames = self.feed(hop)
        return frames[-1] if len(frames) else None

    def _frame(self, frames: np.ndarray) -> np.ndarray:
        amplitude, _ = _spectrum_stage(self.tables, frames)
        return np.stack([self._post(amplitude[i]) for i in range(len(frames))])

    def _post(self, signal: np.ndarray) -> np.ndarray:
        """Steps 5-7 for one frame of channel amplitudes (uint64 holding uint32)."""
        s = self.tables.scalars
        sig = signal.astype(np.uint64) & _U32
        smoothing_bits = np.uint64(int(s["nr_smoothing_bits"]))
        nr_bits = np.uint64(14)
        even = int(s["nr_even_smoothing"])
        odd = int(s["nr_odd_smoothing"])
        smoothing = np.array(
            [even if i % 2 == 0 else odd for i in range(self.channels)], dtype=np.uint64
        )
        one_minus = np.uint64(1 << 14) - smoothing
        scaled = (sig << smoothing_bits) & _U32
        estimate = ((scaled * smoothing + self.noise_estimate * one_minus) >> nr_bits) & _U32
        self.noise_estimate = estimate
        estimate = np.minimum(estimate, scaled)
        floor = ((sig * np.uint64(int(s["nr_min_signal_remaining"]))) >> nr_bits) & _U32
        subtracted = (scaled - estimate) >> smoothing_bits
        sig = np.maximum(subtracted, floor)

        gain = _wide_dynamic_function(self.noise_estimate, self.tables.arrays["pcan_gain_lut"])
        gain_u = (gain.astype(np.int64) & 0xFFFFFFFF).astype(np.uint64)
        snr = ((sig * gain_u) >> np.uint64(int(s["pcan_snr_shift"]))) & _U32
        shrunk_small = (snr * snr) >> np.uint64(2 + 2 * 12 - 6)
        shrunk_big = ((snr >> np.uint64(12 - 6)) - np.uint64(64)) & _U32
        sig = np.where(snr < np.uint64(2 << 12), shrunk_small & _U32, shrunk_big)

        value = (sig << np.uint64(int(s["log_correction_bits"]))) & _U32
        logged = _log_scale(value, self.tables.arrays["log_lut"], int(s["log_scale_shift"]))
        return np.minimum(logged, 0xFFFF).astype(np.uint16)


def _log_scale(value: np.ndarray, lut: np.ndarray, scale_shift: int) -> np.ndarray:
    """TFLM integer natural log (Q16 log2 via the 128-segment LUT, then * ln 2, scaled)."""
    v = value.astype(np.int64)
    integer = bit_length(v) - 1
    safe = np.maximum(integer, 0)
    frac = v - (np.int64(1) << safe)
    frac = np.where(safe < 16, frac << np.maximum(16 - safe, 0), frac >> np.maximum(safe - 16, 0))
    frac = wrap(frac, np.int32).astype(np.int64)
    base_seg = frac >> (16 - 7)
    seg_unit = (1 << 16) >> 7
    lut64 = lut.astype(np.int64)
    idx = np.clip(base_seg, 0, len(lut) - 2)
    c0 = lut64[idx]
    c1 = lut64[idx + 1]
    rel_pos = wrap((c1 - c0) * (frac - seg_unit * base_seg), np.int32).astype(np.int64) >> 16
    fraction = (frac + c0 + rel_pos) & 0xFFFFFFFF
    log2 = ((safe << 16) + fraction) & 0xFFFFFFFF
    loge = ((45426 * log2 + 32768) >> 16) & 0xFFFFFFFF
    scaled = (((loge << scale_shift) & 0xFFFFFFFF) + 32768) >> 16
    return np.where(v > 1, scaled, 0)


def frame_count(num_samples: int, window_size: int, window_step: int) -> int:
    """Frames of a signal as TF frames it: 1 + (n - window) // step, 0 if n < window."""
    return 0 if num_samples < window_size else 1 + (num_samples - window_size) // window_step


def tflm_micro_features(samples: np.ndarray, tables: FrontendTables) -> np.ndarray:
    """Whole signal -> (frames, channels) uint16, as the TF op with a fresh state."""
    x = np.asarray(samples, dtype=np.int16)
    fe = TflmMicroFrontend(tables)
    n = frame_count(len(x), fe.window_size, fe.window_step)
    if n == 0:
        return np.zeros((0, fe.channels), dtype=np.uint16)
    idx = np.arange(n)[:, None] * fe.window_step + np.arange(fe.window_size)[None, :]
    amplitude, _ = _spectrum_stage(tables, x[idx])
    return np.stack([fe._post(amplitude[i]) for i in range(n)])


def raw_to_int8(raw: np.ndarray, tables: FrontendTables) -> np.ndarray:
    """Model input: q = clip(((raw * 256 + 333) // 666) - 128, -128, 127) (int8)."""
    s = tables.scalars
    scale = int(s["out_value_scale"])
    div = int(s["out_value_div"])
    q = (raw.astype(np.int64) * scale + div // 2) // div + int(s["out_offset"])
    return np.clip(q, -128, 127).astype(np.int8)
