"""Fits that outlive what goes wrong around them, and fits of data bigger than memory.

- A worker of a Dask cluster killed mid-fit changes no bit of the fit: its chunks are loaded
  again on the others (from their sources) and the sums are added in the chunks' order.
- A scheduler that dies ends the fit at once with a :class:`~descend.errors.ClusterError`
  that names it and says how to go on; a fit with a checkpoint then resumes on another
  cluster, from fresh Dask collections of the same data, to the bits of an uninterrupted fit.
- A ``.npy`` file read a chunk at a time, in a process whose memory limit could not hold the
  file, gives the bits of the same chunks in memory and holds the two chunks it reads at a
  time; a Parquet file read chunk by chunk gives the bits of the same chunks held in memory.
- A pass on a warm cluster is one broadcast to the workers holding the chunks: no task.

The reference of every cluster fit is the same fit of the same chunks in this process
(:func:`descend.chunks.from_arrays`), which the cluster must give bit for bit.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")

import descend  # noqa: E402
from descend import GDClassifier, GDRegressor, chunks, cluster  # noqa: E402
from descend.chunks import Prep  # noqa: E402
from descend.errors import ClusterError  # noqa: E402

# Fits stopped at max_epochs on purpose (to be compared, killed or resumed) are not news.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ROWS = 500  # rows per chunk: 12 chunks of the data below
FULL = dict(max_epochs=12)  # L-BFGS, the default: several passes an epoch
MINI = dict(optimizer="adam", batch_size=64, random_state=0, max_epochs=6)
KILL_AT = 2  # the epoch after which a worker or the scheduler dies; later ones need them
SRC = str(Path(descend.__file__).resolve().parents[1])  # where workers import descend from


def _data(classes: bool = False):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12 * ROWS, 8))
    score = X @ rng.normal(size=8) + rng.normal(size=len(X))
    return X, ((score > 0).astype(np.int64) if classes else score)


def _dask(X, y):
    """Fresh Dask arrays of X and y, in chunks of ROWS rows."""
    return da.from_array(X, chunks=(ROWS, X.shape[1])), da.from_array(y, chunks=ROWS)


def _same_fit(fit, reference) -> None:
    assert np.array_equal(fit.coef_, reference.coef_)
    assert np.array_equal(fit.intercept_, reference.intercept_)
    assert fit.n_iter_ == reference.n_iter_
    assert np.array_equal(fit.history_.loss, reference.history_.loss)


def _in_process(estimator, X, y):
    """The fit of the same chunks in this process (no client is current here)."""
    assert cluster.current_client() is None
    return estimator.fit(chunks.from_arrays(X, y, rows=ROWS), None)


def _env(**more) -> dict:
    """The environment of a process of the test's own: descend importable, and ``more``."""
    path = os.pathsep.join(p for p in (SRC, os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, **more}


def _until(condition, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the cluster did not get there in time"
        time.sleep(0.02)


def _workers(client) -> set[str]:
    return set(client.scheduler_info()["workers"])


def _chunk_holders(client) -> dict[str, set]:
    """Worker -> the chunks of the fit under way that it holds (the scheduler's view)."""
    found = {
        worker: {key for key in keys if str(key).startswith("descend-chunk-")}
        for worker, keys in client.has_what().items()
    }
    return {worker: keys for worker, keys in found.items() if keys}


@pytest.fixture
def executors(monkeypatch):
    """The executors the fits of the test make, in order (with ``held``: whether a local
    one held the chunks, as it was made; a fit's end lets go of them)."""
    made = []
    real = cluster.executor

    def recording(data, prep):
        run = real(data, prep)
        run.held = getattr(run, "resident", None)
        made.append(run)
        return run

    monkeypatch.setattr(cluster, "executor", recording)
    return made


@pytest.fixture(scope="module")
def three_workers():
    """A client of three worker processes (each one thread), restarted by their nannies
    when killed. Not the default client: the reference fits run in this process."""
    with (
        distributed.LocalCluster(
            n_workers=3, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as where,
        distributed.Client(where, set_as_default=False) as client,
    ):
        yield client


@pytest.fixture
def lone_scheduler(tmp_path):
    """A scheduler and two workers, each its own process (to be killed), and a client."""
    where = tmp_path / "scheduler.json"
    common = ["--scheduler-file", str(where), "--dashboard-address", ":0"]
    quiet = dict(env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
             "--port", "0", *common], **quiet,
        )
    ]  # fmt: skip
    try:
        _until(lambda: where.exists() and where.stat().st_size > 0)
        procs += [
            subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", "--nthreads", "1",
                 "--no-nanny", *common], **quiet,
            )
            for _ in range(2)
        ]  # fmt: skip
        client = distributed.Client(scheduler_file=str(where), set_as_default=False, timeout=20)
        try:
            client.wait_for_workers(2, timeout=30)
            yield procs[0], client
        finally:
            client.close(timeout=2)
    finally:
        for proc in procs:
            proc.kill()
        for proc in procs:
            proc.wait(timeout=10)


