"""Fits of data read a chunk at a time: memory-mapped and ``.npy`` files, Parquet files, Dask
arrays and DataFrames (:mod:`descend.chunks`), in this process or on a Dask cluster
(:mod:`descend.cluster`), through :class:`descend.kernels.chunked.ChunkedTraining`.

The promise held here: a fit of any of these gives, bit for bit, the fit of the same rows in
memory split at the same rows (:func:`descend.chunks.from_arrays`, or hand-made
:class:`~descend.chunks.ArrayRows`), wherever the chunks are; and it reaches the optimum of
the fit of the whole arrays in memory (to rounding, the sums being added in another order).
"""

from __future__ import annotations

import itertools
import math
import os
import warnings

import numpy as np
import pytest
import scipy.sparse
from sklearn.exceptions import ConvergenceWarning

from descend import GDClassifier, GDRegressor, chunks, cluster, kernels, losses
from descend.kernels import chunked, compiled, policy

N, D = 240, 4
QUICK = dict(max_epochs=12, random_state=0)


@pytest.fixture(scope="module")
def rows():
    """A small data set: features, a real target, weights, two and three classes."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, D))
    y = X @ np.array([1.5, -2.0, 0.5, 0.0]) + 0.3 + 0.1 * rng.normal(size=N)
    w = rng.uniform(0.25, 2.0, size=N)
    scores = X[:, :3] + 0.5 * rng.normal(size=(N, 3))
    three = np.array(["ant", "bee", "cat"])[np.argmax(scores, axis=1)]
    two = np.where(X[:, 0] + 0.5 * rng.normal(size=N) > 0, "yes", "no")
    return dict(X=X, y=y, w=w, three=three, two=two)


def split_at(X, y=None, w=None, sizes=None, names=None) -> chunks.Chunks:
    """Arrays in memory as chunks of the given sizes, in order: the reference fits."""
    bounds = np.cumsum([0, *sizes]).tolist()
    assert bounds[-1] == X.shape[0]
    sources = [chunks.ArrayRows(X, y, w, a, b) for a, b in itertools.pairwise(bounds)]
    dtype = np.dtype(np.float32) if X.dtype == np.float32 else np.dtype(np.float64)
    return chunks.Chunks(
        sources, X.shape[1], dtype, feature_names=names, has_targets=y is not None,
        has_weights=w is not None,
    )  # fmt: skip


def fit(kind, X, y=None, **params):
    """``kind(**QUICK, **params).fit(X, y)``, quiet about stopping at max_epochs."""
    sample_weight = params.pop("sample_weight", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return kind(**{**QUICK, **params}).fit(X, y, sample_weight=sample_weight)


def assert_same_fit(got, want):
    """Two fits end alike, bit for bit: weights, epochs, passes, reason, and every column of
    the record but the time."""
    assert np.array_equal(got.coef_, want.coef_)
    assert np.array_equal(got.intercept_, want.intercept_)
    assert (got.n_iter_, got.n_passes_, got.stop_reason_) == (
        want.n_iter_, want.n_passes_, want.stop_reason_,
    )  # fmt: skip
    assert got.history_.columns == want.history_.columns
    for column in want.history_.columns:
        if column != "time":
            assert np.array_equal(
                getattr(got.history_, column), getattr(want.history_, column), equal_nan=True
            ), column


# ----------------------------------------------------------------------- memory-mapped


def _memmap(tmp_path, X, dtype):
    path = tmp_path / f"X-{np.dtype(dtype).name}.bin"
    out = np.memmap(path, dtype=dtype, mode="w+", shape=X.shape)
    out[:] = X
    out.flush()
    del out
    return np.memmap(path, dtype=dtype, mode="r", shape=X.shape)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_memmap_fits_as_its_rows_in_memory(tmp_path, rows, dtype):
    X, y, w = rows["X"], rows["y"], rows["w"]
    mapped = _memmap(tmp_path, X, dtype)
    data = chunks.from_npy(mapped, y, w, rows=70)
    assert data.rows == [70, 70, 70, 30] and data.dtype == np.dtype(dtype)
    assert all(isinstance(s, chunks.FileRows) for s in data.sources)
    X = X.astype(dtype)
    want = fit(GDRegressor, split_at(X, y, w, data.rows))
    assert_same_fit(fit(GDRegressor, data), want)
    # the memmap itself (one chunk by default), weights as an array
    whole = fit(GDRegressor, mapped, y, sample_weight=w)
    assert_same_fit(whole, fit(GDRegressor, split_at(X, y, w, [N])))
    assert whole.coef_.dtype == np.float64


def test_a_npy_path_and_targets_from_npy_paths(tmp_path, rows):
    X, y, w = rows["X"], rows["y"], rows["w"]
    for name, values in (("X", X), ("y", y), ("w", w)):
        np.save(tmp_path / f"{name}.npy", values)
    data = chunks.from_npy(tmp_path / "X.npy", str(tmp_path / "y.npy"), tmp_path / "w.npy",
                           rows=100)  # fmt: skip
    assert data.rows == [100, 100, 40]
    X = X
    assert_same_fit(fit(GDRegressor, data), fit(GDRegressor, split_at(X, y, w, data.rows)))
    by_path = fit(GDRegressor, str(tmp_path / "X.npy"), y, sample_weight=str(tmp_path / "w.npy"))
    assert_same_fit(by_path, fit(GDRegressor, split_at(X, y, w, [N])))


@pytest.mark.parametrize(
    "view",
    [
        pytest.param(lambda m: m[37:211], id="rows-at-an-odd-offset"),
        pytest.param(lambda m: m[1:], id="rows-from-1"),
        pytest.param(lambda m: m[:, 1:3], id="columns"),
        pytest.param(lambda m: m[::3], id="every-third-row"),
    ],
)
def test_a_view_of_a_memmap_fits_as_its_rows(tmp_path, rows, view):
    X = rows["X"]
    np.save(tmp_path / "X.npy", X)
    part = view(np.load(tmp_path / "X.npy", mmap_mode="r"))
    expected = np.array(view(X))
    target = expected @ np.arange(1.0, expected.shape[1] + 1)
    data = chunks.from_npy(part, target, rows=40)
    loaded = [chunks.prepare(s.load(), chunks.Prep()).X for s in data.sources]
    assert np.array_equal(np.concatenate(loaded), expected)
    if not loaded[0].flags.writeable:  # rows of the file, not a copy
        expected = expected
    want = fit(GDRegressor, split_at(expected, target, None, data.rows))
    assert_same_fit(fit(GDRegressor, data), want)


# ----------------------------------------------------------------------------- Parquet


def _write_parquet(path, X, columns=None, row_group_size=None, **extra):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    columns = columns or [f"x{j}" for j in range(X.shape[1])]
    table = {c: X[:, j] for j, c in enumerate(columns)}
    table.update(extra)
    pq.write_table(pa.table(table), path, row_group_size=row_group_size)
    return path


NAMES = ["x0", "x1", "x2", "x3"]


@pytest.fixture(scope="module")
def parquet(tmp_path_factory, rows):
    """Three Parquet files of 80 rows each, in row groups of 20, in two folders: "real" with
    x0..x3, "t" (the real target) and "w" (the weights); "classes" with x0..x3, "label"
    (three classes, as text) and "w"."""
    pytest.importorskip("pyarrow")
    folders = {}
    for kind, target, values in (("real", "t", rows["y"]), ("classes", "label", rows["three"])):
        folder = tmp_path_factory.mktemp(kind)
        for i in range(3):
            s = slice(80 * i, 80 * (i + 1))
            _write_parquet(folder / f"part-{i}.parquet", rows["X"][s], row_group_size=20,
                           **{target: values[s], "w": rows["w"][s]})  # fmt: skip
        folders[kind] = folder
    return folders


def test_parquet_files_by_list_or_glob_fit_as_their_rows_in_memory(rows, parquet):
    X, y, w = rows["X"], rows["y"], rows["w"]
    folder = parquet["real"]
    paths = sorted(str(p) for p in folder.glob("*.parquet"))
    data = chunks.from_parquet(paths, "t", "w")
    assert data.rows == [80, 80, 80] and data.feature_names == NAMES
    want = fit(GDRegressor, split_at(X, y, w, [80, 80, 80]))
    assert_same_fit(fit(GDRegressor, data), want)
    by_glob = fit(GDRegressor, str(folder / "*.parquet"), "t", sample_weight="w")
    assert_same_fit(by_glob, want)
    assert by_glob.feature_names_in_.tolist() == NAMES and by_glob.n_features_in_ == D
    # without sample_weight, "w" is one more feature
    unweighted = fit(GDRegressor, paths, "t")
    assert unweighted.feature_names_in_.tolist() == [*NAMES, "w"]
    with_w = np.column_stack([X, w])
    assert_same_fit(unweighted, fit(GDRegressor, split_at(with_w, y, None, [80, 80, 80])))


@pytest.mark.parametrize(
    "chunk_bytes, sizes",
    [
        (1, [20] * 12),  # never less than a row group
        (40 * 8 * D, [40, 40] * 3),  # two row groups of 20 rows of 4 float64 features
        (60 * 8 * D + 1, [60, 20] * 3),
    ],
)
def test_parquet_row_groups_make_chunks_of_chunk_bytes(rows, parquet, chunk_bytes, sizes):
    data = chunks.from_parquet(parquet["real"] / "*.parquet", "t", "w", chunk_bytes=chunk_bytes)
    assert data.rows == sizes
    loaded = [s.load() for s in data.sources]
    assert np.array_equal(np.concatenate([p.X for p in loaded]), rows["X"])
    assert np.array_equal(np.concatenate([p.y for p in loaded]), rows["y"])
    want = fit(GDRegressor, split_at(rows["X"], rows["y"], rows["w"], sizes))
    assert_same_fit(fit(GDRegressor, data), want)


def test_a_classifier_on_parquet_files_with_a_text_target(rows, parquet):
    X, three, w = rows["X"], rows["three"], rows["w"]
    clf = fit(GDClassifier, str(parquet["classes"] / "*.parquet"), "label", sample_weight="w")
    assert clf.classes_.tolist() == ["ant", "bee", "cat"]
    assert clf.feature_names_in_.tolist() == NAMES
    assert_same_fit(clf, fit(GDClassifier, split_at(X, three, w, [80, 80, 80])))


# -------------------------------------------------------------------------------- Dask


def test_a_dask_array_of_unknown_chunk_sizes(rows):
    da = pytest.importorskip("dask.array")
    X, y, w = rows["X"], rows["y"], rows["w"]
    keep = (np.arange(N) % 7 != 3) & (X[:, 3] < 1.2)
    mask = da.from_array(keep, chunks=60)
    dX = da.from_array(X, chunks=(60, 2))[mask]  # columns in two blocks too
    dy, dw = (da.from_array(v, chunks=60)[mask] for v in (y, w))
    assert np.isnan(dX.chunks[0][0])
    data = chunks.from_dask(dX, dy, dw)
    assert data.rows == [int(keep[a : a + 60].sum()) for a in range(0, N, 60)]
    want = fit(GDRegressor, split_at(X[keep], y[keep], w[keep], data.rows))
    assert_same_fit(fit(GDRegressor, dX, dy, sample_weight=dw), want)
    # targets and weights in memory, split as X is
    assert_same_fit(fit(GDRegressor, dX, y[keep], sample_weight=w[keep]), want)


@pytest.fixture(scope="module")
def frame(rows):
    """The rows as a pandas DataFrame: x0..x3, "t", "w" and "label" (categorical text)."""
    pd = pytest.importorskip("pandas")
    table = pd.DataFrame(rows["X"], columns=NAMES)
    table["t"], table["w"] = rows["y"], rows["w"]
    table["label"] = pd.Categorical(rows["three"])
    return table


def test_a_dask_dataframe_with_an_empty_partition(rows, frame):
    dd = pytest.importorskip("dask.dataframe")
    X, y, w = rows["X"], rows["y"], rows["w"]
    table = dd.from_pandas(frame, npartitions=4)
    kept = table.map_partitions(lambda part: part[(part.index < 60) | (part.index >= 120)])
    assert kept.map_partitions(len).compute().tolist() == [60, 0, 60, 60]
    data = chunks.from_dask(kept[NAMES], kept["t"], kept["w"])
    assert data.rows == [60, 60, 60] and data.feature_names == NAMES
    keep = np.r_[0:60, 120:240]
    want = fit(GDRegressor, split_at(X[keep], y[keep], w[keep], data.rows, NAMES))
    got = fit(GDRegressor, kept[NAMES], kept["t"], sample_weight=kept["w"])
    assert_same_fit(got, want)
    assert got.feature_names_in_.tolist() == NAMES
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning about the features' names
        assert np.array_equal(got.predict(frame[NAMES]), want.predict(frame[NAMES]))
    # the target as an array in memory
    assert_same_fit(fit(GDRegressor, kept[NAMES], y[keep], sample_weight=w[keep]), want)


def test_a_categorical_text_target_of_a_dask_dataframe(rows, frame):
    dd = pytest.importorskip("dask.dataframe")
    table = dd.from_pandas(frame, npartitions=3)
    clf = fit(GDClassifier, table[NAMES], table["label"])
    assert clf.classes_.tolist() == ["ant", "bee", "cat"]
    want = fit(GDClassifier, split_at(rows["X"], rows["three"], None, [80, 80, 80]))
    assert_same_fit(clf, want)
    assert np.array_equal(clf.predict(frame[NAMES]), want.predict(rows["X"]))
    # class_weight="balanced" counts the classes of the Dask Series
    balanced = fit(GDClassifier, table[NAMES], table["label"], class_weight="balanced")
    want = fit(GDClassifier, split_at(rows["X"], rows["three"], None, [80, 80, 80]),
               class_weight="balanced")  # fmt: skip
    assert_same_fit(balanced, want)


# ---------------------------------------------------------------- the estimators' features


@pytest.fixture(scope="module")
def mapped(tmp_path_factory, rows):
    """rows["X"] in a .npy file, mapped read-only."""
    path = tmp_path_factory.mktemp("npy") / "X.npy"
    np.save(path, rows["X"])
    return np.load(path, mmap_mode="r")


STEPS = {
    "lbfgs": dict(),
    "adam": dict(batch_size=32, optimizer="adam"),
    "gd-in-order": dict(batch_size=32, optimizer="gd", shuffle=False),
}


@pytest.mark.parametrize("steps", STEPS)
def test_a_regressor_on_chunks_is_the_fit_of_the_same_chunks_in_memory(rows, mapped, steps):
    X, y, w = rows["X"], rows["y"], rows["w"]
    got = fit(GDRegressor, chunks.from_npy(mapped, y, w, rows=64), **STEPS[steps])
    want = fit(GDRegressor, chunks.from_arrays(X, y, w, rows=64), **STEPS[steps])
    assert_same_fit(got, want)
    assert got.history_.columns == ("epoch", "loss", "learning_rate", "time", "sse")
    assert got.n_passes_ >= got.n_iter_ + 1
    in_memory = fit(GDRegressor, X, y, sample_weight=w, **STEPS[steps])
    assert got.history_.columns == in_memory.history_.columns


@pytest.mark.parametrize("steps", STEPS)
@pytest.mark.parametrize("target", ["two", "three"])
def test_a_classifier_on_chunks_is_the_fit_of_the_same_chunks_in_memory(
    rows, mapped, steps, target
):
    X, labels, w = rows["X"], rows[target], rows["w"]
    got = fit(GDClassifier, chunks.from_npy(mapped, labels, w, rows=64), **STEPS[steps])
    want = fit(GDClassifier, chunks.from_arrays(X, labels, w, rows=64), **STEPS[steps])
    assert_same_fit(got, want)
    k = len(set(labels))
    assert got.classes_.tolist() == sorted(set(labels))
    assert got.coef_.shape == (1 if k == 2 else k, D)
    assert {"accuracy", "error_rate"} <= set(got.history_.columns)
    assert got.predict_proba(X).shape == (N, k)


def test_mini_batches_follow_the_seed_and_shuffle(rows, mapped):
    data = chunks.from_npy(mapped, rows["y"], rows=64)
    runs = {
        (seed, shuffle): fit(GDRegressor, data, batch_size=32, optimizer="gd", max_epochs=3,
                             tol=None, random_state=seed, shuffle=shuffle).coef_
        for seed in (0, 1) for shuffle in (True, False)
    }  # fmt: skip
    assert not np.array_equal(runs[0, True], runs[1, True])
    assert not np.array_equal(runs[0, True], runs[0, False])
    assert np.array_equal(runs[0, False], runs[1, False])  # in order, the seed is not used


def test_sample_weights_change_a_chunked_fit_as_they_change_one_in_memory(rows, mapped):
    X, y, w = rows["X"], rows["y"], rows["w"]
    data = chunks.from_npy(mapped, y, w, rows=64)
    doubled = chunks.from_npy(mapped, y, 2 * w, rows=64)
    weighted, twice = fit(GDRegressor, data), fit(GDRegressor, doubled)
    # the mean loss divides by the weights' sum: doubling them changes nothing but rounding
    np.testing.assert_allclose(twice.coef_, weighted.coef_, rtol=1e-12)
    whole_rows = chunks.from_npy(mapped, y, np.round(w + 0.5), rows=64)
    repeated = np.repeat(np.arange(N), np.round(w + 0.5).astype(int))
    as_weights = GDRegressor(random_state=0).fit(whole_rows, None)
    as_rows = GDRegressor(random_state=0).fit(X[repeated], y[repeated])
    np.testing.assert_allclose(as_weights.coef_, as_rows.coef_, rtol=1e-7)


def test_a_callback_stops_a_chunked_fit(rows, mapped):
    seen = []

    def watch(info):
        seen.append(info.nit)
        return info.nit == 3

    data = chunks.from_npy(mapped, rows["three"], rows=64)
    clf = GDClassifier(batch_size=32, optimizer="gd", tol=None, max_epochs=50, callback=watch,
                       random_state=0).fit(data, None)  # fmt: skip
    assert clf.stop_reason_ == "callback" and clf.n_iter_ == 3 and seen == [1, 2, 3]
    assert len(clf.history_.loss) == 4 and clf.stop_message_ == "The callback asked to stop."


def test_warm_start_goes_on_from_the_last_chunked_fit(rows, mapped):
    X, labels = rows["X"], rows["three"]
    fits = []
    for data in (chunks.from_npy(mapped, labels, rows=64), chunks.from_arrays(X, labels, rows=64)):
        clf = GDClassifier(warm_start=True, max_epochs=3, tol=None, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(data, None)
            first = (clf.coef_.copy(), clf.history_.loss[-1])
            clf.fit(data, None)
        assert clf.history_.loss[0] == first[1]  # the second fit starts where the first ended
        assert not np.array_equal(clf.coef_, first[0])
        fits.append(clf)
    assert_same_fit(*fits)


EARLY = dict(early_stopping=True, n_iter_no_change=3, random_state=5)


@pytest.mark.parametrize(
    "kind, target, params",
    [
        (GDRegressor, "y", dict()),
        (GDClassifier, "three", dict(batch_size=16, optimizer="adam")),
    ],
    ids=["regressor-lbfgs", "classifier-adam"],
)
def test_early_stopping_holds_each_chunks_share_out(rows, kind, target, params):
    X, labels = rows["X"], rows[target]
    data = split_at(X, labels, sizes=[50, 70, N - 120])
    got = fit(kind, data, **EARLY, **params)
    assert "val_loss" in got.history_.columns
    assert got.stop_reason_ in ("n_iter_no_change", "max_epochs")
    assert_same_fit(fit(kind, data, **EARLY, **params), got)  # the same seed, the same split
    # the held-out rows: a tenth of each chunk (of each class's rows in it), rounded
    prep = chunks.Prep(classes=got.classes_ if kind is GDClassifier else None, held_out=0.1)
    first = data.sources[1].load()
    index = np.searchsorted(got.classes_, first.y) if kind is GDClassifier else None
    part = chunks.Part(first.X, first.y if index is None else index, None)
    split = chunks.hold_out(part, prep, 50)
    assert len(split.held.X) + len(split.train.X) == 70
    if kind is GDClassifier:
        for c in range(3):
            assert (split.held.y == c).sum() == math.floor(0.1 * (index == c).sum() + 0.5)
    else:
        assert len(split.held.X) == 7


def test_early_stopping_with_a_share_that_rounds_to_nothing_says_so(rows):
    data = split_at(rows["X"], rows["y"], sizes=[4] * (N // 4))
    with pytest.raises(ValueError, match="0 validation rows"):
        GDRegressor(early_stopping=True, validation_fraction=0.1).fit(data)


@pytest.mark.parametrize(
    "kind, target", [(GDRegressor, "y"), (GDClassifier, "three"), (GDClassifier, "two")]
)
def test_the_default_chunked_fit_reaches_the_optimum_in_memory(rows, mapped, kind, target):
    X, labels, w = rows["X"], rows[target], rows["w"]
    got = kind(random_state=0).fit(chunks.from_npy(mapped, labels, w, rows=50), None)
    want = kind(random_state=0).fit(X, labels, sample_weight=w)
    assert got.stop_reason_ == want.stop_reason_ == "tol"
    assert abs(got.history_.loss[-1] - want.history_.loss[-1]) <= 1e-8 * want.history_.loss[-1]
    np.testing.assert_allclose(got.coef_, want.coef_, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("class_weight", ["balanced", {"ant": 3.0, "cat": 0.5}])
def test_class_weight_weighs_the_rows_of_chunks(rows, mapped, class_weight):
    from sklearn.utils.class_weight import compute_class_weight

    X, labels, w = rows["X"], rows["three"], rows["w"]
    classes = np.array(["ant", "bee", "cat"])
    per_class = compute_class_weight(class_weight, classes=classes, y=labels)
    as_weights = w * per_class[np.searchsorted(classes, labels)]
    got = fit(GDClassifier, chunks.from_npy(mapped, labels, w, rows=64), class_weight=class_weight)
    assert_same_fit(got, fit(GDClassifier, chunks.from_arrays(X, labels, as_weights, rows=64)))
    plain = fit(GDClassifier, chunks.from_npy(mapped, labels, w, rows=64))
    assert not np.allclose(got.coef_, plain.coef_)


def test_chunks_missing_classes_still_fit_every_class(rows, mapped):
    X, labels = rows["X"], rows["three"]
    order = np.argsort(labels, kind="stable")  # each chunk holds one or two classes
    data = chunks.from_arrays(X[order], labels[order], rows=50)
    assert min(len(set(s.targets())) for s in data.sources) == 1
    clf = fit(GDClassifier, data)
    assert clf.classes_.tolist() == ["ant", "bee", "cat"] and clf.coef_.shape == (3, D)
    np.testing.assert_allclose(clf.coef_, fit(GDClassifier, X, labels).coef_, rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("bad, kind", [(np.nan, "NaN"), (np.inf, "infinity")])
@pytest.mark.parametrize("estimator", [GDRegressor, GDClassifier])
def test_a_nan_in_a_memmap_chunk_is_named_by_its_row_and_column(tmp_path, rows, bad, kind,
                                                                estimator):  # fmt: skip
    X = rows["X"].copy()
    X[150, 2] = bad
    np.save(tmp_path / "X.npy", X)
    target = rows["y"] if estimator is GDRegressor else rows["three"]
    for mini_batch in (dict(), dict(batch_size=32, optimizer="gd")):
        with pytest.raises(ValueError, match=f"{kind}.* at row 150, column 2"):
            estimator(**mini_batch).fit(chunks.from_npy(tmp_path / "X.npy", target, rows=64),
                                        None)  # fmt: skip


def test_a_nan_in_a_dask_chunk_is_named_by_its_row_and_column(rows):
    da = pytest.importorskip("dask.array")
    X = rows["X"].copy()
    X[130, 1] = np.nan
    with pytest.raises(ValueError, match="NaN at row 130, column 1"):
        GDRegressor().fit(da.from_array(X, chunks=(50, D)), da.from_array(rows["y"], chunks=50))


def test_a_nan_in_a_parquet_file_is_named_by_file_row_and_column(tmp_path, rows):
    X, y = rows["X"][:80].copy(), rows["y"][:80]
    _write_parquet(tmp_path / "a.parquet", rows["X"][80:], t=rows["y"][80:])
    X[45, 2] = np.nan  # in the third row group of 20 rows
    _write_parquet(tmp_path / "b.parquet", X, row_group_size=20, t=y)
    with pytest.raises(ValueError, match=r"b\.parquet: row 46, column 'x2' \(3\) is not a finite"):
        GDRegressor().fit(chunks.from_parquet(tmp_path / "*.parquet", "t", chunk_bytes=1), None)


def test_a_text_feature_in_a_parquet_file_is_named(tmp_path, rows):
    _write_parquet(tmp_path / "a.parquet", rows["X"], t=rows["y"], city=["Oslo"] * N)
    with pytest.raises(ValueError, match=r"column 'city' \(6\) holds string values; feature"):
        GDRegressor().fit(str(tmp_path / "a.parquet"), "t")


def test_a_missing_target_or_weight_column_is_named(tmp_path, rows):
    path = str(_write_parquet(tmp_path / "a.parquet", rows["X"], t=rows["y"]))
    with pytest.raises(ValueError, match=r"has no column 'target'; its columns are \['x0'"):
        GDRegressor().fit(path, "target")
    with pytest.raises(ValueError, match="has no column 'weight'"):
        GDRegressor().fit(path, "t", sample_weight="weight")
    with pytest.raises(ValueError, match="with Parquet files, y is the name of a column"):
        GDRegressor().fit(path, rows["y"])
    with pytest.raises(ValueError, match="y was not given"):
        GDRegressor().fit(chunks.from_parquet(path, None), None)


def test_parquet_files_must_share_their_columns(tmp_path, rows):
    _write_parquet(tmp_path / "a.parquet", rows["X"], t=rows["y"])
    _write_parquet(tmp_path / "b.parquet", rows["X"], ["x0", "x1", "x2", "z"], t=rows["y"])
    with pytest.raises(ValueError, match=r"b\.parquet has the feature columns .*'z'"):
        GDRegressor().fit(str(tmp_path / "*.parquet"), "t")
    with pytest.raises(FileNotFoundError, match="no file matches"):
        GDRegressor().fit(str(tmp_path / "none-*.parquet"), "t")


def test_a_text_target_of_a_regressor_is_named_by_its_row(tmp_path, rows):
    labels = rows["y"].astype(str)
    labels[77] = "seven"
    with pytest.raises(ValueError, match=r"Invalid y: the target at row 77 is 'seven'"):
        GDRegressor().fit(chunks.from_arrays(rows["X"], labels, rows=50), None)


def test_a_negative_sample_weight_is_named_by_its_row(tmp_path, rows, mapped):
    w = rows["w"].copy()
    w[190] = -0.5
    with pytest.raises(ValueError, match=r"Invalid sample_weight: row 190 is -0\.5"):
        GDRegressor().fit(mapped, rows["y"], sample_weight=w)
    with pytest.raises(ValueError, match=r"Invalid sample_weight: row 190 is -0\.5"):
        GDRegressor().fit(chunks.from_npy(mapped, rows["y"], w, rows=64), None)
    da = pytest.importorskip("dask.array")
    with pytest.raises(ValueError, match=r"Invalid sample_weight: row 190 is -0\.5"):
        GDRegressor().fit(da.from_array(rows["X"], chunks=(50, D)), rows["y"],
                          sample_weight=da.from_array(w, chunks=50))  # fmt: skip


def test_a_negative_weight_in_a_parquet_file_is_named_by_file_row_and_column(tmp_path, rows):
    w = rows["w"].copy()
    w[165] = -2.0
    for i in range(3):
        s = slice(80 * i, 80 * (i + 1))
        _write_parquet(tmp_path / f"{i}.parquet", rows["X"][s], row_group_size=20,
                       t=rows["y"][s], w=w[s])  # fmt: skip
    where = r"2\.parquet: row 6, column 'w' \(6\) is negative: -2\.0"
    with pytest.raises(ValueError, match=where):
        GDRegressor().fit(str(tmp_path / "*.parquet"), "t", sample_weight="w")


def test_one_class_is_refused(rows, mapped):
    with pytest.raises(ValueError, match="at least two classes.*only one class: 'ant'"):
        GDClassifier().fit(chunks.from_npy(mapped, np.full(N, "ant"), rows=64), None)


def test_targets_and_weights_of_the_wrong_length_are_refused(rows, mapped):
    with pytest.raises(ValueError, match="Invalid y: 239 values, but X has 240 rows"):
        GDRegressor().fit(mapped, rows["y"][:-1])
    with pytest.raises(ValueError, match="Invalid sample_weight: 241 values, but X has 240 rows"):
        GDRegressor().fit(mapped, rows["y"], sample_weight=np.ones(N + 1))
    da = pytest.importorskip("dask.array")
    dX = da.from_array(rows["X"], chunks=(60, D))
    with pytest.raises(ValueError, match="Invalid y: 239 values, but X has 240 rows"):
        GDRegressor().fit(dX, rows["y"][:-1])
    with pytest.raises(ValueError, match=r"Invalid y: its blocks hold \[50, 50, 50, 50, 40\]"):
        GDRegressor().fit(dX, da.from_array(rows["y"], chunks=50))


def test_a_path_that_is_not_npy_or_parquet_is_refused(tmp_path, rows):
    (tmp_path / "X.csv").write_text("1,2\n")
    with pytest.raises(ValueError, match="a path must name a .npy file or Parquet files"):
        GDRegressor().fit(str(tmp_path / "X.csv"), rows["y"])
    with pytest.raises(ValueError, match="a path must name a .npy file or Parquet files"):
        GDRegressor().fit([str(tmp_path / "a.npy"), str(tmp_path / "b.parquet")], "t")
    with pytest.raises(ValueError, match=r"missing\.npy: cannot be read as a \.npy file"):
        GDRegressor().fit(str(tmp_path / "missing.npy"), rows["y"])
    np.save(tmp_path / "cube.npy", np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="Invalid X: a 3-d array in a file; expected 2-d"):
        GDRegressor().fit(str(tmp_path / "cube.npy"), np.zeros(2))


# ------------------------------------------------------------------------ a Dask cluster


@pytest.fixture(scope="module", params=[1, 2, pytest.param(4, marks=pytest.mark.slow)])
def dask_cluster(request):
    """An in-process Dask cluster of 1, 2 or 4 workers of one thread each."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=request.param, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as running:  # fmt: skip
        yield running


