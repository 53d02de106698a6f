"""descend.linesearch.Wolfe: properties of the strong-Wolfe search on random smooth functions.

The functions are convex quadratics with random conditioning, Rosenbrock's valley and sums of
sines plus a quadratic (non-convex), in 1 to 6 dimensions, searched from random points along
random descent directions at random scales, so that the first trial may fall short of the
line minimum or far beyond it. Every objective and gradient is counted and logged.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from descend import functions
from descend.linesearch import Found, Wolfe
from descend.optimizers import GD, LBFGS, Nesterov

# --------------------------------------------------------------------------- problems


class Counted:
    """An objective and its gradient, counting and logging their calls."""

    def __init__(self, fun, grad):
        self._fun, self._grad = fun, grad
        self.values = []  # (point, value) of every call of fun
        self.gradients = 0

    def fun(self, x):
        value = float(self._fun(x))
        self.values.append((x.copy(), value))
        return value

    def grad(self, x):
        self.gradients += 1
        return np.asarray(self._grad(x), dtype=float)


def quadratic(rng, n, log_condition):
    """½ xᵀAx − bᵀx with A's eigenvalues spread over 10**log_condition, in random axes."""
    axes, _ = np.linalg.qr(rng.normal(size=(n, n)))
    A = (axes * np.logspace(0.0, log_condition, n)) @ axes.T
    A = 0.5 * (A + A.T)
    b = rng.normal(size=n)
    return A, b, (lambda x: 0.5 * float(x @ A @ x) - float(b @ x)), (lambda x: A @ x - b)


def sines(rng, n):
    """Σ aₖ sin(wₖ·x + pₖ) + ½ c |x|²: smooth, bounded below, with many local minima."""
    k = 4
    a, w, p = rng.uniform(0.5, 2.0, k), rng.normal(scale=2.0, size=(k, n)), rng.uniform(0, 6, k)
    c = rng.uniform(0.05, 1.0)

    def fun(x):
        return float(a @ np.sin(w @ x + p)) + 0.5 * c * float(x @ x)

    def grad(x):
        return (a * np.cos(w @ x + p)) @ w + c * x

    return fun, grad


@st.composite
def problems(draw):
    """(objective, start point, descent direction) on one of the three kinds of function."""
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    kind = draw(st.sampled_from(["quadratic", "rosenbrock", "sines"]), label="kind")
    n = draw(st.integers(2 if kind == "rosenbrock" else 1, 6), label="n")
    rng = np.random.default_rng(seed)
    if kind == "quadratic":
        _, _, fun, grad = quadratic(rng, n, draw(st.floats(0.0, 6.0), label="log10 cond"))
    elif kind == "rosenbrock":
        fun, grad = functions.rosenbrock, functions.rosenbrock.grad
    else:
        fun, grad = sines(rng, n)
    x = rng.uniform(-2.0, 2.0, n)
    g = np.asarray(grad(x), dtype=float)
    if draw(st.booleans(), label="steepest"):
        d = -g
    else:  # a random direction, turned downhill
        d = rng.normal(size=n)
        d = -d if d @ g > 0 else d
    d = d * 10.0 ** draw(st.floats(-3.0, 3.0), label="log10 scale")
    assume(g @ d < -1e-8 * np.linalg.norm(g) * np.linalg.norm(d))  # clearly downhill
    return Counted(fun, grad), x, d


@st.composite
def searches(draw):
    c1 = draw(st.floats(1e-5, 0.4), label="c1")
    c2 = draw(st.floats(c1 + 1e-3, 0.99), label="c2")
    initial = 10.0 ** draw(st.floats(-2.0, 2.0), label="log10 initial")
    return Wolfe(c1=c1, c2=c2, initial=initial, max_trials=draw(st.integers(1, 30)))


# --------------------------------------------------------------------------- properties


