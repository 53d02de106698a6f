r"""Do descend's estimators reach the optimum of the objective they minimise?

The optimum comes from scikit-learn, run to a far tighter tolerance than any test below asks
for, on the same objective written in scikit-learn's terms. descend's estimators minimise

.. math:: J(w, b) = \frac1n \sum_i \ell(x_i^\top w + b, y_i) + \frac{\alpha}{2} \lVert w \rVert^2

(``reduction="mean"``, ``penalty="l2"``: :mod:`descend.penalties` halves the square, and the
intercept is never penalised). For the log loss, two classes use one score and more use one
score per class under a softmax (:class:`descend.GDClassifier`), with every class's
coefficients penalised: exactly scikit-learn's binary and multinomial logistic regression,
whose objective :math:`C \sum_i \ell_i + \frac12 \lVert w \rVert^2` is :math:`Cn` times
:math:`J` when :math:`C = 1 / (n\alpha)`. For the squared error (:math:`\ell = \frac12 (p -
y)^2`), ``Ridge(alpha=a)`` minimises :math:`\lVert y - Xw - b \rVert^2 + a \lVert w
\rVert^2`, which is :math:`2n` times :math:`J` when :math:`a = n\alpha`.
:func:`test_the_mapping_finds_descends_optimum` checks this mapping on descend's own
:meth:`~descend.estimators.base.GDBase.objective_function`.

Every problem is standardised and L2-penalised with descend's default ``alpha``, so that its
optimum exists. The penalty makes :math:`J` strongly convex in :math:`w`, so the optimal
:math:`w` is unique and so is the optimal value. With two classes, and for ridge, the
intercept is unique too (the loss is strictly convex in it); under the softmax the intercepts
are unique only up to a shift shared by every class, which changes no probability, so the
tests compare values of :math:`J`, never coefficients. Without the penalty most of these
problems would have no optimum at all: standardised breast cancer, wine and digits are
linearly separable, and so is iris's setosa from the other two species, and on such data the
unpenalised log loss keeps falling as the weights grow. (Diabetes would have a unique least
squares fit without it; it is penalised to make it a ridge problem.)

What is asserted of the default fit is honesty rather than speed: it ends within 1e-6 of the
optimum (relative), or it says it did not with a ``ConvergenceWarning``. NIST's Longley data
ask more: the recommended configuration should get six significant digits of every certified
coefficient.
"""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np
import pytest
from sklearn import datasets as sk_datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from descend import GDClassifier, GDRegressor, datasets
from descend.bench.workloads import RECOMMENDED

#: descend's default ``alpha``, the strength of the L2 penalty every problem here carries.
ALPHA = GDClassifier().alpha

#: The problems: scikit-learn's loader, and whether it is a regression.
PROBLEMS = {
    "breast_cancer": (sk_datasets.load_breast_cancer, False),  # 2 classes
    "wine": (sk_datasets.load_wine, False),  # 3 classes
    "iris": (sk_datasets.load_iris, False),  # 3 classes
    "digits": (sk_datasets.load_digits, False),  # 10 classes
    "diabetes": (sk_datasets.load_diabetes, True),  # ridge regression
}

#: How close to the optimum a fit must end, relative to the optimal objective.
RELATIVE_GAP = 1e-6


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    # These problems are small: BLAS threads cost more than they give, and on a busy machine
    # they wait for one another (scikit-learn's digits fit ran 60 times slower that way).
    with threadpool_limits(1):
        yield


