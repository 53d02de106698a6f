r"""The inner loop of the estimators: one epoch of descent on a linear model.

The linear model has ``k`` outputs (1 for regression and two classes, one per class beyond):

.. math:: z = X W + b, \qquad J(\theta) = L(z, y) + \rho\, R(W),

with ``W`` of shape ``(d, k)``, ``b`` of shape ``(k,)``, ``L`` a loss of
:mod:`descend.losses` (its reduction applied over the rows in hand) and ``R`` a penalty of
:mod:`descend.penalties`. The gradient is

.. math:: \nabla_W J = X^\top L'(z, y) + \rho\, \nabla R(W), \qquad
          \nabla_b J = \textstyle\sum_i L'(z, y)_i .

All parameters travel as one flat vector ``theta = [W.ravel(), b]`` (:class:`LinearModel`).

For ``reduction="sum"`` the penalty of a batch is weighted by the batch's share of the rows
(``rho`` = batch weight / total weight), so the batch objectives of one epoch add up to the
objective on all the data; for ``"mean"`` each batch carries the whole penalty (``rho = 1``).
With sample weights a ``"mean"`` batch is divided by its number of rows times the mean weight
of all the rows, not by its own weight, which would cancel the weight of a one-row batch.

Where things live:

- :mod:`descend.kernels.compiled` (with :mod:`descend.kernels._compiled`): the Numba kernels,
  a full batch fused into one parallel pass over X, mini-batch and stochastic epochs with the
  optimizer's update compiled in;
- :mod:`descend.kernels.reference`: the plain NumPy twin, the definition the compiled kernels
  are tested against, and what runs what they do not take;
- :mod:`descend.kernels.training`: a fit's data prepared once, with the per-epoch pass and
  measurement the estimators call;
- :mod:`descend.kernels.stepsize`: the "auto" learning rate;
- :mod:`descend.kernels.policy`: the cost model that sends a fit's passes to the kernels or
  to the reference, and decides how many threads a pass wakes.

:func:`epoch` runs compiled whenever :func:`descend.kernels.compiled.takes` the arguments (a
fit's :class:`Training` asks the cost model instead).

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

from time import perf_counter

import numpy as np

from descend.batches import full_batch
from descend.kernels import compiled, policy, reference
from descend.kernels.model import LinearModel
from descend.kernels.reference import objective, objective_and_grad
from descend.kernels.stepsize import auto_learning_rate
from descend.kernels.training import Training

__all__ = [
    "LinearModel",
    "Training",
    "auto_learning_rate",
    "compiled",
    "epoch",
    "first_nonfinite",
    "objective",
    "objective_and_grad",
    "policy",
    "reference",
]


def epoch(
    theta: np.ndarray,
    state,
    X,
    y: np.ndarray,
    sample_weight: np.ndarray | None,
    *,
    model: LinearModel,
    loss,
    penalty,
    optimizer,
    rate,
    batch_size: int,
    rng: np.random.Generator,
    shuffle: bool = True,
    n_jobs=None,
):
    """One pass over the rows in batches of ``batch_size``: an optimizer step per batch.

    Compiled when :func:`descend.kernels.compiled.takes` the data, loss, optimizer and rate,
    else the NumPy reference; the arguments and results are those of
    :func:`descend.kernels.reference.epoch` (``n_jobs`` limits the threads of the compiled
    pass). A full batch steps with the optimizer's NumPy update after a compiled pass, so
    there the optimizer needs no compiled form.
    """
    args = (theta, state, X, y, sample_weight)
    kwargs = dict(
        model=model, loss=loss, penalty=penalty, optimizer=optimizer, rate=rate,
        batch_size=batch_size, rng=rng, shuffle=shuffle,
    )  # fmt: skip
    full = full_batch(batch_size, X.shape[0])
    if compiled.takes(X, loss, None if full else optimizer, rate):
        return compiled.epoch(*args, **kwargs, n_jobs=n_jobs)
    return reference.epoch(*args, **kwargs)


def first_nonfinite(X) -> tuple[int, int] | None:
    """The (row, column) of the first NaN or infinity in X (dense or CSR), or None.

    One read of X (compiled and in parallel when the cost model of
    :mod:`descend.kernels.policy` says so): the sum of all entries is finite unless X holds a
    NaN or an infinity (or finite entries so large their sum overflows), and only then are
    the entries searched one by one.

    Examples
    --------
    >>> import numpy as np
    >>> first_nonfinite(np.array([[1.0, 2.0], [3.0, np.nan]]))
    (1, 1)
    >>> first_nonfinite(np.ones((3, 2))) is None
    True
    """
    if hasattr(X, "format"):
        X = X.tocsr()
        values = X.data
    else:
        values = X
    dense = compiled.takes_data(X) and not hasattr(X, "format")
    route = policy.Route(
        f"dense_sum[{values.dtype}]",
        (lambda: (compiled._kernels().dense_sum, (X, 1, False))) if dense else None,
        values.size,
    )
    if route.compiled():
        total = compiled.total(X)
    else:
        start = perf_counter()
        with np.errstate(over="ignore", invalid="ignore"):
            total = float(np.sum(values, dtype=np.float64))
        route.paid(perf_counter() - start)
    if np.isfinite(total):
        return None
    bad = np.flatnonzero(~np.isfinite(values.reshape(-1) if values.ndim else values))
    if bad.size == 0:
        return None  # finite entries whose sum overflowed
    position = int(bad[0])
    if hasattr(X, "format"):
        row = int(np.searchsorted(X.indptr, position, side="right")) - 1
        return row, int(X.indices[position])
    return divmod(position, X.shape[1]) if X.ndim == 2 else (position, 0)
