"""descend.minimize / maximize: the loop, its result, divergence handling and bad arguments."""

import math
import re
import warnings

import numpy as np
import pytest

import descend
from descend import functions
from descend.optimizers import GD, Adam, Momentum


def parabola(x):
    return x**2 - 6 * x + 5


def parabola_grad(x):
    return 2 * x - 6


def bowl(w):
    return float(w @ w)


def bowl_grad(w):
    return 2 * w


# --------------------------------------------------------------------------- the tutorials


def test_t1_parabola_stops_on_xtol_after_273_steps():
    res = descend.minimize(parabola, 15.0, grad=parabola_grad, learning_rate=0.01, xtol=0.001)
    assert res.nit == 273
    assert res.reason == "xtol" and res.success
    assert isinstance(res.x, float)
    assert res.x == pytest.approx(3.0483, abs=5e-5)
    assert f"{res.x:.2f}" == "3.05"
    # The rule fired on the last step and on no earlier one.
    steps = np.abs(np.diff(res.history.x))
    assert steps[-1] <= 0.001 < steps[-2]


def test_t1_with_numeric_gradient_matches_the_analytic_run():
    exact = descend.minimize(parabola, 15.0, grad=parabola_grad, learning_rate=0.01, xtol=0.001)
    numeric = descend.minimize(parabola, 15.0, learning_rate=0.01, xtol=0.001)
    assert numeric.nit == exact.nit == 273
    np.testing.assert_allclose(numeric.history.x, exact.history.x, rtol=1e-8)
    assert numeric.nfev == 274 + 2 * 274  # one value and two differences per point
    assert numeric.ngev == exact.ngev == 274


@pytest.mark.parametrize(("steps", "expected"), [(30, 0.02476), (100, 4.07e-9)])
def test_t2_square_fixed_number_of_steps(steps, expected):
    res = descend.minimize(
        lambda w: w**2, 20.0, grad=lambda w: 2 * w, learning_rate=0.1, max_iter=steps
    )
    assert res.nit == steps and res.reason == "max_iter" and not res.success
    assert res.x == pytest.approx(expected, rel=2e-3)  # the tutorial rounds to 3-4 digits
    np.testing.assert_allclose(res.history.x[:4], [20, 16, 12.8, 10.24], rtol=1e-12)


def test_t3_grid_every_history_has_six_points_and_momentum_matters():
    w0 = np.random.RandomState(19).uniform(-10, 10, 2)
    final = {}
    for lr in (0.05, 0.2, 0.5, 0.8):
        for alpha in (0.0, 0.5, 0.9):
            res = descend.minimize(
                bowl, w0, grad=bowl_grad, learning_rate=lr, momentum=alpha, max_iter=5, tol=-1
            )
            assert res.history.x.shape == (6, 2)
            assert res.history.f.shape == (6,)
            np.testing.assert_array_equal(res.history.x[0], w0)
            final[lr, alpha] = res.fun
    f0 = bowl(w0)
    assert final[0.05, 0.0] > 0.25 * f0  # the small step is still far from the minimum
    assert final[0.5, 0.0] == 0.0  # η = 1/L lands on the minimum at once
    assert final[0.05, 0.9] < 0.01 * final[0.05, 0.0]  # momentum rescues the small step
    assert final[0.5, 0.9] > 0.25 * f0  # and overshoots with a large one


def test_t3_momentum_matches_the_tutorial_update_by_hand():
    w0 = np.random.RandomState(19).uniform(-10, 10, 2)
    res = descend.minimize(
        bowl, w0, grad=bowl_grad, learning_rate=0.2, momentum=0.5, max_iter=5, tol=-1
    )
    w, dw = w0.copy(), np.zeros(2)
    expected = [w.copy()]
    for _ in range(5):
        dw = -0.2 * 2 * w + 0.5 * dw
        w = w + dw
        expected.append(w.copy())
    np.testing.assert_allclose(res.history.x, expected, rtol=1e-14)


def test_t3_tol_threshold_stops_when_f_changes_little():
    res = descend.minimize(
        bowl, [3.0, 4.0], grad=bowl_grad, learning_rate=0.1, tol=1e-6, max_iter=10_000
    )
    assert res.reason == "tol"
    changes = np.abs(np.diff(res.history.f))
    assert changes[-1] <= 1e-6 < changes[-2]


# ------------------------------------------------------------------------ the result record


