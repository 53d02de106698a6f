"""What fitted models do with data: :func:`decision_boundary`, :func:`fit_line`,
:func:`predictions`, and the data itself: :func:`images`."""

from __future__ import annotations

import numpy as np

from descend.plot import _style
from descend.plot._grids import check_resolution

__all__ = ["decision_boundary", "fit_line", "images", "predictions"]


@_style.styled
def decision_boundary(classifier, X, y, *, ax=None, resolution=200, regions=True):
    """Draw two-feature data coloured by class with a fitted classifier's decision boundary.

    For two classes the boundary is the line (or curve) where ``decision_function`` is zero;
    for more, the borders between the predicted classes. ``regions=True`` shades each
    predicted class lightly.

    Parameters
    ----------
    classifier : fitted classifier
        Any scikit-learn classifier with ``predict`` (``decision_function`` is used when it
        has one); a descend :class:`~descend.GDClassifier` for the tutorials.
    X : array_like of shape (n, 2)
    y : array_like of shape (n,)
    ax : matplotlib.axes.Axes, optional
    resolution : int
        Grid points along each axis where the classifier is evaluated.
    regions : bool
        Shade the predicted classes.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from descend import GDClassifier, datasets, plot
    >>> X, y = datasets.blobs()
    >>> clf = GDClassifier(loss="log_loss", penalty="l2", alpha=0.01).fit(X, y)
    >>> ax = plot.decision_boundary(clf, X, y)
    >>> ax.get_xlabel()
    'x₁'
    """
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(classifier)
    X, y = _two_features(X, y, "decision_boundary")
    resolution = check_resolution(resolution)
    ax = _style.new_axes(ax)
    classes = np.asarray(classifier.classes_)
    X1, X2, points = _data_mesh(X, resolution)
    flat = points.reshape(-1, 2)
    grid = model_input(classifier, flat)
    predicted = np.searchsorted(classes, classifier.predict(grid)).reshape(X1.shape)
    if regions:
        colors = [_style.color(k) for k in range(len(classes))]
        from matplotlib.colors import ListedColormap

        ax.contourf(X1, X2, predicted, levels=np.arange(len(classes) + 1) - 0.5,
                    cmap=ListedColormap(colors), alpha=0.12)  # fmt: skip
    if len(classes) == 2 and hasattr(classifier, "decision_function"):
        score = np.asarray(classifier.decision_function(grid), dtype=float).reshape(X1.shape)
        ax.contour(X1, X2, score, levels=[0.0], colors="black", linewidths=1.8)
    else:
        ax.contour(X1, X2, predicted, levels=np.arange(len(classes) - 1) + 0.5,
                   colors="black", linewidths=1.4)  # fmt: skip
    scatter_classes(ax, X, y, classes)
    ax.plot([], [], color="black", lw=1.8, label="decision boundary")
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    ax.set_xlim(X1[0, 0], X1[0, -1])
    ax.set_ylim(X2[0, 0], X2[-1, 0])
    ax.grid(False)
    _style.legend(ax)
    return ax


@_style.styled
def fit_line(regressor, X, y, *, reference=None, ax=None, resolution=200):
    """Draw one-feature data with a fitted regressor's line and, optionally, a reference.

    Parameters
    ----------
    regressor : fitted regressor
        Any scikit-learn regressor with ``predict``.
    X : array_like of shape (n, 1)
    y : array_like of shape (n,)
    reference : True, (intercept, slope), a fitted regressor or a least-squares solution
        A second line to compare with: ``True`` computes the least-squares line of the data
        (:func:`descend.datasets.least_squares`); an object with ``predict`` or with
        ``coef``/``intercept`` is drawn as it is.
    ax : matplotlib.axes.Axes, optional
    resolution : int
        Points along the fitted curve (a non-linear regressor draws as a curve).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from descend import GDRegressor, datasets, plot
    >>> X, y = datasets.regression()
    >>> reg = GDRegressor(learning_rate=0.1).fit(X, y)
    >>> ax = plot.fit_line(reg, X, y, reference=True)
    >>> [line.get_label().split(":")[0] for line in ax.lines]
    ['gradient descent', 'least squares']
    """
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(regressor)
    X, y = _one_feature(X, y)
    resolution = check_resolution(resolution)
    ax = _style.new_axes(ax)
    ax.scatter(X[:, 0], y, s=16, color=_style.color(5), alpha=0.8, label="data")
    xs = np.linspace(X[:, 0].min(), X[:, 0].max(), resolution)
    fitted = np.asarray(regressor.predict(model_input(regressor, xs[:, None])), dtype=float)
    if fitted.ndim != 1:
        raise ValueError(f"fit_line draws one output; the regressor predicts shape {fitted.shape}")
    ax.plot(xs, fitted, color=_style.PATH, lw=2, label=_line_label("gradient descent",
            regressor))  # fmt: skip
    if reference is not None and reference is not False:
        ref_y, label = _reference_line(reference, X, y, xs)
        ax.plot(xs, ref_y, color="#333333", lw=1.5, ls="--", label=label)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    _style.legend(ax)
    return ax


