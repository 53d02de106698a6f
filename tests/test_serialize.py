"""descend.estimators.serialize: bit-identical round trips through plain JSON, atomic saving,
and every way a model file can be refused."""

import copy
import json
import re
import warnings

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import StandardScaler

from descend import GDClassifier, GDRegressor, datafiles, losses, optimizers, schedules
from descend.estimators import serialize
from descend.estimators.serialize import Model, ModelFileError, from_dict, load, save, to_dict

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _regression(n=120, d=3, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * scale
    y = X @ rng.normal(size=d) + 0.5 + 0.1 * rng.normal(size=n)
    return X, y


def _classes(labels, n=150, d=3, seed=0):
    """Separable-ish clusters, one per label."""
    rng = np.random.default_rng(seed)
    index = np.arange(n) % len(labels)
    centres = 3.0 * rng.normal(size=(len(labels), d))
    return centres[index] + rng.normal(size=(n, d)), np.asarray(labels)[index]


def _reload(tmp_path, estimator, **kwargs) -> Model:
    path = save(tmp_path / "model.json", estimator, **kwargs)
    return load(path)


def _same(a, b):
    """Equal bit for bit, dtype included."""
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)


# ---------------------------------------------------------------------- round trips


def test_regressor_round_trip_is_bit_identical(tmp_path):
    X, y = _regression()
    reg = GDRegressor(max_epochs=60, batch_size=16, random_state=3).fit(X, y)
    model = _reload(tmp_path, reg)
    est = model.estimator
    assert type(est) is GDRegressor and model.kind == "regressor"
    X_new = _regression(seed=9)[0]
    assert _same(est.predict(X_new), reg.predict(X_new))
    assert _same(model.predict(X_new), reg.predict(X_new))
    assert est.score(X, y) == reg.score(X, y)
    assert _same(est.coef_, reg.coef_) and _same(est.intercept_, reg.intercept_)
    assert (est.n_iter_, est.stop_reason_, est.stop_message_) == (
        reg.n_iter_,
        reg.stop_reason_,
        reg.stop_message_,
    )
    assert est.get_params() == reg.get_params()
    assert model.n_features_in == 3 and model.scaler_mean is None and model.extra == {}


def test_regressor_without_intercept(tmp_path):
    X, y = _regression()
    reg = GDRegressor(fit_intercept=False, max_epochs=40).fit(X, y)
    est = _reload(tmp_path, reg).estimator
    assert est._model.fit_intercept is False and est._theta.size == 3
    assert _same(est.predict(X), reg.predict(X))
    assert _same(est.intercept_, reg.intercept_)


def test_binary_log_loss_classifier(tmp_path):
    X, y = _classes([0, 1])
    clf = GDClassifier(max_epochs=80).fit(X, y)
    est = _reload(tmp_path, clf).estimator
    for method in ("predict", "decision_function", "predict_proba", "predict_log_proba"):
        assert _same(getattr(est, method)(X), getattr(clf, method)(X)), method
    assert _same(est.classes_, clf.classes_)
    assert est.score(X, y) == clf.score(X, y)


def test_three_classes_with_string_labels(tmp_path):
    X, y = _classes(["ant", "bee", "cat"])
    clf = GDClassifier(max_epochs=80).fit(X, y)
    model = _reload(tmp_path, clf)
    est = model.estimator
    assert est.coef_.shape == (3, 3) and est._model.n_outputs == 3
    for method in ("predict", "decision_function", "predict_proba"):
        assert _same(getattr(est, method)(X), getattr(clf, method)(X)), method
    assert _same(model.predict(X), clf.predict(X))
    assert _same(model.predict_proba(X), clf.predict_proba(X))
    assert est.classes_.dtype == clf.classes_.dtype  # '<U3', not object or wider


