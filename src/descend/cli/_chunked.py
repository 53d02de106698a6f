"""``descend train`` on data read a chunk at a time: Parquet files (several, a folder or a
glob) or a ``.npy`` file of features with its targets in another, fitted in this process or
on a Dask cluster.

What the command needs beyond :mod:`descend.chunks` and :mod:`descend.cluster`: finding the
files, guessing the task from the target column alone, one chunked pass for the means and
standard deviations of ``--standardize``, one for the training score, and the cluster of
``--workers`` / ``--scheduler``. The pieces that run where the chunks are (:class:`Rows`,
:func:`_moments`, :func:`_score`) are plain module-level names, so that a Dask worker can
unpickle them.
"""

from __future__ import annotations

import glob
import logging
import math
import os
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from descend.cli._common import InputError, shown

#: The most distinct whole-number targets that are still guessed to be classes (as in train).
MAX_GUESSED_CLASSES = 20
#: Seconds to wait for ``--scheduler`` to answer, and for its first worker.
SCHEDULER_TIMEOUT = 10.0
DASK_EXTRA = 'pip install "descend[dask]"'


def wanted(paths, target_file, workers, scheduler, chunk_mb) -> bool:
    """Whether ``train`` reads DATA a chunk at a time: several paths, a folder, a glob, a
    ``--target-file``, a cluster or a chunk size; one plain file is read whole, as before."""
    if len(paths) != 1 or any(v is not None for v in (target_file, workers, scheduler, chunk_mb)):
        return True
    path = paths[0]
    return path.is_dir() or (not path.exists() and glob.has_magic(str(path)))


def expand(paths) -> list[Path]:
    """The files of DATA: folders as their ``.parquet`` files and globs as their matches
    (each sorted by name), all as absolute paths, which a Dask worker elsewhere can open."""
    files: list[Path] = []
    for path in paths:
        text = str(path)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() == ".parquet")
            if not found:
                raise InputError(f"{shown(text)}: the folder holds no .parquet files")
        elif not path.exists() and glob.has_magic(text):
            found = sorted(Path(p) for p in glob.glob(text))
            if not found:
                raise InputError(f"{shown(text)}: no file matches this pattern")
        else:
            found = [path]
        files.extend(Path(os.path.abspath(p)) for p in found)
    seen: set[Path] = set()
    for path in files:
        if path in seen:
            raise InputError(f"{shown(str(path))} is given twice; each file is read once")
        seen.add(path)
        _check_readable(path)
    return files


def _check_readable(path: Path) -> None:
    """A data file that is there, a regular file and readable (a named pipe or a device
    would make reading wait, or never end)."""
    import stat

    from descend.datafiles import DataFileError

    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise DataFileError(path, "does not exist") from None
    except OSError as error:
        raise DataFileError(path, f"cannot be read: {error.strerror or error}") from None
    if not stat.S_ISREG(mode):
        raise DataFileError(path, "is not a regular file; descend reads data from files")
    if not os.access(path, os.R_OK):
        raise DataFileError(path, "cannot be read (permission denied)")


def kind_of(files, target, target_file) -> str:
    """Which of the two kinds read a chunk at a time the files are: "parquet" or "npy"."""
    suffixes = {path.suffix.lower() for path in files}
    if suffixes == {".parquet"}:
        if target_file is not None:
            raise InputError(
                "--target-file gives the targets of a .npy file of features; Parquet files "
                "name their target column with --target"
            )
        return "parquet"
    if suffixes == {".npy"} and len(files) == 1:
        if target_file is None:
            raise InputError(
                f"{shown(str(files[0]))}: a .npy file is read a chunk at a time with its "
                "targets in another file: --target-file y.npy (every column of the data is "
                "then a feature)"
            )
        if target is not None:
            raise InputError(
                "--target names a column of CSV or Parquet files; with --target-file the "
                "targets are that file's values"
            )
        return "npy"
    kinds = ", ".join(sorted(s or "(no suffix)" for s in suffixes))
    raise InputError(
        "read a chunk at a time are Parquet files (several, a folder or a glob) or one .npy "
        f"file with --target-file; these are {kinds}"
        + ("" if suffixes <= {".parquet", ".npy"} else "; read one file whole, or convert "
           "the data to Parquet")
    )  # fmt: skip


def open_parquet(files, target, chunk_bytes):
    """The chunks of Parquet files, and the target's name (default: the last column)."""
    from descend import chunks

    target = _last_column(files[0]) if target is None else target
    try:
        data = chunks.from_parquet([str(p) for p in files], target, chunk_bytes=chunk_bytes)
    except (ImportError, ValueError) as error:
        raise InputError(str(error)) from None
    return data, target


