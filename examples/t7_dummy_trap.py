"""
T7 · the dummy-variable trap
============================

Ones and two indicator columns that add up to them: the normal equations fail, and
gradient descent still fits.

Prints what happens, then draws the fit into a folder: the first argument, else
./descend-examples/.
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # draw into files, never open a window
import matplotlib.pyplot as plt

from descend import GDRegressor, datasets, plot

X, y = datasets.dummy_trap()  # ones, and two indicator columns that add up to them
try:
    datasets.least_squares(X, y)
except datasets.SingularNormalEquationsError as err:
    print(err)

reg = GDRegressor(
    fit_intercept=False,
    reduction="sum",  # w <- w - lr * X^T (Xw - y)
    learning_rate=0.001,
    max_epochs=1000,
    init="normal",
    tol=None,
    random_state=0,
)
reg.fit(X, y)
print("\npredictions:", reg.predict(X).round(4))
print("targets:    ", y)

out = Path(sys.argv[1] if len(sys.argv) > 1 else "descend-examples")
out.mkdir(parents=True, exist_ok=True)

# The cost ½‖Xw − y‖² against the epoch, on a log scale: it keeps falling.
fig = plot.loss(reg, log=True).figure
fig.savefig(out / "t7-cost.png")
plt.close(fig)

# Each row's target (ring) and prediction (dot): they match.
fig = plot.predictions(reg, X, y).figure
fig.savefig(out / "t7-predictions.png")
plt.close(fig)
print(f"wrote t7-cost.png, t7-predictions.png to {out}")
