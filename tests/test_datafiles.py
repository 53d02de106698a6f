"""descend.datafiles: every format, every kind of bad data with its row and column, and the
atomic CSV writer."""

import os
import re
import sys

import numpy as np
import pytest

from descend import datafiles
from descend.datafiles import DataFileError, read, write_csv


def _write(tmp_path, text, name="data.csv"):
    """A file holding exactly ``text`` (bytes as given: no newline translation)."""
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def _error(path, *args, **kwargs) -> DataFileError:
    with pytest.raises(DataFileError) as info:
        read(path, *args, **kwargs)
    return info.value


def _message(path, *args, **kwargs) -> str:
    """The message without the path in front, which every message starts with."""
    text = str(_error(path, *args, **kwargs))
    assert text.startswith(str(path))
    return text[len(str(path)) :]


# ----------------------------------------------------------------------------- CSV


def test_csv_last_column_is_the_target(tmp_path):
    path = _write(tmp_path, "rooms,age,price\n3,10,250.5\n4,5,320\n")
    table = read(path)
    assert table.X.dtype == np.float64 and table.X.flags.c_contiguous
    np.testing.assert_array_equal(table.X, [[3, 10], [4, 5]])
    np.testing.assert_array_equal(table.y, [250.5, 320.0])
    assert table.y.dtype == np.float64
    assert table.feature_names == ["rooms", "age"]
    assert table.target_name == "price"
    assert table.path == path and table.n_rows == 2


def test_csv_target_by_name_anywhere(tmp_path):
    path = _write(tmp_path, "a,label,b\n1,0,2\n3,1,4\n")
    table = read(path, target="label")
    np.testing.assert_array_equal(table.X, [[1, 2], [3, 4]])
    np.testing.assert_array_equal(table.y, [0.0, 1.0])
    assert table.feature_names == ["a", "b"] and table.target_name == "label"
    assert table.y[1] == 1  # integral targets are floats that compare with ints


@pytest.mark.parametrize(
    "kwargs", [{"target": None}, {"need_target": False}, {"target": None, "need_target": False}]
)
def test_csv_without_target_every_column_is_a_feature(tmp_path, kwargs):
    path = _write(tmp_path, "a,b\n1,2\n3,4\n")
    table = read(path, **kwargs)
    np.testing.assert_array_equal(table.X, [[1, 2], [3, 4]])
    assert table.y is None and table.target_name is None
    assert table.feature_names == ["a", "b"]


def test_predicting_takes_a_named_target_only_when_there(tmp_path):
    with_target = _write(tmp_path, "a,b,price\n1,2,3\n", "train.csv")
    without = _write(tmp_path, "a,b\n1,2\n", "new.csv")
    table = read(with_target, target="price", need_target=False)
    assert table.feature_names == ["a", "b"] and table.y.tolist() == [3.0]
    table = read(without, target="price", need_target=False)
    assert table.feature_names == ["a", "b"] and table.y is None


def test_tsv(tmp_path):
    path = _write(tmp_path, "x\tname with, comma\ty\n1.5\t2\tspam\n", "data.tsv")
    table = read(path)
    assert table.feature_names == ["x", "name with, comma"]
    np.testing.assert_array_equal(table.X, [[1.5, 2.0]])
    assert table.y.tolist() == ["spam"]


def test_suffix_case_does_not_matter(tmp_path):
    path = _write(tmp_path, "a,y\n1,2\n", "DATA.CSV")
    assert read(path).y.tolist() == [2.0]


def test_class_labels_stay_strings(tmp_path):
    path = _write(tmp_path, "links,words,kind\n3,100, spam\n0,20,ham\n1,5,spam\n")
    table = read(path)
    assert table.y.dtype.kind == "U"
    assert table.y.tolist() == ["spam", "ham", "spam"]  # spaces around labels dropped


def test_mixed_labels_stay_strings(tmp_path):
    path = _write(tmp_path, "a,kind\n1,1\n2,two\n")
    assert read(path).y.tolist() == ["1", "two"]


