"""Rows a fit reads a chunk at a time: files bigger than memory, and data on a Dask cluster.

A :class:`Chunks` is the list of a data set's chunks in their order, each a small picklable
*source* that loads its rows where it runs (in this process, or on a Dask worker), and what is
known of the whole (rows per chunk, the columns, the feature names). :func:`as_chunks` makes
one from what ``fit`` and ``minimize(data=...)`` accept beyond arrays in memory:

- a :class:`numpy.memmap`, or the path of a ``.npy`` file: chunks of rows mapped from the file
  where they are read, never copied into memory whole;
- Parquet files: a path, a glob such as ``"data/*.parquet"`` or a list of paths, with the
  target (and, optionally, the sample weights) named as columns; each chunk is a run of row
  groups of one file;
- a Dask array (its blocks of rows) or a Dask DataFrame (its partitions, with unknown sizes
  and empty partitions allowed, and a categorical target read by its labels).

The chunks' raw rows go through :func:`prepare`, which checks them (naming the row and the
column of a bad value) and turns class labels into class indices, on the machine that holds
them: only parameters and sums travel afterwards (see :mod:`descend.cluster`).

Examples
--------
>>> import numpy as np
>>> from descend import chunks
>>> X, y = np.arange(20.0).reshape(10, 2), np.arange(10.0)
>>> data = chunks.from_arrays(X, y, rows=4)
>>> data.rows, data.n_features
([4, 4, 2], 2)
>>> part = data.sources[2].load()
>>> part.X.tolist(), part.y.tolist()
([[16.0, 17.0], [18.0, 19.0]], [8.0, 9.0])
"""

from __future__ import annotations

import glob as _glob
import hashlib
import itertools
import math
import mmap
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "CHUNK_BYTES",
    "ArrayRows",
    "Chunks",
    "DaskRows",
    "FileRows",
    "Held",
    "ParquetRows",
    "Part",
    "Prep",
    "as_chunks",
    "from_arrays",
    "from_dask",
    "from_npy",
    "from_parquet",
    "hold_out",
    "prepare",
]

#: Bytes of X per chunk of a memory-mapped or ``.npy`` file unless ``chunk_bytes`` says
#: otherwise: large enough that a chunk's fixed costs (a mapping, a task) vanish beside
#: reading it, small enough that two of them fit in a modest memory limit.
CHUNK_BYTES = 64 << 20


class Part(NamedTuple):
    """The rows of one chunk: X (2-d), the targets, the sample weights or None."""

    X: Any
    y: Any
    w: Any = None


# ------------------------------------------------------------------------------- sources


@dataclass(frozen=True, eq=False)
class ArrayRows:
    """Rows ``start:stop`` of arrays in memory (views, no copy)."""

    X: Any
    y: Any
    w: Any
    start: int
    stop: int

    @property
    def n_rows(self) -> int:
        return self.stop - self.start

    def load(self) -> Part:
        s = slice(self.start, self.stop)
        return Part(self.X[s], _rows(self.y, s), _rows(self.w, s))

    def __reduce__(self):
        # pickled (to a Dask worker) as its own rows, never the whole arrays
        s = slice(self.start, self.stop)
        return ArrayRows, (self.X[s], _rows(self.y, s), _rows(self.w, s), 0, self.n_rows)

    def targets(self):
        return _rows(self.y, slice(self.start, self.stop))


def _rows(values, rows: slice):
    return None if values is None else values[rows]


