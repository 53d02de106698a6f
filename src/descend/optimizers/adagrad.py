"""AdaGrad: per-coordinate step sizes from the running sum of squared gradients."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from descend._validation import check_nonnegative
from descend.optimizers.base import CompiledForm, LearningRate, Optimizer, state_array

__all__ = ["AdaGrad", "AdaGradState"]


class AdaGradState(NamedTuple):
    """Steps taken so far and the running sum of squared gradients."""

    count: int
    sum_sq: np.ndarray


@dataclass(frozen=True)
class AdaGrad(Optimizer):
    r"""AdaGrad, with the update rule of ``torch.optim.Adagrad``.

    .. math::

        \tilde\eta_t &= \frac{\eta_t}{1 + (t - 1)\,\text{lr\_decay}} \\
        G_t &= G_{t-1} + g_t^2 \\
        x_{t+1} &= x_t - \tilde\eta_t \, \frac{g_t}{\sqrt{G_t} + \epsilon}

    where :math:`t = 1, 2, \dots` counts steps, :math:`g_t = \nabla f(x_t)`, squares and roots
    are per coordinate and :math:`G_0` is ``initial_accumulator_value`` everywhere.

    Parameters
    ----------
    learning_rate : float, schedule or "backtracking"
    lr_decay : float
        Hyperbolic decay of the learning rate with the step count (>= 0).
    eps : float
        Added to the root for numerical safety (>= 0).
    initial_accumulator_value : float
        Starting value of every :math:`G` entry (>= 0).

    Examples
    --------
    >>> import numpy as np
    >>> from descend.optimizers import AdaGrad
    >>> opt = AdaGrad(0.5)
    >>> x = np.array([3.0, -4.0])
    >>> step, state = opt.update(2 * x, opt.init(x), x)
    >>> x + step                     # the first step moves every coordinate by the rate
    array([ 2.5, -3.5])
    """

    learning_rate: LearningRate = 0.01
    lr_decay: float = 0.0
    eps: float = 1e-10
    initial_accumulator_value: float = 0.0
    name = "adagrad"
    proportional = True

    def __post_init__(self):
        super().__post_init__()
        for field in ("lr_decay", "eps", "initial_accumulator_value"):
            value = check_nonnegative(getattr(self, field), field)
            object.__setattr__(self, field, value)

    def init(self, params):
        return AdaGradState(count=0, sum_sq=state_array(params, self.initial_accumulator_value))

    def update(self, grad, state, params, learning_rate=None):
        count = state.count + 1
        rate = self._rate(learning_rate) / (1.0 + (count - 1) * self.lr_decay)
        sum_sq = state.sum_sq + grad * grad
        step = -rate * grad / (np.sqrt(sum_sq) + self.eps)
        return step, AdaGradState(count=count, sum_sq=sum_sq)

    def compiled_form(self):
        return CompiledForm("adagrad", (self.lr_decay, self.eps), ("sum_sq",), "count")
