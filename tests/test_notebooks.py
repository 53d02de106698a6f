"""The tutorial notebooks run from top to bottom and show the tutorials' numbers.

Each notebook in notebooks/ is executed in a fresh kernel of this interpreter. A notebook ends
with asserts on the numbers the tutorial lists, so a failing check fails its run; this test
also reads the printed numbers back from the executed outputs and checks that each notebook
draws at least one picture. The notebooks are kept in git without outputs."""

import json
import re
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

#: What each notebook must print (exactly these characters, somewhere in its outputs).
PRINTS = {
    "t1_parabola": ["x = 3.0483 after 273 steps", "stopped by 'xtol'"],
    "t2_square": [
        "after  30 steps: w = 0.02476",
        "after 100 steps: w = 4.074e-09",
        "first steps: [16.   12.8  10.24]",
        "same path as descent: True",
    ],
    "t3_momentum": [" 0.05  0.9         0.078307", " 0.50  0.0         0.000000"],
    "t4_line_fit": [
        "gradient descent: intercept 1.20, slope 62.81",
        "least squares:    intercept 1.49, slope 63.42",
    ],
    "t5_blobs_classifier": ["training accuracy: 100%", "[INFO] epoch #100, loss="],
    "t6_digits_batch_vs_stochastic": [
        "batch: 12 epochs, E = 2.9988, train error 0.69 %, test error 1.39 %",
        "train error 0.35 %, test error 1.39 %",
    ],
    "t7_dummy_trap": ["rank of XᵀX: 2", "have no unique solution"],
}
#: The quick suite runs one notebook (a kernel takes a second or two to start); `pytest -m
#: slow` runs the others.
QUICK = {"t1_parabola"}


def test_every_notebook_is_listed():
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == sorted(PRINTS)


@pytest.mark.parametrize("name", sorted(PRINTS))
def test_a_notebook_is_kept_without_outputs(name):
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)


@pytest.fixture
def kernel_name(tmp_path, monkeypatch):
    """A kernel of this very interpreter, whatever kernels the machine has installed."""
    spec = tmp_path / "jupyter" / "kernels" / "descend-tests"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": "descend tests", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # quiet the kernel's debugger
    return "descend-tests"


def outputs(notebook) -> tuple[str, int]:
    """Everything the code cells printed, and how many pictures they drew."""
    text, pictures = [], 0
    for cell in notebook.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                text.append(out.text)
            elif out.output_type in ("display_data", "execute_result"):
                pictures += "image/png" in out.data
                text.append(out.data.get("text/plain", ""))
    return "".join(text), pictures


@pytest.mark.parametrize(
    "name", [n if n in QUICK else pytest.param(n, marks=pytest.mark.slow) for n in sorted(PRINTS)]
)
def test_a_notebook_runs_and_shows_the_tutorials_numbers(name, kernel_name, tmp_path):
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        kernel_name=kernel_name,
        timeout=300,
        resources={"metadata": {"path": str(tmp_path)}},  # the kernel's working folder
    )
    client.execute()  # raises CellExecutionError, with the cell, if any cell fails
    text, pictures = outputs(notebook)
    for expected in PRINTS[name]:
        assert expected in text, f"{name} did not print {expected!r}:\n{text}"
    assert pictures >= 1, f"{name} drew no picture"
    # the last cell holds the checks on the tutorial's numbers, and they all passed
    assert notebook.cells[-1].outputs[-1].text.strip() == "all checks pass"
    if name == "t5_blobs_classifier":
        # the monitored Σe² after 100 epochs, read back from the log line
        loss = float(re.search(r"epoch #100, loss=([\d.]+)", text).group(1))
        assert 3 <= loss <= 10
