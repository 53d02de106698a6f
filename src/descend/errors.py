"""Exceptions and warnings raised by descend."""

from __future__ import annotations

__all__ = [
    "AutodiffError",
    "ClusterError",
    "DivergenceError",
    "DivergenceWarning",
    "FitDivergedError",
    "GradientCheckError",
]


class DivergenceWarning(RuntimeWarning):
    """A run stopped because it diverged (``on_divergence="stop"``)."""


class DivergenceError(ArithmeticError):
    """A run diverged and ``on_divergence="raise"`` was asked for.

    Attributes
    ----------
    iteration : int
        The iteration whose step diverged.
    result : descend.Result
        The run up to its last finite point, as ``on_divergence="stop"`` would return it.
    """

    def __init__(self, message: str, iteration: int, result=None):
        super().__init__(message)
        self.iteration = iteration
        self.result = result


class FitDivergedError(ValueError):
    """An estimator's fit diverged: its loss became infinite, NaN or enormous. The estimator
    is left as it was before the fit.

    Attributes
    ----------
    epoch : int
        The epoch whose loss diverged.
    """

    def __init__(self, message: str, epoch: int):
        super().__init__(message)
        self.epoch = epoch


class GradientCheckError(ValueError):
    """An analytic gradient disagrees with finite differences (``grad="check"``).

    Attributes
    ----------
    analytic, numeric : numpy.ndarray
        The two gradients compared.
    error : float
        Their relative difference, as :func:`descend.check_grad` measures it.
    """

    def __init__(self, message: str, analytic, numeric, error: float):
        super().__init__(message)
        self.analytic = analytic
        self.numeric = numeric
        self.error = error


class AutodiffError(TypeError):
    """A function that the chosen automatic-differentiation backend cannot differentiate, or
    not correctly (``grad="jax"``, ``"torch"``, ``"autograd"`` or ``"complex-step"``): float32
    arithmetic under JAX, an in-place assignment under autograd, a value that is not a tensor
    under PyTorch, a complex step lost by ``abs`` ... The message says what was found, where
    in the function, and how to write it instead (see :mod:`descend.autodiff`)."""


class ClusterError(RuntimeError):
    """The Dask cluster a fit ran on went away (its scheduler, or the connection to it).

    Nothing is lost of the data, which stay in their files or collections; a fit with a
    checkpoint goes on from it when run again."""
