"""The classic tutorial experiments, run through descend's public API.

Each experiment function runs one experiment and returns a :class:`Report`: its settings, the
runs it made, a few log lines in the tutorial's style, and :class:`Check` rows that put our
numbers next to the tutorial's. ``descend demo`` prints these reports; the test suite asserts
every check.

=====  ======================================================================
key    experiment
=====  ======================================================================
T1     x² − 6x + 5 from 15 at learning rate 0.01, stopping when x moves ≤ 0.001
T2     w² from 20 at learning rate 0.1 for 30 and 100 steps; w1² + w2⁴; ascent
T3     momentum on w1² + w2²: the learning-rate × momentum grid of 5-step runs
T4     a line fitted by batch descent, next to the least-squares line
T5     a sigmoid classifier on two blobs, monitored by its sum of squared errors
T6     digit 0 against 1 with a linear unit: batch against stochastic descent
T7     the dummy-variable trap: singular normal equations, descent still fits
=====  ======================================================================

Examples
--------
>>> from descend import tutorials
>>> report = tutorials.t1()
>>> report.ok, [c.quantity for c in report.checks]
(True, ['final x', 'steps', 'stop reason'])
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from descend import datasets, functions
from descend.descent import maximize, minimize
from descend.estimators import GDClassifier, GDRegressor
from descend.sweeps import sweep

__all__ = ["EXPERIMENTS", "Check", "Report", "run", "t1", "t2", "t3", "t4", "t5", "t6", "t7"]


@dataclass(frozen=True)
class Check:
    """One number of ours next to the tutorial's (and the exact value where mathematics gives
    one in closed form), and whether ours agrees with the tutorial."""

    quantity: str
    ours: Any
    reference: Any
    ok: bool
    exact: Any = None


@dataclass
class Report:
    """What one experiment did and showed."""

    key: str
    title: str
    settings: dict[str, Any]
    checks: list[Check] = field(default_factory=list)
    #: The runs behind the numbers: :class:`descend.Result` objects and fitted estimators.
    runs: dict[str, Any] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    #: What the experiment shows, in a few sentences for a learner.
    about: str = ""

    @property
    def ok(self) -> bool:
        """True when every check agrees with the tutorial."""
        return all(check.ok for check in self.checks)


def _close(ours: float, reference: float, rel: float = 0.0, abs_: float = 0.0) -> bool:
    return math.isclose(ours, reference, rel_tol=rel, abs_tol=abs_)


def t1() -> Report:
    """T1: the parabola x² − 6x + 5 from 15, learning rate 0.01, stop when x moves ≤ 0.001."""
    settings = {"f(x)": "x² − 6x + 5", "x0": 15.0, "learning rate": 0.01, "xtol": 0.001}
    res = minimize(functions.quadratic, 15.0, learning_rate=0.01, xtol=0.001)
    report = Report("T1", "A parabola, fixed step, stop on a small change of x", settings)
    report.about = (
        "Plain gradient descent on a parabola whose minimum we know (x = 3). Each step moves x "
        "against the slope f′(x) = 2x − 6, scaled by the learning rate, so the steps shrink as "
        "the slope flattens. The run stops when a step moves x by at most 0.001; that is a "
        "rule about the steps, not the distance to the minimum, which is why it ends near "
        "3.05 and not at 3."
    )
    report.runs["descent"] = res
    for k in (0, 1, 2, 10, 100, res.nit):
        report.log.append(f"iteration {k:>3}: x = {res.history.x[k]:.6f}")
    report.log.append(f"local minimum at x = {res.x:.2f} after {res.nit} steps")
    report.checks += [
        Check("final x", round(res.x, 4), 3.0483, _close(res.x, 3.0483, abs_=5e-5), 3.0),
        Check("steps", res.nit, 273, res.nit == 273),
        Check("stop reason", res.reason, "xtol", res.reason == "xtol"),
    ]
    return report


def t2() -> Report:
    """T2: w² from 20 at learning rate 0.1; the w1² + w2⁴ exercise; ascent as flipped descent."""
    settings = {"f(w)": "w²", "w0": 20.0, "learning rate": 0.1}
    report = Report("T2", "w², a fixed number of steps; w1² + w2⁴; gradient ascent", settings)
    report.about = (
        "On w² a step of learning rate 0.1 multiplies w by 1 − 2·0.1 = 0.8, so after k steps "
        "w = 20·0.8ᵏ exactly: descent converges geometrically. On w1² + w2⁴ the quartic "
        "direction is flat near its minimum and crawls, while w1 vanishes fast. Maximising "
        "is the same walk with the sign of the gradient flipped."
    )
    short = minimize(functions.square, 20.0, learning_rate=0.1, max_iter=30)
    long = minimize(functions.square, 20.0, learning_rate=0.1, max_iter=100)
    report.runs.update({"30 steps": short, "100 steps": long})
    report.log.append("first steps: " + ", ".join(f"{w:g}" for w in long.history.x[1:4]) + ", …")
    quartic = minimize(functions.quartic, [1.5, 1.5], learning_rate=0.1, max_iter=1000)
    report.runs["w1² + w2⁴"] = quartic
    # Ascent on -w² must walk exactly the path descent walks on w².
    ascent = maximize(
        lambda w: -(w**2), 20.0, grad=lambda w: -2 * w, learning_rate=0.1, max_iter=30
    )
    report.runs["ascent on −w²"] = ascent
    same_path = bool(np.array_equal(ascent.history.x, short.history.x))
    far = float(np.max(np.abs(quartic.x)))
    report.log.append(
        f"w1² + w2⁴ from (1.5, 1.5): ({quartic.x[0]:.2e}, {quartic.x[1]:.2e}) after "
        f"{quartic.nit} steps, {quartic.reason}"
    )
    report.checks += [
        Check(
            "first three steps",
            [float(w) for w in long.history.x[1:4]],
            [16.0, 12.8, 10.24],
            np.allclose(long.history.x[1:4], [16.0, 12.8, 10.24], rtol=1e-12),
            [16.0, 12.8, 10.24],
        ),
        Check(
            "w after 30 steps",
            float(f"{short.x:.4g}"),
            0.02476,
            _close(short.x, 0.02476, rel=5e-4),
            float(f"{20 * 0.8**30:.6g}"),
        ),
        Check(
            "w after 100 steps",
            float(f"{long.x:.3g}"),
            4.07e-9,
            _close(long.x, 4.07e-9, rel=5e-3),
            float(f"{20 * 0.8**100:.6g}"),
        ),
        Check(
            "w1² + w2⁴: largest |w| after 1000 steps (flat w2⁴ bottom)",
            float(f"{far:.3g}"),
            "→ 0",
            far < 0.05,
            0.0,
        ),
        Check("ascent on −w² = descent on w²", same_path, True, same_path),
    ]
    return report


T3_LEARNING_RATES = (0.05, 0.2, 0.5, 0.8)
T3_MOMENTA = (0.0, 0.5, 0.9)


def t3() -> Report:
    """T3: momentum Δw ← −η∇f + αΔw on w1² + w2², 5 steps per (η, α) from a seeded start."""
    w0 = np.random.RandomState(19).uniform(-10, 10, 2)
    settings = {
        "f(w)": "w1² + w2²",
        "w0": "RandomState(19).uniform(−10, 10, 2) = " + np.array2string(w0, precision=4),
        "learning rates": T3_LEARNING_RATES,
        "momenta": T3_MOMENTA,
        "iterations": 5,
        "tol": -1,
    }
    report = Report("T3", "Momentum: the learning-rate × momentum grid", settings)
    report.about = (
        "Momentum keeps a running step Δw ← −η∇f(w) + αΔw, so consistent gradients build "
        "speed. On the round bowl w1² + w2² a small learning rate alone crawls, and momentum "
        "0.9 rescues it; a learning rate of 0.5 lands on the minimum in one step, and the same "
        "momentum then overshoots and circles. Each panel is five steps from the same start."
    )
    final = {}
    # the whole grid as one sweep: every (η, α) run advances together on one array
    grid = sweep(functions.sphere, w0, learning_rate=list(T3_LEARNING_RATES),
                 momentum=list(T3_MOMENTA), n_iter=5, tol=-1, record_path=True)  # fmt: skip
    for run in grid:
        lr, alpha = run.settings["learning_rate"], run.settings["momentum"]
        res = run.result()
        report.runs[f"η={lr}, α={alpha}"] = res
        final[lr, alpha] = res.fun
        report.log.append(
            f"η = {lr:<4} α = {alpha:<3}  f = {res.fun:10.6f}  w = "
            + np.array2string(res.x, precision=4)
        )
    f0 = float(functions.sphere(w0))
    points = {len(res.history.x) for res in report.runs.values()}
    report.checks += [
        Check("history points per run", sorted(points), [6], points == {6}),
        Check(
            "η 0.05 without momentum is still far from 0 (f)",
            round(final[0.05, 0.0], 2),
            "far",
            final[0.05, 0.0] > 0.25 * f0,
        ),
        Check(
            "η 0.5 without momentum lands on the minimum (f)",
            final[0.5, 0.0],
            0.0,
            final[0.5, 0.0] == 0.0,
            0.0,
        ),
        Check(
            "momentum 0.9 rescues η 0.05 (f)",
            round(final[0.05, 0.9], 4),
            "near 0",
            final[0.05, 0.9] < 0.01 * final[0.05, 0.0],
        ),
        Check(
            "momentum 0.9 overshoots at η 0.5 (f)",
            round(final[0.5, 0.9], 2),
            "far",
            final[0.5, 0.9] > 0.25 * f0,
        ),
    ]
    return report


def t4() -> Report:
    """T4: a line through 100 noisy points by batch descent on ½·mean squared error."""
    X, y = datasets.regression()
    settings = {
        "data": "make_regression(100, 1 feature, noise 10, random_state 2015)",
        "cost": "J(θ) = (1/2m)‖Xθ − y‖²",
        "θ start": "uniform [0, 1)",
        "learning rate": 0.001,
        "epochs": 5000,
    }
    report = Report("T4", "Linear regression by gradient descent against least squares", settings)
    report.about = (
        "A line fitted to 100 noisy points by batch gradient descent on half the mean squared "
        "error, next to the closed-form least-squares line. The cost rises far faster along "
        "the slope than along the intercept, so the path first swings the intercept the wrong "
        "way while the slope climbs, then curves back. At learning rate 0.001 the 5000 epochs "
        "end a few tenths short of the least-squares weights."
    )
    reg = GDRegressor(
        learning_rate=0.001, max_epochs=5000, tol=None, init="uniform", random_state=0,
        record_weights=True,
    ).fit(X, y)  # fmt: skip
    exact = datasets.least_squares(X, y, fit_intercept=True)
    report.runs["gradient descent"] = reg
    b, w = float(reg.intercept_[0]), float(reg.coef_[0])
    b_ls, w_ls = float(exact.intercept), float(exact.coef[0])
    for k in (0, 1, 10, 100, 1000, 5000):
        theta = (reg.history_.intercept[k][0], reg.history_.coef[k][0])
        report.log.append(
            f"epoch {k:>4}: cost = {reg.history_.loss[k]:12.4f}  "
            f"θ = ({theta[0]:.4f}, {theta[1]:.4f})"
        )
    report.log.append(f"least squares:       θ = ({b_ls:.4f}, {w_ls:.4f})")
    report.checks += [
        Check(
            "intercept (descent)", round(b, 2), 1.20, _close(b, 1.20, abs_=0.05), round(b_ls, 2)
        ),
        Check("slope (descent)", round(w, 2), 62.81, _close(w, 62.81, abs_=0.05), round(w_ls, 2)),
        Check("intercept (least squares)", round(b_ls, 2), 1.49, round(b_ls, 2) == 1.49),
        Check("slope (least squares)", round(w_ls, 2), 63.42, round(w_ls, 2) == 63.42),
    ]
    return report


def t5() -> Report:
    """T5: logistic regression on two blobs by batch descent, printing Σ(σ(Xw) − y)²."""
    X, y = datasets.blobs()
    settings = {
        "data": "make_blobs(250, 2 centres, std 1.05, random_state 20)",
        "model": "σ(Xw + b), trained on the mean log loss",
        "W start": "uniform [0, 1)",
        "learning rate": 0.01,
        "epochs": 100,
        "printed loss": "Σ (σ − y)², the tutorial's monitor",
    }
    report = Report("T5", "A sigmoid classifier on two blobs", settings)
    report.about = (
        "Logistic regression by batch gradient descent: the score w·x + b goes through a "
        "sigmoid and the weights follow the gradient of the mean log loss. The tutorial "
        "prints the sum of squared errors of the sigmoid instead, which falls too. The "
        "decision boundary is the line where the score is zero; the two blobs are separable, "
        "so every training point ends on its side."
    )
    clf = GDClassifier(
        loss="log_loss", learning_rate=0.01, max_epochs=100, tol=None, init="uniform",
        random_state=0, record_weights=True,
    ).fit(X, y)  # fmt: skip
    report.runs["batch descent"] = clf
    sse = clf.history_.sse
    for k in (1, 2, 3, 50, 100):
        report.log.append(f"[INFO] epoch #{k}, loss={sse[k]:.7f}")
    rows = np.random.default_rng(0).choice(len(X), 10, replace=False)
    activation = clf.predict_proba(X[rows])[:, 1]
    for a, predicted, true in zip(activation, clf.predict(X[rows]), y[rows], strict=True):
        report.log.append(f"activation = {a:.4f}; predicted = {predicted}, true = {true}")
    accuracy = float(clf.history_.accuracy[-1])
    report.checks += [
        Check("training accuracy", f"{accuracy:.0%}", "100%", accuracy == 1.0),
        Check("Σ e² after 100 epochs", round(float(sse[100]), 4), "3 … 10", 3 <= sse[100] <= 10),
    ]
    return report


T6_MOMENTA = (0.0, 0.5, 0.9)


def _t6_fit(w0, momentum, tol, batch_size):
    Xtr, Xte, ytr, yte = datasets.digits01()
    clf = GDClassifier(
        loss="squared_error", reduction="sum", learning_rate=1e-6, momentum=momentum,
        max_epochs=100, tol=tol, batch_size=batch_size, random_state=0,
    ).fit(Xtr, ytr, coef_init=w0[1:], intercept_init=w0[0])  # fmt: skip
    return clf, 100 * (1 - clf.score(Xtr, ytr)), 100 * (1 - clf.score(Xte, yte))


def t6() -> Report:
    """T6: digits 0 and 1 with a linear unit on ½Σ(t − o)², batch against stochastic."""
    w0 = np.random.RandomState(19).uniform(-1, 1, 65) * 1e-6
    settings = {
        "data": "load_digits(n_class=2), 80/20 split (random_state 10)",
        "objective": "E(w) = ½ Σ (t − w·x)², class 1 when w·x > 0.5",
        "w start": "RandomState(19).uniform(−1, 1, 65) × 1e-6",
        "learning rate": 1e-6,
        "momentum": 0.7,
        "stop": "|ΔE| ≤ 0.1, at most 100 epochs",
    }
    report = Report("T6", "A linear unit on digits 0 and 1: batch against stochastic", settings)
    report.about = (
        "A single linear unit separates images of 0s and 1s, reading o > 0.5 as a 1. Batch "
        "descent takes one step per pass over the 288 training images; stochastic descent "
        "takes one step per image, in a new order each epoch, carrying momentum from image "
        "to image. Both stop when E = ½Σ(t − o)² changes by at most the threshold; the "
        "stochastic version gets there in fewer epochs."
    )
    batch, batch_train, batch_test = _t6_fit(w0, 0.7, 0.1, None)
    sgd, sgd_train, sgd_test = _t6_fit(w0, 0.7, 0.1, 1)
    report.runs.update({"batch": batch, "stochastic": sgd})
    for k in range(1, batch.n_iter_ + 1, 3):
        report.log.append(f"batch epoch {k:>2}: E = {batch.history_.loss[k]:.4f}")
    report.log.append(
        f"batch: {batch.n_iter_} epochs, E = {batch.history_.loss[-1]:.4f}, "
        f"train error {batch_train:.2f} %, test error {batch_test:.2f} %"
    )
    report.log.append(
        f"stochastic: {sgd.n_iter_} epochs, E = {sgd.history_.loss[-1]:.4f}, "
        f"train error {sgd_train:.2f} %, test error {sgd_test:.2f} %"
    )
    # The comparison table: another start, a finer threshold, three momenta.
    w11 = np.random.RandomState(11).uniform(-1, 1, 65) * 1e-6
    report.log.append("momentum  batch epochs (train / test error)  stochastic epochs")
    epochs = {}
    for momentum in T6_MOMENTA:
        row = []
        for mode, size in (("batch", None), ("stochastic", 1)):
            clf, train, test = _t6_fit(w11, momentum, 0.01, size)
            report.runs[f"{mode}, momentum {momentum}, threshold 0.01"] = clf
            epochs[mode, momentum] = clf.n_iter_
            row.append(f"{clf.n_iter_:>3} ({train:.2f} % / {test:.2f} %)")
        report.log.append(f"{momentum:>8}  {row[0]:>34}  {row[1]:>24}")
    E = float(batch.history_.loss[-1])
    report.checks += [
        Check("batch epochs", batch.n_iter_, 12, batch.n_iter_ == 12),
        Check("batch final E", round(E, 4), 2.9988, _close(E, 2.9988, abs_=5e-5)),
        Check("batch train error %", round(batch_train, 2), 0.69, round(batch_train, 2) == 0.69),
        Check("batch test error %", round(batch_test, 2), 1.39, round(batch_test, 2) == 1.39),
        Check("stochastic train error %", round(sgd_train, 2), 0.35, sgd_train <= 0.7),
        Check("stochastic test error %", round(sgd_test, 2), 1.39, sgd_test <= 1.4),
        Check(
            "stochastic needs fewer epochs (momentum 0.7)",
            f"{sgd.n_iter_} < {batch.n_iter_}",
            "fewer",
            sgd.n_iter_ < batch.n_iter_,
        ),
        Check(
            "epochs at momentum 0.9, threshold 0.01: stochastic vs batch",
            f"{epochs['stochastic', 0.9]} vs {epochs['batch', 0.9]}",
            "17 vs 52",
            2 * epochs["stochastic", 0.9] <= epochs["batch", 0.9],
        ),
    ]
    return report


def t7() -> Report:
    """T7: the dummy-variable trap; the normal equations fail, gradient descent fits."""
    X, y = datasets.dummy_trap()
    settings = {
        "X": "10 × 3: ones, indicator of rows 1–5, indicator of rows 6–10",
        "y": "five 0s, five 1s",
        "w start": "N(0, 1/3)",
        "learning rate": 0.001,
        "steps": 1000,
        "update": "w ← w − η Xᵀ(Xw − y)",
    }
    report = Report("T7", "The dummy-variable trap", settings)
    report.about = (
        "Two indicator columns that always add up to the column of ones make XᵀX singular, "
        "so the normal equations have no unique solution and solving them fails. Gradient "
        "descent does not need to invert anything: it walks to one of the many weight "
        "vectors that fit, and its predictions match the targets."
    )
    try:
        datasets.least_squares(X, y)
        failed, why = False, "solved"
    except datasets.SingularNormalEquationsError as err:
        failed, why = True, str(err).splitlines()[0]
    report.log.append(f"normal equations: {why}")
    reg = GDRegressor(
        fit_intercept=False, reduction="sum", learning_rate=0.001, max_epochs=1000,
        init="normal", tol=None, random_state=0, record_weights=True,
    ).fit(X, y)  # fmt: skip
    report.runs["gradient descent"] = reg
    predicted = reg.predict(X)
    report.log.append("predictions: " + ", ".join(f"{p:.4f}" for p in predicted))
    worst = float(np.max(np.abs(predicted - y)))
    report.checks += [
        Check("normal equations", "singular" if failed else "solved", "singular", failed),
        Check("largest |prediction − target|", round(worst, 4), "≈ 0.01", worst <= 0.01, 0.0),
    ]
    return report


#: Every experiment's function, by its key, in the order the demo runs them.
EXPERIMENTS: dict[str, Callable[[], Report]] = {
    "T1": t1,
    "T2": t2,
    "T3": t3,
    "T4": t4,
    "T5": t5,
    "T6": t6,
    "T7": t7,
}


def run(names=None) -> list[Report]:
    """Run the named experiments (all when ``names`` is empty), in the order given."""
    keys = [name.upper() for name in names] if names else list(EXPERIMENTS)
    unknown = [name for name in keys if name not in EXPERIMENTS]
    if unknown:
        raise ValueError(
            f"Unknown experiment {unknown[0]!r}; known experiments are " + ", ".join(EXPERIMENTS)
        )
    return [EXPERIMENTS[key]() for key in keys]
