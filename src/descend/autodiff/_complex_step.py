r"""``grad="complex-step"``: exact gradients of real-analytic NumPy code, with nothing to install.

.. math:: \frac{\partial f}{\partial x_i} = \frac{\operatorname{Im} f(x + i h e_i)}{h}
          + O(h^2)

With no subtraction there is no cancellation, so h can be tiny (:data:`STEP`) and the
result is exact to rounding, at d evaluations of f on complex points. It holds for code
that is analytic in x: arithmetic, powers, exp, log, sin and the other functions of NumPy
extended to complex numbers. It fails silently for code that drops the imaginary part, so
that is refused, in four places:

* at the first two points (:data:`WATCHED`), f runs on the complex points as a
  :class:`_Stepped` array, which refuses the NumPy operations that drop or corrupt the
  imaginary part (:data:`REFUSED_UFUNCS`, :data:`REFUSED_FUNCTIONS`, ``.real``, ``.imag``,
  ``round``) where f calls them (later points run on plain complex arrays, three times
  faster: an operation that only a later point's branch reaches is not watched);
* a cast of a complex value to a real one (NumPy's ComplexWarning) is refused;
* a value that comes back real is refused;
* the gradient is compared with central differences at the first point and again at the
  first point after it that differs (a run's second point), 2d more evaluations each.

What gets through: code that leaves NumPy's arrays (``np.asarray(x)``, ``x.tolist()``,
``x.item()``, a C extension) is no longer watched, so a loss there is caught only where it
changes the gradient at one of the two compared points.
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

#: The first distinct points of a run whose evaluations are watched (and, with ``verify``,
#: compared with central differences): the start and the first step.
WATCHED = 2

#: What happens to a complex x when its imaginary part is dropped.
LOSSES = (
    "abs() or np.abs, np.linalg.norm, np.real, np.conj (np.vdot), np.sign, "
    "float() or math functions on x, assignment into a float array"
)

#: Ufuncs that are not analytic (|z| and conj(z) throw away the imaginary part's sign or
#: size, sign(z) is z/|z|), with what to write instead.
REFUSED_UFUNCS = {
    "absolute": "abs() or np.abs: for a smooth stand-in write np.sqrt(x**2 + eps)",
    "sign": "np.sign: its derivative is 0 wherever it has one, so leave it out",
    "conjugate": "np.conj: it changes nothing for real x, so leave it out",
}

#: Array functions that drop or corrupt the imaginary part, by name (``linalg.`` for
#: ``np.linalg``), with what to write instead.
REFUSED_FUNCTIONS = {
    "real": "np.real: it changes nothing for real x, so leave it out",
    "imag": "np.imag: it is 0 for real x",
    "angle": "np.angle: it is 0 or pi for real x",
    "vdot": "np.vdot (it conjugates its first argument): write np.dot(a.ravel(), b.ravel())",
    "linalg.norm": "np.linalg.norm: write np.sqrt(np.sum(x**2))",
    "real_if_close": "np.real_if_close: leave it out",
    "round": "np.round: its derivative is 0 wherever it has one, so leave it out",
    "around": "np.around: its derivative is 0 wherever it has one, so leave it out",
}
_REFUSED = {
    getattr(np.linalg if n.startswith("linalg.") else np, n.removeprefix("linalg.")): n
    for n in REFUSED_FUNCTIONS
}


class _Refused(AutodiffError):
    """Raised inside f; :class:`Engine` turns it into the message, with the line of f."""


def _refuse(advice: str):
    raise _Refused(advice)


def _plain(obj):
    """``obj`` with every :class:`_Stepped` in it (also inside lists and tuples) seen as a
    plain ndarray, so that NumPy's own code never meets the subclass."""
    if isinstance(obj, _Stepped):
        return obj.view(np.ndarray)
    if type(obj) is tuple or type(obj) is list:
        return type(obj)(_plain(item) for item in obj)
    return obj