# ------------------------------------------------------------------------ a worker dies


@pytest.mark.parametrize(
    ("Estimator", "settings", "classes"),
    [
        (GDRegressor, FULL, False),
        pytest.param(GDClassifier, MINI, True, marks=pytest.mark.slow),
    ],
    ids=["lbfgs-regressor", "adam-classifier"],
)
def test_a_worker_killed_mid_fit_changes_nothing(
    three_workers, executors, Estimator, settings, classes
):
    client = three_workers
    client.wait_for_workers(3, timeout=30)  # a worker killed before is back by now
    X, y = _data(classes)
    seen: dict = {}

    def kill(info):
        if info.nit == KILL_AT:
            holders = _chunk_holders(client)
            victim = max(holders, key=lambda worker: len(holders[worker]))
            pid = client.run(os.getpid, workers=[victim])[victim]
            os.kill(pid, signal.SIGKILL)
            _until(lambda: victim not in _workers(client))  # the scheduler saw it go
            seen.update(victim=victim, held=holders[victim], at=time.monotonic())
        elif info.nit > KILL_AT:
            seen.setdefault("after", []).append(_chunk_holders(client))

    with cluster.using(client):
        fit = Estimator(callback=kill, **settings).fit(*_dask(X, y))
    seconds = time.monotonic() - seen["at"]
    _same_fit(fit, _in_process(Estimator(**settings), X, y))
    run = executors[0]
    assert isinstance(run, cluster.Dask)
    # the victim held chunks, which later epochs needed: the chunks it took with it were
    # loaded again (on the other workers or the one its nanny started in its place) ...
    assert seen["held"] and fit.n_iter_ > KILL_AT
    assert seen["after"], "no epoch ran after the kill"
    for holders in seen["after"]:
        assert seen["victim"] not in holders
        assert len(set().union(*holders.values())) == len(run.chunks)
    # ... and no pass asked the dead worker, which waits out the 30 s connect timeout
    assert seconds < 25


# --------------------------------------------------------------------- a scheduler dies


def test_a_lost_scheduler_says_so_and_the_checkpoint_resumes(
    three_workers, lone_scheduler, tmp_path
):
    scheduler, client = lone_scheduler
    address = client.scheduler.address
    X, y = _data()
    place = tmp_path / "ck"
    killed: list[float] = []

    def kill(info):
        if info.nit == KILL_AT:
            scheduler.send_signal(signal.SIGKILL)
            killed.append(time.monotonic())

    with cluster.using(client), pytest.raises(ClusterError) as caught:
        GDRegressor(callback=kill, **MINI).fit(*_dask(X, y), checkpoint=place, checkpoint_every=1)
    # at once: not after distributed.comm.timeouts.connect (30 s) of trying to reach it
    assert time.monotonic() - killed[0] < 10
    message = str(caught.value)
    assert address in message and "scheduler" in message
    assert "checkpoint" in message and "resume=True" in message

    # Another cluster, fresh Dask arrays of the same data: on from the last checkpoint, of
    # epoch KILL_AT (kept before the rules were asked about it: the callback sees it again)
    first: list[int] = []
    client = three_workers
    client.wait_for_workers(3, timeout=30)
    with cluster.using(client):
        resumed = GDRegressor(callback=lambda info: first.append(info.nit), **MINI).fit(
            *_dask(X, y), checkpoint=place, resume=True
        )  # fmt: skip
    assert first[0] == KILL_AT
    _same_fit(resumed, _in_process(GDRegressor(**MINI), X, y))


