"""What every optimizer shares: the learning-rate argument and the ``init``/``update`` pair.

An optimizer is an immutable record of hyper-parameters with two pure functions:

- ``init(params) -> state``: the optimizer's memory before the first step, a small
  ``NamedTuple`` of NumPy arrays and counters;
- ``update(grad, state, params, learning_rate=None) -> (step, state)``: the step to add to
  ``params`` and the new state. Nothing is modified in place, so a state can be kept, copied,
  compared or rolled back freely.

``learning_rate`` on an optimizer may be a number, a schedule (a callable of the step count,
see :mod:`descend.schedules`) or ``"backtracking"`` (see :mod:`descend.linesearch`). The update
itself always works with the number for the current step: :func:`descend.minimize` evaluates
the schedule or runs the line search and passes that number in.

An optimizer may also describe its update to the compiled kernels of :mod:`descend.kernels`
with :meth:`Optimizer.compiled_form` (a :class:`CompiledForm`), written beside its
:meth:`~Optimizer.update`; without one, the estimators step it with that NumPy update.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from descend._validation import check_positive
from descend.linesearch import Backtracking, Wolfe

LearningRate = float | Callable[[int], float] | Backtracking | Wolfe | str

__all__ = [
    "CompiledForm",
    "EmptyState",
    "LearningRate",
    "Optimizer",
    "check_learning_rate",
    "is_positive",
    "root",
    "state_array",
]


class EmptyState(NamedTuple):
    """State of an optimizer that remembers nothing between steps."""


class CompiledForm(NamedTuple):
    """How the compiled kernels of :mod:`descend.kernels` run an optimizer's update.

    The kernels keep an optimizer's state as up to three rows of one array, each as long as
    the parameters, and a step count; this record says which fields of the optimizer's state
    ``NamedTuple`` those are, so that the state goes in and comes back out unchanged in type.

    Attributes
    ----------
    kind : str
        The update rule compiled into the kernels: ``"gd"``, ``"momentum"``,
        ``"nesterov"``, ``"adagrad"``, ``"rmsprop"`` or ``"adam"``.
    hyper : tuple of float
        The hyper-parameters that rule reads, in the order it reads them.
    rows : tuple of str
        The state's array fields, in the order of the kernels' state rows (three at most). A
        field that is None in a state (the buffer of an option not in use) stays None.
    count : str or None
        The state's field of the step count, where the rule counts steps.

    Examples
    --------
    >>> from descend.optimizers import RMSProp
    >>> form = RMSProp(0.01, momentum=0.5).compiled_form()
    >>> form.kind, form.hyper  # alpha, eps, momentum, centred
    ('rmsprop', (0.99, 1e-08, 0.5, 0.0))
    >>> form.rows, form.count  # not centred: no running mean of the gradient in the state
    (('square_avg', 'grad_avg', 'buffer'), None)
    """

    kind: str
    hyper: tuple[float, ...] = ()
    rows: tuple[str, ...] = ()
    count: str | None = None


def check_learning_rate(value: Any) -> float | Callable[[int], float] | Backtracking | Wolfe:
    """Normalise a learning-rate argument, raising on a bad one with the value in the message.

    Accepts a positive finite number, a schedule (any callable of the step count), the
    strings ``"backtracking"`` and ``"wolfe"``, or a :class:`~descend.linesearch.Backtracking`
    or :class:`~descend.linesearch.Wolfe` object.
    """
    if isinstance(value, Backtracking | Wolfe):
        return value
    if isinstance(value, str):
        if value == "backtracking":
            return Backtracking()
        if value == "wolfe":
            return Wolfe()
        raise ValueError(
            f"Invalid learning rate: {value!r}; expected a positive number, a schedule, "
            "'backtracking' or 'wolfe'"
        )
    if isinstance(value, type):
        raise TypeError(
            f"Invalid learning rate: {value.__name__} is a class; pass a schedule built with "
            "its settings, such as schedules.constant(0.1)"
        )
    if callable(value):
        return value
    return check_positive(value, "learning rate")


def is_positive(value) -> bool:
    """``value > 0`` for a setting; for a column of settings (one per run of a sweep), whether
    any of them is."""
    if isinstance(value, np.ndarray):
        return bool(np.any(value > 0))
    return value > 0


def root(value):
    """The square root of a number (as :func:`math.sqrt`) or of a column of them."""
    if isinstance(value, np.ndarray):
        return np.sqrt(value)
    return math.sqrt(value)


def state_array(params: np.ndarray, fill: float = 0.0) -> np.ndarray:
    """A state buffer shaped like ``params``: floating like them (integers become float64)."""
    params = np.asarray(params)
    dtype = params.dtype if np.issubdtype(params.dtype, np.floating) else np.float64
    return np.full(params.shape, fill, dtype=dtype)


class Optimizer:
    """Base class of the optimizers in :mod:`descend.optimizers`.

    Subclasses are frozen dataclasses holding the hyper-parameters; they implement
    :meth:`init` and :meth:`update` as pure functions.
    """

    name: str = "optimizer"
    learning_rate: LearningRate
    #: Whether the step is proportional to the learning rate and the new state independent
    #: of it, so that a step at unit rate gives the line along which a
    #: :class:`~descend.linesearch.Wolfe` search can pick any rate.
    proportional: bool = False
    #: Whether the steps are built from the gradients of one objective at successive points
    #: (a quasi-Newton memory, conjugate directions), so that every step must see the same
    #: objective: the full batch, never mini-batches.
    one_objective: bool = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # A compiled form describes the update rule of the class that declares it; a subclass
        # may change that rule, so it runs its NumPy update unless it declares a form anew.
        if "compiled_form" not in cls.__dict__:
            cls.compiled_form = Optimizer.compiled_form

    def __post_init__(self):
        given = self.learning_rate
        object.__setattr__(self, "learning_rate", check_learning_rate(given))
        if isinstance(self.learning_rate, Wolfe) and not self.proportional:
            raise ValueError(
                f"Invalid learning rate: {given!r}, a Wolfe line search, for "
                f"{type(self).__name__}, whose step is not proportional to its learning rate; "
                "use 'backtracking'"
            )

    def init(self, params: np.ndarray) -> NamedTuple:
        """Return the state before the first step for parameters shaped like ``params``."""
        raise NotImplementedError

    def update(
        self, grad: np.ndarray, state: NamedTuple, params: np.ndarray, learning_rate=None
    ) -> tuple[np.ndarray, NamedTuple]:
        """Return ``(step, new_state)``; the new parameters are ``params + step``."""
        raise NotImplementedError

    def compiled_form(self) -> CompiledForm | None:
        """How the compiled kernels run :meth:`update`, or None where they cannot (the
        estimators then step with :meth:`update` itself). A subclass inherits no form: it
        declares its own, or has none."""
        return None

    def _rate(self, learning_rate) -> float:
        """The learning rate of this step: the one passed in, else the fixed one."""
        if learning_rate is not None:
            if isinstance(learning_rate, np.ndarray):  # one rate per run of a sweep
                return learning_rate
            return float(learning_rate)
        if isinstance(self.learning_rate, float):
            return self.learning_rate
        raise TypeError(
            f"{type(self).__name__} has learning_rate={self.learning_rate!r}, which is not a "
            "number: pass the learning rate of this step as update(..., learning_rate=...)"
        )
