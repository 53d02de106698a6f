"""Reading run records: what every plot and animation draws from.

A run of :func:`descend.minimize` keeps a :class:`descend.History` (one row per iteration);
a fitted estimator keeps a :class:`descend.TrainingHistory` in ``history_`` (one row per
epoch). :func:`trace` reads either, or the object holding it, into one :class:`Trace`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from descend.history import History


@dataclass(frozen=True)
class Trace:
    """One run's record, read the same way whatever produced it.

    ``steps`` are the iteration (or epoch) numbers of the rows, ``unit`` names them,
    ``source`` is the history itself and ``owner`` what held it (a result or an estimator).
    """

    steps: np.ndarray
    unit: str
    source: Any
    owner: Any

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def is_fit(self) -> bool:
        return self.unit == "epoch"

    def values(self, metric: str | Callable | None = None) -> tuple[np.ndarray, str]:
        """The numbers to plot against ``steps`` and their axis label.

        ``None`` gives the objective (``f`` of a run, ``loss`` of a fit); a string names a
        column of the history; a callable is applied to each point of the parameter path.
        """
        if metric is None:
            metric = "loss" if self.is_fit else "f"
        if callable(metric):
            path, _ = self.path()
            label = getattr(metric, "__name__", "value")
            return _apply(metric, path if path.shape[1] > 1 else path[:, 0]), label
        if not isinstance(metric, str):
            raise TypeError(f"metric must be a column name or a callable, not {metric!r}")
        columns = self.columns()
        if metric not in columns:
            raise ValueError(
                f"This {self.unit} record has no column {metric!r}; it has "
                + ", ".join(repr(c) for c in columns)
            )
        return np.asarray(getattr(self.source, metric), dtype=float), _LABELS.get(metric, metric)

    def columns(self) -> tuple[str, ...]:
        """The scalar columns that :meth:`values` can read."""
        if self.is_fit:
            return tuple(c for c in self.source.columns if c not in ("epoch", "coef", "intercept"))
        return ("f", "grad_norm", "learning_rate", "time")

    def path(self) -> tuple[np.ndarray, list[str]]:
        """Points in parameter space, shape ``(rows, d)``, and a name for each coordinate.

        For an estimator the coordinates are the intercept(s) first, then the coefficients,
        which needs ``record_weights=True`` at fit time.
        """
        if not self.is_fit:
            x = np.asarray(self.source.x, dtype=float)
            if x.ndim == 1:
                return x[:, None], ["x"]
            return x, [f"x[{i}]" for i in range(x.shape[1])]
        if "coef" not in self.source.columns:
            name = type(self.owner).__name__ if self.owner is not None else "The estimator"
            raise ValueError(
                f"{name} did not record its weights: fit it with record_weights=True to draw "
                "its path in parameter space"
            )
        coef = np.asarray(self.source.coef, dtype=float)
        intercept = np.asarray(self.source.intercept, dtype=float)
        n = len(coef)
        coef, intercept = coef.reshape(n, -1), intercept.reshape(n, -1)
        fitted_intercept = getattr(self.owner, "fit_intercept", True)
        names = _weight_names(coef.shape[1], intercept.shape[1], fitted_intercept)
        if not fitted_intercept:
            return coef, names
        return np.hstack([intercept, coef]), names


_LABELS = {
    "f": "f(x)",
    "loss": "loss",
    "val_loss": "validation loss",
    "grad_norm": "‖∇f‖",
    "learning_rate": "learning rate",
    "time": "seconds",
    "sse": "Σ e² (sum of squared errors)",
    "accuracy": "accuracy",
    "error_rate": "error rate",
}


def _weight_names(n_coef: int, n_intercept: int, fit_intercept: bool) -> list[str]:
    if n_intercept == 1 and n_coef == 1:
        names = ["slope"]
    elif n_intercept == 1:
        names = [f"w[{j}]" for j in range(n_coef)]
    else:
        d = n_coef // n_intercept
        names = [f"w[{k},{j}]" for k in range(n_intercept) for j in range(d)]
    if not fit_intercept:
        return names
    heads = ["intercept"] if n_intercept == 1 else [f"b[{k}]" for k in range(n_intercept)]
    return heads + names


def _apply(fun: Callable, points: np.ndarray) -> np.ndarray:
    return np.array([float(fun(p)) for p in points])


def trace(record) -> Trace:
    """Read a :class:`descend.Result`, a fitted estimator, or either history, into a
    :class:`Trace`."""
    from descend.result import Result

    owner = record
    if isinstance(record, Result):
        if record.history is None:
            raise ValueError("This result has no history to draw")
        record = record.history
    elif not isinstance(record, History) and not _is_training_history(record):
        if hasattr(record, "get_params") and hasattr(record, "fit"):
            if not hasattr(record, "history_"):
                name = type(record).__name__
                fitted = any(k.endswith("_") and not k.startswith("_") for k in vars(record))
                if not fitted:
                    raise ValueError(f"{name} is not fitted yet: fit it before drawing it")
                raise ValueError(
                    f"{name} is fitted but keeps no history_: only descend's estimators record "
                    "one (in a Pipeline, draw its last step, pipe[-1], with the data that step "
                    "sees, pipe[:-1].transform(X))"
                )
            record = record.history_
        else:
            raise TypeError(
                "Expected a descend Result, a fitted descend estimator, a History or a "
                f"TrainingHistory, got {type(record).__name__}"
            )
    else:
        owner = None
    kept_last = record.unit == "iteration" and len(record) < 2 and len(record.iteration)
    if kept_last and record.iteration[-1] > 0:
        raise ValueError(
            "This run kept only its last point (record=False): run it with record=True "
            "to draw its history"
        )
    return Trace(np.asarray(record.iteration), record.unit, record, owner)


def _is_training_history(record) -> bool:
    from descend.estimators.history import TrainingHistory

    return isinstance(record, TrainingHistory)


def unit_label(traces) -> str:
    """The x-axis label shared by several traces."""
    units = {t.unit for t in traces}
    return units.pop() if len(units) == 1 else "iteration / epoch"


def frame_rows(n_rows: int, every: int) -> np.ndarray:
    """Rows of a record shown by an animation with stride ``every``: ``0, every, 2·every, …``
    and always the last row, so the replay ends where the run ended.

    >>> frame_rows(274, 10)[-3:]
    array([260, 270, 273])
    >>> len(frame_rows(274, 10))
    29
    """
    from descend._validation import check_count

    every = check_count(every, "every", minimum=1)
    if n_rows < 1:
        raise ValueError("The record is empty: there is nothing to replay")
    rows = np.arange(0, n_rows, every)
    if rows[-1] != n_rows - 1:
        rows = np.append(rows, n_rows - 1)
    return rows
