"""Checkpoints: a run's whole state on disk, so that it can stop and go on exactly.

A checkpoint is a folder holding

- ``manifest.json``: the format and its version, the *fingerprint* of the run (what it
  minimises, from where, with which optimizer and data), the numbers of its state, and the
  name and SHA-256 of each arrays file;
- ``state-<iteration>.npz``: the arrays of the state (the iterate, the optimizer's buffers),
  read back with ``allow_pickle=False``, as are
- ``record-<first>-<last>.npz``: the record's rows, in segments. Rows are only added to a
  record, so each checkpoint writes the rows since the last one and merges the newest
  segments while the last is the longer: about log2(n) files, each row written about
  log2(n) times over a run of n rows.

Writing is atomic: the arrays go to new files first, then the manifest naming them replaces
the old one (the commit point), then the files it no longer names are removed. A run killed
at any moment leaves the previous checkpoint or the new one, whole. The files are flushed to
the disk (against the machine going down) at most every :data:`DURABLE_SECONDS`.

A checkpoint is resumed only by the same run: a fingerprint that differs is refused with a
message naming what differs. The stopping rules are not part of the fingerprint, so a run
can be resumed with a larger ``max_iter``; with the same rules, the resumed run gives bit for
bit the result of the run that was never interrupted (its ``time`` column aside).

Examples
--------
>>> import tempfile, descend
>>> folder = tempfile.mkdtemp()
>>> full = descend.minimize(lambda x: (x - 3.0) ** 2, 0.0, learning_rate=0.1, max_iter=50)
>>> part = descend.minimize(lambda x: (x - 3.0) ** 2, 0.0, learning_rate=0.1, max_iter=20,
...                         checkpoint=folder)
>>> rest = descend.minimize(lambda x: (x - 3.0) ** 2, 0.0, learning_rate=0.1, max_iter=50,
...                         resume=folder)
>>> rest.x == full.x, rest.nit, bool((rest.history.f == full.history.f).all())
(True, 50, True)
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import numbers
import os
import re
import time
from pathlib import Path

import numpy as np

__all__ = ["EVERY_EPOCH", "EVERY_ITERATIONS", "CheckpointError", "Store", "fingerprint", "plan"]

FORMAT = "descend-checkpoint"
VERSION = 1
MANIFEST = "manifest.json"
#: How often a run writes a checkpoint when ``checkpoint_every`` is left out: every epoch of a
#: run over batches or of a fit, and every this many iterations of a plain run (whose
#: iterations may take microseconds each).
EVERY_EPOCH = 1
#: See :data:`EVERY_EPOCH`: the iterations between checkpoints of a plain run.
EVERY_ITERATIONS = 100
#: Checkpoints are written whole or not at all whatever happens to the process (its death
#: leaves the operating system's cache, which holds them, as it was). Against the machine
#: going down, one is also flushed to the disk (fsync) at least every this many seconds of
#: the run, the final one included, so that at most this much of the run is lost: flushing
#: every one would cost a fast epoch several per cent.
DURABLE_SECONDS = 30.0


class CheckpointError(ValueError):
    """A checkpoint that cannot be resumed here: damaged, of another version, or of another
    run (the message names what differs)."""


def plan(checkpoint, every, resume, *, default_every):
    """The :class:`Store` of a run's ``checkpoint=``, ``checkpoint_every=`` and ``resume=``
    arguments, or None when it asked for neither."""
    if resume is not None and resume is not False:
        source = checkpoint if resume is True else resume
        if source is None:
            raise ValueError("resume=True needs checkpoint=PATH, the folder to resume from")
        if checkpoint is None:
            checkpoint = source  # a resumed run goes on writing where it was resumed from
    else:
        source = None
    if checkpoint is None:
        if every is not None:
            raise ValueError(
                f"checkpoint_every={every!r} given without checkpoint=PATH, the folder to "
                "write the checkpoints in"
            )
        return None
    if every is None:
        every = default_every
    if isinstance(every, bool) or not isinstance(every, numbers.Integral) or every < 1:
        raise ValueError(f"Invalid checkpoint_every: {every!r}; expected a whole number >= 1")
    return Store(checkpoint, int(every), source)


class Store:
    """Where one run's checkpoints go and where it resumes from.

    Parameters
    ----------
    path : path-like
        The folder of the checkpoints (made when missing).
    every : int
        Iterations between checkpoints.
    source : path-like, optional
        The folder to resume from (None: a fresh run).
    """

    def __init__(self, path, every: int, source=None):
        self.path = Path(os.fspath(path))
        self.every = every
        self.source = None if source is None else Path(os.fspath(source))
        self.fingerprint: dict = {}
        self._flushed = time.monotonic()  # when a checkpoint was last flushed to the disk
        self._manifest: dict | None = None  # the last one written
        self._segments: list[dict] = []  # the record's files, in order of their rows
        self._covered = 0  # the rows they hold
        self._unflushed: list[Path] = []  # files written since the last flush
        if self.path.exists() and not self.path.is_dir():
            raise NotADirectoryError(
                f"Invalid checkpoint: {str(self.path)!r} is a file; a checkpoint is a folder"
            )

    @property
    def resuming(self) -> bool:
        return self.source is not None

    def describe(self, **settings) -> None:
        """Set the run's fingerprint from its settings (see :func:`fingerprint`)."""
        self.fingerprint = fingerprint(**settings)

    # --------------------------------------------------------------------------- writing

    def save(self, state, final: bool = False, changed: bool = True) -> None:
        """Write ``state`` (a :class:`descend.driver.RunState`) as the folder's checkpoint;
        ``final`` marks the run's last one. ``changed=False`` says the state is the one
        written last: only its manifest is written again, marked final."""

        if not changed and self._manifest is not None:
            durable = self._due()
            if durable:
                self._flush()
            self._manifest["final"] = bool(final)
            self._write_manifest(durable)
            return
        self.path.mkdir(parents=True, exist_ok=True)
        durable = self._due()
        arrays: dict[str, np.ndarray] = {}
        numbers_ = _encode(_state_fields(state), arrays, "state")
        record = state.record
        n = record._n
        self._record_segments(record, n)
        name = f"state-{state.nit:08d}.npz"
        digest = self._write_arrays(name, arrays)
        if durable:
            self._flush()
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "iteration": state.nit,
            "final": bool(final),
            "fingerprint": self.fingerprint,
            "arrays": name,
            "sha256": digest,
            "state": numbers_,
            "record": {
                "rows": n,
                "segments": [dict(segment) for segment in self._segments],
                "keep_all": record._keep_all,
                "scalar": record._scalar,
                "dim": record._dim,
                "keep_x": record._x is not None,
                "extras": {k: list(v.shape[1:]) for k, v in record._extras.items()},
                "events": [[int(i), str(text)] for i, text in record.events],
                "columns": list(getattr(record, "columns", ())),
            },
        }
        self._manifest = manifest
        self._write_manifest(durable)
        # only now are the files the old manifest named, and no longer this one, not needed
        keep = {name, *(segment["file"] for segment in self._segments)}
        for old in (*self.path.glob("state-*.npz"), *self.path.glob("record-*.npz")):
            if old.name not in keep:
                old.unlink(missing_ok=True)

    def _flush(self) -> None:
        """Flush the files written since the last flush to the disk, before a manifest that
        names them is."""
        for written in self._unflushed:
            with contextlib.suppress(FileNotFoundError), open(written, "rb+") as fh:
                os.fsync(fh.fileno())
        self._unflushed.clear()

    def _write_arrays(self, name: str, arrays: dict) -> str:
        """Write ``arrays`` as the archive ``name`` in the folder, whole or not at all (the
        flush waits for :meth:`save`); returns its SHA-256."""
        from descend.datafiles import atomic_path

        buffer = io.BytesIO()  # hashed as it is, not read back from the disk
        np.savez(buffer, **arrays)
        content = buffer.getbuffer()
        target = self.path / name
        with atomic_path(target, durable=False) as partial:
            partial.write_bytes(content)
        self._unflushed.append(target)
        return hashlib.sha256(content).hexdigest()

    def _record_segments(self, record, n: int) -> None:
        """Bring the record's files up to its first ``n`` rows.

        Rows are only ever added to a record, so each checkpoint writes the rows since the
        last one as a new segment, and merges the newest segments while the last is at
        least as long as the one before it: a run of n rows keeps about log2(n) files and
        writes each row about log2(n) times, where rewriting the whole record each time
        would write n²/2 rows over the run. A record that keeps only its last row is one
        segment, rewritten."""
        segments = self._segments
        if not record._keep_all or n < self._covered:
            segments.clear()
            self._covered = 0
        if n > self._covered or not segments:
            segments.append(self._segment(record, self._covered, n))
            self._covered = n
        while len(segments) >= 2 and (
            segments[-1]["stop"] - segments[-1]["start"]
            >= segments[-2]["stop"] - segments[-2]["start"]
        ):
            last, before = segments.pop(), segments.pop()
            segments.append(self._segment(record, before["start"], last["stop"]))

    def _segment(self, record, start: int, stop: int) -> dict:
        name = f"record-{start:08d}-{stop:08d}.npz"
        digest = self._write_arrays(name, _record_arrays(record, start, stop))
        return {"file": name, "start": start, "stop": stop, "sha256": digest}

    def _due(self) -> bool:
        """Whether the checkpoint about to be written is to be flushed to the disk."""
        now = time.monotonic()
        if now - self._flushed < DURABLE_SECONDS:
            return False
        self._flushed = now
        return True

    def _write_manifest(self, durable: bool) -> None:
        from descend.datafiles import atomic_path

        with atomic_path(self.path / MANIFEST, durable=durable) as partial:
            # compact: the indented form would go through json's Python encoder, which
            # costs a fast epoch several per cent
            text = json.dumps(self._manifest, allow_nan=False, separators=(",", ":"))
            partial.write_text(text + "\n")

    # --------------------------------------------------------------------------- reading

    def load(self, template):
        """The :class:`~descend.driver.RunState` in the source folder, checked against this
        run's fingerprint. ``template`` is the state a fresh run would start from (its
        optimizer state gives the type the saved one is read back as)."""
        manifest = read_manifest(self.source)
        try:
            return self._load(manifest, template)
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            if isinstance(err, CheckpointError):
                raise
            raise CheckpointError(
                f"The checkpoint in {str(self.source)!r} is damaged: its manifest does not "
                f"describe a run's state ({type(err).__name__}: {err})"
            ) from None

    def _read_arrays(self, name: str, digest: str) -> dict:
        """The arrays of the archive ``name`` in the source folder, checked against the
        SHA-256 the manifest gives for it."""
        from descend.datafiles import open_regular

        try:
            with open_regular(self.source / name) as fh:
                content = fh.read()
        except OSError:
            content = None
        if content is None or hashlib.sha256(content).hexdigest() != digest:
            raise CheckpointError(
                f"The checkpoint in {str(self.source)!r} is damaged: {name} is missing or "
                "does not match the manifest's checksum"
            )
        with np.load(io.BytesIO(content), allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}

    def _load(self, manifest, template):
        from descend.driver import RunState
        from descend.history import History

        differs = compare(manifest["fingerprint"], self.fingerprint)
        if differs:
            raise CheckpointError(
                f"The checkpoint in {str(self.source)!r} is of another run: {differs}. "
                "Resume it with the settings and data it was made with, or start afresh "
                "in another folder."
            )
        name = manifest["arrays"]
        if not (isinstance(name, str) and re.fullmatch(r"state-\d{8,}\.npz", name)):
            raise CheckpointError(
                f"The checkpoint's manifest names arrays {name!r}; expected "
                "state-<iteration>.npz in its own folder"
            )
        arrays = self._read_arrays(name, manifest["sha256"])
        info = manifest["record"]
        segments = info["segments"]
        rows = 0
        for segment in segments:
            if not (
                isinstance(segment["file"], str)
                and re.fullmatch(r"record-\d{8,}-\d{8,}\.npz", segment["file"])
                and segment["start"] == rows
            ):
                raise CheckpointError(
                    f"The checkpoint's manifest lists record files out of order or outside "
                    f"its folder: {segment['file']!r}"
                )
            part = self._read_arrays(segment["file"], segment["sha256"])
            rows = segment["stop"]
            for key, values in part.items():
                arrays[key] = (
                    values if key not in arrays else np.concatenate([arrays[key], values])
                )
        capacity = max(info["rows"], 1) * 2
        shapes = {k: tuple(v) for k, v in info["extras"].items()}
        if info["columns"]:  # a fit's record, by the names a fit gives its columns
            from descend.estimators.history import TrainingHistory

            record = TrainingHistory(info["columns"], shapes=shapes, capacity=capacity)
        else:
            record = History(
                info["dim"], info["scalar"], capacity=capacity, keep_all=info["keep_all"],
                keep_x=info["keep_x"], extras=shapes,
            )  # fmt: skip
        _restore_record(record, arrays, info["rows"])
        if self.source.resolve() == self.path.resolve():  # going on where it was resumed
            self._segments = [dict(segment) for segment in segments]
            self._covered = rows
        record.events = [(int(i), text) for i, text in info["events"]]
        fields = _decode(manifest["state"], arrays)
        opt_type = type(template.opt_state)
        fields["opt_state"] = opt_type(*fields["opt_state"])
        for key in ("x", "g"):
            if fields[key] is not None:
                fields[key].setflags(write=False)
        return RunState(record=record, **fields)


