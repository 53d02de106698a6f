"""Tests for descend.datasets: the tutorial data sets and the closed-form least squares."""

from __future__ import annotations

import math
import pickle
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from descend import datasets
from descend.datasets import LeastSquares, SingularNormalEquationsError, least_squares

# ------------------------------------------------------------------------------- data sets


def test_regression_shapes_and_dtypes():
    X, y = datasets.regression()
    assert X.shape == (100, 1) and y.shape == (100,)
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert not np.allclose(X[:, 0], 1.0)  # no column of ones


def test_regression_arguments_are_used():
    X, y = datasets.regression(n_samples=7, noise=0.0, random_state=1)
    assert X.shape == (7, 1)
    fit = least_squares(X, y)  # without noise the line through the origin is exact
    np.testing.assert_allclose(X[:, 0] * fit.coef[0], y, atol=1e-9)


def test_blobs_shapes_dtypes_and_balance():
    X, y = datasets.blobs()
    assert X.shape == (250, 2) and y.shape == (250,)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert set(np.unique(y).tolist()) == {0, 1}
    assert np.bincount(y).tolist() == [125, 125]


def test_blobs_are_linearly_separable_with_the_defaults():
    from scipy.optimize import linprog

    X, y = datasets.blobs()
    sign = np.where(y == 1, 1.0, -1.0)
    # A line w·x + b = 0 with sign_i (w·x_i + b) >= 1 for every point exists iff this LP is
    # feasible (T5 reaches 100% training accuracy).
    A_ub = -sign[:, None] * np.column_stack([X, np.ones(len(y))])
    lp = linprog(np.zeros(3), A_ub=A_ub, b_ub=-np.ones(len(y)), bounds=[(None, None)] * 3)
    assert lp.status == 0


def test_digits_shapes_dtypes_and_range():
    X_train, X_test, y_train, y_test = datasets.digits()
    assert X_train.shape == (1437, 64) and X_test.shape == (360, 64)
    assert y_train.shape == (1437,) and y_test.shape == (360,)
    assert X_train.dtype == np.float64 and y_train.dtype == np.int64
    assert X_train.min() == 0.0 and X_train.max() == 16.0  # unscaled pixel counts
    assert set(np.unique(np.concatenate([y_train, y_test])).tolist()) == set(range(10))


