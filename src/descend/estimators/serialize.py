"""Saving a fitted :class:`~descend.GDRegressor` or :class:`~descend.GDClassifier` as plain
JSON, and loading it back.

A model file is a JSON object anyone can read: the settings, the coefficients, the classes,
and, when the inputs were standardised for training, the standardisation's means and
scales. Nothing is pickled, so loading a file never runs code from it. Numbers are written
in full (Python's ``repr`` of a float reads back to the same float), so a loaded model
predicts exactly what the saved one did, bit for bit.

The file's entries:

==================== =====================================================================
``format``           ``"descend-model"``, telling a model file from other JSON
``version``          the layout's version, :data:`VERSION`
``descend_version``  the descend that wrote it
``kind``             ``"regressor"`` or ``"classifier"``
``params``           ``get_params()``; a value JSON cannot hold is null here, with its
                     ``repr`` in ``unsaved_params``
``unsaved_params``   ``{name: repr}`` of those values (a callable or schedule
                     ``learning_rate``, an optimizer object, a Generator ``random_state``,
                     a callback); loading gives those parameters their defaults, which
                     matters only for fitting again, never for predicting
``loss_options``     the fields of a loss given as an object (``reduction``, Huber's
                     ``delta``), which loading builds again
``n_features_in``    the number of features
``feature_names``    the features' names, or null
``feature_names_in`` the estimator's ``feature_names_in_`` (set when fitted on a DataFrame),
                     or null
``fit_intercept``    whether the model has an intercept
``classes``          the classes, as numbers, strings or booleans, with ``classes_dtype``
``coef``             ``coef_``: a list, or a list of rows for a classifier
``intercept``        ``intercept_``
``n_iter``           ``n_iter_``, with ``stop_reason`` and ``stop_message``
``scaler``           ``{"mean": [...] or null, "scale": [...] or null}`` or null: applied as
                     ``(X - mean) / scale`` before predicting
``extra``            anything the caller added, such as ``{"interrupted": true}``
==================== =====================================================================

Examples
--------
>>> import numpy as np
>>> from descend import GDRegressor
>>> from descend.estimators import serialize
>>> X = np.array([[0.0], [1.0], [2.0]]); y = np.array([1.0, 3.0, 5.0])
>>> reg = GDRegressor(max_epochs=2000, tol=1e-12).fit(X, y)
>>> data = serialize.to_dict(reg)
>>> data["kind"], data["n_features_in"], [round(c, 3) for c in data["coef"]]
('regressor', 1, [2.0])
>>> model = serialize.from_dict(data)
>>> bool(np.array_equal(model.predict(X), reg.predict(X)))
True
>>> serialize.save("model.json", reg)  # doctest: +SKIP
PosixPath('model.json')
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
import numbers
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.utils.validation import check_is_fitted

from descend import datafiles, kernels, losses
from descend.estimators.classifier import GDClassifier
from descend.estimators.regressor import GDRegressor

__all__ = [
    "FORMAT",
    "VERSION",
    "Model",
    "ModelFileError",
    "from_dict",
    "load",
    "save",
    "to_dict",
]

#: The ``format`` entry of every model file.
FORMAT = "descend-model"
#: The layout version this descend writes and reads.
VERSION = 1

_KINDS = {"regressor": GDRegressor, "classifier": GDClassifier}
# Class labels numpy can hold and JSON can write back unchanged.
_CLASS_KINDS = "biufUO"


class ModelFileError(ValueError):
    """A model file (or model dictionary) that cannot be loaded, and why.

    Attributes
    ----------
    path : pathlib.Path or None
        The file, None for a dictionary given to :func:`from_dict`.
    problem : str
        What is wrong, without the file's name.
    """

    def __init__(self, problem: str, path=None):
        self.path = None if path is None else Path(path)
        self.problem = problem
        super().__init__(problem if path is None else f"{path}: {problem}")


# ------------------------------------------------------------------------- the model


@dataclass(frozen=True, eq=False)
class Model:
    """A loaded model: the estimator, and the standardisation to apply before it.

    Attributes
    ----------
    estimator : GDRegressor or GDClassifier
        Fitted again from the file: ``predict``, ``decision_function``, ``predict_proba``
        and ``score`` give what the saved estimator gave. Its training history and
        optimizer state are not saved, so ``partial_fit`` cannot go on from it (``fit``
        with ``warm_start=True`` starts from its coefficients).
    scaler_mean, scaler_scale : ndarray or None
        The standardisation of the inputs, ``(X - mean) / scale``; None where not used.
    feature_names : list of str or None
        The features' names, in order.
    extra : dict
        What the saver added.
    descend_version : str or None
        The descend that wrote the file.
    """

    estimator: GDRegressor | GDClassifier
    scaler_mean: np.ndarray | None = None
    scaler_scale: np.ndarray | None = None
    feature_names: list[str] | None = None
    extra: dict = field(default_factory=dict)
    descend_version: str | None = None

    @property
    def kind(self) -> str:
        """``"regressor"`` or ``"classifier"``."""
        return "classifier" if isinstance(self.estimator, GDClassifier) else "regressor"

    @property
    def n_features_in(self) -> int:
        """The number of features the model takes."""
        return int(self.estimator.n_features_in_)

    @property
    def standardised(self) -> bool:
        """Whether the inputs are standardised before the estimator sees them."""
        return self.scaler_mean is not None or self.scaler_scale is not None

    def transform(self, X, *, source: str = "the data") -> np.ndarray:
        """The rows standardised as the training rows were, as float64 (a copy).

        ``X`` is a 2-D array-like or a :class:`descend.datafiles.Table`; ``source`` names
        it in error messages. Raises ValueError when its columns do not fit the model.
        """
        X, source = self._rows(X, source)
        X = np.array(X, dtype=np.float64)  # always a copy: the caller's rows stay as given
        # in place and in this order, as StandardScaler.transform does: the same bits
        with np.errstate(over="ignore", invalid="ignore"):  # said below, in our words
            if self.scaler_mean is not None:
                X -= self.scaler_mean
            if self.scaler_scale is not None:
                X /= self.scaler_scale
        finite = np.isfinite(X)
        if not finite.all():
            i, j = (int(k) for k in np.argwhere(~finite)[0])
            raise ValueError(
                f"standardising {source} goes beyond the range of float64 at the row at index "
                f"{i}, column {j + 1} (whose value is far outside the training data's scale)"
            )
        return X

    def predict(self, X, *, source: str = "the data") -> np.ndarray:
        """Predictions (values or classes) for the rows of ``X``, standardised first.

        Examples
        --------
        >>> import numpy as np
        >>> from descend import GDRegressor
        >>> reg = GDRegressor().fit(np.eye(3), [1.0, 2.0, 3.0])
        >>> from_dict(to_dict(reg)).predict(np.ones((1, 4)), source="new.csv")
        Traceback (most recent call last):
        ...
        ValueError: the model was trained on 3 features; new.csv has 4 columns
        """
        return self.estimator.predict(self._input(X, source))

    def predict_proba(self, X, *, source: str = "the data") -> np.ndarray:
        """Class probabilities, for a classifier with a probabilistic loss."""
        return self.estimator.predict_proba(self._input(X, source))

    def _input(self, X, source):
        """What the estimator takes: standardised rows, or the rows as they came (a
        DataFrame keeps its column names for the estimator's own check)."""
        if self.standardised:
            return self.transform(X, source=source)
        return self._rows(X, source)[0]

    def _rows(self, X, source: str):
        """The rows of X (a Table's features), checked against the model's columns."""
        if isinstance(X, datafiles.Table):
            source = str(X.path)
            self._check_names(X, source)
            X = X.X
        shape = getattr(X, "shape", None)
        shape = np.shape(X) if shape is None else shape
        if len(shape) != 2:
            raise ValueError(
                f"{source} must be a 2-D table of rows and columns; it has shape {tuple(shape)}"
            )
        if shape[1] != self.n_features_in:
            raise ValueError(
                f"the model was trained on {self.n_features_in} features; {source} has "
                f"{shape[1]} columns"
            )
        return X, source

    def _check_names(self, table, source: str) -> None:
        """Named columns must be the training features, in the training order."""
        if self.feature_names is None or table.path.suffix.lower() not in datafiles.HEADED:
            return
        if table.feature_names == self.feature_names:
            return
        have, want = table.feature_names, self.feature_names
        if sorted(have) == sorted(want):
            raise ValueError(
                f"{source} has the features in another order than at training; the model "
                f"takes {want}, {source} has {have}"
            )
        missing = [name for name in want if name not in have]
        unknown = [name for name in have if name not in want]
        parts = [f"lacks {missing}"] * bool(missing) + [f"has {unknown} instead"] * bool(unknown)
        raise ValueError(
            f"{source} does not have the features the model was trained on ({want}): it "
            + " and ".join(parts)
        )


# ------------------------------------------------------------------------------- saving


def to_dict(estimator, *, scaler=None, extra: dict | None = None, feature_names=None) -> dict:
    """A fitted estimator as a dictionary of plain JSON values (see the module notes).

    Parameters
    ----------
    estimator : GDRegressor or GDClassifier
        Fitted.
    scaler : fitted sklearn.preprocessing.StandardScaler, optional
        The standardisation the estimator's inputs went through; :meth:`Model.predict`
        applies it.
    extra : dict, optional
        Plain JSON values to keep with the model.
    feature_names : sequence of str, optional
        The features' names, when the estimator was fitted on an array (a DataFrame's
        names are taken from the estimator, or else from the scaler).

    Returns
    -------
    dict
    """
    kind = _kind_of(estimator)
    check_is_fitted(estimator, "coef_")
    # predict reads the flat parameters, not coef_: save what predict uses
    model, theta = estimator._model, estimator._theta
    coef, intercept = estimator._public_weights(theta, model)
    n = int(estimator.n_features_in_)
    params, unsaved, loss_options = _params(estimator)
    names_in = _names_attribute(estimator)
    data = {
        "format": FORMAT,
        "version": VERSION,
        "descend_version": _descend_version(),
        "kind": kind,
        "params": params,
    }
    if unsaved:
        data["unsaved_params"] = unsaved
    if loss_options is not None:
        data["loss_options"] = loss_options
    data["n_features_in"] = n
    data["feature_names"] = _feature_names(feature_names, names_in, scaler, n)
    data["feature_names_in"] = names_in
    data["fit_intercept"] = bool(model.fit_intercept)
    if kind == "classifier":
        data["classes"] = _plain_classes(estimator.classes_)
        data["classes_dtype"] = str(estimator.classes_.dtype)
    data["coef"] = _finite_list(coef, "coef_")
    data["intercept"] = _finite_list(intercept, "intercept_")
    data["n_iter"] = _plain_int(getattr(estimator, "n_iter_", None))
    data["stop_reason"] = getattr(estimator, "stop_reason_", None)
    data["stop_message"] = getattr(estimator, "stop_message_", None)
    data["scaler"] = _scaler_dict(scaler, n)
    data["extra"] = _extra(extra)
    return data


def save(path, estimator, *, scaler=None, extra: dict | None = None, feature_names=None) -> Path:
    """Write a fitted estimator to a JSON model file, atomically.

    Everything is checked before the file is touched, and the file is replaced only once
    the new one is written whole (:func:`descend.datafiles.atomic_write`): a failure leaves
    an existing file as it was. The arguments are those of :func:`to_dict`.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    data = to_dict(estimator, scaler=scaler, extra=extra, feature_names=feature_names)
    path = Path(path)
    with datafiles.atomic_write(path) as fh:
        json.dump(data, fh, indent=2, ensure_ascii=False, allow_nan=False)
        fh.write("\n")
    return path


def _kind_of(estimator) -> str:
    for kind, cls in _KINDS.items():
        if isinstance(estimator, cls):
            return kind
    raise TypeError(f"expected a GDRegressor or GDClassifier; got {type(estimator).__name__}")


def _descend_version() -> str:
    # imported here: descend/__init__ sets __version__ after its own imports
    import descend

    return descend.__version__


_UNSAVED = object()  # what _plain gives for a value JSON cannot hold


def _plain(value):
    """A JSON copy of a parameter value, or _UNSAVED."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        return value if math.isfinite(value) else _UNSAVED
    if isinstance(value, list | tuple):
        items = [_plain(item) for item in value]
        return _UNSAVED if any(item is _UNSAVED for item in items) else items
    return _UNSAVED


def _params(estimator) -> tuple[dict, dict, dict | None]:
    """``(params, unsaved, loss_options)``: see the module notes."""
    params, unsaved, loss_options = {}, {}, None
    for name, value in estimator.get_params(deep=False).items():
        plain = _plain(value)
        if name == "loss" and isinstance(value, losses.Loss):
            plain, loss_options = value.name, _loss_options(value)
            if loss_options is None:  # a loss of its own kind: keep at least its name
                unsaved[name] = repr(value)
        elif name == "class_weight" and isinstance(value, dict):
            # JSON keys are strings only: pairs keep classes such as 0 and 1 as they are
            plain = _plain([[key, weight] for key, weight in value.items()])
        if plain is _UNSAVED:
            plain, unsaved[name] = None, repr(value)
        params[name] = plain
    return params, unsaved, loss_options


def _loss_options(loss) -> dict | None:
    """The fields of a built-in loss object, or None when it cannot be built again."""
    if losses.LOSSES.get(loss.name) is not type(loss):
        return None
    options = {f.name: _plain(getattr(loss, f.name)) for f in dataclasses.fields(loss)}
    return None if any(v is _UNSAVED for v in options.values()) else options


def _names_attribute(estimator) -> list[str] | None:
    names = getattr(estimator, "feature_names_in_", None)
    return None if names is None else [str(name) for name in names]


def _feature_names(given, names_in, scaler, n) -> list[str] | None:
    if given is None:
        given = names_in if names_in is not None else _names_attribute(scaler)
    if given is None:
        return None
    names = [str(name) for name in given]
    if len(names) != n:
        raise ValueError(f"{len(names)} feature names for {n} features")
    if names_in is not None and names != names_in:
        raise ValueError(
            f"feature_names {names} differ from the estimator's feature_names_in_ {names_in}"
        )
    return names


def _plain_classes(classes: np.ndarray) -> list:
    if classes.dtype.kind not in _CLASS_KINDS:
        raise TypeError(f"classes of dtype {classes.dtype} cannot be saved as JSON")
    values = classes.tolist()
    for value in values:
        ok = isinstance(value, bool | int | str) or (
            isinstance(value, float) and math.isfinite(value)
        )
        if not ok:
            raise TypeError(f"the class {value!r} cannot be saved as JSON")
    return values


def _finite_list(array: np.ndarray, name: str) -> list:
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} holds values that are not finite; the fit diverged")
    return np.asarray(array, dtype=np.float64).tolist()


