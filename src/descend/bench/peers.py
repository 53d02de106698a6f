"""What descend is compared with: the floor, plain NumPy, plain Python, PyTorch, scikit-learn.

Each builder returns a function of no arguments that does one unit of the workload's work
(one epoch, one fit, one read of X) from the same starting point every time it is called, so
that repeats time the same work. Builders of optional peers return None when the peer cannot
be imported; :func:`missing` gives the note to show instead.

The references are written the way a careful user would write them, not handicapped: the NumPy
forms use BLAS for both products, the PyTorch loops wrap X with ``torch.from_numpy`` (no copy)
and use the library's own optimizers, and the Python loop uses ``sum(map(operator.mul, ...))``,
the quickest dot product plain Python has.
"""

from __future__ import annotations

import functools
import importlib
import math
import operator
import warnings
from collections.abc import Callable

import numpy as np

__all__ = [
    "INSTALL_HINT",
    "import_peer",
    "minimize_loop",
    "missing",
    "numpy_adam_epoch",
    "numpy_full_batch_epoch",
    "one_thread",
    "python_sgd_epoch",
    "read_floors",
    "sklearn_loss_passes",
    "sklearn_sgd_fit",
    "torch_adam_epoch",
    "torch_full_batch_epoch",
    "torch_threads",
]

INSTALL_HINT = 'pip install "descend[bench]"'

#: The peers that may be missing, by the module they import, with their display names.
OPTIONAL = {
    "torch": "PyTorch",
    "sklearn": "scikit-learn",
    "numba": "Numba",
    "distributed": "Dask's distributed",
    "dask_ml": "dask-ml",
    "jax": "JAX",
    "autograd": "autograd",
}
#: What installs a missing module, where not :data:`INSTALL_HINT`: Dask and its cluster come
#: with descend's own dask extra.
HINTS = {
    "distributed": 'pip install "descend[dask]"',
    "dask": 'pip install "descend[dask]"',
    "jax": 'pip install "descend[autodiff]"',
    "autograd": 'pip install "descend[autodiff]"',
}


def import_peer(module: str):
    """The peer's module, or None when it cannot be imported (not installed, or broken)."""
    try:
        return importlib.import_module(module)
    except Exception:  # a broken install counts as missing: the suite goes on without it
        return None


def missing(module: str) -> str:
    """The note shown in place of a peer that is not installed."""
    name = OPTIONAL.get(module, module)
    return f"{name} is not installed, so its rows are skipped: {HINTS.get(module, INSTALL_HINT)}"


# ------------------------------------------------------------------------------ the floor


def read_floors(X: np.ndarray) -> dict[str, Callable[[], object]]:
    """Honest single reads of every byte of X, the fastest of which is the floor.

    ``X.sum()`` (NumPy's pairwise sum, one core), ``X @ ones`` and ``ones @ X`` (BLAS
    matrix-vector products, on as many cores as BLAS uses) and, with Numba, a row-parallel
    compiled sum on all the cores, plain and prefetching ahead as descend's kernels do.
    """
    ones_d = np.ones(X.shape[1], dtype=X.dtype)
    ones_n = np.ones(X.shape[0], dtype=X.dtype)
    reads: dict[str, Callable[[], object]] = {
        "X.sum()": X.sum,
        "X @ ones": lambda: X @ ones_d,
        "ones @ X": lambda: ones_n @ X,
    }
    if import_peer("numba") is not None:
        from descend.kernels import compiled

        reads["Numba parallel sum"] = lambda: compiled.total(X)
        reads["Numba parallel sum, prefetching"] = lambda: compiled.total(X, prefetch=True)
    return reads


# ----------------------------------------------------------------------- full-batch epoch


def _dloss(loss: str):
    """The derivative of the loss in the model's output, NumPy form."""
    if loss == "squared_error":
        return lambda z, y: z - y
    from scipy.special import expit

    return lambda z, y: expit(z) - y


def numpy_full_batch_epoch(X, y, loss: str, rate: float) -> Callable[[], np.ndarray]:
    """One full-batch gradient step the two-pass way: ``z = X·w + b``, then ``Xᵀ·e``."""
    n, d = X.shape
    dloss = _dloss(loss)
    y_ = y.astype(X.dtype, copy=False)

    def epoch():
        w, b = np.zeros(d, dtype=X.dtype), 0.0
        e = dloss(X @ w + b, y_) / n
        w -= rate * (X.T @ e)
        b -= rate * float(e.sum())
        return w, b

    return epoch


def torch_full_batch_epoch(X, y, loss: str, rate: float):
    """One full-batch step in PyTorch on the CPU: forward, backward, ``optim.SGD`` step."""
    torch = import_peer("torch")
    if torch is None:
        return None
    Xt = torch.from_numpy(X)  # shares X's memory
    yt = torch.from_numpy(y.astype(X.dtype, copy=False))
    w = torch.zeros(X.shape[1], dtype=Xt.dtype, requires_grad=True)
    b = torch.zeros(1, dtype=Xt.dtype, requires_grad=True)
    opt = torch.optim.SGD([w, b], lr=rate)
    objective = _torch_loss(torch, loss)

    def epoch():
        with torch.no_grad():
            w.zero_()
            b.zero_()
        opt.zero_grad()
        objective(Xt @ w + b, yt).backward()
        opt.step()
        return w

    return epoch


def _torch_loss(torch, loss: str):
    if loss == "squared_error":
        return lambda z, y: 0.5 * torch.mean((z - y) ** 2)
    return torch.nn.functional.binary_cross_entropy_with_logits


def torch_threads(fn, threads: int):
    """``fn`` run with PyTorch limited to ``threads`` threads (restored afterwards): on a
    small machine, or with small batches, one thread can beat the default."""
    torch = import_peer("torch")

    def run():
        before = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            return fn()
        finally:
            torch.set_num_threads(before)

    return run


# --------------------------------------------------------------------------- stochastic


def sklearn_sgd_fit(X, y, loss: str, rate: float, shuffle: bool = False):
    """scikit-learn's whole public ``fit`` for one epoch of per-sample SGD at a constant rate
    with no penalty (the loss's own SGDRegressor or SGDClassifier)."""
    linear_model = import_peer("sklearn.linear_model")
    if linear_model is None:
        return None
    from sklearn.exceptions import ConvergenceWarning

    cls = linear_model.SGDRegressor if loss == "squared_error" else linear_model.SGDClassifier
    settings = dict(
        loss=loss, penalty=None, learning_rate="constant", eta0=rate, max_iter=1, tol=None,
        shuffle=shuffle, random_state=0, average=False, fit_intercept=True,
    )  # fmt: skip

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # one epoch is what we ask for
            return cls(**settings).fit(X, y)

    return fit


# ------------------------------------------------------------------- scikit-learn's solvers

#: The methods of scikit-learn's ``LinearModelLoss`` that go over every row of X: its
#: logistic-regression solvers other than sag and saga work through them.
LINEAR_LOSS_PASSES = (
    "loss",
    "loss_gradient",
    "gradient",
    "gradient_hessian",
    "gradient_hessian_product",
    "weight_intercept_raw",
)


def sklearn_loss_passes(fit: Callable[[], object]) -> tuple[object, int | None]:
    """Run ``fit`` once and count the passes over the rows that scikit-learn's solvers make.

    A pass is a call of one of :data:`LINEAR_LOSS_PASSES` on scikit-learn's
    ``LinearModelLoss`` that no other such call made: the loss and gradient together (what
    L-BFGS evaluates, line-search trials included), the gradient and Hessian of a Newton step,
    or the scores ``X @ w`` alone. Each is one evaluation over all the rows, though scikit-learn
    reads X twice for a loss and gradient (``X @ w``, then ``Xᵀ r``) where descend's fused
    kernel reads it once, and a Hessian costs a product ``Xᵀ S X`` rather than a read. Returns
    what ``fit`` returned and the count, or None in place of the count where scikit-learn has
    no such class (then ``fit`` ran uncounted).
    """
    try:
        from sklearn.linear_model._linear_loss import LinearModelLoss
    except ImportError:
        return fit(), None
    originals = {
        name: LinearModelLoss.__dict__[name]
        for name in LINEAR_LOSS_PASSES
        if name in LinearModelLoss.__dict__
    }
    count, depth = 0, 0

    def counted(method):
        @functools.wraps(method)
        def wrapper(*args, **kwargs):
            nonlocal count, depth
            count += depth == 0
            depth += 1
            try:
                return method(*args, **kwargs)
            finally:
                depth -= 1

        return wrapper

    for name, method in originals.items():
        setattr(LinearModelLoss, name, counted(method))
    try:
        result = fit()
    finally:
        for name, method in originals.items():
            setattr(LinearModelLoss, name, method)
    return result, count


