"""The run history: storage, export and growth."""

import math

import numpy as np
import pytest

import descend
from descend.history import History


def run(**kwargs):
    return descend.minimize(
        lambda w: float(w @ w), [3.0, 4.0], grad=lambda w: 2 * w, learning_rate=0.1, **kwargs
    )


def test_history_columns_line_up():
    res = run(max_iter=10)
    h = res.history
    assert len(h) == 11
    assert h.x.shape == (11, 2) and h.f.shape == h.grad_norm.shape == (11,)
    np.testing.assert_array_equal(h.x[0], [3.0, 4.0])
    np.testing.assert_allclose(h.f, np.sum(h.x**2, axis=1))
    np.testing.assert_array_equal(h.iteration, np.arange(11))
    assert math.isnan(h.learning_rate[0]) and np.all(h.learning_rate[1:] == 0.1)
    assert h.time[0] == 0.0 and np.all(np.diff(h.time) >= 0)
    np.testing.assert_array_equal(h.x[-1], res.x)


def test_scalar_problem_history_is_one_dimensional():
    res = descend.minimize(
        lambda x: x**2, 20.0, grad=lambda x: 2 * x, learning_rate=0.1, max_iter=3
    )
    np.testing.assert_allclose(res.history.x, [20.0, 16.0, 12.8, 10.24])


def test_to_dict_copies():
    h = run(max_iter=3).history
    d = h.to_dict()
    assert set(d) == {"iteration", "x", "f", "grad_norm", "learning_rate", "time", "events"}
    d["f"][0] = -1.0
    assert h.f[0] == 25.0


def test_to_pandas():
    pd = pytest.importorskip("pandas")
    frame = run(max_iter=3).history.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["x[0]", "x[1]", "f", "grad_norm", "learning_rate", "time"]
    assert frame.index.name == "iteration" and len(frame) == 4
    assert frame["f"].iloc[0] == 25.0
    scalar = descend.minimize(lambda x: x**2, 2.0, max_iter=2).history.to_pandas()
    assert scalar.columns[0] == "x"


def test_growth_keeps_every_row():
    h = History(dim=3, capacity=1)
    for k in range(5000):
        h.append(k, np.full(3, k), float(k), 1.0, 0.5, 0.0)
    assert len(h) == 5000
    np.testing.assert_array_equal(h.x[:, 0], np.arange(5000))
    np.testing.assert_array_equal(h.f, np.arange(5000))
    assert len(h._iteration) < 2 * 5000  # grown by doubling, not one row at a time


def test_keep_last_only():
    h = History(dim=1, scalar=True, keep_all=False)
    for k in range(10):
        h.append(k, [k], float(k), 0.0, 0.1, 0.0)
    assert len(h) == 1 and h.x[0] == 9 and h.iteration[0] == 9
    assert "iteration 9" in repr(h)


def test_repr():
    assert repr(run(max_iter=2).history).startswith("History(3 points, iterations 0..2")
