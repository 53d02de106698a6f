"""What the quick commands load: `descend --help`, `descend functions` and a refused formula
must not import scikit-learn, SciPy's special functions, Matplotlib or Numba (nor SymPy, for a
formula refused before it is built), nor the automatic-differentiation libraries, which
`import descend` never loads until a run asks for one. Their times are measured by
benchmarks/startup.py, not here."""

import json
import subprocess
import sys

import pytest

BACKENDS = ("jax", "torch", "autograd")
HEAVY = ("sklearn", "scipy.special", "matplotlib", "numba", *BACKENDS)

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


# A run on NumPy code with grad="auto" reads the code for a backend and imports none.
AUTO = """
import json, sys
import numpy as np
import descend
res = descend.minimize(lambda x: np.sum(x ** 2), np.ones(2), grad="auto", max_iter=2)
assert res.gradient == "numeric"
print(json.dumps(sorted(m for m in json.loads(sys.argv[1]) if m in sys.modules)))
"""


def test_import_descend_and_grad_auto_on_numpy_code_load_no_backend():
    proc = subprocess.run(
        [sys.executable, "-c", AUTO, json.dumps(list(BACKENDS))],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []
