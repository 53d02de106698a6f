"""Every optimizer, with sensible settings, reaches the minimum of sphere, Booth and
Rosenbrock, and climbs when maximizing."""

import numpy as np
import pytest

import descend
from descend import functions, schedules
from descend.optimizers import (
    GD,
    LBFGS,
    AdaGrad,
    Adam,
    AdamW,
    ConjugateGradient,
    Momentum,
    Nesterov,
    RMSProp,
)

# Decoupled weight decay pulls towards the origin; a decaying rate lets AdamW settle anyway.
ADAMW = AdamW(schedules.cosine_decay(0.05, decay_steps=5000, final=1e-4), weight_decay=1e-3)

# optimizer name -> (settings for sphere and Booth, settings for Rosenbrock's curved valley)
SETTINGS = {
    "gd": (GD(0.05), GD("backtracking")),
    "momentum": (Momentum(0.01, 0.9), Momentum(0.001, 0.9)),
    "nesterov": (Nesterov(0.01, 0.9), Nesterov(0.001, 0.9)),
    "adagrad": (AdaGrad(0.5), AdaGrad(0.5)),
    "rmsprop": (RMSProp(0.01), RMSProp(schedules.exponential_decay(0.01, rate=0.9995))),
    "adam": (Adam(0.05), Adam(0.02)),
    "adamw": (ADAMW, ADAMW),
    "lbfgs": (LBFGS(), LBFGS()),
    "cg": (ConjugateGradient(), ConjugateGradient()),
}


def test_every_named_optimizer_is_covered():
    assert set(SETTINGS) == set(descend.optimizers.OPTIMIZERS)


@pytest.mark.parametrize("name", list(SETTINGS))
@pytest.mark.parametrize(
    "fn", [functions.sphere, functions.booth, functions.rosenbrock], ids=lambda f: f.name
)
def test_reaches_the_minimum(name, fn):
    easy, valley = SETTINGS[name]
    optimizer = valley if fn is functions.rosenbrock else easy
    res = descend.minimize(fn, fn.x0, optimizer=optimizer, gtol=1e-6, max_iter=40_000)
    (minimizer,) = fn.minimizers
    np.testing.assert_allclose(res.x, minimizer, atol=1e-3)
    assert res.fun == pytest.approx(fn.minimum, abs=1e-6)
    assert np.all(np.isfinite(res.history.f))


@pytest.mark.parametrize("name", list(SETTINGS))
def test_maximize_climbs(name):
    def hill(x):
        return -functions.booth(x)

    def hill_grad(x):
        return -functions.booth.grad(x)

    easy, _ = SETTINGS[name]
    res = descend.maximize(hill, [-5.0, -5.0], grad=hill_grad, optimizer=easy, max_iter=3000)
    f = res.history.f
    assert f[-1] > f[0]
    assert res.fun == pytest.approx(0.0, abs=1e-3)
    np.testing.assert_allclose(res.x, [1.0, 3.0], atol=2e-2)
    # Overall the climb goes up: the best value so far never falls, and it rises a lot.
    assert np.maximum.accumulate(f)[-1] - f[0] > 0.99 * (0.0 - f[0])


# ------------------------------------------------------------------ L-BFGS and CG against SciPy

# The zoo's multimodal functions where SciPy's CG, whose line search differs, settles in
# another basin than descend's from the same start: both stop at a local minimum.
OTHER_BASIN = {("cg", "rastrigin"), ("cg", "ackley")}


def _scipy(fn, method):
    """SciPy's run from fn.x0 to |g| <= 1e-5 (its own norm: the max-norm of the projected
    gradient for L-BFGS-B, the 2-norm for CG)."""
    optimize = pytest.importorskip("scipy.optimize")
    scalar = fn.ndim == 1

    def fun(x):
        return float(fn(float(x[0]) if scalar else x))

    def jac(x):
        return np.atleast_1d(fn.grad(float(x[0]) if scalar else x))

    return optimize.minimize(fun, np.atleast_1d(fn.x0), jac=jac, method=method,
                             options={"gtol": 1e-5, "maxiter": 10_000})  # fmt: skip


@pytest.mark.parametrize(("name", "method"), [("lbfgs", "L-BFGS-B"), ("cg", "CG")])
@pytest.mark.parametrize("fn", list(functions.FUNCTIONS.values()), ids=lambda f: f.name)
def test_lbfgs_and_cg_reach_scipy_s_minimum_on_the_zoo(fn, name, method):
    theirs = _scipy(fn, method)
    if not theirs.success:  # pragma: no cover - SciPy succeeds on the whole zoo today
        pytest.skip(f"SciPy's {method} stops without success: {theirs.message}")
    ours = descend.minimize(fn, fn.x0, optimizer=name)
    assert ours.reason == "gtol" and ours.nit < 200
    assert type(ours.x) is type(fn.x0)  # a float start gives a float
    if (name, fn.name) in OTHER_BASIN:
        assert ours.fun < fn(fn.x0)  # a local minimum (reason gtol), found going downhill
        return
    assert abs(ours.fun - theirs.fun) <= 1e-8 * (1.0 + abs(ours.fun))


