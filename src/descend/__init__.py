"""descend: gradient descent to learn, see, use and scale.

The core is one routine, :func:`minimize` (and :func:`maximize`), with every common optimizer
(:mod:`descend.optimizers`), learning-rate schedules (:mod:`descend.schedules`) and line search
(:mod:`descend.linesearch`), named stopping rules (:mod:`descend.stopping`), numeric, checked
and exact automatic gradients of your own code (:mod:`descend.autodiff`: JAX, PyTorch,
autograd, complex step), and the full history of every run. :mod:`descend.functions` holds a
zoo of test functions with known minima. :func:`sweep` runs every combination of a grid of
settings at once, as one array when the function takes a batch of points.

Learning from data: ``minimize(..., data=(X, y), batch_size=...)`` runs batch, mini-batch or
stochastic descent on any objective; :class:`GDRegressor` and :class:`GDClassifier` are
scikit-learn estimators built on :mod:`descend.losses`, :mod:`descend.penalties` and the epoch
kernel of :mod:`descend.kernels`; :mod:`descend.datasets` holds the tutorials' data and NIST's
Longley data with its certified fit.

Beyond memory and beyond one machine: ``fit`` and ``minimize(data=...)`` also take data read
a chunk at a time (:mod:`descend.chunks`: memory-mapped and ``.npy`` files, Parquet files,
Dask arrays and DataFrames), in this process or on the workers of a Dask cluster
(:mod:`descend.cluster`), with the same result either way.

Seeing descent: :mod:`descend.plot` draws curves, contour maps, surfaces, loss curves,
parameter paths, decision boundaries and fitted lines from the records runs keep, and
:mod:`descend.animate` (:mod:`descend.plot.animate`) replays them frame by frame as GIF or
MP4.

>>> import descend
>>> res = descend.minimize(lambda x: x**2 - 6*x + 5, 15.0, learning_rate=0.01, xtol=0.001)
>>> round(res.x, 2), res.nit, res.reason
(3.05, 273, 'xtol')
"""

from descend import (
    batches,
    functions,
    kernels,
    linesearch,
    losses,
    optimizers,
    penalties,
    schedules,
    stopping,
)
from descend.descent import maximize, minimize
from descend.errors import (
    AutodiffError,
    ClusterError,
    DivergenceError,
    DivergenceWarning,
    FitDivergedError,
    GradientCheckError,
)
from descend.gradients import check_grad, numeric_grad
from descend.history import History
from descend.objective import Objective
from descend.result import Result
from descend.sweeps import SweepResult, sweep

__version__ = "0.1.0"

# scikit-learn is heavy to import: the estimators and data sets load on first use.
_LAZY = {
    "GDClassifier": "descend.estimators",
    "GDRegressor": "descend.estimators",
    "TrainingHistory": "descend.estimators",
    "estimators": None,
    "datasets": None,
    # data read a chunk at a time, and where its chunks live
    "chunks": None,
    "cluster": None,
    # exact gradients of the user's code: loaded when a run asks for them, and their
    # libraries (JAX, PyTorch, autograd) only when a run uses one
    "autodiff": None,
    # Matplotlib, too: the pictures load on first use.
    "plot": None,
    # The replays live in the plot package; descend.animate is that module, not a copy.
    "animate": "descend.plot",
    # The interactive page, SymPy and all; the module is callable: descend.playground(...).
    "playground": None,
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'descend' has no attribute {name!r}")
    import importlib

    where = _LAZY[name]
    if where is None:
        value = importlib.import_module(f"descend.{name}")
    else:
        value = getattr(importlib.import_module(where), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "AutodiffError",
    "ClusterError",
    "DivergenceError",
    "DivergenceWarning",
    "FitDivergedError",
    "GDClassifier",
    "GDRegressor",
    "GradientCheckError",
    "History",
    "Objective",
    "Result",
    "SweepResult",
    "TrainingHistory",
    "__version__",
    "animate",
    "autodiff",
    "batches",
    "check_grad",
    "chunks",
    "cluster",
    "datasets",
    "estimators",
    "functions",
    "kernels",
    "linesearch",
    "losses",
    "maximize",
    "minimize",
    "numeric_grad",
    "optimizers",
    "penalties",
    "playground",
    "plot",
    "schedules",
    "stopping",
    "sweep",
]
