r"""Loss functions of a model's output, with their derivatives.

A loss compares the model's output ``p`` with the targets ``y``. Each loss gives

- ``value(p, y, sample_weight=None)``: the reduced loss, a float;
- ``dloss(p, y, sample_weight=None)``: its derivative with respect to ``p``, shaped like ``p``
  (what the chain rule multiplies by the model's own derivative, :math:`X^\top` for a linear
  model);
- ``pointwise(p, y)`` and ``dpointwise(p, y)``: the same per sample, before reduction.

``reduction="mean"`` divides the weighted sum by the sum of the weights (by the number of
samples when there are none); ``reduction="sum"`` keeps the weighted sum, as the tutorials'
:math:`E = \tfrac12 \sum_i (t_i - o_i)^2` does.

Outputs and targets
-------------------
Regression losses take ``p`` and ``y`` of shape ``(n,)``. Classification losses take class
indices ``y`` in ``0 .. K-1``; for two classes ``p`` is one score per sample, shape ``(n,)``,
and for more it is one score per class, shape ``(n, K)``.

===========================  ===================================================================
name                         loss per sample
===========================  ===================================================================
``"squared_error"``          :math:`\tfrac12 (p - y)^2`; for classes, on one-hot targets (a
                             linear unit read with a 0.5 threshold)
``"huber"``                  :math:`\tfrac12 r^2` for :math:`|r| \le \delta`, else
                             :math:`\delta(|r| - \tfrac12\delta)`, :math:`r = p - y`
``"absolute_error"``         :math:`|p - y|`
``"log_loss"``               :math:`\log(1 + e^{p}) - y p` (sigmoid); softmax cross-entropy
                             :math:`\log \sum_j e^{p_j} - p_y` for more classes
``"hinge"``                  :math:`\max(0, 1 - s p)`, :math:`s = 2y - 1`; for more classes
                             :math:`\sum_{j \ne y} \max(0, p_j - p_y + 1)`
``"squared_hinge"``          the squares of the hinge terms
``"sigmoid_squared_error"``  :math:`\tfrac12 (\sigma(p) - y)^2` (per class on one-hot targets)
===========================  ===================================================================

Examples
--------
>>> import numpy as np
>>> from descend import losses
>>> p, y = np.array([0.5, 2.0]), np.array([0.0, 1.0])
>>> losses.squared_error().value(p, y)
0.3125
>>> losses.squared_error(reduction="sum").dloss(p, y)
array([0.5, 1. ])
>>> round(losses.get("log_loss").value(np.array([[2.0, 0.0, -1.0]]), np.array([0])), 4)
0.1698
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from descend._validation import check_positive

__all__ = [
    "LOSSES",
    "REDUCTIONS",
    "AbsoluteError",
    "Hinge",
    "Huber",
    "LogLoss",
    "Loss",
    "SigmoidSquaredError",
    "SquaredError",
    "SquaredHinge",
    "absolute_error",
    "class_targets",
    "get",
    "hinge",
    "huber",
    "log_loss",
    "sigmoid_squared_error",
    "squared_error",
    "squared_hinge",
]

#: How a loss adds up its rows: their mean, or their sum.
REDUCTIONS = ("mean", "sum")


def check_reduction(reduction) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"Invalid reduction: {reduction!r}; expected 'mean' or 'sum'")
    return reduction


@dataclass(frozen=True)
class Loss:
    """Base of every loss: the reduction and the weighting, around a per-sample rule.

    Subclasses define ``pointwise(p, y)`` and ``dpointwise(p, y)``; the class attributes say
    how an estimator reads the output.
    """

    reduction: str = "mean"

    #: The name in :data:`LOSSES`.
    name: ClassVar[str] = ""
    #: Whether the targets are class indices.
    classification: ClassVar[bool] = False
    #: Whether the output can be read as probabilities (``predict_proba``).
    probabilistic: ClassVar[bool] = False
    #: Two-class output above which the second class is predicted.
    threshold: ClassVar[float] = 0.0

    def __post_init__(self):
        check_reduction(self.reduction)

    def pointwise(self, p: np.ndarray, y: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def dpointwise(self, p: np.ndarray, y: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _weights(self, n: int, sample_weight, mean_weight) -> tuple[np.ndarray | None, float]:
        """The per-sample weights (None for all ones) and the divisor of the reduction."""
        if sample_weight is None:
            return None, float(n) if self.reduction == "mean" else 1.0
        w = np.asarray(sample_weight, dtype=float)
        if self.reduction == "sum":
            return w, 1.0
        if mean_weight is not None:  # a batch standing for a larger weighted set
            return w, n * float(mean_weight)
        total = float(w.sum())
        return w, total if total > 0 else 1.0

    def value(self, p, y, sample_weight=None, *, mean_weight=None) -> float:
        """The reduced loss :math:`\\sum_i w_i \\ell(p_i, y_i) / D`.

        D is 1 for ``"sum"``; for ``"mean"`` it is the sum of the weights, or the number of
        rows times ``mean_weight`` when that is given: the mean weight of the whole data set a
        batch is drawn from, which keeps each row's weight effective inside small batches (a
        one-row batch would otherwise divide its own weight away).
        """
        p, y = np.asarray(p, dtype=float), np.asarray(y)
        losses = self.pointwise(p, y)
        w, divisor = self._weights(len(losses), sample_weight, mean_weight)
        total = losses.sum() if w is None else losses @ w
        return float(total) / divisor

    def dloss(self, p, y, sample_weight=None, *, mean_weight=None) -> np.ndarray:
        """The derivative of :meth:`value` with respect to ``p``, shaped like ``p``."""
        p, y = np.asarray(p, dtype=float), np.asarray(y)
        d = self.dpointwise(p, y)
        w, divisor = self._weights(len(d), sample_weight, mean_weight)
        if w is not None:
            d = d * (w if d.ndim == 1 else w[:, None])
        return d / divisor if divisor != 1.0 else d

    #: Whether the loss has a continuous derivative (no kinks).
    smooth: ClassVar[bool] = True
    #: Largest second derivative of the per-row loss in one output (a scale of 1 for the
    #: losses with kinks, which have none); see :meth:`curvature`.
    smoothness: ClassVar[float] = 1.0

    def curvature(self, n_outputs: int = 1) -> float:
        """A bound on the largest eigenvalue of the per-row loss's Hessian in the outputs:
        what sizes a safe step, :math:`\\eta \\le 1 / (\\text{curvature} \\cdot
        \\lVert x \\rVert^2)` for one row."""
        return self.smoothness

    def activation(self, p: np.ndarray) -> np.ndarray:
        """The unit's activation for an output: what is compared with the targets when a
        squared error is reported (identity here; the sigmoid or softmax where the loss has
        one)."""
        return p

    def predict_proba(self, p: np.ndarray) -> np.ndarray:
        """Class probabilities from the output, for probabilistic losses."""
        raise AttributeError(f"The {self.name!r} loss does not give probabilities")


def _one_hot(y: np.ndarray, k: int) -> np.ndarray:
    out = np.zeros((len(y), k))
    out[np.arange(len(y)), y.astype(np.intp)] = 1.0
    return out


# The sigmoid and its logarithm from one exponential of -|p|, which never overflows (SciPy's
# versions would bring SciPy's special functions into ``import descend``). NaN stays NaN.
def _expit(p):
    """σ(p) = 1 / (1 + e^{-p}), elementwise and stable for either sign of p."""
    p = np.asarray(p, dtype=float)
    e = np.exp(-np.abs(p))
    return np.where(p >= 0.0, 1.0, e) / (1.0 + e)


def _log_expit(p):
    """log σ(p) = min(p, 0) − log(1 + e^{−|p|}), elementwise, accurate for large |p|."""
    p = np.asarray(p, dtype=float)
    return np.minimum(p, 0.0) - np.log1p(np.exp(-np.abs(p)))


# Row-wise softmax and log-sum-exp, shifted by each row's largest score so exp cannot
# overflow; written out because the general-purpose versions cost more than an epoch on
# small data.
def _shift(p: np.ndarray) -> np.ndarray:
    """Each row's largest score, or 0 where that is not finite (so inf stays inf)."""
    m = p.max(axis=1)
    return np.where(np.isfinite(m), m, 0.0)


