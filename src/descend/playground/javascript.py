r"""Functions of the plane as JavaScript, written at generation time from SymPy expressions.

The page computes every value and gradient itself, so each function it offers is turned into
two JavaScript expressions here: its value and its exact gradient, derived by SymPy and
printed by SymPy's JavaScript printer (:func:`sympy.printing.jscode.jscode`'s printer).

Every function goes through :func:`descend.formula.parse`, the one safe reader of formulas:
a formula typed by a user, and the built-in functions too, each of which is written here as
the formula text of :data:`BUILTINS` (a test checks that each agrees with
:mod:`descend.functions`). Before printing, each expression takes the numeric form that
:mod:`descend.formula` compiles for NumPy (its constants folded into the same floats), with
its variables renamed ``x`` and ``y``: a variable the user named ``Math`` or ``this`` cannot
shadow anything in the code.

Ackley's function alone is printed otherwise, as descend's NumPy code computes it: its value
with ``expm1`` (the formula's ``+ 20 + e`` cancels near the minimum), and its gradient 0 at the
origin, where SymPy's derivative is 0/0 (see :func:`_printed`).

Examples
--------
>>> from descend.playground.javascript import compile_formula
>>> entry = compile_formula("x^2 + 3*y^2")
>>> entry.value, entry.grad
('Math.pow(x, 2) + 3*Math.pow(y, 2)', ('2*x', '6*y'))
>>> entry.python
'descend.formula.parse("x^2 + 3*y^2").objective()'
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from descend import functions
from descend.formula import FormulaError, parse

__all__ = ["BUILTINS", "Entry", "builtin", "compile_formula", "plane_functions", "script"]

#: The functions of the plane in :mod:`descend.functions`, as formulas of x and y, written in
#: the arithmetic of their NumPy versions where the two could differ (Rastrigin's cosines as
#: squared sines, Ackley's mean of two terms).
BUILTINS: dict[str, str] = {
    "sphere": "x^2 + y^2",
    "quartic": "x^2 + y^4",
    "rosenbrock": "100*(y - x^2)^2 + (1 - x)^2",
    "beale": "(1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2 + (2.625 - x + x*y^3)^2",
    "booth": "(x + 2*y - 7)^2 + (2*x + y - 5)^2",
    "matyas": "0.26*(x^2 + y^2) - 0.48*x*y",
    "himmelblau": "(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
    "three_hump_camel": "2*x^2 - 1.05*x^4 + x^6/6 + x*y + y^2",
    "six_hump_camel": "(4 - 2.1*x^2 + x^4/3)*x^2 + x*y + (4*y^2 - 4)*y^2",
    "rastrigin": "x^2 + 20*sin(pi*x)^2 + y^2 + 20*sin(pi*y)^2",
    "ackley": "-20*exp(-0.2*sqrt((x^2 + y^2)/2)) - exp((cos(2*pi*x) + cos(2*pi*y))/2) + 20 + e",
    "styblinski_tang": "(x^4 - 16*x^2 + 5*x + y^4 - 16*y^2 + 5*y)/2",
    "goldstein_price": (
        "(1 + (x + y + 1)^2*(19 - 14*x + 3*x^2 - 14*y + 6*x*y + 3*y^2))"
        "*(30 + (2*x - 3*y)^2*(18 - 32*x + 12*x^2 + 48*y - 36*x*y + 27*y^2))"
    ),
}

#: The plotting box and start of a formula, which has none of its own.
FORMULA_BOUNDS = ((-3.0, 3.0), (-3.0, 3.0))
FORMULA_X0 = (-2.0, 2.0)


@dataclass(frozen=True)
class Entry:
    """A function as the page takes it.

    Attributes
    ----------
    key : str
        Its name in the page and in links: a built-in function's name, or ``formula:`` and
        the formula's text.
    label : str
        What the function menu shows.
    formula : str
        The function written out.
    variables : tuple of str
        The names of its two coordinates, for the axes.
    value : str
        A JavaScript expression in ``x`` and ``y`` for the value.
    grad : tuple of str
        Two JavaScript expressions for the partial derivatives.
    python : str
        A Python expression for the same function, for the page's "copy as Python".
    x0, bounds :
        A start and the box the map shows.
    minimum : float or None
        The least value, where known (the loss curves then show ``f − minimum``).
    minimizers : tuple
        The points where it is reached, where known (marked on the map).
    """

    key: str
    label: str
    formula: str
    variables: tuple[str, ...]
    value: str
    grad: tuple[str, str]
    python: str
    x0: tuple[float, float] = FORMULA_X0
    bounds: tuple = FORMULA_BOUNDS
    minimum: float | None = None
    minimizers: tuple = field(default=())


def plane_functions() -> list[str]:
    """The names of the functions of :mod:`descend.functions` that the page can show: those
    listed in two dimensions, in the module's order.

    >>> plane_functions()[:3]
    ['sphere', 'quartic', 'rosenbrock']
    """
    return [name for name, fn in functions.FUNCTIONS.items() if fn.ndim == 2]


def builtin(name: str) -> Entry:
    """The built-in function ``name`` of :mod:`descend.functions` as a page entry.

    Raises
    ------
    ValueError
        For a name that is not a function of the plane, listing those that are.

    Examples
    --------
    >>> entry = builtin("booth")
    >>> entry.python, entry.minimum, entry.grad[0]
    ('descend.functions.booth', 0.0, '10*x + 8*y - 34')
    """
    key = str(name).strip().lower().replace("-", "_").replace(" ", "_")
    if key not in BUILTINS:
        known = ", ".join(plane_functions())
        raise ValueError(f"Unknown function {name!r}; the playground's functions are {known}")
    fn = functions.FUNCTIONS[key]
    parsed = parse(BUILTINS[key], variables=("x", "y"))
    if key == "ackley":
        value, grad = _printed(parsed, value=_ackley_value(), origin_safe=True)
    else:
        value, grad = _printed(parsed)
    return Entry(
        key=key, label=key.replace("_", " "), formula=fn.formula, variables=("x", "y"),
        value=value, grad=grad, python=f"descend.functions.{key}",
        x0=tuple(float(v) for v in fn.x0), bounds=fn.bounds, minimum=fn.minimum,
        minimizers=tuple(tuple(float(v) for v in m) for m in fn.minimizers),
    )  # fmt: skip


def compile_formula(text: str) -> Entry:
    """A formula of two variables as a page entry.

    Parameters
    ----------
    text : str
        The formula, read by :func:`descend.formula.parse`.

    Raises
    ------
    descend.formula.FormulaError
        When the parser refuses the formula, when it does not have exactly two variables, or
        when its gradient holds something JavaScript has no function for.

    Examples
    --------
    >>> from descend.formula import FormulaError
    >>> compile_formula("a*b").variables
    ('a', 'b')
    >>> try:
    ...     compile_formula("x + y + z")
    ... except FormulaError as error:
    ...     print(error.reason)
    the playground draws functions of two variables; 'x + y + z' has 3 (x, y, z)
    """
    if not isinstance(text, str):
        raise TypeError(f"Invalid formula: {text!r}; expected a string")
    text = text.strip()
    parsed = parse(text)
    if len(parsed.variables) != 2:
        count = len(parsed.variables)
        raise FormulaError(
            f"the playground draws functions of two variables; {text!r} has {count} "
            f"({', '.join(parsed.variables)})",
            text,
        )
    value, grad = _printed(parsed)
    return Entry(
        key=f"formula:{text}", label=text, formula=text, variables=parsed.variables,
        value=value, grad=grad, python=f"descend.formula.parse({json.dumps(text)}).objective()",
    )  # fmt: skip


def script(entry: Entry) -> str:
    """The JavaScript that adds ``entry`` to the page: a call of
    ``descendPlayground.addFunction`` with the entry's data and its two functions.

    The same text goes inline into a page written with the function, and is what the local
    server answers for a formula typed in the served page. The data is JSON with every
    character that could end a script or start an HTML comment escaped.

    >>> print(script(compile_formula("x*y")))  # doctest: +ELLIPSIS
    descendPlayground.addFunction({"key": "formula:x*y", ...},
      function (x, y) { return x*y; },
      function (x, y) { return [y, x]; });
    """
    data = {
        "key": entry.key, "label": entry.label, "formula": entry.formula,
        "variables": list(entry.variables), "python": entry.python, "x0": list(entry.x0),
        "bounds": [list(b) for b in entry.bounds], "minimum": entry.minimum,
        "minimizers": [list(m) for m in entry.minimizers],
    }  # fmt: skip
    gx, gy = entry.grad
    return (
        f"descendPlayground.addFunction({script_json(data)},\n"
        f"  function (x, y) {{ return {entry.value}; }},\n"
        f"  function (x, y) {{ return [{gx}, {gy}]; }});"
    )


def script_json(value) -> str:
    """``value`` as JSON that is safe inside a ``<script>`` element: ``<``, ``>`` and ``&``
    and every character beyond ASCII (the line separators JavaScript once refused among
    them) are written as ``\\u`` escapes.

    >>> script_json({"text": "</script>"})
    '{"text": "\\\\u003c/script\\\\u003e"}'
    """
    text = json.dumps(value, ensure_ascii=True, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _printed(parsed, *, value=None, origin_safe: bool = False) -> tuple[str, tuple[str, str]]:
    """The value and the two partial derivatives of a parsed formula as JavaScript.

    ``value``, a SymPy expression in real symbols ``x`` and ``y``, replaces the formula's own
    value (see :func:`_ackley_value`).

    With ``origin_safe`` (Ackley's function), each partial derivative is written as
    ``r2 > 0 ? d : d0``, where ``r2`` is the square root's argument in it and ``d0`` is ``d``
    without the terms that hold that root. SymPy's derivative of the cone term
    ``exp(-b*sqrt(r2))`` is ``0/0`` at ``r2 = 0``, so the page would otherwise have a NaN
    gradient at the origin, where :func:`descend.functions.ackley`'s gradient drops the
    cone term (it has no limit there) and keeps the rest, which is 0 at the origin. The
    condition is the same test ``radius > 0`` that descend's NumPy code makes.
    """
    import sympy
    from sympy.printing.codeprinter import PrintMethodNotImplementedError
    from sympy.printing.jscode import JavascriptCodePrinter

    from descend.formula import printable

    class Printer(JavascriptCodePrinter):
        """SymPy's JavaScript printer, with the constants a formula's numeric form may hold
        that it does not print."""

        def _print_NaN(self, expr):
            return "NaN"

        def _print_Infinity(self, expr):
            return "Infinity"

        def _print_NegativeInfinity(self, expr):
            return "-Infinity"

        def _print_expm1(self, expr):
            return f"Math.expm1({self._print(expr.args[0])})"

    found = {symbol.name: symbol for symbol in parsed.expr.free_symbols}
    renamed = {
        found.get(name, sympy.Symbol(name, real=True)): sympy.Symbol(new, real=True)
        for name, new in zip(parsed.variables, ("x", "y"), strict=True)
    }
    printer = Printer({"strict": True})
    try:
        if value is None:
            value = printer.doprint(printable(parsed.expr, renamed))
        else:
            value = printer.doprint(printable(value, {}))
        grad = tuple(
            printer.doprint(_origin_safe(d, renamed) if origin_safe else printable(d, renamed))
            for d in parsed.gradient
        )
    except PrintMethodNotImplementedError as error:
        raise FormulaError(
            f"formula {parsed.text!r} needs a function JavaScript does not have ({error})",
            parsed.text,
        ) from None
    return value, grad


def _origin_safe(derivative, renamed):
    """``derivative`` in numeric form (see :func:`_printed`'s ``origin_safe``), as a SymPy
    ``Piecewise`` that SymPy's JavaScript printer writes as a conditional expression."""
    import sympy

    from descend.formula import printable

    roots = [p for p in derivative.atoms(sympy.Pow) if p.exp == sympy.Rational(1, 2)]
    if len(roots) != 1:  # the one square root of Ackley's cone term
        raise ValueError(f"expected one square root in {derivative}, found {len(roots)}")
    (root,) = roots
    rest = sympy.Add(*[t for t in sympy.Add.make_args(derivative) if not t.has(root)])
    # Each piece is put in numeric form alone: that form is built unevaluated, which a
    # Piecewise's (expression, condition) pairs cannot be.
    positive = sympy.StrictGreaterThan(printable(root.base, renamed), 0)
    return sympy.Piecewise(
        (printable(derivative, renamed), positive),
        (printable(rest, renamed), True),
    )


def _ackley_value():
    """Ackley's value as :func:`descend.functions.ackley` computes it, with ``expm1``.

    Written as the formula of :data:`BUILTINS` has it, ``… + 20 + e`` cancels near the
    minimum: there the value is about 1e-12 and the sum's rounding errors about 4e-15, enough
    for the line search near the origin to go another way than descend's (conjugate
    gradients from (1, 1) stopped at iteration 2 instead of reaching gtol at 19). With
    ``expm1`` as in NumPy, the value is exact at the origin and accurate near it.
    """
    import sympy
    from sympy.codegen.cfunctions import expm1

    x, y = sympy.Symbol("x", real=True), sympy.Symbol("y", real=True)
    radius = sympy.sqrt((x**2 + y**2) / 2)
    waves = (sympy.cos(2 * sympy.pi * x) + sympy.cos(2 * sympy.pi * y)) / 2
    return -20 * expm1(-sympy.Rational(1, 5) * radius) - sympy.E * expm1(waves - 1)
