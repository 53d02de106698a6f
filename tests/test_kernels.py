"""The compiled kernels against their NumPy twin, over the whole matrix they cover.

Every loss (one output, and one score per class for the classification losses) × every
optimizer × full batch, mini-batch and stochastic epochs × float64 and float32 × dense and CSR,
with penalties, sample weights and both reductions spread over the cases: two epochs of
:func:`descend.kernels.compiled.epoch` must land where :func:`descend.kernels.reference.epoch`
does, state included, to rounding.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
import scipy.sparse

from descend import GDClassifier, GDRegressor, kernels, losses, optimizers
from descend.kernels import compiled, reference
from descend.penalties import Penalty

REGRESSION = ["squared_error", "huber", "absolute_error"]
CLASSIFICATION = ["log_loss", "hinge", "squared_hinge", "squared_error", "sigmoid_squared_error"]
LOSS_CASES = (
    [(name, 1, "real") for name in REGRESSION]
    + [(name, 1, "two") for name in CLASSIFICATION]
    + [(name, 3, "many") for name in CLASSIFICATION]
)
OPTIMIZERS = {
    "gd": optimizers.GD(0.05),
    "momentum": optimizers.Momentum(0.05, momentum=0.5),
    "nesterov": optimizers.Nesterov(0.05, momentum=0.5),
    "adagrad": optimizers.AdaGrad(0.05, lr_decay=0.01),
    "rmsprop": optimizers.RMSProp(0.01),
    "rmsprop-centered-momentum": optimizers.RMSProp(0.01, momentum=0.3, centered=True),
    "adam-amsgrad-l2": optimizers.Adam(0.01, weight_decay=0.01, amsgrad=True),
    "adamw": optimizers.AdamW(0.01),
}
BATCHES = {"full": None, "mini": 7, "stochastic": 1}
PENALTIES = [Penalty(None), Penalty("l2", 0.05), Penalty("l1", 0.02), Penalty("elasticnet", 0.05)]
TOLERANCE = {np.float64: dict(rtol=1e-9, atol=1e-12), np.float32: dict(rtol=2e-4, atol=2e-5)}


def problem(loss_case, dtype, sparse, seed):
    """Rows, targets, weights and a starting point for one case."""
    _, k, targets = loss_case
    rng = np.random.default_rng(seed)
    n, d = 41, 5
    X = rng.normal(size=(n, d))
    if sparse:
        X[np.abs(X) < 0.6] = 0.0
    X = X.astype(dtype)
    if targets == "real":
        y = X.astype(float) @ rng.normal(size=d) + rng.normal(0, 0.3, n)
    else:
        y = rng.integers(0, 2 if k == 1 else k, n).astype(float if k == 1 else np.intp)
    model = kernels.LinearModel(d, k, fit_intercept=bool(seed % 3))
    theta = rng.normal(0, 0.3, model.size)
    weights = rng.uniform(0.2, 2.0, n) if seed % 2 else None
    return (scipy.sparse.csr_matrix(X) if sparse else X), y, weights, model, theta


MATRIX = list(
    itertools.product(LOSS_CASES, OPTIMIZERS, BATCHES, [np.float64, np.float32], [False, True])
)


def _pairs(case):
    """Every pair of (dimension, value) settings the case holds."""
    named = list(enumerate((case[0][0] + str(case[0][1]), case[1], case[2], case[3], case[4])))
    return set(itertools.combinations(named, 2))


def _pairwise(cases):
    """A subset of the cases in which every value of every dimension meets every value of
    every other dimension at least once (greedy, in order): what the quick suite runs."""
    covered, chosen = set(), []
    for case in cases:
        new = _pairs(case) - covered
        if new:
            covered |= new
            chosen.append(case)
    return chosen


QUICK = _pairwise(MATRIX)


def _id(case):
    (name, k, _), opt, batch, dtype, sparse = case
    return f"{name}-k{k}-{opt}-{batch}-{dtype.__name__}-{'csr' if sparse else 'dense'}"


@pytest.mark.parametrize(
    "case",
    [c if c in QUICK else pytest.param(c, marks=pytest.mark.slow) for c in MATRIX],
    ids=[_id(c) for c in MATRIX],
)
def test_compiled_epochs_match_the_reference(case):
    loss_case, opt_name, batch, dtype, sparse = case
    seed = MATRIX.index(case)
    X, y, w, model, theta = problem(loss_case, dtype, sparse, seed)
    loss = losses.get(loss_case[0], reduction=("mean", "sum")[seed % 2 == 0 and seed % 4 == 0])
    penalty = PENALTIES[seed % len(PENALTIES)]
    opt = OPTIMIZERS[opt_name]
    batch_size = BATCHES[batch] or X.shape[0]
    assert compiled.takes(X, loss, opt, 0.05)
    results = []
    for run in (reference.epoch, compiled.epoch):
        t, state, rng = theta, opt.init(theta), np.random.default_rng(seed)
        for _ in range(2):
            t, state = run(
                t, state, X, y, w, model=model, loss=loss, penalty=penalty, optimizer=opt,
                rate=opt.learning_rate, batch_size=batch_size, rng=rng,
            )  # fmt: skip
        results.append((t, state))
    (want, want_state), (got, got_state) = results
    assert np.all(np.isfinite(got))
    assert not np.allclose(got, theta)  # the case really moves
    np.testing.assert_allclose(got, want, **TOLERANCE[dtype])
    assert type(got_state) is type(want_state)
    for a, b in zip(got_state, want_state, strict=True):
        if b is None or np.ndim(b) == 0:
            assert a == b
        else:
            np.testing.assert_allclose(a, b, **TOLERANCE[dtype])


@pytest.mark.parametrize("loss_case", LOSS_CASES, ids=[f"{c[0]}-k{c[1]}" for c in LOSS_CASES])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_one_pass_gives_objective_gradient_and_the_recorded_sums(
    loss_case, dtype, sparse, monkeypatch
):
    monkeypatch.setenv("DESCEND_KERNELS", "compiled")  # small data: measured compiled too
    X, y, w, model, theta = problem(loss_case, dtype, sparse, seed=5)
    loss, penalty = losses.get(loss_case[0]), Penalty("elasticnet", 0.1, 0.5)
    terms = dict(model=model, loss=loss, penalty=penalty)
    found = compiled.full_gradient(theta, X, y, w, **terms)
    value, grad = reference.objective_and_grad(theta, X, y, w, **terms)
    tol = TOLERANCE[dtype]
    assert found.value == pytest.approx(value, rel=tol["rtol"])
    np.testing.assert_allclose(found.grad, grad, **tol)
    # the estimators' measurement, compiled and in NumPy
    classifier = loss_case[2] != "real"
    data = kernels.Training(X, y, w, **terms, batch_size=7, classifier=classifier)
    assert data.compiled
    numpy_measure = data._measure_numpy(theta)
    measured = data.measure(theta)
    assert measured.loss == pytest.approx(numpy_measure.loss, rel=tol["rtol"])
    assert measured.sse == pytest.approx(numpy_measure.sse, rel=tol["rtol"])
    assert measured.accuracy == numpy_measure.accuracy


def test_a_full_batch_fit_reads_the_data_once_per_epoch(monkeypatch):
    """Measuring the parameters an epoch ends on computes the next epoch's gradient."""
    monkeypatch.setenv("DESCEND_KERNELS", "compiled")
    X, y, *_ = problem(("squared_error", 1, "real"), np.float64, False, seed=1)
    passes = []
    real = compiled.full_gradient

    def counted(*args, **kwargs):
        passes.append(kwargs.get("want_grad", True))
        return real(*args, **kwargs)

    monkeypatch.setattr(compiled, "full_gradient", counted)
    GDRegressor(max_epochs=10, tol=None, learning_rate=0.01).fit(X, y)
    assert len(passes) == 11  # the start and one per epoch


