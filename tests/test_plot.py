"""descend.plot: every picture draws headless, and what it draws is the run's own record."""

import subprocess
import sys

import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.collections import PathCollection, QuadMesh
from matplotlib.quiver import Quiver
from PIL import Image

import descend
from descend import GDClassifier, GDRegressor, datasets, functions, plot
from descend.plot._grids import evaluate

# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def t1():
    return descend.minimize(functions.quadratic, 15.0, learning_rate=0.01, xtol=0.001)


@pytest.fixture(scope="module")
def sphere_run():
    return descend.minimize(
        functions.sphere, [-8.0, 5.0], learning_rate=0.05, momentum=0.9, max_iter=5, tol=-1
    )


@pytest.fixture(scope="module")
def line_fit():
    X, y = datasets.regression()
    reg = GDRegressor(learning_rate=0.1, max_epochs=60, tol=None, record_weights=True)
    return reg.fit(X, y), X, y


@pytest.fixture(scope="module")
def blobs_fit():
    X, y = datasets.blobs()
    clf = GDClassifier(loss="log_loss", learning_rate=0.01, max_epochs=100, tol=None,
                       init="uniform", random_state=0, record_weights=True)  # fmt: skip
    return clf.fit(X, y), X, y


def scatter_points(ax):
    return [c.get_offsets() for c in ax.collections if isinstance(c, PathCollection)]


def rendered(fig, tmp_path, name="picture.png"):
    path = tmp_path / name
    fig.savefig(path, dpi=50)
    return Image.open(path)


# ----------------------------------------------------------------------------- curve


def test_curve_places_every_kth_iterate_on_the_curve_and_marks_the_minimum(t1):
    ax = plot.curve(functions.quadratic, t1, every=10)
    iterates, minimum = scatter_points(ax)
    rows = [*range(0, 274, 10), 273]
    np.testing.assert_array_equal(iterates[:, 0], t1.history.x[rows])
    np.testing.assert_allclose(iterates[:, 1], t1.history.f[rows])
    np.testing.assert_allclose(minimum, [[3.0, -4.0]])
    xs = ax.lines[0].get_xdata()
    np.testing.assert_allclose(ax.lines[0].get_ydata(), xs**2 - 6 * xs + 5)
    assert xs.min() <= -11 and xs.max() >= 17  # the function's own range holds the run


def test_curve_of_a_plain_lambda_ranges_over_the_iterates():
    res = descend.minimize(lambda x: (x - 1.0) ** 2, 4.0, learning_rate=0.1, max_iter=20)
    ax = plot.curve(lambda x: (x - 1.0) ** 2, res, minimum=1.0)
    lo, hi = ax.get_xlim()
    assert lo < res.history.x.min() and hi > 4.0


def test_curve_refuses_a_two_variable_run(sphere_run):
    with pytest.raises(ValueError, match="one variable; this run has 2: use plot.contour"):
        plot.curve(functions.sphere, sphere_run)


@pytest.mark.parametrize("every", [0, -3, 1.5, "2"])
def test_curve_rejects_a_bad_stride(t1, every):
    with pytest.raises((ValueError, TypeError), match="every"):
        plot.curve(functions.quadratic, t1, every=every)


# ----------------------------------------------------------------------------- loss


def test_loss_overlays_runs_against_their_own_iterations():
    a = descend.minimize(functions.booth, [0.0, 0.0], learning_rate=0.01, max_iter=50)
    b = descend.minimize(functions.booth, [0.0, 0.0], learning_rate=0.05, max_iter=80)
    ax = plot.loss(a, b, labels=["slow", "fast"], log=True)
    for line, res in zip(ax.lines, (a, b), strict=True):
        np.testing.assert_array_equal(line.get_xdata(), res.history.iteration)
        np.testing.assert_array_equal(line.get_ydata(), res.history.f)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["slow", "fast"]
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "iteration"


