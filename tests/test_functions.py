"""Tests for descend.functions: gradients, minima, batching and the registry."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import descend
from descend import functions
from descend.functions import FUNCTIONS, TestFunction

NAMES = list(FUNCTIONS)
ALL = [FUNCTIONS[name] for name in NAMES]
ANY_DIM = ("sphere", "rosenbrock", "rastrigin", "ackley", "styblinski_tang")
ONE_D = [f for f in ALL if f.ndim == 1]
TWO_D = [f for f in ALL if f.ndim == 2]

by_function = pytest.mark.parametrize("f", ALL, ids=NAMES)


def box(f) -> tuple[np.ndarray, np.ndarray]:
    """The plotting box as arrays of lower and upper corners, shape (d,)."""
    corners = np.array([f.bounds]) if f.ndim == 1 else np.array(f.bounds)
    return corners[:, 0], corners[:, 1]


def sample(f, rng, k: int) -> np.ndarray:
    """k random points in the box, shape (k, d)."""
    lo, hi = box(f)
    return rng.uniform(lo, hi, size=(k, lo.size))


def point(f, p):
    """A row of a sample as the function takes one point: a float in one dimension."""
    return float(p[0]) if f.ndim == 1 else p


def scale(value: float) -> float:
    return 1.0 + abs(value)


# ----------------------------------------------------------------------------- registry


def test_registry_holds_every_function_in_order():
    assert NAMES == [
        "quadratic",
        "square",
        "sphere",
        "quartic",
        "rosenbrock",
        "beale",
        "booth",
        "matyas",
        "himmelblau",
        "three_hump_camel",
        "six_hump_camel",
        "rastrigin",
        "ackley",
        "styblinski_tang",
        "goldstein_price",
    ]
    for name, f in FUNCTIONS.items():
        assert isinstance(f, TestFunction)
        assert isinstance(f, descend.Objective)
        assert f.name == name
        assert getattr(functions, name) is f
        assert name in functions.__all__
        assert functions.get(name) is f
        assert f.formula and f.description
        assert hash(f) == hash(f)  # usable as a dictionary key


def test_get_normalises_the_name():
    assert functions.get("Six-Hump-Camel") is functions.six_hump_camel
    assert functions.get(" styblinski tang ") is functions.styblinski_tang


def test_get_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="nope") as info:
        functions.get("nope")
    for name in NAMES:
        assert name in str(info.value)


def test_get_rejects_a_non_string():
    with pytest.raises(TypeError):
        functions.get(3)


def test_testfunction_is_not_collected_by_pytest():
    assert TestFunction.__test__ is False


def test_repr():
    assert repr(functions.rosenbrock) == (
        "TestFunction(rosenbrock: (1 − x)² + 100 (y − x²)², minimum 0 at [1, 1])"
    )
    assert repr(functions.quadratic) == "TestFunction(quadratic: x² − 6x + 5, minimum -4 at 3)"
    assert repr(functions.himmelblau).count("[") == 4


@by_function
def test_fields_are_consistent_and_frozen(f):
    assert f.ndim in (1, 2)
    assert len(f.minimizers) >= 1
    assert isinstance(f.minimum, float)
    if f.ndim == 1:
        assert isinstance(f.x0, float)
        assert all(isinstance(m, float) for m in f.minimizers)
        lo, hi = f.bounds
        assert lo < hi
    else:
        assert f.x0.shape == (2,)
        assert not f.x0.flags.writeable
        assert len(f.bounds) == 2
        assert all(lo < hi for lo, hi in f.bounds)
        for m in f.minimizers:
            assert m.shape == (2,)
            assert not m.flags.writeable
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.minimum = 0.0


def test_invalid_ndim_is_rejected():
    with pytest.raises(ValueError, match="ndim"):
        TestFunction(
            abs,
            abs,
            "bad",
            minimizers=(0.0,),
            minimum=0.0,
            x0=1.0,
            bounds=(-1, 1),
            ndim=3,
            formula="|x|",
            description="Not smooth.",
        )


# ------------------------------------------------------------------------------ gradients


@by_function
def test_gradient_matches_finite_differences(f):
    rng = np.random.default_rng(20240611)
    for p in sample(f, rng, 25):
        if f is functions.ackley and np.linalg.norm(p) < 1e-3:
            continue  # no gradient at the origin
        x = point(f, p)
        assert descend.check_grad(f, f.grad, x) < 1e-6, x


@by_function
def test_gradient_passes_the_check_in_minimize(f):
    res = descend.minimize(f, f.x0, grad="check", learning_rate=1e-6, max_iter=1)
    assert res.nit == 1


@settings(max_examples=60, deadline=None)
@given(
    st.floats(-10, 10, allow_nan=False, allow_infinity=False),
    st.floats(-10, 10, allow_nan=False, allow_infinity=False),
)
def test_sphere_and_booth_gradients_anywhere_in_the_box(x, y):
    p = np.array([x, y])
    for f in (functions.sphere, functions.booth):
        assert descend.check_grad(f, f.grad, p) < 1e-6


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-2, 2, allow_nan=False, allow_infinity=False), min_size=2, max_size=6))
def test_rosenbrock_gradient_in_any_dimension(coordinates):
    p = np.array(coordinates)
    assert descend.check_grad(functions.rosenbrock, functions.rosenbrock.grad, p) < 1e-6


def test_ackley_gradient_at_the_origin_is_zero_without_warnings():
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        g = functions.ackley.grad(np.zeros(2))
        batch = functions.ackley.grad(np.array([[0.0, 0.0], [1.0, -0.5]]))
        value = functions.ackley(np.zeros(3))
    assert np.array_equal(g, [0.0, 0.0])
    assert np.array_equal(batch[0], [0.0, 0.0])
    assert np.all(np.isfinite(batch))
    assert value == 0.0


# -------------------------------------------------------------------------------- minima


@by_function
def test_listed_minimizers_are_minima(f):
    rng = np.random.default_rng(7)
    tolerance = 1e-9 * scale(f.minimum)
    for m in f.minimizers:
        value = f(m)
        assert abs(value - f.minimum) <= tolerance
        assert np.linalg.norm(np.atleast_1d(f.grad(m))) <= 1e-6
        nearby = np.asarray(m) + rng.uniform(-1e-3, 1e-3, size=(500, f.ndim))
        if f.ndim == 1:
            nearby = nearby[:, 0]
        assert np.all(f(nearby) >= value - 1e-12)


@by_function
def test_listed_minimizers_are_distinct(f):
    points = np.atleast_2d(np.array(f.minimizers, dtype=float).reshape(len(f.minimizers), -1))
    for i in range(len(points)):
        for j in range(i):
            assert np.linalg.norm(points[i] - points[j]) > 1e-3


@by_function
def test_no_grid_point_beats_the_minimum(f):
    lo, hi = box(f)
    if f.ndim == 1:
        grid = np.linspace(lo[0], hi[0], 20_001)
    else:
        axes = [np.linspace(lo[i], hi[i], 601) for i in range(2)]
        grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)
    values = f(grid)
    assert values.shape == grid.shape[: grid.ndim - (f.ndim > 1)]
    assert values.min() >= f.minimum - 1e-9 * scale(f.minimum)


@pytest.mark.parametrize("name", ANY_DIM)
@pytest.mark.parametrize("n", [1, 3, 5])
def test_functions_of_any_dimension(name, n):
    f = FUNCTIONS[name]
    if name == "rosenbrock" and n == 1:
        with pytest.raises(ValueError, match="at least 2"):
            f(np.ones(1))
        return
    # Every one of them is a sum over coordinates (or a mean, for ackley) with the same
    # minimiser in each, so its minimum grows in proportion to n (or stays 0).
    best = np.full(n, f.minimizers[0][0])
    expected = f.minimum / 2 * n
    assert abs(f(best) - expected) <= 1e-9 * scale(expected)
    assert f.grad(best).shape == (n,)
    assert np.linalg.norm(f.grad(best)) <= 1e-6
    rng = np.random.default_rng(n)
    lo, hi = box(f)
    points = rng.uniform(lo[0], hi[0], size=(2000, n))
    assert np.all(f(points) >= expected - 1e-9 * scale(expected))
    for p in points[:10]:
        assert descend.check_grad(f, f.grad, p) < 1e-6


# ------------------------------------------------------------------------ batches, shapes


@by_function
def test_batch_evaluation_matches_point_by_point(f):
    rng = np.random.default_rng(11)
    points = sample(f, rng, 7)
    batch = points[:, 0] if f.ndim == 1 else points
    values, grads = f(batch), f.grad(batch)
    assert values.shape == (7,)
    assert grads.shape == batch.shape
    for k, p in enumerate(points):
        assert values[k] == pytest.approx(f(point(f, p)), rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(grads[k], f.grad(point(f, p)), rtol=1e-12, atol=1e-12)
    # any leading shape works
    deep = batch.reshape((7,) if f.ndim == 1 else (7, 1, f.ndim))
    assert f(deep).shape == ((7,) if f.ndim == 1 else (7, 1))
    assert f.grad(deep).shape == deep.shape


@pytest.mark.parametrize("f", ONE_D, ids=[f.name for f in ONE_D])
def test_one_dimensional_functions_work_elementwise(f):
    assert type(f(1.5)) is float
    assert type(f.grad(1.5)) is float
    assert type(f(2)) is float
    single = f(np.array([1.5]))
    assert single.shape == (1,)
    assert single[0] == f(1.5)
    assert f.grad(np.array([1.5])).shape == (1,)
    assert f(np.zeros((2, 3))).shape == (2, 3)


@pytest.mark.parametrize("f", TWO_D, ids=[f.name for f in TWO_D])
def test_a_single_point_gives_a_float(f):
    value = f([0.25, -0.5])
    assert isinstance(value, float)
    assert f.grad([0.25, -0.5]).shape == (2,)
    assert f.grad((1, 2)).dtype == float


@pytest.mark.parametrize("f", TWO_D, ids=[f.name for f in TWO_D])
def test_input_is_not_modified(f):
    x = np.array([[0.3, -0.7], [1.1, 0.2]])
    copy = x.copy()
    f(x)
    f.grad(x)
    assert np.array_equal(x, copy)


def test_wrong_number_of_coordinates_is_an_error():
    with pytest.raises(ValueError, match="2 coordinates"):
        functions.booth([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="2 coordinates"):
        functions.himmelblau.grad(1.0)
    with pytest.raises(ValueError, match="at least 1"):
        functions.sphere(3.0)


# ---------------------------------------------------------------------------- the starts


@by_function
def test_default_start_is_in_the_box_and_not_a_minimizer(f):
    lo, hi = box(f)
    x0 = np.atleast_1d(f.x0)
    assert np.all(lo <= x0)
    assert np.all(x0 <= hi)
    assert f(f.x0) > f.minimum + 1e-3
    for m in f.minimizers:
        assert np.linalg.norm(x0 - np.atleast_1d(m)) > 1e-3


@by_function
def test_adam_makes_progress_from_the_default_start(f):
    res = descend.minimize(f, f.x0, optimizer="adam", learning_rate=0.01, max_iter=300)
    assert res.fun < f(f.x0)


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("quadratic", {"learning_rate": 0.1}),
        ("square", {"learning_rate": 0.1}),
        ("sphere", {"learning_rate": 0.1}),
        ("booth", {"learning_rate": 0.05}),
        ("sphere", {"optimizer": "adam", "learning_rate": 0.1, "max_iter": 5000}),
        ("himmelblau", {"optimizer": "adam", "learning_rate": 0.05, "max_iter": 5000}),
    ],
)
def test_minimize_reaches_the_minimum_with_the_carried_gradient(name, options):
    f = FUNCTIONS[name]
    res = descend.minimize(f, f.x0, gtol=1e-9, **options)
    assert res.success, res.message
    assert res.fun == pytest.approx(f.minimum, abs=1e-9)
    distance = min(np.linalg.norm(np.atleast_1d(res.x) - np.atleast_1d(m)) for m in f.minimizers)
    assert distance < 1e-6
    if f.ndim == 1:
        assert isinstance(res.x, float)
