"""The cost model of descend.kernels.policy: small work stays in NumPy and on one thread, a
kernel is bought once the NumPy time would have paid for it, and the numbers do not change
with the choice."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse

import descend
from descend import GDClassifier, GDRegressor, kernels, losses
from descend.kernels import compiled, policy


def _env(**changes):
    env = {k: v for k, v in os.environ.items() if k != "DESCEND_KERNELS"}
    env.update(changes)
    return env


def test_a_small_fit_runs_in_numpy_without_loading_numba():
    script = (
        "import sys, numpy as np\n"
        "from descend import GDClassifier, GDRegressor\n"
        "rng = np.random.default_rng(0)\n"
        "X = rng.normal(size=(569, 30)); y = (X[:, 0] > 0).astype(int)\n"
        "GDClassifier().fit(X, y).predict(X)\n"
        "GDRegressor(batch_size=1, max_epochs=5, tol=None).fit(X, X[:, 1])\n"
        "print('numba' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=_env(), check=True
    )
    assert out.stdout.strip() == "False", out.stderr


class _FakeKernel:
    """A stand-in for a Numba dispatcher: its signatures in this process, none on disk."""

    def __init__(self, loaded=False):
        self.overloads = {(int,): None} if loaded else {}

    def typeof_pyval(self, value):
        return type(value)


@pytest.mark.parametrize(("state", "price"), [("loaded", 0.0), ("cached", 0.5), ("cold", 9.5)])
def test_a_kernel_is_bought_once_numpy_time_reaches_its_price(state, price, monkeypatch):
    monkeypatch.setenv("DESCEND_KERNELS", "auto")
    monkeypatch.setattr(policy, "_SPENT", {})
    monkeypatch.setattr(policy, "_on_disk", lambda kernel, signature: state == "cached")
    monkeypatch.setitem(sys.modules, "descend.kernels._compiled", sys.modules[__name__])
    kernel = _FakeKernel(loaded=state == "loaded")
    route = policy.Route("dense_one_squared[float64, float64]", lambda: (kernel, (1,)), 10**6)
    assert policy.COMPILE_SECONDS["dense_one_squared"] == 9.5
    spent = 0.0
    while not route.compiled():
        route.paid(0.25)
        spent += 0.25
        assert spent <= price + 0.25
    assert spent == pytest.approx(np.ceil(price / 0.25) * 0.25)
    # the bill is per kernel and per process: another fit's route finds it paid
    twin = policy.Route("dense_one_squared[float64, float64]", lambda: (kernel, (1,)), 10**6)
    assert twin.compiled()


def test_small_passes_stay_in_numpy_and_the_setting_overrides(monkeypatch):
    monkeypatch.setenv("DESCEND_KERNELS", "auto")
    route = policy.Route("dense_one[float64, float64]", lambda: (_FakeKernel(True), (1,)), 100)
    assert not route.compiled()  # below SMALL_PASS, even with the kernel loaded
    monkeypatch.setenv("DESCEND_KERNELS", "compiled")
    assert route.compiled()
    monkeypatch.setenv("DESCEND_KERNELS", "numpy")
    assert not route.compiled()
    monkeypatch.setenv("DESCEND_KERNELS", "fast")
    with pytest.raises(ValueError, match="Invalid DESCEND_KERNELS='fast'"):
        route.compiled()


@pytest.mark.parametrize("batch_size", [None, 8, 1])
def test_a_fit_that_switches_to_the_kernels_midway_lands_where_numpy_does(batch_size, monkeypatch):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(200, 4))
    y = X @ [1.0, -2.0, 0.5, 3.0] + rng.normal(0, 0.1, 200)
    settings = dict(batch_size=batch_size, max_epochs=12, tol=None, random_state=0,
                    optimizer="momentum", learning_rate=0.01, momentum=0.5)  # fmt: skip
    monkeypatch.setenv("DESCEND_KERNELS", "numpy")
    want = GDRegressor(**settings).fit(X, y)

    monkeypatch.setenv("DESCEND_KERNELS", "auto")
    calls = []

    def after_five_calls(self):
        calls.append(self.key)
        return len(calls) > 5

    monkeypatch.setattr(policy.Route, "compiled", after_five_calls)
    got = GDRegressor(**settings).fit(X, y)
    assert len(calls) > 6  # it did switch, within the fit
    np.testing.assert_allclose(got.coef_, want.coef_, rtol=1e-9)
    np.testing.assert_allclose(got.history_.loss, want.history_.loss, rtol=1e-9)


def test_threads_are_woken_only_for_enough_data():
    import numba

    small = np.ones((1000, 10))
    assert compiled._parts(small) == 1
    big = np.ones((2 * policy.BYTES_PER_THREAD // 80 + 10, 10))
    assert compiled._parts(big) == min(2, numba.get_num_threads())
    with compiled.threads(2):
        assert compiled._parts(small) == min(2, numba.config.NUMBA_NUM_THREADS)
    with compiled.threads(1):
        assert compiled._parts(big) == 1


def test_one_thread_or_many_and_numpy_or_compiled_give_the_same_fit(monkeypatch):
    rng = np.random.default_rng(8)
    X = rng.normal(size=(30_000, 20))
    y = (X @ rng.normal(size=20) > 0).astype(int)
    fits = []
    for engine, n_jobs in (("numpy", None), ("compiled", 1), ("compiled", None)):
        monkeypatch.setenv("DESCEND_KERNELS", engine)
        fits.append(GDClassifier(max_epochs=5, tol=None, n_jobs=n_jobs).fit(X, y))
    for other in fits[1:]:
        np.testing.assert_allclose(other.coef_, fits[0].coef_, rtol=1e-9)
        np.testing.assert_allclose(other.history_.loss, fits[0].history_.loss, rtol=1e-12)


_NO_CACHE_SCRIPT = (
    "import numpy as np\n"
    "from descend import kernels\n"
    "print(kernels.first_nonfinite(np.array([[1.0, 2.0], [np.inf, 0.0]])))\n"
)


def test_with_nowhere_to_cache_the_kernels_still_run_with_one_notice():
    # Numba's locators all declining is what a read-only package and no writable home give
    env = _env(DESCEND_KERNELS="compiled", NUMBA_CACHE_LOCATOR_CLASSES="IPythonCacheLocator")
    out = subprocess.run(
        [sys.executable, "-W", "default", "-c", _NO_CACHE_SCRIPT], capture_output=True,
        text=True, env=env, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == "(1, 0)"
    assert out.stderr.count("cannot be cached on disk here") == 1, out.stderr


def test_a_read_only_install_with_a_read_only_home_still_runs(tmp_path):
    """The package copied to a folder mounted read-only, HOME read-only too (a mount
    namespace of this test's own: needs root and unshare, else skipped)."""
    package, home = tmp_path / "site", tmp_path / "home"
    shutil.copytree(
        Path(descend.__file__).parent, package / "descend",
        ignore=shutil.ignore_patterns("__pycache__"),
    )  # fmt: skip
    home.mkdir()
    env = {k: v for k, v in _env(DESCEND_KERNELS="compiled", HOME=str(home),
                                 PYTHONPATH=str(package)).items()
           if k != "NUMBA_CACHE_DIR"}  # fmt: skip
    script = (
        f"mount --bind -o ro {package} {package} && mount --bind -o ro {home} {home} && "
        f"{shlex.quote(sys.executable)} -W default -c {shlex.quote(_NO_CACHE_SCRIPT)}"
    )
    unshare = shutil.which("unshare")
    if os.geteuid() != 0 or unshare is None:
        pytest.skip("needs root and unshare to mount folders read-only")
    out = subprocess.run(
        [unshare, "-m", "sh", "-c", script], capture_output=True, text=True, env=env,
        cwd=tmp_path,
    )  # fmt: skip
    if "mount" in out.stderr and out.returncode != 0:
        pytest.skip(f"cannot mount here: {out.stderr.strip()[:200]}")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "(1, 0)"
    assert out.stderr.count("cannot be cached on disk here") == 1, out.stderr
    assert not list(package.rglob("*.nbi"))  # nothing was written beside the package


def test_a_pass_route_names_the_kernel_and_types_it_would_run():
    X = np.ones((10, 3), np.float32)
    model = kernels.LinearModel(3, 1, True)
    route = compiled.pass_route(X, np.zeros(10), None, model=model, loss=losses.log_loss())
    assert route.key == "dense_one_log[float32, float64]"
    wide = kernels.LinearModel(3, 4, True)
    route = compiled.pass_route(X, np.zeros(10, int), None, model=wide, loss=losses.log_loss())
    assert route.key == "dense_many[float32, int64]"
    assert compiled.pass_route(np.asfortranarray(np.ones((10, 3))), np.zeros(10), None,
                               model=model, loss=losses.log_loss()).key == "none"  # fmt: skip
    sparse = scipy.sparse.random(1000, 500, density=0.01, format="csr", random_state=0)
    route = compiled.pass_route(sparse, np.zeros(1000), None,
                                model=kernels.LinearModel(500, 1, True),
                                loss=losses.squared_error())  # fmt: skip
    assert (route.key, route.entries) == ("sparse_pass[float64, float64]", sparse.nnz)
