r"""A fit's rows in chunks (:mod:`descend.chunks`), wherever they live
(:mod:`descend.cluster`): the :class:`~descend.kernels.Training` of data that is not one array
in memory.

Full batch
    A pass maps :func:`chunk_sums` (the fused compiled pass of
    :func:`descend.kernels.compiled.chunk_sums`, whose sums depend on the chunk alone) over the
    chunks and adds the results in the chunks' order. The objective, its gradient and the
    recorded sums are therefore the same bits whether the chunks were in this process or
    spread over any number of workers; only the parameters go out and the sums come back.

Mini-batches
    An epoch takes the chunks in an order drawn from the fit's generator (with ``shuffle``),
    and the rows of each chunk in an order drawn from a seed drawn alongside; its batches are
    runs of rows of one chunk (the last one of a chunk may be short), each one divided and
    penalised as a batch of the whole data set. The parameters and the optimizer's state go
    from chunk to chunk (:func:`chunk_epoch`), so the same seed gives the same fit on one
    machine and on a cluster.

Examples
--------
>>> import numpy as np
>>> from descend import chunks, cluster, kernels, losses, optimizers
>>> from descend.kernels.chunked import ChunkedTraining
>>> from descend.penalties import Penalty
>>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = 2 * X[:, 0] + 1
>>> data = chunks.from_arrays(X, y, rows=3)
>>> model = kernels.LinearModel(1, 1, fit_intercept=True)
>>> rows = ChunkedTraining(cluster.Local(data, chunks.Prep()), model=model,
...     loss=losses.squared_error(), penalty=Penalty(None), batch_size=4)
>>> theta, opt = np.zeros(2), optimizers.GD(0.2)
>>> state = opt.init(theta)
>>> for _ in range(300):
...     theta, state = rows.epoch(theta, state, opt, 0.2, np.random.default_rng(0))
>>> theta.round(6)
array([2., 1.])
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import NamedTuple

import numpy as np

from descend import losses
from descend.batches import full_batch
from descend.kernels import compiled, reference
from descend.kernels.model import LinearModel
from descend.kernels.training import Measure, Training
from descend.linesearch import Backtracking
from descend.penalties import Penalty

__all__ = ["ChunkedTraining", "PassSpec", "chunk_epoch", "chunk_sums", "sums_numpy"]


class PassSpec(NamedTuple):
    """What a full pass over a chunk needs besides its rows (pickled to the workers)."""

    model: LinearModel
    loss: losses.Loss
    want_grad: bool
    want_stats: bool
    side: str | None = None


def _rows(part, side):
    """The rows of a chunk a pass reads: all of them, or one side of a
    :class:`~descend.chunks.Held` split ("train" or "held")."""
    return part if side is None else getattr(part, side)


class _Batches(NamedTuple):
    """What a mini-batch epoch over a chunk needs besides its rows and the parameters."""

    seed: int
    model: LinearModel
    loss: losses.Loss
    penalty: Penalty
    optimizer: object
    rate: object
    batch_size: int
    shuffle: bool
    whole: tuple[int, float]
    side: str | None = None


def sums_numpy(theta, X, y, w, *, model: LinearModel, loss: losses.Loss, want_grad=True):
    """The plain NumPy twin of :func:`descend.kernels.compiled.chunk_sums`: ``G`` of shape
    ``(d + 1, k)`` and the four stats, to rounding."""
    summed = replace(loss, reduction="sum")
    z = model.output(theta, X)
    k = model.n_outputs
    G = np.zeros((model.n_features + 1, k))
    if want_grad:
        d = summed.dloss(z, y, w).reshape(len(z), k)
        G[:-1] = np.asarray(X.T @ (d.astype(np.float32) if X.dtype == np.float32 else d))
        G[-1] = d.sum(axis=0)
    # one score per class is a classifier's, whatever the loss (squared_error serves both)
    target = losses.class_targets(z, y) if loss.classification or z.ndim == 2 else y
    r = loss.activation(z) - target
    picked = np.argmax(z, axis=1) if z.ndim == 2 else (z > loss.threshold)
    stats = np.array([
        summed.value(z, y, w),
        float(np.sum(r * r)),
        float(np.sum(picked == y)),
        float(np.sum(z)),
    ])  # fmt: skip
    return G, stats


def chunk_sums(part, first: int, theta, spec: PassSpec):
    """The raw sums of one chunk (run where the chunk is): compiled where the kernels take
    the chunk, else :func:`sums_numpy`."""
    X, y, w = _rows(part, spec.side)
    with np.errstate(all="ignore"):
        if compiled.takes(X, spec.loss):
            return compiled.chunk_sums(
                theta, X, y, w, model=spec.model, loss=spec.loss, want_grad=spec.want_grad,
                want_stats=spec.want_stats,
            )  # fmt: skip
        return sums_numpy(theta, X, y, w, model=spec.model, loss=spec.loss,
                          want_grad=spec.want_grad)  # fmt: skip


def chunk_epoch(part, carry, spec: _Batches):
    """The mini-batch steps of an epoch over one chunk: ``(theta, state)`` in and out, a
    NaN theta carried on unchanged (the epoch diverged in an earlier chunk)."""
    theta, state = carry
    if not np.all(np.isfinite(theta)):
        return carry
    X, y, w = _rows(part, spec.side)
    rng = np.random.default_rng(spec.seed)
    terms = dict(
        model=spec.model, loss=spec.loss, penalty=spec.penalty, optimizer=spec.optimizer,
        rate=spec.rate, batch_size=spec.batch_size, rng=rng, shuffle=spec.shuffle,
        whole=spec.whole,
    )  # fmt: skip
    if compiled.takes(X, spec.loss, spec.optimizer, spec.rate):
        return compiled.batches_epoch(theta, state, X, y, w, **terms)
    return reference.epoch(theta, state, X, y, w, **terms)


def _totals(part, first, side):
    """A chunk's rows and the sum of its weights."""
    part = _rows(part, side)
    n = part.X.shape[0]
    return n, (float(n) if part.w is None else float(part.w.sum()))


