"""Descent on a function: :func:`minimize` and :func:`maximize`.

They check their arguments, prepare the objective (counted, sign-adjusted so that the loop
always minimises) and a *stepper*, and hand both to the one loop of :mod:`descend.driver`,
which watches for divergence, records each point and asks the stopping rules. Per iteration
the stepper asks the optimizer for a step (at a fixed rate, a scheduled one, or one found by
line search), moves, and evaluates f and the gradient at the new point.

With ``data=`` and a ``batch_size`` smaller than the data, one iteration is an epoch instead:
a step per batch of rows, then f (and the gradient, when a rule needs it) on all the rows.
"""

from __future__ import annotations

import copy
import math
import sys
import warnings

import numpy as np

from descend import checkpoint as _checkpoints
from descend import optimizers as _optimizers
from descend._validation import check_bool, check_count, scalar_value
from descend.batches import batch_indices, check_batch_size, full_batch, take_rows
from descend.driver import (
    DIVERGENCE_FACTOR,
    MAX_RECOVERIES,
    RunState,
    divergence_limit,
    divergence_reason,
    drive,
)
from descend.errors import DivergenceError, DivergenceWarning, GradientCheckError
from descend.gradients import GRAD_CHECK_TOLERANCE, check_grad, numeric_grad
from descend.history import History
from descend.linesearch import Backtracking, Wolfe
from descend.objective import Objective
from descend.result import Result
from descend.schedules import rate_at
from descend.stopping import (
    AnyOf,
    Callback,
    GTol,
    MaxIter,
    Patience,
    Target,
    Tol,
    XTol,
    as_rule,
)
from descend.stopping import message as stop_message

__all__ = ["DIVERGENCE_FACTOR", "MAX_RECOVERIES", "maximize", "minimize"]

_DIVERGENCE_MODES = ("stop", "raise", "recover")
_FLOAT = np.dtype(np.float64)


class _Default(float):
    """A default float that can be told apart from the same number passed explicitly."""

    def __repr__(self) -> str:
        return float.__repr__(self)


class _DefaultCount(int):
    """A default whole number that can be told apart from the same number passed."""

    def __repr__(self) -> str:
        return int.__repr__(self)


_DEFAULT_LR = _Default(0.01)
_DEFAULT_MOMENTUM = _Default(0.0)
#: The gradient norm at which a run that names no stopping rule of its own stops, as
#: SciPy's BFGS does by default.
DEFAULT_GTOL = 1e-5
_DEFAULT_GTOL = _Default(DEFAULT_GTOL)
_DEFAULT_MAX_ITER = _DefaultCount(1000)