@pytest.mark.parametrize(
    "labels",
    [
        [-1, 1],
        [1.0, 2.0, 3.0],
        [False, True],
        np.array(["no", "yes"], dtype=object),
        [3, 7, 11, 2**40],
    ],
    ids=["ints", "floats", "bools", "object-strings", "big-ints"],
)
def test_class_label_types_survive(tmp_path, labels):
    X, y = _classes(labels)
    clf = GDClassifier(max_epochs=30).fit(X, y)
    est = _reload(tmp_path, clf).estimator
    assert _same(est.classes_, clf.classes_)
    assert _same(est.predict(X), clf.predict(X))


def test_multiclass_without_intercept_and_hinge(tmp_path):
    X, y = _classes([0, 1, 2])
    clf = GDClassifier(loss="hinge", fit_intercept=False, max_epochs=40).fit(X, y)
    est = _reload(tmp_path, clf).estimator
    assert _same(est.decision_function(X), clf.decision_function(X))
    assert _same(est.predict(X), clf.predict(X))
    assert not hasattr(est, "predict_proba")  # as on the original: hinge gives none


def test_squared_error_classifier_keeps_its_threshold(tmp_path):
    X, y = _classes([0, 1])
    clf = GDClassifier(loss="squared_error", max_epochs=40).fit(X, y)
    est = _reload(tmp_path, clf).estimator
    assert _same(est.decision_function(X), clf.decision_function(X))


def test_regressor_with_standard_scaler(tmp_path):
    X, y = _regression(scale=50.0)
    X = X + np.array([100.0, -3.0, 7.0])
    scaler = StandardScaler().fit(X)
    reg = GDRegressor(max_epochs=60).fit(scaler.transform(X), y)
    model = _reload(tmp_path, reg, scaler=scaler)
    X_new = _regression(seed=4, scale=50.0)[0]
    assert _same(model.transform(X_new), scaler.transform(X_new))
    assert _same(model.predict(X_new), reg.predict(scaler.transform(X_new)))
    assert _same(model.scaler_mean, scaler.mean_) and _same(model.scaler_scale, scaler.scale_)
    assert model.standardised


@pytest.mark.parametrize(("with_mean", "with_std"), [(False, True), (True, False)])
def test_partial_standardisation(tmp_path, with_mean, with_std):
    X, y = _regression()
    scaler = StandardScaler(with_mean=with_mean, with_std=with_std).fit(X)
    reg = GDRegressor(max_epochs=30).fit(scaler.transform(X), y)
    model = _reload(tmp_path, reg, scaler=scaler)
    assert (model.scaler_mean is None) is not with_mean
    assert (model.scaler_scale is None) is not with_std
    assert _same(model.predict(X), reg.predict(scaler.transform(X)))


