"""Unit tests of the fixed-point arithmetic and host-side parameter computation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from earshot_host.convert import quant_params as qp
from earshot_host.reference.fixedpoint import exp_on_negative_values
from earshot_host.reference.requantize import (
    INT32_MAX,
    INT32_MIN,
    double_round_scale,
    double_round_scale_integer,
    multiply_by_quantized_multiplier,
    rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul,
)
from earshot_host.reference.softmax import softmax_int8


def test_saturating_rounding_doubling_high_mul_edges() -> None:
    assert saturating_rounding_doubling_high_mul(INT32_MIN, INT32_MIN) == INT32_MAX
    assert saturating_rounding_doubling_high_mul(1 << 30, 1 << 30) == 1 << 29
    # nudge and C truncation: an exact half rounds up (-0.5 -> 0, +0.5 -> 1)
    assert saturating_rounding_doubling_high_mul(-1, 1 << 30) == 0
    assert saturating_rounding_doubling_high_mul(-3, 1 << 30) == -1
    assert saturating_rounding_doubling_high_mul(1, 1 << 30) == 1
    assert saturating_rounding_doubling_high_mul(3, 1 << 29) == 1


def test_rounding_divide_by_pot_ties_away_from_zero() -> None:
    x = np.array([5, -5, 6, -6, 7, -7, 0])
    assert rounding_divide_by_pot(x, 1).tolist() == [3, -3, 3, -3, 4, -4, 0]
    assert rounding_divide_by_pot(x, 0).tolist() == x.tolist()


def test_quantize_multiplier_matches_frexp_rounding() -> None:
    assert qp.quantize_multiplier(0.0) == (0, 0)
    assert qp.quantize_multiplier(0.5) == (1 << 30, 0)
    assert qp.quantize_multiplier(1.0) == (1 << 30, 1)
    # a mantissa that rounds up to 2^31 is renormalised
    assert qp.quantize_multiplier(1.0 - 2.0**-40) == (1 << 30, 1)
    assert qp.quantize_multiplier(2.0**-40) == (0, 0)  # shift < -31 flushes to zero
    multiplier, shift = qp.quantize_multiplier(0.0012345)
    assert 1 << 30 <= multiplier < 1 << 31
    assert math.isclose(multiplier * 2.0 ** (shift - 31), 0.0012345, rel_tol=1e-9)


def test_multiply_by_quantized_multiplier_against_float() -> None:
    rng = np.random.default_rng(1)
    x = rng.integers(-(1 << 20), 1 << 20, size=1000)
    multiplier, shift = qp.quantize_multiplier(0.0123)
    got = multiply_by_quantized_multiplier(x, multiplier, shift)
    assert np.abs(got - x * 0.0123).max() <= 1.0


def test_double_round_integer_algorithm_matches_ieee() -> None:
    rng = np.random.default_rng(2)
    scales = [qp.double_round_scales(s, [f], o, 1) for s, f, o in rng.uniform(1e-3, 1, (40, 3))]
    accs = list(rng.integers(-(1 << 31), 1 << 31, size=200)) + [0, 1, -1, INT32_MAX, INT32_MIN]
    for mantissas, exponents in scales:
        m, e = int(mantissas[0]), int(exponents[0])
        vector = double_round_scale(np.array(accs), m, e)
        assert [double_round_scale_integer(int(a), m, e) for a in accs] == vector.tolist()
    # exact ties round away from zero, like std::round
    assert double_round_scale(np.array([3, -3]), 1 << 52, -53).tolist() == [2, -2]
    assert double_round_scale_integer(3, 1 << 52, -53) == 2
    assert double_round_scale_integer(-3, 1 << 52, -53) == -2
    # a product that only reaches .5 through the 53-bit rounding step
    m = (1 << 53) - 1
    acc = 1 << 30
    assert double_round_scale_integer(acc, m, -84) == double_round_scale(np.array([acc]), m, -84)[0]


def test_exp_on_negative_values_is_close_to_exp() -> None:
    x = np.linspace(-31.9, 0, 500)
    raw = np.round(x * (1 << 26)).astype(np.int64)
    got = exp_on_negative_values(raw, 5) / 2.0**31
    assert np.abs(got - np.exp(raw / 2.0**26)).max() < 1e-6


def test_softmax_uniform_and_peaked_rows() -> None:
    params = qp.softmax_params(1.0, 0.1)
    out = softmax_int8(np.zeros((1, 4), np.int8), **params)
    assert out.tolist() == [[-64, -64, -64, -64]]
    peaked = softmax_int8(np.array([[127, -128, -128]], np.int8), **params)
    assert peaked[0, 0] == 127 and peaked[0, 1] == -128


@pytest.mark.parametrize(
    ("activation", "expected"),
    [("NONE", (-128, 127)), ("RELU", (-10, 127)), ("RELU6", (-10, 50)), ("RELU_N1_TO_1", (-20, 0))],
)
def test_activation_range(activation: str, expected: tuple[int, int]) -> None:
    assert qp.activation_range_int8(activation, 0.1, -10) == expected