def _ill_conditioned_quadratic(n=50, condition=1e3):
    rng = np.random.default_rng(0)
    axes, _ = np.linalg.qr(rng.normal(size=(n, n)))
    A = (axes * np.logspace(0.0, np.log10(condition), n)) @ axes.T
    A = 0.5 * (A + A.T)
    b = rng.normal(size=n)
    fun = descend.Objective(lambda x: 0.5 * float(x @ A @ x) - float(b @ x), lambda x: A @ x - b)
    return fun, np.linalg.solve(A, b)


def test_lbfgs_needs_far_fewer_iterations_than_gd_on_an_ill_conditioned_quadratic():
    fun, minimiser = _ill_conditioned_quadratic()
    x0 = np.zeros(len(minimiser))
    quasi = descend.minimize(fun, x0, optimizer="lbfgs", gtol=1e-6)
    # gradient descent at its best fixed rate, 2 / (largest + smallest eigenvalue)
    plain = descend.minimize(fun, x0, optimizer=GD(2.0 / 1001.0), gtol=1e-6, max_iter=50_000)
    assert quasi.reason == plain.reason == "gtol"
    np.testing.assert_allclose(quasi.x, minimiser, atol=1e-5)
    assert 10 * quasi.nit < plain.nit  # about 250 against 7000


def test_lbfgs_needs_far_fewer_iterations_than_gd_on_rosenbrock_in_100_dimensions():
    x0 = np.tile([-1.2, 1.0], 50)
    quasi = descend.minimize(functions.rosenbrock, x0, optimizer="lbfgs")
    assert quasi.reason == "gtol" and quasi.nit < 700  # SciPy's L-BFGS-B: about 510
    np.testing.assert_allclose(quasi.x, np.ones(100), atol=1e-5)
    # ten times the iterations leave gradient descent far from the minimum
    plain = descend.minimize(functions.rosenbrock, x0, learning_rate=1e-4, max_iter=10 * quasi.nit)
    assert plain.reason == "max_iter" and plain.fun > 1.0


def test_maximize_with_lbfgs_and_cg():
    def hill(x):
        return 5.0 - functions.rosenbrock(x)

    def hill_grad(x):
        return -functions.rosenbrock.grad(x)

    for name in ("lbfgs", "cg"):
        res = descend.maximize(hill, [-1.2, 1.0], grad=hill_grad, optimizer=name)
        assert res.reason == "gtol" and res.fun == pytest.approx(5.0, abs=1e-10)
        np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-5)
        assert res.history.f[0] == hill([-1.2, 1.0])  # the user's f, not its negative
        assert np.all(np.diff(res.history.f) >= 0)  # every Wolfe step climbs


def test_a_scalar_start_with_lbfgs_and_cg():
    for name in ("lbfgs", "cg"):
        res = descend.minimize(lambda x: (x - 3.0) ** 4 + x * x, 15.0, optimizer=name)
        assert type(res.x) is float and type(res.grad) is float
        assert res.reason == "gtol" and abs(4 * (res.x - 3.0) ** 3 + 2 * res.x) <= 1e-5


_RNG = np.random.default_rng(5)
_X = _RNG.normal(size=(80, 3))
_Y = _X @ [1.5, -2.0, 0.5] + 0.1 * _RNG.normal(size=80)


def _lsq(w, X, y):
    r = X @ w - y
    return 0.5 * float(r @ r) / len(y)


def _lsq_grad(w, X, y):
    return X.T @ (X @ w - y) / len(y)


@pytest.mark.parametrize("name", ["lbfgs", "cg"])
@pytest.mark.parametrize("batch_size", [None, 80, 500])
def test_lbfgs_and_cg_on_all_the_data_find_least_squares(name, batch_size):
    res = descend.minimize(_lsq, np.zeros(3), grad=_lsq_grad, data=(_X, _Y),
                           batch_size=batch_size, optimizer=name, gtol=1e-10)  # fmt: skip
    assert res.reason == "gtol" and res.nit <= 10
    np.testing.assert_allclose(res.x, np.linalg.lstsq(_X, _Y, rcond=None)[0], rtol=1e-8)


@pytest.mark.parametrize("optimizer", ["lbfgs", "cg", LBFGS(0.5), ConjugateGradient(variant="FR")])
@pytest.mark.parametrize("batch_size", [1, 16, 79])
def test_lbfgs_and_cg_refuse_mini_batches(optimizer, batch_size):
    """A direction built from the change in the gradient since the last step learns the
    change of rows when each step sees other rows: mini-batches are refused."""
    with pytest.raises(ValueError, match=rf"Invalid batch_size: {batch_size} with (LBFGS|Conj)"):
        descend.minimize(_lsq, np.zeros(3), grad=_lsq_grad, data=(_X, _Y),
                         batch_size=batch_size, optimizer=optimizer)  # fmt: skip