@functools.cache
def problem(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The standardised features and the targets of a problem."""
    load, _ = PROBLEMS[name]
    X, y = load(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def sklearn_counterpart(name: str, alpha: float = ALPHA):
    """The scikit-learn estimator whose objective is a positive multiple of descend's, for
    penalty="l2" of strength ``alpha`` on the problem ``name``; run to a 1e-12 tolerance."""
    X, _ = problem(name)
    n = X.shape[0]
    if PROBLEMS[name][1]:
        return Ridge(alpha=n * alpha)
    return LogisticRegression(C=1.0 / (n * alpha), solver="lbfgs", tol=1e-12, max_iter=10_000)


def weights(estimator) -> np.ndarray:
    """A fitted linear model's weights in the order of descend's ``objective_function``:
    the intercept(s) first, then ``coef_`` row by row."""
    return np.concatenate([np.ravel(estimator.intercept_), np.ravel(estimator.coef_)])


@functools.cache
def sklearn_optimum(name: str, alpha: float = ALPHA) -> np.ndarray:
    X, y = problem(name)
    return weights(sklearn_counterpart(name, alpha).fit(X, y))


def descend_estimator(name: str, **settings):
    cls = GDRegressor if PROBLEMS[name][1] else GDClassifier
    return cls(penalty="l2", **settings)


@functools.cache
def objective(name: str, alpha: float = ALPHA):
    """descend's training objective of the problem, with the L2 penalty of strength ``alpha``,
    as a function of the weights (from a one-epoch fit: only its settings and shapes count)."""
    X, y = problem(name)
    fitted = descend_estimator(name, alpha=alpha, max_epochs=1, tol=None).fit(X, y)
    return fitted.objective_function(X, y)


@pytest.mark.parametrize("name", list(PROBLEMS))
def test_the_mapping_finds_descends_optimum(name):
    """scikit-learn's solution is a minimum of descend's objective: no direction goes down
    from it and its slope is zero along each. A mapping off by a factor of 2 either way (the
    square halved or not, C doubled or halved) lands measurably higher; that is checked with
    a strong penalty, since at the default alpha the ridge solution hardly depends on it."""
    f = objective(name)
    best = sklearn_optimum(name)
    lowest = f(best)
    rng = np.random.default_rng(0)
    h = 1e-4
    for _ in range(8):
        u = rng.standard_normal(best.size)
        u /= np.linalg.norm(u)
        up, down = f(best + h * u), f(best - h * u)
        assert min(up, down) >= lowest * (1 - 1e-14)
        # the central difference of a smooth function at a minimum: zero up to O(h²)
        assert abs(up - down) / (2 * h) <= 1e-6 * max(1.0, abs(lowest))
    strong = 1.0
    g = objective(name, strong)
    right = g(sklearn_optimum(name, strong))
    for factor in (0.5, 2.0):
        wrong = g(sklearn_optimum(name, strong * factor))
        assert wrong - right > 1e-2 * abs(right), factor


def _fit_default(name):
    X, y = problem(name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fitted = descend_estimator(name).fit(X, y)
    warned = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    return fitted, warned


@pytest.mark.parametrize("name", list(PROBLEMS))
def test_default_fit_reaches_the_optimum_or_says_it_did_not(name):
    """The default fit (only penalty="l2" set, so that the optimum exists) ends within 1e-6 of
    scikit-learn's optimum, relative, or raises a ConvergenceWarning."""
    fitted, warned = _fit_default(name)
    f = objective(name)
    optimum = f(sklearn_optimum(name))
    gap = (f(weights(fitted)) - optimum) / abs(optimum)
    assert gap <= RELATIVE_GAP or warned, (
        f"{type(fitted).__name__} stopped by {fitted.stop_reason_} after {fitted.n_iter_} "
        f"epochs {gap:.3g} above the optimum (relative) without a ConvergenceWarning"
    )
    # and the default, L-BFGS, does reach it: quietly, stopped by its own rule
    assert not warned and gap <= RELATIVE_GAP and fitted.stop_reason_ == "tol"


def significant_digits(estimate: float, certified: float) -> float:
    """NIST's log relative error: how many leading digits of ``certified`` ``estimate`` gets."""
    error = abs(estimate - certified)
    return math.inf if error == 0 else -math.log10(error / abs(certified))


def test_longley_recommended_fit_gets_six_digits_of_every_certified_coefficient():
    data = datasets.longley()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the digits tell the story
        pipe = make_pipeline(StandardScaler(), GDRegressor(**RECOMMENDED)).fit(data.X, data.y)
    scaler, model = pipe[0], pipe[1]
    # back to the raw columns: w_j = v_j / s_j and b = c - Σ_j w_j m_j for z = (x - m) / s
    coef = model.coef_ / scaler.scale_
    intercept = float(model.intercept_[0] - coef @ scaler.mean_)
    got = [significant_digits(e, c) for e, c in zip(coef, data.coef, strict=True)]
    got.insert(0, significant_digits(intercept, data.intercept))
    assert min(got) >= 6, [round(d, 2) for d in got]