def test_dataframe_feature_names(tmp_path):
    pd = pytest.importorskip("pandas")
    X, y = _regression()
    frame = pd.DataFrame(X, columns=["rooms", "age", "size"])
    reg = GDRegressor(max_epochs=30).fit(frame, y)
    model = _reload(tmp_path, reg)
    assert model.feature_names == ["rooms", "age", "size"]
    assert list(model.estimator.feature_names_in_) == ["rooms", "age", "size"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "X does not have valid feature names"
        assert _same(model.predict(frame), reg.predict(frame))
    with pytest.raises(ValueError, match="feature names"):
        model.estimator.predict(frame[["age", "rooms", "size"]])  # sklearn's own check holds


def test_feature_names_given_for_arrays(tmp_path):
    X, y = _regression()
    reg = GDRegressor(max_epochs=30).fit(X, y)
    model = _reload(tmp_path, reg, feature_names=["a", "b", "c"])
    assert model.feature_names == ["a", "b", "c"]
    assert not hasattr(model.estimator, "feature_names_in_")  # arrays predict without warning
    with pytest.raises(ValueError, match="2 feature names for 3 features"):
        to_dict(reg, feature_names=["a", "b"])


def test_settings_that_json_cannot_hold(tmp_path):
    X, y = _regression()
    schedule = schedules.ExponentialDecay(0.1, 0.99)
    reg = GDRegressor(
        learning_rate=schedule, random_state=np.random.default_rng(1), max_epochs=20
    ).fit(X, y)
    data = to_dict(reg)
    assert data["params"]["learning_rate"] is None and data["params"]["random_state"] is None
    assert data["unsaved_params"]["learning_rate"] == repr(schedule)
    assert data["unsaved_params"]["random_state"].startswith("Generator(")
    est = _reload(tmp_path, reg).estimator
    assert est.learning_rate == "auto" and est.random_state is None  # the defaults
    assert _same(est.predict(X), reg.predict(X))


def test_optimizer_object_is_noted(tmp_path):
    X, y = _regression()
    reg = GDRegressor(optimizer=optimizers.Adam(learning_rate=0.05), learning_rate=None)
    reg.set_params(max_epochs=20).fit(X, y)
    data = to_dict(reg)
    assert data["params"]["optimizer"] is None
    assert data["unsaved_params"]["optimizer"].startswith("Adam(learning_rate=0.05")
    est = _reload(tmp_path, reg).estimator
    assert est.optimizer == "auto" and est.learning_rate is None
    assert _same(est.predict(X), reg.predict(X))


def test_loss_object_and_class_weight_are_rebuilt(tmp_path):
    X, y = _regression()
    reg = GDRegressor(loss=losses.huber(delta=2.5), max_epochs=20).fit(X, y)
    data = to_dict(reg)
    assert data["params"]["loss"] == "huber"
    assert data["loss_options"] == {"reduction": "mean", "delta": 2.5}
    assert _reload(tmp_path, reg).estimator.loss == losses.Huber("mean", 2.5)
    X, y = _classes([0, 1])
    clf = GDClassifier(class_weight={0: 2.0, 1: 1.0}, max_epochs=20).fit(X, y)
    assert to_dict(clf)["params"]["class_weight"] == [[0, 2.0], [1, 1.0]]
    assert _reload(tmp_path, clf).estimator.class_weight == {0: 2.0, 1: 1.0}


def test_extra_is_kept(tmp_path):
    X, y = _regression()
    reg = GDRegressor(max_epochs=20).fit(X, y)
    extra = {"interrupted": True, "data": "houses.csv", "epochs": [1, 2]}
    model = _reload(tmp_path, reg, extra=extra)
    assert model.extra == extra
    with pytest.raises(TypeError, match="extra must hold plain JSON values"):
        to_dict(reg, extra={"when": object()})
    with pytest.raises(TypeError, match="extra must hold plain JSON values"):
        to_dict(reg, extra={"loss": float("nan")})


def test_loaded_estimator_can_be_fitted_again(tmp_path):
    X, y = _regression()
    reg = GDRegressor(max_epochs=30, warm_start=True).fit(X, y)
    est = _reload(tmp_path, reg).estimator
    reg.fit(X, y)
    est.fit(X, y)  # warm start from the loaded coefficients, as the original did
    assert _same(est.coef_, reg.coef_)


def test_model_predict_checks_the_columns(tmp_path):
    X, y = _regression()
    model = from_dict(to_dict(GDRegressor(max_epochs=10).fit(X, y)))
    with pytest.raises(ValueError, match=r"^the model was trained on 3 features; the data has 4"):
        model.predict(np.ones((2, 4)))
    with pytest.raises(ValueError, match="^the model was trained on 3 features; new.csv has 2"):
        model.transform(np.ones((2, 2)), source="new.csv")
    with pytest.raises(
        ValueError,
        match=re.escape("the data must be a 2-D table of rows and columns; it has shape (3,)"),
    ):
        model.predict(np.ones(3))


def test_model_predict_takes_a_table(tmp_path):
    X, y = _regression(n=5)
    reg = GDRegressor(max_epochs=10).fit(X, y)
    model = _reload(tmp_path, reg, feature_names=["a", "b", "c"])
    header = "a,b,c\n" + "".join(",".join(map(repr, row.tolist())) + "\n" for row in X)
    (tmp_path / "new.csv").write_text(header)
    table = datafiles.read(tmp_path / "new.csv", need_target=False)
    assert _same(model.predict(table), reg.predict(X))
    (tmp_path / "swapped.csv").write_text(header.replace("a,b,c", "b,a,c", 1))
    table = datafiles.read(tmp_path / "swapped.csv", need_target=False)
    with pytest.raises(ValueError, match="has the features in another order than at training"):
        model.predict(table)
    (tmp_path / "renamed.csv").write_text(header.replace("a,b,c", "a,b,d", 1))
    table = datafiles.read(tmp_path / "renamed.csv", need_target=False)
    with pytest.raises(ValueError, match=re.escape("it lacks ['c'] and has ['d'] instead")):
        model.predict(table)
    np.save(tmp_path / "new.npy", X)  # arrays have no names of their own to compare
    assert _same(
        model.predict(datafiles.read(tmp_path / "new.npy", need_target=False)), reg.predict(X)
    )


# ------------------------------------------------------------------------ the file


def test_file_is_plain_json(tmp_path):
    X, y = _classes(["ham", "spam"])
    clf = GDClassifier(max_epochs=30).fit(X, y)
    path = save(tmp_path / "model.json", clf, extra={"note": "café"})
    raw = path.read_bytes()
    text = raw.decode("utf-8")
    assert "café" in text  # UTF-8, not escaped
    assert text.startswith('{\n  "format": "descend-model",\n  "version": 1,')
    data = json.loads(text)

    def plain(value):
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return value is None or isinstance(value, bool | int | float | str)

    assert plain(data)
    assert data["kind"] == "classifier" and data["classes"] == ["ham", "spam"]
    # every float reads back as the very same float
    assert np.array_equal(np.array(data["coef"]), clf.coef_)
    assert np.array_equal(np.array(data["intercept"]), clf.intercept_)
    assert data == json.loads(json.dumps(to_dict(clf, extra={"note": "café"})))


def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    X, y = _regression()
    reg = GDRegressor(max_epochs=10).fit(X, y)
    path = save(tmp_path / "model.json", reg)
    before = path.read_bytes()

    def half_then_fail(data, fh, **kwargs):
        fh.write('{"format": "descend-mo')
        raise RuntimeError("interrupted while writing")

    monkeypatch.setattr(json, "dump", half_then_fail)
    reg2 = GDRegressor(max_epochs=20).fit(X, 2 * y)
    with pytest.raises(RuntimeError, match="interrupted while writing"):
        save(path, reg2)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]
    monkeypatch.undo()
    assert _same(load(path).predict(X), reg.predict(X))


