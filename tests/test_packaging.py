"""descend ships its type information (PEP 561): the ``py.typed`` marker is in the package,
the package data names it, and a built wheel carries it."""

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_package_has_the_py_typed_marker():
    marker = ROOT / "src" / "descend" / "py.typed"
    assert marker.is_file()
    # PEP 561 asks for a marker only; "partial\n" would say the stubs are incomplete.
    assert "partial" not in marker.read_text(encoding="utf-8")


def test_the_package_data_names_the_marker():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package_data = config["tool"]["setuptools"]["package-data"]
    assert "py.typed" in package_data["descend"]


@pytest.mark.slow
def test_a_built_wheel_carries_the_marker(tmp_path):
    # Built from a copy of what the build reads, so it leaves nothing in the checkout.
    source = tmp_path / "source"
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps",
         "--wheel-dir", str(tmp_path / "dist"), str(source)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = (tmp_path / "dist").glob("descend-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert "descend/py.typed" in archive.namelist()
