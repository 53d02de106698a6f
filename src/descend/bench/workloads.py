"""The nine workloads of ``descend bench``, each a function of a :class:`Context`.

=== ====================================================== =====================================
#   workload                                               targets
=== ====================================================== =====================================
1   full-batch epoch, squared error and log loss,          ≤ 1.15 × the floor (fastest read of
    2 000 000 × 64, float64 and float32                    X); ≥ 3× NumPy two-pass; > PyTorch
2   stochastic epoch (batch 1), 1 000 000 × 32             ≥ 2× scikit-learn SGD (fit vs fit);
                                                           ≥ 100× a per-sample Python loop
3   mini-batch (256) Adam epoch, 1 000 000 × 32            ≥ 5× torch.optim.Adam; ≥ 2× NumPy
4   ``descend.minimize`` overhead, Momentum, 100 000       ≤ 2× a hand-written NumPy loop
    iterations with full history
5   sweep of 1 024 settings × 1 000 iterations on          ≥ 50× 1 024 ``minimize`` calls
    Rosenbrock
6   time to within 1e-4 of the optimum: logistic           ≥ 2× LogisticRegression(lbfgs); >
    500 000 × 50, ridge 200 000 × 50, 10-class softmax     newton-cholesky, sag, saga; > Ridge;
    100 000 × 50                                           ≥ 2× lbfgs on 10 classes
7   peak memory of a full-batch fit                        ≤ 1.1 × the size of X
8   scaling out (:mod:`descend.bench.scaling`): 800 000    a Dask pass ≤ 5 ms beyond compute; 2
    × 64 on local Dask clusters and in a ``.npy`` file     workers ≥ 1.6× 1; ≥ dask-ml's fastest
                                                           LogisticRegression to 1e-6; the file
                                                           ≤ 1.2× memory
9   gradient backends (:mod:`descend.bench.gradients`):    each within 1e-12 of the hand-written
    JAX, PyTorch, autograd, complex step on 100-D          gradient; a JAX step ≤ 30 µs beyond
    Rosenbrock                                             a hand-written one; ≥ 20× central
                                                           differences
=== ====================================================== =====================================

Quick mode runs every workload on tiny data, only to check that the suite works.
"""

from __future__ import annotations

import functools
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from descend.bench import peers
from descend.bench.report import Outcome, Row
from descend.bench.timing import Timing, race

__all__ = ["WORKLOADS", "Context", "run_workload"]

TORCH_THREADS = (
    "PyTorch is timed with its default threads and with one thread; the row shows the faster."
)

#: Rows filled per chunk when building X, so that no temporary the size of X is made.
CHUNK = 65_536


@dataclass
class Context:
    """How the suite runs: sizes, repeats, and where progress goes."""

    quick: bool = False
    repeat: int = 5
    progress: Callable[[str], None] = field(default=lambda text: None)

    def pick(self, full, quick):
        return quick if self.quick else full


def _size(n: int, d: int) -> str:
    return f"{n:,} × {d}".replace(",", " ")


# ---------------------------------------------------------------------------------- data


def make_data(n: int, d: int, dtype=np.float64, seed: int = 0):
    """X (standard normal, built in place chunk by chunk), regression targets in X's dtype and
    0/1 class indices from the same linear model."""
    rng = np.random.default_rng(seed)
    X = np.empty((n, d), dtype=dtype)
    for start in range(0, n, CHUNK):
        rng.standard_normal(out=X[start : start + CHUNK], dtype=dtype)
    w = rng.standard_normal(d) / math.sqrt(d)
    z = X @ w.astype(dtype)
    y_reg = (z + 0.1 * rng.standard_normal(n)).astype(dtype)
    y_cls = (z + rng.logistic(size=n) > 0).astype(np.intp)
    return X, y_reg, y_cls


def descend_epoch(X, y, loss: str, optimizer: str, rate: float, batch: int):
    """One epoch of :func:`descend.kernels.epoch` from zeros, with fresh optimizer state and
    the rows in order: the kernel that the estimators run."""
    from descend import kernels, losses, optimizers
    from descend.penalties import Penalty

    model = kernels.LinearModel(X.shape[1], 1, True)
    loss_ = losses.get(loss)
    opt = optimizers.make(optimizer, rate)
    penalty = Penalty(None)
    theta0 = np.zeros(model.size)

    def epoch():
        return kernels.epoch(
            theta0, opt.init(theta0), X, y, None, model=model, loss=loss_, penalty=penalty,
            optimizer=opt, rate=rate, batch_size=batch, rng=np.random.default_rng(0),
            shuffle=False,
        )  # fmt: skip

    return epoch


def _skip(outcome: Outcome, case: str, descend: str, reference: str, module: str) -> None:
    note = peers.missing(module)
    outcome.rows.append(
        Row(outcome.number, case, descend, None, reference, None, skipped=True, note=note)
    )
    if note not in outcome.notes:
        outcome.notes.append(note)


def _keep(outcome: Outcome, prefix: str, timings: dict[str, Timing]) -> None:
    for name, timing in timings.items():
        outcome.timings[f"{prefix}{name}"] = timing


# --------------------------------------------------------------------- 1: full-batch epoch


