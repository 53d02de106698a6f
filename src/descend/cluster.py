"""Where the chunks of a fit live and its per-chunk work runs: in this process, or on the
workers of a Dask cluster.

Both executors do two things with the chunks of a :class:`~descend.chunks.Chunks`, always
handing results back in the chunks' order:

- :meth:`~Local.map`: the same function on every chunk (a full pass; the caller adds the
  results up in that order, so the sum does not depend on who computed what);
- :meth:`~Local.chain`: a function on chunks one after the other, each given what the last
  returned (the optimizer's steps of a mini-batch epoch, chunk by chunk).

:class:`Local` holds the chunks in memory when that costs nothing (arrays in memory) or when
they fit in the memory it may use, and otherwise loads each one when it is needed, the next
one read while this one is worked on: a pass holds two chunks at most. :class:`Dask` loads
each chunk once, on a worker, where it stays: a step sends the parameters and gets back sums.
If a worker dies its chunks are loaded again on the others (the sources say how), which
changes no number; a scheduler that goes away raises :class:`~descend.errors.ClusterError`.

Which one a fit uses is :func:`executor`'s choice: Dask when a :class:`distributed.Client` is
current (made in this process, or set with :func:`using`), else local.

Examples
--------
>>> import numpy as np
>>> from descend import chunks, cluster
>>> data = chunks.from_arrays(np.arange(12.0).reshape(6, 2), np.zeros(6), rows=2)
>>> run = cluster.Local(data, chunks.Prep())
>>> run.map(lambda part, first: float(part.X.sum()))
[6.0, 22.0, 38.0]
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from contextvars import ContextVar

from descend.chunks import ArrayRows, Chunks, DaskRows, Prep, _as_part, prepare
from descend.errors import ClusterError

__all__ = ["Dask", "Local", "executor", "memory_budget", "using"]

_CLIENT: ContextVar = ContextVar("descend_client", default=None)


@contextmanager
def using(client):
    """Run the fits of the block on ``client``'s cluster (a :class:`distributed.Client`)."""
    token = _CLIENT.set(client)
    try:
        yield client
    finally:
        _CLIENT.reset(token)


def current_client():
    """The client of :func:`using`, else the current :class:`distributed.Client`, else None
    (also when distributed is not installed)."""
    client = _CLIENT.get()
    if client is not None:
        return client
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:  # no client in this process
        return None


def memory_budget() -> int:
    """Bytes of chunks a local fit keeps in memory rather than reading each pass:
    ``DESCEND_CHUNK_MEMORY`` (bytes) if set, else half of the memory now available."""
    setting = os.environ.get("DESCEND_CHUNK_MEMORY")
    if setting:
        try:
            return max(0, int(setting))
        except ValueError:
            raise ValueError(
                f"Invalid DESCEND_CHUNK_MEMORY: {setting!r}; expected a number of bytes"
            ) from None
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not a POSIX system
        return 1 << 30


def executor(chunks: Chunks, prep: Prep):
    """The executor of a fit of ``chunks``: :class:`Dask` on the current client's cluster,
    else :class:`Local`."""
    client = current_client()
    return Local(chunks, prep) if client is None else Dask(client, chunks, prep)


def _load(source, prep: Prep, first: int):
    return prepare(source.load(), prep, first)


