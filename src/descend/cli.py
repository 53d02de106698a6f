"""The ``descend`` command line."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

import descend

app = typer.Typer(
    name="descend",
    help="Gradient descent to learn, see, use and scale.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"descend {descend.__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Gradient descent to learn, see, use and scale."""


@app.command()
def demo(
    names: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[NAME]...", help="Experiments to run (T1 … T7); all when left out."
        ),
    ] = None,
) -> None:
    """Run the tutorial experiments and print our numbers next to the tutorial's.

    Examples:

      descend demo          # every experiment

      descend demo T1 T3    # just these two
    """
    from descend import tutorials

    console = Console(highlight=False)
    keys = [name.upper() for name in names or []]
    unknown = [key for key in keys if key not in tutorials.EXPERIMENTS]
    if unknown:
        known = ", ".join(tutorials.EXPERIMENTS)
        console.print(f"[red]error:[/] unknown experiment {unknown[0]!r}; known: {known}")
        raise typer.Exit(2)
    failed = []
    for key in keys or list(tutorials.EXPERIMENTS):
        with console.status(f"running {key} …"):
            report = tutorials.EXPERIMENTS[key]()
        _print_report(console, report)
        if not report.ok:
            failed.append(key)
    if failed:
        console.print(f"[red]Numbers differ from the tutorial in {', '.join(failed)}.[/]")
        raise typer.Exit(1)
    console.print("[green]Every number matches the tutorial.[/]")


def _print_report(console: Console, report) -> None:
    console.rule(f"[bold]{report.key} — {report.title}")
    console.print("  ".join(f"[dim]{name}[/] {value}" for name, value in report.settings.items()))
    for line in report.log:
        console.print(f"  {line}")
    table = Table(show_edge=False, pad_edge=False)
    for column, justify in (
        ("quantity", "left"),
        ("descend", "right"),
        ("tutorial", "right"),
        ("", "center"),
    ):
        table.add_column(column, justify=justify)
    for check in report.checks:
        mark = "[green]✓[/]" if check.ok else "[red]✗[/]"
        table.add_row(check.quantity, str(check.ours), str(check.reference), mark)
    console.print(table)
    console.print()


def main() -> None:
    """Entry point of the ``descend`` console script."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