def minimize(
    fun,
    x0,
    *,
    grad=None,
    args=(),
    data=None,
    batch_size=None,
    shuffle=True,
    random_state=None,
    optimizer="gd",
    learning_rate=_DEFAULT_LR,
    momentum=_DEFAULT_MOMENTUM,
    max_iter=_DEFAULT_MAX_ITER,
    tol=None,
    xtol=None,
    gtol=_DEFAULT_GTOL,
    target=None,
    patience=None,
    callback=None,
    record=True,
    on_divergence="stop",
    stop=None,
    checkpoint=None,
    checkpoint_every=None,
    resume=None,
) -> Result:
    r"""Minimise ``fun`` by gradient descent from ``x0``.

    Each iteration takes one optimizer step :math:`x_{k+1} = x_k + s_k`, where :math:`s_k`
    comes from the optimizer's update rule (:math:`s_k = -\eta \nabla f(x_k)` for plain
    gradient descent), then checks the stopping rules.

    With ``data=`` the objective is a function of x and of rows of data, and ``batch_size``
    picks how many rows each step sees: all of them (the default; one step per iteration),
    one (stochastic gradient descent) or a few (mini-batch). With batches, each iteration is
    an *epoch*: one pass over the rows in batches, a step per batch, with the optimizer's
    state (momentum, Adam's moments) carried from batch to batch and from epoch to epoch.
    f is then evaluated on all the rows, and that is the f that ``res.history``, the stopping
    rules and the divergence checks see; ``nit`` and ``max_iter`` count epochs.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float``; with ``data=``, ``fun(x, *batch, *args)``, where ``batch``
        holds the rows of each data array that the step uses.
    x0 : float or array_like
        Starting point: a float, or a 1-D array. A float in gives a float ``res.x`` out, and
        ``fun`` and ``grad`` then receive floats.
    grad : callable, str, ("check", grad) or None
        ``grad(x, *args)`` (``grad(x, *batch, *args)`` with ``data=``), the gradient, shaped
        like ``x``. ``"numeric"`` uses central differences (:func:`descend.numeric_grad`).
        ``None`` uses the gradient the objective carries (a :class:`descend.Objective`, such
        as the functions of :mod:`descend.functions`) and otherwise the numeric one.
        ``"jax"``, ``"torch"``, ``"autograd"`` and ``"complex-step"`` differentiate the code
        of ``fun`` exactly with that backend (:mod:`descend.autodiff`; f then comes from the
        backend too, in float64, with the gradient in the same call). ``"auto"`` uses the
        carried gradient, else the backend the code of ``fun`` is written for (it uses
        ``jax``, ``torch`` or ``autograd``), else, for plain NumPy code, the numeric one;
        ``res.gradient`` says which. ``"check"`` compares what ``"auto"`` picks (a carried
        gradient or a backend's) with the numeric one at ``x0`` (on all the data) before the
        run, and raises :class:`descend.GradientCheckError` showing both when they disagree;
        ``("check", g)`` checks ``g``, any of the above (``("check", "jax")``).
    args : tuple
        Extra arguments for ``fun`` and ``grad``.
    data : array_like or tuple of array_like, optional
        Arrays sharing their first dimension, one row per sample, such as ``(X, y)``; a single
        array is a tuple of one. NumPy arrays and CSR, CSC or LIL sparse matrices are used as
        they are (not copied); other sparse formats become CSR, which can hand out rows;
        anything else goes through :func:`numpy.asarray`. Pass several arrays as a tuple: a
        list is read as one array. Data read a chunk at a time go too
        (:mod:`descend.chunks`): a :class:`~descend.chunks.Chunks`, a ``.npy`` path or a
        memory-mapped array as the first array, or Dask collections ``(X, y)``; ``fun`` and
        ``grad`` then run where each chunk is (on the workers of a Dask cluster when a
        :class:`distributed.Client` is current), and their values over the chunks are
        combined as the row-weighted mean, :math:`f(x) = \sum_k (n_k / n)\, f_k(x)`:
        exact for an objective that is a mean over its rows, the convention that
        mini-batches assume too. A batch then never spans two chunks.
    batch_size : int, optional
        Rows per step: ``None`` (or the number of rows or more) is full batch, exactly as if
        the arrays were passed in front of ``args``; 1 is stochastic gradient descent; k is
        mini-batch, the last batch of an epoch taking the rows left over. ``"lbfgs"`` and
        ``"cg"`` take full batches only.
    shuffle : bool
        Visit the rows in a fresh random order every epoch (default), or in their order.
    random_state : None, int, numpy.random.SeedSequence or numpy.random.Generator
        Seed of the one generator (:func:`numpy.random.default_rng`) that orders the rows of a
        run: the same seed gives the same run. ``batch_size``, ``shuffle`` and
        ``random_state`` need ``data=``.
    optimizer : str or Optimizer
        ``"gd"``, ``"momentum"``, ``"nesterov"``, ``"adagrad"``, ``"rmsprop"``, ``"adam"``,
        ``"adamw"``, ``"lbfgs"``, ``"cg"``, or an object from :mod:`descend.optimizers`
        (which then carries its own learning rate and momentum; passing them here as well is
        an error). ``"gd"`` with a momentum above zero is the tutorials' momentum routine,
        :math:`\Delta x \leftarrow -\eta \nabla f + \alpha \Delta x`. ``"lbfgs"`` and
        ``"cg"`` run with a strong-Wolfe line search unless a learning rate is given.
    learning_rate : float, schedule, "backtracking" or "wolfe"
        The step size :math:`\eta`: a positive number, a schedule from
        :mod:`descend.schedules` (any callable of the step count), ``"backtracking"`` for
        an Armijo line search along the optimizer's step, or ``"wolfe"`` for a strong-Wolfe
        one along a step proportional to the rate (:mod:`descend.linesearch`). With
        batches a schedule is a function of the epoch (0, 1, ...), constant within an epoch,
        and the line search runs on each batch's objective (``res.history.learning_rate``
        then holds the rate of the epoch's last step).
    momentum : float or "sequence"
        :math:`\alpha \in [0, 1)` for ``"gd"``, ``"momentum"``, ``"nesterov"`` and
        ``"rmsprop"``. Left out, ``"momentum"`` and ``"nesterov"`` use 0.9. ``"nesterov"``
        also takes ``"sequence"``, the accelerated sequence :math:`(k - 1)/(k + 2)`; for its
        gradient restart pass ``optimizer=Nesterov(rate, "sequence", restart="gradient")``
        (see :class:`descend.optimizers.Nesterov`).
    max_iter : int
        Stop after this many iterations (reason ``"max_iter"``, which is not a success); with
        batches, epochs. 1000 when left out.
    tol : float, optional
        Stop when :math:`|f_k - f_{k-1}| \le` ``tol``; a negative value never fires.
    xtol : float, optional
        Stop when :math:`\lVert x_k - x_{k-1} \rVert_\infty \le` ``xtol``.
    gtol : float or None
        Stop when :math:`\lVert \nabla f(x_k) \rVert_2 \le` ``gtol`` (reason ``"gtol"``, a
        success); None never stops on the gradient. Left out, it is :data:`DEFAULT_GTOL`
        (:math:`10^{-5}`, SciPy's BFGS default) for a run that names no stopping rule of its
        own, so that ``minimize(f, x0)`` ends once it is done instead of at ``max_iter``;
        a run given any of ``max_iter``, ``tol``, ``xtol``, ``target``, ``patience`` or
        ``stop`` keeps exactly the rules it names (pass ``gtol`` as well to add it; a
        ``callback`` only watches and does not count), and so does a run over batches of
        ``data``. With batches the gradient is the one on all
        the data, which costs an evaluation per epoch: it is computed only for ``gtol``,
        ``callback`` and ``stop``, and otherwise ``history.grad_norm`` is NaN and
        ``info.grad`` is None.
    target : float, optional
        Stop when :math:`f_k \le` ``target`` (:math:`\ge` for :func:`maximize`).
    patience : int, optional
        Stop when the best f has not improved for this many iterations.
    callback : callable, optional
        ``callback(info)`` after every iteration with a :class:`descend.stopping.Info`;
        returning True (or raising StopIteration) stops the run (reason ``"callback"``).
    record : bool
        Keep every point in ``res.history`` (default), or only the last one.
    on_divergence : {"stop", "raise", "recover"}
        When f, the gradient or x stops being finite, or f grows past
        :math:`10^{12}(|f_0| + 1)`: ``"stop"`` ends the run at the last finite point with
        reason ``"diverged"`` and a :class:`descend.DivergenceWarning`; ``"raise"`` raises
        :class:`descend.DivergenceError`; ``"recover"`` returns to the last finite point,
        halves the learning rate, restarts the optimizer's state and goes on (each recovery
        is listed in ``res.history.events``). The limit is far away on purpose, so a run
        that blows up geometrically takes some dozens of iterations to reach it. With
        batches, a step that makes x or the batch's gradient non-finite ends the epoch as
        diverged, and f is checked at the end of each epoch; a recovery returns to the start
        of the epoch and reruns it, same rows in the same order, at half the rate.
    stop : Rule, callable or list, optional
        Further stopping rules (see :mod:`descend.stopping`), fired by their own name.
    checkpoint : path-like, optional
        A folder to keep the run's whole state in (:mod:`descend.checkpoint`): every
        ``checkpoint_every`` iterations, at the end, and when the run diverges or is
        interrupted (Ctrl-C).
    checkpoint_every : int, optional
        Iterations between checkpoints: 100 when left out, or every epoch of a run over
        batches.
    resume : path-like or True, optional
        Go on from the checkpoint in this folder (True: the one in ``checkpoint``) instead of
        from ``x0``, and keep writing checkpoints there. The call must be the one that made
        it (the same function by name, x0, optimizer, rate plan and data; anything else is
        refused with what differs), except for the stopping rules, which may change. With
        the same rules the result is the very one the uninterrupted run gives: x, f, the
        whole history (its times aside) and the stop reason.

    Returns
    -------
    Result
        ``x``, ``fun``, ``grad``, ``nit``, ``nfev``, ``ngev``, ``success``, ``reason``,
        ``message``, ``history`` and ``gradient`` (how it was had). With data, ``fun`` and
        ``grad`` are taken on all the rows, and ``nfev`` and ``ngev`` count the calls on
        batches too.

    Examples
    --------
    The tutorial's parabola, from 15 with a learning rate of 0.01, until x moves less than
    0.001:

    >>> import descend
    >>> res = descend.minimize(lambda x: x**2 - 6*x + 5, 15.0, grad=lambda x: 2*x - 6,
    ...                        learning_rate=0.01, xtol=0.001)
    >>> round(res.x, 4), res.nit, res.reason
    (3.0483, 273, 'xtol')

    Adam on Rosenbrock's valley, with its analytic gradient:

    >>> from descend import functions
    >>> res = descend.minimize(functions.rosenbrock, [-1.2, 1.0], optimizer="adam",
    ...                        learning_rate=0.02, max_iter=20_000, gtol=1e-6)
    >>> res.x.round(4), res.reason
    (array([1., 1.]), 'gtol')

    Least squares on data, by mini-batches of 10 rows with Adam; f and the gradient receive
    the rows of ``X`` and ``y`` of each batch:

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 2))
    >>> y = X @ [2.0, -1.0] + 0.5
    >>> def loss(w, X, y):
    ...     r = X @ w[:2] + w[2] - y
    ...     return 0.5 * float(r @ r) / len(y)
    >>> def loss_grad(w, X, y):
    ...     r = X @ w[:2] + w[2] - y
    ...     return np.append(X.T @ r, r.sum()) / len(y)
    >>> res = descend.minimize(loss, np.zeros(3), grad=loss_grad, data=(X, y), batch_size=10,
    ...                        optimizer="adam", learning_rate=0.05, max_iter=300,
    ...                        tol=1e-12, random_state=0)
    >>> res.x.round(3), len(res.history) == res.nit + 1   # one history row per epoch
    (array([ 2. , -1. ,  0.5]), True)
    """
    return _descend(**locals(), sense=1.0)