class Local:
    """The chunks in this process (see the module notes).

    Parameters
    ----------
    chunks : Chunks
    prep : Prep
        How each chunk's rows are prepared (:func:`descend.chunks.prepare`).
    resident : bool, optional
        Keep every prepared chunk in memory (default: when they are views of arrays in
        memory, or when X's bytes fit in :func:`memory_budget`; sources marked
        ``streamed``, such as a memory-mapped file's, are always read chunk by chunk, which
        costs them no more than holding them).
    """

    where = "this process"

    def __init__(self, chunks: Chunks, prep: Prep, resident: bool | None = None):
        self.chunks, self.prep = chunks, prep
        self.firsts = chunks.offsets
        if resident is None:
            sources = chunks.sources
            views = all(isinstance(s, ArrayRows) for s in sources)
            files = any(getattr(s, "streamed", False) for s in sources)
            size = chunks.n_rows * chunks.n_features * chunks.dtype.itemsize
            resident = views or (not files and size <= memory_budget())
        self._parts = None
        if resident:
            self._parts = [
                _load(s, prep, first) for s, first in zip(chunks.sources, self.firsts, strict=True)
            ]  # fmt: skip
        self._lock = threading.Lock()

    @property
    def resident(self) -> bool:
        return self._parts is not None

    def _each(self, order, use) -> None:
        """``use(i, k, part)`` for the i-th prepared chunk k of ``order``: held ones, or each
        loaded while the one before it is worked on. Two chunks are in memory at most: the
        next one is read only once the last one is let go (``use`` must not keep it)."""
        if self._parts is not None:
            for i, k in enumerate(order):
                use(i, k, self._parts[k])
            return
        sources, prep, firsts = self.chunks.sources, self.prep, self.firsts
        order = list(order)
        with ThreadPoolExecutor(1) as reader:
            ahead = (
                reader.submit(_load, sources[order[0]], prep, firsts[order[0]]) if order else None
            )
            for i, k in enumerate(order):
                part = ahead.result()
                ahead = None  # drop the future's hold on the part as soon as it is handed out
                if i + 1 < len(order):
                    nxt = order[i + 1]
                    ahead = reader.submit(_load, sources[nxt], prep, firsts[nxt])
                use(i, k, part)
                del part  # before the next read: a generator here would leave the caller
                # holding this chunk while the one after next is read (three at once)

    def map(self, fn, *args) -> list:
        """``[fn(part, first_row, *args) for each chunk]``, in the chunks' order."""
        found: list = []

        def one(i, k, part):
            found.append(fn(part, self.firsts[k], *args))

        with self._lock:
            self._each(range(len(self.chunks)), one)
        return found

    def chain(self, fn, order, carry, extras):
        """``carry = fn(part_k, carry, extras[i])`` for the i-th chunk k of ``order``; the
        last ``carry``."""
        state = [carry]

        def step(i, k, part):
            state[0] = fn(part, state[0], extras[i])

        with self._lock:
            self._each(order, step)
        return state[0]

    def close(self) -> None:
        self._parts = None


# ------------------------------------------------------------------------------ on Dask


#: Seconds between two looks at the client's status while a call to the cluster is under way.
_WATCH_SECONDS = 0.05

#: Seconds the scheduler has to answer, after a call failed, for it to count as still there.
_PROBE_SECONDS = 5.0


def _cluster_errors() -> tuple:
    """The exceptions that mean the scheduler (not a task) failed."""
    import asyncio
    import concurrent.futures

    kinds = [OSError, TimeoutError, asyncio.CancelledError, concurrent.futures.CancelledError]
    try:
        from distributed.comm.core import CommClosedError

        kinds.append(CommClosedError)
    except ImportError:  # pragma: no cover - distributed is there when a client is
        pass
    return tuple(kinds)


