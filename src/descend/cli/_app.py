"""The ``descend`` application object, shared by the modules that add its commands."""

from __future__ import annotations

from typing import Annotated

import typer

import descend

app = typer.Typer(
    name="descend",
    help=(
        "Gradient descent to learn, see, use and scale.\n\n"
        "Exit status: 0 on success, 1 when a run fails (diverges), 2 for a usage or input "
        "error, 130 when interrupted."
    ),
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
