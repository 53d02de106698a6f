"""Predictions for Dask collections: lazy Dask arrays, block by block, the predictions for
the same rows in memory."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_iris

from descend import GDClassifier, GDRegressor

da = pytest.importorskip("dask.array")
X, Y = load_iris(return_X_y=True)


@pytest.fixture(scope="module")
def classifier():
    return GDClassifier(max_epochs=30, tol=None).fit(X, Y)


@pytest.mark.parametrize(
    "method", ["predict", "decision_function", "predict_proba", "predict_log_proba"]
)
def test_a_dask_array_gives_a_lazy_array_of_the_same_predictions(classifier, method):
    blocks = da.from_array(X, chunks=(40, 2))  # columns in two blocks too
    found = getattr(classifier, method)(blocks)
    assert isinstance(found, da.Array)
    # each row's output alone (BLAS may round a block's rows apart from the whole's)
    np.testing.assert_allclose(found.compute(), getattr(classifier, method)(X), rtol=1e-12)


def test_a_dask_dataframe_keeps_its_column_names():
    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd

    frame = pd.DataFrame(X[:, :3], columns=["a", "b", "c"])
    model = GDRegressor(max_epochs=30, tol=None).fit(frame, X[:, 3])
    found = model.predict(dd.from_pandas(frame, npartitions=4))
    np.testing.assert_allclose(found.compute(), model.predict(frame), rtol=1e-12)


def test_an_unfitted_model_says_so_before_any_block_runs():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        GDClassifier().predict(da.from_array(X, chunks=50))
