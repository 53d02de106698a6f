"""RMSProp: steps scaled by a running root-mean-square of the gradient."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from descend._validation import check_nonnegative, check_unit_interval
from descend.optimizers.base import (
    CompiledForm,
    LearningRate,
    Optimizer,
    is_positive,
    state_array,
)

__all__ = ["RMSProp", "RMSPropState"]


class RMSPropState(NamedTuple):
    """Running mean of squared gradients, of gradients (centred form) and the momentum buffer."""

    square_avg: np.ndarray
    grad_avg: np.ndarray | None
    buffer: np.ndarray | None


@dataclass(frozen=True)
class RMSProp(Optimizer):
    r"""RMSProp, with the update rule of ``torch.optim.RMSprop``.

    .. math::

        v_t &= \alpha v_{t-1} + (1 - \alpha) g_t^2 \\
        \bar g_t &= \alpha \bar g_{t-1} + (1 - \alpha) g_t
            \qquad \text{(centred only)} \\
        d_t &= \sqrt{v_t} + \epsilon
            \quad\text{or, centred,}\quad \sqrt{v_t - \bar g_t^2} + \epsilon \\
        b_t &= \mu b_{t-1} + g_t / d_t \\
        x_{t+1} &= x_t - \eta_t b_t

    with every average and buffer starting at zero; with ``momentum=0`` the last two lines are
    simply :math:`x_{t+1} = x_t - \eta_t g_t / d_t`.

    Parameters
    ----------
    learning_rate : float, schedule or "backtracking"
    alpha : float
        Smoothing constant of the averages, in [0, 1).
    eps : float
        Added to the denominator (>= 0).
    momentum : float
        :math:`\mu \in [0, 1)`.
    centered : bool
        Normalise by an estimate of the gradient's variance instead of its second moment.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.optimizers import RMSProp
    >>> opt = RMSProp(0.01, alpha=0.99)
    >>> x = np.array([1.0])
    >>> step, state = opt.update(np.array([2.0]), opt.init(x), x)
    >>> round(float(step[0]), 6)         # -0.01 * 2 / sqrt(0.01 * 4)
    -0.1
    """

    learning_rate: LearningRate = 0.01
    alpha: float = 0.99
    eps: float = 1e-8
    momentum: float = 0.0
    centered: bool = False
    name = "rmsprop"
    proportional = True

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "alpha", check_unit_interval(self.alpha, "alpha"))
        object.__setattr__(self, "eps", check_nonnegative(self.eps, "eps"))
        object.__setattr__(self, "momentum", check_unit_interval(self.momentum, "momentum"))
        object.__setattr__(self, "centered", bool(self.centered))

    def init(self, params):
        zeros = state_array(params)
        return RMSPropState(
            square_avg=zeros,
            grad_avg=zeros if self.centered else None,
            buffer=zeros if is_positive(self.momentum) else None,
        )

    def update(self, grad, state, params, learning_rate=None):
        a = self.alpha
        square_avg = a * state.square_avg + (1.0 - a) * grad * grad
        grad_avg = None
        if self.centered:
            # The interpolating form rounds like torch's lerp; the centred denominator below
            # cancels badly, so a last-bit difference here would grow along the run.
            grad_avg = state.grad_avg + (1.0 - a) * (grad - state.grad_avg)
            denom = np.sqrt(square_avg - grad_avg * grad_avg) + self.eps
        else:
            denom = np.sqrt(square_avg) + self.eps
        direction = grad / denom
        buffer = None
        if is_positive(self.momentum):
            buffer = direction = self.momentum * state.buffer + direction
        step = -self._rate(learning_rate) * direction
        return step, RMSPropState(square_avg=square_avg, grad_avg=grad_avg, buffer=buffer)

    def compiled_form(self):
        hyper = (self.alpha, self.eps, self.momentum, float(self.centered))
        return CompiledForm("rmsprop", hyper, rows=("square_avg", "grad_avg", "buffer"))
