"""descend.sweep: every run of a vectorised sweep is its own minimize call."""

import itertools
import warnings

import numpy as np
import pytest

import descend
from descend import functions
from descend.formula import parse


def _same_as_minimize(table, fun, x0, optimizer, n_iter, **rules):
    assert len(table) == len(table.settings)
    for run in table:
        settings = dict(run.settings)
        lr = settings.pop("learning_rate")
        kwargs = {}
        if "momentum" in settings:
            kwargs["momentum"] = settings.pop("momentum")
        if settings:  # optimizer hyper-parameters: build the object as sweep would
            from descend.sweeps import _optimizer

            opt = _optimizer(optimizer, run.settings)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", descend.DivergenceWarning)
                res = descend.minimize(fun, x0, optimizer=opt, max_iter=n_iter, **rules)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", descend.DivergenceWarning)
                res = descend.minimize(
                    fun,
                    x0,
                    optimizer=optimizer,
                    learning_rate=lr,
                    max_iter=n_iter,
                    **rules,
                    **kwargs,
                )
        assert (run.nit, run.reason) == (res.nit, res.reason), run.settings
        np.testing.assert_allclose(run.x, res.x, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(run.fun, res.fun, rtol=1e-10, atol=1e-12)
        if run.path is not None:
            np.testing.assert_allclose(run.path, res.history.x, rtol=1e-10, atol=1e-12)
            full = run.result()
            np.testing.assert_allclose(full.history.f, res.history.f, rtol=1e-12)
            assert full.message == res.message


@pytest.mark.parametrize(
    ("optimizer", "lists"),
    [
        ("gd", {"learning_rate": [0.0005, 0.001, 0.002], "momentum": [0.0, 0.5, 0.9]}),
        ("momentum", {"learning_rate": [0.0005, 0.002], "momentum": [0.3, 0.9]}),
        ("nesterov", {"learning_rate": [0.0005, 0.002], "momentum": [0.0, 0.9]}),
        (
            "nesterov",
            {"learning_rate": [0.0005, 0.002], "momentum": ["sequence"], "restart": ["gradient"]},
        ),
        (
            "nesterov",
            {"learning_rate": [0.0005, 0.002], "momentum": [0.5], "restart": ["gradient"]},
        ),
        ("adam", {"learning_rate": [0.01, 0.05], "beta1": [0.8, 0.9], "beta2": [0.99, 0.999]}),
        ("adamw", {"learning_rate": [0.01, 0.05], "weight_decay": [0.0, 0.01]}),
        ("rmsprop", {"learning_rate": [0.001, 0.01], "momentum": [0.0, 0.5]}),
        ("adagrad", {"learning_rate": [0.1, 0.5], "lr_decay": [0.0, 0.01]}),
    ],
)
def test_each_vectorised_run_is_its_own_minimize_call(optimizer, lists):
    table = descend.sweep(functions.rosenbrock, [-1.2, 1.0], optimizer=optimizer, n_iter=300,
                          **lists)  # fmt: skip
    assert table.vectorised
    assert len(table) == np.prod([len(v) for v in lists.values()])
    _same_as_minimize(table, functions.rosenbrock, [-1.2, 1.0], optimizer, 300)


def test_settings_that_are_not_numbers_sweep_one_run_at_a_time():
    lists = {"learning_rate": [0.0002, 0.0005], "momentum": [0.9, "sequence"],
             "restart": [None, "gradient"]}  # fmt: skip
    table = descend.sweep(functions.rosenbrock, [-1.2, 1.0], optimizer="nesterov", n_iter=300,
                          **lists)  # fmt: skip
    assert not table.vectorised and len(table) == 8
    _same_as_minimize(table, functions.rosenbrock, [-1.2, 1.0], "nesterov", 300)


def test_runs_stop_on_their_own_rules_and_the_others_go_on():
    # Booth: small rates stop on gtol late, big ones diverge early, tol / xtol in between.
    rules = {"tol": 1e-12, "xtol": 1e-9, "gtol": 1e-6}
    with pytest.warns(descend.DivergenceWarning, match="3 of 8 runs"):
        table = descend.sweep(functions.booth, [0.0, 0.0],
                              learning_rate=[0.01, 0.05, 0.12, 0.3], momentum=[0.0, 0.9],
                              n_iter=2000, **rules)  # fmt: skip
    reasons = set(table.reason)
    assert "diverged" in reasons and reasons - {"diverged", "max_iter"}
    _same_as_minimize(table, functions.booth, [0.0, 0.0], "gd", 2000, **rules)
    assert table.best.reason != "diverged"
    # a stopped run is frozen: its path repeats its last point
    stopped = int(np.argmin(table.nit))
    assert np.all(table.path[table.nit[stopped] :, stopped] == table.x[stopped])


def test_target_and_a_start_given_as_a_float():
    table = descend.sweep(functions.quadratic, 15.0, learning_rate=[0.01, 0.1, 0.5],
                          momentum=[0.0, 0.5], n_iter=500, target=-3.99)  # fmt: skip
    assert table.vectorised and table.x.shape == (6,) and table.path.shape == (501, 6)
    _same_as_minimize(table, functions.quadratic, 15.0, "gd", 500, target=-3.99)
    assert isinstance(table[0].x, float)


def test_a_formula_is_swept_as_one_batch():
    f = parse("(x-1)^2 + 10*y^2").objective()
    table = descend.sweep(f, [-3.0, 2.0], learning_rate=[0.01, 0.05], momentum=[0.0, 0.9],
                          n_iter=100)  # fmt: skip
    assert table.vectorised
    _same_as_minimize(table, f, [-3.0, 2.0], "gd", 100)


def test_a_plain_function_falls_back_to_one_run_at_a_time():
    calls = []

    def f(x):
        calls.append(np.shape(x))
        return float((x[0] - 1.0) ** 2 + 10.0 * x[1] ** 2)

    def g(x):
        return np.array([2.0 * (x[0] - 1.0), 20.0 * x[1]])

    table = descend.sweep(f, [-3.0, 2.0], grad=g, learning_rate=[0.01, 0.05],
                          momentum=[0.0, 0.9], n_iter=50)  # fmt: skip
    assert not table.vectorised
    assert set(calls) == {(2,)}  # never a batch
    for run in table:
        res = descend.minimize(f, [-3.0, 2.0], grad=g, max_iter=50, **run.settings)
        assert run.nit == res.nit and run.reason == res.reason
        np.testing.assert_array_equal(run.x, res.x)

    # the same function declared batched-capable goes vectorised
    def fb(x):
        return (x[..., 0] - 1.0) ** 2 + 10.0 * x[..., 1] ** 2

    def gb(x):
        return np.stack([2.0 * (x[..., 0] - 1.0), 20.0 * x[..., 1]], axis=-1)

    fb.batched = True
    vec = descend.sweep(fb, [-3.0, 2.0], grad=gb, learning_rate=[0.01, 0.05],
                        momentum=[0.0, 0.9], n_iter=50)  # fmt: skip
    assert vec.vectorised
    np.testing.assert_allclose(vec.x, table.x, rtol=1e-12)
    assert descend.sweep(fb, [-3.0, 2.0], grad=gb, batched=False, n_iter=5).vectorised is False


def test_the_table():
    with pytest.warns(descend.DivergenceWarning, match="1 of 6 runs"):
        table = descend.sweep(functions.sphere, [-8.0, 5.0], learning_rate=[0.05, 0.5, 1.5],
                              momentum=[0.0, 0.9], n_iter=40)  # fmt: skip
    assert len(table) == 6 and len(list(table)) == 6
    assert table.names == ("learning_rate", "momentum")
    assert [r["learning_rate"] for r in table.rows()] == [0.05, 0.05, 0.5, 0.5, 1.5, 1.5]
    cols = table.to_dict()
    assert set(cols) == {"learning_rate", "momentum", "x", "fun", "nit", "reason", "success"}
    best = table.best
    assert best.settings == {"learning_rate": 0.5, "momentum": 0.0} and best.fun == 0.0
    assert table[-1].index == 5
    with pytest.raises(IndexError, match="6 runs"):
        table[6]
    assert "6 runs" in repr(table)
    # no paths kept on request
    bare = descend.sweep(functions.sphere, [1.0, 1.0], learning_rate=[0.1], n_iter=3,
                         record_path=False)  # fmt: skip
    assert bare.path is None and bare[0].path is None
    with pytest.raises(ValueError, match="record_path"):
        bare[0].result()


def test_a_sweep_where_runs_diverge_warns_once():
    with pytest.warns(descend.DivergenceWarning, match="1 of 4 runs"):
        table = descend.sweep(functions.sphere, [3.0, 4.0], learning_rate=[0.1, 1.5],
                              momentum=[0.0, 0.5], n_iter=200)  # fmt: skip
    assert table.reason.count("diverged") == 1


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"learning_rate": [0.1, -0.2]}, ValueError, r"Invalid learning rate: -0\.2"),
        ({"learning_rate": []}, ValueError, r"Invalid learning_rate: \[\]"),
        ({"momentum": [0.5, 1.5]}, ValueError, r"Invalid momentum: 1\.5"),
        ({"optimizer": "adam", "beta1": [1.2]}, ValueError, r"Invalid beta1: 1\.2"),
        ({"optimizer": "adam", "momentum": [0.9]}, ValueError, r"Invalid momentum: 0\.9"),
        ({"gamma": [0.1]}, ValueError, r"Invalid setting: gamma"),
        ({"optimizer": "sgd2"}, ValueError, r"Unknown optimizer: 'sgd2'"),
        ({"n_iter": -1}, ValueError, r"Invalid n_iter: -1"),
        ({"record_path": "yes"}, TypeError, r"Invalid record_path: 'yes'"),
        ({"tol": "small"}, TypeError, r"Invalid tol: 'small'"),
    ],
)
def test_bad_arguments_are_refused_naming_the_value(kwargs, error, match):
    with pytest.raises(error, match=match):
        descend.sweep(functions.sphere, [1.0, 1.0], **kwargs)


