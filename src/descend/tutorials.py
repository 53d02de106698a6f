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

from descend import functions
from descend.descent import maximize, minimize
from descend.result import Result

__all__ = ["EXPERIMENTS", "Check", "Report", "run", "t1", "t2", "t3"]


@dataclass(frozen=True)
class Check:
    """One number of ours next to the tutorial's, and whether they agree."""

    quantity: str
    ours: Any
    reference: Any
    ok: bool


@dataclass
class Report:
    """What one experiment did and showed."""

    key: str
    title: str
    settings: dict[str, Any]
    checks: list[Check] = field(default_factory=list)
    runs: dict[str, Result] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every check agrees with the tutorial."""
        return all(check.ok for check in self.checks)


def _close(ours: float, reference: float, rel: float = 0.0, abs_: float = 0.0) -> bool:
    return math.isclose(ours, reference, rel_tol=rel, abs_tol=abs_)


def t1() -> Report:
    """T1: the parabola x² − 6x + 5 from 15, learning rate 0.01, stop when |Δx| ≤ 0.001."""
    settings = {"f(x)": "x² − 6x + 5", "x0": 15.0, "learning rate": 0.01, "xtol": 0.001}
    res = minimize(functions.quadratic, 15.0, learning_rate=0.01, xtol=0.001)
    report = Report("T1", "A parabola, fixed step, stop on a small change of x", settings)
    report.runs["descent"] = res
    for k in (0, 1, 2, 10, 100, res.nit):
        report.log.append(f"iteration {k:>3}: x = {res.history.x[k]:.6f}")
    report.log.append(f"local minimum at x = {res.x:.2f} after {res.nit} steps")
    report.checks += [
        Check("final x", round(res.x, 4), 3.0483, _close(res.x, 3.0483, abs_=5e-5)),
        Check("steps", res.nit, 273, res.nit == 273),
        Check("stop reason", res.reason, "xtol", res.reason == "xtol"),
    ]
    return report


def t2() -> Report:
    """T2: w² from 20 at learning rate 0.1; the w1² + w2⁴ exercise; ascent as flipped descent."""
    settings = {"f(w)": "w²", "w0": 20.0, "learning rate": 0.1}
    report = Report("T2", "w², a fixed number of steps; w1² + w2⁴; gradient ascent", settings)
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
        ),
        Check(
            "w after 30 steps",
            float(f"{short.x:.4g}"),
            0.02476,
            _close(short.x, 0.02476, rel=5e-4),
        ),
        Check(
            "w after 100 steps", float(f"{long.x:.3g}"), 4.07e-9, _close(long.x, 4.07e-9, rel=5e-3)
        ),
        Check(
            "w1² + w2⁴: largest |w| after 1000 steps (flat w2⁴ bottom)",
            float(f"{far:.3g}"),
            "→ 0",
            far < 0.05,
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
    final = {}
    for lr in T3_LEARNING_RATES:
        for alpha in T3_MOMENTA:
            res = minimize(
                functions.sphere, w0, learning_rate=lr, momentum=alpha, max_iter=5, tol=-1
            )
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


EXPERIMENTS: dict[str, Callable[[], Report]] = {"T1": t1, "T2": t2, "T3": t3}


def run(names=None) -> list[Report]:
    """Run the named experiments (all when ``names`` is empty), in the order given."""
    keys = [name.upper() for name in names] if names else list(EXPERIMENTS)
    unknown = [name for name in keys if name not in EXPERIMENTS]
    if unknown:
        raise ValueError(
            f"Unknown experiment {unknown[0]!r}; known experiments are " + ", ".join(EXPERIMENTS)
        )
    return [EXPERIMENTS[key]() for key in keys]
