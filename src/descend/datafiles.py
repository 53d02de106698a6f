"""Reading training and prediction data from files, and writing result tables.

This is what ``descend train`` and ``descend predict`` stand on. A data file is read into a
:class:`Table` of features ``X`` and, where there is one, a target ``y``. Anything wrong with
the file raises a :class:`DataFileError` whose message names the file and, where it can, the
row and column of the problem, so that the user can open the file and fix it.

Formats, chosen by the file's suffix (upper or lower case):

============= ===========================================================================
``.csv``      comma-separated text with a header row of column names (UTF-8, a BOM is
              fine, quoted cells too)
``.tsv``      the same, separated by tabs
``.npy``      one 2-D numeric array; the target is its last column
``.npz``      arrays ``X`` (2-D) and ``y`` (1-D)
``.parquet``  a table of named columns; needs pyarrow (``pip install pyarrow``)
============= ===========================================================================

Rows in messages are counted from 1 as a spreadsheet shows them. In a text file the header
is row 1 and blank lines count too, so the number is the line an editor shows (unless a
quoted cell spans lines). Arrays and Parquet tables have no header row: their first row of
data is row 1. Columns are named by their header name and their 1-based number; the columns
of an array are called ``x1``, ``x2``, ... and its target ``y``.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> from descend import datafiles
>>> tmp = tempfile.TemporaryDirectory(); folder = Path(tmp.name)
>>> _ = (folder / "houses.csv").write_text("rooms,age,price\\n3,10,250\\n4,5,320\\n")
>>> table = datafiles.read(folder / "houses.csv")
>>> table.X, table.y, table.feature_names, table.target_name
(array([[ 3., 10.],
       [ 4.,  5.]]), array([250., 320.]), ['rooms', 'age'], 'price')
>>> _ = (folder / "broken.csv").write_text("rooms,price\\n3,250\\nthree,320\\n")
>>> datafiles.read(folder / "broken.csv")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
descend.datafiles.DataFileError: .../broken.csv: row 3, column 'rooms' (1) is not a number: 'three'
>>> tmp.cleanup()
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import os
import secrets
import stat
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

__all__ = [
    "HEADED",
    "LAST",
    "SUPPORTED",
    "DataFileError",
    "Table",
    "atomic_write",
    "read",
    "write_csv",
]

#: The default ``target``: the last column of a table, the array ``y`` of a ``.npz``.
LAST = "__last__"

#: The suffixes :func:`read` understands.
SUPPORTED = (".csv", ".tsv", ".npy", ".npz", ".parquet")
#: The formats whose columns carry names of their own (an array's are made up).
HEADED = (".csv", ".tsv", ".parquet")

# Array dtype kinds read as numbers: booleans, integers, unsigned integers, floats.
_NUMERIC_KINDS = "biuf"


class DataFileError(ValueError):
    """A data file that cannot be used, and why.

    The message names the file and, where they are known, the row and the column.

    Attributes
    ----------
    path : pathlib.Path
        The file.
    row : int or None
        The 1-based row of the problem (see the module notes for how rows are counted).
    column : str or None
        The column's name.
    column_number : int or None
        The column's 1-based number.
    """

    def __init__(
        self,
        path,
        problem: str,
        *,
        row: int | None = None,
        column: str | None = None,
        column_number: int | None = None,
    ):
        self.path = Path(path)
        self.row = row
        self.column = column
        self.column_number = column_number
        self.problem = problem
        # "data.csv: row 5, column 'age' (2) is empty" or "data.csv is empty": each
        # problem is said as what the place (or the file) is or has
        where = _where(row, column, column_number)
        super().__init__(f"{path}: {where} {problem}" if where else f"{path} {problem}")


def _where(row, column, column_number) -> str:
    """The place of a problem, as "row 5, column 'age' (2)"; empty for the whole file."""
    parts = []
    if row is not None:
        parts.append(f"row {row}")
    if column is not None:
        parts.append(f"column {column!r}" + (f" ({column_number})" if column_number else ""))
    elif column_number is not None:
        parts.append(f"column {column_number}")
    return ", ".join(parts)


@dataclass(frozen=True, eq=False)
class Table:
    """Data read from a file.

    Attributes
    ----------
    X : ndarray of float64, shape (n, d)
        The features, all finite.
    y : ndarray of shape (n,) or None
        The target: float64 when every value is a number, else the class labels as strings.
        None when the data have no target.
    feature_names : list of str
        One name per column of ``X``.
    target_name : str or None
        The target's name, None without a target.
    path : pathlib.Path
        The file the data came from.
    """

    X: np.ndarray
    y: np.ndarray | None
    feature_names: list[str]
    target_name: str | None
    path: Path

    @property
    def n_rows(self) -> int:
        """The number of rows (samples)."""
        return self.X.shape[0]


# ------------------------------------------------------------------------------- reading


def read(
    path, target: str | None = LAST, *, need_target: bool = True, numeric_target: bool = False
) -> Table:
    """Read features and target from a data file.

    Parameters
    ----------
    path : str or path-like
        A ``.csv``, ``.tsv``, ``.npy``, ``.npz`` or ``.parquet`` file.
    target : str or None
        Which column is the target: :data:`LAST` (the default) for the last column (the
        array ``y`` of a ``.npz``), a column's name (an array's name in a ``.npz``), or None
        for no target at all.
    need_target : bool
        Whether a target must be there, as for training. With False (as for predicting) a
        target named in ``target`` is taken when the file has it and otherwise not looked
        for, ``y`` of a ``.npz`` is taken when present, and the other formats give every
        column as a feature.
    numeric_target : bool
        Require a numeric target (regression): a target cell that is not a number is then
        an error naming it, rather than making the target a column of class labels.

    Returns
    -------
    Table

    Raises
    ------
    DataFileError
        The file is missing, of an unknown kind, or holds something unusable. The message
        says where.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> tmp = tempfile.TemporaryDirectory(); path = Path(tmp.name) / "mail.tsv"
    >>> _ = path.write_text("links\\tspam\\n3\\tyes\\n0\\tno\\n")
    >>> table = read(path, target="spam")
    >>> table.X.ravel(), table.y
    (array([3., 0.]), array(['yes', 'no'], dtype='<U3'))
    >>> new = path.with_name("new.tsv")
    >>> _ = new.write_text("links\\n5\\n")
    >>> read(new, target="spam", need_target=False)  # doctest: +ELLIPSIS
    Table(X=array([[5.]]), y=None, feature_names=['links'], target_name=None, path=...)
    >>> tmp.cleanup()
    """
    path = Path(path)
    if target is not None and not isinstance(target, str):
        raise TypeError(f"target must be a column name, LAST or None; got {target!r}")
    suffix = path.suffix.lower()
    if suffix not in _READERS:
        what = (
            f"the suffix {path.suffix!r}, which is not a format descend reads"
            if path.suffix
            else "no suffix to tell its format"
        )
        raise DataFileError(path, f"has {what}; use one of {', '.join(SUPPORTED)}")
    _check_readable(path)
    return _READERS[suffix](path, target, need_target, numeric_target)


def _check_readable(path: Path) -> None:
    """Fail early, naming the path, on a file that is not there or not a file."""
    if path.is_dir():
        raise DataFileError(path, "is a folder, not a data file")
    if not path.exists():
        raise DataFileError(path, "does not exist")
    if not os.access(path, os.R_OK):
        raise DataFileError(path, "cannot be read (permission denied)")


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:  # a race with _check_readable, or a device error
        raise DataFileError(path, f"cannot be read: {err.strerror or err}") from None


# ---------------------------------------------------------------------- CSV and TSV


def _read_csv(path, target, need_target, numeric_target) -> Table:
    return _read_delimited(path, ",", target, need_target, numeric_target)


def _read_tsv(path, target, need_target, numeric_target) -> Table:
    return _read_delimited(path, "\t", target, need_target, numeric_target)


def _read_delimited(path, delimiter, target, need_target, numeric_target) -> Table:
    names, numbers, cells = _records(path, delimiter)
    target_at = _target_column(path, names, target, need_target)
    feature_at = [j for j in range(len(names)) if j != target_at]
    if not feature_at:
        raise DataFileError(path, _no_features_message(names, delimiter))
    X = _numeric_columns(path, cells, numbers, names, feature_at)
    y = None
    if target_at is not None:
        y = _target_values(path, cells[:, target_at], numbers, names, target_at, numeric_target)
    return Table(
        X=X,
        y=y,
        feature_names=[names[j] for j in feature_at],
        target_name=None if target_at is None else names[target_at],
        path=path,
    )


def _records(path: Path, delimiter: str) -> tuple[list[str], list[int], np.ndarray]:
    """The header names, the row number of each data row, and the cells as a string matrix.

    Rows whose cells are all blank are left out (an editor's trailing newlines, a
    spreadsheet's empty rows ``,,,``) but still counted, so later rows keep their numbers.
    """
    text = _decode(path, _read_bytes(path))
    # skipinitialspace: a quoted cell after ", " is still read as quoted
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)
    header, numbers, rows = None, [], []
    number = 0  # the row being read, counted as the module notes say
    try:
        for number, cells in enumerate(reader, start=1):
            if all(not cell.strip() for cell in cells):
                continue
            if header is None:
                header = _header(path, cells, number)
            elif len(cells) != len(header):
                raise DataFileError(path, _ragged_message(cells, header, delimiter), row=number)
            else:
                numbers.append(number)
                rows.append(cells)
    except csv.Error as err:
        raise DataFileError(
            path, f"cannot be read as {_kind(delimiter)}: {err}", row=number + 1
        ) from None
    if header is None:
        raise DataFileError(path, "is empty; it needs a header row of column names")
    if not rows:
        raise DataFileError(path, "has a header row but no data rows")
    # object cells: no copy of the text, and astype(float) parses them as float() does
    return header, numbers, np.array(rows, dtype=object)


def _kind(delimiter: str) -> str:
    return "comma-separated text" if delimiter == "," else "tab-separated text"


def _decode(path: Path, raw: bytes) -> str:
    """The file's text; a byte that is not UTF-8 is reported with its line."""
    try:
        return raw.decode("utf-8-sig")  # a spreadsheet's byte-order mark is dropped
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise DataFileError(
            path,
            f"is not UTF-8 text (byte 0x{raw[err.start]:02x}); save the file with UTF-8 encoding",
            row=line,
        ) from None


def _header(path: Path, cells: list[str], row: int) -> list[str]:
    """The column names, stripped; each must be there and different from the others."""
    names = [cell.strip() for cell in cells]
    seen: dict[str, int] = {}
    for number, name in enumerate(names, start=1):
        if not name:
            raise DataFileError(
                path,
                "has no name; every column needs one",
                row=row,
                column_number=number,
            )
        if name in seen:
            raise DataFileError(
                path,
                f"repeats the name of column {seen[name]}; column names must differ",
                row=row,
                column=name,
                column_number=number,
            )
        seen[name] = number
    return names


def _ragged_message(cells: list[str], header: list[str], delimiter: str) -> str:
    message = f"has {len(cells)} cells, the header has {len(header)}"
    extra = cells[len(header) :]
    if extra and all(not cell.strip() for cell in extra):
        # the usual cause: a separator left at the end of the line
        message += f" (the row ends with an extra {delimiter!r})"
    return message


def _no_features_message(names: list[str], delimiter: str) -> str:
    message = (
        f"has only the column {names[0]!r}; it needs at least one feature column besides "
        "the target"
    )
    # a whole line read as one name usually means another separator was used
    for other in {",", ";", "\t", "|"} - {delimiter}:
        if other in names[0]:
            message += (
                f". The header seems separated by {other!r}: .csv files must use ',' and "
                ".tsv files tabs"
            )
            break
    return message


def _target_column(path, names: list[str], target, need_target) -> int | None:
    """The index of the target column, or None when the features are all the columns."""
    if target is None:
        return None
    if target == LAST:
        return len(names) - 1 if need_target else None
    if target in names:
        return names.index(target)
    if not need_target:
        return None  # predicting: a file without the target column is what is expected
    listed = ", ".join(repr(name) for name in names)
    raise DataFileError(path, f"has no column {target!r}; its columns are {listed}")


def _numeric_columns(path, cells, numbers, names, columns) -> np.ndarray:
    """The chosen columns as finite float64, or an error at the first cell that is not."""
    block = cells[:, columns]
    try:
        # the whole block at once: fast on good data; C order, as the estimators prefer
        values = np.ascontiguousarray(block.astype(np.float64))
    except ValueError:
        values = None
    if values is None or not np.all(np.isfinite(values)):
        _raise_first_bad_cell(path, block, numbers, [names[j] for j in columns], columns)
    return values


def _raise_first_bad_cell(path, block, numbers, names, columns) -> None:
    """Find the first cell, in reading order, that is empty, not a number or not finite,
    and raise a DataFileError naming it."""
    for i, row in enumerate(block):
        for j, cell in enumerate(row):
            problem = _cell_problem(cell)
            if problem is not None:
                raise DataFileError(
                    path, problem, row=numbers[i], column=names[j], column_number=columns[j] + 1
                )
    raise AssertionError("no bad cell found")  # pragma: no cover - callers saw one


def _cell_problem(cell: str) -> str | None:
    """What is wrong with a cell that should hold a number, or None."""
    text = cell.strip()
    if not text:
        return "is empty"
    try:
        value = float(text)
    except ValueError:
        return f"is not a number: {text!r}"
    if not math.isfinite(value):
        return f"is not a finite number: {text}"
    return None


def _target_values(path, column, numbers, names, at, numeric_target) -> np.ndarray:
    """The target: finite float64 when every cell is a number, else class labels."""
    label = dict(column=names[at], column_number=at + 1)
    labels = [cell.strip() for cell in column]
    if not all(labels):
        row = numbers[labels.index("")]
        raise DataFileError(path, "is empty; every row needs a target", row=row, **label)
    try:
        values = column.astype(np.float64)
    except ValueError:
        if numeric_target:
            _raise_first_bad_cell(path, column[:, None], numbers, [names[at]], [at])
        return np.array(labels, dtype=str)  # class labels such as "spam" and "ham"
    if not np.all(np.isfinite(values)):
        _raise_first_bad_cell(path, column[:, None], numbers, [names[at]], [at])
    return values


# -------------------------------------------------------------------------- arrays


def _load_array_file(path: Path):
    """``np.load`` without pickle, with its failures said in the user's terms."""
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as err:
        if "allow_pickle" in str(err):
            raise DataFileError(path, f"holds {_PICKLE_REFUSED}") from None
        raise DataFileError(path, f"is not a valid {path.suffix} file: {err}") from None
    except (OSError, EOFError) as err:
        raise DataFileError(path, f"is not a valid {path.suffix} file: {err}") from None


# Loading an object array would unpickle it, and unpickling can run any code.
_PICKLE_REFUSED = (
    "Python objects (an object array), which descend refuses to load because loading them "
    "could run code; save the data as a numeric array"
)


def _read_npy(path, target, need_target, numeric_target) -> Table:
    data = _load_array_file(path)
    if target not in (LAST, None):
        raise DataFileError(
            path,
            f"is an array without column names, so target={target!r} cannot be found; its "
            "target is its last column",
        )
    if data.ndim != 2:
        raise DataFileError(
            path,
            f"holds a {data.ndim}-D array of shape {data.shape}; expected a 2-D array, one "
            "row per sample" + (" with the target in the last column" if need_target else ""),
        )
    _check_kind(path, data, "")
    if data.shape[0] == 0:
        raise DataFileError(path, "holds an array with no rows")
    with_target = need_target and target is not None
    if with_target and data.shape[1] < 2:
        raise DataFileError(
            path, "holds a single column; it needs feature columns before the target column"
        )
    data = data.astype(np.float64)
    d = data.shape[1] - with_target
    names = [f"x{j}" for j in range(1, d + 1)] + ["y"] * with_target
    _check_finite(path, data, names)
    return Table(
        X=np.ascontiguousarray(data[:, :d]),
        y=data[:, d].copy() if with_target else None,
        feature_names=names[:d],
        target_name="y" if with_target else None,
        path=path,
    )


def _read_npz(path, target, need_target, numeric_target) -> Table:
    target_key = "y" if target == LAST else target
    with _load_array_file(path) as archive:
        keys = list(archive.files)
        if "X" not in keys:
            raise DataFileError(path, f"has no array named 'X'; its arrays are {keys}")
        X = _npz_array(path, archive, "X")
        y = None
        if target_key is not None and target_key in keys:
            y = _npz_array(path, archive, target_key)
        elif target_key is not None and need_target:
            raise DataFileError(path, f"has no array named {target_key!r}; its arrays are {keys}")
    if X.ndim != 2:
        raise DataFileError(
            path, f"has an array 'X' of shape {X.shape}; expected 2-D, one row per sample"
        )
    _check_kind(path, X, " in 'X'")
    if X.shape[0] == 0:
        raise DataFileError(path, "has an array 'X' with no rows")
    X = X.astype(np.float64)
    names = [f"x{j}" for j in range(1, X.shape[1] + 1)]
    _check_finite(path, X, names)
    if y is not None:
        y = _npz_target(path, y, target_key, X.shape[0], numeric_target)
    return Table(
        X=X,
        y=y,
        feature_names=names,
        target_name=None if y is None else target_key,
        path=path,
    )


def _npz_array(path, archive, key) -> np.ndarray:
    try:
        return archive[key]
    except ValueError as err:  # object arrays are refused only when they are read
        if "allow_pickle" in str(err):
            raise DataFileError(path, f"has an array {key!r} holding {_PICKLE_REFUSED}") from None
        raise DataFileError(path, f"has an array {key!r} that cannot be read: {err}") from None


def _npz_target(path, y, key, n, numeric_target) -> np.ndarray:
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]  # a column vector is a target too
    if y.ndim != 1:
        raise DataFileError(path, f"has an array {key!r} of shape {y.shape}; expected 1-D")
    if len(y) != n:
        raise DataFileError(
            path, f"has {len(y)} values in {key!r} but {n} rows in 'X'; they must match"
        )
    if y.dtype.kind in "US" and not numeric_target:
        return y.astype(str)  # class labels
    _check_kind(path, y, f" in {key!r}")
    y = y.astype(np.float64)
    _check_finite(path, y[:, None], [key], numbered=False)
    return y


