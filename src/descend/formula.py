r"""Formulas typed as text: a safe parser with exact gradients.

:func:`parse` turns a formula such as ``"w1^2 + w2^4"`` into a :class:`Formula`: the SymPy
expression, its exact gradient, and fast NumPy functions for both, ready for
:func:`descend.minimize` through :meth:`Formula.objective`.

The text may come from anyone (a command line, a web form), so it is never evaluated. It is
read with :func:`ast.parse` and only an allow-list of constructs is turned, node by node, into
SymPy objects built with explicit constructors:

* numbers (whole or decimal, such as ``3``, ``0.5``, ``1e-3``), the constants ``pi`` and ``e``
  (Euler's number, so ``e`` cannot be a variable), and variable names made of ASCII letters,
  digits and underscores, starting with a letter;
* ``+``, ``-``, ``*``, ``/``, ``**`` and ``^`` (both mean power), and a sign in front;
  the Unicode operators − (minus), × and · (times) and ÷ (divide) may stand in for their
  ASCII versions;
* calls of the functions in :data:`FUNCTIONS` (``sin``, ``exp``, ``log`` for the natural
  logarithm, ``sqrt``, ``abs``, ...).

Anything else, from attribute access to strings, lambdas or comparisons, raises
:class:`FormulaError`, a :class:`ValueError` that names the piece of the formula at fault and
points at it. Any other non-ASCII character is refused too, look-alike letters (a fullwidth
``ｘ``) included. So are formulas that would be costly or meaningless to build: longer than
:data:`MAX_LENGTH` characters, nested deeper than :data:`MAX_DEPTH`, with a number beyond
:data:`MAX_LITERAL` or an exponent without variables beyond :data:`MAX_EXPONENT` in size (as
in ``9**9**9**9``), or with a constant that is not a finite real number (``1/0``,
``log(-1)``, ``10.0**400``) or that floating point would read as 0 (``1e-400``,
``exp(-1000)``). A formula may hold at most :data:`MAX_VARIABLES` variables, and the work its
gradient takes is estimated before it is derived (:data:`MAX_WORK`): a product of a hundred
factors, whose gradient has ten thousand of them, is refused. A variable may not be named
like a word Python reserves (``lambda``, ``in``); the message says so.

These checks run before SymPy is even imported: a formula that is refused costs a few
milliseconds, and SymPy is loaded with the first formula that passes them.

SymPy does the algebra, and on a few crafted formulas its simplifications can still run for
a very long time, chiefly high powers of expressions it cannot show to be real, such as
``log(x)**1000``, inside other functions. Where formulas come from strangers (a web
service), call :func:`parse` under a time limit.

Examples
--------
>>> import descend
>>> from descend.formula import parse
>>> f = parse("x^2 - 6*x + 5")
>>> f.variables, f.gradient_text()
(('x',), ['∂f/∂x = 2*x - 6'])
>>> f(15.0), f.grad(15.0)
(140.0, 24.0)
>>> res = descend.minimize(f.objective(), 15.0, learning_rate=0.01, xtol=0.001)
>>> round(res.x, 4), res.nit
(3.0483, 273)
>>> parse("x.real")
Traceback (most recent call last):
    ...
descend.formula.FormulaError: attribute access is not allowed: '.real'
    x.real
     ^^^^^
"""

from __future__ import annotations

import ast
import functools
import keyword
import math
import re
import sys
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from descend.objective import Objective

if TYPE_CHECKING:
    import sympy

__all__ = [
    "CONSTANTS",  # noqa: F822 - made on first access, by __getattr__
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "MAX_LITERAL",
    "MAX_VARIABLES",
    "MAX_WORK",
    "Formula",
    "FormulaError",
    "parse",
    "printable",
]

#: The longest formula accepted, in characters.
MAX_LENGTH = 1000
#: The deepest nesting of operations and calls accepted: ``x`` has depth 1, ``-x`` 2 and
#: ``sin(x + y)`` 3; a run such as ``a + b - c`` (or ``a * b / c``) counts as one level.
MAX_DEPTH = 60
#: The largest size of a number written in a formula.
MAX_LITERAL = 1e100
#: The largest size of an exponent that holds no variables.
MAX_EXPONENT = 1000
#: The most variables a formula may have.
MAX_VARIABLES = 100
#: The most work deriving and compiling the gradient may take, in steps estimated from the
#: formula before any of it is done (about five microseconds each, so about a second): a
#: product of k factors costs about k² steps for each of its variables, and every operation
#: copied into the gradient ten. A product of 40 variables takes about 100,000 steps, one of
#: 60 about 300,000.
MAX_WORK = 200_000
# What deriving one term of a sum counts, in steps: measured, SymPy takes about five times
# as long over it as over a factor of the product rule.
_TERM_STEPS = 5
# What copying one operation into the gradient counts, in steps: it is printed into NumPy
# code and compiled later, which takes about ten times as long as a step of the product rule.
_COPY_STEPS = 10

# A power with a constant exponent n raises every exact integer and fraction in its base to
# about the n-th power: x**1000 is cheap, but ((3/2*x)**1000)**1000 would make SymPy multiply
# numbers of millions of digits. Powers whose exact numbers could pass this many bits are
# refused before they are built.
_MAX_EXACT_BITS = 16_384
# The longest numerator or denominator a finished formula may hold, in bits (about 1200
# digits): Python refuses to print integers of more than 4300 digits.
_MAX_NUMBER_BITS = 4096

# Letters first, then letters, digits and underscores: a leading underscore could reach
# Python's private and "dunder" names, and the parser already refuses everything else.
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")

# A word of the formula: a name, or a keyword, not the exponent of a number such as 1e5.
_WORD = re.compile(r"(?<![\w.])[A-Za-z_]\w*")

# Unicode operators people paste from documents, as the ASCII operator each stands for.
_UNICODE_OPERATORS = {"\u2212": "-", "\u00d7": "*", "\u00b7": "*", "\u00f7": "/"}


class FormulaError(ValueError):
    """A formula that is not allowed or not understood.

    The message quotes the offending piece and, when it has a place in the formula, shows
    the formula with a caret line under that piece.

    Attributes
    ----------
    text : str
        The formula as typed.
    column : int or None
        Where the piece starts in ``text`` (0-based), or None when the fault has no place
        (an empty formula, one with no variables).
    piece : str
        The offending part of ``text`` (or of the variable names passed).
    reason : str
        The first line of the message, without the caret lines.

    Examples
    --------
    >>> from descend.formula import FormulaError, parse
    >>> try:
    ...     parse("x**2 + y.z")
    ... except FormulaError as err:
    ...     print(err.column, repr(err.piece))
    8 '.z'
    """

    def __init__(self, reason: str, text: str, column: int | None = None, piece: str = ""):
        self.reason = reason
        self.text = text
        self.column = column
        self.piece = piece
        message = reason if column is None else f"{reason}\n{_pointer(text, column, piece)}"
        super().__init__(message)

    def __reduce__(self):
        # Exceptions pickle their args by default, which would lose text, column and piece.
        return (type(self), (self.reason, self.text, self.column, self.piece))