def test_dask_data_have_one_token_in_every_process(tmp_path):
    """What a checkpoint of Dask data is matched against is the same in a new process
    (Dask's name of a ``read_parquet`` collection, for one, is not), and changes with the
    data."""
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    X, y = _data()
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])]).assign(target=y)
    path = tmp_path / "data.parquet"
    frame.to_parquet(path, row_group_size=ROWS)
    code = (
        "import sys, dask.dataframe as dd\n"
        "from descend import chunks\n"
        "f = dd.read_parquet(sys.argv[1])\n"
        "sys.stdout.write(chunks.from_dask(f.drop(columns='target'), f['target']).token)\n"
    )
    there = subprocess.run(
        [sys.executable, "-c", code, str(path)], env=_env(), capture_output=True, text=True,
        timeout=120, check=True,
    ).stdout  # fmt: skip
    f = dd.read_parquet(path)
    assert chunks.from_dask(f.drop(columns="target"), f["target"]).token == there
    other = tmp_path / "other.parquet"
    frame.assign(x0=frame.x0 * 2).to_parquet(other, row_group_size=ROWS)
    g = dd.read_parquet(other)
    assert chunks.from_dask(g.drop(columns="target"), g["target"]).token != there


def test_a_task_that_cannot_read_its_file_is_not_a_lost_scheduler(three_workers, tmp_path):
    """An OSError of a task (a file gone) is the task's own, said as it is: the scheduler,
    asked, still answers."""
    X, y = _data()
    path = tmp_path / "X.npy"
    np.save(path, X)
    data = chunks.from_npy(path, y, rows=ROWS)
    path.unlink()
    three_workers.wait_for_workers(3, timeout=30)
    with cluster.using(three_workers), pytest.raises(FileNotFoundError, match="X.npy"):
        GDRegressor().fit(data, None)


# ------------------------------------------------------------------- a pass on a cluster


def test_a_pass_on_a_warm_cluster_is_one_broadcast(three_workers):
    client = three_workers
    client.wait_for_workers(3, timeout=30)
    X, y = _data()
    data = chunks.from_dask(*_dask(X, y))
    run = cluster.Dask(client, data, Prep())
    try:

        def tasks():
            return client.run_on_scheduler(lambda dask_scheduler: set(dask_scheduler.tasks))

        before = tasks()
        sums = [run.map(lambda part, first: (first, float(part.X.sum()))) for _ in range(5)]
        carry = run.chain(lambda part, carry, extra: carry + extra, [3, 1, 2], 0.5, [1, 2, 4])
        assert not tasks() - before  # no task was made: every chunk ran where it was
        assert run.reloaded == 0
        here = cluster.Local(chunks.from_arrays(X, y, rows=ROWS), Prep())
        assert all(s == here.map(lambda part, first: (first, float(part.X.sum()))) for s in sums)
        assert carry == 7.5
    finally:
        run.close()


# ------------------------------------------------------------------------- out of core

