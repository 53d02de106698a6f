"""The data sets of the tutorial experiments, and the closed-form least squares they compare with.

Every loader returns plain NumPy arrays with the tutorial's settings as its defaults, so an
experiment is reproduced by calling it with no arguments. None of them prepends a column of
ones: descend's estimators fit the intercept themselves, and a design with the column added is
one ``np.column_stack`` away.

=================  ================================================================  =====
function           data                                                              used
=================  ================================================================  =====
regression         100 points near a line through the origin, Gaussian noise          T4
blobs              250 points in two Gaussian clusters in the plane, labels 0 and 1   T5
digits / digits01  8×8 images of handwritten digits, split into train and test        T6
dummy_trap         an intercept plus two indicator columns that add up to it          T7
longley            16 years of 6 nearly collinear columns and NIST's certified fit   —
least_squares      the normal equations XᵀXθ = Xᵀy, explained when they fail          T4, T7
=================  ================================================================  =====

Examples
--------
>>> from descend import datasets
>>> X, y = datasets.regression()
>>> fit = datasets.least_squares(X, y, fit_intercept=True)
>>> round(fit.intercept, 2), round(float(fit.coef[0]), 2)
(1.49, 63.42)
"""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import numpy as np

from descend._validation import check_bool, check_count, check_nonnegative

__all__ = [
    "LeastSquares",
    "Longley",
    "SingularNormalEquationsError",
    "blobs",
    "digits",
    "digits01",
    "dummy_trap",
    "least_squares",
    "longley",
    "regression",
]

_MAX_SEED = 2**32 - 1
_SHOWN_DEPENDENCIES = 5  # at most this many dependencies are written out in a message


# --------------------------------------------------------------------------- argument checks


def _check_random_state(value):
    """A seed scikit-learn accepts: None, a whole number in [0, 2**32 - 1] or a RandomState."""
    if value is None or isinstance(value, np.random.RandomState):
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"Invalid random_state: {value!r}; expected None, a whole-number seed or a "
            "numpy.random.RandomState"
        )
    if not 0 <= value <= _MAX_SEED:
        raise ValueError(f"Invalid random_state: {value!r}; a seed must lie in [0, 2**32 - 1]")
    return int(value)


