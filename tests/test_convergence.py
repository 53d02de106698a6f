"""Every optimizer, with sensible settings, reaches the minimum of sphere, Booth and
Rosenbrock, and climbs when maximizing."""

import numpy as np
import pytest

import descend
from descend import functions, schedules
from descend.optimizers import GD, AdaGrad, Adam, AdamW, Momentum, Nesterov, RMSProp

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
