"""What the two estimators share: checking settings, preparing data, and the epoch loop.

The estimators only validate, prepare and collect. The rows of a fit become one
:class:`descend.kernels.Training`, whose ``epoch`` and ``measure`` (compiled kernels where they
apply) do each epoch's work; stopping is decided by the rules of :mod:`descend.stopping` on a
per-epoch :class:`descend.stopping.Info`.
"""

from __future__ import annotations

import copy
import functools
import math
import numbers
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from descend import checkpoint as _checkpoints
from descend import cluster, kernels, losses, optimizers
from descend.batches import check_batch_size, full_batch
from descend.chunks import Chunks, Prep, as_chunks, is_dask
from descend.driver import RunState, divergence_limit, drive
from descend.errors import FitDivergedError
from descend.estimators.history import TrainingHistory
from descend.estimators.parameters import check_parameters
from descend.kernels.chunked import ChunkedTraining
from descend.kernels.stepsize import check_scale
from descend.linesearch import Backtracking, Wolfe
from descend.penalties import Penalty
from descend.schedules import rate_at
from descend.stopping import AnyOf, Callback, MaxIter, Patience, RTol, Target, Tol
from descend.stopping import message as stop_message

#: float32 data stays float32 (never copied to float64); anything else becomes float64.
_DTYPES = (np.float64, np.float32)
#: At most this many passes over the training rows go to proving how far a fit that tol or
#: patience stopped is above its optimum (see ``GDBase._proven_gap``).
GAP_PASSES = 20
#: A fit stopped by tol or patience warns when its training objective is provably more than
#: the larger of GAP_TOLS * tol and GAP_SHARE * |objective| above its lowest value. At the
#: pace at which the rule stopped it (at most tol per epoch), covering 200 tol would take
#: 200 more epochs: no longer what "the loss stopped changing" means. The share keeps
#: differences that are small beside the loss itself quiet when tol is tiny.
GAP_TOLS = 200.0
GAP_SHARE = 0.01
#: ``tol="auto"``: the loss change that stops a first-order fit; and, for 'lbfgs' and 'cg',
#: the change relative to the loss (:class:`descend.stopping.RTol`). Their steps converge
#: fast near the optimum, where a change this small leaves a gap of the same order: on the
#: standardised breast_cancer, wine, iris, digits (L2 penalty 1e-4) and diabetes (ridge)
#: problems the fits end within 2e-11 (relative) of the optimum, and on NIST's Longley data
#: with about 6.8 correct digits of every certified coefficient.
AUTO_TOL = 1e-4
AUTO_RTOL = 1e-12

# The core's rule names, as the estimators' parameters name them.
_RULE_NAMES = {
    "tol": "tol",
    "rtol": "tol",
    "patience": "n_iter_no_change",
    "target": "target_loss",
    "max_iter": "max_epochs",
}


#: Optimizers whose step is the rate times the gradient, which "auto" sizes from the data.
_PLAIN = (optimizers.GD, optimizers.Momentum, optimizers.Nesterov)


@dataclass(frozen=True)
class _Settings:
    """The checked parameters of one fit."""

    loss: losses.Loss
    penalty: Penalty
    optimizer: optimizers.Optimizer
    seed: object
    auto_rate: bool


def _check_finite(X) -> None:
    """Raise a ValueError naming the first NaN or infinity in X."""
    found = kernels.first_nonfinite(X)
    if found is not None:
        row, column = found
        value = X[row, column]
        kind = "NaN" if np.isnan(value) else "infinity (inf)"
        raise ValueError(
            f"Input X contains {kind} at row {row}, column {column}; every entry must be a "
            "finite number (drop or impute the missing values first)"
        )


def _rng(random_state) -> np.random.Generator:
    """A Generator from None, a seed, a Generator or a legacy RandomState."""
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2**32, dtype=np.uint64))
    if random_state is None or isinstance(random_state, np.random.Generator):
        return np.random.default_rng(random_state)
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"Invalid random_state: {random_state}; a seed must be >= 0")
        return np.random.default_rng(int(random_state))
    raise TypeError(
        f"Invalid random_state: {random_state!r}; expected None, a whole number, a "
        "numpy.random.Generator or a RandomState"
    )


def _children(rng: np.random.Generator, n: int) -> list[np.random.Generator]:
    """Independent generators drawn from ``rng``'s seed without moving its own stream (a
    generator whose seed cannot spawn gives seeds drawn from its stream instead)."""
    try:
        return rng.spawn(n)
    except TypeError:
        return [np.random.default_rng(s) for s in rng.integers(2**63, size=n)]


def by_blocks(method):
    """Let a prediction method take a Dask array or DataFrame: the method runs on each block
    of rows where the block is, and gives a lazy Dask array (one row out per row in)."""

    @functools.wraps(method)
    def wrapper(self, X):
        if not is_dask(X):
            return method(self, X)
        check_is_fitted(self, "coef_")
        frame = hasattr(X, "npartitions") and hasattr(X, "columns")
        names = list(X.columns) if frame else None
        blocks = X.to_dask_array(lengths=True) if frame else X
        if len(blocks.chunks[1]) > 1:
            blocks = blocks.rechunk({1: -1})

        def run(block):
            if names is not None:
                import pandas as pd

                block = pd.DataFrame(block, columns=names)
            return method(self, block)

        # one row of zeros says what comes out: its columns and its type
        probe = run(np.zeros((1, blocks.shape[1]), dtype=blocks.dtype))
        if probe.ndim == 1:
            return blocks.map_blocks(run, drop_axis=1, dtype=probe.dtype)
        return blocks.map_blocks(
            run, chunks=(blocks.chunks[0], (probe.shape[1],)), dtype=probe.dtype
        )  # fmt: skip

    return wrapper


class _Gap(NamedTuple):
    """The training objective where a fit stopped, the lowest value found from there (so
    the optimum is at most that), the passes over the rows spent, and whether the fit ran
    on mini-batches."""

    loss: float
    lowest: float
    passes: int
    mini_batch: bool

    def threshold(self, tol) -> float:
        """How far above its lowest value the objective may be before the fit warns: the
        larger of ``GAP_TOLS * tol`` and ``GAP_SHARE * |loss|``."""
        return max(GAP_TOLS * (tol or 0.0), GAP_SHARE * abs(self.loss))

    def far(self, tol) -> bool:
        """Whether the objective is provably more than :meth:`threshold` above its lowest
        value."""
        return self.loss - self.lowest > self.threshold(tol)


