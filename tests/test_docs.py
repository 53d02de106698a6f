"""The documentation's code runs and shows what it says: every ``>>>`` example of the pages in
docs/ is run as a doctest, and every ``$ descend ...`` command of the command-line page is run,
its shown output checked against what it prints.

The pages themselves are built by Sphinx (``python -m sphinx -W --keep-going -b html docs
docs/_build/html``, which also runs the gallery's scripts), not here."""

import doctest
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
# The pages written by hand (not those Sphinx generates) that hold examples.
PAGES = sorted(
    p
    for p in DOCS.rglob("*.rst")
    if not p.relative_to(DOCS).parts[0].startswith(("_", "auto_", "generated"))
    and ">>> " in p.read_text(encoding="utf-8")
)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
#: Pages whose examples take more than a moment: a Dask cluster and compiled chunk passes; the
#: command-line page's examples (run again by its slow test below).
SLOW = {"guide/data.rst", "guide/cli.rst"}


def test_the_pages_are_found():
    names = {p.relative_to(DOCS).as_posix() for p in PAGES}
    assert {"index.rst", "guide/minimizing.rst", "guide/cli.rst"} <= names


def _name(page: Path) -> str:
    return page.relative_to(DOCS).as_posix()


@pytest.mark.parametrize(
    "page",
    [pytest.param(p, marks=pytest.mark.slow) if _name(p) in SLOW else p for p in PAGES],
    ids=_name,
)
def test_the_examples_of_a_page_run(page, monkeypatch, tmp_path):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)  # whatever a page writes lands here
    text = page.read_text(encoding="utf-8")
    parser = doctest.DocTestParser()
    test = parser.get_doctest(text, {"__name__": "__docs__"}, page.name, str(page), 0)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    try:
        runner.run(test)
    finally:
        import matplotlib.pyplot as plt

        plt.close("all")
    assert runner.failures == 0, f"{runner.failures} example(s) of {page.name} failed"


def console_sessions(text: str):
    """Yield ``(command, shown output lines)`` for every ``$ ...`` line of the page's
    ``console`` blocks."""
    for block in re.findall(r"\.\. code-block:: console\n\n((?:   .*\n|\n)+)", text):
        lines = [line[3:] for line in block.rstrip().splitlines()]
        command, shown = None, []
        for line in lines:
            if line.startswith("$ "):
                if command:
                    yield command, shown
                command, shown = line[2:], []
            elif command and line.strip():
                shown.append(line.rstrip())
        if command:
            yield command, shown


@pytest.mark.slow
def test_the_command_line_page_shows_what_the_commands_print(tmp_path, monkeypatch):
    page = DOCS / "guide" / "cli.rst"
    text = page.read_text(encoding="utf-8")
    # the page's own Python writes the files its commands read
    monkeypatch.chdir(tmp_path)
    test = doctest.DocTestParser().get_doctest(text, {}, page.name, str(page), 0)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    runner.run(test)
    assert runner.failures == 0
    sessions = list(console_sessions(text))
    assert len(sessions) >= 4
    env = {**os.environ, "MPLBACKEND": "Agg", "COLUMNS": "100"}
    for command, shown in sessions:
        words = shlex.split(command)
        assert words[0] == "descend"
        done = subprocess.run(
            [sys.executable, "-m", "descend", *words[1:]],
            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"
        printed = [line.rstrip() for line in (done.stdout + done.stderr).splitlines()]
        # every line shown, "..." (the rows left out) aside, is printed, in the order shown
        at = 0
        for line in shown:
            if line == "...":
                continue
            assert line in printed[at:], f"{command}: {line!r} not printed\n" + "\n".join(printed)
            at = printed.index(line, at) + 1
