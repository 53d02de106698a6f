"""Gradient descent with momentum: the classic (heavy-ball) form and Nesterov's."""

from __future__ import annotations

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
    """The momentum buffer :math:`b` (zeros before the first step)."""

    buffer: np.ndarray


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
    ``torch.optim.SGD(momentum=mu, nesterov=True)``.

    .. math::

        b_t &= \mu \, b_{t-1} + \nabla f(x_t) \\
        x_{t+1} &= x_t - \eta_t \left(\nabla f(x_t) + \mu \, b_t\right)

    with :math:`b_{-1} = 0`: the gradient is taken at the current point and the look-ahead is
    folded into the step, so no second gradient evaluation is needed.

    Parameters
    ----------
    learning_rate : float, schedule or "backtracking"
        The step size :math:`\eta`.
    momentum : float
        :math:`\mu \in [0, 1)`.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.optimizers import Nesterov
    >>> opt = Nesterov(0.1, momentum=0.5)
    >>> x = np.array([20.0])
    >>> step, state = opt.update(2 * x, opt.init(x), x); x + step
    array([14.])
    """

    learning_rate: LearningRate = 0.01
    momentum: float = 0.9
    name = "nesterov"
    proportional = True

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "momentum", check_unit_interval(self.momentum, "momentum"))

    def init(self, params):
        return NesterovState(buffer=state_array(params))

    def update(self, grad, state, params, learning_rate=None):
        buffer = self.momentum * state.buffer + grad
        step = -self._rate(learning_rate) * (grad + self.momentum * buffer)
        return step, NesterovState(buffer=buffer)

    def compiled_form(self):
        return CompiledForm("nesterov", (self.momentum,), rows=("buffer",))