def _mark(obj):
    """Complex results (arrays, and scalars as 0-d arrays) as :class:`_Stepped` again, so the
    watch follows the step; real ones (comparisons, indices) carry nothing of it and stay as
    they are."""
    if isinstance(obj, np.ndarray):  # the usual case first: this runs at every operation
        return obj.view(_Stepped) if obj.dtype.kind == "c" else obj
    if isinstance(obj, np.generic) and obj.dtype.kind == "c":
        return np.asarray(obj).view(_Stepped)
    if isinstance(obj, tuple):  # several outputs, or a named tuple of them (slogdet)
        items = [_mark(item) for item in obj]
        return tuple(items) if type(obj) is tuple else type(obj)(*items)
    if type(obj) is list:
        return [_mark(item) for item in obj]
    return obj


class _Stepped(np.ndarray):
    """A complex x handed to f, which refuses where f drops its imaginary part.

    Every ufunc and array function on it runs on plain arrays and gives its complex
    results back as ``_Stepped`` (a scalar as a 0-d one), so the watch goes through
    ``X @ x``, ``np.sum``, ``np.exp``, indexing. Comparisons, ``np.maximum``, ``np.minimum``
    and ``np.where`` are let through: NumPy orders complex numbers by their real parts first,
    which is the order of the real points.
    """

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if ufunc.__name__ in REFUSED_UFUNCS:
            _refuse(REFUSED_UFUNCS[ufunc.__name__])
        if kwargs:
            kwargs = {k: _plain(v) for k, v in kwargs.items()}  # out= may be a _Stepped
        inputs = [a.view(np.ndarray) if isinstance(a, _Stepped) else a for a in inputs]
        return _mark(getattr(ufunc, method)(*inputs, **kwargs))

    def __array_function__(self, func, types, args, kwargs):
        if func in _REFUSED:
            _refuse(REFUSED_FUNCTIONS[_REFUSED[func]])
        return _mark(func(*_plain(args), **{k: _plain(v) for k, v in kwargs.items()}))

    def __getitem__(self, key):
        # a slice is a _Stepped already, but an element comes as a NumPy scalar, which would
        # leave the watch
        item = super().__getitem__(key)
        return item if isinstance(item, np.ndarray) else _mark(item)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    # ndarray's own methods and attributes that reach the parts without a ufunc
    @property
    def real(self):
        _refuse("x.real: it changes nothing for real x, so leave it out")

    @property
    def imag(self):
        _refuse("x.imag: it is 0 for real x")

    def round(self, *args, **kwargs):
        _refuse("round() or x.round(): its derivative is 0 wherever it has one")

    __round__ = round

    # printing goes through .real and .imag
    def __repr__(self):
        return repr(self.view(np.ndarray))

    def __str__(self):
        return str(self.view(np.ndarray))


def _stepped(z) -> _Stepped:
    return np.asarray(z).view(_Stepped)