@dataclass(frozen=True, eq=False)
class FileRows:
    """Rows of a C-ordered 2-d array stored in a file at byte ``offset`` (a ``.npy`` file's
    data, or a :class:`numpy.memmap`'s), with their targets and weights in memory.

    :meth:`load` maps just these rows, with the pages read in one go (``MAP_POPULATE``); the
    mapping is undone when the rows are dropped, so a pass over a file holds no more of it
    than the chunks in hand. The source pickles as the path and the numbers, never the data.
    """

    path: str
    offset: int
    dtype: str
    n_columns: int
    start: int
    stop: int
    y: Any = None
    w: Any = None
    #: The file's row that ``y[0]`` and ``w[0]`` belong to.
    held_from: int = 0

    #: Mapping the rows again each pass costs no more than holding them: never held.
    streamed = True

    @property
    def n_rows(self) -> int:
        return self.stop - self.start

    def load(self) -> Part:
        item = np.dtype(self.dtype).itemsize
        row_bytes = self.n_columns * item
        begin = self.offset + self.start * row_bytes
        length = self.n_rows * row_bytes
        X = np.empty((0, self.n_columns), self.dtype)
        if length:
            aligned = begin - begin % mmap.ALLOCATIONGRANULARITY
            flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
            with open(self.path, "rb") as fh:
                view = mmap.mmap(fh.fileno(), length + begin - aligned, flags=flags,
                                 prot=mmap.PROT_READ, offset=aligned)  # fmt: skip
            X = np.frombuffer(view, self.dtype, self.n_rows * self.n_columns, begin - aligned)
            X = X.reshape(self.n_rows, self.n_columns)
        s = slice(self.start - self.held_from, self.stop - self.held_from)
        return Part(X, _rows(self.y, s), _rows(self.w, s))

    def __reduce__(self):
        # pickled with its own targets and weights only (the file's rows travel as numbers)
        s = slice(self.start - self.held_from, self.stop - self.held_from)
        return FileRows, (
            self.path, self.offset, self.dtype, self.n_columns, self.start, self.stop,
            _rows(self.y, s), _rows(self.w, s), self.start,
        )  # fmt: skip

    def targets(self):
        return _rows(self.y, slice(self.start - self.held_from, self.stop - self.held_from))


@dataclass(frozen=True, eq=False)
class ParquetRows:
    """Row groups ``groups`` of one Parquet file: the features, the ``target`` column and
    the ``weight`` column (if named). ``first`` is the file's row the groups start at, and
    ``columns`` the file's columns in order, for the messages."""

    path: str
    groups: tuple[int, ...]
    features: tuple[str, ...]
    target: str | None
    weight: str | None
    first: int
    n_rows: int
    columns: tuple[str, ...] = ()

    def _number(self, name) -> tuple[list, int]:
        """The names and the index that give ``name``'s number in the file, for a message."""
        order = list(self.columns) or [*self.features, self.target, self.weight]
        return order, order.index(name)

    def _table(self, columns):
        import pyarrow.parquet as pq

        with open(self.path, "rb") as fh:
            return pq.ParquetFile(fh).read_row_groups(list(self.groups), columns=list(columns))

    def load(self) -> Part:
        import pyarrow as pa

        from descend import datafiles

        wanted = [*self.features, *(c for c in (self.target, self.weight) if c is not None)]
        table = self._table(wanted)
        with _rows_from(self.path, self.first):
            columns = [
                datafiles._parquet_column(self.path, table.column(name), *self._number(name), pa)
                for name in self.features
            ]
            y = self._column(table, self.target, pa, target=True)
            w = self._column(table, self.weight, pa)
            if w is not None and np.any(w < 0):  # named by the file's row, as a NaN is
                i = int(np.flatnonzero(w < 0)[0])
                raise datafiles.DataFileError(
                    self.path, f"is negative: {w[i]}; sample weights must be >= 0", row=i + 1,
                    column=self.weight, column_number=self._number(self.weight)[1] + 1,
                )  # fmt: skip
        X = np.column_stack(columns) if columns else np.empty((self.n_rows, 0))
        return Part(X, y, w)

    def _column(self, table, name, pa, target=False):
        from descend import datafiles

        if name is None:
            return None
        read = datafiles._parquet_target if target else datafiles._parquet_column
        extra = (False, pa) if target else (pa,)
        return read(self.path, table.column(name), *self._number(name), *extra)

    def targets(self):
        import pyarrow as pa

        if self.target is None:
            return None
        with _rows_from(self.path, self.first):
            return self._column(self._table([self.target]), self.target, pa, target=True)


class _rows_from:
    """Renumber the rows of a :class:`~descend.datafiles.DataFileError` raised in the block,
    which counts from the first row read, to count from the file's first row."""

    def __init__(self, path, first: int):
        self.first = first

    def __enter__(self):
        return self

    def __exit__(self, kind, error, tb):
        from descend.datafiles import DataFileError

        if isinstance(error, DataFileError) and error.row is not None and self.first:
            raise DataFileError(
                error.path, error.problem, row=error.row + self.first, column=error.column,
                column_number=error.column_number,
            ) from None  # fmt: skip
        return False


@dataclass(frozen=True, eq=False)
class DaskRows:
    """One block of rows of Dask collections: ``value`` is a :class:`dask.delayed.Delayed`
    giving ``(X, y, w)``, computed where the chunk is loaded."""

    value: Any
    n_rows: int

    def load(self) -> Part:
        return _as_part(self.value.compute(scheduler="sync"))

    def targets(self):
        return self.load().y


