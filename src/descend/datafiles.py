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
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

__all__ = [
    "HEADED",
    "LAST",
    "MAX_ARRAY_BYTES",
    "SUPPORTED",
    "DataFileError",
    "NotRegularFileError",
    "Table",
    "atomic_path",
    "atomic_write",
    "open_regular",
    "read",
    "special_file",
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
    """Fail early, naming the path, on a file that is not there or not a regular file.

    A named pipe would make reading wait forever for a writer, and a device such as
    /dev/zero never ends: neither is opened."""
    try:
        mode = os.stat(path).st_mode  # through a link: what would be read
    except FileNotFoundError:
        if path.is_symlink():
            raise DataFileError(path, "is a link to a file that does not exist") from None
        raise DataFileError(path, "does not exist") from None
    except OSError as err:  # a path through a file, a loop of links, ...
        raise DataFileError(path, f"cannot be read: {err.strerror or err}") from None
    if stat.S_ISDIR(mode):
        raise DataFileError(path, "is a folder, not a data file")
    kind = special_file(mode)
    if kind is not None:
        raise DataFileError(path, f"is {kind}, not a regular file; descend reads data from files")
    if not os.access(path, os.R_OK):
        raise DataFileError(path, "cannot be read (permission denied)")


def special_file(mode: int) -> str | None:
    """What a file of ``mode`` (``os.stat(path).st_mode``) is when it is neither a regular
    file nor a folder, as "a named pipe (FIFO)"; None for a regular file or a folder.

    Reading or writing such a file could wait forever (a pipe without a writer), never end
    (/dev/zero) or reach a device, so descend's readers and writers refuse them.
    """
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


class NotRegularFileError(OSError):
    """:func:`open_regular` was given a folder, a named pipe, a device or a socket; the
    ``strerror`` says which, as "is a named pipe (FIFO), not a regular file"."""


def open_regular(path) -> IO[bytes]:
    """Open ``path`` for reading in binary, refusing anything but a regular file.

    The file is opened without waiting (``O_NONBLOCK``: a named pipe without a writer would
    otherwise block the open forever) and checked by what was opened, so a file swapped for
    a pipe after an earlier check is refused as well. Raises OSError; one whose ``strerror``
    says what the file is when it is not a regular file.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        kind = "a folder" if stat.S_ISDIR(mode) else special_file(mode)
        if kind is not None:
            raise NotRegularFileError(0, f"is {kind}, not a regular file", str(path))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)  # an ordinary file from here on
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _open_data(path: Path) -> IO[bytes]:
    """:func:`open_regular`, its failures as DataFileError."""
    try:
        return open_regular(path)
    except NotRegularFileError as err:
        raise DataFileError(path, f"{err.strerror}; descend reads data from files") from None
    except OSError as err:  # a race with _check_readable, or a device error
        raise DataFileError(path, f"cannot be read: {err.strerror or err}") from None


def _read_bytes(path: Path) -> bytes:
    with _open_data(path) as fh:
        try:
            return fh.read()
        except OSError as err:  # a device error halfway
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
        problem = f"cannot be read as {_kind(delimiter)}: {err}"
        if "field larger than field limit" in str(err):
            # csv's own words name its setting, not the file's problem
            problem = (
                f"has a cell of more than {csv.field_size_limit()} characters, far too long "
                "for a number or a class label"
            )
        raise DataFileError(path, problem, row=number + 1) from None
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
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataFileError(
            path, "is UTF-16 text (it begins with a UTF-16 byte-order mark); save it as UTF-8"
        )
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
    elif any("\n" in cell or "\r" in cell for cell in cells):
        # a quote left open takes in the lines after it, up to the next quote or the end
        message += " (a quoted cell runs on over several lines: is a closing quote missing?)"
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


#: The most memory, in bytes, an array of a ``.npy`` or ``.npz`` file may take once read as
#: float64; larger arrays are refused before anything is allocated. None (the default)
#: means half of this machine's memory.
MAX_ARRAY_BYTES: int | None = None

# Array dtype kinds worth reading at all: numbers (complex ones are refused by name later)
# and text, which a target may hold as class labels.
_READABLE_KINDS = "biufcUS"


def _array_limit() -> int:
    """:data:`MAX_ARRAY_BYTES`, or half of the machine's memory when it is None."""
    if MAX_ARRAY_BYTES is not None:
        return int(MAX_ARRAY_BYTES)
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not a POSIX system
        memory = 16 * 2**30
    return max(memory // 2, 2**30)


def _bytes(n: int) -> str:
    """``n`` bytes for a person: "3.2 GiB"."""
    size = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"):
        if size < 1024 or unit == "YiB":
            return f"{n} bytes" if unit == "bytes" else f"{size:.3g} {unit}"
        size /= 1024
    raise AssertionError  # pragma: no cover - the loop always returns


def _array_from(fh, path: Path, where: str, room: int) -> np.ndarray:
    """Read one ``.npy`` array from ``fh``, checked before anything large is allocated.

    The header is read first, and the array it declares must fit in the ``room`` bytes
    the file (or the archive's entry) says it holds, and under :data:`MAX_ARRAY_BYTES` once
    read as float64: a header declaring a huge shape or a deflate bomb is refused by what
    it declares, never by running out of memory. Pickled (object) arrays are refused, as
    loading them could run code. ``where`` names the array in messages ("" or " 'X'").
    """
    kind = f"{path.suffix} file" if not where else "array"
    try:
        version = np.lib.format.read_magic(fh)
    except (ValueError, EOFError, OSError):
        raise DataFileError(
            path,
            f"is not a valid {kind}{where}: it does not begin with the signature of a NumPy "
            f"array file{_beginning(fh)}",
        ) from None
    readers = {
        (1, 0): np.lib.format.read_array_header_1_0,
        (2, 0): np.lib.format.read_array_header_2_0,
    }
    if version not in readers:
        raise DataFileError(
            path,
            f"is not a valid {kind}{where}: it is in .npy format version {version[0]}."
            f"{version[1]}, which descend does not read; write it again with numpy.save",
        )
    try:
        shape, fortran, dtype = readers[version](fh)
    except (ValueError, EOFError, OSError, SyntaxError) as err:
        raise DataFileError(
            path, f"is not a valid {kind}{where}: its header cannot be read: {err}"
        ) from None
    if any(size < 0 for size in shape):
        raise DataFileError(
            path, f"is not a valid {kind}{where}: its header declares the shape {shape}"
        )
    if dtype.hasobject:
        holds = f"has an array{where} holding" if where else "holds"
        raise DataFileError(path, f"{holds} {_PICKLE_REFUSED}")
    if dtype.kind not in _READABLE_KINDS or dtype.itemsize == 0:
        raise DataFileError(
            path, f"holds {dtype} values{where and ' in' + where}; expected numbers (integers "
            "or floats)",
        )  # fmt: skip
    count = math.prod(shape)  # Python integers: a declared shape cannot overflow here
    size = count * dtype.itemsize
    room -= fh.tell()
    declared = f"{shape} of {dtype} values ({_bytes(size)})"
    if size > room:
        raise DataFileError(
            path,
            f"is damaged or truncated: the header of {'its array' if not where else where[1:]} "
            f"declares {declared}, but only {_bytes(max(room, 0))} of data follow",
        )
    needed = max(size, count * 8)  # what it takes as float64
    if needed > _array_limit():
        holds = f"has an array{where}" if where else "holds an array"
        raise DataFileError(
            path,
            f"{holds} of shape {declared}, which would take {_bytes(needed)} of memory, more "
            f"than the {_bytes(_array_limit())} descend allows "
            "(descend.datafiles.MAX_ARRAY_BYTES)",
        )
    data = fh.read(size)
    if len(data) < size:
        raise DataFileError(
            path,
            f"is truncated: {where[1:] or 'its array'} should have {_bytes(size)} of data, "
            f"the file ends after {_bytes(len(data))}",
        )
    array = np.frombuffer(data, dtype=dtype, count=count)
    return array.reshape(shape, order="F" if fortran else "C")


def _beginning(fh) -> str:
    """ " (it begins b'...')" with the first bytes of ``fh``, to show what the file is."""
    try:
        fh.seek(0)
        head = fh.read(16)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error):
        return ""
    return f" (it begins {head!r})" if head else " (it is empty)"


# Loading an object array would unpickle it, and unpickling can run any code.
_PICKLE_REFUSED = (
    "Python objects (an object array), which descend refuses to load because loading them "
    "could run code; save the data as a numeric array"
)


def _load_npy(path: Path) -> np.ndarray:
    with _open_data(path) as fh:
        room = os.fstat(fh.fileno()).st_size
        try:
            return _array_from(fh, path, "", room)
        except OSError as err:  # a device error halfway
            raise DataFileError(path, f"cannot be read: {err.strerror or err}") from None


def _npz_members(archive) -> dict[str, zipfile.ZipInfo]:
    """The archive's arrays by name ("X" for the member X.npy), as numpy.load names them."""
    members = {}
    for info in archive.infolist():
        name = info.filename
        members[name[:-4] if name.endswith(".npy") else name] = info
    return members


def _npz_array(path: Path, archive, info) -> np.ndarray:
    """One member of an .npz archive as an array, checked as :func:`_array_from` says."""
    key = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
    where = f" {key!r}"
    try:
        fh = archive.open(info)
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError) as err:
        # RuntimeError: an encrypted entry; NotImplementedError: an unknown compression
        raise DataFileError(path, f"is damaged: the array{where} cannot be read: {err}") from None
    try:
        with fh:
            return _array_from(fh, path, where, info.file_size)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as err:
        # an entry whose compressed data or checksum is damaged, found while inflating
        raise DataFileError(path, f"is damaged: reading{where} failed: {err}") from None


