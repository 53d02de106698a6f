"""The compiled epoch: the Python side of the Numba kernels of :mod:`descend.kernels._compiled`.

:func:`epoch` has the signature and the results (to rounding) of
:func:`descend.kernels.reference.epoch`; :func:`full_gradient` is the fused pass behind the
full-batch epoch and the estimators' per-epoch measurements. What the kernels take:

- X dense float64 or float32, C-contiguous (never copied), or SciPy CSR of either;
- the seven losses of :mod:`descend.losses`, every penalty, sample weights;
- for mini-batches, whose steps run inside the compiled loop, every optimizer that
  describes its update with a :class:`~descend.optimizers.CompiledForm` (the seven of
  :mod:`descend.optimizers`, all but :class:`~descend.optimizers.Nesterov` with its
  sequence or restart; a subclass of the user's has none unless it declares one, and runs
  the reference); a full batch steps with the optimizer's own NumPy update after the
  compiled pass, so it takes any optimizer;
- a learning rate that is a number for the epoch (a line search runs the reference).

``n_jobs`` limits the threads of the parallel full pass (None: as many as pay, see
:mod:`descend.kernels.policy`). The environment variable ``DESCEND_KERNELS=numpy`` sends
everything to the reference, for comparison. Whether a fit runs these kernels or the
reference is the cost model's choice (:func:`pass_route`, :func:`batches_route`).

Examples
--------
>>> import numpy as np
>>> from descend import kernels, losses, optimizers
>>> from descend.kernels import compiled
>>> from descend.penalties import Penalty
>>> X = np.array([[0.0], [1.0], [2.0]]); y = np.array([1.0, 3.0, 5.0])
>>> model = kernels.LinearModel(n_features=1, n_outputs=1, fit_intercept=True)
>>> theta, opt = np.zeros(model.size), optimizers.GD(learning_rate=0.2)
>>> state, rng = opt.init(theta), np.random.default_rng(0)
>>> for _ in range(500):
...     theta, state = compiled.epoch(theta, state, X, y, None, model=model,
...         loss=losses.squared_error(), penalty=Penalty(None), optimizer=opt, rate=0.2,
...         batch_size=1, rng=rng)
>>> theta.round(4)  # slope 2, intercept 1
array([2., 1.])
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from typing import NamedTuple

import numpy as np

from descend import losses, optimizers
from descend.batches import full_batch
from descend.kernels import policy
from descend.kernels.model import LinearModel
from descend.penalties import Penalty

__all__ = [
    "CHUNK_PARTS",
    "Gradient",
    "available",
    "batches_epoch",
    "chunk_sums",
    "epoch",
    "finish",
    "full_gradient",
    "gram_product",
    "optimizer_form",
    "takes",
    "takes_data",
    "threads",
    "total",
]

_LOSS_TYPES = {cls: cls.name for cls in losses.LOSSES.values()}
# The update rules compiled into the kernels, by the kind a CompiledForm names; each is the
# constant of that name, upper-cased, in descend.kernels._compiled.
_KINDS = frozenset(("gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"))
_FLOATS = (np.dtype(np.float64), np.dtype(np.float32))
_TARGET_TYPES = (*_FLOATS, np.dtype(np.int64))


def _kernels():
    """The Numba module, imported (and its cache loaded) on first use."""
    from descend.kernels import _compiled

    return _compiled


def available() -> bool:
    """Whether the compiled kernels are switched on (``DESCEND_KERNELS`` is not "numpy")."""
    return policy.setting() != "numpy"


def takes_data(X) -> bool:
    """Whether the kernels read X as it is: C-contiguous float64/float32, or CSR of those."""
    if hasattr(X, "format"):
        return X.format == "csr" and X.data.dtype in _FLOATS and X.indices.dtype.kind == "i"
    return isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype in _FLOATS and (
        X.flags.c_contiguous
    )  # fmt: skip


def optimizer_form(optimizer) -> optimizers.CompiledForm | None:
    """The optimizer's :class:`~descend.optimizers.CompiledForm` where the kernels can run
    it, else None (no form, or one of a rule or a state the kernels do not have)."""
    describe = getattr(optimizer, "compiled_form", None)
    form = describe() if describe is not None else None
    if form is None or form.kind not in _KINDS or len(form.rows) > 3:
        return None
    return form


def takes_rate(rate) -> bool:
    """Whether the learning rate is a number for the whole epoch, as the kernels need."""
    return isinstance(rate, int | float | np.floating | np.integer) and not isinstance(rate, bool)


def takes(X, loss, optimizer=None, rate=0.0) -> bool:
    """Whether :func:`epoch` runs compiled for this data, loss, optimizer and rate (leave
    ``optimizer`` out for a full batch, which steps with any optimizer's NumPy update)."""
    if not (available() and takes_data(X)) or type(loss) not in _LOSS_TYPES:
        return False
    if optimizer is not None and optimizer_form(optimizer) is None:
        return False
    return takes_rate(rate)


# whether the running block was given its threads by an explicit n_jobs
_EXPLICIT = ContextVar("explicit_threads", default=False)


@contextmanager
def threads(n_jobs):
    """Run the block's parallel kernels on at most ``n_jobs`` threads (None: as many as the
    cost model of :mod:`descend.kernels.policy` finds worth waking, up to all cores; -1: all
    of them; -2: all but one, and so on, as in scikit-learn). An explicit ``n_jobs`` is
    obeyed even where the model would use fewer threads."""
    if n_jobs is None:
        yield
        return
    import numba

    most = numba.config.NUMBA_NUM_THREADS
    wanted = int(n_jobs) if n_jobs > 0 else most + 1 + int(n_jobs)
    before = numba.get_num_threads()
    numba.set_num_threads(max(1, min(most, wanted)))
    token = _EXPLICIT.set(True)
    try:
        yield
    finally:
        _EXPLICIT.reset(token)
        numba.set_num_threads(before)


def _parts(X) -> int:
    """Blocks of rows for a parallel pass over X: one per thread, but (unless ``n_jobs``
    was given) none with less than :data:`descend.kernels.policy.BYTES_PER_THREAD` of X."""
    import numba

    n = X.shape[0]
    most = numba.get_num_threads()
    if _EXPLICIT.get():
        return max(1, min(most, n // 4))
    size = X.data.nbytes if hasattr(X, "format") else X.nbytes
    return max(1, min(most, size // policy.BYTES_PER_THREAD))


def _run(kernel, args, parts: int):
    """Call a parallel kernel; on one block, with the pool asleep (one thread)."""
    import numba

    if parts > 1 or numba.get_num_threads() == 1:
        return kernel(*args)
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        return kernel(*args)
    finally:
        numba.set_num_threads(before)


def _targets(y) -> np.ndarray:
    """Targets as the kernels read them: float64, float32 or int64 as they come (class
    indices are whole numbers either way), anything else as float64."""
    y = np.asarray(y)
    if y.dtype in _TARGET_TYPES and y.flags.c_contiguous:
        return y
    return np.ascontiguousarray(y, dtype=np.float64)


def _weights(sample_weight) -> np.ndarray:
    if sample_weight is None:
        return np.empty(0)
    return np.ascontiguousarray(sample_weight, dtype=np.float64)


class Gradient(NamedTuple):
    """What one pass over all the rows gives: the objective, its gradient (None when not
    asked for), the sums the estimators record (NaN when not asked for) and whether every
    output x·w + b was finite (false when X holds a NaN or an infinity, whatever w is)."""

    value: float
    grad: np.ndarray | None
    sse: float
    correct: float
    finite: bool = True


def _pass_call(
    theta, X, y, sw, model: LinearModel, loss, want_grad, want_stats, parts=None, alone=False
):  # fmt: skip
    """The kernel of one pass over all rows, its arguments (y and sw as the kernels read
    them: see :func:`_targets`, :func:`_weights`) and its number of blocks (``parts``, or
    as :func:`_parts` finds; one for the kernels that run on this thread ``alone``)."""
    kern = _kernels()
    code = kern.LOSS_CODES[loss.name]
    param = float(getattr(loss, "delta", 0.0))
    coef, b = model.split(theta)
    d, k = model.n_features, model.n_outputs
    dtype = X.dtype if not hasattr(X, "format") else X.data.dtype
    W = np.ascontiguousarray(np.reshape(coef, (d, k)), dtype=dtype if k == 1 else np.float64)
    bias = np.zeros(k) if not model.fit_intercept else np.array(b, dtype=float).reshape(k)
    threshold = float(loss.threshold)
    parts = _parts(X) if parts is None else parts
    if alone:
        parts = 1
    if hasattr(X, "format"):
        args = (
            X.data, X.indices, X.indptr, y, sw, W.astype(np.float64), bias, code, param,
            threshold, parts, want_grad,
        )  # fmt: skip
        return (kern.sparse_pass_alone if alone else kern.sparse_pass), args, parts
    if k == 1:
        args = (
            X, y, sw, W[:, 0].copy(), float(bias[0]), code, param, threshold, parts,
            want_grad, want_stats,
        )  # fmt: skip
        return (kern.full_pass_alone if alone else kern.full_pass)(code), args, parts
    many = kern.dense_many_alone if alone else kern.dense_many
    return many, (X, y, sw, W, bias, code, parts, want_grad), parts


def _pass(
    theta, X, y, sw, model: LinearModel, loss, want_grad: bool, want_stats: bool = True,
    parts=None,
):  # fmt: skip
    """The raw sums of one compiled pass: ``G`` of shape ``(d + 1, k)`` and the stats."""
    kernel, args, parts = _pass_call(
        theta, X, y, sw, model, loss, want_grad, want_stats, parts
    )  # fmt: skip
    G, stats = _run(kernel, args, parts)
    return G.reshape(model.n_features + 1, model.n_outputs), stats


def _entries(X) -> int:
    """The entries of X a pass reads: all of dense X, the stored ones of CSR."""
    return int(X.nnz) if hasattr(X, "format") else X.shape[0] * X.shape[1]


def pass_route(X, y, sample_weight, *, model: LinearModel, loss) -> policy.Route:
    """The :class:`~descend.kernels.policy.Route` of the full passes of a fit: whether
    :func:`full_gradient` or the NumPy reference should run them."""
    if not takes(X, loss):
        return policy.Route("none", None, 0)
    sparse = hasattr(X, "format")
    dtype = (X.data if sparse else X).dtype
    if sparse:
        name = "sparse_pass"
    elif model.n_outputs > 1:
        name = "dense_many"
    else:
        name = {"squared_error": "dense_one_squared", "log_loss": "dense_one_log"}.get(
            loss.name, "dense_one"
        )

    targets = _targets(y)

    def kernel():
        found = _pass_call(
            np.zeros(model.size), X, targets, _weights(sample_weight), model, loss, True, True
        )
        return found[:2]

    key = f"{name}[{dtype}, {targets.dtype}]"
    return policy.Route(key, kernel, _entries(X))


def _divisor(loss, sw, n) -> float:
    if loss.reduction == "sum":
        return 1.0
    if sw.shape[0] == 0:
        return float(n)
    total = float(sw.sum())
    return total if total > 0 else 1.0


def full_gradient(
    theta, X, y, sample_weight, *, model, loss, penalty: Penalty, want_grad=True,
    want_stats=True,
) -> Gradient:  # fmt: skip
    """The objective on all rows, its gradient, and the recorded sums, from one pass over X.

    The same numbers (to rounding) as :func:`descend.kernels.reference.objective_and_grad`
    with the whole data as one batch; ``sse`` and ``correct`` are the estimators' squared
    error of the activation and count of right predictions. With ``want_stats`` false a dense
    pass skips the loss values (a plain step needs only the gradient): ``value``, ``sse``
    and ``correct`` are then NaN.
    """
    sw = _weights(sample_weight)
    y = _targets(y)
    G, stats = _pass(
        np.asarray(theta, dtype=float), X, y, sw, model, loss, want_grad, want_stats
    )  # fmt: skip
    divisor = _divisor(loss, sw, X.shape[0])
    return finish(theta, G, stats, divisor, model=model, penalty=penalty, want_grad=want_grad,
                  want_stats=want_stats)  # fmt: skip


def finish(theta, G, stats, divisor, *, model, penalty: Penalty, want_grad=True,
           want_stats=True) -> Gradient:  # fmt: skip
    """The :class:`Gradient` from the raw sums of a pass (``G`` of shape ``(d + 1, k)``, the
    four stats; see :func:`chunk_sums`): divided by the reduction's ``divisor``, with the
    penalty added."""
    finite = bool(np.isfinite(stats[3]))
    coef = model.split(theta)[0]
    if not want_stats:
        stats = np.full(3, np.nan)
    value = float(stats[0]) / divisor
    if penalty.active:
        value += penalty.value(coef)
    grad = None
    if want_grad:
        grad = np.empty(model.size)
        grad_coef = G[: model.n_features].reshape(-1) / divisor
        if penalty.active:
            grad_coef = grad_coef + penalty.grad(coef).reshape(-1)
        grad[: model.n_coef] = grad_coef
        if model.fit_intercept:
            grad[model.n_coef :] = G[model.n_features] / divisor
    return Gradient(value, grad, float(stats[1]), float(stats[2]), finite)


#: Most blocks a chunk's pass is split into (see :func:`chunk_sums`).
CHUNK_PARTS = 16


def chunk_sums(theta, X, y, sample_weight, *, model, loss, want_grad=True, want_stats=True):
    """The raw sums of one pass over a chunk of rows: ``G`` of shape ``(d + 1, k)`` (the
    gradient's sums before the divisor and the penalty) and the four stats (weighted loss,
    squared error, right predictions, sum of the outputs), as :func:`finish` takes them.

    The chunk is split into blocks by its size alone (one per
    :data:`~descend.kernels.policy.BYTES_PER_THREAD` of X, at most :data:`CHUNK_PARTS`),
    never by the threads at hand; each block is summed on one thread by a kernel without a
    parallel loop (so the same machine code sums it whether this process compiled the
    kernel or loaded it from the disk cache), the blocks side by side on as many threads as
    Numba may use here, and their sums are added in order. The same chunk gives the same
    bits on any machine, in any process, on any number of threads; chunks' sums added in
    their order are then the same whatever ran them.
    """
    n = X.shape[0]
    size = X.data.nbytes if hasattr(X, "format") else X.nbytes
    parts = max(1, min(CHUNK_PARTS, n // 4, size // policy.BYTES_PER_THREAD))
    theta = np.asarray(theta, dtype=float)
    y, sw = _targets(y), _weights(sample_weight)
    bounds = [n * p // parts for p in range(parts + 1)]

    def block(p):
        rows = slice(bounds[p], bounds[p + 1])
        kernel, args, _ = _pass_call(
            theta, X[rows], y[rows], sw[rows] if sw.shape[0] else sw, model, loss,
            want_grad, want_stats, alone=True,
        )  # fmt: skip
        G, stats = kernel(*args)
        return G.reshape(model.n_features + 1, model.n_outputs), stats

    import numba

    threads = min(parts, numba.get_num_threads())
    if threads == 1:
        found = [block(p) for p in range(parts)]
    else:
        with ThreadPoolExecutor(threads) as pool:
            found = list(pool.map(block, range(parts)))
    G, stats = found[0][0].copy(), found[0][1].copy()
    for more_G, more_stats in found[1:]:
        G += more_G
        stats += more_stats
    return G, stats


def total(X, prefetch: bool = False) -> float:
    """The sum of every entry of dense X (float64), in one parallel read."""
    parts = _parts(X)
    return float(_run(_kernels().dense_sum, (X, parts, prefetch), parts))


def gram_product(X, w):
    """``v -> X̃ᵀ W X̃ v`` in one compiled pass (see :mod:`descend.kernels.stepsize`)."""
    n, d = X.shape
    zeros = np.zeros(n)
    sw = _weights(w)
    model = LinearModel(d, 1, True)
    squared = losses.squared_error(reduction="sum")

    def product(v, scale, one):
        theta = np.append(v[:d] / scale, v[d] * one)
        G, _ = _pass(theta, X, zeros, sw, model, squared, True, want_stats=False)
        z = np.empty_like(v)
        z[:d] = G[:d, 0] / scale
        z[d] = G[d, 0] * one
        return z

    return product


# --------------------------------------------------------------------- optimizer state


def _pack(form: optimizers.CompiledForm, state, size) -> tuple[np.ndarray, np.ndarray]:
    """The state's buffers as the rows of one new array (zeros for a buffer the state does
    not hold), and its step count, as ``form`` maps them."""
    S = np.zeros((3, size))
    count = np.zeros(1, np.int64)
    for i, field in enumerate(form.rows):
        row = getattr(state, field)
        if row is not None:
            S[i] = row
    if form.count is not None:
        count[0] = getattr(state, form.count)
    return S, count


def _unpack(form: optimizers.CompiledForm, state, S, count):
    """A new state of the type of ``state`` from the rows and the step count, as ``form``
    maps them; a buffer ``state`` does not hold stays None."""
    fields = {f: None if getattr(state, f) is None else S[i] for i, f in enumerate(form.rows)}
    if form.count is not None:
        fields[form.count] = int(count[0])
    return state._replace(**fields) if fields else state


# ------------------------------------------------------------------------------ epochs


def epoch(
    theta,
    state,
    X,
    y,
    sample_weight,
    *,
    model: LinearModel,
    loss,
    penalty: Penalty,
    optimizer,
    rate,
    batch_size: int,
    rng: np.random.Generator,
    shuffle: bool = True,
    n_jobs=None,
):
    """One pass over the rows in batches of ``batch_size``, compiled: the arguments and the
    results of :func:`descend.kernels.reference.epoch` (to rounding), which see.

    A full batch is one fused pass over X and one optimizer step; smaller batches run the
    whole epoch, optimizer steps included, in one compiled loop (:func:`batches_epoch`).
    """
    if not full_batch(batch_size, X.shape[0]):
        return batches_epoch(
            theta, state, X, y, sample_weight, model=model, loss=loss, penalty=penalty,
            optimizer=optimizer, rate=rate, batch_size=batch_size, rng=rng, shuffle=shuffle,
        )  # fmt: skip
    theta = np.asarray(theta, dtype=float)
    with threads(n_jobs), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        found = full_gradient(
            theta, X, y, sample_weight, model=model, loss=loss, penalty=penalty,
            want_stats=False,
        )  # fmt: skip
        if not np.all(np.isfinite(found.grad)):
            return theta + np.nan, state
        step, state = optimizer.update(found.grad, state, theta, float(rate))
        return theta + step, state


def batches_epoch(
    theta,
    state,
    X,
    y,
    sample_weight,
    *,
    model: LinearModel,
    loss,
    penalty: Penalty,
    optimizer,
    rate,
    batch_size: int,
    rng: np.random.Generator,
    shuffle: bool = True,
    whole: tuple[int, float] | None = None,
):
    """A mini-batch or stochastic epoch (``batch_size`` below the number of rows) as one
    compiled loop, the optimizer's steps included: :func:`epoch` for such batches. The loop
    runs on the calling thread, so it takes no ``n_jobs``.

    ``whole`` = (rows, total weight) says that X is a chunk of a larger data set with those
    totals, which size each batch's divisor and share of the penalty (see
    :mod:`descend.kernels.reference`); the batches then never span two chunks."""
    n = X.shape[0]
    theta = np.asarray(theta, dtype=float)
    # rows in order need no list of them: the kernels count them
    order = rng.permutation(n) if shuffle else np.empty(0, np.int64)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _batches(
            theta, state, X, y, sample_weight, order, not shuffle, model, loss, penalty,
            optimizer_form(optimizer), float(rate), batch_size, whole,
        )  # fmt: skip


def _batches_call(
    theta, state, X, y, sw, order, in_order, model, loss, penalty, form, rate, size, whole=None
):  # fmt: skip
    """The kernel of a mini-batch epoch with the optimizer of compiled form ``form``, its
    arguments, and three of them that it updates in place: the parameters, the optimizer's
    state buffers and its step count. With ``whole`` (see :func:`batches_epoch`) every row
    carries a weight (1 where none was given), so that the kernel divides by the totals of
    the whole data rather than of X."""
    kern = _kernels()
    n = X.shape[0]
    if whole is not None:
        if not sw.shape[0]:
            sw = np.ones(n)
        n, total = whole
    else:
        total = float(sw.sum()) if sw.shape[0] else float(n)
    mean = loss.reduction == "mean"
    # a weighted "mean" batch stands for all the rows: its size times their mean weight
    mean_weight = total / n if sw.shape[0] and mean and total > 0 else 0.0
    l1, l2 = penalty._weights
    kind, h = getattr(kern, form.kind.upper()), np.array(form.hyper, dtype=float)
    S, count = _pack(form, state, model.size)
    out = np.array(theta, dtype=float)
    code, param = kern.LOSS_CODES[loss.name], float(getattr(loss, "delta", 0.0))
    k, fit_b = model.n_outputs, model.fit_intercept
    order = order.astype(np.int64, copy=False)
    rows = (X.data, X.indices, X.indptr) if hasattr(X, "format") else (X,)
    args = (
        *rows, y, sw, out, order, in_order, size, code, param, k, fit_b, mean, total,
        mean_weight, l1, l2, kind, h, S, count, float(rate),
    )  # fmt: skip
    kernel = kern.sparse_batches if hasattr(X, "format") else kern.dense_batches
    return kernel, args, (out, S, count)


def _batches(
    theta, state, X, y, sample_weight, order, in_order, model, loss, penalty, form, rate, size,
    whole=None,
):  # fmt: skip
    kernel, args, (out, S, count) = _batches_call(
        theta, state, X, _targets(y), _weights(sample_weight), order, in_order, model, loss,
        penalty, form, rate, size, whole,
    )  # fmt: skip
    ok = kernel(*args)
    # a batch whose gradient was not finite leaves the state of the batches before it
    new_state = _unpack(form, state, S, count)
    return (out, new_state) if ok else (theta + np.nan, new_state)


def batches_route(
    X, y, sample_weight, *, model: LinearModel, loss, penalty, optimizer, batch_size: int
):  # fmt: skip
    """The :class:`~descend.kernels.policy.Route` of a fit's mini-batch or stochastic
    epochs with ``optimizer``: whether :func:`epoch` or the NumPy reference should run
    them."""
    batches = -(-X.shape[0] // batch_size)
    if not takes(X, loss, optimizer):
        return policy.Route("none", None, 0, batches)
    sparse = hasattr(X, "format")
    targets, sw = _targets(y), _weights(sample_weight)

    def kernel():
        theta = np.zeros(model.size)
        return _batches_call(
            theta, optimizer.init(theta), X, targets, sw, np.empty(0, np.int64), True, model,
            loss, penalty, optimizer_form(optimizer), 0.0, 1,
        )[:2]  # fmt: skip

    name = "sparse_batches" if sparse else "dense_batches"
    key = f"{name}[{(X.data if sparse else X).dtype}, {targets.dtype}]"
    return policy.Route(key, kernel, _entries(X), batches)
