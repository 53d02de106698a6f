"""The pictures of each tutorial experiment, drawn from the runs its report holds.

:func:`pictures` lists, for one :class:`descend.tutorials.Report`, the figures (PNG) and
animations (GIF) that show what the experiment shows; :func:`save` draws one and writes it.
Everything is drawn with :mod:`descend.plot` and its replays (``descend.animate``, which is
:mod:`descend.plot.animate`), so each picture is also an example of the public API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Picture", "pictures", "save"]

#: Resolution of the written pictures: stills, and animation frames (smaller, many of them).
STILL_DPI = 100
FRAME_DPI = 72


@dataclass(frozen=True)
class Picture:
    """One picture of an experiment: ``draw()`` returns a Matplotlib figure or axes, or a
    :class:`descend.plot.animate.Replay` when ``animated``."""

    name: str
    caption: str
    draw: Callable[[], object]
    animated: bool = False

    @property
    def filename(self) -> str:
        return f"{self.name}.{'gif' if self.animated else 'png'}"


def pictures(report) -> list[Picture]:
    """The pictures of one experiment's report (an empty list for an unknown key)."""
    make = _RECIPES.get(report.key)
    return make(report) if make else []


def save(picture: Picture, folder) -> Path:
    """Draw ``picture`` and write it into ``folder``, complete or not at all; returns the
    path. The figure is closed afterwards."""
    import matplotlib.pyplot as plt

    path = Path(folder) / picture.filename
    drawn = picture.draw()
    fig = getattr(drawn, "figure", drawn)  # an Axes, a Replay or a Figure itself
    try:
        if picture.animated:
            drawn.save(path, dpi=FRAME_DPI)
        else:
            from descend.datafiles import atomic_path

            with atomic_path(path) as partial:
                fig.savefig(partial, format="png", dpi=STILL_DPI)
    finally:
        plt.close(fig)
    return path


# ---------------------------------------------------------------------------- per experiment


def _t1(report) -> list[Picture]:
    from descend import animate, functions, plot

    res = report.runs["descent"]
    f = functions.quadratic
    return [
        Picture("t1-curve", "f(x) = x² − 6x + 5 with every 10th iterate on it and the "
                "minimum at x = 3 marked.", lambda: plot.curve(f, res, every=10)),
        Picture("t1-distance", "The squared distance (3 − xₖ)² to the minimiser against the "
                "iteration, on a log scale: it shrinks by the same factor every step.",
                lambda: plot.loss(res, metric=_squared_distance, log=True)),
        Picture("t1-descent", "The iterates walking down the curve, every 10th step.",
                lambda: animate.descent_on_curve(f, res, every=10), animated=True),
    ]  # fmt: skip


def _squared_distance(x):
    return (3.0 - x) ** 2


_squared_distance.__name__ = "(3 − x)²"


def _t2(report) -> list[Picture]:
    from descend import functions, plot

    long, quartic = report.runs["100 steps"], report.runs["w1² + w2⁴"]

    def steps():
        ax = plot.curve(functions.square, report.runs["30 steps"], bounds=(-22, 22))
        ax.set_xlabel("w")
        return ax

    return [
        Picture("t2-steps", "w² from w = 20 at learning rate 0.1: the first 30 iterates, each "
                "0.8 times the last.", steps),
        Picture("t2-geometric", "|w| over 100 steps on a log scale: a straight line, the "
                "geometric rate 0.8ᵏ.", lambda: plot.loss(long, metric=_abs_w, log=True)),
        Picture("t2-quartic", "w1² + w2⁴ from (1.5, 1.5): w1 vanishes quickly, w2 crawls "
                "along the flat quartic floor.", lambda: plot.contour(
                    functions.quartic, quartic, bounds=((-2, 2), (-2, 2)), arrows=False)),
    ]  # fmt: skip


def _abs_w(w):
    return abs(w)


_abs_w.__name__ = "|w|"


def _t3(report) -> list[Picture]:
    from descend import animate, functions, plot, tutorials

    f, box = functions.sphere, ((-10, 10), (-10, 10))
    w0 = report.runs["η=0.05, α=0.9"].history.x[0]
    slow, fast = report.runs["η=0.05, α=0.0"], report.runs["η=0.05, α=0.9"]
    return [
        Picture("t3-path", "f(w) = w1² + w2² over [−10, 10]² as colour, the minimum marked, "
                "five steps at η = 0.05 with momentum 0.9 drawn with arrows.",
                lambda: plot.contour(f, fast, bounds=box, resolution=50, kind="image")),
        Picture("t3-grid", "The learning-rate × momentum grid: five steps from the same start "
                "for every pair.", lambda: plot.grid(f, w0, tutorials.T3_LEARNING_RATES,
                                                     tutorials.T3_MOMENTA, 5, bounds=box)),
        Picture("t3-momentum", "η = 0.05 without momentum (crawling) and with momentum 0.9, "
                "step by step.", lambda: animate.contour_path(
                    f, slow, fast, bounds=box, labels=["α = 0", "α = 0.9"],
                    interval_ms=600), animated=True),
    ]  # fmt: skip


