"""descend.losses, descend.penalties and descend.kernels: tables of cases through shared checks.

Every loss appears in :data:`CASES`, once per kind of target it takes (real targets, two
classes with one score per sample, K classes with one score per class), and each check below
runs over the whole table:

1. ``dloss`` is the derivative of ``value`` (central differences, both reductions, with and
   without sample weights), at points chosen away from the kinks of the piecewise losses;
2. ``pointwise`` and ``dpointwise`` match :func:`twin`, a per-sample loop over Python floats
   written from the table in the losses docstring, never calling descend;
3. the reductions: "sum" is n times "mean", a weighted mean is sum(w l) / sum(w), and whole
   number weights are the same as repeated rows;
4. outputs of size 1e3 give finite numbers without floating-point warnings.

Then known values, probabilities, bad arguments, the penalties against their formulas, and the
linear-model kernel: its gradient against the numeric gradient of its objective for every loss,
sparse against dense input, and ``epoch`` against one optimizer step and against a hand-written
per-sample loop.
"""

from __future__ import annotations

import itertools
import math
import re
import warnings
from dataclasses import FrozenInstanceError
from typing import Any, NamedTuple

import numpy as np
import pytest
import scipy.sparse
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import descend
from descend import kernels, losses
from descend.kernels import compiled, reference
from descend.linesearch import Backtracking
from descend.optimizers import GD, Adam, Momentum
from descend.penalties import PENALTIES, Penalty

K = 3  # classes in the multiclass cases
KINK_GAP = 1e-3  # how far the numeric checks keep from the kinks of piecewise losses

# --------------------------------------------------------------------------- the table


class Case(NamedTuple):
    """One loss with its options, and the kind of target it is tested on."""

    id: str
    name: str
    options: dict[str, Any]
    task: str  # "regression", "binary" or "multiclass"

    def build(self, reduction="mean"):
        return losses.get(self.name, reduction=reduction, **self.options)

    @property
    def n_outputs(self):
        return K if self.task == "multiclass" else 1

    @property
    def delta(self):
        return self.options.get("delta", 1.0)


CASES = [
    Case("squared_error", "squared_error", {}, "regression"),
    Case("squared_error-binary", "squared_error", {}, "binary"),
    Case("squared_error-multiclass", "squared_error", {}, "multiclass"),
    Case("huber", "huber", {}, "regression"),
    Case("huber-delta-0.3", "huber", {"delta": 0.3}, "regression"),
    Case("huber-delta-2.5", "huber", {"delta": 2.5}, "regression"),
    Case("absolute_error", "absolute_error", {}, "regression"),
    Case("log_loss-binary", "log_loss", {}, "binary"),
    Case("log_loss-multiclass", "log_loss", {}, "multiclass"),
    Case("hinge-binary", "hinge", {}, "binary"),
    Case("hinge-multiclass", "hinge", {}, "multiclass"),
    Case("squared_hinge-binary", "squared_hinge", {}, "binary"),
    Case("squared_hinge-multiclass", "squared_hinge", {}, "multiclass"),
    Case("sigmoid_squared_error-binary", "sigmoid_squared_error", {}, "binary"),
    Case("sigmoid_squared_error-multiclass", "sigmoid_squared_error", {}, "multiclass"),
]

cases = pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
reductions = pytest.mark.parametrize("reduction", ["mean", "sum"])
weighted = pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])


def test_the_table_covers_every_loss_and_target():
    assert {c.name for c in CASES} == set(losses.LOSSES)
    for name, cls in losses.LOSSES.items():
        tasks = {c.task for c in CASES if c.name == name}
        if cls.classification:
            assert tasks >= {"binary", "multiclass"}, name
        else:
            assert "regression" in tasks, name
    assert any(c.name == "huber" and c.delta != 1.0 for c in CASES)
    for case in CASES:
        loss = case.build()
        assert type(loss) is losses.LOSSES[case.name] and loss.name == case.name


# --------------------------------------------------------------------------- the twin


def _sigmoid(t):
    if t >= 0:
        return 1.0 / (1.0 + math.exp(-t))
    e = math.exp(t)
    return e / (1.0 + e)


def _sign(t):
    return float((t > 0) - (t < 0))


def twin(case, p, y):
    """(loss, derivative) of one sample, from the formulas of the losses docstring.

    ``p`` is a float (regression, two classes) or a list of K floats; ``y`` the target or the
    class index. Written with :mod:`math` only.
    """
    name = case.name
    if case.task == "multiclass":
        p, y = [float(v) for v in p], int(y)
        t = [1.0 if j == y else 0.0 for j in range(len(p))]
        if name == "squared_error":
            return sum(0.5 * (a - b) ** 2 for a, b in zip(p, t, strict=True)), [
                a - b for a, b in zip(p, t, strict=True)
            ]
        if name == "log_loss":
            top = max(p)
            lse = top + math.log(sum(math.exp(v - top) for v in p))
            return lse - p[y], [math.exp(v - lse) - b for v, b in zip(p, t, strict=True)]
        if name in ("hinge", "squared_hinge"):
            m = [0.0 if j == y else max(0.0, p[j] - p[y] + 1.0) for j in range(len(p))]
            if name == "hinge":
                d = [1.0 if mj > 0 else 0.0 for mj in m]
                loss = sum(m)
            else:
                d = [2.0 * mj for mj in m]
                loss = sum(mj * mj for mj in m)
            d[y] = -sum(d)
            return loss, d
        if name == "sigmoid_squared_error":
            s = [_sigmoid(v) for v in p]
            loss = sum(0.5 * (a - b) ** 2 for a, b in zip(s, t, strict=True))
            return loss, [(a - b) * a * (1.0 - a) for a, b in zip(s, t, strict=True)]
        raise AssertionError(f"no multiclass twin for {name!r}")  # pragma: no cover

    p, y = float(p), float(y)
    r = p - y
    if name == "squared_error":
        return 0.5 * r * r, r
    if name == "huber":
        delta = case.delta
        if abs(r) <= delta:
            return 0.5 * r * r, r
        return delta * (abs(r) - 0.5 * delta), delta * _sign(r)
    if name == "absolute_error":
        return abs(r), _sign(r)
    if name == "log_loss":  # log(1 + e^p) without overflow
        return max(p, 0.0) + math.log1p(math.exp(-abs(p))) - y * p, _sigmoid(p) - y
    if name in ("hinge", "squared_hinge"):
        s = 2.0 * y - 1.0
        h = max(0.0, 1.0 - s * p)
        if name == "hinge":
            return h, (-s if h > 0 else 0.0)
        return h * h, -2.0 * s * h
    if name == "sigmoid_squared_error":
        q = _sigmoid(p)
        return 0.5 * (q - y) ** 2, (q - y) * q * (1.0 - q)
    raise AssertionError(f"no twin for {name!r}")  # pragma: no cover