class Dask:
    """The chunks on the workers of a Dask cluster (see the module notes).

    Each chunk is a task's result held by a worker (loaded and prepared there). A pass asks
    the scheduler where the chunks are, then every worker holding some, in one broadcast,
    to run the work on them and send back the results, which costs a couple of milliseconds
    where a task per chunk through the scheduler costs ten or more. Any chunk no worker had
    (its worker died, say) then runs as a task of the scheduler, which loads it again from
    its source first: the fit never depends on a worker staying up.

    A scheduler that goes away (or a client that lost it) raises
    :class:`~descend.errors.ClusterError` as soon as the client notices, in milliseconds
    where the process died, rather than after ``distributed.comm.timeouts.connect`` of
    trying to reach it.

    Parameters
    ----------
    client : distributed.Client
    chunks : Chunks
    prep : Prep
    """

    def __init__(self, client, chunks: Chunks, prep: Prep):
        self.client, self.chunks, self.prep = client, chunks, prep
        self.firsts = chunks.offsets
        self.where = f"the Dask cluster at {self._address()}"
        self._parts = self._guard(self._load)
        #: Chunks run as scheduler tasks because no worker held them (see the class notes).
        self.reloaded = 0

    def _address(self) -> str:
        try:
            return str(self.client.scheduler.address)
        except Exception:  # a client of an in-process cluster may have none to show
            return "(in process)"

    def _guard(self, work, *args):
        """``work(*args)``, with a lost scheduler said as a :class:`ClusterError` as soon as
        the client knows of it (see :meth:`_watched`)."""
        if self._lost():
            raise self._gone(None)
        try:
            return self._watched(work, *args)
        except ClusterError:
            raise
        except _cluster_errors() as error:
            if isinstance(error, OSError) and not self._unreachable():
                raise  # a file a task could not read, say: the task's own error
            raise self._gone(error) from error

    def _watched(self, work, *args):
        """``work(*args)`` in a thread of its own, given up as soon as the client has lost
        its scheduler. A call under way when the scheduler dies may otherwise go on trying
        to reach it for ``distributed.comm.timeouts.connect`` (30 s by default), where the
        client notices the loss in milliseconds (its stream from the scheduler closes)."""
        done = threading.Event()
        outcome: list = []

        def target():
            try:
                outcome.append((True, work(*args)))
            except BaseException as error:  # handed to the caller's thread
                outcome.append((False, error))
            finally:
                done.set()

        threading.Thread(target=target, name="descend-dask-call", daemon=True).start()
        while not done.wait(_WATCH_SECONDS):
            if self._lost():
                raise self._gone(None)
        ok, value = outcome[0]
        if ok:
            return value
        raise value

    def _unreachable(self) -> bool:
        """After a call failed with an OSError: whether it is the scheduler that is gone
        (the client says so, or the scheduler does not answer a new connection within
        five seconds) rather than something a task did."""
        if self._lost():
            return True
        client = self.client

        async def probe():
            from distributed.core import rpc

            async with rpc(client.scheduler.address, timeout=_PROBE_SECONDS,
                           connection_args=client.connection_args) as scheduler:  # fmt: skip
                await scheduler.identity()

        try:
            self._watched(client.sync, probe)
        except Exception:
            return True
        return self._lost()

    def _gone(self, error) -> ClusterError:
        why = "" if error is None else f" ({type(error).__name__}: {error})"
        return ClusterError(
            f"the scheduler of {self.where} went away during the fit{why}, and the chunks "
            "its workers held with it. The data stay where they are: run the fit again on a "
            "running cluster; a fit with checkpoint=... goes on from its last checkpoint "
            "with resume=True."
        )

    def _lost(self) -> bool:
        """Whether the client lost its scheduler: a client that lost the connection (it
        tries to reconnect, status "connecting") has dropped every future, our chunks'
        too, even if the scheduler comes back."""
        return getattr(self.client, "status", "running") != "running"

    def _load(self):
        client, prep = self.client, self.prep
        parts = []
        for k, (source, first) in enumerate(zip(self.chunks.sources, self.firsts, strict=True)):
            key = f"descend-chunk-{k}-{self.chunks.token}-{id(self)}"
            if isinstance(source, DaskRows):
                raw = client.compute(source.value)
                parts.append(client.submit(_prepare_raw, raw, prep, first, key=key, pure=False))
            else:
                parts.append(client.submit(_load, source, prep, first, key=key, pure=False))
        # wait here, so that a bad chunk is reported before the fit starts
        client.gather(client.map(_rows_of, parts, pure=False))
        return parts

    def _placement(self, indices) -> dict[str, list[int]]:
        """Which worker runs which of the chunks ``indices``: each on one worker that the
        scheduler says holds it now. Asked before every broadcast (a fraction of a
        millisecond): a worker that died since the last one is not asked, which would wait
        out the connect timeout (30 s by default) before giving up on it."""
        who = self.client.who_has([self._parts[i] for i in indices])
        holders: dict[str, list[int]] = {}
        for i in indices:
            found = who.get(self._parts[i].key) or ()
            if found:
                holders.setdefault(sorted(found)[0], []).append(i)
        return holders

    def _broadcast(self, work, *args) -> dict[int, object]:
        """``work`` on every worker that holds chunks: the results by chunk, those of chunks
        no worker could run (gone with their worker) left out."""
        holders = self._placement(range(len(self._parts)))
        if not holders:
            return {}
        keys = [part.key for part in self._parts]
        replies = self.client.run(
            work, holders, keys, *args, workers=list(holders), on_error="return"
        )  # fmt: skip
        found: dict[int, object] = {}
        for reply in replies.values():
            if isinstance(reply, BaseException):
                if isinstance(reply, _Missing | OSError | EnvironmentError):
                    continue  # a worker gone or its chunk moved: run as tasks below
                raise reply
            found.update(reply)
        return found

    def map(self, fn, *args) -> list:
        def work():
            found = self._broadcast(_map_here, fn, self.firsts, args)
            missing = [i for i in range(len(self._parts)) if i not in found]
            if missing:
                self.reloaded += len(missing)
                futures = self.client.map(
                    _on_worker, [fn] * len(missing), [self._parts[i] for i in missing],
                    [self.firsts[i] for i in missing], *([a] * len(missing) for a in args),
                    pure=False,
                )  # fmt: skip
                found.update(zip(missing, self.client.gather(futures), strict=True))
            return [found[i] for i in range(len(self._parts))]

        return self._guard(work)

    def chain(self, fn, order, carry, extras):
        def work():
            state = carry
            for i, k in enumerate(order):
                state = self._one(fn, k, state, extras[i])
            return state

        return self._guard(work)

    def _one(self, fn, k: int, carry, extra):
        """``fn(part_k, carry, extra)`` on the worker holding chunk k (as a task of the
        scheduler if none does)."""
        holder = next(iter(self._placement([k])), None)
        if holder is not None:
            keys = [part.key for part in self._parts]
            reply = self.client.run(
                _one_here, keys[k], fn, carry, extra, workers=[holder], on_error="return"
            ).get(holder)  # fmt: skip
            if reply is not None and not isinstance(reply, BaseException):
                return reply
            if isinstance(reply, BaseException) and not isinstance(reply, _Missing | OSError):
                raise reply
        self.reloaded += 1
        return self.client.submit(
            _on_worker, fn, self._parts[k], carry, extra, pure=False
        ).result()

    def close(self) -> None:
        parts, self._parts = self._parts, []
        # the cluster may be gone already: nothing is left to free then
        with suppress(Exception):
            self.client.cancel(parts)