def test_result_fields_and_repr():
    res = descend.minimize(bowl, [3.0, 4.0], grad=bowl_grad, learning_rate=0.1, gtol=1e-8)
    assert res.reason == "gtol" and res.success
    assert isinstance(res, descend.Result)
    np.testing.assert_allclose(res.grad, 2 * res.x)
    assert res.fun == pytest.approx(bowl(res.x))
    assert res.nfev == res.ngev == res.nit + 1
    assert "gtol" in res.message
    text = repr(res)
    for key in (
        "message",
        "success",
        "reason",
        "fun",
        "x",
        "grad",
        "nit",
        "nfev",
        "ngev",
        "history",
    ):
        assert re.search(rf"^\s*{key}: ", text, re.MULTILINE), key


def test_array_x0_gives_array_and_leaves_input_untouched():
    x0 = np.array([3.0, 4.0])
    res = descend.minimize(bowl, x0, grad=bowl_grad, learning_rate=0.1, max_iter=3)
    np.testing.assert_array_equal(x0, [3.0, 4.0])
    assert isinstance(res.x, np.ndarray) and res.x.shape == (2,)


def test_integer_and_list_x0_are_accepted():
    res = descend.minimize(parabola, 15, grad=parabola_grad, learning_rate=0.01, xtol=0.001)
    assert isinstance(res.x, float) and res.nit == 273
    res = descend.minimize(bowl, [3, 4], grad=bowl_grad, learning_rate=0.1, max_iter=2)
    assert res.x.dtype == float


def test_size_one_array_returned_by_fun_is_accepted():
    res = descend.minimize(lambda x: x**2, np.array([2.0]), learning_rate=0.25, max_iter=1)
    assert res.x.shape == (1,) and res.x[0] == pytest.approx(1.0, rel=1e-9)


def test_args_are_passed_to_fun_and_grad():
    res = descend.minimize(
        lambda x, a, b: a * (x - b) ** 2,
        0.0,
        args=(2.0, 5.0),
        grad=lambda x, a, b: 2 * a * (x - b),
        learning_rate=0.1,
        gtol=1e-9,
    )
    assert res.x == pytest.approx(5.0)


def test_carried_gradient_is_used_by_default():
    res = descend.minimize(
        functions.booth, [0.0, 0.0], learning_rate=0.05, gtol=1e-8, max_iter=5000
    )
    assert res.nfev == res.ngev  # no finite differences were needed
    np.testing.assert_allclose(res.x, [1.0, 3.0], atol=1e-7)


def test_grad_check_accepts_a_correct_gradient_and_rejects_a_wrong_one():
    good = descend.Objective(parabola, parabola_grad)
    assert descend.minimize(good, 15.0, grad="check", learning_rate=0.01, xtol=0.001).nit == 273
    bad = descend.Objective(parabola, lambda x: 2 * x)
    with pytest.raises(descend.GradientCheckError, match="analytic") as info:
        descend.minimize(bad, 15.0, grad="check")
    message = str(info.value)
    assert "30" in message and "24" in message  # both gradients are shown
    assert info.value.error > 1e-5


def test_grad_check_needs_an_analytic_gradient():
    with pytest.raises(ValueError, match="needs an analytic gradient"):
        descend.minimize(parabola, 15.0, grad="check")


def test_record_false_keeps_only_the_last_point():
    res = descend.minimize(
        parabola, 15.0, grad=parabola_grad, learning_rate=0.01, xtol=0.001, record=False
    )
    assert len(res.history) == 1
    assert res.history.x[0] == res.x and res.history.iteration[0] == 273


# -------------------------------------------------------------------------------- maximize


def test_maximize_is_descent_on_the_negated_function():
    up = descend.maximize(
        lambda x: -parabola(x),
        15.0,
        grad=lambda x: -parabola_grad(x),
        learning_rate=0.01,
        xtol=0.001,
    )
    down = descend.minimize(parabola, 15.0, grad=parabola_grad, learning_rate=0.01, xtol=0.001)
    np.testing.assert_array_equal(up.history.x, down.history.x)
    np.testing.assert_array_equal(up.history.f, -down.history.f)
    assert up.fun == -down.fun == pytest.approx(4.0, abs=3e-3)
    assert up.grad == -down.grad


def test_maximize_target_fires_upwards():
    res = descend.maximize(lambda p: p * (1 - p), 0.1, learning_rate=0.1, target=0.2)
    assert res.reason == "target"
    assert res.fun >= 0.2 > res.history.f[-2]


