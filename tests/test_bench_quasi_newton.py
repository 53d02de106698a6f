"""benchmarks/quasi_newton_zoo.py runs on a small part of the zoo and prints its tables."""

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "quasi_newton_zoo.py"


@pytest.fixture(scope="module")
def zoo():
    spec = importlib.util.spec_from_file_location("quasi_newton_zoo", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def test_a_small_run_prints_a_row_per_problem_and_method(zoo, capsys):
    pytest.importorskip("scipy")
    assert zoo.main(["--problems", "booth,rosenbrock-10"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("| ")]
    header = lines[0]
    for column in ("function", "method", "final f", "distance to minimiser", "iterations",
                   "f evals", "grad evals", "converged"):  # fmt: skip
        assert column in header
    methods = list(zoo.METHODS)
    try:
        import torch  # noqa: F401
    except ImportError:
        methods.remove("torch LBFGS")
        assert "torch is not installed" in out
    rows = [line.split("|")[1:-1] for line in lines[1:] if line.startswith(("| booth", "| rosen"))]
    assert len(rows) == 2 * len(methods)
    for cells in rows:
        _, method, _, distance, nit, nfev, ngev = (c.strip() for c in cells[:7])
        assert method in methods
        assert int(nit) > 0 and int(nfev) >= int(nit) and int(ngev) > 0
        assert float(distance) < 1e-3  # all of them find these minima
        assert cells[-1].strip() == "yes", cells
    assert "Summed over the 2 problems every method converged on" in out


def test_unknown_problems_and_methods_are_refused(zoo, capsys):
    with pytest.raises(SystemExit) as info:
        zoo.main(["--problems", "booth,nowhere"])
    assert info.value.code == 2 and "unknown problem 'nowhere'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        zoo.main(["--methods", "descend adam"])
    assert "unknown method 'descend adam'" in capsys.readouterr().err
