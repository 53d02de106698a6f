"""``grad="autograd"``: f and its gradient by the autograd package, on NumPy code."""

from __future__ import annotations

import warnings

import numpy as np

from descend.autodiff._common import require, returned_none, where
from descend.errors import AutodiffError

#: What autograd cannot trace, by the words of the error it meets: what fun did, and how to
#: write it instead.
_UNTRACEABLE = (
    (
        "does not support item assignment",
        "assigns into x in place (x[i] = ...), which autograd cannot follow",
        "build a new array instead (np.concatenate, np.where, np.stack of autograd.numpy)",
    ),
    (
        "setting an array element with a sequence",
        "writes a value computed from x into an array (y[i] = ...), which autograd can't follow",
        "build that array from its parts instead (np.stack, np.concatenate of autograd.numpy)",
    ),
    (
        "real number, not",
        "turns x into a Python number (math.sin, float(x[i])), which autograd cannot follow",
        "use autograd.numpy's functions (np.sin)",
    ),
    (
        "argument must be a string or a real number",
        "turns x into a Python number (float(...)), which autograd cannot follow",
        "keep it an array, and use autograd.numpy's functions",
    ),
)


class Engine:
    """The value and gradient of ``fun`` by autograd (``autograd.value_and_grad``).

    ``fun`` is written with ``autograd.numpy`` (``import autograd.numpy as np``) and called on
    x (a float64 array, or a float) wrapped in autograd's boxes. What autograd cannot trace
    (an assignment into x, a ``math`` function, a float of x) is refused with what to write
    instead, as is a value that does not depend on x as autograd sees it.
    """

    name = "autograd"

    def __init__(self, fun):
        autograd = require("autograd", "autograd")
        self.tracer = require("autograd.tracer", "autograd")
        self.autograd = autograd
        self.fun = fun

        def checked(x, *args):
            out = fun(x, *args)
            if out is None:
                raise returned_none()
            return out

        self.both = autograd.value_and_grad(checked)

    def value_and_grad(self, point: np.ndarray, args: tuple):
        x = float(point) if point.ndim == 0 else point
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                value, grad = self.both(x, *args)
            except (TypeError, ValueError) as err:
                raise self._translated(err) from None
        for warning in caught:
            if "independent of input" in str(warning.message):
                raise AutodiffError(
                    "fun's value does not depend on x as autograd sees it (it was computed "
                    "apart from x, or x went through plain NumPy that dropped autograd's "
                    "boxes); write it with autograd.numpy so that autograd can follow x"
                )
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
        dtype = np.result_type(value)
        if dtype != np.float64:
            raise AutodiffError(
                f"fun returned a {dtype} value; descend differentiates in float64: "
                + (f"remove the cast to {dtype}" if dtype.kind == "f" else "return a real float")
            )
        # one number in an array of shape (1,) or (1, 1) is one number, as for the others
        return float(np.reshape(value, ())), np.asarray(grad, dtype=float).reshape(point.shape)

    def _translated(self, err: BaseException) -> BaseException:
        text = str(err)
        at = where(err, self.autograd)
        if "scalar-output" in text:
            return AutodiffError(
                "fun must return one number for grad='autograd', but returned an array; sum "
                "or average its terms"
            )
        for words, what, advice in _UNTRACEABLE:
            if words in text:
                return AutodiffError(f"fun {what}{at}; {advice} (autograd: {text})")
        if "Box" in text:
            return AutodiffError(f"autograd cannot trace an operation of fun{at}; {text}")
        return err
