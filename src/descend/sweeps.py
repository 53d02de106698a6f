"""Sweeps: many runs of :func:`descend.minimize` that differ only in their settings, at once.

:func:`sweep` runs every combination of the settings given as lists (learning rates ×
momenta, or any hyper-parameter of the optimizer). When the function takes a batch of points
all the runs advance together as one ``(runs, dims)`` array, each with exactly the arithmetic
and the stopping rules :func:`descend.minimize` would give it alone; otherwise the runs are
made one after the other. :class:`SweepResult` holds the table of outcomes.

Examples
--------
>>> import descend
>>> from descend import functions
>>> table = descend.sweep(functions.sphere, [-8.0, 5.0], learning_rate=[0.05, 0.5],
...                       momentum=[0.0, 0.9], n_iter=5)
>>> len(table), table.vectorised
(4, True)
>>> table.best.settings
{'learning_rate': 0.5, 'momentum': 0.0}
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import numbers
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from descend import optimizers as _optimizers
from descend._validation import check_bool, check_count
from descend.driver import RunState, divergence_limit, divergence_reason, drive
from descend.errors import DivergenceWarning
from descend.history import History
from descend.result import Result
from descend.stopping import GTol, MaxIter, Target, Tol, XTol
from descend.stopping import message as stop_message

__all__ = ["SweepResult", "SweepRun", "sweep"]

#: ``record_path=None`` keeps the paths when they take at most this many bytes.
PATH_BYTES = 256 * 2**20

_REASON_ORDER = ("tol", "xtol", "gtol", "target", "max_iter")


@dataclass(frozen=True)
class SweepRun:
    """One run of a sweep: its settings and its outcome.

    Attributes
    ----------
    index : int
        Its place in the sweep (settings vary fastest in the last list given).
    settings : dict
        The swept settings of this run, such as ``{"learning_rate": 0.1, "momentum": 0.9}``.
    x : float or numpy.ndarray
        The final point.
    fun : float
        f at ``x``.
    nit : int
        Iterations taken.
    reason : str
        What stopped it: ``"max_iter"``, ``"tol"``, ``"xtol"``, ``"gtol"``, ``"target"`` or
        ``"diverged"`` (and, for runs made one at a time, any reason :func:`descend.minimize`
        gives).
    success : bool
        True when a rule other than ``max_iter`` stopped it and it did not diverge.
    path : numpy.ndarray or None
        The points visited, ``nit + 1`` rows, x0 first (None when the sweep kept no paths).
    """

    index: int
    settings: dict
    x: Any
    fun: float
    nit: int
    reason: str
    success: bool
    path: np.ndarray | None = field(default=None, repr=False)
    _result: Any = field(default=None, repr=False, compare=False)

    def result(self) -> Result:
        """The run as a :class:`descend.Result`, with its history (for the plots).

        Runs made by :func:`descend.minimize` give their own result; for a vectorised sweep
        the history is rebuilt from the kept path (which needs ``record_path``).
        """
        if self._result is None:
            raise ValueError(
                "This sweep kept no paths: run it with record_path=True to get a result with "
                "a history for each run"
            )
        return self._result


class SweepResult:
    """The outcome of :func:`sweep`: one row per run, in the order of the combinations.

    ``len(table)`` is the number of runs, iterating gives :class:`SweepRun` rows and
    ``table[i]`` the i-th; ``table.best`` is the finished run (not diverged) with the lowest
    f, the first of equals.

    Attributes
    ----------
    names : tuple of str
        The swept settings, in the order given.
    settings : list of dict
        Each run's settings.
    x : numpy.ndarray
        Final points, shape ``(runs, dims)`` (``(runs,)`` for a start given as a float).
    fun : numpy.ndarray
        Final values, shape ``(runs,)``.
    nit : numpy.ndarray
        Iterations of each run.
    reason : list of str
        What stopped each run.
    success : numpy.ndarray
        Whether each run stopped on a rule other than ``max_iter`` and did not diverge.
    path : numpy.ndarray or None
        With the paths kept: every point, shape ``(n_iter + 1, runs, dims)`` (``(n_iter + 1,
        runs)`` for a float start), a run that stopped early repeating its last point.
    f_path : numpy.ndarray or None
        f along the paths, shape ``(n_iter + 1, runs)``.
    vectorised : bool
        Whether the runs advanced together as one array.
    """

    def __init__(self, names, settings, x, fun, nit, reason, path=None, f_path=None,
                 vectorised=False, results=None):  # fmt: skip
        self.names = tuple(names)
        self.settings = list(settings)
        self.x = x
        self.fun = np.asarray(fun, dtype=float)
        self.nit = np.asarray(nit, dtype=np.int64)
        self.reason = list(reason)
        self.success = np.array([r not in ("max_iter", "diverged") for r in self.reason])
        self.path = path
        self.f_path = f_path
        self.vectorised = bool(vectorised)
        self._results = results

    def __len__(self) -> int:
        return len(self.settings)

    def __getitem__(self, index: int) -> SweepRun:
        if not isinstance(index, numbers.Integral) or isinstance(index, bool):
            raise TypeError(f"Invalid index: {index!r}; expected a whole number")
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"Invalid index: {index}; this sweep has {n} runs")
        i = int(index) % n
        nit = int(self.nit[i])
        path = None if self.path is None else self.path[: nit + 1, i]
        results = self._results
        result = None if results is None else (results(i) if callable(results) else results[i])
        return SweepRun(
            index=i,
            settings=dict(self.settings[i]),
            x=float(self.x[i]) if self.x.ndim == 1 else self.x[i].copy(),
            fun=float(self.fun[i]),
            nit=nit,
            reason=self.reason[i],
            success=bool(self.success[i]),
            path=path,
            _result=result,
        )

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    @property
    def best(self) -> SweepRun | None:
        """The run that did not diverge with the lowest final f (the first of equals), or
        None when every run diverged."""
        finished = [
            i
            for i in range(len(self))
            if self.reason[i] != "diverged" and math.isfinite(self.fun[i])
        ]
        if not finished:
            return None
        return self[min(finished, key=lambda i: self.fun[i])]

    def rows(self) -> list[dict]:
        """One dict per run: its settings, then ``fun``, ``nit``, ``reason``, ``success``."""
        return [
            {**self.settings[i], "fun": float(self.fun[i]), "nit": int(self.nit[i]),
             "reason": self.reason[i], "success": bool(self.success[i])}
            for i in range(len(self))
        ]  # fmt: skip

    def to_dict(self) -> dict:
        """Columns as a dict of lists: one per swept setting, then ``x``, ``fun``, ``nit``,
        ``reason`` and ``success``."""
        out = {name: [s[name] for s in self.settings] for name in self.names}
        out.update(
            x=self.x.tolist(),
            fun=self.fun.tolist(),
            nit=self.nit.tolist(),
            reason=list(self.reason),
            success=self.success.tolist(),
        )
        return out

    def __repr__(self) -> str:
        best = self.best
        where = (
            "no run finished" if best is None else f"best f = {best.fun:.6g} at {best.settings}"
        )
        how = "vectorised" if self.vectorised else "one at a time"
        return f"SweepResult({len(self)} runs over {', '.join(self.names)}, {how}; {where})"


def sweep(
    fun,
    x0,
    *,
    learning_rate=None,
    momentum=None,
    optimizer="gd",
    n_iter=100,
    grad=None,
    args=(),
    tol=None,
    xtol=None,
    gtol=None,
    target=None,
    batched=None,
    record_path=None,
    **settings,
) -> SweepResult:
    r"""Run :func:`descend.minimize` for every combination of the settings given as lists.

    Each of ``learning_rate``, ``momentum`` and any hyper-parameter of the optimizer passed by
    name (``beta1`` and ``beta2`` for Adam's ``betas``, ``eps``, ``alpha``, ``weight_decay``,
    ``lr_decay`` ...) may be one value or a list of values; every combination is one run, the
    last list varying fastest. Every run starts at ``x0`` and takes at most ``n_iter`` steps.

    When ``fun`` takes a batch of points, all the runs advance together: the points are one
    ``(runs, dims)`` array, ``fun`` and the gradient are called once per iteration on it and
    the optimizer's own update rule (:mod:`descend.optimizers`) steps every run at once, with
    each run's settings. A run stops on its own rules (``n_iter``, ``tol``, ``xtol``,
    ``gtol``, ``target``) or when it diverges, exactly when :func:`descend.minimize` would
    stop it, and then stays where it stopped while the others go on. Each run ends where
    :func:`descend.minimize` with the same settings ends, up to rounding.

    When ``fun`` takes one point at a time, the runs are made one after the other with
    :func:`descend.minimize`.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float``. It is called on a batch when ``batched`` says it can be:
        ``fun(X, *args)`` with ``X`` of shape ``(runs, dims)`` (``(runs,)`` for a start given
        as a float) returns the ``runs`` values, and the gradient returns an array shaped like
        ``X``.
    x0 : float or array_like
        The common start.
    learning_rate : float or list of float, optional
        Positive numbers. A schedule, ``"backtracking"`` or ``"wolfe"`` runs the sweep one run
        at a time. Left out, 0.01, except for an optimizer made to run with a line search
        (``"lbfgs"``, ``"cg"``), which keeps it, as in :func:`descend.minimize`.
    momentum : float, "sequence" or a list of them, optional
        Momentum for ``"gd"`` (above zero it is the tutorials' momentum routine),
        ``"momentum"``, ``"nesterov"`` and ``"rmsprop"``; left out, each optimizer's default.
        A setting whose values are not all numbers (``momentum=[0.9, "sequence"]``,
        ``restart=[None, "gradient"]`` for ``"nesterov"``) runs the sweep one run at a time.
    optimizer : str
        The optimizer's name, as for :func:`descend.minimize`. ``"lbfgs"`` and ``"cg"`` run
        one run at a time at any rate: their directions mix all the coordinates of a point.
    n_iter : int
        Most steps per run (``max_iter`` of each run).
    grad : callable, str or None
        The gradient, as for :func:`descend.minimize`: by default the one ``fun`` carries (a
        :class:`descend.Objective`), otherwise a numeric one (which, as a check does, runs
        the sweep one run at a time). With ``grad="jax"`` (or ``"auto"`` on a JAX function)
        the function is vectorised by JAX (``jax.vmap``), so the runs advance together
        whether or not ``fun`` takes a batch; the other backends of :mod:`descend.autodiff`
        run one run at a time, made once for all of them.
    args : tuple
        Extra arguments of ``fun`` and ``grad``.
    tol, xtol, gtol, target : float, optional
        The stopping rules of :func:`descend.minimize`, applied to every run. A sweep always
        has its ``n_iter``, so, as for :func:`descend.minimize` given ``max_iter``, the
        default ``gtol`` of a run that names no rule does not join them: each run ends where
        ``minimize(fun, x0, max_iter=n_iter, ...)`` with these rules ends.
    batched : bool, optional
        Whether ``fun`` (and ``grad``) take a batch of points. Left out, the ``batched``
        attribute of ``fun`` says so: the functions of :mod:`descend.functions` and the
        formulas of :mod:`descend.formula` have it; give a function of your own the attribute
        (``f.batched = True``) or pass ``batched=True``.
    record_path : bool, optional
        Keep every point of every run (``SweepResult.path``, and a history per run for
        :meth:`SweepRun.result`). Left out, the paths are kept when they take at most
        256 MiB.
    **settings
        Further hyper-parameters of the optimizer, each a value or a list of values.

    Returns
    -------
    SweepResult
        One row per run: its settings, final x and f, iterations and stop reason; ``.best``
        the finished run with the lowest f.

    Raises
    ------
    ValueError
        A setting out of range (``Invalid learning rate: -0.1 ...``), an empty list, a setting
        the optimizer does not have.

    Examples
    --------
    The tutorials' learning-rate × momentum grid on w1² + w2², five steps per run:

    >>> import descend
    >>> from descend import functions
    >>> table = descend.sweep(functions.sphere, [-8.0, 5.0], learning_rate=[0.05, 0.2, 0.5],
    ...                       momentum=[0.0, 0.9], n_iter=5)
    >>> len(table)
    6
    >>> for run in table.rows()[:2]:
    ...     print(run["learning_rate"], run["momentum"], round(run["fun"], 4), run["reason"])
    0.05 0.0 31.0324 max_iter
    0.05 0.9 0.0757 max_iter
    >>> best = table.best
    >>> best.settings, best.fun
    ({'learning_rate': 0.5, 'momentum': 0.0}, 0.0)

    Adam's first moment decay swept on Rosenbrock's valley, with a stopping rule:

    >>> table = descend.sweep(functions.rosenbrock, [-1.2, 1.0], optimizer="adam",
    ...                       learning_rate=0.02, beta1=[0.8, 0.9], n_iter=20_000, gtol=1e-6)
    >>> table.reason, table.x.round(4).tolist()
    (['gtol', 'gtol'], [[1.0, 1.0], [1.0, 1.0]])
    """
    if not callable(fun):
        raise TypeError(f"Invalid fun: {fun!r} is not callable")
    if not isinstance(args, tuple):
        args = (args,)
    n_iter = check_count(n_iter, "n_iter")
    if record_path is not None:
        record_path = check_bool(record_path, "record_path")
    if batched is None:
        batched = bool(getattr(fun, "batched", False))
    else:
        batched = check_bool(batched, "batched")
    for name, value in (("tol", tol), ("xtol", xtol), ("gtol", gtol), ("target", target)):
        if value is not None and not _is_number(value):
            raise TypeError(f"Invalid {name}: {value!r}; expected a real number")
    if isinstance(optimizer, _optimizers.Optimizer) or not isinstance(optimizer, str):
        raise TypeError(
            f"Invalid optimizer: {optimizer!r}; a sweep takes the optimizer's name (its "
            "settings are swept by keyword)"
        )

    if learning_rate is None:
        learning_rate = _default_rate(optimizer)
    lists = {"learning_rate": _values(learning_rate, "learning_rate")}
    if momentum is not None:
        lists["momentum"] = _values(momentum, "momentum")
    for name, value in settings.items():
        lists[name] = _values(value, name)
    names = tuple(lists)
    combos = [
        dict(zip(names, values, strict=True)) for values in itertools.product(*lists.values())
    ]
    opts = [_optimizer(optimizer, combo) for combo in combos]

    from descend.autodiff import Gradient
    from descend.descent import _checking, _choose_grad, _starting_point

    start, scalar = _starting_point(x0)
    # the quasi-Newton directions are built from dot products over the whole point: a block
    # of runs stepped as one array would be one run of many coordinates
    numeric_rates = all(isinstance(o.learning_rate, float) and not o.one_objective for o in opts)
    # a setting that varies over words or None (Nesterov's "sequence", its restart) has no
    # column of numbers to step every run with at once: one at a time
    numeric_settings = all(
        all(_is_number(v) for v in values) for values in lists.values() if len(values) > 1
    )
    together = numeric_rates and numeric_settings
    # A numeric or checked gradient, like a schedule, is minimize's business: one at a time.
    label = "analytic"
    if _checking(grad) is None:
        fun_used, analytic, label = _choose_grad(fun, grad)
    else:
        fun_used, analytic = fun, None
    if isinstance(analytic, Gradient):
        # the backend made once serves every run; a JAX function is vectorised by the backend
        grad = analytic
        probe = start if scalar else start[None, :]
        pair = analytic.vectorised(probe, args) if together else None
        if pair is not None:
            fun_used, analytic = pair
            batched = True
        else:
            analytic = None
    if batched and together and analytic is not None:
        if record_path is None:
            record_path = (n_iter + 1) * len(combos) * (start.size + 2) * 8 <= PATH_BYTES
        return _vectorised(
            fun_used, analytic, args, start, scalar, names, combos, opts, n_iter,
            (tol, xtol, gtol, target), record_path, label,
        )  # fmt: skip
    return _one_at_a_time(
        fun, x0, grad, args, names, combos, opts, n_iter, (tol, xtol, gtol, target),
        scalar, start.size, record_path,
    )  # fmt: skip


# ----------------------------------------------------------------------------- settings


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _default_rate(name: str):
    """The learning rate of a sweep that gives none: an optimizer's own line search where it
    is made to run with one, else 0.01 (as :func:`descend.minimize` chooses)."""
    if _optimizers.line_search_default(name):
        return _optimizers.OPTIMIZERS[name.lower()].learning_rate
    return 0.01


def _values(value, name: str) -> list:
    """A setting as a list of its values (one value is a list of one)."""
    if isinstance(value, list | tuple | np.ndarray):
        values = list(np.asarray(value).ravel()) if isinstance(value, np.ndarray) else list(value)
        if not values:
            raise ValueError(f"Invalid {name}: {value!r}; give at least one value")
        return [float(v) if isinstance(v, np.floating) else v for v in values]
    return [value]


def _optimizer(name: str, combo: dict) -> _optimizers.Optimizer:
    """The optimizer of one run, built (and so checked) as :func:`descend.minimize` would."""
    from descend.descent import _resolve_optimizer

    combo = dict(combo)
    rate = combo.pop("learning_rate")
    momentum = combo.pop("momentum", None)
    if momentum is None:
        from descend.descent import _DEFAULT_MOMENTUM

        momentum = _DEFAULT_MOMENTUM
    opt = _resolve_optimizer(name, rate, momentum)
    if not combo:
        return opt
    known = {f.name for f in dataclasses.fields(opt)} - {"learning_rate"}
    betas = {key: combo.pop(key) for key in ("beta1", "beta2") if key in combo}
    if betas:
        if "betas" not in known:
            raise ValueError(
                f"Invalid setting: {next(iter(betas))}; optimizer {name!r} has no betas"
            )
        beta1, beta2 = opt.betas
        combo["betas"] = (betas.get("beta1", beta1), betas.get("beta2", beta2))
    unknown = sorted(set(combo) - known)
    if unknown:
        raise ValueError(
            f"Invalid setting: {unknown[0]}; optimizer {name!r} takes "
            + ", ".join(sorted(known | ({"beta1", "beta2"} if "betas" in known else set())))
        )
    return dataclasses.replace(opt, **combo)


def _batched_optimizer(opts: list) -> _optimizers.Optimizer:
    """One optimizer whose varying settings are columns, one row per run, so that its update
    steps every run with that run's own settings. Settings shared by every run stay plain
    numbers, so the arithmetic is the same as each run's alone."""
    if any(type(o) is not type(opts[0]) for o in opts):
        # "gd" with some momenta zero: plain steps are momentum steps with α = 0.
        opts = [
            _optimizers.Momentum(o.learning_rate, momentum=0.0)
            if isinstance(o, _optimizers.GD)
            else o
            for o in opts
        ]
    cls = type(opts[0])
    if any(type(o) is not cls for o in opts):  # pragma: no cover - one name, one class
        raise TypeError("A sweep's runs must share one optimizer")
    batch = object.__new__(cls)
    for spec in dataclasses.fields(cls):
        values = [getattr(o, spec.name) for o in opts]
        if spec.name != "learning_rate" and all(v == values[0] for v in values):
            value = values[0]
        elif isinstance(values[0], tuple):
            value = tuple(_column([v[i] for v in values]) for i in range(len(values[0])))
        else:
            value = _column(values)
        object.__setattr__(batch, spec.name, value)
    return batch


def _column(values) -> np.ndarray:
    return np.asarray(values, dtype=float)[:, None]


def _subset(obj, keep: np.ndarray):
    """The rows ``keep`` of every per-run column (or state array) of an optimizer or state."""
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # an optimizer's state
        return type(obj)(*(_subset(v, keep) for v in obj))
    if isinstance(obj, np.ndarray):
        return obj[keep]
    if isinstance(obj, tuple):
        return tuple(_subset(v, keep) for v in obj)
    return obj


def _subset_optimizer(batch, keep):
    smaller = object.__new__(type(batch))
    for spec in dataclasses.fields(batch):
        object.__setattr__(smaller, spec.name, _subset(getattr(batch, spec.name), keep))
    return smaller


# ------------------------------------------------------------------------------- engines


def _vectorised(fun, grad, args, start, scalar, names, combos, opts, n_iter, rules, record,
                label):  # fmt: skip
    tol, xtol, gtol, target = (None if v is None else float(v) for v in rules)
    runs, dims = len(combos), start.size

    def values(X):
        out = fun(X[:, 0] if scalar else X, *args)
        out = np.asarray(out, dtype=float)
        if out.shape != (len(X),) and out.size == len(X) == 1:
            out = out.reshape(1)
        if out.shape != (len(X),):
            raise ValueError(
                f"fun returned shape {out.shape} for a batch of {len(X)} points; a batched "
                "function returns one value per point (pass batched=False if it cannot)"
            )
        return out

    def gradients(X):
        out = np.asarray(grad(X[:, 0] if scalar else X, *args), dtype=float)
        want = (len(X), dims)
        if scalar and out.shape == (len(X),):
            out = out[:, None]
        if out.shape != want:
            raise ValueError(
                f"grad returned shape {out.shape} for a batch of points shaped {want}; a "
                "batched gradient is shaped like its points (pass batched=False if it cannot)"
            )
        return out

    x0_row = start[None, :]
    with np.errstate(all="ignore"):
        f0 = float(values(x0_row)[0])
        g0 = gradients(x0_row)[0]
    if not math.isfinite(f0):
        raise ValueError(f"fun(x0) is not finite: {f0!r}")
    if not np.all(np.isfinite(g0)):
        raise ValueError(f"The gradient at x0 is not finite: {g0}")

    # the rules' own tests (descend.stopping), on arrays with an entry per active run
    tests = [
        (name, rule_type.hit, setting)
        for name, rule_type, setting in (
            ("tol", Tol, tol), ("xtol", XTol, xtol), ("gtol", GTol, gtol),
            ("target", Target, target), ("max_iter", MaxIter, n_iter),
        )
        if setting is not None
    ]  # fmt: skip
    steps = _SweepSteps(values, gradients, _batched_optimizer(opts), opts, x0_row, f0, g0,
                        divergence_limit(f0), tests)  # fmt: skip
    history = History(
        runs * dims, capacity=min(n_iter + 1, 4096), keep_all=bool(record),
        extras={"f_runs": (runs,), "grad_norm_runs": (runs,)},
    )  # fmt: skip
    begin = RunState(
        nit=0, x=steps.block(), f=math.nan, g=None, grad_norm=math.nan, opt_state=None,
        record=history,
    )  # fmt: skip
    with np.errstate(all="ignore"):
        outcome = drive(steps, begin, MaxIter(n_iter))
    steps.set_aside(outcome.state.nit)  # the runs still going stop where the sweep did

    whys = steps.whys
    if whys:
        worst = ", ".join(f"run {run} at iteration {it} ({why})" for run, (it, why) in
                          sorted(whys.items())[:3])  # fmt: skip
        more = f" and {len(whys) - 3} more" if len(whys) > 3 else ""
        warnings.warn(
            f"descend: {len(whys)} of {runs} runs of the sweep diverged: {worst}{more}; each "
            "stopped at its last finite point",
            DivergenceWarning,
            stacklevel=3,
        )

    x_out, f_out, nit_out, reason = steps.x_out, steps.f_out, steps.nit_out, steps.reason
    results = path = f_path = None
    if record:
        # every run's path as long as the longest a run may have: a run that stopped early
        # (or the whole sweep) stays where it stopped
        rows = len(history)
        pad = np.minimum(np.arange(n_iter + 1), rows - 1)
        path = history.x.reshape(rows, runs, dims)[pad]
        f_path = history.f_runs[pad]
        gn_path = history.grad_norm_runs[pad]
        times = history.time[pad]
        record_of = (path, f_path, gn_path, times)
        outcome = (nit_out, reason, whys, opts, scalar, x_out, f_out, steps.g_out, n_iter, rules,
                   label)  # fmt: skip

        def results(run):
            return _as_result(run, record_of, outcome)

        if scalar:
            path = path[:, :, 0]
    x = x_out[:, 0].copy() if scalar else x_out
    return SweepResult(names, combos, x, f_out, nit_out, reason, path, f_path, True, results)


class _SweepSteps:
    """Every run of a vectorised sweep as one stepper of the one loop (:mod:`descend.driver`):
    a step moves each run still going exactly as :func:`descend.minimize` would, asks each
    its stopping rules, and sets aside the runs that stop or diverge. With no run left it has
    no step, which ends the sweep. The loop's iterate is the block of every run's point (a
    run set aside stays where it stopped); its record keeps each run's f and gradient norm
    as extra columns."""

    extras = ("f_runs", "grad_norm_runs")
    watches = False
    order = None
    nfev = ngev = 0

    def __init__(self, values, gradients, opt, opts, x0_row, f0, g0, limit, tests):
        runs = len(opts)
        self.values, self.gradients, self.opt, self.limit = values, gradients, opt, limit
        self.tests = tests
        self.rates = np.array([o.learning_rate for o in opts])[:, None]
        # the outcome, one row per run, filled in as runs stop
        self.x_out = np.repeat(x0_row, runs, axis=0)
        self.g_out = np.repeat(g0[None, :], runs, axis=0)
        self.f_out = np.full(runs, f0)
        self.gn_out = np.full(runs, _norms(g0[None, :])[0])
        self.nit_out = np.zeros(runs, dtype=np.int64)
        self.reason = [""] * runs
        self.whys: dict[int, tuple[int, str]] = {}
        # the runs still going, compacted: ``idx`` maps their rows to run numbers
        self.idx = np.arange(runs)
        self.X, self.F = self.x_out.copy(), self.f_out.copy()
        self.G, self.GN = self.g_out.copy(), self.gn_out.copy()
        self.state = opt.init(self.X)
        self.row = (self.f_out, self.gn_out)
        self.stopped = self.check(0, self.F, None, self.GN, None)

    def block(self) -> np.ndarray:
        """Every run's point, as one flat read-only array."""
        block = self.x_out.reshape(-1).copy()
        block.setflags(write=False)
        return block

    def check(self, nit, F_new, F_old, GN_new, moved):
        """The first rule (in minimize's order) that fires for each run going, or ""."""
        fired = np.full(len(F_new), "", dtype=object)
        for name, hit, setting in reversed(self.tests):
            fired[hit(setting, nit, F_new, F_old, GN_new, moved)] = name
        return fired

    def _finish(self, rows, names, nit) -> None:
        """Set the runs on ``rows`` aside, stopped at ``nit`` for ``names``."""
        for row, name in zip(rows, names, strict=True):
            run = self.idx[row]
            self.reason[run], self.nit_out[run], self.g_out[run] = name, nit, self.G[row]
        keep = np.ones(len(self.idx), dtype=bool)
        keep[rows] = False
        self.idx, self.X, self.F = self.idx[keep], self.X[keep], self.F[keep]
        self.G, self.GN = self.G[keep], self.GN[keep]
        self.state = _subset(self.state, keep)
        self.opt = _subset_optimizer(self.opt, keep)
        self.rates = self.rates[keep]

    def set_aside(self, nit) -> None:
        """Set aside the runs whose rules fired at ``nit``."""
        rows = np.flatnonzero(self.stopped != "")
        if rows.size:
            self._finish(rows, self.stopped[rows], nit)
            self.stopped = self.stopped[self.stopped == ""]

    def step(self, x, f, g, opt_state, nit, scale):
        self.set_aside(nit)
        if not len(self.idx):
            return None  # every run has stopped
        X, state = self.X, self.state
        move, new_state = self.opt.update(self.G, state, X, self.rates)
        X_new = X + move
        F_new = self.values(X_new)
        diverged_f = ~((F_new > -math.inf) & (F_new <= self.limit))
        G_new = self.gradients(X_new)
        GN_new = _norms(G_new)
        bad_g = ~np.isfinite(GN_new) & ~diverged_f
        bad_x = ~np.isfinite(X_new).all(axis=1) & ~diverged_f & ~bad_g
        diverged = diverged_f | bad_g | bad_x
        if diverged.any():
            rows = np.flatnonzero(diverged)
            for row in rows:
                if diverged_f[row]:
                    why = divergence_reason(float(F_new[row]), self.limit)
                else:
                    why = "the gradient is not finite" if bad_g[row] else "x is not finite"
                self.whys[int(self.idx[row])] = (nit + 1, why)
            self._finish(rows, ["diverged"] * len(rows), nit)
            keep = ~diverged
            X, X_new, F_new = X[keep], X_new[keep], F_new[keep]
            G_new, GN_new, new_state = G_new[keep], GN_new[keep], _subset(new_state, keep)
            if not len(self.idx):
                return None
        moved = X_new - X if any(name == "xtol" for name, _, _ in self.tests) else None
        F_old = self.F
        self.X, self.F, self.G, self.GN, self.state = X_new, F_new, G_new, GN_new, new_state
        idx = self.idx
        if len(idx) == len(self.x_out):  # every run going: plain copies, not scatters
            idx = slice(None)
        self.x_out[idx], self.f_out[idx], self.gn_out[idx] = X_new, F_new, GN_new
        self.stopped = self.check(nit + 1, F_new, F_old, GN_new, moved)
        # the loop's own f and gradient stand for no run: each run's are in the record's row
        return self.block(), math.nan, None, math.nan, None, math.nan, None

    def restart(self, x):  # pragma: no cover - a sweep's runs stop on divergence
        return None

    def public_x(self, x):  # pragma: no cover - a sweep asks only the max_iter rule
        return x

    public_grad = public_x

    def extra(self) -> dict:
        return {}


def _norms(G: np.ndarray) -> np.ndarray:
    """Each row's Euclidean norm (inf or nan for a row holding one), overflow-safe as
    :func:`descend.minimize` works it out, up to rounding."""
    dims = G.shape[1]
    if dims == 1:
        return np.abs(G[:, 0])
    if dims == 2:
        return np.hypot(G[:, 0], G[:, 1])
    out = np.sqrt(np.einsum("ij,ij->i", G, G))
    redo = np.flatnonzero(~np.isfinite(out) | (out == 0.0))
    if redo.size:
        from descend.descent import _norm

        out[redo] = [_norm(G[i]) for i in redo]
    return out


def _as_result(run, record_of, outcome) -> Result:
    """One run of a vectorised sweep as the :class:`descend.Result` minimize would give."""
    path, f_path, gn_path, times = record_of
    nit_out, reason, whys, opts, scalar, x_out, f_out, g_out, n_iter, rules, label = outcome
    nit = int(nit_out[run])
    rates = np.full(nit + 1, opts[run].learning_rate)
    rates[0] = math.nan
    history = History.from_arrays(
        np.arange(nit + 1), path[: nit + 1, run], f_path[: nit + 1, run],
        gn_path[: nit + 1, run], rates, times[: nit + 1], scalar=scalar,
    )  # fmt: skip
    why = reason[run]
    if why == "diverged":
        iteration, text = whys[run]
        message = stop_message("diverged", iteration=iteration, why=text)
    else:
        tol, xtol, gtol, target = (0.0 if v is None else v for v in rules)
        message = stop_message(why, max_iter=n_iter, tol=tol, xtol=xtol, gtol=gtol,
                               target=target)  # fmt: skip
    return Result(
        x=float(x_out[run, 0]) if scalar else x_out[run].copy(),
        fun=float(f_out[run]),
        grad=float(g_out[run, 0]) if scalar else g_out[run].copy(),
        nit=nit,
        nfev=nit + 1,
        ngev=nit + 1,
        success=why not in ("max_iter", "diverged"),
        reason=why,
        message=message,
        history=history,
        gradient=label,
    )


def _one_at_a_time(fun, x0, grad, args, names, combos, opts, n_iter, rules, scalar, dims,
                   record):  # fmt: skip
    from descend.descent import minimize

    tol, xtol, gtol, target = rules
    results = []
    for opt in opts:
        results.append(
            minimize(fun, x0, grad=grad, args=args, optimizer=opt, max_iter=n_iter, tol=tol,
                     xtol=xtol, gtol=gtol, target=target, record=record is not False)
        )  # fmt: skip
    x = np.array([r.x for r in results], dtype=float)
    path = f_path = None
    if record is not False:
        width = n_iter + 1
        path = np.empty((width, len(results), dims))
        f_path = np.empty((width, len(results)))
        for i, r in enumerate(results):
            points = np.asarray(r.history.x, dtype=float).reshape(len(r.history), dims)
            path[: len(points), i] = points
            path[len(points) :, i] = points[-1]
            f_path[: len(points), i] = r.history.f
            f_path[len(points) :, i] = r.history.f[-1]
        if scalar:
            path = path[:, :, 0]
    return SweepResult(
        names, combos, x, [r.fun for r in results], [r.nit for r in results],
        [r.reason for r in results], path, f_path, False, results,
    )  # fmt: skip
