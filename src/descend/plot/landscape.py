"""Functions and the paths descent takes over them: :func:`curve`, :func:`contour`,
:func:`surface` and the learning-rate × momentum :func:`grid`."""

from __future__ import annotations

import numpy as np

from descend._validation import check_count
from descend.plot import _style
from descend.plot._grids import (
    box,
    check_resolution,
    evaluate,
    evaluate_line,
    interval,
    mesh,
)
from descend.plot._records import frame_rows, trace

__all__ = ["contour", "curve", "grid", "surface"]

_KINDS = ("filled", "image", "lines")


@_style.styled
def curve(fun, result=None, *, ax=None, bounds=None, every=1, minimum=None, resolution=400):
    """Draw a one-variable function with the iterates of a run on it and its minimum marked.

    Parameters
    ----------
    fun : callable
        ``f(x)`` of one float (batched over an array when it can be; see
        :mod:`descend.functions`).
    result : descend.Result, optional
        A run on ``fun``; every ``every``-th iterate is placed on the curve (the last always).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when left out.
    bounds : (float, float), optional
        The x-range. By default the function's own range (for the :mod:`descend.functions`
        zoo) grown to hold the iterates, or the iterates' extent with a margin.
    every : int
        Stride over the iterates.
    minimum : float, sequence of float or False, optional
        Where to mark the minimum; by default the function's known minimisers. ``False``
        marks none.
    resolution : int
        Points on the curve.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import descend
    >>> from descend import functions, plot
    >>> res = descend.minimize(functions.quadratic, 15.0, learning_rate=0.01, xtol=0.001)
    >>> ax = plot.curve(functions.quadratic, res, every=10)
    >>> len(ax.collections[0].get_offsets())   # iterates 0, 10, …, 270 and the last
    29
    """
    resolution = check_resolution(resolution)
    xs = np.empty(0)
    if result is not None:
        path, _ = trace(result).path()
        if path.shape[1] != 1:
            raise ValueError(
                f"curve draws a function of one variable; this run has {path.shape[1]}: use "
                "plot.contour"
            )
        xs = path[frame_rows(len(path), every), 0]
    marks = _minimizers(fun, minimum, ndim=1)
    lo, hi = interval(fun, np.concatenate([xs, marks]) if len(marks) else xs, bounds)
    ax = _style.new_axes(ax)
    grid_x = np.linspace(lo, hi, resolution)
    ax.plot(grid_x, evaluate_line(fun, grid_x), color="#333333", lw=1.6, label=_name(fun))
    if len(xs):
        ax.scatter(
            xs, evaluate_line(fun, xs), s=22, color=_style.PATH, zorder=3,
            label=f"iterates (every {every})" if every > 1 else "iterates",
        )  # fmt: skip
    if len(marks):
        ax.scatter(marks, evaluate_line(fun, marks), zorder=4, label="minimum", **_style.MINIMUM)
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    ax.set_xlim(lo, hi)
    _title(ax, fun)
    _style.legend(ax)
    return ax