def test_bom_quotes_crlf_and_spaces(tmp_path):
    text = '\ufeff"first name", " weight "\r\n"1.5",  2\r\n" 3 ",4e1\r\n'
    table = read(_write(tmp_path, text))
    assert table.feature_names == ["first name"] and table.target_name == "weight"
    np.testing.assert_array_equal(table.X, [[1.5], [3.0]])
    np.testing.assert_array_equal(table.y, [2.0, 40.0])


def test_quoted_cell_with_separator_and_newline(tmp_path):
    path = _write(tmp_path, 'x,label\n1,"a, b"\n2,"two\nlines"\n')
    assert read(path).y.tolist() == ["a, b", "two\nlines"]


def test_blank_lines_and_empty_spreadsheet_rows_are_skipped(tmp_path):
    path = _write(tmp_path, "a,b\n1,2\n\n3,4\n,\n  \n\n")
    np.testing.assert_array_equal(read(path).X, [[1], [3]])


def test_row_numbers_count_skipped_blank_lines(tmp_path):
    path = _write(tmp_path, "a,b\n1,2\n\n\nx,4\n")
    err = _error(path)
    assert str(err) == f"{path}: row 5, column 'a' (1) is not a number: 'x'"
    assert (err.row, err.column, err.column_number) == (5, "a", 1)


def test_numeric_target(tmp_path):
    path = _write(tmp_path, "a,price\n1,2\n3,cheap\n")
    assert read(path).y.tolist() == ["2", "cheap"]
    assert (
        _message(path, numeric_target=True)
        == ": row 3, column 'price' (2) is not a number: 'cheap'"
    )


# ------------------------------------------------------------------------- CSV errors


def test_ragged_row(tmp_path):
    path = _write(tmp_path, "a,b,c,d\n1,2,3,4\n1,2,3,4\n1,2,3\n")
    err = _error(path)
    assert str(err) == f"{path}: row 4 has 3 cells, the header has 4"
    assert err.row == 4 and err.column is None


def test_row_with_extra_separator(tmp_path):
    path = _write(tmp_path, "a,b\n1,2,\n")
    assert (
        _message(path) == ": row 2 has 3 cells, the header has 2 (the row ends with an extra ',')"
    )


def test_non_numeric_feature(tmp_path):
    path = _write(tmp_path, "id,age,y\n1,20,0\n2,21,0\n3,22,1\n4,abc,1\n")
    err = _error(path)
    assert str(err) == f"{path}: row 5, column 'age' (2) is not a number: 'abc'"
    assert (err.row, err.column, err.column_number) == (5, "age", 2)


def test_decimal_comma_is_not_a_number(tmp_path):
    path = _write(tmp_path, 'a,y\n"1,5",2\n')
    assert _message(path) == ": row 2, column 'a' (1) is not a number: '1,5'"


@pytest.mark.parametrize("cell", ["", "   "])
def test_empty_feature_cell(tmp_path, cell):
    path = _write(tmp_path, f"x,z,y\n1,2,3\n4,{cell},6\n")
    assert _message(path) == ": row 3, column 'z' (2) is empty"


@pytest.mark.parametrize(
    ("cell", "shown"), [("nan", "nan"), ("NaN", "NaN"), ("-inf", "-inf"), ("1e999", "1e999")]
)
def test_non_finite_feature(tmp_path, cell, shown):
    rows = "".join(f"{i},0\n" for i in range(7))
    path = _write(tmp_path, f"x,y\n{rows}{cell},1\n")
    assert _message(path) == f": row 9, column 'x' (1) is not a finite number: {shown}"


def test_first_problem_in_reading_order_is_reported(tmp_path):
    # the NaN in row 3 comes before the word in row 4, and within a row the left column first
    path = _write(tmp_path, "a,b,y\n1,2,3\n4,nan,6\nx,8,9\n")
    assert _message(path) == ": row 3, column 'b' (2) is not a finite number: nan"
    path = _write(tmp_path, "a,b,y\n1,2,3\nx,,6\n")
    assert _message(path) == ": row 3, column 'a' (1) is not a number: 'x'"


def test_non_finite_numeric_target(tmp_path):
    path = _write(tmp_path, "x,price\n1,2\n3,inf\n")
    assert _message(path) == ": row 3, column 'price' (2) is not a finite number: inf"