def _plain_int(value) -> int | None:
    return None if value is None else int(value)


def _scaler_dict(scaler, n: int) -> dict | None:
    """The means and scales a fitted StandardScaler applies, each None when not applied."""
    if scaler is None:
        return None
    check_is_fitted(scaler)
    # StandardScaler keeps mean_ even with_mean=False, but transform does not use it
    mean = scaler.mean_ if getattr(scaler, "with_mean", True) else None
    scale = scaler.scale_ if getattr(scaler, "with_std", True) else None
    out = {}
    for name, values in (("mean", mean), ("scale", scale)):
        if values is None:
            out[name] = None
            continue
        values = np.asarray(values, dtype=np.float64)
        if values.shape != (n,):
            raise ValueError(f"the scaler's {name} has shape {values.shape}; expected ({n},)")
        out[name] = _finite_list(values, f"the scaler's {name}")
    return out


def _extra(extra) -> dict:
    if extra is None:
        return {}
    if not isinstance(extra, dict):
        raise TypeError(f"extra must be a dict; got {type(extra).__name__}")
    try:
        # a round trip both checks the values and keeps the caller's dict out of it
        return json.loads(json.dumps(extra, allow_nan=False))
    except (TypeError, ValueError) as err:
        raise TypeError(f"extra must hold plain JSON values: {err}") from None


