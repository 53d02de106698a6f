r"""Exact gradients of your own code: JAX, PyTorch, autograd, or complex steps.

An objective written with ``jax.numpy``, with ``torch`` or with ``autograd.numpy`` can be
differentiated by that library instead of by finite differences: pass ``grad="jax"``,
``"torch"`` or ``"autograd"`` to :func:`descend.minimize`, :func:`descend.maximize` or
:func:`descend.sweep`, or ``grad="auto"``, which reads the function's code for the library
it uses (:func:`detect`). ``grad="complex-step"`` needs no library at all: it differentiates
NumPy code that also works on complex numbers,

.. math:: \frac{\partial f}{\partial x_i} = \frac{\operatorname{Im} f(x + i h e_i)}{h}
          + O(h^2), \qquad h = 10^{-20},

with no subtraction, hence no cancellation: exact to rounding for real-analytic code
(arithmetic, powers, ``np.exp``, ``np.log``, ``np.sin`` ...), at d evaluations of f.

Whatever the backend, x goes in as float64, and f and the gradient come back as a Python
float and a float64 NumPy array shaped like x (a float for a float x), so every optimizer,
stopping rule, record and plot works as with a gradient written by hand. The libraries are
imported on first use: ``import descend`` loads none of them, and a missing one is an
ImportError that says what to install.

==================  ===========================================================================
backend             how, and what is refused (:class:`descend.AutodiffError`)
==================  ===========================================================================
``"jax"``           ``jax.value_and_grad``, jitted once per run, with JAX's 64-bit types on for
                    the run only (JAX computes in float32 by default). A function that
                    computes in float32 anywhere on its way from x is refused, naming the
                    line; so are NumPy calls on x and assignments into x. A function whose
                    Python code branches on the values of x is differentiated without jit.
                    Arrays and floats among ``args``, and lists, tuples and dicts of them,
                    are traced; Python ints and bools (sizes, indices, switches) and other
                    hashable values are constants of the compiled code.
                    In :func:`descend.sweep` the function is ``vmap``-ed: all the runs
                    advance as one array.
``"torch"``         ``torch.autograd`` on a float64 tensor x (data arrays go in as tensors,
                    floating ones as float64);
                    ``fun`` must return a float64 tensor of one number computed from x: a
                    float, a NumPy value, several numbers, a detached result are refused.
``"autograd"``      ``autograd.value_and_grad``; what autograd cannot follow (assignment into
                    x or into an array, ``math`` functions, ``float()`` of x, a value that
                    does not depend on x) is refused with what to write instead.
``"complex-step"``  d complex evaluations (a block of them at once for a function marked
                    ``batched``). Code that drops the imaginary part would be silently wrong,
                    so f gets x as an array that refuses ``abs``, ``np.abs``, ``np.sign``,
                    ``np.conj``, ``np.real``, ``np.imag``, ``.real``, ``.imag``,
                    ``np.angle``, ``np.vdot``, ``np.linalg.norm``, ``np.round``,
                    ``np.real_if_close`` where f calls them; a complex value cast to a real
                    one (``float()``, ``math`` functions, assignment into a float array) is
                    refused, and so is a value that comes back real. What f does after
                    ``np.asarray(x)`` (or ``x.tolist()``, or in a C extension) goes unseen:
                    for that the gradient is compared with central differences at the first
                    point and at the next one that differs (2d more evaluations each), which
                    catches a loss that changes the gradient at either, also at a kink at
                    the start.
==================  ===========================================================================

f and the gradient come from one call of the backend. Within a run they are kept for the
point they were computed at: the loop asks for f, then for the gradient at the same x, and
pays for one evaluation. Nothing is kept from one run to the next, or between direct calls
of a :class:`Gradient`: data arrays changed in place between them are read afresh.

On a CPU, JAX hands every call to a thread of its own and waits for it, which costs tens of
microseconds a call, more than a small function takes to run, and descent waits for every
result anyway. So when descend is the first to start JAX in a process, it has JAX run each
call in the calling thread (``jax_cpu_enable_async_dispatch`` off): a step of 100-D
Rosenbrock costs 4.1 µs more than with a gradient by hand instead of 75 µs. A program that
started JAX before keeps its setting, and setting the environment variable
``DESCEND_JAX_ASYNC_DISPATCH=1`` keeps JAX's default; ``descend bench --only 9`` measures
both ways.

:func:`gradient` gives the building block itself, a :class:`Gradient`, to call, to check
with :func:`descend.check_grad`, or to pass as ``grad=`` to several runs (JAX compiles once
for all of them).

Examples
--------
The complex step on NumPy code, against the gradient by hand:

>>> import numpy as np
>>> import descend
>>> def f(x):
...     return np.sum(np.exp(x) * np.sin(x))
>>> g = descend.autodiff.gradient(f, "complex-step")
>>> x = np.array([0.5, -1.0])
>>> bool(np.allclose(g(x), np.exp(x) * (np.sin(x) + np.cos(x)), rtol=1e-14))
True
>>> descend.check_grad(f, g, x) < 1e-8
True
>>> res = descend.minimize(lambda x: np.sum((x - 3.0) ** 2), np.zeros(2),
...                        grad="complex-step", learning_rate=0.5, max_iter=1)
>>> res.x, res.gradient
(array([3., 3.]), 'complex-step')

What the complex step cannot see is refused, not silently wrong:

>>> descend.minimize(lambda x: x[0] ** 2 + np.abs(x[1]), np.array([1.0, 2.0]),
...                  grad="complex-step")  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
descend.errors.AutodiffError: fun calls abs() or np.abs ...

With JAX installed (``pip install jax``), ``"auto"`` finds it in the code:

>>> import jax.numpy as jnp                                              # doctest: +SKIP
>>> res = descend.minimize(lambda x: jnp.sum((x - 3.0) ** 2), np.zeros(2),
...                        grad="auto", learning_rate=0.5, max_iter=1)  # doctest: +SKIP
>>> res.x, res.gradient                                                  # doctest: +SKIP
(array([3., 3.]), 'jax')
"""