@pytest.fixture
def on_cluster(dask_cluster, monkeypatch):
    """A function running a fit on the cluster, and the executors it made there."""
    from distributed import Client

    made = []

    class Watched(cluster.Dask):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(cluster, "Dask", Watched)

    def run(kind, X, y, **params):
        with Client(dask_cluster):
            return fit(kind, X, y, **params)

    return run, made


CLUSTER_FITS = {
    "regressor-lbfgs": (GDRegressor, "y", dict()),
    "regressor-early-stopping": (GDRegressor, "y", dict(early_stopping=True, random_state=2)),
    "regressor-adam": (GDRegressor, "y", dict(batch_size=32, optimizer="adam")),
    "classifier-lbfgs": (GDClassifier, "three", dict(class_weight="balanced")),
    "classifier-gd": (GDClassifier, "two", dict(batch_size=16, optimizer="gd")),
}


@pytest.mark.parametrize("case", CLUSTER_FITS)
def test_a_fit_on_a_dask_cluster_is_the_fit_in_this_process(rows, on_cluster, case):
    da = pytest.importorskip("dask.array")
    run, made = on_cluster
    kind, target, params = CLUSTER_FITS[case]
    X, labels, w = rows["X"], rows[target], rows["w"]
    want = fit(kind, chunks.from_arrays(X, labels, w, rows=48), **params)
    dX = da.from_array(X, chunks=(48, D))
    dy, dw = (da.from_array(v, chunks=48) for v in (labels, w))
    got = run(kind, dX, dy, sample_weight=dw, **params)
    assert len(made) == 1 and made[0].reloaded == 0  # every chunk ran where it was held
    assert_same_fit(got, want)