def test_save_refuses_before_touching_the_file(tmp_path):
    path = tmp_path / "model.json"
    with pytest.raises(NotFittedError):
        save(path, GDRegressor())
    with pytest.raises(TypeError, match="expected a GDRegressor or GDClassifier; got"):
        save(path, StandardScaler())
    assert not path.exists()


def test_scaler_must_fit_the_estimator():
    X, y = _regression()
    reg = GDRegressor(max_epochs=10).fit(X, y)
    with pytest.raises(ValueError, match=re.escape("the scaler's mean has shape (2,)")):
        to_dict(reg, scaler=StandardScaler().fit(X[:, :2]))
    with pytest.raises(NotFittedError):
        to_dict(reg, scaler=StandardScaler())


# --------------------------------------------------------------------- bad files


def _good(kind="classifier"):
    if kind == "classifier":
        X, y = _classes(["a", "b", "c"])
        est = GDClassifier(max_epochs=10).fit(X, y)
        scaler = StandardScaler().fit(X)
    else:
        X, y = _regression()
        est = GDRegressor(max_epochs=10).fit(X, y)
        scaler = StandardScaler().fit(X)
    return json.loads(json.dumps(to_dict(est, scaler=scaler, feature_names=["p", "q", "r"])))


def _refused(tmp_path, data) -> str:
    """The message load gives for a file holding ``data`` (text as is, else JSON)."""
    path = tmp_path / "model.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    with pytest.raises(ModelFileError) as info:
        load(path)
    err = info.value
    assert err.path == path and str(err) == f"{path}: {err.problem}"
    return err.problem


def _edited(change, kind="classifier"):
    data = copy.deepcopy(_good(kind))
    change(data)
    return data


