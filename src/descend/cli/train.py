"""``descend train`` and ``descend predict``: models from data files, without Python."""

from __future__ import annotations

import math
import signal
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NamedTuple

import numpy as np
import typer

from descend.cli._app import app
from descend.cli._common import (
    FAILED,
    INTERRUPTED,
    OPTIMIZER,
    InputError,
    err,
    guarded,
    headless,
    note,
    out,
    save_figure,
    warnings_as_notes,
    writable,
)

TASKS = ("regression", "classification")
#: A numeric target with at most this many distinct whole numbers is guessed to be classes.
MAX_GUESSED_CLASSES = 20

DATA = typer.Argument(
    metavar="DATA",
    help="Training data: CSV with a header row, NPY (the last column is the target), NPZ "
    "(arrays X and y) or Parquet (with pyarrow), read whole. Several Parquet files, a folder "
    "of them or a quoted glob ('data/*.parquet') are read a chunk at a time, not whole; so "
    "is a .npy file of features with --target-file, and any Parquet file with --chunk-mb, "
    "--workers or --scheduler.",
    show_default=False,
)
TARGET = typer.Option(help="The target column of a CSV or Parquet file (default: the last).")
TARGET_FILE = typer.Option(
    "--target-file",
    help="With DATA a .npy file of features only (every column a feature): the targets, a "
    ".npy file of one value per row. DATA is then memory-mapped and read a chunk at a time.",
)
CHUNK_MB = typer.Option(
    "--chunk-mb",
    help="Read the data a chunk of about this many megabytes of features at a time "
    "(default: 64; a Parquet row group is never split).",
)
WORKERS = typer.Option(
    "--workers",
    help="Fit on a local Dask cluster of this many worker processes, started for the fit and "
    'closed after (needs pip install "descend[dask]").',
)
SCHEDULER = typer.Option(
    "--scheduler",
    help="Fit on the running Dask cluster whose scheduler is at this address "
    "(tcp://host:8786); its workers must read the files at the same paths.",
)
SCHEDULER_TIMEOUT = typer.Option(
    "--scheduler-timeout", help="Seconds to wait for --scheduler to answer, and for a worker."
)
TASK = typer.Option(help="regression or classification (default: guessed from the target).")
LOSS = typer.Option(
    help="The loss: squared_error, huber, absolute_error (regression); log_loss, hinge, "
    "squared_hinge, squared_error, sigmoid_squared_error (classification)."
)
LR = typer.Option(
    "--lr", "--alpha", help="Learning rate (--alpha is the tutorials' name); default: auto."
)
MOMENTUM = typer.Option(help="Momentum α.")
BATCH = typer.Option("--batch-size", help="Rows per step (default: all; 1 is stochastic).")
EPOCHS = typer.Option(help="Most epochs.")
TOL = typer.Option(
    help="Stop when the loss changes by at most this between epochs (default: 1e-4, or 1e-12 "
    "times the loss for lbfgs and cg)."
)
PATIENCE = typer.Option(help="Stop after this many epochs without improving by tol.")
PENALTY = typer.Option(help="l2, l1 or elasticnet, with a strength: l2:0.001.")
L1_RATIO = typer.Option("--l1-ratio", help="The L1 share of an elastic net.")
SEED = typer.Option(help="Random seed (start, shuffling, validation split).")
VALIDATION = typer.Option(
    "--validation-fraction",
    help="Hold out this share of the rows and keep the epoch that does best on them.",
)
STANDARDIZE = typer.Option(
    help="Scale every feature to mean 0 and variance 1 first (of data read a chunk at a "
    "time: after one more pass over the chunks for the means and variances)."
)
MODEL_OUT = typer.Option("--out", help="Write the model here (JSON).")
HISTORY = typer.Option(help="Write the per-epoch history here (CSV).")
PLOT = typer.Option(
    help="Draw the loss curve, with the decision boundary (two features) or the fitted line "
    "(one feature) beside it (PNG; the loss curve alone for data read a chunk at a time)."
)
LOG = typer.Option("--log", help="Plain '[INFO] epoch #N, loss=…' lines instead of a bar.")
CHECKPOINT = typer.Option(
    "--checkpoint",
    help="Keep the fit's whole state in this folder after every epoch (and on Ctrl-C), so "
    "that --resume can go on from it.",
)
CHECKPOINT_EVERY = typer.Option("--checkpoint-every", help="Epochs between checkpoints.")
RESUME = typer.Option(
    "--resume",
    help="Go on from the checkpoint in --checkpoint (the same data and settings), giving the "
    "model an uninterrupted run gives; with no checkpoint there yet, start afresh.",
)


@app.command()
@guarded
def train(
    data: Annotated[list[Path], DATA],
    target: Annotated[str | None, TARGET] = None,
    task: Annotated[str | None, TASK] = None,
    loss: Annotated[str | None, LOSS] = None,
    optimizer: Annotated[str, OPTIMIZER] = "auto",
    lr: Annotated[float | None, LR] = None,
    momentum: Annotated[float | None, MOMENTUM] = None,
    batch_size: Annotated[int | None, BATCH] = None,
    epochs: Annotated[int, EPOCHS] = 1000,
    tol: Annotated[float | None, TOL] = None,
    patience: Annotated[int | None, PATIENCE] = None,
    penalty: Annotated[str | None, PENALTY] = None,
    l1_ratio: Annotated[float, L1_RATIO] = 0.15,
    seed: Annotated[int | None, SEED] = None,
    validation_fraction: Annotated[float | None, VALIDATION] = None,
    standardize: Annotated[bool, STANDARDIZE] = False,
    model_out: Annotated[Path | None, MODEL_OUT] = None,
    history: Annotated[Path | None, HISTORY] = None,
    plot: Annotated[Path | None, PLOT] = None,
    log: Annotated[bool, LOG] = False,
    checkpoint: Annotated[Path | None, CHECKPOINT] = None,
    checkpoint_every: Annotated[int, CHECKPOINT_EVERY] = 1,
    resume: Annotated[bool, RESUME] = False,
    target_file: Annotated[Path | None, TARGET_FILE] = None,
    chunk_mb: Annotated[float | None, CHUNK_MB] = None,
    workers: Annotated[int | None, WORKERS] = None,
    scheduler: Annotated[str | None, SCHEDULER] = None,
    scheduler_timeout: Annotated[float, SCHEDULER_TIMEOUT] = 10.0,
) -> None:
    """Fit a linear model to a data file by gradient descent and save it as JSON.

    Several Parquet files (or one .npy file of features with --target-file) are read a
    chunk at a time, not whole, here or on the workers of a Dask cluster (--workers,
    --scheduler); every pass sums the chunks in their order, so where they run changes no
    number.

    Ctrl-C stops after the current epoch and still writes what was asked, marked as
    interrupted (exit status 130).

    Examples:

    \b
      descend train houses.csv --target price --standardize --out model.json

    \b
      descend train blobs.csv --loss log_loss --alpha 0.01 --epochs 100 --plot fit.png

    \b
      descend train digits.npz --batch-size 1 --momentum 0.9 --history epochs.csv

    \b
      descend train big.csv --checkpoint run/ --out model.json      # killed? then:
      descend train big.csv --checkpoint run/ --out model.json --resume

    \b
      descend train 'data/*.parquet' --target y --standardize --out model.json
      descend train data/ --target y --workers 4 --out model.json
      descend train X.npy --target-file y.npy --task classification --out model.json
      descend train 'data/*.parquet' --target y --scheduler tcp://10.0.0.5:8786 \\
          --checkpoint run/ --out model.json
    """
    from descend.cli import _chunked

    if task is not None and task not in TASKS:
        raise InputError(f"--task {task!r}: choose regression or classification")
    _chunked.check_cluster(workers, scheduler, scheduler_timeout)
    chunked = _chunked.wanted(data, target_file, workers, scheduler, chunk_mb)
    files = _chunked.expand(data) if chunked else [data[0]]
    inputs = (*files, *([] if target_file is None else [target_file]))
    writable(model_out, "--out", (".json",), inputs)
    writable(history, "--history", (".csv",), inputs)
    writable(plot, "--plot", (".png",), inputs)
    resuming = _checkpoint_plan(checkpoint, checkpoint_every, resume, (*inputs, *data))
    params = {
        "optimizer": optimizer,
        "learning_rate": "auto" if lr is None else lr,
        "momentum": momentum,
        "batch_size": batch_size,
        "max_epochs": epochs,
        "tol": "auto" if tol is None else tol,
        "n_iter_no_change": patience,
        "random_state": seed,
        "record_weights": False,
    }
    if loss is not None:
        params["loss"] = loss
    if penalty is not None:
        params["penalty"], params["alpha"] = _penalty(penalty)
        params["l1_ratio"] = l1_ratio
    fit = _Fit(epochs, log, checkpoint, checkpoint_every, resuming)
    if chunked:
        done = _train_chunked(
            data, files, target, target_file, task, params, fit, standardize=standardize,
            validation_fraction=validation_fraction, chunk_mb=chunk_mb, workers=workers,
            scheduler=scheduler, scheduler_timeout=scheduler_timeout,
        )  # fmt: skip
    else:
        done = _train_whole(data[0], target, task, params, fit, standardize, validation_fraction)
    model, interrupted = done.model, fit.interrupted
    if model_out is not None:
        from descend.estimators import serialize

        extra = {"task": done.task, "data": done.data, "target": done.target_name,
                 "interrupted": interrupted}  # fmt: skip
        if target_file is not None:
            extra["target_file"] = str(target_file)
        serialize.save(
            model_out, model, scaler=done.scaler, extra=extra, feature_names=done.feature_names
        )
        note("wrote", model_out, "green")
    if history is not None:
        from descend import datafiles

        columns = [c for c in model.history_.columns if c not in ("coef", "intercept")]
        datafiles.write_csv(history, columns, [getattr(model.history_, c) for c in columns])
        note("wrote", history, "green")
    if plot is not None:
        _plot(model, done.X, done.y, done.task, plot, standardize)
        note("wrote", plot, "green")
    if interrupted:
        note("interrupted", f"after epoch {model.n_iter_}; what was asked is written")
        raise typer.Exit(INTERRUPTED)