# Run in a process of its own: the compiled kernels and the reader thread warmed up by a fit
# of the same file, its memory limit (RLIMIT_DATA, which counts what the process allocates,
# not the file mapped a chunk at a time) set to what it holds then and a few chunks more,
# then np.load of the file tried under it and the fit measured (the peak resident memory
# over the fit, reset before it).
_OUT_OF_CORE = r"""
import json, resource, sys
import numpy as np
from descend import GDRegressor, chunks

def status(field):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024

path, target, size, headroom = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
y = np.load(target)

def fit(epochs):
    if size:  # a chunk size of one's own: Chunks made by from_npy, given to fit
        return GDRegressor(max_epochs=epochs).fit(chunks.from_npy(path, y, chunk_bytes=size), None)
    return GDRegressor(max_epochs=epochs).fit(path, y)  # the path itself: CHUNK_BYTES

fit(1)
limit = status("VmData") + headroom
resource.setrlimit(resource.RLIMIT_DATA, (limit, resource.getrlimit(resource.RLIMIT_DATA)[1]))
try:
    np.load(path)
    loaded = True
except MemoryError:
    loaded = False
with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")  # the peak resident memory (VmHWM) starts again from now
before = status("VmRSS")
model = fit(5)
sys.stdout.write(json.dumps(dict(
    loaded=loaded, before=before, peak=status("VmHWM"), n_iter=model.n_iter_,
    coef=model.coef_.tolist(), intercept=float(model.intercept_[0]),
)))
"""

#: Beyond the chunks: the model, the sums, Python's objects, a mapping's page of alignment.
ALLOWANCE = 2 << 20
D = 40  # columns of the files


def _out_of_core(where: Path, n_rows: int, chunk_bytes: int | None) -> dict:
    """Fit a ``.npy`` file of ``n_rows`` rows of 40 float64 in a process of its own (see
    above), with chunks of ``chunk_bytes`` (None: the path given to fit as it is): what it
    found, with the file's path and targets and the chunks' rows and bytes."""
    if not os.path.exists("/proc/self/clear_refs"):  # pragma: no cover - not Linux
        pytest.skip("the peak resident memory is measured through /proc")
    path, target = where / "X.npy", where / "y.npy"
    rng = np.random.default_rng(1)
    X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(n_rows, D))
    coef = rng.normal(size=D)
    y = np.empty(n_rows)
    for a in range(0, n_rows, 100_000):
        b = min(n_rows, a + 100_000)
        X[a:b] = rng.normal(size=(b - a, D))
        y[a:b] = X[a:b] @ coef + rng.normal(size=b - a)
    X.flush()
    del X
    np.save(target, y)
    step = chunks.from_npy(path, y, chunk_bytes=chunk_bytes).rows[0]
    chunk = step * D * 8
    headroom = 2 * chunk + (32 << 20)
    assert os.path.getsize(path) > headroom  # the limit leaves no room for the whole file
    # a fixed threshold: every large block is mapped and given back when freed, so that one
    # made again shows in the peak (malloc's own threshold rises after the warm-up, keeping
    # such blocks in its heap, where they would be reused unseen)
    env = _env(MALLOC_MMAP_THRESHOLD_=str(128 << 10))
    done = subprocess.run(
        [sys.executable, "-c", _OUT_OF_CORE, str(path), str(target), str(chunk_bytes or 0),
         str(headroom)],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout)
    assert not found["loaded"], "np.load of the file did not fail under the limit"
    return dict(found, growth=found["peak"] - found["before"], chunk=chunk, rows=step,
                path=path, y=y)  # fmt: skip


@pytest.fixture(scope="module")
def file_fit(tmp_path_factory):
    """80 MB in chunks of 4 MiB, in a process allowed 44 MiB more than it holds."""
    return _out_of_core(tmp_path_factory.mktemp("file"), 250_000, 4 << 20)


@pytest.fixture(scope="module")
def big_file_fit(tmp_path_factory):
    """400 MB given to fit as a path (chunks of :data:`descend.chunks.CHUNK_BYTES`), in a
    process allowed 224 MiB more than it holds."""
    return _out_of_core(tmp_path_factory.mktemp("big"), 1_250_000, None)


MODEL = (D + 1) * 8 * 16  # theta, its gradient and L-BFGS's pairs of them, generously