def maximize(
    fun,
    x0,
    *,
    grad=None,
    args=(),
    data=None,
    batch_size=None,
    shuffle=True,
    random_state=None,
    optimizer="gd",
    learning_rate=_DEFAULT_LR,
    momentum=_DEFAULT_MOMENTUM,
    max_iter=_DEFAULT_MAX_ITER,
    tol=None,
    xtol=None,
    gtol=_DEFAULT_GTOL,
    target=None,
    patience=None,
    callback=None,
    record=True,
    on_divergence="stop",
    stop=None,
    checkpoint=None,
    checkpoint_every=None,
    resume=None,
) -> Result:
    r"""Maximise ``fun`` by gradient ascent: :math:`x_{k+1} = x_k + \eta \nabla f(x_k)`.

    The same procedure as :func:`minimize` with the sign of the objective flipped, and the same
    arguments. ``res.fun`` is the maximum found, ``history.f`` holds ``fun`` itself (not its
    negative), ``target`` fires when :math:`f_k \ge` ``target`` and ``patience`` watches the
    highest f. Ascent over ``data=`` by batches works as in :func:`minimize`.

    Examples
    --------
    >>> import descend
    >>> res = descend.maximize(lambda p: p * (1 - p), 0.1, grad=lambda p: 1 - 2 * p,
    ...                        learning_rate=0.5, gtol=1e-10)
    >>> res.x, res.fun, res.reason
    (0.5, 0.25, 'gtol')
    """
    return _descend(**locals(), sense=-1.0)


# ----------------------------------------------------------------------------------- set-up


def _starting_point(x0) -> tuple[np.ndarray, bool]:
    """x0 as a fresh 1-D float array, and whether the user gave a scalar."""
    if isinstance(x0, str | bytes) or x0 is None:
        raise TypeError(f"Invalid x0: {x0!r}; expected a float or a 1-D array of floats")
    try:
        array = np.array(x0)
    except (TypeError, ValueError) as err:
        raise TypeError(f"Invalid x0: {x0!r}; expected a float or a 1-D array ({err})") from None
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)
    ):
        raise TypeError(f"Invalid x0: {x0!r}; expected real numbers, got dtype {array.dtype}")
    if array.ndim > 1:
        raise ValueError(f"Invalid x0: expected a float or a 1-D array, got shape {array.shape}")
    if array.size == 0:
        raise ValueError("Invalid x0: it is empty; give at least one starting coordinate")
    scalar = array.ndim == 0
    array = np.atleast_1d(array).astype(float)
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        where = "x0" if scalar else f"x0[{bad[0]}]"
        raise ValueError(f"Invalid x0: {where} = {float(array[bad[0]])!r} is not finite")
    return _read_only(array), scalar


def _resolve_optimizer(optimizer, learning_rate, momentum) -> _optimizers.Optimizer:
    lr_given = learning_rate is not _DEFAULT_LR
    momentum_given = momentum is not _DEFAULT_MOMENTUM
    if learning_rate is None:
        raise TypeError(
            "Invalid learning rate: None; expected a positive number, a schedule, "
            "'backtracking' or 'wolfe'"
        )
    if momentum is None:
        raise TypeError("Invalid momentum: None; expected a number in [0, 1)")
    if isinstance(optimizer, _optimizers.Optimizer):
        if lr_given or momentum_given:
            given = " and ".join(
                name
                for name, flag in (("learning_rate", lr_given), ("momentum", momentum_given))
                if flag
            )
            raise ValueError(
                f"{given} passed together with the optimizer object {optimizer!r}: set it on "
                "the object instead"
            )
        return optimizer
    if isinstance(optimizer, type) and issubclass(optimizer, _optimizers.Optimizer):
        raise TypeError(
            f"Invalid optimizer: {optimizer.__name__} is a class; pass an instance such as "
            f"{optimizer.__name__}(learning_rate=0.01) or its name"
        )
    if type(learning_rate) is _Default:
        # an optimizer made to run with a line search keeps it unless a rate is given
        searched = _optimizers.line_search_default(optimizer)
        learning_rate = None if searched else float(learning_rate)
    return _optimizers.make(optimizer, learning_rate, momentum if momentum_given else None)


def _rules(max_iter, tol, xtol, gtol, target, patience, callback, stop) -> AnyOf:
    """All stopping rules of a run, in the order their reasons are preferred."""
    rules = []
    for value, rule in ((tol, Tol), (xtol, XTol), (gtol, GTol), (target, Target)):
        if value is not None:
            rules.append(rule(value))
    if patience is not None:
        rules.append(Patience(patience))
    if callback is not None:
        rules.append(Callback(callback))
    if stop is not None:
        rules.append(as_rule(stop))
    rules.append(MaxIter(max_iter))  # last: any other rule firing with it is the reason
    combined = AnyOf(*rules)
    combined.reset()
    return combined