class _Trained(NamedTuple):
    """What a fit gives the writing of its files (X and y: None for data read in chunks)."""

    model: object
    task: str
    scaler: object
    data: object
    target_name: str | None
    feature_names: list | None
    X: object = None
    y: object = None


class _Fit:
    """The fit itself, shown epoch by epoch, for both kinds of data."""

    def __init__(self, epochs, log, checkpoint, every, resuming):
        self.epochs, self.log = epochs, log
        self.checkpoint, self.every, self.resuming = checkpoint, every, resuming
        self.interrupted = False

    def __call__(self, model, X, y=None, watched="loss", scope=None):
        monitor = _Monitor(self.epochs, plain=self.log or not sys.stdout.isatty(),
                           watched=watched, scope=scope)  # fmt: skip
        model.set_params(callback=monitor)
        with _stop_on_ctrl_c(monitor), monitor.display(), warnings_as_notes():
            _fit(model, X, y, self.checkpoint, self.every, self.resuming)
        model.set_params(callback=None)
        self.interrupted = monitor.interrupted


def _model(task, params):
    """The estimator of ``task``, every setting checked before anything is read or fitted."""
    from descend.estimators import GDClassifier, GDRegressor

    kind = GDClassifier if task == "classification" else GDRegressor
    model = kind(**params)
    try:
        model.validate_settings()
    except (ValueError, TypeError) as error:
        raise InputError(_flag_names(str(error))) from None
    return model