from __future__ import annotations

import numpy as np

from descend.autodiff._common import STEP, as_point

__all__ = ["BACKENDS", "STEP", "Gradient", "detect", "gradient", "value_and_grad"]

#: The backends, by the names ``grad=`` takes.
BACKENDS = ("jax", "torch", "autograd", "complex-step")


def detect(fun) -> str | None:
    """The backend ``fun`` is written for: ``"jax"``, ``"torch"``, ``"autograd"``, or None.

    The global names that the code of ``fun`` reads (and that the code of the user's
    functions it calls reads, and of the lambdas and comprehensions inside them) are looked
    up in its globals, and the values of its closure are read. A name bound to a module of a
    backend (``jnp``, ``torch``, ``anp``), to a function or class of one, or to an object of
    a class of one (a ``torch.nn.Module``, a JAX array) marks the backend, and so does an
    ``import`` of one inside the function. Nothing is imported and nothing is called. A
    function that uses two backends is an error: name the one to use.

    Examples
    --------
    >>> import numpy as np
    >>> import descend
    >>> descend.autodiff.detect(lambda x: np.sum(x**2)) is None   # NumPy: no backend
    True
    """
    from descend.autodiff._detect import detect as read

    return read(fun)


def _engine(fun, backend: str, h: float, verify: bool):
    if backend == "jax":
        from descend.autodiff._jax import Engine

        return Engine(fun)
    if backend == "torch":
        from descend.autodiff._torch import Engine

        return Engine(fun)
    if backend == "autograd":
        from descend.autodiff._autograd import Engine

        return Engine(fun)
    from descend.autodiff._complex_step import Engine

    return Engine(fun, h, verify)


def _check_backend(backend) -> str:
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise ValueError(f"Invalid backend: {backend!r}; expected one of {BACKENDS} or 'auto'")
    return backend