def full_batch(ctx: Context) -> Outcome:
    n, d = ctx.pick((2_000_000, 64), (20_000, 8))
    out = Outcome(1, "full-batch epoch", _size(n, d))
    rate = 0.1
    bounds = []
    torch_ok = peers.import_peer("torch") is not None
    for dtype in (np.float64, np.float32):
        X, y_reg, y_cls = make_data(n, d, dtype, seed=1)
        kind = np.dtype(dtype).name
        floors = peers.read_floors(X)
        for loss in ("squared_error", "log_loss"):
            ctx.progress(f"1: {loss}, {kind}")
            y = y_reg if loss == "squared_error" else y_cls
            contenders = {f"floor: {name}": fn for name, fn in floors.items()}
            contenders["descend"] = descend_epoch(X, y, loss, "gd", rate, n)
            contenders["NumPy two-pass"] = peers.numpy_full_batch_epoch(X, y, loss, rate)
            if torch_ok:
                step = peers.torch_full_batch_epoch(X, y, loss, rate)
                contenders["PyTorch"] = step
                contenders["PyTorch, 1 thread"] = peers.torch_threads(step, 1)
            timings = race(contenders, ctx.repeat)
            _keep(out, f"{loss} {kind}: ", timings)
            floor = min((k for k in timings if k.startswith("floor: ")), key=_median(timings))
            case = f"{loss.replace('_', ' ')}, {kind}"
            mine = timings["descend"].median
            out.rows.append(
                Row(1, case, "kernels.epoch", mine, f"floor ({floor[7:]})",
                    timings[floor].median, "at_most", 1.15)
            )  # fmt: skip
            two_pass = timings["NumPy two-pass"].median
            out.rows.append(
                Row(1, case, "kernels.epoch", mine, "NumPy two-pass (X·w, Xᵀ·e)", two_pass,
                    "at_least", 3.0)
            )  # fmt: skip
            # no epoch beats one read of X, so this is the most any epoch could gain here
            bounds.append(f"{case} {two_pass / timings[floor].median:.2f}×")
            if torch_ok:
                torch_name = _fastest_torch(timings)
                label = "PyTorch CPU step (SGD)" + _threads(torch_name)
                out.rows.append(
                    Row(1, case, "kernels.epoch", mine, label, timings[torch_name].median,
                        "at_least", 1.0)
                )  # fmt: skip
            else:
                _skip(out, case, "kernels.epoch", "PyTorch CPU step (SGD)", "torch")
        del X, y_reg, y_cls, floors
    out.notes.append(
        "The floor is the fastest of several complete reads of X (X.sum(), X @ ones, ones @ X"
        + (", a Numba parallel sum, plain and prefetching" if peers.import_peer("numba") else "")
        + ") timed in the same run; descend, NumPy and PyTorch each take one plain gradient "
        "step on the whole data from zeros."
    )
    out.notes.append(
        "The most any epoch could gain over NumPy two-pass in this run, since none reads X "
        "faster than the floor (NumPy two-pass ÷ floor): " + "; ".join(bounds) + "."
    )
    if torch_ok:
        out.notes.append(TORCH_THREADS)
    return out


def _fastest_torch(timings) -> str:
    """PyTorch with its default threads or with one, whichever ran faster: a peer at its best."""
    return min(("PyTorch", "PyTorch, 1 thread"), key=_median(timings))


def _threads(name: str) -> str:
    return ", 1 thread" if name.endswith("1 thread") else ""


def _median(timings):
    return lambda name: timings[name].median


# ------------------------------------------------------------------- 2: stochastic epoch


def stochastic(ctx: Context) -> Outcome:
    n, d = ctx.pick((1_000_000, 32), (20_000, 8))
    sample = ctx.pick(20_000, 2_000)
    out = Outcome(2, "stochastic epoch (batch size 1)", _size(n, d))
    from descend import GDClassifier, GDRegressor

    rate = 0.01
    X, y_reg, y_cls = make_data(n, d, seed=2)
    sklearn_ok = peers.import_peer("sklearn.linear_model") is not None
    for loss, cls, y in (
        ("squared_error", GDRegressor, y_reg),
        ("log_loss", GDClassifier, y_cls),
    ):
        ctx.progress(f"2: {loss}")
        estimator = cls(
            loss=loss, optimizer="gd", learning_rate=rate, batch_size=1, max_epochs=1, tol=None,
            shuffle=False, random_state=0, init="zeros",
        )  # fmt: skip
        folder = tempfile.mkdtemp(prefix="descend-bench-checkpoint-")
        contenders = {
            "descend kernel": descend_epoch(X, y, loss, "gd", rate, 1),
            "descend fit": lambda est=estimator, y=y: est.fit(X, y),
            "descend fit, checkpoint": lambda est=estimator, y=y, folder=folder: est.fit(
                X, y, checkpoint=folder, checkpoint_every=1
            ),
            "Python loop": peers.python_sgd_epoch(X, y, loss, rate, sample),
        }
        if sklearn_ok:
            contenders["scikit-learn fit"] = peers.sklearn_sgd_fit(X, y, loss, rate)
        scale = n / sample
        timings = race(
            contenders, ctx.repeat,
            scales={"Python loop": (scale, f"timed on the first {sample} rows, × {scale:g}")},
        )  # fmt: skip
        _keep(out, f"{loss}: ", timings)
        case = loss.replace("_", " ")
        peer = ("SGDRegressor" if loss == "squared_error" else "SGDClassifier") + ".fit"
        if sklearn_ok:
            out.rows.append(
                Row(2, case, f"{cls.__name__}.fit", timings["descend fit"].median,
                    f"scikit-learn {peer}", timings["scikit-learn fit"].median, "at_least", 2.0)
            )  # fmt: skip
        else:
            _skip(out, case, f"{cls.__name__}.fit", f"scikit-learn {peer}", "sklearn")
        shutil.rmtree(folder, ignore_errors=True)
        out.rows.append(
            Row(2, case, "fit, checkpoint every epoch", timings["descend fit, checkpoint"].median,
                "the same fit without", timings["descend fit"].median, "at_most", 1.05)
        )  # fmt: skip
        out.rows.append(
            Row(2, case, "kernels.epoch", timings["descend kernel"].median,
                "per-sample Python loop (scaled)", timings["Python loop"].median,
                "at_least", 100.0, note=timings["Python loop"].note)
        )  # fmt: skip
    out.notes.append(
        "One epoch at a constant learning rate of 0.01, no penalty, rows in order, from zeros: "
        "descend's public fit(max_epochs=1, tol=None, shuffle=False) against scikit-learn's "
        "public fit(max_iter=1, tol=None, shuffle=False, learning_rate='constant'); the kernel "
        "alone against plain Python."
    )
    out.notes.append(
        f"The per-sample Python loop is timed on the first {sample:,} rows and scaled by "
        f"{n / sample:g} to the {n:,} rows.".replace(",", " ")
    )
    return out


