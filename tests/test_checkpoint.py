"""Checkpoints: a run stopped anywhere and resumed gives, bit for bit, the uninterrupted run.

Compared: x (or the coefficients), f, every column of the record but its wall-clock time,
the stop reason and the evaluation counts. The compiled kernels and their NumPy twins agree
to rounding, not to the bit, so the fits here run on one route (``DESCEND_KERNELS``), as a
user who needs bit-equal resumes sets it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import descend
from descend import functions, schedules
from descend.checkpoint import CheckpointError
from descend.estimators import GDClassifier, GDRegressor
from descend.optimizers import LBFGS, ConjugateGradient

# The fits here stop at a few epochs on purpose, to be resumed: that they stop short of
# convergence is the point, not news.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# ----------------------------------------------------------------------------- minimize

_RNG = np.random.default_rng(7)
_X = _RNG.normal(size=(60, 3))
_Y = _X @ [1.5, -2.0, 0.5] + 0.1 * _RNG.normal(size=60)


def _lsq(w, X, y):
    r = X @ w - y
    return 0.5 * float(r @ r) / len(y)


def _lsq_grad(w, X, y):
    return X.T @ (X @ w - y) / len(y)


#: (name, keyword arguments of minimize) — every optimizer, rate plan and batch mode.
CASES = [
    ("gd fixed", dict(optimizer="gd", learning_rate=0.001)),
    (
        "momentum schedule",
        dict(optimizer="momentum", learning_rate=schedules.ExponentialDecay(2e-3, 0.999)),
    ),
    ("nesterov", dict(optimizer="nesterov", learning_rate=5e-4)),
    ("adagrad", dict(optimizer="adagrad", learning_rate=0.3)),
    ("rmsprop", dict(optimizer="rmsprop", learning_rate=0.01)),
    ("adam tol", dict(optimizer="adam", learning_rate=0.02, tol=1e-9)),
    ("adamw patience", dict(optimizer="adamw", learning_rate=0.02, patience=5)),
    ("backtracking", dict(optimizer="gd", learning_rate="backtracking", gtol=1e-6)),
    ("recover", dict(optimizer="gd", learning_rate=0.01, on_divergence="recover")),
    ("callback", dict(optimizer="adam", learning_rate=0.02, callback=lambda info: None)),
    (
        "full batch data",
        dict(grad=_lsq_grad, data=(_X, _Y), optimizer="momentum", learning_rate=0.05),
    ),
    (
        "mini-batch",
        dict(
            grad=_lsq_grad,
            data=(_X, _Y),
            batch_size=8,
            optimizer="adam",
            learning_rate=0.02,
            random_state=3,
        ),
    ),
    (
        "stochastic sparse",
        dict(
            grad=_lsq_grad,
            data=(sp.csr_matrix(_X), _Y),
            batch_size=1,
            optimizer="momentum",
            learning_rate=0.01,
            random_state=4,
        ),
    ),
    (
        "mini-batch backtracking",
        dict(
            grad=_lsq_grad,
            data=(_X, _Y),
            batch_size=16,
            learning_rate="backtracking",
            random_state=5,
        ),
    ),
]
# the quasi-Newton methods: a Wolfe search, their memory of past steps in the state
CASES += [
    ("lbfgs", dict(optimizer="lbfgs", gtol=1e-9)),
    ("lbfgs memory 3 data", dict(grad=_lsq_grad, data=(_X, _Y), optimizer=LBFGS(memory=3))),
    ("cg", dict(optimizer="cg", gtol=1e-9)),
    ("cg HS fixed rate", dict(optimizer=ConjugateGradient(0.5, variant="HS", restart=4))),
]
N_ITER = 60


def _problem(kwargs):
    if "data" in kwargs:
        return _lsq, np.zeros(3)
    if kwargs.get("on_divergence") == "recover":
        # starts too fast for the rate: diverges, recovers, goes on
        return functions.rosenbrock, np.array([-3.0, 4.0])
    return functions.rosenbrock, np.array([-1.2, 1.0])


def _same_run(a, b):
    assert np.array_equal(a.x, b.x)
    assert a.fun == b.fun or (np.isnan(a.fun) and np.isnan(b.fun))
    assert (a.nit, a.reason, a.nfev, a.ngev) == (b.nit, b.reason, b.nfev, b.ngev)
    for column in ("iteration", "x", "f", "grad_norm", "learning_rate"):
        assert np.array_equal(
            getattr(a.history, column), getattr(b.history, column), equal_nan=True
        ), column
    assert a.history.events == b.history.events


@pytest.mark.parametrize("name, kwargs", CASES, ids=[c[0] for c in CASES])
@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_minimize_resumed_anywhere_is_the_uninterrupted_run(tmp_path_factory, name, kwargs, data):
    fun, x0 = _problem(kwargs)
    full = descend.minimize(fun, x0, max_iter=N_ITER, **kwargs)
    stop = data.draw(st.integers(0, full.nit), label="stop")
    every = data.draw(st.integers(1, 7), label="every")
    folder = tmp_path_factory.mktemp("ck")
    part = descend.minimize(
        fun, x0, max_iter=stop, checkpoint=folder, checkpoint_every=every, **kwargs
    )
    assert part.nit <= stop
    rest = descend.minimize(fun, x0, max_iter=N_ITER, resume=folder, **kwargs)
    _same_run(rest, full)


def test_an_interrupted_run_writes_its_checkpoint_and_resumes_exactly(tmp_path):
    fun, x0 = functions.rosenbrock, np.array([-1.2, 1.0])
    kwargs = dict(optimizer="adam", learning_rate=0.02, patience=50)
    full = descend.minimize(fun, x0, max_iter=300, **kwargs)

    def interrupt(info):
        if info.nit == 137:
            raise KeyboardInterrupt
        return False

    with pytest.raises(KeyboardInterrupt):
        descend.minimize(fun, x0, max_iter=300, stop=interrupt, checkpoint=tmp_path, **kwargs)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["iteration"] == 137 and manifest["final"]
    rest = descend.minimize(
        fun, x0, max_iter=300, stop=lambda info: False, resume=tmp_path, **kwargs
    )
    assert np.array_equal(rest.x, full.x) and rest.nit == full.nit
    assert np.array_equal(rest.history.f, full.history.f)


def test_a_diverged_run_leaves_its_last_finite_state(tmp_path):
    with pytest.warns(descend.DivergenceWarning):
        res = descend.minimize(lambda x: x @ x, np.ones(2), learning_rate=1.5, checkpoint=tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert res.reason == "diverged" and manifest["iteration"] == res.nit and manifest["final"]


def test_a_checkpoint_of_another_run_is_refused_naming_what_differs(tmp_path):
    descend.minimize(functions.rosenbrock, [-1.2, 1.0], learning_rate=1e-3, max_iter=5,
                     checkpoint=tmp_path)  # fmt: skip
    with pytest.raises(CheckpointError, match=r"optimizer was GD\(learning_rate=0.001\).*now"):
        descend.minimize(functions.rosenbrock, [-1.2, 1.0], learning_rate=2e-3, resume=tmp_path)
    with pytest.raises(CheckpointError, match="x0 was"):
        descend.minimize(functions.rosenbrock, [-1.0, 1.0], learning_rate=1e-3, resume=tmp_path)
    with pytest.raises(CheckpointError, match="function was"):
        descend.minimize(functions.sphere, [-1.2, 1.0], learning_rate=1e-3, resume=tmp_path)


def test_a_checkpoint_of_another_lbfgs_memory_is_refused(tmp_path):
    descend.minimize(functions.rosenbrock, [-1.2, 1.0], optimizer="lbfgs", max_iter=5,
                     checkpoint=tmp_path)  # fmt: skip
    # the reprs are long: the message shows them from a little before they differ
    with pytest.raises(CheckpointError, match=r"optimizer was \.\.\..*memory=10\), now .*=5\)"):
        descend.minimize(functions.rosenbrock, [-1.2, 1.0], optimizer=LBFGS(memory=5),
                         resume=tmp_path)  # fmt: skip


def test_damaged_and_missing_checkpoints_are_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="No checkpoint to resume"):
        descend.minimize(functions.sphere, [1.0, 2.0], resume=tmp_path / "none")
    descend.minimize(functions.sphere, [1.0, 2.0], max_iter=5, checkpoint=tmp_path)
    (arrays,) = tmp_path.glob("state-*.npz")
    arrays.write_bytes(arrays.read_bytes()[:-10])
    with pytest.raises(CheckpointError, match="damaged"):
        descend.minimize(functions.sphere, [1.0, 2.0], max_iter=9, resume=tmp_path)
    manifest = tmp_path / "manifest.json"
    data = json.loads(manifest.read_text())
    data["version"] = 99
    manifest.write_text(json.dumps(data))
    with pytest.raises(CheckpointError, match="version 99"):
        descend.minimize(functions.sphere, [1.0, 2.0], max_iter=9, resume=tmp_path)
    fresh = tmp_path / "fresh"
    descend.minimize(functions.sphere, [1.0, 2.0], max_iter=5, checkpoint=fresh)
    manifest = fresh / "manifest.json"
    data = json.loads(manifest.read_text())
    for change, problem in (
        ({"arrays": "../../etc/passwd"}, "names arrays '../../etc/passwd'"),
        ({"state": {"dict": {}}}, "does not describe a run's state"),
        ({"record": 3}, "does not describe a run's state"),
    ):
        manifest.write_text(json.dumps({**data, **change}))
        with pytest.raises(CheckpointError, match=problem):
            descend.minimize(functions.sphere, [1.0, 2.0], max_iter=9, resume=fresh)


def test_checkpoint_arguments_are_checked():
    with pytest.raises(ValueError, match="checkpoint_every=5 given without checkpoint"):
        descend.minimize(functions.sphere, [1.0], checkpoint_every=5)
    with pytest.raises(ValueError, match="Invalid checkpoint_every: 0"):
        descend.minimize(functions.sphere, [1.0], checkpoint="x", checkpoint_every=0)
    with pytest.raises(ValueError, match="resume=True needs checkpoint"):
        descend.minimize(functions.sphere, [1.0], resume=True)


# --------------------------------------------------------------------------- estimators


def _data(dtype, sparse, classes):
    rng = np.random.default_rng(11)
    X = rng.normal(size=(120, 5)).astype(dtype)
    score = X @ [1.0, -2.0, 0.5, 0.0, 1.5]
    y = np.digitize(score, [-1.0, 1.0]) if classes == 3 else (score > 0).astype(int)
    if classes == 0:
        y = score + 0.1 * rng.normal(size=120)
    return (sp.csr_matrix(X) if sparse else X), y


FITS = [
    ("regressor full gd", GDRegressor, dict(learning_rate=0.05), 0),
    (
        "regressor mini-batch adam",
        GDRegressor,
        dict(optimizer="adam", learning_rate=0.01, batch_size=16),
        0,
    ),
    (
        "regressor stochastic momentum",
        GDRegressor,
        dict(optimizer="momentum", learning_rate=0.005, batch_size=1),
        0,
    ),
    ("classifier full nesterov", GDClassifier, dict(optimizer="nesterov", loss="log_loss"), 2),
    (
        "classifier mini-batch rmsprop",
        GDClassifier,
        dict(optimizer="rmsprop", learning_rate=0.01, batch_size=8),
        2,
    ),
    (
        "classifier 3 classes adagrad",
        GDClassifier,
        dict(optimizer="adagrad", learning_rate=0.1, batch_size=32),
        3,
    ),
    (
        "classifier early stopping",
        GDClassifier,
        dict(early_stopping=True, n_iter_no_change=4, tol=0.0),
        2,
    ),
    (
        "regressor schedule",
        GDRegressor,
        dict(learning_rate=schedules.InverseScaling(0.05), batch_size=10),
        0,
    ),
]


#: Every fit on NumPy's route; two on the compiled kernels' (compiling costs seconds), and
#: three under the cost model, whose routes a checkpoint keeps.
ROUTED = (
    [("numpy", *fit) for fit in FITS]
    + [
        ("compiled", *fit)
        for fit in FITS
        if fit[0] in ("regressor full gd", "classifier 3 classes adagrad")
    ]
    + [
        ("auto", *fit)
        for fit in FITS
        if fit[0]
        in (
            "regressor mini-batch adam",
            "classifier 3 classes adagrad",
            "classifier early stopping",
        )
    ]
)


def _assert_resume_is_the_fit(kind, params, stop, X, y, full, folder):
    """A fit of ``kind(**params)`` checkpointed at epoch ``stop`` in ``folder`` and resumed
    ends as ``full``, the same fit run whole: weights, epochs, reason and every column of
    the record but time, bit for bit."""
    kind(**{**params, "max_epochs": stop}).fit(X, y, checkpoint=folder)
    rest = kind(**params).fit(X, y, resume=folder)
    assert np.array_equal(rest.coef_, full.coef_) and np.array_equal(
        rest.intercept_, full.intercept_
    )
    assert (rest.n_iter_, rest.stop_reason_) == (full.n_iter_, full.stop_reason_)
    for column in full.history_.columns:
        if column != "time":
            assert np.array_equal(
                getattr(rest.history_, column), getattr(full.history_, column), equal_nan=True
            )


@pytest.mark.parametrize(
    "route, name, kind, params, classes", ROUTED, ids=[f"{r[0]}-{r[1]}" for r in ROUTED]
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@settings(
    max_examples=2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_fit_resumed_anywhere_is_the_uninterrupted_fit(
    tmp_path_factory, monkeypatch, route, name, kind, params, classes, dtype, sparse, data
):
    monkeypatch.setenv("DESCEND_KERNELS", route)
    X, y = _data(dtype, sparse, classes)
    base = dict(max_epochs=25, random_state=0, **params)
    full = kind(**base).fit(X, y)
    stop = data.draw(st.integers(1, full.n_iter_), label="stop")
    _assert_resume_is_the_fit(kind, base, stop, X, y, full, tmp_path_factory.mktemp("fit"))


def test_fit_checkpoint_of_other_data_is_refused(tmp_path):
    X, y = _data(np.float64, False, 0)
    GDRegressor(max_epochs=3).fit(X, y, checkpoint=tmp_path)
    with pytest.raises(CheckpointError, match="X was dense float64 \\(120, 5\\)"):
        GDRegressor(max_epochs=5).fit(X + 1.0, y, resume=tmp_path)
    with pytest.raises(CheckpointError, match="batch_size was None, now 4"):
        GDRegressor(max_epochs=5, batch_size=4).fit(X, y, resume=tmp_path)


def test_partial_fit_goes_on_after_a_model_is_loaded(tmp_path):
    from descend.estimators import serialize

    X, y = _data(np.float64, False, 2)
    clf = GDClassifier(max_epochs=5).fit(X, y)
    serialize.save(tmp_path / "m.json", clf)
    loaded = serialize.load(tmp_path / "m.json").estimator
    before = loaded.coef_.copy()
    loaded.partial_fit(X, y)
    loaded.partial_fit(X, y)
    assert loaded.n_iter_ == 2 and not np.array_equal(loaded.coef_, before)
    assert loaded.score(X, y) > 0.8


# --------------------------------------------------------------------------------- CLI


def _train(args, env, **kw):
    return subprocess.Popen(
        [sys.executable, "-m", "descend.cli", "train", *args], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw,
    )  # fmt: skip


def test_kill_9_then_resume_gives_the_same_model_file(tmp_path):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(4000, 6))
    y = (X @ rng.normal(size=6) + 0.5 * rng.normal(size=4000) > 0).astype(int)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    env = {**os.environ, "DESCEND_KERNELS": "numpy"}
    args = [str(tmp_path / "d.npz"), "--epochs", "60", "--tol", "0", "--batch-size", "4",
            "--optimizer", "adam", "--lr", "0.002", "--seed", "5", "--log"]  # fmt: skip
    whole = _train([*args, "--out", str(tmp_path / "whole.json")], env)
    assert whole.wait(timeout=300) == 0, whole.stderr.read()
    folder = tmp_path / "run"
    killed = _train(
        [*args, "--out", str(tmp_path / "resumed.json"), "--checkpoint", str(folder)], env
    )
    epoch = int(np.random.default_rng().integers(3, 40))
    for line in killed.stdout:  # kill it at a random epoch, mid-flight
        if line.startswith(f"[INFO] epoch #{epoch},"):
            break
    time.sleep(float(np.random.default_rng().uniform(0, 0.05)))
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=60)
    assert not (tmp_path / "resumed.json").exists()
    assert (folder / "manifest.json").exists()
    resumed = _train(
        [*args, "--out", str(tmp_path / "resumed.json"), "--checkpoint", str(folder), "--resume"],
        env,
    )
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read()
    assert (tmp_path / "resumed.json").read_bytes() == (tmp_path / "whole.json").read_bytes()
    assert not list(folder.glob(".*partial*")), "no half-written file is left"


def test_cli_resume_flags(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.eye(4), y=np.array([0, 1, 0, 1]))
    data = str(tmp_path / "d.npz")
    run = subprocess.run([sys.executable, "-m", "descend.cli", "train", data, "--resume"],
                         capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 2 and "--resume needs --checkpoint" in run.stderr
    run = subprocess.run([sys.executable, "-m", "descend.cli", "train", data, "--epochs", "3",
                          "--checkpoint", str(tmp_path / "c"), "--resume"],
                         capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 0 and "starting afresh" in run.stderr
    run = subprocess.run([sys.executable, "-m", "descend.cli", "train", data, "--epochs", "3",
                          "--lr", "0.5", "--checkpoint", str(tmp_path / "c"), "--resume"],
                         capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 2 and "is of another run: learning_rate was" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_resumed_fit_runs_each_pass_where_the_interrupted_one_ran_it(tmp_path, monkeypatch):
    from descend.kernels import policy

    X, y = _data(np.float64, False, 0)
    params = dict(optimizer="adam", learning_rate=0.01, batch_size=16, random_state=0)
    monkeypatch.setenv("DESCEND_KERNELS", "compiled")
    GDRegressor(max_epochs=3, **params).fit(X, y, checkpoint=tmp_path)
    kept = json.loads((tmp_path / "manifest.json").read_text())["state"]["dict"]["extra"]
    routes = kept["dict"]["routes"]["dict"]
    assert routes and all(state["list"][0] for state in routes.values())  # all compiled
    # In "auto" mode the full pass of a fresh fit of data this small runs in NumPy (a kernel
    # call costs more than the work); the resumed fit's goes on compiled, where it was.
    monkeypatch.setenv("DESCEND_KERNELS", "auto")
    monkeypatch.setattr(policy, "_SPENT", {})
    full_pass = "dense_one_squared[float64, float64]"
    fresh = GDRegressor(max_epochs=5, **params).fit(X, y)
    assert fresh._state.extra["routes"][full_pass][0] is False
    resumed = GDRegressor(max_epochs=5, **params).fit(X, y, resume=tmp_path)
    assert all(bought for bought, _ in resumed._state.extra["routes"].values())


def test_checkpoints_are_flushed_to_the_disk_from_time_to_time(tmp_path, monkeypatch):
    from descend import checkpoint as checkpoints

    flushed = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: flushed.append(fd) or real_fsync(fd))
    X, y = _data(np.float64, False, 0)
    GDRegressor(max_epochs=6, tol=None).fit(X, y, checkpoint=tmp_path / "a")
    assert flushed == []  # a fit of milliseconds: whole files, no flush
    assert json.loads((tmp_path / "a" / "manifest.json").read_text())["final"]
    monkeypatch.setattr(checkpoints, "DURABLE_SECONDS", 0.0)
    GDRegressor(max_epochs=6, tol=None).fit(X, y, checkpoint=tmp_path / "b")
    # every epoch's arrays, record segment and manifest, then the final manifest again
    assert len(flushed) >= 3 * 6 + 1


def test_the_record_is_written_by_segments_not_again_at_each_checkpoint(tmp_path, monkeypatch):
    """A long run checkpointed often keeps a few files and writes each row a few times."""
    from descend import checkpoint as checkpoints

    written = []
    real = checkpoints.Store._segment

    def segment(self, record, start, stop):
        written.append(stop - start)
        return real(self, record, start, stop)

    monkeypatch.setattr(checkpoints.Store, "_segment", segment)
    full = descend.minimize(functions.rosenbrock, [-1.2, 1.0], learning_rate=1e-3, max_iter=4000)
    part = descend.minimize(functions.rosenbrock, [-1.2, 1.0], learning_rate=1e-3, max_iter=2000,
                            checkpoint=tmp_path, checkpoint_every=10)  # fmt: skip
    assert part.nit == 2000
    files = list(tmp_path.glob("record-*.npz"))
    assert 1 <= len(files) <= 12  # about log2(200 checkpoints)
    assert sum(written) <= 2001 * 12  # each row a few times, not 200 times
    rest = descend.minimize(functions.rosenbrock, [-1.2, 1.0], learning_rate=1e-3, max_iter=4000,
                            resume=tmp_path, checkpoint_every=10)  # fmt: skip
    _same_run(rest, full)
    assert len(list(tmp_path.glob("record-*.npz"))) <= 13


# ------------------------------------------------- the whole product, sampled and in full

OPTIMIZERS = {
    "gd": 0.05, "momentum": 0.01, "nesterov": 0.01, "adagrad": 0.1, "rmsprop": 0.005,
    "adam": 0.01, "adamw": 0.01,
}  # fmt: skip
SCHEDULES = {
    "fixed": lambda rate: rate,
    "step": lambda rate: schedules.StepDecay(rate, factor=0.5, every=4),
    "exponential": lambda rate: schedules.ExponentialDecay(rate, rate=0.9),
    "inverse": lambda rate: schedules.InverseScaling(rate),
    "cosine": lambda rate: schedules.CosineDecay(rate, decay_steps=20),
}
BATCHES = {"full": None, "mini-batch": 16, "stochastic": 1}
PRODUCT = [
    (opt, schedule, batch, dtype, sparse)
    for opt in OPTIMIZERS
    for schedule in SCHEDULES
    for batch in BATCHES
    for dtype in ("float64", "float32")
    for sparse in (False, True)
]


def _resume_matches(tmp_path_factory, monkeypatch, case, stop_fraction):
    opt, schedule, batch, dtype, sparse = case
    monkeypatch.setenv("DESCEND_KERNELS", "numpy")
    X, y = _data(np.dtype(dtype).type, sparse, 2)
    params = dict(
        optimizer=opt, learning_rate=SCHEDULES[schedule](OPTIMIZERS[opt]),
        batch_size=BATCHES[batch], max_epochs=12, tol=None, random_state=1,
    )  # fmt: skip
    full = GDClassifier(**params).fit(X, y)
    stop = max(1, round(stop_fraction * full.n_iter_))
    folder = tmp_path_factory.mktemp("product")
    _assert_resume_is_the_fit(GDClassifier, params, stop, X, y, full, folder)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=st.sampled_from(PRODUCT), stop_fraction=st.floats(0.0, 1.0))
def test_fit_resume_over_the_product_sampled(tmp_path_factory, monkeypatch, case, stop_fraction):
    """Optimizer × schedule × batch mode × dtype × dense/CSR, drawn with the stop point."""
    _resume_matches(tmp_path_factory, monkeypatch, case, stop_fraction)


@pytest.mark.slow
@pytest.mark.parametrize("case", PRODUCT, ids=["-".join(map(str, c)) for c in PRODUCT])
def test_fit_resume_over_the_whole_product(tmp_path_factory, monkeypatch, case):
    _resume_matches(tmp_path_factory, monkeypatch, case, 0.5)