def test_digits01_is_t6_split():
    X_train, X_test, y_train, y_test = datasets.digits01()
    assert X_train.shape == (288, 64) and X_test.shape == (72, 64)
    assert len(y_train) + len(y_test) == 360
    assert set(np.unique(np.concatenate([y_train, y_test])).tolist()) == {0, 1}
    same = datasets.digits(n_class=2)
    for ours, theirs in zip(same, (X_train, X_test, y_train, y_test), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_digits_whole_number_test_size():
    X_train, X_test, _, _ = datasets.digits01(test_size=60)
    assert X_test.shape == (60, 64) and X_train.shape == (300, 64)


@pytest.mark.parametrize(
    "load",
    [
        datasets.regression,
        datasets.blobs,
        datasets.digits,
        datasets.digits01,
        datasets.dummy_trap,
        datasets.longley,
    ],
)
def test_loaders_are_deterministic(load):
    first, second = load(), load()
    assert len(first) == len(second)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


def test_seeds_change_the_data():
    assert not np.array_equal(datasets.regression()[0], datasets.regression(random_state=1)[0])
    assert not np.array_equal(datasets.blobs()[0], datasets.blobs(random_state=1)[0])
    assert not np.array_equal(datasets.digits01()[1], datasets.digits01(random_state=1)[1])


def test_dummy_trap_design():
    X, y = datasets.dummy_trap()
    assert X.shape == (10, 3) and y.shape == (10,)
    assert X.dtype == np.float64 and y.dtype == np.float64
    np.testing.assert_array_equal(X[:, 0], np.ones(10))
    np.testing.assert_array_equal(X[:, 1], [1.0] * 5 + [0.0] * 5)
    np.testing.assert_array_equal(X[:, 2], [0.0] * 5 + [1.0] * 5)
    np.testing.assert_array_equal(y, [0.0] * 5 + [1.0] * 5)
    assert np.linalg.matrix_rank(X) == 2


def test_longley_shapes_and_certified_values():
    data = datasets.longley()
    assert data.X.shape == (16, 6) and data.y.shape == (16,)
    assert data.X.dtype == np.float64 and data.y.dtype == np.float64
    assert data.coef.shape == data.coef_sd.shape == (6,) and len(data.feature_names) == 6
    np.testing.assert_array_equal(data.X[:, 5], np.arange(1947, 1963))  # one row a year
    assert (data.y[0], data.y[-1], data.X[0, 0], data.X[-1, 1]) == (60323, 70551, 83.0, 554894)
    assert data.intercept == -3482258.63459582 and data.coef[5] == 1829.15146461355
    assert data.residual_sd == 304.854073561965 and data.r_squared == 0.995479004577296


def _exact_least_squares(A, y):
    """The least-squares fit of the rational design A (rows of Fractions) to y, exactly: the
    estimates, the diagonal of (AᵀA)⁻¹ and the residual sum of squares, all as Fractions."""
    p = len(A[0])
    gram = [[sum(row[i] * row[j] for row in A) for j in range(p)] for i in range(p)]
    right = [sum(row[i] * t for row, t in zip(A, y, strict=True)) for i in range(p)]
    # Gauss-Jordan on [AᵀA | I | Aᵀy]: exact, so no pivoting for size is needed
    rows = [gram[i] + [Fraction(int(i == j)) for j in range(p)] + [right[i]] for i in range(p)]
    for c in range(p):
        pivot = next(r for r in range(c, p) if rows[r][c] != 0)
        rows[c], rows[pivot] = rows[pivot], rows[c]
        rows[c] = [v / rows[c][c] for v in rows[c]]
        for r in range(p):
            if r != c and rows[r][c] != 0:
                factor = rows[r][c]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[c], strict=True)]
    beta = [rows[i][-1] for i in range(p)]
    inverse_diagonal = [rows[i][p + i] for i in range(p)]
    residuals = [
        t - sum(a * b for a, b in zip(row, beta, strict=True)) for row, t in zip(A, y, strict=True)
    ]
    return beta, inverse_diagonal, sum(r * r for r in residuals)


def test_longley_data_reproduce_the_certified_fit_exactly():
    """The typed-in data are checked against NIST's certified values, which were computed from
    the true data: the least squares of the float64 arrays, solved in exact rational arithmetic,
    must give every certified figure to its last digit or so. A single mistyped digit moves
    the estimates of so ill-conditioned a problem by far more."""
    data = datasets.longley()
    n, p = data.X.shape[0], data.X.shape[1] + 1
    A = [[Fraction(1)] + [Fraction(float(v)) for v in row] for row in data.X]
    y = [Fraction(float(v)) for v in data.y]
    beta, inverse_diagonal, rss = _exact_least_squares(A, y)
    mean = sum(y) / n
    tss = sum((t - mean) ** 2 for t in y)
    variance = rss / (n - p)
    certified = [data.intercept, *data.coef]
    certified_sd = [data.intercept_sd, *data.coef_sd]
    for j in range(p):
        assert float(beta[j] / Fraction(certified[j]) - 1) == pytest.approx(0.0, abs=1e-14), j
        sd = math.sqrt(variance * inverse_diagonal[j])
        assert sd == pytest.approx(certified_sd[j], rel=1e-14), j
    assert math.sqrt(variance) == pytest.approx(data.residual_sd, rel=1e-14)
    assert float(1 - rss / tss) == pytest.approx(data.r_squared, rel=1e-14)