def _name(fun) -> str:
    module = getattr(fun, "__module__", None) or type(fun).__module__
    name = getattr(fun, "__qualname__", None) or type(fun).__qualname__
    return f"{module}.{name}"


class Gradient:
    """The gradient of ``fun`` by one backend, with f alongside: made by :func:`gradient`.

    Calling it gives the gradient; :meth:`value` and :meth:`value_and_grad` give f too. Each
    direct call evaluates ``fun`` afresh, so data arrays changed in place are always seen.
    A run of :func:`descend.minimize` (or a sweep) works on a copy of its own that keeps the
    last point's f and gradient, so that the loop's "f, then the gradient at the same x"
    costs one evaluation; the copy is made anew, and JAX's copies of the data refreshed, at
    the start of every run.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float``, written for the backend (see :func:`gradient`).
    backend : str
        One of :data:`BACKENDS`; the backend's library is imported here.
    h, verify
        The complex step's h, and whether to compare it with central differences at the
        first two points.

    Attributes
    ----------
    fun : callable
        The function differentiated.
    backend : str
        One of :data:`BACKENDS`.
    """

    def __init__(self, fun, backend: str, *, h: float = STEP, verify: bool = True):
        if not callable(fun):
            raise TypeError(f"Invalid fun: {fun!r} is not callable")
        self.fun, self.backend = fun, _check_backend(backend)
        self._options = (h, verify)
        self._engine = _engine(fun, self.backend, h, verify)
        self._in_run = False
        self._forget()

    def _forget(self) -> None:
        self._key: tuple | None = None
        self._args: tuple = ()
        self._value = self._grad = None
        # the engines that copy data arrays (JAX to its device, torch to float64 tensors) keep
        # those copies, by the arrays' identity, until told to read them again
        refresh = getattr(self._engine, "forget", None)
        if refresh is not None:
            refresh()

    def _for_run(self) -> Gradient:
        """A copy for one run, sharing the backend (JAX's compiled functions), with a cache
        of its own.

        Why a copy per run: results keyed on x and on the identity of the data arrays are
        sound only while those arrays cannot change, which holds for one run (its arguments
        are fixed) but not across runs or direct calls, between which the caller may change
        the data in place. Keeping the cache, and the engine's copies of the data, for the
        run only gives the loop its one evaluation per point, and JAX its one copy of the
        data per run, without ever serving a stale result.
        """
        run = object.__new__(Gradient)
        run.__dict__.update(self.__dict__)
        run._in_run = True
        run._forget()
        return run

    # ------------------------------------------------------------------------ calls

    def value_and_grad(self, x, *args):
        """f and its gradient at ``x``: a float, and a float64 array shaped like ``x`` (a
        float for a float ``x``)."""
        value, grad = self._both(x, args)
        return value, (float(grad) if grad.ndim == 0 else grad.copy())

    def value(self, x, *args) -> float:
        """f at ``x``, as a float."""
        return self._both(x, args)[0]

    def __call__(self, x, *args):
        """The gradient at ``x``, a float64 array shaped like ``x`` (a float for a float)."""
        grad = self._both(x, args)[1]
        return float(grad) if grad.ndim == 0 else grad.copy()

    def _both(self, x, args):
        point = as_point(x)
        key = (point.shape, point.tobytes())
        if not self._in_run:
            self._forget()  # a direct call: the data may have changed since the last one
        elif key == self._key and _same(args, self._args):
            return self._value, self._grad
        value, grad = self._engine.value_and_grad(point, args)
        grad = np.asarray(grad, dtype=float)
        grad.setflags(write=False)
        self._key, self._args, self._value, self._grad = key, args, value, grad
        return value, grad

    def vectorised(self, probe, args=()):
        """Functions of a batch of points, ``(values, gradients)``, with f and the gradient of
        each row (for :func:`descend.sweep`); None when the backend cannot batch ``fun``.
        ``probe`` is a batch to try them on (the sweep's start), with ``args``."""
        batched = getattr(self._engine, "batched_value_and_grad", None)
        if batched is None:
            return None
        self._forget()  # a sweep is a run: its data are read afresh, then kept for it
        kept: list = [None, (), None]  # the last batch's key, arguments and results

        def both(X, args):
            key = (X.shape, X.tobytes())
            if key != kept[0] or not _same(args, kept[1]):
                kept[:] = key, args, batched(np.asarray(X, dtype=float), args)
            return kept[2]

        def values(X, *args):
            return both(X, args)[0]

        def gradients(X, *args):
            return both(X, args)[1]

        try:
            values(np.asarray(probe, dtype=float), *args)
        except TypeError:  # the function cannot run on a batch (it branches on x's values)
            return None
        return values, gradients

    # ------------------------------------------------------------------------ the rest

    def __repr__(self) -> str:
        return f"Gradient({self.backend}, {_name(self.fun)})"

    def __getstate__(self) -> dict:
        # compiled functions and tensors stay in the process that made them; a copy sent to
        # another process (a Dask worker) builds its own
        return {"fun": self.fun, "backend": self.backend, "options": self._options}

    def __setstate__(self, state: dict) -> None:
        h, verify = state["options"]
        self.__init__(state["fun"], state["backend"], h=h, verify=verify)