def _train_whole(path, target, task, params, fit, standardize, validation_fraction) -> _Trained:
    """A data file read whole into memory."""
    from descend import datafiles

    table = datafiles.read(
        path, target=datafiles.LAST if target is None else target,
        numeric_target=task == "regression",
    )  # fmt: skip
    X, y = table.X, table.y
    task, why = _task(task, y, table)
    console = out()
    from descend.cli._common import shown  # the file's name may hold control characters

    console.print(
        f"{shown(table.path.name)}: {X.shape[0]} rows, {X.shape[1]} feature"
        f"{'s' * (X.shape[1] != 1)}, target {table.target_name!r}; task: {task} ({why})"
    )
    scaler = None
    if standardize:
        from sklearn.preprocessing import StandardScaler

        scaler = StandardScaler().fit(X)
        X = scaler.transform(X)
    params = dict(params)
    if validation_fraction is not None:
        params.update(early_stopping=True, validation_fraction=validation_fraction)
    model = _model(task, params)
    if task == "regression":
        y = y.astype(float)
    elif y.dtype.kind == "f":  # whole-number class labels stay whole numbers
        y = y.astype(np.int64)
    fit(model, X, y, watched="loss" if validation_fraction is None else "val_loss")
    _report(console, model, model.score(X, y), task, fit.interrupted)
    return _Trained(model, task, scaler, str(path), table.target_name, table.feature_names, X, y)


def _train_chunked(
    data, files, target, target_file, task, params, fit, *, standardize, validation_fraction,
    chunk_mb, workers, scheduler, scheduler_timeout,
) -> _Trained:  # fmt: skip
    """Data read a chunk at a time (Parquet files, a .npy file with --target-file), here or
    on a Dask cluster: the rows need never be all in memory at once (this process keeps
    them in memory only where they fit: see :func:`descend.cluster.memory_budget`)."""
    from descend.cli import _chunked
    from descend.cli._common import shown

    if validation_fraction is not None:
        raise InputError(
            "--validation-fraction holds rows out of data in memory, which data read a chunk "
            "at a time are not; keep some files apart and score the model on them with "
            "descend predict"
        )
    chunk_bytes = None
    if chunk_mb is not None:
        if not (math.isfinite(chunk_mb) and chunk_mb > 0):
            raise InputError(f"--chunk-mb {chunk_mb}: it must be a number of megabytes > 0")
        chunk_bytes = max(1, int(chunk_mb * (1 << 20)))
    named = shown(str(data[0])) if len(data) == 1 else f"{len(files)} files"
    if _chunked.kind_of(files, target, target_file) == "parquet":
        chunks, target_name = _chunked.open_parquet(files, target, chunk_bytes)
        targets = (source.targets() for source in chunks.sources)
        task, why = _chunked.guess_task(task, targets, named)
        if task == "classification":  # whole-number class labels stay whole numbers
            chunks = _chunked.wrapped(chunks, integer_labels=True)
    else:
        target_name = None
        y = _chunked.targets_file(target_file, numeric=task == "regression")
        task, why = _chunked.guess_task(task, [y], named)
        if task == "classification" and y.dtype.kind == "f" and np.all(y == np.round(y)):
            y = y.astype(np.int64)
        chunks = _chunked.open_npy(files[0], y, chunk_bytes)
    model = _model(task, params)
    n, k, d = chunks.n_rows, len(chunks), chunks.n_features
    what = f"target {target_name!r}" if target_file is None else f"targets from {target_file}"
    console = out()
    console.print(
        f"{named}: {n} rows in {k} chunk{'s' * (k != 1)}, {d} feature{'s' * (d != 1)}, "
        f"{shown(what)}; task: {task} ({why})"
    )
    feature_names = chunks.feature_names or [f"x{j}" for j in range(1, d + 1)]
    with _cluster_lost(fit.checkpoint), _chunked.dask_cluster(
        workers, scheduler, scheduler_timeout
    ) as where:  # fmt: skip
        where = where or "on this machine"
        scaler = None
        if standardize:
            scaler = _chunked.scaler_for(chunks)
            chunks = _chunked.wrapped(chunks, mean=scaler.mean_, scale=scaler.scale_)
        fit(model, chunks, scope=f"{n} rows in {k} chunk{'s' * (k != 1)} {where}")
        score = _chunked.training_score(chunks, model, task)
    # as a model trained on a file read whole: the columns are matched by the names saved
    # beside it (feature_names), so predict hands it arrays, which names of its own would
    # make scikit-learn warn about
    if hasattr(model, "feature_names_in_"):
        del model.feature_names_in_
    _report(console, model, score, task, fit.interrupted)
    spec = [str(p) for p in data]
    return _Trained(model, task, scaler, spec[0] if len(spec) == 1 else spec, target_name,
                    feature_names)  # fmt: skip


