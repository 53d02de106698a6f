"""``descend minimize``, ``maximize``, ``functions`` and ``sweep``: descent on a typed
formula or a built-in test function."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.table import Table

from descend.cli._app import app
from descend.cli._common import (
    FAILED,
    OPTIMIZER,
    InputError,
    dumps,
    guarded,
    note,
    numbers,
    out,
    warnings_as_notes,
    writable,
)

OPTIMIZERS = ("gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "lbfgs", "cg")
#: The command's default --gtol: a run stops once the gradient is this small, where x is
#: as close to a minimum as the ten digits printed show for a curvature of one or more,
#: instead of repeating the same row up to --max-iter.
GTOL_DEFAULT = 1e-8
DIVERGENCE = ("stop", "raise", "recover")

# The options, shared by the commands that take them.
EXPR = typer.Argument(
    metavar="EXPR",
    help="A formula (x**2 - 6*x + 5, w1^2 + w2^4, sin(x)*exp(-y**2)) or a built-in "
    "function's name (see descend functions).",
    show_default=False,
)
X0 = typer.Option(
    "--x0",
    help="The start: 15, or -1.5,2 for two variables. Default: the function's own start, "
    "else zeros.",
)
VARS = typer.Option(
    "--vars", help="The variables in order, e.g. x,y (default: those in the formula, sorted)."
)
LR = typer.Option(
    "--lr",
    help="Learning rate, or a line search: 'backtracking' (Armijo) or 'wolfe' (strong Wolfe, "
    "the default of lbfgs and cg).",
)
MOMENTUM = typer.Option(help="Momentum α (Δw ← −η∇f + αΔw).")
MAX_ITER = typer.Option("--max-iter", help="Most iterations.")
TOL = typer.Option(help="Stop when |f_k − f_{k−1}| ≤ tol.")
XTOL = typer.Option(help="Stop when a step moves x by ≤ xtol.")
GTOL = typer.Option(help="Stop when ‖∇f‖ ≤ gtol; 0 turns it off.")
TARGET = typer.Option(help="Stop when f reaches this value.")
PATIENCE = typer.Option(help="Stop after this many iterations without a new best f.")
SCHEDULE = typer.Option(
    help="Learning-rate schedule starting from --lr: step:0.5,100, exponential:0.999, "
    "inverse:0.5, cosine:1000."
)
ON_DIVERGENCE = typer.Option("--on-divergence", help="stop, raise or recover.")
EVERY = typer.Option(help="Show every k-th iteration in the table (default: about ten rows).")
JSON = typer.Option("--json", help="Print the result as JSON (the history left out).")
JSON_HISTORY = typer.Option(
    "--json-history", help="Print the result as JSON with the history of every iteration."
)
HISTORY = typer.Option(help="Write the history to this CSV file.")
PLOT = typer.Option(help="Draw the curve or the contour map with the path (PNG).")
ANIMATE = typer.Option(help="Replay the run (GIF, or MP4 when ffmpeg is installed).")
LR_LIST = typer.Option("--lr", help="Learning rates, comma-separated: 0.05,0.2,0.5,0.8.")
MOMENTA = typer.Option(help="Momenta, comma-separated: 0,0.5,0.9.")
ITERS = typer.Option(help="Iterations per run.")
GRID_PLOT = typer.Option(help="Draw the grid of runs (PNG).")


@dataclass(frozen=True)
class Problem:
    """What to descend on: the function (with its gradient), its variables and a start."""

    fun: Any
    variables: tuple[str, ...]
    x0: Any
    text: str
    gradient: tuple[str, ...]
    builtin: Any = None

    @property
    def ndim(self) -> int:
        return int(np.size(self.x0))


def problem(expr: str, x0: str | None, variables: str | None) -> Problem:
    """The formula or built-in function ``expr``, with ``--x0`` and ``--vars`` applied."""
    from descend import formula, functions

    start = numbers(x0, "--x0")
    key = expr.strip().lower().replace("-", "_").replace(" ", "_")
    if key in functions.FUNCTIONS and variables is None:
        fn = functions.FUNCTIONS[key]
        if start is None:
            point = fn.x0
        else:
            point = start[0] if fn.ndim == 1 and len(start) == 1 else np.array(start)
        names = ("x",) if np.ndim(point) == 0 else tuple(f"x{i + 1}" for i in range(len(point)))
        try:
            value = fn(point)
        except ValueError as error:
            raise InputError(f"--x0 {x0}: {error}") from None
        if not np.isfinite(value):
            raise InputError(f"{fn.name} is not finite at --x0 {x0}")
        return Problem(fn, names, point, f"{fn.name}: {fn.formula}", (), fn)
    names = None
    if variables is None:
        _lone_name(expr, key)
    else:
        names = [v.strip() for v in variables.split(",") if v.strip()]
    try:
        parsed = formula.parse(expr, names)
    except formula.FormulaError as error:
        # One line: the reason quotes the piece at fault (the caret lines under the formula
        # would make three).
        raise InputError(error.reason) from None
    d = len(parsed.variables)
    if start is None:
        point = 0.0 if d == 1 else np.zeros(d)
    elif len(start) != d:
        raise InputError(
            f"--x0 has {len(start)} value{'s' * (len(start) != 1)} but the formula has {d} "
            f"variable{'s' * (d != 1)} ({', '.join(parsed.variables)})"
        )
    else:
        point = start[0] if d == 1 else np.array(start)
    return Problem(
        parsed.objective(), parsed.variables, point, expr, tuple(parsed.gradient_text())
    )


def _lone_name(expr: str, key: str) -> None:
    """Refuse a formula that is a single name and not a built-in function's.

    ``descend minimize rosenbrok`` is a misspelt built-in function far more often than the
    formula f = rosenbrok, which has no minimum (nor maximum) for descent to find: a close
    name is suggested, and any other is refused as well. ``--vars`` makes a lone name a
    formula again. Names the formula parser knows better (``sin``, ``pi``, ``lambda``) are
    left to it.
    """
    import difflib
    import keyword

    from descend import formula, functions

    name = expr.strip()
    if (
        not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", name)
        or name in formula.FUNCTIONS
        or name in ("pi", "e")
        or keyword.iskeyword(name)
    ):
        return
    close = difflib.get_close_matches(key, functions.FUNCTIONS, n=1, cutoff=0.75)
    if close:
        raise InputError(f"unknown function {name!r}: did you mean {close[0]}?")
    if "-" in name:  # x-1 is a formula, not a name: the parser reads it
        return
    raise InputError(
        f"{name!r} is not a built-in function (descend functions lists them), and the formula "
        f"f = {name} has no minimum or maximum; give --vars {name} to run it anyway"
    )


def settings(optimizer, lr, momentum, schedule, **rules) -> dict:
    """Keyword arguments for :func:`descend.minimize` from the command's options (None
    means: minimize's own default)."""
    from descend import schedules

    kwargs = {k: v for k, v in rules.items() if v is not None}
    if optimizer is not None:
        kwargs["optimizer"] = optimizer
    if momentum is not None:
        kwargs["momentum"] = momentum
    if lr is not None:
        rate: Any
        if lr.strip().lower() in ("backtracking", "wolfe"):
            rate = lr.strip().lower()
        else:
            (rate,) = numbers(lr, "--lr")
        kwargs["learning_rate"] = rate
    if schedule is not None:
        initial = kwargs.get("learning_rate", 0.01)
        if isinstance(initial, str):
            raise InputError("--schedule needs a number for --lr, not a line search")
        try:
            kwargs["learning_rate"] = schedules.from_text(schedule, initial)
        except ValueError as error:
            raise InputError(f"--schedule: {error}") from None
    return kwargs


