"""Hostile and broken files and inputs: each is refused with one clear line and exit status
2, nothing is destroyed or left half-written, and nothing waits forever.

The command-line cases are one table run through one set of checks
(:func:`test_cli_refuses`); the library's cases (data files, model dictionaries, the
estimators) are a second table (:func:`test_library_refuses`).
"""

from __future__ import annotations

import copy
import functools
import io
import json
import os
import subprocess
import sys
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from descend import GDClassifier, GDRegressor, datafiles
from descend.cli import app
from descend.cli._common import shown
from descend.datafiles import DataFileError
from descend.estimators import serialize
from descend.estimators.serialize import ModelFileError

runner = CliRunner()
POSIX = sys.platform != "win32"
# a wait on a named pipe fails the test instead of hanging it; the limit is far above the
# few seconds a refusal takes, so a slow machine does not fail it
SUBPROCESS_TIMEOUT = 120


# ------------------------------------------------------------------------ file makers


def _csv(folder: Path, name="data.csv", scale=1.0) -> Path:
    """A small regression table with the columns a, b and y."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2)) * scale
    y = X @ [1.0, 2.0] / scale + 0.5
    rows = zip(X.tolist(), y.tolist(), strict=True)
    lines = ["a,b,y"] + [f"{a!r},{b!r},{t!r}" for (a, b), t in rows]
    path = folder / name
    path.write_text("\n".join(lines) + "\n")
    return path


@functools.cache
def _good_model() -> dict:
    """A regressor on the features a and b, as descend train saves it."""
    X = np.random.default_rng(1).normal(size=(20, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a short fit: only its file matters
        model = GDRegressor(max_epochs=20, tol=0).fit(X, X @ [1.0, 2.0])
    extra = {"task": "regression", "data": "data.csv", "target": "y", "interrupted": False}
    data = serialize.to_dict(model, feature_names=["a", "b"], extra=extra)
    return json.loads(json.dumps(data))


def _model(folder: Path, change=None, text=None, name="model.json") -> Path:
    """A model file: the good one, changed by ``change(data)``, or exactly ``text``."""
    data = copy.deepcopy(_good_model())
    if change is not None:
        change(data)
    path = folder / name
    path.write_text(text if text is not None else json.dumps(data))
    return path


def _link(folder: Path, name: str, target: str) -> Path:
    path = folder / name
    path.symlink_to(target)
    return path


def _victim(folder: Path, name="precious.txt") -> Path:
    """A file that must survive every case byte for byte."""
    path = folder / name
    path.write_bytes(b"precious bytes\n")
    return path


def _npy_header(shape, descr="<f8") -> bytes:
    out = io.BytesIO()
    header = {"descr": descr, "fortran_order": False, "shape": tuple(shape)}
    np.lib.format.write_array_header_1_0(out, header)
    return out.getvalue()


def _npz_declaring(path: Path, shape, bomb=True) -> Path:
    """An .npz whose X.npy header declares ``shape`` of float64, followed by a little data.

    With ``bomb``, the archive's directory declares the entry's inflated size to be what
    the header declares, as an honest deflate bomb would, while the archive itself stays a
    few hundred bytes: a reader that trusts the two and inflates would need a terabyte.
    Without, the entry is as written, shorter than its header says."""
    header = _npy_header(shape)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("X.npy", header + bytes(4096))
        archive.writestr("y.npy", _npy_header((3,)) + bytes(24))
        if bomb:
            # written into the central directory on closing, which is what readers go by
            archive.filelist[0].file_size = len(header) + int(np.prod(shape, dtype=object)) * 8
    return path


def _truncated(path: Path, keep: float = 0.5) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def _npz(folder: Path, name="data.npz") -> Path:
    rng = np.random.default_rng(0)
    path = folder / name
    np.savez(path, X=rng.normal(size=(50, 2)), y=rng.normal(size=50))
    return path


def _damaged_npz(folder: Path) -> Path:
    """A stored (uncompressed) archive with one byte of X's data changed: its CRC fails."""
    path = folder / "data.npz"
    X = np.full((50, 2), 0.25)
    np.savez(path, X=X, y=np.ones(50))
    raw = bytearray(path.read_bytes())
    at = raw.index(np.float64(0.25).tobytes()) + 3
    raw[at] ^= 0xFF
    path.write_bytes(bytes(raw))
    return path


