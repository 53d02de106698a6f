"""A fit stopped by tol or patience warns exactly when its training objective is provably far
above the optimum: the figure in the warning is a true lower bound on the gap (checked
against SciPy's L-BFGS-B run to a tight tolerance on descend's own objective), it catches
the default fits on scikit-learn's standardised data sets, and fits that are close stay
quiet."""

import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import minimize as scipy_minimize
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from descend import GDClassifier, GDRegressor, kernels
from descend.estimators.base import GAP_PASSES, GAP_SHARE, GAP_TOLS


def _standardised(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _objective(est, X, y, sample_weight=None):
    """descend's training objective of a fitted estimator, as a SciPy ``fun(theta)``."""
    settings = est._settings()
    targets = est._prepare_targets(y, partial=False)[0]
    w = est._sample_weight(sample_weight, X, targets)

    def fun(theta):
        return kernels.objective_and_grad(
            theta, X, targets, w, model=est._model, loss=settings.loss,
            penalty=settings.penalty,
        )  # fmt: skip

    return fun, (X, targets, w)


def _optimum(fun, start):
    """The objective's lowest value, by L-BFGS-B to a gradient of 1e-10."""
    found = scipy_minimize(
        fun, start, jac=True, method="L-BFGS-B",
        options={"gtol": 1e-10, "ftol": 1e-16, "maxiter": 50_000, "maxfun": 100_000},
    )  # fmt: skip
    return found.fun


def _fit_recording(est, X, y, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y, **kwargs)
    return [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]


def _figures(message):
    """The loss, the value reached and the gap the warning states."""
    loss = float(re.search(r"at a training loss of (\S+),", message).group(1))
    lowest = float(re.search(r"reaches (\S+):", message).group(1))
    gap = float(re.search(r"at least (\S+) above", message).group(1))
    return loss, lowest, gap


@pytest.mark.parametrize("loader", [load_breast_cancer, load_digits], ids=["cancer", "digits"])
@pytest.mark.parametrize("penalty", [None, "l2"])
def test_default_fits_on_standardised_data_warn_with_a_gap_that_holds(loader, penalty):
    # plain full-batch descent at the "auto" rate on the mean log loss with tol = 1e-4 (the
    # default before L-BFGS) levels off far above the optimum on these data (with no penalty
    # the data are separable and the infimum is 0)
    X, y = _standardised(loader)
    clf = GDClassifier(penalty=penalty, optimizer="gd", tol=1e-4)
    messages = _fit_recording(clf, X, y)
    assert clf.stop_reason_ == "tol"
    assert len(messages) == 1 and "slow progress, not convergence" in messages[0]
    loss, lowest, gap = _figures(messages[0])
    fun, _ = _objective(clf, X, y)
    assert loss == pytest.approx(fun(clf._theta)[0], rel=1e-5)
    assert loss == pytest.approx(clf.history_.loss[-1], rel=1e-5)
    optimum = _optimum(fun, clf._theta)
    # the stated gap is a lower bound on the true one, and past the warning's threshold
    assert optimum <= lowest + 1e-9
    assert gap <= loss - optimum + 1e-6
    assert gap > max(GAP_TOLS * clf.tol, GAP_SHARE * loss)
    # and strong enough to say something: at least a third of the true gap
    assert gap >= (loss - optimum) / 3
    assert "optimizer='nesterov'" in messages[0] and "raise max_epochs" in messages[0]
    assert ("add penalty='l2'" in messages[0]) == (penalty is None)


@pytest.mark.parametrize("loader", [load_breast_cancer, load_digits], ids=["cancer", "digits"])
def test_a_fit_started_at_the_optimum_does_not_warn(loader):
    X, y = _standardised(loader)
    first = GDClassifier(penalty="l2", alpha=0.01, max_epochs=1)
    _fit_recording(first, X, y)
    fun, _ = _objective(first, X, y)
    best = scipy_minimize(
        fun, first._theta, jac=True, method="L-BFGS-B", options={"gtol": 1e-10}
    ).x  # fmt: skip
    coef, intercept = first._model.split(best)
    clf = GDClassifier(penalty="l2", alpha=0.01, optimizer="gd", tol=1e-4)
    coef_init = coef.T if coef.ndim == 2 else coef
    assert _fit_recording(clf, X, y, coef_init=coef_init, intercept_init=intercept) == []
    assert clf.stop_reason_ == "tol" and clf.n_iter_ == 1


def test_enough_epochs_do_not_warn():
    X, y = _standardised(load_breast_cancer)
    clf = GDClassifier(penalty="l2", alpha=0.01, tol=1e-8, max_epochs=20_000)
    assert _fit_recording(clf, X, y) == []
    assert clf.stop_reason_ == "tol"
    fun, _ = _objective(clf, X, y)
    f = fun(clf._theta)[0]
    assert f - _optimum(fun, clf._theta) < 1e-4 * f  # really close


def _check_gap_holds(est, X, y, sample_weight=None):
    """The estimator's bound at its fitted coefficients against the true optimum."""
    fun, train = _objective(est, X, y, sample_weight)
    gap = est._proven_gap(est._theta, train, est._model, est._settings())
    assert gap is not None and 2 <= gap.passes <= GAP_PASSES
    assert gap.loss == pytest.approx(fun(est._theta)[0], rel=1e-6)
    assert gap.lowest <= gap.loss
    assert _optimum(fun, est._theta) <= gap.lowest + 1e-9
    return gap


CASES = {
    "binary, sample weights": (GDClassifier, 2, {"max_epochs": 30}, True, False),
    "three classes": (GDClassifier, 3, {"max_epochs": 30}, False, False),
    "three classes, l2, sparse": (
        GDClassifier, 3, {"max_epochs": 30, "penalty": "l2", "alpha": 0.05}, False, True,
    ),
    "squared error, no intercept": (
        GDRegressor, 0, {"max_epochs": 20, "fit_intercept": False}, False, False,
    ),
    "huber, l2, sum, weights, sparse": (
        GDRegressor, 0,
        {"max_epochs": 20, "loss": "huber", "penalty": "l2", "alpha": 0.1, "reduction": "sum",
         "learning_rate": 1e-4},
        True, True,
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_the_bound_holds_across_models_weights_and_sparse_input(case):
    cls, classes, params, weighted, sparse = CASES[case]
    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, 4)) * np.array([1.0, 5.0, 0.2, 2.0])
    if classes:
        y = rng.integers(0, classes, 120)
        X += y[:, None]
    else:
        y = X @ rng.normal(size=4) + rng.normal(size=120)
    w = rng.uniform(0.0, 3.0, 120) if weighted else None
    if sparse:
        X[np.abs(X) < 0.5] = 0.0
        X = sp.csr_matrix(X)
    est = cls(**params, random_state=0)
    _fit_recording(est, X, y, sample_weight=w)
    gap = _check_gap_holds(est, X, y, w)
    assert gap.loss - gap.lowest > 0  # a few epochs leave room the bound finds
    if sparse:  # the same bound from the dense copy, to rounding
        dense = _check_gap_holds(est, X.toarray(), y, w)
        assert dense.lowest == pytest.approx(gap.lowest, rel=1e-6)


def test_no_bound_where_it_does_not_apply():
    X, y = _standardised(load_breast_cancer)
    for params in ({"loss": "hinge"}, {"penalty": "l1"}, {"early_stopping": True}):
        clf = GDClassifier(**params, random_state=0)
        _fit_recording(clf, X, y)
        _, train = _objective(clf, X, y)
        assert clf._proven_gap(clf._theta, train, clf._model, clf._settings()) is None


def test_the_check_costs_at_most_two_passes_per_epoch_plus_two():
    X, y = _standardised(load_breast_cancer)
    clf = GDClassifier(max_epochs=3)
    _fit_recording(clf, X, y)
    _, train = _objective(clf, X, y)
    clf.n_iter_ = 1  # as if tol had fired after one epoch
    assert clf._proven_gap(clf._theta, train, clf._model, clf._settings()).passes <= 4


def test_mini_batch_fits_are_told_about_batch_noise():
    X, y = _standardised(load_breast_cancer)
    clf = GDClassifier(penalty="l2", batch_size=32, random_state=0)
    messages = _fit_recording(clf, X, y)
    assert clf.stop_reason_ == "tol"
    assert len(messages) == 1 and "larger batch_size" in messages[0]
    # Nesterov's "auto" setting accelerates full batches only: no advice to use it here
    assert "optimizer='nesterov'" not in messages[0]


def test_patience_stops_are_checked_too():
    X, y = _standardised(load_breast_cancer)
    clf = GDClassifier(n_iter_no_change=5, optimizer="gd", tol=1e-4)
    messages = _fit_recording(clf, X, y)
    assert clf.stop_reason_ == "n_iter_no_change"
    assert len(messages) == 1 and "stopped by n_iter_no_change" in messages[0]


def test_the_tutorial_experiments_fit_without_a_convergence_warning():
    # the tutorials stop their fits by tol on purpose, with settings whose numbers they show;
    # none of those stops is far enough from its optimum, for its tol, to warn about
    from descend import tutorials

    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reports = tutorials.run()
    assert all(report.ok for report in reports)