@functools.cache
def _symbolic_functions() -> dict[str, Callable]:
    """The SymPy function each name of :data:`FUNCTIONS` builds, importing SymPy once.

    SymPy takes about a fifth of a second to import, and is needed only once a formula has
    passed every check: the classes built on it are defined here, on first use, and then
    published as module attributes (pickle finds them there).
    """
    import sympy

    class _RealAbs(sympy.Abs):
        """``abs`` on the real line, whose derivative is ``sign(u) * u'``.

        SymPy's Abs differentiates an argument it cannot prove real (``log(x)``, ``sqrt(x)``)
        through its real and imaginary parts, giving correct but unreadable gradients. A formula
        lives on the real line, where this simpler derivative is the right one.
        """

        @classmethod
        def eval(cls, arg):
            # SymPy's simplifications of abs of an argument not known to be real go through its
            # real and imaginary parts, which can expand into millions of terms (as in
            # abs(exp(log(x)**1000))): such an abs is left as it is.
            return super().eval(arg) if arg.is_extended_real else None

        def _eval_derivative(self, symbol):
            arg = self.args[0]
            return sympy.sign(arg) * arg.diff(symbol)

    class _RealHyperbolic:
        """Cheap answers to SymPy's questions about sinh, cosh and tanh ("is it real?").

        SymPy's own answers split the argument into real and imaginary parts, which expands
        powers and products: asking whether ``sinh(log(x)**1000)`` is zero, as differentiating
        does, expands a complex 1000th power and practically never returns, and even a real
        argument such as ``sin((1 - z)**1000)`` gets multiplied out. Here the answers look at the
        argument alone and are given only for a real one; otherwise they stay unknown, which is
        always allowed.
        """

        def _argument_real(self):
            return True if self.args[0].is_extended_real else None

        def _eval_is_real(self):
            return True if self.args[0].is_real else None

        _eval_is_extended_real = _argument_real
        _eval_is_finite = _eval_is_real

    class _OddHyperbolic(_RealHyperbolic):
        """sinh and tanh of a real argument have its sign."""

        def _eval_is_positive(self):
            return self.args[0].is_extended_positive if self._argument_real() else None

        def _eval_is_negative(self):
            return self.args[0].is_extended_negative if self._argument_real() else None

        def _eval_is_zero(self):
            return self.args[0].is_zero if self._argument_real() else None

    class _sinh(_OddHyperbolic, sympy.sinh):
        """sinh, with cheap answers about its argument."""

        def fdiff(self, argindex=1):
            return _cosh(self.args[0])

    class _tanh(_OddHyperbolic, sympy.tanh):
        """tanh, with cheap answers about its argument."""

        def fdiff(self, argindex=1):
            return 1 - _tanh(self.args[0]) ** 2

    class _cosh(_RealHyperbolic, sympy.cosh):
        """cosh, with cheap answers about its argument: of a real one, it is positive."""

        _eval_is_positive = _RealHyperbolic._argument_real
        _eval_is_nonnegative = _RealHyperbolic._argument_real

        def _eval_is_zero(self):
            return False if self.args[0].is_extended_real else None

        def fdiff(self, argindex=1):
            return _sinh(self.args[0])

    published = {"_RealAbs": _RealAbs, "_sinh": _sinh, "_cosh": _cosh, "_tanh": _tanh}
    for name, cls in published.items():
        # pickle looks a class up by its module and qualified name: the module attribute.
        cls.__qualname__ = name
        # Printers (str, lambdify) pick their method by class name: print them as SymPy's.
        cls.__name__ = {"_RealAbs": "Abs"}.get(name, name.lstrip("_"))
    globals().update(published)
    return {
        "sin": sympy.sin,
        "cos": sympy.cos,
        "tan": sympy.tan,
        "asin": sympy.asin,
        "acos": sympy.acos,
        "atan": sympy.atan,
        "atan2": sympy.atan2,
        "sinh": _sinh,
        "cosh": _cosh,
        "tanh": _tanh,
        "exp": sympy.exp,
        "log": sympy.log,
        "log10": lambda arg: sympy.log(arg, 10),
        "log2": lambda arg: sympy.log(arg, 2),
        "sqrt": sympy.sqrt,
        "abs": _RealAbs,
    }


# The names defined by _symbolic_functions, and CONSTANTS, made on first access.
_ON_FIRST_USE = ("_RealAbs", "_sinh", "_cosh", "_tanh")


def __getattr__(name: str):
    if name == "CONSTANTS":
        return _constants()
    if name in _ON_FIRST_USE:
        _symbolic_functions()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _Function(NamedTuple):
    """A function a formula may call: its name, float version and argument count."""

    name: str
    numeric: Callable
    arity: int = 1

    @property
    def symbolic(self) -> Callable:
        """The SymPy function it builds (SymPy is imported on first use)."""
        return _symbolic_functions()[self.name]


#: The functions a formula may call, by name; each one's ``symbolic`` is the SymPy function
#: it builds.
FUNCTIONS: dict[str, _Function] = {
    name: _Function(name, numeric, arity)
    for name, numeric, arity in [
        ("sin", math.sin, 1),
        ("cos", math.cos, 1),
        ("tan", math.tan, 1),
        ("asin", math.asin, 1),
        ("acos", math.acos, 1),
        ("atan", math.atan, 1),
        ("atan2", math.atan2, 2),
        ("sinh", math.sinh, 1),
        ("cosh", math.cosh, 1),
        ("tanh", math.tanh, 1),
        ("exp", math.exp, 1),
        ("log", math.log, 1),
        ("log10", math.log10, 1),
        ("log2", math.log2, 1),
        ("sqrt", math.sqrt, 1),
        ("abs", math.fabs, 1),
    ]
}

# The named constants' values, for the checks that run before SymPy is imported.
_CONSTANT_VALUES = {"pi": math.pi, "e": math.e}


@functools.cache
def _constants() -> dict[str, sympy.Expr]:
    """:data:`CONSTANTS`: ``pi``, and ``e`` for Euler's number, as SymPy's exact constants.

    The module attribute ``CONSTANTS`` is this dictionary, made on first access.
    """
    import sympy

    return {"pi": sympy.pi, "e": sympy.E}