# ------------------------------------------------------------------- the CLI's cases


@dataclass(frozen=True)
class Case:
    """One bad input: ``make(folder)`` writes the files and gives the command's arguments;
    ``fragment`` must be in the one line of standard error. ``subprocess`` runs the
    command in a child process with a time limit (a named pipe could block it)."""

    id: str
    make: object
    fragment: str
    subprocess: bool = False
    root: bool = False  # needs root (making a device node)
    marks: tuple = field(default_factory=tuple)


def _train(folder: Path, *extra) -> list:
    return ["train", _csv(folder), "--epochs", 3, *extra]


def _predict(folder: Path, model: Path, *extra) -> list:
    return ["predict", model, _csv(folder), *extra]


def _scaled_model(folder: Path) -> list:
    path = _model(folder, lambda d: d.update(coef=[1e300, 1e300]))
    data = folder / "far.csv"
    data.write_text("a,b\n1,2\n1e10,3\n")
    return ["predict", path, data, "--out", _victim(folder, "old.csv")]


def _mknod(folder: Path, name: str) -> Path:
    path = folder / name
    os.mknod(path, 0o600 | __import__("stat").S_IFCHR, os.makedev(1, 3))  # like /dev/null
    return path


CLI_CASES = [
    # ---- output paths: a link is never written through, a pipe or device never written
    Case(
        "out-link-to-file",
        lambda f: _train(f, "--out", _link(f, "m.json", _victim(f).name)),
        "m.json' is a symbolic link (to 'precious.txt')",
    ),
    Case(
        "history-link-to-file",
        lambda f: _train(f, "--history", _link(f, "h.csv", _victim(f).name)),
        "h.csv' is a symbolic link",
    ),
    Case(
        "plot-link-to-file",
        lambda f: _train(f, "--plot", _link(f, "p.png", _victim(f).name)),
        "p.png' is a symbolic link",
    ),
    Case(
        "out-dangling-link",
        lambda f: _train(f, "--out", _link(f, "m.json", "nowhere.json")),
        "m.json' is a symbolic link (to 'nowhere.json')",
    ),
    Case(
        "predict-out-link",
        lambda f: _predict(f, _model(f), "--out", _link(f, "p.csv", _victim(f).name)),
        "p.csv' is a symbolic link",
    ),
    Case(
        "minimize-history-link",
        lambda f: ["minimize", "x**2", "--x0", 1, "--history", _link(f, "h.csv", _victim(f).name)],
        "h.csv' is a symbolic link",
    ),
    Case(
        "sweep-plot-link",
        lambda f: ["sweep", "x**2", "--x0", 1, "--plot", _link(f, "g.png", _victim(f).name)],
        "g.png' is a symbolic link",
    ),
    Case(
        "bench-json-link",
        lambda f: ["bench", "--quick", "--json", _link(f, "b.json", _victim(f).name)],
        "b.json' is a symbolic link",
    ),
    Case(
        "playground-out-link",
        lambda f: ["playground", "--out", _link(f, "page.html", _victim(f).name)],
        "page.html' is a symbolic link",
    ),
    Case(
        "out-device",
        lambda f: _train(f, "--out", _mknod(f, "m.json")),
        "m.json' is a character device, not a regular file",
        root=True,
    ),
    Case(
        "out-fifo",
        lambda f: _train(f, "--out", _fifo(f, "m.json")),
        "m.json' is a named pipe (FIFO), not a regular file",
        subprocess=True,
    ),
    Case(
        "demo-picture-link",
        lambda f: ["demo", "T1", "--out", _link(f, "t1-curve.png", _victim(f).name).parent],
        "t1-curve.png' is a symbolic link",
    ),
    Case(
        "history-link-to-fifo",
        lambda f: _train(f, "--history", _link(f, "h.csv", _fifo(f, "pipe").name)),
        "h.csv' is a symbolic link",
        subprocess=True,
    ),
    # ---- inputs that are not files
    Case(
        "data-fifo",
        lambda f: ["train", _fifo(f, "data.csv")],
        "data.csv is a named pipe (FIFO), not a regular file",
        subprocess=True,
    ),
    Case(
        "data-link-to-fifo",
        lambda f: ["train", _link(f, "data.csv", _fifo(f, "pipe").name)],
        "data.csv is a named pipe (FIFO)",
        subprocess=True,
    ),
    Case(
        "model-fifo",
        lambda f: ["predict", _fifo(f, "model.json"), _csv(f)],
        "model.json: is a named pipe (FIFO), not a regular file",
        subprocess=True,
    ),
    Case(
        "data-device",
        lambda f: ["train", _link(f, "data.csv", os.devnull)],
        "data.csv is a character device, not a regular file",
    ),
    # ---- arrays
    Case(
        "npy-huge-shape",
        lambda f: ["train", _bytes(f, "data.npy", _npy_header((10**12, 10**6)) + bytes(16))],
        "data.npy is damaged or truncated: the header of its array declares (1000000000000, "
        "1000000) of float64 values (6.94 EiB), but only 16 bytes of data follow",
    ),
    Case(
        "npy-is-text",
        lambda f: ["train", _bytes(f, "data.npy", b"a,y\n1,2\n3,4\n")],
        "data.npy is not a valid .npy file: it does not begin with the signature of a NumPy "
        "array file (it begins b'a,y\\n1,2\\n3,4\\n')",
    ),
    Case(
        "npy-truncated",
        lambda f: ["train", _truncated(_saved(f, "data.npy", np.ones((100, 3))))],
        "data.npy is damaged or truncated: the header of its array declares (100, 3)",
    ),
    Case(
        "npy-pickle",
        lambda f: ["train", _saved(f, "data.npy", np.array([[1, "a"]], dtype=object))],
        "data.npy holds Python objects (an object array), which descend refuses to load",
    ),
    Case(
        "npz-deflate-bomb",
        lambda f: ["train", _npz_declaring(f / "data.npz", (2**37, 1))],
        "data.npz has an array 'X' of shape (137438953472, 1) of float64 values (1 TiB), "
        "which would take 1 TiB of memory, more than the",
    ),
    Case(
        "npz-header-beyond-entry",
        lambda f: ["train", _npz_declaring(f / "data.npz", (2**37, 1), bomb=False)],
        "is damaged or truncated: the header of 'X' declares (137438953472, 1) of float64 "
        "values (1 TiB), but only",
    ),
    Case(
        "npz-truncated",
        lambda f: ["train", _truncated(_npz(f))],
        "data.npz is not a valid .npz file: it is not a whole zip archive",
    ),
    Case(
        "npz-is-text",
        lambda f: ["train", _bytes(f, "data.npz", b"X,y\n1,2\n")],
        "data.npz is not a valid .npz file: it is not a whole zip archive",
    ),
    Case(
        "npz-bad-checksum",
        lambda f: ["train", _damaged_npz(f)],
        "data.npz is damaged: reading 'X' failed: Bad CRC-32",
    ),
    # ---- model files
    Case(
        "model-target-a-number",
        lambda f: _predict(f, _model(f, lambda d: d["extra"].update(target=5))),
        "model.json: extra.target is 5; expected a column name (a string) or null",
    ),
    Case(
        "model-list-for-object",
        lambda f: _predict(f, _model(f, lambda d: d.update(params=[]))),
        "model.json: params is []; expected an object",
    ),
    Case(
        "model-string-for-number",
        lambda f: _predict(f, _model(f, lambda d: d["coef"].__setitem__(1, "2.0"))),
        "model.json: coef holds something other than numbers: coef[1] is '2.0'",
    ),
    Case(
        "model-5000-digits",
        lambda f: _predict(
            f, _model(f, text='{"format": "descend-model", "n_iter": 1' + "0" * 5000 + "}")
        ),
        "model.json: is not a model file: it holds a whole number of more than 4300 digits",
    ),
    Case(
        "model-huge-number",
        lambda f: _predict(
            f,
            _model(f, text=json.dumps(_good_model()).replace('"tol": 0', '"tol": 1' + "0" * 400)),
        ),
        "model.json: params.tol is a whole number of about 401 digits",
    ),
    Case(
        "model-repeated-names",
        lambda f: _predict(f, _model(f, lambda d: d.update(feature_names=["a", "a"]))),
        "model.json: feature_names[1] repeats the name 'a' of feature_names[0]",
    ),
    Case(
        "model-nan",
        lambda f: _predict(
            f,
            _model(
                f, text=json.dumps(_good_model()).replace('"intercept": [', '"intercept": [NaN, ')
            ),
        ),
        "model.json: intercept[0] is NaN; a model file holds only finite numbers",
    ),
    Case(
        "model-wrong-length",
        lambda f: _predict(f, _model(f, lambda d: d["coef"].pop())),
        "model.json: coef has shape (1,); the model needs (2,)",
    ),
    # ---- numbers beyond float64
    Case(
        "predictions-overflow",
        _scaled_model,
        "far.csv: the model's output for the row at index 1 (counted from 0) is not finite",
    ),
    Case(
        "data-scaled-1e-200",
        lambda f: ["train", _csv(f, scale=1e-200), "--out", _victim(f, "old.json")],
        "The inputs are too small for descent (largest |x| = 2.33e-200): their squares "
        "underflow float64, so no learning rate can fit them; multiply them by 1e200 or so",
    ),
    # ---- terminal control characters are shown escaped
    Case(
        "control-character-in-file-name",
        lambda f: ["train", _text(f, "bad\x07name.csv", "a,b,y\n1,x,2\n")],
        "bad\\x07name.csv: row 2, column 'b' (2) is not a number: 'x'",
    ),
    Case(
        "control-characters-in-a-header",
        lambda f: ["train", _text(f, "data.csv", "a,\x1b[2J\x1b]0;owned\x07,y\n1,x,2\n")],
        "column '\\x1b[2J\\x1b]0;owned\\x07' (2) is not a number: 'x'",
    ),
    Case(
        "control-characters-in-an-output-name",
        lambda f: _train(f, "--out", f / "m\x1b[2J.jsn"),
        "m\\x1b[2J.jsn': the file name must end in .json",
    ),
    # ---- text that is not a table
    Case(
        "csv-very-long-cell",
        lambda f: ["train", _text(f, "data.csv", "a,y\n" + "1" * 10**6 + ",2\n")],
        "data.csv: row 2 has a cell of more than 131072 characters",
    ),
    Case(
        "csv-nul-byte",
        lambda f: ["train", _bytes(f, "data.csv", b"a,y\n1\x002,3\n4,5\n")],
        "data.csv: row 2, column 'a' (1) is not a number: '1\\x002'",
    ),
    Case(
        "csv-latin-1",
        lambda f: ["train", _bytes(f, "data.csv", "ä,y\n1,2\n".encode("latin-1"))],
        "data.csv: row 1 is not UTF-8 text (byte 0xe4)",
    ),
    Case(
        "csv-utf-16",
        lambda f: ["train", _bytes(f, "data.csv", "a,y\n1,2\n".encode("utf-16"))],
        "data.csv is UTF-16 text",
    ),
    Case(
        "csv-open-quote",
        lambda f: ["train", _text(f, "data.csv", 'a,y\n"1,2\n3,4\n5,6\n')],
        "is a closing quote missing?",
    ),
]


