"""Every script in examples/ runs from a clean interpreter, prints what it promises and
writes the pictures it says it wrote."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
#: Something each example must print.
EXPECTED = {
    "t1_parabola.py": "local minimum at x = 3.05 after 273 steps",
    "t2_square.py": "after  30 steps: w = 0.0247588",
    "t3_momentum_grid.py": " 0.05  0.9         0.078307",
    "t4_line_fit.py": "gradient descent: intercept 1.20, slope 62.81",
    "t5_blobs_classifier.py": "training accuracy 100%",
    "t6_digits_batch_vs_stochastic.py": "batch: 12 epochs (tol), E = 2.9988",
    "t7_dummy_trap.py": "dummy-variable trap",
}


def test_every_example_is_listed():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs(name, tmp_path):
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert EXPECTED[name] in done.stdout
    # The last line says what was written: "wrote a.png, b.gif to <folder>".
    names, _, folder = done.stdout.splitlines()[-1].removeprefix("wrote ").partition(" to ")
    assert folder == str(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names.split(", "))
    for path in tmp_path.iterdir():
        with Image.open(path) as image:
            image.verify()  # decodes as a whole
        with Image.open(path) as image:
            assert image.format == path.suffix[1:].upper()  # PNG or GIF
            assert np.asarray(image.convert("L")).std() > 0, f"{path.name} is blank"