def test_the_kernels_do_not_copy_the_rows():
    rng = np.random.default_rng(0)
    for dtype in (np.float64, np.float32):
        X = rng.normal(size=(20_000, 50)).astype(dtype)
        y = X.astype(float) @ rng.normal(size=50)
        model = kernels.LinearModel(50, 1, True)
        opt, theta = optimizers.Adam(0.01), np.zeros(51)
        terms = dict(model=model, loss=losses.squared_error(), penalty=Penalty("l2", 0.1))
        for batch_size in (len(y), 256, 1):
            compiled.epoch(
                theta,
                opt.init(theta),
                X,
                y,
                None,
                **terms,
                optimizer=opt,
                rate=0.01,
                batch_size=batch_size,
                rng=rng,
            )  # fmt: skip compile first
            tracemalloc.start()
            compiled.epoch(
                theta, opt.init(theta), X, y, None, **terms, optimizer=opt, rate=0.01,
                batch_size=batch_size, rng=rng,
            )  # fmt: skip
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            # the shuffled order of the rows (8 bytes a row) is the largest thing made
            assert peak < 8 * len(y) + 100_000 < X.nbytes / 2, (dtype, batch_size, peak)


def test_float32_data_stays_float32_through_a_fit():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30_000, 40)).astype(np.float32)
    y = X.astype(float) @ rng.normal(size=40) + 1.0
    reg = GDRegressor(max_epochs=3, tol=None, learning_rate=0.1)
    reg.fit(X[:100], y[:100])  # compile and warm up
    tracemalloc.start()
    reg.fit(X, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < X.nbytes / 2  # no float64 copy of X (that would be twice its size)
    assert reg.predict(X[:5]).dtype == np.float64
    twin = GDRegressor(max_epochs=3, tol=None, learning_rate=0.1).fit(X.astype(float), y)
    np.testing.assert_allclose(reg.coef_, twin.coef_, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(reg.history_.loss, twin.history_.loss, rtol=1e-5)


@pytest.mark.parametrize("batch_size", [None, 16, 1])
def test_estimators_fit_the_same_compiled_or_in_numpy(batch_size, monkeypatch):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 4))
    y = (X @ [1.0, -2.0, 0.5, 0.0] + rng.normal(0, 0.5, 300) > 0).astype(int) + (X[:, 3] > 1)
    settings = dict(
        batch_size=batch_size, max_epochs=15, tol=None, random_state=0, optimizer="adam",
        learning_rate=0.05, penalty="l2", alpha=0.01,
    )  # fmt: skip
    fits = []
    for engine in ("compiled", "numpy"):
        monkeypatch.setenv("DESCEND_KERNELS", engine)
        fits.append(GDClassifier(**settings).fit(X, y, sample_weight=rng.uniform(0.5, 1.5, 300)))
        rng = np.random.default_rng(2)
        X = rng.normal(size=(300, 4))
        y = (X @ [1.0, -2.0, 0.5, 0.0] + rng.normal(0, 0.5, 300) > 0).astype(int) + (X[:, 3] > 1)
    a, b = fits
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a.history_.loss, b.history_.loss, rtol=1e-9)
    np.testing.assert_array_equal(a.history_.accuracy, b.history_.accuracy)


