"""``descend playground``: the interactive page, written to a file or served on this computer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from descend.cli._app import app
from descend.cli._common import InputError, guarded, out, writable


@app.command()
@guarded
def playground(
    function: Annotated[
        str,
        typer.Option(
            "--function", "-f", metavar="NAME",
            help="The function shown first: a built-in function of two variables (see descend "
            "functions) or one of the --formula.",
        ),
    ] = "rosenbrock",
    formula: Annotated[
        list[str] | None,
        typer.Option(
            "--formula", metavar="TEXT",
            help="A formula of two variables to offer too, such as 'x^2 + 3*y^2' (repeatable).",
        ),
    ] = None,
    page_file: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", metavar="FILE",
            help="Write the page to this .html file (it opens offline) instead of serving it.",
        ),
    ] = None,
    port: Annotated[
        int, typer.Option(help="The port on 127.0.0.1 to serve on; 0 takes a free one.")
    ] = 0,
    browser: Annotated[
        bool, typer.Option("--browser/--no-browser", help="Open the served page in a browser.")
    ] = True,
) -> None:  # fmt: skip
    """Race optimizers on a function of two variables, in a browser.

    With --out, write the page as one file that needs no network: open it from disk or put it
    on a website. Without, serve it on 127.0.0.1 and open it; that page also reads formulas
    typed into it. Ctrl-C stops the server.

    Exit status: 0 on success, 2 for a usage error (an unknown function, a formula that is
    not of two variables, a bad --out or --port).

    Examples:

    \b
      descend playground                              # served, opens the browser

    \b
      descend playground --out race.html -f himmelblau

    \b
      descend playground --formula "x^2 + 3*y^2 + x*y" --formula "sin(x)*cos(y)"
    """
    from descend.formula import FormulaError

    formulas = list(formula or [])
    if not 0 <= port <= 65535:
        raise InputError(f"--port {port}: expected a whole number from 0 to 65535")
    writable(page_file, "--out", (".html", ".htm"))
    try:
        if page_file is not None:
            from descend.playground import Playground

            board = Playground(function, formulas)
            board.save(page_file)
            size = len(board.html.encode("utf-8"))
            out().print(
                f"Wrote {page_file} ({size / 1000:.0f} kB): open it in a browser; it needs no "
                "network."
            )
            return
        _serve(function, formulas, port, browser)
    except FormulaError as error:
        raise InputError(f"--formula {error.text!r}: {error.reason}") from None
    except ValueError as error:
        raise InputError(str(error)) from None


def _serve(function: str, formulas: list[str], port: int, browser: bool) -> None:
    """Serve the page until Ctrl-C, which stops the server and ends the command normally."""
    import webbrowser

    from descend.playground.server import PlaygroundServer

    try:
        server = PlaygroundServer(port, function, formulas)
    except OSError as error:  # the port is taken, or not ours to take
        raise InputError(f"--port {port}: cannot listen on 127.0.0.1 ({error.strerror})") from None
    console = out()
    console.print(f"descend playground at {server.url} (Ctrl-C stops it)")
    try:
        if browser:
            webbrowser.open(server.url)
        server.serve_forever()
    except KeyboardInterrupt:
        console.print("stopped")
    finally:
        server.server_close()