def test_a_batched_function_of_the_wrong_shape_is_explained():
    def f(x):
        return float(np.sum(x**2))

    f.batched = True
    with pytest.raises(ValueError, match="batched=False"):
        descend.sweep(f, [1.0, 1.0], grad=lambda x: 2 * x, learning_rate=[0.1, 0.2])


def test_combinations_in_order():
    lists = {"learning_rate": [0.1, 0.2], "momentum": [0.0, 0.5, 0.9]}
    table = descend.sweep(functions.sphere, [1.0, 2.0], n_iter=3, **lists)
    want = [dict(zip(lists, combo, strict=True)) for combo in itertools.product(*lists.values())]
    assert table.settings == want


# ------------------------------------------------------------------ L-BFGS and CG


@pytest.mark.parametrize(
    ("optimizer", "lists"),
    [
        ("lbfgs", {"memory": [3, 10]}),  # at their own Wolfe search
        ("lbfgs", {"learning_rate": [0.1, 0.5]}),  # fixed rates
        ("cg", {"variant": ["PR+", "FR", "HS", "DY"], "restart": [None, 5]}),
        ("cg", {"learning_rate": ["wolfe", 0.5]}),
    ],
)
def test_lbfgs_and_cg_sweeps_run_one_at_a_time(optimizer, lists):
    """Their directions mix every coordinate of a point, so no two runs share an array, even
    at fixed rates on a batched function; each run is its own minimize call."""
    table = descend.sweep(functions.rosenbrock, [-1.2, 1.0], optimizer=optimizer, n_iter=200,
                          gtol=1e-6, **lists)  # fmt: skip
    assert not table.vectorised
    assert len(table) == np.prod([len(v) for v in lists.values()])
    for run in table:
        settings = dict(run.settings)
        rate = settings.pop("learning_rate")
        opt = descend.optimizers.make(optimizer, rate)
        opt = type(opt)(learning_rate=opt.learning_rate, **settings)
        res = descend.minimize(functions.rosenbrock, [-1.2, 1.0], optimizer=opt, max_iter=200,
                               gtol=1e-6)  # fmt: skip
        assert (run.nit, run.reason) == (res.nit, res.reason)
        np.testing.assert_array_equal(run.x, res.x)