def test_empty_target_cell(tmp_path):
    path = _write(tmp_path, "x,kind\n1,spam\n2,\n")
    assert _message(path) == ": row 3, column 'kind' (2) is empty; every row needs a target"


@pytest.mark.parametrize("text", ["", "\n\n", "\ufeff", ",,\n"])
def test_empty_file(tmp_path, text):
    path = _write(tmp_path, text)
    assert _message(path) == " is empty; it needs a header row of column names"


def test_header_without_rows(tmp_path):
    path = _write(tmp_path, "a,b\n\n")
    assert _message(path) == " has a header row but no data rows"


def test_one_column_needs_features(tmp_path):
    path = _write(tmp_path, "y\n1\n2\n")
    assert _message(path) == (
        " has only the column 'y'; it needs at least one feature column besides the target"
    )
    assert read(path, need_target=False).X.shape == (2, 1)  # fine without a target


def test_other_separator_is_pointed_out(tmp_path):
    path = _write(tmp_path, "a;b;y\n1;2;3\n")
    assert _message(path).endswith(
        "The header seems separated by ';': .csv files must use ',' and .tsv files tabs"
    )


def test_named_target_missing(tmp_path):
    path = _write(tmp_path, "a,b\n1,2\n")
    assert _message(path, target="price") == " has no column 'price'; its columns are 'a', 'b'"


def test_duplicate_header_name(tmp_path):
    path = _write(tmp_path, "x,y, x ,z\n1,2,3,4\n")
    err = _error(path)
    assert str(err) == (
        f"{path}: row 1, column 'x' (3) repeats the name of column 1; column names must differ"
    )
    assert (err.row, err.column, err.column_number) == (1, "x", 3)


def test_empty_header_name(tmp_path):
    path = _write(tmp_path, "a,,c\n1,2,3\n")
    assert _message(path) == ": row 1, column 2 has no name; every column needs one"


def test_not_utf8(tmp_path):
    path = _write(tmp_path, b"name,y\ncaf\xe9,1\n")
    assert _message(path) == (
        ": row 2 is not UTF-8 text (byte 0xe9); save the file with UTF-8 encoding"
    )


def test_nul_byte_is_not_a_number(tmp_path):
    path = _write(tmp_path, "a,y\n1,2\n3\x00,4\n")
    assert _message(path) == ": row 3, column 'a' (1) is not a number: '3\\x00'"


def test_unreadable_csv(tmp_path):
    path = _write(tmp_path, "a,y\n1,2\n3," + "9" * 200_000 + "\n")
    assert re.fullmatch(
        r": row 3 has a cell of more than 131072 characters, far too long for a number or a "
        r"class label",
        _message(path),
    )


def test_target_must_be_a_name():
    with pytest.raises(TypeError, match="target must be a column name"):
        read("data.csv", target=2)


# ------------------------------------------------------------------------ the file itself


def test_missing_file(tmp_path):
    path = tmp_path / "nope.csv"
    err = _error(path)
    assert str(err) == f"{path} does not exist" and err.path == path


def test_folder(tmp_path):
    path = tmp_path / "data.csv"
    path.mkdir()
    assert _message(path) == " is a folder, not a data file"


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file(tmp_path):
    path = _write(tmp_path, "a,y\n1,2\n")
    path.chmod(0)
    try:
        assert _message(path) == " cannot be read (permission denied)"
    finally:
        path.chmod(0o600)


def test_file_without_read_permission(tmp_path, monkeypatch):
    path = _write(tmp_path, "a,y\n1,2\n")
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)  # as for another user
    assert _message(path) == " cannot be read (permission denied)"


def test_unknown_suffix(tmp_path):
    path = _write(tmp_path, "a,y\n1,2\n", "data.xlsx")
    assert _message(path) == (
        " has the suffix '.xlsx', which is not a format descend reads; use one of "
        ".csv, .tsv, .npy, .npz, .parquet"
    )
    path = _write(tmp_path, "a,y\n1,2\n", "data")
    assert _message(path).startswith(" has no suffix to tell its format; use one of .csv")


def test_error_is_a_value_error(tmp_path):
    assert isinstance(_error(tmp_path / "nope.csv"), ValueError)


# ----------------------------------------------------------------------------- NPY