def _largest(part, first, side):
    """max |x| over a chunk's entries (read twice, never copied)."""
    X = _rows(part, side).X
    values = X.data if hasattr(X, "format") else X
    if not values.size:
        return 0.0
    return max(float(np.max(values)), -float(np.min(values)), 0.0)


def _nonfinite(part, first):
    """The (row, column, value) of a chunk's first entry that is not finite, or None (of
    all its rows, a held-out split put back in order)."""
    from descend.chunks import Held, first_nonfinite

    if isinstance(part, Held):
        return _nonfinite(part.train, first) or _nonfinite(part.held, first)
    found = first_nonfinite(part.X)
    if found is None:
        return None
    i, j = found
    return first + i, j, float(part.X[i, j])


#: Rows at a time in :func:`_moments`: its copies stay a few megabytes, whatever the chunk.
_MOMENT_ROWS = 4096


def _moments(part, first, one, m, side):
    """A chunk's part of :math:`\\tilde X^\\top W \\tilde X` (with a column of ``one``), and
    its ``m`` largest weighted row norms and weights (for the mini-batch bound), summed a few
    thousand rows at a time so that no copy of the chunk is made."""
    X, _, w = _rows(part, side)
    n, d = X.shape
    weights = np.ones(n) if w is None else w
    gram = np.zeros((d + 1, d + 1))
    norms = np.empty(n)
    with np.errstate(over="ignore", invalid="ignore"):
        for a in range(0, n, _MOMENT_ROWS):
            block = X[a : a + _MOMENT_ROWS]
            block = block.toarray() if hasattr(block, "format") else block
            tilde = np.empty((block.shape[0], d + 1))
            tilde[:, :d] = block
            tilde[:, d] = one
            wb = weights[a : a + _MOMENT_ROWS]
            gram += tilde.T @ (tilde * wb[:, None])
            norms[a : a + _MOMENT_ROWS] = np.einsum("ij,ij->i", tilde, tilde) * wb
    top = np.sort(norms)[::-1][:m]
    heavy = np.sort(weights)[::-1][:m]
    return gram, top, heavy


