"""
T4 · a line by gradient descent, beside least squares
=====================================================

Fit a line by batch gradient descent and set it beside the least-squares line.

Prints the fit, then draws it into a folder: the first argument, else ./descend-examples/.
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # draw into files, never open a window
import matplotlib.pyplot as plt

from descend import GDRegressor, animate, datasets, plot

X, y = datasets.regression()  # 100 noisy points, one feature
reg = GDRegressor(
    learning_rate=0.001,
    max_epochs=5000,
    tol=None,
    init="uniform",
    random_state=0,
    record_weights=True,  # keep (intercept, slope) of every epoch, for the pictures
)
reg.fit(X, y)
exact = datasets.least_squares(X, y, fit_intercept=True)

print(f"gradient descent: intercept {reg.intercept_[0]:.2f}, slope {reg.coef_[0]:.2f}")
print(f"least squares:    intercept {exact.intercept:.2f}, slope {exact.coef[0]:.2f}")
for epoch in (0, 10, 100, 1000, 5000):
    print(f"  epoch {epoch:4d}: cost {reg.history_.loss[epoch]:10.4f}")

out = Path(sys.argv[1] if len(sys.argv) > 1 else "descend-examples")
out.mkdir(parents=True, exist_ok=True)

# The data, the line gradient descent found and the least-squares line.
fig = plot.fit_line(reg, X, y, reference=exact).figure
fig.savefig(out / "t4-fit.png")
plt.close(fig)

# The path of (intercept, slope) over contour lines of the cost, and where it should end.
optimum = (exact.intercept, exact.coef[0])
cost = plot.cost_function(reg, X, y)
fig = plot.parameter_path(reg, fun=cost, reference=optimum).figure
fig.savefig(out / "t4-path.png")
plt.close(fig)

# The line moving towards the least-squares line, one frame every 25 epochs
# (drawn at 72 dots per inch to keep the 201 frames quick to write).
animate.line_fit(reg, X, y, every=25, reference=exact).save(out / "t4-line.gif", dpi=72)
plt.close("all")
print(f"wrote t4-fit.png, t4-path.png, t4-line.gif to {out}")