def test_longley_certified_fit_is_reached_by_a_careful_float_solver():
    """QR of the centred, scaled design in float64 gets at least 10 significant digits of every
    certified estimate; the fit of :func:`least_squares` at least 6."""
    data = datasets.longley()
    mean, scale = data.X.mean(axis=0), data.X.std(axis=0)
    Z = (data.X - mean) / scale
    q, r = np.linalg.qr(Z)
    slopes = np.linalg.solve(r, q.T @ (data.y - data.y.mean())) / scale
    intercept = data.y.mean() - mean @ slopes
    np.testing.assert_allclose(slopes, data.coef, rtol=1e-10)
    assert intercept == pytest.approx(data.intercept, rel=1e-10)
    fit = least_squares(data.X, data.y, fit_intercept=True)
    np.testing.assert_allclose(fit.coef, data.coef, rtol=1e-6)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: datasets.regression(n_samples=0), ValueError, "n_samples.*>= 1"),
        (lambda: datasets.regression(n_samples=2.5), TypeError, "n_samples"),
        (lambda: datasets.regression(noise=-1.0), ValueError, "noise"),
        (lambda: datasets.regression(noise=float("nan")), ValueError, "noise"),
        (lambda: datasets.regression(random_state=-1), ValueError, "random_state"),
        (lambda: datasets.regression(random_state="seed"), TypeError, "random_state"),
        (lambda: datasets.blobs(n_samples=1), ValueError, "n_samples.*>= 2"),
        (lambda: datasets.blobs(cluster_std=-0.5), ValueError, "cluster_std"),
        (lambda: datasets.blobs(random_state=True), TypeError, "random_state"),
        (lambda: datasets.digits(n_class=0), ValueError, "n_class"),
        (lambda: datasets.digits(n_class=11), ValueError, "only 10 digits"),
        (lambda: datasets.digits01(test_size=1.0), ValueError, r"test_size.*\(0, 1\)"),
        (lambda: datasets.digits01(test_size=0), ValueError, r"test_size.*\[1, 359\]"),
        (lambda: datasets.digits01(test_size="20%"), TypeError, "test_size"),
    ],
)
def test_loader_arguments_are_validated(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --------------------------------------------------------------------------- least squares


def test_t4_least_squares_numbers():
    X, y = datasets.regression()
    fit = least_squares(X, y, fit_intercept=True)
    assert isinstance(fit, LeastSquares)
    assert fit.coef.shape == (1,)
    assert isinstance(fit.intercept, float)
    assert round(fit.intercept, 2) == 1.49
    assert round(float(fit.coef[0]), 2) == 63.42


def test_fit_intercept_matches_a_prepended_column_of_ones():
    X, y = datasets.regression()
    with_ones = least_squares(np.column_stack([np.ones(len(y)), X]), y)
    fit = least_squares(X, y, fit_intercept=True)
    np.testing.assert_allclose(with_ones.coef, [fit.intercept, *fit.coef])
    assert with_ones.intercept == 0.0


def test_well_posed_case_matches_lstsq():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(30, 4))
    y = X @ [1.0, -2.0, 0.5, 3.0] + rng.normal(scale=0.1, size=30)
    fit = least_squares(X, y)
    np.testing.assert_allclose(fit.coef, np.linalg.lstsq(X, y, rcond=None)[0], rtol=1e-10)
    assert fit.intercept == 0.0
    # The gradient of ½‖Xθ − y‖² vanishes at the answer.
    np.testing.assert_allclose(X.T @ (X @ fit.coef - y), 0.0, atol=1e-10)


def test_accepts_lists_and_booleans():
    fit = least_squares([[True, False], [False, True], [True, True]], [1, 2, 3])
    np.testing.assert_allclose(fit.coef, [1.0, 2.0])


def test_t7_dummy_trap_is_explained():
    X, y = datasets.dummy_trap()
    with pytest.raises(SingularNormalEquationsError) as info:
        least_squares(X, y)
    err = info.value
    assert isinstance(err, ValueError)
    message = str(err)
    assert "rank 2 but 3 columns" in message
    assert "column 0 = column 1 + column 2" in message
    assert "dummy-variable trap" in message
    assert "drop one indicator column" in message
    assert "fit_intercept=False" in message
    assert "gradient descent" in message and "numpy.linalg.lstsq" in message
    assert err.rank == 2 and err.n_columns == 3
    assert err.dummy_trap
    assert err.equations == ["column 0 = column 1 + column 2"]
    assert err.column_names == ("column 0", "column 1", "column 2")
    np.testing.assert_array_equal(err.dependency, [1.0, -1.0, -1.0])
    assert err.dependencies.shape == (1, 3)
    np.testing.assert_allclose(X @ err.dependency, 0.0, atol=1e-12)
    assert err.singular_values.shape == (3,)