def _checkpoint_plan(checkpoint, every, resume, inputs) -> bool:
    """Check the checkpoint flags; whether the fit resumes (a --resume with nothing to resume
    yet starts afresh, said in a note)."""
    from descend.checkpoint import MANIFEST

    if checkpoint is None:
        if resume:
            raise InputError("--resume needs --checkpoint DIR, the folder to resume from")
        return False
    if every < 1:
        raise InputError(f"--checkpoint-every {every}: it must be a whole number >= 1")
    if checkpoint.exists() and not checkpoint.is_dir():
        raise InputError(f"--checkpoint {shown_path(checkpoint)}: it is a file, not a folder")
    if any(checkpoint.resolve() == Path(path).resolve() for path in inputs):
        raise InputError("--checkpoint names the data itself")
    if resume and not (checkpoint / MANIFEST).exists():
        note("resume", f"no checkpoint in {shown_path(checkpoint)} yet: starting afresh")
        return False
    return resume


def shown_path(path) -> str:
    from descend.cli._common import shown

    return shown(str(path))


@contextmanager
def _cluster_lost(checkpoint):
    """A Dask cluster lost during the fit as a one-line error (exit status 1) that says how
    to go on."""
    from descend.errors import ClusterError

    try:
        yield
    except ClusterError as error:
        cause = error.__cause__
        said = str(cause).strip().splitlines()[0] if cause is not None and str(cause) else ""
        detail = f" ({type(cause).__name__}: {said})" if cause is not None else ""
        again = (
            f"run the same command with --resume to go on from the last checkpoint in "
            f"{shown_path(checkpoint)}"
            if checkpoint is not None
            else "with --checkpoint DIR, a fit that loses its cluster goes on from its last "
            "epoch when run again with --resume"
        )
        note("error", f"the Dask cluster was lost during the fit{detail}; the data are "
             f"where they were: {again}", "red")  # fmt: skip
        raise typer.Exit(FAILED) from None


def _fit(model, X, y, checkpoint=None, every=1, resume=False):
    from descend.checkpoint import CheckpointError
    from descend.errors import FitDivergedError

    try:
        model.fit(
            X, y, checkpoint=checkpoint, checkpoint_every=None if checkpoint is None else every,
            resume=resume or None,
        )  # fmt: skip
    except CheckpointError as error:
        raise InputError(str(error)) from None
    except FitDivergedError as error:
        note("diverged", error, "red")
        raise typer.Exit(FAILED) from None
    except (ValueError, TypeError) as error:  # settings the estimator refuses
        raise InputError(_flag_names(str(error))) from None


#: The estimator's parameter names as this command's flags, for its error messages.
FLAGS = {
    "max_epochs": "--epochs",
    "n_iter_no_change": "--patience",
    "random_state": "--seed",
    "learning_rate": "--lr",
    "batch_size": "--batch-size",
    "validation_fraction": "--validation-fraction",
    "l1_ratio": "--l1-ratio",
    "alpha": "--penalty strength",
}


def _flag_names(message: str) -> str:
    import re

    return re.sub(r"\b(" + "|".join(FLAGS) + r")\b", lambda m: FLAGS[m.group(1)], message)


