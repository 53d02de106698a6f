"""The estimators' parameter table: it covers every constructor argument, its defaults are the
constructors', and each entry refuses a bad value naming it, through the table and through
``fit``."""

import inspect
import math
import re

import numpy as np
import pytest

from descend import GDClassifier, GDRegressor, datasets, losses, optimizers, schedules
from descend.estimators import PARAMETERS, Interval, Parameter, check_parameters
from descend.linesearch import Backtracking

ESTIMATORS = [GDRegressor, GDClassifier]


def _other_loss(cls):
    """A loss object the estimator does not take."""
    return losses.hinge() if cls is GDRegressor else losses.huber()


#: Values each parameter refuses: (value, error) or (value, error, what the message says).
BAD = {
    "loss": [("nope", ValueError), (3, ValueError), (None, ValueError)],
    "reduction": [("avg", ValueError), (None, ValueError)],
    "penalty": [("l3", ValueError), ("none", ValueError), (2, ValueError)],
    "alpha": [(-1.0, ValueError), (math.inf, ValueError), ("big", TypeError)],
    "l1_ratio": [(1.5, ValueError), (math.nan, ValueError), (None, TypeError)],
    "optimizer": [("sgdx", ValueError), (3, TypeError), (optimizers.Adam, TypeError)],
    "learning_rate": [
        (-0.1, ValueError),
        (0, ValueError),
        (math.nan, ValueError),
        (math.inf, ValueError),
        ("fast", ValueError),
        (True, TypeError),
        ([0.1], TypeError),
        (schedules.Constant, TypeError),
    ],
    "momentum": [
        (1.5, ValueError),
        (-0.1, ValueError),
        ("big", ValueError, "Invalid momentum: 'big'; expected None, 'sequence' or a number"),
        ([0.9], TypeError),
    ],
    "batch_size": [(0, ValueError), (2.0, TypeError), (True, TypeError)],
    "max_epochs": [(0, ValueError), (2.5, TypeError), (None, TypeError), (True, TypeError)],
    "tol": [(-1.0, ValueError), (math.nan, ValueError), (math.inf, ValueError), ("x", ValueError)],
    "n_iter_no_change": [(0, ValueError), (1.5, TypeError)],
    "target_loss": [(math.nan, ValueError), ("x", TypeError)],
    "early_stopping": [("yes", TypeError), (1, TypeError), (None, TypeError)],
    "validation_fraction": [(0.0, ValueError), (1.0, ValueError), (1.5, ValueError)],
    "shuffle": [(1, TypeError)],
    "random_state": [(-3, ValueError), ("seed", TypeError), (1.5, TypeError)],
    "init": [("he", ValueError), (None, ValueError)],
    "fit_intercept": [("no", TypeError)],
    "class_weight": [
        ("heavy", ValueError),
        (3, ValueError),
        ({0: -1.0}, ValueError, "Invalid class_weight[0]: -1.0"),
        ({0: math.nan}, ValueError, "Invalid class_weight[0]: nan"),
        ({"a": None}, TypeError, "Invalid class_weight['a']: None"),
    ],
    "warm_start": [(None, TypeError)],
    "verbose": [(-1, ValueError), (1.5, TypeError)],
    "record_weights": [("y", TypeError)],
    "callback": [(3, TypeError), ("print", TypeError)],
    "n_jobs": [(0, ValueError), (1.5, ValueError), (True, ValueError)],
}

#: Values each parameter takes besides its default (the cross-parameter rules aside).
GOOD = {
    "reduction": ["sum"],
    "penalty": ["l2", "l1", "elasticnet"],
    "alpha": [0, 0.5, np.float32(1.0)],
    "l1_ratio": [0, 1, 0.5],
    "optimizer": ["adam", "Adam", "nesterov", optimizers.Adam()],
    "learning_rate": [None, "backtracking", 0.1, 2, schedules.Constant(0.1), Backtracking()],
    "momentum": [0, 0.0, 0.9, np.float64(0.5), "sequence"],
    "batch_size": [1, 32, np.int64(5)],
    "max_epochs": [1, np.int32(7)],
    "tol": [None, 0, 1e-9],
    "n_iter_no_change": [1, 10],
    "target_loss": [0, -1.5, math.inf],
    "early_stopping": [True, np.True_],
    "validation_fraction": [0.5, 0.999],
    "shuffle": [False],
    "random_state": [0, 42, np.random.default_rng(0), np.random.RandomState(0)],
    "init": ["uniform", "normal"],
    "fit_intercept": [False],
    "class_weight": ["balanced", {0: 2.0, 1: 0}],
    "warm_start": [True],
    "verbose": [True, 1, 2],
    "record_weights": [True],
    "callback": [print, lambda info: None],
    "n_jobs": [1, 4, -1, -2],
}