def test_n_jobs_limits_threads_without_changing_the_fit(monkeypatch):
    monkeypatch.setenv("DESCEND_KERNELS", "compiled")
    rng = np.random.default_rng(3)
    X = rng.normal(size=(5000, 6))
    y = X @ rng.normal(size=6)
    one = GDRegressor(n_jobs=1, max_epochs=20, tol=None).fit(X, y)
    every = GDRegressor(n_jobs=-1, max_epochs=20, tol=None).fit(X, y)
    np.testing.assert_allclose(one.coef_, every.coef_, rtol=1e-10)
    with pytest.raises(ValueError, match="Invalid n_jobs: 0"):
        GDRegressor(n_jobs=0).fit(X, y)
    with pytest.raises(ValueError, match="Invalid n_jobs: 1.5"):
        GDRegressor(n_jobs=1.5).fit(X, y)


def test_what_the_kernels_do_not_take_runs_the_reference():
    X = np.asfortranarray(np.random.default_rng(4).normal(size=(30, 3)))
    loss = losses.squared_error()
    assert not compiled.takes(X, loss)  # not C-contiguous
    assert not compiled.takes(X.astype(np.float16).copy(order="C"), loss)
    assert compiled.takes(np.ascontiguousarray(X), loss, optimizers.GD(0.1), 0.1)
    assert not compiled.takes(np.ascontiguousarray(X), loss, optimizers.GD(0.1), "backtracking")

    class MyLoss(losses.SquaredError):
        pass

    assert not compiled.takes(np.ascontiguousarray(X), MyLoss())
    # a line search still works through the dispatcher, on the reference
    model, theta = kernels.LinearModel(3, 1, True), np.zeros(4)
    from descend.linesearch import Backtracking

    t, _ = kernels.epoch(
        theta, optimizers.GD().init(theta), X, X @ [1.0, 2.0, 3.0], None, model=model,
        loss=loss, penalty=Penalty(None), optimizer=optimizers.GD(), rate=Backtracking(),
        batch_size=30, rng=np.random.default_rng(0),
    )  # fmt: skip
    assert not np.allclose(t, theta)