@settings(max_examples=300, deadline=None)
@given(problem=problems(), wolfe=searches())
def test_an_accepted_rate_satisfies_the_strong_wolfe_conditions(problem, wolfe):
    counted, x, d = problem
    f0, g0 = counted.fun(x), counted.grad(x)
    counted.values.clear()
    counted.gradients = 0
    slope0 = float(g0 @ d)
    found = wolfe.search(counted.fun, counted.grad, x, f0, g0, d)

    evaluations = len(counted.values)
    assert 1 <= evaluations <= wolfe.max_trials
    assert counted.gradients <= evaluations

    def decreases(t, value):
        return value <= f0 + wolfe.c1 * t * slope0

    if found is None:
        # no trial satisfied the sufficient-decrease condition
        for point, value in counted.values:
            t = float(np.linalg.norm(point - x) / np.linalg.norm(d))
            assert not (decreases(t, value) and value < f0), (t, value, f0)
        return
    t, x_new, f_new, g_new, used = found
    assert used == evaluations
    assert t > 0.0 and np.array_equal(x_new, x + t * d)
    assert f_new == counted.fun(x_new) and np.array_equal(g_new, counted.grad(x_new))
    assert decreases(t, f_new) and f_new < f0
    if abs(float(g_new @ d)) > wolfe.c2 * abs(slope0):
        # the curvature condition may go unmet only when the trials ran out, or where f
        # changes only in its last digits along the line
        assert used == wolfe.max_trials or f0 - f_new <= 1e-12 * (1.0 + abs(f0))


@settings(max_examples=100, deadline=None)
@given(problem=problems(), wolfe=searches(), how=st.sampled_from(["uphill", "zero"]))
def test_a_direction_that_does_not_descend_gets_none_without_evaluations(problem, wolfe, how):
    counted, x, d = problem
    f0, g0 = counted.fun(x), counted.grad(x)
    counted.values.clear()
    counted.gradients = 0
    d = -d if how == "uphill" else np.zeros_like(d)
    assert wolfe.search(counted.fun, counted.grad, x, f0, g0, d) is None
    assert counted.values == [] and counted.gradients == 0


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 6),
    log_condition=st.floats(0.0, 6.0),
    where=st.one_of(st.floats(0.002, 0.998), st.floats(2.2, 4.9)),
    c2=st.floats(1e-3, 0.9),
    initial=st.floats(0.1, 10.0),
)
def test_on_a_quadratic_the_interpolation_is_exact(seed, n, log_condition, where, c2, initial):
    """With the line minimum inside the first trial (above a thousandth of it) or 2.2 to 4.9
    times as far, two evaluations find it exactly, unless the first trial is accepted."""
    rng = np.random.default_rng(seed)
    A, b, fun, grad = quadratic(rng, n, log_condition)
    x = np.linalg.solve(A, b) + rng.normal(size=n)  # f is of the size of its decrease
    d = -grad(x)
    t_min = float(d @ d / (d @ A @ d))
    d = d * t_min / (where * initial)  # the line minimum at where × initial
    counted = Counted(fun, grad)
    found = Wolfe(c2=c2, initial=initial).search(counted.fun, grad, x, fun(x), grad(x), d)
    t, _, _, _, used = found
    assert used <= 2 and len(counted.values) == used
    if used == 2:
        assert t == pytest.approx(where * initial, rel=1e-7)
    else:  # the first trial passed both conditions
        assert t == initial and abs(1.0 - 1.0 / where) <= c2


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 6), where=st.floats(-6.0, 6.0))
def test_on_a_quadratic_a_tight_search_finds_the_line_minimum(seed, n, where):
    """|φ'(t)| ≤ c2 |φ'(0)| on a quadratic puts t within c2 of the line minimum, relatively,
    wherever it lies (here 10**-6 to 10**6 times the first trial)."""
    rng = np.random.default_rng(seed)
    A, b, fun, grad = quadratic(rng, n, 3.0)
    x = np.linalg.solve(A, b) + rng.normal(size=n)
    d = -grad(x)
    d = d * float(d @ d / (d @ A @ d)) / 10.0**where
    found = Wolfe(c2=1e-3).search(fun, grad, x, fun(x), grad(x), d)
    assert found is not None
    assert abs(found[0] / 10.0**where - 1.0) <= 1e-3
    assert found[4] <= 3 + abs(where) * 2  # about a trial per factor of 4 beyond the first