def open_npy(path, y, chunk_bytes):
    """The chunks of a ``.npy`` file of features, memory-mapped, with the targets ``y``."""
    from descend import chunks

    try:
        return chunks.from_npy(str(path), y, chunk_bytes=chunk_bytes)
    except ValueError as error:
        raise InputError(f"{shown(str(path))}: {error}") from None


def _last_column(path: Path) -> str:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError("reading Parquet files needs pyarrow: pip install pyarrow") from None
    from descend.datafiles import DataFileError

    try:
        with open(path, "rb") as fh:
            names = pq.ParquetFile(fh).schema_arrow.names
    except Exception as error:  # pyarrow's own errors for a file that is not Parquet
        raise DataFileError(path, f"is not a valid Parquet file: {error}") from None
    if not names:
        raise DataFileError(path, "has no columns")
    return str(names[-1])


def targets_file(path: Path, numeric: bool) -> np.ndarray:
    """The targets of ``--target-file``: a ``.npy`` file of one value per row."""
    from descend.datafiles import DataFileError

    if path.suffix.lower() != ".npy":
        raise InputError(f"--target-file {shown(str(path))}: expected a .npy file")
    _check_readable(path)
    try:
        y = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise DataFileError(path, f"cannot be read as a .npy file: {error}") from None
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise DataFileError(path, f"holds an array of shape {y.shape}; expected one value per row")
    if y.dtype.kind in "US":
        if numeric:
            raise DataFileError(path, "holds text; a regression target must hold numbers")
        return y.astype(str)
    if y.dtype.kind not in "fiub":
        raise DataFileError(path, f"holds {y.dtype} values; expected numbers or text labels")
    y = y.astype(np.float64)
    bad = ~np.isfinite(y)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise DataFileError(path, f"is not a finite number: {y[i]}", row=i + 1)
    return y


# ------------------------------------------------------------------------------ the task


def guess_task(task, targets, where: str) -> tuple[str, str]:
    """The task, and why, from the targets read a chunk at a time (``targets`` yields each
    chunk's): given, or guessed as train guesses it for a file read whole. The reading stops
    as soon as the answer is known: at the first real number, past the 20th distinct whole
    number, or at the second text label."""
    if task == "regression":
        first = next(iter(targets), None)
        if first is not None and np.asarray(first).dtype.kind not in "fiub":
            raise InputError(
                f"{where}: the target holds text ({np.asarray(first)[0].item()!r} …), which "
                "cannot be regressed on; use --task classification"
            )
    if task is not None:
        return task, "as asked"
    distinct: set = set()
    text = False
    for values in targets:
        values = np.unique(np.asarray(values))
        if values.dtype.kind not in "fiub":
            text = True
            distinct.update(values.tolist())
            if len(distinct) >= 2:
                break
            continue
        if not np.all(values == np.round(values)):
            return "regression", "guessed: the target holds real numbers; --task to choose"
        distinct.update(values.tolist())
        if len(distinct) > MAX_GUESSED_CLASSES:
            return "regression", "guessed: the target holds real numbers; --task to choose"
    if len(distinct) < 2:
        value = next(iter(distinct), None)
        raise InputError(
            f"{where}: the target has a single class, {value!r}; a classifier needs at least two"
        )
    if text:
        return "classification", "guessed: the target holds text labels"
    return "classification", (
        f"guessed: the target holds {len(distinct)} whole numbers; --task to choose"
    )


# ------------------------------------------------------------------- sources, passes


@dataclass(frozen=True, eq=False)
class Rows:
    """A chunk's source with its rows changed as they load: the features standardized
    (``mean``, ``scale``), whole-number class labels as integers (as train makes them of a
    file read whole), or only the features (``features_only``)."""

    source: Any
    mean: Any = None
    scale: Any = None
    integer_labels: bool = False
    features_only: bool = False

    @property
    def n_rows(self) -> int:
        return self.source.n_rows

    @property
    def streamed(self) -> bool:
        """Read each pass, as the source it wraps (see :class:`descend.cluster.Local`)."""
        return getattr(self.source, "streamed", False)

    def load(self):
        from descend.chunks import Part

        X, y, w = self.source.load()
        if self.mean is not None:
            X = (np.asarray(X, dtype=np.float64) - self.mean) / self.scale
        if self.features_only:
            return Part(X, None, None)
        return Part(X, self._labels(y), w)

    def targets(self):
        return self._labels(self.source.targets())

    def _labels(self, y):
        if y is None or not self.integer_labels:
            return y
        y = np.asarray(y)
        if y.dtype.kind == "f" and np.all(y == np.round(y)):
            return y.astype(np.int64)
        return y