def test_good_files_load(tmp_path):
    for kind in ("classifier", "regressor"):
        path = tmp_path / f"{kind}.json"
        path.write_text(json.dumps(_good(kind)))
        assert load(path).kind == kind


def test_not_json(tmp_path):
    assert _refused(tmp_path, '{"format": "descend-model",\n  "version": 1,,}') == (
        "is not valid JSON: Expecting property name enclosed in double quotes at line 2, column 16"
    )
    assert _refused(tmp_path, "") == "is not valid JSON: Expecting value at line 1, column 1"


def test_not_text(tmp_path):
    path = tmp_path / "model.json"
    path.write_bytes(b"\x80\x04\x95 a pickle")
    with pytest.raises(ModelFileError, match="is not a text file; a descend model file is JSON"):
        load(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ModelFileError, match=r"nope\.json: no such file$"):
        load(tmp_path / "nope.json")
    with pytest.raises(ModelFileError, match="is a folder, not a model file$"):
        load(tmp_path)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d.update(format="other"), "is not a descend model file (its format is 'other'"),
        (lambda d: d.pop("format"), "is not a descend model file (it has no format;"),
        (
            lambda d: d.update(version=2),
            "was written in model format version 2 by a newer descend; this descend reads "
            "version 1: upgrade descend",
        ),
        (lambda d: d.update(version="1"), "version is '1'; expected the whole number 1"),
        (lambda d: d.update(version=0), "version is 0; expected 1"),
        (lambda d: d.update(kind="forest"), "kind is 'forest'; expected 'regressor' or"),
        (lambda d: d.pop("kind"), "has no 'kind' entry"),
        (lambda d: d.pop("coef"), "has no 'coef' entry"),
        (lambda d: d.pop("intercept"), "has no 'intercept' entry"),
        (lambda d: d.pop("params"), "has no 'params' entry"),
        (lambda d: d.pop("classes"), "has no 'classes' entry"),
        (lambda d: d.pop("n_features_in"), "has no 'n_features_in' entry"),
        (lambda d: d.pop("fit_intercept"), "has no 'fit_intercept' entry"),
        (lambda d: d.update(n_features_in=4), "coef has shape (3, 3); the model needs (3, 4)"),
        (lambda d: d.update(n_features_in=True), "n_features_in is True; expected a whole"),
        (lambda d: d.update(n_features_in=0), "n_features_in is 0; it must be at least 1"),
        (lambda d: d["coef"].pop(), "coef has shape (2, 3); the model needs (3, 3)"),
        (lambda d: d["coef"][1].pop(), "coef has shape ragged; the model needs (3, 3)"),
        (lambda d: d["classes"].append("d"), "coef has shape (3, 3); the model needs (4, 3)"),
        (lambda d: d["intercept"].pop(), "intercept has shape (2,); the model needs (3,)"),
        (lambda d: d["coef"][0].__setitem__(1, "1.5"), "coef holds something other than numbers"),
        (lambda d: d["coef"][0].__setitem__(1, True), "coef holds something other than numbers"),
        (lambda d: d["intercept"].__setitem__(0, None), "intercept holds something other"),
        (lambda d: d.update(coef=5), "coef is 5; expected list"),
        (
            lambda d: d.update(fit_intercept="yes"),
            "fit_intercept is 'yes'; expected true or false",
        ),
        (lambda d: d.update(classes=["a"]), "classes has 1 entries; a classifier has at least 2"),
        (lambda d: d.update(classes=["a", "a", "b"]), "classes ['a', 'a', 'b'] repeat a class"),
        (lambda d: d.update(classes=["a", {}, "c"]), "classes holds {}; expected numbers or"),
        (
            lambda d: d.update(classes_dtype="<U1", classes=["ant", "bee", "cat"]),
            "classes ['ant', 'bee', 'cat'] do not fit classes_dtype '<U1'",
        ),
        (lambda d: d.update(classes_dtype="int64"), "classes cannot be read as 'int64'"),
        (lambda d: d.update(classes_dtype="nonsense"), "classes cannot be read as 'nonsense'"),
        (lambda d: d["params"].update(trees=10), "params has ['trees'], which GDClassifier does"),
        (lambda d: d["params"].update(loss="bogus"), "params are not valid for GDClassifier"),
        (lambda d: d["params"].update(max_epochs=-1), "params are not valid for GDClassifier"),
        (lambda d: d.update(params=[]), "params is []; expected an object"),
        (
            lambda d: d["params"].update(class_weight=[["a"]]),
            "params.class_weight must be a list of [class, weight] pairs",
        ),
        (
            lambda d: d.update(loss_options={"delta": 1.0}),
            "the loss 'log_loss' with options {'delta': 1.0} is invalid",
        ),
        (lambda d: d.update(unsaved_params=[]), "unsaved_params must be an object"),
        (lambda d: d.update(feature_names=["p", "q"]), "feature_names has 2 names for n_features"),
        (lambda d: d.update(feature_names="pqr"), "feature_names must be a list of strings or"),
        (lambda d: d.update(feature_names_in=[1, 2, 3]), "feature_names_in must be a list of"),
        (lambda d: d["scaler"]["mean"].pop(), "scaler.mean has shape (2,); the model needs (3,)"),
        (
            lambda d: d["scaler"]["scale"].__setitem__(0, 0.0),
            "scaler.scale holds a scale that is not positive",
        ),
        (lambda d: d.update(scaler=[1, 2]), "scaler must be an object with 'mean' and 'scale'"),
        (lambda d: d.update(extra=[1]), "extra is a JSON array; expected an object"),
        (lambda d: d.update(n_iter="many"), "n_iter is 'many'; expected a whole number"),
        (lambda d: d.update(stop_reason=3), "stop_reason is 3; expected a string"),
    ],
)
def test_inconsistent_files_are_refused(tmp_path, change, problem):
    assert _refused(tmp_path, _edited(change)).startswith(problem)


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_are_refused(tmp_path, value):
    text = json.dumps(_good("regressor"), indent=2)
    text = re.sub(r'"intercept": \[\s*[^\]\s]+', f'"intercept": [{value}', text)
    spelled = {"1e999": "Infinity"}.get(value, value)  # Python reads 1e999 as infinity
    assert _refused(tmp_path, text) == (
        f"intercept[0] is {spelled}; a model file holds only finite numbers"
    )


