"""The linear model of the estimators: its shapes and its flat parameter vector.

The model has ``k`` outputs (1 for regression and two classes, one per class beyond),
:math:`z = X W + b` with ``W`` of shape ``(d, k)`` and ``b`` of shape ``(k,)``. All parameters
travel as one flat vector ``theta = [W.ravel(), b]`` (``b`` only when the intercept is
fitted), which is what the optimizers of :mod:`descend.optimizers` update.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["LinearModel"]


@dataclass(frozen=True)
class LinearModel:
    """Shapes of a linear model and how its flat parameter vector splits up."""

    n_features: int
    n_outputs: int
    fit_intercept: bool

    @property
    def n_coef(self) -> int:
        return self.n_features * self.n_outputs

    @property
    def size(self) -> int:
        """Length of ``theta``."""
        return self.n_coef + (self.n_outputs if self.fit_intercept else 0)

    def split(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray | float]:
        """Views of the coefficients, ``(d,)`` or ``(d, k)``, and the intercept."""
        coef = theta[: self.n_coef]
        if self.n_outputs > 1:
            coef = coef.reshape(self.n_features, self.n_outputs)
        if not self.fit_intercept:
            return coef, 0.0
        b = theta[self.n_coef :]
        return coef, (b[0] if self.n_outputs == 1 else b)

    def pack(self, coef: np.ndarray, intercept) -> np.ndarray:
        """``theta`` from coefficients shaped ``(d,)``/``(d, k)`` and an intercept."""
        parts = [np.asarray(coef, dtype=float).reshape(-1)]
        if self.fit_intercept:
            parts.append(np.broadcast_to(np.asarray(intercept, dtype=float), (self.n_outputs,)))
        return np.concatenate(parts)

    def output(self, theta: np.ndarray, X) -> np.ndarray:
        """:math:`z = XW + b`: shape ``(n,)`` for one output, ``(n, k)`` for more.

        The product runs in X's dtype when X is float32 (the coefficients are cast, never X),
        so float32 data is not copied to float64; the intercept is added in float64."""
        coef, b = self.split(theta)
        dtype = getattr(X, "dtype", None)
        if dtype == np.float32:
            coef = coef.astype(np.float32)
        z = np.asarray(X @ coef, dtype=float)
        return z + b if self.fit_intercept else z
