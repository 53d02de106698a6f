"""Learning-rate schedules and backtracking line search."""

import math

import numpy as np
import pytest

import descend
from descend import schedules
from descend.linesearch import Backtracking
from descend.optimizers import GD, Adam


def bowl(w):
    return float(w @ w)


def bowl_grad(w):
    return 2 * w


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        (schedules.constant(0.1), [0.1, 0.1, 0.1, 0.1]),
        (schedules.step_decay(0.1, factor=0.5, every=2), [0.1, 0.1, 0.05, 0.05]),
        (schedules.exponential_decay(1.0, rate=0.5), [1.0, 0.5, 0.25, 0.125]),
        (
            schedules.exponential_decay(1.0, rate=0.5, decay_steps=2, staircase=True),
            [1.0, 1.0, 0.5, 0.5],
        ),
        (schedules.inverse_scaling(1.0, power=1.0), [1.0, 0.5, 1 / 3, 0.25]),
        (schedules.inverse_scaling(1.0, power=0.5), [1.0, 2**-0.5, 3**-0.5, 0.5]),
        (schedules.cosine_decay(1.0, decay_steps=2), [1.0, 0.5, 0.0, 0.0]),
    ],
)
def test_schedule_values(schedule, expected):
    np.testing.assert_allclose([schedule(t) for t in range(4)], expected, atol=1e-15)


def test_cosine_decay_ends_at_final():
    s = schedules.cosine_decay(0.5, decay_steps=100, final=0.01)
    assert s(0) == 0.5 and s(100) == pytest.approx(0.01) and s(10_000) == pytest.approx(0.01)
    values = [s(t) for t in range(101)]
    assert all(np.diff(values) <= 0)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: schedules.constant(0), "Invalid learning rate: 0"),
        (lambda: schedules.step_decay(0.1, factor=2.0), "Invalid decay factor: 2.0"),
        (lambda: schedules.step_decay(0.1, every=0), "Invalid step interval: 0"),
        (lambda: schedules.exponential_decay(0.1, rate=1.5), "Invalid decay rate: 1.5"),
        (lambda: schedules.inverse_scaling(0.1, power=-1), "Invalid power: -1"),
        (lambda: schedules.cosine_decay(0.1, final=0.2), "Invalid final learning rate: 0.2"),
        (lambda: schedules.cosine_decay(0.1, decay_steps=0), "Invalid decay steps: 0"),
    ],
)
def test_schedule_rejects_bad_settings(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_minimize_follows_the_schedule_and_records_it():
    schedule = schedules.step_decay(0.1, factor=0.5, every=3)
    res = descend.minimize(bowl, [3.0, 4.0], grad=bowl_grad, learning_rate=schedule, max_iter=9)
    np.testing.assert_allclose(res.history.learning_rate[1:], [schedule(t) for t in range(9)])
    assert math.isnan(res.history.learning_rate[0])
    w = np.array([3.0, 4.0])
    for t in range(9):
        w = w - schedule(t) * 2 * w
    np.testing.assert_allclose(res.x, w, rtol=1e-14)


def test_a_plain_function_is_a_schedule_too():
    res = descend.minimize(
        bowl, [3.0, 4.0], grad=bowl_grad, learning_rate=lambda t: 0.5 / (t + 1), max_iter=3
    )
    np.testing.assert_allclose(res.history.learning_rate[1:], [0.5, 0.25, 0.5 / 3])


def test_schedule_on_an_optimizer_object():
    res = descend.minimize(
        bowl,
        [3.0, 4.0],
        grad=bowl_grad,
        optimizer=Adam(schedules.cosine_decay(0.5, decay_steps=200)),
        max_iter=200,
    )
    assert res.fun < 1e-3


def test_a_schedule_returning_garbage_is_reported_with_the_step():
    with pytest.raises(ValueError, match="schedule returned -0.1 at step 2"):
        descend.minimize(
            bowl,
            [3.0, 4.0],
            grad=bowl_grad,
            learning_rate=lambda t: 0.1 if t < 2 else -0.1,
            max_iter=5,
        )
    with pytest.raises(TypeError, match="schedule returned 'x' at step 0"):
        descend.minimize(bowl, [3.0, 4.0], grad=bowl_grad, learning_rate=lambda t: "x")


def test_backtracking_cures_a_learning_rate_problem():
    # With a fixed rate, Rosenbrock's valley forces tiny steps; backtracking adapts.
    res = descend.minimize(
        descend.functions.rosenbrock,
        [-1.2, 1.0],
        learning_rate="backtracking",
        gtol=1e-5,
        max_iter=50_000,
    )
    assert res.reason == "gtol"
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-4)
    accepted = res.history.learning_rate[1:]
    assert np.all(accepted <= 1.0) and len(np.unique(accepted)) > 3


def test_backtracking_satisfies_armijo_at_every_step():
    res = descend.minimize(
        descend.functions.booth, [-5.0, -5.0], learning_rate="backtracking", max_iter=30
    )
    h = res.history
    for k in range(res.nit):
        g = descend.functions.booth.grad(h.x[k])
        step = h.x[k + 1] - h.x[k]
        assert h.f[k + 1] <= h.f[k] + 1e-4 * float(g @ step) + 1e-12


def test_backtracking_with_momentum_and_adam_reaches_the_minimum():
    for optimizer in ("momentum", "adam"):
        res = descend.minimize(
            bowl,
            [3.0, 4.0],
            grad=bowl_grad,
            optimizer=optimizer,
            learning_rate="backtracking",
            gtol=1e-6,
            max_iter=5000,
        )
        assert res.fun < 1e-10, optimizer


def test_backtracking_reports_a_wrong_gradient():
    res = descend.minimize(bowl, [3.0, 4.0], grad=lambda w: -2 * w, optimizer=GD("backtracking"))
    assert res.reason == "line_search" and not res.success
    assert "line search" in res.message


def test_backtracking_settings_are_validated():
    with pytest.raises(ValueError, match="Invalid backtracking shrink: 1.5"):
        Backtracking(shrink=1.5)
    with pytest.raises(ValueError, match="Invalid initial learning rate: -1"):
        Backtracking(initial=-1)
    with pytest.raises(ValueError, match="Invalid max_trials: 0"):
        Backtracking(max_trials=0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("constant", schedules.Constant(0.1)),
        ("step:0.5,100", schedules.StepDecay(0.1, factor=0.5, every=100)),
        ("Step: every=20", schedules.StepDecay(0.1, every=20)),
        ("exponential:0.99,10,true", schedules.ExponentialDecay(0.1, 0.99, 10, True)),
        ("inverse:power=1", schedules.InverseScaling(0.1, power=1.0)),
        ("cosine:500,0.001", schedules.CosineDecay(0.1, 500, 0.001)),
    ],
)
def test_schedules_from_text(text, expected):
    assert schedules.from_text(text, 0.1) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("linear", "Unknown schedule 'linear'"),
        ("step:0.5,10,3", "step takes at most 2 settings"),
        ("step:speed=2", "step has no setting 'speed'; it takes factor, every"),
        ("exponential:fast", "'fast' is not a number"),
        ("step:0.5,0", "Invalid step interval: 0"),
    ],
)
def test_bad_schedule_text_is_named(text, message):
    with pytest.raises(ValueError, match=message):
        schedules.from_text(text, 0.1)