def test_dummy_trap_with_fit_intercept_names_the_intercept():
    X, y = datasets.dummy_trap()
    with pytest.raises(SingularNormalEquationsError, match="intercept = column 0 \\+ column 1"):
        least_squares(X[:, 1:], y, fit_intercept=True)
    with pytest.raises(SingularNormalEquationsError, match="pass fit_intercept=False") as info:
        least_squares(X[:, 1:], y, fit_intercept=True)
    assert info.value.column_names == ("intercept", "column 0", "column 1")
    assert info.value.dummy_trap


def test_two_full_sets_of_indicators_give_two_traps():
    a = np.array([1, 1, 0, 0, 1, 0, 1, 0.0])
    b = np.array([1, 0, 1, 0, 0, 1, 1, 0.0])
    X = np.column_stack([a, 1 - a, b, 1 - b])
    with pytest.raises(SingularNormalEquationsError) as info:
        least_squares(X, np.arange(8.0), fit_intercept=True)
    err = info.value
    assert err.rank == 3
    assert err.equations == ["intercept = column 0 + column 1", "intercept = column 2 + column 3"]
    assert "one indicator column of each group" in str(err)


def test_dependency_with_fractions_is_written_readably():
    rng = np.random.default_rng(0)
    B = rng.normal(size=(8, 3))
    X = np.column_stack([B, B[:, 0], 2 * B[:, 1] - 0.5 * B[:, 2], np.zeros(8)])
    with pytest.raises(SingularNormalEquationsError) as info:
        least_squares(X, rng.normal(size=8))
    err = info.value
    assert not err.dummy_trap
    assert err.rank == 3 and err.n_columns == 6
    assert err.equations == [
        "column 0 = column 3",
        "column 4 = 2 × column 1 - 0.5 × column 2",
        "column 5 = 0 (it is all zeros)",
    ]
    np.testing.assert_allclose(X @ err.dependencies.T, 0.0, atol=1e-12)
    assert "drop one of the columns named in each dependency" in str(err)


def test_dependency_between_columns_in_different_units():
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(2, 12))
    X = np.column_stack([a, 1e-9 * a, 3e8 * b])
    with pytest.raises(SingularNormalEquationsError) as info:
        least_squares(X, rng.normal(size=12))
    assert info.value.equations == ["column 0 = 1e+09 × column 1"]
    np.testing.assert_allclose(info.value.dependency, [1.0, -1e9, 0.0])


def test_nearly_dependent_columns_are_numerically_singular():
    rng = np.random.default_rng(1)
    B = rng.normal(size=(20, 2))
    X = np.column_stack([B, B[:, 0] + 1e-10 * rng.normal(size=20)])
    y = rng.normal(size=20)
    with pytest.raises(SingularNormalEquationsError, match="numerically singular") as info:
        least_squares(X, y)
    assert info.value.equations == ["column 0 = column 2"]
    # With a tolerance below the conditioning, the (inaccurate) solve goes ahead.
    assert least_squares(X, y, rtol=1e-12).coef.shape == (3,)


def test_more_columns_than_rows():
    rng = np.random.default_rng(2)
    with pytest.raises(SingularNormalEquationsError, match="only 2 rows for 4 columns") as info:
        least_squares(rng.normal(size=(2, 4)), rng.normal(size=2))
    assert info.value.rank == 2
    assert info.value.dependencies.shape == (2, 4)


def test_a_single_row_with_an_intercept_is_singular():
    with pytest.raises(SingularNormalEquationsError, match="rank 1 but 2 columns"):
        least_squares([[3.0]], [1.0], fit_intercept=True)


def test_column_units_do_not_matter():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(25, 3))
    y = rng.normal(size=25)
    units = np.array([1e-200, 1.0, 1e150])
    fit = least_squares(X * units, y, fit_intercept=True)
    plain = least_squares(X, y, fit_intercept=True)
    np.testing.assert_allclose(fit.coef * units, plain.coef, rtol=1e-9)
    assert fit.intercept == pytest.approx(plain.intercept, rel=1e-9)


def test_unrepresentable_coefficients_are_reported():
    with pytest.raises(ValueError, match="too large to represent"):
        least_squares([[1e-310], [0.0]], [1.0, 1.0])