def _softmax(p: np.ndarray) -> np.ndarray:
    e = np.exp(p - _shift(p)[:, None])
    return e / e.sum(axis=1, keepdims=True)


def _logsumexp(p: np.ndarray) -> np.ndarray:
    m = _shift(p)
    return m + np.log(np.exp(p - m[:, None]).sum(axis=1))


def class_targets(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Class indices as numbers to compare with the output ``p``: 0/1 for one score per
    sample, one-hot rows for K scores."""
    return _one_hot(y, p.shape[1]) if p.ndim == 2 else y.astype(float)


# ---------------------------------------------------------------------------- regression


@dataclass(frozen=True)
class SquaredError(Loss):
    r"""Half the squared error, :math:`\ell = \tfrac12 (p - y)^2`, :math:`\ell' = p - y`.

    As a classification loss the targets are one-hot (0/1 for two classes) and the output is
    read with a 0.5 threshold: the tutorials' linear unit.
    """

    name: ClassVar[str] = "squared_error"
    threshold: ClassVar[float] = 0.5

    def pointwise(self, p, y):
        r = p - class_targets(p, y)
        return 0.5 * (r * r if r.ndim == 1 else (r * r).sum(axis=1))

    def dpointwise(self, p, y):
        return p - class_targets(p, y)


@dataclass(frozen=True)
class Huber(Loss):
    r"""Squared near the target, linear far from it.

    .. math:: \ell = \begin{cases} \tfrac12 r^2 & |r| \le \delta \\
              \delta (|r| - \tfrac12 \delta) & |r| > \delta \end{cases}, \quad
              \ell' = \operatorname{clip}(r, -\delta, \delta), \quad r = p - y.
    """

    delta: float = 1.0
    name: ClassVar[str] = "huber"

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "delta", check_positive(self.delta, "delta"))

    def pointwise(self, p, y):
        a = np.abs(p - y)
        return np.where(a <= self.delta, 0.5 * a * a, self.delta * (a - 0.5 * self.delta))

    def dpointwise(self, p, y):
        return np.clip(p - y, -self.delta, self.delta)


@dataclass(frozen=True)
class AbsoluteError(Loss):
    r""":math:`\ell = |p - y|`, subgradient :math:`\operatorname{sign}(p - y)` (0 at 0)."""

    name: ClassVar[str] = "absolute_error"
    smooth: ClassVar[bool] = False

    def pointwise(self, p, y):
        return np.abs(p - y)

    def dpointwise(self, p, y):
        return np.sign(p - y)


# ------------------------------------------------------------------------ classification


@dataclass(frozen=True)
class LogLoss(Loss):
    r"""Cross-entropy of the sigmoid (two classes) or the softmax (more) of the output.

    Two classes: :math:`\ell = \log(1 + e^{p}) - y p`, :math:`\ell' = \sigma(p) - y`.
    K classes: :math:`\ell = \log\sum_j e^{p_j} - p_y`,
    :math:`\partial\ell/\partial p_j = \operatorname{softmax}(p)_j - [j = y]`.
    """

    name: ClassVar[str] = "log_loss"
    classification: ClassVar[bool] = True
    probabilistic: ClassVar[bool] = True

    def curvature(self, n_outputs=1):
        # σ' ≤ 1/4; the softmax Hessian diag(s) − s sᵀ has eigenvalues ≤ 1/2
        return 0.25 if n_outputs == 1 else 0.5

    def pointwise(self, p, y):
        if p.ndim == 2:
            return _logsumexp(p) - p[np.arange(len(y)), y.astype(np.intp)]
        return -_log_expit(p) + (1.0 - y) * p  # log(1 + e^p) - y p, stable both ways

    def dpointwise(self, p, y):
        if p.ndim == 2:
            return _softmax(p) - _one_hot(y, p.shape[1])
        return _expit(p) - y

    def activation(self, p):
        return _softmax(p) if p.ndim == 2 else _expit(p)

    def predict_proba(self, p):
        if p.ndim == 2:
            return _softmax(p)
        q = _expit(p)
        return np.column_stack([1.0 - q, q])


def _margins(p, y):
    """Multiclass SVM margins :math:`p_j - p_y + 1` with the true class's own entry zeroed."""
    rows = np.arange(len(y))
    yi = y.astype(np.intp)
    m = p - p[rows, yi][:, None] + 1.0
    m[rows, yi] = 0.0
    return np.maximum(m, 0.0), rows, yi


@dataclass(frozen=True)
class Hinge(Loss):
    r"""The SVM hinge: :math:`\max(0, 1 - s p)` with :math:`s = 2y - 1 \in \{-1, 1\}`; for K
    classes the multiclass SVM loss :math:`\sum_{j \ne y} \max(0, p_j - p_y + 1)`."""

    name: ClassVar[str] = "hinge"
    classification: ClassVar[bool] = True
    smooth: ClassVar[bool] = False

    def pointwise(self, p, y):
        if p.ndim == 2:
            return _margins(p, y)[0].sum(axis=1)
        return np.maximum(0.0, 1.0 - (2.0 * y - 1.0) * p)

    def dpointwise(self, p, y):
        if p.ndim == 2:
            m, rows, yi = _margins(p, y)
            d = (m > 0).astype(float)
            d[rows, yi] = -d.sum(axis=1)
            return d
        s = 2.0 * y - 1.0
        return np.where(s * p < 1.0, -s, 0.0)


@dataclass(frozen=True)
class SquaredHinge(Loss):
    r""":math:`\max(0, 1 - s p)^2`, or :math:`\sum_{j \ne y} \max(0, p_j - p_y + 1)^2`."""

    name: ClassVar[str] = "squared_hinge"
    classification: ClassVar[bool] = True

    def curvature(self, n_outputs=1):
        # 2 Σ_j (e_j − e_y)(e_j − e_y)ᵀ over the active margins: at most 2K
        return 2.0 if n_outputs == 1 else 2.0 * n_outputs

    def pointwise(self, p, y):
        if p.ndim == 2:
            m = _margins(p, y)[0]
            return (m * m).sum(axis=1)
        h = np.maximum(0.0, 1.0 - (2.0 * y - 1.0) * p)
        return h * h

    def dpointwise(self, p, y):
        if p.ndim == 2:
            m, rows, yi = _margins(p, y)
            d = 2.0 * m
            d[rows, yi] = -d.sum(axis=1)
            return d
        s = 2.0 * y - 1.0
        return -2.0 * s * np.maximum(0.0, 1.0 - s * p)


@dataclass(frozen=True)
class SigmoidSquaredError(Loss):
    r"""Half the squared error of a sigmoid unit: :math:`\ell = \tfrac12 (\sigma(p) - y)^2`,
    :math:`\ell' = (\sigma(p) - y)\,\sigma(p)(1 - \sigma(p))`; per class on one-hot targets.

    This is the loss a sigmoid classifier's printed sum of squared errors measures; its true
    gradient carries the factor :math:`\sigma(1 - \sigma)` that the log loss's does not.
    """

    name: ClassVar[str] = "sigmoid_squared_error"
    classification: ClassVar[bool] = True
    #: the largest size of the second derivative of ½(σ(p) − y)² in p, ≈ 0.0770, rounded up
    smoothness: ClassVar[float] = 0.08

    def pointwise(self, p, y):
        r = _expit(p) - class_targets(p, y)
        return 0.5 * (r * r if r.ndim == 1 else (r * r).sum(axis=1))

    def dpointwise(self, p, y):
        s = _expit(p)
        return (s - class_targets(p, y)) * s * (1.0 - s)

    def activation(self, p):
        return _expit(p)


# Classification use of squared error is a property of the estimator, not the loss class.
#: Every loss class, by the name ``loss=`` takes.
LOSSES: dict[str, type[Loss]] = {
    cls.name: cls
    for cls in (
        SquaredError,
        Huber,
        AbsoluteError,
        LogLoss,
        Hinge,
        SquaredHinge,
        SigmoidSquaredError,
    )
}


def get(name, **options) -> Loss:
    """The loss called ``name`` (see :data:`LOSSES`), or ``name`` itself if it is a Loss."""
    if isinstance(name, Loss):
        if options:
            raise ValueError(f"Options {sorted(options)} given with the loss object {name!r}")
        return name
    try:
        cls = LOSSES[name]
    except (KeyError, TypeError):
        raise ValueError(f"Invalid loss: {name!r}; expected one of {sorted(LOSSES)}") from None
    return cls(**options)


def squared_error(reduction: str = "mean") -> SquaredError:
    """:class:`SquaredError` with the given reduction."""
    return SquaredError(reduction)


def huber(delta: float = 1.0, reduction: str = "mean") -> Huber:
    """:class:`Huber` with threshold ``delta``."""
    return Huber(reduction, delta)


def absolute_error(reduction: str = "mean") -> AbsoluteError:
    """:class:`AbsoluteError`."""
    return AbsoluteError(reduction)


def log_loss(reduction: str = "mean") -> LogLoss:
    """:class:`LogLoss`: sigmoid cross-entropy, softmax for more than two classes."""
    return LogLoss(reduction)


def hinge(reduction: str = "mean") -> Hinge:
    """:class:`Hinge`: binary, or the multiclass SVM loss."""
    return Hinge(reduction)


def squared_hinge(reduction: str = "mean") -> SquaredHinge:
    """:class:`SquaredHinge`."""
    return SquaredHinge(reduction)


def sigmoid_squared_error(reduction: str = "mean") -> SigmoidSquaredError:
    """:class:`SigmoidSquaredError`."""
    return SigmoidSquaredError(reduction)
