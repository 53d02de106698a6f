r"""The compiled epoch: Numba kernels for every loss, optimizer, penalty and batch mode.

Three kernels do all the work of :mod:`descend.kernels`:

- :func:`dense_pass` / :func:`sparse_pass`: one pass over all the rows, in parallel blocks.
  Each row's output, loss, derivative and share of :math:`X^\top L'` are computed while the
  row is in cache, so X is read once per pass; the pass also sums what the estimators record
  (loss, squared error of the activation, correct predictions).
- :func:`dense_batches` / :func:`sparse_batches`: a whole epoch of mini-batch or stochastic
  descent in one call, the optimizer's update compiled in (batch size 1 runs at the speed of
  a dot product and an axpy per row).

Losses and optimizers are chosen by a small integer code (the tables below); the plain NumPy
twins of all of this live in :mod:`descend.kernels.reference`, and the tests hold the two to
the same numbers. The module is imported only when a kernel first runs, so ``import descend``
never loads Numba; compiled code is cached on disk and reused by later processes.

Floating point: with float32 X the dot products run in float32 (that is the point of float32
data: half the bytes to read), every sum over rows is carried in float64, and the parameters
stay float64.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import prange

# Reassociation lets sums over a row vectorise; no-NaN / no-inf assumptions are left off, so
# a diverging fit still shows up as NaN or inf for the caller to report.
_FAST = {"reassoc", "contract", "nsz"}
_jit = numba.njit(cache=True, fastmath=_FAST, nogil=True)
_pjit = numba.njit(cache=True, fastmath=_FAST, nogil=True, parallel=True)

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

# how many rows ahead a shuffled epoch starts fetching, and the entries per 64-byte line
_AHEAD = 8
_LINE = 8


@_jit
def _sigmoid(z):
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@_jit
def _one(code, param, z, y):
    """Loss, derivative and activation of one output z against target y (0/1 for classes)."""
    if code == SQUARED:
        r = z - y
        return 0.5 * r * r, r, z
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
        # one exponential serves both: e = exp(-|z|) never overflows, σ(z) is 1/(1+e) or
        # e/(1+e), and log(1 + e^z) - y z = log1p(e) + max(z, 0) - y z
        e = math.exp(-abs(z))
        s = 1.0 / (1.0 + e) if z >= 0.0 else e / (1.0 + e)
        value = math.log1p(e) + max(z, 0.0) - y * z
        if z != z:
            value = s = z
        return value, s - y, s
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


@_pjit
def dense_pass(X, y, sw, W, b, code, param, threshold, parts, want_grad):
    """Sums over all rows of dense X: returns ``(G, stats)``.

    ``G`` (shape ``(d + 1, k)``) holds :math:`\\sum_i w_i \\ell'(z_i) [x_i, 1]` — the
    gradient before the reduction's divisor and the penalty — and ``stats`` the weighted loss,
    the squared error of the activation and the number of correct predictions. ``W`` has X's
    dtype (the dot products run in it), ``b`` is float64, ``sw`` is empty for no weights.
    """
    n, d = X.shape
    k = W.shape[1]
    bounds = _split(n, parts)
    G = np.zeros((parts, d + 1, k))
    stats = np.zeros((parts, 3))
    weighted = sw.shape[0] > 0
    for p in prange(parts):
        lo, hi = bounds[p], bounds[p + 1]
        s = np.zeros(3)
        if k == 1:
            g1 = np.zeros(d + 1)
            w = W[:, 0].copy()
            _rows_one(
                X, y, sw, w, b[0], code, param, threshold, lo, hi, weighted, want_grad, g1, s
            )
            G[p, :, 0] = g1
        else:
            g = np.zeros((d + 1, k))
            _rows_many(X, y, sw, W, b, code, lo, hi, weighted, want_grad, g, s)
            G[p] = g
        stats[p] = s
    return G.sum(axis=0), stats.sum(axis=0)


@_jit
def _rows_one(X, y, sw, w, b, code, param, threshold, lo, hi, weighted, want_grad, g, s):
    """One output, rows lo..hi, in groups of four: four dot products run side by side and
    each element of g is loaded and stored once per four rows. The row terms are formed in
    X's dtype and summed into g (float64)."""
    d = X.shape[1]
    zero = np.zeros(1, X.dtype)[0]
    r = np.zeros(4, X.dtype)
    zs = np.zeros(4)
    i = lo
    while i < hi:
        m = min(4, hi - i)
        if m == 4:
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
            zs[0], zs[1], zs[2], zs[3] = z0, z1, z2, z3
        else:
            for q in range(m):
                total = zero
                for j in range(d):
                    total += X[i + q, j] * w[j]
                zs[q] = total
        for q in range(4):
            r[q] = zero
        for q in range(m):
            z = zs[q] + b
            target = y[i + q]
            value, dz, a = _one(code, param, z, target)
            weight = sw[i + q] if weighted else 1.0
            s[0] += weight * value
            e = a - target
            s[1] += e * e
            if (1.0 if z > threshold else 0.0) == target:
                s[2] += 1.0
            r[q] = weight * dz
            g[d] += weight * dz
        if want_grad:
            r0, r1, r2, r3 = r[0], r[1], r[2], r[3]
            if m == 4:
                for j in range(d):
                    g[j] += r0 * X[i, j] + r1 * X[i + 1, j] + r2 * X[i + 2, j] + r3 * X[i + 3, j]
            else:
                for q in range(m):
                    rq = r[q]
                    for j in range(d):
                        g[j] += rq * X[i + q, j]
        i += 4


