"""``descend bench``: the benchmark suite, as a Markdown table and JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from descend.cli._app import app
from descend.cli._common import FAILED, InputError, dumps, err, guarded, note, out, writable

QUICK = typer.Option(
    "--quick", help="Tiny sizes: checks that the suite runs in seconds; the numbers mean nothing."
)
ONLY = typer.Option(help="Run only these workloads, by number: 1,3 or 2-4 (default: all 9).")
REPEAT = typer.Option(
    help="Timed repeats of each contender after its warm-up call (default: 5; 3 with --quick)."
)
JSON_OUT = typer.Option("--json", help="Write every measurement here (JSON).")
MARKDOWN_OUT = typer.Option("--markdown", help="Also write the table here (Markdown).")


def _workloads(text: str | None, known) -> list[int] | None:
    """``"1,3"`` or ``"2-4"`` as workload numbers, each one that exists."""
    if text is None:
        return None
    chosen: list[int] = []
    for part in text.split(","):
        part = part.strip()
        low, sep, high = part.partition("-")
        try:
            numbers = range(int(low), int(high) + 1) if sep else [int(part)]
        except ValueError:
            raise InputError(
                f"--only {text!r}: {part!r} is not a workload number (1 to {max(known)})"
            ) from None
        for number in numbers:
            if number not in known:
                raise InputError(
                    f"--only {text!r}: there is no workload {number}; they are 1 to {max(known)}"
                )
            if number not in chosen:
                chosen.append(number)
    if not chosen:
        raise InputError(f"--only {text!r}: name at least one workload")
    return sorted(chosen)


def _write(path: Path, text: str) -> None:
    """Write ``text`` complete or not at all."""
    from descend.datafiles import atomic_write

    with atomic_write(path) as fh:
        fh.write(text)


@app.command()
@guarded
def bench(
    quick: Annotated[bool, QUICK] = False,
    only: Annotated[str | None, ONLY] = None,
    repeat: Annotated[int | None, REPEAT] = None,
    json_path: Annotated[Path, JSON_OUT] = Path("bench-results.json"),
    markdown_path: Annotated[Path | None, MARKDOWN_OUT] = None,
) -> None:
    """Time descend against the floor and its peers, side by side in one run.

    Nine workloads: full-batch, stochastic and mini-batch Adam epochs, the overhead of
    minimize, a sweep against separate runs, time to a given accuracy, the peak memory of a
    fit, scaling out to Dask clusters and files, and the gradient backends (JAX, PyTorch,
    autograd, complex step). Each row gives descend's time, the reference's, their ratio, the
    target and whether it is MET or MISSED. Peers that are not installed are skipped with a note
    (pip install "descend[bench]" brings PyTorch). The full suite takes minutes.

    Examples:

    \b
      descend bench --quick

    \b
      descend bench --only 1,3 --repeat 3 --json results.json --markdown results.md
    """
    from descend.bench import WORKLOADS, run

    chosen = _workloads(only, WORKLOADS)
    if repeat is None:
        repeat = 3 if quick else 5
    if repeat < 1:
        raise InputError(f"--repeat {repeat}: give at least 1")
    writable(json_path, "--json", (".json",))
    writable(markdown_path, "--markdown", (".md", ".markdown"))
    console = err()

    def progress(text: str) -> None:
        console.print(f"bench {text}", style="dim")

    suite = run(chosen, quick=quick, repeat=repeat, progress=progress)
    table = suite.markdown()
    out().print(table, end="")
    _write(json_path, dumps(suite.json_data()) + "\n")
    if markdown_path is not None:
        _write(markdown_path, table)
    note("wrote", str(json_path) + (f" and {markdown_path}" if markdown_path else ""), "green")
    if suite.errors:
        note("error", f"{len(suite.errors)} workload row(s) failed: {suite.errors[0]}", "red")
        raise typer.Exit(FAILED)
