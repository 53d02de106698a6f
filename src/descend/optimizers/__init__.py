"""The optimizers of descend: each a pair of pure functions over NumPy arrays.

==============  ==============================================================
name            optimizer
==============  ==============================================================
``"gd"``        :class:`GD` — plain gradient descent
``"momentum"``  :class:`Momentum` — the tutorial's momentum, Δx ← −η∇f + αΔx
``"nesterov"``  :class:`Nesterov` — Nesterov momentum (torch.optim.SGD rule), or the
                accelerated sequence, with an optional gradient restart
``"adagrad"``   :class:`AdaGrad` (torch.optim.Adagrad rule)
``"rmsprop"``   :class:`RMSProp` (torch.optim.RMSprop rule)
``"adam"``      :class:`Adam` (torch.optim.Adam rule)
``"adamw"``     :class:`AdamW` (torch.optim.AdamW rule)
``"lbfgs"``     :class:`LBFGS` — limited-memory BFGS, with a Wolfe line search
``"cg"``        :class:`ConjugateGradient` — nonlinear conjugate gradients (PR+)
==============  ==============================================================

Each is a frozen record of hyper-parameters with ``init(params) -> state`` and
``update(grad, state, params, learning_rate=None) -> (step, state)``, and each describes
that update to the compiled kernels with ``compiled_form()`` (all but :class:`Nesterov`'s
sequence and restart, which the kernels step in NumPy); see
:mod:`descend.optimizers.base`.

Examples
--------
A loop by hand, without :func:`descend.minimize`:

>>> import numpy as np
>>> from descend.optimizers import Adam
>>> opt = Adam(learning_rate=0.1)
>>> x = np.array([3.0, -4.0])
>>> state = opt.init(x)
>>> for _ in range(200):
...     step, state = opt.update(2 * x, state, x)
...     x = x + step
>>> bool(np.all(np.abs(x) < 0.05))
True
"""

from __future__ import annotations

from descend.optimizers.adagrad import AdaGrad, AdaGradState
from descend.optimizers.adam import Adam, AdamState, AdamW
from descend.optimizers.base import CompiledForm, EmptyState, Optimizer, check_learning_rate
from descend.optimizers.gd import GD
from descend.optimizers.momentum import Momentum, MomentumState, Nesterov, NesterovState
from descend.optimizers.quasi_newton import LBFGS, CGState, ConjugateGradient, LBFGSState
from descend.optimizers.rmsprop import RMSProp, RMSPropState

__all__ = [
    "GD",
    "LBFGS",
    "OPTIMIZERS",
    "AdaGrad",
    "AdaGradState",
    "Adam",
    "AdamState",
    "AdamW",
    "CGState",
    "CompiledForm",
    "ConjugateGradient",
    "EmptyState",
    "LBFGSState",
    "Momentum",
    "MomentumState",
    "Nesterov",
    "NesterovState",
    "Optimizer",
    "RMSProp",
    "RMSPropState",
    "check_learning_rate",
    "line_search_default",
    "make",
]

#: Every optimizer class, by the name ``optimizer=`` takes.
OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.name: cls
    for cls in (GD, Momentum, Nesterov, AdaGrad, RMSProp, Adam, AdamW, LBFGS, ConjugateGradient)
}
_WITH_MOMENTUM = ("momentum", "nesterov", "rmsprop")


def line_search_default(name) -> bool:
    """Whether the optimizer of this name is made to run with a line search (its own default
    learning rate names one), so that a run given no rate keeps it.

    >>> line_search_default("lbfgs"), line_search_default("gd"), line_search_default("x")
    (True, False, False)
    """
    cls = OPTIMIZERS.get(str(name).lower())
    return cls is not None and isinstance(cls.learning_rate, str)


def make(name: str, learning_rate=None, momentum=None) -> Optimizer:
    """Build a named optimizer from the two settings :func:`descend.minimize` takes by name.

    ``learning_rate=None`` and ``momentum=None`` keep the optimizer's own defaults. ``"gd"``
    with a momentum above zero is the tutorial's general routine, :class:`Momentum`;
    ``"nesterov"`` also takes ``momentum="sequence"``, the accelerated sequence.

    >>> make("adam", learning_rate=0.1)
    Adam(learning_rate=0.1, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0, amsgrad=False)
    >>> make("gd", 0.05, momentum=0.5)
    Momentum(learning_rate=0.05, momentum=0.5)
    >>> make("nesterov", 0.1, momentum="sequence")
    Nesterov(learning_rate=0.1, momentum='sequence', restart=None)
    """
    if not isinstance(name, str):
        raise TypeError(
            f"Invalid optimizer: {name!r}; expected a name or an object from descend.optimizers"
        )
    key = name.lower()
    if key not in OPTIMIZERS:
        known = ", ".join(repr(k) for k in OPTIMIZERS)
        raise ValueError(f"Unknown optimizer: {name!r}; known optimizers are {known}")
    kwargs = {}
    if learning_rate is not None:
        kwargs["learning_rate"] = learning_rate
    if momentum is not None:
        if isinstance(momentum, str) and key in ("gd", "momentum", "rmsprop"):
            raise ValueError(
                f"Invalid momentum: {momentum!r}; only 'nesterov' takes the accelerated "
                f"sequence, optimizer {name!r} a number in [0, 1)"
            )
        if key == "gd" and momentum != 0:
            key = "momentum"
        if key in _WITH_MOMENTUM:
            kwargs["momentum"] = momentum
        elif momentum != 0:
            hint = f" (its moment decay is betas=, on {OPTIMIZERS[key].__name__})" * (
                key in ("adam", "adamw")
            )
            raise ValueError(
                f"Invalid momentum: {momentum!r}; optimizer {name!r} has no momentum setting{hint}"
            )
    return OPTIMIZERS[key](**kwargs)
