"""An objective that carries its own gradient."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Objective"]


@dataclass(frozen=True)
class Objective:
    """A function bundled with its analytic gradient.

    Calling the object calls ``fun``; ``objective.grad`` is the gradient. :func:`descend.minimize`
    uses the carried gradient when no ``grad`` is passed, and ``grad="check"`` compares it with
    finite differences before the run. The built-in test functions of :mod:`descend.functions`
    are objectives.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float``.
    grad : callable
        ``grad(x, *args) -> array`` shaped like ``x``.
    name : str, optional
        A label used in messages and plots.

    Examples
    --------
    >>> import descend
    >>> f = descend.Objective(lambda x: x**2 - 6*x + 5, lambda x: 2*x - 6, name="parabola")
    >>> res = descend.minimize(f, 15.0, grad="check", learning_rate=0.01, xtol=0.001)
    >>> round(res.x, 4), res.nit
    (3.0483, 273)
    """

    fun: Callable
    grad: Callable
    name: str | None = None

    def __post_init__(self):
        if not callable(self.fun):
            raise TypeError(f"Invalid objective function: {self.fun!r} is not callable")
        if not callable(self.grad):
            raise TypeError(f"Invalid gradient: {self.grad!r} is not callable")

    def __call__(self, x, *args):
        return self.fun(x, *args)

    def __repr__(self) -> str:
        label = self.name or getattr(self.fun, "__name__", "function")
        return f"Objective({label})"