def test_files_fit_on_a_dask_cluster_as_in_this_process(rows, parquet, mapped, on_cluster):
    run, made = on_cluster
    X, y, w = rows["X"], rows["y"], rows["w"]
    files = str(parquet["real"] / "*.parquet")
    got = run(GDRegressor, files, "t", sample_weight="w", batch_size=32, optimizer="adam")
    want = fit(GDRegressor, split_at(X, y, w, [80, 80, 80]), batch_size=32, optimizer="adam")
    assert_same_fit(got, want)
    got = run(GDRegressor, chunks.from_npy(mapped, y, w, rows=64), None)
    assert_same_fit(got, fit(GDRegressor, chunks.from_arrays(X, y, w, rows=64)))
    assert len(made) == 2 and made[0].reloaded == made[1].reloaded == 0


# ------------------------------------------------------------ the NumPy twin and threads


@pytest.mark.parametrize(
    "kind, target, loss",
    [(GDClassifier, "three", "log_loss"), (GDClassifier, "three", "squared_error"),
     (GDRegressor, "y", "huber")],
)  # fmt: skip
def test_the_numpy_kernels_fit_chunks_as_the_compiled_ones(
    rows, mapped, monkeypatch, kind, target, loss
):
    data = chunks.from_npy(mapped, rows[target], rows["w"], rows=64)
    for steps in (dict(), dict(batch_size=32, optimizer="adam")):
        compiled_fit = fit(kind, data, loss=loss, **steps)
        with monkeypatch.context() as patched:
            patched.setenv("DESCEND_KERNELS", "numpy")
            numpy_fit = fit(kind, data, loss=loss, **steps)
        assert numpy_fit.n_iter_ == compiled_fit.n_iter_
        np.testing.assert_allclose(numpy_fit.coef_, compiled_fit.coef_, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(
            numpy_fit.history_.loss, compiled_fit.history_.loss, rtol=1e-10, atol=0
        )  # fmt: skip


def _chunk(layout, n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    if layout == "csr":
        X[np.abs(X) < 0.6] = 0.0
        return scipy.sparse.csr_matrix(X), rng
    return X.astype(np.float32 if layout == "float32" else np.float64), rng


CLASS_LOSSES = sorted(name for name, cls in losses.LOSSES.items() if cls.classification)
SUM_CASES = [(name, 1) for name in sorted(losses.LOSSES)] + [
    (name, 3) for name in [*CLASS_LOSSES, "squared_error"]
]


# float64 runs in the quick suite; the other layouts compile kernels of their own
LAYOUTS = ["float64", *(pytest.param(v, marks=pytest.mark.slow) for v in ("float32", "csr"))]


@pytest.mark.parametrize("name, k", SUM_CASES, ids=[f"{n}-k{k}" for n, k in SUM_CASES])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_numpy_twin_of_a_chunks_sums(name, k, layout):
    loss = losses.get(name)
    X, rng = _chunk(layout, 53, 5, seed=len(name) + k)
    classes = loss.classification or k > 1
    if not classes:
        y = rng.normal(size=53)
    else:
        y = rng.integers(0, 2 if k == 1 else k, 53).astype(np.float64 if k == 1 else np.int64)
    w = rng.uniform(0.2, 2.0, 53)
    model = kernels.LinearModel(5, k, fit_intercept=True)
    theta = rng.normal(0, 0.5, model.size)
    G, stats = compiled.chunk_sums(theta, X, y, w, model=model, loss=loss)
    G_np, stats_np = chunked.sums_numpy(theta, X, y, w, model=model, loss=loss)
    tol = dict(rtol=2e-4, atol=2e-5) if layout == "float32" else dict(rtol=1e-10, atol=1e-12)
    assert G.shape == G_np.shape == (6, k)
    np.testing.assert_allclose(G_np, G, **tol)
    seen = [0, 1, 3] + ([2] if classes else [])  # right predictions count for classes only
    np.testing.assert_allclose(stats_np[seen], stats[seen], **tol)


@pytest.mark.parametrize("k", [1, pytest.param(3, marks=pytest.mark.slow)])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_chunks_sums_do_not_depend_on_the_threads(layout, k):
    numba = pytest.importorskip("numba")
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("one thread only")
    X, rng = _chunk(layout, 65536, 16, seed=k)
    size = X.data.nbytes if layout == "csr" else X.nbytes
    assert size >= 2 * policy.BYTES_PER_THREAD  # split in blocks by its size
    n = X.shape[0]
    y = rng.integers(0, 2 if k == 1 else k, n).astype(np.float64 if k == 1 else np.int64)
    w = rng.uniform(0.2, 2.0, n)
    model = kernels.LinearModel(16, k, fit_intercept=True)
    theta = rng.normal(0, 0.1, model.size)
    loss = losses.get("log_loss")
    before = numba.get_num_threads()
    found = []
    try:
        for threads in (1, 2, 1):
            numba.set_num_threads(threads)
            found.append(compiled.chunk_sums(theta, X, y, w, model=model, loss=loss))
    finally:
        numba.set_num_threads(before)
    for G, stats in found[1:]:
        assert np.array_equal(G, found[0][0]) and np.array_equal(stats, found[0][1])


_SUMS_SCRIPT = """
import sys
import numpy as np
from descend import kernels, losses
from descend.kernels import compiled
rng = np.random.default_rng(0)
out = []
for dtype in (np.float64, np.float32):
    X = rng.normal(size=(20_000, 40)).astype(dtype)
    for name, k in (("log_loss", 1), ("squared_error", 1), ("log_loss", 3)):
        y = rng.integers(0, 2 if k == 1 else k, 20_000)
        y = y.astype(float) if k == 1 else y
        model = kernels.LinearModel(40, k, True)
        G, s = compiled.chunk_sums(rng.normal(size=model.size), X, y, None, model=model,
                                   loss=losses.get(name))
        out.append(np.concatenate([G.ravel(), s]))
np.save(sys.argv[1], np.concatenate(out))
"""


@pytest.mark.slow
def test_a_chunks_sums_are_the_same_compiled_here_or_loaded_from_the_cache(tmp_path):
    """The first process compiles the kernels into an empty cache, the second loads them:
    their sums agree bit for bit (a cluster's workers load what another process compiled)."""
    import subprocess
    import sys

    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    found = []
    for run in ("compiled", "loaded"):
        out = tmp_path / f"{run}.npy"
        subprocess.run([sys.executable, "-c", _SUMS_SCRIPT, str(out)], env=env, check=True)
        found.append(np.load(out))
    assert np.array_equal(found[0], found[1])