@_style.styled
def images(X, shape=(8, 8), n=10, *, labels=None, ncols=5):
    """Draw the first ``n`` rows of ``X`` as greyscale images (T6's digits).

    Parameters
    ----------
    X : array_like of shape (rows, h·w)
    shape : (int, int)
        The image's height and width; their product must be X's number of columns.
    n : int
        How many rows to draw.
    labels : array_like, optional
        A title for each image (such as its class).
    ncols : int
        Images per row of the figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from descend import datasets, plot
    >>> X, _, y, _ = datasets.digits()
    >>> fig = plot.images(X, labels=y)
    >>> len(fig.axes), fig.axes[0].get_title() == str(y[0])
    (10, True)
    """
    import matplotlib.pyplot as plt

    from descend._validation import check_count

    X = np.asarray(X.toarray() if hasattr(X, "toarray") else X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (one image per row), got shape {X.shape}")
    try:
        h, w = (int(v) for v in shape)
    except (TypeError, ValueError):
        raise ValueError(f"shape must be (height, width), got {shape!r}") from None
    if h < 1 or w < 1 or h * w != X.shape[1]:
        raise ValueError(f"A row of X has {X.shape[1]} values; shape {tuple(shape)} holds {h * w}")
    n = check_count(n, "n", minimum=1)
    if n > len(X):
        raise ValueError(f"n = {n} images asked for, but X has only {len(X)} rows")
    ncols = min(check_count(ncols, "ncols", minimum=1), n)
    nrows = -(-n // ncols)
    if labels is not None:
        labels = np.asarray(labels)
        if labels.ndim != 1 or len(labels) < n:
            raise ValueError(f"labels must hold one title per image ({n}), got {labels!r}")
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.3 * ncols, 1.45 * nrows),
                             squeeze=False, layout="constrained")  # fmt: skip
    for k, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if k < n:
            ax.imshow(X[k].reshape(h, w), cmap="gray_r", interpolation="nearest")
            if labels is not None:
                ax.set_title(str(labels[k]))
    for ax in list(axes.flat)[n:]:
        fig.delaxes(ax)
    return fig


@_style.styled
def predictions(estimator, X, y, *, ax=None, kind=None):
    """Draw a fitted estimator's predictions against the targets (T7).

    Parameters
    ----------
    estimator : fitted regressor
    X, y : array_like
    ax : matplotlib.axes.Axes, optional
    kind : {"rows", "scatter"}, optional
        ``"rows"`` puts each row's target (hollow) and prediction (filled) side by side,
        which reads best for a few rows; ``"scatter"`` plots prediction against target with
        the line of perfect prediction. By default rows for up to 50 rows.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from descend import GDRegressor, datasets, plot
    >>> X, y = datasets.dummy_trap()
    >>> reg = GDRegressor(fit_intercept=False, max_epochs=500).fit(X, y)
    >>> ax = plot.predictions(reg, X, y)
    >>> ax.get_xlabel()
    'row'
    """
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(estimator)
    predicted = np.asarray(estimator.predict(X), dtype=float)
    if predicted.ndim != 1:
        raise ValueError(
            f"predictions draws one output; the estimator predicts shape {predicted.shape}"
        )
    y = _targets(y, len(predicted), "predictions").astype(float)
    if kind is None:
        kind = "rows" if len(y) <= 50 else "scatter"
    if kind not in ("rows", "scatter"):
        raise ValueError(f"Invalid kind: {kind!r}; choose 'rows' or 'scatter'")
    ax = _style.new_axes(ax)
    if kind == "rows":
        rows = np.arange(len(y))
        ax.scatter(rows, y, s=70, facecolors="none", edgecolors="#333333", lw=1.4,
                   label="target")  # fmt: skip
        ax.scatter(rows, predicted, s=22, color=_style.PATH, zorder=3, label="prediction")
        ax.set_xlabel("row")
        ax.set_ylabel("value")
        ax.set_xticks(rows if len(rows) <= 20 else ax.get_xticks())
    else:
        ax.scatter(y, predicted, s=14, color=_style.PATH, alpha=0.8, label="rows")
        lo, hi = float(min(y.min(), predicted.min())), float(max(y.max(), predicted.max()))
        ax.plot([lo, hi], [lo, hi], color="#333333", ls="--", lw=1.2, label="prediction = target")
        ax.set_xlabel("target")
        ax.set_ylabel("prediction")
    worst = float(np.max(np.abs(predicted - y)))
    ax.set_title(f"largest |prediction − target| = {worst:.3g}")
    _style.legend(ax)
    return ax