@_style.styled
def contour(
    fun,
    *results,
    ax=None,
    bounds=None,
    kind="filled",
    levels=30,
    resolution=100,
    log=False,
    minima=None,
    labels=None,
    arrows=True,
    annotate=True,
    colorbar=True,
):
    """Draw a two-variable function as a contour or colour map with the paths of runs on it.

    Each path is drawn point to point with arrows, its last point annotated with the value
    found; the function's known minima are marked with stars.

    Parameters
    ----------
    fun : callable
        ``f(w)`` of a 2-vector. A function that takes a batch of points (shape ``(..., 2)``)
        is called once over the grid; any other is called point by point.
    *results : descend.Result or fitted estimator
        Runs to draw. An estimator's path is (intercept, slope) and needs
        ``record_weights=True``; draw it over :func:`descend.plot.cost_function`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when left out.
    bounds : ((x_lo, x_hi), (y_lo, y_hi)), optional
        The box; by default the function's own box grown to hold the paths, or the paths'
        extent with a margin.
    kind : {"filled", "image", "lines"}
        Filled contours, a colour map (one colour per grid cell), or contour lines only.
    levels : int
        Number of contour levels.
    resolution : int
        Grid points along each axis.
    log : bool
        Colour by ``log10(f − min f)`` over the box, for functions that span many orders of
        magnitude (Rosenbrock, Beale).
    minima : array_like or False, optional
        Points to mark as minima; by default the function's known minimisers.
    labels : sequence of str, optional
        One legend entry per run.
    arrows, annotate, colorbar : bool
        Draw arrows along the paths, annotate each path's last point, add a colour bar.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import descend
    >>> from descend import functions, plot
    >>> res = descend.minimize(functions.sphere, [-6.0, 8.0], learning_rate=0.1,
    ...                        momentum=0.5, max_iter=10, tol=-1)
    >>> ax = plot.contour(functions.sphere, res)
    >>> ax.lines[0].get_xdata()[:2]
    array([-6. , -4.8])
    """
    if kind not in _KINDS:
        raise ValueError(f"Invalid kind: {kind!r}; choose one of {_KINDS}")
    resolution = check_resolution(resolution)
    traces = [trace(r) for r in results]
    paths = [_plane_path(t, i) for i, t in enumerate(traces)]
    labels = _labels(labels, len(paths))
    bnds = box(fun, [p for p, _ in paths], bounds)
    ax = _style.new_axes(ax)
    X1, X2, points = mesh(bnds, resolution)
    Z = evaluate(fun, points)
    _landscape(ax, X1, X2, Z, kind=kind, levels=levels, log=log, colorbar=colorbar)
    _mark_minima(ax, _minimizers(fun, minima, ndim=2))
    for i, (path, _) in enumerate(paths):
        color = _style.PATH if len(paths) == 1 else _style.color(i)
        draw_path(ax, path, color=color, label=labels[i], arrows=arrows)
        if annotate:
            _annotate_end(ax, path[-1], evaluate(fun, path[-1:])[0], color)
    names = paths[0][1] if paths else ["w₁", "w₂"]
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_xlim(*bnds[0])
    ax.set_ylim(*bnds[1])
    ax.grid(False)
    _title(ax, fun)
    _style.legend(ax)
    return ax


@_style.styled
def surface(
    fun, result=None, *, ax=None, bounds=None, resolution=60, minima=None, elev=30, azim=-60
):
    """Draw a two-variable function as a 3-D surface with a run's path lying on it.

    Parameters
    ----------
    fun : callable
        ``f(w)`` of a 2-vector (see :func:`contour`).
    result : descend.Result or fitted estimator, optional
        The run whose path is drawn on the surface (at height ``fun(w)``).
    ax : mpl_toolkits.mplot3d.Axes3D, optional
        3-D axes to draw on; a new figure when left out.
    bounds, resolution, minima
        As for :func:`contour`.
    elev, azim : float
        The viewing angle, in degrees.

    Returns
    -------
    mpl_toolkits.mplot3d.Axes3D

    Examples
    --------
    >>> import descend
    >>> from descend import functions, plot
    >>> res = descend.minimize(functions.booth, [-8.0, -6.0], learning_rate=0.02, max_iter=50)
    >>> ax = plot.surface(functions.booth, res)
    >>> ax.name
    '3d'
    """
    resolution = check_resolution(resolution)
    path, names = (None, ["w₁", "w₂"])
    if result is not None:
        path, names = _plane_path(trace(result), 0)
    bnds = box(fun, [] if path is None else [path], bounds)
    ax = _style.new_axes(ax, projection="3d")
    X1, X2, points = mesh(bnds, resolution)
    Z = np.ma.masked_invalid(evaluate(fun, points))
    ax.plot_surface(X1, X2, Z, cmap=_style.CMAP, alpha=0.75, linewidth=0, antialiased=True)
    if path is not None:
        height = evaluate(fun, path)
        ax.plot(path[:, 0], path[:, 1], height, color=_style.PATH, lw=2.2, zorder=5,
                marker="o" if len(path) <= 100 else None, ms=3, label="path")  # fmt: skip
    marks = _minimizers(fun, minima, ndim=2)
    if len(marks):
        ax.scatter(marks[:, 0], marks[:, 1], evaluate(fun, marks), zorder=6, label="minimum",
                   **_style.MINIMUM)  # fmt: skip
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_zlabel("f")
    ax.view_init(elev=elev, azim=azim)
    _title(ax, fun)
    _style.legend(ax)
    return ax