def _check_kind(path, array, where: str) -> None:
    if array.dtype.kind not in _NUMERIC_KINDS:
        raise DataFileError(
            path, f"holds {array.dtype} values{where}; expected numbers (integers or floats)"
        )


def _check_finite(path, values: np.ndarray, names: list[str], *, numbered=True) -> None:
    """Raise at the first value, in reading order, that is NaN or infinite (rows counted
    from 1; ``numbered=False`` for a lone array, which has no column number)."""
    bad = ~np.isfinite(values)
    if np.any(bad):
        i, j = (int(k) for k in np.argwhere(bad)[0])
        raise DataFileError(
            path,
            f"is not a finite number: {values[i, j]}",
            row=i + 1,
            column=names[j],
            column_number=j + 1 if numbered else None,
        )


# ------------------------------------------------------------------------- Parquet


def _read_parquet(path, target, need_target, numeric_target) -> Table:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise DataFileError(
            path,
            "is a Parquet file, and reading one needs pyarrow, which is not installed: "
            "pip install pyarrow",
        ) from None
    try:
        # one file read whole: read_table's dataset layer refuses repeated column names,
        # which deserve the same message as in a CSV header
        with open(path, "rb") as fh:
            table = pq.ParquetFile(fh).read()
    except (OSError, pa.ArrowException) as err:
        raise DataFileError(path, f"is not a valid Parquet file: {err}") from None
    names = [str(name) for name in table.column_names]
    _check_names(path, names)
    if table.num_rows == 0:
        raise DataFileError(path, "has no rows")
    target_at = _target_column(path, names, target, need_target)
    feature_at = [j for j in range(len(names)) if j != target_at]
    if not feature_at:
        raise DataFileError(path, _no_features_message(names, ","))
    columns = [_parquet_column(path, table.column(j), names, j, pa) for j in feature_at]
    X = np.column_stack(columns)
    y = None
    if target_at is not None:
        y = _parquet_target(path, table.column(target_at), names, target_at, numeric_target, pa)
    return Table(
        X=X,
        y=y,
        feature_names=[names[j] for j in feature_at],
        target_name=None if target_at is None else names[target_at],
        path=path,
    )


