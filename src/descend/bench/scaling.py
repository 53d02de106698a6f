r"""Workload 8, scaling out: full passes over data that is not one array in this process.

Four rows, measured side by side in one run on one data set (a binary logistic problem, X of
:data:`ROWS` × :data:`COLUMNS` float64, its last column all ones, in :data:`CHUNKS` chunks):

1. **Overhead of a distributed pass.** On a ``LocalCluster`` of two single-threaded worker
   processes holding the chunks, each pass of :meth:`ChunkedTraining.gradient
   <descend.kernels.chunked.ChunkedTraining.gradient>` (one ``Client.run`` broadcast) is
   timed from the client, and inside the same pass each chunk's kernel call is timed on its
   worker. The workers compute at the same time, so the pass's compute is the busier
   worker's total; the overhead is the pass's wall time less that, per pass.
2. **Two workers against one.** A full-batch epoch (gradient descent, one pass) on a
   cluster of one single-threaded worker and on one of two, the chunks resident on the
   workers (half each on two).
3. **dask-ml's LogisticRegression** (dask-glm) on the same arrays of the same two-worker
   cluster, against ``GDClassifier`` set to dask-glm's objective (see :func:`objective`):
   the time each takes to end within :data:`GAP` of its optimum. Where none of dask-ml's
   solvers gets there (its L-BFGS stops first by SciPy's relative-reduction test, which
   dask-ml does not expose), a further row times both to the lowest objective dask-ml
   reached.
4. **A memory-mapped file against memory.** A full pass over the ``.npy`` file in the page
   cache (:func:`descend.chunks.from_npy`, the :class:`~descend.cluster.Local` executor,
   each chunk mapped with ``MAP_POPULATE`` and unmapped after) against the in-memory pass
   of :class:`descend.kernels.Training`.

Rows 1 to 3 need Dask's distributed (``pip install "descend[dask]"``), row 3 dask-ml as well
(``pip install "descend[bench]"``); without them they say SKIPPED. Every cluster is closed
whatever happens.

The objective of dask-glm, which dask-ml's ``LogisticRegression(C=C)`` minimises, is the
*sum* of the log losses plus :math:`\tfrac{\lambda}{2}\lVert\beta\rVert^2` with
:math:`\lambda = 1/C` over *all* the coefficients, the intercept's included (dask-ml appends
the column of ones itself). By default dask-glm solves it on standardised columns
(``normalize=True``): the penalty then falls on the coefficients of the standardised
columns. Here the features are standardised exactly beforehand (mean 0 and standard deviation
1, to rounding) and the column of ones is part of X, so with ``fit_intercept=False`` on both
sides the two minimise the same function; descend's is
``GDClassifier(penalty="l2", alpha=1/C, reduction="sum", fit_intercept=False)``.

>>> import numpy as np
>>> X = np.array([[1.0, 1.0], [-1.0, 1.0]]); y = np.array([1.0, 0.0])
>>> print(f"{objective(np.zeros(2), X, y, 1.0):.6f}")  # two rows at zero: 2 log 2
1.386294
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import os
import statistics
import tempfile
import time
import warnings
from dataclasses import dataclass

import numpy as np

from descend.bench import peers, timing
from descend.bench.report import Outcome, Row
from descend.bench.timing import Timing, race, time_once

__all__ = ["COLUMNS", "GAP", "ROWS", "note_others", "objective", "scaling_out"]

#: The full size: 800 000 × 64 float64 is 410 MB of X.
ROWS, COLUMNS = 800_000, 64
#: Chunks of the data on the clusters (an even number, split evenly between two workers).
CHUNKS = 8
#: dask-ml's default C; λ = 1/C.
C = 1.0
#: How far above the optimum counts as there (absolute, on the summed objective).
GAP = 1e-6
#: What a distributed pass may spend beyond its compute (row 1).
BUDGET_S = 5e-3
#: Epochs of each timed call of row 2 (its time is divided by them).
EPOCHS = 5
#: Smallest singular value of the features' mixing matrix (the largest is 1): correlated
#: columns, so that the fit takes a few dozen iterations rather than five.
SMALLEST = 0.1
#: dask-ml's solvers that minimise the penalised objective, with what each is given and the
#: most iterations tried. L-BFGS is searched along its own path (every iterate recorded in one
#: run); admm and proximal_grad by doubling max_iter, for at most :data:`SEARCH_S` seconds of
#: fits each. (``newton`` and ``gradient_descent`` drop the penalty: newton runs once, to
#: show how far that is from this optimum.)
SOLVERS = {
    "lbfgs": ("lbfgs", {"tol": 1e-12}, 1000),
    "lbfgs, normalize=False": (
        "lbfgs",
        {"tol": 1e-12, "solver_kwargs": {"normalize": False}},
        1000,
    ),
    "admm": ("admm", {"solver_kwargs": {"abstol": 0.0, "reltol": 0.0}}, 64),
    "proximal_grad": ("proximal_grad", {"tol": 0.0}, 512),
}
#: Seconds of fits a doubling search of a dask-ml solver may spend: it gives up before a fit
#: that would take it past them (each fit runs twice the iterations of the last).
SEARCH_S = 30.0


def _size(n: int, d: int) -> str:
    return f"{n:,} × {d}".replace(",", " ")


# ---------------------------------------------------------------------------------- data


def make_data(n: int, d: int, path: str, seed: int = 8):
    """X (``d - 1`` correlated Gaussian features, each standardised exactly, then a column of
    ones), built in place chunk by chunk, saved to ``path`` (``.npy``, flushed to the disk so
    that no write-back runs during the timings and the file stays in the page cache) and
    returned with the 0/1 labels of a logistic model."""
    rng = np.random.default_rng(seed)
    k = d - 1
    s = np.logspace(0.0, math.log10(SMALLEST), k)
    A = s[:, None] * np.linalg.qr(rng.standard_normal((k, k)))[0].T
    X = np.empty((n, d))
    step = 65_536
    for start in range(0, n, step):
        block = rng.standard_normal((min(step, n - start), k))
        np.matmul(block, A, out=X[start : start + step, :k])
    mean = X[:, :k].mean(axis=0)
    scale = X[:, :k].std(axis=0)
    for start in range(0, n, step):
        part = X[start : start + step, :k]
        part -= mean
        part /= scale
    X[:, k] = 1.0
    w = np.append(rng.standard_normal(k) * 2.0 / math.sqrt(k), 0.5)
    y = (X @ w + rng.logistic(size=n) > 0).astype(np.float64)
    with open(path, "wb") as fh:
        np.save(fh, X)
        fh.flush()
        os.fsync(fh.fileno())
    return X, y


def objective(theta, X, y, lam: float) -> float:
    r"""dask-glm's logistic objective: :math:`\sum_i \log(1 + e^{z_i}) - y_i z_i +
    \tfrac{\lambda}{2}\lVert\theta\rVert^2`, :math:`z = X\theta`."""
    z = X @ theta
    return float(np.sum(np.logaddexp(0.0, z)) - y @ z + 0.5 * lam * float(theta @ theta))


def _value_grad(theta, X, y, lam: float):
    z = X @ theta
    p = 0.5 * (1.0 + np.tanh(0.5 * z))  # the sigmoid, without overflow
    value = float(np.sum(np.logaddexp(0.0, z)) - y @ z + 0.5 * lam * float(theta @ theta))
    return value, X.T @ (p - y) + lam * theta


def optimum(X, y, lam: float) -> tuple[np.ndarray, float, float]:
    """The minimiser by SciPy's L-BFGS-B in memory at a tight tolerance (Newton steps after
    it if the gradient is not yet small), its objective, and a bound on how far that is above
    the true minimum: the objective is λ-strongly convex, so the gap is at most
    ‖g‖² / (2λ)."""
    from scipy.optimize import fmin_l_bfgs_b

    theta, _, _ = fmin_l_bfgs_b(
        _value_grad, np.zeros(X.shape[1]), args=(X, y, lam), m=20, factr=10.0, pgtol=1e-9,
        maxiter=10_000,
    )  # fmt: skip
    for _ in range(5):
        value, g = _value_grad(theta, X, y, lam)
        if float(g @ g) / (2 * lam) <= 1e-12:
            break
        H = lam * np.eye(X.shape[1])
        for start in range(0, X.shape[0], 65_536):
            part = X[start : start + 65_536]
            z = part @ theta
            p = 0.5 * (1.0 + np.tanh(0.5 * z))
            H += (part.T * (p * (1.0 - p))) @ part
        trial = theta - np.linalg.solve(H, g)
        if objective(trial, X, y, lam) > value:
            break
        theta = trial
    value, g = _value_grad(theta, X, y, lam)
    return theta, objective(theta, X, y, lam), float(g @ g) / (2 * lam)


# ------------------------------------------------------------------------------ clusters


def _read_rows(path: str, start: int, stop: int) -> np.ndarray:
    """Rows ``start:stop`` of a ``.npy`` file, copied into the worker's memory."""
    return np.array(np.load(path, mmap_mode="r")[start:stop])


def _start(stack: contextlib.ExitStack, workers: int):
    """A client of a new local cluster of ``workers`` single-threaded worker processes, closed
    (client, then cluster) when ``stack`` closes."""
    from distributed import Client, LocalCluster

    local = stack.enter_context(
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
            silence_logs=logging.ERROR,
        )
    )  # fmt: skip
    return stack.enter_context(Client(local, set_as_default=False))


def _place(client, path: str, y: np.ndarray, bounds: list[tuple[int, int]], d: int):
    """X's rows (read from ``path`` on the workers) and y as Dask arrays of the chunks
    ``bounds``, persisted: the first half of the chunks on the first worker, the rest on the
    last (all on one worker when there is one). Returns the arrays and which worker holds
    each chunk."""
    import dask.array as da
    from distributed import wait

    workers = sorted(client.scheduler_info()["workers"])
    xs, ys, held = [], [], []
    for i, (a, b) in enumerate(bounds):
        worker = workers[i * len(workers) // len(bounds)]
        rows = client.submit(
            _read_rows, path, a, b, workers=[worker], allow_other_workers=False, pure=False
        )  # fmt: skip
        labels = client.scatter(y[a:b], workers=[worker])
        xs.append(da.from_delayed(rows, (b - a, d), dtype=np.float64))
        ys.append(da.from_delayed(labels, (b - a,), dtype=np.float64))
        held.append(worker)
    X, Y = client.persist([da.concatenate(xs), da.concatenate(ys)])
    with client.as_current():
        wait([X, Y])
    return X, Y, held


def _training(client, X, Y, model, loss, penalty):
    """A :class:`ChunkedTraining` of the Dask arrays' blocks, held by the cluster's workers."""
    from descend import chunks, cluster
    from descend.kernels.chunked import ChunkedTraining

    prep = chunks.Prep(dtype="float64", classes=np.array([0.0, 1.0]), binary=True)
    with client.as_current():  # the blocks' fingerprint reads rows of the persisted arrays
        data = chunks.from_dask(X, Y)
    run = cluster.Dask(client, data, prep)
    try:
        return ChunkedTraining(
            run, model=model, loss=loss, penalty=penalty, batch_size=X.shape[0],
            classifier=True,
        )  # fmt: skip
    except BaseException:
        run.close()
        raise


def _timed_sums(part, first, theta, spec):
    """:func:`descend.kernels.chunked.chunk_sums` with its own time, the process that ran it
    and the Numba threads it had (for row 1)."""
    from descend.kernels.chunked import chunk_sums

    start = time.perf_counter()
    found = chunk_sums(part, first, theta, spec)
    return time.perf_counter() - start, os.getpid(), _numba_threads(), found


def _numba_threads() -> int | None:
    try:
        import numba
    except ImportError:
        return None
    return int(numba.get_num_threads())


def _in_one_thread(part, first, fn, *args):
    """``fn(part, first, *args)`` with Numba held to one thread (where it runs)."""
    try:
        import numba
    except ImportError:
        return fn(part, first, *args)
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        return fn(part, first, *args)
    finally:
        numba.set_num_threads(before)


class _OneThread:
    """An executor's passes with each chunk's kernel held to one Numba thread on its worker:
    what :func:`descend.cluster._on_worker` sets up for a worker of one thread where it can
    find the worker (row 2 times it beside the executor as it is)."""

    def __init__(self, run):
        self.run = run

    def map(self, fn, *args) -> list:
        return self.run.map(_in_one_thread, fn, *args)

    def close(self) -> None:
        """The executor stays with its own :class:`ChunkedTraining`, which closes it."""


# ------------------------------------------------------------------------------ workload


@dataclass
class _Problem:
    X: np.ndarray
    y: np.ndarray
    path: str
    bounds: list
    lam: float

    @functools.cached_property
    def model(self):
        from descend import kernels

        return kernels.LinearModel(self.X.shape[1], 1, False)

    @functools.cached_property
    def loss(self):
        from descend import losses

        return losses.log_loss(reduction="sum")

    @functools.cached_property
    def penalty(self):
        from descend.penalties import Penalty

        return Penalty("l2", alpha=self.lam)

    def theta(self, seed: int = 0) -> np.ndarray:
        return np.random.default_rng(seed).standard_normal(self.X.shape[1]) * 0.01


def scaling_out(ctx) -> Outcome:
    n, d = ctx.pick((ROWS, COLUMNS), (20_000, 8))
    out = Outcome(8, "scaling out", _size(n, d))
    folder = tempfile.mkdtemp(prefix="descend-bench-scaling-")
    path = os.path.join(folder, "X.npy")
    load_before, use_before = _load(), _machine_use()
    try:
        ctx.progress("8: data")
        X, y = make_data(n, d, path)
        per = -(-n // CHUNKS)
        bounds = [(a, min(n, a + per)) for a in range(0, n, per)]
        problem = _Problem(X, y, path, bounds, 1.0 / C)
        out.details.update(rows=n, columns=d, chunks=len(bounds), X_bytes=X.nbytes)
        memmap_rows = _memmap(ctx, out, problem)
        if peers.import_peer("distributed") is None:
            note = peers.missing("distributed")
            out.notes.append(note)
            for case, mine, theirs, kind, target in _CLUSTER_ROWS:
                out.rows.append(
                    Row(8, case, mine, None, theirs, None, kind, target, skipped=True, note=note)
                )  # fmt: skip
        else:
            with contextlib.ExitStack() as stack:
                _on_clusters(ctx, out, problem, stack)
        out.rows.extend(memmap_rows)
    finally:
        with contextlib.suppress(OSError):
            os.remove(path)
        with contextlib.suppress(OSError):
            os.rmdir(folder)
    out.details["load_average"] = {"before": load_before, "after": _load()}
    note_others(out, use_before, "its workers'")
    return out


def _machine_use() -> tuple[float, float, float] | None:
    """Now, the seconds the machine's CPUs have been busy (stolen time too) and the CPU
    seconds of this process and its children that have ended; None without /proc/stat."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            values = [int(v) for v in fh.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (values + [0] * 8)[:8]
    busy = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    mine = os.times()
    own = mine.user + mine.system + mine.children_user + mine.children_system
    return time.perf_counter(), busy, own


def note_others(out, before, helpers: str) -> None:
    """Note on ``out`` the share of the cores that other processes kept busy since the
    :func:`_machine_use` reading ``before`` (``helpers``: whose CPU time, beside this
    process's, is not counted as theirs), where it can be read."""
    others = _others(before, _machine_use())
    if others is not None:
        out.details["other_processes_cpu_share"] = others
        out.notes.append(
            f"Other processes kept {others:.0%} of the machine's cores busy while this workload "
            f"ran (the CPU time /proc/stat counts, less this process's and {helpers}): on "
            f"{os.cpu_count()} cores, anything else running shows in these numbers."
        )


def _others(before, after) -> float | None:
    """The share of the machine's cores that other processes kept busy between two
    :func:`_machine_use` readings."""
    if before is None or after is None or after[0] <= before[0]:
        return None
    cores = os.cpu_count() or 1
    others = (after[1] - before[1]) - (after[2] - before[2])
    return max(0.0, others) / ((after[0] - before[0]) * cores)


def _load() -> list[float]:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:  # pragma: no cover - not a Unix system
        return []


_CLUSTER_ROWS = [
    ("full-batch pass on 2 workers × 1 thread", "pass − the busier worker's compute",
     f"{BUDGET_S * 1e3:g} ms allowed beyond compute", "at_most", 1.0),
    ("full-batch epoch, chunks resident on the workers", "2 workers × 1 thread",
     "1 worker × 1 thread", "at_least", 1.6),
    ("dask-glm's objective within 1e-6 of its optimum, 2 workers", "GDClassifier.fit",
     "dask-ml LogisticRegression.fit", "at_least", 1.0),
]  # fmt: skip


def _on_clusters(ctx, out: Outcome, problem: _Problem, stack: contextlib.ExitStack) -> None:
    """Rows 1 to 3. Both clusters are up for rows 1 and 2 (so that row 2's epochs take
    turns); the one-worker cluster is closed before row 3. ``stack`` closes whatever is
    still open, whatever happens."""
    from descend import cluster as executors

    ctx.progress("8: starting a cluster of 2 workers and one of 1")
    two = _start(stack, 2)
    single = stack.enter_context(contextlib.ExitStack())
    one = _start(single, 1)
    d = problem.X.shape[1]
    placed = {}
    for name, client in (("2 workers", two), ("1 worker", one)):
        X, Y, held = _place(client, problem.path, problem.y, problem.bounds, d)
        placed[name] = (X, Y)
        out.details.setdefault("placement", {})[name] = held
    trainings = {}
    for name, client, closer in (("2 workers", two, stack), ("1 worker", one, single)):
        rows = _training(client, *placed[name], problem.model, problem.loss, problem.penalty)
        closer.callback(rows.close)
        trainings[name] = rows
    ctx.progress("8: overhead of a distributed pass")
    out.rows.append(_overhead(ctx, out, problem, trainings["2 workers"], two))
    ctx.progress("8: 1 worker against 2")
    out.rows.append(_two_against_one(ctx, out, problem, trainings))
    trainings["2 workers"].close()  # the fits load the chunks again, as a fit does
    del placed["1 worker"]
    single.close()
    X, Y = placed["2 workers"]
    if peers.import_peer("dask_ml.linear_model") is None:
        note = peers.missing("dask_ml")
        out.notes.append(note)
        case, mine, theirs, kind, target = _CLUSTER_ROWS[2]
        out.rows.append(
            Row(8, case, mine, None, theirs, None, kind, target, skipped=True, note=note)
        )  # fmt: skip
        return
    two.run(_quiet)  # dask-glm's exp overflows on its way (proximal_grad): not worth a line
    with executors.using(two), two.as_current():
        out.rows.extend(_against_dask_ml(ctx, out, problem, X, Y))


def _quiet() -> None:
    """On a worker of this workload's own cluster: no RuntimeWarnings printed."""
    warnings.simplefilter("ignore", RuntimeWarning)


# ------------------------------------------------------------------ row 1: the overhead


def _overhead(ctx, out: Outcome, problem: _Problem, rows, client) -> Row:
    """Per pass: its wall time from the client less the busier worker's kernel time, each
    chunk's kernel timed where it ran; also the plain ``gradient`` pass timed alone, and the
    pass over tiny chunks, whose time is all overhead."""
    from descend import chunks
    from descend.kernels.chunked import PassSpec

    theta = problem.theta()
    spec = PassSpec(problem.model, problem.loss, True, True)

    def plain():
        rows._last = None  # no reuse of the last pass: each call reads every chunk
        return rows.gradient(theta)

    def instrumented(one_thread=False):
        start = time.perf_counter()
        if one_thread:  # each kernel held to one thread, as cluster._on_worker means to
            found = rows.run.map(_in_one_thread, _timed_sums, theta, spec)
        else:
            found = rows.run.map(_timed_sums, theta, spec)
        wall = time.perf_counter() - start
        busy: dict[int, float] = {}
        for seconds, pid, threads, _ in found:
            busy[pid] = busy.get(pid, 0.0) + seconds
            if not one_thread:
                seen.add(threads)
        return wall, busy

    seen: set = set()
    repeats = max(3, 4 * ctx.repeat)
    for _ in range(2):  # warm-up: the workers load their kernels
        plain()
        instrumented()
        instrumented(one_thread=True)
    passes, walls, computes, spreads, held = [], [], [], [], []
    for _ in range(repeats):
        if timing.SETTLE_S:
            time.sleep(timing.SETTLE_S)
        passes.append(time_once(plain))
        if timing.SETTLE_S:
            time.sleep(timing.SETTLE_S)
        wall, busy = instrumented()
        walls.append(wall)
        computes.append(max(busy.values()))
        spreads.append(max(busy.values()) - min(busy.values()))
        if timing.SETTLE_S:
            time.sleep(timing.SETTLE_S)
        wall, busy = instrumented(one_thread=True)
        held.append((wall, max(busy.values())))
    overheads = [w - c for w, c in zip(walls, computes, strict=True)]
    held_overheads = [w - c for w, c in held]
    # tiny chunks on the same cluster: a pass of almost no compute
    small = problem.X[: 64 * CHUNKS]
    tiny_rows = chunks.from_arrays(small, problem.y[: len(small)], rows=64)
    tiny = _tiny_training(client, tiny_rows, problem)
    try:

        def tiny_pass():
            tiny._last = None
            return tiny.gradient(theta)

        tiny_times = race({"tiny": tiny_pass}, repeats)["tiny"]
    finally:
        tiny.close()
    overhead = statistics.median(overheads)
    out.timings["pass, 2 workers: ChunkedTraining.gradient"] = Timing(passes)
    out.timings["pass, 2 workers: instrumented wall"] = Timing(walls)
    out.timings["pass, 2 workers: busier worker's compute"] = Timing(computes)
    out.timings["pass, 2 workers: wall − compute"] = Timing(overheads)
    out.timings["pass over 8 chunks of 64 rows, 2 workers"] = tiny_times
    out.details["overhead"] = {
        "median_s": overhead, "pass_median_s": statistics.median(passes),
        "instrumented_wall_median_s": statistics.median(walls),
        "compute_median_s": statistics.median(computes),
        "worker_spread_median_s": statistics.median(spreads),
        "tiny_pass_median_s": tiny_times.median, "passes": repeats,
        "worker_numba_threads": sorted(t for t in seen if t is not None),
        "kernels_on_1_thread": {
            "median_s": statistics.median(held_overheads),
            "wall_median_s": statistics.median(w for w, _ in held),
            "compute_median_s": statistics.median(c for _, c in held),
        },
    }  # fmt: skip
    fmt = timing.format_seconds
    threads = "/".join(str(t) for t in sorted(t for t in seen if t is not None)) or "no"
    out.notes.append(
        f"Row 1: {repeats} passes, each timed from the client while every chunk's kernel call "
        f"(compiled.chunk_sums, as the worker runs it: on {threads} Numba thread(s), in "
        "workers of one thread) was timed on its worker; overhead = the pass's wall "
        "time − the busier worker's summed kernel time, median over the passes "
        f"({fmt(overhead)}; wall {fmt(statistics.median(walls))}, compute "
        f"{fmt(statistics.median(computes))}; the other worker finished "
        f"{fmt(statistics.median(spreads))} earlier, which is not counted as overhead). "
        f"ChunkedTraining.gradient itself took {fmt(statistics.median(passes))} a pass "
        f"(median, timed in turn with them). A pass over {CHUNKS} chunks of 64 rows on the "
        f"same workers, almost no compute, took {fmt(tiny_times.median)}. The same "
        "instrumented passes with each kernel held to one thread (a wrapper, in turn with "
        f"the others): overhead {fmt(statistics.median(held_overheads))}, wall "
        f"{fmt(statistics.median(w for w, _ in held))}, compute "
        f"{fmt(statistics.median(c for _, c in held))}."
    )
    return Row(
        8, _CLUSTER_ROWS[0][0], _CLUSTER_ROWS[0][1], overhead, _CLUSTER_ROWS[0][2], BUDGET_S,
        "at_most", 1.0,
    )  # fmt: skip


def _tiny_training(client, data, problem: _Problem):
    from descend import chunks, cluster
    from descend.kernels.chunked import ChunkedTraining

    prep = chunks.Prep(dtype="float64", classes=np.array([0.0, 1.0]), binary=True)
    run = cluster.Dask(client, data, prep)
    try:
        return ChunkedTraining(
            run, model=problem.model, loss=problem.loss, penalty=problem.penalty,
            batch_size=data.n_rows, classifier=True,
        )  # fmt: skip
    except BaseException:
        run.close()
        raise


# ------------------------------------------------------------- row 2: two workers, one


def _two_against_one(ctx, out: Outcome, problem: _Problem, trainings: dict) -> Row:
    from descend import optimizers
    from descend.kernels import compiled
    from descend.kernels.chunked import ChunkedTraining

    rate = 1e-7
    opt = optimizers.GD(rate)
    theta0 = problem.theta()

    def epochs(rows):
        def run():
            rows._last = None
            theta, state = theta0, opt.init(theta0)
            for _ in range(EPOCHS):
                theta, state = rows.epoch(theta, state, opt, rate, None)
            return theta

        return run

    contenders = {name: epochs(rows) for name, rows in trainings.items()}
    # Where the workers' kernels ran on more Numba threads than the workers have (row 1 saw
    # it), the same epochs with each kernel held to one thread, beside them: what the
    # executor means to do (cluster._on_worker), for the notes.
    threads = out.details.get("overhead", {}).get("worker_numba_threads", [])
    held = {}
    if any(t > 1 for t in threads):
        for name, rows in trainings.items():
            held[name] = ChunkedTraining(
                _OneThread(rows.run), model=rows.model, loss=rows.loss, penalty=rows.penalty,
                batch_size=rows.n_rows, classifier=True,
            )  # fmt: skip
            contenders[f"{name}, kernels on 1 thread"] = epochs(held[name])
    timings = race(contenders, ctx.repeat)
    for name, t in timings.items():
        out.timings[f"{EPOCHS} epochs, {name}"] = t
    one, two = timings["1 worker"].median / EPOCHS, timings["2 workers"].median / EPOCHS
    if held:
        one_1 = timings["1 worker, kernels on 1 thread"].median / EPOCHS
        two_1 = timings["2 workers, kernels on 1 thread"].median / EPOCHS
        out.details["two_against_one_kernels_on_1_thread"] = {
            "epoch_s": {"1 worker": one_1, "2 workers": two_1}, "speedup": one_1 / two_1,
        }  # fmt: skip
        out.notes.append(
            f"Row 2: the workers' kernels ran on {'/'.join(map(str, threads))} Numba threads "
            "in workers of one thread: cluster._on_worker holds them to the worker's threads "
            "only where distributed.get_worker() finds the worker, which it does not inside "
            "Client.run, the broadcast a pass uses. The same epochs with each kernel held to "
            f"one thread (a wrapper around the pass's function, timed in the same race): "
            f"{timing.format_seconds(one_1)} on 1 worker, {timing.format_seconds(two_1)} on 2, "
            f"{one_1 / two_1:.2f}×."
        )
    # what this machine gives two threads over one at reading X, in one process
    reads = {}
    if compiled.available():
        for threads in (1, 2):

            def read(threads=threads):
                with compiled.threads(threads):
                    return compiled.total(problem.X)

            reads[threads] = read
        read_times = race({f"{k} thread{'s' * (k > 1)}": f for k, f in reads.items()}, ctx.repeat)
        for name, t in read_times.items():
            out.timings[f"read of X in this process, {name}"] = t
        ceiling = read_times["1 thread"].median / read_times["2 threads"].median
    else:
        ceiling, read_times = math.nan, {}
    n = problem.X.shape[0]
    out.details["two_against_one"] = {
        "epoch_s": {"1 worker": one, "2 workers": two},
        "rows_per_s": {"1 worker": n / one, "2 workers": n / two},
        "read_speedup_2_threads": ceiling,
    }
    read = (
        f"Reading X once in this process (compiled.total) takes "
        f"{timing.format_seconds(read_times['1 thread'].median)} on 1 thread and "
        f"{timing.format_seconds(read_times['2 threads'].median)} on 2 ({ceiling:.2f}×): the "
        "most a second core gives a pass that streams X from memory on this machine."
        if math.isfinite(ceiling)
        else ""
    )
    out.notes.append(
        f"Row 2: {EPOCHS} full-batch epochs of gradient descent per timed call (the row gives "
        f"one epoch: a pass and a step), the chunks resident on the workers: "
        f"{n / one / 1e6:.3g} M rows/s on 1 worker, {n / two / 1e6:.3g} M rows/s on 2. " + read
    )
    return Row(8, _CLUSTER_ROWS[1][0], _CLUSTER_ROWS[1][1], two, _CLUSTER_ROWS[1][2], one,
               "at_least", 1.6)  # fmt: skip


# ------------------------------------------------------------------- row 3: dask-ml


def _against_dask_ml(ctx, out: Outcome, problem: _Problem, X, Y) -> list[Row]:
    """Row 3: descend and each of dask-ml's solvers at the fewest iterations that get within
    :data:`GAP` of the optimum, timed in turn. Where no dask-ml solver gets there, a second
    row times both to the lowest objective dask-ml reached."""
    lam = problem.lam
    ctx.progress("8: the optimum of dask-glm's objective")
    _, best, bound = optimum(problem.X, problem.y, lam)

    def gap_of(coef) -> float:
        return objective(np.ravel(np.asarray(coef)), problem.X, problem.y, lam) - best

    ctx.progress("8: descend on the cluster")
    settings = dict(penalty="l2", alpha=lam, reduction="sum", fit_intercept=False)
    label = "GDClassifier(" + ", ".join(f"{k}={v!r}" for k, v in settings.items()) + ")"
    max_epochs = ctx.pick(2_000, 500)
    mine = _descend_fit(settings, label, X, Y, best + GAP, gap_of, max_epochs)
    solvers = SOLVERS if not ctx.quick else {"lbfgs": ("lbfgs", {"tol": 1e-12}, 8)}
    theirs: dict[str, _Fit] = {}
    searches: dict[str, object] = {}
    for name, (solver, given, limit) in solvers.items():
        ctx.progress(f"8: dask-ml LogisticRegression({name})")
        fit_with = functools.partial(_dask_ml_fit, solver, given, X, Y)
        if solver == "lbfgs":
            searches[name] = _lbfgs_path(fit_with, given, X, gap_of, limit)
            theirs[name] = _along(name, fit_with, searches[name], gap_of, GAP)
        else:
            theirs[name], searches[name] = _doubling(name, fit_with, limit, gap_of, GAP)
    newton = None
    if not ctx.quick:
        ctx.progress("8: dask-ml LogisticRegression(newton), which drops the penalty")
        start = time.perf_counter()
        fitted = _dask_ml_fit("newton", {}, X, Y, 100)
        newton = {"gap": gap_of(fitted.coef_), "seconds": time.perf_counter() - start}
    out.details["dask_ml_search"] = {
        k: (v.as_dict() if isinstance(v, _Path) else _tried(v)) for k, v in searches.items()
    }
    case = _CLUSTER_ROWS[2][0]
    rows = [_race_fits(ctx, out, case, "", mine, theirs)]
    out.details["dask_ml"] = {
        "objective": "sum of log losses + λ/2 ‖θ‖², λ = 1/C, θ including the intercept",
        "C": C, "lambda": lam, "optimum": best, "optimum_bound": bound, "gap": GAP,
        "descend": mine.as_dict(), "dask_ml": {k: f.as_dict() for k, f in theirs.items()},
        "newton_without_penalty": newton,
    }  # fmt: skip
    for name, f in theirs.items():
        if f.fit is None:
            stop = searches[name]
            why = (
                f", where SciPy's L-BFGS-B stopped by itself after {stop.iterations} iterations"
                " (its relative-reduction test, factr, which dask-ml does not expose)"
                if isinstance(stop, _Path) and stop.iterations < stop.limit
                else ""
            )
            out.notes.append(
                f"Row 3: dask-ml {f.label} did not get within {GAP:g}: it ended {f.gap:.3g} "
                f"above the optimum{why}."
            )
    if newton is not None:
        out.notes.append(
            "Row 3: dask-ml's newton solves the problem without the penalty (dask-ml drops "
            f"it for newton): it ended {newton['gap']:.3g} above this optimum in "
            f"{newton['seconds']:.3g} s, so it is no contender."
        )
    if not any(f.fit for f in theirs.values()):
        # the lowest objective a dask-ml solver reached, and the fewest iterations to it
        name = min(theirs, key=lambda k: theirs[k].gap)
        level = theirs[name].gap
        solver, given, limit = solvers[name]
        fit_with = functools.partial(_dask_ml_fit, solver, given, X, Y)
        ctx.progress(f"8: to dask-ml's best, {level:.3g} above the optimum")
        if isinstance(searches[name], _Path):
            theirs_there = _along(name, fit_with, searches[name], gap_of, level)
        else:
            theirs_there, _ = _doubling(name, fit_with, limit, gap_of, level, searches[name])
        ours_there = _descend_fit(settings, label, X, Y, best + level, gap_of, max_epochs)
        case = f"dask-glm's objective to dask-ml's best ({level:.3g} above), 2 workers"
        rows.append(
            _race_fits(ctx, out, case, "to dask-ml's best: ", ours_there, {name: theirs_there})
        )
        out.details["dask_ml"]["to_its_best"] = {
            "solver": name, "gap": level, "descend": ours_there.as_dict(),
            "dask_ml": theirs_there.as_dict(),
        }  # fmt: skip
    out.notes.append(
        f"Row 3: dask-glm minimises Σ log(1 + exp(x·θ)) − y x·θ + λ/2 ‖θ‖² with λ = 1/C = "
        f"{lam:g} (C = {C:g}, dask-ml's default), the intercept's coefficient penalised too, by "
        "default on standardised columns; here X's features are standardised exactly "
        "beforehand and the column of ones is X's last, both sides fit with "
        f"fit_intercept=False, and descend runs {label}, the defaults otherwise (L-BFGS), "
        f"with target_loss. The optimum ({best:.10g}) is SciPy's L-BFGS-B in memory, within "
        f"{bound:.1g} of the true one by its gradient. "
        + (
            "dask-ml's lbfgs (with and without normalize) is searched along its path: one run "
            "records every iterate, the fewest iterations that get there are confirmed by a "
            "fit with that max_iter; admm and proximal_grad by doubling max_iter for at most "
            f"{SEARCH_S:g} s of fits each (stopping before a fit that would pass them)."
            if not ctx.quick
            else "dask-ml's lbfgs alone (quick mode)."
        )
        + f" The fastest that gets there counts. Fits are timed {min(ctx.repeat, 3)} times "
        "each, in turn, on the same cluster."
    )
    return rows


@dataclass
class _Fit:
    """One contender of row 3: the call to time (None when it never got there), how far
    above the optimum its untimed run ended, and its counts."""

    label: str
    fit: object
    gap: float
    iterations: int | None
    passes: int | None = None

    def counts(self) -> str:
        if self.passes is None:
            return f"max_iter={self.iterations}"
        return f"{self.iterations} epochs, {self.passes} passes"

    def as_dict(self) -> dict:
        return {"label": self.label, "reached": self.fit is not None, "gap": self.gap,
                "iterations": self.iterations, "passes": self.passes}  # fmt: skip


def _descend_fit(settings, label, X, Y, threshold, gap_of, max_epochs) -> _Fit:
    """descend's fit on the cluster (current), stopped by ``target_loss``; an untimed run
    first says whether it gets there."""
    from descend import GDClassifier

    def fit():
        return GDClassifier(
            tol=None, target_loss=threshold, max_epochs=max_epochs, random_state=0, **settings
        ).fit(X, Y)

    fitted = fit()
    reached = fitted.stop_reason_ == "target_loss"
    return _Fit(label, fit if reached else None, gap_of(fitted.coef_), int(fitted.n_iter_),
                getattr(fitted, "n_passes_", None))  # fmt: skip


def _race_fits(ctx, out: Outcome, case: str, prefix: str, mine: _Fit, theirs: dict) -> Row:
    """Time descend and every dask-ml contender that got there in turn; the row against the
    fastest dask-ml one (a report when none got there)."""
    calls = {"descend": mine.fit} if mine.fit else {}
    calls.update({name: f.fit for name, f in theirs.items() if f.fit})
    ctx.progress(f"8: timing the fits {prefix.rstrip(': ')}".rstrip())
    timings = race(calls, min(ctx.repeat, 3), warmup=0) if calls else {}
    for name, t in timings.items():
        out.timings[f"fit, {prefix}{name}"] = t
    finished = {name: timings[name].median for name in theirs if name in timings}
    mine_value = timings["descend"].median if "descend" in timings else None
    mine_label = f"{mine.label}: {mine.counts()}"
    if mine.fit is None:
        mine_label += f", not there ({mine.gap:.3g} above)"
    if not finished:
        closest = min(theirs.values(), key=lambda f: f.gap)
        return Row(8, case, mine_label, mine_value,
                   f"dask-ml: none got there (closest: {closest.label}, {closest.gap:.3g} "
                   "above)", None, "report")  # fmt: skip
    winner = min(finished, key=finished.get)
    return Row(8, case, mine_label, mine_value, f"dask-ml {theirs[winner].label}",
               finished[winner], "at_least", 1.0)  # fmt: skip


def _dask_ml_fit(solver: str, given: dict, X, Y, max_iter: int):
    """dask-ml's LogisticRegression on dask-glm's objective with ``C``, fitted to the Dask
    arrays (their column of ones is the intercept's)."""
    from dask_ml.linear_model import LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return LogisticRegression(
            solver=solver, C=C, fit_intercept=False, max_iter=max_iter, **given
        ).fit(X, Y)


def _label(name: str, max_iter: int) -> str:
    solver, _, extra = name.partition(", ")
    return f"LogisticRegression(solver={solver!r}, max_iter={max_iter}" + (
        f", {extra})" if extra else ")"
    )


@dataclass
class _Path:
    """How far above the optimum dask-glm's L-BFGS was after each of its iterations, from one
    run with ``max_iter=limit``."""

    gaps: list[float]
    final: float
    seconds: float
    limit: int

    @property
    def iterations(self) -> int:
        return len(self.gaps)

    def as_dict(self) -> dict:
        return {"gaps": self.gaps, "final_gap": self.final, "seconds": self.seconds,
                "iterations": self.iterations, "max_iter": self.limit}  # fmt: skip


@contextlib.contextmanager
def _recording():
    """Every iterate of dask-glm's L-BFGS while the block runs: dask-glm calls SciPy's
    ``fmin_l_bfgs_b`` without a callback, so its module's name is bound, for the block, to a
    wrapper that gives one (nothing else changes); put back afterwards."""
    from dask_glm import algorithms

    original = algorithms.fmin_l_bfgs_b
    iterates: list[np.ndarray] = []

    def recorded(*args, **kwargs):
        kwargs["callback"] = lambda xk: iterates.append(np.array(xk, copy=True))
        return original(*args, **kwargs)

    algorithms.fmin_l_bfgs_b = recorded
    try:
        yield iterates
    finally:
        algorithms.fmin_l_bfgs_b = original


def _lbfgs_path(fit_with, given: dict, X, gap_of, limit: int) -> _Path:
    """One run of dask-ml's lbfgs with every iterate recorded, each taken back to X's own
    columns as dask-glm's ``normalize`` does with its result, and its gap."""
    import dask.array as da

    with _recording() as iterates:
        start = time.perf_counter()
        model = fit_with(limit)
        seconds = time.perf_counter() - start
    if given.get("solver_kwargs", {}).get("normalize", True):
        mean, std = (np.array(v) for v in da.compute(X.mean(axis=0), X.std(axis=0)))
        constant = np.where(std == 0)
        mean[constant], std[constant] = 0.0, 1.0
        if not len(constant[0]):
            mean = np.zeros_like(mean)

        def back(beta):
            out = np.array(beta, copy=True)
            out[constant] -= np.sum(out * mean / std)
            return out / std

        iterates = [back(b) for b in iterates]
    return _Path([gap_of(b) for b in iterates], gap_of(model.coef_), seconds, limit)


def _along(name: str, fit_with, path: _Path, gap_of, level: float) -> _Fit:
    """dask-ml's lbfgs at the fewest iterations its path says get within ``level``, confirmed
    by a fit with that ``max_iter`` (and more while it does not)."""
    there = [k + 1 for k, g in enumerate(path.gaps) if g <= level]
    if not there:
        return _Fit(_label(name, path.limit), None, path.final, path.iterations)
    k = there[0]
    while True:
        gap = gap_of(fit_with(k).coef_)
        if gap <= level or k >= path.iterations:
            break
        k += 1
    fit = functools.partial(fit_with, k) if gap <= level else None
    return _Fit(_label(name, k), fit, gap, k)


def _doubling(name: str, fit_with, limit: int, gap_of, level: float, tried=None):
    """A dask-ml solver at the fewest ``max_iter`` that end within ``level`` of the optimum
    (doubling, then bisection), given up at ``limit`` or once its fits have taken
    :data:`SEARCH_S` seconds. Returns the contender and every fit by its ``max_iter`` (gap,
    seconds), which a later search of the same solver reuses."""
    tried = {} if tried is None else tried

    def gap(max_iter: int) -> float:
        if max_iter not in tried:
            start = time.perf_counter()
            model = fit_with(max_iter)
            tried[max_iter] = (gap_of(model.coef_), time.perf_counter() - start)
        return tried[max_iter][0]

    def spent() -> float:
        return sum(seconds for _, seconds in tried.values())

    low, high = 0, 1
    value = gap(high)
    while value > level:
        # the next fit runs twice the iterations: give up before it would pass the budget
        if high >= limit or spent() + 2 * tried[high][1] > SEARCH_S:
            return _Fit(_label(name, high), None, value, high), tried
        low, high = high, min(2 * high, limit)
        value = gap(high)
    while high - low > 1:
        mid = (low + high) // 2
        trial = gap(mid)
        if trial <= level:
            high, value = mid, trial
        else:
            low = mid
    return _Fit(_label(name, high), functools.partial(fit_with, high), value, high), tried


def _tried(tried: dict) -> dict:
    return {str(k): {"gap": g, "seconds": s} for k, (g, s) in sorted(tried.items())}


# ------------------------------------------------------------ row 4: memmap vs memory


def _memmap(ctx, out: Outcome, problem: _Problem) -> list[Row]:
    """Row 4, with the parts of a pass over the file timed one by one."""
    from descend import chunks, cluster, kernels
    from descend.kernels import compiled
    from descend.kernels.chunked import ChunkedTraining

    ctx.progress("8: memory-mapped file against memory")
    X, y = problem.X, problem.y
    prep = chunks.Prep(dtype="float64", classes=np.array([0.0, 1.0]), binary=True)
    theta = problem.theta()
    terms = dict(model=problem.model, loss=problem.loss, penalty=problem.penalty,
                 batch_size=X.shape[0], classifier=True)  # fmt: skip
    mapped = chunks.from_npy(problem.path, y)
    rows_per_chunk = mapped.rows[0]
    file_rows = ChunkedTraining(cluster.Local(mapped, prep), **terms)
    views = chunks.from_arrays(X, y, rows=rows_per_chunk)
    view_rows = ChunkedTraining(cluster.Local(views, prep), **terms)
    # the same chunks as views of one mapping of the file, kept from pass to pass (arrays
    # for from_arrays, so Local holds them): the file's pages without mapping them again
    whole = np.load(problem.path, mmap_mode="r")
    held_rows = ChunkedTraining(
        cluster.Local(chunks.from_arrays(whole, y, rows=rows_per_chunk), prep), **terms
    )
    memory = kernels.Training(X, y, None, shuffle=False, **terms)

    def passes(rows):
        def run():
            rows._last = None
            return rows.gradient(theta)

        return run

    contenders = {
        "memory-mapped file (from_npy, Local)": passes(file_rows),
        "in memory (kernels.Training)": passes(memory),
        "in memory, the same chunks (from_arrays, Local)": passes(view_rows),
        "the file mapped once, the same chunks its views (from_arrays, Local)": passes(held_rows),
    }
    if compiled.available():
        contenders["floor: one read of X (compiled.total)"] = lambda: compiled.total(X)
    timings = race(contenders, ctx.repeat)
    for name, t in timings.items():
        out.timings[f"pass: {name}"] = t
    mine = timings["memory-mapped file (from_npy, Local)"].median
    ref = timings["in memory (kernels.Training)"].median
    same = timings["in memory, the same chunks (from_arrays, Local)"].median
    held = timings["the file mapped once, the same chunks its views (from_arrays, Local)"].median
    parts = _pass_parts(mapped, prep, problem, theta)
    sizes = _chunk_sizes(ctx, out, problem, prep, theta, terms) if not ctx.quick else {}
    out.details["memmap"] = {
        "chunk_rows": rows_per_chunk, "chunks": len(mapped), "compiled": memory.compiled,
        "parts": parts, "by_chunk_bytes": sizes,
    }  # fmt: skip
    floor = timings.get("floor: one read of X (compiled.total)")
    fmt = timing.format_seconds
    out.notes.append(
        f"Row 4: a full pass (loss and gradient) over the {len(mapped)} chunks of "
        f"{rows_per_chunk} rows ({timing.format_bytes(rows_per_chunk * X.shape[1] * 8)}) that "
        f"from_npy makes of the file by default: {fmt(mine)}; in memory, kernels.Training "
        f"{fmt(ref)}, the same chunks as views of X in memory {fmt(same)} "
        f"({mine / same:.2f}× for the file)"
        + (f", one read of X {fmt(floor.median)}" if floor else "")
        + f"; the file mapped once (np.load(path, mmap_mode='r')) and the same chunks as views "
        f"of that one mapping, kept from pass to pass (from_arrays, Local): {fmt(held)}, "
        f"{held / ref:.2f}× the in-memory pass. Timed one by one, chunk after chunk: mapping "
        "a chunk with MAP_POPULATE "
        f"{fmt(parts['map_s'])} a chunk ({parts['map_GBps']:.3g} GB/s), unmapping it "
        f"{fmt(parts['unmap_s'])}, the kernel on the mapped rows {fmt(parts['mapped_kernel_s'])} "
        f"against {fmt(parts['memory_kernel_s'])} on the same rows in memory."
    )
    if sizes:
        out.notes.append(
            "Row 4, the file's pass by chunk_bytes: "
            + "; ".join(f"{k}: {fmt(v)}" for k, v in sizes.items())
            + "."
        )
    file_rows.close()
    view_rows.close()
    held_rows.close()
    del whole
    return [
        Row(8, "full-batch pass, the file in the page cache", "from_npy memmap, Local", mine,
            "in memory (kernels.Training)", ref, "at_most", 1.2)
    ]  # fmt: skip


def _pass_parts(mapped, prep, problem: _Problem, theta) -> dict:
    """A pass over the file taken apart, chunk by chunk, nothing overlapped: the mapping with
    its page-table population, the kernel on the mapped rows, the unmapping; and the kernel
    on the same rows in memory (the median chunk of each)."""
    from descend import chunks
    from descend.kernels.chunked import PassSpec, chunk_sums

    spec = PassSpec(problem.model, problem.loss, True, True)
    maps, unmaps, kernel_mapped, kernel_memory = [], [], [], []
    for _ in range(3):
        for source, first in zip(mapped.sources, mapped.offsets, strict=True):
            start = time.perf_counter()
            part = chunks.prepare(source.load(), prep, first)
            maps.append(time.perf_counter() - start)
            kernel_mapped.append(
                time_once(functools.partial(chunk_sums, part, first, theta, spec))
            )
            in_memory = chunks.Part(problem.X[first : first + part.X.shape[0]], part.y)
            kernel_memory.append(
                time_once(functools.partial(chunk_sums, in_memory, first, theta, spec))
            )
            start = time.perf_counter()
            del part  # the last hold on the mapping: it is undone here
            unmaps.append(time.perf_counter() - start)
    size = mapped.rows[0] * mapped.n_features * 8
    m = statistics.median(maps)
    return {
        "map_s": m, "map_GBps": size / m / 1e9 if m > 0 else math.nan,
        "unmap_s": statistics.median(unmaps),
        "mapped_kernel_s": statistics.median(kernel_mapped),
        "memory_kernel_s": statistics.median(kernel_memory),
    }  # fmt: skip


def _chunk_sizes(ctx, out, problem: _Problem, prep, theta, terms) -> dict:
    """The file's pass at other chunk sizes (from_npy's chunk_bytes): what the default's
    choice costs or saves."""
    from descend import chunks, cluster
    from descend.kernels.chunked import ChunkedTraining

    found = {}
    for mb in (16, 32, 64, 128, 256):
        rows = ChunkedTraining(
            cluster.Local(chunks.from_npy(problem.path, problem.y, chunk_bytes=mb << 20), prep),
            **terms,
        )  # fmt: skip

        def run(rows=rows):
            rows._last = None
            return rows.gradient(theta)

        t = race({"pass": run}, ctx.repeat)["pass"]
        out.timings[f"pass: memory-mapped file, chunk_bytes={mb} MiB"] = t
        found[f"{mb} MiB"] = t.median
        rows.close()
    return found