def _bad_cases():
    return [
        pytest.param(cls, name, *case, *[None] * (3 - len(case)), id=f"{cls.__name__}-{name}-{i}")
        for cls in ESTIMATORS
        for name in PARAMETERS[cls.__name__]
        for i, case in enumerate(BAD.get(name, []))
    ]


def _good_cases():
    return [
        pytest.param(cls, name, value, id=f"{cls.__name__}-{name}-{i}")
        for cls in ESTIMATORS
        for name in PARAMETERS[cls.__name__]
        for i, value in enumerate(GOOD.get(name, []))
    ]


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_the_table_has_every_constructor_parameter_in_order(cls):
    table = PARAMETERS[cls.__name__]
    assert list(table) == list(inspect.signature(cls).parameters)
    assert all(entry.name == name for name, entry in table.items())


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_the_table_defaults_are_the_constructors(cls):
    table = PARAMETERS[cls.__name__]
    for name, param in inspect.signature(cls).parameters.items():
        assert table[name].default == param.default, name
        assert type(table[name].default) is type(param.default), name
    check_parameters(cls())  # and the defaults pass


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_the_loss_names_are_the_estimators(cls):
    assert PARAMETERS[cls.__name__]["loss"].choices == cls._LOSSES


def test_every_parameter_has_bad_and_good_examples_here():
    names = set(PARAMETERS["GDRegressor"]) | set(PARAMETERS["GDClassifier"])
    assert set(BAD) == names
    assert set(GOOD) | {"loss"} == names


@pytest.mark.parametrize(("cls", "name", "value", "error", "text"), _bad_cases())
def test_each_entry_refuses_a_bad_value_naming_it(cls, name, value, error, text):
    entry = PARAMETERS[cls.__name__][name]
    text = text or f"Invalid {entry.label or entry.name}: {value!r};"
    with pytest.raises(error, match=re.escape(text)):
        entry.check(value)
    est = cls(**{name: value})
    with pytest.raises(error, match=re.escape(text)):
        check_parameters(est)
    with pytest.raises(error, match=re.escape(text)):
        est.fit(*datasets.blobs())  # fit checks through the same table
    assert not hasattr(est, "coef_")


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_a_loss_object_of_another_estimator_is_refused(cls):
    bad = _other_loss(cls)
    with pytest.raises(ValueError, match=re.escape(f"Invalid loss: {bad!r}; expected")):
        check_parameters(cls(loss=bad))
    good = losses.get(cls._LOSSES[1])
    check_parameters(cls(loss=good))


@pytest.mark.parametrize(("cls", "name", "value"), _good_cases())
def test_each_entry_takes_the_values_it_describes(cls, name, value):
    PARAMETERS[cls.__name__][name].check(value)
    check_parameters(cls(**{name: value}))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_messages_say_what_is_expected(cls):
    for entry in PARAMETERS[cls.__name__].values():
        assert entry.meaning and entry.meaning.endswith(".") and "\n" not in entry.meaning
        words = entry.describe()
        assert words
        value = object()  # no parameter takes one
        with pytest.raises((TypeError, ValueError)) as info:
            entry.check(value)
        assert str(info.value).endswith(f"; expected {words}")


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_the_docstrings_name_every_parameter(cls):
    doc = GDRegressor.__doc__ + cls.__doc__
    for name in PARAMETERS[cls.__name__]:
        assert re.search(rf"``{name}``|\b{name}\b.* :", doc), name


def test_the_table_is_read_only():
    with pytest.raises(TypeError):
        PARAMETERS["GDRegressor"]["tol"] = None
    with pytest.raises(TypeError):
        PARAMETERS["GDExtra"] = {}
    with pytest.raises(AttributeError):
        PARAMETERS["GDRegressor"]["tol"].default = 0.1


def test_intervals_and_descriptions():
    assert Interval(0, 1, "neither").rule(real=True) == "lie in (0, 1)"
    assert Interval(1, math.inf, "left").rule(real=False) == "be >= 1"
    assert Interval(0, math.inf, "neither").rule(real=True) == "be > 0 and finite"
    assert Interval(-math.inf, -1).rule(real=False) == "be <= -1"
    assert Interval(-math.inf, math.inf).rule(real=True) == "not be NaN"
    assert not Interval(-math.inf, math.inf).contains(math.nan)
    entry = Parameter("k", "A count.", 1, kinds=("none", "int"), ranges=(Interval(2, 5),))
    assert entry.describe() == "None or a whole number in [2, 5]"
    with pytest.raises(ValueError, match=re.escape("Invalid k: 6; it must lie in [2, 5]")):
        entry.check(6)
    with pytest.raises(ValueError, match="Invalid kinds of k"):
        Parameter("k", "A count.", 1, kinds=("integer",))
