"""Adam and AdamW: bias-corrected moment estimates, with coupled or decoupled weight decay."""

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
    root,
    state_array,
)

__all__ = ["Adam", "AdamState", "AdamW"]


class AdamState(NamedTuple):
    """Steps taken, first and second moment estimates, and (amsgrad) the running max of ``nu``."""

    count: int
    mu: np.ndarray
    nu: np.ndarray
    nu_max: np.ndarray | None


@dataclass(frozen=True)
class Adam(Optimizer):
    r"""Adam, with the update rule of ``torch.optim.Adam``.

    .. math::

        g_t &\leftarrow \nabla f(x_t) + \lambda x_t
            \qquad \text{(L2 weight decay, when } \lambda > 0) \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
        v_t &= \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
        \hat v_t &= \max(\hat v_{t-1}, v_t) \text{ with amsgrad, else } v_t \\
        x_{t+1} &= x_t - \frac{\eta_t}{1 - \beta_1^t} \,
            \frac{m_t}{\sqrt{\hat v_t} / \sqrt{1 - \beta_2^t} + \epsilon}

    for :math:`t = 1, 2, \dots`, with the moments starting at zero. Note where
    :math:`\epsilon` sits: it is added after the bias correction of the root.

    Parameters
    ----------
    learning_rate : float, schedule or "backtracking"
    betas : (float, float)
        Decay rates :math:`(\beta_1, \beta_2)` of the moment estimates, each in [0, 1).
    eps : float
        Added to the denominator (>= 0).
    weight_decay : float
        :math:`\lambda`, an L2 penalty folded into the gradient (>= 0).
    amsgrad : bool
        Use the running maximum of the second moment (AMSGrad).

    Examples
    --------
    >>> import numpy as np
    >>> from descend.optimizers import Adam
    >>> opt = Adam(0.1)
    >>> x = np.array([3.0, -4.0])
    >>> step, state = opt.update(2 * x, opt.init(x), x)
    >>> np.round(x + step, 6)            # the first step moves each coordinate by about the rate
    array([ 2.9, -3.9])
    """

    learning_rate: LearningRate = 1e-3
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    amsgrad: bool = False
    name = "adam"
    proportional = True

    def __post_init__(self):
        super().__post_init__()
        try:
            beta1, beta2 = self.betas
        except (TypeError, ValueError):
            raise ValueError(
                f"Invalid betas: {self.betas!r}; expected a pair of numbers"
            ) from None
        betas = (check_unit_interval(beta1, "beta1"), check_unit_interval(beta2, "beta2"))
        object.__setattr__(self, "betas", betas)
        object.__setattr__(self, "eps", check_nonnegative(self.eps, "eps"))
        object.__setattr__(
            self, "weight_decay", check_nonnegative(self.weight_decay, "weight_decay")
        )
        object.__setattr__(self, "amsgrad", bool(self.amsgrad))

    def init(self, params):
        zeros = state_array(params)
        return AdamState(count=0, mu=zeros, nu=zeros, nu_max=zeros if self.amsgrad else None)

    def update(self, grad, state, params, learning_rate=None):
        rate = self._rate(learning_rate)
        if is_positive(self.weight_decay):
            grad = grad + self.weight_decay * params
        return self._adam_step(grad, state, rate)

    def _adam_step(self, grad, state, rate):
        beta1, beta2 = self.betas
        count = state.count + 1
        mu = state.mu + (1.0 - beta1) * (grad - state.mu)  # rounds like torch's lerp
        nu = beta2 * state.nu + (1.0 - beta2) * grad * grad
        nu_max = np.maximum(state.nu_max, nu) if self.amsgrad else None
        second = nu if nu_max is None else nu_max
        denom = np.sqrt(second) / root(1.0 - beta2**count) + self.eps
        step = -(rate / (1.0 - beta1**count)) * mu / denom
        return step, AdamState(count=count, mu=mu, nu=nu, nu_max=nu_max)

    def compiled_form(self):
        return self._adam_form(decoupled=False)

    def _adam_form(self, decoupled: bool) -> CompiledForm:
        """The compiled Adam rule, its weight decay folded into the gradient or (AdamW)
        taken from the parameters directly."""
        beta1, beta2 = self.betas
        hyper = (beta1, beta2, self.eps, self.weight_decay, float(self.amsgrad), float(decoupled))
        return CompiledForm("adam", hyper, rows=("mu", "nu", "nu_max"), count="count")


@dataclass(frozen=True)
class AdamW(Adam):
    r"""AdamW: Adam with decoupled weight decay, with the update rule of ``torch.optim.AdamW``.

    .. math::

        x_{t+1} = x_t - \eta_t \lambda x_t - \frac{\eta_t}{1 - \beta_1^t} \,
            \frac{m_t}{\sqrt{\hat v_t} / \sqrt{1 - \beta_2^t} + \epsilon}

    where :math:`m_t, \hat v_t` are Adam's moments of the raw gradient: the decay shrinks the
    parameters directly instead of passing through the adaptive scaling.

    Parameters
    ----------
    learning_rate, betas, eps, amsgrad :
        As for :class:`Adam`.
    weight_decay : float
        :math:`\lambda \ge 0`, the decoupled decay coefficient.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.optimizers import AdamW
    >>> opt = AdamW(0.1, weight_decay=0.5)
    >>> x = np.array([2.0])
    >>> step, state = opt.update(np.array([0.0]), opt.init(x), x)
    >>> x + step                         # zero gradient: only the decay acts, x (1 - 0.1 * 0.5)
    array([1.9])
    """

    weight_decay: float = 1e-2
    name = "adamw"

    def update(self, grad, state, params, learning_rate=None):
        rate = self._rate(learning_rate)
        step, state = self._adam_step(grad, state, rate)
        return step - rate * self.weight_decay * params, state

    def compiled_form(self):
        return self._adam_form(decoupled=True)
