r"""``grad="complex-step"``: exact gradients of real-analytic NumPy code, with nothing to install.

.. math:: \frac{\partial f}{\partial x_i} = \frac{\operatorname{Im} f(x + i h e_i)}{h}
          + O(h^2)

With no subtraction there is no cancellation, so h can be tiny (:data:`STEP`) and the
result is exact to rounding, at d evaluations of f on complex points. It holds for code
that is analytic in x: arithmetic, powers, exp, log, sin and the other functions of NumPy
extended to complex numbers. It fails silently for code that drops the imaginary part,
which is what the checks here refuse.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from descend._validation import scalar_value
from descend.autodiff._common import STEP, where
from descend.errors import AutodiffError
from descend.gradients import GRAD_CHECK_TOLERANCE, check_grad, numeric_grad

#: Complex points per call of a batched function (bounds the d × d block of steps).
BLOCK = 256

#: What happens to a complex x when its imaginary part is dropped.
LOSSES = (
    "abs() or np.abs, np.linalg.norm, np.real, np.conj (np.vdot), np.sign, "
    "float() or math functions on x, assignment into a float array"
)


class Engine:
    """The gradient of ``fun`` by complex steps, one coordinate per call (a block of
    coordinates per call for a function marked ``batched``).

    Three checks keep it from being silently wrong: a cast of a complex value to a real one
    (NumPy's ComplexWarning) is an error; a value that comes back real (its imaginary part
    dropped on the way) is an error; and at the first point the gradient is compared once
    with central differences (2d more evaluations), which catches the losses that keep the
    value complex (``abs`` of one term) wherever they change the gradient there.
    """

    name = "complex-step"

    def __init__(self, fun, h: float = STEP, verify: bool = True):
        if isinstance(h, bool) or not isinstance(h, int | float):
            raise TypeError(f"Invalid h: {h!r}; expected a small positive number")
        if not (math.isfinite(h) and 0.0 < h <= 1e-6):
            raise ValueError(f"Invalid h: {h!r}; it must be positive and at most 1e-6")
        self.fun, self.h, self.verify = fun, float(h), bool(verify)
        self.batched = bool(getattr(fun, "batched", False))

    def value_and_grad(self, point: np.ndarray, args: tuple):
        scalar = point.ndim == 0
        with warnings.catch_warnings():
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            try:
                value = scalar_value(self.fun(float(point) if scalar else point, *args))
                grad = self._steps(point, args)
            except np.exceptions.ComplexWarning as err:
                raise AutodiffError(
                    "fun drops the imaginary part of x (a complex value cast to a real one)"
                    f"{where(err)}, so the complex step cannot give its gradient; keep x "
                    f"complex all the way (no {LOSSES}), or use grad='numeric'"
                ) from None
            except TypeError as err:
                if isinstance(err, AutodiffError) or "complex" not in str(err):
                    raise
                raise AutodiffError(
                    f"fun cannot take a complex x ({err}){where(err)}; the complex step needs "
                    "code that works on complex numbers: NumPy's functions (np.sin, not "
                    "math.sin), no float()"
                ) from None
        if self.verify:
            self.verify = False  # once, at the first point
            self._compare(point, args, grad)
        return value, grad

    def _steps(self, point, args) -> np.ndarray:
        h, fun = self.h, self.fun
        if point.ndim == 0:
            return np.asarray(self._imag(fun(complex(float(point), h), *args), 1)[0] / h)
        flat = point.reshape(-1)
        grad = np.empty(flat.size)
        if self.batched and point.ndim == 1:
            for start in range(0, flat.size, BLOCK):
                rows = min(BLOCK, flat.size - start)
                block = np.repeat(flat[None, :], rows, axis=0).astype(complex)
                block[np.arange(rows), start + np.arange(rows)] += 1j * h
                grad[start : start + rows] = self._imag(fun(block, *args), rows) / h
            return grad
        z = flat.astype(complex)
        for i in range(flat.size):
            z[i] = complex(flat[i], h)
            grad[i] = self._imag(fun(z.reshape(point.shape), *args), 1)[0] / h
            z[i] = flat[i]
        return grad.reshape(point.shape)

    @staticmethod
    def _imag(out, count: int) -> np.ndarray:
        """The imaginary parts of ``count`` values, refusing values that came back real."""
        values = np.asarray(out)
        if values.size != count:
            raise AutodiffError(
                f"fun returned {values.size} values for {count} point(s); it must return one "
                "number per point"
            )
        if not np.iscomplexobj(values):
            raise AutodiffError(
                f"fun returned a real {values.dtype} value for a complex x: it dropped the "
                f"imaginary part on the way (through {LOSSES}), so the complex step cannot "
                "give its gradient; keep x complex all the way, or use grad='numeric'"
            )
        return values.imag.reshape(-1).astype(float)

    def _compare(self, point, args, grad) -> None:
        scalar = point.ndim == 0
        x = float(point) if scalar else point
        g = float(grad) if scalar else grad
        fun = self.fun
        error = check_grad(fun, lambda *_: g, x, args)
        if error <= GRAD_CHECK_TOLERANCE:
            return
        numeric = np.asarray(numeric_grad(fun, x, args))
        raise AutodiffError(
            "The complex-step gradient disagrees with central differences at the first "
            f"point (relative error {error:.3g} > {GRAD_CHECK_TOLERANCE:g}):\n"
            f"  complex step: {np.array2string(np.asarray(grad), precision=8)}\n"
            f"  numeric:      {np.array2string(numeric, precision=8)}\n"
            f"fun loses the imaginary part of x somewhere ({LOSSES}) while its value stays "
            "complex; rewrite that part so that it is analytic, or use grad='numeric'"
        )