def _as_part(raw) -> Part:
    """A block computed from Dask collections as a Part: a DataFrame's block as arrays."""
    X, y, w = raw
    if hasattr(X, "to_numpy"):
        X = X.to_numpy()
    if y is not None and hasattr(y, "to_numpy"):
        y = _labels(y)
    if w is not None and hasattr(w, "to_numpy"):
        w = w.to_numpy()
    return Part(X, y, w)


def _labels(series):
    """A pandas Series's values as an array; a categorical one by its labels."""
    if str(series.dtype) == "category":
        return np.asarray(series.astype(series.cat.categories.dtype))
    return series.to_numpy()


# -------------------------------------------------------------------------------- chunks


@dataclass(eq=False)
class Chunks:
    """The chunks of a data set, in order.

    Attributes
    ----------
    sources : list
        One source per chunk, each with ``load() -> Part``, ``targets()`` and ``n_rows``.
    n_features : int
        Columns of X.
    dtype : numpy.dtype
        X's dtype in the fit: float32 when the data are float32, else float64.
    feature_names : list of str or None
        The columns' names, where the data have them.
    token : str
        What names the data cheaply (their files, sizes and times; for Dask collections,
        their chunks' sizes, columns and types and their first and last rows);
        :meth:`fingerprint` adds the arrays held in memory and the chunks' rows.
    description : str
        Where the rows come from, for messages and progress.
    """

    sources: list
    n_features: int
    dtype: np.dtype = field(default_factory=lambda: np.dtype(np.float64))
    feature_names: list | None = None
    token: str = ""
    description: str = ""
    has_targets: bool = True
    has_weights: bool = False
    #: The targets as a Dask collection, where they are one (for :meth:`labels`).
    target_collection: Any = None
    #: Arrays in memory that are part of the data (targets, weights; X itself for
    #: :func:`from_arrays`), for :meth:`fingerprint`.
    in_memory: tuple = ()

    def fingerprint(self) -> str:
        """A digest of the data and its chunking, what a checkpoint must match to be
        resumed: :attr:`token`, the rows of every chunk and the bytes of the arrays held in
        memory (hashed when asked, not before)."""
        digest = hashlib.sha256(f"{self.token}|{self.rows}|{self.n_features}".encode())
        for array in self.in_memory:
            for piece in _pieces(array):
                digest.update(piece)
        return digest.hexdigest()

    def labels(self) -> np.ndarray:
        """The distinct targets, sorted (a classifier's classes): from the Dask collection
        where there is one, else from each chunk's targets (its target column alone, for
        Parquet files)."""
        y = self.target_collection
        if y is not None:
            if hasattr(y, "unique"):
                found = y.unique().compute()
            else:
                import dask.array as da

                found = da.unique(y).compute()
            found = _labels(found) if hasattr(found, "to_numpy") else np.asarray(found)
            return np.unique(found)
        found = [np.unique(source.targets()) for source in self.sources]
        return np.unique(np.concatenate(found)) if found else np.array([])

    def class_counts(self, classes) -> np.ndarray:
        """The rows of each of ``classes`` (the sorted labels of :meth:`labels`): from the
        Dask collection where there is one, else from each chunk's targets."""
        classes = np.asarray(classes)
        y = self.target_collection
        if y is not None:
            if hasattr(y, "value_counts"):
                found = y.value_counts().compute()
                seen = dict(zip(found.index.tolist(), found.tolist(), strict=True))
            else:
                import dask
                import dask.array as da

                labels, counts = dask.compute(*da.unique(y, return_counts=True))
                seen = dict(zip(labels.tolist(), counts.tolist(), strict=True))
            return np.array([seen.get(c, 0) for c in classes.tolist()], dtype=np.int64)
        total = np.zeros(len(classes), dtype=np.int64)
        for source in self.sources:
            index = np.searchsorted(classes, np.asarray(source.targets()))
            total += np.bincount(index, minlength=len(classes))[: len(classes)]
        return total

    @property
    def rows(self) -> list[int]:
        return [source.n_rows for source in self.sources]

    @property
    def n_rows(self) -> int:
        return sum(self.rows)

    @property
    def offsets(self) -> list[int]:
        """The row (counted from 0) each chunk starts at."""
        return list(np.cumsum([0, *self.rows[:-1]]).tolist()) if self.sources else []

    def __len__(self) -> int:
        return len(self.sources)