# Plain words for the constructs a formula may not use, named after the ast node.
_CONSTRUCTS = {
    ast.Attribute: "attribute access",
    ast.Subscript: "indexing",
    ast.Slice: "a slice",
    ast.Lambda: "a lambda",
    ast.ListComp: "a list comprehension",
    ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.Compare: "a comparison",
    ast.BoolOp: "a logical operator",
    ast.IfExp: "a conditional expression",
    ast.JoinedStr: "an f-string",
    ast.FormattedValue: "an f-string",
    ast.Starred: "unpacking with *",
    ast.NamedExpr: "an assignment (:=)",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield from",
    ast.List: "a list",
    ast.Tuple: "a tuple",
    ast.Set: "a set",
    ast.Dict: "a dict",
}
_OPERATORS = {
    ast.FloorDiv: "floor division (//)",
    ast.Mod: "the remainder operator (%)",
    ast.MatMult: "matrix multiplication (@)",
    ast.LShift: "a bit shift (<<)",
    ast.RShift: "a bit shift (>>)",
    ast.BitOr: "the bitwise or (|)",
    ast.BitAnd: "the bitwise and (&)",
    ast.Not: "the logical not",
    ast.Invert: "the bitwise not (~)",
}
# Operators that chain into one run: a sum (of + and -) or a product (of * and /).
_RUNS = {ast.Add: "sum", ast.Sub: "sum", ast.Mult: "product", ast.Div: "product"}
_BINARY_NUMERIC = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}


def parse(text: str, variables: Sequence[str] | None = None) -> Formula:
    """Read a formula typed as text into a :class:`Formula`.

    Parameters
    ----------
    text : str
        The formula, such as ``"x**2 - 6*x + 5"`` or ``"sin(x)*exp(-y^2)"``. ``^`` and
        ``**`` both mean power; see :mod:`descend.formula` for all that is allowed.
    variables : sequence of str, optional
        The variables in the order of a point's coordinates. By default, the names in the
        formula sorted naturally (``x`` before ``y``, ``w2`` before ``w10``). When given, every
        name in the formula must be among them; a variable the formula does not use is
        allowed (its derivative is 0).

    Returns
    -------
    Formula

    Raises
    ------
    FormulaError
        If the formula uses anything not allowed, cannot be read, is too long, too deep or
        too large, has no variables, or disagrees with ``variables``.

    Examples
    --------
    >>> from descend.formula import parse
    >>> parse("w10 + w2^2").variables
    ('w2', 'w10')
    >>> parse("x*y", variables=["y", "x", "z"]).gradient_text()
    ['∂f/∂y = x', '∂f/∂x = y', '∂f/∂z = 0']
    >>> parse("sin(x, y)")
    Traceback (most recent call last):
        ...
    descend.formula.FormulaError: sin() takes 1 argument, not 2: 'sin(x, y)'
        sin(x, y)
        ^^^^^^^^^
    """
    if not isinstance(text, str):
        raise TypeError(f"Invalid formula: {text!r}; expected a string")
    allowed = None if variables is None else _check_variables(variables, text)
    source = _Source(text)
    tree = source.parse()
    # Every check that needs no SymPy runs first, on the syntax tree: a refusal is quick.
    found = _Checker(source, allowed).check(tree.body)
    names = tuple(sorted(found, key=_natural_key)) if allowed is None else allowed
    builder = _Builder(source)
    try:
        expr = builder.build(tree.body)
        if not found:
            # Only now: what makes a constant formula unusable (9**9**9**9) says more.
            raise FormulaError(f"formula {_quote(text)} has no variables; it is a constant", text)
        symbols = [builder.symbols.get(name) or _symbol(name) for name in names]
        gradient = tuple(expr.diff(symbol) for symbol in symbols)
        _check_numbers(text, expr, gradient)
    except FormulaError:
        raise
    except RecursionError:
        # SymPy's simplifications recurse without end on a few expressions, such as
        # acos((-1)**(x + 1)); the depth limit keeps our own recursion far from Python's.
        raise FormulaError(f"formula {_quote(text)} is too intricate to simplify", text) from None
    except Exception as exc:
        # Whatever else SymPy trips over is still a formula that cannot be used.
        reason = f"SymPy cannot work with formula {_quote(text)} ({type(exc).__name__})"
        raise FormulaError(reason, text) from exc
    return Formula(text, expr, names, gradient)


@dataclass(frozen=True)
class Formula:
    """A formula with its exact gradient and fast numeric versions of both.

    Make one with :func:`parse`. Calling it gives the value at a point, :meth:`grad` the
    gradient; both take one point or a batch of points and suppress NumPy's warnings, so
    a point outside the domain (the log of a negative number) gives nan or inf.

    A point has one coordinate per variable, in the order of ``variables``: a float for a
    formula of one variable, else an array of shape ``(d,)``. A batch is an array of shape
    ``(..., d)`` (any shape for one variable), and gives values of shape ``(...)`` and
    gradients of shape ``(..., d)``.

    Attributes
    ----------
    text : str
        The formula as typed.
    expr : sympy.Expr
        The formula as a SymPy expression, its variables real symbols.
    variables : tuple of str
        The variable names, in the order of a point's coordinates.
    gradient : tuple of sympy.Expr
        The partial derivative of ``expr`` by each variable.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.formula import parse
    >>> f = parse("x^2 + 3*y")
    >>> f([1.0, 2.0]), f.grad([1.0, 2.0])
    (7.0, array([2., 3.]))
    >>> f(np.array([[1.0, 2.0], [0.0, 0.0]]))
    array([7., 0.])
    >>> f.grad(np.array([[1.0, 2.0], [0.0, 0.0]]))
    array([[2., 3.],
           [0., 3.]])
    """

    text: str
    expr: sympy.Expr
    variables: tuple[str, ...]
    gradient: tuple[sympy.Expr, ...]

    def __post_init__(self):
        if len(self.gradient) != len(self.variables):
            raise ValueError(
                f"Invalid gradient: {len(self.gradient)} derivatives for "
                f"{len(self.variables)} variables"
            )

    def __getstate__(self):
        # The compiled functions cannot be pickled; they are made again on first use.
        return {name: value for name, value in vars(self).items() if name != "_numeric"}

    @cached_property
    def _numeric(self) -> tuple[Callable, Callable]:
        """NumPy functions for the value and for the list of partial derivatives.

        Made on first use: lambdify prints and compiles the expressions, which takes longer
        than building them for large formulas.
        """
        # Use the formula's own symbols, whatever their assumptions, so the functions take
        # exactly the symbols the expressions hold.
        found = {symbol.name: symbol for symbol in self.expr.free_symbols}
        symbols = [found.get(name) or _symbol(name) for name in self.variables]
        return _lambdify(symbols, self.expr), _lambdify(symbols, list(self.gradient))

    def __call__(self, x):
        """The value of the formula at ``x``: a float for one point, else an array."""
        columns, shape = self._columns(x)
        with np.errstate(all="ignore"):
            value = _spread(self._numeric[0](*columns), shape)
        return float(value) if value.ndim == 0 else value

    def grad(self, x):
        """The gradient at ``x``: a float for one variable and one point, else an array.

        Examples
        --------
        >>> from descend.formula import parse
        >>> parse("x^3").grad(2.0)
        12.0
        >>> parse("x^3").grad([1.0, 2.0])
        array([ 3., 12.])
        """
        columns, shape = self._columns(x)
        with np.errstate(all="ignore"):
            partials = [_spread(partial, shape) for partial in self._numeric[1](*columns)]
        if len(self.variables) == 1:
            (value,) = partials
            return float(value) if value.ndim == 0 else value
        return np.stack(partials, axis=-1)

    def objective(self) -> Objective:
        """The formula as a :class:`descend.Objective`, for :func:`descend.minimize`.

        The objective is marked ``batched``: :func:`descend.sweep` evaluates all its runs at
        once.

        Examples
        --------
        >>> import descend
        >>> from descend.formula import parse
        >>> res = descend.minimize(parse("(x-1)^2 + (y+2)^2").objective(), [0.0, 0.0],
        ...                        learning_rate=0.1, gtol=1e-10)
        >>> res.x.round(6)
        array([ 1., -2.])
        """
        return _BatchedObjective(self.__call__, self.grad, name=self.text)

    def gradient_text(self) -> list[str]:
        """The partial derivatives as lines of text, such as ``"∂f/∂x = 2*x - 6"``.

        Examples
        --------
        >>> from descend.formula import parse
        >>> parse("w1^2 + w2^4").gradient_text()
        ['∂f/∂w1 = 2*w1', '∂f/∂w2 = 4*w2**3']
        """
        return [f"∂f/∂{name} = {d}" for name, d in zip(self.variables, self.gradient, strict=True)]

    def _columns(self, x) -> tuple[tuple[np.ndarray, ...], tuple[int, ...]]:
        """Split points into one array per variable, and the shape of the batch."""
        points = np.asarray(x, dtype=float)
        if len(self.variables) == 1:
            return (points,), points.shape
        d = len(self.variables)
        if points.ndim == 0 or points.shape[-1] != d:
            raise ValueError(
                f"Invalid point: shape {points.shape}; the formula {self.text!r} needs "
                f"{d} coordinates ({', '.join(self.variables)}) on the last axis"
            )
        return tuple(points[..., i] for i in range(d)), points.shape[:-1]