def _check_test_size(value, n_rows: int) -> float | int:
    """A fraction in (0, 1) or a whole number of rows in [1, n_rows - 1]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"Invalid test_size: {value!r}; expected a fraction in (0, 1) or a whole number "
            "of rows"
        )
    if isinstance(value, numbers.Integral):
        if not 1 <= value <= n_rows - 1:
            raise ValueError(
                f"Invalid test_size: {value!r}; as a number of rows it must lie in "
                f"[1, {n_rows - 1}] for {n_rows} images"
            )
        return int(value)
    value = float(value)
    if not 0.0 < value < 1.0:
        raise ValueError(f"Invalid test_size: {value!r}; as a fraction it must lie in (0, 1)")
    return value


# --------------------------------------------------------------------------------- data sets


def regression(n_samples: int = 100, noise: float = 10.0, random_state=2015):
    r"""One feature and a noisy linear response: the data of experiment T4.

    Draws :math:`x_i \sim \mathcal N(0, 1)` and

    .. math:: y_i = w\,x_i + \varepsilon_i, \qquad \varepsilon_i \sim \mathcal N(0, \sigma^2),

    with a slope :math:`w` drawn uniformly from [0, 100) and :math:`\sigma` = ``noise``; the
    line goes through the origin, so any fitted intercept comes from the noise alone. The data
    are scikit-learn's ``make_regression(n_samples, n_features=1, n_informative=1, noise,
    random_state)``.

    Parameters
    ----------
    n_samples : int, default 100
        Number of points, at least 1.
    noise : float, default 10.0
        Standard deviation :math:`\sigma` of the Gaussian noise added to ``y``, >= 0.
    random_state : None, int or numpy.random.RandomState, default 2015
        Seed of the draw; the default is the tutorial's.

    Returns
    -------
    X : numpy.ndarray of shape (n_samples, 1)
        The feature, as floats. No column of ones is prepended.
    y : numpy.ndarray of shape (n_samples,)
        The response, as floats.

    Examples
    --------
    >>> from descend.datasets import regression
    >>> X, y = regression()
    >>> X.shape, y.shape, X.dtype
    ((100, 1), (100,), dtype('float64'))
    """
    from sklearn.datasets import make_regression

    n_samples = check_count(n_samples, "n_samples", minimum=1)
    noise = check_nonnegative(noise, "noise")
    random_state = _check_random_state(random_state)
    X, y = make_regression(
        n_samples=n_samples,
        n_features=1,
        n_informative=1,
        noise=noise,
        random_state=random_state,
    )
    return np.asarray(X, dtype=float), np.asarray(y, dtype=float)


def blobs(n_samples: int = 250, cluster_std: float = 1.05, random_state=20):
    r"""Two Gaussian clusters in the plane, labelled 0 and 1: the data of experiment T5.

    Two centres :math:`c_0, c_1` are drawn uniformly from the square :math:`[-10, 10]^2`, the
    points are split between them as evenly as possible (the first cluster gets the odd one
    out), and each point of class :math:`k` is

    .. math:: x_i \sim \mathcal N\!\left(c_k,\ \sigma^2 I_2\right)

    with :math:`\sigma` = ``cluster_std``. These are scikit-learn's ``make_blobs(n_samples,
    n_features=2, centers=2, cluster_std, random_state)``; with the defaults the two clusters
    are linearly separable, 125 points each.

    Parameters
    ----------
    n_samples : int, default 250
        Number of points, at least 2 so that both classes occur.
    cluster_std : float, default 1.05
        Standard deviation :math:`\sigma` of each coordinate around its centre, >= 0.
    random_state : None, int or numpy.random.RandomState, default 20
        Seed of the draw; the default is the tutorial's.

    Returns
    -------
    X : numpy.ndarray of shape (n_samples, 2)
        The points, as floats. No column of ones is prepended.
    y : numpy.ndarray of shape (n_samples,)
        The class of each point, 0 or 1, as int64.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.datasets import blobs
    >>> X, y = blobs()
    >>> X.shape, np.bincount(y).tolist()
    ((250, 2), [125, 125])
    """
    from sklearn.datasets import make_blobs

    n_samples = check_count(n_samples, "n_samples", minimum=2)
    cluster_std = check_nonnegative(cluster_std, "cluster_std")
    random_state = _check_random_state(random_state)
    X, y = make_blobs(
        n_samples=n_samples,
        n_features=2,
        centers=2,
        cluster_std=cluster_std,
        random_state=random_state,
    )
    return np.asarray(X, dtype=float), np.asarray(y, dtype=np.int64)


def digits(n_class: int = 10, test_size: float | int = 0.2, random_state=10):
    r"""Handwritten digits as 64 pixel counts, split into a training and a test set.

    Each image is 8×8 pixels; pixel :math:`j` of image :math:`i` holds a count
    :math:`x_{ij} \in \{0, 1, \dots, 16\}` (how many of the 4×4 cells of the original 32×32
    bitmap were inked), flattened row by row into 64 features. The values are left unscaled,
    as in the tutorial. The images of the digits :math:`0, \dots, n_{\text{class}} - 1` come
    from scikit-learn's ``load_digits(n_class)`` and are split by ``train_test_split(test_size,
    random_state)``: the rows are shuffled and :math:`\lceil n \cdot \text{test\_size} \rceil`
    of them are held out for testing (a whole-number ``test_size`` is a count of rows).

    Parameters
    ----------
    n_class : int, default 10
        How many digits to keep, from 0 upwards: 2 keeps the zeros and the ones. 1 to 10.
    test_size : float or int, default 0.2
        The held-out share of the images, in (0, 1), or their number.
    random_state : None, int or numpy.random.RandomState, default 10
        Seed of the shuffle before the split; the default is the tutorial's.

    Returns
    -------
    X_train, X_test : numpy.ndarray of shape (n_train, 64) and (n_test, 64)
        The pixel counts, as floats in [0, 16]. No column of ones is prepended.
    y_train, y_test : numpy.ndarray of shape (n_train,) and (n_test,)
        The digit each image shows, as int64.

    See Also
    --------
    digits01 : the zeros and ones of experiment T6.

    Examples
    --------
    >>> from descend.datasets import digits
    >>> X_train, X_test, y_train, y_test = digits()
    >>> X_train.shape, X_test.shape, int(X_train.max())
    ((1437, 64), (360, 64), 16)
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    n_class = check_count(n_class, "n_class", minimum=1)
    if n_class > 10:
        raise ValueError(f"Invalid n_class: {n_class}; there are only 10 digits (1 to 10)")
    random_state = _check_random_state(random_state)
    bunch = load_digits(n_class=n_class)
    X = np.asarray(bunch.data, dtype=float)
    y = np.asarray(bunch.target, dtype=np.int64)
    test_size = _check_test_size(test_size, X.shape[0])
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=random_state
    )
    return X_train, X_test, y_train, y_test