def _quasi_newton(objective, theta, f, g, preconditioner, step, *, passes):
    r"""The lowest value of ``objective`` that L-BFGS reaches from ``theta`` in at most
    ``passes`` evaluations, and the evaluations used.

    ``objective(x)`` gives :math:`(f(x), \nabla f(x))`; ``f`` and ``g`` are those at
    ``theta``. The run is :class:`descend.optimizers.LBFGS` with its Wolfe line search, in
    the coordinates :math:`u` of :math:`x = \theta + P^{1/2} u`, :math:`P` the diagonal
    ``preconditioner``: its :math:`H^0 = \gamma I` there is :math:`\gamma P` in x. Its first
    trial is :math:`-` ``step`` :math:`P g`. Only values actually evaluated are returned, so
    the result is an upper bound on the objective's infimum whatever happens along the way."""
    root = np.sqrt(preconditioner)
    used = 0

    def value(u):
        nonlocal used, last
        used += 1
        fx, gx = objective(theta + root * u)
        last = (u, root * gx)
        return fx if math.isfinite(fx) else math.inf

    def gradient(u):
        if last is None or last[0] is not u:  # (the search asks right after the value)
            value(u)
        return last[1]

    last = None
    opt = optimizers.LBFGS()
    u, gu = np.zeros_like(theta), root * g
    state = opt.init(u)
    # the unit-length first direction times this rate is the first trial asked for
    first = step * float(np.linalg.norm(gu))
    while used < passes:
        search = Wolfe(initial=first or 1.0, max_trials=passes - used)
        direction, state = opt.update(gu, state, u, 1.0)
        found = search.search(value, gradient, u, f, gu, direction)
        if found is None:
            break  # no descent left within the evaluations, or at a minimum to rounding
        _, u, f, gu, _ = found
        first = None
        if not np.all(np.isfinite(gu)):
            break
    return f, used


class _FitSteps:
    """The stepper of a fit for the one loop of :mod:`descend.driver`: an epoch of the
    kernels (:meth:`descend.kernels.Training.epoch`) per iteration, then the loss on all the
    training rows (and the held-out ones, which the stopping rules then watch)."""

    watches = True

    def __init__(self, estimator, data, held_out, model, settings, state, limit=None):
        self.estimator, self.data, self.held_out, self.model = estimator, data, held_out, model
        self.opt = settings.optimizer
        self.order = estimator._rng
        self.restart = self.opt.init
        self.ngev = 0
        self._passes_before = state.nfev  # nfev counts the passes over the training rows
        self.extras = state.record.extras
        self.last_loss, self.last_rate = math.nan, None
        theta, kept = state.x, state.extra
        if "routes" in kept:  # each pass runs where it ran before the checkpoint
            data.restore_routes(kept["routes"])
            if held_out is not None:
                held_out.restore_routes(kept.get("held_out_routes", {}))
        if limit is not None and not state.fresh:
            # a resumed fit: its start set the limit, and its record has the row at theta
            self.limit, self.best = limit, tuple(kept["best"])
            self.row, self.watched = state.row, state.watched
            return
        with np.errstate(over="ignore", invalid="ignore"):
            measured = data.measure(theta)
        self.limit = divergence_limit(measured.loss) if limit is None else limit
        watched = measured if held_out is None else held_out.measure(theta)
        best = kept.get("best")  # partial_fit goes on with the best of its earlier calls
        self.best = (watched.loss, theta, state.nit) if best is None else tuple(best)
        if state.fresh:
            state.f = measured.loss
            self._observe(state.nit, theta, measured, watched)
        else:
            self.row, self.watched = state.row, state.watched

    def _observe(self, epoch, theta, measured, watched) -> None:
        """The record's extra columns and the watched loss at ``theta``."""
        estimator = self.estimator
        columns = self.extras
        values = {"sse": measured.sse}
        if "val_loss" in columns:  # NaN for partial_fit epochs after such a fit
            values["val_loss"] = math.nan if self.held_out is None else watched.loss
        if measured.accuracy is not None:
            values.update(accuracy=measured.accuracy, error_rate=1.0 - measured.accuracy)
        if estimator.record_weights:
            values["coef"], values["intercept"] = estimator._public_weights(theta, self.model)
        self.row = [values[name] for name in columns]
        self.watched = watched.loss
        if estimator.verbose:
            print(f"[INFO] epoch #{epoch}, loss={measured.loss:.7f}", flush=True)

    @property
    def nfev(self) -> int:
        """Passes over the training rows since the fit began (the earlier calls' too for
        ``partial_fit``, and those before a checkpoint for a resumed fit)."""
        return self._passes_before + self.data.passes

    def step(self, theta, f, g, opt_state, nit, scale):
        opt = self.opt
        rate = self.estimator._rate(opt.learning_rate, nit)
        if isinstance(rate, Wolfe):  # one step along a full-batch line search
            found = self.data.searched_step(theta, opt_state, opt, rate)
            if found is None:
                return None  # no trial lowered the objective: nothing more to do
            new, opt_state, rate_value = found.x, found.state, found.rate
        else:
            new, opt_state = self.data.epoch(theta, opt_state, opt, rate, self.order)
            search = isinstance(rate, Backtracking)
            if search and np.array_equal(new, theta):
                return None  # no batch could move: nothing more to do
            rate_value = math.nan if search else float(rate)
        with np.errstate(over="ignore", invalid="ignore"):
            measured = self.data.measure(new)
        loss = measured.loss
        self.last_loss, self.last_rate = loss, rate
        if not (np.all(np.isfinite(new)) and math.isfinite(loss)) or loss > self.limit:
            return new, loss, None, math.nan, opt_state, rate_value, "the training loss diverged"
        held_out = self.held_out
        watched = measured if held_out is None else held_out.measure(new)
        self._observe(nit + 1, new, measured, watched)
        if watched.loss < self.best[0]:
            self.best = (watched.loss, new, nit + 1)
        return new, loss, None, math.nan, opt_state, rate_value, None

    def public_x(self, x):
        return x

    def public_grad(self, g):  # pragma: no cover - a fit's loop keeps no gradient
        return g

    def extra(self) -> dict:
        kept = {"best": list(self.best), "limit": self.limit, "routes": self.data.routes()}
        if self.held_out is not None:
            kept["held_out_routes"] = self.held_out.routes()
        return kept