def wrapped(data, **how):
    """``data`` with every source a :class:`Rows` of ``how``; the token (what a checkpoint
    checks of the data) says how the rows were changed."""
    tags = {"mean": "standardized", "integer_labels": "integer-labels", "features_only": "X"}
    marks = [
        tag for name, tag in tags.items() if how.get(name) is not None and how[name] is not False
    ]
    return replace(
        data, sources=[Rows(source, **how) for source in data.sources],
        token=":".join([data.token, *marks]),
    )  # fmt: skip


def _executor(data, prep):
    """Where a pass of the command's own runs: on the current Dask client's cluster, else
    here, a chunk at a time (never all of them in memory)."""
    from descend import cluster

    client = cluster.current_client()
    if client is None:
        return cluster.Local(data, prep, resident=False)
    return cluster.Dask(client, data, prep)


def _over(data, prep, fn, *args) -> list:
    run = _executor(data, prep)
    try:
        return run.map(fn, *args)
    finally:
        run.close()


def _moments(part, first: int):
    """A chunk's rows, their features' means and sums of squared deviations; the first entry
    that is not finite is an error naming its row and column."""
    from descend.chunks import first_nonfinite

    X = np.asarray(part.X, dtype=np.float64)
    found = first_nonfinite(X)
    if found is not None:
        i, j = found
        kind = "NaN" if math.isnan(X[i, j]) else "infinity (inf)"
        raise ValueError(
            f"Input X contains {kind} at row {first + i}, column {j}; every entry must be a "
            "finite number (drop or impute the missing values first)"
        )
    n = X.shape[0]
    mean = X.mean(axis=0) if n else np.zeros(X.shape[1])
    return n, mean, ((X - mean) ** 2).sum(axis=0)


def scaler_for(data):
    """A fitted :class:`sklearn.preprocessing.StandardScaler` of the chunks' features, from
    one chunked pass: each chunk's means and squared deviations, combined in the chunks'
    order (Chan et al.), so the result does not depend on where the chunks were."""
    from sklearn.preprocessing import StandardScaler

    from descend.chunks import Prep

    total, mean, m2 = 0, np.zeros(data.n_features), np.zeros(data.n_features)
    for n, chunk_mean, chunk_m2 in _over(wrapped(data, features_only=True), Prep(), _moments):
        if n == 0:
            continue
        together = total + n
        delta = chunk_mean - mean
        mean = mean + delta * (n / together)
        m2 = m2 + chunk_m2 + delta**2 * (total * n / together)
        total = together
    var = m2 / max(total, 1)
    scale = np.sqrt(var)
    # as scikit-learn's StandardScaler: a constant feature is left unscaled
    scale[scale < 10 * np.finfo(np.float64).eps * np.maximum(np.abs(mean), 1.0)] = 1.0
    scaler = StandardScaler()
    scaler.mean_, scaler.var_, scaler.scale_ = mean, var, scale
    scaler.n_features_in_, scaler.n_samples_seen_ = data.n_features, total
    return scaler


def _score(part, first: int, coef, intercept, task: str):
    """A chunk's share of the training score: (rows, right answers) of a classifier, whose
    targets are class indices here; (rows, mean target, squared deviations, squared
    residuals) of a regressor."""
    X = np.asarray(part.X, dtype=np.float64)
    outputs = X @ coef.T + intercept
    y = part.y
    n = X.shape[0]
    if task == "classification":
        if outputs.shape[1] == 1:
            predicted = (outputs[:, 0] > 0).astype(np.int64)
        else:
            predicted = np.argmax(outputs, axis=1)
        return n, int(np.sum(predicted == y.astype(np.int64)))
    residual = y - outputs[:, 0]
    mean = float(y.mean()) if n else 0.0
    return n, mean, float(((y - mean) ** 2).sum()), float((residual**2).sum())


def training_score(data, model, task: str) -> float:
    """The model's accuracy (classifier) or R² (regressor) on the chunks, in one chunked
    pass, as ``model.score`` gives it on the rows in memory."""
    from descend.chunks import Prep

    coef = np.atleast_2d(np.asarray(model.coef_, dtype=np.float64))
    intercept = np.atleast_1d(np.asarray(model.intercept_, dtype=np.float64))
    if task == "classification":
        classes = model.classes_
        prep = Prep(dtype="float64", classes=classes, binary=len(classes) == 2)
        parts = _over(data, prep, _score, coef, intercept, task)
        rows = sum(p[0] for p in parts)
        return sum(p[1] for p in parts) / max(rows, 1)
    parts = _over(data, Prep(dtype="float64"), _score, coef, intercept, task)
    total, mean, deviations, residuals = 0, 0.0, 0.0, 0.0
    for n, chunk_mean, chunk_dev, chunk_res in parts:
        if n == 0:
            continue
        together = total + n
        delta = chunk_mean - mean
        mean += delta * n / together
        deviations += chunk_dev + delta**2 * total * n / together
        residuals += chunk_res
        total = together
    if deviations == 0:
        return 1.0 if residuals == 0 else 0.0  # as scikit-learn's r2_score
    return 1.0 - residuals / deviations