def twin_arrays(case, p, y):
    """The twin over all samples, as arrays shaped like ``pointwise`` and ``dpointwise``."""
    rows = [twin(case, pi, yi) for pi, yi in zip(p.tolist(), y.tolist(), strict=True)]
    return np.array([r[0] for r in rows]), np.array([r[1] for r in rows]).reshape(p.shape)


# --------------------------------------------------------------------------- data


def kink_gap(case, p, y):
    """How far the outputs are from the nearest point where the loss is not twice
    differentiable (inf for the smooth losses)."""
    p, y = np.asarray(p, dtype=float), np.asarray(y)
    if case.name == "absolute_error":
        return float(np.min(np.abs(p - y)))
    if case.name == "huber":
        return float(np.min(np.abs(np.abs(p - y) - case.delta)))
    if case.name in ("hinge", "squared_hinge"):
        if case.task == "multiclass":
            rows = np.arange(len(y))
            m = p - p[rows, y][:, None] + 1.0
            m[rows, y] = np.inf  # the true class has no margin
            return float(np.min(np.abs(m)))
        return float(np.min(np.abs((2.0 * y - 1.0) * p - 1.0)))
    return math.inf


def targets(case, rng, n):
    if case.task == "regression":
        return rng.normal(0.0, 2.0, n)
    return rng.integers(0, 2 if case.task == "binary" else K, n)


def loss_data(case, rng, n=6):
    """Outputs and targets drawn from ``rng`` at least :data:`KINK_GAP` from any kink."""
    shape = (n, K) if case.task == "multiclass" else (n,)
    for _ in range(1000):
        p, y = rng.uniform(-4.0, 4.0, shape), targets(case, rng, n)
        if kink_gap(case, p, y) > KINK_GAP:
            return p, y
    raise AssertionError("no draw away from the kinks")  # pragma: no cover


@st.composite
def outputs_and_targets(draw, case, max_rows=6):
    """Hypothesis: ``(p, y)`` for ``case``, kinks and all."""
    n = draw(st.integers(1, max_rows))
    values = st.floats(-6.0, 6.0, allow_nan=False)
    p = draw(
        hnp.arrays(np.float64, (n, K) if case.task == "multiclass" else (n,), elements=values)
    )
    if case.task == "regression":
        y = draw(hnp.arrays(np.float64, n, elements=values))
    else:
        y = draw(
            hnp.arrays(np.int64, n, elements=st.integers(0, 1 if case.task == "binary" else K - 1))
        )
    return p, y


def central_difference_dloss(loss, p, y, w, h=1e-4):
    """The derivative of ``loss.value`` with respect to each entry of ``p``."""
    out = np.empty_like(p)
    flat, grad = p.reshape(-1), out.reshape(-1)
    for i in range(flat.size):
        x = flat[i]
        flat[i] = x + h
        upper = loss.value(p, y, w)
        flat[i] = x - h
        lower = loss.value(p, y, w)
        flat[i] = x
        grad[i] = (upper - lower) / ((x + h) - (x - h))
    return out


# --------------------------------------------------------------------------- 1. derivative


@cases
@reductions
@weighted
def test_dloss_is_the_derivative_of_value(case, reduction, weighted):
    rng = np.random.default_rng([CASES.index(case), reduction == "sum", weighted])
    p, y = loss_data(case, rng)
    w = rng.uniform(0.2, 3.0, len(y)) if weighted else None
    assert kink_gap(case, p, y) > KINK_GAP
    loss = case.build(reduction)

    analytic = loss.dloss(p, y, w)
    numeric = central_difference_dloss(loss, p.copy(), y, w)
    assert analytic.shape == p.shape and analytic.dtype == np.float64
    assert np.any(np.abs(analytic) > 1e-3)  # not a flat region everywhere
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


def test_the_derivative_check_has_teeth():
    """A derivative missing the reduction's divisor, or the sigmoid's factor, is caught."""
    rng = np.random.default_rng(1)
    p, y = loss_data(CASES[0], rng)
    mean = losses.squared_error()
    numeric = central_difference_dloss(mean, p.copy(), y, None)
    assert not np.allclose(losses.squared_error("sum").dloss(p, y), numeric, rtol=1e-6)
    p, y = rng.uniform(-3, 3, 6), rng.integers(0, 2, 6)
    sse = losses.sigmoid_squared_error()
    numeric = central_difference_dloss(sse, p.copy(), y, None)
    assert not np.allclose(losses.log_loss().dloss(p, y) / 4, numeric, rtol=1e-3)
    np.testing.assert_allclose(sse.dloss(p, y), numeric, rtol=1e-6, atol=1e-9)


# --------------------------------------------------------------------------- 2. the twin


@cases
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_pointwise_matches_the_twin(case, data):
    p, y = data.draw(outputs_and_targets(case))
    loss = case.build()
    expected_loss, expected_d = twin_arrays(case, p, y)
    got_loss, got_d = loss.pointwise(p, y), loss.dpointwise(p, y)
    assert got_loss.shape == (len(y),) and got_d.shape == p.shape
    np.testing.assert_allclose(got_loss, expected_loss, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got_d, expected_d, rtol=1e-10, atol=1e-12)


def test_the_twin_tells_the_losses_apart():
    p, y = np.array([[0.3, -0.4, 1.2]]), np.array([1])
    seen = set()
    for case in (c for c in CASES if c.task == "multiclass"):
        seen.add(round(twin(case, p[0], y[0])[0], 9))
    assert len(seen) == len([c for c in CASES if c.task == "multiclass"])


