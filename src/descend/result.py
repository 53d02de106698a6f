"""The result of a run."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from descend.history import History

__all__ = ["Result"]


@dataclass(repr=False)
class Result:
    """What :func:`descend.minimize` and :func:`descend.maximize` return.

    Attributes
    ----------
    x : float or numpy.ndarray
        The final point (a float when the run started from a float).
    fun : float
        The objective at ``x``: the minimum found, or the maximum for :func:`descend.maximize`.
    grad : float or numpy.ndarray
        The gradient of the objective at ``x``.
    nit : int
        Iterations (steps) taken.
    nfev : int
        Calls of the objective, those made by numeric differentiation and line search included.
    ngev : int
        Gradient evaluations (analytic calls, or numeric gradients computed).
    success : bool
        True when a stopping rule other than ``max_iter`` ended the run and it did not diverge.
    reason : str
        The name of what stopped the run: ``"max_iter"``, ``"tol"``, ``"xtol"``, ``"gtol"``,
        ``"target"``, ``"patience"``, ``"callback"``, ``"diverged"``, ``"line_search"``, or the
        name of a rule of your own.
    message : str
        The reason as a sentence.
    history : History
        Every point visited, with f, gradient norm, learning rate and time.
    gradient : str
        How the gradient was had: ``"analytic"`` (given, or carried by the objective),
        ``"numeric"`` (central differences), or the backend that differentiated the
        function's code: ``"jax"``, ``"torch"``, ``"autograd"``, ``"complex-step"``
        (:mod:`descend.autodiff`).
    """

    x: float | np.ndarray
    fun: float
    grad: float | np.ndarray
    nit: int
    nfev: int
    ngev: int
    success: bool
    reason: str
    message: str
    history: History = field(default=None)
    gradient: str = "analytic"

    def __repr__(self) -> str:
        rows = [
            ("message", self.message),
            ("success", self.success),
            ("reason", self.reason),
            ("fun", self.fun),
            ("x", self.x),
            ("grad", self.grad),
            ("nit", self.nit),
            ("nfev", self.nfev),
            ("ngev", self.ngev),
            ("gradient", self.gradient),
            ("history", self.history),
        ]
        width = max(len(key) for key, _ in rows)
        lines = []
        for key, value in rows:
            text = (
                np.array2string(value, precision=6)
                if isinstance(value, np.ndarray)
                else (f"{value:.10g}" if isinstance(value, float) else str(value))
            )
            text = text.replace("\n", "\n" + " " * (width + 2))
            lines.append(f"{key:>{width}}: {text}")
        return "\n".join(lines)
