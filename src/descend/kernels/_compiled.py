r"""The compiled epoch: Numba kernels for every loss, optimizer, penalty and batch mode.

The kernels that do the work of :mod:`descend.kernels`:

- :func:`dense_one` / :func:`dense_many` / :func:`sparse_pass`: one pass over all the rows
  (one output, K outputs, CSR), in parallel blocks. Each row's output, loss, derivative and
  share of :math:`X^\top L'` are computed while the row is in cache, so X is read once per
  pass; the pass also sums what the estimators record (loss, squared error of the
  activation, correct predictions, and the outputs, whose sum is finite unless X holds a
  NaN or an infinity). :func:`full_pass` picks the one-output pass for a loss: the squared
  error and the log loss have passes compiled for them alone.
- :func:`dense_batches` / :func:`sparse_batches`: a whole epoch of mini-batch or stochastic
  descent in one call, the optimizer's update compiled in; plain stochastic descent looks
  one row ahead (:func:`_plain_loop`).
- :func:`dense_sum`: one parallel read of X (the finiteness check, the benchmarks' floor).

Losses and optimizers are chosen by a small integer code (the tables below); the plain NumPy
twins of all of this live in :mod:`descend.kernels.reference`, and the tests hold the two to
the same numbers. The module is imported only when a kernel first runs, so ``import descend``
never loads Numba; compiled code is cached on disk and reused by later processes.

Floating point: with float32 X the dot products, and the sums of a full pass over blocks of
64 rows, run in float32 (that is the point of float32 data: half the bytes to read); the
totals over blocks and the parameters are float64.
"""

from __future__ import annotations

import math
import warnings

import numba
import numpy as np
from llvmlite import ir
from numba import prange, types
from numba.core import cgutils
from numba.extending import intrinsic, overload

# Reassociation lets sums over a row vectorise; no-NaN / no-inf assumptions are left off, so
# a diverging fit still shows up as NaN or inf for the caller to report. Contraction into
# fused multiply-adds is left off too: with it, a kernel compiled in this process and the
# same kernel loaded from the disk cache could sum in other orders (some multi-output sums
# differed in their last bit); without it, a kernel on one thread gives the same bits
# wherever it was compiled, which the passes over data in chunks need (see the kernels
# "alone" below), at a cost within the noise of the benchmarks.
_FAST = {"reassoc", "nsz"}
_no_cache_said = False


def _compiler(**options):
    """``numba.njit`` with these options, cached on disk where Numba finds a folder it may
    write (beside this file, ``NUMBA_CACHE_DIR`` or the user's cache folder). With none (the
    package installed read-only and no writable home) the kernels still run, compiled anew
    in each process, and one warning says why."""

    def decorate(function):
        global _no_cache_said
        try:
            return numba.njit(cache=True, **options)(function)
        except RuntimeError as error:  # Numba found no folder to write its cache in
            if not _no_cache_said:
                _no_cache_said = True
                warnings.warn(
                    "descend's compiled kernels cannot be cached on disk here (no writable "
                    "folder beside the package, in NUMBA_CACHE_DIR or in the home "
                    f"directory: {error}); each process compiles the kernels it runs anew. "
                    "Set NUMBA_CACHE_DIR to a writable folder to keep them.",
                    RuntimeWarning,
                    stacklevel=2,
                )
            return numba.njit(cache=False, **options)(function)

    return decorate


_jit = _compiler(fastmath=_FAST, nogil=True)
_pjit = _compiler(fastmath=_FAST, nogil=True, parallel=True)
# for the bodies of parallel loops: a call out of the loop body cost a quarter of the speed
_inline = _compiler(fastmath=_FAST, nogil=True, inline="always")

# ----------------------------------------------------------------------------- loss codes

SQUARED, HUBER, ABSOLUTE, LOG, HINGE, SQUARED_HINGE, SIGMOID_SQUARED = range(7)
LOSS_CODES = {
    "squared_error": SQUARED,
    "huber": HUBER,
    "absolute_error": ABSOLUTE,
    "log_loss": LOG,
    "hinge": HINGE,
    "squared_hinge": SQUARED_HINGE,
    "sigmoid_squared_error": SIGMOID_SQUARED,
}

# ------------------------------------------------------------------------ optimizer codes

GD, MOMENTUM, NESTEROV, ADAGRAD, RMSPROP, ADAM = range(6)

# the fewest rows ahead a mini-batch or stochastic epoch prefetches
_AHEAD = 8
# how far ahead the full pass prefetches X (2 KiB measured best for float32, as good as
# any for float64), and how
# many groups of four rows its block accumulator sums before adding into float64
_PREFETCH_BYTES = 2048
_FLUSH = 16


@_jit
def _sigmoid(z):
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@_inline
def _squared(z, y):
    r = z - y
    return 0.5 * r * r, r, z


