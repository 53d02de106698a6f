"""A fit's rows, prepared once, with the two things the estimators' loop asks of them each
epoch: an epoch of descent (:meth:`Training.epoch`) and a measurement at the new parameters
(:meth:`Training.measure`).

With a full batch the two share one pass over X: measuring the parameters an epoch ends on
computes the gradient the next epoch steps with, so a full-batch fit reads X once per epoch.

Examples
--------
>>> import numpy as np
>>> from descend import kernels, losses, optimizers
>>> from descend.penalties import Penalty
>>> X = np.array([[0.0], [1.0], [2.0]]); y = np.array([1.0, 3.0, 5.0])
>>> model = kernels.LinearModel(1, 1, fit_intercept=True)
>>> data = kernels.Training(X, y, None, model=model, loss=losses.squared_error(),
...     penalty=Penalty(None), batch_size=3)
>>> theta, opt = np.zeros(2), optimizers.GD(0.2)
>>> state = opt.init(theta)
>>> data.measure(theta).loss  # ½ mean of 1², 3², 5²
5.833333333333333
>>> for _ in range(500):
...     theta, state = data.epoch(theta, state, opt, 0.2, np.random.default_rng(0))
>>> theta.round(6)
array([2., 1.])
"""

from __future__ import annotations

from collections.abc import Callable
from time import perf_counter
from typing import NamedTuple

import numpy as np

from descend import losses
from descend.batches import full_batch
from descend.kernels import compiled, reference
from descend.kernels.model import LinearModel
from descend.linesearch import Wolfe
from descend.penalties import Penalty

__all__ = ["Measure", "Training"]


class Measure(NamedTuple):
    """The training loss (with the penalty), the squared error of the activation against the
    targets, the share of right predictions (None for regression), and whether every output
    was finite (with finite parameters, false exactly when X holds a NaN or an infinity)."""

    loss: float
    sse: float
    accuracy: float | None
    finite: bool = True


