"""The full record of a run: every point visited, with f, the gradient norm, the learning rate
and the time."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["History"]

_COLUMNS = ("x", "f", "grad_norm", "learning_rate", "time")


class History:
    """Per-iteration record of a run, row 0 being the starting point.

    Attributes
    ----------
    x : numpy.ndarray
        Points visited, shape ``(n,)`` for a one-variable problem started from a float, else
        ``(n, d)``.
    f : numpy.ndarray
        The objective at each point.
    grad_norm : numpy.ndarray
        Euclidean norm of the gradient at each point.
    learning_rate : numpy.ndarray
        The learning rate of the step that led to each point (NaN for the start).
    time : numpy.ndarray
        Seconds since the run started when each point was recorded.
    iteration : numpy.ndarray
        The iteration number of each row (``0 .. nit``; only the last one when the run kept
        only its last point).
    events : list of (int, str)
        Notable events by iteration, such as a recovery from divergence.

    Notes
    -----
    Storage grows by doubling, so recording costs amortised constant time per iteration and
    a million iterations are no trouble. With ``record=False`` only the latest point is kept.
    """

    #: What one row is a step of: an iteration of a run (an epoch for a fit's record).
    unit = "iteration"

    def __init__(
        self, dim: int, scalar: bool = False, capacity: int = 1024, keep_all=True, *,
        keep_x=True, extras=None,
    ):  # fmt: skip
        self._scalar = scalar
        self._keep_all = keep_all
        capacity = max(1, int(capacity)) if keep_all else 1
        self._dim = dim
        self._x = np.empty((capacity, dim)) if keep_x else None
        self._cols = {name: np.empty(capacity) for name in _COLUMNS[1:]}
        self._iteration = np.empty(capacity, dtype=np.int64)
        # named extra columns: a float each, or an array of a fixed shape
        self._extras = {
            name: np.empty((capacity, *shape)) for name, shape in dict(extras or {}).items()
        }
        self._capacity = capacity
        self._n = 0
        self.events: list[tuple[int, str]] = []
        self._bind()

    @classmethod
    def from_arrays(cls, iteration, x, f, grad_norm, learning_rate, time, *, scalar=False):
        """A history holding the given rows (as a sweep keeps them), x of shape ``(n, d)``.

        >>> import numpy as np
        >>> h = History.from_arrays([0, 1], [[1.0, 2.0], [0.5, 1.0]], [5.0, 1.25],
        ...                         [4.5, 2.2], [np.nan, 0.25], [0.0, 1e-6])
        >>> h
        History(2 points, iterations 0..1, last f = 1.25)
        """
        x = np.asarray(x, dtype=float)
        n = len(x)
        history = cls(x.shape[1] if x.ndim == 2 else 1, scalar, capacity=max(n, 1))
        history._x[:n] = x.reshape(n, -1)
        for name, values in (("f", f), ("grad_norm", grad_norm),
                             ("learning_rate", learning_rate), ("time", time)):  # fmt: skip
            history._cols[name][:n] = values
        history._iteration[:n] = iteration
        history._n = n
        return history

    def _bind(self) -> None:
        # The columns as attributes of their own: append, called once per iteration, then
        # writes straight into them.
        cols = self._cols
        self._f, self._grad_norm = cols["f"], cols["grad_norm"]
        self._learning_rate, self._time = cols["learning_rate"], cols["time"]

    def _bound(self):
        """The columns x (None when not kept), f, grad_norm, learning_rate, time and
        iteration, which the descent loop writes each row straight into."""
        return self._x, self._f, self._grad_norm, self._learning_rate, self._time, self._iteration

    def _extra_columns(self, names) -> list[np.ndarray]:
        """The extra columns ``names``, in that order."""
        return [self._extras[name] for name in names]

    @property
    def extras(self) -> tuple[str, ...]:
        """The names of the extra columns this record keeps (such as an estimator's
        ``accuracy``); each is read as an attribute, like the built-in columns."""
        return tuple(self._extras)

    def __getattr__(self, name: str) -> np.ndarray:
        extras = self.__dict__.get("_extras", {})
        if name in extras:
            return extras[name][: self._n]
        raise AttributeError(name)

    def append(self, iteration, x, f, grad_norm, learning_rate, time, **extras) -> None:
        """Record one point (overwriting the previous one when keeping only the last)."""
        n = self._n if self._keep_all else 0
        if n == self._capacity:
            self._grow()
        if self._x is not None:
            self._x[n] = x
        self._f[n] = f
        self._grad_norm[n] = grad_norm
        self._learning_rate[n] = learning_rate
        self._time[n] = time
        self._iteration[n] = iteration
        for name, value in extras.items():
            self._extras[name][n] = value
        self._n = n + 1

    def _grow(self) -> None:
        capacity = 2 * self._capacity
        if self._x is not None:
            self._x = _resized(self._x, capacity)
        self._cols = {name: _resized(col, capacity) for name, col in self._cols.items()}
        self._extras = {name: _resized(col, capacity) for name, col in self._extras.items()}
        self._iteration = _resized(self._iteration, capacity)
        self._capacity = capacity
        self._bind()

    def __len__(self) -> int:
        return self._n

    @property
    def x(self) -> np.ndarray:
        if self._x is None:
            raise AttributeError("This record does not keep x")
        x = self._x[: self._n]
        return x[:, 0] if self._scalar else x

    @property
    def f(self) -> np.ndarray:
        return self._cols["f"][: self._n]

    @property
    def grad_norm(self) -> np.ndarray:
        return self._cols["grad_norm"][: self._n]

    @property
    def learning_rate(self) -> np.ndarray:
        return self._cols["learning_rate"][: self._n]

    @property
    def time(self) -> np.ndarray:
        return self._cols["time"][: self._n]

    @property
    def iteration(self) -> np.ndarray:
        return self._iteration[: self._n]

    def to_dict(self) -> dict:
        """Copies of the columns as a dict of arrays: ``iteration``, ``x``, ``f``,
        ``grad_norm``, ``learning_rate``, ``time``; and ``events``, a list of
        ``(iteration, text)``."""
        out = {"iteration": self.iteration.copy()}
        out.update({name: getattr(self, name).copy() for name in _COLUMNS})
        out["events"] = list(self.events)
        return out

    def to_pandas(self):
        """The history as a :class:`pandas.DataFrame` indexed by iteration, one column per
        coordinate of x (``x`` alone for a one-variable problem, else ``x[0]``, ``x[1]``, ...).

        The events (recoveries from divergence) are in ``frame.attrs["events"]``. Requires
        pandas (``pip install "descend[pandas]"``).
        """
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError(
                'History.to_pandas needs pandas: pip install "descend[pandas]"'
            ) from None
        x = self.x
        data = {"x": x} if x.ndim == 1 else {f"x[{i}]": x[:, i] for i in range(x.shape[1])}
        for name in _COLUMNS[1:]:
            data[name] = getattr(self, name)
        frame = pd.DataFrame(data, index=pd.Index(self.iteration, name="iteration")).copy()
        frame.attrs["events"] = list(self.events)
        return frame

    def __repr__(self) -> str:
        if not self._n:
            return "History(empty)"
        first, last = self.iteration[0], self.iteration[-1]
        span = f"iteration {last}" if first == last else f"iterations {first}..{last}"
        f_last = self.f[-1]
        return f"History({self._n} points, {span}, last f = {_fmt(f_last)})"


def _resized(array: np.ndarray, capacity: int) -> np.ndarray:
    out = np.empty((capacity, *array.shape[1:]), dtype=array.dtype)
    out[: len(array)] = array
    return out


def _fmt(value: float) -> str:
    return f"{value:.6g}" if math.isfinite(value) else str(value)
