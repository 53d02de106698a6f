"""`descend train` on data read a chunk at a time: several Parquet files (a glob, a folder),
a .npy file with --target-file, and the Dask cluster of --workers / --scheduler; every
refusal a one-line message, never a traceback."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from typer.testing import CliRunner

from descend import GDClassifier, GDRegressor
from descend.cli import app

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

runner = CliRunner()
# short fits on purpose, compared with the same short fits in Python
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output, result.output
    return result


def _rows(seed=0, n=600):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * [1.0, 10.0, 100.0] + [0.0, 5.0, -50.0]
    y = (X[:, 0] + X[:, 1] / 10 > 0.5).astype(np.int64)
    return X, y


@pytest.fixture
def parquet_dir(tmp_path):
    """Three Parquet files of 600 rows (two row groups each) and the same rows in memory."""
    folder = tmp_path / "data"
    folder.mkdir()
    Xs, ys = [], []
    for k in range(3):
        X, y = _rows(k)
        frame = pd.DataFrame(X, columns=["a", "b", "c"])
        frame["y"] = y
        frame.to_parquet(folder / f"part{k}.parquet", row_group_size=300)
        Xs.append(X)
        ys.append(y)
    return folder, np.concatenate(Xs), np.concatenate(ys)


SETTINGS = ("--epochs", 20, "--seed", 0, "--lr", 0.01, "--optimizer", "gd")


def _model(path):
    return json.loads(path.read_text())


def test_a_glob_of_parquet_files_trains_a_chunk_at_a_time(parquet_dir, tmp_path, monkeypatch):
    folder, X, y = parquet_dir
    from descend import datafiles

    def whole(*args, **kwargs):
        raise AssertionError("the files were read whole")

    monkeypatch.setattr(datafiles, "read", whole)
    out, history = tmp_path / "m.json", tmp_path / "h.csv"
    result = run("train", folder / "*.parquet", "--target", "y", *SETTINGS, "--lr", 1e-4, "--log",
                 "--out", out, "--history", history)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "1800 rows in 3 chunks, 3 features, target 'y'" in result.output
    assert "task: classification (guessed: the target holds 2 whole numbers" in result.output
    assert "[INFO] training on 1800 rows in 3 chunks on this machine" in result.output
    assert "[INFO] epoch #20, loss=" in result.output and "training accuracy" in result.output
    reference = GDClassifier(max_epochs=20, random_state=0, learning_rate=1e-4,
                             optimizer="gd", record_weights=False)  # fmt: skip
    reference.fit(str(folder / "*.parquet"), "y")
    saved = _model(out)
    np.testing.assert_array_equal(saved["coef"], reference.coef_)
    np.testing.assert_array_equal(saved["intercept"], reference.intercept_)
    assert saved["classes"] == [0, 1]  # whole numbers stay whole, as from a file read whole
    assert saved["feature_names"] == ["a", "b", "c"] and saved["feature_names_in"] is None
    assert len(history.read_text().splitlines()) == 1 + 21  # the header, epochs 0 to 20
    monkeypatch.undo()
    # predict reads the model as any other; the score printed is the model's own
    whole_file = tmp_path / "all.parquet"
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame["y"] = y
    frame.to_parquet(whole_file)
    predicted = run("predict", out, whole_file)
    assert predicted.exit_code == 0, predicted.output
    values = np.array(predicted.stdout.split()[1:], dtype=int)
    assert f"training accuracy: {np.mean(values == y):.2%}" in result.output


def test_standardize_in_chunks_matches_the_file_read_whole(parquet_dir, tmp_path):
    folder, X, y = parquet_dir
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame["y"] = y
    frame.to_parquet(tmp_path / "all.parquet")
    whole, chunked = tmp_path / "whole.json", tmp_path / "chunked.json"
    result = run("train", tmp_path / "all.parquet", *SETTINGS, "--standardize", "--out", whole)
    assert result.exit_code == 0, result.output
    # a folder, the target by default the last column, several chunks per file
    result = run("train", folder, *SETTINGS, "--standardize", "--chunk-mb", 0.01,
                 "--out", chunked, "--plot", tmp_path / "loss.png")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "1800 rows in 6 chunks" in result.output
    a, b = _model(whole), _model(chunked)
    np.testing.assert_allclose(b["scaler"]["mean"], a["scaler"]["mean"], rtol=1e-12)
    np.testing.assert_allclose(b["scaler"]["scale"], a["scaler"]["scale"], rtol=1e-12)
    np.testing.assert_allclose(b["coef"], a["coef"], rtol=1e-9)
    np.testing.assert_allclose(b["intercept"], a["intercept"], rtol=1e-9)
    assert (tmp_path / "loss.png").stat().st_size > 0


def test_a_npy_file_with_its_targets_in_another(tmp_path):
    X, _ = _rows()
    y = X @ [1.0, 0.5, 0.01] + 2.0
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    out = tmp_path / "m.json"
    result = run("train", tmp_path / "X.npy", "--target-file", tmp_path / "y.npy", *SETTINGS,
                 "--lr", 1e-5, "--out", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "600 rows in 1 chunk, 3 features, targets from" in result.output
    assert "task: regression (guessed: the target holds real numbers" in result.output
    reference = GDRegressor(max_epochs=20, random_state=0, learning_rate=1e-5, optimizer="gd",
                            record_weights=False).fit(X, y)  # fmt: skip
    np.testing.assert_allclose(_model(out)["coef"], reference.coef_, rtol=1e-9)
    assert _model(out)["feature_names"] == ["x1", "x2", "x3"]


def test_text_labels_and_a_single_class_in_chunks(tmp_path):
    X, y = _rows()
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame["label"] = np.where(y == 1, "yes", "no")
    frame.to_parquet(tmp_path / "text.parquet", row_group_size=100)
    result = run("train", tmp_path / "text.parquet", "--chunk-mb", 0.001, "--epochs", 3)
    assert result.exit_code == 0, result.output
    assert "in 6 chunks" in result.output and "the target holds text labels" in result.output
    result = run("train", tmp_path / "text.parquet", "--chunk-mb", 1, "--task", "regression")
    assert result.exit_code == 2 and "cannot be regressed on" in result.output
    frame["label"] = "yes"
    frame.to_parquet(tmp_path / "one.parquet")
    result = run("train", tmp_path / "one.parquet", "--chunk-mb", 1)
    assert result.exit_code == 2 and "single class, 'yes'" in result.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--workers", 2, "--scheduler", "tcp://127.0.0.1:1"], "give one"),
        (["--workers", 0], "--workers 0"),
        (["--validation-fraction", 0.2], "--validation-fraction"),
        (["--chunk-mb", 0], "--chunk-mb"),
        (["--target-file", "y.npy"], "name their target column with --target"),
        (["--target", "nope"], "has no column 'nope'"),
        (["--scheduler", "nonsense"], "cannot connect to a Dask scheduler"),
        (["--scheduler", "tcp://127.0.0.1:1", "--scheduler-timeout", 0.2], "Timed out"),
    ],
    ids=["both", "no-workers", "validation", "chunk-size", "target-file", "target", "address",
         "unreachable"],
)  # fmt: skip
def test_refused_combinations_are_one_line(parquet_dir, extra, message):
    folder, _, _ = parquet_dir
    start = time.monotonic()
    result = run("train", folder, "--epochs", 2, *extra)
    assert result.exit_code == 2, result.output
    assert message in result.output and result.output.count("error:") == 1
    assert time.monotonic() - start < 10


def test_what_is_not_read_in_chunks_is_refused(tmp_path):
    (tmp_path / "a.csv").write_text("x,y\n1,0\n2,1\n")
    np.save(tmp_path / "X.npy", np.ones((4, 2)))
    result = run("train", tmp_path / "a.csv", "--workers", 2)
    assert result.exit_code == 2 and "convert the data to Parquet" in result.output
    result = run("train", tmp_path / "X.npy", "--chunk-mb", 1)
    assert result.exit_code == 2 and "--target-file y.npy" in result.output
    result = run("train", tmp_path / "nothing" / "*.parquet")
    assert result.exit_code == 2 and "no file matches this pattern" in result.output
    (tmp_path / "empty").mkdir()
    result = run("train", tmp_path / "empty")
    assert result.exit_code == 2 and "holds no .parquet files" in result.output


def test_without_distributed_the_message_names_the_extra(parquet_dir, monkeypatch):
    folder, _, _ = parquet_dir
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    result = run("train", folder, "--workers", 2)
    assert result.exit_code == 2 and 'pip install "descend[dask]"' in result.output


def test_a_lost_cluster_says_how_to_go_on(parquet_dir, tmp_path, monkeypatch):
    from descend.errors import ClusterError

    def lost(self, *args, **kwargs):
        raise ClusterError("gone") from ConnectionResetError("the scheduler went away")

    monkeypatch.setattr(GDClassifier, "fit", lost)
    folder, _, _ = parquet_dir
    result = run("train", folder, "--epochs", 2)
    assert result.exit_code == 1, result.output
    assert "the Dask cluster was lost during the fit" in result.output
    assert "--checkpoint DIR" in result.output and "--resume" in result.output
    result = run("train", folder, "--epochs", 2, "--checkpoint", tmp_path / "run")
    assert result.exit_code == 1 and "with --resume to go on from the last" in result.output


@pytest.mark.slow
def test_two_local_workers_give_the_same_model(parquet_dir, tmp_path):
    folder, _, _ = parquet_dir
    here, there = tmp_path / "here.json", tmp_path / "there.json"
    result = run("train", folder, *SETTINGS, "--standardize", "--out", here)
    assert result.exit_code == 0, result.output
    result = run("train", folder, *SETTINGS, "--standardize", "--workers", 2, "--log",
                 "--out", there)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "[INFO] training on 1800 rows in 3 chunks on 2 local Dask workers" in result.output
    a, b = _model(here), _model(there)
    for key in ("coef", "intercept", "scaler", "classes", "n_iter"):
        assert a[key] == b[key], key


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_at_a_terminal_spares_the_local_workers(parquet_dir, tmp_path):
    """Ctrl-C goes to the whole foreground process group, the workers too: they ignore it,
    and train stops after the epoch and writes the model, as without a cluster."""
    folder, _, _ = parquet_dir
    model = tmp_path / "m.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "descend.cli", "train", str(folder), "--epochs", "1000000",
         "--tol", "0", "--lr", "1e-9", "--workers", "2", "--log", "--out", str(model)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if proc.stdout.readline().startswith("[INFO] epoch #3"):
                break
        os.killpg(proc.pid, signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert _model(model)["extra"]["interrupted"] is True