def test_maximize_patience_watches_the_highest_value():
    # Ascent on -|x| with a step that overshoots forever: f oscillates below its best.
    res = descend.maximize(
        lambda x: -abs(x),
        0.35,
        grad=lambda x: -math.copysign(1.0, x),
        learning_rate=1.0,
        patience=4,
        max_iter=100,
    )
    assert res.reason == "patience" and res.nit == 4


# ------------------------------------------------------------------------------ divergence


def test_t1_with_a_large_learning_rate_diverges_cleanly():
    with pytest.warns(descend.DivergenceWarning, match=r"iteration 76.*smaller learning rate"):
        res = descend.minimize(parabola, 15.0, grad=parabola_grad, learning_rate=1.1, xtol=0.001)
    assert res.reason == "diverged" and not res.success
    assert res.nit == 75 and len(res.history) == 76
    assert np.all(np.isfinite(res.history.x)) and np.all(np.isfinite(res.history.f))
    assert res.x == res.history.x[-1] and math.isfinite(res.fun)
    assert "iteration 76" in res.message


def test_divergence_raise():
    with pytest.raises(descend.DivergenceError, match="iteration 76") as info:
        descend.minimize(
            parabola, 15.0, grad=parabola_grad, learning_rate=1.1, on_divergence="raise"
        )
    assert info.value.iteration == 76
    assert info.value.result.reason == "diverged" and info.value.result.nit == 75


def test_divergence_recover_still_reaches_three():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = descend.minimize(
            parabola,
            15.0,
            grad=parabola_grad,
            learning_rate=1.1,
            xtol=0.001,
            on_divergence="recover",
        )
    assert res.success and res.reason == "xtol"
    assert res.x == pytest.approx(3.0, abs=1e-3)
    assert res.history.events and "halved" in res.history.events[0][1]
    rates = res.history.learning_rate[1:]
    assert rates[0] == 1.1 and rates[-1] == pytest.approx(0.55)


@pytest.mark.parametrize(
    ("fun", "grad", "why"),
    [
        (lambda x: x**2 if abs(x) < 1e3 else math.nan, lambda x: 2 * x, "f is nan"),
        (lambda x: x**2, lambda x: 2 * x if abs(x) < 1e3 else math.inf, "gradient is not"),
    ],
)
def test_non_finite_values_count_as_divergence(fun, grad, why):
    with pytest.warns(descend.DivergenceWarning, match=why):
        res = descend.minimize(fun, 1.0, grad=grad, learning_rate=1.5)
    assert res.reason == "diverged"
    assert abs(res.x) < 1e3


def test_maximize_diverges_when_f_falls_without_bound():
    with pytest.warns(descend.DivergenceWarning):
        res = descend.maximize(lambda x: -(x**2), 1.0, grad=lambda x: -2 * x, learning_rate=1.5)
    assert res.reason == "diverged"


# --------------------------------------------------------------------------- bad arguments