# ------------------------------------------------------------------------------ loading


def load(path) -> Model:
    """Read a model file written by :func:`save`.

    Raises
    ------
    ModelFileError
        The file is missing, not JSON, not a descend model, or inconsistent; the message
        names the file and the problem.
    """
    path = Path(path)
    if path.is_dir():
        raise ModelFileError("is a folder, not a model file", path)
    try:
        # never waits on a named pipe, never reads a device without end
        with datafiles.open_regular(path) as fh:
            size = os.fstat(fh.fileno()).st_size
            # parsed, JSON takes several times its size in memory: refuse what could not fit
            if size > datafiles._array_limit() // 4:
                raise ModelFileError(
                    f"is {size / 2**20:,.0f} MiB, more than a model file this machine can "
                    f"read ({datafiles._array_limit() // 4 / 2**20:,.0f} MiB)",
                    path,
                )
            raw = fh.read()
    except FileNotFoundError:
        raise ModelFileError("no such file", path) from None
    except datafiles.NotRegularFileError as err:
        raise ModelFileError(f"{err.strerror}; a model file is a JSON file", path) from None
    except OSError as err:
        raise ModelFileError(f"cannot be read: {err.strerror or err}", path) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ModelFileError("is not a text file; a descend model file is JSON", path) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ModelFileError(
            f"is not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}", path
        ) from None
    except RecursionError:  # nested far deeper than any model file
        raise ModelFileError("is not a model file: its JSON is nested too deeply", path) from None
    except ValueError:  # Python's limit on the digits of a whole number
        digits = sys.get_int_max_str_digits()
        raise ModelFileError(
            f"is not a model file: it holds a whole number of more than {digits} digits, too "
            "long to read",
            path,
        ) from None
    try:
        return from_dict(data)
    except ModelFileError as err:
        raise ModelFileError(err.problem, path) from None