def _check_names(path, names) -> None:
    """Parquet column names must be there and differ, as a header's must."""
    seen: dict[str, int] = {}
    for number, name in enumerate(names, start=1):
        if not name.strip():
            raise DataFileError(path, "has no name; every column needs one", column_number=number)
        if name in seen:
            raise DataFileError(
                path,
                f"repeats the name of column {seen[name]}; column names must differ",
                column=name,
                column_number=number,
            )
        seen[name] = number


def _parquet_nulls(path, column, names, j) -> None:
    if column.null_count:
        first = int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
        raise DataFileError(
            path, "is empty (null)", row=first + 1, column=names[j], column_number=j + 1
        )


def _parquet_is_numeric(column, pa) -> bool:
    kind = column.type
    return pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)


def _parquet_column(path, column, names, j, pa) -> np.ndarray:
    if not _parquet_is_numeric(column, pa):
        raise DataFileError(
            path,
            f"holds {column.type} values; feature columns must hold numbers",
            column=names[j],
            column_number=j + 1,
        )
    _parquet_nulls(path, column, names, j)
    values = column.to_numpy(zero_copy_only=False).astype(np.float64)
    bad = ~np.isfinite(values)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise DataFileError(
            path,
            f"is not a finite number: {values[i]}",
            row=i + 1,
            column=names[j],
            column_number=j + 1,
        )
    return values