def digits01(test_size: float | int = 0.2, random_state=10):
    r"""The zeros and ones of the digits, split for training and testing: experiment T6.

    The same as :func:`digits` with ``n_class=2``: 360 images of 64 pixel counts in
    :math:`\{0, \dots, 16\}`, labelled :math:`t_i \in \{0, 1\}`. With the defaults, 288 images
    are for training and 72 for testing. A linear unit :math:`o_i = w \cdot x_i` (plus a bias)
    trained on them predicts class 1 when :math:`o_i > 0.5`.

    Parameters
    ----------
    test_size : float or int, default 0.2
        The held-out share of the images, in (0, 1), or their number.
    random_state : None, int or numpy.random.RandomState, default 10
        Seed of the shuffle before the split; the default is the tutorial's.

    Returns
    -------
    X_train, X_test, y_train, y_test : numpy.ndarray
        As :func:`digits` returns them, with labels 0 and 1.

    Examples
    --------
    >>> from descend.datasets import digits01
    >>> X_train, X_test, y_train, y_test = digits01()
    >>> len(y_train), len(y_test), sorted(set(y_train.tolist()))
    (288, 72, [0, 1])
    """
    return digits(n_class=2, test_size=test_size, random_state=random_state)


def dummy_trap():
    r"""The design of experiment T7, where the normal equations have no unique solution.

    Ten rows in two groups of five. Column 0 is the intercept (all ones), column 1 is the
    indicator of the first group and column 2 that of the second:

    .. math::

        X = \begin{pmatrix} \mathbf 1_5 & \mathbf 1_5 & \mathbf 0_5 \\
                            \mathbf 1_5 & \mathbf 0_5 & \mathbf 1_5 \end{pmatrix},
        \qquad y = \begin{pmatrix} \mathbf 0_5 \\ \mathbf 1_5 \end{pmatrix}.

    Every row belongs to exactly one group, so the indicators add up to the intercept:
    :math:`x_{\cdot 0} = x_{\cdot 1} + x_{\cdot 2}`. ``X`` has rank 2, :math:`X^\top X` is
    singular, and the least-squares minimisers form a whole line :math:`\theta^\star + t\,(1,
    -1, -1)`. Gradient descent still reaches one of them; :func:`least_squares` explains why it
    cannot pick one.

    Returns
    -------
    X : numpy.ndarray of shape (10, 3)
        The design, as floats, the column of ones included.
    y : numpy.ndarray of shape (10,)
        Five zeros then five ones, as floats.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.datasets import dummy_trap
    >>> X, y = dummy_trap()
    >>> X.shape, int(np.linalg.matrix_rank(X)), y.tolist()
    ((10, 3), 2, [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    """
    first = np.repeat([1.0, 0.0], 5)
    X = np.column_stack([np.ones(10), first, 1.0 - first])
    y = np.repeat([0.0, 1.0], 5)
    return X, y


# ------------------------------------------------------------------------- NIST's Longley data

# The 16 rows of the Longley data as NIST's Statistical Reference Datasets give them: y, then
# x1 to x6. Every value is exact as written (whole numbers, and x1 to one decimal).
_LONGLEY_ROWS = (
    (60323, 83.0, 234289, 2356, 1590, 107608, 1947),
    (61122, 88.5, 259426, 2325, 1456, 108632, 1948),
    (60171, 88.2, 258054, 3682, 1616, 109773, 1949),
    (61187, 89.5, 284599, 3351, 1650, 110929, 1950),
    (63221, 96.2, 328975, 2099, 3099, 112075, 1951),
    (63639, 98.1, 346999, 1932, 3594, 113270, 1952),
    (64989, 99.0, 365385, 1870, 3547, 115094, 1953),
    (63761, 100.0, 363112, 3578, 3350, 116219, 1954),
    (66019, 101.2, 397469, 2904, 3048, 117388, 1955),
    (67857, 104.6, 419180, 2822, 2857, 118734, 1956),
    (68169, 108.4, 442769, 2936, 2798, 120445, 1957),
    (66513, 110.8, 444546, 4681, 2637, 121950, 1958),
    (68655, 112.6, 482704, 3813, 2552, 123366, 1959),
    (69564, 114.2, 502601, 3931, 2514, 125368, 1960),
    (69331, 115.7, 518173, 4806, 2572, 127852, 1961),
    (70551, 116.9, 554894, 4007, 2827, 130081, 1962),
)

# NIST's certified values for y = B0 + B1 x1 + ... + B6 x6: estimates, then their standard
# deviations, each to the 15 significant digits NIST gives (computed in 500-digit arithmetic).
_LONGLEY_ESTIMATES = (
    -3482258.63459582,
    15.0618722713733,
    -0.358191792925910e-01,
    -2.02022980381683,
    -1.03322686717359,
    -0.511041056535807e-01,
    1829.15146461355,
)
_LONGLEY_SDS = (
    890420.383607373,
    84.9149257747669,
    0.334910077722432e-01,
    0.488399681651699,
    0.214274163161675,
    0.226073200069370,
    455.478499142212,
)
_LONGLEY_RESIDUAL_SD = 304.854073561965
_LONGLEY_R_SQUARED = 0.995479004577296