@_inline
def _logistic(z, y, want_value):
    # one exponential serves both: e = exp(-|z|) never overflows, σ(z) is 1/(1+e) or
    # e/(1+e), and log(1 + e^z) - y z = log1p(e) + max(z, 0) - y z. The numerator is
    # chosen, not branched on (the sign of z is a coin toss, and a mispredicted branch sits
    # on the critical path of a stochastic epoch), and the division comes last on that path.
    e = math.exp(-abs(z))
    s = (1.0 if z >= 0.0 else e) / (1.0 + e)
    value = math.log1p(e) + max(z, 0.0) - y * z if want_value else 0.0
    if z != z:
        value = s = z
    return value, s - y, s


@_inline
def _hot(code, param, z, target, want_value):
    """:func:`_one` for the hot loops: the squared error and the log loss written in place,
    the other losses called. (Inlining all of :func:`_one` at every row of a pass doubled the
    time to compile it.)"""
    y = float(target)
    if code == SQUARED:
        return _squared(z, y)
    if code == LOG:
        return _logistic(z, y, want_value)
    return _one(code, param, z, y, want_value)


@_jit
def _one(code, param, z, target, want_value=True):
    """Loss, derivative and activation of one output z against a target (0/1 for classes,
    of any number type). With ``want_value`` false the log loss skips its logarithm (the
    value is then 0)."""
    y = float(target)
    if code == SQUARED:
        return _squared(z, y)
    if code == HUBER:
        r = z - y
        a = abs(r)
        value = 0.5 * a * a if a <= param else param * (a - 0.5 * param)
        return value, min(max(r, -param), param), z
    if code == ABSOLUTE:
        r = z - y
        sign = 1.0 if r > 0.0 else (-1.0 if r < 0.0 else r)  # NaN stays NaN
        return abs(r), sign, z
    if code == LOG:
        return _logistic(z, y, want_value)
    if code == HINGE:
        sy = 2.0 * y - 1.0
        return max(0.0, 1.0 - sy * z), (-sy if sy * z < 1.0 else 0.0), z
    if code == SQUARED_HINGE:
        sy = 2.0 * y - 1.0
        h = max(0.0, 1.0 - sy * z)
        if z != z:
            h = z
        return h * h, -2.0 * sy * h, z
    # SIGMOID_SQUARED
    s = _sigmoid(z)
    r = s - y
    return 0.5 * r * r, r * s * (1.0 - s), s


@_jit
def _many(code, z, c, d, act):
    """Loss of the scores z (K of them) against class c; fills the derivative d and the
    activation act, returns the loss."""
    k = z.shape[0]
    value = 0.0
    if code == LOG:
        m = z[0]
        for j in range(1, k):
            m = max(m, z[j])
        if not math.isfinite(m):
            m = 0.0
        total = 0.0
        for j in range(k):
            act[j] = math.exp(z[j] - m)
            total += act[j]
        for j in range(k):
            act[j] /= total
            d[j] = act[j]
        d[c] -= 1.0
        return m + math.log(total) - z[c]
    if code in (HINGE, SQUARED_HINGE):
        own = 0.0
        for j in range(k):
            act[j] = z[j]
            if j == c:
                d[j] = 0.0
                continue
            margin = max(z[j] - z[c] + 1.0, 0.0)
            if code == HINGE:
                value += margin
                d[j] = 1.0 if margin > 0.0 else 0.0
            else:
                value += margin * margin
                d[j] = 2.0 * margin
            own += d[j]
        d[c] = -own
        return value
    for j in range(k):  # squared error, plain or of the sigmoid, on one-hot targets
        t = 1.0 if j == c else 0.0
        if code == SQUARED:
            r = z[j] - t
            d[j] = r
            act[j] = z[j]
        else:
            s = _sigmoid(z[j])
            r = s - t
            d[j] = r * s * (1.0 - s)
            act[j] = s
        value += 0.5 * r * r
    return value


@_jit
def _split(n, parts):
    """Bounds of ``parts`` nearly equal runs of n rows."""
    bounds = np.empty(parts + 1, np.int64)
    for p in range(parts + 1):
        bounds[p] = (n * p) // parts
    return bounds


# ------------------------------------------------------------------- one pass, all rows


@intrinsic
def _prefetch(typingctx, X, i, j):
    """Ask the cache for the line holding X[i, j] without waiting for it (LLVM's prefetch:
    a hint, never a fault, so an address past the array is harmless)."""
    sig = types.void(X, i, j)

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        array = context.make_array(array_type)(context, builder, args[0])
        index = [
            context.cast(builder, value, kind, types.intp)
            for value, kind in zip(args[1:], signature.args[1:], strict=True)
        ]
        address = cgutils.get_item_pointer(context, builder, array_type, array, index)
        byte = ir.IntType(8).as_pointer()
        address = builder.bitcast(address, byte)
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [byte, i32, i32, i32])
        fetch = builder.module.declare_intrinsic("llvm.prefetch", [byte], fnty)
        # read, keep in all cache levels, data cache
        builder.call(
            fetch, [address, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)]
        )
        return context.get_dummy_value()

    return sig, codegen


