"""Numeric gradients by central differences, and a check of analytic gradients against them."""

from __future__ import annotations

import sys

import numpy as np

from descend._validation import scalar_value

__all__ = ["GRAD_CHECK_TOLERANCE", "check_grad", "numeric_grad"]

#: Relative gradient error (as :func:`check_grad` measures it) above which ``grad="check"``
#: refuses to run, and above which a complex-step gradient is refused at the two points
#: where it is compared.
GRAD_CHECK_TOLERANCE = 1e-5

# Central differences balance truncation error (~h²) against rounding error (~eps/h); the
# optimum is near the cube root of machine epsilon, scaled by the size of each coordinate.
_REL_STEP = np.finfo(float).eps ** (1.0 / 3.0)


def numeric_grad(fun, x, args=(), h=None):
    r"""Gradient of ``fun`` at ``x`` by central differences.

    .. math:: \frac{\partial f}{\partial x_i} \approx
              \frac{f(x + h_i e_i) - f(x - h_i e_i)}{2 h_i},
              \qquad h_i = \epsilon^{1/3} \max(1, |x_i|)

    Costs two evaluations of ``fun`` per coordinate.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float``.
    x : float or array_like
        Where to differentiate; a float gives a float back.
    args : tuple
        Extra arguments passed to ``fun``.
    h : float or array_like, optional
        Step size(s); by default scaled to :math:`|x|` as above.

    Returns
    -------
    float or numpy.ndarray
        The gradient, shaped like ``x``.

    Examples
    --------
    >>> import descend
    >>> round(descend.numeric_grad(lambda x: x**2 - 6*x + 5, 15.0), 6)
    24.0
    >>> descend.numeric_grad(lambda w: w[0]**2 + w[1]**4, [1.0, 2.0]).round(6)
    array([ 2., 32.])
    """
    if not isinstance(args, tuple):
        args = (args,)
    scalar = np.ndim(x) == 0
    point = np.atleast_1d(np.asarray(x, dtype=float)).copy()
    if h is None:
        steps = _REL_STEP * np.maximum(1.0, np.abs(point))
    else:
        steps = np.broadcast_to(np.asarray(h, dtype=float), point.shape)
        if not np.all(np.isfinite(steps) & (steps > 0)):
            raise ValueError(f"Invalid step h: {h!r}; it must be positive and finite")

    def value(p):
        return scalar_value(fun(p[0] if scalar else p, *args))

    grad = np.empty_like(point)
    for i, step in enumerate(steps):
        xi = point[i]
        upper, lower = xi + step, xi - step
        point[i] = upper
        f_upper = value(point)
        point[i] = lower
        f_lower = value(point)
        point[i] = xi
        grad[i] = (f_upper - f_lower) / (upper - lower)  # the steps actually representable
    return float(grad[0]) if scalar else grad


def check_grad(fun, grad, x, args=()) -> float:
    r"""Compare an analytic gradient with the numeric one at ``x``.

    Returns the relative difference

    .. math:: \frac{\lVert g_\text{analytic} - g_\text{numeric} \rVert}
                   {\max(\lVert g_\text{analytic} \rVert, \lVert g_\text{numeric} \rVert, 1)}

    which is an absolute difference for gradients smaller than 1. A correct gradient of a
    smooth function typically scores below 1e-8; :func:`descend.minimize` with
    ``grad="check"`` rejects scores above 1e-5. When ``grad`` is a
    :class:`descend.autodiff.Gradient` of ``fun``, the numeric side differences the backend's
    own float64 evaluation of ``fun`` (JAX alone would compute it in float32).

    Examples
    --------
    >>> import descend
    >>> f = lambda x: x**2 - 6*x + 5
    >>> descend.check_grad(f, lambda x: 2*x - 6, 15.0) < 1e-8
    True
    >>> round(descend.check_grad(f, lambda x: 2*x, 15.0), 2)   # forgot the -6
    0.2
    """
    if not isinstance(args, tuple):
        args = (args,)
    fun = _evaluation(fun, grad)
    analytic = np.atleast_1d(np.asarray(grad(x, *args), dtype=float))
    numeric = np.atleast_1d(numeric_grad(fun, x, args))
    if analytic.shape != numeric.shape:
        raise ValueError(f"grad returned shape {analytic.shape}, but x has shape {numeric.shape}")
    scale = max(np.linalg.norm(analytic), np.linalg.norm(numeric), 1.0)
    return float(np.linalg.norm(analytic - numeric) / scale)


def _evaluation(fun, grad):
    """What to difference for ``fun``: for a :class:`descend.autodiff.Gradient` of ``fun``
    itself, the backend's float64 evaluation of it (JAX called directly computes in float32,
    whose rounding alone would show as an error near 1e-3), else ``fun``."""
    # a Gradient exists only once descend.autodiff is imported: no need to import it here
    autodiff = sys.modules.get("descend.autodiff")
    if autodiff is not None and isinstance(grad, autodiff.Gradient) and grad.fun is fun:
        return grad.value
    return fun