def test_the_error_survives_pickling():
    X, y = datasets.dummy_trap()
    with pytest.raises(SingularNormalEquationsError) as info:
        least_squares(X, y)
    copy = pickle.loads(pickle.dumps(info.value))
    assert str(copy) == str(info.value)
    assert copy.rank == 2 and copy.equations == info.value.equations


@pytest.mark.parametrize(
    ("X", "y", "kwargs", "error", "match"),
    [
        (np.ones(3), np.ones(3), {}, ValueError, "expected a 2-D array.*reshape"),
        (np.ones((3, 1)), np.ones((3, 1)), {}, ValueError, "expected a 1-D array.*ravel"),
        (np.ones((3, 1)), np.ones(4), {}, ValueError, "X has 3 rows, y has 4 entries"),
        (np.ones((0, 1)), np.ones(0), {}, ValueError, "no rows"),
        (np.ones((3, 0)), np.ones(3), {}, ValueError, "no columns"),
        (
            [[1.0, 2.0], [3.0, np.nan], [np.inf, 0.0]],
            np.ones(3),
            {},
            ValueError,
            r"X\[1, 1\] is nan \(row 1, column 1\)",
        ),
        (np.ones((3, 1)), [0.0, 1.0, -np.inf], {}, ValueError, r"y\[2\] is -inf"),
        ([[1.0, 2.0], [3.0]], np.ones(2), {}, ValueError, "different lengths"),
        (np.array([["a"], ["b"]]), np.ones(2), {}, TypeError, "expected numbers"),
        (np.ones((2, 1)) * 1j, np.ones(2), {}, TypeError, "complex"),
        (np.eye(2), np.ones(2), {"fit_intercept": 1}, TypeError, "fit_intercept"),
        (np.eye(2), np.ones(2), {"rtol": 0.0}, ValueError, r"rtol.*\(0, 1\)"),
        (np.eye(2), np.ones(2), {"rtol": "tiny"}, TypeError, "rtol"),
    ],
)
def test_least_squares_validation(X, y, kwargs, error, match):
    with pytest.raises(error, match=match):
        least_squares(X, y, **kwargs)


# ------------------------------------------------------------------------------- properties

_shapes = st.integers(1, 5).flatmap(lambda p: st.tuples(st.integers(p + 1, p + 12), st.just(p)))
# Zero or a magnitude in [1e-6, 10]: far-from-unit scales are tested on their own below.
_entries = st.one_of(st.just(0.0), st.floats(1e-6, 10), st.floats(-10, -1e-6))


@settings(max_examples=60, deadline=None)
@given(data=st.data(), shape=_shapes, fit_intercept=st.booleans())
def test_full_rank_matches_lstsq(data, shape, fit_intercept):
    n, p = shape
    X = data.draw(hnp.arrays(np.float64, (n, p), elements=_entries), label="X")
    y = data.draw(hnp.arrays(np.float64, (n,), elements=_entries), label="y")
    A = np.column_stack([np.ones(n), X]) if fit_intercept else X
    assume(np.linalg.cond(A) < 1e4)
    fit = least_squares(X, y, fit_intercept=fit_intercept)
    reference = np.linalg.lstsq(A, y, rcond=None)[0]
    ours = np.concatenate([[fit.intercept], fit.coef]) if fit_intercept else fit.coef
    scale = max(1.0, float(np.linalg.norm(reference)), float(np.linalg.norm(y)))
    np.testing.assert_allclose(ours, reference, rtol=1e-6, atol=1e-6 * scale)
    if not fit_intercept:
        assert fit.intercept == 0.0


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    shape=_shapes,
    weights=st.lists(st.integers(-3, 3), min_size=5, max_size=5),
)
def test_a_copied_combination_of_columns_is_always_caught(data, shape, weights):
    n, p = shape
    X = data.draw(hnp.arrays(np.float64, (n, p), elements=_entries), label="X")
    extra = X @ np.array(weights[:p], dtype=float)
    design = np.column_stack([X, extra])
    with pytest.raises(SingularNormalEquationsError) as info:
        least_squares(design, np.zeros(n))
    err = info.value
    assert err.rank < p + 1
    assert len(err.equations) == err.n_columns - err.rank == len(err.dependencies)
    scale = max(1.0, float(np.abs(design).max()))
    np.testing.assert_allclose(design @ err.dependencies.T, 0.0, atol=1e-6 * scale)
