"""Animations that replay a run's record frame by frame.

The replays live in :mod:`descend.plot` beside the still pictures they share their drawing
with, and are reached as ``descend.animate`` too (the same module). Each function takes what
the matching still picture takes, draws the still parts once, and returns a
:class:`Replay`: a Matplotlib animation whose frames are rows of the run's history (every
``every``-th row, and always the last). ``replay.save("run.gif")`` writes a GIF with Pillow,
``replay.save("run.mp4")`` an MP4 when ffmpeg is installed; in Jupyter a replay shows itself
inline as an interactive player.

==========================  ===========================================================
function                    replays
==========================  ===========================================================
:func:`descent_on_curve`    iterates walking down a one-variable function (T1)
:func:`contour_path`        paths growing over a contour map (T3)
:func:`decision_boundary`   a linear classifier's boundary moving epoch by epoch (T5)
:func:`line_fit`            a fitted line approaching the data epoch by epoch (T4)
==========================  ===========================================================

Examples
--------
>>> import descend
>>> from descend import animate, functions
>>> res = descend.minimize(functions.quadratic, 15.0, learning_rate=0.01, xtol=0.001)
>>> replay = animate.descent_on_curve(functions.quadratic, res, every=10)
>>> replay.n_frames, int(replay.rows[-1])
(29, 273)
>>> replay.save(tmp_path / "t1.gif")   # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import animation

from descend._validation import check_positive
from descend.plot import _style
from descend.plot._grids import box, evaluate_line, interval
from descend.plot._records import frame_rows, trace
from descend.plot.landscape import _labels, contour, curve
from descend.plot.models import (
    _data_mesh,
    _one_feature,
    _reference_line,
    _two_features,
    scatter_classes,
)

__all__ = ["Replay", "contour_path", "decision_boundary", "descent_on_curve", "line_fit"]

#: Formats :meth:`Replay.save` writes, by file suffix.
FORMATS = {".gif": "pillow", ".mp4": "ffmpeg"}


class Replay(animation.FuncAnimation):
    """A run's record played back: frame ``i`` shows history row ``rows[i]``.

    Attributes
    ----------
    rows : numpy.ndarray
        The history rows shown, one per frame.
    figure : matplotlib.figure.Figure
        The figure the frames are drawn on (to inspect, save a still of, or close).
    """

    def __init__(self, fig, update, rows, *, interval=100):
        self.rows = np.asarray(rows)
        self._update = update
        update(0)  # the figure shows the first frame before anything plays
        super().__init__(
            fig, update, frames=len(self.rows), interval=check_positive(interval, "interval_ms"),
            blit=False, repeat=True, cache_frame_data=False,
        )  # fmt: skip

    @property
    def figure(self):
        """The figure the frames are drawn on."""
        # Matplotlib's animations keep their figure only under a private name; callers
        # outside this module read it here instead.
        return self._fig

    @property
    def n_frames(self) -> int:
        """How many frames the replay has."""
        return len(self.rows)

    def save(
        self, filename, writer=None, fps=None, dpi=None, codec=None, bitrate=None,
        extra_args=None, metadata=None, extra_anim=None, savefig_kwargs=None, *,
        progress_callback=None,
    ):  # fmt: skip
        """Write the replay to ``filename``: ``.gif`` (Pillow) or ``.mp4`` (ffmpeg).

        The file appears complete or not at all: frames go to a temporary file beside it,
        renamed into place when the last frame is written. The arguments are those of
        :meth:`matplotlib.animation.Animation.save`.

        Parameters
        ----------
        filename : str or os.PathLike
        writer : str or matplotlib.animation.AbstractMovieWriter, optional
            A writer's name (``"pillow"``, ``"ffmpeg"`` …) or object; by default chosen from
            the suffix.
        fps : float, optional
            Frames per second; by default one frame per ``interval_ms`` milliseconds.
        dpi : float, optional
            Resolution; by default the figure's.
        codec, bitrate, extra_args, metadata
            Passed to the writer this method makes (ignored with a writer object).
        savefig_kwargs : dict, optional
            Passed to ``savefig`` for every frame (``facecolor=`` …).
        progress_callback : callable, optional
            Called as ``progress_callback(frame, n_frames)`` after each frame is drawn.

        Examples
        --------
        >>> import descend
        >>> from descend import animate, functions
        >>> res = descend.minimize(functions.quadratic, 15.0, learning_rate=0.1, xtol=0.01)
        >>> replay = animate.descent_on_curve(functions.quadratic, res, every=5)
        >>> replay.save(tmp_path / "run.gif", dpi=40)   # doctest: +SKIP
        """
        if extra_anim:
            raise ValueError("A replay saves alone: extra_anim is not supported")
        path = Path(filename)
        if path.is_dir():
            raise IsADirectoryError(f"{str(path)!r} is a folder: give a file name to save to")
        if not path.parent.is_dir():
            raise FileNotFoundError(f"No folder {str(path.parent)!r} to save {path.name} in")
        made = writer is None or isinstance(writer, str)
        if made:
            writer = self._make_writer(path, writer, fps, codec, bitrate, extra_args, metadata)
        from descend.datafiles import atomic_path

        # a GIF of our own writer's making is drawn by its moving parts only
        canvas = self._fig.canvas
        fast = made and isinstance(writer, animation.PillowWriter) and not savefig_kwargs
        fast = fast and hasattr(canvas, "copy_from_bbox") and hasattr(canvas, "buffer_rgba")
        try:
            with atomic_path(path) as partial:
                if fast:
                    self._save_gif(partial, writer.fps, dpi, progress_callback)
                else:
                    # Frame by frame through the writer: one draw per frame (the generic
                    # animation save draws every frame twice on a non-interactive canvas).
                    at = dpi if dpi is not None else self._fig.dpi
                    with writer.saving(self._fig, partial, at):
                        for i in range(self.n_frames):
                            self._update(i)
                            writer.grab_frame(**(savefig_kwargs or {}))
                            if progress_callback is not None:
                                progress_callback(i, self.n_frames)
        finally:
            self._update(0)
        self._draw_was_started = True  # rendered: no "deleted without rendering" warning

    def _save_gif(self, path, fps, dpi, progress_callback):
        """Write the GIF that Pillow's writer would, drawing each frame by the part that
        moves: the still parts are drawn once, and each frame puts that picture back and
        draws over it only the artists the update returns and the axes' titles. A full draw
        of every frame spent most of its time on the ticks and labels, which never change.
        (The moving artists are drawn above the still ones, as they are in every replay.)"""
        from PIL import Image

        fig, canvas = self._fig, self._fig.canvas
        titles = [ax.title for ax in fig.axes]
        moving = [*self._update(0), *titles]
        before = fig.dpi
        if dpi is not None:
            fig.set_dpi(dpi)
        for artist in moving:
            artist.set_animated(True)
        try:
            canvas.draw()
            still = canvas.copy_from_bbox(fig.bbox)
            frames = []
            for i in range(self.n_frames):
                canvas.restore_region(still)
                for artist in [*self._update(i), *titles]:
                    fig.draw_artist(artist)
                rgba = np.asarray(canvas.buffer_rgba())
                frame = Image.fromarray(rgba.copy(), "RGBA")
                # opaque frames go to GIF through RGB, as Pillow's writer sends them
                frames.append(frame.convert("RGB") if rgba[..., 3].min() == 255 else frame)
                if progress_callback is not None:
                    progress_callback(i, self.n_frames)
            frames[0].save(
                path, format="GIF", save_all=True, append_images=frames[1:],
                duration=int(1000 / fps), loop=0,
            )  # fmt: skip
        finally:
            for artist in moving:
                artist.set_animated(False)
            fig.set_dpi(before)
            self._update(0)

    def _make_writer(self, path, name, fps, codec, bitrate, extra_args, metadata):
        suffix = path.suffix.lower()
        if name is None:
            if suffix not in FORMATS:
                raise ValueError(
                    f"Cannot tell how to write {str(path)!r}: a replay saves as "
                    + " or ".join(FORMATS)
                )
            name = FORMATS[suffix]
        if name.startswith("ffmpeg") and not animation.writers.is_available(name):
            raise RuntimeError(
                f"Saving {path.name} as MP4 needs ffmpeg, which is not installed (not found "
                "on PATH). Install it (apt install ffmpeg, brew install ffmpeg or conda "
                "install ffmpeg) or save as .gif, which needs only Pillow."
            )
        if not animation.writers.is_available(name):
            raise ValueError(
                f"Unknown or unavailable writer {name!r}; available: "
                + ", ".join(animation.writers.list())
            )
        fps = 1000.0 / self._interval if fps is None else check_positive(fps, "fps")
        options = {"codec": codec, "bitrate": bitrate, "extra_args": extra_args,
                   "metadata": metadata}  # fmt: skip
        return animation.writers[name](
            fps=fps, **{k: v for k, v in options.items() if v is not None}
        )

    def _repr_html_(self) -> str:
        return self.to_jshtml()


@_style.styled
def descent_on_curve(fun, result, *, every=10, bounds=None, interval_ms=100):
    """Replay a one-variable run: the current iterate moving down the curve, with a trail.

    Parameters
    ----------
    fun : callable
        The function the run minimised.
    result : descend.Result
        A one-variable run.
    every : int
        Show every ``every``-th iterate (and the last).
    bounds : (float, float), optional
        The x-range; by default the function's own, grown to hold the iterates.
    interval_ms : float
        Milliseconds between frames.

    Returns
    -------
    Replay

    Examples
    --------
    >>> import descend
    >>> from descend import animate, functions
    >>> res = descend.minimize(functions.quadratic, 15.0, learning_rate=0.01, xtol=0.001)
    >>> animate.descent_on_curve(functions.quadratic, res, every=10).n_frames
    29
    """
    tr = trace(result)
    path, _ = tr.path()
    if path.shape[1] != 1:
        raise ValueError(
            f"descent_on_curve replays a one-variable run; this one has {path.shape[1]} "
            "variables: use animate.contour_path"
        )
    xs = path[:, 0]
    rows = frame_rows(len(xs), every)
    fs = evaluate_line(fun, xs)  # on the curve drawn, as plot.curve places them
    ax = curve(fun, None, bounds=interval(fun, xs, bounds))
    (trail,) = ax.plot([], [], "o", color=_style.PATH, alpha=0.35, ms=4, label="visited")
    (head,) = ax.plot([], [], "o", color=_style.PATH, ms=10, mec="black", label="current")
    _style.legend(ax)

    def update(i):
        shown = rows[: i + 1]
        trail.set_data(xs[shown], fs[shown])
        row = rows[i]
        head.set_data(xs[row : row + 1], fs[row : row + 1])
        ax.set_title(f"{tr.unit} {tr.steps[row]}: x = {xs[row]:.4f}, f = {fs[row]:.4f}")
        return trail, head

    return Replay(ax.figure, update, rows, interval=interval_ms)


@_style.styled
def contour_path(
    fun,
    *results,
    every=1,
    bounds=None,
    kind="filled",
    levels=30,
    resolution=100,
    log=False,
    minima=None,
    labels=None,
    interval_ms=250,
):
    """Replay two-variable runs: their paths growing over the function's contour map.

    Runs of different lengths replay together; a finished run stays at its last point.

    Parameters
    ----------
    fun : callable
        ``f(w)`` of a 2-vector.
    *results : descend.Result or fitted estimator (``record_weights=True``)
    every : int
        Stride over the rows of the longest run.
    bounds, kind, levels, resolution, log, minima, labels
        As for :func:`descend.plot.contour`.
    interval_ms : float
        Milliseconds between frames.

    Returns
    -------
    Replay

    Examples
    --------
    >>> import descend
    >>> from descend import animate, functions
    >>> slow = descend.minimize(functions.sphere, [-8.0, 5.0], learning_rate=0.05, max_iter=5)
    >>> fast = descend.minimize(functions.sphere, [-8.0, 5.0], learning_rate=0.05,
    ...                         momentum=0.9, max_iter=5)
    >>> animate.contour_path(functions.sphere, slow, fast, labels=["α = 0", "α = 0.9"]).n_frames
    6
    """
    if not results:
        raise ValueError("contour_path needs at least one run to replay")
    traces = [trace(r) for r in results]
    paths = []
    for i, tr in enumerate(traces):
        path, names = tr.path()
        if path.shape[1] != 2:
            raise ValueError(
                f"contour_path replays two-variable runs; run {i + 1} has {path.shape[1]}"
            )
        paths.append(path)
    labels = _labels(labels, len(paths))
    ax = contour(fun, bounds=box(fun, paths, bounds), kind=kind, levels=levels,
                 resolution=resolution, log=log, minima=minima)  # fmt: skip
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    lines = []
    for i, _ in enumerate(paths):
        color = _style.PATH if len(paths) == 1 else _style.color(i)
        (line,) = ax.plot([], [], "-o", color=color, ms=3.5, lw=1.3, label=labels[i], zorder=4)
        (head,) = ax.plot([], [], "o", color=color, ms=9, mec="white", zorder=5)
        lines.append((line, head))
    _style.legend(ax)
    longest = max(len(p) for p in paths)
    rows = frame_rows(longest, every)
    unit = traces[int(np.argmax([len(p) for p in paths]))].unit

    def update(i):
        row = rows[i]
        for path, (line, head) in zip(paths, lines, strict=True):
            last = min(row, len(path) - 1)
            line.set_data(path[: last + 1, 0], path[: last + 1, 1])
            head.set_data(path[last : last + 1, 0], path[last : last + 1, 1])
        ax.set_title(f"{unit} {row}")
        return [artist for pair in lines for artist in pair]

    return Replay(ax.figure, update, rows, interval=interval_ms)


@_style.styled
def decision_boundary(classifier, X, y, *, every=1, resolution=120, interval_ms=100):
    """Replay a linear classifier's fit: its decision boundary moving epoch by epoch.

    Needs a descend classifier fitted with ``record_weights=True``. With two classes the
    boundary is the line ``w·x + b = threshold`` of each recorded epoch; with more, the
    regions of the class with the highest score are shaded.

    Parameters
    ----------
    classifier : descend.GDClassifier
    X : array_like of shape (n, 2)
    y : array_like of shape (n,)
    every : int
        Stride over the epochs.
    resolution : int
        Grid points per axis for the shaded regions (more than two classes).
    interval_ms : float
        Milliseconds between frames.

    Returns
    -------
    Replay

    Examples
    --------
    >>> from descend import GDClassifier, animate, datasets
    >>> X, y = datasets.blobs()
    >>> clf = GDClassifier(loss="log_loss", max_epochs=30, tol=None, record_weights=True)
    >>> animate.decision_boundary(clf.fit(X, y), X, y, every=10).n_frames
    4
    """
    if not hasattr(classifier, "classes_"):
        raise ValueError(
            f"decision_boundary replays a fitted classifier; {type(classifier).__name__} has "
            "no classes_"
        )
    tr = trace(classifier)
    X, y = _two_features(X, y, "decision_boundary")
    tr.path()  # a clear error when the weights were not recorded
    fitted_on = np.shape(tr.source.coef)[-1]
    if fitted_on != 2:
        raise ValueError(
            f"decision_boundary replays a classifier of two features; this one was fitted on "
            f"{fitted_on}"
        )
    coef = np.asarray(tr.source.coef, dtype=float)
    coef = coef.reshape(len(coef), -1, X.shape[1])
    intercept = np.asarray(tr.source.intercept, dtype=float).reshape(len(coef), -1)
    if not getattr(classifier, "fit_intercept", True):
        intercept = np.zeros_like(intercept)
    classes = np.asarray(classifier.classes_)
    threshold = classifier._loss_threshold() if hasattr(classifier, "_loss_threshold") else 0.0
    rows = frame_rows(len(coef), every)
    ax = _style.new_axes()
    X1, X2, points = _data_mesh(X, resolution)
    scatter_classes(ax, X, y, classes)
    ax.set_xlim(X1[0, 0], X1[0, -1])
    ax.set_ylim(X2[0, 0], X2[-1, 0])
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    ax.grid(False)
    accuracy = tr.source.accuracy if "accuracy" in tr.source.columns else None
    if coef.shape[1] == 1:
        (line,) = ax.plot([], [], color="black", lw=1.8, label="decision boundary")
        box_ = ((X1[0, 0], X1[0, -1]), (X2[0, 0], X2[-1, 0]))

        def draw(row):
            line.set_data(*_line_in_box(coef[row, 0], intercept[row, 0] - threshold, box_))
            return [line]
    else:
        from matplotlib.colors import ListedColormap

        colors = ListedColormap([_style.color(k) for k in range(len(classes))])
        image = ax.imshow(
            np.zeros(X1.shape), origin="lower", extent=(X1[0, 0], X1[0, -1], X2[0, 0],
            X2[-1, 0]), cmap=colors, vmin=-0.5, vmax=len(classes) - 0.5, alpha=0.18,
            aspect="auto", interpolation="nearest",
        )  # fmt: skip

        def draw(row):
            scores = points @ coef[row].T + intercept[row]
            image.set_data(np.argmax(scores, axis=-1))
            return [image]

    _style.legend(ax)

    def update(i):
        row = rows[i]
        artists = draw(row)
        title = f"epoch {tr.steps[row]}"
        if accuracy is not None:
            title += f": training accuracy {accuracy[row]:.0%}"
        ax.set_title(title)
        return artists

    return Replay(ax.figure, update, rows, interval=interval_ms)


@_style.styled
def line_fit(regressor, X, y, *, every=25, reference=None, interval_ms=80):
    """Replay a one-feature linear fit: the fitted line approaching the data.

    Needs a descend regressor fitted with ``record_weights=True``.

    Parameters
    ----------
    regressor : descend.GDRegressor
    X : array_like of shape (n, 1)
    y : array_like of shape (n,)
    every : int
        Stride over the epochs (and always the last).
    reference : as for :func:`descend.plot.fit_line`
        A still line to compare with (``True``: least squares).
    interval_ms : float
        Milliseconds between frames.

    Returns
    -------
    Replay

    Examples
    --------
    >>> from descend import GDRegressor, animate, datasets
    >>> X, y = datasets.regression()
    >>> reg = GDRegressor(learning_rate=0.001, max_epochs=5000, tol=None, record_weights=True)
    >>> animate.line_fit(reg.fit(X, y), X, y, every=25, reference=True).n_frames
    201
    """
    tr = trace(regressor)
    X, y = _one_feature(X, y, "line_fit")
    path, _ = tr.path()
    if path.shape[1] != (2 if getattr(regressor, "fit_intercept", True) else 1):
        raise ValueError("line_fit replays a one-feature, one-output linear fit")
    intercepts = path[:, 0] if path.shape[1] == 2 else np.zeros(len(path))
    slopes = path[:, -1]
    rows = frame_rows(len(path), every)
    ax = _style.new_axes()
    ax.scatter(X[:, 0], y, s=16, color=_style.color(5), alpha=0.8, label="data")
    xs = np.array([X[:, 0].min(), X[:, 0].max()])
    if reference is not None and reference is not False:
        ref_y, label = _reference_line(reference, X, y, xs)
        ax.plot(xs, ref_y, color="#333333", lw=1.5, ls="--", label=label)
    (line,) = ax.plot([], [], color=_style.PATH, lw=2, label="gradient descent")
    pad = 0.1 * (y.max() - y.min() + 1e-12)
    ax.set_ylim(y.min() - pad, y.max() + pad)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    _style.legend(ax)
    losses = tr.values()[0]

    def update(i):
        row = rows[i]
        line.set_data(xs, intercepts[row] + slopes[row] * xs)
        ax.set_title(
            f"epoch {tr.steps[row]}: y = {intercepts[row]:.2f} + {slopes[row]:.2f}·x, "
            f"cost {losses[row]:.4g}"
        )
        return [line]

    return Replay(ax.figure, update, rows, interval=interval_ms)


def _line_in_box(w, b, bounds):
    """Points of the line ``w·x + b = 0`` across ``bounds`` (empty when w is zero)."""
    (x_lo, x_hi), (y_lo, y_hi) = bounds
    w1, w2 = float(w[0]), float(w[1])
    if w1 == 0.0 and w2 == 0.0:
        return [], []
    if abs(w2) >= abs(w1):
        x1 = np.array([x_lo, x_hi])
        return x1, -(b + w1 * x1) / w2
    x2 = np.array([y_lo, y_hi])
    return -(b + w2 * x2) / w1, x2
