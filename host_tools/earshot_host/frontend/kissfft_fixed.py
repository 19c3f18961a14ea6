"""Fixed-point real FFT with KISS FFT's integer semantics (16-bit and 32-bit), in NumPy.

This is the one real FFT of the device, in two sample widths:

* ``bits=16`` reproduces, integer for integer, the FFT of TensorFlow's micro front end
  (KISS FFT 131.1.0 built with FIXED_POINT=16): that is what makes ``tflm_micro``
  bit-exact.
* ``bits=32`` is the same algorithm on int32 samples with Q31 twiddles and 64-bit
  products (KISS FFT's FIXED_POINT=32 semantics); the MFCC and log-mel front ends use it,
  with inputs block-normalized below 2**29 so that nothing ever wraps.

Algorithm (what the C code implements; Q = 15 for 16 bits, 31 for 32 bits;
MAX = 2**Q - 1; every result is stored back in the sample type, wrapping modulo
2**bits, and every >> is arithmetic):

    sround(x)      = (x + 2**(Q-1)) >> Q             x in int32 (16-bit) / int64 (32-bit)
    fixdiv(v, p)   = sround(v * (MAX // p))           per component ("C_FIXDIV")
    cmul(a, w)     = (sround(a.r*w.r - a.i*w.i), sround(a.r*w.i + a.i*w.r))

Twiddles (tables): ``tw[i] = (floor(0.5 + MAX*cos(-2*pi*i/n)), floor(0.5 + MAX*sin(...)))``
for i < n = N/2 (the complex FFT size), ``super_tw[i]`` the same with phase
``-pi*((i+1)/n + 0.5)`` for i < n/2. ``factors`` = KISS FFT's factorization of n: radix 4
while n % 4 == 0, then 2, then odd primes; stored as (p, m) pairs with p*m = previous m.

Complex FFT of size n (decimation in time, mixed radix, KISS FFT's recursion unrolled):
the input is permuted (``perm``: ``buf[j] = z[perm[j]]``, the digit reversal that KISS
FFT's recursive leaves produce), then for each stage from the last (p, m) pair back to
the first, with fstride = n / (p*m): every block of p*m consecutive values gets the
radix-p butterfly below, for k = 0..m-1 (F_q = block[k + q*m]):

    radix 2:  F0, F1 = fixdiv(F0, 2), fixdiv(F1, 2)
              t = cmul(F1, tw[k*fstride]);  F1 = F0 - t;  F0 = F0 + t
    radix 4:  F0..F3 = fixdiv(F0..F3, 4)
              s0 = cmul(F1, tw[k*fstride]); s1 = cmul(F2, tw[2k*fstride]);
              s2 = cmul(F3, tw[3k*fstride])
              s5 = F0 - s1;  F0 = F0 + s1;  s3 = s0 + s2;  s4 = s0 - s2
              F2 = F0 - s3;  F0 = F0 + s3
              F1 = (s5.r + s4.i, s5.i - s4.r);  F3 = (s5.r - s4.i, s5.i + s4.r)

Blocks and k's are independent, so any order (or SIMD) gives the same integers; the
stage order is fixed. Each stage divides by its radix: the output is DFT / n.

Real FFT of N = 2n real samples x (KISS FFT's kiss_fftr): z[j] = x[2j] + i*x[2j+1];
Z = complex FFT(z); then

    tdc = fixdiv(Z[0], 2);  X[0] = (tdc.r + tdc.i, 0);  X[n] = (tdc.r - tdc.i, 0)
    for k = 1..n/2 (k = n/2 last, its second assignment wins):
        a = fixdiv(Z[k], 2);  b = fixdiv(conj(Z[n-k]), 2)
        f1 = a + b;  f2 = a - b;  t = cmul(f2, super_tw[k-1])
        X[k]   = ((f1.r + t.r) >> 1, (f1.i + t.i) >> 1)      sums in the wide type
        X[n-k] = ((f1.r - t.r) >> 1, (t.i - f1.i) >> 1)

so X = DFT(x) / N for the N/2 + 1 non-negative frequencies.

A faster FFT (split radix, other radix order, CMSIS) would round differently at every
stage and would NOT reproduce these integers; the C side must implement exactly this.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from earshot_host.frontend.fixed_math import wrap

_PI = 3.141592653589793238462643383279502884197169399375105820974944


def kiss_factors(n: int) -> list[tuple[int, int]]:
    """KISS FFT's factorization of n into (radix, remaining length) pairs."""
    out: list[tuple[int, int]] = []
    p = 4
    floor_sqrt = math.floor(math.sqrt(n))
    while True:
        while n % p:
            p = {4: 2, 2: 3}.get(p, p + 2)
            if p > floor_sqrt:
                p = n
        n //= p
        out.append((p, n))
        if n <= 1:
            return out


