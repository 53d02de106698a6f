r"""The playground: one page where optimizers race on a function of the plane.

A learner opens it from disk (it makes no network request at all) or a teacher puts it on a
website. The page offers the functions of the plane in :mod:`descend.functions` and any
formulas baked in; a click on the contour map picks the start; sliders set each optimizer's
learning rate (on a log scale), momentum, betas and so on; several optimizers run at once,
their paths on the map and their loss curves beside it, with play, pause, step and reset and
each run's stop reason. The whole state is in the address's hash, so a link reproduces a run,
and "copy as Python" gives the :func:`descend.minimize` calls that take the same paths.

Everything is computed in the page. Each function's value and exact gradient are written as
JavaScript when the page is made (:mod:`descend.playground.javascript`, from SymPy), and the
optimizers, the strong-Wolfe line search and the descent loop are ported operation for
operation (``assets/engine.js``), so that a path in the page is the path
:func:`descend.minimize` takes, to rounding. The rounding differs in two ways: a library may
round exp, sin, pow or a dot product otherwise than NumPy and its BLAS; and the page's
gradients are SymPy's derivatives, not the hand-written NumPy gradients of
:mod:`descend.functions`, so they compute the same values in another order and differ in the
last bit at many points (Rosenbrock's gradient is bit for bit the same at only about half).
Most paths agree to about 1e-14; one that magnifies last-bit differences (L-BFGS on
Rosenbrock from its usual start) parts from Python's by about 1e-10, relative.

Formulas: :func:`page` and ``descend playground --formula TEXT`` bake formulas in, read by
:func:`descend.formula.parse` (the one gate for text; nothing typed is ever evaluated).
The page that ``descend playground`` serves on 127.0.0.1 (:mod:`descend.playground.server`)
also takes formulas typed into its box: the server parses each under a time limit and
answers with its script, or with the parser's message. A page opened from a file says that
typed formulas need the served page or ``--formula``.

In a notebook, :func:`playground` returns a :class:`Playground`, which shows the page inline;
``descend.playground(...)`` is that function, as the module itself can be called.

Examples
--------
>>> import descend
>>> board = descend.playground(function="himmelblau", formulas=["x^2 + 3*y^2"])
>>> board
Playground(function='himmelblau', formulas=['x^2 + 3*y^2'])
>>> "<iframe" in board._repr_html_() and "srcdoc=" in board._repr_html_()
True
>>> html = descend.playground.page()
>>> html.startswith("<!DOCTYPE html>") and "http://" not in html and "https://" not in html
True
"""

from __future__ import annotations

import dataclasses
import html as _html
import re
import sys
import types
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path

from descend.playground.javascript import (
    builtin,
    compile_formula,
    plane_functions,
    script,
    script_json,
)

__all__ = ["Playground", "page", "playground"]

#: The function a page shows first, unless told otherwise.
DEFAULT_FUNCTION = "rosenbrock"


@cache
def _asset(name: str) -> str:
    """A file of the page (script, style, template), shipped in ``assets/``."""
    return resources.files(__package__).joinpath("assets", name).read_text(encoding="utf-8")


def optimizer_table() -> dict:
    """What the page knows of each optimizer of :data:`descend.optimizers.OPTIMIZERS`: its
    class name, its hyper-parameters with descend's defaults, and the settings of the
    strong-Wolfe line search it runs with by default (None where it takes a learning rate).

    >>> table = optimizer_table()
    >>> table["adam"]["defaults"]["betas"], table["adam"]["line_search"]
    ([0.9, 0.999], None)
    >>> table["cg"]["line_search"]["c2"], "learning_rate" in table["cg"]["defaults"]
    (0.1, False)
    """
    from descend.linesearch import Wolfe
    from descend.optimizers import OPTIMIZERS

    table = {}
    for name, cls in OPTIMIZERS.items():
        default = cls()
        fields = {f.name: getattr(default, f.name) for f in dataclasses.fields(cls)}
        search = None
        if isinstance(fields["learning_rate"], Wolfe):
            search = dataclasses.asdict(fields.pop("learning_rate"))
        defaults = {k: list(v) if isinstance(v, tuple) else v for k, v in fields.items()}
        table[name] = {"class": cls.__name__, "defaults": defaults, "line_search": search}
    return table


def _same_formula(text: str, formulas: Sequence[str]) -> str | None:
    """The key of the formula among ``formulas`` that ``text`` writes otherwise (other
    spacing, ``**`` for ``^``, terms in another order), or None.

    Two formulas are the same when :func:`descend.formula.parse` reads them into the same
    variables and the same SymPy expression, which SymPy keeps in one canonical form.
    """
    from descend.formula import FormulaError, parse

    try:
        wanted = parse(text)
    except (FormulaError, ValueError, TypeError):  # not a formula: the caller says so
        return None
    for other in formulas:
        theirs = parse(other)  # read once already for the page: it parses
        if (theirs.variables, theirs.expr) == (wanted.variables, wanted.expr):
            return f"formula:{other.strip()}"
    return None


