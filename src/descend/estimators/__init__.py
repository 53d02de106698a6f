"""scikit-learn estimators fitted by gradient descent: :class:`GDRegressor` and
:class:`GDClassifier`.

They follow scikit-learn's conventions (``fit``/``predict``/``score``, ``get_params``,
pipelines, grid search) and add what gradient descent users ask for: true mini-batches, any
optimizer of :mod:`descend.optimizers`, named stopping rules with the reason reported, and the
full per-epoch history in ``history_``.

Their constructor parameters are listed, with the values each accepts, its default and its
meaning, in :data:`PARAMETERS` (see :mod:`descend.estimators.parameters`), the table every
fit checks its settings against:

>>> from descend.estimators import PARAMETERS, GDClassifier, check_parameters
>>> entry = PARAMETERS["GDClassifier"]["validation_fraction"]
>>> entry.default, entry.describe()
(0.1, 'a number in (0, 1)')
>>> check_parameters(GDClassifier(validation_fraction=1.5))
Traceback (most recent call last):
...
ValueError: Invalid validation_fraction: 1.5; it must lie in (0, 1)
"""

from descend.estimators.classifier import GDClassifier
from descend.estimators.history import TrainingHistory
from descend.estimators.parameters import PARAMETERS, Interval, Parameter, check_parameters
from descend.estimators.regressor import GDRegressor

__all__ = [
    "PARAMETERS",
    "GDClassifier",
    "GDRegressor",
    "Interval",
    "Parameter",
    "TrainingHistory",
    "check_parameters",
]