def _leaf_permutation(n: int, factors: list[tuple[int, int]]) -> np.ndarray:
    """perm[j] = input index that KISS FFT's recursion places at output slot j."""
    perm = np.zeros(n, dtype=np.int32)

    def work(out_start: int, in_start: int, fstride: int, level: int) -> None:
        p, m = factors[level]
        if m == 1:
            for j in range(p):
                perm[out_start + j] = in_start + j * fstride
        else:
            for j in range(p):
                work(out_start + j * m, in_start + j * fstride, fstride * p, level + 1)

    work(0, 0, 1, 0)
    return perm


def _cexp(phase: float, maxval: int) -> tuple[int, int]:
    return (math.floor(0.5 + maxval * math.cos(phase)), math.floor(0.5 + maxval * math.sin(phase)))


@dataclass(frozen=True)
class RealFftPlan:
    """Tables of one fixed-point real FFT (see the module docstring)."""

    size: int  # N real samples
    bits: int  # 16 or 32
    twiddles: np.ndarray  # (N/2, 2) int16/int32: complex FFT twiddles
    super_twiddles: np.ndarray  # (N/4, 2) int16/int32: real-split twiddles
    factors: np.ndarray  # (stages, 2) int16: (radix, m) pairs, first = outermost
    perm: np.ndarray  # (N/2,) int16: input permutation of the complex FFT

    @property
    def frac_bits(self) -> int:
        return self.bits - 1

    @property
    def dtype(self) -> type[np.integer]:
        return np.int16 if self.bits == 16 else np.int32