@pytest.mark.slow
def test_a_file_bigger_than_the_memory_limit_fits_out_of_core(file_fit):
    """The fit that np.load could not make: the bits of the same chunks in memory."""
    found = file_fit
    X = np.load(found["path"])
    reference = GDRegressor(max_epochs=5).fit(
        chunks.from_arrays(X, found["y"], rows=found["rows"]), None
    )  # fmt: skip
    assert found["n_iter"] == reference.n_iter_ == 5
    assert np.array_equal(found["coef"], reference.coef_)
    assert found["intercept"] == reference.intercept_[0]


@pytest.mark.slow
def test_a_file_fit_holds_two_chunks_at_most(file_fit):
    assert file_fit["growth"] <= 2 * file_fit["chunk"] + MODEL + ALLOWANCE, file_fit


@pytest.mark.slow
def test_a_400_mb_file_given_by_its_path_fits_out_of_core(big_file_fit):
    found = big_file_fit
    assert found["chunk"] <= chunks.CHUNK_BYTES and found["n_iter"] == 5


@pytest.mark.slow
def test_a_400_mb_file_fit_holds_two_chunks_at_most(big_file_fit):
    assert big_file_fit["growth"] <= 2 * big_file_fit["chunk"] + MODEL + ALLOWANCE, big_file_fit


@pytest.mark.parametrize("settings", [FULL, MINI], ids=["lbfgs", "adam"])
def test_parquet_read_a_chunk_at_a_time_gives_the_bits_of_chunks_held(
    tmp_path, monkeypatch, executors, settings
):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    X, y = _data()
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])]).assign(target=y)
    path = tmp_path / "data.parquet"
    frame.to_parquet(path, row_group_size=ROWS // 2)

    def fit():  # two row groups a chunk: 12 chunks
        data = chunks.from_parquet(path, "target", chunk_bytes=ROWS * X.shape[1] * 8)
        assert data.rows == [ROWS] * 12
        return GDRegressor(**settings).fit(data, None)

    monkeypatch.setenv("DESCEND_CHUNK_MEMORY", "1")  # no room: read each pass
    streamed = fit()
    monkeypatch.setenv("DESCEND_CHUNK_MEMORY", str(1 << 40))
    held = fit()
    assert [run.held for run in executors] == [False, True]
    _same_fit(streamed, held)
    _same_fit(streamed, _in_process(GDRegressor(**settings), X, y))


# --------------------------------------------------------------------------- slow ones


@pytest.mark.slow
def test_a_scheduler_closed_during_a_pass_says_so_and_the_checkpoint_resumes(
    three_workers, tmp_path
):
    """A LocalCluster whose scheduler (in this process) closes while the passes of an epoch
    are under way, whichever pass that is."""
    X, y = _data()
    place = tmp_path / "ck"
    with (
        # not 30 s: closing the cluster tries to reach its scheduler, gone by then
        dask.config.set({"distributed.comm.timeouts.connect": "5s"}),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as doomed,
        distributed.Client(doomed, set_as_default=False) as client,
    ):
        address = client.scheduler.address

        def close(info):
            if info.nit == KILL_AT:
                threading.Timer(0.005, doomed.sync, [doomed.scheduler.close]).start()

        started = time.monotonic()
        with cluster.using(client), pytest.raises(ClusterError) as caught:
            GDRegressor(callback=close, **FULL).fit(*_dask(X, y), checkpoint=place,
                                                    checkpoint_every=1)  # fmt: skip
        assert time.monotonic() - started < 15
        assert address in str(caught.value) and "checkpoint" in str(caught.value)
    first: list[int] = []
    three_workers.wait_for_workers(3, timeout=30)
    with cluster.using(three_workers):
        resumed = GDRegressor(callback=lambda info: first.append(info.nit), **FULL).fit(
            *_dask(X, y), checkpoint=place, resume=True
        )  # fmt: skip
    assert first[0] >= KILL_AT
    _same_fit(resumed, _in_process(GDRegressor(**FULL), X, y))
