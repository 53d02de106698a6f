"""The "auto" learning rate: a step no batch objective of an epoch can overshoot."""

from __future__ import annotations

import math
from time import perf_counter

import numpy as np

from descend.batches import full_batch
from descend.kernels.model import LinearModel
from descend.losses import Loss
from descend.penalties import Penalty

__all__ = ["auto_learning_rate", "check_scale"]

# Inputs whose largest entry is below this are refused by the "auto" rate: their squares
# (about 1e-300 and less) reach float64's subnormal numbers, where curvatures lose their
# digits and a step 1/L overflows.
_SMALLEST_INPUT = 1e-150


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
    the data; heavy-ball momentum takes :math:`(1 - \alpha)` of it, while Nesterov's
    look-ahead is stable at the whole step for any momentum (see the estimators'
    ``learning_rate``).

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
    s_max = _largest_magnitude(X) if n and X.shape[1] else 0.0
    _refuse_tiny(s_max)
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
    if full_batch(batch_size, n):
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


def check_scale(X) -> None:
    """Refuse inputs too small for descent: whose largest magnitude is under
    :data:`_SMALLEST_INPUT`.

    The curvature of a linear model's loss goes as x²: below :data:`_SMALLEST_INPUT` that is
    under float64's smallest normal number, so beside an intercept's column of 1s the
    features would not move at all, and without one a step that moves them is beyond
    float64's range. No learning rate fits such inputs, given or "auto". A few dozen rows
    settle it for almost any data; only when all of those are that small is all of X read.

    Examples
    --------
    >>> import numpy as np
    >>> check_scale(np.array([[1e-3, -2.0]]))
    >>> check_scale(np.array([[1e-200]]))
    Traceback (most recent call last):
    ...
    ValueError: The inputs are too small for descent (largest |x| = 1e-200): ...
    """
    if not (X.shape[0] and X.shape[1]):
        return
    if _largest_magnitude(X[:: max(1, X.shape[0] // 64)]) < _SMALLEST_INPUT:
        _refuse_tiny(_largest_magnitude(X))


def _refuse_tiny(s_max: float) -> None:
    if 0.0 < s_max < _SMALLEST_INPUT:
        # (StandardScaler is no help: it takes features this small for constants)
        raise ValueError(
            f"The inputs are too small for descent (largest |x| = {s_max:.3g}): their "
            "squares underflow float64, so no learning rate can fit them; multiply them by "
            f"1e{-math.floor(math.log10(s_max))} or so"
        )


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
    product = _gram_product(X, w)
    for k in range(max_iter):
        z = product(v, scale, one)
        z /= divisor
        size = float(np.linalg.norm(z))  # |A v| <= the largest eigenvalue, and tends to it
        if size == 0.0 or not math.isfinite(size):
            return size
        if k >= min_iter and abs(size - estimate) <= rtol * size:
            return size
        estimate, v = size, z / size
    return estimate


def _largest_magnitude(X) -> float:
    """max |x| over the entries of X, without making a copy of X."""
    if hasattr(X, "multiply"):  # sparse: only its stored values
        data = X.data
        return float(max(data.max(), -data.min())) if data.size else 0.0
    return float(max(X.max(), -X.min()))


def _gram_product(X, w):
    r"""``v -> X̃ᵀ W X̃ v`` for the power iteration (:math:`\tilde X` = X / scale with a
    column of ``one``): one compiled pass over X when the cost model of
    :mod:`descend.kernels.policy` finds the kernel worth its price, else two NumPy products
    run in X's dtype (X is never cast)."""
    from descend import losses
    from descend.kernels import compiled

    d = X.shape[1]
    dtype = X.dtype if X.dtype == np.float32 else np.float64
    # zero targets, as the compiled product passes them; the route looks only at their type
    route = compiled.pass_route(
        X, np.zeros(1), w, model=LinearModel(d, 1, True),
        loss=losses.squared_error(reduction="sum"),
    )  # fmt: skip
    fast = None

    def numpy_product(v, scale, one):
        u = np.asarray(X @ (v[:d] / scale).astype(dtype)).ravel() + v[d] * one
        u *= w
        z = np.empty_like(v)
        z[:d] = np.asarray(X.T @ u.astype(dtype)).ravel() / scale
        z[d] = u.sum() * one
        return z

    def product(v, scale, one):
        nonlocal fast
        if route.compiled():
            fast = fast or compiled.gram_product(X, w)
            return fast(v, scale, one)
        start = perf_counter()
        z = numpy_product(v, scale, one)
        route.paid(perf_counter() - start)
        return z

    return product