def test_loss_of_estimators_is_per_epoch_and_reads_any_column(blobs_fit):
    clf, _, _ = blobs_fit
    ax = plot.loss(clf, metric="sse")
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), np.arange(101))
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), clf.history_.sse)
    assert ax.get_xlabel() == "epoch" and "squared" in ax.get_ylabel()
    ax = plot.loss(clf.history_)  # the history itself works too
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), clf.history_.loss)


def test_loss_with_a_function_of_the_point(t1):
    ax = plot.loss(t1, metric=lambda x: (3 - x) ** 2)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), (3 - t1.history.x) ** 2)


def test_loss_names_the_columns_it_has(t1, blobs_fit):
    with pytest.raises(ValueError, match="no column 'sse'; it has 'f', 'grad_norm'"):
        plot.loss(t1, metric="sse")
    with pytest.raises(ValueError, match="labels has 1 entries for 2 runs"):
        plot.loss(t1, blobs_fit[0], labels=["one"])
    with pytest.raises(ValueError, match="at least one run"):
        plot.loss()
    with pytest.raises(TypeError, match="got str"):
        plot.loss("not a run")


def test_loss_refuses_an_unfitted_estimator_and_a_run_without_history():
    with pytest.raises(ValueError, match="GDRegressor is not fitted yet"):
        plot.loss(GDRegressor())
    res = descend.minimize(lambda x: x**2, 1.0, learning_rate=0.1, max_iter=5, record=False)
    with pytest.raises(ValueError, match="record=True"):
        plot.loss(res)


# ----------------------------------------------------------------------------- contour


def test_contour_path_arrows_minimum_and_annotation_come_from_the_run(sphere_run):
    ax = plot.contour(functions.sphere, sphere_run, bounds=((-10, 10), (-10, 10)))
    path = sphere_run.history.x
    line = ax.lines[0]
    np.testing.assert_array_equal(line.get_xdata(), path[:, 0])
    np.testing.assert_array_equal(line.get_ydata(), path[:, 1])
    (quiver,) = [c for c in ax.collections if isinstance(c, Quiver)]
    np.testing.assert_allclose(quiver.get_offsets(), path[:-1])
    np.testing.assert_allclose(np.c_[quiver.U, quiver.V], np.diff(path, axis=0))
    stars = [o for o in scatter_points(ax) if len(o) == 1 and np.allclose(o, 0)]
    assert stars, "the minimum at the origin is marked"
    (note,) = ax.texts
    assert note.get_text() == f"found: f = {sphere_run.fun:.3g}"
    np.testing.assert_allclose(note.xy, path[-1])
    assert ax.get_xlim() == (-10, 10)


def test_contour_kinds_and_log_scale(sphere_run):
    ax = plot.contour(functions.sphere, sphere_run, kind="image")
    assert any(isinstance(c, QuadMesh) for c in ax.collections)
    res = descend.minimize(functions.rosenbrock, [-1.2, 1.0], learning_rate=0.001, max_iter=200)
    ax = plot.contour(functions.rosenbrock, res, log=True, kind="lines")
    assert "log" in ax.figure.axes[-1].get_ylabel()  # the colour bar says so


def test_contour_draws_several_runs_in_distinct_colours(sphere_run):
    other = descend.minimize(functions.sphere, [6.0, 6.0], learning_rate=0.2, max_iter=5)
    ax = plot.contour(functions.sphere, sphere_run, other, labels=["a", "b"])
    assert ax.lines[0].get_color() != ax.lines[1].get_color()
    assert {"a", "b", "minimum"} == {t.get_text() for t in ax.get_legend().get_texts()}


def test_contour_of_a_single_point_lambda_evaluates_the_grid_correctly():
    fun = lambda w: w[0] ** 2 + 3 * w[1] ** 2  # noqa: E731 - not written for batches
    points = np.random.default_rng(0).normal(size=(7, 9, 2))
    expected = points[..., 0] ** 2 + 3 * points[..., 1] ** 2
    np.testing.assert_allclose(evaluate(fun, points), expected)
    res = descend.minimize(fun, [2.0, 1.0], learning_rate=0.1, max_iter=20)
    ax = plot.contour(fun, res)
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), res.history.x[:, 0])