def from_dict(data) -> Model:
    """A :class:`Model` from the dictionary :func:`to_dict` made, checked throughout.

    Raises
    ------
    ModelFileError
        Something is missing or inconsistent: the format tag, the version, the kind, a
        parameter, the shapes of the coefficients, the classes and the scaler, or a
        number that is not finite.
    """
    if not isinstance(data, dict):
        raise ModelFileError(f"holds a JSON {_json_type(data)}, not a descend model object")
    _check_numbers(data)
    _check_format(data)
    kind = _entry(data, "kind", str)
    if kind not in _KINDS:
        raise ModelFileError(f"kind is {kind!r}; expected 'regressor' or 'classifier'")
    estimator = _build(_KINDS[kind], data)
    n = _entry(data, "n_features_in", int)
    if n < 1:
        raise ModelFileError(f"n_features_in is {n}; it must be at least 1")
    names_in = _names(data, "feature_names_in", n)
    fit_intercept = _entry(data, "fit_intercept", bool)
    outputs = 1
    if kind == "classifier":
        estimator.classes_ = _classes(data)
        outputs = 1 if len(estimator.classes_) == 2 else len(estimator.classes_)
    coef_shape = (n,) if kind == "regressor" else (outputs, n)
    coef = _numbers(data, "coef", coef_shape)
    intercept = _numbers(data, "intercept", (outputs,))
    model = kernels.LinearModel(n, outputs, fit_intercept)
    # the classifier keeps (k, d) rows in coef_ and a (d, k) block in theta
    block = coef if kind == "regressor" else (coef[0] if outputs == 1 else coef.T)
    estimator._model = model
    estimator._theta = model.pack(block, intercept)
    estimator.coef_, estimator.intercept_ = coef, intercept
    estimator.n_features_in_ = n
    if names_in is not None:
        estimator.feature_names_in_ = np.asarray(names_in, dtype=object)
    _fit_record(estimator, data)
    mean, scale = _scaler(data, n)
    extra = _extra_entries(data)
    version = data.get("descend_version")
    return Model(
        estimator=estimator,
        scaler_mean=mean,
        scaler_scale=scale,
        feature_names=_names(data, "feature_names", n),
        extra=extra,
        descend_version=version if isinstance(version, str) else None,
    )


