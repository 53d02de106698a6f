"""Gradient descent with momentum: the classic (heavy-ball) form and Nesterov's."""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from descend._validation import check_unit_interval
from descend.optimizers.base import CompiledForm, LearningRate, Optimizer, state_array

__all__ = ["Momentum", "MomentumState", "Nesterov", "NesterovState"]


_new_tuple = tuple.__new__


class MomentumState(NamedTuple):
    """The previous step :math:`\\Delta x` (zeros before the first one)."""

    velocity: np.ndarray


class NesterovState(NamedTuple):
    """The momentum buffer :math:`b` (zeros before the first step) and, with the accelerated
    sequence, the steps :math:`k` taken since the start or the last restart (0 otherwise; in
    a sweep that restarts, a column with each run's count)."""

    buffer: np.ndarray
    count: int = 0


#: What ``Nesterov(momentum=...)`` takes besides a number: the accelerated sequence.
SEQUENCE = "sequence"
#: The restart rules ``Nesterov(restart=...)`` knows.
RESTARTS = ("gradient",)


def _check_momentum(value):
    """Nesterov's momentum: a number in [0, 1) (as a float) or "sequence"."""
    expected = "expected a number in [0, 1) or 'sequence'"
    if isinstance(value, str):
        if value == SEQUENCE:
            return value
        raise ValueError(f"Invalid momentum: {value!r}; {expected}")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"Invalid momentum: {value!r}; {expected}")
    return check_unit_interval(value, "momentum")


def _check_restart(value):
    """Nesterov's restart rule: None or one of :data:`RESTARTS`."""
    if value is None or (isinstance(value, str) and value in RESTARTS):
        return value
    if isinstance(value, str) and value == "function":
        raise ValueError(
            "Invalid restart: 'function'; the function restart compares objective values, "
            "which an optimizer's update never sees: use restart='gradient'"
        )
    error = ValueError if isinstance(value, str) else TypeError
    raise error(f"Invalid restart: {value!r}; expected None or 'gradient'")


def _sequence(k):
    r""":math:`\mu_k = (k - 1) / (k + 2)` for :math:`k \ge 1`, and 0 for :math:`k = 0` (a
    count, or a column of counts in a sweep)."""
    if isinstance(k, np.ndarray):
        return np.maximum(k - 1, 0) / (k + 2)
    return max(k - 1, 0) / (k + 2)


@dataclass(frozen=True)
class Momentum(Optimizer):
    r"""Gradient descent with momentum, in the form the classic tutorials teach.

    .. math::

        \Delta x_t &= -\eta_t \nabla f(x_t) + \alpha \, \Delta x_{t-1} \\
        x_{t+1} &= x_t + \Delta x_t

    with :math:`\Delta x_{-1} = 0`. With a constant learning rate this is exactly the
    heavy-ball method of ``torch.optim.SGD(momentum=alpha)``; with a schedule, past steps keep
    the learning rate they were taken with. ``momentum=0`` is plain gradient descent.

    Parameters
    ----------
    learning_rate : float, schedule or "backtracking"
        The step size :math:`\eta`.
    momentum : float
        :math:`\alpha \in [0, 1)`, the fraction of the previous step carried into the next.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.optimizers import Momentum
    >>> opt = Momentum(0.1, momentum=0.5)
    >>> x = np.array([20.0]); state = opt.init(x)
    >>> step, state = opt.update(2 * x, state, x); x = x + step; x
    array([16.])
    >>> step, state = opt.update(2 * x, state, x); x + step
    array([10.8])
    """

    learning_rate: LearningRate = 0.01
    momentum: float = 0.9
    name = "momentum"

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "momentum", check_unit_interval(self.momentum, "momentum"))

    def init(self, params):
        return MomentumState(velocity=state_array(params))

    def update(self, grad, state, params, learning_rate=None):
        rate = learning_rate if type(learning_rate) is float else self._rate(learning_rate)
        step = -rate * grad + self.momentum * state[0]
        return step, _new_tuple(MomentumState, (step,))  # MomentumState(step), one call less

    def compiled_form(self):
        return CompiledForm("momentum", (self.momentum,), rows=("velocity",))