def test_contour_errors_name_the_problem(sphere_run):
    with pytest.raises(ValueError, match="Invalid kind: 'heat'"):
        plot.contour(functions.sphere, sphere_run, kind="heat")
    three = descend.minimize(functions.sphere, [1.0, 2.0, 3.0], learning_rate=0.1, max_iter=3)
    with pytest.raises(ValueError, match="two variables; run 1 has 3"):
        plot.contour(functions.sphere, three)
    with pytest.raises(ValueError, match="lo < hi"):
        plot.contour(functions.sphere, sphere_run, bounds=((1, -1), (0, 1)))
    with pytest.raises(ValueError, match="Nothing says where to draw"):
        plot.contour(lambda w: w @ w)
    with pytest.raises(ValueError, match="resolution"):
        plot.contour(functions.sphere, resolution=1)


# ----------------------------------------------------------------------------- surface and grid


def test_surface_path_lies_on_the_surface():
    res = descend.minimize(functions.booth, [-8.0, -6.0], learning_rate=0.02, max_iter=40)
    ax = plot.surface(functions.booth, res)
    assert ax.name == "3d"
    xs, ys, zs = ax.lines[0].get_data_3d()
    np.testing.assert_array_equal(np.c_[xs, ys], res.history.x)
    np.testing.assert_allclose(zs, res.history.f)


def test_surface_needs_3d_axes(sphere_run):
    import matplotlib.pyplot as plt

    with pytest.raises(ValueError, match="3-D axes"):
        plot.surface(functions.sphere, sphere_run, ax=plt.figure().add_subplot())


def test_grid_is_one_panel_per_pair_each_with_its_own_run():
    w0 = np.random.RandomState(19).uniform(-10, 10, 2)
    rates, moms = (0.05, 0.2, 0.5, 0.8), (0.0, 0.5, 0.9)
    fig = plot.grid(functions.sphere, w0, rates, moms, 5, bounds=((-10, 10), (-10, 10)))
    assert len(fig.axes) == 12
    for k, (lr, m) in enumerate((lr, m) for lr in rates for m in moms):
        ax = fig.axes[k]
        assert ax.get_title() == f"η = {lr:g}, α = {m:g}"
        res = descend.minimize(functions.sphere, w0, learning_rate=lr, momentum=m, max_iter=5,
                               tol=-1)  # fmt: skip
        np.testing.assert_array_equal(ax.lines[0].get_xdata(), res.history.x[:, 0])
        np.testing.assert_array_equal(ax.lines[0].get_ydata(), res.history.x[:, 1])
        assert len(ax.lines[0].get_xdata()) == 6


def test_grid_of_a_one_variable_function_is_curves_with_iterates():
    fig = plot.grid(functions.quadratic, 15.0, [0.01, 0.1], [0.0, 0.9], 20, optimizer="nesterov")
    assert [ax.get_title() for ax in fig.axes] == [
        "η = 0.01, α = 0", "η = 0.01, α = 0.9", "η = 0.1, α = 0", "η = 0.1, α = 0.9"
    ]  # fmt: skip
    res = descend.minimize(functions.quadratic, 15.0, learning_rate=0.1, momentum=0.9,
                           optimizer="nesterov", max_iter=20, tol=-1)  # fmt: skip
    np.testing.assert_array_equal(scatter_points(fig.axes[3])[0][:, 0], res.history.x)


def test_grid_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"one or two variables; x0 = \[3, 4, 5\] has 3"):
        plot.grid(functions.sphere, [3, 4, 5], [0.1], [0.0], 5)
    with pytest.raises(ValueError, match="learning_rates is empty"):
        plot.grid(functions.sphere, [1.0, 1.0], [], [0.0], 5)
    with pytest.raises(ValueError, match="n_iter"):
        plot.grid(functions.sphere, [1.0, 1.0], [0.1], [0.0], 0)
    with pytest.raises(ValueError, match="Invalid learning rate"):
        plot.grid(functions.sphere, [1.0, 1.0], [-0.1], [0.0], 3)