class Engine:
    """The gradient of ``fun`` by complex steps, one coordinate per call (a block of
    coordinates per call for a function marked ``batched``).

    Four checks keep it from being silently wrong (see the module's docstring): at the first
    two points f gets the complex points as :class:`_Stepped` arrays, which refuse ``abs``,
    ``np.real``, ``np.linalg.norm`` and the other operations that drop the imaginary part where
    f calls them; a cast of a complex value to a real one (NumPy's ComplexWarning) is an error;
    a value that comes back real is an error; and with ``verify`` the gradient is compared with
    central differences (2d more evaluations each time) at the first point and at the first
    point after it that differs, so that a loss the other checks miss (f leaving NumPy's arrays
    with ``np.asarray(x)``) is caught if it changes the gradient at either point, also one that
    does not at a kink at the start (``abs(x)`` at x = 0).
    """

    name = "complex-step"

    def __init__(self, fun, h: float = STEP, verify: bool = True):
        if isinstance(h, bool) or not isinstance(h, int | float):
            raise TypeError(f"Invalid h: {h!r}; expected a small positive number")
        if not (math.isfinite(h) and 0.0 < h <= 1e-6):
            raise ValueError(f"Invalid h: {h!r}; it must be positive and at most 1e-6")
        self.fun, self.h, self.verify = fun, float(h), bool(verify)
        self.batched = bool(getattr(fun, "batched", False))
        self._seen: list[tuple] = []  # the first WATCHED points, as (shape, bytes)

    def value_and_grad(self, point: np.ndarray, args: tuple):
        scalar = point.ndim == 0
        key = (point.shape, point.tobytes())
        first_time = key not in self._seen and len(self._seen) < WATCHED
        if first_time:
            self._seen.append(key)
        # The watch costs a Python call per NumPy operation (about 3× a plain evaluation), and
        # what it refuses is in the code, not in the point: the first WATCHED points of a run
        # meet the code's operations, and later points run on plain complex arrays.
        watch = key in self._seen
        with warnings.catch_warnings():
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            try:
                value = scalar_value(self.fun(float(point) if scalar else point, *args))
                grad = self._steps(point, args, _stepped if watch else np.asarray)
            except np.exceptions.ComplexWarning as err:
                raise AutodiffError(
                    "fun drops the imaginary part of x (a complex value cast to a real one)"
                    f"{where(err)}, so the complex step cannot give its gradient; keep x "
                    f"complex all the way (no {LOSSES}), or use grad='numeric'"
                ) from None
            except _Refused as err:
                advice = str(err)
                raise AutodiffError(
                    f"fun calls {advice.split(':')[0]}{where(err)}, which drops the imaginary "
                    "part of the complex x, so the complex step cannot give its gradient. "
                    f"Instead of {advice}; or use grad='numeric'"
                ) from None
            except TypeError as err:
                if isinstance(err, AutodiffError) or "complex" not in str(err):
                    raise
                raise AutodiffError(
                    f"fun cannot take a complex x ({err}){where(err)}; the complex step needs "
                    "code that works on complex numbers: NumPy's functions (np.sin, not "
                    "math.sin), no float()"
                ) from None
        if self.verify and first_time:
            which = "the first point" if len(self._seen) == 1 else "the second point"
            self._compare(point, args, grad, which)
        return value, grad

    def _steps(self, point, args, wrap) -> np.ndarray:
        h, fun = self.h, self.fun
        if point.ndim == 0:
            z = wrap(complex(float(point), h))
            return np.asarray(self._imag(fun(z, *args), 1)[0] / h)
        flat = point.reshape(-1)
        grad = np.empty(flat.size)
        if self.batched and point.ndim == 1:
            for start in range(0, flat.size, BLOCK):
                rows = min(BLOCK, flat.size - start)
                block = np.repeat(flat[None, :], rows, axis=0).astype(complex)
                block[np.arange(rows), start + np.arange(rows)] += 1j * h
                grad[start : start + rows] = self._imag(fun(wrap(block), *args), rows) / h
            return grad
        z = flat.astype(complex)
        for i in range(flat.size):
            z[i] = complex(flat[i], h)
            grad[i] = self._imag(fun(wrap(z.reshape(point.shape)), *args), 1)[0] / h
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

    def _compare(self, point, args, grad, which: str) -> None:
        scalar = point.ndim == 0
        x = float(point) if scalar else point
        g = float(grad) if scalar else grad
        fun = self.fun
        error = check_grad(fun, lambda *_: g, x, args)
        if error <= GRAD_CHECK_TOLERANCE:
            return
        numeric = np.asarray(numeric_grad(fun, x, args))
        raise AutodiffError(
            f"The complex-step gradient disagrees with central differences at {which} "
            f"(relative error {error:.3g} > {GRAD_CHECK_TOLERANCE:g}):\n"
            f"  complex step: {np.array2string(np.asarray(grad), precision=8)}\n"
            f"  numeric:      {np.array2string(numeric, precision=8)}\n"
            "fun loses the imaginary part of x somewhere while its value stays complex, "
            "where the complex step cannot watch it: after np.asarray(x), x.tolist() or "
            "x.item(), in a C extension, in another function that is not analytic; rewrite "
            "that part so that it is analytic, or use grad='numeric'"
        )
