"""descend's L-BFGS and conjugate gradients against SciPy and PyTorch on the test-function zoo.

    python benchmarks/quasi_newton_zoo.py                        # everything (seconds)
    python benchmarks/quasi_newton_zoo.py --problems booth,rosenbrock-100
    python benchmarks/quasi_newton_zoo.py --methods "descend lbfgs,scipy L-BFGS-B"

Every function of :mod:`descend.functions` from its own ``x0``, Rosenbrock in 10 and 100
dimensions from (-1.2, 1, -1.2, 1, ...), and a 100-dimensional convex quadratic whose
Hessian's eigenvalues spread over three decades, each run by:

- ``descend lbfgs`` and ``descend cg``: :func:`descend.minimize` with ``optimizer="lbfgs"``
  or ``"cg"`` at their default strong-Wolfe line search (memory 10; PR+ with c2 = 0.1);
- ``scipy L-BFGS-B`` (``maxcor=10``) and ``scipy CG``: :func:`scipy.optimize.minimize`;
- ``torch LBFGS``: ``torch.optim.LBFGS(lr=1, history_size=10, line_search_fn="strong_wolfe")``
  in float64, one ``step`` holding all the iterations.

All are given the same objective and gradient (the zoo's NumPy code; torch's closure copies
the gradient in, no autograd) and asked to stop at a gradient of norm 1e-5, within 10 000
iterations, on the gradient alone: SciPy's ``ftol`` and torch's ``tolerance_change``, which
stop a run whose f or x hardly changes (by default at a relative 2.2e-9 and an absolute
1e-9), are set to zero. The gradient tests still differ where the libraries do not let them
agree:

- descend and SciPy's CG (``norm=2``) stop when the 2-norm of the gradient is at most 1e-5;
- SciPy's L-BFGS-B stops when the largest entry of the projected gradient (the gradient,
  without bounds) is at most 1e-5 (``pgtol``), and torch when the largest entry of the
  gradient is (``tolerance_grad``): in n dimensions the 2-norm may then be up to √n times
  larger.

The line searches stop a run too, when they find no step that decreases f (descend's
reason ``line_search``, SciPy's ``abnormal``), and torch stops when a step changes nothing.

The evaluations are counted by wrappers around the objective and the gradient, the same
for every library (SciPy's L-BFGS-B and torch evaluate both at every point they visit).
"converged" says that the run stopped on its own gradient test; the 2-norm of the gradient
at the point returned, worked out here alike for all, stands beside it. The distance is to
the nearest known global minimiser, so a run that ends in another local minimum shows a
large one.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

try:
    import descend
except ImportError:  # a checkout that was not pip-installed: use its src/
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import descend

from descend import functions

GTOL = 1e-5
MAX_ITER = 10_000
METHODS = ("descend lbfgs", "descend cg", "scipy L-BFGS-B", "scipy CG", "torch LBFGS")


@dataclass
class Problem:
    name: str
    fun: object  # x (1-D array) -> float
    grad: object  # x (1-D array) -> 1-D array
    x0: np.ndarray
    minimisers: list  # 1-D arrays


@dataclass
class Row:
    problem: str
    method: str
    f: float
    distance: float
    nit: int
    nfev: int
    ngev: int
    grad_norm: float
    stop: str

    @property
    def converged(self) -> bool:
        """Whether the run stopped on its own gradient test."""
        return self.stop in ("gtol", "pgtol")


def _zoo_problem(fn) -> Problem:
    scalar = fn.ndim == 1

    def fun(x):
        return float(fn(float(x[0]) if scalar else x))

    def grad(x):
        return np.atleast_1d(np.asarray(fn.grad(float(x[0]) if scalar else x), dtype=float))

    minimisers = [np.atleast_1d(np.asarray(m, dtype=float)) for m in fn.minimizers]
    return Problem(fn.name, fun, grad, np.atleast_1d(np.asarray(fn.x0, dtype=float)), minimisers)


def _rosenbrock(n: int) -> Problem:
    f = functions.rosenbrock
    return Problem(f"rosenbrock-{n}", lambda x: float(f(x)), f.grad, np.tile([-1.2, 1.0], n // 2),
                   [np.ones(n)])  # fmt: skip


def _quadratic(n: int = 100, decades: float = 3.0) -> Problem:
    rng = np.random.default_rng(0)
    axes, _ = np.linalg.qr(rng.normal(size=(n, n)))
    A = (axes * np.logspace(0.0, decades, n)) @ axes.T
    A = 0.5 * (A + A.T)
    b = rng.normal(size=n)
    return Problem(f"quadratic-{n} (cond 1e{decades:g})",
                   lambda x: 0.5 * float(x @ A @ x) - float(b @ x), lambda x: A @ x - b,
                   np.zeros(n), [np.linalg.solve(A, b)])  # fmt: skip


def problems() -> list[Problem]:
    """The zoo from its own starts, Rosenbrock in 10 and 100 dimensions, and the quadratic."""
    out = [_zoo_problem(fn) for fn in functions.FUNCTIONS.values()]
    return [*out, _rosenbrock(10), _rosenbrock(100), _quadratic()]


class Counted:
    """The problem's objective and gradient, counting their calls."""

    def __init__(self, problem: Problem):
        self.problem, self.nfev, self.ngev = problem, 0, 0

    def fun(self, x):
        self.nfev += 1
        return self.problem.fun(np.asarray(x, dtype=float))

    def grad(self, x):
        self.ngev += 1
        return np.asarray(self.problem.grad(np.asarray(x, dtype=float)), dtype=float)


# ------------------------------------------------------------------------------- runners