STATE_CASES = {
    **OPTIMIZERS,
    "rmsprop-centered": optimizers.RMSProp(0.01, centered=True),
    "rmsprop-momentum": optimizers.RMSProp(0.01, momentum=0.3),
    "adam": optimizers.Adam(0.01),
    "adamw-amsgrad": optimizers.AdamW(0.01, amsgrad=True),
}


@pytest.mark.parametrize("name", STATE_CASES)
def test_every_compiled_form_carries_the_state_in_and_out_unchanged(name):
    opt = STATE_CASES[name]
    form = compiled.optimizer_form(opt)
    assert form is not None and form == opt.compiled_form()
    rng = np.random.default_rng(9)
    theta = rng.normal(size=6)
    state = opt.init(theta)
    for _ in range(3):  # buffers apart from zero, and a step count apart from zero
        _, state = opt.update(rng.normal(size=6), state, theta)
    S, count = compiled._pack(form, state, theta.size)
    back = compiled._unpack(form, state, S, count)
    assert type(back) is type(state)
    assert back._fields == state._fields
    for field, got, want in zip(state._fields, back, state, strict=True):
        if want is None or np.ndim(want) == 0:
            assert got == want, field
        else:
            np.testing.assert_array_equal(got, want, err_msg=field)
    # every array the state holds is one of the rows the kernels step
    held = [f for f in state._fields if isinstance(getattr(state, f), np.ndarray)]
    assert set(held) <= set(form.rows)


class _SlowerAdam(optimizers.Adam):
    """A user's variation on Adam's rule: it inherits Adam's compiled form, which no longer
    describes its update."""

    def update(self, grad, state, params, learning_rate=None):
        step, state = super().update(grad, state, params, learning_rate)
        return 0.5 * step, state


class _DescribedGD(optimizers.GD):
    """A subclass that keeps the rule of its parent and says so."""

    def compiled_form(self):
        return optimizers.GD.compiled_form(self)