class GDBase(BaseEstimator):
    """Shared machinery of :class:`GDRegressor` and :class:`GDClassifier`."""

    #: Loss names the estimator accepts.
    _LOSSES: tuple[str, ...] = ()

    # --------------------------------------------------------------------------- settings

    def _settings(self, partial: bool = False) -> _Settings:
        # Each parameter on its own is checked by the table; what follows ties two together.
        check_parameters(self)
        loss = self.loss
        if isinstance(loss, losses.Loss):
            if loss.reduction != self.reduction:
                raise ValueError(
                    f"The loss object has reduction={loss.reduction!r} but reduction="
                    f"{self.reduction!r}; make them agree"
                )
        else:
            loss = losses.get(loss, reduction=self.reduction)
        penalty = Penalty(self.penalty, self.alpha, self.l1_ratio)

        opt = self._optimizer_name(loss, penalty, partial)
        rate = self.learning_rate
        auto = isinstance(rate, str) and rate == "auto"
        if isinstance(opt, optimizers.Optimizer):
            given = ["learning_rate"] * (rate is not None and not auto) + ["momentum"] * (
                self.momentum is not None
            )
            if given:
                raise ValueError(
                    f"{' and '.join(given)} set together with the optimizer object {opt!r}: "
                    "set it on the object instead"
                )
            auto = False  # the object's own learning rate holds
        else:
            # a named optimizer without a momentum setting refuses a nonzero momentum here
            opt = optimizers.make(opt, None if auto else rate, self.momentum)
            auto = auto and isinstance(opt, _PLAIN)
        return _Settings(loss, penalty, opt, self.random_state, auto)

    def _optimizer_name(self, loss, penalty, partial):
        """The optimizer (a name or object) that ``optimizer`` stands for: "auto" is
        "lbfgs" where it applies and the user asked for nothing it does not take (``fit``
        on a full batch, a smooth loss, no L1 penalty, the "auto" or "wolfe" rate, no
        momentum), otherwise "gd"."""
        opt = self.optimizer
        if not (isinstance(opt, str) and opt.lower() == "auto"):
            return opt
        quasi_newton = (
            not partial
            and self.batch_size is None
            and loss.smooth
            and penalty.l1_weight == 0.0
            and self.learning_rate in ("auto", "wolfe")
            and self.momentum is None
        )
        return "lbfgs" if quasi_newton else "gd"

    def objective_function(self, X, y, sample_weight=None):
        """The training objective (loss plus penalty on the rows given) as a function of the
        weights, ordered intercept(s) first, then ``coef_`` row by row.

        At every recorded epoch of a fit on ``X, y`` it equals ``history_.loss``;
        :func:`descend.plot.cost_function` draws it under the fit's path.

        Returns
        -------
        callable
            ``cost(theta)`` for ``theta`` of shape ``(p,)``, or a batch of shape ``(..., p)``.
        """
        check_is_fitted(self, "coef_")
        settings = self._settings()
        X = self._validate_X(X, reset=False)
        y = np.asarray(y)
        if len(y) != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {len(y)}")
        if self._is_classifier():
            y = np.searchsorted(self.classes_, y)
        weight = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        model = self._model
        n_coef = model.n_features * model.n_outputs
        n_intercept = model.n_outputs if model.fit_intercept else 0
        p = n_intercept + n_coef

        def one(theta):
            # public order (intercepts, then coef_ row by row) to the model's own layout
            coef = theta[n_intercept:].reshape(-1, model.n_features).T
            inner = model.pack(coef, theta[:n_intercept] if n_intercept else 0.0)
            value = settings.loss.value(model.output(inner, X), y, weight)
            if settings.penalty.active:
                value += settings.penalty.value(model.split(inner)[0])
            return value

        def cost(theta):
            theta = np.asarray(theta, dtype=float)
            if theta.shape[-1] != p:
                raise ValueError(
                    f"theta must have {p} entries (intercept first, then coefficients), got "
                    f"shape {theta.shape}"
                )
            flat = theta.reshape(-1, p)
            values = np.array([one(t) for t in flat])
            return float(values[0]) if theta.ndim == 1 else values.reshape(theta.shape[:-1])

        return cost

    def validate_settings(self) -> None:
        """Check every setting without fitting: each against its entry of
        :data:`descend.estimators.PARAMETERS`, then those that tie two together (a loss
        object and ``reduction``, an optimizer object and ``learning_rate``). Raises
        TypeError or ValueError naming the setting and its value."""
        self._settings()

    # ------------------------------------------------------------------------------ data

    # The finiteness of X is checked by _check_finite: one parallel read that names the
    # entry, where scikit-learn's check is a single-threaded sum that names nothing.

    def _validate_X(self, X, reset: bool):
        X = validate_data(
            self, X, accept_sparse="csr", dtype=_DTYPES, reset=reset, ensure_all_finite=False
        )
        _check_finite(X)
        return X

    def _validate_Xy(self, X, y, reset: bool, check_finite: bool = True):
        """X and y validated; ``check_finite=False`` leaves X's finiteness to the caller."""
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=_DTYPES,
            reset=reset,
            ensure_all_finite=False,
            y_numeric=not self._is_classifier(),
            multi_output=False,
        )
        if check_finite:
            _check_finite(X)
        return X, y

    def _is_classifier(self) -> bool:
        return False

    def _start(self, model, coef_init, intercept_init, rng, warm=True) -> np.ndarray:
        """The starting parameters: given, kept from the last fit (warm_start), or drawn."""
        size = model.size
        if self.init == "uniform":
            theta = rng.uniform(0.0, 1.0, size)
        elif self.init == "normal":
            inputs = model.n_features + model.fit_intercept
            theta = rng.normal(0.0, math.sqrt(1.0 / inputs), size)
        else:
            theta = np.zeros(size)
        if (
            self.warm_start
            and warm
            and coef_init is None
            and intercept_init is None
            and getattr(self, "_model", None) == model
        ):
            return self._theta.copy()  # go on from the last fit
        coef, intercept = model.split(theta)
        if coef_init is not None:
            coef_init = np.asarray(coef_init, dtype=float)
            want = self._coef_shape(model)
            # one output also takes a flat (d,) or a (1, d) row; several need (k, d) exactly,
            # since a (d, k) array of the same size would be read scrambled
            allowed = {want}
            if model.n_outputs == 1:
                allowed |= {(model.n_features,), (1, model.n_features)}
            if coef_init.shape not in allowed:
                raise ValueError(
                    f"Invalid coef_init: shape {coef_init.shape}; expected {want} for "
                    f"{model.n_features} features"
                )
            coef = self._model_coef(coef_init.reshape(want), model)
        if intercept_init is not None:
            if not model.fit_intercept:
                raise ValueError("intercept_init given but fit_intercept=False")
            intercept_init = np.asarray(intercept_init, dtype=float).reshape(-1)
            if intercept_init.size not in (1, model.n_outputs):
                raise ValueError(
                    f"Invalid intercept_init: {intercept_init.size} values; expected "
                    f"{model.n_outputs}"
                )
            intercept = intercept_init
        theta = model.pack(coef, intercept)
        if not np.all(np.isfinite(theta)):
            raise ValueError("coef_init and intercept_init must be finite")
        return theta

    # ------------------------------------------------------------------------ the loop

    def _columns(self, validation: bool) -> list[str]:
        cols = ["epoch", "loss"] + ["val_loss"] * validation + ["learning_rate", "time", "sse"]
        if self._is_classifier():
            cols += ["accuracy", "error_rate"]
        if self.record_weights:
            cols += ["coef", "intercept"]
        return cols

    def _new_history(self, model, validation: bool) -> TrainingHistory:
        shapes = {"coef": self._coef_shape(model), "intercept": (model.n_outputs,)}
        return TrainingHistory(self._columns(validation), shapes=shapes)

    def _training(self, rows, model, settings, batch) -> kernels.Training:
        X, y, w = rows
        return kernels.Training(
            X, y, w, model=model, loss=settings.loss, penalty=settings.penalty,
            batch_size=batch, shuffle=self.shuffle, classifier=self._is_classifier(),
            n_jobs=self.n_jobs,
        )  # fmt: skip

    def _rate(self, plan, epoch: int):
        """The learning rate of epoch ``epoch`` (counted from 0 over the estimator's life)."""
        if isinstance(plan, Backtracking) or not callable(plan):
            return plan
        return rate_at(plan, epoch, "epoch")

    def _prepared(self, train, val, model, settings, partial=False, rows=None):
        """The :class:`~descend.kernels.Training` of the training rows and of the held-out
        rows (None without them). (``rows``: only check the settings for that many rows.)"""
        n = train[0].shape[0] if rows is None else rows
        batch = check_batch_size(self.batch_size, n)
        opt = settings.optimizer
        if opt.one_objective and (partial or not full_batch(batch, n)):
            what = "partial_fit, whose every call sees other rows" if partial else (
                f"batch_size={self.batch_size} (mini-batches)"
            )  # fmt: skip
            raise ValueError(
                f"optimizer={opt.name!r} builds each step from the gradients of one objective "
                f"at successive points, so every step must see all the rows: it cannot run "
                f"with {what}. Use batch_size=None and fit, or another optimizer."
            )
        data = self._training(train, model, settings, batch)
        held_out = None if val is None else self._training(val, model, settings, batch)
        return data, held_out

    def _run(self, state, prepared, model, settings, rules, store=None, limit=None):
        """Epochs of descent from ``state`` (a :class:`~descend.driver.RunState`) through the
        one loop of :mod:`descend.driver`, until a rule fires. Returns the final state, the
        best ``(watched loss, theta, epoch)`` and the reason in the estimators' names."""
        data, held_out = prepared
        steps = _FitSteps(self, data, held_out, model, settings, state, limit)
        outcome = drive(
            steps, state, rules, checkpoint=None if store is None else store.save,
            every=0 if store is None else store.every,
        )  # fmt: skip
        if outcome.divergence is not None:
            self._diverged(outcome.divergence[0], steps.last_loss, steps.last_rate)
        if outcome.fired is None:
            return outcome.state, steps.best, "line_search"  # no batch could move
        return outcome.state, steps.best, _RULE_NAMES.get(outcome.fired.name, outcome.fired.name)

    def _diverged(self, epoch, loss, rate):
        shown = "line search" if isinstance(rate, Backtracking | Wolfe) else f"{float(rate):.6g}"
        raise FitDivergedError(
            f"{type(self).__name__} diverged at epoch {epoch}: the training loss became "
            f"{loss:.6g} (learning rate {shown}). Scale the inputs (for example with "
            "sklearn.preprocessing.StandardScaler) or use a smaller learning_rate.",
            epoch,
        )

    def _resolve_rate(self, settings, X, model, sample_weight, chunk=False):
        r"""Settings with the "auto" learning rate worked out for this data (which is
        refused, whatever the rate, when it is too small for descent to fit); ``chunk``
        for the rows of one ``partial_fit`` call, which stand for a batch of a larger
        whole.

        The rate is :math:`1/L` (:func:`descend.kernels.auto_learning_rate`). A heavy ball
        moves about rate / (1 - momentum) per step once it rolls, so "momentum" (and "gd"
        with momentum) takes that share of it. Nesterov's look-ahead damps that swing: at
        :math:`\eta = 1/L` its iteration on a quadratic is stable for any momentum in
        [0, 1), and stays so with :math:`L` underestimated by up to a quarter, so on a full
        batch it takes :math:`1/L` whole, and, with no momentum given, the accelerated
        sequence with the gradient restart. On mini-batches and chunks, where each step's
        gradient is noisy, it keeps the momentum's share and its default momentum.

        ``X`` may be a :class:`~descend.kernels.chunked.ChunkedTraining` (data read a chunk
        at a time), whose passes give the scale and the rate."""
        chunked = isinstance(X, ChunkedTraining)
        n = X.n_rows if chunked else X.shape[0]
        if not settings.auto_rate:
            if chunked:
                X.check_scale()
            else:
                check_scale(X)
        else:
            batch = check_batch_size(self.batch_size, n)
            rate = X.auto_learning_rate() if chunked else kernels.auto_learning_rate(
                X, model, settings.loss, settings.penalty, batch, sample_weight
            )  # fmt: skip
            opt = settings.optimizer
            momentum = getattr(opt, "momentum", 0.0)
            if isinstance(opt, optimizers.Nesterov) and (
                isinstance(momentum, str) or (full_batch(batch, n) and not chunk)
            ):
                if self.momentum is None and not chunk:
                    opt = replace(opt, momentum="sequence", restart="gradient")
            else:
                rate *= 1.0 - momentum
            settings = replace(settings, optimizer=replace(opt, learning_rate=rate))
        self._fit_optimizer = settings.optimizer
        return settings

    def _resolve_tol(self, optimizer) -> None:
        """Work out what ``tol`` stands for in this fit (see :data:`AUTO_TOL`): a loss
        change (``_tol``) or, for "auto" with 'lbfgs' or 'cg', a relative one (``_rtol``)."""
        tol, self._rtol = self.tol, None
        if isinstance(tol, str):  # "auto"
            tol = AUTO_TOL
            if optimizer.one_objective:
                tol, self._rtol = None, AUTO_RTOL
        self._tol = tol

    def _rules(self):
        tol = self._tol
        rules = [] if self.callback is None else [Callback(self.callback)]
        if self.n_iter_no_change is not None:  # tol is then the improvement that counts
            rules.append(Patience(self.n_iter_no_change, min_delta=tol or 0.0))
        elif self._rtol is not None:
            rules.append(RTol(self._rtol))
        elif tol is not None:
            rules.append(Tol(tol))
        if self.target_loss is not None:
            rules.append(Target(self.target_loss))
        rules.append(MaxIter(self.max_epochs))
        combined = AnyOf(*rules)
        combined.reset()
        return combined

    @contextmanager
    def _unchanged_on_error(self):
        """Put every attribute back as it was if the block raises (a diverged or interrupted
        fit), so a failed fit leaves the last good one, or no fit, rather than a mix."""
        saved = dict(self.__dict__)
        if "_rng" in saved:
            saved["_rng"] = copy.deepcopy(saved["_rng"])
        try:
            yield
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise

    def fit(
        self, X, y=None, coef_init=None, intercept_init=None, sample_weight=None, *,
        checkpoint=None, checkpoint_every=None, resume=None,
    ):  # fmt: skip
        """Fit by descent from ``coef_init``/``intercept_init`` (or ``init``) until a
        stopping rule fires. Returns self.

        ``checkpoint=PATH`` keeps the fit's whole state in that folder every
        ``checkpoint_every`` epochs (default 1), at the end, and when it diverges or is
        interrupted; ``resume=PATH`` (or True, for ``checkpoint``'s folder) goes on from the
        checkpoint there, and gives the very fit an uninterrupted run gives. Resuming needs
        the same data and settings (the stopping rules may change); anything else is refused
        with what differs. See :mod:`descend.checkpoint`.

        ``X`` may also be data read a chunk at a time (:func:`descend.chunks.as_chunks`): a
        :class:`numpy.memmap` or a ``.npy`` path (``y`` and ``sample_weight`` arrays), Parquet
        files (a path, a glob or a list; ``y`` and ``sample_weight`` name columns), a Dask
        array or DataFrame (``y``, ``sample_weight`` Dask collections split alike, or
        arrays), or a :class:`descend.chunks.Chunks`. Its chunks are loaded where they live,
        in this process or, when a :class:`distributed.Client` is current, on the Dask
        cluster's workers (:mod:`descend.cluster`), and the fit is the same either way, bit
        for bit. With ``early_stopping``, each chunk holds ``validation_fraction`` of its rows
        out (of each class's, for a classifier), picked by the seed and the chunk's place."""
        return self._fit(
            X, y, coef_init, intercept_init, sample_weight, checkpoint, checkpoint_every, resume
        )

    def _fit(self, X, y, coef_init, intercept_init, sample_weight, checkpoint=None,
             checkpoint_every=None, resume=None):  # fmt: skip
        store = _checkpoints.plan(
            checkpoint, checkpoint_every, resume, default_every=_checkpoints.EVERY_EPOCH
        )
        with self._unchanged_on_error():
            reason, gap = self._fit_epochs(X, y, coef_init, intercept_init, sample_weight, store)
        if self.verbose:
            print(f"[INFO] stopped after {self.n_iter_} epochs: {self.stop_message_}")
        stopping = self._tol is not None or getattr(self, "_rtol", None) is not None
        if reason == "max_epochs" and (stopping or self.n_iter_no_change):
            warnings.warn(
                f"{type(self).__name__} did not converge: it stopped at max_epochs = "
                f"{self.max_epochs} before the tol / n_iter_no_change rule fired. Raise "
                "max_epochs, or tune the learning rate.",
                ConvergenceWarning,
                stacklevel=3,
            )
        elif gap is not None and gap.far(self._tol):
            warnings.warn(self._far_message(reason, gap), ConvergenceWarning, stacklevel=3)
        return self

    def _far_message(self, reason, gap: _Gap) -> str:
        """The ConvergenceWarning of a fit that a rule stopped far from its optimum."""
        above = gap.loss - gap.lowest
        # f* <= lowest, so (f - f*) / f* >= f / lowest - 1 (f* >= 0: losses and penalties are)
        relative = ""
        if gap.lowest > 0:
            ratio = gap.loss / gap.lowest
            relative = (
                f" (at least {ratio - 1.0:.0%} higher)" if ratio < 10.0
                else f" (at least {ratio:.0f} times as high)"
            )  # fmt: skip
        opt = self._fit_optimizer
        advice = ["raise max_epochs and lower tol"]
        if type(opt) in (optimizers.GD, optimizers.Momentum) and not gap.mini_batch:
            advice.append("use optimizer='nesterov'")  # accelerated on a full batch
        rate = opt.learning_rate
        if not (
            self.learning_rate == "auto"
            or isinstance(rate, Backtracking | Wolfe)
            or callable(rate)
        ):
            advice.append(f"raise learning_rate (now {float(rate):.3g}) while it stays stable")
        if gap.mini_batch:
            advice.append("use a larger batch_size or a decaying learning rate")
        if (
            self._is_classifier()
            and Penalty(self.penalty, self.alpha, self.l1_ratio).l2_weight == 0
        ):
            # on classes a hyperplane separates, the unpenalised loss has no minimum at all
            advice.append(
                "add penalty='l2' (classes that a hyperplane separates give a loss with no "
                "minimum: it falls towards 0 as the weights grow)"
            )
        advice.append(
            "scale the inputs (for example with sklearn.preprocessing.StandardScaler) if their "
            "scales differ"
        )
        epochs = f"{self.n_iter_} epoch{'s' * (self.n_iter_ != 1)}"
        return (
            f"{type(self).__name__} stopped by {reason} after {epochs} at a training loss of "
            f"{gap.loss:.6g}, but a short run of L-BFGS from there ({gap.passes} passes over "
            f"the data) reaches {gap.lowest:.6g}: the fit's loss is at least {above:.3g} above "
            f"the lowest it can reach{relative}. The rule fired because the steps had become "
            "too short to change the loss by much per epoch: slow progress, not convergence. "
            "To get closer, " + ", ".join(advice[:-1]) + f", or {advice[-1]}."
        )

    def _proven_gap(self, theta, train, model, settings) -> _Gap | None:
        r"""How far the training objective at ``theta`` is above its lowest value, at least.

        The objective :math:`f` (the training loss with its penalty, exactly as the fit
        measures it) is evaluated along a short run of L-BFGS from :math:`\theta`; any point
        :math:`\theta'` it reaches gives :math:`f^* \le f(\theta')`, so

        .. math:: f(\theta) - f^* \;\ge\; f(\theta) - f(\theta')

        holds whatever :math:`f` is: no convexity or constant enters the bound, only values
        evaluated exactly. (Since :math:`f \ge 0` for every loss and penalty here, also
        :math:`(f(\theta) - f^*) / f^* \ge f(\theta) / f(\theta') - 1`.)

        The run is preconditioned by the diagonal :math:`D` of the curvature bound
        :math:`\hat H = \beta \tilde X^\top W \tilde X / n + \alpha_2 I` (:math:`\beta` the
        loss's :meth:`~descend.losses.Loss.curvature`, :math:`\alpha_2` the L2 weight, the
        bound the "auto" rate is sized from), so inputs on very different scales do not
        slow it. Its first step, along :math:`v = D^{-1} g` with length
        :math:`t = g^\top v / v^\top \hat H v`, lowers :math:`f` by at least
        :math:`(g^\top v)^2 / (2\, v^\top \hat H v)` because :math:`\hat H` bounds the
        Hessian everywhere; this is never less than the gradient bound
        :math:`\lVert g\rVert^2 / (2L)` with :math:`D = L I`. Later steps go further.

        The run costs at most :data:`GAP_PASSES` passes over the training rows (an
        evaluation of :math:`f` and its gradient each, plus one for :math:`v^\top \hat H v`),
        and never more than two for each epoch the fit ran, plus two: at most about as much
        again as the fit's own passes (each epoch measures the loss on all the rows besides
        its descent), and usually a small part of it.

        None where it does not apply: losses with kinks and penalties with an L1 part (the
        quasi-Newton model needs a smooth objective), and fits with ``early_stopping``,
        which stop before the training optimum on purpose.
        """
        loss, penalty = settings.loss, settings.penalty
        if not loss.smooth or penalty.l1_weight != 0.0 or self.early_stopping:
            return None
        X, _, w = train
        weights = np.ones(X.shape[0]) if w is None else w
        divisor = float(weights.sum()) if loss.reduction == "mean" else 1.0
        if not divisor > 0:
            return None
        beta, l2, k = loss.curvature(model.n_outputs), penalty.l2_weight, model.n_outputs
        if hasattr(X, "multiply"):
            column_squares = np.asarray(X.multiply(X).T @ weights).ravel()
        else:  # Σ_i w_i x_ij², streamed: no square of X is made
            column_squares = np.einsum("ij,ij,i->j", X, X, weights)
        h = beta * column_squares / divisor + l2
        diag = np.repeat(h, k)  # theta's coefficients run (feature, output)
        if model.fit_intercept:
            diag = np.append(diag, np.full(k, beta * float(weights.sum()) / divisor))
        with np.errstate(all="ignore"):  # a curvature below 1e-308 has no usable inverse
            inverse = np.divide(1.0, diag, out=np.zeros_like(diag), where=diag > 0)
        inverse[~np.isfinite(inverse)] = 0.0
        data = self._training(train, model, settings, X.shape[0])

        def objective(point):
            with np.errstate(all="ignore"):
                return data.gradient(point)

        f, g = objective(theta)
        if not (math.isfinite(f) and np.all(np.isfinite(g))):
            return None
        with np.errstate(all="ignore"):
            v = inverse * g
            u = model.output(v, X)  # the bound's Hessian applied twice to v: |W^½ X̃ v|²
            coef = model.split(v)[0]
            quad = beta * float(np.sum(weights * (u * u if u.ndim == 1 else (u * u).sum(1))))
            quad = quad / divisor + l2 * float(np.sum(coef * coef))
            gv = float(g @ v)
        if not (math.isfinite(quad) and math.isfinite(gv)):
            return None  # curvatures beyond float64's range: no bound to state
        mini_batch = not full_batch(check_batch_size(self.batch_size, X.shape[0]), X.shape[0])
        if not (quad > 0 and gv > 0):  # a zero gradient: nothing is lower nearby
            return _Gap(f, f, 2, mini_batch)
        budget = min(GAP_PASSES, 2 + 2 * self.n_iter_) - 2
        lowest, used = _quasi_newton(objective, theta, f, g, inverse, gv / quad, passes=budget)
        return _Gap(f, lowest, used + 2, mini_batch)

    def _fit_epochs(self, X, y, coef_init, intercept_init, sample_weight, store=None):
        """The whole descent of ``fit``; returns the stop reason and, when tol or patience
        stopped it, :meth:`_proven_gap` (else None)."""
        data = as_chunks(X, y, sample_weight)
        if data is not None:
            return self._fit_chunks(data, coef_init, intercept_init, store)
        settings = self._settings()
        X, y = self._validate_Xy(X, y, reset=True, check_finite=False)
        previous_classes = getattr(self, "classes_", None)
        y_fit, n_outputs = self._prepare_targets(y, partial=False)
        # a warm start only makes sense for the same classes in the same order
        same_targets = previous_classes is None or np.array_equal(previous_classes, self.classes_)
        w = self._sample_weight(sample_weight, X, y_fit)
        model = kernels.LinearModel(X.shape[1], n_outputs, bool(self.fit_intercept))
        # The batch order comes from the seed itself, as in minimize(data=...); the start and
        # the held-out rows from streams of their own, so neither changes the order.
        rng = _rng(settings.seed)
        init_rng, split_rng = _children(rng, 2)
        theta = self._start(model, coef_init, intercept_init, init_rng, warm=same_targets)
        val = None
        train = (X, y_fit, w)
        if self.early_stopping:
            train, val = self._split(X, y_fit, w, split_rng)
        self._rng, self._model = rng, model
        # The first measurement, which the fit makes anyway, also checks X: its outputs are
        # all finite unless X holds a NaN or an infinity, and only then is X searched for
        # the entry to name. This saves a read of X. (The run below reuses the measurement.)
        prepared = self._prepared(train, val, model, settings)
        data, held_out = prepared
        with np.errstate(all="ignore"):
            finite = data.measure(theta).finite and (
                held_out is None or held_out.measure(theta).finite
            )
        if not finite:
            _check_finite(X)
        settings = self._resolve_rate(settings, train[0], model, train[2])
        fingerprint = self._fingerprint(X, y, w, coef_init, intercept_init, settings)
        reason = self._descend(theta, prepared, model, settings, store, fingerprint)
        gap = None
        # the check runs a little L-BFGS from where the fit stopped: nothing it could show
        # about a fit that was L-BFGS (or CG) itself, stopped where its steps stopped paying
        if reason in ("tol", "n_iter_no_change") and not settings.optimizer.one_objective:
            gap = self._proven_gap(self._theta, train, model, settings)
        return reason, gap

    def _descend(self, theta, prepared, model, settings, store, fingerprint) -> str:
        """Descent from ``theta`` on the prepared rows (with ``settings`` resolved) until a
        rule fires, resumed from ``store``'s checkpoint where it has one; the results are
        kept on the estimator (:meth:`_finish`). Returns the stop reason."""
        self._resolve_tol(settings.optimizer)
        validation = prepared[1] is not None
        state = RunState(
            nit=0, x=theta, f=math.nan, g=None, grad_norm=math.nan,
            opt_state=settings.optimizer.init(theta),
            record=self._new_history(model, validation),
        )  # fmt: skip
        if store is not None:
            store.describe(**fingerprint)
            if store.resuming:
                state = store.load(state)
                self._rng.bit_generator.state = state.order
        limit = state.extra.get("limit")  # a resumed fit's, else None
        state, best, reason = self._run(
            state, prepared, model, settings, self._rules(), store, limit
        )
        theta = state.x
        if validation:
            theta = best[1]  # keep the epoch that did best on the held-out rows
            state.x = theta
        self._state = state
        self._finish(theta, model, state.record, reason, state.nfev)
        return reason

    def _fit_chunks(self, data: Chunks, coef_init, intercept_init, store):
        """``fit`` on data read a chunk at a time (files, Dask collections): the rows are
        loaded where they live (:mod:`descend.cluster`) and each epoch's passes map over
        them (:class:`descend.kernels.chunked.ChunkedTraining`)."""
        settings = self._settings()
        name = type(self).__name__
        if not data.has_targets:
            raise ValueError(f"{name}.fit needs targets: y was not given for {data.description}")
        self._set_features(data)
        previous_classes = getattr(self, "classes_", None)
        prep, n_outputs = self._chunk_targets(data)
        same_targets = previous_classes is None or np.array_equal(previous_classes, self.classes_)
        model = kernels.LinearModel(data.n_features, n_outputs, bool(self.fit_intercept))
        rng = _rng(settings.seed)
        init_rng, split_rng = _children(rng, 2)
        theta = self._start(model, coef_init, intercept_init, init_rng, warm=same_targets)
        self._rng, self._model = rng, model
        if self.early_stopping:  # each chunk holds its share out, wherever it is loaded
            seed = int(split_rng.integers(2**63))
            prep = replace(prep, held_out=float(self.validation_fraction), seed=seed)
        batch = check_batch_size(self.batch_size, data.n_rows)
        opt = settings.optimizer
        if opt.one_objective and not full_batch(batch, data.n_rows):
            self._prepared(((None,) * 3), None, model, settings, rows=data.n_rows)
        run = cluster.executor(data, prep)
        try:

            def rows_of(side):
                return ChunkedTraining(
                    run, model=model, loss=settings.loss, penalty=settings.penalty,
                    batch_size=batch, shuffle=self.shuffle, classifier=self._is_classifier(),
                    side=side,
                )  # fmt: skip

            rows = rows_of("train" if self.early_stopping else None)
            held = rows_of("held") if self.early_stopping else None
            if held is not None and not (held.n_rows and rows.n_rows):
                raise ValueError(
                    f"early_stopping with validation_fraction={self.validation_fraction} "
                    f"leaves {rows.n_rows} training and {held.n_rows} validation rows of "
                    f"{data.n_rows} (each chunk holds its share out, rounded); use another "
                    "fraction or larger chunks"
                )
            with np.errstate(all="ignore"):
                finite = rows.measure(theta).finite and (
                    held is None or held.measure(theta).finite
                )
            if not finite and (found := rows.nonfinite()) is not None:
                row, column, value = found
                kind = "NaN" if math.isnan(value) else "infinity (inf)"
                raise ValueError(
                    f"Input X contains {kind} at row {row}, column {column}; every entry "
                    "must be a finite number (drop or impute the missing values first)"
                )
            settings = self._resolve_rate(settings, rows, model, None)
            fingerprint = self._fingerprint(
                data.fingerprint(), None, None, coef_init, intercept_init, settings
            )  # fmt: skip
            reason = self._descend(theta, (rows, held), model, settings, store, fingerprint)
        finally:
            run.close()
        # the ConvergenceWarning's gap check reads X in ways a chunk at a time does not
        return reason, None

    def _set_features(self, data: Chunks) -> None:
        """``n_features_in_`` and ``feature_names_in_`` from chunked data, as validation
        sets them for arrays."""
        self.n_features_in_ = data.n_features
        if data.feature_names is not None:
            self.feature_names_in_ = np.asarray(data.feature_names, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_

    def _chunk_targets(self, data: Chunks) -> tuple[Prep, int]:
        """How the chunks' rows are prepared, and the model's outputs (a regressor: one)."""
        return Prep(dtype=data.dtype.name), 1

    def _fingerprint(self, X, y, w, coef_init, intercept_init, settings) -> dict:
        """What a checkpoint of this fit must match to be resumed: the settings that shape
        its path (the stopping rules aside, which may change), the data and the start."""
        params = self.get_params(deep=False)
        for rule in (
            "max_epochs",
            "tol",
            "n_iter_no_change",
            "target_loss",
            "verbose",
            "callback",
        ):
            params.pop(rule, None)
        return dict(
            kind=type(self).__name__, **params, X=X, y=y, sample_weight=w,
            coef_init=None if coef_init is None else np.asarray(coef_init, dtype=float),
            intercept_init=None if intercept_init is None else np.asarray(intercept_init, float),
            resolved_optimizer=settings.optimizer,
        )  # fmt: skip

    def _partial_fit(self, X, y, classes, sample_weight):
        if is_dask(X) or isinstance(X, Chunks | str):
            raise TypeError(
                f"{type(self).__name__}.partial_fit takes rows in memory (one chunk per call); "
                f"got {type(X).__name__}. Pass data read a chunk at a time (files, Dask "
                "collections) to fit, which streams every chunk each epoch"
            )
        with self._unchanged_on_error():
            self._partial_epoch(X, y, classes, sample_weight)
        return self

    def _partial_epoch(self, X, y, classes, sample_weight):
        """One epoch of ``partial_fit``, set up on the first call (or on the first after a
        model was loaded from a file, which keeps its weights but no optimizer state)."""
        first = not hasattr(self, "_model")
        settings = self._settings(partial=True)
        X, y = self._validate_Xy(X, y, reset=first)
        y_fit, n_outputs = self._prepare_targets(y, partial=True, classes=classes)
        w = self._sample_weight(sample_weight, X, y_fit, partial=True)
        if first or not hasattr(self, "_state"):
            if first:
                model = kernels.LinearModel(X.shape[1], n_outputs, bool(self.fit_intercept))
                self._rng, self._model = _rng(settings.seed), model
                theta = self._start(model, None, None, _children(self._rng, 1)[0])
            else:  # a loaded model: its weights, with a fresh optimizer from here on
                model, theta = self._model, self._theta
                self._rng = _rng(settings.seed)
            settings = self._resolve_rate(settings, X, model, w, chunk=True)
            self._state = RunState(
                nit=0, x=theta, f=math.nan, g=None, grad_norm=math.nan,
                opt_state=settings.optimizer.init(theta),
                record=self._new_history(model, False),
            )  # fmt: skip
        elif self._fit_optimizer.one_objective:
            # after a fit by a full-batch method: on from its weights and record, with the
            # optimizer partial_fit resolves to, fresh (an explicit full-batch one is refused)
            model = self._model
            settings = self._resolve_rate(settings, X, model, w, chunk=True)
            self._state.opt_state = settings.optimizer.init(self._state.x)
        else:
            model = self._model
            optimizer = self._fit_optimizer  # the optimizer of the first call owns the state
            if settings.auto_rate:
                # never faster than the first call, and slow enough for this chunk too
                chunk = self._resolve_rate(settings, X, model, w, chunk=True)
                chunk = chunk.optimizer.learning_rate
                rate = min(chunk, optimizer.learning_rate)
                optimizer = replace(optimizer, learning_rate=rate)
                self._fit_optimizer = optimizer
            else:
                check_scale(X)
            settings = replace(settings, optimizer=optimizer, auto_rate=False)
        prepared = self._prepared((X, y_fit, w), None, model, settings, partial=True)
        state, _, reason = self._run(
            self._state, prepared, model, settings, MaxIter(self._state.nit + 1)
        )
        self._state = state
        self._finish(
            state.x, model, state.record, "partial_fit" if reason == "max_epochs" else reason,
            state.nfev,
        )  # fmt: skip

    def _finish(self, theta, model, history, reason, passes):
        self._theta = theta
        self.n_passes_ = passes
        self._model = model
        self._history = history
        self.coef_, self.intercept_ = self._public_weights(theta, model)
        self.n_iter_ = len(history) - 1
        self.history_ = history
        self.stop_reason_ = reason
        which = "validation" if "val_loss" in history.columns else "training"
        rtol = getattr(self, "_rtol", None)
        self.stop_message_ = stop_message(
            "rtol" if reason == "tol" and rtol is not None else reason,
            watched=f"{which} loss", unit="epoch", rtol=rtol or 0.0,
            tol=getattr(self, "_tol", None) or 0.0,
            n_iter_no_change=self.n_iter_no_change, target_loss=self.target_loss or 0.0,
            max_epochs=self.max_epochs,
        )  # fmt: skip

    def _split(self, X, y, w, rng):
        """Hold out validation_fraction of the rows (stratified for classifiers)."""
        n = X.shape[0]
        n_val = math.ceil(self.validation_fraction * n)
        if n_val < 1 or n - n_val < 1:
            raise ValueError(
                f"early_stopping with validation_fraction={self.validation_fraction} leaves "
                f"{n - n_val} training and {n_val} validation rows of {n}; use more data or "
                "another fraction"
            )
        order = rng.permutation(n)
        if self._is_classifier():
            # the held-out share of each class, but never a class's last training row: the
            # model must see every class; a class too small to share stays in training
            parts = [order[y[order] == c] for c in np.unique(y)]
            take = [min(len(p) - 1, round(len(p) * self.validation_fraction)) for p in parts]
            if sum(take) == 0:  # every class too small for its share: hold out one row
                biggest = int(np.argmax([len(p) for p in parts]))
                take[biggest] = min(1, len(parts[biggest]) - 1)
            val_idx = np.concatenate([p[:t] for p, t in zip(parts, take, strict=True)])
            if len(val_idx) == 0:
                raise ValueError(
                    f"early_stopping cannot hold out rows: each class of y has a single row "
                    f"({n} rows); use more data or early_stopping=False"
                )
            mask = np.zeros(n, bool)
            mask[val_idx] = True
            val_idx, train_idx = np.flatnonzero(mask), np.flatnonzero(~mask)
        else:
            val_idx, train_idx = np.sort(order[:n_val]), np.sort(order[n_val:])
        if len(train_idx) == 0:
            raise ValueError("early_stopping left no training rows; lower validation_fraction")

        def rows(idx):
            return (X[idx], y[idx], None if w is None else w[idx])

        return rows(train_idx), rows(val_idx)

    def _sample_weight(self, sample_weight, X, y, partial=False):
        if sample_weight is None:
            return None
        w = _check_sample_weight(sample_weight, X, dtype=np.float64)
        if np.any(w < 0):
            row = int(np.flatnonzero(w < 0)[0])
            raise ValueError(
                f"Invalid sample_weight: row {row} is {float(w[row])!r}; must be >= 0"
            )
        return w

    # --------------------------------------------------------------------- after fitting

    def _raw_output(self, X) -> np.ndarray:
        """The model's outputs for X, the one place predictions are made.

        Finite inputs can still give outputs beyond float64's range (huge coefficients, or
        rows far from the training data's scale); those are refused with a ValueError
        naming the first such row, rather than handed on as infinities or NaN (or a class
        picked from them) with NumPy's overflow warning.
        """
        check_is_fitted(self, "coef_")
        X = self._validate_X(X, reset=False)
        with np.errstate(over="ignore", invalid="ignore"):  # said below, in our words
            z = self._model.output(self._theta, X)
        finite = np.isfinite(z)
        if not finite.all():
            i = int(np.flatnonzero(~finite.reshape(len(z), -1).all(axis=1))[0])
            coef = np.abs(np.asarray(self._theta, dtype=np.float64))
            row = X[i].toarray() if hasattr(X[i], "toarray") else X[i]
            raise ValueError(
                f"the model's output for the row at index {i} (counted from 0) is not "
                f"finite: its inputs (largest |x| = {float(np.max(np.abs(row), initial=0)):.3g})"
                f" times the model's weights (largest |w| = {float(np.max(coef, initial=0)):.3g})"
                " go beyond the range of float64. Are the data on the scale the model was "
                "trained on?"
            )
        return z

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