# --------------------------------------------------------------------------- 3. reductions


@cases
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_sum_is_n_times_mean(case, data):
    p, y = data.draw(outputs_and_targets(case))
    n = len(y)
    mean, total = case.build("mean"), case.build("sum")
    twin_loss, twin_d = twin_arrays(case, p, y)
    assert mean.value(p, y) == pytest.approx(twin_loss.mean(), rel=1e-10, abs=1e-12)
    assert total.value(p, y) == pytest.approx(n * mean.value(p, y), rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(total.dloss(p, y), n * mean.dloss(p, y), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(total.dloss(p, y), twin_d, rtol=1e-10, atol=1e-12)
    assert type(mean.value(p, y)) is float


@cases
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_weighted_mean_and_sum(case, data):
    p, y = data.draw(outputs_and_targets(case))
    w = data.draw(hnp.arrays(np.float64, len(y), elements=st.floats(0.1, 5.0)))
    twin_loss, twin_d = twin_arrays(case, p, y)
    wd = twin_d * (w if p.ndim == 1 else w[:, None])
    mean, total = case.build("mean"), case.build("sum")
    assert mean.value(p, y, w) == pytest.approx(w @ twin_loss / w.sum(), rel=1e-10, abs=1e-12)
    assert total.value(p, y, w) == pytest.approx(w @ twin_loss, rel=1e-10, abs=1e-12)
    np.testing.assert_allclose(mean.dloss(p, y, w), wd / w.sum(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(total.dloss(p, y, w), wd, rtol=1e-10, atol=1e-12)
    # weights of one are no weights
    ones = np.ones(len(y))
    for loss in (mean, total):
        assert loss.value(p, y, ones) == pytest.approx(loss.value(p, y), rel=1e-12, abs=1e-14)
        np.testing.assert_allclose(loss.dloss(p, y, ones), loss.dloss(p, y), rtol=1e-12)


@cases
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_whole_number_weights_repeat_rows(case, data):
    p, y = data.draw(outputs_and_targets(case))
    w = data.draw(hnp.arrays(np.int64, len(y), elements=st.integers(0, 4)))
    assume(w.sum() > 0)
    index = np.repeat(np.arange(len(y)), w)
    for reduction in ("mean", "sum"):
        loss = case.build(reduction)
        assert loss.value(p, y, w) == pytest.approx(
            loss.value(p[index], y[index]), rel=1e-10, abs=1e-12
        )
        gathered = np.zeros_like(p)
        np.add.at(gathered, index, loss.dloss(p[index], y[index]))
        np.testing.assert_allclose(loss.dloss(p, y, w), gathered, rtol=1e-10, atol=1e-12)


@cases
def test_arguments_may_be_lists_and_are_not_modified(case):
    p, y = loss_data(case, np.random.default_rng(2))
    w = np.linspace(0.5, 2.0, len(y))
    p0, y0, w0 = p.copy(), y.copy(), w.copy()
    loss = case.build()
    assert loss.value(p.tolist(), y.tolist(), w.tolist()) == loss.value(p, y, w)
    np.testing.assert_array_equal(
        loss.dloss(p.tolist(), y.tolist(), w.tolist()), loss.dloss(p, y, w)
    )
    np.testing.assert_array_equal(p, p0)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(w, w0)


# --------------------------------------------------------------------------- 4. extreme outputs


def _extreme(case):
    big = np.array([-1e3, 1e3, -1e3, 1e3])
    if case.task == "regression":
        return big, np.array([0.0, 0.0, 5.0, -5.0])
    if case.task == "binary":
        return big, np.array([0, 0, 1, 1])
    p = np.array([[1e3, -1e3, 0.0], [-1e3, 1e3, 5.0], [1e3, 1e3, -1e3], [-1e3, -1e3, -1e3]])
    return p, np.array([1, 0, 2, 0])


@cases
def test_extreme_outputs_give_finite_numbers_without_warnings(case):
    p, y = _extreme(case)
    for reduction in ("mean", "sum"):
        loss = case.build(reduction)
        # Underflow to zero (e^-2000 in a softmax) is expected and harmless.
        with np.errstate(over="raise", invalid="raise", divide="raise"), warnings.catch_warnings():
            warnings.simplefilter("error")
            results = [
                loss.value(p, y),
                loss.value(p, y, np.arange(1.0, 5.0)),
                loss.pointwise(p, y),
                loss.dpointwise(p, y),
                loss.dloss(p, y),
                loss.activation(p),
            ]
            if loss.probabilistic:
                results.append(loss.predict_proba(p))
        for r in results:
            assert np.all(np.isfinite(r))


def test_log_loss_at_extreme_outputs():
    big = np.array([1e3, -1e3, 1e3, -1e3])
    y = np.array([1, 1, 0, 0])
    loss = losses.log_loss()
    np.testing.assert_allclose(loss.pointwise(big, y), [0.0, 1e3, 1e3, 0.0], atol=1e-300)
    np.testing.assert_array_equal(loss.dpointwise(big, y), [0.0, -1.0, 1.0, 0.0])
    P = np.array([[1e3, -1e3, 0.0], [1e3, -1e3, 0.0]])
    np.testing.assert_allclose(loss.pointwise(P, np.array([0, 1])), [0.0, 2e3], atol=1e-300)
    np.testing.assert_allclose(loss.dpointwise(P, np.array([1, 1])), [[1, -1, 0], [1, -1, 0]])
    # the stable form keeps its accuracy where log(1 + exp(p)) would round to 0 or overflow
    assert loss.pointwise(np.array([-40.0]), np.array([0]))[0] == pytest.approx(
        math.exp(-40.0), rel=1e-12
    )
    assert loss.pointwise(np.array([800.0]), np.array([0]))[0] == 800.0


def test_sigmoid_squared_error_saturates():
    big = np.array([1e3, -1e3, 1e3, -1e3])
    loss = losses.sigmoid_squared_error()
    y = np.array([1, 1, 0, 0])
    np.testing.assert_array_equal(loss.pointwise(big, y), [0.0, 0.5, 0.5, 0.0])
    np.testing.assert_array_equal(loss.dpointwise(big, y), [0.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(loss.activation(big), [1.0, 0.0, 1.0, 0.0])


# --------------------------------------------------------------------------- known values


KNOWN = [
    # loss, options, p, y, pointwise, dpointwise
    ("squared_error", {}, [0.5, 2.0], [0.0, 1.0], [0.125, 0.5], [0.5, 1.0]),
    ("squared_error", {}, [[0.5, 0.0, 2.0]], [2], [0.125 + 0.5], [[0.5, 0.0, 1.0]]),
    ("huber", {}, [0.5, 3.0, -3.0], [0.0, 0.0, 0.0], [0.125, 2.5, 2.5], [0.5, 1.0, -1.0]),
    ("huber", {"delta": 2.0}, [3.0, 1.0], [0.0, 0.0], [4.0, 0.5], [2.0, 1.0]),
    ("absolute_error", {}, [0.5, -2.0, 1.0], [1.0, 1.0, 1.0], [0.5, 3.0, 0.0], [-1, -1, 0]),
    ("log_loss", {}, [0.0, 0.0], [0, 1], [math.log(2)] * 2, [0.5, -0.5]),
    ("log_loss", {}, [[0.0, 0.0, 0.0]], [1], [math.log(3)], [[1 / 3, -2 / 3, 1 / 3]]),
    ("log_loss", {}, [math.log(3)], [1], [math.log(4 / 3)], [-0.25]),
    (
        "hinge",
        {},
        [0.5, 2.0, 0.5, -2.0, 1.0],
        [1, 1, 0, 0, 1],
        [0.5, 0, 1.5, 0, 0],
        [-1, 0, 1, 0, 0],
    ),
    (
        "hinge",
        {},
        [[2.0, 0.0, -1.0]] * 3,
        [0, 1, 2],
        [0.0, 3.0, 6.0],
        [[0, 0, 0], [1, -1, 0], [1, 1, -2]],
    ),
    ("squared_hinge", {}, [0.5, -1.0], [1, 0], [0.25, 0.0], [-1.0, 0.0]),
    ("squared_hinge", {}, [[2.0, 0.0, -1.0]], [2], [16.0 + 4.0], [[8.0, 4.0, -12.0]]),
    ("sigmoid_squared_error", {}, [0.0, 0.0], [1, 0], [0.125, 0.125], [-0.125, 0.125]),
    ("sigmoid_squared_error", {}, [[0.0, 0.0]], [0], [0.25], [[-0.125, 0.125]]),
]


@pytest.mark.parametrize(
    ("name", "options", "p", "y", "value", "deriv"),
    KNOWN,
    ids=[f"{k[0]}-{i}" for i, k in enumerate(KNOWN)],
)
def test_known_values(name, options, p, y, value, deriv):
    loss = losses.get(name, **options)
    p, y = np.array(p, dtype=float), np.array(y)
    np.testing.assert_allclose(loss.pointwise(p, y), value, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(loss.dpointwise(p, y), deriv, rtol=1e-14, atol=1e-15)
    assert loss.value(p, y) == pytest.approx(np.mean(value), rel=1e-14)
    assert losses.get(name, reduction="sum", **options).value(p, y) == pytest.approx(
        np.sum(value), rel=1e-14
    )


def test_docstring_examples():
    p, y = np.array([0.5, 2.0]), np.array([0.0, 1.0])
    assert losses.squared_error().value(p, y) == 0.3125
    scores = np.array([[2.0, 0.0, -1.0]])
    expected = math.log(math.exp(2) + 1 + math.exp(-1)) - 2
    assert losses.log_loss().value(scores, np.array([0])) == pytest.approx(expected, rel=1e-14)


# --------------------------------------------------------------------------- probabilities


@settings(max_examples=30, deadline=None)
@given(
    p=hnp.arrays(
        np.float64, st.tuples(st.integers(1, 6), st.integers(2, 5)), elements=st.floats(-50, 50)
    )
)
def test_log_loss_probabilities(p):
    loss = losses.log_loss()
    proba = loss.predict_proba(p)
    assert proba.shape == p.shape
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(loss.activation(p), proba, rtol=1e-12)
    # one score per sample is the second column of a two-class softmax of [0, score]
    s = p[:, 0]
    two = loss.predict_proba(s)
    assert two.shape == (len(s), 2)
    np.testing.assert_allclose(two.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(two, loss.predict_proba(np.column_stack([0 * s, s])), atol=1e-15)
    np.testing.assert_allclose(loss.activation(s), two[:, 1], rtol=1e-12)
    np.testing.assert_allclose(
        loss.activation(s), [1 / (1 + math.exp(-v)) for v in s.tolist()], rtol=1e-12
    )


@cases
def test_activation_and_flags(case):
    loss = case.build()
    p, _ = loss_data(case, np.random.default_rng(3))
    a = loss.activation(p)
    assert a.shape == p.shape
    if case.name in ("log_loss", "sigmoid_squared_error"):
        assert np.all((a > 0) & (a < 1))
        if case.name == "log_loss" and case.task == "multiclass":
            np.testing.assert_allclose(a.sum(axis=1), 1.0)
        else:
            np.testing.assert_allclose(a, 1 / (1 + np.exp(-p)))
    else:
        np.testing.assert_array_equal(a, p)
    assert loss.probabilistic == (case.name == "log_loss")
    assert loss.classification == (
        case.name in ("log_loss", "hinge", "squared_hinge", "sigmoid_squared_error")
    )
    assert loss.threshold == (0.5 if case.name == "squared_error" else 0.0)
    if not loss.probabilistic:
        with pytest.raises(AttributeError, match=rf"The '{case.name}' loss does not give"):
            loss.predict_proba(p)


def test_class_targets():
    y = np.array([2, 0, 1])
    np.testing.assert_array_equal(losses.class_targets(np.zeros(3), y), [2.0, 0.0, 1.0])
    np.testing.assert_array_equal(
        losses.class_targets(np.zeros((3, 3)), y), [[0, 0, 1], [1, 0, 0], [0, 1, 0]]
    )


# --------------------------------------------------------------------------- construction


@pytest.mark.parametrize("cls", list(losses.LOSSES.values()), ids=list(losses.LOSSES))
@pytest.mark.parametrize("bad", ["avg", "Mean", None, 1, ["mean"]], ids=repr)
def test_bad_reduction_is_rejected(cls, bad):
    message = f"Invalid reduction: {bad!r}; expected 'mean' or 'sum'"
    with pytest.raises(ValueError, match=re.escape(message)):
        cls(reduction=bad)
    with pytest.raises(ValueError, match=re.escape(message)):
        losses.get(cls.name, reduction=bad)
    with pytest.raises(ValueError, match=re.escape(message)):
        getattr(losses, cls.name)(reduction=bad)


@pytest.mark.parametrize("name", ["l2", "logloss", "Log_Loss", None, 3, ["hinge"], losses.Hinge])
def test_unknown_loss_name_is_rejected(name):
    with pytest.raises(
        ValueError, match=re.escape(f"Invalid loss: {name!r}; expected one of")
    ) as info:
        losses.get(name)
    assert str(sorted(losses.LOSSES)) in str(info.value)


def test_options_with_a_loss_object_are_rejected():
    loss = losses.huber(0.5)
    assert losses.get(loss) is loss
    with pytest.raises(
        ValueError, match=re.escape("Options ['delta'] given with the loss object")
    ):
        losses.get(loss, delta=2.0)
    with pytest.raises(ValueError, match=re.escape("Options ['delta', 'reduction'] given")):
        losses.get(loss, reduction="sum", delta=2.0)


@pytest.mark.parametrize(
    ("delta", "error", "message"),
    [
        (0.0, ValueError, "Invalid delta: 0.0; it must be positive"),
        (-1, ValueError, "Invalid delta: -1.0; it must be positive"),
        (math.inf, ValueError, "Invalid delta: inf"),
        (math.nan, ValueError, "Invalid delta: nan"),
        ("1", TypeError, "Invalid delta: '1'"),
        (True, TypeError, "Invalid delta: True"),
    ],
)
def test_bad_huber_delta_is_rejected(delta, error, message):
    with pytest.raises(error, match=re.escape(message)):
        losses.huber(delta)
    with pytest.raises(error, match=re.escape(message)):
        losses.get("huber", delta=delta)


def test_options_a_loss_does_not_take_are_rejected():
    with pytest.raises(TypeError, match="delta"):
        losses.get("log_loss", delta=1.0)


def test_factories_and_get_agree():
    assert losses.huber(2, "sum") == losses.Huber(reduction="sum", delta=2.0)
    assert losses.get("huber", delta=2, reduction="sum") == losses.huber(2.0, "sum")
    assert type(losses.huber(2).delta) is float
    for name, cls in losses.LOSSES.items():
        assert getattr(losses, name)() == cls() == losses.get(name)
        assert getattr(losses, name)(reduction="sum") == cls("sum")
        assert cls().reduction == "mean"
    assert losses.huber(0.5) != losses.huber(0.6)
    assert losses.hinge() != losses.squared_hinge()


def test_losses_are_frozen():
    loss = losses.huber()
    with pytest.raises(FrozenInstanceError):
        loss.reduction = "sum"
    with pytest.raises(FrozenInstanceError):
        loss.delta = 3.0


# --------------------------------------------------------------------------- penalties


def penalty_by_hand(kind, alpha, l1_ratio, w):
    """(R(w), grad R(w)) from the table in the penalties docstring, over Python floats."""
    l1 = {"l1": alpha, "elasticnet": alpha * l1_ratio}.get(kind, 0.0)
    l2 = {"l2": alpha, "elasticnet": alpha * (1.0 - l1_ratio)}.get(kind, 0.0)
    flat = [float(v) for v in np.ravel(w)]
    value = l1 * sum(abs(v) for v in flat) + 0.5 * l2 * sum(v * v for v in flat)
    grad = [l1 * _sign(v) + l2 * v for v in flat]
    return value, np.array(grad).reshape(np.shape(w))


PENALTY_CASES = [
    ("l2", 0.3, 0.15),
    ("l2", 2.0, 0.9),  # l1_ratio ignored
    ("l1", 0.3, 0.15),
    ("elasticnet", 0.3, 0.15),
    ("elasticnet", 0.5, 0.7),
    ("elasticnet", 0.5, 0.0),
    ("elasticnet", 0.5, 1.0),
]
penalty_cases = pytest.mark.parametrize(
    ("kind", "alpha", "l1_ratio"), PENALTY_CASES, ids=[f"{k}-{a}-{r}" for k, a, r in PENALTY_CASES]
)


@penalty_cases
@pytest.mark.parametrize("shape", [(5,), (4, 3)], ids=["vector", "matrix"])
def test_penalty_value_and_grad(kind, alpha, l1_ratio, shape):
    pen = Penalty(kind, alpha=alpha, l1_ratio=l1_ratio)
    assert pen.active
    rng = np.random.default_rng(4)
    w = rng.uniform(0.2, 2.0, shape) * rng.choice([-1.0, 1.0], shape)  # away from 0
    value, grad = penalty_by_hand(kind, alpha, l1_ratio, w)
    assert pen.value(w) == pytest.approx(value, rel=1e-13)
    assert type(pen.value(w)) is float
    np.testing.assert_allclose(pen.grad(w), grad, rtol=1e-13, atol=1e-15)
    assert pen.grad(w).shape == w.shape
    numeric = descend.numeric_grad(lambda v: pen.value(v.reshape(shape)), w.ravel())
    np.testing.assert_allclose(pen.grad(w).ravel(), numeric, rtol=1e-7, atol=1e-9)
    assert pen.l2_weight == pytest.approx(
        {"l2": alpha, "l1": 0.0, "elasticnet": alpha * (1 - l1_ratio)}[kind]
    )


def test_penalty_l1_subgradient_is_zero_at_zero():
    w = np.array([0.0, 2.0, -3.0])
    np.testing.assert_array_equal(Penalty("l1", 0.5).grad(w), [0.0, 0.5, -0.5])
    assert Penalty("l1", 0.5).value(w) == 2.5
    np.testing.assert_allclose(Penalty("elasticnet", 1.0, 0.5).grad(w), [0.0, 1.5, -2.0])


def test_penalty_elasticnet_ends_are_l1_and_l2():
    w = np.array([1.5, -0.5, 2.0])
    for end, kind in ((1.0, "l1"), (0.0, "l2")):
        net, pure = Penalty("elasticnet", 0.7, end), Penalty(kind, 0.7)
        assert net.value(w) == pytest.approx(pure.value(w), rel=1e-15)
        np.testing.assert_allclose(net.grad(w), pure.grad(w), rtol=1e-15)


def test_penalty_docstring_example():
    pen = Penalty("elasticnet", alpha=0.1, l1_ratio=0.5)
    w = np.array([2.0, -1.0])
    assert pen.value(w) == pytest.approx(0.1 * (0.5 * 3 + 0.25 * 5))
    np.testing.assert_allclose(pen.grad(w), [0.15, -0.1])


@pytest.mark.parametrize(
    "pen",
    [
        Penalty(None),
        Penalty(None, alpha=1.0),
        Penalty("l2", 0.0),
        Penalty("l1", 0),
        Penalty("elasticnet", 0.0),
    ],
    ids=["none", "none-alpha", "l2-0", "l1-0", "elasticnet-0"],
)
def test_inactive_penalties_add_nothing(pen):
    w = np.array([[1.0, -2.0], [3.0, 0.5]])
    assert not pen.active
    assert pen.value(w) == 0.0
    assert pen.l2_weight == 0.0
    g = pen.grad(w)
    assert g.shape == w.shape and g.dtype == np.float64
    np.testing.assert_array_equal(g, 0.0)


def test_penalty_defaults_and_normalisation():
    assert Penalty() == Penalty("l2", 0.0001, 0.15)
    assert PENALTIES == (None, "l2", "l1", "elasticnet")
    pen = Penalty("l1", alpha=2, l1_ratio=1)
    assert type(pen.alpha) is float and type(pen.l1_ratio) is float
    assert pen.grad(np.array([1, -2])).dtype == np.float64  # integer weights are fine
    with pytest.raises(FrozenInstanceError):
        pen.alpha = 1.0


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"kind": "l3"}, ValueError, "Invalid penalty: 'l3'; expected None, 'l2', 'l1' or"),
        ({"kind": "L2"}, ValueError, "Invalid penalty: 'L2'"),
        ({"kind": "none"}, ValueError, "Invalid penalty: 'none'"),
        ({"kind": 2}, ValueError, "Invalid penalty: 2"),
        ({"alpha": -0.1}, ValueError, "Invalid alpha: -0.1; it must be >= 0"),
        ({"alpha": math.inf}, ValueError, "Invalid alpha: inf"),
        ({"alpha": math.nan}, ValueError, "Invalid alpha: nan"),
        ({"alpha": "0.1"}, TypeError, "Invalid alpha: '0.1'"),
        ({"alpha": None}, TypeError, "Invalid alpha: None"),
        ({"alpha": True}, TypeError, "Invalid alpha: True"),
        ({"l1_ratio": 1.5}, ValueError, "Invalid l1_ratio: 1.5; it must lie in [0, 1]"),
        ({"l1_ratio": -0.1}, ValueError, "Invalid l1_ratio: -0.1; it must lie in [0, 1]"),
        ({"l1_ratio": math.inf}, ValueError, "Invalid l1_ratio: inf; it must lie in [0, 1]"),
        ({"l1_ratio": math.nan}, ValueError, "Invalid l1_ratio: nan"),
        ({"l1_ratio": "half"}, TypeError, "Invalid l1_ratio: 'half'"),
        ({"l1_ratio": None}, TypeError, "Invalid l1_ratio: None"),
    ],
    ids=lambda v: repr(v) if isinstance(v, dict) else "",
)
def test_bad_penalty_arguments_are_rejected(kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        Penalty(**kwargs)


# --------------------------------------------------------------------------- kernels: model


@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no-intercept"])
def test_pack_and_split_round_trip(n_outputs, fit_intercept):
    d = 4
    model = kernels.LinearModel(n_features=d, n_outputs=n_outputs, fit_intercept=fit_intercept)
    assert model.n_coef == d * n_outputs
    assert model.size == d * n_outputs + (n_outputs if fit_intercept else 0)
    theta = np.arange(1.0, model.size + 1.0)
    coef, b = model.split(theta)
    assert coef.shape == ((d,) if n_outputs == 1 else (d, n_outputs))
    assert np.shares_memory(coef, theta)  # views, not copies
    np.testing.assert_array_equal(coef.ravel(), theta[: model.n_coef])
    if not fit_intercept:
        assert b == 0.0
    elif n_outputs == 1:
        assert np.ndim(b) == 0 and b == theta[-1]
    else:
        np.testing.assert_array_equal(b, theta[model.n_coef :])
    np.testing.assert_array_equal(model.pack(coef, b), theta)
    coef2, b2 = model.split(model.pack(coef, b))
    np.testing.assert_array_equal(coef2, coef)
    np.testing.assert_array_equal(b2, b)
    # a scalar intercept is broadcast to every output
    packed = model.pack(coef, 2.5)
    assert packed.shape == theta.shape
    if fit_intercept:
        np.testing.assert_array_equal(packed[model.n_coef :], 2.5)


@settings(max_examples=25, deadline=None)
@given(
    d=st.integers(1, 5),
    k=st.integers(1, 4),
    fit_intercept=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_output_is_xw_plus_b(d, k, fit_intercept, seed):
    rng = np.random.default_rng(seed)
    model = kernels.LinearModel(d, k, fit_intercept)
    theta = rng.normal(size=model.size)
    X = rng.normal(size=(5, d))
    W = theta[: d * k].reshape(d, k)
    b = theta[d * k :] if fit_intercept else np.zeros(k)
    z = model.output(theta, X)
    expected = X @ W + b
    np.testing.assert_allclose(z, expected[:, 0] if k == 1 else expected, rtol=1e-12, atol=1e-14)
    assert z.shape == ((5,) if k == 1 else (5, k))
    np.testing.assert_array_equal(model.pack(*model.split(theta)), theta)


def kernel_problem(case, fit_intercept, weighted, seed=0, n=7, d=3):
    """A model, a point ``theta`` and data whose outputs keep clear of the loss's kinks and
    whose coefficients keep clear of 0 (the kink of the L1 penalty)."""
    rng = np.random.default_rng(seed)
    model = kernels.LinearModel(d, case.n_outputs, fit_intercept)
    for _ in range(1000):
        X = rng.normal(size=(n, d))
        theta = rng.normal(scale=0.7, size=model.size)
        y = targets(case, rng, n)
        if case.task == "regression":
            y = model.output(theta, X) + rng.uniform(-3.0, 3.0, n)
        z = model.output(theta, X)
        if kink_gap(case, z, y) > KINK_GAP and np.min(np.abs(theta[: model.n_coef])) > 1e-2:
            w = rng.uniform(0.2, 3.0, n) if weighted else None
            return model, theta, X, y, w
    raise AssertionError("no draw away from the kinks")  # pragma: no cover


KERNEL_PENALTIES = [
    Penalty(None),
    Penalty("l2", 0.3),
    Penalty("l1", 0.2),
    Penalty("elasticnet", 0.25, 0.4),
]


@cases
@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no-intercept"])
@reductions
@weighted
def test_model_gradient_is_the_numeric_gradient(case, fit_intercept, reduction, weighted):
    model, theta, X, y, w = kernel_problem(case, fit_intercept, weighted)
    loss = case.build(reduction)
    for penalty, rho in itertools.product(KERNEL_PENALTIES, [1.0, 0.3]):
        terms = dict(model=model, loss=loss, penalty=penalty, rho=rho)
        value, grad = kernels.objective_and_grad(theta, X, y, w, **terms)
        assert grad.shape == theta.shape
        assert value == pytest.approx(kernels.objective(theta, X, y, w, **terms), rel=1e-14)
        numeric = descend.numeric_grad(
            lambda t, terms=terms: kernels.objective(t, X, y, w, **terms), theta
        )
        scale = max(1.0, np.max(np.abs(numeric)))
        np.testing.assert_allclose(
            grad, numeric, rtol=1e-6, atol=1e-7 * scale, err_msg=repr(penalty)
        )


@cases
def test_objective_is_loss_plus_penalty_on_the_coefficients_only(case):
    model, theta, X, y, w = kernel_problem(case, True, True, seed=1)
    loss, penalty = case.build("sum"), Penalty("elasticnet", 0.4, 0.3)
    coef = theta[: model.n_coef].reshape(model.n_features, -1)
    b = theta[model.n_coef :]
    z = X @ coef + b
    z = z[:, 0] if model.n_outputs == 1 else z
    expected = loss.value(z, y, w) + 0.6 * penalty.value(coef)
    got = kernels.objective(theta, X, y, w, model=model, loss=loss, penalty=penalty, rho=0.6)
    assert got == pytest.approx(expected, rel=1e-13)
    # the intercept's gradient is the summed loss derivative, with no penalty term
    _, grad = kernels.objective_and_grad(
        theta, X, y, w, model=model, loss=loss, penalty=penalty, rho=0.6
    )
    np.testing.assert_allclose(grad[model.n_coef :], loss.dloss(z, y, w).sum(axis=0), rtol=1e-13)
    _, no_penalty = kernels.objective_and_grad(
        theta, X, y, w, model=model, loss=loss, penalty=Penalty(None)
    )
    np.testing.assert_array_equal(grad[model.n_coef :], no_penalty[model.n_coef :])


# --------------------------------------------------------------------------- kernels: sparse

#: every epoch check runs on the NumPy reference and on the compiled kernels
epochs = pytest.mark.parametrize(
    "run_epoch", [reference.epoch, compiled.epoch], ids=["reference", "compiled"]
)


@cases
@epochs
def test_sparse_input_gives_the_dense_results(case, run_epoch):
    model, theta, X, y, w = kernel_problem(case, True, True, seed=2)
    Xs = scipy.sparse.csr_matrix(np.where(np.abs(X) < 0.5, 0.0, X))
    Xd = Xs.toarray()
    assert 0 < Xs.nnz < Xd.size  # really sparse
    loss, penalty = case.build("sum"), Penalty("l2", 0.1)
    terms = dict(model=model, loss=loss, penalty=penalty)
    vd, gd = kernels.objective_and_grad(theta, Xd, y, w, **terms)
    vs, gs = kernels.objective_and_grad(theta, Xs, y, w, **terms)
    assert isinstance(gs, np.ndarray) and gs.shape == gd.shape
    assert vs == pytest.approx(vd, rel=1e-13)
    np.testing.assert_allclose(gs, gd, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(model.output(theta, Xs), model.output(theta, Xd), rtol=1e-13)

    opt = Momentum(0.05, momentum=0.5)
    results = []
    for Xi in (Xd, Xs):
        t, state = theta, opt.init(theta)
        rng = np.random.default_rng(7)
        for _ in range(2):
            t, state = run_epoch(
                t, state, Xi, y, w, **terms, optimizer=opt, rate=0.05, batch_size=3, rng=rng
            )
        results.append((t, state.velocity))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-12, atol=1e-14)
    assert not np.allclose(results[0][0], theta)


# --------------------------------------------------------------------------- kernels: epoch


@cases
@pytest.mark.parametrize("batch_size", [7, 100], ids=["n", "more-than-n"])
@epochs
def test_full_batch_epoch_is_one_optimizer_step(case, batch_size, run_epoch):
    model, theta, X, y, w = kernel_problem(case, True, True, seed=3)
    loss, penalty = case.build("sum"), Penalty("elasticnet", 0.1, 0.5)
    opt = Adam(0.01)
    state0 = opt.init(theta)
    theta_copy = theta.copy()
    got, state = run_epoch(
        theta,
        state0,
        X,
        y,
        w,
        loss=loss,
        model=model,
        penalty=penalty,
        optimizer=opt,
        rate=0.01,
        batch_size=batch_size,
        rng=np.random.default_rng(0),
    )
    np.testing.assert_array_equal(theta, theta_copy)  # not modified in place
    _, g = kernels.objective_and_grad(theta, X, y, w, model=model, loss=loss, penalty=penalty)
    step, expected_state = opt.update(g, state0, theta, 0.01)
    np.testing.assert_allclose(got, theta + step, rtol=1e-13, atol=1e-15)
    for a, b in zip(state, expected_state, strict=True):
        if a is None or b is None:
            assert a is b
        else:
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


@cases
@reductions
@weighted
@epochs
def test_stochastic_epoch_is_a_per_sample_loop(case, reduction, weighted, run_epoch):
    model, theta, X, y, w = kernel_problem(case, True, weighted, seed=4)
    loss, penalty = case.build(reduction), Penalty("elasticnet", 0.2, 0.3)
    opt, rate = Momentum(0.05, momentum=0.6), 0.05
    rng = np.random.default_rng(0)
    before = rng.bit_generator.state
    state0 = opt.init(theta)
    got, got_state = run_epoch(
        theta,
        state0,
        X,
        y,
        w,
        loss=loss,
        model=model,
        penalty=penalty,
        optimizer=opt,
        rate=rate,
        batch_size=1,
        rng=rng,
        shuffle=False,
    )
    assert rng.bit_generator.state == before  # without shuffling the rng is not drawn from

    # by hand: one row at a time, in order; with "sum" each row carries its weight and its
    # share of the penalty, with "mean" the whole penalty and its weight over the mean weight
    # of all rows (so that a one-row batch does not divide its own weight away)
    d, k = model.n_features, model.n_outputs
    weights = np.ones(len(y)) if w is None else w
    t, state = theta.copy(), state0
    for i in range(len(y)):
        W, b = t[: d * k].reshape(d, k), t[d * k :]
        z = X[i] @ W + b
        zi = z[None, :] if k > 1 else z[None, :1].ravel()
        mean_weight = weights.mean() if w is not None and reduction == "mean" else None
        dl = loss.dloss(
            zi, y[i : i + 1], None if w is None else w[i : i + 1], mean_weight=mean_weight
        ).reshape(k)
        rho = 1.0 if reduction == "mean" else weights[i] / weights.sum()
        g_w = np.outer(X[i], dl) + rho * penalty.grad(W)
        g = np.concatenate([g_w.ravel(), dl])
        step, state = opt.update(g, state, t, rate)
        t = t + step
    np.testing.assert_allclose(got, t, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(got_state.velocity, state.velocity, rtol=1e-12, atol=1e-14)


@cases
@epochs
def test_shuffled_epoch_is_the_epoch_over_permuted_rows(case, run_epoch):
    model, theta, X, y, w = kernel_problem(case, False, True, seed=5)
    terms = dict(
        loss=case.build("sum"),
        model=model,
        penalty=Penalty("l2", 0.1),
        optimizer=GD(0.05),
        rate=0.05,
        batch_size=2,
    )
    state = GD(0.05).init(theta)
    one, _ = run_epoch(theta, state, X, y, w, rng=np.random.default_rng(11), **terms)
    again, _ = run_epoch(theta, state, X, y, w, rng=np.random.default_rng(11), **terms)
    other, _ = run_epoch(theta, state, X, y, w, rng=np.random.default_rng(12), **terms)
    np.testing.assert_array_equal(one, again)  # same seed, same result
    perm = np.random.default_rng(11).permutation(len(y))
    ordered, _ = run_epoch(
        theta,
        state,
        X[perm],
        y[perm],
        w[perm],
        rng=np.random.default_rng(0),
        shuffle=False,
        **terms,
    )
    np.testing.assert_allclose(one, ordered, rtol=1e-13, atol=1e-15)
    assert not np.allclose(one, other, rtol=1e-9)  # another seed, another order


@epochs
def test_sample_weights_matter_in_stochastic_mean_epochs(run_epoch):
    case = CASES[0]
    model, theta, X, y, _ = kernel_problem(case, True, False, seed=7)
    w = np.ones(len(y))
    w[-1] = 100.0
    terms = dict(
        model=model, loss=case.build("mean"), penalty=Penalty(None), optimizer=GD(0.1), rate=0.1
    )
    state = GD(0.1).init(theta)
    rng = np.random.default_rng(0)
    full_plain, _ = run_epoch(theta, state, X, y, None, batch_size=len(y), rng=rng, **terms)
    full_weighted, _ = run_epoch(theta, state, X, y, w, batch_size=len(y), rng=rng, **terms)
    assert not np.allclose(full_plain, full_weighted)  # the full batch does see the weights
    plain, _ = run_epoch(theta, state, X, y, None, batch_size=1, rng=rng, shuffle=False, **terms)
    weighted, _ = run_epoch(theta, state, X, y, w, batch_size=1, rng=rng, shuffle=False, **terms)
    assert not np.allclose(plain, weighted)


def test_epoch_with_a_line_search_goes_downhill():
    case = CASES[0]
    model, theta, X, y, w = kernel_problem(case, True, False, seed=6)
    loss, penalty = case.build(), Penalty("l2", 0.01)
    terms = dict(model=model, loss=loss, penalty=penalty)
    t, state = theta, GD().init(theta)
    values = [kernels.objective(t, X, y, w, **terms)]
    for _ in range(5):
        t, state = kernels.epoch(
            t,
            state,
            X,
            y,
            w,
            **terms,
            optimizer=GD(),
            rate=Backtracking(),
            batch_size=len(y),
            rng=np.random.default_rng(0),
        )
        values.append(kernels.objective(t, X, y, w, **terms))
    assert all(b < a for a, b in itertools.pairwise(values))


@epochs
def test_epoch_overflow_gives_nan_without_warnings(run_epoch):
    model = kernels.LinearModel(2, 1, True)
    X = np.array([[1e200, 1.0], [1.0, 2.0]])
    theta = np.ones(model.size)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got, _ = run_epoch(
            theta,
            GD(0.1).init(theta),
            X,
            np.array([0.0, 1.0]),
            None,
            loss=losses.squared_error(),
            model=model,
            penalty=Penalty(None),
            optimizer=GD(0.1),
            rate=0.1,
            batch_size=2,
            rng=np.random.default_rng(0),
        )
    assert np.all(np.isnan(got))


def test_softmax_loss_keeps_infinities():
    p = np.array([[np.inf, 0.0, 1.0], [-np.inf, -np.inf, -np.inf]])
    with np.errstate(invalid="ignore", divide="ignore"):
        values = losses.log_loss().pointwise(p, np.array([1, 0]))
    assert values[0] == np.inf
