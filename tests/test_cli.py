"""The `descend` command line."""

import subprocess
import sys

from typer.testing import CliRunner

import descend
from descend.cli import app

runner = CliRunner()


def test_demo_prints_our_numbers_next_to_the_tutorials():
    result = runner.invoke(app, ["demo", "--no-pictures"])
    assert result.exit_code == 0, result.output
    for text in (
        "T1",
        "T2",
        "T3",
        "3.0483",
        "273",
        "0.02476",
        "4.07e-09",
        "T7",
        "62.81",
        "63.42",
        "2.9988",
        "singular",
        "closed form",
        "Every number matches the tutorial",
    ):
        assert text in result.output


def test_demo_selected_experiments():
    result = runner.invoke(app, ["demo", "t2", "--no-pictures"])
    assert result.exit_code == 0
    assert "T2" in result.output and "T1 —" not in result.output


def test_demo_unknown_experiment_is_a_usage_error_without_traceback():
    result = runner.invoke(app, ["demo", "T9"])
    assert result.exit_code == 2
    assert "unknown experiment 'T9'" in result.output
    assert "Traceback" not in result.output


def test_version_and_help():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and descend.__version__ in result.output
    result = runner.invoke(app, ["demo", "--help"])
    assert result.exit_code == 0 and "Examples" in result.output


def test_console_script_runs_as_a_process():
    proc = subprocess.run(
        [sys.executable, "-m", "descend.cli", "demo", "T1", "--no-pictures"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "3.0483" in proc.stdout