# ----------------------------------------------------------------- 3: mini-batch Adam epoch


def minibatch_adam(ctx: Context) -> Outcome:
    n, d = ctx.pick((1_000_000, 32), (20_000, 8))
    batch, rate = 256, 1e-3
    out = Outcome(3, "mini-batch (256) Adam epoch", _size(n, d))
    X, y, _ = make_data(n, d, seed=3)
    torch_ok = peers.import_peer("torch") is not None
    ctx.progress("3: adam")
    contenders = {
        "descend": descend_epoch(X, y, "squared_error", "adam", rate, batch),
        "NumPy loop": peers.numpy_adam_epoch(X, y, batch, rate),
    }
    if torch_ok:
        loop = peers.torch_adam_epoch(X, y, batch, rate)
        contenders["PyTorch"] = loop
        contenders["PyTorch, 1 thread"] = peers.torch_threads(loop, 1)
    timings = race(contenders, ctx.repeat)
    _keep(out, "", timings)
    case, mine = "squared error, float64", timings["descend"].median
    if torch_ok:
        torch_name = _fastest_torch(timings)
        label = "PyTorch loop, torch.optim.Adam" + _threads(torch_name)
        out.rows.append(
            Row(3, case, "kernels.epoch", mine, label, timings[torch_name].median, "at_least", 5.0)
        )  # fmt: skip
    else:
        _skip(out, case, "kernels.epoch", "PyTorch loop, torch.optim.Adam", "torch")
    out.rows.append(
        Row(3, case, "kernels.epoch", mine, "NumPy mini-batch loop",
            timings["NumPy loop"].median, "at_least", 2.0)
    )  # fmt: skip
    out.notes.append(
        f"Adam at {rate:g} (PyTorch's rule), batches of {batch} rows in order, from zeros."
    )
    if torch_ok:
        out.notes.append(TORCH_THREADS)
    return out


# -------------------------------------------------------------- 4: minimize overhead


def _booth(x):
    return (x[0] + 2.0 * x[1] - 7.0) ** 2 + (2.0 * x[0] + x[1] - 5.0) ** 2


def _booth_grad(x):
    return np.array([10.0 * x[0] + 8.0 * x[1] - 34.0, 8.0 * x[0] + 10.0 * x[1] - 38.0])


def minimize_overhead(ctx: Context) -> Outcome:
    import descend

    n_iter = ctx.pick(100_000, 2_000)
    rate, momentum, x0 = 1e-4, 0.9, [0.0, 0.0]
    out = Outcome(4, "descend.minimize overhead", f"{n_iter:,} iterations".replace(",", " "))
    ctx.progress("4: minimize")

    def ours():
        return descend.minimize(
            _booth, x0, grad=_booth_grad, learning_rate=rate, momentum=momentum,
            max_iter=n_iter,
        )  # fmt: skip

    timings = race(
        {"descend": ours, "hand-written loop": peers.minimize_loop(
            _booth, _booth_grad, x0, rate, momentum, n_iter)},
        ctx.repeat,
    )  # fmt: skip
    _keep(out, "", timings)
    result = ours()
    out.details["nit"] = int(result.nit)
    if result.nit != n_iter:
        out.notes.append(f"minimize stopped after {result.nit} iterations ({result.reason})")
    out.rows.append(
        Row(4, "Momentum on Booth, full history", "minimize", timings["descend"].median,
            "hand-written NumPy loop", timings["hand-written loop"].median, "at_most", 2.0)
    )  # fmt: skip
    out.notes.append(
        f"Both call the same Python f and gradient (Booth's function) from (0, 0) with "
        f"learning rate {rate:g} and momentum {momentum}; the loop keeps x, f and the "
        "gradient norm of every point in preallocated arrays."
    )
    return out


# ------------------------------------------------------------------------- 5: the sweep


def _sweep_function():
    import descend

    found = getattr(descend, "sweep", None)
    if found is None:
        try:
            import importlib

            found = importlib.import_module("descend.sweep")
        except ImportError:
            return None
    if not callable(found):
        found = getattr(found, "sweep", None)
    return found if callable(found) else None


def sweep(ctx: Context) -> Outcome:
    import descend
    from descend import functions

    side, n_iter = ctx.pick((32, 1000), (4, 100))
    sample_every = ctx.pick(16, 1)
    total = side * side
    out = Outcome(5, "sweep on Rosenbrock", f"{total:,} settings × {n_iter:,} iterations")
    out.title = "sweep on Rosenbrock"
    rates = np.geomspace(1e-5, 1e-3, side).tolist()
    momenta = np.linspace(0.0, 0.9, side).tolist()
    x0 = [-1.2, 1.0]
    case = f"{total} settings × {n_iter} iterations"
    fn = _sweep_function()
    if fn is None:
        note = "descend.sweep is not available in this version, so workload 5 is skipped"
        out.notes.append(note)
        out.rows.append(
            Row(5, case, "sweep", None, "separate minimize calls", None, "at_least", 50.0,
                skipped=True, note=note)
        )  # fmt: skip
        return out
    ctx.progress("5: sweep")
    settings = [(lr, m) for lr in rates for m in momenta]
    sample = settings[::sample_every]

    def together():
        return fn(
            functions.rosenbrock, x0, learning_rate=rates, momentum=momenta,
            optimizer="momentum", n_iter=n_iter,
        )  # fmt: skip

    def separately():
        return [
            descend.minimize(
                functions.rosenbrock, x0, optimizer="momentum", learning_rate=lr, momentum=m,
                max_iter=n_iter,
            )
            for lr, m in sample
        ]  # fmt: skip

    scale = total / len(sample)
    how = f"{len(sample)} of the {total} calls timed, × {scale:g}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # runs that diverge say so; both sides alike
        timings = race(
            {"descend.sweep": together, "separate calls": separately},
            ctx.repeat,
            scales={"separate calls": (scale, how)} if scale != 1 else None,
        )
        result = together()
    _keep(out, "", timings)
    try:
        out.details["runs"] = len(result)
        out.details["best"] = repr(result.best)
    except Exception as error:  # the result's shape is the sweep's business; report it
        out.details["result"] = f"{type(error).__name__}: {error}"
    out.rows.append(
        Row(5, case, "descend.sweep", timings["descend.sweep"].median,
            "separate minimize calls" + (" (scaled)" if scale != 1 else ""),
            timings["separate calls"].median, "at_least", 50.0, note=how if scale != 1 else "")
    )  # fmt: skip
    out.notes.append(
        f"Momentum from (-1.2, 1) with {side} learning rates in [1e-5, 1e-3] × {side} momenta "
        "in [0, 0.9]"
        + (f"; the separate calls are timed on every {sample_every}th setting ({how})"
           if scale != 1 else "")
        + "."
    )  # fmt: skip
    return out


