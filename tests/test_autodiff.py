"""descend.autodiff and grad="jax" | "torch" | "autograd" | "complex-step" | "auto".

Each backend's tests are skipped, with the reason, where it is not installed; complex-step
needs nothing. The gradients are compared with the hand-written ones of descend.functions
and of the functions here; the runs with the runs on the hand-written gradient.
"""

import math
import sys

import numpy as np
import pytest

import descend
from descend import functions
from descend.autodiff import Gradient

BACKENDS = ("jax", "torch", "autograd", "complex-step")
MODULES = {"jax": "jax.numpy", "torch": "torch", "autograd": "autograd.numpy"}


def library(backend):
    """The array module a function for ``backend`` is written with (skips when missing)."""
    if backend == "complex-step":
        return np
    return pytest.importorskip(MODULES[backend], reason=f"{backend} is not installed")


def rosenbrock_in(m):
    def rosenbrock(x):
        return m.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    return rosenbrock


def relative(a, b) -> float:
    """Max-norm relative difference."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture(scope="module")
def rosen(backend):
    """The backend's Rosenbrock and its Gradient, made once (JAX compiles once)."""
    fun = rosenbrock_in(library(backend))
    return fun, descend.autodiff.gradient(fun, backend)


# ------------------------------------------------------------------------- exact gradients


def test_rosenbrock_100d_gradient_matches_the_hand_written_one(rosen):
    _, g = rosen
    x = np.random.default_rng(0).uniform(-2.0, 2.0, 100)
    value, grad = g.value_and_grad(x)
    assert type(value) is float and grad.dtype == np.float64 and grad.shape == (100,)
    assert relative(grad, functions.rosenbrock.grad(x)) <= 1e-12
    assert value == pytest.approx(functions.rosenbrock(x), rel=1e-14)


def _wavy(m):
    return lambda x: m.sum(m.exp(x / 3.0) * m.sin(x))


def _wavy_grad(x):
    return np.exp(x / 3.0) * (np.sin(x) / 3.0 + np.cos(x))


def _himmelblau(m):
    return lambda p: (p[0] ** 2 + p[1] - 11.0) ** 2 + (p[0] + p[1] ** 2 - 7.0) ** 2


def _quadratic(m):
    return lambda x, A, b: 0.5 * (x @ (A @ x)) - b @ x


A = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, -1.0], [0.5, -1.0, 2.0]])
B = np.array([1.0, -2.0, 0.5])

OTHERS = {
    "wavy": (_wavy, _wavy_grad, np.linspace(-2.0, 3.0, 7), ()),
    "himmelblau": (_himmelblau, functions.himmelblau.grad, np.array([-1.3, 2.7]), ()),
    "quadratic with data": (_quadratic, lambda x, A, b: A @ x - b, np.array([0.3, -1.0, 2.0]),
                            (A, B)),
}  # fmt: skip


@pytest.mark.parametrize("name", OTHERS)
def test_other_functions_match_their_hand_written_gradients(backend, name):
    make, exact, x, args = OTHERS[name]
    g = descend.autodiff.gradient(make(library(backend)), backend)
    assert relative(g(x, *args), exact(x, *args)) <= 1e-12


def _bowl(m):
    return lambda x: (x - 3.0) ** 2 + x * m.sin(x)


def test_a_float_x0_runs_on_floats(backend):
    def grad(x):
        return 2.0 * (x - 3.0) + math.sin(x) + x * math.cos(x)

    mine = descend.minimize(_bowl(library(backend)), 0.5, grad=backend, learning_rate=0.05,
                            max_iter=40)  # fmt: skip
    hand = descend.minimize(_bowl(np), 0.5, grad=grad, learning_rate=0.05, max_iter=40)
    assert type(mine.x) is float and type(mine.grad) is float
    assert mine.gradient == backend and hand.gradient == "analytic"
    np.testing.assert_allclose(mine.history.x, hand.history.x, rtol=1e-12, atol=1e-14)
    assert mine.grad == pytest.approx(hand.grad, rel=1e-12)