def test_a_subclass_without_its_own_compiled_form_steps_with_its_numpy_update(monkeypatch):
    """Mini-batches run the reference (their steps would run inside the compiled loop); a
    full batch runs the compiled pass and then the subclass's own NumPy update."""
    monkeypatch.setenv("DESCEND_KERNELS", "compiled")
    X, y, w, model, theta = problem(("squared_error", 1, "real"), np.float64, False, seed=1)
    loss, penalty = losses.squared_error(), Penalty("l2", 0.05)
    opt = _SlowerAdam(0.01)
    assert opt.compiled_form() is None and compiled.optimizer_form(opt) is None
    assert not compiled.takes(X, loss, opt, 0.01)
    assert compiled.takes(X, loss, _DescribedGD(0.01), 0.01)
    assert compiled.takes(X, loss, None, 0.01)  # a full batch asks nothing of the optimizer
    terms = dict(model=model, loss=loss, penalty=penalty, optimizer=opt, rate=0.01)
    passes = []
    real_pass = compiled.full_gradient
    monkeypatch.setattr(
        compiled, "full_gradient", lambda *a, **k: passes.append(1) or real_pass(*a, **k)
    )
    for batch_size in (X.shape[0], 7):
        full = batch_size == X.shape[0]
        want = reference.epoch(
            theta, opt.init(theta), X, y, w, **terms, batch_size=batch_size,
            rng=np.random.default_rng(0),
        )  # fmt: skip
        passes.clear()
        got = kernels.epoch(
            theta, opt.init(theta), X, y, w, **terms, batch_size=batch_size,
            rng=np.random.default_rng(0),
        )  # fmt: skip
        data = kernels.Training(X, y, w, model=model, loss=loss, penalty=penalty,
                                batch_size=batch_size)  # fmt: skip
        fitted = data.epoch(theta, opt.init(theta), opt, 0.01, np.random.default_rng(0))
        assert len(passes) == (2 if full else 0)  # compiled full passes, none for batches
        same = np.testing.assert_allclose if full else np.testing.assert_array_equal
        same(got[0], want[0], **({"rtol": 1e-12} if full else {}))
        same(fitted[0], want[0], **({"rtol": 1e-12} if full else {}))
        # and that is the NumPy rule of the subclass, not Adam's compiled one
        adam = optimizers.Adam(0.01)
        compiled_adam = compiled.epoch(
            theta, adam.init(theta), X, y, w, **{**terms, "optimizer": adam},
            batch_size=batch_size, rng=np.random.default_rng(0),
        )  # fmt: skip
        assert not np.allclose(compiled_adam[0], want[0])


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_full_batch_runs_the_compiled_pass_for_an_optimizer_without_a_form(
    dtype, sparse, monkeypatch
):  # fmt: skip
    """Nesterov's sequence with the restart has no compiled form; a full-batch fit still
    takes its gradients from the compiled pass, and ends where the reference ends."""
    monkeypatch.setenv("DESCEND_KERNELS", "compiled")
    X, y, w, model, theta = problem(("log_loss", 3, "many"), dtype, sparse, seed=5)
    terms = dict(model=model, loss=losses.log_loss(), penalty=Penalty("l2", 0.05))
    opt = optimizers.Nesterov(0.5, momentum="sequence", restart="gradient")
    assert compiled.optimizer_form(opt) is None
    data = kernels.Training(X, y, w, **terms, batch_size=X.shape[0])
    want, want_state = theta, opt.init(theta)
    got, got_state = theta, opt.init(theta)
    for _ in range(30):
        want, want_state = reference.epoch(
            want, want_state, X, y, w, **terms, optimizer=opt, rate=0.5,
            batch_size=X.shape[0], rng=np.random.default_rng(0),
        )  # fmt: skip
        got, got_state = data.epoch(got, got_state, opt, 0.5, np.random.default_rng(0))
    assert data._epochs[optimizers.Nesterov] != data._reference and data.compiled
    assert got_state.count == want_state.count
    np.testing.assert_allclose(got, want, **TOLERANCE[dtype])


