"""The per-epoch record of an estimator's fit: ``history_``."""

from __future__ import annotations

import numpy as np

__all__ = ["TrainingHistory"]

#: Every column a history may keep, with what it holds.
COLUMNS = {
    "epoch": "epoch number; row 0 is the starting point, before any update",
    "loss": "training objective (loss plus penalty) on all training rows",
    "val_loss": "the same on the validation rows (early_stopping=True only)",
    "learning_rate": "learning rate of the epoch (NaN for row 0 and for line search)",
    "time": "seconds since the fit began",
    "sse": "sum of squared errors between the unit's activation and the targets (unweighted)",
    "accuracy": "fraction of training rows classified correctly (classifiers, unweighted)",
    "error_rate": "1 - accuracy (classifiers)",
    "coef": "coefficients after the epoch, shaped like coef_ (record_weights=True)",
    "intercept": "intercept after the epoch, shaped like intercept_ (record_weights=True)",
}
#: Columns whose rows are arrays, copied as they are appended.
_ARRAYS = ("coef", "intercept")


class TrainingHistory:
    """Columns of per-epoch numbers, read as NumPy arrays: ``history_.loss``,
    ``history_.accuracy`` … (see :data:`COLUMNS`); one row per epoch, row 0 the start.

    Examples
    --------
    >>> h = TrainingHistory(["epoch", "loss"])
    >>> h.append(epoch=0, loss=2.0); h.append(epoch=1, loss=1.5)
    >>> len(h), h.loss
    (2, array([2. , 1.5]))
    """

    def __init__(self, columns):
        unknown = set(columns) - set(COLUMNS)
        if unknown:
            raise ValueError(f"Unknown history columns: {sorted(unknown)}")
        self._columns: dict[str, list] = {name: [] for name in columns}

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns this history keeps."""
        return tuple(self._columns)

    def append(self, **row) -> None:
        """Add one epoch; every kept column must be given."""
        if row.keys() != self._columns.keys():
            raise ValueError(f"A history row needs {self.columns}, got {tuple(row)}")
        for name, value in row.items():
            self._columns[name].append(np.array(value, copy=True) if name in _ARRAYS else value)

    def __getattr__(self, name: str) -> np.ndarray:
        columns = self.__dict__.get("_columns", {})
        if name in columns:
            return np.asarray(columns[name], dtype=None if name == "epoch" else float)
        if name in COLUMNS:
            raise AttributeError(f"This history does not keep {name!r}: {COLUMNS[name]}")
        raise AttributeError(name)

    def __len__(self) -> int:
        return len(self._columns["epoch"])

    def __repr__(self) -> str:
        return f"TrainingHistory({len(self)} epochs, columns={list(self.columns)})"

    def to_dict(self) -> dict[str, np.ndarray]:
        """Every column as an array."""
        return {name: getattr(self, name) for name in self._columns}

    def to_pandas(self):
        """The scalar columns as a DataFrame indexed by epoch (needs pandas)."""
        import pandas as pd

        frame = {k: v for k, v in self.to_dict().items() if k not in _ARRAYS}
        return pd.DataFrame(frame).set_index("epoch")
