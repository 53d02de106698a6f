"""Plain gradient descent."""

from __future__ import annotations

from dataclasses import dataclass

from descend.optimizers.base import CompiledForm, EmptyState, LearningRate, Optimizer

__all__ = ["GD"]


@dataclass(frozen=True)
class GD(Optimizer):
    r"""Plain (steepest) gradient descent.

    .. math:: x_{t+1} = x_t - \eta \, \nabla f(x_t)

    Parameters
    ----------
    learning_rate : float, schedule or "backtracking"
        The step size :math:`\eta`.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.optimizers import GD
    >>> opt = GD(0.1)
    >>> x = np.array([20.0])
    >>> step, state = opt.update(2 * x, opt.init(x), x)
    >>> x + step
    array([16.])
    """

    learning_rate: LearningRate = 0.01
    name = "gd"
    proportional = True

    def init(self, params):
        return EmptyState()

    def update(self, grad, state, params, learning_rate=None):
        return -self._rate(learning_rate) * grad, state

    def compiled_form(self):
        return CompiledForm("gd")
