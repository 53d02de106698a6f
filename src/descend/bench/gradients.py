r"""Workload 9, gradient backends: exact gradients of the user's code, and what they cost.

On Rosenbrock's function in :data:`DIM` dimensions, written once per backend (``jax.numpy``,
``torch``, ``autograd.numpy``, and NumPy for the complex step):

1. **Exactness.** Each installed backend's gradient against the hand-written one of
   :data:`descend.functions.rosenbrock`, at :data:`POINTS` random points in
   :math:`[-2, 2]^{100}`: the largest max-norm relative difference, target
   ≤ :data:`EXACT` (the complex step needs nothing, so its row always runs).
2. **Overhead of the JAX path.** A step of :func:`descend.minimize` (plain gradient descent
   at a fixed rate, full history) with ``grad=`` a :class:`descend.autodiff.Gradient` by
   JAX, less a step with the hand-written NumPy gradient: target ≤ :data:`BUDGET_S`. Runs of
   :data:`STEPS` steps are timed in turn (the median of the repeats, divided by the steps);
   the Gradient is made and compiled once, in the warm-up call, and a first call's time
   (trace and compile) is reported on a row of its own.
3. **JAX against finite differences.** The same step with ``grad="numeric"`` (central
   differences, 2d evaluations a step) on the NumPy function: target JAX ≥ :data:`SPEEDUP`
   × faster. PyTorch's, autograd's and the complex step's steps are reported beside it.

JAX runs every call on a thread of its own by default (asynchronous dispatch), which costs
tens of microseconds a call on a CPU; descend turns that off when it is the first to start
JAX (unless ``DESCEND_JAX_ASYNC_DISPATCH=1``). Rows 2 and 3 are measured as this
process runs JAX, then (outside quick mode) again in a child process with the other setting
of ``jax_cpu_enable_async_dispatch``, which takes effect only when set before JAX's first
computation.

>>> error = max_relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 4e-15]))
>>> float(f"{error:.2g}")
2e-15
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np

from descend.bench import peers
from descend.bench.report import Outcome, Row
from descend.bench.timing import race, time_once

__all__ = ["BUDGET_S", "DIM", "EXACT", "SPEEDUP", "gradient_backends", "max_relative_error"]

#: Rosenbrock's dimension.
DIM = 100
#: Random points the gradients are compared at.
POINTS = 5
#: How close a backend's gradient must be to the hand-written one (relative, max-norm).
EXACT = 1e-12
#: What a step of the JAX path may cost beyond a step with the hand-written gradient.
BUDGET_S = 30e-6
#: How much faster than central differences a step with JAX must be.
SPEEDUP = 20.0
#: Steps per timed run, by gradient: enough for each run to take a good fraction of a second.
STEPS = {"numpy": 3000, "jax": 3000, "torch": 1000, "autograd": 1000, "complex-step": 200,
         "numeric": 200}  # fmt: skip
QUICK_STEPS = 20
#: The rate of the runs: small enough that no run leaves the valley's walls in 3000 steps.
RATE = 1e-5

#: The array module each backend's Rosenbrock is written with.
MODULES = {"jax": "jax.numpy", "torch": "torch", "autograd": "autograd.numpy"}


def max_relative_error(got: np.ndarray, want: np.ndarray) -> float:
    """``max |got - want| / max |want|``."""
    return float(np.max(np.abs(got - want)) / np.max(np.abs(want)))


def rosenbrock_in(m):
    """Rosenbrock's function written with the array module ``m``."""

    def rosenbrock(x):
        return m.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    return rosenbrock


def _start() -> np.ndarray:
    x0 = np.full(DIM, -1.0)
    x0[::2] = 1.2
    return x0


def _installed() -> dict:
    """The backends that can run here, with their Rosenbrock."""
    found = {"complex-step": rosenbrock_in(np)}
    for backend, module in MODULES.items():
        m = peers.import_peer(module)
        if m is not None:
            found[backend] = rosenbrock_in(m)
    return found


def _steps(quick: bool) -> dict:
    return {name: QUICK_STEPS for name in STEPS} if quick else dict(STEPS)