BAD_ARGUMENTS = [
    ({"learning_rate": 0.0}, ValueError, "Invalid learning rate: 0.0"),
    ({"learning_rate": -0.1}, ValueError, "Invalid learning rate: -0.1"),
    ({"learning_rate": math.nan}, ValueError, "Invalid learning rate: nan"),
    ({"learning_rate": math.inf}, ValueError, "Invalid learning rate: inf"),
    ({"learning_rate": "fast"}, ValueError, "Invalid learning rate: 'fast'"),
    ({"learning_rate": True}, TypeError, "Invalid learning rate: True"),
    ({"momentum": 1.0}, ValueError, r"Invalid momentum: 1.0; it must lie in \[0, 1\)"),
    ({"momentum": -0.5}, ValueError, "Invalid momentum: -0.5"),
    ({"optimizer": "adam", "momentum": 0.5}, ValueError, "'adam' has no momentum"),
    (
        {"optimizer": "sgdd"},
        ValueError,
        "Unknown optimizer: 'sgdd'; known optimizers are "
        "'gd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam', 'adamw'",
    ),
    ({"optimizer": 3}, TypeError, "Invalid optimizer: 3"),
    ({"optimizer": Adam}, TypeError, "Adam is a class"),
    (
        {"optimizer": Adam(0.1), "learning_rate": 0.1},
        ValueError,
        "learning_rate passed together with the optimizer object",
    ),
    ({"optimizer": Momentum(0.1, 0.5), "momentum": 0.9}, ValueError, "momentum passed together"),
    ({"max_iter": -1}, ValueError, "Invalid max_iter: -1"),
    ({"max_iter": 2.5}, TypeError, "Invalid max_iter: 2.5"),
    ({"tol": "small"}, TypeError, "Invalid tol: 'small'"),
    ({"xtol": math.nan}, ValueError, "Invalid xtol: nan"),
    ({"gtol": None, "target": "low"}, TypeError, "Invalid target: 'low'"),
    ({"patience": 0}, ValueError, "Invalid patience: 0"),
    ({"callback": 5}, TypeError, "Invalid callback: 5"),
    ({"stop": 5}, TypeError, "Invalid stopping rule: 5"),
    ({"on_divergence": "ignore"}, ValueError, "Invalid on_divergence: 'ignore'"),
    ({"grad": "analytic"}, ValueError, "Invalid grad: 'analytic'"),
    ({"grad": 5}, TypeError, "Invalid grad: 5"),
    ({"x0": []}, ValueError, "x0: it is empty"),
    ({"x0": [1.0, math.nan]}, ValueError, r"x0\[1\] = nan is not finite"),
    ({"x0": math.inf}, ValueError, "x0 = inf is not finite"),
    ({"x0": [[1.0, 2.0]]}, ValueError, r"got shape \(1, 2\)"),
    ({"x0": "abc"}, TypeError, "Invalid x0: 'abc'"),
    ({"x0": [1 + 2j, 0]}, TypeError, "expected real numbers"),
    ({"fun": 3}, TypeError, "Invalid fun: 3 is not callable"),
    ({"fun": lambda x: x}, ValueError, r"must return a scalar.*shape \(2,\)"),
    ({"fun": lambda x: "low"}, TypeError, "must return a real number"),
    ({"fun": lambda x: math.nan}, ValueError, "fun\\(x0\\) is not finite: nan"),
    ({"grad": lambda x: np.ones(3)}, ValueError, r"grad returned shape \(3,\)"),
    ({"grad": lambda x: np.array([np.inf, 0.0])}, ValueError, "gradient at x0 is not finite"),
]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"), BAD_ARGUMENTS, ids=[str(i) for i in range(len(BAD_ARGUMENTS))]
)
def test_bad_arguments_are_rejected_with_the_value_named(kwargs, error, match):
    call = {"fun": bowl, "x0": [1.0, 2.0], "grad": bowl_grad}
    call.update(kwargs)
    fun, x0 = call.pop("fun"), call.pop("x0")
    with pytest.raises(error, match=match):
        descend.minimize(fun, x0, **call)


def test_optimizer_object_carries_its_own_settings():
    res = descend.minimize(bowl, [3.0, 4.0], grad=bowl_grad, optimizer=GD(0.5), max_iter=1)
    np.testing.assert_array_equal(res.x, [0.0, 0.0])


def test_named_momentum_optimizer_defaults_to_point_nine():
    a = descend.minimize(bowl, [3.0, 4.0], grad=bowl_grad, optimizer="momentum", max_iter=20)
    b = descend.minimize(
        bowl, [3.0, 4.0], grad=bowl_grad, optimizer=Momentum(0.01, 0.9), max_iter=20
    )
    np.testing.assert_array_equal(a.history.x, b.history.x)


def test_a_million_iterations_with_full_history():
    res = descend.minimize(
        lambda x: x * x, 1.0, grad=lambda x: 2 * x, learning_rate=1e-7, max_iter=1_000_000
    )
    assert res.nit == 1_000_000
    h = res.history
    assert h.x.shape == h.f.shape == h.time.shape == (1_000_001,)
    np.testing.assert_allclose(h.x[-1], (1 - 2e-7) ** 1_000_000, rtol=1e-9)
    assert np.all(np.diff(h.time) >= 0)


# ------------------------------------------------------------------ robustness of the loop


def test_args_reach_fun_with_the_numeric_gradient():
    res = descend.minimize(
        lambda x, a: (x - a) ** 2, 3.0, args=(2.0,), learning_rate=0.1, gtol=1e-8
    )
    assert res.x == pytest.approx(2.0)
    res = descend.maximize(
        lambda x, a: -((x - a) ** 2), 3.0, args=2.0, learning_rate=0.1, gtol=1e-8
    )
    assert res.x == pytest.approx(2.0)


