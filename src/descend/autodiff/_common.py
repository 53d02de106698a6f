"""What the backends share: importing one on demand, and pointing at the user's line."""

from __future__ import annotations

import importlib
import linecache
import os

import numpy as np

#: The complex step's default h: far below the resolution of any coordinate (the real part
#: never sees it) and far above the smallest normal double.
STEP = 1e-20

#: What to install for each backend, for the message of a missing one.
INSTALL = {
    "jax": ("JAX", 'pip install jax (or pip install "descend[autodiff]")'),
    "torch": ("PyTorch", "pip install torch"),
    "autograd": ("autograd", 'pip install autograd (or pip install "descend[autodiff]")'),
}


def returned_none() -> Exception:
    """The error for a fun that returned None (a forgotten ``return``, most often)."""
    from descend.errors import AutodiffError

    return AutodiffError(
        "fun returned None; it must return one number (is its return statement missing?)"
    )


def require(module: str, backend: str):
    """Import ``module`` for ``grad=backend``, or raise an ImportError naming what to
    install. Imported here, on first use, so that ``import descend`` loads none of them."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        what, command = INSTALL[backend]
        raise ModuleNotFoundError(
            f"grad={backend!r} needs {what}, which cannot be imported here ({err}): {command}",
            name=module,
        ) from None


def folder(module) -> str:
    """The folder a module or package lives in, to tell its frames from the user's."""
    return os.path.dirname(os.path.abspath(getattr(module, "__file__", "") or ""))


_OWN = (folder(np), os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def where(error: BaseException, *modules) -> str:
    """``" (at file:line: source)"`` for the last frame of ``error``'s traceback that belongs
    to none of ``modules`` (the backend's packages), NumPy or descend: the line of the user's
    function that did it. Empty when there is none."""
    skip = tuple(f + os.sep for f in (*_OWN, *(folder(m) for m in modules)))
    found = None
    tb = error.__traceback__
    while tb is not None:
        name = os.path.abspath(tb.tb_frame.f_code.co_filename)
        if not name.startswith(skip):
            found = tb
        tb = tb.tb_next
    if found is None:
        return ""
    name, line = found.tb_frame.f_code.co_filename, found.tb_lineno
    text = linecache.getline(name, line).strip()
    return f" (at {name}:{line}" + (f": {text})" if text else ")")


def as_point(x) -> np.ndarray:
    """``x`` as a float64 array of its own (0-d for a number), refusing anything else."""
    if isinstance(x, str | bytes) or x is None:
        raise TypeError(f"Invalid x: {x!r}; expected a float or an array of floats")
    return np.array(x, dtype=float)
