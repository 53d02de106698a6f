"""Every constructor parameter of the estimators, as one table: what it accepts, its default,
and what it means.

:data:`PARAMETERS` maps an estimator's name to its table, a read-only mapping from each
parameter's name to a :class:`Parameter`, in the constructor's order. The table is the
check as well as the reference: ``fit``, ``partial_fit``, the model files of
:mod:`descend.estimators.serialize` and ``descend train`` all check an estimator's settings
by walking it with :func:`check_parameters`. A value the table refuses is named in the
error, a TypeError when the parameter never takes a value of its kind and a ValueError when
the kind is right but the value is not (out of range, or not one of the names).

A few rules tie two parameters together and are checked by the estimators after the table:
a loss object's ``reduction`` must equal ``reduction``; an optimizer object carries its own
learning rate and momentum, so ``learning_rate`` and ``momentum`` must then be left unset;
a named optimizer without a momentum setting refuses a nonzero ``momentum``; and
``learning_rate="auto"`` is sized from the data of each fit. ``class_weight`` keys are
matched against the classes of ``y`` when there is one.

Examples
--------
>>> from descend.estimators import PARAMETERS, GDRegressor, check_parameters
>>> tol = PARAMETERS["GDRegressor"]["tol"]
>>> tol.default, tol.describe()
('auto', "None, 'auto' or a finite number >= 0")
>>> tol.meaning.split(";")[0]
'Stop when the loss changes by at most this between epochs'
>>> for entry in list(PARAMETERS["GDClassifier"].values())[1:5]:
...     print(f"{entry.name}: {entry.describe()}")
reduction: 'mean' or 'sum'
penalty: None, 'l2', 'l1' or 'elasticnet'
alpha: a finite number >= 0
l1_ratio: a number in [0, 1]
>>> check_parameters(GDRegressor(max_epochs=0))
Traceback (most recent call last):
...
ValueError: Invalid max_epochs: 0; it must be >= 1
>>> check_parameters(GDRegressor(shuffle="yes"))
Traceback (most recent call last):
...
TypeError: Invalid shuffle: 'yes'; expected True or False
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, NamedTuple

import numpy as np

from descend import losses, optimizers
from descend._validation import check_nonnegative
from descend.linesearch import Backtracking, Wolfe

__all__ = ["INITS", "PARAMETERS", "Interval", "Parameter", "check_parameters"]

#: The starting points ``init`` names.
INITS = ("uniform", "normal", "zeros")


class _Kind(NamedTuple):
    """A kind of value a parameter may take: how to recognise one, and how to name it."""

    test: Callable[[object], bool]
    nouns: tuple[str, ...]


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _is_whole(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)


def _is_function(value) -> bool:
    # a class is callable too, but a schedule or callback class wants its settings first
    return callable(value) and not isinstance(value, type)


#: The kinds a :class:`Parameter` names in ``kinds``. "int" and "real" are the numeric
#: kinds its ``ranges`` apply to; a "loss" is accepted only when its name is one of the
#: parameter's ``choices``; the values of "weights" must be finite numbers >= 0.
KINDS: Mapping[str, _Kind] = MappingProxyType(
    {
        "none": _Kind(lambda v: v is None, ("None",)),
        "bool": _Kind(lambda v: isinstance(v, bool | np.bool_), ("True", "False")),
        "int": _Kind(_is_whole, ("a whole number",)),
        "real": _Kind(_is_number, ("a number",)),
        "callable": _Kind(callable, ("a callable",)),
        "schedule": _Kind(_is_function, ("a schedule (a callable of the epoch)",)),
        "weights": _Kind(lambda v: isinstance(v, Mapping), ("a dict {class: weight}",)),
        "loss": _Kind(
            lambda v: isinstance(v, losses.Loss), ("a descend.losses.Loss of one of these",)
        ),
        "optimizer": _Kind(
            lambda v: isinstance(v, optimizers.Optimizer), ("a descend.optimizers.Optimizer",)
        ),
        "backtracking": _Kind(
            lambda v: isinstance(v, Backtracking), ("a descend.linesearch.Backtracking",)
        ),
        "wolfe": _Kind(lambda v: isinstance(v, Wolfe), ("a descend.linesearch.Wolfe",)),
        "generator": _Kind(
            lambda v: isinstance(v, np.random.Generator), ("a numpy.random.Generator",)
        ),
        "randomstate": _Kind(
            lambda v: isinstance(v, np.random.RandomState), ("a numpy.random.RandomState",)
        ),
    }
)


def _g(x: float) -> str:
    return f"{x:g}"


@dataclass(frozen=True)
class Interval:
    """The numbers from ``low`` to ``high``; ``closed`` says which ends belong to it.

    NaN lies in no interval. An open infinite end makes the interval refuse infinities.

    >>> Interval(0, 1, "left").contains(1.0), Interval(0, 1, "left").rule(real=True)
    (False, 'lie in [0, 1)')
    >>> Interval(0, math.inf, "left").rule(real=True)
    'be >= 0 and finite'
    """

    low: float
    high: float
    closed: Literal["both", "left", "right", "neither"] = "both"

    def contains(self, value) -> bool:
        """Whether the number ``value`` lies in the interval."""
        x = float(value)
        left = x >= self.low if self.closed in ("both", "left") else x > self.low
        right = x <= self.high if self.closed in ("both", "right") else x < self.high
        return left and right

    def rule(self, real: bool) -> str:
        """The interval as the end of "it must ...": ``"be >= 1"``, ``"lie in (0, 1)"``.
        ``real`` says the numbers need not be whole, so infinities are worth naming."""
        left_closed = self.closed in ("both", "left")
        right_closed = self.closed in ("both", "right")
        if math.isinf(self.low) and math.isinf(self.high):
            return "not be NaN"
        if math.isinf(self.high):
            finite = " and finite" if real and not right_closed else ""
            return f"be {'>=' if left_closed else '>'} {_g(self.low)}{finite}"
        if math.isinf(self.low):
            finite = " and finite" if real and not left_closed else ""
            return f"be {'<=' if right_closed else '<'} {_g(self.high)}{finite}"
        return (
            f"lie in {'[' if left_closed else '('}{_g(self.low)}, "
            f"{_g(self.high)}{']' if right_closed else ')'}"
        )

    def phrase(self, real: bool) -> str:
        """The interval after a noun: ``">= 1"``, ``"in (0, 1)"``; empty for all numbers."""
        rule = self.rule(real)
        if rule == "not be NaN":
            return ""
        return rule.removeprefix("be ").removeprefix("lie ").removesuffix(" and finite")


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


@dataclass(frozen=True)
class Parameter:
    """One constructor parameter: the values it accepts, its default and its meaning.

    A value is accepted when it is one of ``choices`` (names; with ``ignore_case`` in any
    case) or of one of ``kinds`` (names in :data:`KINDS`), a number of kind ``"int"`` or
    ``"real"`` lying in one of ``ranges`` if any are given.

    Attributes
    ----------
    name : str
        The constructor's argument.
    meaning : str
        One line saying what it does.
    default
        The constructor's default.
    kinds : tuple of str
        The kinds of value it takes besides the names in ``choices``.
    choices : tuple of str
        The names it takes.
    ranges : tuple of Interval
        Where its numbers must lie (one of them).
    expected : str or None
        What the error messages say it expects, where :meth:`describe`'s words would
        leave out what the values mean.
    label : str or None
        The parameter's name in error messages, where it differs from ``name``.
    wrong_kind : type
        The error for a value of a kind it never takes: TypeError, or ValueError for the
        parameters whose every refusal has always been a ValueError.
    ignore_case : bool
        Whether a name in ``choices`` may be written in any case.
    """

    name: str
    meaning: str
    default: object
    kinds: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    ranges: tuple[Interval, ...] = ()
    expected: str | None = None
    label: str | None = None
    wrong_kind: type[Exception] = TypeError
    ignore_case: bool = False

    def __post_init__(self):
        unknown = [kind for kind in self.kinds if kind not in KINDS]
        if unknown:
            raise ValueError(f"Invalid kinds of {self.name}: {unknown}; known are {list(KINDS)}")

    def describe(self) -> str:
        """The values it accepts, in words."""
        if self.expected is not None:
            return self.expected
        items = ["None"] * ("none" in self.kinds) + [repr(c) for c in self.choices]
        for kind in self.kinds:
            if kind == "none":
                continue
            nouns = KINDS[kind].nouns
            if kind in ("int", "real"):
                noun = nouns[0]
                phrases = [r.phrase(kind == "real") for r in self.ranges]
                if kind == "real" and any(r.rule(True).endswith("finite") for r in self.ranges):
                    noun = "a finite number"
                if any(phrases):
                    noun = f"{noun} {' or '.join(p for p in phrases if p)}"
                nouns = (noun,)
            items.extend(nouns)
        return _join(items)

    def _refuse(self, value, error: type[Exception], why: str | None = None):
        label = self.label or self.name
        raise error(f"Invalid {label}: {value!r}; {why or 'expected ' + self.describe()}")

    def check(self, value) -> None:
        """Raise, naming the value, unless the parameter accepts ``value``."""
        if isinstance(value, str):
            key = value.lower() if self.ignore_case else value
            names = [c.lower() for c in self.choices] if self.ignore_case else self.choices
            if key in names:
                return
            if self.choices:
                self._refuse(value, ValueError)  # the right kind: an unknown name
        kind = next((k for k in self.kinds if KINDS[k].test(value)), None)
        if kind is None:
            self._refuse(value, self.wrong_kind)
        if kind in ("int", "real") and self.ranges:
            if not any(r.contains(value) for r in self.ranges):
                why = None
                if self.expected is None:
                    rules = " or ".join(r.rule(kind == "real") for r in self.ranges)
                    why = f"it must {rules}"
                self._refuse(value, ValueError, why)
        elif kind == "loss" and value.name not in self.choices:
            self._refuse(value, ValueError)
        elif kind == "weights":
            label = self.label or self.name
            for key, weight in value.items():
                check_nonnegative(weight, f"{label}[{key!r}]")


def _table(*entries: Parameter) -> Mapping[str, Parameter]:
    return MappingProxyType({entry.name: entry for entry in entries})


_POSITIVE_OR_ZERO = (Interval(0, math.inf, "left"),)
_AT_LEAST_ONE = (Interval(1, math.inf, "left"),)


def _entries(loss: str, loss_names: tuple[str, ...], classifier: bool) -> list[Parameter]:
    """The entries of one estimator, in its constructor's order."""
    entries = [
        Parameter(
            "loss", "The loss of each row: a name, or a loss object from descend.losses.",
            loss, kinds=("loss",), choices=loss_names, wrong_kind=ValueError,
        ),
        Parameter(
            "reduction", "Average ('mean') or add ('sum') the per-row losses of a batch.",
            "mean", choices=losses.REDUCTIONS, wrong_kind=ValueError,
        ),
        Parameter(
            "penalty", "The penalty on coef_ (never on the intercept); None for none.",
            None, kinds=("none",), choices=("l2", "l1", "elasticnet"), wrong_kind=ValueError,
        ),
        Parameter(
            "alpha", "The strength of the penalty.",
            0.0001, kinds=("real",), ranges=_POSITIVE_OR_ZERO,
        ),
        Parameter(
            "l1_ratio", "The elastic net's share of L1: 0 is pure L2, 1 pure L1.",
            0.15, kinds=("real",), ranges=(Interval(0, 1),),
        ),
        Parameter(
            "optimizer",
            "The update rule: 'auto' (L-BFGS where it applies, else 'gd'), a name, or an "
            "optimizer object with its own learning rate and momentum.",
            "auto", kinds=("optimizer",), choices=("auto", *optimizers.OPTIMIZERS),
            ignore_case=True,
        ),
        Parameter(
            "learning_rate",
            "The step size: 'auto' (sized from the data, or the line search of 'lbfgs' and "
            "'cg'), a number, a schedule of the epoch, 'backtracking' (a line search per "
            "batch) or 'wolfe' (a strong-Wolfe line search); None keeps the optimizer's own.",
            "auto", kinds=("none", "real", "schedule", "backtracking", "wolfe"),
            choices=("auto", "backtracking", "wolfe"),
            ranges=(Interval(0, math.inf, "neither"),),
            label="learning rate",  # as every other check of a learning rate words it
        ),
        Parameter(
            "momentum",
            "The momentum of 'gd', 'momentum', 'nesterov' and 'rmsprop', or 'sequence' (the "
            "accelerated sequence, 'nesterov' only); None keeps the optimizer's own.",
            None, kinds=("none", "real"), choices=("sequence",), ranges=(Interval(0, 1, "left"),),
        ),
        Parameter(
            "batch_size", "Rows per step: None all of them, 1 stochastic, k mini-batches.",
            None, kinds=("none", "int"), ranges=_AT_LEAST_ONE,
            expected="None (full batch), 1 (stochastic) or a positive whole number (mini-batch)",
        ),
        Parameter(
            "max_epochs", "At most this many passes over the data.",
            1000, kinds=("int",), ranges=_AT_LEAST_ONE,
        ),
        Parameter(
            "tol",
            "Stop when the loss changes by at most this between epochs; 'auto' is 1e-4, or "
            "1e-12 times the loss for 'lbfgs' and 'cg'; None turns the rule off.",
            "auto", kinds=("none", "real"), choices=("auto",), ranges=_POSITIVE_OR_ZERO,
        ),
        Parameter(
            "n_iter_no_change",
            "Stop instead when the best loss has not improved by more than tol for this many "
            "epochs.",
            None, kinds=("none", "int"), ranges=_AT_LEAST_ONE,
        ),
        Parameter(
            "target_loss", "Stop once the loss is at or below this.",
            None, kinds=("none", "real"), ranges=(Interval(-math.inf, math.inf),),
        ),
        Parameter(
            "early_stopping",
            "Hold out validation_fraction of the rows, watch the loss there and keep the "
            "best epoch.",
            False, kinds=("bool",),
        ),
        Parameter(
            "validation_fraction", "The share of the rows early_stopping holds out.",
            0.1, kinds=("real",), ranges=(Interval(0, 1, "neither"),), wrong_kind=ValueError,
        ),
        Parameter(
            "shuffle", "Reshuffle the rows every epoch (mini-batch and stochastic descent).",
            True, kinds=("bool",),
        ),
        Parameter(
            "random_state", "Seeds the start, the held-out rows and the shuffling.",
            None, kinds=("none", "int", "generator", "randomstate"), ranges=_POSITIVE_OR_ZERO,
        ),
        Parameter(
            "init", "The starting coefficients: zeros, uniform in [0, 1), or normal.",
            "zeros", choices=INITS, wrong_kind=ValueError,
        ),
        Parameter(
            "fit_intercept", "Fit intercept_ (otherwise it stays 0).",
            True, kinds=("bool",),
        ),
        Parameter(
            "warm_start", "Start fit from the last fit's coefficients.",
            False, kinds=("bool",),
        ),
        Parameter(
            "verbose", "Print the loss of every epoch and the reason the fit stopped.",
            0, kinds=("bool", "int"), ranges=_POSITIVE_OR_ZERO,
        ),
        Parameter(
            "record_weights", "Keep the coefficients of every epoch in history_.",
            False, kinds=("bool",),
        ),
        Parameter(
            "callback", "Called with each epoch's descend.stopping.Info; True stops the fit.",
            None, kinds=("none", "callable"),
        ),
        Parameter(
            "n_jobs", "Threads of the compiled full-batch pass (None or -1: all cores).",
            None, kinds=("none", "int"),
            ranges=(Interval(-math.inf, -1), Interval(1, math.inf)),
            expected="None, a positive whole number of threads, or -1 for all cores (-2 all "
            "but one, ...)",
            wrong_kind=ValueError,
        ),
    ]  # fmt: skip
    if classifier:
        class_weight = Parameter(
            "class_weight",
            "Weights of the classes, multiplying sample_weight: 'balanced' or {class: weight}.",
            None, kinds=("none", "weights"), choices=("balanced",), wrong_kind=ValueError,
        )  # fmt: skip
        at = [entry.name for entry in entries].index("fit_intercept") + 1
        entries.insert(at, class_weight)
    return entries


#: The table of each estimator, by the estimator's name.
PARAMETERS: Mapping[str, Mapping[str, Parameter]] = MappingProxyType(
    {
        "GDRegressor": _table(
            *_entries("squared_error", ("squared_error", "huber", "absolute_error"), False)
        ),
        "GDClassifier": _table(
            *_entries(
                "log_loss",
                ("log_loss", "hinge", "squared_hinge", "squared_error", "sigmoid_squared_error"),
                True,
            )
        ),
    }
)


def check_parameters(estimator) -> None:
    """Check every parameter of ``estimator`` against its table in :data:`PARAMETERS`.

    Raises TypeError or ValueError naming the first parameter that the table refuses, in
    the constructor's order, and the value.
    """
    name = "GDClassifier" if estimator._is_classifier() else "GDRegressor"
    for entry in PARAMETERS[name].values():
        entry.check(getattr(estimator, entry.name))