class _Counted:
    """The objective and gradient as the loop sees them: on a 1-D float array, sign-adjusted
    so that the loop always minimises, and counting their calls."""

    def __init__(self, fun, grad, args, scalar, sense, dim):
        self.fun, self.grad, self.args = fun, grad, args
        self.scalar, self.sense, self.dim = scalar, sense, dim
        self.shape = (dim,)
        self.nfev = self.ngev = 0

    def user_x(self, x):
        return float(x[0]) if self.scalar else x

    def user_fun(self, x, *args):
        """``fun`` as the user wrote it, counted (for numeric differentiation)."""
        self.nfev += 1
        return self.fun(x, *args)

    # Python floats raise where NumPy returns inf or nan: a run started from a float must
    # diverge just as cleanly as one started from an array.
    _OFF_SCALE = (OverflowError, ZeroDivisionError)

    def value(self, x) -> float:
        self.nfev += 1
        try:
            value = self.fun(float(x[0]) if self.scalar else x, *self.args)
        except self._OFF_SCALE:
            return math.inf
        kind = type(value)
        if kind is not float:
            value = float(value) if kind is np.float64 else scalar_value(value)
        return self.sense * value

    def gradient(self, x) -> np.ndarray:
        """The gradient at x: a fresh, read-only array, so user code cannot change the run."""
        self.ngev += 1
        try:
            if self.grad is None:
                g = numeric_grad(self.user_fun, self.user_x(x), self.args)
            else:
                g = self.grad(float(x[0]) if self.scalar else x, *self.args)
        except self._OFF_SCALE:
            g = np.full(self.dim, math.nan)
        return self.tidy(g)

    def tidy(self, g) -> np.ndarray:
        """What ``grad`` returned as a fresh, read-only float array of x's shape, in the sense
        of the loop (negated when maximizing)."""
        if type(g) is np.ndarray and g.dtype is _FLOAT and g.shape == self.shape:
            g = g.copy()  # the common case: a float array of the right shape, copied
            if self.sense < 0:
                np.negative(g, out=g)
            g.setflags(write=False)
            return g
        if g is None:
            raise TypeError("grad returned None; it must return the gradient, shaped like x")
        g = np.array(g, dtype=float)
        if g.shape != (self.dim,):
            if self.scalar and g.size == 1:
                g = g.reshape(1)
            else:
                want = "a float" if self.scalar else f"shape ({self.dim},)"
                raise ValueError(f"grad returned shape {g.shape}, but x needs {want}")
        if self.sense < 0:
            np.negative(g, out=g)
        return _read_only(g)


#: What ``grad=`` takes, for the messages of a bad one.
_GRAD_CHOICES = (
    "a callable, 'auto', 'numeric', 'check', ('check', grad) or a backend: 'jax', 'torch', "
    "'autograd', 'complex-step'"
)


def _checking(grad):
    """What ``grad`` asks to check (``"check"``: what ``"auto"`` would use; ``("check", g)``:
    g), or None when it asks for no check."""
    if isinstance(grad, str):
        return "auto" if grad == "check" else None
    if isinstance(grad, tuple) and len(grad) == 2:
        word, checked = grad
        if isinstance(word, str) and word == "check":
            return checked
    return None


def _choose_grad(fun, grad):
    """The objective and gradient a run uses, unchecked: ``(value, gradient, label)``.

    ``value`` is what the loop calls for f: ``fun`` itself, or the backend's evaluation of it
    (which computes the gradient alongside, at no extra call). ``gradient`` is None for the
    numeric one. ``label`` names the gradient for :attr:`descend.Result.gradient`.
    """
    from descend import autodiff

    carried = fun.grad if isinstance(fun, Objective) else None
    if grad is None:
        return fun, carried, "numeric" if carried is None else "analytic"
    if isinstance(grad, autodiff.Gradient):
        # a copy of the caller's Gradient for this run: its cache lives as long as the run
        run = grad._for_run()
        return (run.value if grad.fun is fun else fun), run, grad.backend
    if isinstance(grad, str):
        if grad == "numeric":
            return fun, None, "numeric"
        if grad == "auto":
            if carried is not None:
                return fun, carried, "analytic"
            grad = autodiff.detect(fun)
            if grad is None:  # plain NumPy code: central differences, and the result says so
                return fun, None, "numeric"
        if grad in autodiff.BACKENDS:
            found = autodiff.Gradient(fun, grad)._for_run()
            return found.value, found, grad
        raise ValueError(f"Invalid grad: {grad!r}; expected {_GRAD_CHOICES}")
    if not callable(grad):
        raise TypeError(f"Invalid grad: {_short_repr(grad)}; expected {_GRAD_CHOICES}")
    return fun, grad, "analytic"


def _resolve_grad(fun, grad, x0, args):
    """The objective and gradient of a run (:func:`_choose_grad`), the gradient compared with
    central differences at ``x0`` first when ``grad`` asks for a check."""
    inner = _checking(grad)
    if inner is None:
        return _choose_grad(fun, grad)
    if _checking(inner) is not None:
        raise ValueError(f"Invalid grad: {grad!r}; a check of a check")
    value, gradient, label = _choose_grad(fun, inner)
    if gradient is None:
        raise ValueError(
            f"grad={grad!r} needs an analytic gradient to check: pass the objective as "
            "descend.Objective(fun, grad), name a backend (grad=('check', 'jax')), or call "
            "descend.check_grad(fun, grad, x0)"
        )
    # the numeric side differentiates the backend's evaluation of fun: the same float64 f
    error = check_grad(value, gradient, x0, args)
    if not error <= GRAD_CHECK_TOLERANCE:
        analytic = np.asarray(gradient(x0, *args), dtype=float)
        numeric = np.asarray(numeric_grad(value, x0, args))
        width = max(len(label), len("numeric")) + 2
        raise GradientCheckError(
            f"The {label} gradient does not match finite differences at x0 = "
            f"{np.array2string(np.asarray(x0), precision=6)}:\n"
            f"  {label + ':':<{width}}{np.array2string(analytic, precision=8)}\n"
            f"  {'numeric:':<{width}}{np.array2string(numeric, precision=8)}\n"
            f"  relative error {error:.3g} > {GRAD_CHECK_TOLERANCE:g}",
            analytic,
            numeric,
            error,
        )
    return value, gradient, label