class ChunkedTraining:
    """The rows of one fit in chunks, run by an executor of :mod:`descend.cluster`: the
    methods of :class:`~descend.kernels.Training` (which see) for the estimators' loop.

    Parameters
    ----------
    run : descend.cluster.Local or descend.cluster.Dask
        Holds the chunks and runs the work on them.
    model, loss, penalty, batch_size, shuffle, classifier :
        As for :class:`~descend.kernels.Training`.
    side : {None, "train", "held"}
        Which rows of chunks split by :func:`descend.chunks.hold_out` these are (None: the
        chunks were not split).
    """

    def __init__(
        self, run, *, model: LinearModel, loss: losses.Loss, penalty: Penalty,
        batch_size: int, shuffle: bool = True, classifier: bool = False, side=None,
    ):  # fmt: skip
        self.run, self.side = run, side
        self.model, self.loss, self.penalty = model, loss, penalty
        self.batch_size, self.shuffle, self.classifier = batch_size, shuffle, classifier
        totals = run.map(_totals, side)
        self.chunk_rows = [n for n, _ in totals]
        self.n_rows = sum(self.chunk_rows)
        self.total_weight = math.fsum(t for _, t in totals)
        self.full = full_batch(batch_size, self.n_rows)
        self._last: tuple[np.ndarray, compiled.Gradient] | None = None
        #: Passes over all the rows made so far (an epoch of batches counts as one).
        self.passes = 0

    compiled = property(lambda self: compiled.available())

    def routes(self) -> dict:
        """Chunked passes always run the compiled kernels where they apply: no routes."""
        return {}

    def restore_routes(self, kept) -> None:
        """Nothing to restore (see :meth:`routes`)."""

    # ------------------------------------------------------------------------- measuring

    def _divisor(self) -> float:
        if self.loss.reduction == "sum":
            return 1.0
        return self.total_weight if self.total_weight > 0 else 1.0

    #: The last pass again where it was made at the same point (see Training._pass).
    _pass = Training._pass

    def _new_pass(self, theta, want_grad: bool) -> compiled.Gradient:
        spec = PassSpec(self.model, self.loss, want_grad, True, self.side)
        found = self.run.map(chunk_sums, theta, spec)
        G, stats = found[0]
        G, stats = np.array(G, copy=True), np.array(stats, copy=True)
        for more_G, more_stats in found[1:]:  # in the chunks' order, whoever computed them
            G += more_G
            stats += more_stats
        with np.errstate(all="ignore"):
            return compiled.finish(
                theta, G, stats, self._divisor(), model=self.model, penalty=self.penalty,
                want_grad=want_grad,
            )  # fmt: skip

    def measure(self, theta: np.ndarray) -> Measure:
        """Loss, squared error and accuracy of ``theta`` on all the rows, in one pass."""
        found = self._pass(theta, want_grad=self.full)
        accuracy = found.correct / self.n_rows if self.classifier else None
        return Measure(found.value, found.sse, accuracy, found.finite)

    def gradient(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """The objective on all the rows and its gradient."""
        found = self._pass(theta, want_grad=True)
        return found.value, found.grad

    def nonfinite(self):
        """The (row, column, value) of the first entry of X that is not finite, or None."""
        return next((hit for hit in self.run.map(_nonfinite) if hit is not None), None)

    def largest(self) -> float:
        """max |x| over all the rows."""
        return max(self.run.map(_largest, self.side), default=0.0)

    def check_scale(self) -> None:
        """:func:`descend.kernels.stepsize.check_scale` for these rows (one pass)."""
        from descend.kernels.stepsize import _refuse_tiny

        _refuse_tiny(self.largest())

    def auto_learning_rate(self) -> float:
        """:func:`descend.kernels.auto_learning_rate` for these rows, from one pass: the
        weighted second-moment matrix is summed over the chunks (its size is the columns'
        squared, not the rows') and its top eigenvalue taken exactly."""
        from descend.kernels.stepsize import _refuse_tiny

        model, loss, n = self.model, self.loss, self.n_rows
        s_max = self.largest()
        _refuse_tiny(s_max)
        one = float(model.fit_intercept)
        m = min(self.batch_size, n)
        found = self.run.map(_moments, one, m, self.side)
        gram = found[0][0].copy()
        for more, _, _ in found[1:]:
            gram += more
        total = self.total_weight
        if not total > 0:
            return 1.0
        mean = loss.reduction == "mean"
        with np.errstate(all="ignore"):
            top_eig = (
                float(np.linalg.eigvalsh(gram)[-1]) if np.all(np.isfinite(gram)) else math.inf
            )
        full = top_eig / (total if mean else 1.0)
        if self.full:
            moment, share = full, 1.0
        else:
            heaviest = np.sort(np.concatenate([t for _, t, _ in found]))[::-1]
            heavy_w = np.sort(np.concatenate([h for _, _, h in found]))[::-1]
            moment, share = 0.0, 0.0
            for size in {self.batch_size} | {r % self.batch_size for r in self.chunk_rows} - {0}:
                size = min(size, n)
                top = float(heaviest[:size].sum())
                bound = min(top / (size * total / n), full * n / size) if mean else min(top, full)
                moment = max(moment, bound)
                share = max(share, 1.0 if mean else float(heavy_w[:size].sum()) / total)
        curvature = loss.curvature(model.n_outputs) * moment + self.penalty.l2_weight * share
        if not math.isfinite(curvature):
            raise ValueError(
                f"The inputs are too large to size a learning rate (largest |x| = {s_max:.3g}); "
                "scale them, or pass learning_rate"
            )
        return 1.0 / max(curvature, 1e-300)

    # ---------------------------------------------------------------------------- epochs

    def epoch(self, theta, state, optimizer, rate, rng: np.random.Generator):
        """One epoch from ``theta``: ``(theta, state)`` after it (see the module notes)."""
        if self.full:
            return self._full_step(theta, state, optimizer, rate)
        self.passes += 1
        n_chunks = len(self.chunk_rows)
        order = rng.permutation(n_chunks) if self.shuffle else np.arange(n_chunks)
        seeds = rng.integers(0, 2**63, size=n_chunks)
        whole = (self.n_rows, self.total_weight)
        specs = [
            _Batches(int(seeds[i]), self.model, self.loss, self.penalty, optimizer, rate,
                     self.batch_size, self.shuffle, whole, self.side)
            for i in range(n_chunks)
        ]  # fmt: skip
        return self.run.chain(chunk_epoch, [int(k) for k in order], (theta, state), specs)

    def _full_step(self, theta, state, optimizer, rate):
        if isinstance(rate, Backtracking):
            f, g = self.gradient(theta)
            with np.errstate(all="ignore"):
                found = rate.step(lambda t: self.gradient(t)[0], theta, f, g, optimizer, state)
            if found is None:
                return theta, state
            return theta + found.step, found.state
        return Training._full_step(self, theta, state, optimizer, rate, None)

    #: One step along a Wolfe line search, each trial one pass (as for arrays in memory).
    searched_step = Training.searched_step

    def close(self) -> None:
        """Let go of the chunks (on a cluster, free the workers' memory)."""
        self.run.close()