def descend_on(problem: Problem, kwargs: dict, *, maximize: bool):
    """Run, turning a bad setting into an input error and a raised divergence into a failed
    run."""
    import descend

    run = descend.maximize if maximize else descend.minimize
    try:
        with warnings_as_notes():
            return run(problem.fun, problem.x0, **kwargs)
    except descend.DivergenceError as error:
        note("diverged", error, "red")
        raise typer.Exit(FAILED) from None
    except (ValueError, TypeError) as error:
        raise InputError(str(error)) from None


def _point(x, digits: int = 6) -> str:
    if np.ndim(x) == 0:
        return f"{float(x):.{digits}g}"
    return "(" + ", ".join(f"{v:.{digits}g}" for v in np.asarray(x)) + ")"


def _iteration_table(res, variables, every: int | None) -> Table:
    history = res.history
    n = len(history)
    every = every or max(1, (n - 1) // 10)
    rows = sorted(set(range(0, n, every)) | {n - 1})
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("iteration", justify="right")
    x = np.asarray(history.x)
    columns = list(variables) if len(variables) <= 4 else ["x"]
    for name in columns:
        table.add_column(name, justify="right")
    for name in ("f", "‖∇f‖", "learning rate"):
        table.add_column(name, justify="right")
    for row in rows:
        point = [x[row]] if x.ndim == 1 else (list(x[row]) if len(columns) > 1 else [x[row]])
        cells = [_point(v) for v in point]
        lr = history.learning_rate[row]
        table.add_row(
            str(history.iteration[row]), *cells, f"{history.f[row]:.6g}",
            f"{history.grad_norm[row]:.3g}", "" if math.isnan(lr) else f"{lr:.3g}",
        )  # fmt: skip
    return table


def _history_columns(res, variables):
    history = res.history
    x = np.asarray(history.x)
    header, columns = ["iteration"], [history.iteration]
    if x.ndim == 1:
        header.append(variables[0])
        columns.append(x)
    else:
        header += list(variables)
        columns += [x[:, i] for i in range(x.shape[1])]
    for name in ("f", "grad_norm", "learning_rate", "time"):
        header.append(name)
        columns.append(getattr(history, name))
    return header, columns


def _result_json(res, problem: Problem, maximize: bool, with_history: bool) -> dict:
    """The result as JSON data; the history of every iteration only when asked for, as it
    can be thousands of rows."""
    data = {
        "function": problem.text,
        "variables": list(problem.variables),
        "gradient": list(problem.gradient),
        "maximize": maximize,
        "x": res.x,
        "fun": res.fun,
        "grad": res.grad,
        "nit": res.nit,
        "nfev": res.nfev,
        "ngev": res.ngev,
        "success": res.success,
        "reason": res.reason,
        "message": res.message,
    }
    if with_history:
        data["history"] = res.history.to_dict()
    return data


def _pictures(problem: Problem, res, plot_path, animate_path):
    from descend.cli._common import headless, save_figure

    if plot_path is None and animate_path is None:
        return
    headless()
    from descend import animate, plot

    if plot_path is not None:
        ax = plot.curve(problem.fun, res) if problem.ndim == 1 else plot.contour(problem.fun, res)
        save_figure(ax.figure, plot_path)
        note("wrote", plot_path, "green")
    if animate_path is not None:
        every = max(1, res.nit // 100)  # at most about a hundred frames
        if problem.ndim == 1:
            replay = animate.descent_on_curve(problem.fun, res, every=every)
        else:
            replay = animate.contour_path(problem.fun, res, every=every)
        try:
            replay.save(animate_path)
        except RuntimeError as error:  # ffmpeg missing for an MP4
            raise InputError(str(error)) from None
        finally:
            import matplotlib.pyplot as plt

            plt.close(replay.figure)
        note("wrote", animate_path, "green")


def _descend_command(maximize: bool):
    verb = "maximize" if maximize else "minimize"
    example = (
        '"-(x-2)**2" --x0 0 --lr 0.1'
        if maximize
        else '"x**2 - 6*x + 5" --x0 15 --lr 0.01 --xtol 0.001'
    )

    @guarded
    def command(
        expr: Annotated[str, EXPR],
        x0: Annotated[str | None, X0] = None,
        vars_: Annotated[str | None, VARS] = None,
        optimizer: Annotated[str | None, OPTIMIZER] = None,
        lr: Annotated[str | None, LR] = None,
        momentum: Annotated[float | None, MOMENTUM] = None,
        max_iter: Annotated[int, MAX_ITER] = 1000,
        tol: Annotated[float | None, TOL] = None,
        xtol: Annotated[float | None, XTOL] = None,
        gtol: Annotated[float, GTOL] = GTOL_DEFAULT,
        target: Annotated[float | None, TARGET] = None,
        patience: Annotated[int | None, PATIENCE] = None,
        schedule: Annotated[str | None, SCHEDULE] = None,
        on_divergence: Annotated[str, ON_DIVERGENCE] = "stop",
        every: Annotated[int | None, EVERY] = None,
        json_: Annotated[bool, JSON] = False,
        json_history: Annotated[bool, JSON_HISTORY] = False,
        history: Annotated[Path | None, HISTORY] = None,
        plot: Annotated[Path | None, PLOT] = None,
        animate: Annotated[Path | None, ANIMATE] = None,
    ) -> None:
        if optimizer is not None and optimizer not in OPTIMIZERS:
            raise InputError(f"--optimizer {optimizer!r}: choose one of {', '.join(OPTIMIZERS)}")
        if on_divergence not in DIVERGENCE:
            raise InputError(
                f"--on-divergence {on_divergence!r}: choose one of {', '.join(DIVERGENCE)}"
            )
        if every is not None and every < 1:
            raise InputError(f"--every {every}: it must be at least 1")
        writable(history, "--history", (".csv",))
        writable(plot, "--plot", (".png",))
        writable(animate, "--animate", (".gif", ".mp4"))
        prob = problem(expr, x0, vars_)
        if (plot or animate) and prob.ndim > 2:
            raise InputError(
                "--plot and --animate draw functions of one or two variables; this one has "
                f"{prob.ndim}"
            )
        if gtol < 0:
            raise InputError(f"--gtol must be 0 (off) or more, not {gtol:g}")
        kwargs = settings(optimizer, lr, momentum, schedule, max_iter=max_iter, tol=tol,
                          xtol=xtol, gtol=gtol or None, target=target, patience=patience,
                          on_divergence=on_divergence)  # fmt: skip
        res = descend_on(prob, kwargs, maximize=maximize)
        if history is not None:
            from descend.datafiles import write_csv

            write_csv(history, *_history_columns(res, prob.variables))
        if json_ or json_history:
            typer.echo(dumps(_result_json(res, prob, maximize, with_history=json_history)))
        else:
            console = out()
            console.print(f"{verb} {prob.text}")
            for line in prob.gradient:
                console.print(f"  {line}")
            console.print(_iteration_table(res, prob.variables, every))
            console.print(f"x = {_point(res.x, digits=10)}")
            console.print(f"f(x) = {res.fun:.10g}")
            console.print(f"iterations: {res.nit}")
            console.print(f"stopped ({res.reason}): {res.message}")
        if history is not None:
            note("wrote", history, "green")
        _pictures(prob, res, plot, animate)
        if res.reason == "diverged":
            raise typer.Exit(FAILED)

    command.__name__ = verb
    second = (
        '"-(x**2 + y**2)" --x0 1,2 --lr 0.1'
        if maximize
        else "rosenbrock --optimizer adam --lr 0.02 --gtol 1e-6 --max-iter 20000"
    )
    what = "Gradient ascent" if maximize else "Gradient descent"
    third = '"-(w1^2 + w2^4)"' if maximize else '"w1^2 + w2^4"'
    command.__doc__ = (
        f"{what} on a formula or a built-in function: the exact gradient, a table of "
        f"iterations, the result.\n\nExamples:\n\n\b\n  descend {verb} {example}\n\n"
        f"\b\n  descend {verb} {second}\n\n"
        f"\b\n  descend {verb} {third} --x0 1.5,1.5 --lr 0.1 --json\n"
    )
    return command


# A formula may begin with a minus sign ("-(x-2)**2"): read it as the argument it is, not as
# an unknown option.
_FORMULA_FIRST = {"ignore_unknown_options": True}
app.command("minimize", context_settings=_FORMULA_FIRST)(_descend_command(maximize=False))
app.command("maximize", context_settings=_FORMULA_FIRST)(_descend_command(maximize=True))


@app.command("functions")
@guarded
def functions_command() -> None:
    """List the built-in test functions with their minima.

    Examples:

    \b
      descend functions

    \b
      descend minimize himmelblau --lr 0.01
    """
    from descend import functions

    table = Table(show_edge=False, pad_edge=False)
    for column in ("name", "formula", "minimum", "minimiser(s)", "default start"):
        table.add_column(column)
    for fn in functions.FUNCTIONS.values():
        where = "; ".join(_point(m) for m in fn.minimizers)
        table.add_row(fn.name, fn.formula, f"{fn.minimum:.8g}", where, _point(fn.x0))
    out().print(table)


@app.command("sweep", context_settings=_FORMULA_FIRST)
@guarded
def sweep(
    expr: Annotated[str, EXPR],
    lr: Annotated[str, LR_LIST] = "0.01,0.1",
    momentum: Annotated[str, MOMENTA] = "0",
    optimizer: Annotated[str | None, OPTIMIZER] = None,
    iters: Annotated[int, ITERS] = 100,
    x0: Annotated[str | None, X0] = None,
    vars_: Annotated[str | None, VARS] = None,
    plot: Annotated[Path | None, GRID_PLOT] = None,
) -> None:
    """Run every learning rate × momentum and compare: final f, iterations, stop reason;
    the best is highlighted.

    Examples:

    \b
      descend sweep quadratic --lr 0.01,0.1 --momentum 0,0.9

    \b
      descend sweep sphere --x0 -8,5 --lr 0.05,0.5 --momentum 0,0.9 --iters 5 --plot g.png
    """
    if optimizer is not None and optimizer not in OPTIMIZERS:
        raise InputError(f"--optimizer {optimizer!r}: choose one of {', '.join(OPTIMIZERS)}")
    if iters < 1:
        raise InputError(f"--iters {iters}: it must be at least 1")
    writable(plot, "--plot", (".png",))
    rates, moms = numbers(lr, "--lr"), numbers(momentum, "--momentum")
    prob = problem(expr, x0, vars_)
    if plot and prob.ndim > 2:
        raise InputError(
            f"--plot draws functions of one or two variables; this one has {prob.ndim}"
        )
    import descend

    # Every combination at once: one batch for the built-in functions and formulas.
    momentum_list = [float(m) for m in moms]
    try:
        with warnings_as_notes():
            swept = descend.sweep(prob.fun, prob.x0, learning_rate=[float(r) for r in rates],
                                  momentum=momentum_list, optimizer=optimizer or "gd",
                                  n_iter=iters, tol=-1)  # fmt: skip
    except (ValueError, TypeError) as error:
        raise InputError(str(error)) from None
    best_run = swept.best
    best = None if best_run is None else best_run.index
    table = Table(show_edge=False, pad_edge=False, title=f"{prob.text} from {_point(prob.x0)}")
    for column, justify in (("η", "right"), ("α", "right"), ("final f", "right"),
                            ("iterations", "right"), ("stop", "left"), ("", "left")):  # fmt: skip
        table.add_column(column, justify=justify)
    for res in swept:
        rate, m = res.settings["learning_rate"], res.settings["momentum"]
        mark = "★ best" if res.index == best else ""
        table.add_row(f"{rate:g}", f"{m:g}", f"{res.fun:.6g}", str(res.nit), res.reason, mark,
                      style="bold green" if mark else None)  # fmt: skip
    console = out()
    console.print(table)
    if plot is not None:
        from descend.cli._common import headless, save_figure

        headless()
        from descend.plot.landscape import grid_of_runs

        save_figure(grid_of_runs(prob.fun, swept), plot)
        note("wrote", plot, "green")
    if best is None:
        note("failed", "every run diverged", "red")
        raise typer.Exit(FAILED)