# ------------------------------------------------------------------------- the cluster


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def check_cluster(workers: int | None, scheduler: str | None, timeout: float) -> None:
    """Refuse, before any work, cluster flags that cannot be followed."""
    if workers is not None and scheduler is not None:
        raise InputError(
            "--workers starts a local cluster and --scheduler joins a running one: give one"
        )
    if workers is not None and workers < 1:
        raise InputError(f"--workers {workers}: it must be a whole number >= 1")
    if not (math.isfinite(timeout) and timeout > 0):
        raise InputError(f"--scheduler-timeout {timeout}: it must be a number of seconds > 0")
    if workers is None and scheduler is None:
        return
    try:
        import distributed  # noqa: F401
    except ImportError:
        flag = "--workers" if workers is not None else "--scheduler"
        raise InputError(
            f"{flag} runs the fit on a Dask cluster, which needs Dask's distributed package: "
            + DASK_EXTRA
        ) from None


@contextmanager
def dask_cluster(workers: int | None, scheduler: str | None, timeout: float):
    """The fits of the block on a local Dask cluster of ``workers`` processes (started here
    and closed after) or on the scheduler at ``scheduler``; yields where they run, in words
    ("on 2 local Dask workers"), or None for neither."""
    if workers is None and scheduler is None:
        yield None
        return
    check_cluster(workers, scheduler, timeout)
    from distributed import Client, LocalCluster

    from descend import cluster

    local = None
    if workers is not None:
        threads = max(1, _cores() // workers)
        try:
            with warnings.catch_warnings(), _workers_ignore_ctrl_c():
                # the scheduler's own web server takes another port when 8787 is taken
                warnings.filterwarnings("ignore", "Port .* is already in use", UserWarning)
                # silent workers: a chunk that fails is said once, as train's own error
                local = LocalCluster(
                    n_workers=workers, threads_per_worker=threads, processes=True,
                    dashboard_address=None, silence_logs=logging.CRITICAL,
                )  # fmt: skip
            client = Client(local)
        except Exception as error:
            if local is not None:
                local.close()
            raise InputError(f"--workers {workers}: the local Dask cluster did not start: "
                             f"{type(error).__name__}: {error}") from None  # fmt: skip
        where = f"on {workers} local Dask worker{'s' * (workers != 1)}"
    else:
        client = _connect(Client, scheduler, timeout)
        n = len(client.scheduler_info().get("workers", {}))
        where = f"on {n} worker{'s' * (n != 1)} of the Dask cluster at {shown(scheduler)}"
    from distributed.comm.core import CommClosedError

    from descend.errors import ClusterError

    try:
        with cluster.using(client), _quiet_distributed():
            try:
                yield where
            except CommClosedError as error:  # the scheduler went away mid-call
                raise ClusterError(f"the connection to the scheduler closed: {error}") from error
    finally:
        with _quiet_distributed():
            client.close()
            if local is not None:
                local.close()


@contextmanager
def _quiet_distributed():
    """Dask's own log lines, such as the traceback the client logs when it loses the
    scheduler, held back in the block: train says what went wrong itself, on one line."""
    names = [name for name in logging.root.manager.loggerDict if name.split(".")[0] in
             ("distributed", "tornado")]  # fmt: skip
    loggers = [logging.getLogger(name) for name in ("distributed", *names)]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


@contextmanager
def _workers_ignore_ctrl_c():
    """Processes started in the block ignore SIGINT, which they inherit: Ctrl-C at a terminal
    goes to every process of the foreground group, and would kill the local workers under the
    fit, which then waits for workers forever; this way train stops after the epoch, as it
    does without a cluster."""
    import signal
    import threading

    if not hasattr(signal, "SIGINT") or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _connect(Client, address: str, timeout: float):
    """A client of the scheduler at ``address`` that has a worker, or a one-line error."""
    what = f"--scheduler {shown(address)!r}"
    try:
        client = Client(address, timeout=timeout)
    except Exception as error:  # a malformed address, no answer, or not a scheduler there
        detail = str(error).strip() or type(error).__name__
        raise InputError(
            f"{what}: cannot connect to a Dask scheduler there ({shown(detail)}); start one "
            "with `dask scheduler` (and `dask worker ADDRESS`), or use --workers N for a "
            "local cluster"
        ) from None
    try:
        if not client.scheduler_info().get("workers"):
            client.wait_for_workers(1, timeout=timeout)
    except Exception:
        client.close()
        raise InputError(
            f"{what}: the scheduler has no workers (none came in {timeout:g} s); start some "
            f"with `dask worker {shown(address)}`"
        ) from None
    return client