class Training:
    """The rows of one fit and how they are split into batches.

    Parameters
    ----------
    X, y, sample_weight :
        The rows: X dense or CSR, targets or class indices, weights or None. A dense X that
        is not C-contiguous is copied once, here, when the compiled kernels will read it.
    model, loss, penalty :
        What is fitted.
    batch_size : int
        Rows per step (the number of rows or more: full batch).
    shuffle : bool
        Whether each epoch permutes the rows first.
    classifier : bool
        Whether :meth:`measure` reports accuracy.
    n_jobs : int or None
        Threads of the compiled full pass (None: as many as pay, see
        :mod:`descend.kernels.policy`).

    Each kind of pass (the full pass; a mini-batch epoch) runs in NumPy or compiled as the
    cost model of :mod:`descend.kernels.policy` decides, and may change from one epoch to the
    next: the numbers are the same to rounding either way.
    """

    def __init__(
        self,
        X,
        y,
        sample_weight,
        *,
        model: LinearModel,
        loss: losses.Loss,
        penalty: Penalty,
        batch_size: int,
        shuffle: bool = True,
        classifier: bool = False,
        n_jobs=None,
    ):
        if (
            compiled.available()
            and isinstance(X, np.ndarray)
            and X.dtype in (np.float32, np.float64)
            and not X.flags.c_contiguous
        ):
            X = np.ascontiguousarray(X)
        self.X, self.y, self.sample_weight = X, y, sample_weight
        self.model, self.loss, self.penalty = model, loss, penalty
        self.batch_size, self.shuffle = batch_size, shuffle
        self.classifier, self.n_jobs = classifier, n_jobs
        self.n_rows = X.shape[0]
        self.full = full_batch(batch_size, self.n_rows)
        self._full_route = compiled.pass_route(X, y, sample_weight, model=model, loss=loss)
        # every route of this fit by its kernel's key, and what a checkpoint said of them
        self._routes = {self._full_route.key: self._full_route}
        self._kept_routes: dict[str, list] = {}
        # the epoch function for each type of optimizer, chosen on its first epoch
        self._epochs: dict[type, Callable] = {}
        self._last: tuple[np.ndarray, compiled.Gradient] | None = None
        #: Passes over all the rows made so far (an epoch of batches counts as one).
        self.passes = 0

    @property
    def compiled(self) -> bool:
        """Whether the next full pass runs compiled."""
        return self._full_route.compiled()

    def routes(self) -> dict[str, list]:
        """Each route of this fit so far, by its kernel's key: its
        :meth:`~descend.kernels.policy.Route.state`."""
        return {key: route.state() for key, route in self._routes.items()}

    def restore_routes(self, kept: dict[str, list]) -> None:
        """Take back what :meth:`routes` gave (for routes made later too)."""
        self._kept_routes = dict(kept)
        for key, route in self._routes.items():
            if key in kept:
                route.restore(kept[key])

    @staticmethod
    def _timed(route, work):
        """``work()`` in NumPy, its time counted against ``route``'s kernel."""
        start = perf_counter()
        try:
            return work()
        finally:
            route.paid(perf_counter() - start)

    # ------------------------------------------------------------------------- measuring

    def measure(self, theta: np.ndarray) -> Measure:
        """Loss, squared error and accuracy of ``theta`` on all the rows, in one pass."""
        if not self.compiled:
            self.passes += 1
            return self._timed(self._full_route, lambda: self._measure_numpy(theta))
        found = self._pass(theta, want_grad=self.full)
        accuracy = found.correct / self.n_rows if self.classifier else None
        return Measure(found.value, found.sse, accuracy, found.finite)

    def gradient(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """The objective on all the rows and its gradient."""
        if not self.compiled:
            self.passes += 1
            return self._timed(
                self._full_route, lambda: reference.objective_and_grad(
                    theta, self.X, self.y, self.sample_weight, model=self.model,
                    loss=self.loss, penalty=self.penalty,
                ),
            )  # fmt: skip
        found = self._pass(theta, want_grad=True)
        return found.value, found.grad

    def _pass(self, theta, want_grad: bool) -> compiled.Gradient:
        """The compiled pass at ``theta``: the last one again when it was made there (and
        has the gradient, if that is wanted), else a new one (counted in :attr:`passes`)."""
        last = self._last
        usable = last is not None and (last[1].grad is not None or not want_grad)
        if usable and np.array_equal(last[0], theta):
            return last[1]
        self.passes += 1
        theta = np.array(theta, dtype=float)
        found = self._new_pass(theta, want_grad)
        self._last = (theta, found)
        return found

    def _new_pass(self, theta, want_grad: bool) -> compiled.Gradient:
        with compiled.threads(self.n_jobs), np.errstate(all="ignore"):
            return compiled.full_gradient(
                theta, self.X, self.y, self.sample_weight, model=self.model, loss=self.loss,
                penalty=self.penalty, want_grad=want_grad,
            )  # fmt: skip

    def _measure_numpy(self, theta) -> Measure:
        model, loss = self.model, self.loss
        z = model.output(theta, self.X)
        finite = bool(np.all(np.isfinite(z)))
        value = loss.value(z, self.y, self.sample_weight)
        if self.penalty.active:
            value += self.penalty.value(model.split(theta)[0])
        target = losses.class_targets(z, self.y) if self.classifier else self.y
        r = loss.activation(z) - target
        # an elementwise sum: a BLAS dot here wakes its thread pool on every epoch, which
        # costs more than the whole epoch on small data
        sse = float(np.sum(r * r))
        accuracy = None
        if self.classifier:
            index = np.argmax(z, axis=1) if z.ndim == 2 else (z > loss.threshold)
            accuracy = float(np.mean(index == self.y))
        return Measure(value, sse, accuracy, finite)

    # ---------------------------------------------------------------------------- epochs

    def epoch(self, theta, state, optimizer, rate, rng: np.random.Generator):
        """One epoch from ``theta``: ``(theta, state)`` after it, the numbers (to rounding)
        of :func:`descend.kernels.reference.epoch`. How it runs is settled on the first
        epoch with an optimizer of each type (:meth:`_epoch_for`). A compiled full batch
        reuses the gradient of the last :meth:`measure` when it was taken at ``theta``.
        (A Wolfe line search on the full batch is :meth:`searched_step`.)"""
        run = self._epochs.get(type(optimizer))
        if run is None:
            run = self._epochs[type(optimizer)] = self._epoch_for(optimizer)
        return run(theta, state, optimizer, rate, rng)

    def _epoch_for(self, optimizer):
        """The epoch function of this fit with optimizers of ``optimizer``'s type.

        Where the kernels do not take the rows or the loss (or, for mini-batches, whose
        steps run inside the compiled loop, the optimizer), that is the NumPy reference
        alone. A full batch needs of the kernels only the gradient of one pass, and steps
        with the optimizer's own NumPy update, so it takes any optimizer, one without a
        compiled form too. Otherwise each epoch still asks the cost model (whose answer
        turns from NumPy to compiled once the kernel has paid for itself) and the learning
        rate (a line search runs the reference), and runs the compiled full-batch step or
        mini-batch loop, or the reference with its time counted against that kernel.
        """
        if not compiled.takes(self.X, self.loss, None if self.full else optimizer):
            return self._reference
        if self.full:
            route, run = self._full_route, self._full_step
        else:
            route, run = compiled.batches_route(
                self.X, self.y, self.sample_weight, model=self.model, loss=self.loss,
                penalty=self.penalty, optimizer=optimizer, batch_size=self.batch_size,
            ), self._batches  # fmt: skip
            self._routes[route.key] = route
            if route.key in self._kept_routes:
                route.restore(self._kept_routes[route.key])

        def epoch(theta, state, optimizer, rate, rng):
            if not compiled.takes_rate(rate):
                return self._reference(theta, state, optimizer, rate, rng)
            if route.compiled():
                return run(theta, state, optimizer, rate, rng)
            # NumPy time counts against the kernel only where the kernel could have done it
            return self._timed(
                route, lambda: self._reference(theta, state, optimizer, rate, rng)
            )  # fmt: skip

        return epoch

    def searched_step(self, theta, state, optimizer, search: Wolfe):
        """One step of ``optimizer`` from ``theta`` at the rate a Wolfe line search finds on
        the objective of all the rows, each trial one pass of :meth:`gradient` (the fused
        loss-and-gradient pass where it runs compiled): a
        :class:`~descend.linesearch.Found`, or None when no trial lowered the objective.
        The trial it accepts is the last one evaluated, so a :meth:`measure` there reads no
        rows again."""
        last = None

        def value(point):
            nonlocal last
            f, g = self.gradient(point)
            last = (point, g)
            return f

        def grad(point):
            return last[1] if last is not None and last[0] is point else self.gradient(point)[1]

        f, g = self.gradient(theta)
        with np.errstate(all="ignore"):
            return search.step(value, theta, f, g, optimizer, state, gradient=grad)

    def _reference(self, theta, state, optimizer, rate, rng):
        self.passes += 1
        return reference.epoch(
            theta, state, self.X, self.y, self.sample_weight, model=self.model,
            loss=self.loss, penalty=self.penalty, optimizer=optimizer, rate=rate,
            batch_size=self.batch_size, rng=rng, shuffle=self.shuffle,
        )  # fmt: skip

    def _full_step(self, theta, state, optimizer, rate, rng):
        """A compiled full-batch epoch: one step of the optimizer's NumPy update with the
        gradient of one compiled pass (shared with :meth:`measure`)."""
        grad = self._pass(theta, want_grad=True).grad
        if not np.all(np.isfinite(grad)):
            return theta + np.nan, state
        with np.errstate(all="ignore"):
            step, state = optimizer.update(grad, state, theta, float(rate))
            return theta + step, state

    def _batches(self, theta, state, optimizer, rate, rng):
        self.passes += 1
        return compiled.batches_epoch(
            theta, state, self.X, self.y, self.sample_weight, model=self.model,
            loss=self.loss, penalty=self.penalty, optimizer=optimizer, rate=rate,
            batch_size=self.batch_size, rng=rng, shuffle=self.shuffle,
        )  # fmt: skip
