"""The per-epoch record of an estimator's fit: ``history_``.

It is the record every run of descend keeps (:class:`descend.history.History`, written by the
one loop of :mod:`descend.driver`), read under the names a fit speaks of: ``epoch`` is the
iteration, ``loss`` the objective, and what a fit adds (validation loss, accuracy, the
weights) are named extra columns.
"""

from __future__ import annotations

import numpy as np

from descend.history import History

__all__ = ["COLUMNS", "TrainingHistory"]

#: Every column a history may keep, with what it holds.
COLUMNS = {
    "epoch": "epoch number; row 0 is the starting point, before any update",
    "loss": "training objective (loss plus penalty) on all training rows",
    "val_loss": "the same on the validation rows (early_stopping=True only)",
    "learning_rate": "learning rate of the epoch (NaN for row 0 and for line search)",
    "time": "seconds of fitting when the epoch ended",
    "sse": "sum of squared errors between the unit's activation and the targets (unweighted)",
    "accuracy": "fraction of training rows classified correctly (classifiers, unweighted)",
    "error_rate": "1 - accuracy (classifiers)",
    "coef": "coefficients after the epoch, shaped like coef_ (record_weights=True)",
    "intercept": "intercept after the epoch, shaped like intercept_ (record_weights=True)",
}
#: The columns every run's record has, by the names a fit gives them.
_CORE = {"epoch": "iteration", "loss": "f", "learning_rate": "learning_rate", "time": "time"}
#: Columns whose rows are arrays.
_ARRAYS = ("coef", "intercept")


class TrainingHistory(History):
    """Columns of per-epoch numbers, read as NumPy arrays: ``history_.loss``,
    ``history_.accuracy`` … (see :data:`COLUMNS`); one row per epoch, row 0 the start.

    Parameters
    ----------
    columns : list of str
        The columns kept, from :data:`COLUMNS` (``epoch`` and ``loss`` always are).
    shapes : dict, optional
        The shape of each row of the array columns (``coef``, ``intercept``); left out, it
        is taken from the first row appended.
    capacity : int
        Rows to make room for at first (the storage doubles as needed).

    Examples
    --------
    >>> h = TrainingHistory(["epoch", "loss"])
    >>> h.append(epoch=0, loss=2.0); h.append(epoch=1, loss=1.5)
    >>> len(h), h.loss
    (2, array([2. , 1.5]))
    """

    unit = "epoch"

    def __init__(self, columns, *, shapes=None, capacity: int = 64):
        columns = list(columns)
        unknown = set(columns) - set(COLUMNS)
        if unknown:
            raise ValueError(f"Unknown history columns: {sorted(unknown)}")
        for needed in ("epoch", "loss"):
            if needed not in columns:
                columns.insert(0 if needed == "epoch" else 1, needed)
        shapes = dict(shapes or {})
        extras = {
            name: shapes.get(name, ()) if name in _ARRAYS else ()
            for name in columns
            if name not in _CORE
        }
        self._pending = {name for name in _ARRAYS if name in extras and name not in shapes}
        super().__init__(0, capacity=capacity, keep_x=False, extras=extras)
        self._names = tuple(columns)

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns this history keeps."""
        return self._names

    def append(self, **row) -> None:
        """Add one epoch; every kept column must be given."""
        if row.keys() != set(self._names):
            raise ValueError(f"A history row needs {self.columns}, got {tuple(row)}")
        for name in list(self._pending):  # an array column learns its shape from its first row
            self._extras[name] = np.empty((self._capacity, *np.shape(row[name])))
            self._pending.discard(name)
        extras = {name: value for name, value in row.items() if name not in _CORE}
        super().append(
            row["epoch"], None, row["loss"], np.nan, row.get("learning_rate", np.nan),
            row.get("time", np.nan), **extras,
        )  # fmt: skip

    def __getattr__(self, name: str) -> np.ndarray:
        names = self.__dict__.get("_names", ())
        if name in names:
            return History.__getattr__(self, name)
        if name in COLUMNS:
            raise AttributeError(f"This history does not keep {name!r}: {COLUMNS[name]}")
        raise AttributeError(name)

    @property
    def epoch(self) -> np.ndarray:
        return self.iteration

    @property
    def loss(self) -> np.ndarray:
        return self.f

    @property
    def x(self):
        raise AttributeError("A fit's history keeps no x: see coef (record_weights=True)")

    def __repr__(self) -> str:
        return f"TrainingHistory({len(self)} epochs, columns={list(self.columns)})"

    def to_dict(self) -> dict[str, np.ndarray]:
        """Every column as an array (copies)."""
        return {name: np.array(getattr(self, name)) for name in self._names}

    def to_pandas(self):
        """The scalar columns as a DataFrame indexed by epoch (needs pandas)."""
        import pandas as pd

        frame = {k: v for k, v in self.to_dict().items() if k not in _ARRAYS}
        return pd.DataFrame(frame).set_index("epoch")