def _check_numbers(data: dict) -> None:
    """Every number anywhere in the document must be finite and fit in a float: a file
    :func:`save` wrote has no NaN, no infinity (JSON has neither; Python reads ``NaN``,
    ``Infinity`` and ``1e999`` as them) and no whole number beyond float64's range. The
    message names the entry, as ``coef[1][0]`` or ``params.tol``."""
    stack = [("", data)]
    while stack:
        where, container = stack.pop()
        items = container.items() if isinstance(container, dict) else enumerate(container)
        for key, value in items:
            # names are made only for containers and the bad entry: a model's weights are
            # many
            if isinstance(value, dict | list):
                stack.append((_entry_name(where, key), value))
            elif isinstance(value, float) and not math.isfinite(value):
                spelled = "NaN" if math.isnan(value) else "-Infinity" if value < 0 else "Infinity"
                raise ModelFileError(
                    f"{_entry_name(where, key)} is {spelled}; a model file holds only finite "
                    "numbers"
                )
            elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > _INT_MAX:
                raise ModelFileError(
                    # counted from its bits: str() refuses numbers of over 4300 digits
                    f"{_entry_name(where, key)} is a whole number of about "
                    f"{math.ceil(value.bit_length() * math.log10(2))} digits, beyond the range "
                    "of any setting or weight"
                )


