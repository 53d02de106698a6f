"""`descend train` and `descend predict`: models from data files, the same numbers as the
estimators, a clear message for every bad file, and a clean stop on Ctrl-C."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from descend import GDClassifier, GDRegressor, datasets
from descend.cli import app

runner = CliRunner()
# short fits on purpose, compared with the same short fits in Python
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output, result.output
    return result


def write_csv(path, header, rows):
    lines = [",".join(header)] + [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def line_csv(tmp_path):
    X, y = datasets.regression()
    rows = [[repr(float(a)), repr(float(b))] for a, b in zip(X[:, 0], y, strict=True)]
    return write_csv(tmp_path / "line.csv", ["x", "y"], rows), X, y


@pytest.fixture
def blobs_csv(tmp_path):
    X, y = datasets.blobs()
    labels = np.where(y == 1, "spam", "ham")
    rows = [[repr(float(a)), repr(float(b)), c] for (a, b), c in zip(X, labels, strict=True)]
    return write_csv(tmp_path / "blobs.csv", ["x1", "x2", "label"], rows), X, labels


def test_train_reproduces_the_estimator_and_predict_round_trips(line_csv, tmp_path):
    path, X, y = line_csv
    model, history, png = tmp_path / "m.json", tmp_path / "h.csv", tmp_path / "fit.png"
    result = run("train", path, "--alpha", 0.001, "--epochs", 5000, "--tol", 0, "--seed", 0,
                 "--out", model, "--history", history, "--plot", png, "--log")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "task: regression (guessed" in result.output
    assert "[INFO] epoch #5000, loss=" in result.output
    reference = GDRegressor(learning_rate=0.001, max_epochs=5000, tol=0, random_state=0)
    reference.fit(X, y)
    saved = json.loads(model.read_text())
    np.testing.assert_array_equal(saved["coef"], reference.coef_.tolist())
    assert len(history.read_text().splitlines()) == 5002
    assert Image.open(png).size[0] > 800  # the loss and the fitted line side by side
    predictions = tmp_path / "p.csv"
    result = run("predict", model, path, "--out", predictions)
    assert result.exit_code == 0, result.output
    lines = predictions.read_text().splitlines()
    assert lines[0] == "prediction"
    np.testing.assert_array_equal([float(v) for v in lines[1:]], reference.predict(X))


def test_classification_with_text_labels_and_probabilities(blobs_csv, tmp_path):
    path, X, labels = blobs_csv
    model = tmp_path / "m.json"
    result = run("train", path, "--loss", "log_loss", "--lr", 0.01, "--epochs", 100, "--tol",
                 0, "--seed", 0, "--out", model, "--standardize")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "task: classification (guessed: the target holds text labels)" in result.output
    from sklearn.preprocessing import StandardScaler

    scaled = StandardScaler().fit_transform(X)
    reference = GDClassifier(loss="log_loss", learning_rate=0.01, max_epochs=100, tol=0,
                             random_state=0).fit(scaled, labels)  # fmt: skip
    result = run("predict", model, path, "--proba")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "prediction,p(ham),p(spam)"
    assert [line.split(",")[0] for line in lines[1:]] == list(reference.predict(scaled))
    # the same coefficients; the products X·w may differ in the last bit, since BLAS sums
    # a row's terms in an order that depends on where the array happens to sit in memory
    np.testing.assert_allclose(
        [float(line.split(",")[2]) for line in lines[1:]],
        reference.predict_proba(scaled)[:, 1],
        rtol=1e-14,
    )


def test_every_estimator_option_reaches_the_model(line_csv, tmp_path):
    path, _, _ = line_csv
    model = tmp_path / "m.json"
    result = run("train", path, "--penalty", "l2:0.01", "--patience", 5, "--batch-size", 10,
                 "--validation-fraction", 0.2, "--seed", 1, "--optimizer", "adam", "--lr", 0.5,
                 "--out", model)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "[INFO] epoch #1, val_loss=" in result.output
    saved = json.loads(model.read_text())
    params = {k: saved["params"][k] for k in ("penalty", "alpha", "n_iter_no_change",
              "batch_size", "early_stopping", "validation_fraction", "random_state",
              "optimizer", "learning_rate")}  # fmt: skip
    assert params == {"penalty": "l2", "alpha": 0.01, "n_iter_no_change": 5, "batch_size": 10,
                      "early_stopping": True, "validation_fraction": 0.2, "random_state": 1,
                      "optimizer": "adam", "learning_rate": 0.5}  # fmt: skip
    assert saved["feature_names"] == ["x"] and saved["descend_version"]
    result = run("train", path, "--optimizer", "adam", "--momentum", 0.9)
    assert result.exit_code == 2 and "optimizer 'adam' has no momentum setting" in result.output


def test_npy_and_npz(tmp_path):
    X, y = datasets.blobs()
    np.save(tmp_path / "d.npy", np.c_[X, y])
    np.savez(tmp_path / "d.npz", X=X, y=y)
    for name in ("d.npy", "d.npz"):
        result = run("train", tmp_path / name, "--epochs", 50, "--seed", 0)
        assert result.exit_code == 0, result.output
        assert "task: classification (guessed: the target holds 2 whole numbers" in result.output
    reference = GDClassifier(max_epochs=50, random_state=0).fit(X, y)
    result = run("train", tmp_path / "d.npz", "--epochs", 50, "--seed", 0, "--task",
                 "classification", "--out", tmp_path / "m.json")  # fmt: skip
    saved = json.loads((tmp_path / "m.json").read_text())
    np.testing.assert_array_equal(saved["coef"], reference.coef_.tolist())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("x,y\n1,2\n3\n", "row 3 has 1 cell"),
        ("x,y\n1,2\nabc,4\n", "row 3, column 'x' (1) is not a number: 'abc'"),
        ("x,y\n1,2\nnan,4\n", "row 3, column 'x' (1)"),
        ("", "empty"),
        ("x,y\n1,1\n2,1\n3,1\n", "single class"),
    ],
    ids=["ragged", "non-numeric", "nan", "empty", "single-class"],
)
def test_bad_data_is_named_with_row_and_column(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    result = run("train", path, "--task", "classification")
    assert result.exit_code == 2, result.output
    assert message in result.output and "bad.csv" in result.output


def test_missing_target_column_and_wrong_feature_count(line_csv, tmp_path):
    path, _, _ = line_csv
    result = run("train", path, "--target", "price")
    assert result.exit_code == 2 and "price" in result.output
    model = tmp_path / "m.json"
    assert run("train", path, "--epochs", 10, "--out", model).exit_code == 0
    wide = write_csv(tmp_path / "wide.csv", ["a", "b", "c"], [[1, 2, 3]])
    result = run("predict", model, wide)
    assert result.exit_code == 2 and "needs the column 'x', which the file lacks" in result.output
    np.save(tmp_path / "wide.npy", np.ones((1, 3)))
    result = run("predict", model, tmp_path / "wide.npy")
    assert result.exit_code == 2
    assert "trained on 1 feature" in result.output and "3 columns" in result.output
    result = run("predict", tmp_path / "missing.json", wide)
    assert result.exit_code == 2 and "missing.json" in result.output


def test_bad_settings_and_divergence(line_csv):
    path, _, _ = line_csv
    result = run("train", path, "--loss", "hinge", "--task", "regression")
    assert result.exit_code == 2 and "Invalid loss: 'hinge'" in result.output
    result = run("train", path, "--task", "sideways")
    assert result.exit_code == 2 and "--task 'sideways'" in result.output
    result = run("train", path, "--lr", 10, "--epochs", 100)
    assert result.exit_code == 1 and "diverged at epoch" in result.output


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_stops_after_the_epoch_and_writes_the_model(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20000, 5))
    np.savez(tmp_path / "big.npz", X=X, y=X @ np.arange(5.0))
    model = tmp_path / "m.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "descend.cli", "train", str(tmp_path / "big.npz"), "--epochs",
         "1000000", "--tol", "0", "--lr", "1e-6", "--log", "--out", str(model)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if line.startswith("[INFO] epoch #3"):
                break
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    saved = json.loads(model.read_text())
    assert saved["extra"]["interrupted"] is True
    assert saved["stop_reason"] == "callback" and saved["n_iter"] >= 3
    assert not [p for p in os.listdir(tmp_path) if "partial" in p or p.startswith(".")]


def test_predict_matches_columns_by_name_and_reads_arrays(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    y = X @ [1.0, 2.0, 3.0]
    rows = [[*map(repr, r), repr(t)] for r, t in zip(X.tolist(), y.tolist(), strict=True)]
    data = write_csv(tmp_path / "abc.csv", ["a", "b", "c", "t"], rows)
    model = tmp_path / "m.json"
    assert run("train", data, "--epochs", 20, "--out", model).exit_code == 0
    shuffled = write_csv(tmp_path / "cab.csv", ["c", "a", "b"], [[r[2], r[0], r[1]] for r in rows])
    by_name = run("predict", model, shuffled).output.splitlines()[1:]
    in_order = run("predict", model, data).output.splitlines()[1:]
    assert by_name == in_order
    renamed = write_csv(tmp_path / "abd.csv", ["a", "b", "d"], [r[:3] for r in rows])
    result = run("predict", model, renamed)
    assert result.exit_code == 2 and "needs the column 'c', which the file lacks" in result.output
    np.save(tmp_path / "x.npy", X)
    result = run("predict", model, tmp_path / "x.npy")
    assert result.exit_code == 0, result.output
    np.testing.assert_allclose(
        [float(v) for v in result.output.splitlines()[1:]], [float(v) for v in in_order],
        rtol=1e-12,
    )  # fmt: skip


def test_outputs_never_overwrite_inputs_and_user_text_is_printed_as_is(line_csv, tmp_path):
    path, _, _ = line_csv
    before = path.read_text()
    result = run("train", path, "--history", path.with_suffix(".csv"))
    assert result.exit_code == 2 and "would overwrite the input file" in result.output
    assert path.read_text() == before
    result = run("minimize", "x[/]")
    assert result.exit_code == 2 and "Traceback" not in result.output
    odd = tmp_path / "h[bold].csv"
    result = run("minimize", "x**2", "--x0", 1, "--lr", 0.1, "--history", odd)
    assert result.exit_code == 0 and odd.exists() and "h[bold].csv" in result.output


def test_whole_number_labels_stay_whole(tmp_path):
    X, y = datasets.blobs()
    np.savez(tmp_path / "d.npz", X=X, y=y)
    model = tmp_path / "m.json"
    assert run("train", tmp_path / "d.npz", "--epochs", 20, "--out", model).exit_code == 0
    result = run("predict", model, tmp_path / "d.npz", "--proba")
    lines = result.output.splitlines()
    assert lines[0] == "prediction,p(0),p(1)"
    assert {line.split(",")[0] for line in lines[1:]} == {"0", "1"}