def _parquet_target(path, column, names, j, numeric_target, pa) -> np.ndarray:
    if pa.types.is_dictionary(column.type):  # a pandas categorical: its labels
        column = column.cast(column.type.value_type)
    if _parquet_is_numeric(column, pa):
        return _parquet_column(path, column, names, j, pa)
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        if numeric_target:
            raise DataFileError(
                path,
                "holds text; the target must hold numbers",
                column=names[j],
                column_number=j + 1,
            )
        _parquet_nulls(path, column, names, j)
        return np.array(column.to_pylist(), dtype=str)
    raise DataFileError(
        path,
        f"holds {column.type} values; the target must hold numbers or text labels",
        column=names[j],
        column_number=j + 1,
    )


_READERS = {
    ".csv": _read_csv,
    ".tsv": _read_tsv,
    ".npy": _read_npy,
    ".npz": _read_npz,
    ".parquet": _read_parquet,
}


# ------------------------------------------------------------------------------- writing


@contextlib.contextmanager
def atomic_write(path, *, newline: str | None = None) -> Iterator[IO[str]]:
    """Open a text file for writing so that it appears whole or not at all.

    The text goes to a hidden file beside ``path``, which replaces ``path`` only once
    everything is written; if the block raises, the temporary file is removed and an
    existing ``path`` keeps its old content. The file is UTF-8; a replaced file keeps its
    permissions, a new one gets the usual ones (the umask applies).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> tmp = tempfile.TemporaryDirectory(); path = Path(tmp.name) / "notes.txt"
    >>> with atomic_write(path) as fh:
    ...     _ = fh.write("all or nothing\\n")
    >>> path.read_text()
    'all or nothing\\n'
    >>> tmp.cleanup()
    """
    path = Path(path)
    if path.is_symlink():
        path = Path(os.path.realpath(path))  # write through the link, keep the link
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; give a file name to write")
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {path}: the folder {folder} does not exist")
    temp = folder / f".{path.name}.{secrets.token_hex(4)}.tmp"
    # 0o666 lets the umask decide, as for any new file; O_EXCL never reuses a file
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())  # on disk before it takes the name
        if path.exists():
            os.chmod(temp, stat.S_IMODE(path.stat().st_mode))
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def write_csv(path, header: Sequence[str], columns: Sequence) -> Path | None:
    """Write columns of values as a CSV file with a header row, atomically.

    Parameters
    ----------
    path : str or path-like
        The file to write, replaced whole only once everything is written (see
        :func:`atomic_write`); ``"-"`` writes to standard output.
    header : sequence of str
        One name per column.
    columns : sequence of 1-D array-likes
        The columns, all of one length. Floats are written in full (they read back
        exactly), labels as they are.

    Returns
    -------
    pathlib.Path or None
        The file written; None for standard output.

    Examples
    --------
    >>> write_csv("-", ["row", "prediction"], [[1, 2], [0.5, 1 / 3]])
    row,prediction
    1,0.5
    2,0.3333333333333333
    >>> write_csv("predictions.csv", ["prediction"], [[0.5]])  # doctest: +SKIP
    PosixPath('predictions.csv')
    """
    rows = _rows(header, columns)
    if str(path) == "-":
        _write_rows(sys.stdout, rows)
        return None
    path = Path(path)
    with atomic_write(path, newline="") as fh:
        _write_rows(fh, rows)
    return path


def _rows(header: Sequence[str], columns: Sequence) -> list[list]:
    """Header and data rows, checked before anything is written."""
    header = [str(name) for name in header]
    lists = []
    for name, column in zip(header, columns, strict=False):
        values = np.asarray(column)
        if values.ndim != 1:
            raise ValueError(f"column {name!r} has shape {values.shape}; expected 1-D")
        lists.append(values.tolist())  # Python numbers: floats print in full
    if len(columns) != len(header):
        raise ValueError(f"{len(header)} names in the header but {len(columns)} columns")
    lengths = {len(values) for values in lists}
    if len(lengths) > 1:
        raise ValueError(f"the columns have different lengths: {sorted(lengths)}")
    return [header, *map(list, zip(*lists, strict=True))]


def _write_rows(fh, rows) -> None:
    writer = csv.writer(fh, lineterminator="\n")
    writer.writerows(rows)