@dataclass(frozen=True)
class Nesterov(Optimizer):
    r"""Nesterov accelerated gradient, with the update rule of
    ``torch.optim.SGD(momentum=mu, nesterov=True)``, optionally with the accelerated momentum
    sequence and the gradient restart.

    .. math::

        b_{k+1} &= \mu_k \, b_k + \nabla f(x_k) \\
        x_{k+1} &= x_k - \eta_k \left(\nabla f(x_k) + \mu_{k+1} \, b_{k+1}\right)

    with :math:`b_0 = 0`: the gradient is taken at the current point and the look-ahead is
    folded into the step, so no second gradient evaluation is needed. With a constant
    :math:`\eta` this is, step for step, the classic two-sequence form

    .. math::

        z_{k+1} &= x_k - \eta \nabla f(x_k) \\
        x_{k+1} &= z_{k+1} + \mu_{k+1} (z_{k+1} - z_k), \qquad z_0 = x_0,

    the parameters being the look-ahead points :math:`x_k` (then
    :math:`z_{k+1} - z_k = -\eta \, b_{k+1}`).

    ``momentum`` a number is :math:`\mu_k = \mu` throughout. ``momentum="sequence"`` is the
    accelerated sequence :math:`\mu_k = (k - 1) / (k + 2)` (0, 1/4, 2/5, 1/2, ... from
    :math:`k = 1`, and :math:`\mu_0 = 0`), :math:`k` counting the steps since the start or
    the last restart: with :math:`\eta = 1/L` on a convex :math:`L`-smooth objective the gap
    :math:`f - f^*` falls as :math:`O(1/k^2)` against plain descent's :math:`O(1/k)`, and
    no condition number need be known. The first step is a plain gradient step.

    ``restart="gradient"`` is O'Donoghue and Candès's gradient restart: where
    :math:`\nabla f(x_k) \cdot (z_{k+1} - z_k) > 0`, the momentum carries the iterate
    uphill. In the buffer that reads

    .. math:: \nabla f(x_k) \cdot b_{k+1}
        = \mu_k \, \nabla f(x_k) \cdot b_k + \lVert \nabla f(x_k) \rVert^2 < 0,

    and then the step is the plain gradient step :math:`-\eta_k \nabla f(x_k)`, the buffer
    empties and :math:`k` starts again from 0. On a strongly convex objective this keeps the
    sequence's speed without its oscillations (a linear rate close to that of the best
    fixed momentum, whose value needs the condition number). A restart that compares values
    of :math:`f` is not offered: an update sees gradients only.

    Parameters
    ----------
    learning_rate : float, schedule or "backtracking"
        The step size :math:`\eta`.
    momentum : float or "sequence"
        :math:`\mu \in [0, 1)`, or ``"sequence"`` for the accelerated sequence.
    restart : None or "gradient"
        Whether the momentum is dropped when it points uphill.

    Notes
    -----
    In a sweep (one rate per run, as a column) the restart test and the count are per run:
    the dot products are taken along each run's row.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.optimizers import Nesterov
    >>> opt = Nesterov(0.1, momentum=0.5)
    >>> x = np.array([20.0])
    >>> step, state = opt.update(2 * x, opt.init(x), x); x + step
    array([14.])

    The accelerated sequence starts with a plain gradient step:

    >>> opt = Nesterov(0.1, momentum="sequence", restart="gradient")
    >>> step, state = opt.update(2 * x, opt.init(x), x); x = x + step; x, state.count
    (array([16.]), 1)
    """

    learning_rate: LearningRate = 0.01
    momentum: float | str = 0.9
    restart: str | None = None
    name = "nesterov"
    proportional = True

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "momentum", _check_momentum(self.momentum))
        object.__setattr__(self, "restart", _check_restart(self.restart))

    def init(self, params):
        return NesterovState(buffer=state_array(params), count=0)

    def update(self, grad, state, params, learning_rate=None):
        rate = self._rate(learning_rate)
        momentum, count = self.momentum, state.count
        if isinstance(momentum, str):  # the sequence
            momentum, ahead, count = _sequence(count), _sequence(count + 1), count + 1
        else:
            ahead = momentum
        buffer = momentum * state.buffer + grad
        step = -rate * (grad + ahead * buffer)
        if self.restart is None:
            return step, NesterovState(buffer, count)
        if isinstance(rate, np.ndarray):  # a sweep: each run (row) restarts on its own
            uphill = np.sum(grad * buffer, axis=-1, keepdims=True) < 0.0
            if not uphill.any():
                return step, NesterovState(buffer, count)
            step = np.where(uphill, -rate * grad, step)
            buffer = np.where(uphill, 0.0, buffer)
            if isinstance(self.momentum, str):
                count = np.where(uphill, 0, count)
            return step, NesterovState(buffer, count)
        if np.vdot(grad, buffer) < 0.0:
            return -rate * grad, NesterovState(np.zeros_like(buffer), 0)
        return step, NesterovState(buffer, count)

    def compiled_form(self):
        if isinstance(self.momentum, str) or self.restart is not None:
            return None  # the kernels have neither the sequence nor the restart
        return CompiledForm("nesterov", (self.momentum,), rows=("buffer",))
