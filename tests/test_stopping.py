"""Every stopping rule fires in a run built for it and is reported by name."""

import math

import numpy as np
import pytest

import descend
from descend.stopping import (
    MESSAGES,
    AllOf,
    AnyOf,
    GTol,
    Info,
    MaxIter,
    Patience,
    Rule,
    Target,
    Tol,
    XTol,
    as_rule,
)


def bowl(w):
    return float(w @ w)


def bowl_grad(w):
    return 2 * w


def run(**kwargs):
    kwargs.setdefault("learning_rate", 0.1)
    kwargs.setdefault("max_iter", 10_000)
    return descend.minimize(bowl, [3.0, 4.0], grad=bowl_grad, **kwargs)


def test_max_iter_is_no_success():
    res = run(max_iter=7)
    assert (res.reason, res.success, res.nit) == ("max_iter", False, 7)
    assert "max_iter = 7" in res.message


def test_max_iter_zero_returns_the_start():
    res = run(max_iter=0)
    assert res.nit == 0 and res.reason == "max_iter"
    np.testing.assert_array_equal(res.x, [3.0, 4.0])


def test_tol_fires_on_the_first_small_change_of_f():
    res = run(tol=1e-4)
    change = np.abs(np.diff(res.history.f))
    assert res.reason == "tol" and res.success
    assert change[-1] <= 1e-4 and np.all(change[:-1] > 1e-4)


def test_negative_tol_never_fires():
    res = run(tol=-1, max_iter=50)
    assert res.reason == "max_iter" and res.nit == 50


def test_xtol_fires_on_the_first_small_step():
    res = run(xtol=1e-3)
    steps = np.max(np.abs(np.diff(res.history.x, axis=0)), axis=1)
    assert res.reason == "xtol"
    assert steps[-1] <= 1e-3 and np.all(steps[:-1] > 1e-3)


def test_gtol_fires_on_the_first_small_gradient():
    res = run(gtol=1e-3)
    assert res.reason == "gtol"
    norms = res.history.grad_norm
    assert norms[-1] <= 1e-3 and np.all(norms[:-1] > 1e-3)
    np.testing.assert_allclose(norms, 2 * np.linalg.norm(res.history.x, axis=1))


def test_gtol_can_fire_at_the_start():
    res = descend.minimize(bowl, [0.0, 0.0], grad=bowl_grad, gtol=1e-12)
    assert res.nit == 0 and res.reason == "gtol" and res.success


def test_target_fires_when_f_is_low_enough():
    res = run(target=0.5)
    assert res.reason == "target"
    assert res.history.f[-1] <= 0.5 < res.history.f[-2]


def test_patience_fires_when_f_stops_improving():
    # Descent on |x| from 0.35 with step 1 bounces between 0.35 and -0.65 for ever.
    res = descend.minimize(
        abs,
        0.35,
        grad=lambda x: math.copysign(1.0, x),
        learning_rate=1.0,
        patience=5,
        max_iter=100,
    )
    assert res.reason == "patience" and res.nit == 5 and res.success
    assert "5 iterations" in res.message


def test_patience_min_delta_ignores_tiny_improvements():
    res = run(stop=Patience(3, min_delta=1e-2), max_iter=10_000)
    assert res.reason == "patience"
    f = res.history.f
    # No point since the best of three iterations ago beat it by more than min_delta.
    assert f[-4] - f[-1] <= 1e-2


def test_callback_returning_true_stops():
    seen = []

    def callback(info):
        seen.append(info.nit)
        return info.nit == 7

    res = run(callback=callback)
    assert (res.reason, res.nit, res.success) == ("callback", 7, True)
    assert seen == list(range(1, 8))


def test_callback_returning_a_number_does_not_stop():
    res = run(callback=lambda info: 1.0, max_iter=5)
    assert res.reason == "max_iter"


def test_callback_raising_stop_iteration_stops():
    def callback(info):
        if info.f < 1.0:
            raise StopIteration

    res = run(callback=callback)
    assert res.reason == "callback" and res.fun < 1.0