class Longley(NamedTuple):
    r"""NIST's Longley data and its certified least-squares fit, as :func:`longley` gives them.

    Attributes
    ----------
    X : numpy.ndarray of shape (16, 6)
        The columns x1 to x6 (see ``feature_names``), as floats. No column of ones.
    y : numpy.ndarray of shape (16,)
        Total employment, in thousands, as floats.
    intercept : float
        The certified intercept B0.
    coef : numpy.ndarray of shape (6,)
        The certified slopes B1 to B6, one per column of ``X``.
    intercept_sd : float
        The certified standard deviation of B0.
    coef_sd : numpy.ndarray of shape (6,)
        The certified standard deviations of B1 to B6.
    residual_sd : float
        The certified residual standard deviation, :math:`\sqrt{\mathrm{RSS} / (n - 7)}`.
    r_squared : float
        The certified :math:`R^2 = 1 - \mathrm{RSS} / \sum_i (y_i - \bar y)^2`.
    feature_names : tuple of str
        What the columns of ``X`` hold.
    """

    X: np.ndarray
    y: np.ndarray
    intercept: float
    coef: np.ndarray
    intercept_sd: float
    coef_sd: np.ndarray
    residual_sd: float
    r_squared: float
    feature_names: tuple[str, ...]


def longley() -> Longley:
    r"""NIST's Longley data: 16 years of US economic figures, with the certified fit.

    The linear-regression test of NIST's Statistical Reference Datasets (StRD) rated "higher
    difficulty": the model

    .. math:: y = B_0 + B_1 x_1 + B_2 x_2 + \dots + B_6 x_6 + \varepsilon

    on the data of Longley (1967), one row per year from 1947 to 1962. The six columns move
    together so closely (the year, the population and GNP all grow steadily) that the design
    with its column of ones has a condition number of about :math:`5 \cdot 10^9` (about
    :math:`4 \cdot 10^4` with each column scaled to largest magnitude 1, 110 with the columns
    standardised), and :math:`X^\top X` has its square: the normal equations of the raw
    columns, solved in float64, keep only 7 or 8 of the 15 certified digits, and gradient
    descent on the raw columns crawls. NIST certifies the least-squares estimates, their
    standard deviations, the residual standard deviation and :math:`R^2` to 15 significant
    digits, computed in 500-digit arithmetic; they come here with the data, so that a fit can
    be graded by the digits it gets right.

    ====  ==========================================================
    y     total employment (thousands)
    x1    GNP implicit price deflator (1954 = 100)
    x2    gross national product (millions of dollars)
    x3    unemployment (thousands)
    x4    size of the armed forces (thousands)
    x5    non-institutional population aged 14 and over (thousands)
    x6    year
    ====  ==========================================================

    Returns
    -------
    Longley
        ``X`` (16 × 6) and ``y`` (16,) as floats, the certified ``intercept``, ``coef``
        (B1 to B6), their standard deviations ``intercept_sd`` and ``coef_sd``, the
        ``residual_sd``, ``r_squared`` and ``feature_names``.

    Notes
    -----
    The values are those of NIST's file ``Longley.dat``
    (https://www.itl.nist.gov/div898/strd/lls/data/Longley.shtml), typed in. The whole numbers
    are exact in float64 and each value of x1 (one decimal) is the float64 nearest to it. The
    exact least-squares fit of these float64 arrays, worked out in rational arithmetic by
    descend's tests, agrees with every certified value to within :math:`3 \cdot 10^{-15}`
    relative: the certified fit is the fit of the arrays returned here.

    References
    ----------
    Longley, J. W. (1967). An appraisal of least squares programs for the electronic computer
    from the point of view of the user. *Journal of the American Statistical Association*,
    62(319), 819-841.

    Examples
    --------
    >>> from descend.datasets import least_squares, longley
    >>> data = longley()
    >>> data.X.shape, data.y.shape, data.feature_names[5]
    ((16, 6), (16,), 'year')
    >>> fit = least_squares(data.X, data.y, fit_intercept=True)
    >>> bool(abs(fit.coef[5] / data.coef[5] - 1) < 1e-6)
    True
    """
    rows = np.array(_LONGLEY_ROWS, dtype=float)
    return Longley(
        X=rows[:, 1:].copy(),
        y=rows[:, 0].copy(),
        intercept=_LONGLEY_ESTIMATES[0],
        coef=np.array(_LONGLEY_ESTIMATES[1:]),
        intercept_sd=_LONGLEY_SDS[0],
        coef_sd=np.array(_LONGLEY_SDS[1:]),
        residual_sd=_LONGLEY_RESIDUAL_SD,
        r_squared=_LONGLEY_R_SQUARED,
        feature_names=(
            "GNP deflator",
            "GNP",
            "unemployed",
            "armed forces",
            "population",
            "year",
        ),
    )


# ----------------------------------------------------------------------------- least squares


class LeastSquares(NamedTuple):
    """The least-squares fit of :func:`least_squares`.

    Attributes
    ----------
    coef : numpy.ndarray of shape (n_features,)
        One coefficient per column of ``X``.
    intercept : float
        The fitted intercept, 0.0 when ``fit_intercept=False``.
    """

    coef: np.ndarray
    intercept: float


