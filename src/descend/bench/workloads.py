"""The seven workloads of ``descend bench``, each a function of a :class:`Context`.

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
6   time to a log loss within 1e-4 of the optimum,         none: the three times are reported
    500 000 × 50
7   peak memory of a full-batch fit                        ≤ 1.1 × the size of X
=== ====================================================== =====================================

Quick mode runs every workload on tiny data, only to check that the suite works.
"""

from __future__ import annotations

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


#: descend's recommended configuration for workload 6: full batch, Nesterov momentum and the
#: "auto" learning rate (the README gives the same advice)
RECOMMENDED = {"optimizer": "nesterov"}
OURS_LABEL = "GDClassifier(optimizer='nesterov')"


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


def time_to_accuracy(ctx: Context) -> Outcome:
    from sklearn.datasets import make_classification
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression, SGDClassifier

    from descend import GDClassifier, losses

    n, d = ctx.pick((500_000, 50), (5_000, 10))
    out = Outcome(6, "time to accuracy, logistic regression", _size(n, d))
    repeat = min(ctx.repeat, 3)
    ctx.progress("6: optimum")
    X, y = make_classification(n, d, random_state=0)
    optimum = log_loss_optimum(X, y)
    threshold = optimum + 1e-4
    log_loss, yf = losses.log_loss(), y.astype(float)

    def loss_of(model):
        z = X @ np.ravel(model.coef_) + float(np.ravel(model.intercept_)[0])
        return log_loss.value(z, yf)

    out.details.update(optimum=optimum, threshold=threshold)
    case = "log loss within 1e-4 of the optimum"

    # descend: the recommended configuration for a smooth loss on data that fits in memory
    # (full batch, Nesterov momentum, the step sized from the data), and the defaults (plain
    # descent) for comparison; both stopped by target_loss on the training loss they
    # measure every epoch
    ctx.progress("6: descend")
    max_epochs = 10_000

    def fit(**settings):
        return lambda: GDClassifier(
            loss="log_loss", tol=None, target_loss=threshold, max_epochs=max_epochs,
            random_state=0, **settings,
        ).fit(X, y)  # fmt: skip

    ours = {"descend": fit(**RECOMMENDED), "descend defaults": fit()}
    timings = race(ours, repeat)
    for name, run in ours.items():
        fitted = run()
        reached = fitted.stop_reason_ == "target_loss"
        out.details[name] = {"epochs": int(fitted.n_iter_), "reached": reached}
        if not reached:
            out.notes.append(f"{name} did not reach the target loss in {max_epochs} epochs")
    mine = timings["descend"].median if out.details["descend"]["reached"] else None
    defaults = out.details["descend defaults"]
    if defaults["reached"]:
        out.notes.append(
            f"descend's defaults (plain full-batch descent) took "
            f"{timings['descend defaults'].median:.3g} s ({defaults['epochs']} epochs); the "
            f"recommended Nesterov momentum took {out.details['descend']['epochs']} epochs."
        )

    # scikit-learn SGDClassifier: a small grid of schedules, epoch by epoch with partial_fit
    ctx.progress("6: SGDClassifier grid")
    grid = [
        {"learning_rate": "constant", "eta0": 1e-3},
        {"learning_rate": "constant", "eta0": 1e-4},
        {"learning_rate": "invscaling", "eta0": 1e-2},
        {"learning_rate": "optimal"},
    ]
    sgd_epochs = ctx.pick(20, 20)
    tried = []
    for settings in grid:
        epochs, spent, value = _sgd_trajectory(X, y, loss_of, threshold, settings, sgd_epochs)
        tried.append({**settings, "epochs": epochs, "seconds": spent, "gap": value - optimum})
    out.details["sgd_grid"] = tried
    winners = [t for t in tried if t["epochs"] is not None]
    sgd_label = "SGDClassifier (best of grid)"
    if winners:
        best = min(winners, key=lambda t: t["seconds"])
        settings = {k: v for k, v in best.items() if k in ("learning_rate", "eta0")}

        def sgd():
            clf = SGDClassifier(loss="log_loss", penalty=None, tol=None, random_state=0,
                                **settings)  # fmt: skip
            classes = np.unique(y)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                for _ in range(best["epochs"]):
                    clf.partial_fit(X, y, classes=classes)
            return clf

        timings["SGDClassifier"] = race({"sgd": sgd}, repeat)["sgd"]
        shown = ", ".join(f"{k}={v}" for k, v in settings.items())
        sgd_label = f"SGDClassifier ({shown}, {best['epochs']} epochs)"
        sgd_time = timings["SGDClassifier"].median
    else:
        closest = min(t["gap"] for t in tried)
        out.notes.append(
            f"No SGDClassifier setting of the grid came within 1e-4 of the optimum in "
            f"{sgd_epochs} epochs (closest: {closest:.2g} above it)"
        )
        sgd_time = None
    out.rows.append(Row(6, case, OURS_LABEL, mine, sgd_label, sgd_time, "report"))

    # scikit-learn LogisticRegression(lbfgs): the fewest iterations that get there, timed
    ctx.progress("6: LogisticRegression")

    def lbfgs(max_iter):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return LogisticRegression(C=np.inf, solver="lbfgs", tol=1e-12,
                                      max_iter=max_iter).fit(X, y)  # fmt: skip

    low, high = 0, 1
    while high <= 4096 and loss_of(lbfgs(high)) > threshold:
        low, high = high, high * 2
    lbfgs_time, label = None, "LogisticRegression(lbfgs)"
    if high <= 4096:
        while high - low > 1:
            mid = (low + high) // 2
            low, high = (low, mid) if loss_of(lbfgs(mid)) <= threshold else (mid, high)
        timings["LogisticRegression"] = race({"lr": lambda: lbfgs(high)}, repeat)["lr"]
        lbfgs_time = timings["LogisticRegression"].median
        label = f"LogisticRegression(lbfgs, max_iter={high})"
        out.details["lbfgs_iterations"] = high
    else:
        out.notes.append("LogisticRegression(lbfgs) did not get within 1e-4 in 4096 iterations")
    out.rows.append(Row(6, case, OURS_LABEL, mine, label, lbfgs_time, "report"))
    _keep(out, "", timings)
    everyone = {"descend": mine, "SGDClassifier": sgd_time, "LogisticRegression": lbfgs_time}
    finished = {k: v for k, v in everyone.items() if v is not None}
    if finished:
        out.details["winner"] = min(finished, key=finished.get)
    out.notes.append(
        "Objective: the mean log loss with intercept and no penalty; its optimum "
        f"({optimum:.10f}) comes from Newton's method run to convergence. descend runs its "
        "recommended configuration (full batch, Nesterov momentum, the step sized from the "
        f"data) and stops by target_loss; SGDClassifier is the fastest of {len(grid)} "
        "schedules (constant 1e-3, constant 1e-4, invscaling 1e-2, optimal) run epoch by "
        "epoch with partial_fit, timed "
        "again for the epochs it needed; LogisticRegression(C=inf, lbfgs) runs the fewest "
        "iterations that get there. Fastest: "
        + (out.details.get("winner") or "nobody reached it")
        + "."
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


#: The workloads by number.
WORKLOADS: dict[int, tuple[str, Callable[[Context], Outcome]]] = {
    1: ("full-batch epoch", full_batch),
    2: ("stochastic epoch", stochastic),
    3: ("mini-batch Adam epoch", minibatch_adam),
    4: ("minimize overhead", minimize_overhead),
    5: ("sweep", sweep),
    6: ("time to accuracy", time_to_accuracy),
    7: ("peak memory", peak_memory),
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