# ----------------------------------------------------------------------------- fitted models


def test_parameter_path_is_intercept_then_slope_per_epoch(line_fit):
    reg, X, y = line_fit
    ax = plot.parameter_path(reg, reference=(1.49, 63.42))
    line = ax.lines[0]
    np.testing.assert_array_equal(line.get_xdata(), reg.history_.intercept[:, 0])
    np.testing.assert_array_equal(line.get_ydata(), reg.history_.coef[:, 0])
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("intercept", "slope")
    ax = plot.parameter_path(reg, fun=plot.cost_function(reg, X, y))
    assert ax.collections  # contour lines under the path


def test_parameter_path_needs_recorded_weights():
    X, y = datasets.regression()
    reg = GDRegressor(max_epochs=5, tol=None).fit(X, y)
    with pytest.raises(ValueError, match="record_weights=True"):
        plot.parameter_path(reg)


def test_parameter_path_of_one_variable_is_against_iteration(t1):
    ax = plot.parameter_path(t1)
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), t1.history.x)
    assert ax.get_xlabel() == "iteration"


@pytest.mark.parametrize(
    "make",
    [
        lambda: (GDRegressor(learning_rate=0.1, max_epochs=15, tol=None, penalty="l2",
                             alpha=0.1, record_weights=True), datasets.regression()),
        lambda: (GDClassifier(loss="log_loss", max_epochs=15, tol=None, penalty="elasticnet",
                              alpha=0.01, record_weights=True), datasets.blobs()),
        lambda: (GDClassifier(loss="log_loss", max_epochs=15, tol=None, record_weights=True),
                 _three_classes()),
        lambda: (GDRegressor(fit_intercept=False, reduction="sum", learning_rate=0.001,
                             max_epochs=15, tol=None, record_weights=True),
                 datasets.dummy_trap()),
    ],
    ids=["regressor-l2", "binary-elasticnet", "three-classes", "no-intercept"],
)  # fmt: skip
def test_cost_function_is_the_recorded_loss_at_every_epoch(make):
    est, (X, y) = make()
    est.fit(X, y)
    cost = plot.cost_function(est, X, y)
    path, _ = plot._records.trace(est).path()
    np.testing.assert_allclose(cost(path), est.history_.loss, rtol=1e-10)
    assert isinstance(cost(path[0]), float)
    with pytest.raises(ValueError, match=f"theta must have {path.shape[1]} entries"):
        cost(np.zeros(path.shape[1] + 1))


def _three_classes():
    from sklearn.datasets import make_blobs

    return make_blobs(n_samples=90, centers=3, random_state=1)


def test_decision_boundary_scatters_each_class_and_draws_the_zero_line(blobs_fit):
    clf, X, y = blobs_fit
    ax = plot.decision_boundary(clf, X, y)
    points = scatter_points(ax)
    np.testing.assert_array_equal(points[0], X[y == 0])
    np.testing.assert_array_equal(points[1], X[y == 1])
    (boundary,) = [c for c in ax.collections if getattr(c, "levels", None) is not None
                   and list(c.levels) == [0.0]]  # fmt: skip
    vertices = np.vstack([p.vertices for p in boundary.get_paths()])
    assert len(vertices) > 2
    w, b = clf.coef_[0], clf.intercept_[0]
    # on the line w·x + b = 0, up to the grid's resolution
    step = np.ptp(X, axis=0).max() / 100
    assert np.max(np.abs(vertices @ w + b)) <= np.linalg.norm(w) * step


def test_decision_boundary_for_three_classes_and_errors():
    X, y = _three_classes()
    clf = GDClassifier(loss="log_loss", max_epochs=30, tol=None).fit(X, y)
    ax = plot.decision_boundary(clf, X, y)
    assert len(scatter_points(ax)) == 3
    with pytest.raises(ValueError, match="two features; X has shape"):
        plot.decision_boundary(clf, np.c_[X, X[:, :1]], y)