def _read_npy(path, target, need_target, numeric_target) -> Table:
    if target not in (LAST, None):
        raise DataFileError(
            path,
            f"is an array without column names, so target={target!r} cannot be found; its "
            "target is its last column",
        )
    data = _load_npy(path)
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
    with _open_data(path) as fh:
        try:
            archive = zipfile.ZipFile(fh)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
            raise DataFileError(
                path,
                f"is not a valid .npz file: it is not a whole zip archive (it may be truncated, "
                f"or another kind of file): {err}",
            ) from None
        with archive:
            members = _npz_members(archive)
            keys = list(members)
            if "X" not in keys:
                raise DataFileError(path, f"has no array named 'X'; its arrays are {keys}")
            X = _npz_array(path, archive, members["X"])
            y = None
            if target_key is not None and target_key in keys:
                y = _npz_array(path, archive, members[target_key])
            elif target_key is not None and need_target:
                raise DataFileError(
                    path, f"has no array named {target_key!r}; its arrays are {keys}"
                )
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


def _destination(path: Path) -> Path:
    """The file a write to ``path`` replaces: ``path``, or through a link the regular file
    it points to. Anything else is refused with an OSError before a byte is written: a
    folder, a named pipe or a device (writing there could wait forever, or replace a device
    node with a plain file), and a link to nothing."""
    if path.is_symlink():
        target = Path(os.path.realpath(path))
        if not target.exists():
            raise FileNotFoundError(
                0, "is a link to a file that does not exist; give the file's own path", str(path)
            )
        path = target  # write through the link, keep the link
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and stat.S_ISDIR(mode):
        raise IsADirectoryError(f"{path} is a folder; give a file name to write")
    kind = None if mode is None else special_file(mode)
    if kind is not None:
        raise OSError(0, f"is {kind}, not a regular file; descend writes only to files", str(path))
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: the folder {path.parent} does not exist")
    return path