@dataclass(frozen=True)
class _BatchedObjective(Objective):
    """An objective that takes a batch of points, shape ``(n, d)``, as a formula does; its
    ``batched`` mark lets :func:`descend.sweep` advance all its runs together."""

    batched = True


class _Part(NamedTuple):
    """A built piece of formula: its SymPy expression and, when constant, its float value."""

    expr: sympy.Expr
    value: float | None


class _Source:
    """The formula as typed, the ASCII text handed to the parser, and the map between them."""

    def __init__(self, text: str):
        self.text = text
        if len(text) > MAX_LENGTH:
            raise FormulaError(
                f"formula is {len(text)} characters long; the limit is {MAX_LENGTH}",
                text,
                MAX_LENGTH,
                text[MAX_LENGTH:],
            )
        if not text.strip():
            raise FormulaError("empty formula", text)
        self.code, self.origin = self._translate(text)

    def _translate(self, text: str) -> tuple[str, list[int]]:
        """Rewrite ``^`` and the Unicode operators in ASCII, refusing any other character.

        Returns the text for the parser and, for each of its characters (and its end), the
        column of the typed character it came from.
        """
        code: list[str] = []
        origin: list[int] = []
        for column, char in enumerate(text):
            if char == "^":
                ascii_char = "**"
            elif char in _UNICODE_OPERATORS:
                ascii_char = _UNICODE_OPERATORS[char]
            else:
                self._check_character(char, column)
                ascii_char = char
            code.append(ascii_char)
            origin.extend([column] * len(ascii_char))
        code_text = "".join(code)
        # Python's parser reads leading blanks as an indent; drop them, keeping the map.
        blanks = len(code_text) - len(code_text.lstrip(" \t"))
        return code_text[blanks:], [*origin[blanks:], len(text)]

    def _check_character(self, char: str, column: int) -> None:
        """Refuse characters outside printable ASCII (tabs aside) and comments."""
        if char == "#":
            raise _error("a comment (#) is not allowed: {piece}", self.text, column, char)
        if char == "\t" or (char.isascii() and char.isprintable()):
            return
        if char in "\n\r":
            reason = "a line break is not allowed; a formula is one line"
        else:
            # Python folds look-alike letters (fullwidth x, bold x) into plain ASCII names,
            # so a formula could mean something else than it shows: they are refused.
            name = unicodedata.name(char, "a control character")
            reason = f"character {{piece}} (U+{ord(char):04X} {name}) is not allowed"
            if not char.isascii():
                reason += "; use ASCII letters, digits and operators (or − × · ÷)"
        raise _error(reason, self.text, column, char)

    def parse(self) -> ast.Expression:
        """Parse the ASCII text and check its depth, reporting failures as FormulaError."""
        try:
            tree = ast.parse(self.code, mode="eval")
        except SyntaxError as exc:
            raise self._syntax_error(exc) from None
        except (RecursionError, MemoryError):
            raise FormulaError(
                f"formula is nested too deeply; the limit is {MAX_DEPTH} levels", self.text
            ) from None
        self._check_depth(tree.body)
        return tree

    def _syntax_error(self, exc: SyntaxError) -> FormulaError:
        """The parser's complaint, pointed at the typed text.

        A formula that uses a word Python reserves as a variable (``lambda``, ``in``) cannot
        be parsed as Python: the message names the word instead of the parser's puzzlement.
        """
        for match in _WORD.finditer(self.code):
            word = match.group()
            if keyword.iskeyword(word) and word not in ("True", "False", "None"):
                return self.error(
                    "{piece} is a word Python reserves, so it cannot be a variable's name; "
                    f"name it {word}_ or {word.capitalize()} instead",
                    *match.span(),
                )
        message = exc.msg
        if not exc.offset or exc.offset > len(self.code):
            # The parser reports running out of text with no column: point past the end.
            return self.error(f"the formula ends too early ({message})", len(self.code))
        start = exc.offset - 1
        end = exc.end_offset - 1 if exc.end_offset and exc.end_offset > exc.offset else start + 1
        if "decimal literal" in message:
            message += "; write a product with *, such as 2*x"
        return self.error(f"cannot read the formula ({message}) at {{piece}}", start, end)

    def _check_depth(self, root: ast.expr) -> None:
        """Refuse trees nested deeper than MAX_DEPTH, without recursing."""
        stack = [(root, 1)]
        while stack:
            node, depth = stack.pop()
            if depth > MAX_DEPTH:
                raise self.error(
                    f"formula is nested more than {MAX_DEPTH} levels deep at {{piece}}",
                    *self.span(node),
                )
            for child in ast.iter_child_nodes(node):
                # Only expressions count as a level (keywords and operators are part of one),
                # and a + b + c is one level, however many terms it has.
                level = isinstance(child, ast.expr) and not _continues_run(node, child)
                stack.append((child, depth + level))

    def span(self, node: ast.AST) -> tuple[int, int]:
        """Where a node lies in the ASCII text (its columns are offsets into one line)."""
        return node.col_offset, node.end_col_offset

    def between(self, left: ast.AST, right: ast.AST) -> tuple[int, int]:
        """The text between two nodes, less blanks and brackets: the operator joining them."""
        start, end = left.end_col_offset, right.col_offset
        while start < end and self.code[start] in " \t)":
            start += 1
        while end > start and self.code[end - 1] in " \t(":
            end -= 1
        return (start, end) if start < end else (left.col_offset, right.end_col_offset)

    def error(self, reason: str, start: int, end: int | None = None) -> FormulaError:
        """A FormulaError for the ASCII text's columns ``start:end``, mapped to the typed text.

        ``{piece}`` in ``reason`` is replaced by the quoted piece of typed text.
        """
        column = self.origin[start]
        stop = column if end is None or end <= start else self.origin[end - 1] + 1
        return _error(reason, self.text, column, self.text[column:stop])