def test_fit_line_draws_the_model_and_least_squares(line_fit):
    reg, X, y = line_fit
    ax = plot.fit_line(reg, X, y, reference=True)
    model, reference = ax.lines
    xs = model.get_xdata()
    np.testing.assert_allclose(model.get_ydata(), reg.predict(xs[:, None]))
    exact = datasets.least_squares(X, y, fit_intercept=True)
    np.testing.assert_allclose(reference.get_ydata(), exact.intercept + exact.coef[0] * xs)
    assert reference.get_label() == "least squares: y = 1.49 + 63.42·x"
    np.testing.assert_array_equal(scatter_points(ax)[0], np.c_[X[:, 0], y])
    with pytest.raises(ValueError, match="one feature"):
        plot.fit_line(reg, np.c_[X, X], y)
    with pytest.raises(ValueError, match="reference must be"):
        plot.fit_line(reg, X, y, reference="lstsq")


def test_images_show_the_rows_reshaped():
    X_train, _, y_train, _ = datasets.digits01()
    fig = plot.images(X_train, labels=y_train, n=10)
    assert len(fig.axes) == 10
    for k, ax in enumerate(fig.axes):
        np.testing.assert_array_equal(ax.images[0].get_array(), X_train[k].reshape(8, 8))
        assert ax.get_title() == str(y_train[k])
    with pytest.raises(ValueError, match="A row of X has 64 values; shape"):
        plot.images(X_train, shape=(8, 7))
    with pytest.raises(ValueError, match="only 288 rows"):
        plot.images(X_train, n=1000)


def test_predictions_rows_and_scatter():
    X, y = datasets.dummy_trap()
    reg = GDRegressor(fit_intercept=False, reduction="sum", learning_rate=0.001,
                      max_epochs=1000, tol=None, init="normal", random_state=0)  # fmt: skip
    reg.fit(X, y)
    ax = plot.predictions(reg, X, y)
    target, predicted = scatter_points(ax)
    np.testing.assert_array_equal(target[:, 1], y)
    np.testing.assert_allclose(predicted[:, 1], reg.predict(X))
    ax = plot.predictions(reg, X, y, kind="scatter")
    np.testing.assert_allclose(scatter_points(ax)[0], np.c_[y, reg.predict(X)])
    with pytest.raises(ValueError, match="Invalid kind"):
        plot.predictions(reg, X, y, kind="bars")


# ----------------------------------------------------------------------------- rendering


def _every_picture(t1, sphere_run, line_fit, blobs_fit):
    reg, Xr, yr = line_fit
    clf, Xb, yb = blobs_fit
    X_digits = datasets.digits01()[0]
    return {
        "curve": lambda: plot.curve(functions.quadratic, t1, every=10),
        "loss": lambda: plot.loss(sphere_run, log=True),
        "contour": lambda: plot.contour(functions.sphere, sphere_run),
        "surface": lambda: plot.surface(functions.sphere, sphere_run),
        "grid": lambda: plot.grid(functions.sphere, [-8.0, 5.0], [0.1, 0.5], [0.0, 0.9], 5),
        "parameter_path": lambda: plot.parameter_path(reg),
        "decision_boundary": lambda: plot.decision_boundary(clf, Xb, yb),
        "fit_line": lambda: plot.fit_line(reg, Xr, yr, reference=True),
        "images": lambda: plot.images(X_digits),
        "predictions": lambda: plot.predictions(reg, Xr, yr),
    }


def test_every_picture_renders_a_png_of_its_size_that_is_not_blank(
    t1, sphere_run, line_fit, blobs_fit, tmp_path
):
    for name, draw in _every_picture(t1, sphere_run, line_fit, blobs_fit).items():
        drawn = draw()
        fig = getattr(drawn, "figure", drawn)
        image = rendered(fig, tmp_path, f"{name}.png")
        assert image.format == "PNG"
        width, height = fig.get_size_inches() * 50
        assert image.size == (round(width), round(height)), name
        assert np.asarray(image.convert("L"), dtype=float).std() > 10, name


