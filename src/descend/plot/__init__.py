"""Pictures of descent, drawn from the run records descend keeps.

Every function takes results of :func:`descend.minimize`, fitted estimators (their
``history_``) or functions, draws on the ``ax`` given (or a new figure) and returns the
Matplotlib ``Axes`` (``Figure`` for the many-panel pictures). None calls ``plt.show()``.

=========================  ===============================================================
function                   draws
=========================  ===============================================================
:func:`curve`              a one-variable function, a run's iterates on it, the minimum
:func:`loss`               objective (or any history column) against iteration / epoch
:func:`contour`            a two-variable function as colour, paths with arrows, minima
:func:`surface`            the same as a 3-D surface with the path lying on it
:func:`grid`               the learning-rate × momentum panel grid of paths (a Figure)
:func:`parameter_path`     the path through parameter space (intercept, slope …)
:func:`decision_boundary`  two-feature data by class and a classifier's boundary
:func:`fit_line`           one-feature data, the fitted line and a reference line
:func:`images`             rows of X as small greyscale images (a Figure)
:func:`predictions`        predictions against targets
=========================  ===============================================================

:func:`cost_function` turns a fitted estimator into the function of its weights that
:func:`contour`, :func:`surface` and :func:`parameter_path` draw its path over.

One small style throughout: the Okabe–Ito colours (readable with any common colour-vision
deficiency), ``viridis`` landscapes (ordered in greyscale print too) and plain-text labels.
Animations of the same records live beside them in :mod:`descend.plot.animate`, which is
also ``descend.animate``.

Examples
--------
>>> import descend
>>> from descend import functions, plot
>>> res = descend.minimize(functions.quadratic, 15.0, learning_rate=0.01, xtol=0.001)
>>> ax = plot.curve(functions.quadratic, res, every=10)
>>> ax.figure.savefig(tmp_path / "t1.png")   # doctest: +SKIP
"""

# The replays draw with the modules below; Matplotlib is loaded for those anyway, so the
# animation machinery adds little to importing the pictures.
from descend.plot import animate
from descend.plot._style import CMAP, PALETTE
from descend.plot.landscape import contour, curve, grid, surface
from descend.plot.models import decision_boundary, fit_line, images, predictions
from descend.plot.runs import cost_function, loss, parameter_path

__all__ = [
    "CMAP",
    "PALETTE",
    "animate",
    "contour",
    "cost_function",
    "curve",
    "decision_boundary",
    "fit_line",
    "grid",
    "images",
    "loss",
    "parameter_path",
    "predictions",
    "surface",
]
