"""Numeric gradients and gradient checking."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import descend


def test_numeric_grad_scalar_in_scalar_out():
    g = descend.numeric_grad(lambda x: x**2 - 6 * x + 5, 15.0)
    assert isinstance(g, float) and g == pytest.approx(24.0, abs=1e-8)


def test_numeric_grad_vector():
    g = descend.numeric_grad(lambda w: w[0] ** 2 + w[1] ** 4, np.array([1.0, 2.0]))
    np.testing.assert_allclose(g, [2.0, 32.0], rtol=1e-8)


def test_numeric_grad_args_and_explicit_step():
    g = descend.numeric_grad(lambda x, a: a * x**3, 2.0, args=(3.0,), h=1e-3)
    assert g == pytest.approx(36.0, rel=1e-6)
    with pytest.raises(ValueError, match="Invalid step h"):
        descend.numeric_grad(lambda x: x, 1.0, h=0.0)


def test_numeric_grad_does_not_modify_x():
    x = np.array([1.0, 2.0])
    descend.numeric_grad(lambda w: float(w @ w), x)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_numeric_grad_step_scales_with_x():
    # At |x| = 1e8 a fixed tiny step would vanish in rounding; the scaled step does not.
    g = descend.numeric_grad(lambda x: x**2, 1e8)
    assert g == pytest.approx(2e8, rel=1e-6)


@settings(max_examples=60, deadline=None)
@given(
    a=arrays(float, 3, elements=st.floats(-3, 3)),
    x=arrays(float, 3, elements=st.floats(-5, 5)),
)
def test_numeric_grad_matches_analytic_on_random_cubics(a, x):
    def f(w):
        return float(np.sum(a * w**3 + w**2) + w[0] * w[1])

    def grad(w):
        g = 3 * a * w**2 + 2 * w
        g[0] += w[1]
        g[1] += w[0]
        return g

    assert descend.check_grad(f, grad, x) < 1e-7


def test_check_grad_flags_a_wrong_gradient():
    err = descend.check_grad(lambda x: x**2 - 6 * x + 5, lambda x: 2 * x, 15.0)
    assert err == pytest.approx(6 / 30, rel=1e-6)


def test_check_grad_shape_mismatch():
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        descend.check_grad(lambda w: float(w @ w), lambda w: np.ones(3), np.ones(2))


def test_check_grad_is_absolute_for_small_gradients():
    # Near a minimum the gradient is tiny; the score stays small for a correct gradient.
    assert descend.check_grad(lambda x: (x - 1.0) ** 2, lambda x: 2 * (x - 1.0), 1.0) < 1e-9
