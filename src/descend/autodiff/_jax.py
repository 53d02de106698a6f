"""``grad="jax"``: f and its gradient from one compiled call of ``jax.value_and_grad``."""

from __future__ import annotations

import numbers
import os

import numpy as np

from descend.autodiff._common import require, returned_none, where
from descend.errors import AutodiffError

#: The floating types narrower than float64 that a run must never compute in.
NARROW = ("float32", "float16", "bfloat16", "complex64")

#: Set this environment variable to 1 to keep JAX's asynchronous dispatch on the CPU, which
#: descend otherwise turns off when it is the first to start JAX (see
#: :func:`dispatch_in_caller`).
KEEP_ASYNC = "DESCEND_JAX_ASYNC_DISPATCH"


class Engine:
    """The value and gradient of ``fun`` by JAX, in float64, jitted once.

    Every call runs with 64-bit types switched on for the call only (JAX computes in float32
    by default), and the function is traced once per shape of x and of the data: f and the
    gradient come out of one compiled call, packed in one array, which crosses from JAX to
    NumPy in one transfer. A function whose Python code branches on the values of x cannot
    be compiled; it is differentiated step by step instead (slower, as exact).
    """

    name = "jax"

    def __init__(self, fun):
        self.jax = require("jax", "jax")
        self.jnp = require("jax.numpy", "jax")
        dispatch_in_caller(self.jax)
        self.fun = fun
        self.x64 = _x64(self.jax)
        self.jitted = True  # False once fun turned out to need its values in Python
        self._compiled: dict[tuple, object] = {}
        self._checked = False
        self._args: tuple = ()  # the last arguments, and their arrays on JAX's device
        self._placed: tuple = ()

    # --------------------------------------------------------------------- the function

    def _scalar(self):
        """``fun`` with its output checked: one float64 number, as a 0-d array."""
        fun, jnp = self.fun, self.jnp

        def scalar(x, *args):
            out = fun(x, *args)
            if out is None:
                raise returned_none()
            out = jnp.asarray(out)
            if out.size != 1:
                raise AutodiffError(
                    f"fun must return one number, but returned an array of shape {out.shape}"
                )
            if out.dtype != jnp.float64:
                raise AutodiffError(
                    f"fun returned a {out.dtype} value; under grad='jax' it must compute in "
                    "float64 (descend switches JAX's 64-bit types on for the run): remove "
                    f"the cast to {out.dtype}"
                    if str(out.dtype) in NARROW
                    else f"fun returned a {out.dtype} value; it must return a real float"
                )
            return jnp.reshape(out, ())

        return scalar

    def _packed(self, static: tuple, batched: bool, n_args: int):
        """The compiled (or, for a function that branches on x, plain) function of
        ``(x, *args)`` giving ``[f, *gradient]`` (a row per point when ``batched``)."""
        jax, jnp = self.jax, self.jnp
        both = jax.value_and_grad(self._scalar())

        def packed(x, *args):
            value, grad = both(x, *args)
            return jnp.concatenate([jnp.reshape(value, (1,)), jnp.reshape(grad, (-1,))])

        if batched:
            packed = jax.vmap(packed, in_axes=(0, *([None] * n_args)))
        if not self.jitted:
            return packed
        return jax.jit(packed, static_argnums=static)

    def _function(self, static: tuple, batched: bool, n_args: int):
        key = (static, batched, n_args, self.jitted)
        found = self._compiled.get(key)
        if found is None:
            found = self._compiled[key] = self._packed(static, batched, n_args)
        return found

    # ------------------------------------------------------------------------- calls

    def value_and_grad(self, point: np.ndarray, args: tuple):
        out = self._call(point, args, batched=False)
        return float(out[0]), out[1:].reshape(point.shape)

    def batched_value_and_grad(self, points: np.ndarray, args: tuple):
        """f and the gradient at each row of ``points`` (a 1-D array: one scalar each)."""
        out = self._call(points, args, batched=True)
        return out[:, 0], out[:, 1:].reshape(points.shape)

    def forget(self) -> None:
        """Drop the device copies of the data: the next call copies them again. Called at the
        start of every run and before every direct call, since the caller may have changed
        the arrays in place since (and ``device_put`` may or may not share their memory)."""
        self._args, self._placed = (), ()

    def _placed_args(self, args: tuple) -> tuple:
        """``args`` with their NumPy arrays copied to JAX's device once a run, not at every
        call (the data of a run are the same arrays call after call; see :meth:`forget`)."""
        if len(args) == len(self._args) and all(
            a is b for a, b in zip(args, self._args, strict=True)
        ):
            return self._placed
        jax = self.jax

        def put(leaf):
            return jax.device_put(leaf) if isinstance(leaf, np.ndarray) else leaf

        # the arrays inside a list, tuple or dict of data are placed too (a static
        # argument holds none: see _static)
        placed = tuple(jax.tree_util.tree_map(put, a) for a in args)
        self._args, self._placed = args, placed
        return placed

    def _call(self, point, args, batched):
        jax = self.jax
        static = _static(args, jax)
        with self.x64(True):
            try:
                if not self._checked:
                    self._check(point[0] if batched else point, args, static)
                args = self._placed_args(args)
                return np.asarray(self._function(static, batched, len(args))(point, *args))
            except (TypeError, IndexError) as err:
                if not (self.jitted and self._needs_values(err)):
                    raise self._translated(err) from None
                # Python code that needs the values of x, or of a data array (a branch, a
                # size): JAX's grad can follow it, jit cannot, as jit traces the data too
                self.jitted = False
                return self._call(point, args, batched)

    def _needs_values(self, err: BaseException) -> bool:
        """Whether ``err`` is JAX saying that Python code needed a traced value as a number
        (a branch, ``int()``, a slice bound)."""
        errors = self.jax.errors
        if isinstance(err, errors.ConcretizationTypeError | errors.TracerIntegerConversionError):
            return True
        return isinstance(err, IndexError) and "must be static" in str(err)

    def _check(self, point, args, static) -> None:
        """Refuse a function that computes in float32 anywhere on its way from x (read once,
        from the operations JAX records; float32 data that x never meets are fine)."""
        self._checked = True
        try:
            closed = self.jax.make_jaxpr(self._scalar(), static_argnums=static)(point, *args)
        except (TypeError, IndexError) as err:
            if self._needs_values(err):
                return  # needs values: only its output's type can be checked, as it is
            raise
        narrow = _narrow_from_x(closed.jaxpr)
        if narrow is not None:
            eqn, dtype = narrow
            raise AutodiffError(
                f"fun computes in {dtype} ({eqn.primitive}{_source(eqn)}); descend runs JAX in "
                f"float64 and never in {dtype} silently: remove the cast to {dtype} (for "
                "float32 data, let x's float64 win: jnp.asarray(data, jnp.float64))"
            )

    def _translated(self, err: BaseException) -> BaseException:
        """What the user's function did wrong under JAX, in one clear error, or ``err``
        itself when it is not about tracing."""
        at = where(err, self.jax, *_jaxlib())
        text = str(err)
        if isinstance(err, self.jax.errors.TracerArrayConversionError):
            return AutodiffError(
                f"fun hands x to NumPy{at}; under grad='jax' write it with jax.numpy "
                "(import jax.numpy as jnp; jnp.sin(x), not np.sin(x))"
            )
        if self._needs_values(err):  # without jit, only x is traced: it is x
            return AutodiffError(
                f"fun needs x as a Python number (float(x), int(x), math.sin(x), a slice or "
                f"size computed from x){at}; JAX cannot differentiate through that: use "
                "jax.numpy functions on x"
            )
        if "immutable" in text or "item assignment" in text:
            return AutodiffError(
                f"fun assigns into an array in place{at}; JAX arrays cannot change: write "
                "x = x.at[i].set(value) instead of x[i] = value"
            )
        return err