@_jit
def _rows_many(X, y, sw, W, b, code, lo, hi, weighted, want_grad, g, s):
    """K outputs (one score per class): z = x W + b row by row."""
    d = X.shape[1]
    k = W.shape[1]
    z = np.empty(k)
    dz = np.empty(k)
    act = np.empty(k)
    for i in range(lo, hi):
        for c in range(k):
            z[c] = b[c]
        for j in range(d):
            x = float(X[i, j])
            for c in range(k):
                z[c] += x * W[j, c]
        target = int(y[i])
        value = _many(code, z, target, dz, act)
        weight = sw[i] if weighted else 1.0
        s[0] += weight * value
        best = 0
        for c in range(k):
            e = act[c] - (1.0 if c == target else 0.0)
            s[1] += e * e
            if z[c] > z[best]:
                best = c
        if best == target:
            s[2] += 1.0
        if want_grad:
            for c in range(k):
                dz[c] *= weight
                g[d, c] += dz[c]
            for j in range(d):
                x = float(X[i, j])
                for c in range(k):
                    g[j, c] += x * dz[c]


@_pjit
def sparse_pass(data, indices, indptr, y, sw, W, b, code, param, threshold, parts, want_grad):
    """:func:`dense_pass` for CSR X given by its three arrays."""
    n = indptr.shape[0] - 1
    d, k = W.shape
    bounds = _split(n, parts)
    G = np.zeros((parts, d + 1, k))
    stats = np.zeros((parts, 3))
    weighted = sw.shape[0] > 0
    for p in prange(parts):
        g = np.zeros((d + 1, k))
        s = np.zeros(3)
        z = np.empty(k)
        dz = np.empty(k)
        act = np.empty(k)
        for i in range(bounds[p], bounds[p + 1]):
            _sparse_row(data, indices, indptr, i, W, b, z)
            weight = sw[i] if weighted else 1.0
            _score_row(code, param, threshold, z, y[i], weight, dz, act, s)
            if want_grad:
                for c in range(k):
                    dz[c] *= weight
                    g[d, c] += dz[c]
                for q in range(indptr[i], indptr[i + 1]):
                    x = float(data[q])
                    j = indices[q]
                    for c in range(k):
                        g[j, c] += x * dz[c]
        G[p] = g
        stats[p] = s
    return G.sum(axis=0), stats.sum(axis=0)


@_jit
def _sparse_row(data, indices, indptr, i, W, b, z):
    k = W.shape[1]
    for c in range(k):
        z[c] = b[c]
    for q in range(indptr[i], indptr[i + 1]):
        x = float(data[q])
        j = indices[q]
        for c in range(k):
            z[c] += x * W[j, c]