def _pieces(array):
    """The bytes that say what ``array`` holds (None, dense, CSR or labels)."""
    if array is None:
        yield b"none"
        return
    if hasattr(array, "format"):
        for part in (array.data, array.indices, array.indptr):
            yield from _pieces(part)
        return
    array = np.asarray(array)
    yield f"{array.dtype.str}{array.shape}".encode()
    if array.dtype.kind == "O":
        yield "\x1f".join(map(repr, array.ravel().tolist())).encode()
    else:
        yield np.ascontiguousarray(array).view(np.uint8).reshape(-1).data


def _chunk_rows(rows: int | None, chunk_bytes: int | None, row_bytes: int, n: int) -> int:
    if rows is not None:
        if isinstance(rows, bool) or not isinstance(rows, int | np.integer) or rows < 1:
            raise ValueError(f"Invalid rows per chunk: {rows!r}; expected a whole number >= 1")
        return int(rows)
    size = CHUNK_BYTES if chunk_bytes is None else chunk_bytes
    if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1:
        raise ValueError(f"Invalid chunk_bytes: {size!r}; expected a whole number >= 1")
    return max(1, min(n, int(size) // max(1, row_bytes)))


def _dtype_of(X) -> np.dtype:
    return np.dtype(np.float32) if np.dtype(X.dtype) == np.float32 else np.dtype(np.float64)


def _check_lengths(n: int, y, w, what: str) -> None:
    for name, values in (("y", y), ("sample_weight", w)):
        if values is not None and len(values) != n:
            raise ValueError(
                f"Invalid {name}: {len(values)} values, but {what} has {n} rows"
            )  # fmt: skip


def from_arrays(X, y=None, sample_weight=None, *, rows: int | None = None,
                chunk_bytes: int | None = None) -> Chunks:  # fmt: skip
    """Arrays in memory split into chunks of ``rows`` rows (or of about ``chunk_bytes`` of
    X): a fit of these gives, bit for bit, what the same chunks give on a Dask cluster."""
    X = np.asarray(X) if not hasattr(X, "format") else X
    if X.ndim != 2:
        raise ValueError(f"Invalid X: {X.ndim}-d; expected a 2-d array")
    n = X.shape[0]
    _check_lengths(n, y, sample_weight, "X")
    y = None if y is None else np.asarray(y)
    w = None if sample_weight is None else np.asarray(sample_weight)
    itemsize = X.data.dtype.itemsize if hasattr(X, "format") else X.dtype.itemsize
    step = _chunk_rows(rows, chunk_bytes, X.shape[1] * itemsize, n)
    sources = [ArrayRows(X, y, w, a, min(n, a + step)) for a in range(0, n, step)]
    return Chunks(
        sources, X.shape[1], _dtype_of(X.data if hasattr(X, "format") else X),
        token="arrays", description=f"{n} rows in memory", has_targets=y is not None,
        has_weights=w is not None, in_memory=(X, y, w),
    )  # fmt: skip


def _file_of(X) -> tuple[str, int] | None:
    """The file and byte offset of a memory-mapped array's first element, or None."""
    root = X
    while isinstance(root, np.memmap) and not isinstance(root.base, mmap.mmap):
        if not isinstance(root.base, np.ndarray):
            return None
        root = root.base
    if not isinstance(root, np.memmap) or root.filename is None:
        return None
    return root.filename, int(root.offset) + (X.ctypes.data - root.ctypes.data)


def from_npy(X, y=None, sample_weight=None, *, rows: int | None = None,
             chunk_bytes: int | None = None) -> Chunks:  # fmt: skip
    """A ``.npy`` file (its path) or a C-ordered :class:`numpy.memmap`, read a chunk of rows
    at a time from the file; the targets and weights are arrays (or ``.npy`` paths)."""
    if isinstance(X, str | os.PathLike):
        path = Path(X)
        try:
            X = np.load(path, mmap_mode="r")
        except (OSError, ValueError) as error:
            raise ValueError(f"{path}: cannot be read as a .npy file: {error}") from None
    if X.ndim != 2:
        raise ValueError(f"Invalid X: a {X.ndim}-d array in a file; expected 2-d")
    if X.dtype.kind not in "fiub":
        raise ValueError(f"Invalid X: the file holds {X.dtype} values; expected numbers")
    where = _file_of(X) if X.flags.c_contiguous else None
    y, w = (_in_memory(v) for v in (y, sample_weight))
    n = X.shape[0]
    _check_lengths(n, y, w, "X")
    step = _chunk_rows(rows, chunk_bytes, X.shape[1] * X.dtype.itemsize, n)
    if where is None:  # a view the file cannot give by offset: rows of the mapping itself
        sources = [ArrayRows(X, y, w, a, min(n, a + step)) for a in range(0, n, step)]
        path = getattr(X, "filename", None) or "memmap"
    else:
        path, offset = where
        sources = [
            FileRows(str(path), offset, X.dtype.str, X.shape[1], a, min(n, a + step), y, w)
            for a in range(0, n, step)
        ]  # fmt: skip
    stat = os.stat(path) if os.path.exists(str(path)) else None
    stamp = f"{stat.st_size}:{stat.st_mtime_ns}" if stat else "in memory"
    token = f"npy:{path}:{stamp}:{where[1] if where else 'view'}:{X.shape}:{X.dtype.str}"
    return Chunks(
        sources, X.shape[1], _dtype_of(X), token=token,
        # rows the file cannot give by offset are hashed themselves
        in_memory=(y, w) if where is not None else (X, y, w),
        description=f"{n} rows of {path}", has_targets=y is not None, has_weights=w is not None,
    )  # fmt: skip


def _in_memory(values):
    if values is None:
        return None
    if isinstance(values, str | os.PathLike):
        return np.load(values)
    return np.asarray(values)


def _parquet_paths(spec) -> list[str]:
    if isinstance(spec, str | os.PathLike):
        spec = [spec]
    paths: list[str] = []
    for item in spec:
        text = str(item)
        found = sorted(_glob.glob(text)) if _glob.has_magic(text) else [text]
        if not found:
            raise FileNotFoundError(f"{text}: no file matches this pattern")
        paths.extend(found)
    if not paths:
        raise ValueError("no Parquet files given")
    return paths


def from_parquet(files, target: str | None, sample_weight: str | None = None, *,
                 chunk_bytes: int | None = None) -> Chunks:  # fmt: skip
    """Parquet files (a path, a glob or a list): every column but ``target`` and
    ``sample_weight`` is a feature; each chunk is a run of one file's row groups, about
    ``chunk_bytes`` of X at most (one row group is never split). The files must share their
    columns."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError("reading Parquet files needs pyarrow: pip install pyarrow") from None
    from descend import datafiles

    paths = _parquet_paths(files)
    size = CHUNK_BYTES if chunk_bytes is None else chunk_bytes
    if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1:
        raise ValueError(f"Invalid chunk_bytes: {size!r}; expected a whole number >= 1")
    sources, features, stamps = [], None, []
    for path in paths:
        try:
            with open(path, "rb") as fh:
                meta = pq.ParquetFile(fh).metadata
                names = [str(c) for c in pq.ParquetFile(fh).schema_arrow.names]
        except OSError as error:
            raise datafiles.DataFileError(path, f"cannot be read: {error}") from None
        except Exception as error:  # pyarrow's own errors for a file that is not Parquet
            raise datafiles.DataFileError(path, f"is not a valid Parquet file: {error}") from None
        datafiles._check_names(path, names)
        for name in (target, sample_weight):
            if name is not None and name not in names:
                raise datafiles.DataFileError(
                    path, f"has no column {name!r}; its columns are {names}"
                )  # fmt: skip
        these = [c for c in names if c not in (target, sample_weight)]
        if features is None:
            features = these
            if not features:
                raise datafiles.DataFileError(path, "has no feature columns")
        elif these != features:
            raise datafiles.DataFileError(
                path, f"has the feature columns {these}, but {paths[0]} has {features}"
            )  # fmt: skip
        stat = os.stat(path)
        stamps.append(f"{path}:{stat.st_size}:{stat.st_mtime_ns}")
        row_bytes = 8 * len(features)
        groups, first, run_rows = [], 0, 0
        for g in range(meta.num_row_groups):
            rows = meta.row_group(g).num_rows
            if groups and (run_rows + rows) * row_bytes > size:
                sources.append(ParquetRows(path, tuple(groups), tuple(features), target,
                                           sample_weight, first, run_rows,
                                           tuple(names)))  # fmt: skip
                first, groups, run_rows = first + run_rows, [], 0
            groups.append(g)
            run_rows += rows
        if run_rows:
            sources.append(ParquetRows(path, tuple(groups), tuple(features), target,
                                       sample_weight, first, run_rows, tuple(names)))  # fmt: skip
    if not sources:
        raise ValueError(f"the Parquet files {paths} hold no rows")
    n = sum(s.n_rows for s in sources)
    return Chunks(
        sources, len(features), np.dtype(np.float64), feature_names=list(features),
        token=f"parquet:{target}:{sample_weight}:" + ";".join(stamps),
        description=f"{n} rows in {len(paths)} Parquet file{'s' * (len(paths) > 1)}",
        has_targets=target is not None, has_weights=sample_weight is not None,
    )  # fmt: skip


def is_dask(value) -> bool:
    """Whether ``value`` is a Dask collection (without importing Dask when it is not)."""
    return type(value).__module__.split(".")[0] in ("dask", "dask_expr") and hasattr(
        value, "__dask_graph__"
    )  # fmt: skip


def from_dask(X, y=None, sample_weight=None) -> Chunks:
    """A Dask array or DataFrame (and its targets and weights: Dask arrays or Series split
    like it, or arrays in memory): one chunk per block of rows or partition. Unknown sizes
    are worked out (one pass over the collection), empty partitions left out."""
    import dask

    frame = hasattr(X, "npartitions") and hasattr(X, "columns")
    names = [str(c) for c in X.columns] if frame else None
    if frame:
        n_features = len(X.columns)
        dtypes = {np.dtype(t) for t in X.dtypes if hasattr(t, "kind")}
        blocks = X.to_delayed()
        lengths = X.map_partitions(len).compute()
        bad = [
            c
            for c, t in zip(names, X.dtypes, strict=True)
            if getattr(t, "kind", "O") not in "fiub"
        ]
        if bad:
            raise ValueError(
                f"Invalid X: column {bad[0]!r} holds {X.dtypes[bad[0]]} values; feature "
                "columns must hold numbers"
            )  # fmt: skip
    else:
        if X.ndim != 2:
            raise ValueError(f"Invalid X: a {X.ndim}-d Dask array; expected 2-d")
        if any(np.isnan(c) for c in X.chunks[0]):
            X = X.compute_chunk_sizes()
        if len(X.chunks[1]) > 1:
            X = X.rechunk({1: -1})  # each block of rows needs all the columns
        n_features = X.shape[1]
        dtypes = {np.dtype(X.dtype)}
        blocks = X.to_delayed()[:, 0].tolist()
        lengths = list(X.chunks[0])
    lengths = [int(v) for v in lengths]
    n = sum(lengths)
    ys = _aligned(y, lengths, "y")
    ws = _aligned(sample_weight, lengths, "sample_weight")
    sources = [
        DaskRows(dask.delayed(tuple)([b, yb, wb]), rows)
        for b, yb, wb, rows in zip(blocks, ys, ws, lengths, strict=True)
        if rows > 0
    ]
    dtype = np.dtype(np.float32) if dtypes == {np.dtype(np.float32)} else np.dtype(np.float64)
    kind = "DataFrame" if frame else "array"
    return Chunks(
        sources, n_features, dtype, feature_names=names,
        token=_dask_token(sources, n_features, names, dtypes, lengths),
        description=f"{n} rows in a Dask {kind} of {len(lengths)} chunks",
        has_targets=y is not None, has_weights=sample_weight is not None,
        target_collection=y if is_dask(y) else None,
    )  # fmt: skip


def _dask_token(sources, n_features, names, dtypes, lengths) -> str:
    """A fingerprint of Dask collections that another process gives too: their chunks'
    sizes, the columns and their types, and the first rows of the first chunk and the last
    of the last (X, y and the weights), computed. Dask's own name of a collection will not
    do: ``read_parquet``'s, for one, differs from process to process, so that a fit could
    never resume from its checkpoint after a restart. Like the digest of arrays in memory
    (:mod:`descend.checkpoint`), it tells other data or another preprocessing from the data
    of a checkpoint, not a value changed in between."""
    import dask
    from dask.base import tokenize

    ends = ()
    if sources:
        head = dask.delayed(_rows_at)(sources[0].value, slice(0, _END_ROWS))
        tail = dask.delayed(_rows_at)(sources[-1].value, slice(-_END_ROWS, None))
        try:  # in this process: two blocks, no round trip to a cluster
            ends = dask.compute(head, tail, scheduler="sync")
        except Exception:  # blocks held by a cluster (persisted): read them there
            ends = dask.compute(head, tail)
    kinds = sorted(str(t) for t in dtypes)
    return "dask:" + tokenize(n_features, names, kinds, lengths, ends)


#: Rows at each end of Dask collections that their fingerprint reads (see _dask_token).
_END_ROWS = 4


def _rows_at(raw, rows: slice) -> tuple:
    """The rows ``rows`` of a block computed from Dask collections, as arrays."""
    return tuple(
        None if v is None else v[rows].toarray() if hasattr(v, "toarray") else np.asarray(v[rows])
        for v in _as_part(raw)
    )  # fmt: skip


def _aligned(values, lengths: list[int], name: str) -> list:
    """``values`` split into blocks of ``lengths`` rows: a Dask collection's own blocks (its
    sizes must match), or slices of an array in memory."""
    if values is None:
        return [None] * len(lengths)
    n = sum(lengths)
    if is_dask(values):
        if hasattr(values, "npartitions") and not hasattr(values, "chunks"):
            sizes = [int(v) for v in values.map_partitions(len).compute()]
            blocks = values.to_delayed()
        else:
            if any(np.isnan(c) for c in values.chunks[0]):
                values = values.compute_chunk_sizes()
            sizes = list(values.chunks[0])
            blocks = values.to_delayed().ravel().tolist()
        if sizes != lengths:
            raise ValueError(
                f"Invalid {name}: its blocks hold {sizes[:6]}{'...' * (len(sizes) > 6)} rows, "
                f"but X's hold {lengths[:6]}{'...' * (len(lengths) > 6)}; split both alike"
            )  # fmt: skip
        return blocks
    values = np.asarray(values)
    if len(values) != n:
        raise ValueError(f"Invalid {name}: {len(values)} values, but X has {n} rows")
    bounds = np.cumsum([0, *lengths])
    return [values[a:b] for a, b in itertools.pairwise(bounds)]


def as_chunks(X, y=None, sample_weight=None, *, chunk_bytes: int | None = None):
    """``X`` (with its targets and weights) as :class:`Chunks` when it is data that a fit
    reads a chunk at a time; None for arrays in memory, which fit as they are.

    - a :class:`Chunks`: itself;
    - a Dask array or DataFrame: :func:`from_dask`;
    - a :class:`numpy.memmap` or a ``.npy`` path: :func:`from_npy`;
    - a ``.parquet`` path, glob or list of them: :func:`from_parquet`, with ``y`` (and
      ``sample_weight``, if given) the names of columns.
    """
    if isinstance(X, Chunks):
        return X
    if is_dask(X):
        return from_dask(X, y, sample_weight)
    if isinstance(X, np.memmap):
        return from_npy(X, y, sample_weight, chunk_bytes=chunk_bytes)
    files = [X] if isinstance(X, str | os.PathLike) else X
    if (
        isinstance(files, list | tuple)
        and files
        and all(isinstance(f, str | os.PathLike) for f in files)
    ):
        suffixes = {Path(str(f)).suffix.lower() for f in files}
        if suffixes == {".parquet"}:
            for name, value in (("y", y), ("sample_weight", sample_weight)):
                if value is not None and not isinstance(value, str):
                    raise ValueError(
                        f"Invalid {name}: with Parquet files, {name} is the name of a column, "
                        f"not {type(value).__name__}"
                    )  # fmt: skip
            return from_parquet(files, y, sample_weight, chunk_bytes=chunk_bytes)
        if suffixes == {".npy"} and len(files) == 1:
            return from_npy(files[0], y, sample_weight, chunk_bytes=chunk_bytes)
        raise ValueError(
            f"Invalid X: {X!r}; a path must name a .npy file or Parquet files (.parquet)"
        )  # fmt: skip
    return None


# ------------------------------------------------------------------------------ preparing


@dataclass(frozen=True)
class Prep:
    """How :func:`prepare` turns a chunk's raw rows into what the kernels read."""

    dtype: str = "float64"
    classes: Any = None  # sorted class labels of a classifier, else None (regression)
    binary: bool = False  # two classes: one output, targets 0.0 / 1.0
    class_weight: Any = None  # the weight of each class (by index) from class_weight, or None
    raw: bool = False  # hand the rows on as they are (for a user's objective)
    #: The share of each chunk's rows held out for validation (early stopping), and the
    #: seed that picks them: see :func:`hold_out`.
    held_out: float = 0.0
    seed: int = 0


class Held(NamedTuple):
    """A chunk's rows split for early stopping: the training rows and the held-out ones."""

    train: Part
    held: Part


def hold_out(part: Part, prep: Prep, first_row: int) -> Held:
    """Split a prepared chunk into training and held-out rows: a share ``prep.held_out`` of
    its rows (of each class's rows, for a classifier), rounded, picked by a generator seeded
    with ``prep.seed`` and the chunk's first row, so that the same chunk is split alike
    wherever it is loaded. The rows keep their order within each side."""
    X, y, w = part
    n = X.shape[0]
    rng = np.random.default_rng([prep.seed, first_row])
    order = rng.permutation(n)
    held = np.zeros(n, bool)
    groups = [order[y[order] == c] for c in np.unique(y)] if prep.classes is not None else [order]
    for rows in groups:
        held[rows[: math.floor(prep.held_out * len(rows) + 0.5)]] = True

    def side(mask):
        index = np.flatnonzero(mask)
        return Part(X[index], None if y is None else y[index], None if w is None else w[index])

    return Held(side(~held), side(held))


def _first_bad(values) -> int:
    return int(np.flatnonzero(~np.isfinite(values))[0])


def prepare(part: Part, prep: Prep, first_row: int = 0) -> Part | Held:
    """Check a chunk's rows and put them as the kernels read them: X C-ordered in the fit's
    dtype, class labels as indices (float 0/1 for two classes), weights float64 (times the
    class weights, if any); with ``prep.held_out``, split by :func:`hold_out`.
    ``first_row`` (the chunk's first row in the whole data) numbers the rows of a message."""
    if prep.raw:
        return Part(*(None if a is None else np.asarray(a) for a in part))
    X, y, w = part
    X = np.asarray(X) if not hasattr(X, "format") else X
    if hasattr(X, "format"):
        X = X.tocsr().astype(prep.dtype)
    else:
        if X.dtype.kind not in "fiub":
            raise ValueError(
                f"Invalid X: rows from {first_row} hold {X.dtype} values, not numbers"
            )
        X = np.ascontiguousarray(X, dtype=prep.dtype)
    n = X.shape[0]
    if y is not None:
        y = np.asarray(y)
        if len(y) != n:
            raise ValueError(f"Invalid y: {len(y)} targets for the {n} rows from row {first_row}")
        if prep.classes is None:
            try:
                y = np.ascontiguousarray(y, dtype=np.float64)
            except (TypeError, ValueError):
                i = _first_not_number(y)
                value = y[i].item() if isinstance(y[i], np.generic) else y[i]
                raise ValueError(
                    f"Invalid y: the target at row {first_row + i} is {value!r}; a regressor "
                    "needs numbers"
                ) from None
            if not np.all(np.isfinite(y)):
                i = _first_bad(y)
                raise ValueError(
                    f"Invalid y: row {first_row + i} is {y[i]}; targets must be finite"
                )
        else:
            y = _class_index(y, prep, first_row)
    if w is not None:
        w = np.ascontiguousarray(w, dtype=np.float64)
        if len(w) != n:
            raise ValueError(
                f"Invalid sample_weight: {len(w)} values for the {n} rows from row {first_row}"
            )  # fmt: skip
        bad = ~np.isfinite(w) | (w < 0)
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"Invalid sample_weight: row {first_row + i} is {float(w[i])!r}; must be "
                "finite and >= 0"
            )  # fmt: skip
    if prep.class_weight is not None and y is not None:  # each row's class's weight too
        cw = np.asarray(prep.class_weight, dtype=np.float64)[y.astype(np.intp)]
        w = cw if w is None else w * cw
    if prep.held_out:
        return hold_out(Part(X, y, w), prep, first_row)
    return Part(X, y, w)


