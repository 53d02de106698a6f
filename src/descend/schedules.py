"""Learning-rate schedules: the step size as a function of the step count.

A schedule is any callable ``schedule(t) -> float`` where ``t = 0, 1, 2, ...`` counts the
updates made so far, so ``schedule(0)`` is the learning rate of the first step. The ones here
are small immutable records with a readable ``repr``; a plain function or lambda works too.

Examples
--------
>>> from descend import schedules
>>> s = schedules.step_decay(0.1, factor=0.5, every=10)
>>> s(0), s(9), s(10), s(25)
(0.1, 0.1, 0.05, 0.025)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from descend._validation import check_count, check_nonnegative, check_positive

__all__ = [
    "Constant",
    "CosineDecay",
    "ExponentialDecay",
    "InverseScaling",
    "Schedule",
    "StepDecay",
    "constant",
    "cosine_decay",
    "exponential_decay",
    "from_text",
    "inverse_scaling",
    "rate_at",
    "step_decay",
]


class Schedule:
    """Base of the built-in schedules: ``schedule(t)`` is the learning rate of step ``t``."""

    initial: float

    def __call__(self, t: int) -> float:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class Constant(Schedule):
    r"""The same learning rate at every step: :math:`\eta_t = \eta_0`.

    >>> constant(0.01)(1000)
    0.01
    """

    initial: float

    def __post_init__(self):
        object.__setattr__(self, "initial", check_positive(self.initial, "learning rate"))

    def __call__(self, t: int) -> float:
        return self.initial


@dataclass(frozen=True)
class StepDecay(Schedule):
    r"""Drop the rate by ``factor`` every ``every`` steps.

    .. math:: \eta_t = \eta_0 \cdot \text{factor}^{\lfloor t / \text{every} \rfloor}

    >>> step_decay(1.0, factor=0.5, every=2)(5)
    0.25
    """

    initial: float
    factor: float = 0.5
    every: int = 10

    def __post_init__(self):
        object.__setattr__(self, "initial", check_positive(self.initial, "learning rate"))
        factor = check_positive(self.factor, "decay factor")
        if factor > 1.0:
            raise ValueError(f"Invalid decay factor: {factor!r}; it must lie in (0, 1]")
        object.__setattr__(self, "factor", factor)
        object.__setattr__(self, "every", check_count(self.every, "step interval", minimum=1))

    def __call__(self, t: int) -> float:
        return self.initial * self.factor ** (t // self.every)


@dataclass(frozen=True)
class ExponentialDecay(Schedule):
    r"""Smooth exponential decay by ``rate`` every ``decay_steps`` steps.

    .. math:: \eta_t = \eta_0 \cdot \text{rate}^{t / \text{decay\_steps}}

    With ``staircase=True`` the exponent is rounded down, giving a step-wise decay.

    >>> round(exponential_decay(1.0, rate=0.5, decay_steps=2)(1), 6)
    0.707107
    """

    initial: float
    rate: float = 0.96
    decay_steps: int = 1
    staircase: bool = False

    def __post_init__(self):
        object.__setattr__(self, "initial", check_positive(self.initial, "learning rate"))
        rate = check_positive(self.rate, "decay rate")
        if rate > 1.0:
            raise ValueError(f"Invalid decay rate: {rate!r}; it must lie in (0, 1]")
        object.__setattr__(self, "rate", rate)
        object.__setattr__(
            self, "decay_steps", check_count(self.decay_steps, "decay steps", minimum=1)
        )

    def __call__(self, t: int) -> float:
        exponent = t // self.decay_steps if self.staircase else t / self.decay_steps
        return self.initial * self.rate**exponent


@dataclass(frozen=True)
class InverseScaling(Schedule):
    r"""Decay as an inverse power of the step count (Robbins–Monro style).

    .. math:: \eta_t = \frac{\eta_0}{(1 + t / \text{decay\_steps})^{\text{power}}}

    ``power=0.5`` gives the classic :math:`1/\sqrt{t}` decay of stochastic gradient descent,
    ``power=1`` the :math:`1/t` decay.

    >>> inverse_scaling(1.0, power=1.0)(3)
    0.25
    """

    initial: float
    power: float = 0.5
    decay_steps: float = 1.0

    def __post_init__(self):
        object.__setattr__(self, "initial", check_positive(self.initial, "learning rate"))
        object.__setattr__(self, "power", check_positive(self.power, "power"))
        object.__setattr__(self, "decay_steps", check_positive(self.decay_steps, "decay steps"))

    def __call__(self, t: int) -> float:
        return self.initial / (1.0 + t / self.decay_steps) ** self.power


@dataclass(frozen=True)
class CosineDecay(Schedule):
    r"""Half a cosine from ``initial`` down to ``final`` over ``decay_steps`` steps, then flat.

    .. math:: \eta_t = \eta_\text{final} + \tfrac12 (\eta_0 - \eta_\text{final})
              \left(1 + \cos\frac{\pi \min(t, T)}{T}\right)

    >>> s = cosine_decay(1.0, decay_steps=10, final=0.1)
    >>> s(0), round(s(5), 6), s(10), s(50)
    (1.0, 0.55, 0.1, 0.1)
    """

    initial: float
    decay_steps: int = 1000
    final: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "initial", check_positive(self.initial, "learning rate"))
        object.__setattr__(
            self, "decay_steps", check_count(self.decay_steps, "decay steps", minimum=1)
        )
        final = check_nonnegative(self.final, "final learning rate")
        if final > self.initial:
            raise ValueError(
                f"Invalid final learning rate: {final!r}; it must not exceed the initial "
                f"learning rate {self.initial!r}"
            )
        object.__setattr__(self, "final", final)

    def __call__(self, t: int) -> float:
        progress = min(t, self.decay_steps) / self.decay_steps
        return self.final + 0.5 * (self.initial - self.final) * (
            1.0 + math.cos(math.pi * progress)
        )


# The public, function-like spelling of each schedule.
constant = Constant
step_decay = StepDecay
exponential_decay = ExponentialDecay
inverse_scaling = InverseScaling
cosine_decay = CosineDecay


def rate_at(schedule, t: int, unit: str = "step") -> float:
    """The learning rate ``schedule(t)``, checked: a positive finite float, or an error naming
    the ``unit`` (``"step"`` or ``"epoch"``) at which the schedule went wrong."""
    rate = schedule(t)
    try:
        rate = float(rate)
    except (TypeError, ValueError):
        raise TypeError(f"The learning-rate schedule returned {rate!r} at {unit} {t}") from None
    if not (rate > 0.0 and math.isfinite(rate)):
        raise ValueError(
            f"Invalid learning rate: the schedule returned {rate!r} at {unit} {t}; it must be "
            "positive and finite (a decay that reaches 0 must end before the run does)"
        )
    return rate


#: Schedule names :func:`from_text` understands, with the settings each takes after the
#: initial rate.
NAMES = {
    "constant": (Constant, ()),
    "step": (StepDecay, ("factor", "every")),
    "exponential": (ExponentialDecay, ("rate", "decay_steps", "staircase")),
    "inverse": (InverseScaling, ("power", "decay_steps")),
    "cosine": (CosineDecay, ("decay_steps", "final")),
}


def from_text(text: str, initial: float) -> Schedule:
    """A schedule written as text, as the command line takes it: ``NAME`` or
    ``NAME:VALUE,...`` or ``NAME:KEY=VALUE,...``, starting at ``initial``.

    ==============  ===============================  ===========================
    name            settings, in order               example
    ==============  ===============================  ===========================
    constant        (none)                           ``constant``
    step            factor, every                    ``step:0.5,100``
    exponential     rate, decay_steps, staircase     ``exponential:rate=0.999``
    inverse         power, decay_steps               ``inverse:0.5``
    cosine          decay_steps, final               ``cosine:1000,0.001``
    ==============  ===============================  ===========================

    Examples
    --------
    >>> from_text("step:0.5,10", 0.1)
    StepDecay(initial=0.1, factor=0.5, every=10)
    >>> from_text("exponential:rate=0.9", 1.0)(2)
    0.81
    """
    name, _, rest = str(text).strip().partition(":")
    name = name.strip().lower()
    if name not in NAMES:
        raise ValueError(f"Unknown schedule {name!r} in {text!r}; known: " + ", ".join(NAMES))
    kind, keys = NAMES[name]
    settings = {}
    parts = [p.strip() for p in rest.split(",")] if rest.strip() else []
    if len(parts) > len(keys):
        raise ValueError(
            f"Schedule {text!r}: {name} takes at most {len(keys)} settings "
            f"({', '.join(keys) or 'none'}), got {len(parts)}"
        )
    for position, part in enumerate(parts):
        key, eq, value = part.partition("=")
        if not eq:
            key, value = keys[position], part
        key = key.strip()
        if key not in keys:
            raise ValueError(
                f"Schedule {text!r}: {name} has no setting {key!r}; it takes "
                + (", ".join(keys) or "none")
            )
        settings[key] = _setting(value.strip(), text)
    return kind(initial, **settings)


def _setting(value: str, text: str):
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"Schedule {text!r}: {value!r} is not a number") from None