def test_python_float_overflow_is_divergence_not_a_crash():
    with pytest.warns(descend.DivergenceWarning, match="f is inf"):
        res = descend.minimize(lambda x: x**2, 1.0, learning_rate=1e200)
    assert res.reason == "diverged" and res.x == 1.0
    with pytest.warns(descend.DivergenceWarning, match="gradient is not finite"):
        res = descend.minimize(
            lambda x: x**2,
            1.0,
            grad=lambda x: 2 * x if x > 0.5 else 1.0 / (x - x),
            learning_rate=0.1,
        )
    assert res.reason == "diverged"


def test_recovery_from_a_python_float_overflow():
    # math.exp raises OverflowError past 709 where NumPy would return inf.
    res = descend.minimize(
        lambda x: math.exp(x) + math.exp(-x),
        1.0,
        grad=lambda x: math.exp(x) - math.exp(-x),
        learning_rate=500.0,
        on_divergence="recover",
        max_iter=100,
    )
    assert "f is inf" in res.history.events[0][1]
    assert res.reason == "max_iter" and res.fun < res.history.f[1]  # recovered, going down
    assert np.all(np.isfinite(res.history.f))


def test_user_code_cannot_change_the_run_through_shared_arrays():
    def meddle(info):
        with pytest.raises(ValueError, match="read-only"):
            info.x[:] = 100.0
        info.step[:] = 0.0  # a private copy: harmless
        if not info.maximize:
            with pytest.raises(ValueError, match="read-only"):
                info.grad[:] = 0.0

    plain = descend.minimize(
        bowl, [3.0, 4.0], grad=bowl_grad, optimizer="momentum", learning_rate=0.1, max_iter=10
    )
    meddled = descend.minimize(
        bowl,
        [3.0, 4.0],
        grad=bowl_grad,
        optimizer="momentum",
        learning_rate=0.1,
        max_iter=10,
        callback=meddle,
    )
    np.testing.assert_array_equal(plain.history.x, meddled.history.x)
    meddled.x[0] = 7.0  # the result is the user's to change
    assert meddled.history.x[-1, 0] != 7.0


def test_xtol_sees_a_step_that_rounds_away():
    res = descend.minimize(
        lambda x: 1e-3 * x, 1e17, grad=lambda x: 1e-3, learning_rate=1.0, xtol=1e-6, max_iter=50
    )
    assert (res.reason, res.nit) == ("xtol", 1)


def test_huge_finite_gradients_are_not_divergence():
    res = descend.minimize(
        lambda x: 1e155 * float(np.sum(x)),
        [0.0, 0.0],
        grad=lambda x: np.full(2, 1e155),
        learning_rate=1e-170,
        max_iter=3,
    )
    assert res.reason == "max_iter"
    np.testing.assert_allclose(res.history.grad_norm, 1e155 * math.sqrt(2))


def test_a_schedule_reaching_zero_is_an_error_not_a_false_success():
    schedule = descend.schedules.cosine_decay(0.001, decay_steps=50)
    with pytest.raises(ValueError, match="schedule returned 0.0 at step 50"):
        descend.minimize(lambda x: (x - 1) ** 2, 3.0, learning_rate=schedule, xtol=1e-9)


def test_more_bad_arguments():
    with pytest.raises(TypeError, match="Invalid learning rate: None"):
        descend.minimize(bowl, [1.0, 2.0], learning_rate=None)
    with pytest.raises(TypeError, match="Invalid momentum: None"):
        descend.minimize(bowl, [1.0, 2.0], momentum=None)
    with pytest.raises(TypeError, match="Invalid x0: True"):
        descend.minimize(bowl, True)
    with pytest.raises(TypeError, match="Invalid record: 'no'"):
        descend.minimize(bowl, [1.0, 2.0], record="no")
    with pytest.raises(TypeError, match="grad returned None"):
        descend.minimize(parabola, 1.0, grad=lambda x: None)
    with pytest.raises(TypeError, match="Constant is a class"):
        descend.minimize(parabola, 1.0, learning_rate=descend.schedules.constant)


def test_recovery_events_reach_the_exports():
    res = descend.minimize(
        parabola,
        15.0,
        grad=parabola_grad,
        learning_rate=1.1,
        on_divergence="recover",
        max_iter=200,
    )
    assert res.history.to_dict()["events"] == res.history.events != []


# ------------------------------------------------------------------------- the default gtol


