r"""Where a pass over the data runs: the compiled kernels or the NumPy reference, and on how
many threads. One cost model, measured on the two-core machine the benchmarks run on
(``benchmarks/README.md``, "First use", has the figures).

Threads
    A parallel pass wakes a pool of threads, which costs about as much as reading a megabyte
    (and far more when the other cores are busy). So a pass is split only into blocks of at
    least :data:`BYTES_PER_THREAD` bytes of X each; less data runs on the calling thread
    alone. An explicit ``n_jobs`` is obeyed as given.

Compiled or NumPy
    A kernel costs something before it runs once: nothing when this process has it already,
    :data:`LOAD_SECONDS` to import Numba and load it from the disk cache, or
    :data:`COMPILE_SECONDS` to compile it from nothing. Whether that pays depends on how much
    work is still to come, which no fit knows in advance (a ``tol`` may stop it after three
    epochs or three thousand). So each kernel is bought the way one buys skis one does not
    know one will need: the work runs in NumPy, and the seconds it takes are counted for the
    kernel that would have done it (in this process, over all fits); once they reach the
    kernel's price, the kernel is loaded or compiled and runs from then on. The kernel is
    bought before the pass that would take the count past the price, by an estimate of that
    pass's NumPy time (:data:`BATCH_SECONDS` a batch, :data:`ENTRY_SECONDS` an entry of X),
    so a single epoch of a million one-row batches is not run in NumPy. However long the
    work turns out to be, it never costs more than about twice what the best choice made in
    hindsight would have cost, and a small fit never waits for a compiler. The NumPy
    reference and the kernels give the same numbers to rounding, so the switch, which can
    happen between two epochs, changes nothing else.

    A full pass over fewer than :data:`SMALL_PASS` entries stays in NumPy even with the
    kernel at hand: calling the kernel costs more than the work. A full pass over more than
    :data:`LARGE_PASS` entries runs compiled from the first epoch when the kernel is in the
    disk cache: NumPy's pass makes arrays as long as X is tall, which raise the fit's peak
    memory by a tenth, and at that size loading the kernel costs a few passes.

The setting ``DESCEND_KERNELS`` (environment variable) overrides the model: ``auto`` (the
default) as above, ``compiled`` to run every kernel that takes the work at once (compiling it
if need be), ``numpy`` to run the reference only.

Examples
--------
>>> import numpy as np
>>> from descend import kernels, losses
>>> from descend.kernels import compiled, policy
>>> policy.setting()
'auto'
>>> X, y = np.ones((100, 3)), np.zeros(100)
>>> route = compiled.pass_route(
...     X, y, None, model=kernels.LinearModel(3, 1, True), loss=losses.squared_error())
>>> route.key, route.compiled()  # 300 entries: a kernel call costs more than the work
('dense_one_squared[float64, float64]', False)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

__all__ = [
    "BATCH_SECONDS",
    "BYTES_PER_THREAD",
    "COMPILE_SECONDS",
    "ENTRY_SECONDS",
    "LARGE_PASS",
    "LOAD_SECONDS",
    "SETTING",
    "SMALL_PASS",
    "Route",
    "readiness",
    "setting",
    "spent",
]

#: The environment variable that overrides the cost model.
SETTING = "DESCEND_KERNELS"
_SETTINGS = ("auto", "compiled", "numpy")

#: The fewest bytes of X a thread takes in a parallel pass (with ``n_jobs`` unset).
BYTES_PER_THREAD = 1 << 20
#: Entries of X (rows × columns) below which a full pass runs in NumPy whatever is compiled.
SMALL_PASS = 16_384
#: Entries of X above which a full pass runs compiled at once when the kernel is cached.
LARGE_PASS = 1 << 24
#: NumPy seconds, at least, for each batch of a mini-batch epoch (the calls around it).
BATCH_SECONDS = 20e-6
#: NumPy seconds, at least, for each entry of X in a pass.
ENTRY_SECONDS = 1e-9
#: Seconds to import Numba and load a kernel from the disk cache.
LOAD_SECONDS = 0.5
#: Seconds to compile each kernel, with the small functions it calls, from an empty cache.
COMPILE_SECONDS = {
    "dense_one": 13.0,
    "dense_one_squared": 9.5,
    "dense_one_log": 11.0,
    "dense_many": 9.0,
    "sparse_pass": 9.0,
    "dense_batches": 4.0,
    "sparse_batches": 4.0,
    "dense_sum": 2.0,
}

# NumPy seconds spent, in this process, on work each kernel would have done.
_SPENT: dict[str, float] = {}


def setting() -> str:
    """The value of ``DESCEND_KERNELS``: "auto" (unset), "compiled" or "numpy"."""
    value = os.environ.get(SETTING, "auto").strip().lower() or "auto"
    if value not in _SETTINGS:
        raise ValueError(f"Invalid {SETTING}={value!r}; expected one of {', '.join(_SETTINGS)}")
    return value


def spent(key: str) -> float:
    """NumPy seconds counted so far against the kernel ``key`` in this process."""
    return _SPENT.get(key, 0.0)


def readiness(kernel, args) -> str:
    """Whether ``kernel`` (a Numba dispatcher) is "loaded" in this process for arguments of
    the types of ``args``, "cached" on disk, or "cold" (it would be compiled)."""
    signature = tuple(kernel.typeof_pyval(a) for a in args)
    if signature in kernel.overloads:
        return "loaded"
    return "cached" if _on_disk(kernel, signature) else "cold"


def _on_disk(kernel, signature) -> bool:
    """Whether Numba's disk cache holds ``kernel`` compiled for ``signature``, looked up by
    the key Numba itself files it under. Should that look-up fail (another version of
    Numba), the kernel counts as not cached, which can only delay its use."""
    try:
        cache = kernel._cache
        key = cache._index_key(signature, kernel.targetctx.codegen())
        return key in cache._cache_file._load_index()
    except Exception:  # any failure only means "compile it"
        return False


class Route:
    """Whether one kind of pass of a fit runs compiled, decided by the cost model.

    Parameters
    ----------
    key : str
        The kernel and the types it would take, e.g. ``"dense_one_log[float64]"``: NumPy
        time is counted against it. Its part before ``[`` names the kernel in
        :data:`COMPILE_SECONDS`.
    kernel : callable or None
        Returns ``(dispatcher, args)``: the kernel and arguments of the types it would be
        called with (importing Numba). None when the kernels do not take the work.
    entries : int
        Entries of X the pass reads (the stored ones of a sparse X); a full pass under
        :data:`SMALL_PASS` stays in NumPy.
    batches : int or None
        Batches in each call, for a mini-batch epoch (which pays off on data of any size);
        None for a pass over all rows.
    """

    def __init__(
        self,
        key: str,
        kernel: Callable[[], tuple] | None,
        entries: int,
        batches: int | None = None,
    ):
        self.key, self._kernel = key, kernel
        self.entries, self.full_pass = entries, batches is None
        #: The NumPy seconds one call takes, at least.
        self.estimate = entries * ENTRY_SECONDS + (batches or 0) * BATCH_SECONDS
        self._bought = False
        self._probe = None  # (dispatcher, signature, on disk), once Numba is imported

    def compiled(self) -> bool:
        """True when the next pass should run compiled."""
        mode = setting()
        if self._kernel is None or mode == "numpy":
            return False
        if mode == "compiled" or self._bought:
            return True
        if self.full_pass and self.entries < SMALL_PASS:
            return False
        # what the work will have cost in NumPy after this call
        paid = spent(self.key) + self.estimate
        # Until the work has cost as much as loading a kernel, not even Numba is imported
        # to look at the cache (that import alone is a good part of the price).
        large = self.full_pass and self.entries > LARGE_PASS
        if paid < LOAD_SECONDS and not large and "descend.kernels._compiled" not in sys.modules:
            return False
        if self._probe is None:
            kernel, args = self._kernel()
            signature = tuple(kernel.typeof_pyval(a) for a in args)
            self._probe = (kernel, signature, _on_disk(kernel, signature))
        kernel, signature, on_disk = self._probe
        if signature in kernel.overloads:  # another fit of this process has it running
            price = 0.0
        elif on_disk:
            price = 0.0 if large else LOAD_SECONDS
        else:
            price = COMPILE_SECONDS.get(self.key.split("[")[0], max(COMPILE_SECONDS.values()))
        self._bought = paid >= price
        return self._bought

    def paid(self, seconds: float) -> None:
        """Count ``seconds`` of NumPy work against this route's kernel."""
        _SPENT[self.key] = _SPENT.get(self.key, 0.0) + seconds

    def state(self) -> list:
        """Whether this route has gone compiled, and the NumPy seconds counted against its
        kernel: what a fit's checkpoint keeps, so that a resumed fit runs each pass where
        the interrupted one ran it (the two routes agree to rounding, not to the bit)."""
        ran_compiled = self._bought or (self._kernel is not None and setting() == "compiled")
        return [ran_compiled, spent(self.key)]

    def restore(self, state) -> None:
        """Take back what :meth:`state` gave: a route that had gone compiled stays compiled
        (in ``auto`` mode), and the count is at least what it was."""
        bought, seconds = state
        self._bought = self._bought or bool(bought)
        _SPENT[self.key] = max(spent(self.key), float(seconds))
