"""What the quick commands load: `descend --help`, `descend functions` and a refused formula
must not import scikit-learn, SciPy's special functions, Matplotlib or Numba (nor SymPy, for a
formula refused before it is built). Their times are measured by benchmarks/startup.py, not
here."""

import json
import subprocess
import sys

import pytest

HEAVY = ("sklearn", "scipy.special", "matplotlib", "numba")

# Runs the command line in a fresh interpreter and prints the heavy modules it loaded.
PROBE = """
import json, sys
args, modules = json.loads(sys.argv[1]), json.loads(sys.argv[2])
from descend.cli import main
sys.argv = ["descend", *args]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in modules if m in sys.modules)), file=sys.stderr)
"""


def loaded(args: list[str], modules=(*HEAVY, "sympy")) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), json.dumps(list(modules))],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return json.loads(proc.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "args",
    [["--help"], ["functions"], ["minimize", "x.real"], ["maximize", "rosenbrok"]],
    ids=" ".join,
)
def test_quick_commands_load_nothing_heavy(args):
    assert loaded(args) == []


def test_a_formula_that_runs_loads_sympy_but_nothing_else_heavy():
    assert loaded(["minimize", "x**2", "--x0", "1", "--max-iter", "3"]) == ["sympy"]