def _entry_name(where: str, key) -> str:
    """``coef[1]``, ``params.tol`` or ``kind``: an entry's name in messages."""
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else key


# The largest whole number a float can hold (about 1.8e308).
_INT_MAX = int(np.finfo(np.float64).max)

#: The types of the ``extra`` entries ``descend train`` writes, checked where present.
_EXTRA_ENTRIES = {
    "task": (str, "a string"),
    "data": (str, "a string"),
    "target": ((str, type(None)), "a column name (a string) or null"),
    "interrupted": (bool, "true or false"),
}


def _extra_entries(data: dict) -> dict:
    """``extra``: an object (or null for none), its known entries of their types."""
    extra = data.get("extra")
    extra = {} if extra is None else extra
    if not isinstance(extra, dict):
        raise ModelFileError(f"extra is a JSON {_json_type(extra)}; expected an object")
    for key, (kind, want) in _EXTRA_ENTRIES.items():
        if key in extra and not isinstance(extra[key], kind):
            raise ModelFileError(f"extra.{key} is {extra[key]!r}; expected {want}")
    return extra


def _json_type(value) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _check_format(data: dict) -> None:
    if data.get("format") != FORMAT:
        found = f"its format is {data['format']!r}" if "format" in data else "it has no format"
        raise ModelFileError(f"is not a descend model file ({found}; expected {FORMAT!r})")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ModelFileError(f"version is {version!r}; expected the whole number {VERSION}")
    if version > VERSION:
        raise ModelFileError(
            f"was written in model format version {version} by a newer descend; this "
            f"descend reads version {VERSION}: upgrade descend"
        )
    if version < 1:
        raise ModelFileError(f"version is {version}; expected {VERSION}")


def _entry(data: dict, key: str, kind: type):
    """``data[key]``, which must be there and of the JSON type ``kind``."""
    if key not in data:
        raise ModelFileError(f"has no {key!r} entry")
    value = data[key]
    # JSON's true and false are ints to Python: keep them apart
    wrong = not isinstance(value, kind) or (kind is int and isinstance(value, bool))
    if wrong:
        want = {int: "a whole number", bool: "true or false", str: "a string", dict: "an object"}
        raise ModelFileError(f"{key} is {value!r}; expected {want.get(kind, kind.__name__)}")
    return value


def _build(cls, data: dict):
    """The estimator, made with the saved parameters and checked as fit would check them."""
    params = dict(_entry(data, "params", dict))
    defaults = {name: p.default for name, p in inspect.signature(cls).parameters.items()}
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise ModelFileError(f"params has {unknown}, which {cls.__name__} does not take")
    unsaved = data.get("unsaved_params")
    unsaved = {} if unsaved is None else unsaved
    if not isinstance(unsaved, dict):
        raise ModelFileError("unsaved_params must be an object")
    for name in unsaved:
        if params.get(name) is None and name in defaults:
            params[name] = defaults[name]  # not saved: the default, as documented
    if isinstance(params.get("class_weight"), list):
        params["class_weight"] = _class_weight(params["class_weight"])
    if "loss_options" in data:
        params["loss"] = _loss(params.get("loss"), data["loss_options"])
    estimator = cls(**params)
    try:
        estimator._settings()  # every parameter check of fit, so predict can rely on them
    except (TypeError, ValueError, OverflowError) as err:
        raise ModelFileError(f"params are not valid for {cls.__name__}: {err}") from None
    return estimator


def _class_weight(pairs: list) -> dict:
    ok = all(
        isinstance(pair, list)
        and len(pair) == 2
        and isinstance(pair[0], bool | int | float | str)
        and isinstance(pair[1], int | float)
        for pair in pairs
    )
    if not ok:
        raise ModelFileError("params.class_weight must be a list of [class, weight] pairs")
    return {cls: weight for cls, weight in pairs}


def _loss(name, options):
    if not isinstance(options, dict):
        raise ModelFileError("loss_options must be an object")
    try:
        return losses.get(name, **options)
    except (TypeError, ValueError) as err:
        raise ModelFileError(
            f"the loss {name!r} with options {options} is invalid: {err}"
        ) from None