class _Shape(NamedTuple):
    """What the checker learns of a piece of formula, bottom up.

    ``names`` are the variables it holds, ``size`` its count of operations and operands,
    and ``work`` the estimated steps of deriving it by every variable (see
    :meth:`_Checker.work`).
    """

    names: frozenset[str]
    size: int
    work: int


_CONSTANT = _Shape(frozenset(), 1, 0)


class _Checker:
    """Checks a parsed formula without SymPy: only allowed constructs, names, calls and
    numbers, at most :data:`MAX_VARIABLES` variables, and a gradient within :data:`MAX_WORK`.

    What it refuses, it refuses in the order the builder would meet it, left to right.
    """

    def __init__(self, source: _Source, allowed: tuple[str, ...] | None):
        self.source = source
        self.allowed = allowed

    def check(self, root: ast.expr) -> frozenset[str]:
        """The variables of the formula ``root``, or a FormulaError for what is wrong."""
        shape = self._shape(root)
        count = len(shape.names | set(self.allowed or ()))
        if count > MAX_VARIABLES:
            raise FormulaError(
                f"formula {_quote(self.source.text)} has {count} variables; the limit is "
                f"{MAX_VARIABLES}",
                self.source.text,
            )
        if shape.work > MAX_WORK:
            raise FormulaError(
                f"the gradient of formula {_quote(self.source.text)} would take about "
                f"{shape.work:,} steps to work out; the limit is {MAX_WORK:,} (each variable's "
                "derivative copies every function and product that holds it: functions of "
                "long sums and products of many factors cost the most)",
                self.source.text,
            )
        return shape.names

    @staticmethod
    def work(kind: str, parts: Sequence[_Shape]) -> _Shape:
        """The shape of a ``kind`` ("sum", "product" or "other") of ``parts``.

        The work follows how SymPy derives, for each variable a piece holds: a sum derives
        each of its k terms (:data:`_TERM_STEPS` steps each); a product of k factors forms,
        by the product rule, k products of k factors (k² steps) and copies the product once
        for each factor that holds the variable; a function or a power copies itself into
        the chain rule. Every operation copied counts :data:`_COPY_STEPS` steps. The figure
        is an estimate, within a small factor of the time (about five microseconds a step).
        """
        names = frozenset().union(*(part.names for part in parts))
        size = sum(part.size for part in parts) + 1
        work = sum(part.work for part in parts)
        if kind == "sum":
            work += _TERM_STEPS * len(names) * len(parts)
        elif kind == "product":
            holding = sum(len(part.names) for part in parts)
            work += len(names) * len(parts) ** 2 + _COPY_STEPS * size * holding
        else:
            work += _COPY_STEPS * size * len(names)
        return _Shape(names, size, work)

    def _shape(self, node: ast.expr) -> _Shape:
        if isinstance(node, ast.BinOp):
            kind = type(node.op)
            if kind in _RUNS:
                run = _RUNS[kind]
                return self.work(run, [self._shape(part) for part in self._run(node, run)])
            if kind is not ast.Pow:
                words = _OPERATORS.get(kind, type(node.op).__name__)
                span = self.source.between(node.left, node.right)
                raise self.source.error(f"{words} is not allowed: {{piece}}", *span)
            return self.work("other", [self._shape(node.left), self._shape(node.right)])
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.UAdd | ast.USub):
                words = _OPERATORS.get(type(node.op), type(node.op).__name__)
                end = node.col_offset + len(
                    self.source.code[node.col_offset : node.operand.col_offset].rstrip(" \t(")
                )
                raise self.source.error(f"{words} is not allowed: {{piece}}", node.col_offset, end)
            # A sign costs nothing to derive: its derivative is the operand's, signed.
            operand = self._shape(node.operand)
            return operand._replace(size=operand.size + 1)
        if isinstance(node, ast.Constant):
            self._number(node)
            return _CONSTANT
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.Call):
            return self.work("other", [self._shape(arg) for arg in self._call(node)])
        raise self._refuse(node)

    def _run(self, node: ast.BinOp, run: str) -> list[ast.expr]:
        """The terms of a sum (or the factors of a product) as SymPy gathers them: a run
        walked in a loop (Python nests it to the left), and runs in brackets joined in."""
        parts: list[ast.expr] = []
        stack: list[ast.expr] = [node]
        while stack:
            item = stack.pop()
            if isinstance(item, ast.BinOp) and _RUNS.get(type(item.op)) == run:
                stack += [item.right, item.left]  # the left part comes off first
            else:
                parts.append(item)
        return parts

    def _refuse(self, node: ast.AST) -> FormulaError:
        """The error for a construct a formula may not use, pointed at its telling part."""
        source = self.source
        words = _CONSTRUCTS.get(type(node), f"a Python {type(node).__name__} expression")
        span = source.span(node)
        if isinstance(node, ast.Attribute | ast.Subscript):
            # Point at the dot or bracket rather than at the object before it.
            mark = "." if isinstance(node, ast.Attribute) else "["
            at = source.code.find(mark, node.value.end_col_offset, node.end_col_offset)
            span = (at, node.end_col_offset) if at >= 0 else span
        elif isinstance(node, ast.Compare):
            span = source.between(node.left, node.comparators[0])
        elif isinstance(node, ast.BoolOp):
            span = source.between(node.values[0], node.values[1])
        elif isinstance(node, ast.IfExp):
            span = source.between(node.body, node.test)
        return source.error(f"{words} is not allowed: {{piece}}", *span)

    def _number(self, node: ast.Constant) -> None:
        value = node.value
        span = self.source.span(node)
        if isinstance(value, bool) or not isinstance(value, int | float):
            words = {
                str: "a string",
                bytes: "a bytes literal",
                bool: "a boolean",
                complex: "an imaginary number",
                type(None): "None",
                type(...): "an ellipsis (...)",
            }.get(type(value), "this constant")
            raise self.source.error(f"{words} is not allowed: {{piece}}", *span)
        # Python compares an int with a float exactly, however many digits the int has; a
        # literal past the largest float (1e400) reads as infinity.
        if abs(value) > MAX_LITERAL:
            raise self.source.error(
                f"number {{piece}} is too large; numbers may be at most {MAX_LITERAL:g} in size",
                *span,
            )
        if isinstance(value, float) and abs(value) < sys.float_info.min:
            # 1e-400 reads as 0.0 (and 1e-310 keeps only a few digits): a nonzero literal
            # would silently become another number.
            mantissa = re.split("[eE]", self.source.code[span[0] : span[1]])[0]
            if any(digit in mantissa for digit in "123456789"):
                becomes = "read it as 0" if value == 0 else "keep only some of its digits"
                raise self.source.error(
                    f"number {{piece}} is too small for floating point, which would {becomes}; "
                    f"nonzero numbers must be at least {sys.float_info.min:.3g} in size",
                    *span,
                )

    def _name(self, node: ast.Name) -> _Shape:
        name = node.id
        span = self.source.span(node)
        if not isinstance(node.ctx, ast.Load) or not _NAME.fullmatch(name):
            raise self.source.error(
                "name {piece} is not allowed; names start with a letter and hold only "
                "letters, digits and underscores",
                *span,
            )
        if name in FUNCTIONS:
            raise self.source.error(f"{{piece}} is a function; call it as {name}(...)", *span)
        if name in _CONSTANT_VALUES:
            return _CONSTANT
        if self.allowed is not None and name not in self.allowed:
            raise self.source.error(
                f"{{piece}} is not one of the variables ({', '.join(self.allowed) or 'none'})",
                *span,
            )
        return _Shape(frozenset([name]), 1, 1)

    def _call(self, node: ast.Call) -> list[ast.expr]:
        """The arguments of an allowed call."""
        source = self.source
        if not isinstance(node.func, ast.Name):
            if isinstance(node.func, ast.Attribute | ast.Subscript | ast.Lambda):
                raise self._refuse(node.func)
            raise source.error(
                "only functions called by name are allowed: {piece}", *source.span(node)
            )
        name = node.func.id
        function = FUNCTIONS.get(name)
        if function is None:
            raise source.error(
                f"unknown function {{piece}}; the known functions are {', '.join(FUNCTIONS)}",
                *source.span(node.func),
            )
        if node.keywords:
            raise source.error(
                "keyword arguments are not allowed: {piece}", *source.span(node.keywords[0])
            )
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self._refuse(arg)
        if len(node.args) != function.arity:
            plural = "" if function.arity == 1 else "s"
            raise source.error(
                f"{name}() takes {function.arity} argument{plural}, not {len(node.args)}: "
                "{piece}",
                *source.span(node),
            )
        return node.args