def _per_step(functions: dict, repeat: int, quick: bool) -> tuple[dict, dict]:
    """Seconds per step of each gradient (median over the repeats) and the first call's
    seconds of JAX (trace and compile included), timed in turn in this process."""
    import descend
    from descend import autodiff
    from descend.functions import rosenbrock

    x0, steps = _start(), _steps(quick)
    first = {}
    contenders = {}

    def run(fun, grad, n):
        return lambda: descend.minimize(fun, x0, grad=grad, learning_rate=RATE, max_iter=n)

    contenders["numpy"] = run(rosenbrock, None, steps["numpy"])
    contenders["numeric"] = run(rosenbrock.fun, "numeric", steps["numeric"])
    for backend, fun in functions.items():
        if backend == "jax":  # a first call compiles: timed apart, each on a Gradient of its own
            first["jax"] = statistics.median(time_once(run(fun, "jax", 1)) for _ in range(repeat))
        contenders[backend] = run(fun, autodiff.gradient(fun, backend), steps[backend])
    scales = {name: (1.0 / steps[name], f"per step, runs of {steps[name]} steps")
              for name in contenders}  # fmt: skip
    timings = race(contenders, repeat, scales=scales)
    details = {name: t.as_dict() for name, t in timings.items()}
    details["first_call_s"] = first
    return {name: t.median for name, t in timings.items()}, details


def _async_dispatch() -> bool | None:
    """Whether this process's JAX dispatches asynchronously on the CPU (None: unknown)."""
    jax = sys.modules.get("jax")
    try:
        return bool(jax.config.read("jax_cpu_enable_async_dispatch"))
    except Exception:  # an older JAX without the setting
        return None


# The other dispatch setting, measured in a fresh process (the setting is read once, when
# JAX starts its CPU backend).
_CHILD = """
import json, sys
import jax
jax.config.update("jax_cpu_enable_async_dispatch", sys.argv[2] == "on")
from descend.bench import gradients
print(json.dumps(gradients._child(int(sys.argv[1]))))
"""


def _child(repeat: int) -> dict:
    from descend import autodiff
    from descend.bench import timing

    timing.SETTLE_S = 0.25
    jnp = peers.import_peer("jax.numpy")
    # JAX starts its CPU backend here, so that the first-call row times what it does in the
    # parent: tracing and compiling
    autodiff.gradient(jnp.sum, "jax")(np.ones(2))
    functions = {"jax": rosenbrock_in(jnp)}
    medians, details = _per_step(functions, repeat, quick=False)
    return {"medians": medians, "details": details, "async": _async_dispatch()}