def test_npy_last_column_is_the_target(tmp_path):
    data = np.array([[1, 2, 10], [3, 4, 20]], dtype=np.int32)
    np.save(tmp_path / "d.npy", data)
    table = read(tmp_path / "d.npy")
    np.testing.assert_array_equal(table.X, [[1, 2], [3, 4]])
    np.testing.assert_array_equal(table.y, [10, 20])
    assert table.X.dtype == table.y.dtype == np.float64
    assert table.feature_names == ["x1", "x2"] and table.target_name == "y"
    table = read(tmp_path / "d.npy", need_target=False)
    assert table.X.shape == (2, 3) and table.y is None
    assert read(tmp_path / "d.npy", target=None).y is None


def test_npy_one_dimensional(tmp_path):
    np.save(tmp_path / "d.npy", np.arange(3.0))
    assert _message(tmp_path / "d.npy") == (
        " holds a 1-D array of shape (3,); expected a 2-D array, one row per sample with the "
        "target in the last column"
    )


def test_npy_object_array_is_refused(tmp_path):
    np.save(tmp_path / "d.npy", np.array([[1, "a"]], dtype=object), allow_pickle=True)
    assert _message(tmp_path / "d.npy") == (
        " holds Python objects (an object array), which descend refuses to load because "
        "loading them could run code; save the data as a numeric array"
    )


def test_npy_text_array(tmp_path):
    np.save(tmp_path / "d.npy", np.array([["1", "2"]]))
    assert _message(tmp_path / "d.npy") == (
        " holds <U1 values; expected numbers (integers or floats)"
    )


def test_npy_needs_a_feature_column(tmp_path):
    np.save(tmp_path / "d.npy", np.ones((3, 1)))
    assert "holds a single column" in _message(tmp_path / "d.npy")


def test_npy_without_rows(tmp_path):
    np.save(tmp_path / "d.npy", np.ones((0, 3)))
    assert _message(tmp_path / "d.npy") == " holds an array with no rows"


def test_npy_non_finite(tmp_path):
    data = np.ones((5, 3))
    data[3, 1] = np.nan
    data[4, 2] = np.inf
    np.save(tmp_path / "d.npy", data)
    err = _error(tmp_path / "d.npy")
    assert str(err).endswith(": row 4, column 'x2' (2) is not a finite number: nan")
    data[3, 1] = 0.0
    np.save(tmp_path / "d.npy", data)
    assert _message(tmp_path / "d.npy") == ": row 5, column 'y' (3) is not a finite number: inf"


def test_npy_named_target(tmp_path):
    np.save(tmp_path / "d.npy", np.ones((2, 2)))
    assert "target='price' cannot be found" in _message(tmp_path / "d.npy", target="price")


def test_npy_corrupt(tmp_path):
    path = _write(tmp_path, b"\x93NUMPY garbage", "d.npy")
    assert _message(path).startswith(" is not a valid .npy file: ")


# ----------------------------------------------------------------------------- NPZ


def test_npz(tmp_path):
    X, y = np.arange(6.0).reshape(3, 2), np.array(["a", "b", "a"])
    np.savez(tmp_path / "d.npz", X=X, y=y)
    table = read(tmp_path / "d.npz")
    np.testing.assert_array_equal(table.X, X)
    assert table.y.tolist() == ["a", "b", "a"]
    assert table.feature_names == ["x1", "x2"] and table.target_name == "y"
    # predicting takes y when it is there, and needs none
    assert read(tmp_path / "d.npz", need_target=False).y is not None
    np.savez(tmp_path / "new.npz", X=X)
    table = read(tmp_path / "new.npz", need_target=False)
    assert table.y is None and table.target_name is None
    assert read(tmp_path / "d.npz", target=None).y is None


def test_npz_numeric_and_column_target(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.ones((2, 2)), y=np.array([[1], [2]]))
    table = read(tmp_path / "d.npz")
    assert table.y.dtype == np.float64 and table.y.tolist() == [1.0, 2.0]