@pytest.mark.parametrize("data", [[1, 2], "model", 3, None])
def test_top_level_must_be_an_object(tmp_path, data):
    names = {list: "array", str: "string", int: "number", type(None): "null"}
    expected = f"holds a JSON {names[type(data)]}, not a descend model object"
    assert _refused(tmp_path, data if not isinstance(data, str) else json.dumps(data)) == expected


def test_regressor_shapes_are_checked(tmp_path):
    assert _refused(tmp_path, _edited(lambda d: d["coef"].pop(), "regressor")) == (
        "coef has shape (2,); the model needs (3,)"
    )
    assert _refused(tmp_path, _edited(lambda d: d["intercept"].append(0.0), "regressor")) == (
        "intercept has shape (2,); the model needs (1,)"
    )


def test_from_dict_errors_have_no_path():
    with pytest.raises(ModelFileError) as info:
        from_dict({"format": "descend-model", "version": 1})
    assert str(info.value) == "has no 'kind' entry" and info.value.path is None
    assert isinstance(info.value, ValueError)


def test_module_constants():
    assert serialize.FORMAT == "descend-model" and serialize.VERSION == 1


def test_a_model_file_too_large_to_parse_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    save(path, GDRegressor(max_epochs=5, tol=None).fit(*_regression()))
    monkeypatch.setattr(datafiles, "MAX_ARRAY_BYTES", 4 * path.stat().st_size - 4)
    with pytest.raises(ModelFileError, match="more than a model file this machine can read"):
        load(path)
    monkeypatch.setattr(datafiles, "MAX_ARRAY_BYTES", 4 * path.stat().st_size)
    assert load(path) is not None