class SingularNormalEquationsError(ValueError):
    """The normal equations XᵀXθ = Xᵀy have no unique solution, because XᵀX is singular.

    Raised by :func:`least_squares` when the columns of the design are linearly dependent, or so
    nearly so that XᵀX cannot be solved reliably. The message names the dependencies and the
    ways out.

    Attributes
    ----------
    rank : int
        The numerical rank of the design.
    n_columns : int
        Its number of columns (the column of ones included when ``fit_intercept=True``).
    dependencies : numpy.ndarray of shape (n_columns - rank, n_columns)
        Rows :math:`d` spanning the null space of the design :math:`A`, each with
        :math:`A d \\approx 0`, written with a 1 on the column they are solved for and small
        round numbers where the relation has them.
    dependency : numpy.ndarray of shape (n_columns,)
        The first of them.
    equations : list of str
        The dependencies as readable equations, such as ``"column 0 = column 1 + column 2"``.
    column_names : tuple of str
        The names the equations use, one per column of the design: ``"intercept"`` for the
        column of ones that ``fit_intercept=True`` adds, ``"column j"`` for column j of ``X``.
    singular_values : numpy.ndarray
        The singular values of the design with each column scaled to largest magnitude 1,
        largest first; the rank counts those above ``rtol`` times the first.
    dummy_trap : bool
        True when indicator columns add up to a constant column: the dummy-variable trap.
    """

    def __init__(
        self,
        message: str,
        *,
        rank: int = 0,
        n_columns: int = 0,
        dependencies=None,
        equations=(),
        column_names=(),
        singular_values=None,
        dummy_trap: bool = False,
    ):
        super().__init__(message)
        self.rank = rank
        self.n_columns = n_columns
        self.dependencies = (
            np.zeros((0, n_columns)) if dependencies is None else np.asarray(dependencies)
        )
        self.equations = list(equations)
        self.column_names = tuple(column_names)
        self.singular_values = (
            np.zeros(0) if singular_values is None else np.asarray(singular_values)
        )
        self.dummy_trap = dummy_trap

    @property
    def dependency(self) -> np.ndarray:
        """The first dependency among the columns (see ``dependencies``)."""
        return self.dependencies[0]

    def __reduce__(self):
        return (self.__class__, self.args, self.__dict__)


def _check_design(X, y) -> tuple[np.ndarray, np.ndarray]:
    """X and y as float arrays, or an error saying what is wrong with them."""
    arrays = []
    for name, value in (("X", X), ("y", y)):
        try:
            array = np.asarray(value)
        except ValueError:
            raise ValueError(
                f"Invalid {name}: its rows have different lengths; expected a rectangular array"
            ) from None
        if array.dtype.kind == "c":
            raise TypeError(f"Invalid {name}: it holds complex numbers; expected real numbers")
        if array.dtype.kind not in "biuf":
            try:
                array = array.astype(float)
            except (TypeError, ValueError):
                raise TypeError(
                    f"Invalid {name}: expected numbers, got an array of dtype {array.dtype}"
                ) from None
        arrays.append(array.astype(float, copy=False))
    X, y = arrays
    if X.ndim != 2:
        raise ValueError(
            f"Invalid X: expected a 2-D array of shape (n_samples, n_features), got "
            f"{X.ndim}-D with shape {X.shape}; reshape a single feature with X.reshape(-1, 1)"
        )
    if y.ndim != 1:
        raise ValueError(
            f"Invalid y: expected a 1-D array of shape (n_samples,), got {y.ndim}-D with shape "
            f"{y.shape}; flatten it with y.ravel()"
        )
    if X.shape[0] != y.shape[0]:
        raise ValueError(
            f"X and y disagree on the number of samples: X has {X.shape[0]} rows, y has "
            f"{y.shape[0]} entries"
        )
    if X.shape[0] == 0:
        raise ValueError("Invalid X and y: they have no rows; least squares needs at least one")
    bad = np.argwhere(~np.isfinite(X))
    if bad.size:
        row, col = (int(i) for i in bad[0])
        raise ValueError(
            f"Invalid X: X[{row}, {col}] is {X[row, col]} (row {row}, column {col}); every "
            "entry must be finite"
        )
    bad = np.flatnonzero(~np.isfinite(y))
    if bad.size:
        raise ValueError(f"Invalid y: y[{bad[0]}] is {y[bad[0]]}; every entry must be finite")
    return X, y


