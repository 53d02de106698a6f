r"""The plain NumPy twin of the epoch kernels: the definition the compiled ones must match.

One epoch of descent on a linear model, written for reading: the model's output, the loss's
derivative pulled back through the model, and the optimizer steps over the batches of one pass
through the rows. :mod:`descend.kernels.compiled` does the same work in Numba, and the tests
hold the two to the same numbers; this version also serves what the compiled one does not
take (a line search, a loss or optimizer class of the user's own).

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
>>> from descend.kernels import reference
>>> from descend.penalties import Penalty
>>> X = np.array([[0.0], [1.0], [2.0]]); y = np.array([1.0, 3.0, 5.0])
>>> model = kernels.LinearModel(n_features=1, n_outputs=1, fit_intercept=True)
>>> theta, opt = np.zeros(model.size), optimizers.GD(learning_rate=0.2)
>>> state, rng = opt.init(theta), np.random.default_rng(0)
>>> for _ in range(500):
...     theta, state = reference.epoch(theta, state, X, y, None, model=model,
...         loss=losses.squared_error(), penalty=Penalty(None), optimizer=opt, rate=0.2,
...         batch_size=3, rng=rng, shuffle=False)
>>> theta.round(6)  # slope 2, intercept 1
array([2., 1.])
"""

from __future__ import annotations

import numpy as np

from descend.batches import batch_indices, full_batch
from descend.kernels.model import LinearModel
from descend.linesearch import Backtracking, Wolfe
from descend.losses import Loss
from descend.penalties import Penalty

__all__ = ["epoch", "objective", "objective_and_grad"]


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
    # float32 X stays float32: the derivative is cast to it rather than X to float64
    grad_coef = np.asarray(X.T @ (d.astype(np.float32) if X.dtype == np.float32 else d), float)
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
    whole: tuple[int, float] | None = None,
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
    rate : float, Backtracking or Wolfe
        This epoch's learning rate, or a line search run on each batch's objective.
    batch_size, rng, shuffle :
        How the rows are split and ordered (see :func:`descend.batches.batch_indices`).
    whole : (int, float), optional
        The rows and total weight of a larger data set that these rows are a chunk of: they
        size each batch's divisor and share of the penalty, and the rows are taken in
        batches even when one batch would hold them all.

    Returns
    -------
    theta, state
        The parameters and optimizer state after the epoch. Arithmetic that overflows leaves
        non-finite numbers for the caller to report; it raises no warning here.
    """
    n = X.shape[0]
    total = n if sample_weight is None else float(sample_weight.sum())
    full = full_batch(batch_size, n)
    rows_all = n
    if whole is not None:  # a chunk: every row weighed, against the totals of the whole
        if sample_weight is None:
            sample_weight = np.ones(n)
        rows_all, total = whole
        full = False
    # a weighted "mean" batch stands for all the rows: its size times their mean weight divides
    weighted_mean = sample_weight is not None and loss.reduction == "mean" and total > 0
    mean_weight = total / rows_all if weighted_mean and not full else None
    search = rate if isinstance(rate, Backtracking | Wolfe) else None
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
                    theta, f, g, optimizer, state,
                    gradient=lambda t, Xb=Xb, yb=yb, wb=wb, terms=terms: objective_and_grad(
                        t, Xb, yb, wb, **terms
                    )[1],
                )  # fmt: skip
                if found is None:  # at a minimum of this batch to rounding: no move
                    continue
                step, state = found.step, found.state
            theta = theta + step
    return theta, state