@pytest.mark.parametrize("batch", ["full", "mini"])
def test_a_fit_chooses_its_epoch_once_per_optimizer_type(batch, monkeypatch):
    monkeypatch.setenv("DESCEND_KERNELS", "compiled")
    X, y, w, model, theta = problem(("log_loss", 1, "two"), np.float64, False, seed=3)
    terms = dict(model=model, loss=losses.log_loss(), penalty=Penalty("l2", 0.05))
    batch_size = BATCHES[batch] or X.shape[0]
    data = kernels.Training(X, y, w, **terms, batch_size=batch_size)
    asked = []
    real_takes = compiled.takes
    monkeypatch.setattr(compiled, "takes", lambda *a: asked.append(a) or real_takes(*a))
    from descend.linesearch import Backtracking

    for opt, rates in ((optimizers.Adam(0.01), [0.01, 0.02]), (optimizers.GD(0.1), [0.1])):
        want, got = theta, theta
        want_state = got_state = opt.init(theta)
        for i, rate in enumerate(rates * 2):
            want, want_state = reference.epoch(
                want, want_state, X, y, w, **terms, optimizer=opt, rate=rate,
                batch_size=batch_size, rng=np.random.default_rng(0),
            )  # fmt: skip
            got, got_state = data.epoch(got, got_state, opt, rate, np.random.default_rng(0))
            if i == 0:
                settled = len(asked)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
        assert len(asked) == settled > 0  # asked on the type's first epoch, never after
    # a line search runs the reference through the function chosen for GD
    gd = optimizers.GD(Backtracking())
    moved, _ = data.epoch(theta, gd.init(theta), gd, Backtracking(), np.random.default_rng(0))
    assert not np.allclose(moved, theta)
    assert len(asked) == settled
    assert set(data._epochs) == {optimizers.Adam, optimizers.GD}


def test_import_is_light_and_a_second_process_reuses_the_compiled_code():
    light = subprocess.run(
        [sys.executable, "-c", "import sys, descend; print(sorted(m for m in "
         "('numba', 'matplotlib', 'sympy') if m in sys.modules))"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert light.stdout.strip() == "[]"
    script = (
        "import numpy as np\n"
        "from descend import GDRegressor\n"
        "from descend.kernels import _compiled\n"
        "X = np.random.default_rng(0).normal(size=(100, 3)); y = X.sum(1)\n"
        "GDRegressor(max_epochs=2, tol=None).fit(X, y)\n"
        "kernel = _compiled.full_pass(_compiled.SQUARED)\n"
        "print(sum(kernel.stats.cache_hits.values()),"
        " sum(kernel.stats.cache_misses.values()))\n"
    )
    env = dict(os.environ, DESCEND_KERNELS="compiled")
    first = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           env=env, check=True)  # fmt: skip
    second = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=env, check=True)  # fmt: skip
    hits, misses = map(int, second.stdout.split())
    assert hits >= 1 and misses == 0, (first.stdout, second.stdout, second.stderr)


_SIDE_BY_SIDE = """
import numpy as np
from descend.kernels import _compiled as k
rng = np.random.default_rng(0)
X = rng.normal(size=(64, 3)); y = (rng.random(64) < 0.5) * 1.0
w = rng.normal(size=3); sw = np.empty(0)
def run(code):
    return k.full_pass(code)(X, y, sw, w, 0.1, code, 0.5, 0.5, 2, True, True)[0]
"""


@pytest.mark.slow  # compiles three passes in a fresh cache
def test_the_full_passes_parallel_loops_have_names_apart_and_load_side_by_side(tmp_path):
    # Numba names a parallel loop's machine code after its argument types plus an address
    # and a counter that can repeat from one process to the next. Passes that differed only
    # in their loss could then share a name: loaded from one cache into one process, a pass
    # would run another's code. Each pass's own loop (the parallel loop with the most
    # arguments) takes an array of a dtype of its own; the small loops Numba makes for sums
    # may share names, as they share code.
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    compile_all = _SIDE_BY_SIDE + (
        "import re\n"
        "for code in (0, 3, 1):\n"
        "    run(code)\n"
        "    (result,) = k.full_pass(code).overloads.values()\n"
        "    ir = result.library.get_llvm_str()\n"
        '    names = re.findall(r\'define [^@]*@"?([^"(]*parfor_gufunc[^"(]*)\', ir)\n'
        "    print(re.sub(r'0x[0-9a-f]+|B[0-9]+v[0-9]+', '', max(names, key=len)))\n"
    )
    out = subprocess.run([sys.executable, "-c", compile_all], env=env, check=True,
                         capture_output=True, text=True).stdout.splitlines()  # fmt: skip
    assert len(out) == 3 and len(set(out)) == 3, out
    check = _SIDE_BY_SIDE + (
        "z = X @ w + 0.1\n"
        "want = {0: z - y, 3: 1 / (1 + np.exp(-z)) - y, 1: np.clip(z - y, -0.5, 0.5)}\n"
        "for code, dz in want.items():\n"
        "    np.testing.assert_allclose(run(code), np.r_[X.T @ dz, dz.sum()], rtol=1e-12,\n"
        "                               atol=1e-12, err_msg=str(code))\n"
        "    assert sum(k.full_pass(code).stats.cache_hits.values()) == 1, code\n"
    )
    subprocess.run([sys.executable, "-c", check], env=env, check=True)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("loss_name", ["squared_error", "log_loss"])