def _readable_rows(null: np.ndarray, peak: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """The dependencies among the columns of ``A``, written to be read.

    ``null`` is an orthonormal basis of the null space of the scaled design ``A / peak``. It is
    brought to reduced echelon form with the largest entries as pivots (ties go to the lowest
    column), so that every dependency involves one column no other one does and coefficients
    no larger than needed. Entries negligible next to the pivot are dropped. The rows are then
    taken back to the units of ``A`` and scaled to a 1 on their pivot, and coefficients within
    rounding of a simple fraction are snapped to it. Returns the rows, sorted by pivot, and
    their pivot columns.
    """
    rows = null.copy()
    k = rows.shape[0]
    pivots: list[int] = []
    for r in range(k):
        rest = np.abs(rows[r:])
        rest[:, pivots] = 0.0
        best = rest.max()
        col = int(np.flatnonzero((rest >= best * (1.0 - 1e-9)).any(axis=0))[0])
        i = r + int(np.argmax(rest[:, col]))
        rows[[r, i]] = rows[[i, r]]
        rows[r] /= rows[r, col]
        for j in range(k):
            if j != r:
                rows[j] -= rows[j, col] * rows[r]
        pivots.append(col)
    rows[np.abs(rows) < 1e-10] = 0.0
    order = np.argsort(pivots, kind="stable")
    rows, pivots = rows[order], [pivots[i] for i in order]
    with np.errstate(over="ignore"):
        for row, pivot in zip(rows, pivots, strict=True):
            row *= peak[pivot] / peak  # back to the units of A, keeping the pivot's 1
    snapped = np.vectorize(_snap, otypes=[float])(rows).reshape(rows.shape)
    return snapped, pivots


def _snap(c: float, tol: float = 1e-7) -> float:
    """``c`` rounded to a nearby simple number (an integer, or a fraction with a denominator
    up to 12) when it is within a relative ``tol`` of one, else unchanged."""
    for q in range(1, 13):
        whole = round(c * q) if math.isfinite(c) else 0
        if whole != 0 and abs(c * q - whole) <= tol * abs(c * q):
            return whole / q
    return float(c)


def _equation(row: np.ndarray, names: tuple[str, ...], pivot: int) -> str:
    """The dependency ``row`` (with A @ row ≈ 0) solved for the column ``pivot``."""
    terms = []
    for k, c in enumerate(row):
        a = 0.0 if k == pivot else _snap(-c / row[pivot])
        if a == 0.0:
            continue
        term = names[k] if abs(a) == 1.0 else f"{abs(a):.6g} × {names[k]}"
        if not terms:
            terms.append(term if a > 0 else f"-{term}")
        else:
            terms.append(f"+ {term}" if a > 0 else f"- {term}")
    if not terms:
        return f"{names[pivot]} = 0 (it is all zeros)"
    return f"{names[pivot]} = {' '.join(terms)}"


def _dummy_groups(A: np.ndarray) -> tuple[int, list[list[int]]] | None:
    """The dummy-variable traps in the design ``A``, if any.

    A trap is a group of two or more indicator columns (0/1, not constant) that mark every row
    exactly once, next to a nonzero constant column: the group adds up to the constant column
    divided by its value. Groups are gathered greedily, column by column, and each one is
    verified exactly. Returns the first constant column and the groups found, or None.
    """
    constant = [k for k in range(A.shape[1]) if np.ptp(A[:, k]) == 0.0 and A[0, k] != 0.0]
    if not constant:
        return None
    is_01 = (A == 0.0) | (A == 1.0)
    indicators = [k for k in range(A.shape[1]) if np.ptp(A[:, k]) > 0.0 and is_01[:, k].all()]
    groups: list[list[int]] = []
    used: set[int] = set()
    for k in indicators:
        if k in used:
            continue
        group, covered = [k], A[:, k].copy()
        for j in indicators:
            if j in used or j == k or np.any((covered == 1.0) & (A[:, j] == 1.0)):
                continue
            group.append(j)
            covered += A[:, j]
            if covered.all():
                break
        if covered.all():
            groups.append(group)
            used.update(group)
    return (constant[0], groups) if groups else None


def _with_traps(
    rows: np.ndarray, pivots: list[int], A: np.ndarray, const: int, groups: list[list[int]]
) -> int:
    """Swap each trap "constant column = value × (sum of its group)" into the basis ``rows``
    in place of a row it depends on, so that the message states the traps as they are.
    Returns how many rows were swapped."""
    replaced: set[int] = set()
    for group in groups:
        trap = np.zeros(rows.shape[1])
        trap[const] = 1.0
        trap[group] = -A[0, const]
        weights = np.linalg.lstsq(rows.T, trap, rcond=None)[0]
        weights[list(replaced)] = 0.0
        i = int(np.argmax(np.abs(weights)))
        if abs(weights[i]) < 1e-9:  # already stated by the rows replaced before
            continue
        rows[i], pivots[i] = trap, const
        replaced.add(i)
    return len(replaced)


def _list_names(names: list[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _singular_error(
    A: np.ndarray,
    peak: np.ndarray,
    s: np.ndarray,
    null: np.ndarray,
    rank: int,
    names: tuple[str, ...],
    fit_intercept: bool,
    rtol: float,
) -> SingularNormalEquationsError:
    """The error for a rank-deficient design ``A``, its dependencies worked out from the
    singular values ``s`` and a basis ``null`` of the null space of the scaled ``A / peak``."""
    n_rows, n_columns = A.shape
    rows, pivots = _readable_rows(null, peak)
    traps = _dummy_groups(A)
    n_traps = 0 if traps is None else _with_traps(rows, pivots, A, *traps)
    equations = [_equation(row, names, p) for row, p in zip(rows, pivots, strict=True)]

    exactly = s.size < n_columns or s[-1] <= s[0] * max(A.shape) * np.finfo(float).eps
    with_ones = " (the column of ones for the intercept included)" if fit_intercept else ""
    if exactly:
        how = "singular"
    else:
        how = (
            f"numerically singular (with its columns scaled to largest magnitude 1, the "
            f"smallest singular value of the design is {s[-1] / s[0]:.2g} times the largest, "
            f"under the tolerance rtol={rtol:.2g})"
        )
    lines = [
        "The normal equations XᵀXθ = Xᵀy have no unique solution: the design has rank "
        f"{rank} but {n_columns} column{'s' * (n_columns != 1)}{with_ones}, so XᵀX is {how}."
    ]
    if n_rows < n_columns:
        lines.append(
            f"With only {n_rows} row{'s' * (n_rows != 1)} for {n_columns} columns, some columns "
            "must depend on the others."
        )
    which = "this dependency" if len(equations) == 1 else "these dependencies"
    lines.append(f"Its columns satisfy {which}{'' if exactly else ', up to rounding'}:")
    lines += [f"    {eq}" for eq in equations[:_SHOWN_DEPENDENCIES]]
    if len(equations) > _SHOWN_DEPENDENCIES:
        lines.append(f"    ... and {len(equations) - _SHOWN_DEPENDENCIES} more")
    if fit_intercept:
        lines.append("where 'intercept' is the column of ones that fit_intercept=True adds.")
    if traps is not None:
        const, groups = traps
        constant = (
            "the intercept's column of ones"
            if names[const] == "intercept"
            else f"the constant {names[const]}"
        )
        for group in groups:
            lines.append(
                f"This is the dummy-variable trap: {_list_names([names[k] for k in group])} are "
                "indicator columns (0 or 1) that mark every row exactly once, so together they "
                f"equal {constant}."
            )
    lines.append(
        "Adding any multiple of a dependency to θ leaves every prediction Xθ unchanged, so "
        "infinitely many θ fit equally well and the normal equations cannot single one out."
    )
    lines.append("Ways out:")
    if traps is not None:
        const, groups = traps
        dropped = _list_names([names[group[-1]] for group in groups])
        if len(groups) == 1:
            lines.append(
                f"  - drop one indicator column (say {dropped}): its group becomes the "
                "baseline that the intercept describes;"
            )
            if names[const] == "intercept":
                lines.append("  - or keep every indicator and pass fit_intercept=False;")
            else:
                lines.append(
                    f"  - or keep every indicator and drop {constant}, leaving "
                    "fit_intercept=False;"
                )
        else:
            lines.append(
                f"  - drop one indicator column of each group (say {dropped}): each group's "
                "dropped level becomes part of the baseline that the intercept describes;"
            )
        if n_traps < len(rows):
            lines.append(
                "  - either way, also drop one column named in each of the other dependencies;"
            )
    else:
        lines.append("  - drop one of the columns named in each dependency;")
    lines.append(
        "  - or minimise the cost by gradient descent (descend.minimize), which still reaches "
        "one of the minimisers, or add a penalty such as ridge λ‖θ‖² to make the minimum unique;"
    )
    lines.append("  - or take numpy.linalg.lstsq(X, y), the minimum-norm least-squares solution.")
    return SingularNormalEquationsError(
        "\n".join(lines),
        rank=rank,
        n_columns=n_columns,
        dependencies=rows,
        equations=equations,
        column_names=names,
        singular_values=s,
        dummy_trap=traps is not None,
    )


def least_squares(X, y, *, fit_intercept: bool = False, rtol: float | None = None):
    r"""The closed-form least-squares fit, through the normal equations.

    Minimises :math:`J(\theta) = \tfrac12 \lVert A\theta - y \rVert^2` exactly, where the design
    :math:`A` is ``X``, or ``X`` with a column of ones in front when ``fit_intercept=True``.
    Setting the gradient :math:`A^\top(A\theta - y)` to zero gives the normal equations

    .. math:: A^\top A\,\theta = A^\top y,

    whose solution is unique exactly when the columns of :math:`A` are linearly independent.
    This is the closed form the tutorials hold gradient descent against.

    The columns are first brought to a common scale, :math:`B = AD` with :math:`D` diagonal and
    :math:`D_{jj} = 1 / \max_i |a_{ij}|`, and :math:`B^\top B\,z = B^\top y` is solved for
    :math:`\theta = Dz`: the same solution, but the units of a column (metres or millimetres)
    no longer over- or underflow :math:`A^\top A` or pass for dependence. Whether it can be
    solved is judged from the singular values :math:`s_1 \ge s_2 \ge \dots` of :math:`B`
    (those of :math:`B^\top B` are their squares): the numerical rank counts the
    :math:`s_i > \text{rtol}\cdot s_1`. Below full rank, a
    :class:`SingularNormalEquationsError` is raised that writes out the dependencies among the
    columns (from the null space of :math:`A`) and the ways out.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
        The features, finite, at least one row. Without ``fit_intercept`` it must include a
        column of ones if the model is to have an intercept.
    y : array_like of shape (n_samples,)
        The targets, finite.
    fit_intercept : bool, default False
        Add a column of ones in front of ``X`` and return its coefficient as ``intercept``.
    rtol : float, optional
        Relative tolerance on the singular values of the design, in (0, 1). The default
        :math:`\sqrt{p\,\varepsilon}` (:math:`p` columns, :math:`\varepsilon` the machine
        epsilon) calls :math:`A^\top A` singular exactly when its condition number, the square
        of :math:`A`'s, reaches :math:`1/(p\,\varepsilon)`: the point where
        ``numpy.linalg.matrix_rank`` would find it rank-deficient and its solution would have no
        correct digit left.

    Returns
    -------
    LeastSquares
        ``coef``, one per column of ``X``, and ``intercept`` (0.0 without ``fit_intercept``).

    Raises
    ------
    SingularNormalEquationsError
        When the columns of the design are linearly dependent, exactly or numerically.
    ValueError, TypeError
        When ``X`` is not 2-D, ``y`` not 1-D, their rows differ, an entry is not finite, there
        are no rows, or the design has no column.

    See Also
    --------
    numpy.linalg.lstsq : least squares through the SVD, with a minimum-norm answer when the
        columns are dependent.

    Examples
    --------
    A line through three points, slope 2 and intercept 1:

    >>> import numpy as np
    >>> from descend.datasets import dummy_trap, least_squares
    >>> fit = least_squares(np.array([[0.0], [1.0], [2.0]]), [1.0, 3.0, 5.0], fit_intercept=True)
    >>> fit.coef.round(6).tolist(), round(fit.intercept, 6)
    ([2.0], 1.0)

    The dummy-variable trap of T7 has no unique solution:

    >>> X, y = dummy_trap()
    >>> try:
    ...     least_squares(X, y)
    ... except ValueError as err:
    ...     print(err.rank, err.equations)
    2 ['column 0 = column 1 + column 2']
    """
    check_bool(fit_intercept, "fit_intercept")
    X, y = _check_design(X, y)
    n_rows, n_features = X.shape
    A = np.column_stack([np.ones(n_rows), X]) if fit_intercept else X
    n_columns = A.shape[1]
    if n_columns == 0:
        raise ValueError(
            "Invalid X: it has no columns; give at least one feature or fit_intercept=True"
        )
    if rtol is None:
        rtol = math.sqrt(n_columns * np.finfo(float).eps)
    elif isinstance(rtol, bool) or not isinstance(rtol, numbers.Real):
        raise TypeError(f"Invalid rtol: {rtol!r}; expected a number in (0, 1)")
    elif not 0.0 < rtol < 1.0:
        raise ValueError(f"Invalid rtol: {rtol!r}; it must lie in (0, 1)")
    rtol = float(rtol)

    # Each column is scaled to largest magnitude 1, so that units (a feature in metres next to
    # one in millimetres) neither look like dependence nor under- or overflow XᵀX.
    peak = np.abs(A).max(axis=0)
    peak[peak == 0.0] = 1.0
    B = A / peak
    # Vt must hold all n_columns right singular vectors; U is never needed in full.
    _, s, Vt = np.linalg.svd(B, full_matrices=n_rows < n_columns)
    rank = int(np.count_nonzero(s > rtol * s[0])) if s[0] > 0.0 else 0
    if rank < n_columns:
        names = (("intercept",) if fit_intercept else ()) + tuple(
            f"column {j}" for j in range(n_features)
        )
        raise _singular_error(A, peak, s, Vt[rank:], rank, names, bool(fit_intercept), rtol)

    with np.errstate(over="ignore"):
        theta = np.linalg.solve(B.T @ B, B.T @ y) / peak
    if not np.isfinite(theta).all():
        raise ValueError(
            "The least-squares coefficients are too large to represent as floats; rescale "
            "the columns of X (or y) to a sensible range"
        )
    if fit_intercept:
        return LeastSquares(coef=theta[1:], intercept=float(theta[0]))
    return LeastSquares(coef=theta, intercept=0.0)
