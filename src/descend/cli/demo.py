"""``descend demo``: the tutorial experiments, their numbers, pictures and report page."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

import descend
from descend.cli._app import app
from descend.cli._common import fail, guarded, headless, writable


@app.command()
@guarded
def demo(
    names: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[NAME]...", help="Experiments to run (T1 … T7); all when left out."
        ),
    ] = None,
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", metavar="DIR",
            help="Folder for the figures (PNG), animations (GIF) and index.html.",
        ),
    ] = Path("descend-demo"),
    pictures: Annotated[
        bool,
        typer.Option("--pictures/--no-pictures", help="Draw the figures and the page."),
    ] = True,
) -> None:  # fmt: skip
    """Run the tutorial experiments, print our numbers next to the tutorial's, and write
    every figure, animation and a report page (DIR/index.html) to open in a browser.

    Exit status: 0 when every number matches the tutorial, 1 when one differs, 2 for a
    usage error (an unknown experiment, an unusable --out folder).

    Examples:

    \b
      descend demo                  # every experiment, pictures in ./descend-demo/

    \b
      descend demo T1 T3 --out pics # just these two

    \b
      descend demo --no-pictures    # numbers only
    """
    import time

    from descend import tutorials

    console = Console(highlight=False)
    keys = [name.upper() for name in names or []]
    unknown = [key for key in keys if key not in tutorials.EXPERIMENTS]
    if unknown:
        known = ", ".join(tutorials.EXPERIMENTS)
        fail(f"unknown experiment {unknown[0]!r}; known: {known}")
    keys = list(dict.fromkeys(keys)) or list(tutorials.EXPERIMENTS)  # each once, in order
    if pictures:
        problem = _unusable_folder(out)
        if problem:
            fail(f"--out {str(out)!r}: {problem}")
        headless()
    started = time.perf_counter()
    reports, drawn = [], {}
    columns = (
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(),
    )  # fmt: skip
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("experiments", total=len(keys))
        for key in keys:
            progress.update(task, description=f"{key}: running")
            report = tutorials.EXPERIMENTS[key]()
            reports.append(report)
            _print_report(progress.console, report)
            if pictures:
                drawn[key] = _draw(report, out, progress, task)
            progress.advance(task)
    failed = [report.key for report in reports if not report.ok]
    if pictures:
        from descend import report as page

        writable(out / "index.html", "--out", ())
        index = page.write_page(reports, drawn, out, version=descend.__version__)
        count = sum(len(p) for p in drawn.values())
        console.print(
            f"Wrote {count} pictures and [bold]{index}[/] in "
            f"{time.perf_counter() - started:.1f} s."
        )
    if failed:
        console.print(f"[red]Numbers differ from the tutorial in {', '.join(failed)}.[/]")
        raise typer.Exit(1)
    console.print("[green]Every number matches the tutorial.[/]")


def _unusable_folder(out: Path) -> str | None:
    """Why ``out`` cannot take the demo's files, or None when it can (made if missing)."""
    if out.exists() and not out.is_dir():
        return "exists and is not a folder"
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        return f"cannot be created ({err.strerror or err})"
    if not os.access(out, os.W_OK | os.X_OK):
        return "is not writable"
    return None


def _draw(report, out: Path, progress, task) -> list:
    from descend import gallery

    made = []
    planned = gallery.pictures(report)
    for i, picture in enumerate(planned, 1):
        progress.update(task, description=f"{report.key}: drawing {picture.filename} "
                        f"({i}/{len(planned)})")  # fmt: skip
        # the same rules as every named output: a link planted in the folder is never
        # written through
        writable(out / picture.filename, "--out", ())
        gallery.save(picture, out)
        made.append(picture)
    return made


def _print_report(console: Console, report) -> None:
    console.rule(f"[bold]{report.key} — {report.title}")
    console.print("  ".join(f"[dim]{name}[/] {value}" for name, value in report.settings.items()))
    for line in report.log:
        console.print(f"  {line}")
    table = Table(show_edge=False, pad_edge=False)
    exact = any(check.exact is not None for check in report.checks)
    headers = [("quantity", "left"), ("descend", "right"), ("tutorial", "right")]
    headers += [("closed form", "right")] * exact + [("", "center")]
    for column, justify in headers:
        table.add_column(column, justify=justify)
    for check in report.checks:
        mark = "[green]✓[/]" if check.ok else "[red]✗[/]"
        cells = [check.quantity, str(check.ours), str(check.reference)]
        if exact:
            cells.append("" if check.exact is None else str(check.exact))
        table.add_row(*cells, mark)
    console.print(table)
    console.print()