def test_a_trial_where_f_is_not_finite_is_never_accepted():
    """Past t = 0.3 the objective is inf (a barrier): the search comes back inside."""

    def fun(x):
        return math.inf if x[0] > 0.3 else float((x[0] - 0.5) ** 2)

    def grad(x):
        return np.array([2.0 * (x[0] - 0.5)])

    x = np.zeros(1)
    t, _, f_new, _, used = Wolfe().search(fun, grad, x, fun(x), grad(x), np.ones(1))
    assert 0.0 < t <= 0.3 and math.isfinite(f_new) and used <= Wolfe().max_trials


def test_the_trials_running_out_falls_back_to_sufficient_decrease():
    """One trial that decreases f enough but is still steeply downhill is taken when no more
    trials are allowed; with more, the search goes further."""
    fun, grad = functions.sphere, functions.sphere.grad
    x = np.array([3.0, 4.0])
    d = -0.01 * grad(x)  # the minimum lies 50 unit rates away
    t, _, f_new, g_new, used = Wolfe(max_trials=1).search(fun, grad, x, fun(x), grad(x), d)
    assert (t, used) == (1.0, 1) and f_new < fun(x)
    assert abs(g_new @ d) > 0.9 * abs(grad(x) @ d)  # the curvature condition is unmet
    t, *_ = Wolfe().search(fun, grad, x, fun(x), grad(x), d)
    assert t > 1.0


def test_an_interval_below_the_rounding_of_the_rates_ends_the_search():
    """Next to a minimum f changes only in its last digits: the search stops narrowing when
    the rates can no longer be told apart and takes the decrease it has, trials to spare."""
    A = np.diag([1.0, 2.141785127984625])
    b = np.array([8.34614562818916, -32.88202514238491])

    def fun(x):
        return 0.5 * float(x @ A @ x) - float(b @ x)

    def grad(x):
        return A @ x - b

    x = np.array([8.346145627287777, -15.352625578997221])  # 1e-9 from the minimiser
    g = grad(x)
    d = -0.6528217131207115 * g
    _, _, f_new, g_new, used = Wolfe(c2=0.08).search(fun, grad, x, fun(x), g, d)
    assert used < Wolfe().max_trials and f_new < fun(x)
    assert abs(g_new @ d) > 0.08 * abs(g @ d)  # the curvature condition is unmet


# --------------------------------------------------------------------------- Wolfe.step


def test_step_along_an_optimizer_returns_the_new_gradient():
    fun, grad = functions.rosenbrock, functions.rosenbrock.grad
    x = np.array([-1.2, 1.0])
    opt = LBFGS()
    found = Wolfe().step(fun, x, fun(x), grad(x), opt, opt.init(x), gradient=grad)
    assert isinstance(found, Found)
    np.testing.assert_array_equal(found.x, x + found.step)
    assert found.f == fun(found.x) and np.array_equal(found.g, grad(found.x))
    assert found.state.count == 1


def test_step_retries_from_a_fresh_state_when_the_old_one_points_uphill():
    fun, grad = functions.sphere, functions.sphere.grad
    x = np.array([1.0, 1.0])
    opt = Nesterov(momentum=0.9)
    stale = opt.init(x)._replace(buffer=np.array([-100.0, -100.0]))  # momentum uphill
    unit, _ = opt.update(grad(x), stale, x, 1.0)
    assert unit @ grad(x) > 0
    found = Wolfe().step(fun, x, fun(x), grad(x), opt, stale, gradient=grad)
    assert found is not None and found.f < fun(x)
    _, fresh_state = opt.update(grad(x), opt.init(x), x, 1.0)
    np.testing.assert_array_equal(found.state.buffer, fresh_state.buffer)


def test_step_needs_the_gradient_function():
    x = np.ones(2)
    with pytest.raises(TypeError, match="gradient="):
        Wolfe().step(functions.sphere, x, 2.0, 2 * x, GD(), GD().init(x))
