"""minimize(data=...) over data read a chunk at a time: the same run in process, from a Dask
collection, on a Dask cluster and after a resume; the objective combined over the chunks as
the row-weighted mean."""

from __future__ import annotations

import numpy as np
import pytest

import descend
from descend import chunks

RNG = np.random.default_rng(0)
X = RNG.normal(size=(700, 3))
Y = X @ np.array([1.0, -2.0, 0.5]) + 0.3 + 0.01 * RNG.normal(size=700)
TRUTH = np.linalg.lstsq(np.hstack([X, np.ones((700, 1))]), Y, rcond=None)[0]


def mse(w, X, y):
    r = X @ w[:3] + w[3] - y
    return 0.5 * np.mean(r * r)


def mse_grad(w, X, y):
    r = X @ w[:3] + w[3] - y
    return np.append(X.T @ r / len(r), r.mean())


FULL = dict(grad=mse_grad, learning_rate=0.5, max_iter=150)
BATCHES = dict(
    grad=mse_grad, batch_size=32, optimizer="adam", learning_rate=0.05, max_iter=15,
    random_state=4,
)  # fmt: skip


def run(data, **settings):
    return descend.minimize(mse, np.zeros(4), data=data, **settings)


def same(a, b):
    assert np.array_equal(a.x, b.x)
    assert (a.nit, a.nfev, a.ngev) == (b.nit, b.nfev, b.ngev)
    assert np.array_equal(a.history.f, b.history.f)


def test_the_chunks_combine_as_the_row_weighted_mean():
    whole = run((X, Y), **FULL)
    chunked = run(chunks.from_arrays(X, Y, rows=300), **FULL)  # 300, 300, 100 rows
    assert chunked.fun == pytest.approx(whole.fun, rel=1e-12)
    assert np.allclose(chunked.x, whole.x, rtol=0, atol=1e-12)
    assert np.allclose(chunked.x, TRUTH, atol=1e-6)


def test_mini_batches_never_span_two_chunks_and_reach_the_optimum():
    found = run(chunks.from_arrays(X, Y, rows=250), **{**BATCHES, "max_iter": 60})
    assert np.allclose(found.x, TRUTH, atol=2e-2)
    # 250 + 250 + 200 rows: 8 + 8 + 7 batches of 32 or fewer per epoch
    # no whole gradient per epoch (no rule reads it), one at the end for Result.grad
    assert found.ngev == 60 * 23 + 1


def test_a_numeric_gradient_is_taken_chunk_by_chunk():
    found = run(chunks.from_arrays(X, Y, rows=300), learning_rate=0.5, max_iter=150)
    assert np.allclose(found.x, TRUTH, atol=1e-6)


def test_grad_check_runs_on_the_first_chunk():
    objective = descend.Objective(mse, lambda w, X, y: -mse_grad(w, X, y))
    with pytest.raises(descend.GradientCheckError):
        descend.minimize(
            objective, np.zeros(4), grad="check", data=chunks.from_arrays(X, Y, rows=300)
        )


def test_a_npy_path_and_a_memmap_run_as_the_same_chunks(tmp_path):
    path = tmp_path / "X.npy"
    np.save(path, X)
    reference = run(chunks.from_arrays(X, Y, rows=700), **FULL)
    same(run((str(path), Y), **FULL), reference)  # 700 rows: one 64 MB chunk
    same(run((np.load(path, mmap_mode="r"), Y), **FULL), reference)


def test_a_resumed_run_is_the_uninterrupted_run(tmp_path):
    data = chunks.from_arrays(X, Y, rows=200)
    whole = run(data, **BATCHES)
    run(data, **{**BATCHES, "max_iter": 6}, checkpoint=tmp_path / "ck")
    resumed = run(data, **BATCHES, checkpoint=tmp_path / "ck", resume=True)
    same(resumed, whole)


dask = pytest.importorskip("dask")


def collections(rows=(200, 200, 300)):
    import dask.array as da

    return da.from_array(X, chunks=(rows, 3)), da.from_array(Y, chunks=(rows,))


@pytest.mark.parametrize("settings", [FULL, BATCHES], ids=["full batch", "mini-batches"])
def test_dask_collections_run_as_their_blocks(settings):
    reference = run(chunks.from_arrays(X, Y, rows=200), **settings)
    same(run(collections((200, 200, 200, 100)), **settings), reference)


@pytest.mark.parametrize("settings", [FULL, BATCHES], ids=["full batch", "mini-batches"])
def test_on_a_cluster_the_run_is_the_one_in_process(settings):
    distributed = pytest.importorskip("distributed")
    reference = run(chunks.from_arrays(X, Y, rows=200), **settings)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster),
    ):
        same(run(collections((200, 200, 200, 100)), **settings), reference)