@_style.styled
def grid(
    fun,
    x0,
    learning_rates,
    momenta,
    n_iter,
    *,
    bounds=None,
    kind="filled",
    resolution=50,
    **options,
):
    """Run descent with momentum for every (learning rate, momentum) pair and draw each path
    on its own panel: rows are learning rates, columns momenta.

    Each run takes ``n_iter`` steps of ``Δw ← −η ∇f(w) + α Δw;  w ← w + Δw`` from ``x0``
    (no other rule stops it; a run that diverges stops there, as its panel shows). A
    two-variable function is drawn as contour panels, a one-variable function as curves
    with the iterates on them.

    Parameters
    ----------
    fun : callable
        ``f(w)``, with ``.grad`` or differentiated numerically.
    x0 : float or array_like of two floats
        The common start.
    learning_rates, momenta : sequence of float
        η per row and α per column.
    n_iter : int
        Steps per run.
    bounds, kind, resolution
        As for :func:`contour` (or :func:`curve`); the landscape is evaluated once.
    **options
        Settings of every run (``optimizer="nesterov"``, ``gtol`` …). The runs are made
        together by :func:`descend.sweep` (as one batch when ``fun`` takes one); options only
        :func:`descend.minimize` has make them one :func:`descend.minimize` call each.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from descend import functions, plot
    >>> w0 = np.random.RandomState(19).uniform(-10, 10, 2)
    >>> fig = plot.grid(functions.sphere, w0, [0.05, 0.2, 0.5, 0.8], [0, 0.5, 0.9], 5)
    >>> len(fig.axes), fig.axes[2].get_title()
    (12, 'η = 0.05, α = 0.9')
    """
    from descend.descent import minimize
    from descend.sweeps import sweep

    rates, moms = _numbers(learning_rates, "learning_rates"), _numbers(momenta, "momenta")
    if np.size(x0) not in (1, 2):
        raise ValueError(f"grid draws runs of one or two variables; x0 = {x0!r} has {np.size(x0)}")
    n_iter = check_count(n_iter, "n_iter", minimum=1)
    if kind not in _KINDS:
        raise ValueError(f"Invalid kind: {kind!r}; choose one of {_KINDS}")
    resolution = check_resolution(resolution)
    options = {"tol": -1, **options}
    if set(options) <= _SWEPT_TOGETHER:
        # every pair at once: one batch when the function takes one (descend.sweep)
        runs = sweep(fun, x0, learning_rate=rates, momentum=moms, n_iter=n_iter, **options)
        if runs.path is None:  # pragma: no cover - only for enormous grids
            runs = sweep(fun, x0, learning_rate=rates, momentum=moms, n_iter=n_iter,
                         record_path=True, **options)  # fmt: skip
    else:
        options["max_iter"] = n_iter
        runs = {
            (lr, m): minimize(fun, x0, learning_rate=lr, momentum=m, **options)
            for lr in rates
            for m in moms
        }
    return grid_of_runs(fun, runs, bounds=bounds, kind=kind, resolution=resolution)


#: The options of :func:`grid` that :func:`descend.sweep` takes; any other runs the grid with
#: one :func:`descend.minimize` call per panel.
_SWEPT_TOGETHER = {"optimizer", "grad", "args", "tol", "xtol", "gtol", "target"}


def _runs_by_pair(runs) -> dict:
    """The runs keyed ``(learning rate, momentum)``: a dict as it is, or the rows of a
    :class:`descend.SweepResult` with their histories."""
    if isinstance(runs, dict):
        return runs
    return {
        (run.settings["learning_rate"], run.settings.get("momentum", 0.0)): run.result()
        for run in runs
    }


