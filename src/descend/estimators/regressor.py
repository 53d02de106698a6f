"""``GDRegressor``: a linear model fitted by gradient descent on a regression loss."""

from __future__ import annotations

import numpy as np
from sklearn.base import RegressorMixin

from descend.estimators.base import GDBase, by_blocks

__all__ = ["GDRegressor"]


class GDRegressor(RegressorMixin, GDBase):
    r"""Linear regression by gradient descent: batch, mini-batch or stochastic.

    The model is :math:`\hat y = X w + b`. Each epoch walks once through the rows in batches
    of ``batch_size`` and takes one optimizer step per batch on

    .. math:: J(w, b) = L(\hat y, y) + R(w),

    where ``L`` is ``loss`` reduced by ``reduction`` over the batch (see
    :mod:`descend.losses`) and ``R`` the penalty (see :mod:`descend.penalties`). After every
    epoch the loss on all the rows is recorded in ``history_`` and the stopping rules are
    asked (:mod:`descend.stopping`).

    Parameters
    ----------
    loss : {"squared_error", "huber", "absolute_error"} or Loss
        ``"squared_error"`` is :math:`\tfrac12 (\hat y - y)^2` per row.
    reduction : {"mean", "sum"}
        Average or add the per-row losses.
    penalty : {None, "l2", "l1", "elasticnet"}
        Penalty on ``coef_`` (never on the intercept), with strength ``alpha`` and, for the
        elastic net, ``l1_ratio``.
    alpha, l1_ratio : float
        See :mod:`descend.penalties`.
    optimizer : "auto", str or Optimizer
        ``"auto"`` (the default) is ``"lbfgs"`` (:class:`descend.optimizers.LBFGS`, each
        iteration a strong-Wolfe line search whose every trial is one pass over the rows)
        where it applies: ``fit`` on the full batch, a smooth loss, no L1 penalty, and
        neither a learning rate nor a momentum given; otherwise ``"gd"``. Or a name from
        :data:`descend.optimizers.OPTIMIZERS`, or an optimizer object (which then carries
        its own learning rate and momentum). ``"lbfgs"`` and ``"cg"`` need the full batch.
    learning_rate : float, schedule, "backtracking", "wolfe" or "auto"
        The step size :math:`\eta`. A schedule is a function of the epoch number;
        ``"backtracking"`` runs an Armijo line search on each batch, ``"wolfe"`` a
        strong-Wolfe one. ``"auto"`` (the default) keeps the line search of ``"lbfgs"`` and
        ``"cg"``, and takes :math:`1/L` for ``"gd"``, ``"momentum"`` and ``"nesterov"``,
        :math:`L` a bound on the curvature of a batch's loss worked out from the data
        (:func:`descend.kernels.auto_learning_rate`), so no scale of the inputs makes them
        diverge. With momentum :math:`\alpha`, ``"gd"`` and ``"momentum"`` take
        :math:`1 - \alpha` of it, and so does ``"nesterov"`` on mini-batches and in
        ``partial_fit``. On a full batch ``"nesterov"`` takes :math:`1/L` whole and, unless
        ``momentum`` is given, the accelerated sequence with the gradient restart
        (``Nesterov(1/L, momentum="sequence", restart="gradient")`` of
        :mod:`descend.optimizers`), whose epochs grow as the square root of the loss's
        condition number where plain descent's grow in proportion to it, with no condition
        number to know. The adaptive optimizers keep their own default rate (0.001 for Adam
        and AdamW, 0.01 for AdaGrad and RMSProp). With an optimizer object, its own rate is
        used.
    momentum : float or "sequence", optional
        :math:`\alpha` for ``"gd"`` (the tutorials' :math:`\Delta w \leftarrow -\eta\nabla J
        + \alpha \Delta w`), ``"momentum"``, ``"nesterov"`` and ``"rmsprop"``; for
        ``"nesterov"`` also ``"sequence"``, the accelerated sequence
        :math:`\alpha_k = (k - 1)/(k + 2)` (:class:`descend.optimizers.Nesterov`).
    batch_size : int, optional
        None: all rows at once (batch); 1: one row at a time (stochastic); k: mini-batches.
        The optimizer's state carries from batch to batch and epoch to epoch.
    max_epochs : int
        At most this many epochs (passes over the data; iterations of ``"lbfgs"`` and
        ``"cg"``).
    tol : "auto", float or None
        Stop when the loss changes by at most ``tol`` between epochs
        (:math:`|L_k - L_{k-1}| \le` ``tol``). ``"auto"`` (the default) is :math:`10^{-4}`,
        or for ``"lbfgs"`` and ``"cg"`` a change of :math:`10^{-12}` times the loss
        (:class:`descend.stopping.RTol`): their steps converge fast enough near the optimum
        for such a change to leave a gap of the same order. None turns the rule off.
    n_iter_no_change : int or None
        Stop instead when the best loss has not improved by more than ``tol`` (or 0) for this
        many epochs in a row (the patience rule; ``tol`` is then its threshold, not a rule of
        its own). None keeps the ``tol`` rule.
    target_loss : float or None
        Stop once the loss is at or below this.
    early_stopping : bool
        Hold out ``validation_fraction`` of the rows; the stopping rules then watch the loss
        on them, and the fit keeps the coefficients of the epoch that did best there.
    validation_fraction : float
        Share of rows held out for ``early_stopping``.
    shuffle : bool
        Reshuffle the rows every epoch (mini-batch and stochastic descent).
    random_state : None, int or Generator
        Seeds the starting point, the held-out rows and the shuffling.
    init : {"zeros", "uniform", "normal"}
        Start at zero, uniform in [0, 1), or :math:`N(0, 1/D)` with D the inputs per unit.
    fit_intercept : bool
        Fit ``intercept_`` (otherwise it stays 0).
    warm_start : bool
        Start ``fit`` from the last fit's coefficients.
    verbose : int
        1 prints ``[INFO] epoch #k, loss=…`` per epoch and the stop reason at the end.
    record_weights : bool
        Keep the coefficients after every epoch in ``history_.coef`` / ``history_.intercept``.
    callback : callable, optional
        ``callback(info)`` after every epoch of ``fit`` with a :class:`descend.stopping.Info`
        (``info.nit`` the epoch, ``info.f`` the watched loss); returning True, or raising
        StopIteration, ends the fit there with ``stop_reason_ == "callback"``, keeping that
        epoch. Progress bars and a clean stop on Ctrl-C hook in here.
    n_jobs : int or None
        Threads of the compiled full-batch pass over X (None: all cores; -1 likewise, -2 all
        but one). Mini-batch and stochastic epochs run on one thread: each step needs the
        one before it.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : ndarray of shape (1,)
    n_iter_ : int
        Epochs run (iterations of ``"lbfgs"`` and ``"cg"``).
    n_passes_ : int
        Passes over the training rows the fit made: its epochs, each line-search trial on
        the full batch, and the measurements of the loss that did not share a pass with
        them.
    history_ : TrainingHistory
        One row per epoch (row 0 the start): ``loss``, ``val_loss``, ``learning_rate``,
        ``time``, ``sse``, and ``coef`` / ``intercept`` with ``record_weights``.
    stop_reason_, stop_message_ : str
        Which rule stopped the fit (``"tol"``, ``"n_iter_no_change"``, ``"target_loss"``,
        ``"max_epochs"``, ``"line_search"``, ``"callback"``) and a sentence saying so.
    n_features_in_ : int

    See Also
    --------
    descend.estimators.PARAMETERS : The values each parameter accepts and its default, as
        the table ``fit`` checks them against.

    Examples
    --------
    >>> import numpy as np
    >>> from descend import GDRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2)); y = X @ [2.0, -1.0] + 0.5
    >>> reg = GDRegressor(learning_rate=0.1, max_epochs=500, tol=1e-12).fit(X, y)
    >>> reg.coef_.round(4), reg.intercept_.round(4), reg.stop_reason_
    (array([ 2., -1.]), array([0.5]), 'tol')
    """

    _LOSSES = ("squared_error", "huber", "absolute_error")

    def __init__(
        self,
        loss="squared_error",
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
        self.warm_start = warm_start
        self.verbose = verbose
        self.record_weights = record_weights
        self.callback = callback
        self.n_jobs = n_jobs

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over the rows given, keeping the optimizer's state and the schedule's
        epoch count from call to call. The optimizer is the one of the first call (its state
        belongs to it); with ``learning_rate="auto"`` each call's chunk may lower the rate,
        never raise it. ``fit`` starts afresh. Returns self."""
        return self._partial_fit(X, y, None, sample_weight)

    @by_blocks
    def predict(self, X) -> np.ndarray:
        """:math:`X w + b`."""
        return self._raw_output(X)

    # -------------------------------------------------------------------------- shapes

    def _prepare_targets(self, y, partial, classes=None):
        return np.asarray(y, dtype=float), 1

    @staticmethod
    def _coef_shape(model):
        return (model.n_features,)

    @staticmethod
    def _model_coef(coef, model):
        return coef

    @staticmethod
    def _public_weights(theta, model):
        coef, b = model.split(theta)
        return np.array(coef, copy=True), np.array([b], dtype=float).reshape(1)