# ---------------------------------------------------------------------------- shared parts


def scatter_classes(ax, X, y, classes):
    """The data points, one colour and marker shape per class."""
    for k, label in enumerate(classes):
        rows = y == label
        ax.scatter(X[rows, 0], X[rows, 1], s=22, color=_style.color(k),
                   marker=_style.MARKERS[k % len(_style.MARKERS)], edgecolors="white",
                   linewidths=0.4, label=f"class {label}", zorder=3)  # fmt: skip


def _data_mesh(X, resolution, margin=0.08):
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = np.maximum((hi - lo) * margin, 1e-9)
    x1 = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    x2 = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    X1, X2 = np.meshgrid(x1, x2)
    return X1, X2, np.stack([X1, X2], axis=-1)


def _dense(X, what):
    """X as a float array (sparse and pandas inputs included), with at least one row."""
    if hasattr(X, "toarray"):  # a SciPy sparse matrix: one or two columns, cheap to densify
        X = X.toarray()
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    if len(X) == 0:
        raise ValueError(f"{what} needs data: X has no rows")
    return X


def _targets(y, n, what):
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(
            f"{what} draws one target per row; y has shape {y.shape}: draw one output at a time"
        )
    if len(y) != n:
        raise ValueError(f"X has {n} rows but y has {len(y)}")
    return y


def _two_features(X, y, what):
    X = _dense(X, what)
    if X.shape[1] != 2:
        raise ValueError(
            f"{what} draws two features; X has shape {X.shape}: pick two columns (or project "
            "the data) first"
        )
    return X, _targets(y, len(X), what)


def _one_feature(X, y, what="fit_line"):
    X = _dense(X, what)
    if X.shape[1] != 1:
        raise ValueError(f"{what} draws one feature; X has shape {X.shape}")
    return X, _targets(y, len(X), what).astype(float)


def model_input(estimator, points):
    """Points to predict on, as a DataFrame with the estimator's column names when it was
    fitted on one (so scikit-learn does not warn about missing feature names)."""
    names = getattr(estimator, "feature_names_in_", None)
    if names is None:
        return points
    import pandas as pd

    return pd.DataFrame(points, columns=names)


def _line_label(name, model):
    coef, intercept = getattr(model, "coef_", None), getattr(model, "intercept_", None)
    if coef is None or np.size(coef) != 1:
        return name
    b = float(np.asarray(intercept).reshape(-1)[0]) if intercept is not None else 0.0
    return f"{name}: y = {b:.2f} + {float(np.asarray(coef).reshape(-1)[0]):.2f}·x"


def _reference_line(reference, X, y, xs):
    if reference is True:
        from descend.datasets import least_squares

        reference = least_squares(X, y, fit_intercept=True)
    if hasattr(reference, "predict"):
        grid = model_input(reference, xs[:, None])
        return np.asarray(reference.predict(grid), float).reshape(-1), _line_label(
            "reference", reference
        )
    if hasattr(reference, "coef") and hasattr(reference, "intercept"):
        b = float(np.asarray(reference.intercept).reshape(-1)[0])
        w = float(np.asarray(reference.coef).reshape(-1)[0])
    else:
        try:
            b, w = (float(v) for v in reference)
        except (TypeError, ValueError):
            raise ValueError(
                "reference must be True, (intercept, slope), a fitted regressor or a "
                f"least-squares solution, got {reference!r}"
            ) from None
    return b + w * xs, f"least squares: y = {b:.2f} + {w:.2f}·x"
