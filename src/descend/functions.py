"""A zoo of test functions with known minima, to try optimizers on.

Each entry is a :class:`TestFunction`: a :class:`descend.Objective` (call it for the value, use
``.grad`` for the analytic gradient) that also knows its global minimisers, its minimum, a
default start ``x0``, a plotting box ``bounds``, its ``formula`` and a one-line
``description``. Pass one straight to :func:`descend.minimize` and its gradient is used.

Every function accepts a batch of points, and says so: ``batched`` is True, which lets
:func:`descend.sweep` advance all its runs as one array. A point of a d-dimensional function
is the last axis of ``x``: ``x`` of shape ``(..., d)`` gives values of shape ``(...)`` and
gradients of shape ``(..., d)``, and a single point (shape ``(d,)``) gives a float. The
one-dimensional functions work elementwise: a float gives a float, an array gives an array of
the same shape.

================  ==========================================  ===========  ==================
Name              Formula                                     Minimum      Minimiser(s)
================  ==========================================  ===========  ==================
quadratic         x² − 6x + 5                                 −4           3
square            w²                                          0            0
sphere            Σ xᵢ²                                       0            (0, …, 0)
quartic           w₁² + w₂⁴                                   0            (0, 0)
rosenbrock        Σ 100 (xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)²             0            (1, …, 1)
beale             (1.5 − x + xy)² + (2.25 − x + xy²)²         0            (3, 0.5)
                  + (2.625 − x + xy³)²
booth             (x + 2y − 7)² + (2x + y − 5)²               0            (1, 3)
matyas            0.26 (x² + y²) − 0.48 xy                    0            (0, 0)
himmelblau        (x² + y − 11)² + (x + y² − 7)²              0            four, one (3, 2)
three_hump_camel  2x² − 1.05x⁴ + x⁶/6 + xy + y²               0            (0, 0)
six_hump_camel    (4 − 2.1x² + x⁴/3) x² + xy + (4y² − 4) y²   −1.0316285   ±(0.08984, −0.71266)
rastrigin         10 n + Σ (xᵢ² − 10 cos 2πxᵢ)                0            (0, …, 0)
ackley            −20 exp(−0.2 √(Σ xᵢ²/n))                    0            (0, …, 0)
                  − exp(Σ cos(2πxᵢ)/n) + 20 + e
styblinski_tang   ½ Σ (xᵢ⁴ − 16xᵢ² + 5xᵢ)                     −39.166 n    (−2.90353, …)
goldstein_price   (1 + (x + y + 1)² a) (30 + (2x − 3y)² b)    3            (0, −1)
================  ==========================================  ===========  ==================

In Goldstein–Price, a = 19 − 14x + 3x² − 14y + 6xy + 3y² and b = 18 − 32x + 12x² + 48y − 36xy
+ 27y². The functions written with a sum (sphere, rosenbrock, rastrigin, ackley and
styblinski_tang) take points of any dimension n (rosenbrock at least 2); they are listed in
two dimensions, and their ``minimizers``, ``minimum``, ``x0`` and ``bounds`` are those of the
plane. :data:`FUNCTIONS` maps each name to its function, in the order above, and :func:`get`
looks one up by name.

Examples
--------
>>> import numpy as np
>>> import descend
>>> from descend import functions
>>> functions.rosenbrock([1.0, 1.0])
0.0
>>> functions.rosenbrock(np.array([[1.0, 1.0], [0.0, 0.0], [-1.0, 1.0]]))
array([0., 1., 4.])
>>> functions.booth
TestFunction(booth: (x + 2y − 7)² + (2x + y − 5)², minimum 0 at [1, 3])
>>> res = descend.minimize(functions.booth, functions.booth.x0, learning_rate=0.05,
...                        gtol=1e-8)
>>> res.x.round(6), res.reason
(array([1., 3.]), 'gtol')
>>> functions.get("himmelblau").minimizers[1]
array([-2.80511809,  3.13131252])
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from descend.objective import Objective

__all__ = [
    "FUNCTIONS",
    "TestFunction",
    "ackley",
    "beale",
    "booth",
    "get",
    "goldstein_price",
    "himmelblau",
    "matyas",
    "quadratic",
    "quartic",
    "rastrigin",
    "rosenbrock",
    "six_hump_camel",
    "sphere",
    "square",
    "styblinski_tang",
    "three_hump_camel",
]


@dataclass(frozen=True, eq=False, kw_only=True)
class TestFunction(Objective):
    """An objective with a known global minimum, for trying optimizers on.

    Calling it evaluates the function; ``.grad`` is its analytic gradient. Both work on a
    batch of points (see :mod:`descend.functions`), and where the numbers overflow they give
    inf or nan without NumPy's warnings: the caller decides what that means.

    Parameters
    ----------
    fun, grad : callable
        The function and its gradient.
    name : str
        Its name, the key in :data:`FUNCTIONS`.
    minimizers : tuple
        Every global minimiser: floats for a one-dimensional function, read-only arrays of
        shape ``(ndim,)`` otherwise, each as close to the exact point as a double allows.
    minimum : float
        The value at the minimisers.
    x0 : float or numpy.ndarray
        A default starting point inside ``bounds``, away from the minimisers.
    bounds : tuple
        The usual plotting box: ``(lo, hi)`` in one dimension, ``((xlo, xhi), (ylo, yhi))``
        in two.
    ndim : int
        1 or 2: the dimension the function is listed in.
    formula : str
        The function, written out.
    description : str
        One sentence on what makes it interesting.

    Examples
    --------
    >>> from descend import functions
    >>> f = functions.six_hump_camel
    >>> f.minimum, len(f.minimizers), f.ndim
    (-1.0316284534898774, 2, 2)
    >>> f(f.minimizers[0]) == f.minimum
    True
    """

    __test__ = False  # not a pytest test class, despite its name
    #: Every test function takes a batch of points: :func:`descend.sweep` relies on it.
    batched = True

    minimizers: tuple
    minimum: float
    x0: float | np.ndarray
    bounds: tuple
    ndim: int
    formula: str
    description: str

    def __post_init__(self):
        super().__post_init__()
        if self.ndim not in (1, 2):
            raise ValueError(f"Invalid ndim: {self.ndim!r}; expected 1 or 2")
        if self.ndim == 1:
            minimizers = tuple(float(m) for m in self.minimizers)
            x0 = float(self.x0)
            bounds = (float(self.bounds[0]), float(self.bounds[1]))
        else:
            minimizers = tuple(_frozen_point(m, self.ndim) for m in self.minimizers)
            x0 = _frozen_point(self.x0, self.ndim)
            bounds = tuple((float(lo), float(hi)) for lo, hi in self.bounds)
        object.__setattr__(self, "minimizers", minimizers)
        object.__setattr__(self, "minimum", float(self.minimum))
        object.__setattr__(self, "x0", x0)
        object.__setattr__(self, "bounds", bounds)

    def __repr__(self) -> str:
        where = ", ".join(_format_point(m) for m in self.minimizers)
        return f"TestFunction({self.name}: {self.formula}, minimum {self.minimum:.6g} at {where})"


def _frozen_point(point, ndim: int) -> np.ndarray:
    array = np.array(point, dtype=float)
    if array.shape != (ndim,):
        raise ValueError(f"Invalid point {point!r}: expected shape ({ndim},)")
    array.setflags(write=False)
    return array


def _format_point(point) -> str:
    if np.ndim(point) == 0:
        return f"{float(point):.6g}"
    return "[" + ", ".join(f"{v:.6g}" for v in point) + "]"


# ---------------------------------------------------------------------------------- helpers


def _quiet(function):
    """``function`` with NumPy's floating-point warnings silenced.

    Far from the minimum (a start of 1e200, a step that overshoots) the functions overflow
    to inf or give nan. That value is the answer: :func:`descend.minimize` stops on it with
    a message of its own, as it does for a formula, and NumPy's ``RuntimeWarning: overflow
    encountered in multiply``, naming a line of this module, would only confuse.
    """

    @functools.wraps(function)
    def quiet(*args):
        with np.errstate(all="ignore"):
            return function(*args)

    return quiet


def _out(value):
    """A 0-d result as a Python float; an array of results as it is."""
    return float(value) if np.ndim(value) == 0 else value


def _scalars(x) -> np.ndarray:
    """The input of a one-dimensional function, used elementwise."""
    return np.asarray(x, dtype=float)


def _plane(x, name: str) -> tuple[np.ndarray, np.ndarray]:
    """The two coordinates of the point(s) ``x`` of shape (..., 2)."""
    array = np.asarray(x, dtype=float)
    if array.ndim == 0 or array.shape[-1] != 2:
        raise ValueError(
            f"{name} takes points with 2 coordinates (an array of shape (..., 2)), "
            f"got shape {array.shape}"
        )
    return array[..., 0], array[..., 1]


def _vectors(x, name: str, least: int = 1) -> np.ndarray:
    """The point(s) ``x`` of shape (..., n) of a function of any dimension n >= least."""
    array = np.asarray(x, dtype=float)
    if array.ndim == 0 or array.shape[-1] < least:
        raise ValueError(
            f"{name} takes points with at least {least} coordinate{'s' * (least > 1)} "
            f"(an array of shape (..., n)), got shape {array.shape}"
        )
    return array


def _pair(gx, gy) -> np.ndarray:
    return np.stack(np.broadcast_arrays(gx, gy), axis=-1)


# ------------------------------------------------------------------------- one dimension


@_quiet
def _quadratic(x):
    x = _scalars(x)
    return _out(x * x - 6.0 * x + 5.0)


@_quiet
def _quadratic_grad(x):
    return _out(2.0 * _scalars(x) - 6.0)


@_quiet
def _square(w):
    w = _scalars(w)
    return _out(w * w)


@_quiet
def _square_grad(w):
    return _out(2.0 * _scalars(w))


# ----------------------------------------------------------------------- any dimension n


@_quiet
def _sphere(x):
    x = _vectors(x, "sphere")
    return _out(np.sum(x * x, axis=-1))


@_quiet
def _sphere_grad(x):
    return 2.0 * _vectors(x, "sphere")


@_quiet
def _rosenbrock(x):
    x = _vectors(x, "rosenbrock", 2)
    head, tail = x[..., :-1], x[..., 1:]
    return _out(np.sum(100.0 * (tail - head**2) ** 2 + (1.0 - head) ** 2, axis=-1))


@_quiet
def _rosenbrock_grad(x):
    x = _vectors(x, "rosenbrock", 2)
    head, tail = x[..., :-1], x[..., 1:]
    valley = tail - head**2
    g = np.zeros_like(x)
    g[..., :-1] = -400.0 * head * valley - 2.0 * (1.0 - head)
    g[..., 1:] += 200.0 * valley
    return g


_RASTRIGIN_A = 10.0


@_quiet
def _rastrigin(x):
    x = _vectors(x, "rastrigin")
    # A(1 − cos 2πx) written as 2A sin²(πx): exact zeros at the integers, no cancellation.
    return _out(np.sum(x * x + 2.0 * _RASTRIGIN_A * np.sin(np.pi * x) ** 2, axis=-1))


@_quiet
def _rastrigin_grad(x):
    x = _vectors(x, "rastrigin")
    return 2.0 * x + 2.0 * np.pi * _RASTRIGIN_A * np.sin(2.0 * np.pi * x)


_ACKLEY_A, _ACKLEY_B, _ACKLEY_C = 20.0, 0.2, 2.0 * np.pi


def _ackley_parts(x):
    x = _vectors(x, "ackley")
    radius = np.sqrt(np.mean(x * x, axis=-1))
    waves = np.mean(np.cos(_ACKLEY_C * x), axis=-1)
    return x, radius, waves


@_quiet
def _ackley(x):
    _, radius, waves = _ackley_parts(x)
    # a(1 − e^(−br)) + e(1 − e^(waves − 1)), with expm1 so that the origin gives exactly 0.
    value = -_ACKLEY_A * np.expm1(-_ACKLEY_B * radius) - np.e * np.expm1(waves - 1.0)
    return _out(value)


@_quiet
def _ackley_grad(x):
    x, radius, waves = _ackley_parts(x)
    n = x.shape[-1]
    radius = np.asarray(radius)
    # The cone term's gradient a b e^(−br) x / (n r) has no limit at r = 0: use 0 there.
    cone = np.divide(
        _ACKLEY_A * _ACKLEY_B * np.exp(-_ACKLEY_B * radius),
        n * radius,
        out=np.zeros_like(radius),
        where=radius > 0.0,
    )
    ripple = np.exp(waves) * _ACKLEY_C / n
    return cone[..., None] * x + np.asarray(ripple)[..., None] * np.sin(_ACKLEY_C * x)


#: The minimiser of ½ (x⁴ − 16x² + 5x), the root of 4x³ − 32x + 5 near −2.9, and its value.
_ST_ARGMIN = -2.903534027771177
_ST_MIN = -39.16616570377141


@_quiet
def _styblinski_tang(x):
    x = _vectors(x, "styblinski_tang")
    x2 = x * x
    return _out(0.5 * np.sum(x2 * x2 - 16.0 * x2 + 5.0 * x, axis=-1))


@_quiet
def _styblinski_tang_grad(x):
    x = _vectors(x, "styblinski_tang")
    return 2.0 * x**3 - 16.0 * x + 2.5


# ---------------------------------------------------------------------------- the plane


@_quiet
def _quartic(w):
    w1, w2 = _plane(w, "quartic")
    return _out(w1 * w1 + w2**4)


@_quiet
def _quartic_grad(w):
    w1, w2 = _plane(w, "quartic")
    return _pair(2.0 * w1, 4.0 * w2**3)


def _beale_terms(p):
    x, y = _plane(p, "beale")
    y2 = y * y
    y3 = y2 * y
    return x, y, y2, 1.5 - x + x * y, 2.25 - x + x * y2, 2.625 - x + x * y3, y3


@_quiet
def _beale(p):
    _, _, _, t1, t2, t3, _ = _beale_terms(p)
    return _out(t1 * t1 + t2 * t2 + t3 * t3)


@_quiet
def _beale_grad(p):
    x, y, y2, t1, t2, t3, y3 = _beale_terms(p)
    gx = 2.0 * (t1 * (y - 1.0) + t2 * (y2 - 1.0) + t3 * (y3 - 1.0))
    gy = 2.0 * x * (t1 + 2.0 * y * t2 + 3.0 * y2 * t3)
    return _pair(gx, gy)


@_quiet
def _booth(p):
    x, y = _plane(p, "booth")
    return _out((x + 2.0 * y - 7.0) ** 2 + (2.0 * x + y - 5.0) ** 2)


@_quiet
def _booth_grad(p):
    x, y = _plane(p, "booth")
    return _pair(10.0 * x + 8.0 * y - 34.0, 8.0 * x + 10.0 * y - 38.0)


@_quiet
def _matyas(p):
    x, y = _plane(p, "matyas")
    return _out(0.26 * (x * x + y * y) - 0.48 * x * y)


@_quiet
def _matyas_grad(p):
    x, y = _plane(p, "matyas")
    return _pair(0.52 * x - 0.48 * y, 0.52 * y - 0.48 * x)


@_quiet
def _himmelblau(p):
    x, y = _plane(p, "himmelblau")
    return _out((x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2)


@_quiet
def _himmelblau_grad(p):
    x, y = _plane(p, "himmelblau")
    u, v = x * x + y - 11.0, x + y * y - 7.0
    return _pair(4.0 * x * u + 2.0 * v, 2.0 * u + 4.0 * y * v)


@_quiet
def _three_hump_camel(p):
    x, y = _plane(p, "three_hump_camel")
    x2 = x * x
    return _out(2.0 * x2 - 1.05 * x2 * x2 + x2**3 / 6.0 + x * y + y * y)


@_quiet
def _three_hump_camel_grad(p):
    x, y = _plane(p, "three_hump_camel")
    return _pair(4.0 * x - 4.2 * x**3 + x**5 + y, x + 2.0 * y)


@_quiet
def _six_hump_camel(p):
    x, y = _plane(p, "six_hump_camel")
    x2, y2 = x * x, y * y
    return _out((4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (4.0 * y2 - 4.0) * y2)


@_quiet
def _six_hump_camel_grad(p):
    x, y = _plane(p, "six_hump_camel")
    return _pair(8.0 * x - 8.4 * x**3 + 2.0 * x**5 + y, x - 8.0 * y + 16.0 * y**3)


def _goldstein_price_parts(p):
    x, y = _plane(p, "goldstein_price")
    s, d = x + y + 1.0, 2.0 * x - 3.0 * y
    a = 19.0 - 14.0 * x + 3.0 * x * x - 14.0 * y + 6.0 * x * y + 3.0 * y * y
    b = 18.0 - 32.0 * x + 12.0 * x * x + 48.0 * y - 36.0 * x * y + 27.0 * y * y
    return x, y, s, d, a, b, 1.0 + s * s * a, 30.0 + d * d * b


@_quiet
def _goldstein_price(p):
    *_, first, second = _goldstein_price_parts(p)
    return _out(first * second)


@_quiet
def _goldstein_price_grad(p):
    x, y, s, d, a, b, first, second = _goldstein_price_parts(p)
    # ∂a/∂x = ∂a/∂y, so the first factor has equal partial derivatives.
    first_dxy = 2.0 * s * a + s * s * (-14.0 + 6.0 * x + 6.0 * y)
    second_dx = 4.0 * d * b + d * d * (-32.0 + 24.0 * x - 36.0 * y)
    second_dy = -6.0 * d * b + d * d * (48.0 - 36.0 * x + 54.0 * y)
    return _pair(first_dxy * second + first * second_dx, first_dxy * second + first * second_dy)


# ------------------------------------------------------------------------------ the zoo

quadratic = TestFunction(
    _quadratic,
    _quadratic_grad,
    "quadratic",
    minimizers=(3.0,),
    minimum=-4.0,
    x0=15.0,
    bounds=(-11.0, 17.0),
    ndim=1,
    formula="x² − 6x + 5",
    description="A parabola with its vertex at x = 3: the first example of gradient descent.",
)

square = TestFunction(
    _square,
    _square_grad,
    "square",
    minimizers=(0.0,),
    minimum=0.0,
    x0=20.0,
    bounds=(-25.0, 25.0),
    ndim=1,
    formula="w²",
    description="The simplest bowl, w², whose gradient 2w shrinks in step with the distance.",
)

sphere = TestFunction(
    _sphere,
    _sphere_grad,
    "sphere",
    minimizers=((0.0, 0.0),),
    minimum=0.0,
    x0=(-7.0, 8.0),
    bounds=((-10.0, 10.0), (-10.0, 10.0)),
    ndim=2,
    formula="Σ xᵢ²",
    description="The round bowl Σ xᵢ² in any dimension, equally steep in every direction.",
)

quartic = TestFunction(
    _quartic,
    _quartic_grad,
    "quartic",
    minimizers=((0.0, 0.0),),
    minimum=0.0,
    x0=(1.5, 1.5),
    bounds=((-2.0, 2.0), (-2.0, 2.0)),
    ndim=2,
    formula="w₁² + w₂⁴",
    description=(
        "A bowl, w₁² + w₂⁴, that is quadratic in w₁ but flat to second order in w₂, "
        "so progress along w₂ slows to a crawl near the minimum."
    ),
)

rosenbrock = TestFunction(
    _rosenbrock,
    _rosenbrock_grad,
    "rosenbrock",
    minimizers=((1.0, 1.0),),
    minimum=0.0,
    x0=(-1.2, 1.0),
    bounds=((-2.0, 2.0), (-1.0, 3.0)),
    ndim=2,
    formula="(1 − x)² + 100 (y − x²)²",
    description=(
        "Rosenbrock's banana, Σ 100 (xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)² in any dimension n ≥ 2: "
        "a long, narrow, curved valley that is easy to fall into and slow to follow."
    ),
)

beale = TestFunction(
    _beale,
    _beale_grad,
    "beale",
    minimizers=((3.0, 0.5),),
    minimum=0.0,
    x0=(1.0, 1.0),
    bounds=((-4.5, 4.5), (-4.5, 4.5)),
    ndim=2,
    formula="(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²",
    description=(
        "Beale's function, (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²: "
        "flat in the middle, with steep ridges towards the corners."
    ),
)

booth = TestFunction(
    _booth,
    _booth_grad,
    "booth",
    minimizers=((1.0, 3.0),),
    minimum=0.0,
    x0=(-5.0, -5.0),
    bounds=((-10.0, 10.0), (-10.0, 10.0)),
    ndim=2,
    formula="(x + 2y − 7)² + (2x + y − 5)²",
    description=(
        "Booth's function, (x + 2y − 7)² + (2x + y − 5)²: a tilted elliptic bowl whose "
        "curvatures differ ninefold."
    ),
)

matyas = TestFunction(
    _matyas,
    _matyas_grad,
    "matyas",
    minimizers=((0.0, 0.0),),
    minimum=0.0,
    x0=(7.0, -3.0),
    bounds=((-10.0, 10.0), (-10.0, 10.0)),
    ndim=2,
    formula="0.26 (x² + y²) − 0.48 xy",
    description=(
        "The Matyas function, 0.26 (x² + y²) − 0.48 xy: a bowl 25 times flatter along "
        "the diagonal x = y than across it."
    ),
)

himmelblau = TestFunction(
    _himmelblau,
    _himmelblau_grad,
    "himmelblau",
    minimizers=(
        (3.0, 2.0),
        (-2.805118086952745, 3.131312518250573),
        (-3.779310253377747, -3.2831859912861696),
        (3.5844283403304917, -1.8481265269644036),
    ),
    minimum=0.0,
    x0=(0.0, 0.0),
    bounds=((-5.0, 5.0), (-5.0, 5.0)),
    ndim=2,
    formula="(x² + y − 11)² + (x + y² − 7)²",
    description=(
        "Himmelblau's function, (x² + y − 11)² + (x + y² − 7)²: four equally deep minima, "
        "so where a run ends depends on where it starts."
    ),
)

three_hump_camel = TestFunction(
    _three_hump_camel,
    _three_hump_camel_grad,
    "three_hump_camel",
    minimizers=((0.0, 0.0),),
    minimum=0.0,
    x0=(1.0, 1.5),
    bounds=((-5.0, 5.0), (-5.0, 5.0)),
    ndim=2,
    formula="2x² − 1.05x⁴ + x⁶/6 + xy + y²",
    description=(
        "The three-hump camel, 2x² − 1.05x⁴ + x⁶/6 + xy + y²: a global minimum at the "
        "origin flanked by two shallower local ones."
    ),
)

six_hump_camel = TestFunction(
    _six_hump_camel,
    _six_hump_camel_grad,
    "six_hump_camel",
    minimizers=(
        (0.08984201310031806, -0.7126564030207396),
        (-0.08984201310031806, 0.7126564030207396),
    ),
    minimum=-1.0316284534898774,
    x0=(-1.0, 1.0),
    bounds=((-3.0, 3.0), (-2.0, 2.0)),
    ndim=2,
    formula="(4 − 2.1x² + x⁴/3) x² + xy + (4y² − 4) y²",
    description=(
        "The six-hump camel, (4 − 2.1x² + x⁴/3) x² + xy + (4y² − 4) y²: six minima, two of "
        "them global and mirror images of each other."
    ),
)

rastrigin = TestFunction(
    _rastrigin,
    _rastrigin_grad,
    "rastrigin",
    minimizers=((0.0, 0.0),),
    minimum=0.0,
    x0=(-3.2, 2.4),
    bounds=((-5.12, 5.12), (-5.12, 5.12)),
    ndim=2,
    formula="10 n + Σ (xᵢ² − 10 cos 2πxᵢ)",
    description=(
        "Rastrigin's function, 10 n + Σ (xᵢ² − 10 cos 2πxᵢ) in any dimension n: a bowl "
        "covered in a regular grid of local minima that trap plain gradient descent."
    ),
)

ackley = TestFunction(
    _ackley,
    _ackley_grad,
    "ackley",
    minimizers=((0.0, 0.0),),
    minimum=0.0,
    x0=(2.5, -3.5),
    bounds=((-5.0, 5.0), (-5.0, 5.0)),
    ndim=2,
    formula="−20 exp(−0.2 √(Σ xᵢ²/n)) − exp(Σ cos(2πxᵢ)/n) + 20 + e",
    description=(
        "Ackley's function, −20 exp(−0.2 √(Σ xᵢ²/n)) − exp(Σ cos(2πxᵢ)/n) + 20 + e in any "
        "dimension n: a nearly flat, rippled plain around a sharp funnel at the origin, "
        "where the gradient is undefined (0 is returned there)."
    ),
)

styblinski_tang = TestFunction(
    _styblinski_tang,
    _styblinski_tang_grad,
    "styblinski_tang",
    minimizers=((_ST_ARGMIN, _ST_ARGMIN),),
    minimum=2 * _ST_MIN,
    x0=(-0.5, 0.0),
    bounds=((-5.0, 5.0), (-5.0, 5.0)),
    ndim=2,
    formula="½ Σ (xᵢ⁴ − 16xᵢ² + 5xᵢ)",
    description=(
        "The Styblinski–Tang function, ½ Σ (xᵢ⁴ − 16xᵢ² + 5xᵢ) in any dimension n: each "
        "coordinate has a deeper minimum at −2.9035 and a shallower one at 2.7468, so the "
        "global minimum, about −39.166 n, is one of 2ⁿ local ones."
    ),
)

goldstein_price = TestFunction(
    _goldstein_price,
    _goldstein_price_grad,
    "goldstein_price",
    minimizers=((0.0, -1.0),),
    minimum=3.0,
    x0=(0.5, -1.5),
    bounds=((-2.0, 2.0), (-2.0, 2.0)),
    ndim=2,
    formula=(
        "[1 + (x + y + 1)² (19 − 14x + 3x² − 14y + 6xy + 3y²)] "
        "× [30 + (2x − 3y)² (18 − 32x + 12x² + 48y − 36xy + 27y²)]"
    ),
    description=(
        "The Goldstein–Price function, [1 + (x + y + 1)² a] [30 + (2x − 3y)² b] with "
        "quadratics a and b: values spanning six orders of magnitude over the box, and "
        "several local minima."
    ),
)

#: Every test function by name, in the order of the table in the module docstring.
FUNCTIONS: dict[str, TestFunction] = {
    f.name: f
    for f in (
        quadratic,
        square,
        sphere,
        quartic,
        rosenbrock,
        beale,
        booth,
        matyas,
        himmelblau,
        three_hump_camel,
        six_hump_camel,
        rastrigin,
        ackley,
        styblinski_tang,
        goldstein_price,
    )
}


def get(name: str) -> TestFunction:
    """The test function called ``name`` (case and ``-`` / ``_`` do not matter).

    Raises
    ------
    ValueError
        For an unknown name, listing the known ones.

    Examples
    --------
    >>> from descend import functions
    >>> functions.get("Six-Hump-Camel").minimum
    -1.0316284534898774
    """
    if not isinstance(name, str):
        raise TypeError(f"Invalid test function name: {name!r}; expected a string")
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return FUNCTIONS[key]
    except KeyError:
        known = ", ".join(FUNCTIONS)
        raise ValueError(f"Unknown test function {name!r}; known ones: {known}") from None
