r"""The inner loop of the estimators: one epoch of descent on a linear model.

Everything the estimators do per epoch happens here, in plain NumPy: the model's output, the
loss's derivative pulled back through the model, and the optimizer steps over the batches of
one pass through the rows. The estimators only validate, prepare and collect, so a compiled
version of these functions can replace them without touching the estimators.

The linear model has ``k`` outputs (1 for regression and two classes, one per class beyond):

.. math:: z = X W + b, \qquad J(\theta) = L(z, y) + \rho\, R(W),

with ``W`` of shape ``(d, k)``, ``b`` of shape ``(k,)``, ``L`` a loss of
:mod:`descend.losses` (its reduction applied over the rows in hand) and ``R`` a penalty of
:mod:`descend.penalties`. The gradient is

.. math:: \nabla_W J = X^\top L'(z, y) + \rho\, \nabla R(W), \qquad
          \nabla_b J = \textstyle\sum_i L'(z, y)_i .

All parameters travel as one flat vector ``theta = [W.ravel(), b]`` (``b`` only when the
intercept is fitted), which is what the optimizers of :mod:`descend.optimizers` update.

For ``reduction="sum"`` the penalty of a batch is weighted by the batch's share of the rows
(``rho`` = batch weight / total weight), so the batch objectives of one epoch add up to the
objective on all the data; for ``"mean"`` each batch carries the whole penalty (``rho = 1``),
so each batch objective is an unbiased estimate of it. With sample weights a ``"mean"`` batch
is divided by its number of rows times the mean weight of all the rows (``mean_weight`` of
:mod:`descend.losses`), not by its own weight, which would cancel the weight of a one-row batch.

Examples
--------
>>> import numpy as np
>>> from descend import kernels, losses, optimizers
>>> from descend.penalties import Penalty
>>> X = np.array([[0.0], [1.0], [2.0]]); y = np.array([1.0, 3.0, 5.0])
>>> model = kernels.LinearModel(n_features=1, n_outputs=1, fit_intercept=True)
>>> theta, opt = np.zeros(model.size), optimizers.GD(learning_rate=0.2)
>>> state, rng = opt.init(theta), np.random.default_rng(0)
>>> for _ in range(500):
...     theta, state = kernels.epoch(theta, state, X, y, None, model=model,
...         loss=losses.squared_error(), penalty=Penalty(None), optimizer=opt, rate=0.2,
...         batch_size=3, rng=rng, shuffle=False)
>>> theta.round(6)  # slope 2, intercept 1
array([2., 1.])
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from descend.batches import batch_indices
from descend.linesearch import Backtracking
from descend.losses import Loss
from descend.penalties import Penalty

__all__ = ["LinearModel", "auto_learning_rate", "epoch", "objective", "objective_and_grad"]


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
        """:math:`z = XW + b`: shape ``(n,)`` for one output, ``(n, k)`` for more."""
        coef, b = self.split(theta)
        z = X @ coef
        return z + b if self.fit_intercept else np.asarray(z)


def _penalty_weight(loss: Loss, weights, rows, total: float) -> float:
    """The share of the penalty a batch carries (see the module notes)."""
    if loss.reduction == "mean" or total <= 0:
        return 1.0
    share = len(rows) if weights is None else float(weights[rows].sum())
    return share / total


def objective(
    theta,
    X,
    y,
    sample_weight,
    *,
    model: LinearModel,
    loss: Loss,
    penalty: Penalty,
    rho=1.0,
    mean_weight=None,
) -> float:
    """:math:`J(\\theta)` on the rows given (``mean_weight`` as in :meth:`Loss.value`)."""
    value = loss.value(model.output(theta, X), y, sample_weight, mean_weight=mean_weight)
    if penalty.active:
        value += rho * penalty.value(model.split(theta)[0])
    return value


def objective_and_grad(
    theta,
    X,
    y,
    sample_weight,
    *,
    model: LinearModel,
    loss: Loss,
    penalty: Penalty,
    rho=1.0,
    mean_weight=None,
) -> tuple[float, np.ndarray]:
    """:math:`J(\\theta)` and :math:`\\nabla J(\\theta)` on the rows given, from one output."""
    z = model.output(theta, X)
    value = loss.value(z, y, sample_weight, mean_weight=mean_weight)
    d = loss.dloss(z, y, sample_weight, mean_weight=mean_weight)
    grad = np.empty(model.size)
    coef = model.split(theta)[0]
    grad_coef = np.asarray(X.T @ d)
    if penalty.active:
        value += rho * penalty.value(coef)
        grad_coef = grad_coef + rho * penalty.grad(coef)
    grad[: model.n_coef] = grad_coef.reshape(-1)
    if model.fit_intercept:
        grad[model.n_coef :] = d.sum(axis=0)
    return value, grad


def epoch(
    theta: np.ndarray,
    state,
    X,
    y: np.ndarray,
    sample_weight: np.ndarray | None,
    *,
    model: LinearModel,
    loss: Loss,
    penalty: Penalty,
    optimizer,
    rate,
    batch_size: int,
    rng: np.random.Generator,
    shuffle: bool = True,
):
    """One pass over the rows in batches of ``batch_size``: an optimizer step per batch.

    Parameters
    ----------
    theta : ndarray
        The flat parameters at the start of the epoch (not modified).
    state :
        The optimizer's state, carried over from the previous epoch.
    X, y, sample_weight :
        The training rows (X dense or CSR), class indices or targets, and weights or None.
    model, loss, penalty :
        What is being fitted.
    optimizer : Optimizer
        Its ``update`` makes each step.
    rate : float or Backtracking
        This epoch's learning rate, or a line search run on each batch's objective.
    batch_size, rng, shuffle :
        How the rows are split and ordered (see :func:`descend.batches.batch_indices`).

    Returns
    -------
    theta, state
        The parameters and optimizer state after the epoch. Arithmetic that overflows leaves
        non-finite numbers for the caller to report; it raises no warning here.
    """
    n = X.shape[0]
    total = n if sample_weight is None else float(sample_weight.sum())
    full = batch_size >= n
    # a weighted "mean" batch stands for all the rows: its size times their mean weight divides
    weighted_mean = sample_weight is not None and loss.reduction == "mean" and total > 0
    mean_weight = total / n if weighted_mean and not full else None
    search = rate if isinstance(rate, Backtracking) else None
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for rows in [slice(None)] if full else batch_indices(n, batch_size, rng, shuffle):
            if full:
                Xb, yb, wb, rho = X, y, sample_weight, 1.0
            else:
                Xb, yb = X[rows], y[rows]
                wb = None if sample_weight is None else sample_weight[rows]
                rho = _penalty_weight(loss, sample_weight, rows, total)
            terms = dict(model=model, loss=loss, penalty=penalty, rho=rho, mean_weight=mean_weight)
            f, g = objective_and_grad(theta, Xb, yb, wb, **terms)
            if not np.all(np.isfinite(g)):
                return theta + np.nan, state
            if search is None:
                step, state = optimizer.update(g, state, theta, rate)
            else:
                found = search.step(
                    lambda t, Xb=Xb, yb=yb, wb=wb, terms=terms: objective(t, Xb, yb, wb, **terms),
                    theta,
                    f,
                    g,
                    optimizer,
                    state,
                )
                if found is None:  # at a minimum of this batch to rounding: no move
                    continue
                _, step, state, _, _ = found
            theta = theta + step
    return theta, state


def auto_learning_rate(
    X, model: LinearModel, loss: Loss, penalty: Penalty, batch_size: int, sample_weight=None
) -> float:
    r"""A step :math:`1/L` that no batch objective of an epoch can overshoot.

    :math:`L` bounds the largest eigenvalue of the Hessian of every batch objective of
    :func:`epoch`: the loss's curvature in its outputs (:meth:`descend.losses.Loss.curvature`)
    times the largest eigenvalue of the batch's weighted second-moment matrix
    :math:`\sum_{i \in B} w_i \tilde x_i \tilde x_i^\top / D` (:math:`\tilde x` with a 1 for
    the intercept, D the reduction's divisor), plus the L2 part of the penalty the batch
    carries.

    - Full batch: that eigenvalue is found by power iteration on all the rows (to a few
      per cent; a step below :math:`2/L` is what stability needs).
    - Mini-batches: any batch of m rows has it at most
      :math:`\frac1m \sum_{i \in B} (w_i / \bar w) \lVert \tilde x_i \rVert^2` ("mean"), or
      that sum without the :math:`1 / m \bar w` ("sum"), so the heaviest m rows bound it,
      for m the batch size and the size of the short last batch.

    Gradient descent with this step lowers a smooth loss on every batch, whatever the scale of
    the data; momentum methods take :math:`(1 - \alpha)` of it.

    Examples
    --------
    >>> import numpy as np
    >>> from descend import kernels, losses
    >>> from descend.penalties import Penalty
    >>> X = np.array([[1.0, 0.0], [0.0, 2.0]])
    >>> model = kernels.LinearModel(2, 1, fit_intercept=False)
    >>> rate = kernels.auto_learning_rate(X, model, losses.squared_error(), Penalty(None), 2)
    >>> round(rate, 3)  # XᵀX/2 = diag(0.5, 2): L = 2
    0.5
    """
    n = X.shape[0]
    # Work on X / s, s its largest entry, so that no square overflows; L scales by s².
    s_max = float(abs(X).max()) if n and X.shape[1] else 0.0
    s_max = max(s_max, float(model.fit_intercept))  # the intercept's column holds 1s
    scale = s_max if math.isfinite(s_max) and s_max > 0 else 1.0
    one = float(model.fit_intercept) / scale  # the intercept's column, scaled alike
    with np.errstate(over="ignore"):  # only beyond |x| ~ 1e154, reported below
        norms = np.asarray(X.multiply(X).sum(axis=1)).ravel() if hasattr(X, "multiply") else (
            np.einsum("ij,ij->i", X, X)
        )  # fmt: skip
    norms = norms / (scale * scale) + one * one
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    total = float(w.sum())
    if not total > 0:
        return 1.0
    mean = loss.reduction == "mean"
    beta = loss.curvature(model.n_outputs)
    # The whole data's top eigenvalue bounds every batch too: a batch's matrix is a part of
    # the whole sum ("sum"), or at most n/m times the whole mean ("mean").
    full = _top_eigenvalue(X, scale, w, one, total if mean else 1.0)
    if batch_size >= n:
        moment, share = full, 1.0
    else:
        heaviest = np.sort(w * norms)[::-1]
        heavy_w = np.sort(w)[::-1]
        moment, share = 0.0, 0.0
        for m in {batch_size, n % batch_size} - {0}:
            top = float(heaviest[:m].sum())  # a trace bound from the m heaviest rows
            bound = min(top / (m * total / n), full * n / m) if mean else min(top, full)
            moment = max(moment, bound)
            share = max(share, 1.0 if mean else float(heavy_w[:m].sum()) / total)
    curvature = beta * moment * scale * scale + penalty.l2_weight * share
    if not math.isfinite(curvature):
        raise ValueError(
            f"The inputs are too large to size a learning rate (largest |x| = {s_max:.3g}); "
            "scale them, or pass learning_rate"
        )
    return 1.0 / max(curvature, 1e-300)


def _top_eigenvalue(X, scale, w, one, divisor, rtol=1e-3, min_iter=20, max_iter=200) -> float:
    """The largest eigenvalue of :math:`\\tilde X^\\top W \\tilde X / D` by power iteration,
    :math:`\\tilde X` being X / ``scale`` with a column of ``one`` (0 for none); X itself is
    not copied.

    The first iterations can agree on a lower eigenvalue when many sit together below a
    larger one, so the estimate is trusted only after ``min_iter`` of them: by then the
    components of eigenvalues below half the largest (the ones that matter for a stable step)
    have shrunk by 2^20."""
    d = X.shape[1]
    v = np.random.default_rng(0).normal(size=d + 1)  # fixed: the same data, the same rate
    if not one:
        v[d] = 0.0
    v /= np.linalg.norm(v)
    estimate = 0.0
    for k in range(max_iter):
        u = np.asarray(X @ (v[:d] / scale)).ravel() + v[d] * one
        u *= w
        z = np.empty_like(v)
        z[:d] = np.asarray(X.T @ u).ravel() / scale
        z[d] = u.sum() * one
        z /= divisor
        size = float(np.linalg.norm(z))  # |A v| <= the largest eigenvalue, and tends to it
        if size == 0.0 or not math.isfinite(size):
            return size
        if k >= min_iter and abs(size - estimate) <= rtol * size:
            return size
        estimate, v = size, z / size
    return estimate