def test_a_sweep_of_lbfgs_keeps_its_line_search_unless_given_a_rate():
    table = descend.sweep(functions.rosenbrock, [-1.2, 1.0], optimizer="lbfgs", memory=[3, 10],
                          n_iter=100, gtol=1e-6)  # fmt: skip
    assert [run.settings for run in table] == [
        {"learning_rate": "wolfe", "memory": 3},
        {"learning_rate": "wolfe", "memory": 10},
    ]
    assert table.reason == ["gtol", "gtol"] and np.allclose(table.x, 1.0, atol=1e-5)
    # a plain sweep keeps its default rate of 0.01
    assert descend.sweep(functions.sphere, [1.0, 1.0], n_iter=2).settings == [
        {"learning_rate": 0.01}
    ]


def test_a_sweep_of_quasi_newton_settings_refuses_bad_values():
    with pytest.raises(ValueError, match=r"Invalid memory: 0"):
        descend.sweep(functions.sphere, [1.0, 1.0], optimizer="lbfgs", memory=[3, 0])
    with pytest.raises(ValueError, match=r"Invalid variant: 'XX'"):
        descend.sweep(functions.sphere, [1.0, 1.0], optimizer="cg", variant=["FR", "XX"])
    with pytest.raises(ValueError, match=r"Invalid setting: momentum|Invalid momentum: 0\.9"):
        descend.sweep(functions.sphere, [1.0, 1.0], optimizer="lbfgs", momentum=[0.9])