def test_npz_target_by_array_name(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.ones((2, 2)), labels=np.array([0, 1]))
    table = read(tmp_path / "d.npz", target="labels")
    assert table.target_name == "labels" and table.y.tolist() == [0.0, 1.0]
    assert (
        _message(tmp_path / "d.npz") == " has no array named 'y'; its arrays are ['X', 'labels']"
    )


def test_npz_without_X(tmp_path):
    np.savez(tmp_path / "d.npz", features=np.ones((2, 2)))
    assert _message(tmp_path / "d.npz") == " has no array named 'X'; its arrays are ['features']"


def test_npz_object_arrays_are_refused(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.ones((2, 2)), y=np.array([1, "a"], dtype=object))
    assert _message(tmp_path / "d.npz").startswith(
        " has an array 'y' holding Python objects (an object array), which descend refuses"
    )


def test_npz_shapes(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, X=np.ones(3), y=np.ones(3))
    assert _message(path) == " has an array 'X' of shape (3,); expected 2-D, one row per sample"
    np.savez(path, X=np.ones((3, 2)), y=np.ones(4))
    assert _message(path) == " has 4 values in 'y' but 3 rows in 'X'; they must match"
    np.savez(path, X=np.ones((3, 2)), y=np.ones((3, 2)))
    assert _message(path) == " has an array 'y' of shape (3, 2); expected 1-D"
    np.savez(path, X=np.ones((0, 2)), y=np.ones(0))
    assert _message(path) == " has an array 'X' with no rows"


def test_npz_non_finite(tmp_path):
    X, y = np.ones((4, 2)), np.ones(4)
    X[2, 0] = np.nan
    np.savez(tmp_path / "d.npz", X=X, y=y)
    assert _message(tmp_path / "d.npz") == ": row 3, column 'x1' (1) is not a finite number: nan"
    X[2, 0], y[3] = 0.0, -np.inf
    np.savez(tmp_path / "d.npz", X=X, y=y)
    assert _message(tmp_path / "d.npz") == ": row 4, column 'y' is not a finite number: -inf"


def test_npz_numeric_target_refuses_labels(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.ones((2, 1)), y=np.array(["a", "b"]))
    assert _message(tmp_path / "d.npz", numeric_target=True) == (
        " holds <U1 values in 'y'; expected numbers (integers or floats)"
    )


# ------------------------------------------------------------------------- Parquet


def test_parquet(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table({"a": [1, 2, 3], "b": [0.5, 1.5, 2.5], "kind": ["x", "y", "x"]})
    pq.write_table(table, tmp_path / "d.parquet")
    got = read(tmp_path / "d.parquet")
    np.testing.assert_array_equal(got.X, [[1, 0.5], [2, 1.5], [3, 2.5]])
    assert got.X.dtype == np.float64
    assert got.y.tolist() == ["x", "y", "x"] and got.target_name == "kind"
    assert got.feature_names == ["a", "b"]
    # a text column can only be the target
    assert _message(tmp_path / "d.parquet", target="a") == (
        ": column 'kind' (3) holds string values; feature columns must hold numbers"
    )
    pq.write_table(pa.table({"a": [1, 2], "b": [True, False]}), tmp_path / "n.parquet")
    got = read(tmp_path / "n.parquet", target="a")
    assert got.y.tolist() == [1.0, 2.0] and got.X.tolist() == [[1.0], [0.0]]
    got = read(tmp_path / "n.parquet", target="price", need_target=False)
    assert got.y is None and got.feature_names == ["a", "b"]
    categorical = pa.array(["x", "y", "x"]).dictionary_encode()
    pq.write_table(pa.table({"a": [1, 2, 3], "kind": categorical}), tmp_path / "c.parquet")
    assert read(tmp_path / "c.parquet").y.tolist() == ["x", "y", "x"]


def test_parquet_bad_cells(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"a": [1.0, None, 3.0], "y": [1, 2, 3]}), path)
    assert _message(path) == ": row 2, column 'a' (1) is empty (null)"
    pq.write_table(pa.table({"a": [1.0, 2.0, float("nan")], "y": [1, 2, 3]}), path)
    assert _message(path) == ": row 3, column 'a' (1) is not a finite number: nan"
    pq.write_table(pa.table({"a": [1.0], "y": ["x"]}), path)
    assert _message(path, numeric_target=True) == (
        ": column 'y' (2) holds text; the target must hold numbers"
    )
    pq.write_table(
        pa.table({"a": pa.array([], pa.float64()), "y": pa.array([], pa.int64())}), path
    )
    assert _message(path) == " has no rows"
    _write(tmp_path, b"not parquet at all", "d.parquet")
    assert _message(path).startswith(" is not a valid Parquet file: ")