def _same(args: tuple, kept: tuple) -> bool:
    """Whether ``args`` are the very objects of the call whose results are kept."""
    return len(args) == len(kept) and all(a is b for a, b in zip(args, kept, strict=True))


def gradient(fun, backend: str = "auto", *, h: float = STEP, verify: bool = True) -> Gradient:
    """The gradient of ``fun`` by ``backend``, as a :class:`Gradient` (a callable).

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float``, written for the backend: with ``jax.numpy`` for
        ``"jax"``, with ``torch`` (taking and returning tensors) for ``"torch"``, with
        ``autograd.numpy`` for ``"autograd"``, with NumPy functions that take complex numbers
        for ``"complex-step"``.
    backend : {"auto", "jax", "torch", "autograd", "complex-step"}
        ``"auto"`` reads the function's code for the library it uses (:func:`detect`).
    h : float
        The complex step (``"complex-step"`` only).
    verify : bool
        Compare the complex-step gradient with central differences at the first point it is
        asked for and at the first one after it that differs (``"complex-step"`` only; 2d
        more evaluations at each of the two).

    Returns
    -------
    Gradient
        ``g(x, *args)`` is the gradient at x; ``g.value(x, *args)`` is f.

    Raises
    ------
    ModuleNotFoundError
        The backend is not installed (the message says what to install).
    ValueError
        ``"auto"`` on a function that uses none of the libraries.

    Examples
    --------
    >>> import numpy as np
    >>> import descend
    >>> g = descend.autodiff.gradient(lambda x: x[0] ** 2 * np.cos(x[1]), "complex-step")
    >>> g(np.array([3.0, 0.0]))
    array([6., 0.])
    >>> g.value(np.array([3.0, 0.0]))
    9.0
    """
    if backend == "auto":
        found = detect(fun)
        if found is None:
            raise ValueError(
                f"backend='auto': {_name(fun)} uses none of JAX, PyTorch or autograd; name a "
                "backend ('complex-step' differentiates NumPy code that takes complex numbers) "
                "or use descend.numeric_grad"
            )
        backend = found
    return Gradient(fun, backend, h=h, verify=verify)


def value_and_grad(fun, backend: str = "auto", **options):
    """``fun``'s value and gradient in one call: ``vg(x, *args) -> (f, gradient)`` (see
    :func:`gradient` for the arguments).

    Examples
    --------
    >>> import numpy as np
    >>> import descend
    >>> vg = descend.autodiff.value_and_grad(lambda x: np.sum(x ** 3), "complex-step")
    >>> vg(np.array([1.0, 2.0]))
    (9.0, array([ 3., 12.]))
    """
    return gradient(fun, backend, **options).value_and_grad