# ---------------------------------------------------------------------------- row access
#
# The passes over K outputs (:func:`dense_many` and :func:`sparse_pass`) share their rows'
# work, written once over a row's stored entries: :func:`_span` gives the range of row i's
# entries and :func:`_entry` the value and column of one. X is either a dense 2-D array,
# whose row i stores every column (entry q is column q), or CSR X as the triple
# ``(data, indices, indptr)``, whose row i stores its nonzeros. Both are overloads chosen
# by the type of X when a kernel compiles; for dense X the helpers below compile to the
# plain loops over columns. (The overloads are left to LLVM to inline: inlined by Numba
# they compiled slower.)


def _span(X, i):
    """``(lo, hi)``: the range of row i's stored entries in X (compiled code only)."""
    raise NotImplementedError("_span runs in compiled kernels only")


def _entry(X, i, q):
    """``(value, column)`` of entry q of row i of X (compiled code only)."""
    raise NotImplementedError("_entry runs in compiled kernels only")


@overload(_span)
def _span_of(X, i):
    if isinstance(X, types.Array):
        return lambda X, i: (0, X.shape[1])
    return lambda X, i: (X[2][i], X[2][i + 1])


@overload(_entry)
def _entry_of(X, i, q):
    if isinstance(X, types.Array):
        return lambda X, i, q: (X[i, q], q)
    return lambda X, i, q: (X[0][q], X[1][q])


@_inline
def _row_outputs(X, i, W, z):
    """Add row i of X times W into z: the K outputs :math:`z = x_i W + b` when z holds the
    intercepts b (added first, as they are)."""
    k = z.shape[0]
    lo, hi = _span(X, i)
    for q in range(lo, hi):
        x, j = _entry(X, i, q)
        value = float(x)
        for c in range(k):
            z[c] += value * W[j, c]


@_inline
def _row_add_many(X, i, dz, G):
    """Add the outer product of row i of X with dz into G (K outputs: ``G[j, c]``)."""
    k = dz.shape[0]
    lo, hi = _span(X, i)
    for q in range(lo, hi):
        x, j = _entry(X, i, q)
        value = float(x)
        for c in range(k):
            G[j, c] += value * dz[c]


@_inline
def _row_term(code, param, threshold, z, target, weight, want_stats):
    """One row's share of a pass at output z: its weighted loss derivative and, when
    ``want_stats``, its weighted loss, the squared error of its activation and whether it
    is predicted right (zeros otherwise)."""
    t = float(target)
    value, dz, a = _hot(code, param, z, t, want_stats)
    if not want_stats:
        return weight * dz, 0.0, 0.0, 0.0
    e = a - t
    hit = 1.0 if (1.0 if z > threshold else 0.0) == t else 0.0
    return weight * dz, weight * value, e * e, hit