def test_maximize_with_a_backend(backend):
    x0 = np.array([0.5, 1.0])
    mine = descend.maximize(_wavy(library(backend)), x0, grad=backend, learning_rate=0.1,
                            max_iter=30)  # fmt: skip
    hand = descend.maximize(_wavy(np), x0, grad=_wavy_grad, learning_rate=0.1, max_iter=30)
    assert mine.fun > _wavy(np)(x0)
    np.testing.assert_allclose(mine.history.x, hand.history.x, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(mine.grad, hand.grad, rtol=1e-12, atol=1e-14)


def _same_path(rosen, optimizer, dim=10, max_iter=25):
    fun, g = rosen
    x0 = np.linspace(-1.5, 1.2, dim)
    settings = {"max_iter": max_iter}
    if optimizer not in ("lbfgs", "cg"):
        settings["learning_rate"] = 1e-4 if optimizer in ("gd", "momentum", "nesterov") else 1e-2
    mine = descend.minimize(fun, x0, grad=g, optimizer=optimizer, **settings)
    hand = descend.minimize(functions.rosenbrock, x0, optimizer=optimizer, **settings)
    assert (mine.nit, mine.reason) == (hand.nit, hand.reason)
    assert (mine.nfev, mine.ngev) == (hand.nfev, hand.ngev)
    np.testing.assert_allclose(mine.history.x, hand.history.x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mine.history.f, hand.history.f, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_runs_follow_the_path_of_the_hand_written_gradient(rosen, optimizer):
    _same_path(rosen, optimizer)


@pytest.mark.slow
@pytest.mark.parametrize("optimizer", descend.optimizers.OPTIMIZERS)
def test_every_optimizer_follows_the_hand_written_path(rosen, optimizer):
    # The gradients agree to an ulp or two; L-BFGS and CG amplify such differences step by
    # step on Rosenbrock (to ~1e-8 after some 15 steps in 20-D, exact gradients either way),
    # so they are compared over their first steps.
    quasi_newton = optimizer in ("lbfgs", "cg")
    _same_path(rosen, optimizer, dim=20, max_iter=12 if quasi_newton else 60)


def test_f_and_the_gradient_at_one_point_cost_one_evaluation():
    real_points = []

    def fun(x):
        if np.isrealobj(x):  # the backend's one evaluation at a point starts with f itself
            real_points.append(x.tobytes())
        return np.sum(np.sin(x) ** 2)

    g = descend.autodiff.gradient(fun, "complex-step", verify=False)
    res = descend.minimize(fun, np.array([0.1, 0.2, 0.3]), grad=g, max_iter=5)
    assert res.nfev >= 5 and res.ngev >= 5
    assert len(real_points) == len(set(real_points))  # never twice at one point in a run
    # outside a run nothing is kept: each direct call evaluates afresh
    x = np.array([0.1, 0.2, 0.3])
    before = len(real_points)
    g.value(x)
    grad = g(x)
    assert len(real_points) == before + 2
    grad[0] = 99.0  # the caller's copy
    assert g(x)[0] != 99.0


@pytest.mark.parametrize("backend", ["jax", "torch", "autograd", "complex-step"])
def test_data_changed_in_place_are_read_afresh(backend):
    m = library(backend)

    def fun(w, y):
        return m.sum((w - y) ** 2)

    g = descend.autodiff.gradient(fun, backend)
    y = np.ones(1000)
    g(np.zeros(1000), y)
    y[:] = 5.0
    np.testing.assert_array_equal(g(np.full(1000, 0.5), y)[:2], [-9.0, -9.0])
    assert g.value(np.zeros(1000), y) == 25_000.0
    # a warm start with the same Gradient after the data changed in place moves to them
    y = np.ones(3)
    first = descend.minimize(fun, np.zeros(3), grad=g, args=(y,), learning_rate=0.5)
    np.testing.assert_allclose(first.x, 1.0)
    y[:] = 5.0
    second = descend.minimize(fun, first.x, grad=g, args=(y,), learning_rate=0.5)
    np.testing.assert_allclose(second.x, 5.0)


def test_public_building_blocks_work_with_check_grad():
    fun = _wavy(np)
    x = np.array([0.2, -0.7, 1.4])
    g = descend.autodiff.gradient(fun, "complex-step")
    assert isinstance(g, Gradient) and repr(g).startswith("Gradient(complex-step, ")
    assert descend.check_grad(fun, g, x) < 1e-8
    value, grad = descend.autodiff.value_and_grad(fun, "complex-step")(x)
    assert value == pytest.approx(fun(x), rel=1e-15)
    assert relative(grad, _wavy_grad(x)) <= 1e-14


def test_check_grad_of_a_jax_gradient_differences_in_float64():
    fun = rosenbrock_in(library("jax"))
    g = descend.autodiff.gradient(fun, "jax")
    assert descend.check_grad(fun, g, np.array([-1.2, 1.0, 0.5])) < 1e-8


# ------------------------------------------------------------------------------ the sweep


def test_jax_sweep_is_vectorised_and_matches_minimize_run_by_run():
    jnp = library("jax")
    fun = rosenbrock_in(jnp)
    g = descend.autodiff.gradient(fun, "jax")
    x0 = [-1.2, 1.0, 0.5]
    table = descend.sweep(fun, x0, learning_rate=[1e-4, 5e-4], momentum=[0.0, 0.9],
                          optimizer="momentum", n_iter=60, grad=g)  # fmt: skip
    assert table.vectorised and table[0].result().gradient == "jax"
    hand = descend.sweep(functions.rosenbrock, x0, learning_rate=[1e-4, 5e-4],
                         momentum=[0.0, 0.9], optimizer="momentum", n_iter=60)  # fmt: skip
    np.testing.assert_allclose(table.x, hand.x, rtol=1e-12, atol=1e-12)
    for run in table:
        one = descend.minimize(fun, x0, grad=g, optimizer="momentum", max_iter=60,
                               **run.settings)  # fmt: skip
        assert (one.nit, one.reason) == (run.nit, run.reason)
        np.testing.assert_allclose(one.history.x, run.path, rtol=1e-12, atol=1e-12)


def test_jax_sweep_from_a_float_and_one_that_branches_on_x():
    jnp = library("jax")

    def smooth(x):
        return (x - 3.0) ** 2 + jnp.sin(x)

    table = descend.sweep(smooth, 0.0, learning_rate=[0.1, 0.2], n_iter=30, grad="auto")
    assert table.vectorised
    for run in table:
        one = descend.minimize(smooth, 0.0, grad="jax", max_iter=30, **run.settings)
        assert one.x == pytest.approx(run.x, rel=1e-12)

    def branchy(x):  # Python branching on x: no vmap, the runs one at a time
        return jnp.sum(x**2) + (1.0 if x[0] > 0 else 0.0)

    table = descend.sweep(branchy, [1.0, 2.0], learning_rate=[0.1, 0.2], n_iter=5, grad="jax")
    assert not table.vectorised
    np.testing.assert_allclose(table.x[0], np.array([1.0, 2.0]) * 0.8**5, rtol=1e-14)


def test_jax_takes_ints_as_sizes_and_containers_of_arrays_as_data():
    jnp = library("jax")
    g = descend.autodiff.gradient(lambda x, n: jnp.sum(x[:n] ** 2), "jax")
    res = descend.minimize(g.fun, np.ones(3), grad=g, args=(2,), learning_rate=0.25, max_iter=1)
    np.testing.assert_array_equal(res.x, [0.5, 0.5, 1.0])
    assert g._engine.jitted  # the int is a constant of the compiled code, not a reason to drop jit
    table = descend.sweep(
        g.fun, np.ones(3), learning_rate=[0.25, 0.5], n_iter=1, grad=g, args=(2,)
    )
    assert table.vectorised
    np.testing.assert_array_equal(table.x, [[0.5, 0.5, 1.0], [0.0, 0.0, 1.0]])

    def fun(x, data, weights, names):
        assert names == ("a", "b")  # a hashable argument: held fixed
        return jnp.sum(weights["w"] * (x - data[0]) ** 2) + data[1]

    data, weights = [np.full(2, 3.0), 1.0], {"w": np.ones(2)}
    g = descend.autodiff.gradient(fun, "jax")
    np.testing.assert_array_equal(g(np.zeros(2), data, weights, ("a", "b")), [-6.0, -6.0])
    res = descend.minimize(fun, np.zeros(2), grad=g, args=(data, weights, ("a", "b")),
                           learning_rate=0.5, max_iter=1)  # fmt: skip
    np.testing.assert_array_equal(res.x, [3.0, 3.0])


def test_jax_names_an_argument_it_can_neither_trace_nor_hold_fixed():
    jnp = library("jax")
    with pytest.raises(descend.AutodiffError, match=r"args\[1\] of fun, a list, is neither"):
        descend.minimize(lambda x, a, names: jnp.sum(x**2), np.ones(2), grad="jax",
                         args=(np.ones(2), ["a", "b"]))  # fmt: skip


def test_torch_takes_float32_reversed_and_byte_swapped_data():
    library("torch")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    y = X @ np.array([1.0, 2.0, 3.0])

    def loss(w, X, y):
        return ((X @ w - y) ** 2).mean()

    def by_hand(w, X, y):
        X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
        return 2.0 * X.T @ (X @ w - y) / len(y)

    w = np.array([0.5, -1.0, 2.0])
    g = descend.autodiff.gradient(loss, "torch")
    for data in [(X.astype(np.float32), y), (X[::-1], y[::-1]), (X.astype(">f8"), y)]:
        np.testing.assert_allclose(g(w, *data), by_hand(w, *data), rtol=1e-12)
    res = descend.minimize(loss, np.zeros(3), grad="torch", data=(X.astype(np.float32), y),
                           max_iter=3)  # fmt: skip
    assert res.gradient == "torch" and res.nit == 3


def test_torch_explains_what_fails_in_the_backward_pass():
    torch = library("torch")

    def changes_in_place(x):
        y = torch.exp(x)
        y.add_(1.0)
        return y.sum()

    def apart_from_x(x):
        w = torch.ones(2, dtype=torch.float64, requires_grad=True)
        return (2.0 * w).sum()

    g = descend.autodiff.gradient(changes_in_place, "torch")
    with pytest.raises(descend.AutodiffError, match=r"in place after using it.*y = y \+ 1"):
        g(np.ones(2))
    with pytest.raises(descend.AutodiffError, match="does not depend on x"):
        descend.autodiff.gradient(apart_from_x, "torch")(np.ones(2))


def test_autograd_takes_one_number_in_an_array():
    anp = library("autograd")
    g = descend.autodiff.gradient(lambda x: anp.sum(x**2, keepdims=True), "autograd")
    value, grad = g.value_and_grad(np.array([1.0, 2.0]))
    assert value == 5.0 and type(value) is float
    np.testing.assert_array_equal(grad, [2.0, 4.0])


@pytest.mark.parametrize("backend", ["jax", "autograd"])
def test_a_function_returning_none_is_refused(backend):
    library(backend)

    def forgot_return(x):
        x**2

    with pytest.raises(descend.AutodiffError, match="fun returned None; it must return one"):
        descend.autodiff.gradient(forgot_return, backend)(np.ones(2))


# ------------------------------------------------------------------------ clear errors


def test_jax_refuses_float32():
    jnp = library("jax")
    with pytest.raises(descend.AutodiffError, match=r"computes in float32 \(convert_element"):
        descend.minimize(lambda x: jnp.sum(x.astype(jnp.float32) ** 2).astype(jnp.float64),
                         np.ones(2), grad="jax", max_iter=2)  # fmt: skip
    with pytest.raises(descend.AutodiffError, match="float32"):
        descend.minimize(lambda x: jnp.sum(jnp.float32(x) ** 2), np.ones(2), grad="jax")
    # float32 data that x never meets are the user's business
    res = descend.minimize(
        lambda x, d: jnp.sum(x**2) + jnp.sum(d),
        np.ones(2),
        grad="jax",
        args=(np.ones(3, np.float32),),
        learning_rate=0.25,
        max_iter=1,
    )
    np.testing.assert_array_equal(res.x, [0.5, 0.5])


def test_jax_says_how_to_write_what_it_cannot_trace():
    jnp = library("jax")

    def in_place(x):
        x[0] = 1.0
        return jnp.sum(x)

    with pytest.raises(descend.AutodiffError, match=r"x\[0\] = 1.0\); JAX arrays cannot"):
        descend.minimize(in_place, np.ones(2), grad="jax")
    with pytest.raises(descend.AutodiffError, match="hands x to NumPy"):
        descend.minimize(lambda x: np.sum(np.sin(x)), np.ones(2), grad="jax")


def test_autograd_refuses_in_place_assignment_with_what_to_write():
    anp = library("autograd")

    def in_place(x):
        x[0] = 3.0
        return anp.sum(x**2)

    with pytest.raises(descend.AutodiffError) as caught:
        descend.minimize(in_place, np.ones(2), grad="autograd")
    text = str(caught.value)
    assert "assigns into x in place" in text and "x[0] = 3.0" in text
    assert "np.concatenate" in text and caught.value.__cause__ is None

    with pytest.raises(descend.AutodiffError, match="does not depend on x"):
        descend.minimize(lambda x: 3.0, np.ones(2), grad="autograd")


@pytest.mark.parametrize(
    ("fun", "words"),
    [
        (lambda x: float((x**2).sum().detach()), "not a torch tensor"),
        (lambda x: np.float64(2.0), "not a torch tensor"),
        (lambda x: x**2, r"shape \(2,\)"),
        (lambda x: (x.float() ** 2).sum(), "torch.float32"),
        (lambda x: (x.detach() ** 2).sum(), "does not depend on x"),
    ],
    ids=["float", "numpy value", "two numbers", "float32", "detached"],
)
def test_torch_refuses_what_is_not_a_float64_scalar_tensor_of_x(fun, words):
    library("torch")
    with pytest.raises(descend.AutodiffError, match=words):
        descend.minimize(fun, np.ones(2), grad="torch", max_iter=2)


@pytest.mark.parametrize(
    ("fun", "words"),
    [
        (lambda x: np.sum(np.abs(x)), r"fun calls abs\(\) or np.abs"),
        (lambda x: x[0] ** 2 + np.abs(x[1]), r"fun calls abs\(\) or np.abs"),
        (lambda x: float(x[0]) ** 2 + x[1] ** 2, "cast to a real one"),
        (lambda x: np.vdot(x, x), "fun calls np.vdot"),
        (functions.rosenbrock, "cast to a real one"),
    ],
    ids=["abs", "abs of one term", "float()", "vdot", "casts to float"],
)
def test_complex_step_refuses_what_drops_the_imaginary_part(fun, words):
    with pytest.raises(descend.AutodiffError, match=words):
        descend.minimize(fun, np.array([1.0, 2.0]), grad="complex-step", max_iter=2)


@pytest.mark.parametrize(
    ("backend", "command"),
    [("jax", "pip install jax"), ("torch", "pip install torch"),
     ("autograd", "pip install autograd")],
)  # fmt: skip
def test_a_missing_backend_names_what_to_install(monkeypatch, backend, command):
    monkeypatch.setitem(sys.modules, backend, None)  # what an absent package looks like
    with pytest.raises(ModuleNotFoundError, match=command):
        descend.minimize(lambda x: x[0] ** 2, np.ones(2), grad=backend)


def test_bad_grad_values_name_the_choices():
    with pytest.raises(ValueError, match="Invalid grad: 'tensorflow'; expected a callable"):
        descend.minimize(lambda x: x**2, 1.0, grad="tensorflow")
    with pytest.raises(ValueError, match="a check of a check"):
        descend.minimize(lambda x: x**2, 1.0, grad=("check", "check"))
    with pytest.raises(ValueError, match="Invalid backend: 'tf'"):
        descend.autodiff.gradient(lambda x: x**2, "tf")
    with pytest.raises(ValueError, match="Invalid h: 0.1"):
        descend.autodiff.gradient(lambda x: x**2, "complex-step", h=0.1)


# ----------------------------------------------------------------------- auto and check


LIBRARIES = ("jax", "torch", "autograd")  # what "auto" can find: the complex step is named


@pytest.mark.parametrize("backend", LIBRARIES)
def test_auto_picks_the_backend_the_code_uses(backend):
    m = library(backend)

    def helper(x):  # found through the function that calls it
        return m.sum(x**2)

    def fun(x):
        return helper(x) + 1.0

    assert descend.autodiff.detect(fun) == backend
    res = descend.minimize(fun, np.ones(2), grad="auto", learning_rate=0.25, max_iter=1)
    assert res.gradient == backend
    np.testing.assert_allclose(res.x, [0.5, 0.5], rtol=1e-15)


def test_auto_on_numpy_code_is_numeric_and_says_so():
    res = descend.minimize(lambda x: np.sum((x - 1.0) ** 2), np.zeros(2), grad="auto",
                           learning_rate=0.25, max_iter=3)  # fmt: skip
    assert res.gradient == "numeric"
    assert descend.minimize(functions.booth, [0.0, 0.0], grad="auto", max_iter=2).gradient == (
        "analytic"
    )  # a carried gradient wins
    assert descend.minimize(lambda x: x**2, 1.0, max_iter=2).gradient == "numeric"
    with pytest.raises(ValueError, match="uses none of JAX, PyTorch or autograd"):
        descend.autodiff.gradient(lambda x: np.sum(x**2))


def test_auto_refuses_to_guess_between_two_backends():
    jnp = library("jax")
    torch = library("torch")

    def both(x):
        return jnp.sum(x) + torch.sum(torch.as_tensor(x))

    with pytest.raises(ValueError, match="uses jax and torch"):
        descend.minimize(both, np.ones(2), grad="auto")


def test_check_compares_the_backend_with_finite_differences():
    fun = _wavy(np)
    res = descend.minimize(fun, np.ones(2), grad=("check", "complex-step"), max_iter=2)
    assert res.gradient == "complex-step"
    with pytest.raises(descend.GradientCheckError, match="The analytic gradient does not"):
        descend.minimize(fun, np.ones(2), grad=("check", lambda x: np.cos(x)), max_iter=2)
    with pytest.raises(ValueError, match="needs an analytic gradient to check"):
        descend.minimize(fun, np.ones(2), grad="check")  # plain NumPy: nothing to check


@pytest.mark.parametrize("backend", LIBRARIES)
def test_check_with_a_detected_backend(backend):
    fun = _wavy(library(backend))
    res = descend.minimize(fun, np.ones(2), grad="check", learning_rate=0.1, max_iter=3)
    assert res.gradient == backend


def test_jax_sweep_with_data_arguments_is_vectorised():
    jnp = library("jax")

    def fun(x, A, b):
        return 0.5 * (x @ (A @ x)) - jnp.dot(b, x)

    table = descend.sweep(fun, np.zeros(3), learning_rate=[0.05, 0.1], n_iter=40, grad="jax",
                          args=(A, B))  # fmt: skip
    assert table.vectorised
    hand = descend.sweep(_quadratic(np), np.zeros(3), learning_rate=[0.05, 0.1], n_iter=40,
                         grad=lambda x, A, b: A @ x - b, args=(A, B))  # fmt: skip
    np.testing.assert_allclose(table.x, hand.x, rtol=1e-12, atol=1e-14)


_DISPATCH = """
import os, sys
import jax, jax.numpy as jnp
import numpy as np
import descend
if sys.argv[1] == "started":
    jnp.ones(2).sum().block_until_ready()  # the program used JAX before descend
res = descend.minimize(lambda x: jnp.sum(x ** 2), np.ones(3), grad="jax", max_iter=3)
print(res.gradient, jax.config.read("jax_cpu_enable_async_dispatch"))
"""


@pytest.mark.parametrize(
    "case, keep, expected",
    [("fresh", None, "False"), ("fresh", "1", "True"), ("started", None, "True")],
)
def test_jax_dispatches_in_the_caller_only_where_descend_starts_it(case, keep, expected):
    """descend switches JAX's asynchronous CPU dispatch off when it is the first to start
    JAX, never in a program that started JAX before, nor with DESCEND_JAX_ASYNC_DISPATCH=1."""
    import os
    import subprocess

    library("jax")
    env = {k: v for k, v in os.environ.items() if k != "DESCEND_JAX_ASYNC_DISPATCH"}
    if keep is not None:
        env["DESCEND_JAX_ASYNC_DISPATCH"] = keep
    done = subprocess.run(
        [sys.executable, "-c", _DISPATCH, case], capture_output=True, text=True, env=env,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["jax", expected]