def page(
    function: str = DEFAULT_FUNCTION, formulas: Sequence[str] = (), *, served: bool = False
) -> str:
    """The playground page as one self-contained HTML text.

    Parameters
    ----------
    function : str
        The function shown first: a function of the plane of :mod:`descend.functions` (see
        :func:`descend.playground.javascript.plane_functions`) or one of ``formulas``, written
        as there or otherwise (``x^2+y^2`` names ``x^2 + y^2``: the two parse alike).
    formulas : sequence of str
        Formulas of two variables to offer besides the built-in functions, each read by
        :func:`descend.formula.parse`.
    served : bool
        Whether the page is served by :mod:`descend.playground.server`, which reads formulas
        typed into the page.

    Returns
    -------
    str
        The page: its script and style inline, no file or address outside it.

    Raises
    ------
    ValueError
        For an unknown function.
    descend.formula.FormulaError
        For a formula the parser refuses or that does not have two variables.

    Examples
    --------
    >>> from descend.playground import page
    >>> text = page("booth", formulas=["(x - 1)^2 + 2*(y + 1)^2"])
    >>> '"key": "formula:(x - 1)^2 + 2*(y + 1)^2"' in text
    True
    >>> formula = "(x - 1)^2 + 2*(y + 1)^2"
    >>> f'"initial": "formula:{formula}"' in page("(x-1)**2+2*(y+1)^2", [formula])
    True
    >>> page("nowhere")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: Unknown function 'nowhere'; the playground's functions are sphere, ...
    """
    import descend
    from descend.descent import DEFAULT_GTOL
    from descend.driver import DIVERGENCE_FACTOR
    from descend.optimizers.quasi_newton import CURVATURE
    from descend.stopping import MESSAGES

    if isinstance(formulas, str):
        formulas = [formulas]
    entries = [builtin(name) for name in plane_functions()]
    entries += [compile_formula(text) for text in dict.fromkeys(formulas)]
    keys = {entry.key: entry for entry in entries}
    initial = str(function).strip()
    if initial not in keys and f"formula:{initial}" in keys:
        initial = f"formula:{initial}"
    if initial not in keys and initial not in plane_functions():
        initial = _same_formula(initial, formulas) or initial
    if initial not in keys:
        try:
            initial = builtin(initial).key
        except ValueError as error:
            raise ValueError(f"{error}, or a formula given with it") from None
    data = {
        "initial": initial,
        "served": bool(served),
        "version": descend.__version__,
        "optimizers": optimizer_table(),
        "messages": {r: MESSAGES[r] for r in ("gtol", "max_iter", "diverged", "line_search")},
        "divergence_factor": DIVERGENCE_FACTOR,
        "curvature": CURVATURE,
        "default_gtol": DEFAULT_GTOL,
    }
    parts = {
        "style": _asset("page.css"),
        "engine": _asset("engine.js"),
        "page": _asset("page.js"),
        "functions": "\n".join(script(entry) for entry in entries),
        "data": script_json(data),
        "version": _html.escape(descend.__version__),
        "served": " but the formulas you type, to the descend that serves it" if served else "",
    }
    # one pass over the template, so that nothing inserted is read as a marker again
    return re.sub(r"/\*@(\w+)@\*/", lambda m: parts[m.group(1)], _asset("page.html"))


class Playground:
    """The playground page, for a notebook: shown inline, or saved as a file.

    Make one with :func:`playground` (``descend.playground(...)``).

    Attributes
    ----------
    html : str
        The page (see :func:`page`).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import descend
    >>> board = descend.playground()
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = board.save(Path(folder.name) / "race.html")
    >>> path.read_text(encoding="utf-8") == board.html
    True
    >>> folder.cleanup()
    """

    #: The height of the inline frame, in CSS pixels: the map, the controls and a little more.
    HEIGHT = 900

    def __init__(self, function: str = DEFAULT_FUNCTION, formulas: Sequence[str] = ()):
        self.function = function
        self.formulas = [formulas] if isinstance(formulas, str) else list(formulas)
        self.html = page(function, self.formulas)

    def __repr__(self) -> str:
        return f"Playground(function={self.function!r}, formulas={self.formulas!r})"

    def _repr_html_(self) -> str:
        # The page goes in srcdoc, escaped as an attribute value (quotes included): the frame
        # keeps its script and style apart from the notebook's.
        return (
            f'<iframe srcdoc="{_html.escape(self.html, quote=True)}" '
            f'style="width: 100%; height: {self.HEIGHT}px; border: 0" '
            'title="descend playground"></iframe>'
        )

    def save(self, path) -> Path:
        """Write the page to ``path`` (whole or not at all) and return the path."""
        from descend.datafiles import atomic_write

        path = Path(path)
        with atomic_write(path) as out:
            out.write(self.html)
        return path


def playground(function: str = DEFAULT_FUNCTION, formulas: Sequence[str] = ()) -> Playground:
    """The playground page as an object a notebook shows inline.

    Parameters
    ----------
    function, formulas :
        As for :func:`page`.

    Returns
    -------
    Playground

    Examples
    --------
    >>> import descend
    >>> descend.playground("six_hump_camel").function
    'six_hump_camel'
    """
    return Playground(function, formulas)


class _CallableModule(types.ModuleType):
    """This module, callable as :func:`playground`.

    ``descend.playground`` is this package, once it is imported, whichever way: the import
    system sets the parent package's attribute to it. Making the module callable lets
    ``descend.playground(...)`` be the notebook's one-line call, and
    ``descend.playground.page(...)`` reach the rest.
    """

    def __call__(self, *args, **kwargs) -> Playground:
        return playground(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