@_inline
def _full_pass(X, y, sw, w, b, code, param, threshold, parts, want_grad, want_stats, names_apart):
    """The body of :func:`dense_one`: sums over all rows of dense X for a model with one
    output, returns ``(g, stats)``.

    ``g`` (length d + 1) holds :math:`\\sum_i s_i \\ell'(z_i) [x_i, 1]` — the gradient
    before the reduction's divisor and the penalty — and ``stats`` the weighted loss, the
    squared error of the activation, the number of correct predictions and the sum of the
    outputs (not finite exactly when some output is not). ``w`` has X's dtype (the dot
    products run in it), ``sw`` is empty for no weights. With ``want_stats`` false only the
    last of the stats is summed: a bare gradient step needs no loss values.
    ``names_apart`` is a one-element zero array of a dtype of the caller's own: it only keeps
    the names of the passes' compiled loops apart (see :func:`dense_one`).

    Each thread takes one run of rows, in groups of four. The four dot products run side by
    side, sharing each load of w, and each element of the gradient is updated once per
    group. Three things keep the pass at the speed of reading X: the group ``_PREFETCH_BYTES``
    ahead is prefetched while this one is computed (the hardware prefetcher alone leaves the
    core waiting); the row terms are summed in X's dtype into a block accumulator added into
    the float64 sum every ``_FLUSH`` groups, so float32 data is never widened element by
    element; and the loss values are skipped unless asked for. The loop is written out in
    the parallel body rather than called: as a call it ran a third slower.
    """
    n, d = X.shape
    bounds = _split(n, parts)
    G = np.zeros((parts, d + 1))
    stats = np.zeros((parts, 4))
    weighted = sw.shape[0] > 0
    zero = np.zeros(1, X.dtype)[0]
    # rows ahead: about _PREFETCH_BYTES, a whole number of groups
    ahead = 4 * max(1, _PREFETCH_BYTES // (4 * d * X.itemsize))
    line = max(1, 64 // X.itemsize)
    n_lines = (4 * d + line - 1) // line  # a group's 4 rows are contiguous
    for p in prange(parts):
        lo, hi = bounds[p], bounds[p + 1]
        # the sums live in scalars, not in an array: stores into an array, made or not row
        # by row, kept the compiler from holding any of them in a register
        outputs = float(names_apart[0])
        loss = 0.0
        sse = 0.0
        hits = 0.0
        g = np.zeros(d + 1)
        acc = np.zeros(d, X.dtype)
        bias = 0.0
        groups = 0
        i = lo
        while i + 4 <= hi:
            if i + ahead + 4 <= hi:
                for q in range(n_lines):
                    _prefetch(X, i + ahead, q * line)
            z0 = zero
            z1 = zero
            z2 = zero
            z3 = zero
            for j in range(d):
                wj = w[j]
                z0 += X[i, j] * wj
                z1 += X[i + 1, j] * wj
                z2 += X[i + 2, j] * wj
                z3 += X[i + 3, j] * wj
            w0 = sw[i] if weighted else 1.0
            w1 = sw[i + 1] if weighted else 1.0
            w2 = sw[i + 2] if weighted else 1.0
            w3 = sw[i + 3] if weighted else 1.0
            o0, o1, o2, o3 = z0 + b, z1 + b, z2 + b, z3 + b
            r0, v0, e0, h0 = _row_term(code, param, threshold, o0, y[i], w0, want_stats)
            r1, v1, e1, h1 = _row_term(code, param, threshold, o1, y[i + 1], w1, want_stats)
            r2, v2, e2, h2 = _row_term(code, param, threshold, o2, y[i + 2], w2, want_stats)
            r3, v3, e3, h3 = _row_term(code, param, threshold, o3, y[i + 3], w3, want_stats)
            outputs += o0 + o1 + o2 + o3
            bias += r0 + r1 + r2 + r3
            if want_stats:
                loss += v0 + v1 + v2 + v3
                sse += e0 + e1 + e2 + e3
                hits += h0 + h1 + h2 + h3
            if want_grad:
                x0 = X.dtype.type(r0)
                x1 = X.dtype.type(r1)
                x2 = X.dtype.type(r2)
                x3 = X.dtype.type(r3)
                for j in range(d):
                    acc[j] += x0 * X[i, j] + x1 * X[i + 1, j] + x2 * X[i + 2, j] + x3 * X[i + 3, j]
                groups += 1
                if groups == _FLUSH:
                    for j in range(d):
                        g[j] += acc[j]
                        acc[j] = zero
                    groups = 0
            i += 4
        while i < hi:  # the last rows, fewer than four
            z = zero
            for j in range(d):
                z += X[i, j] * w[j]
            weight = sw[i] if weighted else 1.0
            o = z + b
            r, v, e, h = _row_term(code, param, threshold, o, y[i], weight, want_stats)
            outputs += o
            loss += v
            sse += e
            hits += h
            bias += r
            if want_grad:
                for j in range(d):
                    g[j] += r * X[i, j]
            i += 1
        g[d] += bias
        for j in range(d):
            g[j] += acc[j]
        G[p] = g
        stats[p, 0] = loss
        stats[p, 1] = sse
        stats[p, 2] = hits
        stats[p, 3] = outputs
    return G.sum(axis=0), stats.sum(axis=0)


# The squared error and the log loss, the losses of most fits, get passes of their own with
# the loss fixed when they compile: a loss chosen row by row cost a tenth of a float32 pass.
# Each pass hands the loop a one-element array of a dtype no other pass uses. Numba names a
# parallel loop's machine code after the types it takes plus numbers that can repeat from
# one process to the next: two passes alike in every type, compiled in two processes and
# loaded from the cache into a third, could run each other's code. They are written out as
# three functions: built by one factory function, as closures, they loaded from the cache
# and then, in about one process in ten, returned wrong sums.


@_pjit
def dense_one(X, y, sw, w, b, code, param, threshold, parts, want_grad, want_stats):
    """Sums over all rows of dense X for a model with one output: returns ``(g, stats)``
    (see :func:`_full_pass`), for any loss code."""
    return _full_pass(
        X, y, sw, w, b, code, param, threshold, parts, want_grad, want_stats,
        np.zeros(1, np.int8),
    )  # fmt: skip


@_pjit
def dense_one_squared(X, y, sw, w, b, code, param, threshold, parts, want_grad, want_stats):
    """:func:`dense_one` compiled for the squared error alone (``code`` is not read)."""
    return _full_pass(
        X, y, sw, w, b, SQUARED, param, threshold, parts, want_grad, want_stats,
        np.zeros(1, np.int16),
    )  # fmt: skip


@_pjit
def dense_one_log(X, y, sw, w, b, code, param, threshold, parts, want_grad, want_stats):
    """:func:`dense_one` compiled for the log loss alone (``code`` is not read)."""
    return _full_pass(
        X, y, sw, w, b, LOG, param, threshold, parts, want_grad, want_stats,
        np.zeros(1, np.int32),
    )  # fmt: skip


_FULL_PASSES = {SQUARED: dense_one_squared, LOG: dense_one_log}


# The same passes on the calling thread alone, for data in chunks (see
# descend.kernels.compiled.chunk_sums), which runs blocks of rows side by side itself. A
# parallel loop compiled with reassociation, loaded from Numba's disk cache, sums in an
# order other than the same loop compiled in the process (a few numbers in ten differ in
# their last bits, whatever the data's alignment; a loop on one thread does not): a cluster
# whose workers loaded a pass while this process compiled it would not add up alike.


@_jit
def dense_one_alone(X, y, sw, w, b, code, param, threshold, parts, want_grad, want_stats):
    """:func:`dense_one` on the calling thread alone (``parts`` is read as one)."""
    return _full_pass(
        X, y, sw, w, b, code, param, threshold, 1, want_grad, want_stats,
        np.zeros(1, np.uint8),
    )  # fmt: skip


@_jit
def dense_one_squared_alone(X, y, sw, w, b, code, param, threshold, parts, want_grad, want_stats):
    """:func:`dense_one_squared` on the calling thread alone."""
    return _full_pass(
        X, y, sw, w, b, SQUARED, param, threshold, 1, want_grad, want_stats,
        np.zeros(1, np.uint16),
    )  # fmt: skip


@_jit
def dense_one_log_alone(X, y, sw, w, b, code, param, threshold, parts, want_grad, want_stats):
    """:func:`dense_one_log` on the calling thread alone."""
    return _full_pass(
        X, y, sw, w, b, LOG, param, threshold, 1, want_grad, want_stats,
        np.zeros(1, np.uint32),
    )  # fmt: skip


_PASSES_ALONE = {SQUARED: dense_one_squared_alone, LOG: dense_one_log_alone}


def full_pass_alone(code):
    """:func:`full_pass` on the calling thread alone."""
    return _PASSES_ALONE.get(code, dense_one_alone)


@_jit
def dense_many_alone(X, y, sw, W, b, code, parts, want_grad):
    """:func:`dense_many` on the calling thread alone."""
    return _pass_many(X, y, sw, W, b, code, 0.0, 0.0, 1, want_grad)


@_jit
def sparse_pass_alone(data, indices, indptr, y, sw, W, b, code, param, threshold, parts,
                      want_grad):  # fmt: skip
    """:func:`sparse_pass` on the calling thread alone."""
    return _pass_many((data, indices, indptr), y, sw, W, b, code, param, threshold, 1, want_grad)


def full_pass(code):
    """The :func:`dense_one` to run for a loss code: one compiled for that loss alone (the
    squared error, the log loss) or the one that reads the code."""
    return _FULL_PASSES.get(code, dense_one)


@_pjit
def dense_sum(X, parts, prefetch):
    """The sum of every entry of dense X in float64, row runs in parallel: one complete read
    of X, the cheapest pass there is (whether a NaN or an infinity is anywhere in X shows in
    the sum; the benchmarks take it as a floor). ``prefetch`` asks for each run's rows
    ``_PREFETCH_BYTES`` ahead, as :func:`dense_one` does."""
    n, d = X.shape
    bounds = _split(n, parts)
    totals = np.zeros(parts)
    ahead = max(1, _PREFETCH_BYTES // max(1, d * X.itemsize))
    for p in prange(parts):
        lo, hi = bounds[p], bounds[p + 1]
        total = 0.0
        for i in range(lo, hi):
            if prefetch and i + ahead < hi:
                _prefetch_row(X, i + ahead)
            for j in range(d):
                total += X[i, j]
        totals[p] = total
    return totals.sum()


@_pjit
def dense_many(X, y, sw, W, b, code, parts, want_grad):
    """:func:`dense_one` for K outputs (one score per class): ``G`` has shape ``(d + 1, K)``
    and the stats are always summed."""
    return _pass_many(X, y, sw, W, b, code, 0.0, 0.0, parts, want_grad)


@_pjit
def sparse_pass(data, indices, indptr, y, sw, W, b, code, param, threshold, parts, want_grad):
    """:func:`dense_many` for CSR X given by its three arrays, and for any number of
    outputs (the stats are always summed: next to the indexing of a sparse row they cost
    little)."""
    return _pass_many(
        (data, indices, indptr), y, sw, W, b, code, param, threshold, parts, want_grad
    )


@_inline
def _pass_many(X, y, sw, W, b, code, param, threshold, parts, want_grad):
    """The body of :func:`dense_many` and :func:`sparse_pass`: runs of rows in parallel,
    each summed by :func:`_rows_many`, returns ``(G, stats)``."""
    n = y.shape[0]  # a target per row, whichever form X has
    d, k = W.shape
    bounds = _split(n, parts)
    G = np.zeros((parts, d + 1, k))
    stats = np.zeros((parts, 4))
    weighted = sw.shape[0] > 0
    for p in prange(parts):
        g = np.zeros((d + 1, k))
        s = np.zeros(4)
        _rows_many(
            X, y, sw, W, b, code, param, threshold, bounds[p], bounds[p + 1], weighted,
            want_grad, g, s,
        )  # fmt: skip
        G[p] = g
        stats[p] = s
    return G.sum(axis=0), stats.sum(axis=0)


@_jit
def _rows_many(X, y, sw, W, b, code, param, threshold, lo, hi, weighted, want_grad, g, s):
    """K outputs (one score per class), rows lo to hi: z = x W + b row by row, the sums
    added into g and s."""
    d, k = W.shape
    z = np.empty(k)
    dz = np.empty(k)
    act = np.empty(k)
    for i in range(lo, hi):
        for c in range(k):
            z[c] = b[c]
        _row_outputs(X, i, W, z)
        weight = sw[i] if weighted else 1.0
        _score_row(code, param, threshold, z, y[i], weight, dz, act, s)
        if want_grad:
            for c in range(k):
                dz[c] *= weight
                g[d, c] += dz[c]
            _row_add_many(X, i, dz, g)


@_jit
def _score_row(code, param, threshold, z, y, weight, dz, act, s):
    """Loss, derivative (into dz, unweighted) and the recorded sums of one row's scores."""
    k = z.shape[0]
    for c in range(k):
        s[3] += z[c]
    if k == 1:
        t = float(y)
        value, dz[0], a = _one(code, param, z[0], t)
        e = a - t
        s[1] += e * e
        predicted = 1.0 if z[0] > threshold else 0.0
        if predicted == t:
            s[2] += 1.0
    else:
        target = int(y)
        value = _many(code, z, target, dz, act)
        best = 0
        for c in range(k):
            e = act[c] - (1.0 if c == target else 0.0)
            s[1] += e * e
            if z[c] > z[best]:
                best = c
        if best == target:
            s[2] += 1.0
    s[0] += weight * value


# ------------------------------------------------------------------ the optimizer's step


@_jit
def _step(kind, h, theta, g, S, count, rate):
    """theta += the optimizer's step for gradient g, updating its state S (rows of buffers)
    and step count in place. ``h`` holds the hyper-parameters (see ``optimizer_code``); each
    branch follows the update rule of its class in :mod:`descend.optimizers`, operation for
    operation."""
    size = theta.shape[0]
    if kind == GD:
        for i in range(size):
            theta[i] += -rate * g[i]
    elif kind == MOMENTUM:
        m = h[0]
        for i in range(size):
            v = -rate * g[i] + m * S[0, i]
            S[0, i] = v
            theta[i] += v
    elif kind == NESTEROV:
        m = h[0]
        for i in range(size):
            buffer = m * S[0, i] + g[i]
            S[0, i] = buffer
            theta[i] += -rate * (g[i] + m * buffer)
    elif kind == ADAGRAD:
        count[0] += 1
        r = rate / (1.0 + (count[0] - 1) * h[0])
        for i in range(size):
            S[0, i] += g[i] * g[i]
            theta[i] += -r * g[i] / (math.sqrt(S[0, i]) + h[1])
    elif kind == RMSPROP:
        a, eps, m, centered = h[0], h[1], h[2], h[3] > 0.0
        for i in range(size):
            sq = a * S[0, i] + (1.0 - a) * g[i] * g[i]
            S[0, i] = sq
            if centered:
                avg = S[1, i] + (1.0 - a) * (g[i] - S[1, i])
                S[1, i] = avg
                denom = math.sqrt(sq - avg * avg) + eps
            else:
                denom = math.sqrt(sq) + eps
            direction = g[i] / denom
            if m > 0.0:
                direction = m * S[2, i] + direction
                S[2, i] = direction
            theta[i] += -rate * direction
    else:  # ADAM, and AdamW when h[5] is set
        beta1, beta2, eps, decay, amsgrad, decoupled = h[0], h[1], h[2], h[3], h[4], h[5]
        count[0] += 1
        t = count[0]
        root = math.sqrt(1.0 - beta2**t)
        scale = rate / (1.0 - beta1**t)
        for i in range(size):
            gi = g[i]
            if decay > 0.0 and decoupled == 0.0:
                gi = gi + decay * theta[i]
            mu = S[0, i] + (1.0 - beta1) * (gi - S[0, i])
            nu = beta2 * S[1, i] + (1.0 - beta2) * gi * gi
            S[0, i] = mu
            S[1, i] = nu
            second = nu
            if amsgrad > 0.0:
                second = max(S[2, i], nu)
                S[2, i] = second
            step = -scale * mu / (math.sqrt(second) / root + eps)
            if decoupled > 0.0:
                step = step - rate * decay * theta[i]
            theta[i] += step


# --------------------------------------------------------------- mini-batch epochs
#
# The two epochs below spell out their rows rather than call the row helpers above: written
# through them (one row function for both, on views of theta and the gradient), they
# compiled about 0.4 s (dense) and 0.5 s (CSR) slower from an empty cache, a tenth and a
# fifth of their time to compile.


@_jit
def _batch_terms(reduction_mean, weighted, m, batch_weight, n, total, mean_weight):
    """The divisor of a batch of m rows and the share of the penalty it carries."""
    if reduction_mean:
        if weighted:
            divisor = m * mean_weight if mean_weight > 0.0 else batch_weight
            if not divisor > 0.0:
                divisor = 1.0
        else:
            divisor = float(m)
        return divisor, 1.0
    share = batch_weight / total if weighted else m / n
    if not total > 0.0:
        share = 1.0
    return 1.0, share


@_inline
def _row_at(order, in_order, q):
    """The q-th row of an epoch: q itself when the rows go in order (``order`` is then not
    read, and may be empty), else ``order[q]``."""
    return q if in_order else order[q]


@_jit
def _batch_of(sw, order, in_order, start, stop, reduction_mean, n, total, mean_weight):
    """:func:`_batch_terms` for the rows ``start:stop`` of the epoch, their weights summed."""
    weighted = sw.shape[0] > 0
    batch_weight = 0.0
    if weighted:
        for q in range(start, stop):
            batch_weight += sw[_row_at(order, in_order, q)]
    return _batch_terms(
        reduction_mean, weighted, stop - start, batch_weight, n, total, mean_weight
    )


@_jit
def _finish_grad(g, theta, n_coef, divisor, rho, l1, l2):
    """Divide by the divisor and add the penalty's share; False if anything is not finite."""
    ok = True
    for i in range(g.shape[0]):
        gi = g[i] / divisor if divisor != 1.0 else g[i]
        if i < n_coef and (l1 != 0.0 or l2 != 0.0):
            t = theta[i]
            sign = 1.0 if t > 0.0 else (-1.0 if t < 0.0 else 0.0)
            gi = gi + rho * (l1 * sign + l2 * t)
        g[i] = gi
        if not math.isfinite(gi):
            ok = False
    return ok


@_jit
def dense_batches(
    X, y, sw, theta, order, in_order, batch_size, code, param, k, fit_intercept,
    reduction_mean, total, mean_weight, l1, l2, kind, h, S, count, rate,
):  # fmt: skip
    """One epoch of mini-batch (or stochastic) descent over dense X, in place on theta, S
    and count. Rows are taken in ``order``, or in their own order when ``in_order`` (then
    ``order`` is not read and may be empty), ``batch_size`` at a time. Returns False when a
    gradient was not finite (theta is then left where that batch began)."""
    n, d = X.shape
    if batch_size == 1 and k == 1 and kind == GD and l1 == 0.0 and l2 == 0.0:
        return _plain_rows(
            X, y, sw, theta, order, in_order, code, param, fit_intercept, reduction_mean,
            total, mean_weight, rate,
        )  # fmt: skip
    n_coef = d * k
    size = theta.shape[0]
    g = np.zeros(size)
    z = np.empty(k)
    dz = np.empty(k)
    act = np.empty(k)
    weighted = sw.shape[0] > 0
    ahead = _rows_ahead(X)
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        divisor, rho = _batch_of(
            sw, order, in_order, start, stop, reduction_mean, n, total, mean_weight
        )
        g[:] = 0.0
        for q in range(start, stop):
            i = _row_at(order, in_order, q)
            if q + ahead < n:
                _prefetch_row(X, _row_at(order, in_order, q + ahead))
            for c in range(k):
                z[c] = theta[n_coef + c] if fit_intercept else 0.0
            if k == 1:
                total_z = 0.0
                for j in range(d):
                    total_z += X[i, j] * theta[j]
                z[0] += total_z
                _, dz[0], _ = _one(code, param, z[0], y[i], False)
            else:
                for j in range(d):
                    x = float(X[i, j])
                    for c in range(k):
                        z[c] += x * theta[j * k + c]
                _many(code, z, int(y[i]), dz, act)
            weight = sw[i] if weighted else 1.0
            for c in range(k):
                dc = weight * dz[c]
                for j in range(d):
                    g[j * k + c] += X[i, j] * dc
                if fit_intercept:
                    g[n_coef + c] += dc
        if not _finish_grad(g, theta, n_coef, divisor, rho, l1, l2):
            return False
        _step(kind, h, theta, g, S, count, rate)
    return True


@_jit
def _rows_ahead(X):
    """How many rows ahead an epoch prefetches: about ``_PREFETCH_BYTES``, at least
    ``_AHEAD`` (shuffled rows each cost a trip to memory, so a few must be in flight)."""
    return max(_AHEAD, _PREFETCH_BYTES // max(1, X.shape[1] * X.itemsize))


@_inline
def _prefetch_row(X, i):
    """Start fetching every cache line of row i."""
    for j in range(0, X.shape[1], max(1, 64 // X.itemsize)):
        _prefetch(X, i, j)


@_jit
def _plain_rows(
    X, y, sw, theta, order, in_order, code, param, fit_intercept, reduction_mean, total,
    mean_weight, rate,
):  # fmt: skip
    """The plain stochastic epoch of :func:`dense_batches` (see :func:`_plain_loop`)."""
    # two copies of the loop, one reading no order: a choice per row cost a fifth more
    if in_order:
        return _plain_loop(
            X, y, sw, theta, order, True, code, param, fit_intercept, reduction_mean, total,
            mean_weight, rate,
        )  # fmt: skip
    return _plain_loop(
        X, y, sw, theta, order, False, code, param, fit_intercept, reduction_mean, total,
        mean_weight, rate,
    )  # fmt: skip


@_inline
def _plain_loop(
    X, y, sw, theta, order, in_order, code, param, fit_intercept, reduction_mean, total,
    mean_weight, rate,
):  # fmt: skip
    """Stochastic descent (one row per step, plain steps, no penalty, one output), looking
    one row ahead.

    Row i's step :math:`w \\leftarrow w - s_i x_i` feeds the next row's output, and the
    plain loop waits on it: a dot product, then the step, then the next dot product. Here
    the next row's output is found from the products taken before the step lands,

    .. math:: z_{i+1} = x_{i+1} \\cdot w - s_i \\, x_{i+1} \\cdot x_i + b - s_i,

    so both dot products run in the same loop as the step itself and only a few scalar
    operations wait on :math:`s_i`. The result equals the plain loop's to rounding. Returns
    False when a step was not finite (theta then holds the rows before it).
    """
    n, d = X.shape
    if n == 0:
        return True
    weighted = sw.shape[0] > 0
    ahead = _rows_ahead(X)
    b = theta[d] if fit_intercept else 0.0
    first = _row_at(order, in_order, 0)
    z = 0.0
    for j in range(d):
        z += X[first, j] * theta[j]
    z += b
    for q in range(n):
        i = _row_at(order, in_order, q)
        if q + ahead < n:
            _prefetch_row(X, _row_at(order, in_order, q + ahead))
        _, dz, _ = _hot(code, param, z, y[i], False)
        dd = dz  # a row of weight 1 is its own mean and its own sum
        if weighted:
            weight = sw[i]
            divisor, _ = _batch_terms(reduction_mean, True, 1, weight, n, total, mean_weight)
            dd = weight * dz / divisor if divisor != 1.0 else weight * dz
        if not math.isfinite(dd):
            if fit_intercept:
                theta[d] = b
            return False
        step = rate * dd
        if q + 1 == n:
            for j in range(d):
                theta[j] -= step * X[i, j]
            if fit_intercept:
                b -= step
            break
        nxt = _row_at(order, in_order, q + 1)
        ahead_z = 0.0
        cross = 0.0
        for j in range(d):
            x = X[i, j]
            x_next = X[nxt, j]
            ahead_z += x_next * theta[j]
            cross += x_next * x
            theta[j] -= step * x
        # z = ahead_z - step (cross + 1) + b_before with the intercept, regrouped so that a
        # single multiply-add waits on the row's derivative
        if fit_intercept:
            z = (ahead_z + b) - (rate * (cross + 1.0)) * dd
            b -= step
        else:
            z = ahead_z - (rate * cross) * dd
    if fit_intercept:
        theta[d] = b
    return True


@_jit
def sparse_batches(
    data, indices, indptr, y, sw, theta, order, in_order, batch_size, code, param, k,
    fit_intercept, reduction_mean, total, mean_weight, l1, l2, kind, h, S, count, rate,
):  # fmt: skip
    """:func:`dense_batches` for CSR X. Plain descent with no penalty touches only the
    coefficients of a batch's nonzero features."""
    n = indptr.shape[0] - 1
    size = theta.shape[0]
    n_coef = size - (k if fit_intercept else 0)
    g = np.zeros(size)
    z = np.empty(k)
    dz = np.empty(k)
    act = np.empty(k)
    weighted = sw.shape[0] > 0
    sparse_step = kind == GD and l1 == 0.0 and l2 == 0.0
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        divisor, rho = _batch_of(
            sw, order, in_order, start, stop, reduction_mean, n, total, mean_weight
        )
        for q in range(start, stop):
            i = _row_at(order, in_order, q)
            for c in range(k):
                z[c] = theta[n_coef + c] if fit_intercept else 0.0
            for p in range(indptr[i], indptr[i + 1]):
                x = float(data[p])
                for c in range(k):
                    z[c] += x * theta[indices[p] * k + c]
            if k == 1:
                _, dz[0], _ = _one(code, param, z[0], y[i])
            else:
                _many(code, z, int(y[i]), dz, act)
            weight = sw[i] if weighted else 1.0
            for c in range(k):
                dc = weight * dz[c]
                for p in range(indptr[i], indptr[i + 1]):
                    g[indices[p] * k + c] += float(data[p]) * dc
                if fit_intercept:
                    g[n_coef + c] += dc
        if sparse_step:
            # only the entries this batch touched are nonzero: step them and clear them
            ok = True
            for q in range(start, stop):
                i = _row_at(order, in_order, q)
                for p in range(indptr[i], indptr[i + 1]):
                    for c in range(k):
                        e = indices[p] * k + c
                        if g[e] != 0.0 or not math.isfinite(g[e]):
                            gi = g[e] / divisor if divisor != 1.0 else g[e]
                            if not math.isfinite(gi):
                                ok = False
                            theta[e] += -rate * gi
                            g[e] = 0.0
            if fit_intercept:
                for c in range(k):
                    gi = g[n_coef + c] / divisor if divisor != 1.0 else g[n_coef + c]
                    if not math.isfinite(gi):
                        ok = False
                    theta[n_coef + c] += -rate * gi
                    g[n_coef + c] = 0.0
            if not ok:
                return False
            continue
        if not _finish_grad(g, theta, n_coef, divisor, rho, l1, l2):
            return False
        _step(kind, h, theta, g, S, count, rate)
        g[:] = 0.0
    return True
