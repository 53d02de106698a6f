"""How runs progress: :func:`loss` against iteration or epoch, :func:`parameter_path`, and
:func:`cost_function`, the objective of a fitted estimator as a function of its weights."""

from __future__ import annotations

import numpy as np

from descend.plot import _style
from descend.plot._grids import box, evaluate, mesh
from descend.plot._records import trace, unit_label

__all__ = ["cost_function", "loss", "parameter_path"]


@_style.styled
def loss(*runs, labels=None, log=False, metric=None, ax=None):
    """Draw the objective of one or more runs against iteration (or epoch), overlaid.

    Parameters
    ----------
    *runs : descend.Result, fitted estimator, History or TrainingHistory
        The runs. A :class:`descend.Result` is drawn per iteration, an estimator per epoch.
    labels : sequence of str, optional
        One legend entry per run.
    log : bool
        A logarithmic y-axis (non-positive values are left out of it).
    metric : str or callable, optional
        What to draw: by default ``f`` of a run and ``loss`` of a fit. A string names a
        column of the history (``"grad_norm"``, ``"learning_rate"``, ``"sse"``,
        ``"error_rate"``, ``"val_loss"`` …); a callable is applied to each point of the path,
        e.g. ``lambda x: (3 - x) ** 2`` for the squared distance to a known minimiser.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when left out.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import descend
    >>> from descend import functions, plot
    >>> a = descend.minimize(functions.booth, [0.0, 0.0], learning_rate=0.01, max_iter=100)
    >>> b = descend.minimize(functions.booth, [0.0, 0.0], learning_rate=0.05, max_iter=100)
    >>> ax = plot.loss(a, b, labels=["η = 0.01", "η = 0.05"], log=True)
    >>> [line.get_label() for line in ax.lines]
    ['η = 0.01', 'η = 0.05']
    """
    if not runs:
        raise ValueError("loss needs at least one run to draw")
    traces = [trace(r) for r in runs]
    if labels is None:
        labels = [None] if len(traces) == 1 else [f"run {i + 1}" for i in range(len(traces))]
    labels = list(labels)
    if len(labels) != len(traces):
        raise ValueError(f"labels has {len(labels)} entries for {len(traces)} runs")
    ax = _style.new_axes(ax)
    ylabel = None
    for i, (tr, label) in enumerate(zip(traces, labels, strict=True)):
        values, name = tr.values(metric)
        ylabel = name if ylabel in (None, name) else "value"
        marker = "o" if len(values) <= 40 else None
        ax.plot(tr.steps, values, color=_style.color(i), marker=marker, ms=3, lw=1.5,
                label=label)  # fmt: skip
    if log:
        ax.set_yscale("log", nonpositive="mask")
    ax.set_xlabel(unit_label(traces))
    ax.set_ylabel(ylabel)
    _style.legend(ax)
    return ax