@_style.styled
def grid_of_runs(fun, runs, *, bounds=None, kind="filled", resolution=50):
    """Draw runs made already, as :func:`grid` does: a dict of results keyed ``(learning
    rate, momentum)``, or the :class:`descend.SweepResult` of a learning-rate × momentum
    :func:`descend.sweep` (made with its paths kept).

    Examples
    --------
    >>> import descend
    >>> from descend import functions, plot
    >>> runs = descend.sweep(functions.sphere, [-8.0, 5.0], learning_rate=[0.1, 0.5],
    ...                      momentum=[0.0, 0.9], n_iter=5)
    >>> len(plot.landscape.grid_of_runs(functions.sphere, runs).axes)
    4
    """
    import matplotlib.pyplot as plt

    runs = _runs_by_pair(runs)

    rates = list(dict.fromkeys(lr for lr, _ in runs))
    moms = list(dict.fromkeys(m for _, m in runs))
    first = next(iter(runs.values()))
    one_variable = np.ndim(first.history.x) == 1
    fig, axes = plt.subplots(
        len(rates), len(moms), figsize=(3.0 * len(moms) + 0.6, 2.7 * len(rates) + 0.6),
        sharex=True, sharey=True, squeeze=False, layout="constrained",
    )  # fmt: skip
    if one_variable:
        visited = np.concatenate([r.history.x for r in runs.values()])
        lims = interval(fun, visited, bounds)
    else:
        lims = box(fun, [np.atleast_2d(r.history.x) for r in runs.values()], bounds)
        X1, X2, points = mesh(lims, resolution)
        Z = evaluate(fun, points)
        marks = _minimizers(fun, None, ndim=2)
    for (i, lr), (j, m) in ((a, b) for a in enumerate(rates) for b in enumerate(moms)):
        ax, res = axes[i, j], runs.get((lr, m))
        if res is None:
            ax.set_axis_off()
            continue
        if one_variable:
            curve(fun, res, ax=ax, bounds=lims)
            ax.get_legend().remove()
            ax.set_xlabel("x" if i == len(rates) - 1 else "")
            ax.set_ylabel("f(x)" if j == 0 else "")
        else:
            _landscape(ax, X1, X2, Z, kind=kind, levels=20, log=False, colorbar=False)
            _mark_minima(ax, marks, size=120)
            draw_path(ax, res.history.x, color=_style.PATH, label=None, arrows=True)
            ax.set_xlim(*lims[0])
            ax.set_ylim(*lims[1])
            ax.grid(False)
            ax.set_xlabel("w₁" if i == len(rates) - 1 else "")
            ax.set_ylabel("w₂" if j == 0 else "")
        ax.set_title(f"η = {lr:g}, α = {m:g}")
        ax.text(0.03, 0.04, f"f = {res.fun:.3g}", transform=ax.transAxes, fontsize=8,
                color="black" if one_variable else "white")  # fmt: skip
    start = np.array2string(np.asarray(first.history.x[0], dtype=float), precision=3)
    steps = max(r.nit for r in runs.values())
    fig.suptitle(f"{_name(fun) or 'f'}: {steps} steps from {start}")
    return fig


# ---------------------------------------------------------------------------- drawing parts


#: Longest path drawn with a marker on every point and an arrow on every step; longer
#: paths get a plain line and arrows on about this many evenly spaced steps.
DENSE = 60