def make_real_fft_plan(size: int, bits: int) -> RealFftPlan:
    """Twiddles, factors and permutation of an N-point real FFT (N even, N/2 radix 2/4)."""
    if bits not in (16, 32):
        raise ValueError(f"bits must be 16 or 32, not {bits}")
    if size % 4:
        raise ValueError(f"real FFT size must be a multiple of 4, not {size}")
    n = size // 2
    maxval = (1 << (bits - 1)) - 1
    dtype = np.int16 if bits == 16 else np.int32
    tw = [_cexp(-2 * _PI * i / n, maxval) for i in range(n)]
    stw = [
        _cexp(-3.14159265358979323846264338327 * ((i + 1) / n + 0.5), maxval) for i in range(n // 2)
    ]
    factors = kiss_factors(n)
    for p, _ in factors:
        if p not in (2, 4):
            raise ValueError(f"FFT size {size}: radix {p} is not supported (powers of two only)")
    return RealFftPlan(
        size=size,
        bits=bits,
        twiddles=np.array(tw, dtype=dtype),
        super_twiddles=np.array(stw, dtype=dtype),
        factors=np.array(factors, dtype=np.int16),
        perm=_leaf_permutation(n, factors).astype(np.int16),
    )


class _Ops:
    """Sample-type arithmetic of one plan (values carried as int64 NumPy arrays)."""

    def __init__(self, plan: RealFftPlan) -> None:
        self.q = plan.frac_bits
        self.maxval = (1 << self.q) - 1
        self.half = 1 << (self.q - 1)
        self.dtype = plan.dtype

    def store(self, v: np.ndarray) -> np.ndarray:
        return wrap(v, self.dtype).astype(np.int64)

    def sround(self, v: np.ndarray) -> np.ndarray:
        return self.store((v + self.half) >> self.q)

    def fixdiv(self, v: np.ndarray, p: int) -> np.ndarray:
        return self.sround(v * (self.maxval // p))

    def cmul(
        self, ar: np.ndarray, ai: np.ndarray, br: np.ndarray, bi: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        return self.sround(ar * br - ai * bi), self.sround(ar * bi + ai * br)


def complex_fft(plan: RealFftPlan, re: np.ndarray, im: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Complex FFT of size N/2 on the last axis (int64 arrays holding sample-type values)."""
    ops = _Ops(plan)
    n = plan.size // 2
    perm = plan.perm.astype(np.int64)
    re = ops.store(re[..., perm])
    im = ops.store(im[..., perm])
    lead = re.shape[:-1]
    twr = plan.twiddles[:, 0].astype(np.int64)
    twi = plan.twiddles[:, 1].astype(np.int64)
    for p, m in reversed([tuple(int(v) for v in f) for f in plan.factors]):
        fstride = n // (p * m)
        shape = (*lead, fstride, p, m)
        r = re.reshape(shape)
        i = im.reshape(shape)
        k = np.arange(m)
        fr = [ops.fixdiv(r[..., q, :], p) for q in range(p)]
        fi = [ops.fixdiv(i[..., q, :], p) for q in range(p)]
        if p == 2:
            tr, ti = ops.cmul(fr[1], fi[1], twr[k * fstride], twi[k * fstride])
            out_r = [ops.store(fr[0] + tr), ops.store(fr[0] - tr)]
            out_i = [ops.store(fi[0] + ti), ops.store(fi[0] - ti)]
        else:
            s0r, s0i = ops.cmul(fr[1], fi[1], twr[k * fstride], twi[k * fstride])
            s1r, s1i = ops.cmul(fr[2], fi[2], twr[2 * k * fstride], twi[2 * k * fstride])
            s2r, s2i = ops.cmul(fr[3], fi[3], twr[3 * k * fstride], twi[3 * k * fstride])
            s5r, s5i = ops.store(fr[0] - s1r), ops.store(fi[0] - s1i)
            f0r, f0i = ops.store(fr[0] + s1r), ops.store(fi[0] + s1i)
            s3r, s3i = ops.store(s0r + s2r), ops.store(s0i + s2i)
            s4r, s4i = ops.store(s0r - s2r), ops.store(s0i - s2i)
            out_r = [
                ops.store(f0r + s3r),
                ops.store(s5r + s4i),
                ops.store(f0r - s3r),
                ops.store(s5r - s4i),
            ]
            out_i = [
                ops.store(f0i + s3i),
                ops.store(s5i - s4r),
                ops.store(f0i - s3i),
                ops.store(s5i + s4r),
            ]
        re = np.stack(out_r, axis=-2).reshape(*lead, n)
        im = np.stack(out_i, axis=-2).reshape(*lead, n)
    return re, im


def real_fft(plan: RealFftPlan, samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Real FFT of the last axis (length plan.size): (re, im), each (..., N/2 + 1) int64.

    The values are those of the plan's sample type (int16 or int32): X = DFT(x) / N.
    """
    x = np.asarray(samples, dtype=np.int64)
    if x.shape[-1] != plan.size:
        raise ValueError(f"expected {plan.size} samples on the last axis, got {x.shape[-1]}")
    ops = _Ops(plan)
    n = plan.size // 2
    zr, zi = complex_fft(plan, x[..., 0::2], x[..., 1::2])
    out_r = np.zeros((*x.shape[:-1], n + 1), dtype=np.int64)
    out_i = np.zeros_like(out_r)
    tdc_r = ops.fixdiv(zr[..., 0], 2)
    tdc_i = ops.fixdiv(zi[..., 0], 2)
    out_r[..., 0] = ops.store(tdc_r + tdc_i)
    out_r[..., n] = ops.store(tdc_r - tdc_i)
    k = np.arange(1, n // 2 + 1)
    ar = ops.fixdiv(zr[..., k], 2)
    ai = ops.fixdiv(zi[..., k], 2)
    br = ops.fixdiv(zr[..., n - k], 2)
    bi = ops.fixdiv(ops.store(-zi[..., n - k]), 2)
    f1r, f1i = ops.store(ar + br), ops.store(ai + bi)
    f2r, f2i = ops.store(ar - br), ops.store(ai - bi)
    swr = plan.super_twiddles[k - 1, 0].astype(np.int64)
    swi = plan.super_twiddles[k - 1, 1].astype(np.int64)
    tr, ti = ops.cmul(f2r, f2i, swr, swi)
    out_r[..., k] = ops.store((f1r + tr) >> 1)
    out_i[..., k] = ops.store((f1i + ti) >> 1)
    out_r[..., n - k] = ops.store((f1r - tr) >> 1)
    out_i[..., n - k] = ops.store((ti - f1i) >> 1)
    return out_r, out_i