class _Builder:
    """Turns the nodes of a checked formula (see :class:`_Checker`) into SymPy expressions,
    refusing constants that are undefined, overflow or underflow, and powers too large."""

    def __init__(self, source: _Source):
        import sympy

        self.sympy = sympy
        self.source = source
        self.symbols: dict[str, sympy.Symbol] = {}
        self.functions = _symbolic_functions()
        self.constants = _constants()

    def build(self, node: ast.expr) -> sympy.Expr:
        return self._part(node).expr

    def _part(self, node: ast.expr) -> _Part:
        if isinstance(node, ast.BinOp):
            if type(node.op) in _RUNS:
                return self._chain(node)
            return self._power(node, self._part(node.left), self._part(node.right))
        if isinstance(node, ast.UnaryOp):
            operand = self._part(node.operand)
            if isinstance(node.op, ast.UAdd):
                return operand
            value = None if operand.value is None else -operand.value
            return _Part(self.sympy.Mul(self.sympy.S.NegativeOne, operand.expr), value)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, int):
                return _Part(self.sympy.Integer(node.value), float(node.value))
            return _Part(self.sympy.Float(node.value), node.value)
        if isinstance(node, ast.Name):
            return self._name(node)
        return self._call(node)

    def _chain(self, node: ast.BinOp) -> _Part:
        """A run such as ``a + b - c + d`` (or ``a * b / c``), built left to right.

        Python nests a run to the left, one level per operator; walking it in a loop keeps a
        long sum from recursing deeply (it counts as one level, see :func:`_continues_run`).
        """
        links = [node]
        while _continues_run(links[-1], links[-1].left):
            links.append(links[-1].left)
        total = self._part(links[-1].left)
        for link in reversed(links):
            total = self._link(link, total, self._part(link.right))
        return total

    def _link(self, node: ast.BinOp, left: _Part, right: _Part) -> _Part:
        """One step of a run: ``left`` and ``right`` joined by the operator of ``node``."""
        sympy = self.sympy
        kind = type(node.op)
        if (
            kind is ast.Div
            and right.value is not None
            and (right.value == 0 or right.expr.is_zero)
        ):
            start = self.source.between(node.left, node.right)[0]
            raise self.source.error("division by zero: {piece}", start, node.end_col_offset)
        value = self._value(node, _BINARY_NUMERIC[kind], left, right)
        a, b = left.expr, right.expr
        # Built with explicit constructors, a difference as a sum and division as a product
        # with a power of -1.
        if kind is ast.Add:
            build = lambda: sympy.Add(a, b)  # noqa: E731
        elif kind is ast.Sub:
            build = lambda: sympy.Add(a, sympy.Mul(sympy.S.NegativeOne, b))  # noqa: E731
        elif kind is ast.Mult:
            build = lambda: sympy.Mul(a, b)  # noqa: E731
        else:
            build = lambda: sympy.Mul(a, sympy.Pow(b, sympy.S.NegativeOne))  # noqa: E731
        expr = _symbolic(build, value)
        if kind in (ast.Mult, ast.Div):
            self._check_powers(node, expr)
        return self._checked(node, expr, value)

    def _power(self, node: ast.BinOp, base: _Part, exponent: _Part) -> _Part:
        if exponent.value is not None:
            if abs(exponent.value) > MAX_EXPONENT:
                raise self.source.error(
                    f"exponent {{piece}} = {exponent.value:.6g} is too large; exponents "
                    f"without variables may be at most {MAX_EXPONENT} in size",
                    *self.source.span(node.right),
                )
            if _exact_bits(base.expr) * max(1, math.ceil(abs(exponent.value))) > _MAX_EXACT_BITS:
                raise self.source.error(
                    "power {piece} is too large to work out exactly; "
                    "write its numbers as decimals (such as 1.5 for 3/2)",
                    *self.source.span(node),
                )
        # The float check comes first, so that an overflowing power is never built exactly.
        value = self._value(node, math.pow, base, exponent)
        power = exponent.expr
        if power.is_Rational and power.q > MAX_EXPONENT:
            # SymPy would look for exact roots of that degree, as in 999**(2**-1000).
            power = self.sympy.Float(exponent.value)
        expr = _symbolic(lambda: self.sympy.Pow(base.expr, power), value)
        self._check_powers(node, expr)
        return self._checked(node, expr, value)

    def _check_powers(self, node: ast.expr, expr: sympy.Expr) -> None:
        """Refuse a power or product whose exponents, once SymPy combines them, pass the limit.

        SymPy multiplies out (x^100)^999 into x^99900, and x^600 * x^600 into x^1200: powers
        far beyond any exponent typed, which every later step would have to carry.
        """
        for part in (expr, *expr.args):
            if part.is_Pow and part.exp.is_Number and abs(part.exp) > MAX_EXPONENT:
                raise self.source.error(
                    f"{{piece}} has the exponent {part.exp} once simplified; exponents may be "
                    f"at most {MAX_EXPONENT} in size",
                    *self.source.span(node),
                )

    def _name(self, node: ast.Name) -> _Part:
        name = node.id
        if name in self.constants:
            return _Part(self.constants[name], _CONSTANT_VALUES[name])
        symbol = self.symbols.setdefault(name, _symbol(name))
        return _Part(symbol, None)

    def _call(self, node: ast.Call) -> _Part:
        build = self.functions[node.func.id]
        args = [self._part(arg) for arg in node.args]
        value = self._value(node, FUNCTIONS[node.func.id].numeric, *args)
        expr = _symbolic(lambda: build(*(arg.expr for arg in args)), value)
        return self._checked(node, expr, value)

    def _checked(self, node: ast.expr, expr: sympy.Expr, value: float | None) -> _Part:
        """A built node, refused if it is a constant that SymPy finds undefined, or one
        that floating point would read as 0 although it is not."""
        sympy = self.sympy
        if value is None:
            return _Part(expr, None)
        if expr.has(*_undefined()):
            raise self.source.error("{piece} is undefined", *self.source.span(node))
        if expr.has(sympy.S.ImaginaryUnit):
            # SymPy could not show this constant real (atan2 of two constants whose signs
            # it cannot settle becomes a complex logarithm), but its float value is real:
            # keep that, before the complex form makes every later step slow.
            expr = sympy.Float(value)
        if abs(value) < sys.float_info.min and expr.is_zero is False:
            # exp(-1000) or 1e-200*1e-200: a formula that means a tiny number, not 0*x.
            raise self.source.error(
                "{piece} is too small for floating point, which would read it as "
                f"{value:.3g}; nonzero numbers must be at least {sys.float_info.min:.3g} in size",
                *self.source.span(node),
            )
        return _Part(expr, value)

    def _value(self, node: ast.expr, compute: Callable, *args: _Part) -> float | None:
        """The float value of a node whose arguments are all constant, else None.

        A constant must be a finite real number: ``1/0``, ``log(-1)`` or ``10.0**400`` are
        refused here, before SymPy builds them.
        """
        if any(arg.value is None for arg in args):
            return None
        try:
            value = compute(*(arg.value for arg in args))
        except (ArithmeticError, ValueError):
            value = math.nan
        if not math.isfinite(value):
            raise self.source.error("{piece} is not a finite real number", *self.source.span(node))
        return value


