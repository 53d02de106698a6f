"""``GDClassifier``: a linear classifier fitted by gradient descent."""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets

from descend import losses
from descend._validation import check_nonnegative
from descend.chunks import Prep
from descend.estimators.base import GDBase, by_blocks

__all__ = ["GDClassifier"]


def _probabilistic(est) -> bool:
    loss = est.loss
    cls = type(loss) if isinstance(loss, losses.Loss) else losses.LOSSES.get(loss)
    if cls is None or not cls.probabilistic:
        raise AttributeError(f"predict_proba needs a probabilistic loss; loss={est.loss!r}")
    return True


class GDClassifier(ClassifierMixin, GDBase):
    r"""Linear classification by gradient descent: batch, mini-batch or stochastic.

    Two classes use one score :math:`z = X w + b`; K > 2 classes use one score per class,
    :math:`Z = X W + b`, trained together (softmax for the log loss, the multiclass SVM loss
    for the hinge). The losses (:mod:`descend.losses`):

    =========================== ==========================================================
    ``"log_loss"``              logistic regression (softmax regression for K classes);
                                gives ``predict_proba``
    ``"hinge"``                 linear SVM; multiclass :math:`\sum_{j\ne y}\max(0, z_j - z_y + 1)`
    ``"squared_hinge"``         the squared hinge terms
    ``"squared_error"``         a linear unit on 0/1 (one-hot) targets, read with a 0.5
                                threshold
    ``"sigmoid_squared_error"`` :math:`\tfrac12(\sigma(z) - y)^2`
    =========================== ==========================================================

    Every other parameter is the one of :class:`descend.GDRegressor`, plus ``class_weight``:
    None, ``"balanced"`` (weights inversely proportional to class frequencies) or a dict
    ``{class: weight}``, multiplying ``sample_weight``.

    Attributes
    ----------
    classes_ : ndarray
    coef_ : ndarray of shape (1, n_features) for two classes, else (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_, n_passes_, history_, stop_reason_, stop_message_, n_features_in_ :
        As for :class:`descend.GDRegressor`; ``history_`` adds ``accuracy`` and
        ``error_rate`` on the training rows.

    Notes
    -----
    ``decision_function`` is :math:`z` minus the loss's threshold (0.5 for
    ``"squared_error"``, 0 otherwise), so a positive value means the second class.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from descend import GDClassifier
    >>> X, y = make_blobs(n_samples=200, centers=2, random_state=1)
    >>> clf = GDClassifier(learning_rate=0.1, max_epochs=200).fit(X, y)
    >>> clf.score(X, y), clf.stop_reason_, clf.predict_proba(X[:1]).shape
    (1.0, 'tol', (1, 2))
    """

    _LOSSES = ("log_loss", "hinge", "squared_hinge", "squared_error", "sigmoid_squared_error")

    def __init__(
        self,
        loss="log_loss",
        *,
        reduction="mean",
        penalty=None,
        alpha=0.0001,
        l1_ratio=0.15,
        optimizer="auto",
        learning_rate="auto",
        momentum=None,
        batch_size=None,
        max_epochs=1000,
        tol="auto",
        n_iter_no_change=None,
        target_loss=None,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        random_state=None,
        init="zeros",
        fit_intercept=True,
        class_weight=None,
        warm_start=False,
        verbose=0,
        record_weights=False,
        callback=None,
        n_jobs=None,
    ):
        self.loss = loss
        self.reduction = reduction
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.target_loss = target_loss
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.random_state = random_state
        self.init = init
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.verbose = verbose
        self.record_weights = record_weights
        self.callback = callback
        self.n_jobs = n_jobs

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over the rows given, keeping the optimizer's state and the schedule's
        epoch count from call to call. The optimizer is the one of the first call (its state
        belongs to it); with ``learning_rate="auto"`` each call's chunk may lower the rate,
        never raise it. ``fit`` starts afresh. ``classes`` (every
        class there will be) is needed on the first call. Returns self."""
        return self._partial_fit(X, y, classes, sample_weight)

    @by_blocks
    def decision_function(self, X) -> np.ndarray:
        """Scores: shape (n,) for two classes (positive means ``classes_[1]``), else (n, K)."""
        z = self._raw_output(X)
        return z if z.ndim == 2 else z - self._loss_threshold()

    @by_blocks
    def predict(self, X) -> np.ndarray:
        """The class of each row."""
        scores = self.decision_function(X)
        index = np.argmax(scores, axis=1) if scores.ndim == 2 else (scores > 0).astype(np.intp)
        return self.classes_[index]

    @available_if(_probabilistic)
    @by_blocks
    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n, n_classes), for ``loss="log_loss"``."""
        return self._loss_object().predict_proba(self._raw_output(X))

    @available_if(_probabilistic)
    @by_blocks
    def predict_log_proba(self, X) -> np.ndarray:
        """The log of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    # ------------------------------------------------------------------------ targets

    def _is_classifier(self) -> bool:
        return True

    def _loss_object(self):
        return self.loss if isinstance(self.loss, losses.Loss) else losses.get(self.loss)

    def _loss_threshold(self) -> float:
        return self._loss_object().threshold

    def _prepare_targets(self, y, partial, classes=None):
        name = type(self).__name__
        counted = None if partial else _count_classes(y)
        if counted is not None:  # whole numbers: the classes and indices in one count
            self.classes_, index = counted
            if len(self.classes_) < 2:
                raise ValueError(
                    f"{name} needs at least two classes in y; it has only one class: "
                    f"{self.classes_.tolist()[0]!r}"
                )
            k = len(self.classes_)
            return (index.astype(float) if k == 2 else index), (1 if k == 2 else k)
        check_classification_targets(y)
        if partial and not hasattr(self, "classes_"):
            if classes is None:
                raise ValueError(
                    f"{name}.partial_fit needs classes= (every class there will be) on its "
                    "first call"
                )
            self.classes_ = np.unique(np.asarray(classes))
        elif partial:
            if classes is not None and not np.array_equal(np.unique(classes), self.classes_):
                raise ValueError(
                    f"classes={classes!r} differs from the classes of the first call, "
                    f"{self.classes_.tolist()!r}"
                )
        else:
            self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(
                f"{name} needs at least two classes in y; it has only one class: "
                f"{self.classes_.tolist()[0]!r}"
            )
        index = np.searchsorted(self.classes_, y)
        index = np.clip(index, 0, len(self.classes_) - 1)
        unknown = self.classes_[index] != y
        if np.any(unknown):
            row = int(np.flatnonzero(unknown)[0])
            raise ValueError(
                f"y has a class not in classes: {np.asarray(y)[row].tolist()!r} (row {row}); "
                f"classes are {self.classes_.tolist()!r}"
            )
        k = len(self.classes_)
        return (index.astype(float) if k == 2 else index), (1 if k == 2 else k)

    def _chunk_targets(self, data):
        labels = data.labels()
        check_classification_targets(labels)
        if len(labels) < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least two classes in y; it has only one "
                f"class: {labels.tolist()[0] if len(labels) else None!r}"
            )
        self.classes_ = labels
        k = len(labels)
        per_class = self._class_weights(lambda: data.class_counts(labels))
        prep = Prep(
            dtype=data.dtype.name, classes=labels, binary=k == 2,
            class_weight=None if per_class is None else tuple(per_class.tolist()),
        )  # fmt: skip
        return prep, (1 if k == 2 else k)

    def _sample_weight(self, sample_weight, X, y, partial=False):
        w = super()._sample_weight(sample_weight, X, y)
        if self.class_weight is None:
            return w
        index = y.astype(np.intp)
        k = len(self.classes_)
        per_class = self._class_weights(lambda: np.bincount(index, minlength=k), partial)
        cw = per_class[index]
        return cw if w is None else w * cw

    def _class_weights(self, counts, partial=False):
        """The weight of each class of ``classes_`` by ``class_weight`` (None for none);
        ``counts()`` gives the rows of each class, which 'balanced' needs."""
        if self.class_weight is None:
            return None
        if isinstance(self.class_weight, dict):
            missing = set(self.class_weight) - set(self.classes_.tolist())
            if missing:
                raise ValueError(
                    f"Invalid class_weight: classes {sorted(missing, key=str)} are not in y "
                    f"(classes are {self.classes_.tolist()})"
                )
        elif self.class_weight != "balanced":
            raise ValueError(
                f"Invalid class_weight: {self.class_weight!r}; expected None, 'balanced' or a "
                "dict {class: weight}"
            )
        k = len(self.classes_)
        if self.class_weight == "balanced" and partial:
            raise ValueError(
                "class_weight='balanced' needs the counts of the whole data set, which "
                "partial_fit never sees at once; compute them with "
                "sklearn.utils.class_weight.compute_class_weight and pass a dict"
            )
        if self.class_weight == "balanced":
            # n / (k * count) per class; a class with no rows here (a partial_fit batch
            # may lack one) weighs nothing in these rows, so its weight does not matter
            counts = counts()
            return counts.sum() / (k * np.maximum(counts, 1.0))
        return np.array(
            [
                check_nonnegative(self.class_weight.get(c, 1.0), f"class_weight[{c!r}]")
                for c in self.classes_.tolist()
            ]
        )

    @staticmethod
    def _coef_shape(model):
        return (model.n_outputs, model.n_features)

    @staticmethod
    def _model_coef(coef, model):
        return coef[0] if model.n_outputs == 1 else coef.T

    @staticmethod
    def _public_weights(theta, model):
        coef, b = model.split(theta)
        if model.n_outputs == 1:
            return np.array(coef, copy=True).reshape(1, -1), np.array([b], float).reshape(1)
        intercept = np.array(b, float).reshape(-1)
        if intercept.size != model.n_outputs:  # no intercept fitted: one zero per class
            intercept = np.zeros(model.n_outputs)
        return np.array(coef.T, copy=True), intercept


def _count_classes(y):
    """``(classes, index)`` for integer targets in a range not much wider than their number,
    by counting (linear time) rather than sorting; None for any other targets."""
    y = np.asarray(y)
    if y.ndim != 1 or y.size == 0 or y.dtype.kind not in "iu":
        return None
    low, high = int(y.min()), int(y.max())
    if high - low > max(1024, 2 * y.size):
        return None
    shifted = y.astype(np.intp, copy=False)
    if low:
        shifted = shifted - low
    counts = np.bincount(shifted)
    present = np.flatnonzero(counts)
    lookup = np.zeros(counts.size, dtype=np.intp)
    lookup[present] = np.arange(present.size)
    classes = (present + low).astype(y.dtype)
    return classes, lookup[shifted]
