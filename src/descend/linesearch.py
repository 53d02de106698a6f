"""Armijo backtracking: pick each step's learning rate by trying and shrinking.

``learning_rate="backtracking"`` (or a :class:`Backtracking` object for other settings) lets
descend choose the step size itself, which is the usual cure for a learning rate that is too
large (the run blows up) or too small (the run crawls).

At every iteration the optimizer proposes a step :math:`s(\\eta)` for a trial learning rate
:math:`\\eta`, starting at ``initial`` and multiplied by ``shrink`` after each rejection, until
the Armijo sufficient-decrease condition holds:

.. math:: f(x + s(\\eta)) \\le f(x) + c \\, \\min(\\nabla f(x) \\cdot s(\\eta), 0)

For plain gradient descent :math:`s(\\eta) = -\\eta \\nabla f(x)` and this is the textbook
condition. For the other optimizers the step is the optimizer's own (momentum, adaptive scaling
and all), so the search runs along the optimizer's direction; a step that is not a descent
direction must at least not increase f.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

from descend._validation import check_count, check_positive

__all__ = ["Backtracking"]


@dataclass(frozen=True)
class Backtracking:
    """Armijo backtracking line search along the optimizer's step.

    Parameters
    ----------
    initial : float
        First learning rate tried at every iteration.
    shrink : float
        Factor in (0, 1) applied to the trial learning rate after each rejected trial.
    c : float
        Sufficient-decrease constant in (0, 1); 1e-4 is the customary choice.
    max_trials : int
        Trials per iteration before the search gives up.

    Examples
    --------
    >>> import descend
    >>> res = descend.minimize(lambda x: (x - 2.0) ** 2, 10.0, learning_rate="backtracking",
    ...                        gtol=1e-8)
    >>> round(res.x, 6), res.reason
    (2.0, 'gtol')
    """

    initial: float = 1.0
    shrink: float = 0.5
    c: float = 1e-4
    max_trials: int = 60

    def __post_init__(self):
        object.__setattr__(self, "initial", check_positive(self.initial, "initial learning rate"))
        for name in ("shrink", "c"):
            value = check_positive(getattr(self, name), f"backtracking {name}")
            if value >= 1.0:
                raise ValueError(f"Invalid backtracking {name}: {value!r}; it must lie in (0, 1)")
            object.__setattr__(self, name, value)
        object.__setattr__(
            self, "max_trials", check_count(self.max_trials, "max_trials", minimum=1)
        )

    def search(self, fun, x, f, grad, propose, scale=1.0):
        """Find the first trial learning rate that passes the Armijo test.

        Parameters
        ----------
        fun : callable
            ``fun(x) -> float``, the objective being minimised.
        x, f, grad :
            The current point, its value and its gradient.
        propose : callable
            ``propose(learning_rate) -> (step, optimizer_state)``.
        scale : float
            Multiplies ``initial`` (descend halves it when it recovers from a divergence).

        Returns
        -------
        tuple or None
            ``(learning_rate, step, state, x_new, f_new)`` of the accepted trial, or ``None``
            when every trial failed.
        """
        lr = self.initial * scale
        for _ in range(self.max_trials):
            step, state = propose(lr)
            x_new = x + step
            f_new = fun(x_new)
            slope = min(float(grad @ step), 0.0)
            # Below the rounding level of f the Armijo bound reads f_new <= f; a step that
            # promises a decrease must then still deliver a strict one.
            if math.isfinite(f_new) and f_new <= f + self.c * slope and (f_new < f or slope == 0):
                return lr, step, state, x_new, f_new
            lr *= self.shrink
        return None

    def step(self, fun, x, f, grad, optimizer, state, scale=1.0):
        """:meth:`search` along an optimizer's step from its ``state``; when no trial
        decreases f (a stale momentum may point uphill), once more from a fresh state.

        Returns what :meth:`search` returns, or ``None`` when both searches failed.
        """
        found = self.search(fun, x, f, grad, partial(optimizer.update, grad, state, x), scale)
        if found is None and len(state):  # a state with nothing in it needs no second try
            fresh = optimizer.init(x)
            found = self.search(fun, x, f, grad, partial(optimizer.update, grad, fresh, x), scale)
        return found