def _first_not_number(values) -> int:
    """The index of the first of ``values`` that is not a number (0 if all are)."""
    for i, value in enumerate(values):
        try:
            float(value)
        except (TypeError, ValueError):
            return i
    return 0


def _class_index(y, prep: Prep, first_row: int):
    classes = np.asarray(prep.classes)
    index = np.clip(np.searchsorted(classes, y), 0, len(classes) - 1)
    unknown = classes[index] != y
    if np.any(unknown):
        i = int(np.flatnonzero(unknown)[0])
        raise ValueError(
            f"y has a class not in classes: {y[i]!r} (row {first_row + i}); classes are "
            f"{classes.tolist()!r}"
        )  # fmt: skip
    return index.astype(np.float64) if prep.binary else index.astype(np.int64)


def first_nonfinite(X) -> tuple[int, int] | None:
    """The (row, column) of X's first entry that is not finite, or None."""
    values = X.data if hasattr(X, "format") else X
    bad = ~np.isfinite(values)
    if not bad.any():
        return None
    if hasattr(X, "format"):
        k = int(np.flatnonzero(bad)[0])
        row = int(np.searchsorted(X.indptr, k, side="right") - 1)
        return row, int(X.indices[k])
    i, j = np.argwhere(bad)[0]
    return int(i), int(j)