def draw_path(ax, path, *, color, label, arrows=True, ms=3.5):
    """A path point to point (its first line on ``ax``), with arrows showing the direction."""
    path = np.asarray(path, dtype=float)
    marker = "o" if len(path) <= DENSE else None
    (line,) = ax.plot(path[:, 0], path[:, 1], color=color, marker=marker, ms=ms, lw=1.2,
                      label=label, zorder=4)  # fmt: skip
    ax.scatter(path[:1, 0], path[:1, 1], s=45, facecolors="white", edgecolors=color, zorder=5)
    if arrows and len(path) > 1:
        steps = np.arange(len(path) - 1)
        if len(steps) > DENSE:
            steps = np.unique(np.linspace(0, len(steps) - 1, DENSE // 2).astype(int))
        tail, step = path[steps], path[steps + 1] - path[steps]
        ax.quiver(tail[:, 0], tail[:, 1], step[:, 0], step[:, 1], angles="xy",
                  scale_units="xy", scale=1, color=color, width=0.005, headwidth=4,
                  headlength=5, zorder=4)  # fmt: skip
    return line


def _landscape(ax, X1, X2, Z, *, kind, levels, log, colorbar):
    import matplotlib.colors as mcolors

    levels = check_count(levels, "levels", minimum=2)
    Z = np.ma.masked_invalid(Z)
    label = "f"
    if log:
        if Z.count() == 0:
            raise ValueError("The function is not finite anywhere in the box")
        shifted = Z - Z.min()
        positive = shifted[shifted > 0]
        # the grid's smallest gap above its minimum sets the floor: the colours span the
        # orders of magnitude the box really holds
        floor = float(positive.min()) if positive.count() else 1.0
        Z = np.ma.masked_invalid(shifted + floor)
        norm = mcolors.LogNorm(vmin=float(Z.min()), vmax=float(Z.max()))
        label = "f − min f (log scale)"
    else:
        norm = None
    if kind == "image":
        mappable = ax.pcolormesh(X1, X2, Z, shading="auto", cmap=_style.CMAP, norm=norm)
    else:
        ticks = (
            np.geomspace(norm.vmin, norm.vmax, levels) if log and norm.vmin < norm.vmax
            else levels
        )  # fmt: skip
        if kind == "filled":
            mappable = ax.contourf(X1, X2, Z, levels=ticks, cmap=_style.CMAP, norm=norm)
            ax.contour(X1, X2, Z, levels=ticks, colors="white", linewidths=0.3, alpha=0.5,
                       norm=norm)  # fmt: skip
        else:
            mappable = ax.contour(X1, X2, Z, levels=ticks, cmap=_style.CMAP, norm=norm)
    if colorbar:
        if log:
            from matplotlib.ticker import LogFormatterSciNotation, LogLocator

            ax.figure.colorbar(mappable, ax=ax, label=label, ticks=LogLocator(),
                               format=LogFormatterSciNotation())  # fmt: skip
        else:
            ax.figure.colorbar(mappable, ax=ax, label=label)
    return mappable


def _mark_minima(ax, marks, size=220):
    if len(marks):
        style = dict(_style.MINIMUM, s=size)
        ax.scatter(marks[:, 0], marks[:, 1], zorder=6, label="minimum", **style)


def _annotate_end(ax, point, value, color):
    ax.annotate(
        f"found: f = {value:.3g}",
        xy=(point[0], point[1]),
        xytext=(12, 12),
        textcoords="offset points",
        fontsize=8,
        color="black",
        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": color, "alpha": 0.85},
        arrowprops={"arrowstyle": "-", "color": color, "lw": 0.8},
        zorder=7,
    )


def _plane_path(tr, i):
    path, names = tr.path()
    if path.shape[1] != 2:
        raise ValueError(
            f"This picture draws two variables; run {i + 1} has {path.shape[1]} "
            f"({', '.join(names[:4])}{', …' if len(names) > 4 else ''})"
        )
    return path, names


def _minimizers(fun, given, *, ndim):
    if given is False:
        return np.empty(0) if ndim == 1 else np.empty((0, 2))
    if given is None:
        known = getattr(fun, "minimizers", None)
        if known is None or getattr(fun, "ndim", ndim) != ndim:
            return np.empty(0) if ndim == 1 else np.empty((0, 2))
        given = known
    marks = np.asarray(given, dtype=float)
    if ndim == 1:
        return marks.reshape(-1)
    if marks.size % 2:
        raise ValueError(f"minima must be points (w₁, w₂), got {given!r}")
    return marks.reshape(-1, 2)


def _labels(labels, n):
    if labels is None:
        return [None] * n if n <= 1 else [f"run {i + 1}" for i in range(n)]
    labels = list(labels)
    if len(labels) != n:
        raise ValueError(f"labels has {len(labels)} entries for {n} runs")
    return labels


def _numbers(values, what):
    try:
        out = [float(v) for v in values]
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a sequence of numbers, got {values!r}") from None
    if not out:
        raise ValueError(f"{what} is empty")
    return out


def _name(fun) -> str | None:
    return getattr(fun, "formula", None)


def _title(ax, fun):
    name = _name(fun)
    if name:
        ax.set_title(name)
