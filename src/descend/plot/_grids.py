"""Evaluating a function over a line or a grid, and choosing the box to draw."""

from __future__ import annotations

import numpy as np


def evaluate(fun, points: np.ndarray) -> np.ndarray:
    """``fun`` at each point of ``points``, an array of shape ``(..., d)``.

    A function that accepts a whole batch of points (every function in
    :mod:`descend.functions` does) is called once; its answer is spot-checked against
    single-point calls, and any function that does not batch correctly is called point by
    point instead, so a plain ``lambda w: w[0]**2 + w[1]**2`` draws correctly too.
    """
    points = np.asarray(points, dtype=float)
    shape = points.shape[:-1]
    flat = points.reshape(-1, points.shape[-1])
    try:
        with np.errstate(all="ignore"):
            batched = np.asarray(fun(points), dtype=float)
        if batched.shape == shape and _agrees(fun, flat, batched.reshape(-1)):
            return batched
    except Exception:  # any failure means "call it point by point"
        pass
    with np.errstate(all="ignore"):
        values = np.array([_scalar(fun(p)) for p in flat], dtype=float)
    return values.reshape(shape)


def evaluate_line(fun, xs: np.ndarray) -> np.ndarray:
    """``fun`` at each float of ``xs`` (a one-variable function)."""
    xs = np.asarray(xs, dtype=float)
    try:
        with np.errstate(all="ignore"):
            batched = np.asarray(fun(xs), dtype=float)
        if batched.shape == xs.shape and _agrees(fun, xs, batched):
            return batched
    except Exception:  # as above
        pass
    with np.errstate(all="ignore"):
        return np.array([_scalar(fun(float(x))) for x in xs], dtype=float)


def _agrees(fun, flat, values) -> bool:
    picks = np.unique(np.linspace(0, len(flat) - 1, 5).astype(int))
    for i in picks:
        point = flat[i] if flat.ndim > 1 else float(flat[i])
        with np.errstate(all="ignore"):
            single = _scalar(fun(point))
        if not np.isclose(single, values[i], rtol=1e-9, atol=1e-12, equal_nan=True):
            return False
    return True


def _scalar(value) -> float:
    array = np.asarray(value, dtype=float)
    if array.size != 1:
        raise ValueError(
            f"The function returned {array.size} values for one point; it must return one number"
        )
    return float(array.reshape(()))


def mesh(bounds, resolution: int):
    """Coordinates ``X1, X2`` of a ``resolution × resolution`` grid over ``bounds`` and the
    stacked points, shape ``(resolution, resolution, 2)``."""
    (x_lo, x_hi), (y_lo, y_hi) = bounds
    x1 = np.linspace(x_lo, x_hi, resolution)
    x2 = np.linspace(y_lo, y_hi, resolution)
    X1, X2 = np.meshgrid(x1, x2)
    return X1, X2, np.stack([X1, X2], axis=-1)


def check_resolution(resolution) -> int:
    from descend._validation import check_count

    return check_count(resolution, "resolution", minimum=2)


def box(fun, paths, bounds=None, margin: float = 0.15):
    """The box to draw: ``bounds`` when given, else the function's own plotting box grown to
    hold every path, else the paths' extent with a margin."""
    if bounds is not None:
        return _check_box(bounds)
    own = getattr(fun, "bounds", None)
    points = [np.asarray(p, dtype=float)[:, :2] for p in paths if len(p)]
    if own is not None and getattr(fun, "ndim", 2) == 2:
        (x_lo, x_hi), (y_lo, y_hi) = own
        lo, hi = np.array([x_lo, y_lo], float), np.array([x_hi, y_hi], float)
        for p in points:
            finite = p[np.all(np.isfinite(p), axis=1)]
            if len(finite):
                lo, hi = np.minimum(lo, finite.min(axis=0)), np.maximum(hi, finite.max(axis=0))
        return ((lo[0], hi[0]), (lo[1], hi[1]))
    if not points:
        raise ValueError(
            "Nothing says where to draw: give bounds=((x_lo, x_hi), (y_lo, y_hi)) or a run"
        )
    stacked = np.vstack(points)
    stacked = stacked[np.all(np.isfinite(stacked), axis=1)]
    if not len(stacked):
        raise ValueError("Every point of the paths is infinite or NaN: give bounds=")
    lo, hi = stacked.min(axis=0), stacked.max(axis=0)
    pad = np.maximum((hi - lo) * margin, 0.5 * np.maximum(np.abs(hi), 1.0) * margin + 1e-9)
    return ((lo[0] - pad[0], hi[0] + pad[0]), (lo[1] - pad[1], hi[1] + pad[1]))


def _check_box(bounds):
    try:
        (x_lo, x_hi), (y_lo, y_hi) = bounds
        values = [float(v) for v in (x_lo, x_hi, y_lo, y_hi)]
    except (TypeError, ValueError):
        raise ValueError(f"bounds must be ((x_lo, x_hi), (y_lo, y_hi)), got {bounds!r}") from None
    x_lo, x_hi, y_lo, y_hi = values
    if not (np.isfinite(values).all() and x_lo < x_hi and y_lo < y_hi):
        raise ValueError(f"bounds must be finite with lo < hi on both axes, got {bounds!r}")
    return ((x_lo, x_hi), (y_lo, y_hi))


def interval(fun, xs, bounds=None, margin: float = 0.15):
    """The x-range of a one-variable plot: ``bounds``, or the function's own range grown to
    hold the iterates, or the iterates' extent with a margin."""
    if bounds is not None:
        try:
            lo, hi = (float(v) for v in bounds)
        except (TypeError, ValueError):
            raise ValueError(f"bounds must be (lo, hi), got {bounds!r}") from None
        if not (np.isfinite([lo, hi]).all() and lo < hi):
            raise ValueError(f"bounds must be finite with lo < hi, got {bounds!r}")
        return lo, hi
    xs = np.asarray(xs, dtype=float)
    xs = xs[np.isfinite(xs)]
    own = getattr(fun, "bounds", None)
    if own is not None and getattr(fun, "ndim", 1) == 1:
        lo, hi = float(own[0]), float(own[1])
        if len(xs):
            lo, hi = min(lo, xs.min()), max(hi, xs.max())
        return lo, hi
    if not len(xs):
        raise ValueError("Nothing says where to draw: give bounds=(lo, hi) or a run")
    lo, hi = float(xs.min()), float(xs.max())
    pad = max((hi - lo) * margin, 0.5 * max(abs(lo), abs(hi), 1.0) * margin)
    return lo - pad, hi + pad