@pytest.mark.parametrize(("batch", "shuffle"), [(None, False), (1, False), (1, True)])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_long_passes_and_rows_in_order_match_the_reference(
    dtype, loss_name, batch, shuffle, weighted
):
    # thousands of rows: several threads' runs, block sums flushed many times, prefetching
    # on, and the stochastic loop that reads no order
    rng = np.random.default_rng(7)
    n, d = 5003, 9
    X = rng.normal(size=(n, d)).astype(dtype)
    z = X.astype(float) @ rng.normal(size=d)
    y = z + rng.normal(0, 0.3, n) if loss_name == "squared_error" else (z > 0).astype(float)
    w = rng.uniform(0.5, 1.5, n) if weighted else None
    model = kernels.LinearModel(d, 1, fit_intercept=True)
    theta = rng.normal(0, 0.1, model.size)
    opt = optimizers.GD(0.01)
    terms = dict(model=model, loss=losses.get(loss_name), penalty=Penalty(None), optimizer=opt)
    results = [
        run(
            theta, opt.init(theta), X, y, w, **terms, rate=0.01, batch_size=batch or n,
            rng=np.random.default_rng(3), shuffle=shuffle,
        )[0]
        for run in (reference.epoch, compiled.epoch)
    ]  # fmt: skip
    np.testing.assert_allclose(results[1], results[0], **TOLERANCE[dtype])


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("batch", [1, 7])
@pytest.mark.parametrize("plain", [True, False], ids=["plain", "adam-l2"])
def test_rows_in_order_are_counted_not_looked_up(sparse, batch, plain):
    # without shuffling the kernels get an empty order and count the rows themselves: every
    # path that used to look rows up (weights of a batch, prefetching, CSR steps) must agree
    rng = np.random.default_rng(11)
    n, d = 503, 6
    X = rng.normal(size=(n, d))
    X[rng.random((n, d)) < 0.4] = 0.0
    y = X @ rng.normal(size=d) + rng.normal(0, 0.3, n)
    w = rng.uniform(0.5, 1.5, n)
    data = scipy.sparse.csr_matrix(X) if sparse else X
    model = kernels.LinearModel(d, 1, fit_intercept=True)
    opt = optimizers.GD(0.01) if plain else optimizers.Adam(0.01)
    penalty = Penalty(None) if plain else Penalty("l2", 0.1)
    theta = rng.normal(0, 0.1, model.size)
    results = [
        run(
            theta, opt.init(theta), data, y, w, model=model, loss=losses.squared_error(),
            penalty=penalty, optimizer=opt, rate=0.01, batch_size=batch,
            rng=np.random.default_rng(3), shuffle=False,
        )[0]
        for run in (reference.epoch, compiled.epoch)
    ]  # fmt: skip
    np.testing.assert_allclose(results[1], results[0], **TOLERANCE[np.float64])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_first_nonfinite_finds_the_first_nan_or_infinity(dtype, sparse):
    X = np.arange(60.0).reshape(12, 5).astype(dtype)
    wrap = scipy.sparse.csr_matrix if sparse else np.asarray
    assert kernels.first_nonfinite(wrap(X)) is None
    X[7, 3], X[9, 0] = np.inf, np.nan
    assert kernels.first_nonfinite(wrap(X)) == (7, 3)
    # finite entries whose sum overflows are not mistaken for a bad entry
    huge = np.full((4, 2), np.finfo(dtype).max, dtype=dtype)
    assert kernels.first_nonfinite(wrap(huge)) is None