def test_drawing_on_a_given_axes_returns_it(t1):
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2)
    assert plot.curve(functions.quadratic, t1, ax=left) is left
    assert plot.loss(t1, ax=right) is right
    assert len(fig.axes) == 2


def test_the_style_stays_inside_descend_pictures(t1):
    before = dict(mpl.rcParams)
    plot.loss(t1)
    assert dict(mpl.rcParams) == before


def test_importing_descend_does_not_import_matplotlib():
    code = "import sys, descend; print('matplotlib' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr
    code = "import sys, descend; descend.plot; print('matplotlib' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "True", done.stderr


# ----------------------------------------------------------------------------- other inputs


def test_sparse_and_pandas_inputs_draw_like_arrays(line_fit, blobs_fit, recwarn):
    import pandas as pd
    import scipy.sparse as sp

    reg, X, y = line_fit
    dense = plot.fit_line(reg, X, y).lines[0].get_ydata()
    np.testing.assert_array_equal(plot.fit_line(reg, sp.csr_matrix(X), y).lines[0].get_ydata(),
                                  dense)  # fmt: skip
    clf, Xb, yb = blobs_fit
    plot.decision_boundary(clf, sp.csr_matrix(Xb), yb)
    frame = pd.DataFrame(Xb, columns=["width", "height"])
    named = GDClassifier(loss="log_loss", max_epochs=20, tol=None).fit(frame, yb)
    plot.decision_boundary(named, frame, pd.Series(yb))
    assert not [w for w in recwarn if "feature names" in str(w.message)]


def test_string_class_labels():
    X, y = datasets.blobs()
    names = np.where(y == 1, "spam", "ham")
    clf = GDClassifier(loss="log_loss", max_epochs=20, tol=None).fit(X, names)
    ax = plot.decision_boundary(clf, X, names)
    assert {"class ham", "class spam"} <= {t.get_text() for t in ax.get_legend().get_texts()}


def test_more_than_one_output_is_refused_clearly():
    from sklearn.datasets import make_regression
    from sklearn.linear_model import LinearRegression

    X, Y = make_regression(n_samples=40, n_features=1, n_targets=2, random_state=0)
    reg = LinearRegression().fit(X, Y)  # any scikit-learn regressor draws
    with pytest.raises(ValueError, match=r"one output; the estimator predicts shape \(40, 2\)"):
        plot.predictions(reg, X, Y)
    with pytest.raises(ValueError, match="one output; the regressor predicts shape"):
        plot.fit_line(reg, X, Y[:, 0])
    with pytest.raises(ValueError, match=r"y has shape \(40, 2\)"):
        plot.fit_line(reg, X, Y)


def test_estimators_without_a_history_are_named():
    from sklearn.linear_model import LinearRegression

    X, y = datasets.regression()
    with pytest.raises(ValueError, match=r"LinearRegression is fitted but keeps no history_.*"
                       r"pipe\[-1\]"):  # fmt: skip
        plot.loss(LinearRegression().fit(X, y))
    with pytest.raises(ValueError, match="LinearRegression is not fitted yet"):
        plot.loss(LinearRegression())


def test_bad_reference_and_labels_leave_no_figure_behind(line_fit):
    import matplotlib.pyplot as plt

    reg, X, y = line_fit
    plt.close("all")
    with pytest.raises(ValueError, match="reference has 3 coordinates; the path has 2"):
        plot.parameter_path(reg, fun=plot.cost_function(reg, X, y), reference=(1, 2, 3))
    assert plt.get_fignums() == []
    with pytest.raises(ValueError, match="labels must hold one title per image"):
        plot.images(datasets.digits01()[0], labels=3)
    with pytest.raises(ValueError, match="X has no rows"):
        plot.fit_line(reg, np.empty((0, 1)), np.empty(0))