def _is_sparse(array) -> bool:
    """Whether ``array`` is a SciPy sparse matrix or array (without importing SciPy: a sparse
    matrix can only exist once ``scipy.sparse`` has been imported)."""
    sparse = sys.modules.get("scipy.sparse")
    return sparse is not None and sparse.issparse(array)


def _check_data(data) -> tuple:
    """``data`` as a tuple of arrays (NumPy or SciPy sparse) sharing their first dimension."""
    single = not isinstance(data, tuple)
    arrays = (data,) if single else data
    if not arrays:
        raise ValueError(
            "Invalid data: (), an empty tuple; expected one or more arrays sharing their first "
            "dimension, such as data=(X, y)"
        )

    def name(i):
        return "data" if single else f"data[{i}]"

    checked = []
    for i, array in enumerate(arrays):
        if not (isinstance(array, np.ndarray) or _is_sparse(array)):
            try:
                array = np.asarray(array)
            except (TypeError, ValueError) as err:
                hint = "; pass several arrays as a tuple, data=(X, y)" if single else ""
                raise TypeError(
                    f"Invalid {name(i)}: {_short_repr(arrays[i])} is not an array ({err}){hint}"
                ) from None
        if array.ndim == 0:
            raise ValueError(
                f"Invalid {name(i)}: {_short_repr(arrays[i])} is 0-d; each data array needs "
                "a first dimension, one row per sample"
            )
        if _is_sparse(array) and array.format not in ("csr", "csc", "lil"):
            array = array.tocsr()  # COO, DIA and BSR cannot hand out rows: batches need them
        checked.append(array)
    n_rows = checked[0].shape[0]
    for i, array in enumerate(checked[1:], start=1):
        if array.shape[0] != n_rows:
            raise ValueError(
                f"Invalid data: data[{i}] has {array.shape[0]} rows but data[0] has {n_rows}; "
                "the arrays must share their first dimension"
            )
    if n_rows == 0:
        raise ValueError(
            f"Invalid data: {name(0)} has 0 rows (shape {checked[0].shape}); there is nothing "
            "to descend over"
        )
    return tuple(checked)