def read_manifest(folder) -> dict:
    """The manifest of the checkpoint in ``folder``, its format and version checked."""
    from descend.datafiles import open_regular

    path = Path(folder) / MANIFEST
    if not path.exists():
        raise FileNotFoundError(f"No checkpoint to resume: {str(path)!r} does not exist")
    try:
        with open_regular(path) as fh:
            manifest = json.loads(fh.read().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(
            f"The checkpoint manifest {str(path)!r} is not JSON ({err})"
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CheckpointError(f"{str(path)!r} is not a descend checkpoint manifest")
    if manifest.get("version") != VERSION:
        raise CheckpointError(
            f"The checkpoint in {str(folder)!r} has format version {manifest.get('version')!r}; "
            f"this descend reads version {VERSION}"
        )
    return manifest


def compare(saved: dict, current: dict) -> str:
    """What differs between two fingerprints, as a phrase ('' when nothing does)."""
    parts = []
    for key in sorted(set(saved) | set(current)):
        if saved.get(key) != current.get(key):
            was, now = _brief(saved.get(key), current.get(key))
            parts.append(f"{key} was {was}, now {now}")
    return "; ".join(parts)


def _brief(was, now) -> tuple[str, str]:
    """Two descriptions cut to about 80 characters each, both from a little before where
    they first differ, so that a long repr still shows what changed."""
    was, now = ("missing" if v is None else str(v) for v in (was, now))
    if len(was) <= 80 and len(now) <= 80:
        return was, now
    pairs = enumerate(zip(was, now, strict=False))
    same = next((i for i, (a, b) in pairs if a != b), min(len(was), len(now)))
    start = same - 20 if same > 40 else 0

    def cut(text):
        text = ("..." if start else "") + text[start:]
        return text if len(text) <= 80 else text[:77] + "..."

    return cut(was), cut(now)


# ------------------------------------------------------------------------- fingerprints


def fingerprint(**settings) -> dict:
    """A run's settings as comparable text: functions by their qualified name, arrays and
    data by a hash of their contents, everything else by its stable ``repr``."""
    return {key: _describe(value) for key, value in settings.items()}


def _describe(value) -> str:
    if value is None or isinstance(value, bool | str | numbers.Number):
        return repr(value)
    if isinstance(value, np.ndarray) or _sparse(value):
        return _digest(value)
    if isinstance(value, tuple | list):
        return "(" + ", ".join(_describe(v) for v in value) + ")"
    if (
        callable(value)
        and hasattr(value, "__qualname__")
        and not hasattr(value, "__dataclass_fields__")
    ):
        return f"{getattr(value, '__module__', '?')}.{value.__qualname__}"
    # dataclass-like settings (optimizers, schedules): their repr, with addresses removed
    return re.sub(r" at 0x[0-9a-fA-F]+", "", repr(value))


def _sparse(value) -> bool:
    return hasattr(value, "format") and hasattr(value, "indptr")


#: Arrays larger than this are fingerprinted by evenly spaced samples of about this size.
DIGEST_BYTES = 2**16


def _digest(array) -> str:
    """The shape, type and a BLAKE2b hash of an array's contents (dense or CSR/CSC).

    Large arrays are hashed by evenly spaced samples of about :data:`DIGEST_BYTES` (their
    ends included), so that checking a checkpoint against gigabytes of data costs
    milliseconds, not a read of the data: it tells another file or another preprocessing
    from the data a checkpoint was made with, not one entry changed between two samples."""
    h = hashlib.blake2b(digest_size=16)
    if _sparse(array):
        parts = (array.data, array.indices, array.indptr)
        kind = array.format
    else:
        parts = (array,)
        kind = "dense"
    for part in parts:
        if part.nbytes > DIGEST_BYTES:
            stride = -(-part.nbytes // DIGEST_BYTES)
            part = np.concatenate([part[::stride].reshape(-1), part[-1:].reshape(-1)])
        part = np.ascontiguousarray(part)
        h.update(str(part.dtype).encode())
        h.update(memoryview(part).cast("B") if part.size else b"")
    return f"{kind} {array.dtype} {tuple(array.shape)} {h.hexdigest()}"


# ----------------------------------------------------------------------- state to JSON


def _state_fields(state) -> dict:
    return {name: getattr(state, name) for name in state.__dataclass_fields__ if name != "record"}


def _encode(value, arrays: dict, key: str):
    """``value`` as JSON, its arrays put into ``arrays`` under keys derived from ``key``.
    Floats go as hexadecimal text, so that every bit (and NaN and the infinities) returns."""
    if value is None or isinstance(value, bool | np.bool_):
        return None if value is None else bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return {"float": float(value).hex()}
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray):
        name = f"{key}"
        arrays[name] = value
        return {"array": name}
    if isinstance(value, tuple | list):
        return {"list": [_encode(v, arrays, f"{key}.{i}") for i, v in enumerate(value)]}
    if isinstance(value, dict):
        return {"dict": {str(k): _encode(v, arrays, f"{key}.{k}") for k, v in value.items()}}
    raise TypeError(f"A checkpoint cannot hold {type(value).__name__} ({key})")


def _decode(value, arrays: dict):
    if value is None or isinstance(value, bool | int | str):
        return value
    if "float" in value:
        return float.fromhex(value["float"])
    if "array" in value:
        name = value["array"]
        if name not in arrays:
            raise CheckpointError(f"The checkpoint's arrays lack {name!r}")
        return np.array(arrays[name])
    if "list" in value:
        return [_decode(v, arrays) for v in value["list"]]
    if "dict" in value:
        return {k: _decode(v, arrays) for k, v in value["dict"].items()}
    raise CheckpointError(f"The checkpoint holds a value it cannot read: {value!r}")


_RECORD_COLUMNS = ("f", "grad_norm", "learning_rate", "time")


def _record_arrays(record, start: int, stop: int) -> dict:
    rows = slice(start, stop)
    out = {"record.iteration": record._iteration[rows]}
    if record._x is not None:
        out["record.x"] = record._x[rows]
    for name in _RECORD_COLUMNS:
        out[f"record.{name}"] = record._cols[name][rows]
    for name, column in record._extras.items():
        out[f"record.extra.{name}"] = column[rows]
    return out


def _restore_record(record, arrays, n: int) -> None:
    def column(name):
        key = f"record.{name}"
        if key not in arrays or len(arrays[key]) != n:
            raise CheckpointError(f"The checkpoint's record lacks {name!r} or has it cut short")
        return arrays[key]

    record._iteration[:n] = column("iteration")
    if record._x is not None:
        record._x[:n] = column("x")
    for name in _RECORD_COLUMNS:
        record._cols[name][:n] = column(name)
    for name, values in record._extras.items():
        values[:n] = column(f"extra.{name}")
    record._n = n