@_jit
def _score_row(code, param, threshold, z, y, weight, dz, act, s):
    """Loss, derivative (into dz, unweighted) and the recorded sums of one row's scores."""
    k = z.shape[0]
    if k == 1:
        value, dz[0], a = _one(code, param, z[0], y)
        e = a - y
        s[1] += e * e
        predicted = 1.0 if z[0] > threshold else 0.0
        if predicted == y:
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
    X, y, sw, theta, order, batch_size, code, param, k, fit_intercept, reduction_mean,
    total, mean_weight, l1, l2, kind, h, S, count, rate,
):  # fmt: skip
    """One epoch of mini-batch (or stochastic) descent over dense X, in place on theta, S
    and count. Rows are taken in ``order``, ``batch_size`` at a time. Returns False when a
    gradient was not finite (theta is then left where that batch began), with a number the
    caller ignores."""
    n, d = X.shape
    n_coef = d * k
    size = theta.shape[0]
    g = np.zeros(size)
    z = np.empty(k)
    dz = np.empty(k)
    act = np.empty(k)
    weighted = sw.shape[0] > 0
    # plain descent with no penalty needs no gradient buffer: each row moves theta directly
    direct = kind == GD and l1 == 0.0 and l2 == 0.0 and batch_size == 1 and k == 1
    touched = 0.0
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        m = stop - start
        batch_weight = 0.0
        if weighted:
            for q in range(start, stop):
                batch_weight += sw[order[q]]
        divisor, rho = _batch_terms(
            reduction_mean, weighted, m, batch_weight, n, total, mean_weight
        )
        if not direct:
            g[:] = 0.0
        for q in range(start, stop):
            i = order[q]
            if q + _AHEAD < n:
                # Shuffled rows come from anywhere in memory: reading a row a few steps
                # ahead starts its fetch now, so it is in cache when its turn comes
                # instead of stalling the step that needs it.
                ahead = order[q + _AHEAD]
                for j in range(0, d, _LINE):
                    touched += X[ahead, j]
            for c in range(k):
                z[c] = theta[n_coef + c] if fit_intercept else 0.0
            if k == 1:
                total_z = 0.0
                for j in range(d):
                    total_z += X[i, j] * theta[j]
                z[0] += total_z
                _, dz[0], _ = _one(code, param, z[0], y[i])
            else:
                for j in range(d):
                    x = float(X[i, j])
                    for c in range(k):
                        z[c] += x * theta[j * k + c]
                _many(code, z, int(y[i]), dz, act)
            weight = sw[i] if weighted else 1.0
            if direct:
                dd = weight * dz[0] / divisor if divisor != 1.0 else weight * dz[0]
                if not math.isfinite(dd):
                    return False, touched
                for j in range(d):
                    theta[j] += -rate * (X[i, j] * dd)
                if fit_intercept:
                    theta[n_coef] += -rate * dd
                continue
            for c in range(k):
                dc = weight * dz[c]
                for j in range(d):
                    g[j * k + c] += X[i, j] * dc
                if fit_intercept:
                    g[n_coef + c] += dc
        if direct:
            continue
        if not _finish_grad(g, theta, n_coef, divisor, rho, l1, l2):
            return False, touched
        _step(kind, h, theta, g, S, count, rate)
    return True, touched  # the sum of the rows read ahead is returned so they stay read


@_jit
def sparse_batches(
    data, indices, indptr, y, sw, theta, order, batch_size, code, param, k, fit_intercept,
    reduction_mean, total, mean_weight, l1, l2, kind, h, S, count, rate,
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
        m = stop - start
        batch_weight = 0.0
        if weighted:
            for q in range(start, stop):
                batch_weight += sw[order[q]]
        divisor, rho = _batch_terms(
            reduction_mean, weighted, m, batch_weight, n, total, mean_weight
        )
        for q in range(start, stop):
            i = order[q]
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
                i = order[q]
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