# -------------------------------------------------------------------- 6: time to accuracy


#: descend's recommended configuration for workload 6: the defaults, which on a full batch of
#: a smooth loss are L-BFGS with its Wolfe line search (the README gives the same advice).
#: Every descend contender of the workload is this plus its problem's loss and penalty; the
#: optimum tests use it too.
RECOMMENDED: dict = {}


def recommended_label(estimator: str, **extra) -> str:
    """The recommended configuration written as the call, with ``extra`` settings after it."""
    settings = {**RECOMMENDED, **extra}
    return f"{estimator}(" + ", ".join(f"{k}={v!r}" for k, v in settings.items()) + ")"


OURS_LABEL = recommended_label("GDClassifier")

#: How far above the optimum counts as there: absolute for the log losses, relative for ridge.
GAP = 1e-4
#: descend's fits stop by target_loss, or give up after this many epochs.
MAX_EPOCHS = 10_000
#: The L2 strength of the ridge and multinomial problems (descend's default alpha).
ALPHA = 1e-4
#: The most iterations (epochs for sag and saga) searched for a scikit-learn solver.
LIMITS = {"lbfgs": 4096, "newton-cholesky": 256, "sag": 128, "saga": 128}
#: Why the passes are what they are, by the kind of contender.
COUNTED = {
    "descend": "the fit's own n_passes_ (passes over the training rows, line-search "
    "evaluations included)",
    "linear loss": "calls of scikit-learn's LinearModelLoss that go over every row: each "
    "loss-and-gradient evaluation (line-search trials included), Hessian or X @ w",
    "epochs": "one per epoch (an epoch of sag, saga or SGD makes n single-row updates)",
    "closed form": "closed form: no iterations",
}


def log_loss_optimum(X, y, max_iter: int = 50) -> float:
    """The least mean log loss of a linear model with intercept, by Newton's method with a
    backtracking line search (least-squares steps, so redundant columns do no harm)."""
    from scipy.special import expit

    from descend import losses

    loss = losses.log_loss()
    yf = y.astype(float)
    n, d = X.shape
    w, b = np.zeros(d), 0.0

    def value(w, b):
        return loss.value(X @ w + b, yf)

    f = value(w, b)
    for _ in range(max_iter):
        p = expit(X @ w + b)
        r, s = p - yf, p * (1.0 - p)
        g = np.append(X.T @ r, r.sum()) / n
        H = np.empty((d + 1, d + 1))
        H[:d, :d] = (X.T * s) @ X / n
        H[:d, d] = H[d, :d] = X.T @ s / n
        H[d, d] = s.mean()
        step = np.linalg.lstsq(H, g, rcond=None)[0]
        decrement = float(g @ step)
        if not decrement > 1e-24:
            break
        t = 1.0
        while t > 1e-12:
            trial = value(w - t * step[:d], b - t * step[d])
            if trial <= f - 1e-4 * t * decrement:
                break
            t /= 2
        w, b, f = w - t * step[:d], b - t * step[d], trial
    return f


def make_ill_conditioned(n: int, d: int, smallest: float = 0.03, seed: int = 0):
    """Regression data with correlated features: X = G A, G standard normal (built in place
    chunk by chunk) and A = diag(s) Vᵀ with s log-spaced from 1 down to ``smallest`` and V a
    random rotation, so that the covariance of the rows, AᵀA, has condition number
    1 / smallest²; y = X w + 1 + N(0, 1) noise, w standard normal."""
    rng = np.random.default_rng(seed)
    s = np.logspace(0.0, math.log10(smallest), d)
    A = s[:, None] * np.linalg.qr(rng.standard_normal((d, d)))[0].T
    X = np.empty((n, d))
    for start in range(0, n, CHUNK):
        block = rng.standard_normal((min(CHUNK, n - start), d))
        np.matmul(block, A, out=X[start : start + CHUNK])
    y = X @ rng.standard_normal(d) + 1.0 + rng.standard_normal(n)
    return X, y


def ridge_optimum(X, y, alpha: float):
    r"""The minimiser of :math:`\frac1{2n}\lVert Xw + b - y\rVert^2 + \frac\alpha2\lVert w
    \rVert^2` in closed form, from the centred normal equations
    :math:`(X_c^\top X_c + n\alpha I) w = X_c^\top y_c`, :math:`b = \bar y - \bar x^\top w`."""
    mean = X.mean(axis=0)
    Xc = X - mean
    w = np.linalg.solve(Xc.T @ Xc + len(y) * alpha * np.eye(X.shape[1]), Xc.T @ (y - y.mean()))
    return w, float(y.mean() - mean @ w)