def dispatch_in_caller(jax) -> bool:
    """Have JAX run each call on the CPU in the calling thread, when nothing has started JAX
    yet; return whether this call switched it.

    By default JAX hands every CPU call to a thread of its own and the caller waits for it:
    waking that thread costs tens of microseconds a call, which is more than a step of
    descent on a small objective takes, and descent waits for every result anyway. JAX reads
    the setting (``jax_cpu_enable_async_dispatch``) once, when it starts its CPU backend, so
    a program that used JAX before keeps what it had, and so does one that sets
    :data:`KEEP_ASYNC` to 1. ``descend bench --only 9`` measures both ways.
    """
    if os.environ.get(KEEP_ASYNC, "") == "1":
        return False
    try:  # JAX says whether its backends are up only in its own modules
        from jax._src import xla_bridge

        started = xla_bridge.backends_are_initialized()
    except Exception:  # cannot tell: leave JAX as it is
        return False
    if started or not jax.config.read("jax_cpu_enable_async_dispatch"):
        return False
    jax.config.update("jax_cpu_enable_async_dispatch", False)
    return True


def _x64(jax):
    """The context manager that switches JAX's 64-bit types on for a block."""
    manager = getattr(jax, "enable_x64", None)
    if manager is None:  # older JAX keeps it among the experiments
        manager = getattr(getattr(jax, "experimental", None), "enable_x64", None)
    if manager is None:
        if jax.config.read("jax_enable_x64"):
            import contextlib

            return lambda on: contextlib.nullcontext()
        raise AutodiffError(
            f"This JAX ({jax.__version__}) cannot switch its 64-bit types on for a run, and "
            "descend never computes in float32 silently: call "
            "jax.config.update('jax_enable_x64', True) before using JAX"
        )
    return manager