def _undefined() -> tuple[sympy.Expr, ...]:
    """The values SymPy uses for "undefined"; with the imaginary unit, none may reach a
    formula."""
    import sympy

    return (sympy.S.ComplexInfinity, sympy.S.NaN, sympy.S.Infinity, sympy.S.NegativeInfinity)


def _symbolic(build: Callable[[], sympy.Expr], value: float | None) -> sympy.Expr:
    """SymPy's expression for a node, or its float value where SymPy fails on a constant.

    SymPy occasionally trips over exotic constants, as in ``acos(abs(sin(999**100)))``;
    their float value, already checked, stands in for them.
    """
    import sympy

    try:
        return build()
    except Exception:
        if value is None:
            raise
        return sympy.Float(value)


def _continues_run(parent: ast.AST, child: ast.AST) -> bool:
    """Whether ``child`` is the left part of the same run of + and - (or * and /) as ``parent``.

    ``a + b - c`` is read as ``(a + b) - c``: the inner ``a + b`` continues the run.
    """
    if not (isinstance(parent, ast.BinOp) and isinstance(child, ast.BinOp)):
        return False
    run = _RUNS.get(type(parent.op))
    return child is parent.left and run is not None and run == _RUNS.get(type(child.op))


def _error(reason: str, text: str, column: int, piece: str) -> FormulaError:
    """A FormulaError at ``column`` of ``text``, ``{piece}`` in ``reason`` quoting the piece."""
    return FormulaError(reason.replace("{piece}", _quote(piece)), text, column, piece)


def _check_variables(variables: Sequence[str], text: str) -> tuple[str, ...]:
    """The variable names passed to :func:`parse`, checked."""
    if isinstance(variables, str):
        raise TypeError(f"Invalid variables: {variables!r}; expected a sequence of names")
    names = tuple(variables)
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"Invalid variable: {name!r}; expected a string")
        if not _NAME.fullmatch(name):
            reason = "names start with a letter and hold only letters, digits and underscores"
        elif name in FUNCTIONS:
            reason = "it is a function"
        elif name in _CONSTANT_VALUES:
            reason = "it is a constant" + (" (Euler's number)" if name == "e" else "")
        elif names.count(name) > 1:
            reason = "it is given twice"
        else:
            continue
        raise FormulaError(f"invalid variable {_quote(name)}: {reason}", text, None, name)
    return names


def _check_numbers(text: str, expr: sympy.Expr, gradient: tuple[sympy.Expr, ...]) -> None:
    """Refuse numbers unfit for floating point, and undefined values, in f and its gradient.

    Most are refused as they are built; these can still come from exact arithmetic, such as
    the coefficient 1000*10**307 in the derivative of 10**307*x**1000, or a fraction with
    thousands of digits that SymPy could not even print.
    """
    import sympy

    for where, e in [("formula", expr), *(("gradient", d) for d in gradient)]:
        for number in e.atoms(sympy.Number):
            problem = _number_problem(number)
            if problem:
                raise FormulaError(f"the {where} needs {problem}", text)
        if e.has(*_undefined(), sympy.S.ImaginaryUnit):
            raise FormulaError(f"the {where} is undefined or not real: {_quote(str(e))}", text)


