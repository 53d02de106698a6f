"""scikit-learn estimators fitted by gradient descent: :class:`GDRegressor` and
:class:`GDClassifier`.

They follow scikit-learn's conventions (``fit``/``predict``/``score``, ``get_params``,
pipelines, grid search) and add what gradient descent users ask for: true mini-batches, any
optimizer of :mod:`descend.optimizers`, named stopping rules with the reason reported, and the
full per-epoch history in ``history_``.
"""

from descend.estimators.classifier import GDClassifier
from descend.estimators.history import TrainingHistory
from descend.estimators.regressor import GDRegressor

__all__ = ["GDClassifier", "GDRegressor", "TrainingHistory"]