class _Missing(LookupError):
    """A worker was asked for a chunk it no longer holds."""


def _held(worker, key):
    try:
        return worker.data[key]
    except KeyError:
        raise _Missing(key) from None


def _map_here(holders, keys, fn, firsts, args, dask_worker=None):
    """On a worker (by ``Client.run``): ``fn`` on each chunk this worker was given."""
    mine = holders.get(dask_worker.address, ())
    threads = dask_worker.state.nthreads
    return {
        i: _on_worker(fn, _held(dask_worker, keys[i]), firsts[i], *args, threads=threads)
        for i in mine
    }


def _one_here(key, fn, carry, extra, dask_worker=None):
    threads = dask_worker.state.nthreads
    return _on_worker(fn, _held(dask_worker, key), carry, extra, threads=threads)


def _prepare_raw(raw, prep: Prep, first: int):
    return prepare(_as_part(raw), prep, first)


def _rows_of(part) -> int:
    """A loaded chunk's rows (both sides of a held-out split)."""
    return part.X.shape[0] if hasattr(part, "X") else sum(side.X.shape[0] for side in part)


_WORKER_LOCK = threading.Lock()


def _on_worker(fn, part, *args, threads=None):
    """``fn(part, *args)`` on a Dask worker: the compiled kernels use the worker's threads
    (so that two workers on one machine share its cores rather than each taking all of
    them), and one kernel runs at a time in the process. ``threads``: the worker's, where
    the caller knows them (``Client.run`` hands the worker over; a task asks for it)."""
    if threads is None:
        try:
            from distributed import get_worker

            threads = get_worker().state.nthreads
        except (ImportError, ValueError, AttributeError):
            threads = None
    with _WORKER_LOCK:
        if threads is None:
            return fn(part, *args)
        import numba

        before = numba.get_num_threads()
        numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
        try:
            return fn(part, *args)
        finally:
            numba.set_num_threads(before)