def _task(task, y, table) -> tuple[str, str]:
    """The task, and why: given, or guessed from the target."""
    numeric = y.dtype.kind in "fiu"
    values = np.unique(y)
    if task is not None:
        if task == "regression" and not numeric:
            raise InputError(
                f"{table.path}: the target column {table.target_name!r} holds text "
                f"({values[0].item()!r} …), which cannot be regressed on; use --task "
                "classification"
            )
        why = "as asked"
    elif not numeric:
        task, why = "classification", "guessed: the target holds text labels"
    elif np.all(values == np.round(values)) and len(values) <= MAX_GUESSED_CLASSES:
        task = "classification"
        why = f"guessed: the target holds {len(values)} whole numbers; --task to choose"
    else:
        task, why = "regression", "guessed: the target holds real numbers; --task to choose"
    if task == "classification" and len(values) < 2:
        raise InputError(
            f"{table.path}: the target column {table.target_name!r} has a single class, "
            f"{values[0].item()!r}; a classifier needs at least two"
        )
    return task, why


def _penalty(text: str):
    kind, _, strength = text.partition(":")
    kind = kind.strip().lower()
    if kind not in ("l2", "l1", "elasticnet"):
        raise InputError(f"--penalty {text!r}: choose l2, l1 or elasticnet (as l2:0.001)")
    if not strength:
        return kind, 0.0001
    try:
        value = float(strength)
    except ValueError:
        raise InputError(f"--penalty {text!r}: {strength!r} is not a number") from None
    return kind, value


