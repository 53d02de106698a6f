"""The ``descend`` command line.

=============================  ===========================================================
command                        does
=============================  ===========================================================
``descend demo``               the tutorial experiments, their numbers, pictures and page
``descend minimize EXPR``      gradient descent on a typed formula or a built-in function
``descend maximize EXPR``      gradient ascent, the same way
``descend functions``          the built-in test functions and their minima
``descend sweep EXPR``         every learning rate × momentum, as a table and a grid
``descend train DATA...``      fit a model to a CSV / NPY / NPZ / Parquet file, or to Parquet
                               files read a chunk at a time, here or on a Dask cluster
``descend predict MODEL DATA`` predictions of a saved model
``descend bench``              the benchmark suite: descend against its peers, side by side
``descend playground``         optimizers racing on a function of two variables, in a
                               browser: one offline page (--out), or served here
=============================  ===========================================================

Exit status: 0 on success, 1 when a run fails (diverges), 2 for a usage or input error
(one line saying what is wrong, never a traceback), 130 when interrupted.
"""

from __future__ import annotations

import sys

from descend.cli import bench, demo, playground, run, train  # noqa: F401 - each adds its commands
from descend.cli._app import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``descend`` console script."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive
        sys.exit(130)
