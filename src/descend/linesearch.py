"""Line searches: pick each step's learning rate by trying it.

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

``learning_rate="wolfe"`` (:class:`Wolfe`, the default of
:class:`~descend.optimizers.LBFGS` and :class:`~descend.optimizers.ConjugateGradient`) also
asks the slope to have flattened (the strong Wolfe conditions), which needs the gradient at
the trials and a step proportional to the rate, and grows the rate as well as shrinking it.
Both searches return a :class:`Found`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

import numpy as np

from descend._validation import check_count, check_positive

__all__ = ["Backtracking", "Found", "Wolfe"]


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
        Found or None
            The accepted trial (without a gradient), or ``None`` when every trial failed.
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
                return Found(lr, step, state, x_new, f_new)
            lr *= self.shrink
        return None

    def step(self, fun, x, f, grad, optimizer, state, scale=1.0, *, gradient=None):
        """:meth:`search` along an optimizer's step from its ``state``; when no trial
        decreases f (a stale momentum may point uphill), once more from a fresh state.
        ``grad`` is the gradient at ``x``; the gradient function ``gradient`` is not needed
        (it is taken so that every line search is called alike).

        Returns what :meth:`search` returns, or ``None`` when both searches failed.
        """
        found = self.search(fun, x, f, grad, partial(optimizer.update, grad, state, x), scale)
        if found is None and len(state):  # a state with nothing in it needs no second try
            fresh = optimizer.init(x)
            found = self.search(fun, x, f, grad, partial(optimizer.update, grad, fresh, x), scale)
        return found


class Found(NamedTuple):
    """The step a line search accepted.

    Attributes
    ----------
    rate : float
        The learning rate of the accepted trial.
    step : ndarray
        The optimizer's step at that rate; the new point is ``x + step``.
    state : NamedTuple
        The optimizer's state after the step.
    x, f :
        The new point and the objective there.
    g : ndarray or None
        The gradient there, where the search evaluated it (:class:`Wolfe` always does,
        :class:`Backtracking` never).
    """

    rate: float
    step: np.ndarray
    state: NamedTuple
    x: np.ndarray
    f: float
    g: np.ndarray | None = None


@dataclass(frozen=True)
class Wolfe:
    r"""A line search for a step that satisfies the strong Wolfe conditions.

    Along the optimizer's step :math:`t\,d` at rate :math:`t` (for the optimizers that take
    it, the step is proportional to the rate: :class:`~descend.optimizers.LBFGS`,
    :class:`~descend.optimizers.ConjugateGradient` and :class:`~descend.optimizers.GD`), a
    rate is accepted when, with :math:`\phi(t) = f(x + t\,d)`,

    .. math::

        \phi(t) &\le \phi(0) + c_1\, t\, \phi'(0)
            \qquad &\text{(sufficient decrease)} \\
        |\phi'(t)| &\le c_2\, |\phi'(0)| \qquad &\text{(curvature)}

    The curvature condition is what quasi-Newton methods need: it makes
    :math:`s^\top y > 0` for the pair they learn from each step, so their model of the
    inverse Hessian stays positive definite. The search starts at ``initial`` (unit rate: the
    optimizers scale their step so that this is the natural first guess), extrapolates while
    the slope is still steeply downhill, and once an interval holds an acceptable rate,
    narrows it by safeguarded cubic interpolation.

    Parameters
    ----------
    c1 : float
        Sufficient-decrease constant in (0, 1); 1e-4 is customary.
    c2 : float
        Curvature constant in (c1, 1): 0.9 suits quasi-Newton methods (most first trials
        pass), 0.1 conjugate gradients (which need nearly exact searches).
    initial : float
        The first trial rate.
    max_trials : int
        Evaluations per search. When they run out, or the interval left narrows below the
        rounding of the rates (near a minimum, where f changes only in its last digits), a
        rate that satisfies the sufficient-decrease condition alone is taken if one was found.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.linesearch import Wolfe
    >>> fun = lambda x: float(x @ x)
    >>> grad = lambda x: 2 * x
    >>> x = np.array([3.0, 4.0])
    >>> found = Wolfe().search(fun, grad, x, fun(x), grad(x), -0.25 * grad(x))
    >>> rate, x_new, f_new, g_new, used = found
    >>> rate, x_new, used  # the first trial already satisfies both conditions
    (1.0, array([1.5, 2. ]), 1)
    """

    c1: float = 1e-4
    c2: float = 0.9
    initial: float = 1.0
    max_trials: int = 30

    def __post_init__(self):
        object.__setattr__(self, "initial", check_positive(self.initial, "initial learning rate"))
        for name in ("c1", "c2"):
            value = check_positive(getattr(self, name), f"Wolfe {name}")
            if value >= 1.0:
                raise ValueError(f"Invalid Wolfe {name}: {value!r}; it must lie in (0, 1)")
            object.__setattr__(self, name, value)
        if not self.c1 < self.c2:
            raise ValueError(
                f"Invalid Wolfe constants: c1={self.c1!r} and c2={self.c2!r}; they need "
                "0 < c1 < c2 < 1"
            )
        object.__setattr__(
            self, "max_trials", check_count(self.max_trials, "max_trials", minimum=1)
        )

    def search(self, fun, grad, x, f, g, direction, scale=1.0):
        """Find a rate ``t`` that satisfies the strong Wolfe conditions along ``direction``.

        Parameters
        ----------
        fun, grad : callable
            ``fun(x) -> float`` and ``grad(x) -> ndarray``; the gradient is asked only where
            the sufficient decrease holds.
        x, f, g :
            The current point, its value and its gradient.
        direction : ndarray
            A descent direction (``g @ direction < 0``).
        scale : float
            Multiplies ``initial`` (descend halves it when it recovers from a divergence).

        Returns
        -------
        tuple or None
            ``(t, x_new, f_new, g_new, evaluations)`` with ``x_new = x + t * direction``, or
            None when ``direction`` does not descend or no trial both decreased ``f`` and met
            the sufficient-decrease condition.
        """
        slope0 = float(g @ direction)
        if not slope0 < 0.0:
            return None
        decrease, curvature = self.c1 * slope0, self.c2 * abs(slope0)
        used = 0

        def probe(t):
            nonlocal used
            used += 1
            point = x + t * direction
            value = fun(point)
            if not math.isfinite(value):
                return point, math.inf, None, math.nan
            # the gradient is worth its cost only where the point may be accepted
            gradient = grad(point) if value <= f + t * decrease else None
            slope = math.nan if gradient is None else float(gradient @ direction)
            return point, value, gradient, slope

        # Bracketing: grow the rate until a trial fails the decrease test, rises above the
        # last one, or slopes upward; an acceptable rate then lies between the last two.
        lo, lo_probe = 0.0, (x, f, g, slope0)
        t = self.initial * scale
        hi = hi_probe = None
        while used < self.max_trials:
            trial = probe(t)
            _, value, gradient, slope = trial
            if gradient is None or (value >= lo_probe[1] and lo > 0.0):
                hi, hi_probe = t, trial
                break
            if abs(slope) <= curvature:
                return t, trial[0], value, gradient, used
            if slope >= 0.0:
                hi, hi_probe, lo, lo_probe = lo, lo_probe, t, trial
                break
            # still steeply downhill: further, where the cubic through the last two trials
            # has its minimum, kept between 1.1 and 4 times the last stride beyond t
            ahead = _cubic_minimum(lo, lo_probe, t, trial)
            stride = t - lo
            lo, lo_probe = t, trial
            t = min(max(ahead, t + 1.1 * stride), t + 4.0 * stride)
        # Zooming: lo always satisfies the decrease test and has the lowest value found;
        # the slope at lo points towards hi. The interpolated trial is trusted while the
        # interval keeps shrinking; one that has not halved in two trials is bisected.
        widths = [math.inf, math.inf]
        while hi is not None and used < self.max_trials:
            width = abs(hi - lo)
            t = _cubic_step(lo, lo_probe, hi, hi_probe, bisect=width > 0.5 * widths[-2])
            widths.append(width)
            if not abs(t - lo) > 1e-12 * max(abs(lo), abs(hi)) or t == hi:
                break  # the interval is below the rounding level of the rates
            trial = probe(t)
            _, value, gradient, slope = trial
            if gradient is None or value >= lo_probe[1]:
                hi, hi_probe = t, trial
                continue
            if abs(slope) <= curvature:
                return t, trial[0], value, gradient, used
            if slope * (hi - lo) >= 0.0:
                hi, hi_probe = lo, lo_probe
            lo, lo_probe = t, trial
        if lo > 0.0 and lo_probe[1] < f:  # a decrease, short of the curvature condition
            return lo, lo_probe[0], lo_probe[1], lo_probe[2], used
        return None

    def step(self, fun, x, f, grad, optimizer, state, scale=1.0, *, gradient=None):
        """:meth:`search` along the optimizer's step at unit rate from ``state``.

        ``grad`` is the gradient at ``x`` and ``gradient`` the gradient function. The
        optimizer's step must be proportional to its learning rate and its new state
        independent of it (``optimizer.proportional``). Returns a :class:`Found` with
        the gradient at the new point, or None when the step does not descend (then once
        more from a fresh state: a stale memory may point uphill) or no trial decreased f.
        """
        if gradient is None:
            raise TypeError("a Wolfe line search needs the gradient function: pass gradient=")
        found = self._along(fun, gradient, x, f, grad, optimizer, state, scale)
        if found is None and len(state):  # a state with nothing in it needs no second try
            found = self._along(fun, gradient, x, f, grad, optimizer, optimizer.init(x), scale)
        return found

    def _along(self, fun, grad, x, f, g, optimizer, state, scale):
        unit, new_state = optimizer.update(g, state, x, 1.0)
        found = self.search(fun, grad, x, f, g, unit, scale)
        if found is None:
            return None
        t, x_new, f_new, g_new, _ = found
        return Found(t, x_new - x, new_state, x_new, f_new, g_new)


def _cubic_minimum(a, a_probe, b, b_probe) -> float:
    """Where the cubic through the values and slopes at ``a`` and ``b`` has its local
    minimum (the quadratic through a's value and slope and b's value, where b has no slope);
    inf where there is none."""
    fa, da = a_probe[1], a_probe[3]
    fb, db = b_probe[1], b_probe[3]
    width = b - a
    if not math.isfinite(fb):
        return math.inf
    if not math.isfinite(db):
        curve = fb - fa - da * width
        return a - da * width * width / (2.0 * curve) if curve > 0.0 else math.inf
    d1 = da + db - 3.0 * (fa - fb) / (a - b)
    root = d1 * d1 - da * db
    if root < 0.0:
        return math.inf
    d2 = math.copysign(math.sqrt(root), width)
    denominator = db - da + 2.0 * d2
    return b - width * (db + d2 - d1) / denominator if denominator != 0.0 else math.inf


def _cubic_step(a, a_probe, b, b_probe, bisect=False):
    """The next trial rate between ``a`` and ``b``: :func:`_cubic_minimum` of the two
    trials, at least a thousandth of the interval from either end; the midpoint where there
    is no minimum inside, or when asked to ``bisect``."""
    width = b - a
    t = math.nan if bisect else _cubic_minimum(a, a_probe, b, b_probe)
    low, high = sorted((a, b))
    if not low < t < high:
        return a + 0.5 * width
    margin = 1e-3 * abs(width)
    return min(max(t, low + margin), high - margin)