def one_thread(fn: Callable[[], object]) -> Callable[[], object] | None:
    """``fn`` with BLAS and OpenMP held to one thread while it runs (through threadpoolctl,
    which scikit-learn brings), or None without threadpoolctl."""
    threadpoolctl = import_peer("threadpoolctl")
    if threadpoolctl is None:
        return None

    def run():
        with threadpoolctl.threadpool_limits(1):
            return fn()

    return run


def python_sgd_epoch(X, y, loss: str, rate: float, rows: int) -> Callable[[], list]:
    """Per-sample SGD in plain Python (lists and floats) over the first ``rows`` rows; the
    conversion to lists is done once, outside the timed call."""
    data = X[:rows].tolist()
    targets = y[:rows].astype(float).tolist()
    d = X.shape[1]
    squared = loss == "squared_error"
    mul, exp = operator.mul, math.exp

    def epoch():
        w, b = [0.0] * d, 0.0
        for x, t in zip(data, targets, strict=True):
            z = sum(map(mul, w, x)) + b
            if squared:
                e = z - t
            else:
                e = (1.0 / (1.0 + exp(-z)) if z >= 0 else exp(z) / (1.0 + exp(z))) - t
            step = rate * e
            w = [wj - step * xj for wj, xj in zip(w, x, strict=True)]
            b -= step
        return w, b

    return epoch


# ------------------------------------------------------------------------- mini-batch Adam


def numpy_adam_epoch(X, y, batch: int, rate: float, betas=(0.9, 0.999), eps=1e-8):
    """Mini-batch Adam (PyTorch's rule) on the squared error, a plain NumPy loop over
    contiguous batches."""
    n, d = X.shape
    b1, b2 = betas

    def epoch():
        theta = np.zeros(d + 1)
        m, v = np.zeros(d + 1), np.zeros(d + 1)
        g = np.empty(d + 1)
        for t, start in enumerate(range(0, n, batch), start=1):
            Xb, yb = X[start : start + batch], y[start : start + batch]
            e = (Xb @ theta[:d] + theta[d] - yb) / len(yb)
            g[:d] = Xb.T @ e
            g[d] = e.sum()
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            denom = np.sqrt(v / (1 - b2**t)) + eps
            theta -= (rate / (1 - b1**t)) * m / denom
        return theta

    return epoch


def torch_adam_epoch(X, y, batch: int, rate: float):
    """The same loop with ``torch.optim.Adam`` on the CPU: slices of ``torch.from_numpy(X)``,
    forward, backward, step."""
    torch = import_peer("torch")
    if torch is None:
        return None
    Xt = torch.from_numpy(X)
    yt = torch.from_numpy(y.astype(X.dtype, copy=False))
    n, d = X.shape

    def epoch():
        w = torch.zeros(d, dtype=Xt.dtype, requires_grad=True)
        b = torch.zeros(1, dtype=Xt.dtype, requires_grad=True)
        opt = torch.optim.Adam([w, b], lr=rate)
        for start in range(0, n, batch):
            Xb, yb = Xt[start : start + batch], yt[start : start + batch]
            opt.zero_grad()
            (0.5 * torch.mean((Xb @ w + b - yb) ** 2)).backward()
            opt.step()
        return w

    return epoch


# -------------------------------------------------------------------- minimize overhead


def minimize_loop(fun, grad, x0, rate: float, momentum: float, n_iter: int):
    """The momentum iteration by hand, keeping what ``descend.minimize`` records per point:
    x, f and the gradient's norm."""
    x0 = np.asarray(x0, dtype=float)

    def run():
        x = x0.copy()
        velocity = np.zeros_like(x)
        xs = np.empty((n_iter + 1, x.size))
        fs = np.empty(n_iter + 1)
        norms = np.empty(n_iter + 1)
        for k in range(n_iter + 1):
            g = grad(x)
            xs[k] = x
            fs[k] = fun(x)
            norms[k] = math.sqrt(float(g @ g))
            if k == n_iter:
                break
            velocity = momentum * velocity - rate * g
            x = x + velocity
        return xs, fs, norms

    return run