def test_parquet_column_names(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "d.parquet"
    table = pa.Table.from_arrays(
        [pa.array([1.0]), pa.array([2.0]), pa.array([3.0])], ["a", "b", "a"]
    )
    pq.write_table(table, path)
    assert _message(path) == (
        ": column 'a' (3) repeats the name of column 1; column names must differ"
    )
    pq.write_table(pa.table({"a": [1.0], "y": [2.0]}), path)
    assert _message(path, target="price") == " has no column 'price'; its columns are 'a', 'y'"


def test_parquet_needs_pyarrow(tmp_path, monkeypatch):
    path = _write(tmp_path, b"PAR1", "d.parquet")
    # a None entry makes `import pyarrow` fail, as when it is not installed
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    assert _message(path) == (
        " is a Parquet file, and reading one needs pyarrow, which is not installed: "
        "pip install pyarrow"
    )


# ------------------------------------------------------------------------------ writing


def test_write_csv_round_trips_floats(tmp_path):
    values = np.array([0.1, 1 / 3, 1e-300, -2.5e17, np.pi])
    path = write_csv(tmp_path / "out.csv", ["x", "prediction"], [np.arange(5), values])
    assert path == tmp_path / "out.csv"
    table = read(path)
    np.testing.assert_array_equal(table.y, values)  # bit for bit
    assert path.read_text().splitlines()[0] == "x,prediction"


def test_write_csv_labels_and_quoting(tmp_path):
    path = write_csv(tmp_path / "out.csv", ["row", "class"], [[1, 2], ["spam", "a, b"]])
    assert path.read_text() == 'row,class\n1,spam\n2,"a, b"\n'


def test_write_csv_to_stdout(capsys):
    assert write_csv("-", ["a", "b"], [[1, 2], [0.5, 0.25]]) is None
    assert capsys.readouterr().out == "a,b\n1,0.5\n2,0.25\n"


def test_write_csv_checks_before_writing(tmp_path):
    path = tmp_path / "out.csv"
    with pytest.raises(ValueError, match=re.escape("different lengths: [1, 2]")):
        write_csv(path, ["a", "b"], [[1], [1, 2]])
    with pytest.raises(ValueError, match="2 names in the header but 1 columns"):
        write_csv(path, ["a", "b"], [[1]])
    with pytest.raises(ValueError, match=re.escape("shape (1, 1); expected 1-D")):
        write_csv(path, ["a"], [[[1]]])
    assert list(tmp_path.iterdir()) == []


def test_write_csv_failure_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "out.csv"
    path.write_text("old\n")

    def half_then_fail(fh, rows):
        fh.write("a,b\n1,")
        raise OSError("disk full")

    monkeypatch.setattr(datafiles, "_write_rows", half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        write_csv(path, ["a", "b"], [[1], [2]])
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no temporary file left


def test_write_csv_where_it_cannot(tmp_path):
    with pytest.raises(FileNotFoundError, match="the folder .* does not exist"):
        write_csv(tmp_path / "missing" / "out.csv", ["a"], [[1]])
    with pytest.raises(IsADirectoryError, match="is a folder"):
        write_csv(tmp_path, ["a"], [[1]])


def test_atomic_write_keeps_permissions_and_follows_links(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("old\n")
    path.chmod(0o640)
    link = tmp_path / "link.csv"
    link.symlink_to(path)
    write_csv(link, ["a"], [[1]])
    assert link.is_symlink() and path.read_text() == "a\n1\n"
    assert path.stat().st_mode & 0o777 == 0o640


def test_atomic_write_error_inside_the_block(tmp_path):
    path = tmp_path / "notes.txt"
    with pytest.raises(RuntimeError), datafiles.atomic_write(path) as fh:
        fh.write("half")
        raise RuntimeError
    assert list(tmp_path.iterdir()) == []