def _number_problem(number: sympy.Number) -> str | None:
    """What makes an exact or decimal number unfit for floating point, if anything."""
    import sympy

    if isinstance(number, sympy.Rational):
        numerator, denominator = abs(number.p).bit_length(), number.q.bit_length()
        if max(numerator, denominator) > _MAX_NUMBER_BITS:
            digits = round(max(numerator, denominator) * math.log10(2))
            return f"an exact number of about {digits} digits, too long to work with"
        # The value is within a factor of 2 of 2**(numerator - denominator).
        if numerator - denominator > 1024:
            size = round((numerator - denominator) * math.log10(2))
            return f"a number of about 1e{size}, too large for floating point"
        if number != 0 and denominator - numerator > 1022:
            # below float64's smallest normal number: read as 0, or with few digits left
            size = round((numerator - denominator) * math.log10(2))
            return f"a number of about 1e{size}, too small for floating point"
    elif isinstance(number, sympy.Float):
        value = float(number)
        if not math.isfinite(value):
            return f"the number {number!s}, too large for floating point"
        if number != 0 and abs(value) < sys.float_info.min:
            # SymPy's own arithmetic (x*1e-200*1e-200 folds to 1.0e-400*x) can make one
            return f"the number {number!s}, too small for floating point"
    return None


def _exact_bits(expr: sympy.Expr) -> int:
    """The bits of the largest numerator or denominator of an exact number in ``expr``."""
    import sympy

    sizes = (max(abs(r.p).bit_length(), r.q.bit_length()) for r in expr.atoms(sympy.Rational))
    return max(sizes, default=1)


def _symbol(name: str) -> sympy.Symbol:
    # Real symbols give the derivatives of the real line, such as sign(x) for abs(x).
    import sympy

    return sympy.Symbol(name, real=True)


def _lambdify(symbols: list[sympy.Symbol], expr) -> Callable:
    """A NumPy function of one array per symbol, computing ``expr`` (or a list of them).

    lambdify prints the expression as Python code and compiles it: safe here, as every
    expression was built node by node from the allow-list. The code is printed from a copy
    made by :func:`_numeric_form`; its variables are renamed, so that no name a user picks
    (``numpy``, ``where``) can shadow NumPy's in that code. ``dummify=True`` would rename
    them too, but by substituting Dummy symbols that lack the variables' real assumption:
    SymPy then re-evaluates the whole expression with complex unknowns, which can take
    practically forever (``atan2(-sinh(y**1000), -1)`` expands a complex 1000th power).
    """
    import sympy

    # The new names start with an underscore, so they differ from every variable's.
    renamed = {
        symbol: sympy.Symbol(f"_descend_{i}", **symbol.assumptions0)
        for i, symbol in enumerate(symbols)
    }
    if isinstance(expr, list):
        expr = [printable(e, renamed) for e in expr]
    else:
        expr = printable(expr, renamed)
    return sympy.lambdify(list(renamed.values()), expr, modules="numpy", dummify=False)


def printable(expr: sympy.Expr, renamed: dict) -> sympy.Expr:
    """``expr`` as numeric code is printed from: its symbols renamed by ``renamed`` and its
    constants folded into floats (see :func:`_numeric_form`), or nan when one of its
    constants has no real value.

    The NumPy functions of a :class:`Formula` are printed from it, and so is the JavaScript
    of :mod:`descend.playground`, so that both compute with the same numbers.

    Examples
    --------
    >>> import sympy
    >>> x, a = sympy.Symbol("x", real=True), sympy.Symbol("a", real=True)
    >>> printable(parse("x/4 + 2*pi").expr, {x: a})
    0.25*a + 6.2831853071795865
    """
    import sympy

    form = _numeric_form(expr, renamed)
    # A nan inside a product cannot even be printed; the whole value is nan anyway.
    return sympy.nan if form.has(sympy.nan) else form


def _numeric_form(expr: sympy.Expr, renamed: dict) -> sympy.Expr:
    """A copy of ``expr`` to print as NumPy code: renamed symbols, and constants as floats.

    Left exact, a constant could reach NumPy as a Python int too large for it (``atan(2**100)``)
    or as a power that overflows in Python (``pi**1000`` in ``pi**1000/2**1000*x``). The
    constant terms of a sum, and factors of a product, are gathered before they become one
    float. The copy is built unevaluated: SymPy has simplified it once already.
    """
    if not expr.free_symbols:
        return _float_constant(expr)
    if not expr.args:
        return renamed.get(expr, expr)
    if not (expr.is_Add or expr.is_Mul):
        args = [_numeric_form(arg, renamed) for arg in expr.args]
        return expr.func(*args, evaluate=False)
    args = [_numeric_form(arg, renamed) for arg in expr.args if arg.free_symbols]
    constant = expr.func(*(arg for arg in expr.args if not arg.free_symbols))
    if constant != expr.identity:
        args.insert(0, _float_constant(constant))
    return expr.func(*args, evaluate=False)


def _float_constant(value: sympy.Expr) -> sympy.Expr:
    """A constant as a float, but for whole numbers that a float holds exactly (as in x**2).

    A constant SymPy cannot evaluate to a real number becomes nan rather than an error.
    """
    import sympy

    if value.is_Integer and abs(value.p) <= 2**53:
        return value
    try:
        number = value.evalf(17)
    except (ArithmeticError, ValueError):  # mpmath divides by a difference it rounded to 0
        return sympy.nan
    if isinstance(number, sympy.Float):
        return number
    return sympy.Float(number, 17) if number.is_Rational else sympy.nan


def _spread(value, shape: tuple[int, ...]) -> np.ndarray:
    """A result as a float array of the batch's shape (a constant comes as one number)."""
    value = np.asarray(value)
    if np.iscomplexobj(value):
        # A power of a negative number can come out complex: off the real line, it is nan.
        value = np.where(value.imag == 0, value.real, np.nan)
    return np.array(np.broadcast_to(value.astype(float), shape))


def _natural_key(name: str) -> tuple:
    """Sort key reading runs of digits as numbers, so that w2 comes before w10."""
    chunks = re.split(r"(\d+)", name)
    return [int(c) if c.isdigit() else c.lower() for c in chunks], name


def _quote(piece: str, limit: int = 40) -> str:
    """``repr`` of a piece of formula, cut short when long."""
    return repr(piece if len(piece) <= limit else piece[: limit - 3] + "...")


def _pointer(text: str, column: int, piece: str, width: int = 72) -> str:
    """The formula (or a window of it) over a caret line marking ``piece`` at ``column``."""
    # One printable character per character keeps the carets aligned.
    shown = "".join(c if c.isprintable() else " " if c == "\t" else "?" for c in text)
    start = 0
    if len(shown) > width:
        start = max(0, min(column - width // 2, len(shown) - width))
    before = "..." if start > 0 else ""
    after = "..." if start + width < len(shown) else ""
    line = f"    {before}{shown[start : start + width]}{after}"
    indent = " " * (4 + len(before) + column - start)
    carets = "^" * max(1, min(len(piece), start + width - column))
    return f"{line}\n{indent}{carets}"
