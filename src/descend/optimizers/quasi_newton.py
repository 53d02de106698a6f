"""L-BFGS and nonlinear conjugate gradients: directions built from the gradients seen so far.

Both take a step proportional to the learning rate, scaled so that a unit rate is the natural
first trial of a line search, and both are meant to run with one: their default learning rate
is ``"wolfe"`` (:class:`descend.linesearch.Wolfe`), which picks each step's rate so that the
strong Wolfe conditions hold. A fixed rate also runs (a fraction of the quasi-Newton step
each iteration; the rate times the conjugate direction) but gives up the guarantees.

The update sees only the gradient at the current point, so what they learn from a step
(the change in x and in the gradient) is worked out at the next update from the point and
gradient kept in the state: the state stays a pure function of the points visited.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from descend._validation import check_count
from descend.linesearch import Backtracking, Wolfe
from descend.optimizers.base import LearningRate, Optimizer, state_array

__all__ = ["LBFGS", "CGState", "ConjugateGradient", "LBFGSState"]

#: A pair (s, y) is kept only when its curvature s·y exceeds this share of y·y: below it the
#: pair says nothing reliable about the Hessian (s·y ≤ 0 would break positive definiteness).
CURVATURE = 1e-10


def _unit_descent(grad: np.ndarray) -> np.ndarray:
    """The steepest-descent step of unit length (zero for a zero gradient)."""
    norm = float(np.linalg.norm(grad))
    return -grad / norm if norm > 0 and math.isfinite(norm) else -grad


class LBFGSState(NamedTuple):
    """The last ``memory`` curvature pairs (oldest first) and where the last update was.

    ``count`` is the number of updates made (none: ``x_prev`` and ``g_prev`` are not yet
    meaningful); the first ``pairs`` rows of ``s``, ``y`` and ``rho = 1 / (s·y)`` hold pairs.
    """

    count: int
    pairs: int
    s: np.ndarray
    y: np.ndarray
    rho: np.ndarray
    x_prev: np.ndarray
    g_prev: np.ndarray


@dataclass(frozen=True)
class LBFGS(Optimizer):
    r"""Limited-memory BFGS: a quasi-Newton step from the last ``memory`` gradient changes.

    With :math:`s_i = x_{i+1} - x_i` and :math:`y_i = \nabla f(x_{i+1}) - \nabla f(x_i)` for
    the last :math:`m` steps, the step is

    .. math::

        x_{t+1} = x_t - \eta_t \, H_t \nabla f(x_t)

    where :math:`H_t` is the BFGS inverse-Hessian approximation built from those pairs on
    :math:`H^0 = \gamma I`, :math:`\gamma = s^\top y / y^\top y` of the newest pair, and
    applied by the two-loop recursion in :math:`O(m n)`. A pair with too little curvature
    (:math:`s^\top y \le 10^{-10}\, y^\top y`, or so little that :math:`1 / s^\top y`
    overflows) is left out, so :math:`H_t` stays positive definite. The first step is the
    steepest-descent direction of unit length; so is a step whose direction would not
    descend, which also forgets the pairs kept so far.

    Parameters
    ----------
    learning_rate : "wolfe", Wolfe, float, schedule or "backtracking"
        :math:`\eta_t`: by default a strong-Wolfe line search
        (:class:`~descend.linesearch.Wolfe` with :math:`c_2 = 0.9`), which tries
        :math:`\eta = 1` first.
    memory : int
        :math:`m`, the pairs kept (3–20 is usual).

    Examples
    --------
    >>> import numpy as np
    >>> import descend
    >>> res = descend.minimize(descend.functions.rosenbrock, [-1.2, 1.0], optimizer="lbfgs")
    >>> res.x.round(6), res.reason, res.nit < 60
    (array([1., 1.]), 'gtol', True)
    """

    learning_rate: LearningRate = "wolfe"
    memory: int = 10
    name = "lbfgs"
    proportional = True
    one_objective = True

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "memory", check_count(self.memory, "memory", minimum=1))

    def init(self, params):
        flat = state_array(params).ravel()
        rows = np.zeros((self.memory, flat.size), dtype=flat.dtype)
        return LBFGSState(0, 0, rows, rows.copy(), np.zeros(self.memory), flat.copy(), flat.copy())

    def update(self, grad, state, params, learning_rate=None):
        rate = self._rate(learning_rate)
        shape, g = np.shape(params), np.array(grad, dtype=float).ravel()
        x = np.array(params, dtype=float).ravel()  # copies: the state keeps them
        count, pairs, s, y, rho = state.count, state.pairs, state.s, state.y, state.rho
        if count:
            s_new, y_new = x - state.x_prev, g - state.g_prev
            sy, yy = float(s_new @ y_new), float(y_new @ y_new)
            # (a pair whose 1 / s·y or s·y / y·y overflows, far below rounding, is no use)
            usable = yy > 0.0 and sy > CURVATURE * yy
            if usable and math.isfinite(1.0 / sy) and math.isfinite(sy / yy):
                keep = min(pairs, self.memory - 1)  # the oldest pair leaves when full
                s = np.concatenate([s[pairs - keep : pairs], s_new[None], s[pairs:]])
                y = np.concatenate([y[pairs - keep : pairs], y_new[None], y[pairs:]])
                rho = np.concatenate([rho[pairs - keep : pairs], [1.0 / sy], rho[pairs:]])
                s, y, rho = s[: self.memory], y[: self.memory], rho[: self.memory]
                pairs = keep + 1
        direction = -self._inverse_hessian(g, s[:pairs], y[:pairs], rho[:pairs])
        if pairs == 0 or not float(g @ direction) < 0.0:
            direction, pairs = _unit_descent(g), 0  # forget a memory that points uphill
        new = LBFGSState(count + 1, pairs, s, y, rho, x, g)
        return (rate * direction).reshape(shape), new

    @staticmethod
    def _inverse_hessian(g, s, y, rho):
        """:math:`H g` by the two-loop recursion over the pairs ``s, y`` (oldest first)."""
        if not len(rho):
            return g.copy()
        q = g.copy()
        alphas = np.empty(len(rho))
        for i in range(len(rho) - 1, -1, -1):
            alphas[i] = rho[i] * float(s[i] @ q)
            q -= alphas[i] * y[i]
        r = q * (float(s[-1] @ y[-1]) / float(y[-1] @ y[-1]))  # H⁰ = γ I
        for i in range(len(rho)):
            r += s[i] * (alphas[i] - rho[i] * float(y[i] @ r))
        return r


class CGState(NamedTuple):
    r"""The last direction :math:`d` (before its scale :math:`\alpha`), gradient and point,
    and the updates made since the last restart (none: the others are not yet
    meaningful)."""

    count: int
    direction: np.ndarray
    g_prev: np.ndarray
    x_prev: np.ndarray


def _beta(variant: str, g, g_prev, d_prev) -> float:
    """The weight of the last direction in the new one, by the variant's formula (inf or
    nan for a zero divisor)."""
    change = g - g_prev
    if variant == "PR+":
        return max(0.0, float((g @ change) / (g_prev @ g_prev)))
    if variant == "FR":
        return float((g @ g) / (g_prev @ g_prev))
    if variant == "HS":
        return max(0.0, float((g @ change) / (d_prev @ change)))
    return float((g @ g) / (d_prev @ change))  # DY


#: The formulas of the conjugate-gradient weight :math:`\beta`, by name.
CG_VARIANTS = ("PR+", "FR", "HS", "DY")


@dataclass(frozen=True)
class ConjugateGradient(Optimizer):
    r"""Nonlinear conjugate gradients.

    .. math::

        d_t &= -\nabla f(x_t) + \beta_t\, d_{t-1}, \qquad d_0 = -\nabla f(x_0) \\
        x_{t+1} &= x_t + \eta_t\, \alpha_t\, d_t

    with :math:`\beta_t` by ``variant`` (:math:`g = \nabla f(x_t)`, :math:`\Delta g = g -
    \nabla f(x_{t-1})`):

    =========  ==================================================
    ``"PR+"``  :math:`\max(0,\ g^\top \Delta g / \lVert g_{t-1}\rVert^2)` (Polak–Ribière+)
    ``"FR"``   :math:`\lVert g\rVert^2 / \lVert g_{t-1}\rVert^2` (Fletcher–Reeves)
    ``"HS"``   :math:`\max(0,\ g^\top \Delta g / d_{t-1}^\top \Delta g)` (Hestenes–Stiefel+)
    ``"DY"``   :math:`\lVert g\rVert^2 / d_{t-1}^\top \Delta g` (Dai–Yuan)
    =========  ==================================================

    The direction restarts at :math:`-g` every ``restart`` steps (default: the number of
    parameters), when successive gradients are far from orthogonal
    (:math:`|g^\top g_{t-1}| \ge 0.2 \lVert g\rVert^2`, Powell's test), and whenever it
    does not descend. Under a line search, :math:`\alpha_t` scales the step so that a unit
    rate is the usual first trial: :math:`\alpha_t = \eta_{t-1} \alpha_{t-1}\,
    g_{t-1}^\top d_{t-1} / g^\top d_t`, the rate that would repeat the last step's
    first-order decrease (unit length at first). At a fixed or scheduled rate, which has no
    trial to guess, :math:`\alpha_t = 1`: the step is :math:`\eta_t d_t`, as plain descent's
    is :math:`\eta_t` times the negative gradient.

    Parameters
    ----------
    learning_rate : "wolfe", Wolfe, float, schedule or "backtracking"
        By default a strong-Wolfe line search with :math:`c_2 = 0.1`: conjugate gradients
        need nearly exact searches to keep their directions descending.
    variant : {"PR+", "FR", "HS", "DY"}
    restart : int or None
        Steps between restarts; None restarts every n steps, n the number of parameters.

    Examples
    --------
    >>> import descend
    >>> res = descend.minimize(descend.functions.rosenbrock, [-1.2, 1.0], optimizer="cg")
    >>> res.x.round(5), res.reason
    (array([1., 1.]), 'gtol')
    """

    learning_rate: LearningRate = "wolfe"
    variant: str = "PR+"
    restart: int | None = None
    name = "cg"
    proportional = True
    one_objective = True

    def __post_init__(self):
        if isinstance(self.learning_rate, str) and self.learning_rate == "wolfe":
            object.__setattr__(self, "learning_rate", Wolfe(c2=0.1))
        super().__post_init__()
        if self.variant not in CG_VARIANTS:
            raise ValueError(
                f"Invalid variant: {self.variant!r}; expected one of "
                + ", ".join(repr(v) for v in CG_VARIANTS)
            )
        if self.restart is not None:
            object.__setattr__(self, "restart", check_count(self.restart, "restart", minimum=1))

    @property
    def searched(self) -> bool:
        """Whether a line search picks the rates (and the step is scaled for its trials)."""
        return isinstance(self.learning_rate, Wolfe | Backtracking)

    def init(self, params):
        flat = state_array(params).ravel()
        return CGState(0, flat.copy(), flat.copy(), flat.copy())

    def update(self, grad, state, params, learning_rate=None):
        rate = self._rate(learning_rate)
        shape, g = np.shape(params), np.array(grad, dtype=float).ravel()
        x = np.array(params, dtype=float).ravel()  # copies: the state keeps them
        count, d_prev, g_prev = state.count, state.direction, state.g_prev
        period = self.restart or g.size
        fresh = count % period == 0 or abs(float(g @ g_prev)) >= 0.2 * float(g @ g)
        direction = -g
        with np.errstate(all="ignore"):
            if not fresh:
                beta = _beta(self.variant, g, g_prev, d_prev)
                direction = -g + beta * d_prev
                if not (math.isfinite(beta) and float(g @ direction) < 0.0):
                    direction, fresh = -g, True
            # the last step's rate times its scale, read off the step itself, then the rate
            # that would repeat its first-order decrease
            # (NumPy scalars: a zero divisor gives inf or nan, refused below)
            taken = ((x - state.x_prev) @ d_prev) / (d_prev @ d_prev)
            scale = float(taken * (g_prev @ d_prev) / (g @ direction))
        if fresh:
            count = 0
        if not self.searched:
            scale = 1.0
        elif not (state.count and math.isfinite(scale) and scale > 0.0):
            norm = float(np.linalg.norm(g))  # at first: a step of unit length
            scale = 1.0 / norm if norm > 0 and math.isfinite(norm) else 1.0
        new = CGState(count + 1, direction, g, x)
        return (rate * scale * direction).reshape(shape), new
