r"""Penalties on a linear model's coefficients (never on its intercept).

=================  ==========================================================================
name               penalty :math:`R(w)` and its (sub)gradient
=================  ==========================================================================
``"l2"``           :math:`\tfrac{\alpha}{2} \lVert w \rVert_2^2`, gradient :math:`\alpha w`
``"l1"``           :math:`\alpha \lVert w \rVert_1`, subgradient :math:`\alpha\,\mathrm{sign}(w)`
``"elasticnet"``   :math:`\alpha \big(\rho \lVert w \rVert_1
                   + \tfrac{1 - \rho}{2} \lVert w \rVert_2^2\big)`, :math:`\rho` = ``l1_ratio``
``None``           no penalty
=================  ==========================================================================

Examples
--------
>>> import numpy as np
>>> from descend.penalties import Penalty
>>> pen = Penalty("elasticnet", alpha=0.1, l1_ratio=0.5)
>>> w = np.array([2.0, -1.0])
>>> round(pen.value(w), 4), pen.grad(w)
(0.275, array([ 0.15, -0.1 ]))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from descend._validation import check_nonnegative, check_real

__all__ = ["PENALTIES", "Penalty"]

#: What ``penalty=`` takes: None (no penalty) or a penalty's name.
PENALTIES = (None, "l2", "l1", "elasticnet")


@dataclass(frozen=True)
class Penalty:
    """A penalty by name with its strength ``alpha`` and, for elastic net, ``l1_ratio``."""

    kind: str | None = "l2"
    alpha: float = 0.0001
    l1_ratio: float = 0.15

    def __post_init__(self):
        if self.kind not in PENALTIES:
            raise ValueError(
                f"Invalid penalty: {self.kind!r}; expected None, 'l2', 'l1' or 'elasticnet'"
            )
        object.__setattr__(self, "alpha", check_nonnegative(self.alpha, "alpha"))
        ratio = check_real(self.l1_ratio, "l1_ratio")
        if not 0.0 <= ratio <= 1.0:
            raise ValueError(f"Invalid l1_ratio: {self.l1_ratio!r}; it must lie in [0, 1]")
        object.__setattr__(self, "l1_ratio", ratio)

    @property
    def active(self) -> bool:
        """Whether the penalty adds anything."""
        return self.kind is not None and self.alpha > 0.0

    @property
    def l1_weight(self) -> float:
        r"""The factor of the L1 part, :math:`\alpha` for l1, :math:`\alpha\rho` for the
        elastic net (0 without one: the penalty is then smooth)."""
        return self._weights[0]

    @property
    def l2_weight(self) -> float:
        r"""The factor of the L2 part, :math:`\alpha` for l2, :math:`\alpha(1-\rho)` for
        the elastic net."""
        return self._weights[1]

    @property
    def _weights(self) -> tuple[float, float]:
        """The factors of the L1 and the L2 parts."""
        if not self.active:
            return 0.0, 0.0
        if self.kind == "l2":
            return 0.0, self.alpha
        if self.kind == "l1":
            return self.alpha, 0.0
        return self.alpha * self.l1_ratio, self.alpha * (1.0 - self.l1_ratio)

    def value(self, w: np.ndarray) -> float:
        """:math:`R(w)`."""
        l1, l2 = self._weights
        total = 0.0
        if l1:
            total += l1 * float(np.abs(w).sum())
        if l2:
            total += 0.5 * l2 * float(np.vdot(w, w))
        return total

    def grad(self, w: np.ndarray) -> np.ndarray:
        """A (sub)gradient of :math:`R` at ``w`` (0 for the L1 part where a weight is 0)."""
        l1, l2 = self._weights
        g = np.zeros_like(w, dtype=float)
        if l1:
            g += l1 * np.sign(w)
        if l2:
            g += l2 * w
        return g
