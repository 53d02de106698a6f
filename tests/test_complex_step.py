"""grad="complex-step": what drops the imaginary part of x is refused, not silently wrong.

Two guards are tested on their own and together: the array f gets, which refuses ``abs``,
``.real`` and the rest where f calls them, and the comparison with central differences at
the first two points, which catches a kink right at the start."""

import numpy as np
import pytest

import descend
from descend.autodiff._complex_step import _stepped


def relative(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def _lasso():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 5))
    y = X @ [1.0, 0.0, 0.0, -2.0, 0.0] + 0.1 * rng.normal(size=40)
    return X, y


def test_the_lasso_is_refused_not_silently_wrong():
    X, y = _lasso()

    def f(w):
        return np.mean((X @ w - y) ** 2) + 5 * np.sum(np.abs(w))

    with pytest.raises(descend.AutodiffError, match=r"abs\(\) or np.abs"):
        descend.minimize(f, np.zeros(5), grad="complex-step", learning_rate=0.01, max_iter=2000)


def test_abs_is_refused_where_it_is_called_even_where_the_gradient_agrees():
    # at x0 = 0 the lost term's gradient is 0 both ways, so no comparison would see it; with
    # verify off only the watch on x can
    def f(x):
        return np.sum((x - 1.0) ** 2) + np.sum(np.abs(x))

    g = descend.autodiff.gradient(f, "complex-step", verify=False)
    with pytest.raises(descend.AutodiffError, match=r"np.abs \(at .*test_complex_step.py"):
        g(np.zeros(3))
    with pytest.raises(descend.AutodiffError, match=r"abs\(\) or np.abs"):
        descend.autodiff.gradient(lambda x: x**2 + abs(x), "complex-step")(0.0)


def test_a_kink_at_the_start_is_caught_at_the_second_point():
    # np.asarray takes x out of the watch: only the comparison can see the lost term, and at
    # x0 = 0 it agrees; one step later it does not
    X, y = _lasso()

    def f(w):
        return np.mean((X @ w - y) ** 2) + 5 * np.sum(np.abs(np.asarray(w)))

    g = descend.autodiff.gradient(f, "complex-step")
    g(np.zeros(5))  # agrees at the first point
    with pytest.raises(descend.AutodiffError, match="at the second point"):
        descend.minimize(f, np.zeros(5), grad="complex-step", learning_rate=0.01, max_iter=5)
    # verify=False turns both comparisons off: the gradient is then silently wrong
    quiet = descend.autodiff.gradient(f, "complex-step", verify=False)
    quiet(np.zeros(5))
    quiet(np.full(5, 0.5))


def test_the_comparison_is_done_at_two_points_only():
    calls = []

    def f(x):
        calls.append(1)
        return np.sum(np.sin(x) ** 2)

    g = descend.autodiff.gradient(f, "complex-step")
    counts = []
    for x in (np.zeros(3), np.zeros(3), np.ones(3), np.full(3, 2.0)):
        g._forget()  # ask the engine every time, not the kept result
        before = len(calls)
        g(x)
        counts.append(len(calls) - before)
    # f once, d complex steps, and 2d for central differences at the first two points
    assert counts == [1 + 3 + 6, 1 + 3, 1 + 3 + 6, 1 + 3]


@pytest.mark.parametrize(
    ("fun", "name"),
    [
        (lambda x: np.sum(x.real**2), r"x\.real"),
        (lambda x: np.sum(x.imag + x**2), r"x\.imag"),
        (lambda x: np.linalg.norm(x) ** 2, r"np\.linalg\.norm"),
        (lambda x: np.vdot(x, x), r"np\.vdot"),
        (lambda x: np.sum(np.sign(x) * x), r"np\.sign"),
        (lambda x: np.sum(np.real(x) ** 2), r"np\.real"),
        (lambda x: np.sum(np.conj(x) * x), r"np\.conj"),
        (lambda x: np.sum(np.round(x, 3) ** 2), r"np\.round"),
        (lambda x: np.sum(np.angle(x) + x), r"np\.angle"),
    ],
    ids=["real", "imag", "norm", "vdot", "sign", "np.real", "conj", "round", "angle"],
)
def test_what_drops_the_imaginary_part_is_refused_by_name(fun, name):
    with pytest.raises(descend.AutodiffError, match=rf"fun calls {name}.*grad='numeric'"):
        descend.minimize(fun, np.array([1.0, 2.0]), grad="complex-step", max_iter=2)


