"""Stopping rules: small callables on the record of each iteration, combined with any/all.

Every rule is called with an :class:`Info` after each iteration (and once at the start, with
``nit == 0``) and answers ``True`` to stop. Rules carry a ``name``, which a run reports as
``Result.reason`` when the rule fires, and a sentence for ``Result.message``, taken from the
one table :data:`MESSAGES`.

Combine rules with ``|`` (any fires) and ``&`` (all fire together), or :class:`AnyOf` /
:class:`AllOf`; write your own as a :class:`Rule` subclass or a plain function of ``info``
(its ``__name__`` becomes the reason) and pass it as ``descend.minimize(..., stop=rule)``.

Examples
--------
>>> import descend
>>> from descend.stopping import GTol, Patience
>>> res = descend.minimize(lambda x: (x - 1.0) ** 2, 5.0, learning_rate=0.1, max_iter=10_000,
...                        stop=GTol(1e-6) | Patience(20))
>>> res.reason, res.success
('gtol', True)

A rule of your own, as a function:

>>> def small_step(info):
...     return info.nit > 0 and abs(info.step) < 1e-3
>>> descend.minimize(lambda x: (x - 1.0) ** 2, 5.0, learning_rate=0.1, stop=small_step).reason
'small_step'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from descend._validation import check_count, check_real

__all__ = [
    "MESSAGES",
    "AllOf",
    "AnyOf",
    "Callback",
    "FunctionRule",
    "GTol",
    "Info",
    "MaxIter",
    "Patience",
    "RTol",
    "Rule",
    "Target",
    "Tol",
    "XTol",
    "as_rule",
    "message",
]

#: Why a run stopped, one sentence per reason, for runs of :func:`descend.minimize` and fits
#: of the estimators alike (whose reasons take the estimators' parameter names where those
#: differ: ``n_iter_no_change``, ``target_loss``, ``max_epochs``). ``{...}`` fields are the
#: rule's settings, and ``{watched}`` and ``{unit}`` what the rules watch and what they count
#: (``f`` and iterations for a run; the training or validation loss and epochs for a fit);
#: :func:`message` fills them in.
MESSAGES: dict[str, str] = {
    "max_iter": "Stopped at the maximum number of iterations (max_iter = {max_iter}).",
    "tol": "The change in {watched} between {unit}s fell to tol = {tol:g} or below.",
    "rtol": (
        "The change in {watched} between {unit}s fell to rtol = {rtol:g} times its size or below."
    ),
    "xtol": "The largest change in x between iterations fell to xtol = {xtol:g} or below.",
    "gtol": "The norm of the gradient fell to gtol = {gtol:g} or below.",
    "target": "f reached the target {target:g}.",
    "patience": "f did not improve on its best value for {patience} iterations.",
    "callback": "The callback asked to stop.",
    "diverged": "The run diverged at iteration {iteration}: {why}. Try a smaller learning rate.",
    "line_search": (
        "The line search found no step that decreases {watched} within its trials: the point "
        "is at a minimum to machine precision, the gradient does not match the function, or "
        "the first trial step is far too long for max_trials shrinks."
    ),
    "all": "All of these held: {parts}.",
    "custom": "The stopping rule {name!r} fired.",
    "n_iter_no_change": (
        "The {watched} did not improve on its best by more than tol = {tol:g} for "
        "n_iter_no_change = {n_iter_no_change} {unit}s."
    ),
    "target_loss": "The {watched} reached target_loss = {target_loss:g}.",
    "max_epochs": "Stopped at max_epochs = {max_epochs}.",
    "partial_fit": "One epoch of partial_fit.",
}


def message(reason: str, *, watched: str = "f", unit: str = "iteration", **fields) -> str:
    """The sentence of :data:`MESSAGES` for ``reason``, its fields filled in.

    >>> message("tol", tol=1e-3)
    'The change in f between iterations fell to tol = 0.001 or below.'
    >>> message("tol", tol=1e-3, watched="training loss", unit="epoch")
    'The change in training loss between epochs fell to tol = 0.001 or below.'
    """
    return MESSAGES[reason].format(watched=watched, unit=unit, **fields)


def max_abs(step) -> float:
    """The largest absolute entry of a step (a float or a 1-D array), as
    ``float(np.max(np.abs(step)))`` gives it, NaN included."""
    if isinstance(step, float):
        return abs(step)
    if step.size <= 64:
        values = step.tolist()
        if not math.isnan(sum(values)):  # Python's max would not propagate a NaN as NumPy's
            return max(map(abs, values))
    return float(np.max(np.abs(step)))


class Info(NamedTuple):
    """What a stopping rule or callback sees after each iteration.

    Attributes
    ----------
    nit : int
        Iterations done; 0 at the starting point.
    x : float or numpy.ndarray
        The current point (a float for a one-variable problem started from a float).
    f : float
        The objective at ``x``, as the user defined it (not negated when maximizing).
    grad : float or numpy.ndarray
        The gradient of the user's objective at ``x``.
    grad_norm : float
        Euclidean norm of ``grad``.
    f_prev : float or None
        ``f`` at the previous iteration (``None`` at the start).
    step : float or numpy.ndarray or None
        ``x - x_prev`` (``None`` at the start).
    learning_rate : float
        The learning rate of the step just taken (NaN at the start).
    best_f : float
        The best ``f`` so far (lowest, or highest when maximizing).
    best_nit : int
        The iteration at which ``best_f`` was reached.
    time : float
        Seconds since the run started.
    maximize : bool
        Whether the run climbs instead of descends.
    """

    nit: int
    x: Any
    f: float
    grad: Any
    grad_norm: float
    f_prev: float | None
    step: Any
    learning_rate: float
    best_f: float
    best_nit: int
    time: float
    maximize: bool = False


class Rule:
    """Base of the stopping rules. Subclasses set ``name`` and implement ``__call__``."""

    name: str = "custom"

    def __call__(self, info: Info) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def reset(self) -> None:
        """Forget any state from a previous run (called when a run starts)."""

    def state(self):
        """What the rule remembers between iterations, as numbers and lists (None when it
        remembers nothing), for a checkpoint; :meth:`restore` takes it back. A rule of your
        own that keeps state overrides both, or starts afresh when a run is resumed."""
        return None

    def restore(self, state) -> None:
        """Take back what :meth:`state` gave."""

    #: Built-in keyword rules test the numbers with a static ``hit(setting, nit, f, f_prev,
    #: grad_norm, step, maximize)``, the one statement of their test, which
    #: :mod:`descend.driver` calls without building an :class:`Info` and a sweep calls on
    #: arrays with an entry per run. None for other rules.
    hit = None
    #: Whether ``hit`` reads ``step`` (x minus the previous x).
    reads_step = False

    def fired(self, info: Info) -> Rule | None:
        """The rule that fires on ``info`` (``self`` or, for combinations, a member), or None."""
        return self if self(info) else None

    def message(self) -> str:
        """A sentence saying why the run stopped, from :data:`MESSAGES`."""
        template = MESSAGES.get(self.name, MESSAGES["custom"])
        try:
            return template.format(
                **{"watched": "f", "unit": "iteration", **vars(self), "name": self.name}
            )
        except (KeyError, IndexError, ValueError):  # a rule of one's own under a built-in name
            return MESSAGES["custom"].format(name=self.name)

    def __or__(self, other) -> AnyOf:
        return AnyOf(self, other)

    def __and__(self, other) -> AllOf:
        return AllOf(self, other)


@dataclass
class MaxIter(Rule):
    """Stop once ``max_iter`` iterations are done. The only rule whose firing is no success."""

    max_iter: int
    name = "max_iter"

    def __post_init__(self):
        self.max_iter = check_count(self.max_iter, "max_iter")

    @staticmethod
    def hit(max_iter, nit, f, f_prev, grad_norm, step, maximize=False):
        """The test on the numbers (see :meth:`Rule.hit`)."""
        return nit >= max_iter

    def __call__(self, info):
        return self.hit(self.max_iter, info.nit, info.f, info.f_prev, info.grad_norm, info.step)


@dataclass
class Tol(Rule):
    r"""Stop when f changes little: :math:`|f_k - f_{k-1}| \le \text{tol}`.

    A negative ``tol`` never fires, so the run goes to ``max_iter``.
    """

    tol: float
    name = "tol"

    def __post_init__(self):
        self.tol = check_real(self.tol, "tol")

    @staticmethod
    def hit(tol, nit, f, f_prev, grad_norm, step, maximize=False):
        """The test on the numbers (see :meth:`Rule.hit`)."""
        return f_prev is not None and abs(f - f_prev) <= tol

    def __call__(self, info):
        return self.hit(self.tol, info.nit, info.f, info.f_prev, info.grad_norm, info.step)


@dataclass
class RTol(Rule):
    r"""Stop when f changes little for its size:
    :math:`|f_k - f_{k-1}| \le \text{rtol} \cdot \max(|f_k|, |f_{k-1}|)`.

    The test of a method that converges fast near the optimum (L-BFGS, conjugate gradients),
    where a tiny relative change leaves a gap of the same order, whatever the scale of f. A
    negative ``rtol`` never fires.

    >>> RTol.hit(1e-3, 2, 1000.0, 1000.5, None, None), RTol.hit(1e-3, 2, 1.0, 1.5, None, None)
    (True, False)
    """

    rtol: float
    name = "rtol"

    def __post_init__(self):
        self.rtol = check_real(self.rtol, "rtol")

    @staticmethod
    def hit(rtol, nit, f, f_prev, grad_norm, step, maximize=False):
        """The test on the numbers (see :meth:`Rule.hit`)."""
        return f_prev is not None and abs(f - f_prev) <= rtol * max(abs(f), abs(f_prev))

    def __call__(self, info):
        return self.hit(self.rtol, info.nit, info.f, info.f_prev, info.grad_norm, info.step)


@dataclass
class XTol(Rule):
    r"""Stop when x moves little: :math:`\lVert x_k - x_{k-1} \rVert_\infty \le \text{xtol}`."""

    xtol: float
    name = "xtol"

    def __post_init__(self):
        self.xtol = check_real(self.xtol, "xtol")

    #: The test reads ``step``, which the loop works out only for a rule that reads it.
    reads_step = True

    @staticmethod
    def hit(xtol, nit, f, f_prev, grad_norm, step, maximize=False):
        """The test on the numbers (see :meth:`Rule.hit`); ``step`` of a sweep has a row per
        run."""
        if step is None:
            return False
        if np.ndim(step) == 2:
            return np.max(np.abs(step), axis=1) <= xtol
        return max_abs(step) <= xtol

    def __call__(self, info):
        return self.hit(self.xtol, info.nit, info.f, info.f_prev, info.grad_norm, info.step)


@dataclass
class GTol(Rule):
    r"""Stop when the gradient is small: :math:`\lVert \nabla f(x_k) \rVert_2 \le \text{gtol}`."""

    gtol: float
    name = "gtol"

    def __post_init__(self):
        self.gtol = check_real(self.gtol, "gtol")

    @staticmethod
    def hit(gtol, nit, f, f_prev, grad_norm, step, maximize=False):
        """The test on the numbers (see :meth:`Rule.hit`)."""
        return grad_norm <= gtol

    def __call__(self, info):
        return self.hit(self.gtol, info.nit, info.f, info.f_prev, info.grad_norm, info.step)


@dataclass
class Target(Rule):
    r"""Stop when f is good enough: :math:`f_k \le \text{target}` (:math:`\ge` when maximizing)."""

    target: float
    name = "target"

    def __post_init__(self):
        self.target = check_real(self.target, "target")

    @staticmethod
    def hit(target, nit, f, f_prev, grad_norm, step, maximize=False):
        """The test on the numbers (see :meth:`Rule.hit`)."""
        return f >= target if maximize else f <= target

    def __call__(self, info):
        return self.hit(
            self.target, info.nit, info.f, info.f_prev, info.grad_norm, info.step, info.maximize
        )


@dataclass
class Patience(Rule):
    """Stop when the best f has not improved by more than ``min_delta`` for ``patience``
    iterations in a row."""

    patience: int
    min_delta: float = 0.0
    name = "patience"
    _best: float = field(default=math.nan, init=False, repr=False)
    _since: int = field(default=0, init=False, repr=False)

    def __post_init__(self):
        self.patience = check_count(self.patience, "patience", minimum=1)
        self.min_delta = check_real(self.min_delta, "min_delta")

    def reset(self):
        self._best, self._since = math.nan, 0

    def state(self):
        return [self._best, self._since]

    def restore(self, state):
        self._best, self._since = float(state[0]), int(state[1])

    @staticmethod
    def advance(patience, min_delta, best, since, nit, f, maximize=False):
        """The bookkeeping of one iteration on the numbers: ``(hit, best, since)``, the best
        value so far (negated when maximising) and the iterations since it improved."""
        value = -f if maximize else f
        if nit == 0 or math.isnan(best) or value < best - min_delta:
            return False, value, 0
        return since + 1 >= patience, best, since + 1

    def __call__(self, info):
        hit, self._best, self._since = self.advance(
            self.patience, self.min_delta, self._best, self._since, info.nit, info.f,
            info.maximize,
        )  # fmt: skip
        return hit

    def message(self):
        return MESSAGES["patience"].format(patience=self.patience)


class Callback(Rule):
    """Call ``fn(info)`` after every iteration; stop when it returns True or raises
    StopIteration.

    Only a boolean True stops the run: any other return value (None, a number, a string) is
    ignored, so a callback that logs or collects may return whatever it likes. A rule passed as
    ``stop=`` is a predicate instead, and stops on any truthy answer.
    """

    name = "callback"

    def __init__(self, fn):
        if not callable(fn):
            raise TypeError(f"Invalid callback: {fn!r} is not callable")
        self.fn = fn

    def __call__(self, info):
        if info.nit == 0:
            return False
        try:
            answer = self.fn(info)
        except StopIteration:
            return True
        return isinstance(answer, bool | np.bool_) and bool(answer)

    def message(self):
        return MESSAGES["callback"]

    def __repr__(self):
        return f"Callback({self.fn!r})"


class FunctionRule(Rule):
    """A plain function ``fn(info) -> bool`` used as a rule; reported by ``name``."""

    def __init__(self, fn, name: str | None = None):
        if not callable(fn):
            raise TypeError(f"Invalid stopping rule: {fn!r} is not callable")
        self.fn = fn
        self.name = name or getattr(fn, "__name__", None) or "custom"
        if self.name == "<lambda>":
            self.name = "custom"

    def __call__(self, info):
        return bool(self.fn(info))

    def __repr__(self):
        return f"FunctionRule({self.fn!r}, name={self.name!r})"


def as_rule(obj) -> Rule:
    """Return ``obj`` as a :class:`Rule`: rules pass through, functions are wrapped, and a list
    or tuple becomes :class:`AnyOf` of its members."""
    if isinstance(obj, Rule):
        return obj
    if isinstance(obj, list | tuple):
        return AnyOf(*obj)
    if callable(obj):
        return FunctionRule(obj)
    raise TypeError(f"Invalid stopping rule: {obj!r}; expected a Rule or a function of info")


class AnyOf(Rule):
    """Fires when any member fires; reports the first member (in order) that did.

    Every member sees every iteration, so rules that keep state (such as :class:`Patience`)
    stay up to date whichever member fires first.
    """

    name = "any"

    def __init__(self, *rules):
        self.rules = tuple(as_rule(r) for r in rules)

    def reset(self):
        for rule in self.rules:
            rule.reset()

    def state(self):
        return [rule.state() for rule in self.rules]

    def restore(self, state):
        for rule, kept in zip(self.rules, state, strict=True):
            rule.restore(kept)

    def fired(self, info):
        first = None
        for rule in self.rules:
            hit = rule.fired(info)
            if first is None:
                first = hit
        return first

    def __call__(self, info):
        return self.fired(info) is not None

    def message(self):  # pragma: no cover - a combination reports its member
        return " / ".join(rule.message() for rule in self.rules)

    def __repr__(self):
        return f"AnyOf{self.rules!r}"


class AllOf(Rule):
    """Fires when every member fires on the same iteration; reported as their names joined
    by ``"+"`` (e.g. ``"tol+xtol"``)."""

    def __init__(self, *rules):
        if not rules:
            raise ValueError("AllOf needs at least one rule")
        self.rules = tuple(as_rule(r) for r in rules)
        self.name = "+".join(rule.name for rule in self.rules)

    def reset(self):
        for rule in self.rules:
            rule.reset()

    def state(self):
        return [rule.state() for rule in self.rules]

    def restore(self, state):
        for rule, kept in zip(self.rules, state, strict=True):
            rule.restore(kept)

    def __call__(self, info):
        hits = [rule.fired(info) is not None for rule in self.rules]
        return all(hits)

    def message(self):
        parts = "; ".join(rule.message().rstrip(".") for rule in self.rules)
        return MESSAGES["all"].format(parts=parts)

    def __repr__(self):
        return f"AllOf{self.rules!r}"