def _other_setting(async_now: bool, repeat: int) -> dict:
    import descend

    env = dict(os.environ)
    package_root = str(Path(descend.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    if not async_now:  # the child sets JAX's default, and descend must leave it there
        env["DESCEND_JAX_ASYNC_DISPATCH"] = "1"
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(repeat), "off" if async_now else "on"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"the child process of workload 9 failed: {last}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _label(async_dispatch) -> str:
    if async_dispatch is None:
        return ""
    return ", async dispatch " + (
        "on (JAX's default)" if async_dispatch else "off (descend's default)"
    )


def _jax_rows(out: Outcome, medians: dict, first: float | None, async_dispatch) -> None:
    how = _label(async_dispatch)
    out.rows.append(
        Row(9, f"a step's overhead over the hand-written gradient, {DIM}-D Rosenbrock{how}",
            "minimize, grad=Gradient(jax) − hand-written", medians["jax"] - medians["numpy"],
            f"{BUDGET_S * 1e6:g} µs allowed", BUDGET_S, "at_most", 1.0,
            note=f"a step: {medians['jax'] * 1e6:.1f} µs with JAX, "
                 f"{medians['numpy'] * 1e6:.1f} µs by hand")
    )  # fmt: skip
    out.rows.append(
        Row(9, f"a step, {DIM}-D Rosenbrock{how}", "minimize, grad=Gradient(jax)",
            medians["jax"], "grad='numeric' (central differences)", medians["numeric"],
            "at_least", SPEEDUP)
    )  # fmt: skip
    if first is not None:
        out.rows.append(
            Row(9, f"first call: trace and compile, {DIM}-D Rosenbrock{how}",
                "minimize, grad='jax', 1 step", first, "—", None, "report")
        )  # fmt: skip


def gradient_backends(ctx) -> Outcome:
    from descend.bench.scaling import _machine_use, note_others

    out = Outcome(9, "gradient backends", f"Rosenbrock, {DIM}-D")
    before = _machine_use()
    _measure(ctx, out)
    note_others(out, before, "its child's")
    return out


def _measure(ctx, out: Outcome) -> None:
    from descend import autodiff
    from descend.functions import rosenbrock

    ctx.progress("9: gradient backends")
    functions = _installed()
    rng = np.random.default_rng(9)
    points = rng.uniform(-2.0, 2.0, size=(POINTS, DIM))
    errors = {}
    for backend, fun in functions.items():
        g = autodiff.gradient(fun, backend)
        errors[backend] = max(max_relative_error(g(x), rosenbrock.grad(x)) for x in points)
        out.rows.append(
            Row(9, f"gradient against the hand-written one, {DIM}-D Rosenbrock, {POINTS} points",
                backend, errors[backend], f"{EXACT:g} allowed", EXACT, "at_most", 1.0,
                unit="relative")
        )  # fmt: skip
    out.details["errors"] = errors
    for backend in MODULES:
        if backend not in functions:
            note = peers.missing(MODULES[backend].split(".")[0])
            if note not in out.notes:
                out.notes.append(note)
            out.rows.append(
                Row(9, f"gradient against the hand-written one, {DIM}-D Rosenbrock", backend,
                    None, f"{EXACT:g} allowed", EXACT, "at_most", 1.0, unit="relative",
                    skipped=True, note=note)
            )  # fmt: skip

    ctx.progress("9: steps")
    medians, details = _per_step(functions, ctx.repeat, ctx.quick)
    out.details["per_step"] = details
    for backend in ("torch", "autograd", "complex-step"):
        if backend in medians:
            out.rows.append(
                Row(9, f"a step, {DIM}-D Rosenbrock", f"minimize, grad=Gradient({backend})",
                    medians[backend], "grad='numeric' (central differences)",
                    medians["numeric"], "report")
            )  # fmt: skip
    if "jax" not in functions:
        note = peers.missing("jax")
        for case, kind, target, reference in (
            ("a step's overhead over the hand-written gradient", "at_most", 1.0,
             f"{BUDGET_S * 1e6:g} µs allowed"),
            ("a step", "at_least", SPEEDUP, "grad='numeric' (central differences)"),
        ):  # fmt: skip
            out.rows.append(
                Row(9, f"{case}, {DIM}-D Rosenbrock", "minimize, grad=Gradient(jax)", None,
                    reference, None, kind, target, skipped=True, note=note)
            )  # fmt: skip
        _notes(out, medians)
        return
    async_now = _async_dispatch()
    out.details["async_dispatch"] = async_now
    _jax_rows(out, medians, details["first_call_s"].get("jax"), async_now)
    if ctx.quick or async_now is None:
        out.notes.append(
            "The other setting of JAX's asynchronous dispatch is measured in a child process "
            "outside quick mode only."
        )
    else:
        ctx.progress("9: the other dispatch setting")
        other = _other_setting(async_now, ctx.repeat)
        out.details["other_setting"] = other
        _jax_rows(out, other["medians"], other["details"]["first_call_s"].get("jax"),
                  other["async"])  # fmt: skip
    _notes(out, medians)


def _notes(out: Outcome, medians: dict) -> None:
    steps = ", ".join(f"{name} {n}" for name, n in STEPS.items() if name in medians)
    out.notes.append(
        f"Rosenbrock in {DIM} dimensions from (1.2, -1, 1.2, -1, ...), plain gradient descent "
        f"at rate {RATE:g} with the full history, as written for each backend (jax.numpy, "
        "torch, autograd.numpy; NumPy for the complex step and for central differences). "
        "Steps per timed run: " + steps + " (the quick mode's 20 each); a row's time is the "
        "median run divided by its steps. Each backend's Gradient "
        "(descend.autodiff.gradient) is made once and passed as grad=, so JAX compiles in "
        "the warm-up call; the first-call row is the median of as many fresh grad='jax' runs "
        "of one step as there are repeats, each tracing and compiling anew."
    )