def test_a_run_with_no_rules_of_its_own_stops_on_a_small_gradient():
    res = descend.minimize(lambda x: x**2, 3.0)
    assert res.success and res.reason == "gtol"
    assert "gradient" in res.message and "1e-05" in res.message
    assert abs(res.grad) <= descend.descent.DEFAULT_GTOL < res.history.grad_norm[-2]
    # x_k = 3 · 0.98^k and |f'| = 6 · 0.98^k: the first k with 6 · 0.98^k <= 1e-5
    assert res.nit == math.ceil(math.log(1e-5 / 6) / math.log(0.98))
    up = descend.maximize(lambda x: -(x**2), 3.0)
    assert up.success and up.reason == "gtol" and up.nit == res.nit


def test_the_default_gtol_leaves_runs_that_name_their_rules_as_they_were():
    # w² at rate 0.1: w_k = 20 · 0.8^k, so |∇f| < 1e-5 from step 69 on; a run told to take
    # 100 steps takes them, as does one with any other rule named
    named = [
        {"max_iter": 100},
        {"max_iter": 100, "tol": -1.0},
        {"max_iter": 100, "xtol": -1.0},
        {"max_iter": 100, "target": -1.0},
        {"max_iter": 100, "patience": 200},
        {"max_iter": 100, "stop": descend.stopping.MaxIter(1000)},
        {"max_iter": 100, "gtol": None},
    ]
    for rules in named:
        res = descend.minimize(lambda w: w**2, 20.0, grad=lambda w: 2 * w, learning_rate=0.1,
                               **rules)  # fmt: skip
        assert res.nit == 100 and res.reason == "max_iter", rules
        assert res.x == pytest.approx(20 * 0.8**100, rel=1e-9)
    alone = descend.minimize(lambda w: w**2, 20.0, grad=lambda w: 2 * w, learning_rate=0.1)
    assert alone.reason == "gtol" and alone.nit == 69
    # gtol=None turns the default off; a callback watches without turning it off
    off = descend.minimize(lambda w: w**2, 20.0, grad=lambda w: 2 * w, learning_rate=0.1,
                           gtol=None)  # fmt: skip
    assert off.nit == 1000 and off.reason == "max_iter"
    seen = []
    watched = descend.minimize(lambda w: w**2, 20.0, grad=lambda w: 2 * w, learning_rate=0.1,
                               callback=seen.append)  # fmt: skip
    assert watched.reason == "gtol" and len(seen) == watched.nit == 69


def test_the_tutorial_parabola_keeps_its_numbers():
    res = descend.minimize(parabola, 15.0, grad=parabola_grad, learning_rate=0.01, xtol=0.001)
    assert (round(res.x, 4), res.nit, res.reason) == (3.0483, 273, "xtol")


def test_the_default_gtol_on_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 2))
    y = X @ np.array([1.0, -2.0])

    def cost(w, X, y):
        r = X @ w - y
        return 0.5 * float(r @ r) / len(y)

    def cost_grad(w, X, y):
        return X.T @ (X @ w - y) / len(y)

    # full batch: the gradient is at hand at every point, and the default stops the run
    full = descend.minimize(cost, [0.0, 0.0], grad=cost_grad, data=(X, y), learning_rate=0.5)
    assert full.reason == "gtol" and np.linalg.norm(full.grad) <= 1e-5
    # batches: the full gradient would cost an evaluation per epoch, so no default
    batched = descend.minimize(cost, [0.0, 0.0], grad=cost_grad, data=(X, y), batch_size=10,
                               learning_rate=0.1, random_state=0)  # fmt: skip
    assert batched.reason == "max_iter" and batched.nit == 1000
    assert np.isnan(batched.history.grad_norm[-1])


def test_a_sweep_still_ends_where_minimize_with_its_settings_ends():
    # sphere at rate 0.1: |∇f| falls below 1e-5 after some 60 steps, and both run all 200
    # (a sweep always names n_iter, as minimize here names max_iter)
    table = descend.sweep(functions.sphere, [-8.0, 5.2], learning_rate=[0.1, 0.2], n_iter=200)
    for run, rate in zip(table, (0.1, 0.2), strict=True):
        alone = descend.minimize(functions.sphere, [-8.0, 5.2], learning_rate=rate,
                                 max_iter=200)  # fmt: skip
        assert run.nit == alone.nit == 200 and run.reason == alone.reason == "max_iter"
        np.testing.assert_allclose(run.x, alone.x, rtol=1e-12, atol=1e-300)
        # left to itself, minimize stops once the gradient is small
        free = descend.minimize(functions.sphere, [-8.0, 5.2], learning_rate=rate)
        assert free.reason == "gtol" and free.nit < 200