def _fifo(folder: Path, name: str) -> Path:
    path = folder / name
    os.mkfifo(path)
    return path


def _bytes(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def _text(folder: Path, name: str, text: str) -> Path:
    return _bytes(folder, name, text.encode("utf-8"))


def _saved(folder: Path, name: str, array) -> Path:
    path = folder / name
    np.save(path, array, allow_pickle=True)
    return path


def _snapshot(folder: Path) -> dict:
    """Everything in ``folder`` as it is: each entry's kind and content (a link's target,
    a file's bytes), hidden and temporary files included."""
    import stat

    found = {}
    for entry in os.scandir(folder):
        mode = entry.stat(follow_symlinks=False).st_mode
        if stat.S_ISLNK(mode):
            found[entry.name] = ("link", os.readlink(entry.path))
        elif stat.S_ISREG(mode):
            found[entry.name] = ("file", Path(entry.path).read_bytes())
        else:
            found[entry.name] = ("other", stat.S_IFMT(mode))
    return found


def _control_characters(text: str) -> list[str]:
    return [c for c in text if unicodedata.category(c) == "Cc" and c != "\n"]


def _run_cli(args: list, folder: Path, in_subprocess: bool) -> tuple[int, str, str]:
    """(exit status, standard output, standard error) of ``descend ARGS``."""
    args = [str(a) for a in args]
    if in_subprocess:
        proc = subprocess.run(
            [sys.executable, "-m", "descend.cli", *args],
            capture_output=True, text=True, cwd=folder, timeout=SUBPROCESS_TIMEOUT,
            env={**os.environ, "COLUMNS": "400"},
        )  # fmt: skip
        return proc.returncode, proc.stdout, proc.stderr
    result = runner.invoke(app, args)
    # a traceback in the command shows as result.exception, not in its output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.skipif(not POSIX, reason="links, named pipes and devices as POSIX has them")
@pytest.mark.parametrize("case", CLI_CASES, ids=[case.id for case in CLI_CASES])
def test_cli_refuses(case: Case, tmp_path, monkeypatch):
    if case.root and os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    monkeypatch.chdir(tmp_path)  # link targets are relative to the folder
    args = case.make(tmp_path)
    before = _snapshot(tmp_path)
    code, stdout, stderr = _run_cli(args, tmp_path, case.subprocess)
    assert code == 2, (stdout, stderr)
    assert "Traceback" not in stdout + stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    assert case.fragment in lines[0], lines[0]
    assert not _control_characters(stdout + stderr), repr(stdout + stderr)
    # nothing replaced, removed, added or left half-written: links point where they did,
    # files hold what they held, no temporary file is left behind
    assert _snapshot(tmp_path) == before


# ------------------------------------------------------------------- the library's cases


def _read(path, **kwargs):
    return lambda: datafiles.read(path, **kwargs)


def _from_dict(change):
    data = copy.deepcopy(_good_model())
    change(data)
    return lambda: serialize.from_dict(data)


def _fitted(kind=GDRegressor):
    X = np.random.default_rng(2).normal(size=(30, 2))
    y = X @ [1.0, -1.0] > 0 if kind is GDClassifier else X @ [1.0, -1.0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return kind(max_epochs=20).fit(X, y)


def _classifier_dict(change):
    X = np.random.default_rng(3).normal(size=(30, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GDClassifier(max_epochs=5).fit(X, np.where(X[:, 0] > 0, "yes", "no"))
    data = json.loads(json.dumps(serialize.to_dict(model)))
    change(data)
    return lambda: serialize.from_dict(data)


def _honest_bomb(folder: Path, monkeypatch):
    """A real deflate bomb, scaled down: 64 MiB of zeros in a few hundred KiB, read under a
    limit of 16 MiB."""
    path = folder / "bomb.npz"
    np.savez_compressed(path, X=np.zeros((2**20, 8)), y=np.zeros(2**20))
    assert path.stat().st_size < 2**20
    monkeypatch.setattr(datafiles, "MAX_ARRAY_BYTES", 16 * 2**20)
    return _read(path)


def _scaler_overflow():
    model = serialize.Model(_fitted(), scaler_mean=np.array([-1e308, 0.0]))
    return lambda: model.predict(np.array([[1e308, 1.0]]))


def _write_through(folder: Path, target: str):
    link = _link(folder, "out.csv", target)
    return lambda: datafiles.write_csv(link, ["a"], [[1.0]])


LIBRARY_CASES = [
    ("read-npz-deflate-bomb", lambda f, m: _read(_npz_declaring(f / "d.npz", (2**37, 1))),
     DataFileError, "which would take 1 TiB of memory"),
    ("read-npz-honest-bomb", _honest_bomb, DataFileError,
     "has an array 'X' of shape (1048576, 8) of float64 values (64 MiB), which would take "
     "64 MiB of memory, more than the 16 MiB descend allows"),
    ("read-npy-huge-shape",
     lambda f, m: _read(_bytes(f, "d.npy", _npy_header((2**40, 2**40)) + bytes(8))),
     DataFileError, "declares (1099511627776, 1099511627776) of float64 values"),
    ("read-npy-negative-shape", lambda f, m: _read(_bytes(f, "d.npy", _npy_header((-3, 2)))),
     DataFileError, "is not a valid .npy file: its header declares the shape (-3, 2)"),
    ("read-npy-void", lambda f, m: _read(_bytes(f, "d.npy", _npy_header((2, 2), "|V0"))),
     DataFileError, "holds |V0 values; expected numbers"),
    ("read-npy-empty-file", lambda f, m: _read(_bytes(f, "d.npy", b"")),
     DataFileError, "does not begin with the signature of a NumPy array file (it is empty)"),
    ("model-target-a-list", lambda f, m: _from_dict(lambda d: d["extra"].update(target=[])),
     ModelFileError, "extra.target is []; expected a column name"),
    ("model-interrupted-a-string",
     lambda f, m: _from_dict(lambda d: d["extra"].update(interrupted="no")),
     ModelFileError, "extra.interrupted is 'no'; expected true or false"),
    ("model-names-in-repeated",
     lambda f, m: _from_dict(lambda d: d.update(feature_names_in=["b", "b"])),
     ModelFileError, "feature_names_in[1] repeats the name 'b' of feature_names_in[0]"),
    ("model-huge-integer-setting",
     lambda f, m: _from_dict(lambda d: d["params"].update(alpha=10**400)),
     ModelFileError, "params.alpha is a whole number of about 401 digits"),
    ("model-infinite-setting",
     lambda f, m: _from_dict(lambda d: d["params"].update(random_state=float("inf"))),
     ModelFileError, "params.random_state is Infinity"),
    ("model-nan-in-class-weight",
     lambda f, m: _classifier_dict(
         lambda d: d["params"].update(class_weight=[["yes", float("nan")]])),
     ModelFileError, "params.class_weight[0][1] is NaN"),
    ("model-giant-label-dtype",
     lambda f, m: _classifier_dict(lambda d: d.update(classes_dtype="<U100000000")),
     ModelFileError, "classes_dtype is '<U100000000'; expected the dtype of class labels"),
    ("fit-data-scaled-1e-200",
     lambda f, m: lambda: GDRegressor().fit(np.eye(3) * 1e-200, [1.0, 2.0, 3.0]),
     ValueError, "The inputs are too small for descent (largest |x| = 1e-200)"),
    ("fit-data-scaled-1e-200-given-rate",
     lambda f, m: lambda: GDRegressor(learning_rate=0.1).fit(np.eye(3) * 1e-200, [1.0, 2, 3]),
     ValueError, "so no learning rate can fit them"),
    ("fit-no-intercept-1e-200",
     lambda f, m: lambda: GDClassifier(fit_intercept=False).fit(
         np.eye(4) * -1e-200, [0, 1, 0, 1]),
     ValueError, "their squares underflow float64"),
    ("predict-overflows",
     lambda f, m: lambda: _fitted().predict(np.array([[1.0, 1.0], [1e308, -1e308]])),
     ValueError, "the model's output for the row at index 1 (counted from 0) is not finite"),
    ("predict-proba-overflows",
     lambda f, m: lambda: _fitted(GDClassifier).decision_function(np.full((1, 2), 1e308)),
     ValueError, "the model's output for the row at index 0 (counted from 0) is not finite"),
    ("standardising-overflows", lambda f, m: _scaler_overflow(), ValueError,
     "standardising the data goes beyond the range of float64 at the row at index 0, "
     "column 1"),
    ("write-through-link-to-fifo",
     lambda f, m: _write_through(f, _fifo(f, "pipe").name),
     OSError, "is a named pipe (FIFO), not a regular file"),
    ("write-through-dangling-link", lambda f, m: _write_through(f, "nowhere.csv"),
     FileNotFoundError, "is a link to a file that does not exist"),
    ("write-over-fifo",
     lambda f, m: functools.partial(datafiles.write_csv, _fifo(f, "out.csv"), ["a"], [[1.0]]),
     OSError, "is a named pipe (FIFO), not a regular file"),
]  # fmt: skip


@pytest.mark.skipif(not POSIX, reason="links and named pipes as POSIX has them")
@pytest.mark.parametrize(
    ("make", "error", "fragment"),
    [case[1:] for case in LIBRARY_CASES],
    ids=[case[0] for case in LIBRARY_CASES],
)
def test_library_refuses(make, error, fragment, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    action = make(tmp_path, monkeypatch)
    before = _snapshot(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a raw NumPy RuntimeWarning fails the case
        with pytest.raises(error) as info:
            action()
    assert fragment in str(info.value), str(info.value)
    assert _snapshot(tmp_path) == before


# ------------------------------------------------------------------- what still works


def test_messages_escape_control_characters():
    assert shown("a\x1b[2Jb\x07c\nd\te\u202eé") == "a\\x1b[2Jb\\x07c\\nd\\te\\u202eé"
    assert shown("plain text, ünïcode and 数字") == "plain text, ünïcode and 数字"


def test_arrays_in_every_layout_still_read(tmp_path):
    data = np.arange(12.0).reshape(4, 3)
    for name, array in [
        ("c.npy", data),
        ("fortran.npy", np.asfortranarray(data)),
        ("big-endian.npy", data.astype(">f8")),
        ("ints.npy", data.astype(np.int16)),
    ]:
        np.save(tmp_path / name, array)
        table = datafiles.read(tmp_path / name)
        np.testing.assert_array_equal(table.X, data[:, :2])
        np.testing.assert_array_equal(table.y, data[:, 2])
    np.savez_compressed(tmp_path / "d.npz", X=np.asfortranarray(data), y=np.array(list("abcd")))
    table = datafiles.read(tmp_path / "d.npz")
    np.testing.assert_array_equal(table.X, data)
    assert table.y.tolist() == list("abcd")


def test_a_link_to_a_regular_file_is_still_written_through_by_the_library(tmp_path):
    target = _victim(tmp_path)
    link = _link(tmp_path, "out.csv", target.name)
    datafiles.write_csv(link, ["a"], [[1]])
    assert link.is_symlink() and target.read_text() == "a\n1\n"


def test_atomic_path_keeps_the_old_file_when_the_writer_fails(tmp_path):
    path = _victim(tmp_path, "picture.png")
    with pytest.raises(RuntimeError), datafiles.atomic_path(path) as partial:
        assert partial.suffix == ".png" and partial.parent == tmp_path
        partial.write_bytes(b"half a pic")
        raise RuntimeError
    assert _snapshot(tmp_path) == {"picture.png": ("file", b"precious bytes\n")}