def test_callback_sees_the_whole_info_record():
    records = []
    run(callback=records.append, max_iter=3)
    assert [r.nit for r in records] == [1, 2, 3]
    first = records[0]
    assert isinstance(first, Info)
    np.testing.assert_allclose(first.x, [2.4, 3.2])
    np.testing.assert_allclose(first.step, [-0.6, -0.8])
    assert first.f_prev == 25.0 and first.f == pytest.approx(16.0)
    assert first.learning_rate == 0.1 and first.best_nit == 1 and not first.maximize
    np.testing.assert_allclose(first.grad, [4.8, 6.4])


def test_custom_rule_function_is_reported_by_its_name():
    def below_one(info):
        return info.f < 1.0

    res = run(stop=below_one)
    assert res.reason == "below_one" and res.success
    assert "below_one" in res.message


def test_custom_rule_class():
    class EveryOther(Rule):
        name = "every_other"

        def __call__(self, info):
            return info.nit == 4

    res = run(stop=EveryOther())
    assert (res.reason, res.nit) == ("every_other", 4)


def test_any_of_reports_the_first_rule_that_fired():
    res = run(stop=[XTol(1e-3), GTol(1e-3)])
    assert res.reason in ("xtol", "gtol")
    res = run(stop=Target(100.0) | GTol(1e-3))
    assert res.reason == "target" and res.nit == 0


def test_all_of_needs_every_rule_on_the_same_iteration():
    rule = Tol(1e-2) & XTol(1e-3)
    assert isinstance(rule, AllOf) and rule.name == "tol+xtol"
    res = run(stop=rule)
    assert res.reason == "tol+xtol"
    assert abs(res.history.f[-1] - res.history.f[-2]) <= 1e-2
    assert np.max(np.abs(res.history.x[-1] - res.history.x[-2])) <= 1e-3
    assert "tol = 0.01" in res.message and "xtol = 0.001" in res.message


def test_any_of_updates_stateful_members_even_after_an_earlier_member_fired():
    patience = Patience(2)
    combined = AnyOf(Target(1e9), patience)
    info = Info(0, 0.0, 1.0, 0.0, 0.0, None, None, math.nan, 1.0, 0, 0.0)
    assert combined.fired(info).name == "target"
    assert patience._best == 1.0  # the patience rule saw the point too


def test_max_iter_loses_to_a_rule_firing_on_the_same_iteration():
    res = run(stop=lambda info: info.nit == 5, max_iter=5)
    assert res.reason != "max_iter" and res.success


def test_rules_reset_between_runs():
    rule = Patience(3)
    first = descend.minimize(
        abs, 0.35, grad=lambda x: math.copysign(1.0, x), learning_rate=1.0, stop=rule, max_iter=100
    )
    second = descend.minimize(
        abs, 0.35, grad=lambda x: math.copysign(1.0, x), learning_rate=1.0, stop=rule, max_iter=100
    )
    assert first.nit == second.nit == 3


def test_every_reason_has_a_message():
    for name in (
        "max_iter",
        "tol",
        "xtol",
        "gtol",
        "target",
        "patience",
        "callback",
        "diverged",
        "line_search",
    ):
        assert name in MESSAGES


def test_as_rule_rejects_what_is_not_a_rule():
    with pytest.raises(TypeError, match="Invalid stopping rule: 'x'"):
        as_rule("x")
    assert isinstance(as_rule(MaxIter(3)), MaxIter)


def test_custom_rules_with_their_own_name_attribute_report_it():
    from dataclasses import dataclass

    @dataclass
    class Mine(Rule):
        limit: float = 1.0
        name: str = "mine"

        def __call__(self, info):
            return info.f < self.limit

    class Borrowed(Rule):  # a user rule that reuses a built-in reason name
        def __init__(self):
            self.name = "tol"

        def __call__(self, info):
            return info.nit == 2

    res = run(stop=Mine())
    assert res.reason == "mine" and "mine" in res.message
    res = run(stop=Borrowed())
    assert res.reason == "tol" and "tol" in res.message