def _t4(report) -> list[Picture]:
    from descend import animate, datasets, plot

    reg = report.runs["gradient descent"]
    X, y = datasets.regression()
    exact = datasets.least_squares(X, y, fit_intercept=True)
    optimum = (float(exact.intercept), float(exact.coef[0]))

    def cost():
        return plot.cost_function(reg, X, y)

    def bowl():
        ax = plot.surface(cost(), reg, bounds=((-20, 20), (-10, 80)), minima=optimum,
                          resolution=40, azim=-130)  # fmt: skip
        ax.set_title("J(θ) = (1/2m)‖Xθ − y‖²")
        return ax

    return [
        Picture("t4-fit", "The data, the line found by gradient descent and the least-squares "
                "line.", lambda: plot.fit_line(reg, X, y, reference=exact)),
        Picture("t4-path", "θ's path in (intercept, slope) over contours of the cost, ending "
                "short of the least-squares minimum (star).",
                lambda: plot.parameter_path(reg, fun=cost(), reference=optimum)),
        Picture("t4-cost", "The cost J(θ) against the epoch, on a log scale.",
                lambda: plot.loss(reg, log=True)),
        Picture("t4-surface", "The cost bowl over (intercept, slope) with the path and the "
                "minimum.", bowl),
        Picture("t4-line", "The line approaching the least-squares line, every 25th epoch.",
                lambda: animate.line_fit(reg, X, y, every=25, reference=exact,
                                         interval_ms=60), animated=True),
    ]  # fmt: skip


def _t5(report) -> list[Picture]:
    from descend import animate, datasets, plot

    clf = report.runs["batch descent"]
    X, y = datasets.blobs()
    return [
        Picture("t5-boundary", "The two blobs by class and the decision boundary after 100 "
                "epochs.", lambda: plot.decision_boundary(clf, X, y)),
        Picture("t5-loss", "The tutorial's monitor, Σ(σ(w·x + b) − y)², against the epoch.",
                lambda: plot.loss(clf, metric="sse")),
        Picture("t5-training", "The decision boundary moving into place, epoch by epoch.",
                lambda: animate.decision_boundary(clf, X, y, every=1, interval_ms=80),
                animated=True),
    ]  # fmt: skip


def _t6(report) -> list[Picture]:
    from descend import datasets, plot

    batch, sgd = report.runs["batch"], report.runs["stochastic"]
    X_train, _, y_train, _ = datasets.digits01()
    labels = ["batch", "stochastic"]
    m9 = [report.runs[f"{mode}, momentum 0.9, threshold 0.01"] for mode in ("batch", "stochastic")]
    return [
        Picture("t6-digits", "The first ten training images (8 × 8 pixels) and their labels.",
                lambda: plot.images(X_train, labels=y_train, n=10)),
        Picture("t6-error", "E = ½Σ(t − o)² against the epoch for batch and stochastic "
                "descent (momentum 0.7, threshold 0.1).",
                lambda: plot.loss(batch, sgd, labels=labels, log=True)),
        Picture("t6-momentum", "The same at momentum 0.9 and threshold 0.01: stochastic "
                "descent stops in far fewer epochs.",
                lambda: plot.loss(*m9, labels=labels, log=True)),
        Picture("t6-error-rate", "Training error rate against the epoch.",
                lambda: plot.loss(batch, sgd, labels=labels, metric="error_rate")),
    ]  # fmt: skip


def _t7(report) -> list[Picture]:
    from descend import datasets, plot

    reg = report.runs["gradient descent"]
    X, y = datasets.dummy_trap()
    return [
        Picture("t7-cost", "The cost ½‖Xw − y‖² against the step, on a log scale.",
                lambda: plot.loss(reg, log=True)),
        Picture("t7-predictions", "Each row's target (ring) and prediction (dot).",
                lambda: plot.predictions(reg, X, y)),
    ]  # fmt: skip


_RECIPES: dict[str, Callable] = {
    "T1": _t1,
    "T2": _t2,
    "T3": _t3,
    "T4": _t4,
    "T5": _t5,
    "T6": _t6,
    "T7": _t7,
}