@contextlib.contextmanager
def atomic_path(path, *, durable: bool = True) -> Iterator[Path]:
    """A temporary file's name beside ``path``, which replaces ``path`` once the block ends.

    For writers that want a file name rather than an open file (a figure, an animation).
    The temporary file is made empty and new (never an existing file or link) with the
    same suffix as ``path``, so writers that go by the suffix write the right format. If
    the block raises, it is removed and ``path`` is left as it was. What ``path`` may be is
    as for :func:`atomic_write`.

    The file is flushed to the disk before it takes the name, so that it survives the
    machine going down too; ``durable=False`` skips that (the replacement is still whole or
    not at all for any process that dies, the operating system's cache outliving it), for
    writers that write often and make a durable copy from time to time.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> tmp = tempfile.TemporaryDirectory(); path = Path(tmp.name) / "notes.txt"
    >>> with atomic_path(path) as partial:
    ...     _ = partial.write_text("all or nothing\\n")
    >>> path.read_text()
    'all or nothing\\n'
    >>> tmp.cleanup()
    """
    path = _destination(Path(path))
    temp = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.partial{path.suffix}")
    # 0o666 lets the umask decide, as for any new file; O_EXCL never reuses a file
    os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield temp
        if durable:
            with open(temp, "rb+") as written:
                os.fsync(written.fileno())  # on disk before it takes the name
        _replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def _replace(temp: Path, path: Path) -> None:
    """Give ``temp`` the name ``path``, keeping the permissions of a file it replaces."""
    with contextlib.suppress(FileNotFoundError):
        os.chmod(temp, stat.S_IMODE(os.stat(path).st_mode))
    os.replace(temp, path)


@contextlib.contextmanager
def atomic_write(path, *, newline: str | None = None) -> Iterator[IO[str]]:
    """Open a text file for writing so that it appears whole or not at all.

    The text goes to a hidden file beside ``path``, which replaces ``path`` only once
    everything is written; if the block raises, the temporary file is removed and an
    existing ``path`` keeps its old content. The file is UTF-8; a replaced file keeps its
    permissions, a new one gets the usual ones (the umask applies).

    A link to a regular file is written through (the file it points to is replaced, the
    link stays). A folder, a named pipe, a device, a socket or a link to any of these or to
    nothing is refused with an OSError before anything is written.

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
    with atomic_path(path) as temp, open(temp, "w", encoding="utf-8", newline=newline) as fh:
        yield fh


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
