"""Argument checks shared across descend, each naming the bad value in its message."""

from __future__ import annotations

import math
import numbers

import numpy as np


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_bool(value, what: str) -> bool:
    """Return ``value`` as a bool, or raise if it is not True or False."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"Invalid {what}: {value!r}; expected True or False")
    return bool(value)


def check_positive(value, what: str) -> float:
    """Return ``value`` as a float, or raise if it is not a positive finite number."""
    if not _is_real(value):
        raise TypeError(f"Invalid {what}: {value!r}; expected a positive number")
    value = float(value)
    if not (math.isfinite(value) and value > 0.0):
        raise ValueError(f"Invalid {what}: {value!r}; it must be positive and finite")
    return value


def check_nonnegative(value, what: str) -> float:
    """Return ``value`` as a float, or raise if it is negative or not finite."""
    if not _is_real(value):
        raise TypeError(f"Invalid {what}: {value!r}; expected a number")
    value = float(value)
    if not (math.isfinite(value) and value >= 0.0):
        raise ValueError(f"Invalid {what}: {value!r}; it must be >= 0 and finite")
    return value


def check_unit_interval(value, what: str) -> float:
    """Return ``value`` as a float, or raise if it lies outside [0, 1)."""
    if not _is_real(value):
        raise TypeError(f"Invalid {what}: {value!r}; expected a number in [0, 1)")
    value = float(value)
    if not (0.0 <= value < 1.0):
        raise ValueError(f"Invalid {what}: {value!r}; it must lie in [0, 1)")
    return value


def check_count(value, what: str, *, minimum: int = 0) -> int:
    """Return ``value`` as an int, or raise if it is not a whole number >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"Invalid {what}: {value!r}; expected a whole number")
    value = int(value)
    if value < minimum:
        raise ValueError(f"Invalid {what}: {value!r}; it must be >= {minimum}")
    return value


def check_real(value, what: str) -> float:
    """Return ``value`` as a float, or raise if it is not a real number (inf allowed)."""
    if not _is_real(value):
        raise TypeError(f"Invalid {what}: {value!r}; expected a real number")
    if math.isnan(float(value)):
        raise ValueError(f"Invalid {what}: {value!r}; expected a real number, not NaN")
    return float(value)


def scalar_value(value, what: str = "fun") -> float:
    """Return an objective's output as a float, or raise if it is not one real number."""
    if type(value) is float:  # the common case, kept cheap for the descent loop
        return value
    array = np.asarray(value)
    if array.size != 1:
        raise ValueError(
            f"{what} must return a scalar, but returned an array of shape {array.shape}"
        )
    if not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise TypeError(f"{what} must return a real number, but returned {value!r}")
    return float(array.reshape(-1)[0])