@dataclass
class _Contender:
    """One contender of workload 6: what its untimed run did, and the calls to time."""

    label: str
    #: the calls to time, by the suffix their label gets; empty when it never got there
    fits: dict[str, Callable[[], object]]
    iterations: int | None
    passes: int | None
    unit: str
    counted: str
    gap: float

    def counts(self) -> str:
        if self.iterations is None:
            return "closed form"
        if self.passes is not None:
            passes = f"{self.passes} passes"
        else:
            passes = "passes not reported" if self.counted == "descend" else "passes not counted"
        return f"{self.iterations} {self.unit}, {passes}"

    def as_dict(self) -> dict:
        return {
            "label": self.label,
            "reached": bool(self.fits),
            "iterations": self.iterations,
            "unit": self.unit,
            "passes": self.passes,
            "passes_counted": COUNTED[self.counted],
            "gap": self.gap,
        }


def _sgd_trajectory(X, y, loss_of, threshold, settings, max_epochs):
    """Epochs of SGDClassifier.partial_fit until the training loss is within reach; returns
    (epochs, seconds of partial_fit alone, last gap) with epochs None when never reached."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import SGDClassifier

    clf = SGDClassifier(loss="log_loss", penalty=None, tol=None, random_state=0, **settings)
    classes = np.unique(y)
    spent, value = 0.0, math.inf
    for epoch in range(1, max_epochs + 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            start = time.perf_counter()
            clf.partial_fit(X, y, classes=classes)
            spent += time.perf_counter() - start
        value = loss_of(clf)
        if not math.isfinite(value):
            break
        if value <= threshold:
            return epoch, spent, value
    return None, spent, value


def _descend(cls, X, y, threshold, objective, optimum, label, **settings) -> _Contender:
    """The recommended configuration, stopped by target_loss on the training objective it
    measures every epoch; an untimed run first says whether, and how, it gets there."""

    def fit():
        return cls(
            tol=None, target_loss=threshold, max_epochs=MAX_EPOCHS, random_state=0, **settings
        ).fit(X, y)

    fitted = fit()
    reached = fitted.stop_reason_ == "target_loss"
    return _Contender(
        label, {"": fit} if reached else {}, int(fitted.n_iter_),
        getattr(fitted, "n_passes_", None), "epochs", "descend", objective(fitted) - optimum,
    )  # fmt: skip


def _fewest(fit_with, objective, threshold, limit: int) -> tuple[int | None, float]:
    """The fewest ``max_iter`` in 1 .. ``limit`` with which ``fit_with(max_iter)`` ends at or
    below ``threshold``, and the objective it ends at: doubling, then bisection, which takes
    more iterations to end no higher (so for line searches; sag and saga come close). None,
    with the objective after ``limit`` iterations, when they do not get there."""
    low, high = 0, 1
    value = objective(fit_with(high))
    while value > threshold:
        if high >= limit:
            return None, value
        low, high = high, min(2 * high, limit)
        value = objective(fit_with(high))
    while high - low > 1:
        mid = (low + high) // 2
        trial = objective(fit_with(mid))
        if trial <= threshold:
            high, value = mid, trial
        else:
            low = mid
    return high, value


def _quiet(fn, *args):
    """``fn(*args)`` without the warnings of a solver stopped early on purpose, or of Newton's
    fallback to L-BFGS (the counting run notes that)."""
    from scipy.linalg import LinAlgWarning
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", LinAlgWarning)
        return fn(*args)


def _sklearn(name, fit_with, threshold, objective, optimum, limit, notes) -> _Contender:
    """A scikit-learn solver at the fewest iterations that get there, found untimed (on one
    thread, where the machine's load cannot slow the search), then run once more as it will
    be timed, counting its iterations and passes. It is timed with the machine's threads and
    with one; the faster counts, a peer at its best."""

    def attempt(max_iter):
        call = functools.partial(_quiet, fit_with, max_iter)
        limited = peers.one_thread(call)
        return limited() if limited is not None else call()

    epochs = name in ("sag", "saga")
    unit, counted = ("epochs", "epochs") if epochs else ("iterations", "linear loss")
    k, value = _fewest(attempt, objective, threshold, limit)
    if k is None:
        notes.append(f"{name} did not get there in {limit} {unit} ({value - optimum:.2g} above)")
        return _Contender(
            f"LogisticRegression({name}, max_iter={limit})", {}, limit, None, unit, counted,
            value - optimum,
        )  # fmt: skip

    def fit():
        return _quiet(fit_with, k)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fitted, passes = peers.sklearn_loss_passes(functools.partial(fit_with, k))
    if any("resort to lbfgs" in str(w.message) for w in caught):
        notes.append(
            f"{name} found the Hessian singular (the unpenalised problem has redundant "
            "columns) and went on with L-BFGS, as scikit-learn does; its passes include those"
        )
    gap = objective(fitted) - optimum
    if optimum + gap > threshold:  # the search ran on one thread; rounding can differ
        notes.append(f"{name} at max_iter={k} ended {gap:.2g} above the optimum when run again")
    iterations = int(np.max(fitted.n_iter_))
    fits = {"": fit}
    if not epochs and peers.one_thread(fit) is not None:
        fits[", 1 thread"] = peers.one_thread(fit)
    return _Contender(
        f"LogisticRegression({name}, max_iter={k})", fits, iterations,
        iterations if epochs else passes, unit, counted, gap,
    )  # fmt: skip


def _race(contenders: dict[str, _Contender], repeat: int, out: Outcome, prefix: str):
    """Time every contender that got there in one race (the untimed runs were the warm-up);
    returns each one's median at its best and the label that goes with it."""
    calls = {
        f"{key}{suffix}": fn for key, c in contenders.items() for suffix, fn in c.fits.items()
    }
    timings = race(calls, repeat, warmup=0) if calls else {}
    _keep(out, prefix, timings)
    best = {}
    for key, c in contenders.items():
        if c.fits:
            suffix = min(c.fits, key=lambda s, key=key: timings[f"{key}{s}"].median)
            best[key] = (timings[f"{key}{suffix}"].median, f"{c.label}{suffix}: {c.counts()}")
        else:
            best[key] = (None, f"{c.label}: {c.counts()}, not there")
    return best


def _row(case, ours, theirs, kind, target=None) -> Row:
    """A row of descend against one peer; one that never got there is reported, not graded."""
    (mine, my_label), (value, label) = ours, theirs
    if value is None and kind != "report":
        kind, target = "report", None
    return Row(6, case, my_label, mine, label, value, kind, target)


def _logistic(ctx: Context, out: Outcome, repeat: int) -> str:
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression, SGDClassifier

    from descend import GDClassifier, losses

    n, d = ctx.pick((500_000, 50), (5_000, 10))
    ctx.progress("6: optimum")
    X, y = make_classification(n, d, random_state=0)
    optimum = log_loss_optimum(X, y)
    threshold = optimum + GAP
    log_loss, yf = losses.log_loss(), y.astype(float)

    def loss_of(model):
        z = X @ np.ravel(model.coef_) + float(np.ravel(model.intercept_)[0])
        return log_loss.value(z, yf)

    notes: list[str] = []
    ctx.progress("6: descend")
    contenders = {
        "descend": _descend(GDClassifier, X, y, threshold, loss_of, optimum, OURS_LABEL,
                            loss="log_loss", **RECOMMENDED),
        "descend nesterov": _descend(GDClassifier, X, y, threshold, loss_of, optimum,
                                     "GDClassifier(optimizer='nesterov')", loss="log_loss",
                                     optimizer="nesterov"),
    }  # fmt: skip

    # scikit-learn SGDClassifier: a small grid of schedules, epoch by epoch with partial_fit
    ctx.progress("6: SGDClassifier grid")
    grid = [
        {"learning_rate": "constant", "eta0": 1e-3},
        {"learning_rate": "constant", "eta0": 1e-4},
        {"learning_rate": "invscaling", "eta0": 1e-2},
        {"learning_rate": "optimal"},
    ]
    sgd_epochs = 20
    tried = []
    for settings in grid:
        epochs, spent, value = _sgd_trajectory(X, y, loss_of, threshold, settings, sgd_epochs)
        tried.append({**settings, "epochs": epochs, "seconds": spent, "gap": value - optimum})
    out.details["sgd_grid"] = tried
    winners = [t for t in tried if t["epochs"] is not None]
    if winners:
        chosen = min(winners, key=lambda t: t["seconds"])
        settings = {k: v for k, v in chosen.items() if k in ("learning_rate", "eta0")}

        def sgd():
            clf = SGDClassifier(loss="log_loss", penalty=None, tol=None, random_state=0,
                                **settings)  # fmt: skip
            classes = np.unique(y)
            for _ in range(chosen["epochs"]):
                _quiet(clf.partial_fit, X, y, classes)
            return clf

        shown = ", ".join(f"{k}={v}" for k, v in settings.items())
        contenders["SGDClassifier"] = _Contender(
            f"SGDClassifier ({shown})", {"": sgd}, chosen["epochs"], chosen["epochs"], "epochs",
            "epochs", chosen["gap"],
        )  # fmt: skip
    else:
        closest = min(t["gap"] for t in tried)
        notes.append(
            f"No SGDClassifier setting of the grid came within 1e-4 of the optimum in "
            f"{sgd_epochs} epochs (closest: {closest:.2g} above it)"
        )
        contenders["SGDClassifier"] = _Contender(
            "SGDClassifier (best of grid)", {}, sgd_epochs, sgd_epochs, "epochs", "epochs",
            closest,
        )  # fmt: skip

    # scikit-learn LogisticRegression, every solver for an unpenalised binary problem
    for solver in ("lbfgs", "newton-cholesky", "sag", "saga"):
        ctx.progress(f"6: LogisticRegression({solver})")

        def fit_with(max_iter, solver=solver):
            return LogisticRegression(
                C=np.inf, solver=solver, tol=1e-12, max_iter=max_iter, random_state=0
            ).fit(X, y)

        contenders[solver] = _sklearn(
            solver, fit_with, threshold, loss_of, optimum, LIMITS[solver], notes
        )

    ctx.progress("6: timing the binary problem")
    best = _race(contenders, repeat, out, "")
    case = "log loss within 1e-4 of the optimum"
    ours = best["descend"]
    out.rows.append(_row(case, ours, best["SGDClassifier"], "report"))
    out.rows.append(_row(case, ours, best["lbfgs"], "at_least", 2.0))
    for solver in ("newton-cholesky", "sag", "saga"):
        out.rows.append(_row(case, ours, best[solver], "at_least", 1.0))
    accelerated = contenders["descend nesterov"]
    if accelerated.fits:
        notes.append(
            f"descend's accelerated first-order method (optimizer='nesterov', the sequence "
            f"with the gradient restart) took {best['descend nesterov'][0]:.3g} s "
            f"({accelerated.counts()}); the recommended configuration: "
            f"{contenders['descend'].counts()}."
        )
    else:
        notes.append(f"descend's optimizer='nesterov' did not get there in {MAX_EPOCHS} epochs")
    finished = {k: v[0] for k, v in best.items() if v[0] is not None}
    winner = min(finished, key=finished.get) if finished else None
    out.details["logistic"] = {
        "size": [n, d], "optimum": optimum, "threshold": threshold, "winner": winner,
        "contenders": {k: c.as_dict() for k, c in contenders.items()},
    }  # fmt: skip
    out.notes.extend(notes)
    out.notes.append(
        f"Binary ({_size(n, d)}, make_classification): the mean log loss with intercept and no "
        f"penalty; its optimum ({optimum:.10f}) comes from Newton's method run to convergence. "
        "SGDClassifier is the fastest of "
        f"{len(grid)} schedules (constant 1e-3, constant 1e-4, invscaling 1e-2, optimal) run "
        "epoch by epoch with partial_fit, timed again for the epochs it needed; each "
        "LogisticRegression solver (C=inf, tol=1e-12) runs the fewest max_iter that get "
        "there, found by doubling and bisection. Fastest: " + (winner or "nobody got there") + "."
    )
    return f"binary {_size(n, d)}"


def _ridge(ctx: Context, out: Outcome, repeat: int) -> str:
    from sklearn.linear_model import Ridge

    from descend import GDRegressor

    n, d = ctx.pick((200_000, 50), (2_000, 8))
    ctx.progress("6: ridge optimum")
    X, y = make_ill_conditioned(n, d, smallest=ctx.pick(0.03, 0.1), seed=6)
    w, b = ridge_optimum(X, y, ALPHA)

    def value(coef, intercept):
        r = X @ np.ravel(coef) + float(np.ravel(intercept)[0]) - y
        return 0.5 * float(r @ r) / n + 0.5 * ALPHA * float(np.ravel(coef) @ np.ravel(coef))

    def objective(model):
        return value(model.coef_, model.intercept_)

    optimum = value(w, np.array([b]))
    threshold = optimum * (1.0 + GAP)
    notes: list[str] = []
    ctx.progress("6: ridge, descend")
    label = recommended_label("GDRegressor", penalty="l2", alpha=ALPHA)
    contenders = {
        "descend": _descend(GDRegressor, X, y, threshold, objective, optimum, label,
                            penalty="l2", alpha=ALPHA, **RECOMMENDED),
    }  # fmt: skip

    def ridge():
        return Ridge(alpha=n * ALPHA, solver="auto").fit(X, y)

    fitted = ridge()
    gap = objective(fitted) - optimum
    fits = {"": ridge}
    if peers.one_thread(ridge) is not None:
        fits[", 1 thread"] = peers.one_thread(ridge)
    solver = getattr(fitted, "solver_", "auto")
    there = optimum + gap <= threshold
    if not there:
        notes.append(f"Ridge ended {gap:.2g} above the optimum")
    contenders["Ridge"] = _Contender(
        f"Ridge(alpha={n * ALPHA:g}, solver='auto' → {solver!r})", fits if there else {},
        None, None, "iterations", "closed form", gap,
    )  # fmt: skip
    ctx.progress("6: timing ridge")
    best = _race(contenders, repeat, out, "ridge: ")
    case = "ridge objective within 1e-4 (relative) of the optimum"
    # reported, not a target: at 50 columns scikit-learn solves the normal equations in one
    # pass of XᵀX and a 50 × 50 Cholesky, which no iterative method over the rows can beat
    out.rows.append(_row(case, best["descend"], best["Ridge"], "report"))
    out.details["ridge"] = {
        "size": [n, d], "alpha": ALPHA, "optimum": optimum, "threshold": threshold,
        "contenders": {key: c.as_dict() for key, c in contenders.items()},
    }  # fmt: skip
    out.notes.extend(notes)
    out.notes.append(
        f"Ridge ({_size(n, d)}): correlated Gaussian features whose covariance has condition "
        f"number {ctx.pick(0.03, 0.1) ** -2:.3g}, y linear in them plus N(0, 1) noise. The "
        f"objective is descend's, the mean of ½(ŷ − y)² plus α/2 ‖w‖² with α = {ALPHA:g}; 2n "
        "times it is scikit-learn's Ridge objective with alpha = nα. Its optimum "
        f"({optimum:.10g}) solves the centred normal equations, and a fit is there within 1e-4 "
        "of it relative to it (the squared error has the units of y squared)."
    )
    return f"ridge {_size(n, d)}"


def _multinomial(ctx: Context, out: Outcome, repeat: int) -> str:
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    from descend import GDClassifier, losses

    n, d, k = ctx.pick((100_000, 50, 10), (1_000, 8, 10))
    ctx.progress("6: multinomial optimum")
    X, y = make_classification(n, d, n_informative=ctx.pick(20, 5), n_classes=k, random_state=0)
    C = 1.0 / (n * ALPHA)  # C Σ loss + ½‖W‖² is Cn times descend's mean loss + α/2 ‖W‖²
    log_loss = losses.log_loss()

    def objective(model):
        W = np.asarray(model.coef_)
        z = X @ W.T + np.asarray(model.intercept_)
        return log_loss.value(z, y) + 0.5 * ALPHA * float(np.sum(W * W))

    def fit_with(max_iter, tol=1e-12):
        return LogisticRegression(C=C, solver="lbfgs", tol=tol, max_iter=max_iter).fit(X, y)

    reference = peers.one_thread(lambda: _quiet(fit_with, 10_000))
    optimum = objective(reference() if reference else _quiet(fit_with, 10_000))
    threshold = optimum + GAP
    notes: list[str] = []
    ctx.progress("6: multinomial, descend")
    label = recommended_label("GDClassifier", penalty="l2", alpha=ALPHA)
    contenders = {
        "descend": _descend(GDClassifier, X, y, threshold, objective, optimum, label,
                            loss="log_loss", penalty="l2", alpha=ALPHA, **RECOMMENDED),
    }  # fmt: skip
    ctx.progress("6: multinomial, LogisticRegression(lbfgs)")
    contenders["lbfgs"] = _sklearn(
        "lbfgs", fit_with, threshold, objective, optimum, LIMITS["lbfgs"], notes
    )
    ctx.progress("6: timing multinomial")
    best = _race(contenders, repeat, out, "multinomial: ")
    case = f"{k}-class log loss within 1e-4 of the optimum"
    out.rows.append(_row(case, best["descend"], best["lbfgs"], "at_least", 1.0))
    out.details["multinomial"] = {
        "size": [n, d], "classes": k, "alpha": ALPHA, "C": C, "optimum": optimum,
        "threshold": threshold,
        "contenders": {key: c.as_dict() for key, c in contenders.items()},
    }  # fmt: skip
    out.notes.extend(notes)
    out.notes.append(
        f"Multinomial ({_size(n, d)}, {k} classes, make_classification): the mean softmax log "
        f"loss plus α/2 ‖W‖² with α = {ALPHA:g}, scikit-learn's C = 1/(nα) = {C:.3g}; its "
        f"optimum ({optimum:.10f}) is LogisticRegression(lbfgs) run to tol=1e-12."
    )
    return f"{k} classes {_size(n, d)}"


def time_to_accuracy(ctx: Context) -> Outcome:
    out = Outcome(6, "time to accuracy", "")
    repeat = min(ctx.repeat, 3)
    sizes = [problem(ctx, out, repeat) for problem in (_logistic, _ridge, _multinomial)]
    out.size = "; ".join(sizes)
    out.notes.append(
        "descend runs its recommended configuration ("
        + "".join(f"{k}={v!r}, " for k, v in RECOMMENDED.items())
        + f"the defaults: L-BFGS with its Wolfe line search on the full batch) with "
        f"target_loss set to the threshold, "
        f"at most {MAX_EPOCHS} epochs. Every contender that gets there is timed in one race "
        "per problem; an untimed run before it (the warm-up) counts its iterations and its "
        "passes over the rows. Passes: for descend, "
        + COUNTED["descend"]
        + "; for scikit-learn's lbfgs and newton-cholesky, "
        + COUNTED["linear loss"]
        + "; for sag, saga and SGD, "
        + COUNTED["epochs"]
        + ". "
        "scikit-learn is timed with the machine's threads and with one thread, and the "
        "faster counts (its searches run on one thread, untimed)."
    )
    return out


# ----------------------------------------------------------------------- 7: peak memory

_MEMORY_CHILD = r"""
import json, os, sys
import numpy as np

def status(key):
    with open("/proc/self/status", encoding="utf-8") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)

n, d, chunk = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
from descend import GDRegressor

rng = np.random.default_rng(7)
w = rng.standard_normal(d)
# warm-up: the same fit on small data loads and compiles everything the fit uses (told to
# run compiled: on its own the cost model would keep so small a fit in NumPy)
small = rng.standard_normal((1000, d))
os.environ["DESCEND_KERNELS"] = "compiled"
GDRegressor(max_epochs=3, tol=None).fit(small, small @ w)
del os.environ["DESCEND_KERNELS"]
del small
before = status("VmRSS")
X = np.empty((n, d))
y = np.empty(n)
for start in range(0, n, chunk):
    rng.standard_normal(out=X[start : start + chunk])
    y[start : start + chunk] = X[start : start + chunk] @ w
reset = True
try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
except OSError:
    reset = False
model = GDRegressor(max_epochs=5, tol=None).fit(X, y)
peak = status("VmHWM")
print(json.dumps({"before": before, "peak": peak, "nbytes": X.nbytes, "y_nbytes": y.nbytes,
                  "reset": reset, "epochs": int(model.n_iter_)}))
"""


def peak_memory(ctx: Context) -> Outcome:
    n, d = ctx.pick((2_000_000, 64), (200_000, 8))
    out = Outcome(7, "peak memory of a full-batch fit", _size(n, d))
    case = "GDRegressor().fit, 5 epochs"
    if not Path("/proc/self/status").exists():
        note = "/proc is missing on this system, so peak memory is not measured"
        out.notes.append(note)
        out.rows.append(
            Row(7, case, "", None, "size of X", None, "at_most", 1.1, unit="bytes",
                skipped=True, note=note)
        )  # fmt: skip
        return out
    ctx.progress("7: memory")
    import descend

    env = dict(os.environ)
    package_root = str(Path(descend.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    proc = subprocess.run(
        [sys.executable, "-c", _MEMORY_CHILD, str(n), str(d), str(CHUNK)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"the memory child process failed: {last}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    growth = data["peak"] - data["before"]
    out.details.update(data, growth=growth)
    out.rows.append(
        Row(7, case, "peak − RSS before X", growth, "size of X", data["nbytes"], "at_most",
            1.1, unit="bytes")
    )  # fmt: skip
    out.notes.append(
        "Measured in a child process: X is built in place (np.empty, filled in chunks), the "
        "peak is reset through /proc/self/clear_refs after the warm-up and X's creation, and "
        "VmHWM is read after the fit; the growth counts X itself and y "
        f"({data['y_nbytes'] / data['nbytes']:.1%} of X)."
        + ("" if data["reset"] else " The peak could not be reset on this system.")
    )
    return out


def scaling_out(ctx: Context) -> Outcome:
    """Workload 8 (:func:`descend.bench.scaling.scaling_out`, which see)."""
    from descend.bench import scaling

    return scaling.scaling_out(ctx)


def gradient_backends(ctx: Context) -> Outcome:
    """Workload 9 (:func:`descend.bench.gradients.gradient_backends`, which see)."""
    from descend.bench import gradients

    return gradients.gradient_backends(ctx)


#: The workloads by number.
WORKLOADS: dict[int, tuple[str, Callable[[Context], Outcome]]] = {
    1: ("full-batch epoch", full_batch),
    2: ("stochastic epoch", stochastic),
    3: ("mini-batch Adam epoch", minibatch_adam),
    4: ("minimize overhead", minimize_overhead),
    5: ("sweep", sweep),
    6: ("time to accuracy", time_to_accuracy),
    7: ("peak memory", peak_memory),
    8: ("scaling out", scaling_out),
    9: ("gradient backends", gradient_backends),
}


def run_workload(number: int, ctx: Context) -> Outcome:
    """Run one workload; an error becomes an ERROR row rather than ending the suite."""
    title, fn = WORKLOADS[number]
    start = time.perf_counter()
    try:
        outcome = fn(ctx)
    except Exception as error:  # one broken workload must not hide the others' numbers
        message = f"{type(error).__name__}: {error}".splitlines()[0]
        outcome = Outcome(number, title, "")
        outcome.rows.append(
            Row(number, title, "", None, "", None, "report", error=message, note=message)
        )
        outcome.notes.append(f"failed: {message}")
    outcome.seconds = time.perf_counter() - start
    return outcome