def _descend(name):
    def run(counted, x0):
        objective = descend.Objective(counted.fun, counted.grad)
        res = descend.minimize(objective, x0, optimizer=name, gtol=GTOL, max_iter=MAX_ITER)
        return np.atleast_1d(res.x), res.nit, res.reason

    return run


def _scipy(method):
    def run(counted, x0):
        from scipy.optimize import minimize

        options = {"gtol": GTOL, "maxiter": MAX_ITER}
        if method == "CG":
            options["norm"] = 2.0  # the test descend uses
        else:  # no stop on a small change of f: the gradient test alone, as for the others
            options.update(maxcor=10, ftol=0.0)
        res = minimize(counted.fun, x0, jac=counted.grad, method=method, options=options)
        message = res.message if isinstance(res.message, str) else res.message.decode()
        return res.x, int(res.nit), _short(message)

    return run


def _short(message: str) -> str:
    lower = message.lower()
    for key, word in (("projected gradient", "pgtol"), ("relative reduction", "ftol"),
                      ("successfully", "gtol"), ("precision loss", "precision loss"),
                      ("abnormal", "abnormal"), ("maximum number", "max_iter")):  # fmt: skip
        if key in lower:
            return word
    return message[:30]


def _torch(counted, x0):
    import torch

    p = torch.nn.Parameter(torch.tensor(x0, dtype=torch.float64))
    opt = torch.optim.LBFGS([p], lr=1.0, max_iter=MAX_ITER, max_eval=10 * MAX_ITER,
                            tolerance_grad=GTOL, tolerance_change=0.0, history_size=10,
                            line_search_fn="strong_wolfe")  # fmt: skip

    def closure():
        opt.zero_grad()
        x = p.detach().numpy().copy()
        value = counted.fun(x)
        p.grad = torch.from_numpy(counted.grad(x))
        return torch.tensor(value, dtype=torch.float64)

    opt.step(closure)
    state = opt.state[p]
    x = p.detach().numpy().copy()
    if float(np.max(np.abs(counted.problem.grad(x)))) <= GTOL:  # its own test, not counted
        reason = "gtol"
    elif state["n_iter"] >= MAX_ITER or state["func_evals"] >= 10 * MAX_ITER:
        reason = "max_iter"
    else:  # a step or a change of f of zero
        reason = "no progress"
    return x, int(state["n_iter"]), reason


RUNNERS = {
    "descend lbfgs": _descend("lbfgs"),
    "descend cg": _descend("cg"),
    "scipy L-BFGS-B": _scipy("L-BFGS-B"),
    "scipy CG": _scipy("CG"),
    "torch LBFGS": _torch,
}


def run_one(problem: Problem, method: str) -> Row:
    counted = Counted(problem)
    x, nit, stop = RUNNERS[method](counted, problem.x0.copy())
    nfev, ngev = counted.nfev, counted.ngev
    x = np.atleast_1d(np.asarray(x, dtype=float))
    distance = min(float(np.linalg.norm(x - m)) for m in problem.minimisers)
    grad_norm = float(np.linalg.norm(problem.grad(x)))
    return Row(problem.name, method, problem.fun(x), distance, nit, nfev, ngev, grad_norm, stop)


def table(rows: list[Row]) -> str:
    lines = [
        "| function | method | final f | distance to minimiser | iterations | f evals "
        "| grad evals | ‖g‖₂ | stop | converged |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.problem} | {r.method} | {r.f:.6g} | {r.distance:.2e} | {r.nit} | {r.nfev} "
            f"| {r.ngev} | {r.grad_norm:.1e} | {r.stop} | {'yes' if r.converged else 'NO'} |"
        )
    return "\n".join(lines)


def summary(rows: list[Row]) -> str:
    """Per method: problems converged, and the evaluations summed over the problems every
    method converged on (so that the sums compare like with like)."""
    methods = list(dict.fromkeys(r.method for r in rows))
    names = list(dict.fromkeys(r.problem for r in rows))
    by = {(r.problem, r.method): r for r in rows}
    common = [n for n in names if all(by[n, m].converged for m in methods if (n, m) in by)]
    lines = [
        f"Summed over the {len(common)} problems every method converged on:",
        "",
        "| method | converged | iterations | f evals | grad evals |",
        "|---|---:|---:|---:|---:|",
    ]
    for m in methods:
        done = sum(by[n, m].converged for n in names if (n, m) in by)
        total = sum((n, m) in by for n in names)
        its, fe, ge = (sum(getattr(by[n, m], k) for n in common) for k in ("nit", "nfev", "ngev"))
        lines.append(f"| {m} | {done}/{total} | {its} | {fe} | {ge} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", help="comma-separated names (default: all)")
    parser.add_argument("--methods", help="comma-separated methods (default: all)")
    args = parser.parse_args(argv)
    chosen = problems()
    if args.problems:
        wanted = args.problems.split(",")
        known = {p.name.split(" ")[0]: p for p in chosen}
        unknown = [w for w in wanted if w not in known]
        if unknown:
            parser.error(f"unknown problem {unknown[0]!r}; known: {', '.join(known)}")
        chosen = [known[w] for w in wanted]
    methods = list(METHODS)
    if args.methods:
        methods = args.methods.split(",")
        unknown = [m for m in methods if m not in RUNNERS]
        if unknown:
            parser.error(f"unknown method {unknown[0]!r}; known: {', '.join(METHODS)}")
    notes = []
    try:
        import torch  # noqa: F401
    except ImportError:
        if "torch LBFGS" in methods:
            methods.remove("torch LBFGS")
            notes.append("torch is not installed: its rows are left out.")
    rows = []
    with np.errstate(all="ignore"):
        for problem in chosen:
            rows.extend(run_one(problem, m) for m in methods)
    print(table(rows))
    print()
    print(summary(rows))
    for note in notes:
        print(f"\n{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