class _Monitor:
    """Shows each epoch (a progress bar, or log lines) and asks the fit to stop after Ctrl-C;
    the estimator calls it after every epoch."""

    def __init__(self, epochs: int, plain: bool, watched: str = "loss", scope: str | None = None):
        self.epochs, self.plain, self.watched = epochs, plain, watched
        self.scope = scope  # the rows and where they are, for data read a chunk at a time
        self.interrupted = False
        self._stop = False
        self._progress = None
        self._task = None

    def request_stop(self) -> None:
        self._stop = True

    @contextmanager
    def display(self):
        if self.plain:
            if self.scope is not None:
                print(f"[INFO] training on {self.scope}", flush=True)
            yield
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        columns = (TextColumn("epoch"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.description}"))  # fmt: skip
        with Progress(*columns, console=err(), transient=True) as progress:
            self._progress = progress
            self._task = progress.add_task(self.scope or "", total=self.epochs)
            yield

    def __call__(self, info) -> bool:
        if self.plain:
            print(f"[INFO] epoch #{info.nit}, {self.watched}={info.f:.7f}", flush=True)
        else:
            shown = f"{self.watched.replace('_', ' ')} {info.f:.6g}"
            if self.scope is not None:
                shown = f"{shown} · {self.scope}"
            self._progress.update(self._task, completed=info.nit, description=shown)
        if self._stop:
            self.interrupted = True
            return True
        return False


@contextmanager
def _stop_on_ctrl_c(monitor: _Monitor):
    """The first Ctrl-C ends the fit after the current epoch; a second one stops at once."""
    if sys.platform == "win32" or not _main_thread():
        yield
        return

    def handler(signum, frame):
        if monitor._stop:
            raise KeyboardInterrupt
        monitor.request_stop()
        err().print("stopping after this epoch (Ctrl-C again to abandon the fit)")

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _report(console, model, score, task, interrupted: bool) -> None:
    what = "training accuracy" if task == "classification" else "training R²"
    shown = f"{score:.2%}" if task == "classification" else f"{score:.6g}"
    console.print(
        f"epochs: {model.n_iter_}; stopped ({model.stop_reason_}): {model.stop_message_}"
    )
    loss = model.history_.loss[-1]
    console.print(f"final loss: {loss:.6g}; {what}: {shown}" if math.isfinite(loss) else "")
    if interrupted:
        note("interrupted", "by Ctrl-C", console=console)


def _plot(model, X, y, task, path: Path, standardized: bool) -> None:
    headless()
    import matplotlib.pyplot as plt

    from descend import plot

    side = X is not None and (
        (task == "classification" and X.shape[1] == 2)
        or (task == "regression" and X.shape[1] == 1)
    )
    fig, axes = plt.subplots(1, 2 if side else 1, figsize=(11 if side else 6.4, 4.4),
                             squeeze=False, layout="constrained")  # fmt: skip
    plot.loss(model, ax=axes[0, 0], log=bool(np.all(model.history_.loss > 0)))
    if side:
        if task == "classification":
            plot.decision_boundary(model, X, y, ax=axes[0, 1])
        else:
            plot.fit_line(model, X, y, ax=axes[0, 1])
        if standardized:
            axes[0, 1].set_title("standardized features")
    save_figure(fig, path)


@app.command()
@guarded
def predict(
    model_path: Annotated[
        Path,
        typer.Argument(
            metavar="MODEL", help="A model written by descend train.", show_default=False
        ),
    ],
    data: Annotated[
        Path,
        typer.Argument(
            metavar="DATA", help="Rows to predict, in any format train reads.", show_default=False
        ),
    ],
    out_path: Annotated[
        Path | None,
        typer.Option("--out", help="Write the predictions here (CSV; default: standard output)."),
    ] = None,
    proba: Annotated[
        bool, typer.Option(help="Add each class's probability (log_loss classifiers).")
    ] = False,
) -> None:
    """Predict with a model saved by descend train; writes CSV.

    The data's columns are matched to the model's features by name when the file has a
    header with them (other columns, such as the target, are left out), else by position.

    Examples:

    \b
      descend predict model.json new-houses.csv --out predictions.csv

    \b
      descend predict model.json test.csv --proba
    """
    from descend import datafiles
    from descend.estimators import serialize

    writable(out_path, "--out", (".csv",), (data, model_path))
    model = serialize.load(model_path)
    # the training target's column, when the file has one, is not a feature
    headed = data.suffix.lower() in datafiles.HEADED
    trained_on = (model.extra or {}).get("target") if headed else None
    table = datafiles.read(data, target=trained_on, need_target=False)
    X = _columns_for(model, table)
    if proba and not hasattr(model.estimator, "predict_proba"):  # only log_loss classifiers
        raise InputError("--proba needs a classifier trained with --loss log_loss")
    try:
        predicted = model.predict(X)
        header, columns = ["prediction"], [predicted]
        if proba:
            estimator = model.estimator
            probabilities = estimator.predict_proba(model.transform(X))
    except ValueError as error:  # outputs beyond float64's range: nothing is written
        raise InputError(f"{data}: {error}") from None
    if proba:
        for k, label in enumerate(estimator.classes_):
            header.append(f"p({label})")
            columns.append(probabilities[:, k])
    datafiles.write_csv("-" if out_path is None else out_path, header, columns)
    if out_path is not None:
        note("wrote", f"{len(predicted)} predictions to {out_path}", "green")


def _columns_for(model, table) -> np.ndarray:
    """The model's features from the table: by name when the file names its columns (a
    missing one is an error, never a silent shift), else by position."""
    from descend import datafiles

    names = model.feature_names
    if names and table.path.suffix.lower() in datafiles.HEADED:
        missing = [name for name in names if name not in table.feature_names]
        if missing:
            raise InputError(
                f"{table.path}: the model needs the column"
                f"{'s' * (len(missing) != 1)} {', '.join(repr(m) for m in missing)}, which the "
                f"file lacks; it has {', '.join(repr(c) for c in table.feature_names)}"
            )
        index = [table.feature_names.index(name) for name in names]
        return table.X[:, index]
    expected = model.estimator.n_features_in_
    if table.X.shape[1] != expected:
        raise InputError(
            f"{table.path}: the model was trained on {expected} feature"
            f"{'s' * (expected != 1)}"
            + (f" ({', '.join(names)})" if names else "")
            + f"; the file has {table.X.shape[1]} column{'s' * (table.X.shape[1] != 1)}"
        )
    return table.X