def test_the_watch_follows_x_through_numpy_and_lets_order_through():
    X = np.arange(6.0).reshape(3, 2)
    z = _stepped(np.array([1.0 + 1e-20j, -2.0]))
    for value in (X @ z, np.sum(z), z[0], np.exp(z), np.dot(z, z), z.reshape(2, 1), z * 2.0,
                  z[1:] - z[:-1] ** 2, np.where(z > 0, z, 0.0), np.maximum(z, 0.0),
                  np.concatenate([z, z]), next(iter(z)), z.sum()):  # fmt: skip
        assert type(value).__name__ == "_Stepped", value
    assert type(z > 0) is np.ndarray  # a comparison carries no step
    with pytest.raises(descend.AutodiffError):
        abs(np.sum(X @ z))


def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosen_grad(x):
    g = np.zeros_like(x)
    inner = x[1:] - x[:-1] ** 2
    g[:-1] = -400.0 * x[:-1] * inner - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * inner
    return g


def test_analytic_code_gives_the_gradient_by_hand():
    x = np.random.default_rng(1).uniform(-2.0, 2.0, 100)
    assert relative(descend.autodiff.gradient(rosen, "complex-step")(x), rosen_grad(x)) <= 1e-13

    def smooth(x):
        a = x.reshape(2, 2)
        return np.sum(np.exp(a) @ np.ones(2)) + np.tanh(x[0]) + np.log(x[1]) + np.sin(x).mean()

    def smooth_grad(x):
        return np.exp(x) + np.array([1 - np.tanh(x[0]) ** 2, 1 / x[1], 0, 0]) + np.cos(x) / 4

    x = np.array([0.3, 0.4, -0.5, 0.6])
    assert relative(descend.autodiff.gradient(smooth, "complex-step")(x), smooth_grad(x)) <= 1e-13


def test_a_batched_function_and_a_scalar_x():
    def batched(X):  # one row per point
        X = np.atleast_2d(X)
        return np.sum(100.0 * (X[:, 1:] - X[:, :-1] ** 2) ** 2 + (1.0 - X[:, :-1]) ** 2, axis=1)

    batched.batched = True
    x = np.random.default_rng(2).uniform(-2.0, 2.0, 300)  # more than one block of 256
    g = descend.autodiff.gradient(batched, "complex-step")
    assert relative(g(x), rosen_grad(x)) <= 1e-13

    scalar = descend.autodiff.gradient(lambda x: x**2 - 6 * x, "complex-step")
    assert isinstance(scalar(2.5), float)
    assert abs(scalar(2.5) - (-1.0)) <= 1e-13
    res = descend.minimize(lambda x: x**2 - 6 * x, 0.0, grad="complex-step", learning_rate=0.1)
    assert res.x == pytest.approx(3.0, abs=1e-4)


def test_only_the_first_two_points_are_watched():
    """The watch costs a Python call per NumPy operation: from the third point on, f runs on
    plain complex arrays, with the same gradient."""
    from descend.autodiff import _complex_step

    kinds = []

    def f(x):
        kinds.append(type(x) is _complex_step._Stepped)
        return np.sum(np.exp(x) * x**2)

    g = descend.autodiff.gradient(f, "complex-step")
    x = np.array([0.2, 0.4])
    for point in range(4):
        kinds.clear()
        np.testing.assert_allclose(g(x), np.exp(x) * (x**2 + 2 * x), rtol=1e-14)
        stepped = [k for k in kinds if k]
        assert (len(stepped) == 2) if point < 2 else not stepped, point
        x = x + 0.1