def _jaxlib():
    import sys

    found = sys.modules.get("jaxlib")
    return () if found is None else (found,)


def _static(args: tuple, jax) -> tuple:
    """The positions (x is 0) of the arguments that go into the compiled function as
    constants of it, not as arrays it traces.

    Arrays and floats, and lists, tuples and dicts of them, are traced: new data of the same
    shapes reuse the compiled code. Python ints and bools are constants, since code uses them
    as sizes, indices and switches, which JAX needs as numbers (a run's arguments are fixed,
    so this compiles once); so is anything else hashable (a string, a function, None). An
    argument that is neither is refused here, rather than by a ValueError from JAX.
    """
    static = []
    for i, value in enumerate(args, start=1):
        if _traced(value, jax):
            continue
        try:
            hash(value)
        except TypeError:
            raise AutodiffError(
                f"args[{i - 1}] of fun, a {type(value).__name__}, is neither arrays and numbers "
                "(which JAX traces) nor hashable (which JAX can hold fixed in the compiled "
                "code): pass its arrays as a list, tuple or dict of arrays, or make it a "
                "tuple of its values"
            ) from None
        static.append(i)
    return tuple(static)


def _traced(value, jax) -> bool:
    """Whether an argument of fun goes into the compiled function as arrays: an array, a
    number other than a Python int or bool, or a container whose leaves are all those."""
    if isinstance(value, bool | int):
        return False
    if isinstance(value, list | tuple | dict):
        leaves = jax.tree_util.tree_leaves(value)
        return bool(leaves) and all(_traced(leaf, jax) for leaf in leaves)
    return isinstance(value, np.ndarray | np.generic | numbers.Number | jax.Array)


def _source(eqn) -> str:
    """`` at file:line`` of a recorded operation, where JAX can say."""
    try:
        from jax._src import source_info_util  # where JAX keeps the lines it records

        return f" at {source_info_util.summarize(eqn.source_info)}"
    except Exception:  # a nicety: the message stands without it
        return ""


def _narrow_from_x(jaxpr):
    """The first operation that computes a narrow float from x (the first input), with its
    type, or None. Sub-computations (jitted helpers, branches, loops) are followed too."""
    return _walk(jaxpr, {jaxpr.invars[0]} if jaxpr.invars else set())


def _walk(jaxpr, tainted: set):
    for eqn in jaxpr.eqns:
        outer = list(eqn.invars)
        marked = [_is_var(v) and v in tainted for v in outer]
        if not any(marked):
            continue
        for var in eqn.outvars:
            tainted.add(var)
            dtype = str(getattr(getattr(var, "aval", None), "dtype", ""))
            if dtype in NARROW:
                return eqn, dtype
        for inner in _inner(eqn.params):
            found = _walk(inner, _inputs_from_x(inner.invars, marked))
            if found is not None:
                return found
    return None


def _inputs_from_x(invars, marked) -> set:
    """The inputs of a sub-computation that carry x: matched to the operation's own inputs
    by position where they line up (a call; a branch, after the index that picks it), else
    all of them, to be safe."""
    n = len(invars)
    if n == len(marked):
        return {v for v, m in zip(invars, marked, strict=True) if m}
    if n == len(marked) - 1:
        return {v for v, m in zip(invars, marked[1:], strict=True) if m}
    return set(invars)


def _is_var(v) -> bool:
    return hasattr(v, "aval") and not hasattr(v, "val")  # a Literal carries its value


def _inner(params):
    """The sub-computations among an operation's parameters."""
    for value in params.values():
        for item in value if isinstance(value, tuple | list) else (value,):
            if hasattr(item, "eqns"):
                yield item
            elif hasattr(item, "jaxpr") and hasattr(item.jaxpr, "eqns"):
                yield item.jaxpr