@_style.styled
def parameter_path(run, *, fun=None, reference=None, dims=(0, 1), ax=None, levels=20):
    """Draw the path a run took through parameter space.

    Two parameters are drawn against each other (an estimator's intercept and slope, say),
    start and end marked; a run with one parameter is drawn against iteration.

    Parameters
    ----------
    run : descend.Result, fitted estimator (``record_weights=True``) or a history
    fun : callable, optional
        A function of the parameters whose contour lines are drawn underneath (for an
        estimator, :func:`cost_function`).
    reference : array_like, optional
        A point to mark, such as the least-squares solution (in the same coordinates as the
        path: intercept first for an estimator).
    dims : (int, int)
        Which two coordinates to draw when there are more.
    ax : matplotlib.axes.Axes, optional
    levels : int
        Contour levels of ``fun``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from descend import GDRegressor, datasets, plot
    >>> X, y = datasets.regression()
    >>> reg = GDRegressor(learning_rate=0.1, record_weights=True).fit(X, y)
    >>> ax = plot.parameter_path(reg)
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('intercept', 'slope')
    """
    tr = trace(run)
    path, names = tr.path()
    if path.shape[1] == 1:
        ax = _style.new_axes(ax)
        ax.plot(tr.steps, path[:, 0], "-o", color=_style.PATH, ms=3)
        if reference is not None:
            ax.axhline(float(np.asarray(reference).reshape(-1)[0]), color="#333333", ls="--",
                       label="reference")  # fmt: skip
        ax.set_xlabel(tr.unit)
        ax.set_ylabel(names[0])
        _style.legend(ax)
        return ax
    i, j = _dims(dims, path.shape[1])
    plane = path[:, [i, j]]
    if reference is not None:
        reference = np.asarray(reference, dtype=float).reshape(-1)
        if len(reference) != path.shape[1]:
            raise ValueError(
                f"reference has {len(reference)} coordinates; the path has {path.shape[1]}"
            )
    if fun is not None and path.shape[1] != 2:
        raise ValueError(f"fun= draws contours of two parameters; this path has {path.shape[1]}")
    ax = _style.new_axes(ax)
    if fun is not None:
        points = [plane] if reference is None else [plane, reference.reshape(1, 2)]
        X1, X2, grid_points = mesh(box(None, points), 80)
        ax.contour(X1, X2, evaluate(fun, grid_points), levels=levels, cmap=_style.CMAP,
                   linewidths=0.8)  # fmt: skip
    ax.plot(plane[:, 0], plane[:, 1], "-", color=_style.PATH, lw=1.5, marker="o",
            ms=2.5 if len(plane) <= 200 else 0, label="path")  # fmt: skip
    ax.scatter(plane[:1, 0], plane[:1, 1], s=50, facecolors="white", edgecolors=_style.PATH,
               zorder=5, label="start")  # fmt: skip
    ax.scatter(plane[-1:, 0], plane[-1:, 1], s=50, color=_style.PATH, zorder=5,
               label=f"end ({tr.unit} {tr.steps[-1]})")  # fmt: skip
    if reference is not None:
        ax.scatter(reference[i], reference[j], zorder=6, label="reference", **_style.MINIMUM)
    ax.set_xlabel(names[i])
    ax.set_ylabel(names[j])
    _style.legend(ax)
    return ax


def cost_function(estimator, X, y, sample_weight=None):
    """The training objective of a fitted descend estimator as a function of its weights.

    The weights are ordered as :func:`parameter_path` orders them, intercept(s) first then
    the coefficients, so ``cost_function(reg, X, y)`` can be drawn by :func:`contour` or
    :func:`surface` under the estimator's own path. At every recorded epoch it equals
    ``history_.loss`` (loss plus penalty on all rows).

    Returns
    -------
    callable
        ``cost(theta)`` for ``theta`` of shape ``(p,)``, or a batch of shape ``(..., p)``.

    Examples
    --------
    >>> import numpy as np
    >>> from descend import GDRegressor, datasets, plot
    >>> X, y = datasets.regression()
    >>> reg = GDRegressor(learning_rate=0.1, record_weights=True).fit(X, y)
    >>> cost = plot.cost_function(reg, X, y)
    >>> theta = np.r_[reg.intercept_, reg.coef_]
    >>> bool(np.isclose(cost(theta), reg.history_.loss[-1]))
    True
    """
    if not hasattr(estimator, "objective_function"):
        raise TypeError(f"cost_function needs a descend estimator, not {type(estimator).__name__}")
    return estimator.objective_function(X, y, sample_weight)


def _dims(dims, d):
    try:
        i, j = (int(k) for k in dims)
    except (TypeError, ValueError):
        raise ValueError(f"dims must be two coordinate indices, got {dims!r}") from None
    for k in (i, j):
        if not -d <= k < d:
            raise ValueError(f"dims {dims!r} out of range for a path of {d} coordinates")
    if i % d == j % d:
        raise ValueError(f"dims must name two different coordinates, got {dims!r}")
    return i % d, j % d