def _names(data: dict, key: str, n: int) -> list[str] | None:
    names = data.get(key)
    if names is None:
        return None
    if not (isinstance(names, list) and all(isinstance(name, str) for name in names)):
        raise ModelFileError(f"{key} must be a list of strings or null")
    if len(names) != n:
        raise ModelFileError(f"{key} has {len(names)} names for n_features_in = {n}")
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            # columns are matched by name: a repeated one would feed one column twice
            raise ModelFileError(
                f"{key}[{i}] repeats the name {name!r} of {key}[{seen[name]}]; the names of "
                "the features must differ"
            )
        seen[name] = i
    return names


# The most bytes one class label's dtype may take (a label of 16384 characters).
_LABEL_BYTES = 4 * 2**14


def _classes(data: dict) -> np.ndarray:
    classes = _entry(data, "classes", list)
    if len(classes) < 2:
        raise ModelFileError(f"classes has {len(classes)} entries; a classifier has at least 2")
    for value in classes:
        ok = isinstance(value, bool | int | str) or (
            isinstance(value, float) and math.isfinite(value)
        )
        if not ok:
            raise ModelFileError(f"classes holds {value!r}; expected numbers or strings")
    dtype = data.get("classes_dtype")
    try:
        kind = None if dtype is None else np.dtype(dtype)
    except (TypeError, ValueError, OverflowError) as err:
        raise ModelFileError(f"classes cannot be read as {dtype!r}: {err}") from None
    # checked before the array is made: "<U999999999" would take gigabytes per class
    if kind is not None and (kind.kind not in _CLASS_KINDS or kind.itemsize > _LABEL_BYTES):
        raise ModelFileError(f"classes_dtype is {dtype!r}; expected the dtype of class labels")
    try:
        array = np.array(classes, dtype=kind)
    except (TypeError, ValueError, OverflowError) as err:
        raise ModelFileError(f"classes cannot be read as {dtype!r}: {err}") from None
    # the dtype must hold every class unchanged (a short string dtype would cut them)
    if array.dtype.kind not in _CLASS_KINDS or array.tolist() != classes:
        raise ModelFileError(f"classes {classes} do not fit classes_dtype {dtype!r}")
    if len(set(classes)) != len(classes):
        raise ModelFileError(f"classes {classes} repeat a class")
    return array


def _numbers(data: dict, key: str, shape: tuple[int, ...]) -> np.ndarray:
    """``data[key]`` as a float64 array of ``shape``, every entry a finite number."""
    value = _entry(data, key, list)
    array = np.array(value, dtype=object)
    if array.shape != shape:
        raise ModelFileError(f"{key} has shape {_shape_of(value)}; the model needs {shape}")
    items = array.ravel().tolist()
    for flat, v in enumerate(items):
        if not isinstance(v, int | float) or isinstance(v, bool):
            at = "".join(f"[{i}]" for i in np.unravel_index(flat, shape))
            raise ModelFileError(f"{key} holds something other than numbers: {key}{at} is {v!r}")
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise ModelFileError(f"{key} holds a number that is not finite")
    return array


def _shape_of(value) -> str:
    """The shape of nested lists, for messages ("ragged" when rows differ)."""
    try:
        return str(np.shape(value))
    except ValueError:
        return "ragged"


def _fit_record(estimator, data: dict) -> None:
    """n_iter_, stop_reason_ and stop_message_, where the file has them."""
    for key, attribute, kind in (
        ("n_iter", "n_iter_", int),
        ("stop_reason", "stop_reason_", str),
        ("stop_message", "stop_message_", str),
    ):
        if data.get(key) is not None:
            setattr(estimator, attribute, _entry(data, key, kind))


def _scaler(data: dict, n: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    scaler = data.get("scaler")
    if scaler is None:
        return None, None
    if not isinstance(scaler, dict):
        raise ModelFileError("scaler must be an object with 'mean' and 'scale', or null")
    mean = scale = None
    if scaler.get("mean") is not None:
        mean = _numbers({"scaler.mean": scaler["mean"]}, "scaler.mean", (n,))
    if scaler.get("scale") is not None:
        scale = _numbers({"scaler.scale": scaler["scale"]}, "scaler.scale", (n,))
        if np.any(scale <= 0):
            raise ModelFileError("scaler.scale holds a scale that is not positive")
    return mean, scale
