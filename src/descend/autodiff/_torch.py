"""``grad="torch"``: f and its gradient by PyTorch's autograd, on float64 tensors."""

from __future__ import annotations

import numpy as np

from descend.autodiff._common import require, where
from descend.errors import AutodiffError


class Engine:
    """The value and gradient of ``fun`` by PyTorch.

    x goes in as a float64 tensor that requires its gradient (0-d for a number); NumPy arrays
    among the arguments (the data) go in as tensors, floating ones as float64 (descend
    computes in float64, and torch refuses to mix float32 data with a float64 x), others of
    their own type, each contiguous and in the machine's byte order, as torch needs.
    ``fun`` must return a float64 tensor holding one number, computed from x by torch
    operations.
    """

    name = "torch"

    def __init__(self, fun):
        self.torch = require("torch", "torch")
        self.fun = fun
        self._args: tuple = ()  # the last arguments converted, and their tensors
        self._tensors: tuple = ()

    def forget(self) -> None:
        """Drop the tensors made from the data: the next call makes them again (at the start
        of every run and before every direct call, as the arrays may have changed since)."""
        self._args, self._tensors = (), ()

    def _converted(self, args: tuple) -> tuple:
        if len(args) == len(self._args) and all(
            a is b for a, b in zip(args, self._args, strict=True)
        ):
            return self._tensors  # the same data as the last call: no conversion again
        tensors = tuple(
            self._tensor(a) if isinstance(a, np.ndarray) and a.dtype != object else a for a in args
        )
        self._args, self._tensors = args, tensors
        return tensors

    def _tensor(self, array: np.ndarray):
        """A data array as a tensor: float64 if floating, contiguous, native byte order
        (torch takes neither negative strides nor swapped bytes). Copied only when one of
        those needs it; otherwise the tensor shares the array's memory."""
        dtype = np.float64 if array.dtype.kind == "f" else array.dtype.newbyteorder("=")
        array = np.ascontiguousarray(array, dtype=dtype)
        torch = self.torch
        return torch.from_numpy(array) if array.flags.writeable else torch.tensor(array)

    def value_and_grad(self, point: np.ndarray, args: tuple):
        torch = self.torch
        x = torch.tensor(point, dtype=torch.float64, requires_grad=True)
        try:
            out = self.fun(x, *self._converted(args))
        except RuntimeError as err:
            raise self._translated(err) from None
        self._check(out)
        try:  # the backward pass meets what fun did wrong too (a change in place of its tensors)
            (grad,) = torch.autograd.grad(out.reshape(()), x)
        except RuntimeError as err:
            raise self._translated(err) from None
        value = float(out.detach())
        return value, grad.detach().numpy().reshape(point.shape)

    def _check(self, out) -> None:
        """Refuse an output that is not a float64 tensor of one number computed from x."""
        torch = self.torch
        if not isinstance(out, torch.Tensor):
            raise AutodiffError(
                f"fun returned {type(out).__name__} {out!r}, not a torch tensor; under "
                "grad='torch' it must return the tensor torch computed from x (drop the "
                ".item(), float() or .numpy() at the end)"
            )
        if out.numel() != 1:
            raise AutodiffError(
                f"fun returned a tensor of shape {tuple(out.shape)}; it must hold one number "
                "(sum or average the terms, e.g. (r ** 2).sum())"
            )
        if out.dtype != torch.float64:
            raise AutodiffError(
                f"fun returned a {out.dtype} tensor; descend differentiates in float64: keep "
                "x's float64 (no .float(), no float32 tensors built from it)"
            )
        if not out.requires_grad:
            raise AutodiffError(
                "fun's value does not depend on x as torch sees it: it was computed apart from "
                "x's tensor (.detach(), NumPy, a new tensor built from numbers), so its "
                "gradient cannot be traced; compute it from x with torch operations"
            )

    def _translated(self, err: RuntimeError) -> BaseException:
        at = where(err, self.torch)
        text = str(err)
        if "modified by an inplace operation" in text:
            return AutodiffError(
                f"fun changes a tensor in place after using it{at}, and torch needs its old "
                "value for the gradient: write y = y + 1 instead of y.add_(1) or y += 1 (or "
                "work on y.clone())"
            )
        if "appears to not have been used in the graph" in text:
            return AutodiffError(
                "fun's value does not depend on x as torch sees it (it was computed from other "
                "tensors that require gradients); compute it from x with torch operations"
            )
        if "in-place operation" in text:
            return AutodiffError(
                f"fun changes x in place{at}; torch cannot differentiate that: work on a "
                "copy (x = x.clone()) or build new tensors (torch.cat, torch.where)"
            )
        if "numpy()" in text:
            return AutodiffError(
                f"fun hands x to NumPy{at}; under grad='torch' write it with torch operations "
                "(torch.sin(x), not np.sin(x))"
            )
        return err