def _short_repr(value, limit: int = 80) -> str:
    """``repr(value)`` on one line, cut to ``limit`` characters."""
    text = " ".join(repr(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _chunked(data):
    """``data`` as :class:`~descend.chunks.Chunks` when it is read a chunk at a time (see
    ``minimize``'s ``data``), else None."""
    from descend import chunks

    first = data[0] if isinstance(data, tuple) and data else data
    if isinstance(first, chunks.Chunks):
        return first
    rest = data[1:] if isinstance(data, tuple) else ()
    if len(rest) > 2:
        return None
    if chunks.is_dask(first) or isinstance(first, np.memmap) or (
        isinstance(first, str) and first.lower().endswith(".npy")
    ):  # fmt: skip
        return chunks.as_chunks(first, *rest)
    return None


def _rows(data) -> int:
    """The rows of checked data: a tuple of arrays or :class:`~descend.chunks.Chunks`."""
    return data.n_rows if not isinstance(data, tuple) else data[0].shape[0]


def _check_sampling(data, batch_size, shuffle, random_state):
    """The checked ``data``, batch size, ``shuffle`` and the run's generator. Without data, four
    Nones, once it is clear that no sampling setting was given without it."""
    shuffle_default = isinstance(shuffle, bool | np.bool_) and bool(shuffle)
    if data is None:
        given = [
            f"{name}={value!r}"
            for name, value, default in (
                ("batch_size", batch_size, batch_size is None),
                ("shuffle", shuffle, shuffle_default),
                ("random_state", random_state, random_state is None),
            )
            if not default
        ]
        if given:
            raise ValueError(
                f"{', '.join(given)} given without data: batch_size, shuffle and random_state "
                "need data=(X, y, ...), the arrays whose rows the batches take"
            )
        return None, None, None, None
    chunked = _chunked(data)
    data = _check_data(data) if chunked is None else chunked
    size = check_batch_size(batch_size, _rows(data))
    shuffle = check_bool(shuffle, "shuffle")
    if isinstance(random_state, bool | np.bool_):
        raise TypeError(
            f"Invalid random_state: {random_state!r}; expected None, a whole number, a "
            "SeedSequence or a Generator"
        )
    try:
        rng = np.random.default_rng(random_state)
    except (TypeError, ValueError) as err:
        raise type(err)(
            f"Invalid random_state: {_short_repr(random_state)}; expected None, a whole number "
            f">= 0, a SeedSequence or a Generator ({err})"
        ) from None
    return data, size, bool(shuffle), rng


# ------------------------------------------------------------------------------------ loop


def _descend(
    fun,
    x0,
    *,
    grad,
    args,
    data,
    batch_size,
    shuffle,
    random_state,
    optimizer,
    learning_rate,
    momentum,
    max_iter,
    tol,
    xtol,
    gtol,
    target,
    patience,
    callback,
    record,
    on_divergence,
    stop,
    checkpoint,
    checkpoint_every,
    resume,
    sense,
) -> Result:
    if not callable(fun):
        raise TypeError(f"Invalid fun: {fun!r} is not callable")
    if not isinstance(args, tuple):
        args = (args,)
    if on_divergence not in _DIVERGENCE_MODES:
        raise ValueError(
            f"Invalid on_divergence: {on_divergence!r}; expected one of {_DIVERGENCE_MODES}"
        )
    x, scalar = _starting_point(x0)
    opt = _resolve_optimizer(optimizer, learning_rate, momentum)
    named = type(max_iter) is not _DefaultCount or any(
        rule is not None for rule in (tol, xtol, target, patience, stop)
    )
    max_iter = check_count(max_iter, "max_iter")
    record = check_bool(record, "record")
    data, batch_size, shuffle, rng = _check_sampling(data, batch_size, shuffle, random_state)
    batched = data is not None and not full_batch(batch_size, _rows(data))
    if batched and isinstance(opt, _optimizers.LBFGS | _optimizers.ConjugateGradient):
        raise ValueError(
            f"Invalid batch_size: {batch_size!r} with {type(opt).__name__}, which builds "
            "each direction from the change in the gradient since the last step; over "
            "batches that change is mostly the change of rows, and the runs go astray. Run "
            "it on all the rows (batch_size=None), or take a first-order optimizer such as "
            "'adam' for mini-batches"
        )
    store = _checkpoints.plan(checkpoint, checkpoint_every, resume, default_every=(
        _checkpoints.EVERY_EPOCH if batched else _checkpoints.EVERY_ITERATIONS))  # fmt: skip
    if type(gtol) is _Default:
        # The default joins only a run that names no rule of its own, where its gradient is
        # computed at every point anyway (with batches it would cost an evaluation an epoch).
        gtol = None if named or batched else float(gtol)
    rules = _rules(max_iter, tol, xtol, gtol, target, patience, callback, stop)
    full_args = args
    chunked = data is not None and not isinstance(data, tuple)
    if chunked:
        return _chunked_descent(
            data, fun, grad, x, scalar, sense, opt, args, batch_size, batched, shuffle, rng,
            rules, store, record, max_iter, on_divergence, gtol, callback, stop,
        )  # fmt: skip
    if data is not None:
        args = (*data, *args)  # full batch: the data simply goes in front of args
    value, analytic, label = _resolve_grad(fun, grad, float(x[0]) if scalar else x, args)
    problem = _Counted(value, analytic, args, scalar, sense, x.size)
    return _run(
        problem, x, scalar, sense, opt, data, full_args, batch_size, batched, shuffle, rng,
        rules, store, record, max_iter, on_divergence, gtol, callback, stop, fun, analytic,
        label=label,
    )  # fmt: skip


def _run(
    problem, x, scalar, sense, opt, data, full_args, batch_size, batched, shuffle, rng, rules,
    store, record, max_iter, on_divergence, gtol, callback, stop, fun, analytic, run=None,
    label="analytic",
) -> Result:  # fmt: skip
    """The loop of :func:`minimize` on a prepared problem, and its :class:`Result`
    (``run``: the executor of data in chunks, see :func:`_chunked_descent`)."""
    # With batches, the gradient on all the data costs an epoch's worth of calls: only the
    # rules that read it pay for it.
    needs_grad = not batched or gtol is not None or callback is not None or stop is not None

    f = problem.value(x)
    if not math.isfinite(f):
        raise ValueError(f"fun(x0) is not finite: {sense * f!r}")
    g = None
    if needs_grad:
        g = problem.gradient(x)
        if not np.all(np.isfinite(g)):
            raise ValueError(f"The gradient at x0 is not finite: {sense * g}")
    limit = divergence_limit(f)

    if batched and run is not None:
        stepper = _ChunkEpochSteps(
            problem, opt, limit, run[0], batch_size, shuffle, rng, full_args, needs_grad, run[1]
        )
    elif batched:
        stepper = _EpochSteps(
            problem, opt, limit, data, batch_size, shuffle, rng, full_args, needs_grad
        )
    else:
        stepper = _PointSteps(problem, opt, limit, analytic is not None and not scalar)
    history = History(x.size, scalar, capacity=min(max_iter + 1, 4096), keep_all=bool(record))
    state = RunState(
        nit=0, x=x, f=f, g=g, grad_norm=math.nan if g is None else _norm(g),
        opt_state=opt.init(x), record=history,
    )  # fmt: skip
    if store is not None:
        store.describe(
            kind="maximize" if sense < 0 else "minimize", function=fun,
            gradient="numeric" if analytic is None else analytic, x0=x, args=full_args,
            optimizer=opt, data=data if run is None else data.fingerprint(),
            batch_size=batch_size if batched else None,
            shuffle=shuffle if batched else None, on_divergence=on_divergence,
            record=record,
        )  # fmt: skip
        if store.resuming:
            state = store.load(state)
            history = state.record
            problem.nfev, problem.ngev = state.nfev, state.ngev
            if stepper.order is not None and state.order is not None:
                stepper.order.bit_generator.state = state.order
            rules.reset()
    outcome = drive(
        stepper, state, rules, sense=sense,
        on_divergence="recover" if on_divergence == "recover" else "stop",
        checkpoint=None if store is None else store.save,
        every=0 if store is None else store.every,
    )  # fmt: skip
    final = outcome.state
    x, f, g, nit = final.x, final.f, final.g, final.nit
    fired, divergence = outcome.fired, outcome.divergence
    if g is None:  # Result.grad: the gradient on all the data at the final x
        g = problem.gradient(x)

    if fired is not None:
        reason, message = fired.name, fired.message()
        success = reason != "max_iter"
    elif divergence is not None:
        iteration, why, rate = divergence
        reason, success = "diverged", False
        message = stop_message("diverged", iteration=iteration, why=why)
    else:
        reason, success, message = "line_search", False, stop_message("line_search")

    result = Result(
        x=problem.user_x(x.copy()),
        fun=sense * f,
        grad=_user_grad(g.copy(), sense, scalar),
        nit=nit,
        nfev=problem.nfev,
        ngev=problem.ngev,
        success=success,
        reason=reason,
        message=message,
        history=history,
        gradient=label,
    )
    if divergence is not None:
        text = (
            f"descend: the run diverged at iteration {iteration} ({why}) with learning rate "
            f"{rate:.6g}; stopped at the last finite point (iteration {nit}). "
            "Try a smaller learning rate, or on_divergence='recover'."
        )
        if on_divergence == "recover":
            text = text.replace(
                "Try a smaller learning rate, or on_divergence='recover'.",
                f"It still diverged after halving the learning rate {MAX_RECOVERIES} times.",
            )
        if on_divergence == "raise":
            raise DivergenceError(text, iteration, result)
        warnings.warn(text, DivergenceWarning, stacklevel=3)
    return result


class _Steps:
    """What the steppers of :func:`minimize` share (see :mod:`descend.driver`)."""

    extras = ()
    watches = False
    row = ()
    watched = None
    order = None

    def __init__(self, problem, opt, limit):
        self.problem, self.opt, self.limit = problem, opt, limit
        self.restart = opt.init
        plan = opt.learning_rate
        self.line_search = plan if isinstance(plan, Backtracking | Wolfe) else None
        self.schedule = plan if self.line_search is None and callable(plan) else None
        self.fixed_rate = plan if isinstance(plan, float) else None

    @property
    def nfev(self) -> int:
        return self.problem.nfev

    @property
    def ngev(self) -> int:
        return self.problem.ngev

    def public_x(self, x):
        return self.problem.user_x(x)

    def public_grad(self, g):
        return _user_grad(g, self.problem.sense, self.problem.scalar)

    def extra(self) -> dict:
        return {}


class _PointSteps(_Steps):
    """A step per iteration: the optimizer's update at a fixed rate, a scheduled one or one a
    line search finds, then f and the gradient at the new point."""

    def __init__(self, problem, opt, limit, analytic_array):
        super().__init__(problem, opt, limit)
        if self.line_search is None and self.schedule is None and analytic_array:
            self.step = self._fixed_rate()
        else:
            self.step = self._general()

    def _general(self):
        problem, opt, limit = self.problem, self.opt, self.limit
        line_search, schedule, fixed_rate = self.line_search, self.schedule, self.fixed_rate
        sense, value, gradient, update = problem.sense, problem.value, problem.gradient, opt.update
        small = problem.dim <= 64

        def step(x, f, g, state, nit, scale):
            g_new, grad_norm = None, math.nan
            if line_search is not None:
                found = line_search.step(value, x, f, g, opt, state, scale, gradient=gradient)
                if found is None:
                    return None
                rate, move, new_state, x_new, f_new, g_new = found
            else:
                rate = scale * (fixed_rate if schedule is None else rate_at(schedule, nit))
                move, new_state = update(g, state, x, rate)
                x_new = x + move
                f_new = value(x_new)
            if -math.inf < f_new <= limit:  # the common case, checked cheaply
                if g_new is None:  # a Wolfe search has it already
                    g_new = gradient(x_new)
                grad_norm = math.hypot(*g_new.tolist()) if small else _norm(g_new)
                why = _unfit(grad_norm, x_new, small)
            else:
                why = divergence_reason(f_new, limit, sense)
            x_new.setflags(write=False)
            return x_new, f_new, g_new, grad_norm, new_state, rate, why

        return step

    def _fixed_rate(self):
        """The step for the most common case, a fixed learning rate, an analytic gradient and
        x an array, with the calls of :meth:`_Counted.value` and :meth:`_Counted.gradient`
        written out: the same arithmetic and counts in fewer calls, for cheap objectives
        whose every microsecond shows."""
        problem, limit, fixed_rate = self.problem, self.limit, self.fixed_rate
        fun, grad, args, sense, shape = (
            problem.fun, problem.grad, problem.args, problem.sense, problem.shape,
        )  # fmt: skip
        update, tidy, off_scale = self.opt.update, problem.tidy, problem._OFF_SCALE
        small = problem.dim <= 64
        inf = math.inf

        def step(x, f, g, state, nit, scale):
            rate = scale * fixed_rate
            move, new_state = update(g, state, x, rate)
            x_new = x + move
            problem.nfev += 1
            try:
                f_new = fun(x_new, *args)
            except off_scale:
                f_new = inf
            kind = type(f_new)
            if kind is not float:
                f_new = float(f_new) if kind is np.float64 else scalar_value(f_new)
            f_new = sense * f_new
            if not -inf < f_new <= limit:
                x_new.setflags(write=False)
                return (
                    x_new,
                    f_new,
                    None,
                    math.nan,
                    new_state,
                    rate,
                    divergence_reason(f_new, limit, sense),
                )
            problem.ngev += 1
            try:
                g_new = grad(x_new, *args)
            except off_scale:
                g_new = np.full(shape, math.nan)
            if type(g_new) is np.ndarray and g_new.dtype is _FLOAT and g_new.shape == shape:
                g_new = g_new.copy()
                if sense < 0:
                    np.negative(g_new, out=g_new)
                g_new.setflags(write=False)
            else:
                g_new = tidy(g_new)
            grad_norm = math.hypot(*g_new.tolist()) if small else _norm(g_new)
            x_new.setflags(write=False)
            return x_new, f_new, g_new, grad_norm, new_state, rate, _unfit(grad_norm, x_new, small)

        return step


def _unfit(grad_norm, x_new, small) -> str | None:
    """Why a point whose f is in range still counts as diverged, or None."""
    if not math.isfinite(grad_norm):
        return "the gradient is not finite"
    if small and math.isfinite(sum(x_new.tolist())):
        return None  # a finite sum: every entry is finite
    if not np.isfinite(x_new).all():
        return "x is not finite"
    return None


class _EpochSteps(_Steps):
    """An epoch per iteration: a step per batch of rows, then f (and, when the rules need it,
    the gradient) on all of them."""

    def __init__(self, problem, opt, limit, data, size, shuffle, rng, args, needs_grad):
        super().__init__(problem, opt, limit)
        self.data, self.size, self.shuffle, self.rng, self.args = data, size, shuffle, rng, args
        self.n_rows = data[0].shape[0]
        self.needs_grad = needs_grad
        # the generator is read only when the rows are shuffled: only then is it state
        self.order = rng if shuffle else None
        self.step = self._epoch

    def _batches(self):
        """The arguments of ``fun`` and ``grad`` for each batch of one epoch: the rows of
        every data array, then ``args``."""
        data, args = self.data, self.args
        for index in batch_indices(self.n_rows, self.size, self.rng, self.shuffle):
            yield (*take_rows(data, index), *args)

    def _epoch(self, x, f, g, state, nit, scale):
        problem, line_search = self.problem, self.line_search
        if line_search is None:
            schedule = self.schedule
            rate = scale * (
                self.fixed_rate if schedule is None else rate_at(schedule, nit, "epoch")
            )
        else:
            rate = scale * line_search.initial
        x_new, new_state, rate, why, stepped = self._steps(x, state, rate, scale)
        if why is None and line_search is not None and not stepped:
            return None  # the line search found no step on any batch: reason "line_search"
        f_new, g_new, grad_norm = math.nan, None, math.nan
        if why is None:
            f_new = problem.value(x_new)
            why = divergence_reason(f_new, self.limit, problem.sense)
        if why is None and self.needs_grad:
            g_new = problem.gradient(x_new)
            grad_norm = _norm(g_new)
            if not math.isfinite(grad_norm):
                why = "the gradient is not finite"
        return _read_only(x_new), f_new, g_new, grad_norm, new_state, rate, why

    def _steps(self, x, state, rate, scale):
        """The batches' steps of one epoch (see :func:`_batch_steps`)."""
        return _batch_steps(
            self.problem, self._batches(), x, state, self.opt, rate, self.line_search, scale
        )  # fmt: skip


def _batch_steps(problem, batches, x, state, opt, rate, line_search, scale):
    """An optimizer step per batch of ``batches`` (each the arguments of ``fun`` and
    ``grad``) from ``x``: ``(x, state, rate, why, stepped)``, ``why`` saying why the epoch
    stopped early (None when it did not) and ``stepped`` whether any batch moved x."""
    full_args = problem.args
    x_new, new_state, why, stepped = x, state, None, False
    try:
        for batch_args in batches:
            problem.args = batch_args
            g_batch = problem.gradient(x_new)
            if not math.isfinite(_norm(g_batch)):
                why = "the gradient on a batch is not finite"
                break
            if line_search is None:
                move, new_state = opt.update(g_batch, new_state, x_new, rate)
            else:
                f_batch = problem.value(x_new)
                found = line_search.step(
                    problem.value, x_new, f_batch, g_batch, opt, new_state, scale,
                    gradient=problem.gradient,
                )  # fmt: skip
                if found is None:  # no decrease on this batch: it takes no step
                    continue
                rate, move, new_state = found.rate, found.step, found.state
            x_next = x_new + move
            if not np.all(np.isfinite(x_next)):
                why = "x is not finite"
                break
            x_new, stepped = _read_only(x_next), True
    finally:
        problem.args = full_args
    return x_new, new_state, rate, why, stepped


# ------------------------------------------------------------------- data in chunks


def _arrays(part) -> tuple:
    """A chunk's arrays as ``fun`` takes them: X, then y and the weights where there are."""
    return tuple(a for a in part if a is not None)


def _chunk_value(part, first, fun, x, args) -> float:
    return float(scalar_value(fun(x, *_arrays(part), *args)))


def _chunk_grad(part, first, fun, grad, x, args) -> np.ndarray:
    data_args = (*_arrays(part), *args)
    if grad is None:
        return np.asarray(numeric_grad(fun, x, data_args), dtype=float)
    return np.asarray(grad(x, *data_args), dtype=float)


class _Whole:
    """``fun`` and ``grad`` over all the chunks: the row-weighted mean of their values on
    each chunk, added up in the chunks' order (so the same bits wherever they ran)."""

    def __init__(self, run, fun, grad, rows):
        self.run, self.fun, self.grad = run, fun, grad
        n = sum(rows)
        self.weights = [r / n for r in rows]

    def _mean(self, values):
        total = self.weights[0] * values[0]
        for w, v in zip(self.weights[1:], values[1:], strict=True):
            total = total + w * v
        return total

    def value(self, x, *args):
        return self._mean(self.run.map(_chunk_value, self.fun, x, args))

    def gradient(self, x, *args):
        return self._mean(self.run.map(_chunk_grad, self.fun, self.grad, x, args))


def _chunk_steps(part, carry, spec):
    """The batches' steps of an epoch over one chunk, run where the chunk is: ``carry`` is
    ``(x, state, rate, why, stepped, nfev, ngev)`` in and out."""
    x, state, rate, why, stepped, nfev, ngev = carry
    if why is not None:
        return carry
    problem, opt, line_search, scale, size, shuffle, seed = spec
    problem = copy.copy(problem)
    problem.nfev = problem.ngev = 0
    arrays, user_args = _arrays(part), problem.args
    rng = np.random.default_rng(seed)
    batches = (
        (*take_rows(arrays, index), *user_args)
        for index in batch_indices(arrays[0].shape[0], size, rng, shuffle)
    )
    x, state, rate, why, moved = _batch_steps(
        problem, batches, x, state, opt, rate, line_search, scale
    )  # fmt: skip
    return x, state, rate, why, stepped or moved, nfev + problem.nfev, ngev + problem.ngev


class _ChunkEpochSteps(_EpochSteps):
    """:class:`_EpochSteps` over data in chunks: the chunks in an order drawn from the run's
    generator, each chunk's rows in an order from a seed drawn alongside, the batches of a
    chunk stepped where the chunk is (:func:`_chunk_steps`)."""

    def __init__(self, problem, opt, limit, run, size, shuffle, rng, args, needs_grad, batch):
        _Steps.__init__(self, problem, opt, limit)
        self.run, self.size, self.shuffle, self.rng, self.args = run, size, shuffle, rng, args
        self.batch_problem = batch
        self.needs_grad = needs_grad
        self.order = rng if shuffle else None
        self.step = self._epoch

    def _steps(self, x, state, rate, scale):
        n = len(self.run.chunks)
        order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        seeds = self.rng.integers(0, 2**63, size=n) if self.shuffle else np.zeros(n, np.int64)
        specs = [
            (self.batch_problem, self.opt, self.line_search, scale, self.size, self.shuffle,
             int(seeds[i]))
            for i in range(n)
        ]  # fmt: skip
        carry = (x, state, rate, None, False, 0, 0)
        x, state, rate, why, stepped, nfev, ngev = self.run.chain(
            _chunk_steps, [int(k) for k in order], carry, specs
        )  # fmt: skip
        self.problem.nfev += nfev
        self.problem.ngev += ngev
        return x, state, rate, why, stepped


def _chunked_descent(
    data, fun, grad, x, scalar, sense, opt, args, batch_size, batched, shuffle, rng, rules,
    store, record, max_iter, on_divergence, gtol, callback, stop,
) -> Result:  # fmt: skip
    """:func:`minimize` over data read a chunk at a time (see its ``data``)."""
    from descend import cluster
    from descend.chunks import Prep

    run = cluster.executor(data, Prep(raw=True))
    try:
        x_user = float(x[0]) if scalar else x
        if _checking(grad) is not None:
            # the check runs on the first chunk's rows, in this process
            first = _arrays(data.sources[0].load())
            value, analytic, label = _resolve_grad(fun, grad, x_user, (*first, *args))
        else:
            value, analytic, label = _resolve_grad(fun, grad, x_user, args)
        whole = _Whole(run, value, analytic, data.rows)
        problem = _Counted(whole.value, whole.gradient, args, scalar, sense, x.size)
        batch = _Counted(value, analytic, args, scalar, sense, x.size)
        return _run(
            problem, x, scalar, sense, opt, data, args, batch_size, batched, shuffle, rng,
            rules, store, record, max_iter, on_divergence, gtol, callback, stop, fun,
            analytic, run=(run, batch), label=label,
        )  # fmt: skip
    finally:
        run.close()


def _read_only(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


def _norm(g: np.ndarray) -> float:
    """Euclidean norm without overflow for huge finite entries; inf or nan when g has them."""
    if g.size <= 64:
        return math.hypot(*g.tolist())
    scale = float(np.max(np.abs(g)))
    if scale == 0.0 or not math.isfinite(scale):
        return scale
    scaled = g / scale
    return scale * math.sqrt(float(scaled @ scaled))


def _user_grad(g: np.ndarray, sense: float, scalar: bool):
    """The gradient of the user's objective, as the user shaped x."""
    if sense < 0:
        g = -g
    return float(g[0]) if scalar else g
